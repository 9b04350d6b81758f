//! Unstructured API objects: a `serde_json::Value` map plus small, panic-free accessors.
//!
//! Every stored object is kept as JSON exactly as the API server would serialise it, so
//! `-o yaml`, patches and the HTTP API see the same bytes. Accessors never panic: a missing
//! or mistyped field reads as empty.

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// An API object (always a JSON object at the top level).
pub type Object = Value;

/// The field `key` of a JSON object. The engine's hottest lookup (every reconcile reads
/// hundreds of fields): objects' maps are sorted vectors (vendor/serde_json/src/vecmap.rs)
/// whose small-map lookup compares lengths before bytes, and `get_str` compares short keys'
/// bytes inline instead of calling libc (vendor/serde_json/KUBEPLAY.md).
#[inline]
pub fn field<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    m.get_str(key)
}

/// Reads a nested field by path segments; missing or mistyped reads as `None`.
pub fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for seg in path {
        cur = match cur {
            Value::Object(m) => field(m, seg)?,
            Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

pub fn get_str<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    get(v, path).and_then(Value::as_str)
}

pub fn get_i64(v: &Value, path: &[&str]) -> Option<i64> {
    get(v, path).and_then(Value::as_i64)
}

pub fn get_bool(v: &Value, path: &[&str]) -> Option<bool> {
    get(v, path).and_then(Value::as_bool)
}

pub fn get_array<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    get(v, path)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Returns a mutable reference to the field at `path`, creating empty objects on the way.
/// A non-object in the way is replaced by an object (callers only use this on their own data).
pub fn entry<'a>(v: &'a mut Value, path: &[&str]) -> &'a mut Value {
    let mut cur = v;
    for seg in path {
        if !cur.is_object() {
            *cur = Value::Object(Map::new());
        }
        cur = match cur {
            Value::Object(m) => {
                // Most paths exist already (a write re-sets fields): only a missing key
                // costs an owned copy of its name.
                if !m.contains_key(*seg) {
                    m.insert(seg.to_string(), Value::Null);
                }
                match m.get_mut(*seg) {
                    Some(v) => v,
                    None => unreachable!("inserted just above"),
                }
            }
            _ => unreachable!("made an object just above"),
        };
    }
    cur
}

/// Sets the field at `path`, creating parents as needed.
pub fn set(v: &mut Value, path: &[&str], value: Value) {
    *entry(v, path) = value;
}

/// Removes the field at `path` if present; returns it.
pub fn remove(v: &mut Value, path: &[&str]) -> Option<Value> {
    let (last, parents) = path.split_last()?;
    let mut cur = v;
    for seg in parents {
        cur = cur.as_object_mut()?.get_mut(*seg)?;
    }
    cur.as_object_mut()?.remove(*last)
}

pub fn name(v: &Value) -> &str {
    get_str(v, &["metadata", "name"]).unwrap_or("")
}

pub fn namespace(v: &Value) -> &str {
    get_str(v, &["metadata", "namespace"]).unwrap_or("")
}

pub fn uid(v: &Value) -> &str {
    get_str(v, &["metadata", "uid"]).unwrap_or("")
}

pub fn kind(v: &Value) -> &str {
    get_str(v, &["kind"]).unwrap_or("")
}

pub fn api_version(v: &Value) -> &str {
    get_str(v, &["apiVersion"]).unwrap_or("")
}

pub fn resource_version(v: &Value) -> u64 {
    get_str(v, &["metadata", "resourceVersion"])
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

pub fn generation(v: &Value) -> i64 {
    get_i64(v, &["metadata", "generation"]).unwrap_or(0)
}

pub fn deletion_timestamp(v: &Value) -> Option<&str> {
    get_str(v, &["metadata", "deletionTimestamp"])
}

pub fn is_terminating(v: &Value) -> bool {
    deletion_timestamp(v).is_some()
}

/// A string map field (labels, annotations, nodeSelector ...) as an ordered map.
pub fn string_map(v: &Value, path: &[&str]) -> BTreeMap<String, String> {
    // `extend` inserts one by one; `collect` would sort first, and every key/value type
    // collected into a BTreeMap compiles its own stable sort into the web page (issue 4).
    let mut out = BTreeMap::new();
    if let Some(m) = get(v, path).and_then(Value::as_object) {
        out.extend(
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string()))),
        );
    }
    out
}

pub fn labels(v: &Value) -> BTreeMap<String, String> {
    string_map(v, &["metadata", "labels"])
}

pub fn annotations(v: &Value) -> BTreeMap<String, String> {
    string_map(v, &["metadata", "annotations"])
}

pub fn label<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    get(v, &["metadata", "labels"])
        .and_then(Value::as_object)
        .and_then(|m| field(m, key))
        .and_then(Value::as_str)
}

pub fn annotation<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    get(v, &["metadata", "annotations"])
        .and_then(Value::as_object)
        .and_then(|m| field(m, key))
        .and_then(Value::as_str)
}

pub fn set_label(v: &mut Value, key: &str, value: &str) {
    set(
        v,
        &["metadata", "labels", key],
        Value::String(value.to_string()),
    );
}

pub fn set_annotation(v: &mut Value, key: &str, value: &str) {
    set(
        v,
        &["metadata", "annotations", key],
        Value::String(value.to_string()),
    );
}

pub fn finalizers(v: &Value) -> Vec<String> {
    get_array(v, &["metadata", "finalizers"])
        .iter()
        .filter_map(|f| f.as_str().map(str::to_string))
        .collect()
}

/// One entry of `metadata.ownerReferences`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnerRef {
    pub api_version: String,
    pub kind: String,
    pub name: String,
    pub uid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub controller: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_owner_deletion: Option<bool>,
}

impl OwnerRef {
    /// A controller reference `{controller: true, blockOwnerDeletion: true}` to `owner`.
    pub fn controller_of(owner: &Value) -> OwnerRef {
        OwnerRef {
            api_version: api_version(owner).to_string(),
            kind: kind(owner).to_string(),
            name: name(owner).to_string(),
            uid: uid(owner).to_string(),
            controller: Some(true),
            block_owner_deletion: Some(true),
        }
    }

    /// What `serde_json::to_value` gives, built in key order (no trip through serde).
    pub fn to_value(&self) -> Value {
        let mut m = Map::new();
        m.insert("apiVersion".into(), Value::String(self.api_version.clone()));
        if let Some(b) = self.block_owner_deletion {
            m.insert("blockOwnerDeletion".into(), Value::Bool(b));
        }
        if let Some(c) = self.controller {
            m.insert("controller".into(), Value::Bool(c));
        }
        m.insert("kind".into(), Value::String(self.kind.clone()));
        m.insert("name".into(), Value::String(self.name.clone()));
        m.insert("uid".into(), Value::String(self.uid.clone()));
        Value::Object(m)
    }
}

pub fn owner_refs(v: &Value) -> Vec<OwnerRef> {
    use serde::Deserialize;
    get_array(v, &["metadata", "ownerReferences"])
        .iter()
        .filter_map(|r| OwnerRef::deserialize(r).ok())
        .collect()
}

pub fn set_owner_refs(v: &mut Value, refs: &[OwnerRef]) {
    if refs.is_empty() {
        remove(v, &["metadata", "ownerReferences"]);
    } else {
        set(
            v,
            &["metadata", "ownerReferences"],
            Value::Array(refs.iter().map(OwnerRef::to_value).collect()),
        );
    }
}

/// An owner reference read in place (no copies): what `OwnerRef` decodes, borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OwnerRefView<'a> {
    pub api_version: &'a str,
    pub kind: &'a str,
    pub name: &'a str,
    pub uid: &'a str,
    pub block_owner_deletion: Option<bool>,
}

impl OwnerRefView<'_> {
    pub fn to_owned_ref(&self) -> OwnerRef {
        OwnerRef {
            api_version: self.api_version.to_string(),
            kind: self.kind.to_string(),
            name: self.name.to_string(),
            uid: self.uid.to_string(),
            controller: Some(true),
            block_owner_deletion: self.block_owner_deletion,
        }
    }

    /// Whether `r` is this reference as `controller_ref` decodes it.
    pub fn is(&self, r: &OwnerRef) -> bool {
        r.controller == Some(true)
            && r.block_owner_deletion == self.block_owner_deletion
            && r.uid == self.uid
            && r.name == self.name
            && r.kind == self.kind
            && r.api_version == self.api_version
    }
}

/// The owner reference with `controller: true`, if any, borrowed. It is the entry
/// `controller_ref` decodes: the first with a literal `controller: true` whose required
/// fields are strings and whose `blockOwnerDeletion`, if present, is a bool or null.
pub fn controller_ref_view(v: &Value) -> Option<OwnerRefView<'_>> {
    get_array(v, &["metadata", "ownerReferences"])
        .iter()
        .filter_map(Value::as_object)
        .filter(|r| field(r, "controller") == Some(&Value::Bool(true)))
        .find_map(|r| {
            let s = |k: &str| field(r, k).and_then(Value::as_str);
            let block_owner_deletion = match field(r, "blockOwnerDeletion") {
                None | Some(Value::Null) => None,
                Some(Value::Bool(b)) => Some(*b),
                Some(_) => return None,
            };
            Some(OwnerRefView {
                api_version: s("apiVersion")?,
                kind: s("kind")?,
                name: s("name")?,
                uid: s("uid")?,
                block_owner_deletion,
            })
        })
}

/// The owner reference with `controller: true`, if any.
pub fn controller_ref(v: &Value) -> Option<OwnerRef> {
    use serde::Deserialize;
    // Only a literal `controller: true` can decode as one; the others are not decoded at all.
    get_array(v, &["metadata", "ownerReferences"])
        .iter()
        .filter(|r| r.get("controller") == Some(&Value::Bool(true)))
        .filter_map(|r| OwnerRef::deserialize(r).ok())
        .find(|r| r.controller == Some(true))
}

/// The body of an UpdateStatus of `obj` with `status`: what the status subresource reads
/// (identity, resourceVersion for the conflict check, the status) and nothing else, so a
/// controller reporting status does not copy the whole object only for the server to drop it.
pub fn status_update_body(obj: &Value, status: Value) -> Value {
    // In key order into vectors the maps take as they are (no searching, no regrowth).
    let mut meta = Vec::with_capacity(3);
    for f in ["name", "namespace", "resourceVersion"] {
        if let Some(v) = get(obj, &["metadata", f]) {
            meta.push((f.to_string(), v.clone()));
        }
    }
    let mut body = Vec::with_capacity(4);
    for f in ["apiVersion", "kind"] {
        if let Some(v) = obj.get(f) {
            body.push((f.to_string(), v.clone()));
        }
    }
    body.push((
        "metadata".to_string(),
        Value::Object(meta.into_iter().collect()),
    ));
    body.push(("status".to_string(), status));
    Value::Object(body.into_iter().collect())
}

/// Parses a YAML/JSON-ish scalar into an i64 if it is an integer or an integer string.
pub fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Standard base64 with padding (a Secret's `data`).
pub fn base64(bytes: &[u8]) -> String {
    kubeplay_shell::base64_encode(bytes)
}

/// Sets `fields` (sorted by name, each at most once) in `map` in one pass that moves the map's
/// entries, instead of growing and shifting it with one insert after another; a field already
/// there takes the new value in its place.
pub fn merge_sorted<'f>(
    map: &mut Map<String, Value>,
    fields: impl IntoIterator<Item = (&'f str, Value)>,
) {
    // Taken out with a shared empty map left behind: `take` would allocate a new one.
    let old = std::mem::replace(map, empty_map().clone());
    let mut fields = fields.into_iter().peekable();
    let mut merged: Vec<(String, Value)> = Vec::with_capacity(old.len() + fields.size_hint().0);
    for (k, v) in old {
        while let Some((field, value)) = fields.next_if(|(f, _)| *f < k.as_str()) {
            merged.push((field.to_string(), value));
        }
        match fields.next_if(|(f, _)| *f == k.as_str()) {
            Some((_, value)) => merged.push((k, value)),
            None => merged.push((k, v)),
        }
    }
    merged.extend(fields.map(|(field, value)| (field.to_string(), value)));
    // In key order: the map takes the vector as it is.
    *map = merged.into_iter().collect();
}

/// An empty map to leave in place of one taken out (clones share it: no allocation).
fn empty_map() -> &'static Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    EMPTY.get_or_init(Map::new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn owner_ref_values_are_what_serde_gives() {
        for controller in [None, Some(true), Some(false)] {
            for block_owner_deletion in [None, Some(true), Some(false)] {
                let r = OwnerRef {
                    api_version: "apps/v1".into(),
                    kind: "StatefulSet".into(),
                    name: "web".into(),
                    uid: "u".into(),
                    controller,
                    block_owner_deletion,
                };
                assert_eq!(r.to_value(), serde_json::to_value(&r).unwrap());
            }
        }
    }

    #[test]
    fn accessors_read_nested_fields_and_never_panic() {
        let mut v = json!({"metadata": {"name": "web-0", "labels": {"app": "nginx"}},
                           "spec": {"containers": [{"image": "nginx"}]}});
        assert_eq!(name(&v), "web-0");
        assert_eq!(
            get_str(&v, &["spec", "containers", "0", "image"]),
            Some("nginx")
        );
        assert_eq!(get_str(&v, &["spec", "containers", "x", "image"]), None);
        assert_eq!(namespace(&v), "");
        set(&mut v, &["status", "phase"], json!("Running"));
        assert_eq!(get_str(&v, &["status", "phase"]), Some("Running"));
        assert_eq!(label(&v, "app"), Some("nginx"));
        assert_eq!(remove(&mut v, &["status", "phase"]), Some(json!("Running")));
        let refs = json!({"metadata": {"ownerReferences": [
            {"apiVersion": "v1", "kind": "A", "name": "a", "uid": "1"},
            {"apiVersion": "v1", "kind": "B", "name": "b", "uid": "2", "controller": true, "blockOwnerDeletion": "x"},
            {"apiVersion": "v1", "kind": "C", "uid": "3", "controller": true},
            {"apiVersion": "v1", "kind": "D", "name": "d", "uid": "4", "controller": true, "blockOwnerDeletion": true, "extra": 1},
        ]}});
        let view = controller_ref_view(&refs).map(|r| (r.kind, r.uid));
        assert_eq!(view, Some(("D", "4")));
        assert_eq!(controller_ref(&refs).map(|r| r.uid), Some("4".to_string()));
        let (view, decoded) = (controller_ref_view(&refs), controller_ref(&refs));
        assert!(view.is_some_and(|v| decoded.as_ref().is_some_and(|d| v.is(d))));
        assert_eq!(view.map(|v| v.to_owned_ref()), decoded);
        let mut not_obj = json!(3);
        set(&mut not_obj, &["a"], json!(1));
        assert_eq!(not_obj, json!({"a": 1}));
    }

    #[test]
    fn base64_pads_like_go() {
        assert_eq!(base64(b"q"), "cQ==");
        assert_eq!(base64(b"ab"), "YWI=");
        assert_eq!(base64(b"abc"), "YWJj");
        assert_eq!(base64(b""), "");
    }
}

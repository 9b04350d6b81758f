//! The three patch formats the API server accepts, and the three-way patch `kubectl apply`
//! computes.
//!
//! JSON patch (RFC 6902) and JSON merge patch (RFC 7386) are small enough to write here: the
//! `json-patch` crate they came from cost the web page 14 KiB of code for its serde derives
//! alone (issue 4). The API server answers any JSON patch that does not decode or apply with
//! one bare 422, so only *whether* an operation applies matters, never why.
//! Strategic merge patch is written here by hand because no crate models Kubernetes' keyed
//! lists: lists of containers, volumes, env vars ... are merged element by element using a
//! *merge key* (`name`, `mountPath`, `containerPort` ...), primitive lists such as
//! `metadata.finalizers` are merged as sets, and every other list is replaced whole. The
//! directives `$patch` (replace/delete/merge), `$retainKeys`, `$setElementOrder/<field>` and
//! `$deleteFromPrimitiveList/<field>` are honoured.
//!
//! This module must never panic on user input and never reads anything but its arguments.
//! Errors use the API server's words, since kubectl prints them as the server sent them.

use crate::error::{ApiError, ApiResult};
use crate::kinds::Kind;
use serde_json::{Map, Value};

/// The message the API server gives when a JSON patch does not apply: it answers with a bare
/// 422 (`NewGenericServerResponse`), so the jsonpatch library's own text never reaches kubectl,
/// which prints `The request is invalid: the server rejected our request due to an error in
/// our request`.
pub const JSON_PATCH_REJECTED: &str =
    "the server rejected our request due to an error in our request";

fn rejected() -> ApiError {
    ApiError {
        code: 422,
        reason: "Invalid".into(),
        message: JSON_PATCH_REJECTED.into(),
        name: String::new(),
        group: String::new(),
        kind: String::new(),
        causes: Vec::new(),
    }
}

/// Go's name for a JSON value's type in `json: cannot unmarshal <t> into ...`.
fn go_json_type(v: &Value) -> &'static str {
    match v {
        Value::Object(_) => "object",
        Value::Array(_) => "array",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "bool",
        Value::Null => "null",
    }
}

/// Applies an RFC 6902 JSON patch. A body that is not a list is a 400, as the API server's
/// decoder reports it; an operation that does not apply is the server's bare 422.
pub fn json_patch(target: &mut Value, patch: &Value) -> ApiResult<()> {
    if !patch.is_array() {
        return Err(ApiError::bad_request(format!(
            "json: cannot unmarshal {} into Go value of type jsonpatch.Patch",
            go_json_type(patch)
        )));
    }
    let Some(ops) = patch.as_array() else {
        return Err(rejected());
    };
    // Work on a copy so a failing operation leaves the target untouched.
    let mut doc = target.clone();
    let ops: Option<Vec<JsonPatchOp>> = ops.iter().map(JsonPatchOp::decode).collect();
    for op in ops.ok_or_else(rejected)? {
        op.apply(&mut doc).ok_or_else(rejected)?;
    }
    *target = doc;
    Ok(())
}

/// One RFC 6902 operation: an object with `op`, `path` (an RFC 6901 pointer), and `value` or
/// `from` as the op needs; other members are ignored.
struct JsonPatchOp<'a> {
    op: &'a str,
    path: &'a str,
    /// `value` for add/replace/test, `from` (a pointer) for move/copy.
    arg: &'a Value,
}

impl<'a> JsonPatchOp<'a> {
    fn decode(v: &'a Value) -> Option<Self> {
        let o = v.as_object()?;
        let op = o.get("op")?.as_str()?;
        let arg = match op {
            "add" | "replace" | "test" => o.get("value")?,
            "move" | "copy" => o
                .get("from")
                .filter(|f| f.as_str().is_some_and(valid_pointer))?,
            "remove" => &Value::Null,
            _ => return None,
        };
        let path = o.get("path")?.as_str().filter(|p| valid_pointer(p))?;
        Some(JsonPatchOp { op, path, arg })
    }

    /// Applies the operation; `None` when it does not apply.
    fn apply(&self, doc: &mut Value) -> Option<()> {
        let from = self.arg.as_str().unwrap_or_default();
        match self.op {
            "add" => pointer_add(doc, self.path, self.arg.clone()),
            "remove" => pointer_remove(doc, self.path).map(drop),
            "replace" => {
                *doc.pointer_mut(self.path)? = self.arg.clone();
                Some(())
            }
            "move" => {
                // Not into a child of itself.
                let inside = self.path.len() != from.len()
                    && self.path.starts_with(from)
                    && self.path.as_bytes().get(from.len()) == Some(&b'/');
                if inside {
                    return None;
                }
                let v = pointer_remove(doc, from)?;
                pointer_add(doc, self.path, v)
            }
            "copy" => {
                let v = doc.pointer(from)?.clone();
                pointer_add(doc, self.path, v)
            }
            _ => (doc.pointer(self.path)? == self.arg).then_some(()),
        }
    }
}

/// An RFC 6901 pointer: empty, or `/`-separated tokens where `~` only starts `~0` or `~1`.
fn valid_pointer(p: &str) -> bool {
    let b = p.as_bytes();
    (b.is_empty() || b[0] == b'/')
        && b.iter()
            .enumerate()
            .all(|(i, &c)| c != b'~' || matches!(b.get(i + 1), Some(b'0' | b'1')))
}

/// The parent of the pointer's target and its last token, decoded.
fn split_last(path: &str) -> Option<(&str, String)> {
    let (parent, last) = path.rsplit_once('/')?;
    Some((parent, last.replace("~1", "/").replace("~0", "~")))
}

/// An array index token: `-` (one past the end) or digits without leading zeros.
fn array_index(token: &str, len: usize) -> Option<usize> {
    if token == "-" {
        return Some(len);
    }
    if !token.bytes().all(|c| c.is_ascii_digit()) || (token.starts_with('0') && token != "0") {
        return None;
    }
    token.parse().ok()
}

fn pointer_add(doc: &mut Value, path: &str, value: Value) -> Option<()> {
    let Some((parent, last)) = split_last(path) else {
        *doc = value;
        return Some(());
    };
    match doc.pointer_mut(parent)? {
        Value::Object(o) => {
            o.insert(last, value);
        }
        Value::Array(a) => {
            let i = array_index(&last, a.len()).filter(|&i| i <= a.len())?;
            a.insert(i, value);
        }
        _ => return None,
    }
    Some(())
}

fn pointer_remove(doc: &mut Value, path: &str) -> Option<Value> {
    let (parent, last) = split_last(path)?;
    match doc.pointer_mut(parent)? {
        Value::Object(o) => o.remove(&last),
        Value::Array(a) => {
            let i = array_index(&last, a.len()).filter(|&i| i < a.len())?;
            Some(a.remove(i))
        }
        _ => None,
    }
}

/// Applies an RFC 7386 JSON merge patch (`null` deletes, objects merge, all else replaces).
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Some(patch) = patch.as_object() else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(map) = target else {
        return;
    };
    for (key, value) in patch {
        if value.is_null() {
            map.remove(key);
        } else {
            merge_patch(map.entry(key.as_str()).or_insert(Value::Null), value);
        }
    }
}

/// Applies a strategic merge patch to an object of `kind`.
pub fn strategic_merge_patch(_kind: Kind, target: &mut Value, patch: &Value) -> ApiResult<()> {
    let Some(patch_map) = patch.as_object() else {
        return Err(ApiError::bad_request(format!(
            "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            go_json_type(patch)
        )));
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let mut path = Vec::new();
    if let Value::Object(t) = target {
        merge_map(t, patch_map, &mut path)?;
    }
    Ok(())
}

// ----- list strategies -------------------------------------------------------------------

/// How a list field is patched (the `patchStrategy`/`patchMergeKey` struct tags upstream).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListStrategy {
    /// Elements are objects merged by this key.
    MergeByKey(&'static str),
    /// A list of scalars merged as a set (`metadata.finalizers`).
    Set,
    /// The list is replaced whole (the default for lists without a strategy).
    Atomic,
}

/// The strategy for the list field `field` found at `path` (the names of the enclosing
/// fields, outermost first). Covers the lists of the kinds kubeplay serves.
pub fn list_strategy(path: &[String], field: &str) -> ListStrategy {
    let parent = path.last().map(String::as_str).unwrap_or("");
    let in_container = path.iter().any(|p| {
        matches!(
            p.as_str(),
            "containers" | "initContainers" | "ephemeralContainers"
        )
    });
    match field {
        "containers" | "initContainers" | "ephemeralContainers" => ListStrategy::MergeByKey("name"),
        "volumes" | "env" | "imagePullSecrets" | "resourceClaims" => {
            ListStrategy::MergeByKey("name")
        }
        "volumeMounts" => ListStrategy::MergeByKey("mountPath"),
        "volumeDevices" => ListStrategy::MergeByKey("devicePath"),
        "ports" if in_container => ListStrategy::MergeByKey("containerPort"),
        "ports" if parent == "spec" => ListStrategy::MergeByKey("port"),
        "ownerReferences" if parent == "metadata" => ListStrategy::MergeByKey("uid"),
        "finalizers" if parent == "metadata" => ListStrategy::Set,
        "conditions" if parent == "status" => ListStrategy::MergeByKey("type"),
        "addresses" if parent == "status" => ListStrategy::MergeByKey("type"),
        "hostAliases" => ListStrategy::MergeByKey("ip"),
        "topologySpreadConstraints" => ListStrategy::MergeByKey("topologyKey"),
        _ => ListStrategy::Atomic,
    }
}

const SET_ELEMENT_ORDER: &str = "$setElementOrder/";
const DELETE_FROM_PRIMITIVE: &str = "$deleteFromPrimitiveList/";
const RETAIN_KEYS: &str = "$retainKeys";
const PATCH: &str = "$patch";

fn is_directive(key: &str) -> bool {
    key == PATCH
        || key == RETAIN_KEYS
        || key.starts_with(SET_ELEMENT_ORDER)
        || key.starts_with(DELETE_FROM_PRIMITIVE)
}

fn bad_directive(value: &Value) -> ApiError {
    ApiError::bad_request(format!(
        "Unknown patch type: {}",
        value
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| value.to_string())
    ))
}

/// Merges `patch` into `target` (both maps). `path` holds the field names leading here.
fn merge_map(
    target: &mut Map<String, Value>,
    patch: &Map<String, Value>,
    path: &mut Vec<String>,
) -> ApiResult<()> {
    match patch.get(PATCH) {
        None => {}
        Some(Value::String(s)) if s == "replace" => {
            target.clear();
            target.extend(
                patch
                    .iter()
                    .filter(|(k, _)| !is_directive(k))
                    .map(|(k, v)| (k.clone(), strip_directives(v))),
            );
            return Ok(());
        }
        Some(Value::String(s)) if s == "delete" => {
            target.clear();
            return Ok(());
        }
        Some(Value::String(s)) if s == "merge" => {}
        Some(other) => return Err(bad_directive(other)),
    }
    for (key, value) in patch {
        if let Some(field) = key.strip_prefix(DELETE_FROM_PRIMITIVE) {
            if let (Some(Value::Array(list)), Some(remove)) =
                (target.get_mut(field), value.as_array())
            {
                list.retain(|v| !remove.contains(v));
            }
            continue;
        }
        if is_directive(key) {
            continue;
        }
        match value {
            Value::Null => {
                target.remove(key);
            }
            Value::Object(pm) => {
                let deletes_self = pm.get(PATCH).and_then(Value::as_str) == Some("delete");
                if deletes_self {
                    target.remove(key);
                    continue;
                }
                let entry = target
                    .entry(key.clone())
                    .or_insert_with(|| Value::Object(Map::new()));
                if !entry.is_object() {
                    *entry = Value::Object(Map::new());
                }
                path.push(key.clone());
                let r = match entry {
                    Value::Object(tm) => merge_map(tm, pm, path),
                    _ => Ok(()),
                };
                path.pop();
                r?;
            }
            Value::Array(pl) => {
                let strategy = list_strategy(path, key);
                let current = match target.remove(key) {
                    Some(Value::Array(l)) => l,
                    _ => Vec::new(),
                };
                path.push(key.clone());
                let merged = merge_list(current, pl, strategy, path);
                path.pop();
                target.insert(key.clone(), Value::Array(merged?));
            }
            other => {
                target.insert(key.clone(), other.clone());
            }
        }
    }
    // Directives that act after the merge.
    for (key, value) in patch {
        if let Some(field) = key.strip_prefix(SET_ELEMENT_ORDER) {
            if let (Some(Value::Array(list)), Some(order)) =
                (target.get_mut(field), value.as_array())
            {
                let strategy = list_strategy(path, field);
                reorder(list, order, strategy);
            }
        }
    }
    if let Some(retain) = patch.get(RETAIN_KEYS) {
        let Some(keep) = retain.as_array() else {
            return Err(ApiError::bad_request(
                "invalid patch: $retainKeys must be a list",
            ));
        };
        target.retain(|k, _| keep.iter().any(|x| x.as_str() == Some(k)));
    }
    Ok(())
}

/// Removes `$patch` and other directives from a value inserted whole.
fn strip_directives(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            // Inserts, not `collect` (which sorts its input): page size, issue 4.
            let mut out = Map::new();
            out.extend(
                m.iter()
                    .filter(|(k, _)| !is_directive(k))
                    .map(|(k, v)| (k.clone(), strip_directives(v))),
            );
            Value::Object(out)
        }
        Value::Array(l) => Value::Array(
            l.iter()
                .filter(|e| e.get(PATCH).is_none() || e.as_object().is_some_and(|m| m.len() > 1))
                .map(strip_directives)
                .collect(),
        ),
        other => other.clone(),
    }
}

fn merge_list(
    mut current: Vec<Value>,
    patch: &[Value],
    strategy: ListStrategy,
    path: &mut Vec<String>,
) -> ApiResult<Vec<Value>> {
    // `{"$patch": "replace"}` as an element replaces the whole list with the other elements.
    let replace = patch
        .iter()
        .any(|e| e.get(PATCH).and_then(Value::as_str) == Some("replace"));
    if replace {
        return Ok(patch
            .iter()
            .filter(|e| e.get(PATCH).is_none())
            .map(strip_directives)
            .collect());
    }
    match strategy {
        ListStrategy::Atomic => Ok(patch.iter().map(strip_directives).collect()),
        ListStrategy::Set => {
            for v in patch {
                if !current.contains(v) {
                    current.push(v.clone());
                }
            }
            Ok(current)
        }
        ListStrategy::MergeByKey(key) => {
            for elem in patch {
                let Some(pm) = elem.as_object() else {
                    // A scalar where objects are expected: replace, as the server would
                    // fail to merge; keeping the value is the least surprising.
                    current.push(elem.clone());
                    continue;
                };
                let Some(kv) = pm.get(key) else {
                    return Err(ApiError::bad_request(format!(
                        "map: {} does not contain declared merge key: {key}",
                        go_map(elem)
                    )));
                };
                let directive = pm.get(PATCH).and_then(Value::as_str);
                if directive == Some("delete") {
                    current.retain(|c| c.get(key) != Some(kv));
                    continue;
                }
                match current.iter_mut().find(|c| c.get(key) == Some(kv)) {
                    Some(Value::Object(cm)) => merge_map(cm, pm, path)?,
                    _ => current.push(strip_directives(elem)),
                }
            }
            Ok(current)
        }
    }
}

/// Go's `%v` of a map, as the merge-key error shows it (`map[image:nginx]`).
fn go_map(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let inner: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{k}:{}", go_map(v)))
                .collect();
            format!("map[{}]", inner.join(" "))
        }
        Value::Array(l) => {
            let inner: Vec<String> = l.iter().map(go_map).collect();
            format!("[{}]", inner.join(" "))
        }
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Orders `list` as `$setElementOrder` says; elements it does not name keep their relative
/// order after the named ones.
fn reorder(list: &mut Vec<Value>, order: &[Value], strategy: ListStrategy) {
    let rank = |v: &Value| -> usize {
        order
            .iter()
            .position(|o| match strategy {
                ListStrategy::MergeByKey(k) => o.get(k).is_some() && o.get(k) == v.get(k),
                _ => o == v,
            })
            .unwrap_or(usize::MAX)
    };
    let mut indexed: Vec<(usize, usize, Value)> = std::mem::take(list)
        .into_iter()
        .enumerate()
        .map(|(i, v)| (rank(&v), i, v))
        .collect();
    kubeplay_shell::sorting::sort_by_key(&mut indexed, |(r, i, _)| (*r, *i));
    *list = indexed.into_iter().map(|(_, _, v)| v).collect();
}

// ----- computing patches (kubectl apply) ----------------------------------------------

/// What a diff should record.
#[derive(Clone, Copy)]
struct DiffMode {
    /// Leave out fields present in `from` but not in `to`.
    ignore_deletions: bool,
    /// Leave out fields added or changed in `to`.
    ignore_changes: bool,
}

/// The strategic patch that turns `from` into `to`, restricted by `mode`.
fn diff_maps(
    from: &Map<String, Value>,
    to: &Map<String, Value>,
    mode: DiffMode,
    path: &mut Vec<String>,
) -> Map<String, Value> {
    let mut patch = Map::new();
    for (key, tv) in to {
        match (from.get(key), tv) {
            (None, _) => {
                if !mode.ignore_changes {
                    patch.insert(key.clone(), tv.clone());
                }
            }
            (Some(Value::Object(fm)), Value::Object(tm)) => {
                path.push(key.clone());
                let sub = diff_maps(fm, tm, mode, path);
                path.pop();
                if !sub.is_empty() {
                    patch.insert(key.clone(), Value::Object(sub));
                }
            }
            (Some(Value::Array(fl)), Value::Array(tl)) => {
                let strategy = list_strategy(path, key);
                path.push(key.clone());
                diff_lists(&mut patch, key, fl, tl, strategy, mode, path);
                path.pop();
            }
            (Some(fv), _) => {
                if fv != tv && !mode.ignore_changes {
                    patch.insert(key.clone(), tv.clone());
                }
            }
        }
    }
    if !mode.ignore_deletions {
        for key in from.keys() {
            if !to.contains_key(key) {
                patch.insert(key.clone(), Value::Null);
            }
        }
    }
    patch
}

fn diff_lists(
    patch: &mut Map<String, Value>,
    key: &str,
    from: &[Value],
    to: &[Value],
    strategy: ListStrategy,
    mode: DiffMode,
    path: &mut Vec<String>,
) {
    match strategy {
        ListStrategy::Atomic => {
            if from != to && !mode.ignore_changes {
                patch.insert(key.to_string(), Value::Array(to.to_vec()));
            }
        }
        ListStrategy::Set => {
            if !mode.ignore_changes {
                let added: Vec<Value> = to.iter().filter(|v| !from.contains(v)).cloned().collect();
                if !added.is_empty() {
                    patch.insert(key.to_string(), Value::Array(added));
                }
            }
            if !mode.ignore_deletions {
                let removed: Vec<Value> =
                    from.iter().filter(|v| !to.contains(v)).cloned().collect();
                if !removed.is_empty() {
                    patch.insert(
                        format!("{DELETE_FROM_PRIMITIVE}{key}"),
                        Value::Array(removed),
                    );
                }
            }
        }
        ListStrategy::MergeByKey(mk) => {
            let mut elems = Vec::new();
            for t in to {
                let Some(kv) = t.get(mk) else {
                    continue;
                };
                match from.iter().find(|f| f.get(mk) == Some(kv)) {
                    None => {
                        if !mode.ignore_changes {
                            elems.push(t.clone());
                        }
                    }
                    Some(f) => {
                        if let (Some(fm), Some(tm)) = (f.as_object(), t.as_object()) {
                            let mut sub = diff_maps(fm, tm, mode, path);
                            if !sub.is_empty() {
                                sub.insert(mk.to_string(), kv.clone());
                                elems.push(Value::Object(sub));
                            }
                        }
                    }
                }
            }
            if !mode.ignore_deletions {
                for f in from {
                    let Some(kv) = f.get(mk) else { continue };
                    if !to.iter().any(|t| t.get(mk) == Some(kv)) {
                        let mut m = Map::new();
                        m.insert(PATCH.into(), Value::String("delete".into()));
                        m.insert(mk.to_string(), kv.clone());
                        elems.push(Value::Object(m));
                    }
                }
            }
            let order_changed = !mode.ignore_changes && {
                let keys_of = |l: &[Value]| -> Vec<Value> {
                    l.iter().filter_map(|v| v.get(mk).cloned()).collect()
                };
                let fk: Vec<Value> = keys_of(from)
                    .into_iter()
                    .filter(|k| to.iter().any(|t| t.get(mk) == Some(k)))
                    .collect();
                let tk: Vec<Value> = keys_of(to)
                    .into_iter()
                    .filter(|k| from.iter().any(|f| f.get(mk) == Some(k)))
                    .collect();
                fk != tk
            };
            if !elems.is_empty() || order_changed {
                patch.insert(key.to_string(), Value::Array(elems));
                if !mode.ignore_changes {
                    let order: Vec<Value> = to
                        .iter()
                        .filter_map(|t| {
                            let mut m = Map::new();
                            m.insert(mk.to_string(), t.get(mk)?.clone());
                            Some(Value::Object(m))
                        })
                        .collect();
                    patch.insert(format!("{SET_ELEMENT_ORDER}{key}"), Value::Array(order));
                }
            }
        }
    }
}

/// Combines two patches into one that does both (the deletions of one, the changes of the
/// other). Keyed list patches are concatenated; for anything else `b` wins.
fn merge_patches(a: &mut Map<String, Value>, b: Map<String, Value>) {
    for (key, bv) in b {
        match (a.get_mut(&key), bv) {
            (Some(Value::Object(am)), Value::Object(bm)) => merge_patches(am, bm),
            (Some(Value::Array(al)), Value::Array(bl))
                if !key.starts_with(SET_ELEMENT_ORDER) && al.iter().any(|e| e.is_object()) =>
            {
                al.extend(bl)
            }
            (_, bv) => {
                a.insert(key, bv);
            }
        }
    }
}

/// The patch `kubectl apply` sends (`CreateThreeWayMergePatch`): `original` is the previous
/// `last-applied-configuration` (None when the object has none), `modified` the new
/// manifest, `current` the live object. Fields dropped from the manifest since the last apply
/// are deleted; fields added or changed in the manifest are set; fields only the live object
/// has (defaults, controller writes) are left alone. Returns `{}` when nothing changes.
pub fn create_three_way_merge_patch(
    original: Option<&Value>,
    modified: &Value,
    current: &Value,
    _kind: Kind,
) -> Value {
    let empty = Map::new();
    let to = modified.as_object().unwrap_or(&empty);
    let cur = current.as_object().unwrap_or(&empty);
    let mut path = Vec::new();
    let mut patch = diff_maps(
        cur,
        to,
        DiffMode {
            ignore_deletions: true,
            ignore_changes: false,
        },
        &mut path,
    );
    if let Some(orig) = original.and_then(Value::as_object) {
        let deletions = diff_maps(
            orig,
            to,
            DiffMode {
                ignore_deletions: false,
                ignore_changes: true,
            },
            &mut path,
        );
        let mut merged = deletions;
        merge_patches(&mut merged, patch);
        patch = merged;
    }
    Value::Object(patch)
}

/// The two-way strategic patch from `original` to `modified` (deletions included), as
/// `kubectl` builds for `set image`, `rollout undo` and friends.
pub fn create_two_way_merge_patch(original: &Value, modified: &Value) -> Value {
    let empty = Map::new();
    let mut path = Vec::new();
    Value::Object(diff_maps(
        original.as_object().unwrap_or(&empty),
        modified.as_object().unwrap_or(&empty),
        DiffMode {
            ignore_deletions: false,
            ignore_changes: false,
        },
        &mut path,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn smp(target: Value, patch: Value) -> Value {
        let mut t = target;
        strategic_merge_patch(Kind::StatefulSet, &mut t, &patch).unwrap();
        t
    }

    fn sts() -> Value {
        json!({
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "web", "labels": {"app": "nginx"}, "finalizers": ["a"]},
            "spec": {"replicas": 2, "template": {"spec": {
                "containers": [
                    {"name": "nginx", "image": "nginx:1.7", "imagePullPolicy": "IfNotPresent",
                     "ports": [{"containerPort": 80, "name": "web"}],
                     "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]},
                    {"name": "sidecar", "image": "busybox"}
                ],
                "tolerations": [{"key": "x", "operator": "Exists"}]
            }}}
        })
    }

    #[test]
    fn strategic_merge_merges_containers_by_name() {
        let out = smp(
            sts(),
            json!({"spec": {"template": {"spec": {"containers": [
                {"name": "nginx", "image": "nginx:1.8"},
                {"name": "extra", "image": "redis"}
            ]}}}}),
        );
        let cs = &out["spec"]["template"]["spec"]["containers"];
        assert_eq!(cs.as_array().unwrap().len(), 3);
        assert_eq!(cs[0]["image"], "nginx:1.8");
        assert_eq!(cs[0]["imagePullPolicy"], "IfNotPresent");
        assert_eq!(cs[0]["ports"][0]["containerPort"], 80);
        assert_eq!(cs[1]["name"], "sidecar");
        assert_eq!(cs[2]["name"], "extra");
    }

    #[test]
    fn strategic_merge_directives() {
        // $patch: delete removes a keyed element; null deletes a field.
        let out = smp(
            sts(),
            json!({"metadata": {"labels": {"app": null}},
            "spec": {"template": {"spec": {"containers": [
                {"name": "sidecar", "$patch": "delete"},
                {"name": "nginx", "env": [{"name": "A", "$patch": "delete"}]}
            ]}}}}),
        );
        assert_eq!(out["metadata"]["labels"], json!({}));
        let cs = out["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap();
        assert_eq!(cs.len(), 1);
        assert_eq!(cs[0]["env"], json!([{"name": "B", "value": "2"}]));
        // $patch: replace on a map replaces it.
        let out = smp(
            sts(),
            json!({"spec": {"template": {"$patch": "replace", "spec": {"containers": [{"name": "x", "image": "y"}]}}}}),
        );
        assert_eq!(
            out["spec"]["template"],
            json!({"spec": {"containers": [{"name": "x", "image": "y"}]}})
        );
        // Lists without a merge key are replaced; finalizers merge as a set.
        let out = smp(
            sts(),
            json!({"metadata": {"finalizers": ["b", "a"]},
                   "spec": {"template": {"spec": {"tolerations": [{"key": "y", "operator": "Exists"}]}}}}),
        );
        assert_eq!(out["metadata"]["finalizers"], json!(["a", "b"]));
        assert_eq!(
            out["spec"]["template"]["spec"]["tolerations"],
            json!([{"key": "y", "operator": "Exists"}])
        );
        let out = smp(
            sts(),
            json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}),
        );
        assert_eq!(out["metadata"]["finalizers"], json!([]));
        // $setElementOrder reorders; $retainKeys drops keys not listed.
        let out = smp(
            sts(),
            json!({"spec": {"template": {"spec": {"$setElementOrder/containers": [{"name": "sidecar"}, {"name": "nginx"}]}}},
                   "metadata": {"$retainKeys": ["name"], "name": "web"}}),
        );
        assert_eq!(
            out["spec"]["template"]["spec"]["containers"][0]["name"],
            "sidecar"
        );
        assert_eq!(out["metadata"], json!({"name": "web"}));
        let mut t = sts();
        let e = strategic_merge_patch(
            Kind::StatefulSet,
            &mut t,
            &json!({"spec": {"template": {"spec": {"containers": [{"image": "x"}]}}}}),
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "map: map[image:x] does not contain declared merge key: name"
        );
    }

    #[test]
    fn service_ports_merge_by_port() {
        let svc = json!({"spec": {"ports": [{"port": 80, "name": "web"}], "clusterIP": "None"}});
        let out = smp(
            svc,
            json!({"spec": {"ports": [{"port": 443, "name": "tls"}]}}),
        );
        assert_eq!(out["spec"]["ports"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn json_patch_errors_are_the_servers() {
        let mut t = sts();
        let e = json_patch(&mut t, &json!({"op": "add"})).unwrap_err();
        assert_eq!(e.reason, "BadRequest");
        assert_eq!(
            e.message,
            "json: cannot unmarshal object into Go value of type jsonpatch.Patch"
        );
        let e = json_patch(
            &mut t,
            &json!([{"op": "replace", "path": "/spec/nope/x", "value": 1}]),
        )
        .unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (422, JSON_PATCH_REJECTED));
        assert_eq!(t, sts());
        json_patch(
            &mut t,
            &json!([{"op": "replace", "path": "/spec/template/spec/containers/0/image", "value": "nginx:0.8"}]),
        )
        .unwrap();
        assert_eq!(
            t["spec"]["template"]["spec"]["containers"][0]["image"],
            "nginx:0.8"
        );
    }

    #[test]
    fn json_patch_follows_rfc_6902() {
        let ok = |doc: Value, ops: Value| {
            let mut d = doc;
            json_patch(&mut d, &ops).map(|()| d)
        };
        let doc = json!({"a": [1, 2], "b": {"c/d": 1, "e~f": 2}});
        assert_eq!(
            ok(
                doc.clone(),
                json!([{"op": "add", "path": "/a/-", "value": 3}])
            )
            .unwrap(),
            json!({"a": [1, 2, 3], "b": {"c/d": 1, "e~f": 2}})
        );
        assert_eq!(
            ok(
                doc.clone(),
                json!([{"op": "add", "path": "/a/0", "value": 0}])
            )
            .unwrap()["a"],
            json!([0, 1, 2])
        );
        assert_eq!(
            ok(
                doc.clone(),
                json!([{"op": "remove", "path": "/b/c~1d"}, {"op": "remove", "path": "/b/e~0f"}])
            )
            .unwrap()["b"],
            json!({})
        );
        assert_eq!(
            ok(
                doc.clone(),
                json!([{"op": "move", "from": "/a", "path": "/b/a"}])
            )
            .unwrap(),
            json!({"b": {"a": [1, 2], "c/d": 1, "e~f": 2}})
        );
        assert_eq!(
            ok(doc.clone(), json!([{"op": "copy", "from": "/a/1", "path": "/z"}, {"op": "test", "path": "/z", "value": 2}]))
                .unwrap()["z"],
            json!(2)
        );
        assert_eq!(
            ok(doc.clone(), json!([{"op": "add", "path": "", "value": 7}])).unwrap(),
            json!(7)
        );
        for bad in [
            json!([{"op": "add", "path": "/a/3", "value": 0}]),
            json!([{"op": "add", "path": "/a/01", "value": 0}]),
            json!([{"op": "add", "path": "/a/+1", "value": 0}]),
            json!([{"op": "add", "path": "/a/0"}]),
            json!([{"op": "add", "path": "a", "value": 0}]),
            json!([{"op": "add", "path": "/b/~2", "value": 0}]),
            json!([{"op": "remove", "path": "/a/-"}]),
            json!([{"op": "remove", "path": "/a/2"}]),
            json!([{"op": "remove", "path": ""}]),
            json!([{"op": "remove", "path": "/x"}]),
            json!([{"op": "replace", "path": "/x", "value": 1}]),
            json!([{"op": "move", "from": "/b", "path": "/b/x"}]),
            json!([{"op": "copy", "from": "/x", "path": "/y"}]),
            json!([{"op": "test", "path": "/a/0", "value": 1.0}]),
            json!([{"op": "frob", "path": "/a"}]),
            json!([{"path": "/a"}]),
            json!([{"op": "add", "path": "/z", "value": 1}, {"op": "test", "path": "/z", "value": 2}]),
        ] {
            assert_eq!(ok(doc.clone(), bad.clone()).unwrap_err().code, 422, "{bad}");
        }
        // A move into a sibling whose name merely starts with the source's is not "inside".
        assert_eq!(
            ok(
                json!({"a": 1}),
                json!([{"op": "move", "from": "/a", "path": "/ab"}])
            )
            .unwrap(),
            json!({"ab": 1})
        );
    }

    #[test]
    fn merge_patch_follows_rfc_7386() {
        let mut t = json!({"a": {"b": 1, "c": 2}, "d": [1], "e": 1});
        merge_patch(
            &mut t,
            &json!({"a": {"b": null, "x": {"y": 1}}, "d": [2], "e": null}),
        );
        assert_eq!(t, json!({"a": {"c": 2, "x": {"y": 1}}, "d": [2]}));
        merge_patch(&mut t, &json!("s"));
        assert_eq!(t, json!("s"));
    }

    #[test]
    fn three_way_patch_deletes_removed_fields_and_keeps_live_only_fields() {
        let original = json!({"metadata": {"name": "web", "labels": {"app": "nginx", "tier": "web"}},
            "spec": {"replicas": 2, "template": {"spec": {"containers": [
                {"name": "nginx", "image": "nginx:1.7", "env": [{"name": "A", "value": "1"}]},
                {"name": "sidecar", "image": "busybox"}]}}}});
        let modified = json!({"metadata": {"name": "web", "labels": {"app": "nginx"}},
            "spec": {"replicas": 3, "template": {"spec": {"containers": [
                {"name": "nginx", "image": "nginx:1.8"}]}}}});
        let mut current = original.clone();
        current["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] =
            json!("IfNotPresent");
        current["status"] = json!({"replicas": 2});
        let patch =
            create_three_way_merge_patch(Some(&original), &modified, &current, Kind::StatefulSet);
        let mut live = current.clone();
        strategic_merge_patch(Kind::StatefulSet, &mut live, &patch).unwrap();
        assert_eq!(live["metadata"]["labels"], json!({"app": "nginx"}));
        assert_eq!(live["spec"]["replicas"], 3);
        let cs = live["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap();
        assert_eq!(cs.len(), 1, "{patch}");
        assert_eq!(
            cs[0],
            json!({"name": "nginx", "image": "nginx:1.8", "imagePullPolicy": "IfNotPresent"})
        );
        assert_eq!(live["status"], json!({"replicas": 2}));
        // Applying the same manifest again changes nothing.
        let again =
            create_three_way_merge_patch(Some(&modified), &modified, &live, Kind::StatefulSet);
        assert_eq!(again, json!({}));
        // Without an original, nothing is deleted.
        let p = create_three_way_merge_patch(None, &modified, &current, Kind::StatefulSet);
        let mut live = current.clone();
        strategic_merge_patch(Kind::StatefulSet, &mut live, &p).unwrap();
        assert_eq!(live["metadata"]["labels"]["tier"], "web");
    }

    #[test]
    fn two_way_patch_round_trips() {
        let a = sts();
        let mut b = sts();
        b["spec"]["template"]["spec"]["containers"][1]["image"] = json!("busybox:2");
        b["metadata"]["labels"] = json!({"app": "web"});
        let p = create_two_way_merge_patch(&a, &b);
        let mut out = a.clone();
        strategic_merge_patch(Kind::StatefulSet, &mut out, &p).unwrap();
        assert_eq!(out, b);
    }
}

//! `kubectl explain TYPE[.field...] [--recursive]`: kubectl 1.33's OpenAPI v3 plaintext
//! layout, rendered from the same schemas `kubeplay serve` publishes (`crate::schema`), by the
//! same rules as kubectl's `plaintext.tmpl`: follow the field path through properties,
//! `allOf`, array items and map values; print the field's type guess and enum, its
//! description followed by its type's, word-wrapped at 76 columns; then its fields (or, with
//! `--recursive`, the whole tree, each type once per branch). It must never print a text
//! that is not the API's own documentation.

use super::{CmdError, CmdResult};
use crate::context::Kubectl;
use crate::flags::{self, flag, FlagKind, FlagSpec};
use crate::output::Output;
use crate::schema;
use kubeplay_engine::Kind;
use serde_json::{Map, Value};

pub(crate) const SPECS: &[FlagSpec] = &[
    flag("recursive", None, FlagKind::Bool),
    flag("api-version", None, FlagKind::Value),
    flag("output", None, FlagKind::Value),
];

/// One group-version's component schemas, as the template reads them.
struct Doc {
    schemas: Map<String, Value>,
}

fn prop<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.get(key).filter(|x| !x.is_null())
}

/// An `additionalProperties` that is a schema (not `true`/`false`).
fn map_values(v: &Value) -> Option<&Value> {
    prop(v, "additionalProperties").filter(|x| x.is_object())
}

impl Doc {
    fn resolve_ref(&self, schema: &Value) -> Option<&Value> {
        let r = schema.get("$ref")?.as_str()?;
        self.schemas.get(r.strip_prefix("#/components/schemas/")?)
    }

    /// The schema a `$ref` names, or the schema itself.
    fn resolved<'a>(&'a self, schema: &'a Value) -> &'a Value {
        self.resolve_ref(schema).unwrap_or(schema)
    }

    fn type_guess(&self, s: &Value) -> String {
        if let Some(items) = prop(s, "items") {
            return format!("[]{}", self.type_guess(items));
        }
        if let Some(values) = map_values(s) {
            return format!("map[string]{}", self.type_guess(values));
        }
        if let Some(Value::Array(all)) = prop(s, "allOf") {
            if all.len() == 1 && prop(s, "properties").is_none() {
                return self.type_guess(&all[0]);
            }
        }
        if let Some(r) = s.get("$ref").and_then(Value::as_str) {
            let target = self.resolve_ref(s);
            let ty = target.and_then(|t| t.get("type")).and_then(Value::as_str);
            return match ty {
                Some(t) if t != "object" => t.to_string(),
                _ => {
                    let name = r.rsplit('/').next().unwrap_or(r);
                    let short = name.rsplit('.').next().unwrap_or(name);
                    if short.is_empty() {
                        "Object".into()
                    } else {
                        short.to_string()
                    }
                }
            };
        }
        match s.get("type").and_then(Value::as_str) {
            Some("object") | None => "Object".into(),
            Some(t) => t.to_string(),
        }
    }

    /// `extractEnum`: the long view (`ENUM:` and one value a line) or the short one
    /// (`enum: a, b, c, d, ....` on its own line).
    fn extract_enum(s: &Value, long: bool, indent: usize) -> String {
        let Some(Value::Array(values)) = prop(s, "enum") else {
            return String::new();
        };
        let mut out = if long {
            "ENUM:".to_string()
        } else {
            format!("\n{}enum: ", " ".repeat(indent))
        };
        for (i, v) in values.iter().enumerate() {
            if !long && i >= 4 {
                out.push_str(", ....");
                break;
            }
            if long {
                out.push_str("\n    ");
            } else if i > 0 {
                out.push_str(", ");
            }
            match v {
                Value::String(x) if x.is_empty() => out.push_str("\"\""),
                Value::String(x) => out.push_str(x),
                other => out.push_str(&other.to_string()),
            }
        }
        out
    }

    /// A schema's description, then those of what it refers to, holds or maps to.
    fn description(&self, schema: &Value) -> String {
        let s = self.resolved(schema);
        let mut out = String::new();
        if let Some(d) = s
            .get("description")
            .and_then(Value::as_str)
            .filter(|d| !d.is_empty())
        {
            out.push_str(d);
            out.push('\n');
        }
        if let Some(Value::Array(all)) = prop(s, "allOf") {
            for a in all {
                out.push_str(&self.description(a));
            }
        }
        if let Some(items) = prop(s, "items") {
            out.push_str(&self.description(items));
        }
        if let Some(values) = map_values(s) {
            out.push_str(&self.description(values));
        }
        out
    }

    fn field_detail(&self, name: &str, parent: &Value, short: bool, level: usize) -> String {
        let indent = level * 2;
        let Some(field) = parent.get("properties").and_then(|p| p.get(name)) else {
            return String::new();
        };
        let mut out = format!("{}{name}\t<{}>", " ".repeat(indent), self.type_guess(field));
        let required = parent.get("required").and_then(Value::as_array);
        if required.is_some_and(|r| r.iter().any(|x| x == name)) {
            out.push_str(" -required-");
        }
        out.push_str(&Self::extract_enum(field, false, indent));
        out.push('\n');
        if !short {
            let d = field
                .get("description")
                .and_then(Value::as_str)
                .filter(|d| !d.is_empty())
                .unwrap_or("<no description>");
            out.push_str(&indent_by(indent + 2, &wrap(78 - indent, d)));
            out.push_str("\n\n");
        }
        out
    }

    fn field_list(
        &self,
        schema: &Value,
        level: usize,
        history: &[String],
        recursive: bool,
    ) -> String {
        let r = schema.get("$ref").and_then(Value::as_str).unwrap_or("");
        if !r.is_empty() && history.iter().any(|h| h == r) {
            return String::new();
        }
        let mut history = history.to_vec();
        history.push(r.to_string());
        let s = self.resolved(schema);
        let mut out = String::new();
        if let Some(Value::Object(props)) = prop(s, "properties") {
            for (name, field) in props {
                out.push_str(&self.field_detail(name, s, recursive, level));
                if recursive {
                    out.push_str(&self.field_list(field, level + 1, &history, recursive));
                }
            }
        }
        if let Some(Value::Array(all)) = prop(s, "allOf") {
            for a in all {
                out.push_str(&self.field_list(a, level, &history, recursive));
            }
        }
        if let Some(items) = prop(s, "items") {
            out.push_str(&self.field_list(items, level, &history, recursive));
        }
        if let Some(values) = map_values(s) {
            out.push_str(&self.field_list(values, level, &history, recursive));
        }
        out
    }

    /// Follows `path` from `schema`; empty when the path leads nowhere.
    fn output(&self, schema: &Value, path: &[&str], history: &[String], recursive: bool) -> String {
        let r = schema.get("$ref").and_then(Value::as_str).unwrap_or("");
        let mut next_history = history.to_vec();
        next_history.push(r.to_string());
        let s = self.resolved(schema);
        let Some((first, rest)) = path.split_first() else {
            let mut d = self.description(s);
            if d.is_empty() {
                d = "<empty>".into();
            }
            let mut out = format!("DESCRIPTION:\n{}\n", indent_by(4, &wrap(76, &d)));
            let fields = self.field_list(s, 1, &[], recursive);
            if !fields.is_empty() {
                out.push_str("FIELDS:\n");
                out.push_str(&fields);
            }
            return out;
        };
        if !r.is_empty() && history.iter().any(|h| h == r) {
            return String::new();
        }
        if let Some(field) = s.get("properties").and_then(|p| p.get(*first)) {
            let mut out = String::new();
            if rest.is_empty() {
                out.push_str(&format!("FIELD: {first} <{}>\n", self.type_guess(field)));
                out.push_str(&Self::extract_enum(field, true, 0));
                out.push_str("\n\n");
            }
            out.push_str(&self.output(field, rest, &[], recursive));
            return out;
        }
        if let Some(items) = prop(s, "items") {
            return self.output(items, path, &next_history, recursive);
        }
        if let Some(values) = map_values(s) {
            return self.output(values, path, &next_history, recursive);
        }
        if let Some(Value::Array(all)) = prop(s, "allOf") {
            for a in all {
                let out = self.output(a, path, &next_history, recursive);
                if !out.is_empty() {
                    return out;
                }
            }
        }
        String::new()
    }
}

/// Sprig-style `indent`: every line (the first too) gets the pad.
fn indent_by(n: usize, s: &str) -> String {
    let pad = " ".repeat(n);
    format!("{pad}{}", s.replace('\n', &format!("\n{pad}")))
}

/// kubectl's `wrap`: go-wordwrap's greedy fill at `limit` columns. Existing line breaks stay;
/// spaces where a line breaks are dropped; a word longer than the limit stands alone.
fn wrap(limit: usize, s: &str) -> String {
    let mut out = String::new();
    let (mut current, mut word, mut space) = (0usize, String::new(), String::new());
    let (mut word_len, mut space_len) = (0usize, 0usize);
    for c in s.chars() {
        if c == '\n' {
            if word.is_empty() {
                if current + space_len <= limit {
                    out.push_str(&space);
                }
            } else {
                out.push_str(&space);
                out.push_str(&word);
            }
            space.clear();
            word.clear();
            space_len = 0;
            word_len = 0;
            out.push('\n');
            current = 0;
        } else if c.is_whitespace() && c != '\u{a0}' {
            if space.is_empty() || !word.is_empty() {
                current += space_len + word_len;
                out.push_str(&space);
                out.push_str(&word);
                space.clear();
                word.clear();
                space_len = 0;
                word_len = 0;
            }
            space.push(c);
            space_len += 1;
        } else {
            word.push(c);
            word_len += 1;
            if current + space_len + word_len > limit && word_len < limit {
                out.push('\n');
                current = 0;
                space.clear();
                space_len = 0;
            }
        }
    }
    if word.is_empty() {
        if current + space_len <= limit {
            out.push_str(&space);
        }
    } else {
        out.push_str(&space);
        out.push_str(&word);
    }
    out
}

/// The served group-version of a kind and its document's schemas.
fn document(kind: Kind) -> Option<(&'static schema::TypeDef, Doc)> {
    let info = kind.info();
    let t = schema::kind_type(info.group, info.version, info.kind_name)?;
    Some((
        t,
        Doc {
            schemas: schema::components(&[t.name]),
        },
    ))
}

/// What `kubectl explain` prints for `kind` and a field path: the header, then the field's
/// text, or (when the path leads nowhere) the header alone and kubectl's error.
pub fn explain(kind: Kind, path: &[&str], recursive: bool) -> (String, Option<String>) {
    let info = kind.info();
    let mut s = String::new();
    let Some((t, doc)) = document(kind) else {
        let error = format!(
            "error: GVK {}/{}, Kind={} not found in OpenAPI schema",
            info.group, info.version, info.kind_name
        );
        return (s, Some(error));
    };
    if !info.group.is_empty() {
        s.push_str(&format!("GROUP:      {}\n", info.group));
    }
    s.push_str(&format!(
        "KIND:       {}\nVERSION:    {}\n\n",
        info.kind_name, info.version
    ));
    let body = match doc.schemas.get(&schema::component_name(t.name)) {
        Some(root) => doc.output(root, path, &[], recursive),
        None => String::new(),
    };
    if body.is_empty() {
        let last = path.last().copied().unwrap_or("");
        return (s, Some(format!("error: field \"{last}\" does not exist")));
    }
    s.push_str(&body);
    // The template's closing newline.
    s.push('\n');
    (s, None)
}

pub fn run(_k: &mut Kubectl<'_>, args: &[String], out: &mut Output) -> CmdResult {
    let p = flags::parse(args, SPECS).map_err(|m| super::flag_error("explain", m))?;
    let Some(target) = p.positional.first() else {
        return Err(CmdError::Usage {
            command: "explain".into(),
            message: "You must specify the type of resource to explain. Use \"kubectl api-resources\" for a complete list of supported resources.".into(),
        });
    };
    let mut parts = target.split('.');
    let type_name = parts.next().unwrap_or("");
    // Field names are matched as written (kubectl is case-sensitive for fields).
    let path: Vec<&str> = parts.collect();
    let kind = match crate::resource_args::resolve_kind(type_name) {
        Ok(kind) => kind,
        // explain returns the mapper's error as it is: no "error: " in front.
        Err(message) => {
            out.errln(message);
            return Err(CmdError::Exit(1));
        }
    };
    let (text, error) = explain(kind, &path, p.bool("recursive"));
    out.out(text);
    match error {
        Some(e) => {
            out.errln(e);
            Err(CmdError::Exit(1))
        }
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(kind: Kind, path: &[&str], recursive: bool) -> String {
        let (text, error) = explain(kind, path, recursive);
        assert_eq!(error, None);
        text
    }

    #[test]
    fn a_field_prints_its_type_description_and_fields_in_the_v3_layout() {
        let t = text(Kind::StatefulSet, &["spec", "updateStrategy"], false);
        // FIELD line, the (empty) enum block and a blank line; the field's description then
        // its type's; fields sorted, each with its enum line.
        assert!(t.starts_with(
            "GROUP:      apps\nKIND:       StatefulSet\nVERSION:    v1\n\nFIELD: updateStrategy <StatefulSetUpdateStrategy>\n\n\nDESCRIPTION:\n    updateStrategy indicates the StatefulSetUpdateStrategy that will be employed\n    to update Pods in the StatefulSet when a revision is made to Template.\n    StatefulSetUpdateStrategy indicates"
        ));
        assert!(t.contains("    \nFIELDS:\n  rollingUpdate\t<RollingUpdateStatefulSetStrategy>\n    RollingUpdate is used"));
        assert!(t.contains("  type\t<string>\n  enum: OnDelete, RollingUpdate\n    Type indicates"));
        assert!(t.ends_with("    updateRevision.\n\n\n"));
    }

    #[test]
    fn enum_fields_print_their_values_between_field_and_description() {
        let t = text(Kind::StatefulSet, &["spec", "podManagementPolicy"], false);
        assert!(t.contains(
            "FIELD: podManagementPolicy <string>\nENUM:\n    OrderedReady\n    Parallel\n\nDESCRIPTION:\n"
        ));
    }

    #[test]
    fn type_guesses_follow_arrays_maps_and_references() {
        let t = text(Kind::Pod, &["spec"], false);
        assert!(t.contains("  containers\t<[]Container> -required-\n"));
        assert!(t.contains("  nodeSelector\t<map[string]string>\n"));
        let t = text(Kind::Pod, &["spec", "containers", "resources"], false);
        assert!(t.contains("  limits\t<map[string]Quantity>\n"));
        let t = text(Kind::StatefulSet, &["metadata"], false);
        assert!(t.contains("  creationTimestamp\t<string>\n"));
        // More than four enum values end in "....".
        let t = text(Kind::Service, &["spec"], false);
        assert!(t.contains(
            "  type\t<string>\n  enum: ClusterIP, ExternalName, LoadBalancer, NodePort\n"
        ));
    }

    #[test]
    fn recursive_prints_the_tree_one_line_a_field() {
        let t = text(Kind::StatefulSet, &["spec", "updateStrategy"], true);
        assert!(t.ends_with(
            "FIELDS:\n  rollingUpdate\t<RollingUpdateStatefulSetStrategy>\n    maxUnavailable\t<IntOrString>\n    partition\t<integer>\n  type\t<string>\n  enum: OnDelete, RollingUpdate\n\n"
        ));
    }

    #[test]
    fn a_missing_field_prints_the_header_and_kubectls_error() {
        let (t, e) = explain(Kind::StatefulSet, &["spec", "nope"], false);
        assert_eq!(
            t,
            "GROUP:      apps\nKIND:       StatefulSet\nVERSION:    v1\n\n"
        );
        assert_eq!(e.as_deref(), Some("error: field \"nope\" does not exist"));
        let (_, e) = explain(Kind::Pod, &["spec", "replicas", "x"], false);
        assert_eq!(e.as_deref(), Some("error: field \"x\" does not exist"));
    }

    #[test]
    fn wrap_fills_lines_greedily_and_keeps_breaks() {
        assert_eq!(wrap(10, "aaa bbb ccc ddd"), "aaa bbb\nccc ddd");
        assert_eq!(wrap(10, "a\n\nb"), "a\n\nb");
        assert_eq!(wrap(5, "abcdefgh ij"), "abcdefgh\nij");
        assert_eq!(indent_by(2, "a\n\nb"), "  a\n  \n  b");
    }

    /// Every line of every kind's explain text (and its whole tree) fits in 80 columns unless
    /// a single word is longer.
    #[test]
    fn every_kind_explains_within_the_wrap_width() {
        for r in kubeplay_engine::kinds::RESOURCES {
            for recursive in [false, true] {
                let t = text(r.kind, &[], recursive);
                for line in t.lines() {
                    let width = line.replace('\t', " ").chars().count();
                    assert!(width <= 80 || !line.trim().contains(' '), "{line:?}");
                }
            }
        }
    }
}

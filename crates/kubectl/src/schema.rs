//! The Kubernetes 1.35 API type schemas of every kind kubeplay serves: field names, types,
//! `$ref` targets, required fields, the strategic-merge extensions (patch merge key and
//! strategy, list type and map keys, map type), enum values and documentation. It is the one
//! source for what `kubeplay serve` publishes at `/openapi/v3` (so the real kubectl's
//! `explain` and `apply` work from it) and for the built-in `kubectl explain`.
//!
//! The data lives in `schema.txt`, written by `scripts/gen-api-schemas.py` from Kubernetes
//! 1.35's definitions (the kubernetes-validate package) plus the "Possible enum values"
//! paragraphs a live 1.35 server adds (the kubernetes-models package). Documentation is kept
//! whole for the types the tutorials meet (apps/v1, PodDisruptionBudget, PodSpec, Container,
//! Service, claims, ObjectMeta, ...); other types keep their first sentence, to keep the wasm
//! bundle small. This module must never invent a text: a description is upstream's or a
//! prefix of it.
//!
//! Format of `schema.txt`, one item a line:
//! `T <name> <type>` starts a type (`name` without the `io.k8s.` prefix), `G <group> <version>
//! <kind>` names the kind it is, `R a,b` its required fields, `D <text>` a description whose
//! further lines follow as `| <text>` (`|` alone: an empty line), `F <name> <type> [ext...]` a
//! field, its description following. A type is `string`, `integer/int32` (type/format),
//! `>Name` (a reference), `[]T` (array), `{}T` (map), `oneOf:a|b`; extensions are
//! `pmk=` (patch merge key), `ps=` (patch strategy), `lt=` (list type), `lmk=a,b` (list map
//! keys), `mt=` (map type), `enum=A|B`. The binary holds the compact form `build.rs` writes:
//! a description that repeats the n-th one (counting from 0, in file order) is `d <n>`, and
//! the wasm build has no extensions (only `kubeplay serve` publishes them).

use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::OnceLock;

const DATA: &str = include_str!(concat!(env!("OUT_DIR"), "/schema.txt"));
const PREFIX: &str = "io.k8s.";

/// A field's (or a type's own) shape.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    /// `type` and optional `format`.
    Prim(&'static str, Option<&'static str>),
    /// A reference to another type, by its short name.
    Ref(&'static str),
    Array(Box<Ty>),
    Map(Box<Ty>),
    /// One of several primitive types (IntOrString, Quantity).
    OneOf(Vec<&'static str>),
    /// A type with no schema constraints.
    Any,
}

#[derive(Debug)]
pub struct Field {
    pub name: &'static str,
    pub ty: Ty,
    /// Extensions as `(short key, value)`: `pmk`, `ps`, `lt`, `lmk`, `mt`.
    pub ext: Vec<(&'static str, &'static str)>,
    pub enum_values: Vec<&'static str>,
    pub description: String,
}

#[derive(Debug)]
pub struct TypeDef {
    pub name: &'static str,
    /// `Prim("object", None)` for types with fields.
    pub ty: Ty,
    pub gvk: Vec<(&'static str, &'static str, &'static str)>,
    pub required: Vec<&'static str>,
    pub description: String,
    pub fields: Vec<Field>,
}

fn parse_ty(s: &'static str) -> Ty {
    if let Some(rest) = s.strip_prefix("[]") {
        Ty::Array(Box::new(parse_ty(rest)))
    } else if let Some(rest) = s.strip_prefix("{}") {
        Ty::Map(Box::new(parse_ty(rest)))
    } else if let Some(rest) = s.strip_prefix('>') {
        Ty::Ref(rest)
    } else if let Some(rest) = s.strip_prefix("oneOf:") {
        Ty::OneOf(rest.split('|').collect())
    } else if s == "any" {
        Ty::Any
    } else {
        match s.split_once('/') {
            Some((t, f)) => Ty::Prim(t, Some(f)),
            None => Ty::Prim(s, None),
        }
    }
}

fn parse(data: &'static str) -> BTreeMap<&'static str, TypeDef> {
    let mut types: BTreeMap<&'static str, TypeDef> = BTreeMap::new();
    let mut current: Option<TypeDef> = None;
    // Where the description lines go: the type's own or its last field's.
    let mut in_field = false;
    // Every description spelled out so far, in order: what `d <n>` repeats.
    let mut descriptions: Vec<String> = Vec::new();
    for line in data.lines() {
        let (tag, rest) = line.split_once(' ').unwrap_or((line, ""));
        match tag {
            "T" => {
                if let Some(t) = current.take() {
                    types.insert(t.name, t);
                }
                let (name, ty) = rest.split_once(' ').unwrap_or((rest, "object"));
                current = Some(TypeDef {
                    name,
                    ty: parse_ty(ty),
                    gvk: Vec::new(),
                    required: Vec::new(),
                    description: String::new(),
                    fields: Vec::new(),
                });
                in_field = false;
            }
            "G" => {
                let w: Vec<&'static str> = rest.split(' ').collect();
                if let (Some(t), [g, v, k]) = (current.as_mut(), w.as_slice()) {
                    t.gvk.push((g, v, k));
                }
            }
            "R" => {
                if let Some(t) = current.as_mut() {
                    t.required = rest.split(',').collect();
                }
            }
            "F" => {
                let mut words = rest.split(' ');
                let name = words.next().unwrap_or("");
                let ty = parse_ty(words.next().unwrap_or("any"));
                let mut ext = Vec::new();
                let mut enum_values = Vec::new();
                for w in words {
                    if let Some((k, v)) = w.split_once('=') {
                        if k == "enum" {
                            enum_values = v.split('|').collect();
                        } else {
                            ext.push((k, v));
                        }
                    }
                }
                if let Some(t) = current.as_mut() {
                    t.fields.push(Field {
                        name,
                        ty,
                        ext,
                        enum_values,
                        description: String::new(),
                    });
                }
                in_field = true;
            }
            "D" | "|" | "d" => {
                if tag == "D" {
                    descriptions.push(String::new());
                }
                let Some(t) = current.as_mut() else { continue };
                let target = if in_field {
                    match t.fields.last_mut() {
                        Some(f) => &mut f.description,
                        None => continue,
                    }
                } else {
                    &mut t.description
                };
                if tag == "d" {
                    let n: usize = rest.parse().unwrap_or(usize::MAX);
                    target.push_str(descriptions.get(n).map_or("", String::as_str));
                    continue;
                }
                if tag == "|" {
                    target.push('\n');
                }
                target.push_str(rest);
                if let Some(d) = descriptions.last_mut() {
                    if tag == "|" {
                        d.push('\n');
                    }
                    d.push_str(rest);
                }
            }
            _ => {}
        }
    }
    if let Some(t) = current.take() {
        types.insert(t.name, t);
    }
    types
}

/// Every type, by short name (`api.apps.v1.StatefulSet`).
pub fn types() -> &'static BTreeMap<&'static str, TypeDef> {
    static TYPES: OnceLock<BTreeMap<&'static str, TypeDef>> = OnceLock::new();
    TYPES.get_or_init(|| parse(DATA))
}

/// The type that is the given kind.
pub fn kind_type(group: &str, version: &str, kind: &str) -> Option<&'static TypeDef> {
    types().values().find(|t| {
        t.gvk
            .iter()
            .any(|&(g, v, k)| (g, v, k) == (group, version, kind))
    })
}

/// The names of `roots` and of every type they reach, sorted.
pub fn closure(roots: &[&'static str]) -> Vec<&'static str> {
    fn refs(ty: &Ty, out: &mut Vec<&'static str>) {
        match ty {
            Ty::Ref(n) => out.push(n),
            Ty::Array(t) | Ty::Map(t) => refs(t, out),
            _ => {}
        }
    }
    let mut seen: Vec<&'static str> = Vec::new();
    let mut todo: Vec<&'static str> = roots.to_vec();
    while let Some(n) = todo.pop() {
        if seen.contains(&n) {
            continue;
        }
        seen.push(n);
        if let Some(t) = types().get(n) {
            for f in &t.fields {
                refs(&f.ty, &mut todo);
            }
        }
    }
    kubeplay_shell::sorting::sort(&mut seen);
    seen
}

/// The name a `$ref` points at in an OpenAPI v3 document.
pub fn ref_path(name: &str) -> String {
    format!("#/components/schemas/{PREFIX}{name}")
}

/// The components key of a type.
pub fn component_name(name: &str) -> String {
    format!("{PREFIX}{name}")
}

fn prim_json(ty: &Ty) -> Map<String, Value> {
    let mut m = Map::new();
    match ty {
        Ty::Prim(t, f) => {
            m.insert("type".into(), json!(t));
            if let Some(f) = f {
                m.insert("format".into(), json!(f));
            }
        }
        Ty::Ref(n) => {
            m.insert("$ref".into(), json!(ref_path(n)));
        }
        Ty::Array(item) => {
            m.insert("type".into(), json!("array"));
            m.insert("items".into(), Value::Object(prim_json(item)));
        }
        Ty::Map(item) => {
            m.insert("type".into(), json!("object"));
            m.insert(
                "additionalProperties".into(),
                Value::Object(prim_json(item)),
            );
        }
        Ty::OneOf(alts) => {
            let alts: Vec<Value> = alts.iter().map(|t| json!({ "type": t })).collect();
            m.insert("oneOf".into(), Value::Array(alts));
        }
        Ty::Any => {}
    }
    m
}

const EXTENSIONS: &[(&str, &str)] = &[
    ("pmk", "x-kubernetes-patch-merge-key"),
    ("ps", "x-kubernetes-patch-strategy"),
    ("lt", "x-kubernetes-list-type"),
    ("mt", "x-kubernetes-map-type"),
];

/// One field as an OpenAPI v3 property: a described reference is wrapped in `allOf`, as
/// kube-apiserver publishes it (a `$ref`'s siblings are ignored in OpenAPI 3.0).
fn property_json(f: &Field) -> Value {
    let mut m = match (&f.ty, f.description.is_empty()) {
        (Ty::Ref(n), false) => {
            let mut m = Map::new();
            m.insert("allOf".into(), json!([{ "$ref": ref_path(n) }]));
            m
        }
        (ty, _) => prim_json(ty),
    };
    if !f.description.is_empty() {
        m.insert("description".into(), json!(f.description));
    }
    if !f.enum_values.is_empty() {
        m.insert("enum".into(), json!(f.enum_values));
    }
    for (k, v) in &f.ext {
        if let Some((_, long)) = EXTENSIONS.iter().find(|(s, _)| s == k) {
            m.insert((*long).into(), json!(v));
        } else if *k == "lmk" {
            let keys: Vec<&str> = v.split(',').collect();
            m.insert("x-kubernetes-list-map-keys".into(), json!(keys));
        }
    }
    Value::Object(m)
}

/// A type as an OpenAPI v3 component schema.
pub fn schema_json(t: &TypeDef) -> Value {
    let mut m = prim_json(&t.ty);
    if !t.description.is_empty() {
        m.insert("description".into(), json!(t.description));
    }
    if !t.fields.is_empty() {
        // Inserts, not `collect` (which sorts its input): page size, issue 4.
        let mut props = Map::new();
        props.extend(
            t.fields
                .iter()
                .map(|f| (f.name.to_string(), property_json(f))),
        );
        m.insert("properties".into(), Value::Object(props));
    }
    if !t.required.is_empty() {
        m.insert("required".into(), json!(t.required));
    }
    if !t.gvk.is_empty() {
        let gvks: Vec<Value> = t
            .gvk
            .iter()
            .map(|(g, v, k)| json!({"group": g, "version": v, "kind": k}))
            .collect();
        m.insert("x-kubernetes-group-version-kind".into(), Value::Array(gvks));
    }
    Value::Object(m)
}

/// `components.schemas` for the given kinds' types and all they reach: every `$ref` in it
/// resolves.
pub fn components(roots: &[&'static str]) -> Map<String, Value> {
    let mut out = Map::new();
    out.extend(
        closure(roots)
            .into_iter()
            .filter_map(|n| types().get(n))
            .map(|t| (component_name(t.name), schema_json(t))),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resolves(v: &Value, comps: &Map<String, Value>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    let name = r.trim_start_matches("#/components/schemas/");
                    assert!(comps.contains_key(name), "unresolved {r}");
                }
                m.values().for_each(|x| resolves(x, comps));
            }
            Value::Array(a) => a.iter().for_each(|x| resolves(x, comps)),
            _ => {}
        }
    }

    #[test]
    fn every_served_kind_has_a_schema_whose_refs_all_resolve() {
        for r in kubeplay_engine::kinds::RESOURCES {
            let t = kind_type(r.group, r.version, r.kind_name)
                .unwrap_or_else(|| panic!("no schema for {}", r.kind_name));
            let comps = components(&[t.name]);
            assert!(comps.len() > 1 || t.fields.len() <= 4);
            comps.values().for_each(|v| resolves(v, &comps));
        }
    }

    #[test]
    fn the_compact_form_reads_back_to_the_source_text() {
        let source = parse(include_str!("schema.txt"));
        let compact = types();
        assert!(DATA.len() < include_str!("schema.txt").len());
        assert!(DATA.lines().any(|l| l.starts_with("d ")));
        assert_eq!(source.len(), compact.len());
        for (name, s) in &source {
            let c = &compact[name];
            assert_eq!(s.description, c.description, "{name}");
            assert_eq!(s.fields.len(), c.fields.len(), "{name}");
            for (sf, cf) in s.fields.iter().zip(&c.fields) {
                assert_eq!(
                    (sf.name, &sf.ty, &sf.enum_values, &sf.description, &sf.ext),
                    (cf.name, &cf.ty, &cf.enum_values, &cf.description, &cf.ext),
                    "{name}.{}",
                    sf.name
                );
            }
        }
    }

    #[test]
    fn statefulset_fields_carry_merge_keys_enums_and_docs() {
        let spec = &types()["api.core.v1.PodSpec"];
        let containers = spec.fields.iter().find(|f| f.name == "containers").unwrap();
        assert_eq!(
            containers.ty,
            Ty::Array(Box::new(Ty::Ref("api.core.v1.Container")))
        );
        assert!(containers.ext.contains(&("pmk", "name")));
        assert!(containers.ext.contains(&("lmk", "name")));
        let strategy = &types()["api.apps.v1.StatefulSetUpdateStrategy"];
        let ty = strategy.fields.iter().find(|f| f.name == "type").unwrap();
        assert_eq!(ty.enum_values, ["OnDelete", "RollingUpdate"]);
        assert!(ty
            .description
            .starts_with("Type indicates the type of the StatefulSetUpdateStrategy. Default is RollingUpdate.\n\nPossible enum values:\n - `\"OnDelete\"` triggers"));
        let json = schema_json(strategy);
        assert_eq!(
            json["properties"]["rollingUpdate"]["allOf"][0]["$ref"],
            "#/components/schemas/io.k8s.api.apps.v1.RollingUpdateStatefulSetStrategy"
        );
        assert_eq!(
            json["properties"]["type"]["enum"],
            json!(["OnDelete", "RollingUpdate"])
        );
    }
}

//! The OpenAPI v3 documents kubectl reads: `/openapi/v3` lists the group-versions, and each
//! group-version's document carries a PATCH operation per kind (so kubectl learns that
//! every kind accepts `fieldValidation` and strategic-merge patches) and, in
//! `components.schemas`, the Kubernetes 1.35 schemas of the kinds served at that version
//! and of every type they reach (`kubeplay_kubectl::schema`, the same data the built-in
//! `kubectl explain` prints from). `kubectl explain` renders from these.
//!
//! Why every type, and never a partial tree: kubectl 1.33's apply looks up the schema whose
//! `x-kubernetes-group-version-kind` names the applied kind and, when there is one,
//! computes its strategic merge patch from that schema instead of its compiled-in types.
//! Every field of the manifest (and every `$ref` on the way, ObjectMeta included) must then
//! resolve, or apply prints `warning: error calculating patch from openapi v3 spec: unable
//! to resolve #/components/schemas/...` before falling back. The merge keys, patch
//! strategies and list types must be upstream's, or the patches differ from a real
//! cluster's. A kind whose document has no schema for it (a deprecated version) falls back
//! to kubectl's compiled-in types, as against a server without schemas.
//! `/openapi/v2` stays 404: kubectl treats that as "no v2 schema" and falls back.

use kubeplay_engine::kinds::{ResourceInfo, RESOURCES};
use kubeplay_kubectl::schema;
use serde_json::{json, Value};

fn gv_key(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// A content hash stands in for kube-apiserver's ETag-derived one: stable per build.
const HASH: &str = "kubeplay1";

/// Every served group-version (deprecated ones included: kubectl asks for the document of
/// the version a manifest names before it creates the object).
fn group_versions() -> Vec<(&'static str, &'static str)> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for r in RESOURCES {
        for v in crate::discovery::versions_of(r.group) {
            if !out.contains(&(r.group, v)) {
                out.push((r.group, v));
            }
        }
    }
    out
}

/// `/openapi/v3`: the group-versions and where their documents are.
pub fn root() -> Value {
    let mut paths = serde_json::Map::new();
    for (group, version) in group_versions() {
        let key = gv_key(group, version);
        paths.insert(
            key.clone(),
            json!({"serverRelativeURL": format!("/openapi/v3/{key}?hash={HASH}")}),
        );
    }
    json!({ "paths": paths })
}

fn patch_op(r: &ResourceInfo, version: &str) -> Value {
    let param = |n: &str| json!({"name": n, "in": "query", "schema": {"type": "string"}});
    let body = json!({"schema": {"type": "object"}});
    json!({
        "operationId": format!("patch{}", r.kind_name),
        "x-kubernetes-action": "patch",
        "x-kubernetes-group-version-kind": {"group": r.group, "version": version, "kind": r.kind_name},
        "parameters": [param("dryRun"), param("fieldManager"), param("fieldValidation"), param("force")],
        "requestBody": {"required": true, "content": {
            "application/json-patch+json": body,
            "application/merge-patch+json": body,
            "application/strategic-merge-patch+json": body,
            "application/apply-patch+yaml": body,
        }},
        "responses": {"200": {"description": "OK"}},
    })
}

/// `/openapi/v3/api/v1`, `/openapi/v3/apis/<g>/<v>`: None when the group-version is not served.
pub fn group_version(path: &str) -> Option<Value> {
    let mut paths = serde_json::Map::new();
    let mut roots = Vec::new();
    for r in RESOURCES {
        let Some(version) = crate::discovery::versions_of(r.group)
            .into_iter()
            .find(|v| gv_key(r.group, v) == path && crate::discovery::serves(r, v))
        else {
            continue;
        };
        let prefix = format!("/{path}");
        let url = if r.namespaced {
            format!("{prefix}/namespaces/{{namespace}}/{}/{{name}}", r.plural)
        } else {
            format!("{prefix}/{}/{{name}}", r.plural)
        };
        paths.insert(url, json!({"patch": patch_op(r, version)}));
        if let Some(t) = schema::kind_type(r.group, version, r.kind_name) {
            roots.push(t.name);
        }
    }
    if paths.is_empty() {
        return None;
    }
    Some(json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": "v1.35.0"},
        "paths": paths,
        "components": {"schemas": schema::components(&roots)},
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::String(r)) = m.get("$ref") {
                    out.push(r);
                }
                m.values().for_each(|x| refs(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
            _ => {}
        }
    }

    /// kubectl's apply computes patches from the schema naming the kind: it must be there,
    /// and every reference in the document must resolve (or apply warns and falls back).
    #[test]
    fn each_document_names_its_kinds_and_resolves_every_reference() {
        for (path, kinds) in [
            (
                "apis/apps/v1",
                &["StatefulSet", "Deployment", "ReplicaSet"][..],
            ),
            ("api/v1", &["Pod", "Service", "PersistentVolumeClaim"][..]),
            ("apis/policy/v1", &["PodDisruptionBudget"][..]),
        ] {
            let doc = group_version(path).unwrap();
            let schemas = doc["components"]["schemas"].as_object().unwrap();
            for kind in kinds {
                assert!(
                    schemas
                        .values()
                        .any(|s| s["x-kubernetes-group-version-kind"]
                            .as_array()
                            .is_some_and(|g| g.iter().any(|g| g["kind"] == *kind))),
                    "{path}: no schema for {kind}"
                );
            }
            let mut all = Vec::new();
            refs(&doc, &mut all);
            for r in all {
                let name = r.trim_start_matches("#/components/schemas/");
                assert!(schemas.contains_key(name), "{path}: {r} does not resolve");
            }
        }
        let sts = &group_version("apis/apps/v1").unwrap()["components"]["schemas"]
            ["io.k8s.api.apps.v1.StatefulSetSpec"]["properties"]["volumeClaimTemplates"];
        // No merge key: kubectl replaces the whole list, as against a real cluster.
        assert!(sts.get("x-kubernetes-patch-merge-key").is_none());
        assert_eq!(sts["x-kubernetes-list-type"], "atomic");
    }
}

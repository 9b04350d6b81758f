//! Discovery documents (`/version`, `/api`, `/apis`, `/api/v1`, `/apis/<g>/<v>`, and the
//! aggregated `apidiscovery.k8s.io/v2` form), all built from the engine's `kinds::RESOURCES`
//! so kubectl resolves exactly the names the built-in kubectl resolves.
//!
//! Besides each kind's served version, the deprecated group-versions the engine accepts
//! (`apps/v1beta1`, `apps/v1beta2`, `policy/v1beta1`: issue 2 requires the 2016–2017 tutorial
//! manifests to run) are listed as a server that still serves them lists them: after the
//! preferred version, so kubectl maps them without ever preferring them.

use kubeplay_engine::api::has_status_subresource;
use kubeplay_engine::kinds::{ResourceInfo, RESOURCES};
use kubeplay_engine::Kind;
use serde_json::{json, Value};

pub fn version() -> Value {
    json!({
        "major": "1",
        "minor": "35",
        "emulationMajor": "1",
        "emulationMinor": "35",
        "minCompatibilityMajor": "1",
        "minCompatibilityMinor": "34",
        "gitVersion": "v1.35.0",
        "gitCommit": "66452049f3d692768c39c797b21b793dce80314e",
        "gitTreeState": "clean",
        "buildDate": "2025-12-17T12:32:06Z",
        "goVersion": "go1.25.5",
        "compiler": "gc",
        "platform": "linux/amd64"
    })
}

pub use kubeplay_engine::kinds::{groups, serves, versions_of};

fn version_of(group: &str) -> &'static str {
    versions_of(group).first().copied().unwrap_or("v1")
}

pub fn api_versions(server: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server}],
    })
}

fn group_value(g: &str) -> Value {
    let gv = |v: &str| json!({"groupVersion": format!("{g}/{v}"), "version": v});
    let versions: Vec<Value> = versions_of(g).into_iter().map(gv).collect();
    json!({"name": g, "versions": versions, "preferredVersion": gv(version_of(g))})
}

pub fn api_group_list() -> Value {
    json!({
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": groups().into_iter().map(group_value).collect::<Vec<_>>(),
    })
}

pub fn api_group(g: &str) -> Option<Value> {
    groups().contains(&g).then(|| {
        let mut v = group_value(g);
        v["kind"] = json!("APIGroup");
        v["apiVersion"] = json!("v1");
        v
    })
}

/// Subresources of a kind: (name, group, version, kind, verbs).
pub fn subresources(
    kind: Kind,
) -> Vec<(
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
)> {
    const GPU: &[&str] = &["get", "patch", "update"];
    let info = kind.info();
    let mut out = Vec::new();
    if has_status_subresource(kind) {
        out.push(("status", info.group, info.version, info.kind_name, GPU));
    }
    if matches!(
        kind,
        Kind::StatefulSet | Kind::Deployment | Kind::ReplicaSet
    ) {
        out.push(("scale", "autoscaling", "v1", "Scale", GPU));
    }
    if kind == Kind::Pod {
        out.push(("binding", "", "v1", "Binding", &["create"]));
        out.push(("eviction", "policy", "v1", "Eviction", &["create"]));
        out.push(("log", "", "v1", "Pod", &["get"]));
        out.push(("exec", "", "v1", "PodExecOptions", &["create", "get"]));
        out.push(("attach", "", "v1", "PodAttachOptions", &["create", "get"]));
    }
    out
}

fn resources_in<'a>(
    group: &'a str,
    version: &'a str,
) -> impl Iterator<Item = &'static ResourceInfo> + 'a {
    RESOURCES
        .iter()
        .filter(move |r| r.group == group && serves(r, version))
}

/// `APIResourceList` for `/api/v1` or `/apis/<group>/<version>`; None when not served.
pub fn api_resource_list(group: &str, version: &str) -> Option<Value> {
    let mut resources = Vec::new();
    for r in resources_in(group, version) {
        let mut v = json!({
            "name": r.plural,
            "singularName": r.singular,
            "namespaced": r.namespaced,
            "kind": r.kind_name,
            "verbs": r.verbs,
        });
        if !r.short_names.is_empty() {
            v["shortNames"] = json!(r.short_names);
        }
        if !r.categories.is_empty() {
            v["categories"] = json!(r.categories);
        }
        resources.push(v);
        for (sub, g, ver, k, verbs) in subresources(r.kind) {
            let mut s = json!({
                "name": format!("{}/{sub}", r.plural),
                "singularName": "",
                "namespaced": r.namespaced,
                "kind": k,
                "verbs": verbs,
            });
            if g != r.group || ver != r.version {
                s["group"] = json!(g);
                s["version"] = json!(ver);
            }
            resources.push(s);
        }
    }
    if resources.is_empty() {
        return None;
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": gv,
        "resources": resources,
    }))
}

/// `APIGroupDiscovery` for one group (aggregated discovery v2).
fn group_discovery(group: &str) -> Value {
    let versions: Vec<Value> = versions_of(group)
        .into_iter()
        .map(|v| version_discovery(group, v))
        .collect();
    let mut meta = json!({});
    if !group.is_empty() {
        meta["name"] = json!(group);
    }
    json!({"metadata": meta, "versions": versions})
}

/// `APIVersionDiscovery` for one version of a group.
fn version_discovery(group: &str, version: &str) -> Value {
    let resources: Vec<Value> = resources_in(group, version)
        .map(|r| {
            let mut v = json!({
                "resource": r.plural,
                "responseKind": {"group": r.group, "version": version, "kind": r.kind_name},
                "scope": if r.namespaced { "Namespaced" } else { "Cluster" },
                "singularResource": r.singular,
                "verbs": r.verbs,
            });
            if !r.short_names.is_empty() {
                v["shortNames"] = json!(r.short_names);
            }
            if !r.categories.is_empty() {
                v["categories"] = json!(r.categories);
            }
            let subs: Vec<Value> = subresources(r.kind)
                .into_iter()
                .map(|(sub, g, ver, k, verbs)| {
                    // Status (and the like) come back in the version asked for.
                    let ver = if g == r.group && ver == r.version {
                        version
                    } else {
                        ver
                    };
                    json!({
                        "subresource": sub,
                        "responseKind": {"group": g, "version": ver, "kind": k},
                        "verbs": verbs,
                    })
                })
                .collect();
            if !subs.is_empty() {
                v["subresources"] = json!(subs);
            }
            v
        })
        .collect();
    json!({"version": version, "resources": resources, "freshness": "Current"})
}

pub const AGGREGATED_CONTENT_TYPE: &str =
    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

/// Aggregated discovery: `/api` holds the core group, `/apis` every other group.
pub fn aggregated(core: bool) -> Value {
    let items: Vec<Value> = if core {
        vec![group_discovery("")]
    } else {
        groups().into_iter().map(group_discovery).collect()
    };
    json!({
        "kind": "APIGroupDiscoveryList",
        "apiVersion": "apidiscovery.k8s.io/v2",
        "metadata": {},
        "items": items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apps_lists_statefulsets_with_scale_subresource() {
        let l = api_resource_list("apps", "v1").unwrap();
        let names: Vec<&str> = l["resources"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["name"].as_str())
            .collect();
        assert!(names.contains(&"statefulsets"));
        assert!(names.contains(&"statefulsets/scale"));
        let scale = l["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == "statefulsets/scale")
            .unwrap();
        assert_eq!(scale["group"], "autoscaling");
        assert!(api_resource_list("apps", "v2").is_none());
        assert!(groups().contains(&"policy"));
    }
}

//! The resource types the simulated API server serves, with the names kubectl resolves.
//!
//! This table is the single source for group/version/plural/short names; kubectl's resource
//! lookup, `api-resources`, discovery in the API server and the store's index all read it.

use serde::{Deserialize, Serialize};

/// A served resource type. Ordered so that the store iterates kinds deterministically.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Kind {
    Namespace,
    Node,
    Pod,
    Service,
    Endpoints,
    EndpointSlice,
    PersistentVolumeClaim,
    PersistentVolume,
    StorageClass,
    ConfigMap,
    Secret,
    ServiceAccount,
    Event,
    StatefulSet,
    ControllerRevision,
    Deployment,
    ReplicaSet,
    DaemonSet,
    PodDisruptionBudget,
}

/// Static facts about one resource type.
#[derive(Debug)]
pub struct ResourceInfo {
    pub kind: Kind,
    pub kind_name: &'static str,
    /// API group; "" for the core group.
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub short_names: &'static [&'static str],
    pub namespaced: bool,
    /// Verbs as `kubectl api-resources -o wide` prints them.
    pub verbs: &'static [&'static str],
    pub categories: &'static [&'static str],
}

const ALL_VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
const NO_COLLECTION_VERBS: &[&str] = &[
    "create", "delete", "get", "list", "patch", "update", "watch",
];

macro_rules! res {
    ($kind:ident, $group:expr, $version:expr, $plural:expr, $singular:expr, [$($short:expr),*], $ns:expr, $verbs:expr, [$($cat:expr),*]) => {
        ResourceInfo {
            kind: Kind::$kind,
            kind_name: stringify!($kind),
            group: $group,
            version: $version,
            plural: $plural,
            singular: $singular,
            short_names: &[$($short),*],
            namespaced: $ns,
            verbs: $verbs,
            categories: &[$($cat),*],
        }
    };
}

/// Every served resource, in the order `kubectl api-resources` groups them (core first).
pub static RESOURCES: &[ResourceInfo] = &[
    res!(
        ConfigMap,
        "",
        "v1",
        "configmaps",
        "configmap",
        ["cm"],
        true,
        ALL_VERBS,
        []
    ),
    res!(
        Endpoints,
        "",
        "v1",
        "endpoints",
        "endpoints",
        ["ep"],
        true,
        ALL_VERBS,
        []
    ),
    res!(
        Event,
        "",
        "v1",
        "events",
        "event",
        ["ev"],
        true,
        ALL_VERBS,
        []
    ),
    res!(
        Namespace,
        "",
        "v1",
        "namespaces",
        "namespace",
        ["ns"],
        false,
        NO_COLLECTION_VERBS,
        []
    ),
    res!(
        Node,
        "",
        "v1",
        "nodes",
        "node",
        ["no"],
        false,
        ALL_VERBS,
        []
    ),
    res!(
        PersistentVolumeClaim,
        "",
        "v1",
        "persistentvolumeclaims",
        "persistentvolumeclaim",
        ["pvc"],
        true,
        ALL_VERBS,
        []
    ),
    res!(
        PersistentVolume,
        "",
        "v1",
        "persistentvolumes",
        "persistentvolume",
        ["pv"],
        false,
        ALL_VERBS,
        []
    ),
    res!(
        Pod,
        "",
        "v1",
        "pods",
        "pod",
        ["po"],
        true,
        ALL_VERBS,
        ["all"]
    ),
    res!(
        Secret,
        "",
        "v1",
        "secrets",
        "secret",
        [],
        true,
        ALL_VERBS,
        []
    ),
    res!(
        ServiceAccount,
        "",
        "v1",
        "serviceaccounts",
        "serviceaccount",
        ["sa"],
        true,
        ALL_VERBS,
        []
    ),
    res!(
        Service,
        "",
        "v1",
        "services",
        "service",
        ["svc"],
        true,
        NO_COLLECTION_VERBS,
        ["all"]
    ),
    res!(
        ControllerRevision,
        "apps",
        "v1",
        "controllerrevisions",
        "controllerrevision",
        [],
        true,
        ALL_VERBS,
        []
    ),
    res!(
        DaemonSet,
        "apps",
        "v1",
        "daemonsets",
        "daemonset",
        ["ds"],
        true,
        ALL_VERBS,
        ["all"]
    ),
    res!(
        Deployment,
        "apps",
        "v1",
        "deployments",
        "deployment",
        ["deploy"],
        true,
        ALL_VERBS,
        ["all"]
    ),
    res!(
        ReplicaSet,
        "apps",
        "v1",
        "replicasets",
        "replicaset",
        ["rs"],
        true,
        ALL_VERBS,
        ["all"]
    ),
    res!(
        StatefulSet,
        "apps",
        "v1",
        "statefulsets",
        "statefulset",
        ["sts"],
        true,
        ALL_VERBS,
        ["all"]
    ),
    res!(
        EndpointSlice,
        "discovery.k8s.io",
        "v1",
        "endpointslices",
        "endpointslice",
        [],
        true,
        ALL_VERBS,
        []
    ),
    res!(
        PodDisruptionBudget,
        "policy",
        "v1",
        "poddisruptionbudgets",
        "poddisruptionbudget",
        ["pdb"],
        true,
        ALL_VERBS,
        []
    ),
    res!(
        StorageClass,
        "storage.k8s.io",
        "v1",
        "storageclasses",
        "storageclass",
        ["sc"],
        false,
        ALL_VERBS,
        []
    ),
];

impl Kind {
    pub fn info(self) -> &'static ResourceInfo {
        // RESOURCES holds every Kind exactly once (checked by a test below).
        RESOURCES
            .iter()
            .find(|r| r.kind == self)
            .expect("every kind is in RESOURCES")
    }

    pub fn name(self) -> &'static str {
        self.info().kind_name
    }

    pub fn plural(self) -> &'static str {
        self.info().plural
    }

    pub fn namespaced(self) -> bool {
        self.info().namespaced
    }

    /// `apps/v1`, or `v1` for the core group.
    pub fn api_version(self) -> String {
        let i = self.info();
        if i.group.is_empty() {
            i.version.to_string()
        } else {
            // Joined by hand: every write stamps it (`format!` costs more than the copy).
            let mut s = String::with_capacity(i.group.len() + 1 + i.version.len());
            s.push_str(i.group);
            s.push('/');
            s.push_str(i.version);
            s
        }
    }

    /// `statefulset.apps` / `pod`: the prefix kubectl's name printer uses.
    pub fn group_kind_lower(self) -> String {
        let i = self.info();
        if i.group.is_empty() {
            i.kind_name.to_lowercase()
        } else {
            format!("{}.{}", i.kind_name.to_lowercase(), i.group)
        }
    }

    /// `statefulsets.apps` / `pods`: the resource name used in API error messages.
    pub fn group_resource(self) -> String {
        let i = self.info();
        if i.group.is_empty() {
            i.plural.to_string()
        } else {
            format!("{}.{}", i.plural, i.group)
        }
    }

    /// Finds the kind for an object's `apiVersion` + `kind`. Returns the kind and whether
    /// the version is a deprecated alias (e.g. apps/v1beta1) rather than the served one.
    pub fn from_api_version_kind(api_version: &str, kind: &str) -> Option<(Kind, bool)> {
        let (group, version) = match api_version.split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", api_version),
        };
        let info = RESOURCES
            .iter()
            .find(|r| r.kind_name == kind && r.group == group)?;
        if info.version == version {
            return Some((info.kind, false));
        }
        let legacy = matches!(
            (group, version, kind),
            (
                "apps",
                "v1beta1" | "v1beta2",
                "StatefulSet" | "Deployment" | "ControllerRevision"
            ) | ("apps", "v1beta2", "ReplicaSet" | "DaemonSet")
                | ("policy", "v1beta1", "PodDisruptionBudget")
        );
        legacy.then_some((info.kind, true))
    }

    /// Resolves a name as kubectl does: plural, singular, short name, kind, or `plural.group`.
    pub fn resolve(name: &str) -> Option<Kind> {
        let lower = name.to_lowercase();
        let (base, group) = match lower.split_once('.') {
            Some((b, g)) => (b.to_string(), Some(g.to_string())),
            None => (lower.clone(), None),
        };
        RESOURCES
            .iter()
            .find(|r| {
                let name_matches = r.plural == base
                    || r.singular == base
                    || r.kind_name.to_lowercase() == base
                    || r.short_names.contains(&base.as_str());
                let group_matches = match &group {
                    None => true,
                    Some(g) => {
                        r.group == g
                            || (r.group.is_empty() && g == "v1")
                            || format!("{}.{}", r.version, r.group) == *g
                    }
                };
                name_matches && group_matches
            })
            .map(|r| r.kind)
    }

    pub fn all() -> impl Iterator<Item = Kind> {
        RESOURCES.iter().map(|r| r.kind)
    }
}

/// Served API groups other than core, in `/apis` order.
pub fn groups() -> Vec<&'static str> {
    let mut gs: Vec<&'static str> = Vec::new();
    for r in RESOURCES {
        if !r.group.is_empty() && !gs.contains(&r.group) {
            gs.push(r.group);
        }
    }
    gs
}

/// Older versions the engine may accept for a group's kinds, newest first.
const LEGACY_VERSIONS: &[&str] = &["v1beta2", "v1beta1"];

/// Whether resource `r` is served at `version`: its own version, or a deprecated one the
/// engine accepts for it (`Kind::from_api_version_kind` is the one table of those).
pub fn serves(r: &ResourceInfo, version: &str) -> bool {
    if r.version == version {
        return true;
    }
    !r.group.is_empty()
        && Kind::from_api_version_kind(&format!("{}/{version}", r.group), r.kind_name)
            == Some((r.kind, true))
}

/// Every version served for `group` (`""` is core), the preferred one first.
pub fn versions_of(group: &str) -> Vec<&'static str> {
    let preferred = RESOURCES
        .iter()
        .find(|r| r.group == group)
        .map(|r| r.version)
        .unwrap_or("v1");
    let mut out = vec![preferred];
    for v in LEGACY_VERSIONS {
        if RESOURCES.iter().any(|r| r.group == group && serves(r, v)) && !out.contains(v) {
            out.push(v);
        }
    }
    out
}

/// Every served `group/version` (`v1` for core), sorted as `kubectl api-versions` prints them.
pub fn served_group_versions() -> Vec<String> {
    let mut out = vec!["v1".to_string()];
    for g in groups() {
        for v in versions_of(g) {
            out.push(format!("{g}/{v}"));
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_listed_once_and_resolves() {
        for k in Kind::all() {
            assert_eq!(RESOURCES.iter().filter(|r| r.kind == k).count(), 1);
            assert_eq!(Kind::resolve(k.plural()), Some(k));
        }
        assert_eq!(Kind::resolve("sts"), Some(Kind::StatefulSet));
        assert_eq!(Kind::resolve("po"), Some(Kind::Pod));
        assert_eq!(Kind::resolve("statefulsets.apps"), Some(Kind::StatefulSet));
        assert_eq!(Kind::resolve("StatefulSet"), Some(Kind::StatefulSet));
        assert_eq!(Kind::resolve("pvc"), Some(Kind::PersistentVolumeClaim));
        assert_eq!(Kind::resolve("foo"), None);
    }

    #[test]
    fn legacy_api_versions_are_accepted_as_aliases() {
        assert_eq!(
            Kind::from_api_version_kind("apps/v1beta1", "StatefulSet"),
            Some((Kind::StatefulSet, true))
        );
        assert_eq!(
            Kind::from_api_version_kind("apps/v1", "StatefulSet"),
            Some((Kind::StatefulSet, false))
        );
        assert_eq!(
            Kind::from_api_version_kind("v1", "Pod"),
            Some((Kind::Pod, false))
        );
        assert_eq!(Kind::from_api_version_kind("v2", "Pod"), None);
        assert_eq!(Kind::from_api_version_kind("v1", "Frob"), None);
    }
}

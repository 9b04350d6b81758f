//! "Why": what a StatefulSet's controller is waiting for, in words, for people (the page's
//! StatefulSet panel). It reruns the pure decision (`control::plan_update`) over what the store
//! holds now — the set, its pods, its claims and its recorded revisions — and returns the
//! plan's waiting reason.
//!
//! It must never write anything: no adoption, no new revision, no status. Where the sync would
//! first have to adopt or create something, the answer is None (nothing to wait for yet).

use super::control::{self, Gates, Inputs};
use super::utils;
use crate::api::Api;
use crate::kinds::Kind;
use crate::object;
use crate::selector::Selector;
use serde_json::Value;
use std::collections::BTreeMap;

/// The waiting reason of the set `namespace/name`'s next sync (e.g. "waiting for web-1 to be
/// Running and Ready"), or None when it waits for nothing (or does not exist).
pub fn explain(api: &Api, namespace: &str, name: &str) -> Option<String> {
    let set = api.try_get(Kind::StatefulSet, namespace, name)?;
    let selector = Selector::from_label_selector(object::get(set, &["spec", "selector"])?).ok()?;
    let uid = object::uid(set);
    let owned = |kind: Kind| -> Vec<Value> {
        let mut v: Vec<Value> = api
            .store
            .controlled_by(kind, uid)
            .filter(|o| object::namespace(o) == namespace)
            .filter(|o| object::controller_ref(o).is_some_and(|r| r.uid == uid))
            .map(|o| (**o).clone())
            .collect();
        kubeplay_shell::sorting::sort_by(&mut v, |a, b| object::name(a).cmp(object::name(b)));
        v
    };
    let pods: Vec<Value> = owned(Kind::Pod)
        .into_iter()
        .filter(|p| selector.matches_object(p) && utils::is_member_of(set, p))
        .collect();
    let mut revisions = owned(Kind::ControllerRevision);
    utils::sort_revisions(&mut revisions);
    let by_name = |field: &str| {
        let want = object::get_str(set, &["status", field]).unwrap_or("");
        revisions.iter().find(|r| object::name(r) == want).cloned()
    };
    let update = by_name("updateRevision").or_else(|| revisions.last().cloned())?;
    let current = by_name("currentRevision").unwrap_or_else(|| update.clone());
    let mut claim_objs = Vec::new();
    for t in utils::claim_templates(set) {
        let prefix = format!("{}-{}-", object::name(t), name);
        claim_objs.extend(
            api.store
                .list_prefix(Kind::PersistentVolumeClaim, namespace, &prefix)
                .map(|c| (**c).clone()),
        );
    }
    // Built by inserts, not `collect`: collecting into a BTreeMap compiles a whole stable
    // sort per key/value type into the web page (issue 4, size).
    let mut claims: BTreeMap<String, &Value> = BTreeMap::new();
    claims.extend(claim_objs.iter().map(|c| (object::name(c).to_string(), c)));
    let pod_refs: Vec<&Value> = pods.iter().collect();
    let plan = control::plan_update(&Inputs {
        set,
        pods: &pod_refs,
        facts: None,
        claims: &claims,
        current_revision: &current,
        update_revision: &update,
        collision_count: object::get_i64(set, &["status", "collisionCount"]).unwrap_or(0),
        now: api.now,
        gates: Gates::default(),
    });
    plan.waiting
}

#[cfg(test)]
mod tests {
    use crate::{Cluster, Config};
    use serde_json::json;

    #[test]
    fn a_starting_set_waits_for_its_first_pod_to_be_ready() {
        let mut c = Cluster::new(Config::default());
        let set = json!({
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"replicas": 2, "serviceName": "nginx",
                "selector": {"matchLabels": {"app": "nginx"}},
                "template": {"metadata": {"labels": {"app": "nginx"}},
                    "spec": {"containers": [{"name": "nginx", "image": "registry.k8s.io/nginx-slim:0.21"}]}}}
        });
        c.api.create(set).expect("created");
        c.run_now();
        assert_eq!(
            super::explain(&c.api, "default", "web").as_deref(),
            Some("waiting for web-0 to be Running and Ready")
        );
        c.settle(600_000);
        assert_eq!(super::explain(&c.api, "default", "web"), None);
        assert_eq!(super::explain(&c.api, "default", "nope"), None);
    }

    #[test]
    fn a_starting_parallel_set_is_not_a_rolling_update_that_waits() {
        let mut c = Cluster::new(Config::default());
        let set = json!({
            "apiVersion": "apps/v1", "kind": "StatefulSet",
            "metadata": {"name": "web", "namespace": "default"},
            "spec": {"replicas": 5, "serviceName": "nginx", "podManagementPolicy": "Parallel",
                "selector": {"matchLabels": {"app": "nginx"}},
                "template": {"metadata": {"labels": {"app": "nginx"}},
                    "spec": {"containers": [{"name": "nginx", "image": "registry.k8s.io/nginx-slim:0.21"}]}}}
        });
        c.api.create(set).expect("created");
        c.run_now();
        let all = crate::selector::Selector::everything();
        assert_eq!(c.api.list(crate::Kind::Pod, Some("default"), &all).len(), 5);
        assert_eq!(super::explain(&c.api, "default", "web"), None);
    }
}

//! The garbage collector ("garbagecollector") and pod GC ("pod-garbage-collector").
//!
//! The garbage collector keeps a graph of `metadata.ownerReferences` (owner uid → dependents)
//! from the watch stream and applies the three propagation policies (spec S3.9.8):
//! - background: once an owner is gone, every dependent with no other live owner is deleted,
//!   all at the same instant and in no particular order (pods get their default grace);
//! - foreground: an owner holding the `foregroundDeletion` finalizer has its dependents
//!   deleted, and loses the finalizer once no dependent with `blockOwnerDeletion` remains;
//! - orphan: an owner holding the `orphan` finalizer has its references removed from every
//!   dependent (pods, PVCs, ControllerRevisions ...), then loses the finalizer.
//!
//! Pod GC force-deletes pods bound to a Node that no longer exists (after the 40 s
//! quarantine upstream uses) and terminating pods on out-of-service nodes (spec S8.6).
//! Neither ever deletes an object that still has a live owner.

use crate::api::{Api, DeleteOptions, Propagation, FINALIZER_FOREGROUND, FINALIZER_ORPHAN};
use crate::controllers::{Action, Controller, Ctx, KeyParts, KeyView, ObjectKey};
use crate::kinds::Kind;
use crate::object::{self, OwnerRef};
use crate::store::{EventType, WatchEvent};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

/// How long pod GC waits after a Node disappears before deleting its pods (`quarantineTime`).
pub const NODE_QUARANTINE_MS: u64 = 40_000;
const OUT_OF_SERVICE_TAINT: &str = "node.kubernetes.io/out-of-service";

#[derive(Debug, Default)]
pub struct GarbageCollector {
    /// owner uid → dependents
    dependents: BTreeMap<String, BTreeSet<ObjectKey>>,
    /// dependent → its owner references (boxed: a node of keys with the references inline
    /// would be 1.5 KB, a large chunk for glibc, whose allocation first consolidates the
    /// allocator's fast bins; this map gains a node every few pods)
    owners_of: BTreeMap<ObjectKey, Box<Owners>>,
    /// Owners removed from the store whose dependents must be looked at: key → uids.
    gone: BTreeMap<ObjectKey, BTreeSet<String>>,
    /// Nodes found missing, with the end of their quarantine.
    missing_nodes: BTreeMap<String, crate::time::Time>,
}

/// A dependent's owner references: decoded, and as the object last spelled them.
#[derive(Debug)]
struct Owners {
    refs: Vec<OwnerRef>,
    /// `metadata.ownerReferences` as last seen: an event whose list equals it (most are status
    /// writes, which share it) needs no decoding to know the references did not change.
    raw: Value,
}

impl GarbageCollector {
    pub fn new() -> GarbageCollector {
        GarbageCollector::default()
    }

    /// Records `refs` (decoded from `raw`) as the owners of `key`; true when they changed.
    fn index(&mut self, key: &ObjectKey, refs: Vec<OwnerRef>, raw: Option<&Value>) -> bool {
        let same = match self.owners_of.get_mut(key) {
            Some(o) if o.refs == refs => {
                if let Some(raw) = raw {
                    o.raw = raw.clone();
                }
                true
            }
            Some(_) => false,
            None => refs.is_empty(),
        };
        if same {
            return false;
        }
        let old = self
            .owners_of
            .get(key)
            .map(|o| o.refs.clone())
            .unwrap_or_default();
        for r in &old {
            if let Some(set) = self.dependents.get_mut(&r.uid) {
                set.remove(key);
                if set.is_empty() {
                    self.dependents.remove(&r.uid);
                }
            }
        }
        for r in &refs {
            self.dependents
                .entry(r.uid.clone())
                .or_default()
                .insert(key.clone());
        }
        if refs.is_empty() {
            self.owners_of.remove(key);
        } else {
            let raw = raw.cloned().unwrap_or(Value::Null);
            self.owners_of
                .insert(key.clone(), Box::new(Owners { refs, raw }));
        }
        true
    }

    /// Whether `raw` (an object's `metadata.ownerReferences`) is the list last indexed for
    /// `key`: then it decodes to the same references.
    fn unchanged(&self, key: &dyn KeyView, raw: Option<&Value>) -> bool {
        match (self.owners_of.get(key), raw) {
            (Some(o), Some(raw)) => o.raw == *raw,
            (None, None) => true,
            _ => false,
        }
    }
}

/// The key of the object an owner reference names, seen from a dependent in `namespace`.
fn owner_key(r: &OwnerRef, namespace: &str) -> Option<ObjectKey> {
    let (kind, _) = Kind::from_api_version_kind(&r.api_version, &r.kind)?;
    let ns = if kind.namespaced() { namespace } else { "" };
    Some(ObjectKey::new(kind, ns, &r.name))
}

fn has_finalizer(obj: &Value, f: &str) -> bool {
    object::finalizers(obj).iter().any(|x| x == f)
}

impl Controller for GarbageCollector {
    fn name(&self) -> &'static str {
        "garbagecollector"
    }

    fn watches(&self, kind: Kind) -> bool {
        kind != Kind::Event
    }

    fn keys_for(&mut self, event: &WatchEvent, api: &Api, out: &mut Vec<ObjectKey>) {
        let obj = event.object();
        let parts = KeyParts::of(event.kind, obj);
        if event.event_type == EventType::Deleted {
            let key = parts.to_key();
            let refs = self
                .owners_of
                .get(&key)
                .map(|o| o.refs.clone())
                .unwrap_or_default();
            self.index(&key, Vec::new(), None);
            // Owners in foreground deletion wait for this dependent.
            for r in &refs {
                if let Some(k) = owner_key(r, object::namespace(obj)) {
                    out.push(k);
                }
            }
            let uid = object::uid(obj).to_string();
            if self.dependents.contains_key(&uid) {
                self.gone.entry(key.clone()).or_default().insert(uid);
                out.push(key.clone());
            }
            if event.kind == Kind::Node {
                out.push(key);
            }
            return;
        }
        // Most events are status writes with the references last seen: their key is only
        // looked up (borrowed), never copied.
        let raw = object::get(obj, &["metadata", "ownerReferences"]);
        if !self.unchanged(&parts, raw) {
            let key = parts.to_key();
            if self.index(&key, object::owner_refs(obj), raw) {
                out.push(key);
            }
        }
        if object::is_terminating(obj)
            && (has_finalizer(obj, FINALIZER_ORPHAN) || has_finalizer(obj, FINALIZER_FOREGROUND))
        {
            out.push(parts.to_key());
        }
        match event.kind {
            Kind::Pod => {
                let node = object::get_str(obj, &["spec", "nodeName"]).unwrap_or("");
                if !node.is_empty() {
                    let node_key = || ObjectKey::new(Kind::Node, "", node);
                    match api.try_get(Kind::Node, "", node) {
                        None if !self.missing_nodes.contains_key(node) => out.push(node_key()),
                        Some(n) if object::is_terminating(obj) && out_of_service(n) => {
                            out.push(node_key())
                        }
                        _ => {}
                    }
                }
            }
            Kind::Node => {
                self.missing_nodes.remove(object::name(obj));
                if out_of_service(obj) {
                    out.push(parts.to_key());
                }
            }
            _ => {}
        }
    }

    fn reconcile(&mut self, key: &ObjectKey, ctx: &mut Ctx<'_>) -> Action {
        let api = &mut *ctx.api;
        if key.kind == Kind::Node {
            return self.pod_gc(api, &key.name);
        }
        if let Some(uids) = self.gone.remove(key) {
            for uid in uids {
                let mut deps: Vec<ObjectKey> = self
                    .dependents
                    .get(&uid)
                    .map(|s| s.iter().cloned().collect())
                    .unwrap_or_default();
                shuffle(api, &mut deps);
                for d in deps {
                    self.attempt_to_delete(api, &d);
                }
            }
        }
        let Some(obj) = api.try_get(key.kind, &key.namespace, &key.name).cloned() else {
            return Action::Done;
        };
        if object::is_terminating(&obj) {
            if has_finalizer(&obj, FINALIZER_ORPHAN) {
                self.orphan_dependents(api, &obj);
                return Action::Done;
            }
            if has_finalizer(&obj, FINALIZER_FOREGROUND) {
                self.delete_dependents_first(api, &obj);
                return Action::Done;
            }
            return Action::Done;
        }
        self.attempt_to_delete(api, key);
        Action::Done
    }
}

/// Fisher–Yates with the cluster RNG: the GC's workers delete dependents in no fixed order.
fn shuffle<T>(api: &mut Api, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = api.rng.range(0, i as u64) as usize;
        items.swap(i, j);
    }
}

fn out_of_service(node: &Value) -> bool {
    object::get_array(node, &["spec", "taints"])
        .iter()
        .any(|t| object::get_str(t, &["key"]) == Some(OUT_OF_SERVICE_TAINT))
}

impl GarbageCollector {
    fn dependents_of(&self, uid: &str) -> Vec<ObjectKey> {
        self.dependents
            .get(uid)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// `attemptToDeleteItem`: deletes `key` if none of its owners is alive, or drops the
    /// references to dead owners when some other owner is alive.
    fn attempt_to_delete(&mut self, api: &mut Api, key: &ObjectKey) {
        let Some(obj) = api.try_get(key.kind, &key.namespace, &key.name).cloned() else {
            return;
        };
        if object::is_terminating(&obj) {
            return;
        }
        let refs = object::owner_refs(&obj);
        if refs.is_empty() {
            return;
        }
        let (mut solid, mut dangling, mut waiting) = (Vec::new(), Vec::new(), Vec::new());
        for r in &refs {
            let Some(ok) = owner_key(r, &key.namespace) else {
                // An owner kind kubeplay does not serve: never guess that it is gone.
                solid.push(r.clone());
                continue;
            };
            match api.try_get(ok.kind, &ok.namespace, &ok.name) {
                Some(o) if object::uid(o) == r.uid => {
                    if object::is_terminating(o) && has_finalizer(o, FINALIZER_FOREGROUND) {
                        waiting.push(r.clone());
                    } else {
                        solid.push(r.clone());
                    }
                }
                _ => dangling.push(r.clone()),
            }
        }
        if !solid.is_empty() {
            if dangling.is_empty() && waiting.is_empty() {
                return;
            }
            let keep: Vec<OwnerRef> = refs
                .iter()
                .filter(|r| !dangling.contains(r) && !waiting.contains(r))
                .cloned()
                .collect();
            let mut o = (*obj).clone();
            object::set_owner_refs(&mut o, &keep);
            let _ = api.update(o);
            return;
        }
        let has_dependents = self
            .dependents
            .get(object::uid(&obj))
            .is_some_and(|s| !s.is_empty());
        let policy = if !waiting.is_empty() && has_dependents {
            Propagation::Foreground
        } else if has_finalizer(&obj, FINALIZER_ORPHAN) {
            Propagation::Orphan
        } else if has_finalizer(&obj, FINALIZER_FOREGROUND) {
            Propagation::Foreground
        } else {
            Propagation::Background
        };
        let _ = api.delete(
            key.kind,
            &key.namespace,
            &key.name,
            &DeleteOptions {
                propagation: Some(policy),
                uid: Some(object::uid(&obj).to_string()),
                ..Default::default()
            },
        );
    }

    /// Orphan propagation: strip this owner from every dependent, then drop `orphan`.
    fn orphan_dependents(&mut self, api: &mut Api, owner: &Value) {
        let uid = object::uid(owner).to_string();
        for d in self.dependents_of(&uid) {
            let Some(dep) = api.try_get(d.kind, &d.namespace, &d.name).cloned() else {
                continue;
            };
            let refs = object::owner_refs(&dep);
            let keep: Vec<OwnerRef> = refs.iter().filter(|r| r.uid != uid).cloned().collect();
            if keep.len() != refs.len() {
                let mut o = (*dep).clone();
                object::set_owner_refs(&mut o, &keep);
                let _ = api.update(o);
            }
        }
        // A conflict means the owner changed; its watch event brings it back here.
        let _ = api.remove_finalizer(owner, FINALIZER_ORPHAN);
    }

    /// Foreground propagation: delete every dependent; drop `foregroundDeletion` once no
    /// dependent that blocks owner deletion is left (terminating ones still block).
    fn delete_dependents_first(&mut self, api: &mut Api, owner: &Value) {
        let uid = object::uid(owner).to_string();
        let mut deps = self.dependents_of(&uid);
        shuffle(api, &mut deps);
        for d in &deps {
            self.attempt_to_delete(api, d);
        }
        let blocking = deps.iter().any(|d| {
            api.try_get(d.kind, &d.namespace, &d.name)
                .is_some_and(|dep| {
                    object::owner_refs(dep)
                        .iter()
                        .any(|r| r.uid == uid && r.block_owner_deletion == Some(true))
                })
        });
        if !blocking {
            let _ = api.remove_finalizer(owner, FINALIZER_FOREGROUND);
        }
    }

    /// Pod GC for one node name: orphaned pods once the node has been gone for the
    /// quarantine, and terminating pods on an out-of-service, not-ready node.
    fn pod_gc(&mut self, api: &mut Api, node: &str) -> Action {
        let pods_on = |api: &Api| api.store.pods_on_node(node).cloned().collect::<Vec<_>>();
        match api.try_get(Kind::Node, "", node).cloned() {
            Some(n) => {
                self.missing_nodes.remove(node);
                let ready = object::get_array(&n, &["status", "conditions"])
                    .iter()
                    .any(|c| {
                        object::get_str(c, &["type"]) == Some("Ready")
                            && object::get_str(c, &["status"]) == Some("True")
                    });
                if out_of_service(&n) && !ready {
                    for p in pods_on(api) {
                        if object::is_terminating(&p) {
                            force_delete(api, &p, "PodGC: node is out of service");
                        }
                    }
                }
                Action::Done
            }
            None => {
                let now = api.now;
                let due = *self
                    .missing_nodes
                    .entry(node.to_string())
                    .or_insert_with(|| now.plus_ms(NODE_QUARANTINE_MS));
                if now < due {
                    return Action::RequeueAfter(due.0 - now.0);
                }
                self.missing_nodes.remove(node);
                for p in pods_on(api) {
                    force_delete(api, &p, "PodGC: node no longer exists");
                }
                Action::Done
            }
        }
    }
}

/// `markFailedAndDeletePodWithCondition`: a non-terminal pod is marked Failed with a
/// DisruptionTarget condition, then deleted with grace 0.
fn force_delete(api: &mut Api, pod: &Value, message: &str) {
    let terminal = matches!(
        object::get_str(pod, &["status", "phase"]),
        Some("Succeeded" | "Failed")
    );
    if !terminal {
        let mut p = pod.clone();
        let mut conds = object::get_array(&p, &["status", "conditions"]).to_vec();
        conds.retain(|c| object::get_str(c, &["type"]) != Some("DisruptionTarget"));
        conds.push(json!({"type": "DisruptionTarget", "status": "True",
            "reason": "DeletionByPodGC", "message": message,
            "lastProbeTime": null, "lastTransitionTime": api.now.rfc3339()}));
        object::set(&mut p, &["status", "conditions"], Value::Array(conds));
        object::set(&mut p, &["status", "phase"], json!("Failed"));
        let _ = api.update_status(p);
    }
    let _ = api.delete(
        Kind::Pod,
        object::namespace(pod),
        object::name(pod),
        &DeleteOptions {
            grace_period_seconds: Some(0),
            uid: Some(object::uid(pod).to_string()),
            ..Default::default()
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Cluster, Config};
    use std::sync::Arc;

    fn owner(c: &mut Cluster, name: &str) -> Arc<Value> {
        c.api
            .create(json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": name, "namespace": "default"}}))
            .unwrap()
    }

    fn dependent(c: &mut Cluster, kind: &str, name: &str, owners: &[&Arc<Value>]) {
        let refs: Vec<Value> = owners
            .iter()
            .map(|o| OwnerRef::controller_of(o).to_value())
            .collect();
        let mut obj = json!({"apiVersion": "v1", "kind": kind,
            "metadata": {"name": name, "namespace": "default", "ownerReferences": refs}});
        match kind {
            "Pod" => {
                obj["spec"] =
                    json!({"nodeName": "node-1", "containers": [{"name": "c", "image": "nginx"}]})
            }
            "PersistentVolumeClaim" => {
                obj["spec"] = json!({"accessModes": ["ReadWriteOnce"],
                    "resources": {"requests": {"storage": "1Gi"}}})
            }
            _ => {}
        }
        c.api.create(obj).unwrap();
    }

    /// Each pod's first Terminating state after `head`, in the order the GC deleted them
    /// (the kubelet's later status writes and final deletes of the same pods are skipped).
    fn terminations(c: &Cluster, head: crate::store::Cursor) -> Vec<(String, crate::time::Time)> {
        let mut seen: Vec<(String, crate::time::Time)> = Vec::new();
        for ev in c.api.store.events_since(head).unwrap() {
            let name = object::name(ev.object());
            if ev.kind == Kind::Pod
                && object::is_terminating(ev.object())
                && !seen.iter().any(|(n, _)| n == name)
            {
                seen.push((name.to_string(), ev.time));
            }
        }
        seen
    }

    fn exists(c: &Cluster, kind: Kind, name: &str) -> Option<Arc<Value>> {
        c.api.try_get(kind, "default", name).cloned()
    }

    fn delete(c: &mut Cluster, name: &str, p: Propagation) {
        c.api
            .delete(
                Kind::ConfigMap,
                "default",
                name,
                &DeleteOptions {
                    propagation: Some(p),
                    ..Default::default()
                },
            )
            .unwrap();
        c.run_now();
    }

    #[test]
    fn background_deletes_all_dependents_at_once_in_no_order() {
        let mut c = Cluster::new(Config::default());
        let o = owner(&mut c, "web");
        let other = owner(&mut c, "other");
        for i in 0..5 {
            dependent(&mut c, "Pod", &format!("web-{i}"), &[&o]);
        }
        dependent(&mut c, "Secret", "shared", &[&o, &other]);
        c.run_now();
        let t0 = c.now();
        let head = c.api.store.head();
        delete(&mut c, "web", Propagation::Background);
        assert!(exists(&c, Kind::ConfigMap, "web").is_none());
        // Every pod turns Terminating at the same instant (graceful: the kubelet finishes them).
        let order = terminations(&c, head);
        assert_eq!(order.len(), 5);
        assert!(order.iter().all(|(_, t)| *t == t0), "{order:?}");
        // A dependent with another live owner only loses the dangling reference.
        let s = exists(&c, Kind::Secret, "shared").unwrap();
        let refs = object::owner_refs(&s);
        assert_eq!(refs.len(), 1);
        assert_eq!(refs[0].name, "other");
        // "No ordering": across seeds, the deletion order is not always by name.
        let mut orders = BTreeSet::new();
        for seed in 1..8 {
            let mut c = Cluster::new(Config {
                seed,
                ..Config::default()
            });
            let o = owner(&mut c, "web");
            for i in 0..5 {
                dependent(&mut c, "Pod", &format!("web-{i}"), &[&o]);
            }
            c.run_now();
            let head = c.api.store.head();
            delete(&mut c, "web", Propagation::Background);
            let order: Vec<String> = terminations(&c, head).into_iter().map(|(n, _)| n).collect();
            assert_eq!(order.len(), 5);
            orders.insert(order);
        }
        assert!(orders.len() > 1, "deletion order never varied: {orders:?}");
    }

    #[test]
    fn foreground_waits_for_blocking_dependents_then_removes_the_finalizer() {
        let mut c = Cluster::new(Config::default());
        let o = owner(&mut c, "web");
        // A running container that ignores SIGTERM, so the pod stays Terminating for its
        // whole 30 s grace period before the kubelet's SIGKILL and final delete.
        let p = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web-0", "namespace": "default",
                         "ownerReferences": [OwnerRef::controller_of(&o).to_value()]},
            "spec": {"nodeName": "node-1", "terminationGracePeriodSeconds": 30, "containers": [
                {"name": "c", "image": "busybox", "command": ["sleep", "3600"]}]}});
        c.api.create(p).unwrap();
        dependent(&mut c, "Secret", "s", &[&o]);
        c.advance(60_000);
        let pod = exists(&c, Kind::Pod, "web-0").unwrap();
        assert_eq!(object::get_str(&pod, &["status", "phase"]), Some("Running"));
        delete(&mut c, "web", Propagation::Foreground);
        let owner_now = exists(&c, Kind::ConfigMap, "web").unwrap();
        assert!(object::is_terminating(&owner_now));
        assert_eq!(object::finalizers(&owner_now), [FINALIZER_FOREGROUND]);
        assert!(exists(&c, Kind::Secret, "s").is_none());
        let pod = exists(&c, Kind::Pod, "web-0").unwrap();
        assert!(object::is_terminating(&pod), "gracefully terminating");
        // The owner waits as long as the pod exists...
        c.advance(29_000);
        assert!(exists(&c, Kind::Pod, "web-0").is_some());
        assert!(exists(&c, Kind::ConfigMap, "web").is_some());
        // ...and goes once the kubelet's final delete has removed the pod.
        c.advance(2_000);
        assert!(exists(&c, Kind::Pod, "web-0").is_none());
        assert!(exists(&c, Kind::ConfigMap, "web").is_none());
    }

    #[test]
    fn orphan_strips_references_and_keeps_dependents() {
        let mut c = Cluster::new(Config::default());
        let o = owner(&mut c, "web");
        dependent(&mut c, "Pod", "web-0", &[&o]);
        dependent(&mut c, "PersistentVolumeClaim", "www-web-0", &[&o]);
        c.run_now();
        delete(&mut c, "web", Propagation::Orphan);
        assert!(exists(&c, Kind::ConfigMap, "web").is_none());
        for (k, n) in [
            (Kind::Pod, "web-0"),
            (Kind::PersistentVolumeClaim, "www-web-0"),
        ] {
            let d = exists(&c, k, n).unwrap();
            assert!(!object::is_terminating(&d));
            assert!(object::owner_refs(&d).is_empty());
        }
    }

    #[test]
    fn dependents_created_after_their_owner_died_are_collected() {
        let mut c = Cluster::new(Config::default());
        let o = owner(&mut c, "web");
        delete(&mut c, "web", Propagation::Background);
        dependent(&mut c, "Secret", "late", &[&o]);
        c.run_now();
        assert!(exists(&c, Kind::Secret, "late").is_none());
    }

    #[test]
    fn pods_on_a_deleted_node_are_force_deleted_after_quarantine() {
        let mut c = Cluster::new(Config::default());
        dependent(&mut c, "Pod", "stuck", &[]);
        c.run_now();
        // node-1's kubelet is gone, so nothing finishes the graceful deletion: the pod
        // stays Terminating until PodGC force-deletes it.
        c.sim_fail_node("node-1").unwrap();
        c.api
            .delete(Kind::Pod, "default", "stuck", &DeleteOptions::default())
            .unwrap();
        c.advance(60_000);
        assert!(object::is_terminating(
            &exists(&c, Kind::Pod, "stuck").unwrap()
        ));
        c.api
            .delete(Kind::Node, "", "node-1", &DeleteOptions::default())
            .unwrap();
        c.advance(NODE_QUARANTINE_MS - 1_000);
        assert!(exists(&c, Kind::Pod, "stuck").is_some());
        c.advance(2_000);
        assert!(exists(&c, Kind::Pod, "stuck").is_none());
        assert!(c.settle(120_000));
    }
}

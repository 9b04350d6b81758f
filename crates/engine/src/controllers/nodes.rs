//! Node objects and the node lifecycle controller (with its taint-eviction half), spec S8.6.
//!
//! A node whose kubelet stopped (`sim fail-node`) turns `Ready=Unknown` once
//! node-monitor-grace-period (50 s) has passed without a heartbeat, gets the `unreachable`
//! taints, and its pods are marked not ready; after each pod's toleration seconds (300 by the
//! DefaultTolerationSeconds plugin) the pod is deleted gracefully and stays Terminating,
//! because no kubelet is there to finish the job. `sim recover-node` undoes it all.
//!
//! Heartbeats are not simulated as periodic writes: a live node is simply Ready, so a
//! settled cluster keeps no timers here. Timers exist only while a failure is unfolding.

use crate::time::Time;
use serde_json::{json, Value};

/// A Ready worker node as a fresh cluster has it.
pub fn new_node(name: &str, index: u32, now: Time) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {
            "kubernetes.io/hostname": name, "kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux", "beta.kubernetes.io/arch": "amd64"}},
        "spec": {"podCIDR": format!("10.244.{index}.0/24"), "podCIDRs": [format!("10.244.{index}.0/24")]},
        "status": {
            "capacity": {"cpu": "4", "memory": "16Gi", "pods": "110", "ephemeral-storage": "100Gi"},
            "allocatable": {"cpu": "4", "memory": "16Gi", "pods": "110", "ephemeral-storage": "100Gi"},
            "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                            "message": "kubelet is posting ready status",
                            "lastHeartbeatTime": now.rfc3339(), "lastTransitionTime": now.rfc3339()}],
            "addresses": [{"type": "InternalIP", "address": format!("172.18.0.{}", index + 1)},
                          {"type": "Hostname", "address": name}],
            "nodeInfo": {"kubeletVersion": "v1.35.0", "containerRuntimeVersion": "containerd://2.1.0",
                         "operatingSystem": "linux", "architecture": "amd64", "osImage": "Debian GNU/Linux 12 (bookworm)",
                         "kernelVersion": "6.1.0-kubeplay"}
        }
    })
}

use crate::api::{Api, DeleteOptions};
use crate::cluster::Cluster;
use crate::controllers::{Action, Controller, Ctx, ObjectKey};
use crate::error::ApiResult;
use crate::events::Source;
use crate::kinds::Kind;
use crate::object::{self, Object};
use crate::store::WatchEvent;
use std::collections::BTreeMap;

/// node-monitor-grace-period (50 s from 1.32).
pub const NODE_MONITOR_GRACE_MS: u64 = 50_000;
/// What DefaultTolerationSeconds gives pods for `not-ready`/`unreachable`.
pub const DEFAULT_TOLERATION_SECONDS: u64 = 300;
pub const TAINT_UNREACHABLE: &str = "node.kubernetes.io/unreachable";
pub const TAINT_NOT_READY: &str = "node.kubernetes.io/not-ready";

#[derive(Debug, Default)]
pub struct NodeLifecycleController {
    /// The earliest pending timer per node.
    timers: BTreeMap<ObjectKey, Time>,
    /// When each `NoExecute` taint without `timeAdded` was first seen (`taint_id`).
    taints_seen: BTreeMap<String, Time>,
}

impl NodeLifecycleController {
    pub fn new() -> NodeLifecycleController {
        NodeLifecycleController::default()
    }

    fn wake_at(&mut self, key: &ObjectKey, due: Option<Time>, now: Time) -> Action {
        let Some(due) = due else {
            return Action::Done;
        };
        let due = due.max(now.plus_ms(1));
        if let Some(t) = self.timers.get(key) {
            if *t > now && *t <= due {
                return Action::Done;
            }
        }
        self.timers.insert(key.clone(), due);
        Action::RequeueAfter(due.0 - now.0)
    }
}

fn ready_status(node: &Object) -> &str {
    object::get_array(node, &["status", "conditions"])
        .iter()
        .find(|c| object::get_str(c, &["type"]) == Some("Ready"))
        .and_then(|c| object::get_str(c, &["status"]))
        .unwrap_or("Unknown")
}

fn source(component: &str) -> Source<'_> {
    Source {
        component,
        host: None,
    }
}

fn pods_on(api: &Api, node: &str) -> Vec<std::sync::Arc<Object>> {
    // The store's node index holds exactly the pods whose spec.nodeName is `node`, in key
    // order, as the full list would give them.
    api.store.pods_on_node(node).cloned().collect()
}

/// How long a pod may stay on a node with this `NoExecute` taint: `Some(None)` forever,
/// `Some(Some(s))` for `s` seconds, `None` not at all (the taint-eviction controller deletes
/// it at once). With several matching tolerations the shortest `tolerationSeconds` wins, and
/// one without seconds tolerates forever only if no other gives a limit (`getMinTolerationTime`).
fn tolerated_for(pod: &Object, taint: &Value) -> Option<Option<u64>> {
    let key = object::get_str(taint, &["key"]).unwrap_or("");
    let value = object::get_str(taint, &["value"]).unwrap_or("");
    let matching: Vec<&Value> = object::get_array(pod, &["spec", "tolerations"])
        .iter()
        .filter(|t| {
            let effect = object::get_str(t, &["effect"]).unwrap_or("");
            if !effect.is_empty() && effect != "NoExecute" {
                return false;
            }
            let t_key = object::get_str(t, &["key"]).unwrap_or("");
            match object::get_str(t, &["operator"]).unwrap_or("Equal") {
                "Exists" => t_key.is_empty() || t_key == key,
                "Equal" | "" => {
                    t_key == key && object::get_str(t, &["value"]).unwrap_or("") == value
                }
                _ => false,
            }
        })
        .collect();
    if matching.is_empty() {
        // DefaultTolerationSeconds gives every pod 300 s on a not-ready or unreachable node;
        // a pod that somehow lacks it is treated as admission would have made it.
        if key == TAINT_UNREACHABLE || key == TAINT_NOT_READY {
            return Some(Some(DEFAULT_TOLERATION_SECONDS));
        }
        return None;
    }
    Some(
        matching
            .iter()
            .filter_map(|t| object::get_i64(t, &["tolerationSeconds"]))
            .map(|s| s.max(0) as u64)
            .min(),
    )
}

impl NodeLifecycleController {
    fn mark_not_ready(&mut self, api: &mut Api, node: &Object) {
        let now = api.now;
        let name = object::name(node).to_string();
        let mut n = node.clone();
        let mut conds = object::get_array(node, &["status", "conditions"]).to_vec();
        for c in conds.iter_mut() {
            c["status"] = json!("Unknown");
            c["reason"] = json!("NodeStatusUnknown");
            c["message"] = json!("Kubelet stopped posting node status.");
            c["lastTransitionTime"] = json!(now.rfc3339());
        }
        object::set(&mut n, &["status", "conditions"], json!(conds));
        let _ = api.update_status(n);
        if let Some(fresh) = api.try_get(Kind::Node, "", &name).cloned() {
            let mut n = (*fresh).clone();
            let mut taints: Vec<Value> = object::get_array(&n, &["spec", "taints"])
                .iter()
                .filter(|t| object::get_str(t, &["key"]) != Some(TAINT_UNREACHABLE))
                .cloned()
                .collect();
            for effect in ["NoSchedule", "NoExecute"] {
                taints.push(
                    json!({"key": TAINT_UNREACHABLE, "effect": effect, "timeAdded": now.rfc3339()}),
                );
            }
            object::set(&mut n, &["spec", "taints"], json!(taints));
            let _ = api.update(n);
        }
        api.record_event(
            node,
            None,
            "Normal",
            "NodeNotReady",
            &format!("Node {name} status is now: NodeNotReady"),
            source("node-controller"),
        );
        // MarkPodsNotReady: only the Ready condition flips; container statuses stay stale.
        for pod in pods_on(api, &name) {
            let mut p = (*pod).clone();
            let mut conds = object::get_array(&p, &["status", "conditions"]).to_vec();
            let mut changed = false;
            for c in conds.iter_mut() {
                if object::get_str(c, &["type"]) == Some("Ready")
                    && object::get_str(c, &["status"]) != Some("False")
                {
                    c["status"] = json!("False");
                    c["lastTransitionTime"] = json!(now.rfc3339());
                    changed = true;
                }
            }
            if changed {
                object::set(&mut p, &["status", "conditions"], json!(conds));
                let _ = api.update_status(p);
                api.record_event(
                    &pod,
                    None,
                    "Warning",
                    "NodeNotReady",
                    "Node is not ready",
                    source("node-controller"),
                );
            }
        }
    }

    fn mark_ready(&mut self, api: &mut Api, node: &Object) {
        let now = api.now;
        let name = object::name(node).to_string();
        let mut n = node.clone();
        let mut conds = object::get_array(node, &["status", "conditions"]).to_vec();
        for c in conds.iter_mut() {
            c["status"] = json!("True");
            c["reason"] = json!("KubeletReady");
            c["message"] = json!("kubelet is posting ready status");
            c["lastTransitionTime"] = json!(now.rfc3339());
            c["lastHeartbeatTime"] = json!(now.rfc3339());
        }
        object::set(&mut n, &["status", "conditions"], json!(conds));
        let _ = api.update_status(n);
        if let Some(fresh) = api.try_get(Kind::Node, "", &name).cloned() {
            let mut n = (*fresh).clone();
            let taints: Vec<Value> = object::get_array(&n, &["spec", "taints"])
                .iter()
                .filter(|t| object::get_str(t, &["key"]) != Some(TAINT_UNREACHABLE))
                .cloned()
                .collect();
            if taints.is_empty() {
                object::remove(&mut n, &["spec", "taints"]);
            } else {
                object::set(&mut n, &["spec", "taints"], json!(taints));
            }
            let _ = api.update(n);
        }
        api.record_event(
            node,
            None,
            "Normal",
            "NodeReady",
            &format!("Node {name} status is now: NodeReady"),
            source("node-controller"),
        );
    }

    /// The taint-eviction controller: deletes the node's pods that do not tolerate one of its
    /// `NoExecute` taints, at once, or when their `tolerationSeconds` ran out (counted from
    /// the taint's `timeAdded`, or from when this controller first saw it: a taint added with
    /// `kubectl taint` has no `timeAdded`). Returns when the next pod is due.
    fn evict_due(&mut self, api: &mut Api, node: &Object) -> Option<Time> {
        let now = api.now;
        let node_name = object::name(node).to_string();
        let taints: Vec<Value> = object::get_array(node, &["spec", "taints"])
            .iter()
            .filter(|t| object::get_str(t, &["effect"]) == Some("NoExecute"))
            .cloned()
            .collect();
        // Forget taints that are gone; remember when new ones were first seen.
        let ids: Vec<String> = taints.iter().map(|t| taint_id(&node_name, t)).collect();
        let prefix = format!("{node_name}\0");
        self.taints_seen
            .retain(|id, _| !id.starts_with(&prefix) || ids.contains(id));
        if taints.is_empty() {
            return None;
        }
        let mut started = Vec::new();
        for (t, id) in taints.iter().zip(&ids) {
            let since = match object::get_str(t, &["timeAdded"]).and_then(Time::parse_rfc3339) {
                Some(at) => at,
                None => *self.taints_seen.entry(id.clone()).or_insert(now),
            };
            started.push(since);
        }
        let mut due: Option<Time> = None;
        for pod in pods_on(api, &node_name) {
            if object::is_terminating(&pod) {
                continue;
            }
            let mut evict_at: Option<Time> = None;
            for (t, since) in taints.iter().zip(&started) {
                let at = match tolerated_for(&pod, t) {
                    None => now,
                    Some(None) => continue,
                    Some(Some(secs)) => since.plus_secs(secs),
                };
                evict_at = Some(evict_at.map_or(at, |e: Time| e.min(at)));
            }
            let Some(at) = evict_at else {
                continue;
            };
            if now < at {
                due = Some(due.map_or(at, |d: Time| d.min(at)));
                continue;
            }
            let mut p = (*pod).clone();
            let mut conds = object::get_array(&p, &["status", "conditions"]).to_vec();
            conds.retain(|c| object::get_str(c, &["type"]) != Some("DisruptionTarget"));
            conds.insert(
                0,
                json!({"type": "DisruptionTarget", "status": "True", "lastProbeTime": null,
                       "lastTransitionTime": now.rfc3339(), "reason": "DeletionByTaintManager",
                       "message": "Taint manager: deleting due to NoExecute taint"}),
            );
            object::set(&mut p, &["status", "conditions"], json!(conds));
            let _ = api.update_status(p);
            api.record_event(
                &pod,
                None,
                "Normal",
                "TaintManagerEviction",
                &format!(
                    "Marking for deletion Pod {}/{}",
                    object::namespace(&pod),
                    object::name(&pod)
                ),
                source("taint-eviction-controller"),
            );
            let _ = api.delete(
                Kind::Pod,
                object::namespace(&pod),
                object::name(&pod),
                &DeleteOptions::default(),
            );
        }
        due
    }
}

/// One taint of one node, as the eviction controller remembers it.
fn taint_id(node: &str, taint: &Value) -> String {
    let f = |k: &str| object::get_str(taint, &[k]).unwrap_or("");
    format!("{node}\0{}\0{}", f("key"), f("value"))
}

impl Controller for NodeLifecycleController {
    fn name(&self) -> &'static str {
        "node-controller"
    }

    fn watches(&self, kind: Kind) -> bool {
        kind == Kind::Node
    }

    fn keys_for(&mut self, event: &WatchEvent, _api: &Api, out: &mut Vec<ObjectKey>) {
        out.push(ObjectKey::of(Kind::Node, event.object()));
    }

    fn reconcile(&mut self, key: &ObjectKey, ctx: &mut Ctx<'_>) -> Action {
        let now = ctx.api.now;
        let Some(node) = ctx.api.try_get(Kind::Node, "", &key.name).cloned() else {
            self.timers.remove(key);
            return Action::Done;
        };
        match ctx.runtime.failed_nodes.get(&key.name).copied() {
            Some(failed_at) => {
                let detect = failed_at.plus_ms(NODE_MONITOR_GRACE_MS);
                if now < detect {
                    return self.wake_at(key, Some(detect), now);
                }
                if ready_status(&node) != "Unknown" {
                    self.mark_not_ready(ctx.api, &node);
                }
                let Some(node) = ctx.api.try_get(Kind::Node, "", &key.name).cloned() else {
                    return Action::Done;
                };
                let due = self.evict_due(ctx.api, &node);
                self.wake_at(key, due, now)
            }
            None => {
                if ready_status(&node) == "Unknown" {
                    self.mark_ready(ctx.api, &node);
                }
                let Some(node) = ctx.api.try_get(Kind::Node, "", &key.name).cloned() else {
                    return Action::Done;
                };
                let due = self.evict_due(ctx.api, &node);
                self.wake_at(key, due, now)
            }
        }
    }
}

impl Cluster {
    /// `sim fail-node NODE`: the node's kubelet stops (no heartbeats, no pod changes, its
    /// pods unreachable). After 50 s the node turns NotReady and the S8.6 timeline runs.
    pub fn sim_fail_node(&mut self, node: &str) -> ApiResult<()> {
        self.api.get(Kind::Node, "", node)?;
        let now = self.api.now;
        self.runtime
            .failed_nodes
            .entry(node.to_string())
            .or_insert(now);
        self.enqueue_after(
            "node-controller",
            ObjectKey::new(Kind::Node, "", node),
            NODE_MONITOR_GRACE_MS,
        );
        self.advance(0);
        Ok(())
    }

    /// `sim recover-node NODE`: the kubelet is back: the node turns Ready, its taints go,
    /// and the kubelet finishes what happened meanwhile (deletions of Terminating pods).
    pub fn sim_recover_node(&mut self, node: &str) -> ApiResult<()> {
        self.api.get(Kind::Node, "", node)?;
        self.runtime.failed_nodes.remove(node);
        self.enqueue_after("node-controller", ObjectKey::new(Kind::Node, "", node), 0);
        for pod in pods_on(&self.api, node) {
            let key = ObjectKey::of(Kind::Pod, &pod);
            self.enqueue_after("kubelet", key, 0);
        }
        // Sandboxes of pods force-deleted while the node was down are torn down now.
        let orphans: Vec<ObjectKey> = self
            .runtime
            .pods
            .iter()
            .filter(|(_, sb)| sb.node == node)
            .map(|(k, _)| k.clone())
            .collect();
        for key in orphans {
            self.enqueue_after("kubelet", key, 0);
        }
        self.advance(0);
        Ok(())
    }

    /// Whether `sim fail-node` currently holds `node` down.
    pub fn node_failed(&self, node: &str) -> bool {
        self.runtime.failed_nodes.contains_key(node)
    }
}

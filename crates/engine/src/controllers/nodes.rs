//! Node objects and the node lifecycle controller. (Being written.)

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

use crate::api::Api;
use crate::controllers::{Action, Controller, Ctx, ObjectKey};
use crate::kinds::Kind;
use crate::store::WatchEvent;

/// (No-op until written.)
#[derive(Debug, Default)]
pub struct NodeLifecycleController;

impl NodeLifecycleController {
    pub fn new() -> NodeLifecycleController {
        NodeLifecycleController
    }
}

impl Controller for NodeLifecycleController {
    fn name(&self) -> &'static str {
        "node-controller"
    }

    fn watches(&self, _kind: Kind) -> bool {
        false
    }

    fn keys_for(&mut self, _event: &WatchEvent, _api: &Api, _out: &mut Vec<ObjectKey>) {}

    fn reconcile(&mut self, _key: &ObjectKey, _ctx: &mut Ctx<'_>) -> Action {
        Action::Done
    }
}

//! Controllers: each reacts to watch events by queueing keys and reconciles one key at a time
//! through the `Api`, like kube-controller-manager's informer + workqueue loop.
//!
//! A controller never reads the host clock and never touches another controller's state;
//! it may ask to be called again later (`Action::RequeueAfter`), which the cluster turns into
//! a timer on the virtual clock.

pub mod deployment;
pub mod endpoints;
pub mod gc;
pub mod kubelet;
pub mod nodes;
pub mod pv;
pub mod replicaset;
pub mod scheduler;
pub mod statefulset;

use crate::api::Api;
use crate::kinds::Kind;
use crate::runtime::Runtime;
use crate::store::WatchEvent;
use crate::Config;

/// What a controller reconciles: usually the object the key names.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
}

impl ObjectKey {
    pub fn new(kind: Kind, namespace: &str, name: &str) -> ObjectKey {
        ObjectKey {
            kind,
            namespace: namespace.to_string(),
            name: name.to_string(),
        }
    }

    pub fn of(kind: Kind, obj: &serde_json::Value) -> ObjectKey {
        ObjectKey::new(
            kind,
            crate::object::namespace(obj),
            crate::object::name(obj),
        )
    }
}

/// What to do after a reconcile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Done,
    /// Reconcile the same key again after this many virtual milliseconds.
    RequeueAfter(u64),
}

/// Everything a reconcile may touch.
pub struct Ctx<'a> {
    pub api: &'a mut Api,
    pub runtime: &'a mut Runtime,
    pub config: &'a Config,
}

pub trait Controller {
    /// The name events use as `source.component` where it applies (`statefulset-controller`).
    fn name(&self) -> &'static str;

    /// Whether events of this kind should be passed to `keys_for` (a cheap filter).
    fn watches(&self, kind: Kind) -> bool;

    /// Maps one watch event to the keys to reconcile.
    fn keys_for(&mut self, event: &WatchEvent, api: &Api, out: &mut Vec<ObjectKey>);

    /// Brings the world one step closer to what `key` wants.
    fn reconcile(&mut self, key: &ObjectKey, ctx: &mut Ctx<'_>) -> Action;
}

/// A de-duplicating FIFO of keys, as client-go's workqueue.
#[derive(Clone, Debug, Default)]
pub struct WorkQueue {
    order: std::collections::VecDeque<ObjectKey>,
    queued: std::collections::BTreeSet<ObjectKey>,
}

impl WorkQueue {
    pub fn add(&mut self, key: ObjectKey) {
        if self.queued.insert(key.clone()) {
            self.order.push_back(key);
        }
    }

    pub fn pop(&mut self) -> Option<ObjectKey> {
        let k = self.order.pop_front()?;
        self.queued.remove(&k);
        Some(k)
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

/// Every controller of a cluster, in the fixed order the cluster runs them.
pub fn all(config: &crate::Config) -> Vec<Box<dyn Controller>> {
    vec![
        Box::new(statefulset::StatefulSetController::new()),
        Box::new(deployment::DeploymentController::new()),
        Box::new(replicaset::ReplicaSetController::new()),
        Box::new(gc::GarbageCollector::new()),
        Box::new(pv::PersistentVolumeController::new()),
        Box::new(scheduler::Scheduler::new()),
        Box::new(kubelet::Kubelet::new(config)),
        Box::new(endpoints::EndpointsController::new()),
        Box::new(nodes::NodeLifecycleController::new()),
    ]
}

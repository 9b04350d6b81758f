//! kube-scheduler's default profile, reduced to what a playground shows: it binds Pending
//! pods that name `default-scheduler` (or no scheduler) to a node.
//!
//! One attempt runs the default plugins in upstream order — PreFilter (VolumeBinding's claim
//! checks), Filter (NodeUnschedulable, TaintToleration, NodeAffinity, NodePorts,
//! NodeResourcesFit, VolumeBinding's PV node affinity, InterPodAffinity), Score
//! (LeastAllocated, BalancedAllocation, default PodTopologySpread, preferred NodeAffinity,
//! PreferNoSchedule taints) — and then binds (the `pods/binding` subresource: `spec.nodeName`
//! and `PodScheduled=True` in one write) or reports a `FitError` in 1.35's words.
//!
//! An unschedulable pod waits in an "unschedulable queue" and is tried again only when a
//! cluster change could help it (a node added or changed, a pod removed, a claim or volume
//! changed), like the real queueing hints; there are no periodic timers, so a cluster with a
//! stuck pod still settles. The scheduler never preempts (every kubeplay pod has priority 0).

use crate::api::Api;
use crate::controllers::{Action, Controller, Ctx, KeyParts, KeyView, ObjectKey};
use crate::events::Source;
use crate::kinds::Kind;
use crate::object;
use crate::quantity::{Format, Quantity};
use crate::selector::Selector;
use crate::store::{Cursor, EventType, Store, WatchEvent};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

pub const SCHEDULER_NAME: &str = "default-scheduler";
/// The PVC annotation the VolumeBinding plugin sets for WaitForFirstConsumer claims.
pub const SELECTED_NODE_ANNOTATION: &str = "volume.kubernetes.io/selected-node";

const REASON_UNSCHEDULABLE_NODE: &str = "node(s) were unschedulable";
const REASON_TAINT: &str = "node(s) had untolerated taint(s)";
const REASON_NODE_AFFINITY: &str = "node(s) didn't match Pod's node affinity/selector";
const REASON_HOST_PORTS: &str = "node(s) didn't have free ports for the requested pod ports";
const REASON_TOO_MANY_PODS: &str = "Too many pods";
const REASON_VOLUME_NODE_AFFINITY: &str = "node(s) had volume node affinity conflict";
const REASON_POD_AFFINITY: &str = "node(s) didn't match pod affinity rules";
const REASON_POD_ANTI_AFFINITY: &str = "node(s) didn't match pod anti-affinity rules";
const REASON_EXISTING_ANTI_AFFINITY: &str =
    "node(s) didn't satisfy existing pods anti-affinity rules";
const UNBOUND_IMMEDIATE: &str = "pod has unbound immediate PersistentVolumeClaims";
const PREEMPTION_NOT_HELPFUL: &str = "Preemption is not helpful for scheduling";
const NO_VICTIMS: &str = "No preemption victims found for incoming pod";

/// Requests the scheduler assumes for scoring when a container sets none
/// (`DefaultMilliCPURequest`, `DefaultMemoryRequest`).
const DEFAULT_MILLI_CPU: i128 = 100;
const DEFAULT_MEMORY_MILLI: i128 = 200 * 1024 * 1024 * 1000;

/// A pod the last attempt could not place, with what it looked like then.
#[derive(Clone, Debug)]
struct Unschedulable {
    fingerprint: String,
    has_pod_affinity: bool,
}

#[derive(Debug, Default)]
pub struct Scheduler {
    unschedulable: BTreeMap<ObjectKey, Unschedulable>,
    /// Pods whose WaitForFirstConsumer claims are being provisioned for the chosen node.
    waiting_on_volumes: BTreeMap<ObjectKey, String>,
    /// What each node looked like (labels, spec, allocatable, readiness) to spot real changes.
    nodes: BTreeMap<String, String>,
    /// What each assigned pod looked like (node, labels, terminal). Boxed, as in `Placed::pods`.
    assigned: BTreeMap<ObjectKey, Box<AssignedPrint>>,
    /// Per-node sums of the bound, non-terminal pods, so an attempt costs O(nodes) and not
    /// O(all pods).
    placed: Placed,
    /// Scratch space of `schedule`, kept so an attempt allocates nothing per node.
    scratch: Scratch,
}

/// `schedule`'s scratch space, kept between attempts (one entry per feasible node or per
/// row: over a kilobyte at 100 nodes, which the system allocator serves slowly).
#[derive(Debug, Default)]
struct Scratch {
    scored: Vec<Scored>,
    /// The attempt's PodTopologySpread peer count per row of `Placed::rows`.
    spread: Vec<i64>,
}

/// What matters to waiting pods about an assigned pod: its node, labels and whether it
/// finished. Compared field by field on every pod event (most events are status writes that
/// change none of it), so nothing is formatted or copied unless it changed.
#[derive(Debug, PartialEq)]
struct AssignedPrint {
    node: String,
    labels: Value,
    terminal: bool,
}

impl AssignedPrint {
    /// `node`: the pod's `spec.nodeName`, as the caller has read it already.
    fn matches(&self, pod: &Value, node: &str) -> bool {
        self.node == node
            && self.terminal == is_terminal(pod)
            && object::get(pod, &["metadata", "labels"]).unwrap_or(&Value::Null) == &self.labels
    }

    fn of(pod: &Value, node: &str) -> AssignedPrint {
        AssignedPrint {
            node: node.to_string(),
            labels: object::get(pod, &["metadata", "labels"])
                .cloned()
                .unwrap_or(Value::Null),
            terminal: is_terminal(pod),
        }
    }
}

/// One bound, non-terminal pod as the filters and scores see it.
#[derive(Debug)]
struct PlacedPod {
    node: String,
    requests: BTreeMap<String, Quantity>,
    non_zero: (i128, i128),
    /// The spec everything above was read from (a copy-on-write clone, O(1)): a new version
    /// with an equal spec (every status write) changes nothing here.
    spec: Value,
    /// The controller uid it counts under in `Placed::spread`, if any.
    peer_of: Option<String>,
    /// The `metadata.ownerReferences` `peer_of` was read from (a clone that shares each
    /// reference's map): an equal list gives the same uid, without reading it again.
    owners: Value,
    /// The pod itself, kept only for pods with required anti-affinity terms, which the
    /// incoming pod's filter reads.
    object: Option<Arc<Value>>,
}

/// What the pods bound to one node take.
#[derive(Debug, Default)]
struct NodeUsage {
    pods: usize,
    /// Exact milli sums of `pod_requests` (requests are never negative, so clamping the sum
    /// once equals clamping every partial sum).
    requested: BTreeMap<String, i128>,
    non_zero_cpu: i128,
    non_zero_memory: i128,
}

/// The scheduler's cache of bound pods (kube-scheduler keeps the same in its NodeInfo
/// snapshot). It follows the store's watch log with its own cursor and catches up at the
/// start of every attempt, so it always equals the store at that moment: the cluster
/// delivers events between reconciles, but other controllers may have written since.
#[derive(Debug, Default)]
struct Placed {
    /// `None` until built, or after the log was compacted past us.
    cursor: Option<Cursor>,
    /// Boxed: with the values inline a node of this map was 2.8 KB (and `assigned`'s 1.6 KB),
    /// a large chunk for glibc, whose every allocation first consolidates its fast bins.
    pods: BTreeMap<ObjectKey, Box<PlacedPod>>,
    /// Every node name the cache knows (a node, or the name bound pods give), in name order:
    /// what the filters and scores read of the node and what its pods take, side by side.
    /// Every attempt reads every row and nodes change rarely, so the rows are kept, not
    /// built per attempt. After `sync` the rows with a node are the store's nodes, in the
    /// store's (name) order, so they are the attempt's node snapshot.
    rows: Vec<NodeRow>,
    /// Bound pods that carry required pod anti-affinity terms (usually none).
    with_anti_affinity: BTreeSet<ObjectKey>,
    /// Default PodTopologySpread's peers, kept as pods come and go: controller uid →
    /// namespace → node → bound, non-terminal pods. A pod counts under the uid both the
    /// store's owner index and `controller_ref_view` give it (always the same uid for a
    /// valid object), so the counts equal the old per-attempt walk of the owner index.
    spread: BTreeMap<String, BTreeMap<String, BTreeMap<String, i64>>>,
}

/// One node name of `Placed`: the node, if one has that name, and what the bound,
/// non-terminal pods naming it take (all zero when none do).
#[derive(Debug)]
struct NodeRow {
    name: String,
    info: Option<NodeInfo>,
    usage: NodeUsage,
}

/// The parts of a node every attempt reads, taken from the node when its watch event
/// arrives (the same version the snapshot then lists).
#[derive(Debug)]
struct NodeInfo {
    /// The node object this was read from (the store's current version after `sync`).
    object: Arc<Value>,
    /// The parsed `status.allocatable` (entries that do not parse are skipped).
    allocatable: BTreeMap<String, Quantity>,
    /// Whether the node is schedulable as far as taints go for a pod without tolerations
    /// to check: no `spec.taints` and Ready (no implied not-ready/unreachable taint).
    untainted_and_ready: bool,
    /// `spec.unschedulable: true`
    unschedulable: bool,
    /// Schedulable, untainted and Ready: every filter but the pod count passes here for a
    /// pod that `PodFacts::plain` says asks for nothing else.
    plain: bool,
    /// Allocatable cpu and memory in milli units as LeastAllocated and BalancedAllocation
    /// divide by: `None` when not positive (missing counts as 0), which makes the node count
    /// as full.
    cpu_capacity: Option<f64>,
    memory_capacity: Option<f64>,
    /// Allocatable pods (110 when missing), as NodeResourcesFit's pod count reads it.
    max_pods: i128,
    /// The last LeastAllocated and BalancedAllocation scores computed here, with the
    /// non-zero cpu and memory (the pod's plus the node's pods') they were computed for:
    /// between two attempts only the node that got the pod changes, so every other node
    /// scores the next pod of the same size from here.
    fit_memo: std::cell::Cell<Option<FitMemo>>,
}

/// See `NodeInfo::fit_memo`.
#[derive(Debug, Clone, Copy)]
struct FitMemo {
    cpu: i128,
    memory: i128,
    fit: i64,
    balance: i64,
}

impl NodeInfo {
    /// LeastAllocated and BalancedAllocation with `cpu` and `memory` (non-zero requests,
    /// milli) in use on this node once the pod is there.
    #[inline]
    fn fit_scores(&self, cpu: i128, memory: i128) -> (i64, i64) {
        if let Some(m) = self.fit_memo.get() {
            if m.cpu == cpu && m.memory == memory {
                return (m.fit, m.balance);
            }
        }
        let frac = |used: i128, cap: Option<f64>| match cap {
            None => 1.0,
            Some(cap) => (to_f64(used) / cap).min(1.0),
        };
        let (fc, fm) = (
            frac(cpu, self.cpu_capacity),
            frac(memory, self.memory_capacity),
        );
        let fit = (((1.0 - fc) * 100.0 + (1.0 - fm) * 100.0) / 2.0) as i64;
        let balance = ((1.0 - (fc - fm).abs() / 2.0) * 100.0) as i64;
        self.fit_memo.set(Some(FitMemo {
            cpu,
            memory,
            fit,
            balance,
        }));
        (fit, balance)
    }
}

impl NodeInfo {
    fn of(node: &Arc<Value>) -> NodeInfo {
        let allocatable = parse_allocatable(node);
        let milli = |r: &str| allocatable.get(r).map(|q| q.milli_value()).unwrap_or(0);
        let untainted_and_ready =
            object::get_array(node, &["spec", "taints"]).is_empty() && ready_status(node) == "True";
        let unschedulable = object::get_bool(node, &["spec", "unschedulable"]) == Some(true);
        NodeInfo {
            cpu_capacity: capacity(milli("cpu")),
            memory_capacity: capacity(milli("memory")),
            max_pods: max_pods(&allocatable),
            untainted_and_ready,
            unschedulable,
            plain: !unschedulable && untainted_and_ready,
            allocatable,
            object: node.clone(),
            fit_memo: std::cell::Cell::new(None),
        }
    }
}

/// A milli capacity as the scores divide by it (`None`: not positive).
fn capacity(milli: i128) -> Option<f64> {
    (milli > 0).then(|| to_f64(milli))
}

/// The pods a node takes: allocatable `pods`, 110 when missing.
fn max_pods(allocatable: &BTreeMap<String, Quantity>) -> i128 {
    allocatable.get("pods").map(|q| q.value()).unwrap_or(110)
}

/// A node's `status.allocatable` as quantities (entries that do not parse are skipped).
fn parse_allocatable(node: &Value) -> BTreeMap<String, Quantity> {
    // Inserts, not `collect` (which sorts its input): page size, issue 4.
    let mut out = BTreeMap::new();
    if let Some(m) = object::get(node, &["status", "allocatable"]).and_then(Value::as_object) {
        out.extend(
            m.iter()
                .filter_map(|(k, v)| crate::quantity::from_value(v).map(|q| (k.clone(), q))),
        );
    }
    out
}

impl Placed {
    fn sync(&mut self, store: &Store) {
        let head = store.head();
        if let Some(cursor) = self.cursor.filter(|c| *c <= head) {
            if let Ok(events) = store.events_since(cursor) {
                for e in events {
                    // Only pods and nodes are read: `object()` would turn a recorded
                    // Event into JSON.
                    if !matches!(e.kind, Kind::Pod | Kind::Node) {
                        continue;
                    }
                    let obj = (e.event_type != EventType::Deleted).then(|| e.object());
                    match e.kind {
                        Kind::Node => {
                            let info = obj.map(NodeInfo::of);
                            self.set_node(object::name(e.object()), info);
                        }
                        Kind::Pod => {
                            let key = KeyParts::of(Kind::Pod, e.object());
                            self.apply(key, obj, e.event_type == EventType::Added);
                        }
                        _ => {}
                    }
                }
                self.cursor = Some(head);
                return;
            }
        }
        *self = Placed::default();
        for pod in store.list(Kind::Pod, None) {
            self.apply(KeyParts::of(Kind::Pod, pod), Some(pod), true);
        }
        for node in store.list(Kind::Node, None) {
            self.set_node(object::name(node), Some(NodeInfo::of(node)));
        }
        self.cursor = Some(head);
    }

    /// Takes in pod `key` as it now is (`obj`; `None`: deleted). `added`: the event that
    /// brought it created it, so no earlier version is here to take away (the log has the
    /// deletion of any earlier pod of that name before it).
    fn apply(&mut self, key: KeyParts<'_>, obj: Option<&Arc<Value>>, added: bool) {
        let live = obj.filter(|o| !node_name(o).is_empty() && !is_terminal(o));
        let key: &dyn KeyView = &key;
        debug_assert!(!added || !self.pods.contains_key(key));
        if added && live.is_none() {
            // A new pod, not bound yet (as the scheduler's every pod starts): nothing here.
            return;
        }
        // One search tells whether there is anything to take away (a pod not bound before,
        // as most are, is not searched for again).
        let old = if added { None } else { self.pods.get_mut(key) };
        let known = match (live, old) {
            (Some(o), Some(old)) => {
                // Most pod events are status writes: same spec (so same node, requests, host
                // ports and terms) and same controller. Nothing this cache sums changes.
                if o.get("spec").unwrap_or(&Value::Null) == &old.spec
                    && owner_refs(o) == &old.owners
                {
                    if old.object.is_some() {
                        old.object = Some(o.clone());
                    }
                    return;
                }
                true
            }
            (_, old) => old.is_some(),
        };
        let namespace = key.parts().namespace;
        if let Some(old) = known.then(|| self.pods.remove(key)).flatten() {
            if let Some(uid) = &old.peer_of {
                self.uncount_peer(uid, namespace, &old.node);
            }
            if let Ok(i) = self.row_index(&old.node) {
                if let Some(row) = self.rows.get_mut(i) {
                    let usage = &mut row.usage;
                    usage.pods = usage.pods.saturating_sub(1);
                    for (res, q) in &old.requests {
                        if let Some(sum) = usage.requested.get_mut(res) {
                            *sum -= q.milli_value();
                        }
                    }
                    usage.non_zero_cpu -= old.non_zero.0;
                    usage.non_zero_memory -= old.non_zero.1;
                    if usage.pods == 0 {
                        // No pods left: no sums either (a resource they named is gone).
                        *usage = NodeUsage::default();
                    }
                }
                self.prune(i);
            }
            self.with_anti_affinity.remove(key);
        }
        let Some(obj) = live else { return };
        let node = node_name(obj);
        let anti_affinity = !object::get_array(
            obj,
            &[
                "spec",
                "affinity",
                "podAntiAffinity",
                "requiredDuringSchedulingIgnoredDuringExecution",
            ],
        )
        .is_empty();
        let entry = PlacedPod {
            node: node.to_string(),
            requests: pod_requests(obj),
            non_zero: non_zero_requests(obj),
            spec: obj.get("spec").cloned().unwrap_or(Value::Null),
            peer_of: peer_uid(obj).map(str::to_string),
            owners: owner_refs(obj).clone(),
            object: anti_affinity.then(|| obj.clone()),
        };
        if let Some(uid) = &entry.peer_of {
            // Searched before inserting: the uid, namespace and node are copied only when
            // new here (most pods join a known controller, namespace and node).
            let by_ns = match self.spread.get_mut(uid.as_str()) {
                Some(m) => m,
                None => self.spread.entry(uid.clone()).or_default(),
            };
            let by_node = match by_ns.get_mut(namespace) {
                Some(m) => m,
                None => by_ns.entry(namespace.to_string()).or_default(),
            };
            match by_node.get_mut(entry.node.as_str()) {
                Some(n) => *n += 1,
                None => {
                    by_node.insert(entry.node.clone(), 1);
                }
            }
        }
        let usage = &mut self.row_mut(&entry.node).usage;
        usage.pods += 1;
        for (res, q) in &entry.requests {
            *usage.requested.entry(res.clone()).or_insert(0) += q.milli_value();
        }
        usage.non_zero_cpu += entry.non_zero.0;
        usage.non_zero_memory += entry.non_zero.1;
        let key = key.parts().to_key();
        if anti_affinity {
            self.with_anti_affinity.insert(key.clone());
        }
        self.pods.insert(key, Box::new(entry));
    }

    /// Where `name`'s row is (`Ok`) or would go (`Err`).
    fn row_index(&self, name: &str) -> Result<usize, usize> {
        self.rows.binary_search_by(|r| r.name.as_str().cmp(name))
    }

    /// `name`'s row, added empty if missing.
    fn row_mut(&mut self, name: &str) -> &mut NodeRow {
        let i = match self.row_index(name) {
            Ok(i) => i,
            Err(i) => {
                let row = NodeRow {
                    name: name.to_string(),
                    info: None,
                    usage: NodeUsage::default(),
                };
                self.rows.insert(i, row);
                i
            }
        };
        &mut self.rows[i]
    }

    /// Drops row `i` when it has neither a node nor pods.
    fn prune(&mut self, i: usize) {
        if self
            .rows
            .get(i)
            .is_some_and(|r| r.info.is_none() && r.usage.pods == 0)
        {
            self.rows.remove(i);
        }
    }

    /// Records node `name` as it now is (`None`: deleted).
    fn set_node(&mut self, name: &str, info: Option<NodeInfo>) {
        match info {
            Some(info) => self.row_mut(name).info = Some(info),
            None => {
                if let Ok(i) = self.row_index(name) {
                    if let Some(row) = self.rows.get_mut(i) {
                        row.info = None;
                    }
                    self.prune(i);
                }
            }
        }
    }

    /// The snapshot's nodes: the rows that have one, in name order.
    fn node_rows(&self) -> impl Iterator<Item = (&NodeRow, &NodeInfo)> + '_ {
        self.rows
            .iter()
            .filter_map(|r| r.info.as_ref().map(|info| (r, info)))
    }

    fn uncount_peer(&mut self, uid: &str, namespace: &str, node: &str) {
        let Some(by_ns) = self.spread.get_mut(uid) else {
            return;
        };
        if let Some(by_node) = by_ns.get_mut(namespace) {
            if let Some(n) = by_node.get_mut(node) {
                *n -= 1;
                if *n <= 0 {
                    by_node.remove(node);
                }
            }
            if by_node.is_empty() {
                by_ns.remove(namespace);
            }
        }
        if by_ns.is_empty() {
            self.spread.remove(uid);
        }
    }

    /// The bound, non-terminal pods of controller `uid` in `namespace`, per node.
    fn peers(&self, uid: &str, namespace: &str) -> Option<&BTreeMap<String, i64>> {
        self.spread.get(uid)?.get(namespace)
    }
}

/// A pod's `metadata.ownerReferences` as stored (`Null` when missing): all `peer_uid` reads.
fn owner_refs(pod: &Value) -> &Value {
    object::get(pod, &["metadata", "ownerReferences"]).unwrap_or(&Value::Null)
}

/// The controller uid a pod spreads under: the uid of the store's owner index (the first
/// `controller: true` reference), when `controller_ref_view` reads the same one (it always
/// does for an object the API server accepted).
fn peer_uid(pod: &Value) -> Option<&str> {
    let indexed = object::get_array(pod, &["metadata", "ownerReferences"])
        .iter()
        .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
        .and_then(|r| r.get("uid"))
        .and_then(Value::as_str)?;
    (object::controller_ref_view(pod).map(|r| r.uid) == Some(indexed)).then_some(indexed)
}

impl Scheduler {
    pub fn new() -> Scheduler {
        Scheduler::default()
    }

    fn retry_all(&self, out: &mut Vec<ObjectKey>) {
        out.extend(self.unschedulable.keys().cloned());
    }
}

fn is_terminal(pod: &Value) -> bool {
    matches!(
        object::get_str(pod, &["status", "phase"]),
        Some("Succeeded" | "Failed")
    )
}

fn node_name(pod: &Value) -> &str {
    object::get_str(pod, &["spec", "nodeName"]).unwrap_or("")
}

/// Whether this scheduler is responsible for `pod`.
fn wants_scheduling(pod: &Value) -> bool {
    node_name(pod).is_empty()
        && !object::is_terminating(pod)
        && !is_terminal(pod)
        && object::get_str(pod, &["spec", "schedulerName"]).unwrap_or(SCHEDULER_NAME)
            == SCHEDULER_NAME
}

fn pod_fingerprint(pod: &Value) -> String {
    let spec = pod.get("spec").cloned().unwrap_or(Value::Null);
    let labels = object::get(pod, &["metadata", "labels"])
        .cloned()
        .unwrap_or(Value::Null);
    format!("{spec}|{labels}")
}

fn node_fingerprint(node: &Value) -> String {
    let labels = object::get(node, &["metadata", "labels"])
        .cloned()
        .unwrap_or(Value::Null);
    let spec = node.get("spec").cloned().unwrap_or(Value::Null);
    let alloc = object::get(node, &["status", "allocatable"])
        .cloned()
        .unwrap_or(Value::Null);
    format!("{labels}|{spec}|{alloc}|{}", ready_status(node))
}

fn ready_status(node: &Value) -> &str {
    object::get_array(node, &["status", "conditions"])
        .iter()
        .find(|c| object::get_str(c, &["type"]) == Some("Ready"))
        .and_then(|c| object::get_str(c, &["status"]))
        .unwrap_or("Unknown")
}

impl Controller for Scheduler {
    fn name(&self) -> &'static str {
        SCHEDULER_NAME
    }

    fn watches(&self, kind: Kind) -> bool {
        matches!(
            kind,
            Kind::Pod
                | Kind::Node
                | Kind::PersistentVolumeClaim
                | Kind::PersistentVolume
                | Kind::StorageClass
        )
    }

    fn keys_for(&mut self, event: &WatchEvent, _api: &Api, out: &mut Vec<ObjectKey>) {
        let obj = event.object();
        match event.kind {
            Kind::Pod => {
                // Searched with borrowed parts: most events queue nothing and keep nothing,
                // so the key's strings are copied only when it is.
                let parts = KeyParts::of(Kind::Pod, obj);
                let key: &dyn KeyView = &parts;
                if event.event_type == EventType::Deleted {
                    self.unschedulable.remove(key);
                    self.waiting_on_volumes.remove(key);
                    if self.assigned.remove(key).is_some() {
                        // Freed resources, ports or anti-affinity domains may help anyone.
                        self.retry_all(out);
                    }
                    return;
                }
                let node = node_name(obj);
                if node.is_empty() {
                    if !wants_scheduling(obj) || self.waiting_on_volumes.contains_key(key) {
                        return;
                    }
                    match self.unschedulable.get(key) {
                        Some(u) if u.fingerprint == pod_fingerprint(obj) => {}
                        _ => out.push(parts.to_key()),
                    }
                    return;
                }
                if !self.unschedulable.is_empty() {
                    self.unschedulable.remove(key);
                }
                if !self.waiting_on_volumes.is_empty() {
                    self.waiting_on_volumes.remove(key);
                }
                // One search of the assigned pods when this one is known (most events: its
                // status writes), two when it is new.
                let unchanged = match self.assigned.get_mut(key) {
                    Some(print) => {
                        let same = print.matches(obj, node);
                        if !same {
                            **print = AssignedPrint::of(obj, node);
                        }
                        Some(same)
                    }
                    None => {
                        self.assigned
                            .insert(parts.to_key(), Box::new(AssignedPrint::of(obj, node)));
                        None
                    }
                };
                match unchanged {
                    // A pod that finished frees its resources for everyone.
                    Some(false) if is_terminal(obj) => self.retry_all(out),
                    // A newly placed (or relabelled) pod can only help pod-affinity terms.
                    Some(true) => {}
                    _ => out.extend(
                        self.unschedulable
                            .iter()
                            .filter(|(_, u)| u.has_pod_affinity)
                            .map(|(k, _)| k.clone()),
                    ),
                }
            }
            Kind::Node => {
                let name = object::name(obj).to_string();
                if event.event_type == EventType::Deleted {
                    self.nodes.remove(&name);
                    return;
                }
                let print = node_fingerprint(obj);
                if self.nodes.insert(name, print.clone()).as_ref() != Some(&print) {
                    self.retry_all(out);
                }
            }
            Kind::PersistentVolumeClaim => {
                let ns = object::namespace(obj);
                out.extend(
                    self.unschedulable
                        .keys()
                        .chain(self.waiting_on_volumes.keys())
                        .filter(|k| k.namespace == ns)
                        .cloned(),
                );
            }
            _ => {
                if event.event_type != EventType::Deleted {
                    self.retry_all(out);
                }
            }
        }
    }

    fn reconcile(&mut self, key: &ObjectKey, ctx: &mut Ctx<'_>) -> Action {
        if key.kind != Kind::Pod {
            return Action::Done;
        }
        let api = &mut *ctx.api;
        let Some(pod) = api.try_get(Kind::Pod, &key.namespace, &key.name).cloned() else {
            self.unschedulable.remove(key);
            self.waiting_on_volumes.remove(key);
            return Action::Done;
        };
        if !wants_scheduling(&pod) {
            self.unschedulable.remove(key);
            self.waiting_on_volumes.remove(key);
            return Action::Done;
        }
        if let Some(node) = self.waiting_on_volumes.get(key).cloned() {
            match claims_state(api, &pod) {
                Ok(c) if c.unbound_wait.is_empty() => {
                    self.waiting_on_volumes.remove(key);
                    if api.try_get(Kind::Node, "", &node).is_some() {
                        bind(api, &pod, &node);
                        return Action::Done;
                    }
                }
                Ok(_) => return Action::Done,
                Err(_) => {
                    self.waiting_on_volumes.remove(key);
                }
            }
        }
        self.placed.sync(&api.store);
        match schedule(api, &self.placed, &mut self.scratch, &pod) {
            Ok(Decision::Bind(node)) => {
                self.unschedulable.remove(key);
                bind(api, &pod, &node);
            }
            Ok(Decision::WaitForVolumes(node)) => {
                self.unschedulable.remove(key);
                self.waiting_on_volumes.insert(key.clone(), node);
            }
            Err(message) => {
                self.unschedulable.insert(
                    key.clone(),
                    Unschedulable {
                        fingerprint: pod_fingerprint(&pod),
                        has_pod_affinity: object::get(&pod, &["spec", "affinity", "podAffinity"])
                            .is_some(),
                    },
                );
                record_failure(api, &pod, &message);
            }
        }
        Action::Done
    }
}

/// The outcome of a successful scheduling cycle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    Bind(String),
    /// WaitForFirstConsumer claims were annotated with the node; bind once they are bound.
    WaitForVolumes(String),
}

/// Binds through the `pods/binding` subresource (`Api::bind_pod`: `spec.nodeName` and
/// `PodScheduled=True` in one write, one MODIFIED watch event as `kubectl get pods -w` shows),
/// then records `Scheduled`. A pod that was bound, deleted or gated meanwhile is left alone.
fn bind(api: &mut Api, pod: &Arc<Value>, node: &str) {
    let Ok(stored) = api.bind_pod(object::namespace(pod), object::name(pod), node) else {
        return;
    };
    let msg = format!(
        "Successfully assigned {}/{} to {node}",
        object::namespace(&stored),
        object::name(&stored)
    );
    api.record_event(
        &stored,
        None,
        "Normal",
        "Scheduled",
        &msg,
        Source {
            component: SCHEDULER_NAME,
            host: None,
        },
    );
}

/// Replaces or appends the PodScheduled condition, keeping lastTransitionTime when the
/// status does not change (`podutil.UpdatePodCondition`).
fn set_scheduled_condition(pod: &mut Value, mut cond: Value) {
    let mut conds = object::get_array(pod, &["status", "conditions"]).to_vec();
    match conds
        .iter_mut()
        .find(|c| object::get_str(c, &["type"]) == Some("PodScheduled"))
    {
        Some(existing) => {
            if existing.get("status") == cond.get("status") {
                if let Some(t) = existing.get("lastTransitionTime") {
                    cond["lastTransitionTime"] = t.clone();
                }
            }
            *existing = cond;
        }
        None => conds.push(cond),
    }
    object::set(pod, &["status", "conditions"], Value::Array(conds));
}

fn record_failure(api: &mut Api, pod: &Arc<Value>, message: &str) {
    let mut p = (**pod).clone();
    set_scheduled_condition(
        &mut p,
        json!({"type": "PodScheduled", "status": "False",
        "reason": "Unschedulable", "message": message,
        "lastProbeTime": null, "lastTransitionTime": api.now.rfc3339()}),
    );
    if object::get(&p, &["status", "phase"]).is_none() {
        object::set(&mut p, &["status", "phase"], json!("Pending"));
    }
    let written = if p != **pod {
        api.update_status(p).unwrap_or_else(|_| pod.clone())
    } else {
        pod.clone()
    };
    api.record_event(
        &written,
        None,
        "Warning",
        "FailedScheduling",
        message,
        Source {
            component: SCHEDULER_NAME,
            host: None,
        },
    );
}

/// A pod's claims, as VolumeBinding's PreFilter sorts them.
#[derive(Default)]
struct Claims {
    /// Bound claims' PVs (for node affinity).
    bound_pvs: Vec<Arc<Value>>,
    /// Unbound WaitForFirstConsumer claims.
    unbound_wait: Vec<Arc<Value>>,
}

fn claim_names(pod: &Value) -> Vec<(String, bool)> {
    let pod_name = object::name(pod);
    object::get_array(pod, &["spec", "volumes"])
        .iter()
        .filter_map(|v| {
            if let Some(c) = object::get_str(v, &["persistentVolumeClaim", "claimName"]) {
                Some((c.to_string(), false))
            } else if object::get(v, &["ephemeral"]).is_some() {
                let vol = object::get_str(v, &["name"]).unwrap_or("");
                Some((format!("{pod_name}-{vol}"), true))
            } else {
                None
            }
        })
        .collect()
}

/// PreFilter of VolumeBinding: every claim must exist and not be terminating, and unbound
/// claims must use WaitForFirstConsumer. Errors are the whole-cycle messages.
fn claims_state(api: &Api, pod: &Value) -> Result<Claims, String> {
    let ns = object::namespace(pod);
    let mut claims = Claims::default();
    let mut unbound_immediate = false;
    for (name, ephemeral) in claim_names(pod) {
        let Some(pvc) = api.try_get(Kind::PersistentVolumeClaim, ns, &name).cloned() else {
            return Err(if ephemeral {
                format!("waiting for ephemeral volume controller to create the persistentvolumeclaim \"{name}\"")
            } else {
                format!("persistentvolumeclaim \"{name}\" not found")
            });
        };
        if object::is_terminating(&pvc) {
            return Err(format!("persistentvolumeclaim \"{name}\" is being deleted"));
        }
        let volume = object::get_str(&pvc, &["spec", "volumeName"]).unwrap_or("");
        if !volume.is_empty() {
            if let Some(pv) = api.try_get(Kind::PersistentVolume, "", volume) {
                claims.bound_pvs.push(pv.clone());
            }
            continue;
        }
        let class = object::get_str(&pvc, &["spec", "storageClassName"]).unwrap_or("");
        let wait = !class.is_empty()
            && api
                .try_get(Kind::StorageClass, "", class)
                .and_then(|sc| object::get_str(sc, &["volumeBindingMode"]))
                == Some("WaitForFirstConsumer");
        if wait {
            claims.unbound_wait.push(pvc);
        } else {
            unbound_immediate = true;
        }
    }
    if unbound_immediate {
        return Err(UNBOUND_IMMEDIATE.to_string());
    }
    Ok(claims)
}

/// Total requests of a pod: the sum over containers, at least the largest init container,
/// plus overhead (`resource.PodRequests`). Limits stand in for unset requests.
pub fn pod_requests(pod: &Value) -> BTreeMap<String, Quantity> {
    fn container_requests(c: &Value) -> BTreeMap<String, Quantity> {
        let mut out = BTreeMap::new();
        for field in ["limits", "requests"] {
            if let Some(m) = object::get(c, &["resources", field]).and_then(Value::as_object) {
                for (k, v) in m {
                    if let Some(q) = crate::quantity::from_value(v) {
                        out.insert(k.clone(), q);
                    }
                }
            }
        }
        out
    }
    let mut total: BTreeMap<String, Quantity> = BTreeMap::new();
    for c in object::get_array(pod, &["spec", "containers"]) {
        for (k, q) in container_requests(c) {
            let e = total.entry(k).or_insert_with(Quantity::zero);
            *e = e.add(&q);
        }
    }
    for c in object::get_array(pod, &["spec", "initContainers"]) {
        for (k, q) in container_requests(c) {
            let e = total.entry(k).or_insert_with(Quantity::zero);
            if q > *e {
                *e = q;
            }
        }
    }
    if let Some(m) = object::get(pod, &["spec", "overhead"]).and_then(Value::as_object) {
        for (k, v) in m {
            if let Some(q) = crate::quantity::from_value(v) {
                let e = total.entry(k.clone()).or_insert_with(Quantity::zero);
                *e = e.add(&q);
            }
        }
    }
    total
}

/// Requests for scoring: containers without cpu/memory requests count 100m / 200Mi.
fn non_zero_requests(pod: &Value) -> (i128, i128) {
    let mut cpu = 0;
    let mut mem = 0;
    for c in object::get_array(pod, &["spec", "containers"]) {
        let get = |r: &str| {
            object::get(c, &["resources", "requests", r])
                .or_else(|| object::get(c, &["resources", "limits", r]))
                .and_then(crate::quantity::from_value)
                .map(|q| q.milli_value())
        };
        cpu += get("cpu").unwrap_or(DEFAULT_MILLI_CPU);
        mem += get("memory").unwrap_or(DEFAULT_MEMORY_MILLI);
    }
    (cpu, mem)
}

fn tolerates(tolerations: &[Value], taint: &Value) -> bool {
    let key = object::get_str(taint, &["key"]).unwrap_or("");
    let value = object::get_str(taint, &["value"]).unwrap_or("");
    let effect = object::get_str(taint, &["effect"]).unwrap_or("");
    tolerations.iter().any(|t| {
        let t_effect = object::get_str(t, &["effect"]).unwrap_or("");
        if !t_effect.is_empty() && t_effect != effect {
            return false;
        }
        let t_key = object::get_str(t, &["key"]).unwrap_or("");
        match object::get_str(t, &["operator"]).unwrap_or("Equal") {
            "Exists" => t_key.is_empty() || t_key == key,
            "Equal" | "" => t_key == key && object::get_str(t, &["value"]).unwrap_or("") == value,
            _ => false,
        }
    })
}

/// A node's taints, plus the not-ready/unreachable NoSchedule taint the node lifecycle
/// controller would put on a node whose Ready condition is not True (so a NotReady node is
/// never chosen even before that controller has caught up).
fn effective_taints(node: &Value) -> Vec<Value> {
    let mut taints = object::get_array(node, &["spec", "taints"]).to_vec();
    let implied = match ready_status(node) {
        "True" => None,
        "False" => Some("node.kubernetes.io/not-ready"),
        _ => Some("node.kubernetes.io/unreachable"),
    };
    if let Some(key) = implied {
        let present = taints.iter().any(|t| {
            object::get_str(t, &["key"]) == Some(key)
                && object::get_str(t, &["effect"]) == Some("NoSchedule")
        });
        if !present {
            taints.push(json!({"key": key, "effect": "NoSchedule"}));
        }
    }
    taints
}

/// One `NodeSelectorRequirement` against a node's labels (or `metadata.name` for fields).
fn requirement_matches(req: &Value, value: Option<&str>) -> bool {
    let values: Vec<&str> = object::get_array(req, &["values"])
        .iter()
        .filter_map(Value::as_str)
        .collect();
    match object::get_str(req, &["operator"]).unwrap_or("") {
        "In" => value.is_some_and(|v| values.contains(&v)),
        "NotIn" => !value.is_some_and(|v| values.contains(&v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        op @ ("Gt" | "Lt") => {
            let (Some(v), Some(bound)) = (
                value.and_then(|v| v.parse::<i64>().ok()),
                values.first().and_then(|b| b.parse::<i64>().ok()),
            ) else {
                return false;
            };
            if op == "Gt" {
                v > bound
            } else {
                v < bound
            }
        }
        _ => false,
    }
}

/// A `NodeSelectorTerm`: all expressions and fields must match; an empty term matches nothing.
fn term_matches(term: &Value, node: &Value) -> bool {
    let exprs = object::get_array(term, &["matchExpressions"]);
    let fields = object::get_array(term, &["matchFields"]);
    if exprs.is_empty() && fields.is_empty() {
        return false;
    }
    let labels = object::labels(node);
    exprs.iter().all(|r| {
        let key = object::get_str(r, &["key"]).unwrap_or("");
        requirement_matches(r, labels.get(key).map(String::as_str))
    }) && fields.iter().all(|r| {
        let v = (object::get_str(r, &["key"]) == Some("metadata.name")).then(|| object::name(node));
        requirement_matches(r, v)
    })
}

/// `nodeSelector` plus required node affinity (terms are ORed), the pod's side read once
/// per attempt.
fn node_affinity_matches(facts: &PodFacts<'_>, node: &Value) -> bool {
    if !facts.node_selector.is_empty()
        && !facts
            .node_selector
            .iter()
            .all(|(k, v)| object::label(node, k) == Some(v.as_str()))
    {
        return false;
    }
    match facts.required_node_affinity {
        None => true,
        Some(req) => object::get_array(req, &["nodeSelectorTerms"])
            .iter()
            .any(|t| term_matches(t, node)),
    }
}

fn host_ports(pod: &Value) -> Vec<(String, i64, String)> {
    object::get_array(pod, &["spec", "containers"])
        .iter()
        .flat_map(|c| object::get_array(c, &["ports"]).iter())
        .filter_map(|p| {
            let hp = object::get_i64(p, &["hostPort"]).filter(|h| *h > 0)?;
            Some((
                object::get_str(p, &["hostIP"])
                    .unwrap_or("0.0.0.0")
                    .to_string(),
                hp,
                object::get_str(p, &["protocol"])
                    .unwrap_or("TCP")
                    .to_string(),
            ))
        })
        .collect()
}

/// A pod (anti-)affinity term compiled: selector, namespaces it looks in, topology key.
struct AffinityTerm {
    selector: Option<Selector>,
    /// `None` means every namespace.
    namespaces: Option<BTreeSet<String>>,
    topology_key: String,
}

impl AffinityTerm {
    fn parse(term: &Value, own_ns: &str, api: &Api) -> AffinityTerm {
        let selector = object::get(term, &["labelSelector"])
            .filter(|s| !s.is_null())
            .and_then(|s| Selector::from_label_selector(s).ok());
        // Inserts, not `collect`/`from` (which sort their input): page size, issue 4.
        let mut listed = BTreeSet::new();
        listed.extend(
            object::get_array(term, &["namespaces"])
                .iter()
                .filter_map(|n| n.as_str().map(str::to_string)),
        );
        let namespaces = match object::get(term, &["namespaceSelector"]) {
            Some(ns_sel) if !ns_sel.is_null() => {
                let sel = Selector::from_label_selector(ns_sel).unwrap_or_default();
                if sel.is_empty() {
                    None
                } else {
                    let mut set = listed;
                    for ns in api.list(Kind::Namespace, None, &sel) {
                        set.insert(object::name(&ns).to_string());
                    }
                    Some(set)
                }
            }
            _ if listed.is_empty() => {
                let mut own = BTreeSet::new();
                own.insert(own_ns.to_string());
                Some(own)
            }
            _ => Some(listed),
        };
        AffinityTerm {
            selector,
            namespaces,
            topology_key: object::get_str(term, &["topologyKey"])
                .unwrap_or("")
                .to_string(),
        }
    }

    fn matches_pod(&self, pod: &Value) -> bool {
        let in_ns = self
            .namespaces
            .as_ref()
            .is_none_or(|set| set.contains(object::namespace(pod)));
        in_ns
            && self
                .selector
                .as_ref()
                .is_some_and(|s| s.matches_object(pod))
    }
}

fn required_terms(pod: &Value, which: &str, api: &Api) -> Vec<AffinityTerm> {
    object::get_array(
        pod,
        &[
            "spec",
            "affinity",
            which,
            "requiredDuringSchedulingIgnoredDuringExecution",
        ],
    )
    .iter()
    .map(|t| AffinityTerm::parse(t, object::namespace(pod), api))
    .collect()
}

/// Everything the filters need about the cluster for one attempt: the nodes and the
/// scheduler's cache of bound pods (both `Placed`'s, which `sync` has just made the store's:
/// same versions, same name order as a listing, so nothing is listed or copied per
/// attempt). Only the rare plugins that must look at individual pods (host ports, the
/// incoming pod's own inter-pod terms) read the store's per-node index.
struct Snapshot<'a> {
    placed: &'a Placed,
    store: &'a Store,
}

impl<'a> Snapshot<'a> {
    fn take(store: &'a Store, placed: &'a Placed) -> Snapshot<'a> {
        Snapshot { placed, store }
    }

    /// The nodes, in name order.
    fn nodes(&self) -> impl Iterator<Item = &'a Arc<Value>> + 'a {
        self.placed.node_rows().map(|(_, info)| &info.object)
    }

    /// Each node with what `Placed` holds for it and its row's index, in name order.
    fn views(&self) -> impl Iterator<Item = (usize, NodeView<'a>)> + 'a {
        self.placed.rows.iter().enumerate().filter_map(|(i, row)| {
            let info = row.info.as_ref()?;
            let view = NodeView {
                name: &row.name,
                node: &info.object,
                info,
                usage: &row.usage,
            };
            Some((i, view))
        })
    }

    /// Non-terminal pods bound to `node`.
    fn pods(&self, node: &str) -> impl Iterator<Item = &'a Arc<Value>> + 'a {
        self.store.pods_on_node(node).filter(|p| !is_terminal(p))
    }

    fn label<'b>(node: &'b Value, key: &str) -> Option<&'b str> {
        object::label(node, key)
    }

    /// Pods on nodes in the same topology domain as `node` for `key`.
    fn pods_in_domain(&self, node: &Value, key: &str) -> Vec<&'a Arc<Value>> {
        let Some(v) = Snapshot::label(node, key) else {
            return Vec::new();
        };
        self.nodes()
            .filter(|n| Snapshot::label(n, key) == Some(v))
            .flat_map(|n| self.pods(object::name(n)))
            .collect()
    }

    /// Whether any non-terminal pod on a snapshot node satisfies `f`.
    fn any_pod(&self, f: impl Fn(&Value) -> bool) -> bool {
        self.nodes()
            .any(|n| self.pods(object::name(n)).any(|p| f(p)))
    }
}

/// One snapshot node and what `Placed` holds for it (all zero when no pod is bound there).
#[derive(Clone, Copy)]
struct NodeView<'a> {
    name: &'a str,
    node: &'a Value,
    info: &'a NodeInfo,
    usage: &'a NodeUsage,
}

/// Why one node was filtered out, and whether preemption could ever help there.
struct NodeFailure {
    reasons: Vec<String>,
    resolvable: bool,
}

fn unresolvable(reason: &str) -> NodeFailure {
    NodeFailure {
        reasons: vec![reason.to_string()],
        resolvable: false,
    }
}

fn resolvable(reason: &str) -> NodeFailure {
    NodeFailure {
        reasons: vec![reason.to_string()],
        resolvable: true,
    }
}

/// What the filters read from the pod being scheduled, read once per attempt instead of once
/// per node (an attempt filters every node).
struct PodFacts<'p> {
    pod: &'p Value,
    requests: BTreeMap<String, Quantity>,
    tolerations: &'p [Value],
    node_selector: BTreeMap<String, String>,
    required_node_affinity: Option<&'p Value>,
    host_ports: Vec<(String, i64, String)>,
    affinity_terms: Vec<AffinityTerm>,
    anti_affinity_terms: Vec<AffinityTerm>,
}

impl<'p> PodFacts<'p> {
    /// Whether the pod asks for nothing a plain node (`NodeInfo::plain`) could refuse but
    /// room for one more pod: no requests, node selector or required node affinity, host
    /// ports or required inter-pod terms.
    fn plain(&self) -> bool {
        self.requests.is_empty()
            && self.node_selector.is_empty()
            && self.required_node_affinity.is_none()
            && self.host_ports.is_empty()
            && self.affinity_terms.is_empty()
            && self.anti_affinity_terms.is_empty()
    }

    fn of(pod: &'p Value, api: &Api) -> PodFacts<'p> {
        PodFacts {
            pod,
            requests: pod_requests(pod),
            tolerations: object::get_array(pod, &["spec", "tolerations"]),
            node_selector: object::string_map(pod, &["spec", "nodeSelector"]),
            required_node_affinity: object::get(
                pod,
                &[
                    "spec",
                    "affinity",
                    "nodeAffinity",
                    "requiredDuringSchedulingIgnoredDuringExecution",
                ],
            ),
            host_ports: host_ports(pod),
            affinity_terms: required_terms(pod, "podAffinity", api),
            anti_affinity_terms: required_terms(pod, "podAntiAffinity", api),
        }
    }
}

/// Whether one of the node's taints (with the implied not-ready/unreachable one, see
/// `effective_taints`) has a NoSchedule or NoExecute effect the pod does not tolerate.
/// Reads the taints in place: most nodes have none and are Ready, so nothing is built.
fn has_untolerated_taint(node: &Value, tolerations: &[Value]) -> bool {
    let taints = object::get_array(node, &["spec", "taints"]);
    let blocks = |t: &Value| {
        matches!(
            object::get_str(t, &["effect"]),
            Some("NoSchedule" | "NoExecute")
        ) && !tolerates(tolerations, t)
    };
    if taints.iter().any(blocks) {
        return true;
    }
    if ready_status(node) == "True" {
        return false;
    }
    effective_taints(node).get(taints.len()).is_some_and(blocks)
}

/// NodeResourcesFit: the pod count, then every requested resource against what the node's
/// pods leave free. Fails with every reason at once; resolvable when the pod would fit the
/// node empty.
fn node_resources_fit(
    requests: &BTreeMap<String, Quantity>,
    alloc: &BTreeMap<String, Quantity>,
    usage: &NodeUsage,
    too_many_pods: bool,
) -> Result<(), NodeFailure> {
    let mut reasons = Vec::new();
    let mut fits_empty_node = true;
    if too_many_pods {
        reasons.push(REASON_TOO_MANY_PODS.to_string());
    }
    for (res, want) in requests {
        if want.milli_value() <= 0 {
            continue;
        }
        let have = alloc
            .get(res)
            .copied()
            .unwrap_or_else(|| Quantity::from_milli(0, Format::DecimalSI));
        let taken = usage
            .requested
            .get(res)
            .map(|m| Quantity::from_milli(*m, Format::DecimalSI))
            .unwrap_or_else(Quantity::zero);
        if *want > have.sub(&taken) {
            reasons.push(format!("Insufficient {res}"));
            if *want > have {
                fits_empty_node = false;
            }
        }
    }
    if reasons.is_empty() {
        return Ok(());
    }
    Err(NodeFailure {
        reasons,
        resolvable: fits_empty_node,
    })
}

fn filter_node(
    api: &Api,
    snap: &Snapshot<'_>,
    facts: &PodFacts<'_>,
    view: &NodeView<'_>,
    claims: &Claims,
) -> Result<(), NodeFailure> {
    let pod = facts.pod;
    let requests = &facts.requests;
    let tolerations = facts.tolerations;
    let name = view.name;
    let node = view.node;
    let info = view.info;
    // NodeUnschedulable
    if info.unschedulable
        && !tolerates(
            tolerations,
            &json!({"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}),
        )
    {
        return Err(unresolvable(REASON_UNSCHEDULABLE_NODE));
    }
    // TaintToleration (a Ready node without taints has none to tolerate)
    if !info.untainted_and_ready && has_untolerated_taint(node, tolerations) {
        return Err(unresolvable(REASON_TAINT));
    }
    // NodeAffinity
    if !node_affinity_matches(facts, node) {
        return Err(unresolvable(REASON_NODE_AFFINITY));
    }
    // NodePorts
    let wanted = &facts.host_ports;
    if !wanted.is_empty() {
        let used: Vec<_> = snap.pods(name).flat_map(|p| host_ports(p)).collect();
        let conflict = wanted.iter().any(|(ip, port, proto)| {
            used.iter().any(|(uip, uport, uproto)| {
                uport == port
                    && uproto == proto
                    && (uip == ip || uip == "0.0.0.0" || ip == "0.0.0.0")
            })
        });
        if conflict {
            return Err(resolvable(REASON_HOST_PORTS));
        }
    }
    // NodeResourcesFit
    let alloc = &info.allocatable;
    let usage = view.usage;
    let too_many_pods = usage.pods as i128 + 1 > info.max_pods;
    // A pod without requests on a node with room for it fits (the usual case): no
    // reasons to gather.
    if too_many_pods || !requests.is_empty() {
        node_resources_fit(requests, alloc, usage, too_many_pods)?;
    }
    // VolumeBinding: bound PVs must allow this node; a claim already promised to a node
    // (selected-node) pins the pod there.
    for pv in &claims.bound_pvs {
        if let Some(req) = object::get(pv, &["spec", "nodeAffinity", "required"]) {
            if !object::get_array(req, &["nodeSelectorTerms"])
                .iter()
                .any(|t| term_matches(t, node))
            {
                return Err(unresolvable(REASON_VOLUME_NODE_AFFINITY));
            }
        }
    }
    for pvc in &claims.unbound_wait {
        if let Some(selected) = object::annotation(pvc, SELECTED_NODE_ANNOTATION) {
            if selected != name {
                return Err(unresolvable(REASON_VOLUME_NODE_AFFINITY));
            }
        }
    }
    // InterPodAffinity
    for term in &facts.affinity_terms {
        let in_domain = snap.pods_in_domain(node, &term.topology_key);
        let satisfied = in_domain.iter().any(|p| term.matches_pod(p));
        if !satisfied {
            // A pod that matches its own term may start the group when no pod matches yet.
            let any_match = snap.any_pod(|p| term.matches_pod(p));
            let self_match = term.matches_pod(pod);
            if any_match || !self_match || Snapshot::label(node, &term.topology_key).is_none() {
                return Err(unresolvable(REASON_POD_AFFINITY));
            }
        }
    }
    for term in &facts.anti_affinity_terms {
        if snap
            .pods_in_domain(node, &term.topology_key)
            .iter()
            .any(|p| term.matches_pod(p))
        {
            return Err(resolvable(REASON_POD_ANTI_AFFINITY));
        }
    }
    for key in &snap.placed.with_anti_affinity {
        let Some((placed, Some(placed_pod))) =
            snap.placed.pods.get(key).map(|p| (p, p.object.as_ref()))
        else {
            continue;
        };
        let Some(n) = snap.nodes().find(|n| object::name(n) == placed.node) else {
            continue;
        };
        {
            for term in required_terms(placed_pod, "podAntiAffinity", api) {
                let same_domain = match (
                    Snapshot::label(n, &term.topology_key),
                    Snapshot::label(node, &term.topology_key),
                ) {
                    (Some(a), Some(b)) => a == b,
                    _ => false,
                };
                if same_domain && term.matches_pod(pod) {
                    return Err(resolvable(REASON_EXISTING_ANTI_AFFINITY));
                }
            }
        }
    }
    Ok(())
}

/// `FitError.Error()`: the histogram of reasons, then the post-filter plugins' messages
/// (DynamicResources' "no new claims to deallocate" and DefaultPreemption's own histogram).
fn fit_error(
    total: usize,
    prefilter: Option<&str>,
    failures: &[NodeFailure],
    preemption_never: bool,
) -> String {
    let histogram = |counts: BTreeMap<&str, usize>| {
        let mut parts: Vec<String> = counts.iter().map(|(r, n)| format!("{n} {r}")).collect();
        kubeplay_shell::sorting::sort(&mut parts);
        parts.join(", ")
    };
    let mut msg = format!("0/{total} nodes are available:");
    match prefilter {
        Some(p) => msg.push_str(&format!(" {p}.")),
        None => {
            let mut counts = BTreeMap::new();
            for f in failures {
                for r in &f.reasons {
                    *counts.entry(r.as_str()).or_insert(0) += 1;
                }
            }
            msg.push_str(&format!(" {}.", histogram(counts)));
        }
    }
    let preemption = if preemption_never {
        "not eligible due to preemptionPolicy=Never.".to_string()
    } else {
        let mut counts = BTreeMap::new();
        if prefilter.is_some() {
            counts.insert(PREEMPTION_NOT_HELPFUL, total);
        } else {
            for f in failures {
                let r = if f.resolvable {
                    NO_VICTIMS
                } else {
                    PREEMPTION_NOT_HELPFUL
                };
                *counts.entry(r).or_insert(0) += 1;
            }
        }
        format!("0/{total} nodes are available: {}.", histogram(counts))
    };
    msg.push_str(&format!(
        " no new claims to deallocate, preemption: {preemption}"
    ));
    msg
}

/// Runs one scheduling cycle for `pod`: the chosen node, or the FailedScheduling message.
fn schedule(
    api: &mut Api,
    placed: &Placed,
    scratch: &mut Scratch,
    pod: &Value,
) -> Result<Decision, String> {
    // Borrows the store field only, so the RNG can be drawn while the chosen node's name
    // is still borrowed from the snapshot.
    let snap = Snapshot::take(&api.store, placed);
    if snap.nodes().next().is_none() {
        return Err("no nodes available to schedule pods".to_string());
    }
    let preemption_never = object::get_str(pod, &["spec", "preemptionPolicy"]) == Some("Never");
    let claims = match claims_state(api, pod) {
        Ok(c) => c,
        Err(pre) => {
            let total = snap.nodes().count();
            return Err(fit_error(total, Some(&pre), &[], preemption_never));
        }
    };
    let mut failures = Vec::new();
    let facts = PodFacts::of(pod, api);
    // Filter and score in one walk of the nodes: the scores read nothing the filters
    // change, and only feasible nodes are scored, as before.
    let scorer = Scorer::of(api, &snap, pod);
    // The spread counts by row: one search per node that has peers, not a name comparison
    // per node.
    let Scratch { scored, spread } = scratch;
    spread.clear();
    spread.resize(placed.rows.len(), 0);
    for (node, n) in scorer.spread.by_node().into_iter().flatten() {
        if let Some(slot) = placed.row_index(node).ok().and_then(|i| spread.get_mut(i)) {
            *slot = *n;
        }
    }
    // Nothing but the pod count can refuse a plain pod on a plain node (and no bound pod's
    // anti-affinity term, no claim): the filters run in full only elsewhere, or to say why
    // a full node failed.
    let plain = facts.plain()
        && claims.bound_pvs.is_empty()
        && claims.unbound_wait.is_empty()
        && placed.with_anti_affinity.is_empty();
    // On a plain node a plain pod without preferred node affinity scores only
    // LeastAllocated, BalancedAllocation and its spread (no taints to count, no terms).
    let plain_scores = plain && scorer.preferred.is_empty();
    scored.clear();
    for (row, view) in snap.views() {
        let peers = spread.get(row).copied().unwrap_or(0);
        let (info, usage) = (view.info, view.usage);
        if plain && info.plain && (usage.pods as i128) < info.max_pods {
            // The fast path must agree with the filters (a filter added later that can
            // refuse a plain pod on a plain node has to be added to `plain` too): every
            // debug build, tests included, checks it.
            debug_assert!(
                filter_node(api, &snap, &facts, &view, &claims).is_ok(),
                "a filter refused a plain pod on a plain node: PodFacts::plain or NodeInfo::plain misses it"
            );
            if plain_scores {
                debug_assert_eq!(
                    (
                        scorer.raw(row, &view, peers).affinity,
                        info.untainted_and_ready
                    ),
                    (0, true)
                );
                let (fit, balance) = info.fit_scores(
                    scorer.pod_cpu + usage.non_zero_cpu,
                    scorer.pod_mem + usage.non_zero_memory,
                );
                scored.push(Scored {
                    row,
                    fit_and_balance: fit + balance,
                    spread_count: peers,
                    affinity: 0,
                    bad_taints: 0,
                    total: 0,
                });
            } else {
                scored.push(scorer.raw(row, &view, peers));
            }
            continue;
        }
        match filter_node(api, &snap, &facts, &view, &claims) {
            Ok(()) => scored.push(scorer.raw(row, &view, peers)),
            Err(f) => failures.push(f),
        }
    }
    if scored.is_empty() {
        // Every node failed: there is one failure per node.
        return Err(fit_error(failures.len(), None, &failures, preemption_never));
    }
    let (best, ties) = normalize(scored);
    // Ties go to a random node among the best, as the real scheduler's reservoir sampling
    // does (deterministic through the cluster RNG).
    let i = api.rng.range(0, ties.saturating_sub(1) as u64) as usize;
    let node = scored
        .iter()
        .filter(|s| s.total == best)
        .nth(i)
        .and_then(|s| placed.rows.get(s.row))
        .map(|r| r.name.clone())
        .unwrap_or_default();
    if claims.unbound_wait.is_empty() {
        return Ok(Decision::Bind(node));
    }
    for pvc in &claims.unbound_wait {
        if object::annotation(pvc, SELECTED_NODE_ANNOTATION) == Some(node.as_str()) {
            continue;
        }
        let mut p = (**pvc).clone();
        object::set_annotation(&mut p, SELECTED_NODE_ANNOTATION, &node);
        let _ = api.update(p);
    }
    Ok(Decision::WaitForVolumes(node))
}

/// Per-node counts of default PodTopologySpread peers: kept by `Placed`, or counted for
/// this attempt.
enum Spread<'a> {
    Kept(Option<&'a BTreeMap<String, i64>>),
    Counted(BTreeMap<String, i64>),
}

impl Spread<'_> {
    fn by_node(&self) -> Option<&BTreeMap<String, i64>> {
        match self {
            Spread::Kept(m) => *m,
            Spread::Counted(m) => Some(m),
        }
    }
}

/// How many of the pods the default PodTopologySpread constraints spread `pod` against (same
/// controller, or selected by a Service that selects `pod`) are on each node.
fn spread_counts<'a>(api: &Api, snap: &Snapshot<'a>, pod: &Value) -> Spread<'a> {
    let ns = object::namespace(pod);
    // Read in place: the entry `controller_ref` decodes, without decoding it.
    let owner = object::controller_ref_view(pod).map(|r| r.uid);
    let mut labels = None;
    let services: Vec<Selector> = api
        .store
        .list(Kind::Service, Some(ns))
        .map(|s| object::string_map(s, &["spec", "selector"]))
        .filter(|sel| !sel.is_empty())
        .map(|sel| Selector::from_map(&sel))
        .filter(|sel| sel.matches(labels.get_or_insert_with(|| object::labels(pod))))
        .collect();
    let is_peer = |p: &Value| {
        object::namespace(p) == ns
            // Read in place: the decoded reference's uid, without decoding every peer's.
            && ((owner.is_some()
                && object::controller_ref_view(p).map(|r| r.uid) == owner)
                || services.iter().any(|s| s.matches_object(p)))
    };
    let mut counts: BTreeMap<String, i64> = BTreeMap::new();
    let mut count = |p: &Value| {
        if !is_terminal(p) && is_peer(p) {
            let node = node_name(p);
            if !node.is_empty() {
                *counts.entry(node.to_string()).or_insert(0) += 1;
            }
        }
    };
    match (&owner, services.is_empty()) {
        // Only the owner's pods can be peers: `Placed` keeps their counts.
        (Some(uid), true) => return Spread::Kept(snap.placed.peers(uid, ns)),
        (None, true) => {}
        _ => snap
            .nodes()
            .for_each(|n| snap.pods(object::name(n)).for_each(|p| count(p))),
    }
    Spread::Counted(counts)
}

/// `x` as the nearest `f64`. Through `i64` when it fits (always, for milli cpu and memory
/// sums), which rounds the same as the `i128` conversion but is one instruction instead of
/// a software routine.
fn to_f64(x: i128) -> f64 {
    // Out of line, or the optimiser folds both arms back into the `i128` conversion.
    #[cold]
    #[inline(never)]
    fn wide(x: i128) -> f64 {
        x as f64
    }
    match i64::try_from(x) {
        Ok(v) => v as f64,
        Err(_) => wide(x),
    }
}

/// What the scores read from the pod being scheduled, read once per attempt instead of
/// once per node.
struct Scorer<'a, 'p> {
    pod_cpu: i128,
    pod_mem: i128,
    spread: Spread<'a>,
    tolerations: &'p [Value],
    preferred: &'p [Value],
}

/// One feasible node's raw scores (`row`: its index in `Placed::rows`), then its total.
#[derive(Debug, Clone, Copy)]
struct Scored {
    row: usize,
    /// LeastAllocated plus BalancedAllocation (both weigh 1 and need no normalising).
    fit_and_balance: i64,
    spread_count: i64,
    affinity: i64,
    bad_taints: i64,
    total: i64,
}

impl<'a, 'p> Scorer<'a, 'p> {
    fn of(api: &Api, snap: &Snapshot<'a>, pod: &'p Value) -> Scorer<'a, 'p> {
        let (pod_cpu, pod_mem) = non_zero_requests(pod);
        Scorer {
            pod_cpu,
            pod_mem,
            spread: spread_counts(api, snap, pod),
            tolerations: object::get_array(pod, &["spec", "tolerations"]),
            preferred: object::get_array(
                pod,
                &[
                    "spec",
                    "affinity",
                    "nodeAffinity",
                    "preferredDuringSchedulingIgnoredDuringExecution",
                ],
            ),
        }
    }

    /// The raw scores of one feasible node; `spread_count`: the pod's peers there.
    fn raw(&self, row: usize, view: &NodeView<'_>, spread_count: i64) -> Scored {
        let node = view.node;
        let cached = view.info;
        let usage = view.usage;
        let (fit, balance) = cached.fit_scores(
            self.pod_cpu + usage.non_zero_cpu,
            self.pod_mem + usage.non_zero_memory,
        );
        let affinity: i64 = if self.preferred.is_empty() {
            0
        } else {
            self.preferred
                .iter()
                .filter(|t| object::get(t, &["preference"]).is_some_and(|p| term_matches(p, node)))
                .map(|t| object::get_i64(t, &["weight"]).unwrap_or(0))
                .sum()
        };
        // A node known to have no taints has none to count.
        let bad_taints = if cached.untainted_and_ready {
            0
        } else {
            object::get_array(node, &["spec", "taints"])
                .iter()
                .filter(|t| {
                    object::get_str(t, &["effect"]) == Some("PreferNoSchedule")
                        && !tolerates(self.tolerations, t)
                })
                .count() as i64
        };
        Scored {
            row,
            fit_and_balance: fit + balance,
            spread_count,
            affinity,
            bad_taints,
            total: 0,
        }
    }
}

/// Normalises the raw scores of the feasible nodes and sets each total; returns the best
/// total and how many nodes have it.
fn normalize(scored: &mut [Scored]) -> (i64, usize) {
    let Some(first) = scored.first() else {
        return (0, 0);
    };
    let (mut max_spread, mut min_spread) = (first.spread_count, first.spread_count);
    let (mut max_aff, mut max_taints) = (first.affinity, first.bad_taints);
    for r in scored.iter() {
        max_spread = max_spread.max(r.spread_count);
        min_spread = min_spread.min(r.spread_count);
        max_aff = max_aff.max(r.affinity);
        max_taints = max_taints.max(r.bad_taints);
    }
    let (mut best, mut ties) = (i64::MIN, 0);
    for r in scored.iter_mut() {
        let spread = if max_spread == 0 {
            100
        } else {
            100 * (max_spread + min_spread - r.spread_count) / max_spread
        };
        let aff = if max_aff == 0 {
            0
        } else {
            100 * r.affinity / max_aff
        };
        let taint = if max_taints == 0 {
            100
        } else {
            100 - 100 * r.bad_taints / max_taints
        };
        r.total = r.fit_and_balance + 2 * spread + 2 * aff + 3 * taint;
        if r.total > best {
            (best, ties) = (r.total, 1);
        } else if r.total == best {
            ties += 1;
        }
    }
    (best, ties)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Cluster, Config};

    fn cluster() -> Cluster {
        Cluster::new(Config::default())
    }

    fn pod(name: &str, spec_extra: Value) -> Value {
        let mut p = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "labels": {"app": "web"}},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}});
        crate::patch::merge_patch(&mut p["spec"], &spec_extra);
        p
    }

    fn get_pod(c: &Cluster, name: &str) -> Arc<Value> {
        c.api.get(Kind::Pod, "default", name).unwrap()
    }

    fn events_for(c: &Cluster, name: &str, reason: &str) -> Vec<Arc<Value>> {
        c.api
            .list(Kind::Event, Some("default"), &Selector::everything())
            .into_iter()
            .filter(|e| {
                object::get_str(e, &["involvedObject", "name"]) == Some(name)
                    && object::get_str(e, &["reason"]) == Some(reason)
            })
            .collect()
    }

    fn patch_node(c: &mut Cluster, name: &str, patch: Value) {
        c.api
            .patch(Kind::Node, "", name, crate::PatchType::Merge, &patch)
            .unwrap();
        c.run_now();
    }

    fn scheduled_condition(pod: &Value) -> Value {
        object::get_array(pod, &["status", "conditions"])
            .iter()
            .find(|c| object::get_str(c, &["type"]) == Some("PodScheduled"))
            .cloned()
            .unwrap_or(Value::Null)
    }

    #[test]
    fn binds_a_pod_in_one_write_with_condition_and_event() {
        let mut c = cluster();
        let head = c.api.store.head();
        c.api.create(pod("web-0", json!({}))).unwrap();
        c.run_now();
        let p = get_pod(&c, "web-0");
        let node = node_name(&p).to_string();
        assert!(node.starts_with("node-"));
        let cond = scheduled_condition(&p);
        assert_eq!(cond["status"], "True");
        // ADDED, then exactly one MODIFIED from the binding that carries both the node and
        // the condition; the kubelet's status writes come after it and never touch the spec.
        let pod_events: Vec<_> = c
            .api
            .store
            .events_since(head)
            .unwrap()
            .filter(|e| e.kind == Kind::Pod)
            .map(|e| (e.event_type, e.object().clone()))
            .collect();
        assert!(pod_events.len() >= 2, "{pod_events:?}");
        let (added, created) = &pod_events[0];
        assert_eq!(*added, EventType::Added);
        assert_eq!(node_name(created), "");
        assert_eq!(scheduled_condition(created), Value::Null);
        let (modified, bound) = &pod_events[1];
        assert_eq!(*modified, EventType::Modified);
        assert_eq!(node_name(bound), node);
        assert_eq!(scheduled_condition(bound)["status"], "True");
        for (_, later) in &pod_events[2..] {
            assert_eq!(later["spec"], bound["spec"]);
        }
        let ev = events_for(&c, "web-0", "Scheduled");
        assert_eq!(ev.len(), 1);
        assert_eq!(
            ev[0]["message"],
            format!("Successfully assigned default/web-0 to {node}")
        );
        assert_eq!(ev[0]["source"]["component"], "default-scheduler");
        assert_eq!(ev[0]["type"], "Normal");
    }

    #[test]
    fn taints_and_resources_give_the_real_fit_error_and_retry_on_node_change() {
        let mut c = cluster();
        patch_node(
            &mut c,
            "node-1",
            json!({"spec": {"taints": [{"key": "node.kubernetes.io/unreachable", "effect": "NoSchedule"}]}}),
        );
        for (name, node) in [("hog", "node-2"), ("hog3", "node-3")] {
            c.api
                .create(pod(
                    name,
                    json!({"nodeName": node, "containers": [{"name": "c", "image": "nginx", "resources": {"requests": {"cpu": "2"}}}]}),
                ))
                .unwrap();
        }
        c.run_now();
        c.api
            .create(pod(
                "big",
                json!({"containers": [{"name": "c", "image": "nginx", "resources": {"requests": {"cpu": "3"}}}]}),
            ))
            .unwrap();
        c.run_now();
        let p = get_pod(&c, "big");
        assert_eq!(node_name(&p), "");
        let expected = "0/3 nodes are available: 1 node(s) had untolerated taint(s), 2 Insufficient cpu. no new claims to deallocate, preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.";
        let cond = &object::get_array(&p, &["status", "conditions"])[0];
        assert_eq!(cond["reason"], "Unschedulable");
        assert_eq!(cond["status"], "False");
        assert_eq!(cond["message"], expected);
        let ev = events_for(&c, "big", "FailedScheduling");
        assert_eq!(ev.len(), 1);
        assert_eq!(ev[0]["message"], expected);
        assert_eq!(ev[0]["type"], "Warning");
        // An unrelated pod update does not retry; removing the taint does.
        assert!(c.settle(60_000));
        patch_node(&mut c, "node-1", json!({"spec": {"taints": null}}));
        assert_eq!(node_name(&get_pod(&c, "big")), "node-1");
    }

    #[test]
    fn cordoned_nodes_and_node_selectors_are_skipped() {
        let mut c = cluster();
        patch_node(&mut c, "node-1", json!({"spec": {"unschedulable": true}}));
        patch_node(
            &mut c,
            "node-3",
            json!({"metadata": {"labels": {"disk": "ssd"}}}),
        );
        for i in 0..6 {
            c.api.create(pod(&format!("p{i}"), json!({}))).unwrap();
        }
        c.run_now();
        for i in 0..6 {
            assert_ne!(node_name(&get_pod(&c, &format!("p{i}"))), "node-1");
        }
        c.api
            .create(pod("ssd", json!({"nodeSelector": {"disk": "ssd"}})))
            .unwrap();
        c.api
            .create(pod("nvme", json!({"nodeSelector": {"disk": "nvme"}})))
            .unwrap();
        c.run_now();
        assert_eq!(node_name(&get_pod(&c, "ssd")), "node-3");
        let msg = &events_for(&c, "nvme", "FailedScheduling")[0]["message"];
        assert_eq!(
            msg,
            "0/3 nodes are available: 1 node(s) were unschedulable, 2 node(s) didn't match Pod's node affinity/selector. no new claims to deallocate, preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
        );
    }

    #[test]
    fn anti_affinity_spreads_and_leaves_the_fourth_pending() {
        let mut c = cluster();
        let anti = json!({"affinity": {"podAntiAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [
            {"labelSelector": {"matchLabels": {"app": "web"}}, "topologyKey": "kubernetes.io/hostname"}]}}});
        for i in 0..4 {
            c.api
                .create(pod(&format!("web-{i}"), anti.clone()))
                .unwrap();
            c.run_now();
        }
        let nodes: BTreeSet<String> = (0..3)
            .map(|i| node_name(&get_pod(&c, &format!("web-{i}"))).to_string())
            .collect();
        assert_eq!(nodes.len(), 3, "one pod per node");
        assert_eq!(node_name(&get_pod(&c, "web-3")), "");
        assert_eq!(
            events_for(&c, "web-3", "FailedScheduling")[0]["message"],
            "0/3 nodes are available: 3 node(s) didn't match pod anti-affinity rules. no new claims to deallocate, preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
        );
        // Deleting a peer frees its node.
        let freed = node_name(&get_pod(&c, "web-1")).to_string();
        c.api
            .delete(
                Kind::Pod,
                "default",
                "web-1",
                &crate::DeleteOptions {
                    grace_period_seconds: Some(0),
                    ..Default::default()
                },
            )
            .unwrap();
        c.run_now();
        assert_eq!(node_name(&get_pod(&c, "web-3")), freed);
    }

    /// A live controller for pods to name as their owner (any kind works as the spreading
    /// key; the GC would collect orphans): its uid and an `ownerReferences` list naming it.
    fn spreading_owner(c: &mut Cluster) -> (String, Value) {
        let set = c
            .api
            .create(json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": "web", "namespace": "default"}}))
            .unwrap();
        let owner = json!([object::OwnerRef::controller_of(&set).to_value()]);
        (object::uid(&set).to_string(), owner)
    }

    #[test]
    fn default_spreading_puts_set_members_on_different_nodes() {
        let mut c = cluster();
        let (_, owner) = spreading_owner(&mut c);
        for i in 0..3 {
            let mut p = pod(&format!("web-{i}"), json!({}));
            p["metadata"]["ownerReferences"] = owner.clone();
            c.api.create(p).unwrap();
            c.run_now();
        }
        let nodes: BTreeSet<String> = (0..3)
            .map(|i| node_name(&get_pod(&c, &format!("web-{i}"))).to_string())
            .collect();
        assert_eq!(nodes.len(), 3);
    }

    /// The kept spread counts equal a recount of the store's owner index after binds,
    /// status writes, a pod finishing and a pod's deletion.
    #[test]
    fn kept_spread_counts_equal_a_recount() {
        let mut c = cluster();
        let (uid, owner) = spreading_owner(&mut c);
        // Follows the watch log from here on, event by event.
        let mut followed = Placed::default();
        followed.sync(&c.api.store);
        for i in 0..5 {
            let mut p = pod(&format!("web-{i}"), json!({}));
            p["metadata"]["ownerReferences"] = owner.clone();
            c.api.create(p).unwrap();
        }
        c.run_now();
        let mut done = (*get_pod(&c, "web-1")).clone();
        done["status"]["phase"] = json!("Succeeded");
        c.api.update_status(done).unwrap();
        c.api
            .delete(
                Kind::Pod,
                "default",
                "web-2",
                &crate::DeleteOptions {
                    grace_period_seconds: Some(0),
                    ..Default::default()
                },
            )
            .unwrap();
        c.run_now();
        let mut placed = Placed::default();
        placed.sync(&c.api.store);
        let mut recount: BTreeMap<String, i64> = BTreeMap::new();
        for p in c.api.store.controlled_by(Kind::Pod, &uid) {
            if !is_terminal(p) && !node_name(p).is_empty() {
                *recount.entry(node_name(p).to_string()).or_insert(0) += 1;
            }
        }
        // web-2 is gone (web-1's phase may be the kubelet's again by now).
        assert!(recount.values().sum::<i64>() < 5, "{recount:?}");
        assert_eq!(placed.peers(&uid, "default"), Some(&recount));
        // The cache that followed every event agrees with the fresh one.
        followed.sync(&c.api.store);
        assert_eq!(followed.spread, placed.spread);
    }

    /// What a cache's node rows hold, comparable.
    #[allow(clippy::type_complexity)]
    fn rows_of(
        placed: &Placed,
    ) -> Vec<(
        String,
        Option<(i128, bool)>,
        usize,
        Vec<(String, i128)>,
        i128,
        i128,
    )> {
        placed
            .rows
            .iter()
            .map(|r| {
                (
                    r.name.clone(),
                    r.info.as_ref().map(|i| (i.max_pods, i.plain)),
                    r.usage.pods,
                    r.usage
                        .requested
                        .iter()
                        .map(|(k, v)| (k.clone(), *v))
                        .collect(),
                    r.usage.non_zero_cpu,
                    r.usage.non_zero_memory,
                )
            })
            .collect()
    }

    /// The node rows a cache keeps by following the watch log equal those of a cache built
    /// fresh from the store, through binds, a node deleted under its pods and then its pods,
    /// another node's pods all deleted, a node added and a node cordoned; a row without a
    /// node is no snapshot node and goes with its last pod.
    #[test]
    fn followed_node_rows_equal_a_fresh_build() {
        let mut c = cluster();
        let mut followed = Placed::default();
        followed.sync(&c.api.store);
        let requests = json!({"containers": [{"name": "c", "image": "nginx",
            "resources": {"requests": {"cpu": "100m", "memory": "64Mi"}}}]});
        for i in 0..6 {
            c.api
                .create(pod(&format!("web-{i}"), requests.clone()))
                .unwrap();
        }
        c.run_now();
        followed.sync(&c.api.store);
        let zero = crate::DeleteOptions {
            grace_period_seconds: Some(0),
            ..Default::default()
        };
        let pods_on = |c: &Cluster, node: &str| -> Vec<String> {
            c.api
                .store
                .list(Kind::Pod, None)
                .filter(|p| node_name(p) == node)
                .map(|p| object::name(p).to_string())
                .collect()
        };
        let gone = node_name(&get_pod(&c, "web-0")).to_string();
        let emptied = (1..6)
            .map(|i| node_name(&get_pod(&c, &format!("web-{i}"))).to_string())
            .find(|n| *n != gone)
            .unwrap();
        c.api.delete(Kind::Node, "", &gone, &zero).unwrap();
        followed.sync(&c.api.store);
        let row = followed.rows.iter().find(|r| r.name == gone).unwrap();
        assert!(row.info.is_none() && row.usage.pods > 0);
        assert!(Snapshot::take(&c.api.store, &followed)
            .views()
            .all(|(_, v)| v.name != gone));
        for node in [&gone, &emptied] {
            for name in pods_on(&c, node) {
                c.api.delete(Kind::Pod, "default", &name, &zero).unwrap();
            }
        }
        let added = crate::controllers::nodes::new_node("node-9", 9, c.api.now);
        c.api.create(added).unwrap();
        patch_node(&mut c, "node-1", json!({"spec": {"unschedulable": true}}));
        followed.sync(&c.api.store);
        let mut fresh = Placed::default();
        fresh.sync(&c.api.store);
        assert_eq!(rows_of(&followed), rows_of(&fresh));
        assert!(followed.rows.iter().all(|r| r.name != gone));
        let row = followed.rows.iter().find(|r| r.name == emptied).unwrap();
        assert!(row.usage.pods == 0 && row.usage.requested.is_empty());
        let snap = Snapshot::take(&c.api.store, &followed);
        let names: Vec<&str> = snap.views().map(|(_, v)| v.name).collect();
        let listed: Vec<&str> = c
            .api
            .store
            .list(Kind::Node, None)
            .map(|n| object::name(n))
            .collect();
        assert_eq!(names, listed);
    }

    fn pvc(name: &str, class: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"accessModes": ["ReadWriteOnce"], "storageClassName": class,
                     "resources": {"requests": {"storage": "1Gi"}}}})
    }

    #[test]
    fn claims_must_exist_and_be_bound_for_immediate_classes() {
        let mut c = cluster();
        let vol = json!({"volumes": [{"name": "www", "persistentVolumeClaim": {"claimName": "www-web-0"}}]});
        c.api.create(pod("web-0", vol)).unwrap();
        c.run_now();
        assert_eq!(
            events_for(&c, "web-0", "FailedScheduling")[0]["message"],
            "0/3 nodes are available: persistentvolumeclaim \"www-web-0\" not found. no new claims to deallocate, preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
        );
        // A class nothing provisions for keeps the claim unbound.
        c.api
            .create(
                json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                "metadata": {"name": "manual"}, "provisioner": "kubernetes.io/no-provisioner",
                "volumeBindingMode": "Immediate"}),
            )
            .unwrap();
        c.api.create(pvc("www-web-0", "manual")).unwrap();
        c.run_now();
        let p = get_pod(&c, "web-0");
        assert_eq!(node_name(&p), "");
        assert_eq!(
            object::get_array(&p, &["status", "conditions"])[0]["message"],
            "0/3 nodes are available: pod has unbound immediate PersistentVolumeClaims. no new claims to deallocate, preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
        );
        // Binding the claim by hand lets the pod schedule.
        let mut claim = (*c
            .api
            .get(Kind::PersistentVolumeClaim, "default", "www-web-0")
            .unwrap())
        .clone();
        claim["spec"]["volumeName"] = json!("pv-1");
        c.api.update(claim).unwrap();
        c.run_now();
        assert!(node_name(&get_pod(&c, "web-0")).starts_with("node-"));
    }

    #[test]
    fn wait_for_first_consumer_claims_get_the_selected_node_first() {
        let mut c = cluster();
        c.api
            .create(
                json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                "metadata": {"name": "local"}, "provisioner": "kubernetes.io/no-provisioner",
                "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer"}),
            )
            .unwrap();
        c.api.create(pvc("data", "local")).unwrap();
        let vol =
            json!({"volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]});
        c.api.create(pod("db", vol)).unwrap();
        c.run_now();
        let claim = c
            .api
            .get(Kind::PersistentVolumeClaim, "default", "data")
            .unwrap();
        let selected = object::annotation(&claim, SELECTED_NODE_ANNOTATION)
            .unwrap()
            .to_string();
        assert_eq!(node_name(&get_pod(&c, "db")), "", "waits for the claim");
        let mut claim = (*claim).clone();
        claim["spec"]["volumeName"] = json!("pv-1");
        c.api.update(claim).unwrap();
        c.run_now();
        assert_eq!(node_name(&get_pod(&c, "db")), selected);
    }

    #[test]
    fn not_ready_nodes_are_avoided_even_without_taints() {
        let mut c = cluster();
        // The kubelets of node-1 and node-2 stop, so nothing posts Ready=True again; their
        // nodes read Ready=Unknown before the node lifecycle controller (50 s later) taints
        // them. In that window only the Ready condition can keep pods off them.
        for n in ["node-1", "node-2"] {
            c.sim_fail_node(n).unwrap();
            let mut node = (*c.api.get(Kind::Node, "", n).unwrap()).clone();
            node["status"]["conditions"][0]["status"] = json!("Unknown");
            c.api.update_status(node).unwrap();
        }
        c.run_now();
        for n in ["node-1", "node-2"] {
            let node = c.api.get(Kind::Node, "", n).unwrap();
            assert_eq!(ready_status(&node), "Unknown");
            assert!(object::get_array(&node, &["spec", "taints"]).is_empty());
        }
        for i in 0..3 {
            c.api.create(pod(&format!("p{i}"), json!({}))).unwrap();
        }
        c.run_now();
        for i in 0..3 {
            assert_eq!(node_name(&get_pod(&c, &format!("p{i}"))), "node-3");
        }
    }

    #[test]
    fn fit_error_sorts_the_histogram_as_strings() {
        let f = |r: &[&str], ok: bool| NodeFailure {
            reasons: r.iter().map(|s| s.to_string()).collect(),
            resolvable: ok,
        };
        let msg = fit_error(
            3,
            None,
            &[
                f(&["Insufficient cpu", "Insufficient memory"], true),
                f(&["Insufficient cpu"], true),
                f(&[REASON_TAINT], false),
            ],
            false,
        );
        assert_eq!(msg, "0/3 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint(s), 2 Insufficient cpu. no new claims to deallocate, preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, 2 No preemption victims found for incoming pod.");
    }
}

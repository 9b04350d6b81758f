//! The whole simulated cluster and its clock: API server, controllers, runtime, timers.
//!
//! Time only moves when the caller says so (`advance`, `settle`, `step_to_next_event`);
//! between moves the cluster runs every controller until nothing is left to do at the
//! current instant. Same config and seed and same calls ⇒ same event log, byte for byte.

use crate::api::Api;
use crate::controllers::{self, Action, Controller, Ctx, ObjectKey, WorkQueue};
use crate::runtime::Runtime;
use crate::store::Cursor;
use crate::time::Time;
use crate::Config;
use serde_json::json;
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

/// How many watch events the log keeps behind the slowest controller for outside watchers.
const RETAINED_EVENTS: u64 = 10_000;
/// A guard against controllers that keep waking each other at one instant.
const MAX_RECONCILES_PER_INSTANT: usize = 5_000_000;

/// A reconcile due at `at`: of `controller`'s `key`, set as the `seq`th timer. Ordered by
/// (`at`, `seq`), which no two timers share.
struct Timer {
    at: Time,
    seq: u64,
    controller: usize,
    key: ObjectKey,
}

impl PartialEq for Timer {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl Eq for Timer {}

impl PartialOrd for Timer {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Timer {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

pub struct Cluster {
    pub api: Api,
    pub runtime: Runtime,
    pub config: Config,
    controllers: Vec<Box<dyn Controller>>,
    cursors: Vec<Cursor>,
    queues: Vec<WorkQueue>,
    /// Pending timers, soonest first (ties in the order they were set). A heap, not a map
    /// by (due time, sequence): a scale-up holds thousands, and a map's nodes of keys with
    /// their values are large chunks for glibc, each allocation of which consolidates the
    /// allocator's fast bins first.
    timers: BinaryHeap<Reverse<Timer>>,
    timer_seq: u64,
    scratch: Vec<ObjectKey>,
    /// Set when an instant hit MAX_RECONCILES_PER_INSTANT (a controller bug, surfaced in tests).
    pub livelock: bool,
    /// How many reconciles each controller has run, by its place in `controllers` (counted
    /// on every reconcile, so a plain index rather than a search by name).
    reconcile_counts: Vec<u64>,
}

impl Cluster {
    /// A cluster with the default namespaces, nodes, StorageClass and system Services.
    pub fn new(config: Config) -> Cluster {
        let mut api = Api::new(config.seed, config.start);
        bootstrap(&mut api, &config);
        let controllers = controllers::all(&config);
        let n = controllers.len();
        let head = Cursor(0);
        let mut c = Cluster {
            api,
            runtime: Runtime::default(),
            config,
            controllers,
            cursors: vec![head; n],
            queues: vec![WorkQueue::default(); n],
            timers: BinaryHeap::new(),
            timer_seq: 0,
            scratch: Vec::new(),
            livelock: false,
            reconcile_counts: vec![0; n],
        };
        c.run_now();
        c
    }

    pub fn now(&self) -> Time {
        self.api.now
    }

    /// How many reconciles each controller has run, by controller name (benchmarks and tests
    /// read it); controllers that have not run are left out.
    pub fn reconciles(&self) -> BTreeMap<&'static str, u64> {
        let mut by_name = BTreeMap::new();
        for (c, n) in self.controllers.iter().zip(&self.reconcile_counts) {
            if *n > 0 {
                *by_name.entry(c.name()).or_insert(0) += *n;
            }
        }
        by_name
    }

    /// True when no controller has work and no timer is pending.
    pub fn is_idle(&self) -> bool {
        self.timers.is_empty()
            && self.queues.iter().all(WorkQueue::is_empty)
            && !self.has_undelivered_events()
    }

    fn has_undelivered_events(&self) -> bool {
        let head = self.api.store.head();
        self.cursors.iter().any(|c| *c < head)
    }

    /// The time of the next timer, if any.
    pub fn next_timer(&self) -> Option<Time> {
        self.timers.peek().map(|Reverse(t)| t.at)
    }

    /// Runs controllers until nothing is left to do at the current instant.
    pub fn run_now(&mut self) {
        self.run_rounds(&|| false);
    }

    /// Moves toward `target` exactly as `advance_to` does, but stops between two rounds of
    /// reconciles once `over_budget()` says so; returns whether `target` was reached with
    /// nothing left to do. Calling it again (or `advance_to`, `run_now`) carries on where it
    /// stopped: the queues, cursors and timers hold all the state, so however the work is cut
    /// up the same reconciles run in the same order at the same virtual times. The page uses
    /// it to spread a busy instant (200 pods) over several frames.
    pub fn advance_within(&mut self, target: Time, over_budget: &dyn Fn() -> bool) -> bool {
        loop {
            if !self.run_rounds(over_budget) {
                return false;
            }
            match self.next_timer() {
                Some(t) if t <= target => {
                    self.api.now = t.max(self.api.now);
                    self.fire_timers_due();
                }
                _ => break,
            }
        }
        if target > self.api.now {
            self.api.now = target;
        }
        true
    }

    /// `run_now`'s loop: one round gives each controller one key; stops when no work is left
    /// (true) or, between rounds, when `over_budget()` (false).
    fn run_rounds(&mut self, over_budget: &dyn Fn() -> bool) -> bool {
        let mut budget = MAX_RECONCILES_PER_INSTANT;
        let mut finished = true;
        loop {
            self.dispatch_events();
            let mut did_work = false;
            for i in 0..self.controllers.len() {
                if let Some(key) = self.queues[i].pop() {
                    did_work = true;
                    self.reconcile_counts[i] += 1;
                    let action = {
                        let mut ctx = Ctx {
                            api: &mut self.api,
                            runtime: &mut self.runtime,
                            config: &self.config,
                        };
                        self.controllers[i].reconcile(&key, &mut ctx)
                    };
                    if let Action::RequeueAfter(ms) = action {
                        self.add_timer(self.api.now.plus_ms(ms.max(1)), i, key);
                    }
                    budget = budget.saturating_sub(1);
                }
            }
            if !did_work && !self.has_undelivered_events() {
                break;
            }
            if budget == 0 {
                self.livelock = true;
                break;
            }
            if over_budget() {
                finished = false;
                break;
            }
        }
        self.compact();
        finished
    }

    fn add_timer(&mut self, at: Time, controller: usize, key: ObjectKey) {
        self.timer_seq += 1;
        self.timers.push(Reverse(Timer {
            at,
            seq: self.timer_seq,
            controller,
            key,
        }));
    }

    /// Queues `key` on the controller named `name` after `delay_ms` (used by `sim` commands).
    pub fn enqueue_after(&mut self, name: &str, key: ObjectKey, delay_ms: u64) {
        if let Some(i) = self.controllers.iter().position(|c| c.name() == name) {
            let at = self.api.now.plus_ms(delay_ms);
            self.add_timer(at, i, key);
        }
    }

    fn dispatch_events(&mut self) {
        let head = self.api.store.head();
        for i in 0..self.controllers.len() {
            let from = self.cursors[i];
            if from >= head {
                continue;
            }
            let mut keys = std::mem::take(&mut self.scratch);
            if let Ok(events) = self.api.store.events_since(from) {
                for ev in events {
                    if self.controllers[i].watches(ev.kind) {
                        self.controllers[i].keys_for(ev, &self.api, &mut keys);
                    }
                }
            }
            for k in keys.drain(..) {
                self.queues[i].add(k);
            }
            self.scratch = keys;
            self.cursors[i] = head;
        }
    }

    fn compact(&mut self) {
        let slowest = self.cursors.iter().min().copied().unwrap_or(Cursor(0));
        let head = self.api.store.head();
        let keep_from = Cursor(head.0.saturating_sub(RETAINED_EVENTS).min(slowest.0));
        self.api.store.compact(keep_from);
    }

    fn fire_timers_due(&mut self) {
        let now = self.api.now;
        while self.timers.peek().is_some_and(|Reverse(t)| t.at <= now) {
            if let Some(Reverse(t)) = self.timers.pop() {
                self.queues[t.controller].add(t.key);
            }
        }
    }

    /// Moves the clock forward by `ms`, running everything that falls due on the way.
    pub fn advance(&mut self, ms: u64) {
        let target = self.api.now.plus_ms(ms);
        self.advance_to(target);
    }

    pub fn advance_to(&mut self, target: Time) {
        self.run_now();
        while let Some(t) = self.next_timer() {
            if t > target {
                break;
            }
            self.api.now = t.max(self.api.now);
            self.fire_timers_due();
            self.run_now();
        }
        if target > self.api.now {
            self.api.now = target;
        }
        self.run_now();
    }

    /// Jumps to the next timer and runs it. Returns false when there is none.
    pub fn step_to_next_event(&mut self) -> bool {
        self.run_now();
        match self.next_timer() {
            Some(t) => {
                self.api.now = t.max(self.api.now);
                self.fire_timers_due();
                self.run_now();
                true
            }
            None => false,
        }
    }

    /// Advances until nothing is pending, or until `timeout_ms` of virtual time has passed.
    /// Returns true when the cluster settled.
    pub fn settle(&mut self, timeout_ms: u64) -> bool {
        let deadline = self.api.now.plus_ms(timeout_ms);
        self.run_now();
        loop {
            match self.next_timer() {
                None => return true,
                Some(t) if t > deadline => {
                    self.api.now = deadline.max(self.api.now);
                    self.run_now();
                    return false;
                }
                Some(_) => {
                    self.step_to_next_event();
                }
            }
        }
    }
}

/// The objects a fresh cluster starts with.
fn bootstrap(api: &mut Api, config: &Config) {
    for ns in ["default", "kube-node-lease", "kube-public", "kube-system"] {
        let _ = api.create(json!({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns}},
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"}
        }));
    }
    for i in 1..=config.nodes {
        let name = format!("node-{i}");
        let _ = api.create(crate::controllers::nodes::new_node(&name, i, api.now));
    }
    let _ = api.create(json!({
        "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": {"name": "standard", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "k8s.io/minikube-hostpath",
        "reclaimPolicy": "Delete",
        "volumeBindingMode": "Immediate"
    }));
    let _ = api.create(json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kubernetes", "namespace": "default",
                     "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {"clusterIP": "10.96.0.1", "clusterIPs": ["10.96.0.1"],
                 "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}],
                 "type": "ClusterIP", "sessionAffinity": "None"}
    }));
    let _ = api.create(json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kube-dns", "namespace": "kube-system",
                     "labels": {"k8s-app": "kube-dns", "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS"}},
        "spec": {"clusterIP": "10.96.0.10", "clusterIPs": ["10.96.0.10"],
                 "ports": [{"name": "dns", "port": 53, "protocol": "UDP", "targetPort": 53},
                           {"name": "dns-tcp", "port": 53, "protocol": "TCP", "targetPort": 53},
                           {"name": "metrics", "port": 9153, "protocol": "TCP", "targetPort": 9153}],
                 "selector": {"k8s-app": "kube-dns"}, "type": "ClusterIP", "sessionAffinity": "None"}
    }));
    for ns in ["default", "kube-node-lease", "kube-public", "kube-system"] {
        let _ = api.create(json!({
            "apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "default", "namespace": ns}
        }));
    }
}

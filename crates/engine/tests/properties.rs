//! Properties over random fault schedules (STYLE.md 7): a whole simulated cluster runs one
//! StatefulSet through applies, scaling, image changes, partitions, pod deletions, evictions,
//! container kills, node failures and the passing of time, while the test replays the watch
//! log to see every intermediate state and checks what Kubernetes guarantees:
//!
//! 1. at most one live pod per identity (the API, and the runtime's sandboxes);
//! 2. OrderedReady creation and scale-down order (spec S3.7a, S3.7c);
//! 3. no PVC deleted unless the retention policy says so (S4.2, S4.3);
//! 4. no volume contents lost while the claim exists (S4.2: only scale-down or set deletion
//!    delete claims; everything else keeps them, and with them the data);
//! 5. the same seed gives the same event log, byte for byte (crate docs, `Cluster`).
//!
//! It must never assert more than the real controller guarantees: each check cites the rule
//! it comes from, and deletions the schedule itself makes (pod delete, eviction, node
//! eviction, rolling updates) are not held to the scale-down order.
//!
//! `PROPTEST_CASES=N` runs more (or fewer) schedules than the default 300.

use kubeplay_engine::object::{self, Object};
use kubeplay_engine::runtime::ContainerRef;
use kubeplay_engine::store::{Cursor, EventType, WatchEvent};
use kubeplay_engine::{Cluster, Config, DeleteOptions, Kind, PatchType, Selector, Time};
use proptest::prelude::*;
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

const NS: &str = "default";
const SET: &str = "web";
const SERVICE: &str = "nginx";
const CLAIM_TEMPLATE: &str = "www";
const FILE: &str = "/usr/share/nginx/html/index.html";
/// Where FILE lands inside the persistent volume mounted at /usr/share/nginx/html.
const FILE_IN_VOLUME: &str = "/index.html";
const IMAGES: [&str; 2] = [
    "registry.k8s.io/nginx-slim:0.24",
    "registry.k8s.io/nginx-slim:0.25",
];
/// How much virtual time a `Settle` step may take before the schedule moves on.
const SETTLE_TIMEOUT_MS: u64 = 600_000;
/// Enough for anything that is due to finish: the controller's error backoff tops out at
/// 1000 s (S3.1) and a container's CrashLoopBackOff at 300 s (S8.4).
const FINAL_SETTLE_MS: u64 = 3_600_000;

// ---------------------------------------------------------------------------------------
// Schedules

#[derive(Clone, Debug)]
enum Op {
    /// `kubectl apply`: create the set, or update its spec (podManagementPolicy stays).
    Apply {
        replicas: i64,
        image: usize,
        partition: i64,
        when_deleted_delete: bool,
        when_scaled_delete: bool,
    },
    /// `kubectl scale sts web --replicas=N`
    Scale(i64),
    /// `kubectl set image`, switching to the other nginx tag.
    SetImage,
    /// `kubectl patch ... rollingUpdate.partition`
    SetPartition(i64),
    /// `kubectl delete pod web-N` (graceful).
    DeletePod(i64),
    /// `sim kill web-N`: the container dies; the kubelet restarts it.
    KillContainer(i64),
    /// POST pods/web-N/eviction (`Api::evict`); no PDB selects the pods.
    Evict(i64),
    /// `sim fail-node` on the node of web-N (or node-(N%3+1) when web-N is not scheduled).
    FailNode(i64),
    /// `sim recover-node` on one of the failed nodes.
    RecoverNode(usize),
    /// Let this many seconds pass.
    Advance(u64),
    /// Run until nothing is pending (or SETTLE_TIMEOUT_MS passed).
    Settle,
    /// Write a fresh index.html into every running pod's claim-backed mount.
    WriteFiles,
    /// `kubectl delete sts web` (background cascade).
    DeleteSet,
}

#[derive(Clone, Debug)]
struct Schedule {
    seed: u64,
    parallel: bool,
    ops: Vec<Op>,
}

fn apply_op() -> impl Strategy<Value = Op> {
    (0i64..=5, 0usize..2, 0i64..=5, any::<bool>(), any::<bool>()).prop_map(
        |(replicas, image, partition, when_deleted_delete, when_scaled_delete)| Op::Apply {
            replicas,
            image,
            // Mostly no partition, so rolling updates do happen.
            partition: if partition > 3 { partition - 3 } else { 0 },
            when_deleted_delete,
            when_scaled_delete,
        },
    )
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => apply_op(),
        4 => (0i64..=5).prop_map(Op::Scale),
        2 => Just(Op::SetImage),
        1 => (0i64..=4).prop_map(Op::SetPartition),
        2 => (0i64..=5).prop_map(Op::DeletePod),
        2 => (0i64..=5).prop_map(Op::KillContainer),
        2 => (0i64..=5).prop_map(Op::Evict),
        1 => (0i64..=5).prop_map(Op::FailNode),
        2 => (0usize..3).prop_map(Op::RecoverNode),
        4 => (1u64..=120).prop_map(Op::Advance),
        3 => Just(Op::Settle),
        3 => Just(Op::WriteFiles),
        1 => Just(Op::DeleteSet),
    ]
}

fn schedule() -> impl Strategy<Value = Schedule> {
    (
        any::<u64>(),
        any::<bool>(),
        apply_op(),
        prop::collection::vec(op(), 9..=29),
    )
        .prop_map(|(seed, parallel, first, rest)| {
            let mut ops = vec![first];
            ops.extend(rest);
            Schedule {
                seed,
                parallel,
                ops,
            }
        })
}

// ---------------------------------------------------------------------------------------
// Small readers (written here, not taken from the controller under test)

fn ordinal(pod_name: &str) -> Option<i64> {
    pod_name
        .strip_prefix(SET)?
        .strip_prefix('-')?
        .parse::<i64>()
        .ok()
}

fn claim_ordinal(claim_name: &str) -> Option<i64> {
    ordinal(claim_name.strip_prefix(CLAIM_TEMPLATE)?.strip_prefix('-')?)
}

fn replicas(set: &Object) -> i64 {
    object::get_i64(set, &["spec", "replicas"]).unwrap_or(1)
}

fn ordered_ready(set: &Object) -> bool {
    object::get_str(set, &["spec", "podManagementPolicy"]) != Some("Parallel")
}

fn policy_is_delete(set: &Object, field: &str) -> bool {
    object::get_str(
        set,
        &["spec", "persistentVolumeClaimRetentionPolicy", field],
    ) == Some("Delete")
}

/// RR(p) of the spec's definitions: phase Running and condition Ready True.
fn running_and_ready(pod: &Object) -> bool {
    object::get_str(pod, &["status", "phase"]) == Some("Running")
        && object::get_array(pod, &["status", "conditions"])
            .iter()
            .any(|c| {
                object::get_str(c, &["type"]) == Some("Ready")
                    && object::get_str(c, &["status"]) == Some("True")
            })
}

/// Healthy(p): RR and not Terminating (minReadySeconds is 0 here, so Available = Ready).
fn healthy(pod: &Object) -> bool {
    running_and_ready(pod) && !object::is_terminating(pod)
}

fn owned_by(obj: &Object, uid: &str) -> bool {
    object::controller_ref(obj).is_some_and(|r| r.uid == uid)
}

fn summary(pod: &Object) -> String {
    format!(
        "{}(uid {}, phase {}, ready {}, terminating {})",
        object::name(pod),
        &object::uid(pod)[..8.min(object::uid(pod).len())],
        object::get_str(pod, &["status", "phase"]).unwrap_or("-"),
        running_and_ready(pod),
        object::is_terminating(pod)
    )
}

// ---------------------------------------------------------------------------------------
// The shadow state: the watch log replayed event by event

/// Why a claim may be deleted: the retention policy said so at some point of its life.
#[derive(Debug, Default)]
struct License {
    /// Sets (by uid) whose policy had whenDeleted=Delete while this claim existed.
    when_deleted: BTreeSet<String>,
    /// Its ordinal was condemned while its set had whenScaled=Delete.
    when_scaled: bool,
}

/// How often each check actually judged something, so a test can show none is vacuous.
#[derive(Clone, Copy, Debug, Default)]
struct Stats {
    ordered_creations: u64,
    ordered_condemned_deletions: u64,
    unready_condemned_deletions: u64,
    claim_deletions: u64,
    volume_checks: u64,
    pod_reads: u64,
    running_sandboxes: u64,
    taint_evictions: u64,
}

#[derive(Debug, Default)]
struct Shadow {
    stats: Stats,
    pods: BTreeMap<String, Arc<Object>>,
    sets: BTreeMap<String, Arc<Object>>,
    claims: BTreeMap<String, Arc<Object>>,
    deleted_sets: BTreeSet<String>,
    licenses: BTreeMap<String, License>,
    /// Claims (by uid) whose deletion was already judged.
    claims_deleting: BTreeSet<String>,
    /// The pod whose deletion started at the previous event, with its state just before.
    last_pod_deletion: Option<Arc<Object>>,
    /// Where we are, for messages.
    position: String,
}

impl Shadow {
    fn set_with_uid(&self, uid: &str) -> Option<&Arc<Object>> {
        self.sets.values().find(|s| object::uid(s) == uid)
    }

    fn apply(&mut self, ev: &WatchEvent) -> Result<(), String> {
        if object::namespace(ev.object()) != NS {
            return Ok(());
        }
        let name = object::name(ev.object()).to_string();
        let mut pod_deletion = None;
        match ev.kind {
            Kind::Pod => {
                let before = self.pods.get(&name).cloned();
                match ev.event_type {
                    EventType::Added => {
                        // Invariant 1: one live pod object per identity.
                        if let Some(old) = &before {
                            return Err(format!(
                                "{}: pod {name} added while {} is still alive",
                                self.position,
                                summary(old)
                            ));
                        }
                        self.check_creation(ev.object())?;
                        self.pods.insert(name, ev.object().clone());
                    }
                    EventType::Modified => {
                        if before.is_none() {
                            return Err(format!(
                                "{}: pod {name} modified without being added",
                                self.position
                            ));
                        }
                        if !before.as_ref().is_some_and(|b| object::is_terminating(b))
                            && object::is_terminating(ev.object())
                        {
                            pod_deletion = Some(ev.object().clone());
                        }
                        self.pods.insert(name, ev.object().clone());
                    }
                    EventType::Deleted => {
                        if !before.as_ref().is_some_and(|b| object::is_terminating(b)) {
                            pod_deletion = Some(ev.object().clone());
                        }
                        self.pods.remove(&name);
                    }
                }
            }
            Kind::StatefulSet => {
                match ev.event_type {
                    EventType::Added | EventType::Modified => {
                        self.sets.insert(name, ev.object().clone());
                    }
                    EventType::Deleted => {
                        self.sets.remove(&name);
                        self.deleted_sets
                            .insert(object::uid(ev.object()).to_string());
                    }
                }
                self.grant_licenses();
            }
            Kind::PersistentVolumeClaim => {
                let uid = object::uid(ev.object()).to_string();
                let deleting =
                    ev.event_type == EventType::Deleted || object::is_terminating(ev.object());
                if deleting && self.claims_deleting.insert(uid.clone()) {
                    self.check_claim_deletion(ev.object())?;
                }
                if ev.event_type == EventType::Deleted {
                    self.claims.remove(&name);
                    self.licenses.remove(&uid);
                } else {
                    self.claims.insert(name, ev.object().clone());
                    self.grant_licenses();
                }
            }
            Kind::Event
                if ev.event_type != EventType::Deleted
                    && object::get_str(ev.object(), &["source", "component"])
                        == Some("statefulset-controller")
                    && object::get_str(ev.object(), &["reason"]) == Some("SuccessfulDelete") =>
            {
                self.check_controller_deletion(ev.object())?;
            }
            _ => {}
        }
        if let Some(p) = &pod_deletion {
            let by_taint = object::get_array(p, &["status", "conditions"])
                .iter()
                .any(|c| object::get_str(c, &["reason"]) == Some("DeletionByTaintManager"));
            if by_taint {
                self.stats.taint_evictions += 1;
            }
        }
        self.last_pod_deletion = pod_deletion;
        Ok(())
    }

    /// Invariant 2, creation: a pod is created only for an in-range ordinal (S3.6 step 3),
    /// and in OrderedReady mode only after every lower ordinal is Running and Ready and not
    /// Terminating (S3.7a steps 2–6: the loop stops at the first pod that is not).
    fn check_creation(&mut self, pod: &Object) -> Result<(), String> {
        let name = object::name(pod);
        let Some(o) = ordinal(name) else {
            return Ok(());
        };
        let Some(owner) = object::controller_ref(pod) else {
            return Err(format!(
                "{}: pod {name} created without an owner",
                self.position
            ));
        };
        let Some(set) = self.set_with_uid(&owner.uid).cloned() else {
            return Err(format!(
                "{}: pod {name} created for a StatefulSet (uid {}) that does not exist",
                self.position, owner.uid
            ));
        };
        let r = replicas(&set);
        if o >= r {
            return Err(format!(
                "{}: pod {name} created although the set wants {r} replicas",
                self.position
            ));
        }
        if !ordered_ready(&set) {
            return Ok(());
        }
        if o > 0 {
            self.stats.ordered_creations += 1;
        }
        for j in 0..o {
            let lower = format!("{SET}-{j}");
            match self.pods.get(&lower) {
                Some(p) if owned_by(p, &owner.uid) && healthy(p) => {}
                Some(p) => {
                    return Err(format!(
                        "{}: OrderedReady created {name} while {} is not Running, Ready and live (S3.7a)",
                        self.position,
                        summary(p)
                    ))
                }
                None => {
                    return Err(format!(
                        "{}: OrderedReady created {name} while {lower} does not exist (S3.7a)",
                        self.position
                    ))
                }
            }
        }
        Ok(())
    }

    /// Invariant 2, scale-down: in OrderedReady mode the controller deletes a condemned pod
    /// only when every in-range replica is healthy (S3.7a), no higher condemned pod is left
    /// (S3.7c: one at a time, highest first, waiting until it is gone), and the pod is RR or
    /// is the first unavailable one (S3.7c step 2). In-range deletions (rolling update,
    /// terminal phase) and Parallel sets are not held to any order.
    fn check_controller_deletion(&mut self, event: &Object) -> Result<(), String> {
        let message = object::get_str(event, &["message"]).unwrap_or("");
        let Some(rest) = message.split("delete Pod ").nth(1) else {
            return Ok(());
        };
        let Some((pod_name, rest)) = rest.split_once(" in StatefulSet ") else {
            return Ok(());
        };
        let set_name = rest.trim_end_matches(" successful");
        let set_uid = object::get_str(event, &["involvedObject", "uid"]).unwrap_or("");
        let Some(set) = self
            .sets
            .get(set_name)
            .filter(|s| object::uid(s) == set_uid)
            .cloned()
        else {
            return Err(format!(
                "{}: the controller deleted {pod_name} for a set that is gone",
                self.position
            ));
        };
        let Some(o) = ordinal(pod_name) else {
            return Ok(());
        };
        let r = replicas(&set);
        if o < r || !ordered_ready(&set) {
            return Ok(());
        }
        let Some(deleted) = self
            .last_pod_deletion
            .clone()
            .filter(|p| object::name(p) == pod_name)
        else {
            return Err(format!(
                "{}: SuccessfulDelete for {pod_name} without a deletion just before it",
                self.position
            ));
        };
        for (n, p) in &self.pods {
            if owned_by(p, set_uid) && ordinal(n).is_some_and(|q| q > o) {
                return Err(format!(
                    "{}: OrderedReady scale-down to {r} deleted {pod_name} while the higher {} still exists (S3.7c)",
                    self.position,
                    summary(p)
                ));
            }
        }
        for j in 0..r {
            let lower = format!("{SET}-{j}");
            match self.pods.get(&lower) {
                Some(p) if owned_by(p, set_uid) && healthy(p) => {}
                other => {
                    return Err(format!(
                        "{}: OrderedReady scale-down deleted {pod_name} while the replica {} is not healthy (S3.7a/S3.7c)",
                        self.position,
                        other.map_or(format!("{lower} (missing)"), |p| summary(p))
                    ))
                }
            }
        }
        self.stats.ordered_condemned_deletions += 1;
        if !running_and_ready(&deleted) {
            self.stats.unready_condemned_deletions += 1;
            for (n, p) in &self.pods {
                let lower_condemned = ordinal(n).is_some_and(|q| q >= r && q < o);
                if owned_by(p, set_uid) && lower_condemned && !healthy(p) {
                    return Err(format!(
                        "{}: OrderedReady scale-down deleted the unready {pod_name} although {} is the first unavailable pod (S3.7c step 2)",
                        self.position,
                        summary(p)
                    ));
                }
            }
        }
        Ok(())
    }

    /// Records, for every claim of a set, what its retention policy allows right now.
    fn grant_licenses(&mut self) {
        for set in self.sets.values() {
            let wd = policy_is_delete(set, "whenDeleted");
            let ws = policy_is_delete(set, "whenScaled");
            if !wd && !ws {
                continue;
            }
            let prefix = format!("{CLAIM_TEMPLATE}-{}-", object::name(set));
            let r = replicas(set);
            for (name, claim) in &self.claims {
                if !name.starts_with(&prefix) {
                    continue;
                }
                let Some(o) = claim_ordinal(name) else {
                    continue;
                };
                let lic = self
                    .licenses
                    .entry(object::uid(claim).to_string())
                    .or_default();
                if wd {
                    lic.when_deleted.insert(object::uid(set).to_string());
                }
                if ws && o >= r {
                    lic.when_scaled = true;
                }
            }
        }
    }

    /// Invariant 3: a claim is deleted only when whenDeleted=Delete and its set is deleted,
    /// or whenScaled=Delete and its ordinal was condemned (S4.2, S4.3). Pod deletions,
    /// evictions and node failures never delete claims.
    fn check_claim_deletion(&mut self, claim: &Object) -> Result<(), String> {
        let uid = object::uid(claim);
        let lic = self.licenses.get(uid);
        let by_scale = lic.is_some_and(|l| l.when_scaled);
        let by_set_deletion = lic.is_some_and(|l| {
            l.when_deleted.iter().any(|s| {
                self.deleted_sets.contains(s)
                    || self
                        .set_with_uid(s)
                        .is_some_and(|x| object::is_terminating(x))
            })
        });
        if by_scale || by_set_deletion {
            self.stats.claim_deletions += 1;
            return Ok(());
        }
        Err(format!(
            "{}: claim {} was deleted, but its retention policy never allowed it (licence {:?}, owners {:?})",
            self.position,
            object::name(claim),
            lic,
            object::owner_refs(claim)
                .iter()
                .map(|r| format!("{}/{}", r.kind, r.name))
                .collect::<Vec<_>>()
        ))
    }
}

// ---------------------------------------------------------------------------------------
// One run of a schedule

/// What was last written to a claim's volume.
#[derive(Debug)]
struct Written {
    claim_uid: String,
    volume: String,
    data: Vec<u8>,
}

struct Run {
    cluster: Cluster,
    cursor: Cursor,
    log: Vec<String>,
    check: bool,
    shadow: Shadow,
    written: BTreeMap<String, Written>,
    parallel: bool,
    writes: u64,
}

fn serialize(ev: &WatchEvent) -> String {
    format!(
        "{} {} {} {} {}",
        ev.time.0,
        ev.event_type.as_str(),
        ev.kind.name(),
        ev.resource_version,
        serde_json::to_string(&**ev.object()).unwrap_or_default()
    )
}

fn service() -> Object {
    json!({"apiVersion": "v1", "kind": "Service",
           "metadata": {"name": SERVICE, "namespace": NS, "labels": {"app": "nginx"}},
           "spec": {"clusterIP": "None", "selector": {"app": "nginx"},
                    "ports": [{"name": "web", "port": 80}]}})
}

fn set_manifest(
    parallel: bool,
    replicas: i64,
    image: &str,
    partition: i64,
    wd: bool,
    ws: bool,
) -> Object {
    let policy = |d: bool| if d { "Delete" } else { "Retain" };
    json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": SET, "namespace": NS},
        "spec": {
            "serviceName": SERVICE,
            "replicas": replicas,
            "podManagementPolicy": if parallel { "Parallel" } else { "OrderedReady" },
            "selector": {"matchLabels": {"app": "nginx"}},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": partition}},
            "persistentVolumeClaimRetentionPolicy": {"whenDeleted": policy(wd), "whenScaled": policy(ws)},
            "template": {
                "metadata": {"labels": {"app": "nginx"}},
                "spec": {"containers": [{
                    "name": "nginx", "image": image,
                    "ports": [{"containerPort": 80, "name": "web"}],
                    "volumeMounts": [{"name": CLAIM_TEMPLATE, "mountPath": "/usr/share/nginx/html"}]}]}},
            "volumeClaimTemplates": [{
                "metadata": {"name": CLAIM_TEMPLATE},
                "spec": {"accessModes": ["ReadWriteOnce"],
                         "resources": {"requests": {"storage": "1Gi"}}}}]}})
}

impl Run {
    fn new(s: &Schedule, check: bool) -> Result<Run, String> {
        let cluster = Cluster::new(Config {
            seed: s.seed,
            ..Config::default()
        });
        let mut run = Run {
            cursor: Cursor(0),
            cluster,
            log: Vec::new(),
            check,
            shadow: Shadow::default(),
            written: BTreeMap::new(),
            parallel: s.parallel,
            writes: 0,
        };
        run.cluster
            .api
            .create(service())
            .map_err(|e| format!("creating the Service: {}", e.message))?;
        run.cluster.run_now();
        run.observe()?;
        Ok(run)
    }

    /// Replays the new watch events into the shadow and records them for invariant 5.
    fn drain(&mut self) -> Result<(), String> {
        let events: Vec<WatchEvent> = self
            .cluster
            .api
            .store
            .events_since(self.cursor)
            .map_err(|_| "the watch log was compacted past the test's cursor".to_string())?
            .cloned()
            .collect();
        self.cursor = self.cluster.api.store.head();
        for ev in &events {
            self.log.push(serialize(ev));
            if self.check {
                self.shadow.apply(ev)?;
            }
        }
        Ok(())
    }

    /// Drains the log, then checks the state-based invariants (1 for the runtime, 4).
    fn observe(&mut self) -> Result<(), String> {
        self.drain()?;
        if !self.check {
            return Ok(());
        }
        self.check_shadow_matches_store()?;
        self.check_sandboxes()?;
        self.check_volumes()
    }

    /// The replay is only worth something if it ends where the store is.
    fn check_shadow_matches_store(&self) -> Result<(), String> {
        let api = &self.cluster.api;
        let live: Vec<(String, String)> = api
            .list(Kind::Pod, Some(NS), &Selector::everything())
            .iter()
            .map(|p| (object::name(p).to_string(), object::uid(p).to_string()))
            .collect();
        let shadow: Vec<(String, String)> = self
            .shadow
            .pods
            .iter()
            .map(|(n, p)| (n.clone(), object::uid(p).to_string()))
            .collect();
        if live != shadow {
            return Err(format!(
                "{}: replayed pods {shadow:?} differ from the store's {live:?}",
                self.shadow.position
            ));
        }
        Ok(())
    }

    /// Invariant 1 on the nodes: a sandbox with a running container belongs to the pod
    /// object of that name and UID; once the object is gone (or replaced) nothing of the old
    /// pod runs any more (S8.5: the kubelet deletes the object only after its containers
    /// stopped; a failed node keeps the object Terminating, S8.6).
    fn check_sandboxes(&mut self) -> Result<(), String> {
        let mut running = 0;
        for (key, sb) in &self.cluster.runtime.pods {
            let (ns, name) = (&key.namespace, &key.name);
            if !sb.containers.iter().any(|c| c.is_running()) {
                continue;
            }
            running += 1;
            match self.cluster.api.try_get(Kind::Pod, ns, name) {
                Some(p) if object::uid(p) == sb.uid => {}
                Some(p) => {
                    return Err(format!(
                        "{}: a sandbox of {name} (uid {}) runs on {} while the pod object is {}",
                        self.shadow.position,
                        sb.uid,
                        sb.node,
                        summary(p)
                    ))
                }
                None => {
                    return Err(format!(
                        "{}: a sandbox of {name} (uid {}) runs on {} after the pod object is gone",
                        self.shadow.position, sb.uid, sb.node
                    ))
                }
            }
        }
        self.shadow.stats.running_sandboxes += running;
        Ok(())
    }

    /// Invariant 4: everything written to a claim-backed mount is still in the claim's volume
    /// while that claim exists, and a running pod mounting the claim reads it back.
    fn check_volumes(&mut self) -> Result<(), String> {
        let api = &self.cluster.api;
        let runtime = &self.cluster.runtime;
        self.written.retain(|claim, w| {
            api.try_get(Kind::PersistentVolumeClaim, NS, claim)
                .is_some_and(|c| object::uid(c) == w.claim_uid)
        });
        let mut volume_checks = 0;
        let mut pod_reads = 0;
        for (claim_name, w) in &self.written {
            let claim = api
                .try_get(Kind::PersistentVolumeClaim, NS, claim_name)
                .cloned()
                .unwrap_or_default();
            let volume = object::get_str(&claim, &["spec", "volumeName"]).unwrap_or("");
            if volume != w.volume {
                return Err(format!(
                    "{}: claim {claim_name} moved from volume {} to {volume:?}",
                    self.shadow.position, w.volume
                ));
            }
            let stored = runtime
                .volumes
                .get(volume)
                .and_then(|fs| fs.get(FILE_IN_VOLUME))
                .map(|e| e.data.clone());
            volume_checks += 1;
            if stored.as_deref() != Some(w.data.as_slice()) {
                return Err(format!(
                    "{}: volume {volume} of claim {claim_name} lost what was written: expected {:?}, found {:?}",
                    self.shadow.position,
                    String::from_utf8_lossy(&w.data),
                    stored.map(|d| String::from_utf8_lossy(&d).into_owned())
                ));
            }
        }
        for pod in api.list(Kind::Pod, Some(NS), &Selector::everything()) {
            let name = object::name(&pod);
            let Some(claim_name) = claim_of(&pod) else {
                continue;
            };
            let Some(w) = self.written.get(&claim_name) else {
                continue;
            };
            if !self.can_exec(&pod) {
                continue;
            }
            let c = ContainerRef {
                namespace: NS,
                pod: name,
                container: None,
            };
            let read = runtime.read_file(api, &c, FILE);
            pod_reads += 1;
            if read.as_deref().ok() != Some(w.data.as_slice()) {
                return Err(format!(
                    "{}: {name} reads {read:?} from {FILE}, but {claim_name} holds {:?}",
                    self.shadow.position,
                    String::from_utf8_lossy(&w.data)
                ));
            }
        }
        self.shadow.stats.volume_checks += volume_checks;
        self.shadow.stats.pod_reads += pod_reads;
        Ok(())
    }

    /// Whether `kubectl exec` could reach the pod's first container now.
    fn can_exec(&self, pod: &Object) -> bool {
        let runtime = &self.cluster.runtime;
        runtime.sandbox(NS, object::name(pod)).is_some_and(|sb| {
            sb.uid == object::uid(pod)
                && !runtime.failed_nodes.contains_key(&sb.node)
                && sb.containers.first().is_some_and(|c| c.is_running())
        })
    }

    /// Runs the cluster to `target` one timer at a time (as `Cluster::advance_to` does),
    /// observing after every step so no intermediate sandbox state is missed.
    fn advance_to(&mut self, target: Time) -> Result<(), String> {
        while let Some(t) = self.cluster.next_timer() {
            if t > target {
                break;
            }
            self.cluster.step_to_next_event();
            self.observe()?;
        }
        self.cluster.advance_to(target);
        self.observe()
    }

    /// `Cluster::settle(timeout_ms)`, one timer at a time.
    fn settle(&mut self, timeout_ms: u64) -> Result<(), String> {
        let deadline = self.cluster.now().plus_ms(timeout_ms);
        self.cluster.run_now();
        self.observe()?;
        loop {
            match self.cluster.next_timer() {
                None => return Ok(()),
                Some(t) if t > deadline => return self.advance_to(deadline),
                Some(_) => {
                    self.cluster.step_to_next_event();
                    self.observe()?;
                }
            }
        }
    }

    /// Once every node is back and nothing is pending, the set has exactly its replicas,
    /// Running and Ready, and a rollout with partition 0 has finished (S3.9: nothing here
    /// is broken for good: the images run, kills and node failures are one-off).
    fn check_converged(&self) -> Result<(), String> {
        let api = &self.cluster.api;
        let Some(set) = api.try_get(Kind::StatefulSet, NS, SET) else {
            return Ok(());
        };
        let r = replicas(set);
        let pods = api.list(Kind::Pod, Some(NS), &Selector::everything());
        let names: Vec<String> = pods.iter().map(|p| summary(p)).collect();
        let want: Vec<String> = (0..r).map(Self::pod_name).collect();
        let have: Vec<String> = pods.iter().map(|p| object::name(p).to_string()).collect();
        let mut want_sorted = want.clone();
        want_sorted.sort();
        if have != want_sorted || !pods.iter().all(|p| healthy(p)) {
            return Err(format!(
                "after recovery and settling, the set wants {r} replicas but the pods are {names:?}; set status {}",
                set["status"]
            ));
        }
        let update = object::get_str(set, &["status", "updateRevision"]).unwrap_or("");
        let partition = object::get_i64(
            set,
            &["spec", "updateStrategy", "rollingUpdate", "partition"],
        )
        .unwrap_or(0);
        let st = |f: &str| object::get_i64(set, &["status", f]).unwrap_or(0);
        let counts_ok = st("replicas") == r
            && st("readyReplicas") == r
            && st("availableReplicas") == r
            && st("observedGeneration") == object::generation(set);
        let current = object::get_str(set, &["status", "currentRevision"]).unwrap_or("");
        if !counts_ok || (partition == 0 && (current != update || st("updatedReplicas") != r)) {
            return Err(format!(
                "after settling, the set status does not match its {r} healthy pods: {}",
                set["status"]
            ));
        }
        if partition == 0 {
            let stale: Vec<&str> = pods
                .iter()
                .filter(|p| object::label(p, "controller-revision-hash") != Some(update))
                .map(|p| object::name(p))
                .collect();
            if !stale.is_empty() {
                return Err(format!(
                    "after settling, {stale:?} are not at the update revision {update}; set status {}",
                    set["status"]
                ));
            }
        }
        Ok(())
    }

    fn pod_name(k: i64) -> String {
        format!("{SET}-{k}")
    }

    fn step(&mut self, i: usize, op: &Op) -> Result<(), String> {
        self.shadow.position = format!("op {i} {op:?} at t={}", self.cluster.now().0);
        let api = &mut self.cluster.api;
        match op {
            Op::Apply {
                replicas,
                image,
                partition,
                when_deleted_delete,
                when_scaled_delete,
            } => {
                let image = IMAGES[image % IMAGES.len()];
                let wanted = set_manifest(
                    self.parallel,
                    *replicas,
                    image,
                    *partition,
                    *when_deleted_delete,
                    *when_scaled_delete,
                );
                let res = match api.try_get(Kind::StatefulSet, NS, SET).cloned() {
                    None => api.create(wanted),
                    Some(old) => {
                        // apply changes the mutable fields; the policy stays as created.
                        let mut new = (*old).clone();
                        for f in [
                            "replicas",
                            "template",
                            "updateStrategy",
                            "persistentVolumeClaimRetentionPolicy",
                        ] {
                            new["spec"][f] = wanted["spec"][f].clone();
                        }
                        api.update(new)
                    }
                };
                res.map_err(|e| format!("apply failed: {}", e.message))?;
            }
            Op::Scale(n) => {
                let _ = api.patch(
                    Kind::StatefulSet,
                    NS,
                    SET,
                    PatchType::Merge,
                    &json!({"spec": {"replicas": n}}),
                );
            }
            Op::SetImage => {
                if let Some(set) = api.try_get(Kind::StatefulSet, NS, SET).cloned() {
                    let mut new = (*set).clone();
                    let path = ["spec", "template", "spec", "containers"];
                    let current = object::get_array(&set, &path)
                        .first()
                        .and_then(|c| object::get_str(c, &["image"]))
                        .unwrap_or("")
                        .to_string();
                    let next = if current == IMAGES[0] {
                        IMAGES[1]
                    } else {
                        IMAGES[0]
                    };
                    new["spec"]["template"]["spec"]["containers"][0]["image"] = json!(next);
                    api.update(new)
                        .map_err(|e| format!("set image failed: {}", e.message))?;
                }
            }
            Op::SetPartition(p) => {
                let _ = api.patch(
                    Kind::StatefulSet,
                    NS,
                    SET,
                    PatchType::Merge,
                    &json!({"spec": {"updateStrategy": {"rollingUpdate": {"partition": p}}}}),
                );
            }
            Op::DeletePod(k) => {
                let _ = api.delete(
                    Kind::Pod,
                    NS,
                    &Self::pod_name(*k),
                    &DeleteOptions::default(),
                );
            }
            Op::Evict(k) => {
                // POST pods/web-N/eviction (S8.7); with no PDB it is always allowed.
                let _ = api.evict(NS, &Self::pod_name(*k), None);
            }
            Op::KillContainer(k) => {
                let _ = self
                    .cluster
                    .sim_kill_container(NS, &Self::pod_name(*k), None);
            }
            Op::FailNode(k) => {
                let node = api
                    .try_get(Kind::Pod, NS, &Self::pod_name(*k))
                    .and_then(|p| object::get_str(p, &["spec", "nodeName"]))
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("node-{}", k % 3 + 1));
                let _ = self.cluster.sim_fail_node(&node);
            }
            Op::RecoverNode(k) => {
                let failed: Vec<String> =
                    self.cluster.runtime.failed_nodes.keys().cloned().collect();
                if !failed.is_empty() {
                    let node = failed[k % failed.len()].clone();
                    let _ = self.cluster.sim_recover_node(&node);
                }
            }
            Op::Advance(secs) => {
                let target = self.cluster.now().plus_ms(secs * 1000);
                return self.advance_to(target);
            }
            Op::Settle => return self.settle(SETTLE_TIMEOUT_MS),
            Op::WriteFiles => return self.write_files(i),
            Op::DeleteSet => {
                let _ = api.delete(Kind::StatefulSet, NS, SET, &DeleteOptions::default());
            }
        }
        self.cluster.run_now();
        self.observe()
    }

    fn write_files(&mut self, i: usize) -> Result<(), String> {
        let pods = self
            .cluster
            .api
            .list(Kind::Pod, Some(NS), &Selector::everything());
        for pod in pods {
            if !self.can_exec(&pod) {
                continue;
            }
            let Some(claim_name) = claim_of(&pod) else {
                continue;
            };
            let Some(claim) = self
                .cluster
                .api
                .try_get(Kind::PersistentVolumeClaim, NS, &claim_name)
                .cloned()
            else {
                continue;
            };
            let volume = object::get_str(&claim, &["spec", "volumeName"]).unwrap_or("");
            if volume.is_empty() {
                continue;
            }
            self.writes += 1;
            let data = format!(
                "write {} (op {i}) by {} uid {}\n",
                self.writes,
                object::name(&pod),
                object::uid(&pod)
            )
            .into_bytes();
            let c = ContainerRef {
                namespace: NS,
                pod: object::name(&pod),
                container: None,
            };
            let res = self
                .cluster
                .runtime
                .write_file(&self.cluster.api, &c, FILE, &data, false);
            if let Err(e) = res {
                return Err(format!(
                    "op {i}: writing {FILE} in {} failed: {e:?}",
                    object::name(&pod)
                ));
            }
            self.written.insert(
                claim_name,
                Written {
                    claim_uid: object::uid(&claim).to_string(),
                    volume: volume.to_string(),
                    data,
                },
            );
        }
        self.observe()
    }
}

/// The claim behind the pod's `www` volume.
fn claim_of(pod: &Object) -> Option<String> {
    object::get_array(pod, &["spec", "volumes"])
        .iter()
        .find(|v| object::get_str(v, &["name"]) == Some(CLAIM_TEMPLATE))
        .and_then(|v| object::get_str(v, &["persistentVolumeClaim", "claimName"]))
        .map(str::to_string)
}

/// Runs a schedule, checking invariants 1–4 when `check`; returns the serialized watch log
/// and how often each check fired.
fn run(s: &Schedule, check: bool) -> Result<(Vec<String>, Stats), String> {
    let mut r = Run::new(s, check)?;
    for (i, op) in s.ops.iter().enumerate() {
        r.step(i, op)?;
        if r.cluster.livelock {
            return Err(format!("op {i} {op:?}: the cluster hit its livelock guard"));
        }
    }
    r.shadow.position = "final settle".to_string();
    r.settle(SETTLE_TIMEOUT_MS)?;
    // With every node back, everything finishes: no controller keeps a timer for ever.
    let failed: Vec<String> = r.cluster.runtime.failed_nodes.keys().cloned().collect();
    for node in failed {
        let _ = r.cluster.sim_recover_node(&node);
    }
    r.shadow.position = "settle after recovering every node".to_string();
    r.settle(FINAL_SETTLE_MS)?;
    if let Some(t) = r.cluster.next_timer() {
        return Err(format!(
            "the cluster does not settle: a timer is still due at t={} ({} ms after now)",
            t.0,
            t.0.saturating_sub(r.cluster.now().0)
        ));
    }
    if check {
        r.check_converged()?;
    }
    Ok((r.log, r.shadow.stats))
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        max_shrink_iters: 4096,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_fault_schedules_keep_statefulset_guarantees(s in schedule()) {
        let (first, _) = run(&s, true).map_err(TestCaseError::fail)?;
        // Invariant 5: same seed and calls ⇒ the same watch log, byte for byte.
        let (second, _) = run(&s, false).map_err(TestCaseError::fail)?;
        if first != second {
            let at = first.iter().zip(&second).position(|(a, b)| a != b).unwrap_or(first.len().min(second.len()));
            return Err(TestCaseError::fail(format!(
                "same seed, different event logs ({} vs {} events); first difference at event {at}:\n  {}\n  {}",
                first.len(),
                second.len(),
                first.get(at).map_or("<end>", String::as_str),
                second.get(at).map_or("<end>", String::as_str),
            )));
        }
    }
}

/// The property above only means something if its checks judge real situations: over a
/// fixed sample of schedules, every check must have fired (and found nothing wrong).
#[test]
fn every_check_is_exercised_by_the_schedules() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut total = Stats::default();
    for _ in 0..60 {
        let s = schedule()
            .new_tree(&mut runner)
            .expect("a schedule")
            .current();
        let (_, st) = run(&s, true).unwrap_or_else(|e| panic!("{e}\n{s:#?}"));
        total.ordered_creations += st.ordered_creations;
        total.ordered_condemned_deletions += st.ordered_condemned_deletions;
        total.unready_condemned_deletions += st.unready_condemned_deletions;
        total.claim_deletions += st.claim_deletions;
        total.volume_checks += st.volume_checks;
        total.pod_reads += st.pod_reads;
        total.running_sandboxes += st.running_sandboxes;
        total.taint_evictions += st.taint_evictions;
    }
    eprintln!("{total:?}");
    assert!(total.ordered_creations > 0, "{total:?}");
    assert!(total.ordered_condemned_deletions > 0, "{total:?}");
    assert!(total.claim_deletions > 0, "{total:?}");
    assert!(total.volume_checks > 0, "{total:?}");
    assert!(total.pod_reads > 0, "{total:?}");
    assert!(total.running_sandboxes > 0, "{total:?}");
}

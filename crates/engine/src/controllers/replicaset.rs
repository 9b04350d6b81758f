//! The ReplicaSet controller (kube-controller-manager's `replicaset-controller`, upstream
//! `pkg/controller/replicaset`): keeps `spec.replicas` active pods matching the selector,
//! creating them from the template with `generateName: <rs>-` (so names are `<rs>-<5 chars>`
//! drawn from the engine's one RNG) and deleting the least valuable surplus pods first.
//!
//! The decision (`manage_replicas`: how many to create, which to delete; `calculate_status`)
//! is pure; the writes go through `ReplicaSetObjects` so tests can swap in a recording fake.
//! It must never act on a pod it does not own (it adopts matching orphans first, as upstream's
//! `ClaimPods` does), and never poll: it wakes on a timer only when a Ready pod is due to turn
//! available (minReadySeconds).

use crate::api::{Api, DeleteOptions};
use crate::controllers::statefulset::utils::{is_available, is_ready, ready_since};
use crate::controllers::{Action, Controller, Ctx, ObjectKey};
use crate::error::{ApiError, ApiResult};
use crate::events::Source;
use crate::kinds::Kind;
use crate::object::{self, OwnerRef};
use crate::selector::Selector;
use crate::store::{EventType, WatchEvent};
use crate::time::Time;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Upstream `BurstReplicas`: at most this many creations or deletions per sync.
const BURST_REPLICAS: i64 = 500;

/// The writes the controller makes (upstream `PodControlInterface` plus the status client).
pub trait ReplicaSetObjects {
    fn create_pod(&mut self, pod: Value) -> ApiResult<Value>;
    fn delete_pod(&mut self, namespace: &str, name: &str) -> ApiResult<()>;
    fn update_pod(&mut self, pod: Value) -> ApiResult<Value>;
    /// UpdateStatus with one fresh-read retry on conflict.
    fn update_status(&mut self, rs: &Value, status: Value) -> ApiResult<Value>;
    fn record(&mut self, rs: &Value, event_type: &str, reason: &str, message: &str);
}

/// The real writer: the simulated API server.
pub struct ApiReplicaSetObjects<'a> {
    pub api: &'a mut Api,
}

impl ReplicaSetObjects for ApiReplicaSetObjects<'_> {
    fn create_pod(&mut self, pod: Value) -> ApiResult<Value> {
        self.api.create(pod).map(|p| (*p).clone())
    }
    fn delete_pod(&mut self, namespace: &str, name: &str) -> ApiResult<()> {
        self.api
            .delete(Kind::Pod, namespace, name, &DeleteOptions::default())
            .map(|_| ())
    }
    fn update_pod(&mut self, pod: Value) -> ApiResult<Value> {
        self.api.update(pod).map(|p| (*p).clone())
    }
    fn update_status(&mut self, rs: &Value, status: Value) -> ApiResult<Value> {
        let mut s = rs.clone();
        s["status"] = status.clone();
        match self.api.update_status(s) {
            Err(e) if e.is_conflict() => {
                let fresh =
                    self.api
                        .get(Kind::ReplicaSet, object::namespace(rs), object::name(rs))?;
                let mut s = (*fresh).clone();
                s["status"] = status;
                self.api.update_status(s).map(|o| (*o).clone())
            }
            other => other.map(|o| (*o).clone()),
        }
    }
    fn record(&mut self, rs: &Value, event_type: &str, reason: &str, message: &str) {
        self.api.record_event(
            rs,
            None,
            event_type,
            reason,
            message,
            Source {
                component: "replicaset-controller",
                host: None,
            },
        );
    }
}

pub fn replicas(rs: &Value) -> i64 {
    object::get_i64(rs, &["spec", "replicas"]).unwrap_or(1)
}

pub fn min_ready_seconds(rs: &Value) -> i64 {
    object::get_i64(rs, &["spec", "minReadySeconds"]).unwrap_or(0)
}

fn is_terminal(pod: &Value) -> bool {
    matches!(
        object::get_str(pod, &["status", "phase"]),
        Some("Succeeded" | "Failed")
    )
}

/// `controller.FilterActivePods`: not terminal and not being deleted.
pub fn is_active(pod: &Value) -> bool {
    !is_terminal(pod) && !object::is_terminating(pod)
}

/// `controller.IsPodTerminating`: being deleted but not yet terminal.
pub fn is_pod_terminating(pod: &Value) -> bool {
    !is_terminal(pod) && object::is_terminating(pod)
}

/// `GetPodFromTemplate`: a pod for `rs` from its template, named by the API server.
pub fn pod_from_template(rs: &Value) -> Value {
    let template = object::get(rs, &["spec", "template"])
        .cloned()
        .unwrap_or(json!({}));
    let mut meta = serde_json::Map::new();
    meta.insert(
        "generateName".into(),
        json!(format!("{}-", object::name(rs))),
    );
    meta.insert("namespace".into(), json!(object::namespace(rs)));
    for field in ["labels", "annotations", "finalizers"] {
        if let Some(v) = object::get(&template, &["metadata", field]).filter(|v| !v.is_null()) {
            meta.insert(field.into(), v.clone());
        }
    }
    meta.insert(
        "ownerReferences".into(),
        json!([OwnerRef::controller_of(rs).to_value()]),
    );
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": Value::Object(meta),
        "spec": template.get("spec").cloned().unwrap_or(json!({})),
    })
}

/// The creation or the deletions one sync should make (`manageReplicas`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplicaPlan {
    Nothing,
    Create(i64),
    Delete(Vec<String>),
}

/// `manageReplicas`' decision: `active` are the claimed active pods, `related` every active pod
/// of the same owner (for the "doubled up on a node" rank).
pub fn manage_replicas(rs: &Value, active: &[Value], related: &[Value], now: Time) -> ReplicaPlan {
    let diff = active.len() as i64 - replicas(rs);
    if diff < 0 {
        ReplicaPlan::Create((-diff).min(BURST_REPLICAS))
    } else if diff > 0 {
        let n = diff.min(BURST_REPLICAS) as usize;
        ReplicaPlan::Delete(
            pods_to_delete(active, related, n, now)
                .into_iter()
                .map(|p| object::name(p).to_string())
                .collect(),
        )
    } else {
        ReplicaPlan::Nothing
    }
}

fn phase_rank(pod: &Value) -> u8 {
    match object::get_str(pod, &["status", "phase"]) {
        Some("Pending") => 0,
        Some("Unknown") => 1,
        Some("Running") => 2,
        _ => 0,
    }
}

fn restarts(pod: &Value) -> i64 {
    object::get_array(pod, &["status", "containerStatuses"])
        .iter()
        .filter_map(|c| object::get_i64(c, &["restartCount"]))
        .max()
        .unwrap_or(0)
}

fn deletion_cost(pod: &Value) -> i64 {
    object::annotation(pod, "controller.kubernetes.io/pod-deletion-cost")
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// Log2 bucket of how long ago `t` was (upstream's LogarithmicScaleDown compares pods by the
/// integer log of their age, so pods of a similar age count as equal).
fn age_bucket(t: Option<Time>, now: Time) -> i64 {
    match t {
        None => -1,
        Some(t) => {
            let secs = now.0.saturating_sub(t.0) / 1000;
            if secs == 0 {
                0
            } else {
                i64::from(64 - secs.leading_zeros())
            }
        }
    }
}

fn created_at(pod: &Value) -> Option<Time> {
    object::get_str(pod, &["metadata", "creationTimestamp"]).and_then(Time::parse_rfc3339)
}

/// `getPodsToDelete` with `ActivePodsWithRanks`: the `n` pods worth least, in order —
/// unscheduled before scheduled, Pending < Unknown < Running, not Ready before Ready, lower
/// deletion cost first, pods doubled up on a node first, the more recently Ready first, more
/// restarts first, newer first.
pub fn pods_to_delete<'a>(
    active: &'a [Value],
    related: &[Value],
    n: usize,
    now: Time,
) -> Vec<&'a Value> {
    let node = |p: &Value| {
        object::get_str(p, &["spec", "nodeName"])
            .unwrap_or("")
            .to_string()
    };
    let mut per_node: BTreeMap<String, i64> = BTreeMap::new();
    for p in related.iter().filter(|p| is_active(p)) {
        let nn = node(p);
        if !nn.is_empty() {
            *per_node.entry(nn).or_insert(0) += 1;
        }
    }
    let mut ranked: Vec<&Value> = active.iter().collect();
    kubeplay_shell::sorting::sort_by(&mut ranked, |a, b| {
        let assigned = |p: &Value| !node(p).is_empty();
        let rank = |p: &Value| per_node.get(&node(p)).copied().unwrap_or(0);
        assigned(a)
            .cmp(&assigned(b))
            .then(phase_rank(a).cmp(&phase_rank(b)))
            .then(is_ready(a).cmp(&is_ready(b)))
            .then(deletion_cost(a).cmp(&deletion_cost(b)))
            .then(rank(b).cmp(&rank(a)))
            .then_with(|| {
                if is_ready(a) && is_ready(b) {
                    age_bucket(ready_since(a), now).cmp(&age_bucket(ready_since(b), now))
                } else {
                    std::cmp::Ordering::Equal
                }
            })
            .then(restarts(b).cmp(&restarts(a)))
            .then(age_bucket(created_at(a), now).cmp(&age_bucket(created_at(b), now)))
    });
    ranked.truncate(n);
    ranked
}

fn set_condition(conds: &mut Vec<Value>, cond: Value) {
    let ty = cond.get("type").cloned();
    conds.retain(|c| c.get("type") != ty.as_ref());
    conds.push(cond);
}

/// `calculateStatus` (1.35, with DeploymentReplicaSetTerminatingReplicas on by default).
pub fn calculate_status(
    rs: &Value,
    active: &[Value],
    terminating: usize,
    manage_err: Option<&str>,
    now: Time,
) -> Value {
    let template_labels = object::string_map(rs, &["spec", "template", "metadata", "labels"]);
    let template_sel = Selector::from_map(&template_labels);
    let mrs = min_ready_seconds(rs);
    let mut fully = 0;
    let mut ready = 0;
    let mut available = 0;
    for p in active {
        if template_sel.matches(&object::labels(p)) {
            fully += 1;
        }
        if is_ready(p) {
            ready += 1;
            if is_available(p, mrs, now) {
                available += 1;
            }
        }
    }
    let mut status = rs.get("status").cloned().unwrap_or(json!({}));
    if !status.is_object() {
        status = json!({});
    }
    let mut conds: Vec<Value> = object::get_array(&status, &["conditions"]).to_vec();
    let has_failure = conds
        .iter()
        .any(|c| object::get_str(c, &["type"]) == Some("ReplicaFailure"));
    match manage_err {
        Some(msg) if !has_failure => {
            let diff = active.len() as i64 - replicas(rs);
            let reason = if diff < 0 {
                "FailedCreate"
            } else if diff > 0 {
                "FailedDelete"
            } else {
                ""
            };
            set_condition(
                &mut conds,
                json!({"type": "ReplicaFailure", "status": "True", "reason": reason,
                       "message": msg, "lastTransitionTime": now.rfc3339()}),
            );
        }
        None if has_failure => {
            conds.retain(|c| object::get_str(c, &["type"]) != Some("ReplicaFailure"));
        }
        _ => {}
    }
    let m = status.as_object_mut();
    if let Some(m) = m {
        if conds.is_empty() {
            m.remove("conditions");
        } else {
            m.insert("conditions".into(), Value::Array(conds));
        }
        m.insert("replicas".into(), json!(active.len()));
        // omitempty int32 fields vanish at zero, as the API server serialises them.
        for (k, v) in [
            ("fullyLabeledReplicas", fully),
            ("readyReplicas", ready),
            ("availableReplicas", available),
        ] {
            if v == 0 {
                m.remove(k);
            } else {
                m.insert(k.into(), json!(v));
            }
        }
        m.insert("terminatingReplicas".into(), json!(terminating));
    }
    status
}

/// `updateReplicaSetStatus`: writes only when something changed, stamping observedGeneration.
fn write_status(
    objects: &mut dyn ReplicaSetObjects,
    rs: &Value,
    mut status: Value,
) -> ApiResult<Value> {
    let old = rs.get("status").cloned().unwrap_or(json!({}));
    let generation = object::generation(rs);
    let observed = object::get_i64(&old, &["observedGeneration"]).unwrap_or(0);
    let mut cmp = status.clone();
    if let Some(m) = cmp.as_object_mut() {
        m.remove("observedGeneration");
    }
    let mut old_cmp = old.clone();
    if let Some(m) = old_cmp.as_object_mut() {
        m.remove("observedGeneration");
    }
    if cmp == old_cmp && generation == observed {
        return Ok(rs.clone());
    }
    if generation > 0 {
        status["observedGeneration"] = json!(generation);
    }
    objects.update_status(rs, status)
}

/// One sync of `rs` given its claimed pods: create or delete pods, then write the status.
/// Returns the written set and any error of manageReplicas (the caller retries on it).
pub fn sync(
    objects: &mut dyn ReplicaSetObjects,
    rs: &Value,
    active: &[Value],
    terminating: usize,
    related: &[Value],
    now: Time,
) -> (ApiResult<Value>, Option<String>) {
    let mut manage_err: Option<String> = None;
    if !object::is_terminating(rs) {
        match manage_replicas(rs, active, related, now) {
            ReplicaPlan::Nothing => {}
            ReplicaPlan::Create(n) => {
                // slowStartBatch: batches of 1, 2, 4, …, stopping at the first failing batch.
                let mut left = n;
                let mut batch = 1;
                'outer: while left > 0 {
                    let size = batch.min(left);
                    for _ in 0..size {
                        match objects.create_pod(pod_from_template(rs)) {
                            Ok(p) => objects.record(
                                rs,
                                "Normal",
                                "SuccessfulCreate",
                                &format!("Created pod: {}", object::name(&p)),
                            ),
                            Err(e) => {
                                let msg = e.to_string();
                                objects.record(
                                    rs,
                                    "Warning",
                                    "FailedCreate",
                                    &format!("Error creating: {msg}"),
                                );
                                manage_err = Some(msg);
                            }
                        }
                    }
                    if manage_err.is_some() {
                        break 'outer;
                    }
                    left -= size;
                    batch *= 2;
                }
            }
            ReplicaPlan::Delete(names) => {
                for name in names {
                    match objects.delete_pod(object::namespace(rs), &name) {
                        Ok(()) => objects.record(
                            rs,
                            "Normal",
                            "SuccessfulDelete",
                            &format!("Deleted pod: {name}"),
                        ),
                        Err(e) if e.is_not_found() => {}
                        Err(e) => {
                            let msg = e.to_string();
                            objects.record(
                                rs,
                                "Warning",
                                "FailedDelete",
                                &format!("Error deleting: {msg}"),
                            );
                            manage_err = Some(msg);
                        }
                    }
                }
            }
        }
    }
    let status = calculate_status(rs, active, terminating, manage_err.as_deref(), now);
    (write_status(objects, rs, status), manage_err)
}

#[derive(Debug, Default)]
pub struct ReplicaSetController {
    failures: BTreeMap<ObjectKey, u32>,
}

impl ReplicaSetController {
    pub fn new() -> ReplicaSetController {
        ReplicaSetController::default()
    }

    fn resolve(api: &Api, namespace: &str, r: &object::OwnerRefView) -> Option<ObjectKey> {
        if r.kind != "ReplicaSet" || !r.api_version.starts_with("apps/") {
            return None;
        }
        let rs = api.try_get(Kind::ReplicaSet, namespace, r.name)?;
        (object::uid(rs) == r.uid).then(|| ObjectKey::new(Kind::ReplicaSet, namespace, r.name))
    }

    fn run_sync(&mut self, key: &ObjectKey, api: &mut Api) -> Result<Option<Value>, ApiError> {
        let Some(rs) = api
            .try_get(Kind::ReplicaSet, &key.namespace, &key.name)
            .map(|r| (**r).clone())
        else {
            return Ok(None);
        };
        let selector =
            match object::get(&rs, &["spec", "selector"]).map(Selector::from_label_selector) {
                Some(Ok(s)) if !s.is_empty() => s,
                _ => return Ok(None),
            };
        let ns = object::namespace(&rs).to_string();
        let uid = object::uid(&rs).to_string();
        let rs_terminating = object::is_terminating(&rs);
        let candidates: Vec<Arc<Value>> = api
            .store
            .controlled_by(Kind::Pod, &uid)
            .chain(api.store.uncontrolled(Kind::Pod, &ns))
            .filter(|p| object::namespace(p) == ns)
            .cloned()
            .collect();
        let mut active: Vec<Value> = Vec::new();
        let mut terminating = 0;
        let mut related: Vec<Value> = Vec::new();
        for p in candidates {
            let matches = selector.matches_object(&p);
            match object::controller_ref(&p) {
                Some(r) if r.uid != uid => {}
                Some(_) if matches => {
                    related.push((*p).clone());
                    if is_active(&p) {
                        active.push((*p).clone());
                    } else if is_pod_terminating(&p) {
                        terminating += 1;
                    }
                }
                Some(_) => {
                    // Release a pod whose labels no longer match (ClaimPods' release).
                    if rs_terminating || !is_active(&p) {
                        continue;
                    }
                    let mut released = (*p).clone();
                    let refs: Vec<OwnerRef> = object::owner_refs(&released)
                        .into_iter()
                        .filter(|r| r.uid != uid)
                        .collect();
                    object::set_owner_refs(&mut released, &refs);
                    match api.update(released) {
                        Ok(_) => {}
                        Err(e) if e.is_not_found() => {}
                        Err(e) => return Err(e),
                    }
                }
                None => {
                    if rs_terminating || !matches || !is_active(&p) {
                        continue;
                    }
                    let mut adopted = (*p).clone();
                    let mut refs = object::owner_refs(&adopted);
                    refs.push(OwnerRef::controller_of(&rs));
                    object::set_owner_refs(&mut adopted, &refs);
                    match api.update(adopted) {
                        Ok(a) => {
                            related.push((*a).clone());
                            active.push((*a).clone());
                        }
                        Err(e) if e.is_not_found() => {}
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        let now = api.now;
        let mut objects = ApiReplicaSetObjects { api };
        let (written, err) = sync(&mut objects, &rs, &active, terminating, &related, now);
        let written = written?;
        match err {
            Some(e) => Err(ApiError::internal(e)),
            None => Ok(Some(written)),
        }
    }
}

/// When the next Ready pod of `rs` turns available (minReadySeconds), if one is waiting.
fn next_availability_check(rs: &Value, api: &Api) -> Action {
    let mrs = min_ready_seconds(rs);
    if mrs <= 0 {
        return Action::Done;
    }
    let uid = object::uid(rs);
    let next = api
        .store
        .controlled_by(Kind::Pod, uid)
        .filter(|p| is_active(p) && is_ready(p) && !is_available(p, mrs, api.now))
        .filter_map(|p| ready_since(p))
        .map(|t| t.plus_secs(mrs as u64).plus_ms(1))
        .min();
    match next {
        Some(t) if t > api.now => Action::RequeueAfter(t.0 - api.now.0),
        Some(_) => Action::RequeueAfter(1_000),
        None => Action::Done,
    }
}

impl Controller for ReplicaSetController {
    fn name(&self) -> &'static str {
        "replicaset-controller"
    }

    fn watches(&self, kind: Kind) -> bool {
        matches!(kind, Kind::ReplicaSet | Kind::Pod)
    }

    fn keys_for(&mut self, event: &WatchEvent, api: &Api, out: &mut Vec<ObjectKey>) {
        let obj = event.object();
        match event.kind {
            Kind::ReplicaSet if event.event_type != EventType::Deleted => {
                out.push(ObjectKey::of(Kind::ReplicaSet, obj));
            }
            Kind::Pod => {
                let ns = object::namespace(obj);
                // Read in place: most pod events are owned by another kind's controller.
                match object::controller_ref_view(obj) {
                    Some(r) => {
                        if let Some(k) = Self::resolve(api, ns, &r) {
                            out.push(k);
                        }
                    }
                    None if event.event_type != EventType::Deleted => {
                        // An orphan: wake every set whose selector matches it.
                        let labels = object::labels(obj);
                        for rs in api.list(Kind::ReplicaSet, Some(ns), &Selector::everything()) {
                            let sel = object::get(&rs, &["spec", "selector"])
                                .and_then(|s| Selector::from_label_selector(s).ok());
                            if sel.is_some_and(|s| !s.is_empty() && s.matches(&labels)) {
                                out.push(ObjectKey::of(Kind::ReplicaSet, &rs));
                            }
                        }
                    }
                    None => {}
                }
            }
            _ => {}
        }
    }

    fn reconcile(&mut self, key: &ObjectKey, ctx: &mut Ctx<'_>) -> Action {
        match self.run_sync(key, ctx.api) {
            Err(_) => {
                let n = self.failures.entry(key.clone()).or_insert(0);
                let delay = 5u64.saturating_mul(1u64 << (*n).min(40)).min(1_000_000);
                *n += 1;
                Action::RequeueAfter(delay)
            }
            Ok(written) => {
                self.failures.remove(key);
                match written {
                    Some(rs) => next_availability_check(&rs, ctx.api),
                    None => Action::Done,
                }
            }
        }
    }
}

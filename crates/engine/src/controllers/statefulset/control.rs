//! The StatefulSet decision (upstream `stateful_set_control.go`): from a set, its pods, its
//! claims and its revisions, `plan_update` computes the status and the ordered intents of one
//! sync (S3.6–S3.8) without touching anything; `sync` chooses the revisions (S3.3–S3.4), runs
//! the plan through `StatefulPodControl`, writes the status and truncates history (S3.5).
//!
//! The plan must stay a pure function of its inputs: the UI can show it ("web-2 waits: web-1
//! is not Ready") and the tests drive it round after round against a simulated pod lifecycle.

use super::pod_control::{ObjectManager, StatefulPodControl};
use super::utils::*;
use crate::error::{ApiError, ApiResult};
use crate::object;
use crate::time::Time;
use serde_json::{json, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Feature gates that change the algorithm (spec §9).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gates {
    /// MaxUnavailableStatefulSet: beta and on in 1.35 (S1.4); off selects S3.7b.
    pub max_unavailable: bool,
}

impl Default for Gates {
    fn default() -> Gates {
        Gates {
            max_unavailable: true,
        }
    }
}

/// `apps/v1 StatefulSetStatus` as the controller computes it (conditions are never set).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SetStatus {
    pub observed_generation: i64,
    pub replicas: i64,
    pub ready_replicas: i64,
    pub current_replicas: i64,
    pub updated_replicas: i64,
    pub available_replicas: i64,
    pub current_revision: String,
    pub update_revision: String,
    pub collision_count: i64,
}

/// A set's stored status as `SetStatus::of` reads it, borrowed from the set (the status
/// map is found once; nothing is copied).
#[derive(Clone, Copy, Debug)]
pub struct StoredStatus<'a> {
    observed_generation: i64,
    replicas: i64,
    ready_replicas: i64,
    current_replicas: i64,
    updated_replicas: i64,
    available_replicas: i64,
    current_revision: &'a str,
    update_revision: &'a str,
    collision_count: i64,
}

impl<'a> StoredStatus<'a> {
    pub fn of(set: &'a Value) -> StoredStatus<'a> {
        let status = set.get("status").and_then(Value::as_object);
        let field = |f: &str| status.and_then(|m| object::field(m, f));
        let g = |f: &str| field(f).and_then(Value::as_i64).unwrap_or(0);
        let s = |f: &str| field(f).and_then(Value::as_str).unwrap_or("");
        StoredStatus {
            observed_generation: g("observedGeneration"),
            replicas: g("replicas"),
            ready_replicas: g("readyReplicas"),
            current_replicas: g("currentReplicas"),
            updated_replicas: g("updatedReplicas"),
            available_replicas: g("availableReplicas"),
            current_revision: s("currentRevision"),
            update_revision: s("updateRevision"),
            collision_count: g("collisionCount"),
        }
    }
}

impl SetStatus {
    pub fn of(set: &Value) -> SetStatus {
        let s = StoredStatus::of(set);
        SetStatus {
            observed_generation: s.observed_generation,
            replicas: s.replicas,
            ready_replicas: s.ready_replicas,
            current_replicas: s.current_replicas,
            updated_replicas: s.updated_replicas,
            available_replicas: s.available_replicas,
            current_revision: s.current_revision.to_string(),
            update_revision: s.update_revision.to_string(),
            collision_count: s.collision_count,
        }
    }

    /// `self == SetStatus::of(set)`, without copying the stored revisions' names.
    pub fn is_stored_in(&self, set: &Value) -> bool {
        let s = StoredStatus::of(set);
        self.observed_generation == s.observed_generation
            && self.replicas == s.replicas
            && self.ready_replicas == s.ready_replicas
            && self.current_replicas == s.current_replicas
            && self.updated_replicas == s.updated_replicas
            && self.available_replicas == s.available_replicas
            && self.current_revision == s.current_revision
            && self.update_revision == s.update_revision
            && self.collision_count == s.collision_count
    }

    /// JSON as apps/v1 serialises it: `replicas` and `availableReplicas` always, the rest
    /// omitted when zero, `collisionCount` always (a pointer).
    pub fn to_value(&self) -> Value {
        // In key order into a vector the map takes as it is (no searching, no regrowth).
        fn count(m: &mut Vec<(String, Value)>, k: &str, v: i64, always: bool) {
            if always || v != 0 {
                m.push((k.into(), Value::from(v)));
            }
        }
        fn revision(m: &mut Vec<(String, Value)>, k: &str, v: &str) {
            if !v.is_empty() {
                m.push((k.into(), Value::String(v.to_string())));
            }
        }
        let mut m: Vec<(String, Value)> = Vec::with_capacity(9);
        count(&mut m, "availableReplicas", self.available_replicas, true);
        count(&mut m, "collisionCount", self.collision_count, true);
        count(&mut m, "currentReplicas", self.current_replicas, false);
        revision(&mut m, "currentRevision", &self.current_revision);
        count(
            &mut m,
            "observedGeneration",
            self.observed_generation,
            false,
        );
        count(&mut m, "readyReplicas", self.ready_replicas, false);
        count(&mut m, "replicas", self.replicas, true);
        revision(&mut m, "updateRevision", &self.update_revision);
        count(&mut m, "updatedReplicas", self.updated_replicas, false);
        Value::Object(m.into_iter().collect())
    }

    /// `inconsistentStatus`: whether a write is needed.
    pub fn differs_from(&self, stored: &StoredStatus<'_>) -> bool {
        self.observed_generation > stored.observed_generation
            || self.replicas != stored.replicas
            || self.current_replicas != stored.current_replicas
            || self.ready_replicas != stored.ready_replicas
            || self.updated_replicas != stored.updated_replicas
            || self.current_revision != stored.current_revision
            || self.available_replicas != stored.available_replicas
            || self.update_revision != stored.update_revision
    }
}

/// One thing the controller wants done, as upstream's pod control calls. Pods that exist are
/// borrowed from the inputs (a sync must not copy every pod it looks at); new ones are owned.
#[derive(Clone, Debug, PartialEq)]
pub enum Intent<'a> {
    /// `CreateStatefulPod`: claims (S4.1), the pod, then claim owner refs.
    CreatePod { pod: Cow<'a, Value> },
    /// `createMissingPersistentVolumeClaims` for a Pending pod.
    CreateMissingClaims { pod: Cow<'a, Value> },
    /// `DeleteStatefulPod`; `rolling` deletions decrement `currentReplicas` (S3.7b/d) and
    /// tolerate NotFound.
    DeletePod { pod: Cow<'a, Value>, rolling: bool },
    /// `UpdateStatefulPod(updateSet, pod)`: identity, storage or retention repair.
    UpdatePod { pod: Cow<'a, Value> },
    /// `UpdatePodClaimForRetentionPolicy(updateSet, pod)` for a condemned pod (S4.3).
    UpdateClaimOwnerRefs { pod: Cow<'a, Value> },
}

impl<'a> Intent<'a> {
    fn pod_mut(&mut self) -> &mut Cow<'a, Value> {
        match self {
            Intent::CreatePod { pod }
            | Intent::CreateMissingClaims { pod }
            | Intent::DeletePod { pod, .. }
            | Intent::UpdatePod { pod }
            | Intent::UpdateClaimOwnerRefs { pod } => pod,
        }
    }

    pub fn pod(&self) -> &Value {
        match self {
            Intent::CreatePod { pod }
            | Intent::CreateMissingClaims { pod }
            | Intent::DeletePod { pod, .. }
            | Intent::UpdatePod { pod }
            | Intent::UpdateClaimOwnerRefs { pod } => pod,
        }
    }
}

/// An intent with its place in the run: intents of one `unit` (one pod's processing) stop at
/// the unit's first error; an error anywhere in a `batch` stops every later batch (upstream's
/// sequential loop in OrderedReady, `slowStartBatch` in Parallel).
#[derive(Clone, Debug, PartialEq)]
pub struct Step<'a> {
    pub intent: Intent<'a>,
    pub batch: usize,
    pub unit: usize,
}

/// What one sync wants: the status to write and the steps to take.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan<'a> {
    pub status: SetStatus,
    pub steps: Vec<Step<'a>>,
    /// Why the sync stopped early in OrderedReady mode, for people ("web-2 waits: ...").
    pub waiting: Option<String>,
}

/// Everything the decision reads.
pub struct Inputs<'a> {
    pub set: &'a Value,
    /// Pods claimed by the set (members, selector-matching, owned).
    pub pods: &'a [&'a Value],
    /// The facts of `pods`, in the same order, when the caller knows them already.
    pub facts: Option<&'a [PodFacts<'a>]>,
    /// Claims in the set's namespace, by name.
    pub claims: &'a BTreeMap<String, &'a Value>,
    pub current_revision: &'a Value,
    pub update_revision: &'a Value,
    pub collision_count: i64,
    pub now: Time,
    pub gates: Gates,
}

/// What one sync reads of a pod, read once per pod per sync: the plan asks the same
/// questions of each pod several times (counts, first unavailable, processReplica, the
/// rolling update), and every question answered from the JSON tree walks it again.
#[derive(Clone, Copy, Debug)]
pub struct PodFacts<'p> {
    name: &'p str,
    ordinal: i64,
    phase: &'p str,
    terminating: bool,
    /// The Ready condition is True.
    ready: bool,
    /// When the Ready condition last changed (read only when minReadySeconds > 0).
    ready_since: Option<Time>,
    revision: &'p str,
    /// `identity_matches` against the set, when already known.
    identity: Option<bool>,
}

impl<'p> PodFacts<'p> {
    fn of(pod: &'p Value, mrs: i64) -> PodFacts<'p> {
        let ready = is_ready(pod);
        PodFacts {
            name: object::name(pod),
            ordinal: ordinal(pod),
            phase: phase(pod),
            terminating: is_terminating(pod),
            ready,
            ready_since: if ready && mrs > 0 {
                ready_since(pod)
            } else {
                None
            },
            revision: pod_revision(pod),
            identity: None,
        }
    }

    /// `is_created`
    fn created(&self) -> bool {
        !self.phase.is_empty()
    }

    /// `is_running_and_ready`
    fn running_and_ready(&self) -> bool {
        self.phase == "Running" && self.ready
    }

    /// `is_available`
    fn available(&self, mrs: i64, now: Time) -> bool {
        if !self.ready {
            return false;
        }
        if mrs == 0 {
            return true;
        }
        self.ready_since
            .is_some_and(|t| t.plus_secs(mrs as u64) < now)
    }

    /// `is_unavailable`: not healthy (running, ready, not terminating) or not available.
    fn unavailable(&self, mrs: i64, now: Time) -> bool {
        let healthy = self.running_and_ready() && !self.terminating;
        !healthy || !self.available(mrs, now)
    }
}

/// One pod version's `PodFacts` against one set, owned, for the controller to keep between
/// syncs (a stored pod version never changes): the next sync borrows them instead of reading
/// the pod again. `ready_since` is read whenever the pod is Ready (only minReadySeconds > 0
/// looks at it), so the facts hold for any minReadySeconds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownPodFacts {
    ordinal: i64,
    /// The pod phases borrowed, anything else copied (no allocation for the usual ones).
    phase: Cow<'static, str>,
    terminating: bool,
    ready: bool,
    ready_since: Option<Time>,
    /// Shared with the pod's previous version's facts when the label is the same (it
    /// rarely changes between versions): no copy per pod version.
    revision: Arc<str>,
    identity: bool,
}

impl KnownPodFacts {
    pub fn of(set: &Value, pod: &Value) -> KnownPodFacts {
        KnownPodFacts::of_after(set, pod, None)
    }

    /// `of`, sharing what `previous` (facts of an earlier version of the pod) holds.
    pub fn of_after(set: &Value, pod: &Value, previous: Option<&KnownPodFacts>) -> KnownPodFacts {
        // The metadata, labels and status maps are found once, and every fact read from
        // them (what `ordinal`, `pod_revision`, `phase`, `is_terminating`, `ready_condition`
        // and `identity_matches_named` read, each from the root, before).
        let meta = pod.get("metadata").and_then(Value::as_object);
        let meta_str = |k: &str| {
            meta.and_then(|m| object::field(m, k))
                .and_then(Value::as_str)
        };
        let labels = meta
            .and_then(|m| object::field(m, "labels"))
            .and_then(Value::as_object);
        let label = |k: &str| {
            labels
                .and_then(|m| object::field(m, k))
                .and_then(Value::as_str)
        };
        let status = pod.get("status").and_then(Value::as_object);
        let status_field = |k: &str| status.and_then(|m| object::field(m, k));
        let name = meta_str("name").unwrap_or("");
        let revision = label(REVISION_LABEL).unwrap_or("");
        // `is_ready` and `ready_since` over one search for the Ready condition.
        let condition = status_field("conditions")
            .and_then(Value::as_array)
            .and_then(|cs| {
                cs.iter()
                    .find(|c| object::get_str(c, &["type"]) == Some("Ready"))
            });
        let ready = condition.is_some_and(|c| object::get_str(c, &["status"]) == Some("True"));
        let (parent, ordinal) = parent_and_ordinal(name);
        KnownPodFacts {
            ordinal,
            phase: match status_field("phase").and_then(Value::as_str).unwrap_or("") {
                "" => Cow::Borrowed(""),
                "Pending" => Cow::Borrowed("Pending"),
                "Running" => Cow::Borrowed("Running"),
                "Succeeded" => Cow::Borrowed("Succeeded"),
                "Failed" => Cow::Borrowed("Failed"),
                "Unknown" => Cow::Borrowed("Unknown"),
                other => Cow::Owned(other.to_string()),
            },
            terminating: meta_str("deletionTimestamp").is_some(),
            ready,
            ready_since: if ready {
                condition
                    .and_then(|c| object::get_str(c, &["lastTransitionTime"]))
                    .and_then(Time::parse_rfc3339)
            } else {
                None
            },
            revision: match previous {
                Some(p) if &*p.revision == revision => Arc::clone(&p.revision),
                _ => Arc::from(revision),
            },
            identity: identity_matches_parts(
                object::name(set),
                object::namespace(set),
                name,
                (parent, ordinal),
                meta_str("namespace").unwrap_or(""),
                label(POD_NAME_LABEL),
            ),
        }
    }

    /// The facts for the plan; `name` is the pod's name.
    pub fn facts<'p>(&'p self, name: &'p str) -> PodFacts<'p> {
        PodFacts {
            name,
            ordinal: self.ordinal,
            phase: &self.phase,
            terminating: self.terminating,
            ready: self.ready,
            ready_since: self.ready_since,
            revision: &self.revision,
            identity: Some(self.identity),
        }
    }
}

/// `computeReplicaStatus` over pod lists, into `status` (counts reset first).
fn count_status<'f, 'p: 'f>(
    status: &mut SetStatus,
    mrs: i64,
    now: Time,
    pods: impl IntoIterator<Item = &'f PodFacts<'p>>,
) {
    status.replicas = 0;
    status.ready_replicas = 0;
    status.available_replicas = 0;
    status.current_replicas = 0;
    status.updated_replicas = 0;
    for p in pods {
        if p.created() {
            status.replicas += 1;
        }
        if p.running_and_ready() {
            status.ready_replicas += 1;
            if p.available(mrs, now) {
                status.available_replicas += 1;
            }
        }
        if p.created() && !p.terminating {
            if p.revision == status.current_revision {
                status.current_replicas += 1;
            }
            if p.revision == status.update_revision {
                status.updated_replicas += 1;
            }
        }
    }
}

/// `PodClaimIsStale` (S4.4), over the known claims.
fn pod_claim_is_stale(set: &Value, pod: &Value, claims: &BTreeMap<String, &Value>) -> bool {
    if !retention_policy(set).1 {
        return false;
    }
    claim_templates(set).iter().any(|t| {
        claims
            .get(&claim_name(set, t, ordinal(pod)))
            .is_some_and(|c| has_stale_owner_ref(c, pod, "v1", "Pod"))
    })
}

/// `ClaimsMatchRetentionPolicy`, over the known claims.
fn claims_match_policy(set: &Value, pod: &Value, claims: &BTreeMap<String, &Value>) -> bool {
    claim_templates(set).iter().all(|t| {
        claims
            .get(&claim_name(set, t, ordinal(pod)))
            .is_none_or(|c| is_claim_owner_up_to_date(c, set, pod))
    })
}

struct Planner<'a, 'i> {
    steps: Vec<Step<'a>>,
    /// (step, replica index) of each step about a new pod: its pod is moved in from the
    /// replica list when the plan is done (`fill_new_pods`), not copied at each step.
    new_refs: Vec<(usize, usize)>,
    batch: usize,
    unit: usize,
    waiting: Option<String>,
    inp: &'i Inputs<'a>,
}

/// What a step about a new pod holds until `fill_new_pods` moves the pod in.
static NEW_POD_PLACEHOLDER: Value = Value::Null;

/// Moves each new pod of `replicas` into the steps about it (the last of them; earlier
/// ones, rare, get copies).
fn fill_new_pods<'a>(
    steps: &mut [Step<'a>],
    new_refs: &[(usize, usize)],
    replicas: Vec<Cow<'a, Value>>,
) {
    if new_refs.is_empty() {
        return;
    }
    let mut replicas = replicas;
    let mut uses = vec![0usize; replicas.len()];
    for &(_, i) in new_refs {
        if let Some(u) = uses.get_mut(i) {
            *u += 1;
        }
    }
    for &(s, i) in new_refs {
        let (Some(slot), Some(u), Some(step)) =
            (replicas.get_mut(i), uses.get_mut(i), steps.get_mut(s))
        else {
            continue;
        };
        *u -= 1;
        *step.intent.pod_mut() = if *u == 0 {
            std::mem::replace(slot, Cow::Borrowed(&NEW_POD_PLACEHOLDER))
        } else {
            slot.clone()
        };
    }
}

impl<'a> Planner<'a, '_> {
    /// Replica `i` of the list as the pod of the step about to be pushed: existing pods stay
    /// borrowed; a new one is noted, and moved in by `fill_new_pods`.
    fn share(&mut self, p: &Cow<'a, Value>, i: usize) -> Cow<'a, Value> {
        match p {
            Cow::Borrowed(b) => Cow::Borrowed(b),
            Cow::Owned(_) => {
                self.new_refs.push((self.steps.len(), i));
                Cow::Borrowed(&NEW_POD_PLACEHOLDER)
            }
        }
    }

    fn push(&mut self, intent: Intent<'a>) {
        self.steps.push(Step {
            intent,
            batch: self.batch,
            unit: self.unit,
        });
    }

    /// `runForAll`: sequential units in monotonic mode (each its own batch), slow-start
    /// batches of 1, 2, 4 ... (max 500) in burst mode. Returns whether to stop the sync.
    fn run_for_all(
        &mut self,
        n: usize,
        monotonic: bool,
        mut f: impl FnMut(&mut Self, usize) -> bool,
    ) -> bool {
        if monotonic {
            for i in 0..n {
                self.batch += 1;
                self.unit += 1;
                if f(self, i) {
                    return true;
                }
            }
            false
        } else {
            let mut i = 0;
            let mut size = 1usize;
            while i < n {
                self.batch += 1;
                let end = (i + size).min(n);
                for k in i..end {
                    self.unit += 1;
                    f(self, k);
                }
                i = end;
                size = (size * 2).min(500);
            }
            false
        }
    }
}

/// `updateStatefulSet` as a pure decision (S3.6–S3.8).
pub fn plan_update<'a>(inp: &Inputs<'a>) -> Plan<'a> {
    let current_set = apply_revision_shared(inp.set, inp.current_revision);
    let update_set = apply_revision_shared(inp.set, inp.update_revision);
    plan_with_sets(inp, &current_set, &update_set)
}

/// `plan_update` with the set already applied to its current and update revisions.
fn plan_with_sets<'a>(inp: &Inputs<'a>, current_set: &Value, update_set: &Value) -> Plan<'a> {
    let set = inp.set;
    let now = inp.now;
    let mrs = min_ready_seconds(set);
    let current_name = object::name(inp.current_revision);
    let update_name = object::name(inp.update_revision);

    let mut status = SetStatus {
        observed_generation: object::generation(set),
        current_revision: current_name.to_string(),
        update_revision: update_name.to_string(),
        collision_count: inp.collision_count,
        ..SetStatus::default()
    };
    let pod_facts: Vec<PodFacts<'a>> = match inp.facts {
        Some(known) if known.len() == inp.pods.len() => known.to_vec(),
        _ => inp.pods.iter().map(|p| PodFacts::of(p, mrs)).collect(),
    };
    count_status(&mut status, mrs, now, pod_facts.iter());

    // Partition pods into in-range replicas (by index) and condemned (S3.6 step 3).
    let start = start_ordinal(set);
    let end = end_ordinal(set);
    let n = replicas(set).max(0) as usize;
    let mut slots: Vec<Option<(&'a Value, PodFacts<'a>)>> = vec![None; n];
    let mut condemned: Vec<(&'a Value, PodFacts<'a>)> = Vec::new();
    for (&p, f) in inp.pods.iter().zip(&pod_facts) {
        if f.ordinal >= start && f.ordinal <= end {
            let idx = (f.ordinal - start) as usize;
            if let Some(slot) = slots.get_mut(idx) {
                *slot = Some((p, *f));
            }
        } else if f.ordinal >= 0 {
            condemned.push((p, *f));
        }
    }
    let mut known: Vec<Option<PodFacts<'a>>> = Vec::with_capacity(n);
    // Each revision's template is read once for all the pods this plan creates.
    let new_pods = NewVersionedPods::new(current_set, update_set, current_name, update_name);
    let replicas_list: Vec<Cow<'a, Value>> = slots
        .into_iter()
        .enumerate()
        .map(|(i, p)| match p {
            Some((p, f)) => {
                known.push(Some(f));
                Cow::Borrowed(p)
            }
            None => {
                known.push(None);
                Cow::Owned(new_pods.pod(start + i as i64))
            }
        })
        .collect();
    // New pods' facts are read into owned copies (few: the pods a scale-up creates), so
    // that the pods themselves can be moved into their steps when the plan is done.
    let new_facts: Vec<Option<(String, KnownPodFacts)>> = replicas_list
        .iter()
        .zip(&known)
        .map(|(p, f)| match (p, f) {
            (Cow::Owned(p), None) => Some((object::name(p).to_string(), KnownPodFacts::of(set, p))),
            _ => None,
        })
        .collect();
    let rep_facts: Vec<PodFacts<'_>> = known
        .into_iter()
        .zip(&new_facts)
        .map(|(f, n)| match (f, n) {
            (Some(f), _) => f,
            // What `PodFacts::of` reads of a new pod (which has no status: not Ready, so
            // no ready time either way).
            (None, Some((name, k))) => PodFacts {
                identity: None,
                ..k.facts(name)
            },
            (None, None) => PodFacts::of(&NEW_POD_PLACEHOLDER, mrs),
        })
        .collect();
    kubeplay_shell::sorting::sort_by_key(&mut condemned, |(_, f)| std::cmp::Reverse(f.ordinal));

    // Step 4: the first unavailable pod, replicas ascending then condemned ascending.
    let first_unavailable: Option<&str> = rep_facts
        .iter()
        .chain(condemned.iter().rev().map(|(_, f)| f))
        .find(|f| f.unavailable(mrs, now))
        .map(|f| f.name);

    let mut pl = Planner {
        steps: Vec::new(),
        new_refs: Vec::new(),
        batch: 0,
        unit: 0,
        waiting: None,
        inp,
    };
    let finish = |mut pl: Planner<'a, '_>, mut status: SetStatus, replicas| {
        count_status(
            &mut status,
            mrs,
            now,
            rep_facts.iter().chain(condemned.iter().map(|(_, f)| f)),
        );
        fill_new_pods(&mut pl.steps, &pl.new_refs, replicas);
        Plan {
            status,
            steps: pl.steps,
            waiting: pl.waiting,
        }
    };

    // Step 5: a set being deleted only gets its status.
    if object::is_terminating(set) {
        return Plan {
            status,
            steps: Vec::new(),
            waiting: None,
        };
    }
    let monotonic = !allows_burst(set);
    // (the set's, the update revision's) claim templates are none.
    let no_templates = (
        claim_templates(set).is_empty(),
        claim_templates(update_set).is_empty(),
    );

    // Step 6: processReplica (S3.7a).
    let exit = pl.run_for_all(replicas_list.len(), monotonic, |pl, i| {
        process_replica(
            pl,
            set,
            update_set,
            monotonic,
            &replicas_list,
            &rep_facts,
            i,
            mrs,
            now,
            no_templates,
        )
    });
    if exit {
        return finish(pl, status, replicas_list);
    }

    // Step 7: retention owner refs of condemned pods (S4.3).
    pl.run_for_all(condemned.len(), monotonic, |pl, i| {
        let pod = condemned[i].0;
        if !claims_match_policy(update_set, pod, pl.inp.claims) {
            pl.push(Intent::UpdateClaimOwnerRefs {
                pod: Cow::Borrowed(pod),
            });
        }
        false
    });

    // Step 8: processCondemned (S3.7c).
    let exit = pl.run_for_all(condemned.len(), monotonic, |pl, i| {
        let (pod, f) = condemned[i];
        let name = f.name;
        if f.terminating {
            if monotonic {
                pl.waiting = Some(format!("scale-down waits: {name} is terminating"));
            }
            return monotonic;
        }
        let first = first_unavailable == Some(name);
        if monotonic && !first && (!f.running_and_ready() || !f.available(mrs, now)) {
            pl.waiting = Some(format!(
                "scale-down waits: {name} is not Ready and {} is unavailable first",
                first_unavailable.unwrap_or("")
            ));
            return true;
        }
        pl.push(Intent::DeletePod {
            pod: Cow::Borrowed(pod),
            rolling: false,
        });
        true
    });
    if exit {
        return finish(pl, status, replicas_list);
    }

    count_status(
        &mut status,
        mrs,
        now,
        rep_facts.iter().chain(condemned.iter().map(|(_, f)| f)),
    );
    // Step 10: OnDelete never updates pods by itself.
    if strategy_type(set) == "OnDelete" {
        fill_new_pods(&mut pl.steps, &pl.new_refs, replicas_list);
        return Plan {
            status,
            steps: pl.steps,
            waiting: pl.waiting,
        };
    }

    // Step 11: rolling update.
    pl.batch += 1;
    pl.unit += 1;
    let update_min = partition(set).max(0) as usize;
    // Only a pod still on an old revision makes the rolling update wait for anything (a set
    // whose pods are all current, e.g. while a Parallel set is still starting, waits for
    // nothing here).
    let outdated = rep_facts
        .get(update_min..)
        .unwrap_or(&[])
        .iter()
        .any(|f| f.revision != update_name && !f.terminating);
    if inp.gates.max_unavailable {
        // S3.7d
        let max_u = if rolling_update(set).is_some() {
            max_unavailable(set)
        } else {
            1
        };
        let unavailable = rep_facts.iter().filter(|f| f.unavailable(mrs, now)).count() as i64;
        if unavailable < max_u {
            let mut budget = max_u - unavailable;
            for target in (update_min..replicas_list.len()).rev() {
                if budget == 0 {
                    break;
                }
                let f = &rep_facts[target];
                if f.revision != update_name && !f.terminating {
                    let pod = pl.share(&replicas_list[target], target);
                    pl.push(Intent::DeletePod { pod, rolling: true });
                    budget -= 1;
                }
            }
        } else if outdated {
            pl.waiting = Some(format!(
                "rolling update waits: {unavailable} pod(s) unavailable, maxUnavailable is {max_u}"
            ));
        }
    } else {
        // S3.7b
        for target in (update_min..replicas_list.len()).rev() {
            let f = &rep_facts[target];
            if f.revision != update_name && !f.terminating {
                let pod = pl.share(&replicas_list[target], target);
                pl.push(Intent::DeletePod { pod, rolling: true });
                break;
            }
            if f.unavailable(mrs, now) {
                if !outdated {
                    break;
                }
                pl.waiting = Some(format!("rolling update waits: {} is unavailable", f.name));
                break;
            }
        }
    }
    fill_new_pods(&mut pl.steps, &pl.new_refs, replicas_list);
    Plan {
        status,
        steps: pl.steps,
        waiting: pl.waiting,
    }
}

/// `processReplica` (S3.7a). Returns shouldExit.
#[allow(clippy::too_many_arguments)]
fn process_replica<'a>(
    pl: &mut Planner<'a, '_>,
    set: &Value,
    update_set: &Value,
    monotonic: bool,
    replicas_list: &[Cow<'a, Value>],
    facts: &[PodFacts<'_>],
    i: usize,
    mrs: i64,
    now: Time,
    no_templates: (bool, bool),
) -> bool {
    let (Some(shared), Some(f)) = (replicas_list.get(i), facts.get(i)) else {
        return false;
    };
    let pod: &Value = shared;
    let name = f.name;
    let ph = f.phase;
    if ph == "Failed" || ph == "Succeeded" {
        if !f.terminating {
            let pod = pl.share(shared, i);
            pl.push(Intent::DeletePod {
                pod,
                rolling: false,
            });
        }
        pl.waiting = Some(format!("{name} is {ph}; it is replaced once it is gone"));
        return true;
    }
    if !f.created() {
        if pod_claim_is_stale(set, pod, pl.inp.claims) {
            pl.waiting = Some(format!(
                "{name} waits: a claim still belongs to the old pod"
            ));
            return true;
        }
        let pod = pl.share(shared, i);
        pl.push(Intent::CreatePod { pod });
        if monotonic {
            return true;
        }
        // Burst mode: the new pod needs nothing more this sync.
        return false;
    }
    if ph == "Pending" {
        let pod = pl.share(shared, i);
        pl.push(Intent::CreateMissingClaims { pod });
    }
    if monotonic {
        if f.terminating {
            pl.waiting = Some(format!("waiting for {name} to terminate"));
            return true;
        }
        if !f.running_and_ready() {
            pl.waiting = Some(format!("waiting for {name} to be Running and Ready"));
            return true;
        }
        if !f.available(mrs, now) {
            pl.waiting = Some(format!(
                "waiting for {name} to be available (minReadySeconds)"
            ));
            return true;
        }
    }
    // Without claim templates both storage checks reduce to the ordinal (`all` over none).
    let retention_match = no_templates.1 || claims_match_policy(update_set, pod, pl.inp.claims);
    let storage = if no_templates.0 {
        f.ordinal >= 0
    } else {
        storage_matches(set, pod)
    };
    let identity = f.identity.unwrap_or_else(|| {
        identity_matches_named(object::name(set), object::namespace(set), pod, f.name)
    });
    if identity && storage && retention_match {
        return false;
    }
    let pod = pl.share(shared, i);
    pl.push(Intent::UpdatePod { pod });
    false
}

/// One whole sync (`UpdateStatefulSet`): revisions, plan, effects, status, history.
/// Returns the status written (or that would have been) and the first error.
pub fn sync<M: ObjectManager + ?Sized>(
    objects: &mut M,
    set: &Value,
    pods: &[Value],
    revisions: Vec<Value>,
    claims: &BTreeMap<String, Value>,
    now: Time,
    gates: Gates,
) -> (Option<SetStatus>, Option<ApiError>) {
    let pods: Vec<&Value> = pods.iter().collect();
    let revisions: Vec<&Value> = revisions.iter().collect();
    let claims: BTreeMap<String, &Value> = claims.iter().map(|(k, v)| (k.clone(), v)).collect();
    let out = sync_shared(objects, set, &pods, None, revisions, &claims, now, gates);
    (out.status, out.error)
}

/// What one sync did, for the controller.
#[derive(Debug)]
pub struct SyncOutcome {
    /// The status written (or that would have been), if the sync got that far.
    pub status: Option<SetStatus>,
    /// The first error.
    pub error: Option<ApiError>,
    /// The sync changed nothing but (maybe) the set's status, and a sync of the set as it
    /// is now, over the same pods, revisions and claims, would compute this same status:
    /// no pod, claim or revision was written (no step did anything, no revision was created,
    /// bumped or deleted), nothing failed, and `completeRollingUpdate` did not move the
    /// current revision (the next sync reads `status.currentRevision` back).
    pub fixed_point: bool,
}

/// `sync` over borrowed objects (the controller hands in what the store holds, uncopied).
#[allow(clippy::too_many_arguments)]
pub fn sync_shared<M: ObjectManager + ?Sized>(
    objects: &mut M,
    set: &Value,
    pods: &[&Value],
    facts: Option<&[PodFacts<'_>]>,
    mut revisions: Vec<&Value>,
    claims: &BTreeMap<String, &Value>,
    now: Time,
    gates: Gates,
) -> SyncOutcome {
    sort_revisions(&mut revisions);
    let stored = StoredStatus::of(set);
    let (current, update, collision) = match choose_revisions(objects, set, &revisions) {
        Ok(r) => r,
        Err(e) => {
            return SyncOutcome {
                status: None,
                error: Some(e),
                fixed_point: false,
            }
        }
    };
    // An owned update revision was created or bumped (a write).
    let mut acted = matches!(update, Cow::Owned(_));
    // `createMissingPersistentVolumeClaims` does nothing for a set without claim templates.
    let claimless = claim_templates(set).is_empty();
    let inputs = Inputs {
        set,
        pods,
        facts,
        claims,
        current_revision: &current,
        update_revision: &update,
        collision_count: collision,
        now,
        gates,
    };
    // ApplyRevision once each (plan_update would compute them again).
    let current_set = apply_revision_shared(set, &current);
    // ApplyRevision reads only the revision's data: a set that is not rolling (current and
    // update the same revision, or an equal one) applies it once.
    let update_set = if std::ptr::eq::<Value>(&*current, &*update)
        || (object::name(&current) == object::name(&update)
            && current.get("data") == update.get("data"))
    {
        current_set.clone()
    } else {
        apply_revision_shared(set, &update)
    };
    let plan = plan_with_sets(&inputs, &current_set, &update_set);
    let mut status = plan.status;
    let mut first_err: Option<ApiError> = None;
    let mut failed_batch: Option<usize> = None;
    let mut failed_units: Vec<usize> = Vec::new();
    {
        let mut control = StatefulPodControl {
            objects: &mut *objects,
        };
        // By value: a new pod is moved into its create, not copied.
        for step in plan.steps {
            if failed_batch.is_some_and(|b| step.batch > b) {
                break;
            }
            if failed_units.contains(&step.unit) {
                continue;
            }
            let (unit, batch) = (step.unit, step.batch);
            if !(claimless && matches!(step.intent, Intent::CreateMissingClaims { .. })) {
                acted = true;
            }
            let res = match step.intent {
                Intent::CreatePod {
                    pod: Cow::Owned(pod),
                } => control.create_stateful_pod_owned(set, pod),
                Intent::CreatePod { pod } => control.create_stateful_pod(set, &pod),
                Intent::CreateMissingClaims { pod } => control.create_missing_claims(set, &pod),
                Intent::DeletePod { pod, rolling } => {
                    let r = control.delete_stateful_pod(set, &pod);
                    if rolling {
                        match r {
                            Err(e) if !e.is_not_found() => Err(e),
                            _ => {
                                status.current_replicas -= 1;
                                Ok(())
                            }
                        }
                    } else {
                        r
                    }
                }
                Intent::UpdatePod { pod } => control.update_stateful_pod(&update_set, &pod),
                Intent::UpdateClaimOwnerRefs { pod } => {
                    control.update_claims_for_retention(&update_set, &pod)
                }
            };
            if let Err(e) = res {
                failed_units.push(unit);
                failed_batch.get_or_insert(batch);
                first_err.get_or_insert(e);
            }
        }
    }
    // updateStatefulSetStatus: completeRollingUpdate, then write only if inconsistent.
    if strategy_type(set) == "RollingUpdate"
        && status.updated_replicas == status.ready_replicas
        && status.ready_replicas == status.replicas
        && status.replicas == replicas(set)
    {
        status.current_replicas = status.updated_replicas;
        status.current_revision = status.update_revision.clone();
    }
    if status.differs_from(&stored) {
        if let Err(e) = objects.update_set_status(set, status.to_value()) {
            first_err.get_or_insert(e);
        }
    }
    match truncate_history(objects, set, pods, &revisions, &current, &update) {
        Err(e) => {
            first_err.get_or_insert(e);
        }
        Ok(deleted) => acted |= deleted,
    }
    let fixed_point =
        !acted && first_err.is_none() && status.current_revision == object::name(&current);
    SyncOutcome {
        status: Some(status),
        error: first_err,
        fixed_point,
    }
}

/// `getStatefulSetRevisions` (S3.4): reuse the latest, roll back to an equal one by bumping
/// its `.revision`, or create a new one (with collision handling, S3.3). Revisions that
/// exist come back borrowed.
fn choose_revisions<'r, M: ObjectManager + ?Sized>(
    objects: &mut M,
    set: &Value,
    revisions: &[&'r Value],
) -> ApiResult<(Cow<'r, Value>, Cow<'r, Value>, i64)> {
    let mut collision = object::get_i64(set, &["status", "collisionCount"]).unwrap_or(0);
    let next = revisions
        .iter()
        .map(|r| revision_number(r))
        .max()
        .unwrap_or(0)
        + 1;
    // EqualRevision compares only the data, so the candidate's data is all the search needs
    // (compared in place); the whole candidate is built only when it gets created.
    let last_equal = revisions
        .iter()
        .rev()
        .find(|r| revision_data_matches(r.get("data"), set));
    let update: Cow<'r, Value> = match last_equal {
        Some(eq) if revisions.last().is_some_and(|l| equal_revision(l, eq)) => {
            match revisions.last() {
                Some(l) => Cow::Borrowed(*l),
                None => Cow::Owned(new_revision(set, next, collision)),
            }
        }
        Some(eq) => {
            let mut bumped = (*eq).clone();
            bumped["revision"] = json!(next);
            Cow::Owned(objects.update_revision(bumped)?)
        }
        None => Cow::Owned(loop {
            let attempt = new_revision(set, next, collision);
            match objects.create_revision(attempt.clone()) {
                Ok(created) => break created,
                Err(e) if e.is_already_exists() => {
                    let existing =
                        objects.get_revision(object::namespace(set), object::name(&attempt))?;
                    if equal_revision(&existing, &attempt) {
                        break existing;
                    }
                    collision += 1;
                    if collision > 1000 {
                        return Err(e);
                    }
                }
                Err(e) => return Err(e),
            }
        }),
    };
    let wanted = object::get_str(set, &["status", "currentRevision"]).unwrap_or("");
    let current = match revisions.iter().find(|r| object::name(r) == wanted) {
        Some(r) => Cow::Borrowed(*r),
        None => update.clone(),
    };
    Ok((current, update, collision))
}

/// Which revisions `truncateHistory` would delete (S3.5), lowest `.revision` first.
pub fn revisions_to_truncate(
    set: &Value,
    pods: &[&Value],
    sorted_revisions: &[&Value],
    current: &str,
    update: &str,
) -> Vec<String> {
    let live = |name: &str| {
        name == current || name == update || pods.iter().any(|p| pod_revision(p) == name)
    };
    let history: Vec<&Value> = sorted_revisions
        .iter()
        .copied()
        .filter(|r| !live(object::name(r)))
        .collect();
    let limit = object::get_i64(set, &["spec", "revisionHistoryLimit"]).unwrap_or(10);
    if limit < 0 || history.len() as i64 <= limit {
        return Vec::new();
    }
    let extra = history.len() - limit as usize;
    history[..extra]
        .iter()
        .map(|r| object::name(r).to_string())
        .collect()
}

fn truncate_history<M: ObjectManager + ?Sized>(
    objects: &mut M,
    set: &Value,
    pods: &[&Value],
    revisions: &[&Value],
    current: &Value,
    update: &Value,
) -> ApiResult<bool> {
    let mut deleted = false;
    for name in revisions_to_truncate(
        set,
        pods,
        revisions,
        object::name(current),
        object::name(update),
    ) {
        deleted = true;
        match objects.delete_revision(object::namespace(set), &name) {
            Err(e) if !e.is_not_found() => return Err(e),
            _ => {}
        }
    }
    Ok(deleted)
}

/// The set's claims by name, as `plan_update` wants them.
pub fn claims_by_name(claims: impl IntoIterator<Item = Value>) -> BTreeMap<String, Value> {
    claims
        .into_iter()
        .map(|c| (object::name(&c).to_string(), c))
        .collect()
}

#[cfg(test)]
mod fill_tests {
    use super::*;
    use serde_json::json;

    fn step(pod: Cow<'static, Value>) -> Step<'static> {
        Step {
            intent: Intent::CreatePod { pod },
            batch: 1,
            unit: 1,
        }
    }

    #[test]
    fn set_status_values_keep_zero_counts_out_except_the_always_written_ones() {
        for (n, rev) in [(0, ""), (3, "web-abc")] {
            let st = SetStatus {
                observed_generation: n,
                replicas: n,
                ready_replicas: n,
                current_replicas: n,
                updated_replicas: n,
                available_replicas: n,
                current_revision: rev.to_string(),
                update_revision: rev.to_string(),
                collision_count: n,
            };
            let want = if n == 0 {
                json!({"replicas": 0, "availableReplicas": 0, "collisionCount": 0})
            } else {
                json!({"observedGeneration": 3, "replicas": 3, "readyReplicas": 3,
                       "currentReplicas": 3, "updatedReplicas": 3, "availableReplicas": 3,
                       "collisionCount": 3, "currentRevision": "web-abc",
                       "updateRevision": "web-abc"})
            };
            assert_eq!(st.to_value(), want);
            let stored = json!({"status": want});
            assert_eq!(SetStatus::of(&stored), st);
            assert!(st.is_stored_in(&stored));
            assert!(!st.differs_from(&StoredStatus::of(&stored)));
            let other = SetStatus {
                ready_replicas: n + 1,
                ..st.clone()
            };
            assert!(!other.is_stored_in(&stored));
            assert!(other.differs_from(&StoredStatus::of(&stored)));
        }
    }

    #[test]
    fn a_new_pod_in_two_steps_reaches_both_and_existing_pods_stay_borrowed() {
        static EXISTING: Value = Value::Null;
        let new_pod = json!({"metadata": {"name": "web-1"}});
        let replicas = vec![Cow::Borrowed(&EXISTING), Cow::Owned(new_pod.clone())];
        let mut steps = vec![
            step(Cow::Borrowed(&NEW_POD_PLACEHOLDER)),
            step(Cow::Borrowed(&EXISTING)),
            step(Cow::Borrowed(&NEW_POD_PLACEHOLDER)),
        ];
        fill_new_pods(&mut steps, &[(0, 1), (2, 1)], replicas);
        assert_eq!(steps[0].intent.pod(), &new_pod);
        assert_eq!(steps[2].intent.pod(), &new_pod);
        assert!(matches!(steps[1].intent.pod_mut(), Cow::Borrowed(_)));
    }
}

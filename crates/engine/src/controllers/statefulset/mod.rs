//! The StatefulSet controller (kube-controller-manager's `statefulset-controller`, spec §2–§5).
//!
//! This file is the plumbing of upstream `stateful_set.go` (S3.1–S3.2): which watch events
//! queue which sets, adoption and release of pods and revisions, error backoff and the
//! minReadySeconds requeue. The decision is `control::plan_update` (pure); the side effects go
//! through `pod_control::StatefulPodControl` over an `ObjectManager`.
//!
//! It must never act on a pod it does not own, never poll on a timer that never ends, and
//! never read anything but the `Api` it is handed.

pub mod control;
pub mod explain;
pub mod pod_control;
pub mod utils;

#[cfg(test)]
mod tests;

use crate::api::Api;
use crate::controllers::{Action, Controller, Ctx, ObjectKey};
use crate::error::ApiError;
use crate::kinds::Kind;
use crate::object::{self, OwnerRef};
use crate::selector::Selector;
use crate::store::{EventType, WatchEvent};
use control::Gates;
pub use explain::explain;
use pod_control::ApiObjects;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::Arc;

/// What the controller remembers of a pod between watch events (an informer cache's old
/// object, reduced to what `updatePod` compares).
#[derive(Clone, Debug, PartialEq, Eq)]
struct PodMemo {
    owner: Option<OwnerRef>,
    labels: BTreeMap<String, String>,
}

/// The first 16 bytes of a pod name, big-endian and zero-padded: the key of `PodMemos`.
fn name_head(name: &str) -> u128 {
    let bytes = name.as_bytes();
    let mut buf = [0u8; 16];
    let n = bytes.len().min(16);
    buf[..n].copy_from_slice(&bytes[..n]);
    u128::from_be_bytes(buf)
}

/// The `PodMemo`s of one namespace by pod name. Every pod watch event looks its pod up here
/// (10,000 pods in one namespace in a scale-up): the tree is searched by the name's first 16
/// bytes as one integer (held in the node, no string compared), and the few names sharing
/// a head (longer ones, or a name and the same with trailing NULs) are told apart in a list.
/// Nothing iterates it, so its order is never seen.
#[derive(Debug, Default)]
struct PodMemos {
    by_head: BTreeMap<u128, Vec<(String, PodMemo)>>,
}

impl PodMemos {
    fn get(&self, name: &str) -> Option<&PodMemo> {
        self.by_head
            .get(&name_head(name))?
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, m)| m)
    }

    /// Inserts or replaces; returns the replaced memo.
    fn insert(&mut self, name: &str, memo: PodMemo) -> Option<PodMemo> {
        let same_head = self.by_head.entry(name_head(name)).or_default();
        match same_head.iter_mut().find(|(n, _)| n == name) {
            Some((_, m)) => Some(std::mem::replace(m, memo)),
            None => {
                // Almost always the only one: no room for more (10,000 pods' worth).
                same_head.reserve_exact(1);
                same_head.push((name.to_string(), memo));
                None
            }
        }
    }

    fn remove(&mut self, name: &str) -> Option<PodMemo> {
        let head = name_head(name);
        let same_head = self.by_head.get_mut(&head)?;
        let at = same_head.iter().position(|(n, _)| n == name)?;
        let (_, m) = same_head.swap_remove(at);
        if same_head.is_empty() {
            self.by_head.remove(&head);
        }
        Some(m)
    }

    fn is_empty(&self) -> bool {
        self.by_head.is_empty()
    }
}

/// Whose controller reference a pod version carries, as `getPodsForStatefulSet` asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Controlled {
    NoController,
    ByThisSet,
    ByAnother,
}

/// What one sync derived from one version of one pod, kept for the next sync of the same
/// set: a stored object never changes (a write stores a new `Arc`), so while the store still
/// holds the very `Arc` kept here the answers stand, and the next sync (a set syncs about
/// three times per pod it starts) skips reading the pod's owner references, labels and name
/// again. Holding the `Arc` also keeps its address from being reused by another version.
#[derive(Debug)]
struct PodVersionFacts {
    pod: Arc<Value>,
    controlled: Controlled,
    /// The selector matches and the pod's name is a member's (`isMemberOf`). Both depend on
    /// the set's selector and name only, which never change for one set UID.
    matches: bool,
    /// What the plan reads of a member pod (members only).
    plan: Option<control::KnownPodFacts>,
}

/// The facts of the pods one set's last sync read, in the order it read them (by name).
#[derive(Debug, Default)]
struct SetMemo {
    set_uid: String,
    pods: Vec<PodVersionFacts>,
    /// The set's `spec.selector` as the last sync read it, and that parsed: a sync parses
    /// it again only when it differs (compared by value).
    selector: Option<(Value, Selector)>,
    /// The last sync reached a fixed point (see `Settled`).
    settled: Option<Settled>,
}

/// A sync that changed nothing but the set's status, remembered with what it read (the pods
/// are `SetMemo::pods`): the next sync (the watch echo of that status write, usually) that
/// finds the very same set version, revisions and claims, and pods that are these or differ
/// only where the sync does not look, would compute the same status and nothing else — the
/// plan is a function of the set, each member's facts, the revisions, the claims and, with
/// minReadySeconds, the time. So it skips straight to the requeue decision. Nothing
/// visible differs: no write, no Event, the same `Action`.
#[derive(Debug)]
struct Settled {
    /// The set as stored after the sync (its own status write included).
    set: Arc<Value>,
    /// The ControllerRevision candidates the sync looked at.
    revisions: Vec<Arc<Value>>,
    /// The claims the sync looked at.
    claims: Vec<Arc<Value>>,
    now: crate::time::Time,
    status: control::SetStatus,
}

#[cfg(test)]
thread_local! {
    /// Tests turn the `Settled` shortcut off to compare runs with and without it.
    static FULL_SYNCS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// Syncs the shortcut answered.
    static SETTLED_SKIPS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Whether two lists hold the very same stored versions.
fn same_versions(a: &[Arc<Value>], b: &[Arc<Value>]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| Arc::ptr_eq(x, y))
}

impl SetMemo {
    /// The facts of exactly this pod version, if the last sync read it. `i` is the pod's
    /// place in this sync's list, `next` where the previous match ended: the pods usually
    /// come in the same order, so most lookups compare one pointer. When both lists are as
    /// long (`aligned`), a pod whose place holds another version is taken for a new version
    /// of the same pod without a search (a wrong guess only costs reading the pod again).
    fn find(
        &mut self,
        i: usize,
        next: &mut usize,
        pod: &Arc<Value>,
        aligned: bool,
    ) -> Option<&mut PodVersionFacts> {
        let here = |at: usize| self.pods.get(at).is_some_and(|f| Arc::ptr_eq(&f.pod, pod));
        let at = if here(i) {
            i
        } else if here(*next) {
            *next
        } else if aligned {
            return None;
        } else {
            // Out of step (a pod added, removed or rewritten): both lists are in name order.
            let name = object::name(pod);
            self.pods.partition_point(|f| object::name(&f.pod) < name)
        };
        let f = self.pods.get_mut(at).filter(|f| Arc::ptr_eq(&f.pod, pod))?;
        *next = at + 1;
        Some(f)
    }
}

#[derive(Debug, Default)]
pub struct StatefulSetController {
    /// By namespace, then name: a watch event's pod is looked up by `&str`s, no key built.
    pods: BTreeMap<String, PodMemos>,
    /// Per set: what its last sync derived from each pod version (a pure cache).
    /// (Boxed: with `SetMemo`s inline a node of this map was 3.9 KB, a large chunk for glibc,
    /// whose every allocation first consolidates the allocator's fast bins.)
    memo: BTreeMap<ObjectKey, Box<SetMemo>>,
    /// Consecutive failed syncs per key, for the per-item exponential backoff (S3.1).
    failures: BTreeMap<ObjectKey, u32>,
    gates: Gates,
}

impl StatefulSetController {
    pub fn new() -> StatefulSetController {
        StatefulSetController::default()
    }

    /// Puts a set's memo back in its place (taken out at the start of its sync).
    fn put_memo(&mut self, key: &ObjectKey, memo: SetMemo) {
        match self.memo.get_mut(key) {
            Some(slot) => **slot = memo,
            None => {
                self.memo.insert(key.clone(), Box::new(memo));
            }
        }
    }

    /// The set a controller reference points at, if it exists with that UID.
    fn resolve(api: &Api, namespace: &str, r: &OwnerRef) -> Option<ObjectKey> {
        Self::resolve_view(
            api,
            namespace,
            &object::OwnerRefView {
                api_version: &r.api_version,
                kind: &r.kind,
                name: &r.name,
                uid: &r.uid,
                block_owner_deletion: r.block_owner_deletion,
            },
        )
    }

    fn resolve_view(api: &Api, namespace: &str, r: &object::OwnerRefView) -> Option<ObjectKey> {
        if r.kind != "StatefulSet" || !r.api_version.starts_with("apps/") {
            return None;
        }
        let set = api.try_get(Kind::StatefulSet, namespace, r.name)?;
        (object::uid(set) == r.uid).then(|| ObjectKey::new(Kind::StatefulSet, namespace, r.name))
    }

    /// `getPodStatefulSets`: sets in the namespace whose selector matches the labels.
    fn sets_selecting(
        api: &Api,
        namespace: &str,
        labels: &BTreeMap<String, String>,
    ) -> Vec<ObjectKey> {
        api.list(Kind::StatefulSet, Some(namespace), &Selector::everything())
            .iter()
            .filter(|s| {
                object::get(s, &["spec", "selector"])
                    .and_then(|sel| Selector::from_label_selector(sel).ok())
                    .is_some_and(|sel| !sel.is_empty() && sel.matches(labels))
            })
            .map(|s| ObjectKey::of(Kind::StatefulSet, s))
            .collect()
    }

    fn pod_keys(&mut self, ev: &WatchEvent, api: &Api, out: &mut Vec<ObjectKey>) {
        let pod = ev.object();
        let ns = object::namespace(pod);
        let name = object::name(pod);
        // Most pod events (status writes) keep the owner and labels the memo holds: then the
        // answer is the owner alone, found without copying either.
        if ev.event_type == EventType::Modified {
            let view = object::controller_ref_view(pod);
            let unchanged = self
                .pods
                .get(ns)
                .and_then(|m| m.get(name))
                .is_some_and(|m| {
                    let same_owner = match (&m.owner, &view) {
                        (Some(o), Some(v)) => v.is(o),
                        (None, None) => true,
                        _ => false,
                    };
                    same_owner && labels_equal(&m.labels, pod)
                });
            if unchanged {
                if let Some(k) = view.and_then(|r| Self::resolve_view(api, ns, &r)) {
                    out.push(k);
                }
                return;
            }
        }
        let memo = PodMemo {
            // What `controller_ref` decodes, without decoding the entry (object.rs tests
            // that the two agree).
            owner: object::controller_ref_view(pod).map(|r| r.to_owned_ref()),
            labels: object::labels(pod),
        };
        let deleted = ev.event_type == EventType::Deleted
            || (ev.event_type == EventType::Added && object::is_terminating(pod));
        // The new memo is moved into its place (not copied) and read back from there.
        let (old, kept) = if ev.event_type == EventType::Deleted {
            let in_ns = self.pods.get_mut(ns);
            let old = in_ns.and_then(|m| m.remove(name));
            if self.pods.get(ns).is_some_and(PodMemos::is_empty) {
                self.pods.remove(ns);
            }
            (old, Some(memo))
        } else {
            let old = match self.pods.get_mut(ns) {
                Some(m) => m.insert(name, memo),
                None => {
                    let mut m = PodMemos::default();
                    m.insert(name, memo);
                    self.pods.insert(ns.to_string(), m);
                    None
                }
            };
            (old, None)
        };
        let memo: &PodMemo = match &kept {
            Some(m) => m,
            None => match self.pods.get(ns).and_then(|m| m.get(name)) {
                Some(m) => m,
                // Just inserted: always there.
                None => return,
            },
        };
        if deleted {
            // deletePod: only the owner; orphans are ignored.
            if let Some(k) = memo.owner.as_ref().and_then(|r| Self::resolve(api, ns, r)) {
                out.push(k);
            }
            return;
        }
        if let Some(old) = old.as_ref().filter(|o| o.owner != memo.owner) {
            if let Some(k) = old.owner.as_ref().and_then(|r| Self::resolve(api, ns, r)) {
                out.push(k);
            }
        }
        match &memo.owner {
            Some(r) => {
                if let Some(k) = Self::resolve(api, ns, r) {
                    out.push(k);
                }
            }
            None => {
                // An orphan: on add, or when its labels or ref changed, wake matching sets.
                if old.as_ref() != Some(memo) {
                    out.extend(Self::sets_selecting(api, ns, &memo.labels));
                }
            }
        }
    }

    /// Claims matter when they are released (a blocked `pvc ... is being deleted` clears) or
    /// when their owner refs change under a retention policy.
    fn claim_keys(ev: &WatchEvent, api: &Api, out: &mut Vec<ObjectKey>) {
        let claim = ev.object();
        let ns = object::namespace(claim);
        if let Some(k) =
            object::controller_ref_view(claim).and_then(|r| Self::resolve_view(api, ns, &r))
        {
            out.push(k);
            return;
        }
        if ev.event_type != EventType::Deleted {
            return;
        }
        for s in api.list(Kind::StatefulSet, Some(ns), &Selector::everything()) {
            let (parent, ord) = utils::parent_and_ordinal(object::name(claim));
            if ord < 0 {
                continue;
            }
            let uses = utils::claim_templates(&s)
                .iter()
                .any(|t| parent == format!("{}-{}", object::name(t), object::name(&s)));
            if uses {
                out.push(ObjectKey::of(Kind::StatefulSet, &s));
            }
        }
    }

    /// `sync` (S3.2). Returns the computed status (if the sync got that far) and any error.
    fn sync(
        &mut self,
        key: &ObjectKey,
        api: &mut Api,
    ) -> Result<Option<(Arc<Value>, control::SetStatus)>, ApiError> {
        // The store's objects are shared (`Arc`), never copied: a sync reads the set and all
        // its pods, and copies only what it writes.
        let Some(set) = api
            .try_get(Kind::StatefulSet, &key.namespace, &key.name)
            .cloned()
        else {
            self.memo.remove(key);
            return Ok(None);
        };
        // Borrowed from this sync's own `Arc` of the set (no copy per sync).
        let ns = object::namespace(&set);
        let set_uid = object::uid(&set);
        // Taken out of its place (one search), put back when the sync is done.
        let mut memo = self
            .memo
            .get_mut(key)
            .map(|m| std::mem::take(&mut **m))
            .filter(|m| m.set_uid == set_uid)
            .unwrap_or_default();
        let selector_value = object::get(&set, &["spec", "selector"]);
        let selector = match (memo.selector.take(), selector_value) {
            (Some((v, s)), Some(now)) if v == *now => s,
            (_, value) => match value.map(Selector::from_label_selector) {
                Some(Ok(s)) => s,
                // A broken selector is logged, not retried.
                _ => {
                    self.put_memo(key, memo);
                    return Ok(None);
                }
            },
        };
        let can_adopt = |api: &Api| -> Result<(), String> {
            match api.try_get(Kind::StatefulSet, &key.namespace, &key.name) {
                Some(fresh) if object::uid(fresh) == set_uid => {
                    if object::is_terminating(fresh) {
                        Err(format!(
                            "{}/{} has just been deleted at {}",
                            ns,
                            key.name,
                            object::deletion_timestamp(fresh).unwrap_or("")
                        ))
                    } else {
                        Ok(())
                    }
                }
                Some(fresh) => Err(format!(
                    "original StatefulSet {}/{} is gone: got uid {}, wanted {}",
                    ns,
                    key.name,
                    object::uid(fresh),
                    set_uid
                )),
                None => Err(format!("original StatefulSet {}/{} is gone", ns, key.name)),
            }
        };

        // The memo's copy of the UID when it had one (the same), so the next memo needs none.
        let memo_uid = if memo.set_uid.is_empty() {
            set_uid.to_string()
        } else {
            std::mem::take(&mut memo.set_uid)
        };
        let settled = memo.settled.take();
        let mrs = utils::min_ready_seconds(&set);
        // Whether this sync reads what the settled one read (so far).
        let mut same = settled
            .as_ref()
            .is_some_and(|s| Arc::ptr_eq(&s.set, &set) && (mrs == 0 || s.now == api.now));
        // Any write by the adoption and release below.
        let mut acted = false;

        // adoptOrphanRevisions
        let mut revisions: Vec<Arc<Value>> = Vec::new();
        // Candidates: revisions this set controls plus uncontrolled ones (via the store's owner
        // index, so a sync costs what the set owns, not what the namespace holds).
        let candidates = |api: &Api, kind: Kind| -> Vec<Arc<Value>> {
            // Sized by what the set controls of every kind (an upper bound): no regrowth.
            let mut v: Vec<Arc<Value>> = Vec::with_capacity(api.store.controlled_count(set_uid));
            v.extend(api.store.controlled_by_in(kind, set_uid, ns).cloned());
            let controlled = v.len();
            v.extend(
                api.store
                    .uncontrolled(kind, ns)
                    .filter(|o| object::namespace(o) == ns)
                    .cloned(),
            );
            // Each index lists its objects by name already (one namespace): only a mix of
            // the two can be out of order.
            if controlled > 0
                && controlled < v.len()
                && !v
                    .windows(2)
                    .all(|w| object::name(&w[0]) <= object::name(&w[1]))
            {
                kubeplay_shell::sorting::sort_by(&mut v, |a, b| {
                    object::name(a).cmp(object::name(b))
                });
            }
            v
        };
        let revision_candidates = candidates(api, Kind::ControllerRevision);
        same = same
            && settled
                .as_ref()
                .is_some_and(|s| same_versions(&s.revisions, &revision_candidates));
        for r in revision_candidates
            .iter()
            .filter(|r| selector.matches_object(r))
            .cloned()
        {
            match object::controller_ref_view(&r) {
                None => {
                    can_adopt(api).map_err(|e| {
                        pod_control::plain_error(format!("can't adopt ControllerRevisions: {e}"))
                    })?;
                    let mut adopted = (*r).clone();
                    let mut refs = object::owner_refs(&adopted);
                    refs.push(OwnerRef::controller_of(&set));
                    object::set_owner_refs(&mut adopted, &refs);
                    acted = true;
                    match api.update(adopted) {
                        Ok(a) => revisions.push(a),
                        Err(e) if e.is_not_found() => {}
                        Err(e) => return Err(e),
                    }
                }
                Some(c) if c.uid == set_uid => revisions.push(r),
                Some(_) => {}
            }
        }

        // getPodsForStatefulSet: ClaimPods with isMemberOf.
        let candidate_pods = candidates(api, Kind::Pod);
        let mut pods: Vec<Arc<Value>> = Vec::with_capacity(candidate_pods.len());
        let set_terminating = object::is_terminating(&set);
        // Without claim templates nothing but a member's facts is read of it (its storage
        // and claims are not looked at); with them, only the very same pods will do.
        let claimless = object::get_array(&set, &["spec", "volumeClaimTemplates"]).is_empty();
        same = same && candidate_pods.len() == memo.pods.len();
        let aligned = candidate_pods.len() == memo.pods.len();
        let mut next_memo = SetMemo {
            set_uid: memo_uid,
            pods: Vec::with_capacity(candidate_pods.len()),
            selector: None,
            settled: None,
        };
        let mut at = 0;
        // Per member pod: where its facts are in `next_memo` (`None`: an adopted pod).
        let mut pod_memo_at: Vec<Option<usize>> = Vec::with_capacity(candidate_pods.len());
        for (i, p) in candidate_pods.into_iter().enumerate() {
            let (memo_hit, controlled, matches, plan) = match memo.find(i, &mut at, &p, aligned) {
                // Moved, not copied: each pod version is read once per sync.
                Some(f) => {
                    // The very version the settled sync read in this place.
                    same = same && at == i + 1;
                    (true, f.controlled, f.matches, f.plan.take())
                }
                None => (
                    false,
                    match object::controller_ref_view(&p) {
                        None => Controlled::NoController,
                        Some(c) if c.uid == set_uid => Controlled::ByThisSet,
                        Some(_) => Controlled::ByAnother,
                    },
                    selector.matches_object(&p) && utils::is_member_of(&set, &p),
                    None,
                ),
            };
            let member = controlled == Controlled::ByThisSet && matches;
            // A version the settled sync did not read: only a member's will do, compared by
            // its facts below.
            same = same && (memo_hit || member);
            let plan = match plan {
                None if member => {
                    let previous = memo.pods.get(i).and_then(|old| old.plan.as_ref());
                    let plan = control::KnownPodFacts::of_after(&set, &p, previous);
                    // A new version of a member the settled sync read in this place, with the
                    // same facts.
                    same = same
                        && (memo_hit || claimless)
                        && memo.pods.get(i).is_some_and(|old| {
                            old.controlled == Controlled::ByThisSet
                                && old.matches
                                && old.plan.as_ref() == Some(&plan)
                                && object::name(&old.pod) == object::name(&p)
                        });
                    Some(plan)
                }
                plan => plan,
            };
            next_memo.pods.push(PodVersionFacts {
                pod: p.clone(),
                controlled,
                matches,
                plan,
            });
            match controlled {
                Controlled::ByAnother => {}
                Controlled::ByThisSet if matches => {
                    pod_memo_at.push(Some(next_memo.pods.len() - 1));
                    pods.push(p);
                }
                Controlled::ByThisSet => {
                    if set_terminating {
                        continue;
                    }
                    // Release: drop our ref.
                    let mut released = (*p).clone();
                    let refs: Vec<OwnerRef> = object::owner_refs(&released)
                        .into_iter()
                        .filter(|r| r.uid != set_uid)
                        .collect();
                    object::set_owner_refs(&mut released, &refs);
                    acted = true;
                    match api.update(released) {
                        Ok(_) => {}
                        Err(e) if e.is_not_found() => {}
                        Err(e) => return Err(e),
                    }
                }
                Controlled::NoController => {
                    if set_terminating || !matches || object::is_terminating(&p) {
                        continue;
                    }
                    can_adopt(api)
                        .map_err(|e| pod_control::plain_error(format!("can't adopt Pod: {e}")))?;
                    let mut adopted = (*p).clone();
                    let mut refs = object::owner_refs(&adopted);
                    refs.push(OwnerRef::controller_of(&set));
                    object::set_owner_refs(&mut adopted, &refs);
                    acted = true;
                    match api.update(adopted) {
                        Ok(a) => {
                            pod_memo_at.push(None);
                            pods.push(a);
                        }
                        Err(e) if e.is_not_found() => {}
                        Err(e) => return Err(e),
                    }
                }
            }
        }

        // The selector is not read again this sync.
        if let Some(v) = selector_value {
            next_memo.selector = Some((v.clone(), selector));
        }

        // Only claims named `<template>-<set>-<ordinal>` can matter (S2.1).
        let mut claim_objs: Vec<Arc<Value>> = Vec::new();
        for t in object::get_array(&set, &["spec", "volumeClaimTemplates"]) {
            let prefix = format!("{}-{}-", object::name(t), key.name);
            claim_objs.extend(
                api.store
                    .list_prefix(Kind::PersistentVolumeClaim, ns, &prefix)
                    .cloned(),
            );
        }
        same = same
            && !acted
            && settled
                .as_ref()
                .is_some_and(|s| same_versions(&s.claims, &claim_objs));
        #[cfg(test)]
        if FULL_SYNCS.with(std::cell::Cell::get) {
            same = false;
        }
        if same {
            if let Some(s) = settled {
                #[cfg(test)]
                SETTLED_SKIPS.with(|n| n.set(n.get() + 1));
                let status = s.status.clone();
                next_memo.settled = Some(s);
                self.put_memo(key, next_memo);
                return Ok(Some((set, status)));
            }
        }

        // Inserts, not `collect` (which sorts its input): page size, issue 4.
        let mut claims: BTreeMap<String, &Value> = BTreeMap::new();
        claims.extend(
            claim_objs
                .iter()
                .map(|c| (object::name(c).to_string(), &**c)),
        );
        let pod_refs: Vec<&Value> = pods.iter().map(|p| &**p).collect();
        // The plan's facts of every member from the memo (all or none: an adopted pod's are
        // not there, and then the plan reads them all itself).
        // Sized up front (collecting into an `Option<Vec>` cannot know the length and grew
        // the vector by reallocations, large ones for big sets).
        let mut facts: Option<Vec<control::PodFacts<'_>>> =
            Some(Vec::with_capacity(pod_refs.len()));
        for (p, at) in pod_refs.iter().zip(&pod_memo_at) {
            let known = at
                .and_then(|at| next_memo.pods.get(at))
                .and_then(|f| f.plan.as_ref());
            match (known, facts.as_mut()) {
                (Some(known), Some(v)) => v.push(known.facts(object::name(p))),
                _ => {
                    facts = None;
                    break;
                }
            }
        }
        let now = api.now;
        let mut objects = ApiObjects { api };
        let out = control::sync_shared(
            &mut objects,
            &set,
            &pod_refs,
            facts.as_deref(),
            revisions.iter().map(|r| &**r).collect(),
            &claims,
            now,
            self.gates,
        );
        drop(facts);
        let status = match (out.error, out.status) {
            (Some(e), _) => {
                self.put_memo(key, next_memo);
                return Err(e);
            }
            (None, None) => {
                self.put_memo(key, next_memo);
                return Ok(None);
            }
            (None, Some(status)) => status,
        };
        if out.fixed_point && !acted {
            // The set as the sync left it: the same version, or its own status write (which
            // the next sync reads back: it must say what this one computed).
            let stored = api
                .try_get(Kind::StatefulSet, &key.namespace, &key.name)
                .filter(|s| Arc::ptr_eq(s, &set) || status.is_stored_in(s))
                .cloned();
            if let Some(stored) = stored {
                next_memo.settled = Some(Settled {
                    set: stored,
                    revisions: revision_candidates,
                    claims: claim_objs.clone(),
                    now,
                    status: status.clone(),
                });
            }
        }
        self.put_memo(key, next_memo);
        Ok(Some((set, status)))
    }
}

impl Controller for StatefulSetController {
    fn name(&self) -> &'static str {
        "statefulset-controller"
    }

    fn watches(&self, kind: Kind) -> bool {
        matches!(
            kind,
            Kind::StatefulSet | Kind::Pod | Kind::ControllerRevision | Kind::PersistentVolumeClaim
        )
    }

    fn keys_for(&mut self, event: &WatchEvent, api: &Api, out: &mut Vec<ObjectKey>) {
        match event.kind {
            Kind::StatefulSet => out.push(ObjectKey::of(Kind::StatefulSet, event.object())),
            Kind::Pod => self.pod_keys(event, api, out),
            Kind::ControllerRevision => {
                let ns = object::namespace(event.object());
                if let Some(k) = object::controller_ref_view(event.object())
                    .and_then(|r| Self::resolve_view(api, ns, &r))
                {
                    out.push(k);
                }
            }
            Kind::PersistentVolumeClaim => Self::claim_keys(event, api, out),
            _ => {}
        }
    }

    fn reconcile(&mut self, key: &ObjectKey, ctx: &mut Ctx<'_>) -> Action {
        match self.sync(key, ctx.api) {
            Err(_) => {
                // Per-item exponential backoff: 5 ms doubling up to 1000 s.
                let n = self.failures.entry(key.clone()).or_insert(0);
                let delay = 5u64.saturating_mul(1u64 << (*n).min(40)).min(1_000_000);
                *n += 1;
                Action::RequeueAfter(delay)
            }
            Ok(result) => {
                self.failures.remove(key);
                match result {
                    Some((set, status)) => next_availability_check(&set, &status, ctx.api),
                    None => Action::Done,
                }
            }
        }
    }
}

/// Whether `labels` is what `object::labels(pod)` would read.
fn labels_equal(labels: &BTreeMap<String, String>, pod: &Value) -> bool {
    let empty = serde_json::Map::new();
    let m = object::get(pod, &["metadata", "labels"])
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut strings = m.iter().filter_map(|(k, v)| v.as_str().map(|s| (k, s)));
    let mut mine = labels.iter();
    loop {
        match (strings.next(), mine.next()) {
            (None, None) => return true,
            (Some((k, v)), Some((mk, mv))) if k == mk && v == mv => {}
            _ => return false,
        }
    }
}

/// The minReadySeconds requeue (S3.1). Upstream requeues after minReadySeconds whenever
/// availableReplicas != replicas (and 1 s after a pod turns Ready); here the controller wakes
/// exactly when the next Ready pod becomes available, so a set that cannot progress settles.
fn next_availability_check(set: &Value, status: &control::SetStatus, api: &Api) -> Action {
    let mrs = utils::min_ready_seconds(set);
    if mrs == 0 || status.available_replicas == utils::replicas(set) {
        return Action::Done;
    }
    let uid = object::uid(set);
    let ns = object::namespace(set);
    // The owner index, not the namespace: this runs after every sync of a set with
    // minReadySeconds.
    let next = api
        .store
        .controlled_by(Kind::Pod, uid)
        .filter(|p| object::namespace(p) == ns)
        .filter(|p| object::controller_ref_view(p).is_some_and(|r| r.uid == uid))
        .filter(|p| utils::is_running_and_ready(p) && !utils::is_available(p, mrs, api.now))
        .filter_map(|p| utils::ready_since(p))
        .map(|t| t.plus_secs(mrs as u64 + 1))
        .min();
    match next {
        Some(t) if t > api.now => Action::RequeueAfter(t.0 - api.now.0),
        Some(_) => Action::RequeueAfter(1_000),
        None => Action::Done,
    }
}

//! Helpers of the Deployment controller (upstream `pkg/controller/deployment/util`): the
//! revision and replica annotations, fence posts of maxSurge/maxUnavailable, replica counts
//! over sets of ReplicaSets, conditions, and the pod-template-hash.
//!
//! Everything here is pure: it reads objects and returns values; it never writes.

use crate::controllers::statefulset::utils::{go_json, safe_encode};
use crate::object;
use crate::time::Time;
use serde_json::{json, Value};

pub const REVISION: &str = "deployment.kubernetes.io/revision";
pub const REVISION_HISTORY: &str = "deployment.kubernetes.io/revision-history";
pub const DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
pub const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";
pub const HASH_LABEL: &str = "pod-template-hash";
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
const ROLLBACK_TO: &str = "deprecated.deployment.rollback.to";

/// Reasons of the Progressing / Available / ReplicaFailure conditions.
pub const NEW_RS_CREATED: &str = "NewReplicaSetCreated";
pub const FOUND_NEW_RS: &str = "FoundNewReplicaSet";
pub const RS_UPDATED: &str = "ReplicaSetUpdated";
pub const NEW_RS_AVAILABLE: &str = "NewReplicaSetAvailable";
pub const TIMED_OUT: &str = "ProgressDeadlineExceeded";
pub const PAUSED: &str = "DeploymentPaused";
pub const RESUMED: &str = "DeploymentResumed";
pub const MIN_AVAILABLE: &str = "MinimumReplicasAvailable";
pub const MIN_UNAVAILABLE: &str = "MinimumReplicasUnavailable";

pub fn replicas(o: &Value) -> i64 {
    object::get_i64(o, &["spec", "replicas"]).unwrap_or(1)
}

pub fn status_i64(o: &Value, field: &str) -> i64 {
    object::get_i64(o, &["status", field]).unwrap_or(0)
}

pub fn is_rolling(d: &Value) -> bool {
    object::get_str(d, &["spec", "strategy", "type"]).unwrap_or("RollingUpdate") == "RollingUpdate"
}

/// `intstr.GetScaledValueFromIntOrPercent`; a malformed value counts as 0 (validation
/// rejects those before they reach the controller).
fn scaled(v: Option<&Value>, total: i64, round_up: bool) -> i64 {
    match v {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
        Some(Value::String(s)) => match s.strip_suffix('%').and_then(|p| p.parse::<i64>().ok()) {
            Some(p) if round_up => (p * total + 99).div_euclid(100),
            Some(p) => (p * total).div_euclid(100),
            None => s.parse().unwrap_or(0),
        },
        _ => 0,
    }
}

/// `ResolveFenceposts`: (maxSurge, maxUnavailable) in pods; both 0 becomes unavailable 1.
pub fn fenceposts(d: &Value) -> (i64, i64) {
    let ru = object::get(d, &["spec", "strategy", "rollingUpdate"]);
    let desired = replicas(d);
    let surge = scaled(ru.and_then(|r| r.get("maxSurge")), desired, true);
    let unavailable = scaled(ru.and_then(|r| r.get("maxUnavailable")), desired, false);
    if surge == 0 && unavailable == 0 {
        return (0, 1);
    }
    (surge, unavailable)
}

pub fn max_surge(d: &Value) -> i64 {
    if !is_rolling(d) {
        return 0;
    }
    fenceposts(d).0
}

pub fn max_unavailable(d: &Value) -> i64 {
    if !is_rolling(d) || replicas(d) == 0 {
        return 0;
    }
    fenceposts(d).1.min(replicas(d))
}

pub fn revision(rs: &Value) -> i64 {
    object::annotation(rs, REVISION)
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

pub fn max_revision(rss: &[Value]) -> i64 {
    rss.iter().map(revision).max().unwrap_or(0)
}

/// Sum of spec.replicas.
pub fn spec_count(rss: &[&Value]) -> i64 {
    rss.iter().map(|r| replicas(r)).sum()
}

/// Sum of a status field.
pub fn status_count(rss: &[&Value], field: &str) -> i64 {
    rss.iter().map(|r| status_i64(r, field)).sum()
}

/// The template with the pod-template-hash label removed (`EqualIgnoreHash`'s view).
fn template_without_hash(o: &Value) -> Value {
    let mut t = object::get(o, &["spec", "template"])
        .cloned()
        .unwrap_or(json!({}));
    object::remove(&mut t, &["metadata", "labels", HASH_LABEL]);
    if object::get(&t, &["metadata", "labels"])
        .is_some_and(|l| l.as_object().is_some_and(|m| m.is_empty()))
    {
        object::remove(&mut t, &["metadata", "labels"]);
    }
    t
}

pub fn equal_ignore_hash(a: &Value, b: &Value) -> bool {
    template_without_hash(a) == template_without_hash(b)
}

/// FNV-1a, 32 bits.
fn fnv1a_32(bytes: &[u8], mut h: u32) -> u32 {
    for b in bytes {
        h ^= u32::from(*b);
        h = h.wrapping_mul(16_777_619);
    }
    h
}

/// `ComputeHash`: FNV-32a over the template, then (when set) the collision count as 8
/// little-endian bytes, rendered as the decimal of the sum through SafeEncodeString.
///
/// Upstream feeds the hasher a spew dump of the typed Go struct, which depends on every field
/// of the API version; here the template's canonical JSON stands in for that dump, so names
/// have upstream's shape and stability (same template ⇒ same name) but not its exact letters.
pub fn compute_hash(template: &Value, collision_count: Option<i64>) -> String {
    let mut h = fnv1a_32(go_json(template).as_bytes(), 2_166_136_261);
    if let Some(c) = collision_count {
        let mut bytes = [0u8; 8];
        bytes[..4].copy_from_slice(&(c as u32).to_le_bytes());
        h = fnv1a_32(&bytes, h);
    }
    safe_encode(&h.to_string())
}

fn skip_copy(k: &str) -> bool {
    matches!(
        k,
        LAST_APPLIED | REVISION | REVISION_HISTORY | DESIRED_REPLICAS | MAX_REPLICAS | ROLLBACK_TO
    )
}

/// `SetReplicasAnnotations`: true when it changed anything.
pub fn set_replicas_annotations(rs: &mut Value, desired: i64, max: i64) -> bool {
    let mut changed = false;
    for (k, v) in [(DESIRED_REPLICAS, desired), (MAX_REPLICAS, max)] {
        if object::annotation(rs, k) != Some(v.to_string().as_str()) {
            object::set_annotation(rs, k, &v.to_string());
            changed = true;
        }
    }
    changed
}

pub fn replicas_annotations_need_update(rs: &Value, desired: i64, max: i64) -> bool {
    object::annotation(rs, DESIRED_REPLICAS) != Some(desired.to_string().as_str())
        || object::annotation(rs, MAX_REPLICAS) != Some(max.to_string().as_str())
}

/// `SetNewReplicaSetAnnotations`: copies the deployment's annotations, raises the revision
/// (keeping the old ones in revision-history when rolling back to this set), and on creation
/// adds the replica annotations. True when it changed anything.
pub fn set_new_rs_annotations(d: &Value, rs: &mut Value, new_revision: i64, exists: bool) -> bool {
    let mut changed = false;
    for (k, v) in object::annotations(d) {
        if skip_copy(&k) || object::annotation(rs, &k) == Some(v.as_str()) {
            continue;
        }
        object::set_annotation(rs, &k, &v);
        changed = true;
    }
    let old = object::annotation(rs, REVISION).map(str::to_string);
    let old_n: i64 = match &old {
        None => 0,
        Some(s) => match s.parse() {
            Ok(n) => n,
            Err(_) => return false,
        },
    };
    if old_n < new_revision {
        object::set_annotation(rs, REVISION, &new_revision.to_string());
        changed = true;
        if let Some(old) = old {
            let history = object::annotation(rs, REVISION_HISTORY)
                .unwrap_or("")
                .to_string();
            let joined = if history.is_empty() {
                old
            } else {
                format!("{history},{old}")
            };
            object::set_annotation(rs, REVISION_HISTORY, &joined);
        }
    }
    if !exists && set_replicas_annotations(rs, replicas(d), replicas(d) + max_surge(d)) {
        changed = true;
    }
    changed
}

pub fn desired_annotation(rs: &Value) -> Option<i64> {
    object::annotation(rs, DESIRED_REPLICAS).and_then(|v| v.parse().ok())
}

pub fn max_replicas_annotation(rs: &Value) -> Option<i64> {
    object::annotation(rs, MAX_REPLICAS).and_then(|v| v.parse().ok())
}

pub fn condition<'a>(d: &'a Value, ty: &str) -> Option<&'a Value> {
    object::get_array(d, &["status", "conditions"])
        .iter()
        .find(|c| object::get_str(c, &["type"]) == Some(ty))
}

pub fn new_condition(ty: &str, status: &str, reason: &str, message: &str, now: Time) -> Value {
    json!({"type": ty, "status": status, "reason": reason, "message": message,
           "lastUpdateTime": now.rfc3339(), "lastTransitionTime": now.rfc3339()})
}

/// `SetDeploymentCondition` on a status value: same status and reason ⇒ no change; same status
/// ⇒ keep lastTransitionTime; the condition moves to the end of the list.
pub fn set_condition(status: &mut Value, mut cond: Value) {
    let ty = object::get_str(&cond, &["type"]).unwrap_or("").to_string();
    let conds = object::get_array(status, &["conditions"]).to_vec();
    let current = conds
        .iter()
        .find(|c| object::get_str(c, &["type"]) == Some(ty.as_str()));
    if let Some(cur) = current {
        if cur.get("status") == cond.get("status") && cur.get("reason") == cond.get("reason") {
            return;
        }
        if cur.get("status") == cond.get("status") {
            if let Some(t) = cur.get("lastTransitionTime") {
                cond["lastTransitionTime"] = t.clone();
            }
        }
    }
    let mut out: Vec<Value> = conds
        .into_iter()
        .filter(|c| object::get_str(c, &["type"]) != Some(ty.as_str()))
        .collect();
    out.push(cond);
    object::set(status, &["conditions"], Value::Array(out));
}

pub fn remove_condition(status: &mut Value, ty: &str) {
    let conds: Vec<Value> = object::get_array(status, &["conditions"])
        .iter()
        .filter(|c| object::get_str(c, &["type"]) != Some(ty))
        .cloned()
        .collect();
    if conds.is_empty() {
        object::remove(status, &["conditions"]);
    } else {
        object::set(status, &["conditions"], Value::Array(conds));
    }
}

pub fn has_progress_deadline(d: &Value) -> bool {
    object::get_i64(d, &["spec", "progressDeadlineSeconds"])
        .is_some_and(|s| s != i64::from(i32::MAX))
}

pub fn has_history_limit(d: &Value) -> bool {
    object::get_i64(d, &["spec", "revisionHistoryLimit"]).is_some_and(|l| l != i64::from(i32::MAX))
}

/// `DeploymentComplete` against a computed status.
pub fn complete(d: &Value, status: &Value) -> bool {
    let r = replicas(d);
    let s = |f: &str| object::get_i64(status, &[f]).unwrap_or(0);
    s("updatedReplicas") == r
        && s("replicas") == r
        && s("availableReplicas") == r
        && s("observedGeneration") >= object::generation(d)
}

/// `DeploymentProgressing`: any sign of progress between the stored and the new status.
pub fn progressing(d: &Value, new: &Value) -> bool {
    let old = |f: &str| status_i64(d, f);
    let new_ = |f: &str| object::get_i64(new, &[f]).unwrap_or(0);
    let old_old = old("replicas") - old("updatedReplicas");
    let new_old = new_("replicas") - new_("updatedReplicas");
    new_("updatedReplicas") > old("updatedReplicas")
        || new_old < old_old
        || new_("readyReplicas") > old("readyReplicas")
        || new_("availableReplicas") > old("availableReplicas")
}

/// `DeploymentTimedOut`.
pub fn timed_out(d: &Value, now: Time) -> bool {
    if !has_progress_deadline(d) {
        return false;
    }
    let Some(c) = condition(d, "Progressing") else {
        return false;
    };
    match object::get_str(c, &["reason"]) {
        Some(NEW_RS_AVAILABLE) => return false,
        Some(TIMED_OUT) => return true,
        _ => {}
    }
    let secs = object::get_i64(d, &["spec", "progressDeadlineSeconds"]).unwrap_or(600);
    object::get_str(c, &["lastUpdateTime"])
        .and_then(Time::parse_rfc3339)
        .is_some_and(|from| from.plus_secs(secs.max(0) as u64) < now)
}

pub fn created_at(o: &Value) -> Time {
    object::get_str(o, &["metadata", "creationTimestamp"])
        .and_then(Time::parse_rfc3339)
        .unwrap_or(Time(0))
}

/// `ReplicaSetsByCreationTimestamp`: oldest first, ties by name.
pub fn sort_by_creation(rss: &mut [Value]) {
    kubeplay_shell::sorting::sort_by(rss, |a, b| {
        created_at(a)
            .cmp(&created_at(b))
            .then_with(|| object::name(a).cmp(object::name(b)))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dep(surge: Value, unavailable: Value, replicas: i64) -> Value {
        json!({"spec": {"replicas": replicas, "strategy": {"type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}}}})
    }

    #[test]
    fn fenceposts_round_surge_up_and_unavailable_down() {
        assert_eq!(fenceposts(&dep(json!("25%"), json!("25%"), 3)), (1, 0));
        assert_eq!(fenceposts(&dep(json!("25%"), json!("25%"), 4)), (1, 1));
        assert_eq!(fenceposts(&dep(json!("25%"), json!("25%"), 10)), (3, 2));
        assert_eq!(fenceposts(&dep(json!(0), json!(0), 3)), (0, 1));
        assert_eq!(max_unavailable(&dep(json!(1), json!(5), 3)), 3);
        let recreate = json!({"spec": {"replicas": 3, "strategy": {"type": "Recreate"}}});
        assert_eq!((max_surge(&recreate), max_unavailable(&recreate)), (0, 0));
    }

    #[test]
    fn fnv1a_matches_reference_vectors() {
        assert_eq!(fnv1a_32(b"", 2_166_136_261), 0x811c9dc5);
        assert_eq!(fnv1a_32(b"a", 2_166_136_261), 0xe40c292c);
        assert_eq!(fnv1a_32(b"foobar", 2_166_136_261), 0xbf9cf968);
    }

    #[test]
    fn hash_is_stable_and_changes_with_template_and_collisions() {
        let t = json!({"metadata": {"labels": {"app": "nginx"}}, "spec": {"containers": [{"name": "nginx", "image": "nginx:1.14.2"}]}});
        let h = compute_hash(&t, None);
        assert_eq!(h, compute_hash(&t, None));
        assert!(h.len() <= 10 && h.chars().all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c)));
        assert_ne!(h, compute_hash(&t, Some(1)));
        let mut t2 = t.clone();
        t2["spec"]["containers"][0]["image"] = json!("nginx:1.16.1");
        assert_ne!(h, compute_hash(&t2, None));
    }

    #[test]
    fn new_rs_annotations_keep_revision_history_on_rollback() {
        let d = json!({"metadata": {"annotations": {"team": "a", REVISION: "3",
            LAST_APPLIED: "{}"}}, "spec": {"replicas": 3, "strategy": {"type": "RollingUpdate",
            "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}}});
        let mut rs = json!({"metadata": {"annotations": {REVISION: "1"}}});
        assert!(set_new_rs_annotations(&d, &mut rs, 4, true));
        assert_eq!(object::annotation(&rs, REVISION), Some("4"));
        assert_eq!(object::annotation(&rs, REVISION_HISTORY), Some("1"));
        assert_eq!(object::annotation(&rs, "team"), Some("a"));
        assert_eq!(object::annotation(&rs, LAST_APPLIED), None);
        assert!(!set_new_rs_annotations(&d, &mut rs, 4, true));
        let mut fresh = json!({"metadata": {}});
        set_new_rs_annotations(&d, &mut fresh, 1, false);
        assert_eq!(object::annotation(&fresh, DESIRED_REPLICAS), Some("3"));
        assert_eq!(object::annotation(&fresh, MAX_REPLICAS), Some("4"));
    }

    #[test]
    fn conditions_keep_transition_time_when_status_holds() {
        let mut st = json!({});
        set_condition(
            &mut st,
            new_condition("Progressing", "True", NEW_RS_CREATED, "a", Time(1000)),
        );
        set_condition(
            &mut st,
            new_condition("Available", "False", MIN_UNAVAILABLE, "b", Time(1000)),
        );
        set_condition(
            &mut st,
            new_condition("Progressing", "True", RS_UPDATED, "c", Time(5000)),
        );
        let conds = object::get_array(&st, &["conditions"]);
        assert_eq!(object::get_str(&conds[0], &["type"]), Some("Available"));
        assert_eq!(object::get_str(&conds[1], &["reason"]), Some(RS_UPDATED));
        assert_eq!(conds[1]["lastTransitionTime"], json!(Time(1000).rfc3339()));
        assert_eq!(conds[1]["lastUpdateTime"], json!(Time(5000).rfc3339()));
    }
}

//! The disruption controller ("disruption-controller"), spec S8.7: keeps every
//! PodDisruptionBudget's status — `currentHealthy`, `desiredHealthy`, `expectedPods`,
//! `disruptionsAllowed`, `disruptedPods`, `observedGeneration` and the `DisruptionAllowed`
//! condition — in step with the pods the budget selects and their controllers' scale, as
//! kube-controller-manager's `pkg/controller/disruption` does.
//!
//! The Eviction API (`eviction.rs`) trusts this status: it refuses when `disruptionsAllowed`
//! is 0 and, when it lets a pod go, decrements the count and records the pod in
//! `disruptedPods` so the next sync does not count it as healthy while its deletion is on
//! the way. This controller never deletes or evicts anything itself.
//!
//! How the expected count is found follows upstream, not intuition: an integer `minAvailable`
//! counts the pods the selector matches; `maxUnavailable` or a percentage `minAvailable`
//! uses the summed scale of the pods' controllers (a StatefulSet's `spec.replicas`, a
//! Deployment's through its ReplicaSet), so a missing member still counts as expected.
//! Timers exist only while an eviction is in flight (`disruptedPods` entries expire after
//! two minutes), so a settled cluster keeps none here.

use crate::api::Api;
use crate::controllers::{Action, Controller, Ctx, ObjectKey};
use crate::events::Source;
use crate::kinds::Kind;
use crate::object::{self, Object};
use crate::selector::Selector;
use crate::store::WatchEvent;
use crate::time::Time;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// How long an eviction's entry in `disruptedPods` keeps the pod out of `currentHealthy`
/// when the pod is not deleted (upstream's DeletionTimeout).
pub const DELETION_TIMEOUT_MS: u64 = 2 * 60 * 1000;

pub const CONDITION_DISRUPTION_ALLOWED: &str = "DisruptionAllowed";
pub const REASON_SUFFICIENT_PODS: &str = "SufficientPods";
pub const REASON_INSUFFICIENT_PODS: &str = "InsufficientPods";
pub const REASON_SYNC_FAILED: &str = "SyncFailed";

const COMPONENT: &str = "controllermanager";

fn src() -> Source<'static> {
    Source {
        component: COMPONENT,
        host: None,
    }
}

#[derive(Debug, Default)]
pub struct DisruptionController;

impl DisruptionController {
    pub fn new() -> DisruptionController {
        DisruptionController
    }
}

/// The budget's selector; `None` when it selects nothing (no selector, or an invalid one).
/// In policy/v1 an empty selector `{}` selects every pod of the namespace.
pub fn pdb_selector(pdb: &Value) -> Option<Selector> {
    match object::get(pdb, &["spec", "selector"]) {
        None | Some(Value::Null) => None,
        Some(s) => Selector::from_label_selector(s).ok(),
    }
}

/// The pods of the budget's namespace its selector matches (terminating ones included).
pub fn pods_for(api: &Api, pdb: &Value) -> Vec<Arc<Object>> {
    match pdb_selector(pdb) {
        Some(sel) => api.list(Kind::Pod, Some(object::namespace(pdb)), &sel),
        None => Vec::new(),
    }
}

pub fn pod_is_ready(pod: &Value) -> bool {
    object::get_array(pod, &["status", "conditions"])
        .iter()
        .any(|c| {
            object::get_str(c, &["type"]) == Some("Ready")
                && object::get_str(c, &["status"]) == Some("True")
        })
}

/// `intstr.GetScaledValueFromIntOrPercent(v, total, roundUp=true)`.
fn scaled(v: &Value, total: i64) -> Result<i64, String> {
    match v {
        Value::String(s) => {
            let Some(pct) = s.strip_suffix('%').and_then(|p| p.parse::<i64>().ok()) else {
                return Err(format!(
                    "invalid value for IntOrString: invalid value {s:?}"
                ));
            };
            Ok((pct.saturating_mul(total) + 99).div_euclid(100))
        }
        other => Ok(object::as_int(other).unwrap_or(0)),
    }
}

/// The scale of the controller of `pod` and that controller's uid, as upstream's finders
/// (ReplicationController, Deployment via its ReplicaSet, bare ReplicaSet, StatefulSet).
fn controller_scale(api: &Api, pod: &Value) -> Result<Option<(String, i64)>, String> {
    let Some(r) = object::controller_ref(pod) else {
        return Ok(None);
    };
    let ns = object::namespace(pod);
    let replicas = |o: &Value| object::get_i64(o, &["spec", "replicas"]).unwrap_or(1);
    let found = match r.kind.as_str() {
        "StatefulSet" => api
            .try_get(Kind::StatefulSet, ns, &r.name)
            .filter(|s| object::uid(s) == r.uid)
            .map(|s| (r.uid.clone(), replicas(s))),
        "ReplicaSet" => api
            .try_get(Kind::ReplicaSet, ns, &r.name)
            .filter(|rs| object::uid(rs) == r.uid)
            .and_then(|rs| match object::controller_ref(rs) {
                Some(d) if d.kind == "Deployment" => api
                    .try_get(Kind::Deployment, ns, &d.name)
                    .filter(|dep| object::uid(dep) == d.uid)
                    .map(|dep| (d.uid.clone(), replicas(dep))),
                _ => Some((r.uid.clone(), replicas(rs))),
            }),
        _ => None,
    };
    match found {
        Some(f) => Ok(Some(f)),
        None => Err(format!(
            "found no controllers for pod {:?}",
            object::name(pod)
        )),
    }
}

/// (expectedCount, desiredHealthy, unmanaged pod names) as upstream's getExpectedPodCount.
fn expected_pod_count(
    api: &Api,
    pdb: &Value,
    pods: &[Arc<Object>],
) -> Result<(i64, i64, Vec<String>), String> {
    let by_scale = |pods: &[Arc<Object>]| -> Result<(i64, Vec<String>), String> {
        let mut scales: BTreeMap<String, i64> = BTreeMap::new();
        let mut unmanaged = Vec::new();
        for p in pods {
            match controller_scale(api, p)? {
                Some((uid, n)) => {
                    scales.insert(uid, n);
                }
                None => unmanaged.push(object::name(p).to_string()),
            }
        }
        Ok((scales.values().sum(), unmanaged))
    };
    let max = object::get(pdb, &["spec", "maxUnavailable"]).filter(|v| !v.is_null());
    let min = object::get(pdb, &["spec", "minAvailable"]).filter(|v| !v.is_null());
    if let Some(max) = max {
        let (expected, unmanaged) = by_scale(pods)?;
        let desired = (expected - scaled(max, expected)?).max(0);
        Ok((expected, desired, unmanaged))
    } else if let Some(min) = min {
        if min.is_string() {
            let (expected, unmanaged) = by_scale(pods)?;
            Ok((expected, scaled(min, expected)?, unmanaged))
        } else {
            Ok((pods.len() as i64, scaled(min, 0)?, Vec::new()))
        }
    } else {
        Ok((0, 0, Vec::new()))
    }
}

/// A `*metav1.LabelSelector` as Go's `%v` prints it (the UnmanagedPods event shows it).
fn go_label_selector(sel: Option<&Value>) -> String {
    let Some(sel) = sel.filter(|s| s.is_object()) else {
        return "nil".into();
    };
    let labels: String = object::string_map(sel, &["matchLabels"])
        .iter()
        .map(|(k, v)| format!("{k}: {v},"))
        .collect();
    let exprs: String = object::get_array(sel, &["matchExpressions"])
        .iter()
        .map(|e| {
            let vals: Vec<&str> = object::get_array(e, &["values"])
                .iter()
                .filter_map(Value::as_str)
                .collect();
            format!(
                "LabelSelectorRequirement{{Key:{},Operator:{},Values:[{}],}},",
                object::get_str(e, &["key"]).unwrap_or(""),
                object::get_str(e, &["operator"]).unwrap_or(""),
                vals.join(" ")
            )
        })
        .collect();
    format!("&LabelSelector{{MatchLabels:map[string]string{{{labels}}},MatchExpressions:[]LabelSelectorRequirement{{{exprs}}},}}")
}

/// `apimeta.SetStatusCondition`: the transition time moves only when the status changes.
fn set_condition(
    status: &mut Value,
    cond_status: &str,
    reason: &str,
    message: &str,
    gen: i64,
    now: Time,
) {
    let mut conds: Vec<Value> = object::get_array(status, &["conditions"]).to_vec();
    match conds
        .iter_mut()
        .find(|c| object::get_str(c, &["type"]) == Some(CONDITION_DISRUPTION_ALLOWED))
    {
        Some(c) => {
            if object::get_str(c, &["status"]) != Some(cond_status) {
                object::set(c, &["status"], json!(cond_status));
                object::set(c, &["lastTransitionTime"], json!(now.rfc3339()));
            }
            object::set(c, &["reason"], json!(reason));
            object::set(c, &["message"], json!(message));
            object::set(c, &["observedGeneration"], json!(gen));
        }
        None => conds.push(json!({
            "type": CONDITION_DISRUPTION_ALLOWED, "status": cond_status, "reason": reason,
            "message": message, "observedGeneration": gen,
            "lastTransitionTime": now.rfc3339(),
        })),
    }
    object::set(status, &["conditions"], Value::Array(conds));
}

/// `pdbhelper.UpdateDisruptionAllowedCondition`: True/SufficientPods while disruptions are
/// allowed, False/InsufficientPods otherwise. The eviction handler calls it too.
pub fn update_disruption_allowed_condition(status: &mut Value, now: Time) {
    let allowed = object::get_i64(status, &["disruptionsAllowed"]).unwrap_or(0);
    let gen = object::get_i64(status, &["observedGeneration"]).unwrap_or(0);
    if allowed > 0 {
        set_condition(status, "True", REASON_SUFFICIENT_PODS, "", gen, now);
    } else {
        set_condition(status, "False", REASON_INSUFFICIENT_PODS, "", gen, now);
    }
}

fn conditions_up_to_date(status: &Value) -> bool {
    let gen = object::get_i64(status, &["observedGeneration"]).unwrap_or(0);
    let allowed = object::get_i64(status, &["disruptionsAllowed"]).unwrap_or(0);
    object::get_array(status, &["conditions"]).iter().any(|c| {
        object::get_str(c, &["type"]) == Some(CONDITION_DISRUPTION_ALLOWED)
            && object::get_i64(c, &["observedGeneration"]).unwrap_or(0) == gen
            && object::get_str(c, &["status"]) == Some(if allowed > 0 { "True" } else { "False" })
            && object::get_str(c, &["reason"])
                == Some(if allowed > 0 {
                    REASON_SUFFICIENT_PODS
                } else {
                    REASON_INSUFFICIENT_PODS
                })
    })
}

impl DisruptionController {
    /// upstream's failSafe: when the status cannot be computed, allow no disruption.
    fn fail_safe(&self, api: &mut Api, pdb: &Value, err: &str) {
        let mut p = pdb.clone();
        let mut status = object::get(&p, &["status"]).cloned().unwrap_or(json!({}));
        object::set(&mut status, &["disruptionsAllowed"], json!(0));
        let gen = object::get_i64(&status, &["observedGeneration"]).unwrap_or(0);
        set_condition(&mut status, "False", REASON_SYNC_FAILED, err, gen, api.now);
        if object::get(pdb, &["status"]) != Some(&status) {
            object::set(&mut p, &["status"], status);
            let _ = api.update_status(p);
        }
    }

    fn sync(&mut self, api: &mut Api, pdb: &Arc<Object>) -> Action {
        let now = api.now;
        let pods = pods_for(api, pdb);
        if pods.is_empty() {
            api.record_event(
                pdb,
                None,
                "Normal",
                "NoPods",
                "No matching pods found",
                src(),
            );
        }
        let (expected, desired, unmanaged) = match expected_pod_count(api, pdb, &pods) {
            Ok(v) => v,
            Err(e) => {
                api.record_event(
                    pdb,
                    None,
                    "Warning",
                    "CalculateExpectedPodCountFailed",
                    &format!("Failed to calculate the number of expected pods: {e}"),
                    src(),
                );
                self.fail_safe(api, pdb, &e);
                return Action::Done;
            }
        };
        if !unmanaged.is_empty() {
            let sel = go_label_selector(object::get(pdb, &["spec", "selector"]));
            api.record_event(
                pdb,
                None,
                "Warning",
                "UnmanagedPods",
                &format!(
                    "Pods selected by this PodDisruptionBudget (selector: {sel}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set \".spec.minAvailable\" field of the PDB to an integer value."
                ),
                src(),
            );
        }

        // disruptedPods: keep entries for pods that still exist, are not yet terminating and
        // whose expected deletion has not passed; wake up when the earliest one expires.
        let old: Map<String, Value> = object::get(pdb, &["status", "disruptedPods"])
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let mut disrupted = Map::new();
        let mut recheck: Option<Time> = None;
        for p in &pods {
            if object::is_terminating(p) {
                continue;
            }
            let Some(ts) = old.get(object::name(p)) else {
                continue;
            };
            let Some(t) = ts.as_str().and_then(Time::parse_rfc3339) else {
                continue;
            };
            let expires = t.plus_ms(DELETION_TIMEOUT_MS);
            if expires < now {
                api.record_event(
                    p,
                    None,
                    "Warning",
                    "NotDeleted",
                    // Upstream prints the namespace twice here.
                    &format!(
                        "Pod was expected by PDB {}/{} to be deleted but it wasn't",
                        object::namespace(pdb),
                        object::namespace(pdb)
                    ),
                    src(),
                );
            } else {
                recheck = Some(recheck.map_or(expires, |r: Time| r.min(expires)));
                disrupted.insert(object::name(p).to_string(), ts.clone());
            }
        }
        let current = pods
            .iter()
            .filter(|p| !object::is_terminating(p))
            .filter(|p| !disrupted.contains_key(object::name(p)))
            .filter(|p| pod_is_ready(p))
            .count() as i64;
        let mut allowed = current - desired;
        if expected <= 0 || allowed <= 0 {
            allowed = 0;
        }

        let gen = object::generation(pdb);
        let mut status = object::get(pdb, &["status"]).cloned().unwrap_or(json!({}));
        if !status.is_object() {
            status = json!({});
        }
        object::set(&mut status, &["currentHealthy"], json!(current));
        object::set(&mut status, &["desiredHealthy"], json!(desired));
        object::set(&mut status, &["expectedPods"], json!(expected));
        object::set(&mut status, &["disruptionsAllowed"], json!(allowed));
        object::set(&mut status, &["observedGeneration"], json!(gen));
        if disrupted.is_empty() {
            object::remove(&mut status, &["disruptedPods"]);
        } else {
            object::set(&mut status, &["disruptedPods"], Value::Object(disrupted));
        }
        if !conditions_up_to_date(&status) {
            update_disruption_allowed_condition(&mut status, now);
        }
        if object::get(pdb, &["status"]) != Some(&status) {
            let mut p = (**pdb).clone();
            object::set(&mut p, &["status"], status);
            // A conflict means someone (the eviction handler) wrote first; the write's
            // watch event queues this budget again.
            let _ = api.update_status(p);
        }
        match recheck {
            Some(t) => Action::RequeueAfter(t.0.saturating_sub(now.0).max(1)),
            None => Action::Done,
        }
    }
}

impl Controller for DisruptionController {
    fn name(&self) -> &'static str {
        "disruption-controller"
    }

    fn watches(&self, kind: Kind) -> bool {
        matches!(
            kind,
            Kind::PodDisruptionBudget
                | Kind::Pod
                | Kind::StatefulSet
                | Kind::ReplicaSet
                | Kind::Deployment
        )
    }

    fn keys_for(&mut self, event: &WatchEvent, api: &Api, out: &mut Vec<ObjectKey>) {
        let obj = event.object();
        if event.kind == Kind::PodDisruptionBudget {
            out.push(ObjectKey::of(Kind::PodDisruptionBudget, obj));
            return;
        }
        let ns = object::namespace(obj);
        for pdb in api.list(Kind::PodDisruptionBudget, Some(ns), &Selector::everything()) {
            // A pod concerns the budgets that select it; a controller's scale may concern any
            // budget of its namespace.
            let concerned = event.kind != Kind::Pod
                || pdb_selector(&pdb).is_some_and(|s| s.matches_object(obj));
            if concerned {
                out.push(ObjectKey::of(Kind::PodDisruptionBudget, &pdb));
            }
        }
    }

    fn reconcile(&mut self, key: &ObjectKey, ctx: &mut Ctx<'_>) -> Action {
        let Some(pdb) = ctx
            .api
            .try_get(Kind::PodDisruptionBudget, &key.namespace, &key.name)
            .cloned()
        else {
            return Action::Done;
        };
        self.sync(ctx.api, &pdb)
    }
}

#[cfg(test)]
mod tests {
    //! The disruption controller and the Eviction API together, on a real `Cluster` running a
    //! StatefulSet (spec S8.7).
    use crate::kinds::Kind;
    use crate::object;
    use crate::{Cluster, Config};
    use serde_json::{json, Value};

    fn sts(replicas: i64) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
               "metadata": {"name": "web", "namespace": "default"},
               "spec": {"serviceName": "nginx", "replicas": replicas,
                        "selector": {"matchLabels": {"app": "nginx"}},
                        "template": {"metadata": {"labels": {"app": "nginx"}},
                                     "spec": {"containers": [{"name": "nginx", "image": "registry.k8s.io/nginx-slim:0.21"}]}}}})
    }

    fn pdb(spec: Value) -> Value {
        let mut spec = spec;
        object::set(
            &mut spec,
            &["selector"],
            json!({"matchLabels": {"app": "nginx"}}),
        );
        json!({"apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
               "metadata": {"name": "web-pdb", "namespace": "default"}, "spec": spec})
    }

    fn status(c: &Cluster) -> Value {
        let p = c
            .api
            .try_get(Kind::PodDisruptionBudget, "default", "web-pdb")
            .map(|p| (**p).clone())
            .unwrap_or_default();
        object::get(&p, &["status"]).cloned().unwrap_or_default()
    }

    fn running(replicas: i64, budget: Value) -> Cluster {
        let mut c = Cluster::new(Config::default());
        c.api.create(sts(replicas)).unwrap();
        c.api.create(pdb(budget)).unwrap();
        assert!(c.settle(600_000));
        c
    }

    #[test]
    fn status_counts_healthy_pods_against_the_budget() {
        let c = running(3, json!({"minAvailable": 2}));
        let s = status(&c);
        assert_eq!(s["currentHealthy"], 3);
        assert_eq!(s["desiredHealthy"], 2);
        assert_eq!(s["expectedPods"], 3);
        assert_eq!(s["disruptionsAllowed"], 1);
        assert_eq!(s["observedGeneration"], 1);
        assert_eq!(s["conditions"][0]["type"], "DisruptionAllowed");
        assert_eq!(s["conditions"][0]["reason"], "SufficientPods");
        assert_eq!(s["conditions"][0]["status"], "True");
        assert!(c.is_idle(), "a settled budget keeps no timers");
    }

    #[test]
    fn max_unavailable_expects_the_sets_scale_not_the_pods_found() {
        let mut c = running(3, json!({"maxUnavailable": 1}));
        // A pod that is missing (deleted, not yet re-created) still counts as expected.
        let mut set = (*c.api.get(Kind::StatefulSet, "default", "web").unwrap()).clone();
        object::set(&mut set, &["spec", "replicas"], json!(5));
        c.api.update(set).unwrap();
        c.run_now();
        let s = status(&c);
        assert_eq!(s["expectedPods"], 5);
        assert_eq!(s["desiredHealthy"], 4);
        assert_eq!(s["disruptionsAllowed"], 0);
        assert_eq!(s["conditions"][0]["reason"], "InsufficientPods");
        assert_eq!(s["conditions"][0]["status"], "False");
    }

    #[test]
    fn eviction_spends_the_allowance_and_the_next_one_is_refused() {
        let mut c = running(3, json!({"minAvailable": 2}));
        c.api.evict("default", "web-2", None).unwrap();
        // The handler decremented the status and recorded the pod before deleting it, so
        // even before the controller has seen the deletion the next eviction is refused.
        let s = status(&c);
        assert_eq!(s["disruptionsAllowed"], 0);
        assert!(s["disruptedPods"].get("web-2").is_some());
        assert_eq!(c.api.evict("default", "web-1", None).unwrap_err().code, 429);
        c.run_now();
        let e = c.api.evict("default", "web-1", None).unwrap_err();
        assert_eq!(e.code, 429);
        assert_eq!(
            e.message,
            "Cannot evict pod as it would violate the pod's disruption budget."
        );
        assert_eq!(
            e.causes[0].message,
            "The disruption budget web-pdb needs 2 healthy pods and has 2 currently"
        );
        let web1 = c.api.get(Kind::Pod, "default", "web-1").unwrap();
        assert!(
            !object::is_terminating(&web1),
            "a refused eviction deletes nothing"
        );
        // Once web-2 is back and Ready, one disruption is allowed again.
        assert!(c.settle(600_000));
        assert_eq!(status(&c)["disruptionsAllowed"], 1);
        assert!(status(&c).get("disruptedPods").is_none());
        c.api.evict("default", "web-1", None).unwrap();
    }

    #[test]
    fn two_budgets_on_one_pod_are_refused() {
        let mut c = running(2, json!({"minAvailable": 1}));
        let mut other = pdb(json!({"minAvailable": 1}));
        object::set(&mut other, &["metadata", "name"], json!("second"));
        c.api.create(other).unwrap();
        c.run_now();
        let e = c.api.evict("default", "web-0", None).unwrap_err();
        assert_eq!(e.code, 500);
        assert_eq!(
            e.message,
            "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
        );
    }

    #[test]
    fn a_budget_selecting_nothing_says_so() {
        let mut c = Cluster::new(Config::default());
        c.api.create(pdb(json!({"minAvailable": 1}))).unwrap();
        c.run_now();
        let s = status(&c);
        assert_eq!(s["expectedPods"], 0);
        assert_eq!(s["disruptionsAllowed"], 0);
        let evs = c.api.list(
            Kind::Event,
            Some("default"),
            &crate::selector::Selector::everything(),
        );
        assert!(evs
            .iter()
            .any(|e| object::get_str(e, &["reason"]) == Some("NoPods")
                && object::get_str(e, &["message"]) == Some("No matching pods found")));
    }
}

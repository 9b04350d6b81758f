//! The pods/eviction subresource (spec S8.7): a graceful delete that first asks the
//! PodDisruptionBudget selecting the pod whether one more disruption is allowed.
//!
//! As the API server's eviction handler, it trusts the budget's *status*, which the
//! disruption controller (`controllers/disruption.rs`) keeps: `disruptionsAllowed == 0`
//! answers 429, a status not yet caught up with the budget's generation answers 429 too, and
//! an allowed eviction decrements `disruptionsAllowed` and records the pod in
//! `disruptedPods` before deleting it, so two evictions in a row cannot both spend the last
//! allowed disruption. `kubectl drain`, `sim evict` and the HTTP API server all evict
//! through here. It never decides health itself beyond what upstream's handler does.

use crate::api::{Api, DeleteOptions};
use crate::controllers::disruption::{self, pod_is_ready};
use crate::error::{ApiError, ApiResult, StatusCause};
use crate::kinds::Kind;
use crate::object;
use crate::selector::Selector;
use serde_json::{json, Map, Value};

pub const MSG_VIOLATES_BUDGET: &str =
    "Cannot evict pod as it would violate the pod's disruption budget.";

fn budget_cause(message: String) -> Vec<StatusCause> {
    vec![StatusCause {
        reason: "DisruptionBudget".into(),
        message,
        field: String::new(),
    }]
}

/// Pods whose eviction needs no budget: terminal, still Pending, or already terminating.
fn can_ignore_budget(pod: &Value) -> bool {
    matches!(
        object::get_str(pod, &["status", "phase"]).unwrap_or(""),
        "Pending" | "Succeeded" | "Failed" | ""
    ) || object::is_terminating(pod)
}

impl Api {
    /// Evicts a pod: refused with 429 when its budget allows no disruption, otherwise the
    /// pod gets a `DisruptionTarget` condition and is deleted with its grace period.
    pub fn evict(&mut self, namespace: &str, name: &str, grace: Option<i64>) -> ApiResult<()> {
        let pod = self.get(Kind::Pod, namespace, name)?;
        if !can_ignore_budget(&pod) {
            self.check_and_decrement_budget(namespace, &pod)?;
        }
        if !object::is_terminating(&pod) {
            let mut p = (*pod).clone();
            let mut conditions: Vec<Value> = object::get_array(&p, &["status", "conditions"])
                .iter()
                .filter(|c| c.get("type").and_then(Value::as_str) != Some("DisruptionTarget"))
                .cloned()
                .collect();
            conditions.push(json!({
                "type": "DisruptionTarget", "status": "True",
                "reason": "EvictionByEvictionAPI",
                "message": "Eviction API: evicting",
                "lastProbeTime": null,
                "lastTransitionTime": self.now.rfc3339(),
            }));
            object::set(&mut p, &["status", "conditions"], Value::Array(conditions));
            self.update_status(p)?;
        }
        let opts = DeleteOptions {
            grace_period_seconds: grace,
            ..Default::default()
        };
        self.delete(Kind::Pod, namespace, name, &opts)?;
        Ok(())
    }

    fn check_and_decrement_budget(&mut self, namespace: &str, pod: &Value) -> ApiResult<()> {
        let mut pdbs: Vec<_> = self
            .list(
                Kind::PodDisruptionBudget,
                Some(namespace),
                &Selector::everything(),
            )
            .into_iter()
            .filter(|pdb| {
                // A budget with no (or an empty) selector protects nothing here.
                disruption::pdb_selector(pdb)
                    .is_some_and(|s| !s.is_empty() && s.matches_object(pod))
            })
            .collect();
        if pdbs.len() > 1 {
            return Err(ApiError::internal(
                "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.",
            ));
        }
        let Some(pdb) = pdbs.pop() else {
            return Ok(());
        };
        let pdb_name = object::name(&pdb).to_string();
        let status = |f: &str| object::get_i64(&pdb, &["status", f]).unwrap_or(0);
        let (current, desired, allowed) = (
            status("currentHealthy"),
            status("desiredHealthy"),
            status("disruptionsAllowed"),
        );
        // An unready pod does not count as healthy: evicting it spends nothing, when the
        // policy allows it (AlwaysAllow, or IfHealthyBudget with the budget met).
        if !pod_is_ready(pod) {
            let always = object::get_str(&pdb, &["spec", "unhealthyPodEvictionPolicy"])
                == Some("AlwaysAllow");
            if always || (current >= desired && desired > 0) {
                return Ok(());
            }
        }
        if status("observedGeneration") < object::generation(&pdb) {
            return Err(ApiError::too_many_requests(
                MSG_VIOLATES_BUDGET,
                budget_cause(format!(
                    "The disruption budget {pdb_name} is still being processed by the server."
                )),
            ));
        }
        if allowed < 0 {
            return Err(ApiError::forbidden(format!(
                "poddisruptionbudgets.policy {pdb_name:?} is forbidden: pdb disruptions allowed is negative"
            )));
        }
        if allowed == 0 {
            return Err(ApiError::too_many_requests(
                MSG_VIOLATES_BUDGET,
                budget_cause(format!(
                    "The disruption budget {pdb_name} needs {desired} healthy pods and has {current} currently"
                )),
            ));
        }
        let mut p = (*pdb).clone();
        let mut st = object::get(&p, &["status"]).cloned().unwrap_or(json!({}));
        object::set(&mut st, &["disruptionsAllowed"], json!(allowed - 1));
        if allowed - 1 == 0 {
            disruption::update_disruption_allowed_condition(&mut st, self.now);
        }
        let mut disrupted: Map<String, Value> = object::get(&st, &["disruptedPods"])
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        disrupted.insert(object::name(pod).to_string(), json!(self.now.rfc3339()));
        object::set(&mut st, &["disruptedPods"], Value::Object(disrupted));
        object::set(&mut p, &["status"], st);
        self.update_status(p)?;
        Ok(())
    }
}

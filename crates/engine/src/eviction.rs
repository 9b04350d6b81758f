//! The pods/eviction subresource (spec S8.7): a graceful delete that first asks every
//! PodDisruptionBudget selecting the pod whether one more disruption is allowed.
//!
//! `kubectl drain`, `sim evict` and (later) the HTTP API server all evict through here.
//! Known simplification: the budget's expected pod count is the number of pods its selector
//! matches, not the owning controller's scale; the disruption controller that keeps PDB status
//! comes with the pod-runtime issue.

use crate::api::{Api, DeleteOptions};
use crate::error::{ApiError, ApiResult, StatusCause};
use crate::kinds::Kind;
use crate::object;
use crate::selector::Selector;
use serde_json::{json, Value};

fn is_ready(pod: &Value) -> bool {
    object::get_array(pod, &["status", "conditions"])
        .iter()
        .any(|c| {
            c.get("type").and_then(Value::as_str) == Some("Ready")
                && c.get("status").and_then(Value::as_str) == Some("True")
        })
}

/// `minAvailable`/`maxUnavailable` as a pod count: an int, or a percentage rounded up.
fn scaled(v: &Value, expected: i64) -> i64 {
    match v {
        Value::String(s) if s.ends_with('%') => {
            let pct: i64 = s.trim_end_matches('%').parse().unwrap_or(0);
            (pct.saturating_mul(expected) + 99) / 100
        }
        other => object::as_int(other).unwrap_or(0),
    }
}

impl Api {
    /// Evicts a pod: refused with 429 when a budget would be violated, otherwise the pod gets
    /// a `DisruptionTarget` condition and is deleted with its grace period.
    pub fn evict(&mut self, namespace: &str, name: &str, grace: Option<i64>) -> ApiResult<()> {
        let pod = self.get(Kind::Pod, namespace, name)?;
        let phase = object::get_str(&pod, &["status", "phase"]).unwrap_or("");
        // Pods that are not running, or already terminating, are evicted without a budget check.
        let exempt = matches!(phase, "Pending" | "Succeeded" | "Failed" | "")
            || object::is_terminating(&pod);
        if !exempt {
            self.check_disruption_budgets(namespace, &pod)?;
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

    fn check_disruption_budgets(&self, namespace: &str, pod: &Value) -> ApiResult<()> {
        let everything = Selector::everything();
        let pods = self.list(Kind::Pod, Some(namespace), &everything);
        for pdb in self.list(Kind::PodDisruptionBudget, Some(namespace), &everything) {
            let Some(sel) = object::get(&pdb, &["spec", "selector"])
                .and_then(|s| Selector::from_label_selector(s).ok())
            else {
                continue;
            };
            if sel.is_empty() || !sel.matches_object(pod) {
                continue;
            }
            let matching: Vec<_> = pods.iter().filter(|p| sel.matches_object(p)).collect();
            let expected = matching.len() as i64;
            let healthy = matching
                .iter()
                .filter(|p| is_ready(p) && !object::is_terminating(p))
                .count() as i64;
            let desired = if let Some(min) = object::get(&pdb, &["spec", "minAvailable"]) {
                scaled(min, expected)
            } else if let Some(max) = object::get(&pdb, &["spec", "maxUnavailable"]) {
                expected - scaled(max, expected)
            } else {
                0
            };
            if healthy - desired <= 0 {
                return Err(ApiError::too_many_requests(
                    "Cannot evict pod as it would violate the pod's disruption budget.",
                    vec![StatusCause {
                        reason: "DisruptionBudget".into(),
                        message: format!(
                            "The disruption budget {} needs {desired} healthy pods and has {healthy} currently",
                            object::name(&pdb)
                        ),
                        field: String::new(),
                    }],
                ));
            }
        }
        Ok(())
    }
}

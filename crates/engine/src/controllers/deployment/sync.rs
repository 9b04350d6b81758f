//! The Deployment controller's decisions and their writes (upstream `sync.go`, `rolling.go`,
//! `recreate.go`, `progress.go`), over the `DeploymentObjects` trait so tests can record every
//! action with a fake.
//!
//! `Sync` carries the deployment as last written (each status write returns the stored object,
//! so later writes in the same sync never conflict) and the claimed ReplicaSets, refreshed as
//! they are updated. It must never touch a ReplicaSet the deployment does not own.

use super::util::*;
use crate::error::{ApiError, ApiResult};
use crate::object::{self, OwnerRef};
use crate::time::Time;
use serde_json::{json, Value};

/// The writes the controller makes.
pub trait DeploymentObjects {
    fn get_rs(&self, namespace: &str, name: &str) -> Option<Value>;
    fn create_rs(&mut self, rs: Value) -> ApiResult<Value>;
    fn update_rs(&mut self, rs: Value) -> ApiResult<Value>;
    fn delete_rs(&mut self, namespace: &str, name: &str) -> ApiResult<()>;
    /// UpdateStatus of the deployment (status and annotations); returns the stored object.
    fn update_status(&mut self, d: Value) -> ApiResult<Value>;
    fn record(&mut self, d: &Value, event_type: &str, reason: &str, message: &str);
}

pub struct Sync<'m> {
    pub objects: &'m mut dyn DeploymentObjects,
    pub now: Time,
    /// The deployment as last read or written.
    pub d: Value,
    /// The ReplicaSets this deployment owns, as last read or written.
    pub rss: Vec<Value>,
    /// Whether a pod of the rollout is stuck in a state only a change can end (image pull
    /// back-off, crash loop, unschedulable): only then is the progress deadline worth a timer.
    pub stuck: bool,
    /// Set when the deployment should be looked at again after this many ms.
    pub requeue_after: Option<u64>,
}

fn uid_eq(a: &Value, b: &Value) -> bool {
    object::uid(a) == object::uid(b)
}

impl Sync<'_> {
    fn event(&mut self, event_type: &str, reason: &str, message: &str) {
        let d = self.d.clone();
        self.objects.record(&d, event_type, reason, message);
    }

    fn write_status(&mut self, d: Value) -> ApiResult<()> {
        self.d = self.objects.update_status(d)?;
        Ok(())
    }

    fn store_rs(&mut self, rs: &Value) {
        match self.rss.iter_mut().find(|r| uid_eq(r, rs)) {
            Some(slot) => *slot = rs.clone(),
            None => self.rss.push(rs.clone()),
        }
    }

    /// `syncDeployment` after claiming: the whole decision for one deployment.
    pub fn sync_deployment(&mut self, pods: &[Value]) -> ApiResult<()> {
        if object::is_terminating(&self.d) {
            let (new, olds) = self.all_rss_and_sync_revision(false)?;
            return self.sync_deployment_status(&olds, new.as_ref());
        }
        self.check_paused_conditions()?;
        if object::get_bool(&self.d, &["spec", "paused"]) == Some(true) {
            return self.sync();
        }
        if self.is_scaling_event()? {
            return self.sync();
        }
        if is_rolling(&self.d) {
            self.rollout_rolling()
        } else {
            self.rollout_recreate(pods)
        }
    }

    /// `checkPausedConditions`.
    fn check_paused_conditions(&mut self) -> ApiResult<()> {
        if !has_progress_deadline(&self.d) {
            return Ok(());
        }
        let reason = condition(&self.d, "Progressing")
            .and_then(|c| object::get_str(c, &["reason"]))
            .map(str::to_string);
        if reason.as_deref() == Some(TIMED_OUT) {
            return Ok(());
        }
        let paused_cond = reason.as_deref() == Some(PAUSED);
        let paused = object::get_bool(&self.d, &["spec", "paused"]) == Some(true);
        let cond = if paused && !paused_cond {
            new_condition(
                "Progressing",
                "Unknown",
                PAUSED,
                "Deployment is paused",
                self.now,
            )
        } else if !paused && paused_cond {
            new_condition(
                "Progressing",
                "Unknown",
                RESUMED,
                "Deployment is resumed",
                self.now,
            )
        } else {
            return Ok(());
        };
        let mut d = self.d.clone();
        let mut status = d.get("status").cloned().unwrap_or(json!({}));
        set_condition(&mut status, cond);
        d["status"] = status;
        self.write_status(d)
    }

    /// `getAllReplicaSetsAndSyncRevision` + `getNewReplicaSet`.
    pub fn all_rss_and_sync_revision(
        &mut self,
        create: bool,
    ) -> ApiResult<(Option<Value>, Vec<Value>)> {
        let mut sorted = self.rss.clone();
        sort_by_creation(&mut sorted);
        let new_idx = sorted.iter().position(|r| equal_ignore_hash(r, &self.d));
        let existing = new_idx.map(|i| sorted.remove(i));
        let olds = sorted;
        let new_revision = max_revision(&olds) + 1;
        if let Some(existing) = existing {
            let mut copy = existing.clone();
            let annotations = set_new_rs_annotations(&self.d, &mut copy, new_revision, true);
            let mrs = object::get_i64(&self.d, &["spec", "minReadySeconds"]).unwrap_or(0);
            let mrs_needs =
                object::get_i64(&copy, &["spec", "minReadySeconds"]).unwrap_or(0) != mrs;
            if annotations || mrs_needs {
                if mrs == 0 {
                    object::remove(&mut copy, &["spec", "minReadySeconds"]);
                } else {
                    object::set(&mut copy, &["spec", "minReadySeconds"], json!(mrs));
                }
                let updated = self.objects.update_rs(copy)?;
                self.store_rs(&updated);
                return Ok((Some(updated), olds));
            }
            let rev = object::annotation(&copy, REVISION)
                .unwrap_or("")
                .to_string();
            let mut d = self.d.clone();
            let mut needs = set_deployment_revision(&mut d, &rev);
            if has_progress_deadline(&d) && condition(&d, "Progressing").is_none() {
                let msg = format!("Found new replica set {:?}", object::name(&copy));
                let mut status = d.get("status").cloned().unwrap_or(json!({}));
                set_condition(
                    &mut status,
                    new_condition("Progressing", "True", FOUND_NEW_RS, &msg, self.now),
                );
                d["status"] = status;
                needs = true;
            }
            if needs {
                self.write_status(d)?;
            }
            return Ok((Some(copy), olds));
        }
        if !create {
            return Ok((None, olds));
        }
        let collision = object::get_i64(&self.d, &["status", "collisionCount"]);
        let mut template = object::get(&self.d, &["spec", "template"])
            .cloned()
            .unwrap_or(json!({}));
        let hash = compute_hash(&template, collision);
        object::set(
            &mut template,
            &["metadata", "labels", HASH_LABEL],
            json!(hash),
        );
        let mut selector = object::get(&self.d, &["spec", "selector"])
            .cloned()
            .unwrap_or(json!({}));
        object::set(&mut selector, &["matchLabels", HASH_LABEL], json!(hash));
        let name = format!("{}-{}", object::name(&self.d), hash);
        let mut spec = json!({"replicas": 0, "selector": selector, "template": template.clone()});
        let mrs = object::get_i64(&self.d, &["spec", "minReadySeconds"]).unwrap_or(0);
        if mrs != 0 {
            spec["minReadySeconds"] = json!(mrs);
        }
        let mut rs = json!({
            "apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": name, "namespace": object::namespace(&self.d),
                         "labels": template["metadata"]["labels"].clone(),
                         "ownerReferences": [OwnerRef::controller_of(&self.d).to_value()]},
            "spec": spec,
        });
        let all: Vec<&Value> = olds.iter().chain(std::iter::once(&rs)).collect();
        let new_count = new_rs_new_replicas(&self.d, &all, &rs);
        rs["spec"]["replicas"] = json!(new_count);
        set_new_rs_annotations(&self.d, &mut rs, new_revision, false);
        let created = match self.objects.create_rs(rs) {
            Ok(c) => {
                if new_count > 0 {
                    let msg = format!(
                        "Scaled up replica set {} from 0 to {new_count}",
                        object::name(&c)
                    );
                    self.event("Normal", "ScalingReplicaSet", &msg);
                }
                c
            }
            Err(e) if e.is_already_exists() => {
                let existing = self.objects.get_rs(object::namespace(&self.d), &name);
                let ours = existing.as_ref().filter(|rs| {
                    object::controller_ref(rs).is_some_and(|r| r.uid == object::uid(&self.d))
                        && equal_ignore_hash(rs, &self.d)
                });
                match ours {
                    Some(rs) => rs.clone(),
                    None => {
                        // A hash collision: bump collisionCount so the next name differs.
                        let mut d = self.d.clone();
                        object::set(
                            &mut d,
                            &["status", "collisionCount"],
                            json!(collision.unwrap_or(0) + 1),
                        );
                        self.write_status(d)?;
                        return Err(e);
                    }
                }
            }
            Err(e) => {
                let msg = format!("Failed to create new replica set {name:?}: {e}");
                if has_progress_deadline(&self.d) {
                    let mut d = self.d.clone();
                    let mut status = d.get("status").cloned().unwrap_or(json!({}));
                    set_condition(
                        &mut status,
                        new_condition(
                            "Progressing",
                            "False",
                            "ReplicaSetCreateError",
                            &msg,
                            self.now,
                        ),
                    );
                    d["status"] = status;
                    self.write_status(d)?;
                }
                self.event("Warning", "ReplicaSetCreateError", &msg);
                return Err(e);
            }
        };
        self.store_rs(&created);
        let mut d = self.d.clone();
        let mut needs = set_deployment_revision(&mut d, &new_revision.to_string());
        if has_progress_deadline(&d) {
            let msg = format!("Created new replica set {:?}", object::name(&created));
            let mut status = d.get("status").cloned().unwrap_or(json!({}));
            set_condition(
                &mut status,
                new_condition("Progressing", "True", NEW_RS_CREATED, &msg, self.now),
            );
            d["status"] = status;
            needs = true;
        }
        if needs {
            self.write_status(d)?;
        }
        Ok((Some(created), olds))
    }

    /// `scaleReplicaSetAndRecordEvent`.
    fn scale_rs_and_record(&mut self, rs: &Value, new_scale: i64) -> ApiResult<(bool, Value)> {
        if replicas(rs) == new_scale {
            return Ok((false, rs.clone()));
        }
        let op = if replicas(rs) < new_scale {
            "up"
        } else {
            "down"
        };
        self.scale_rs(rs, new_scale, op)
    }

    /// `scaleReplicaSet`: the size and the replica annotations in one update.
    fn scale_rs(&mut self, rs: &Value, new_scale: i64, op: &str) -> ApiResult<(bool, Value)> {
        let desired = replicas(&self.d);
        let max = desired + max_surge(&self.d);
        let size_needs = replicas(rs) != new_scale;
        if !size_needs && !replicas_annotations_need_update(rs, desired, max) {
            return Ok((false, rs.clone()));
        }
        let old = replicas(rs);
        let mut copy = rs.clone();
        object::set(&mut copy, &["spec", "replicas"], json!(new_scale));
        set_replicas_annotations(&mut copy, desired, max);
        let updated = self.objects.update_rs(copy)?;
        self.store_rs(&updated);
        if size_needs {
            let msg = format!(
                "Scaled {op} replica set {} from {old} to {new_scale}",
                object::name(&updated)
            );
            self.event("Normal", "ScalingReplicaSet", &msg);
        }
        Ok((size_needs, updated))
    }

    /// `isScalingEvent`: an active set's desired-replicas annotation disagrees with the spec.
    fn is_scaling_event(&mut self) -> ApiResult<bool> {
        let (new, olds) = self.all_rss_and_sync_revision(false)?;
        let desired = replicas(&self.d);
        Ok(olds
            .iter()
            .chain(new.iter())
            .filter(|r| replicas(r) > 0)
            .filter_map(desired_annotation)
            .any(|a| a != desired))
    }

    /// `sync`: scaling (proportionally during a rollout) and, when paused, cleanup.
    fn sync(&mut self) -> ApiResult<()> {
        let (new, olds) = self.all_rss_and_sync_revision(false)?;
        self.scale(new.as_ref(), &olds)?;
        if object::get_bool(&self.d, &["spec", "paused"]) == Some(true) {
            self.cleanup(&olds)?;
        }
        self.sync_deployment_status(&olds, new.as_ref())
    }

    /// `scale`.
    fn scale(&mut self, new: Option<&Value>, olds: &[Value]) -> ApiResult<()> {
        let desired = replicas(&self.d);
        // FindActiveOrLatest
        let mut olds_newest_first: Vec<Value> = olds.to_vec();
        sort_by_creation(&mut olds_newest_first);
        olds_newest_first.reverse();
        let active: Vec<&Value> = olds_newest_first
            .iter()
            .chain(new)
            .filter(|r| replicas(r) > 0)
            .collect();
        let active_or_latest = match active.len() {
            0 => new.or(olds_newest_first.first()).cloned(),
            1 => active.first().map(|r| (*r).clone()),
            _ => None,
        };
        if let Some(rs) = active_or_latest {
            if replicas(&rs) != desired {
                self.scale_rs_and_record(&rs, desired)?;
            }
            return Ok(());
        }
        // IsSaturated: the new set is full and available; old sets go to zero.
        if let Some(n) = new {
            if replicas(n) == desired
                && desired_annotation(n) == Some(desired)
                && status_i64(n, "availableReplicas") == desired
            {
                for old in olds.iter().filter(|r| replicas(r) > 0) {
                    self.scale_rs_and_record(old, 0)?;
                }
                return Ok(());
            }
        }
        if !is_rolling(&self.d) {
            return Ok(());
        }
        let mut all: Vec<Value> = olds
            .iter()
            .chain(new)
            .filter(|r| replicas(r) > 0)
            .cloned()
            .collect();
        let refs: Vec<&Value> = all.iter().collect();
        let current = spec_count(&refs);
        let allowed = if desired > 0 {
            desired + max_surge(&self.d)
        } else {
            0
        };
        let to_add = allowed - current;
        let op = match to_add {
            n if n > 0 => {
                // ReplicaSetsBySizeNewer: larger first, then newer first.
                kubeplay_shell::sorting::sort_by(&mut all, |a, b| {
                    replicas(b)
                        .cmp(&replicas(a))
                        .then_with(|| created_at(b).cmp(&created_at(a)))
                        .then_with(|| object::name(b).cmp(object::name(a)))
                });
                "up"
            }
            n if n < 0 => {
                // ReplicaSetsBySizeOlder: larger first, then older first.
                kubeplay_shell::sorting::sort_by(&mut all, |a, b| {
                    replicas(b)
                        .cmp(&replicas(a))
                        .then_with(|| created_at(a).cmp(&created_at(b)))
                        .then_with(|| object::name(a).cmp(object::name(b)))
                });
                "down"
            }
            _ => "",
        };
        let mut added = 0;
        let mut sizes: Vec<i64> = Vec::with_capacity(all.len());
        for rs in &all {
            if to_add != 0 {
                let p = self.proportion(rs, to_add, added);
                sizes.push(replicas(rs) + p);
                added += p;
            } else {
                sizes.push(replicas(rs));
            }
        }
        for (i, rs) in all.iter().enumerate() {
            let mut size = sizes.get(i).copied().unwrap_or(0);
            if i == 0 && to_add != 0 {
                size = (size + to_add - added).max(0);
            }
            self.scale_rs(rs, size, op)?;
        }
        Ok(())
    }

    /// `GetReplicaSetProportion`.
    fn proportion(&self, rs: &Value, to_add: i64, added: i64) -> i64 {
        if replicas(rs) == 0 || to_add == 0 || to_add == added {
            return 0;
        }
        let desired = replicas(&self.d);
        let fraction = if desired == 0 {
            -replicas(rs)
        } else {
            let max = desired + max_surge(&self.d);
            let before = match max_replicas_annotation(rs) {
                Some(m) if m != 0 => m,
                _ => status_i64(&self.d, "replicas"),
            };
            if before == 0 {
                0
            } else {
                let size = (replicas(rs) * max) as f64 / before as f64;
                size.round() as i64 - replicas(rs)
            }
        };
        let allowed = to_add - added;
        if to_add > 0 {
            fraction.min(allowed)
        } else {
            fraction.max(allowed)
        }
    }

    /// `rolloutRolling`.
    fn rollout_rolling(&mut self) -> ApiResult<()> {
        let (new, olds) = self.all_rss_and_sync_revision(true)?;
        let Some(new) = new else {
            return Err(ApiError::internal("new replica set was not created"));
        };
        let all: Vec<Value> = olds
            .iter()
            .cloned()
            .chain(std::iter::once(new.clone()))
            .collect();
        if self.reconcile_new_rs(&all, &new)? {
            return self.sync_rollout_status(&olds, Some(&new));
        }
        let active_olds: Vec<Value> = olds.iter().filter(|r| replicas(r) > 0).cloned().collect();
        if self.reconcile_old_rss(&all, active_olds, &new)? {
            return self.sync_rollout_status(&olds, Some(&new));
        }
        let status = self.d.get("status").cloned().unwrap_or(json!({}));
        if complete(&self.d, &status) {
            self.cleanup(&olds)?;
        }
        self.sync_rollout_status(&olds, Some(&new))
    }

    /// `reconcileNewReplicaSet`.
    fn reconcile_new_rs(&mut self, all: &[Value], new: &Value) -> ApiResult<bool> {
        let desired = replicas(&self.d);
        if replicas(new) == desired {
            return Ok(false);
        }
        if replicas(new) > desired {
            return Ok(self.scale_rs_and_record(new, desired)?.0);
        }
        let refs: Vec<&Value> = all.iter().collect();
        let count = new_rs_new_replicas(&self.d, &refs, new);
        Ok(self.scale_rs_and_record(new, count)?.0)
    }

    /// `reconcileOldReplicaSets`.
    fn reconcile_old_rss(
        &mut self,
        all: &[Value],
        mut olds: Vec<Value>,
        new: &Value,
    ) -> ApiResult<bool> {
        let old_refs: Vec<&Value> = olds.iter().collect();
        if spec_count(&old_refs) == 0 {
            return Ok(false);
        }
        let all_refs: Vec<&Value> = all.iter().collect();
        let all_pods = spec_count(&all_refs);
        let min_available = replicas(&self.d) - max_unavailable(&self.d);
        let new_unavailable = replicas(new) - status_i64(new, "availableReplicas");
        let max_scaled_down = all_pods - min_available - new_unavailable;
        if max_scaled_down <= 0 {
            return Ok(false);
        }
        // cleanupUnhealthyReplicas: oldest first, scale away pods that are not available.
        sort_by_creation(&mut olds);
        let mut cleaned = 0;
        for rs in olds.iter_mut() {
            if cleaned >= max_scaled_down {
                break;
            }
            let (r, avail) = (replicas(rs), status_i64(rs, "availableReplicas"));
            if r == 0 || r == avail {
                continue;
            }
            let down = (max_scaled_down - cleaned).min(r - avail);
            let (_, updated) = self.scale_rs_and_record(rs, r - down)?;
            *rs = updated;
            cleaned += down;
        }
        // scaleDownOldReplicaSetsForRollingUpdate
        let all_now: Vec<&Value> = olds.iter().chain(std::iter::once(new)).collect();
        let available = status_count(&all_now, "availableReplicas");
        let mut scaled = 0;
        if available > min_available {
            let total = available - min_available;
            for rs in olds.clone() {
                if scaled >= total {
                    break;
                }
                if replicas(&rs) == 0 {
                    continue;
                }
                let down = replicas(&rs).min(total - scaled);
                self.scale_rs_and_record(&rs, replicas(&rs) - down)?;
                scaled += down;
            }
        }
        Ok(cleaned + scaled > 0)
    }

    /// `rolloutRecreate`: old sets to zero, wait for their pods to be gone, then the new one.
    fn rollout_recreate(&mut self, pods: &[Value]) -> ApiResult<()> {
        let (new, olds) = self.all_rss_and_sync_revision(false)?;
        let mut scaled_down = false;
        for rs in olds.iter().filter(|r| replicas(r) > 0) {
            if self.scale_rs_and_record(rs, 0)?.0 {
                scaled_down = true;
            }
        }
        if scaled_down {
            return self.sync_rollout_status(&olds, new.as_ref());
        }
        let old_refs: Vec<&Value> = olds.iter().collect();
        let new_uid = new.as_ref().map(|n| object::uid(n).to_string());
        let old_pods_running = status_count(&old_refs, "replicas") > 0
            || pods.iter().any(|p| {
                let owner = object::controller_ref(p).map(|r| r.uid);
                owner != new_uid
                    && !matches!(
                        object::get_str(p, &["status", "phase"]),
                        Some("Succeeded" | "Failed")
                    )
            });
        if old_pods_running {
            return self.sync_rollout_status(&olds, new.as_ref());
        }
        let (new, olds) = match new {
            Some(n) => (n, olds),
            None => {
                let (n, o) = self.all_rss_and_sync_revision(true)?;
                match n {
                    Some(n) => (n, o),
                    None => return Err(ApiError::internal("new replica set was not created")),
                }
            }
        };
        self.scale_rs_and_record(&new, replicas(&self.d))?;
        let status = self.d.get("status").cloned().unwrap_or(json!({}));
        if complete(&self.d, &status) {
            self.cleanup(&olds)?;
        }
        self.sync_rollout_status(&olds, Some(&new))
    }

    /// `cleanupDeployment`: delete the oldest empty sets beyond revisionHistoryLimit.
    fn cleanup(&mut self, olds: &[Value]) -> ApiResult<()> {
        if !has_history_limit(&self.d) {
            return Ok(());
        }
        let limit = object::get_i64(&self.d, &["spec", "revisionHistoryLimit"]).unwrap_or(10);
        let mut cleanable: Vec<Value> = olds
            .iter()
            .filter(|r| !object::is_terminating(r))
            .cloned()
            .collect();
        let diff = cleanable.len() as i64 - limit;
        if diff <= 0 {
            return Ok(());
        }
        kubeplay_shell::sorting::sort_by(&mut cleanable, |a, b| {
            revision(a)
                .cmp(&revision(b))
                .then_with(|| created_at(a).cmp(&created_at(b)))
                .then_with(|| object::name(a).cmp(object::name(b)))
        });
        for rs in cleanable.iter().take(diff as usize) {
            if status_i64(rs, "replicas") != 0
                || replicas(rs) != 0
                || object::generation(rs) > status_i64(rs, "observedGeneration")
            {
                continue;
            }
            match self
                .objects
                .delete_rs(object::namespace(rs), object::name(rs))
            {
                Ok(()) => {}
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
            }
            let uid = object::uid(rs).to_string();
            self.rss.retain(|r| object::uid(r) != uid);
        }
        Ok(())
    }

    /// `calculateStatus`.
    fn calculate_status(&self, olds: &[Value], new: Option<&Value>) -> Value {
        let all: Vec<&Value> = olds.iter().chain(new).collect();
        let available = status_count(&all, "availableReplicas");
        let total = spec_count(&all);
        let unavailable = (total - available).max(0);
        let mut status = json!({});
        let fields = [
            ("observedGeneration", object::generation(&self.d)),
            ("replicas", status_count(&all, "replicas")),
            (
                "updatedReplicas",
                new.map(|n| status_i64(n, "replicas")).unwrap_or(0),
            ),
            ("readyReplicas", status_count(&all, "readyReplicas")),
            ("availableReplicas", available),
            ("unavailableReplicas", unavailable),
        ];
        for (k, v) in fields {
            if v != 0 {
                status[k] = json!(v);
            }
        }
        if all
            .iter()
            .any(|r| object::get(r, &["status", "terminatingReplicas"]).is_some())
        {
            status["terminatingReplicas"] = json!(status_count(&all, "terminatingReplicas"));
        }
        if let Some(c) = object::get(&self.d, &["status", "collisionCount"]) {
            status["collisionCount"] = c.clone();
        }
        let conds = object::get_array(&self.d, &["status", "conditions"]).to_vec();
        if !conds.is_empty() {
            status["conditions"] = Value::Array(conds);
        }
        let cond = if available >= replicas(&self.d) - max_unavailable(&self.d) {
            new_condition(
                "Available",
                "True",
                MIN_AVAILABLE,
                "Deployment has minimum availability.",
                self.now,
            )
        } else {
            new_condition(
                "Available",
                "False",
                MIN_UNAVAILABLE,
                "Deployment does not have minimum availability.",
                self.now,
            )
        };
        set_condition(&mut status, cond);
        status
    }

    /// `syncDeploymentStatus`.
    fn sync_deployment_status(&mut self, olds: &[Value], new: Option<&Value>) -> ApiResult<()> {
        let status = self.calculate_status(olds, new);
        if self.d.get("status") == Some(&status) {
            return Ok(());
        }
        let mut d = self.d.clone();
        d["status"] = status;
        self.write_status(d)
    }

    /// `syncRolloutStatus`: status plus the Progressing condition.
    fn sync_rollout_status(&mut self, olds: &[Value], new: Option<&Value>) -> ApiResult<()> {
        let mut status = self.calculate_status(olds, new);
        let d = &self.d;
        if !has_progress_deadline(d) {
            remove_condition(&mut status, "Progressing");
        }
        let current = condition(d, "Progressing").cloned();
        let current_reason = current
            .as_ref()
            .and_then(|c| object::get_str(c, &["reason"]))
            .map(str::to_string);
        let is_complete = object::get_i64(&status, &["replicas"])
            == object::get_i64(&status, &["updatedReplicas"])
            && current_reason.as_deref() == Some(NEW_RS_AVAILABLE);
        if has_progress_deadline(d) && !is_complete {
            let rs_name = new.map(|n| object::name(n).to_string());
            if complete(d, &status) {
                let msg = match &rs_name {
                    Some(n) => format!("ReplicaSet {n:?} has successfully progressed."),
                    None => format!(
                        "Deployment {:?} has successfully progressed.",
                        object::name(d)
                    ),
                };
                set_condition(
                    &mut status,
                    new_condition("Progressing", "True", NEW_RS_AVAILABLE, &msg, self.now),
                );
            } else if progressing(d, &status) {
                let msg = match &rs_name {
                    Some(n) => format!("ReplicaSet {n:?} is progressing."),
                    None => format!("Deployment {:?} is progressing.", object::name(d)),
                };
                let mut cond = new_condition("Progressing", "True", RS_UPDATED, &msg, self.now);
                if let Some(cur) = &current {
                    if object::get_str(cur, &["status"]) == Some("True") {
                        if let Some(t) = cur.get("lastTransitionTime") {
                            cond["lastTransitionTime"] = t.clone();
                        }
                    }
                    remove_condition(&mut status, "Progressing");
                }
                set_condition(&mut status, cond);
            } else if timed_out(d, self.now) {
                let msg = match &rs_name {
                    Some(n) => format!("ReplicaSet {n:?} has timed out progressing."),
                    None => format!(
                        "Deployment {:?} has timed out progressing.",
                        object::name(d)
                    ),
                };
                set_condition(
                    &mut status,
                    new_condition("Progressing", "False", TIMED_OUT, &msg, self.now),
                );
            }
        }
        // getReplicaFailures: the new set's ReplicaFailure condition, else an old set's.
        let failure = new
            .into_iter()
            .chain(olds.iter())
            .flat_map(|r| object::get_array(r, &["status", "conditions"]).iter())
            .find(|c| object::get_str(c, &["type"]) == Some("ReplicaFailure"))
            .cloned();
        match failure {
            Some(f) => {
                let cond = new_condition(
                    "ReplicaFailure",
                    object::get_str(&f, &["status"]).unwrap_or("True"),
                    object::get_str(&f, &["reason"]).unwrap_or(""),
                    object::get_str(&f, &["message"]).unwrap_or(""),
                    self.now,
                );
                set_condition(&mut status, cond);
            }
            None => remove_condition(&mut status, "ReplicaFailure"),
        }
        if self.d.get("status") == Some(&status) {
            self.requeue_stuck(&status);
            return Ok(());
        }
        let mut d = self.d.clone();
        d["status"] = status;
        self.write_status(d)
    }

    /// `requeueStuckDeployment`: look again when the progress deadline passes — only when
    /// something is stuck, so a rollout that finishes leaves no timer behind.
    fn requeue_stuck(&mut self, status: &Value) {
        if !self.stuck || !has_progress_deadline(&self.d) || complete(&self.d, status) {
            return;
        }
        let Some(cond) = condition(&self.d, "Progressing") else {
            return;
        };
        if object::get_str(cond, &["reason"]) == Some(TIMED_OUT) {
            return;
        }
        let secs = object::get_i64(&self.d, &["spec", "progressDeadlineSeconds"]).unwrap_or(600);
        let Some(from) = object::get_str(cond, &["lastUpdateTime"]).and_then(Time::parse_rfc3339)
        else {
            return;
        };
        let due = from.plus_secs(secs.max(0) as u64);
        self.requeue_after = Some(if due.0 > self.now.0 + 1000 {
            due.0 - self.now.0 + 1000
        } else {
            1000
        });
    }
}

/// `SetDeploymentRevision`.
fn set_deployment_revision(d: &mut Value, rev: &str) -> bool {
    if object::annotation(d, REVISION) == Some(rev) {
        return false;
    }
    object::set_annotation(d, REVISION, rev);
    true
}

/// `NewRSNewReplicas`.
pub fn new_rs_new_replicas(d: &Value, all: &[&Value], new: &Value) -> i64 {
    if !is_rolling(d) {
        return replicas(d);
    }
    let current = spec_count(all);
    let max_total = replicas(d) + max_surge(d);
    if current >= max_total {
        return replicas(new);
    }
    let up = (max_total - current).min(replicas(d) - replicas(new));
    replicas(new) + up
}

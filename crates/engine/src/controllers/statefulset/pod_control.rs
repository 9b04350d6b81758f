//! Side effects of the StatefulSet controller (upstream `stateful_pod_control.go` and the
//! history/status writers): an `ObjectManager` trait for the raw reads and writes, an `Api`
//! implementation of it, and `StatefulPodControl`, which does what upstream's pod control does
//! on top of it — claims before pods, retention-policy owner refs, retries, and the events of
//! S5.1 with their exact messages.
//!
//! Nothing here decides *what* to do; that is `control::plan_update`. Tests swap the
//! `ObjectManager` for an in-memory fake that records every action.

use super::utils;
use crate::api::{Api, DeleteOptions};
use crate::error::{ApiError, ApiResult};
use crate::events::Source;
use crate::kinds::Kind;
use crate::object;
use serde_json::Value;

/// The raw object operations the controller needs (upstream `StatefulPodControlObjectManager`,
/// `history.Interface` and `StatefulSetStatusUpdaterInterface` folded together).
pub trait ObjectManager {
    fn get_pod(&self, namespace: &str, name: &str) -> ApiResult<Value>;
    /// Creates the pod (the created object is not needed: nothing reads it back).
    fn create_pod(&mut self, pod: Value) -> ApiResult<()>;
    fn update_pod(&mut self, pod: Value) -> ApiResult<()>;
    fn delete_pod(&mut self, namespace: &str, name: &str) -> ApiResult<()>;
    fn get_claim(&self, namespace: &str, name: &str) -> ApiResult<Value>;
    fn create_claim(&mut self, claim: Value) -> ApiResult<Value>;
    fn update_claim(&mut self, claim: Value) -> ApiResult<Value>;
    fn get_revision(&self, namespace: &str, name: &str) -> ApiResult<Value>;
    fn create_revision(&mut self, rev: Value) -> ApiResult<Value>;
    fn update_revision(&mut self, rev: Value) -> ApiResult<Value>;
    fn delete_revision(&mut self, namespace: &str, name: &str) -> ApiResult<()>;
    /// Writes `status` to the set (UpdateStatus, retried once on conflict with a fresh read).
    fn update_set_status(&mut self, set: &Value, status: Value) -> ApiResult<()>;
    /// Records an event about the set from `statefulset-controller`.
    fn record(&mut self, set: &Value, event_type: &str, reason: &str, message: &str);
}

/// The real object manager: every call goes through the simulated API server.
pub struct ApiObjects<'a> {
    pub api: &'a mut Api,
}

impl ObjectManager for ApiObjects<'_> {
    fn get_pod(&self, namespace: &str, name: &str) -> ApiResult<Value> {
        self.api
            .get(Kind::Pod, namespace, name)
            .map(|o| (*o).clone())
    }
    fn create_pod(&mut self, pod: Value) -> ApiResult<()> {
        self.api.create(pod).map(|_| ())
    }
    fn update_pod(&mut self, pod: Value) -> ApiResult<()> {
        self.api.update(pod).map(|_| ())
    }
    fn delete_pod(&mut self, namespace: &str, name: &str) -> ApiResult<()> {
        self.api
            .delete(Kind::Pod, namespace, name, &DeleteOptions::default())
            .map(|_| ())
    }
    fn get_claim(&self, namespace: &str, name: &str) -> ApiResult<Value> {
        self.api
            .get(Kind::PersistentVolumeClaim, namespace, name)
            .map(|o| (*o).clone())
    }
    fn create_claim(&mut self, claim: Value) -> ApiResult<Value> {
        self.api.create(claim).map(|o| (*o).clone())
    }
    fn update_claim(&mut self, claim: Value) -> ApiResult<Value> {
        self.api.update(claim).map(|o| (*o).clone())
    }
    fn get_revision(&self, namespace: &str, name: &str) -> ApiResult<Value> {
        self.api
            .get(Kind::ControllerRevision, namespace, name)
            .map(|o| (*o).clone())
    }
    fn create_revision(&mut self, rev: Value) -> ApiResult<Value> {
        self.api.create(rev).map(|o| (*o).clone())
    }
    fn update_revision(&mut self, rev: Value) -> ApiResult<Value> {
        self.api.update(rev).map(|o| (*o).clone())
    }
    fn delete_revision(&mut self, namespace: &str, name: &str) -> ApiResult<()> {
        self.api
            .delete(
                Kind::ControllerRevision,
                namespace,
                name,
                &DeleteOptions::default(),
            )
            .map(|_| ())
    }
    fn update_set_status(&mut self, set: &Value, status: Value) -> ApiResult<()> {
        match self.api.write_status(set, status.clone()) {
            Err(e) if e.is_conflict() => {
                let fresh =
                    self.api
                        .get(Kind::StatefulSet, object::namespace(set), object::name(set))?;
                let mut s = (*fresh).clone();
                s["status"] = status;
                self.api.update_status(s).map(|_| ())
            }
            other => other.map(|_| ()),
        }
    }
    fn record(&mut self, set: &Value, event_type: &str, reason: &str, message: &str) {
        self.api.record_event(
            set,
            None,
            event_type,
            reason,
            message,
            Source {
                component: "statefulset-controller",
                host: None,
            },
        );
    }
}

/// An error of the controller's own making (`errors.New`/`fmt.Errorf` upstream).
pub fn plain_error(msg: String) -> ApiError {
    ApiError::internal(msg)
}

/// `utilerrors.NewAggregate`: one error prints as itself, several as `[a, b]`.
fn aggregate(errs: Vec<String>) -> Option<ApiError> {
    match errs.len() {
        0 => None,
        1 => errs.into_iter().next().map(plain_error),
        _ => Some(plain_error(format!("[{}]", errs.join(", ")))),
    }
}

/// `StatefulPodControl`: the upstream operations on one set's pods and claims.
pub struct StatefulPodControl<'m, M: ObjectManager + ?Sized> {
    pub objects: &'m mut M,
}

fn title(verb: &str) -> String {
    let mut c = verb.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// `Successful<Verb>` / `Failed<Verb>` (S5.1): the controller's three verbs without
/// formatting (one per pod it creates), any other verb titled.
fn reason(succeeded: bool, verb: &str) -> std::borrow::Cow<'static, str> {
    use std::borrow::Cow;
    match (succeeded, verb) {
        (true, "create") => Cow::Borrowed("SuccessfulCreate"),
        (true, "update") => Cow::Borrowed("SuccessfulUpdate"),
        (true, "delete") => Cow::Borrowed("SuccessfulDelete"),
        (false, "create") => Cow::Borrowed("FailedCreate"),
        (false, "update") => Cow::Borrowed("FailedUpdate"),
        (false, "delete") => Cow::Borrowed("FailedDelete"),
        (true, _) => Cow::Owned(format!("Successful{}", title(verb))),
        (false, _) => Cow::Owned(format!("Failed{}", title(verb))),
    }
}

impl<M: ObjectManager + ?Sized> StatefulPodControl<'_, M> {
    /// `recordPodEvent` (S5.1).
    pub fn record_pod_event(
        &mut self,
        verb: &str,
        set: &Value,
        pod: &Value,
        err: Option<&ApiError>,
    ) {
        self.record_pod_event_named(verb, set, object::name(pod), err);
    }

    /// `record_pod_event` with the pod's name (all it reads of the pod).
    fn record_pod_event_named(
        &mut self,
        verb: &str,
        set: &Value,
        pod_name: &str,
        err: Option<&ApiError>,
    ) {
        let set_name = object::name(set);
        match err {
            None => self.objects.record(
                set,
                "Normal",
                &reason(true, verb),
                // Joined without `format!` (one per pod the controller creates).
                &[
                    verb,
                    " Pod ",
                    pod_name,
                    " in StatefulSet ",
                    set_name,
                    " successful",
                ]
                .concat(),
            ),
            Some(e) => self.objects.record(
                set,
                "Warning",
                &reason(false, verb),
                &format!("{verb} Pod {pod_name} in StatefulSet {set_name} failed error: {e}"),
            ),
        }
    }

    /// `recordClaimEvent` (S5.1; the failure form says "for Pod", the success form does not).
    fn record_claim_event(
        &mut self,
        verb: &str,
        set: &Value,
        pod: &Value,
        claim: &Value,
        err: Option<&ApiError>,
    ) {
        let (c, p, s) = (object::name(claim), object::name(pod), object::name(set));
        match err {
            None => self.objects.record(
                set,
                "Normal",
                &reason(true, verb),
                &format!("{verb} Claim {c} Pod {p} in StatefulSet {s} success"),
            ),
            Some(e) => self.objects.record(
                set,
                "Warning",
                &reason(false, verb),
                &format!("{verb} Claim {c} for Pod {p} in StatefulSet {s} failed error: {e}"),
            ),
        }
    }

    /// `createPersistentVolumeClaims` (S4.1): create missing claims, reuse live ones, refuse
    /// claims that are being deleted.
    pub fn create_claims(&mut self, set: &Value, pod: &Value) -> ApiResult<()> {
        let mut errs = Vec::new();
        for claim in utils::claims_for_pod(set, pod) {
            let (ns, name) = (object::namespace(&claim), object::name(&claim));
            match self.objects.get_claim(ns, name) {
                Err(e) if e.is_not_found() => {
                    let res = self.objects.create_claim(claim.clone());
                    match &res {
                        Err(e) => {
                            errs.push(format!(
                                "failed to create PVC {}: {e}",
                                object::name(&claim)
                            ));
                            if !e.is_already_exists() {
                                self.record_claim_event("create", set, pod, &claim, Some(e));
                            }
                        }
                        Ok(_) => self.record_claim_event("create", set, pod, &claim, None),
                    }
                }
                Err(e) => {
                    errs.push(format!("failed to retrieve PVC {name}: {e}"));
                    self.record_claim_event("create", set, pod, &claim, Some(&e));
                }
                Ok(existing) => {
                    if object::is_terminating(&existing) {
                        errs.push(format!("pvc {name} is being deleted"));
                    }
                }
            }
        }
        aggregate(errs).map_or(Ok(()), Err)
    }

    /// `CreateStatefulPod`: claims, then the pod, then retention owner refs; AlreadyExists is
    /// returned without an event.
    pub fn create_stateful_pod(&mut self, set: &Value, pod: &Value) -> ApiResult<()> {
        if let Err(e) = self.create_claims(set, pod) {
            self.record_pod_event("create", set, pod, Some(&e));
            return Err(e);
        }
        let res = self.objects.create_pod(pod.clone());
        if let Err(e) = &res {
            if e.is_already_exists() {
                return Err(e.clone());
            }
        }
        if let Err(e) = self.update_claims_for_retention(set, pod) {
            self.record_pod_event("update", set, pod, Some(&e));
            return Err(e);
        }
        let err = res.err();
        self.record_pod_event("create", set, pod, err.as_ref());
        err.map_or(Ok(()), Err)
    }

    /// `create_stateful_pod` for a pod the caller is done with: without claim templates
    /// nothing after the create reads more of the pod than its name, so the pod is moved
    /// into the create instead of copied (a scale-up copied every new pod twice).
    pub fn create_stateful_pod_owned(&mut self, set: &Value, pod: Value) -> ApiResult<()> {
        if !utils::claim_templates(set).is_empty() {
            return self.create_stateful_pod(set, &pod);
        }
        // Both claim steps of `create_stateful_pod` find no template: no claim is created
        // and no owner reference updated.
        let name = object::name(&pod).to_string();
        let res = self.objects.create_pod(pod);
        if let Err(e) = &res {
            if e.is_already_exists() {
                return Err(e.clone());
            }
        }
        let err = res.err();
        self.record_pod_event_named("create", set, &name, err.as_ref());
        err.map_or(Ok(()), Err)
    }

    /// `createMissingPersistentVolumeClaims` for Pending pods.
    pub fn create_missing_claims(&mut self, set: &Value, pod: &Value) -> ApiResult<()> {
        // Without claim templates both halves do nothing; a set's every sync asks this of
        // each Pending pod.
        if utils::claim_templates(set).is_empty() {
            return Ok(());
        }
        self.create_claims(set, pod)?;
        if let Err(e) = self.update_claims_for_retention(set, pod) {
            self.record_pod_event("update", set, pod, Some(&e));
            return Err(e);
        }
        Ok(())
    }

    /// `DeleteStatefulPod`.
    pub fn delete_stateful_pod(&mut self, set: &Value, pod: &Value) -> ApiResult<()> {
        let res = self
            .objects
            .delete_pod(object::namespace(pod), object::name(pod));
        self.record_pod_event("delete", set, pod, res.as_ref().err());
        res
    }

    /// `ClaimsMatchRetentionPolicy`, reading the claims through the object manager.
    pub fn claims_match_retention_policy(&self, set: &Value, pod: &Value) -> ApiResult<bool> {
        for t in utils::claim_templates(set) {
            let name = utils::claim_name(set, t, utils::ordinal(pod));
            match self.objects.get_claim(object::namespace(set), &name) {
                Err(e) if e.is_not_found() => {}
                Err(e) => return Err(e),
                Ok(c) => {
                    if !utils::is_claim_owner_up_to_date(&c, set, pod) {
                        return Ok(false);
                    }
                }
            }
        }
        Ok(true)
    }

    /// `UpdatePodClaimForRetentionPolicy` (S4.2, S4.5).
    pub fn update_claims_for_retention(&mut self, set: &Value, pod: &Value) -> ApiResult<()> {
        for t in utils::claim_templates(set) {
            let name = utils::claim_name(set, t, utils::ordinal(pod));
            match self.objects.get_claim(object::namespace(set), &name) {
                Err(e) if e.is_not_found() => {}
                Err(e) => {
                    return Err(plain_error(format!(
                        "Could not retrieve claim {name} not found for {} when checking PVC deletion policy: {e}",
                        object::name(pod)
                    )))
                }
                Ok(mut claim) => {
                    if utils::has_unexpected_controller(&claim, set, pod) {
                        self.objects.record(set, "Warning", "ConflictingController", &format!(
                            "PersistentVolumeClaim {name} has a conflicting OwnerReference that acts as a manging controller, the retention policy is ignored for this claim"
                        ));
                    }
                    if !utils::is_claim_owner_up_to_date(&claim, set, pod) {
                        utils::update_claim_owner_refs(&mut claim, set, pod);
                        self.objects.update_claim(claim).map_err(|e| {
                            plain_error(format!(
                                "could not update claim {name} for delete policy ownerRefs: {e}"
                            ))
                        })?;
                    }
                }
            }
        }
        Ok(())
    }

    /// `UpdateStatefulPod`: repair identity, storage and claim refs, then update the pod
    /// (retrying once on conflict with a fresh copy) and record the update event.
    pub fn update_stateful_pod(&mut self, set: &Value, pod: &Value) -> ApiResult<()> {
        let mut pod = pod.clone();
        let mut attempted = false;
        let mut result = Ok(());
        for _attempt in 0..2 {
            let mut consistent = true;
            if !utils::identity_matches(set, &pod) {
                utils::update_identity(set, &mut pod);
                consistent = false;
            }
            if !utils::storage_matches(set, &pod) {
                utils::update_storage(set, &mut pod);
                consistent = false;
                if let Err(e) = self.create_claims(set, &pod) {
                    self.record_pod_event("update", set, &pod, Some(&e));
                    return Err(e);
                }
            }
            match self.claims_match_retention_policy(set, &pod) {
                Err(e) => {
                    self.record_pod_event("update", set, &pod, Some(&e));
                    return Err(e);
                }
                Ok(false) => {
                    if let Err(e) = self.update_claims_for_retention(set, &pod) {
                        self.record_pod_event("update", set, &pod, Some(&e));
                        return Err(e);
                    }
                    consistent = false;
                }
                Ok(true) => {}
            }
            if consistent {
                result = Ok(());
                break;
            }
            attempted = true;
            match self.objects.update_pod(pod.clone()) {
                Ok(_) => {
                    result = Ok(());
                    break;
                }
                Err(e) => {
                    let conflict = e.is_conflict();
                    result = Err(e);
                    match self
                        .objects
                        .get_pod(object::namespace(set), object::name(&pod))
                    {
                        Ok(fresh) if conflict => pod = fresh,
                        _ => break,
                    }
                }
            }
        }
        if attempted {
            self.record_pod_event("update", set, &pod, result.as_ref().err());
        }
        result
    }
}

#[cfg(test)]
mod reason_tests {
    use super::*;

    #[test]
    fn reasons_are_the_titled_verb() {
        for verb in ["create", "update", "delete", "patch", ""] {
            assert_eq!(reason(true, verb), format!("Successful{}", title(verb)));
            assert_eq!(reason(false, verb), format!("Failed{}", title(verb)));
        }
    }
}

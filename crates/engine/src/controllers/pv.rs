//! The PersistentVolume controller ("persistentvolume-controller") together with the
//! cluster's external provisioner (minikube's `k8s.io/minikube-hostpath`, or whatever the
//! StorageClass names) and the pvc-protection / pv-protection controllers.
//!
//! It binds claims to volumes (static matches first, then dynamic provisioning of
//! `pvc-<claim uid>`), waits for the scheduler's `selected-node` on WaitForFirstConsumer
//! classes, releases and reclaims volumes whose claim is gone (spec S4.8), and removes the
//! protection finalizers once nothing uses the object. It never touches pods.

use crate::admission::{
    BETA_STORAGE_CLASS_ANNOTATION, FINALIZER_PVC_PROTECTION, FINALIZER_PV_PROTECTION,
};
use crate::api::Api;
use crate::controllers::scheduler::SELECTED_NODE_ANNOTATION;
use crate::controllers::{Action, Controller, Ctx, ObjectKey};
use crate::events::Source;
use crate::kinds::Kind;
use crate::object;
use crate::quantity::Quantity;
use crate::selector::Selector;
use crate::store::{EventType, WatchEvent};
use serde_json::{json, Value};
use std::sync::Arc;

pub const CONTROLLER_NAME: &str = "persistentvolume-controller";
pub const ANN_BIND_COMPLETED: &str = "pv.kubernetes.io/bind-completed";
pub const ANN_BOUND_BY_CONTROLLER: &str = "pv.kubernetes.io/bound-by-controller";
pub const ANN_PROVISIONED_BY: &str = "pv.kubernetes.io/provisioned-by";
pub const ANN_STORAGE_PROVISIONER: &str = "volume.kubernetes.io/storage-provisioner";
pub const ANN_STORAGE_PROVISIONER_BETA: &str = "volume.beta.kubernetes.io/storage-provisioner";

#[derive(Debug, Default)]
pub struct PersistentVolumeController {
    /// The external provisioner's identity (`<provisioner>_<host>_<uuid>`), made on first use.
    provisioner_id: Option<String>,
}

impl PersistentVolumeController {
    pub fn new() -> PersistentVolumeController {
        PersistentVolumeController::default()
    }
}

fn claim_class(pvc: &Value) -> Option<&str> {
    object::annotation(pvc, BETA_STORAGE_CLASS_ANNOTATION)
        .or_else(|| object::get_str(pvc, &["spec", "storageClassName"]))
}

fn pvc_names_of_pod(pod: &Value) -> Vec<String> {
    object::get_array(pod, &["spec", "volumes"])
        .iter()
        .filter_map(|v| {
            object::get_str(v, &["persistentVolumeClaim", "claimName"])
                .map(str::to_string)
                .or_else(|| {
                    object::get(v, &["ephemeral"]).map(|_| {
                        format!(
                            "{}-{}",
                            object::name(pod),
                            object::get_str(v, &["name"]).unwrap_or("")
                        )
                    })
                })
        })
        .collect()
}

fn pending_claims(api: &Api) -> Vec<ObjectKey> {
    api.list(Kind::PersistentVolumeClaim, None, &Selector::everything())
        .iter()
        .filter(|c| {
            object::get_str(c, &["spec", "volumeName"])
                .unwrap_or("")
                .is_empty()
        })
        .map(|c| ObjectKey::of(Kind::PersistentVolumeClaim, c))
        .collect()
}

impl Controller for PersistentVolumeController {
    fn name(&self) -> &'static str {
        CONTROLLER_NAME
    }

    fn watches(&self, kind: Kind) -> bool {
        matches!(
            kind,
            Kind::PersistentVolumeClaim | Kind::PersistentVolume | Kind::Pod | Kind::StorageClass
        )
    }

    fn keys_for(&mut self, event: &WatchEvent, api: &Api, out: &mut Vec<ObjectKey>) {
        let obj = event.object();
        match event.kind {
            Kind::PersistentVolumeClaim => {
                if event.event_type == EventType::Deleted {
                    let (ns, name, uid) =
                        (object::namespace(obj), object::name(obj), object::uid(obj));
                    for pv in api.list(Kind::PersistentVolume, None, &Selector::everything()) {
                        if object::get_str(&pv, &["spec", "claimRef", "namespace"]) == Some(ns)
                            && object::get_str(&pv, &["spec", "claimRef", "name"]) == Some(name)
                            && object::get_str(&pv, &["spec", "claimRef", "uid"])
                                .is_none_or(|u| u.is_empty() || u == uid)
                        {
                            out.push(ObjectKey::of(Kind::PersistentVolume, &pv));
                        }
                    }
                } else {
                    out.push(ObjectKey::of(Kind::PersistentVolumeClaim, obj));
                }
            }
            Kind::PersistentVolume => {
                out.push(ObjectKey::new(
                    Kind::PersistentVolume,
                    "",
                    object::name(obj),
                ));
                match (
                    object::get_str(obj, &["spec", "claimRef", "namespace"]),
                    object::get_str(obj, &["spec", "claimRef", "name"]),
                ) {
                    (Some(ns), Some(name)) => {
                        out.push(ObjectKey::new(Kind::PersistentVolumeClaim, ns, name))
                    }
                    _ if event.event_type != EventType::Deleted => out.extend(pending_claims(api)),
                    _ => {}
                }
            }
            Kind::StorageClass if event.event_type != EventType::Deleted => {
                out.extend(pending_claims(api));
            }
            Kind::Pod => {
                // Only a terminating claim cares whether a pod still uses it.
                let ns = object::namespace(obj);
                for name in pvc_names_of_pod(obj) {
                    if api
                        .try_get(Kind::PersistentVolumeClaim, ns, &name)
                        .is_some_and(|c| object::is_terminating(c))
                    {
                        out.push(ObjectKey::new(Kind::PersistentVolumeClaim, ns, &name));
                    }
                }
            }
            _ => {}
        }
    }

    fn reconcile(&mut self, key: &ObjectKey, ctx: &mut Ctx<'_>) -> Action {
        let api = &mut *ctx.api;
        match key.kind {
            Kind::PersistentVolumeClaim => {
                if let Some(pvc) = api
                    .try_get(Kind::PersistentVolumeClaim, &key.namespace, &key.name)
                    .cloned()
                {
                    self.sync_claim(api, pvc);
                }
            }
            Kind::PersistentVolume => {
                if let Some(pv) = api.try_get(Kind::PersistentVolume, "", &key.name).cloned() {
                    sync_volume(api, pv);
                }
            }
            _ => {}
        }
        Action::Done
    }
}

fn controller_event(api: &mut Api, obj: &Value, ty: &str, reason: &str, msg: &str) {
    api.record_event(
        obj,
        None,
        ty,
        reason,
        msg,
        Source {
            component: CONTROLLER_NAME,
            host: None,
        },
    );
}

/// Whether a scheduled, still-running pod uses the claim (pvc-protection's rule: kubelet
/// refuses to start pods on a terminating claim, so unscheduled pods do not count).
fn claim_in_use(api: &Api, pvc: &Value) -> bool {
    let name = object::name(pvc);
    api.list(
        Kind::Pod,
        Some(object::namespace(pvc)),
        &Selector::everything(),
    )
    .iter()
    .any(|p| {
        !object::get_str(p, &["spec", "nodeName"])
            .unwrap_or("")
            .is_empty()
            && !matches!(
                object::get_str(p, &["status", "phase"]),
                Some("Succeeded" | "Failed")
            )
            && pvc_names_of_pod(p).iter().any(|n| n == name)
    })
}

fn quantity_of(v: &Value, path: &[&str]) -> Option<Quantity> {
    object::get(v, path).and_then(crate::quantity::from_value)
}

fn access_modes(v: &Value) -> Vec<String> {
    object::get_array(v, &["spec", "accessModes"])
        .iter()
        .filter_map(|m| m.as_str().map(str::to_string))
        .collect()
}

fn volume_mode(v: &Value) -> &str {
    object::get_str(v, &["spec", "volumeMode"]).unwrap_or("Filesystem")
}

impl PersistentVolumeController {
    fn sync_claim(&mut self, api: &mut Api, pvc: Arc<Value>) {
        if object::is_terminating(&pvc) {
            if object::finalizers(&pvc)
                .iter()
                .any(|f| f == FINALIZER_PVC_PROTECTION)
                && !claim_in_use(api, &pvc)
            {
                let _ = api.remove_finalizer(&pvc, FINALIZER_PVC_PROTECTION);
            }
            return;
        }
        let volume_name = object::get_str(&pvc, &["spec", "volumeName"])
            .unwrap_or("")
            .to_string();
        if !volume_name.is_empty() {
            match api
                .try_get(Kind::PersistentVolume, "", &volume_name)
                .cloned()
            {
                Some(pv) => {
                    let ref_uid = object::get_str(&pv, &["spec", "claimRef", "uid"]).unwrap_or("");
                    let ref_name = object::get_str(&pv, &["spec", "claimRef", "name"]);
                    // Pre-bound by the user (volumeName) or already ours: finish the binding.
                    if ref_name.is_none()
                        || (ref_uid.is_empty() && ref_name == Some(object::name(&pvc)))
                        || ref_uid == object::uid(&pvc)
                    {
                        bind(api, &pv, &pvc, false);
                    }
                }
                None => {
                    if object::annotation(&pvc, ANN_BIND_COMPLETED).is_some()
                        && object::get_str(&pvc, &["status", "phase"]) != Some("Lost")
                    {
                        let mut p = (*pvc).clone();
                        object::set(&mut p, &["status", "phase"], json!("Lost"));
                        if let Ok(w) = api.update_status(p) {
                            controller_event(
                                api,
                                &w,
                                "Warning",
                                "ClaimLost",
                                "Bound claim has lost reference to PersistentVolume. Data on the volume is lost!",
                            );
                        }
                    }
                }
            }
            return;
        }
        // RetroactiveDefaultStorageClass: a claim created before any default class existed.
        if object::get(&pvc, &["spec", "storageClassName"]).is_none_or(Value::is_null)
            && object::annotation(&pvc, BETA_STORAGE_CLASS_ANNOTATION).is_none()
        {
            if let Some(class) = crate::admission::default_class_name(api) {
                let mut p = (*pvc).clone();
                object::set(&mut p, &["spec", "storageClassName"], json!(class));
                let _ = api.update(p);
                return;
            }
        }
        // A volume an administrator pre-bound to this claim.
        let prebound = api
            .list(Kind::PersistentVolume, None, &Selector::everything())
            .into_iter()
            .find(|pv| {
                object::get_str(pv, &["spec", "claimRef", "namespace"])
                    == Some(object::namespace(&pvc))
                    && object::get_str(pv, &["spec", "claimRef", "name"])
                        == Some(object::name(&pvc))
                    && object::get_str(pv, &["spec", "claimRef", "uid"])
                        .is_none_or(|u| u.is_empty() || u == object::uid(&pvc))
                    && !object::is_terminating(pv)
            });
        if let Some(pv) = prebound {
            bind(api, &pv, &pvc, true);
            return;
        }
        let class_name = claim_class(&pvc).unwrap_or("").to_string();
        let class = if class_name.is_empty() {
            None
        } else {
            api.try_get(Kind::StorageClass, "", &class_name).cloned()
        };
        let wait_for_consumer = class
            .as_deref()
            .and_then(|c| object::get_str(c, &["volumeBindingMode"]))
            == Some("WaitForFirstConsumer");
        let selected = object::annotation(&pvc, SELECTED_NODE_ANNOTATION).map(str::to_string);
        if wait_for_consumer && selected.is_none() {
            if object::get_str(&pvc, &["status", "phase"]).is_none() {
                let mut p = (*pvc).clone();
                object::set(&mut p, &["status", "phase"], json!("Pending"));
                let _ = api.update_status(p);
            }
            controller_event(
                api,
                &pvc,
                "Normal",
                "WaitForFirstConsumer",
                "waiting for first consumer to be created before binding",
            );
            return;
        }
        if let Some(pv) = find_matching_volume(api, &pvc, &class_name) {
            bind(api, &pv, &pvc, true);
            return;
        }
        if class_name.is_empty() {
            controller_event(
                api,
                &pvc,
                "Normal",
                "FailedBinding",
                "no persistent volumes available for this claim and no storage class is set",
            );
            return;
        }
        let Some(class) = class else {
            controller_event(
                api,
                &pvc,
                "Warning",
                "ProvisioningFailed",
                &format!("storageclass.storage.k8s.io \"{class_name}\" not found"),
            );
            return;
        };
        let provisioner = object::get_str(&class, &["provisioner"])
            .unwrap_or("")
            .to_string();
        if provisioner.is_empty() || provisioner == "kubernetes.io/no-provisioner" {
            return;
        }
        self.provision(api, &pvc, &class, &provisioner);
    }

    /// External provisioning as the PV controller and the sig-storage provisioner library do it
    /// together: annotate the claim, then create `pvc-<uid>` pre-bound to it, then bind.
    fn provision(&mut self, api: &mut Api, pvc: &Arc<Value>, class: &Value, provisioner: &str) {
        let mut claim = (**pvc).clone();
        if object::annotation(&claim, ANN_STORAGE_PROVISIONER) != Some(provisioner) {
            object::set_annotation(&mut claim, ANN_STORAGE_PROVISIONER_BETA, provisioner);
            object::set_annotation(&mut claim, ANN_STORAGE_PROVISIONER, provisioner);
            match api.update(claim) {
                Ok(c) => claim = (*c).clone(),
                Err(_) => return,
            }
        }
        controller_event(
            api,
            &claim,
            "Normal",
            "ExternalProvisioning",
            &format!("Waiting for a volume to be created either by the external provisioner '{provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered."),
        );
        let id = match &self.provisioner_id {
            Some(id) => id.clone(),
            None => {
                let id = format!("{provisioner}_minikube_{}", api.rng.uuid());
                self.provisioner_id = Some(id.clone());
                id
            }
        };
        let (ns, name, uid) = (
            object::namespace(&claim).to_string(),
            object::name(&claim).to_string(),
            object::uid(&claim).to_string(),
        );
        let source = Source {
            component: &id,
            host: None,
        };
        api.record_event(
            &claim,
            None,
            "Normal",
            "Provisioning",
            &format!("External provisioner is provisioning volume for claim \"{ns}/{name}\""),
            source.clone(),
        );
        let pv_name = format!("pvc-{uid}");
        let storage = object::get(&claim, &["spec", "resources", "requests", "storage"])
            .cloned()
            .unwrap_or(json!("0"));
        let mut pv = json!({
            "apiVersion": "v1", "kind": "PersistentVolume",
            "metadata": {"name": pv_name, "annotations": {
                ANN_PROVISIONED_BY: provisioner,
                "hostPathProvisionerIdentity": "minikube"}},
            "spec": {
                "accessModes": access_modes(&claim),
                "capacity": {"storage": storage},
                "claimRef": {"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                             "name": name, "namespace": ns, "uid": uid,
                             "resourceVersion": object::get_str(&claim, &["metadata", "resourceVersion"]).unwrap_or("")},
                "hostPath": {"path": format!("/tmp/hostpath-provisioner/{ns}/{name}"), "type": ""},
                "persistentVolumeReclaimPolicy": object::get_str(class, &["reclaimPolicy"]).unwrap_or("Delete"),
                "storageClassName": object::name(class),
                "volumeMode": volume_mode(&claim),
            },
            "status": {"phase": "Pending"}
        });
        if let Some(opts) = object::get(class, &["mountOptions"]) {
            object::set(&mut pv, &["spec", "mountOptions"], opts.clone());
        }
        match api.create(pv) {
            Ok(pv) => {
                api.record_event(
                    &claim,
                    None,
                    "Normal",
                    "ProvisioningSucceeded",
                    &format!("Successfully provisioned volume {pv_name}"),
                    source,
                );
                let claim = api
                    .try_get(Kind::PersistentVolumeClaim, &ns, &name)
                    .cloned()
                    .unwrap_or_else(|| Arc::new(claim.clone()));
                bind(api, &pv, &claim, false);
            }
            Err(e) if e.is_already_exists() => {}
            Err(e) => api.record_event(
                &claim,
                None,
                "Warning",
                "ProvisioningFailed",
                &format!(
                    "failed to provision volume with StorageClass \"{}\": {e}",
                    object::name(class)
                ),
                source,
            ),
        }
    }
}

/// The smallest Available volume that satisfies the claim (`findBestMatchForClaim`).
fn find_matching_volume(api: &Api, pvc: &Value, class: &str) -> Option<Arc<Value>> {
    let want = quantity_of(pvc, &["spec", "resources", "requests", "storage"])
        .unwrap_or_else(Quantity::zero);
    let modes = access_modes(pvc);
    let selector = object::get(pvc, &["spec", "selector"])
        .filter(|s| !s.is_null())
        .and_then(|s| Selector::from_label_selector(s).ok());
    api.list(Kind::PersistentVolume, None, &Selector::everything())
        .into_iter()
        .filter(|pv| {
            object::get(pv, &["spec", "claimRef"]).is_none_or(Value::is_null)
                && !object::is_terminating(pv)
                && matches!(
                    object::get_str(pv, &["status", "phase"]),
                    None | Some("Available" | "Pending")
                )
                && object::get_str(pv, &["spec", "storageClassName"]).unwrap_or("") == class
                && volume_mode(pv) == volume_mode(pvc)
                && {
                    let have = access_modes(pv);
                    modes.iter().all(|m| have.contains(m))
                }
                && quantity_of(pv, &["spec", "capacity", "storage"]).is_some_and(|q| q >= want)
                && selector.as_ref().is_none_or(|s| s.matches_object(pv))
        })
        .min_by(|a, b| {
            let qa = quantity_of(a, &["spec", "capacity", "storage"]);
            let qb = quantity_of(b, &["spec", "capacity", "storage"]);
            qa.cmp(&qb)
                .then_with(|| object::name(a).cmp(object::name(b)))
        })
}

/// `bind()`: PV claimRef (+ bound-by-controller when the controller chose it) and phase
/// Bound, then the claim's volumeName, bind-completed and phase Bound with the volume's
/// capacity and access modes.
fn bind(api: &mut Api, pv: &Arc<Value>, pvc: &Arc<Value>, controller_chose: bool) {
    let mut v = (**pv).clone();
    let claim_ref = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "name": object::name(pvc), "namespace": object::namespace(pvc), "uid": object::uid(pvc),
        "resourceVersion": object::get_str(pvc, &["metadata", "resourceVersion"]).unwrap_or("")});
    let needs_ref =
        object::get_str(&v, &["spec", "claimRef", "uid"]).unwrap_or("") != object::uid(pvc);
    if needs_ref {
        object::set(&mut v, &["spec", "claimRef"], claim_ref);
        if controller_chose {
            object::set_annotation(&mut v, ANN_BOUND_BY_CONTROLLER, "yes");
        }
        match api.update(v) {
            Ok(w) => v = (*w).clone(),
            Err(_) => return,
        }
    }
    if object::get_str(&v, &["status", "phase"]) != Some("Bound") {
        object::set(&mut v, &["status", "phase"], json!("Bound"));
        object::set(
            &mut v,
            &["status", "lastPhaseTransitionTime"],
            json!(api.now.rfc3339()),
        );
        match api.update_status(v) {
            Ok(w) => v = (*w).clone(),
            Err(_) => return,
        }
    }
    let mut c = (**pvc).clone();
    let mut changed = false;
    if object::get_str(&c, &["spec", "volumeName"]) != Some(object::name(&v)) {
        object::set(&mut c, &["spec", "volumeName"], json!(object::name(&v)));
        object::set_annotation(&mut c, ANN_BOUND_BY_CONTROLLER, "yes");
        changed = true;
    }
    if object::annotation(&c, ANN_BIND_COMPLETED) != Some("yes") {
        object::set_annotation(&mut c, ANN_BIND_COMPLETED, "yes");
        changed = true;
    }
    if changed {
        match api.update(c) {
            Ok(w) => c = (*w).clone(),
            Err(_) => return,
        }
    }
    let mut status = c.get("status").cloned().unwrap_or(json!({}));
    status["phase"] = json!("Bound");
    status["accessModes"] = object::get(&v, &["spec", "accessModes"])
        .cloned()
        .unwrap_or(json!([]));
    status["capacity"] = object::get(&v, &["spec", "capacity"])
        .cloned()
        .unwrap_or(json!({}));
    if c.get("status") != Some(&status) {
        c["status"] = status;
        let _ = api.update_status(c);
    }
}

/// `syncVolume`: keeps a volume's phase in step with its claim, releases and reclaims it
/// when the claim is gone, and lifts pv-protection once it is no longer Bound.
fn sync_volume(api: &mut Api, pv: Arc<Value>) {
    let phase = object::get_str(&pv, &["status", "phase"])
        .unwrap_or("")
        .to_string();
    if object::is_terminating(&pv)
        && phase != "Bound"
        && object::finalizers(&pv)
            .iter()
            .any(|f| f == FINALIZER_PV_PROTECTION)
    {
        let _ = api.remove_finalizer(&pv, FINALIZER_PV_PROTECTION);
        return;
    }
    let set_phase = |api: &mut Api, pv: &Value, phase: &str| -> Option<Arc<Value>> {
        let mut v = pv.clone();
        object::set(&mut v, &["status", "phase"], json!(phase));
        object::set(
            &mut v,
            &["status", "lastPhaseTransitionTime"],
            json!(api.now.rfc3339()),
        );
        api.update_status(v).ok()
    };
    let claim_ns = object::get_str(&pv, &["spec", "claimRef", "namespace"]).map(str::to_string);
    let claim_name = object::get_str(&pv, &["spec", "claimRef", "name"]).map(str::to_string);
    let (Some(ns), Some(name)) = (claim_ns, claim_name) else {
        if phase != "Available" && !object::is_terminating(&pv) {
            set_phase(api, &pv, "Available");
        }
        return;
    };
    let ref_uid = object::get_str(&pv, &["spec", "claimRef", "uid"])
        .unwrap_or("")
        .to_string();
    let claim = api
        .try_get(Kind::PersistentVolumeClaim, &ns, &name)
        .cloned();
    let claim_gone = match &claim {
        None => !ref_uid.is_empty(),
        Some(c) => !ref_uid.is_empty() && object::uid(c) != ref_uid,
    };
    if !claim_gone {
        if ref_uid.is_empty() && phase != "Available" && phase != "Bound" {
            // Pre-bound to a claim that does not exist yet.
            set_phase(api, &pv, "Available");
        }
        if let Some(c) = claim {
            if object::get_str(&c, &["spec", "volumeName"]) == Some(object::name(&pv))
                && phase != "Bound"
            {
                set_phase(api, &pv, "Bound");
            }
        }
        return;
    }
    let mut pv = pv;
    if phase != "Released" && phase != "Failed" {
        match set_phase(api, &pv, "Released") {
            Some(w) => pv = w,
            None => return,
        }
    }
    let policy =
        object::get_str(&pv, &["spec", "persistentVolumeReclaimPolicy"]).unwrap_or("Retain");
    if policy == "Delete" && !object::is_terminating(&pv) {
        let _ = api.delete(
            Kind::PersistentVolume,
            "",
            object::name(&pv),
            &Default::default(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Cluster, Config, DeleteOptions};

    fn pvc(name: &str, extra: Value) -> Value {
        let mut v = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}});
        crate::patch::merge_patch(&mut v, &extra);
        v
    }

    fn get(c: &Cluster, kind: Kind, name: &str) -> Option<Arc<Value>> {
        c.api.try_get(kind, "default", name).cloned()
    }

    fn reasons(c: &Cluster, name: &str) -> Vec<String> {
        c.api
            .list(Kind::Event, Some("default"), &Selector::everything())
            .iter()
            .filter(|e| object::get_str(e, &["involvedObject", "name"]) == Some(name))
            .map(|e| object::get_str(e, &["reason"]).unwrap_or("").to_string())
            .collect()
    }

    #[test]
    fn dynamic_provisioning_binds_claim_and_volume() {
        let mut c = Cluster::new(Config::default());
        c.api
            .create(pvc(
                "www-web-0",
                json!({"metadata": {"annotations": {"volume.alpha.kubernetes.io/storage-class": "anything"}}}),
            ))
            .unwrap();
        c.run_now();
        let claim = get(&c, Kind::PersistentVolumeClaim, "www-web-0").unwrap();
        let pv_name = format!("pvc-{}", object::uid(&claim));
        assert_eq!(
            object::get_str(&claim, &["spec", "volumeName"]),
            Some(pv_name.as_str())
        );
        assert_eq!(object::get_str(&claim, &["status", "phase"]), Some("Bound"));
        assert_eq!(claim["status"]["capacity"]["storage"], "1Gi");
        assert_eq!(claim["status"]["accessModes"], json!(["ReadWriteOnce"]));
        for (k, v) in [
            (ANN_BIND_COMPLETED, "yes"),
            (ANN_BOUND_BY_CONTROLLER, "yes"),
            (ANN_STORAGE_PROVISIONER, "k8s.io/minikube-hostpath"),
            (ANN_STORAGE_PROVISIONER_BETA, "k8s.io/minikube-hostpath"),
        ] {
            assert_eq!(object::annotation(&claim, k), Some(v), "{k}");
        }
        let pv = get(&c, Kind::PersistentVolume, &pv_name).unwrap();
        assert_eq!(object::get_str(&pv, &["status", "phase"]), Some("Bound"));
        assert_eq!(pv["spec"]["claimRef"]["uid"], object::uid(&claim));
        assert_eq!(pv["spec"]["persistentVolumeReclaimPolicy"], "Delete");
        assert_eq!(pv["spec"]["storageClassName"], "standard");
        assert_eq!(
            pv["spec"]["hostPath"]["path"],
            "/tmp/hostpath-provisioner/default/www-web-0"
        );
        assert_eq!(
            object::annotation(&pv, ANN_PROVISIONED_BY),
            Some("k8s.io/minikube-hostpath")
        );
        assert_eq!(object::finalizers(&pv), [FINALIZER_PV_PROTECTION]);
        assert_eq!(
            reasons(&c, "www-web-0"),
            [
                "ExternalProvisioning",
                "Provisioning",
                "ProvisioningSucceeded"
            ]
        );
        assert!(c.settle(60_000));
    }

    #[test]
    fn deleting_a_claim_reclaims_by_policy_and_protection_waits_for_pods() {
        let mut c = Cluster::new(Config::default());
        c.api.create(pvc("data", json!({}))).unwrap();
        c.run_now();
        let pv_name = get(&c, Kind::PersistentVolumeClaim, "data").unwrap()["spec"]["volumeName"]
            .as_str()
            .unwrap()
            .to_string();
        // A scheduled pod uses the claim: deletion leaves it Terminating.
        c.api
            .create(json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": "user", "namespace": "default"},
                "spec": {"nodeName": "node-1", "containers": [{"name": "c", "image": "nginx"}],
                         "volumes": [{"name": "d", "persistentVolumeClaim": {"claimName": "data"}}]}}))
            .unwrap();
        c.api
            .delete(
                Kind::PersistentVolumeClaim,
                "default",
                "data",
                &DeleteOptions::default(),
            )
            .unwrap();
        c.run_now();
        let claim = get(&c, Kind::PersistentVolumeClaim, "data").unwrap();
        assert!(object::is_terminating(&claim));
        assert_eq!(object::finalizers(&claim), [FINALIZER_PVC_PROTECTION]);
        c.api
            .delete(
                Kind::Pod,
                "default",
                "user",
                &DeleteOptions {
                    grace_period_seconds: Some(0),
                    ..Default::default()
                },
            )
            .unwrap();
        c.run_now();
        assert!(get(&c, Kind::PersistentVolumeClaim, "data").is_none());
        // Delete policy: the volume is released, then removed (pv-protection lifted).
        assert!(get(&c, Kind::PersistentVolume, &pv_name).is_none());

        // Retain policy: the volume stays Released.
        c.api
            .create(
                json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                "metadata": {"name": "keep"}, "provisioner": "k8s.io/minikube-hostpath",
                "reclaimPolicy": "Retain", "volumeBindingMode": "Immediate"}),
            )
            .unwrap();
        c.api
            .create(pvc("kept", json!({"spec": {"storageClassName": "keep"}})))
            .unwrap();
        c.run_now();
        let pv_name = get(&c, Kind::PersistentVolumeClaim, "kept").unwrap()["spec"]["volumeName"]
            .as_str()
            .unwrap()
            .to_string();
        c.api
            .delete(
                Kind::PersistentVolumeClaim,
                "default",
                "kept",
                &DeleteOptions::default(),
            )
            .unwrap();
        c.run_now();
        let pv = get(&c, Kind::PersistentVolume, &pv_name).unwrap();
        assert_eq!(object::get_str(&pv, &["status", "phase"]), Some("Released"));
        assert!(c.settle(60_000));
    }

    #[test]
    fn static_volumes_bind_by_size_mode_and_class() {
        let mut c = Cluster::new(Config::default());
        for (name, size) in [("small", "500Mi"), ("big", "5Gi"), ("fit", "2Gi")] {
            c.api
                .create(json!({"apiVersion": "v1", "kind": "PersistentVolume",
                    "metadata": {"name": name},
                    "spec": {"capacity": {"storage": size}, "accessModes": ["ReadWriteOnce"],
                             "storageClassName": "", "hostPath": {"path": "/data"},
                             "persistentVolumeReclaimPolicy": "Retain"}}))
                .unwrap();
        }
        c.api
            .create(pvc("claim", json!({"spec": {"storageClassName": ""}})))
            .unwrap();
        c.run_now();
        let claim = get(&c, Kind::PersistentVolumeClaim, "claim").unwrap();
        assert_eq!(claim["spec"]["volumeName"], "fit");
        assert_eq!(claim["status"]["capacity"]["storage"], "2Gi");
        let pv = get(&c, Kind::PersistentVolume, "fit").unwrap();
        assert_eq!(
            object::annotation(&pv, ANN_BOUND_BY_CONTROLLER),
            Some("yes")
        );
        assert_eq!(pv["status"]["phase"], "Bound");
        assert_eq!(
            get(&c, Kind::PersistentVolume, "small").unwrap()["status"]["phase"],
            "Available"
        );
    }

    #[test]
    fn wait_for_first_consumer_waits_for_selected_node() {
        let mut c = Cluster::new(Config::default());
        c.api
            .create(
                json!({"apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
                "metadata": {"name": "local"}, "provisioner": "rancher.io/local-path",
                "reclaimPolicy": "Delete", "volumeBindingMode": "WaitForFirstConsumer"}),
            )
            .unwrap();
        c.api
            .create(pvc("data", json!({"spec": {"storageClassName": "local"}})))
            .unwrap();
        c.run_now();
        let claim = get(&c, Kind::PersistentVolumeClaim, "data").unwrap();
        assert!(object::get(&claim, &["spec", "volumeName"]).is_none());
        assert_eq!(reasons(&c, "data"), ["WaitForFirstConsumer"]);
        let ev = c
            .api
            .list(Kind::Event, Some("default"), &Selector::everything());
        assert_eq!(
            ev[0]["message"],
            "waiting for first consumer to be created before binding"
        );
        let mut claim = (*claim).clone();
        object::set_annotation(&mut claim, SELECTED_NODE_ANNOTATION, "node-2");
        c.api.update(claim).unwrap();
        c.run_now();
        let claim = get(&c, Kind::PersistentVolumeClaim, "data").unwrap();
        assert_eq!(claim["status"]["phase"], "Bound");
    }
}

#[cfg(test)]
mod cluster_tests {
    use super::*;
    use crate::{Cluster, Config};

    /// What the StatefulSet controller does for each ordinal: claim first, then the pod.
    fn claim_then_pod(c: &mut Cluster, i: u32) {
        c.api
            .create(json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": {"name": format!("www-web-{i}"), "namespace": "default",
                             "annotations": {"volume.alpha.kubernetes.io/storage-class": "anything"}},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}))
            .unwrap();
        c.api
            .create(json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": format!("web-{i}"), "namespace": "default", "labels": {"app": "nginx"}},
                "spec": {"containers": [{"name": "nginx", "image": "nginx"}],
                         "volumes": [{"name": "www", "persistentVolumeClaim": {"claimName": format!("www-web-{i}")}}]}}))
            .unwrap();
    }

    fn history(seed: u64) -> Vec<String> {
        let mut c = Cluster::new(Config {
            seed,
            ..Config::default()
        });
        for i in 0..3 {
            claim_then_pod(&mut c, i);
            c.run_now();
        }
        assert!(c.settle(60_000));
        c.api
            .store
            .all_objects()
            .map(|(k, o)| format!("{k:?} {o}"))
            .collect()
    }

    #[test]
    fn claims_bind_before_their_pods_are_scheduled_and_runs_are_deterministic() {
        let mut c = Cluster::new(Config::default());
        claim_then_pod(&mut c, 0);
        c.run_now();
        let pod = c.api.get(Kind::Pod, "default", "web-0").unwrap();
        assert!(object::get_str(&pod, &["spec", "nodeName"]).is_some());
        let failed = c
            .api
            .list(Kind::Event, Some("default"), &Selector::everything())
            .iter()
            .filter(|e| e["reason"] == "FailedScheduling")
            .count();
        assert_eq!(failed, 0, "the claim was bound before the scheduler looked");
        assert_eq!(history(7), history(7));
        assert_ne!(history(7), history(8));
    }
}

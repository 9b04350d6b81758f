//! The Deployment controller (kube-controller-manager's `deployment-controller`, upstream
//! `pkg/controller/deployment`): rolls a Deployment's template out through ReplicaSets named
//! `<deployment>-<pod-template-hash>`, with RollingUpdate (maxSurge/maxUnavailable) or
//! Recreate, revision annotations, the Available/Progressing conditions, proportional scaling,
//! pause/resume and revisionHistoryLimit cleanup. Rollback is kubectl's business: it patches the
//! template back from an old ReplicaSet, and this controller sees a template change.
//!
//! This file is the plumbing (`deployment_controller.go`): which watch events queue which
//! deployments, and adoption/release of ReplicaSets. The decisions and writes are in `sync`,
//! over `DeploymentObjects`. It must never act on a ReplicaSet it does not own, and schedules a
//! timer only for a progress deadline that a stuck rollout will actually reach.

pub mod sync;
pub mod util;

#[cfg(test)]
mod tests;

use crate::api::{Api, DeleteOptions};
use crate::controllers::{Action, Controller, Ctx, ObjectKey};
use crate::error::ApiResult;
use crate::events::Source;
use crate::kinds::Kind;
use crate::object::{self, OwnerRef};
use crate::selector::Selector;
use crate::store::{EventType, WatchEvent};
use serde_json::Value;
use std::collections::BTreeMap;
use sync::{DeploymentObjects, Sync};

/// The real writer: the simulated API server.
pub struct ApiDeploymentObjects<'a> {
    pub api: &'a mut Api,
}

impl DeploymentObjects for ApiDeploymentObjects<'_> {
    fn get_rs(&self, namespace: &str, name: &str) -> Option<Value> {
        self.api
            .try_get(Kind::ReplicaSet, namespace, name)
            .map(|r| (**r).clone())
    }
    fn create_rs(&mut self, rs: Value) -> ApiResult<Value> {
        self.api.create(rs).map(|r| (*r).clone())
    }
    fn update_rs(&mut self, rs: Value) -> ApiResult<Value> {
        self.api.update(rs).map(|r| (*r).clone())
    }
    fn delete_rs(&mut self, namespace: &str, name: &str) -> ApiResult<()> {
        self.api
            .delete(Kind::ReplicaSet, namespace, name, &DeleteOptions::default())
            .map(|_| ())
    }
    fn update_status(&mut self, d: Value) -> ApiResult<Value> {
        self.api.update_status(d).map(|r| (*r).clone())
    }
    fn record(&mut self, d: &Value, event_type: &str, reason: &str, message: &str) {
        self.api.record_event(
            d,
            None,
            event_type,
            reason,
            message,
            Source {
                component: "deployment-controller",
                host: None,
            },
        );
    }
}

/// Container states a rollout cannot leave without a change by someone.
const STUCK_REASONS: &[&str] = &[
    "ErrImagePull",
    "ImagePullBackOff",
    "InvalidImageName",
    "CrashLoopBackOff",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
];

fn pod_is_stuck(pod: &Value) -> bool {
    if object::is_terminating(pod) {
        return false;
    }
    let waiting_badly = ["containerStatuses", "initContainerStatuses"]
        .iter()
        .flat_map(|f| object::get_array(pod, &["status", f]).iter())
        .filter_map(|c| object::get_str(c, &["state", "waiting", "reason"]))
        .any(|r| STUCK_REASONS.contains(&r));
    let unschedulable = object::get_array(pod, &["status", "conditions"])
        .iter()
        .any(|c| {
            object::get_str(c, &["type"]) == Some("PodScheduled")
                && object::get_str(c, &["status"]) == Some("False")
        });
    waiting_badly || unschedulable
}

#[derive(Debug, Default)]
pub struct DeploymentController {
    failures: BTreeMap<ObjectKey, u32>,
}

impl DeploymentController {
    pub fn new() -> DeploymentController {
        DeploymentController::default()
    }

    fn resolve(api: &Api, namespace: &str, r: &object::OwnerRefView) -> Option<ObjectKey> {
        if r.kind != "Deployment" || !r.api_version.starts_with("apps/") {
            return None;
        }
        let d = api.try_get(Kind::Deployment, namespace, r.name)?;
        (object::uid(d) == r.uid).then(|| ObjectKey::new(Kind::Deployment, namespace, r.name))
    }

    fn deployments_selecting(
        api: &Api,
        ns: &str,
        labels: &BTreeMap<String, String>,
    ) -> Vec<ObjectKey> {
        api.list(Kind::Deployment, Some(ns), &Selector::everything())
            .iter()
            .filter(|d| {
                object::get(d, &["spec", "selector"])
                    .and_then(|s| Selector::from_label_selector(s).ok())
                    .is_some_and(|s| !s.is_empty() && s.matches(labels))
            })
            .map(|d| ObjectKey::of(Kind::Deployment, d))
            .collect()
    }

    /// `getReplicaSetsForDeployment` (ClaimReplicaSets) and the pods of the claimed sets.
    fn claim(api: &mut Api, d: &Value, selector: &Selector) -> ApiResult<(Vec<Value>, Vec<Value>)> {
        let ns = object::namespace(d).to_string();
        let uid = object::uid(d).to_string();
        let terminating = object::is_terminating(d);
        let candidates: Vec<Value> = api
            .store
            .controlled_by(Kind::ReplicaSet, &uid)
            .chain(api.store.uncontrolled(Kind::ReplicaSet, &ns))
            .filter(|r| object::namespace(r) == ns)
            .map(|r| (**r).clone())
            .collect();
        let mut rss = Vec::new();
        for rs in candidates {
            let matches = selector.matches_object(&rs);
            match object::controller_ref(&rs) {
                Some(r) if r.uid != uid => {}
                Some(_) if matches => rss.push(rs),
                Some(_) => {
                    if terminating {
                        continue;
                    }
                    let mut released = rs.clone();
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
                    if terminating || !matches || object::is_terminating(&rs) {
                        continue;
                    }
                    let mut adopted = rs.clone();
                    let mut refs = object::owner_refs(&adopted);
                    refs.push(OwnerRef::controller_of(d));
                    object::set_owner_refs(&mut adopted, &refs);
                    match api.update(adopted) {
                        Ok(a) => rss.push((*a).clone()),
                        Err(e) if e.is_not_found() => {}
                        Err(e) => return Err(e),
                    }
                }
            }
        }
        let pods = rss
            .iter()
            .flat_map(|rs| api.store.controlled_by(Kind::Pod, object::uid(rs)))
            .map(|p| (**p).clone())
            .collect();
        Ok((rss, pods))
    }

    fn run_sync(key: &ObjectKey, api: &mut Api) -> ApiResult<Option<u64>> {
        let Some(d) = api
            .try_get(Kind::Deployment, &key.namespace, &key.name)
            .map(|d| (**d).clone())
        else {
            return Ok(None);
        };
        let selector =
            match object::get(&d, &["spec", "selector"]).map(Selector::from_label_selector) {
                Some(Ok(s)) if !s.is_empty() => s,
                _ => return Ok(None),
            };
        let (rss, pods) = Self::claim(api, &d, &selector)?;
        let stuck = pods.iter().any(pod_is_stuck)
            || rss.iter().any(|rs| {
                object::get_array(rs, &["status", "conditions"])
                    .iter()
                    .any(|c| object::get_str(c, &["type"]) == Some("ReplicaFailure"))
            });
        let now = api.now;
        let mut objects = ApiDeploymentObjects { api };
        let mut s = Sync {
            objects: &mut objects,
            now,
            d,
            rss,
            stuck,
            requeue_after: None,
        };
        s.sync_deployment(&pods)?;
        Ok(s.requeue_after)
    }
}

impl Controller for DeploymentController {
    fn name(&self) -> &'static str {
        "deployment-controller"
    }

    fn watches(&self, kind: Kind) -> bool {
        matches!(kind, Kind::Deployment | Kind::ReplicaSet | Kind::Pod)
    }

    fn keys_for(&mut self, event: &WatchEvent, api: &Api, out: &mut Vec<ObjectKey>) {
        let obj = event.object();
        let ns = object::namespace(obj);
        match event.kind {
            Kind::Deployment if event.event_type != EventType::Deleted => {
                out.push(ObjectKey::of(Kind::Deployment, obj));
            }
            Kind::ReplicaSet => match object::controller_ref_view(obj) {
                Some(r) => out.extend(Self::resolve(api, ns, &r)),
                None if event.event_type != EventType::Deleted => {
                    out.extend(Self::deployments_selecting(api, ns, &object::labels(obj)));
                }
                None => {}
            },
            Kind::Pod => {
                // Recreate waits for old pods to be gone, and a stuck pod arms the progress
                // deadline: both need the owning deployment to look again.
                // Read in place: most pods are not a ReplicaSet's.
                let owner = object::controller_ref_view(obj)
                    .filter(|r| r.kind == "ReplicaSet")
                    .and_then(|r| api.try_get(Kind::ReplicaSet, ns, r.name))
                    .and_then(|rs| object::controller_ref_view(rs));
                if let Some(k) = owner.and_then(|r| Self::resolve(api, ns, &r)) {
                    out.push(k);
                }
            }
            _ => {}
        }
    }

    fn reconcile(&mut self, key: &ObjectKey, ctx: &mut Ctx<'_>) -> Action {
        match Self::run_sync(key, ctx.api) {
            Err(_) => {
                let n = self.failures.entry(key.clone()).or_insert(0);
                let delay = 5u64.saturating_mul(1u64 << (*n).min(40)).min(1_000_000);
                *n += 1;
                Action::RequeueAfter(delay)
            }
            Ok(after) => {
                self.failures.remove(key);
                match after {
                    Some(ms) => Action::RequeueAfter(ms),
                    None => Action::Done,
                }
            }
        }
    }
}

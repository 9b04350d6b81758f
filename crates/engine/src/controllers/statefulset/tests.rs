//! Tests of the StatefulSet controller in the upstream style: an in-memory fake object
//! manager that records actions, the controller run round after round against a pod
//! lifecycle the test drives, and monotonic invariants checked after every round.

use super::control::{self, Gates, SetStatus};
use super::pod_control::ObjectManager;
use super::utils::{self, *};
use crate::error::{ApiError, ApiResult};
use crate::kinds::Kind;
use crate::object;
use crate::time::Time;
use serde_json::{json, Value};
use std::collections::BTreeMap;

struct Fake {
    set: Value,
    pods: BTreeMap<String, Value>,
    claims: BTreeMap<String, Value>,
    revisions: BTreeMap<String, Value>,
    actions: Vec<String>,
    events: Vec<(String, String, String)>,
    seq: u64,
    now: Time,
    gates: Gates,
}

impl ObjectManager for Fake {
    fn get_pod(&self, _ns: &str, name: &str) -> ApiResult<Value> {
        self.pods
            .get(name)
            .cloned()
            .ok_or_else(|| ApiError::not_found(Kind::Pod, name))
    }
    fn create_pod(&mut self, mut pod: Value) -> ApiResult<()> {
        let name = object::name(&pod).to_string();
        if self.pods.contains_key(&name) {
            return Err(ApiError::already_exists(Kind::Pod, &name));
        }
        self.seq += 1;
        object::set(
            &mut pod,
            &["metadata", "uid"],
            json!(format!("pod-uid-{}", self.seq)),
        );
        object::set(&mut pod, &["status", "phase"], json!("Pending"));
        self.actions.push(format!("create pod {name}"));
        self.pods.insert(name, pod);
        Ok(())
    }
    fn update_pod(&mut self, pod: Value) -> ApiResult<()> {
        let name = object::name(&pod).to_string();
        self.actions.push(format!("update pod {name}"));
        self.pods.insert(name, pod);
        Ok(())
    }
    fn delete_pod(&mut self, _ns: &str, name: &str) -> ApiResult<()> {
        let p = self
            .pods
            .get_mut(name)
            .ok_or_else(|| ApiError::not_found(Kind::Pod, name))?;
        object::set(
            p,
            &["metadata", "deletionTimestamp"],
            json!("2024-01-01T00:00:00Z"),
        );
        self.actions.push(format!("delete pod {name}"));
        Ok(())
    }
    fn get_claim(&self, _ns: &str, name: &str) -> ApiResult<Value> {
        self.claims
            .get(name)
            .cloned()
            .ok_or_else(|| ApiError::not_found(Kind::PersistentVolumeClaim, name))
    }
    fn create_claim(&mut self, mut c: Value) -> ApiResult<Value> {
        let name = object::name(&c).to_string();
        self.seq += 1;
        object::set(
            &mut c,
            &["metadata", "uid"],
            json!(format!("pvc-uid-{}", self.seq)),
        );
        self.actions.push(format!("create claim {name}"));
        self.claims.insert(name, c.clone());
        Ok(c)
    }
    fn update_claim(&mut self, c: Value) -> ApiResult<Value> {
        let name = object::name(&c).to_string();
        self.actions.push(format!("update claim {name}"));
        self.claims.insert(name, c.clone());
        Ok(c)
    }
    fn get_revision(&self, _ns: &str, name: &str) -> ApiResult<Value> {
        self.revisions
            .get(name)
            .cloned()
            .ok_or_else(|| ApiError::not_found(Kind::ControllerRevision, name))
    }
    fn create_revision(&mut self, mut r: Value) -> ApiResult<Value> {
        let name = object::name(&r).to_string();
        if self.revisions.contains_key(&name) {
            return Err(ApiError::already_exists(Kind::ControllerRevision, &name));
        }
        self.seq += 1;
        object::set(
            &mut r,
            &["metadata", "creationTimestamp"],
            json!(format!("t{:08}", self.seq)),
        );
        self.actions.push(format!("create revision {name}"));
        self.revisions.insert(name, r.clone());
        Ok(r)
    }
    fn update_revision(&mut self, r: Value) -> ApiResult<Value> {
        let name = object::name(&r).to_string();
        self.actions
            .push(format!("update revision {name} to {}", revision_number(&r)));
        self.revisions.insert(name, r.clone());
        Ok(r)
    }
    fn delete_revision(&mut self, _ns: &str, name: &str) -> ApiResult<()> {
        self.actions.push(format!("delete revision {name}"));
        self.revisions.remove(name);
        Ok(())
    }
    fn update_set_status(&mut self, _set: &Value, status: Value) -> ApiResult<()> {
        self.set["status"] = status;
        Ok(())
    }
    fn record(&mut self, _set: &Value, t: &str, reason: &str, message: &str) {
        self.events.push((t.into(), reason.into(), message.into()));
    }
}

fn new_set(replicas: i64, extra: Value) -> Value {
    let mut s = json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": "web", "namespace": "default", "uid": "set-uid", "generation": 1},
        "spec": {"replicas": replicas, "serviceName": "nginx",
                 "selector": {"matchLabels": {"app": "nginx"}},
                 "template": {"metadata": {"labels": {"app": "nginx"}},
                              "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}},
                 "volumeClaimTemplates": [{"metadata": {"name": "www"},
                     "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}});
    if let (Some(m), Some(e)) = (s["spec"].as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            m.insert(k.clone(), v.clone());
        }
    }
    crate::defaults::apply(Kind::StatefulSet, &mut s, None);
    s
}

impl Fake {
    fn new(set: Value) -> Fake {
        Fake {
            set,
            pods: BTreeMap::new(),
            claims: BTreeMap::new(),
            revisions: BTreeMap::new(),
            actions: Vec::new(),
            events: Vec::new(),
            seq: 0,
            now: Time(1_000_000),
            gates: Gates::default(),
        }
    }

    /// One sync; returns the actions it took. Checks invariants afterwards.
    fn round(&mut self) -> Vec<String> {
        let before = self.actions.len();
        let set = self.set.clone();
        let pods: Vec<Value> = self.pods.values().cloned().collect();
        let revs: Vec<Value> = self.revisions.values().cloned().collect();
        let claims = self.claims.clone();
        let _ = control::sync(self, &set, &pods, revs, &claims, self.now, self.gates);
        self.check_invariants(&pods);
        self.actions[before..].to_vec()
    }

    /// assertMonotonicInvariants, adapted: a pod is created only when every lower ordinal is
    /// Running and Ready (OrderedReady); every pod has its identity, storage and claims.
    fn check_invariants(&self, before: &[Value]) {
        let set = &self.set;
        for (name, pod) in &self.pods {
            assert!(identity_matches(set, pod), "{name} identity");
            assert!(
                storage_matches(set, pod) || !in_ordinal_range(pod, set),
                "{name} storage"
            );
            for c in claims_for_pod(set, pod) {
                assert!(
                    self.claims.contains_key(object::name(&c)),
                    "claim of {name}"
                );
            }
            let is_new = !before.iter().any(|b| object::name(b) == name);
            if is_new && !allows_burst(set) {
                let ord = ordinal(pod);
                for lower in start_ordinal(set)..ord {
                    let p = before.iter().find(|b| ordinal(b) == lower);
                    assert!(
                        p.is_some_and(is_running_and_ready),
                        "{name} created before web-{lower} was Running and Ready"
                    );
                }
            }
        }
    }

    fn ready(&mut self, name: &str) {
        let now = self.now;
        if let Some(p) = self.pods.get_mut(name) {
            object::set(p, &["status", "phase"], json!("Running"));
            object::set(
                p,
                &["status", "conditions"],
                json!([{"type": "Ready", "status": "True", "lastTransitionTime": now.rfc3339()}]),
            );
        }
    }

    fn ready_all(&mut self) {
        let names: Vec<String> = self.pods.keys().cloned().collect();
        for n in names {
            if !object::is_terminating(&self.pods[&n]) {
                self.ready(&n);
            }
        }
    }

    /// The kubelet finishing every graceful deletion.
    fn finish_terminations(&mut self) {
        self.pods.retain(|_, p| !object::is_terminating(p));
    }

    /// Runs rounds, readying pods and finishing deletions, until nothing changes.
    fn converge(&mut self) {
        for _ in 0..100 {
            self.finish_terminations();
            self.ready_all();
            if self.round().is_empty() {
                return;
            }
        }
        panic!("did not converge");
    }

    fn status(&self) -> SetStatus {
        SetStatus::of(&self.set)
    }

    fn set_image(&mut self, image: &str) {
        self.set["spec"]["template"]["spec"]["containers"][0]["image"] = json!(image);
        let g = object::generation(&self.set) + 1;
        self.set["metadata"]["generation"] = json!(g);
    }

    fn revision_of(&self, pod: &str) -> String {
        pod_revision(&self.pods[pod]).to_string()
    }
}

#[test]
fn ordered_ready_creates_one_pod_at_a_time_claims_first() {
    let mut f = Fake::new(new_set(3, json!({})));
    let a = f.round();
    assert_eq!(
        a[0],
        format!(
            "create revision {}",
            f.revisions.keys().next().cloned().unwrap_or_default()
        )
    );
    assert_eq!(&a[1..], ["create claim www-web-0", "create pod web-0"]);
    assert_eq!(
        f.events,
        vec![
            (
                "Normal".into(),
                "SuccessfulCreate".into(),
                "create Claim www-web-0 Pod web-0 in StatefulSet web success".into()
            ),
            (
                "Normal".into(),
                "SuccessfulCreate".into(),
                "create Pod web-0 in StatefulSet web successful".into()
            ),
        ]
    );
    // The status lags: the pod created this sync is not counted.
    assert_eq!(f.status().replicas, 0);
    assert_eq!(f.set["status"]["collisionCount"], json!(0));
    // Pending web-0 blocks web-1.
    assert_eq!(f.round(), Vec::<String>::new());
    assert_eq!(f.status().replicas, 1);
    f.ready("web-0");
    assert_eq!(f.round(), ["create claim www-web-1", "create pod web-1"]);
    f.converge();
    let st = f.status();
    assert_eq!(
        (
            st.replicas,
            st.ready_replicas,
            st.available_replicas,
            st.current_replicas,
            st.updated_replicas
        ),
        (3, 3, 3, 3, 3)
    );
    assert_eq!(st.current_revision, st.update_revision);
    let pod = &f.pods["web-1"];
    assert_eq!(object::label(pod, POD_NAME_LABEL), Some("web-1"));
    assert_eq!(object::label(pod, POD_INDEX_LABEL), Some("1"));
    assert_eq!(
        object::label(pod, REVISION_LABEL),
        Some(st.update_revision.as_str())
    );
    assert_eq!(pod["spec"]["hostname"], json!("web-1"));
    assert_eq!(pod["spec"]["subdomain"], json!("nginx"));
    assert_eq!(pod["metadata"]["generateName"], json!("web-"));
    assert_eq!(
        pod["spec"]["volumes"],
        json!([{"name": "www", "persistentVolumeClaim": {"claimName": "www-web-1"}}])
    );
    assert_eq!(
        object::controller_ref(pod).map(|r| r.uid),
        Some("set-uid".to_string())
    );
    assert_eq!(
        f.claims["www-web-1"]["metadata"]["labels"],
        json!({"app": "nginx"})
    );
}

#[test]
fn parallel_creates_and_deletes_in_bursts() {
    let mut f = Fake::new(new_set(5, json!({"podManagementPolicy": "Parallel"})));
    let a = f.round();
    assert_eq!(a.iter().filter(|x| x.starts_with("create pod")).count(), 5);
    f.ready_all();
    f.round();
    f.set["spec"]["replicas"] = json!(1);
    let a = f.round();
    assert_eq!(
        a,
        [
            "delete pod web-4",
            "delete pod web-3",
            "delete pod web-2",
            "delete pod web-1"
        ]
    );
}

#[test]
fn scale_down_is_reverse_ordered_and_waits_for_removal() {
    let mut f = Fake::new(new_set(3, json!({})));
    f.converge();
    f.set["spec"]["replicas"] = json!(1);
    assert_eq!(f.round(), ["delete pod web-2"]);
    assert_eq!(
        f.events.last().map(|e| e.2.as_str()),
        Some("delete Pod web-2 in StatefulSet web successful")
    );
    // Terminating web-2 blocks the next deletion.
    assert_eq!(f.round(), Vec::<String>::new());
    f.finish_terminations();
    assert_eq!(f.round(), ["delete pod web-1"]);
    f.finish_terminations();
    f.round();
    assert_eq!(f.pods.keys().collect::<Vec<_>>(), ["web-0"]);
    // Claims are retained by default.
    assert_eq!(f.claims.len(), 3);
}

#[test]
fn unhealthy_condemned_pods_block_unless_first_unavailable() {
    let mut f = Fake::new(new_set(3, json!({})));
    f.converge();
    for n in ["web-0", "web-1", "web-2"] {
        if let Some(p) = f.pods.get_mut(n) {
            object::set(p, &["status", "conditions"], json!([]))
        }
    }
    f.set["spec"]["replicas"] = json!(0);
    assert_eq!(f.round(), Vec::<String>::new());
    f.ready_all();
    if let Some(p) = f.pods.get_mut("web-0") {
        object::set(p, &["status", "conditions"], json!([]))
    }
    assert_eq!(f.round(), ["delete pod web-2"]);
    f.finish_terminations();
    assert_eq!(f.round(), ["delete pod web-1"]);
    f.finish_terminations();
    assert_eq!(f.round(), ["delete pod web-0"]);
}

#[test]
fn failed_pod_is_deleted_and_replaced_on_a_later_sync() {
    let mut f = Fake::new(new_set(2, json!({})));
    f.converge();
    if let Some(p) = f.pods.get_mut("web-0") {
        object::set(p, &["status", "phase"], json!("Failed"))
    }
    assert_eq!(f.round(), ["delete pod web-0"]);
    assert_eq!(f.round(), Vec::<String>::new());
    f.finish_terminations();
    assert_eq!(f.round(), ["create pod web-0"]);
    // The claim was reused: no claim was created again.
    assert_eq!(f.claims.len(), 2);
}

#[test]
fn rolling_update_goes_from_the_highest_ordinal_and_honours_partition() {
    let mut f = Fake::new(new_set(3, json!({})));
    f.converge();
    let old = f.status().update_revision;
    f.set["spec"]["updateStrategy"]["rollingUpdate"]["partition"] = json!(2);
    f.set_image("nginx:1.26");
    assert_eq!(f.round()[1..], ["delete pod web-2".to_string()]);
    let new = f.status().update_revision;
    assert_ne!(old, new);
    f.converge();
    assert_eq!(f.revision_of("web-2"), new);
    assert_eq!(f.revision_of("web-1"), old);
    assert_eq!(f.status().current_revision, old);
    // A deleted pod below the partition comes back at the current revision.
    f.pods.remove("web-0");
    f.converge();
    assert_eq!(f.revision_of("web-0"), old);
    f.set["spec"]["updateStrategy"]["rollingUpdate"]["partition"] = json!(0);
    assert_eq!(f.round(), ["delete pod web-1"]);
    f.converge();
    assert!(["web-0", "web-1", "web-2"]
        .iter()
        .all(|p| f.revision_of(p) == new));
    let st = f.status();
    assert_eq!((st.current_revision.clone(), st.current_replicas), (new, 3));
}

#[test]
fn legacy_update_path_and_max_unavailable_path() {
    let mut f = Fake::new(new_set(4, json!({})));
    f.gates.max_unavailable = false;
    f.converge();
    f.set["spec"]["updateStrategy"]["rollingUpdate"]["maxUnavailable"] = json!(2);
    f.set_image("nginx:2");
    let a = f.round();
    assert_eq!(
        a.iter().filter(|x| x.starts_with("delete")).count(),
        1,
        "{a:?}"
    );
    f.gates.max_unavailable = true;
    f.finish_terminations();
    f.converge();
    f.set_image("nginx:3");
    let a = f.round();
    assert_eq!(
        a[1..],
        [
            "delete pod web-3".to_string(),
            "delete pod web-2".to_string()
        ]
    );
    // maxUnavailable counts unavailable pods below the partition too.
    f.finish_terminations();
    f.converge();
    f.set["spec"]["updateStrategy"]["rollingUpdate"]["partition"] = json!(3);
    if let Some(p) = f.pods.get_mut("web-0") {
        object::set(p, &["status", "conditions"], json!([]))
    }
    f.set_image("nginx:4");
    let a = f.round();
    assert!(!a.iter().any(|x| x.starts_with("delete")), "{a:?}");
}

#[test]
fn on_delete_never_replaces_pods_by_itself() {
    let mut f = Fake::new(new_set(2, json!({"updateStrategy": {"type": "OnDelete"}})));
    f.converge();
    let old = f.status().current_revision;
    f.set_image("nginx:2");
    let a = f.round();
    assert!(!a.iter().any(|x| x.starts_with("delete")));
    f.pods.remove("web-1");
    f.converge();
    let st = f.status();
    assert_eq!(f.revision_of("web-1"), st.update_revision);
    assert_eq!(f.revision_of("web-0"), old);
    f.pods.remove("web-0");
    f.converge();
    let st = f.status();
    assert_eq!(st.updated_replicas, 2);
    // currentRevision is never advanced for OnDelete.
    assert_eq!(st.current_revision, old);
}

#[test]
fn rollback_reuses_the_old_revision_and_bumps_its_number() {
    let mut f = Fake::new(new_set(1, json!({})));
    f.converge();
    let rev1 = f.status().update_revision;
    f.set_image("nginx:2");
    f.converge();
    let rev2 = f.status().update_revision;
    assert_ne!(rev1, rev2);
    f.set_image("nginx:1.25");
    let a = f.round();
    assert_eq!(a[0], format!("update revision {rev1} to 3"));
    assert_eq!(f.status().update_revision, rev1);
    assert_eq!(f.revisions.len(), 2);
    f.converge();
    assert_eq!(revision_number(&f.revisions[&rev1]), 3);
}

#[test]
fn history_is_truncated_to_the_limit_keeping_live_revisions() {
    let mut f = Fake::new(new_set(1, json!({"revisionHistoryLimit": 1})));
    f.converge();
    for i in 2..6 {
        f.set_image(&format!("nginx:{i}"));
        f.converge();
    }
    // The status write that advanced currentRevision triggers one more sync, which truncates.
    f.round();
    // Live (current = update) plus one of history.
    assert_eq!(f.revisions.len(), 2);
    let numbers: Vec<i64> = f.revisions.values().map(revision_number).collect();
    assert!(numbers.contains(&5) && numbers.contains(&4), "{numbers:?}");
}

#[test]
fn revision_hash_is_stable_and_looks_real() {
    let a = new_revision(&new_set(3, json!({})), 1, 0);
    let b = new_revision(&new_set(5, json!({"minReadySeconds": 3})), 1, 0);
    assert_eq!(
        object::name(&a),
        object::name(&b),
        "only the template is versioned"
    );
    let hash = object::label(&a, HISTORY_HASH_LABEL).unwrap_or("");
    assert!(!hash.is_empty() && hash.len() <= 10);
    assert!(hash.chars().all(|c| "456789bcdf".contains(c)));
    assert_eq!(object::name(&a), format!("web-{hash}"));
    let mut other = new_set(3, json!({}));
    other["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:2");
    assert_ne!(object::name(&new_revision(&other, 1, 0)), object::name(&a));
    assert_ne!(
        object::name(&new_revision(&other, 1, 1)),
        object::name(&new_revision(&other, 1, 0))
    );
    assert_eq!(
        go_json(&a["data"]).get(..40),
        Some("{\"spec\":{\"template\":{\"$patch\":\"replace\",")
    );
}

#[test]
fn revision_collision_bumps_collision_count() {
    let mut f = Fake::new(new_set(1, json!({})));
    let clash = new_revision(&f.set, 1, 0);
    let mut squatter = clash.clone();
    squatter["data"] = json!({"spec": {"template": {"$patch": "replace", "metadata": {}}}});
    squatter["metadata"]["ownerReferences"] = json!([]);
    f.revisions
        .insert(object::name(&clash).to_string(), squatter);
    // The squatter is not owned by the set, so the controller doesn't list it.
    let set = f.set.clone();
    let (now, gates) = (f.now, f.gates);
    let _ = control::sync(&mut f, &set, &[], vec![], &BTreeMap::new(), now, gates);
    assert_eq!(f.set["status"]["collisionCount"], json!(1));
    assert_eq!(
        f.status().update_revision,
        object::name(&new_revision(&set, 1, 1))
    );
}

#[test]
fn min_ready_seconds_gates_creation_and_availability() {
    let mut f = Fake::new(new_set(2, json!({"minReadySeconds": 10})));
    f.round();
    f.ready("web-0");
    assert_eq!(f.round(), Vec::<String>::new());
    assert_eq!(
        (f.status().ready_replicas, f.status().available_replicas),
        (1, 0)
    );
    f.now = f.now.plus_secs(11);
    assert_eq!(f.round(), ["create claim www-web-1", "create pod web-1"]);
    assert_eq!(f.status().available_replicas, 1);
}

#[test]
fn ordinals_start_shifts_names_and_partition_index() {
    let mut f = Fake::new(new_set(2, json!({"ordinals": {"start": 5}})));
    f.converge();
    assert_eq!(f.pods.keys().collect::<Vec<_>>(), ["web-5", "web-6"]);
    assert_eq!(object::label(&f.pods["web-6"], POD_INDEX_LABEL), Some("6"));
    f.set["spec"]["ordinals"]["start"] = json!(6);
    // Scale-up of the new range comes before deleting the condemned web-5.
    assert_eq!(f.round(), ["create claim www-web-7", "create pod web-7"]);
    f.ready("web-7");
    assert_eq!(f.round(), ["delete pod web-5"]);
}

#[test]
fn claim_being_deleted_blocks_pod_creation() {
    let mut f = Fake::new(new_set(1, json!({})));
    f.claims.insert(
        "www-web-0".into(),
        json!({"metadata": {"name": "www-web-0", "uid": "c", "deletionTimestamp": "2024-01-01T00:00:00Z"}}),
    );
    let a = f.round();
    assert!(!a.iter().any(|x| x.starts_with("create pod")));
    assert_eq!(
        f.events.last().map(|e| (e.1.as_str(), e.2.as_str())),
        Some((
            "FailedCreate",
            "create Pod web-0 in StatefulSet web failed error: pvc www-web-0 is being deleted"
        ))
    );
    // A live claim is reused without an event.
    f.claims.insert(
        "www-web-0".into(),
        json!({"metadata": {"name": "www-web-0", "uid": "c"}}),
    );
    f.events.clear();
    assert_eq!(f.round(), ["create pod web-0"]);
    assert_eq!(f.events.len(), 1);
}

fn owner_kinds(claim: &Value) -> Vec<String> {
    object::owner_refs(claim)
        .iter()
        .map(|r| format!("{}/{}", r.kind, r.name))
        .collect()
}

#[test]
fn retention_policy_owner_refs_follow_the_table() {
    for (deleted, scaled, in_range, condemned) in [
        ("Retain", "Retain", vec![], vec![]),
        (
            "Delete",
            "Retain",
            vec!["StatefulSet/web"],
            vec!["StatefulSet/web"],
        ),
        ("Retain", "Delete", vec![], vec!["Pod/web-1"]),
        (
            "Delete",
            "Delete",
            vec!["StatefulSet/web"],
            vec!["Pod/web-1"],
        ),
    ] {
        let policy = json!({"persistentVolumeClaimRetentionPolicy": {"whenDeleted": deleted, "whenScaled": scaled}});
        let mut f = Fake::new(new_set(2, policy));
        f.converge();
        assert_eq!(
            owner_kinds(&f.claims["www-web-0"]),
            in_range,
            "{deleted}/{scaled} in range"
        );
        f.set["spec"]["replicas"] = json!(1);
        f.round();
        assert_eq!(
            owner_kinds(&f.claims["www-web-1"]),
            condemned,
            "{deleted}/{scaled} condemned"
        );
        let r = object::controller_ref(&f.claims["www-web-1"]);
        if let Some(r) = r {
            assert_eq!(r.block_owner_deletion, Some(true));
        }
    }
}

#[test]
fn stale_claim_blocks_creation_until_collected() {
    let policy = json!({"persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Retain", "whenScaled": "Delete"}});
    let mut f = Fake::new(new_set(1, policy));
    f.claims.insert(
        "www-web-0".into(),
        json!({"metadata": {"name": "www-web-0", "uid": "c", "ownerReferences": [
            {"apiVersion": "v1", "kind": "Pod", "name": "web-0", "uid": "old-pod", "controller": true}]}}),
    );
    let a = f.round();
    assert!(!a.iter().any(|x| x.contains("pod")), "{a:?}");
    f.claims.clear();
    let a = f.round();
    assert_eq!(a, ["create claim www-web-0", "create pod web-0"]);
}

#[test]
fn conflicting_controller_is_left_alone_with_a_warning() {
    let policy = json!({"persistentVolumeClaimRetentionPolicy": {"whenDeleted": "Delete", "whenScaled": "Retain"}});
    let mut f = Fake::new(new_set(1, policy));
    f.claims.insert(
        "www-web-0".into(),
        json!({"metadata": {"name": "www-web-0", "uid": "c", "ownerReferences": [
            {"apiVersion": "v1", "kind": "ConfigMap", "name": "cm", "uid": "cm", "controller": true}]}}),
    );
    f.round();
    assert!(f.events.iter().any(|e| e.1 == "ConflictingController"
        && e.2 == "PersistentVolumeClaim www-web-0 has a conflicting OwnerReference that acts as a manging controller, the retention policy is ignored for this claim"));
    assert_eq!(owner_kinds(&f.claims["www-web-0"]), ["ConfigMap/cm"]);
}

#[test]
fn identity_repair_emits_successful_update() {
    let mut f = Fake::new(new_set(1, json!({})));
    f.converge();
    f.pods
        .get_mut("web-0")
        .and_then(|p| p["metadata"]["labels"].as_object_mut())
        .map(|l| l.remove(POD_NAME_LABEL));
    assert_eq!(f.round(), ["update pod web-0"]);
    assert_eq!(
        f.events.last().map(|e| e.2.as_str()),
        Some("update Pod web-0 in StatefulSet web successful")
    );
    assert_eq!(
        object::label(&f.pods["web-0"], POD_NAME_LABEL),
        Some("web-0")
    );
}

#[test]
fn deleting_set_only_writes_status() {
    let mut f = Fake::new(new_set(2, json!({})));
    f.set["metadata"]["deletionTimestamp"] = json!("2024-01-01T00:00:00Z");
    let a = f.round();
    assert!(a.iter().all(|x| x.starts_with("create revision")), "{a:?}");
}

#[test]
fn status_counts_terminating_pods_as_replicas_only() {
    let mut f = Fake::new(new_set(2, json!({})));
    f.converge();
    f.set["spec"]["replicas"] = json!(1);
    f.round();
    f.round();
    let st = f.status();
    assert_eq!(
        (st.replicas, st.ready_replicas, st.current_replicas),
        (2, 2, 1)
    );
}

#[test]
fn new_ordinals_use_update_revision_when_rolling_update_is_nil() {
    // S2.2 with `type: RollingUpdate` and no rollingUpdate block: ordinals below
    // status.currentReplicas come back at the current revision.
    let mut f = Fake::new(new_set(
        2,
        json!({"updateStrategy": {"type": "RollingUpdate"}}),
    ));
    f.converge();
    let old = f.status().current_revision;
    f.set_image("nginx:9");
    f.set["spec"]["replicas"] = json!(3);
    f.round();
    // Scaling comes first and the new ordinal is at the update revision.
    assert_ne!(f.revision_of("web-2"), old);
    assert_eq!(utils::partition(&f.set), 0);
}

// ---------------------------------------------------------------------------------------------
// Through the real Api: plumbing, adoption and release.

#[test]
fn controller_adopts_members_and_ignores_non_members() {
    use crate::controllers::{Controller, Ctx, ObjectKey};
    let mut api = crate::api::Api::new(1, Time(1_700_000_000_000));
    api.create(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "default"}}))
        .ok();
    let mut set = new_set(2, json!({}));
    object::remove(&mut set, &["metadata", "uid"]);
    object::remove(&mut set, &["metadata", "generation"]);
    let set = api.create(set).expect("set created");
    for name in ["web-1", "web-abc"] {
        api.create(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default", "labels": {"app": "nginx"}},
            "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}}))
            .expect("pod created");
    }
    let mut c = super::StatefulSetController::new();
    let mut runtime = crate::runtime::Runtime::default();
    let config = crate::Config::default();
    let mut ctx = Ctx {
        api: &mut api,
        runtime: &mut runtime,
        config: &config,
    };
    let key = ObjectKey::of(Kind::StatefulSet, &set);
    c.reconcile(&key, &mut ctx);
    let uid = object::uid(&set).to_string();
    let owner = |api: &crate::api::Api, n: &str| {
        api.try_get(Kind::Pod, "default", n)
            .and_then(|p| object::controller_ref(p))
            .map(|r| r.uid)
    };
    assert_eq!(owner(&api, "web-1"), Some(uid.clone()));
    assert_eq!(owner(&api, "web-abc"), None);
    assert_eq!(owner(&api, "web-0"), Some(uid.clone()));
    assert!(api
        .try_get(Kind::PersistentVolumeClaim, "default", "www-web-0")
        .is_some());
    let revs = api.list(
        Kind::ControllerRevision,
        Some("default"),
        &crate::selector::Selector::everything(),
    );
    assert_eq!(revs.len(), 1);
    // Relabel web-1 away from the selector: it is released.
    let mut p = (*api.get(Kind::Pod, "default", "web-1").expect("pod")).clone();
    p["metadata"]["labels"] = json!({"app": "other"});
    api.update(p).expect("relabel");
    let mut ctx = Ctx {
        api: &mut api,
        runtime: &mut runtime,
        config: &config,
    };
    c.reconcile(&key, &mut ctx);
    assert_eq!(owner(&api, "web-1"), None);
}

#[test]
fn cluster_bootstraps_and_the_controller_settles_with_pending_pods() {
    let mut c = crate::Cluster::new(crate::Config::default());
    let mut set = new_set(3, json!({}));
    object::remove(&mut set, &["metadata", "uid"]);
    object::remove(&mut set, &["metadata", "generation"]);
    // No node carries this label, so the scheduler can never place web-0.
    set["spec"]["template"]["spec"]["nodeSelector"] = json!({"disktype": "none"});
    c.api.create(set).expect("set created");
    assert!(c.settle(60_000), "settles: no perpetual timers");
    assert!(!c.livelock);
    let pods = c.api.list(
        Kind::Pod,
        Some("default"),
        &crate::selector::Selector::everything(),
    );
    // web-0 stays Pending, so OrderedReady creates nothing more (S3.9.1).
    assert_eq!(
        pods.iter().map(|p| object::name(p)).collect::<Vec<_>>(),
        ["web-0"]
    );
    assert_eq!(pods[0]["status"]["phase"], json!("Pending"));
    assert_eq!(object::get_str(&pods[0], &["spec", "nodeName"]), None);
    let set = c.api.get(Kind::StatefulSet, "default", "web").expect("set");
    assert_eq!(set["status"]["replicas"], json!(1));
    assert_eq!(set["status"]["observedGeneration"], json!(1));
}

#[test]
fn cluster_runs_the_set_up_in_order_and_settles() {
    let mut c = crate::Cluster::new(crate::Config::default());
    let mut set = new_set(3, json!({}));
    object::remove(&mut set, &["metadata", "uid"]);
    object::remove(&mut set, &["metadata", "generation"]);
    let head = c.api.store.head();
    c.api.create(set).expect("set created");
    assert!(c.settle(600_000), "settles: no perpetual timers");
    assert!(!c.livelock);
    let pods = c.api.list(
        Kind::Pod,
        Some("default"),
        &crate::selector::Selector::everything(),
    );
    assert_eq!(
        pods.iter().map(|p| object::name(p)).collect::<Vec<_>>(),
        ["web-0", "web-1", "web-2"]
    );
    for p in &pods {
        assert_eq!(p["status"]["phase"], json!("Running"));
    }
    // S3.9.1: each claim before its pod, and web-(i+1) only after web-i is Running and Ready.
    let mut created: Vec<String> = Vec::new();
    let mut ready: Vec<String> = Vec::new();
    for ev in c.api.store.events_since(head).expect("log kept") {
        let name = object::name(ev.object()).to_string();
        match (ev.kind, ev.event_type) {
            (Kind::PersistentVolumeClaim, crate::store::EventType::Added) => {
                created.push(format!("claim {name}"))
            }
            (Kind::Pod, crate::store::EventType::Added) => {
                if let Some(i) = name
                    .strip_prefix("web-")
                    .and_then(|i| i.parse::<usize>().ok())
                {
                    if i > 0 {
                        assert!(
                            ready.contains(&format!("web-{}", i - 1)),
                            "{name} created before web-{} was Ready",
                            i - 1
                        );
                    }
                }
                created.push(format!("pod {name}"))
            }
            (Kind::Pod, _) => {
                let is_ready = object::get_array(ev.object(), &["status", "conditions"])
                    .iter()
                    .any(|c| c["type"] == "Ready" && c["status"] == "True");
                if is_ready && !ready.contains(&name) {
                    ready.push(name);
                }
            }
            _ => {}
        }
    }
    assert_eq!(
        created,
        [
            "claim www-web-0",
            "pod web-0",
            "claim www-web-1",
            "pod web-1",
            "claim www-web-2",
            "pod web-2"
        ]
    );
    let set = c.api.get(Kind::StatefulSet, "default", "web").expect("set");
    for field in [
        "replicas",
        "readyReplicas",
        "availableReplicas",
        "currentReplicas",
        "updatedReplicas",
    ] {
        assert_eq!(set["status"][field], json!(3), "status.{field}");
    }
    assert_eq!(set["status"]["observedGeneration"], json!(1));
}

/// A set for the cluster runs below: `name`'s pods labelled `app: name`.
fn cluster_set(name: &str, replicas: i64, extra: Value, claims: bool) -> Value {
    let mut s = json!({"apiVersion": "apps/v1", "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"replicas": replicas, "serviceName": name,
                 "selector": {"matchLabels": {"app": name}},
                 "template": {"metadata": {"labels": {"app": name}},
                              "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25"}]}}}});
    if claims {
        s["spec"]["volumeClaimTemplates"] = json!([{"metadata": {"name": "www"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]);
    }
    if let (Some(m), Some(e)) = (s["spec"].as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            m.insert(k.clone(), v.clone());
        }
    }
    s
}

/// A mixed scenario (OrderedReady and Parallel, claims and retention, minReadySeconds,
/// scale up and down, rolling updates with a partition, OnDelete, a deleted pod) run on a
/// whole cluster; returns every object, the watch log and the reconcile counts as text, and
/// how many syncs the `Settled` shortcut answered.
fn mixed_cluster_run(full_syncs: bool) -> (String, usize) {
    super::FULL_SYNCS.with(|f| f.set(full_syncs));
    super::SETTLED_SKIPS.with(|n| n.set(0));
    let mut c = crate::Cluster::new(crate::Config::default());
    let head = c.api.store.head();
    let sets = [
        cluster_set("a", 3, json!({}), true),
        cluster_set(
            "b",
            4,
            json!({"podManagementPolicy": "Parallel", "minReadySeconds": 3}),
            false,
        ),
        cluster_set(
            "c",
            3,
            json!({"podManagementPolicy": "Parallel", "updateStrategy": {"type": "OnDelete"},
                   "persistentVolumeClaimRetentionPolicy": {"whenScaled": "Delete", "whenDeleted": "Retain"}}),
            true,
        ),
        cluster_set(
            "d",
            3,
            json!({"podManagementPolicy": "Parallel",
                   "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"partition": 1, "maxUnavailable": 2}}}),
            false,
        ),
    ];
    for s in sets {
        c.api.create(s).expect("set created");
    }
    let mut log = String::new();
    let settle = |c: &mut crate::Cluster, log: &mut String| {
        let settled = c.settle(600_000);
        log.push_str(&format!("settled {settled} livelock {}\n", c.livelock));
    };
    settle(&mut c, &mut log);
    let patch = |c: &mut crate::Cluster, name: &str, body: Value| {
        c.api
            .patch(
                Kind::StatefulSet,
                "default",
                name,
                crate::api::PatchType::Merge,
                &body,
            )
            .expect("patched");
    };
    let image = |i: &str| json!({"spec": {"template": {"spec": {"containers": [{"name": "nginx", "image": i}]}}}});
    patch(&mut c, "a", json!({"spec": {"replicas": 4}}));
    patch(&mut c, "a", image("nginx:1.26"));
    patch(&mut c, "b", json!({"spec": {"replicas": 2}}));
    patch(&mut c, "c", json!({"spec": {"replicas": 1}}));
    patch(&mut c, "d", image("nginx:1.26"));
    c.run_now();
    c.advance(1_500);
    settle(&mut c, &mut log);
    c.api
        .delete(
            Kind::Pod,
            "default",
            "b-0",
            &crate::api::DeleteOptions::default(),
        )
        .expect("deleted");
    patch(&mut c, "b", image("nginx:1.26"));
    patch(&mut c, "c", json!({"spec": {"replicas": 3}}));
    settle(&mut c, &mut log);
    for (_, o) in c.api.store.all_objects() {
        log.push_str(&serde_json::to_string(&**o).unwrap_or_default());
        log.push('\n');
    }
    for ev in c.api.store.events_since(head).expect("log kept") {
        log.push_str(&format!(
            "{:?} {:?} {} {} {:?}\n",
            ev.event_type,
            ev.kind,
            object::name(ev.object()),
            object::get_str(ev.object(), &["metadata", "resourceVersion"]).unwrap_or(""),
            ev.time
        ));
    }
    log.push_str(&format!("{:?} {:?}\n", c.reconciles(), c.now()));
    super::FULL_SYNCS.with(|f| f.set(false));
    (log, super::SETTLED_SKIPS.with(std::cell::Cell::get))
}

#[test]
fn settled_syncs_are_skipped_with_the_same_outcome_as_full_syncs() {
    let (full, none) = mixed_cluster_run(true);
    let (short, skipped) = mixed_cluster_run(false);
    assert_eq!(none, 0);
    assert!(skipped > 0, "the shortcut answered no sync");
    assert!(full.contains("settled true livelock false"), "{full}");
    if full != short {
        let first = full
            .lines()
            .zip(short.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "line {first} differs:\nfull:  {}\nshort: {}",
            full.lines().nth(first).unwrap_or(""),
            short.lines().nth(first).unwrap_or("")
        );
    }
}

#[test]
fn pod_memos_tell_apart_names_that_share_their_first_16_bytes() {
    use super::{PodMemo, PodMemos};
    let memo = |app: &str| PodMemo {
        owner: None,
        labels: BTreeMap::from([("app".to_string(), app.to_string())]),
    };
    let names = [
        "web-0",
        "web-0\0",
        "a-very-long-statefulset-name-0",
        "a-very-long-statefulset-name-1",
        "a-very-long-stat",
    ];
    let mut m = PodMemos::default();
    for n in names {
        assert_eq!(m.insert(n, memo(n)), None);
    }
    for n in names {
        assert_eq!(m.get(n), Some(&memo(n)), "{n:?}");
    }
    assert_eq!(m.get("web-1"), None);
    assert_eq!(m.get("a-very-long-statefulset-name-2"), None);
    assert_eq!(m.insert("web-0", memo("x")), Some(memo("web-0")));
    assert_eq!(m.get("web-0"), Some(&memo("x")));
    assert_eq!(m.get("web-0\0"), Some(&memo("web-0\0")));
    assert_eq!(
        m.remove("a-very-long-statefulset-name-0"),
        Some(memo(names[2]))
    );
    assert_eq!(m.remove("a-very-long-statefulset-name-0"), None);
    assert_eq!(
        m.get("a-very-long-statefulset-name-1"),
        Some(&memo(names[3]))
    );
    for n in ["web-0", "web-0\0", names[3], names[4]] {
        assert!(m.remove(n).is_some());
    }
    assert!(m.is_empty());
}

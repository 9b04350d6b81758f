//! Tests of the Deployment controller in the upstream style: a fake object manager that
//! records every action, the sync run round after round while the test plays the
//! ReplicaSet controller (pods appear and turn available when it says), and the rolling-update
//! invariants (never more than replicas+maxSurge pods, never fewer than replicas-maxUnavailable
//! available) checked after every round. Plus whole-cluster tests through `Cluster`.

use super::sync::{new_rs_new_replicas, DeploymentObjects, Sync};
use super::util::*;
use crate::error::{ApiError, ApiResult};
use crate::kinds::Kind;
use crate::object;
use crate::time::Time;
use serde_json::{json, Value};
use std::collections::BTreeMap;

#[derive(Default)]
struct Fake {
    rss: BTreeMap<String, Value>,
    actions: Vec<String>,
    events: Vec<String>,
    seq: u64,
    now: Time,
}

impl DeploymentObjects for Fake {
    fn get_rs(&self, _ns: &str, name: &str) -> Option<Value> {
        self.rss.get(name).cloned()
    }
    fn create_rs(&mut self, mut rs: Value) -> ApiResult<Value> {
        let name = object::name(&rs).to_string();
        if self.rss.contains_key(&name) {
            return Err(ApiError::already_exists(Kind::ReplicaSet, &name));
        }
        self.seq += 1;
        object::set(
            &mut rs,
            &["metadata", "uid"],
            json!(format!("rs-{}", self.seq)),
        );
        object::set(
            &mut rs,
            &["metadata", "creationTimestamp"],
            json!(self.now.plus_secs(self.seq).rfc3339()),
        );
        self.actions
            .push(format!("create {name} {}", replicas(&rs)));
        self.rss.insert(name, rs.clone());
        Ok(rs)
    }
    fn update_rs(&mut self, rs: Value) -> ApiResult<Value> {
        let name = object::name(&rs).to_string();
        self.actions.push(format!("scale {name} {}", replicas(&rs)));
        self.rss.insert(name, rs.clone());
        Ok(rs)
    }
    fn delete_rs(&mut self, _ns: &str, name: &str) -> ApiResult<()> {
        self.actions.push(format!("delete {name}"));
        self.rss.remove(name);
        Ok(())
    }
    fn update_status(&mut self, d: Value) -> ApiResult<Value> {
        Ok(d)
    }
    fn record(&mut self, _d: &Value, _t: &str, reason: &str, message: &str) {
        self.events.push(format!("{reason}: {message}"));
    }
}

fn deployment(image: &str, replicas: i64, surge: Value, unavailable: Value) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "uid": "d-uid", "generation": 1},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                 "strategy": {"type": "RollingUpdate",
                              "rollingUpdate": {"maxSurge": surge, "maxUnavailable": unavailable}},
                 "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600,
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "web", "image": image}]}}}
    })
}

/// Plays the ReplicaSet controller: every set's pods exist at once and are available.
fn settle_sets(fake: &mut Fake) {
    for rs in fake.rss.values_mut() {
        let r = replicas(rs);
        object::set(rs, &["status", "replicas"], json!(r));
        object::set(rs, &["status", "readyReplicas"], json!(r));
        object::set(rs, &["status", "availableReplicas"], json!(r));
        object::set(rs, &["status", "observedGeneration"], json!(1));
    }
}

fn round(fake: &mut Fake, d: Value) -> Value {
    let rss: Vec<Value> = fake.rss.values().cloned().collect();
    let now = fake.now;
    let mut s = Sync {
        objects: fake,
        now,
        d,
        rss,
        stuck: false,
        requeue_after: None,
    };
    s.sync_deployment(&[]).expect("sync");
    s.d
}

/// Runs rounds until nothing changes, checking the rolling-update bounds after each one.
fn roll(fake: &mut Fake, mut d: Value) -> Value {
    let (surge, unavailable) = (max_surge(&d), max_unavailable(&d));
    let min_available = replicas(&d) - unavailable;
    // The availability bound holds once the deployment has been available (an update).
    let all: Vec<&Value> = fake.rss.values().collect();
    let was_available = status_count(&all, "availableReplicas") >= min_available;
    for _ in 0..50 {
        let before = fake.actions.len();
        d = round(fake, d);
        let all: Vec<&Value> = fake.rss.values().collect();
        assert!(
            spec_count(&all) <= replicas(&d) + surge,
            "more than replicas+maxSurge pods: {:?}",
            fake.actions
        );
        settle_sets(fake);
        let all: Vec<&Value> = fake.rss.values().collect();
        assert!(
            !was_available || status_count(&all, "availableReplicas") >= min_available,
            "fewer than replicas-maxUnavailable available: {:?}",
            fake.actions
        );
        if fake.actions.len() == before {
            d = round(fake, d);
            return d;
        }
    }
    panic!("no fixed point: {:?}", fake.actions);
}

#[test]
fn first_rollout_creates_one_set_at_full_size_with_revision_1() {
    let mut fake = Fake::default();
    let d = roll(
        &mut fake,
        deployment("nginx:1.14.2", 3, json!("25%"), json!("25%")),
    );
    assert_eq!(fake.rss.len(), 1);
    let rs = fake.rss.values().next().cloned().unwrap_or_default();
    let hash = object::label(&rs, HASH_LABEL).unwrap_or("").to_string();
    assert_eq!(object::name(&rs), format!("web-{hash}"));
    assert_eq!(
        rs["spec"]["selector"]["matchLabels"],
        json!({"app": "web", "pod-template-hash": hash})
    );
    assert_eq!(object::annotation(&rs, REVISION), Some("1"));
    assert_eq!(object::annotation(&rs, DESIRED_REPLICAS), Some("3"));
    assert_eq!(object::annotation(&rs, MAX_REPLICAS), Some("4"));
    assert_eq!(object::annotation(&d, REVISION), Some("1"));
    assert_eq!(
        fake.events,
        vec![format!(
            "ScalingReplicaSet: Scaled up replica set web-{hash} from 0 to 3"
        )]
    );
    let reasons: Vec<&str> = object::get_array(&d, &["status", "conditions"])
        .iter()
        .filter_map(|c| object::get_str(c, &["reason"]))
        .collect();
    assert_eq!(reasons, vec![MIN_AVAILABLE, NEW_RS_AVAILABLE]);
}

#[test]
fn rolling_update_respects_surge_and_unavailable() {
    for (replicas, surge, unavailable) in [
        (3, json!("25%"), json!("25%")),
        (10, json!("25%"), json!("25%")),
        (4, json!(0), json!(1)),
        (5, json!(2), json!(0)),
        (1, json!("50%"), json!(0)),
    ] {
        let mut fake = Fake::default();
        let d = deployment("nginx:1.14.2", replicas, surge.clone(), unavailable.clone());
        let mut d = roll(&mut fake, d);
        d["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.16.1");
        d["metadata"]["generation"] = json!(2);
        fake.actions.clear();
        fake.events.clear();
        let d = roll(&mut fake, d);
        let new = fake
            .rss
            .values()
            .find(|r| revision(r) == 2)
            .cloned()
            .unwrap_or_default();
        assert_eq!(replicas_of(&new), replicas, "{surge} {unavailable}");
        assert!(fake
            .rss
            .values()
            .filter(|r| revision(r) == 1)
            .all(|r| replicas_of(r) == 0));
        assert_eq!(object::annotation(&d, REVISION), Some("2"));
        assert!(fake
            .events
            .iter()
            .any(|e| e.contains("Scaled down replica set")));
    }
}

fn replicas_of(rs: &Value) -> i64 {
    replicas(rs)
}

#[test]
fn rollback_reuses_the_old_set_and_records_revision_history() {
    let mut fake = Fake::default();
    let v1 = deployment("nginx:1.14.2", 3, json!("25%"), json!("25%"));
    let d = roll(&mut fake, v1.clone());
    let mut v2 = d.clone();
    v2["spec"]["template"] = json!({"metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [{"name": "web", "image": "nginx:1.16.1"}]}});
    let d = roll(&mut fake, v2);
    let mut back = d.clone();
    back["spec"]["template"] = v1["spec"]["template"].clone();
    let d = roll(&mut fake, back);
    assert_eq!(fake.rss.len(), 2, "no third set: {:?}", fake.actions);
    let first = fake
        .rss
        .values()
        .find(|r| equal_ignore_hash(r, &v1))
        .cloned()
        .unwrap_or_default();
    assert_eq!(object::annotation(&first, REVISION), Some("3"));
    assert_eq!(object::annotation(&first, REVISION_HISTORY), Some("1"));
    assert_eq!(replicas(&first), 3);
    assert_eq!(object::annotation(&d, REVISION), Some("3"));
}

#[test]
fn recreate_scales_old_to_zero_before_creating_the_new_set() {
    let mut fake = Fake::default();
    let mut d = deployment("nginx:1.14.2", 3, json!(0), json!(0));
    d["spec"]["strategy"] = json!({"type": "Recreate"});
    let mut d = roll(&mut fake, d);
    d["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.16.1");
    fake.actions.clear();
    // Old pods still exist: only the scale-down happens.
    let d = round(&mut fake, d);
    assert_eq!(fake.actions.len(), 1, "{:?}", fake.actions);
    assert!(fake.actions[0].starts_with("scale web-") && fake.actions[0].ends_with(" 0"));
    // The replica set controller has not removed the pods yet: still nothing new.
    let d = round(&mut fake, d);
    assert_eq!(fake.actions.len(), 1, "{:?}", fake.actions);
    settle_sets(&mut fake);
    let _ = round(&mut fake, d);
    assert!(fake.actions[1].starts_with("create web-") && fake.actions[1].ends_with(" 3"));
}

#[test]
fn history_limit_deletes_the_oldest_empty_sets() {
    let mut fake = Fake::default();
    let mut d = deployment("img:0", 2, json!(1), json!(0));
    d["spec"]["revisionHistoryLimit"] = json!(2);
    let mut d = roll(&mut fake, d);
    for i in 1..=4 {
        d["spec"]["template"]["spec"]["containers"][0]["image"] = json!(format!("img:{i}"));
        d = roll(&mut fake, d);
    }
    // The new set plus two old ones survive.
    let mut revs: Vec<i64> = fake.rss.values().map(revision).collect();
    revs.sort();
    assert_eq!(revs, vec![3, 4, 5], "{:?}", fake.actions);
}

#[test]
fn scaling_mid_rollout_is_proportional() {
    let mut fake = Fake::default();
    let d = roll(&mut fake, deployment("img:1", 10, json!(3), json!(2)));
    let mut d2 = d.clone();
    d2["spec"]["template"]["spec"]["containers"][0]["image"] = json!("img:2");
    // One round: new set created at 3 (surge), nothing available yet.
    let d2 = round(&mut fake, d2);
    let mut d3 = d2.clone();
    d3["spec"]["replicas"] = json!(20);
    let _ = round(&mut fake, d3);
    let mut sizes: Vec<(i64, i64)> = fake
        .rss
        .values()
        .map(|r| (revision(r), replicas(r)))
        .collect();
    sizes.sort();
    // 13 pods for a max of 13 become 23 (20 + maxSurge 3): proportionally 10→18, 3→5.
    assert_eq!(sizes, vec![(1, 18), (2, 5)]);
    assert!(sizes[0].1 > sizes[1].1, "{sizes:?}");
}

#[test]
fn new_replicas_never_exceed_surge() {
    let d = deployment("x", 4, json!(1), json!(1));
    let old = json!({"spec": {"replicas": 4}});
    let new = json!({"spec": {"replicas": 0}});
    assert_eq!(new_rs_new_replicas(&d, &[&old, &new], &new), 1);
    let old3 = json!({"spec": {"replicas": 3}});
    let new1 = json!({"spec": {"replicas": 1}});
    assert_eq!(new_rs_new_replicas(&d, &[&old3, &new1], &new1), 2);
}

// ---------------------------------------------------------------------------------------------
// Whole cluster

fn cluster() -> crate::Cluster {
    crate::Cluster::new(crate::Config::default())
}

fn nginx(c: &mut crate::Cluster, image: &str) {
    let d = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "nginx", "namespace": "default"},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "nginx"}},
                 "template": {"metadata": {"labels": {"app": "nginx"}},
                              "spec": {"containers": [{"name": "nginx", "image": image}]}}}});
    match c.api.try_get(Kind::Deployment, "default", "nginx").cloned() {
        None => {
            c.api.create(d).expect("create");
        }
        Some(cur) => {
            let mut cur = (*cur).clone();
            cur["spec"]["template"] = d["spec"]["template"].clone();
            c.api.update(cur).expect("update");
        }
    }
}

fn pods(c: &crate::Cluster) -> Vec<std::sync::Arc<Value>> {
    c.api
        .list(Kind::Pod, Some("default"), &crate::Selector::everything())
}

#[test]
fn cluster_runs_pods_with_random_suffixes_and_rolls_updates() {
    let mut c = cluster();
    nginx(&mut c, "nginx:1.14.2");
    assert!(c.settle(600_000));
    let ps = pods(&c);
    assert_eq!(ps.len(), 3);
    let rs = c.api.list(
        Kind::ReplicaSet,
        Some("default"),
        &crate::Selector::everything(),
    );
    assert_eq!(rs.len(), 1);
    let rs_name = object::name(&rs[0]).to_string();
    for p in &ps {
        let name = object::name(p);
        let suffix = name.strip_prefix(&format!("{rs_name}-")).unwrap_or("");
        assert_eq!(suffix.len(), 5, "{name}");
        assert!(suffix
            .chars()
            .all(|ch| "bcdfghjklmnpqrstvwxz2456789".contains(ch)));
    }
    let d = c.api.get(Kind::Deployment, "default", "nginx").expect("d");
    assert_eq!(d["status"]["availableReplicas"], json!(3));
    assert_eq!(rs[0]["status"]["fullyLabeledReplicas"], json!(3));
    assert_eq!(rs[0]["status"]["terminatingReplicas"], json!(0));

    nginx(&mut c, "nginx:1.16.1");
    // Step through the rollout: with 3 replicas, 25% → maxSurge 1, maxUnavailable 0.
    let mut steps = 0;
    while c.step_to_next_event() && steps < 10_000 {
        steps += 1;
        let active: Vec<_> = pods(&c)
            .into_iter()
            .filter(|p| !object::is_terminating(p))
            .collect();
        assert!(active.len() <= 4, "surge exceeded: {}", active.len());
    }
    let d = c.api.get(Kind::Deployment, "default", "nginx").expect("d");
    assert_eq!(object::annotation(&d, REVISION), Some("2"));
    assert_eq!(d["status"]["updatedReplicas"], json!(3));
    assert!(pods(&c)
        .iter()
        .all(|p| p["spec"]["containers"][0]["image"] == json!("nginx:1.16.1")));

    // Cascading delete removes the sets and their pods.
    c.api
        .delete(Kind::Deployment, "default", "nginx", &Default::default())
        .expect("delete");
    assert!(c.settle(600_000));
    assert!(c
        .api
        .list(
            Kind::ReplicaSet,
            Some("default"),
            &crate::Selector::everything()
        )
        .is_empty());
    assert!(pods(&c).is_empty());
}

#[test]
fn a_bad_image_times_out_progress_and_the_cluster_still_settles() {
    let mut c = cluster();
    nginx(&mut c, "nginx:1.14.2");
    assert!(c.settle(600_000));
    // A pod no node can take stays Pending (PodScheduled=False): the rollout is stuck.
    let mut d = (*c.api.get(Kind::Deployment, "default", "nginx").expect("d")).clone();
    d["spec"]["template"]["spec"]["nodeSelector"] = json!({"disk": "none"});
    c.api.update(d).expect("update");
    assert!(c.settle(3_600_000), "a stuck rollout must still settle");
    let d = c.api.get(Kind::Deployment, "default", "nginx").expect("d");
    let progressing = condition(&d, "Progressing").cloned().unwrap_or_default();
    assert_eq!(progressing["reason"], json!(TIMED_OUT));
    assert_eq!(progressing["status"], json!("False"));
    // maxUnavailable 0: the old pods all stay.
    assert_eq!(d["status"]["availableReplicas"], json!(3));
}

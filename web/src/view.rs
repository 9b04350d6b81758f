//! Plain view data read from the cluster for the components: node lanes, pod tiles, PVC disks,
//! DNS names, events, editor errors. Everything here is computed through the engine's and
//! kubectl's public read APIs (`Api::list`, kubectl's own `pod_summary`, `manifest::parse_stream`)
//! so the picture says exactly what `kubectl get` would.
//!
//! Nothing here mutates the cluster or touches the DOM; it is ordinary Rust, tested natively.

use kubeplay_engine::object::{self, get, get_array, get_str};
use kubeplay_engine::{Cluster, Kind, Selector, Time};
use kubeplay_kubectl::manifest;
use kubeplay_kubectl::printers::table::{age, pod_summary};
use serde_json::Value;
use std::collections::BTreeMap;
use std::rc::Rc;

/// How a pod tile is coloured and labelled; the class name is the CSS hook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodLook {
    Pending,
    Creating,
    /// Running, not all containers ready.
    Running,
    Ready,
    Terminating,
    Failed,
    Completed,
}

impl PodLook {
    pub fn class(self) -> &'static str {
        match self {
            PodLook::Pending => "pending",
            PodLook::Creating => "creating",
            PodLook::Running => "running",
            PodLook::Ready => "ready",
            PodLook::Terminating => "terminating",
            PodLook::Failed => "failed",
            PodLook::Completed => "completed",
        }
    }

    /// A glyph, so state never depends on colour alone.
    pub fn icon(self) -> &'static str {
        match self {
            PodLook::Pending => "…",
            PodLook::Creating => "↻",
            PodLook::Running => "◐",
            PodLook::Ready => "✓",
            PodLook::Terminating => "✕",
            PodLook::Failed => "!",
            PodLook::Completed => "■",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodTile {
    pub name: String,
    pub lane: usize,
    pub column: usize,
    /// kubectl's STATUS column (Running, ContainerCreating, CrashLoopBackOff, ...).
    pub status: String,
    pub ready: String,
    pub restarts: String,
    pub ip: String,
    pub look: PodLook,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NodeLane {
    pub name: String,
    pub ready: bool,
    pub unschedulable: bool,
    /// `Ready`, `NotReady`, `Ready,SchedulingDisabled` as `kubectl get nodes` shows.
    pub status: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimDisk {
    pub name: String,
    pub column: usize,
    pub phase: String,
    pub capacity: String,
    /// A pod that exists now mounts it.
    pub attached: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DnsName {
    /// `web-0.nginx`
    pub name: String,
    pub column: usize,
    /// Published by the headless Service's endpoints (the pod is Ready).
    pub lit: bool,
    pub ip: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EventRow {
    /// The Event object's uid: the list is keyed by it, so a new event inserts one row
    /// instead of rewriting the text of every row below it.
    pub uid: String,
    pub age: String,
    pub warning: bool,
    pub reason: String,
    pub object: String,
    pub message: String,
}

/// A StatefulSet's replica handle and its "why".
#[derive(Clone, Debug, PartialEq)]
pub struct SetRow {
    pub name: String,
    pub replicas: i64,
    pub ready: i64,
    /// `OrderedReady` or `Parallel`.
    pub policy: String,
    /// What its controller waits for, in words (None: nothing). Filled by `explain_sets`,
    /// which costs a plan over every pod of the set, so the page refreshes it less often.
    pub waiting: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClusterView {
    pub sets: Vec<SetRow>,
    /// Virtual time since the cluster started, `mm:ss`.
    pub clock: String,
    pub lanes: Vec<NodeLane>,
    /// Label of each column (a StatefulSet ordinal like `web-0`, or a pod name).
    pub columns: Rc<Vec<String>>,
    /// Items are shared (`Rc`): the page keeps an unchanged tile's allocation from frame to
    /// frame, so its component compares props by pointer and is not rendered again.
    pub pods: Vec<Rc<PodTile>>,
    pub claims: Vec<Rc<ClaimDisk>>,
    pub dns: Vec<Rc<DnsName>>,
    pub events: Vec<Rc<EventRow>>,
    pub idle: bool,
}

/// The sort key of a column: StatefulSet pods by (set, ordinal); anything else by name after.
type ColumnKey = (u8, String, i64);

fn ordinal_of(pod_name: &str, set: &str) -> Option<i64> {
    pod_name
        .strip_prefix(set)?
        .strip_prefix('-')?
        .parse::<i64>()
        .ok()
        .filter(|n| *n >= 0)
}

fn pod_key(pod: &Value) -> ColumnKey {
    let name = object::name(pod);
    if let Some(owner) = object::controller_ref(pod) {
        if owner.kind == "StatefulSet" {
            if let Some(n) = ordinal_of(name, &owner.name) {
                return (0, owner.name.clone(), n);
            }
        }
    }
    (1, name.to_string(), 0)
}

fn column_label(key: &ColumnKey) -> String {
    match key.0 {
        0 => format!("{}-{}", key.1, key.2),
        _ => key.1.clone(),
    }
}

fn is_ready(pod: &Value) -> bool {
    get_array(pod, &["status", "conditions"])
        .iter()
        .any(|c| get_str(c, &["type"]) == Some("Ready") && get_str(c, &["status"]) == Some("True"))
}

fn look(status: &str, ready: bool, terminating: bool) -> PodLook {
    if terminating || status == "Terminating" {
        return PodLook::Terminating;
    }
    match status {
        "Running" if ready => PodLook::Ready,
        "Running" => PodLook::Running,
        "Pending" | "SchedulingGated" => PodLook::Pending,
        "ContainerCreating" | "PodInitializing" => PodLook::Creating,
        s if s.starts_with("Init:") && !s.contains("Err") && !s.contains("BackOff") => {
            PodLook::Creating
        }
        "Completed" | "Succeeded" => PodLook::Completed,
        _ => PodLook::Failed,
    }
}

/// Tiles and event rows kept from the previous view, so a view rebuilt while the clock runs
/// (on every store change, some twenty times a second at 200 pods) words again only the pods and
/// Events that changed. An entry is reused only for the very object it was made from: the memo
/// holds that object's `Arc`, so its address cannot be reused by another object meanwhile.
#[derive(Default)]
pub struct ViewMemo {
    /// By pod name: the pod, and its tile when it was drawn at `now_s` (seconds).
    tiles: BTreeMap<String, (std::sync::Arc<Value>, u64, Rc<PodTile>)>,
    /// By Event uid: the Event and its row.
    events: BTreeMap<String, (std::sync::Arc<Value>, Rc<EventRow>)>,
}

/// Everything the cluster pane draws, for the `default` namespace (the tutorials' namespace).
#[cfg(test)]
pub fn cluster_view(cluster: &Cluster, namespace: &str) -> ClusterView {
    cluster_view_memo(cluster, namespace, &mut ViewMemo::default())
}

/// `cluster_view`, reusing the tiles and event rows `memo` kept whose objects are unchanged.
pub fn cluster_view_memo(cluster: &Cluster, namespace: &str, memo: &mut ViewMemo) -> ClusterView {
    let api = &cluster.api;
    let now = cluster.now();
    let all = Selector::everything();
    let nodes = api.list(Kind::Node, None, &all);
    let pods = api.list(Kind::Pod, Some(namespace), &all);
    let claims = api.list(Kind::PersistentVolumeClaim, Some(namespace), &all);
    let sets = api.list(Kind::StatefulSet, Some(namespace), &all);

    let mut lanes: Vec<NodeLane> = nodes
        .iter()
        .map(|n| {
            let ready = get_array(n, &["status", "conditions"]).iter().any(|c| {
                get_str(c, &["type"]) == Some("Ready") && get_str(c, &["status"]) == Some("True")
            });
            let unschedulable = object::get_bool(n, &["spec", "unschedulable"]).unwrap_or(false);
            let mut status = if ready { "Ready" } else { "NotReady" }.to_string();
            if unschedulable {
                status.push_str(",SchedulingDisabled");
            }
            NodeLane {
                name: object::name(n).to_string(),
                ready,
                unschedulable,
                status,
            }
        })
        .collect();

    // Which column each claim belongs to: a claim made from a StatefulSet's template
    // (`<template>-<set>-<ordinal>`) sits under that ordinal even when the pod is gone.
    let mut claim_keys: BTreeMap<String, ColumnKey> = BTreeMap::new();
    for c in &claims {
        let cname = object::name(c);
        for s in &sets {
            let set = object::name(s);
            for t in get_array(s, &["spec", "volumeClaimTemplates"]) {
                let tname = get_str(t, &["metadata", "name"]).unwrap_or("");
                let Some(rest) = cname.strip_prefix(tname).and_then(|r| r.strip_prefix('-')) else {
                    continue;
                };
                if let Some(n) = ordinal_of(rest, set) {
                    claim_keys.insert(cname.to_string(), (0, set.to_string(), n));
                }
            }
        }
    }
    let mut mounted: BTreeMap<String, ColumnKey> = BTreeMap::new();
    for p in &pods {
        for v in get_array(p, &["spec", "volumes"]) {
            if let Some(claim) = get_str(v, &["persistentVolumeClaim", "claimName"]) {
                mounted.insert(claim.to_string(), pod_key(p));
            }
        }
    }

    let mut keys: BTreeMap<ColumnKey, usize> = BTreeMap::new();
    for p in &pods {
        keys.insert(pod_key(p), 0);
    }
    for c in &claims {
        let name = object::name(c);
        let key = claim_keys
            .get(name)
            .or_else(|| mounted.get(name))
            .cloned()
            .unwrap_or((1, name.to_string(), 0));
        keys.insert(key, 0);
    }
    let columns: Vec<String> = keys.keys().map(column_label).collect();
    for (i, v) in keys.values_mut().enumerate() {
        *v = i;
    }
    let column = |k: &ColumnKey| keys.get(k).copied().unwrap_or(0);

    let mut unscheduled = false;
    let mut tiles = Vec::new();
    let now_s = now.0 / 1000;
    let mut kept_tiles = BTreeMap::new();
    for p in &pods {
        let node = get_str(p, &["spec", "nodeName"]).unwrap_or("");
        let lane = match lanes.iter().position(|l| l.name == node) {
            Some(i) => i,
            None => {
                unscheduled = true;
                lanes.len()
            }
        };
        let column = column(&pod_key(p));
        let name = object::name(p);
        // The same pod object in the same place is the same tile, unless its RESTARTS say
        // "(5s ago)": that text moves with the clock.
        let kept = memo.tiles.remove(name).filter(|(was, at, tile)| {
            std::sync::Arc::ptr_eq(was, p)
                && tile.lane == lane
                && tile.column == column
                && (*at == now_s || !tile.restarts.contains(" ago)"))
        });
        let tile = match kept {
            Some((_, _, tile)) => tile,
            None => {
                let summary = pod_summary(p, now);
                Rc::new(PodTile {
                    name: name.to_string(),
                    lane,
                    column,
                    look: look(&summary.status, is_ready(p), object::is_terminating(p)),
                    status: summary.status,
                    ready: summary.ready,
                    restarts: summary.restarts,
                    ip: get_str(p, &["status", "podIP"]).unwrap_or("").to_string(),
                })
            }
        };
        kept_tiles.insert(name.to_string(), (p.clone(), now_s, tile.clone()));
        tiles.push(tile);
    }
    memo.tiles = kept_tiles;
    if unscheduled {
        lanes.push(NodeLane {
            name: "(not scheduled)".to_string(),
            ready: true,
            unschedulable: false,
            status: "Pending pods".to_string(),
        });
    }

    let disks = claims
        .iter()
        .map(|c| {
            let name = object::name(c).to_string();
            let key = claim_keys
                .get(&name)
                .or_else(|| mounted.get(&name))
                .cloned()
                .unwrap_or((1, name.clone(), 0));
            Rc::new(ClaimDisk {
                column: column(&key),
                attached: mounted.contains_key(&name),
                phase: get_str(c, &["status", "phase"])
                    .unwrap_or("Pending")
                    .to_string(),
                capacity: get_str(c, &["status", "capacity", "storage"])
                    .or_else(|| get_str(c, &["spec", "resources", "requests", "storage"]))
                    .unwrap_or("")
                    .to_string(),
                name,
            })
        })
        .collect();

    let set_rows = sets
        .iter()
        .map(|s| {
            let name = object::name(s);
            SetRow {
                name: name.to_string(),
                replicas: object::get_i64(s, &["spec", "replicas"]).unwrap_or(1),
                ready: object::get_i64(s, &["status", "readyReplicas"]).unwrap_or(0),
                policy: get_str(s, &["spec", "podManagementPolicy"])
                    .unwrap_or("OrderedReady")
                    .to_string(),
                waiting: None,
            }
        })
        .collect();
    ClusterView {
        sets: set_rows,
        clock: clock(cluster.config.start, now),
        lanes,
        columns: Rc::new(columns),
        pods: tiles,
        claims: disks,
        dns: dns_names(cluster, namespace, &pods, &column),
        events: events_memo(cluster, 40, &mut memo.events),
        idle: cluster.is_idle(),
    }
}

/// Fills each set's "why" from the engine's own plan (`statefulset::explain`).
pub fn explain_sets(cluster: &Cluster, namespace: &str, sets: &mut [SetRow]) {
    for s in sets {
        s.waiting =
            kubeplay_engine::controllers::statefulset::explain(&cluster.api, namespace, &s.name);
    }
}

/// The per-pod names of headless Services (`web-0.nginx`), lit when the Service's endpoints
/// publish the pod as ready — the same data CoreDNS answers from.
fn dns_names(
    cluster: &Cluster,
    namespace: &str,
    pods: &[std::sync::Arc<Value>],
    column: &dyn Fn(&ColumnKey) -> usize,
) -> Vec<Rc<DnsName>> {
    let all = Selector::everything();
    let mut out = Vec::new();
    for svc in cluster.api.list(Kind::Service, Some(namespace), &all) {
        if get_str(&svc, &["spec", "clusterIP"]) != Some("None") {
            continue;
        }
        let svc_name = object::name(&svc);
        let ready_ips: BTreeMap<String, String> = cluster
            .api
            .get(Kind::Endpoints, namespace, svc_name)
            .map(|ep| {
                get_array(&ep, &["subsets"])
                    .iter()
                    .flat_map(|s| get_array(s, &["addresses"]).iter())
                    .filter_map(|a| {
                        let pod = get_str(a, &["targetRef", "name"])?;
                        Some((
                            pod.to_string(),
                            get_str(a, &["ip"]).unwrap_or("").to_string(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        for p in pods {
            if get_str(p, &["spec", "subdomain"]) != Some(svc_name) {
                continue;
            }
            let Some(host) = get_str(p, &["spec", "hostname"]) else {
                continue;
            };
            let ip = ready_ips.get(object::name(p)).cloned();
            out.push(Rc::new(DnsName {
                name: format!("{host}.{svc_name}"),
                column: column(&pod_key(p)),
                lit: ip.is_some(),
                ip: ip.unwrap_or_default(),
            }));
        }
    }
    out
}

fn clock(start: Time, now: Time) -> String {
    let s = now.0.saturating_sub(start.0) / 1000;
    format!("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
}

/// The newest `limit` events, newest first, as `kubectl events` words them, reusing the rows in
/// `memo` (by Event uid) whose Event and age are unchanged; `memo` is left holding the rows
/// returned.
fn events_memo(
    cluster: &Cluster,
    limit: usize,
    memo: &mut BTreeMap<String, (std::sync::Arc<Value>, Rc<EventRow>)>,
) -> Vec<Rc<EventRow>> {
    let now = cluster.now();
    // Borrowed keys: this runs every frame over every Event in the cluster.
    let mut evs: Vec<(&str, u64, &std::sync::Arc<Value>)> = cluster
        .api
        .store
        .list(Kind::Event, None)
        .map(|e| {
            (
                get_str(e, &["lastTimestamp"]).unwrap_or(""),
                object::resource_version(e),
                e,
            )
        })
        .collect();
    // Only the newest `limit` are shown: select them (linear), then sort just those. A
    // 200-pod set leaves some 1 600 Events, and this runs whenever the store changes.
    type Entry<'a> = (&'a str, u64, &'a std::sync::Arc<Value>);
    let newest_first = |a: &Entry, b: &Entry| (b.0, b.1).cmp(&(a.0, a.1));
    if evs.len() > limit && limit > 0 {
        evs.select_nth_unstable_by(limit - 1, newest_first);
        evs.truncate(limit);
    }
    evs.sort_unstable_by(newest_first);
    let mut kept = BTreeMap::new();
    let rows = evs
        .iter()
        .take(limit)
        .map(|&(_, _, e)| {
            let uid = object::uid(e);
            let age = age(get_str(e, &["lastTimestamp"]), now);
            let row = match memo.remove(uid) {
                Some((was, row)) if std::sync::Arc::ptr_eq(&was, e) && row.age == age => row,
                _ => {
                    let kind = get_str(e, &["involvedObject", "kind"]).unwrap_or("");
                    let name = get_str(e, &["involvedObject", "name"]).unwrap_or("");
                    Rc::new(EventRow {
                        uid: uid.to_string(),
                        age,
                        warning: get_str(e, &["type"]) == Some("Warning"),
                        reason: get_str(e, &["reason"]).unwrap_or("").to_string(),
                        object: format!("{}/{}", kind.to_lowercase(), name),
                        message: get_str(e, &["message"]).unwrap_or("").to_string(),
                    })
                }
            };
            kept.insert(uid.to_string(), (e.clone(), row.clone()));
            row
        })
        .collect();
    *memo = kept;
    rows
}

/// A YAML problem in an editor tab, at a 1-based line and column when known.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlProblem {
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

/// The problems `kubectl apply -f` would report for this file, with where they are.
pub fn yaml_problems(file: &str, text: &str) -> Vec<YamlProblem> {
    manifest::parse_stream(file, text)
        .into_iter()
        .filter_map(Result::err)
        .map(|e| YamlProblem {
            line: e.line,
            column: e.column,
            message: e.message,
        })
        .collect()
}

/// The kinds of object a selected pod or node menu acts on, with the facts the menu shows.
pub fn describe_selection(cluster: &Cluster, namespace: &str, pod: &str) -> Option<String> {
    let p = cluster.api.get(Kind::Pod, namespace, pod).ok()?;
    let node = get_str(&p, &["spec", "nodeName"]).unwrap_or("<none>");
    let ip = get(&p, &["status", "podIP"])
        .and_then(Value::as_str)
        .unwrap_or("<none>");
    let s = pod_summary(&p, cluster.now());
    Some(format!(
        "{} · {} · ready {} · restarts {} · node {} · IP {}",
        object::name(&p),
        s.status,
        s.ready,
        s.restarts,
        node,
        ip
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kubeplay_engine::Config;
    use kubeplay_kubectl::bundled::WithUrls;
    use kubeplay_kubectl::context::MemFiles;
    use kubeplay_kubectl::Session;

    fn run(c: &mut Cluster, line: &str) -> String {
        let files = MemFiles(
            [("web.yaml".to_string(), crate::state::WEB_YAML.to_string())]
                .into_iter()
                .collect(),
        );
        let files = WithUrls { inner: &files };
        Session::new().run_line(c, &files, line).0.combined()
    }

    #[test]
    fn a_view_built_from_the_memo_equals_a_fresh_one_and_keeps_unchanged_tiles() {
        let mut c = Cluster::new(Config::default());
        run(&mut c, "kubectl apply -f web.yaml");
        c.settle(600_000);
        let mut memo = ViewMemo::default();
        let first = cluster_view_memo(&c, "default", &mut memo);
        let again = cluster_view_memo(&c, "default", &mut memo);
        assert_eq!(again, cluster_view(&c, "default"));
        assert!(first
            .pods
            .iter()
            .zip(&again.pods)
            .all(|(a, b)| Rc::ptr_eq(a, b)));
        assert!(first
            .events
            .iter()
            .zip(&again.events)
            .all(|(a, b)| Rc::ptr_eq(a, b)));

        run(&mut c, "kubectl label pod web-1 touched=yes");
        c.advance(65_000);
        let later = cluster_view_memo(&c, "default", &mut memo);
        assert_eq!(
            later,
            cluster_view(&c, "default"),
            "changed pod and older ages"
        );
        assert!(!Rc::ptr_eq(&first.pods[1], &later.pods[1]), "web-1 changed");
        assert_ne!(first.events[0].age, later.events[0].age);
    }

    #[test]
    fn retained_claims_keep_their_ordinal_column_and_dns_follows_readiness() {
        let mut c = Cluster::new(Config::default());
        run(&mut c, "kubectl apply -f web.yaml");
        c.settle(600_000);
        let v = cluster_view(&c, "default");
        assert_eq!(*v.columns, vec!["web-0", "web-1"]);
        assert!(v.pods.iter().all(|p| p.look == PodLook::Ready));
        assert_eq!(v.claims.len(), 2);
        assert!(v.claims.iter().all(|d| d.attached && d.phase == "Bound"));
        assert!(v.dns.iter().all(|d| d.lit), "{:?}", v.dns);

        run(&mut c, "kubectl scale sts web --replicas=1");
        c.settle(600_000);
        let v = cluster_view(&c, "default");
        assert_eq!(v.pods.len(), 1);
        let www1 = v.claims.iter().find(|d| d.name == "www-web-1").unwrap();
        assert_eq!(
            v.columns[www1.column], "web-1",
            "the retained PVC stays under web-1"
        );
        assert!(!www1.attached);
    }

    #[test]
    fn hostile_names_stay_plain_data() {
        let mut c = Cluster::new(Config::default());
        // The API rejects markup in label values (ObjectMeta validation), so nothing is made.
        run(&mut c, "kubectl run x --image=nginx --labels='a=<b>'");
        assert!(cluster_view(&c, "default").pods.is_empty());
        // Markup is allowed in an image name; the view carries it as plain text.
        run(
            &mut c,
            "kubectl run x '--image=<img src=x onerror=alert(1)>'",
        );
        let v = cluster_view(&c, "default");
        assert_eq!(v.pods[0].name, "x");
        // Controllers react at once: the pod is already scheduled and being created.
        assert_eq!(v.pods[0].look, PodLook::Creating);
    }

    #[test]
    fn yaml_errors_carry_line_and_column() {
        let p = yaml_problems("web.yaml", "a: 1\nb: [\n");
        assert_eq!(p.len(), 1);
        assert!(p[0].line.is_some(), "{p:?}");
        assert!(p[0].message.starts_with("error parsing web.yaml"));
        assert!(yaml_problems("web.yaml", crate::state::WEB_YAML).is_empty());
    }
}

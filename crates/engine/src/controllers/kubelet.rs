//! The kubelet of every simulated node: it runs the pods bound to live nodes through the
//! lifecycle of spec §8 and reports it as pod status and Events, as the real kubelet does.
//!
//! Pending (scheduled) → sandbox and pod IP → init containers one at a time → image pull
//! (Pulling/Pulled) → Created/Started → Running → Ready; crashes restart with the
//! CrashLoopBackOff schedule (S8.4); deletion stops the containers, sets the terminal phase
//! (≥1.27) and deletes the pod with grace 0 (S8.5).
//!
//! It is driven by Pod watch events and by timers it asks for only when a transition is due:
//! a settled cluster has no kubelet timer left. It never touches a pod whose node is failed
//! (`sim fail-node`): that is what makes such pods stay Terminating (S8.6).

use crate::api::{Api, DeleteOptions};
use crate::cluster::Cluster;
use crate::controllers::{Action, Controller, Ctx, KeyParts, KeyView, ObjectKey};
use crate::events::Source;
use crate::kinds::Kind;
use crate::object::{self, Object};
use crate::runtime::{
    container_spec, hex_digest_parts, Behavior, ContainerRuntime, ContainerState, FsError, Image,
    PodSandbox, Runtime, Stopping, Terminated,
};
use crate::selector::Selector;
use crate::store::{EventType, WatchEvent};
use crate::time::{go_duration_string, Time};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, BTreeSet};

/// kubelet `backOffPeriod` and `MaxContainerBackOff` (S8.4).
const BACKOFF_INITIAL_MS: u64 = 10_000;
const BACKOFF_MAX_MS: u64 = 300_000;
/// How long after an exit the kubelet's next sync sees it (PLEG relist) and acts.
const SYNC_DELAY_MS: u64 = 1_000;

#[derive(Debug, Default)]
pub struct Kubelet {
    /// What the kubelet remembers per pod between syncs, in one entry so a sync finds it
    /// with one search. Boxed: with the memos inline a node of this map was 1.3 KB, a large
    /// chunk for glibc, whose every allocation first consolidates its fast bins.
    pods: BTreeMap<ObjectKey, Box<PodMemo>>,
    conditions: ConditionMemo,
    image_pull_ms: (u64, u64),
    container_start_ms: u64,
    /// The buffers a sync joins its Events' messages and field paths in, kept between
    /// syncs so they are allocated once.
    buffers: (String, String),
}

/// The kubelet's bookkeeping for one pod.
#[derive(Clone, Copy, Debug, Default)]
struct PodMemo {
    /// The earliest pending timer, so a reconcile never stacks duplicate timers.
    timer: Option<Time>,
    /// The resourceVersion of the kubelet's own last status write. Its watch event needs no
    /// sync: the status already says what a sync at that instant would (the kubelet ran
    /// every due transition before writing), so it is not queued again.
    own_write: Option<u64>,
    /// Whether the status of the last sync that built one was of a [`quiet`] sandbox and is
    /// the stored one as of `own_write`: while the pod is at that version and its sandbox
    /// stays quiet, a sync would report the same status again, so none is built.
    quiet_status: bool,
}

/// Parts of pod statuses the kubelet built last: pods synced in the same second with the
/// same outcome report equal conditions and container states, which then share one map
/// (copy on write) instead of each building its own.
#[derive(Debug, Default)]
struct ConditionMemo {
    /// `lastTransitionTime` of a condition that changes now: (the second, its stamp).
    stamp: Option<(u64, String)>,
    /// The condition last built per type and status.
    built: [Option<Value>; 10],
    /// The `running` container state last built, by its start's second.
    running: Option<(u64, Value)>,
    /// The `waiting` states with a reason alone, as built.
    waiting: Vec<Value>,
    /// An empty object (`lastState: {}`).
    empty: Option<Value>,
    /// The `startTime` last formatted: (its second, the stamp). Pods bound together start
    /// in the same second.
    start: Option<(u64, String)>,
    /// `imageID`s as built, by image (`Image::full`).
    image_ids: Vec<(String, String)>,
}

impl ConditionMemo {
    /// The index of a condition type the kubelet reports.
    fn type_index(ty: &str) -> Option<usize> {
        Some(match ty {
            "PodReadyToStartContainers" => 0,
            "Initialized" => 1,
            "Ready" => 2,
            "ContainersReady" => 3,
            "PodScheduled" => 4,
            _ => return None,
        })
    }

    fn slot(ty: &str, ok: bool) -> Option<usize> {
        Self::type_index(ty).map(|i| 2 * i + usize::from(ok))
    }

    /// Makes [`ConditionMemo::stamp`] `now`'s (RFC 3339 has seconds: formatted once per
    /// second, and only when a condition changes).
    fn set_now(&mut self, now: Time) {
        let secs = now.0 / 1000;
        if self.stamp.as_ref().is_none_or(|(s, _)| *s != secs) {
            self.stamp = Some((secs, now.rfc3339()));
        }
    }

    fn stamp(&self) -> &str {
        self.stamp.as_ref().map(|(_, s)| s.as_str()).unwrap_or("")
    }

    /// `t` in RFC 3339, formatted once per second.
    fn start_stamp(&mut self, t: Time) -> &str {
        let secs = t.0 / 1000;
        if self.start.as_ref().is_none_or(|(s, _)| *s != secs) {
            self.start = Some((secs, t.rfc3339()));
        }
        self.start.as_ref().map(|(_, s)| s.as_str()).unwrap_or("")
    }

    /// [`Image::image_id`] of `image` (a digest of its name: built once per image).
    fn image_id(&mut self, image: &Image) -> String {
        /// Images remembered at most (a playground runs a handful).
        const MAX_IMAGES: usize = 32;
        if let Some((_, id)) = self.image_ids.iter().find(|(full, _)| *full == image.full) {
            return id.clone();
        }
        let id = image.image_id();
        if self.image_ids.len() < MAX_IMAGES {
            self.image_ids.push((image.full.clone(), id.clone()));
        }
        id
    }
}

impl Kubelet {
    pub fn new(config: &crate::Config) -> Kubelet {
        Kubelet {
            pods: BTreeMap::new(),
            conditions: ConditionMemo::default(),
            image_pull_ms: config.image_pull_ms,
            container_start_ms: config.container_start_ms,
            buffers: (String::new(), String::new()),
        }
    }
}

impl PodMemo {
    /// Notes the sync's own status write (`written`) and whether the status it reported
    /// was of a quiet sandbox (`quiet_status`, `None`: no status was built), and asks to be
    /// woken at `due` unless a pending timer already comes at or before it.
    fn after_sync(
        &mut self,
        written: Option<u64>,
        due: Option<Time>,
        now: Time,
        quiet_status: Option<bool>,
    ) -> Action {
        if written.is_some() {
            self.own_write = written;
        }
        if let Some(q) = quiet_status {
            self.quiet_status = q;
        }
        let Some(due) = due else {
            return Action::Done;
        };
        let due = due.max(now.plus_ms(1));
        if let Some(t) = self.timer {
            if t > now && t <= due {
                return Action::Done;
            }
        }
        self.timer = Some(due);
        Action::RequeueAfter(due.0 - now.0)
    }
}

impl Controller for Kubelet {
    fn name(&self) -> &'static str {
        "kubelet"
    }

    fn watches(&self, kind: Kind) -> bool {
        matches!(kind, Kind::Pod | Kind::PersistentVolumeClaim)
    }

    fn keys_for(&mut self, event: &WatchEvent, api: &Api, out: &mut Vec<ObjectKey>) {
        match event.kind {
            Kind::Pod
                if object::get_str(event.object(), &["spec", "nodeName"])
                    .is_some_and(|n| !n.is_empty())
                    || event.event_type == EventType::Deleted =>
            {
                // The memo is searched with the key borrowed from the object: the owned key
                // is made only for a sync (the kubelet's own writes need none).
                let parts = KeyParts::of(Kind::Pod, event.object());
                let view = &parts as &dyn KeyView;
                if event.event_type == EventType::Deleted {
                    if let Some(memo) = self.pods.get_mut(view) {
                        memo.own_write = None;
                    }
                } else if self
                    .pods
                    .get(view)
                    .is_some_and(|memo| memo.own_write == Some(event.resource_version))
                {
                    return;
                }
                out.push(parts.to_key());
            }
            Kind::PersistentVolumeClaim => {
                // A claim that became bound lets pods waiting to mount it start.
                let claim = object::name(event.object());
                let ns = object::namespace(event.object());
                for pod in api.list(Kind::Pod, Some(ns), &Selector::everything()) {
                    let uses = object::get_array(&pod, &["spec", "volumes"])
                        .iter()
                        .any(|v| {
                            object::get_str(v, &["persistentVolumeClaim", "claimName"])
                                == Some(claim)
                        });
                    if uses && object::get_str(&pod, &["spec", "nodeName"]).is_some() {
                        out.push(ObjectKey::of(Kind::Pod, &pod));
                    }
                }
            }
            _ => {}
        }
    }

    fn reconcile(&mut self, key: &ObjectKey, ctx: &mut Ctx<'_>) -> Action {
        let now = ctx.api.now;
        ctx.runtime.clock = now;
        let Some(pod) = ctx
            .api
            .try_get(Kind::Pod, &key.namespace, &key.name)
            .cloned()
        else {
            // Gone from the API (deleted with grace 0 or force-deleted): tear the sandbox down,
            // unless its node is down, where nothing can happen until it comes back.
            let node_down = ctx
                .runtime
                .pods
                .get(key)
                .is_some_and(|sb| ctx.runtime.failed_nodes.contains_key(&sb.node));
            if !node_down {
                ctx.runtime.pods.remove(key);
            }
            self.pods.remove(key);
            return Action::Done;
        };
        let node_name = object::get_str(&pod, &["spec", "nodeName"]).unwrap_or("");
        if node_name.is_empty() || ctx.runtime.failed_nodes.contains_key(node_name) {
            return Action::Done;
        }
        let Some(node) = ctx.api.try_get(Kind::Node, "", node_name) else {
            return Action::Done;
        };
        // The pod's sandbox is advanced in place: one search finds it (one of an older pod
        // of the same name is dropped first, so its address is free again); a new one is
        // made before it goes in.
        let uid = object::uid(&pod);
        let terminal = matches!(
            object::get_str(&pod, &["status", "phase"]),
            Some("Succeeded" | "Failed")
        );
        let found = ctx.runtime.pods.get(key).map(|sb| sb.uid == uid);
        if found != Some(true) {
            if found.is_some() {
                ctx.runtime.pods.remove(key);
            }
            if object::is_terminating(&pod) || terminal {
                // Deleted before the kubelet started it, or already finished: nothing runs.
                if object::is_terminating(&pod) {
                    finish_deletion(ctx.api, &pod);
                }
                return Action::Done;
            }
            let sb = new_sandbox(ctx.runtime, key, &pod, node, now);
            ctx.runtime.pods.insert(key.clone(), Box::new(sb));
        }
        // The pod's memo is found once for the whole sync (a new one goes in at the end if
        // there is anything to remember).
        let mut fresh = PodMemo::default();
        let slot = self.pods.get_mut(key);
        let known = slot.is_some();
        let memo: &mut PodMemo = match slot {
            Some(m) => m,
            None => &mut fresh,
        };
        let (conditions, buffers) = (&mut self.conditions, &mut self.buffers);
        let (pull_ms, start_ms) = (self.image_pull_ms, self.container_start_ms);
        let action = (|| {
            let runtime = &mut *ctx.runtime;
            let Some(sb) = runtime.pods.get_mut(key) else {
                return Action::Done;
            };
            // A sync that only moves never-started containers between waiting, pulling and
            // starting changes nothing the status shows; when the stored status is the
            // kubelet's own last write, it is still what a sync would report (see `quiet`).
            let quiet_before = found == Some(true)
                && quiet(sb)
                && memo.quiet_status
                && memo.own_write == Some(object::resource_version(&pod));
            let mut sync = Sync {
                api: ctx.api,
                node_images: &mut runtime.node_images,
                pod: &pod,
                node: node_name,
                now,
                pull_ms,
                start_ms,
                started: Vec::new(),
                message: std::mem::take(&mut buffers.0),
                field_path: std::mem::take(&mut buffers.1),
            };
            let mut due = sync.advance(sb);
            let started = std::mem::take(&mut sync.started);
            *buffers = (sync.message, sync.field_path);
            let stopped = sb.stopped;
            if quiet_before && started.is_empty() && !stopped && quiet(sb) {
                return memo.after_sync(None, due, now, None);
            }
            let sb: &PodSandbox = if started.is_empty() {
                sb
            } else {
                for (init, index, id) in started {
                    ctx.runtime
                        .start_container(ctx.api, key, &pod, index, init, now, id);
                    ctx.runtime
                        .run_container_command(ctx.api, key, &pod, index, init);
                }
                let Some(sb) = ctx.runtime.pods.get(key) else {
                    return Action::Done;
                };
                // A command line decides when its process exits only once it has run.
                due = match (due, next_due(sb, now)) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                sb
            };
            let status = pod_status(&pod, sb, now, conditions);
            let quiet_now = quiet(sb);
            let mut written = None;
            let unchanged = pod.get("status") == Some(&status);
            if !unchanged {
                if let Ok(w) = ctx.api.write_status(&pod, status) {
                    written = Some(object::resource_version(&w));
                }
            }
            let quiet_status = Some(quiet_now && (unchanged || written.is_some()));
            if stopped {
                memo.after_sync(written, None, now, Some(false));
                if let Some(p) = ctx
                    .api
                    .try_get(Kind::Pod, &key.namespace, &key.name)
                    .cloned()
                {
                    finish_deletion(ctx.api, &p);
                }
                return Action::Done;
            }
            memo.after_sync(written, due, now, quiet_status)
        })();
        if !known && (fresh.timer.is_some() || fresh.own_write.is_some()) {
            self.pods.insert(key.clone(), Box::new(fresh));
        }
        action
    }
}

/// The kubelet's final delete (grace 0) once the pod's containers are gone (S8.5).
fn finish_deletion(api: &mut Api, pod: &Object) {
    let _ = api.delete(
        Kind::Pod,
        object::namespace(pod),
        object::name(pod),
        &DeleteOptions {
            grace_period_seconds: Some(0),
            uid: Some(object::uid(pod).to_string()),
            ..Default::default()
        },
    );
}

/// Whether the status shows nothing of where `sb`'s containers are: none has started yet,
/// each is waiting, pulling or about to start (all `waiting` with the same reason), and
/// the pod is not stopping.
fn quiet(sb: &PodSandbox) -> bool {
    sb.stopping.is_none()
        && !sb.stopped
        && sb.init.iter().chain(sb.containers.iter()).all(|c| {
            c.container_id.is_empty()
                && c.restart_count == 0
                && c.last_terminated.is_none()
                && matches!(
                    c.state,
                    ContainerState::Waiting
                        | ContainerState::Pulling { .. }
                        | ContainerState::Starting { .. }
                )
        })
}

/// The sandbox of `pod` (whose key is `key`) on `node`.
fn new_sandbox(
    runtime: &mut Runtime,
    key: &ObjectKey,
    pod: &Object,
    node: &Object,
    now: Time,
) -> PodSandbox {
    let node_name = object::name(node).to_string();
    let cidr = object::get_str(node, &["spec", "podCIDR"]).unwrap_or("10.244.0.0/24");
    let prefix = cidr
        .split('/')
        .next()
        .unwrap_or("10.244.0.0")
        .rsplit_once('.')
        .map(|(p, _)| p.to_string())
        .unwrap_or_else(|| "10.244.0".to_string());
    let ip = runtime.allocate_ip_for(key, &node_name, &prefix);
    let host_ip = object::get_array(node, &["status", "addresses"])
        .iter()
        .find(|a| object::get_str(a, &["type"]) == Some("InternalIP"))
        .and_then(|a| object::get_str(a, &["address"]))
        .unwrap_or("")
        .to_string();
    let hostname = object::get_str(pod, &["spec", "hostname"])
        .filter(|h| !h.is_empty())
        .unwrap_or(object::name(pod))
        .to_string();
    let fqdn = object::get_str(pod, &["spec", "subdomain"])
        .filter(|s| !s.is_empty())
        .map(|sub| {
            // `<hostname>.<subdomain>.<namespace>.svc.<zone>`, joined by hand.
            let parts = [
                hostname.as_str(),
                ".",
                sub,
                ".",
                object::namespace(pod),
                ".svc.",
                crate::dns::ZONE,
            ];
            let mut fqdn = String::with_capacity(parts.iter().map(|p| p.len()).sum());
            for p in parts {
                fqdn.push_str(p);
            }
            fqdn
        });
    PodSandbox {
        uid: object::uid(pod).to_string(),
        node: node_name,
        ip,
        host_ip,
        hostname,
        fqdn,
        start_time: now,
        init: object::get_array(pod, &["spec", "initContainers"])
            .iter()
            .map(|spec| container_runtime(runtime, spec))
            .collect(),
        containers: object::get_array(pod, &["spec", "containers"])
            .iter()
            .map(|spec| container_runtime(runtime, spec))
            .collect(),
        empty_dirs: BTreeMap::new(),
        qos_class: crate::defaults::qos_class(pod),
        stopping: None,
        stopped: false,
    }
}

/// The runtime's record of the container `spec`, before it starts.
fn container_runtime(runtime: &mut Runtime, spec: &Value) -> ContainerRuntime {
    let image = runtime.parse_image(object::get_str(spec, &["image"]).unwrap_or(""));
    ContainerRuntime::new(spec, image)
}

/// One sync of one pod: advances every container whose transition is due.
struct Sync<'a> {
    api: &'a mut Api,
    /// The runtime's images per node (the sandbox being advanced is borrowed from the
    /// runtime too).
    node_images: &'a mut BTreeMap<String, BTreeSet<String>>,
    pod: &'a Object,
    node: &'a str,
    now: Time,
    pull_ms: (u64, u64),
    start_ms: u64,
    /// Containers started in this sync: (init?, index, container ID).
    started: Vec<(bool, usize, String)>,
    /// Where Event messages are joined (one buffer for the sync's Events).
    message: String,
    /// Where Events' `involvedObject.fieldPath`s are joined.
    field_path: String,
}

impl<'a> Sync<'a> {
    fn event(&mut self, container: &str, init: bool, kind: &str, reason: &str, message: &str) {
        let list = if init { "initContainers" } else { "containers" };
        // `spec.containers{name}`, joined by hand in the sync's buffer (four of these per pod).
        let fp = &mut self.field_path;
        fp.clear();
        if !container.is_empty() {
            for part in ["spec.", list, "{", container, "}"] {
                fp.push_str(part);
            }
        }
        let fp = (!container.is_empty()).then_some(self.field_path.as_str());
        self.api.record_event(
            self.pod,
            fp,
            kind,
            reason,
            message,
            Source {
                component: "kubelet",
                host: Some(self.node),
            },
        );
    }

    /// [`Sync::event`] with the message `parts` joined in the sync's buffer: no `format!`
    /// machinery, no new allocation per message.
    fn event_joined(
        &mut self,
        container: &str,
        init: bool,
        kind: &str,
        reason: &str,
        parts: &[&str],
    ) {
        let mut buf = std::mem::take(&mut self.message);
        buf.clear();
        for part in parts {
            buf.push_str(part);
        }
        self.event(container, init, kind, reason, &buf);
        self.message = buf;
    }

    /// Volumes the kubelet must mount before containers start: PVCs must be bound.
    fn volumes_ready(&self) -> bool {
        object::get_array(self.pod, &["spec", "volumes"])
            .iter()
            .filter_map(|v| object::get_str(v, &["persistentVolumeClaim", "claimName"]))
            .all(|claim| {
                self.api
                    .try_get(
                        Kind::PersistentVolumeClaim,
                        object::namespace(self.pod),
                        claim,
                    )
                    .and_then(|pvc| object::get_str(pvc, &["spec", "volumeName"]))
                    .is_some_and(|v| !v.is_empty())
            })
    }

    /// Runs every due transition; returns when the next one is due.
    fn advance(&mut self, sb: &mut PodSandbox) -> Option<Time> {
        if object::is_terminating(self.pod) && sb.stopping.is_none() {
            self.begin_stopping(sb);
        }
        for _ in 0..64 {
            let mut changed = false;
            if sb.stopping.is_some() {
                for init in [true, false] {
                    let n = if init {
                        sb.init.len()
                    } else {
                        sb.containers.len()
                    };
                    for i in 0..n {
                        let list = if init {
                            &mut sb.init
                        } else {
                            &mut sb.containers
                        };
                        if let Some(c) = list.get_mut(i) {
                            changed |= exit_if_due(c, self.now);
                        }
                    }
                }
                if sb
                    .containers
                    .iter()
                    .chain(sb.init.iter())
                    .all(|c| !c.is_running())
                {
                    sb.stopped = true;
                    return None;
                }
            } else if let Some(i) = sb.init.iter().position(|c| !completed_ok(c)) {
                changed |= self.step(sb, true, i);
            } else {
                for i in 0..sb.containers.len() {
                    changed |= self.step(sb, false, i);
                }
            }
            if !changed {
                break;
            }
        }
        next_due(sb, self.now)
    }

    /// SIGTERM to every running container; SIGKILL at the end of the grace period (S8.5).
    fn begin_stopping(&mut self, sb: &mut PodSandbox) {
        let grace =
            object::get_i64(self.pod, &["metadata", "deletionGracePeriodSeconds"]).unwrap_or(30);
        let grace_ms = if grace > 0 {
            (grace as u64).max(2) * 1000
        } else {
            0
        };
        let deadline = self.now.plus_ms(grace_ms);
        sb.stopping = Some(Stopping {
            started: self.now,
            deadline,
        });
        for init in [true, false] {
            let n = if init {
                sb.init.len()
            } else {
                sb.containers.len()
            };
            for i in 0..n {
                let list = if init {
                    &mut sb.init
                } else {
                    &mut sb.containers
                };
                let Some(c) = list.get_mut(i) else { continue };
                let name = c.name.clone();
                if let ContainerState::Running { exit_at, .. } = &mut c.state {
                    let stop = match c.behavior.on_sigterm {
                        Some(ms) if grace_ms > 0 => (self.now.plus_ms(ms.min(grace_ms)), 0),
                        _ => (deadline, 137),
                    };
                    if exit_at.is_none_or(|(t, _)| t > stop.0) {
                        *exit_at = Some(stop);
                    }
                    self.event(
                        &name,
                        init,
                        "Normal",
                        "Killing",
                        &format!("Stopping container {name}"),
                    );
                }
            }
        }
    }

    /// Advances one container by one transition if it is due. Returns whether it changed.
    fn step(&mut self, sb: &mut PodSandbox, init: bool, i: usize) -> bool {
        let now = self.now;
        let pod: &Object = self.pod;
        let list = if init {
            &mut sb.init
        } else {
            &mut sb.containers
        };
        let Some(c) = list.get_mut(i) else {
            return false;
        };
        let spec = container_spec(self.pod, init, &c.name);
        // A new image for a container that never got its old one (`kubectl set image` on a
        // pod in ImagePullBackOff): the back-off is per image, so the new one pulls at once.
        let spec_image = object::get_str(spec, &["image"]).unwrap_or("");
        // `c.image` is always `Image::parse(&c.image_ref)`: an unchanged reference is not
        // parsed again.
        if matches!(
            c.state,
            ContainerState::Waiting
                | ContainerState::Pulling { .. }
                | ContainerState::PullFailed { .. }
                | ContainerState::PullBackOff { .. }
        ) && *c.image_ref != *spec_image
        {
            let image = Image::parse(spec_image);
            c.image_ref = spec_image.into();
            if image != *c.image {
                c.image = image.into();
                c.behavior = Behavior::of(&c.image, spec);
                c.pull_backoff_ms = 0;
                c.state = ContainerState::Waiting;
            }
        }
        match c.state.clone() {
            ContainerState::Waiting => {
                if !self.volumes_ready() {
                    return false;
                }
                let raw = object::get_str(spec, &["image"]).unwrap_or("");
                let shown = if raw.contains(':') || raw.contains('@') {
                    raw
                } else {
                    c.image.full.as_str()
                };
                let policy = object::get_str(spec, &["imagePullPolicy"]).unwrap_or(
                    if c.image.tag == "latest" {
                        "Always"
                    } else {
                        "IfNotPresent"
                    },
                );
                let present = self
                    .node_images
                    .get(self.node)
                    .is_some_and(|s| s.contains(&c.image.full));
                if present && policy != "Always" {
                    c.state = ContainerState::Starting {
                        at: now.plus_ms(self.start_ms),
                    };
                    self.event_joined(
                        &c.name,
                        init,
                        "Normal",
                        "Pulled",
                        &["Container image \"", raw, "\" already present on machine"],
                    );
                } else {
                    let ms = if present {
                        self.api.rng.range(200, 900)
                    } else if c.image.pull_error().is_some() {
                        // Resolving a tag the registry lacks fails within a second or so.
                        self.api.rng.range(300, 1_500)
                    } else {
                        self.api.rng.range(self.pull_ms.0, self.pull_ms.1)
                    };
                    c.state = ContainerState::Pulling {
                        since: now,
                        until: now.plus_ms(ms),
                    };
                    let parts = ["Pulling image \"", shown, "\""];
                    self.event_joined(&c.name, init, "Normal", "Pulling", &parts);
                }
                true
            }
            ContainerState::Pulling { since, until } if now >= until => {
                // The image as the Events show it: the spec's string when it names a tag or
                // digest, else the full reference (borrowed from a handle on the image, as
                // the container changes below).
                let image = c.image.clone();
                let raw = object::get_str(spec, &["image"]).unwrap_or("");
                let shown = if raw.contains(':') || raw.contains('@') {
                    raw
                } else {
                    image.full.as_str()
                };
                if let Some(err) = c.image.pull_error() {
                    // The kubelet's image back-off: 10 s, doubling to 300 s per image.
                    c.pull_backoff_ms = if c.pull_backoff_ms == 0 {
                        BACKOFF_INITIAL_MS
                    } else {
                        (c.pull_backoff_ms * 2).min(BACKOFF_MAX_MS)
                    };
                    c.state = ContainerState::PullFailed {
                        at: until,
                        message: err.clone(),
                    };
                    let msg = format!("Failed to pull image \"{shown}\": {err}");
                    self.event(&c.name, init, "Warning", "Failed", &msg);
                    self.event(&c.name, init, "Warning", "Failed", "Error: ErrImagePull");
                    return true;
                }
                c.pull_backoff_ms = 0;
                let took = go_duration_string(until.0.saturating_sub(since.0));
                let mut size = String::with_capacity(20);
                crate::runtime::push_decimal(&mut size, c.image.size_bytes());
                match self.node_images.get_mut(self.node) {
                    Some(images) => {
                        if !images.contains(&c.image.full) {
                            images.insert(c.image.full.clone());
                        }
                    }
                    None => {
                        let images = BTreeSet::from([c.image.full.clone()]);
                        self.node_images.insert(self.node.to_string(), images);
                    }
                }
                c.state = ContainerState::Starting {
                    at: until.plus_ms(self.start_ms),
                };
                let parts = [
                    "Successfully pulled image \"",
                    shown,
                    "\" in ",
                    &took,
                    " (",
                    &took,
                    " including waiting). Image size: ",
                    &size,
                    " bytes.",
                ];
                self.event_joined(&c.name, init, "Normal", "Pulled", &parts);
                true
            }
            ContainerState::Starting { at } if now >= at => {
                // The digest of the draw's decimal digits and the name, without joining them.
                let draw = crate::runtime::Decimal::of(self.api.rng.next_u64());
                let id = hex_digest_parts(&[draw.as_str(), &c.name], 64);
                // The image decides how long its server takes to answer a probe.
                let ready_at = match object::get(spec, &["readinessProbe"]) {
                    Some(p) => now
                        .plus_secs(
                            object::get_i64(p, &["initialDelaySeconds"])
                                .unwrap_or(0)
                                .max(0) as u64,
                        )
                        .plus_ms(c.image.def().warmup_ms(&c.image)),
                    None => now,
                };
                let exit_at = c.behavior.exits.map(|(ms, code)| (now.plus_ms(ms), code));
                c.state = ContainerState::Running {
                    started: now,
                    exit_at,
                    ready_at,
                };
                c.container_id = id.clone();
                self.started.push((init, i, id));
                let name = &c.name;
                self.event_joined(
                    name,
                    init,
                    "Normal",
                    "Created",
                    &["Created container: ", name],
                );
                self.event_joined(
                    name,
                    init,
                    "Normal",
                    "Started",
                    &["Started container ", name],
                );
                true
            }
            ContainerState::Running { .. } => {
                let changed = exit_if_due(c, now);
                let ready = container_ready(c, now);
                let (probe_failing, reported) = (
                    c.has_readiness_probe && !c.probe_passing,
                    c.reported_unready,
                );
                if probe_failing && !reported {
                    c.reported_unready = true;
                    let msg = readiness_failure_message(spec, &sb.ip);
                    self.event(&c.name, init, "Warning", "Unhealthy", &msg);
                } else if !probe_failing && reported {
                    c.reported_unready = false;
                }
                let _ = ready;
                changed
            }
            ContainerState::Terminated(t) => {
                let restart_policy =
                    object::get_str(pod, &["spec", "restartPolicy"]).unwrap_or("Always");
                let restart = if init {
                    t.exit_code != 0 && restart_policy != "Never"
                } else {
                    match restart_policy {
                        "Never" => false,
                        "OnFailure" => t.exit_code != 0,
                        _ => true,
                    }
                };
                if !restart || now < t.finished.plus_ms(SYNC_DELAY_MS) {
                    return false;
                }
                // The back-off resets after a long healthy run (2 × the maximum, S8.4).
                if t.finished.0.saturating_sub(t.started.0) > 2 * BACKOFF_MAX_MS {
                    c.next_backoff_ms = 0;
                }
                let delay = c.next_backoff_ms;
                c.next_backoff_ms = if delay == 0 {
                    BACKOFF_INITIAL_MS
                } else {
                    (delay * 2).min(BACKOFF_MAX_MS)
                };
                c.last_terminated = Some(t.clone());
                if delay == 0 {
                    restart_now(c, now);
                } else {
                    c.state = ContainerState::BackOff {
                        until: t.finished.plus_ms(delay),
                        delay_ms: delay,
                    };
                    let msg = format!(
                        "Back-off restarting failed container {} in pod {}",
                        c.name,
                        pod_ref(pod)
                    );
                    self.event(&c.name, init, "Warning", "BackOff", &msg);
                }
                true
            }
            ContainerState::BackOff { until, .. } if now >= until => {
                restart_now(c, now);
                true
            }
            // The pod worker syncs again after the failed pull: inside the back-off it
            // reports ImagePullBackOff instead of pulling.
            ContainerState::PullFailed { at, message } if now >= at.plus_ms(SYNC_DELAY_MS) => {
                let raw = object::get_str(spec, &["image"]).unwrap_or("").to_string();
                let shown = if raw.contains(':') || raw.contains('@') {
                    raw
                } else {
                    c.image.full.clone()
                };
                c.state = ContainerState::PullBackOff {
                    until: at.plus_ms(c.pull_backoff_ms),
                    message: format!("Back-off pulling image \"{shown}\": ErrImagePull: {message}"),
                };
                let msg = format!("Back-off pulling image \"{shown}\"");
                self.event(&c.name, init, "Normal", "BackOff", &msg);
                self.event(
                    &c.name,
                    init,
                    "Warning",
                    "Failed",
                    "Error: ImagePullBackOff",
                );
                true
            }
            ContainerState::PullBackOff { until, .. } if now >= until => {
                c.state = ContainerState::Waiting;
                true
            }
            _ => false,
        }
    }
}

fn readiness_failure_message(spec: &Value, ip: &str) -> String {
    let probe = object::get(spec, &["readinessProbe"])
        .cloned()
        .unwrap_or(Value::Null);
    if object::get(&probe, &["httpGet"]).is_some() {
        "Readiness probe failed: HTTP probe failed with statuscode: 503".to_string()
    } else if let Some(t) = object::get(&probe, &["tcpSocket"]) {
        let port = object::get(t, &["port"])
            .map(|p| {
                p.as_i64()
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| p.as_str().unwrap_or("").to_string())
            })
            .unwrap_or_default();
        format!("Readiness probe failed: dial tcp {ip}:{port}: connect: connection refused")
    } else {
        "Readiness probe failed: ".to_string()
    }
}

/// A restarted container starts again at once (the image is on the node by now).
fn restart_now(c: &mut ContainerRuntime, now: Time) {
    c.restart_count += 1;
    c.previous_log = std::mem::take(&mut c.log);
    c.state = ContainerState::Starting { at: now };
}

fn completed_ok(c: &ContainerRuntime) -> bool {
    matches!(&c.state, ContainerState::Terminated(t) if t.exit_code == 0)
}

fn exit_if_due(c: &mut ContainerRuntime, now: Time) -> bool {
    if let ContainerState::Running {
        started,
        exit_at: Some((at, code)),
        ..
    } = c.state
    {
        if now >= at {
            c.state = ContainerState::Terminated(Terminated {
                exit_code: code,
                reason: if code == 0 { "Completed" } else { "Error" }.to_string(),
                started,
                finished: at,
                container_id: c.container_id.clone(),
            });
            return true;
        }
    }
    false
}

fn container_ready(c: &ContainerRuntime, now: Time) -> bool {
    match c.state {
        ContainerState::Running { ready_at, .. } => now >= ready_at && c.probe_passing,
        _ => false,
    }
}

fn next_due(sb: &PodSandbox, now: Time) -> Option<Time> {
    let mut due: Option<Time> = None;
    let mut consider = |t: Time| {
        if due.is_none_or(|d| t < d) {
            due = Some(t);
        }
    };
    let active_init = sb.init.iter().position(|c| !completed_ok(c));
    let stopping = sb.stopping.is_some();
    for (init, list) in [(true, &sb.init), (false, &sb.containers)] {
        for (i, c) in list.iter().enumerate() {
            if !stopping && init && Some(i) != active_init {
                continue;
            }
            if !stopping && !init && active_init.is_some() {
                continue;
            }
            match &c.state {
                ContainerState::Pulling { until, .. } if !stopping => consider(*until),
                ContainerState::Starting { at } if !stopping => consider(*at),
                ContainerState::Running {
                    exit_at, ready_at, ..
                } => {
                    if let Some((t, _)) = exit_at {
                        consider(*t);
                    }
                    if *ready_at > now && !stopping {
                        consider(*ready_at);
                    }
                }
                ContainerState::Terminated(t) if !stopping => {
                    consider(t.finished.plus_ms(SYNC_DELAY_MS).max(now));
                }
                ContainerState::BackOff { until, .. } if !stopping => consider(*until),
                ContainerState::PullFailed { at, .. } if !stopping => {
                    consider(at.plus_ms(SYNC_DELAY_MS))
                }
                ContainerState::PullBackOff { until, .. } if !stopping => consider(*until),
                _ => {}
            }
        }
    }
    // A Terminated container that will not restart is not due: filter those out by checking
    // whether the due time is in the past (the reconcile found nothing to do then).
    due.filter(|t| *t > now)
}

// ---------------------------------------------------------------------------------------
// Status

fn ts(t: Time) -> Value {
    Value::String(t.rfc3339())
}

/// `<name>_<namespace>(<uid>)`: how the kubelet names a pod in its messages (formatted only
/// for the one that needs it).
fn pod_ref(pod: &Object) -> String {
    format!(
        "{}_{}({})",
        object::name(pod),
        object::namespace(pod),
        object::uid(pod)
    )
}

fn state_json(
    c: &ContainerRuntime,
    waiting_reason: &str,
    pod: &Object,
    memo: &mut ConditionMemo,
) -> (Value, bool, Option<bool>) {
    match &c.state {
        ContainerState::Running { started, .. } => {
            let secs = started.0 / 1000;
            let state = match &memo.running {
                Some((at, v)) if *at == secs => v.clone(),
                _ => {
                    let v = one_field("running", one_field("startedAt", ts(*started)));
                    memo.running = Some((secs, v.clone()));
                    v
                }
            };
            (state, true, Some(true))
        }
        ContainerState::Terminated(t) => (terminated_json(t), false, Some(false)),
        ContainerState::BackOff { delay_ms, .. } => (
            json!({"waiting": {
                "reason": "CrashLoopBackOff",
                "message": format!("back-off {} restarting failed container={} pod={}",
                                   go_duration_string(*delay_ms), c.name, pod_ref(pod))}}),
            false,
            Some(false),
        ),
        ContainerState::PullFailed { message, .. } => (
            json!({"waiting": {"reason": "ErrImagePull", "message": message}}),
            false,
            Some(false),
        ),
        ContainerState::PullBackOff { message, .. } => (
            json!({"waiting": {"reason": "ImagePullBackOff", "message": message}}),
            false,
            Some(false),
        ),
        ContainerState::Starting { .. } if c.restart_count > 0 => (
            json!({"waiting": {"reason": "ContainerCreating"}}),
            false,
            Some(false),
        ),
        _ => {
            let known = memo.waiting.iter().find(|v| {
                object::get(v, &["waiting"])
                    .and_then(Value::as_object)
                    .is_some_and(|w| {
                        w.len() == 1
                            && object::field(w, "reason").and_then(Value::as_str)
                                == Some(waiting_reason)
                    })
            });
            let state = match known {
                Some(v) => v.clone(),
                None => {
                    let v = one_field("waiting", one_field("reason", Value::from(waiting_reason)));
                    memo.waiting.push(v.clone());
                    v
                }
            };
            (state, false, None)
        }
    }
}

/// `{key: value}`, without `json!`'s copy of the value through serde.
fn one_field(key: &str, value: Value) -> Value {
    Value::Object(std::iter::once((key.to_string(), value)).collect())
}

fn terminated_json(t: &Terminated) -> Value {
    json!({"terminated": {
        "containerID": format!("containerd://{}", t.container_id),
        "exitCode": t.exit_code,
        "finishedAt": ts(t.finished),
        "reason": t.reason,
        "startedAt": ts(t.started),
    }})
}

fn container_status(
    c: &ContainerRuntime,
    spec: &Value,
    waiting_reason: &str,
    now: Time,
    pod: &Object,
    old: Option<&Value>,
    memo: &mut ConditionMemo,
) -> Value {
    let (state, running, started) = state_json(c, waiting_reason, pod, memo);
    let ever_started = !c.container_id.is_empty();
    let ready = container_ready(c, now) && running;
    let started = started.unwrap_or(false);

    // Until the runtime has the image, the status echoes the spec's image string.
    let image = if ever_started {
        c.image.full.clone()
    } else {
        object::get_str(spec, &["image"]).unwrap_or("").to_string()
    };
    // Container statuses list the mounts (1.30+), with recursiveReadOnly for read-only ones.
    let spec_mounts = object::get_array(spec, &["volumeMounts"]);
    // The list of the last status when it says the same (shared, not rebuilt: it changes
    // only with the spec, which a running pod cannot change).
    let old_mounts = old
        .and_then(|o| o.get("volumeMounts"))
        .and_then(Value::as_array)
        .filter(|old| {
            old.len() == spec_mounts.len()
                && old
                    .iter()
                    .zip(spec_mounts)
                    .all(|(o, m)| status_mount_is(o, m))
        });
    let mounts = match old_mounts {
        Some(old) => Some(Value::Array(old.clone())),
        None if spec_mounts.is_empty() => None,
        None => Some(Value::Array(
            spec_mounts
                .iter()
                .map(|m| {
                    let mut v: Vec<(String, Value)> = Vec::with_capacity(4);
                    v.push((
                        "mountPath".into(),
                        Value::from(object::get_str(m, &["mountPath"]).unwrap_or("")),
                    ));
                    v.push((
                        "name".into(),
                        Value::from(object::get_str(m, &["name"]).unwrap_or("")),
                    ));
                    if object::get_bool(m, &["readOnly"]) == Some(true) {
                        v.push(("readOnly".into(), Value::Bool(true)));
                        v.push(("recursiveReadOnly".into(), Value::from("Disabled")));
                    }
                    Value::Object(v.into_iter().collect())
                })
                .collect(),
        )),
    };
    let last_state = c
        .last_terminated
        .as_ref()
        .map(terminated_json)
        .unwrap_or_else(|| {
            memo.empty
                .get_or_insert_with(|| Value::Object(Map::new()))
                .clone()
        });
    // Built by hand in key order (`json!` copies every value through serde).
    let mut s: Vec<(String, Value)> = Vec::with_capacity(10);
    if ever_started {
        let mut id = String::with_capacity(13 + c.container_id.len());
        id.push_str("containerd://");
        id.push_str(&c.container_id);
        s.push(("containerID".into(), Value::String(id)));
    }
    s.push(("image".into(), Value::String(image)));
    s.push((
        "imageID".into(),
        Value::String(if ever_started {
            memo.image_id(&c.image)
        } else {
            String::new()
        }),
    ));
    s.push(("lastState".into(), last_state));
    s.push(("name".into(), Value::String(c.name.clone())));
    s.push(("ready".into(), Value::Bool(ready)));
    s.push(("restartCount".into(), Value::from(c.restart_count)));
    s.push(("started".into(), Value::Bool(started)));
    s.push(("state".into(), state));
    if let Some(m) = mounts {
        s.push(("volumeMounts".into(), m));
    }
    Value::Object(s.into_iter().collect())
}

/// Whether `status` is the container status entry the kubelet reports for the spec's
/// volume mount `spec`.
fn status_mount_is(status: &Value, spec: &Value) -> bool {
    let Some(o) = status.as_object() else {
        return false;
    };
    let read_only = object::get_bool(spec, &["readOnly"]) == Some(true);
    o.len() == if read_only { 4 } else { 2 }
        && object::field(o, "mountPath").and_then(Value::as_str)
            == Some(object::get_str(spec, &["mountPath"]).unwrap_or(""))
        && object::field(o, "name").and_then(Value::as_str)
            == Some(object::get_str(spec, &["name"]).unwrap_or(""))
        && (!read_only
            || (object::field(o, "readOnly") == Some(&Value::Bool(true))
                && object::field(o, "recursiveReadOnly").and_then(Value::as_str)
                    == Some("Disabled")))
}

/// The entry of the container `name` in the old status's `list`.
fn old_status_of<'a>(old: &'a Value, list: &str, name: &str) -> Option<&'a Value> {
    object::get_array(old, &[list])
        .iter()
        .find(|c| object::get_str(c, &["name"]) == Some(name))
}

/// `lead`, then `names` joined by spaces, then `]`, in one allocation (a condition's
/// message: no `format!` and no joined copy).
fn bracketed(lead: &str, names: &[&str]) -> String {
    let len = lead.len() + names.iter().map(|n| n.len() + 1).sum::<usize>() + 1;
    let mut out = String::with_capacity(len);
    out.push_str(lead);
    for (i, n) in names.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(n);
    }
    out.push(']');
    out
}

/// The pod status the kubelet reports for `sb` (S8.1).
fn pod_status(pod: &Object, sb: &PodSandbox, now: Time, memo: &mut ConditionMemo) -> Value {
    // Built values are moved into the status (`json!` would copy them through serde).
    let empty = json!({});
    let old = pod.get("status").unwrap_or(&empty);
    let init_done = sb.init.iter().all(completed_ok);
    let main_waiting = if sb.init.is_empty() || init_done {
        if sb.init.is_empty() {
            "ContainerCreating"
        } else {
            "PodInitializing"
        }
    } else {
        "PodInitializing"
    };
    let mut statuses: Vec<Value> = sb
        .containers
        .iter()
        .map(|c| {
            container_status(
                c,
                container_spec(pod, false, &c.name),
                main_waiting,
                now,
                pod,
                old_status_of(old, "containerStatuses", &c.name),
                memo,
            )
        })
        .collect();
    if statuses.len() > 1 {
        kubeplay_shell::sorting::sort_by(&mut statuses, |a, b| {
            object::get_str(a, &["name"]).cmp(&object::get_str(b, &["name"]))
        });
    }
    let init_statuses: Vec<Value> = sb
        .init
        .iter()
        .map(|c| {
            let spec = container_spec(pod, true, &c.name);
            let old = old_status_of(old, "initContainerStatuses", &c.name);
            container_status(c, spec, "PodInitializing", now, pod, old, memo)
        })
        .collect();
    let ever_ran = |c: &ContainerRuntime| !c.container_id.is_empty();
    let all_main_done = !sb.containers.is_empty()
        && sb
            .containers
            .iter()
            .all(|c| matches!(c.state, ContainerState::Terminated(_)));
    let restart_policy = object::get_str(pod, &["spec", "restartPolicy"]).unwrap_or("Always");
    let finished_for_good = all_main_done
        && sb.containers.iter().all(|c| match &c.state {
            ContainerState::Terminated(t) => match restart_policy {
                "Never" => true,
                "OnFailure" => t.exit_code == 0,
                _ => false,
            },
            _ => false,
        });
    let all_ok = sb
        .containers
        .iter()
        .all(|c| matches!(&c.state, ContainerState::Terminated(t) if t.exit_code == 0));
    let phase = if sb.stopped || finished_for_good {
        if all_ok {
            "Succeeded"
        } else {
            "Failed"
        }
    } else if init_done && sb.containers.iter().any(ever_ran) {
        "Running"
    } else {
        "Pending"
    };
    let terminal = matches!(phase, "Succeeded" | "Failed");
    let unready: Vec<&str> = sb
        .containers
        .iter()
        .filter(|c| !container_ready(c, now))
        .map(|c| c.name.as_str())
        .collect();
    let containers_ready = unready.is_empty() && !terminal;
    // One pass over the old conditions: the first of each type the kubelet reports, and
    // the others, which are kept as they are.
    let mut old_of_type: [Option<&Value>; 5] = [None; 5];
    let mut conditions: Vec<Value> = Vec::with_capacity(5);
    for c in object::get_array(old, &["conditions"]) {
        let ty = c
            .as_object()
            .and_then(|m| object::field(m, "type"))
            .and_then(Value::as_str);
        match ty.and_then(ConditionMemo::type_index) {
            Some(i) => {
                if let Some(slot @ None) = old_of_type.get_mut(i) {
                    *slot = Some(c);
                }
            }
            None => conditions.push(c.clone()),
        }
    }
    let mut cond = |ty: &str, ok: bool, reason: Option<&str>, message: Option<String>| {
        let status = if ok { "True" } else { "False" };
        let old = ConditionMemo::type_index(ty)
            .and_then(|i| old_of_type.get(i).copied().flatten())
            .filter(|c| object::get_str(c, &["status"]) == Some(status));
        let keys = 4 + usize::from(reason.is_some()) + usize::from(message.is_some());
        // Whether `c` says this condition, changed at `since` (`None`: any time).
        let says = |c: &Value, since: Option<&str>| {
            c.as_object().is_some_and(|o| {
                o.len() == keys
                    && object::field(o, "lastProbeTime").is_some_and(Value::is_null)
                    && object::field(o, "lastTransitionTime")
                        .is_some_and(|t| since.is_none_or(|s| t.as_str() == Some(s)))
                    && object::field(o, "reason").and_then(Value::as_str) == reason
                    && object::field(o, "message").and_then(Value::as_str) == message.as_deref()
                    && object::field(o, "status").and_then(Value::as_str) == Some(status)
                    && object::field(o, "type").and_then(Value::as_str) == Some(ty)
            })
        };
        // An unchanged condition is the old one (shared, copy on write), not a new copy:
        // most syncs change one condition or none.
        if let Some(o) = old.and_then(Value::as_object) {
            if o.len() == keys
                && object::field(o, "lastProbeTime").is_some_and(Value::is_null)
                && object::field(o, "lastTransitionTime").is_some()
                && object::field(o, "reason").and_then(Value::as_str) == reason
                && object::field(o, "message").and_then(Value::as_str) == message.as_deref()
            {
                return Value::Object(o.clone());
            }
        }
        let old_since = old.and_then(|c| object::get(c, &["lastTransitionTime"]));
        if old_since.is_none() {
            memo.set_now(now);
        }
        // A changed one is the one last built for another pod when it says the same.
        let slot = ConditionMemo::slot(ty, ok);
        let since = match old_since {
            Some(t) => t.as_str(),
            None => Some(memo.stamp()),
        };
        let memoized = slot
            .and_then(|i| memo.built.get(i))
            .and_then(Option::as_ref);
        if let (Some(since), Some(m)) = (since, memoized) {
            if says(m, Some(since)) {
                return m.clone();
            }
        }
        let since = match old_since {
            Some(t) => t.clone(),
            None => Value::from(memo.stamp()),
        };
        // In key order: the map is built without searching.
        let mut entries: Vec<(String, Value)> = Vec::with_capacity(6);
        entries.push(("lastProbeTime".into(), Value::Null));
        entries.push(("lastTransitionTime".into(), since));
        if let Some(m) = message {
            entries.push(("message".into(), Value::String(m)));
        }
        if let Some(r) = reason {
            entries.push(("reason".into(), Value::from(r)));
        }
        entries.push(("status".into(), Value::from(status)));
        entries.push(("type".into(), Value::from(ty)));
        let built = Value::Object(entries.into_iter().collect());
        if let Some(m) = slot.and_then(|i| memo.built.get_mut(i)) {
            *m = Some(built.clone());
        }
        built
    };
    conditions.push(cond("PodReadyToStartContainers", !sb.stopped, None, None));
    if init_done {
        conditions.push(cond(
            "Initialized",
            true,
            terminal.then_some("PodCompleted"),
            None,
        ));
    } else {
        let pending: Vec<&str> = sb
            .init
            .iter()
            .filter(|c| !completed_ok(c))
            .map(|c| c.name.as_str())
            .collect();
        conditions.push(cond(
            "Initialized",
            false,
            Some("ContainersNotInitialized"),
            Some(bracketed("containers with incomplete status: [", &pending)),
        ));
    }
    let (reason, msg) = if terminal {
        (Some("PodCompleted"), None)
    } else if containers_ready {
        (None, None)
    } else {
        (
            Some("ContainersNotReady"),
            Some(bracketed("containers with unready status: [", &unready)),
        )
    };
    conditions.push(cond("Ready", containers_ready, reason, msg.clone()));
    conditions.push(cond("ContainersReady", containers_ready, reason, msg));
    match old_of_type[4] {
        Some(c) => conditions.push(c.clone()),
        None => conditions.push(cond("PodScheduled", true, None, None)),
    }
    // In key order (`json!` copies every value through serde); the address lists are the
    // old ones when they say the same.
    let ip_list = |key: &str, ip: &str| match old.get(key).and_then(Value::as_array) {
        Some(l)
            if l.len() == 1
                && l.first().and_then(Value::as_object).is_some_and(|m| {
                    m.len() == 1 && object::field(m, "ip").and_then(Value::as_str) == Some(ip)
                }) =>
        {
            Value::Array(l.clone())
        }
        _ => Value::Array(vec![one_field("ip", Value::from(ip))]),
    };
    let mut fields: Vec<(String, Value)> = Vec::with_capacity(14);
    fields.push(("conditions".into(), Value::Array(conditions)));
    fields.push(("containerStatuses".into(), Value::Array(statuses)));
    fields.push(("hostIP".into(), Value::from(sb.host_ip.as_str())));
    fields.push(("hostIPs".into(), ip_list("hostIPs", &sb.host_ip)));
    if !init_statuses.is_empty() {
        fields.push(("initContainerStatuses".into(), Value::Array(init_statuses)));
    }
    for keep in ["message", "nominatedNodeName"] {
        if let Some(v) = old.get(keep) {
            fields.push((keep.into(), v.clone()));
        }
    }
    fields.push(("phase".into(), Value::from(phase)));
    fields.push(("podIP".into(), Value::from(sb.ip.as_str())));
    fields.push(("podIPs".into(), ip_list("podIPs", &sb.ip)));
    fields.push(("qosClass".into(), Value::from(sb.qos_class)));
    if let Some(v) = old.get("reason") {
        fields.push(("reason".into(), v.clone()));
    }
    fields.push((
        "startTime".into(),
        Value::from(memo.start_stamp(sb.start_time)),
    ));
    Value::Object(fields.into_iter().collect())
}

// ---------------------------------------------------------------------------------------
// `sim` hooks

impl Cluster {
    /// `sim probe-fail POD` / `sim probe-pass POD`: the readiness probe of `container` (the
    /// first container when `None`) starts failing or passing; the kubelet reports it at once.
    pub fn sim_set_probe(
        &mut self,
        namespace: &str,
        pod: &str,
        container: Option<&str>,
        passing: bool,
    ) -> Result<(), FsError> {
        self.runtime
            .set_probe_result(namespace, pod, container, passing)?;
        self.enqueue_after("kubelet", ObjectKey::new(Kind::Pod, namespace, pod), 0);
        self.advance(0);
        Ok(())
    }

    /// `sim kill POD [CONTAINER]`: the container's process dies (exit 137); the kubelet
    /// restarts it under the pod's restart policy with CrashLoopBackOff (S8.4).
    pub fn sim_kill_container(
        &mut self,
        namespace: &str,
        pod: &str,
        container: Option<&str>,
    ) -> Result<(), FsError> {
        let now = self.api.now;
        self.runtime
            .kill_container(namespace, pod, container, now)?;
        self.enqueue_after("kubelet", ObjectKey::new(Kind::Pod, namespace, pod), 0);
        self.advance(0);
        Ok(())
    }

    /// The container's main process exits with `code`, as an attached shell does on `exit`
    /// (the kubelet then applies the pod's restart policy).
    pub fn sim_exit_container(
        &mut self,
        namespace: &str,
        pod: &str,
        container: Option<&str>,
        code: i32,
    ) -> Result<(), FsError> {
        let now = self.api.now;
        self.runtime
            .exit_container(namespace, pod, container, code, now)?;
        self.enqueue_after("kubelet", ObjectKey::new(Kind::Pod, namespace, pod), 0);
        self.advance(0);
        Ok(())
    }
}

#[cfg(test)]
#[path = "kubelet_tests.rs"]
mod tests;

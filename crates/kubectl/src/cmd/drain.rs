//! `kubectl drain` (spec S6.10), as kubectl 1.33's `pkg/cmd/drain` and `pkg/drain` print it.
//!
//! Cordons every node first, then per node: lists its pods, runs the filters in upstream's
//! order (DaemonSet-managed, mirror, local storage, unreplicated) — any error stops the node
//! before anything is evicted —, prints the warnings, and evicts the rest through the
//! engine's Eviction API (`Api::evict`, which answers 429 while a PodDisruptionBudget allows
//! no disruption). Each eviction is its own "goroutine": it prints `evicting pod ns/name` on
//! every attempt, retries a 429 after 5 s of virtual time, then polls every second until the
//! pod is gone (`pod/x evicted`). `--timeout` bounds the whole node; on expiry the real
//! `global timeout reached` error, the pending pods and the pending nodes are printed.
//!
//! Without `--timeout` the real command would retry forever; here, once the cluster has
//! nothing left to do and a full retry round changed nothing, drain stops as if interrupted
//! (exit 130, no extra output), so scripts and the page never hang. It never deletes a pod
//! behind the API's back and never skips the budget check (except `--disable-eviction`,
//! which deletes as the real flag does).

use super::{CmdError, CmdResult};
use crate::context::Kubectl;
use crate::flags::{self, flag, FlagKind};
use crate::output::Output;
use kubeplay_engine::{object, time, ApiError, Kind, PatchType, Selector, Time};
use serde_json::{json, Value};
use std::sync::Arc;

const FLAGS: &[flags::FlagSpec] = &[
    flag("selector", Some('l'), FlagKind::Value),
    flag("dry-run", None, FlagKind::Value),
    flag("ignore-daemonsets", None, FlagKind::Bool),
    flag("delete-emptydir-data", None, FlagKind::Bool),
    flag("delete-local-data", None, FlagKind::Bool),
    flag("force", None, FlagKind::Bool),
    flag("grace-period", None, FlagKind::Value),
    flag("timeout", None, FlagKind::Value),
    flag("disable-eviction", None, FlagKind::Bool),
    flag("pod-selector", None, FlagKind::Value),
    flag("skip-wait-for-delete-timeout", None, FlagKind::Value),
    flag("chunk-size", None, FlagKind::Value),
    flag("namespace", Some('n'), FlagKind::Value),
];

/// kubectl's fixed delay after a 429 from the Eviction API.
const EVICT_RETRY_MS: u64 = 5_000;
/// waitForDelete's poll interval.
const POLL_MS: u64 = 1_000;

const DAEMONSET_FATAL: &str = "DaemonSet-managed Pods (use --ignore-daemonsets to ignore)";
const DAEMONSET_WARNING: &str = "ignoring DaemonSet-managed Pods";
const LOCAL_STORAGE_FATAL: &str =
    "Pods with local storage (use --delete-emptydir-data to override)";
// Upstream's message already starts with "cannot delete", and the error wraps it in another
// "cannot delete %s: %s", so kubectl 1.33 really prints "cannot delete cannot delete Pods…".
const UNMANAGED_FATAL: &str =
    "cannot delete Pods that declare no controller (use --force to override)";
const UNMANAGED_WARNING: &str = "deleting Pods that declare no controller";

struct Options {
    force: bool,
    ignore_daemonsets: bool,
    delete_emptydir: bool,
    disable_eviction: bool,
    dry_run_client: bool,
    dry_run_server: bool,
    grace: Option<i64>,
    timeout_ms: u64,
    pod_selector: Selector,
}

/// What the filters decided for one pod (`PodDeleteStatus`).
enum Verdict {
    Delete,
    Skip,
    Warn { delete: bool, msg: String },
    Error(String),
}

fn usage(message: impl Into<String>) -> CmdError {
    CmdError::Usage {
        command: "drain".into(),
        message: message.into(),
    }
}

fn parse_options(p: &flags::Parsed) -> Result<Options, CmdError> {
    let grace = match p.value("grace-period") {
        None => -1,
        Some(g) => g.parse::<i64>().map_err(|_| {
            CmdError::Plain(format!(
                "invalid argument \"{g}\" for \"--grace-period\" flag: strconv.ParseInt: parsing \"{g}\": invalid syntax"
            ))
        })?,
    };
    let timeout_ms = match p.value("timeout") {
        None => 0,
        Some(t) => time::parse_go_duration(t).map_err(|e| {
            CmdError::Plain(format!(
                "invalid argument \"{t}\" for \"--timeout\" flag: {e}"
            ))
        })?,
    };
    let (dry_run_client, dry_run_server) = match p.value("dry-run") {
        None | Some("none") | Some("false") => (false, false),
        Some("client") | Some("true") | Some("") => (true, false),
        Some("server") => (false, true),
        Some(other) => {
            return Err(CmdError::Plain(format!(
                "Invalid dry-run value ({other}). Must be \"none\", \"server\", or \"client\"."
            )))
        }
    };
    let pod_selector = match p.value("pod-selector") {
        None => Selector::everything(),
        Some(s) => Selector::parse(s).map_err(|_| {
            CmdError::Plain("--pod-selector=<pod_selector> must be a valid label selector".into())
        })?,
    };
    Ok(Options {
        force: p.bool("force"),
        ignore_daemonsets: p.bool("ignore-daemonsets"),
        delete_emptydir: p.bool("delete-emptydir-data") || p.bool("delete-local-data"),
        disable_eviction: p.bool("disable-eviction"),
        dry_run_client,
        dry_run_server,
        grace: (grace >= 0).then_some(grace),
        timeout_ms,
        pod_selector,
    })
}

fn is_finished(pod: &Value) -> bool {
    matches!(
        object::get_str(pod, &["status", "phase"]),
        Some("Succeeded" | "Failed")
    )
}

/// Upstream's filter chain; the last verdict wins unless one says "do not delete".
fn filter_pod(k: &Kubectl<'_>, o: &Options, pod: &Value) -> Verdict {
    let ns = object::namespace(pod);
    let cref = object::controller_ref(pod);
    let mut verdict = Verdict::Delete;
    // daemonSetFilter
    if let Some(r) = cref.as_ref().filter(|r| r.kind == "DaemonSet") {
        if !is_finished(pod) {
            if k.cluster
                .api
                .try_get(Kind::DaemonSet, ns, &r.name)
                .is_none()
            {
                let msg = format!("daemonsets.apps {:?} not found", r.name);
                if !o.force {
                    return Verdict::Error(msg);
                }
                verdict = Verdict::Warn { delete: true, msg };
            } else if !o.ignore_daemonsets {
                return Verdict::Error(DAEMONSET_FATAL.into());
            } else {
                return Verdict::Warn {
                    delete: false,
                    msg: DAEMONSET_WARNING.into(),
                };
            }
        }
    }
    // mirrorPodFilter
    if object::annotation(pod, "kubernetes.io/config.mirror").is_some() {
        return Verdict::Skip;
    }
    // localStorageFilter (its warning is overwritten by the next filter, as upstream's TODO says)
    let empty_dir = object::get_array(pod, &["spec", "volumes"])
        .iter()
        .any(|v| v.get("emptyDir").is_some());
    if empty_dir && !is_finished(pod) && !o.delete_emptydir {
        return Verdict::Error(LOCAL_STORAGE_FATAL.into());
    }
    // unreplicatedFilter
    if is_finished(pod) || cref.is_some() {
        return match verdict {
            Verdict::Warn { .. } => verdict,
            _ => Verdict::Delete,
        };
    }
    if o.force {
        return Verdict::Warn {
            delete: true,
            msg: UNMANAGED_WARNING.into(),
        };
    }
    Verdict::Error(UNMANAGED_FATAL.into())
}

/// GetPodsForDeletion: (pods to delete, warnings line, errors).
fn pods_for_deletion(
    k: &Kubectl<'_>,
    o: &Options,
    node: &str,
) -> (Vec<Arc<Value>>, String, Vec<String>) {
    let pods: Vec<Arc<Value>> = k
        .cluster
        .api
        .list(Kind::Pod, None, &o.pod_selector)
        .into_iter()
        .filter(|p| object::get_str(p, &["spec", "nodeName"]) == Some(node))
        .collect();
    let mut delete = Vec::new();
    // Upstream groups by message in a Go map (random order); here the first-seen order.
    let mut warnings: Vec<(String, Vec<String>)> = Vec::new();
    let mut errors: Vec<(String, Vec<String>)> = Vec::new();
    let add = |groups: &mut Vec<(String, Vec<String>)>, msg: String, id: String| match groups
        .iter_mut()
        .find(|(m, _)| *m == msg)
    {
        Some((_, ids)) => ids.push(id),
        None => groups.push((msg, vec![id])),
    };
    for pod in pods {
        let id = format!("{}/{}", object::namespace(&pod), object::name(&pod));
        match filter_pod(k, o, &pod) {
            Verdict::Delete => delete.push(pod),
            Verdict::Skip => {}
            Verdict::Warn { delete: d, msg } => {
                add(&mut warnings, msg, id);
                if d {
                    delete.push(pod);
                }
            }
            Verdict::Error(msg) => add(&mut errors, msg, id),
        }
    }
    let warnings = warnings
        .into_iter()
        .map(|(m, ids)| format!("{m}: {}", ids.join(", ")))
        .collect::<Vec<_>>()
        .join("; ");
    let errors = errors
        .into_iter()
        .map(|(m, ids)| format!("cannot delete {m}: {}", ids.join(", ")))
        .collect();
    (delete, warnings, errors)
}

/// `utilerrors.NewAggregate(errs).Error()`.
fn aggregate(errs: &[String]) -> String {
    match errs {
        [one] => one.clone(),
        many => format!("[{}]", many.join(", ")),
    }
}

fn node_names(k: &Kubectl<'_>, p: &flags::Parsed) -> Result<Vec<String>, CmdError> {
    let selector = p.value("selector");
    if p.positional.is_empty() && selector.is_none() {
        return Err(usage("USAGE: drain NODE [flags]"));
    }
    if !p.positional.is_empty() && selector.is_some_and(|s| !s.is_empty()) {
        return Err(usage(
            "error: cannot specify both a node name and a --selector option",
        ));
    }
    if let Some(sel) = selector {
        let s = Selector::parse(sel).map_err(CmdError::Plain)?;
        return Ok(k
            .cluster
            .api
            .list(Kind::Node, None, &s)
            .iter()
            .map(|n| object::name(n).to_string())
            .collect());
    }
    let mut names = Vec::new();
    for a in &p.positional {
        let name = match a.split_once('/') {
            Some(("node" | "nodes" | "no", n)) => n,
            Some((other, _)) => {
                return Err(CmdError::Plain(format!(
                    "error: expected resource of type node, got {other:?}"
                )))
            }
            None => a.as_str(),
        };
        // The resource builder fetches every node before anything is cordoned.
        k.cluster.api.get(Kind::Node, "", name)?;
        names.push(name.to_string());
    }
    Ok(names)
}

fn cordon(k: &mut Kubectl<'_>, node: &str, dry_run: bool, out: &mut Output) {
    let live = match k.cluster.api.get(Kind::Node, "", node) {
        Ok(n) => n,
        Err(e) => {
            out.errln(format!(
                "error: unable to cordon node {node:?}: {}",
                e.message
            ));
            return;
        }
    };
    if object::get_bool(&live, &["spec", "unschedulable"]).unwrap_or(false) {
        out.outln(format!("node/{node} already cordoned"));
        return;
    }
    if !dry_run {
        let body = json!({"spec": {"unschedulable": true}});
        if let Err(e) = k
            .cluster
            .api
            .patch(Kind::Node, "", node, PatchType::StrategicMerge, &body)
        {
            out.errln(format!(
                "error: unable to cordon node {node:?}: {}",
                e.message
            ));
            return;
        }
    }
    let suffix = if dry_run { " (dry run)" } else { "" };
    out.outln(format!("node/{node} cordoned{suffix}"));
}

pub fn run(k: &mut Kubectl<'_>, args: &[String], out: &mut Output) -> CmdResult {
    let p = flags::parse(args, FLAGS).map_err(|m| super::flag_error("drain", m))?;
    let o = parse_options(&p)?;
    let nodes = node_names(k, &p)?;
    for node in &nodes {
        cordon(k, node, o.dry_run_client, out);
    }
    let mut fatal: Vec<String> = Vec::new();
    let mut remaining: Vec<String> = Vec::new();
    let mut interrupted = false;
    for node in &nodes {
        match drain_node(k, &o, node, out) {
            Ok(()) => {
                let suffix = if o.dry_run_client { " (dry run)" } else { "" };
                out.outln(format!("node/{node} drained{suffix}"));
            }
            Err(DrainError::Interrupted) => {
                interrupted = true;
                break;
            }
            Err(DrainError::Failed(errs)) => {
                let msg = aggregate(&errs);
                out.errln(format!(
                    "error: unable to drain node {node:?} due to error: {msg}, continuing command..."
                ));
                fatal.push(msg);
                remaining.push(node.clone());
            }
        }
    }
    if interrupted {
        return Err(CmdError::Exit(130));
    }
    if !remaining.is_empty() {
        out.errln("There are pending nodes to be drained:");
        for n in &remaining {
            out.errln(format!(" {n}"));
        }
    }
    if fatal.is_empty() {
        return Ok(());
    }
    // checkErr prints each error of the aggregate on its own line, without "error: ".
    for f in &fatal {
        out.errln(f);
    }
    Err(CmdError::Exit(1))
}

enum DrainError {
    Failed(Vec<String>),
    Interrupted,
}

fn drain_node(
    k: &mut Kubectl<'_>,
    o: &Options,
    node: &str,
    out: &mut Output,
) -> Result<(), DrainError> {
    let (pods, warnings, errors) = pods_for_deletion(k, o, node);
    if !errors.is_empty() {
        return Err(DrainError::Failed(errors));
    }
    if !warnings.is_empty() {
        out.errln(format!("Warning: {warnings}"));
    }
    if o.dry_run_client {
        for pod in &pods {
            out.outln(format!(
                "evicting pod {}/{} (dry run)",
                object::namespace(pod),
                object::name(pod)
            ));
        }
        return Ok(());
    }
    let result = if o.disable_eviction {
        delete_pods(k, o, &pods, out)
    } else {
        evict_pods(k, o, &pods, out)
    };
    match result {
        Ok(()) => Ok(()),
        Err(DrainError::Failed(errs)) => {
            let (pending, _, new_errs) = pods_for_deletion(k, o, node);
            if !pending.is_empty() {
                out.errln(format!(
                    "There are pending pods in node {node:?} when an error occurred: {}",
                    aggregate(&errs)
                ));
                for pod in &pending {
                    out.errln(format!("pod/{}", object::name(pod)));
                }
            }
            if !new_errs.is_empty() {
                out.err(format!(
                    "Following errors occurred while getting the list of pods to delete:\n{}",
                    aggregate(&new_errs)
                ));
            }
            Err(DrainError::Failed(errs))
        }
        Err(DrainError::Interrupted) => Err(DrainError::Interrupted),
    }
}

/// One eviction "goroutine".
struct Eviction {
    ns: String,
    name: String,
    uid: String,
    /// When it next acts: an eviction attempt, or a poll for the pod's deletion.
    next: Time,
    evicted: bool,
    done: bool,
}

fn gone(k: &Kubectl<'_>, e: &Eviction) -> bool {
    k.cluster
        .api
        .try_get(Kind::Pod, &e.ns, &e.name)
        .is_none_or(|p| object::uid(p) != e.uid)
}

fn evict_pods(
    k: &mut Kubectl<'_>,
    o: &Options,
    pods: &[Arc<Value>],
    out: &mut Output,
) -> Result<(), DrainError> {
    let start = k.cluster.now();
    let deadline = (o.timeout_ms > 0).then(|| start.plus_ms(o.timeout_ms));
    let timeout_text = if o.timeout_ms > 0 {
        time::go_duration_string(o.timeout_ms)
    } else {
        // math.MaxInt64 nanoseconds, as Go prints that Duration.
        "2562047h47m16.854775807s".to_string()
    };
    let past_deadline = |now: Time| deadline.is_some_and(|d| now >= d);
    let mut evs: Vec<Eviction> = pods
        .iter()
        .map(|p| Eviction {
            ns: object::namespace(p).to_string(),
            name: object::name(p).to_string(),
            uid: object::uid(p).to_string(),
            next: start,
            evicted: false,
            done: false,
        })
        .collect();
    let mut errors: Vec<String> = Vec::new();
    // The cluster state when a full round of refused retries last began with nothing pending.
    let mut stuck_since: Option<u64> = None;
    loop {
        let now = k.cluster.now();
        let mut progressed = false;
        for e in evs.iter_mut().filter(|e| !e.done && e.next <= now) {
            if !e.evicted {
                if o.dry_run_server {
                    out.outln(format!("evicting pod {}/{} (server dry run)", e.ns, e.name));
                    e.done = true;
                    progressed = true;
                    continue;
                }
                out.outln(format!("evicting pod {}/{}", e.ns, e.name));
                if past_deadline(now) {
                    errors.push(format!(
                        "error when evicting pods/{:?} -n {:?}: global timeout reached: {timeout_text}",
                        e.name, e.ns
                    ));
                    e.done = true;
                    progressed = true;
                    continue;
                }
                match k.cluster.api.evict(&e.ns, &e.name, o.grace) {
                    Ok(()) => {
                        e.evicted = true;
                        progressed = true;
                        k.cluster.run_now();
                        // waitForDelete polls at once, then every second.
                        if gone(k, e) {
                            out.outln(format!("pod/{} evicted", e.name));
                            e.done = true;
                        } else {
                            e.next = now.plus_ms(POLL_MS);
                        }
                    }
                    Err(err) if err.is_not_found() => {
                        e.done = true;
                        progressed = true;
                    }
                    Err(err) if err.code == 429 => {
                        out.errln(format!(
                            "error when evicting pods/{:?} -n {:?} (will retry after 5s): {}",
                            e.name,
                            e.ns,
                            error_text(&err)
                        ));
                        e.next = now.plus_ms(EVICT_RETRY_MS);
                    }
                    Err(err) => {
                        errors.push(format!(
                            "error when evicting pods/{:?} -n {:?}: {}",
                            e.name,
                            e.ns,
                            error_text(&err)
                        ));
                        e.done = true;
                        progressed = true;
                    }
                }
            } else if gone(k, e) {
                out.outln(format!("pod/{} evicted", e.name));
                e.done = true;
                progressed = true;
            } else if past_deadline(now) {
                errors.push(format!(
                    "error when waiting for pod {:?} in namespace {:?} to terminate: context deadline exceeded",
                    e.name, e.ns
                ));
                e.done = true;
                progressed = true;
            } else {
                e.next = now.plus_ms(POLL_MS);
            }
        }
        if evs.iter().all(|e| e.done) {
            break;
        }
        // Without a deadline, stop once nothing can change any more (see the module doc).
        if deadline.is_none() {
            let idle = k.cluster.is_idle() && k.cluster.next_timer().is_none();
            let only_refused = evs.iter().all(|e| e.done || !e.evicted);
            if idle && only_refused && !progressed {
                let head = k.cluster.api.store.head().0;
                match stuck_since {
                    Some(h) if h == head => return Err(DrainError::Interrupted),
                    _ => stuck_since = Some(head),
                }
            } else {
                stuck_since = None;
            }
        }
        // Goroutines notice the deadline only at their next step (a sleeping retry is not
        // interrupted), so the clock moves to whichever step comes first.
        let target = evs
            .iter()
            .filter(|e| !e.done)
            .map(|e| e.next)
            .min()
            .unwrap_or(now);
        k.cluster.advance_to(target);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(DrainError::Failed(errors))
    }
}

/// `--disable-eviction`: plain deletes, then one wait for all of them.
fn delete_pods(
    k: &mut Kubectl<'_>,
    o: &Options,
    pods: &[Arc<Value>],
    out: &mut Output,
) -> Result<(), DrainError> {
    let opts = kubeplay_engine::DeleteOptions {
        grace_period_seconds: o.grace,
        ..Default::default()
    };
    for pod in pods {
        if let Err(e) =
            k.cluster
                .api
                .delete(Kind::Pod, object::namespace(pod), object::name(pod), &opts)
        {
            if !e.is_not_found() {
                return Err(DrainError::Failed(vec![error_text(&e)]));
            }
        }
    }
    if o.dry_run_server {
        return Ok(());
    }
    k.cluster.run_now();
    let start = k.cluster.now();
    let mut pending: Vec<&Arc<Value>> = pods.iter().collect();
    loop {
        pending.retain(|p| {
            let still = k
                .cluster
                .api
                .try_get(Kind::Pod, object::namespace(p), object::name(p))
                .is_some_and(|live| object::uid(live) == object::uid(p));
            if !still {
                out.outln(format!("pod/{} deleted", object::name(p)));
            }
            still
        });
        if pending.is_empty() {
            return Ok(());
        }
        let now = k.cluster.now();
        if o.timeout_ms > 0 && now >= start.plus_ms(o.timeout_ms) {
            return Err(DrainError::Failed(vec!["context deadline exceeded".into()]));
        }
        if o.timeout_ms == 0 && k.cluster.is_idle() && k.cluster.next_timer().is_none() {
            return Err(DrainError::Interrupted);
        }
        k.cluster.advance_to(now.plus_ms(POLL_MS));
    }
}

/// How Go's `%v` prints an API error: its message (NotFound etc. already carry the
/// resource in the message).
fn error_text(e: &ApiError) -> String {
    e.message.clone()
}

//! `kubectl cordon`, `uncordon` and `drain` (spec S6.10).
//!
//! The engine has no Eviction subresource yet, so `drain` evicts through `evict_pod` here:
//! it checks the PodDisruptionBudgets that select the pod as the API server's eviction
//! handler does (S8.7: healthy pods minus the budget's floor), answers 429 when the budget
//! would be broken (drain retries every 5 s until `--timeout`), and otherwise deletes the
//! pod gracefully. Replace it with the engine's eviction call once that exists.

use super::{CmdError, CmdResult};
use crate::context::Kubectl;
use crate::flags::{self, flag, FlagKind};
use crate::manifest;
use crate::output::Output;
use kubeplay_engine::{object, time, ApiError, DeleteOptions, Kind, PatchType, Selector};
use serde_json::{json, Value};

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
    flag("namespace", Some('n'), FlagKind::Value),
];

fn nodes(k: &Kubectl<'_>, p: &flags::Parsed, cmd: &str) -> Result<Vec<String>, CmdError> {
    if let Some(sel) = p.value("selector") {
        let s = Selector::parse(sel).map_err(CmdError::Plain)?;
        return Ok(k
            .cluster
            .api
            .list(Kind::Node, None, &s)
            .iter()
            .map(|n| object::name(n).to_string())
            .collect());
    }
    if p.positional.is_empty() {
        return Err(CmdError::Usage {
            command: cmd.into(),
            message: "USAGE: cordon NODE [flags]".replace("cordon", cmd),
        });
    }
    Ok(p.positional
        .iter()
        .map(|a| {
            a.strip_prefix("node/")
                .or_else(|| a.strip_prefix("nodes/"))
                .unwrap_or(a)
                .to_string()
        })
        .collect())
}

/// Sets `spec.unschedulable`; returns whether it changed.
fn set_unschedulable(k: &mut Kubectl<'_>, node: &str, value: bool) -> Result<bool, ApiError> {
    let live = k.cluster.api.get(Kind::Node, "", node)?;
    let current = object::get_bool(&live, &["spec", "unschedulable"]).unwrap_or(false);
    if current == value {
        return Ok(false);
    }
    let body = if value {
        json!({"spec": {"unschedulable": true}})
    } else {
        json!({"spec": {"unschedulable": null}})
    };
    k.cluster
        .api
        .patch(Kind::Node, "", node, PatchType::StrategicMerge, &body)?;
    Ok(true)
}

fn run_schedulable(
    k: &mut Kubectl<'_>,
    args: &[String],
    out: &mut Output,
    cordon: bool,
) -> CmdResult {
    let cmd = if cordon { "cordon" } else { "uncordon" };
    let p = flags::parse(args, FLAGS).map_err(|m| CmdError::Usage {
        command: cmd.into(),
        message: m,
    })?;
    let mut errors = Vec::new();
    for node in nodes(k, &p, cmd)? {
        match set_unschedulable(k, &node, cordon) {
            Ok(true) => out.outln(format!("node/{node} {cmd}ed")),
            Ok(false) => out.outln(format!("node/{node} already {cmd}ed")),
            Err(e) => errors.push(e.into()),
        }
    }
    manifest::finish(errors, out)
}

pub fn run_cordon(k: &mut Kubectl<'_>, args: &[String], out: &mut Output) -> CmdResult {
    run_schedulable(k, args, out, true)
}

pub fn run_uncordon(k: &mut Kubectl<'_>, args: &[String], out: &mut Output) -> CmdResult {
    run_schedulable(k, args, out, false)
}

fn is_ready(pod: &Value) -> bool {
    object::get_array(pod, &["status", "conditions"])
        .iter()
        .any(|c| {
            c.get("type").and_then(Value::as_str) == Some("Ready")
                && c.get("status").and_then(Value::as_str) == Some("True")
        })
}

/// The Eviction API as the API server runs it (S8.7), for one pod.
pub fn evict_pod(
    k: &mut Kubectl<'_>,
    ns: &str,
    name: &str,
    grace: Option<i64>,
) -> Result<(), ApiError> {
    let pod = k.cluster.api.get(Kind::Pod, ns, name)?;
    let phase = object::get_str(&pod, &["status", "phase"]).unwrap_or("");
    let exempt =
        matches!(phase, "Pending" | "Succeeded" | "Failed" | "") || object::is_terminating(&pod);
    if !exempt {
        let pods = k
            .cluster
            .api
            .list(Kind::Pod, Some(ns), &Selector::everything());
        for pdb in k
            .cluster
            .api
            .list(Kind::PodDisruptionBudget, Some(ns), &Selector::everything())
        {
            let Some(sel_v) = object::get(&pdb, &["spec", "selector"]) else {
                continue;
            };
            let Ok(sel) = Selector::from_label_selector(sel_v) else {
                continue;
            };
            if !sel.matches_object(&pod) {
                continue;
            }
            let matching: Vec<_> = pods.iter().filter(|p| sel.matches_object(p)).collect();
            let expected = matching.len() as i64;
            let healthy = matching
                .iter()
                .filter(|p| is_ready(p) && !object::is_terminating(p))
                .count() as i64;
            let resolve = |v: &Value, round_up: bool| -> i64 {
                match v {
                    Value::String(s) if s.ends_with('%') => {
                        let pct: i64 = s.trim_end_matches('%').parse().unwrap_or(0);
                        if round_up {
                            (pct * expected + 99) / 100
                        } else {
                            pct * expected / 100
                        }
                    }
                    other => object::as_int(other).unwrap_or(0),
                }
            };
            let desired = if let Some(min) = object::get(&pdb, &["spec", "minAvailable"]) {
                resolve(min, true)
            } else if let Some(max) = object::get(&pdb, &["spec", "maxUnavailable"]) {
                expected - resolve(max, true)
            } else {
                0
            };
            let allowed = (healthy - desired).max(0);
            if allowed == 0 {
                return Err(ApiError::too_many_requests(
                    "Cannot evict pod as it would violate the pod's disruption budget.",
                    vec![kubeplay_engine::error::StatusCause {
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
    }
    k.cluster.api.delete(
        Kind::Pod,
        ns,
        name,
        &DeleteOptions {
            grace_period_seconds: grace,
            ..Default::default()
        },
    )?;
    Ok(())
}

pub fn run_drain(k: &mut Kubectl<'_>, args: &[String], out: &mut Output) -> CmdResult {
    let p = flags::parse(args, FLAGS).map_err(|m| CmdError::Usage {
        command: "drain".into(),
        message: m,
    })?;
    let timeout_ms = match p.value("timeout") {
        None => 0,
        Some(t) => time::parse_go_duration(t).map_err(CmdError::Plain)?,
    };
    let grace: Option<i64> = p
        .value("grace-period")
        .and_then(|g| g.parse().ok())
        .filter(|g: &i64| *g >= 0);
    let mut failed = false;
    for node in nodes(k, &p, "drain")? {
        match set_unschedulable(k, &node, true) {
            Ok(true) => out.outln(format!("node/{node} cordoned")),
            Ok(false) => out.outln(format!("node/{node} already cordoned")),
            Err(e) => return Err(e.into()),
        }
        let pods: Vec<_> = k
            .cluster
            .api
            .list(Kind::Pod, None, &Selector::everything())
            .into_iter()
            .filter(|p| object::get_str(p, &["spec", "nodeName"]) == Some(node.as_str()))
            .collect();
        let mut daemon = Vec::new();
        let mut unmanaged = Vec::new();
        let mut local = Vec::new();
        let mut to_evict = Vec::new();
        for pod in &pods {
            let id = format!("{}/{}", object::namespace(pod), object::name(pod));
            let terminal = matches!(
                object::get_str(pod, &["status", "phase"]),
                Some("Succeeded" | "Failed")
            );
            match object::controller_ref(pod) {
                Some(r) if r.kind == "DaemonSet" => {
                    daemon.push(id);
                    continue;
                }
                None if !terminal && !p.bool("force") => {
                    unmanaged.push(id);
                    continue;
                }
                _ => {}
            }
            let empty_dir = object::get_array(pod, &["spec", "volumes"])
                .iter()
                .any(|v| v.get("emptyDir").is_some());
            if empty_dir
                && !terminal
                && !p.bool("delete-emptydir-data")
                && !p.bool("delete-local-data")
            {
                local.push(id);
                continue;
            }
            to_evict.push((
                object::namespace(pod).to_string(),
                object::name(pod).to_string(),
                object::uid(pod).to_string(),
            ));
        }
        let mut fatal = Vec::new();
        if !daemon.is_empty() && !p.bool("ignore-daemonsets") {
            fatal.push(format!(
                "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): {}",
                daemon.join(", ")
            ));
        }
        if !unmanaged.is_empty() {
            fatal.push(format!(
                "cannot delete Pods that declare no controller (use --force to override): {}",
                unmanaged.join(", ")
            ));
        }
        if !local.is_empty() {
            fatal.push(format!(
                "cannot delete Pods with local storage (use --delete-emptydir-data to override): {}",
                local.join(", ")
            ));
        }
        if !fatal.is_empty() {
            let joined = fatal.join(", ");
            out.errln(format!(
                "error: unable to drain node \"{node}\" due to error: {joined}, continuing command..."
            ));
            out.errln("There are pending nodes to be drained:");
            out.errln(format!(" {node}"));
            out.errln(format!("error: {joined}"));
            failed = true;
            continue;
        }
        if !daemon.is_empty() {
            out.errln(format!(
                "Warning: ignoring DaemonSet-managed Pods: {}",
                daemon.join(", ")
            ));
        }
        if !drain_pods(k, &to_evict, grace, timeout_ms, out) {
            out.errln("There are pending nodes to be drained:");
            out.errln(format!(" {node}"));
            failed = true;
            continue;
        }
        out.outln(format!("node/{node} drained"));
    }
    if failed {
        return Err(CmdError::Exit(1));
    }
    Ok(())
}

/// Evicts pods "in parallel", retrying refused evictions every 5 s, and waits for each to be
/// gone. Returns false on timeout.
fn drain_pods(
    k: &mut Kubectl<'_>,
    pods: &[(String, String, String)],
    grace: Option<i64>,
    timeout_ms: u64,
    out: &mut Output,
) -> bool {
    const RETRY_MS: u64 = 5_000;
    let start = k.cluster.now();
    let deadline = (timeout_ms > 0).then(|| start.plus_ms(timeout_ms));
    // (ns, name, uid, evicted?, done?)
    let mut state: Vec<(String, String, String, bool, bool)> = pods
        .iter()
        .map(|(n, p, u)| (n.clone(), p.clone(), u.clone(), false, false))
        .collect();
    let mut next_try = start;
    loop {
        if k.cluster.now() >= next_try {
            for s in state.iter_mut().filter(|s| !s.3) {
                match evict_pod(k, &s.0, &s.1, grace) {
                    Ok(()) => {
                        out.outln(format!("evicting pod {}/{}", s.0, s.1));
                        s.3 = true;
                    }
                    Err(e) if e.is_not_found() => {
                        s.3 = true;
                    }
                    Err(e) if e.code == 429 => {
                        out.outln(format!("evicting pod {}/{}", s.0, s.1));
                        out.errln(format!(
                            "error when evicting pods/\"{}\" -n \"{}\" (will retry after 5s): {}",
                            s.1, s.0, e.message
                        ));
                    }
                    Err(e) => {
                        out.errln(format!(
                            "error when evicting pods/\"{}\" -n \"{}\": {}",
                            s.1, s.0, e.message
                        ));
                        s.3 = true;
                        s.4 = true;
                    }
                }
            }
            next_try = k.cluster.now().plus_ms(RETRY_MS);
        }
        for s in state.iter_mut().filter(|s| s.3 && !s.4) {
            let gone = k
                .cluster
                .api
                .try_get(Kind::Pod, &s.0, &s.1)
                .is_none_or(|o| object::uid(o) != s.2);
            if gone {
                out.outln(format!("pod/{} evicted", s.1));
                s.4 = true;
            }
        }
        if state.iter().all(|s| s.4) {
            return true;
        }
        if let Some(d) = deadline {
            if k.cluster.now() >= d {
                for s in state.iter().filter(|s| !s.4) {
                    out.errln(format!(
                        "error when evicting pods/\"{}\" -n \"{}\": global timeout reached: {}",
                        s.1,
                        s.0,
                        time::go_duration_string(timeout_ms)
                    ));
                }
                return false;
            }
        }
        // Advance to whichever comes first: the cluster's next event or the next retry.
        let mut target = next_try;
        if let Some(t) = k.cluster.next_timer() {
            if t < target {
                target = t;
            }
        }
        if let Some(d) = deadline {
            if d < target {
                target = d;
            }
        }
        let any_pending_retry = state.iter().any(|s| !s.3);
        if !any_pending_retry && k.cluster.next_timer().is_none() {
            // Nothing will change any more; stop rather than hang.
            return state.iter().all(|s| s.4);
        }
        k.cluster.advance_to(target);
    }
}

//! `kubectl cordon`, `uncordon` and `drain` (spec S6.10).
//!
//! `drain` evicts through the engine's Eviction subresource (`Api::evict`):
//! it checks the PodDisruptionBudgets that select the pod as the API server's eviction
//! handler does (S8.7: healthy pods minus the budget's floor), answers 429 when the budget
//! would be broken (drain retries every 5 s until `--timeout`), and otherwise deletes the
//! pod gracefully.

use super::{CmdError, CmdResult};
use crate::context::Kubectl;
use crate::flags::{self, flag, FlagKind};
use crate::manifest;
use crate::output::Output;
use kubeplay_engine::{object, time, ApiError, Kind, PatchType, Selector};
use serde_json::json;

pub(crate) const FLAGS: &[flags::FlagSpec] = &[
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

/// The Eviction API for one pod (S8.7); the engine checks the disruption budgets.
pub fn evict_pod(
    k: &mut Kubectl<'_>,
    ns: &str,
    name: &str,
    grace: Option<i64>,
) -> Result<(), ApiError> {
    k.cluster.api.evict(ns, name, grace)
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

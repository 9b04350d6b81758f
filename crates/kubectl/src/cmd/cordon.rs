//! `kubectl cordon` and `uncordon` (spec S6.10): set or clear `spec.unschedulable`, printing
//! `node/x cordoned` or `node/x already cordoned`. `drain` lives in `drain.rs`.

use super::{CmdError, CmdResult};
use crate::context::Kubectl;
use crate::flags::{self, flag, FlagKind};
use crate::manifest;
use crate::output::Output;
use kubeplay_engine::{object, ApiError, Kind, PatchType, Selector};
use serde_json::json;

pub(crate) const FLAGS: &[flags::FlagSpec] = &[
    flag("selector", Some('l'), FlagKind::Value),
    flag("dry-run", None, FlagKind::Value),
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
    let p = flags::parse(args, FLAGS).map_err(|m| super::flag_error(cmd, m))?;
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

//! `kubectl top pod|node`: resource usage comes from the Metrics API (metrics-server), which
//! this cluster does not run — as on a fresh kind or minikube cluster, where kubectl answers
//! `error: Metrics API not available`. Arguments and flags are checked first, in kubectl's
//! order, so mistakes get kubectl's own errors.

use super::{CmdError, CmdResult};
use crate::context::Kubectl;
use crate::flags::{self, flag, FlagKind, FlagSpec};
use crate::output::Output;

const POD_SPECS: &[FlagSpec] = &[
    flag("namespace", Some('n'), FlagKind::Value),
    flag("selector", Some('l'), FlagKind::Value),
    flag("field-selector", None, FlagKind::Value),
    flag("sort-by", None, FlagKind::Value),
    flag("containers", None, FlagKind::Bool),
    flag("all-namespaces", Some('A'), FlagKind::Bool),
    flag("no-headers", None, FlagKind::Bool),
    flag("use-protocol-buffers", None, FlagKind::Bool),
    flag("sum", None, FlagKind::Bool),
];

const NODE_SPECS: &[FlagSpec] = &[
    flag("selector", Some('l'), FlagKind::Value),
    flag("sort-by", None, FlagKind::Value),
    flag("no-headers", None, FlagKind::Bool),
    flag("use-protocol-buffers", None, FlagKind::Bool),
    flag("show-capacity", None, FlagKind::Bool),
];

/// `kubectl top` with no subcommand: its help, on stderr, and status 1.
const HELP: &str = "Display resource (CPU/memory) usage.

 The top command allows you to see the resource consumption for nodes or pods.

 This command requires Metrics Server to be correctly configured and working on the server.

Available Commands:
  node          Display resource (CPU/memory) usage of nodes
  pod           Display resource (CPU/memory) usage of pods

Usage:
  kubectl top [flags] [options]

Use \"kubectl top <command> --help\" for more information about a given command.
Use \"kubectl options\" for a list of global command-line options (applies to all commands).
";

pub fn run(_k: &mut Kubectl<'_>, args: &[String], out: &mut Output) -> CmdResult {
    let (sub, specs, usage, selector_word) = match args.first().map(String::as_str) {
        Some("pod" | "pods" | "po") => ("pod", POD_SPECS, "pod [NAME | -l label]", "selector"),
        Some("node" | "nodes" | "no") => {
            ("node", NODE_SPECS, "node [NAME | -l label]", "--selector")
        }
        Some(other) if !other.starts_with('-') => {
            return Err(CmdError::Usage {
                command: "top".into(),
                message: format!("unknown command {other:?}"),
            })
        }
        _ => {
            out.err(HELP);
            return Err(CmdError::Exit(1));
        }
    };
    let command = format!("top {sub}");
    let p = flags::parse(&args[1..], specs).map_err(|m| super::flag_error(&command, m))?;
    if p.positional.len() > 1 {
        return Err(CmdError::Usage {
            command,
            message: usage.into(),
        });
    }
    if p.value("sort-by")
        .is_some_and(|s| !s.is_empty() && s != "cpu" && s != "memory")
    {
        return Err(CmdError::Plain(
            "--sort-by accepts only cpu or memory".into(),
        ));
    }
    let has_selector = p.value("selector").is_some_and(|s| !s.is_empty())
        || p.value("field-selector").is_some_and(|s| !s.is_empty());
    if !p.positional.is_empty() && has_selector {
        return Err(CmdError::Plain(format!(
            "only one of NAME or {selector_word} can be provided"
        )));
    }
    if let Some(sel) = p.value("selector").filter(|s| !s.is_empty()) {
        kubeplay_engine::Selector::parse(sel).map_err(CmdError::Plain)?;
    }
    Err(CmdError::Plain("Metrics API not available".into()))
}

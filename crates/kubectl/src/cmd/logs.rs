//! `kubectl logs POD [-c CONTAINER] [-p] [--tail N] [-f]`: a container's log from the runtime.
//!
//! `-f` follows the log as `get -w` follows a watch: it prints what the container has logged
//! so far, then lets the virtual clock run and prints each new line as it is logged. It ends
//! when the container terminates (as the real stream does), when the cluster has nothing
//! left to do (nothing more can be logged, so a script never hangs), or after 30 minutes of
//! virtual time.

use super::{CmdError, CmdResult};
use crate::context::Kubectl;
use crate::flags::{self, flag, FlagKind, FlagSpec};
use crate::output::Output;
use kubeplay_engine::runtime::ContainerRef;
use kubeplay_engine::{object, ApiError, Kind};

pub(crate) const SPECS: &[FlagSpec] = &[
    flag("namespace", Some('n'), FlagKind::Value),
    flag("container", Some('c'), FlagKind::Value),
    flag("follow", Some('f'), FlagKind::Bool),
    flag("previous", Some('p'), FlagKind::Bool),
    flag("tail", None, FlagKind::Value),
];

fn usage(message: impl Into<String>) -> CmdError {
    CmdError::Usage {
        command: "logs".into(),
        message: message.into(),
    }
}

/// The last `n` lines of `log` (`--tail`; negative means all).
pub fn tail(log: &str, n: i64) -> &str {
    if n < 0 {
        return log;
    }
    let body = log.strip_suffix('\n').unwrap_or(log);
    if n == 0 {
        return "";
    }
    let mut count = 0;
    for (i, c) in body.char_indices().rev() {
        if c == '\n' {
            count += 1;
            if count == n {
                return &log[i + 1..];
            }
        }
    }
    log
}

pub fn run(k: &mut Kubectl<'_>, args: &[String], out: &mut Output) -> CmdResult {
    let p = flags::parse(args, SPECS).map_err(|m| super::flag_error("logs", m))?;
    let ns = p
        .value("namespace")
        .map(str::to_string)
        .unwrap_or_else(|| k.namespace.clone());
    let Some(target) = p.positional.first() else {
        return Err(usage(
            "expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a required argument for the logs command",
        ));
    };
    let pod_name = match target.split_once('/') {
        Some((t, n)) => match crate::resource_args::resolve_kind(t).map_err(CmdError::Plain)? {
            Kind::Pod => n.to_string(),
            kind => {
                return Err(CmdError::Plain(format!(
                    "cannot get the logs from {}",
                    kind.group_kind_lower()
                )))
            }
        },
        None => target.clone(),
    };
    let pod = k.cluster.api.get(Kind::Pod, &ns, &pod_name)?;
    let wanted = p
        .value("container")
        .map(str::to_string)
        .or_else(|| p.positional.get(1).cloned());
    // kubectl checks the name itself (`logsForObjectWithClient`), init containers included.
    let container = super::exec::find_or_default_container(&pod, wanted.as_deref(), out)
        .map_err(|c| CmdError::Plain(format!("container {c} is not valid for pod {pod_name}")))?;
    let previous = p.bool("previous");
    let tail_n = match p.value("tail") {
        Some(v) => v
            .parse::<i64>()
            .map_err(|_| usage(format!("invalid argument \"{v}\" for \"--tail\" flag: strconv.ParseInt: parsing \"{v}\": invalid syntax")))?,
        None => -1,
    };
    let cref = ContainerRef {
        namespace: &ns,
        pod: &pod_name,
        container: Some(&container),
    };
    match k.cluster.runtime.logs(&k.cluster.api, &cref, previous) {
        Ok(log) => {
            out.out(tail(&log, tail_n));
            if p.bool("follow") && !previous {
                follow(k, &ns, &pod_name, &container, log, out);
            }
            Ok(())
        }
        Err(_) => {
            let message = if previous {
                format!(
                    "previous terminated container \"{container}\" in pod \"{pod_name}\" not found"
                )
            } else {
                let reason = object::get_array(&pod, &["status", "containerStatuses"])
                    .iter()
                    .chain(object::get_array(
                        &pod,
                        &["status", "initContainerStatuses"],
                    ))
                    .find(|s| object::get_str(s, &["name"]) == Some(container.as_str()))
                    .and_then(|s| object::get_str(s, &["state", "waiting", "reason"]))
                    .unwrap_or("ContainerCreating")
                    .to_string();
                kubeplay_engine::runtime::waiting_to_start_message(&container, &pod_name, &reason)
            };
            Err(ApiError::bad_request(message).into())
        }
    }
}

/// How long `logs -f` follows at most, in virtual time (the cap `get -w` has too).
const FOLLOW_CAP_MS: u64 = 30 * 60 * 1000;

/// Whether the container's current instance is running.
fn running(k: &Kubectl<'_>, ns: &str, pod: &str, container: &str) -> bool {
    k.cluster
        .runtime
        .sandbox(ns, pod)
        .and_then(|sb| sb.container(Some(container)))
        .is_some_and(|c| c.is_running())
}

/// `logs -f` after the first read: moves the clock event by event and prints what the same
/// container instance appends, until it stops running, the cluster settles or the cap.
fn follow(
    k: &mut Kubectl<'_>,
    ns: &str,
    pod: &str,
    container: &str,
    seen: String,
    out: &mut Output,
) {
    let mut seen = seen;
    let deadline = k.cluster.now().plus_ms(FOLLOW_CAP_MS);
    while running(k, ns, pod, container) && !k.cluster.is_idle() && k.cluster.now() < deadline {
        match k.cluster.next_timer() {
            Some(t) if t > deadline => k.cluster.advance_to(deadline),
            Some(_) => {
                k.cluster.step_to_next_event();
            }
            None => k.cluster.run_now(),
        }
        let cref = ContainerRef {
            namespace: ns,
            pod,
            container: Some(container),
        };
        let Ok(log) = k.cluster.runtime.logs(&k.cluster.api, &cref, false) else {
            break;
        };
        match log.strip_prefix(seen.as_str()) {
            Some(new) => out.out(new),
            // A new instance (the container restarted): the old stream has ended.
            None => break,
        }
        seen = log;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), "b\nc\n");
        assert_eq!(tail("a\nb\nc\n", 5), "a\nb\nc\n");
        assert_eq!(tail("a\nb\nc\n", 0), "");
        assert_eq!(tail("a\nb\nc\n", -1), "a\nb\nc\n");
        assert_eq!(tail("a\nb\nc", 1), "c");
    }
}

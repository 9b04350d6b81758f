//! `kubectl logs POD [-c CONTAINER] [-p] [--tail N] [-f]`: a container's log from the runtime.
//!
//! `-f` prints what the container has logged so far and returns: a script cannot wait on a
//! stream that never ends, and the clock only moves when the user moves it.

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
    let p = flags::parse(args, SPECS).map_err(usage)?;
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

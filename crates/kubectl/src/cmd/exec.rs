//! `kubectl exec POD [-c CONTAINER] [-i] [-t] -- COMMAND [args...]`: runs a program in a
//! running container through `PodHost`, or (with `-i` on a terminal and a bare shell) asks the
//! session to attach the terminal to the container's shell.

use super::{CmdError, CmdResult};
use crate::context::Kubectl;
use crate::flags::{self, flag, FlagKind, FlagSpec};
use crate::output::Output;
use crate::pod_shell::{io_into_output, AttachTarget, PodHost};
use crate::shell::{Host, Io};
use kubeplay_engine::{object, Kind};

pub(crate) const SPECS: &[FlagSpec] = &[
    flag("namespace", Some('n'), FlagKind::Value),
    flag("container", Some('c'), FlagKind::Value),
    flag("stdin", Some('i'), FlagKind::Bool),
    flag("tty", Some('t'), FlagKind::Bool),
    flag("quiet", Some('q'), FlagKind::Bool),
    flag("pod-running-timeout", None, FlagKind::Value),
];

fn usage(message: impl Into<String>) -> CmdError {
    CmdError::Usage {
        command: "exec".into(),
        message: message.into(),
    }
}

pub fn run(k: &mut Kubectl<'_>, args: &[String], out: &mut Output) -> CmdResult {
    run_attachable(k, args, out, false).map(|_| ())
}

/// True for `sh`, `/bin/sh`, `bash` ... without `-c`: an interactive shell.
pub fn is_bare_shell(argv: &[String]) -> bool {
    let Some(first) = argv.first() else {
        return false;
    };
    let base = first.rsplit('/').next().unwrap_or(first);
    matches!(base, "sh" | "bash" | "ash") && argv.len() == 1
}

/// Picks the container as kubectl's `exec` does (`podcmd.FindOrDefaultContainerByName`): a
/// named container may be an app, ephemeral or init container; without a name it is the first
/// app container, with `Defaulted container ...` when the pod has any other. Returns kubectl's
/// error when a named container does not exist.
pub fn choose_container(
    pod: &serde_json::Value,
    wanted: Option<&str>,
    out: &mut Output,
) -> Result<String, CmdError> {
    find_or_default_container(pod, wanted, out).map_err(|c| {
        CmdError::Plain(format!(
            "container {c} not found in pod {}",
            object::name(pod)
        ))
    })
}

/// The container a command addresses: the named one among the app, ephemeral and init
/// containers, or the first app container (announcing the choice when there were others, with
/// the names in kubectl's order: app, `(ephem)`, `(init)`). `Err` carries a name the pod lacks.
pub fn find_or_default_container(
    pod: &serde_json::Value,
    wanted: Option<&str>,
    out: &mut Output,
) -> Result<String, String> {
    let names = |field: &str| -> Vec<String> {
        object::get_array(pod, &["spec", field])
            .iter()
            .filter_map(|c| object::get_str(c, &["name"]).map(str::to_string))
            .collect()
    };
    let (app, ephemeral, init) = (
        names("containers"),
        names("ephemeralContainers"),
        names("initContainers"),
    );
    if let Some(c) = wanted {
        return if app.iter().chain(&ephemeral).chain(&init).any(|n| n == c) {
            Ok(c.to_string())
        } else {
            Err(c.to_string())
        };
    }
    let Some(first) = app.first().cloned() else {
        return Err(String::new());
    };
    if app.len() > 1 || !ephemeral.is_empty() || !init.is_empty() {
        let all: Vec<String> = app
            .iter()
            .cloned()
            .chain(ephemeral.iter().map(|n| format!("{n} (ephem)")))
            .chain(init.iter().map(|n| format!("{n} (init)")))
            .collect();
        out.errln(format!(
            "Defaulted container \"{first}\" out of: {}",
            all.join(", ")
        ));
    }
    Ok(first)
}

/// True when the container's status says it is running (S8.1).
pub fn container_running(pod: &serde_json::Value, container: &str) -> bool {
    object::get_array(pod, &["status", "containerStatuses"])
        .iter()
        .any(|s| {
            object::get_str(s, &["name"]) == Some(container)
                && object::get(s, &["state", "running"]).is_some()
        })
}

/// Runs `kubectl exec`. With `interactive` (the session's own terminal), `-i` and a bare shell,
/// returns the container to attach to instead of running anything.
pub fn run_attachable(
    k: &mut Kubectl<'_>,
    args: &[String],
    out: &mut Output,
    interactive: bool,
) -> Result<Option<AttachTarget>, CmdError> {
    let p = flags::parse(args, SPECS).map_err(|m| super::flag_error("exec", m))?;
    let ns = p
        .value("namespace")
        .map(str::to_string)
        .unwrap_or_else(|| k.namespace.clone());
    let Some(target) = p.positional.first() else {
        return Err(usage("pod, type/name or --filename must be specified"));
    };
    let argv = match &p.rest {
        Some(rest) if p.positional.len() == 1 => rest.clone(),
        _ if p.positional.len() > 1 => return Err(usage(
            "exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- [COMMAND] instead",
        )),
        _ => Vec::new(),
    };
    if argv.is_empty() {
        return Err(usage(
            "you must specify at least one command for the container",
        ));
    }
    let pod_name = match target.split_once('/') {
        Some((t, n)) => {
            let kind = crate::resource_args::resolve_kind(t).map_err(CmdError::Plain)?;
            if kind != Kind::Pod {
                return Err(CmdError::Plain(format!(
                    "cannot attach to {}: selector for {} not implemented",
                    kind.name(),
                    kind.name()
                )));
            }
            n.to_string()
        }
        None => target.clone(),
    };
    let pod = k.cluster.api.get(Kind::Pod, &ns, &pod_name)?;
    let phase = object::get_str(&pod, &["status", "phase"]).unwrap_or("Pending");
    if phase == "Succeeded" || phase == "Failed" {
        return Err(CmdError::Plain(format!(
            "cannot exec into a container in a completed pod; current phase is {phase}"
        )));
    }
    let container = choose_container(&pod, p.value("container"), out)?;
    if !container_running(&pod, &container) {
        return Err(CmdError::Plain(format!(
            "unable to upgrade connection: container not found (\"{container}\")"
        )));
    }
    let stdin_flag = p.bool("stdin");
    let Some(mut host) = PodHost::new(k.cluster, &ns, &pod_name, Some(&container)) else {
        return Err(CmdError::Plain(format!(
            "unable to upgrade connection: container not found (\"{container}\")"
        )));
    };
    let program = argv.first().cloned().unwrap_or_default();
    if !host.has_command(&program) {
        // containerd's wording for a missing executable (exec id: 64 hex digits).
        let id = format!(
            "{:016x}{:016x}{:016x}{:016x}",
            host.cluster.api_mut().rng.next_u64(),
            host.cluster.api_mut().rng.next_u64(),
            host.cluster.api_mut().rng.next_u64(),
            host.cluster.api_mut().rng.next_u64()
        );
        return Err(CmdError::Plain(format!(
            "Internal error occurred: error executing command in container: failed to exec in container: failed to start exec \"{id}\": OCI runtime exec failed: exec failed: unable to start container process: exec: \"{program}\": executable file not found in $PATH: unknown"
        )));
    }
    if interactive && stdin_flag && k.stdin.is_empty() && is_bare_shell(&argv) {
        return Ok(Some(AttachTarget {
            namespace: ns,
            pod: pod_name,
            container,
            remove_on_exit: false,
            shell: program,
        }));
    }
    let stdin = if stdin_flag {
        k.stdin.clone()
    } else {
        String::new()
    };
    let mut io = Io::default();
    let code = host.run_argv(&argv, &stdin, &mut io);
    io_into_output(io, out);
    if code != 0 {
        out.errln(format!("command terminated with exit code {code}"));
        return Err(CmdError::Exit(code));
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn only_a_shell_without_a_script_is_interactive() {
        assert!(is_bare_shell(&s(&["sh"])));
        assert!(is_bare_shell(&s(&["/bin/bash"])));
        assert!(!is_bare_shell(&s(&["sh", "-c", "hostname"])));
        assert!(!is_bare_shell(&s(&["hostname"])));
    }
}

//! kubectl's verbs. `run` dispatches `kubectl <verb> ...`; each verb lives in its own module
//! with a `run(k, args, out) -> Result<(), CmdError>` and returns errors for `report` to print
//! in kubectl's words.

pub mod annotate_label;
pub mod api_resources;
pub mod apply;
pub mod cluster_info;
pub mod config;
pub mod cordon;
pub mod create;
pub mod delete;
pub mod describe;
pub mod diff;
pub mod drain;
pub mod events;
pub mod exec;
pub mod explain;
pub mod expose;
pub mod get;
pub mod logs;
pub mod patch;
pub mod replace;
pub mod rollout;
pub mod run;
pub mod scale;
pub mod set;
pub mod taint;
pub mod top;
pub mod version;
pub mod wait;

use crate::context::Kubectl;
use crate::output::Output;
use kubeplay_engine::ApiError;

/// A failed kubectl command, rendered by `report`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CmdError {
    /// An API error, optionally "when <verb> <source>" (`error when creating "web.yaml"`).
    Api {
        error: ApiError,
        context: Option<(String, String)>,
    },
    /// `error: <msg>` then `See 'kubectl <cmd> -h' for help and examples` (`UsageErrorf`).
    Usage { command: String, message: String },
    /// A flag cobra/pflag could not parse: `error: <msg>` then
    /// `See 'kubectl <cmd> --help' for usage.`
    Flag { command: String, message: String },
    /// `error: <msg>`
    Plain(String),
    /// `<msg>` alone: errors kubectl's `CheckErr` prints without a prefix (a REST mapper's
    /// no-match error, `the server doesn't have a resource type "foo"`).
    Bare(String),
    /// Already printed; just exit with this status.
    Exit(i32),
}

impl From<ApiError> for CmdError {
    fn from(error: ApiError) -> CmdError {
        CmdError::Api {
            error,
            context: None,
        }
    }
}

pub type CmdResult = Result<(), CmdError>;

/// The error for a flag that did not parse (`unknown flag: --foo`) in command `command`
/// (`get`, `rollout status`).
pub fn flag_error(command: impl Into<String>, message: String) -> CmdError {
    CmdError::Flag {
        command: command.into(),
        message,
    }
}

/// Runs `kubectl <args...>`; returns the exit status.
pub fn run(k: &mut Kubectl<'_>, args: &[String], out: &mut Output) -> i32 {
    let args = &global_flags_after_verb(args);
    let Some(verb) = args.first() else {
        out.out(crate::cmd::version::usage());
        return 0;
    };
    let rest = &args[1..];
    let result = match verb.as_str() {
        "get" => get::run(k, rest, out),
        "describe" => describe::run(k, rest, out),
        "apply" => apply::run(k, rest, out),
        "create" => create::run(k, rest, out),
        "delete" => delete::run(k, rest, out),
        "scale" => scale::run(k, rest, out),
        "patch" => patch::run(k, rest, out),
        "set" => set::run(k, rest, out),
        "rollout" => rollout::run(k, rest, out),
        "label" => annotate_label::run_label(k, rest, out),
        "annotate" => annotate_label::run_annotate(k, rest, out),
        "cordon" => cordon::run_cordon(k, rest, out),
        "uncordon" => cordon::run_uncordon(k, rest, out),
        "drain" => drain::run(k, rest, out),
        "exec" => exec::run(k, rest, out),
        "run" => run::run(k, rest, out),
        "logs" => logs::run(k, rest, out),
        "wait" => wait::run(k, rest, out),
        "explain" => explain::run(k, rest, out),
        "events" => events::run(k, rest, out),
        "top" => top::run(k, rest, out),
        "taint" => taint::run(k, rest, out),
        "expose" => expose::run(k, rest, out),
        "replace" => replace::run(k, rest, out),
        "diff" => diff::run(k, rest, out),
        "config" => config::run(k, rest, out),
        "cluster-info" => cluster_info::run_cluster_info(k, rest, out),
        "api-versions" => cluster_info::run_api_versions(k, rest, out),
        "api-resources" => api_resources::run(k, rest, out),
        "version" => version::run(k, rest, out),
        other if COMMANDS.contains(&other) => Err(CmdError::Plain(format!(
            "\"kubectl {other}\" is a real kubectl command that kubeplay does not offer yet"
        ))),
        other => Err(CmdError::Plain(unknown_command(other))),
    };
    match result {
        Ok(()) => 0,
        Err(e) => report(&e, out),
    }
}

/// cobra finds the command past flags given before it (`kubectl -n=mehdb get pods`,
/// `kubectl --namespace web get pods`): moves such leading flags, with the value of one
/// that takes it as the next word, to just after the verb, where every command parses them.
pub fn global_flags_after_verb(args: &[String]) -> Vec<String> {
    /// kubectl's global flags that take no value.
    const BOOL: &[&str] = &[
        "--insecure-skip-tls-verify",
        "--match-server-version",
        "--warnings-as-errors",
        "--disable-compression",
    ];
    let mut flags = Vec::new();
    let mut i = 0;
    while let Some(a) = args.get(i) {
        if !a.starts_with('-') || a == "-" || a == "--" {
            break;
        }
        flags.push(a.clone());
        let single =
            a.contains('=') || BOOL.contains(&a.as_str()) || (!a.starts_with("--") && a.len() > 2);
        if !single {
            if let Some(v) = args.get(i + 1) {
                flags.push(v.clone());
                i += 1;
            }
        }
        i += 1;
    }
    if flags.is_empty() || i >= args.len() {
        return args.to_vec();
    }
    let mut out = vec![args[i].clone()];
    out.extend(flags);
    out.extend(args[i + 1..].iter().cloned());
    out
}

/// kubectl 1.33's commands in the order it registers them (cobra suggests in this order).
const COMMANDS: &[&str] = &[
    "create",
    "expose",
    "run",
    "set",
    "explain",
    "get",
    "edit",
    "delete",
    "rollout",
    "scale",
    "autoscale",
    "certificate",
    "cluster-info",
    "top",
    "cordon",
    "uncordon",
    "drain",
    "taint",
    "describe",
    "logs",
    "attach",
    "exec",
    "port-forward",
    "proxy",
    "cp",
    "auth",
    "debug",
    "events",
    "diff",
    "apply",
    "patch",
    "replace",
    "wait",
    "kustomize",
    "label",
    "annotate",
    "completion",
    "api-resources",
    "api-versions",
    "config",
    "plugin",
    "version",
];

/// cobra's `unknown command` error with its suggestions: commands within Levenshtein
/// distance 2 (case-insensitive) or starting with what was typed.
fn unknown_command(typed: &str) -> String {
    let lower = typed.to_lowercase();
    let suggestions: Vec<&str> = COMMANDS
        .iter()
        .copied()
        .filter(|c| levenshtein(&lower, c) <= 2 || c.starts_with(&lower))
        .collect();
    let mut msg = format!("unknown command \"{typed}\" for \"kubectl\"");
    if !suggestions.is_empty() {
        msg.push_str("\n\nDid you mean this?\n");
        for s in suggestions {
            msg.push_str(&format!("\t{s}\n"));
        }
        // cobra's text ends with a newline; `report` adds the line's own.
        msg.pop();
    }
    msg
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur[j + 1] = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

/// Prints an error as kubectl's `cmdutil.CheckErr` does and returns the exit status.
pub fn report(e: &CmdError, out: &mut Output) -> i32 {
    match e {
        CmdError::Exit(code) => *code,
        CmdError::Plain(m) => {
            out.errln(format!("error: {m}"));
            1
        }
        CmdError::Bare(m) => {
            out.errln(m);
            1
        }
        CmdError::Usage { command, message } => {
            out.errln(format!("error: {message}"));
            out.errln(format!("See 'kubectl {command} -h' for help and examples"));
            1
        }
        CmdError::Flag { command, message } => {
            out.errln(format!("error: {message}"));
            out.errln(format!("See 'kubectl {command} --help' for usage."));
            1
        }
        CmdError::Api { error, context } => {
            out.errln(standard_error_message(error, context.as_ref()));
            1
        }
    }
}

/// The message an API error carries once kubectl's `AddSourceToErr` has prefixed it
/// (`error when creating "web.yaml": ...`).
pub fn sourced_message(e: &ApiError, context: Option<&(String, String)>) -> String {
    match context {
        Some((verb, source)) if !source.is_empty() => {
            format!("error when {verb} {source:?}: {}", e.message)
        }
        _ => e.message.clone(),
    }
}

/// How kubectl's `CheckErr` prints one API error: the `Invalid` reason from its details
/// (`The StatefulSet "web" is invalid: <cause>`, or the causes as a `* ` list when there are
/// several), anything else as `StandardErrorMessage`.
pub fn standard_error_message(e: &ApiError, context: Option<&(String, String)>) -> String {
    if e.reason == "Invalid" {
        let mut head = if !e.kind.is_empty() || !e.name.is_empty() {
            format!("The {} {:?} is invalid", e.kind, e.name)
        } else {
            "The request is invalid".to_string()
        };
        if e.kind.is_empty() && e.name.is_empty() && e.causes.is_empty() && !e.message.is_empty() {
            // With no kind/name and no causes kubectl shows the server's message
            // (e.g. a JSON patch that does not apply).
            head = format!("{head}: {}", e.message);
        }
        // `statusCausesToAggrError`: `<field>: <message>`, duplicates dropped.
        let mut causes: Vec<String> = Vec::new();
        for c in &e.causes {
            let line = format!("{}: {}", c.field, c.message);
            if !causes.contains(&line) {
                causes.push(line);
            }
        }
        return match causes.len() {
            0 => head,
            1 => format!("{head}: {}", causes[0]),
            _ => {
                let mut s = format!("{head}: \n");
                for c in &causes {
                    s.push_str("* ");
                    s.push_str(c);
                    s.push('\n');
                }
                s.trim_end_matches('\n').to_string()
            }
        };
    }
    message_for_api_error(e, context)
}

/// kubectl's `StandardErrorMessage` for a Status error: `Error from server (<reason>): ...`.
pub fn message_for_api_error(e: &ApiError, context: Option<&(String, String)>) -> String {
    let message = sourced_message(e, context);
    if e.reason.is_empty() {
        format!("Error from server: {message}")
    } else {
        format!("Error from server ({}): {message}", e.reason)
    }
}

/// kubectl's `messageForError`, used for each error of an aggregate (no `error: ` prefix,
/// API errors as `Error from server (...)` even when Invalid).
pub fn message_for_error(e: &CmdError) -> Option<String> {
    match e {
        CmdError::Exit(_) => None,
        CmdError::Plain(m) | CmdError::Bare(m) => Some(m.clone()),
        CmdError::Usage { command, message } => Some(format!(
            "{message}\nSee 'kubectl {command} -h' for help and examples"
        )),
        CmdError::Flag { command, message } => Some(format!(
            "{message}\nSee 'kubectl {command} --help' for usage."
        )),
        CmdError::Api { error, context } => Some(message_for_api_error(error, context.as_ref())),
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn global_flags_before_the_verb_move_after_it() {
        let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            global_flags_after_verb(&v(&["-n=mehdb", "get", "pods"])),
            v(&["get", "-n=mehdb", "pods"])
        );
        assert_eq!(
            global_flags_after_verb(&v(&["--namespace", "x", "exec", "p", "--", "ls", "-n"])),
            v(&["exec", "--namespace", "x", "p", "--", "ls", "-n"])
        );
        assert_eq!(
            global_flags_after_verb(&v(&["get", "pods", "-n", "x"])),
            v(&["get", "pods", "-n", "x"])
        );
        assert_eq!(global_flags_after_verb(&v(&["-n", "x"])), v(&["-n", "x"]));
    }

    use super::*;

    #[test]
    fn unknown_commands_get_cobras_suggestions() {
        assert_eq!(
            unknown_command("frob"),
            "unknown command \"frob\" for \"kubectl\""
        );
        assert_eq!(
            unknown_command("gt"),
            "unknown command \"gt\" for \"kubectl\"\n\nDid you mean this?\n\tset\n\tget\n\tcp"
        );
        assert_eq!(
            unknown_command("scal"),
            "unknown command \"scal\" for \"kubectl\"\n\nDid you mean this?\n\tscale"
        );
    }
}

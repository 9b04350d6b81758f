//! `kubectl config`: the terminal's kubeconfig, which has one cluster, one user and one
//! context, all named `kubeplay`; the context's namespace is the terminal's (`set-context
//! --current --namespace=X` changes it for later commands, as in a real kubeconfig). Reading
//! subcommands print what kubectl prints for such a file; subcommands that would add clusters,
//! users or credentials say that this terminal's kubeconfig cannot gain them.

use super::{CmdError, CmdResult};
use crate::context::Kubectl;
use crate::flags::{self, flag, FlagKind, FlagSpec};
use crate::output::Output;
use crate::printers::tabwriter::{self, TabWriter};
use crate::printers::{self, OutputFormat};
use serde_json::{json, Value};
use std::sync::Arc;

/// The name of the terminal's cluster, user and context.
pub const CONTEXT: &str = "kubeplay";
/// Where the terminal's kubeconfig says the API server is (the cluster runs in the page; no
/// request is ever sent there).
pub const SERVER: &str = "https://127.0.0.1:6443";

const SPECS: &[FlagSpec] = &[
    flag("namespace", Some('n'), FlagKind::Value),
    flag("current", None, FlagKind::Bool),
    flag("cluster", None, FlagKind::Value),
    flag("user", None, FlagKind::Value),
    flag("output", Some('o'), FlagKind::Value),
    flag("template", None, FlagKind::Value),
    flag("minify", None, FlagKind::Bool),
    flag("raw", None, FlagKind::Bool),
    flag("flatten", None, FlagKind::Bool),
    flag("merge", None, FlagKind::Value),
    flag("no-headers", None, FlagKind::Bool),
];

const HELP: &str = "Modify kubeconfig files using subcommands like \"kubectl config set current-context my-context\".

 The loading order follows these rules:

  1.  If the --kubeconfig flag is set, then only that file is loaded. The flag may only be set once and no merging takes place.
  2.  If $KUBECONFIG environment variable is set, then it is used as a list of paths (normal path delimiting rules for your system). These paths are merged. When a value is modified, it is modified in the file that defines the stanza. When a value is created, it is created in the first file that exists. If no files in the chain exist, then it creates the last file in the list.
  3.  Otherwise, ${HOME}/.kube/config is used and no merging takes place.

Available Commands:
  current-context   Display the current-context
  delete-cluster    Delete the specified cluster from the kubeconfig
  delete-context    Delete the specified context from the kubeconfig
  delete-user       Delete the specified user from the kubeconfig
  get-clusters      Display clusters defined in the kubeconfig
  get-contexts      Describe one or many contexts
  get-users         Display users defined in the kubeconfig
  rename-context    Rename a context from the kubeconfig file
  set               Set an individual value in a kubeconfig file
  set-cluster       Set a cluster entry in kubeconfig
  set-context       Set a context entry in kubeconfig
  set-credentials   Set a user entry in kubeconfig
  unset             Unset an individual value in a kubeconfig file
  use-context       Set the current-context in a kubeconfig file
  view              Display merged kubeconfig settings or a specified kubeconfig file

Usage:
  kubectl config SUBCOMMAND [options]

Use \"kubectl config <command> --help\" for more information about a given command.
Use \"kubectl options\" for a list of global command-line options (applies to all commands).
";

/// The kubeconfig as `kubectl config view` sees it.
fn kubeconfig(namespace: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "clusters": [{"cluster": {"server": SERVER}, "name": CONTEXT}],
        "contexts": [{"context": {"cluster": CONTEXT, "namespace": namespace, "user": CONTEXT}, "name": CONTEXT}],
        "current-context": CONTEXT,
        "kind": "Config",
        "preferences": {},
        "users": [{"name": CONTEXT, "user": {}}],
    })
}

/// `-o json` of a kubeconfig: Go's field order, four-space indent, as kubectl prints it.
fn kubeconfig_json(namespace: &str) -> String {
    let ns = serde_json::to_string(namespace).unwrap_or_else(|_| "\"\"".into());
    format!(
        r#"{{
    "kind": "Config",
    "apiVersion": "v1",
    "preferences": {{}},
    "clusters": [
        {{
            "name": "{CONTEXT}",
            "cluster": {{
                "server": "{SERVER}"
            }}
        }}
    ],
    "users": [
        {{
            "name": "{CONTEXT}",
            "user": {{}}
        }}
    ],
    "contexts": [
        {{
            "name": "{CONTEXT}",
            "context": {{
                "cluster": "{CONTEXT}",
                "user": "{CONTEXT}",
                "namespace": {ns}
            }}
        }}
    ],
    "current-context": "{CONTEXT}"
}}
"#
    )
}

fn unsupported(sub: &str) -> CmdError {
    CmdError::Plain(format!(
        "kubectl config {sub}: this terminal's kubeconfig has exactly one cluster, user and context (\"{CONTEXT}\"); only its namespace can change (kubectl config set-context --current --namespace=NAME)"
    ))
}

pub fn run(k: &mut Kubectl<'_>, args: &[String], out: &mut Output) -> CmdResult {
    let Some(sub) = args
        .first()
        .map(String::as_str)
        .filter(|s| !s.starts_with('-'))
    else {
        out.err(HELP);
        return Err(CmdError::Exit(1));
    };
    let command = format!("config {sub}");
    let p = flags::parse(&args[1..], SPECS).map_err(|m| super::flag_error(&command, m))?;
    match sub {
        "current-context" => {
            out.outln(CONTEXT);
            Ok(())
        }
        "view" => {
            let format = match p.value("output").filter(|o| !o.is_empty()) {
                None if p.value("template").is_none() => OutputFormat::Yaml,
                o => OutputFormat::parse(o, p.value("template")).map_err(CmdError::Plain)?,
            };
            match format {
                OutputFormat::Json => out.out(kubeconfig_json(&k.namespace)),
                OutputFormat::Yaml => out.out(printers::yaml::to_yaml(&kubeconfig(&k.namespace))),
                f => {
                    let text = printers::print_generic(
                        &f,
                        &[(
                            kubeplay_engine::Kind::Pod,
                            Arc::new(kubeconfig(&k.namespace)),
                        )],
                        true,
                    )
                    .map_err(CmdError::Plain)?;
                    out.out(text);
                }
            }
            Ok(())
        }
        "get-contexts" => {
            let wanted: Vec<&String> = p.positional.iter().collect();
            let missing: Vec<&&String> = wanted.iter().filter(|n| n.as_str() != CONTEXT).collect();
            let name_only = p.value("output") == Some("name");
            if let Some(o) = p.value("output").filter(|o| !o.is_empty() && *o != "name") {
                return Err(CmdError::Plain(format!(
                    "output must be one of '' or 'name': {o}"
                )));
            }
            let show = wanted.is_empty() || wanted.iter().any(|n| n.as_str() == CONTEXT);
            if name_only {
                if show {
                    out.outln(CONTEXT);
                }
            } else {
                let mut w = TabWriter::new(tabwriter::Config::KUBECTL);
                if !p.bool("no-headers") {
                    w.write("CURRENT\tNAME\tCLUSTER\tAUTHINFO\tNAMESPACE\n");
                }
                if show {
                    w.write(&format!(
                        "*\t{CONTEXT}\t{CONTEXT}\t{CONTEXT}\t{}\n",
                        k.namespace
                    ));
                }
                w.flush();
                out.out(w.take_output());
            }
            match missing.first() {
                Some(n) => Err(CmdError::Plain(format!("context {n} not found"))),
                None => Ok(()),
            }
        }
        "get-clusters" | "get-users" => {
            out.outln("NAME");
            out.outln(CONTEXT);
            Ok(())
        }
        "use-context" => match p.positional.first() {
            Some(n) if n == CONTEXT => {
                out.outln(format!("Switched to context \"{CONTEXT}\"."));
                Ok(())
            }
            Some(n) => Err(CmdError::Plain(format!(
                "no context exists with the name: {n:?}"
            ))),
            None => Err(CmdError::Usage {
                command,
                message: "Unexpected args: []".into(),
            }),
        },
        "set-context" => {
            let name = if p.bool("current") {
                CONTEXT.to_string()
            } else {
                match p.positional.first() {
                    Some(n) => n.clone(),
                    None => {
                        return Err(CmdError::Plain(
                            "you must specify a non-empty context name or --current".into(),
                        ))
                    }
                }
            };
            if name != CONTEXT
                || p.value("cluster").is_some_and(|c| c != CONTEXT)
                || p.value("user").is_some_and(|u| u != CONTEXT)
            {
                return Err(unsupported(sub));
            }
            if let Some(ns) = p.value("namespace") {
                k.namespace = if ns.is_empty() {
                    "default".to_string()
                } else {
                    ns.to_string()
                };
            }
            out.outln(format!("Context \"{CONTEXT}\" modified."));
            Ok(())
        }
        "delete-cluster" | "delete-context" | "delete-user" | "rename-context" | "set"
        | "set-cluster" | "set-credentials" | "unset" => Err(unsupported(sub)),
        other => Err(CmdError::Usage {
            command: "config".into(),
            message: format!("unknown command {other:?}"),
        }),
    }
}

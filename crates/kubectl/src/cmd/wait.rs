//! `kubectl wait (TYPE NAME | TYPE/NAME | TYPE -l SEL | --all) --for=CONDITION [--timeout=30s]`:
//! advances the virtual clock until each object meets the condition, printing
//! `pod/web-0 condition met`, or fails with `timed out waiting for the condition on pods/web-0`.
//! Conditions: `delete`, `create`, `condition=NAME[=VALUE]`, `jsonpath={.path}[=VALUE]`.

use super::{CmdError, CmdResult};
use crate::context::Kubectl;
use crate::flags::{self, flag, FlagKind, FlagSpec};
use crate::output::Output;
use kubeplay_engine::time::parse_go_duration;
use kubeplay_engine::{object, Cluster, Kind, Selector};
use serde_json::Value;

pub(crate) const SPECS: &[FlagSpec] = &[
    flag("namespace", Some('n'), FlagKind::Value),
    flag("for", None, FlagKind::Value),
    flag("timeout", None, FlagKind::Value),
    flag("selector", Some('l'), FlagKind::Value),
    flag("all", None, FlagKind::Bool),
];

fn usage(message: impl Into<String>) -> CmdError {
    CmdError::Usage {
        command: "wait".into(),
        message: message.into(),
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Condition {
    Delete,
    Create,
    /// `condition=Ready` (value defaults to "true"; compared case-insensitively).
    Status {
        name: String,
        value: String,
    },
    /// `jsonpath={.status.phase}=Running`; without a value, the field only has to exist.
    JsonPath {
        path: String,
        value: Option<String>,
    },
}

/// Parses `--for` as kubectl does, with its error texts.
pub fn parse_for(s: &str) -> Result<Condition, String> {
    let lower = s.to_lowercase();
    if lower == "delete" {
        return Ok(Condition::Delete);
    }
    if lower == "create" {
        return Ok(Condition::Create);
    }
    if let Some(rest) = s.strip_prefix("condition=") {
        let (name, value) = match rest.split_once('=') {
            Some((n, v)) => (n.to_string(), v.to_string()),
            None => (rest.to_string(), "true".to_string()),
        };
        return Ok(Condition::Status { name, value });
    }
    if let Some(rest) = s.strip_prefix("jsonpath=") {
        let close = rest
            .rfind('}')
            .ok_or_else(|| "jsonpath wait format must be --for=jsonpath='{.status.readyReplicas}'=3 or --for=jsonpath='{.status.readyReplicas}'".to_string())?;
        let expr = rest[..=close].to_string();
        let value = rest[close + 1..].strip_prefix('=').map(str::to_string);
        let path = expr
            .strip_prefix('{')
            .and_then(|e| e.strip_suffix('}'))
            .unwrap_or(&expr)
            .to_string();
        return Ok(Condition::JsonPath { path, value });
    }
    Err(format!("unrecognized condition: \"{s}\""))
}

/// Evaluates a simple jsonpath (`.status.phase`, `.status.conditions[0].type`).
pub fn eval_path<'a>(v: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = v;
    for seg in path.split('.').filter(|s| !s.is_empty()) {
        let (name, idx) = match seg.split_once('[') {
            Some((n, rest)) => (
                n,
                rest.strip_suffix(']').and_then(|i| i.parse::<usize>().ok()),
            ),
            None => (seg, None),
        };
        if !name.is_empty() {
            cur = cur.get(name)?;
        }
        if let Some(i) = idx {
            cur = cur.get(i)?;
        }
    }
    Some(cur)
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn met(obj: Option<&Value>, cond: &Condition) -> bool {
    match (cond, obj) {
        (Condition::Delete, o) => o.is_none(),
        (Condition::Create, o) => o.is_some(),
        (_, None) => false,
        (Condition::Status { name, value }, Some(o)) => {
            object::get_array(o, &["status", "conditions"])
                .iter()
                .any(|c| {
                    object::get_str(c, &["type"]).is_some_and(|t| t.eq_ignore_ascii_case(name))
                        && object::get_str(c, &["status"])
                            .is_some_and(|s| s.eq_ignore_ascii_case(value))
                })
        }
        (Condition::JsonPath { path, value }, Some(o)) => match (eval_path(o, path), value) {
            (Some(v), Some(want)) => value_text(v) == *want,
            (Some(_), None) => true,
            (None, _) => false,
        },
    }
}

pub fn run(k: &mut Kubectl<'_>, args: &[String], out: &mut Output) -> CmdResult {
    let p = flags::parse(args, SPECS).map_err(|m| super::flag_error("wait", m))?;
    let ns = p
        .value("namespace")
        .map(str::to_string)
        .unwrap_or_else(|| k.namespace.clone());
    let Some(for_) = p.value("for") else {
        return Err(usage("--for must be specified"));
    };
    let cond = parse_for(for_).map_err(CmdError::Plain)?;
    let timeout = match p.value("timeout") {
        Some(t) => parse_go_duration(t).map_err(usage)?,
        None => 30_000,
    };
    let resources = crate::resource_args::parse(&p.positional).map_err(CmdError::Plain)?;
    if resources.is_empty() {
        return Err(usage(
            "You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'",
        ));
    }
    let selector = match p.value("selector") {
        Some(s) => Selector::parse(s).map_err(CmdError::Plain)?,
        None => Selector::everything(),
    };
    // Resolve the objects to wait on now, as kubectl's resource builder does.
    let mut targets: Vec<(Kind, String)> = Vec::new();
    for r in &resources {
        match &r.name {
            Some(n) => targets.push((r.kind, n.clone())),
            None => {
                let list_ns = r.kind.namespaced().then_some(ns.as_str());
                for o in k.cluster.api.list(r.kind, list_ns, &selector) {
                    targets.push((r.kind, object::name(&o).to_string()));
                }
            }
        }
    }
    if targets.is_empty() {
        return Err(CmdError::Plain("no matching resources found".into()));
    }
    let deadline = k.cluster.now().plus_ms(timeout);
    for (kind, name) in targets {
        let get = |c: &Cluster| c.api.try_get(kind, &ns, &name).map(|o| (**o).clone());
        if !matches!(cond, Condition::Delete | Condition::Create) && get(k.cluster).is_none() {
            return Err(kubeplay_engine::ApiError::not_found(kind, &name).into());
        }
        let remaining = deadline.0.saturating_sub(k.cluster.now().0);
        let ok = crate::sim::wait_until(k.cluster, remaining, |c| met(get(c).as_ref(), &cond));
        if !ok {
            return Err(CmdError::Plain(format!(
                "timed out waiting for the condition on {}/{name}",
                kind.group_resource()
            )));
        }
        out.outln(format!("{}/{name} condition met", kind.group_kind_lower()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_the_for_forms() {
        assert_eq!(parse_for("delete"), Ok(Condition::Delete));
        assert_eq!(
            parse_for("condition=Ready"),
            Ok(Condition::Status {
                name: "Ready".into(),
                value: "true".into()
            })
        );
        assert_eq!(
            parse_for("jsonpath={.status.phase}=Running"),
            Ok(Condition::JsonPath {
                path: ".status.phase".into(),
                value: Some("Running".into())
            })
        );
        assert!(parse_for("ready").is_err());
    }

    #[test]
    fn conditions_read_the_object() {
        let pod = json!({"status": {"phase": "Running", "readyReplicas": 3,
            "conditions": [{"type": "Ready", "status": "True"}]}});
        assert!(met(Some(&pod), &parse_for("condition=ready").unwrap()));
        assert!(!met(
            Some(&pod),
            &parse_for("condition=Ready=False").unwrap()
        ));
        assert!(met(
            Some(&pod),
            &parse_for("jsonpath={.status.phase}=Running").unwrap()
        ));
        assert!(met(
            Some(&pod),
            &parse_for("jsonpath={.status.readyReplicas}=3").unwrap()
        ));
        assert!(!met(
            Some(&pod),
            &parse_for("jsonpath={.status.nope}").unwrap()
        ));
        assert!(met(None, &Condition::Delete));
    }

    #[test]
    fn waiting_on_a_condition_that_never_comes_times_out() {
        let mut c = Cluster::new(kubeplay_engine::Config::default());
        let files = crate::context::MemFiles::default();
        let mut k = Kubectl {
            cluster: &mut c,
            namespace: "default".into(),
            files: &files,
            stdin: String::new(),
        };
        let mut out = Output::new();
        let args: Vec<String> = [
            "--for=jsonpath={.metadata.labels.x}=y",
            "node/node-1",
            "--timeout=5s",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let e = run(&mut k, &args, &mut out).unwrap_err();
        assert_eq!(
            e,
            CmdError::Plain("timed out waiting for the condition on nodes/node-1".into())
        );
        let args: Vec<String> = ["--for=jsonpath={.metadata.name}=node-1", "node/node-1"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        run(&mut k, &args, &mut out).unwrap();
        assert_eq!(out.stdout(), "node/node-1 condition met\n");
    }
}

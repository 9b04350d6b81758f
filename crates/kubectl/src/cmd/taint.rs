//! `kubectl taint NODE|nodes NAME... KEY[=VALUE]:EFFECT[-] ... [--overwrite] [--all|-l SEL]`:
//! adds, replaces or removes node taints, with kubectl 1.33's argument rules, messages and
//! `node/x tainted|untainted|modified` output. The scheduler then keeps pods that do not
//! tolerate a `NoSchedule` taint off the node, and the taint-eviction controller deletes the
//! ones already there that do not tolerate a `NoExecute` taint.

use super::{CmdError, CmdResult};
use crate::context::Kubectl;
use crate::flags::{self, flag, FlagKind, FlagSpec};
use crate::manifest::{self, DryRun};
use crate::output::Output;
use kubeplay_engine::validation::{label_value_errors, qualified_name_errors};
use kubeplay_engine::{object, Kind, PatchType, Selector};
use serde_json::{json, Value};

pub(crate) const SPECS: &[FlagSpec] = &[
    flag("all", None, FlagKind::Bool),
    flag("selector", Some('l'), FlagKind::Value),
    flag("overwrite", None, FlagKind::Bool),
    flag("dry-run", None, FlagKind::Value),
    flag("output", Some('o'), FlagKind::Value),
    flag("field-manager", None, FlagKind::Value),
    flag("validate", None, FlagKind::Value),
    flag("namespace", Some('n'), FlagKind::Value),
];

/// One taint as `kubectl taint` reads it; `effect` is empty for `key-` (all effects).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Taint {
    key: String,
    value: String,
    effect: String,
}

impl Taint {
    /// `Taint.ToString`: `key=value:effect`, `key:effect`, `key`.
    fn to_text(&self) -> String {
        match (self.value.is_empty(), self.effect.is_empty()) {
            (true, true) => self.key.clone(),
            (false, true) => format!("{}={}:", self.key, self.value),
            (true, false) => format!("{}:{}", self.key, self.effect),
            (false, false) => format!("{}={}:{}", self.key, self.value, self.effect),
        }
    }

    /// The taint as the API stores it.
    fn to_json(&self) -> Value {
        let mut t = json!({"key": self.key, "effect": self.effect});
        if !self.value.is_empty() {
            t["value"] = json!(self.value);
        }
        t
    }

    fn matches(&self, t: &Value) -> bool {
        object::get_str(t, &["key"]) == Some(&self.key)
            && object::get_str(t, &["effect"]) == Some(&self.effect)
    }
}

/// `parseTaint`: `key[=value]:effect` or `key`.
fn parse_taint(spec: &str) -> Result<Taint, String> {
    let invalid = || format!("invalid taint spec: {spec}");
    let parts: Vec<&str> = spec.split(':').collect();
    let (key, value, effect) = match parts[..] {
        [key] => (key, "", ""),
        [kv, effect] => {
            if !matches!(effect, "NoSchedule" | "PreferNoSchedule" | "NoExecute") {
                return Err(format!(
                    "invalid taint effect: {effect}, unsupported taint effect"
                ));
            }
            let kv: Vec<&str> = kv.split('=').collect();
            match kv[..] {
                [key] => (key, "", effect),
                [key, value] => {
                    let errs = label_value_errors(value);
                    if !errs.is_empty() {
                        return Err(format!("{}, {}", invalid(), errs.join("; ")));
                    }
                    (key, value, effect)
                }
                _ => return Err(invalid()),
            }
        }
        _ => return Err(invalid()),
    };
    let errs = qualified_name_errors(key);
    if !errs.is_empty() {
        return Err(format!("{}, {}", invalid(), errs.join("; ")));
    }
    Ok(Taint {
        key: key.into(),
        value: value.into(),
        effect: effect.into(),
    })
}

/// `parseTaints`: taints to add and taints to remove (`...-`).
fn parse_taints(specs: &[String]) -> Result<(Vec<Taint>, Vec<Taint>), String> {
    let mut add: Vec<Taint> = Vec::new();
    let mut remove = Vec::new();
    for spec in specs {
        if let Some(s) = spec.strip_suffix('-') {
            let t = parse_taint(s)?;
            remove.push(Taint {
                value: String::new(),
                ..t
            });
            continue;
        }
        let t = parse_taint(spec)?;
        if t.effect.is_empty() {
            return Err(format!("invalid taint spec: {spec}"));
        }
        if add.iter().any(|a| a.key == t.key && a.effect == t.effect) {
            // Go's `%v` of the Taint struct (no TimeAdded).
            return Err(format!(
                "duplicated taints with the same key and effect: {{{} {} {} <nil>}}",
                t.key, t.value, t.effect
            ));
        }
        add.push(t);
    }
    Ok((add, remove))
}

/// The node's new taints and what happened (`tainted`, `untainted`, `modified`), as
/// `reorganizeTaints` computes them; errors for removals that matched nothing.
fn reorganize(
    old: &[Value],
    add: &[Taint],
    remove: &[Taint],
    overwrite: bool,
) -> (Vec<Value>, &'static str, Vec<String>) {
    let mut new: Vec<Value> = add.iter().map(Taint::to_json).collect();
    for o in old {
        if !add.iter().any(|a| a.matches(o)) {
            new.push(o.clone());
        }
    }
    let added = old.len() != new.len();
    let mut errors = Vec::new();
    let mut deleted = false;
    for r in remove {
        let before = new.len();
        new.retain(|t| {
            let same_key = object::get_str(t, &["key"]) == Some(&r.key);
            !(same_key && (r.effect.is_empty() || r.matches(t)))
        });
        // Like kubectl, only the last removal decides whether "something was deleted".
        deleted = new.len() != before;
        if !deleted {
            errors.push(format!("taint {:?} not found", r.to_text()));
        }
    }
    let op = if (added && deleted) || overwrite {
        "modified"
    } else if added {
        "tainted"
    } else {
        "untainted"
    };
    (new, op, errors)
}

pub fn run(k: &mut Kubectl<'_>, args: &[String], out: &mut Output) -> CmdResult {
    let p = flags::parse(args, SPECS).map_err(|m| super::flag_error("taint", m))?;
    let dry_run = manifest::dry_run_flag(&p)?;
    // Resources come first, then taint changes (anything with `=`, `:` or a trailing `-`).
    let mut resources = Vec::new();
    let mut taint_args = Vec::new();
    for a in &p.positional {
        let is_taint = a.contains('=') || a.contains(':') || a.ends_with('-');
        if is_taint {
            taint_args.push(a.clone());
        } else if !taint_args.is_empty() {
            return Err(CmdError::Plain(format!(
                "all resources must be specified before taint changes: {a}"
            )));
        } else {
            resources.push(a.clone());
        }
    }
    let Some(resource_type) = resources.first() else {
        return Err(CmdError::Plain(
            "one or more resources must be specified as <resource> <name>".into(),
        ));
    };
    if taint_args.is_empty() {
        return Err(CmdError::Plain(
            "at least one taint update is required".into(),
        ));
    }
    let (add, remove) = parse_taints(&taint_args).map_err(|m| CmdError::Usage {
        command: "taint".into(),
        message: m,
    })?;
    let resource_type = resource_type.to_lowercase();
    let kind = Kind::resolve(&resource_type)
        .ok_or_else(|| CmdError::Bare(crate::resource_args::unknown_type(&resource_type)))?;
    if kind != Kind::Node {
        return Err(CmdError::Plain(format!(
            "invalid resource type {resource_type}, only node types are supported"
        )));
    }
    let conflicts: Vec<String> = remove
        .iter()
        .filter(|r| {
            add.iter()
                .any(|a| a.key == r.key && (r.effect.is_empty() || a.effect == r.effect))
        })
        .map(|r| format!("{}={}", r.key, r.effect))
        .collect();
    if !conflicts.is_empty() {
        return Err(CmdError::Plain(format!(
            "can not both modify and remove the following taint(s) in the same command: {}",
            conflicts.join(", ")
        )));
    }
    let all = p.bool("all");
    let selector = p.value("selector").unwrap_or("");
    if all && !selector.is_empty() {
        return Err(CmdError::Plain(
            "setting 'all' parameter with a non empty selector is prohibited".into(),
        ));
    }
    let names: Vec<String> = if all || !selector.is_empty() {
        let sel = if all {
            Selector::everything()
        } else {
            Selector::parse(selector).map_err(CmdError::Plain)?
        };
        k.cluster
            .api
            .list(Kind::Node, None, &sel)
            .iter()
            .map(|n| object::name(n).to_string())
            .collect()
    } else if resources.len() < 2 {
        return Err(CmdError::Plain(
            "at least one resource name must be specified since 'all' parameter is not set".into(),
        ));
    } else {
        resources[1..].to_vec()
    };
    let overwrite = p.bool("overwrite");
    let mut errors = Vec::new();
    for name in names {
        let node = match k.cluster.api.get(Kind::Node, "", &name) {
            Ok(n) => n,
            Err(e) => {
                errors.push(CmdError::from(e));
                continue;
            }
        };
        let old = object::get_array(&node, &["spec", "taints"]).to_vec();
        if !overwrite {
            let existing: Vec<&str> = add
                .iter()
                .flat_map(|a| old.iter().filter(|o| a.matches(o)).map(|_| a.key.as_str()))
                .collect();
            if !existing.is_empty() {
                errors.push(CmdError::Plain(format!(
                    "node {name} already has {} taint(s) with same effect(s) and --overwrite is false",
                    existing.join(",")
                )));
                continue;
            }
        }
        let (new, op, errs) = reorganize(&old, &add, &remove, overwrite);
        if !errs.is_empty() {
            // One node's errors form an aggregate: several print as `[e1, e2]`.
            let text = match errs.len() {
                1 => errs.join(""),
                _ => format!("[{}]", errs.join(", ")),
            };
            errors.push(CmdError::Plain(text));
            continue;
        }
        // A dry run (client or server) changes nothing.
        if dry_run == DryRun::None {
            let taints = if new.is_empty() {
                Value::Null
            } else {
                Value::Array(new)
            };
            if let Err(e) = k.cluster.api.patch(
                Kind::Node,
                "",
                &name,
                PatchType::StrategicMerge,
                &json!({"spec": {"taints": taints}}),
            ) {
                errors.push(e.into());
                continue;
            }
        }
        // No ` (dry run)` suffix: kubectl 1.33 sets the printer's operation after adding it.
        out.outln(format!("node/{name} {op}"));
    }
    manifest::finish(errors, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taint_specs_parse_as_kubectl_reads_them() {
        assert_eq!(
            parse_taint("dedicated=db:NoSchedule").unwrap(),
            Taint {
                key: "dedicated".into(),
                value: "db".into(),
                effect: "NoSchedule".into()
            }
        );
        assert_eq!(parse_taint("gpu").unwrap().effect, "");
        assert_eq!(
            parse_taint("a:Sometimes").unwrap_err(),
            "invalid taint effect: Sometimes, unsupported taint effect"
        );
        assert_eq!(
            parse_taint("a=b=c:NoSchedule").unwrap_err(),
            "invalid taint spec: a=b=c:NoSchedule"
        );
        assert!(parse_taint("bad key:NoSchedule")
            .unwrap_err()
            .starts_with("invalid taint spec: bad key:NoSchedule, name part must consist"));
        let dup = parse_taints(&["a=1:NoSchedule".into(), "a=2:NoSchedule".into()]);
        assert_eq!(
            dup.unwrap_err(),
            "duplicated taints with the same key and effect: {a 2 NoSchedule <nil>}"
        );
    }

    #[test]
    fn reorganizing_reports_what_changed() {
        let old = vec![json!({"key": "a", "effect": "NoSchedule"})];
        let add = [Taint {
            key: "b".into(),
            value: String::new(),
            effect: "NoExecute".into(),
        }];
        let (new, op, errs) = reorganize(&old, &add, &[], false);
        assert_eq!((new.len(), op, errs.len()), (2, "tainted", 0));
        let remove = [Taint {
            key: "a".into(),
            value: String::new(),
            effect: String::new(),
        }];
        let (new, op, _) = reorganize(&old, &[], &remove, false);
        assert_eq!((new.len(), op), (0, "untainted"));
        let (_, _, errs) = reorganize(&[], &[], &remove, false);
        assert_eq!(errs, vec!["taint \"a\" not found".to_string()]);
    }
}

//! `kubectl label` and `kubectl annotate`: `KEY=VALUE` sets, `KEY-` removes, `--overwrite`
//! allows changing an existing value. Prints `pod/web-0 labeled` / `unlabeled` / `not
//! labeled` and `pod/web-0 annotated`, with kubectl's overwrite errors.

use super::{CmdError, CmdResult};
use crate::context::Kubectl;
use crate::flags::{self, flag, FlagKind};
use crate::manifest::{self, DryRun, Selection};
use crate::output::Output;
use kubeplay_engine::{object, PatchType, WriteOptions};
use serde_json::{Map, Value};

pub(crate) const FLAGS: &[flags::FlagSpec] = &[
    flag("namespace", Some('n'), FlagKind::Value),
    flag("filename", Some('f'), FlagKind::Multi),
    flag("selector", Some('l'), FlagKind::Value),
    flag("all", None, FlagKind::Bool),
    flag("all-namespaces", Some('A'), FlagKind::Bool),
    flag("overwrite", None, FlagKind::Bool),
    flag("dry-run", None, FlagKind::Value),
    flag("output", Some('o'), FlagKind::Value),
    flag("resource-version", None, FlagKind::Value),
    flag("list", None, FlagKind::Bool),
    flag("local", None, FlagKind::Bool),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    Labels,
    Annotations,
}

pub fn run_label(k: &mut Kubectl<'_>, args: &[String], out: &mut Output) -> CmdResult {
    run(k, args, out, Which::Labels)
}

pub fn run_annotate(k: &mut Kubectl<'_>, args: &[String], out: &mut Output) -> CmdResult {
    run(k, args, out, Which::Annotations)
}

fn run(k: &mut Kubectl<'_>, args: &[String], out: &mut Output, which: Which) -> CmdResult {
    let cmd = if which == Which::Labels {
        "label"
    } else {
        "annotate"
    };
    let p = flags::parse(args, FLAGS).map_err(|m| super::flag_error(cmd, m))?;
    let ns = manifest::namespace_flag(k, &p);
    let dry = manifest::dry_run_flag(&p)?;
    let mut sets: Vec<(String, String)> = Vec::new();
    let mut removes: Vec<String> = Vec::new();
    let mut resources = Vec::new();
    for a in &p.positional {
        if let Some((key, val)) = a.split_once('=') {
            sets.push((key.to_string(), val.to_string()));
        } else if let Some(key) = a.strip_suffix('-') {
            removes.push(key.to_string());
        } else {
            resources.push(a.clone());
        }
    }
    if sets.is_empty() && removes.is_empty() && !p.bool("list") {
        return Err(CmdError::Usage {
            command: cmd.into(),
            message: format!(
                "at least one {} update is required",
                if which == Which::Labels {
                    "label"
                } else {
                    "annotation"
                }
            ),
        });
    }
    for (key, _) in &sets {
        if removes.contains(key) {
            return Err(CmdError::Plain(format!(
                "can not both modify and remove {} in the same command",
                if which == Which::Labels {
                    "a label"
                } else {
                    "an annotation"
                }
            )));
        }
    }
    let sel = Selection {
        filenames: p.all("filename"),
        args: resources,
        selector: p.value("selector").map(str::to_string),
        all: p.bool("all"),
        all_namespaces: p.bool("all-namespaces"),
    };
    let (targets, mut errors) = manifest::resolve(k, &ns, &sel)?;
    let field = if which == Which::Labels {
        "labels"
    } else {
        "annotations"
    };
    for t in targets {
        let live = match k.cluster.api.get(t.kind, &t.namespace, &t.name) {
            Ok(o) => o,
            Err(e) => {
                errors.push(e.into());
                continue;
            }
        };
        let current = object::string_map(&live, &["metadata", field]);
        if !p.bool("overwrite") {
            let conflicts: Vec<String> = sets
                .iter()
                .filter(|(key, val)| {
                    which == Which::Labels || key != "kubernetes.io/change-cause"
                } && current.get(key).is_some_and(|c| c != val))
                .map(|(key, _)| format!("'{key}' already has a value ({})", current[key]))
                .collect();
            if !conflicts.is_empty() {
                errors.push(CmdError::Plain(match which {
                    Which::Labels => conflicts
                        .iter()
                        .map(|c| format!("{c}, and --overwrite is false"))
                        .collect::<Vec<_>>()
                        .join("\n"),
                    Which::Annotations => format!(
                        "--overwrite is false but found the following declared annotation(s): {}",
                        conflicts.join("; ")
                    ),
                }));
                continue;
            }
        }
        let mut patch = Map::new();
        let mut new = current.clone();
        for (key, val) in &sets {
            patch.insert(key.clone(), Value::String(val.clone()));
            new.insert(key.clone(), val.clone());
        }
        for key in &removes {
            patch.insert(key.clone(), Value::Null);
            new.remove(key);
        }
        let changed = new != current;
        let r = if dry == DryRun::Client || !changed {
            Ok(())
        } else {
            let mut body = Map::new();
            let mut meta = Map::new();
            meta.insert(field.to_string(), Value::Object(patch));
            body.insert("metadata".into(), Value::Object(meta));
            k.cluster
                .api
                .patch_with(
                    t.kind,
                    &t.namespace,
                    &t.name,
                    PatchType::Merge,
                    &Value::Object(body),
                    false,
                    &WriteOptions {
                        dry_run: dry == DryRun::Server,
                    },
                )
                .map(|_| ())
        };
        manifest::flush_warnings(k, out);
        if let Err(e) = r {
            errors.push(e.into());
            continue;
        }
        let msg = match which {
            Which::Annotations => "annotated",
            // kubectl compares the JSON of the old and new object (updateDataChangeMsg).
            Which::Labels if !changed => "not labeled",
            Which::Labels
                if !p.bool("overwrite")
                    && serde_json::to_string(&new).map(|s| s.len()).unwrap_or(0)
                        < serde_json::to_string(&current)
                            .map(|s| s.len())
                            .unwrap_or(0) =>
            {
                "unlabeled"
            }
            Which::Labels => "labeled",
        };
        out.outln(format!(
            "{} {msg}{}",
            manifest::resource_name(t.kind, &t.name),
            dry.suffix()
        ));
    }
    manifest::finish(errors, out)
}

//! `kubectl set image TYPE NAME CONTAINER=IMAGE ...` (`*=IMAGE` for every container): patches
//! the pod template (or a pod's spec) and prints `statefulset.apps/web image updated`.

use super::{CmdError, CmdResult};
use crate::context::Kubectl;
use crate::flags::{self, flag, FlagKind};
use crate::manifest::{self, DryRun, Selection};
use crate::output::Output;
use kubeplay_engine::{patch, Kind, PatchType, WriteOptions};
use serde_json::Value;

pub(crate) const FLAGS: &[flags::FlagSpec] = &[
    flag("namespace", Some('n'), FlagKind::Value),
    flag("filename", Some('f'), FlagKind::Multi),
    flag("selector", Some('l'), FlagKind::Value),
    flag("all", None, FlagKind::Bool),
    flag("dry-run", None, FlagKind::Value),
    flag("output", Some('o'), FlagKind::Value),
    flag("local", None, FlagKind::Bool),
];

/// Where a kind keeps its pod spec.
pub fn pod_spec_path(kind: Kind) -> Option<&'static [&'static str]> {
    match kind {
        Kind::Pod => Some(&["spec"]),
        Kind::StatefulSet | Kind::Deployment | Kind::ReplicaSet | Kind::DaemonSet => {
            Some(&["spec", "template", "spec"])
        }
        _ => None,
    }
}

pub fn run(k: &mut Kubectl<'_>, args: &[String], out: &mut Output) -> CmdResult {
    let Some((sub, rest)) = args.split_first() else {
        return Err(CmdError::Plain(
            "unknown command \"\" for \"kubectl set\"".into(),
        ));
    };
    if sub != "image" {
        return Err(CmdError::Plain(format!(
            "unknown command {sub:?} for \"kubectl set\""
        )));
    }
    let p = flags::parse(rest, FLAGS).map_err(|m| super::flag_error("set image", m))?;
    let ns = manifest::namespace_flag(k, &p);
    let dry = manifest::dry_run_flag(&p)?;
    let (images, resources): (Vec<String>, Vec<String>) =
        p.positional.iter().cloned().partition(|a| a.contains('='));
    if images.is_empty() {
        return Err(CmdError::Plain(
            "at least one image update is required".into(),
        ));
    }
    let images: Vec<(String, String)> = images
        .iter()
        .filter_map(|s| {
            s.split_once('=')
                .map(|(a, b)| (a.to_string(), b.to_string()))
        })
        .collect();
    let sel = Selection {
        filenames: p.all("filename"),
        args: resources,
        selector: p.value("selector").map(str::to_string),
        all: p.bool("all"),
        all_namespaces: false,
    };
    let (targets, mut errors) = manifest::resolve(k, &ns, &sel)?;
    for t in targets {
        let live = match k.cluster.api.get(t.kind, &t.namespace, &t.name) {
            Ok(o) => o,
            Err(e) => {
                errors.push(e.into());
                continue;
            }
        };
        let Some(path) = pod_spec_path(t.kind) else {
            errors.push(CmdError::Plain(
                format!(
                    "error: {}/{} the object is not a pod or does not have a pod template: {}",
                    t.kind.plural(),
                    t.name,
                    t.kind.name()
                )
                .trim_start_matches("error: ")
                .to_string(),
            ));
            continue;
        };
        let mut modified = (*live).clone();
        let mut missing = None;
        if let Some(spec) = kubeplay_engine::object::get(&modified, path).cloned() {
            let mut spec = spec;
            for (cname, image) in &images {
                let mut hit = false;
                for field in ["initContainers", "containers"] {
                    if let Some(Value::Array(cs)) = spec.get_mut(field) {
                        for c in cs.iter_mut() {
                            if cname == "*" || c.get("name").and_then(Value::as_str) == Some(cname)
                            {
                                c["image"] = Value::String(image.clone());
                                hit = true;
                            }
                        }
                    }
                }
                if !hit && missing.is_none() {
                    missing = Some(cname.clone());
                }
            }
            kubeplay_engine::object::set(&mut modified, path, spec);
        }
        if let Some(c) = missing {
            errors.push(CmdError::Plain(format!(
                "unable to find container named {c:?}"
            )));
            continue;
        }
        let body = patch::create_two_way_merge_patch(&live, &modified);
        if body.as_object().is_none_or(|m| m.is_empty()) {
            continue;
        }
        let r = if dry == DryRun::Client {
            Ok(())
        } else {
            k.cluster
                .api
                .patch_with(
                    t.kind,
                    &t.namespace,
                    &t.name,
                    PatchType::StrategicMerge,
                    &body,
                    false,
                    &WriteOptions {
                        dry_run: dry == DryRun::Server,
                    },
                )
                .map(|_| ())
        };
        manifest::flush_warnings(k, out);
        match r {
            Ok(()) => out.outln(format!(
                "{} image updated{}",
                manifest::resource_name(t.kind, &t.name),
                dry.suffix()
            )),
            Err(e) => errors.push(e.into()),
        }
    }
    manifest::finish(errors, out)
}

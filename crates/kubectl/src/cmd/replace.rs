//! `kubectl replace -f FILE [--force]`: sends each manifest as the object's whole new
//! content (a PUT at the live resourceVersion), so fields the file leaves out are gone —
//! including `kubectl apply`'s last-applied annotation unless `--save-config`. `--force`
//! deletes the object, waits until it is gone, and creates it from the file.

use super::{CmdError, CmdResult};
use crate::context::Kubectl;
use crate::flags::{self, flag, FlagKind, FlagSpec};
use crate::manifest::{self, DryRun};
use crate::output::Output;
use kubeplay_engine::{object, DeleteOptions, WriteOptions};
use serde_json::json;

pub(crate) const SPECS: &[FlagSpec] = &[
    flag("namespace", Some('n'), FlagKind::Value),
    flag("filename", Some('f'), FlagKind::Multi),
    flag("force", None, FlagKind::Bool),
    flag("grace-period", None, FlagKind::Value),
    flag("cascade", None, FlagKind::Value),
    flag("timeout", None, FlagKind::Value),
    flag("wait", None, FlagKind::Bool),
    flag("save-config", None, FlagKind::Bool),
    flag("dry-run", None, FlagKind::Value),
    flag("output", Some('o'), FlagKind::Value),
    flag("validate", None, FlagKind::Value),
    flag("field-manager", None, FlagKind::Value),
    flag("recursive", Some('R'), FlagKind::Bool),
];

pub fn run(k: &mut Kubectl<'_>, args: &[String], out: &mut Output) -> CmdResult {
    let p = flags::parse(args, SPECS).map_err(|m| super::flag_error("replace", m))?;
    let ns = manifest::namespace_flag(k, &p);
    let dry = manifest::dry_run_flag(&p)?;
    if p.all("filename").is_empty() {
        return Err(CmdError::Plain("must specify one of -f and -k".into()));
    }
    let force = p.bool("force");
    let manifest::PreparedSet {
        ready,
        builder_errors,
        mut errors,
    } = manifest::prepare_objects(k, &ns, p.value("namespace"), &p.all("filename"))?;
    let mut to_force = Vec::new();
    for manifest::Prepared {
        document: doc,
        kind,
        object: mut obj,
    } in ready
    {
        if p.bool("save-config") {
            super::apply::set_last_applied(&mut obj);
        }
        let name = object::name(&obj).to_string();
        let obj_ns = object::namespace(&obj).to_string();
        let shown = manifest::resource_name(kind, &name);
        // `AddSourceToErr`: `error when replacing "web.yaml": ...`.
        let sourced = |error: kubeplay_engine::ApiError, verb: &str| CmdError::Api {
            error,
            context: Some((verb.to_string(), doc.source.clone())),
        };
        if force {
            to_force.push((kind, obj, shown, doc.source.clone()));
            continue;
        }
        // `Helper.Replace(..., overwrite=true)`: without a resourceVersion in the file the
        // live one is used, so the PUT replaces whatever is there now.
        if object::get_str(&obj, &["metadata", "resourceVersion"]).is_none() {
            match k.cluster.api.get(kind, &obj_ns, &name) {
                Ok(live) => object::set(
                    &mut obj,
                    &["metadata", "resourceVersion"],
                    json!(object::get_str(&live, &["metadata", "resourceVersion"]).unwrap_or("")),
                ),
                Err(e) => {
                    errors.push(sourced(e, "replacing"));
                    continue;
                }
            }
        }
        let result = match dry {
            DryRun::Client => Ok(()),
            _ => k
                .cluster
                .api
                .update_with(
                    obj,
                    &WriteOptions {
                        dry_run: dry == DryRun::Server,
                    },
                )
                .map(|_| ()),
        };
        manifest::flush_warnings(k, out);
        match result {
            Ok(()) => out.outln(format!("{shown} replaced{}", dry.suffix())),
            Err(e) => errors.push(sourced(e, "replacing")),
        }
    }
    if force {
        force_replace(k, to_force, dry, &mut errors, out);
    }
    manifest::finish_grouped(builder_errors, errors, out)
}

/// `--force`: every object is deleted first, then, once all are gone, each is created from
/// its manifest.
fn force_replace(
    k: &mut Kubectl<'_>,
    objs: Vec<(kubeplay_engine::Kind, serde_json::Value, String, String)>,
    dry: DryRun,
    errors: &mut Vec<CmdError>,
    out: &mut Output,
) {
    let sourced = |error: kubeplay_engine::ApiError, verb: &str, source: &str| CmdError::Api {
        error,
        context: Some((verb.to_string(), source.to_string())),
    };
    if dry != DryRun::None {
        for (_, _, shown, _) in &objs {
            out.outln(format!("{shown} replaced{}", dry.suffix()));
        }
        return;
    }
    let mut deleted = Vec::new();
    let mut gone = Vec::new();
    for (kind, obj, shown, source) in objs {
        let (ns, name) = (
            object::namespace(&obj).to_string(),
            object::name(&obj).to_string(),
        );
        let live = match k.cluster.api.get(kind, &ns, &name) {
            Ok(l) => l,
            Err(e) => {
                errors.push(sourced(e, "deleting", &source));
                continue;
            }
        };
        if let Err(e) = k
            .cluster
            .api
            .delete(kind, &ns, &name, &DeleteOptions::default())
        {
            errors.push(sourced(e, "deleting", &source));
            continue;
        }
        out.outln(format!("{} \"{name}\" deleted", kind.group_kind_lower()));
        gone.push((kind, ns, name, object::uid(&live).to_string()));
        deleted.push((kind, obj, shown, source));
    }
    if let Some((kind, _, name, _)) = super::delete::wait_until_gone(k, &gone, 300_000) {
        errors.push(CmdError::Plain(format!(
            "timed out waiting for the condition on {}/{name}",
            kind.plural()
        )));
        return;
    }
    for (_, mut obj, shown, source) in deleted {
        if let Some(m) = obj.get_mut("metadata").and_then(|m| m.as_object_mut()) {
            m.remove("resourceVersion");
        }
        match k.cluster.api.create(obj) {
            Ok(_) => out.outln(format!("{shown} replaced")),
            Err(e) => errors.push(sourced(e, "creating", &source)),
        }
        manifest::flush_warnings(k, out);
    }
}

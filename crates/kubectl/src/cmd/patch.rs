//! `kubectl patch TYPE NAME -p PATCH [--type strategic|merge|json] [--subresource
//! status|scale]`: sends the patch to the API server and prints `patched`, or `patched (no
//! change)` when the object came back unchanged.

use super::{CmdError, CmdResult};
use crate::context::Kubectl;
use crate::flags::{self, flag, FlagKind};
use crate::manifest::{self, DryRun, Selection};
use crate::output::Output;
use kubeplay_engine::{object, patch, ApiError, Kind, PatchType, WriteOptions};
use serde_json::{json, Value};

pub(crate) const FLAGS: &[flags::FlagSpec] = &[
    flag("namespace", Some('n'), FlagKind::Value),
    flag("filename", Some('f'), FlagKind::Multi),
    flag("patch", Some('p'), FlagKind::Value),
    flag("patch-file", None, FlagKind::Value),
    flag("type", None, FlagKind::Value),
    flag("subresource", None, FlagKind::Value),
    flag("dry-run", None, FlagKind::Value),
    flag("output", Some('o'), FlagKind::Value),
    flag("local", None, FlagKind::Bool),
];

/// Parses `-p` as kubectl does (`yaml.ToJSON`, so YAML flow syntax works too): only the
/// first YAML document counts, and the errors are go-yaml's.
pub fn parse_patch(text: &str) -> Result<Value, CmdError> {
    crate::decode::yaml_to_json(text)
        .map_err(|e| CmdError::Plain(format!("unable to parse {text:?}: {}", e.message)))
}

pub fn run(k: &mut Kubectl<'_>, args: &[String], out: &mut Output) -> CmdResult {
    let p = flags::parse(args, FLAGS).map_err(|m| super::flag_error("patch", m))?;
    let ns = manifest::namespace_flag(k, &p);
    let dry = manifest::dry_run_flag(&p)?;
    let patch_type = match p.value("type").unwrap_or("strategic") {
        "strategic" => PatchType::StrategicMerge,
        "merge" => PatchType::Merge,
        "json" => PatchType::Json,
        other => {
            return Err(CmdError::Plain(format!(
                "--type must be one of [json merge strategic], not {other:?}"
            )))
        }
    };
    let text = match (p.value("patch"), p.value("patch-file")) {
        (Some(_), Some(_)) => {
            return Err(CmdError::Plain(
                "--patch and --patch-file are mutually exclusive".into(),
            ))
        }
        (Some(t), None) => t.to_string(),
        (None, Some(f)) => k.files.read(f).map_err(|_| {
            CmdError::Plain(format!(
                "unable to read patch file: open {f}: no such file or directory"
            ))
        })?,
        (None, None) => {
            return Err(CmdError::Usage {
                command: "patch".into(),
                message:
                    "must specify --patch or --patch-file containing the contents of the patch"
                        .into(),
            })
        }
    };
    let body = parse_patch(&text)?;
    let subresource = p.value("subresource").map(str::to_string);
    if let Some(s) = &subresource {
        if s != "status" && s != "scale" {
            return Err(CmdError::Plain(format!(
                "invalid subresource value: {s:?}. Must be one of [status scale]"
            )));
        }
    }
    let sel = Selection {
        filenames: p.all("filename"),
        args: p.positional.clone(),
        ..Default::default()
    };
    let (targets, mut errors) = manifest::resolve(k, &ns, &sel)?;
    for t in targets {
        let r = patch_one(
            k,
            t.kind,
            &t.namespace,
            &t.name,
            patch_type,
            &body,
            subresource.as_deref(),
            dry,
        );
        manifest::flush_warnings(k, out);
        match r {
            Ok(changed) => out.outln(format!(
                "{} patched{}{}",
                manifest::resource_name(t.kind, &t.name),
                if changed { "" } else { " (no change)" },
                dry.suffix()
            )),
            Err(e) => errors.push(e),
        }
    }
    manifest::finish(errors, out)
}

fn not_found_subresource() -> ApiError {
    ApiError {
        code: 404,
        reason: "NotFound".into(),
        message: "the server could not find the requested resource".into(),
        name: String::new(),
        group: String::new(),
        kind: String::new(),
        causes: Vec::new(),
    }
}

/// Applies one patch; returns whether the object changed.
#[allow(clippy::too_many_arguments)]
fn patch_one(
    k: &mut Kubectl<'_>,
    kind: Kind,
    ns: &str,
    name: &str,
    patch_type: PatchType,
    body: &Value,
    subresource: Option<&str>,
    dry: DryRun,
) -> Result<bool, CmdError> {
    let before = k.cluster.api.get(kind, ns, name)?;
    let opts = WriteOptions {
        dry_run: dry != DryRun::None,
    };
    if subresource == Some("scale") {
        if !super::scale::has_scale(kind) {
            return Err(not_found_subresource().into());
        }
        let mut scale = json!({
            "apiVersion": "autoscaling/v1", "kind": "Scale",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"replicas": object::get_i64(&before, &["spec", "replicas"]).unwrap_or(1)},
            "status": {"replicas": object::get_i64(&before, &["status", "replicas"]).unwrap_or(0)}
        });
        match patch_type {
            PatchType::Json => patch::json_patch(&mut scale, body)?,
            PatchType::Merge => patch::merge_patch(&mut scale, body),
            PatchType::StrategicMerge => patch::strategic_merge_patch(kind, &mut scale, body)?,
        }
        let replicas = object::get(&scale, &["spec", "replicas"])
            .cloned()
            .unwrap_or(json!(0));
        let after = k.cluster.api.patch_with(
            kind,
            ns,
            name,
            PatchType::Merge,
            &json!({"spec": {"replicas": replicas}}),
            false,
            &opts,
        )?;
        return Ok(*after != *before);
    }
    let after = k.cluster.api.patch_with(
        kind,
        ns,
        name,
        patch_type,
        body,
        subresource == Some("status"),
        &opts,
    )?;
    Ok(*after != *before)
}

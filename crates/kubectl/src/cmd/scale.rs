//! `kubectl scale TYPE NAME --replicas=N [--current-replicas=M]`: writes `spec.replicas`
//! through the scale subresource of the kinds that have one; prints `statefulset.apps/web
//! scaled`.

use super::{CmdError, CmdResult};
use crate::context::Kubectl;
use crate::flags::{self, flag, FlagKind};
use crate::manifest::{self, DryRun, Selection};
use crate::output::Output;
use kubeplay_engine::{object, ApiError, Kind, PatchType, WriteOptions};
use serde_json::json;

pub(crate) const FLAGS: &[flags::FlagSpec] = &[
    flag("namespace", Some('n'), FlagKind::Value),
    flag("filename", Some('f'), FlagKind::Multi),
    flag("selector", Some('l'), FlagKind::Value),
    flag("all", None, FlagKind::Bool),
    flag("replicas", None, FlagKind::Value),
    flag("current-replicas", None, FlagKind::Value),
    flag("resource-version", None, FlagKind::Value),
    flag("timeout", None, FlagKind::Value),
    flag("dry-run", None, FlagKind::Value),
    flag("output", Some('o'), FlagKind::Value),
];

/// Kinds served with a `/scale` subresource.
pub fn has_scale(kind: Kind) -> bool {
    matches!(
        kind,
        Kind::StatefulSet | Kind::Deployment | Kind::ReplicaSet
    )
}

pub fn run(k: &mut Kubectl<'_>, args: &[String], out: &mut Output) -> CmdResult {
    let p = flags::parse(args, FLAGS).map_err(|m| super::flag_error("scale", m))?;
    let ns = manifest::namespace_flag(k, &p);
    let dry = manifest::dry_run_flag(&p)?;
    // cobra checks the required flag first, pflag its type, `Validate` its sign.
    let Some(r) = p.value("replicas") else {
        return Err(CmdError::Plain(
            "required flag(s) \"replicas\" not set".into(),
        ));
    };
    let replicas: i64 = r.parse().map_err(|_| {
        super::flag_error(
            "scale",
            format!(
                "invalid argument \"{r}\" for \"--replicas\" flag: strconv.ParseInt: parsing \"{r}\": invalid syntax"
            ),
        )
    })?;
    if replicas < 0 {
        return Err(CmdError::Plain(
            "The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0"
                .into(),
        ));
    }
    let current: Option<i64> = match p.value("current-replicas") {
        None => None,
        Some(c) => Some(c.parse().map_err(|_| {
            CmdError::Plain(format!(
                "invalid argument \"{c}\" for \"--current-replicas\" flag: strconv.ParseInt: parsing \"{c}\": invalid syntax"
            ))
        })?),
    }
    .filter(|c| *c >= 0);
    let sel = Selection {
        filenames: p.all("filename"),
        args: p.positional.clone(),
        selector: p.value("selector").map(str::to_string),
        all: p.bool("all"),
        all_namespaces: false,
    };
    let (targets, mut errors) = manifest::resolve(k, &ns, &sel)?;
    if targets.is_empty() && errors.is_empty() {
        return Err(CmdError::Plain("no objects passed to scale".into()));
    }
    for t in targets {
        let r = scale_one(k, t.kind, &t.namespace, &t.name, replicas, current, dry);
        manifest::flush_warnings(k, out);
        match r {
            Ok(()) => out.outln(format!(
                "{} scaled{}",
                manifest::resource_name(t.kind, &t.name),
                dry.suffix()
            )),
            Err(e) => errors.push(e),
        }
    }
    manifest::finish(errors, out)
}

fn scale_one(
    k: &mut Kubectl<'_>,
    kind: Kind,
    ns: &str,
    name: &str,
    replicas: i64,
    current: Option<i64>,
    dry: DryRun,
) -> CmdResult {
    if !has_scale(kind) {
        return Err(ApiError {
            code: 404,
            reason: "NotFound".into(),
            message: "the server could not find the requested resource".into(),
            name: String::new(),
            group: String::new(),
            kind: String::new(),
            causes: Vec::new(),
        }
        .into());
    }
    let live = k.cluster.api.get(kind, ns, name)?;
    if let Some(c) = current {
        let actual = object::get_i64(&live, &["spec", "replicas"]).unwrap_or(1);
        if actual != c {
            return Err(CmdError::Plain(format!(
                "Expected replicas to be {c}, was {actual}"
            )));
        }
    }
    if dry == DryRun::Client {
        return Ok(());
    }
    k.cluster.api.patch_with(
        kind,
        ns,
        name,
        PatchType::Merge,
        &json!({"spec": {"replicas": replicas}}),
        false,
        &WriteOptions {
            dry_run: dry == DryRun::Server,
        },
    )?;
    Ok(())
}

//! `kubectl rollout status|history|undo|restart|pause|resume` for StatefulSets (spec S6.7,
//! S6.8), Deployments and DaemonSets.
//!
//! `status` watches like kubectl: it reads the watch log after each step of the simulated
//! cluster and prints one line per ADDED/MODIFIED event of the object, until the rollout is
//! done, the `--timeout` passes, or the cluster has nothing left to do (where a real kubectl
//! would wait forever, the playground stops).

use super::{CmdError, CmdResult};
use crate::context::Kubectl;
use crate::flags::{self, flag, FlagKind};
use crate::manifest::{self, Selection};
use crate::output::Output;
use kubeplay_engine::store::EventType;
use kubeplay_engine::{object, time, Kind, PatchType, Selector};
use serde_json::{json, Value};

pub(crate) const FLAGS: &[flags::FlagSpec] = &[
    flag("namespace", Some('n'), FlagKind::Value),
    flag("filename", Some('f'), FlagKind::Multi),
    flag("selector", Some('l'), FlagKind::Value),
    flag("watch", Some('w'), FlagKind::Bool),
    flag("timeout", None, FlagKind::Value),
    flag("revision", None, FlagKind::Value),
    flag("to-revision", None, FlagKind::Value),
    flag("dry-run", None, FlagKind::Value),
    flag("output", Some('o'), FlagKind::Value),
];

pub const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";
pub const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";

pub fn run(k: &mut Kubectl<'_>, args: &[String], out: &mut Output) -> CmdResult {
    let Some((sub, rest)) = args.split_first() else {
        return Err(CmdError::Plain(
            "unknown command \"\" for \"kubectl rollout\"".into(),
        ));
    };
    let p =
        flags::parse(rest, FLAGS).map_err(|m| super::flag_error(format!("rollout {sub}"), m))?;
    let ns = manifest::namespace_flag(k, &p);
    let sel = Selection {
        filenames: p.all("filename"),
        args: p.positional.clone(),
        selector: p.value("selector").map(str::to_string),
        all: false,
        all_namespaces: false,
    };
    if sel.filenames.is_empty() && sel.args.is_empty() {
        return Err(CmdError::Usage {
            command: format!("rollout {sub}"),
            message: "required resource not specified".into(),
        });
    }
    let (targets, mut errors) = manifest::resolve(k, &ns, &sel)?;
    for t in targets {
        let r = match sub.as_str() {
            "status" => status(k, t.kind, &t.namespace, &t.name, &p, out),
            "history" => history(k, t.kind, &t.namespace, &t.name, &p, out),
            "undo" => undo(k, t.kind, &t.namespace, &t.name, &p, out),
            "restart" => restart(k, t.kind, &t.namespace, &t.name, out),
            "pause" | "resume" => pause(k, t.kind, &t.namespace, &t.name, sub == "pause", out),
            other => {
                return Err(CmdError::Plain(format!(
                    "unknown command {other:?} for \"kubectl rollout\""
                )))
            }
        };
        manifest::flush_warnings(k, out);
        if let Err(e) = r {
            errors.push(e);
        }
    }
    manifest::finish(errors, out)
}

/// The status viewers (`StatefulSetStatusViewer`, `DeploymentStatusViewer`,
/// `DaemonSetStatusViewer`): the line to print and whether the rollout is done.
pub fn status_message(kind: Kind, obj: &Value) -> Result<(String, bool), CmdError> {
    let i = |path: &[&str]| object::get_i64(obj, path).unwrap_or(0);
    let name = object::name(obj);
    let observed = object::get_i64(obj, &["status", "observedGeneration"]).unwrap_or(0);
    let generation = object::generation(obj);
    match kind {
        Kind::StatefulSet => {
            let typ = object::get_str(obj, &["spec", "updateStrategy", "type"])
                .unwrap_or("RollingUpdate");
            if typ != "RollingUpdate" {
                return Err(CmdError::Plain(
                    "rollout status is only available for RollingUpdate strategy type".into(),
                ));
            }
            if observed == 0 || generation > observed {
                return Ok((
                    "Waiting for statefulset spec update to be observed...\n".into(),
                    false,
                ));
            }
            let replicas = object::get_i64(obj, &["spec", "replicas"]).unwrap_or(1);
            let ready = i(&["status", "readyReplicas"]);
            if ready < replicas {
                return Ok((
                    format!("Waiting for {} pods to be ready...\n", replicas - ready),
                    false,
                ));
            }
            let updated = i(&["status", "updatedReplicas"]);
            if object::get(obj, &["spec", "updateStrategy", "rollingUpdate"])
                .is_some_and(|v| !v.is_null())
            {
                if let Some(partition) = object::get_i64(
                    obj,
                    &["spec", "updateStrategy", "rollingUpdate", "partition"],
                ) {
                    if updated < replicas - partition {
                        return Ok((format!(
                            "Waiting for partitioned roll out to finish: {updated} out of {} new pods have been updated...\n",
                            replicas - partition
                        ), false));
                    }
                }
                return Ok((
                    format!(
                        "partitioned roll out complete: {updated} new pods have been updated...\n"
                    ),
                    true,
                ));
            }
            let update_rev = object::get_str(obj, &["status", "updateRevision"]).unwrap_or("");
            let current_rev = object::get_str(obj, &["status", "currentRevision"]).unwrap_or("");
            if update_rev != current_rev {
                return Ok((format!(
                    "waiting for statefulset rolling update to complete {updated} pods at revision {update_rev}...\n"
                ), false));
            }
            Ok((
                format!(
                    "statefulset rolling update complete {} pods at revision {current_rev}...\n",
                    i(&["status", "currentReplicas"])
                ),
                true,
            ))
        }
        Kind::Deployment => {
            if generation > observed {
                return Ok((
                    "Waiting for deployment spec update to be observed...\n".into(),
                    false,
                ));
            }
            let deadline = object::get_array(obj, &["status", "conditions"])
                .iter()
                .any(|c| {
                    c.get("type").and_then(Value::as_str) == Some("Progressing")
                        && c.get("reason").and_then(Value::as_str)
                            == Some("ProgressDeadlineExceeded")
                });
            if deadline {
                return Err(CmdError::Plain(format!(
                    "deployment {name:?} exceeded its progress deadline"
                )));
            }
            let spec = object::get_i64(obj, &["spec", "replicas"]).unwrap_or(1);
            let updated = i(&["status", "updatedReplicas"]);
            let total = i(&["status", "replicas"]);
            let available = i(&["status", "availableReplicas"]);
            if updated < spec {
                return Ok((format!("Waiting for deployment {name:?} rollout to finish: {updated} out of {spec} new replicas have been updated...\n"), false));
            }
            if total > updated {
                return Ok((format!("Waiting for deployment {name:?} rollout to finish: {} old replicas are pending termination...\n", total - updated), false));
            }
            if available < updated {
                return Ok((format!("Waiting for deployment {name:?} rollout to finish: {available} of {updated} updated replicas are available...\n"), false));
            }
            Ok((
                format!("deployment {name:?} successfully rolled out\n"),
                true,
            ))
        }
        Kind::DaemonSet => {
            let typ = object::get_str(obj, &["spec", "updateStrategy", "type"])
                .unwrap_or("RollingUpdate");
            if typ != "RollingUpdate" {
                return Err(CmdError::Plain(
                    "rollout status is only available for RollingUpdate strategy type".into(),
                ));
            }
            if generation > observed {
                return Ok((
                    "Waiting for daemon set spec update to be observed...\n".into(),
                    false,
                ));
            }
            let desired = i(&["status", "desiredNumberScheduled"]);
            let updated = i(&["status", "updatedNumberScheduled"]);
            let available = i(&["status", "numberAvailable"]);
            if updated < desired {
                return Ok((format!("Waiting for daemon set {name:?} rollout to finish: {updated} out of {desired} new pods have been updated...\n"), false));
            }
            if available < desired {
                return Ok((format!("Waiting for daemon set {name:?} rollout to finish: {available} of {desired} updated pods are available...\n"), false));
            }
            Ok((
                format!("daemon set {name:?} successfully rolled out\n"),
                true,
            ))
        }
        other => Err(CmdError::Plain(format!(
            "no status viewer has been implemented for {}",
            other.name()
        ))),
    }
}

fn unsupported(kind: Kind) -> CmdError {
    CmdError::Plain(format!(
        "no history viewer has been implemented for {:?}",
        kind.name()
    ))
}

fn status(
    k: &mut Kubectl<'_>,
    kind: Kind,
    ns: &str,
    name: &str,
    p: &flags::Parsed,
    out: &mut Output,
) -> CmdResult {
    let obj = k.cluster.api.get(kind, ns, name)?;
    let (msg, done) = status_message(kind, &obj)?;
    out.out(&msg);
    if done || p.value("watch") == Some("false") {
        return Ok(());
    }
    let timeout_ms = match p.value("timeout") {
        None => 0,
        Some(t) => time::parse_go_duration(t).map_err(CmdError::Plain)?,
    };
    let deadline = (timeout_ms > 0).then(|| k.cluster.now().plus_ms(timeout_ms));
    let mut cursor = k.cluster.api.store.head();
    loop {
        match (k.cluster.next_timer(), deadline) {
            (None, _) => {
                // Pending work at this instant may still produce events.
                k.cluster.run_now();
            }
            (Some(t), Some(d)) if t > d => k.cluster.advance_to(d),
            (Some(_), _) => {
                k.cluster.step_to_next_event();
            }
        }
        let events: Vec<_> = match k.cluster.api.store.events_since(cursor) {
            Ok(evs) => evs
                .filter(|e| {
                    e.kind == kind
                        && object::name(e.object()) == name
                        && object::namespace(e.object()) == ns
                })
                .map(|e| (e.event_type, e.object().clone()))
                .collect(),
            Err(_) => Vec::new(),
        };
        cursor = k.cluster.api.store.head();
        for (typ, o) in events {
            if typ == EventType::Deleted {
                return Err(CmdError::Plain("object has been deleted".into()));
            }
            let (msg, done) = status_message(kind, &o)?;
            out.out(&msg);
            if done {
                return Ok(());
            }
        }
        if let Some(d) = deadline {
            if k.cluster.now() >= d {
                return Err(CmdError::Plain(
                    "timed out waiting for the condition".into(),
                ));
            }
        }
        if k.cluster.next_timer().is_none() && k.cluster.is_idle() {
            // Nothing will change any more; stop rather than hang.
            return Ok(());
        }
    }
}

/// The history entries of an object: (revision, change-cause, the revision object).
fn revisions(
    k: &Kubectl<'_>,
    kind: Kind,
    ns: &str,
    obj: &Value,
) -> Result<Vec<(i64, String, Value)>, CmdError> {
    let uid = object::uid(obj);
    let owned = |o: &Value| object::controller_ref(o).is_some_and(|r| r.uid == uid);
    let mut out: Vec<(i64, String, Value)> = match kind {
        Kind::StatefulSet | Kind::DaemonSet => k
            .cluster
            .api
            .list(Kind::ControllerRevision, Some(ns), &Selector::everything())
            .into_iter()
            .filter(|r| owned(r))
            .map(|r| {
                let cause = object::annotation(&r, CHANGE_CAUSE)
                    .unwrap_or("<none>")
                    .to_string();
                (
                    object::get_i64(&r, &["revision"]).unwrap_or(0),
                    cause,
                    (*r).clone(),
                )
            })
            .collect(),
        Kind::Deployment => k
            .cluster
            .api
            .list(Kind::ReplicaSet, Some(ns), &Selector::everything())
            .into_iter()
            .filter(|r| owned(r))
            .filter_map(|r| {
                let rev = object::annotation(&r, "deployment.kubernetes.io/revision")?
                    .parse()
                    .ok()?;
                let cause = object::annotation(&r, CHANGE_CAUSE)
                    .unwrap_or("<none>")
                    .to_string();
                Some((rev, cause, (*r).clone()))
            })
            .collect(),
        other => return Err(unsupported(other)),
    };
    kubeplay_shell::sorting::sort_by_key(&mut out, |(r, _, _)| *r);
    Ok(out)
}

fn history(
    k: &mut Kubectl<'_>,
    kind: Kind,
    ns: &str,
    name: &str,
    p: &flags::Parsed,
    out: &mut Output,
) -> CmdResult {
    let obj = k.cluster.api.get(kind, ns, name)?;
    let revs = revisions(k, kind, ns, &obj)?;
    let shown = manifest::resource_name(kind, name);
    if let Some(r) = p.value("revision").filter(|r| *r != "0") {
        let n: i64 = r.parse().map_err(|_| CmdError::Plain(format!("invalid argument \"{r}\" for \"--revision\" flag: strconv.ParseInt: parsing \"{r}\": invalid syntax")))?;
        if !revs.iter().any(|(rv, _, _)| *rv == n) {
            return Err(CmdError::Plain(
                "unable to find the specified revision".into(),
            ));
        }
        // A Deployment's revision is its ReplicaSet (whose template carries the
        // pod-template-hash label); a StatefulSet's or DaemonSet's is a ControllerRevision whose
        // data replaces the set's template (`$patch: replace`), so applying it onto the set
        // gives that template as stored.
        let path: &[&str] = match kind {
            Kind::Deployment => &["spec", "template"],
            _ => &["data", "spec", "template"],
        };
        let mut template = revs
            .iter()
            .find(|(rv, _, _)| *rv == n)
            .and_then(|(_, _, rev)| object::get(rev, path))
            .cloned()
            .unwrap_or(json!({}));
        if let Some(t) = template.as_object_mut() {
            t.remove("$patch");
        }
        out.outln(format!("{shown} with revision #{n}"));
        out.out(super::describe::pod_template_text_unaligned(&template));
        out.outln("");
        return Ok(());
    }
    if revs.is_empty() {
        out.outln(format!("No rollout history found in {shown}"));
        return Ok(());
    }
    out.outln(format!("{shown} "));
    let width = revs
        .iter()
        .map(|(r, _, _)| r.to_string().len())
        .max()
        .unwrap_or(0)
        .max("REVISION".len())
        + 2;
    out.outln(format!("{:<width$}CHANGE-CAUSE", "REVISION"));
    for (r, cause, _) in &revs {
        out.outln(format!("{:<width$}{cause}", r.to_string()));
    }
    out.outln("");
    Ok(())
}

/// The template patch a StatefulSet/DaemonSet revision stores (`getPatch`).
fn template_patch(obj: &Value) -> Value {
    let mut t = object::get(obj, &["spec", "template"])
        .cloned()
        .unwrap_or(json!({}));
    t["$patch"] = json!("replace");
    json!({"spec": {"template": t}})
}

fn undo(
    k: &mut Kubectl<'_>,
    kind: Kind,
    ns: &str,
    name: &str,
    p: &flags::Parsed,
    out: &mut Output,
) -> CmdResult {
    let obj = k.cluster.api.get(kind, ns, name)?;
    let to: i64 = match p.value("to-revision") {
        None => 0,
        Some(r) => r.parse().map_err(|_| CmdError::Plain(format!("invalid argument \"{r}\" for \"--to-revision\" flag: strconv.ParseInt: parsing \"{r}\": invalid syntax")))?,
    };
    let revs = revisions(k, kind, ns, &obj)?;
    let target = if to == 0 {
        if revs.len() <= 1 && kind == Kind::Deployment {
            return Err(CmdError::Plain(format!(
                "no rollout history found for deployment {name:?}"
            )));
        }
        if revs.len() <= 1 {
            return Err(CmdError::Plain("no last revision to roll back to".into()));
        }
        revs.get(revs.len() - 2)
    } else {
        revs.iter().find(|(r, _, _)| *r == to)
    };
    let Some((_, _, rev)) = target else {
        return Err(CmdError::Plain(format!(
            "unable to find specified revision {to} in history"
        )));
    };
    let shown = manifest::resource_name(kind, name);
    let body = match kind {
        Kind::Deployment => {
            // kubectl's DeploymentRollbacker: refuse paused deployments, then replace the
            // template and the annotations (kept: the controller's own) in one JSON patch.
            if object::get_bool(&obj, &["spec", "paused"]) == Some(true) {
                return Err(CmdError::Plain("you cannot rollback a paused deployment; resume it first with 'kubectl rollout resume' and try again".into()));
            }
            let mut t = object::get(rev, &["spec", "template"])
                .cloned()
                .unwrap_or(json!({}));
            object::remove(&mut t, &["metadata", "labels", "pod-template-hash"]);
            if object::get(&obj, &["spec", "template"]) == Some(&t) {
                out.outln(format!(
                    "{shown} skipped rollback (current template already matches revision {to})"
                ));
                return Ok(());
            }
            const SKIP: &[&str] = &[
                "kubectl.kubernetes.io/last-applied-configuration",
                "deployment.kubernetes.io/revision",
                "deployment.kubernetes.io/revision-history",
                "deployment.kubernetes.io/desired-replicas",
                "deployment.kubernetes.io/max-replicas",
                "deprecated.deployment.rollback.to",
            ];
            let mut annotations = serde_json::Map::new();
            for (k2, v) in object::annotations(&obj) {
                if SKIP.contains(&k2.as_str()) {
                    annotations.insert(k2, json!(v));
                }
            }
            for (k2, v) in object::annotations(rev) {
                if !SKIP.contains(&k2.as_str()) {
                    annotations.insert(k2, json!(v));
                }
            }
            if p.value("dry-run").is_some_and(|d| d != "none") {
                out.outln(format!("{shown} rolled back (dry run)"));
                return Ok(());
            }
            let patch = json!([
                {"op": "replace", "path": "/spec/template", "value": t},
                {"op": "replace", "path": "/metadata/annotations", "value": annotations},
            ]);
            k.cluster
                .api
                .patch(kind, ns, name, PatchType::Json, &patch)
                .map_err(|e| CmdError::Plain(format!("failed restoring revision {to}: {e}")))?;
            out.outln(format!("{shown} rolled back"));
            return Ok(());
        }
        _ => {
            let data = rev.get("data").cloned().unwrap_or(json!({}));
            if data == template_patch(&obj) {
                out.outln(format!(
                    "{shown} skipped rollback (current template already matches revision {to})"
                ));
                return Ok(());
            }
            data
        }
    };
    if p.value("dry-run").is_some_and(|d| d != "none") {
        out.outln(format!("{shown} rolled back (dry run)"));
        return Ok(());
    }
    k.cluster
        .api
        .patch(kind, ns, name, PatchType::StrategicMerge, &body)?;
    out.outln(format!("{shown} rolled back"));
    Ok(())
}

fn restart(k: &mut Kubectl<'_>, kind: Kind, ns: &str, name: &str, out: &mut Output) -> CmdResult {
    if !matches!(kind, Kind::StatefulSet | Kind::Deployment | Kind::DaemonSet) {
        return Err(CmdError::Plain(format!(
            "{}/{name} restarting is not supported",
            kind.group_resource()
        )));
    }
    let obj = k.cluster.api.get(kind, ns, name)?;
    if kind == Kind::Deployment && object::get_bool(&obj, &["spec", "paused"]) == Some(true) {
        return Err(CmdError::Plain(
            "can't restart paused deployment (run rollout resume first)".into(),
        ));
    }
    let now = k.cluster.now().rfc3339();
    let body = json!({"spec": {"template": {"metadata": {"annotations": {RESTARTED_AT: now}}}}});
    k.cluster
        .api
        .patch(kind, ns, name, PatchType::StrategicMerge, &body)?;
    out.outln(format!("{} restarted", manifest::resource_name(kind, name)));
    Ok(())
}

fn pause(
    k: &mut Kubectl<'_>,
    kind: Kind,
    ns: &str,
    name: &str,
    pause: bool,
    out: &mut Output,
) -> CmdResult {
    let verb = if pause { "pausing" } else { "resuming" };
    if kind != Kind::Deployment {
        return Err(CmdError::Plain(format!(
            "{}/{name} {verb} is not supported",
            kind.group_resource()
        )));
    }
    let obj = k.cluster.api.get(kind, ns, name)?;
    let shown = manifest::resource_name(kind, name);
    if object::get_bool(&obj, &["spec", "paused"]).unwrap_or(false) == pause {
        return Err(CmdError::Plain(format!(
            "{shown} is already {}",
            if pause { "paused" } else { "resumed" }
        )));
    }
    let body = if pause {
        json!({"spec": {"paused": true}})
    } else {
        json!({"spec": {"paused": null}})
    };
    k.cluster
        .api
        .patch(kind, ns, name, PatchType::StrategicMerge, &body)?;
    out.outln(format!(
        "{shown} {}",
        if pause { "paused" } else { "resumed" }
    ));
    Ok(())
}

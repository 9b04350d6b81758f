//! `kubectl delete` by file, `TYPE NAME...`, `TYPE/NAME`, `-l` or `--all`, with
//! `--cascade`, `--grace-period`, `--force`, `--now`, `--ignore-not-found` and `--wait`
//! (kubectl 1.33 wording: `pod "web-0" deleted`, spec S6.6 [ver]).
//!
//! Waiting runs the simulated cluster forward (`Cluster::step_to_next_event`) until the
//! objects are gone, the timeout passes, or nothing more can happen in the cluster (where a
//! real kubectl would hang forever, the playground stops waiting instead).

use super::{CmdError, CmdResult};
use crate::context::Kubectl;
use crate::flags::{self, flag, FlagKind};
use crate::manifest::{self, DryRun, Selection};
use crate::output::Output;
use kubeplay_engine::{object, time, DeleteOptions, Kind, Propagation};

pub(crate) const FLAGS: &[flags::FlagSpec] = &[
    flag("namespace", Some('n'), FlagKind::Value),
    flag("filename", Some('f'), FlagKind::Multi),
    flag("selector", Some('l'), FlagKind::Value),
    flag("all", None, FlagKind::Bool),
    flag("all-namespaces", Some('A'), FlagKind::Bool),
    flag("cascade", None, FlagKind::Value),
    flag("grace-period", None, FlagKind::Value),
    flag("force", None, FlagKind::Bool),
    flag("now", None, FlagKind::Bool),
    flag("wait", None, FlagKind::Bool),
    flag("timeout", None, FlagKind::Value),
    flag("ignore-not-found", None, FlagKind::Bool),
    flag("dry-run", None, FlagKind::Value),
    flag("output", Some('o'), FlagKind::Value),
    flag("recursive", Some('R'), FlagKind::Bool),
];

/// The "forever" kubectl uses when `--timeout` is 0 (a week).
const WAIT_FOREVER_MS: u64 = 7 * 24 * 3600 * 1000;

/// `--cascade` as kubectl reads it, with its warnings for the old boolean values.
fn cascade(value: Option<&str>, out: &mut Output) -> Result<Propagation, CmdError> {
    match value.unwrap_or("background") {
        "background" => Ok(Propagation::Background),
        "foreground" => Ok(Propagation::Foreground),
        "orphan" => Ok(Propagation::Orphan),
        "false" => {
            out.errln("warning: --cascade=false is deprecated (boolean value) and can be replaced with --cascade=orphan.");
            Ok(Propagation::Orphan)
        }
        "true" => {
            out.errln("warning: --cascade=true is deprecated (boolean value) and can be replaced with --cascade=background.");
            Ok(Propagation::Background)
        }
        other => Err(CmdError::Plain(format!(
            "invalid cascade value ({other}). Must be \"background\", \"foreground\", or \"orphan\"."
        ))),
    }
}

pub fn run(k: &mut Kubectl<'_>, args: &[String], out: &mut Output) -> CmdResult {
    let p = flags::parse(args, FLAGS).map_err(|m| super::flag_error("delete", m))?;
    let ns = manifest::namespace_flag(k, &p);
    let dry = manifest::dry_run_flag(&p)?;
    let propagation = cascade(p.value("cascade"), out)?;
    let force = p.bool("force");
    let mut grace: i64 = match p.value("grace-period") {
        None => -1,
        Some(g) => g.parse().map_err(|_| {
            CmdError::Plain(format!(
                "invalid argument \"{g}\" for \"--grace-period\" flag: strconv.ParseInt: parsing \"{g}\": invalid syntax"
            ))
        })?,
    };
    if p.bool("now") {
        if grace != -1 {
            return Err(CmdError::Plain(
                "--now and --grace-period cannot be specified together".into(),
            ));
        }
        grace = 1;
    }
    // kubectl turns --grace-period=0 into 1 unless --force says it means it.
    if grace == 0 && !force {
        grace = 1;
    }
    if force && grace < 0 {
        grace = 0;
    }
    if force {
        out.errln("Warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.");
    }
    let timeout_ms = match p.value("timeout") {
        None => 0,
        Some(t) => time::parse_go_duration(t).map_err(CmdError::Plain)?,
    };
    let timeout_ms = if timeout_ms == 0 {
        WAIT_FOREVER_MS
    } else {
        timeout_ms
    };
    let wait = p.value("wait") != Some("false");
    let sel = Selection {
        filenames: p.all("filename"),
        args: p.positional.clone(),
        selector: p.value("selector").map(str::to_string),
        all: p.bool("all"),
        all_namespaces: p.bool("all-namespaces"),
    };
    if sel.filenames.is_empty() && sel.args.is_empty() {
        return Err(CmdError::Plain(manifest::NO_RESOURCES.to_string()));
    }
    let (targets, mut errors) = manifest::resolve(k, &ns, &sel)?;
    let ignore_not_found = p.bool("ignore-not-found") || sel.all || sel.selector.is_some();
    let opts = DeleteOptions {
        grace_period_seconds: (grace >= 0).then_some(grace),
        propagation: Some(propagation),
        uid: None,
        dry_run: dry == DryRun::Server,
    };
    let op = if grace == 0 {
        "force deleted"
    } else {
        "deleted"
    };
    let mut found = 0;
    let mut waiting: Vec<(Kind, String, String, String)> = Vec::new();
    for t in targets {
        let result = if dry == DryRun::Client {
            k.cluster
                .api
                .get(t.kind, &t.namespace, &t.name)
                .map(|o| (*o).clone())
        } else {
            k.cluster
                .api
                .delete(t.kind, &t.namespace, &t.name, &opts)
                .map(|d| (**d.object()).clone())
        };
        manifest::flush_warnings(k, out);
        match result {
            Ok(obj) => {
                found += 1;
                let kind_str = t.kind.group_kind_lower();
                if p.value("output") == Some("name") {
                    out.outln(format!("{kind_str}/{}", t.name));
                } else {
                    out.outln(format!("{kind_str} \"{}\" {op}{}", t.name, dry.suffix()));
                }
                if dry == DryRun::None {
                    waiting.push((t.kind, t.namespace, t.name, object::uid(&obj).to_string()));
                }
            }
            Err(e) if e.is_not_found() && ignore_not_found => {}
            Err(error) => errors.push(CmdError::Api {
                error,
                context: t
                    .document
                    .as_ref()
                    .map(|d| ("deleting".to_string(), d.source.clone())),
            }),
        }
    }
    if found == 0 && errors.is_empty() && !p.bool("ignore-not-found") {
        out.outln("No resources found");
        return Ok(());
    }
    if wait && grace != 0 {
        if let Some(left) = wait_until_gone(k, &waiting, timeout_ms) {
            errors.push(CmdError::Plain(format!(
                "timed out waiting for the condition on {}/{}",
                left.0.group_resource(),
                left.2
            )));
        }
    }
    manifest::finish(errors, out)
}

/// Runs the cluster until every object (matched by uid) is gone. Returns the first object
/// still present when the timeout passed.
pub fn wait_until_gone<'a>(
    k: &mut Kubectl<'_>,
    objs: &'a [(Kind, String, String, String)],
    timeout_ms: u64,
) -> Option<&'a (Kind, String, String, String)> {
    let deadline = k.cluster.now().plus_ms(timeout_ms);
    let remaining = |k: &Kubectl<'_>| {
        objs.iter().find(|(kind, ns, name, uid)| {
            k.cluster
                .api
                .try_get(*kind, ns, name)
                .is_some_and(|o| object::uid(o) == uid)
        })
    };
    k.cluster.run_now();
    loop {
        let left = remaining(k)?;
        match k.cluster.next_timer() {
            Some(t) if t <= deadline => {
                k.cluster.step_to_next_event();
            }
            Some(_) => {
                k.cluster.advance_to(deadline);
                return remaining(k);
            }
            // Nothing will ever change: stop waiting rather than hang the page.
            None => {
                let _ = left;
                return None;
            }
        }
    }
}

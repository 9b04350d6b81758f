//! `kubectl events [--for TYPE/NAME] [--types=Normal,Warning] [-A] [-w] [-o FORMAT]`: the
//! namespace's Events, oldest first, as kubectl 1.33's events command prints them
//! (`LAST SEEN  TYPE  REASON  OBJECT  MESSAGE`). It only reads the cluster.
//!
//! Two things differ from `kubectl get events` on purpose, as in kubectl: rows are sorted by
//! when the event was last seen (not by name), and `--watch` does not list first: the watch's
//! initial events arrive in the store's order (namespace, then name), each printed and flushed
//! on its own, so only the header and the first row share column widths.

use super::{CmdError, CmdResult};
use crate::context::Kubectl;
use crate::flags::{self, flag, FlagKind, FlagSpec};
use crate::output::Output;
use crate::printers::tabwriter::{self, TabWriter};
use crate::printers::{self, table::age, OutputFormat};
use kubeplay_engine::store::{Cursor, EventType};
use kubeplay_engine::time::Time;
use kubeplay_engine::{object, Cluster, Kind, Selector};
use serde_json::{json, Value};
use std::sync::Arc;

pub(crate) const SPECS: &[FlagSpec] = &[
    flag("namespace", Some('n'), FlagKind::Value),
    flag("all-namespaces", Some('A'), FlagKind::Bool),
    flag("watch", Some('w'), FlagKind::Bool),
    flag("for", None, FlagKind::Value),
    flag("types", None, FlagKind::Multi),
    flag("no-headers", None, FlagKind::Bool),
    flag("output", Some('o'), FlagKind::Value),
    flag("template", None, FlagKind::Value),
    flag("chunk-size", None, FlagKind::Value),
    flag("allow-missing-template-keys", None, FlagKind::Value),
    flag("show-managed-fields", None, FlagKind::Bool),
];

/// The formats `genericclioptions.NewPrintFlags("events")` accepts (no table formats: the
/// events command prints its own table).
const FORMATS: &str = "go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,yaml";

/// What `--for TYPE/NAME` selects: the field selector kubectl sends
/// (`involvedObject.kind`, `involvedObject.apiVersion`, `involvedObject.name`).
#[derive(Clone, Debug, PartialEq, Eq)]
struct ForObject {
    kind: String,
    api_version: String,
    name: String,
}

/// Everything one `kubectl events` needs after its flags are read.
#[derive(Clone, Debug)]
struct Request {
    /// `None` with `-A`.
    namespace: Option<String>,
    for_object: Option<ForObject>,
    types: Vec<String>,
    no_headers: bool,
    all_namespaces: bool,
    format: Option<OutputFormat>,
}

fn parse_request(k: &Kubectl<'_>, args: &[String]) -> Result<(Request, bool), CmdError> {
    let p = flags::parse(args, SPECS).map_err(|m| super::flag_error("events", m))?;
    let namespace = crate::manifest::namespace_flag(k, &p);
    let for_object = match p.value("for").filter(|f| !f.is_empty()) {
        None => None,
        Some(f) => Some(parse_for(f)?),
    };
    let format = match p.value("output").filter(|o| !o.is_empty()) {
        None if p.value("template").is_some() => {
            Some(OutputFormat::parse(None, p.value("template")).map_err(CmdError::Plain)?)
        }
        None => None,
        Some(o) => {
            let name = o.split_once('=').map_or(o, |(n, _)| n);
            if matches!(name, "wide" | "custom-columns" | "custom-columns-file") {
                return Err(CmdError::Plain(format!(
                    "unable to match a printer suitable for the output format \"{o}\", allowed formats are: {FORMATS}"
                )));
            }
            Some(OutputFormat::parse(Some(o), p.value("template")).map_err(|e| {
                CmdError::Plain(e.replace(
                    "custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml",
                    FORMATS,
                ))
            })?)
        }
    };
    // `--types` is a string slice: repeatable and comma-separated; kubectl keeps the set.
    let mut types: Vec<String> = p
        .all("types")
        .iter()
        .flat_map(|t| t.split(',').map(str::to_string).collect::<Vec<_>>())
        .collect();
    kubeplay_shell::sorting::sort(&mut types);
    types.dedup();
    if types
        .iter()
        .any(|t| !t.eq_ignore_ascii_case("Normal") && !t.eq_ignore_ascii_case("Warning"))
    {
        return Err(CmdError::Plain(
            "valid --types are Normal or Warning".into(),
        ));
    }
    let all_namespaces = p.bool("all-namespaces");
    Ok((
        Request {
            namespace: (!all_namespaces).then_some(namespace),
            for_object,
            types,
            no_headers: p.bool("no-headers"),
            all_namespaces,
            format,
        },
        p.bool("watch"),
    ))
}

/// `decodeResourceTypeName`: `TYPE/NAME` resolved through the API's resource names. An
/// unknown type is the REST mapper's no-match error, which kubectl prints without `error: `.
fn parse_for(s: &str) -> Result<ForObject, CmdError> {
    if !s.contains('/') {
        return Err(CmdError::Plain(
            "--for must be in resource/name form".into(),
        ));
    }
    let parts: Vec<&str> = s.split('/').collect();
    let [resource, name] = parts[..] else {
        return Err(CmdError::Plain(
            "arguments in resource/name form may not have more than one slash".into(),
        ));
    };
    let kind = kubeplay_engine::Kind::resolve(&resource.to_lowercase())
        .ok_or_else(|| CmdError::Bare(crate::resource_args::unknown_type(resource)))?;
    Ok(ForObject {
        kind: kind.name().to_string(),
        api_version: kind.api_version(),
        name: name.to_string(),
    })
}

impl Request {
    /// The stored events this request selects, in the store's order.
    fn matching_events(&self, cluster: &Cluster) -> Vec<Arc<Value>> {
        cluster
            .api
            .list(
                Kind::Event,
                self.namespace.as_deref(),
                &Selector::everything(),
            )
            .into_iter()
            .filter(|e| self.matches(e))
            .collect()
    }

    fn matches(&self, e: &Value) -> bool {
        if let Some(ns) = &self.namespace {
            if object::namespace(e) != ns {
                return false;
            }
        }
        if let Some(f) = &self.for_object {
            let field = |k: &str| object::get_str(e, &["involvedObject", k]).unwrap_or("");
            if field("kind") != f.kind
                || field("apiVersion") != f.api_version
                || field("name") != f.name
            {
                return false;
            }
        }
        self.types.is_empty() || {
            let t = object::get_str(e, &["type"]).unwrap_or("");
            self.types.iter().any(|x| x.eq_ignore_ascii_case(t))
        }
    }
}

/// The moment an event sorts by (`eventTime` in kubectl's events command): the series' last
/// observation, else `lastTimestamp`, else `eventTime`.
fn sort_time(e: &Value) -> Time {
    let t = |path: &[&str]| object::get_str(e, path).and_then(Time::parse_rfc3339);
    t(&["series", "lastObservedTime"])
        .or_else(|| t(&["lastTimestamp"]))
        .or_else(|| t(&["eventTime"]))
        .unwrap_or_default()
}

/// The LAST SEEN cell: `5s`, or `5s (x3 over 40s)` for a repeated event.
fn interval(e: &Value, now: Time) -> String {
    let s = |path: &[&str]| object::get_str(e, path).filter(|t| !t.is_empty());
    let first = match s(&["eventTime"]) {
        Some(t) => age(Some(t), now),
        None => age(s(&["firstTimestamp"]), now),
    };
    if object::get(e, &["series"]).is_some_and(|v| !v.is_null()) {
        let count = object::get_i64(e, &["series", "count"]).unwrap_or(0);
        return format!(
            "{} (x{count} over {first})",
            age(s(&["series", "lastObservedTime"]), now)
        );
    }
    let count = object::get_i64(e, &["count"]).unwrap_or(0);
    if count > 1 {
        format!(
            "{} (x{count} over {first})",
            age(s(&["lastTimestamp"]), now)
        )
    } else {
        first
    }
}

/// kubectl's `EventPrinter`: a header once, then one row per event.
#[derive(Clone, Debug)]
struct EventPrinter {
    no_headers: bool,
    all_namespaces: bool,
    headers_printed: bool,
}

impl EventPrinter {
    fn print(&mut self, events: &[Arc<Value>], now: Time, w: &mut TabWriter) {
        if !self.no_headers && !self.headers_printed {
            if self.all_namespaces {
                w.write("NAMESPACE\t");
            }
            w.write("LAST SEEN\tTYPE\tREASON\tOBJECT\tMESSAGE\n");
            self.headers_printed = true;
        }
        for e in events {
            let s = |path: &[&str]| object::get_str(e, path).unwrap_or("").to_string();
            if self.all_namespaces {
                w.write(&format!("{}\t", object::namespace(e)));
            }
            w.write(&format!(
                "{}\t{}\t{}\t{}/{}\t{}\n",
                interval(e, now),
                s(&["type"]),
                s(&["reason"]),
                s(&["involvedObject", "kind"]),
                s(&["involvedObject", "name"]),
                s(&["message"]).trim(),
            ));
        }
    }
}

/// An event as the typed client hands it to the printers: with its `apiVersion` and `kind`.
fn with_type_meta(e: &Value) -> Value {
    let mut v = e.clone();
    if let Some(m) = v.as_object_mut() {
        m.insert("apiVersion".into(), json!("v1"));
        m.insert("kind".into(), json!("Event"));
    }
    v
}

fn print_formatted(format: &OutputFormat, data: &Value, out: &mut Output) -> CmdResult {
    let one = Arc::new(data.clone());
    let text = match format {
        // kubectl 1.33 prints nothing for the listed EventList with `-o name` (its name
        // printer's error is dropped); a watched event prints its name.
        OutputFormat::Name => match data.get("items") {
            Some(_) => String::new(),
            None => format!("event/{}\n", object::name(data)),
        },
        f => printers::print_generic(f, &[(Kind::Event, one)], true).map_err(CmdError::Plain)?,
    };
    out.out(text);
    Ok(())
}

pub fn run(k: &mut Kubectl<'_>, args: &[String], out: &mut Output) -> CmdResult {
    let (req, watch) = parse_request(k, args)?;
    if watch {
        let mut w = EventsWatch::start(k.cluster, req);
        super::get::run_watch(k, None, out, |c, o| w.poll(c, o));
        return Ok(());
    }
    let mut events = req.matching_events(k.cluster);
    if events.is_empty() {
        match &req.namespace {
            None => out.errln("No events found."),
            Some(ns) => out.errln(format!("No events found in {ns} namespace.")),
        }
        return Ok(());
    }
    kubeplay_shell::sorting::sort_by_key(&mut events, |e| sort_time(e));
    if let Some(format) = &req.format {
        let list = json!({
            "apiVersion": "v1",
            "items": events.iter().map(|e| with_type_meta(e)).collect::<Vec<_>>(),
            "kind": "EventList",
            "metadata": {},
        });
        return print_formatted(format, &list, out);
    }
    let mut printer = EventPrinter {
        no_headers: req.no_headers,
        all_namespaces: req.all_namespaces,
        headers_printed: false,
    };
    let mut w = TabWriter::new(tabwriter::Config::KUBECTL);
    printer.print(&events, k.cluster.now(), &mut w);
    w.flush();
    out.out(w.take_output());
    Ok(())
}

/// `kubectl events --watch` as a resumable watch: the existing events first (as a watch
/// starting at the newest version sends them), then each added or modified event as it
/// happens; deleted events are not printed.
#[derive(Clone, Debug)]
pub struct EventsWatch {
    req: Request,
    printer: EventPrinter,
    writer: TabWriter,
    cursor: Cursor,
    /// The existing events still to print (taken on the first poll).
    initial: Option<Vec<Arc<Value>>>,
    printed: usize,
}

impl EventsWatch {
    fn start(cluster: &Cluster, req: Request) -> EventsWatch {
        let initial = req.matching_events(cluster);
        EventsWatch {
            printer: EventPrinter {
                no_headers: req.no_headers,
                all_namespaces: req.all_namespaces,
                headers_printed: false,
            },
            req,
            writer: TabWriter::new(tabwriter::Config::KUBECTL),
            cursor: cluster.api.store.head(),
            initial: Some(initial),
            printed: 0,
        }
    }

    /// Parses `events` arguments; the watch prints from its first poll.
    pub fn begin(k: &mut Kubectl<'_>, args: &[String]) -> Result<EventsWatch, CmdError> {
        let (req, _) = parse_request(k, args)?;
        Ok(EventsWatch::start(k.cluster, req))
    }

    fn print_one(&mut self, e: &Arc<Value>, at: Time, out: &mut Output) {
        match &self.req.format {
            None => {
                self.printer
                    .print(std::slice::from_ref(e), at, &mut self.writer);
                self.writer.flush();
                out.out(self.writer.take_output());
            }
            Some(OutputFormat::Yaml) if self.printed > 0 => {
                out.out("---\n");
                out.out(printers::yaml::to_yaml(&with_type_meta(e)));
            }
            Some(f) => {
                let f = f.clone();
                if let Err(CmdError::Plain(m)) = print_formatted(&f, &with_type_meta(e), out) {
                    out.errln(format!("error: {m}"));
                }
            }
        }
        self.printed += 1;
    }

    /// Prints what happened since the last poll.
    pub fn poll(&mut self, cluster: &Cluster, out: &mut Output) {
        if let Some(initial) = self.initial.take() {
            let now = cluster.now();
            for e in &initial {
                self.print_one(e, now, out);
            }
        }
        let events: Vec<(Arc<Value>, Time)> = match cluster.api.store.events_since(self.cursor) {
            Ok(evs) => evs
                .filter(|e| e.kind == Kind::Event && e.event_type != EventType::Deleted)
                .map(|e| (e.object().clone(), e.time))
                .collect(),
            Err(_) => Vec::new(),
        };
        self.cursor = cluster.api.store.head();
        for (e, at) in events {
            if self.req.matches(&e) {
                self.print_one(&e, at, out);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn for_needs_one_type_and_one_name() {
        assert_eq!(
            parse_for("web-0").unwrap_err(),
            CmdError::Plain("--for must be in resource/name form".into())
        );
        assert_eq!(
            parse_for("a/b/c").unwrap_err(),
            CmdError::Plain(
                "arguments in resource/name form may not have more than one slash".into()
            )
        );
        assert_eq!(
            parse_for("foo/bar").unwrap_err(),
            CmdError::Bare("the server doesn't have a resource type \"foo\"".into())
        );
        assert_eq!(
            parse_for("sts/web").unwrap(),
            ForObject {
                kind: "StatefulSet".into(),
                api_version: "apps/v1".into(),
                name: "web".into()
            }
        );
        assert_eq!(
            parse_for("Pods/web-0").unwrap().api_version,
            "v1".to_string()
        );
    }

    #[test]
    fn repeated_events_show_their_count_and_span() {
        let e = json!({
            "count": 3,
            "firstTimestamp": "2026-01-01T00:00:00Z",
            "lastTimestamp": "2026-01-01T00:00:40Z",
        });
        let now = Time::parse_rfc3339("2026-01-01T00:00:45Z").unwrap();
        assert_eq!(interval(&e, now), "5s (x3 over 45s)");
        let once = json!({"count": 1, "firstTimestamp": "2026-01-01T00:00:40Z"});
        assert_eq!(interval(&once, now), "5s");
    }
}

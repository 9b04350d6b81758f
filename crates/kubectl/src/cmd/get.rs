//! `kubectl get`: list or fetch objects and print them as tables or in an `-o` format, and
//! `-w` watches as a resumable `Watch` the page can drive frame by frame.
//!
//! It reads the cluster only through `Api` (list/get and the watch log) and never changes it.
//! What it prints follows kubectl 1.33's `pkg/cmd/get` (blank line between kinds, `kind/name`
//! prefixes when several kinds are printed, "No resources found" on stderr, errors last).

use super::{CmdError, CmdResult};
use crate::context::Kubectl;
use crate::flags::{self, flag, FlagKind, FlagSpec};
use crate::output::Output;
use crate::printers::{
    self, jsonpath::JsonPath, table_for, tabwriter, OutputFormat, PrintOptions, TabWriter,
    TablePrinter,
};
use crate::resource_args::{self, ResourceArg};
use kubeplay_engine::store::{Cursor, EventType};
use kubeplay_engine::time::{parse_go_duration, Time};
use kubeplay_engine::{object, ApiError, Cluster, Kind, Selector};
use serde_json::Value;
use std::sync::Arc;

pub(crate) const FLAGS: &[FlagSpec] = &[
    flag("namespace", Some('n'), FlagKind::Value),
    flag("all-namespaces", Some('A'), FlagKind::Bool),
    flag("selector", Some('l'), FlagKind::Value),
    flag("field-selector", None, FlagKind::Value),
    flag("output", Some('o'), FlagKind::Value),
    flag("template", None, FlagKind::Value),
    flag("watch", Some('w'), FlagKind::Bool),
    flag("watch-only", None, FlagKind::Bool),
    flag("output-watch-events", None, FlagKind::Bool),
    flag("show-kind", None, FlagKind::Bool),
    flag("show-labels", None, FlagKind::Bool),
    flag("label-columns", Some('L'), FlagKind::Multi),
    flag("no-headers", None, FlagKind::Bool),
    flag("sort-by", None, FlagKind::Value),
    flag("filename", Some('f'), FlagKind::Multi),
    flag("recursive", Some('R'), FlagKind::Bool),
    flag("chunk-size", None, FlagKind::Value),
    flag("request-timeout", None, FlagKind::Value),
    flag("ignore-not-found", None, FlagKind::Bool),
    flag("allow-missing-template-keys", None, FlagKind::Bool),
    flag("show-managed-fields", None, FlagKind::Bool),
    flag("server-print", None, FlagKind::Bool),
    flag("kubeconfig", None, FlagKind::Value),
    flag("context", None, FlagKind::Value),
];

/// The virtual time a script-form `get -w` runs before returning, when nothing else stops it.
const WATCH_CAP_MS: u64 = 30 * 60 * 1000;

/// Everything `get` needs after flag parsing.
#[derive(Clone, Debug)]
struct Request {
    args: Vec<ResourceArg>,
    /// `None` means all namespaces.
    namespace: Option<String>,
    /// The namespace named in messages (`No resources found in X namespace.`).
    display_ns: String,
    selector: Selector,
    fields: Vec<FieldReq>,
    format: OutputFormat,
    options: PrintOptions,
    show_kind: bool,
    sort_by: Option<String>,
    ignore_not_found: bool,
    single_item: bool,
    watch: bool,
    watch_only: bool,
    watch_events: bool,
    timeout_ms: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct FieldReq {
    path: String,
    equal: bool,
    value: String,
}

/// Parses `--field-selector` (`a=b`, `a==b`, `a!=b`, comma-separated).
fn parse_fields(text: &str) -> Result<Vec<FieldReq>, String> {
    let mut out = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (path, equal, value) = if let Some((a, b)) = part.split_once("!=") {
            (a, false, b)
        } else if let Some((a, b)) = part.split_once("==") {
            (a, true, b)
        } else if let Some((a, b)) = part.split_once('=') {
            (a, true, b)
        } else {
            return Err(format!(
                "invalid selector: '{text}'; can't understand '{part}'"
            ));
        };
        out.push(FieldReq {
            path: path.trim().to_string(),
            equal,
            value: value.trim().to_string(),
        });
    }
    Ok(out)
}

/// Fields the API server accepts in a field selector for `kind`.
fn field_supported(kind: Kind, path: &str) -> bool {
    matches!(path, "metadata.name" | "metadata.namespace")
        || match kind {
            Kind::Pod => matches!(
                path,
                "spec.nodeName"
                    | "spec.restartPolicy"
                    | "spec.schedulerName"
                    | "spec.serviceAccountName"
                    | "spec.hostNetwork"
                    | "status.phase"
                    | "status.podIP"
                    | "status.nominatedNodeName"
            ),
            Kind::Event => {
                path.starts_with("involvedObject.")
                    || matches!(path, "reason" | "reportingComponent" | "source" | "type")
            }
            Kind::Secret => path == "type",
            Kind::Node => path == "spec.unschedulable",
            Kind::Namespace => path == "status.phase",
            _ => false,
        }
}

fn field_value(obj: &Value, path: &str) -> String {
    let segs: Vec<&str> = path.split('.').collect();
    match object::get(obj, &segs) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => n.to_string(),
        _ => {
            if path == "spec.unschedulable" || path == "spec.hostNetwork" {
                "false".into()
            } else {
                String::new()
            }
        }
    }
}

fn fields_match(fields: &[FieldReq], obj: &Value) -> bool {
    fields
        .iter()
        .all(|f| (field_value(obj, &f.path) == f.value) == f.equal)
}

fn check_fields(kind: Kind, req: &Request) -> Result<(), CmdError> {
    for f in &req.fields {
        if !field_supported(kind, &f.path) {
            let gvr = if kind.info().group.is_empty() {
                format!("/{}, Resource={}", kind.info().version, kind.plural())
            } else {
                format!(
                    "{}/{}, Resource={}",
                    kind.info().group,
                    kind.info().version,
                    kind.plural()
                )
            };
            let sel: Vec<String> = req
                .fields
                .iter()
                .map(|f| format!("{}{}{}", f.path, if f.equal { "=" } else { "!=" }, f.value))
                .collect();
            return Err(CmdError::from(ApiError::bad_request(format!(
                "Unable to find {gvr:?} that match label selector {:?}, field selector {:?}: field label not supported: {}",
                "",
                sel.join(","),
                f.path
            ))));
        }
    }
    Ok(())
}

/// The kinds `all` stands for (the `all` category), in kubectl's order.
const ALL: &[Kind] = &[
    Kind::Pod,
    Kind::Service,
    Kind::DaemonSet,
    Kind::Deployment,
    Kind::ReplicaSet,
    Kind::StatefulSet,
];

fn parse_request(k: &Kubectl<'_>, args: &[String]) -> Result<Request, CmdError> {
    let p = flags::parse(args, FLAGS).map_err(|m| super::flag_error("get", m))?;
    let mut positional = p.positional.clone();
    if let Some(first) = positional.first_mut() {
        if !first.contains('/') && first.split(',').any(|t| t == "all") {
            let expanded: Vec<String> = first
                .split(',')
                .flat_map(|t| {
                    if t == "all" {
                        ALL.iter()
                            .map(|k| k.plural().to_string())
                            .collect::<Vec<_>>()
                    } else {
                        vec![t.to_string()]
                    }
                })
                .collect();
            *first = expanded.join(",");
        }
    }
    if positional.is_empty() && p.all("filename").is_empty() {
        // kubectl 1.33 runs the watch path before its "Required resource" check, so the
        // resource builder's own error shows there.
        if (p.bool("watch") || p.bool("watch-only")) && p.value("selector").is_some() {
            return Err(CmdError::Plain(
                "at least one resource must be specified to use a selector".into(),
            ));
        }
        return Err(CmdError::Plain(
            "Required resource not specified.\nUse \"kubectl explain <resource>\" for a detailed description of that resource (e.g. kubectl explain pods).\nSee 'kubectl get -h' for help and examples".into(),
        ));
    }
    if !p.all("filename").is_empty() {
        // TODO(manifest): resolve `-f` objects through crate::manifest once it exists.
        return Err(CmdError::Plain(
            "get -f is not supported in this playground yet".into(),
        ));
    }
    let args = resource_args::parse(&positional).map_err(CmdError::Plain)?;
    let all_ns = p.bool("all-namespaces");
    let ns = p
        .value("namespace")
        .map(str::to_string)
        .unwrap_or_else(|| k.namespace.clone());
    if all_ns && args.iter().any(|a| a.name.is_some()) {
        return Err(CmdError::Plain(
            "a resource cannot be retrieved by name across all namespaces".into(),
        ));
    }
    let selector = match p.value("selector") {
        Some(s) => Selector::parse(s).map_err(CmdError::Plain)?,
        None => Selector::default(),
    };
    let fields = match p.value("field-selector") {
        Some(s) => parse_fields(s).map_err(CmdError::Plain)?,
        None => Vec::new(),
    };
    let format =
        OutputFormat::parse(p.value("output"), p.value("template")).map_err(CmdError::Plain)?;
    let options = PrintOptions {
        no_headers: p.bool("no-headers"),
        wide: format == OutputFormat::Table { wide: true },
        with_namespace: all_ns,
        kind_prefix: None,
        show_labels: p.bool("show-labels"),
        label_columns: p
            .all("label-columns")
            .iter()
            .flat_map(|v| v.split(',').map(str::to_string).collect::<Vec<_>>())
            .filter(|v| !v.is_empty())
            .collect(),
    };
    let sort_by = match p.value("sort-by") {
        Some(s) if !s.is_empty() => Some(jsonpath_for_sort(s)?),
        _ => None,
    };
    let timeout_ms = match p.value("request-timeout") {
        None | Some("0") => None,
        Some(t) => Some(match t.parse::<u64>() {
            Ok(secs) => secs * 1000,
            Err(_) => parse_go_duration(t).map_err(|_| {
                CmdError::Plain("invalid timeout value. Timeout must be a single integer in seconds, or an integer followed by a corresponding time unit (e.g. 1s | 2m | 3h)".to_string())
            })?,
        }),
    };
    let single_item = args.len() == 1 && args[0].name.is_some();
    Ok(Request {
        args,
        namespace: if all_ns { None } else { Some(ns.clone()) },
        display_ns: ns,
        selector,
        fields,
        format,
        options,
        show_kind: p.bool("show-kind"),
        sort_by,
        ignore_not_found: p.bool("ignore-not-found"),
        single_item,
        watch: p.bool("watch") || p.bool("watch-only"),
        watch_only: p.bool("watch-only"),
        watch_events: p.bool("output-watch-events"),
        timeout_ms,
    })
}

fn jsonpath_for_sort(s: &str) -> Result<String, CmdError> {
    printers::jsonpath::relaxed(s).map_err(CmdError::Plain)
}

/// The objects a `get` found (with their kinds), and the NotFound errors to print after them.
type Collected = (Vec<(Kind, Arc<Value>)>, Vec<ApiError>);

/// Fetches what the request names, in argument order; NotFound errors are collected.
fn collect(k: &Kubectl<'_>, req: &Request) -> Result<Collected, CmdError> {
    let api = &k.cluster.api;
    let mut objs = Vec::new();
    let mut errs = Vec::new();
    for a in &req.args {
        check_fields(a.kind, req)?;
        let ns = if a.kind.namespaced() {
            req.namespace.as_deref()
        } else {
            None
        };
        match &a.name {
            Some(name) => match api.get(a.kind, ns.unwrap_or(""), name) {
                Ok(o) => objs.push((a.kind, o)),
                Err(e) if e.is_not_found() && req.ignore_not_found => {}
                Err(e) => errs.push(e),
            },
            None => {
                for o in api.list(a.kind, ns, &req.selector) {
                    if fields_match(&req.fields, &o) {
                        objs.push((a.kind, o));
                    }
                }
            }
        }
    }
    Ok((objs, errs))
}

fn sort_key(path: &JsonPath, o: &Value) -> Option<Value> {
    path.find_results(o).into_iter().flatten().next()
}

fn compare_values(a: &Option<Value>, b: &Option<Value>) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, _) => Ordering::Less,
        (_, None) => Ordering::Greater,
        (Some(x), Some(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(p), Some(q)) => p.partial_cmp(&q).unwrap_or(Ordering::Equal),
            _ => printers::go_sprint(x).cmp(&printers::go_sprint(y)),
        },
    }
}

/// A watch outside the page (a script, the CLI, a pipe): polls it while the cluster runs
/// until nothing is pending or `timeout_ms` (else `WATCH_CAP_MS`) of virtual time passed.
pub fn run_watch(
    k: &mut Kubectl<'_>,
    timeout_ms: Option<u64>,
    out: &mut Output,
    mut poll: impl FnMut(&Cluster, &mut Output),
) {
    let deadline = k.cluster.now().plus_ms(timeout_ms.unwrap_or(WATCH_CAP_MS));
    loop {
        poll(k.cluster, out);
        if k.cluster.is_idle() || k.cluster.now() >= deadline {
            break;
        }
        match k.cluster.next_timer() {
            Some(t) if t > deadline => {
                k.cluster.advance_to(deadline);
            }
            Some(_) => {
                k.cluster.step_to_next_event();
            }
            None => {
                k.cluster.run_now();
            }
        }
    }
    poll(k.cluster, out);
}

pub fn run(k: &mut Kubectl<'_>, args: &[String], out: &mut Output) -> CmdResult {
    let req = parse_request(k, args)?;
    if req.watch {
        let (mut w, o) = Watch::start_request(k, req.clone())?;
        out.append(o);
        run_watch(k, req.timeout_ms, out, |c, o| w.poll(c, o));
        return Ok(());
    }
    let (mut objs, errs) = collect(k, &req)?;
    if objs.iter().any(|(kd, _)| *kd == Kind::Endpoints) {
        out.errln(
            "Warning: v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice",
        );
    }
    if let Some(path) = &req.sort_by {
        let jp = JsonPath::parse(path).map_err(CmdError::Plain)?;
        kubeplay_shell::sorting::sort_by(&mut objs, |a, b| {
            compare_values(&sort_key(&jp, &a.1), &sort_key(&jp, &b.1))
        });
    }
    let now = k.cluster.now();
    if !req.format.is_table() {
        if !objs.is_empty() || !req.single_item {
            let text = printers::print_generic(&req.format, &objs, req.single_item)
                .map_err(CmdError::Plain)?;
            out.out(text);
        }
        return finish(errs, out);
    }
    let mut kinds: Vec<Kind> = objs.iter().map(|(kd, _)| *kd).collect();
    kinds.dedup();
    let multiple = {
        let mut all = kinds.clone();
        kubeplay_shell::sorting::sort(&mut all);
        all.dedup();
        all.len() > 1
    };
    let mut w = TabWriter::new(tabwriter::Config::KUBECTL);
    let mut written = String::new();
    let mut i = 0;
    while i < objs.len() {
        let kind = objs[i].0;
        let mut j = i;
        while j < objs.len() && objs[j].0 == kind {
            j += 1;
        }
        let group: Vec<Arc<Value>> = objs[i..j].iter().map(|(_, o)| o.clone()).collect();
        w.flush();
        w.reset_remembered_widths();
        let chunk = w.take_output();
        written.push_str(&chunk);
        if i > 0 && !req.options.no_headers && !written.is_empty() {
            // kubectl's separatorWriter: a blank line before the next kind's output.
            written.push('\n');
        }
        let mut opts = req.options.clone();
        if !kind.namespaced() {
            opts.with_namespace = false;
        }
        if multiple || req.show_kind {
            opts.kind_prefix = Some(kind.group_kind_lower());
        }
        if let OutputFormat::CustomColumns(cols) = &req.format {
            printers::custom_columns(cols, &group, opts.no_headers, &mut w)
                .map_err(CmdError::Plain)?;
        } else {
            let table = table_for(kind, &group, now, true);
            TablePrinter::new(opts).print(&table, None, &mut w);
        }
        i = j;
    }
    w.flush();
    written.push_str(&w.take_output());
    out.out(&written);
    if written.is_empty() && !req.ignore_not_found && errs.is_empty() {
        let all_namespaced =
            req.namespace.is_some() && req.args.iter().all(|a| a.kind.namespaced());
        if all_namespaced {
            out.errln(format!(
                "No resources found in {} namespace.",
                req.display_ns
            ));
        } else {
            out.errln("No resources found");
        }
    }
    finish(errs, out)
}

fn finish(errs: Vec<ApiError>, out: &mut Output) -> CmdResult {
    if errs.is_empty() {
        return Ok(());
    }
    for e in &errs {
        out.errln(super::standard_error_message(e, None));
    }
    Err(CmdError::Exit(1))
}

/// A running `kubectl get -w`: call `poll` after the cluster moves to print what changed.
pub struct Watch {
    kind: Kind,
    namespace: Option<String>,
    name: Option<String>,
    selector: Selector,
    fields: Vec<FieldReq>,
    format: OutputFormat,
    watch_events: bool,
    printer: TablePrinter,
    writer: TabWriter,
    cursor: Cursor,
    printed: usize,
}

impl Watch {
    /// Parses `get` arguments, prints the initial state (unless `--watch-only`) and returns
    /// the watch positioned just after it.
    pub fn start(k: &mut Kubectl<'_>, args: &[String]) -> Result<(Watch, Output), CmdError> {
        let mut req = parse_request(k, args)?;
        req.watch = true;
        Watch::start_request(k, req)
    }

    fn start_request(k: &mut Kubectl<'_>, req: Request) -> Result<(Watch, Output), CmdError> {
        let mut out = Output::new();
        let mut kinds: Vec<Kind> = req.args.iter().map(|a| a.kind).collect();
        kubeplay_shell::sorting::sort(&mut kinds);
        kinds.dedup();
        let names: Vec<&String> = req.args.iter().filter_map(|a| a.name.as_ref()).collect();
        let (objs, errs) = collect(k, &req)?;
        if let Some(e) = errs.into_iter().next() {
            return Err(CmdError::from(e));
        }
        if kinds.len() > 1 || names.len() > 1 {
            return Err(CmdError::Plain(
                "watch is only supported on individual resources and resource collections - more than 1 resource was found".into(),
            ));
        }
        let Some(kind) = kinds.first().copied() else {
            return Err(CmdError::Plain("no resource requested".into()));
        };
        let mut opts = req.options.clone();
        if !kind.namespaced() {
            opts.with_namespace = false;
        }
        let mut w = Watch {
            kind,
            namespace: if kind.namespaced() {
                req.namespace.clone()
            } else {
                None
            },
            name: names.first().map(|n| n.to_string()),
            selector: req.selector.clone(),
            fields: req.fields.clone(),
            format: req.format.clone(),
            watch_events: req.watch_events,
            printer: TablePrinter::new(opts),
            writer: TabWriter::new(tabwriter::Config::KUBECTL),
            cursor: k.cluster.api.store.head(),
            printed: 0,
        };
        if !req.watch_only {
            let now = k.cluster.now();
            let list: Vec<Arc<Value>> = objs.into_iter().map(|(_, o)| o).collect();
            let ev = req.watch_events.then_some(EventType::Added);
            if matches!(w.format, OutputFormat::Table { .. }) {
                // kubectl prints the listed Table as one object: its rows share column
                // widths (only later watch events are aligned one by one).
                let table = table_for(kind, &list, now, true);
                w.printer.print(&table, ev, &mut w.writer);
                w.writer.flush();
                out.out(w.writer.take_output());
                w.printed += list.len();
            } else {
                for o in &list {
                    w.print_one(o, ev, now, &mut out);
                }
            }
            if list.is_empty() {
                w.writer.flush();
            }
        }
        Ok((w, out))
    }

    fn matches(&self, o: &Value) -> bool {
        if let Some(ns) = &self.namespace {
            if object::namespace(o) != ns {
                return false;
            }
        }
        if let Some(n) = &self.name {
            if object::name(o) != n {
                return false;
            }
        }
        self.selector.matches_object(o) && fields_match(&self.fields, o)
    }

    fn print_one(&mut self, o: &Arc<Value>, ev: Option<EventType>, at: Time, out: &mut Output) {
        match &self.format {
            OutputFormat::Table { .. } => {
                let table = table_for(self.kind, std::slice::from_ref(o), at, true);
                self.printer.print(&table, ev, &mut self.writer);
                self.writer.flush();
                out.out(self.writer.take_output());
            }
            OutputFormat::CustomColumns(cols) => {
                let no_headers = self.printed > 0 || self.printer.options.no_headers;
                let _ = printers::custom_columns(
                    cols,
                    std::slice::from_ref(o),
                    no_headers,
                    &mut self.writer,
                );
                self.writer.flush();
                out.out(self.writer.take_output());
            }
            OutputFormat::Yaml if self.printed > 0 => {
                out.out("---\n");
                out.out(printers::yaml::to_yaml(o));
            }
            fmt => match printers::print_generic(fmt, &[(self.kind, o.clone())], true) {
                Ok(t) => out.out(t),
                Err(e) => out.errln(format!("error: {e}")),
            },
        }
        self.printed += 1;
    }

    /// Prints one row per watch event since the last poll, with AGE as of each event.
    pub fn poll(&mut self, cluster: &Cluster, out: &mut Output) {
        let events: Vec<(EventType, Arc<Value>, Time)> =
            match cluster.api.store.events_since(self.cursor) {
                Ok(evs) => evs
                    .filter(|e| e.kind == self.kind)
                    .map(|e| (e.event_type, e.object().clone(), e.time))
                    .collect(),
                Err(_) => Vec::new(),
            };
        self.cursor = cluster.api.store.head();
        for (t, o, at) in events {
            if self.matches(&o) {
                let ev = self.watch_events.then_some(t);
                self.print_one(&o, ev, at, out);
            }
        }
    }
}

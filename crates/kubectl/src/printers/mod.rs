//! Printers shared by every consumer: server-side tables (the same rows the HTTP API server
//! returns as `Table`), kubectl's tab writer, and the `-o` formats (yaml, json, name,
//! jsonpath, custom-columns, go-template).
//!
//! Printers only turn objects into text; they never read the cluster or decide what to list.

pub mod json;
pub mod jsonpath;
pub mod table;
pub mod tabwriter;
pub mod template;
pub mod yaml;

use kubeplay_engine::store::EventType;
use kubeplay_engine::{object, Kind};
use serde_json::{json, Value};
use std::sync::Arc;
pub use table::{table_for, Column, Row, Table};
pub use tabwriter::TabWriter;

/// `fmt.Sprint` of an unstructured value (integers stay integers; maps as `map[k:v]`).
pub fn go_sprint(v: &Value) -> String {
    match v {
        Value::Null => "<nil>".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (_, Some(u), _) => u.to_string(),
            (_, _, Some(f)) => yaml::go_yaml_float(f),
            _ => n.to_string(),
        },
        Value::String(s) => s.clone(),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(go_sprint).collect::<Vec<_>>().join(" ")
        ),
        Value::Object(m) => format!(
            "map[{}]",
            m.iter()
                .map(|(k, v)| format!("{k}:{}", go_sprint(v)))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    }
}

/// What `-o` asked for.
#[derive(Clone, Debug, PartialEq)]
pub enum OutputFormat {
    /// The default human-readable table; `wide` adds priority-1 columns.
    Table {
        wide: bool,
    },
    Name,
    Yaml,
    Json,
    JsonPath(String),
    GoTemplate(String),
    CustomColumns(Vec<(String, String)>),
}

impl OutputFormat {
    /// Parses `-o` (and `--template`), with kubectl's error for an unknown format.
    pub fn parse(output: Option<&str>, template: Option<&str>) -> Result<OutputFormat, String> {
        let o = output.unwrap_or("");
        let (name, arg) = match o.split_once('=') {
            Some((n, a)) => (n, Some(a)),
            None => (o, None),
        };
        let tmpl = || arg.or(template).map(str::to_string);
        Ok(match name {
            "" if template.is_some() => OutputFormat::GoTemplate(template.unwrap_or("").into()),
            "" => OutputFormat::Table { wide: false },
            "wide" => OutputFormat::Table { wide: true },
            "name" => OutputFormat::Name,
            "yaml" => OutputFormat::Yaml,
            "json" => OutputFormat::Json,
            "jsonpath" | "jsonpath-as-json" => match tmpl() {
                Some(t) => OutputFormat::JsonPath(t),
                None => return Err("template format specified but no template given".into()),
            },
            "go-template" | "template" => match tmpl() {
                Some(t) => OutputFormat::GoTemplate(t),
                None => return Err("template format specified but no template given".into()),
            },
            "custom-columns" => {
                let spec = arg.unwrap_or("");
                if spec.is_empty() {
                    return Err("custom-columns format specified but no custom columns given".into());
                }
                let mut cols = Vec::new();
                for part in spec.split(',') {
                    let Some((h, p)) = part.split_once(':') else {
                        return Err(format!(
                            "unexpected custom-columns spec: {part}, expected <header>:<json-path-expr>"
                        ));
                    };
                    cols.push((h.to_string(), jsonpath::relaxed(p)?));
                }
                OutputFormat::CustomColumns(cols)
            }
            _ => {
                return Err(format!(
                    "unable to match a printer suitable for the output format \"{o}\", allowed formats are: custom-columns,custom-columns-file,go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,wide,yaml"
                ))
            }
        })
    }

    pub fn is_table(&self) -> bool {
        matches!(self, OutputFormat::Table { .. })
    }
}

/// Table decoration flags (`printers.PrintOptions`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PrintOptions {
    pub no_headers: bool,
    pub wide: bool,
    pub with_namespace: bool,
    /// `statefulset.apps`: prefix for the name column when several kinds are printed.
    pub kind_prefix: Option<String>,
    pub show_labels: bool,
    pub label_columns: Vec<String>,
}

/// `-L a.b/c` headers: the last path segment, upper-cased.
fn label_header(l: &str) -> String {
    l.rsplit('/').next().unwrap_or(l).to_uppercase()
}

/// A human-readable table printer that, like kubectl's, prints headers only when the
/// columns change and only if there are rows (so a watch prints its header once).
#[derive(Clone, Debug, Default)]
pub struct TablePrinter {
    pub options: PrintOptions,
    last_columns: Option<Vec<Column>>,
    printed_headers: bool,
}

fn cell_text(v: &Value) -> String {
    let t = match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => go_sprint(other),
    };
    // Cells stop at a line break (cli-runtime appends "...").
    match t.find(['\n', '\r', '\x0c']) {
        Some(p) => format!("{}...", &t[..p]),
        None => t,
    }
}

impl TablePrinter {
    pub fn new(options: PrintOptions) -> TablePrinter {
        TablePrinter {
            options,
            ..TablePrinter::default()
        }
    }

    /// Writes the table's tab-separated text into `w` (the caller flushes).
    pub fn print(&mut self, table: &Table, event: Option<EventType>, w: &mut TabWriter) {
        let mut no_headers = self.options.no_headers;
        if self.printed_headers && self.last_columns.as_ref() == Some(&table.columns) {
            no_headers = true;
        }
        if self.last_columns.as_ref() != Some(&table.columns) {
            self.last_columns = Some(table.columns.clone());
            self.printed_headers = false;
        }
        if !table.rows.is_empty() {
            self.printed_headers = true;
        }
        let o = &self.options;
        let visible: Vec<usize> = (0..table.columns.len())
            .filter(|&i| o.wide || table.columns[i].priority == 0)
            .collect();
        let name_col = o.kind_prefix.as_ref().and_then(|_| {
            table
                .columns
                .iter()
                .position(|c| c.format == "name" && c.type_ == "string")
        });
        if !no_headers && !table.rows.is_empty() {
            let mut h: Vec<String> = Vec::new();
            if event.is_some() {
                h.push("EVENT".into());
            }
            if o.with_namespace {
                h.push("NAMESPACE".into());
            }
            h.extend(
                visible
                    .iter()
                    .map(|&i| table.columns[i].name.to_uppercase()),
            );
            h.extend(o.label_columns.iter().map(|l| label_header(l)));
            if o.show_labels {
                h.push("LABELS".into());
            }
            w.write(&h.join("\t"));
            w.write("\n");
        }
        for row in &table.rows {
            let mut cells: Vec<String> = Vec::new();
            if let Some(e) = event {
                cells.push(
                    match e {
                        EventType::Added => "ADDED   ",
                        EventType::Modified => "MODIFIED",
                        EventType::Deleted => "DELETED ",
                    }
                    .to_string(),
                );
            }
            if o.with_namespace {
                cells.push(object::namespace(&row.object).to_string());
            }
            for &i in &visible {
                let mut t = row.cells.get(i).map(cell_text).unwrap_or_default();
                if Some(i) == name_col {
                    if let Some(p) = &o.kind_prefix {
                        t = format!("{p}/{t}");
                    }
                }
                cells.push(t);
            }
            for l in &o.label_columns {
                cells.push(object::label(&row.object, l).unwrap_or("").to_string());
            }
            if o.show_labels {
                cells.push(table::format_labels(&object::labels(&row.object)));
            }
            w.write(&cells.join("\t"));
            w.write("\n");
        }
    }
}

/// `kubectl get -o name`: `statefulset.apps/web`.
pub fn name_line(kind: Kind, obj: &Value) -> String {
    format!("{}/{}", kind.group_kind_lower(), object::name(obj))
}

/// The `List` kubectl wraps several objects in for `-o yaml|json`.
pub fn as_list(objs: &[Arc<Value>]) -> Value {
    json!({
        "apiVersion": "v1",
        "items": objs.iter().map(|o| (**o).clone()).collect::<Vec<_>>(),
        "kind": "List",
        "metadata": {"resourceVersion": ""},
    })
}

/// Prints objects in a non-table format. `single` is true when exactly one named object was
/// asked for (kubectl prints it bare instead of as a List).
pub fn print_generic(
    format: &OutputFormat,
    objs: &[(Kind, Arc<Value>)],
    single: bool,
) -> Result<String, String> {
    let arcs: Vec<Arc<Value>> = objs.iter().map(|(_, o)| o.clone()).collect();
    let data = || -> Value {
        if single && arcs.len() == 1 {
            (*arcs[0]).clone()
        } else {
            as_list(&arcs)
        }
    };
    Ok(match format {
        OutputFormat::Yaml => yaml::to_yaml(&data()),
        OutputFormat::Json => json::to_json(&data()),
        OutputFormat::Name => objs
            .iter()
            .map(|(k, o)| format!("{}\n", name_line(*k, o)))
            .collect(),
        OutputFormat::JsonPath(t) => {
            let p = jsonpath::JsonPath::parse(t)
                .map_err(|e| format!("error parsing jsonpath {t}, {e}"))?;
            p.execute(&data())?
        }
        OutputFormat::GoTemplate(t) => {
            let p = template::GoTemplate::parse(t)
                .map_err(|e| format!("error parsing template {t}, {e}"))?;
            p.execute(&data())
                .map_err(|e| format!("error executing template {t:?}: {e}"))?
        }
        OutputFormat::CustomColumns(cols) => {
            let mut w = TabWriter::new(tabwriter::Config::KUBECTL);
            custom_columns(cols, &arcs, false, &mut w)?;
            w.flush();
            w.take_output()
        }
        OutputFormat::Table { .. } => String::new(),
    })
}

/// Writes custom-columns rows (and the header unless `no_headers`) into `w`.
pub fn custom_columns(
    cols: &[(String, String)],
    objs: &[Arc<Value>],
    no_headers: bool,
    w: &mut TabWriter,
) -> Result<(), String> {
    let parsers = cols
        .iter()
        .map(|(_, p)| jsonpath::JsonPath::parse(p))
        .collect::<Result<Vec<_>, _>>()?;
    if !no_headers {
        let h: Vec<&str> = cols.iter().map(|(h, _)| h.as_str()).collect();
        w.write(&h.join("\t"));
        w.write("\n");
    }
    for o in objs {
        let mut cells = Vec::new();
        for p in &parsers {
            let res = p.find_results(o);
            let vals: Vec<String> = res.iter().flatten().map(go_sprint).collect();
            if vals.is_empty() {
                cells.push("<none>".to_string());
            } else {
                cells.push(vals.join(","));
            }
        }
        w.write(&cells.join("\t"));
        w.write("\n");
    }
    Ok(())
}

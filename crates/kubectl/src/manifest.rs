//! Reading manifests: YAML/JSON documents from files, stdin or bundled URLs, split on `---`,
//! with parse errors reported as kubectl does (`error: error parsing web.yaml: error converting
//! YAML to JSON: yaml: line 7: ...`). The only module that uses the YAML crate for input.
//!
//! It also resolves what a verb was asked to act on (`-f`, `TYPE NAME`, `TYPE/NAME`, `-l`,
//! `--all`) into `Target`s, so every mutating verb reads its arguments the same way.
//! Nothing here writes to the cluster.

use crate::cmd::CmdError;
use crate::context::Kubectl;
use crate::resource_args;
use kubeplay_engine::{object, Kind, Selector};
use serde_json::Value;

/// One object read from a manifest.
#[derive(Clone, Debug, PartialEq)]
pub struct Document {
    /// The name kubectl uses for the source in messages (`web.yaml`, `STDIN`, the URL).
    pub source: String,
    pub object: Value,
    /// 1-based line of the file where the document starts (for the editor).
    pub line: usize,
}

/// A document that could not be read, with kubectl's message (without the `error: ` prefix)
/// and, when known, where in the file the problem is (1-based, absolute).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestError {
    pub source: String,
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

fn is_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

/// Reads the text behind one `-f` argument.
fn read_source(k: &Kubectl<'_>, name: &str) -> Result<(String, String), CmdError> {
    if name == "-" {
        return Ok(("STDIN".to_string(), k.stdin.clone()));
    }
    if is_url(name) {
        // There is no network: `Files` resolves the tutorial URLs to bundled copies
        // (`bundled::WithUrls`); anything else reads as kubectl's answer to a 404.
        return match k.files.read(name) {
            Ok(text) => Ok((name.to_string(), text)),
            Err(_) => Err(CmdError::Plain(format!(
                "unable to read URL \"{name}\", server reported 404 Not Found, status code=404"
            ))),
        };
    }
    match k.files.read(name) {
        Ok(text) => Ok((name.to_string(), text)),
        Err(_) => Err(CmdError::Plain(format!(
            "the path \"{name}\" does not exist"
        ))),
    }
}

/// Splits a stream into documents as kubectl's YAML reader does: a line starting with `---`
/// (followed by nothing but spaces or a comment) ends a document. Returns (start line, text).
pub fn split_documents(text: &str) -> Vec<(usize, String)> {
    let mut docs = Vec::new();
    let mut cur = String::new();
    let mut start = 1;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        if let Some(rest) = line.strip_prefix("---") {
            let t = rest.trim();
            if t.is_empty() || t.starts_with('#') {
                docs.push((start, std::mem::take(&mut cur)));
                start = i + 2;
                continue;
            }
        }
        cur.push_str(line);
    }
    docs.push((start, cur));
    docs
}

/// A YAML parse error in go-yaml's words and line numbering (go-yaml v2 `parser.fail`): the
/// line is the context mark's when there is one, else the problem mark's; both are 0-based
/// and only scanner errors add one. libyaml and go-yaml share their problem texts.
fn yaml_error(e: &serde_yaml::Error) -> (String, Option<usize>, Option<usize>) {
    let dbg = format!("{e:?}");
    let field = |name: &str| -> Option<&str> {
        let at = dbg.find(&format!("{name}: "))? + name.len() + 2;
        Some(&dbg[at..])
    };
    let mark_line = |name: &str| -> Option<usize> {
        let rest = field(name)?;
        let rest = rest.strip_prefix("Mark { line: ")?;
        rest.split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    };
    let mark_col = |name: &str| -> Option<usize> {
        let rest = field(name)?;
        let at = rest.find("column: ")? + 8;
        rest[at..]
            .split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    };
    let problem = field("problem")
        .and_then(|r| r.strip_prefix('"'))
        .and_then(|r| r.split('"').next())
        .map(str::to_string);
    let Some(problem) = problem else {
        // Not a libyaml error (e.g. a duplicate key found by serde_yaml).
        let msg = e.to_string();
        let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
        let line = e.location().map(|l| l.line());
        return (
            format!("yaml: {msg}"),
            line,
            e.location().map(|l| l.column()),
        );
    };
    let scanner = dbg.contains("kind: SCANNER");
    // Debug prints marks 1-based; go-yaml works with 0-based lines.
    let context = mark_line("context_mark").map(|l| l - 1).filter(|l| *l != 0);
    let problem_line = mark_line("problem_mark").map(|l| l - 1).filter(|l| *l != 0);
    let go_line = context
        .or(problem_line)
        .map(|l| if scanner { l + 1 } else { l });
    let msg = match go_line {
        Some(l) => format!("yaml: line {l}: {problem}"),
        None => format!("yaml: {problem}"),
    };
    let abs_line = mark_line("problem_mark");
    (msg, abs_line, mark_col("problem_mark"))
}

/// YAML → JSON as sigs.k8s.io/yaml does: integral floats print as integers, keys are strings.
fn to_json(v: serde_yaml::Value) -> Value {
    use serde_yaml::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => {
            if let Some(i) = n.as_i64() {
                Value::from(i)
            } else if let Some(u) = n.as_u64() {
                Value::from(u)
            } else {
                let f = n.as_f64().unwrap_or(0.0);
                if f.fract() == 0.0 && f.abs() < 9.0e15 {
                    Value::from(f as i64)
                } else {
                    serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
                }
            }
        }
        Y::String(s) => Value::String(s),
        Y::Sequence(s) => Value::Array(s.into_iter().map(to_json).collect()),
        Y::Mapping(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| {
                    let key = match k {
                        Y::String(s) => s,
                        Y::Bool(b) => b.to_string(),
                        Y::Number(n) => n.to_string(),
                        Y::Null => "null".to_string(),
                        other => serde_yaml::to_string(&other)
                            .unwrap_or_default()
                            .trim()
                            .to_string(),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        Y::Tagged(t) => to_json(t.value),
    }
}

/// Parses one source's text into documents (`kind: List` expanded) and per-document errors.
pub fn parse_stream(source: &str, text: &str) -> Vec<Result<Document, ManifestError>> {
    let mut out = Vec::new();
    for (start, doc) in split_documents(text) {
        if doc
            .lines()
            .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        {
            continue;
        }
        let parsed: Result<serde_yaml::Value, _> = serde_yaml::from_str(&doc);
        let value = match parsed {
            Ok(v) => to_json(v),
            Err(e) => {
                let (msg, line, col) = yaml_error(&e);
                out.push(Err(ManifestError {
                    source: source.to_string(),
                    message: format!(
                        "error parsing {source}: error converting YAML to JSON: {msg}"
                    ),
                    line: line.map(|l| l + start - 1),
                    column: col,
                }));
                continue;
            }
        };
        if value.is_null() {
            continue;
        }
        let err = |message: String| ManifestError {
            source: source.to_string(),
            message,
            line: Some(start),
            column: None,
        };
        if !value.is_object() {
            out.push(Err(err(format!(
                "error parsing {source}: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                match value {
                    Value::Array(_) => "array",
                    Value::String(_) => "string",
                    Value::Number(_) => "number",
                    _ => "bool",
                }
            ))));
            continue;
        }
        let compact = serde_json::to_string(&value).unwrap_or_default();
        if object::kind(&value).is_empty() {
            out.push(Err(err(format!(
                "unable to decode \"{source}\": Object 'Kind' is missing in '{compact}'"
            ))));
            continue;
        }
        if object::api_version(&value).is_empty() {
            out.push(Err(err(format!(
                "unable to decode \"{source}\": Object 'apiVersion' is missing in '{compact}'"
            ))));
            continue;
        }
        if object::kind(&value) == "List" {
            for item in object::get_array(&value, &["items"]) {
                out.push(Ok(Document {
                    source: source.to_string(),
                    object: item.clone(),
                    line: start,
                }));
            }
            continue;
        }
        out.push(Ok(Document {
            source: source.to_string(),
            object: value,
            line: start,
        }));
    }
    out
}

/// Reads every `-f` argument. A missing file or unknown URL fails the whole command (kubectl
/// checks paths before doing anything); a bad document is returned as an error in its place.
pub fn read_manifests(
    k: &Kubectl<'_>,
    filenames: &[String],
) -> Result<Vec<Result<Document, ManifestError>>, CmdError> {
    let mut out = Vec::new();
    for f in filenames {
        let (source, text) = read_source(k, f)?;
        out.extend(parse_stream(&source, &text));
    }
    Ok(out)
}

/// The kind of a manifest document, or kubectl's "resource mapping not found" message.
pub fn document_kind(doc: &Document, namespace: &str) -> Result<Kind, String> {
    let av = object::api_version(&doc.object);
    let kind = object::kind(&doc.object);
    match Kind::from_api_version_kind(av, kind) {
        Some((k, _)) => Ok(k),
        None => {
            let (group, version) = av.split_once('/').unwrap_or(("", av));
            let ns = if object::namespace(&doc.object).is_empty() {
                namespace
            } else {
                object::namespace(&doc.object)
            };
            let _ = group;
            Err(format!(
                "resource mapping not found for name: \"{}\" namespace: \"{}\" from \"{}\": no matches for kind \"{kind}\" in version \"{}\"\nensure CRDs are installed first",
                object::name(&doc.object),
                if ns.is_empty() { "" } else { ns },
                doc.source,
                if group.is_empty() { version.to_string() } else { av.to_string() }
            ))
        }
    }
}

/// An object a verb should act on.
#[derive(Clone, Debug, PartialEq)]
pub struct Target {
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
    /// The manifest document it came from (`-f`), if any.
    pub document: Option<Document>,
}

/// What the user named on the command line, before looking anything up.
#[derive(Clone, Debug, Default)]
pub struct Selection {
    pub filenames: Vec<String>,
    pub args: Vec<String>,
    pub selector: Option<String>,
    pub all: bool,
    pub all_namespaces: bool,
}

pub const NO_RESOURCES: &str = "You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'";

/// Resolves a selection into targets, as kubectl's resource builder does. Errors that stop
/// the command come back as `Err`; per-document problems come back in the second list.
pub fn resolve(
    k: &Kubectl<'_>,
    namespace: &str,
    sel: &Selection,
) -> Result<(Vec<Target>, Vec<CmdError>), CmdError> {
    let mut targets = Vec::new();
    let mut errors = Vec::new();
    if !sel.filenames.is_empty() {
        if !sel.args.is_empty() {
            return Err(CmdError::Plain(
                "Unexpected args: ".to_string() + &format!("{:?}", sel.args).replace('"', ""),
            ));
        }
        for doc in read_manifests(k, &sel.filenames)? {
            match doc {
                Err(e) => errors.push(CmdError::Plain(e.message)),
                Ok(doc) => match document_kind(&doc, namespace) {
                    Err(m) => errors.push(CmdError::Plain(m)),
                    Ok(kind) => {
                        let ns = if !kind.namespaced() {
                            String::new()
                        } else if object::namespace(&doc.object).is_empty() {
                            namespace.to_string()
                        } else {
                            object::namespace(&doc.object).to_string()
                        };
                        targets.push(Target {
                            kind,
                            namespace: ns,
                            name: object::name(&doc.object).to_string(),
                            document: Some(doc),
                        });
                    }
                },
            }
        }
        return Ok((targets, errors));
    }
    if sel.args.is_empty() {
        return Err(CmdError::Plain(NO_RESOURCES.to_string()));
    }
    let requests = resource_args::parse(&sel.args).map_err(CmdError::Plain)?;
    let selector = match &sel.selector {
        Some(s) => Selector::parse(s).map_err(CmdError::Plain)?,
        None => Selector::everything(),
    };
    for r in requests {
        let ns = if r.kind.namespaced() {
            namespace.to_string()
        } else {
            String::new()
        };
        match r.name {
            Some(name) => targets.push(Target {
                kind: r.kind,
                namespace: ns,
                name,
                document: None,
            }),
            None => {
                if sel.selector.is_none() && !sel.all {
                    return Err(CmdError::Plain(
                        "resource(s) were provided, but no name was specified".to_string(),
                    ));
                }
                let list_ns = if sel.all_namespaces {
                    None
                } else {
                    Some(ns.as_str())
                };
                for o in k.cluster.api.list(r.kind, list_ns, &selector) {
                    targets.push(Target {
                        kind: r.kind,
                        namespace: object::namespace(&o).to_string(),
                        name: object::name(&o).to_string(),
                        document: None,
                    });
                }
            }
        }
    }
    Ok((targets, errors))
}

/// `statefulset.apps/web`: how kubectl's name printer shows an object.
pub fn resource_name(kind: Kind, name: &str) -> String {
    format!("{}/{}", kind.group_kind_lower(), name)
}

/// Prints the API server's warnings from the last calls (`Warning: ...` on stderr).
pub fn flush_warnings(k: &mut Kubectl<'_>, out: &mut crate::output::Output) {
    for w in k.cluster.api.take_warnings() {
        out.errln(format!("Warning: {w}"));
    }
}

/// The namespace a command works in: `-n` if given, else the context's.
pub fn namespace_flag(k: &Kubectl<'_>, p: &crate::flags::Parsed) -> String {
    p.value("namespace")
        .map(str::to_string)
        .unwrap_or_else(|| k.namespace.clone())
}

/// `--dry-run` as kubectl reads it: `none` (default), `client` (also a bare `--dry-run`),
/// `server`; anything else is kubectl's error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DryRun {
    None,
    Client,
    Server,
}

pub fn dry_run_flag(p: &crate::flags::Parsed) -> Result<DryRun, CmdError> {
    match p.value("dry-run") {
        None | Some("none") | Some("false") => Ok(DryRun::None),
        Some("client") | Some("true") | Some("") => Ok(DryRun::Client),
        Some("server") => Ok(DryRun::Server),
        Some(other) => Err(CmdError::Plain(format!(
            "Invalid dry-run value ({other}). Must be \"none\", \"server\", or \"client\"."
        ))),
    }
}

impl DryRun {
    /// The suffix kubectl adds to its message (` (dry run)`, ` (server dry run)`).
    pub fn suffix(self) -> &'static str {
        match self {
            DryRun::None => "",
            DryRun::Client => " (dry run)",
            DryRun::Server => " (server dry run)",
        }
    }
}

/// Prints per-object errors collected while continuing (kubectl's aggregate) and returns the
/// command's result: exit 1 if there were any.
pub fn finish(errors: Vec<CmdError>, out: &mut crate::output::Output) -> crate::cmd::CmdResult {
    if errors.is_empty() {
        return Ok(());
    }
    for e in &errors {
        crate::cmd::report(e, out);
    }
    Err(CmdError::Exit(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn splits_documents_and_expands_lists() {
        let text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: nginx\n---\n# only a comment\n---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: b}\n";
        let docs: Vec<_> = parse_stream("web.yaml", text)
            .into_iter()
            .map(|d| d.unwrap())
            .collect();
        assert_eq!(docs.len(), 3);
        assert_eq!(docs[0].object["metadata"]["name"], "nginx");
        assert_eq!(docs[1].object["metadata"]["name"], "a");
        assert_eq!(docs[1].line, 8);
    }

    #[test]
    fn parse_errors_use_go_yamls_words_and_lines() {
        // A scanner error: go-yaml reports the 1-based line of the problem.
        let text = "apiVersion: v1\nkind: Service\nmetadata:\n  name: nginx\nspec:\n  ports:\n  - port: 80 name: web\n";
        let e = parse_stream("web.yaml", text).remove(0).unwrap_err();
        assert_eq!(
            e.message,
            "error parsing web.yaml: error converting YAML to JSON: yaml: line 7: mapping values are not allowed in this context"
        );
        assert_eq!(e.line, Some(7));
        // A parser error: go-yaml reports the 0-based line of the enclosing mapping.
        let text = "---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n labels: {}\n";
        let e = parse_stream("pod.yaml", text).remove(0).unwrap_err();
        assert!(
            e.message
                .starts_with("error parsing pod.yaml: error converting YAML to JSON: yaml: line "),
            "{}",
            e.message
        );
        assert_eq!(e.line.map(|l| l >= 2), Some(true));
    }

    #[test]
    fn missing_kind_and_unknown_kind_messages() {
        let e = parse_stream("web.yaml", "apiVersion: v1\nmetadata:\n  name: x\n")
            .remove(0)
            .unwrap_err();
        assert_eq!(
            e.message,
            "unable to decode \"web.yaml\": Object 'Kind' is missing in '{\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"x\"}}'"
        );
        let d = parse_stream(
            "web.yaml",
            "apiVersion: v1\nkind: Frob\nmetadata:\n  name: web\n",
        )
        .remove(0)
        .unwrap();
        assert_eq!(
            document_kind(&d, "").unwrap_err(),
            "resource mapping not found for name: \"web\" namespace: \"\" from \"web.yaml\": no matches for kind \"Frob\" in version \"v1\"\nensure CRDs are installed first"
        );
        let d = parse_stream("x", "{\"apiVersion\": \"apps/v1\", \"kind\": \"StatefulSet\", \"spec\": {\"replicas\": 2.0}}")
            .remove(0)
            .unwrap();
        assert_eq!(d.object["spec"]["replicas"], json!(2));
        assert_eq!(document_kind(&d, "default"), Ok(Kind::StatefulSet));
    }
}

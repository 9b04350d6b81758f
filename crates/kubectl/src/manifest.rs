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

/// Go's name for a JSON value's type in `cannot unmarshal <type>` messages.
fn go_json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// cli-runtime's `metadataValidatingDecoder`: the document must decode into a typed
/// `metadataOnlyObject` (TypeMeta + ObjectMeta) before kubectl trusts its names. Returns Go
/// `encoding/json`'s message for the first field of the wrong type.
fn metadata_type_error(obj: &Value) -> Option<String> {
    let wrong = |v: &Value, strukt: &str, field: &str, ty: &str| {
        Some(format!(
            "json: cannot unmarshal {} into Go struct field {strukt}.{field} of type {ty}",
            go_json_type(v)
        ))
    };
    for f in ["apiVersion", "kind"] {
        if let Some(v) = obj.get(f) {
            if !v.is_string() && !v.is_null() {
                return wrong(v, "metadataOnlyObject", f, "string");
            }
        }
    }
    let meta = match obj.get("metadata") {
        None | Some(Value::Null) => return None,
        Some(Value::Object(m)) => m,
        Some(v) => return wrong(v, "metadataOnlyObject", "metadata", "v1.ObjectMeta"),
    };
    for (key, v) in meta {
        if v.is_null() {
            continue;
        }
        let field = format!("metadata.{key}");
        match key.as_str() {
            "name" | "generateName" | "namespace" | "selfLink" | "uid" | "resourceVersion"
                if !v.is_string() =>
            {
                return wrong(v, "ObjectMeta", &field, "string");
            }
            "generation" | "deletionGracePeriodSeconds" => match v {
                Value::Number(n) if n.as_i64().is_none() => {
                    return Some(format!(
                        "json: cannot unmarshal number {n} into Go struct field ObjectMeta.{field} of type int64"
                    ));
                }
                Value::Number(_) => {}
                _ => return wrong(v, "ObjectMeta", &field, "int64"),
            },
            "labels" | "annotations" => match v {
                Value::Object(m) => {
                    if let Some(bad) = m.values().find(|x| !x.is_string() && !x.is_null()) {
                        return wrong(bad, "ObjectMeta", &field, "string");
                    }
                }
                _ => return wrong(v, "ObjectMeta", &field, "map[string]string"),
            },
            "finalizers" => match v {
                Value::Array(items) => {
                    if let Some(bad) = items.iter().find(|x| !x.is_string() && !x.is_null()) {
                        return wrong(bad, "ObjectMeta", &field, "string");
                    }
                }
                _ => return wrong(v, "ObjectMeta", &field, "[]string"),
            },
            "creationTimestamp" | "deletionTimestamp" if !v.is_string() => {
                return Some(format!(
                    "json: cannot unmarshal {} into Go value of type string",
                    go_json_type(v)
                ));
            }
            "ownerReferences" | "managedFields" if !v.is_array() => {
                let ty = if key == "ownerReferences" {
                    "[]v1.OwnerReference"
                } else {
                    "[]v1.ManagedFieldsEntry"
                };
                return wrong(v, "ObjectMeta", &field, ty);
            }
            _ => {}
        }
    }
    None
}

/// What kubectl's unstructured decoder makes of one document: the object, a list's items
/// (which inherit the list's apiVersion and kind without `List` when they have neither),
/// or `unable to decode "<source>": ...`.
fn decode_object(source: &str, raw: &crate::decode::RawDocument) -> Result<Vec<Value>, String> {
    let fail = |m: String| format!("unable to decode {source:?}: {m}");
    let Value::Object(map) = &raw.value else {
        return Err(fail(format!(
            "json: cannot unmarshal {} into Go value of type unstructured.detector",
            go_json_type(&raw.value)
        )));
    };
    let kind = map.get("kind").and_then(Value::as_str).unwrap_or("");
    let items = match map.get("items") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(items),
        Some(v) => {
            return Err(fail(format!(
                "json: cannot unmarshal {} into Go struct field decodeList.items of type []json.RawMessage",
                go_json_type(v)
            )))
        }
    };
    if let Some(items) = items {
        let mut out = Vec::new();
        for item in items {
            let Value::Object(_) = item else {
                return Err(fail(format!(
                    "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                    go_json_type(item)
                )));
            };
            out.push(item.clone());
        }
        if kind.is_empty() {
            return Err(fail(format!("Object 'Kind' is missing in '{}'", raw.raw)));
        }
        if let Some(m) = metadata_type_error(&raw.value) {
            return Err(fail(m));
        }
        let item_kind = kind.strip_suffix("List").unwrap_or(kind);
        let list_av = object::api_version(&raw.value).to_string();
        for item in out.iter_mut() {
            if object::kind(item).is_empty() && object::api_version(item).is_empty() {
                object::set(item, &["kind"], Value::from(item_kind));
                object::set(item, &["apiVersion"], Value::from(list_av.clone()));
            }
        }
        return Ok(out);
    }
    if kind.is_empty() {
        return Err(fail(format!("Object 'Kind' is missing in '{}'", raw.raw)));
    }
    if let Some(m) = metadata_type_error(&raw.value) {
        return Err(fail(m));
    }
    Ok(vec![raw.value.clone()])
}

/// Parses one source's text into documents (lists expanded) and per-document errors, in
/// kubectl's order: a parse error ends the stream and comes last; documents before it stay.
pub fn parse_stream(source: &str, text: &str) -> Vec<Result<Document, ManifestError>> {
    let (docs, err) = crate::decode::decode_stream(text);
    let mut out = Vec::new();
    for raw in &docs {
        match decode_object(source, raw) {
            Ok(objects) => out.extend(objects.into_iter().map(|object| {
                Ok(Document {
                    source: source.to_string(),
                    object,
                    line: raw.line,
                })
            })),
            Err(message) => out.push(Err(ManifestError {
                source: source.to_string(),
                message,
                line: Some(raw.line),
                column: None,
            })),
        }
    }
    if let Some(e) = err {
        out.push(Err(ManifestError {
            source: source.to_string(),
            message: format!("error parsing {source}: {}", e.message),
            line: e.line,
            column: e.column,
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

/// The kind of a manifest document, or kubectl's "resource mapping not found" message. A
/// document without apiVersion maps through the core group's preferred version (kubectl does
/// not require it), so only core kinds resolve that way.
pub fn document_kind(doc: &Document, _namespace: &str) -> Result<Kind, String> {
    let av = object::api_version(&doc.object);
    let kind = object::kind(&doc.object);
    let found = if av.is_empty() {
        Kind::from_api_version_kind("v1", kind).filter(|(k, _)| k.info().group.is_empty())
    } else {
        Kind::from_api_version_kind(av, kind)
    };
    match found {
        Some((k, _)) => Ok(k),
        None => Err(format!(
            "resource mapping not found for name: {:?} namespace: {:?} from {:?}: no matches for kind {kind:?} in version {av:?}\nensure CRDs are installed first",
            object::name(&doc.object),
            object::namespace(&doc.object),
            doc.source,
        )),
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

/// One manifest object ready to send: its document, kind, and the object with the request's
/// namespace and a default apiVersion filled in.
pub struct Prepared {
    pub document: Document,
    pub kind: Kind,
    pub object: Value,
}

/// What `prepare_objects` read: the objects, the resource builder's errors (parse, decode,
/// mapping), and per-object ones (a namespace that contradicts `-n`).
pub struct PreparedSet {
    pub ready: Vec<Prepared>,
    pub builder_errors: Vec<CmdError>,
    pub errors: Vec<CmdError>,
}

/// Reads `-f` files into objects to send, as replace and diff do.
pub fn prepare_objects(
    k: &Kubectl<'_>,
    namespace: &str,
    explicit_namespace: Option<&str>,
    filenames: &[String],
) -> Result<PreparedSet, CmdError> {
    let mut ready = Vec::new();
    let mut builder_errors = Vec::new();
    let mut errors = Vec::new();
    for doc in read_manifests(k, filenames)? {
        let doc = match doc {
            Ok(d) => d,
            Err(e) => {
                builder_errors.push(CmdError::Plain(e.message));
                continue;
            }
        };
        let kind = match document_kind(&doc, namespace) {
            Ok(kind) => kind,
            Err(m) => {
                builder_errors.push(CmdError::Plain(m));
                continue;
            }
        };
        let mut object = doc.object.clone();
        if let Err(e) =
            crate::cmd::create::set_namespace(&mut object, kind, namespace, explicit_namespace)
        {
            errors.push(e);
            continue;
        }
        crate::cmd::create::default_api_version(&mut object, kind);
        ready.push(Prepared {
            document: doc,
            kind,
            object,
        });
    }
    Ok(PreparedSet {
        ready,
        builder_errors,
        errors,
    })
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

/// Prints per-object errors collected while continuing and returns the command's result
/// (exit 1 if there were any), as kubectl's `CheckErr` treats the aggregate it gets: one
/// error prints as itself; several print one per line through `messageForError` (no
/// `error: ` prefix, API errors as `Error from server (...)`).
pub fn finish(errors: Vec<CmdError>, out: &mut crate::output::Output) -> crate::cmd::CmdResult {
    finish_grouped(Vec::new(), errors, out)
}

/// `finish` for verbs whose resource builder errors (parse, decode, mapping) come first as
/// one nested aggregate, followed by the per-object errors (apply, create): with other
/// errors beside it, several builder errors print on one line as `[e1, e2]`.
pub fn finish_grouped(
    builder: Vec<CmdError>,
    objects: Vec<CmdError>,
    out: &mut crate::output::Output,
) -> crate::cmd::CmdResult {
    // Aggregates of one are unwrapped, so a lone error prints as `CheckErr` prints it.
    let lone = match (builder.len(), objects.len()) {
        (0, 0) => return Ok(()),
        (1, 0) => builder.first(),
        (0, 1) => objects.first(),
        _ => None,
    };
    if let Some(e) = lone {
        crate::cmd::report(e, out);
        return Err(CmdError::Exit(1));
    }
    if objects.is_empty() || builder.is_empty() {
        for e in builder.iter().chain(objects.iter()) {
            if let Some(m) = crate::cmd::message_for_error(e) {
                out.errln(m);
            }
        }
        return Err(CmdError::Exit(1));
    }
    if !builder.is_empty() {
        let msgs: Vec<String> = builder.iter().filter_map(aggregate_error_text).collect();
        let mut seen: Vec<&String> = Vec::new();
        for m in &msgs {
            if !seen.contains(&m) {
                seen.push(m);
            }
        }
        let joined = seen
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        out.errln(if seen.len() == 1 {
            joined
        } else {
            format!("[{joined}]")
        });
    }
    for e in &objects {
        if let Some(m) = crate::cmd::message_for_error(e) {
            out.errln(m);
        }
    }
    Err(CmdError::Exit(1))
}

/// An error's `Error()` text, as a Go aggregate joins them.
fn aggregate_error_text(e: &CmdError) -> Option<String> {
    match e {
        CmdError::Api { error, context } => {
            Some(crate::cmd::sourced_message(error, context.as_ref()))
        }
        other => crate::cmd::message_for_error(other),
    }
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

//! The REST layer: routes a request to discovery or a resource handler, turns the body into
//! `Api` calls, and shapes the answer (objects, lists, tables, `Status` errors) as
//! kube-apiserver does. It never changes cluster state except through `Api`.

use crate::body::Body;
use crate::discovery;
use crate::query;
use crate::watch;
use crate::Shared;
use hyper::http::request::Parts;
use hyper::{HeaderMap, Method, Response};
use kubeplay_engine::object;
use kubeplay_engine::runtime::ContainerRef;
use kubeplay_engine::{
    ApiError, Cluster, DeleteOptions, Kind, PatchType, Propagation, Selector, WriteOptions,
};
use kubeplay_kubectl::printers::table::table_for;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::rc::Rc;
use std::sync::Arc;

/// A request with its body read.
pub struct Req {
    pub method: Method,
    pub path: String,
    pub query: BTreeMap<String, String>,
    /// Every `key=value` pair in order (repeated keys such as exec's `command`).
    pub pairs: Vec<(String, String)>,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Req {
    pub fn new(parts: Parts, body: Vec<u8>) -> Req {
        Req {
            method: parts.method,
            path: parts.uri.path().to_string(),
            query: query::parse(parts.uri.query()),
            pairs: query::pairs(parts.uri.query()),
            headers: parts.headers,
            body,
        }
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn query_all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn q(&self, name: &str) -> Option<&str> {
        self.query.get(name).map(String::as_str)
    }

    fn dry_run(&self) -> bool {
        self.q("dryRun").is_some_and(|v| v == "All")
    }

    /// `Accept` asks for a server-side Table.
    pub fn wants_table(&self) -> bool {
        self.header("accept").contains("as=Table")
    }
}

pub fn json_response(code: u16, v: &Value) -> Response<Body> {
    typed_response(code, "application/json", v)
}

pub fn typed_response(code: u16, content_type: &str, v: &Value) -> Response<Body> {
    let body = serde_json::to_vec(v).unwrap_or_default();
    Response::builder()
        .status(code)
        .header("content-type", content_type)
        .body(Body::full(body))
        .unwrap_or_else(|_| Response::new(Body::full(Vec::new())))
}

pub fn status_response(code: u16, reason: &str, message: &str) -> Response<Body> {
    json_response(
        code,
        &json!({
            "kind": "Status", "apiVersion": "v1", "metadata": {},
            "status": "Failure", "message": message, "reason": reason, "code": code,
        }),
    )
}

pub fn error_response(e: &ApiError) -> Response<Body> {
    json_response(e.code, &e.to_status())
}

fn not_found() -> Response<Body> {
    status_response(
        404,
        "NotFound",
        "the server could not find the requested resource",
    )
}

fn method_not_allowed(method: &Method) -> Response<Body> {
    status_response(
        405,
        "MethodNotAllowed",
        &format!("the server does not allow this method on the requested resource ({method})"),
    )
}

/// What a resource path names.
#[derive(Clone, Debug)]
pub struct Target {
    pub kind: Kind,
    /// The group-version of the URL (`apps/v1`, or a deprecated `apps/v1beta1`): objects are
    /// answered in it.
    pub group_version: String,
    /// None: all namespaces (or cluster-scoped).
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub sub: Option<String>,
}

fn kind_for(group: &str, version: &str, plural: &str) -> Option<Kind> {
    kubeplay_engine::kinds::RESOURCES
        .iter()
        .find(|r| r.group == group && r.plural == plural && discovery::serves(r, version))
        .map(|r| r.kind)
}

impl Target {
    /// Whether the URL names a deprecated group-version.
    fn deprecated(&self) -> bool {
        self.group_version != self.kind.api_version()
    }

    /// `o` with the URL's apiVersion and the kind set.
    pub fn typed(&self, o: &Value) -> Value {
        let mut v = o.clone();
        if v.is_object() {
            v["apiVersion"] = json!(self.group_version);
            v["kind"] = json!(self.kind.name());
        }
        v
    }
}

/// Parses the part after `/api/v1` or `/apis/<g>/<v>`.
fn parse_target(group: &str, version: &str, segs: &[&str]) -> Option<Target> {
    let (namespace, rest): (Option<String>, &[&str]) = match segs {
        ["namespaces", ns, plural, ..] if kind_for(group, version, plural).is_some() => {
            (Some(ns.to_string()), segs.get(2..).unwrap_or(&[]))
        }
        _ => (None, segs),
    };
    let (plural, name, sub) = match rest {
        [p] => (*p, None, None),
        [p, n] => (*p, Some(n.to_string()), None),
        [p, n, s] => (*p, Some(n.to_string()), Some(s.to_string())),
        _ => return None,
    };
    let kind = kind_for(group, version, plural)?;
    if namespace.is_some() && !kind.namespaced() {
        return None;
    }
    if let Some(s) = &sub {
        if !discovery::subresources(kind).iter().any(|x| x.0 == s) {
            return None;
        }
    }
    Some(Target {
        kind,
        group_version: if group.is_empty() {
            version.to_string()
        } else {
            format!("{group}/{version}")
        },
        namespace,
        name,
        sub,
    })
}

pub async fn dispatch(shared: Rc<Shared>, req: Req) -> Response<Body> {
    let path = req.path.trim_end_matches('/').to_string();
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let is_get = req.method == Method::GET;
    let aggregated = req.header("accept").contains("as=APIGroupDiscoveryList")
        && req.header("accept").contains("v=v2;");
    match segs.as_slice() {
        ["version"] if is_get => json_response(200, &discovery::version()),
        ["healthz" | "livez" | "readyz"] if is_get => Response::builder()
            .header("content-type", "text/plain")
            .body(Body::full("ok"))
            .unwrap_or_else(|_| Response::new(Body::full("ok"))),
        ["api"] if is_get => {
            if aggregated {
                typed_response(
                    200,
                    discovery::AGGREGATED_CONTENT_TYPE,
                    &discovery::aggregated(true),
                )
            } else {
                json_response(200, &discovery::api_versions(&shared.server_address()))
            }
        }
        ["apis"] if is_get => {
            if aggregated {
                typed_response(
                    200,
                    discovery::AGGREGATED_CONTENT_TYPE,
                    &discovery::aggregated(false),
                )
            } else {
                json_response(200, &discovery::api_group_list())
            }
        }
        ["openapi", "v3"] if is_get => json_response(200, &crate::openapi::root()),
        ["openapi", "v3", rest @ ..] if is_get => {
            match crate::openapi::group_version(&rest.join("/")) {
                Some(v) => json_response(200, &v),
                None => not_found(),
            }
        }
        ["api", "v1"] if is_get => match discovery::api_resource_list("", "v1") {
            Some(v) => json_response(200, &v),
            None => not_found(),
        },
        ["apis", g] if is_get => match discovery::api_group(g) {
            Some(v) => json_response(200, &v),
            None => not_found(),
        },
        ["apis", g, v] if is_get => match discovery::api_resource_list(g, v) {
            Some(v) => json_response(200, &v),
            None => not_found(),
        },
        ["api", "v1", rest @ ..] => match parse_target("", "v1", rest) {
            Some(t) => resource(shared, req, t).await,
            None => not_found(),
        },
        ["apis", g, v, rest @ ..] => match parse_target(g, v, rest) {
            Some(t) => resource(shared, req, t).await,
            None => not_found(),
        },
        _ => not_found(),
    }
}

/// Parses the request body as JSON (or YAML for apply patches).
fn body_json(req: &Req) -> Result<Value, ApiError> {
    let ct = req.header("content-type");
    if ct.contains("yaml") {
        return serde_yaml::from_slice::<Value>(&req.body)
            .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")));
    }
    serde_json::from_slice::<Value>(&req.body).map_err(|e| {
        ApiError::bad_request(format!("couldn't get version/kind; json parse error: {e}"))
    })
}

fn warnings_header(mut resp: Response<Body>, warnings: Vec<String>) -> Response<Body> {
    for w in warnings {
        let text = format!("299 - \"{}\"", w.replace('"', "\\\""));
        if let Ok(v) = hyper::header::HeaderValue::from_str(&text) {
            resp.headers_mut().append("warning", v);
        }
    }
    resp
}

async fn resource(shared: Rc<Shared>, req: Req, t: Target) -> Response<Body> {
    let watching = req.method == Method::GET
        && t.name.is_none()
        && matches!(req.q("watch"), Some("true" | "1"));
    if watching {
        return watch::start(shared, &req, &t);
    }
    let mutating = req.method != Method::GET;
    let resp = {
        let mut cluster = shared.lock();
        let result = handle_locked(&mut cluster, &req, &t);
        if mutating {
            cluster.run_now();
        }
        let mut warnings = cluster.api.take_warnings();
        // kube-apiserver warns on every request to a deprecated group-version.
        if t.deprecated() {
            let w = kubeplay_engine::api::deprecation_warning(&t.group_version, t.kind);
            if !warnings.contains(&w) {
                warnings.insert(0, w);
            }
        }
        let resp = match result {
            Ok(r) => r,
            Err(e) => error_response(&e),
        };
        warnings_header(resp, warnings)
    };
    if mutating {
        shared.notify();
    }
    resp
}

fn ns_of(t: &Target) -> String {
    t.namespace.clone().unwrap_or_default()
}

fn handle_locked(c: &mut Cluster, req: &Req, t: &Target) -> Result<Response<Body>, ApiError> {
    let sub = t.sub.as_deref();
    match (&req.method, &t.name, sub) {
        (&Method::GET, None, None) => list(c, req, t),
        (&Method::GET, Some(name), None | Some("status")) => {
            let o = c.api.get(t.kind, &ns_of(t), name)?;
            if req.wants_table() {
                let table = table_value(c, req, t.kind, std::slice::from_ref(&o));
                return Ok(json_response(200, &table));
            }
            Ok(json_response(200, &t.typed(&o)))
        }
        (&Method::GET, Some(name), Some("scale")) => {
            let o = c.api.get(t.kind, &ns_of(t), name)?;
            Ok(json_response(200, &scale_of(&o)))
        }
        (&Method::GET, Some(name), Some("log")) => logs(c, req, &ns_of(t), name),
        (&Method::POST, None, None) => create(c, req, t),
        (&Method::POST, Some(name), Some("eviction")) => {
            let body = body_json(req)?;
            let grace = object::get_i64(&body, &["deleteOptions", "gracePeriodSeconds"]);
            c.api.evict(&ns_of(t), name, grace)?;
            Ok(json_response(
                201,
                &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
            ))
        }
        (&Method::POST, Some(name), Some("binding")) => {
            let body = body_json(req)?;
            let node = object::get_str(&body, &["target", "name"]).unwrap_or("");
            c.api.bind_pod(&ns_of(t), name, node)?;
            Ok(json_response(
                201,
                &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
            ))
        }
        (&Method::PUT, Some(name), None | Some("status")) => {
            let mut obj = body_json(req)?;
            check_body_identity(t, name, &mut obj)?;
            let opts = WriteOptions {
                dry_run: req.dry_run(),
            };
            let o = if sub == Some("status") {
                c.api.update_status(obj)?
            } else {
                c.api.update_with(obj, &opts)?
            };
            Ok(json_response(200, &t.typed(&o)))
        }
        (&Method::PUT, Some(name), Some("scale")) => {
            let body = body_json(req)?;
            set_replicas(c, req, t, name, &body)
        }
        (&Method::PATCH, Some(name), None | Some("status")) => {
            let pt = patch_type(req)?;
            let body = body_json(req)?;
            let opts = WriteOptions {
                dry_run: req.dry_run(),
            };
            let o = c.api.patch_with(
                t.kind,
                &ns_of(t),
                name,
                pt,
                &body,
                sub == Some("status"),
                &opts,
            )?;
            Ok(json_response(200, &t.typed(&o)))
        }
        (&Method::PATCH, Some(name), Some("scale")) => {
            let pt = patch_type(req)?;
            let body = body_json(req)?;
            let current = c.api.get(t.kind, &ns_of(t), name)?;
            let mut scale = scale_of(&current);
            match pt {
                PatchType::Json => kubeplay_engine::patch::json_patch(&mut scale, &body)?,
                _ => kubeplay_engine::patch::merge_patch(&mut scale, &body),
            }
            set_replicas(c, req, t, name, &scale)
        }
        (&Method::DELETE, Some(name), None) => {
            let opts = delete_options(req)?;
            let d = c.api.delete(t.kind, &ns_of(t), name, &opts)?;
            Ok(json_response(200, &t.typed(d.object())))
        }
        (&Method::DELETE, None, None) => delete_collection(c, req, t),
        (&Method::GET | &Method::POST, Some(name), Some("exec" | "attach")) => {
            // Reached without a WebSocket upgrade (kubectl's SPDY fallback): check what the
            // kubelet would, then refuse the protocol.
            let pod = c.api.get(Kind::Pod, &ns_of(t), name)?;
            if let Some(cn) = req.q("container").filter(|c| !c.is_empty()) {
                let known = object::get_array(&pod, &["spec", "containers"])
                    .iter()
                    .any(|c| object::get_str(c, &["name"]) == Some(cn));
                if !known {
                    return Err(ApiError::bad_request(format!(
                        "container {cn} is not valid for pod {name}"
                    )));
                }
            }
            Err(ApiError::bad_request("Upgrade request required"))
        }
        (m, _, _) => Ok(method_not_allowed(m)),
    }
}

/// Sets the object's apiVersion and kind (lists and watch strip nothing, but be sure).
fn with_type(kind: Kind, o: &Value) -> Value {
    let mut v = o.clone();
    if v.is_object() {
        v["apiVersion"] = json!(kind.api_version());
        v["kind"] = json!(kind.name());
    }
    v
}

/// The namespace and name in the body must match the URL (kube-apiserver's wording).
fn check_body_identity(t: &Target, name: &str, obj: &mut Value) -> Result<(), ApiError> {
    if !obj.is_object() {
        return Err(ApiError::bad_request(
            "the body of the request was not an object",
        ));
    }
    fill_namespace(t, obj)?;
    let body_name = object::name(obj);
    if body_name.is_empty() {
        object::set(obj, &["metadata", "name"], json!(name));
    } else if body_name != name {
        return Err(ApiError::bad_request(
            "the name of the object does not match the name on the URL",
        ));
    }
    Ok(())
}

fn fill_namespace(t: &Target, obj: &mut Value) -> Result<(), ApiError> {
    if let Some(ns) = &t.namespace {
        let body_ns = object::namespace(obj);
        if body_ns.is_empty() {
            object::set(obj, &["metadata", "namespace"], json!(ns));
        } else if body_ns != ns {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
    }
    Ok(())
}

fn create(c: &mut Cluster, req: &Req, t: &Target) -> Result<Response<Body>, ApiError> {
    let mut obj = body_json(req)?;
    if !obj.is_object() {
        return Err(ApiError::bad_request(
            "the body of the request was not an object",
        ));
    }
    fill_namespace(t, &mut obj)?;
    let (kind, _) = c.api.kind_of(&obj)?;
    if kind != t.kind || object::api_version(&obj) != t.group_version {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({}) does not match the expected API version ({})",
            object::api_version(&obj),
            t.group_version
        )));
    }
    let opts = WriteOptions {
        dry_run: req.dry_run(),
    };
    let o = c.api.create_with(obj, &opts)?;
    Ok(json_response(201, &t.typed(&o)))
}

fn patch_type(req: &Req) -> Result<PatchType, ApiError> {
    let ct = req.header("content-type");
    let base = ct.split(';').next().unwrap_or("").trim();
    match base {
        "application/json-patch+json" => Ok(PatchType::Json),
        "application/merge-patch+json" => Ok(PatchType::Merge),
        "application/strategic-merge-patch+json" => Ok(PatchType::StrategicMerge),
        _ => Err(ApiError {
            code: 415,
            reason: "UnsupportedMediaType".to_string(),
            message: "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json".to_string(),
            ..ApiError::bad_request("")
        }),
    }
}

fn delete_options(req: &Req) -> Result<DeleteOptions, ApiError> {
    let body = if req.body.iter().all(u8::is_ascii_whitespace) {
        json!({})
    } else {
        serde_json::from_slice::<Value>(&req.body)
            .map_err(|e| ApiError::bad_request(format!("json parse error: {e}")))?
    };
    let grace = object::get_i64(&body, &["gracePeriodSeconds"]).or_else(|| {
        req.q("gracePeriodSeconds")
            .and_then(|v| v.parse::<i64>().ok())
    });
    let policy = object::get_str(&body, &["propagationPolicy"])
        .map(str::to_string)
        .or_else(|| req.q("propagationPolicy").map(str::to_string));
    let propagation = match policy.as_deref() {
        None | Some("") => {
            // The deprecated orphanDependents flag.
            match body.get("orphanDependents").and_then(Value::as_bool) {
                Some(true) => Some(Propagation::Orphan),
                _ => None,
            }
        }
        Some("Background") => Some(Propagation::Background),
        Some("Foreground") => Some(Propagation::Foreground),
        Some("Orphan") => Some(Propagation::Orphan),
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "DeleteOptions.meta.k8s.io \"\" is invalid: propagationPolicy: Unsupported value: \"{other}\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\""
            )))
        }
    };
    let dry_run = req.dry_run()
        || object::get_array(&body, &["dryRun"])
            .iter()
            .any(|v| v.as_str() == Some("All"));
    Ok(DeleteOptions {
        grace_period_seconds: grace,
        propagation,
        uid: object::get_str(&body, &["preconditions", "uid"]).map(str::to_string),
        dry_run,
    })
}

/// The objects a list (or deletecollection) selects.
pub fn select(c: &Cluster, req: &Req, t: &Target) -> Result<Vec<Arc<Value>>, ApiError> {
    let (labels, fields) = selectors(req, t)?;
    Ok(c.api
        .list(t.kind, t.namespace.as_deref(), &labels)
        .into_iter()
        .filter(|o| query::field_matches(&fields, o))
        .collect())
}

pub fn selectors(req: &Req, t: &Target) -> Result<(Selector, Vec<query::FieldReq>), ApiError> {
    let labels = match req.q("labelSelector") {
        Some(s) if !s.is_empty() => Selector::parse(s).map_err(ApiError::bad_request)?,
        _ => Selector::everything(),
    };
    let fields = match req.q("fieldSelector") {
        Some(s) => query::field_selector(s, t.kind.plural()).map_err(ApiError::bad_request)?,
        None => Vec::new(),
    };
    Ok((labels, fields))
}

fn list(c: &mut Cluster, req: &Req, t: &Target) -> Result<Response<Body>, ApiError> {
    let objs = select(c, req, t)?;
    let rv = c.api.store.resource_version().to_string();
    if req.wants_table() {
        let mut table = table_value(c, req, t.kind, &objs);
        table["metadata"] = json!({"resourceVersion": rv});
        return Ok(json_response(200, &table));
    }
    let items: Vec<Value> = objs.iter().map(|o| t.typed(o)).collect();
    Ok(json_response(
        200,
        &json!({
            "kind": format!("{}List", t.kind.name()),
            "apiVersion": t.group_version,
            "metadata": {"resourceVersion": rv},
            "items": items,
        }),
    ))
}

/// A `meta.k8s.io/v1` Table from the built-in kubectl's printers; `includeObject` picks
/// what each row carries (default: PartialObjectMetadata).
pub fn table_value(c: &Cluster, req: &Req, kind: Kind, objs: &[Arc<Value>]) -> Value {
    table_at(c.now(), req, kind, objs, true)
}

pub fn table_at(
    now: kubeplay_engine::Time,
    req: &Req,
    kind: Kind,
    objs: &[Arc<Value>],
    headers: bool,
) -> Value {
    let table = table_for(kind, objs, now, true);
    let include = req.q("includeObject").unwrap_or("Metadata");
    let rows: Vec<Value> = table
        .rows
        .iter()
        .map(|r| {
            let mut row = json!({"cells": r.cells});
            match include {
                "None" => {}
                "Object" => row["object"] = with_type(kind, &r.object),
                _ => {
                    row["object"] = json!({
                        "kind": "PartialObjectMetadata",
                        "apiVersion": "meta.k8s.io/v1",
                        "metadata": r.object.get("metadata").cloned().unwrap_or(Value::Null),
                    })
                }
            }
            row
        })
        .collect();
    let columns: Vec<Value> = if headers {
        table
            .columns
            .iter()
            .map(|c| {
                json!({"name": c.name, "type": c.type_, "format": c.format,
                   "description": c.description, "priority": c.priority})
            })
            .collect()
    } else {
        Vec::new()
    };
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {},
        "columnDefinitions": columns,
        "rows": rows,
    })
}

fn delete_collection(c: &mut Cluster, req: &Req, t: &Target) -> Result<Response<Body>, ApiError> {
    let opts = delete_options(req)?;
    let objs = select(c, req, t)?;
    let mut items = Vec::new();
    for o in objs {
        let d = c
            .api
            .delete(t.kind, object::namespace(&o), object::name(&o), &opts)?;
        items.push(t.typed(d.object()));
    }
    Ok(json_response(
        200,
        &json!({
            "kind": format!("{}List", t.kind.name()),
            "apiVersion": t.group_version,
            "metadata": {"resourceVersion": c.api.store.resource_version().to_string()},
            "items": items,
        }),
    ))
}

/// The `autoscaling/v1` Scale of a workload.
fn scale_of(o: &Value) -> Value {
    let selector = kubeplay_kubectl::printers::table::format_label_selector(object::get(
        o,
        &["spec", "selector"],
    ));
    let md = o.get("metadata").cloned().unwrap_or(Value::Null);
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": md.get("name"),
            "namespace": md.get("namespace"),
            "uid": md.get("uid"),
            "resourceVersion": md.get("resourceVersion"),
            "creationTimestamp": md.get("creationTimestamp"),
        },
        "spec": {"replicas": object::get_i64(o, &["spec", "replicas"]).unwrap_or(1)},
        "status": {
            "replicas": object::get_i64(o, &["status", "replicas"]).unwrap_or(0),
            "selector": selector,
        },
    })
}

fn set_replicas(
    c: &mut Cluster,
    req: &Req,
    t: &Target,
    name: &str,
    scale: &Value,
) -> Result<Response<Body>, ApiError> {
    let ns = ns_of(t);
    let current = c.api.get(t.kind, &ns, name)?;
    if let Some(rv) = object::get_str(scale, &["metadata", "resourceVersion"]) {
        if !rv.is_empty() && rv != object::resource_version(&current).to_string() {
            return Err(ApiError::conflict(t.kind, name));
        }
    }
    let Some(replicas) = object::get(scale, &["spec", "replicas"]).and_then(object::as_int) else {
        return Err(ApiError::bad_request("spec.replicas is required"));
    };
    let opts = WriteOptions {
        dry_run: req.dry_run(),
    };
    let o = c.api.patch_with(
        t.kind,
        &ns,
        name,
        PatchType::Merge,
        &json!({"spec": {"replicas": replicas}}),
        false,
        &opts,
    )?;
    Ok(json_response(200, &scale_of(&o)))
}

fn logs(c: &mut Cluster, req: &Req, ns: &str, name: &str) -> Result<Response<Body>, ApiError> {
    let pod = c.api.get(Kind::Pod, ns, name)?;
    let containers = object::get_array(&pod, &["spec", "containers"]);
    let container = match req.q("container") {
        Some(cn) if !cn.is_empty() => cn.to_string(),
        _ => match containers {
            [one] => object::get_str(one, &["name"]).unwrap_or("").to_string(),
            _ => {
                let names: Vec<&str> = containers
                    .iter()
                    .filter_map(|c| object::get_str(c, &["name"]))
                    .collect();
                return Err(ApiError::bad_request(format!(
                    "a container name must be specified for pod {name}, choose one of: [{}]",
                    names.join(" ")
                )));
            }
        },
    };
    if !containers
        .iter()
        .any(|c| object::get_str(c, &["name"]) == Some(container.as_str()))
    {
        return Err(ApiError::bad_request(format!(
            "container {container} is not valid for pod {name}"
        )));
    }
    let previous = matches!(req.q("previous"), Some("true" | "1"));
    let cref = ContainerRef {
        namespace: ns,
        pod: name,
        container: Some(&container),
    };
    let log = match c.runtime.logs(&c.api, &cref, previous) {
        Ok(l) => l,
        Err(_) => {
            let message = if previous {
                format!("previous terminated container \"{container}\" in pod \"{name}\" not found")
            } else {
                let reason = object::get_array(&pod, &["status", "containerStatuses"])
                    .iter()
                    .find(|s| object::get_str(s, &["name"]) == Some(container.as_str()))
                    .and_then(|s| object::get_str(s, &["state", "waiting", "reason"]))
                    .unwrap_or("ContainerCreating")
                    .to_string();
                kubeplay_engine::runtime::waiting_to_start_message(&container, &name, &reason)
            };
            return Err(ApiError::bad_request(message));
        }
    };
    let tail = req
        .q("tailLines")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(-1);
    let text = kubeplay_kubectl::cmd::logs::tail(&log, tail).to_string();
    Ok(Response::builder()
        .status(200)
        .header("content-type", "text/plain")
        .body(Body::full(text))
        .unwrap_or_else(|_| Response::new(Body::full(Vec::new()))))
}

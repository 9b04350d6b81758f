//! `kubectl expose (-f FILE | TYPE NAME) [--port=P] [--target-port=T] [--type=T] [--name=N]
//! ...`: creates a Service for a pod, Service, Deployment or ReplicaSet, taking its selector,
//! ports, protocols and labels from the object as kubectl 1.33 does (`service/x exposed`).
//! StatefulSets cannot be exposed this way (`cannot expose a StatefulSet.apps`): their
//! tutorials write the (headless) Service themselves.

use super::{CmdError, CmdResult};
use crate::context::Kubectl;
use crate::flags::{self, flag, FlagKind, FlagSpec};
use crate::manifest::{self, DryRun, Selection};
use crate::output::Output;
use crate::printers::{self, OutputFormat};
use kubeplay_engine::{object, Kind, WriteOptions};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

pub(crate) const SPECS: &[FlagSpec] = &[
    flag("namespace", Some('n'), FlagKind::Value),
    flag("filename", Some('f'), FlagKind::Multi),
    flag("port", None, FlagKind::Value),
    flag("protocol", None, FlagKind::Value),
    flag("target-port", None, FlagKind::Value),
    flag("name", None, FlagKind::Value),
    flag("external-ip", None, FlagKind::Value),
    flag("type", None, FlagKind::Value),
    flag("selector", None, FlagKind::Value),
    flag("labels", Some('l'), FlagKind::Value),
    flag("load-balancer-ip", None, FlagKind::Value),
    flag("session-affinity", None, FlagKind::Value),
    flag("cluster-ip", None, FlagKind::Value),
    flag("dry-run", None, FlagKind::Value),
    flag("output", Some('o'), FlagKind::Value),
    flag("template", None, FlagKind::Value),
    flag("field-manager", None, FlagKind::Value),
    flag("save-config", None, FlagKind::Bool),
    flag("override-type", None, FlagKind::Value),
    flag("overrides", None, FlagKind::Value),
    flag("recursive", Some('R'), FlagKind::Bool),
];

/// What the command line asked for, before each object fills in the rest.
struct Request {
    port: String,
    protocol: String,
    target_port: String,
    name: String,
    external_ip: String,
    service_type: String,
    selector: String,
    labels: String,
    load_balancer_ip: String,
    session_affinity: String,
    cluster_ip: String,
}

/// `MapBasedSelectorForObject`: the `k=v,...` pod selector of an object.
fn selector_of(kind: Kind, o: &Value) -> Result<String, String> {
    let map = |v: Option<&Value>| -> BTreeMap<String, String> {
        v.and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let labels = match kind {
        Kind::Pod => {
            let l = object::labels(o);
            if l.is_empty() {
                return Err("the pod has no labels and cannot be exposed".into());
            }
            l
        }
        Kind::Service => {
            let s = map(object::get(o, &["spec", "selector"]));
            if s.is_empty() {
                return Err("the service has no pod selector set".into());
            }
            s
        }
        _ => {
            let exprs = object::get_array(o, &["spec", "selector", "matchExpressions"]);
            if !exprs.is_empty() {
                return Err(format!(
                    "couldn't convert expressions - \"{}\" to map-based selector format",
                    go_expressions(exprs)
                ));
            }
            map(object::get(o, &["spec", "selector", "matchLabels"]))
        }
    };
    Ok(make_labels(&labels))
}

/// Go's `%+v` of `[]LabelSelectorRequirement`.
fn go_expressions(exprs: &[Value]) -> String {
    let items: Vec<String> = exprs
        .iter()
        .map(|e| {
            let values: Vec<&str> = object::get_array(e, &["values"])
                .iter()
                .filter_map(Value::as_str)
                .collect();
            format!(
                "{{Key:{} Operator:{} Values:[{}]}}",
                object::get_str(e, &["key"]).unwrap_or(""),
                object::get_str(e, &["operator"]).unwrap_or(""),
                values.join(" ")
            )
        })
        .collect();
    format!("[{}]", items.join(" "))
}

fn make_labels(m: &BTreeMap<String, String>) -> String {
    m.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The pod spec whose containers' ports an object exposes.
fn pod_spec(kind: Kind, o: &Value) -> Option<&Value> {
    match kind {
        Kind::Pod => object::get(o, &["spec"]),
        Kind::Service => None,
        _ => object::get(o, &["spec", "template", "spec"]),
    }
}

/// `PortsForObject` and `MultiProtocolsForObject`: the object's ports (as text) and, per
/// port, its protocols.
fn ports_of(kind: Kind, o: &Value) -> (Vec<String>, BTreeMap<String, Vec<String>>) {
    let mut ports = Vec::new();
    let mut protocols: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut add = |port: i64, protocol: &str| {
        ports.push(port.to_string());
        protocols
            .entry(port.to_string())
            .or_default()
            .push(protocol.to_string());
    };
    if kind == Kind::Service {
        for p in object::get_array(o, &["spec", "ports"]) {
            if let Some(port) = object::get_i64(p, &["port"]) {
                add(port, object::get_str(p, &["protocol"]).unwrap_or("TCP"));
            }
        }
    } else if let Some(spec) = pod_spec(kind, o) {
        for c in object::get_array(spec, &["containers"]) {
            for p in object::get_array(c, &["ports"]) {
                if let Some(port) = object::get_i64(p, &["containerPort"]) {
                    add(port, object::get_str(p, &["protocol"]).unwrap_or("TCP"));
                }
            }
        }
    }
    (ports, protocols)
}

/// `parseLabels`: `k=v,k2=v2` with kubectl's errors.
fn parse_labels(spec: &str) -> Result<Map<String, Value>, String> {
    if spec.is_empty() {
        return Err("no label spec passed".into());
    }
    let mut m = Map::new();
    for part in spec.split(',') {
        let kv: Vec<&str> = part.split('=').collect();
        let [k, v] = kv[..] else {
            return Err(format!("unexpected label spec: {part}"));
        };
        if k.is_empty() {
            return Err("unexpected empty label key".into());
        }
        m.insert(k.to_string(), json!(v));
    }
    Ok(m)
}

impl Request {
    /// `createService`: the Service for one exposed object.
    fn service(
        &self,
        default_name: &str,
        selector: &str,
        port_text: &str,
        protocols: &BTreeMap<String, Vec<String>>,
        labels: &str,
    ) -> Result<Value, CmdError> {
        if selector.is_empty() {
            return Err(CmdError::Plain("selector must be specified".into()));
        }
        let selector = parse_labels(selector).map_err(CmdError::Plain)?;
        let labels = if labels.is_empty() {
            None
        } else {
            Some(parse_labels(labels).map_err(CmdError::Plain)?)
        };
        let name = if self.name.is_empty() {
            default_name
        } else {
            &self.name
        };
        if name.is_empty() {
            return Err(CmdError::Plain("name must be specified".into()));
        }
        let mut ports: Vec<Value> = Vec::new();
        if !port_text.is_empty() {
            let list: Vec<&str> = port_text.split(',').collect();
            for (i, p) in list.iter().enumerate() {
                let port: i64 = p.parse().map_err(|_| {
                    CmdError::Plain(format!("strconv.Atoi: parsing {p:?}: invalid syntax"))
                })?;
                let port_name = if list.len() > 1 {
                    format!("port-{}", i + 1)
                } else {
                    String::new()
                };
                let mut protocol = self.protocol.clone();
                if protocol.is_empty() {
                    protocol = "TCP".into();
                    if let Some(found) = protocols.get(*p) {
                        if let [only] = &found[..] {
                            protocol = only.clone();
                        } else {
                            for proto in found {
                                ports.push(json!({
                                    "name": format!("port-{}-{}", i + 1, proto.to_lowercase()),
                                    "port": port,
                                    "protocol": proto,
                                }));
                            }
                            continue;
                        }
                    }
                }
                let mut entry = json!({"port": port, "protocol": protocol});
                if !port_name.is_empty() {
                    entry["name"] = json!(port_name);
                }
                ports.push(entry);
            }
        }
        // The same target port for every port, or each port's own number.
        for p in ports.iter_mut() {
            p["targetPort"] = if self.target_port.is_empty() {
                p["port"].clone()
            } else {
                match self.target_port.parse::<i64>() {
                    Ok(n) => json!(n),
                    Err(_) => json!(self.target_port),
                }
            };
        }
        let mut spec = json!({"selector": selector, "ports": ports});
        if !self.external_ip.is_empty() {
            spec["externalIPs"] = json!([self.external_ip]);
        }
        if !self.service_type.is_empty() {
            spec["type"] = json!(self.service_type);
        }
        if self.service_type == "LoadBalancer" && !self.load_balancer_ip.is_empty() {
            spec["loadBalancerIP"] = json!(self.load_balancer_ip);
        }
        match self.session_affinity.as_str() {
            "" => {}
            "None" | "ClientIP" => spec["sessionAffinity"] = json!(self.session_affinity),
            other => {
                return Err(CmdError::Plain(format!(
                    "unknown session affinity: {other}"
                )))
            }
        }
        if !self.cluster_ip.is_empty() {
            spec["clusterIP"] = json!(self.cluster_ip);
        }
        let mut meta = json!({"name": name});
        if let Some(l) = labels {
            meta["labels"] = Value::Object(l);
        }
        Ok(json!({"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec}))
    }
}

/// `GroupKind.String()`: `StatefulSet.apps`, `PersistentVolumeClaim`.
fn group_kind(kind: Kind) -> String {
    let group = kind.info().group;
    if group.is_empty() {
        kind.name().to_string()
    } else {
        format!("{}.{group}", kind.name())
    }
}

pub fn run(k: &mut Kubectl<'_>, args: &[String], out: &mut Output) -> CmdResult {
    let p = flags::parse(args, SPECS).map_err(|m| super::flag_error("expose", m))?;
    let ns = manifest::namespace_flag(k, &p);
    let dry = manifest::dry_run_flag(&p)?;
    let format = match p.value("output").filter(|o| !o.is_empty()) {
        None if p.value("template").is_none() => None,
        o => Some(OutputFormat::parse(o, p.value("template")).map_err(CmdError::Plain)?),
    };
    let v = |name: &str| p.value(name).unwrap_or("").to_string();
    let req = Request {
        port: v("port"),
        protocol: v("protocol"),
        target_port: v("target-port"),
        name: v("name"),
        external_ip: v("external-ip"),
        service_type: v("type"),
        selector: v("selector"),
        labels: v("labels"),
        load_balancer_ip: v("load-balancer-ip"),
        session_affinity: v("session-affinity"),
        cluster_ip: v("cluster-ip"),
    };
    let sel = Selection {
        filenames: p.all("filename"),
        args: p.positional.clone(),
        selector: None,
        all: false,
        all_namespaces: false,
    };
    let (targets, mut errors) = manifest::resolve(k, &ns, &sel)?;
    for t in targets {
        let obj: Arc<Value> = match &t.document {
            Some(doc) => Arc::new(doc.object.clone()),
            None => match k.cluster.api.get(t.kind, &t.namespace, &t.name) {
                Ok(o) => o,
                Err(e) => {
                    errors.push(e.into());
                    continue;
                }
            },
        };
        if !matches!(
            t.kind,
            Kind::Pod | Kind::Service | Kind::Deployment | Kind::ReplicaSet
        ) {
            errors.push(CmdError::Plain(format!(
                "cannot expose a {}",
                group_kind(t.kind)
            )));
            continue;
        }
        // Service names are DNS-1035 labels: at most 63 characters.
        let default_name: String = t.name.chars().take(63).collect();
        let selector = if req.selector.is_empty() {
            match selector_of(t.kind, &obj) {
                Ok(s) => s,
                Err(e) => {
                    errors.push(CmdError::Plain(format!(
                        "couldn't retrieve selectors via --selector flag or introspection: {e}"
                    )));
                    continue;
                }
            }
        } else {
            req.selector.clone()
        };
        let (ports, protocols) = ports_of(t.kind, &obj);
        let port_text = if !req.port.is_empty() {
            req.port.clone()
        } else if ports.is_empty() {
            if req.cluster_ip != "None" {
                errors.push(CmdError::Plain(
                    "couldn't find port via --port flag or introspection".into(),
                ));
                continue;
            }
            String::new()
        } else {
            ports.join(",")
        };
        let labels = if req.labels.is_empty() {
            make_labels(&object::labels(&obj))
        } else {
            req.labels.clone()
        };
        let mut svc = match req.service(&default_name, &selector, &port_text, &protocols, &labels) {
            Ok(s) => s,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let shown = |svc: &Value| manifest::resource_name(Kind::Service, object::name(svc));
        if dry == DryRun::Client {
            // The typed object kubectl prints: a null creationTimestamp, an empty status, and
            // a namespace only when `-n` enforced one.
            svc["metadata"]["creationTimestamp"] = Value::Null;
            if p.value("namespace").is_some() {
                svc["metadata"]["namespace"] = json!(t.namespace);
            }
            svc["status"] = json!({"loadBalancer": {}});
            match &format {
                Some(f) => out.out(
                    printers::print_generic(f, &[(Kind::Service, Arc::new(svc))], true)
                        .map_err(CmdError::Plain)?,
                ),
                None => out.outln(format!("{} exposed{}", shown(&svc), dry.suffix())),
            }
            continue;
        }
        if p.bool("save-config") {
            let applied = serde_json::to_string(&svc).unwrap_or_default();
            svc["metadata"]["annotations"] =
                json!({"kubectl.kubernetes.io/last-applied-configuration": applied + "\n"});
        }
        svc["metadata"]["namespace"] = json!(t.namespace);
        let created = k.cluster.api.create_with(
            svc,
            &WriteOptions {
                dry_run: dry == DryRun::Server,
            },
        );
        manifest::flush_warnings(k, out);
        match created {
            Ok(c) => match &format {
                Some(f) => out.out(
                    printers::print_generic(f, &[(Kind::Service, c)], true)
                        .map_err(CmdError::Plain)?,
                ),
                None => out.outln(format!("{} exposed{}", shown(&c), dry.suffix())),
            },
            Err(e) => errors.push(e.into()),
        }
    }
    manifest::finish(errors, out)
}

//! Server-side tables: the columns and rows kube-apiserver's printers
//! (`pkg/printers/internalversion/printers.go`) produce for each kind, shaped like
//! `metav1.Table` so the HTTP API server can serve them as-is and kubectl can print them.
//!
//! Like the real server, handlers always fill the wide (priority 1) cells when asked to
//! (`wide: true`, which is what the API server does); hiding them is the printer's job.
//! This module never writes text: see `print_table` in `printers` for the layout.

use kubeplay_engine::object::{self, get, get_array, get_bool, get_i64, get_str};
use kubeplay_engine::time::{human_duration, Time};
use kubeplay_engine::Kind;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

/// `metav1.TableColumnDefinition`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column {
    pub name: String,
    pub type_: String,
    /// `name` marks the column kubectl prefixes with `kind/` when several kinds are printed.
    pub format: String,
    pub description: String,
    /// 0: always shown; 1: only with `-o wide`.
    pub priority: i32,
}

/// `metav1.TableRow`: cells are JSON values (strings, integers, booleans).
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub cells: Vec<Value>,
    pub object: Arc<Value>,
}

/// `metav1.Table`.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
}

impl Table {
    /// The table as the API server serialises it (`meta.k8s.io/v1` `Table`).
    pub fn to_value(&self) -> Value {
        json!({
            "apiVersion": "meta.k8s.io/v1",
            "kind": "Table",
            "metadata": {},
            "columnDefinitions": self.columns.iter().map(|c| json!({
                "name": c.name, "type": c.type_, "format": c.format,
                "description": c.description, "priority": c.priority,
            })).collect::<Vec<_>>(),
            "rows": self.rows.iter().map(|r| json!({
                "cells": r.cells,
                "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
                           "metadata": r.object.get("metadata").cloned().unwrap_or(Value::Null)},
            })).collect::<Vec<_>>(),
        })
    }
}

const NAME_DOC: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
const AGE_DOC: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

fn col(name: &str, type_: &str, priority: i32, description: &str) -> Column {
    let (format, description) = match name {
        "Name" => ("name", NAME_DOC),
        "Age" => ("", AGE_DOC),
        _ => ("", description),
    };
    Column {
        name: name.to_string(),
        type_: type_.to_string(),
        format: format.to_string(),
        description: description.to_string(),
        priority,
    }
}

fn s(v: impl Into<String>) -> Value {
    Value::String(v.into())
}

/// `translateTimestampSince`: AGE of an RFC 3339 timestamp at `now`; `<unknown>` when unset.
pub fn age(ts: Option<&str>, now: Time) -> String {
    match ts.and_then(Time::parse_rfc3339) {
        Some(t) => human_duration(now.0 as i64 - t.0 as i64),
        None => "<unknown>".to_string(),
    }
}

fn creation_age(o: &Value, now: Time) -> String {
    age(get_str(o, &["metadata", "creationTimestamp"]), now)
}

/// `labels.FormatLabels`: `a=b,c=d` in key order, `<none>` when empty.
pub fn format_labels(m: &BTreeMap<String, String>) -> String {
    if m.is_empty() {
        return "<none>".to_string();
    }
    m.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// `metav1.LabelSelectorAsSelector(...).String()`: requirements sorted by key; "" for none.
pub fn format_label_selector(sel: Option<&Value>) -> String {
    let Some(sel) = sel else {
        return String::new();
    };
    let mut reqs: Vec<(String, String)> = Vec::new();
    if let Some(m) = sel.get("matchLabels").and_then(Value::as_object) {
        for (k, v) in m {
            reqs.push((k.clone(), format!("{k}={}", v.as_str().unwrap_or(""))));
        }
    }
    for e in get_array(sel, &["matchExpressions"]) {
        let key = get_str(e, &["key"]).unwrap_or("").to_string();
        let mut vals: Vec<&str> = get_array(e, &["values"])
            .iter()
            .filter_map(Value::as_str)
            .collect();
        kubeplay_shell::sorting::sort(&mut vals);
        let text = match get_str(e, &["operator"]).unwrap_or("") {
            "In" => format!("{key} in ({})", vals.join(",")),
            "NotIn" => format!("{key} notin ({})", vals.join(",")),
            "Exists" => key.clone(),
            "DoesNotExist" => format!("!{key}"),
            _ => continue,
        };
        reqs.push((key, text));
    }
    kubeplay_shell::sorting::sort_by(&mut reqs, |a, b| a.0.cmp(&b.0));
    reqs.into_iter().map(|r| r.1).collect::<Vec<_>>().join(",")
}

/// The pod template's container names and images, comma-joined (`layoutContainerCells`).
fn container_cells(o: &Value) -> (String, String) {
    let cs = get_array(o, &["spec", "template", "spec", "containers"]);
    let names: Vec<&str> = cs
        .iter()
        .map(|c| get_str(c, &["name"]).unwrap_or(""))
        .collect();
    let images: Vec<&str> = cs
        .iter()
        .map(|c| get_str(c, &["image"]).unwrap_or(""))
        .collect();
    (names.join(","), images.join(","))
}

fn int(o: &Value, path: &[&str]) -> i64 {
    get_i64(o, path).unwrap_or(0)
}

/// IntOrString as `String()` prints it.
fn int_or_string(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// `helper.GetAccessModesAsString`: RWO, ROX, RWX, RWOP in that fixed order.
pub fn access_modes(modes: &[Value]) -> String {
    let has = |m: &str| modes.iter().any(|v| v.as_str() == Some(m));
    let mut out = Vec::new();
    for (full, short) in [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ] {
        if has(full) {
            out.push(short);
        }
    }
    out.join(",")
}

/// The table for `objs` of `kind`, as the API server computes it at `now`.
pub fn table_for(kind: Kind, objs: &[Arc<Value>], now: Time, wide: bool) -> Table {
    let columns = columns_for(kind);
    let rows = objs
        .iter()
        .map(|o| Row {
            cells: cells_for(kind, o, now, wide),
            object: o.clone(),
        })
        .collect();
    Table { columns, rows }
}

/// Column definitions per kind (`AddHandlers`).
pub fn columns_for(kind: Kind) -> Vec<Column> {
    let c = |n: &str| col(n, "string", 0, "");
    let w = |n: &str| col(n, "string", 1, "");
    let i = |n: &str| col(n, "integer", 0, "");
    match kind {
        Kind::Pod => vec![
            c("Name"),
            col("Ready", "string", 0, "The aggregate readiness state of this pod for accepting traffic."),
            col("Status", "string", 0, "The aggregate status of the containers in this pod."),
            col("Restarts", "string", 0, "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
            c("Age"),
            col("IP", "string", 1, "podIP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated."),
            col("Node", "string", 1, "NodeName indicates in which node this pod is scheduled."),
            col("Nominated Node", "string", 1, "nominatedNodeName is set only when this pod preempts other pods on the node."),
            col("Readiness Gates", "string", 1, "If specified, all readiness gates will be evaluated for pod readiness."),
        ],
        Kind::StatefulSet => vec![
            c("Name"),
            col("Ready", "string", 0, "Number of the pod with ready state"),
            c("Age"),
            col("Containers", "string", 1, "Names of each container in the template."),
            col("Images", "string", 1, "Images referenced by each container in the template."),
        ],
        Kind::Deployment => vec![
            c("Name"),
            col("Ready", "string", 0, "Number of the pod with ready state"),
            col("Up-to-date", "string", 0, "Total number of non-terminated pods targeted by this deployment that have the desired template spec."),
            col("Available", "string", 0, "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment."),
            c("Age"),
            w("Containers"),
            w("Images"),
            w("Selector"),
        ],
        Kind::ReplicaSet => vec![
            c("Name"),
            i("Desired"),
            i("Current"),
            i("Ready"),
            c("Age"),
            w("Containers"),
            w("Images"),
            w("Selector"),
        ],
        Kind::DaemonSet => vec![
            c("Name"),
            i("Desired"),
            i("Current"),
            i("Ready"),
            i("Up-to-date"),
            i("Available"),
            c("Node Selector"),
            c("Age"),
            w("Containers"),
            w("Images"),
            w("Selector"),
        ],
        Kind::Service => vec![
            c("Name"),
            c("Type"),
            c("Cluster-IP"),
            c("External-IP"),
            c("Port(s)"),
            c("Age"),
            w("Selector"),
        ],
        Kind::Endpoints => vec![c("Name"), c("Endpoints"), c("Age")],
        Kind::EndpointSlice => vec![
            c("Name"),
            c("AddressType"),
            c("Ports"),
            c("Endpoints"),
            c("Age"),
        ],
        Kind::PersistentVolumeClaim => vec![
            c("Name"),
            c("Status"),
            c("Volume"),
            c("Capacity"),
            c("Access Modes"),
            c("StorageClass"),
            c("VolumeAttributesClass"),
            c("Age"),
            w("VolumeMode"),
        ],
        Kind::PersistentVolume => vec![
            c("Name"),
            c("Capacity"),
            c("Access Modes"),
            c("Reclaim Policy"),
            c("Status"),
            c("Claim"),
            c("StorageClass"),
            c("VolumeAttributesClass"),
            c("Reason"),
            c("Age"),
            w("VolumeMode"),
        ],
        Kind::StorageClass => vec![
            c("Name"),
            c("Provisioner"),
            c("ReclaimPolicy"),
            c("VolumeBindingMode"),
            col("AllowVolumeExpansion", "boolean", 0, ""),
            c("Age"),
        ],
        Kind::Event => vec![
            c("Last Seen"),
            c("Type"),
            c("Reason"),
            c("Object"),
            w("Subobject"),
            w("Source"),
            c("Message"),
            w("First Seen"),
            col("Count", "integer", 1, ""),
            Column {
                priority: 1,
                ..col("Name", "string", 1, "")
            },
        ],
        Kind::ControllerRevision => vec![
            c("Name"),
            c("Controller"),
            i("Revision"),
            c("Age"),
        ],
        Kind::PodDisruptionBudget => vec![
            c("Name"),
            c("Min Available"),
            c("Max Unavailable"),
            i("Allowed Disruptions"),
            c("Age"),
        ],
        Kind::Node => vec![
            c("Name"),
            c("Status"),
            c("Roles"),
            c("Age"),
            c("Version"),
            w("Internal-IP"),
            w("External-IP"),
            w("OS-Image"),
            w("Kernel-Version"),
            w("Container-Runtime"),
        ],
        Kind::Namespace => vec![c("Name"), c("Status"), c("Age")],
        Kind::ConfigMap => vec![c("Name"), i("Data"), c("Age")],
        Kind::Secret => vec![c("Name"), c("Type"), i("Data"), c("Age")],
        Kind::ServiceAccount => vec![c("Name"), i("Secrets"), c("Age")],
    }
}

fn cells_for(kind: Kind, o: &Value, now: Time, wide: bool) -> Vec<Value> {
    let name = s(object::name(o));
    let age_cell = s(creation_age(o, now));
    match kind {
        Kind::Pod => pod_cells(o, now, wide),
        Kind::StatefulSet => {
            let mut cells = vec![
                name,
                s(format!(
                    "{}/{}",
                    int(o, &["status", "readyReplicas"]),
                    get_i64(o, &["spec", "replicas"]).unwrap_or(1)
                )),
                age_cell,
            ];
            if wide {
                let (n, i) = container_cells(o);
                cells.extend([s(n), s(i)]);
            }
            cells
        }
        Kind::Deployment => {
            let mut cells = vec![
                name,
                s(format!(
                    "{}/{}",
                    int(o, &["status", "readyReplicas"]),
                    get_i64(o, &["spec", "replicas"]).unwrap_or(1)
                )),
                json!(int(o, &["status", "updatedReplicas"])),
                json!(int(o, &["status", "availableReplicas"])),
                age_cell,
            ];
            if wide {
                let (n, i) = container_cells(o);
                cells.extend([
                    s(n),
                    s(i),
                    s(format_label_selector(get(o, &["spec", "selector"]))),
                ]);
            }
            cells
        }
        Kind::ReplicaSet => {
            let mut cells = vec![
                name,
                json!(get_i64(o, &["spec", "replicas"]).unwrap_or(1)),
                json!(int(o, &["status", "replicas"])),
                json!(int(o, &["status", "readyReplicas"])),
                age_cell,
            ];
            if wide {
                let (n, i) = container_cells(o);
                cells.extend([
                    s(n),
                    s(i),
                    s(format_label_selector(get(o, &["spec", "selector"]))),
                ]);
            }
            cells
        }
        Kind::DaemonSet => {
            let mut cells = vec![
                name,
                json!(int(o, &["status", "desiredNumberScheduled"])),
                json!(int(o, &["status", "currentNumberScheduled"])),
                json!(int(o, &["status", "numberReady"])),
                json!(int(o, &["status", "updatedNumberScheduled"])),
                json!(int(o, &["status", "numberAvailable"])),
                s(format_labels(&object::string_map(
                    o,
                    &["spec", "template", "spec", "nodeSelector"],
                ))),
                age_cell,
            ];
            if wide {
                let (n, i) = container_cells(o);
                cells.extend([
                    s(n),
                    s(i),
                    s(format_label_selector(get(o, &["spec", "selector"]))),
                ]);
            }
            cells
        }
        Kind::Service => {
            let svc_type = get_str(o, &["spec", "type"]).unwrap_or("");
            let cluster_ip = get_array(o, &["spec", "clusterIPs"])
                .first()
                .and_then(Value::as_str)
                .unwrap_or("<none>");
            let mut cells = vec![
                name,
                s(svc_type),
                s(cluster_ip),
                s(service_external_ip(o, wide)),
                s(service_ports(o)),
                age_cell,
            ];
            if wide {
                cells.push(s(format_labels(&object::string_map(
                    o,
                    &["spec", "selector"],
                ))));
            }
            cells
        }
        Kind::Endpoints => vec![name, s(format_endpoints(o)), age_cell],
        Kind::EndpointSlice => {
            let ports: Vec<String> = get_array(o, &["ports"])
                .iter()
                .map(|p| match (get_i64(p, &["port"]), get_str(p, &["name"])) {
                    (Some(n), _) => n.to_string(),
                    (None, Some(n)) => n.to_string(),
                    _ => "*".to_string(),
                })
                .collect();
            let addrs: Vec<String> = get_array(o, &["endpoints"])
                .iter()
                .flat_map(|e| get_array(e, &["addresses"]).iter())
                .filter_map(|a| a.as_str().map(str::to_string))
                .collect();
            vec![
                name,
                s(get_str(o, &["addressType"]).unwrap_or("")),
                s(list_with_more(&ports)),
                s(list_with_more(&addrs)),
                age_cell,
            ]
        }
        Kind::PersistentVolumeClaim => {
            let phase = if object::is_terminating(o) {
                "Terminating"
            } else {
                get_str(o, &["status", "phase"]).unwrap_or("")
            };
            let volume = get_str(o, &["spec", "volumeName"]).unwrap_or("");
            let (capacity, modes) = if volume.is_empty() {
                (String::new(), String::new())
            } else {
                (
                    get(o, &["status", "capacity", "storage"])
                        .map(int_or_string)
                        .unwrap_or_default(),
                    access_modes(get_array(o, &["status", "accessModes"])),
                )
            };
            let vac = get_str(o, &["spec", "volumeAttributesClassName"])
                .filter(|v| !v.is_empty())
                .unwrap_or("<unset>");
            let mut cells = vec![
                name,
                s(phase),
                s(volume),
                s(capacity),
                s(modes),
                s(storage_class_of(o)),
                s(vac),
                age_cell,
            ];
            if wide {
                cells.push(s(get_str(o, &["spec", "volumeMode"]).unwrap_or("<unset>")));
            }
            cells
        }
        Kind::PersistentVolume => {
            let claim = match get(o, &["spec", "claimRef"]) {
                Some(c) if !c.is_null() => format!(
                    "{}/{}",
                    get_str(c, &["namespace"]).unwrap_or(""),
                    get_str(c, &["name"]).unwrap_or("")
                ),
                _ => String::new(),
            };
            let phase = if object::is_terminating(o) {
                "Terminating"
            } else {
                get_str(o, &["status", "phase"]).unwrap_or("")
            };
            let vac = get_str(o, &["spec", "volumeAttributesClassName"])
                .filter(|v| !v.is_empty())
                .unwrap_or("<unset>");
            let mut cells = vec![
                name,
                s(get(o, &["spec", "capacity", "storage"])
                    .map(int_or_string)
                    .unwrap_or_else(|| "0".to_string())),
                s(access_modes(get_array(o, &["spec", "accessModes"]))),
                s(get_str(o, &["spec", "persistentVolumeReclaimPolicy"]).unwrap_or("")),
                s(phase),
                s(claim),
                s(storage_class_of(o)),
                s(vac),
                s(get_str(o, &["status", "reason"]).unwrap_or("")),
                age_cell,
            ];
            if wide {
                cells.push(s(get_str(o, &["spec", "volumeMode"]).unwrap_or("<unset>")));
            }
            cells
        }
        Kind::StorageClass => {
            let mut n = object::name(o).to_string();
            if is_default_class(o) {
                n.push_str(" (default)");
            }
            vec![
                s(n),
                s(get_str(o, &["provisioner"]).unwrap_or("")),
                s(get_str(o, &["reclaimPolicy"]).unwrap_or("Delete")),
                s(get_str(o, &["volumeBindingMode"]).unwrap_or("Immediate")),
                json!(get_bool(o, &["allowVolumeExpansion"]).unwrap_or(false)),
                age_cell,
            ]
        }
        Kind::Event => event_cells(o, now, wide),
        Kind::ControllerRevision => {
            let controller = match object::controller_ref(o) {
                Some(r) => {
                    let group = r.api_version.split_once('/').map_or("", |(g, _)| g);
                    let gk = if group.is_empty() {
                        r.kind.clone()
                    } else {
                        format!("{}.{group}", r.kind)
                    };
                    format!("{}/{}", gk.to_lowercase(), r.name)
                }
                None => "<none>".to_string(),
            };
            vec![name, s(controller), json!(int(o, &["revision"])), age_cell]
        }
        Kind::PodDisruptionBudget => {
            let min = get(o, &["spec", "minAvailable"])
                .filter(|v| !v.is_null())
                .map(int_or_string)
                .unwrap_or_else(|| "N/A".to_string());
            let max = get(o, &["spec", "maxUnavailable"])
                .filter(|v| !v.is_null())
                .map(int_or_string)
                .unwrap_or_else(|| "N/A".to_string());
            vec![
                name,
                s(min),
                s(max),
                json!(int(o, &["status", "disruptionsAllowed"])),
                age_cell,
            ]
        }
        Kind::Node => node_cells(o, now, wide),
        Kind::Namespace => vec![
            name,
            s(get_str(o, &["status", "phase"]).unwrap_or("")),
            age_cell,
        ],
        Kind::ConfigMap => {
            let n = get(o, &["data"])
                .and_then(Value::as_object)
                .map_or(0, |m| m.len())
                + get(o, &["binaryData"])
                    .and_then(Value::as_object)
                    .map_or(0, |m| m.len());
            vec![name, json!(n), age_cell]
        }
        Kind::Secret => {
            let n = get(o, &["data"])
                .and_then(Value::as_object)
                .map_or(0, |m| m.len());
            vec![
                name,
                s(get_str(o, &["type"]).unwrap_or("")),
                json!(n),
                age_cell,
            ]
        }
        Kind::ServiceAccount => vec![name, json!(get_array(o, &["secrets"]).len()), age_cell],
    }
}

/// `storageclass.kubernetes.io/is-default-class` (or its beta form) set to "true".
pub fn is_default_class(o: &Value) -> bool {
    object::annotation(o, "storageclass.kubernetes.io/is-default-class") == Some("true")
        || object::annotation(o, "storageclass.beta.kubernetes.io/is-default-class") == Some("true")
}

/// `GetPersistentVolume(Claim)Class`: the beta annotation wins over `spec.storageClassName`.
pub fn storage_class_of(o: &Value) -> String {
    if let Some(c) = object::annotation(o, "volume.beta.kubernetes.io/storage-class") {
        return c.to_string();
    }
    get_str(o, &["spec", "storageClassName"])
        .unwrap_or("")
        .to_string()
}

fn list_with_more(list: &[String]) -> String {
    const MAX: usize = 3;
    if list.len() > MAX {
        return format!("{} + {} more...", list[..MAX].join(","), list.len() - MAX);
    }
    if list.is_empty() {
        return "<unset>".to_string();
    }
    list.join(",")
}

/// `formatEndpoints`: up to three ready `ip:port`, then ` + N more...`.
fn format_endpoints(o: &Value) -> String {
    let subsets = get_array(o, &["subsets"]);
    if subsets.is_empty() {
        return "<none>".to_string();
    }
    const MAX: usize = 3;
    let mut list: Vec<String> = Vec::new();
    let mut more = false;
    let mut count = 0;
    for ss in subsets {
        let addrs = get_array(ss, &["addresses"]);
        let ports = get_array(ss, &["ports"]);
        if ports.is_empty() {
            count += addrs.len();
            for a in addrs {
                if list.len() == MAX {
                    more = true;
                    break;
                }
                list.push(get_str(a, &["ip"]).unwrap_or("").to_string());
            }
            continue;
        }
        for p in ports {
            count += addrs.len();
            for a in addrs {
                if list.len() == MAX {
                    more = true;
                    break;
                }
                let ip = get_str(a, &["ip"]).unwrap_or("");
                let port = get_i64(p, &["port"]).unwrap_or(0);
                if ip.contains(':') {
                    list.push(format!("[{ip}]:{port}"));
                } else {
                    list.push(format!("{ip}:{port}"));
                }
            }
        }
    }
    let ret = list.join(",");
    if more {
        format!("{ret} + {} more...", count - MAX)
    } else {
        ret
    }
}

fn service_ports(o: &Value) -> String {
    let ports: Vec<String> = get_array(o, &["spec", "ports"])
        .iter()
        .map(|p| {
            let port = get_i64(p, &["port"]).unwrap_or(0);
            let proto = get_str(p, &["protocol"]).unwrap_or("TCP");
            match get_i64(p, &["nodePort"]) {
                Some(np) if np != 0 => format!("{port}:{np}/{proto}"),
                _ => format!("{port}/{proto}"),
            }
        })
        .collect();
    if ports.is_empty() {
        "<none>".to_string()
    } else {
        ports.join(",")
    }
}

fn service_external_ip(o: &Value, _wide: bool) -> String {
    let external: Vec<&str> = get_array(o, &["spec", "externalIPs"])
        .iter()
        .filter_map(Value::as_str)
        .collect();
    match get_str(o, &["spec", "type"]).unwrap_or("") {
        "ClusterIP" | "NodePort" => {
            if external.is_empty() {
                "<none>".to_string()
            } else {
                external.join(",")
            }
        }
        "LoadBalancer" => {
            let lb: Vec<&str> = get_array(o, &["status", "loadBalancer", "ingress"])
                .iter()
                .filter_map(|i| get_str(i, &["ip"]).or_else(|| get_str(i, &["hostname"])))
                .collect();
            let mut all: Vec<&str> = lb.clone();
            all.extend(external.iter().copied());
            if !external.is_empty() {
                all.join(",")
            } else if !lb.is_empty() {
                lb.join(",")
            } else {
                "<pending>".to_string()
            }
        }
        "ExternalName" => get_str(o, &["spec", "externalName"])
            .unwrap_or("")
            .to_string(),
        _ => "<unknown>".to_string(),
    }
}

fn event_cells(o: &Value, now: Time, wide: bool) -> Vec<Value> {
    let first = match get_str(o, &["firstTimestamp"]) {
        Some(t) => age(Some(t), now),
        None => age(get_str(o, &["eventTime"]), now),
    };
    let mut last = match get_str(o, &["lastTimestamp"]) {
        Some(t) => age(Some(t), now),
        None => first.clone(),
    };
    let mut count = int(o, &["count"]);
    if let Some(series) = get(o, &["series"]).filter(|v| v.is_object()) {
        last = age(get_str(series, &["lastObservedTime"]), now);
        count = int(series, &["count"]);
    } else if count == 0 {
        count = 1;
    }
    let kind = get_str(o, &["involvedObject", "kind"])
        .unwrap_or("")
        .to_lowercase();
    let target = match get_str(o, &["involvedObject", "name"]) {
        Some(n) if !n.is_empty() => format!("{kind}/{n}"),
        _ => kind,
    };
    let message = get_str(o, &["message"]).unwrap_or("").trim().to_string();
    let ty = get_str(o, &["type"]).unwrap_or("");
    let reason = get_str(o, &["reason"]).unwrap_or("");
    if !wide {
        return vec![s(last), s(ty), s(reason), s(target), s(message)];
    }
    let first_non_empty = |a: Option<&str>, b: Option<&str>| -> String {
        match a {
            Some(x) if !x.is_empty() => x.to_string(),
            _ => b.unwrap_or("").to_string(),
        }
    };
    let component = first_non_empty(
        get_str(o, &["source", "component"]),
        get_str(o, &["reportingComponent"]),
    );
    let instance = first_non_empty(
        get_str(o, &["source", "host"]),
        get_str(o, &["reportingInstance"]),
    );
    let source = if instance.is_empty() {
        component
    } else {
        format!("{component}, {instance}")
    };
    vec![
        s(last),
        s(ty),
        s(reason),
        s(target),
        s(get_str(o, &["involvedObject", "fieldPath"]).unwrap_or("")),
        s(source),
        s(message),
        s(first),
        json!(count),
        s(object::name(o)),
    ]
}

fn node_cells(o: &Value, now: Time, wide: bool) -> Vec<Value> {
    let mut status: Vec<String> = Vec::new();
    if let Some(c) = get_array(o, &["status", "conditions"])
        .iter()
        .rev()
        .find(|c| get_str(c, &["type"]) == Some("Ready"))
    {
        if get_str(c, &["status"]) == Some("True") {
            status.push("Ready".into());
        } else {
            status.push("NotReady".into());
        }
    }
    if status.is_empty() {
        status.push("Unknown".into());
    }
    if get_bool(o, &["spec", "unschedulable"]).unwrap_or(false) {
        status.push("SchedulingDisabled".into());
    }
    let mut roles: Vec<String> = Vec::new();
    for (k, v) in object::labels(o) {
        if let Some(role) = k.strip_prefix("node-role.kubernetes.io/") {
            if !role.is_empty() {
                roles.push(role.to_string());
            }
        } else if k == "kubernetes.io/role" && !v.is_empty() {
            roles.push(v);
        }
    }
    kubeplay_shell::sorting::sort(&mut roles);
    roles.dedup();
    let roles = if roles.is_empty() {
        "<none>".to_string()
    } else {
        roles.join(",")
    };
    let mut cells = vec![
        s(object::name(o)),
        s(status.join(",")),
        s(roles),
        s(creation_age(o, now)),
        s(get_str(o, &["status", "nodeInfo", "kubeletVersion"]).unwrap_or("")),
    ];
    if wide {
        let addr = |t: &str| {
            get_array(o, &["status", "addresses"])
                .iter()
                .find(|a| get_str(a, &["type"]) == Some(t))
                .and_then(|a| get_str(a, &["address"]))
                .unwrap_or("<none>")
                .to_string()
        };
        let info = |f: &str| {
            get_str(o, &["status", "nodeInfo", f])
                .filter(|v| !v.is_empty())
                .unwrap_or("<unknown>")
                .to_string()
        };
        cells.extend([
            s(addr("InternalIP")),
            s(addr("ExternalIP")),
            s(info("osImage")),
            s(info("kernelVersion")),
            s(info("containerRuntimeVersion")),
        ]);
    }
    cells
}

/// True when the pod has the condition `ctype` with status True.
fn has_true_condition(pod: &Value, ctype: &str) -> bool {
    get_array(pod, &["status", "conditions"])
        .iter()
        .any(|c| get_str(c, &["type"]) == Some(ctype) && get_str(c, &["status"]) == Some("True"))
}

fn is_restartable_init(pod: &Value, name: &str) -> bool {
    get_array(pod, &["spec", "initContainers"]).iter().any(|c| {
        get_str(c, &["name"]) == Some(name) && get_str(c, &["restartPolicy"]) == Some("Always")
    })
}

fn finished_at(cs: &Value) -> Option<Time> {
    get_str(cs, &["lastState", "terminated", "finishedAt"]).and_then(Time::parse_rfc3339)
}

/// What `kubectl get pods` shows for one pod: READY, STATUS, RESTARTS (S6.3, S6.4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodSummary {
    pub ready: String,
    pub status: String,
    pub restarts: String,
}

/// `printPod`'s READY / STATUS / RESTARTS computation, in its exact order of evaluation.
pub fn pod_summary(pod: &Value, now: Time) -> PodSummary {
    let phase = get_str(pod, &["status", "phase"]).unwrap_or("");
    let status_reason = get_str(pod, &["status", "reason"]).unwrap_or("");
    let mut reason = if status_reason.is_empty() {
        phase.to_string()
    } else {
        status_reason.to_string()
    };
    for c in get_array(pod, &["status", "conditions"]) {
        if get_str(c, &["type"]) == Some("PodScheduled")
            && get_str(c, &["reason"]) == Some("SchedulingGated")
        {
            reason = "SchedulingGated".to_string();
        }
    }
    let init_specs = get_array(pod, &["spec", "initContainers"]);
    let mut total = get_array(pod, &["spec", "containers"]).len();
    total += init_specs
        .iter()
        .filter(|c| get_str(c, &["restartPolicy"]) == Some("Always"))
        .count();
    let mut ready = 0;
    let mut restarts: i64 = 0;
    let mut sidecar_restarts: i64 = 0;
    let mut last_restart: Option<Time> = None;
    let mut last_sidecar_restart: Option<Time> = None;
    let mut initializing = false;
    for (i, cs) in get_array(pod, &["status", "initContainerStatuses"])
        .iter()
        .enumerate()
    {
        let cname = get_str(cs, &["name"]).unwrap_or("");
        let rc = int(cs, &["restartCount"]);
        restarts += rc;
        if let Some(t) = finished_at(cs) {
            last_restart = last_restart.max(Some(t));
        }
        let sidecar = is_restartable_init(pod, cname);
        if sidecar {
            sidecar_restarts += rc;
            if let Some(t) = finished_at(cs) {
                last_sidecar_restart = last_sidecar_restart.max(Some(t));
            }
        }
        let terminated = get(cs, &["state", "terminated"]).filter(|v| v.is_object());
        let waiting_reason = get_str(cs, &["state", "waiting", "reason"]).unwrap_or("");
        if terminated.is_some_and(|t| int(t, &["exitCode"]) == 0) {
            continue;
        }
        if sidecar && get_bool(cs, &["started"]) == Some(true) {
            if get_bool(cs, &["ready"]) == Some(true) {
                ready += 1;
            }
            continue;
        }
        if let Some(t) = terminated {
            let r = get_str(t, &["reason"]).unwrap_or("");
            reason = if !r.is_empty() {
                format!("Init:{r}")
            } else if int(t, &["signal"]) != 0 {
                format!("Init:Signal:{}", int(t, &["signal"]))
            } else {
                format!("Init:ExitCode:{}", int(t, &["exitCode"]))
            };
        } else if !waiting_reason.is_empty() && waiting_reason != "PodInitializing" {
            reason = format!("Init:{waiting_reason}");
        } else {
            reason = format!("Init:{i}/{}", init_specs.len());
        }
        initializing = true;
        break;
    }
    if !initializing || has_true_condition(pod, "Initialized") {
        restarts = sidecar_restarts;
        last_restart = last_sidecar_restart;
        let mut has_running = false;
        for cs in get_array(pod, &["status", "containerStatuses"])
            .iter()
            .rev()
        {
            restarts += int(cs, &["restartCount"]);
            if let Some(t) = finished_at(cs) {
                last_restart = last_restart.max(Some(t));
            }
            let waiting = get_str(cs, &["state", "waiting", "reason"]).unwrap_or("");
            let terminated = get(cs, &["state", "terminated"]).filter(|v| v.is_object());
            if !waiting.is_empty() {
                reason = waiting.to_string();
            } else if let Some(t) = terminated {
                let r = get_str(t, &["reason"]).unwrap_or("");
                reason = if !r.is_empty() {
                    r.to_string()
                } else if int(t, &["signal"]) != 0 {
                    format!("Signal:{}", int(t, &["signal"]))
                } else {
                    format!("ExitCode:{}", int(t, &["exitCode"]))
                };
            } else if get_bool(cs, &["ready"]) == Some(true)
                && get(cs, &["state", "running"]).is_some_and(Value::is_object)
            {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            reason = if has_true_condition(pod, "Ready") {
                "Running".to_string()
            } else {
                "NotReady".to_string()
            };
        }
    }
    if object::is_terminating(pod) && status_reason == "NodeLost" {
        reason = "Unknown".to_string();
    } else if object::is_terminating(pod) && phase != "Succeeded" && phase != "Failed" {
        reason = "Terminating".to_string();
    }
    let restarts_text = match last_restart {
        Some(t) if restarts != 0 => {
            format!(
                "{restarts} ({} ago)",
                human_duration(now.0 as i64 - t.0 as i64)
            )
        }
        _ => restarts.to_string(),
    };
    PodSummary {
        ready: format!("{ready}/{total}"),
        status: reason,
        restarts: restarts_text,
    }
}

fn pod_cells(pod: &Value, now: Time, wide: bool) -> Vec<Value> {
    let sum = pod_summary(pod, now);
    let mut cells = vec![
        s(object::name(pod)),
        s(sum.ready),
        s(sum.status),
        s(sum.restarts),
        s(creation_age(pod, now)),
    ];
    if wide {
        let ip = get_array(pod, &["status", "podIPs"])
            .first()
            .and_then(|p| get_str(p, &["ip"]))
            .filter(|v| !v.is_empty())
            .unwrap_or("<none>");
        let node = get_str(pod, &["spec", "nodeName"])
            .filter(|v| !v.is_empty())
            .unwrap_or("<none>");
        let nominated = get_str(pod, &["status", "nominatedNodeName"])
            .filter(|v| !v.is_empty())
            .unwrap_or("<none>");
        let gates = get_array(pod, &["spec", "readinessGates"]);
        let gates_text = if gates.is_empty() {
            "<none>".to_string()
        } else {
            let conds = get_array(pod, &["status", "conditions"]);
            let trues = gates
                .iter()
                .filter(|g| {
                    let t = get_str(g, &["conditionType"]);
                    conds
                        .iter()
                        .find(|c| get_str(c, &["type"]) == t)
                        .is_some_and(|c| get_str(c, &["status"]) == Some("True"))
                })
                .count();
            format!("{trues}/{}", gates.len())
        };
        cells.extend([s(ip), s(node), s(nominated), s(gates_text)]);
    }
    cells
}

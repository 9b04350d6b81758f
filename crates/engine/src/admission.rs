//! Admission plugins the simulated API server runs after defaulting and validation, in the
//! order kube-apiserver's default plugin list runs the ones kubeplay models:
//! ServiceAccount, Priority, DefaultTolerationSeconds, DefaultStorageClass,
//! StorageObjectInUseProtection, plus the Service REST storage's ClusterIP and NodePort
//! allocators (which in kube-apiserver live in the service registry, not in a plugin).
//!
//! Admission only mutates the object being written or rejects it; it never writes other
//! objects. Namespace lifecycle (no creates in a terminating namespace) is checked in `api.rs`.

use crate::api::Api;
use crate::error::{ApiError, ApiResult, FieldError, FieldErrorKind};
use crate::kinds::Kind;
use crate::object;
use serde_json::{json, Map, Value};
use std::collections::BTreeSet;
use std::sync::OnceLock;

/// Where the ServiceAccount admission plugin mounts the projected API token.
pub const SERVICE_ACCOUNT_MOUNT_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
pub const FINALIZER_PVC_PROTECTION: &str = "kubernetes.io/pvc-protection";
pub const FINALIZER_PV_PROTECTION: &str = "kubernetes.io/pv-protection";
/// The StorageClass annotation that marks the default class.
pub const DEFAULT_CLASS_ANNOTATION: &str = "storageclass.kubernetes.io/is-default-class";
const DEFAULT_CLASS_ANNOTATION_BETA: &str = "storageclass.beta.kubernetes.io/is-default-class";
/// The legacy class annotation that still counts as "a class was chosen".
pub const BETA_STORAGE_CLASS_ANNOTATION: &str = "volume.beta.kubernetes.io/storage-class";

/// The service CIDR (`--service-cluster-ip-range`), 10.96.0.0/12.
const SERVICE_CIDR_BASE: u32 = (10 << 24) | (96 << 16);
const SERVICE_CIDR_BITS: u32 = 12;
pub const SERVICE_CIDR: &str = "10.96.0.0/12";
/// The node port range (`--service-node-port-range`).
pub const NODE_PORT_MIN: i64 = 30000;
pub const NODE_PORT_MAX: i64 = 32767;

pub fn admit_create(api: &mut Api, kind: Kind, obj: &mut Value) -> ApiResult<()> {
    match kind {
        Kind::Pod => {
            // The plugins' new spec fields go in together, in one pass over the spec map: no
            // plugin reads a field an earlier one writes.
            let mut writes = Vec::with_capacity(6);
            service_account(api, obj, &mut writes)?;
            priority(obj, &mut writes)?;
            default_toleration_seconds(obj, &mut writes);
            set_spec_fields(obj, writes);
        }
        Kind::PersistentVolumeClaim => {
            default_storage_class(api, obj);
            add_finalizer(obj, FINALIZER_PVC_PROTECTION);
        }
        Kind::PersistentVolume => add_finalizer(obj, FINALIZER_PV_PROTECTION),
        Kind::Service => allocate_service(api, None, obj)?,
        _ => {}
    }
    Ok(())
}

pub fn admit_update(api: &mut Api, kind: Kind, old: &Value, new: &mut Value) -> ApiResult<()> {
    if kind == Kind::Service {
        allocate_service(api, Some(old), new)?;
    }
    Ok(())
}

fn add_finalizer(obj: &mut Value, finalizer: &str) {
    let mut fins = object::finalizers(obj);
    if !fins.iter().any(|f| f == finalizer) {
        fins.push(finalizer.to_string());
        object::set(obj, &["metadata", "finalizers"], json!(fins));
    }
}

/// `pods "x" is forbidden: <why>`
fn pod_forbidden(obj: &Value, why: &str) -> ApiError {
    ApiError::forbidden(format!(
        "pods \"{}\" is forbidden: {why}",
        object::name(obj)
    ))
}

/// The ServiceAccount plugin: defaults the account to `default`, and mounts the projected
/// `kube-api-access-<5>` token volume into every container unless automount is off.
fn service_account(api: &mut Api, pod: &mut Value, writes: &mut SpecWrites) -> ApiResult<()> {
    if object::annotation(pod, "kubernetes.io/config.mirror").is_some() {
        return Ok(());
    }
    let name = [
        object::get_str(pod, &["spec", "serviceAccountName"]),
        object::get_str(pod, &["spec", "serviceAccount"]),
    ]
    .into_iter()
    .flatten()
    .find(|s| !s.is_empty())
    .unwrap_or("default")
    .to_string();
    let ns = object::namespace(pod);
    let sa = api.try_get(Kind::ServiceAccount, ns, &name).cloned();
    // The `default` account is created by the serviceaccount controller moments after a
    // namespace appears; kubeplay does not make a pod wait for it, so only a named account
    // that does not exist is an error.
    if sa.is_none() && name != "default" {
        return Err(pod_forbidden(
            pod,
            &format!(
                "error looking up service account {ns}/{name}: serviceaccount \"{name}\" not found"
            ),
        ));
    }
    writes.push(("serviceAccountName", Value::String(name.clone())));
    writes.push(("serviceAccount", Value::String(name)));
    let automount = object::get_bool(pod, &["spec", "automountServiceAccountToken"])
        .or_else(|| {
            sa.as_deref()
                .and_then(|s| object::get_bool(s, &["automountServiceAccountToken"]))
        })
        .unwrap_or(true);
    if !automount {
        return Ok(());
    }
    let mut volume_name = String::with_capacity(21);
    volume_name.push_str("kube-api-access-");
    volume_name.push_str(&api.rng.name_suffix(5));
    // One mount for every container: the copies share its map (copy on write).
    let mount = {
        let mut m = Map::new();
        m.insert("mountPath".into(), Value::from(SERVICE_ACCOUNT_MOUNT_PATH));
        m.insert("name".into(), Value::String(volume_name.clone()));
        m.insert("readOnly".into(), Value::Bool(true));
        Value::Object(m)
    };
    let mut mounted_any = false;
    for list in ["initContainers", "containers"] {
        // Changed in place: copying the containers to change one list in each costs a pod
        // create more than the rest of admission.
        let Some(containers) = pod
            .get_mut("spec")
            .and_then(|s| s.get_mut(list))
            .and_then(Value::as_array_mut)
        else {
            continue;
        };
        for c in containers.iter_mut() {
            let has_mount = object::get_array(c, &["volumeMounts"])
                .iter()
                .any(|m| object::get_str(m, &["mountPath"]) == Some(SERVICE_ACCOUNT_MOUNT_PATH));
            if has_mount {
                continue;
            }
            match c {
                Value::Object(m) if matches!(m.get("volumeMounts"), Some(Value::Array(_))) => {
                    if let Some(Value::Array(mounts)) = m.get_mut("volumeMounts") {
                        mounts.push(mount.clone());
                    }
                }
                // A container copied from a template shares its map: built anew with room
                // for the mount, rather than copied and then grown.
                Value::Object(m) => {
                    let mut with_mount: Vec<(String, Value)> = Vec::with_capacity(m.len() + 1);
                    let mut mounts = Some(Value::Array(vec![mount.clone()]));
                    for (k, v) in m.iter() {
                        if k.as_str() == "volumeMounts" {
                            continue;
                        }
                        if k.as_str() > "volumeMounts" {
                            if let Some(l) = mounts.take() {
                                with_mount.push(("volumeMounts".into(), l));
                            }
                        }
                        with_mount.push((k.clone(), v.clone()));
                    }
                    if let Some(l) = mounts {
                        with_mount.push(("volumeMounts".into(), l));
                    }
                    // In key order: the map takes the vector as it is.
                    *m = with_mount.into_iter().collect();
                }
                _ => continue,
            }
            mounted_any = true;
        }
    }
    if mounted_any {
        let mut volume = Map::new();
        volume.insert("name".into(), Value::String(volume_name));
        volume.insert("projected".into(), api_access_projection().clone());
        let volume = Value::Object(volume);
        match pod
            .get_mut("spec")
            .and_then(Value::as_object_mut)
            .map(|spec| spec.get_mut("volumes"))
        {
            Some(Some(Value::Array(volumes))) => volumes.push(volume),
            _ => writes.push(("volumes", Value::Array(vec![volume]))),
        }
    }
    Ok(())
}

/// Spec fields to set (`object::set(pod, &["spec", field], value)`), in the order set.
type SpecWrites = Vec<(&'static str, Value)>;

/// Sets `writes` in the pod's spec: merged into the spec map in one pass, which takes each
/// entry once (a set field by field searches, shifts and names each new key on its own).
fn set_spec_fields(pod: &mut Value, mut writes: SpecWrites) {
    let Some(Value::Object(spec)) = pod.get_mut("spec") else {
        for (field, value) in writes {
            object::set(pod, &["spec", field], value);
        }
        return;
    };
    // Each plugin sets distinct fields, so the order of the writes does not matter.
    writes.sort_by_key(|(field, _)| *field);
    object::merge_sorted(spec, writes);
}

/// The `projected` source of the `kube-api-access-*` volume: the same for every pod, so it is
/// built once and shared by every pod that mounts it (maps are copy on write).
fn api_access_projection() -> &'static Value {
    static PROJECTION: OnceLock<Value> = OnceLock::new();
    PROJECTION.get_or_init(|| {
        json!({
            "defaultMode": 420,
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
                {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}, "path": "namespace"}]}}
            ]
        })
    })
}

/// The Priority plugin: resolves `priorityClassName` to `spec.priority` and sets the
/// preemption policy. kubeplay serves no PriorityClass objects, so only the two built-in
/// system classes resolve and there is no global default class.
fn priority(pod: &mut Value, writes: &mut SpecWrites) -> ApiResult<()> {
    let class = object::get_str(pod, &["spec", "priorityClassName"])
        .unwrap_or("")
        .to_string();
    let value = match class.as_str() {
        "" => 0,
        "system-cluster-critical" => 2_000_000_000,
        "system-node-critical" => 2_000_001_000,
        other => {
            return Err(pod_forbidden(
                pod,
                &format!("no PriorityClass with name {other} was found"),
            ))
        }
    };
    if let Some(given) = object::get_i64(pod, &["spec", "priority"]) {
        if given != value {
            return Err(pod_forbidden(
                pod,
                &format!(
                    "the integer value of priority ({given}) must not be provided in pod spec; priority admission controller computed {value} from the given PriorityClass name"
                ),
            ));
        }
    }
    writes.push(("priority", json!(value)));
    if object::get_str(pod, &["spec", "preemptionPolicy"]).is_none() {
        writes.push(("preemptionPolicy", json!("PreemptLowerPriority")));
    }
    Ok(())
}

/// DefaultTolerationSeconds: every pod tolerates `not-ready` and `unreachable` NoExecute
/// taints for 300 s unless it already says otherwise (spec S8.6).
fn default_toleration_seconds(pod: &Value, writes: &mut SpecWrites) {
    // The two tolerations are the same for every pod: built once, shared (copy on write).
    static DEFAULTS: OnceLock<[(&str, Value); 2]> = OnceLock::new();
    let defaults = DEFAULTS.get_or_init(|| {
        ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"].map(|key| {
            (
                key,
                json!({"effect": "NoExecute", "key": key, "operator": "Exists", "tolerationSeconds": 300}),
            )
        })
    });
    let tolerations = object::get_array(pod, &["spec", "tolerations"]);
    let covers = |key: &str| {
        tolerations.iter().any(|t| {
            let k = object::get_str(t, &["key"]).unwrap_or("");
            let e = object::get_str(t, &["effect"]).unwrap_or("");
            (k == key || k.is_empty()) && (e == "NoExecute" || e.is_empty())
        })
    };
    let missing: Vec<&Value> = defaults
        .iter()
        .filter(|(key, _)| !covers(key))
        .map(|(_, toleration)| toleration)
        .collect();
    if !missing.is_empty() {
        let mut added = Vec::with_capacity(tolerations.len() + missing.len());
        added.extend_from_slice(tolerations);
        added.extend(missing.into_iter().cloned());
        writes.push(("tolerations", Value::Array(added)));
    }
}

/// The class a StorageClass-less claim gets: the newest class marked default (by name when
/// two were created at the same moment), as DefaultStorageClass picks since 1.26.
pub fn default_storage_class(api: &Api, pvc: &mut Value) {
    if object::get(pvc, &["spec", "storageClassName"]).is_some_and(|v| !v.is_null())
        || object::annotation(pvc, BETA_STORAGE_CLASS_ANNOTATION).is_some()
    {
        return;
    }
    // The old `volume.alpha.kubernetes.io/storage-class` annotation (seen in the 2016-era
    // StatefulSet tutorial) has been ignored since 1.6, so such claims get the default class.
    if let Some(class) = default_class_name(api) {
        object::set(pvc, &["spec", "storageClassName"], json!(class));
    }
}

/// The name of the default StorageClass, if one is marked.
pub fn default_class_name(api: &Api) -> Option<String> {
    let mut best: Option<(String, String)> = None;
    for sc in api.list(Kind::StorageClass, None, &crate::Selector::everything()) {
        let marked = object::annotation(&sc, DEFAULT_CLASS_ANNOTATION) == Some("true")
            || object::annotation(&sc, DEFAULT_CLASS_ANNOTATION_BETA) == Some("true");
        if !marked {
            continue;
        }
        let created = object::get_str(&sc, &["metadata", "creationTimestamp"])
            .unwrap_or("")
            .to_string();
        let name = object::name(&sc).to_string();
        let newer = match &best {
            None => true,
            Some((c, n)) => created > *c || (created == *c && name < *n),
        };
        if newer {
            best = Some((created, name));
        }
    }
    best.map(|(_, n)| n)
}

fn ip_to_string(ip: u32) -> String {
    format!(
        "{}.{}.{}.{}",
        ip >> 24,
        (ip >> 16) & 0xff,
        (ip >> 8) & 0xff,
        ip & 0xff
    )
}

fn parse_ipv4(s: &str) -> Option<u32> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut ip = 0u32;
    for p in parts {
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        ip = (ip << 8) | p.parse::<u8>().ok()? as u32;
    }
    Some(ip)
}

fn in_service_cidr(ip: u32) -> bool {
    ip >> (32 - SERVICE_CIDR_BITS) == SERVICE_CIDR_BASE >> (32 - SERVICE_CIDR_BITS)
}

fn invalid_service(svc: &Value, field: &str, rendered: String, detail: String) -> ApiError {
    ApiError::invalid(
        Kind::Service,
        object::name(svc),
        vec![FieldError {
            field: field.to_string(),
            kind: FieldErrorKind::Invalid(rendered),
            detail,
        }],
    )
}

/// ClusterIPs and node ports held by Services other than `except` (namespace, name).
fn allocated(api: &Api, except: (&str, &str)) -> (BTreeSet<String>, BTreeSet<i64>) {
    let mut ips = BTreeSet::new();
    let mut ports = BTreeSet::new();
    for s in api.list(Kind::Service, None, &crate::Selector::everything()) {
        if (object::namespace(&s), object::name(&s)) == except {
            continue;
        }
        for ip in object::get_array(&s, &["spec", "clusterIPs"]) {
            if let Some(ip) = ip.as_str() {
                ips.insert(ip.to_string());
            }
        }
        if let Some(ip) = object::get_str(&s, &["spec", "clusterIP"]) {
            ips.insert(ip.to_string());
        }
        for p in object::get_array(&s, &["spec", "ports"]) {
            if let Some(np) = object::get_i64(p, &["nodePort"]) {
                ports.insert(np);
            }
        }
    }
    (ips, ports)
}

/// The Service registry's allocators: a ClusterIP from 10.96.0.0/12 (never one in use; the
/// dynamic range skips the low band kept for static addresses), `clusterIPs` mirroring it,
/// single-stack IPv4 families, and node ports 30000–32767 for NodePort and LoadBalancer.
/// On update, addresses and ports the client left out are kept from the stored object.
fn allocate_service(api: &mut Api, old: Option<&Value>, svc: &mut Value) -> ApiResult<()> {
    let ty = object::get_str(svc, &["spec", "type"])
        .unwrap_or("ClusterIP")
        .to_string();
    let ns = object::namespace(svc).to_string();
    let name = object::name(svc).to_string();
    let (used_ips, used_ports) = allocated(api, (&ns, &name));

    if ty == "ExternalName" {
        for f in ["clusterIP", "clusterIPs", "ipFamilies", "ipFamilyPolicy"] {
            object::remove(svc, &["spec", f]);
        }
    } else {
        let mut ip = object::get_str(svc, &["spec", "clusterIP"])
            .unwrap_or("")
            .to_string();
        if ip.is_empty() {
            ip = object::get_array(svc, &["spec", "clusterIPs"])
                .first()
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string();
        }
        if ip.is_empty() {
            if let Some(o) = old {
                ip = object::get_str(o, &["spec", "clusterIP"])
                    .unwrap_or("")
                    .to_string();
            }
        }
        let old_ip = old.and_then(|o| object::get_str(o, &["spec", "clusterIP"]));
        if ip.is_empty() {
            ip = allocate_ip(api, &used_ips);
        } else if ip != "None" && old_ip != Some(ip.as_str()) {
            let rendered = format!("[]string{{{ip:?}}}");
            match parse_ipv4(&ip) {
                Some(addr) if in_service_cidr(addr) => {
                    if used_ips.contains(&ip) {
                        return Err(invalid_service(
                            svc,
                            "spec.clusterIPs",
                            rendered,
                            format!("failed to allocate IP {ip}: provided IP is already allocated"),
                        ));
                    }
                }
                Some(_) => {
                    return Err(invalid_service(
                        svc,
                        "spec.clusterIPs",
                        rendered,
                        format!(
                            "failed to allocate IP {ip}: the provided IP ({ip}) is not in the valid range. The range of valid IPs is {SERVICE_CIDR}"
                        ),
                    ))
                }
                None => {
                    return Err(invalid_service(
                        svc,
                        "spec.clusterIPs[0]",
                        format!("{ip:?}"),
                        "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"
                            .to_string(),
                    ))
                }
            }
        }
        object::set(svc, &["spec", "clusterIP"], json!(ip));
        object::set(svc, &["spec", "clusterIPs"], json!([ip]));
        let headless_without_selector = ip == "None"
            && object::get(svc, &["spec", "selector"])
                .and_then(Value::as_object)
                .is_none_or(|m| m.is_empty());
        if object::get(svc, &["spec", "ipFamilyPolicy"]).is_none() {
            let policy = match old.and_then(|o| object::get_str(o, &["spec", "ipFamilyPolicy"])) {
                Some(p) => p.to_string(),
                // Headless services without a selector default to RequireDualStack.
                None if headless_without_selector => "RequireDualStack".to_string(),
                None => "SingleStack".to_string(),
            };
            object::set(svc, &["spec", "ipFamilyPolicy"], json!(policy));
        }
        if object::get(svc, &["spec", "ipFamilies"]).is_none() {
            object::set(svc, &["spec", "ipFamilies"], json!(["IPv4"]));
        }
    }

    let wants_node_ports = matches!(ty.as_str(), "NodePort" | "LoadBalancer")
        && !(ty == "LoadBalancer"
            && object::get_bool(svc, &["spec", "allocateLoadBalancerNodePorts"]) == Some(false));
    let old_ports = old
        .map(|o| object::get_array(o, &["spec", "ports"]).to_vec())
        .unwrap_or_default();
    let mut ports = object::get_array(svc, &["spec", "ports"]).to_vec();
    let mut taken = used_ports;
    for (i, p) in ports.iter_mut().enumerate() {
        let given = object::get_i64(p, &["nodePort"]);
        let previous = old_ports
            .iter()
            .find(|op| {
                object::get_i64(op, &["port"]) == object::get_i64(p, &["port"])
                    && object::get_str(op, &["protocol"]).unwrap_or("TCP")
                        == object::get_str(p, &["protocol"]).unwrap_or("TCP")
            })
            .and_then(|op| object::get_i64(op, &["nodePort"]));
        if !wants_node_ports {
            // Switching away from NodePort releases ports the client did not set anew.
            if given.is_some() && given == previous {
                if let Some(m) = p.as_object_mut() {
                    m.remove("nodePort");
                }
            }
            continue;
        }
        let port = match given.or(previous) {
            Some(np) => {
                if given.is_some() && given != previous {
                    let field = format!("spec.ports[{i}].nodePort");
                    if !(NODE_PORT_MIN..=NODE_PORT_MAX).contains(&np) {
                        return Err(invalid_service(
                            svc,
                            &field,
                            np.to_string(),
                            format!("provided port is not in the valid range. The range of valid ports is {NODE_PORT_MIN}-{NODE_PORT_MAX}"),
                        ));
                    }
                    if taken.contains(&np) {
                        return Err(invalid_service(
                            svc,
                            &field,
                            np.to_string(),
                            "provided port is already allocated".to_string(),
                        ));
                    }
                }
                np
            }
            None => allocate_node_port(api, &taken),
        };
        taken.insert(port);
        if let Some(m) = p.as_object_mut() {
            m.insert("nodePort".into(), json!(port));
        }
    }
    if !ports.is_empty() {
        object::set(svc, &["spec", "ports"], Value::Array(ports));
    }
    Ok(())
}

fn allocate_ip(api: &mut Api, used: &BTreeSet<String>) -> String {
    let size: u64 = 1 << (32 - SERVICE_CIDR_BITS);
    // Dynamic allocation draws from above the static band (min(max(16, size/16), 256)).
    let low = (size / 16).clamp(16, 256);
    for _ in 0..10_000 {
        let off = api.rng.range(low, size - 2) as u32;
        let ip = ip_to_string(SERVICE_CIDR_BASE + off);
        if !used.contains(&ip) {
            return ip;
        }
    }
    // The range is effectively never full in a playground; fall back to a linear scan.
    (1..size - 1)
        .map(|off| ip_to_string(SERVICE_CIDR_BASE + off as u32))
        .find(|ip| !used.contains(ip))
        .unwrap_or_else(|| ip_to_string(SERVICE_CIDR_BASE + 1))
}

fn allocate_node_port(api: &mut Api, used: &BTreeSet<i64>) -> i64 {
    for _ in 0..10_000 {
        let p = api.rng.range(NODE_PORT_MIN as u64, NODE_PORT_MAX as u64) as i64;
        if !used.contains(&p) {
            return p;
        }
    }
    (NODE_PORT_MIN..=NODE_PORT_MAX)
        .find(|p| !used.contains(p))
        .unwrap_or(NODE_PORT_MIN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Cluster, Config};

    fn cluster() -> Cluster {
        Cluster::new(Config::default())
    }

    fn pod(name: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": name, "namespace": "default"},
               "spec": {"containers": [{"name": "nginx", "image": "nginx"}],
                        "initContainers": [{"name": "init", "image": "busybox"}]}})
    }

    #[test]
    fn pods_get_service_account_token_tolerations_and_priority() {
        let mut c = cluster();
        let p = c.api.create(pod("web-0")).unwrap();
        assert_eq!(
            object::get_str(&p, &["spec", "serviceAccountName"]),
            Some("default")
        );
        assert_eq!(
            object::get_str(&p, &["spec", "serviceAccount"]),
            Some("default")
        );
        let vols = object::get_array(&p, &["spec", "volumes"]);
        assert_eq!(vols.len(), 1);
        let vname = object::get_str(&vols[0], &["name"]).unwrap();
        assert!(vname.starts_with("kube-api-access-") && vname.len() == 21);
        assert_eq!(
            object::get_str(
                &vols[0],
                &["projected", "sources", "1", "configMap", "name"]
            ),
            Some("kube-root-ca.crt")
        );
        for list in ["containers", "initContainers"] {
            let m = &object::get_array(&p, &["spec", list, "0", "volumeMounts"])[0];
            assert_eq!(m["mountPath"], SERVICE_ACCOUNT_MOUNT_PATH);
            assert_eq!(m["name"], vname);
            assert_eq!(m["readOnly"], true);
        }
        let tol = object::get_array(&p, &["spec", "tolerations"]);
        assert_eq!(tol.len(), 2);
        assert_eq!(tol[0]["key"], "node.kubernetes.io/not-ready");
        assert_eq!(tol[1]["key"], "node.kubernetes.io/unreachable");
        assert_eq!(tol[1]["tolerationSeconds"], 300);
        assert_eq!(object::get_i64(&p, &["spec", "priority"]), Some(0));
        assert_eq!(
            object::get_str(&p, &["spec", "preemptionPolicy"]),
            Some("PreemptLowerPriority")
        );
    }

    #[test]
    fn automount_off_and_existing_tolerations_are_respected() {
        let mut c = cluster();
        let mut p = pod("a");
        p["spec"]["automountServiceAccountToken"] = json!(false);
        p["spec"]["tolerations"] = json!([{"operator": "Exists"}]);
        let p = c.api.create(p).unwrap();
        assert!(object::get(&p, &["spec", "volumes"]).is_none());
        assert_eq!(object::get_array(&p, &["spec", "tolerations"]).len(), 1);
    }

    #[test]
    fn missing_named_service_account_and_priority_class_are_forbidden() {
        let mut c = cluster();
        let mut p = pod("a");
        p["spec"]["serviceAccountName"] = json!("robot");
        let e = c.api.create(p).unwrap_err();
        assert_eq!(e.code, 403);
        assert_eq!(
            e.message,
            "pods \"a\" is forbidden: error looking up service account default/robot: serviceaccount \"robot\" not found"
        );
        let mut p = pod("b");
        p["spec"]["priorityClassName"] = json!("gold");
        let e = c.api.create(p).unwrap_err();
        assert_eq!(
            e.message,
            "pods \"b\" is forbidden: no PriorityClass with name gold was found"
        );
    }

    #[test]
    fn claims_get_the_default_class_and_protection_finalizers() {
        let mut c = cluster();
        let pvc = |name: &str, extra: Value| {
            let mut v = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": {"name": name, "namespace": "default"},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}});
            crate::patch::merge_patch(&mut v, &extra);
            v
        };
        // The tutorial's alpha annotation is ignored: the claim gets the default class.
        let a = c
            .api
            .create(pvc(
                "www-web-0",
                json!({"metadata": {"annotations": {"volume.alpha.kubernetes.io/storage-class": "anything"}}}),
            ))
            .unwrap();
        assert_eq!(
            object::get_str(&a, &["spec", "storageClassName"]),
            Some("standard")
        );
        assert_eq!(object::finalizers(&a), [FINALIZER_PVC_PROTECTION]);
        let b = c
            .api
            .create(pvc(
                "beta",
                json!({"metadata": {"annotations": {BETA_STORAGE_CLASS_ANNOTATION: "slow"}}}),
            ))
            .unwrap();
        assert!(object::get(&b, &["spec", "storageClassName"]).is_none());
        let e = c
            .api
            .create(pvc("empty", json!({"spec": {"storageClassName": ""}})))
            .unwrap();
        assert_eq!(object::get_str(&e, &["spec", "storageClassName"]), Some(""));
        let pv = c
            .api
            .create(json!({"apiVersion": "v1", "kind": "PersistentVolume",
                "metadata": {"name": "pv1"}, "spec": {"capacity": {"storage": "1Gi"}}}))
            .unwrap();
        assert_eq!(object::finalizers(&pv), [FINALIZER_PV_PROTECTION]);
    }

    fn svc(name: &str, spec: Value) -> Value {
        json!({"apiVersion": "v1", "kind": "Service",
               "metadata": {"name": name, "namespace": "default"}, "spec": spec})
    }

    #[test]
    fn services_get_unique_cluster_ips_and_node_ports() {
        let mut c = cluster();
        let mut ips = BTreeSet::new();
        for i in 0..20 {
            let s = c
                .api
                .create(svc(
                    &format!("s{i}"),
                    json!({"ports": [{"port": 80}], "type": "NodePort"}),
                ))
                .unwrap();
            let ip = object::get_str(&s, &["spec", "clusterIP"])
                .unwrap()
                .to_string();
            let addr = parse_ipv4(&ip).unwrap();
            assert!(
                in_service_cidr(addr) && addr >= SERVICE_CIDR_BASE + 256,
                "{ip}"
            );
            assert_eq!(s["spec"]["clusterIPs"], json!([ip]));
            assert_eq!(s["spec"]["ipFamilies"], json!(["IPv4"]));
            assert_eq!(s["spec"]["ipFamilyPolicy"], "SingleStack");
            let np = object::get_i64(&s, &["spec", "ports", "0", "nodePort"]).unwrap();
            assert!((NODE_PORT_MIN..=NODE_PORT_MAX).contains(&np));
            assert!(ips.insert(ip));
        }
        let h = c
            .api
            .create(svc(
                "nginx",
                json!({"clusterIP": "None", "selector": {"app": "nginx"}, "ports": [{"port": 80}]}),
            ))
            .unwrap();
        assert_eq!(h["spec"]["clusterIPs"], json!(["None"]));
        let e = c
            .api
            .create(svc(
                "dup",
                json!({"clusterIP": "10.96.0.10", "ports": [{"port": 53}]}),
            ))
            .unwrap_err();
        assert_eq!(
            e.message,
            "Service \"dup\" is invalid: spec.clusterIPs: Invalid value: []string{\"10.96.0.10\"}: failed to allocate IP 10.96.0.10: provided IP is already allocated"
        );
        // An update that leaves the address out keeps it.
        let s0 = c.api.get(Kind::Service, "default", "s0").unwrap();
        let mut upd = (*s0).clone();
        object::remove(&mut upd, &["spec", "clusterIP"]);
        object::remove(&mut upd, &["spec", "clusterIPs"]);
        object::remove(&mut upd, &["spec", "ports", "0", "nodePort"]);
        let after = c.api.update(upd).unwrap();
        assert_eq!(after["spec"]["clusterIP"], s0["spec"]["clusterIP"]);
        assert_eq!(after["spec"]["ports"], s0["spec"]["ports"]);
    }

    #[test]
    fn mounts_join_existing_lists_and_keep_the_other_container_fields() {
        let mut c = cluster();
        let mut p = pod("a");
        p["spec"]["containers"] = json!([
            {"name": "one", "image": "nginx", "workingDir": "/w",
             "volumeMounts": [{"name": "data", "mountPath": "/data"}]},
            {"name": "two", "image": "nginx", "workingDir": "/w", "volumeMounts": null}
        ]);
        p["spec"]["volumes"] = json!([{"name": "data", "emptyDir": {}}]);
        p["spec"]["tolerations"] = json!([{"key": "node.kubernetes.io/unreachable",
            "operator": "Exists", "effect": "NoExecute"}]);
        let p = c.api.create(p).unwrap();
        let vols = object::get_array(&p, &["spec", "volumes"]);
        assert_eq!(vols.len(), 2);
        assert_eq!(vols[0]["name"], "data");
        let vname = vols[1]["name"].as_str().unwrap();
        let one = &p["spec"]["containers"][0];
        assert_eq!(one["volumeMounts"][0]["name"], "data");
        assert_eq!(one["volumeMounts"][1]["name"], vname);
        let two = &p["spec"]["containers"][1];
        assert_eq!(two["volumeMounts"].as_array().map(Vec::len), Some(1));
        assert_eq!(two["workingDir"], "/w");
        // The given toleration is kept first; only the missing default is added.
        let tol = object::get_array(&p, &["spec", "tolerations"]);
        assert_eq!(tol.len(), 2);
        assert_eq!(tol[1]["key"], "node.kubernetes.io/not-ready");
        assert_eq!(p["spec"]["serviceAccountName"], "default");
        assert_eq!(p["spec"]["priority"], 0);
    }
}

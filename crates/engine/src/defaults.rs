//! Defaulting as the API server does it when an object is decoded (spec §1.2–§1.5): the
//! `SetDefaults_*` functions of `pkg/apis/{core,apps}/v1/defaults.go` (and the deprecated
//! `apps/v1beta1`/`v1beta2` ones), plus the few fields the pod and claim strategies fill in on
//! create (`status.phase: Pending`, `qosClass`).
//!
//! Defaulting only ever *adds* missing fields; it never rejects anything (that is
//! `validation.rs`) and never allocates cluster resources (cluster IPs, node ports: admission).
//! It must be idempotent, because it runs again on every update.

use crate::kinds::Kind;
use crate::object;
use serde_json::{json, Map, Value};

/// Fills in defaults for `obj` of `kind`; `legacy_version` is e.g. `apps/v1beta1` when the
/// object was sent in a deprecated version whose defaults differ.
pub fn apply(kind: Kind, obj: &mut Value, legacy_version: Option<&str>) {
    if !obj.is_object() {
        return;
    }
    match kind {
        Kind::Pod => pod(obj),
        Kind::StatefulSet => stateful_set(obj, legacy_version),
        Kind::Deployment => deployment(obj),
        Kind::ReplicaSet => {
            default_field(obj, &["spec", "replicas"], || json!(1));
            template(obj);
        }
        Kind::DaemonSet => daemon_set(obj),
        Kind::Service => service(obj),
        Kind::PersistentVolumeClaim => claim(obj),
        Kind::PersistentVolume => persistent_volume(obj),
        Kind::Secret => secret(obj),
        _ => {}
    }
}

/// `SetDefaults_Secret` (type Opaque) and the v1 → internal conversion, which writes
/// `stringData` into `data` (base64, overwriting same keys) and drops it.
fn secret(obj: &mut Value) {
    default_field(obj, &["type"], || json!("Opaque"));
    let Some(string_data) = obj.as_object_mut().and_then(|m| m.remove("stringData")) else {
        return;
    };
    if let Value::Object(m) = string_data {
        for (k, v) in m {
            let text = v.as_str().unwrap_or_default();
            object::set(obj, &["data", &k], json!(object::base64(text.as_bytes())));
        }
    }
}

/// Sets the field at `path` to `value()` unless it holds a non-null value (the default is
/// built only when it is needed: most writes carry their defaults already).
fn default_field(obj: &mut Value, path: &[&str], value: impl FnOnce() -> Value) {
    match object::get(obj, path) {
        Some(v) if !v.is_null() => {}
        _ => object::set(obj, path, value()),
    }
}

/// Iterates the objects of an array field, mutably; a missing or mistyped field yields nothing.
fn each_mut<'a>(obj: &'a mut Value, key: &str) -> impl Iterator<Item = &'a mut Value> {
    obj.get_mut(key)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter(|v| v.is_object())
}

// ---------------------------------------------------------------------------------------------
// core/v1: pods and pod templates

/// `SetDefaults_Pod` + `SetDefaults_PodSpec` + the pod strategy's `PrepareForCreate` status.
fn pod(obj: &mut Value) {
    if let Some(spec) = obj.get_mut("spec").filter(|s| s.is_object()) {
        pod_spec(spec);
        // SetDefaults_Pod: only real pods (not templates) get these.
        default_field(spec, &["enableServiceLinks"], || json!(true));
        for c in each_mut(spec, "containers") {
            requests_from_limits(c);
        }
        for c in each_mut(spec, "initContainers") {
            requests_from_limits(c);
        }
    }
    if object::get_str(obj, &["status", "phase"]).is_none_or(str::is_empty) {
        let qos = qos_class(obj);
        match obj.as_object_mut() {
            // A new pod has no status: built whole, in key order (the map takes the vector).
            Some(m) if !m.contains_key("status") => {
                let status: Map<String, Value> = vec![
                    ("phase".to_string(), json!("Pending")),
                    ("qosClass".to_string(), json!(qos)),
                ]
                .into_iter()
                .collect();
                m.insert("status".into(), Value::Object(status));
            }
            _ => {
                object::set(obj, &["status", "phase"], json!("Pending"));
                object::set(obj, &["status", "qosClass"], json!(qos));
            }
        }
    }
}

/// SetDefaults_Pod: a container with limits but no requests requests its limits.
fn requests_from_limits(c: &mut Value) {
    let limits = match object::get(c, &["resources", "limits"]).and_then(Value::as_object) {
        Some(l) => l.clone(),
        None => return,
    };
    for (k, v) in limits {
        default_field(c, &["resources", "requests", &k], || v);
    }
}

/// `qos.GetPodQOS`, enough for `kubectl describe` and `-o yaml`: BestEffort without any
/// requests or limits, Guaranteed when every container limits cpu and memory equal to its
/// requests, Burstable otherwise.
pub fn qos_class(pod: &Value) -> &'static str {
    let spec = pod.get("spec");
    let list = |name: &str| {
        spec.and_then(|s| s.get(name))
            .and_then(Value::as_array)
            .map_or(&[][..], Vec::as_slice)
    };
    let (containers, init) = (list("containers"), list("initContainers"));
    let mut any = false;
    let mut guaranteed = !containers.is_empty() || !init.is_empty();
    for c in containers.iter().chain(init) {
        let req = object::get(c, &["resources", "requests"]).and_then(Value::as_object);
        let lim = object::get(c, &["resources", "limits"]).and_then(Value::as_object);
        if req.is_some_and(|m| !m.is_empty()) || lim.is_some_and(|m| !m.is_empty()) {
            any = true;
        }
        for r in ["cpu", "memory"] {
            let l = lim.and_then(|m| m.get(r));
            let q = req.and_then(|m| m.get(r)).or(l);
            if l.is_none() || q != l {
                guaranteed = false;
            }
        }
    }
    if !any {
        "BestEffort"
    } else if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

/// `SetDefaults_PodSpec` and the container, port, probe and volume defaults beneath it.
pub fn pod_spec(spec: &mut Value) {
    default_field(spec, &["dnsPolicy"], || json!("ClusterFirst"));
    default_field(spec, &["restartPolicy"], || json!("Always"));
    default_field(spec, &["terminationGracePeriodSeconds"], || json!(30));
    default_field(spec, &["securityContext"], || json!({}));
    default_field(spec, &["schedulerName"], || json!("default-scheduler"));
    for c in each_mut(spec, "containers") {
        container(c);
    }
    for c in each_mut(spec, "initContainers") {
        container(c);
    }
    for c in each_mut(spec, "ephemeralContainers") {
        container(c);
    }
    for v in each_mut(spec, "volumes") {
        volume(v);
    }
}

/// Whether `field` of `v` is missing or null (a default would be written).
fn unset(v: &Value, field: &str) -> bool {
    v.get(field).is_none_or(Value::is_null)
}

/// Whether `container` would change nothing in `c`: a container copied from a defaulted
/// template (every controller-made pod) already carries every default, and looking first
/// keeps its map shared instead of copying it (maps are copy on write) for no change.
fn container_is_defaulted(c: &Value) -> bool {
    let Some(m) = c.as_object() else {
        return true;
    };
    let probe_done = |p: &Value| {
        !p.is_object()
            || ([
                "timeoutSeconds",
                "periodSeconds",
                "successThreshold",
                "failureThreshold",
            ]
            .iter()
            .all(|f| !unset(p, f))
                && p.get("httpGet").is_none_or(http_get_done)
                && p.get("grpc")
                    .is_none_or(|g| !g.is_object() || !unset(g, "service")))
    };
    [
        "imagePullPolicy",
        "terminationMessagePath",
        "terminationMessagePolicy",
        "resources",
    ]
    .iter()
    .all(|f| !unset(c, f))
        && m.get("ports")
            .and_then(Value::as_array)
            .is_none_or(|ps| ps.iter().all(|p| !p.is_object() || !unset(p, "protocol")))
        && ["livenessProbe", "readinessProbe", "startupProbe"]
            .iter()
            .all(|n| m.get(*n).is_none_or(probe_done))
        && m.get("lifecycle").is_none_or(|l| {
            ["postStart", "preStop"].iter().all(|hook| {
                l.get(*hook)
                    .and_then(|h| h.get("httpGet"))
                    .is_none_or(http_get_done)
            })
        })
        && m.get("env").and_then(Value::as_array).is_none_or(|es| {
            es.iter().all(|e| {
                !e.is_object()
                    || e.get("valueFrom")
                        .and_then(|v| v.get("fieldRef"))
                        .is_none_or(|f| !f.is_object() || !unset(f, "apiVersion"))
            })
        })
}

/// Whether `http_get` would change nothing in `h`.
fn http_get_done(h: &Value) -> bool {
    !h.is_object() || (!unset(h, "path") && !unset(h, "scheme"))
}

fn container(c: &mut Value) {
    if container_is_defaulted(c) {
        return;
    }
    if unset(c, "imagePullPolicy") {
        let policy = image_pull_policy(object::get_str(c, &["image"]).unwrap_or(""));
        object::set(c, &["imagePullPolicy"], json!(policy));
    }
    default_field(c, &["terminationMessagePath"], || {
        json!("/dev/termination-log")
    });
    default_field(c, &["terminationMessagePolicy"], || json!("File"));
    // ResourceRequirements is a struct in Go: it always serialises, as `{}` when empty.
    default_field(c, &["resources"], || json!({}));
    for p in each_mut(c, "ports") {
        default_field(p, &["protocol"], || json!("TCP"));
    }
    for probe_name in ["livenessProbe", "readinessProbe", "startupProbe"] {
        if let Some(p) = c.get_mut(probe_name).filter(|p| p.is_object()) {
            probe(p);
        }
    }
    for hook in ["postStart", "preStop"] {
        if let Some(h) = c
            .get_mut("lifecycle")
            .and_then(|l| l.get_mut(hook))
            .and_then(|h| h.get_mut("httpGet"))
            .filter(|h| h.is_object())
        {
            http_get(h);
        }
    }
    for e in each_mut(c, "env") {
        if let Some(fr) = e
            .get_mut("valueFrom")
            .and_then(|v| v.get_mut("fieldRef"))
            .filter(|f| f.is_object())
        {
            default_field(fr, &["apiVersion"], || json!("v1"));
        }
    }
}

/// `SetDefaults_Container`: `Always` for `:latest` or an untagged image, else `IfNotPresent`.
/// A digest reference (`@sha256:...`) counts as tagged.
pub fn image_pull_policy(image: &str) -> &'static str {
    if image.contains('@') {
        return "IfNotPresent";
    }
    // The tag is after the last ':' that comes after the last '/' (a registry port is not a tag).
    let last = image.rsplit('/').next().unwrap_or(image);
    match last.rsplit_once(':') {
        Some((_, tag)) if tag != "latest" => "IfNotPresent",
        _ => "Always",
    }
}

fn probe(p: &mut Value) {
    default_field(p, &["timeoutSeconds"], || json!(1));
    default_field(p, &["periodSeconds"], || json!(10));
    default_field(p, &["successThreshold"], || json!(1));
    default_field(p, &["failureThreshold"], || json!(3));
    if let Some(h) = p.get_mut("httpGet").filter(|h| h.is_object()) {
        http_get(h);
    }
    if let Some(g) = p.get_mut("grpc").filter(|g| g.is_object()) {
        default_field(g, &["service"], || json!(""));
    }
}

fn http_get(h: &mut Value) {
    default_field(h, &["path"], || json!("/"));
    default_field(h, &["scheme"], || json!("HTTP"));
}

const VOLUME_SOURCES: &[&str] = &[
    "hostPath",
    "emptyDir",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "secret",
    "nfs",
    "iscsi",
    "glusterfs",
    "persistentVolumeClaim",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "downwardAPI",
    "fc",
    "azureFile",
    "configMap",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "projected",
    "portworxVolume",
    "scaleIO",
    "storageos",
    "csi",
    "ephemeral",
    "image",
];

/// `SetDefaults_Volume` (no source means emptyDir) and the per-source defaults.
fn volume(v: &mut Value) {
    let has_source = v
        .as_object()
        .is_some_and(|m| VOLUME_SOURCES.iter().any(|s| m.contains_key(*s)));
    if !has_source {
        object::set(v, &["emptyDir"], json!({}));
    }
    for src in ["configMap", "secret", "downwardAPI", "projected"] {
        // Looked at first: a volume copied from a defaulted template keeps its map shared.
        if !v
            .get(src)
            .is_some_and(|s| s.is_object() && unset(s, "defaultMode"))
        {
            continue;
        }
        if let Some(s) = v.get_mut(src).filter(|s| s.is_object()) {
            default_field(s, &["defaultMode"], || json!(420));
        }
    }
    if v.get("hostPath")
        .is_some_and(|h| h.is_object() && unset(h, "type"))
    {
        object::set(v, &["hostPath", "type"], json!(""));
    }
}

/// Pod template defaults inside a workload (`spec.template.spec`).
fn template(obj: &mut Value) {
    if let Some(spec) = obj
        .get_mut("spec")
        .and_then(|s| s.get_mut("template"))
        .and_then(|t| t.get_mut("spec"))
        .filter(|s| s.is_object())
    {
        pod_spec(spec);
    }
}

// ---------------------------------------------------------------------------------------------
// apps

/// `SetDefaults_StatefulSet` for apps/v1, with the apps/v1beta1 and apps/v1beta2 variants.
/// The MaxUnavailableStatefulSet gate is on, as in 1.35 (S1.4).
fn stateful_set(obj: &mut Value, legacy_version: Option<&str>) {
    // apps/v1beta2 defaults the update strategy exactly as apps/v1 does (below).
    if legacy_version == Some("apps/v1beta1") {
        // v1beta1: selector and object labels come from the template labels, and the
        // update strategy defaults to OnDelete.
        let tlabels = object::get(obj, &["spec", "template", "metadata", "labels"])
            .filter(|l| l.as_object().is_some_and(|m| !m.is_empty()))
            .cloned();
        if let Some(tl) = tlabels {
            if object::get(obj, &["spec", "selector"]).is_none_or(Value::is_null) {
                object::set(obj, &["spec", "selector"], json!({ "matchLabels": tl }));
            }
            if object::labels(obj).is_empty() {
                object::set(obj, &["metadata", "labels"], tl);
            }
        }
        default_field(obj, &["spec", "updateStrategy", "type"], || {
            json!("OnDelete")
        });
    }
    // S1.3: `rollingUpdate: {}` is only created when the type was empty.
    if object::get_str(obj, &["spec", "updateStrategy", "type"]).is_none_or(str::is_empty) {
        object::set(
            obj,
            &["spec", "updateStrategy", "type"],
            json!("RollingUpdate"),
        );
        default_field(obj, &["spec", "updateStrategy", "rollingUpdate"], || {
            json!({})
        });
    }
    let rolling =
        object::get_str(obj, &["spec", "updateStrategy", "type"]) == Some("RollingUpdate");
    if rolling
        && object::get(obj, &["spec", "updateStrategy", "rollingUpdate"])
            .is_some_and(|r| r.is_object())
    {
        default_field(
            obj,
            &["spec", "updateStrategy", "rollingUpdate", "partition"],
            || json!(0),
        );
        default_field(
            obj,
            &["spec", "updateStrategy", "rollingUpdate", "maxUnavailable"],
            || json!(1),
        );
    }
    default_field(obj, &["spec", "podManagementPolicy"], || {
        json!("OrderedReady")
    });
    default_field(obj, &["spec", "replicas"], || json!(1));
    default_field(obj, &["spec", "revisionHistoryLimit"], || json!(10));
    default_field(
        obj,
        &[
            "spec",
            "persistentVolumeClaimRetentionPolicy",
            "whenDeleted",
        ],
        || json!("Retain"),
    );
    default_field(
        obj,
        &["spec", "persistentVolumeClaimRetentionPolicy", "whenScaled"],
        || json!("Retain"),
    );
    template(obj);
    if let Some(spec) = obj.get_mut("spec").filter(|s| s.is_object()) {
        for t in each_mut(spec, "volumeClaimTemplates") {
            claim(t);
        }
    }
}

fn deployment(obj: &mut Value) {
    default_field(obj, &["spec", "replicas"], || json!(1));
    default_field(obj, &["spec", "strategy", "type"], || {
        json!("RollingUpdate")
    });
    if object::get_str(obj, &["spec", "strategy", "type"]) == Some("RollingUpdate") {
        default_field(
            obj,
            &["spec", "strategy", "rollingUpdate", "maxUnavailable"],
            || json!("25%"),
        );
        default_field(
            obj,
            &["spec", "strategy", "rollingUpdate", "maxSurge"],
            || json!("25%"),
        );
    }
    default_field(obj, &["spec", "revisionHistoryLimit"], || json!(10));
    default_field(obj, &["spec", "progressDeadlineSeconds"], || json!(600));
    template(obj);
}

fn daemon_set(obj: &mut Value) {
    default_field(obj, &["spec", "updateStrategy", "type"], || {
        json!("RollingUpdate")
    });
    if object::get_str(obj, &["spec", "updateStrategy", "type"]) == Some("RollingUpdate") {
        default_field(
            obj,
            &["spec", "updateStrategy", "rollingUpdate", "maxUnavailable"],
            || json!(1),
        );
        default_field(
            obj,
            &["spec", "updateStrategy", "rollingUpdate", "maxSurge"],
            || json!(0),
        );
    }
    default_field(obj, &["spec", "revisionHistoryLimit"], || json!(10));
    template(obj);
}

// ---------------------------------------------------------------------------------------------
// core/v1: services and storage

/// `SetDefaults_Service`, plus the IP family fields the service registry fills in on a
/// single-stack IPv4 cluster.
fn service(obj: &mut Value) {
    default_field(obj, &["spec", "type"], || json!("ClusterIP"));
    default_field(obj, &["spec", "sessionAffinity"], || json!("None"));
    let ty = object::get_str(obj, &["spec", "type"])
        .unwrap_or("ClusterIP")
        .to_string();
    if let Some(spec) = obj.get_mut("spec").filter(|s| s.is_object()) {
        for p in each_mut(spec, "ports") {
            default_field(p, &["protocol"], || json!("TCP"));
            let tp = p.get("targetPort");
            let unset = match tp {
                None | Some(Value::Null) => true,
                Some(Value::Number(n)) => n.as_i64() == Some(0),
                Some(Value::String(s)) => s.is_empty(),
                _ => false,
            };
            if unset {
                let port = p.get("port").cloned().unwrap_or(json!(0));
                p["targetPort"] = port;
            }
        }
    }
    if ty == "ExternalName" {
        return;
    }
    let cluster_ip = object::get_str(obj, &["spec", "clusterIP"]).map(str::to_string);
    if let Some(ip) = cluster_ip.filter(|s| !s.is_empty()) {
        if object::get_array(obj, &["spec", "clusterIPs"]).is_empty() {
            object::set(obj, &["spec", "clusterIPs"], json!([ip]));
        }
    }
    default_field(obj, &["spec", "internalTrafficPolicy"], || json!("Cluster"));
    if ty == "NodePort" || ty == "LoadBalancer" {
        default_field(obj, &["spec", "externalTrafficPolicy"], || json!("Cluster"));
    }
    if ty == "LoadBalancer" {
        default_field(obj, &["spec", "allocateLoadBalancerNodePorts"], || {
            json!(true)
        });
    }
    default_field(obj, &["spec", "ipFamilies"], || json!(["IPv4"]));
    default_field(obj, &["spec", "ipFamilyPolicy"], || json!("SingleStack"));
    if object::get(obj, &["status"]).is_none() {
        object::set(obj, &["status", "loadBalancer"], json!({}));
    }
}

/// `SetDefaults_PersistentVolumeClaim(Spec)`: also used for StatefulSet claim templates, which
/// is why templates show `status: {phase: Pending}` (S1.5).
fn claim(obj: &mut Value) {
    default_field(obj, &["spec", "volumeMode"], || json!("Filesystem"));
    if object::get_str(obj, &["status", "phase"]).is_none_or(str::is_empty) {
        object::set(obj, &["status", "phase"], json!("Pending"));
    }
}

fn persistent_volume(obj: &mut Value) {
    default_field(obj, &["spec", "volumeMode"], || json!("Filesystem"));
    default_field(obj, &["spec", "persistentVolumeReclaimPolicy"], || {
        json!("Retain")
    });
    if object::get_str(obj, &["status", "phase"]).is_none_or(str::is_empty) {
        object::set(obj, &["status", "phase"], json!("Pending"));
    }
}

/// An empty JSON object (handy for callers that build objects to default).
pub fn empty() -> Value {
    Value::Object(Map::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sts(strategy: Value) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "web"},
               "spec": {"selector": {"matchLabels": {"app": "nginx"}}, "serviceName": "nginx",
                        "updateStrategy": strategy,
                        "template": {"metadata": {"labels": {"app": "nginx"}},
                                     "spec": {"containers": [{"name": "nginx", "image": "nginx:1.25",
                                              "ports": [{"containerPort": 80, "name": "web"}]}]}},
                        "volumeClaimTemplates": [{"metadata": {"name": "www"},
                            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}]}})
    }

    #[test]
    fn statefulset_defaults_match_a_1_35_api_server() {
        let mut s = sts(Value::Null);
        apply(Kind::StatefulSet, &mut s, None);
        let spec = &s["spec"];
        assert_eq!(spec["replicas"], json!(1));
        assert_eq!(spec["podManagementPolicy"], json!("OrderedReady"));
        assert_eq!(spec["revisionHistoryLimit"], json!(10));
        assert_eq!(
            spec["updateStrategy"],
            json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0, "maxUnavailable": 1}})
        );
        assert_eq!(
            spec["persistentVolumeClaimRetentionPolicy"],
            json!({"whenDeleted": "Retain", "whenScaled": "Retain"})
        );
        let c = &spec["template"]["spec"]["containers"][0];
        assert_eq!(c["imagePullPolicy"], json!("IfNotPresent"));
        assert_eq!(c["terminationMessagePath"], json!("/dev/termination-log"));
        assert_eq!(c["terminationMessagePolicy"], json!("File"));
        assert_eq!(c["resources"], json!({}));
        assert_eq!(c["ports"][0]["protocol"], json!("TCP"));
        let ps = &spec["template"]["spec"];
        assert_eq!(ps["restartPolicy"], json!("Always"));
        assert_eq!(ps["dnsPolicy"], json!("ClusterFirst"));
        assert_eq!(ps["schedulerName"], json!("default-scheduler"));
        assert_eq!(ps["securityContext"], json!({}));
        assert_eq!(ps["terminationGracePeriodSeconds"], json!(30));
        assert!(ps.get("enableServiceLinks").is_none());
        let t = &spec["volumeClaimTemplates"][0];
        assert_eq!(t["spec"]["volumeMode"], json!("Filesystem"));
        assert_eq!(t["status"], json!({"phase": "Pending"}));
        // Idempotent.
        let again = {
            let mut a = s.clone();
            apply(Kind::StatefulSet, &mut a, None);
            a
        };
        assert_eq!(again, s);
    }

    #[test]
    fn rolling_update_without_rolling_update_block_stays_nil() {
        // S1.3 quirk.
        let mut s = sts(json!({"type": "RollingUpdate"}));
        apply(Kind::StatefulSet, &mut s, None);
        assert_eq!(
            s["spec"]["updateStrategy"],
            json!({"type": "RollingUpdate"})
        );
        let mut s = sts(json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 3}}));
        apply(Kind::StatefulSet, &mut s, None);
        assert_eq!(
            s["spec"]["updateStrategy"]["rollingUpdate"],
            json!({"partition": 3, "maxUnavailable": 1})
        );
        let mut s = sts(json!({"type": "OnDelete"}));
        apply(Kind::StatefulSet, &mut s, None);
        assert_eq!(s["spec"]["updateStrategy"], json!({"type": "OnDelete"}));
    }

    #[test]
    fn legacy_versions_default_differently() {
        let mut s = sts(Value::Null);
        object::remove(&mut s, &["spec", "selector"]);
        apply(Kind::StatefulSet, &mut s, Some("apps/v1beta1"));
        assert_eq!(s["spec"]["updateStrategy"], json!({"type": "OnDelete"}));
        assert_eq!(
            s["spec"]["selector"],
            json!({"matchLabels": {"app": "nginx"}})
        );
        assert_eq!(s["metadata"]["labels"], json!({"app": "nginx"}));
        let mut s = sts(Value::Null);
        apply(Kind::StatefulSet, &mut s, Some("apps/v1beta2"));
        assert_eq!(
            s["spec"]["updateStrategy"],
            json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0, "maxUnavailable": 1}})
        );
    }

    #[test]
    fn image_pull_policy_follows_the_tag() {
        assert_eq!(image_pull_policy("nginx"), "Always");
        assert_eq!(image_pull_policy("nginx:latest"), "Always");
        assert_eq!(image_pull_policy("nginx:1.25"), "IfNotPresent");
        assert_eq!(image_pull_policy("localhost:5000/nginx"), "Always");
        assert_eq!(image_pull_policy("localhost:5000/nginx:1"), "IfNotPresent");
        assert_eq!(
            image_pull_policy("registry.k8s.io/nginx-slim:0.8"),
            "IfNotPresent"
        );
        assert_eq!(image_pull_policy("nginx@sha256:abc"), "IfNotPresent");
    }

    #[test]
    fn pod_service_and_claim_defaults() {
        let mut p = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "image": "busybox",
                "resources": {"limits": {"cpu": "1", "memory": "1Gi"}},
                "readinessProbe": {"httpGet": {"port": 80}}}], "volumes": [{"name": "v"}]}});
        apply(Kind::Pod, &mut p, None);
        assert_eq!(p["spec"]["enableServiceLinks"], json!(true));
        assert_eq!(
            p["status"],
            json!({"phase": "Pending", "qosClass": "Guaranteed"})
        );
        let c = &p["spec"]["containers"][0];
        assert_eq!(
            c["resources"]["requests"],
            json!({"cpu": "1", "memory": "1Gi"})
        );
        assert_eq!(
            c["readinessProbe"],
            json!({"httpGet": {"port": 80, "path": "/", "scheme": "HTTP"}, "timeoutSeconds": 1,
                   "periodSeconds": 10, "successThreshold": 1, "failureThreshold": 3})
        );
        assert_eq!(
            p["spec"]["volumes"][0],
            json!({"name": "v", "emptyDir": {}})
        );

        let mut s = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "nginx"},
            "spec": {"clusterIP": "None", "ports": [{"port": 80, "name": "web"}], "selector": {"app": "nginx"}}});
        apply(Kind::Service, &mut s, None);
        assert_eq!(
            s["spec"],
            json!({"clusterIP": "None", "clusterIPs": ["None"], "internalTrafficPolicy": "Cluster",
                   "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                   "ports": [{"name": "web", "port": 80, "protocol": "TCP", "targetPort": 80}],
                   "selector": {"app": "nginx"}, "sessionAffinity": "None", "type": "ClusterIP"})
        );

        let mut c = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "c"},
            "spec": {"accessModes": ["ReadWriteOnce"]}});
        apply(Kind::PersistentVolumeClaim, &mut c, None);
        assert_eq!(c["spec"]["volumeMode"], json!("Filesystem"));
        assert_eq!(c["status"]["phase"], json!("Pending"));
    }

    #[test]
    fn a_defaulted_container_is_left_as_is_and_a_missing_nested_default_still_filled() {
        let mut pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "a", "image": "nginx:1.25"}]}});
        apply(Kind::Pod, &mut pod, None);
        let defaulted = pod["spec"]["containers"][0].clone();
        assert_eq!(defaulted["imagePullPolicy"], "IfNotPresent");
        assert_eq!(defaulted["resources"], json!({}));
        // Defaulting again changes nothing (it runs on every update).
        let again = pod.clone();
        apply(Kind::Pod, &mut pod, None);
        assert_eq!(pod, again);
        // Everything set but one probe's nested default: only that is added.
        let mut c = defaulted.clone();
        c["readinessProbe"] = json!({"httpGet": {"port": 80, "path": "/", "scheme": "HTTP"},
            "timeoutSeconds": 1, "periodSeconds": 10, "successThreshold": 1});
        c["ports"] = json!([{"containerPort": 80}]);
        let mut spec = json!({"containers": [c]});
        pod_spec(&mut spec);
        let c = &spec["containers"][0];
        assert_eq!(c["readinessProbe"]["failureThreshold"], 3);
        assert_eq!(c["ports"][0]["protocol"], "TCP");
        let mut v = json!({"hostPath": {"path": "/x"}});
        volume(&mut v);
        assert_eq!(v, json!({"hostPath": {"path": "/x", "type": ""}}));
    }

    /// Every path of a leaf in `v` (object keys and array indexes).
    fn leaf_paths(v: &Value, at: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
        match v {
            Value::Object(m) if !m.is_empty() => m.iter().for_each(|(k, x)| {
                at.push(k.clone());
                leaf_paths(x, at, out);
                at.pop();
            }),
            Value::Array(a) if !a.is_empty() => a.iter().enumerate().for_each(|(i, x)| {
                at.push(i.to_string());
                leaf_paths(x, at, out);
                at.pop();
            }),
            _ => out.push(at.clone()),
        }
    }

    fn remove_path(v: &mut Value, path: &[String]) {
        let Some((last, parents)) = path.split_last() else {
            return;
        };
        let mut at = v;
        for p in parents {
            at = match at {
                Value::Array(a) => &mut a[p.parse::<usize>().unwrap()],
                other => &mut other[p.as_str()],
            };
        }
        at.as_object_mut().unwrap().remove(last);
    }

    #[test]
    fn every_container_default_is_filled_when_it_alone_is_missing() {
        // `container_is_defaulted` lets a defaulted container through untouched; it must
        // know every default `container` writes. Each default is taken away in turn from a
        // fully defaulted container, and defaulting must put it back.
        let bare = json!({"name": "a", "image": "nginx",
            "ports": [{"containerPort": 80}],
            "livenessProbe": {"httpGet": {"port": 80}},
            "readinessProbe": {"grpc": {"port": 9000}},
            "startupProbe": {"exec": {"command": ["true"]}},
            "lifecycle": {"postStart": {"httpGet": {"port": 80}},
                          "preStop": {"httpGet": {"port": 80}}},
            "env": [{"name": "N", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}]});
        let mut full = bare.clone();
        container(&mut full);
        let (mut before, mut after) = (Vec::new(), Vec::new());
        leaf_paths(&bare, &mut Vec::new(), &mut before);
        leaf_paths(&full, &mut Vec::new(), &mut after);
        let added: Vec<_> = after.into_iter().filter(|p| !before.contains(p)).collect();
        assert!(added.len() >= 15, "{added:?}");
        for path in added {
            let mut missing = full.clone();
            remove_path(&mut missing, &path);
            assert!(!container_is_defaulted(&missing), "{path:?}");
            container(&mut missing);
            assert_eq!(missing, full, "{path:?}");
        }
    }
}

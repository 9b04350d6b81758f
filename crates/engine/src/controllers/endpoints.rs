//! The Endpoints controller ("endpoint-controller") and the EndpointSlice controller
//! ("endpointslice-controller") in one reconcile per Service.
//!
//! For every Service with a selector it keeps a v1 `Endpoints` object of the same name
//! (ready pods in `addresses`, others in `notReadyAddresses`, terminating pods left out) and
//! `discovery.k8s.io/v1` EndpointSlices named `<svc>-<5 random>` owned by the Service, whose
//! endpoints carry the ready/serving/terminating conditions of spec S7.2. A pod's endpoint
//! gets a `hostname` only when `spec.subdomain` names the Service. Objects are written only
//! when their content changes; Services without a selector are left to whoever owns them.

use crate::api::Api;
use crate::controllers::{Action, Controller, Ctx, ObjectKey};
use crate::kinds::Kind;
use crate::object::{self, OwnerRef};
use crate::selector::Selector;
use crate::store::WatchEvent;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;

pub const LABEL_SERVICE_NAME: &str = "kubernetes.io/service-name";
pub const LABEL_MANAGED_BY: &str = "endpointslice.kubernetes.io/managed-by";
pub const MANAGED_BY_VALUE: &str = "endpointslice-controller.k8s.io";
pub const LABEL_HEADLESS: &str = "service.kubernetes.io/headless";
pub const ANN_TRIGGER_TIME: &str = "endpoints.kubernetes.io/last-change-trigger-time";

#[derive(Debug, Default)]
pub struct EndpointsController;

impl EndpointsController {
    pub fn new() -> EndpointsController {
        EndpointsController
    }
}

fn selector_of(svc: &Value) -> Option<Selector> {
    let m = object::string_map(svc, &["spec", "selector"]);
    if m.is_empty() {
        None
    } else {
        Some(Selector::from_map(&m))
    }
}

impl Controller for EndpointsController {
    fn name(&self) -> &'static str {
        "endpoint-controller"
    }

    fn watches(&self, kind: Kind) -> bool {
        matches!(
            kind,
            Kind::Service | Kind::Pod | Kind::Endpoints | Kind::EndpointSlice
        )
    }

    fn keys_for(&mut self, event: &WatchEvent, api: &Api, out: &mut Vec<ObjectKey>) {
        let obj = event.object();
        let ns = object::namespace(obj);
        match event.kind {
            Kind::Service | Kind::Endpoints => {
                out.push(ObjectKey::new(Kind::Service, ns, object::name(obj)))
            }
            Kind::EndpointSlice
                if object::label(obj, LABEL_MANAGED_BY) == Some(MANAGED_BY_VALUE) =>
            {
                if let Some(svc) = object::label(obj, LABEL_SERVICE_NAME) {
                    out.push(ObjectKey::new(Kind::Service, ns, svc));
                }
            }
            Kind::Pod => {
                // Labels may have changed, so every selecting Service of the namespace looks.
                for svc in api.list(Kind::Service, Some(ns), &Selector::everything()) {
                    if selector_of(&svc).is_some() {
                        out.push(ObjectKey::of(Kind::Service, &svc));
                    }
                }
            }
            _ => {}
        }
    }

    fn reconcile(&mut self, key: &ObjectKey, ctx: &mut Ctx<'_>) -> Action {
        let api = &mut *ctx.api;
        let Some(svc) = api
            .try_get(Kind::Service, &key.namespace, &key.name)
            .cloned()
        else {
            // The Service is gone: its Endpoints go too (slices follow through the GC).
            if api
                .try_get(Kind::Endpoints, &key.namespace, &key.name)
                .is_some()
            {
                let _ = api.delete(
                    Kind::Endpoints,
                    &key.namespace,
                    &key.name,
                    &Default::default(),
                );
            }
            return Action::Done;
        };
        let Some(selector) = selector_of(&svc) else {
            return Action::Done;
        };
        if object::get_str(&svc, &["spec", "type"]) == Some("ExternalName") {
            return Action::Done;
        }
        let pods = api.list(Kind::Pod, Some(&key.namespace), &selector);
        sync_endpoints(api, &svc, &pods);
        sync_slices(api, &svc, &pods);
        Action::Done
    }
}

fn is_ready(pod: &Value) -> bool {
    object::get_array(pod, &["status", "conditions"])
        .iter()
        .any(|c| {
            object::get_str(c, &["type"]) == Some("Ready")
                && object::get_str(c, &["status"]) == Some("True")
        })
}

fn pod_ip(pod: &Value) -> Option<&str> {
    object::get_str(pod, &["status", "podIP"]).filter(|ip| !ip.is_empty())
}

fn is_terminal(pod: &Value) -> bool {
    matches!(
        object::get_str(pod, &["status", "phase"]),
        Some("Succeeded" | "Failed")
    )
}

fn publish_not_ready(svc: &Value) -> bool {
    object::get_bool(svc, &["spec", "publishNotReadyAddresses"]) == Some(true)
}

fn is_headless(svc: &Value) -> bool {
    object::get_str(svc, &["spec", "clusterIP"]) == Some("None")
}

/// The endpoint ports of `pod` for the Service's ports; a named targetPort the pod does not
/// declare drops that port for this pod (`podutil.FindPort`).
fn endpoint_ports(svc: &Value, pod: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    for sp in object::get_array(svc, &["spec", "ports"]) {
        let protocol = object::get_str(sp, &["protocol"]).unwrap_or("TCP");
        let port = match object::get(sp, &["targetPort"]) {
            Some(Value::String(name)) => match name.parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => object::get_array(pod, &["spec", "containers"])
                    .iter()
                    .flat_map(|c| object::get_array(c, &["ports"]).iter())
                    .find(|p| {
                        object::get_str(p, &["name"]) == Some(name.as_str())
                            && object::get_str(p, &["protocol"]).unwrap_or("TCP") == protocol
                    })
                    .and_then(|p| object::get_i64(p, &["containerPort"])),
            },
            Some(v) => object::as_int(v),
            None => object::get_i64(sp, &["port"]),
        };
        let Some(port) = port else { continue };
        let mut ep = Map::new();
        if let Some(n) = object::get_str(sp, &["name"]).filter(|n| !n.is_empty()) {
            ep.insert("name".into(), json!(n));
        }
        ep.insert("port".into(), json!(port));
        ep.insert("protocol".into(), json!(protocol));
        if let Some(ap) = object::get(sp, &["appProtocol"]) {
            ep.insert("appProtocol".into(), ap.clone());
        }
        out.push(Value::Object(ep));
    }
    out
}

fn target_ref(pod: &Value) -> Value {
    json!({"kind": "Pod", "name": object::name(pod), "namespace": object::namespace(pod),
           "uid": object::uid(pod)})
}

/// `hostname` only when the pod's subdomain is this Service (`ShouldSetHostname`).
fn hostname_for(svc: &Value, pod: &Value) -> Option<String> {
    let h = object::get_str(pod, &["spec", "hostname"]).unwrap_or("");
    (!h.is_empty() && object::get_str(pod, &["spec", "subdomain"]) == Some(object::name(svc)))
        .then(|| h.to_string())
}

fn owned_labels(svc: &Value) -> Map<String, Value> {
    // Inserts, not `collect` (which sorts its input): page size, issue 4.
    let mut labels = Map::new();
    labels.extend(
        object::labels(svc)
            .into_iter()
            .map(|(k, v)| (k, Value::String(v))),
    );
    if is_headless(svc) {
        labels.insert(LABEL_HEADLESS.into(), json!(""));
    } else {
        labels.remove(LABEL_HEADLESS);
    }
    labels
}

/// One Endpoints subset being built: (ports, ready addresses, not-ready addresses), keyed
/// by the port set's JSON text.
type Subset = (Vec<Value>, Vec<Value>, Vec<Value>);

fn sync_endpoints(api: &mut Api, svc: &Value, pods: &[Arc<Value>]) {
    let publish = publish_not_ready(svc);
    let headless_no_ports =
        object::get_array(svc, &["spec", "ports"]).is_empty() && is_headless(svc);
    let mut subsets: BTreeMap<String, Subset> = BTreeMap::new();
    for pod in pods {
        let Some(ip) = pod_ip(pod) else { continue };
        if is_terminal(pod) || (object::is_terminating(pod) && !publish) {
            continue;
        }
        let mut addr = json!({"ip": ip, "targetRef": target_ref(pod)});
        if let Some(n) = object::get_str(pod, &["spec", "nodeName"]).filter(|n| !n.is_empty()) {
            addr["nodeName"] = json!(n);
        }
        if let Some(h) = hostname_for(svc, pod) {
            addr["hostname"] = json!(h);
        }
        let ports = endpoint_ports(svc, pod);
        if ports.is_empty() && !headless_no_ports {
            continue;
        }
        let e = subsets
            .entry(Value::Array(ports.clone()).to_string())
            .or_insert_with(|| (ports, Vec::new(), Vec::new()));
        if publish || is_ready(pod) {
            e.1.push(addr);
        } else {
            e.2.push(addr);
        }
    }
    // Borrowed sort keys: this runs on every pod change over every address of the Service.
    fn address_key(x: &Value) -> (&str, &str) {
        (
            object::get_str(x, &["ip"]).unwrap_or(""),
            object::get_str(x, &["targetRef", "uid"]).unwrap_or(""),
        )
    }
    let sort = |v: &mut Vec<Value>| {
        kubeplay_shell::sorting::sort_by(v, |a, b| address_key(a).cmp(&address_key(b)))
    };
    let subsets: Vec<Value> = subsets
        .into_values()
        .map(|(ports, mut ready, mut not_ready)| {
            sort(&mut ready);
            sort(&mut not_ready);
            let mut s = Map::new();
            if !ready.is_empty() {
                s.insert("addresses".into(), Value::Array(ready));
            }
            if !not_ready.is_empty() {
                s.insert("notReadyAddresses".into(), Value::Array(not_ready));
            }
            if !ports.is_empty() {
                s.insert("ports".into(), Value::Array(ports));
            }
            Value::Object(s)
        })
        .collect();
    let (ns, name) = (object::namespace(svc), object::name(svc));
    let labels = Value::Object(owned_labels(svc));
    let existing = api.try_get(Kind::Endpoints, ns, name).cloned();
    let mut ep = match &existing {
        Some(e) => {
            // Compared in place: copying 200 addresses twice per pod change to compare them
            // was most of this controller's time.
            let same_subsets = match object::get(e, &["subsets"]) {
                Some(Value::Array(current)) => *current == subsets,
                None => subsets.is_empty(),
                Some(_) => false,
            };
            let same_labels = match object::get(e, &["metadata", "labels"]) {
                Some(current) => *current == labels,
                None => labels.as_object().is_some_and(|m| m.is_empty()),
            };
            if same_subsets && same_labels {
                return;
            }
            (**e).clone()
        }
        None => json!({"apiVersion": "v1", "kind": "Endpoints",
                       "metadata": {"name": name, "namespace": ns}}),
    };
    if labels.as_object().is_some_and(|m| !m.is_empty()) {
        object::set(&mut ep, &["metadata", "labels"], labels);
    } else {
        object::remove(&mut ep, &["metadata", "labels"]);
    }
    object::set_annotation(&mut ep, ANN_TRIGGER_TIME, &api.now.rfc3339());
    if subsets.is_empty() {
        object::remove(&mut ep, &["subsets"]);
    } else {
        ep["subsets"] = Value::Array(subsets);
    }
    let _ = if existing.is_some() {
        api.update(ep)
    } else {
        api.create(ep)
    };
}

fn sync_slices(api: &mut Api, svc: &Value, pods: &[Arc<Value>]) {
    let publish = publish_not_ready(svc);
    let (ns, name) = (object::namespace(svc), object::name(svc));
    // port set → endpoints
    let mut groups: BTreeMap<String, (Vec<Value>, Vec<Value>)> = BTreeMap::new();
    let mut sorted: Vec<&Arc<Value>> = pods.iter().collect();
    kubeplay_shell::sorting::sort_by(&mut sorted, |a, b| object::name(a).cmp(object::name(b)));
    for pod in sorted {
        let Some(ip) = pod_ip(pod) else { continue };
        if is_terminal(pod) {
            continue;
        }
        let serving = publish || is_ready(pod);
        let terminating = object::is_terminating(pod);
        let mut ep = json!({
            "addresses": [ip],
            "conditions": {"ready": publish || (serving && !terminating), "serving": serving,
                           "terminating": terminating},
            "targetRef": target_ref(pod),
        });
        if let Some(n) = object::get_str(pod, &["spec", "nodeName"]).filter(|n| !n.is_empty()) {
            ep["nodeName"] = json!(n);
            if let Some(zone) = api
                .try_get(Kind::Node, "", n)
                .and_then(|node| object::label(node, "topology.kubernetes.io/zone"))
            {
                ep["zone"] = json!(zone);
            }
        }
        if let Some(h) = hostname_for(svc, pod) {
            ep["hostname"] = json!(h);
        }
        let ports = endpoint_ports(svc, pod);
        groups
            .entry(Value::Array(ports.clone()).to_string())
            .or_insert_with(|| (ports, Vec::new()))
            .1
            .push(ep);
    }
    let mut labels = owned_labels(svc);
    labels.insert(LABEL_SERVICE_NAME.into(), json!(name));
    labels.insert(LABEL_MANAGED_BY.into(), json!(MANAGED_BY_VALUE));
    let labels = Value::Object(labels);
    // A Service with no endpoints still has one placeholder slice without ports.
    let desired: Vec<(Value, Vec<Value>)> = if groups.is_empty() {
        vec![(Value::Null, Vec::new())]
    } else {
        groups
            .into_values()
            .map(|(ports, eps)| (Value::Array(ports), eps))
            .collect()
    };
    // Inserts, not `BTreeMap::from` (which sorts its input): page size, issue 4.
    let mut slice_labels = BTreeMap::new();
    slice_labels.insert(LABEL_SERVICE_NAME.to_string(), name.to_string());
    slice_labels.insert(LABEL_MANAGED_BY.to_string(), MANAGED_BY_VALUE.to_string());
    let mut existing: Vec<Arc<Value>> = api
        .list(
            Kind::EndpointSlice,
            Some(ns),
            &Selector::from_map(&slice_labels),
        )
        .into_iter()
        .filter(|s| !object::is_terminating(s))
        .collect();
    let owner = OwnerRef::controller_of(svc);
    for (ports, eps) in desired {
        // Prefer the slice that already has these ports, else reuse any, else create.
        let pos = existing
            .iter()
            .position(|s| object::get(s, &["ports"]).unwrap_or(&Value::Null) == &ports)
            .or(if existing.is_empty() { None } else { Some(0) });
        let current = pos.map(|i| existing.remove(i));
        let mut slice = match &current {
            Some(s) => {
                let same = object::get(s, &["ports"]).unwrap_or(&Value::Null) == &ports
                    && match object::get(s, &["endpoints"]) {
                        Some(Value::Array(current)) => *current == eps,
                        None => eps.is_empty(),
                        Some(_) => false,
                    }
                    && object::get(s, &["metadata", "labels"]).unwrap_or(&Value::Null) == &labels;
                if same {
                    continue;
                }
                (**s).clone()
            }
            None => json!({"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": {"generateName": format!("{name}-"), "namespace": ns,
                             "ownerReferences": [owner.to_value()]},
                "addressType": "IPv4"}),
        };
        object::set(&mut slice, &["metadata", "labels"], labels.clone());
        if !eps.is_empty() {
            object::set_annotation(&mut slice, ANN_TRIGGER_TIME, &api.now.rfc3339());
        }
        slice["endpoints"] = Value::Array(eps);
        if ports.is_null() {
            object::remove(&mut slice, &["ports"]);
        } else {
            slice["ports"] = ports;
        }
        let _ = if current.is_some() {
            api.update(slice)
        } else {
            api.create(slice)
        };
    }
    for s in existing {
        let _ = api.delete(
            Kind::EndpointSlice,
            ns,
            object::name(&s),
            &Default::default(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Cluster, Config};

    fn setup() -> Cluster {
        let mut c = Cluster::new(Config::default());
        c.api
            .create(json!({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": "nginx", "namespace": "default", "labels": {"app": "nginx"}},
                "spec": {"clusterIP": "None", "selector": {"app": "nginx"},
                         "ports": [{"name": "web", "port": 80, "targetPort": "web"}]}}))
            .unwrap();
        c.run_now();
        c
    }

    fn pod_ready(c: &Cluster, name: &str) -> bool {
        c.api
            .try_get(Kind::Pod, "default", name)
            .map(|p| {
                object::get_array(p, &["status", "conditions"])
                    .iter()
                    .any(|cond| cond["type"] == "Ready" && cond["status"] == "True")
            })
            .unwrap_or(false)
    }

    /// Creates a pod on node-1 and lets the kubelet run it until it is Ready; a pod meant to
    /// be not ready then has its readiness probe fail (`sim probe-fail`). Returns its IP.
    fn running_pod(c: &mut Cluster, name: &str, ready: bool, subdomain: &str) -> String {
        c.api
            .create(json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": name, "namespace": "default", "labels": {"app": "nginx"}},
                "spec": {"nodeName": "node-1", "hostname": name, "subdomain": subdomain,
                         "containers": [{"name": "nginx", "image": "nginx",
                                         "ports": [{"name": "web", "containerPort": 8080}]}]}}))
            .unwrap();
        for _ in 0..120 {
            if pod_ready(c, name) {
                break;
            }
            c.advance(1_000);
        }
        assert!(pod_ready(c, name), "the kubelet never made {name} Ready");
        if !ready {
            c.sim_set_probe("default", name, None, false).unwrap();
            assert!(!pod_ready(c, name));
        }
        let p = c.api.get(Kind::Pod, "default", name).unwrap();
        object::get_str(&p, &["status", "podIP"])
            .unwrap()
            .to_string()
    }

    fn slice(c: &Cluster) -> Arc<Value> {
        let s = c.api.list(
            Kind::EndpointSlice,
            Some("default"),
            &Selector::parse("kubernetes.io/service-name=nginx").unwrap(),
        );
        assert_eq!(s.len(), 1);
        s[0].clone()
    }

    #[test]
    fn placeholder_slice_and_empty_endpoints_for_a_service_without_pods() {
        let c = setup();
        let ep = c.api.get(Kind::Endpoints, "default", "nginx").unwrap();
        assert!(ep.get("subsets").is_none());
        assert_eq!(object::label(&ep, LABEL_HEADLESS), Some(""));
        let s = slice(&c);
        assert!(object::name(&s).starts_with("nginx-") && object::name(&s).len() == 11);
        assert_eq!(s["endpoints"], json!([]));
        assert!(s.get("ports").is_none());
        assert_eq!(object::label(&s, LABEL_MANAGED_BY), Some(MANAGED_BY_VALUE));
        assert_eq!(object::controller_ref(&s).unwrap().name, "nginx");
    }

    #[test]
    fn ready_not_ready_and_hostname_rules() {
        let mut c = setup();
        let ip0 = running_pod(&mut c, "web-0", true, "nginx");
        let ip1 = running_pod(&mut c, "web-1", false, "nginx");
        let ip_other = running_pod(&mut c, "other", true, "elsewhere");
        let ep = c.api.get(Kind::Endpoints, "default", "nginx").unwrap();
        let subset = &ep["subsets"][0];
        assert_eq!(
            subset["ports"],
            json!([{"name": "web", "port": 8080, "protocol": "TCP"}])
        );
        let ready = subset["addresses"].as_array().unwrap();
        assert_eq!(ready.len(), 2);
        // RepackSubsets order: by IP (as strings).
        let mut by_ip = vec![json!(ip0), json!(ip_other)];
        by_ip.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
        let ips: Vec<Value> = ready.iter().map(|a| a["ip"].clone()).collect();
        assert_eq!(ips, by_ip);
        let address = |n: &str| {
            ready
                .iter()
                .find(|a| a["targetRef"]["name"] == n)
                .unwrap()
                .clone()
        };
        let web0 = address("web-0");
        assert_eq!(web0["ip"], json!(ip0));
        assert_eq!(web0["hostname"], "web-0");
        assert_eq!(web0["nodeName"], "node-1");
        let other = address("other");
        assert_eq!(other["ip"], json!(ip_other));
        assert!(
            other.get("hostname").is_none(),
            "subdomain is another service"
        );
        let not_ready = subset["notReadyAddresses"].as_array().unwrap();
        assert_eq!(not_ready.len(), 1);
        assert_eq!(not_ready[0]["ip"], json!(ip1));
        assert_eq!(not_ready[0]["targetRef"]["name"], "web-1");

        let s = slice(&c);
        let eps = s["endpoints"].as_array().unwrap();
        let by_name = |n: &str| {
            eps.iter()
                .find(|e| e["targetRef"]["name"] == n)
                .unwrap()
                .clone()
        };
        assert_eq!(
            by_name("web-0")["conditions"],
            json!({"ready": true, "serving": true, "terminating": false})
        );
        assert_eq!(
            by_name("web-1")["conditions"],
            json!({"ready": false, "serving": false, "terminating": false})
        );
        assert_eq!(by_name("web-0")["hostname"], "web-0");

        // A terminating pod leaves Endpoints but stays in the slice as terminating.
        let rv_before =
            object::resource_version(&c.api.get(Kind::Endpoints, "default", "nginx").unwrap());
        c.api
            .delete(Kind::Pod, "default", "web-0", &Default::default())
            .unwrap();
        c.run_now();
        let ep = c.api.get(Kind::Endpoints, "default", "nginx").unwrap();
        assert!(object::resource_version(&ep) > rv_before);
        let ips: Vec<&Value> = ep["subsets"][0]["addresses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| &a["ip"])
            .collect();
        assert_eq!(ips, [&json!(ip_other)]);
        let s = slice(&c);
        let t = s["endpoints"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["targetRef"]["name"] == "web-0")
            .unwrap()
            .clone();
        assert_eq!(
            t["conditions"],
            json!({"ready": false, "serving": true, "terminating": true})
        );

        // No change, no write.
        let ep_rv = object::resource_version(&ep);
        c.api
            .patch(
                Kind::Pod,
                "default",
                "web-1",
                crate::PatchType::Merge,
                &json!({"metadata": {"annotations": {"x": "y"}}}),
            )
            .unwrap();
        c.run_now();
        assert_eq!(
            object::resource_version(&c.api.get(Kind::Endpoints, "default", "nginx").unwrap()),
            ep_rv
        );
    }

    #[test]
    fn publish_not_ready_addresses_marks_everything_ready() {
        let mut c = setup();
        let mut svc = (*c.api.get(Kind::Service, "default", "nginx").unwrap()).clone();
        svc["spec"]["publishNotReadyAddresses"] = json!(true);
        c.api.update(svc).unwrap();
        let ip = running_pod(&mut c, "web-0", false, "nginx");
        let ep = c.api.get(Kind::Endpoints, "default", "nginx").unwrap();
        assert_eq!(ep["subsets"][0]["addresses"][0]["ip"], json!(ip));
        assert!(ep["subsets"][0].get("notReadyAddresses").is_none());
        let s = slice(&c);
        assert_eq!(s["endpoints"][0]["conditions"]["ready"], true);
        // Deleting the service removes the Endpoints; the GC removes the slice.
        c.api
            .delete(Kind::Service, "default", "nginx", &Default::default())
            .unwrap();
        c.run_now();
        assert!(c.api.try_get(Kind::Endpoints, "default", "nginx").is_none());
        assert!(c
            .api
            .list(
                Kind::EndpointSlice,
                Some("default"),
                &Selector::everything()
            )
            .is_empty());
    }
}

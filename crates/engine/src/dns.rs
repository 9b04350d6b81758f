//! Cluster DNS as CoreDNS's `kubernetes` plugin answers it (spec §7): Service A records,
//! per-pod `hostname.subdomain` records for ready endpoints, SRV for named ports, PTR.
//!
//! Read-only over the API objects: endpoints are computed from Services and Pods with the
//! EndpointSlice controller's rules (S7.2), so answers never lag or cache (S7.3: "the
//! simulator should not cache"). It must never change cluster state.

use crate::api::Api;
use crate::kinds::Kind;
use crate::object::{self, Object};
use crate::selector::Selector;
use std::sync::Arc;

/// One resolved address with its reverse name, if the reverse lookup succeeds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    pub ip: String,
    pub ptr: Option<String>,
}

/// One SRV answer: `_<port>._<proto>.<svc>.<ns>.svc.cluster.local SRV prio weight port target`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SrvRecord {
    pub priority: u16,
    pub weight: u16,
    pub port: u16,
    /// Fully qualified, without the trailing dot.
    pub target: String,
}

/// The cluster DNS service address pods are told to use (`nameserver` in resolv.conf).
pub const DNS_SERVICE_IP: &str = "10.96.0.10";
/// The cluster domain.
pub const ZONE: &str = "cluster.local";

/// One endpoint of a service, as the EndpointSlice controller would publish it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Endpoint {
    pub ip: String,
    /// Set only when `pod.spec.subdomain == service name` (S7.2).
    pub hostname: Option<String>,
    pub ready: bool,
    pub pod: String,
}

/// The search path of a pod in `namespace` (S7.1).
pub fn search_path(namespace: &str) -> Vec<String> {
    vec![
        format!("{namespace}.svc.{ZONE}"),
        format!("svc.{ZONE}"),
        ZONE.to_string(),
    ]
}

/// The names a resolver tries for `name`, in order (ndots:5, S7.1).
pub fn candidates(namespace: &str, name: &str) -> Vec<String> {
    let name = name.trim();
    if let Some(abs) = name.strip_suffix('.') {
        return vec![abs.to_string()];
    }
    let searched = search_path(namespace)
        .into_iter()
        .map(|d| format!("{name}.{d}"));
    if name.matches('.').count() >= 5 {
        std::iter::once(name.to_string()).chain(searched).collect()
    } else {
        searched.chain(std::iter::once(name.to_string())).collect()
    }
}

/// Every endpoint of `svc` (ready or not), from the pods its selector matches.
pub fn endpoints(api: &Api, svc: &Object) -> Vec<Endpoint> {
    let sel = object::string_map(svc, &["spec", "selector"]);
    if sel.is_empty() {
        return Vec::new();
    }
    let selector = Selector::from_map(&sel);
    let ns = object::namespace(svc);
    let svc_name = object::name(svc);
    let publish = object::get_bool(svc, &["spec", "publishNotReadyAddresses"]).unwrap_or(false);
    let mut out = Vec::new();
    for pod in api.list(Kind::Pod, Some(ns), &selector) {
        let Some(ip) = object::get_str(&pod, &["status", "podIP"]).filter(|s| !s.is_empty()) else {
            continue;
        };
        if matches!(
            object::get_str(&pod, &["status", "phase"]),
            Some("Succeeded" | "Failed")
        ) {
            continue;
        }
        let ready = publish || (pod_ready(&pod) && !object::is_terminating(&pod));
        let hostname = match (
            object::get_str(&pod, &["spec", "hostname"]),
            object::get_str(&pod, &["spec", "subdomain"]),
        ) {
            (Some(h), Some(sub)) if !h.is_empty() && sub == svc_name => Some(h.to_string()),
            _ => None,
        };
        out.push(Endpoint {
            ip: ip.to_string(),
            hostname,
            ready,
            pod: object::name(&pod).to_string(),
        });
    }
    out
}

/// The endpoints DNS answers from (ready == true, S7.2).
pub fn ready_endpoints(api: &Api, svc: &Object) -> Vec<Endpoint> {
    endpoints(api, svc)
        .into_iter()
        .filter(|e| e.ready)
        .collect()
}

fn pod_ready(pod: &Object) -> bool {
    object::get_array(pod, &["status", "conditions"])
        .iter()
        .any(|c| {
            object::get_str(c, &["type"]) == Some("Ready")
                && object::get_str(c, &["status"]) == Some("True")
        })
}

fn is_headless(svc: &Object) -> bool {
    object::get_str(svc, &["spec", "clusterIP"]) == Some("None")
}

/// The record name of an endpoint under a headless service: its hostname, or its dashed IP.
fn endpoint_fqdn(e: &Endpoint, svc: &str, ns: &str) -> String {
    let host = e.hostname.clone().unwrap_or_else(|| e.ip.replace('.', "-"));
    format!("{host}.{svc}.{ns}.svc.{ZONE}")
}

/// Splits `a.b.<ns>.svc.cluster.local` into the labels before `<ns>` and `<ns>`.
fn split_svc_name(fqdn: &str) -> Option<(Vec<String>, String)> {
    let rest = fqdn.strip_suffix(&format!(".svc.{ZONE}"))?;
    let mut labels: Vec<String> = rest.split('.').map(str::to_string).collect();
    let ns = labels.pop()?;
    if labels.is_empty() || labels.iter().any(String::is_empty) {
        return None;
    }
    Some((labels, ns))
}

fn service(api: &Api, ns: &str, name: &str) -> Option<Arc<Object>> {
    api.try_get(Kind::Service, ns, name).cloned()
}

/// Answers an A query for a fully qualified name (no search path).
pub fn lookup_a(api: &Api, fqdn: &str) -> Option<Vec<Address>> {
    let fqdn = fqdn.trim_end_matches('.').to_ascii_lowercase();
    let (labels, ns) = split_svc_name(&fqdn)?;
    match labels.as_slice() {
        [svc_name] => {
            let svc = service(api, &ns, svc_name)?;
            if object::get_str(&svc, &["spec", "type"]) == Some("ExternalName") {
                return None;
            }
            if is_headless(&svc) {
                let eps = ready_endpoints(api, &svc);
                if eps.is_empty() {
                    return None;
                }
                Some(
                    eps.iter()
                        .map(|e| Address {
                            ip: e.ip.clone(),
                            ptr: Some(endpoint_fqdn(e, svc_name, &ns)),
                        })
                        .collect(),
                )
            } else {
                let ip = object::get_str(&svc, &["spec", "clusterIP"])?.to_string();
                if ip.is_empty() {
                    return None;
                }
                Some(vec![Address {
                    ptr: Some(format!("{svc_name}.{ns}.svc.{ZONE}")),
                    ip,
                }])
            }
        }
        [host, svc_name] => {
            let svc = service(api, &ns, svc_name)?;
            if !is_headless(&svc) {
                return None;
            }
            let eps: Vec<Address> = ready_endpoints(api, &svc)
                .iter()
                .filter(|e| {
                    e.hostname.as_deref() == Some(host.as_str())
                        || (e.hostname.is_none() && e.ip.replace('.', "-") == *host)
                })
                .map(|e| Address {
                    ip: e.ip.clone(),
                    ptr: Some(endpoint_fqdn(e, svc_name, &ns)),
                })
                .collect();
            (!eps.is_empty()).then_some(eps)
        }
        _ => None,
    }
}

/// Resolves `name` as a pod in `namespace` would (search path, ndots:5). `Err(())` is NXDOMAIN.
#[allow(clippy::result_unit_err)]
pub fn resolve(api: &Api, namespace: &str, name: &str) -> Result<Vec<Address>, ()> {
    if name.parse::<std::net::Ipv4Addr>().is_ok() {
        return Ok(vec![Address {
            ip: name.to_string(),
            ptr: reverse(api, name),
        }]);
    }
    for cand in candidates(namespace, name) {
        if let Some(a) = lookup_a(api, &cand) {
            return Ok(a);
        }
    }
    Err(())
}

/// Answers an SRV query (`_http._tcp.nginx`), with the search path. `Err(())` is NXDOMAIN.
#[allow(clippy::result_unit_err)]
pub fn resolve_srv(api: &Api, namespace: &str, name: &str) -> Result<Vec<SrvRecord>, ()> {
    for cand in candidates(namespace, name) {
        if let Some(r) = lookup_srv(api, &cand) {
            return Ok(r);
        }
    }
    Err(())
}

/// SRV for a fully qualified `_<port>._<proto>.<svc>.<ns>.svc.cluster.local` (S7.3, S7.4).
/// A query for the bare `<svc>.<ns>.svc.cluster.local` is answered as CoreDNS does, with the
/// port and protocol as wildcards: every named port of the service (peer-finder asks this).
pub fn lookup_srv(api: &Api, fqdn: &str) -> Option<Vec<SrvRecord>> {
    let fqdn = fqdn.trim_end_matches('.').to_ascii_lowercase();
    let (labels, ns) = split_svc_name(&fqdn)?;
    let (port_name, proto, svc_name) = match labels.as_slice() {
        [port_label, proto_label, svc_name] => (
            Some(port_label.strip_prefix('_')?),
            Some(proto_label.strip_prefix('_')?),
            svc_name,
        ),
        [svc_name] => (None, None, svc_name),
        _ => return None,
    };
    let svc = service(api, &ns, svc_name)?;
    // Unnamed ports get no SRV record (S7.3).
    let ports: Vec<Object> = object::get_array(&svc, &["spec", "ports"])
        .iter()
        .filter(|p| {
            let name = object::get_str(p, &["name"]).unwrap_or("");
            !name.is_empty()
                && port_name.is_none_or(|want| name == want)
                && proto.is_none_or(|want| {
                    object::get_str(p, &["protocol"])
                        .unwrap_or("TCP")
                        .eq_ignore_ascii_case(want)
                })
        })
        .cloned()
        .collect();
    if ports.is_empty() {
        return None;
    }
    let mut records = Vec::new();
    if is_headless(&svc) {
        let eps = ready_endpoints(api, &svc);
        if eps.is_empty() {
            return None;
        }
        let weight = (100 / (eps.len() * ports.len()).max(1)) as u16;
        for port in &ports {
            // The endpoint's port is the target port; for the usual `targetPort == port` (or
            // a named/omitted one) it is the service port.
            let port_num = object::get_i64(port, &["port"]).unwrap_or(0) as u16;
            let target_port = object::get_i64(port, &["targetPort"])
                .map(|p| p as u16)
                .unwrap_or(port_num);
            records.extend(eps.iter().map(|e| SrvRecord {
                priority: 0,
                weight,
                port: target_port,
                target: endpoint_fqdn(e, svc_name, &ns),
            }));
        }
    } else {
        let weight = (100 / ports.len()) as u16;
        records.extend(ports.iter().map(|port| SrvRecord {
            priority: 0,
            weight,
            port: object::get_i64(port, &["port"]).unwrap_or(0) as u16,
            target: format!("{svc_name}.{ns}.svc.{ZONE}"),
        }));
    }
    Some(records)
}

/// The PTR name for an IP, if any (`web-0.nginx.default.svc.cluster.local`).
pub fn reverse(api: &Api, ip: &str) -> Option<String> {
    let services = api.list(Kind::Service, None, &Selector::everything());
    for svc in &services {
        if !is_headless(svc) && object::get_str(svc, &["spec", "clusterIP"]) == Some(ip) {
            return Some(format!(
                "{}.{}.svc.{ZONE}",
                object::name(svc),
                object::namespace(svc)
            ));
        }
    }
    for svc in services.iter().filter(|s| is_headless(s)) {
        if let Some(e) = ready_endpoints(api, svc).into_iter().find(|e| e.ip == ip) {
            return Some(endpoint_fqdn(&e, object::name(svc), object::namespace(svc)));
        }
    }
    None
}

/// `10.244.1.6` → `6.1.244.10.in-addr.arpa`.
pub fn reverse_name(ip: &str) -> String {
    let mut parts: Vec<&str> = ip.split('.').collect();
    parts.reverse();
    format!("{}.in-addr.arpa", parts.join("."))
}

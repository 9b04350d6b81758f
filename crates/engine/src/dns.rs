//! Cluster DNS as CoreDNS's `kubernetes` plugin answers it (spec §7): Service A records,
//! per-pod `hostname.subdomain` records for ready endpoints, SRV for named ports, PTR.
//! Read-only over the API objects. (Being written.)

use crate::api::Api;

/// One resolved address with its reverse name, if the reverse lookup succeeds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    pub ip: String,
    pub ptr: Option<String>,
}

/// The cluster DNS service address pods are told to use (`nameserver` in resolv.conf).
pub const DNS_SERVICE_IP: &str = "10.96.0.10";

/// Resolves `name` as a pod in `namespace` would (search path, ndots:5). `Err(())` is NXDOMAIN.
pub fn resolve(_api: &Api, _namespace: &str, _name: &str) -> Result<Vec<Address>, ()> {
    Err(())
}

/// The PTR name for an IP, if any (`web-0.nginx.default.svc.cluster.local`).
pub fn reverse(_api: &Api, _ip: &str) -> Option<String> {
    None
}

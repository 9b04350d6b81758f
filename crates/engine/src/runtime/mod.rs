//! The simulated node runtime: pod sandboxes (IPs), containers (state, restarts, logs),
//! container file systems (image layer + writable layer + volume mounts) and the volume
//! store whose contents outlive pods. The kubelet controller drives it; `kubectl exec`,
//! `logs` and in-pod networking read and change it through the methods below.
//!
//! A container's root file system is a copy of its image layer made when the container
//! starts (the writable layer), so a restart loses what was written there. Volume mounts
//! shadow the paths below them: a PVC mounted at `/usr/share/nginx/html` hides the image's
//! `index.html`. PV contents live in `volumes` keyed by PV name and survive the pod;
//! emptyDir lives with the pod sandbox; hostPath lives with the node; configMap volumes are
//! read from the ConfigMap object on every access and are read-only.
//!
//! Module map: `fs` (file trees), `sandbox` (pod sandboxes and container states), `images`
//! (the image catalog: one module per image declaring its files, processes, readiness and
//! commands — the place to add an image). This module resolves paths through mounts and
//! carries requests between pods.
//!
//! This module never writes API objects: the kubelet reads the state here and reports it.

mod fs;
pub mod images;
pub mod pod_shell;
mod sandbox;

pub use fs::{normalize_path, DirEntry, Fs, FsEntry, FsError};
pub use images::{
    hex_digest, hex_digest_parts, image_layer, nginx_error_page, Behavior, Image, ImageDef,
    Userland, CATALOG,
};
pub use sandbox::{
    Banner, ContainerLog, ContainerRuntime, ContainerState, PodSandbox, ServerProc, Stopping,
    Terminated,
};

use crate::api::Api;
use crate::controllers::ObjectKey;
use crate::kinds::Kind;
use crate::object;
use crate::time::Time;
use fs::{dir_entry, join, parent};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// An HTTP response from a simulated server (nginx serving its document root ...).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpResponse {
    pub status: u16,
    pub body: String,
}

/// Why a connection failed, as curl/wget report it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NetError {
    /// `Could not resolve host: x`
    UnknownHost(String),
    /// `Failed to connect to x port 80: Connection refused`
    Refused {
        host: String,
        port: u16,
    },
    Timeout {
        host: String,
        port: u16,
    },
    /// The server accepted the connection and closed it without answering (curl's
    /// `(52) Empty reply from server`).
    EmptyReply {
        host: String,
        port: u16,
    },
}

/// Which container of which pod: `container: None` means the pod's first container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerRef<'a> {
    pub namespace: &'a str,
    pub pod: &'a str,
    pub container: Option<&'a str>,
}

/// The kubelet's answer to a log request for a container that has not started
/// (`validateContainerLogStatus`): the common pull failures get their own words.
pub fn waiting_to_start_message(container: &str, pod: &str, reason: &str) -> String {
    let why = match reason {
        "ErrImagePull" => "image can't be pulled",
        "ImagePullBackOff" => "trying and failing to pull image",
        r => r,
    };
    format!("container \"{container}\" in pod \"{pod}\" is waiting to start: {why}")
}

#[derive(Clone, Debug, Default)]
pub struct Runtime {
    /// Files of each persistent volume, keyed by PV name; they outlive pods.
    pub volumes: BTreeMap<String, Fs>,
    /// Pod sandboxes by pod (kind Pod, namespace, name): the kubelet finds one with the key
    /// of the work item it syncs, compared mostly by the keys' name heads. Boxed: with the
    /// sandboxes inline a node of this map was 3.9 KB, a large chunk for glibc, whose every
    /// allocation first consolidates its fast bins.
    pub pods: BTreeMap<ObjectKey, Box<PodSandbox>>,
    /// Images present on each node (the kubelet's image cache).
    pub node_images: BTreeMap<String, BTreeSet<String>>,
    /// Each node's own file system, for hostPath volumes.
    pub host_paths: BTreeMap<String, Fs>,
    /// Nodes whose kubelet is down (`sim fail-node`), with the time it went down.
    pub failed_nodes: BTreeMap<String, Time>,
    /// Per-node counter for pod IPs (the last host number handed out).
    pub ip_counters: BTreeMap<String, u32>,
    /// Access log lines servers wrote since start, by container ID. Serving a request is a
    /// read-only operation for callers, so the log sits behind a cell.
    access_logs: RefCell<BTreeMap<String, String>>,
    /// The virtual time of the last kubelet sync, stamped on access log lines.
    pub clock: Time,
    /// How many proxies deep the request being served is (nginx `proxy_pass` to a peer that
    /// proxies again); a loop answers 502 instead of recursing forever.
    proxy_depth: std::cell::Cell<u8>,
    /// Which sandbox each address went to (`allocate_ip_for`), so allocating one looks up
    /// its candidates instead of scanning every sandbox. Entries may be stale (the sandbox is
    /// gone or was replaced); a lookup checks the sandbox still holds the address.
    ip_owners: BTreeMap<String, ObjectKey>,
    /// The time of the periodic tick being caught up on ([`Runtime::catch_up`]), which
    /// servers stamp on what they log instead of the clock.
    request_time: std::cell::Cell<Option<Time>>,
    /// Image layers already built, by image reference: a layer depends on the image alone,
    /// and every container start copies one (10,000 nginx pods share one build).
    layers: BTreeMap<String, Vec<(Image, Fs)>>,
    /// Image references already parsed ([`Runtime::parse_image`]): every pod of a workload
    /// names the same image.
    parsed_images: BTreeMap<Arc<str>, Arc<Image>>,
}

/// An HTTP date (`Thu, 01 Jan 2026 00:00:05 GMT`), as servers send it in `Date:`.
pub fn http_date(t: Time) -> String {
    let z = t.rfc1123z();
    match z.rsplit_once(' ') {
        Some((d, _)) => format!("{d} GMT"),
        None => z,
    }
}

/// Where a request was served: the container, to write what it stored.
struct ServedBy {
    namespace: String,
    pod: String,
    container: String,
    /// The server software that names itself (`nginx/1.9.3 (Ubuntu)`).
    software: Option<String>,
}

/// Where a path inside a container lives.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Backing {
    Root,
    Pv(String),
    EmptyDir(String),
    HostPath(String),
    ConfigMap { namespace: String, name: String },
    Secret,
}

struct Resolved {
    backing: Backing,
    /// Path inside the backing file system.
    path: String,
    read_only: bool,
}

impl Runtime {
    /// Hands out the next pod IP from the node's podCIDR (`10.244.N.x`): a new address on
    /// every sandbox, as re-created pods usually get (S7.5).
    pub fn allocate_ip(&mut self, node: &str, cidr_prefix: &str) -> String {
        // Only addresses under this prefix can collide; borrowing them (rather than cloning
        // and sorting every sandbox's address) keeps a pod start cheap in a big cluster.
        let used: BTreeSet<&str> = self
            .pods
            .values()
            .map(|p| p.ip.as_str())
            .filter(|ip| {
                ip.strip_prefix(cidr_prefix)
                    .is_some_and(|rest| rest.starts_with('.'))
            })
            .collect();
        let counter = self.ip_counters.entry(node.to_string()).or_insert(1);
        for _ in 0..260 {
            *counter = if *counter >= 254 { 2 } else { *counter + 1 };
            let ip = format!("{cidr_prefix}.{counter}");
            if !used.contains(ip.as_str()) {
                return ip;
            }
        }
        format!("{cidr_prefix}.{counter}")
    }

    /// `allocate_ip` for the sandbox `key` is about to hold: the same address, found through
    /// the address index (sandboxes are only created through this), not a scan of them all.
    pub fn allocate_ip_for(&mut self, key: &ObjectKey, node: &str, cidr_prefix: &str) -> String {
        // The node's counter is there after its first pod: its name is copied only then.
        if !self.ip_counters.contains_key(node) {
            self.ip_counters.insert(node.to_string(), 1);
        }
        let Some(counter) = self.ip_counters.get_mut(node) else {
            return String::new();
        };
        // `<prefix>.<counter>`, joined by hand in one buffer (no `format!` per try).
        let mut ip = String::with_capacity(cidr_prefix.len() + 4);
        for _ in 0..260 {
            *counter = if *counter >= 254 { 2 } else { *counter + 1 };
            ip.clear();
            ip.push_str(cidr_prefix);
            ip.push('.');
            push_decimal(&mut ip, u64::from(*counter));
            let used = self
                .ip_owners
                .get(&ip)
                .and_then(|owner| self.pods.get(owner))
                .is_some_and(|sb| sb.ip == ip);
            if !used {
                break;
            }
        }
        // Drop index entries whose sandbox is gone, so the index stays as big as the cluster.
        if self.ip_owners.len() > 2 * self.pods.len() + 1024 {
            let pods = &self.pods;
            self.ip_owners
                .retain(|ip, owner| pods.get(owner).is_some_and(|sb| sb.ip == *ip));
        }
        self.ip_owners.insert(ip.clone(), key.clone());
        ip
    }

    /// `reference` and its [`Image::parse`], parsed once per reference (a parse is a
    /// function of the reference alone) and shared by every container naming it.
    pub fn parse_image(&mut self, reference: &str) -> (Arc<str>, Arc<Image>) {
        /// References remembered at most (a playground names a handful).
        const MAX_PARSED: usize = 256;
        if let Some((r, image)) = self.parsed_images.get_key_value(reference) {
            return (r.clone(), image.clone());
        }
        let (r, image): (Arc<str>, _) = (Arc::from(reference), Arc::new(Image::parse(reference)));
        if self.parsed_images.len() < MAX_PARSED {
            self.parsed_images.insert(r.clone(), image.clone());
        }
        (r, image)
    }

    pub fn sandbox(&self, namespace: &str, pod: &str) -> Option<&PodSandbox> {
        self.pods
            .get(&ObjectKey::new(Kind::Pod, namespace, pod))
            .map(|b| &**b)
    }

    pub fn sandbox_mut(&mut self, namespace: &str, pod: &str) -> Option<&mut PodSandbox> {
        self.pods
            .get_mut(&ObjectKey::new(Kind::Pod, namespace, pod))
            .map(|b| &mut **b)
    }

    /// The sandbox and container a reference names, if that container is running.
    fn running(&self, c: &ContainerRef<'_>) -> Result<(&PodSandbox, &ContainerRuntime), FsError> {
        let sb = self
            .sandbox(c.namespace, c.pod)
            .ok_or(FsError::NoContainer)?;
        let ct = sb.container(c.container).ok_or(FsError::NoContainer)?;
        if !ct.is_running() {
            return Err(FsError::NoContainer);
        }
        Ok((sb, ct))
    }

    /// `sim probe-fail` / `sim probe-pass`: makes the container's readiness probe fail or
    /// pass from now on. Call `Cluster::sim_set_probe` so the kubelet reports it.
    pub fn set_probe_result(
        &mut self,
        namespace: &str,
        pod: &str,
        container: Option<&str>,
        passing: bool,
    ) -> Result<(), FsError> {
        let ct = self
            .sandbox_mut(namespace, pod)
            .and_then(|sb| sb.container_mut(container))
            .ok_or(FsError::NoContainer)?;
        ct.probe_passing = passing;
        Ok(())
    }

    /// `sim kill`: the container's process dies now (SIGKILL, exit 137). Call
    /// `Cluster::sim_kill_container` so the kubelet notices and restarts it.
    pub fn kill_container(
        &mut self,
        namespace: &str,
        pod: &str,
        container: Option<&str>,
        now: Time,
    ) -> Result<(), FsError> {
        self.exit_container(namespace, pod, container, 137, now)
    }

    /// The container's main process ends now with `code` (an attached shell that exits).
    pub fn exit_container(
        &mut self,
        namespace: &str,
        pod: &str,
        container: Option<&str>,
        code: i32,
        now: Time,
    ) -> Result<(), FsError> {
        let ct = self
            .sandbox_mut(namespace, pod)
            .and_then(|sb| sb.container_mut(container))
            .ok_or(FsError::NoContainer)?;
        match &mut ct.state {
            ContainerState::Running { exit_at, .. } => {
                *exit_at = Some((now, code));
                Ok(())
            }
            _ => Err(FsError::NoContainer),
        }
    }

    /// The mounts of a container, longest mount path first.
    fn mounts(&self, api: &Api, c: &ContainerRef<'_>, sb: &PodSandbox) -> Vec<(String, Resolved)> {
        let Some(pod) = api.try_get(Kind::Pod, c.namespace, c.pod) else {
            return Vec::new();
        };
        let name = sb
            .container(c.container)
            .map(|x| x.name.clone())
            .unwrap_or_default();
        let spec = object::get_array(pod, &["spec", "containers"])
            .iter()
            .chain(object::get_array(pod, &["spec", "initContainers"]))
            .find(|x| object::get_str(x, &["name"]) == Some(name.as_str()))
            .unwrap_or(&NO_SPEC);
        mounts_of(api, c.namespace, pod, spec, sb)
    }
}

/// The files the kubelet manages in every container ([`write_pod_files`]).
const POD_FILES: [&str; 3] = ["/etc/hostname", "/etc/hosts", "/etc/resolv.conf"];

/// What the kubelet's files say of a sandbox (a copy, so a container of it can be written).
struct PodHost {
    hostname: String,
    ip: String,
    fqdn: Option<String>,
}

impl PodHost {
    fn of(sb: &PodSandbox) -> PodHost {
        PodHost {
            hostname: sb.hostname.clone(),
            ip: sb.ip.clone(),
            fqdn: sb.fqdn.clone(),
        }
    }
}

/// Writes the kubelet-managed files ([`POD_FILES`]) of a container in `namespace` run on
/// `host` into `fs`.
fn write_pod_files(fs: &mut Fs, namespace: &str, host: &PodHost) {
    // The three files are joined by hand, into one buffer.
    let mut text = String::with_capacity(256);
    for part in [host.hostname.as_str(), "\n"] {
        text.push_str(part);
    }
    fs.put("/etc/hostname", 0o644, text.as_bytes());
    text.clear();
    text.push_str("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n");
    text.push_str(&host.ip);
    text.push('\t');
    if let Some(f) = &host.fqdn {
        text.push_str(f);
        text.push('\t');
    }
    text.push_str(&host.hostname);
    text.push('\n');
    fs.put("/etc/hosts", 0o644, text.as_bytes());
    text.clear();
    for part in [
        "search ",
        namespace,
        ".svc.cluster.local svc.cluster.local cluster.local\nnameserver ",
        crate::dns::DNS_SERVICE_IP,
        "\noptions ndots:5\n",
    ] {
        text.push_str(part);
    }
    fs.put("/etc/resolv.conf", 0o644, text.as_bytes());
}

/// What a container without a spec (gone from the pod) is started with.
static NO_SPEC: Value = Value::Null;

/// `n` in decimal, in a buffer on the stack (no `format!` machinery, no allocation).
pub(crate) struct Decimal {
    digits: [u8; 20],
    at: usize,
}

impl Decimal {
    pub(crate) fn of(n: u64) -> Decimal {
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut rest = n;
        loop {
            at -= 1;
            digits[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 || at == 0 {
                break;
            }
        }
        Decimal { digits, at }
    }

    pub(crate) fn as_str(&self) -> &str {
        // ASCII digits: always UTF-8.
        std::str::from_utf8(&self.digits[self.at..]).unwrap_or("")
    }
}

/// Appends `n` in decimal to `out`.
pub(crate) fn push_decimal(out: &mut String, n: u64) {
    out.push_str(Decimal::of(n).as_str());
}

/// The spec of the container `name` in `pod`'s `initContainers` (`init`) or `containers`,
/// or null when the pod has none by that name.
pub(crate) fn container_spec<'a>(pod: &'a Value, init: bool, name: &str) -> &'a Value {
    object::get_array(
        pod,
        &["spec", if init { "initContainers" } else { "containers" }],
    )
    .iter()
    .find(|c| object::get_str(c, &["name"]) == Some(name))
    .unwrap_or(&NO_SPEC)
}

/// The mounts of the container `spec` of `pod` (in `namespace`, run in `sb`), longest mount
/// path first.
fn mounts_of(
    api: &Api,
    namespace: &str,
    pod: &Value,
    spec: &Value,
    sb: &PodSandbox,
) -> Vec<(String, Resolved)> {
    let spec_mounts = object::get_array(spec, &["volumeMounts"]);
    if spec_mounts.is_empty() {
        return Vec::new();
    }
    let volumes = object::get_array(pod, &["spec", "volumes"]);
    let mut out: Vec<(String, Resolved)> = Vec::new();
    for m in spec_mounts {
        let (Some(vname), Some(mpath)) = (
            object::get_str(m, &["name"]),
            object::get_str(m, &["mountPath"]),
        ) else {
            continue;
        };
        let Some(vol) = volumes
            .iter()
            .find(|v| object::get_str(v, &["name"]) == Some(vname))
        else {
            continue;
        };
        let sub = object::get_str(m, &["subPath"]).unwrap_or("");
        let mut read_only = object::get_bool(m, &["readOnly"]).unwrap_or(false);
        let backing =
            if let Some(claim) = object::get_str(vol, &["persistentVolumeClaim", "claimName"]) {
                let pv = api
                    .try_get(Kind::PersistentVolumeClaim, namespace, claim)
                    .and_then(|pvc| object::get_str(pvc, &["spec", "volumeName"]))
                    .unwrap_or("")
                    .to_string();
                if pv.is_empty() {
                    continue;
                }
                Backing::Pv(pv)
            } else if object::get(vol, &["emptyDir"]).is_some() {
                Backing::EmptyDir(vname.to_string())
            } else if let Some(hp) = object::get_str(vol, &["hostPath", "path"]) {
                out.push((
                    normalize_path(mpath),
                    Resolved {
                        backing: Backing::HostPath(sb.node.clone()),
                        path: join(hp, sub),
                        read_only,
                    },
                ));
                continue;
            } else if let Some(cm) = object::get_str(vol, &["configMap", "name"]) {
                read_only = true;
                Backing::ConfigMap {
                    namespace: namespace.to_string(),
                    name: cm.to_string(),
                }
            } else if object::get(vol, &["secret"]).is_some() {
                read_only = true;
                Backing::Secret
            } else {
                continue;
            };
        out.push((
            normalize_path(mpath),
            Resolved {
                backing,
                path: join("/", sub),
                read_only,
            },
        ));
    }
    kubeplay_shell::sorting::sort_by(&mut out, |a, b| {
        b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0))
    });
    out
}

impl Runtime {
    fn resolve(&self, api: &Api, c: &ContainerRef<'_>, sb: &PodSandbox, path: &str) -> Resolved {
        let path = normalize_path(path);
        for (mpath, r) in self.mounts(api, c, sb) {
            let rest = if mpath == "/" {
                Some(path.as_str())
            } else if path == mpath {
                Some("")
            } else {
                path.strip_prefix(&format!("{mpath}/"))
            };
            if let Some(rest) = rest {
                return Resolved {
                    path: join(&r.path, rest),
                    ..r
                };
            }
        }
        Resolved {
            backing: Backing::Root,
            path,
            read_only: false,
        }
    }

    /// A read-only view of a backing file system (ConfigMaps are built from the object).
    fn view(
        &self,
        api: &Api,
        namespace: &str,
        sb: &PodSandbox,
        ct: &ContainerRuntime,
        r: &Resolved,
    ) -> Fs {
        match &r.backing {
            Backing::Root => {
                let mut fs = ct.fs.clone();
                // Only `/`, `/etc` and what is below it can show the kubelet's files.
                let shows_pod_files =
                    r.path == "/" || r.path == "/etc" || r.path.starts_with("/etc/");
                if ct.pod_files_pending && shows_pod_files {
                    write_pod_files(&mut fs, namespace, &PodHost::of(sb));
                }
                fs
            }
            Backing::Pv(pv) => self
                .volumes
                .get(pv)
                .cloned()
                .unwrap_or_else(|| Fs::new(0o777)),
            Backing::EmptyDir(n) => sb
                .empty_dirs
                .get(n)
                .cloned()
                .unwrap_or_else(|| Fs::new(0o777)),
            Backing::HostPath(node) => self
                .host_paths
                .get(node)
                .cloned()
                .unwrap_or_else(|| Fs::new(0o755)),
            Backing::ConfigMap { namespace, name } => {
                let mut fs = Fs::new(0o777);
                if let Some(cm) = api.try_get(Kind::ConfigMap, namespace, name) {
                    for (k, v) in object::string_map(cm, &["data"]) {
                        fs.put(&format!("/{k}"), 0o644, v.as_bytes());
                    }
                }
                fs
            }
            Backing::Secret => Fs::new(0o777),
        }
    }

    fn with_fs_mut<T>(
        &mut self,
        api: &Api,
        c: &ContainerRef<'_>,
        path: &str,
        f: impl FnOnce(&mut Fs, &str) -> Result<T, FsError>,
    ) -> Result<T, FsError> {
        let (sb, _) = self.running(c)?;
        let r = self.resolve(api, c, sb, path);
        if r.read_only {
            return Err(FsError::ReadOnly);
        }
        let key = ObjectKey::new(Kind::Pod, c.namespace, c.pod);
        match r.backing {
            Backing::Root => {
                let sb = self.pods.get_mut(&key).ok_or(FsError::NoContainer)?;
                let host = PodHost::of(sb);
                let ct = sb.container_mut(c.container).ok_or(FsError::NoContainer)?;
                if ct.pod_files_pending {
                    write_pod_files(&mut ct.fs, c.namespace, &host);
                    ct.pod_files_pending = false;
                }
                f(&mut ct.fs, &r.path)
            }
            Backing::Pv(pv) => f(
                self.volumes.entry(pv).or_insert_with(|| Fs::new(0o777)),
                &r.path,
            ),
            Backing::EmptyDir(n) => {
                let sb = self.pods.get_mut(&key).ok_or(FsError::NoContainer)?;
                f(
                    sb.empty_dirs.entry(n).or_insert_with(|| Fs::new(0o777)),
                    &r.path,
                )
            }
            Backing::HostPath(node) => f(
                self.host_paths
                    .entry(node)
                    .or_insert_with(|| Fs::new(0o755)),
                &r.path,
            ),
            Backing::ConfigMap { .. } | Backing::Secret => Err(FsError::ReadOnly),
        }
    }

    fn lookup(&self, api: &Api, c: &ContainerRef<'_>, path: &str) -> Result<(Fs, String), FsError> {
        let (sb, ct) = self.running(c)?;
        let r = self.resolve(api, c, sb, path);
        let fs = self.view(api, c.namespace, sb, ct, &r);
        Ok((fs, r.path))
    }

    pub fn read_file(
        &self,
        api: &Api,
        c: &ContainerRef<'_>,
        path: &str,
    ) -> Result<Vec<u8>, FsError> {
        let (fs, p) = self.lookup(api, c, path)?;
        match fs.get(&p) {
            None => Err(FsError::NotFound),
            Some(e) if e.is_dir => Err(FsError::IsADirectory),
            Some(e) => Ok(e.data.to_vec()),
        }
    }

    /// Writes (or appends to) a file, creating it with mode 0644.
    pub fn write_file(
        &mut self,
        api: &Api,
        c: &ContainerRef<'_>,
        path: &str,
        data: &[u8],
        append: bool,
    ) -> Result<(), FsError> {
        self.with_fs_mut(api, c, path, |fs, p| fs.write(p, data, append))
    }

    pub fn list_dir(
        &self,
        api: &Api,
        c: &ContainerRef<'_>,
        path: &str,
    ) -> Result<Vec<DirEntry>, FsError> {
        let (fs, p) = self.lookup(api, c, path)?;
        let mut out = fs.list(&p)?;
        // Mount points directly below this directory show up even if the layer lacks them.
        let (sb, _) = self.running(c)?;
        let dir = normalize_path(path);
        for (mpath, _) in self.mounts(api, c, sb) {
            if parent(&mpath) == dir && mpath != "/" {
                let name = mpath.rsplit('/').next().unwrap_or("").to_string();
                if !out.iter().any(|e| e.name == name) {
                    out.push(DirEntry {
                        name,
                        is_dir: true,
                        mode: 0o777,
                        size: 4096,
                    });
                }
            }
        }
        kubeplay_shell::sorting::sort_by(&mut out, |a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    pub fn stat(&self, api: &Api, c: &ContainerRef<'_>, path: &str) -> Result<DirEntry, FsError> {
        let (fs, p) = self.lookup(api, c, path)?;
        let norm = normalize_path(path);
        let name = norm.rsplit('/').next().unwrap_or("").to_string();
        let name = if name.is_empty() {
            "/".to_string()
        } else {
            name
        };
        fs.get(&p)
            .map(|e| dir_entry(&name, e))
            .ok_or(FsError::NotFound)
    }

    pub fn mkdir(
        &mut self,
        api: &Api,
        c: &ContainerRef<'_>,
        path: &str,
        parents: bool,
    ) -> Result<(), FsError> {
        self.with_fs_mut(api, c, path, |fs, p| {
            if parents {
                return fs.mkdir_all(p, 0o755);
            }
            match fs.get(parent(p)) {
                None => return Err(FsError::NotFound),
                Some(e) if !e.is_dir => return Err(FsError::NotADirectory),
                _ => {}
            }
            if fs.get(p).is_some() {
                // busybox: `mkdir: can't create directory 'x': File exists`; the caller
                // distinguishes with `stat` first.
                return Err(FsError::IsADirectory);
            }
            fs.mkdir_all(p, 0o755)
        })
    }

    pub fn remove(
        &mut self,
        api: &Api,
        c: &ContainerRef<'_>,
        path: &str,
        recursive: bool,
    ) -> Result<(), FsError> {
        self.with_fs_mut(api, c, path, |fs, p| fs.remove(p, recursive))
    }

    pub fn chmod(
        &mut self,
        api: &Api,
        c: &ContainerRef<'_>,
        path: &str,
        mode: u32,
    ) -> Result<(), FsError> {
        self.with_fs_mut(api, c, path, |fs, p| {
            let e = fs.get_mut(p).ok_or(FsError::NotFound)?;
            e.mode = mode & 0o7777;
            Ok(())
        })
    }

    /// An HTTP GET from inside `from` to `host:port/path` (host may be `localhost`, a pod IP,
    /// or a DNS name resolved with the pod's search path).
    pub fn http_get(
        &self,
        api: &Api,
        from: &ContainerRef<'_>,
        host: &str,
        port: u16,
        path: &str,
    ) -> Result<HttpResponse, NetError> {
        self.http_exchange(api, from, host, port, path)
            .map(|(r, _)| r)
    }

    /// [`Runtime::http_get`], also naming the server software that answered (`nginx/1.9.3
    /// (Ubuntu)`, for the `Server:` header a raw `nc` client sees), if it names itself.
    /// A read: what the server would write is not stored (use [`Runtime::http_request`]).
    pub fn http_exchange(
        &self,
        api: &Api,
        from: &ContainerRef<'_>,
        host: &str,
        port: u16,
        path: &str,
    ) -> Result<(HttpResponse, Option<String>), NetError> {
        let req = images::HttpRequest {
            method: "GET",
            path,
            body: b"",
        };
        self.serve(api, from, host, port, &req)
            .map(|(served, by)| (served.response, by.software))
    }

    /// A request with any method and body from inside `from` (`curl -X PUT -T file`): the
    /// servers' periodic work is caught up on first, then the server answers and what it
    /// stores lands in its container's files (a PV when the path is one).
    pub fn http_request(
        &mut self,
        api: &Api,
        from: &ContainerRef<'_>,
        host: &str,
        port: u16,
        request: &images::HttpRequest<'_>,
    ) -> Result<images::Served, NetError> {
        self.catch_up(api);
        let (served, by) = self.serve(api, from, host, port, request)?;
        let target = ContainerRef {
            namespace: &by.namespace,
            pod: &by.pod,
            container: Some(&by.container),
        };
        self.store_writes(api, &target, &served.writes);
        Ok(served)
    }

    fn store_writes(&mut self, api: &Api, c: &ContainerRef<'_>, writes: &[(String, Vec<u8>)]) {
        for (path, data) in writes {
            let _ = self.mkdir(api, c, parent(path), true);
            let _ = self.write_file(api, c, path, data, false);
        }
    }

    /// Runs the periodic work every running process has due up to the clock
    /// ([`images::ImageDef::period_ms`]: a mehdb follower's sync every 10 s of its life),
    /// tick by tick at each tick's own time. Called before anything could observe its
    /// effects (a request, a command in a container, a log read), so the work is never
    /// scheduled as a timer and the cluster still settles.
    pub fn catch_up(&mut self, api: &Api) {
        /// Ticks replayed at most per container and call: older ones would repeat the same
        /// work against the same state.
        const MAX_TICKS: u64 = 1000;
        let now = api.now;
        let mut due = Vec::new();
        for (
            ObjectKey {
                namespace: ns,
                name: pod,
                ..
            },
            sb,
        ) in &self.pods
        {
            for ct in &sb.containers {
                let (Some(period), ContainerState::Running { started, .. }) =
                    (ct.image.def().period_ms(), &ct.state)
                else {
                    continue;
                };
                let elapsed = now.0.saturating_sub(started.0);
                let ticks = elapsed / period.max(1);
                if ticks > ct.periodic_ticks {
                    let first = ct.periodic_ticks.max(ticks.saturating_sub(MAX_TICKS)) + 1;
                    let times: Vec<Time> = (first..=ticks)
                        .map(|k| Time(started.0 + k * period))
                        .collect();
                    due.push((ns.clone(), pod.clone(), ct.name.clone(), ticks, times));
                }
            }
        }
        for (ns, pod, name, ticks, times) in due {
            for t in times {
                self.request_time.set(Some(t));
                let served = {
                    let Some(ct) = self
                        .sandbox(&ns, &pod)
                        .and_then(|sb| sb.container(Some(&name)))
                    else {
                        break;
                    };
                    let image = ct.image.clone();
                    let id = ct.container_id.clone();
                    let ctx = images::Server {
                        runtime: self,
                        api,
                        namespace: &ns,
                        pod: &pod,
                        container: &name,
                        image: &image,
                    };
                    (image.def().periodic(&ctx), id)
                };
                let (served, id) = served;
                let c = ContainerRef {
                    namespace: &ns,
                    pod: &pod,
                    container: Some(&name),
                };
                self.store_writes(api, &c, &served.writes);
                if !served.log.is_empty() {
                    self.access_logs
                        .borrow_mut()
                        .entry(id)
                        .or_default()
                        .push_str(&served.log);
                }
            }
            self.request_time.set(None);
            if let Some(ct) = self
                .sandbox_mut(&ns, &pod)
                .and_then(|sb| sb.container_mut(Some(&name)))
            {
                ct.periodic_ticks = ticks;
            }
        }
    }

    /// Routes a request to the container listening on `host:port` and lets its image answer.
    fn serve(
        &self,
        api: &Api,
        from: &ContainerRef<'_>,
        host: &str,
        port: u16,
        request: &images::HttpRequest<'_>,
    ) -> Result<(images::Served, ServedBy), NetError> {
        let path = request.path;
        let from_sb = self.sandbox(from.namespace, from.pod);
        let client_ip = from_sb.map(|s| s.ip.clone()).unwrap_or_default();
        let (target, client) = if host == "localhost" || host == "127.0.0.1" {
            (
                from_sb.ok_or_else(|| NetError::UnknownHost(host.to_string()))?,
                "127.0.0.1".to_string(),
            )
        } else {
            let ip = self.resolve_host(api, from, host)?;
            let ip = self.service_backend(api, &ip, port).unwrap_or(ip);
            let port_target = port;
            let sb = self
                .pods
                .values()
                .map(|b| &**b)
                .find(|p| p.ip == ip)
                .ok_or_else(|| NetError::Timeout {
                    host: host.to_string(),
                    port: port_target,
                })?;
            (sb, client_ip)
        };
        if self.failed_nodes.contains_key(&target.node) {
            return Err(NetError::Timeout {
                host: host.to_string(),
                port,
            });
        }
        let Some(server) = target.containers.iter().find(|c| {
            c.is_running()
                && (c.behavior.listens.contains(&port)
                    || c.servers.iter().any(|p| p.ports.contains(&port)))
        }) else {
            return Err(NetError::Refused {
                host: host.to_string(),
                port,
            });
        };
        let key = self
            .pods
            .iter()
            .find(|(_, p)| p.uid == target.uid)
            .map(|(k, _)| (k.namespace.clone(), k.name.clone()))
            .unwrap_or_default();
        let def = server.image.def();
        let ctx = images::Server {
            runtime: self,
            api,
            namespace: &key.0,
            pod: &key.1,
            container: &server.name,
            image: &server.image,
        };
        let started = server
            .servers
            .iter()
            .rev()
            .find(|p| p.ports.contains(&port));
        let depth = self.proxy_depth.get();
        self.proxy_depth.set(depth.saturating_add(1));
        let (reply, software) = match started {
            Some(p) => (
                images::serve_started(&ctx, p, path, depth).map(|response| images::Served {
                    headers: images::default_headers(&ctx, &response),
                    response,
                    ..images::Served::default()
                }),
                Some(format!("nginx/{}", p.version)),
            ),
            None => (
                def.serve_request(&ctx, request),
                (def.name() == "nginx").then(|| format!("nginx/{}", server.image.version)),
            ),
        };
        self.proxy_depth.set(depth);
        let Some(r) = reply else {
            return Err(NetError::EmptyReply {
                host: host.to_string(),
                port,
            });
        };
        let mut log = r.log.clone();
        if let Some(line) = def.access_log_line(&client, path, &r.response, self.clock) {
            log.push_str(&line);
        }
        if !log.is_empty() {
            self.access_logs
                .borrow_mut()
                .entry(server.container_id.clone())
                .or_default()
                .push_str(&log);
        }
        Ok((
            r,
            ServedBy {
                namespace: key.0,
                pod: key.1,
                container: server.name.clone(),
                software,
            },
        ))
    }

    /// The address `host` names from inside `from`: an IPv4 literal, or the first address
    /// cluster DNS gives with the pod's search path.
    pub fn resolve_host(
        &self,
        api: &Api,
        from: &ContainerRef<'_>,
        host: &str,
    ) -> Result<String, NetError> {
        if host.parse::<std::net::Ipv4Addr>().is_ok() {
            return Ok(host.to_string());
        }
        if host == "localhost" {
            return Ok("127.0.0.1".to_string());
        }
        crate::dns::resolve(api, from.namespace, host)
            .ok()
            .and_then(|a| a.into_iter().next())
            .map(|a| a.ip)
            .ok_or_else(|| NetError::UnknownHost(host.to_string()))
    }

    /// Registers a server a command line started in a running container. Fails with the
    /// port already taken when another process of the container listens there.
    pub fn start_server(&mut self, c: &ContainerRef<'_>, proc: ServerProc) -> Result<(), u16> {
        let ct = self
            .sandbox_mut(c.namespace, c.pod)
            .and_then(|sb| sb.container_mut(c.container))
            .ok_or(0u16)?;
        if let Some(port) = proc.ports.iter().find(|p| {
            ct.behavior.listens.contains(p) || ct.servers.iter().any(|s| s.ports.contains(p))
        }) {
            return Err(*port);
        }
        ct.servers.push(proc);
        Ok(())
    }

    /// A ClusterIP address maps to one ready backend pod IP (the first, deterministically).
    fn service_backend(&self, api: &Api, ip: &str, _port: u16) -> Option<String> {
        let svc = api
            .list(
                Kind::Service,
                None,
                &crate::selector::Selector::everything(),
            )
            .into_iter()
            .find(|s| object::get_str(s, &["spec", "clusterIP"]) == Some(ip))?;
        crate::dns::ready_endpoints(api, &svc)
            .into_iter()
            .next()
            .map(|e| e.ip)
    }

    /// A container's log so far (`kubectl logs`); `previous` reads the last terminated instance.
    pub fn logs(
        &self,
        _api: &Api,
        c: &ContainerRef<'_>,
        previous: bool,
    ) -> Result<String, FsError> {
        let sb = self
            .sandbox(c.namespace, c.pod)
            .ok_or(FsError::NoContainer)?;
        let ct = sb.container(c.container).ok_or(FsError::NoContainer)?;
        let access = self.access_logs.borrow();
        if previous {
            let prev = ct.last_terminated.as_ref().ok_or(FsError::NotFound)?;
            let mut out = ct.previous_log.text();
            if let Some(a) = access.get(&prev.container_id) {
                out.push_str(a);
            }
            return Ok(out);
        }
        if matches!(
            ct.state,
            ContainerState::Waiting
                | ContainerState::Pulling { .. }
                | ContainerState::PullFailed { .. }
                | ContainerState::PullBackOff { .. }
                | ContainerState::Starting { .. }
        ) {
            return Err(FsError::NoContainer);
        }
        let mut out = ct.log.text();
        if let Some(a) = access.get(&ct.container_id) {
            out.push_str(a);
        }
        Ok(out)
    }

    /// Starts a container instance of `pod_obj` (the pod as stored): fresh writable layer
    /// from the image, kubelet-managed files, mount points, and the process's startup output.
    /// `key` is the pod's (its sandbox's key).
    #[allow(clippy::too_many_arguments)]
    pub fn start_container(
        &mut self,
        api: &Api,
        key: &ObjectKey,
        pod_obj: &Value,
        index: usize,
        init: bool,
        now: Time,
        container_id: String,
    ) {
        let (namespace, pod) = (key.namespace.as_str(), key.name.as_str());
        let Some(sb) = self.pods.get(key) else {
            return;
        };
        let (hostname, fqdn) = (sb.hostname.clone(), sb.fqdn.clone());
        let list = if init { &sb.init } else { &sb.containers };
        let Some(ct) = list.get(index) else {
            return;
        };
        let cached = self
            .layers
            .get(&ct.image.full)
            .and_then(|l| l.iter().find(|(i, _)| *i == *ct.image));
        let mut fs = match cached {
            Some((_, layer)) => layer.clone(),
            None => {
                let layer = image_layer(&ct.image);
                self.layers
                    .entry(ct.image.full.clone())
                    .or_default()
                    .push(((*ct.image).clone(), layer.clone()));
                layer
            }
        };
        // The kubelet's files go in when the file system is first looked at (see
        // `ContainerRuntime::pod_files_pending`): until then it is the image's layer.
        let spec = container_spec(pod_obj, init, &ct.name);
        let start = images::Start {
            image: &ct.image,
            behavior: &ct.behavior,
            spec,
            hostname: &hostname,
            now,
        };
        let def = ct.image.def();
        let log = match def.startup_banner(&start) {
            Some(render) => ContainerLog::banner(Banner {
                render,
                version: ct.image.version.clone(),
                at: now,
            }),
            None => ContainerLog::from(def.startup_log(&start)),
        };
        let mounts = mounts_of(api, namespace, pod_obj, spec, sb);
        // A mount on one of the kubelet's files (or below one) meets the file as it was
        // written before the mount point: written now, in that order.
        let pod_files_first = mounts.iter().any(|(m, _)| {
            POD_FILES.iter().any(|f| {
                m.strip_prefix(f)
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
        });
        if pod_files_first {
            write_pod_files(&mut fs, namespace, &PodHost::of(sb));
        }
        for (mpath, r) in &mounts {
            let _ = fs.mkdir_all(mpath, 0o755);
            match &r.backing {
                Backing::Pv(pv) => {
                    let v = self
                        .volumes
                        .entry(pv.clone())
                        .or_insert_with(|| Fs::new(0o777));
                    let _ = v.mkdir_all(&r.path, 0o777);
                }
                Backing::HostPath(node) => {
                    let h = self
                        .host_paths
                        .entry(node.clone())
                        .or_insert_with(|| Fs::new(0o755));
                    let _ = h.mkdir_all(&r.path, 0o755);
                }
                _ => {}
            }
        }
        let Some(sb) = self.pods.get_mut(key) else {
            return;
        };
        for (_, r) in &mounts {
            if let Backing::EmptyDir(n) = &r.backing {
                sb.empty_dirs
                    .entry(n.clone())
                    .or_insert_with(|| Fs::new(0o777));
            }
        }
        let list = if init {
            &mut sb.init
        } else {
            &mut sb.containers
        };
        let Some(ct) = list.get_mut(index) else {
            return;
        };
        ct.fs = fs;
        ct.pod_files_pending = !pod_files_first;
        ct.log = log;
        ct.container_id = container_id;
        ct.periodic_ticks = 0;
        let (def, name) = (ct.image.def(), ct.name.clone());
        let replaced_log = def.on_start(&mut images::Process {
            runtime: self,
            api,
            namespace,
            pod,
            container: &name,
            spec,
            hostname: &hostname,
            fqdn: fqdn.as_deref(),
            init,
            now,
        });
        if let Some(log) = replaced_log {
            if let Some(ct) = self.pods.get_mut(key).and_then(|sb| {
                if init {
                    sb.init.get_mut(index)
                } else {
                    sb.containers.get_mut(index)
                }
            }) {
                ct.log = ContainerLog::from(log);
            }
        }
    }

    /// Runs a container's own command line (`command` and `args`, or the image's entrypoint
    /// program with `args`) through the in-pod programs, right after [`Runtime::start_container`]:
    /// its output goes to the container's log; if it ends in a long-running program
    /// (`nginx -g 'daemon off;'`, `sleep infinity`, a loop) the container keeps running,
    /// otherwise its process exits with the script's status once the time it slept has
    /// passed. Images whose programs the catalog does not model, and interactive
    /// containers (`stdin: true`), keep the process their command describes.
    /// `key` is the pod's (its sandbox's key).
    pub fn run_container_command(
        &mut self,
        api: &mut Api,
        key: &ObjectKey,
        pod_obj: &Value,
        index: usize,
        init: bool,
    ) {
        let (namespace, pod) = (key.namespace.as_str(), key.name.as_str());
        let Some(sb) = self.pods.get(key) else {
            return;
        };
        let list = if init { &sb.init } else { &sb.containers };
        let Some(ct) = list.get(index) else {
            return;
        };
        let def = ct.image.def();
        if !def.runs_commands() {
            return;
        }
        let spec = container_spec(pod_obj, init, &ct.name);
        // No command line, no args and no entrypoint program (nginx): nothing to run; found
        // before anything is copied.
        let has_words = |f: &str| !object::get_array(spec, &[f]).is_empty();
        if def.entrypoint_argv().is_none() && !has_words("command") && !has_words("args") {
            return;
        }
        let name = ct.name.clone();
        if images::interactive(spec) {
            return;
        }
        let words = |f: &str| -> Vec<String> {
            object::get_array(spec, &[f])
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        };
        let (command, args) = (words("command"), words("args"));
        let argv: Vec<String> = if !command.is_empty() {
            command.into_iter().chain(args).collect()
        } else if let Some(entry) = def.entrypoint_argv() {
            entry.iter().map(|s| s.to_string()).chain(args).collect()
        } else if !args.is_empty() {
            args
        } else {
            return;
        };
        let raw_image = object::get_str(spec, &["image"]).unwrap_or("").to_string();
        // The program owns the ports it opens itself.
        let declared = self
            .pods
            .get_mut(key)
            .and_then(|sb| sb.container_mut(Some(&name)))
            .map(|c| std::mem::take(&mut c.behavior.listens))
            .unwrap_or_default();
        let mut world = pod_shell::StartWorld {
            api,
            runtime: self,
            elapsed_ms: 0,
        };
        let mut io = kubeplay_shell::Io::new();
        let (status, foreground) = {
            let mut host =
                pod_shell::PodHost::for_start(&mut world, namespace, pod, &name, &raw_image);
            let status = host.run_argv(&argv, "", &mut io);
            (status, host.foreground.take())
        };
        let elapsed = world.elapsed_ms;
        let Some(ct) = self
            .pods
            .get_mut(key)
            .and_then(|sb| sb.container_mut(Some(&name)))
        else {
            return;
        };
        ct.log.push_str(&io.text());
        if foreground.is_some() && ct.servers.is_empty() {
            ct.behavior.listens = declared;
        }
        let serving = !ct.servers.is_empty();
        ct.behavior.on_sigterm = if serving { Some(300) } else { None };
        let exit = match foreground {
            Some(_) => None,
            None => Some((if elapsed == 0 { 50 } else { elapsed }, status)),
        };
        ct.behavior.exits = exit;
        if let ContainerState::Running {
            started, exit_at, ..
        } = &mut ct.state
        {
            *exit_at = exit.map(|(ms, code)| (started.plus_ms(ms), code));
        }
    }
}

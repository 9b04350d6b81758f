//! The image catalog: what each container image ships and what its main process does.
//!
//! One module per image (`nginx`, `busybox`, `alpine`, `ubuntu`, `mehdb`, `generic`), each a unit struct
//! implementing [`ImageDef`] and listed once in [`CATALOG`]. An entry declares:
//! - which image references it provides ([`ImageDef::provides`]), its version and size;
//! - its file layer ([`ImageDef::layer`]) on top of the base every image shares, including the
//!   executables it carries ([`ImageDef::commands`]; the in-pod shell finds a command only if
//!   its file is on the container's file system, so a binary `apt-get install` put on a
//!   volume is still there after a restart);
//! - its processes: the default entrypoint ([`ImageDef::entrypoint`]), which ports a command
//!   line that starts its server listens on ([`ImageDef::command_listens`]), what it logs at
//!   start ([`ImageDef::startup_log`]), how it answers HTTP ([`ImageDef::serve_http`]) and
//!   what it writes to its access log;
//! - its readiness behaviour ([`ImageDef::warmup_ms`]): how long after start the server
//!   answers a readiness probe.
//!
//! **Adding an image** (the seam other work builds on): write `images/<name>.rs` with a unit
//! struct implementing `ImageDef` (only `name`, `provides`, `userland`, `size_base`,
//! `commands`, `layer` and `entrypoint` are required; the rest have defaults of a silent
//! process that serves nothing), declare `mod <name>;` below and put the struct in
//! `CATALOG` before `generic::Generic`, which provides every image nobody else claims.
//! State an image keeps (a database's keys, ZooKeeper's `myid`) belongs in the container's
//! files, reached through [`Server`] or the runtime's file methods, so it lives exactly where
//! the real image keeps it (a PV, an emptyDir, the lost writable layer).
//!
//! Catalog entries never write API objects and never keep state of their own: they are
//! stateless descriptions consulted by the runtime and the kubelet.

mod alpine;
mod busybox;
mod generic;
mod mehdb;
mod nginx;
mod peer_finder;
mod ubuntu;
mod zookeeper;

pub use mehdb::go_log_stamp;
pub use nginx::{nginx_error_page, parse_site, serve_started, Site};

use super::fs::Fs;
use super::{ContainerRef, HttpResponse, Runtime};
use crate::api::Api;
use crate::object;
use crate::time::Time;
use serde_json::Value;

/// Which userland an image ships: decides the wording of the common tools' messages
/// (busybox `cat: can't open 'x': ...` against GNU `cat: x: ...`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Userland {
    Busybox,
    Gnu,
}

/// A running server, as an image's request handler sees it: the container it runs in, with
/// read access to its files through the runtime (mounts included).
pub struct Server<'a> {
    pub runtime: &'a Runtime,
    pub api: &'a Api,
    pub namespace: &'a str,
    pub pod: &'a str,
    pub container: &'a str,
    pub image: &'a Image,
}

impl Server<'_> {
    /// The container's spec in its pod (Null when the pod is gone).
    pub fn spec(&self) -> Value {
        let pod = self
            .api
            .try_get(crate::kinds::Kind::Pod, self.namespace, self.pod);
        pod.map(|p| {
            object::get_array(p, &["spec", "containers"])
                .iter()
                .chain(object::get_array(p, &["spec", "initContainers"]))
                .find(|c| object::get_str(c, &["name"]) == Some(self.container))
                .cloned()
                .unwrap_or(Value::Null)
        })
        .unwrap_or(Value::Null)
    }

    /// The pod's hostname: `spec.hostname`, or the pod's name.
    pub fn hostname(&self) -> String {
        self.api
            .try_get(crate::kinds::Kind::Pod, self.namespace, self.pod)
            .and_then(|p| object::get_str(p, &["spec", "hostname"]))
            .filter(|h| !h.is_empty())
            .unwrap_or(self.pod)
            .to_string()
    }

    /// Reads a file of the container (mounts included).
    pub fn read(&self, path: &str) -> Result<Vec<u8>, super::FsError> {
        self.runtime.read_file(self.api, &self.cref(), path)
    }

    /// Lists a directory of the container (mounts included).
    pub fn list(&self, path: &str) -> Result<Vec<super::DirEntry>, super::FsError> {
        self.runtime.list_dir(self.api, &self.cref(), path)
    }

    pub fn cref(&self) -> ContainerRef<'_> {
        ContainerRef {
            namespace: self.namespace,
            pod: self.pod,
            container: Some(self.container),
        }
    }
}

impl Server<'_> {
    /// The time the request (or periodic tick) happens: a tick being caught up on runs at
    /// its own time, earlier than the clock.
    pub fn now(&self) -> Time {
        self.runtime.request_time.get().unwrap_or(self.api.now)
    }

    /// The value of an environment variable of the container: a literal `value`, or the
    /// downward API's `metadata.namespace`/`metadata.name`.
    pub fn env(&self, name: &str) -> Option<String> {
        let spec = self.spec();
        let e = object::get_array(&spec, &["env"])
            .iter()
            .find(|e| object::get_str(e, &["name"]) == Some(name))?
            .clone();
        if let Some(v) = object::get_str(&e, &["value"]) {
            return Some(v.to_string());
        }
        match object::get_str(&e, &["valueFrom", "fieldRef", "fieldPath"]) {
            Some("metadata.namespace") => Some(self.namespace.to_string()),
            Some("metadata.name") => Some(self.pod.to_string()),
            _ => None,
        }
    }
}

/// An HTTP request a client in a pod sends (`curl -X PUT -T file URL`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpRequest<'a> {
    pub method: &'a str,
    /// The request target: path and query (`/status?level=full`).
    pub path: &'a str,
    pub body: &'a [u8],
}

/// What a server did with a request (or a tick of its periodic work): its answer with the
/// header lines as the server writes them, the files it writes and the lines it logs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Served {
    pub response: HttpResponse,
    /// Response header lines in the server's order (`Date`, `Content-Length`, ...).
    pub headers: Vec<(String, String)>,
    /// Files the server writes (absolute paths in its container; parents are created).
    pub writes: Vec<(String, Vec<u8>)>,
    /// Lines the process logs.
    pub log: String,
    /// Whether the server read the request body, so a client that sent `Expect:
    /// 100-continue` (curl uploading) got `100 Continue` first.
    pub continue_100: bool,
}

/// The header lines of a static-file server's answer (nginx): what `curl -i` shows.
pub fn default_headers(server: &Server<'_>, response: &HttpResponse) -> Vec<(String, String)> {
    let mut h = Vec::new();
    if server.image.def().name() == "nginx" {
        h.push((
            "Server".to_string(),
            format!("nginx/{}", server.image.version),
        ));
    }
    h.push(("Date".to_string(), super::http_date(server.now())));
    h.push(("Content-Type".to_string(), "text/html".to_string()));
    h.push((
        "Content-Length".to_string(),
        response.body.len().to_string(),
    ));
    h.push(("Connection".to_string(), "keep-alive".to_string()));
    h
}

/// A container instance being started, as its image's start-up hook sees it.
pub struct Start<'a> {
    pub image: &'a Image,
    pub behavior: &'a Behavior,
    /// The container's spec in the pod.
    pub spec: &'a Value,
    /// The pod's hostname (`spec.hostname` or its name).
    pub hostname: &'a str,
    pub now: Time,
}

impl Start<'_> {
    /// The value of an environment variable the pod spec sets with `value`.
    pub fn env(&self, name: &str) -> Option<String> {
        env_value(self.spec, name)
    }
}

/// `env[].value` of a container spec (variables from `valueFrom` are not resolved).
pub fn env_value(spec: &Value, name: &str) -> Option<String> {
    object::get_array(spec, &["env"])
        .iter()
        .find(|e| object::get_str(e, &["name"]) == Some(name))
        .and_then(|e| object::get_str(e, &["value"]))
        .map(str::to_string)
}

/// The TCP ports a container spec declares (`ports[].containerPort`).
pub fn declared_ports(spec: &Value) -> Vec<u16> {
    object::get_array(spec, &["ports"])
        .iter()
        .filter(|p| object::get_str(p, &["protocol"]).is_none_or(|x| x == "TCP"))
        .filter_map(|p| object::get_i64(p, &["containerPort"]))
        .filter_map(|p| u16::try_from(p).ok())
        .collect()
}

/// Whether the container keeps a standard input open (`stdin: true`, `kubectl run -i`).
pub fn interactive(spec: &Value) -> bool {
    object::get_bool(spec, &["stdin"]).unwrap_or(false)
}

/// A started container's process, as its image's `on_start` hook sees it: it may read and
/// write the container's files (mounts included).
pub struct Process<'a> {
    pub runtime: &'a mut Runtime,
    pub api: &'a Api,
    pub namespace: &'a str,
    pub pod: &'a str,
    pub container: &'a str,
    pub spec: &'a Value,
    pub hostname: &'a str,
    /// The pod's DNS name when it has `subdomain` (`zk-0.zk-hs.default.svc.cluster.local`).
    pub fqdn: Option<&'a str>,
    /// Whether this is an init container.
    pub init: bool,
    pub now: Time,
}

impl Process<'_> {
    fn cref(&self) -> ContainerRef<'_> {
        ContainerRef {
            namespace: self.namespace,
            pod: self.pod,
            container: Some(self.container),
        }
    }

    pub fn read(&self, path: &str) -> Result<Vec<u8>, super::FsError> {
        self.runtime.read_file(self.api, &self.cref(), path)
    }

    pub fn write(&mut self, path: &str, data: &[u8]) -> Result<(), super::FsError> {
        let c = ContainerRef {
            namespace: self.namespace,
            pod: self.pod,
            container: Some(self.container),
        };
        self.runtime.write_file(self.api, &c, path, data, false)
    }

    pub fn mkdir_all(&mut self, path: &str) -> Result<(), super::FsError> {
        let c = ContainerRef {
            namespace: self.namespace,
            pod: self.pod,
            container: Some(self.container),
        };
        self.runtime.mkdir(self.api, &c, path, true)
    }
}

/// One image of the catalog (see the module documentation for how to add one).
pub trait ImageDef: Sync {
    /// The catalog name (`nginx`), stored in [`Image::catalog`].
    fn name(&self) -> &'static str;
    /// Whether this entry is the image `repo` (`docker.io/library/nginx`); `base` is the
    /// last path segment (`nginx`).
    fn provides(&self, repo: &str, base: &str) -> bool;
    /// The software release the tag ships (nginx's `1.11.1`), or "" when it does not matter.
    fn version(&self, _base: &str, _tag: &str) -> String {
        String::new()
    }
    fn userland(&self) -> Userland;
    /// The order of magnitude of the compressed image, for `Image size: N bytes.`.
    fn size_base(&self) -> u64;
    /// Absolute paths of the executables the image carries; [`image_layer`] creates them.
    fn commands(&self, _image: &Image) -> &'static [&'static str];
    /// Adds the image's own files to the shared base layer.
    fn layer(&self, image: &Image, fs: &mut Fs);
    /// The main process when the pod gives neither `command` nor `args`; `container` is the
    /// container's spec (its `ports`, `env`, `stdin`).
    fn entrypoint(&self, image: &Image, container: &Value) -> Behavior;
    /// The program the image's entrypoint runs with the pod's `args` when the pod gives no
    /// `command` (peer-finder's `/peer-finder`); `None` when the image has no such program.
    fn entrypoint_argv(&self) -> Option<&'static [&'static str]> {
        None
    }
    /// Whether a container's command line runs through the in-pod programs when it starts
    /// (false for images whose programs the catalog does not model: the command only
    /// shapes the process, as [`Behavior::of`] reads it).
    fn runs_commands(&self) -> bool {
        true
    }
    /// The ports a container command line listens on when it starts this image's server
    /// (`nginx -g 'daemon off;'`).
    fn command_listens(&self, _image: &Image, _script: &str) -> Vec<u16> {
        Vec::new()
    }
    /// What the process does to its files when it starts (mehdb creates its data
    /// directory, ZooKeeper writes `myid` and `zoo.cfg`); runs after the mounts are in
    /// place. `Some(log)` replaces the startup log.
    fn on_start(&self, _process: &mut Process<'_>) -> Option<String> {
        None
    }
    /// What the main process writes to its log when it starts.
    fn startup_log(&self, start: &Start<'_>) -> String {
        start.behavior.output.clone()
    }
    /// [`ImageDef::startup_log`] when it is `render(release, start time)`: the log keeps
    /// the two and writes the text out when read (`None`: the text is made at start).
    fn startup_banner(&self, _start: &Start<'_>) -> Option<fn(&str, Time) -> String> {
        None
    }
    /// Answers `GET path` on one of the ports the process listens on; `None` closes the
    /// connection without a reply.
    fn serve_http(&self, _server: &Server<'_>, _path: &str) -> Option<HttpResponse> {
        None
    }
    /// Answers a request with any method and body. The default serves `GET`s (and every
    /// other method alike, as servers that only read files do) through
    /// [`ImageDef::serve_http`]; a server that stores what it is sent (mehdb's `PUT
    /// /set/KEY`) overrides this and returns the files to write.
    fn serve_request(&self, server: &Server<'_>, request: &HttpRequest<'_>) -> Option<Served> {
        self.serve_http(server, request.path)
            .map(|response| Served {
                headers: default_headers(server, &response),
                response,
                ..Served::default()
            })
    }
    /// How often the main process does work of its own between requests (a mehdb
    /// follower syncs from its leader every 10 s); `None` for processes that only answer.
    /// The runtime runs the work lazily ([`super::Runtime::catch_up`]), tick by tick, when
    /// something might observe it, so no timer keeps the cluster from settling.
    fn period_ms(&self) -> Option<u64> {
        None
    }
    /// The periodic work of one tick at `server.now()`: files to write and log lines.
    fn periodic(&self, _server: &Server<'_>) -> Served {
        Served::default()
    }
    /// The access log line for a request served (`None`: the server logs nothing).
    fn access_log_line(
        &self,
        _client: &str,
        _path: &str,
        _response: &HttpResponse,
        _now: Time,
    ) -> Option<String> {
        None
    }
    /// How long after the process starts a readiness probe first succeeds (on top of the
    /// probe's `initialDelaySeconds`).
    fn warmup_ms(&self, _image: &Image) -> u64 {
        0
    }
    /// Whether the registry has `tag` of this image. The catalog cannot know every tag a
    /// registry holds, so the default accepts any tag except the ones that announce they do
    /// not exist ([`tag_cannot_exist`]); an entry that knows its releases may say more.
    fn has_tag(&self, tag: &str) -> bool {
        !tag_cannot_exist(tag)
    }
}

/// Tags that name their own absence (`nginx:does-not-exist`, `busybox:nonexistent`): what
/// tutorials and users type to see `ErrImagePull`. No real tag of a tutorial image looks
/// like this, so every other tag is taken to exist.
pub fn tag_cannot_exist(tag: &str) -> bool {
    // Every word below has letters, which the folding keeps: a tag without letters (`1.25`,
    // the usual release number) matches none, and is answered without folding a copy.
    if !tag.bytes().any(|b| b.is_ascii_alphabetic()) {
        return false;
    }
    let t = tag.to_ascii_lowercase().replace(['_', '.'], "-");
    [
        "does-not-exist",
        "doesnotexist",
        "doesnt-exist",
        "doesntexist",
        "not-exist",
        "notexist",
        "nonexist",
        "non-exist",
        "no-such-tag",
        "bogus",
    ]
    .iter()
    .any(|w| t.contains(w))
}

/// Every image the runtime knows, most specific first; `generic::Generic` is last and
/// provides any image.
pub static CATALOG: &[&dyn ImageDef] = &[
    &nginx::Nginx,
    &busybox::Busybox,
    &alpine::Alpine,
    &ubuntu::Ubuntu,
    &mehdb::Mehdb,
    &zookeeper::ZooKeeper,
    &peer_finder::PeerFinder,
    &generic::Generic,
];

/// The catalog entry named `name` (the generic image when none is).
pub fn def_named(name: &str) -> &'static dyn ImageDef {
    CATALOG
        .iter()
        .copied()
        .find(|d| d.name() == name)
        .unwrap_or(&generic::Generic)
}

fn def_for(repo: &str, base: &str) -> &'static dyn ImageDef {
    CATALOG
        .iter()
        .copied()
        .find(|d| d.provides(repo, base))
        .unwrap_or(&generic::Generic)
}

/// A parsed image reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// `docker.io/library/nginx:1.14`: what container statuses report as `image`.
    pub full: String,
    /// `docker.io/library/nginx`
    pub repo: String,
    pub tag: String,
    /// The catalog entry that provides it ([`ImageDef::name`]).
    pub catalog: &'static str,
    /// The software release the tag ships ([`ImageDef::version`]).
    pub version: String,
}

impl Image {
    pub fn parse(image: &str) -> Image {
        let (name, tag) = match image.rsplit_once(':') {
            Some((n, t)) if !t.contains('/') => (n.to_string(), t.to_string()),
            _ => (image.to_string(), "latest".to_string()),
        };
        let name = name.split('@').next().unwrap_or("").to_string();
        let first = name.split('/').next().unwrap_or("");
        let has_registry = name.contains('/')
            && (first.contains('.') || first.contains(':') || first == "localhost");
        let repo = if has_registry {
            name.clone()
        } else if name.contains('/') {
            format!("docker.io/{name}")
        } else {
            format!("docker.io/library/{name}")
        };
        let base = repo.rsplit('/').next().unwrap_or("");
        let def = def_for(&repo, base);
        Image {
            full: format!("{repo}:{tag}"),
            catalog: def.name(),
            version: def.version(base, &tag),
            repo,
            tag,
        }
    }

    /// The catalog entry describing this image.
    pub fn def(&self) -> &'static dyn ImageDef {
        def_named(self.catalog)
    }

    /// `docker.io/library/nginx@sha256:<hex>`: a digest stable for the image name.
    pub fn image_id(&self) -> String {
        // Joined by hand: every container status of a started container asks for it.
        let digest = hex_digest(&self.full, 64);
        let mut id = String::with_capacity(self.repo.len() + 8 + digest.len());
        id.push_str(&self.repo);
        id.push_str("@sha256:");
        id.push_str(&digest);
        id
    }

    /// Why pulling this image fails, as containerd reports it to the kubelet (`None`: the
    /// registry has it).
    pub fn pull_error(&self) -> Option<String> {
        if self.def().has_tag(&self.tag) {
            return None;
        }
        let r = &self.full;
        Some(format!(
            "rpc error: code = NotFound desc = failed to pull and unpack image \"{r}\": failed to resolve reference \"{r}\": {r}: not found"
        ))
    }

    /// A plausible compressed size, stable per image (`Image size: N bytes.`).
    pub fn size_bytes(&self) -> u64 {
        let base = self.def().size_base().max(2);
        base + fnv(&self.full) % (base / 2)
    }
}

/// The FNV-1a offset basis: the hash of nothing.
const FNV_BASIS: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a of `bytes` continued from the hash `h` of what came before them.
fn fnv_extend(mut h: u64, bytes: &[u8]) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

pub(crate) fn fnv(s: &str) -> u64 {
    fnv_extend(FNV_BASIS, s.as_bytes())
}

/// A deterministic hex string of `len` characters derived from `seed`.
pub fn hex_digest(seed: &str, len: usize) -> String {
    hex_digest_parts(&[seed], len)
}

/// [`hex_digest`] of the seed `parts` joined (without joining them).
pub fn hex_digest_parts(parts: &[&str], len: usize) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(len.div_ceil(16) * 16);
    let mut h = parts
        .iter()
        .fold(FNV_BASIS, |h, p| fnv_extend(h, p.as_bytes()));
    // The hash of `out` so far, kept up as it grows (each block mixes in all before it).
    let mut h_out = FNV_BASIS;
    while out.len() < len {
        h = h.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17) ^ h_out;
        // `{h:016x}`, by hand (a digest per container start).
        let mut block = [0u8; 16];
        for (i, d) in block.iter_mut().enumerate() {
            *d = HEX[((h >> ((15 - i) * 4)) & 0xf) as usize];
        }
        h_out = fnv_extend(h_out, &block);
        out.push_str(std::str::from_utf8(&block).unwrap_or(""));
    }
    out.truncate(len);
    out
}

/// `/etc/os-release` of the Debian-based images.
pub(crate) const DEBIAN_OS_RELEASE: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\nHOME_URL=\"https://www.debian.org/\"\nSUPPORT_URL=\"https://www.debian.org/support\"\nBUG_REPORT_URL=\"https://bugs.debian.org/\"\n";

/// An executable's contents: only the ELF magic, enough for `ls -l` and `cat` to see a file.
pub(crate) const ELF: &[u8] = b"\x7fELF";

/// The image's file system layer: the base every image shares, its executables, then the
/// image's own files.
pub fn image_layer(image: &Image) -> Fs {
    let mut fs = Fs::new(0o755);
    for d in [
        "/bin", "/dev", "/etc", "/home", "/proc", "/root", "/sys", "/tmp", "/usr", "/var",
    ] {
        let _ = fs.mkdir_all(d, 0o755);
    }
    if let Some(e) = fs.get_mut("/tmp") {
        e.mode = 0o1777;
    }
    if let Some(e) = fs.get_mut("/root") {
        e.mode = 0o700;
    }
    fs.put(
        "/etc/passwd",
        0o644,
        b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n",
    );
    fs.put("/etc/group", 0o644, b"root:x:0:\nnogroup:x:65534:\n");
    let def = image.def();
    def.layer(image, &mut fs);
    for path in def.commands(image) {
        fs.put(path, 0o755, ELF);
    }
    fs
}

/// What a container's main process does, derived from its image and command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Behavior {
    /// `Some((ms, code))`: the process exits by itself after `ms` with `code`.
    pub exits: Option<(u64, i32)>,
    /// `Some(ms)`: exits with 0 this long after SIGTERM; `None`: ignores it (PID 1 without
    /// a handler, like `sleep`), so only SIGKILL at the end of the grace period stops it.
    pub on_sigterm: Option<u64>,
    /// TCP ports the process listens on.
    pub listens: Vec<u16>,
    /// Lines written to stdout when it starts.
    pub output: String,
}

impl Behavior {
    /// A process that runs until stopped and exits `sigterm_ms` after SIGTERM.
    pub fn long_running(sigterm_ms: u64, listens: Vec<u16>) -> Behavior {
        Behavior {
            exits: None,
            on_sigterm: Some(sigterm_ms),
            listens,
            output: String::new(),
        }
    }

    /// The process a container runs: its image's entrypoint, or what its command line does.
    pub fn of(image: &Image, container: &Value) -> Behavior {
        let words: Vec<String> = ["command", "args"]
            .iter()
            .flat_map(|f| object::get_array(container, &[f]))
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        let interactive = interactive(container);
        if words.is_empty() {
            return image.def().entrypoint(image, container);
        }
        let script = words.join(" ");
        let mut output = String::new();
        // Collect `echo` output for the log; good enough for `sh -c 'echo hi; sleep 3600'`.
        for part in script.split([';', '&', '\n']) {
            let p = part.trim();
            if let Some(rest) = p.strip_prefix("echo ") {
                output.push_str(rest.trim().trim_matches(['"', '\'']));
                output.push('\n');
            }
        }
        let forever = script.contains("sleep infinity")
            || script.contains("tail -f")
            || script.contains("while true")
            || script.contains("while :")
            || interactive;
        let sleep_secs = script
            .split_whitespace()
            .skip_while(|w| *w != "sleep")
            .nth(1)
            .and_then(|w| w.trim_matches(['"', '\'', ';']).parse::<u64>().ok());
        let exit_code = script
            .split_whitespace()
            .skip_while(|w| *w != "exit")
            .nth(1)
            .and_then(|w| w.trim_matches(['"', '\'', ';']).parse::<i32>().ok())
            .or_else(|| {
                script
                    .split(|c: char| c.is_whitespace() || c == ';')
                    .any(|w| w == "false")
                    .then_some(1)
            })
            .unwrap_or(0);
        let listens = image.def().command_listens(image, &script);
        let exits = if forever || !listens.is_empty() {
            None
        } else {
            Some((sleep_secs.map_or(50, |s| s * 1000), exit_code))
        };
        // A command line the in-pod programs run writes its own output when it starts
        // (`Runtime::run_container_command`).
        let output = if image.def().runs_commands() {
            String::new()
        } else {
            output
        };
        Behavior {
            exits,
            on_sigterm: if listens.is_empty() { None } else { Some(300) },
            listens,
            output,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tags_naming_their_absence_cannot_exist() {
        for tag in ["does_not.exist", "1.0-BOGUS", "NonExistent", "no.such.tag"] {
            assert!(tag_cannot_exist(tag), "{tag}");
        }
        // Release numbers have no letters: answered without folding, never absent.
        for tag in [
            "1.25",
            "0.8",
            "3.20",
            "15.10",
            "1-0",
            "",
            "latest",
            "1.27-alpine",
        ] {
            assert!(!tag_cannot_exist(tag), "{tag}");
        }
    }

    #[test]
    fn references_find_their_catalog_entry() {
        for (reference, entry) in [
            ("nginx", "nginx"),
            ("registry.k8s.io/nginx-slim:0.8", "nginx"),
            ("busybox:1.28", "busybox"),
            ("alpine:3.20", "alpine"),
            ("ubuntu:15.10", "ubuntu"),
            ("quay.io/mhausenblas/mehdb:0.6", "mehdb"),
            ("quay.io/mhausenblas/jump:0.2", "generic"),
        ] {
            assert_eq!(Image::parse(reference).catalog, entry, "{reference}");
        }
        assert_eq!(Image::parse("nginx:1.14").version, "1.14.2");
    }

    #[test]
    fn only_tags_that_name_their_absence_fail_to_pull() {
        for ok in [
            "nginx",
            "nginx:1.14",
            "registry.k8s.io/nginx-slim:0.24",
            "gcr.io/google_containers/nginx-slim:0.8",
            "k8s.gcr.io/nginx-slim:0.8",
            "ubuntu:16.04",
            "busybox",
            "quay.io/mhausenblas/mehdb:0.6",
            "registry.k8s.io/kubernetes-zookeeper:1.0-3.4.10",
            "gcr.io/google_samples/k8szk:v3",
        ] {
            assert_eq!(Image::parse(ok).pull_error(), None, "{ok}");
        }
        assert_eq!(
            Image::parse("nginx:does-not-exist").pull_error().as_deref(),
            Some("rpc error: code = NotFound desc = failed to pull and unpack image \"docker.io/library/nginx:does-not-exist\": failed to resolve reference \"docker.io/library/nginx:does-not-exist\": docker.io/library/nginx:does-not-exist: not found")
        );
        assert!(Image::parse("example.com/app:nonexistent")
            .pull_error()
            .is_some());
    }

    #[test]
    fn generic_is_last_and_names_are_unique() {
        assert_eq!(CATALOG.last().map(|d| d.name()), Some("generic"));
        for (i, d) in CATALOG.iter().enumerate() {
            assert!(CATALOG[i + 1..].iter().all(|o| o.name() != d.name()));
            assert_eq!(def_named(d.name()).name(), d.name());
        }
    }

    #[test]
    fn layers_carry_the_declared_commands() {
        for d in CATALOG {
            let image = Image::parse(&format!("example.com/{}:1", d.name()));
            let image = Image {
                catalog: d.name(),
                ..image
            };
            let fs = image_layer(&image);
            for c in d.commands(&image) {
                assert_eq!(fs.get(c).map(|e| e.mode), Some(0o755), "{} {c}", d.name());
            }
        }
    }
}

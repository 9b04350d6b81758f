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
//! This module never writes API objects: the kubelet reads the state here and reports it.

use crate::api::Api;
use crate::kinds::Kind;
use crate::object;
use crate::time::Time;
use serde_json::Value;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

/// A file system error, rendered by the in-pod tools (`cat: can't open 'x': No such file or directory`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FsError {
    NotFound,
    NotADirectory,
    IsADirectory,
    PermissionDenied,
    ReadOnly,
    /// The pod or container does not exist or is not running.
    NoContainer,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub name: String,
    pub is_dir: bool,
    /// Unix permission bits (0o644, 0o755 ...).
    pub mode: u32,
    pub size: u64,
}

/// An HTTP response from a simulated server (nginx serving its document root ...).
#[derive(Clone, Debug, PartialEq, Eq)]
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
}

/// Which container of which pod: `container: None` means the pod's first container.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerRef<'a> {
    pub namespace: &'a str,
    pub pod: &'a str,
    pub container: Option<&'a str>,
}

// ---------------------------------------------------------------------------------------
// File systems

/// One file or directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FsEntry {
    pub is_dir: bool,
    pub mode: u32,
    pub data: Vec<u8>,
}

/// A tree of files keyed by absolute, normalised path (`/`, `/etc`, `/etc/hosts`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fs {
    pub entries: BTreeMap<String, FsEntry>,
}

impl Fs {
    /// An empty directory tree whose root has `mode`.
    pub fn new(root_mode: u32) -> Fs {
        let mut entries = BTreeMap::new();
        entries.insert(
            "/".to_string(),
            FsEntry {
                is_dir: true,
                mode: root_mode,
                data: Vec::new(),
            },
        );
        Fs { entries }
    }

    pub fn get(&self, path: &str) -> Option<&FsEntry> {
        self.entries.get(path)
    }

    /// Creates every missing directory up to and including `path`.
    pub fn mkdir_all(&mut self, path: &str, mode: u32) -> Result<(), FsError> {
        let mut cur = String::new();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            cur.push('/');
            cur.push_str(part);
            match self.entries.get(&cur) {
                Some(e) if !e.is_dir => return Err(FsError::NotADirectory),
                Some(_) => {}
                None => {
                    self.entries.insert(
                        cur.clone(),
                        FsEntry {
                            is_dir: true,
                            mode,
                            data: Vec::new(),
                        },
                    );
                }
            }
        }
        Ok(())
    }

    /// Writes a file, creating parent directories (used to build image layers).
    pub fn put(&mut self, path: &str, mode: u32, data: &[u8]) {
        let _ = self.mkdir_all(parent(path), 0o755);
        self.entries.insert(
            path.to_string(),
            FsEntry {
                is_dir: false,
                mode,
                data: data.to_vec(),
            },
        );
    }

    fn write(&mut self, path: &str, data: &[u8], append: bool) -> Result<(), FsError> {
        match self.entries.get(parent(path)) {
            None => return Err(FsError::NotFound),
            Some(e) if !e.is_dir => return Err(FsError::NotADirectory),
            _ => {}
        }
        match self.entries.get_mut(path) {
            Some(e) if e.is_dir => Err(FsError::IsADirectory),
            Some(e) => {
                if !append {
                    e.data.clear();
                }
                e.data.extend_from_slice(data);
                Ok(())
            }
            None => {
                self.entries.insert(
                    path.to_string(),
                    FsEntry {
                        is_dir: false,
                        mode: 0o644,
                        data: data.to_vec(),
                    },
                );
                Ok(())
            }
        }
    }

    fn list(&self, path: &str) -> Result<Vec<DirEntry>, FsError> {
        let e = self.entries.get(path).ok_or(FsError::NotFound)?;
        if !e.is_dir {
            return Err(FsError::NotADirectory);
        }
        let prefix = if path == "/" {
            "/".to_string()
        } else {
            format!("{path}/")
        };
        Ok(self
            .entries
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter_map(|(k, e)| {
                let rest = k.get(prefix.len()..)?;
                if rest.is_empty() || rest.contains('/') {
                    return None;
                }
                Some(dir_entry(rest, e))
            })
            .collect())
    }

    fn remove(&mut self, path: &str, recursive: bool) -> Result<(), FsError> {
        let e = self.entries.get(path).ok_or(FsError::NotFound)?;
        if e.is_dir {
            let prefix = format!("{path}/");
            let children: Vec<String> = self
                .entries
                .range(prefix.clone()..)
                .take_while(|(k, _)| k.starts_with(&prefix))
                .map(|(k, _)| k.clone())
                .collect();
            if !recursive {
                return Err(FsError::IsADirectory);
            }
            for c in children {
                self.entries.remove(&c);
            }
        }
        if path != "/" {
            self.entries.remove(path);
        }
        Ok(())
    }
}

fn dir_entry(name: &str, e: &FsEntry) -> DirEntry {
    DirEntry {
        name: name.to_string(),
        is_dir: e.is_dir,
        mode: e.mode,
        size: if e.is_dir { 4096 } else { e.data.len() as u64 },
    }
}

fn parent(path: &str) -> &str {
    match path.rfind('/') {
        Some(0) | None => "/",
        Some(i) => path.get(..i).unwrap_or("/"),
    }
}

/// Normalises a path as the kernel would resolve it from `/` (no symlinks).
pub fn normalize_path(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    if parts.is_empty() {
        "/".to_string()
    } else {
        format!("/{}", parts.join("/"))
    }
}

fn join(base: &str, rel: &str) -> String {
    normalize_path(&format!("{base}/{rel}"))
}

// ---------------------------------------------------------------------------------------
// Images

/// What an image is, as far as the simulation cares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImageKind {
    /// An nginx server image; the version is what `Server:` and error pages print.
    Nginx {
        version: String,
    },
    Busybox,
    Generic,
}

/// A parsed image reference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Image {
    /// `docker.io/library/nginx:1.14`: what container statuses report as `image`.
    pub full: String,
    /// `docker.io/library/nginx`
    pub repo: String,
    pub tag: String,
    pub kind: ImageKind,
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
        let kind = if base.starts_with("nginx") {
            ImageKind::Nginx {
                version: nginx_version(base, &tag),
            }
        } else if base == "busybox" {
            ImageKind::Busybox
        } else {
            ImageKind::Generic
        };
        Image {
            full: format!("{repo}:{tag}"),
            repo,
            tag,
            kind,
        }
    }

    /// `docker.io/library/nginx@sha256:<hex>`: a digest stable for the image name.
    pub fn image_id(&self) -> String {
        format!("{}@sha256:{}", self.repo, hex_digest(&self.full, 64))
    }

    /// A plausible compressed size, stable per image (`Image size: N bytes.`).
    pub fn size_bytes(&self) -> u64 {
        let base = match self.kind {
            ImageKind::Nginx { .. } => 50_000_000,
            ImageKind::Busybox => 700_000,
            ImageKind::Generic => 30_000_000,
        };
        base + fnv(&self.full) % (base / 2)
    }
}

/// The nginx release an image tag ships, for `Server:` headers and error pages.
fn nginx_version(base: &str, tag: &str) -> String {
    if base == "nginx-slim" {
        return match tag {
            "0.7" => "1.9.14",
            "0.8" => "1.11.1",
            "0.9" | "0.10" | "0.11" => "1.11.13",
            "0.12" | "0.13" | "0.14" => "1.13.3",
            "0.20" | "0.21" => "1.15.5",
            "0.24" | "0.25" | "0.26" => "1.21.6",
            _ => "1.25.3",
        }
        .to_string();
    }
    let numeric: String = tag
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    let dots = numeric.matches('.').count();
    match (numeric.as_str(), dots) {
        ("1.14", _) => "1.14.2".to_string(),
        ("1.16", _) => "1.16.1".to_string(),
        ("1.19", _) => "1.19.10".to_string(),
        ("1.21", _) => "1.21.6".to_string(),
        ("1.23", _) => "1.23.4".to_string(),
        ("1.25", _) => "1.25.5".to_string(),
        ("1.27", _) => "1.27.5".to_string(),
        (n, 2) => n.to_string(),
        (n, 1) if !n.ends_with('.') => format!("{n}.0"),
        _ => "1.29.1".to_string(),
    }
}

fn version_tuple(v: &str) -> (u32, u32) {
    let mut it = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (it.next().unwrap_or(0), it.next().unwrap_or(0))
}

fn fnv(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A deterministic hex string of `len` characters derived from `seed`.
pub fn hex_digest(seed: &str, len: usize) -> String {
    let mut out = String::new();
    let mut h = fnv(seed);
    while out.len() < len {
        h = h.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17) ^ fnv(&out);
        out.push_str(&format!("{h:016x}"));
    }
    out.truncate(len);
    out
}

const OS_RELEASE: &str = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\nHOME_URL=\"https://www.debian.org/\"\nSUPPORT_URL=\"https://www.debian.org/support\"\nBUG_REPORT_URL=\"https://bugs.debian.org/\"\n";

/// The image's file system layer.
fn image_layer(image: &Image) -> Fs {
    let mut fs = Fs::new(0o755);
    for d in [
        "/bin", "/dev", "/etc", "/home", "/proc", "/root", "/sys", "/tmp", "/usr", "/var",
    ] {
        let _ = fs.mkdir_all(d, 0o755);
    }
    if let Some(e) = fs.entries.get_mut("/tmp") {
        e.mode = 0o1777;
    }
    if let Some(e) = fs.entries.get_mut("/root") {
        e.mode = 0o700;
    }
    fs.put(
        "/etc/passwd",
        0o644,
        b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n",
    );
    fs.put("/etc/group", 0o644, b"root:x:0:\nnogroup:x:65534:\n");
    match &image.kind {
        ImageKind::Nginx { version } => {
            for d in [
                "/lib",
                "/sbin",
                "/usr/bin",
                "/usr/sbin",
                "/usr/lib",
                "/var/log/nginx",
                "/var/cache/nginx",
            ] {
                let _ = fs.mkdir_all(d, 0o755);
            }
            fs.put("/etc/os-release", 0o644, OS_RELEASE.as_bytes());
            fs.put("/etc/nginx/nginx.conf", 0o644, NGINX_CONF.as_bytes());
            fs.put(
                "/etc/nginx/conf.d/default.conf",
                0o644,
                NGINX_DEFAULT_CONF.as_bytes(),
            );
            fs.put("/etc/nginx/mime.types", 0o644, b"types {\n    text/html  html htm shtml;\n    text/css   css;\n    text/plain txt;\n}\n");
            fs.put(
                "/usr/share/nginx/html/index.html",
                0o644,
                nginx_welcome(version).as_bytes(),
            );
            fs.put(
                "/usr/share/nginx/html/50x.html",
                0o644,
                NGINX_50X.as_bytes(),
            );
            fs.put("/usr/sbin/nginx", 0o755, b"\x7fELF");
            fs.put("/usr/bin/curl", 0o755, b"\x7fELF");
            fs.put("/bin/sh", 0o755, b"\x7fELF");
            fs.put("/bin/bash", 0o755, b"\x7fELF");
            let _ = fs.mkdir_all("/docker-entrypoint.d", 0o755);
        }
        ImageKind::Busybox => {
            for tool in [
                "sh", "busybox", "cat", "ls", "echo", "hostname", "nslookup", "wget", "sleep",
            ] {
                fs.put(&format!("/bin/{tool}"), 0o755, b"\x7fELF");
            }
        }
        ImageKind::Generic => {
            for d in [
                "/lib",
                "/sbin",
                "/usr/bin",
                "/usr/lib",
                "/usr/local/bin",
                "/var/log",
                "/opt",
            ] {
                let _ = fs.mkdir_all(d, 0o755);
            }
            fs.put("/etc/os-release", 0o644, OS_RELEASE.as_bytes());
            fs.put("/bin/sh", 0o755, b"\x7fELF");
            fs.put("/bin/bash", 0o755, b"\x7fELF");
        }
    }
    fs
}

const NGINX_CONF: &str = "\nuser  nginx;\nworker_processes  auto;\n\nerror_log  /var/log/nginx/error.log notice;\npid        /run/nginx.pid;\n\n\nevents {\n    worker_connections  1024;\n}\n\n\nhttp {\n    include       /etc/nginx/mime.types;\n    default_type  application/octet-stream;\n\n    log_format  main  '$remote_addr - $remote_user [$time_local] \"$request\" '\n                      '$status $body_bytes_sent \"$http_referer\" '\n                      '\"$http_user_agent\" \"$http_x_forwarded_for\"';\n\n    access_log  /var/log/nginx/access.log  main;\n\n    sendfile        on;\n    #tcp_nopush     on;\n\n    keepalive_timeout  65;\n\n    #gzip  on;\n\n    include /etc/nginx/conf.d/*.conf;\n}\n";

const NGINX_DEFAULT_CONF: &str = "server {\n    listen       80;\n    listen  [::]:80;\n    server_name  localhost;\n\n    location / {\n        root   /usr/share/nginx/html;\n        index  index.html index.htm;\n    }\n\n    error_page   500 502 503 504  /50x.html;\n    location = /50x.html {\n        root   /usr/share/nginx/html;\n    }\n}\n";

const NGINX_50X: &str = "<!DOCTYPE html>\n<html>\n<head>\n<title>Error</title>\n<style>\nhtml { color-scheme: light dark; }\nbody { width: 35em; margin: 0 auto;\nfont-family: Tahoma, Verdana, Arial, sans-serif; }\n</style>\n</head>\n<body>\n<h1>An error occurred.</h1>\n<p>Sorry, the page you are looking for is currently unavailable.<br/>\nPlease try again later.</p>\n<p>If you are the system administrator of this resource then you should check\nthe error log for details.</p>\n<p><em>Faithfully yours, nginx.</em></p>\n</body>\n</html>\n";

/// The default `index.html` of the nginx image; its style block changed in 1.21.
fn nginx_welcome(version: &str) -> String {
    let style = if version_tuple(version) >= (1, 21) {
        "html { color-scheme: light dark; }\nbody { width: 35em; margin: 0 auto;\nfont-family: Tahoma, Verdana, Arial, sans-serif; }\n"
    } else {
        "    body {\n        width: 35em;\n        margin: 0 auto;\n        font-family: Tahoma, Verdana, Arial, sans-serif;\n    }\n"
    };
    format!(
        "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n<style>\n{style}</style>\n</head>\n<body>\n<h1>Welcome to nginx!</h1>\n<p>If you see this page, the nginx web server is successfully installed and\nworking. Further configuration is required.</p>\n\n<p>For online documentation and support please refer to\n<a href=\"http://nginx.org/\">nginx.org</a>.<br/>\nCommercial support is available at\n<a href=\"http://nginx.com/\">nginx.com</a>.</p>\n\n<p><em>Thank you for using nginx.</em></p>\n</body>\n</html>\n"
    )
}

/// nginx's built-in error page (`ngx_http_special_response`), CRLF line ends included.
pub fn nginx_error_page(status: u16, version: &str) -> String {
    let title = match status {
        403 => "403 Forbidden",
        404 => "404 Not Found",
        405 => "405 Not Allowed",
        _ => "500 Internal Server Error",
    };
    let body_tag = if version_tuple(version) >= (1, 17) {
        "<body>"
    } else {
        "<body bgcolor=\"white\">"
    };
    format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n{body_tag}\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx/{version}</center>\r\n</body>\r\n</html>\r\n"
    )
}

// ---------------------------------------------------------------------------------------
// Processes

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
    pub fn of(image: &Image, container: &Value) -> Behavior {
        let words: Vec<String> = ["command", "args"]
            .iter()
            .flat_map(|f| object::get_array(container, &[f]))
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        let interactive = object::get_bool(container, &["stdin"]).unwrap_or(false);
        if words.is_empty() {
            return match &image.kind {
                ImageKind::Nginx { .. } => Behavior {
                    exits: None,
                    on_sigterm: Some(300),
                    listens: vec![80],
                    output: String::new(),
                },
                // busybox's default command is `sh`, which exits at once without a terminal.
                ImageKind::Busybox if !interactive => Behavior {
                    exits: Some((50, 0)),
                    on_sigterm: Some(0),
                    listens: vec![],
                    output: String::new(),
                },
                _ => Behavior {
                    exits: None,
                    on_sigterm: Some(200),
                    listens: vec![],
                    output: String::new(),
                },
            };
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
        let listens = if matches!(image.kind, ImageKind::Nginx { .. }) && script.contains("nginx") {
            vec![80]
        } else {
            vec![]
        };
        let exits = if forever || !listens.is_empty() {
            None
        } else {
            Some((sleep_secs.map_or(50, |s| s * 1000), exit_code))
        };
        Behavior {
            exits,
            on_sigterm: if listens.is_empty() { None } else { Some(300) },
            listens,
            output,
        }
    }
}

// ---------------------------------------------------------------------------------------
// Pod sandboxes and containers

/// How a container instance ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Terminated {
    pub exit_code: i32,
    pub reason: String,
    pub started: Time,
    pub finished: Time,
    pub container_id: String,
}

/// Where a container is in its life.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContainerState {
    /// Not started yet (its turn has not come, or the sandbox is being set up).
    Waiting,
    /// The image is being pulled since `since`; done at `until`.
    Pulling {
        since: Time,
        until: Time,
    },
    /// Pulled; the container is created and started at `at`.
    Starting {
        at: Time,
    },
    Running {
        started: Time,
        /// When the process exits by itself (or because it was told to stop).
        exit_at: Option<(Time, i32)>,
        /// When the readiness probe first succeeds.
        ready_at: Time,
    },
    Terminated(Terminated),
    /// Waiting for the restart back-off to expire.
    BackOff {
        until: Time,
        delay_ms: u64,
    },
}

#[derive(Clone, Debug)]
pub struct ContainerRuntime {
    pub name: String,
    pub image: Image,
    pub behavior: Behavior,
    pub state: ContainerState,
    pub restart_count: u32,
    pub last_terminated: Option<Terminated>,
    /// The back-off the next crash will wait (0 for the first crash: restart at once).
    pub next_backoff_ms: u64,
    pub container_id: String,
    /// The writable layer (a copy of the image made at start).
    pub fs: Fs,
    pub log: String,
    pub previous_log: String,
    /// False while `sim probe-fail` holds the readiness probe failing.
    pub probe_passing: bool,
    pub has_readiness_probe: bool,
    /// Set while an `Unhealthy` event has been reported for the current failing streak.
    pub reported_unready: bool,
}

impl ContainerRuntime {
    pub fn new(spec: &Value) -> ContainerRuntime {
        let image = Image::parse(object::get_str(spec, &["image"]).unwrap_or(""));
        ContainerRuntime {
            name: object::get_str(spec, &["name"]).unwrap_or("").to_string(),
            behavior: Behavior::of(&image, spec),
            image,
            state: ContainerState::Waiting,
            restart_count: 0,
            last_terminated: None,
            next_backoff_ms: 0,
            container_id: String::new(),
            fs: Fs::new(0o755),
            log: String::new(),
            previous_log: String::new(),
            probe_passing: true,
            has_readiness_probe: object::get(spec, &["readinessProbe"]).is_some(),
            reported_unready: false,
        }
    }

    pub fn is_running(&self) -> bool {
        matches!(self.state, ContainerState::Running { .. })
    }
}

/// Termination in progress (S8.5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stopping {
    pub started: Time,
    /// SIGKILL time: start + grace period.
    pub deadline: Time,
}

/// A pod's sandbox on its node: network identity, containers and pod-lifetime volumes.
#[derive(Clone, Debug)]
pub struct PodSandbox {
    pub uid: String,
    pub node: String,
    pub ip: String,
    pub host_ip: String,
    pub hostname: String,
    /// `web-0.nginx.default.svc.cluster.local` when spec.subdomain is set.
    pub fqdn: Option<String>,
    pub start_time: Time,
    pub init: Vec<ContainerRuntime>,
    pub containers: Vec<ContainerRuntime>,
    pub empty_dirs: BTreeMap<String, Fs>,
    pub stopping: Option<Stopping>,
    /// Set when every container stopped during termination; the pod is then deleted.
    pub stopped: bool,
}

impl PodSandbox {
    pub fn container(&self, name: Option<&str>) -> Option<&ContainerRuntime> {
        match name {
            None => self.containers.first(),
            Some(n) => self
                .containers
                .iter()
                .chain(self.init.iter())
                .find(|c| c.name == n),
        }
    }

    fn container_mut(&mut self, name: Option<&str>) -> Option<&mut ContainerRuntime> {
        match name {
            None => self.containers.first_mut(),
            Some(n) => self
                .containers
                .iter_mut()
                .chain(self.init.iter_mut())
                .find(|c| c.name == n),
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Runtime {
    /// Files of each persistent volume, keyed by PV name; they outlive pods.
    pub volumes: BTreeMap<String, Fs>,
    /// Pod sandboxes by (namespace, name).
    pub pods: BTreeMap<(String, String), PodSandbox>,
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
    /// Which sandbox each address went to (`allocate_ip_for`), so allocating one looks up
    /// its candidates instead of scanning every sandbox. Entries may be stale (the sandbox is
    /// gone or was replaced); a lookup checks the sandbox still holds the address.
    ip_owners: BTreeMap<String, (String, String)>,
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
    pub fn allocate_ip_for(
        &mut self,
        key: &(String, String),
        node: &str,
        cidr_prefix: &str,
    ) -> String {
        let counter = self.ip_counters.entry(node.to_string()).or_insert(1);
        let mut ip = String::new();
        for _ in 0..260 {
            *counter = if *counter >= 254 { 2 } else { *counter + 1 };
            ip = format!("{cidr_prefix}.{counter}");
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

    pub fn sandbox(&self, namespace: &str, pod: &str) -> Option<&PodSandbox> {
        self.pods.get(&(namespace.to_string(), pod.to_string()))
    }

    pub fn sandbox_mut(&mut self, namespace: &str, pod: &str) -> Option<&mut PodSandbox> {
        self.pods.get_mut(&(namespace.to_string(), pod.to_string()))
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
        let ct = self
            .sandbox_mut(namespace, pod)
            .and_then(|sb| sb.container_mut(container))
            .ok_or(FsError::NoContainer)?;
        match &mut ct.state {
            ContainerState::Running { exit_at, .. } => {
                *exit_at = Some((now, 137));
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
            .cloned()
            .unwrap_or(Value::Null);
        let volumes = object::get_array(pod, &["spec", "volumes"]);
        let mut out: Vec<(String, Resolved)> = Vec::new();
        for m in object::get_array(&spec, &["volumeMounts"]) {
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
            let backing = if let Some(claim) =
                object::get_str(vol, &["persistentVolumeClaim", "claimName"])
            {
                let pv = api
                    .try_get(Kind::PersistentVolumeClaim, c.namespace, claim)
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
                    namespace: c.namespace.to_string(),
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
        out.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        out
    }

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
    fn view(&self, api: &Api, sb: &PodSandbox, ct: &ContainerRuntime, r: &Resolved) -> Fs {
        match &r.backing {
            Backing::Root => ct.fs.clone(),
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
        let key = (c.namespace.to_string(), c.pod.to_string());
        match r.backing {
            Backing::Root => {
                let ct = self
                    .pods
                    .get_mut(&key)
                    .and_then(|sb| sb.container_mut(c.container))
                    .ok_or(FsError::NoContainer)?;
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
        let fs = self.view(api, sb, ct, &r);
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
            Some(e) => Ok(e.data.clone()),
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
        out.sort_by(|a, b| a.name.cmp(&b.name));
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
            let e = fs.entries.get_mut(p).ok_or(FsError::NotFound)?;
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
        let from_sb = self.sandbox(from.namespace, from.pod);
        let client_ip = from_sb.map(|s| s.ip.clone()).unwrap_or_default();
        let (target, client) = if host == "localhost" || host == "127.0.0.1" {
            (
                from_sb.ok_or_else(|| NetError::UnknownHost(host.to_string()))?,
                "127.0.0.1".to_string(),
            )
        } else {
            let ip = if host.parse::<std::net::Ipv4Addr>().is_ok() {
                host.to_string()
            } else {
                crate::dns::resolve(api, from.namespace, host)
                    .ok()
                    .and_then(|a| a.into_iter().next())
                    .map(|a| a.ip)
                    .ok_or_else(|| NetError::UnknownHost(host.to_string()))?
            };
            let ip = self.service_backend(api, &ip, port).unwrap_or(ip);
            let port_target = port;
            let sb = self
                .pods
                .values()
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
        let Some(server) = target
            .containers
            .iter()
            .find(|c| c.is_running() && c.behavior.listens.contains(&port))
        else {
            return Err(NetError::Refused {
                host: host.to_string(),
                port,
            });
        };
        let version = match &server.image.kind {
            ImageKind::Nginx { version } => version.clone(),
            _ => "1.29.1".to_string(),
        };
        let r = self.serve_nginx(api, target, server, path, &version);
        let line = format!(
            "{client} - - [{}] \"GET {path} HTTP/1.1\" {} {} \"-\" \"curl/7.88.1\" \"-\"\n",
            nginx_log_time(self.clock),
            r.status,
            r.body.len()
        );
        self.access_logs
            .borrow_mut()
            .entry(server.container_id.clone())
            .or_default()
            .push_str(&line);
        Ok(r)
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

    fn serve_nginx(
        &self,
        api: &Api,
        sb: &PodSandbox,
        ct: &ContainerRuntime,
        path: &str,
        version: &str,
    ) -> HttpResponse {
        let cref = ContainerRef {
            namespace: "",
            pod: "",
            container: Some(&ct.name),
        };
        let key = self
            .pods
            .iter()
            .find(|(_, p)| p.uid == sb.uid)
            .map(|(k, _)| k.clone())
            .unwrap_or_default();
        let cref = ContainerRef {
            namespace: &key.0,
            pod: &key.1,
            ..cref
        };
        let docroot = "/usr/share/nginx/html";
        let url_path = path.split(['?', '#']).next().unwrap_or("/");
        let full = normalize_path(&format!("{docroot}/{url_path}"));
        let err = |status| HttpResponse {
            status,
            body: nginx_error_page(status, version),
        };
        // The worker runs as `nginx`: every directory on the way needs o+x, files o+r.
        let mut dir = String::new();
        for part in full.split('/').filter(|p| !p.is_empty()) {
            let parent_dir = if dir.is_empty() {
                "/".to_string()
            } else {
                dir.clone()
            };
            if let Ok(st) = self.stat(api, &cref, &parent_dir) {
                if st.is_dir && st.mode & 0o001 == 0 {
                    return err(403);
                }
            }
            dir.push('/');
            dir.push_str(part);
        }
        match self.stat(api, &cref, &full) {
            Err(_) => err(404),
            Ok(st) if st.is_dir => {
                if st.mode & 0o001 == 0 {
                    return err(403);
                }
                let index = format!("{full}/index.html");
                match self.stat(api, &cref, &index) {
                    Ok(ix) if !ix.is_dir => {
                        if ix.mode & 0o004 == 0 {
                            return err(403);
                        }
                        match self.read_file(api, &cref, &index) {
                            Ok(b) => HttpResponse {
                                status: 200,
                                body: String::from_utf8_lossy(&b).into_owned(),
                            },
                            Err(_) => err(403),
                        }
                    }
                    _ => err(403),
                }
            }
            Ok(st) => {
                if st.mode & 0o004 == 0 {
                    return err(403);
                }
                match self.read_file(api, &cref, &full) {
                    Ok(b) => HttpResponse {
                        status: 200,
                        body: String::from_utf8_lossy(&b).into_owned(),
                    },
                    Err(_) => err(404),
                }
            }
        }
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
            let mut out = ct.previous_log.clone();
            if let Some(a) = access.get(&prev.container_id) {
                out.push_str(a);
            }
            return Ok(out);
        }
        if matches!(
            ct.state,
            ContainerState::Waiting
                | ContainerState::Pulling { .. }
                | ContainerState::Starting { .. }
        ) {
            return Err(FsError::NoContainer);
        }
        let mut out = ct.log.clone();
        if let Some(a) = access.get(&ct.container_id) {
            out.push_str(a);
        }
        Ok(out)
    }

    /// Starts a container instance: fresh writable layer from the image, kubelet-managed
    /// files, mount points, and the process's startup output.
    #[allow(clippy::too_many_arguments)]
    pub fn start_container(
        &mut self,
        api: &Api,
        namespace: &str,
        pod: &str,
        index: usize,
        init: bool,
        now: Time,
        container_id: String,
    ) {
        let key = (namespace.to_string(), pod.to_string());
        let Some(sb) = self.pods.get(&key) else {
            return;
        };
        let (ip, hostname, fqdn) = (sb.ip.clone(), sb.hostname.clone(), sb.fqdn.clone());
        let list = if init { &sb.init } else { &sb.containers };
        let Some(ct) = list.get(index) else {
            return;
        };
        let mut fs = image_layer(&ct.image);
        fs.put("/etc/hostname", 0o644, format!("{hostname}\n").as_bytes());
        let mut hosts = String::from("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n");
        match &fqdn {
            Some(f) => hosts.push_str(&format!("{ip}\t{f}\t{hostname}\n")),
            None => hosts.push_str(&format!("{ip}\t{hostname}\n")),
        }
        fs.put("/etc/hosts", 0o644, hosts.as_bytes());
        fs.put(
            "/etc/resolv.conf",
            0o644,
            format!(
                "search {namespace}.svc.cluster.local svc.cluster.local cluster.local\nnameserver {}\noptions ndots:5\n",
                crate::dns::DNS_SERVICE_IP
            )
            .as_bytes(),
        );
        let log = match &ct.image.kind {
            ImageKind::Nginx { version } if ct.behavior.listens.contains(&80) => {
                nginx_startup_log(version, now)
            }
            _ => ct.behavior.output.clone(),
        };
        let cref = ContainerRef {
            namespace,
            pod,
            container: Some(&ct.name),
        };
        let mounts = self.mounts(api, &cref, sb);
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
        let Some(sb) = self.pods.get_mut(&key) else {
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
        if let Some(ct) = list.get_mut(index) {
            ct.fs = fs;
            ct.log = log;
            ct.container_id = container_id;
        }
    }
}

fn month_abbr(m: &str) -> &'static str {
    match m {
        "01" => "Jan",
        "02" => "Feb",
        "03" => "Mar",
        "04" => "Apr",
        "05" => "May",
        "06" => "Jun",
        "07" => "Jul",
        "08" => "Aug",
        "09" => "Sep",
        "10" => "Oct",
        "11" => "Nov",
        _ => "Dec",
    }
}

/// nginx's `$time_local`: `01/Jan/2026:00:00:05 +0000`.
fn nginx_log_time(t: Time) -> String {
    let s = t.rfc3339();
    let g = |r: std::ops::Range<usize>| s.get(r).unwrap_or("").to_string();
    format!(
        "{}/{}/{}:{} +0000",
        g(8..10),
        month_abbr(&g(5..7)),
        g(0..4),
        g(11..19)
    )
}

/// The docker-entrypoint and nginx notices the official image prints at start (1.19+; the
/// old nginx-slim images print nothing).
fn nginx_startup_log(version: &str, now: Time) -> String {
    if version_tuple(version) < (1, 19) {
        return String::new();
    }
    let s = now.rfc3339();
    let stamp = format!(
        "{} {}",
        s.get(0..10).unwrap_or("").replace('-', "/"),
        s.get(11..19).unwrap_or("")
    );
    let mut out = String::from(
        "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration\n\
/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/\n\
/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh\n\
10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf\n\
10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf\n",
    );
    if version_tuple(version) >= (1, 25) {
        out.push_str(
            "/docker-entrypoint.sh: Sourcing /docker-entrypoint.d/15-local-resolvers.envsh\n",
        );
    }
    out.push_str(
        "/docker-entrypoint.sh: Launching /docker-entrypoint.d/20-envsubst-on-templates.sh\n\
/docker-entrypoint.sh: Launching /docker-entrypoint.d/30-tune-worker-processes.sh\n\
/docker-entrypoint.sh: Configuration complete; ready for start up\n",
    );
    for line in [
        "using the \"epoll\" event method".to_string(),
        format!("nginx/{version}"),
        "built by gcc 12.2.0 (Debian 12.2.0-14+deb12u1) ".to_string(),
        "OS: Linux 6.1.0-kubeplay".to_string(),
        "getrlimit(RLIMIT_NOFILE): 1048576:1048576".to_string(),
        "start worker processes".to_string(),
        "start worker process 29".to_string(),
    ] {
        out.push_str(&format!("{stamp} [notice] 1#1: {line}\n"));
    }
    out
}

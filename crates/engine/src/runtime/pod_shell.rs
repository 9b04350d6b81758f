//! The programs inside a container: what `kubectl exec web-0 -- ...` and an attached
//! `kubectl run -it` shell can run (`hostname`, `cat`, `ls`, `curl`, busybox `nslookup`, ...).
//!
//! `PodHost` is the shell `Host` of one container. It reads and changes the container only
//! through the engine's runtime (files, HTTP) and DNS, so what a tool sees is what the kubelet
//! and the volumes hold. Messages copy the real tools: busybox wording for busybox images,
//! GNU coreutils/curl wording for the others (nginx images are Debian based). Beyond the
//! tools every image has (`COMMON_TOOLS`), a command exists only if its executable is on the
//! container's PATH in its file system, as the image catalog (engine `runtime::images`) or
//! `apt-get install` put it there; so an installed program survives a restart exactly when
//! its directory is a volume.
//! It must never change API objects: in-pod programs cannot talk to the API server.

use crate::api::Api;
use crate::cluster::Cluster;
use crate::dns;
use crate::kinds::Kind;
use crate::object;
use crate::runtime::{images, ContainerRef, FsError, Image, NetError, Runtime, Userland};
use crate::time::Time;
use crate::zookeeper;
use kubeplay_shell::{Env, Host, Io, Shell, Stream};

/// Where an attached terminal goes: the container, and whether to delete the pod on exit
/// (`kubectl run --rm`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachTarget {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub remove_on_exit: bool,
    /// The shell the terminal runs (`/bin/sh`, `bash`): it decides the prompt.
    pub shell: String,
}

/// Which userland the image ships: decides tool availability and message wording.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// busybox and alpine images: busybox applets (`nslookup`, `wget`, no `curl`).
    Busybox,
    /// Debian-based images (nginx, nginx-slim): GNU coreutils and curl.
    Gnu,
}

impl Flavor {
    /// The userland the image catalog declares for `image`.
    pub fn of_image(image: &str) -> Flavor {
        match Image::parse(image).def().userland() {
            Userland::Busybox => Flavor::Busybox,
            Userland::Gnu => Flavor::Gnu,
        }
    }
}

/// Tools every image has (coreutils or busybox applets); other commands exist only when
/// their executable is on the container's PATH (the image ships it, or `apt-get` put it there).
pub const COMMON_TOOLS: &[&str] = &[
    "hostname", "cat", "ls", "chmod", "mkdir", "rm", "touch", "env", "sh", "sleep", "echo",
    "printf", "true", "false", "date", "cp", "mv", "whoami", "printenv",
];

/// The directories a container's `PATH` lists, in order.
const PATH_DIRS: &[&str] = &[
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

/// A package `apt-get install` knows: its version, what it pulls in and the files it installs.
#[derive(Clone, Copy)]
struct Package {
    name: &'static str,
    version: &'static str,
    /// `all` for architecture-independent packages, else `amd64`.
    arch: &'static str,
    /// The first line of the package's description (what `dpkg -l` shows).
    summary: &'static str,
    depends: &'static [&'static str],
    files: &'static [&'static str],
}

/// The packages of the simulated Ubuntu/Debian archive. Files land under /usr, /lib and
/// /etc (where seed 000 mounts volumes) and /var (which it does not).
const PACKAGES: &[Package] = &[
    Package {
        name: "nginx",
        version: "1.9.3-1ubuntu1",
        arch: "all",
        summary: "small, powerful, scalable web/proxy server",
        depends: &["nginx-core"],
        files: &["/usr/share/doc/nginx/copyright"],
    },
    Package {
        name: "nginx-core",
        version: "1.9.3-1ubuntu1",
        arch: "amd64",
        summary: "nginx web/proxy server (core version)",
        depends: &["nginx-common"],
        files: &["/usr/sbin/nginx"],
    },
    Package {
        name: "nginx-common",
        version: "1.9.3-1ubuntu1",
        arch: "all",
        summary: "small, powerful, scalable web/proxy server - common files",
        depends: &[],
        files: &[
            "/etc/nginx/nginx.conf",
            "/etc/nginx/mime.types",
            "/etc/nginx/sites-available/default",
            "/etc/nginx/sites-enabled/default",
            "/etc/init.d/nginx",
            "/lib/systemd/system/nginx.service",
            "/usr/share/nginx/html/index.html",
            "/var/www/html/index.nginx-debian.html",
        ],
    },
    Package {
        name: "netcat",
        version: "1.10-41",
        arch: "all",
        summary: "TCP/IP swiss army knife -- transitional package",
        depends: &["netcat-openbsd"],
        files: &["/usr/share/doc/netcat/copyright"],
    },
    Package {
        name: "netcat-openbsd",
        version: "1.105-7ubuntu1",
        arch: "amd64",
        summary: "TCP/IP swiss army knife",
        depends: &[],
        files: &["/bin/nc.openbsd", "/bin/nc", "/bin/netcat"],
    },
    Package {
        name: "curl",
        version: "7.43.0-1ubuntu2",
        arch: "amd64",
        summary: "command line tool for transferring data with URL syntax",
        depends: &["libcurl3"],
        files: &["/usr/bin/curl"],
    },
    Package {
        name: "libcurl3",
        version: "7.43.0-1ubuntu2",
        arch: "amd64",
        summary: "easy-to-use client-side URL transfer library (OpenSSL flavour)",
        depends: &[],
        files: &["/usr/lib/x86_64-linux-gnu/libcurl.so.4"],
    },
    Package {
        name: "wget",
        version: "1.16.1-1ubuntu1",
        arch: "amd64",
        summary: "retrieves files from the web",
        depends: &[],
        files: &["/usr/bin/wget"],
    },
];

/// The long options apt-get understands (those tutorials use and their common neighbours).
const APT_GET_LONG_OPTIONS: &[&str] = &[
    "yes",
    "assume-yes",
    "assume-no",
    "quiet",
    "no-install-recommends",
    "install-recommends",
    "no-install-suggests",
    "fix-missing",
    "fix-broken",
    "force-yes",
    "allow-unauthenticated",
    "allow-downgrades",
    "allow-remove-essential",
    "allow-change-held-packages",
    "reinstall",
    "purge",
    "no-upgrade",
    "only-upgrade",
    "download-only",
    "simulate",
    "dry-run",
    "ignore-missing",
    "no-download",
    "show-progress",
    "verbose-versions",
    "print-uris",
    "auto-remove",
    "autoremove",
];

/// What Ubuntu 16.04 (xenial) ships of the packages: the candidate after `apt-get update`
/// (its -updates pocket where the package was updated), and the pocket it comes from.
const XENIAL: &[(&str, &str, &str)] = &[
    ("nginx", "1.10.3-0ubuntu0.16.04.5", "xenial-updates/main"),
    (
        "nginx-core",
        "1.10.3-0ubuntu0.16.04.5",
        "xenial-updates/main",
    ),
    (
        "nginx-common",
        "1.10.3-0ubuntu0.16.04.5",
        "xenial-updates/main",
    ),
    ("netcat", "1.10-41", "xenial/universe"),
    ("netcat-openbsd", "1.105-7ubuntu1", "xenial/main"),
    ("curl", "7.47.0-1ubuntu2.19", "xenial-updates/main"),
    ("libcurl3", "7.47.0-1ubuntu2.19", "xenial-updates/main"),
    ("wget", "1.17.1-1ubuntu1.5", "xenial-updates/main"),
];

/// The package `name` as the archive of `codename` has it (the table's versions are wily's,
/// 15.10, the release seed 000 uses; xenial's come from [`XENIAL`]).
fn package(name: &str, codename: &str) -> Option<Package> {
    let mut p = *PACKAGES.iter().find(|p| p.name == name)?;
    if codename == "xenial" {
        if let Some((_, v, _)) = XENIAL.iter().find(|(n, _, _)| *n == name) {
            p.version = v;
        }
    }
    Some(p)
}

/// The archive section `Get:` names for a package (`wily/main`, `xenial-updates/main`).
fn package_pocket(name: &str, codename: &str) -> String {
    if codename == "xenial" {
        if let Some((_, _, pocket)) = XENIAL.iter().find(|(n, _, _)| *n == name) {
            return pocket.to_string();
        }
    }
    format!("{codename}/main")
}

/// Writes to an `Io` stream.
pub fn io_out(io: &mut Io, s: impl Into<String>) {
    io.chunks.push((Stream::Stdout, s.into()));
}

pub fn io_err(io: &mut Io, s: impl Into<String>) {
    io.chunks.push((Stream::Stderr, s.into()));
}

/// The world an in-pod program runs in: the API objects it may read (DNS, its pod), the node
/// runtime it changes (files, servers), and a clock. `kubectl exec` runs against the whole
/// [`Cluster`] (a `sleep` lets the cluster run on); a container's own command line, run by
/// the kubelet when the container starts, runs in a [`StartWorld`] whose `sleep` only adds
/// to the time the process has been running.
pub trait PodWorld {
    fn api(&self) -> &Api;
    fn api_mut(&mut self) -> &mut Api;
    fn runtime(&self) -> &Runtime;
    /// The API (read-only) and the runtime (mutable) at once.
    fn parts(&mut self) -> (&Api, &mut Runtime);
    fn now(&self) -> Time;
    /// Lets `ms` of virtual time pass for the program.
    fn advance(&mut self, ms: u64);
}

impl PodWorld for Cluster {
    fn api(&self) -> &Api {
        &self.api
    }
    fn api_mut(&mut self) -> &mut Api {
        &mut self.api
    }
    fn runtime(&self) -> &Runtime {
        &self.runtime
    }
    fn parts(&mut self) -> (&Api, &mut Runtime) {
        (&self.api, &mut self.runtime)
    }
    fn now(&self) -> Time {
        Cluster::now(self)
    }
    fn advance(&mut self, ms: u64) {
        Cluster::advance(self, ms);
    }
}

/// A container's process as the kubelet starts it: time does not move for the rest of the
/// cluster while its script runs; `elapsed_ms` counts how long the script has slept, which
/// is when the process exits.
pub struct StartWorld<'a> {
    pub api: &'a mut Api,
    pub runtime: &'a mut Runtime,
    pub elapsed_ms: u64,
}

impl PodWorld for StartWorld<'_> {
    fn api(&self) -> &Api {
        self.api
    }
    fn api_mut(&mut self) -> &mut Api {
        self.api
    }
    fn runtime(&self) -> &Runtime {
        self.runtime
    }
    fn parts(&mut self) -> (&Api, &mut Runtime) {
        (self.api, self.runtime)
    }
    fn now(&self) -> Time {
        self.api.now.plus_ms(self.elapsed_ms)
    }
    fn advance(&mut self, ms: u64) {
        self.elapsed_ms = self.elapsed_ms.saturating_add(ms);
    }
}

/// The shell host of one running container.
pub struct PodHost<'a> {
    pub cluster: &'a mut dyn PodWorld,
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub flavor: Flavor,
    /// Set when this is the container's own command line, run by the kubelet at start
    /// (not `kubectl exec`): a long-running program then becomes the container's process.
    pub at_start: bool,
    /// The long-running program the script handed over to (`nginx`, `sleep`, a loop that
    /// never ends); the script stops there.
    pub foreground: Option<String>,
    /// Commands run so far at start, to tell a loop that never ends.
    polls: u64,
    /// The shell running the current script when it is bash (its messages differ from sh's).
    bash: bool,
}

/// How many commands a container's own script may run at start before it counts as a loop
/// that never ends (`while true; do sleep 1; done`): the container keeps running.
const START_LOOP_LIMIT: u64 = 5_000;

/// A sleep at start this long (or `infinity`) means the process never exits by itself.
const FOREVER_MS: u64 = 30 * 24 * 3600 * 1000;

impl<'a> PodHost<'a> {
    /// A host for `container` (or the pod's first container) of a pod that exists.
    pub fn new(
        cluster: &'a mut dyn PodWorld,
        namespace: &str,
        pod: &str,
        container: Option<&str>,
    ) -> Option<PodHost<'a>> {
        let p = cluster.api().try_get(Kind::Pod, namespace, pod)?.clone();
        let containers = object::get_array(&p, &["spec", "containers"]);
        let c = match container {
            Some(name) => containers
                .iter()
                .find(|c| object::get_str(c, &["name"]) == Some(name))?,
            None => containers.first()?,
        };
        let image = object::get_str(c, &["image"]).unwrap_or_default();
        Some(PodHost {
            namespace: namespace.to_string(),
            pod: pod.to_string(),
            container: object::get_str(c, &["name"])
                .unwrap_or_default()
                .to_string(),
            flavor: Flavor::of_image(image),
            cluster,
            at_start: false,
            foreground: None,
            polls: 0,
            bash: false,
        })
    }

    /// The host a container's own command line runs in when the kubelet starts it (init
    /// containers included).
    pub fn for_start(
        world: &'a mut dyn PodWorld,
        namespace: &str,
        pod: &str,
        container: &str,
        image: &str,
    ) -> PodHost<'a> {
        PodHost {
            namespace: namespace.to_string(),
            pod: pod.to_string(),
            container: container.to_string(),
            flavor: Flavor::of_image(image),
            cluster: world,
            at_start: true,
            foreground: None,
            polls: 0,
            bash: false,
        }
    }

    fn cref(&self) -> ContainerRef<'_> {
        ContainerRef {
            namespace: &self.namespace,
            pod: &self.pod,
            container: Some(&self.container),
        }
    }

    fn pod_obj(&self) -> Option<std::sync::Arc<serde_json::Value>> {
        self.cluster
            .api()
            .try_get(Kind::Pod, &self.namespace, &self.pod)
            .cloned()
    }

    /// Runs a command line with `sh -c` semantics and returns its status.
    pub fn run_script(&mut self, script: &str, io: &mut Io) -> i32 {
        let mut sh = Shell::new();
        sh.env.dash = is_dash(&self.image().full, "sh");
        sh.run(script, self, io)
    }

    /// Runs a script in the shell `name` (`bash`, `sh`) with `$0` set to `arg0`.
    fn run_script_as(&mut self, name: &str, arg0: &str, script: &str, io: &mut Io) -> i32 {
        let mut sh = Shell::new();
        sh.name = name.to_string();
        sh.env.arg0 = arg0.to_string();
        sh.env.dash = is_dash(&self.image().full, name);
        sh.run(script, self, io)
    }

    /// Runs `argv` as the container runtime would exec it (no shell around it).
    pub fn run_argv(&mut self, argv: &[String], stdin: &str, io: &mut Io) -> i32 {
        let env = Env::default();
        self.exec(&env, argv, stdin, io)
    }

    /// The pod's hostname as `hostname` prints it (S7.5): `spec.hostname` or the pod name.
    fn hostname(&self) -> String {
        let Some(p) = self.pod_obj() else {
            return self.pod.clone();
        };
        object::get_str(&p, &["spec", "hostname"])
            .filter(|h| !h.is_empty())
            .unwrap_or(&self.pod)
            .to_string()
    }

    /// `hostname -f`: the FQDN kubelet writes into /etc/hosts when the subdomain is set (S7.5).
    fn fqdn(&self) -> String {
        let host = self.hostname();
        let sub = self
            .pod_obj()
            .and_then(|p| object::get_str(&p, &["spec", "subdomain"]).map(str::to_string))
            .unwrap_or_default();
        if sub.is_empty() {
            host
        } else {
            format!("{host}.{sub}.{}.svc.cluster.local", self.namespace)
        }
    }

    fn pod_ip(&self) -> String {
        self.pod_obj()
            .and_then(|p| object::get_str(&p, &["status", "podIP"]).map(str::to_string))
            .unwrap_or_default()
    }

    fn fs_msg(e: FsError) -> &'static str {
        match e {
            FsError::NotFound | FsError::NoContainer => "No such file or directory",
            FsError::NotADirectory => "Not a directory",
            FsError::IsADirectory => "Is a directory",
            FsError::PermissionDenied => "Permission denied",
            FsError::ReadOnly => "Read-only file system",
        }
    }

    fn abs(path: &str) -> String {
        if path.starts_with('/') {
            path.to_string()
        } else {
            // Containers start in `/` unless workingDir says otherwise.
            format!("/{path}")
        }
    }

    fn cat(&mut self, args: &[String], stdin: &str, io: &mut Io) -> i32 {
        let files: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
        if files.is_empty() {
            io_out(io, stdin);
            return 0;
        }
        let mut status = 0;
        for f in files {
            if f == "-" {
                io_out(io, stdin);
                continue;
            }
            let r =
                self.cluster
                    .runtime()
                    .read_file(self.cluster.api(), &self.cref(), &Self::abs(f));
            match r {
                Ok(bytes) => io_out(io, String::from_utf8_lossy(&bytes).into_owned()),
                Err(e) => {
                    status = 1;
                    let m = Self::fs_msg(e);
                    match self.flavor {
                        Flavor::Busybox => io_err(io, format!("cat: can't open '{f}': {m}\n")),
                        Flavor::Gnu => io_err(io, format!("cat: {f}: {m}\n")),
                    }
                }
            }
        }
        status
    }

    fn ls(&mut self, args: &[String], io: &mut Io) -> i32 {
        let mut long = false;
        let mut all = false;
        let mut paths = Vec::new();
        for a in args {
            if let Some(flags) = a.strip_prefix('-').filter(|f| !f.is_empty()) {
                long |= flags.contains('l');
                all |= flags.contains('a');
            } else {
                paths.push(a.clone());
            }
        }
        if paths.is_empty() {
            paths.push(".".to_string());
        }
        let many = paths.len() > 1;
        let mut status = 0;
        for (i, p) in paths.iter().enumerate() {
            let abs = if p == "." {
                "/".to_string()
            } else {
                Self::abs(p)
            };
            let api = self.cluster.api();
            let st = self.cluster.runtime().stat(api, &self.cref(), &abs);
            let entry = match st {
                Ok(e) => e,
                Err(e) => {
                    let m = Self::fs_msg(e);
                    match self.flavor {
                        Flavor::Busybox => {
                            io_err(io, format!("ls: {p}: {m}\n"));
                            status = status.max(1);
                        }
                        Flavor::Gnu => {
                            io_err(io, format!("ls: cannot access '{p}': {m}\n"));
                            status = 2;
                        }
                    }
                    continue;
                }
            };
            if !entry.is_dir {
                let line = if long {
                    long_line(&entry, p)
                } else {
                    p.clone()
                };
                io_out(io, format!("{line}\n"));
                continue;
            }
            let mut entries = match self.cluster.runtime().list_dir(api, &self.cref(), &abs) {
                Ok(v) => v,
                Err(e) => {
                    io_err(io, format!("ls: {p}: {}\n", Self::fs_msg(e)));
                    status = status.max(1);
                    continue;
                }
            };
            kubeplay_shell::sorting::sort_by(&mut entries, |a, b| a.name.cmp(&b.name));
            if many {
                if i > 0 {
                    io_out(io, "\n");
                }
                io_out(io, format!("{p}:\n"));
            }
            let mut shown = Vec::new();
            if all {
                for dot in [".", ".."] {
                    shown.push(crate::runtime::DirEntry {
                        name: dot.to_string(),
                        is_dir: true,
                        mode: 0o755,
                        size: 4096,
                    });
                }
            }
            shown.extend(
                entries
                    .into_iter()
                    .filter(|e| all || !e.name.starts_with('.')),
            );
            if long {
                let blocks: u64 = shown.iter().map(|e| e.size.div_ceil(4096) * 4).sum();
                io_out(io, format!("total {blocks}\n"));
            }
            for e in &shown {
                let line = if long {
                    long_line(e, &e.name)
                } else {
                    e.name.clone()
                };
                io_out(io, format!("{line}\n"));
            }
        }
        status
    }

    fn chmod(&mut self, args: &[String], io: &mut Io) -> i32 {
        let args: Vec<&String> = args.iter().filter(|a| *a != "-R").collect();
        let (Some(mode), files) = (args.first(), args.get(1..).unwrap_or(&[])) else {
            io_err(io, "chmod: missing operand\n");
            return 1;
        };
        let Ok(bits) = u32::from_str_radix(mode, 8) else {
            io_err(io, format!("chmod: invalid mode: '{mode}'\n"));
            return 1;
        };
        let mut status = 0;
        for f in files {
            let (api, rt) = self.cluster.parts();
            let cref = ContainerRef {
                namespace: &self.namespace,
                pod: &self.pod,
                container: Some(&self.container),
            };
            if let Err(e) = rt.chmod(api, &cref, &Self::abs(f), bits) {
                status = 1;
                let m = Self::fs_msg(e);
                match self.flavor {
                    Flavor::Busybox => io_err(io, format!("chmod: {f}: {m}\n")),
                    Flavor::Gnu => io_err(io, format!("chmod: cannot access '{f}': {m}\n")),
                }
            }
        }
        status
    }

    fn mkdir(&mut self, args: &[String], io: &mut Io) -> i32 {
        let parents = args.iter().any(|a| a == "-p");
        let mut status = 0;
        for d in args.iter().filter(|a| !a.starts_with('-')) {
            let (api, rt) = self.cluster.parts();
            let cref = ContainerRef {
                namespace: &self.namespace,
                pod: &self.pod,
                container: Some(&self.container),
            };
            if let Err(e) = rt.mkdir(api, &cref, &Self::abs(d), parents) {
                status = 1;
                let m = Self::fs_msg(e);
                match self.flavor {
                    Flavor::Busybox => {
                        io_err(io, format!("mkdir: can't create directory '{d}': {m}\n"))
                    }
                    Flavor::Gnu => {
                        io_err(io, format!("mkdir: cannot create directory '{d}': {m}\n"))
                    }
                }
            }
        }
        status
    }

    fn rm(&mut self, args: &[String], io: &mut Io) -> i32 {
        let flags: String = args
            .iter()
            .filter(|a| a.starts_with('-'))
            .flat_map(|a| a.chars())
            .collect();
        let recursive = flags.contains('r') || flags.contains('R');
        let force = flags.contains('f');
        let mut status = 0;
        for f in args.iter().filter(|a| !a.starts_with('-')) {
            let (api, rt) = self.cluster.parts();
            let cref = ContainerRef {
                namespace: &self.namespace,
                pod: &self.pod,
                container: Some(&self.container),
            };
            match rt.remove(api, &cref, &Self::abs(f), recursive) {
                Ok(()) => {}
                Err(FsError::NotFound) if force => {}
                Err(e) => {
                    status = 1;
                    let m = Self::fs_msg(e);
                    match self.flavor {
                        Flavor::Busybox => io_err(io, format!("rm: can't remove '{f}': {m}\n")),
                        Flavor::Gnu => io_err(io, format!("rm: cannot remove '{f}': {m}\n")),
                    }
                }
            }
        }
        status
    }

    fn touch(&mut self, args: &[String], io: &mut Io) -> i32 {
        let mut status = 0;
        for f in args.iter().filter(|a| !a.starts_with('-')) {
            let (api, rt) = self.cluster.parts();
            let cref = ContainerRef {
                namespace: &self.namespace,
                pod: &self.pod,
                container: Some(&self.container),
            };
            if let Err(e) = rt.write_file(api, &cref, &Self::abs(f), b"", true) {
                status = 1;
                let m = Self::fs_msg(e);
                match self.flavor {
                    Flavor::Busybox => io_err(io, format!("touch: {f}: {m}\n")),
                    Flavor::Gnu => io_err(io, format!("touch: cannot touch '{f}': {m}\n")),
                }
            }
        }
        status
    }

    /// curl 7.88 (Debian bookworm's): `-X/--request`, `-T/--upload-file`, `-d/--data`
    /// (`@file`), `-L/--location`, `-i/--include`, `-v/--verbose`, `-o/--output`, `-I`,
    /// `-s/-S/-f`; other options with a value are accepted and ignored.
    fn curl(&mut self, args: &[String], stdin: &str, io: &mut Io) -> i32 {
        let mut o = CurlOpts::default();
        let mut i = 0;
        // Options whose value follows (attached to a short one, or as the next word).
        const SHORT_WITH_VALUE: &str = "XTdoHmAuewxFbcEKrzyYCQ";
        while i < args.len() {
            let a = args[i].as_str();
            let next = args.get(i + 1).cloned();
            if let Some(long) = a.strip_prefix("--").filter(|l| !l.is_empty()) {
                let takes = |o: &mut CurlOpts, v: Option<String>| -> Result<(), String> {
                    let Some(v) = v else {
                        return Err(format!("curl: option --{long}: requires parameter\n"));
                    };
                    match long {
                        "request" => o.method = Some(v),
                        "upload-file" => o.upload = Some(v),
                        "data" | "data-ascii" | "data-binary" | "data-raw" => {
                            o.data.push((v, long == "data-raw"))
                        }
                        "output" => o.output = Some(v),
                        "header" => o.headers.push(v),
                        _ => {}
                    }
                    Ok(())
                };
                match long {
                    "location" => o.follow = true,
                    "include" => o.include = true,
                    "verbose" => o.verbose = true,
                    "silent" => o.silent = true,
                    "show-error" => o.show_error = true,
                    "fail" => o.fail = true,
                    "head" => o.head = true,
                    "insecure" | "compressed" | "no-progress-meter" | "http1.1" | "globoff"
                    | "no-buffer" | "fail-with-body" | "location-trusted" => {}
                    "request" | "upload-file" | "data" | "data-ascii" | "data-binary"
                    | "data-raw" | "output" | "header" | "max-time" | "connect-timeout"
                    | "user-agent" | "user" | "referer" | "retry" | "cacert" | "resolve"
                    | "write-out" | "proxy" | "form" | "cookie" | "max-redirs" => {
                        if let Err(e) = takes(&mut o, next) {
                            io_err(io, format!("{e}{CURL_TRY}"));
                            return 2;
                        }
                        i += 1;
                    }
                    _ => {
                        io_err(io, format!("curl: option {a}: is unknown\n{CURL_TRY}"));
                        return 2;
                    }
                }
            } else if let Some(group) = a.strip_prefix('-').filter(|g| !g.is_empty()) {
                for (pos, c) in group.char_indices() {
                    if SHORT_WITH_VALUE.contains(c) {
                        let attached = &group[pos + c.len_utf8()..];
                        let v = if attached.is_empty() {
                            i += 1;
                            args.get(i).cloned()
                        } else {
                            Some(attached.to_string())
                        };
                        let Some(v) = v else {
                            io_err(
                                io,
                                format!("curl: option -{c}: requires parameter\n{CURL_TRY}"),
                            );
                            return 2;
                        };
                        match c {
                            'X' => o.method = Some(v),
                            'T' => o.upload = Some(v),
                            'd' => o.data.push((v, false)),
                            'o' => o.output = Some(v),
                            'H' => o.headers.push(v),
                            _ => {}
                        }
                        break;
                    }
                    match c {
                        'L' => o.follow = true,
                        'i' => o.include = true,
                        'v' => o.verbose = true,
                        's' => o.silent = true,
                        'S' => o.show_error = true,
                        'f' => o.fail = true,
                        'I' => o.head = true,
                        'k' | 'N' | 'g' | '#' | '4' | '6' | 'n' | 'q' | '0' | 'j' | 'l' | 'O'
                        | 'R' | 'Z' | 'p' | 'G' | 'B' | 'M' | 'a' | 'J' | 'h' | 'V' => {}
                        other => {
                            io_err(io, format!("curl: option -{other}: is unknown\n{CURL_TRY}"));
                            return 2;
                        }
                    }
                }
            } else {
                o.url = Some(a.to_string());
            }
            i += 1;
        }
        let Some(url) = o.url.clone() else {
            io_err(io, format!("curl: no URL specified!\n{CURL_TRY}"));
            return 2;
        };
        let quiet = o.silent && !o.show_error;
        // The request body: an uploaded file (PUT), or the `-d` data joined by `&` (POST).
        let mut body: Vec<u8> = Vec::new();
        let mut inferred = if o.head { "HEAD" } else { "GET" };
        let mut url = url;
        if let Some(f) = o.upload.clone() {
            let data = if f == "-" || f == "." {
                Ok(stdin.as_bytes().to_vec())
            } else {
                self.cluster
                    .runtime()
                    .read_file(self.cluster.api(), &self.cref(), &Self::abs(&f))
            };
            let Ok(data) = data else {
                io_err(io, format!("curl: Can't open '{f}'!\n{CURL_TRY}"));
                return 26;
            };
            body = data;
            inferred = "PUT";
            // A URL without a file name gets the uploaded file's name.
            if url.ends_with('/') {
                url.push_str(f.rsplit('/').next().unwrap_or(""));
            }
        } else if !o.data.is_empty() {
            let mut parts = Vec::new();
            for (d, raw) in &o.data {
                match d.strip_prefix('@').filter(|_| !raw) {
                    Some(f) => {
                        let r = if f == "-" {
                            Ok(stdin.as_bytes().to_vec())
                        } else {
                            self.cluster.runtime().read_file(
                                self.cluster.api(),
                                &self.cref(),
                                &Self::abs(f),
                            )
                        };
                        match r {
                            // `-d @file` drops the file's carriage returns and newlines.
                            Ok(b) => parts.push(
                                b.into_iter()
                                    .filter(|c| *c != b'\n' && *c != b'\r')
                                    .collect::<Vec<u8>>(),
                            ),
                            Err(_) => {
                                if !quiet {
                                    io_err(io, format!("Warning: Couldn't read data from file \"{f}\", this makes \nWarning: an empty POST.\n"));
                                }
                                parts.push(Vec::new());
                            }
                        }
                    }
                    None => parts.push(d.as_bytes().to_vec()),
                }
            }
            body = parts.join(&b'&');
            inferred = "POST";
        }
        if o.verbose && o.method.as_deref() == Some(inferred) {
            io_err(
                io,
                format!(
                    "Note: Unnecessary use of -X or --request, {inferred} is already inferred.\n"
                ),
            );
        }
        let mut method = o.method.clone().unwrap_or_else(|| inferred.to_string());
        let mut out = String::new();
        let mut conn = 0;
        let mut redirects = 0;
        loop {
            let Some((host, port, path)) = parse_url(&url) else {
                if !quiet {
                    io_err(
                        io,
                        "curl: (3) URL using bad/illegal format or missing URL\n",
                    );
                }
                io_out(io, std::mem::take(&mut out));
                return 3;
            };
            let api = self.cluster.api();
            let ip = self
                .cluster
                .runtime()
                .resolve_host(api, &self.cref(), &host);
            if o.verbose {
                match &ip {
                    Ok(ip) => io_err(io, format!("*   Trying {ip}:{port}...\n")),
                    Err(_) => io_err(io, format!("* Could not resolve host: {host}\n")),
                }
            }
            let request = images::HttpRequest {
                method: &method,
                path: &path,
                body: &body,
            };
            let cref = ContainerRef {
                namespace: &self.namespace,
                pod: &self.pod,
                container: Some(&self.container),
            };
            let (api, rt) = self.cluster.parts();
            let r = rt.http_request(api, &cref, &host, port, &request);
            let served = match r {
                Ok(s) => s,
                Err(e) => {
                    io_out(io, std::mem::take(&mut out));
                    return self.curl_net_error(e, &host, quiet, o.verbose, conn, io);
                }
            };
            let resp = &served.response;
            let ip = ip.unwrap_or_default();
            let expect = !body.is_empty() && method != "GET" && method != "HEAD";
            let mut head = String::new();
            if expect && served.continue_100 {
                head.push_str("HTTP/1.1 100 Continue\r\n\r\n");
            }
            head.push_str(&format!(
                "HTTP/1.1 {} {}\r\n",
                resp.status,
                reason_phrase(resp.status)
            ));
            for (k, v) in &served.headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            if o.verbose {
                let mut t = format!("* Connected to {host} ({ip}) port {port} (#{conn})\n");
                t.push_str(&format!(
                    "> {method} {path} HTTP/1.1\r\n> Host: {}\r\n> User-Agent: curl/7.88.1\r\n> Accept: */*\r\n",
                    if port == 80 { host.clone() } else { format!("{host}:{port}") }
                ));
                if !body.is_empty() || method == "PUT" || method == "POST" {
                    t.push_str(&format!("> Content-Length: {}\r\n", body.len()));
                }
                if inferred == "POST" {
                    t.push_str("> Content-Type: application/x-www-form-urlencoded\r\n");
                }
                if expect && inferred == "PUT" {
                    t.push_str("> Expect: 100-continue\r\n");
                }
                t.push_str("> \r\n");
                for line in head.split_inclusive("\r\n") {
                    if line == "HTTP/1.1 100 Continue\r\n" {
                        t.push_str(&format!("< {line}"));
                        continue;
                    }
                    if line == "\r\n" && t.ends_with("< HTTP/1.1 100 Continue\r\n") {
                        t.push_str("* We are completely uploaded and fine\n");
                        continue;
                    }
                    t.push_str(&format!("< {line}"));
                }
                io_err(io, t);
            }
            let location = served
                .headers
                .iter()
                .find(|(k, _)| k == "Location")
                .map(|(_, v)| v.clone());
            if o.follow && matches!(resp.status, 301 | 302 | 303 | 307 | 308) {
                if let Some(loc) = location {
                    if o.include {
                        out.push_str(&head);
                    }
                    if o.verbose {
                        io_err(
                            io,
                            format!(
                                "* Connection #{conn} to host {host} left intact\n* Issue another request to this URL: '{loc}'\n"
                            ),
                        );
                    }
                    redirects += 1;
                    if redirects > 50 {
                        io_out(io, std::mem::take(&mut out));
                        if !quiet {
                            io_err(io, "curl: (47) Maximum (50) redirects followed\n");
                        }
                        return 47;
                    }
                    // A 303 (and a 301/302 after a POST) turns into a GET unless -X insists.
                    let to_get = resp.status == 303
                        || (matches!(resp.status, 301 | 302) && method == "POST");
                    if to_get && o.method.is_none() {
                        method = "GET".to_string();
                        body.clear();
                    }
                    url = if loc.starts_with('/') {
                        format!("http://{host}:{port}{loc}")
                    } else {
                        loc
                    };
                    conn += 1;
                    continue;
                }
            }
            if o.fail && resp.status >= 400 {
                io_out(io, std::mem::take(&mut out));
                if !quiet {
                    io_err(
                        io,
                        format!(
                            "curl: (22) The requested URL returned error: {}\n",
                            resp.status
                        ),
                    );
                }
                return 22;
            }
            if o.include || o.head {
                out.push_str(&head);
            }
            if method != "HEAD" && !o.head {
                out.push_str(&resp.body);
            }
            if o.verbose {
                io_out(io, std::mem::take(&mut out));
                io_err(
                    io,
                    format!("* Connection #{conn} to host {host} left intact\n"),
                );
            }
            break;
        }
        match o.output {
            Some(f) if f != "-" => {
                let cref = ContainerRef {
                    namespace: &self.namespace,
                    pod: &self.pod,
                    container: Some(&self.container),
                };
                let (api, rt) = self.cluster.parts();
                if rt
                    .write_file(api, &cref, &Self::abs(&f), out.as_bytes(), false)
                    .is_err()
                {
                    if !quiet {
                        io_err(
                            io,
                            format!("Warning: Failed to open the file {f}: No such file or directory\ncurl: (23) Failure writing output to destination\n"),
                        );
                    }
                    return 23;
                }
            }
            _ => io_out(io, out),
        }
        0
    }

    /// What curl prints for a failed connection, and its exit status.
    fn curl_net_error(
        &mut self,
        e: NetError,
        host: &str,
        quiet: bool,
        verbose: bool,
        conn: u32,
        io: &mut Io,
    ) -> i32 {
        let (code, msg) = match e {
            NetError::UnknownHost(h) => {
                let h = if h.is_empty() { host.to_string() } else { h };
                (6, format!("Could not resolve host: {h}"))
            }
            NetError::Refused { host, port } => (
                7,
                format!("Failed to connect to {host} port {port} after 0 ms: Couldn't connect to server"),
            ),
            NetError::EmptyReply { .. } => (52, "Empty reply from server".to_string()),
            NetError::Timeout { host, port } => {
                // Waiting out the connect timeout takes virtual time too.
                self.cluster.advance(130_000);
                (
                    28,
                    format!("Failed to connect to {host} port {port} after 130000 ms: Couldn't connect to server"),
                )
            }
        };
        if verbose {
            if code != 6 {
                io_err(io, format!("* {msg}\n"));
            }
            io_err(io, format!("* Closing connection {conn}\n"));
        }
        if !quiet {
            io_err(io, format!("curl: ({code}) {msg}\n"));
        }
        code
    }

    /// busybox `wget [-q] [-O FILE|-] URL`.
    fn wget(&mut self, args: &[String], io: &mut Io) -> i32 {
        let mut quiet = false;
        let mut to_stdout = false;
        let mut url = None;
        let mut i = 0;
        while i < args.len() {
            let a = &args[i];
            if a == "-O" {
                to_stdout = args.get(i + 1).is_some_and(|v| v == "-");
                i += 1;
            } else if let Some(f) = a.strip_prefix('-') {
                quiet |= f.contains('q');
                if f.ends_with("O-") {
                    to_stdout = true;
                } else if f.ends_with('O') {
                    to_stdout = args.get(i + 1).is_some_and(|v| v == "-");
                    i += 1;
                }
            } else {
                url = Some(a.clone());
            }
            i += 1;
        }
        let Some(url) = url else {
            io_err(io, "BusyBox v1.28.4 (2018-05-22 17:00:17 UTC) multi-call binary.\n\nUsage: wget [-c|--continue] [--spider] [-q|--quiet] [-O|--output-document FILE]\n");
            return 1;
        };
        let Some((host, port, path)) = parse_url(&url) else {
            io_err(io, format!("wget: bad address '{url}'\n"));
            return 1;
        };
        if !quiet {
            io_err(io, format!("Connecting to {host}:{port} ({host}:{port})\n"));
        }
        let r =
            self.cluster
                .runtime()
                .http_get(self.cluster.api(), &self.cref(), &host, port, &path);
        match r {
            Ok(resp) if resp.status >= 400 => {
                io_err(
                    io,
                    format!(
                        "wget: server returned error: HTTP/1.1 {} {}\n",
                        resp.status,
                        reason_phrase(resp.status)
                    ),
                );
                1
            }
            Ok(resp) => {
                if to_stdout {
                    if !quiet {
                        io_err(io, "writing to stdout\n");
                    }
                    io_out(io, resp.body);
                    if !quiet {
                        io_err(io, "written to stdout\n");
                    }
                } else {
                    let name = path.rsplit('/').next().filter(|s| !s.is_empty());
                    let name = name.unwrap_or("index.html").to_string();
                    let cref = ContainerRef {
                        namespace: &self.namespace,
                        pod: &self.pod,
                        container: Some(&self.container),
                    };
                    let (api, rt) = self.cluster.parts();
                    if let Err(e) =
                        rt.write_file(api, &cref, &Self::abs(&name), resp.body.as_bytes(), false)
                    {
                        io_err(
                            io,
                            format!("wget: can't open '{name}': {}\n", Self::fs_msg(e)),
                        );
                        return 1;
                    }
                    if !quiet {
                        io_err(io, format!("saving to '{name}'\n'{name}' saved\n"));
                    }
                }
                0
            }
            Err(NetError::UnknownHost(_)) => {
                io_err(io, format!("wget: bad address '{host}'\n"));
                1
            }
            Err(NetError::Refused { host, port }) => {
                io_err(
                    io,
                    format!(
                        "wget: can't connect to remote host ({host}:{port}): Connection refused\n"
                    ),
                );
                1
            }
            Err(NetError::EmptyReply { .. }) => {
                io_err(io, "wget: error getting response\n");
                1
            }
            Err(NetError::Timeout { .. }) => {
                self.cluster.advance(130_000);
                io_err(
                    io,
                    "wget: can't connect to remote host: Connection timed out\n",
                );
                1
            }
        }
    }

    /// busybox 1.28 `nslookup NAME` (S7.6).
    fn nslookup(&mut self, args: &[String], io: &mut Io) -> i32 {
        let Some(name) = args.iter().find(|a| !a.starts_with('-')) else {
            io_err(io, "BusyBox v1.28.4 (2018-05-22 17:00:17 UTC) multi-call binary.\n\nUsage: nslookup [HOST] [SERVER]\n\nQuery the nameserver for the IP address of the given HOST\noptionally using a specified DNS server\n");
            return 1;
        };
        let api = self.cluster.api();
        let server_name = dns::reverse(api, dns::DNS_SERVICE_IP)
            .unwrap_or_else(|| "kube-dns.kube-system.svc.cluster.local".to_string());
        io_out(
            io,
            format!(
                "Server:    {ip}\nAddress 1: {ip} {server_name}\n\n",
                ip = dns::DNS_SERVICE_IP
            ),
        );
        let addrs = if is_ipv4(name) {
            Ok(vec![dns::Address {
                ip: name.clone(),
                ptr: dns::reverse(api, name),
            }])
        } else {
            dns::resolve(api, &self.namespace, name)
        };
        match addrs {
            Ok(list) if !list.is_empty() => {
                let mut s = format!("Name:      {name}\n");
                for (i, a) in list.iter().enumerate() {
                    match &a.ptr {
                        Some(p) => s.push_str(&format!("Address {}: {} {p}\n", i + 1, a.ip)),
                        None => s.push_str(&format!("Address {}: {}\n", i + 1, a.ip)),
                    }
                }
                io_out(io, s);
                0
            }
            _ => {
                io_err(io, format!("nslookup: can't resolve '{name}'\n"));
                1
            }
        }
    }

    fn report_fs(&self, io: &mut Io, tool: &str, what: &str, path: &str, e: FsError) {
        let m = Self::fs_msg(e);
        match self.flavor {
            Flavor::Busybox => io_err(io, format!("{tool}: can't {what} '{path}': {m}\n")),
            Flavor::Gnu => io_err(io, format!("{tool}: cannot {what} '{path}': {m}\n")),
        }
    }

    /// Expands a trailing `/*` the way the calling shell's glob would (the shell has no
    /// directory listing of the container; `cp -vnpr /$d/* /${d}mnt` needs it).
    fn expand_star(&self, arg: &str) -> Vec<String> {
        let Some(dir) = arg.strip_suffix("/*") else {
            return vec![arg.to_string()];
        };
        let dir = if dir.is_empty() { "/" } else { dir };
        let api = self.cluster.api();
        match self
            .cluster
            .runtime()
            .list_dir(api, &self.cref(), &Self::abs(dir))
        {
            Ok(entries) if !entries.is_empty() => entries
                .iter()
                .filter(|e| !e.name.starts_with('.'))
                .map(|e| format!("{}/{}", dir.trim_end_matches('/'), e.name))
                .collect(),
            _ => vec![arg.to_string()],
        }
    }

    /// `cp [-vnpr] SRC... DEST` (GNU coreutils wording; busybox's where it differs).
    fn cp(&mut self, args: &[String], io: &mut Io) -> i32 {
        let (mut verbose, mut no_clobber, mut recursive) = (false, false, false);
        let mut operands = Vec::new();
        for a in args {
            match a
                .strip_prefix('-')
                .filter(|f| !f.is_empty() && !a.starts_with("--"))
            {
                Some(flags) => {
                    for c in flags.chars() {
                        match c {
                            'v' => verbose = true,
                            'n' => no_clobber = true,
                            'r' | 'R' | 'a' => recursive = true,
                            'p' | 'f' | 'd' => {}
                            other => {
                                io_err(io, format!("cp: invalid option -- '{other}'\nTry 'cp --help' for more information.\n"));
                                return 1;
                            }
                        }
                    }
                }
                None => operands.extend(self.expand_star(a)),
            }
        }
        if operands.len() < 2 {
            let msg = match operands.first() {
                Some(f) => format!("cp: missing destination file operand after '{f}'\n"),
                None => "cp: missing file operand\n".to_string(),
            };
            io_err(io, format!("{msg}Try 'cp --help' for more information.\n"));
            return 1;
        }
        let Some(dest) = operands.pop() else {
            return 1;
        };
        let api = self.cluster.api();
        let dest_is_dir = self
            .cluster
            .runtime()
            .stat(api, &self.cref(), &Self::abs(&dest))
            .is_ok_and(|e| e.is_dir);
        if operands.len() > 1 && !dest_is_dir {
            io_err(io, format!("cp: target '{dest}' is not a directory\n"));
            return 1;
        }
        let mut status = 0;
        for src in operands {
            let name = src
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or("")
                .to_string();
            let target = if dest_is_dir {
                format!("{}/{name}", dest.trim_end_matches('/'))
            } else {
                dest.clone()
            };
            status |= self.copy_tree(&src, &target, recursive, no_clobber, verbose, io);
        }
        status
    }

    fn copy_tree(
        &mut self,
        src: &str,
        dst: &str,
        recursive: bool,
        no_clobber: bool,
        verbose: bool,
        io: &mut Io,
    ) -> i32 {
        let cref = ContainerRef {
            namespace: &self.namespace,
            pod: &self.pod,
            container: Some(&self.container),
        };
        let (api, rt) = self.cluster.parts();
        let st = match rt.stat(api, &cref, &Self::abs(src)) {
            Ok(st) => st,
            Err(e) => {
                io_err(
                    io,
                    match self.flavor {
                        Flavor::Busybox => format!("cp: can't stat '{src}': {}\n", Self::fs_msg(e)),
                        Flavor::Gnu => format!("cp: cannot stat '{src}': {}\n", Self::fs_msg(e)),
                    },
                );
                return 1;
            }
        };
        let existing = rt.stat(api, &cref, &Self::abs(dst)).ok();
        if st.is_dir {
            if !recursive {
                io_err(
                    io,
                    format!("cp: -r not specified; omitting directory '{src}'\n"),
                );
                return 1;
            }
            if existing.is_none() {
                if let Err(e) = rt.mkdir(api, &cref, &Self::abs(dst), false) {
                    io_err(
                        io,
                        format!("cp: cannot create directory '{dst}': {}\n", Self::fs_msg(e)),
                    );
                    return 1;
                }
                let _ = rt.chmod(api, &cref, &Self::abs(dst), st.mode);
                if verbose {
                    io_out(io, format!("'{src}' -> '{dst}'\n"));
                }
            }
            let children = rt.list_dir(api, &cref, &Self::abs(src)).unwrap_or_default();
            let mut status = 0;
            for c in children {
                let (s, d) = (format!("{src}/{}", c.name), format!("{dst}/{}", c.name));
                status |= self.copy_tree(&s, &d, recursive, no_clobber, verbose, io);
            }
            return status;
        }
        if existing.is_some() && no_clobber {
            return 0;
        }
        let data = match rt.read_file(api, &cref, &Self::abs(src)) {
            Ok(d) => d,
            Err(e) => {
                io_err(
                    io,
                    format!("cp: cannot open '{src}' for reading: {}\n", Self::fs_msg(e)),
                );
                return 1;
            }
        };
        if let Err(e) = rt.write_file(api, &cref, &Self::abs(dst), &data, false) {
            io_err(
                io,
                format!(
                    "cp: cannot create regular file '{dst}': {}\n",
                    Self::fs_msg(e)
                ),
            );
            return 1;
        }
        let _ = rt.chmod(api, &cref, &Self::abs(dst), st.mode);
        if verbose {
            io_out(io, format!("'{src}' -> '{dst}'\n"));
        }
        0
    }

    /// `mv SRC DEST`: a copy then a removal of the source.
    fn mv(&mut self, args: &[String], io: &mut Io) -> i32 {
        let ops: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
        let [src, dst] = ops.as_slice() else {
            let msg = match ops.first() {
                Some(f) if ops.len() == 1 => {
                    format!("mv: missing destination file operand after '{f}'\n")
                }
                _ if ops.is_empty() => "mv: missing file operand\n".to_string(),
                _ => String::new(),
            };
            if !msg.is_empty() {
                io_err(io, format!("{msg}Try 'mv --help' for more information.\n"));
                return 1;
            }
            // Several sources: into a directory.
            let mut status = 0;
            if let Some((last, srcs)) = ops.split_last() {
                for s in srcs {
                    status |= self.mv(&[s.to_string(), last.to_string()], io);
                }
            }
            return status;
        };
        let api = self.cluster.api();
        if let Err(e) = self
            .cluster
            .runtime()
            .stat(api, &self.cref(), &Self::abs(src))
        {
            io_err(
                io,
                match self.flavor {
                    Flavor::Busybox => format!("mv: can't rename '{src}': {}\n", Self::fs_msg(e)),
                    Flavor::Gnu => format!("mv: cannot stat '{src}': {}\n", Self::fs_msg(e)),
                },
            );
            return 1;
        }
        let into_dir = self
            .cluster
            .runtime()
            .stat(api, &self.cref(), &Self::abs(dst))
            .is_ok_and(|e| e.is_dir);
        let target = if into_dir {
            let name = src.trim_end_matches('/').rsplit('/').next().unwrap_or("");
            format!("{}/{name}", dst.trim_end_matches('/'))
        } else {
            dst.to_string()
        };
        let mut sink = Io::new();
        if self.copy_tree(src, &target, true, false, false, &mut sink) != 0 {
            io_err(io, sink.stderr().replace("cp: ", "mv: "));
            return 1;
        }
        let cref = ContainerRef {
            namespace: &self.namespace,
            pod: &self.pod,
            container: Some(&self.container),
        };
        let (api, rt) = self.cluster.parts();
        if let Err(e) = rt.remove(api, &cref, &Self::abs(src), true) {
            self.report_fs(io, "mv", "remove", src, e);
            return 1;
        }
        0
    }

    /// `apt-get update` / `apt-get install [-y] PKG...` against the simulated archive. The
    /// package lists live in /var/lib/apt/lists and the packages' files where Debian puts
    /// them, so what survives a restart is decided by the volumes, as in real life.
    fn apt_get(&mut self, args: &[String], io: &mut Io) -> i32 {
        let words: Vec<&str> = args
            .iter()
            .map(String::as_str)
            .filter(|a| !a.starts_with('-'))
            .collect();
        let cref = ContainerRef {
            namespace: &self.namespace,
            pod: &self.pod,
            container: Some(&self.container),
        };
        let (api, rt) = self.cluster.parts();
        let codename = rt
            .read_file(api, &cref, "/etc/os-release")
            .ok()
            .and_then(|b| {
                String::from_utf8_lossy(&b)
                    .lines()
                    .find_map(|l| l.strip_prefix("VERSION_CODENAME=").map(str::to_string))
            })
            .unwrap_or_else(|| "stable".to_string());
        let lists = "/var/lib/apt/lists";
        if let Some(bad) = args
            .iter()
            .filter_map(|a| a.strip_prefix("--"))
            .map(|a| a.split_once('=').map_or(a, |(k, _)| k))
            .find(|a| !APT_GET_LONG_OPTIONS.contains(a))
        {
            // apt >= 1.1 (xenial on) names the combination; wily's apt 1.0 did not.
            let tail = if matches!(codename.as_str(), "trusty" | "wily") {
                ""
            } else {
                " in combination with the other options"
            };
            io_err(
                io,
                format!("E: Command line option --{bad} is not understood{tail}\n"),
            );
            return 100;
        }
        match words.first().copied() {
            Some("update") => {
                if let Err(e) = rt.mkdir(api, &cref, lists, true).and_then(|_| {
                    rt.write_file(
                        api,
                        &cref,
                        &format!("{lists}/archive.ubuntu.com_ubuntu_dists_{codename}_InRelease"),
                        b"",
                        false,
                    )
                }) {
                    io_err(
                        io,
                        format!(
                            "E: Could not open lock file /var/lib/apt/lists/lock - open ({})\n",
                            Self::fs_msg(e)
                        ),
                    );
                    return 100;
                }
                io_out(
                    io,
                    format!(
                        "Get:1 http://archive.ubuntu.com/ubuntu {codename} InRelease [218 kB]\n\
Get:2 http://archive.ubuntu.com/ubuntu {codename}-updates InRelease [65.9 kB]\n\
Get:3 http://archive.ubuntu.com/ubuntu {codename}-security InRelease [65.9 kB]\n\
Get:4 http://archive.ubuntu.com/ubuntu {codename}/main amd64 Packages [1,366 kB]\n\
Get:5 http://archive.ubuntu.com/ubuntu {codename}/universe amd64 Packages [7,045 kB]\n\
Fetched 8,761 kB in 3s (2,548 kB/s)\n\
Reading package lists... Done\n"
                    ),
                );
                0
            }
            Some("install") => {
                let names = words.get(1..).unwrap_or(&[]);
                let updated = rt.list_dir(api, &cref, lists).is_ok_and(|l| !l.is_empty());
                io_out(io, "Reading package lists... Done\nBuilding dependency tree       \nReading state information... Done\n");
                let mut wanted: Vec<Package> = Vec::new();
                for n in names {
                    match package(n, &codename).filter(|_| updated) {
                        Some(p) => {
                            let mut stack = vec![p];
                            while let Some(p) = stack.pop() {
                                if !wanted.iter().any(|w| w.name == p.name) {
                                    wanted.push(p);
                                    stack.extend(
                                        p.depends.iter().filter_map(|d| package(d, &codename)),
                                    );
                                }
                            }
                        }
                        None => {
                            io_err(io, format!("E: Unable to locate package {n}\n"));
                            return 100;
                        }
                    }
                }
                if wanted.is_empty() {
                    io_out(
                        io,
                        "0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n",
                    );
                    return 0;
                }
                wanted.reverse();
                let mut all: Vec<&str> = wanted.iter().map(|p| p.name).collect();
                kubeplay_shell::sorting::sort(&mut all);
                io_out(io, format!(
                    "The following NEW packages will be installed:\n  {}\n0 upgraded, {} newly installed, 0 to remove and 0 not upgraded.\n",
                    all.join(" "),
                    all.len()
                ));
                for (i, p) in wanted.iter().enumerate() {
                    let pocket = package_pocket(p.name, &codename);
                    io_out(
                        io,
                        format!(
                            "Get:{} http://archive.ubuntu.com/ubuntu {pocket} amd64 {} amd64 {}\n",
                            i + 1,
                            p.name,
                            p.version
                        ),
                    );
                }
                for p in &wanted {
                    io_out(
                        io,
                        format!(
                            "Selecting previously unselected package {}.\nUnpacking {} ({}) ...\n",
                            p.name, p.name, p.version
                        ),
                    );
                    for f in p.files {
                        let dir = f.rsplit_once('/').map(|(d, _)| d).unwrap_or("/");
                        let exec = f.contains("/bin/")
                            || f.contains("/sbin/")
                            || f.starts_with("/etc/init.d/");
                        let data = package_file(f);
                        let r = rt
                            .mkdir(api, &cref, dir, true)
                            .and_then(|_| rt.write_file(api, &cref, f, data.as_bytes(), false))
                            .and_then(|_| {
                                rt.chmod(api, &cref, f, if exec { 0o755 } else { 0o644 })
                            });
                        if let Err(e) = r {
                            io_err(io, format!("dpkg: error processing archive {}: unable to create '{f}': {}\n", p.name, Self::fs_msg(e)));
                            return 100;
                        }
                    }
                    let _ = rt.mkdir(api, &cref, "/var/lib/dpkg/info", true);
                    let _ = rt.write_file(
                        api,
                        &cref,
                        &format!("/var/lib/dpkg/info/{}.list", p.name),
                        p.files.join("\n").as_bytes(),
                        false,
                    );
                }
                for p in &wanted {
                    io_out(io, format!("Setting up {} ({}) ...\n", p.name, p.version));
                }
                0
            }
            Some(other) => {
                io_err(io, format!("E: Invalid operation {other}\n"));
                100
            }
            None if codename == "xenial" => {
                io_out(io, "apt 1.2.35 (amd64)\nUsage: apt-get [options] command\n");
                0
            }
            None => {
                io_out(io, "apt 1.0.10.2ubuntu1 for amd64 compiled on Oct  5 2015 15:55:05\nUsage: apt-get [options] command\n");
                0
            }
        }
    }

    /// `env`: the process environment kubelet gives the container.
    fn env(&self, io: &mut Io) -> i32 {
        let mut s =
            String::from("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n");
        s.push_str(&format!("HOSTNAME={}\n", self.hostname()));
        if let Some(p) = self.pod_obj() {
            let containers = object::get_array(&p, &["spec", "containers"]);
            if let Some(c) = containers
                .iter()
                .chain(object::get_array(&p, &["spec", "initContainers"]))
                .find(|c| object::get_str(c, &["name"]) == Some(self.container.as_str()))
            {
                for e in object::get_array(c, &["env"]) {
                    let value = object::get_str(e, &["value"])
                        .map(str::to_string)
                        .or_else(|| {
                            // The downward API fields tutorials use.
                            match object::get_str(e, &["valueFrom", "fieldRef", "fieldPath"])? {
                                "metadata.namespace" => Some(self.namespace.clone()),
                                "metadata.name" => Some(self.pod.clone()),
                                "status.podIP" => Some(self.pod_ip()),
                                _ => None,
                            }
                        });
                    if let (Some(n), Some(v)) = (object::get_str(e, &["name"]), value) {
                        s.push_str(&format!("{n}={v}\n"));
                    }
                }
            }
        }
        // enableServiceLinks (default true): variables for every Service with a cluster IP.
        let sel = crate::selector::Selector::everything();
        let mut svcs = self
            .cluster
            .api()
            .list(Kind::Service, Some(&self.namespace), &sel);
        kubeplay_shell::sorting::sort_by(&mut svcs, |a, b| object::name(a).cmp(object::name(b)));
        for svc in svcs {
            let ip = object::get_str(&svc, &["spec", "clusterIP"]).unwrap_or("None");
            if ip == "None" || ip.is_empty() {
                continue;
            }
            let n = object::name(&svc).to_uppercase().replace('-', "_");
            let ports = object::get_array(&svc, &["spec", "ports"]);
            if let Some(first) = ports.first() {
                let port = object::get_i64(first, &["port"]).unwrap_or(0);
                let proto = object::get_str(first, &["protocol"]).unwrap_or("TCP");
                s.push_str(&format!("{n}_SERVICE_HOST={ip}\n{n}_SERVICE_PORT={port}\n"));
                s.push_str(&format!(
                    "{n}_PORT={}://{ip}:{port}\n",
                    proto.to_lowercase()
                ));
            }
            for p in ports {
                let port = object::get_i64(p, &["port"]).unwrap_or(0);
                let proto = object::get_str(p, &["protocol"]).unwrap_or("TCP");
                let l = proto.to_lowercase();
                s.push_str(&format!(
                    "{n}_PORT_{port}_{proto}={l}://{ip}:{port}\n{n}_PORT_{port}_{proto}_PROTO={l}\n{n}_PORT_{port}_{proto}_PORT={port}\n{n}_PORT_{port}_{proto}_ADDR={ip}\n"
                ));
            }
        }
        s.push_str("HOME=/root\n");
        io_out(io, s);
        0
    }
}

fn reason_phrase(code: u16) -> &'static str {
    match code {
        100 => "Continue",
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "",
    }
}

fn is_ipv4(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() == 4 && parts.iter().all(|p| p.parse::<u8>().is_ok())
}

/// `http://host:port/path`, `host:port`, `localhost` → (host, port, path).
pub fn parse_url(url: &str) -> Option<(String, u16, String)> {
    let (default_port, rest) = if let Some(r) = url.strip_prefix("http://") {
        (80, r)
    } else if let Some(r) = url.strip_prefix("https://") {
        (443, r)
    } else if url.contains("://") {
        return None;
    } else {
        (80, url)
    };
    let (hostport, path) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].to_string()),
        None => (rest, "/".to_string()),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) => (h, p.parse::<u16>().ok()?),
        None => (hostport, default_port),
    };
    if host.is_empty() {
        return None;
    }
    Some((host.to_string(), port, path))
}

/// The contents apt-get writes for a package file: the configuration nginx reads, the
/// pages it serves, ELF stubs for programs.
fn package_file(path: &str) -> String {
    match path {
        "/etc/nginx/sites-available/default" | "/etc/nginx/sites-enabled/default" => {
            "server {\n\tlisten 80 default_server;\n\tlisten [::]:80 default_server;\n\troot /var/www/html;\n\tindex index.html index.htm index.nginx-debian.html;\n\tserver_name _;\n\tlocation / {\n\t\ttry_files $uri $uri/ =404;\n\t}\n}\n".to_string()
        }
        "/etc/nginx/nginx.conf" => "user www-data;\nworker_processes auto;\npid /run/nginx.pid;\n\nevents {\n\tworker_connections 768;\n}\n\nhttp {\n\tinclude /etc/nginx/mime.types;\n\taccess_log /var/log/nginx/access.log;\n\terror_log /var/log/nginx/error.log;\n\tinclude /etc/nginx/conf.d/*.conf;\n\tinclude /etc/nginx/sites-enabled/*;\n}\n".to_string(),
        p if p.ends_with(".html") => "<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n</head>\n<body>\n<h1>Welcome to nginx!</h1>\n<p>If you see this page, the nginx web server is successfully installed and\nworking. Further configuration is required.</p>\n</body>\n</html>\n".to_string(),
        p if p.contains("/bin/") || p.contains("/sbin/") || p.ends_with(".so.4") => "\u{7f}ELF".to_string(),
        _ => String::new(),
    }
}

impl PodHost<'_> {
    /// The ZooKeeper image flavour of this container, if it runs one.
    fn zookeeper(&self) -> Option<zookeeper::Flavor> {
        let p = self.pod_obj()?;
        let c = object::get_array(&p, &["spec", "containers"])
            .iter()
            .find(|c| object::get_str(c, &["name"]) == Some(self.container.as_str()))?
            .clone();
        zookeeper::Flavor::of_image(object::get_str(&c, &["image"])?)
    }

    /// The ZooKeeper image's own programs (engine `zookeeper` module).
    fn zookeeper_tool(&mut self, base: &str, rest: &[String], io: &mut Io) -> i32 {
        let Some(flavor) = self.zookeeper() else {
            return 127;
        };
        let (ns, pod) = (self.namespace.clone(), self.pod.clone());
        let now = self.cluster.now();
        let run = match base {
            "zkCli.sh" => {
                let (api, runtime) = self.cluster.parts();
                zookeeper::zk_cli(api, runtime, &ns, &pod, flavor, rest, now)
            }
            "zkOk.sh" | "zookeeper-ready" => {
                // zkOk.sh reads ZK_CLIENT_PORT (2181); zookeeper-ready takes the port.
                let port = if base == "zookeeper-ready" {
                    rest.first().and_then(|p| p.parse().ok()).unwrap_or(0)
                } else {
                    self.pod_obj()
                        .and_then(|p| {
                            object::get_array(&p, &["spec", "containers"])
                                .iter()
                                .find(|c| {
                                    object::get_str(c, &["name"]) == Some(self.container.as_str())
                                })
                                .cloned()
                        })
                        .and_then(|c| {
                            zookeeper::container_env(self.cluster.api(), &ns, &c)
                                .into_iter()
                                .find(|(k, _)| k == "ZK_CLIENT_PORT")
                                .and_then(|(_, v)| v.parse().ok())
                        })
                        .unwrap_or(2181)
                };
                zookeeper::zk_ok(self.cluster.runtime(), &ns, &pod, port)
            }
            "zkServer.sh" => match rest.first().map(String::as_str) {
                Some("status") => zookeeper::zk_server_status(
                    self.cluster.api(),
                    self.cluster.runtime(),
                    &ns,
                    &pod,
                    flavor,
                ),
                _ => zookeeper::Run {
                    stdout: format!("ZooKeeper JMX enabled by default\nUsing config: /opt/zookeeper/conf/zoo.cfg\nUsage: {base} {{start|start-foreground|stop|restart|status|upgrade|print-cmd}}\n"),
                    ..Default::default()
                },
            },
            _ => {
                // ps -ef
                let Some(p) = self.pod_obj() else {
                    return 1;
                };
                let Some(c) = object::get_array(&p, &["spec", "containers"])
                    .iter()
                    .find(|c| object::get_str(c, &["name"]) == Some(self.container.as_str()))
                    .cloned()
                else {
                    return 1;
                };
                let env = zookeeper::container_env(self.cluster.api(), &ns, &c);
                let started = self
                    .cluster
                    .runtime()
                    .sandbox(&ns, &pod)
                    .and_then(|sb| sb.container(Some(&self.container)))
                    .and_then(|ct| match ct.state {
                        crate::runtime::ContainerState::Running { started, .. } => Some(started),
                        _ => None,
                    })
                    .unwrap_or(now);
                let procs = zookeeper::processes(flavor, &c, &env);
                let rows: Vec<PsRow> = procs
                    .into_iter()
                    .map(|(pid, ppid, cmd, cpu)| PsRow {
                        user: "zookeep+",
                        pid,
                        ppid,
                        start: started,
                        cpu_secs: cpu,
                        vsz: if pid == 1 { 4_508 } else { 4_863_772 },
                        rss: if pid == 1 { 1_620 } else { 101_484 },
                        cmd,
                    })
                    .collect();
                zookeeper::Run {
                    stdout: self.procps_render(rest, rows),
                    ..Default::default()
                }
            }
        };
        if !run.stdout.is_empty() {
            io_out(io, run.stdout);
        }
        if !run.stderr.is_empty() {
            io_err(io, run.stderr);
        }
        run.code
    }
}

/// Long options the modelled tools accept; any other `--word` is a usage error.
const KNOWN_LONG_OPTIONS: &[(&str, &[&str])] = &[
    ("cat", &[]),
    (
        "ls",
        &[
            "--all",
            "--almost-all",
            "--color",
            "--color=auto",
            "--color=never",
        ],
    ),
    ("chmod", &["--recursive"]),
    ("mkdir", &["--parents"]),
    ("rm", &["--recursive", "--force"]),
    ("touch", &[]),
    ("sleep", &[]),
    ("env", &[]),
    (
        "cp",
        &["--recursive", "--no-clobber", "--verbose", "--preserve"],
    ),
    ("mv", &["--no-clobber", "--verbose", "--force"]),
    ("hostname", &["--fqdn", "--ip-address"]),
];

impl PodHost<'_> {
    /// A long option the tool does not know: getopt's complaint, then busybox's usage banner
    /// or GNU's pointer to `--help`; `None` when every option is known.
    fn reject_unknown_long_option(&self, tool: &str, args: &[String], io: &mut Io) -> Option<i32> {
        let known = KNOWN_LONG_OPTIONS.iter().find(|(t, _)| *t == tool)?.1;
        let bad = args
            .iter()
            .take_while(|a| a.as_str() != "--")
            .find(|a| a.starts_with("--") && a.len() > 2 && !known.contains(&a.as_str()))?;
        match self.flavor {
            Flavor::Busybox => {
                io_err(
                    io,
                    format!(
                        "{tool}: unrecognized option '{bad}'\nBusyBox v1.28.4 (2018-05-22 17:00:17 UTC) multi-call binary.\n\nUsage: {tool} {}\n",
                        busybox_trivial_usage(tool)
                    ),
                );
                Some(1)
            }
            Flavor::Gnu => {
                // (Debian's `hostname` prints its usage instead of the `--help` pointer; not
                // modelled.)
                io_err(
                    io,
                    format!("{tool}: unrecognized option '{bad}'\nTry '{tool} --help' for more information.\n"),
                );
                Some(match tool {
                    "ls" => 2,
                    "env" => 125,
                    _ => 1,
                })
            }
        }
    }
}

/// The one-line usage busybox prints after a usage error (`<applet>_trivial_usage`).
fn busybox_trivial_usage(tool: &str) -> &'static str {
    match tool {
        "cat" => "[-nbvteA] [FILE]...",
        "ls" => "[-1AaCxdLHRFplinshrSXvctu] [-w WIDTH] [FILE]...",
        "chmod" => "[-Rcvf] MODE[,MODE]... FILE...",
        "mkdir" => "[-m MODE] [-p] DIRECTORY...",
        "rm" => "[-irf] FILE...",
        "touch" => "[-c] [-d DATE] [-t DATE] [-r FILE] FILE...",
        "sleep" => "[N]...",
        "env" => "[-iu] [-] [name=value]... [PROG ARGS]",
        "cp" => "[OPTIONS] SOURCE... DEST",
        "mv" => "[-fin] SOURCE DEST\nor: mv [-fin] SOURCE... DIRECTORY",
        "hostname" => "[OPTIONS] [HOSTNAME | -F FILE]",
        _ => "",
    }
}

/// `busybox` without an applet: its banner and usage (1.28.4, the tutorials' busybox).
const BUSYBOX_BANNER: &str = "BusyBox v1.28.4 (2018-05-22 17:00:17 UTC) multi-call binary.\nBusyBox is copyrighted by many authors between 1998-2015.\nLicensed under GPLv2. See source distribution for detailed\ncopyright notices.\n\nUsage: busybox [function [arguments]...]\n   or: busybox --list[-full]\n   or: busybox --install [-s] [DIR]\n   or: function [arguments]...\n\n\tBusyBox is a multi-call binary that combines many common Unix\n\tutilities into a single executable.  Most people will create a\n\tlink to busybox for each function they wish to use and BusyBox\n\twill act like whatever it was invoked as.\n";

impl PodHost<'_> {
    /// busybox `ps` (its default `pid,user,time,args` format): the container's main process
    /// as PID 1 and the `ps` that `kubectl exec` started.
    fn busybox_ps(&mut self, io: &mut Io) -> i32 {
        // Without a command the image's default is `sh`.
        let main = self.main_command_line("sh");
        io_out(
            io,
            format!(
                "PID   USER     TIME  COMMAND\n{:>5} {:<8} {:>5} {main}\n{:>5} {:<8} {:>5} ps\n",
                1, "root", "0:00", 7, "root", "0:00"
            ),
        );
        0
    }
}

impl PodHost<'_> {
    /// When this container's current instance started (now when unknown).
    fn container_started(&self) -> Time {
        self.cluster
            .runtime()
            .sandbox(&self.namespace, &self.pod)
            .and_then(|sb| sb.container(Some(&self.container)))
            .and_then(|ct| match ct.state {
                crate::runtime::ContainerState::Running { started, .. } => Some(started),
                _ => None,
            })
            .unwrap_or_else(|| self.cluster.now())
    }

    /// procps `ps` (`ps`, `ps -ef`, `ps aux`) in images that ship it: the container's main
    /// process (PID 1) and `ps` itself, both without a terminal (`kubectl exec` without -t).
    fn procps_ps(&mut self, args: &[String], default_cmd: &str, io: &mut Io) -> i32 {
        let main = self.main_command_line(default_cmd);
        let rows = vec![PsRow {
            user: "root",
            pid: 1,
            ppid: 0,
            start: self.container_started(),
            cpu_secs: 0,
            vsz: 4_380,
            rss: 676,
            cmd: main,
        }];
        let out = self.procps_render(args, rows);
        io_out(io, out);
        0
    }

    /// procps-ng 3.3 `ps`, `ps -ef` and `ps aux` over the container's processes, with the
    /// `ps` that `kubectl exec` started (no terminal) as the last one, run by `rows[0]`'s user.
    fn procps_render(&mut self, args: &[String], mut rows: Vec<PsRow>) -> String {
        let me = format!("ps {}", args.join(" ")).trim_end().to_string();
        let user = rows.first().map_or("root", |r| r.user);
        let next_pid = rows.iter().map(|r| r.pid).max().unwrap_or(0) + 6;
        rows.push(PsRow {
            user,
            pid: next_pid,
            ppid: 0,
            start: self.cluster.now(),
            cpu_secs: 0,
            vsz: 34_424,
            rss: 2_824,
            cmd: me,
        });
        let hhmm = |t: Time| t.rfc3339().get(11..16).unwrap_or("00:00").to_string();
        let comm = |cmd: &str| {
            let argv0 = cmd.split_whitespace().next().unwrap_or("");
            argv0
                .rsplit('/')
                .next()
                .unwrap_or(argv0)
                .chars()
                .take(15)
                .collect::<String>()
        };
        let last = rows.len() - 1;
        let opts = args.join("");
        let mut out = String::new();
        if opts.contains('f') && opts.starts_with('-') {
            out.push_str("UID        PID  PPID  C STIME TTY          TIME CMD\n");
            for r in &rows {
                out.push_str(&format!(
                    "{:<8} {:>5} {:>5} {:>2} {} {:<8} {:>8} {}\n",
                    r.user,
                    r.pid,
                    r.ppid,
                    0,
                    hhmm(r.start),
                    "?",
                    format!("00:00:{:02}", r.cpu_secs.min(59)),
                    r.cmd
                ));
            }
        } else if opts.contains('u') {
            out.push_str(
                "USER       PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n",
            );
            for (i, r) in rows.iter().enumerate() {
                let stat = if i == last {
                    "Rs"
                } else if i == 0 {
                    "Ss"
                } else {
                    "Sl"
                };
                let pct = if r.cpu_secs > 0 { "1.0" } else { "0.0" };
                let mem = if r.rss > 50_000 { "1.2" } else { "0.0" };
                out.push_str(&format!(
                    "{:<8} {:>5} {:>4} {:>4} {:>6} {:>5} {:<8} {:<4} {} {:>6} {}\n",
                    r.user,
                    r.pid,
                    pct,
                    mem,
                    r.vsz,
                    r.rss,
                    "?",
                    stat,
                    hhmm(r.start),
                    format!("0:{:02}", r.cpu_secs.min(59)),
                    r.cmd
                ));
            }
        } else {
            out.push_str("  PID TTY          TIME CMD\n");
            for (i, r) in rows.iter().enumerate() {
                let name = if i == last {
                    "ps".to_string()
                } else {
                    comm(&r.cmd)
                };
                out.push_str(&format!(
                    "{:>5} {:<8} {:>8} {}\n",
                    r.pid,
                    "?",
                    format!("00:00:{:02}", r.cpu_secs.min(59)),
                    name
                ));
            }
        }
        out
    }
}

/// A process as procps `ps` shows it.
struct PsRow {
    user: &'static str,
    pid: u32,
    ppid: u32,
    start: Time,
    cpu_secs: u32,
    vsz: u32,
    rss: u32,
    cmd: String,
}

/// One `ls -l` line, GNU layout.
fn long_line(e: &crate::runtime::DirEntry, name: &str) -> String {
    let mut m = String::with_capacity(10);
    m.push(if e.is_dir { 'd' } else { '-' });
    for shift in [6u32, 3, 0] {
        let bits = (e.mode >> shift) & 7;
        m.push(if bits & 4 != 0 { 'r' } else { '-' });
        m.push(if bits & 2 != 0 { 'w' } else { '-' });
        m.push(if bits & 1 != 0 { 'x' } else { '-' });
    }
    let links = if e.is_dir { 2 } else { 1 };
    format!("{m} {links} root root {:>5} Jan  1 00:00 {name}", e.size)
}

/// Go's `log` prefix: `2026/01/01 00:00:05 `.
fn go_log_stamp(t: Time) -> String {
    let s = t.rfc3339();
    format!(
        "{} {} ",
        s.get(0..10).unwrap_or("").replace('-', "/"),
        s.get(11..19).unwrap_or("")
    )
}

use crate::runtime::http_date;

/// Whether `shell` (`sh`, `/bin/sh`, `bash`) in a container of `image` is dash: the `sh` of
/// Debian and Ubuntu images (busybox images have ash; the CentOS-based mehdb image's `sh` is
/// bash).
pub fn is_dash(image: &str, shell: &str) -> bool {
    let image = Image::parse(image);
    shell.rsplit('/').next() == Some("sh")
        && image.def().userland() == Userland::Gnu
        && image.catalog != "mehdb"
}

/// A command the container does not have, in the words of the shell that looked for it:
/// bash `bash: X: command not found`, dash `sh: 1: X: not found` (`$0` and the line),
/// busybox ash `sh: X: not found` (`script: line 3: X: not found` in a script file).
fn not_found(env: &Env, bash: bool, cmd: &str, io: &mut Io) {
    let shell_named = matches!(
        env.arg0.as_str(),
        "sh" | "ash" | "bash" | "/bin/sh" | "/bin/ash" | "/bin/bash" | "-sh"
    );
    if bash || env.arg0 == "bash" {
        // bash (also as CentOS's `sh`): `$0`, and the line in a script file.
        let name = if bash && shell_named {
            env.arg0.rsplit('/').next().unwrap_or("bash")
        } else {
            env.arg0.as_str()
        };
        if shell_named {
            io_err(io, format!("{name}: {cmd}: command not found\n"));
        } else {
            io_err(
                io,
                format!("{name}: line {}: {cmd}: command not found\n", env.line),
            );
        }
    } else if env.dash {
        io_err(
            io,
            format!("{}: {}: {cmd}: not found\n", env.arg0, env.line),
        );
    } else if !shell_named {
        io_err(
            io,
            format!("{}: line {}: {cmd}: not found\n", env.arg0, env.line),
        );
    } else {
        io_err(io, format!("sh: {cmd}: not found\n"));
    }
}

/// curl's pointer to its help after a usage error.
const CURL_TRY: &str = "curl: try 'curl --help' or 'curl --manual' for more information\n";

/// What a curl command line asks for.
#[derive(Default)]
struct CurlOpts {
    url: Option<String>,
    method: Option<String>,
    upload: Option<String>,
    /// `-d` values, and whether each is raw (`--data-raw`: no `@file`).
    data: Vec<(String, bool)>,
    output: Option<String>,
    headers: Vec<String>,
    follow: bool,
    include: bool,
    verbose: bool,
    silent: bool,
    show_error: bool,
    fail: bool,
    head: bool,
}

impl PodHost<'_> {
    /// The container's image reference.
    fn image(&self) -> Image {
        let spec = self.pod_obj().and_then(|p| {
            object::get_array(&p, &["spec", "containers"])
                .iter()
                .chain(object::get_array(&p, &["spec", "initContainers"]))
                .find(|c| object::get_str(c, &["name"]) == Some(self.container.as_str()))
                .and_then(|c| object::get_str(c, &["image"]).map(str::to_string))
        });
        Image::parse(&spec.unwrap_or_default())
    }

    /// `nginx [-c FILE] [-g DIRECTIVES] [-t] [-v]`: reads its configuration once, then serves
    /// (in the foreground with `daemon off;`, which at container start becomes the
    /// container's process; typed into `kubectl exec`, the terminal would stay attached to
    /// it — the simulation hands the prompt back while it keeps serving).
    fn nginx(&mut self, args: &[String], io: &mut Io) -> i32 {
        let image = self.image();
        let version = if image.catalog == "nginx" {
            image.version.clone()
        } else {
            "1.9.3 (Ubuntu)".to_string()
        };
        let mut conf = "/etc/nginx/nginx.conf".to_string();
        let mut globals = String::new();
        let mut test = false;
        let mut i = 0;
        while let Some(a) = args.get(i) {
            match a.as_str() {
                "-c" => {
                    i += 1;
                    conf = args.get(i).cloned().unwrap_or_default();
                }
                "-g" => {
                    i += 1;
                    globals = args.get(i).cloned().unwrap_or_default();
                }
                "-p" => i += 1,
                "-t" | "-T" | "-q" => test = true,
                "-v" | "-V" => {
                    io_err(io, format!("nginx version: nginx/{version}\n"));
                    return 0;
                }
                o => {
                    let o = o.trim_start_matches('-');
                    io_err(io, format!("nginx: invalid option: \"{o}\"\n"));
                    return 1;
                }
            }
            i += 1;
        }
        let conf = Self::abs(&conf);
        let (api, rt) = self.cluster.parts();
        let cref = ContainerRef {
            namespace: &self.namespace,
            pod: &self.pod,
            container: Some(&self.container),
        };
        let read = |p: &str| {
            rt.read_file(api, &cref, p)
                .ok()
                .map(|b| String::from_utf8_lossy(&b).into_owned())
        };
        let list = |p: &str| {
            rt.list_dir(api, &cref, p)
                .map(|l| l.into_iter().map(|e| e.name).collect())
                .unwrap_or_default()
        };
        let site = match crate::runtime::images::parse_site(&conf, &read, &list) {
            Ok(s) => s,
            Err(e) => {
                io_err(io, format!("nginx: [emerg] {e}\n"));
                if test {
                    io_err(
                        io,
                        format!("nginx: configuration file {conf} test failed\n"),
                    );
                }
                return 1;
            }
        };
        let exists = |p: &str| rt.stat(api, &cref, p).is_ok();
        if image.catalog != "nginx" {
            // The Ubuntu package logs and buffers under /var, which is not on a volume.
            if !exists("/var/log/nginx") {
                io_err(io, "nginx: [alert] could not open error log file: open() \"/var/log/nginx/error.log\" failed (2: No such file or directory)\n");
            }
            if !exists("/var/lib/nginx") {
                io_err(io, "nginx: [emerg] mkdir() \"/var/lib/nginx/body\" failed (2: No such file or directory)\n");
                return 1;
            }
        }
        if test {
            io_err(
                io,
                format!("nginx: the configuration file {conf} syntax is ok\nnginx: configuration file {conf} test is successful\n"),
            );
            return 0;
        }
        let proc = crate::runtime::ServerProc {
            program: "nginx".to_string(),
            ports: site.listens.clone(),
            site,
            version,
        };
        if let Err(port) = rt.start_server(&cref, proc) {
            for _ in 0..5 {
                io_err(
                    io,
                    format!("nginx: [emerg] bind() to 0.0.0.0:{port} failed (98: Address already in use)\n"),
                );
            }
            io_err(io, "nginx: [emerg] still could not bind()\n");
            return 1;
        }
        if self.at_start && globals.replace(' ', "").contains("daemonoff") {
            self.foreground = Some("nginx".to_string());
        }
        0
    }

    /// `nc`/`netcat HOST PORT` (`-v`, `-z`, `-w N`): sends its input to the server and prints
    /// the raw reply (an HTTP request gets the status line and headers too).
    fn netcat(&mut self, args: &[String], stdin: &str, io: &mut Io) -> i32 {
        let (mut verbose, mut zero) = (false, false);
        let mut words = Vec::new();
        let mut i = 0;
        while let Some(a) = args.get(i) {
            match a.as_str() {
                "-w" | "-W" | "-i" | "-p" | "-s" => i += 1,
                "-v" | "-vv" => verbose = true,
                "-z" => zero = true,
                "-zv" | "-vz" => (verbose, zero) = (true, true),
                "-n" | "-q" | "-N" | "-4" => {}
                o if o.starts_with('-') => {
                    let flag = o.trim_start_matches('-');
                    match self.flavor {
                        Flavor::Busybox => io_err(io, format!("nc: unrecognized option '{o}'\n")),
                        Flavor::Gnu => io_err(io, format!("nc: invalid option -- '{flag}'\n")),
                    }
                    return 1;
                }
                w => words.push(w.to_string()),
            }
            i += 1;
        }
        let (Some(host), Some(port)) = (words.first(), words.get(1)) else {
            match self.flavor {
                Flavor::Busybox => io_err(io, "BusyBox v1.28.4 (2018-05-22 17:00:17 UTC) multi-call binary.\n\nUsage: nc [OPTIONS] HOST PORT  - connect\n"),
                Flavor::Gnu => io_err(io, "usage: nc [-46CDdFhklNnrStUuvZz] [-I length] [-i interval] [-M ttl]\n\t  [-m minttl] [-O length] [-P proxy_username] [-p source_port]\n\t  [-q seconds] [-s source] [-T keyword] [-V rtable] [-W recvlimit] [-w timeout]\n\t  [-X proxy_protocol] [-x proxy_address[:port]] \t  [destination] [port]\n"),
            }
            return 1;
        };
        let Ok(port) = port.parse::<u16>() else {
            io_err(io, format!("nc: port number invalid: {port}\n"));
            return 1;
        };
        let request = stdin.lines().next().unwrap_or("");
        let path = request
            .strip_prefix("GET ")
            .and_then(|r| r.split_whitespace().next())
            .unwrap_or("/")
            .to_string();
        let is_http = request.starts_with("GET ");
        let now = self.cluster.now();
        let r = self.cluster.runtime().http_exchange(
            self.cluster.api(),
            &self.cref(),
            host,
            port,
            &path,
        );
        match r {
            Ok((resp, software)) => {
                if verbose {
                    io_err(
                        io,
                        format!("Connection to {host} {port} port [tcp/*] succeeded!\n"),
                    );
                }
                if zero || !is_http {
                    return 0;
                }
                let mut head = format!(
                    "HTTP/1.1 {} {}\r\n",
                    resp.status,
                    reason_phrase(resp.status)
                );
                if let Some(sw) = software {
                    head.push_str(&format!("Server: {sw}\r\n"));
                }
                head.push_str(&format!(
                    "Date: {}\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n",
                    http_date(now),
                    resp.body.len()
                ));
                if resp.status == 200 {
                    head.push_str("Accept-Ranges: bytes\r\n");
                }
                head.push_str("\r\n");
                io_out(io, head);
                io_out(io, resp.body);
                0
            }
            Err(NetError::EmptyReply { .. }) => 0,
            Err(NetError::UnknownHost(h)) => {
                match self.flavor {
                    Flavor::Busybox => io_err(io, format!("nc: bad address '{h}'\n")),
                    Flavor::Gnu => io_err(
                        io,
                        format!("nc: getaddrinfo for host \"{h}\" port {port}: Name or service not known\n"),
                    ),
                }
                1
            }
            Err(e @ (NetError::Refused { .. } | NetError::Timeout { .. })) => {
                let (why, host, port) = match e {
                    NetError::Refused { host, port } => ("Connection refused", host, port),
                    NetError::Timeout { host, port } => ("Connection timed out", host, port),
                    _ => ("", String::new(), 0),
                };
                match self.flavor {
                    Flavor::Busybox => {
                        io_err(io, format!("nc: can't connect to remote host: {why}\n"))
                    }
                    Flavor::Gnu if verbose => io_err(
                        io,
                        format!("nc: connect to {host} port {port} (tcp) failed: {why}\n"),
                    ),
                    Flavor::Gnu => {}
                }
                1
            }
        }
    }

    /// The peer-finder init helper: polls the DNS SRV records of `-service` until this pod's
    /// own name shows up, then pipes the sorted peer names to the `-on-start` script; without
    /// `-on-change` it exits with the script's status.
    fn peer_finder(&mut self, args: &[String], io: &mut Io) -> i32 {
        // Go's flag package: an undefined flag prints the defaults and exits 2.
        for a in args {
            let Some(name) = a.strip_prefix('-') else {
                break;
            };
            let name = name.strip_prefix('-').unwrap_or(name);
            let name = name.split_once('=').map_or(name, |(k, _)| k);
            if name.is_empty() {
                break;
            }
            if !PEER_FINDER_FLAGS.iter().any(|(f, _)| *f == name) {
                let mut usage =
                    format!("flag provided but not defined: -{name}\nUsage of /peer-finder:\n");
                for (f, text) in PEER_FINDER_FLAGS {
                    usage.push_str(&format!("  -{f} string\n    \t{text}\n"));
                }
                io_err(io, usage);
                return 2;
            }
        }
        let mut flags: Vec<(String, String)> = Vec::new();
        let mut i = 0;
        while let Some(a) = args.get(i) {
            let name = a.trim_start_matches('-');
            if let Some((k, v)) = name.split_once('=') {
                flags.push((k.to_string(), v.to_string()));
            } else if a.starts_with('-') {
                i += 1;
                flags.push((name.to_string(), args.get(i).cloned().unwrap_or_default()));
            }
            i += 1;
        }
        let flag = |k: &str| {
            flags
                .iter()
                .rev()
                .find(|(n, _)| n == k)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        let (on_start, on_change, service) = (flag("on-start"), flag("on-change"), flag("service"));
        let domain = Some(flag("domain"))
            .filter(|d| !d.is_empty())
            .unwrap_or_else(|| "cluster.local".to_string());
        let mut ns = flag("ns");
        if ns.is_empty() {
            let mut env = Io::new();
            self.env(&mut env);
            ns = env
                .stdout()
                .lines()
                .find_map(|l| l.strip_prefix("POD_NAMESPACE=").map(str::to_string))
                .unwrap_or_default();
        }
        let stamp = |t: Time| go_log_stamp(t);
        if (on_start.is_empty() && on_change.is_empty()) || service.is_empty() || ns.is_empty() {
            io_err(io, format!("{}Incomplete args, require -on-change and/or -on-start, -service and -ns or an env var for POD_NAMESPACE.\n", stamp(self.cluster.now())));
            return 1;
        }
        let me = format!("{}.{service}.{ns}.svc.{domain}", self.hostname());
        let fqdn = format!("{service}.{ns}.svc.{domain}");
        let mut polls = 0;
        let peers = loop {
            let mut peers: Vec<String> = dns::lookup_srv(self.cluster.api(), &fqdn)
                .unwrap_or_default()
                .into_iter()
                .map(|r| r.target)
                .collect();
            kubeplay_shell::sorting::sort(&mut peers);
            peers.dedup();
            if peers.contains(&me) {
                break peers;
            }
            polls += 1;
            if self.at_start || polls > 120 {
                // Nothing changes while it waits here: it polls for as long as the pod runs.
                self.foreground = Some("peer-finder".to_string());
                return 0;
            }
            self.sleep(1.0);
        };
        let now = self.cluster.now();
        io_err(
            io,
            format!(
                "{}Peer list updated\nwas []\nnow [{}]\n",
                stamp(now),
                peers.join(" ")
            ),
        );
        let script = if on_start.is_empty() {
            &on_change
        } else {
            &on_start
        };
        let input = peers.join("\\n");
        io_err(
            io,
            format!(
                "{}execing: {script} with stdin: {}\n",
                stamp(now),
                peers.join("\n")
            ),
        );
        let mut out = Io::new();
        let status = self.run_script(&format!("printf '{input}\\n' | {{\n{script}\n}}"), &mut out);
        let text = out.text();
        if status != 0 {
            io_err(
                io,
                format!(
                    "{}Failed to execute {script}: {text}, err: exit status {status}\n",
                    stamp(now)
                ),
            );
            return 1;
        }
        io_err(io, format!("{}{text}\n", stamp(now)));
        if on_change.is_empty() {
            io_err(io, format!("{}Peer finder exiting\n", stamp(now)));
            return 0;
        }
        self.foreground = Some("peer-finder".to_string());
        0
    }
}

/// dpkg's pointer to its help, printed after a usage error.
const DPKG_HELP_HINT: &str = "Type dpkg --help for help about installing and deinstalling packages [*];\nUse 'apt' or 'aptitude' for user-friendly package management;\nType dpkg -Dhelp for a list of dpkg debug flag values;\nType dpkg --force-help for a list of forcing options;\nType dpkg-deb --help for help about manipulating *.deb files;\n\nOptions marked [*] produce a lot of output - pipe it through 'less' or 'more' !\n";

/// dpkg-query's advice after naming a package that is not installed (dpkg 1.18, xenial).
const DPKG_ARCHIVE_HINT: &str = "Use dpkg --info (= dpkg-deb --info) to examine archive files,\nand dpkg --contents (= dpkg-deb --contents) to list their contents.\n";

/// Shell-style glob match (`*`, `?`) as dpkg-query matches package names.
fn glob_match(pattern: &str, name: &str) -> bool {
    let (p, n): (Vec<char>, Vec<char>) = (pattern.chars().collect(), name.chars().collect());
    let (mut pi, mut ni, mut star, mut mark) = (0, 0, None, 0);
    while ni < n.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some(pi);
                mark = ni;
                pi += 1;
            }
            Some(&c) if c == '?' || c == n[ni] => {
                pi += 1;
                ni += 1;
            }
            _ => match star {
                Some(s) => {
                    pi = s + 1;
                    mark += 1;
                    ni = mark;
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// peer-finder's flags and their help, in the order Go's `PrintDefaults` lists them (by name).
const PEER_FINDER_FLAGS: &[(&str, &str)] = &[
    ("domain", "The Cluster Domain which is used by the Cluster, if not set tries to determine it from /etc/resolv.conf file."),
    ("ns", "The namespace this pod is running in. If unspecified, the POD_NAMESPACE env var is used."),
    ("on-change", "Script to run on change, must accept a new line separated list of peers via stdin."),
    ("on-start", "Script to run on start, must accept a new line separated list of peers via stdin."),
    ("service", "Governing service responsible for the DNS records of the domain this pod is in."),
];

/// The OpenJDK 8 build each ZooKeeper image installed from Ubuntu 16.04's archive when it
/// was built (k8szk in late 2016, kubernetes-zookeeper 1.0-3.4.10 in spring 2017):
/// (update, build number, Ubuntu package revision).
fn openjdk_build(flavor: zookeeper::Flavor) -> (u32, &'static str, &'static str) {
    match flavor {
        zookeeper::Flavor::K8sZk => (111, "b14", "2ubuntu0.16.04.2"),
        zookeeper::Flavor::KubernetesZookeeper => (131, "b11", "0ubuntu1.16.04.2"),
    }
}

/// `start-zookeeper --help` (the script's `print_usage`).
const START_ZOOKEEPER_USAGE: &str = "Usage: start-zookeeper [OPTIONS]
Starts a ZooKeeper server based on the supplied options.
    --servers           The number of servers in the ensemble. The default 
                        value is 1.

    --data_dir          The directory where the ZooKeeper process will store its
                        snapshots. The default is /var/lib/zookeeper/data.

    --data_log_dir      The directory where the ZooKeeper process will store its 
                        write ahead log. The default is 
                        /var/lib/zookeeper/data/log.

    --conf_dir          The directoyr where the ZooKeeper process will store its
                        configuration. The default is /opt/zookeeper/conf.

    --client_port       The port on which the ZooKeeper process will listen for 
                        client requests. The default is 2181.

    --election_port     The port on which the ZooKeeper process will perform 
                        leader election. The default is 3888.

    --server_port       The port on which the ZooKeeper process will listen for 
                        requests from other servers in the ensemble. The 
                        default is 2888. 

    --tick_time         The length of a ZooKeeper tick in ms. The default is 
                        2000.

    --init_limit        The number of Ticks that an ensemble member is allowed 
                        to perform leader election. The default is 10.

    --sync_limit        The maximum session timeout that the ensemble will 
                        allows a client to request. The default is 5.

    --heap              The maximum amount of heap to use. The format is the 
                        same as that used for the Xmx and Xms parameters to the 
                        JVM. e.g. --heap=2G. The default is 2G.

    --max_client_cnxns  The maximum number of client connections that the 
                        ZooKeeper process will accept simultaneously. The 
                        default is 60.

    --snap_retain_count The maximum number of snapshots the ZooKeeper process 
                        will retain if purge_interval is greater than 0. The 
                        default is 3.

    --purge_interval    The number of hours the ZooKeeper process will wait 
                        between purging its old snapshots. If set to 0 old 
                        snapshots will never be purged. The default is 0.

    --max_session_timeout The maximum time in milliseconds for a client session 
                        timeout. The default value is 2 * tick time.

    --min_session_timeout The minimum time in milliseconds for a client session 
                        timeout. The default value is 20 * tick time.

    --log_level         The log level for the zookeeeper server. Either FATAL,
                        ERROR, WARN, INFO, DEBUG. The default is INFO.

";

/// The long options `start-zookeeper` accepts (each as `--name=value`).
const START_ZOOKEEPER_OPTIONS: &[&str] = &[
    "servers",
    "data_dir",
    "data_log_dir",
    "log_dir",
    "conf_dir",
    "client_port",
    "election_port",
    "server_port",
    "tick_time",
    "init_limit",
    "sync_limit",
    "heap",
    "max_client_cnxns",
    "snap_retain_count",
    "purge_interval",
    "max_session_timeout",
    "min_session_timeout",
    "log_level",
];

/// `<name>-<ordinal>` as bash's `[[ $HOST =~ (.*)-([0-9]+)$ ]]` matches it.
fn bash_ordinal(host: &str) -> Option<u64> {
    let (_, ord) = host.rsplit_once('-')?;
    if ord.is_empty() || !ord.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    ord.parse().ok()
}

impl PodHost<'_> {
    /// The package `apt-get install` left in dpkg's database (its `.list` file), if any.
    /// The release of the container's image (`VERSION_CODENAME` of /etc/os-release).
    fn codename(&self) -> String {
        self.cluster
            .runtime()
            .read_file(self.cluster.api(), &self.cref(), "/etc/os-release")
            .ok()
            .and_then(|b| {
                String::from_utf8_lossy(&b)
                    .lines()
                    .find_map(|l| l.strip_prefix("VERSION_CODENAME=").map(str::to_string))
            })
            .unwrap_or_else(|| "stable".to_string())
    }

    fn dpkg_installed(&self, name: &str) -> Option<Package> {
        let p = package(name, &self.codename())?;
        self.cluster
            .runtime()
            .read_file(
                self.cluster.api(),
                &self.cref(),
                &format!("/var/lib/dpkg/info/{name}.list"),
            )
            .ok()
            .map(|_| p)
    }

    /// `dpkg -l|-L|-s|-i ...` over the packages `apt-get install` put in dpkg's database.
    /// The image's own base packages are not in the model, so a bare `dpkg -l` lists only
    /// what was installed since.
    fn dpkg(&mut self, args: &[String], io: &mut Io) -> i32 {
        let Some(action) = args.first().map(String::as_str) else {
            io_err(
                io,
                format!("dpkg: error: need an action option\n\n{DPKG_HELP_HINT}"),
            );
            return 2;
        };
        let names = &args[1..];
        match action {
            "-l" | "--list" => {
                let mut rows: Vec<Package> = Vec::new();
                let mut status = 0;
                if names.is_empty() {
                    rows.extend(PACKAGES.iter().filter_map(|p| self.dpkg_installed(p.name)));
                }
                for pat in names {
                    let found: Vec<Package> = PACKAGES
                        .iter()
                        .filter(|p| glob_match(pat, p.name))
                        .filter_map(|p| self.dpkg_installed(p.name))
                        .collect();
                    if found.is_empty() {
                        io_err(
                            io,
                            format!("dpkg-query: no packages found matching {pat}\n"),
                        );
                        status = 1;
                    }
                    for p in found {
                        if !rows.iter().any(|r| r.name == p.name) {
                            rows.push(p);
                        }
                    }
                }
                if rows.is_empty() {
                    if names.is_empty() {
                        io_err(io, "No packages found.\n");
                    }
                    return status;
                }
                rows.sort_by_key(|p| p.name);
                // dpkg-query's columns: at least 14/12/12/33 wide, widened to the longest value.
                let nw = rows.iter().map(|p| p.name.len()).max().unwrap_or(0).max(14);
                let vw = rows
                    .iter()
                    .map(|p| p.version.len())
                    .max()
                    .unwrap_or(0)
                    .max(12);
                let aw = rows.iter().map(|p| p.arch.len()).max().unwrap_or(0).max(12);
                let dw = rows
                    .iter()
                    .map(|p| p.summary.len())
                    .max()
                    .unwrap_or(0)
                    .max(33);
                let mut out = String::from("Desired=Unknown/Install/Remove/Purge/Hold\n| Status=Not/Inst/Conf-files/Unpacked/halF-conf/Half-inst/trig-aWait/Trig-pend\n|/ Err?=(none)/Reinst-required (Status,Err: uppercase=bad)\n");
                out.push_str(&format!(
                    "||/ {:<nw$} {:<vw$} {:<aw$} Description\n",
                    "Name", "Version", "Architecture"
                ));
                out.push_str(&format!(
                    "+++-{}-{}-{}-{}\n",
                    "=".repeat(nw),
                    "=".repeat(vw),
                    "=".repeat(aw),
                    "=".repeat(dw)
                ));
                for p in rows {
                    out.push_str(&format!(
                        "ii  {:<nw$} {:<vw$} {:<aw$} {}\n",
                        p.name, p.version, p.arch, p.summary
                    ));
                }
                io_out(io, out);
                status
            }
            "-L" | "--listfiles" | "-s" | "--status" => {
                let listing = matches!(action, "-L" | "--listfiles");
                if names.is_empty() {
                    io_err(
                        io,
                        format!("dpkg-query: error: {action} needs at least one package name argument\n\nUse --help for help about querying packages.\n"),
                    );
                    return 2;
                }
                let mut status = 0;
                for (i, name) in names.iter().enumerate() {
                    let Some(p) = self.dpkg_installed(name) else {
                        let what = if listing {
                            "is not installed"
                        } else {
                            "is not installed and no information is available"
                        };
                        io_err(
                            io,
                            format!("dpkg-query: package '{name}' {what}\n{DPKG_ARCHIVE_HINT}"),
                        );
                        status = 1;
                        continue;
                    };
                    let mut out = String::new();
                    if listing {
                        // The .list file: `/.`, then each directory before what it holds.
                        let mut seen: Vec<String> = vec!["/.".to_string()];
                        for f in p.files {
                            let mut dir = String::new();
                            for part in f.trim_start_matches('/').split('/') {
                                dir.push('/');
                                dir.push_str(part);
                                if !seen.contains(&dir) {
                                    seen.push(dir.clone());
                                }
                            }
                        }
                        for s in seen {
                            out.push_str(&s);
                            out.push('\n');
                        }
                    } else {
                        if i > 0 {
                            out.push('\n');
                        }
                        // Only the fields the model knows; the archive's other control fields
                        // (Maintainer, Installed-Size, Depends, the long description) are not kept.
                        out.push_str(&format!(
                            "Package: {}\nStatus: install ok installed\nArchitecture: {}\nVersion: {}\nDescription: {}\n",
                            p.name, p.arch, p.version, p.summary
                        ));
                    }
                    io_out(io, out);
                }
                status
            }
            "-i" | "--install" => {
                let Some(file) = names.first() else {
                    io_err(io, format!("dpkg: error: --install needs at least one package archive file argument\n\n{DPKG_HELP_HINT}"));
                    return 2;
                };
                io_err(io, format!("dpkg: error processing archive {file} (--install):\n cannot access archive: No such file or directory\nErrors were encountered while processing:\n {file}\n"));
                1
            }
            opt if opt.starts_with('-') => {
                io_err(
                    io,
                    format!("dpkg: error: unknown option {opt}\n\n{DPKG_HELP_HINT}"),
                );
                2
            }
            _ => {
                io_err(
                    io,
                    format!("dpkg: error: need an action option\n\n{DPKG_HELP_HINT}"),
                );
                2
            }
        }
    }

    /// `java -version`, `java CLASS`: the images' OpenJDK 8 (`/usr/bin/java`). No class but
    /// ZooKeeper's own is on its class path, and those run through the image's scripts.
    fn java(&mut self, args: &[String], io: &mut Io) -> i32 {
        let Some(flavor) = self.zookeeper() else {
            return 127;
        };
        let (update, build, revision) = openjdk_build(flavor);
        let mut args = args.iter();
        while let Some(a) = args.next() {
            match a.as_str() {
                "-version" => {
                    io_err(io, format!("openjdk version \"1.8.0_{update}\"\nOpenJDK Runtime Environment (build 1.8.0_{update}-8u{update}-{build}-{revision}-{build})\nOpenJDK 64-Bit Server VM (build 25.{update}-{build}, mixed mode)\n"));
                    return 0;
                }
                "-cp" | "-classpath" => {
                    args.next();
                }
                o if o.starts_with("-D") => {}
                o if o.starts_with('-') => {
                    io_err(io, format!("Unrecognized option: {o}\nError: Could not create the Java Virtual Machine.\nError: A fatal exception has occurred. Program will exit.\n"));
                    return 1;
                }
                class => {
                    io_err(
                        io,
                        format!("Error: Could not find or load main class {class}\n"),
                    );
                    return 1;
                }
            }
        }
        // No class: the launcher's usage (its first lines; the option list is not kept).
        io_err(io, "Usage: java [-options] class [args...]\n           (to execute a class)\n   or  java [-options] -jar jarfile [args...]\n           (to execute a jar file)\n");
        1
    }

    /// The container spec this shell runs in.
    /// The container's main process as `ps` shows it: its command and args joined, or the
    /// image's default when the spec names none.
    fn main_command_line(&self, default_cmd: &str) -> String {
        let words: Vec<String> = self
            .container_spec()
            .iter()
            .flat_map(|c| {
                ["command", "args"]
                    .into_iter()
                    .flat_map(move |f| object::get_array(c, &[f]).to_vec())
            })
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        if words.is_empty() {
            default_cmd.to_string()
        } else {
            words.join(" ")
        }
    }

    fn container_spec(&self) -> Option<serde_json::Value> {
        let p = self.pod_obj()?;
        object::get_array(&p, &["spec", "containers"])
            .iter()
            .chain(object::get_array(&p, &["spec", "initContainers"]))
            .find(|c| object::get_str(c, &["name"]) == Some(self.container.as_str()))
            .cloned()
    }

    /// Rewrites `myid` and `zoo.cfg` as the image's generator does for `script` (the
    /// engine's ZooKeeper model reads them back).
    fn zookeeper_generate(&mut self, script: &str) {
        let Some(mut spec) = self.container_spec() else {
            return;
        };
        if let Some(obj) = spec.as_object_mut() {
            obj.insert("command".into(), serde_json::json!(["sh", "-c", script]));
            obj.remove("args");
        }
        let (ns, pod) = (self.namespace.clone(), self.pod.clone());
        let (host, fqdn) = (self.hostname(), self.fqdn());
        let fqdn = (fqdn != host).then_some(fqdn);
        let now = self.cluster.now();
        let (api, rt) = self.cluster.parts();
        let _ = zookeeper::on_start(api, rt, &ns, &pod, &host, fqdn.as_deref(), &spec, now);
    }

    /// k8szk's `zkGenConfig.sh`: validates the `ZK_*` environment, then writes `zoo.cfg`,
    /// `log4j.properties`, the data directories with `myid`, and `java.env`.
    fn zk_gen_config(&mut self, io: &mut Io) -> i32 {
        let Some(spec) = self.container_spec() else {
            return 1;
        };
        let env = zookeeper::container_env(self.cluster.api(), &self.namespace, &spec);
        let get = |k: &str, d: &str| {
            env.iter()
                .find(|(n, v)| n == k && !v.is_empty())
                .map_or(d.to_string(), |(_, v)| v.clone())
        };
        let mut out = String::from("Validating environment\n");
        let replicas = get("ZK_REPLICAS", "");
        if replicas.is_empty() {
            out.push_str("ZK_REPLICAS is a mandatory environment variable\n");
            io_out(io, out);
            return 1;
        }
        let host = self.hostname();
        let Some(ord) = bash_ordinal(&host) else {
            out.push_str(&format!("Failed to extract ordinal from hostname {host}\n"));
            io_out(io, out);
            return 1;
        };
        let name = host.rsplit_once('-').map_or("", |(n, _)| n).to_string();
        let domain = self
            .fqdn()
            .strip_prefix(&format!("{host}."))
            .unwrap_or("")
            .to_string();
        let tick: u64 = get("ZK_TICK_TIME", "2000").parse().unwrap_or(2000);
        let (sp, ep) = (
            get("ZK_SERVER_PORT", "2888"),
            get("ZK_ELECTION_PORT", "3888"),
        );
        let data_dir = get("ZK_DATA_DIR", "/var/lib/zookeeper/data");
        out.push_str(&format!("ZK_REPLICAS={replicas}\nMY_ID={}\n", ord + 1));
        for (k, d) in [
            ("ZK_LOG_LEVEL", "INFO".to_string()),
            ("ZK_DATA_DIR", "/var/lib/zookeeper/data".to_string()),
            ("ZK_DATA_LOG_DIR", "/var/lib/zookeeper/log".to_string()),
            // (sic) the script's default has no leading slash.
            ("ZK_LOG_DIR", "var/log/zookeeper".to_string()),
            ("ZK_CLIENT_PORT", "2181".to_string()),
            ("ZK_SERVER_PORT", "2888".to_string()),
            ("ZK_ELECTION_PORT", "3888".to_string()),
            ("ZK_TICK_TIME", "2000".to_string()),
            ("ZK_INIT_LIMIT", "10".to_string()),
            ("ZK_SYNC_LIMIT", "5".to_string()),
            ("ZK_MAX_CLIENT_CNXNS", "60".to_string()),
            // `${X:- $((...))}`: the default keeps its leading space.
            ("ZK_MIN_SESSION_TIMEOUT", format!(" {}", tick * 2)),
            ("ZK_MAX_SESSION_TIMEOUT", format!(" {}", tick * 20)),
            ("ZK_HEAP_SIZE", "2G".to_string()),
            ("ZK_SNAP_RETAIN_COUNT", "3".to_string()),
            ("ZK_PURGE_INTERVAL", "0".to_string()),
        ] {
            out.push_str(&format!("{k}={}\n", get(k, &d)));
        }
        out.push_str("ENSEMBLE\n");
        let n: u64 = replicas.parse().unwrap_or(0);
        for i in 1..=n.min(1000) {
            out.push_str(&format!("server.{i}={name}-{}.{domain}:{sp}:{ep}\n", i - 1));
        }
        out.push_str("Environment validation successful\n");
        let conf = get("ZK_CONF_DIR", "/opt/zookeeper/conf");
        out.push_str(&format!("Creating ZooKeeper configuration\nWrote ZooKeeper configuration file to {conf}/zoo.cfg\nCreating ZooKeeper log4j configuration\nWrote log4j configuration to {conf}/log4j.properties\nCreating ZooKeeper data directories and setting permissions\nCreated ZooKeeper data directories and set permissions in {data_dir}\nCreating JVM configuration file\nWrote JVM configuration to {conf}/java.env\n"));
        self.zookeeper_generate("zkGenConfig.sh && zkServer.sh start-foreground");
        io_out(io, out);
        0
    }

    /// kubernetes-zookeeper's `start-zookeeper [--name=value...]`: parses its options with
    /// bash `getopts`, writes `zoo.cfg` (echoed to stderr) and the log4j properties, then
    /// execs `zkServer.sh start-foreground`.
    fn start_zookeeper(&mut self, args: &[String], io: &mut Io) -> i32 {
        for a in args {
            let Some(opt) = a.strip_prefix('-') else {
                break; // getopts stops at the first operand
            };
            if let Some(long) = opt.strip_prefix('-') {
                let key = long.split_once('=').map(|(k, _)| k);
                if !key.is_some_and(|k| START_ZOOKEEPER_OPTIONS.contains(&k)) {
                    io_err(io, format!("Unknown option --{long}\n"));
                    return 1;
                }
                continue;
            }
            for c in opt.chars() {
                match c {
                    'h' => {
                        io_out(io, START_ZOOKEEPER_USAGE);
                        return 0;
                    }
                    'v' => io_err(io, "Parsing option: '-v'\n"),
                    other => io_err(io, format!("Non-option argument: '-{other}'\n")),
                }
            }
        }
        if bash_ordinal(&self.hostname()).is_none() {
            io_out(
                io,
                "Kubernetes-zookeeper: Failed to parse name and ordinal of Pod\n",
            );
            return 1;
        }
        let script = format!("start-zookeeper {}", args.join(" "));
        self.zookeeper_generate(&script);
        let cfg = self
            .read_file("/opt/zookeeper/conf/zoo.cfg")
            .unwrap_or_default();
        io_err(io, cfg);
        io_out(io, "Creating ZooKeeper log4j configuration\nZooKeeper JMX enabled by default\nUsing config: /opt/zookeeper/conf/zoo.cfg\n");
        // The server it execs stays in the foreground; typed into `kubectl exec` the
        // simulation hands the prompt back (as for `nginx`).
        0
    }

    /// Whether a process of this pod listens on `port`.
    fn pod_listens(&self, port: u16) -> bool {
        self.cluster
            .runtime()
            .sandbox(&self.namespace, &self.pod)
            .is_some_and(|sb| {
                sb.containers.iter().any(|c| {
                    c.is_running()
                        && (c.behavior.listens.contains(&port)
                            || c.servers.iter().any(|s| s.ports.contains(&port)))
                })
            })
    }

    /// `/app/mehdb`: logs where it serves from and its role, then binds its port — which
    /// fails when the pod's own mehdb already holds it (Go's `log.Fatal`, exit 1).
    fn mehdb(&mut self, io: &mut Io) -> i32 {
        let spec = self.container_spec().unwrap_or_default();
        let env = |k: &str| crate::runtime::images::env_value(&spec, k).filter(|v| !v.is_empty());
        let host = env("MEHDB_HOST").unwrap_or_else(|| self.hostname());
        let port_s = env("MEHDB_PORT").unwrap_or_else(|| "9876".to_string());
        // The image's WORKDIR is /app: the default data directory is ./data there.
        let dir = env("MEHDB_DATADIR").unwrap_or_else(|| "/app/data".to_string());
        let _ = self.write_mkdir(&dir);
        let stamp = go_log_stamp(self.cluster.now());
        let role = if host == "mehdb-0" {
            "I am the leading shard, accepting both WRITES and READS"
        } else {
            "I am a follower shard, accepting READS"
        };
        io_err(
            io,
            format!("{stamp}mehdb serving from {host}:{port_s} using {dir} as the data directory\n{stamp}{role}\n"),
        );
        match port_s.parse::<u16>() {
            Ok(port) if self.pod_listens(port) => {
                io_err(
                    io,
                    format!("{stamp}listen tcp 0.0.0.0:{port}: bind: address already in use\n"),
                );
                1
            }
            Ok(_) => 0,
            Err(_) => {
                io_err(
                    io,
                    format!("{stamp}listen tcp: lookup tcp/{port_s}: unknown port\n"),
                );
                1
            }
        }
    }

    fn write_mkdir(&mut self, dir: &str) -> Result<(), FsError> {
        let cref = ContainerRef {
            namespace: &self.namespace,
            pod: &self.pod,
            container: Some(&self.container),
        };
        let (api, rt) = self.cluster.parts();
        if rt.stat(api, &cref, dir).is_ok() {
            return Ok(());
        }
        rt.mkdir(api, &cref, dir, false)
    }
}

impl Host for PodHost<'_> {
    fn exec(&mut self, _env: &Env, args: &[String], stdin: &str, io: &mut Io) -> i32 {
        let Some(cmd) = args.first() else {
            return 0;
        };
        let rest = &args[1..];
        let base = cmd.rsplit('/').next().unwrap_or(cmd);
        // Whatever processes did on their own until now (a mehdb follower's sync) is in
        // place before the command looks.
        {
            let (api, rt) = self.cluster.parts();
            rt.catch_up(api);
        }
        // The path as given: `/peer-finder` lives at the root, on no PATH directory.
        if !self.has_command(cmd) {
            not_found(_env, self.bash, cmd, io);
            return 127;
        }
        if let Some(code) = self.reject_unknown_long_option(base, rest, io) {
            return code;
        }
        match base {
            "hostname" => {
                let line = match rest.first().map(String::as_str) {
                    Some("-f") | Some("--fqdn") => self.fqdn(),
                    Some("-i") | Some("--ip-address") => self.pod_ip(),
                    _ => self.hostname(),
                };
                io_out(io, format!("{line}\n"));
                0
            }
            "cat" => self.cat(rest, stdin, io),
            "ls" => self.ls(rest, io),
            "chmod" => self.chmod(rest, io),
            "mkdir" => self.mkdir(rest, io),
            "rm" => self.rm(rest, io),
            "touch" => self.touch(rest, io),
            "curl" => self.curl(rest, stdin, io),
            "wget" => self.wget(rest, io),
            "nslookup" => self.nslookup(rest, io),
            "env" | "printenv" if rest.is_empty() => self.env(io),
            // `env NAME=VALUE... COMMAND`: runs the command (the assignments are not modelled).
            "env" => {
                let cmd: Vec<String> = rest
                    .iter()
                    .skip_while(|a| a.contains('=') || a.as_str() == "-i" || a.as_str() == "-")
                    .cloned()
                    .collect();
                if cmd.is_empty() {
                    self.env(io)
                } else {
                    self.exec(_env, &cmd, stdin, io)
                }
            }
            // The shell's own printf, as the coreutils/busybox one prints the same.
            "printf" => {
                let quoted: Vec<String> = args
                    .iter()
                    .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
                    .collect();
                self.run_script(&quoted.join(" "), io)
            }
            "printenv" => {
                let mut env = Io::new();
                self.env(&mut env);
                let text = env.stdout();
                let mut status = 0;
                for name in rest {
                    match text
                        .lines()
                        .find_map(|l| l.strip_prefix(&format!("{name}=")))
                    {
                        Some(v) => io_out(io, format!("{v}\n")),
                        None => status = 1,
                    }
                }
                status
            }
            "whoami" => {
                io_out(io, "root\n");
                0
            }
            "cp" => self.cp(rest, io),
            "mv" => self.mv(rest, io),
            "apt-get" => self.apt_get(rest, io),
            "true" => 0,
            "false" => 1,
            "echo" => {
                io_out(io, format!("{}\n", rest.join(" ")));
                0
            }
            "date" => {
                let t = self.cluster.now().rfc1123z();
                io_out(io, format!("{t}\n"));
                0
            }
            "zkCli.sh" | "zkOk.sh" | "zookeeper-ready" | "zkServer.sh" | "ps"
                if self.zookeeper().is_some() =>
            {
                self.zookeeper_tool(base, rest, io)
            }
            "ps" if self.image().catalog == "ubuntu" => self.procps_ps(rest, "/bin/bash", io),
            "ps" => self.busybox_ps(io),
            "dpkg" => self.dpkg(rest, io),
            "java" if self.zookeeper().is_some() => self.java(rest, io),
            "zkGenConfig.sh" if self.zookeeper().is_some() => self.zk_gen_config(io),
            "start-zookeeper" if self.zookeeper().is_some() => self.start_zookeeper(rest, io),
            "mehdb" if self.image().catalog == "mehdb" => self.mehdb(io),
            "busybox" => match rest.first() {
                None => {
                    io_out(io, BUSYBOX_BANNER);
                    0
                }
                Some(applet)
                    if COMMON_TOOLS.contains(&applet.as_str()) || self.has_command(applet) =>
                {
                    self.exec(_env, rest, stdin, io)
                }
                Some(applet) => {
                    io_err(io, format!("{applet}: applet not found\n"));
                    127
                }
            },
            "sleep" => {
                let arg = rest.first().map(String::as_str).unwrap_or("");
                let secs: f64 = if arg == "infinity" {
                    f64::INFINITY
                } else {
                    arg.parse().unwrap_or(0.0)
                };
                if self.at_start && (secs.is_nan() || secs * 1000.0 >= FOREVER_MS as f64) {
                    self.foreground = Some("sleep".to_string());
                    return 0;
                }
                self.sleep(secs);
                0
            }
            "nginx" => self.nginx(rest, io),
            "nc" | "netcat" => self.netcat(rest, stdin, io),
            "peer-finder" => self.peer_finder(rest, io),
            "tail" if self.at_start && rest.iter().any(|a| a == "-f" || a == "-F") => {
                self.foreground = Some("tail".to_string());
                0
            }
            "sh" | "bash" | "ash" => {
                let outer = self.bash;
                // The CentOS-based mehdb image's `sh` is bash.
                self.bash = base == "bash" || (base == "sh" && self.image().catalog == "mehdb");
                let status = if rest.first().map(String::as_str) == Some("-c") {
                    let script = rest.get(1).cloned().unwrap_or_default();
                    // `sh -c SCRIPT [NAME]`: $0 is NAME, else the shell's name.
                    let arg0 = rest.get(2).map_or(base, String::as_str).to_string();
                    self.run_script_as(base, &arg0, &script, io)
                } else if let Some(file) = rest.first() {
                    match self.read_file(file) {
                        Ok(script) => self.run_script_as(base, file, &script, io),
                        Err(_) if self.bash => {
                            io_err(io, format!("{base}: {file}: No such file or directory\n"));
                            127
                        }
                        Err(_) if is_dash(&self.image().full, base) => {
                            // dash 0.5.8 (Ubuntu 16.04) and 0.5.12 (Debian 12) word it apart.
                            let old = matches!(self.image().catalog, "ubuntu" | "zookeeper");
                            if old {
                                io_err(io, format!("{base}: 0: Can't open {file}\n"));
                            } else {
                                io_err(
                                    io,
                                    format!("{base}: 0: cannot open {file}: No such file\n"),
                                );
                            }
                            if old {
                                127
                            } else {
                                2
                            }
                        }
                        Err(_) => {
                            io_err(
                                io,
                                format!("{base}: can't open '{file}': No such file or directory\n"),
                            );
                            127
                        }
                    }
                } else {
                    self.run_script_as(base, base, stdin, io)
                };
                self.bash = outer;
                status
            }
            _ => {
                not_found(_env, self.bash, cmd, io);
                127
            }
        }
    }

    fn interrupted(&mut self) -> bool {
        if !self.at_start {
            return false;
        }
        self.polls += 1;
        if self.polls > START_LOOP_LIMIT && self.foreground.is_none() {
            self.foreground = Some("sh".to_string());
        }
        self.foreground.is_some()
    }

    fn sleep(&mut self, seconds: f64) {
        if seconds > 0.0 && seconds.is_finite() {
            self.cluster.advance((seconds * 1000.0) as u64);
        }
    }

    fn read_file(&mut self, path: &str) -> Result<String, String> {
        self.cluster
            .runtime()
            .read_file(self.cluster.api(), &self.cref(), &Self::abs(path))
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .map_err(|e| format!("can't open '{path}': {}", Self::fs_msg(e)))
    }

    fn write_file(&mut self, path: &str, data: &str, append: bool) -> Result<(), String> {
        let cref = ContainerRef {
            namespace: &self.namespace,
            pod: &self.pod,
            container: Some(&self.container),
        };
        let (api, rt) = self.cluster.parts();
        rt.write_file(api, &cref, &Self::abs(path), data.as_bytes(), append)
            .map_err(|e| format!("can't create {path}: {}", Self::fs_msg(e)))
    }

    fn has_command(&self, name: &str) -> bool {
        let base = name.rsplit('/').next().unwrap_or(name);
        if COMMON_TOOLS.contains(&base) {
            return true;
        }
        let api = self.cluster.api();
        let found = |path: &str| {
            self.cluster
                .runtime()
                .stat(api, &self.cref(), path)
                .is_ok_and(|e| !e.is_dir && e.mode & 0o111 != 0)
        };
        if name.contains('/') {
            return found(&Self::abs(name));
        }
        PATH_DIRS.iter().any(|d| found(&format!("{d}/{base}")))
    }
}

/// The image of `container` in the pod (empty when the pod or container is gone).
fn container_image(api: &Api, namespace: &str, pod: &str, container: &str) -> String {
    api.try_get(Kind::Pod, namespace, pod)
        .and_then(|p| {
            object::get_array(p, &["spec", "containers"])
                .iter()
                .find(|c| object::get_str(c, &["name"]) == Some(container))
                .and_then(|c| object::get_str(c, &["image"]))
                .map(str::to_string)
        })
        .unwrap_or_default()
}

/// The prompt an interactive shell in a container shows root in directory `cwd`: bash
/// Debian's default PS1 `root@<host>:<dir># ` (`\h` is the hostname up to its first dot,
/// `\w` the directory with `~` for root's home), busybox ash `<dir> # `, dash a bare `# `.
/// `shell` is the program run (`bash`, `/bin/sh`).
pub fn interactive_prompt(
    api: &Api,
    namespace: &str,
    pod: &str,
    container: &str,
    shell: &str,
    cwd: &str,
) -> String {
    let program = shell.rsplit('/').next().unwrap_or("");
    let p = api.try_get(Kind::Pod, namespace, pod);
    let image = container_image(api, namespace, pod, container);
    let hostname = p
        .and_then(|p| object::get_str(p, &["spec", "hostname"]))
        .filter(|h| !h.is_empty())
        .unwrap_or(pod);
    let host = hostname.split('.').next().unwrap_or(hostname);
    let dir = match cwd {
        "/root" => "~".to_string(),
        d => match d.strip_prefix("/root/") {
            Some(rest) => format!("~/{rest}"),
            None => d.to_string(),
        },
    };
    match Flavor::of_image(&image) {
        Flavor::Gnu if program == "bash" => format!("root@{host}:{dir}# "),
        Flavor::Gnu => "# ".to_string(),
        Flavor::Busybox => format!("{dir} # "),
    }
}

/// The shell an interactive terminal attached to `container` runs (`sh`, `bash`): named as
/// it names itself in its errors, and playing dash where the image's `sh` is dash.
pub fn interactive_shell(
    api: &Api,
    namespace: &str,
    pod: &str,
    container: &str,
    shell: &str,
) -> Shell {
    let program = shell.rsplit('/').next().unwrap_or("sh");
    let mut sh = Shell::new();
    sh.name = program.to_string();
    sh.env.arg0 = program.to_string();
    sh.env.dash = is_dash(&container_image(api, namespace, pod, container), program);
    sh
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_as_curl_reads_them() {
        assert_eq!(
            parse_url("localhost"),
            Some(("localhost".into(), 80, "/".into()))
        );
        assert_eq!(
            parse_url("http://web-0.nginx:8080/index.html"),
            Some(("web-0.nginx".into(), 8080, "/index.html".into()))
        );
        assert_eq!(
            parse_url("mehdb:9876/status"),
            Some(("mehdb".into(), 9876, "/status".into()))
        );
        assert_eq!(parse_url("ftp://x"), None);
        assert_eq!(parse_url("http://:80"), None);
    }

    #[test]
    fn dpkg_patterns_match_as_shell_globs() {
        assert!(glob_match("nginx", "nginx"));
        assert!(!glob_match("nginx", "nginx-core"));
        assert!(glob_match("nginx*", "nginx-core"));
        assert!(glob_match("*core", "nginx-core"));
        assert!(glob_match("ng?nx", "nginx"));
        assert!(!glob_match("curl*", "libcurl3"));
    }

    #[test]
    fn start_scripts_parse_ordinals_as_bash_regex() {
        assert_eq!(bash_ordinal("zk-2"), Some(2));
        assert_eq!(bash_ordinal("my-zk-10"), Some(10));
        assert_eq!(bash_ordinal("box"), None);
        assert_eq!(bash_ordinal("zk-"), None);
        assert_eq!(bash_ordinal("zk-a1"), None);
    }

    #[test]
    fn image_flavor_follows_the_userland() {
        assert_eq!(Flavor::of_image("busybox:1.28"), Flavor::Busybox);
        assert_eq!(
            Flavor::of_image("docker.io/library/alpine"),
            Flavor::Busybox
        );
        assert_eq!(
            Flavor::of_image("registry.k8s.io/nginx-slim:0.8"),
            Flavor::Gnu
        );
    }
}

//! The ZooKeeper image (`gcr.io/google_samples/k8szk`, the 2016 blog's image, and
//! `registry.k8s.io/kubernetes-zookeeper`, the tutorial's): what its start command writes, how
//! an ensemble of members agrees on data, and the tools it carries (`zkCli.sh`, `zkOk.sh`,
//! `zookeeper-ready`, `zkServer.sh status`, `ps -ef`).
//!
//! The model, and why:
//! - On start the member writes `myid` (= ordinal + 1, from its hostname) into its data dir
//!   and `zoo.cfg` listing the ensemble by stable DNS names (`server.N=zk-(N-1).<domain>:2888:3888`,
//!   the domain being `hostname -d`). The data dir is normally a PVC, so `myid` and the data
//!   survive pod deletion, exactly as on a real cluster.
//! - The data tree lives in files under the data dir (`version-2/snapshot.<zxid>`), never in
//!   memory here: a member's state is whatever its volume holds. Reads are served from the
//!   freshest snapshot among the members that are up (a new leader syncs followers), writes
//!   are written to every member that is up (followers replicate).
//! - Quorum: a member serves only while a majority of the servers in its `zoo.cfg` have their
//!   container running; otherwise zkCli's request fails with ConnectionLoss, as it does when
//!   the server it talks to is not in a quorum.
//!
//! This module never writes API objects and never reads the host clock; it reaches members
//! only through the runtime's file systems and the pods' container states.

use crate::api::Api;
use crate::kinds::Kind;
use crate::object;
use crate::runtime::{ContainerRef, Runtime};
use crate::time::Time;
use serde_json::Value;

/// Which generation of the image: they differ in paths, config generator and versions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// `gcr.io/google_samples/k8szk:v1..v3` (ZooKeeper 3.4.9 under /opt/zookeeper, configured
    /// by `zkGenConfig.sh` from `ZK_*` environment variables).
    K8sZk,
    /// `registry.k8s.io/kubernetes-zookeeper:1.0-3.4.10` (Debian package, configured by
    /// `start-zookeeper --servers=N ...`).
    KubernetesZookeeper,
}

impl Flavor {
    pub fn of_image(image: &str) -> Option<Flavor> {
        let repo = image.split('@').next().unwrap_or(image);
        let repo = match repo.rsplit_once(':') {
            Some((r, t)) if !t.contains('/') => r,
            _ => repo,
        };
        match repo.rsplit('/').next().unwrap_or("") {
            "k8szk" => Some(Flavor::K8sZk),
            "kubernetes-zookeeper" => Some(Flavor::KubernetesZookeeper),
            _ => None,
        }
    }

    pub fn version(self) -> &'static str {
        match self {
            Flavor::K8sZk => "3.4.9",
            Flavor::KubernetesZookeeper => "3.4.10",
        }
    }

    fn build(self) -> &'static str {
        match self {
            Flavor::K8sZk => "3.4.9-1757313, built on 08/23/2016 06:50 GMT",
            Flavor::KubernetesZookeeper => {
                "3.4.10-39d3a4f269333c922ed3db283be479f9deacaa0f, built on 03/23/2017 10:13 GMT"
            }
        }
    }

    fn conf_path(self) -> &'static str {
        "/opt/zookeeper/conf/zoo.cfg"
    }
}

/// What the start command asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Params {
    pub servers: u32,
    pub client_port: u16,
    pub server_port: u16,
    pub election_port: u16,
    pub data_dir: String,
    pub data_log_dir: String,
    pub tick: String,
    pub init: String,
    pub sync: String,
    pub heap: String,
    pub max_cnxns: String,
    pub snap_retain: String,
    pub purge: String,
    pub min_session: Option<String>,
    pub max_session: Option<String>,
}

/// The container's environment as kubelet resolves it (plain values and ConfigMap keys).
pub fn container_env(api: &Api, namespace: &str, container: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for e in object::get_array(container, &["env"]) {
        let Some(name) = object::get_str(e, &["name"]) else {
            continue;
        };
        if let Some(v) = object::get_str(e, &["value"]) {
            out.push((name.to_string(), v.to_string()));
        } else if let Some(r) = object::get(e, &["valueFrom", "configMapKeyRef"]) {
            let cm = object::get_str(r, &["name"]).unwrap_or("");
            let key = object::get_str(r, &["key"]).unwrap_or("");
            if let Some(v) = api
                .try_get(Kind::ConfigMap, namespace, cm)
                .and_then(|c| object::get_str(c, &["data", key]).map(str::to_string))
            {
                out.push((name.to_string(), v));
            }
        }
    }
    out
}

fn script_of(container: &Value) -> String {
    ["command", "args"]
        .iter()
        .flat_map(|f| object::get_array(container, &[f]))
        .filter_map(Value::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The parameters the container's start command configures, or None when the command does
/// not start a server (e.g. `sleep 3600`).
pub fn params(flavor: Flavor, env: &[(String, String)], container: &Value) -> Option<Params> {
    let script = script_of(container);
    let getenv = |k: &str, d: &str| {
        env.iter()
            .find(|(n, _)| n == k)
            .map_or(d.to_string(), |(_, v)| v.clone())
    };
    match flavor {
        Flavor::K8sZk => {
            if !script.contains("zkGenConfig.sh") && !script.contains("zkServer.sh") {
                return None;
            }
            // The blog's v1 image took `ZK_ENSEMBLE` (host;host;host), the tutorial's v3
            // `ZK_REPLICAS` (a count).
            let ensemble = getenv("ZK_ENSEMBLE", "");
            let servers = match getenv("ZK_REPLICAS", "").parse::<u32>() {
                Ok(n) if n > 0 => n.min(255),
                _ => ensemble.split(';').filter(|s| !s.is_empty()).count().max(1) as u32,
            };
            let tick = getenv("ZK_TICK_TIME", "2000");
            let tick_ms: u64 = tick.parse().unwrap_or(2000);
            Some(Params {
                servers,
                client_port: getenv("ZK_CLIENT_PORT", "2181").parse().unwrap_or(2181),
                server_port: getenv("ZK_SERVER_PORT", "2888").parse().unwrap_or(2888),
                election_port: getenv("ZK_ELECTION_PORT", "3888").parse().unwrap_or(3888),
                data_dir: getenv("ZK_DATA_DIR", "/var/lib/zookeeper/data"),
                data_log_dir: getenv("ZK_DATA_LOG_DIR", "/var/lib/zookeeper/log"),
                // The v1 image wrote the tick into syncLimit, as the blog's zoo.cfg shows.
                sync: tick.clone(),
                tick,
                init: getenv("ZK_INIT_LIMIT", "10"),
                heap: getenv("ZK_HEAP_SIZE", "2G"),
                max_cnxns: getenv("ZK_MAX_CLIENT_CNXNS", "60"),
                snap_retain: getenv("ZK_SNAP_RETAIN_COUNT", "3"),
                purge: getenv("ZK_PURGE_INTERVAL", "1"),
                min_session: Some(format!(" {}", tick_ms * 2)),
                max_session: Some(format!(" {}", tick_ms * 20)),
            })
        }
        Flavor::KubernetesZookeeper => {
            if !script.contains("start-zookeeper") {
                return None;
            }
            let flag = |name: &str, d: &str| -> String {
                script
                    .split_whitespace()
                    .find_map(|w| {
                        w.trim_matches(['"', '\\'])
                            .strip_prefix(&format!("--{name}="))
                            .map(str::to_string)
                    })
                    .unwrap_or_else(|| d.to_string())
            };
            Some(Params {
                servers: flag("servers", "1").parse().unwrap_or(1),
                client_port: flag("client_port", "2181").parse().unwrap_or(2181),
                server_port: flag("server_port", "2888").parse().unwrap_or(2888),
                election_port: flag("election_port", "3888").parse().unwrap_or(3888),
                data_dir: flag("data_dir", "/var/lib/zookeeper/data"),
                data_log_dir: flag("data_log_dir", "/var/lib/zookeeper/data/log"),
                tick: flag("tick_time", "2000"),
                init: flag("init_limit", "10"),
                sync: flag("sync_limit", "5"),
                heap: flag("heap", "2G"),
                max_cnxns: flag("max_client_cnxns", "60"),
                snap_retain: flag("snap_retain_count", "3"),
                purge: flag("purge_interval", "0"),
                min_session: Some(flag("min_session_timeout", "4000")),
                max_session: Some(flag("max_session_timeout", "40000")),
            })
        }
    }
}

/// `zoo.cfg` as the image's generator writes it, for the member whose FQDN domain is `domain`
/// and whose hostname is `<name>-<ordinal>`.
pub fn zoo_cfg(flavor: Flavor, p: &Params, set_name: &str, domain: &str) -> String {
    let mut s = String::new();
    if flavor == Flavor::KubernetesZookeeper {
        s.push_str("#This file was autogenerated DO NOT EDIT\n");
    }
    s.push_str(&format!("clientPort={}\n", p.client_port));
    s.push_str(&format!("dataDir={}\n", p.data_dir));
    s.push_str(&format!("dataLogDir={}\n", p.data_log_dir));
    s.push_str(&format!("tickTime={}\n", p.tick));
    s.push_str(&format!("initLimit={}\n", p.init));
    s.push_str(&format!("syncLimit={}\n", p.sync));
    s.push_str(&format!("maxClientCnxns={}\n", p.max_cnxns));
    if let Some(m) = &p.min_session {
        s.push_str(&format!("minSessionTimeout={m}\n"));
    }
    if let Some(m) = &p.max_session {
        s.push_str(&format!("maxSessionTimeout={m}\n"));
    }
    s.push_str(&format!("autopurge.snapRetainCount={}\n", p.snap_retain));
    // Both images spell it "purgeInteval" (sic), as the tutorials' output shows.
    s.push_str(&format!("autopurge.purgeInteval={}\n", p.purge));
    if p.servers > 1 {
        for i in 1..=p.servers {
            let host = if domain.is_empty() {
                format!("{set_name}-{}", i - 1)
            } else {
                format!("{set_name}-{}.{domain}", i - 1)
            };
            s.push_str(&format!(
                "server.{i}={host}:{}:{}\n",
                p.server_port, p.election_port
            ));
        }
    }
    s
}

/// `<name>-<ordinal>` → (name, ordinal).
pub fn split_ordinal(hostname: &str) -> Option<(&str, u32)> {
    let (name, ord) = hostname.rsplit_once('-')?;
    Some((name, ord.parse().ok()?))
}

/// One server line of zoo.cfg: its id and the pod it names (first label) in its namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Server {
    pub id: u32,
    pub pod: String,
    pub namespace: String,
}

pub fn servers(cfg: &str, own_namespace: &str) -> Vec<Server> {
    cfg.lines()
        .filter_map(|l| {
            let (k, v) = l.split_once('=')?;
            let id: u32 = k.strip_prefix("server.")?.parse().ok()?;
            let host = v.split(':').next()?;
            let mut labels = host.split('.');
            let pod = labels.next()?.to_string();
            let _svc = labels.next();
            let namespace = labels.next().unwrap_or(own_namespace).to_string();
            Some(Server { id, pod, namespace })
        })
        .collect()
}

fn cfg_value<'a>(cfg: &'a str, key: &str) -> Option<&'a str> {
    cfg.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
        .map(str::trim)
}

// ---------------------------------------------------------------------------------------
// The data tree, as stored in the data dir

/// One znode: its data and the zxid/time it was created at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Znode {
    pub path: String,
    pub data: String,
    pub czxid: u64,
    pub ctime: Time,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tree {
    pub last_zxid: u64,
    pub nodes: Vec<Znode>,
}

impl Tree {
    fn parse(text: &str) -> Tree {
        let mut t = Tree::default();
        for line in text.lines() {
            let mut f = line.splitn(4, '\t');
            let (Some(z), Some(ct), Some(path), Some(data)) =
                (f.next(), f.next(), f.next(), f.next())
            else {
                continue;
            };
            let (Ok(czxid), Ok(ct)) = (u64::from_str_radix(z, 16), ct.parse::<u64>()) else {
                continue;
            };
            t.last_zxid = t.last_zxid.max(czxid);
            t.nodes.push(Znode {
                path: path.to_string(),
                data: data.replace("\\n", "\n").replace("\\t", "\t"),
                czxid,
                ctime: Time(ct),
            });
        }
        t
    }

    fn render(&self) -> String {
        self.nodes
            .iter()
            .map(|n| {
                format!(
                    "{:x}\t{}\t{}\t{}\n",
                    n.czxid,
                    n.ctime.0,
                    n.path,
                    n.data.replace('\t', "\\t").replace('\n', "\\n")
                )
            })
            .collect()
    }
}

/// The first zxid of epoch 1.
const EPOCH_ONE: u64 = 0x1_0000_0000;

fn snapshot_dir(data_dir: &str) -> String {
    format!("{}/version-2", data_dir.trim_end_matches('/'))
}

fn read_tree(api: &Api, rt: &Runtime, c: &ContainerRef<'_>, data_dir: &str) -> Tree {
    let dir = snapshot_dir(data_dir);
    let Ok(entries) = rt.list_dir(api, c, &dir) else {
        return Tree::default();
    };
    entries
        .iter()
        .filter(|e| e.name.starts_with("snapshot."))
        .filter_map(|e| rt.read_file(api, c, &format!("{dir}/{}", e.name)).ok())
        .map(|b| Tree::parse(&String::from_utf8_lossy(&b)))
        .max_by_key(|t| t.last_zxid)
        .unwrap_or_default()
}

fn write_tree(api: &Api, rt: &mut Runtime, c: &ContainerRef<'_>, data_dir: &str, t: &Tree) {
    let dir = snapshot_dir(data_dir);
    let _ = rt.mkdir(api, c, &dir, true);
    if let Ok(entries) = rt.list_dir(api, c, &dir) {
        for e in entries.iter().filter(|e| e.name.starts_with("snapshot.")) {
            let _ = rt.remove(api, c, &format!("{dir}/{}", e.name), false);
        }
    }
    let _ = rt.write_file(
        api,
        c,
        &format!("{dir}/snapshot.{:x}", t.last_zxid),
        t.render().as_bytes(),
        false,
    );
}

// ---------------------------------------------------------------------------------------
// Members

/// Is the member's server process up and reachable (its container running, on a node that
/// has not failed — the network treats a failed node's pods as unreachable)?
fn member_up(rt: &Runtime, namespace: &str, pod: &str) -> bool {
    rt.sandbox(namespace, pod).is_some_and(|sb| {
        !rt.failed_nodes.contains_key(&sb.node)
            && sb.container(None).is_some_and(|c| c.is_running())
    })
}

/// What a member knows about itself, read from its own files.
pub struct Member {
    pub namespace: String,
    pub pod: String,
    pub cfg: String,
    pub data_dir: String,
}

impl Member {
    pub fn load(
        api: &Api,
        rt: &Runtime,
        namespace: &str,
        pod: &str,
        flavor: Flavor,
    ) -> Option<Member> {
        let c = ContainerRef {
            namespace,
            pod,
            container: None,
        };
        let cfg = rt.read_file(api, &c, flavor.conf_path()).ok()?;
        let cfg = String::from_utf8_lossy(&cfg).into_owned();
        let data_dir = cfg_value(&cfg, "dataDir")
            .unwrap_or("/var/lib/zookeeper/data")
            .to_string();
        Some(Member {
            namespace: namespace.to_string(),
            pod: pod.to_string(),
            cfg,
            data_dir,
        })
    }

    fn servers(&self) -> Vec<Server> {
        let s = servers(&self.cfg, &self.namespace);
        if s.is_empty() {
            // Standalone: the member is its own ensemble.
            vec![Server {
                id: 1,
                pod: self.pod.clone(),
                namespace: self.namespace.clone(),
            }]
        } else {
            s
        }
    }

    /// True when this member is up and a majority of its ensemble is up.
    pub fn in_quorum(&self, rt: &Runtime) -> bool {
        let all = self.servers();
        let up = all
            .iter()
            .filter(|s| member_up(rt, &s.namespace, &s.pod))
            .count();
        member_up(rt, &self.namespace, &self.pod) && up * 2 > all.len()
    }

    /// The up members (this one included), in server-id order.
    fn up_members(&self, rt: &Runtime) -> Vec<Server> {
        self.servers()
            .into_iter()
            .filter(|s| member_up(rt, &s.namespace, &s.pod))
            .collect()
    }

    /// The leader: the up member with the freshest data, then the highest id (FastLeaderElection).
    pub fn leader(&self, api: &Api, rt: &Runtime) -> Option<u32> {
        self.up_members(rt)
            .iter()
            .map(|s| {
                let c = ContainerRef {
                    namespace: &s.namespace,
                    pod: &s.pod,
                    container: None,
                };
                (read_tree(api, rt, &c, &self.data_dir).last_zxid, s.id)
            })
            .max()
            .map(|(_, id)| id)
    }

    /// The ensemble's committed tree: the freshest snapshot among the up members.
    fn tree(&self, api: &Api, rt: &Runtime) -> Tree {
        self.up_members(rt)
            .iter()
            .map(|s| {
                let c = ContainerRef {
                    namespace: &s.namespace,
                    pod: &s.pod,
                    container: None,
                };
                read_tree(api, rt, &c, &self.data_dir)
            })
            .max_by_key(|t| t.last_zxid)
            .unwrap_or_default()
    }

    /// Commits a tree on every up member (the leader's proposal, acknowledged by followers).
    fn commit(&self, api: &Api, rt: &mut Runtime, t: &Tree) {
        for s in self.up_members(rt) {
            let c = ContainerRef {
                namespace: &s.namespace,
                pod: &s.pod,
                container: None,
            };
            write_tree(api, rt, &c, &self.data_dir, t);
        }
    }
}

// ---------------------------------------------------------------------------------------
// Start

/// What the start command does once the container's file system is in place: writes
/// `myid` and `zoo.cfg`, creates the data dirs, and returns the log it prints.
#[allow(clippy::too_many_arguments)]
pub fn on_start(
    api: &Api,
    rt: &mut Runtime,
    namespace: &str,
    pod: &str,
    hostname: &str,
    fqdn: Option<&str>,
    container: &Value,
    now: Time,
) -> String {
    let image = object::get_str(container, &["image"]).unwrap_or("");
    let Some(flavor) = Flavor::of_image(image) else {
        return String::new();
    };
    let env = container_env(api, namespace, container);
    let Some(p) = params(flavor, &env, container) else {
        return String::new();
    };
    let c = ContainerRef {
        namespace,
        pod,
        container: object::get_str(container, &["name"]),
    };
    let Some((set_name, ordinal)) = split_ordinal(hostname) else {
        return format!("Failed to extract ordinal from hostname {hostname}\n");
    };
    let domain = fqdn
        .and_then(|f| f.strip_prefix(hostname))
        .map(|d| d.trim_start_matches('.'))
        .unwrap_or("");
    let myid = ordinal + 1;
    let _ = rt.mkdir(api, &c, &p.data_dir, true);
    let _ = rt.mkdir(api, &c, &p.data_log_dir, true);
    let _ = rt.write_file(
        api,
        &c,
        &format!("{}/myid", p.data_dir.trim_end_matches('/')),
        format!("{myid}\n").as_bytes(),
        false,
    );
    let _ = rt.mkdir(api, &c, "/opt/zookeeper/conf", true);
    let cfg = zoo_cfg(flavor, &p, set_name, domain);
    let _ = rt.write_file(api, &c, flavor.conf_path(), cfg.as_bytes(), false);
    startup_log(flavor, &p, myid, &cfg, now)
}

fn log_time(t: Time) -> String {
    // "2016-12-06 19:34:16,236"
    let r = t.rfc3339();
    let (date, rest) = r.split_once('T').unwrap_or((&r, "00:00:00Z"));
    format!("{date} {},{:03}", rest.trim_end_matches('Z'), t.0 % 1000)
}

fn startup_log(flavor: Flavor, p: &Params, myid: u32, cfg: &str, now: Time) -> String {
    let t = log_time(now);
    let mut s = String::new();
    if flavor == Flavor::KubernetesZookeeper {
        s.push_str(&format!(
            "ZooKeeper JMX enabled by default\nUsing config: {}\n",
            flavor.conf_path()
        ));
    }
    let cfgpath = flavor.conf_path();
    s.push_str(&format!(
        "{t} [myid:] - INFO  [main:QuorumPeerConfig@124] - Reading configuration from: {cfgpath}\n"
    ));
    for sv in servers(cfg, "") {
        s.push_str(&format!(
            "{t} [myid:] - INFO  [main:QuorumPeer$QuorumServer@149] - Resolved hostname: {} to address: {}\n",
            cfg.lines()
                .find_map(|l| l.strip_prefix(&format!("server.{}=", sv.id)))
                .and_then(|v| v.split(':').next())
                .unwrap_or(""),
            sv.pod
        ));
    }
    s.push_str(&format!(
        "{t} [myid:{myid}] - INFO  [main:QuorumPeerMain@127] - Starting quorum peer\n"
    ));
    s.push_str(&format!(
        "{t} [myid:{myid}] - INFO  [main:NIOServerCnxnFactory@89] - binding to port 0.0.0.0/0.0.0.0:{}\n",
        p.client_port
    ));
    s.push_str(&format!(
        "{t} [myid:{myid}] - INFO  [QuorumPeer[myid={myid}]/0:0:0:0:0:0:0:0:{}:QuorumPeer@774] - LOOKING\n",
        p.client_port
    ));
    s
}

// ---------------------------------------------------------------------------------------
// Tools

/// The result of running one of the image's programs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Run {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

fn zk_date(t: Time) -> String {
    // Java's Date.toString(): "Thu Dec 08 15:13:30 UTC 2016"
    let r = t.rfc1123z(); // "Thu, 08 Dec 2016 15:13:30 +0000"
    let parts: Vec<&str> = r.split([' ', ',']).filter(|s| !s.is_empty()).collect();
    match parts.as_slice() {
        [dow, day, mon, year, hms, ..] => format!("{dow} {mon} {day} {hms} UTC {year}"),
        _ => r,
    }
}

fn client_preamble(flavor: Flavor, now: Time, port: u16) -> String {
    let t = log_time(now);
    format!(
        "Connecting to localhost:{port}\n\
{t} [myid:] - INFO  [main:Environment@100] - Client environment:zookeeper.version={}\n\
{t} [myid:] - INFO  [main:ZooKeeper@438] - Initiating client connection, connectString=localhost:{port} sessionTimeout=30000 watcher=org.apache.zookeeper.ZooKeeperMain$MyWatcher@22d8cfe0\n\
{t} [myid:] - INFO  [main-SendThread(localhost:{port}):ClientCnxn$SendThread@1032] - Opening socket connection to server localhost/127.0.0.1:{port}. Will not attempt to authenticate using SASL (unknown error)\n",
        flavor.build()
    )
}

/// `zkCli.sh [-server host:port] create|get|ls|delete|set ...` run in member `pod`.
pub fn zk_cli(
    api: &Api,
    rt: &mut Runtime,
    namespace: &str,
    pod: &str,
    flavor: Flavor,
    args: &[String],
    now: Time,
) -> Run {
    let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
    if args.first() == Some(&"-server") {
        args.drain(..2.min(args.len()));
    }
    let Some(member) = Member::load(api, rt, namespace, pod, flavor) else {
        return Run {
            stdout: String::new(),
            stderr: "Error: Could not find or load main class org.apache.zookeeper.ZooKeeperMain\n"
                .into(),
            code: 1,
        };
    };
    let port: u16 = cfg_value(&member.cfg, "clientPort")
        .and_then(|p| p.parse().ok())
        .unwrap_or(2181);
    let mut out = client_preamble(flavor, now, port);
    let Some((&cmd, rest)) = args.split_first() else {
        // Interactive mode needs a terminal; without one zkCli reads EOF and quits.
        out.push_str("Welcome to ZooKeeper!\nJLine support is enabled\n");
        return Run {
            stdout: out,
            ..Run::default()
        };
    };
    let path = rest.first().copied().unwrap_or("");
    if !member.in_quorum(rt) {
        let t = log_time(now);
        out.push_str(&format!("{t} [myid:] - INFO  [main-SendThread(localhost:{port}):ClientCnxn$SendThread@1158] - Unable to read additional data from server sessionid 0x0, likely server has closed socket, closing socket connection and attempting reconnect\n"));
        return Run {
            stdout: out,
            stderr: format!("Exception in thread \"main\" org.apache.zookeeper.KeeperException$ConnectionLossException: KeeperErrorCode = ConnectionLoss for {path}\n\tat org.apache.zookeeper.KeeperException.create(KeeperException.java:99)\n\tat org.apache.zookeeper.KeeperException.create(KeeperException.java:51)\n\tat org.apache.zookeeper.ZooKeeper.{}(ZooKeeper.java:1212)\n", if cmd == "create" { "create" } else { "getData" }),
            code: 1,
        };
    }
    out.push_str("\nWATCHER::\n\nWatchedEvent state:SyncConnected type:None path:null\n");
    let mut tree = member.tree(api, rt);
    let mut err = String::new();
    match cmd {
        "create" => {
            let data = rest.get(1).copied().unwrap_or("");
            if path.is_empty() || !path.starts_with('/') {
                err.push_str("Command failed: java.lang.IllegalArgumentException: Path must start with / character\n");
            } else if tree.nodes.iter().any(|n| n.path == path) {
                err.push_str(&format!("Node already exists: {path}\n"));
            } else {
                let parent = path.rsplit_once('/').map_or("", |(p, _)| p);
                if !parent.is_empty() && !tree.nodes.iter().any(|n| n.path == parent) {
                    err.push_str(&format!("Node does not exist: {path}\n"));
                } else {
                    let zxid = tree.last_zxid.max(EPOCH_ONE) + 1;
                    tree.last_zxid = zxid;
                    tree.nodes.push(Znode {
                        path: path.to_string(),
                        data: data.to_string(),
                        czxid: zxid,
                        ctime: now,
                    });
                    member.commit(api, rt, &tree);
                    out.push_str(&format!("Created {path}\n"));
                }
            }
        }
        "get" => match tree.nodes.iter().find(|n| n.path == path) {
            Some(n) => {
                let children = tree
                    .nodes
                    .iter()
                    .filter(|c| c.path.rsplit_once('/').map(|(p, _)| p) == Some(n.path.as_str()))
                    .count();
                out.push_str(&format!(
                    "{}\ncZxid = 0x{:x}\nctime = {}\nmZxid = 0x{:x}\nmtime = {}\npZxid = 0x{:x}\ncversion = 0\ndataVersion = 0\naclVersion = 0\nephemeralOwner = 0x0\ndataLength = {}\nnumChildren = {children}\n",
                    n.data,
                    n.czxid,
                    zk_date(n.ctime),
                    n.czxid,
                    zk_date(n.ctime),
                    n.czxid,
                    n.data.len()
                ));
            }
            None => err.push_str(&format!("Node does not exist: {path}\n")),
        },
        "ls" => {
            let prefix = if path == "/" { "" } else { path };
            let mut kids: Vec<&str> = tree
                .nodes
                .iter()
                .filter_map(|n| n.path.strip_prefix(prefix)?.strip_prefix('/'))
                .filter(|rest| !rest.contains('/'))
                .collect();
            if path == "/" {
                kids.push("zookeeper");
            }
            kubeplay_shell::sorting::sort(&mut kids);
            out.push_str(&format!("[{}]\n", kids.join(", ")));
        }
        _ => {
            out.push_str("ZooKeeper -server host:port cmd args\n\tstat path [watch]\n\tset path data [version]\n\tls path [watch]\n\tdelquota [-n|-b] path\n\tls2 path [watch]\n\tsetAcl path acl\n\tsetquota -n|-b val path\n\thistory \n\tredo cmdno\n\tprintwatches on|off\n\tdelete path [version]\n\tsync path\n\tlistquota path\n\trmr path\n\tget path [watch]\n\tcreate [-s] [-e] path data acl\n\taddauth scheme auth\n\tquit \n\tgetAcl path\n\tclose \n\tconnect host:port\n");
        }
    }
    Run {
        stdout: out,
        stderr: err,
        code: 0,
    }
}

/// `zkOk.sh` / `zookeeper-ready <port>`: `ruok` answered `imok` — the server is up (it
/// answers even before it has joined a quorum).
/// `zkOk.sh` / `zookeeper-ready PORT`: `echo ruok | nc 127.0.0.1 PORT` must answer `imok`,
/// which only a running server listening on that port of the container does (a container
/// whose command does not start ZooKeeper fails the check).
pub fn zk_ok(rt: &Runtime, namespace: &str, pod: &str, port: u16) -> Run {
    let serving = rt
        .sandbox(namespace, pod)
        .and_then(|sb| sb.container(None))
        .is_some_and(|c| c.behavior.listens.contains(&port));
    if serving && member_up(rt, namespace, pod) {
        Run::default()
    } else {
        Run {
            code: 1,
            ..Run::default()
        }
    }
}

/// `zkServer.sh status`.
pub fn zk_server_status(
    api: &Api,
    rt: &Runtime,
    namespace: &str,
    pod: &str,
    flavor: Flavor,
) -> Run {
    let Some(m) = Member::load(api, rt, namespace, pod, flavor) else {
        return Run {
            stderr: "Error contacting service. It is probably not running.\n".into(),
            code: 1,
            ..Run::default()
        };
    };
    let mut out = format!(
        "ZooKeeper JMX enabled by default\nUsing config: {}\n",
        flavor.conf_path()
    );
    if !m.in_quorum(rt) {
        return Run {
            stdout: out,
            stderr: "Error contacting service. It is probably not running.\n".into(),
            code: 1,
        };
    }
    let own = m
        .servers()
        .iter()
        .find(|s| s.pod == pod && s.namespace == namespace)
        .map(|s| s.id);
    let mode = if m.servers().len() == 1 {
        "standalone"
    } else if own.is_some() && own == m.leader(api, rt) {
        "leader"
    } else {
        "follower"
    };
    out.push_str(&format!("Mode: {mode}\n"));
    Run {
        stdout: out,
        ..Run::default()
    }
}

/// `ps -ef` in a ZooKeeper container: the start shell (PID 1) and its JVM.
/// The container's processes (PID, parent PID, command line, CPU seconds): the start
/// script as PID 1 and, when it starts the server, the JVM.
pub fn processes(
    flavor: Flavor,
    container: &Value,
    env: &[(String, String)],
) -> Vec<(u32, u32, String, u32)> {
    let mut out = vec![(1, 0, script_of(container), 0)];
    if let Some(java) = ps_ef(flavor, container, env, Time(0))
        .lines()
        .nth(2)
        .and_then(|l| l.split_once("00:00:03 "))
        .map(|(_, cmd)| cmd.to_string())
    {
        out.push((27, 1, java, 3));
    }
    out
}

pub fn ps_ef(flavor: Flavor, container: &Value, env: &[(String, String)], started: Time) -> String {
    let script = script_of(container);
    let heap = params(flavor, env, container).map_or("2G".to_string(), |p| p.heap);
    let r = started.rfc3339();
    let stime = r.get(11..16).unwrap_or("00:00");
    let java = match flavor {
        Flavor::K8sZk => format!("/usr/lib/jvm/java-8-openjdk-amd64/bin/java -Dzookeeper.log.dir=/var/log/zookeeper -Dzookeeper.root.logger=INFO,CONSOLE -cp /opt/zookeeper/bin/../build/classes:/opt/zookeeper/bin/../build/lib/*.jar:/opt/zookeeper/bin/../lib/slf4j-log4j12-1.6.1.jar:/opt/zookeeper/bin/../lib/slf4j-api-1.6.1.jar:/opt/zookeeper/bin/../lib/netty-3.10.5.Final.jar:/opt/zookeeper/bin/../lib/log4j-1.2.16.jar:/opt/zookeeper/bin/../lib/jline-0.9.94.jar:/opt/zookeeper/bin/../zookeeper-3.4.9.jar:/opt/zookeeper/bin/../src/java/lib/*.jar:/opt/zookeeper/bin/../conf: -Xmx{heap} -Xms{heap} -Dcom.sun.management.jmxremote -Dcom.sun.management.jmxremote.local.only=false org.apache.zookeeper.server.quorum.QuorumPeerMain /opt/zookeeper/bin/../conf/zoo.cfg"),
        Flavor::KubernetesZookeeper => format!("/usr/lib/jvm/java-8-openjdk-amd64/bin/java -Dzookeeper.log.dir=/var/log/zookeeper -Dzookeeper.root.logger=INFO,CONSOLE -cp /usr/bin/../build/classes:/usr/bin/../build/lib/*.jar:/usr/bin/../share/zookeeper/zookeeper-3.4.10.jar:/usr/bin/../share/zookeeper/slf4j-log4j12-1.6.1.jar:/usr/bin/../share/zookeeper/slf4j-api-1.6.1.jar:/usr/bin/../share/zookeeper/netty-3.10.5.Final.jar:/usr/bin/../share/zookeeper/log4j-1.2.16.jar:/usr/bin/../share/zookeeper/jline-0.9.94.jar:/usr/bin/../src/java/lib/*.jar:/usr/bin/../etc/zookeeper: -Xmx{heap} -Xms{heap} -Dcom.sun.management.jmxremote -Dcom.sun.management.jmxremote.local.only=false org.apache.zookeeper.server.quorum.QuorumPeerMain /usr/bin/../etc/zookeeper/zoo.cfg"),
    };
    let mut out = format!(
        "UID        PID  PPID  C STIME TTY          TIME CMD\nzookeep+     1     0  0 {stime} ?        00:00:00 {script}\n"
    );
    // The JVM runs only when the container's command starts the server.
    if params(flavor, env, container).is_some() {
        out.push_str(&format!(
            "zookeep+    27     1  0 {stime} ?        00:00:03 {java}\n"
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn blog_container() -> Value {
        json!({"name": "k8szk", "image": "gcr.io/google_samples/k8szk:v1",
               "command": ["sh", "-c", "zkGenConfig.sh && zkServer.sh start-foreground"]})
    }

    fn blog_env() -> Vec<(String, String)> {
        [
            ("ZK_ENSEMBLE", "zk-0;zk-1;zk-2"),
            ("ZK_TICK_TIME", "2000"),
            ("ZK_INIT_LIMIT", "10"),
            ("ZK_SYNC_LIMIT", "5"),
            ("ZK_MAX_CLIENT_CNXNS", "60"),
            ("ZK_SNAP_RETAIN_COUNT", "3"),
            ("ZK_PURGE_INTERVAL", "1"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
    }

    #[test]
    fn blog_image_writes_the_blogs_zoo_cfg() {
        let p = params(Flavor::K8sZk, &blog_env(), &blog_container()).unwrap();
        let cfg = zoo_cfg(
            Flavor::K8sZk,
            &p,
            "zk",
            "zk-headless.default.svc.cluster.local",
        );
        assert_eq!(
            cfg,
            "clientPort=2181\ndataDir=/var/lib/zookeeper/data\ndataLogDir=/var/lib/zookeeper/log\ntickTime=2000\ninitLimit=10\nsyncLimit=2000\nmaxClientCnxns=60\nminSessionTimeout= 4000\nmaxSessionTimeout= 40000\nautopurge.snapRetainCount=3\nautopurge.purgeInteval=1\nserver.1=zk-0.zk-headless.default.svc.cluster.local:2888:3888\nserver.2=zk-1.zk-headless.default.svc.cluster.local:2888:3888\nserver.3=zk-2.zk-headless.default.svc.cluster.local:2888:3888\n"
        );
        let s = servers(&cfg, "x");
        assert_eq!(s.len(), 3);
        assert_eq!(s[2].pod, "zk-2");
        assert_eq!(s[2].namespace, "default");
    }

    #[test]
    fn tutorial_image_reads_start_zookeeper_flags() {
        let c = json!({"image": "registry.k8s.io/kubernetes-zookeeper:1.0-3.4.10",
                       "command": ["sh", "-c", "start-zookeeper --servers=3 --data_dir=/var/lib/zookeeper/data --data_log_dir=/var/lib/zookeeper/data/log --conf_dir=/opt/zookeeper/conf --client_port=2181 --election_port=3888 --server_port=2888 --tick_time=2000 --init_limit=10 --sync_limit=5 --heap=512M --max_client_cnxns=60 --snap_retain_count=3 --purge_interval=12 --max_session_timeout=40000 --min_session_timeout=4000 --log_level=INFO"]});
        let p = params(Flavor::KubernetesZookeeper, &[], &c).unwrap();
        assert_eq!(p.servers, 3);
        assert_eq!(p.heap, "512M");
        let cfg = zoo_cfg(
            Flavor::KubernetesZookeeper,
            &p,
            "zk",
            "zk-hs.default.svc.cluster.local",
        );
        assert!(cfg.starts_with("#This file was autogenerated DO NOT EDIT\nclientPort=2181\n"));
        assert!(cfg.contains("syncLimit=5\n"));
        assert!(cfg.ends_with("server.3=zk-2.zk-hs.default.svc.cluster.local:2888:3888\n"));
    }

    #[test]
    fn trees_round_trip_through_their_file() {
        let t = Tree {
            last_zxid: 0x1_0000_0002,
            nodes: vec![Znode {
                path: "/hello".into(),
                data: "wor\tld\n".into(),
                czxid: 0x1_0000_0002,
                ctime: Time(1_000),
            }],
        };
        assert_eq!(Tree::parse(&t.render()), t);
        assert_eq!(Tree::parse("garbage\n\t\t\n"), Tree::default());
    }

    #[test]
    fn java_dates_and_ordinals() {
        assert_eq!(
            zk_date(Time(1_767_225_600_000)),
            "Thu Jan 01 00:00:00 UTC 2026"
        );
        assert_eq!(split_ordinal("zk-12"), Some(("zk", 12)));
        assert_eq!(split_ordinal("zk"), None);
        assert_eq!(
            Flavor::of_image("gcr.io/google_samples/k8szk:v3"),
            Some(Flavor::K8sZk)
        );
        assert_eq!(Flavor::of_image("nginx"), None);
    }
}

//! `quay.io/mhausenblas/mehdb` (seed 004): an educational key-value store run as a
//! StatefulSet. Each shard serves on :9876 from its data directory (`MEHDB_DATADIR`, else
//! `/app/data`), one directory per key holding a `content` file, so the keys live on the
//! shard's PersistentVolumeClaim. `mehdb-0` is the leader; the others are followers.
//!
//! Endpoints: `GET /status` (the role), `GET /status?level=full` (the number of keys, as
//! JSON, or 500 when the data directory cannot be read: the readiness probe),
//! `GET /get/KEY` (the payload, or an empty 404), `GET /keys` (a JSON list), `PUT
//! /set/KEY` (the leader stores the body; a follower redirects with 307 to
//! `mehdb-0.<namespace>`). Every 10 s a follower copies the leader's keys: the runtime runs
//! that sync lazily, tick by tick, before anything could observe it
//! ([`crate::runtime::Runtime::catch_up`]). What the shard logs copies mehdb's `log.Printf`
//! lines. It keeps no state of its own: the keys are the files on the claim.

use super::{
    env_value, Behavior, Fs, HttpRequest, HttpResponse, Image, ImageDef, Process, Served, Server,
    Start, Userland,
};
use crate::runtime::fs::normalize_path;
use crate::runtime::NetError;
use serde_json::Value;

pub struct Mehdb;

/// Where a shard keeps its keys.
fn datadir(spec: &Value) -> String {
    env_value(spec, "MEHDB_DATADIR")
        .filter(|d| !d.is_empty())
        .map(|d| {
            if d.starts_with('/') {
                normalize_path(&d)
            } else {
                normalize_path(&format!("/app/{d}"))
            }
        })
        .unwrap_or_else(|| "/app/data".to_string())
}

impl ImageDef for Mehdb {
    fn name(&self) -> &'static str {
        "mehdb"
    }

    fn provides(&self, repo: &str, _base: &str) -> bool {
        repo == "quay.io/mhausenblas/mehdb"
    }

    fn userland(&self) -> Userland {
        Userland::Gnu
    }

    fn size_base(&self) -> u64 {
        80_000_000
    }

    fn commands(&self, _image: &Image) -> &'static [&'static str] {
        &["/bin/sh", "/bin/bash", "/usr/bin/curl", "/app/mehdb"]
    }

    fn layer(&self, _image: &Image, fs: &mut Fs) {
        for d in ["/lib", "/sbin", "/usr/bin", "/usr/lib", "/var/log"] {
            let _ = fs.mkdir_all(d, 0o755);
        }
        fs.put(
            "/etc/os-release",
            0o644,
            b"NAME=\"CentOS Linux\"\nVERSION=\"7 (Core)\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\nVERSION_ID=\"7\"\nPRETTY_NAME=\"CentOS Linux 7 (Core)\"\n",
        );
        let _ = fs.mkdir_all("/app/data", 0o777);
    }

    fn runs_commands(&self) -> bool {
        false
    }

    fn entrypoint(&self, _image: &Image, container: &Value) -> Behavior {
        let port = env_value(container, "MEHDB_PORT")
            .and_then(|p| p.parse::<u16>().ok())
            .unwrap_or(9876);
        // A Go program without a SIGTERM handler dies at once.
        Behavior::long_running(0, vec![port])
    }

    fn startup_log(&self, start: &Start<'_>) -> String {
        let stamp = go_log_stamp(start.now);
        let host = start
            .env("MEHDB_HOST")
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| start.hostname.to_string());
        let port = start
            .env("MEHDB_PORT")
            .unwrap_or_else(|| "9876".to_string());
        let role = if host == "mehdb-0" {
            "I am the leading shard, accepting both WRITES and READS"
        } else {
            "I am a follower shard, accepting READS"
        };
        format!(
            "{stamp} mehdb serving from {host}:{port} using {} as the data directory\n{stamp} {role}\n",
            datadir(start.spec)
        )
    }

    /// mehdb creates its data directory when it is missing.
    fn on_start(&self, process: &mut Process<'_>) -> Option<String> {
        let dir = datadir(process.spec);
        let _ = process.mkdir_all(&dir);
        None
    }

    fn serve_http(&self, server: &Server<'_>, path: &str) -> Option<HttpResponse> {
        let req = HttpRequest {
            method: "GET",
            path,
            body: b"",
        };
        self.serve_request(server, &req).map(|s| s.response)
    }

    /// mehdb's gorilla/mux routes: `PUT /set/{key:[a-z]+}`, `GET /get/{key}`, `GET /keys`,
    /// `GET /status`; a route matched with another method answers 405 with no body, any
    /// other path Go's `404 page not found`.
    fn serve_request(&self, server: &Server<'_>, request: &HttpRequest<'_>) -> Option<Served> {
        let spec = server.spec();
        let dir = datadir(&spec);
        let (route, query) = request.path.split_once('?').unwrap_or((request.path, ""));
        let is_key = |k: &str| !k.is_empty() && k.bytes().all(|b| b.is_ascii_lowercase());
        let get = request.method == "GET";
        let mut handler_headers: Vec<(String, String)> = Vec::new();
        let mut writes = Vec::new();
        let mut log = String::new();
        let mut continue_100 = false;
        let stamp = go_log_stamp(server.now());
        let (status, body) = match route {
            "/status" if get => {
                let full = query.split('&').any(|kv| {
                    kv.split_once('=')
                        .is_some_and(|(k, v)| k == "level" && v == "full")
                });
                if full {
                    match keys(server, &dir) {
                        Ok(k) => (200, format!("{}\n", k.len())),
                        Err(e) => go_error(&mut handler_headers, 500, &e),
                    }
                } else {
                    (200, role(server).to_string())
                }
            }
            "/keys" if get => match keys(server, &dir) {
                Ok(k) => (
                    200,
                    format!(
                        "{}\n",
                        serde_json::to_string(&k).unwrap_or_else(|_| "[]".to_string())
                    ),
                ),
                Err(e) => go_error(&mut handler_headers, 500, &e),
            },
            r if get && r.strip_prefix("/get/").is_some_and(is_key) => {
                let key = r.strip_prefix("/get/").unwrap_or_default();
                let file = format!("{dir}/{key}/content");
                match server.read(&file) {
                    Ok(b) => {
                        log.push_str(&format!("{stamp} Done reading key {key}\n"));
                        (200, String::from_utf8_lossy(&b).into_owned())
                    }
                    Err(_) => {
                        log.push_str(&format!(
                            "{stamp} Can't read key {key} due to open {file}: no such file or directory\n"
                        ));
                        go_error(&mut handler_headers, 404, "")
                    }
                }
            }
            r if request.method == "PUT" && r.strip_prefix("/set/").is_some_and(is_key) => {
                let key = r.strip_prefix("/set/").unwrap_or_default();
                if role(server) == "follower" {
                    // Writes go to the leader, named by its pod name and the namespace.
                    let lurl = format!("http://{}/set/{key}", leader_address(server));
                    log.push_str(&format!("{stamp} Redirecting WRITE to {lurl}\n"));
                    handler_headers.push(("Location".to_string(), lurl));
                    (307, String::new())
                } else {
                    writes.push((format!("{dir}/{key}/content"), request.body.to_vec()));
                    continue_100 = true;
                    log.push_str(&format!("{stamp} Done writing key {key}\n"));
                    (200, "WRITE completed".to_string())
                }
            }
            r if ["/status", "/keys"].contains(&r)
                || ["/get/", "/set/"]
                    .iter()
                    .any(|p| r.strip_prefix(p).is_some_and(is_key)) =>
            {
                // gorilla/mux: the path matches a route, the method does not.
                (405, String::new())
            }
            _ => go_error(&mut handler_headers, 404, "404 page not found"),
        };
        let response = HttpResponse { status, body };
        Some(Served {
            headers: go_headers(server, handler_headers, &response),
            response,
            writes,
            log,
            continue_100,
        })
    }

    /// A follower's sync loop: every 10 s it asks the leader for its keys and copies each.
    fn period_ms(&self) -> Option<u64> {
        Some(10_000)
    }

    fn periodic(&self, server: &Server<'_>) -> Served {
        let mut out = Served::default();
        if role(server) != "follower" {
            return out;
        }
        let stamp = go_log_stamp(server.now());
        let dir = datadir(&server.spec());
        let leader = leader_address(server);
        out.log
            .push_str(&format!("{stamp} Checking for new data from leader\n"));
        let keys_url = format!("http://{leader}/keys");
        let keys: Vec<String> = match fetch(server, &keys_url) {
            Err(e) => {
                out.log.push_str(&format!(
                    "{stamp} Can't get keys from leader due to Get {keys_url}: {e}\n"
                ));
                return out;
            }
            Ok(body) => match serde_json::from_str(&body) {
                Ok(k) => k,
                Err(_) => {
                    let c = body.chars().next().unwrap_or(' ');
                    out.log.push_str(&format!(
                        "{stamp} Can't decode keys due to invalid character '{c}' looking for beginning of value\n"
                    ));
                    Vec::new()
                }
            },
        };
        for k in keys {
            let url = format!("http://{leader}/get/{k}");
            match fetch(server, &url) {
                Err(e) => out.log.push_str(&format!(
                    "{stamp} Can't get key {k} from leader due to Get {url}: {e}\n"
                )),
                Ok(body) => {
                    // Whatever the leader answered is stored, as mehdb does.
                    out.writes
                        .push((format!("{dir}/{k}/content"), body.into_bytes()));
                    out.log
                        .push_str(&format!("{stamp} Synced key {k} from leader\n"));
                }
            }
        }
        out
    }
}

/// Go's `log` prefix: `2026/01/01 00:00:05`.
pub fn go_log_stamp(t: crate::time::Time) -> String {
    let s = t.rfc3339();
    format!(
        "{} {}",
        s.get(0..10).unwrap_or("").replace('-', "/"),
        s.get(11..19).unwrap_or("")
    )
}

/// `leader` or `follower`: the shard named `mehdb-0` leads.
fn role(server: &Server<'_>) -> &'static str {
    let host = server
        .env("MEHDB_HOST")
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| server.hostname());
    if host == "mehdb-0" {
        "leader"
    } else {
        "follower"
    }
}

/// `mehdb-0.<namespace>:<port>`: how a follower names its leader (`MEHDB_NAMESPACE`, else
/// `default`). Cluster DNS answers this name only through the search path
/// `<namespace>.svc.cluster.local` when the headless Service is called like the namespace
/// (`mehdb` in `mehdb`, as the README deploys it): elsewhere followers cannot reach the
/// leader, as in a real cluster.
fn leader_address(server: &Server<'_>) -> String {
    let ns = server
        .env("MEHDB_NAMESPACE")
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "default".to_string());
    let port = server
        .env("MEHDB_PORT")
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "9876".to_string());
    format!("mehdb-0.{ns}:{port}")
}

/// A GET from the shard to `url` (`http://host:port/path`) with Go's client error wording.
fn fetch(server: &Server<'_>, url: &str) -> Result<String, String> {
    let rest = url.strip_prefix("http://").unwrap_or(url);
    let (hostport, path) = rest
        .find('/')
        .map(|i| (&rest[..i], &rest[i..]))
        .unwrap_or((rest, "/"));
    let (host, port) = hostport.rsplit_once(':').unwrap_or((hostport, "80"));
    let port: u16 = port.parse().unwrap_or(80);
    let cref = server.cref();
    match server
        .runtime
        .http_exchange(server.api, &cref, host, port, path)
    {
        Ok((r, _)) => Ok(r.body),
        Err(NetError::UnknownHost(_)) => Err(format!(
            "dial tcp: lookup {host} on {}:53: no such host",
            crate::dns::DNS_SERVICE_IP
        )),
        Err(NetError::Refused { .. }) => {
            let ip = server
                .runtime
                .resolve_host(server.api, &cref, host)
                .unwrap_or_else(|_| host.to_string());
            Err(format!(
                "dial tcp {ip}:{port}: connect: connection refused"
            ))
        }
        Err(NetError::Timeout { .. }) => Err("net/http: request canceled while waiting for connection (Client.Timeout exceeded while awaiting headers)".to_string()),
        Err(NetError::EmptyReply { .. }) => Err("EOF".to_string()),
    }
}

/// The keys a shard serves: directories of the data directory holding a `content` file.
fn keys(server: &Server<'_>, dir: &str) -> Result<Vec<String>, String> {
    let entries = server
        .list(dir)
        .map_err(|_| format!("open {dir}: no such file or directory"))?;
    Ok(entries
        .into_iter()
        .filter(|e| !e.name.starts_with('.'))
        .filter(|e| server.read(&format!("{dir}/{}/content", e.name)).is_ok())
        .map(|e| e.name)
        .collect())
}

/// `http.Error`: the message and a newline, as plain text the client must not sniff.
fn go_error(headers: &mut Vec<(String, String)>, status: u16, msg: &str) -> (u16, String) {
    headers.push((
        "Content-Type".to_string(),
        "text/plain; charset=utf-8".to_string(),
    ));
    headers.push(("X-Content-Type-Options".to_string(), "nosniff".to_string()));
    (status, format!("{msg}\n"))
}

/// The header lines Go's net/http server writes: the handler's own (sorted by name), then
/// `Date`, `Content-Length` and, for a body whose type the handler did not set, the type
/// it sniffs (`text/plain; charset=utf-8` for mehdb's text).
fn go_headers(
    server: &Server<'_>,
    mut handler: Vec<(String, String)>,
    response: &HttpResponse,
) -> Vec<(String, String)> {
    handler.sort();
    let has_type = handler.iter().any(|(k, _)| k == "Content-Type");
    handler.push(("Date".to_string(), super::super::http_date(server.now())));
    handler.push((
        "Content-Length".to_string(),
        response.body.len().to_string(),
    ));
    if !has_type && !response.body.is_empty() {
        let binary = response
            .body
            .bytes()
            .any(|b| b < 0x09 || (0x0e..0x1b).contains(&b));
        handler.push((
            "Content-Type".to_string(),
            if binary {
                "application/octet-stream"
            } else {
                "text/plain; charset=utf-8"
            }
            .to_string(),
        ));
    }
    handler
}

//! `quay.io/mhausenblas/mehdb` (seed 004): an educational key-value store run as a
//! StatefulSet. Each shard serves on :9876 from its data directory (`MEHDB_DATADIR`, else
//! `/app/data`), one directory per key holding a `content` file, so the keys live on the
//! shard's PersistentVolumeClaim. `mehdb-0` is the leader; the others are followers.
//!
//! Endpoints: `GET /status` (the role), `GET /status?level=full` (the number of keys, as
//! JSON, or 500 when the data directory cannot be read: the readiness probe),
//! `GET /get/KEY` (the payload, or an empty 404), `GET /keys` (a JSON list). Writes
//! (`PUT /set/KEY`) and the followers' 10 s sync from the leader are not simulated yet.

use super::{
    env_value, Behavior, Fs, HttpResponse, Image, ImageDef, Process, Server, Start, Userland,
};
use crate::runtime::fs::normalize_path;
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
        let s = start.now.rfc3339();
        let stamp = format!(
            "{} {}",
            s.get(0..10).unwrap_or("").replace('-', "/"),
            s.get(11..19).unwrap_or("")
        );
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
        let spec = server.spec();
        let dir = datadir(&spec);
        let (route, query) = path.split_once('?').unwrap_or((path, ""));
        let ok = |body: String| HttpResponse { status: 200, body };
        let is_key = |k: &str| !k.is_empty() && k.bytes().all(|b| b.is_ascii_lowercase());
        let keys = || -> Result<Vec<String>, HttpResponse> {
            let entries = server.list(&dir).map_err(|_| HttpResponse {
                status: 500,
                body: format!("open {dir}: no such file or directory\n"),
            })?;
            Ok(entries
                .into_iter()
                .filter(|e| !e.name.starts_with('.'))
                .filter(|e| server.read(&format!("{dir}/{}/content", e.name)).is_ok())
                .map(|e| e.name)
                .collect())
        };
        Some(match route {
            "/status" => {
                let full = query.split('&').any(|kv| {
                    kv.split_once('=')
                        .is_some_and(|(k, v)| k == "level" && v == "full")
                });
                if full {
                    match keys() {
                        Ok(k) => ok(format!("{}\n", k.len())),
                        Err(e) => e,
                    }
                } else {
                    let host = env_value(&spec, "MEHDB_HOST")
                        .filter(|h| !h.is_empty())
                        .unwrap_or_else(|| server.hostname());
                    ok(if host == "mehdb-0" {
                        "leader"
                    } else {
                        "follower"
                    }
                    .to_string())
                }
            }
            "/keys" => match keys() {
                Ok(k) => ok(format!(
                    "{}\n",
                    serde_json::to_string(&k).unwrap_or_else(|_| "[]".to_string())
                )),
                Err(e) => e,
            },
            r => match r.strip_prefix("/get/") {
                Some(key) if is_key(key) => match server.read(&format!("{dir}/{key}/content")) {
                    Ok(b) => ok(String::from_utf8_lossy(&b).into_owned()),
                    Err(_) => HttpResponse {
                        status: 404,
                        body: "\n".to_string(),
                    },
                },
                _ if r.strip_prefix("/set/").is_some_and(is_key) => HttpResponse {
                    status: 405,
                    body: String::new(),
                },
                // gorilla/mux's answer for a route nobody registered.
                _ => HttpResponse {
                    status: 404,
                    body: "404 page not found\n".to_string(),
                },
            },
        })
    }
}

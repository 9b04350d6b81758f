//! Malformed and hostile requests get a proper `Status` with the right code, and the server
//! keeps serving afterwards. Uses kubectl's `--raw` mode as the HTTP client (skipped where
//! kubectl 1.33 is not installed), plus a raw TCP write for an oversized body.

use kubeplay_apiserver::{spawn_thread, Options};
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

const KUBECTL: &str = "/usr/lib/google-cloud-sdk/bin/kubectl.1.33";

struct Server {
    url: String,
    kubeconfig: std::path::PathBuf,
}

impl Server {
    fn start() -> Server {
        let url = spawn_thread(Options {
            seed: 3,
            speed: 0.0,
            control: false,
            start: None,
        })
        .expect("server starts");
        let dir = std::env::temp_dir().join(format!(
            "kubeplay-apiserver-bad-{}-{}",
            std::process::id(),
            url.rsplit(':').next().unwrap_or("0")
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let kubeconfig = dir.join("kubeconfig");
        std::fs::write(&kubeconfig, kubeplay_apiserver::kubeconfig(&url)).unwrap();
        Server { url, kubeconfig }
    }

    /// `kubectl <args>` with `stdin`; returns (success, stdout + stderr).
    fn kubectl(&self, args: &[&str], stdin: &str) -> (bool, String) {
        let mut child = Command::new(KUBECTL)
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("kubectl runs");
        if let Some(mut i) = child.stdin.take() {
            let _ = i.write_all(stdin.as_bytes());
        }
        let out = child.wait_with_output().expect("kubectl finishes");
        let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
        s.push_str(&String::from_utf8_lossy(&out.stderr));
        (out.status.success(), s)
    }

    fn alive(&self) {
        let (ok, out) = self.kubectl(&["get", "--raw", "/version"], "");
        assert!(
            ok && out.contains("v1.35.0"),
            "server stopped serving: {out}"
        );
    }
}

#[test]
fn bad_requests_get_status_errors_and_the_server_keeps_serving() {
    if !Path::new(KUBECTL).exists() {
        eprintln!("skipped: {KUBECTL} is not installed");
        return;
    }
    let s = Server::start();

    // Malformed JSON on create: 400 BadRequest.
    let (ok, out) = s.kubectl(
        &[
            "create",
            "--raw",
            "/api/v1/namespaces/default/pods",
            "-f",
            "-",
        ],
        "{\"apiVersion\": \"v1\", \"kind\": ",
    );
    assert!(!ok);
    assert!(
        out.contains("BadRequest") || out.contains("Bad Request"),
        "{out}"
    );
    s.alive();

    // A body that is not an object.
    let (ok, _) = s.kubectl(
        &[
            "create",
            "--raw",
            "/api/v1/namespaces/default/configmaps",
            "-f",
            "-",
        ],
        "[1, 2, 3]",
    );
    assert!(!ok);
    s.alive();

    // Unknown resource and unknown group: 404 NotFound.
    let (ok, out) = s.kubectl(&["get", "--raw", "/api/v1/frobs"], "");
    assert!(!ok && out.contains("NotFound"), "{out}");
    let (ok, out) = s.kubectl(&["get", "--raw", "/apis/nope.example.com/v1/things"], "");
    assert!(!ok && out.contains("NotFound"), "{out}");
    let (ok, out) = s.kubectl(&["get", "frobs"], "");
    assert!(
        !ok && out.contains("the server doesn't have a resource type \"frobs\""),
        "{out}"
    );

    // A kind the URL does not serve.
    let (ok, out) = s.kubectl(
        &[
            "create",
            "--raw",
            "/api/v1/namespaces/default/configmaps",
            "-f",
            "-",
        ],
        "{\"apiVersion\": \"v1\", \"kind\": \"Frob\", \"metadata\": {\"name\": \"x\"}}",
    );
    assert!(
        !ok && out.contains("no kind \"Frob\" is registered"),
        "{out}"
    );

    // Broken watch requests: a non-numeric resourceVersion is 400; a bad selector is 400.
    let (ok, out) = s.kubectl(
        &[
            "get",
            "--raw",
            "/api/v1/pods?watch=true&resourceVersion=abc",
        ],
        "",
    );
    assert!(!ok && out.contains("BadRequest"), "{out}");
    let (ok, out) = s.kubectl(
        &[
            "get",
            "--raw",
            "/api/v1/pods?watch=1&fieldSelector=spec.bogus%3D1",
        ],
        "",
    );
    assert!(
        !ok && out.contains("field label not supported: spec.bogus"),
        "{out}"
    );
    s.alive();

    // A watch from a compacted/unknown-old version still answers (an ERROR event or events).
    let (_, _) = s.kubectl(
        &[
            "get",
            "--raw",
            "/api/v1/namespaces?watch=1&resourceVersion=1&timeoutSeconds=1",
        ],
        "",
    );
    s.alive();

    // A huge body: 413 without the server buffering it all.
    let addr = s.url.trim_start_matches("http://").to_string();
    let mut conn = std::net::TcpStream::connect(&addr).unwrap();
    let size = kubeplay_apiserver::MAX_BODY_BYTES + 1024;
    let head = format!(
        "POST /api/v1/namespaces/default/configmaps HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {size}\r\nConnection: close\r\n\r\n"
    );
    conn.write_all(head.as_bytes()).unwrap();
    let chunk = vec![b' '; 64 * 1024];
    let mut sent = 0;
    while sent < size {
        let n = chunk.len().min(size - sent);
        if conn.write_all(&chunk[..n]).is_err() {
            break; // the server may answer and close before reading it all
        }
        sent += n;
    }
    let mut resp = String::new();
    let _ = conn.read_to_string(&mut resp);
    assert!(resp.starts_with("HTTP/1.1 413"), "{resp}");
    assert!(
        resp.contains("\"reason\":\"RequestEntityTooLarge\""),
        "{resp}"
    );
    s.alive();

    // Errors from the engine keep their Status: AlreadyExists is 409 with the real message.
    let cm = "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"c\"}}";
    let (ok, _) = s.kubectl(&["create", "-f", "-"], cm);
    assert!(ok);
    let (ok, out) = s.kubectl(&["create", "-f", "-"], cm);
    assert!(!ok);
    assert!(
        out.contains("Error from server (AlreadyExists): error when creating \"STDIN\": configmaps \"c\" already exists"),
        "{out}"
    );
    s.alive();
}

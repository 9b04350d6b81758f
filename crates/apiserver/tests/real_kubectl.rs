//! The real kubectl 1.33 against `kubeplay serve` must print what the built-in kubectl prints
//! on an identically seeded cluster, for the same commands at the same virtual times.
//!
//! The server runs with a frozen clock (`speed 0`) and the test moves it through the loopback
//! control endpoint (`POST /kubeplay/advance?ms=N`, sent with `kubectl create --raw`), so both
//! sides see the same instants. Skipped (with a message) where kubectl 1.33 is not installed.

use kubeplay_apiserver::{spawn_thread, Options};
use kubeplay_engine::{Cluster, Config};
use kubeplay_kubectl::context::MemFiles;
use kubeplay_kubectl::Session;
use std::path::{Path, PathBuf};
use std::process::Command;

const KUBECTL: &str = "/usr/lib/google-cloud-sdk/bin/kubectl.1.33";
const SEED: u64 = 7;

enum Step {
    Kubectl(&'static str),
    Advance(u64),
}
use Step::{Advance, Kubectl as K};

fn web_yaml() -> String {
    let p =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../static/examples/tutorials/web-2019.yaml");
    std::fs::read_to_string(p).expect("web-2019.yaml is in the repository")
}

struct Real {
    dir: PathBuf,
    kubeconfig: PathBuf,
}

impl Real {
    fn start() -> Real {
        let url = spawn_thread(Options {
            seed: SEED,
            speed: 0.0,
            control: true,
            start: None,
        })
        .expect("server starts");
        let dir = std::env::temp_dir().join(format!(
            "kubeplay-apiserver-test-{}-{}",
            std::process::id(),
            url.rsplit(':').next().unwrap_or("0")
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let kubeconfig = dir.join("kubeconfig");
        std::fs::write(&kubeconfig, kubeplay_apiserver::kubeconfig(&url)).unwrap();
        std::fs::write(dir.join("web.yaml"), web_yaml()).unwrap();
        Real { dir, kubeconfig }
    }

    /// Runs kubectl with `args` (split on spaces, `'...'` kept whole); stdout then stderr,
    /// without the version-skew warning (1.33 client, 1.35 server: real kubectl prints it).
    fn kubectl(&self, line: &str) -> String {
        let out = Command::new(KUBECTL)
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(split(line))
            .current_dir(&self.dir)
            .output()
            .expect("kubectl runs");
        let mut s = String::from_utf8_lossy(&out.stdout).into_owned();
        for l in String::from_utf8_lossy(&out.stderr).lines() {
            if !l.contains("exceeds the supported minor version skew") {
                s.push_str(l);
                s.push('\n');
            }
        }
        s
    }

    fn advance(&self, ms: u64) {
        let out = Command::new(KUBECTL)
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args([
                "create",
                "--raw",
                &format!("/kubeplay/advance?ms={ms}"),
                "-f",
                "-",
            ])
            .stdin(std::process::Stdio::null())
            .output()
            .expect("kubectl runs");
        assert!(
            out.status.success(),
            "advance failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Replaces every UUID with `<uid-N>`, N numbering distinct UUIDs in order of appearance
/// across the transcript: UIDs (and PV names made from them) depend on the order in which
/// requests interleave with controllers, so the comparison checks their consistency only.
struct Uids(Vec<String>);

impl Uids {
    fn normalise(&mut self, text: &str) -> String {
        let is_uuid = |w: &[u8]| {
            w.len() == 36
                && w.iter().enumerate().all(|(i, c)| match i {
                    8 | 13 | 18 | 23 => *c == b'-',
                    _ => c.is_ascii_hexdigit() && !c.is_ascii_uppercase(),
                })
        };
        let b = text.as_bytes();
        let mut out = String::new();
        let mut i = 0;
        while i < b.len() {
            if i + 36 <= b.len() && is_uuid(&b[i..i + 36]) {
                let u = &text[i..i + 36];
                let n = match self.0.iter().position(|x| x == u) {
                    Some(n) => n,
                    None => {
                        self.0.push(u.to_string());
                        self.0.len() - 1
                    }
                };
                out.push_str(&format!("<uid-{n}>"));
                i += 36;
            } else {
                let ch = text[i..].chars().next().unwrap_or(' ');
                out.push(ch);
                i += ch.len_utf8();
            }
        }
        out
    }
}

fn split(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for ch in line.chars() {
        match ch {
            '\'' => quoted = !quoted,
            ' ' if !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

struct Builtin {
    cluster: Cluster,
    session: Session,
    files: MemFiles,
}

impl Builtin {
    fn new() -> Builtin {
        let mut files = MemFiles::default();
        files.0.insert("web.yaml".to_string(), web_yaml());
        Builtin {
            cluster: Cluster::new(Config {
                seed: SEED,
                ..Config::default()
            }),
            session: Session::new(),
            files,
        }
    }

    fn kubectl(&mut self, line: &str) -> String {
        let (out, _) =
            self.session
                .run_line(&mut self.cluster, &self.files, &format!("kubectl {line}"));
        let mut stdout = String::new();
        let mut stderr = String::new();
        for (stream, text) in &out.chunks {
            match stream {
                kubeplay_kubectl::Stream::Stdout => stdout.push_str(text),
                kubeplay_kubectl::Stream::Stderr => stderr.push_str(text),
            }
        }
        stdout + &stderr
    }
}

#[test]
fn real_kubectl_prints_what_the_builtin_prints() {
    if !Path::new(KUBECTL).exists() {
        eprintln!("skipped: {KUBECTL} is not installed");
        return;
    }
    let steps = [
        K("create -f web.yaml"),
        K("get pods"),
        K("get svc nginx"),
        Advance(30_000),
        K("get pods -o wide"),
        K("get sts"),
        K("get pvc"),
        K("scale sts web --replicas=3"),
        Advance(30_000),
        K("get pods"),
        K("patch sts web -p '{\"spec\":{\"replicas\":2}}'"),
        K("patch sts web --type=merge -p '{\"metadata\":{\"labels\":{\"tier\":\"web\"}}}'"),
        K("patch sts web --type=json -p '[{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":3}]'"),
        K("get sts web --show-labels"),
        K("delete pod web-0 --wait=false"),
        Advance(20_000),
        K("get pods -l app=nginx"),
        K("get pod web-9"),
        K("get sts web -o jsonpath={.spec.replicas}"),
        K("create -f web.yaml"),
        K("apply -f web.yaml"),
        K("apply -f web.yaml"),
        K("get all"),
        K("get pods -o name"),
        K("get pods -A"),
        K("get nodes"),
        K("get pods --field-selector spec.nodeName=node-1"),
        K("logs web-1"),
        K("get foo"),
        K("label pod web-1 role=primary"),
        K("annotate pod web-1 note=x"),
        K("get pods -L role"),
        K("delete sts web --cascade=orphan --wait=false"),
        Advance(5_000),
        K("get pods"),
        K("apply -f web.yaml"),
        Advance(30_000),
        K("get pods"),
        K("get sts web -o yaml"),
        K("exec web-0 -- hostname"),
        K("exec web-1 -- sh -c 'echo out; echo err >&2; exit 3'"),
        K("exec web-0 -- nosuch"),
        K("exec web-9 -- hostname"),
    ];
    let real = Real::start();
    let mut builtin = Builtin::new();
    let mut failures = Vec::new();
    let (mut uids_real, mut uids_builtin) = (Uids(Vec::new()), Uids(Vec::new()));
    for step in steps {
        match step {
            Advance(ms) => {
                real.advance(ms);
                builtin.cluster.advance(ms);
            }
            K(line) => {
                let a = uids_real.normalise(&real.kubectl(line));
                let b = uids_builtin.normalise(&builtin.kubectl(line));
                if a != b {
                    failures.push(format!(
                        "$ kubectl {line}\n--- real kubectl 1.33 via kubeplay serve:\n{a}--- built-in:\n{b}"
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

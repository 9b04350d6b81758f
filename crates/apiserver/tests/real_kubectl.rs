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
        self.run(&format!("kubectl {line}"))
    }

    /// One terminal line: stdout, then stderr.
    fn run(&mut self, line: &str) -> String {
        let (out, _) = self.session.run_line(&mut self.cluster, &self.files, line);
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

/// `kubectl exec -i` with a pipe: a shell runs the lines it is sent, and the exit code of its
/// `exit` comes back as kubectl's "command terminated with exit code N"; a program other than
/// a shell reads stdin to its end. The real kubectl and the built-in print the same.
#[test]
fn exec_with_stdin_runs_what_the_pipe_sends() {
    if !Path::new(KUBECTL).exists() {
        eprintln!("skipped: {KUBECTL} is not installed");
        return;
    }
    let real = Real::start();
    let mut builtin = Builtin::new();
    real.kubectl("create -f web.yaml");
    builtin.kubectl("create -f web.yaml");
    real.advance(30_000);
    builtin.cluster.advance(30_000);
    let cases = [
        (
            "exec -i web-0 -- sh",
            "echo hi\nhostname\nfor i in 1 2; do\necho $i\ndone\necho gone >&2\nexit 3\n",
        ),
        ("exec -i web-1 -- cat", "hello\nworld"),
        (
            "exec -i web-0 -- sh -c 'cat > /usr/share/nginx/html/index.html'",
            "kept\n",
        ),
        ("exec web-0 -- cat /usr/share/nginx/html/index.html", ""),
    ];
    for (line, input) in cases {
        let mut child = Command::new(KUBECTL)
            .arg("--kubeconfig")
            .arg(&real.kubeconfig)
            .args(split(line))
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("kubectl runs");
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().expect("piped stdin");
            stdin
                .write_all(input.as_bytes())
                .expect("kubectl reads stdin");
        }
        let out = child.wait_with_output().expect("kubectl ends");
        let mut got = String::from_utf8_lossy(&out.stdout).into_owned();
        for l in String::from_utf8_lossy(&out.stderr).lines() {
            if !l.contains("exceeds the supported minor version skew") {
                got.push_str(l);
                got.push('\n');
            }
        }
        let quoted = input.replace('\n', "\\n");
        let want = builtin.kubectl_stdin(line, &quoted);
        assert_eq!(got, want, "$ printf '{quoted}' | kubectl {line}");
    }
    let first = real.kubectl("exec -i web-0 -- sh");
    assert_eq!(first, "", "no input: the shell ends at once");
}

impl Builtin {
    /// `printf 'INPUT' | kubectl LINE` in the built-in terminal.
    fn kubectl_stdin(&mut self, line: &str, printf_input: &str) -> String {
        self.run(&format!("printf '{printf_input}' | kubectl {line}"))
    }
}

/// `kubectl exec -it` needs a terminal, so this test speaks kubectl's WebSocket channel
/// protocol itself: with `tty=true` the server echoes keys, edits the line, shows the image's
/// prompt, continues a line after a backslash, turns Ctrl-C into a fresh prompt and ends
/// lines with CR LF; `exit 4` comes back as the exit code on the error channel.
#[test]
fn exec_with_a_tty_behaves_like_a_terminal() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::Message;
    if !Path::new(KUBECTL).exists() {
        eprintln!("skipped: {KUBECTL} is not installed (it creates the pods)");
        return;
    }
    let real = Real::start();
    real.kubectl("create -f web.yaml");
    real.advance(30_000);
    let server = std::fs::read_to_string(&real.kubeconfig)
        .unwrap()
        .lines()
        .find_map(|l| l.trim().strip_prefix("server: ").map(str::to_string))
        .expect("kubeconfig names the server");
    let hostport = server.trim_start_matches("http://").to_string();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let transcript = rt.block_on(async move {
        let url = format!(
            "ws://{hostport}/api/v1/namespaces/default/pods/web-0/exec?command=bash&stdin=true&stdout=true&tty=true"
        );
        let mut request = url.into_client_request().unwrap();
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", "v5.channel.k8s.io".parse().unwrap());
        let tcp = tokio::net::TcpStream::connect(&hostport).await.unwrap();
        let (mut ws, _) = tokio_tungstenite::client_async(request, tcp).await.unwrap();
        let mut transcript = String::new();
        // Reads frames until the stdout seen so far ends with `until` (or the stream ends).
        async fn read_until<S>(
            ws: &mut tokio_tungstenite::WebSocketStream<S>,
            transcript: &mut String,
            until: &str,
        ) where
            S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
        {
            while !transcript.ends_with(until) {
                let next = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next());
                match next.await {
                    Ok(Some(Ok(Message::Binary(data)))) => match data.split_first() {
                        Some((1, text)) => transcript.push_str(&String::from_utf8_lossy(text)),
                        Some((3, status)) => {
                            transcript.push_str("<status ");
                            transcript.push_str(&String::from_utf8_lossy(status));
                            transcript.push('>');
                        }
                        Some((c, text)) => transcript
                            .push_str(&format!("<{c}:{}>", String::from_utf8_lossy(text))),
                        None => {}
                    },
                    Ok(Some(Ok(Message::Close(_)))) | Ok(None) | Ok(Some(Err(_))) => {
                        transcript.push_str("<closed>");
                        return;
                    }
                    Ok(Some(Ok(_))) => {}
                    Err(_) => {
                        transcript.push_str("<timeout>");
                        return;
                    }
                }
            }
        }
        let prompt = "root@web-0:/# ";
        read_until(&mut ws, &mut transcript, prompt).await;
        for (keys, until) in [
            (&b"hostname\r"[..], prompt),
            (b"ecg\x7fho a\\\r", "> "),
            (b"b\r", prompt),
            (b"cat /nope\r", prompt),
            (b"sleep 1\x03", prompt),
            (b"exit 4\r", "<closed>"),
        ] {
            let mut frame = vec![0u8];
            frame.extend_from_slice(keys);
            ws.send(Message::Binary(frame.into())).await.unwrap();
            read_until(&mut ws, &mut transcript, until).await;
        }
        transcript
    });
    let expected = concat!(
        "root@web-0:/# hostname\r\nweb-0\r\n",
        "root@web-0:/# ecg\x08 \x08ho a\\\r\n> b\r\nab\r\n",
        "root@web-0:/# cat /nope\r\ncat: /nope: No such file or directory\r\n",
        "root@web-0:/# sleep 1^C\r\n",
        "root@web-0:/# exit 4\r\n",
        "<status {\"details\":{\"causes\":[{\"message\":\"4\",\"reason\":\"ExitCode\"}]},",
        "\"message\":\"command terminated with non-zero exit code: error executing command [bash], exit code 4\",",
        "\"metadata\":{},\"reason\":\"NonZeroExitCode\",\"status\":\"Failure\"}><closed>",
    );
    assert_eq!(transcript, expected);
}

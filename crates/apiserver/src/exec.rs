//! `pods/<name>/exec` over WebSocket (`v5.channel.k8s.io` / `v4.channel.k8s.io`), the
//! protocol kubectl 1.33 tries first. Commands run to completion in the simulated container
//! (through the built-in kubectl's pod shell) before the stream starts; their output is sent
//! on channels 1 (stdout) and 2 (stderr), then the exit status as a `Status` on channel 3.
//! `pods/<name>/attach` (what `kubectl run -i` uses) reads the client's stdin to its end (a
//! v5 stream close, or the socket closing), runs the container's main process — the shell the
//! pod was started with — over it, sends the output, and then that process exits with the
//! shell's status, so the pod completes under `restartPolicy: Never` as a real one does.
//! With stdin (`kubectl exec -i`, `-it`, and `kubectl run -it`'s attach) the session is
//! interactive: a shell runs each line as it arrives and its output goes straight back; any
//! other program reads stdin to its end, then runs over it. With a TTY the server plays the
//! terminal's line discipline, as the kernel's pty does for a real container: it echoes what
//! is typed, handles backspace, Ctrl-C, Ctrl-U and Ctrl-D, ends lines with CR LF and shows
//! the image's prompt (`root@web-0:/# `, `/ # `); the output of both streams goes on
//! stdout, as on a terminal. Resize messages (channel 4) are read and ignored: nothing here
//! draws by the screen's size.
//! Not supported: SPDY (kubectl only falls back to it when the WebSocket upgrade itself
//! fails).

use crate::body::Body;
use crate::rest::{self, Req};
use crate::terminal::{onlcr, Event, LineDiscipline};
use crate::Shared;
use futures_util::SinkExt;
use hyper::upgrade::OnUpgrade;
use hyper::Response;
use hyper_util::rt::TokioIo;
use kubeplay_engine::{object, ApiError, Kind};
use kubeplay_kubectl::pod_shell::PodHost;
use kubeplay_shell::{Host, Io, Shell, Stream};
use serde_json::{json, Value};
use std::rc::Rc;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role};
use tokio_tungstenite::tungstenite::Message;

const PROTOCOLS: &[&str] = &["v5.channel.k8s.io", "v4.channel.k8s.io"];

/// What the command printed and how it ended.
struct Outcome {
    stdout: String,
    stderr: String,
    status: Value,
}

/// The command an exec request names and the container it runs in, once the kubelet's checks
/// pass: the container exists and runs, and the program is on its PATH.
fn prepare(
    shared: &Shared,
    req: &Req,
    ns: &str,
    name: &str,
) -> Result<(String, Vec<String>), ApiError> {
    let argv: Vec<String> = req
        .query_all("command")
        .into_iter()
        .map(str::to_string)
        .collect();
    if argv.is_empty() {
        return Err(ApiError::bad_request(
            "you must specify at least one command for the container",
        ));
    }
    let mut cluster = shared.lock();
    let pod = cluster.api.get(Kind::Pod, ns, name)?;
    let containers = object::get_array(&pod, &["spec", "containers"]);
    let container = match req.query.get("container").map(String::as_str) {
        Some(c) if !c.is_empty() => c.to_string(),
        _ => containers
            .first()
            .and_then(|c| object::get_str(c, &["name"]))
            .unwrap_or("")
            .to_string(),
    };
    if !containers
        .iter()
        .any(|c| object::get_str(c, &["name"]) == Some(container.as_str()))
    {
        return Err(ApiError::bad_request(format!(
            "container {container} is not valid for pod {name}"
        )));
    }
    let not_found = || {
        ApiError::bad_request(format!(
            "unable to upgrade connection: container not found (\"{container}\")"
        ))
    };
    if !kubeplay_kubectl::cmd::exec::container_running(&pod, &container) {
        return Err(not_found());
    }
    let Some(host) = PodHost::new(&mut *cluster, ns, name, Some(&container)) else {
        return Err(not_found());
    };
    let program = argv.first().cloned().unwrap_or_default();
    if !host.has_command(&program) {
        // containerd's wording, with its 64-hex-digit exec id (as the built-in kubectl draws it).
        let rng = &mut host.cluster.api_mut().rng;
        let id = format!(
            "{:016x}{:016x}{:016x}{:016x}",
            rng.next_u64(),
            rng.next_u64(),
            rng.next_u64(),
            rng.next_u64()
        );
        return Err(ApiError::internal(format!(
            "Internal error occurred: error executing command in container: failed to exec in container: failed to start exec \"{id}\": OCI runtime exec failed: exec failed: unable to start container process: exec: \"{program}\": executable file not found in $PATH: unknown"
        )));
    }
    Ok((container, argv))
}

/// Runs an exec request without stdin to completion.
fn run(shared: &Shared, req: &Req, ns: &str, name: &str) -> Result<Outcome, ApiError> {
    let (container, argv) = prepare(shared, req, ns, name)?;
    let mut cluster = shared.lock();
    let Some(mut host) = PodHost::new(&mut *cluster, ns, name, Some(&container)) else {
        return Err(ApiError::not_found(Kind::Pod, name));
    };
    let mut io = Io::default();
    let code = host.run_argv(&argv, "", &mut io);
    drop(host);
    cluster.run_now();
    let (mut stdout, mut stderr) = (String::new(), String::new());
    for (s, t) in io.chunks {
        match s {
            Stream::Stdout => stdout.push_str(&t),
            Stream::Stderr => stderr.push_str(&t),
        }
    }
    Ok(Outcome {
        stdout,
        stderr,
        status: exit_status(&argv, code),
    })
}

/// The Status the kubelet sends on the error channel when the process ends.
fn exit_status(argv: &[String], code: i32) -> Value {
    if code == 0 {
        json!({"metadata": {}, "status": "Success"})
    } else {
        json!({
            "metadata": {}, "status": "Failure",
            "message": format!("command terminated with non-zero exit code: error executing command [{}], exit code {code}", argv.join(" ")),
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": code.to_string()}]},
        })
    }
}

/// The channel protocol both sides speak (the first of ours the client offers), or the 400
/// kube-apiserver answers when there is none.
fn negotiate(req: &Req) -> Result<&'static str, Box<Response<Body>>> {
    let offered = req.header("sec-websocket-protocol");
    PROTOCOLS
        .iter()
        .find(|p| offered.split(',').any(|o| o.trim() == **p))
        .copied()
        .ok_or_else(|| {
            Box::new(rest::status_response(
                400,
                "BadRequest",
                "unable to upgrade connection: no supported channel protocol was requested",
            ))
        })
}

/// Answers a WebSocket exec request: 101 and a task streaming the outcome, or a Status error.
pub fn upgrade(
    shared: Rc<Shared>,
    req: &Req,
    on_upgrade: OnUpgrade,
    ns: &str,
    name: &str,
) -> Response<Body> {
    let protocol = match negotiate(req) {
        Ok(p) => p,
        Err(refused) => return *refused,
    };
    let flag = |k: &str| req.query.get(k).is_some_and(|v| v == "true" || v == "1");
    if flag("stdin") {
        let (container, argv) = match prepare(&shared, req, ns, name) {
            Ok(c) => c,
            Err(e) => return rest::error_response(&e),
        };
        let key = req.header("sec-websocket-key").as_bytes().to_vec();
        let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(&key);
        let session = Interactive {
            shared,
            namespace: ns.to_string(),
            pod: name.to_string(),
            container,
            argv,
            tty: flag("tty"),
            want_stdout: flag("stdout"),
            want_stderr: flag("stderr"),
            attach: false,
        };
        tokio::task::spawn_local(session.serve(on_upgrade));
        return switching_protocols(&accept, protocol);
    }
    let outcome = match run(&shared, req, ns, name) {
        Ok(o) => o,
        // A missing pod is refused before the upgrade (kubectl looked it up first anyway);
        // failures inside the container arrive on the error channel, as from the kubelet.
        Err(e) if e.is_not_found() || e.code == 400 => return rest::error_response(&e),
        Err(e) => Outcome {
            stdout: String::new(),
            stderr: String::new(),
            status: e.to_status(),
        },
    };
    shared.notify();
    let key = req.header("sec-websocket-key").as_bytes().to_vec();
    let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(&key);
    let want_stdout = req
        .query
        .get("stdout")
        .is_some_and(|v| v == "true" || v == "1");
    let want_stderr = req
        .query
        .get("stderr")
        .is_some_and(|v| v == "true" || v == "1");
    tokio::task::spawn_local(async move {
        let Some(ws) = websocket(on_upgrade).await else {
            return;
        };
        // client-go starts reading the socket before it has registered its stdout/stderr
        // streams, and drops a frame that arrives in between ("Unknown stream id 1,
        // discarding message"). A real kubelet's process takes a moment to start; give the
        // client that moment before the output it already has goes out.
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        send_outcome(ws, &outcome, want_stdout, want_stderr).await;
    });
    switching_protocols(&accept, protocol)
}

/// The server side of the WebSocket once the 101 has gone out (None: the client left).
async fn websocket(
    on_upgrade: OnUpgrade,
) -> Option<tokio_tungstenite::WebSocketStream<TokioIo<hyper::upgrade::Upgraded>>> {
    let upgraded = on_upgrade.await.ok()?;
    Some(
        tokio_tungstenite::WebSocketStream::from_raw_socket(
            TokioIo::new(upgraded),
            Role::Server,
            None,
        )
        .await,
    )
}

/// The 101 answer that hands the connection to the WebSocket task.
fn switching_protocols(accept: &str, protocol: &str) -> Response<Body> {
    Response::builder()
        .status(101)
        .header("connection", "Upgrade")
        .header("upgrade", "websocket")
        .header("sec-websocket-accept", accept)
        .header("sec-websocket-protocol", protocol)
        .body(Body::full(Vec::new()))
        .unwrap_or_else(|_| Response::new(Body::full(Vec::new())))
}

/// One channel frame: the channel byte (1 stdout, 2 stderr, 3 the exit Status), then data.
fn frame(channel: u8, data: &[u8]) -> Message {
    let mut v = Vec::with_capacity(data.len() + 1);
    v.push(channel);
    v.extend_from_slice(data);
    Message::Binary(v.into())
}

/// Sends what the process printed on the streams the client asked for, its exit Status,
/// and closes.
async fn send_outcome<S>(
    mut ws: tokio_tungstenite::WebSocketStream<S>,
    outcome: &Outcome,
    want_stdout: bool,
    want_stderr: bool,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    if want_stdout && !outcome.stdout.is_empty() {
        let _ = ws.send(frame(1, outcome.stdout.as_bytes())).await;
    }
    if want_stderr && !outcome.stderr.is_empty() {
        let _ = ws.send(frame(2, outcome.stderr.as_bytes())).await;
    }
    let status = serde_json::to_vec(&outcome.status).unwrap_or_default();
    let _ = ws.send(frame(3, &status)).await;
    close(ws).await;
}

/// Ends the stream with a normal closure (1000), which kubectl reads as the end of every
/// stream, and completes the closing handshake: reading on until the client's own close
/// frame arrives means nothing it sent (stdin, a v5 stream close) is left unread when the
/// socket closes, which would make the kernel reset the connection under kubectl's reader.
async fn close<S>(mut ws: tokio_tungstenite::WebSocketStream<S>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    use futures_util::StreamExt;
    let _ = ws
        .close(Some(CloseFrame {
            code: CloseCode::Normal,
            reason: "".into(),
        }))
        .await;
    let drain = async { while let Some(Ok(_)) = ws.next().await {} };
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), drain).await;
}

/// The container an attach request names (or the first), if it is running.
fn attach_container(shared: &Shared, req: &Req, ns: &str, name: &str) -> Result<String, ApiError> {
    let cluster = shared.lock();
    let pod = cluster.api.get(Kind::Pod, ns, name)?;
    let containers = object::get_array(&pod, &["spec", "containers"]);
    let container = match req.query.get("container").map(String::as_str) {
        Some(c) if !c.is_empty() => c.to_string(),
        _ => containers
            .first()
            .and_then(|c| object::get_str(c, &["name"]))
            .unwrap_or("")
            .to_string(),
    };
    if !containers
        .iter()
        .any(|c| object::get_str(c, &["name"]) == Some(container.as_str()))
    {
        return Err(ApiError::bad_request(format!(
            "container {container} is not valid for pod {name}"
        )));
    }
    if !kubeplay_kubectl::cmd::exec::container_running(&pod, &container) {
        return Err(ApiError::bad_request(format!(
            "unable to upgrade connection: container not found (\"{container}\")"
        )));
    }
    Ok(container)
}

/// Runs the container's main process over `input`; then it exits with its status.
fn run_attached(shared: &Shared, ns: &str, name: &str, container: &str, input: &str) -> Outcome {
    let argv = main_process(shared, ns, name, container);
    let mut cluster = shared.lock();
    let mut io = Io::default();
    let code = match PodHost::new(&mut *cluster, ns, name, Some(container)) {
        Some(mut host) if !argv.is_empty() => host.run_argv(&argv, input, &mut io),
        _ => 0,
    };
    let _ = cluster.sim_exit_container(ns, name, Some(container), code);
    cluster.run_now();
    let (mut stdout, mut stderr) = (String::new(), String::new());
    for (s, t) in io.chunks {
        match s {
            Stream::Stdout => stdout.push_str(&t),
            Stream::Stderr => stderr.push_str(&t),
        }
    }
    Outcome {
        stdout,
        stderr,
        status: json!({"metadata": {}, "status": "Success"}),
    }
}

/// The container's main process: its command and args (a shell when it names none).
fn main_process(shared: &Shared, ns: &str, name: &str, container: &str) -> Vec<String> {
    let cluster = shared.lock();
    cluster
        .api
        .try_get(Kind::Pod, ns, name)
        .map(|p| {
            object::get_array(p, &["spec", "containers"])
                .iter()
                .find(|c| object::get_str(c, &["name"]) == Some(container))
                .map(|c| {
                    let mut v: Vec<String> = object::get_array(c, &["command"])
                        .iter()
                        .chain(object::get_array(c, &["args"]))
                        .filter_map(|x| x.as_str().map(str::to_string))
                        .collect();
                    if v.is_empty() {
                        v.push("sh".to_string());
                    }
                    v
                })
                .unwrap_or_default()
        })
        .unwrap_or_default()
}

/// Answers a WebSocket attach request: 101, then stdin is read to its end before the main
/// process runs over it (see the module docs).
pub fn attach(
    shared: Rc<Shared>,
    req: &Req,
    on_upgrade: OnUpgrade,
    ns: &str,
    name: &str,
) -> Response<Body> {
    let protocol = match negotiate(req) {
        Ok(p) => p,
        Err(refused) => return *refused,
    };
    let container = match attach_container(&shared, req, ns, name) {
        Ok(c) => c,
        Err(e) => return rest::error_response(&e),
    };
    let flag = |k: &str| req.query.get(k).is_some_and(|v| v == "true" || v == "1");
    let (want_stdin, want_stdout, want_stderr) = (flag("stdin"), flag("stdout"), flag("stderr"));
    let key = req.header("sec-websocket-key").as_bytes().to_vec();
    let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(&key);
    if want_stdin && flag("tty") {
        // `kubectl run -it` / `kubectl attach -it`: a terminal on the main process.
        let argv = main_process(&shared, ns, name, &container);
        let session = Interactive {
            shared,
            namespace: ns.to_string(),
            pod: name.to_string(),
            container,
            argv,
            tty: true,
            want_stdout,
            want_stderr,
            attach: true,
        };
        tokio::task::spawn_local(session.serve(on_upgrade));
        return switching_protocols(&accept, protocol);
    }
    let (ns, name) = (ns.to_string(), name.to_string());
    tokio::task::spawn_local(async move {
        use futures_util::StreamExt;
        let Some(mut ws) = websocket(on_upgrade).await else {
            return;
        };
        let mut input = Vec::new();
        let mut reading = want_stdin;
        while reading {
            match ws.next().await {
                Some(Ok(Message::Binary(data))) => match data.first() {
                    Some(0) => input.extend_from_slice(&data[1..]),
                    // v5: the client closed a stream (channel 0 is stdin).
                    Some(255) if data.get(1) == Some(&0) => reading = false,
                    _ => {}
                },
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => reading = false,
                Some(Ok(_)) => {}
            }
        }
        let outcome = run_attached(
            &shared,
            &ns,
            &name,
            &container,
            &String::from_utf8_lossy(&input),
        );
        shared.note_attach_ended();
        shared.notify();
        send_outcome(ws, &outcome, want_stdout, want_stderr).await;
    });
    switching_protocols(&accept, protocol)
}

/// An exec or attach with stdin: a shell runs each line as it arrives; any other program
/// reads stdin to its end first (see the module docs).
struct Interactive {
    shared: Rc<Shared>,
    namespace: String,
    pod: String,
    container: String,
    argv: Vec<String>,
    tty: bool,
    want_stdout: bool,
    want_stderr: bool,
    /// Attached to the container's main process: when it ends, the container ends.
    attach: bool,
}

/// An interactive shell: `sh`, `bash` or `ash` with no script to run.
fn is_shell(argv: &[String]) -> bool {
    let Some((program, rest)) = argv.split_first() else {
        return false;
    };
    matches!(program.rsplit('/').next(), Some("sh" | "bash" | "ash"))
        && rest
            .iter()
            .all(|a| matches!(a.as_str(), "-i" | "-l" | "-il" | "-li" | "--login"))
}

impl Interactive {
    async fn serve(self, on_upgrade: OnUpgrade) {
        use futures_util::StreamExt;
        let Some(mut ws) = websocket(on_upgrade).await else {
            return;
        };
        // As for a plain exec: let client-go register its streams before anything goes out.
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        let shell_mode = is_shell(&self.argv);
        let program = self
            .argv
            .first()
            .map(|p| p.rsplit('/').next().unwrap_or(p).to_string())
            .unwrap_or_default();
        let prompt_in = |cwd: &str| {
            let cluster = self.shared.lock();
            kubeplay_kubectl::pod_shell::interactive_prompt(
                &cluster.api,
                &self.namespace,
                &self.pod,
                &self.container,
                &program,
                cwd,
            )
        };
        let mut prompt = prompt_in("/");
        let mut term = LineDiscipline::new(self.tty);
        let mut shell = {
            let cluster = self.shared.lock();
            kubeplay_kubectl::pod_shell::interactive_shell(
                &cluster.api,
                &self.namespace,
                &self.pod,
                &self.container,
                &program,
            )
        };
        // A shell's unfinished construct (`for ...` before its `done`), or another
        // program's stdin.
        let mut pending = String::new();
        let mut last = 0;
        // Without a TTY, stdin exactly as sent (a last line may lack its newline).
        let mut raw: Vec<u8> = Vec::new();
        // `kubectl run -it` attaches to a shell that already printed its prompt before the
        // terminal arrived (hence kubectl's "If you don't see a command prompt, try
        // pressing enter.").
        if self.tty && shell_mode && !self.attach {
            self.send(&mut ws, Stream::Stdout, &prompt).await;
        }
        let status: Value = 'session: loop {
            let events = match ws.next().await {
                Some(Ok(Message::Binary(data))) => match data.split_first() {
                    Some((0, typed)) => {
                        if !self.tty {
                            raw.extend_from_slice(typed);
                        }
                        term.feed(typed)
                    }
                    // v5: the client closed stdin.
                    Some((255, [0])) => term.close(),
                    // 4 is a resize; nothing else comes from the client.
                    _ => continue,
                },
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => term.close(),
                Some(Ok(_)) => continue,
            };
            for event in events {
                match event {
                    // The echo is the terminal's own: its line ends are already CR LF.
                    Event::Echo(text) if self.want_stdout => {
                        let _ = ws.send(frame(1, text.as_bytes())).await;
                    }
                    Event::Echo(_) => {}
                    Event::Line(line) => {
                        pending.push_str(&line);
                        pending.push('\n');
                        if !shell_mode {
                            continue;
                        }
                        if !Shell::is_complete(&pending) {
                            if self.tty {
                                self.send(&mut ws, Stream::Stdout, "> ").await;
                            }
                            continue;
                        }
                        let src = std::mem::take(&mut pending);
                        match self.run(|host, io| shell.run(&src, host, io)) {
                            Ok((io, code)) => {
                                last = code;
                                self.send_io(&mut ws, io).await;
                            }
                            Err(e) => break 'session e.to_status(),
                        }
                        if let Some(code) = shell.exited() {
                            break 'session exit_status(&self.argv, code);
                        }
                        // The prompt follows `cd`.
                        prompt = prompt_in(&shell.env.cwd);
                        if self.tty {
                            self.send(&mut ws, Stream::Stdout, &prompt).await;
                        }
                    }
                    Event::Interrupt if shell_mode => {
                        pending.clear();
                        last = 130;
                        if self.tty {
                            self.send(&mut ws, Stream::Stdout, &prompt).await;
                        }
                    }
                    Event::Interrupt => break 'session exit_status(&self.argv, 130),
                    Event::Eof if shell_mode => {
                        // bash says goodbye on Ctrl-D at its prompt; ash leaves silently.
                        if self.tty && program == "bash" {
                            self.send(&mut ws, Stream::Stdout, "exit\n").await;
                        }
                        break 'session exit_status(&self.argv, last);
                    }
                    Event::Eof => {
                        let argv = self.argv.clone();
                        let input = if self.tty {
                            std::mem::take(&mut pending)
                        } else {
                            String::from_utf8_lossy(&raw).into_owned()
                        };
                        match self.run(|host, io| host.run_argv(&argv, &input, io)) {
                            Ok((io, code)) => {
                                self.send_io(&mut ws, io).await;
                                break 'session exit_status(&self.argv, code);
                            }
                            Err(e) => break 'session e.to_status(),
                        }
                    }
                }
            }
        };
        if self.attach {
            let code = status_code(&status);
            {
                let mut cluster = self.shared.lock();
                let _ = cluster.sim_exit_container(
                    &self.namespace,
                    &self.pod,
                    Some(&self.container),
                    code,
                );
                cluster.run_now();
            }
            self.shared.note_attach_ended();
            // attach reports the process's end, not an exec exit code.
            self.shared.notify();
            let done = json!({"metadata": {}, "status": "Success"});
            let _ = ws
                .send(frame(3, &serde_json::to_vec(&done).unwrap_or_default()))
                .await;
        } else {
            let _ = ws
                .send(frame(3, &serde_json::to_vec(&status).unwrap_or_default()))
                .await;
        }
        close(ws).await;
    }

    /// Runs `f` in the container (which must still exist), then lets the cluster react.
    fn run(&self, f: impl FnOnce(&mut PodHost<'_>, &mut Io) -> i32) -> Result<(Io, i32), ApiError> {
        let mut cluster = self.shared.lock();
        let mut io = Io::default();
        let code = {
            let Some(mut host) = PodHost::new(
                &mut *cluster,
                &self.namespace,
                &self.pod,
                Some(&self.container),
            ) else {
                return Err(ApiError::not_found(Kind::Pod, &self.pod));
            };
            f(&mut host, &mut io)
        };
        cluster.run_now();
        drop(cluster);
        self.shared.notify();
        Ok((io, code))
    }

    /// A program's output: both streams on the terminal with a TTY, else each on its channel.
    async fn send_io<S>(&self, ws: &mut tokio_tungstenite::WebSocketStream<S>, io: Io)
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        for (stream, text) in io.chunks {
            self.send(ws, stream, &text).await;
        }
    }

    async fn send<S>(
        &self,
        ws: &mut tokio_tungstenite::WebSocketStream<S>,
        stream: Stream,
        text: &str,
    ) where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    {
        if text.is_empty() {
            return;
        }
        if self.tty {
            if self.want_stdout {
                let _ = ws.send(frame(1, onlcr(text).as_bytes())).await;
            }
            return;
        }
        let (channel, wanted) = match stream {
            Stream::Stdout => (1, self.want_stdout),
            Stream::Stderr => (2, self.want_stderr),
        };
        if wanted {
            let _ = ws.send(frame(channel, text.as_bytes())).await;
        }
    }
}

/// The exit code a Status carries (0 for Success).
fn status_code(status: &Value) -> i32 {
    object::get_array(status, &["details", "causes"])
        .iter()
        .find(|c| object::get_str(c, &["reason"]) == Some("ExitCode"))
        .and_then(|c| object::get_str(c, &["message"]))
        .and_then(|m| m.parse().ok())
        .unwrap_or(0)
}

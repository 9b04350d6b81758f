//! `pods/<name>/exec` over WebSocket (`v5.channel.k8s.io` / `v4.channel.k8s.io`), the
//! protocol kubectl 1.33 tries first. Commands run to completion in the simulated container
//! (through the built-in kubectl's pod shell) before the stream starts; their output is sent
//! on channels 1 (stdout) and 2 (stderr), then the exit status as a `Status` on channel 3.
//! `pods/<name>/attach` (what `kubectl run -i` uses) reads the client's stdin to its end (a
//! v5 stream close, or the socket closing), runs the container's main process — the shell the
//! pod was started with — over it, sends the output, and then that process exits with the
//! shell's status, so the pod completes under `restartPolicy: Never` as a real one does.
//! Not supported: TTYs and interactive (line-by-line) stdin, stdin for exec (ignored), and
//! SPDY (kubectl only falls back to it when the WebSocket upgrade itself fails).

use crate::body::Body;
use crate::rest::{self, Req};
use crate::Shared;
use futures_util::SinkExt;
use hyper::upgrade::OnUpgrade;
use hyper::Response;
use hyper_util::rt::TokioIo;
use kubeplay_engine::{object, ApiError, Kind};
use kubeplay_kubectl::pod_shell::PodHost;
use kubeplay_shell::{Host, Io, Stream};
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

fn run(shared: &Shared, req: &Req, ns: &str, name: &str) -> Result<Outcome, ApiError> {
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
    let Some(mut host) = PodHost::new(&mut *cluster, ns, name, Some(&container)) else {
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
    let status = if code == 0 {
        json!({"metadata": {}, "status": "Success"})
    } else {
        json!({
            "metadata": {}, "status": "Failure",
            "message": format!("command terminated with non-zero exit code: error executing command [{}], exit code {code}", argv.join(" ")),
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": code.to_string()}]},
        })
    };
    Ok(Outcome {
        stdout,
        stderr,
        status,
    })
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
        let Ok(upgraded) = on_upgrade.await else {
            return;
        };
        let ws = tokio_tungstenite::WebSocketStream::from_raw_socket(
            TokioIo::new(upgraded),
            Role::Server,
            None,
        )
        .await;
        // client-go starts reading the socket before it has registered its stdout/stderr
        // streams, and drops a frame that arrives in between ("Unknown stream id 1,
        // discarding message"). A real kubelet's process takes a moment to start; give the
        // client that moment before the output it already has goes out.
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        send_outcome(ws, &outcome, want_stdout, want_stderr).await;
    });
    switching_protocols(&accept, protocol)
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
    let mut cluster = shared.lock();
    let argv: Vec<String> = cluster
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
        .unwrap_or_default();
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
    let (ns, name) = (ns.to_string(), name.to_string());
    tokio::task::spawn_local(async move {
        use futures_util::StreamExt;
        let Ok(upgraded) = on_upgrade.await else {
            return;
        };
        let mut ws = tokio_tungstenite::WebSocketStream::from_raw_socket(
            TokioIo::new(upgraded),
            Role::Server,
            None,
        )
        .await;
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

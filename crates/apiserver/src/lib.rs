//! The Kubernetes HTTP API over a simulated cluster: what `kubeplay serve` runs so the real
//! kubectl (or any client-go program) can drive the engine.
//!
//! It is a thin translation layer: requests become `Api` calls on one shared `Cluster`, errors
//! become the `Status` objects `ApiError::to_status` builds, tables come from the same printers
//! the built-in kubectl uses. It must never hold simulation logic of its own, never be a
//! dependency of the engine, kubectl or web crates (it is native only), and never panic on a
//! request: every handler answers with a `Status` on error.
//!
//! The virtual clock starts at `Options::start` (the CLI passes the wall-clock time, so AGE
//! columns look right to the real kubectl; the engine itself never reads a wall clock) and runs
//! at real time × `speed`. With `speed == 0` it only moves when a test asks through the
//! loopback-only control endpoints (enabled by `Options::control`):
//! - `POST /kubeplay/advance?ms=N`, `POST /kubeplay/settle[?ms=N]`: move the clock, as
//!   `sim advance` and `sim settle` do in the built-in terminal;
//! - `POST /kubeplay/await-watch?count=N`: answers once N watches are open (a client such as
//!   `kubectl get -w` has listed and started watching), or after 10 real seconds;
//! - `POST /kubeplay/close-watches`: every open watch sends what happened so far and ends,
//!   as a watch does when its `timeoutSeconds` expire; `kubectl get -w` then exits;
//! - `POST /kubeplay/await-pod-phase?pod=NS/NAME&phase=P1,P2[&orGone=true][&ms=N]`: runs the
//!   clock event by event until the pod is in one of the phases (or gone), as the built-in
//!   `kubectl run -i` does while it waits for the pod to run and, later, to complete;
//! - `POST /kubeplay/await-attach?count=N`: answers once N attach sessions have ended (their
//!   process has exited in the container), or after 10 real seconds;
//! - `POST /kubeplay/await-rollout?resource=R&name=N[&namespace=NS]`: runs the clock event
//!   by event until an event of that object reports the rollout done, as the built-in
//!   `kubectl rollout status` does while it watches;
//! - `POST /kubeplay/finish-deletions[?ms=N]`: runs the clock event by event until every
//!   object terminating now is gone (or N ms passed), as the built-in `kubectl delete` does
//!   while it waits; a test calls it once the real `kubectl delete` is watching.

mod body;
mod discovery;
mod exec;
mod openapi;
mod query;
mod rest;
mod terminal;
mod watch;

use body::Body;
use http_body_util::BodyExt;
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use kubeplay_engine::Time;
use kubeplay_engine::{Cluster, Config};
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use tokio::net::TcpListener;

/// Largest request body accepted (kube-apiserver's limit is 3 MiB for most writes).
pub const MAX_BODY_BYTES: usize = 3 * 1024 * 1024;

/// How `serve` runs.
#[derive(Clone, Debug)]
pub struct Options {
    pub seed: u64,
    /// Virtual milliseconds per real millisecond; 0 freezes the clock.
    pub speed: f64,
    /// Enables the `/kubeplay/...` clock and watch controls.
    pub control: bool,
    /// Where the virtual clock starts (`None`: the engine's fixed default start). The CLI
    /// passes the wall-clock time; tests pass a fixed time to compare with the built-in side.
    pub start: Option<Time>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            seed: 1,
            speed: 1.0,
            control: false,
            start: None,
        }
    }
}

/// The state every connection shares.
pub struct Shared {
    cluster: Mutex<Cluster>,
    /// Bumped after every change so watchers wake up.
    changed: tokio::sync::watch::Sender<u64>,
    control: bool,
    addr: Mutex<String>,
    /// Watch streams currently open.
    open_watches: AtomicU64,
    /// Bumped by `/kubeplay/close-watches`: streams opened before the bump end.
    close_generation: AtomicU64,
    /// Attach sessions whose process has exited.
    attaches: AtomicU64,
}

impl Shared {
    pub fn new(opts: &Options) -> Rc<Shared> {
        let defaults = Config::default();
        let cluster = Cluster::new(Config {
            seed: opts.seed,
            start: opts.start.unwrap_or(defaults.start),
            ..defaults
        });
        let (tx, _rx) = tokio::sync::watch::channel(0);
        Rc::new(Shared {
            cluster: Mutex::new(cluster),
            changed: tx,
            control: opts.control,
            addr: Mutex::new(String::new()),
            open_watches: AtomicU64::new(0),
            close_generation: AtomicU64::new(0),
            attaches: AtomicU64::new(0),
        })
    }

    /// Counts an open watch stream until the returned guard drops.
    fn watch_opened(self: &Rc<Shared>) -> WatchGuard {
        self.open_watches.fetch_add(1, Ordering::SeqCst);
        WatchGuard(self.clone())
    }

    /// Counts an attach session whose process has exited (`/kubeplay/await-attach`).
    fn note_attach_ended(&self) {
        self.attaches.fetch_add(1, Ordering::SeqCst);
    }

    fn close_generation(&self) -> u64 {
        self.close_generation.load(Ordering::SeqCst)
    }

    /// Locks the cluster. A poisoned lock (a panic elsewhere) still yields the cluster.
    pub fn lock(&self) -> MutexGuard<'_, Cluster> {
        self.cluster.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wakes watchers after a change.
    pub fn notify(&self) {
        self.changed.send_modify(|v| *v = v.wrapping_add(1));
    }

    fn server_address(&self) -> String {
        self.addr.lock().map(|a| a.clone()).unwrap_or_default()
    }
}

/// Held by a running watch stream (see `Shared::watch_opened`).
struct WatchGuard(Rc<Shared>);

impl Drop for WatchGuard {
    fn drop(&mut self) {
        self.0.open_watches.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A kubeconfig pointing at `server` (plain http, no credentials).
pub fn kubeconfig(server: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- cluster:\n    server: {server}\n  name: kubeplay\ncontexts:\n- context:\n    cluster: kubeplay\n    namespace: default\n    user: kubeplay\n  name: kubeplay\ncurrent-context: kubeplay\npreferences: {{}}\nusers:\n- name: kubeplay\n  user: {{}}\n"
    )
}

/// Advances the virtual clock at `speed` × real time until the process ends.
pub async fn run_clock(shared: Rc<Shared>, speed: f64) {
    if speed <= 0.0 || !speed.is_finite() {
        return;
    }
    let tick = std::time::Duration::from_millis(50);
    let mut interval = tokio::time::interval(tick);
    let mut last = tokio::time::Instant::now();
    let mut carry = 0.0f64;
    loop {
        interval.tick().await;
        let now = tokio::time::Instant::now();
        let real_ms = now.duration_since(last).as_secs_f64() * 1000.0;
        last = now;
        carry += real_ms * speed;
        let ms = carry.floor();
        carry -= ms;
        if ms >= 1.0 {
            shared.lock().advance(ms as u64);
            shared.notify();
        }
    }
}

/// Serves the API on `listener` until the process ends. One task per connection.
pub async fn serve(listener: TcpListener, shared: Rc<Shared>) {
    if let Ok(a) = listener.local_addr() {
        if let Ok(mut s) = shared.addr.lock() {
            *s = a.to_string();
        }
    }
    loop {
        let (stream, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(_) => continue,
        };
        let shared = shared.clone();
        tokio::task::spawn_local(async move {
            let svc = hyper::service::service_fn(move |req| {
                let shared = shared.clone();
                async move { Ok::<_, std::convert::Infallible>(handle(shared, peer, req).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .with_upgrades()
                .await;
        });
    }
}

/// Binds `addr`, starts the clock and the server on the current runtime; returns the bound
/// address. The tasks run until the runtime shuts down.
pub async fn start(addr: SocketAddr, opts: &Options) -> std::io::Result<(SocketAddr, Rc<Shared>)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let shared = Shared::new(opts);
    tokio::task::spawn_local(run_clock(shared.clone(), opts.speed));
    tokio::task::spawn_local(serve(listener, shared.clone()));
    Ok((local, shared))
}

/// Runs the server on this thread until the process ends (a current-thread runtime: the
/// cluster is not `Send`). `ready` is called once with the bound address.
pub fn run_blocking(
    addr: SocketAddr,
    opts: &Options,
    ready: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let local = tokio::task::LocalSet::new();
    local.block_on(&rt, async move {
        let (bound, _shared) = start(addr, opts).await?;
        ready(bound);
        std::future::pending::<()>().await;
        Ok(())
    })
}

/// Starts a server on a thread of its own (tests): returns its `http://` URL.
pub fn spawn_thread(opts: Options) -> std::io::Result<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let addr = SocketAddr::from(([127, 0, 0, 1], 0));
        let tx2 = tx.clone();
        if let Err(e) = run_blocking(addr, &opts, move |a| {
            let _ = tx2.send(Ok(a));
        }) {
            let _ = tx.send(Err(e));
        }
    });
    let addr = rx
        .recv()
        .map_err(|e| std::io::Error::other(e.to_string()))??;
    Ok(format!("http://{addr}"))
}

async fn handle(
    shared: Rc<Shared>,
    peer: SocketAddr,
    mut req: Request<Incoming>,
) -> Response<Body> {
    // Periodic work inside containers (a mehdb follower's sync) is done when something could
    // observe it, as the built-in terminal does before each command.
    {
        let mut c = shared.lock();
        let c = &mut *c;
        c.runtime.catch_up(&c.api);
    }
    if let Some((ns, name, attach)) = exec_target(&req) {
        let on_upgrade = hyper::upgrade::on(&mut req);
        let (parts, _) = req.into_parts();
        let r = rest::Req::new(parts, Vec::new());
        if attach {
            return exec::attach(shared, &r, on_upgrade, &ns, &name);
        }
        return exec::upgrade(shared, &r, on_upgrade, &ns, &name);
    }
    let (parts, incoming) = req.into_parts();
    // Read the body with a cap: larger requests get 413 without being buffered whole.
    let limited = http_body_util::Limited::new(incoming, MAX_BODY_BYTES);
    let bytes = match limited.collect().await {
        Ok(c) => c.to_bytes(),
        Err(e) => {
            if e.is::<http_body_util::LengthLimitError>() {
                return rest::status_response(
                    413,
                    "RequestEntityTooLarge",
                    "the server has received a request that is too large",
                );
            }
            return rest::status_response(400, "BadRequest", "error reading the request body");
        }
    };
    let req = rest::Req::new(parts, bytes.to_vec());
    if req.path.starts_with("/kubeplay/") {
        return control(&shared, peer, &req).await;
    }
    rest::dispatch(shared, req).await
}

/// `(namespace, pod, is_attach)` of a WebSocket upgrade to `pods/<name>/exec` or `/attach`.
fn exec_target(req: &Request<Incoming>) -> Option<(String, String, bool)> {
    let upgrade = req
        .headers()
        .get("upgrade")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !upgrade.eq_ignore_ascii_case("websocket") {
        return None;
    }
    let segs: Vec<&str> = req
        .uri()
        .path()
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    match segs.as_slice() {
        ["api", "v1", "namespaces", ns, "pods", name, "exec"] => {
            Some((query::decode(ns), query::decode(name), false))
        }
        ["api", "v1", "namespaces", ns, "pods", name, "attach"] => {
            Some((query::decode(ns), query::decode(name), true))
        }
        _ => None,
    }
}

/// The test-only clock and watch controls (loopback clients, and only when enabled).
async fn control(shared: &Shared, peer: SocketAddr, req: &rest::Req) -> Response<Body> {
    let not_found = || {
        rest::status_response(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
    };
    if !shared.control || !peer.ip().is_loopback() || req.method != hyper::Method::POST {
        return not_found();
    }
    let ms = req.query.get("ms").and_then(|v| v.parse::<u64>().ok());
    match req.path.as_str() {
        "/kubeplay/advance" => {
            shared.lock().advance(ms.unwrap_or(0));
        }
        "/kubeplay/settle" => {
            shared.lock().settle(ms.unwrap_or(600_000));
        }
        "/kubeplay/await-watch" => {
            let want = req
                .query
                .get("count")
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(1);
            let wait_ms = req
                .query
                .get("timeoutMs")
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(10_000)
                .min(60_000);
            let give_up = tokio::time::Instant::now() + std::time::Duration::from_millis(wait_ms);
            while shared.open_watches.load(Ordering::SeqCst) < want
                && tokio::time::Instant::now() < give_up
            {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }
        "/kubeplay/await-pod-phase" => {
            let q = |k: &str| req.query.get(k).map(String::as_str).unwrap_or("");
            let (ns, name) = q("pod").split_once('/').unwrap_or(("default", q("pod")));
            let phases: Vec<&str> = q("phase").split(',').collect();
            let or_gone = q("orGone") == "true";
            await_pod_phase(
                &mut shared.lock(),
                ns,
                name,
                &phases,
                or_gone,
                ms.unwrap_or(60_000),
            );
        }
        "/kubeplay/await-attach" => {
            let want = req
                .query
                .get("count")
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(1);
            let give_up = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
            while shared.attaches.load(Ordering::SeqCst) < want
                && tokio::time::Instant::now() < give_up
            {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }
        "/kubeplay/await-rollout" => {
            let q = |k: &str| req.query.get(k).map(String::as_str).unwrap_or("");
            if let Some(kind) = kubeplay_engine::Kind::resolve(q("resource")) {
                let ns = if q("namespace").is_empty() {
                    "default"
                } else {
                    q("namespace")
                };
                await_rollout(&mut shared.lock(), kind, ns, q("name"));
            }
        }
        "/kubeplay/finish-deletions" => {
            finish_deletions(&mut shared.lock(), ms.unwrap_or(7 * 24 * 3600 * 1000));
        }
        "/kubeplay/close-watches" => {
            shared.close_generation.fetch_add(1, Ordering::SeqCst);
        }
        _ => return not_found(),
    }
    let now = shared.lock().now().rfc3339_micro();
    shared.notify();
    rest::json_response(
        200,
        &serde_json::json!({
            "now": now,
            "openWatches": shared.open_watches.load(Ordering::SeqCst),
            "attaches": shared.attaches.load(Ordering::SeqCst),
        }),
    )
}

/// Steps the cluster until the objects terminating now are gone (matched by uid), `timeout_ms`
/// passes, or nothing more can happen: the built-in `kubectl delete --wait` loop.
fn finish_deletions(c: &mut Cluster, timeout_ms: u64) {
    use kubeplay_engine::object;
    let terminating: Vec<(kubeplay_engine::Kind, String, String, String)> = c
        .api
        .store
        .all_objects()
        .filter(|(_, o)| object::get(o, &["metadata", "deletionTimestamp"]).is_some())
        .map(|(k, o)| {
            (
                k,
                object::namespace(o).to_string(),
                object::name(o).to_string(),
                object::uid(o).to_string(),
            )
        })
        .collect();
    let deadline = c.now().plus_ms(timeout_ms);
    c.run_now();
    loop {
        let left = terminating.iter().any(|(k, ns, name, uid)| {
            c.api
                .try_get(*k, ns, name)
                .is_some_and(|o| object::uid(o) == uid)
        });
        match c.next_timer() {
            _ if !left => return,
            Some(t) if t <= deadline => {
                c.step_to_next_event();
            }
            Some(_) => {
                c.advance_to(deadline);
                return;
            }
            // Nothing will ever change: the built-in delete stops waiting here too.
            None => return,
        }
    }
}

/// Steps the cluster until pod `ns/name` is in one of `phases` (or, with `or_gone`, is
/// gone), or `timeout_ms` passes: what the built-in `kubectl run -i` waits for before it
/// attaches and, after the shell exits, before `--rm` deletes the pod.
fn await_pod_phase(
    c: &mut Cluster,
    ns: &str,
    name: &str,
    phases: &[&str],
    or_gone: bool,
    timeout_ms: u64,
) {
    use kubeplay_engine::{object, Kind};
    kubeplay_kubectl::sim::wait_until(c, timeout_ms, |c| {
        match c.api.try_get(Kind::Pod, ns, name) {
            Some(p) => {
                object::get_str(p, &["status", "phase"]).is_some_and(|ph| phases.contains(&ph))
            }
            None => or_gone,
        }
    });
}

/// Steps the cluster until a watch event of `kind` `ns/name` reports its rollout done (or it
/// is deleted, or nothing more can happen): the built-in `kubectl rollout status` loop,
/// started where the real kubectl's watch starts.
fn await_rollout(c: &mut Cluster, kind: kubeplay_engine::Kind, ns: &str, name: &str) {
    use kubeplay_engine::object;
    use kubeplay_engine::store::EventType;
    if c.api
        .try_get(kind, ns, name)
        .is_none_or(|o| kubeplay_kubectl::cmd::rollout::status_message(kind, o).is_ok_and(|s| s.1))
    {
        return;
    }
    let mut cursor = c.api.store.head();
    loop {
        match c.next_timer() {
            None => c.run_now(),
            Some(_) => {
                c.step_to_next_event();
            }
        }
        let events: Vec<_> = match c.api.store.events_since(cursor) {
            Ok(evs) => evs
                .filter(|e| {
                    e.kind == kind
                        && object::name(e.object()) == name
                        && object::namespace(e.object()) == ns
                })
                .map(|e| (e.event_type, e.object().clone()))
                .collect(),
            Err(_) => Vec::new(),
        };
        cursor = c.api.store.head();
        for (typ, o) in events {
            if typ == EventType::Deleted {
                return;
            }
            match kubeplay_kubectl::cmd::rollout::status_message(kind, &o) {
                Ok((_, true)) | Err(_) => return,
                Ok(_) => {}
            }
        }
        if c.next_timer().is_none() && c.is_idle() {
            return;
        }
    }
}

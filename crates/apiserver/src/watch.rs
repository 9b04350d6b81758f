//! Watch over HTTP: a chunked stream of `{"type": ..., "object": ...}` lines read from the
//! engine's watch log, with kube-apiserver's resourceVersion semantics (unset or "0": the
//! current state as ADDED events first; otherwise every change after that version, or
//! 410 Gone when it was compacted), bookmarks, and Table-shaped objects for `kubectl get -w`.
//!
//! Known simplification: label/field selectors are applied to the new state only, so an object
//! that stops matching is not reported as DELETED to a filtered watch.

use crate::body::Body;
use crate::rest::{self, Req, Target};
use crate::Shared;
use hyper::body::Bytes;
use hyper::Response;
use kubeplay_engine::store::{Cursor, EventType};
use kubeplay_engine::{ApiError, Kind, Selector, Time};
use serde_json::{json, Value};
use std::rc::Rc;
use std::sync::Arc;

/// Real time between bookmarks when the client allows them.
const BOOKMARK_EVERY: std::time::Duration = std::time::Duration::from_secs(10);
/// Default watch timeout (kube-apiserver picks 30–60 minutes).
const DEFAULT_TIMEOUT_SECS: u64 = 1800;

struct Filter {
    kind: Kind,
    namespace: Option<String>,
    labels: Selector,
    fields: Vec<crate::query::FieldReq>,
}

impl Filter {
    fn matches(&self, kind: Kind, o: &Value) -> bool {
        kind == self.kind
            && self
                .namespace
                .as_deref()
                .is_none_or(|ns| kubeplay_engine::object::namespace(o) == ns)
            && self.labels.matches_object(o)
            && crate::query::field_matches(&self.fields, o)
    }
}

/// How a watched object is encoded.
struct Encoder {
    table: Option<Req>,
    kind: Kind,
    /// The URL's group-version: objects are sent in it.
    group_version: String,
    sent_headers: bool,
}

impl Encoder {
    fn line(&mut self, event_type: &str, o: &Arc<Value>, now: Time) -> Bytes {
        let object = match &self.table {
            Some(req) => {
                let t = rest::table_at(
                    now,
                    req,
                    self.kind,
                    std::slice::from_ref(o),
                    !self.sent_headers,
                );
                self.sent_headers = true;
                t
            }
            None => {
                let mut v = (**o).clone();
                v["apiVersion"] = json!(self.group_version);
                v["kind"] = json!(self.kind.name());
                v
            }
        };
        let mut s =
            serde_json::to_vec(&json!({"type": event_type, "object": object})).unwrap_or_default();
        s.push(b'\n');
        Bytes::from(s)
    }
}

fn gone(message: &str) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
           "message": message, "reason": "Expired", "code": 410})
}

/// Where to start reading the log for `resourceVersion = rv`: the first event newer than it.
fn cursor_after(store: &kubeplay_engine::store::Store, rv: u64) -> Result<Cursor, ()> {
    let head = store.head();
    let base = Cursor(head.0 - store.log_len() as u64);
    let Ok(events) = store.events_since(base) else {
        return Err(());
    };
    let mut idx = base.0;
    let mut first_rv = None;
    for e in events {
        if first_rv.is_none() {
            first_rv = Some(e.resource_version);
        }
        if e.resource_version > rv {
            break;
        }
        idx += 1;
    }
    // Events between `rv` and the oldest retained one were compacted away.
    if base.0 > 0 && first_rv.is_some_and(|f| f > rv + 1) {
        return Err(());
    }
    Ok(Cursor(idx))
}

pub fn start(shared: Rc<Shared>, req: &Req, t: &Target) -> Response<Body> {
    let (labels, fields) = match rest::selectors(req, t) {
        Ok(x) => x,
        Err(e) => return rest::error_response(&e),
    };
    let rv_param = req
        .query
        .get("resourceVersion")
        .cloned()
        .unwrap_or_default();
    let rv: Option<u64> = match rv_param.as_str() {
        "" | "0" => None,
        s => match s.parse() {
            Ok(v) => Some(v),
            Err(_) => {
                return rest::error_response(&ApiError::bad_request(format!(
                    "resourceVersion: Invalid value: \"{s}\": must be a valid resource version"
                )))
            }
        },
    };
    let bookmarks = matches!(
        req.query.get("allowWatchBookmarks").map(String::as_str),
        Some("true" | "1")
    );
    let timeout = req
        .query
        .get("timeoutSeconds")
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(DEFAULT_TIMEOUT_SECS);
    let filter = Filter {
        kind: t.kind,
        namespace: t.namespace.clone(),
        labels,
        fields,
    };
    let mut enc = Encoder {
        table: req.wants_table().then(|| Req {
            method: req.method.clone(),
            path: req.path.clone(),
            query: req.query.clone(),
            pairs: Vec::new(),
            headers: req.headers.clone(),
            body: Vec::new(),
        }),
        kind: t.kind,
        group_version: t.group_version.clone(),
        sent_headers: false,
    };
    // Initial state and the starting cursor, read under one lock so nothing is missed.
    let mut initial: Vec<Bytes> = Vec::new();
    let cursor = {
        let c = shared.lock();
        let now = c.now();
        match rv {
            None => {
                for o in c
                    .api
                    .list(t.kind, t.namespace.as_deref(), &Selector::everything())
                {
                    if filter.matches(t.kind, &o) {
                        initial.push(enc.line("ADDED", &o, now));
                    }
                }
                c.api.store.head()
            }
            Some(rv) => match cursor_after(&c.api.store, rv) {
                Ok(cur) => cur,
                Err(()) => {
                    let msg = format!(
                        "too old resource version: {rv} ({})",
                        c.api.store.resource_version()
                    );
                    let mut line =
                        serde_json::to_vec(&json!({"type": "ERROR", "object": gone(&msg)}))
                            .unwrap_or_default();
                    line.push(b'\n');
                    initial.push(Bytes::from(line));
                    Cursor(u64::MAX)
                }
            },
        }
    };
    let content_type = "application/json";
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(256);
    let mut changed = shared.changed.subscribe();
    let guard = shared.watch_opened();
    let generation = shared.close_generation();
    let group_version = t.group_version.clone();
    tokio::task::spawn_local(async move {
        let _guard = guard;
        for b in initial {
            if tx.send(b).await.is_err() {
                return;
            }
        }
        if cursor.0 == u64::MAX {
            return;
        }
        let mut cursor = cursor;
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(timeout);
        let mut next_bookmark = tokio::time::Instant::now() + BOOKMARK_EVERY;
        loop {
            let mut lines = Vec::new();
            let mut expired = false;
            let mut rv_now = 0;
            // Read before the events: a close asked for before this point sees them all sent.
            let closing = shared.close_generation() != generation;
            {
                let c = shared.lock();
                match c.api.store.events_since(cursor) {
                    Ok(events) => {
                        for e in events {
                            cursor.0 += 1;
                            if e.kind == filter.kind && filter.matches(e.kind, e.object()) {
                                let ty = match e.event_type {
                                    EventType::Added => "ADDED",
                                    EventType::Modified => "MODIFIED",
                                    EventType::Deleted => "DELETED",
                                };
                                lines.push(enc.line(ty, e.object(), e.time));
                            }
                        }
                    }
                    Err(_) => expired = true,
                }
                if bookmarks {
                    rv_now = c.api.store.resource_version();
                }
            }
            if expired {
                let mut line = serde_json::to_vec(&json!({"type": "ERROR", "object": gone("The resourceVersion for the provided watch is too old.")}))
                    .unwrap_or_default();
                line.push(b'\n');
                let _ = tx.send(Bytes::from(line)).await;
                return;
            }
            for l in lines {
                if tx.send(l).await.is_err() {
                    return;
                }
            }
            let now = tokio::time::Instant::now();
            if now >= deadline || closing {
                return;
            }
            if bookmarks && now >= next_bookmark {
                next_bookmark = now + BOOKMARK_EVERY;
                let obj = json!({"kind": filter.kind.name(), "apiVersion": group_version,
                                 "metadata": {"resourceVersion": rv_now.to_string()}});
                let mut line = serde_json::to_vec(&json!({"type": "BOOKMARK", "object": obj}))
                    .unwrap_or_default();
                line.push(b'\n');
                if tx.send(Bytes::from(line)).await.is_err() {
                    return;
                }
            }
            let wake = if bookmarks {
                next_bookmark.min(deadline)
            } else {
                deadline
            };
            tokio::select! {
                r = changed.changed() => { if r.is_err() { return; } }
                _ = tokio::time::sleep_until(wake) => {}
                _ = tx.closed() => { return; }
            }
        }
    });
    Response::builder()
        .status(200)
        .header("content-type", content_type)
        .header("transfer-encoding", "chunked")
        .body(Body::Stream(rx))
        .unwrap_or_else(|_| Response::new(Body::full(Vec::new())))
}

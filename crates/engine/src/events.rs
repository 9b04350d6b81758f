//! Event recording as client-go's `record` package does it: Event objects named
//! `<object>.<hex nanos>`, identical events within 10 minutes counted instead of repeated,
//! and more than 10 similar events collapsed into `(combined from similar events): ...`.

use crate::api::Api;
use crate::kinds::Kind;
use crate::object::{self, Object};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Who reports an event (`source.component`, `source.host`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Source<'a> {
    pub component: &'a str,
    pub host: Option<&'a str>,
}

const WINDOW_MS: u64 = 10 * 60 * 1000;
const MAX_SIMILAR: usize = 10;

/// Bookkeeping for deduplication; lives in the `Api` so every reporter shares it.
#[derive(Clone, Debug, Default)]
pub struct EventCache {
    /// similar key (source, involved object, type, reason) → what was seen under it
    similar: BTreeMap<String, Similar>,
}

/// The events recorded under one similar key. Both lists are short (aggregation starts at
/// ten messages) and usually hold one entry, which a list keeps in a few dozen bytes where
/// a map's first node takes hundreds (a 10,000-pod scale-up keeps 60,000 of these).
#[derive(Clone, Debug, Default)]
struct Similar {
    /// distinct messages seen in the window, with their last time
    messages: Vec<(String, u64)>,
    /// exact key (the message, or `*combined*`) → (event namespace, event name, last seen ms)
    exact: Vec<(String, (String, String, u64))>,
}

/// The exact key of aggregated events (client-go's `EventAggregatorByReasonMessageFunc`).
const COMBINED: &str = "*combined*";

impl Api {
    /// Records an event about `involved`. `field_path` names a container (`spec.containers{nginx}`).
    #[allow(clippy::too_many_arguments)]
    pub fn record_event(
        &mut self,
        involved: &Object,
        field_path: Option<&str>,
        event_type: &str,
        reason: &str,
        message: &str,
        source: Source<'_>,
    ) {
        // The cache is moved out while the event is written (writing never records events),
        // so the entry found for the similar key stays in hand instead of being searched for
        // again to note where the event went.
        let mut cache = std::mem::take(&mut self.event_cache);
        self.record_with(
            &mut cache, involved, field_path, event_type, reason, message, source,
        );
        self.event_cache = cache;
    }

    #[allow(clippy::too_many_arguments)]
    fn record_with(
        &mut self,
        cache: &mut EventCache,
        involved: &Object,
        field_path: Option<&str>,
        event_type: &str,
        reason: &str,
        message: &str,
        source: Source<'_>,
    ) {
        let now = self.now;
        // The involved object's metadata is found once; each field is then one scan of it.
        let meta = object::get(involved, &["metadata"]).and_then(Value::as_object);
        let meta_str = |k: &str| {
            meta.and_then(|m| object::field(m, k))
                .and_then(Value::as_str)
                .unwrap_or("")
        };
        let (inv_name, inv_ns, inv_uid) =
            (meta_str("name"), meta_str("namespace"), meta_str("uid"));
        let inv_kind = object::kind(involved);
        let ns = {
            let n = inv_ns;
            if n.is_empty() {
                "default".to_string()
            } else {
                n.to_string()
            }
        };
        // One string for source, involved object, type and reason; the message is a second
        // level, so a lookup formats nothing else.
        // Joined by hand: `format!` costs more than the event's other strings together.
        let parts = [
            source.component,
            "/",
            source.host.unwrap_or(""),
            "|",
            inv_kind,
            "/",
            &ns,
            "/",
            inv_name,
            "/",
            inv_uid,
            "/",
            field_path.unwrap_or(""),
            "|",
            event_type,
            "|",
            reason,
        ];
        let mut similar_key = String::with_capacity(parts.iter().map(|p| p.len()).sum());
        for p in parts {
            similar_key.push_str(p);
        }
        // Aggregation: count distinct messages for the similar key inside the window.
        // One search, found or not (the key is built either way; a found one drops it).
        let similar = cache.similar.entry(similar_key).or_default();
        similar
            .messages
            .retain(|(_, t)| now.0.saturating_sub(*t) <= WINDOW_MS);
        match similar.messages.iter_mut().find(|(m, _)| m == message) {
            Some((_, t)) => *t = now.0,
            None => similar.messages.push((message.to_string(), now.0)),
        }
        let combined = similar.messages.len() >= MAX_SIMILAR;
        let (message, exact_key) = if combined {
            (
                format!("(combined from similar events): {message}"),
                COMBINED,
            )
        } else {
            (message.to_string(), message)
        };
        let known = similar
            .exact
            .iter()
            .find(|(k, _)| k == exact_key)
            .map(|(_, v)| v)
            .filter(|(_, _, last)| now.0.saturating_sub(*last) <= WINDOW_MS)
            .map(|(ev_ns, ev_name, _)| (ev_ns.clone(), ev_name.clone()));
        // The engine's own Events are well-formed: they skip the generic pipeline's decoding,
        // defaulting and admission (`create_built`, `update_built`), which would leave them
        // unchanged, and are built field by field instead of through `json!`.
        let stamp = now.rfc3339();
        if let Some((ev_ns, ev_name)) = known {
            if let Some(existing) = self.store.get(Kind::Event, &ev_ns, &ev_name).cloned() {
                let mut e = (*existing).clone();
                let count = object::get_i64(&e, &["count"]).unwrap_or(1) + 1;
                if let Some(m) = e.as_object_mut() {
                    m.insert("count".into(), Value::from(count));
                    m.insert("lastTimestamp".into(), Value::String(stamp.clone()));
                    m.insert("message".into(), Value::String(message.clone()));
                }
                if self.update_built(Kind::Event, &existing, e).is_ok() {
                    remember(similar, exact_key, ev_ns, ev_name, now.0);
                    return;
                }
            }
        }
        let nanos = now.0 * 1_000_000 + self.next_event_seq();
        let name = format!("{inv_name}.{nanos:x}");
        let s = |v: &str| Value::String(v.to_string());
        let mut involved_ref = Map::new();
        involved_ref.insert("apiVersion".into(), s(object::api_version(involved)));
        involved_ref.insert("kind".into(), s(inv_kind));
        involved_ref.insert("name".into(), s(inv_name));
        involved_ref.insert("uid".into(), s(inv_uid));
        involved_ref.insert("resourceVersion".into(), s(meta_str("resourceVersion")));
        if !inv_ns.is_empty() {
            involved_ref.insert("namespace".into(), s(inv_ns));
        }
        if let Some(fp) = field_path {
            involved_ref.insert("fieldPath".into(), s(fp));
        }
        let mut src_obj = Map::new();
        src_obj.insert("component".into(), s(source.component));
        if let Some(h) = source.host {
            src_obj.insert("host".into(), s(h));
        }
        let mut meta = Map::new();
        meta.insert("name".into(), s(&name));
        meta.insert("namespace".into(), s(&ns));
        let mut ev = Map::new();
        ev.insert("apiVersion".into(), s("v1"));
        ev.insert("kind".into(), s("Event"));
        ev.insert("metadata".into(), Value::Object(meta));
        ev.insert("involvedObject".into(), Value::Object(involved_ref));
        ev.insert("reason".into(), s(reason));
        ev.insert("message".into(), Value::String(message));
        ev.insert("source".into(), Value::Object(src_obj));
        ev.insert("firstTimestamp".into(), s(&stamp));
        ev.insert("lastTimestamp".into(), Value::String(stamp.clone()));
        ev.insert("count".into(), Value::from(1));
        ev.insert("type".into(), s(event_type));
        ev.insert("eventTime".into(), Value::Null);
        ev.insert("reportingComponent".into(), s(source.component));
        ev.insert("reportingInstance".into(), s(source.host.unwrap_or("")));
        // The creationTimestamp is this moment too: formatted once.
        if self
            .create_built(Kind::Event, Value::Object(ev), stamp)
            .is_ok()
        {
            remember(similar, exact_key, ns, name, now.0);
        }
    }
}

/// Notes which Event object an exact key last went to, and when.
fn remember(similar: &mut Similar, exact_key: &str, ns: String, name: String, at: u64) {
    match similar.exact.iter_mut().find(|(k, _)| k == exact_key) {
        Some((_, slot)) => *slot = (ns, name, at),
        None => similar.exact.push((exact_key.to_string(), (ns, name, at))),
    }
}

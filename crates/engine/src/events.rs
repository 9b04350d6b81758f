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
    /// The `source` of Events, per component and host: the same map for every Event one
    /// reporter records, shared (maps are copy on write). `None` is the host-less source.
    sources: BTreeMap<String, Sources>,
    /// The last `involvedObject` built: the kubelet reports a container's Created and Started
    /// about the same pod version, which then share it.
    last_involved: Value,
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

/// The `source` maps of one component: without a host, and per host.
#[derive(Clone, Debug, Default)]
struct Sources {
    hostless: Option<Value>,
    by_host: BTreeMap<String, Value>,
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
        // `<object>.<hex nanos>`, joined by hand (`format!` costs more than the rest).
        let mut name = String::with_capacity(inv_name.len() + 17);
        name.push_str(inv_name);
        name.push('.');
        let digits = (64 - nanos.leading_zeros()).div_ceil(4).max(1);
        for shift in (0..digits).rev() {
            let nibble = (nanos >> (shift * 4)) & 0xf;
            name.push(char::from_digit(nibble as u32, 16).unwrap_or('0'));
        }
        let s = |v: &str| Value::String(v.to_string());
        let inv_api_version = object::api_version(involved);
        let inv_rv = meta_str("resourceVersion");
        // Keys in order: the map is built from sorted entries, without searching.
        let entries = [
            ("apiVersion", Some(inv_api_version)),
            ("fieldPath", field_path),
            ("kind", Some(inv_kind)),
            ("name", Some(inv_name)),
            ("namespace", Some(inv_ns).filter(|n| !n.is_empty())),
            ("resourceVersion", Some(inv_rv)),
            ("uid", Some(inv_uid)),
        ];
        let involved_ref = if same_involved(&cache.last_involved, entries) {
            cache.last_involved.clone()
        } else {
            let built = Value::Object(
                entries
                    .into_iter()
                    .filter_map(|(k, v)| Some((k.to_string(), s(v?))))
                    .collect(),
            );
            cache.last_involved = built.clone();
            built
        };
        let src_obj = cache
            .sources
            .get(source.component)
            .and_then(|of| match source.host {
                Some(h) => of.by_host.get(h).cloned(),
                None => of.hostless.clone(),
            });
        let src_obj = match src_obj {
            Some(v) => v,
            None => {
                let mut m = Map::new();
                m.insert("component".into(), s(source.component));
                if let Some(h) = source.host {
                    m.insert("host".into(), s(h));
                }
                let v = Value::Object(m);
                let of = cache
                    .sources
                    .entry(source.component.to_string())
                    .or_default();
                match source.host {
                    Some(h) => {
                        of.by_host.insert(h.to_string(), v.clone());
                    }
                    None => of.hostless = Some(v.clone()),
                }
                v
            }
        };
        // Room for the uid, creationTimestamp and resourceVersion `create_built` adds (a map
        // built from a vector keeps its capacity), so they go in without regrowing it.
        let mut meta_entries = Vec::with_capacity(5);
        meta_entries.push(("name".to_string(), Value::String(name.clone())));
        meta_entries.push(("namespace".to_string(), s(&ns)));
        let meta: Map<String, Value> = meta_entries.into_iter().collect();
        // In key order, so the map is built without searching.
        let ev: Map<String, Value> = [
            ("apiVersion", s("v1")),
            ("count", Value::from(1)),
            ("eventTime", Value::Null),
            ("firstTimestamp", s(&stamp)),
            ("involvedObject", involved_ref),
            ("kind", s("Event")),
            ("lastTimestamp", s(&stamp)),
            ("message", Value::String(message)),
            ("metadata", Value::Object(meta)),
            ("reason", s(reason)),
            ("reportingComponent", s(source.component)),
            ("reportingInstance", s(source.host.unwrap_or(""))),
            ("source", src_obj),
            ("type", s(event_type)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        // The creationTimestamp is this moment too: formatted once.
        if self
            .create_built(Kind::Event, Value::Object(ev), stamp)
            .is_ok()
        {
            remember(similar, exact_key, ns, name, now.0);
        }
    }
}

/// Whether `last` is the `involvedObject` map with exactly these fields (`None`: absent).
fn same_involved(last: &Value, fields: [(&str, Option<&str>); 7]) -> bool {
    let Some(m) = last.as_object() else {
        return false;
    };
    m.len() == fields.iter().filter(|(_, v)| v.is_some()).count()
        && fields.iter().all(|(k, v)| match v {
            Some(v) => object::field(m, k).and_then(Value::as_str) == Some(*v),
            None => true,
        })
}

/// Notes which Event object an exact key last went to, and when.
fn remember(similar: &mut Similar, exact_key: &str, ns: String, name: String, at: u64) {
    match similar.exact.iter_mut().find(|(k, _)| k == exact_key) {
        Some((_, slot)) => *slot = (ns, name, at),
        None => similar.exact.push((exact_key.to_string(), (ns, name, at))),
    }
}

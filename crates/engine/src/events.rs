//! Event recording as client-go's `record` package does it: Event objects named
//! `<object>.<hex nanos>`, identical events within 10 minutes counted instead of repeated,
//! and more than 10 similar events collapsed into `(combined from similar events): ...`.

use crate::api::Api;
use crate::kinds::Kind;
use crate::object::{self, Object};
use crate::store::uid_head;
use crate::time::Time;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

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
    /// similar key (source, involved object, type, reason) → what was seen under it. The
    /// key is led by the head of the involved object's uid (`uid_head`), which nearly always
    /// tells keys apart with one integer comparison: a scale-up holds 60,000 keys, and a
    /// string comparison each step of the search costs more than the rest of it.
    ///
    /// The map holds each key's place in `entries`: a node of keys with their `Similar`s
    /// inline would be 1.5 KB, a large chunk for glibc, whose every allocation first
    /// consolidates the allocator's fast bins (a scale-up allocates thousands of them).
    /// Keys are never removed (an entry's messages expire, the entry stays), so places are
    /// stable.
    similar: BTreeMap<(u64, Box<str>), u32>,
    entries: Vec<Similar>,
    /// The `source` of Events, per component and host: the same map for every Event one
    /// reporter records, shared (maps are copy on write). `None` is the host-less source.
    sources: BTreeMap<String, Sources>,
    /// The last second stamped (`rfc3339`, second precision) and its text: the Events of
    /// one moment share it.
    stamp: Option<(u64, String)>,
}

/// The events recorded under one similar key. The list is short (aggregation starts at ten
/// messages) and usually holds one entry, which lives inline: a 10,000-pod scale-up keeps
/// 60,000 of these, each with one message.
#[derive(Clone, Debug, Default)]
struct Similar {
    /// Distinct messages seen in the window, with their last time and the Event their exact
    /// key (the message) last went to. An exact entry lives as long as its message: both are
    /// stamped at the same record, so when the message leaves the window its Event is out of
    /// the window too.
    messages: Messages,
    /// The Event the aggregated messages (exact key `*combined*`) last went to.
    combined: Option<Recorded>,
}

/// A set of `Seen` messages in no particular order, the first without an allocation.
#[derive(Clone, Debug, Default)]
struct Messages {
    first: Option<Seen>,
    more: Vec<Seen>,
}

impl Messages {
    /// Forgets the messages last seen more than the window before `now_ms`.
    fn expire(&mut self, now_ms: u64) {
        let live = |m: &Seen| now_ms.saturating_sub(m.last_ms) <= WINDOW_MS;
        self.more.retain(live);
        if !self.first.as_ref().is_some_and(live) {
            self.first = self.more.pop();
        }
    }

    /// The entry for `message` (added if new), last seen `now_ms`, and how many entries
    /// there are with it.
    fn see(&mut self, message: &str, now_ms: u64) -> (usize, &mut Seen) {
        let new = || Seen {
            message: message.to_string(),
            last_ms: now_ms,
            event: None,
        };
        // `first` is empty only when `more` is too (`expire` refills it from there).
        if self.first.is_none() {
            return (1, self.first.insert(new()));
        }
        let (len, seen) = match &mut self.first {
            Some(first) if first.message == message => (1 + self.more.len(), first),
            _ => {
                let at = match self.more.iter().position(|m| m.message == message) {
                    Some(at) => at,
                    None => {
                        self.more.push(new());
                        self.more.len() - 1
                    }
                };
                (1 + self.more.len(), &mut self.more[at])
            }
        };
        seen.last_ms = now_ms;
        (len, seen)
    }
}

#[derive(Clone, Debug)]
struct Seen {
    message: String,
    last_ms: u64,
    event: Option<Recorded>,
}

/// An Event recorded under an exact key: the hex nanos of its name (`<object>.<nanos>`,
/// the object's name and the namespace are the similar key's) and when it was last written.
#[derive(Clone, Copy, Debug)]
struct Recorded {
    nanos: u64,
    at_ms: u64,
}

/// The `source` maps of one component: without a host, and per host.
#[derive(Clone, Debug, Default)]
struct Sources {
    hostless: Option<Value>,
    by_host: BTreeMap<String, Value>,
}

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
        // The four fields the Event copies are read in one pass over it (a missing or
        // non-string field reads as empty).
        // The root's apiVersion, kind and metadata are read in one pass over it too.
        let (mut inv_name, mut inv_ns, mut inv_uid, mut inv_rv) = ("", "", "", "");
        let (mut inv_api_version, mut inv_kind, mut meta) = ("", "", None);
        for (k, v) in involved.as_object().into_iter().flatten() {
            match k.as_str() {
                "apiVersion" => inv_api_version = v.as_str().unwrap_or(""),
                "kind" => inv_kind = v.as_str().unwrap_or(""),
                "metadata" => meta = v.as_object(),
                _ => {}
            }
        }
        if let Some(meta) = meta {
            for (k, v) in meta {
                let slot = match k.as_str() {
                    "name" => &mut inv_name,
                    "namespace" => &mut inv_ns,
                    "uid" => &mut inv_uid,
                    "resourceVersion" => &mut inv_rv,
                    _ => continue,
                };
                if let Some(v) = v.as_str() {
                    *slot = v;
                }
            }
        }
        let ns = if inv_ns.is_empty() { "default" } else { inv_ns };
        // One string for source, involved object, type and reason; the message is a second
        // level, so a lookup formats nothing else. The uid leads: keys then differ in their
        // first bytes, where the source and the namespace would make every comparison walk a
        // long common prefix. (No part holds a `/` or `|`, so any order of them keys alike.)
        // Joined by hand: `format!` costs more than the event's other strings together.
        // Each part is followed by its one-byte separator (pushed as a byte, not copied as
        // a string).
        let parts = [
            (inv_uid, '|'),
            (source.component, '/'),
            (source.host.unwrap_or(""), '|'),
            (inv_kind, '/'),
            (ns, '/'),
            (inv_name, '/'),
            (field_path.unwrap_or(""), '|'),
            (event_type, '|'),
        ];
        let len = parts.iter().map(|(p, _)| p.len() + 1).sum::<usize>() + reason.len();
        let mut similar_key = String::with_capacity(len);
        for (p, sep) in parts {
            similar_key.push_str(p);
            similar_key.push(sep);
        }
        similar_key.push_str(reason);
        // Aggregation: count distinct messages for the similar key inside the window.
        // One search, found or not (the key is built either way; a found one drops it).
        let place = match cache
            .similar
            .entry((uid_head(inv_uid), similar_key.into_boxed_str()))
        {
            std::collections::btree_map::Entry::Occupied(o) => *o.get() as usize,
            std::collections::btree_map::Entry::Vacant(v) => {
                cache.entries.push(Similar::default());
                let place = cache.entries.len() - 1;
                // Past 4 billion keys the places would wrap: far beyond any cluster.
                v.insert(u32::try_from(place).unwrap_or(u32::MAX));
                place
            }
        };
        let Some(similar) = cache.entries.get_mut(place) else {
            return;
        };
        similar.messages.expire(now.0);
        let (distinct, seen) = similar.messages.see(message, now.0);
        // The exact key (client-go's `EventAggregatorByReasonMessageFunc`): the message, or
        // `*combined*` once the similar key has seen ten distinct ones.
        let combined = distinct >= MAX_SIMILAR;
        let exact = if combined {
            &mut similar.combined
        } else {
            &mut seen.event
        };
        let message = if combined {
            std::borrow::Cow::Owned(format!("(combined from similar events): {message}"))
        } else {
            std::borrow::Cow::Borrowed(message)
        };
        let known = exact.filter(|r| now.0.saturating_sub(r.at_ms) <= WINDOW_MS);
        // The engine's own Events are well-formed: they skip the generic pipeline's decoding,
        // defaulting and admission (`create_built`, `update_built`), which would leave them
        // unchanged, and are built field by field instead of through `json!`.
        if let Some(r) = known {
            let stamp = match &cache.stamp {
                Some((secs, text)) if *secs == now.0 / 1000 => text.clone(),
                _ => {
                    let text = now.rfc3339();
                    cache.stamp = Some((now.0 / 1000, text.clone()));
                    text
                }
            };
            let ev_name = event_name(inv_name, r.nanos);
            if let Some(existing) = self.store.get(Kind::Event, ns, &ev_name).cloned() {
                let mut e = (*existing).clone();
                let count = object::get_i64(&e, &["count"]).unwrap_or(1) + 1;
                if let Some(m) = e.as_object_mut() {
                    m.insert("count".into(), Value::from(count));
                    m.insert("lastTimestamp".into(), Value::String(stamp));
                    m.insert("message".into(), Value::String(message.to_string()));
                }
                if self.update_built(Kind::Event, &existing, e).is_ok() {
                    *exact = Some(Recorded {
                        nanos: r.nanos,
                        at_ms: now.0,
                    });
                    return;
                }
            }
        }
        let nanos = now.0 * 1_000_000 + self.next_event_seq();
        let name = event_name(inv_name, nanos);
        let s = |v: &str| Value::String(v.to_string());
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
        let involved_fields = [
            inv_api_version,
            field_path.unwrap_or(""),
            inv_kind,
            inv_name,
            inv_ns,
            inv_rv,
            inv_uid,
        ];
        let record = |name: &str, rv, uid: String| {
            let [api_version, path, kind, i_name, i_ns, i_rv, i_uid] = involved_fields;
            EventRecord::new(
                [
                    name,
                    ns,
                    &uid,
                    reason,
                    event_type,
                    &message,
                    api_version,
                    path,
                    kind,
                    i_name,
                    i_ns,
                    i_rv,
                    i_uid,
                ],
                field_path.is_some(),
                rv,
                now,
                src_obj,
            )
        };
        if self.create_built(ns, name, record).is_ok() {
            *exact = Some(Recorded {
                nanos,
                at_ms: now.0,
            });
        }
    }
}

/// An Event the engine recorded, as the fields its JSON is made of: a tenth of the JSON's
/// size and two allocations instead of dozens. The store keeps it so until something reads
/// the Event (`json`), which builds the JSON once, exactly as `create` would have stored it.
#[derive(Debug)]
pub(crate) struct EventRecord {
    /// The Event's strings one after another, in the order of `Part`.
    text: Box<str>,
    /// Where each part but the last ends in `text`.
    ends: [u32; PARTS - 1],
    /// Whether `involvedObject.fieldPath` is set (it may be set and empty).
    has_field_path: bool,
    resource_version: u64,
    /// The moment recorded: creationTimestamp, firstTimestamp and lastTimestamp.
    at: Time,
    /// `source`: a map shared with the reporter's other Events.
    source: Value,
    json: OnceLock<Arc<Value>>,
}

/// The strings of an `EventRecord`, in order: the Event's own, then its `involvedObject`'s.
#[derive(Clone, Copy)]
enum Part {
    Name,
    Namespace,
    Uid,
    Reason,
    Type,
    Message,
    InvolvedApiVersion,
    InvolvedFieldPath,
    InvolvedKind,
    InvolvedName,
    InvolvedNamespace,
    InvolvedResourceVersion,
    InvolvedUid,
}

const PARTS: usize = Part::InvolvedUid as usize + 1;

impl EventRecord {
    /// `parts` in the order of `Part`.
    fn new(
        parts: [&str; PARTS],
        has_field_path: bool,
        resource_version: u64,
        at: Time,
        source: Value,
    ) -> Self {
        let mut text = String::with_capacity(parts.iter().map(|p| p.len()).sum());
        let mut ends = [0u32; PARTS - 1];
        for (i, p) in parts.iter().enumerate() {
            text.push_str(p);
            if let Some(end) = ends.get_mut(i) {
                // An Event's parts are far below 4 GiB together (the API server caps
                // objects at 3 MiB).
                *end = u32::try_from(text.len()).unwrap_or(u32::MAX);
            }
        }
        EventRecord {
            text: text.into_boxed_str(),
            ends,
            has_field_path,
            resource_version,
            at,
            source,
            json: OnceLock::new(),
        }
    }

    fn part(&self, part: Part) -> &str {
        let i = part as usize;
        let bound = |i: usize| self.ends.get(i).map_or(self.text.len(), |&e| e as usize);
        let start = if i == 0 { 0 } else { bound(i - 1) };
        self.text.get(start..bound(i)).unwrap_or("")
    }

    /// The Event as JSON, built on the first call.
    pub(crate) fn json(&self) -> &Arc<Value> {
        self.json.get_or_init(|| Arc::new(self.build()))
    }

    fn build(&self) -> Value {
        let s = |v: &str| Value::String(v.to_string());
        let p = |part| s(self.part(part));
        let stamp = self.at.rfc3339();
        let source_field = |k: &str| self.source.get(k).and_then(Value::as_str).unwrap_or("");
        // In key order, so the maps are built without searching.
        let collect = |fields: Vec<(&str, Value)>| {
            let map: Map<String, Value> = fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), v))
                .collect();
            Value::Object(map)
        };
        let mut involved = vec![("apiVersion", p(Part::InvolvedApiVersion))];
        if self.has_field_path {
            involved.push(("fieldPath", p(Part::InvolvedFieldPath)));
        }
        involved.extend([
            ("kind", p(Part::InvolvedKind)),
            ("name", p(Part::InvolvedName)),
        ]);
        if !self.part(Part::InvolvedNamespace).is_empty() {
            involved.push(("namespace", p(Part::InvolvedNamespace)));
        }
        involved.extend([
            ("resourceVersion", p(Part::InvolvedResourceVersion)),
            ("uid", p(Part::InvolvedUid)),
        ]);
        // Events carry no generation.
        let meta = vec![
            ("creationTimestamp", s(&stamp)),
            ("name", p(Part::Name)),
            ("namespace", p(Part::Namespace)),
            (
                "resourceVersion",
                Value::String(self.resource_version.to_string()),
            ),
            ("uid", p(Part::Uid)),
        ];
        collect(vec![
            ("apiVersion", s("v1")),
            ("count", Value::from(1)),
            ("eventTime", Value::Null),
            ("firstTimestamp", s(&stamp)),
            ("involvedObject", collect(involved)),
            ("kind", s("Event")),
            ("lastTimestamp", Value::String(stamp)),
            ("message", p(Part::Message)),
            ("metadata", collect(meta)),
            ("reason", p(Part::Reason)),
            ("reportingComponent", s(source_field("component"))),
            ("reportingInstance", s(source_field("host"))),
            ("source", self.source.clone()),
            ("type", p(Part::Type)),
        ])
    }
}

/// `<object>.<hex nanos>`: an Event's name, joined by hand (`format!` costs more than the
/// rest of the name's work).
fn event_name(object: &str, nanos: u64) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut digits = [0u8; 16];
    let mut at = digits.len();
    let mut rest = nanos;
    loop {
        at -= 1;
        digits[at] = HEX[(rest & 0xf) as usize];
        rest >>= 4;
        if rest == 0 || at == 0 {
            break;
        }
    }
    let mut name = String::with_capacity(object.len() + 1 + digits.len() - at);
    name.push_str(object);
    name.push('.');
    // ASCII hex digits: always UTF-8.
    name.push_str(std::str::from_utf8(&digits[at..]).unwrap_or(""));
    name
}

#[cfg(test)]
mod tests {
    use super::Source;
    use crate::kinds::Kind;
    use crate::object;
    use crate::selector::Selector;
    use crate::time::Time;
    use crate::{Cluster, Config};
    use serde_json::json;

    /// (count, message, firstTimestamp, lastTimestamp) of the test's Events, oldest first.
    fn recorded(c: &Cluster) -> Vec<(i64, String, String, String)> {
        let mut evs: Vec<_> = c
            .api
            .list(Kind::Event, Some("default"), &Selector::everything())
            .iter()
            .filter(|e| object::get_str(e, &["reason"]) == Some("Tested"))
            .map(|e| {
                let s = |k: &str| object::get_str(e, &[k]).unwrap_or("").to_string();
                (
                    object::get_i64(e, &["count"]).unwrap_or(0),
                    s("message"),
                    s("firstTimestamp"),
                    s("lastTimestamp"),
                    object::name(e).to_string(),
                )
            })
            .collect();
        evs.sort_by(|a, b| (&a.2, &a.4).cmp(&(&b.2, &b.4)));
        evs.into_iter()
            .map(|(n, m, f, l, _)| (n, m, f, l))
            .collect()
    }

    #[test]
    fn an_event_whose_name_is_invalid_is_dropped_without_drawing_a_uid() {
        let mut c = Cluster::new(Config::default());
        // A valid 250-character name: with `.<hex nanos>` the Event's name is over the
        // 253 characters a DNS subdomain may have, so the API server refuses it.
        let long = "a".repeat(250);
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": long, "namespace": "default", "uid": "u-2"}});
        let src = Source {
            component: "tester",
            host: None,
        };
        let rng = c.api.rng.clone();
        let rv = c.api.store.resource_version();
        c.api
            .record_event(&cm, None, "Normal", "Tested", "m", src.clone());
        assert_eq!(recorded(&c), []);
        assert_eq!(c.api.store.resource_version(), rv);
        assert_eq!(c.api.rng, rng);
        // A short name is recorded, with a uid drawn as `create` draws it.
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "short", "namespace": "default", "uid": "u-3"}});
        c.api.record_event(&cm, None, "Normal", "Tested", "m", src);
        assert_eq!(recorded(&c).len(), 1);
        let ev = c
            .api
            .list(Kind::Event, Some("default"), &Selector::everything())
            .into_iter()
            .find(|e| object::get_str(e, &["involvedObject", "name"]) == Some("short"))
            .unwrap();
        assert_eq!(object::uid(&ev), rng.clone().uuid());
        assert_eq!(object::resource_version(&ev), rv + 1);
        let meta: Vec<_> = ev["metadata"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(
            meta,
            [
                "creationTimestamp",
                "name",
                "namespace",
                "resourceVersion",
                "uid"
            ]
        );
    }

    #[test]
    fn a_recorded_event_reads_as_the_json_create_stores_once_for_store_and_watch() {
        let mut c = Cluster::new(Config::default());
        let pod = json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "web-0", "namespace": "default", "uid": "u-1",
                         "resourceVersion": "7"}});
        let head = c.api.store.head();
        let rng = c.api.rng.clone();
        let rv = c.api.store.resource_version() + 1;
        c.api.now = Time(c.api.now.0 + 1500);
        let src = Source {
            component: "kubelet",
            host: Some("node-1"),
        };
        c.api.record_event(
            &pod,
            Some("spec.containers{nginx}"),
            "Normal",
            "Pulled",
            "Container image \"nginx\" already present",
            src,
        );
        // A copy of the store taken before anything read the Event reads the same.
        let copy = c.api.store.clone();
        let logged: Vec<_> = c.api.store.events_since(head).unwrap().collect();
        assert_eq!(logged.len(), 1);
        let name = object::name(logged[0].object()).to_string();
        let stored = c.api.store.get(Kind::Event, "default", &name).unwrap();
        // Built once: the log and the store hand out the same object.
        assert!(std::sync::Arc::ptr_eq(logged[0].object(), stored));
        let at = c.api.now.rfc3339();
        let want = json!({
            "apiVersion": "v1",
            "count": 1,
            "eventTime": null,
            "firstTimestamp": at,
            "involvedObject": {"apiVersion": "v1", "fieldPath": "spec.containers{nginx}",
                "kind": "Pod", "name": "web-0", "namespace": "default",
                "resourceVersion": "7", "uid": "u-1"},
            "kind": "Event",
            "lastTimestamp": at,
            "message": "Container image \"nginx\" already present",
            "metadata": {"creationTimestamp": at, "name": name, "namespace": "default",
                "resourceVersion": rv.to_string(), "uid": rng.clone().uuid()},
            "reason": "Pulled",
            "reportingComponent": "kubelet",
            "reportingInstance": "node-1",
            "source": {"component": "kubelet", "host": "node-1"},
            "type": "Normal",
        });
        // Byte for byte: the digests and the API server serialise it.
        assert_eq!(
            serde_json::to_string(&**stored).unwrap(),
            serde_json::to_string(&want).unwrap()
        );
        assert_eq!(
            copy.get(Kind::Event, "default", &name).map(|e| &**e),
            Some(&want)
        );
        assert_eq!(
            copy.list(Kind::Event, Some("default")).count(),
            c.api.store.count(Kind::Event)
        );
    }

    #[test]
    fn event_names_end_in_the_nanos_in_lowercase_hex() {
        for nanos in [0, 1, 0xf, 0x10, 0x17a8_b2c3_d4e5_f600, u64::MAX] {
            assert_eq!(
                super::event_name("web-0", nanos),
                format!("web-0.{nanos:x}")
            );
        }
    }

    #[test]
    fn identical_events_count_and_similar_ones_aggregate_within_the_window() {
        let mut c = Cluster::new(Config::default());
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "cm", "namespace": "default", "uid": "u-1", "resourceVersion": "7"}});
        let src = Source {
            component: "tester",
            host: None,
        };
        let start = c.api.now;
        let at = |s: u64| Time(start.0 + s * 1000).rfc3339();
        let record = |c: &mut Cluster, secs: u64, msg: &str| {
            c.api.now = Time(start.0 + secs * 1000);
            c.api
                .record_event(&cm, None, "Normal", "Tested", msg, src.clone());
        };
        record(&mut c, 0, "m1");
        record(&mut c, 1, "m1");
        assert_eq!(recorded(&c), [(2, "m1".into(), at(0), at(1))]);
        // Ten distinct messages under one similar key: the tenth and later ones go to one
        // aggregated Event.
        for i in 2..=11 {
            record(&mut c, i, &format!("m{i}"));
        }
        record(&mut c, 12, "m1");
        let evs = recorded(&c);
        assert_eq!(evs.len(), 10, "{evs:?}");
        assert_eq!(evs[0], (2, "m1".into(), at(0), at(1)));
        assert_eq!(evs[8], (1, "m9".into(), at(9), at(9)));
        assert_eq!(
            evs[9],
            (
                3,
                "(combined from similar events): m1".into(),
                at(10),
                at(12)
            )
        );
        // Ten minutes later the window is empty: the same message is a new Event.
        record(&mut c, 12 + 601, "m1");
        let evs = recorded(&c);
        assert_eq!(evs.len(), 11);
        assert_eq!(evs[10], (1, "m1".into(), at(613), at(613)));
        // Within the window again it counts on that new Event.
        record(&mut c, 614, "m1");
        assert_eq!(recorded(&c)[10], (2, "m1".into(), at(613), at(614)));
    }
}

//! Event recording as client-go's `record` package does it: Event objects named
//! `<object>.<hex nanos>`, identical events within 10 minutes counted instead of repeated,
//! and more than 10 similar events collapsed into `(combined from similar events): ...`.

use crate::api::Api;
use crate::kinds::Kind;
use crate::object::{self, Object};
use serde_json::json;
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
    /// exact key → (event namespace, event name, last seen ms)
    exact: BTreeMap<String, (String, String, u64)>,
    /// similar key → distinct messages seen in the window, with their last time
    similar: BTreeMap<String, BTreeMap<String, u64>>,
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
        let now = self.now;
        let ns = {
            let n = object::namespace(involved);
            if n.is_empty() {
                "default".to_string()
            } else {
                n.to_string()
            }
        };
        let obj_id = format!(
            "{}/{}/{}/{}/{}",
            object::kind(involved),
            ns,
            object::name(involved),
            object::uid(involved),
            field_path.unwrap_or("")
        );
        let src = format!("{}/{}", source.component, source.host.unwrap_or(""));
        let similar_key = format!("{src}|{obj_id}|{event_type}|{reason}");
        // Aggregation: count distinct messages for the similar key inside the window.
        let mut message = message.to_string();
        let mut exact_key = format!("{similar_key}|{message}");
        {
            let cache = &mut self.event_cache;
            let seen = cache.similar.entry(similar_key.clone()).or_default();
            seen.retain(|_, t| now.0.saturating_sub(*t) <= WINDOW_MS);
            seen.insert(message.clone(), now.0);
            if seen.len() >= MAX_SIMILAR {
                message = format!("(combined from similar events): {message}");
                exact_key = format!("{similar_key}|*combined*");
            }
        }
        if let Some((ev_ns, ev_name, last)) = self.event_cache.exact.get(&exact_key).cloned() {
            if now.0.saturating_sub(last) <= WINDOW_MS {
                if let Some(existing) = self.store.get(Kind::Event, &ev_ns, &ev_name).cloned() {
                    let mut e = (*existing).clone();
                    let count = object::get_i64(&e, &["count"]).unwrap_or(1) + 1;
                    e["count"] = json!(count);
                    e["lastTimestamp"] = json!(now.rfc3339());
                    e["message"] = json!(message);
                    if self.update(e).is_ok() {
                        self.event_cache
                            .exact
                            .insert(exact_key, (ev_ns, ev_name, now.0));
                        return;
                    }
                }
            }
        }
        let nanos = now.0 * 1_000_000 + self.next_event_seq();
        let name = format!("{}.{:x}", object::name(involved), nanos);
        let mut involved_ref = json!({
            "apiVersion": object::api_version(involved),
            "kind": object::kind(involved),
            "name": object::name(involved),
            "uid": object::uid(involved),
            "resourceVersion": object::get_str(involved, &["metadata", "resourceVersion"]).unwrap_or(""),
        });
        if !object::namespace(involved).is_empty() {
            involved_ref["namespace"] = json!(object::namespace(involved));
        }
        if let Some(fp) = field_path {
            involved_ref["fieldPath"] = json!(fp);
        }
        let mut src_obj = json!({"component": source.component});
        if let Some(h) = source.host {
            src_obj["host"] = json!(h);
        }
        let ev = json!({
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": ns},
            "involvedObject": involved_ref,
            "reason": reason,
            "message": message,
            "source": src_obj,
            "firstTimestamp": now.rfc3339(),
            "lastTimestamp": now.rfc3339(),
            "count": 1,
            "type": event_type,
            "eventTime": null,
            "reportingComponent": source.component,
            "reportingInstance": source.host.unwrap_or(""),
        });
        if self.create(ev).is_ok() {
            self.event_cache.exact.insert(exact_key, (ns, name, now.0));
        }
    }
}

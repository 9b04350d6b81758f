//! The object store: every API object by kind, namespace and name, plus the watch log.
//!
//! Watch is data (STYLE.md 5): each change appends a `WatchEvent` with its resourceVersion,
//! and readers (controllers, `kubectl get -w`, the HTTP watch) keep a `Cursor` into the log.
//! The store knows nothing of validation or defaulting; `api.rs` does that before writing here.

use crate::kinds::Kind;
use crate::object;
use crate::time::Time;
use serde_json::Value;
use std::cmp::Ordering;
use std::collections::{btree_map, BTreeMap};
use std::iter::Peekable;
use std::ops::Bound;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum EventType {
    Added,
    Modified,
    Deleted,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::Added => "ADDED",
            EventType::Modified => "MODIFIED",
            EventType::Deleted => "DELETED",
        }
    }
}

/// One change to one object. `object` is the object after the change (for DELETED, its last
/// state with the deletion's resourceVersion).
#[derive(Clone, Debug)]
pub struct WatchEvent {
    pub kind: Kind,
    pub event_type: EventType,
    pub object: Arc<Value>,
    pub resource_version: u64,
    /// Virtual time of the change (a watcher prints AGE as of this moment).
    pub time: Time,
}

/// A position in the watch log: the absolute index of the next event to read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cursor(pub u64);

/// `(namespace, name)`; namespace is "" for cluster-scoped kinds.
pub type Key = (String, String);

/// The objects of one kind by namespace, then name: the same order as `(namespace, name)`
/// keys, but a lookup by `&str`s needs no owned key and compares names only within their
/// namespace.
#[derive(Clone, Debug, Default)]
struct KindMap {
    by_namespace: BTreeMap<String, BTreeMap<String, Arc<Value>>>,
    len: usize,
}

impl KindMap {
    fn get(&self, namespace: &str, name: &str) -> Option<&Arc<Value>> {
        self.by_namespace.get(namespace)?.get(name)
    }

    /// Stores `obj` under its key; returns what it replaced. `new` says the key is most
    /// likely free (a create): then one search places it, instead of a failed lookup first.
    fn insert(
        &mut self,
        namespace: &str,
        name: &str,
        obj: Arc<Value>,
        new: bool,
    ) -> Option<Arc<Value>> {
        let names = match self.by_namespace.get_mut(namespace) {
            Some(m) => m,
            None => self.by_namespace.entry(namespace.to_string()).or_default(),
        };
        if new {
            return match names.entry(name.to_string()) {
                std::collections::btree_map::Entry::Occupied(mut o) => Some(o.insert(obj)),
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert(obj);
                    self.len += 1;
                    None
                }
            };
        }
        if let Some(slot) = names.get_mut(name) {
            return Some(std::mem::replace(slot, obj));
        }
        names.insert(name.to_string(), obj);
        self.len += 1;
        None
    }

    fn remove(&mut self, namespace: &str, name: &str) -> Option<Arc<Value>> {
        let names = self.by_namespace.get_mut(namespace)?;
        let removed = names.remove(name)?;
        if names.is_empty() {
            self.by_namespace.remove(namespace);
        }
        self.len -= 1;
        Some(removed)
    }

    fn values(&self) -> impl Iterator<Item = &Arc<Value>> {
        self.by_namespace.values().flat_map(BTreeMap::values)
    }

    fn in_namespace<'a>(&'a self, namespace: &str) -> impl Iterator<Item = &'a Arc<Value>> + 'a {
        self.by_namespace
            .get(namespace)
            .into_iter()
            .flat_map(BTreeMap::values)
    }
}

/// Finds the objects of ascending `(namespace, name)` keys (an index's order) in one kind.
/// What one owner controls is mostly neighbours by name (`web-0`, `web-1`, … share the
/// set's prefix), so the next key is usually a step or two past the last one found: walking
/// on from there compares fewer names than a fresh search of a namespace's thousand pods.
struct SortedLookup<'a> {
    map: Option<&'a KindMap>,
    namespace: Option<(&'a str, &'a BTreeMap<String, Arc<Value>>)>,
    /// Just past the last key looked up in `namespace`.
    cursor: Option<Peekable<btree_map::Range<'a, String, Arc<Value>>>>,
}

impl<'a> SortedLookup<'a> {
    /// How far the walk goes before a fresh search.
    const STEPS: usize = 3;

    fn new(map: Option<&'a KindMap>) -> Self {
        SortedLookup {
            map,
            namespace: None,
            cursor: None,
        }
    }

    /// The object at `(namespace, name)`; keys must come in ascending order.
    fn get(&mut self, namespace: &str, name: &str) -> Option<&'a Arc<Value>> {
        let names = match self.namespace {
            Some((ns, names)) if ns == namespace => names,
            _ => {
                self.cursor = None;
                self.namespace = None;
                let (ns, names) = self.map?.by_namespace.get_key_value(namespace)?;
                self.namespace = Some((ns.as_str(), names));
                names
            }
        };
        if let Some(cursor) = &mut self.cursor {
            // Every name before the cursor is below every key still to come.
            for _ in 0..Self::STEPS {
                let (k, v) = cursor.peek().copied()?;
                match k.as_str().cmp(name) {
                    Ordering::Less => {
                        cursor.next();
                    }
                    Ordering::Equal => {
                        cursor.next();
                        return Some(v);
                    }
                    Ordering::Greater => return None,
                }
            }
        }
        let mut cursor = names
            .range::<str, _>((Bound::Included(name), Bound::Unbounded))
            .peekable();
        let found = match cursor.peek().copied() {
            Some((k, v)) if k == name => {
                cursor.next();
                Some(v)
            }
            _ => None,
        };
        self.cursor = Some(cursor);
        found
    }
}

#[derive(Clone, Debug, Default)]
pub struct Store {
    objects: BTreeMap<Kind, KindMap>,
    /// Index: controller owner uid → (kind, key) of the objects it controls. Controllers ask
    /// "what do I own" on every sync; without this each sync would scan the whole kind.
    controlled: BTreeMap<String, std::collections::BTreeSet<(Kind, Key)>>,
    /// Index: objects with no controller reference, per kind (adoption candidates). Events
    /// are left out: no controller adopts them, and a scale-up records six per pod.
    uncontrolled: BTreeMap<Kind, std::collections::BTreeSet<Key>>,
    /// Index: pods by `spec.nodeName` (the scheduler, kubelet and pod GC ask per node).
    pods_by_node: BTreeMap<String, std::collections::BTreeSet<Key>>,
    resource_version: u64,
    log: std::collections::VecDeque<WatchEvent>,
    /// Absolute index of `log[0]`.
    log_base: u64,
}

/// Returned when a cursor points at events that were compacted away (HTTP 410 Gone).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expired;

impl Store {
    pub fn new() -> Store {
        Store::default()
    }

    pub fn get(&self, kind: Kind, namespace: &str, name: &str) -> Option<&Arc<Value>> {
        self.objects.get(&kind)?.get(namespace, name)
    }

    /// All objects of a kind, in (namespace, name) order; `namespace: None` means all.
    pub fn list<'a>(
        &'a self,
        kind: Kind,
        namespace: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Arc<Value>> + 'a {
        let map = self.objects.get(&kind);
        let objects: Box<dyn Iterator<Item = &Arc<Value>>> = match (map, namespace) {
            (None, _) => Box::new(std::iter::empty()),
            (Some(m), None) => Box::new(m.values()),
            (Some(m), Some(ns)) => Box::new(m.in_namespace(ns)),
        };
        objects
    }

    pub fn count(&self, kind: Kind) -> usize {
        self.objects.get(&kind).map_or(0, |m| m.len)
    }

    pub fn resource_version(&self) -> u64 {
        self.resource_version
    }

    /// Allocates the next resourceVersion.
    pub fn next_resource_version(&mut self) -> u64 {
        self.resource_version += 1;
        self.resource_version
    }

    /// Writes `obj` (whose resourceVersion the caller has already set) and logs the event.
    pub fn put(&mut self, kind: Kind, obj: Value, event_type: EventType, time: Time) -> Arc<Value> {
        let rv = object::resource_version(&obj);
        self.put_versioned(kind, obj, rv, event_type, time)
    }

    /// `put` for a caller that has just stamped `obj` with resourceVersion `rv` (the API
    /// server's writes): the event takes `rv` as it is instead of parsing it back.
    pub(crate) fn put_versioned(
        &mut self,
        kind: Kind,
        obj: Value,
        rv: u64,
        event_type: EventType,
        time: Time,
    ) -> Arc<Value> {
        debug_assert_eq!(rv, object::resource_version(&obj));
        let obj = Arc::new(obj);
        let (ns, name) = (object::namespace(&obj), object::name(&obj));
        let old = self.objects.entry(kind).or_default().insert(
            ns,
            name,
            obj.clone(),
            event_type == EventType::Added,
        );
        // Most writes (status updates) keep the node and the controller: the indexes stay.
        let reindex = match &old {
            Some(old) => {
                Self::node_name(kind, old) != Self::node_name(kind, &obj)
                    || (Self::owner_refs(old) != Self::owner_refs(&obj)
                        && Self::controller_uid(old) != Self::controller_uid(&obj))
            }
            // A new Event without a controller is in no index (`index`): no key to build.
            None => kind != Kind::Event || Self::controller_uid(&obj).is_some(),
        };
        if reindex {
            let key = (ns.to_string(), name.to_string());
            if let Some(old) = old {
                self.unindex(kind, &key, &old);
            }
            self.index(kind, &key, &obj);
        }
        self.push_event(kind, event_type, obj.clone(), rv, time);
        obj
    }

    /// `metadata.ownerReferences`: equal lists (nearly always the same shared maps, compared
    /// in one step each) name the same controller, so its uid need not be looked for.
    fn owner_refs(obj: &Value) -> Option<&Value> {
        object::get(obj, &["metadata", "ownerReferences"])
    }

    fn controller_uid(obj: &Value) -> Option<&str> {
        object::get_array(obj, &["metadata", "ownerReferences"])
            .iter()
            .find(|r| r.get("controller").and_then(Value::as_bool) == Some(true))
            .and_then(|r| r.get("uid"))
            .and_then(Value::as_str)
    }

    fn node_name(kind: Kind, obj: &Value) -> Option<&str> {
        if kind != Kind::Pod {
            return None;
        }
        object::get_str(obj, &["spec", "nodeName"]).filter(|n| !n.is_empty())
    }

    fn index(&mut self, kind: Kind, key: &Key, obj: &Value) {
        if let Some(node) = Self::node_name(kind, obj) {
            self.pods_by_node
                .entry(node.to_string())
                .or_default()
                .insert(key.clone());
        }
        match Self::controller_uid(obj) {
            Some(uid) => {
                self.controlled
                    .entry(uid.to_string())
                    .or_default()
                    .insert((kind, key.clone()));
            }
            None if kind == Kind::Event => {}
            None => {
                self.uncontrolled
                    .entry(kind)
                    .or_default()
                    .insert(key.clone());
            }
        }
    }

    fn unindex(&mut self, kind: Kind, key: &Key, obj: &Value) {
        if let Some(node) = Self::node_name(kind, obj) {
            if let Some(set) = self.pods_by_node.get_mut(node) {
                set.remove(key);
                if set.is_empty() {
                    self.pods_by_node.remove(node);
                }
            }
        }
        match Self::controller_uid(obj) {
            Some(uid) => {
                if let Some(set) = self.controlled.get_mut(uid) {
                    set.remove(&(kind, key.clone()));
                    if set.is_empty() {
                        self.controlled.remove(uid);
                    }
                }
            }
            None => {
                if let Some(set) = self.uncontrolled.get_mut(&kind) {
                    set.remove(key);
                }
            }
        }
    }

    /// Objects of `kind` whose controller reference names `owner_uid`, in key order.
    pub fn controlled_by<'a>(
        &'a self,
        kind: Kind,
        owner_uid: &str,
    ) -> impl Iterator<Item = &'a Arc<Value>> + 'a {
        self.controlled_in(kind, owner_uid, None)
    }

    /// How many objects (of every kind) name `owner_uid` as their controller.
    pub fn controlled_count(&self, owner_uid: &str) -> usize {
        self.controlled.get(owner_uid).map_or(0, |keys| keys.len())
    }

    /// `controlled_by` within one namespace, told by the index's keys (no object is read
    /// to learn its namespace).
    pub fn controlled_by_in<'a>(
        &'a self,
        kind: Kind,
        owner_uid: &str,
        namespace: &'a str,
    ) -> impl Iterator<Item = &'a Arc<Value>> + 'a {
        self.controlled_in(kind, owner_uid, Some(namespace))
    }

    fn controlled_in<'a>(
        &'a self,
        kind: Kind,
        owner_uid: &str,
        namespace: Option<&'a str>,
    ) -> impl Iterator<Item = &'a Arc<Value>> + 'a {
        let keys = self.controlled.get(owner_uid);
        let mut lookup = SortedLookup::new(self.objects.get(&kind));
        keys.into_iter()
            .flat_map(move |set| set.range((kind, (String::new(), String::new()))..))
            .take_while(move |(k, _)| *k == kind)
            .filter(move |(_, (ns, _))| namespace.is_none_or(|n| ns == n))
            .filter_map(move |(_, (ns, name))| lookup.get(ns, name))
    }

    /// Objects of `kind` in `namespace` with no controller reference, in key order (none
    /// for Events, which the index leaves out).
    pub fn uncontrolled<'a>(
        &'a self,
        kind: Kind,
        namespace: &'a str,
    ) -> impl Iterator<Item = &'a Arc<Value>> + 'a {
        let keys = self.uncontrolled.get(&kind);
        let map = self.objects.get(&kind);
        keys.into_iter()
            .flat_map(move |set| set.range((namespace.to_string(), String::new())..))
            .take_while(move |(ns, _)| ns == namespace)
            .filter_map(move |(ns, name)| map.and_then(|m| m.get(ns, name)))
    }

    /// Pods bound to `node` (any namespace), in key order.
    pub fn pods_on_node<'a>(&'a self, node: &str) -> impl Iterator<Item = &'a Arc<Value>> + 'a {
        let keys = self.pods_by_node.get(node);
        let map = self.objects.get(&Kind::Pod);
        keys.into_iter()
            .flatten()
            .filter_map(move |(ns, name)| map.and_then(|m| m.get(ns, name)))
    }

    /// Objects of `kind` in `namespace` whose name starts with `prefix`, in name order.
    pub fn list_prefix<'a>(
        &'a self,
        kind: Kind,
        namespace: &'a str,
        prefix: &'a str,
    ) -> impl Iterator<Item = &'a Arc<Value>> + 'a {
        self.objects
            .get(&kind)
            .and_then(|m| m.by_namespace.get(namespace))
            .into_iter()
            .flat_map(move |m| {
                m.range::<str, _>((
                    std::ops::Bound::Included(prefix),
                    std::ops::Bound::Unbounded,
                ))
            })
            .take_while(move |(name, _)| name.starts_with(prefix))
            .map(|(_, v)| v)
    }

    /// Removes an object; the DELETED event carries `final_obj` (with a fresh resourceVersion).
    pub fn remove(
        &mut self,
        kind: Kind,
        namespace: &str,
        name: &str,
        final_obj: Value,
        time: Time,
    ) -> Option<Arc<Value>> {
        let removed = self.objects.get_mut(&kind)?.remove(namespace, name)?;
        let key = (namespace.to_string(), name.to_string());
        self.unindex(kind, &key, &removed);
        let rv = object::resource_version(&final_obj);
        let obj = Arc::new(final_obj);
        self.push_event(kind, EventType::Deleted, obj, rv, time);
        Some(removed)
    }

    fn push_event(
        &mut self,
        kind: Kind,
        event_type: EventType,
        object: Arc<Value>,
        rv: u64,
        time: Time,
    ) {
        self.log.push_back(WatchEvent {
            kind,
            event_type,
            object,
            resource_version: rv,
            time,
        });
    }

    /// The cursor just past the newest event: a watch started now sees only later changes.
    pub fn head(&self) -> Cursor {
        Cursor(self.log_base + self.log.len() as u64)
    }

    /// Events from `cursor` on. Errors if some of them were compacted away.
    pub fn events_since(
        &self,
        cursor: Cursor,
    ) -> Result<impl Iterator<Item = &WatchEvent>, Expired> {
        if cursor.0 < self.log_base {
            return Err(Expired);
        }
        let start = (cursor.0 - self.log_base) as usize;
        Ok(self.log.range(start.min(self.log.len())..))
    }

    /// The event at an absolute index, if still held.
    pub fn event_at(&self, cursor: Cursor) -> Option<&WatchEvent> {
        let idx = cursor.0.checked_sub(self.log_base)?;
        self.log.get(idx as usize)
    }

    /// Drops events before `cursor` (every reader the cluster drives is past it).
    pub fn compact(&mut self, cursor: Cursor) {
        while self.log_base < cursor.0 && !self.log.is_empty() {
            self.log.pop_front();
            self.log_base += 1;
        }
    }

    pub fn log_len(&self) -> usize {
        self.log.len()
    }

    /// Every object of every kind, in kind then key order (snapshots, determinism checks).
    pub fn all_objects(&self) -> impl Iterator<Item = (Kind, &Arc<Value>)> {
        self.objects
            .iter()
            .flat_map(|(k, m)| m.values().map(move |v| (*k, v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorted_lookups_find_what_a_search_finds() {
        let mut m = KindMap::default();
        let names = [
            "a-0", "a-1", "a-10", "a-2", "a-x", "ab-0", "b-0", "b-1", "c",
        ];
        for ns in ["default", "kube-system"] {
            for n in names {
                m.insert(ns, n, Arc::new(json!({"n": n, "ns": ns})), true);
            }
        }
        let mut keys: Vec<(&str, &str)> = Vec::new();
        for ns in ["", "default", "kube-system", "zz"] {
            for n in ["a-0", "a-1", "a-11", "a-2", "ab-0", "b-1", "c", "d"] {
                keys.push((ns, n));
            }
        }
        // Every ascending subsequence of each window of ten keys (bit masks).
        for start in 0..keys.len() {
            let window = &keys[start..keys.len().min(start + 10)];
            for mask in 0u32..(1 << window.len()) {
                let mut lookup = SortedLookup::new(Some(&m));
                for (i, (ns, n)) in window.iter().enumerate() {
                    if mask & (1 << i) != 0 {
                        assert_eq!(lookup.get(ns, n), m.get(ns, n), "{ns}/{n} mask {mask:b}");
                    }
                }
            }
        }
        assert_eq!(SortedLookup::new(None).get("default", "a-0"), None);
    }

    #[test]
    fn put_list_remove_and_watch_cursor() {
        let mut s = Store::new();
        let c0 = s.head();
        for (ns, name) in [("b", "x"), ("a", "y"), ("a", "x")] {
            let rv = s.next_resource_version();
            s.put(
                Kind::Pod,
                json!({"metadata": {"namespace": ns, "name": name, "resourceVersion": rv.to_string()}}),
                EventType::Added,
                Time(0),
            );
        }
        let names: Vec<_> = s
            .list(Kind::Pod, Some("a"))
            .map(|o| object::name(o).to_string())
            .collect();
        assert_eq!(names, ["x", "y"]);
        assert_eq!(s.list(Kind::Pod, None).count(), 3);
        assert_eq!(s.list(Kind::Service, None).count(), 0);
        assert_eq!(s.events_since(c0).unwrap().count(), 3);
        let mid = s.head();
        let rv = s.next_resource_version();
        s.remove(
            Kind::Pod,
            "a",
            "x",
            json!({"metadata": {"resourceVersion": rv.to_string()}}),
            Time(0),
        );
        let evs: Vec<_> = s.events_since(mid).unwrap().collect();
        assert_eq!(evs.len(), 1);
        assert_eq!(evs[0].event_type, EventType::Deleted);
        s.compact(mid);
        assert!(s.events_since(c0).is_err());
        assert_eq!(s.events_since(mid).unwrap().count(), 1);
    }

    #[test]
    fn owner_node_and_prefix_indexes_follow_writes() {
        let mut s = Store::new();
        let owned = |name: &str, node: &str| {
            json!({"metadata": {"namespace": "d", "name": name, "resourceVersion": "1",
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web",
                                     "uid": "u1", "controller": true}]},
                   "spec": {"nodeName": node}})
        };
        s.put(Kind::Pod, owned("web-0", "n1"), EventType::Added, Time(0));
        s.put(Kind::Pod, owned("web-1", "n2"), EventType::Added, Time(0));
        s.put(
            Kind::Pod,
            json!({"metadata": {"namespace": "d", "name": "lone"}}),
            EventType::Added,
            Time(0),
        );
        let names = |it: Vec<&Arc<Value>>| {
            it.iter()
                .map(|o| object::name(o).to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names(s.controlled_by(Kind::Pod, "u1").collect()),
            ["web-0", "web-1"]
        );
        assert_eq!(names(s.uncontrolled(Kind::Pod, "d").collect()), ["lone"]);
        assert_eq!(names(s.pods_on_node("n2").collect()), ["web-1"]);
        assert_eq!(
            names(s.list_prefix(Kind::Pod, "d", "web-").collect()),
            ["web-0", "web-1"]
        );
        // Moving a pod (a rewrite) and releasing it (no controller ref) update the indexes.
        let mut moved = owned("web-1", "n1");
        moved["metadata"]
            .as_object_mut()
            .unwrap()
            .remove("ownerReferences");
        s.put(Kind::Pod, moved, EventType::Modified, Time(0));
        assert_eq!(names(s.pods_on_node("n1").collect()), ["web-0", "web-1"]);
        assert_eq!(s.pods_on_node("n2").count(), 0);
        assert_eq!(
            names(s.uncontrolled(Kind::Pod, "d").collect()),
            ["lone", "web-1"]
        );
        s.remove(Kind::Pod, "d", "web-0", json!({}), Time(0));
        assert_eq!(s.controlled_by(Kind::Pod, "u1").count(), 0);
        assert_eq!(names(s.pods_on_node("n1").collect()), ["web-1"]);
    }
}

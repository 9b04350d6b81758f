//! The object store: every API object by kind, namespace and name, plus the watch log.
//!
//! Watch is data (STYLE.md 5): each change appends a `WatchEvent` with its resourceVersion,
//! and readers (controllers, `kubectl get -w`, the HTTP watch) keep a `Cursor` into the log.
//! The store knows nothing of validation or defaulting; `api.rs` does that before writing here.

use crate::controllers::{cmp_names, head16};
use crate::events::EventRecord;
use crate::kinds::Kind;
use crate::object;
use crate::time::Time;
use serde_json::Value;
use std::borrow::Borrow;
use std::cmp::Ordering;
use std::collections::{btree_map, BTreeMap};
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

/// An object as the store holds it: its JSON, or an Event the engine recorded, kept as its
/// fields until something reads it. A scale-up records six Events per pod and reads almost
/// none of them (no controller watches Events), so their JSON, ten times the size of the
/// fields and most of an Event's cost, is built only for the few that are read: once, then
/// kept (the slab and the watch log share the record).
#[derive(Clone, Debug)]
pub(crate) enum Stored {
    Json(Arc<Value>),
    Event(Arc<EventRecord>),
}

impl Stored {
    /// The object as JSON (an Event record's is built on the first read).
    pub(crate) fn json(&self) -> &Arc<Value> {
        match self {
            Stored::Json(v) => v,
            Stored::Event(e) => e.json(),
        }
    }
}

/// One change to one object. `object()` is the object after the change (for DELETED, its
/// last state with the deletion's resourceVersion).
#[derive(Clone, Debug)]
pub struct WatchEvent {
    pub kind: Kind,
    pub event_type: EventType,
    object: Stored,
    pub resource_version: u64,
    /// Virtual time of the change (a watcher prints AGE as of this moment).
    pub time: Time,
}

impl WatchEvent {
    /// The object after the change. An Event the engine recorded becomes JSON here, on
    /// the first read: a watcher of other kinds should look at `kind` first.
    pub fn object(&self) -> &Arc<Value> {
        self.object.json()
    }
}

/// A position in the watch log: the absolute index of the next event to read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Cursor(pub u64);

/// `(namespace, name)`; namespace is "" for cluster-scoped kinds.
pub type Key = (String, String);

/// An object's name as the store's maps key it: its first 16 bytes as two numbers, then
/// the name. A search through 60,000 Event names (or 10,000 pods) compares the numbers and
/// reads a name's heap bytes only when they tie, instead of a cache miss per step.
/// The order is exactly the names' byte order.
#[derive(Clone, Debug)]
struct Name {
    head: [u64; 2],
    text: String,
}

impl Name {
    fn new(text: String) -> Name {
        Name {
            head: head16(&text),
            text,
        }
    }
}

/// A name to search for, by its head and its text: a `Name` or a borrowed `Probe`, so a
/// lookup by `&str` builds no owned key.
trait NameView {
    fn head(&self) -> [u64; 2];
    fn text(&self) -> &str;
}

impl NameView for Name {
    fn head(&self) -> [u64; 2] {
        self.head
    }
    fn text(&self) -> &str {
        &self.text
    }
}

/// A borrowed name to search with.
struct Probe<'a> {
    head: [u64; 2],
    text: &'a str,
}

impl<'a> Probe<'a> {
    fn new(text: &'a str) -> Probe<'a> {
        Probe {
            head: head16(text),
            text,
        }
    }
}

impl NameView for Probe<'_> {
    fn head(&self) -> [u64; 2] {
        self.head
    }
    fn text(&self) -> &str {
        self.text
    }
}

impl Ord for dyn NameView + '_ {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_names(self.head(), self.text(), other.head(), other.text(), 16)
    }
}

impl PartialOrd for dyn NameView + '_ {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for dyn NameView + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for dyn NameView + '_ {}

impl Ord for Name {
    fn cmp(&self, other: &Self) -> Ordering {
        (self as &dyn NameView).cmp(other as &dyn NameView)
    }
}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Name {}

impl<'a> Borrow<dyn NameView + 'a> for Name {
    fn borrow(&self) -> &(dyn NameView + 'a) {
        self
    }
}

/// Names to their slots, searched by `&str` (`slot_of`).
type Names = BTreeMap<Name, Slot>;

fn slot_of(names: &Names, name: &str) -> Option<Slot> {
    names.get(&Probe::new(name) as &dyn NameView).copied()
}

fn remove_name(names: &mut Names, name: &str) -> Option<Slot> {
    names.remove(&Probe::new(name) as &dyn NameView)
}

/// Where one object lives in its kind's slab (`KindMap::slots`): stable from the object's
/// create to its removal, so the indexes hold it instead of a key to search for again.
type Slot = u32;

/// The objects of one kind by namespace, then name: the same order as `(namespace, name)`
/// keys, but a lookup by `&str`s needs no owned key and compares names only within their
/// namespace. The objects themselves sit in a slab, which the indexes point into: listing
/// what an owner controls reads its objects directly, with no search per object.
#[derive(Clone, Debug, Default)]
struct KindMap {
    by_namespace: BTreeMap<String, Names>,
    slots: Vec<Option<Stored>>,
    /// Slots of removed objects, reused last freed first.
    free: Vec<Slot>,
    len: usize,
}

impl KindMap {
    fn get(&self, namespace: &str, name: &str) -> Option<&Arc<Value>> {
        self.at(slot_of(self.by_namespace.get(namespace)?, name)?)
    }

    fn at(&self, slot: Slot) -> Option<&Arc<Value>> {
        self.slots.get(slot as usize)?.as_ref().map(Stored::json)
    }

    /// A slot for a new object (the slab's parts apart: a caller holds a borrow of the
    /// name map).
    fn fill(slots: &mut Vec<Option<Stored>>, free: &mut Vec<Slot>, obj: Stored) -> Slot {
        match free.pop() {
            Some(slot) => {
                if let Some(s) = slots.get_mut(slot as usize) {
                    *s = Some(obj);
                }
                slot
            }
            None => {
                slots.push(Some(obj));
                (slots.len() - 1) as Slot
            }
        }
    }

    /// Stores `obj` under its key; returns its slot and what it replaced. `new` says the key
    /// is most likely free (a create): then one search places it, instead of a failed
    /// lookup first.
    fn insert(
        &mut self,
        namespace: &str,
        name: &str,
        obj: Arc<Value>,
        new: bool,
    ) -> (Slot, Option<Arc<Value>>) {
        let KindMap {
            by_namespace,
            slots,
            free,
            len,
        } = self;
        let names = match by_namespace.get_mut(namespace) {
            Some(m) => m,
            None => by_namespace.entry(namespace.to_string()).or_default(),
        };
        let replace = |slots: &mut Vec<Option<Stored>>, slot: Slot, obj: Arc<Value>| {
            slots
                .get_mut(slot as usize)
                .and_then(|s| s.replace(Stored::Json(obj)))
                .map(|old| old.json().clone())
        };
        if !new {
            if let Some(slot) = slot_of(names, name) {
                return (slot, replace(slots, slot, obj));
            }
        }
        match names.entry(Name::new(name.to_string())) {
            btree_map::Entry::Occupied(o) => {
                let slot = *o.get();
                (slot, replace(slots, slot, obj))
            }
            btree_map::Entry::Vacant(v) => {
                *len += 1;
                (*v.insert(Self::fill(slots, free, Stored::Json(obj))), None)
            }
        }
    }

    fn remove(&mut self, namespace: &str, name: &str) -> Option<(Slot, Arc<Value>)> {
        let names = self.by_namespace.get_mut(namespace)?;
        let slot = remove_name(names, name)?;
        if names.is_empty() {
            self.by_namespace.remove(namespace);
        }
        self.len -= 1;
        self.free.push(slot);
        let removed = self.slots.get_mut(slot as usize)?.take()?;
        Some((slot, removed.json().clone()))
    }

    fn values(&self) -> impl Iterator<Item = &Arc<Value>> {
        self.by_namespace
            .values()
            .flat_map(BTreeMap::values)
            .filter_map(|&slot| self.at(slot))
    }

    fn in_namespace<'a>(&'a self, namespace: &str) -> impl Iterator<Item = &'a Arc<Value>> + 'a {
        self.by_namespace
            .get(namespace)
            .into_iter()
            .flat_map(BTreeMap::values)
            .filter_map(|&slot| self.at(slot))
    }
}

/// Objects by namespace, then name, with their slots: an index's entries in key order.
/// Both levels are searched by `&str`, so no lookup builds an owned key.
type Keyed = BTreeMap<String, Names>;

fn keyed_insert(keyed: &mut Keyed, namespace: &str, name: &str, slot: Slot) -> bool {
    let names = match keyed.get_mut(namespace) {
        Some(names) => names,
        None => keyed.entry(namespace.to_string()).or_default(),
    };
    names.insert(Name::new(name.to_string()), slot).is_none()
}

fn keyed_remove(keyed: &mut Keyed, namespace: &str, name: &str) -> bool {
    let Some(names) = keyed.get_mut(namespace) else {
        return false;
    };
    let removed = remove_name(names, name).is_some();
    if names.is_empty() {
        keyed.remove(namespace);
    }
    removed
}

/// What one owner controls, per kind.
#[derive(Clone, Debug, Default)]
struct Controlled {
    uid: String,
    by_kind: BTreeMap<Kind, Keyed>,
    len: usize,
}

/// An owner uid's first eight bytes as a number: UIDs are random, so these nearly always
/// tell owners apart, and a search compares integers instead of 36-byte strings.
pub(crate) fn uid_head(uid: &str) -> u64 {
    let mut head = [0u8; 8];
    let bytes = uid.as_bytes();
    let n = bytes.len().min(head.len());
    head[..n].copy_from_slice(&bytes[..n]);
    u64::from_be_bytes(head)
}

#[derive(Clone, Debug, Default)]
pub struct Store {
    objects: BTreeMap<Kind, KindMap>,
    /// Index: controller owner uid → the objects it controls, by `uid_head` (each entry
    /// holds the owners whose uids share it: nearly always one). Controllers ask "what do
    /// I own" on every sync; without this each sync would scan the whole kind.
    controlled: BTreeMap<u64, Vec<Controlled>>,
    /// Index: objects with no controller reference, per kind (adoption candidates). Events
    /// are left out: no controller adopts them, and a scale-up records six per pod.
    uncontrolled: BTreeMap<Kind, Keyed>,
    /// Index: pods by `spec.nodeName` (the scheduler, kubelet and pod GC ask per node).
    pods_by_node: BTreeMap<String, Keyed>,
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
        let (slot, old) = self.objects.entry(kind).or_default().insert(
            ns,
            name,
            obj.clone(),
            event_type == EventType::Added,
        );
        self.reindex(kind, slot, old.as_ref(), &obj);
        self.push_event(kind, event_type, Stored::Json(obj.clone()), rv, time);
        obj
    }

    /// Brings the indexes up to date after `obj` went into `slot` in place of `old`.
    fn reindex(&mut self, kind: Kind, slot: Slot, old: Option<&Arc<Value>>, obj: &Value) {
        // Most writes (status updates) keep the node and the controller: the indexes stay.
        let reindex = match old {
            Some(old) => {
                Self::node_name(kind, old) != Self::node_name(kind, obj)
                    || (Self::owner_refs(old) != Self::owner_refs(obj)
                        && Self::controller_uid(old) != Self::controller_uid(obj))
            }
            // A new Event without a controller is in no index (`index`): no key to build.
            None => kind != Kind::Event || Self::controller_uid(obj).is_some(),
        };
        if reindex {
            let (ns, name) = (object::namespace(obj), object::name(obj));
            if let Some(old) = old {
                self.unindex(kind, ns, name, old);
            }
            self.index(kind, ns, name, slot, obj);
        }
    }

    /// Creates an object of `kind` at `namespace`/`name` if no object is there, in one
    /// search: only then is its resourceVersion allocated and `build` called with it and the
    /// name to make the object (whose namespace and name must be these). Returns `name` if
    /// taken.
    /// An Event record is in no index: it has no owner (and is no pod).
    pub(crate) fn create_vacant(
        &mut self,
        kind: Kind,
        namespace: &str,
        name: String,
        time: Time,
        build: impl FnOnce(u64, &str) -> Stored,
    ) -> Result<Stored, String> {
        let KindMap {
            by_namespace,
            slots,
            free,
            len,
        } = self.objects.entry(kind).or_default();
        let names = match by_namespace.get_mut(namespace) {
            Some(m) => m,
            None => by_namespace.entry(namespace.to_string()).or_default(),
        };
        let vacant = match names.entry(Name::new(name)) {
            btree_map::Entry::Vacant(vacant) => vacant,
            btree_map::Entry::Occupied(taken) => return Err(taken.key().text.clone()),
        };
        self.resource_version += 1;
        let rv = self.resource_version;
        let obj = build(rv, &vacant.key().text);
        if let Stored::Json(json) = &obj {
            debug_assert_eq!(
                (object::namespace(json), object::name(json)),
                (namespace, vacant.key().text.as_str())
            );
        }
        *len += 1;
        let slot = *vacant.insert(KindMap::fill(slots, free, obj.clone()));
        if let Stored::Json(json) = &obj {
            let json = json.clone();
            self.reindex(kind, slot, None, &json);
        }
        self.push_event(kind, EventType::Added, obj.clone(), rv, time);
        Ok(obj)
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

    fn index(&mut self, kind: Kind, namespace: &str, name: &str, slot: Slot, obj: &Value) {
        if let Some(node) = Self::node_name(kind, obj) {
            let pods = match self.pods_by_node.get_mut(node) {
                Some(pods) => pods,
                None => self.pods_by_node.entry(node.to_string()).or_default(),
            };
            keyed_insert(pods, namespace, name, slot);
        }
        match Self::controller_uid(obj) {
            Some(uid) => {
                let owners = self.controlled.entry(uid_head(uid)).or_default();
                let at = match owners.iter().position(|o| o.uid == uid) {
                    Some(at) => at,
                    None => {
                        owners.push(Controlled {
                            uid: uid.to_string(),
                            ..Controlled::default()
                        });
                        owners.len() - 1
                    }
                };
                if let Some(owned) = owners.get_mut(at) {
                    let keyed = owned.by_kind.entry(kind).or_default();
                    if keyed_insert(keyed, namespace, name, slot) {
                        owned.len += 1;
                    }
                }
            }
            None if kind == Kind::Event => {}
            None => {
                keyed_insert(
                    self.uncontrolled.entry(kind).or_default(),
                    namespace,
                    name,
                    slot,
                );
            }
        }
    }

    fn unindex(&mut self, kind: Kind, namespace: &str, name: &str, obj: &Value) {
        if let Some(node) = Self::node_name(kind, obj) {
            if let Some(pods) = self.pods_by_node.get_mut(node) {
                keyed_remove(pods, namespace, name);
                if pods.is_empty() {
                    self.pods_by_node.remove(node);
                }
            }
        }
        match Self::controller_uid(obj) {
            Some(uid) => {
                let head = uid_head(uid);
                let Some(owners) = self.controlled.get_mut(&head) else {
                    return;
                };
                let Some(at) = owners.iter().position(|o| o.uid == uid) else {
                    return;
                };
                if let Some(owned) = owners.get_mut(at) {
                    if let Some(keyed) = owned.by_kind.get_mut(&kind) {
                        if keyed_remove(keyed, namespace, name) {
                            owned.len -= 1;
                        }
                        if keyed.is_empty() {
                            owned.by_kind.remove(&kind);
                        }
                    }
                    if owned.len == 0 {
                        owners.remove(at);
                    }
                }
                if owners.is_empty() {
                    self.controlled.remove(&head);
                }
            }
            None => {
                if let Some(keyed) = self.uncontrolled.get_mut(&kind) {
                    keyed_remove(keyed, namespace, name);
                }
            }
        }
    }

    /// The index entry of what `owner_uid` controls.
    fn owned(&self, owner_uid: &str) -> Option<&Controlled> {
        self.controlled
            .get(&uid_head(owner_uid))?
            .iter()
            .find(|o| o.uid == owner_uid)
    }

    /// Objects of `kind` whose controller reference names `owner_uid`, in key order.
    pub fn controlled_by<'a>(
        &'a self,
        kind: Kind,
        owner_uid: &str,
    ) -> impl Iterator<Item = &'a Arc<Value>> + 'a {
        let keyed = self.owned(owner_uid).and_then(|o| o.by_kind.get(&kind));
        let map = self.objects.get(&kind);
        keyed
            .into_iter()
            .flat_map(BTreeMap::values)
            .flat_map(BTreeMap::values)
            .filter_map(move |&slot| map?.at(slot))
    }

    /// How many objects (of every kind) name `owner_uid` as their controller.
    pub fn controlled_count(&self, owner_uid: &str) -> usize {
        self.owned(owner_uid).map_or(0, |o| o.len)
    }

    /// `controlled_by` within one namespace, told by the index's keys (no object is read
    /// to learn its namespace).
    pub fn controlled_by_in<'a>(
        &'a self,
        kind: Kind,
        owner_uid: &str,
        namespace: &str,
    ) -> impl Iterator<Item = &'a Arc<Value>> + 'a {
        let names = self
            .owned(owner_uid)
            .and_then(|o| o.by_kind.get(&kind))
            .and_then(|keyed| keyed.get(namespace));
        self.in_slots(kind, names)
    }

    /// Objects of `kind` in `namespace` with no controller reference, in key order (none
    /// for Events, which the index leaves out).
    pub fn uncontrolled<'a>(
        &'a self,
        kind: Kind,
        namespace: &str,
    ) -> impl Iterator<Item = &'a Arc<Value>> + 'a {
        let names = self
            .uncontrolled
            .get(&kind)
            .and_then(|keyed| keyed.get(namespace));
        self.in_slots(kind, names)
    }

    /// The objects of `kind` at the slots `names` holds, in its (name) order.
    fn in_slots<'a, K: 'a>(
        &'a self,
        kind: Kind,
        names: Option<&'a BTreeMap<K, Slot>>,
    ) -> impl Iterator<Item = &'a Arc<Value>> + 'a {
        let map = self.objects.get(&kind);
        names
            .into_iter()
            .flat_map(BTreeMap::values)
            .filter_map(move |&slot| map?.at(slot))
    }

    /// Pods bound to `node` (any namespace), in key order.
    pub fn pods_on_node<'a>(&'a self, node: &str) -> impl Iterator<Item = &'a Arc<Value>> + 'a {
        let keys = self.pods_by_node.get(node);
        let map = self.objects.get(&Kind::Pod);
        keys.into_iter()
            .flat_map(BTreeMap::values)
            .flat_map(BTreeMap::values)
            .filter_map(move |&slot| map?.at(slot))
    }

    /// Objects of `kind` in `namespace` whose name starts with `prefix`, in name order.
    pub fn list_prefix<'a>(
        &'a self,
        kind: Kind,
        namespace: &'a str,
        prefix: &'a str,
    ) -> impl Iterator<Item = &'a Arc<Value>> + 'a {
        let map = self.objects.get(&kind);
        map.and_then(|m| m.by_namespace.get(namespace))
            .into_iter()
            .flat_map(move |m| {
                let from = Probe::new(prefix);
                // The range's start is only compared while the range is made.
                m.range::<dyn NameView, _>((
                    Bound::Included(&from as &dyn NameView),
                    Bound::Unbounded,
                ))
            })
            .take_while(move |(name, _)| name.text.starts_with(prefix))
            .filter_map(move |(_, &slot)| map?.at(slot))
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
        let (_, removed) = self.objects.get_mut(&kind)?.remove(namespace, name)?;
        self.unindex(kind, namespace, name, &removed);
        let rv = object::resource_version(&final_obj);
        let obj = Stored::Json(Arc::new(final_obj));
        self.push_event(kind, EventType::Deleted, obj, rv, time);
        Some(removed)
    }

    fn push_event(
        &mut self,
        kind: Kind,
        event_type: EventType,
        object: Stored,
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
    fn reused_slots_and_vacant_creates_keep_every_index_right() {
        let mut s = Store::new();
        let pod = |name: &str, owner: Option<&str>, node: &str| {
            let mut p = json!({"metadata": {"namespace": "d", "name": name, "resourceVersion": "1"},
                               "spec": {"nodeName": node}});
            if let Some(uid) = owner {
                p["metadata"]["ownerReferences"] =
                    json!([{"kind": "StatefulSet", "name": "web", "uid": uid, "controller": true}]);
            }
            p
        };
        let add = |s: &mut Store, p: Value| {
            s.put(Kind::Pod, p, EventType::Added, Time(0));
        };
        add(&mut s, pod("a", Some("u1"), "n1"));
        add(&mut s, pod("c", Some("u2"), "n2"));
        s.remove(Kind::Pod, "d", "a", json!({}), Time(0));
        // `b` takes the slot `a` left: nothing that listed `a` may now list `b`.
        add(&mut s, pod("b", None, "n2"));
        let names = |it: Vec<&Arc<Value>>| {
            it.iter()
                .map(|o| object::name(o).to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(s.controlled_by(Kind::Pod, "u1").count(), 0);
        assert_eq!(s.controlled_count("u1"), 0);
        assert_eq!(names(s.controlled_by(Kind::Pod, "u2").collect()), ["c"]);
        assert_eq!(
            names(s.controlled_by_in(Kind::Pod, "u2", "d").collect()),
            ["c"]
        );
        assert_eq!(s.controlled_by_in(Kind::Pod, "u2", "e").count(), 0);
        assert_eq!(names(s.uncontrolled(Kind::Pod, "d").collect()), ["b"]);
        assert_eq!(s.pods_on_node("n1").count(), 0);
        assert_eq!(names(s.pods_on_node("n2").collect()), ["b", "c"]);
        assert_eq!(names(s.list(Kind::Pod, None).collect()), ["b", "c"]);
        assert_eq!(s.count(Kind::Pod), 2);
        // Owners whose uids share their first eight bytes stay apart.
        add(&mut s, pod("x", Some("same-headA"), "n1"));
        add(&mut s, pod("y", Some("same-headB"), "n1"));
        assert_eq!(
            names(s.controlled_by(Kind::Pod, "same-headA").collect()),
            ["x"]
        );
        assert_eq!(
            names(s.controlled_by(Kind::Pod, "same-headB").collect()),
            ["y"]
        );
        assert_eq!(s.controlled_by(Kind::Pod, "same-head").count(), 0);
        s.remove(Kind::Pod, "d", "x", json!({}), Time(0));
        assert_eq!(
            names(s.controlled_by(Kind::Pod, "same-headB").collect()),
            ["y"]
        );

        // A vacant create allocates a resourceVersion and builds only for a free name.
        let before = s.resource_version();
        let taken = s.create_vacant(Kind::Pod, "d", "b".into(), Time(0), |_, _| {
            panic!("built for a taken name")
        });
        assert_eq!(taken.err().as_deref(), Some("b"));
        assert_eq!(s.resource_version(), before);
        let head = s.head();
        let made = s
            .create_vacant(Kind::Event, "d", "e.1".into(), Time(0), |rv, _| {
                Stored::Json(Arc::new(
                    json!({"metadata": {"namespace": "d", "name": "e.1",
                    "resourceVersion": rv.to_string()}}),
                ))
            })
            .unwrap()
            .json()
            .clone();
        assert_eq!(object::resource_version(&made), before + 1);
        assert_eq!(s.get(Kind::Event, "d", "e.1"), Some(&made));
        let evs: Vec<_> = s.events_since(head).unwrap().collect();
        assert_eq!(evs.len(), 1);
        assert_eq!(
            (evs[0].event_type, evs[0].resource_version),
            (EventType::Added, before + 1)
        );
    }

    proptest::proptest! {
        /// Names near the 16-byte head, with NULs and shared prefixes, order as their bytes,
        /// and a probe finds exactly the equal name.
        #[test]
        fn names_order_as_their_bytes(
            a in "[ab\\x00]{0,20}|web-[0-9]{1,3}|[a-z]{14,18}\\.[0-9a-f]{0,4}",
            b in "[ab\\x00]{0,20}|web-[0-9]{1,3}|[a-z]{14,18}\\.[0-9a-f]{0,4}",
        ) {
            let (na, nb) = (Name::new(a.clone()), Name::new(b.clone()));
            proptest::prop_assert_eq!(na.cmp(&nb), a.cmp(&b));
            let names: Names = [(na, 1), (nb, 2)].into_iter().collect();
            proptest::prop_assert_eq!(slot_of(&names, &a), Some(if a == b { 2 } else { 1 }));
            proptest::prop_assert_eq!(slot_of(&names, &format!("{a}\0")).is_some(),
                                      b == format!("{a}\0"));
        }
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

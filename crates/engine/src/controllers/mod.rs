//! Controllers: each reacts to watch events by queueing keys and reconciles one key at a time
//! through the `Api`, like kube-controller-manager's informer + workqueue loop.
//!
//! A controller never reads the host clock and never touches another controller's state;
//! it may ask to be called again later (`Action::RequeueAfter`), which the cluster turns into
//! a timer on the virtual clock.

pub mod deployment;
pub mod disruption;
pub mod endpoints;
pub mod gc;
pub mod kubelet;
pub mod nodes;
pub mod pv;
pub mod replicaset;
pub mod scheduler;
pub mod statefulset;

use crate::api::Api;
use crate::kinds::Kind;
use crate::runtime::Runtime;
use crate::store::WatchEvent;
use crate::Config;

/// What a controller reconciles: usually the object the key names.
///
/// Keys live in big ordered maps (work queues, timers, per-pod state), so comparing two keys
/// is hot. Each key also keeps the first 16 bytes of its name and the first 8 of its
/// namespace as numbers: two keys whose strings differ there, or are that short, compare
/// without reading the strings' heap bytes (a cache miss each in a map of 10,000 pods). The
/// order is exactly that of `(kind, namespace, name)`.
///
/// The heads are 8-byte words, not one `u128` each: a key is then 80 bytes with 8-byte
/// alignment (96 with 16), and a B-tree node of keys stays under glibc's 1 KiB large-chunk
/// size, whose every allocation first consolidates the allocator's fast bins (a measured
/// 3% of a 10,000-pod scale-up's wall time when the work queues' nodes crossed it).
#[derive(Clone)]
pub struct ObjectKey {
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
    /// `head8(namespace)`, then `head16(name)` as its high and low words.
    heads: [u64; 3],
}

/// The first `N` bytes of `s`, big-endian, zero-padded: numbers order as the strings do,
/// except that a string and the same string with trailing NULs look alike (`cmp_names`).
fn head<const N: usize>(s: &str) -> [u8; N] {
    let bytes = s.as_bytes();
    let mut buf = [0u8; N];
    let n = bytes.len().min(N);
    buf[..n].copy_from_slice(&bytes[..n]);
    buf
}

/// `a.cmp(b)` given their heads (`a`'s and `b`'s first `len` bytes as numbers): equal heads
/// decide by length when both strings fit in them (the longer one only adds NULs, so it
/// sorts after), and by the bytes otherwise.
pub(crate) fn cmp_names<H: Ord>(ha: H, a: &str, hb: H, b: &str, len: usize) -> std::cmp::Ordering {
    match ha.cmp(&hb) {
        std::cmp::Ordering::Equal if a.len() <= len && b.len() <= len => a.len().cmp(&b.len()),
        std::cmp::Ordering::Equal => a.cmp(b),
        other => other,
    }
}

/// The first 16 bytes of `s` (`head`) as a high and a low word.
pub(crate) fn head16(s: &str) -> [u64; 2] {
    let bytes = head::<16>(s);
    let (hi, lo) = bytes.split_at(8);
    let word = |b: &[u8]| u64::from_be_bytes(b.try_into().unwrap_or([0; 8]));
    [word(hi), word(lo)]
}

/// `head8(namespace)`, then `head16(name)` as its high and low words.
fn heads(namespace: &str, name: &str) -> [u64; 3] {
    let [hi, lo] = head16(name);
    [u64::from_be_bytes(head::<8>(namespace)), hi, lo]
}

impl ObjectKey {
    pub fn new(kind: Kind, namespace: &str, name: &str) -> ObjectKey {
        KeyParts::new(kind, namespace, name).to_key()
    }

    pub fn of(kind: Kind, obj: &serde_json::Value) -> ObjectKey {
        ObjectKey::new(
            kind,
            crate::object::namespace(obj),
            crate::object::name(obj),
        )
    }
}

/// An `ObjectKey`'s parts as borrowed strings: what the key order compares.
#[derive(Clone, Copy)]
pub struct KeyParts<'a> {
    kind: Kind,
    heads: [u64; 3],
    namespace: &'a str,
    name: &'a str,
}

impl<'a> KeyParts<'a> {
    /// The parts of the key `ObjectKey::new(kind, namespace, name)` would make.
    pub fn new(kind: Kind, namespace: &'a str, name: &'a str) -> KeyParts<'a> {
        KeyParts {
            kind,
            heads: heads(namespace, name),
            namespace,
            name,
        }
    }

    /// The parts of the key of `obj` (`ObjectKey::of`).
    pub fn of(kind: Kind, obj: &'a serde_json::Value) -> KeyParts<'a> {
        KeyParts::new(
            kind,
            crate::object::namespace(obj),
            crate::object::name(obj),
        )
    }

    /// The owned key.
    pub fn to_key(&self) -> ObjectKey {
        ObjectKey {
            kind: self.kind,
            namespace: self.namespace.to_string(),
            name: self.name.to_string(),
            heads: self.heads,
        }
    }

    fn cmp(&self, other: &KeyParts<'_>) -> std::cmp::Ordering {
        let [ns_a, hi_a, lo_a] = self.heads;
        let [ns_b, hi_b, lo_b] = other.heads;
        self.kind
            .cmp(&other.kind)
            .then_with(|| cmp_names(ns_a, self.namespace, ns_b, other.namespace, 8))
            .then_with(|| cmp_names((hi_a, lo_a), self.name, (hi_b, lo_b), other.name, 16))
    }
}

/// A key to search a map of `ObjectKey`s with: an `ObjectKey`, or `KeyParts` borrowed from an
/// object, so a lookup (`map.get(&parts as &dyn KeyView)`) copies no string.
pub trait KeyView {
    fn parts(&self) -> KeyParts<'_>;
}

impl KeyView for ObjectKey {
    fn parts(&self) -> KeyParts<'_> {
        KeyParts {
            kind: self.kind,
            heads: self.heads,
            namespace: &self.namespace,
            name: &self.name,
        }
    }
}

impl KeyView for KeyParts<'_> {
    fn parts(&self) -> KeyParts<'_> {
        *self
    }
}

impl Ord for dyn KeyView + '_ {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.parts().cmp(&other.parts())
    }
}

impl PartialOrd for dyn KeyView + '_ {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for dyn KeyView + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}

impl Eq for dyn KeyView + '_ {}

impl<'a> std::borrow::Borrow<dyn KeyView + 'a> for ObjectKey {
    fn borrow(&self) -> &(dyn KeyView + 'a) {
        self
    }
}

impl Ord for ObjectKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.parts().cmp(&other.parts())
    }
}

impl PartialOrd for ObjectKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for ObjectKey {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == std::cmp::Ordering::Equal
    }
}

impl Eq for ObjectKey {}

impl std::hash::Hash for ObjectKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        (self.kind, &self.namespace, &self.name).hash(state);
    }
}

impl std::fmt::Debug for ObjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ObjectKey")
            .field("kind", &self.kind)
            .field("namespace", &self.namespace)
            .field("name", &self.name)
            .finish()
    }
}

/// What to do after a reconcile.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Done,
    /// Reconcile the same key again after this many virtual milliseconds.
    RequeueAfter(u64),
}

/// Everything a reconcile may touch.
pub struct Ctx<'a> {
    pub api: &'a mut Api,
    pub runtime: &'a mut Runtime,
    pub config: &'a Config,
}

pub trait Controller {
    /// The name events use as `source.component` where it applies (`statefulset-controller`).
    fn name(&self) -> &'static str;

    /// Whether events of this kind should be passed to `keys_for` (a cheap filter).
    fn watches(&self, kind: Kind) -> bool;

    /// Maps one watch event to the keys to reconcile.
    fn keys_for(&mut self, event: &WatchEvent, api: &Api, out: &mut Vec<ObjectKey>);

    /// Brings the world one step closer to what `key` wants.
    fn reconcile(&mut self, key: &ObjectKey, ctx: &mut Ctx<'_>) -> Action;
}

/// A de-duplicating FIFO of keys, as client-go's workqueue.
#[derive(Clone, Debug, Default)]
pub struct WorkQueue {
    order: std::collections::VecDeque<ObjectKey>,
    /// The keys in `order` (a map for its entry API: one search, and a key already queued,
    /// as most added keys are, is dropped without a copy).
    queued: std::collections::BTreeMap<ObjectKey, ()>,
}

impl WorkQueue {
    pub fn add(&mut self, key: ObjectKey) {
        if let std::collections::btree_map::Entry::Vacant(v) = self.queued.entry(key) {
            self.order.push_back(v.key().clone());
            v.insert(());
        }
    }

    /// The oldest queued key. Inlined: the cluster asks every controller's queue in every
    /// round, and a settled cluster's are empty (a call per ask doubled an idle step).
    #[inline]
    pub fn pop(&mut self) -> Option<ObjectKey> {
        let k = self.order.pop_front()?;
        self.queued.remove(&k);
        Some(k)
    }

    pub fn len(&self) -> usize {
        self.order.len()
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

/// Every controller of a cluster, in the fixed order the cluster runs them.
pub fn all(config: &crate::Config) -> Vec<Box<dyn Controller>> {
    vec![
        Box::new(statefulset::StatefulSetController::new()),
        Box::new(deployment::DeploymentController::new()),
        Box::new(replicaset::ReplicaSetController::new()),
        Box::new(gc::GarbageCollector::new()),
        Box::new(pv::PersistentVolumeController::new()),
        Box::new(scheduler::Scheduler::new()),
        Box::new(kubelet::Kubelet::new(config)),
        Box::new(endpoints::EndpointsController::new()),
        Box::new(nodes::NodeLifecycleController::new()),
        Box::new(disruption::DisruptionController::new()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Names near the 16-byte head, with NULs and shared prefixes, where a wrong shortcut
    /// would show.
    fn name() -> impl Strategy<Value = String> {
        prop_oneof![
            "[ab\\x00]{0,20}",
            "web-[0-9]{1,3}",
            "[a-z]{14,18}\\.[0-9a-f]{0,4}",
        ]
    }

    proptest! {
        #[test]
        fn key_order_is_the_tuple_order(
            a in (0usize..3, name(), name()),
            b in (0usize..3, name(), name()),
        ) {
            let kinds = [Kind::Pod, Kind::Node, Kind::Event];
            let ka = ObjectKey::new(kinds[a.0], &a.1, &a.2);
            let kb = ObjectKey::new(kinds[b.0], &b.1, &b.2);
            let expected = (kinds[a.0], &a.1, &a.2).cmp(&(kinds[b.0], &b.1, &b.2));
            prop_assert_eq!(ka.cmp(&kb), expected);
            prop_assert_eq!(ka == kb, expected == std::cmp::Ordering::Equal);
            // The same pair with equal namespaces decides by name alone.
            let kc = ObjectKey::new(kinds[a.0], &a.1, &b.2);
            prop_assert_eq!(ka.cmp(&kc), a.2.cmp(&b.2));
            // A borrowed probe finds exactly the equal key.
            let map: std::collections::BTreeMap<ObjectKey, u8> = [(ka, 1), (kb, 2)].into();
            let probe = KeyParts::new(kinds[a.0], &a.1, &a.2);
            let want = if expected == std::cmp::Ordering::Equal { 2 } else { 1 };
            prop_assert_eq!(map.get(&probe as &dyn KeyView), Some(&want));
        }
    }

    #[test]
    fn trailing_nuls_and_long_names_order_by_their_bytes() {
        let k = |n: &str| ObjectKey::new(Kind::Pod, "default", n);
        assert!(k("ab") < k("ab\0"));
        assert!(k("ab\0") < k("ab\0\0"));
        assert!(k("aaaaaaaaaaaaaaaa") < k("aaaaaaaaaaaaaaaa\0"));
        assert!(k("aaaaaaaaaaaaaaaab") < k("aaaaaaaaaaaaaaaac"));
        assert_eq!(k("web-0"), k("web-0"));
        assert_ne!(k("web-0"), ObjectKey::new(Kind::Pod, "other", "web-0"));
        let ns = |n: &str| ObjectKey::new(Kind::Pod, n, "a");
        assert!(ns("kube-sys") < ns("kube-sys\0"));
        assert!(ns("kube-system") < ns("kube-systen"));
        assert!(ns("default") < ns("kube-public"));
        // Small enough that a B-tree node of keys is no large chunk for glibc (see above).
        assert_eq!(std::mem::size_of::<ObjectKey>(), 80);
    }
}

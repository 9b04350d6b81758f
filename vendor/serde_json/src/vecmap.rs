//! kubeplay: the sorted-vector map behind `Map` (in place of `BTreeMap`).
//!
//! The keys are one sorted slice and the values one `Vec` at the same indexes, so iteration
//! is in key order exactly as with `BTreeMap`, and so is everything that follows from it
//! (serialisation, equality, `Debug`). API objects' maps hold a handful of keys: a lookup
//! there is a scan that compares lengths before bytes, and iteration walks two blocks. Bigger
//! maps use binary search. Bulk building (`from_iter`, `extend`, `append`, the deserialisers)
//! sorts once, so a huge unsorted object costs O(n log n), never O(n²).
//!
//! The key slice is reference-counted and shared by clones: `Map` copies a map on write
//! (`Arc::make_mut`), and most writes replace values, so a copy clones the values (maps and
//! arrays inside are shared in turn) and bumps one count for the keys instead of cloning every
//! key `String`. Only a write that changes the key set (a new key, a removal) copies the keys,
//! and only when they are still shared. Spare slots at the end of the slice hold empty keys
//! (no allocation) so that building a map key by key does not reallocate the keys each time.
//!
//! The module mirrors the parts of `alloc::collections::btree_map` that map.rs uses, under the
//! same names, so map.rs reads as upstream's.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::borrow::Borrow;
use core::cmp::Ordering;
use core::fmt::{self, Debug};
use core::hash::{Hash, Hasher};
use core::{iter, mem, slice};

/// Up to this many entries a lookup scans instead of bisecting.
const SCAN: usize = 16;


pub struct VecMap<K, V> {
    /// `keys[..values.len()]` are the keys, sorted and unique; the rest are `K::default()`,
    /// room for inserts while the slice is unshared. Shared between clones.
    keys: Arc<[K]>,
    values: Vec<V>,
}

impl<K, V: Clone> Clone for VecMap<K, V> {
    #[inline]
    fn clone(&self) -> Self {
        VecMap {
            keys: Arc::clone(&self.keys),
            values: self.values.clone(),
        }
    }
}

impl<K, V> Default for VecMap<K, V> {
    #[inline]
    fn default() -> Self {
        VecMap {
            // The empty slice is a static: an empty map allocates nothing for its keys.
            keys: Arc::default(),
            values: Vec::new(),
        }
    }
}

impl<K: PartialEq, V: PartialEq> PartialEq for VecMap<K, V> {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.values.len() == other.values.len()
            && (Arc::ptr_eq(&self.keys, &other.keys) || self.key_slice() == other.key_slice())
            && self.values == other.values
    }
}

impl<K: Hash, V: Hash> Hash for VecMap<K, V> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_usize(self.values.len());
        for (k, v) in self.iter() {
            k.hash(state);
            v.hash(state);
        }
    }
}

impl<K: Debug, V: Debug> Debug for VecMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Equal keys have equal sizes: for `str` (the usual `Q`) that is the byte length, a cheap
/// check before the bytes; for a sized `Q` it always holds and the comparison decides.
#[inline]
fn same_size<Q: ?Sized>(a: &Q, b: &Q) -> bool {
    mem::size_of_val(a) == mem::size_of_val(b)
}

/// How many key slots to allocate when `needed` no longer fit: double what is there, like
/// `Vec`, so that building a map key by key reallocates its keys O(log n) times.
#[inline]
fn room_for(needed: usize, slots: usize) -> usize {
    needed.max(slots * 2).max(4)
}

/// The index of `key` in the sorted `keys` of a big map, if present.
#[inline(never)]
fn bisect<K: Borrow<Q>, Q: ?Sized + Ord>(keys: &[K], key: &Q) -> Option<usize> {
    keys.binary_search_by(|k| k.borrow().cmp(key)).ok()
}

impl<K, V> VecMap<K, V> {
    /// The keys, in order, at the indexes of their values.
    #[inline(always)]
    fn key_slice(&self) -> &[K] {
        &self.keys[..self.values.len()]
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.values.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    #[inline]
    pub fn iter(&self) -> Iter<'_, K, V> {
        self.key_slice().iter().zip(self.values.iter())
    }

    #[inline]
    pub fn iter_mut(&mut self) -> IterMut<'_, K, V> {
        let len = self.values.len();
        self.keys[..len].iter().zip(self.values.iter_mut())
    }

    #[inline]
    pub fn keys(&self) -> Keys<'_, K> {
        self.key_slice().iter()
    }

    #[inline]
    pub fn values(&self) -> Values<'_, V> {
        self.values.iter()
    }

    #[inline]
    pub fn values_mut(&mut self) -> ValuesMut<'_, V> {
        self.values.iter_mut()
    }

    #[inline]
    pub fn into_values(self) -> IntoValues<V> {
        self.values.into_iter()
    }
}

impl<K: Ord + Clone + Default, V> VecMap<K, V> {
    #[inline]
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds from entries sorted by key with unique keys.
    fn from_sorted(mut entries: Vec<(K, V)>) -> Self {
        // The keys move to their slice (one allocation: the iterator has an exact length)
        // and the values are collected in place, reusing the entries' allocation.
        let keys: Arc<[K]> = entries.iter_mut().map(|(k, _)| mem::take(k)).collect();
        let values: Vec<V> = entries.into_iter().map(|(_, v)| v).collect();
        VecMap { keys, values }
    }

    /// Sorts `entries` by key (stable) and keeps the last of equal keys, as `BTreeMap`'s
    /// `from_iter` and repeated `insert`s do.
    fn from_unsorted(mut entries: Vec<(K, V)>) -> Self {
        if entries.windows(2).all(|w| w[0].0 < w[1].0) {
            return Self::from_sorted(entries);
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(K, V)> = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            match out.last_mut() {
                Some(last) if last.0 == k => last.1 = v,
                _ => out.push((k, v)),
            }
        }
        Self::from_sorted(out)
    }

    /// The keys by value, leaving the key slice empty (the values stay): moved out when the
    /// slice is unshared, cloned otherwise.
    fn take_keys(&mut self) -> Vec<K> {
        let len = self.values.len();
        let keys = match Arc::get_mut(&mut self.keys) {
            Some(own) => own[..len].iter_mut().map(mem::take).collect(),
            None => self.keys[..len].to_vec(),
        };
        self.keys = Arc::default();
        keys
    }

    /// The entries by value, leaving this map empty.
    fn take_entries(&mut self) -> Vec<(K, V)> {
        let keys = self.take_keys();
        keys.into_iter().zip(mem::take(&mut self.values)).collect()
    }

    /// The key slots, unshared, with room for `extra` more keys than there are values.
    fn keys_mut(&mut self, extra: usize) -> &mut [K] {
        let len = self.values.len();
        let needed = len + extra;
        let fits = self.keys.len() >= needed;
        if !(fits && Arc::get_mut(&mut self.keys).is_some()) {
            let slots = match Arc::get_mut(&mut self.keys) {
                Some(_) => room_for(needed, self.keys.len()),
                // A copy for a new key: some room for the next ones of the same write.
                None => (needed + needed / 2).max(4),
            };
            let spare = slots - len;
            let fresh = iter::repeat_with(K::default).take(spare);
            self.keys = match Arc::get_mut(&mut self.keys) {
                Some(own) => own[..len].iter_mut().map(mem::take).chain(fresh).collect(),
                None => self.keys[..len].iter().cloned().chain(fresh).collect(),
            };
        }
        match Arc::get_mut(&mut self.keys) {
            Some(keys) => keys,
            None => unreachable!("the keys were made unshared just above"),
        }
    }

    /// Puts `key` and `value` in at `index` (where `find` said the key goes).
    #[inline]
    fn insert_at(&mut self, index: usize, key: K, value: V) {
        let len = self.values.len();
        let keys = self.keys_mut(1);
        // The spare slot at `len` moves to `index` and takes the key.
        keys[index..=len].rotate_right(1);
        keys[index] = key;
        self.values.insert(index, value);
    }

    /// Takes the entry at `index` out.
    fn remove_at(&mut self, index: usize) -> (K, V) {
        let len = self.values.len();
        let key = match Arc::get_mut(&mut self.keys) {
            Some(keys) => {
                keys[index..len].rotate_left(1);
                mem::take(&mut keys[len - 1])
            }
            None => {
                let key = self.keys[index].clone();
                self.keys = self.keys[..index]
                    .iter()
                    .chain(&self.keys[index + 1..len])
                    .cloned()
                    .collect();
                key
            }
        };
        (key, self.values.remove(index))
    }

    /// The index of `key`, if present. Always inlined, and only the scan is: most lookups
    /// are a short scan, and as a call (or with the bisection inlined too) the lookup's
    /// set-up cost as much as the scan (measured).
    #[inline(always)]
    fn position<Q>(&self, key: &Q) -> Option<usize>
    where
        K: Borrow<Q>,
        Q: ?Sized + Ord,
    {
        let keys = self.key_slice();
        if keys.len() <= SCAN {
            keys.iter().position(|k| {
                let k: &Q = k.borrow();
                same_size(k, key) && k == key
            })
        } else {
            bisect(keys, key)
        }
    }

    /// `Ok(index)` of `key`, or `Err(index)` where it would go.
    #[inline]
    fn find<Q>(&self, key: &Q) -> Result<usize, usize>
    where
        K: Borrow<Q>,
        Q: ?Sized + Ord,
    {
        match self.position(key) {
            Some(i) => Ok(i),
            None => Err(self.key_slice().partition_point(|k| k.borrow() < key)),
        }
    }

    #[inline]
    pub fn clear(&mut self) {
        self.values.clear();
        self.keys = Arc::default();
    }

    #[inline]
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: ?Sized + Ord,
    {
        match self.position(key) {
            Some(i) => Some(&self.values[i]),
            None => None,
        }
    }

    #[inline]
    pub fn contains_key<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: ?Sized + Ord,
    {
        self.position(key).is_some()
    }

    #[inline]
    pub fn get_mut<Q>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
        Q: ?Sized + Ord,
    {
        match self.position(key) {
            Some(i) => Some(&mut self.values[i]),
            None => None,
        }
    }

    #[inline]
    pub fn get_key_value<Q>(&self, key: &Q) -> Option<(&K, &V)>
    where
        K: Borrow<Q>,
        Q: ?Sized + Ord,
    {
        match self.position(key) {
            Some(i) => Some((&self.keys[i], &self.values[i])),
            None => None,
        }
    }

    /// Inserts or replaces; like `BTreeMap`, a replaced entry keeps its old key.
    #[inline]
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        // Building in key order (json!, sorted input) appends.
        let at = match self.key_slice().last() {
            None => Err(0),
            Some(last) => match last.cmp(&key) {
                Ordering::Less => Err(self.values.len()),
                _ => self.find(&key),
            },
        };
        match at {
            Ok(i) => Some(mem::replace(&mut self.values[i], value)),
            Err(i) => {
                self.insert_at(i, key, value);
                None
            }
        }
    }

    #[inline]
    pub fn remove<Q>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: ?Sized + Ord,
    {
        self.remove_entry(key).map(|(_, v)| v)
    }

    #[inline]
    pub fn remove_entry<Q>(&mut self, key: &Q) -> Option<(K, V)>
    where
        K: Borrow<Q>,
        Q: ?Sized + Ord,
    {
        match self.position(key) {
            Some(i) => Some(self.remove_at(i)),
            None => None,
        }
    }

    /// Moves every entry of `other` in (its values win on equal keys), leaving it empty.
    pub fn append(&mut self, other: &mut Self) {
        let theirs = other.take_entries();
        self.extend(theirs);
    }

    #[inline]
    pub fn entry(&mut self, key: K) -> Entry<'_, K, V> {
        match self.find(&key) {
            Ok(index) => Entry::Occupied(OccupiedEntry { map: self, index }),
            Err(index) => Entry::Vacant(VacantEntry {
                map: self,
                index,
                key,
            }),
        }
    }

    pub fn retain<F>(&mut self, mut f: F)
    where
        F: FnMut(&K, &mut V) -> bool,
    {
        let len = self.values.len();
        // Which entries stay; allocated only once one goes.
        let mut keep: Vec<bool> = Vec::new();
        for (i, (k, v)) in self.keys[..len].iter().zip(&mut self.values).enumerate() {
            let stays = f(k, v);
            if !stays && keep.is_empty() {
                keep = iter::repeat_n(true, len).collect();
            }
            if !keep.is_empty() {
                keep[i] = stays;
            }
        }
        if keep.is_empty() {
            return;
        }
        let mut flags = keep.iter();
        self.values.retain(|_| flags.next().copied().unwrap_or(true));
        match Arc::get_mut(&mut self.keys) {
            Some(keys) => {
                // Stable compaction; the emptied tail goes back to spare slots.
                let mut kept = 0;
                for (i, stays) in keep.iter().enumerate() {
                    if *stays {
                        keys.swap(kept, i);
                        kept += 1;
                    }
                }
                for slot in &mut keys[kept..len] {
                    drop(mem::take(slot));
                }
            }
            None => {
                self.keys = self.keys[..len]
                    .iter()
                    .zip(&keep)
                    .filter(|(_, stays)| **stays)
                    .map(|(k, _)| k.clone())
                    .collect();
            }
        }
    }
}

pub type Iter<'a, K, V> = iter::Zip<slice::Iter<'a, K>, slice::Iter<'a, V>>;
pub type IterMut<'a, K, V> = iter::Zip<slice::Iter<'a, K>, slice::IterMut<'a, V>>;
pub type IntoIter<K, V> = iter::Zip<alloc::vec::IntoIter<K>, alloc::vec::IntoIter<V>>;
pub type Keys<'a, K> = slice::Iter<'a, K>;
pub type Values<'a, V> = slice::Iter<'a, V>;
pub type ValuesMut<'a, V> = slice::IterMut<'a, V>;
pub type IntoValues<V> = alloc::vec::IntoIter<V>;

impl<K: Ord + Clone + Default, V> IntoIterator for VecMap<K, V> {
    type Item = (K, V);
    type IntoIter = IntoIter<K, V>;
    #[inline]
    fn into_iter(mut self) -> Self::IntoIter {
        let keys = self.take_keys();
        keys.into_iter().zip(mem::take(&mut self.values))
    }
}

impl<K: Ord + Clone + Default, V> FromIterator<(K, V)> for VecMap<K, V> {
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        Self::from_unsorted(iter.into_iter().collect())
    }
}

impl<K: Ord + Clone + Default, V> Extend<(K, V)> for VecMap<K, V> {
    fn extend<T: IntoIterator<Item = (K, V)>>(&mut self, iter: T) {
        let mut iter = iter.into_iter();
        // A few entries go in one by one; many are appended and sorted once.
        let (lower, _) = iter.size_hint();
        if lower <= 4 {
            for _ in 0..4 {
                match iter.next() {
                    Some((k, v)) => {
                        self.insert(k, v);
                    }
                    None => return,
                }
            }
        }
        let mut iter = iter.peekable();
        if iter.peek().is_none() {
            return;
        }
        let mut all = self.take_entries();
        all.extend(iter);
        // Stable: for equal keys the later (the extension's) value wins.
        *self = Self::from_unsorted(all);
    }
}

impl<K, Q, V> core::ops::Index<&Q> for VecMap<K, V>
where
    K: Borrow<Q> + Ord + Clone + Default,
    Q: ?Sized + Ord,
{
    type Output = V;
    #[inline]
    fn index(&self, key: &Q) -> &V {
        self.get(key).expect("no entry found for key")
    }
}

pub enum Entry<'a, K, V> {
    Vacant(VacantEntry<'a, K, V>),
    Occupied(OccupiedEntry<'a, K, V>),
}

pub struct VacantEntry<'a, K, V> {
    map: &'a mut VecMap<K, V>,
    index: usize,
    key: K,
}

impl<'a, K: Ord + Clone + Default, V> VacantEntry<'a, K, V> {
    #[inline]
    pub fn key(&self) -> &K {
        &self.key
    }

    #[inline]
    pub fn insert(self, value: V) -> &'a mut V {
        self.map.insert_at(self.index, self.key, value);
        &mut self.map.values[self.index]
    }
}

pub struct OccupiedEntry<'a, K, V> {
    map: &'a mut VecMap<K, V>,
    index: usize,
}

impl<'a, K: Ord + Clone + Default, V> OccupiedEntry<'a, K, V> {
    #[inline]
    pub fn key(&self) -> &K {
        &self.map.keys[self.index]
    }

    #[inline]
    pub fn get(&self) -> &V {
        &self.map.values[self.index]
    }

    #[inline]
    pub fn get_mut(&mut self) -> &mut V {
        &mut self.map.values[self.index]
    }

    #[inline]
    pub fn into_mut(self) -> &'a mut V {
        &mut self.map.values[self.index]
    }

    #[inline]
    pub fn insert(&mut self, value: V) -> V {
        mem::replace(&mut self.map.values[self.index], value)
    }

    #[inline]
    pub fn remove(self) -> V {
        self.remove_entry().1
    }

    #[inline]
    pub fn remove_entry(self) -> (K, V) {
        self.map.remove_at(self.index)
    }
}

#[cfg(test)]
mod tests {
    //! The map against `BTreeMap` as the model, through every mutating path, with clones
    //! taken along the way so that shared and unshared key slices are both exercised.
    use super::VecMap;
    use alloc::collections::BTreeMap;
    use alloc::string::{String, ToString};
    use alloc::vec::Vec;

    type Model = BTreeMap<String, u32>;

    fn same(map: &VecMap<String, u32>, model: &Model) {
        let got: Vec<(&String, &u32)> = map.iter().collect();
        let want: Vec<(&String, &u32)> = model.iter().collect();
        assert_eq!(got, want);
        assert_eq!(map.len(), model.len());
        assert_eq!(map.keys().count(), model.len());
        for (k, v) in model {
            assert_eq!(map.get(k.as_str()), Some(v));
        }
        assert_eq!(map.get("absent"), None);
    }

    /// A small deterministic generator (xorshift) for keys and operations.
    struct Gen(u64);
    impl Gen {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn key(&mut self, spread: u64) -> String {
            let n = self.next() % spread;
            // Keys of a few equal lengths, so the scan compares bytes too.
            alloc::format!("k{}", n * 7 % (spread + 3))
        }
    }

    #[test]
    fn behaves_like_a_btreemap_through_shared_and_unshared_writes() {
        for spread in [3u64, 12, 40] {
            let mut gen = Gen(0x9e37_79b9_7f4a_7c15 ^ spread);
            let mut map: VecMap<String, u32> = VecMap::new();
            let mut model = Model::new();
            let mut old: Vec<(VecMap<String, u32>, Model)> = Vec::new();
            for step in 0..3000u32 {
                if gen.next() % 5 == 0 {
                    old.push((map.clone(), model.clone()));
                }
                let key = gen.key(spread);
                match gen.next() % 9 {
                    0 | 1 | 2 => assert_eq!(map.insert(key.clone(), step), model.insert(key, step)),
                    3 => assert_eq!(map.remove(key.as_str()), model.remove(&key)),
                    4 => assert_eq!(
                        map.remove_entry(key.as_str()),
                        model.remove_entry(&key)
                    ),
                    5 => {
                        let cut = (gen.next() % 4) as u32;
                        map.retain(|_, v| *v % 4 != cut);
                        model.retain(|_, v| *v % 4 != cut);
                    }
                    6 => match (map.entry(key.clone()), model.entry(key)) {
                        (super::Entry::Vacant(a), alloc::collections::btree_map::Entry::Vacant(b)) => {
                            assert_eq!(a.key(), b.key());
                            *a.insert(step) += 1;
                            *b.insert(step) += 1;
                        }
                        (super::Entry::Occupied(a), alloc::collections::btree_map::Entry::Occupied(b)) => {
                            assert_eq!(a.key(), b.key());
                            if step % 2 == 0 {
                                assert_eq!(a.remove_entry(), b.remove_entry());
                            } else {
                                *a.into_mut() += 1;
                                *b.into_mut() += 1;
                            }
                        }
                        _ => panic!("entry kinds differ"),
                    },
                    7 => {
                        let n = gen.next() % 8;
                        let more: Vec<(String, u32)> =
                            (0..n).map(|i| (gen.key(spread), step + i as u32)).collect();
                        map.extend(more.clone());
                        model.extend(more);
                    }
                    _ => {
                        for (_, v) in map.iter_mut() {
                            *v += 1;
                        }
                        for v in model.values_mut() {
                            *v += 1;
                        }
                    }
                }
                same(&map, &model);
                if step % 500 == 499 {
                    let owned: Vec<(String, u32)> = map.clone().into_iter().collect();
                    assert_eq!(owned, model.clone().into_iter().collect::<Vec<_>>());
                    let mut other: VecMap<String, u32> = owned.iter().rev().cloned().collect();
                    assert!(other == map);
                    map.append(&mut other);
                    assert!(other.is_empty());
                    same(&map, &model);
                }
            }
            // Every clone still holds what the model held when it was taken.
            for (m, model) in &old {
                same(m, model);
            }
            map.clear();
            same(&map, &Model::new());
        }
    }

    #[test]
    fn a_copy_shares_its_keys_until_the_key_set_changes() {
        let mut a: VecMap<String, u32> = VecMap::new();
        for k in ["b", "a", "c"] {
            a.insert(k.to_string(), 1);
        }
        let mut b = a.clone();
        *b.get_mut("a").unwrap() = 2;
        assert!(alloc::sync::Arc::ptr_eq(&a.keys, &b.keys));
        b.insert("d".to_string(), 3);
        assert!(!alloc::sync::Arc::ptr_eq(&a.keys, &b.keys));
        assert_eq!(a.keys().collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(b.keys().collect::<Vec<_>>(), ["a", "b", "c", "d"]);
        assert_eq!(a.get("a"), Some(&1));
        assert_eq!(b.get("a"), Some(&2));
        // Equal maps whatever their spare room.
        let mut c = b.clone();
        c.remove("d");
        assert!(c != a);
        *c.get_mut("a").unwrap() = 1;
        assert!(c == a);
    }
}

//! kubeplay: the sorted-vector map behind `Map` (in place of `BTreeMap`).
//!
//! The entries are one `Vec` of (key, value) pairs kept sorted by key, so iteration is in key
//! order exactly as with `BTreeMap`, and so is everything that follows from it (serialisation,
//! equality, `Debug`). API objects' maps hold a handful of keys: a lookup there is a scan that
//! compares lengths before bytes, a clone is one allocation, and iteration walks one block.
//! Bigger maps use binary search. Bulk building (`from_iter`, `extend`, `append`, the
//! deserialisers) sorts once, so a huge unsorted object costs O(n log n), never O(n²).
//!
//! The module mirrors the parts of `alloc::collections::btree_map` that map.rs uses, under the
//! same names, so map.rs reads as upstream's.

use alloc::vec::Vec;
use core::borrow::Borrow;
use core::cmp::Ordering;
use core::fmt::{self, Debug};
use core::hash::{Hash, Hasher};
use core::mem;

/// Up to this many entries a lookup scans instead of bisecting.
const SCAN: usize = 16;

pub struct VecMap<K, V> {
    entries: Vec<(K, V)>,
}

impl<K: Clone, V: Clone> Clone for VecMap<K, V> {
    #[inline]
    fn clone(&self) -> Self {
        VecMap {
            entries: self.entries.clone(),
        }
    }
}

impl<K, V> Default for VecMap<K, V> {
    #[inline]
    fn default() -> Self {
        VecMap {
            entries: Vec::new(),
        }
    }
}

impl<K: PartialEq, V: PartialEq> PartialEq for VecMap<K, V> {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        self.entries == other.entries
    }
}

impl<K: Hash, V: Hash> Hash for VecMap<K, V> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_usize(self.entries.len());
        for (k, v) in &self.entries {
            k.hash(state);
            v.hash(state);
        }
    }
}

impl<K: Debug, V: Debug> Debug for VecMap<K, V> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.debug_map()
            .entries(self.entries.iter().map(|(k, v)| (k, v)))
            .finish()
    }
}

/// Equal keys have equal sizes: for `str` (the usual `Q`) that is the byte length, a cheap
/// check before the bytes; for a sized `Q` it always holds and the comparison decides.
#[inline]
fn same_size<Q: ?Sized>(a: &Q, b: &Q) -> bool {
    mem::size_of_val(a) == mem::size_of_val(b)
}

/// Equality of two byte strings of the same length `n`, without a libc call for n <= 32:
/// two or four (possibly overlapping) word loads per side. API objects' keys are short ("name",
/// "metadata", "resourceVersion"), and a call to `bcmp` cost more than the scan around it.
#[inline(always)]
fn short_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n >= 8 {
        if n > 16 {
            if n > 32 {
                return a == b;
            }
            // "creationTimestamp", "terminationGracePeriodSeconds": four words.
            return word8(a, 0) == word8(b, 0)
                && word8(a, 8) == word8(b, 8)
                && word8(a, n - 16) == word8(b, n - 16)
                && word8(a, n - 8) == word8(b, n - 8);
        }
        return word8(a, 0) == word8(b, 0) && word8(a, n - 8) == word8(b, n - 8);
    }
    if n >= 4 {
        return word4(a, 0) == word4(b, 0) && word4(a, n - 4) == word4(b, n - 4);
    }
    n == 0 || (a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1])
}

#[inline(always)]
fn word8(s: &[u8], at: usize) -> u64 {
    match s.get(at..at + 8) {
        Some(w) => u64::from_le_bytes([w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7]]),
        None => 0,
    }
}

#[inline(always)]
fn word4(s: &[u8], at: usize) -> u32 {
    match s.get(at..at + 4) {
        Some(w) => u32::from_le_bytes([w[0], w[1], w[2], w[3]]),
        None => 0,
    }
}

impl<V> VecMap<alloc::string::String, V> {
    /// `get` for a `str` key: the same answer, with the small-map scan comparing short keys
    /// inline (`short_eq`) instead of calling `bcmp`.
    #[inline(always)]
    pub fn get_str(&self, key: &str) -> Option<&V> {
        if self.entries.len() <= SCAN {
            let key = key.as_bytes();
            for (k, v) in &self.entries {
                if short_eq(k.as_bytes(), key) {
                    return Some(v);
                }
            }
            None
        } else {
            self.get(key)
        }
    }
}

impl<K: Ord, V> VecMap<K, V> {
    #[inline]
    pub fn new() -> Self {
        Self::default()
    }

    /// Sorts `entries` by key (stable) and keeps the last of equal keys, as `BTreeMap`'s
    /// `from_iter` and repeated `insert`s do.
    fn from_unsorted(mut entries: Vec<(K, V)>) -> Self {
        if entries.windows(2).all(|w| w[0].0 < w[1].0) {
            return VecMap { entries };
        }
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(K, V)> = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            match out.last_mut() {
                Some(last) if last.0 == k => last.1 = v,
                _ => out.push((k, v)),
            }
        }
        VecMap { entries: out }
    }

    /// The index of `key`, if present.
    #[inline]
    fn position<Q>(&self, key: &Q) -> Option<usize>
    where
        K: Borrow<Q>,
        Q: ?Sized + Ord,
    {
        if self.entries.len() <= SCAN {
            self.entries.iter().position(|(k, _)| {
                let k: &Q = k.borrow();
                same_size(k, key) && k == key
            })
        } else {
            self.entries
                .binary_search_by(|(k, _)| k.borrow().cmp(key))
                .ok()
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
            None => Err(self.entries.partition_point(|(k, _)| k.borrow() < key)),
        }
    }

    #[inline]
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    #[inline]
    pub fn reserve_exact(&mut self, additional: usize) {
        self.entries.reserve_exact(additional);
    }

    #[inline]
    pub fn get<Q>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
        Q: ?Sized + Ord,
    {
        match self.position(key) {
            Some(i) => Some(&self.entries[i].1),
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
            Some(i) => Some(&mut self.entries[i].1),
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
            Some(i) => {
                let (k, v) = &self.entries[i];
                Some((k, v))
            }
            None => None,
        }
    }

    /// Inserts or replaces; like `BTreeMap`, a replaced entry keeps its old key.
    #[inline]
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        // Building in key order (json!, sorted input) appends.
        let at = match self.entries.last() {
            None => Err(0),
            Some((last, _)) => match last.cmp(&key) {
                Ordering::Less => Err(self.entries.len()),
                _ => self.find(&key),
            },
        };
        match at {
            Ok(i) => Some(mem::replace(&mut self.entries[i].1, value)),
            Err(i) => {
                self.entries.insert(i, (key, value));
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
            Some(i) => Some(self.entries.remove(i)),
            None => None,
        }
    }

    /// Moves every entry of `other` in (its values win on equal keys), leaving it empty.
    pub fn append(&mut self, other: &mut Self) {
        let theirs = mem::take(&mut other.entries);
        self.extend(theirs);
    }

    #[inline]
    pub fn entry(&mut self, key: K) -> Entry<'_, K, V> {
        match self.find(&key) {
            Ok(index) => Entry::Occupied(OccupiedEntry {
                entries: &mut self.entries,
                index,
            }),
            Err(index) => Entry::Vacant(VacantEntry {
                entries: &mut self.entries,
                index,
                key,
            }),
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    #[inline]
    pub fn iter(&self) -> Iter<'_, K, V> {
        self.entries.iter().map(pair_ref as fn(&(K, V)) -> (&K, &V))
    }

    #[inline]
    pub fn iter_mut(&mut self) -> IterMut<'_, K, V> {
        self.entries
            .iter_mut()
            .map(pair_mut as fn(&mut (K, V)) -> (&K, &mut V))
    }

    #[inline]
    pub fn keys(&self) -> Keys<'_, K, V> {
        self.entries.iter().map(key_ref as fn(&(K, V)) -> &K)
    }

    #[inline]
    pub fn values(&self) -> Values<'_, K, V> {
        self.entries.iter().map(value_ref as fn(&(K, V)) -> &V)
    }

    #[inline]
    pub fn values_mut(&mut self) -> ValuesMut<'_, K, V> {
        self.entries
            .iter_mut()
            .map(value_mut as fn(&mut (K, V)) -> &mut V)
    }

    #[inline]
    pub fn into_values(self) -> IntoValues<K, V> {
        self.entries
            .into_iter()
            .map(value_owned as fn((K, V)) -> V)
    }

    #[inline]
    pub fn retain<F>(&mut self, mut f: F)
    where
        F: FnMut(&K, &mut V) -> bool,
    {
        self.entries.retain_mut(|(k, v)| f(k, v));
    }
}

fn pair_ref<K, V>(e: &(K, V)) -> (&K, &V) {
    (&e.0, &e.1)
}
fn pair_mut<K, V>(e: &mut (K, V)) -> (&K, &mut V) {
    (&e.0, &mut e.1)
}
fn key_ref<K, V>(e: &(K, V)) -> &K {
    &e.0
}
fn value_ref<K, V>(e: &(K, V)) -> &V {
    &e.1
}
fn value_mut<K, V>(e: &mut (K, V)) -> &mut V {
    &mut e.1
}
fn value_owned<K, V>(e: (K, V)) -> V {
    e.1
}

pub type Iter<'a, K, V> =
    core::iter::Map<core::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> (&'a K, &'a V)>;
pub type IterMut<'a, K, V> =
    core::iter::Map<core::slice::IterMut<'a, (K, V)>, fn(&'a mut (K, V)) -> (&'a K, &'a mut V)>;
pub type IntoIter<K, V> = alloc::vec::IntoIter<(K, V)>;
pub type Keys<'a, K, V> = core::iter::Map<core::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> &'a K>;
pub type Values<'a, K, V> =
    core::iter::Map<core::slice::Iter<'a, (K, V)>, fn(&'a (K, V)) -> &'a V>;
pub type ValuesMut<'a, K, V> =
    core::iter::Map<core::slice::IterMut<'a, (K, V)>, fn(&'a mut (K, V)) -> &'a mut V>;
pub type IntoValues<K, V> = core::iter::Map<alloc::vec::IntoIter<(K, V)>, fn((K, V)) -> V>;

impl<K, V> IntoIterator for VecMap<K, V> {
    type Item = (K, V);
    type IntoIter = IntoIter<K, V>;
    #[inline]
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<K: Ord, V> FromIterator<(K, V)> for VecMap<K, V> {
    fn from_iter<T: IntoIterator<Item = (K, V)>>(iter: T) -> Self {
        Self::from_unsorted(iter.into_iter().collect())
    }
}

impl<K: Ord, V> Extend<(K, V)> for VecMap<K, V> {
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
        let mut all = mem::take(&mut self.entries);
        let before = all.len();
        all.extend(iter);
        if all.len() == before {
            self.entries = all;
            return;
        }
        // Stable: for equal keys the later (the extension's) value wins.
        *self = Self::from_unsorted(all);
    }
}

impl<K, Q, V> core::ops::Index<&Q> for VecMap<K, V>
where
    K: Borrow<Q> + Ord,
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
    entries: &'a mut Vec<(K, V)>,
    index: usize,
    key: K,
}

impl<'a, K, V> VacantEntry<'a, K, V> {
    #[inline]
    pub fn key(&self) -> &K {
        &self.key
    }

    #[inline]
    pub fn insert(self, value: V) -> &'a mut V {
        self.entries.insert(self.index, (self.key, value));
        &mut self.entries[self.index].1
    }
}

pub struct OccupiedEntry<'a, K, V> {
    entries: &'a mut Vec<(K, V)>,
    index: usize,
}

impl<'a, K, V> OccupiedEntry<'a, K, V> {
    #[inline]
    pub fn key(&self) -> &K {
        &self.entries[self.index].0
    }

    #[inline]
    pub fn get(&self) -> &V {
        &self.entries[self.index].1
    }

    #[inline]
    pub fn get_mut(&mut self) -> &mut V {
        &mut self.entries[self.index].1
    }

    #[inline]
    pub fn into_mut(self) -> &'a mut V {
        &mut self.entries[self.index].1
    }

    #[inline]
    pub fn insert(&mut self, value: V) -> V {
        mem::replace(&mut self.entries[self.index].1, value)
    }

    #[inline]
    pub fn remove(self) -> V {
        self.remove_entry().1
    }

    #[inline]
    pub fn remove_entry(self) -> (K, V) {
        self.entries.remove(self.index)
    }
}

#[cfg(test)]
mod tests {
    //! The map against `BTreeMap` as the model, through every mutating path, with clones
    //! taken along the way, which must keep their contents through later writes.
    use super::VecMap;
    use alloc::collections::BTreeMap;
    use alloc::string::String;
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
    fn get_str_answers_as_get_for_every_length_and_every_differing_byte() {
        let mut map: VecMap<String, usize> = VecMap::new();
        let mut probes: Vec<String> = Vec::new();
        for n in 0..=40usize {
            let base: String = (0..n).map(|i| (b'a' + (i % 26) as u8) as char).collect();
            map.insert(base.clone(), n);
            probes.push(base.clone());
            for at in 0..n {
                let mut bytes = base.clone().into_bytes();
                bytes[at] = b'Z';
                probes.push(String::from_utf8(bytes).unwrap());
            }
            probes.push(base + "x");
        }
        // A small map scans (short_eq), the big one bisects: both must answer as `get`.
        let by_len = |lens: core::ops::Range<usize>| -> VecMap<String, usize> {
            map.iter()
                .filter(|(k, _)| lens.contains(&k.len()))
                .map(|(k, v)| (k.clone(), *v))
                .collect()
        };
        let (short, long, longer) = (by_len(0..12), by_len(5..21), by_len(21..37));
        for m in [&short, &long, &longer] {
            assert!(m.len() <= super::SCAN);
        }
        assert!(map.len() > super::SCAN);
        for probe in &probes {
            for m in [&map, &short, &long, &longer] {
                assert_eq!(m.get_str(probe), m.get(probe.as_str()), "{probe:?}");
            }
        }
    }
}

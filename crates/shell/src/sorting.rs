//! Stable sorting that shares one compiled copy of the standard library's sort.
//!
//! What it is for: the size of the web page. `slice::sort_by` is generic over both the element
//! type and the comparison closure, so every call site compiles its own copy of the whole
//! driftsort/quicksort machinery (about 3.5 KB of WebAssembly each; there were 45 of them, a
//! sixth of the page's generic code). Here the standard sort runs once, non-generically, on a
//! vector of indices with a `dyn` comparison; each call site only adds a small permutation loop.
//!
//! What it must never do: change an order. [`sort_by`] is stable exactly like `slice::sort_by`
//! (equal elements keep their relative order), so swapping one for the other is behaviour-neutral.
//! The cost is one `Vec<usize>` allocation per sort, which is nothing next to the comparisons of
//! the objects sorted here.

use std::cmp::Ordering;

/// Sorts `v` stably by `cmp`; the same result as `v.sort_by(cmp)`.
pub fn sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    let order = {
        let items: &[T] = v;
        sorted_order(
            items.len(),
            &mut |a, b| match (items.get(a), items.get(b)) {
                (Some(x), Some(y)) => cmp(x, y),
                _ => Ordering::Equal,
            },
        )
    };
    permute(v, order);
}

/// Sorts `v` stably by the key `f` returns; the same result as `v.sort_by_key(f)`.
pub fn sort_by_key<T, K: Ord>(v: &mut [T], mut f: impl FnMut(&T) -> K) {
    sort_by(v, |a, b| f(a).cmp(&f(b)));
}

/// Sorts `v` in ascending order, stably; the same result as `v.sort()` (and a valid result of
/// `v.sort_unstable()`).
pub fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

/// The one monomorphic copy of the standard sort: the order in which `len` items should stand,
/// as indices into the unsorted slice.
#[inline(never)]
fn sorted_order(len: usize, cmp: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| cmp(a, b));
    order
}

/// Rearranges `v` so that position `i` holds the element that stood at `order[i]`, following
/// each cycle of the permutation with swaps (no clones, no extra storage for `T`).
fn permute<T>(v: &mut [T], mut order: Vec<usize>) {
    for start in 0..order.len() {
        let mut i = start;
        while let Some(&next) = order.get(i) {
            if next == start {
                break;
            }
            v.swap(i, next);
            order[i] = i;
            i = next;
        }
        if let Some(slot) = order.get_mut(i) {
            *slot = i;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_standard_stable_sort() {
        // Pairs sorted by the first field only: the second shows whether equal keys stay in order.
        let mut seed = 12345u64;
        for len in 0..60 {
            let mut v: Vec<(u8, usize)> = (0..len)
                .map(|i| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    ((seed >> 59) as u8, i)
                })
                .collect();
            let mut expected = v.clone();
            expected.sort_by_key(|a| a.0);
            sort_by(&mut v, |a, b| a.0.cmp(&b.0));
            assert_eq!(v, expected, "len {len}");
        }
    }

    #[test]
    fn sort_and_sort_by_key() {
        let mut words = vec![
            "pear".to_string(),
            "apple".into(),
            "fig".into(),
            "apple".into(),
        ];
        sort(&mut words);
        assert_eq!(words, ["apple", "apple", "fig", "pear"]);
        sort_by_key(&mut words, |w| std::cmp::Reverse(w.len()));
        assert_eq!(words, ["apple", "apple", "pear", "fig"]);
    }
}

//! The cluster's one seeded random number generator (SplitMix64).
//!
//! Every random choice in the simulation (UIDs, IPs, image pull times, generated name
//! suffixes) draws from the single `Rng` owned by the cluster, so one seed gives one history.

/// SplitMix64: tiny, fast, and good enough for a simulation; not for cryptography.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rng {
    state: u64,
}

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `lo..=hi` (returns `lo` when the range is empty).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            return lo;
        }
        lo + self.next_u64() % (hi - lo + 1)
    }

    /// A random RFC 4122 version-4 UUID string, as the API server assigns to `metadata.uid`.
    pub fn uuid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        // The 32 hex digits of `a` then `b`, written by hand (every object create draws one;
        // `format!` costs several times this).
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut hex = [0u8; 32];
        for (i, d) in hex.iter_mut().enumerate() {
            let (word, shift) = if i < 16 {
                (a, 60 - 4 * i)
            } else {
                (b, 60 - 4 * (i - 16))
            };
            *d = HEX[((word >> shift) & 0xf) as usize];
        }
        // xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx: the version nibble replaces digit 12 and the
        // variant (from b's top bits) replaces digit 16. Bytes first, one copy into the
        // string (pushing chars one by one encodes each).
        let variant = b"89ab"[(b >> 62) as usize];
        let mut out = [b'-'; 36];
        out[0..8].copy_from_slice(&hex[0..8]);
        out[9..13].copy_from_slice(&hex[8..12]);
        out[14] = b'4';
        out[15..18].copy_from_slice(&hex[13..16]);
        out[19] = variant;
        out[20..23].copy_from_slice(&hex[17..20]);
        out[24..36].copy_from_slice(&hex[20..32]);
        // All ASCII: the conversion cannot fail.
        std::str::from_utf8(&out).unwrap_or_default().to_string()
    }

    /// A suffix as `generateName` produces: 5 characters from kube's safe alphabet.
    pub fn name_suffix(&mut self, len: usize) -> String {
        const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        (0..len)
            .map(|_| ALPHABET[(self.next_u64() % ALPHABET.len() as u64) as usize] as char)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_sequence() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..100 {
            assert_eq!(a.next_u64(), b.next_u64());
        }
        let u = a.uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_eq!(a.name_suffix(5).len(), 5);
        for _ in 0..1000 {
            let v = a.range(3, 5);
            assert!((3..=5).contains(&v));
        }
    }

    #[test]
    fn uuid_is_the_formatted_draws() {
        // The hand-written digits equal the `format!` rendering of the same two draws.
        let mut r = Rng::new(42);
        for _ in 0..2000 {
            let mut copy = r.clone();
            let (a, b) = (copy.next_u64(), copy.next_u64());
            let hex = format!("{a:016x}{b:016x}");
            let variant = ["8", "9", "a", "b"][(b >> 62) as usize];
            let want = format!(
                "{}-{}-4{}-{}{}-{}",
                &hex[0..8],
                &hex[8..12],
                &hex[13..16],
                variant,
                &hex[17..20],
                &hex[20..32]
            );
            assert_eq!(r.uuid(), want);
        }
    }
}

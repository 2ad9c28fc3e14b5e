//! The seeded random stream and the sampling built on it.
//!
//! Determinism across machines *and* versions is the point, so nothing here relies on a
//! library's sampling helpers (whose values may change between releases):
//!
//! - the raw stream is the ChaCha20 keystream (`chacha20::ChaCha20Rng::from_seed`, stream 0,
//!   counter 0), read only in whole 64-byte blocks and turned into `u64`s little-endian here, so
//!   it is the cipher's output and nothing else (a test pins it to RFC 8439's vector);
//! - the 32-byte key is the seed in little-endian followed by a fixed 24-byte domain tag;
//! - integers, floats, weighted choices and normals are sampled by the code below, floats
//!   through `libm` (the same code on every target) and IEEE-754 basic operations only.

use chacha20::{
    rand_core::{Rng, SeedableRng},
    ChaCha20Rng,
};

/// Seeds are JSON-safe integers: `0..=2^53-1` survive every JSON parser unchanged.
pub const MAX_SEED: u64 = (1 << 53) - 1;

/// The domain tag of the books stream: a different tag gives an unrelated stream for the same
/// seed, so separate uses of randomness never overlap.
pub const BOOKS_TAG: &[u8; 24] = b"folio/generator/books/v1";
/// The domain tag of the fixed author pool.
pub const AUTHORS_TAG: &[u8; 24] = b"folio/generator/authr/v1";

const BUFFER: usize = 256;

/// A deterministic stream of random values.
pub struct Stream {
    rng: ChaCha20Rng,
    buf: [u8; BUFFER],
    pos: usize,
}

impl Stream {
    /// The stream for `seed` under a domain tag.
    pub fn new(seed: u64, tag: &[u8; 24]) -> Self {
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&seed.to_le_bytes());
        key[8..].copy_from_slice(tag);
        Self::from_key(key)
    }

    /// The ChaCha20 keystream of `key` (nonce 0, block counter 0).
    pub fn from_key(key: [u8; 32]) -> Self {
        Self { rng: ChaCha20Rng::from_seed(key), buf: [0; BUFFER], pos: BUFFER }
    }

    /// The next 8 keystream bytes as a little-endian integer.
    pub fn next_u64(&mut self) -> u64 {
        if self.pos == BUFFER {
            // Whole blocks only: the buffer then holds exactly the next 256 keystream bytes.
            self.rng.fill_bytes(&mut self.buf);
            self.pos = 0;
        }
        let mut word = [0u8; 8];
        word.copy_from_slice(&self.buf[self.pos..self.pos + 8]);
        self.pos += 8;
        u64::from_le_bytes(word)
    }

    /// A uniform integer in `0..n` (Lemire's widening multiply with rejection: unbiased).
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "below(0) has no values");
        loop {
            let product = u128::from(self.next_u64()) * u128::from(n);
            let low = product as u64;
            // Reject the few low words that would over-represent some results.
            if low >= n || low >= n.wrapping_neg() % n {
                return (product >> 64) as u64;
            }
        }
    }

    /// A uniform integer in `lo..=hi`.
    pub fn between(&mut self, lo: i64, hi: i64) -> i64 {
        debug_assert!(lo <= hi);
        let span = (hi - lo) as u64 + 1;
        lo + self.below(span) as i64
    }

    /// True with probability `numerator / denominator`, decided on integers.
    pub fn chance(&mut self, numerator: u64, denominator: u64) -> bool {
        self.below(denominator) < numerator
    }

    /// A uniform float in `[0, 1)` with 53 random bits.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// A standard normal value (Marsaglia's polar method: only `ln` and `sqrt`, via `libm`).
    pub fn normal(&mut self) -> f64 {
        loop {
            let u = 2.0 * self.unit() - 1.0;
            let v = 2.0 * self.unit() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                // The second value of the pair is dropped: keeping no state keeps the stream's
                // consumption simple to reason about.
                return u * libm::sqrt(-2.0 * libm::log(s) / s);
            }
        }
    }

    /// A log-normal value with the given median and log-space spread.
    pub fn log_normal(&mut self, median: f64, sigma: f64) -> f64 {
        median * libm::exp(sigma * self.normal())
    }
}

/// A fixed set of choices with integer weights, picked through their cumulative table.
pub struct Weighted<T: 'static> {
    items: &'static [(T, u32)],
    cumulative: Vec<u64>,
}

impl<T: Copy> Weighted<T> {
    pub fn new(items: &'static [(T, u32)]) -> Self {
        let mut total = 0u64;
        let cumulative = items
            .iter()
            .map(|(_, w)| {
                total += u64::from(*w);
                total
            })
            .collect::<Vec<_>>();
        assert!(total > 0, "a weighted table needs weight");
        Self { items, cumulative }
    }

    pub fn total(&self) -> u64 {
        *self.cumulative.last().expect("non-empty")
    }

    pub fn pick(&self, stream: &mut Stream) -> T {
        let r = stream.below(self.total());
        let i = self.cumulative.partition_point(|&c| c <= r);
        self.items[i].0
    }

    /// The share of `item` in the table, for the statistical tests.
    pub fn share(&self, item: &T) -> f64
    where
        T: PartialEq,
    {
        let w: u64 = self.items.iter().filter(|(t, _)| t == item).map(|(_, w)| u64::from(*w)).sum();
        w as f64 / self.total() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_stream_is_the_chacha20_keystream_of_rfc_8439() {
        // RFC 8439 appendix A.1, test vector #1: all-zero key and nonce, block counter 0.
        let mut s = Stream::from_key([0; 32]);
        let expected: [u8; 16] =
            [0x76, 0xb8, 0xe0, 0xad, 0xa0, 0xf1, 0x3d, 0x90, 0x40, 0x5d, 0x6a, 0xe5, 0x53, 0x86, 0xbd, 0x28];
        let mut got = Vec::new();
        got.extend_from_slice(&s.next_u64().to_le_bytes());
        got.extend_from_slice(&s.next_u64().to_le_bytes());
        assert_eq!(got, expected);
        // The last word of that block: bytes 56..64 of the vector.
        for _ in 2..7 {
            s.next_u64();
        }
        let tail: [u8; 8] = [0xc3, 0x87, 0xb6, 0x69, 0xb2, 0xee, 0x65, 0x86];
        assert_eq!(s.next_u64().to_le_bytes(), tail);
    }

    #[test]
    fn below_stays_in_range_and_covers_it() {
        let mut s = Stream::new(7, BOOKS_TAG);
        let mut seen = [0u32; 7];
        for _ in 0..7000 {
            seen[s.below(7) as usize] += 1;
        }
        assert!(seen.iter().all(|&n| (850..1150).contains(&n)), "{seen:?}");
        for _ in 0..1000 {
            let v = s.between(-3, 3);
            assert!((-3..=3).contains(&v));
        }
    }

    #[test]
    fn normal_has_mean_zero_and_unit_spread() {
        let mut s = Stream::new(11, BOOKS_TAG);
        let n = 20_000;
        let xs: Vec<f64> = (0..n).map(|_| s.normal()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.03, "{mean}");
        assert!((var - 1.0).abs() < 0.05, "{var}");
    }

    #[test]
    fn tags_separate_streams() {
        assert_ne!(Stream::new(1, BOOKS_TAG).next_u64(), Stream::new(1, AUTHORS_TAG).next_u64());
        assert_ne!(Stream::new(1, BOOKS_TAG).next_u64(), Stream::new(2, BOOKS_TAG).next_u64());
        assert_eq!(Stream::new(1, BOOKS_TAG).next_u64(), Stream::new(1, BOOKS_TAG).next_u64());
    }

    #[test]
    fn weighted_follows_its_weights() {
        static TABLE: [(char, u32); 3] = [('a', 1), ('b', 3), ('c', 6)];
        let w = Weighted::new(&TABLE);
        let mut s = Stream::new(3, BOOKS_TAG);
        let mut counts = [0u32; 3];
        for _ in 0..10_000 {
            counts[(w.pick(&mut s) as u8 - b'a') as usize] += 1;
        }
        assert!((800..1200).contains(&counts[0]), "{counts:?}");
        assert!((2700..3300).contains(&counts[1]), "{counts:?}");
        assert!((5600..6400).contains(&counts[2]), "{counts:?}");
        assert!((w.share(&'c') - 0.6).abs() < 1e-12);
    }
}

//! Sticky bucketing, exactly as Unleash does it, so users keep their buckets when they move.
//!
//! [`normalized_hash`] is MurmurHash3 (x86, 32-bit) of the UTF-8 bytes of `"{group}:{key}"`
//! with a seed, then `% modulus + 1`: a bucket from 1 to `modulus`. Rollouts use seed 0 and
//! modulus 100; variants use [`VARIANT_SEED`] and the total weight, which de-correlates the
//! variant a user gets from whether the rollout admits them.

/// The seed Unleash uses to choose variants.
pub const VARIANT_SEED: u32 = 86_028_157;

/// MurmurHash3 x86 32-bit of `"{group}:{key}"` with `seed`, then `% modulus + 1`. A `modulus`
/// of 0 is treated as 1. Allocates nothing.
#[inline]
pub fn normalized_hash(group: &str, key: &str, modulus: u32, seed: u32) -> u32 {
    let mut hasher = Murmur3::new(seed);
    hasher.write(group.as_bytes());
    hasher.write(b":");
    hasher.write(key.as_bytes());
    hasher.finish() % modulus.max(1) + 1
}

/// MurmurHash3 x86 32-bit of `data` with `seed`.
pub fn murmur3_32(data: &[u8], seed: u32) -> u32 {
    let mut hasher = Murmur3::new(seed);
    hasher.write(data);
    hasher.finish()
}

/// MurmurHash3 x86 32-bit over bytes given in pieces.
struct Murmur3 {
    h: u32,
    tail: [u8; 4],
    tail_len: usize,
    len: usize,
}

const C1: u32 = 0xcc9e_2d51;
const C2: u32 = 0x1b87_3593;

impl Murmur3 {
    fn new(seed: u32) -> Self {
        Murmur3 {
            h: seed,
            tail: [0; 4],
            tail_len: 0,
            len: 0,
        }
    }

    #[inline]
    fn block(&mut self, k: u32) {
        let k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        self.h ^= k;
        self.h = self
            .h
            .rotate_left(13)
            .wrapping_mul(5)
            .wrapping_add(0xe654_6b64);
    }

    fn write(&mut self, mut bytes: &[u8]) {
        self.len += bytes.len();
        if self.tail_len > 0 {
            let take = (4 - self.tail_len).min(bytes.len());
            self.tail[self.tail_len..self.tail_len + take].copy_from_slice(&bytes[..take]);
            self.tail_len += take;
            bytes = &bytes[take..];
            if self.tail_len < 4 {
                return;
            }
            self.block(u32::from_le_bytes(self.tail));
            self.tail_len = 0;
        }
        let mut blocks = bytes.chunks_exact(4);
        for block in &mut blocks {
            self.block(u32::from_le_bytes([block[0], block[1], block[2], block[3]]));
        }
        let rest = blocks.remainder();
        self.tail[..rest.len()].copy_from_slice(rest);
        self.tail_len = rest.len();
    }

    fn finish(mut self) -> u32 {
        if self.tail_len > 0 {
            let mut k = 0u32;
            for (i, byte) in self.tail[..self.tail_len].iter().enumerate() {
                k |= u32::from(*byte) << (8 * i);
            }
            self.h ^= k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        }
        // The length is taken modulo 2^32, as the reference implementation does.
        let mut h = self.h ^ (self.len as u32);
        h ^= h >> 16;
        h = h.wrapping_mul(0x85eb_ca6b);
        h ^= h >> 13;
        h = h.wrapping_mul(0xc2b2_ae35);
        h ^= h >> 16;
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn known_vectors() {
        // Published MurmurHash3 x86_32 test vectors.
        for (data, seed, hash) in [
            (&b""[..], 0, 0),
            (b"", 1, 0x514e_28b7),
            (b"", 0xffff_ffff, 0x81f1_6f39),
            (b"\xff\xff\xff\xff", 0, 0x7629_3b50),
            (b"!Ce\x87", 0, 0xf55b_516b),
            (b"!Ce\x87", 0x5082_edee, 0x2362_f9de),
            (b"!Ce", 0, 0x7e4a_8634),
            (b"!C", 0, 0xa0f7_b07a),
            (b"!", 0, 0x7266_1cf4),
            (b"\0\0\0\0", 0, 0x2362_f9de),
            (b"aaaa", 0x9747_b28c, 0x5a97_808a),
            (b"Hello, world!", 0x9747_b28c, 0x2488_4cba),
        ] {
            assert_eq!(murmur3_32(data, seed), hash, "{data:?} seed {seed:#x}");
        }
    }

    /// Every case of `tests/fixtures/buckets.json`, computed by Python's `mmh3` package
    /// (`gen_buckets.py`).
    #[test]
    fn matches_mmh3_on_the_fixture() {
        let fixture: Value =
            serde_json::from_str(include_str!("../tests/fixtures/buckets.json")).unwrap();
        let cases = fixture["cases"].as_array().unwrap();
        assert_eq!(cases.len(), 1500);
        for case in cases {
            let (group, key) = (
                case["group"].as_str().unwrap(),
                case["key"].as_str().unwrap(),
            );
            let modulus = u32::try_from(case["modulus"].as_u64().unwrap()).unwrap();
            let seed = u32::try_from(case["seed"].as_u64().unwrap()).unwrap();
            let joined = format!("{group}:{key}");
            assert_eq!(
                u64::from(murmur3_32(joined.as_bytes(), seed)),
                case["hash"].as_u64().unwrap(),
                "{case}"
            );
            assert_eq!(
                u64::from(normalized_hash(group, key, modulus, seed)),
                case["bucket"].as_u64().unwrap(),
                "{case}"
            );
        }
        // The same users land in the same buckets in every process.
        let buckets = &fixture["rollout_buckets"];
        let group = buckets["group"].as_str().unwrap();
        for (user, bucket) in buckets["users"].as_object().unwrap() {
            assert_eq!(
                u64::from(normalized_hash(group, user, 100, 0)),
                bucket.as_u64().unwrap()
            );
        }
    }
}

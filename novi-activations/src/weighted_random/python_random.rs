//! CPython 3.11's `random.seed(x)` followed by one `random.random()`, without a global RNG.
//!
//! CPython seeds its Mersenne Twister (MT19937) with `init_by_array` over the 32-bit words of
//! an integer, least significant first: `abs(x)` for an `int` or `bool`; for a `str`, the
//! integer whose big-endian bytes are `x.encode() + sha512(x.encode()).digest()`; for a
//! `float`, `hash(x)` taken as an unsigned 64-bit number. `random()` then takes 53 bits from
//! the first two outputs. Each call here builds its own generator state on the stack, so
//! concurrent evaluations never interfere, and only the two outputs `random()` needs are
//! computed.

use sha2::{Digest, Sha512};

const N: usize = 624;
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER_MASK: u32 = 0x8000_0000;
const LOWER_MASK: u32 = 0x7fff_ffff;

/// What CPython's `random.seed(seed); random.random()` gives for an integer seed.
pub(crate) fn random_from_int(seed: u64) -> f64 {
    let words = [seed as u32, (seed >> 32) as u32];
    let n_words = if seed >> 32 == 0 { 1 } else { 2 };
    random_from_words(&words[..n_words])
}

/// What CPython's `random.seed(seed); random.random()` gives for an integer seed of any size,
/// given as the 32-bit words of its absolute value, least significant first, without high zero
/// words (zero is no words, which CPython seeds as the one word 0).
pub(crate) fn random_from_words(words: &[u32]) -> f64 {
    random_from_key(words.len().max(1), |j| words.get(j).copied().unwrap_or(0))
}

/// What CPython's `random.seed(seed); random.random()` gives for a `float` seed.
pub(crate) fn random_from_float(seed: f64) -> f64 {
    random_from_int(python_float_hash(seed) as u64)
}

/// What CPython's `random.seed(seed); random.random()` gives for a `str` seed.
pub(crate) fn random_from_str(seed: &str) -> f64 {
    let text = seed.as_bytes();
    let digest = Sha512::digest(text);
    // The big-endian number `text ++ digest`, read as little-endian 32-bit words.
    let byte = |i: usize| -> u8 {
        if i < text.len() {
            text[i]
        } else {
            digest[i - text.len()]
        }
    };
    let total = text.len() + digest.len();
    let leading_zeros = (0..total).take_while(|&i| byte(i) == 0).count();
    let significant = total - leading_zeros;
    let n_words = significant.div_ceil(4).max(1);
    random_from_key(n_words, |j| {
        (0..4).fold(0u32, |word, k| {
            let from_right = 4 * j + k;
            let b = if from_right < total {
                byte(total - 1 - from_right)
            } else {
                0
            };
            word | u32::from(b) << (8 * k)
        })
    })
}

/// `init_by_array(key)` and then `genrand_res53()`.
fn random_from_key(key_len: usize, key: impl Fn(usize) -> u32) -> f64 {
    let mut mt = [0u32; N];
    mt[0] = 19_650_218;
    for i in 1..N {
        mt[i] = 1_812_433_253u32
            .wrapping_mul(mt[i - 1] ^ (mt[i - 1] >> 30))
            .wrapping_add(i as u32);
    }
    let (mut i, mut j) = (1usize, 0usize);
    for _ in 0..N.max(key_len) {
        mt[i] = (mt[i] ^ (mt[i - 1] ^ (mt[i - 1] >> 30)).wrapping_mul(1_664_525))
            .wrapping_add(key(j))
            .wrapping_add(j as u32);
        i += 1;
        j += 1;
        if i >= N {
            mt[0] = mt[N - 1];
            i = 1;
        }
        if j >= key_len {
            j = 0;
        }
    }
    for _ in 0..N - 1 {
        mt[i] = (mt[i] ^ (mt[i - 1] ^ (mt[i - 1] >> 30)).wrapping_mul(1_566_083_941))
            .wrapping_sub(i as u32);
        i += 1;
        if i >= N {
            mt[0] = mt[N - 1];
            i = 1;
        }
    }
    mt[0] = 0x8000_0000;

    // The first regeneration of the state, for the two words `random()` reads.
    let next = |k: usize| -> u32 {
        let y = (mt[k] & UPPER_MASK) | (mt[k + 1] & LOWER_MASK);
        let word = mt[k + M] ^ (y >> 1) ^ if y & 1 == 1 { MATRIX_A } else { 0 };
        temper(word)
    };
    let a = next(0) >> 5;
    let b = next(1) >> 6;
    (f64::from(a) * 67_108_864.0 + f64::from(b)) * (1.0 / 9_007_199_254_740_992.0)
}

fn temper(mut y: u32) -> u32 {
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c_5680;
    y ^= (y << 15) & 0xefc6_0000;
    y ^= y >> 18;
    y
}

/// CPython's `hash(float)` (`_Py_HashDouble`) for finite values: the value modulo the
/// Mersenne prime 2**61 - 1, with the sign of the value, and -1 mapped to -2.
pub(crate) fn python_float_hash(v: f64) -> i64 {
    const BITS: i32 = 61;
    const MODULUS: u64 = (1 << BITS) - 1;
    if !v.is_finite() {
        // CPython hashes infinities (`1e400` in JSON) to ±314159 (and NaNs, which JSON does
        // not have, by identity).
        return if v > 0.0 { 314_159 } else { -314_159 };
    }
    let (mut m, mut e) = frexp(v);
    let sign: i64 = if m < 0.0 {
        m = -m;
        -1
    } else {
        1
    };
    let mut x: u64 = 0;
    while m != 0.0 {
        x = ((x << 28) & MODULUS) | x >> (BITS - 28);
        m *= 268_435_456.0;
        e -= 28;
        let y = m as u64;
        m -= y as f64;
        x += y;
        if x >= MODULUS {
            x -= MODULUS;
        }
    }
    let e = if e >= 0 {
        e % BITS
    } else {
        BITS - 1 - ((-1 - e) % BITS)
    };
    x = ((x << e) & MODULUS) | x >> (BITS - e);
    let hash = (x as i64).wrapping_mul(sign);
    if hash == -1 { -2 } else { hash }
}

/// C's `frexp`: `v = m * 2^e` with `0.5 <= |m| < 1`, or `(0, 0)` for zero.
fn frexp(v: f64) -> (f64, i32) {
    if v == 0.0 {
        return (v, 0);
    }
    let bits = v.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    if biased == 0 {
        // Subnormal: scale into the normal range first.
        let (m, e) = frexp(v * 18_014_398_509_481_984.0); // 2^54
        return (m, e - 54);
    }
    let m = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (m, biased - 1022)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_hashes_match_cpython() {
        // python3 -c 'print([hash(x) for x in (1.5, -1.5, 0.1, -1.0, 1e300, 5e-324, 2.0**64)])'
        let cases = [
            (1.5, 1_152_921_504_606_846_977),
            (-1.5, -1_152_921_504_606_846_977),
            (0.1, 230_584_300_921_369_408),
            (-1.0, -2),
            (1e300, 1_224_995_262_755_759_164),
            (5e-324, 16_777_216),
            (18_446_744_073_709_551_616.0, 8),
            (0.0, 0),
            (-0.0, 0),
            (2.0, 2),
        ];
        for (v, hash) in cases {
            assert_eq!(python_float_hash(v), hash, "hash({v})");
        }
    }
}

#[cfg(test)]
mod fixture_tests {
    use super::*;
    use novi_core::ExactNumber;
    use serde::Deserialize;
    use serde_json::value::RawValue;

    #[derive(Deserialize)]
    struct Fixture<'a> {
        #[serde(borrow)]
        cases: Vec<Case<'a>>,
    }

    #[derive(Deserialize)]
    struct Case<'a> {
        #[serde(borrow)]
        seed: &'a RawValue,
        random: Option<f64>,
    }

    /// CPython's first `random()` after `random.seed(seed)`, for every seed in
    /// `tests/fixtures/weighted_random.json`, read from its JSON text as Python read it
    /// (integers beyond 2^64 exactly, `1e400` as `inf`).
    #[test]
    fn first_draw_matches_cpython() {
        let fixture: Fixture<'_> =
            serde_json::from_str(include_str!("../../tests/fixtures/weighted_random.json"))
                .unwrap();
        let (mut n, mut n_big, mut n_infinite) = (0, 0, 0);
        for case in fixture.cases {
            let Some(expected) = case.random else {
                continue;
            };
            let seed = case.seed.get();
            let got = match seed.as_bytes()[0] {
                b'"' => random_from_str(&serde_json::from_str::<String>(seed).unwrap()),
                b't' => random_from_int(1),
                b'f' => random_from_int(0),
                _ => match ExactNumber::parse(seed).unwrap() {
                    ExactNumber::Int { magnitude, .. } => {
                        n_big += usize::from(magnitude.len() > 2);
                        random_from_words(&magnitude)
                    }
                    ExactNumber::Float(f) => {
                        n_infinite += usize::from(f.is_infinite());
                        random_from_float(f)
                    }
                },
            };
            assert_eq!(got.to_bits(), expected.to_bits(), "seed {seed}");
            n += 1;
        }
        assert!(n > 100, "only {n} seeds");
        assert!(
            n_big >= 20 && n_infinite == 3,
            "{n_big} big, {n_infinite} infinite"
        );
    }
}

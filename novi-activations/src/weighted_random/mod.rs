//! `WeightedRandomActivation`: a seeded weighted choice among variations, chosen exactly as
//! CPython 3.11's `random.choices` chooses it.

mod python_random;
mod python_value;

use std::sync::Arc;

use novi_core::{
    Activation, ActivationClass, BuildError, Context, Decision, Definition, EvalError, ExactNumber,
    Variant,
};
use serde::Deserialize;
use serde_json::{Value, value::RawValue};

use python_value::PyValue;

/// The context key that holds the seed.
pub const SEED: &str = "seed";
/// The context key that holds the variation the caller asks about.
pub const VARIANT: &str = "variant";

/// On when the variation chosen for the caller's `seed` is the caller's `variant`.
///
/// Config (Python Novi's): `{"splits": [100, 0, 0], "variations": ["A", "B", "C"]}`: weights
/// (numbers ≥ 0 with a positive, finite sum) and as many variations, which may be any JSON
/// values (`[1, 2, 3]`, `[true, null]`), read as Python's `json` reads them (integers of any
/// size exactly, `1e400` as `inf`).
///
/// Context: `seed` and `variant`. When either is absent, or `seed` is `null`, the answer is no.
/// The choice is exactly CPython 3.11's `random.seed(seed); random.choices(variations,
/// weights=splits)[0]`, so users moving from Python Novi keep their assignments:
///
/// - `seed` may be an integer of any size (`-5` seeds like `5`; integers beyond `i64`/`u64`
///   are read exactly from the context's JSON, see
///   [`Context::exact_number`](novi_core::Context::exact_number)), a string, a float (seeded
///   by Python's `hash(float)`, so `2.0` seeds like `2`, and `1e400`, which Python reads as
///   `inf`, by `hash(inf)`) or a boolean (`true` seeds like `1`). An array or object is an
///   [`EvalError`], as Python raised.
/// - **A `null` seed answers no**, like an absent one: Python seeded from the OS's entropy
///   there, a random answer no caller can rely on.
/// - `variant` is compared with the chosen variation by Python's `==`: strings exactly
///   (case-sensitive), numbers by value whatever their type (`2 == 2.0`, `1 == true`) but
///   exactly (`10**30` is not `1e30`), never a string with a number (`"2"` is not `2`), lists
///   and objects element by element. A top-level `variant` is read exactly like the seed;
///   numbers nested in a list or object `variant` are read as `f64`.
/// - Weights are summed as `f64`, as Python sums float weights; integer weights are exact
///   below 2^53.
///
/// Each evaluation seeds its own generator: no global or shared state, no interference
/// between threads. The decision reports the chosen variation as its variant, named by
/// Python's `str()` of it (a string as it is; `2`, `2.0`, `True`, `None`, `[1, 'a']`); it is
/// shown when the flag is on, that is, when it is the one the caller asked about.
#[derive(Debug, Clone)]
pub struct WeightedRandomActivation {
    cumulative: Vec<f64>,
    /// The variations as Python holds them, for `==`.
    variations: Vec<PyValue>,
    /// The variations as the variants decisions report (built once).
    variants: Vec<Arc<Variant>>,
}

#[derive(Deserialize)]
struct Config {
    splits: Vec<f64>,
    variations: Vec<Box<RawValue>>,
}

impl WeightedRandomActivation {
    /// The name of the variation chosen for `seed` (Python's `str()` of it), as CPython would
    /// choose it. `None` for a `null` seed. A `seed` given as a [`Value`] cannot hold integers
    /// beyond `i64`/`u64` or `±inf`: [`choose_for`](Self::choose_for) reads those from a
    /// context.
    pub fn choose(&self, seed: &Value) -> Result<Option<&str>, EvalError> {
        Ok(self
            .choose_index(seed, None)?
            .map(|i| self.variants[i].name.as_str()))
    }

    /// The name of the variation chosen for the context's `seed`, read exactly; `None` when
    /// there is no seed (absent or `null`).
    pub fn choose_for(&self, ctx: &Context) -> Result<Option<&str>, EvalError> {
        let Some(seed) = ctx.get(SEED) else {
            return Ok(None);
        };
        Ok(self
            .choose_index(seed, ctx.exact_number(SEED))?
            .map(|i| self.variants[i].name.as_str()))
    }

    /// The index of the variation chosen for `seed` (whose exact value is `exact` when it is a
    /// number a `Value` cannot hold), or `None` for a `null` seed.
    fn choose_index(
        &self,
        seed: &Value,
        exact: Option<&ExactNumber>,
    ) -> Result<Option<usize>, EvalError> {
        let draw = match (exact, seed) {
            (Some(ExactNumber::Int { magnitude, .. }), _) => {
                python_random::random_from_words(magnitude)
            }
            (Some(ExactNumber::Float(f)), _) => python_random::random_from_float(*f),
            (None, Value::Null) => return Ok(None),
            (None, Value::Bool(b)) => python_random::random_from_int(u64::from(*b)),
            (None, Value::Number(n)) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => python_random::random_from_int(u),
                (None, Some(i), _) => python_random::random_from_int(i.unsigned_abs()),
                (None, None, Some(f)) => python_random::random_from_float(f),
                (None, None, None) => {
                    return Err(EvalError::invalid_value(
                        SEED,
                        "the number is not representable",
                    ));
                }
            },
            (None, Value::String(s)) => python_random::random_from_str(s),
            (None, other) => {
                return Err(EvalError::wrong_type(
                    SEED,
                    "an integer, string, float or boolean",
                    other,
                ));
            }
        };
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let x = draw * total;
        // bisect_right(cumulative, x, 0, n - 1)
        let (mut lo, mut hi) = (0, self.variants.len().saturating_sub(1));
        while lo < hi {
            let mid = (lo + hi) / 2;
            if x < self.cumulative[mid] {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        Ok(Some(lo))
    }

    /// The variation names (Python's `str()` of each), in config order.
    pub fn variations(&self) -> impl ExactSizeIterator<Item = &str> {
        self.variants.iter().map(|v| v.name.as_str())
    }
}

impl Activation for WeightedRandomActivation {
    fn evaluate(&self, ctx: &Context) -> bool {
        self.decide(ctx).is_ok_and(|d| d.is_on())
    }

    fn decide(&self, ctx: &Context) -> Result<Decision, EvalError> {
        let (Some(seed), Some(variant)) = (ctx.get(SEED), ctx.get(VARIANT)) else {
            return Ok(Decision::OFF);
        };
        let Some(chosen) = self.choose_index(seed, ctx.exact_number(SEED))? else {
            return Ok(Decision::OFF);
        };
        let variation = &self.variations[chosen];
        let on = match ctx.exact_number(VARIANT) {
            Some(exact) => variation.eq_number(exact),
            None => variation.eq_value(variant),
        };
        Ok(Decision::from(on).with_variant(Arc::clone(&self.variants[chosen])))
    }

    /// Each variation's share: the differences of the cumulative splits.
    fn variant_weights(&self) -> Option<Vec<(String, f64)>> {
        let mut previous = 0.0;
        Some(
            self.variants
                .iter()
                .zip(&self.cumulative)
                .map(|(variant, &upto)| {
                    let weight = upto - previous;
                    previous = upto;
                    (variant.name.clone(), weight)
                })
                .collect(),
        )
    }
}

impl ActivationClass for WeightedRandomActivation {
    const NAMES: &'static [&'static str] = &[
        "WeightedRandomActivation",
        "novi.client.activations.weighted_random_activation.WeightedRandomActivation",
    ];
    const EXPECTED: &'static str =
        r#"{"splits": [numbers >= 0 with a positive sum], "variations": [as many JSON values]}"#;
    const EXAMPLE: &'static str = r#"{"splits": [50, 30, 20], "variations": ["A", "B", "C"]}"#;

    fn build(def: &mut Definition<'_>) -> Result<Self, BuildError> {
        let Config { splits, variations } = def.parse_config()?;
        if splits.len() != variations.len() {
            return Err(def
                .invalid(format!(
                    "{} splits but {} variations",
                    splits.len(),
                    variations.len()
                ))
                .into());
        }
        if splits.is_empty() {
            return Err(def.invalid("no variations").into());
        }
        if let Some(negative) = splits.iter().find(|w| **w < 0.0) {
            return Err(def
                .invalid(format!("the split {negative} is negative"))
                .into());
        }
        let cumulative: Vec<f64> = splits
            .iter()
            .scan(0.0, |sum, w| {
                *sum += w;
                Some(*sum)
            })
            .collect();
        let total = cumulative.last().copied().unwrap_or(0.0);
        if !(total > 0.0 && total.is_finite()) {
            return Err(def.invalid(format!("the splits add up to {total}")).into());
        }
        let variations = variations
            .iter()
            .enumerate()
            .map(|(i, raw)| {
                PyValue::from_json(raw)
                    .map_err(|problem| def.invalid(format!("variation {}: {problem}", i + 1)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let variants = variations
            .iter()
            .map(|v| Arc::new(Variant::named(v.to_python_str())))
            .collect();
        Ok(WeightedRandomActivation {
            cumulative,
            variations,
            variants,
        })
    }
}

novi_core::register!(WeightedRandomActivation);

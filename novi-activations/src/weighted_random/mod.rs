//! `WeightedRandomActivation`: a seeded weighted choice among variations, chosen exactly as
//! CPython 3.11's `random.choices` chooses it.

mod python_random;

use std::sync::Arc;

use novi_core::{
    Activation, ActivationClass, BuildError, Context, Decision, Definition, EvalError, Variant,
};
use serde::Deserialize;
use serde_json::Value;

/// The context key that holds the seed.
pub const SEED: &str = "seed";
/// The context key that holds the variation the caller asks about.
pub const VARIANT: &str = "variant";

/// On when the variation chosen for the caller's `seed` is the caller's `variant`.
///
/// Config (Python Novi's): `{"splits": [100, 0, 0], "variations": ["A", "B", "C"]}`: weights
/// (numbers ≥ 0 with a positive, finite sum) and as many variation names (strings).
///
/// Context: `seed` and `variant`. When either is absent the answer is no. The choice is
/// exactly CPython 3.11's `random.seed(seed); random.choices(variations, weights=splits)[0]`,
/// so users moving from Python Novi keep their assignments:
///
/// - `seed` may be an integer from -2^63 to 2^64 - 1 (`-5` seeds like `5`), a string, a
///   float (seeded by Python's `hash(float)`, so `2.0` seeds like `2`) or a boolean (`true`
///   seeds like `1`). An array, object or `null` is an [`EvalError`] (Python raised, or for
///   `null` seeded from the OS and answered at random). JSON integers outside that range are
///   read as floats, where Python would keep them exact, so they choose differently.
/// - `variant` is compared exactly (case-sensitive) with the chosen variation; a `variant`
///   that is not a string never equals one, as in Python.
/// - Weights are summed as `f64`, as Python sums float weights; integer weights are exact
///   below 2^53.
///
/// Each evaluation seeds its own generator: no global or shared state, no interference
/// between threads. The decision reports the chosen variation as its variant (shown when the
/// flag is on, that is, when it is the one the caller asked about).
#[derive(Debug, Clone)]
pub struct WeightedRandomActivation {
    cumulative: Vec<f64>,
    /// The variations, as the variants decisions report (built once).
    variants: Vec<Arc<Variant>>,
}

#[derive(Deserialize)]
struct Config {
    splits: Vec<f64>,
    variations: Vec<String>,
}

impl WeightedRandomActivation {
    /// The variation chosen for `seed`, as CPython would choose it.
    pub fn choose(&self, seed: &Value) -> Result<&str, EvalError> {
        self.choose_index(seed)
            .map(|i| self.variants[i].name.as_str())
    }

    fn choose_index(&self, seed: &Value) -> Result<usize, EvalError> {
        let draw = match seed {
            Value::Bool(b) => python_random::random_from_int(u64::from(*b)),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
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
            Value::String(s) => python_random::random_from_str(s),
            other => {
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
        Ok(lo)
    }

    /// The variation names, in config order.
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
        let chosen = self.choose_index(seed)?;
        let on = variant.as_str() == Some(self.variants[chosen].name.as_str());
        Ok(Decision::from(on).with_variant(Arc::clone(&self.variants[chosen])))
    }
}

impl ActivationClass for WeightedRandomActivation {
    const NAMES: &'static [&'static str] = &[
        "WeightedRandomActivation",
        "novi.client.activations.weighted_random_activation.WeightedRandomActivation",
    ];
    const EXPECTED: &'static str =
        r#"{"splits": [numbers >= 0 with a positive sum], "variations": [as many strings]}"#;

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
        Ok(WeightedRandomActivation {
            cumulative,
            variants: variations
                .into_iter()
                .map(|v| Arc::new(Variant::named(v)))
                .collect(),
        })
    }
}

novi_core::register!(WeightedRandomActivation);

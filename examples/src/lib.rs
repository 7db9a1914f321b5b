//! A downstream activation crate, as a Novi user would write one: it depends on `novi-core`
//! only (not on `linkme`), registers its activation in one line, and offers [`link`] so that
//! binaries can make sure it is linked.
//!
//! ```
//! use novi_core::{ActivationId, ActivationSet, ActivationSpec, context};
//!
//! novi_examples::link(); // without this line the registry would not see CountryActivation
//!
//! let set = ActivationSet::build([ActivationSpec {
//!     id: ActivationId(1),
//!     name: "Nordics",
//!     class_name: "CountryActivation",
//!     config: r#"{"countries": ["NO", "SE", "DK", "FI", "IS"]}"#,
//! }]);
//! let nordics = set.get(ActivationId(1)).expect("row 1").map_err(|e| e.to_string())?;
//! assert!(nordics.evaluate(&context! {"country": "se"}));
//! assert!(!nordics.evaluate(&context! {"country": "FR"}));
//! # Ok::<(), String>(())
//! ```

#![deny(missing_docs)]

use novi_core::{
    Activation, ActivationClass, BuildError, Context, Decision, Definition, EvalError,
};
use serde::Deserialize;

/// The context key that holds the caller's country.
pub const COUNTRY: &str = "country";

/// On when the context's `country` (an ISO 3166 code, any case) is one of the configured
/// countries.
///
/// Config: `{"countries": ["NO", "SE"]}`, a non-empty list of two-letter codes.
/// Context: `country`, a string; absent means off, any other type is an evaluation error.
#[derive(Debug, Clone)]
pub struct CountryActivation {
    countries: Vec<[u8; 2]>,
}

#[derive(Deserialize)]
struct Config {
    countries: Vec<String>,
}

impl Activation for CountryActivation {
    fn evaluate(&self, ctx: &Context) -> bool {
        self.decide(ctx).is_ok_and(|d| d.is_on())
    }

    fn decide(&self, ctx: &Context) -> Result<Decision, EvalError> {
        let Some(value) = ctx.get(COUNTRY) else {
            return Ok(Decision::OFF);
        };
        let country = value
            .as_str()
            .ok_or_else(|| EvalError::wrong_type(COUNTRY, "a string", value))?;
        let on = match country.as_bytes() {
            &[a, b] => {
                let code = [a.to_ascii_uppercase(), b.to_ascii_uppercase()];
                self.countries.contains(&code)
            }
            _ => false,
        };
        Ok(Decision::from(on))
    }
}

impl ActivationClass for CountryActivation {
    const NAMES: &'static [&'static str] =
        &["CountryActivation", "novi_examples.CountryActivation"];
    const EXPECTED: &'static str = r#"{"countries": [two-letter country codes]}"#;

    fn build(def: &mut Definition<'_>) -> Result<Self, BuildError> {
        let config: Config = def.parse_config()?;
        if config.countries.is_empty() {
            return Err(def.invalid("no countries").into());
        }
        let countries = config
            .countries
            .iter()
            .map(|code| match code.as_bytes() {
                &[a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
                    Ok([a.to_ascii_uppercase(), b.to_ascii_uppercase()])
                }
                _ => Err(def.invalid(format!("`{code}` is not a two-letter country code"))),
            })
            .collect::<Result<_, _>>()?;
        Ok(CountryActivation { countries })
    }
}

novi_core::register!(CountryActivation);

/// Makes sure this crate, and so [`CountryActivation`], is linked into the binary. Call it
/// once from `main` (or write `use novi_examples as _;`).
#[inline(never)]
pub fn link() {}

//! The core of Novi: what an activation is, the context it reads, and the registry that finds
//! activation classes by the `class_name` stored in the database.
//!
//! This crate is pure: it does no IO and knows nothing of databases or HTTP. The built-in
//! activations live in `novi-activations`; loading flags from a database is `novi-client`'s job.
//!
//! # Concepts
//!
//! - A [`Context`] is the JSON object a caller passes when it asks whether a flag is on.
//! - An [`Activation`] looks at a context and says yes or no ([`Activation::evaluate`]), or
//!   gives a fuller [`Decision`] or an [`EvalError`] ([`Activation::decide`]).
//! - An [`ActivationClass`] builds an activation from a stored row (id, name, class name,
//!   `config` text) and lists the class names it is stored under.
//! - The [registry] is a compile-time list of classes; [`register!`] adds one from any crate.
//! - [`ActivationSet::build`] builds every stored row once, members of composite activations
//!   first, and reports unknown classes, bad configs, missing members, cycles and nesting
//!   deeper than [`MAX_NESTING`] as typed [`BuildError`]s, never by recursing without bound.
//!
//! # Writing and registering an activation
//!
//! ```
//! use novi_core::{
//!     Activation, ActivationClass, ActivationId, ActivationSet, ActivationSpec, BuildError,
//!     Context, Definition, context,
//! };
//!
//! /// On when the context's `country` is one of the configured countries.
//! #[derive(Debug)]
//! pub struct CountryActivation {
//!     countries: Vec<String>,
//! }
//!
//! impl Activation for CountryActivation {
//!     fn evaluate(&self, ctx: &Context) -> bool {
//!         let country = ctx.get("country").and_then(|v| v.as_str());
//!         country.is_some_and(|c| self.countries.iter().any(|allowed| allowed == c))
//!     }
//! }
//!
//! impl ActivationClass for CountryActivation {
//!     // The first name is canonical; the others are aliases.
//!     const NAMES: &'static [&'static str] = &["CountryActivation", "acme.CountryActivation"];
//!     const EXPECTED: &'static str = r#"{"countries": [country codes]}"#;
//!
//!     fn build(def: &mut Definition<'_>) -> Result<Self, BuildError> {
//!         #[derive(serde::Deserialize)]
//!         struct Config {
//!             countries: Vec<String>,
//!         }
//!         let config: Config = def.parse_config()?;
//!         Ok(CountryActivation { countries: config.countries })
//!     }
//! }
//!
//! // One line; the crate needs no dependency on `linkme`.
//! novi_core::register!(CountryActivation);
//!
//! // What `novi-client` does with the rows it loads:
//! let set = ActivationSet::build([ActivationSpec {
//!     id: ActivationId(7),
//!     name: "Nordics",
//!     class_name: "acme.CountryActivation",
//!     config: r#"{"countries": ["NO", "SE", "DK"]}"#,
//! }]);
//! let nordics = set.get(ActivationId(7)).expect("row 7 was given").map_err(|e| e.to_string())?;
//! assert!(nordics.evaluate(&context! {"country": "NO"}));
//! assert!(!nordics.evaluate(&context! {"country": "FR"}));
//! # Ok::<(), String>(())
//! ```
//!
//! # Linking: name every crate that registers activations
//!
//! The registry is a `linkme` distributed slice: the linker collects the entries of every
//! crate that is linked into the final binary. **A crate that registers activations but is
//! never named in the binary's code is not linked at all, and its entries vanish silently**:
//! no error, no warning, only "unknown activation class" when a stored row needs them. Listing
//! the crate in `Cargo.toml` is not enough. This holds for binaries, examples and each
//! integration-test file alike, with every linker and profile.
//!
//! So every crate that registers activations should offer a no-op function to call, and each
//! binary calls it (or writes `use the_crate as _;`):
//!
//! ```text
//! fn main() {
//!     novi_activations::link(); // the built-ins: DateTime, WeightedRandom, And, Or
//!     my_activations::link();   // your own
//!     // ...
//! }
//! ```
//!
//! [`registry::names`] lists what is linked; a server should log it at start-up.

#![deny(missing_docs)]

mod activation;
mod build;
mod context;
mod error;
mod memo;
mod number;
pub mod registry;

pub use activation::{
    Activation, ActivationId, Decision, EvalError, Payload, PayloadKind, Variant,
};
pub use build::{
    ActivationSet, ActivationSpec, Built, Definition, MAX_NESTING, NoMembers, Resolve,
    RuntimeClasses,
};
pub use context::{Context, ContextError, NotAnObject, json_type};
pub use error::{BuildError, ConfigError};
pub use memo::Memo;
pub use number::{ExactNumber, MAX_INT_DIGITS, NumberError};
pub use registry::{ActivationClass, Registration};

/// Re-exports used by this crate's macros; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use linkme;
    pub use serde_json;
}

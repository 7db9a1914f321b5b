//! Novi's built-in activations. The first four are also registered under Python Novi's class
//! paths, so a database written for Python Novi evaluates unchanged:
//!
//! | class | other names | config | context |
//! |---|---|---|---|
//! | [`DateTimeActivation`] | `novi.client.activations.date_time_activation.DateTimeActivation` | `{"startDateTime", "endDateTime", "format"}` | `currentDateTime` (else now) |
//! | [`WeightedRandomActivation`] | `novi.client.activations.weighted_random_activation.WeightedRandomActivation` | `{"splits": [..], "variations": [..]}` | `seed`, `variant` |
//! | [`AndActivation`] | `novi.client.activations.and_activation.AndActivation` | `[ids]` | (its members') |
//! | [`OrActivation`] | `novi.client.activations.or_activation.OrActivation` | `[ids]` | (its members') |
//! | [`NotActivation`] | | `[id]` | (its member's) |
//! | [`GradualRolloutActivation`] | `flexibleRollout` | `{"percentage", "stickiness", "groupId"}` | `userId`, `sessionId`, or the stickiness key |
//! | [`VariantActivation`] | `variants` | `{"variants": [..], "stickiness", "groupId"}` | the stickiness and override keys |
//! | [`EnvironmentActivation`] | | `{"environments": [..]}` | `environment` |
//! | [`UserListActivation`] | `userWithId` | `{"contextKey", "values", "caseInsensitive"}` | the `contextKey` |
//! | [`IpRangeActivation`] | | `{"cidrs": [..]}` | `remoteAddress` |
//! | [`ConstraintActivation`] | | `{"contextName", "operator", "values"/"value", "inverted", "caseInsensitive"}` | the `contextName` |
//!
//! [`bucketing`] holds Unleash's sticky hash, which the rollout and variant activations use.
//!
//! Each type's page gives its exact semantics and where they deliberately differ from Python
//! Novi 0.4.2.
//!
//! # Linking
//!
//! The activations are found through `novi-core`'s link-time registry, which only sees crates
//! that the final binary names. Call [`link`] (or write `use novi_activations as _;`) once in
//! every binary, example and test file that needs them; a crate that is only listed in
//! `Cargo.toml` is dropped by the linker, and its activations with it.
//!
//! ```
//! use novi_core::{ActivationId, ActivationSet, ActivationSpec, context};
//!
//! novi_activations::link();
//!
//! let set = ActivationSet::build([ActivationSpec {
//!     id: ActivationId(1),
//!     name: "Date Activated",
//!     class_name: "novi.client.activations.date_time_activation.DateTimeActivation",
//!     config: r#"{"startDateTime":"11/26/2023 12:00 AM","endDateTime":"11/28/2023 12:00 AM","format": "%m/%d/%Y %I:%M %p"}"#,
//! }]);
//! let window = set.get(ActivationId(1)).expect("row 1").map_err(|e| e.to_string())?;
//! assert!(window.evaluate(&context! {"currentDateTime": "11/27/2023 9:30 AM"}));
//! assert!(!window.evaluate(&context! {"currentDateTime": "11/28/2023 12:00 AM"}));
//! # Ok::<(), String>(())
//! ```
//!
//! # Writing your own
//!
//! Implement [`novi_core::Activation`] and [`novi_core::ActivationClass`] in your own crate,
//! register it with `novi_core::register!(YourActivation);`, and give your crate a `link()`
//! like this one. The `novi-core` crate docs walk through a complete example.

#![deny(missing_docs)]

pub mod bucketing;
mod composite;
mod constraint;
mod context_value;
mod date_time;
mod rollout;
mod targeting;
mod unicode;
mod variants;
mod weighted_random;

pub use composite::{AndActivation, NotActivation, OrActivation};
pub use constraint::ConstraintActivation;
pub use date_time::{CURRENT_DATE_TIME, DateTimeActivation};
pub use rollout::GradualRolloutActivation;
pub use targeting::{EnvironmentActivation, IpRangeActivation, UserListActivation};
pub use variants::VariantActivation;
pub use weighted_random::{SEED, VARIANT, WeightedRandomActivation};

/// Makes sure this crate, and so its registered activations, is linked into the binary.
///
/// It does nothing at run time; calling it names the crate, which is what the linker needs.
#[inline(never)]
pub fn link() {}

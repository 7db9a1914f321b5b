//! Novi's experiment statistics, without IO: what an A/B/n experiment's results page shows for
//! each variant against the control.
//!
//! - conversion rates: the [Wilson interval](proportion::wilson_interval) and the pooled
//!   [two-proportion z-test](proportion::two_proportion_z_test);
//! - numeric metrics, from the [`Summary`](summary::Summary) SQL aggregates (`COUNT`, `SUM(x)`,
//!   `SUM(x*x)`): the [t interval of the mean](mean::mean_interval) and
//!   [Welch's t-test](mean::welch_t_test);
//! - the relative [lift](lift::lift) of either, with its
//!   [delta-method interval](lift::lift_ci);
//! - the Bayesian [chance to beat](bayes::chance_to_beat) the control, exact for rates, and its
//!   [normal approximation](bayes::chance_to_beat_normal) for means;
//! - [Holm's correction](correction::holm) when several variants face one control;
//! - the [sample ratio mismatch](srm::srm) check of the traffic split.
//!
//! Every figure is checked against scipy and statsmodels (and mpmath for the chance to beat) in
//! `tests/fixtures.rs`. Invalid input is an [`Error`](error::Error), never a panic.
//!
//! A control and one variant, 10,000 users each:
//!
//! ```
//! use novi_stats::bayes::chance_to_beat;
//! use novi_stats::lift::{Estimate, lift_ci};
//! use novi_stats::proportion::{two_proportion_z_test, wilson_interval};
//! use novi_stats::srm::srm;
//!
//! let (control, variant) = ((1_000, 10_000), (1_100, 10_000));
//!
//! // The split was 50/50, and it held.
//! assert!(!srm(&[control.1, variant.1], &[50.0, 50.0])?.mismatch);
//!
//! let rate = wilson_interval(variant.0, variant.1, 0.95)?;
//! assert!(rate.low > 0.10 && rate.high < 0.12);
//!
//! let p_value = two_proportion_z_test(control.0, control.1, variant.0, variant.1)?;
//! assert!(p_value < 0.05);
//!
//! let lift = lift_ci(&Estimate::rate(control.0, control.1)?, &Estimate::rate(variant.0, variant.1)?, 0.95)?
//!     .expect("the control converts");
//! assert!(lift.low > 0.0 && lift.contains(0.1));
//!
//! let chance = chance_to_beat(control, variant)?;
//! assert!(chance > 0.98);
//! # Ok::<(), novi_stats::error::Error>(())
//! ```

#![deny(missing_docs)]

pub mod bayes;
pub mod correction;
pub mod error;
pub mod interval;
pub mod lift;
pub mod mean;
pub mod proportion;
mod special;
pub mod srm;
pub mod summary;

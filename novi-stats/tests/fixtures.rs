//! Every function of novi-stats against scipy, statsmodels and mpmath: the cases and reference
//! figures of `tests/fixtures/stats.json`, written by `tests/fixtures/gen_stats.py` (which
//! `.ci/run` regenerates and compares byte for byte).
//!
//! Each figure must be within 1e-9 of its reference, relative to it, or within 1e-12 absolute:
//! figures near 0 (the low end of the interval of a rate of 0, a p-value that underflows)
//! have no meaningful relative error.

#![allow(clippy::unwrap_used)] // helpers beside the tests unwrap too

use novi_stats::bayes::{chance_to_beat, chance_to_beat_normal};
use novi_stats::correction::holm;
use novi_stats::interval::Interval;
use novi_stats::lift::{Estimate, lift, lift_ci};
use novi_stats::mean::{mean_interval, welch_t_test};
use novi_stats::proportion::{two_proportion_z_test, wilson_interval};
use novi_stats::srm::srm;
use novi_stats::summary::Summary;
use serde::Deserialize;

const RELATIVE: f64 = 1e-9;
const ABSOLUTE: f64 = 1e-12;

#[derive(Deserialize)]
struct Fixture {
    wilson: Vec<Wilson>,
    mean_interval: Vec<MeanInterval>,
    z_test: Vec<ZTest>,
    welch: Vec<Pair<Welch>>,
    holm: Vec<Holm>,
    lift_rate: Vec<LiftRate>,
    lift_mean: Vec<LiftMean>,
    chance_to_beat: Vec<Chance>,
    chance_to_beat_normal: Vec<Pair<NormalChance>>,
    srm: Vec<SrmCase>,
}

#[derive(Deserialize)]
struct Wilson {
    successes: u64,
    trials: u64,
    confidence: f64,
    low: f64,
    high: f64,
}

#[derive(Deserialize, Clone, Copy, Debug)]
struct SummaryJson {
    n: u64,
    sum: f64,
    sum_squares: f64,
}

impl From<SummaryJson> for Summary {
    fn from(json: SummaryJson) -> Self {
        Summary {
            n: json.n,
            sum: json.sum,
            sum_squares: json.sum_squares,
        }
    }
}

#[derive(Deserialize)]
struct MeanInterval {
    summary: SummaryJson,
    confidence: f64,
    low: f64,
    high: f64,
}

#[derive(Deserialize)]
struct ZTest {
    x_control: u64,
    n_control: u64,
    x_variant: u64,
    n_variant: u64,
    p_value: f64,
}

/// A control and a variant summary, with the figures `T` of the case.
#[derive(Deserialize)]
struct Pair<T> {
    control: SummaryJson,
    variant: SummaryJson,
    #[serde(flatten)]
    figures: T,
}

#[derive(Deserialize)]
struct Welch {
    p_value: f64,
}

#[derive(Deserialize)]
struct NormalChance {
    p: f64,
}

#[derive(Deserialize)]
struct Holm {
    p_values: Vec<f64>,
    adjusted: Vec<f64>,
}

#[derive(Deserialize)]
struct LiftFigures {
    confidence: f64,
    lift: f64,
    low: f64,
    high: f64,
}

#[derive(Deserialize)]
struct LiftRate {
    control: (u64, u64),
    variant: (u64, u64),
    #[serde(flatten)]
    figures: LiftFigures,
}

#[derive(Deserialize)]
struct LiftMean {
    control: SummaryJson,
    variant: SummaryJson,
    #[serde(flatten)]
    figures: LiftFigures,
}

#[derive(Deserialize)]
struct Chance {
    control: (u64, u64),
    variant: (u64, u64),
    p: f64,
}

#[derive(Deserialize)]
struct SrmCase {
    observed: Vec<u64>,
    weights: Vec<f64>,
    chi_square: f64,
    p_value: f64,
    mismatch: bool,
}

fn fixture() -> Fixture {
    serde_json::from_str(include_str!("fixtures/stats.json")).unwrap()
}

/// The largest relative error seen (absolute, for references within [`ABSOLUTE`] of 0).
#[derive(Default)]
struct Worst(f64);

impl Worst {
    #[track_caller]
    fn check(&mut self, case: &dyn std::fmt::Debug, got: f64, want: f64) {
        let error = (got - want).abs();
        assert!(
            error <= RELATIVE * want.abs() || error <= ABSOLUTE,
            "{case:?}: {got:e}, but the reference is {want:e} (off by {:e} relative)",
            error / want.abs()
        );
        self.0 = self.0.max(if want.abs() > ABSOLUTE {
            error / want.abs()
        } else {
            error
        });
    }

    #[track_caller]
    fn check_interval(&mut self, case: &dyn std::fmt::Debug, got: Interval, low: f64, high: f64) {
        self.check(case, got.low, low);
        self.check(case, got.high, high);
    }

    #[track_caller]
    fn check_lift(
        &mut self,
        case: &dyn std::fmt::Debug,
        control: Estimate,
        variant: Estimate,
        want: &LiftFigures,
    ) {
        self.check(case, lift(&control, &variant).unwrap(), want.lift);
        let interval = lift_ci(&control, &variant, want.confidence)
            .unwrap()
            .unwrap();
        self.check_interval(case, interval, want.low, want.high);
    }
}

#[test]
fn wilson_matches_statsmodels() {
    let mut worst = Worst::default();
    for case in fixture().wilson {
        let got = wilson_interval(case.successes, case.trials, case.confidence).unwrap();
        let name = (case.successes, case.trials, case.confidence);
        worst.check_interval(&name, got, case.low, case.high);
    }
    assert!(worst.0 < RELATIVE);
}

#[test]
fn mean_interval_matches_scipy_t() {
    let mut worst = Worst::default();
    for case in fixture().mean_interval {
        let got = mean_interval(case.summary.into(), case.confidence).unwrap();
        worst.check_interval(&(case.summary, case.confidence), got, case.low, case.high);
    }
    assert!(worst.0 < RELATIVE);
}

#[test]
fn z_test_matches_statsmodels() {
    let mut worst = Worst::default();
    for case in fixture().z_test {
        let got = two_proportion_z_test(
            case.x_control,
            case.n_control,
            case.x_variant,
            case.n_variant,
        );
        let name = (
            case.x_control,
            case.n_control,
            case.x_variant,
            case.n_variant,
        );
        worst.check(&name, got.unwrap(), case.p_value);
    }
    assert!(worst.0 < RELATIVE);
}

#[test]
fn welch_matches_scipy() {
    let mut worst = Worst::default();
    for case in fixture().welch {
        let got = welch_t_test(case.control.into(), case.variant.into()).unwrap();
        worst.check(&(case.control, case.variant), got, case.figures.p_value);
    }
    assert!(worst.0 < RELATIVE);
}

#[test]
fn holm_matches_statsmodels() {
    let mut worst = Worst::default();
    for case in fixture().holm {
        let got = holm(&case.p_values).unwrap();
        assert_eq!(got.len(), case.adjusted.len());
        for (got, want) in got.into_iter().zip(case.adjusted) {
            worst.check(&case.p_values, got, want);
        }
    }
    assert!(worst.0 < RELATIVE);
}

#[test]
fn lift_matches_the_delta_method() {
    let mut worst = Worst::default();
    let fixture = fixture();
    for case in fixture.lift_rate {
        let control = Estimate::rate(case.control.0, case.control.1).unwrap();
        let variant = Estimate::rate(case.variant.0, case.variant.1).unwrap();
        worst.check_lift(
            &(case.control, case.variant),
            control,
            variant,
            &case.figures,
        );
    }
    for case in fixture.lift_mean {
        let control = Estimate::mean(&case.control.into()).unwrap();
        let variant = Estimate::mean(&case.variant.into()).unwrap();
        worst.check_lift(
            &(case.control, case.variant),
            control,
            variant,
            &case.figures,
        );
    }
    assert!(worst.0 < RELATIVE);
}

#[test]
fn chance_to_beat_matches_mpmath() {
    let mut worst = Worst::default();
    for case in fixture().chance_to_beat {
        let got = chance_to_beat(case.control, case.variant).unwrap();
        worst.check(&(case.control, case.variant), got, case.p);
    }
    assert!(worst.0 < RELATIVE);
}

#[test]
fn chance_to_beat_normal_matches_mpmath() {
    let mut worst = Worst::default();
    for case in fixture().chance_to_beat_normal {
        let got = chance_to_beat_normal(case.control.into(), case.variant.into()).unwrap();
        worst.check(&(case.control, case.variant), got, case.figures.p);
    }
    assert!(worst.0 < RELATIVE);
}

#[test]
fn srm_matches_scipy() {
    let mut worst = Worst::default();
    for case in fixture().srm {
        let got = srm(&case.observed, &case.weights).unwrap();
        worst.check(&case.observed, got.chi_square, case.chi_square);
        worst.check(&case.observed, got.p_value, case.p_value);
        assert_eq!(got.mismatch, case.mismatch, "{:?}", case.observed);
    }
    assert!(worst.0 < RELATIVE);
}

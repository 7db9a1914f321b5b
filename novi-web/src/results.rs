//! An experiment's results: the database's totals (`novi-client`, aggregated in SQL) turned into
//! the statistics of `novi-stats`, as `GET /experiments/{id}/results` answers them.
//!
//! Per variant: its units, and per metric a conversion rate with its 95% Wilson interval, or a
//! mean (over every exposed unit, a unit without the event counting 0) with its 95% t interval;
//! for each variant but the control, the lift over the control with its 95% interval (the delta
//! method), the two-sided p-value (a two-proportion z-test, or Welch's t-test), the p-values
//! adjusted across the variants by Holm's method, and the chance to beat the control (exact,
//! under Beta(1, 1) priors, for conversions; a normal approximation for means). At the top: the
//! sample ratio check (a chi-square test of the units against the flag's weights), the planned
//! and reached units, and the exposures dropped.

use novi_client::experiments::{
    ExperimentRecord, ExperimentTotals, MetricKind, MetricTotals, VariantTotals,
};
use novi_stats::{
    bayes::{chance_to_beat, chance_to_beat_normal},
    correction::holm,
    error::Error as StatsError,
    interval::Interval,
    lift::{Estimate, lift, lift_ci},
    mean::{mean_interval, welch_t_test},
    proportion::{two_proportion_z_test, wilson_interval},
    srm::srm,
    summary::Summary,
};
use serde_json::{Map, Value, json};

/// The confidence of every interval.
pub(crate) const CONFIDENCE: f64 = 0.95;

fn interval(ci: Result<Interval, StatsError>) -> Value {
    ci.map_or(Value::Null, |ci| json!([ci.low, ci.high]))
}

fn number(x: Option<f64>) -> Value {
    x.filter(|x| x.is_finite())
        .map_or(Value::Null, |x| json!(x))
}

fn summary(units: u64, totals: &MetricTotals) -> Summary {
    Summary {
        n: units,
        sum: totals.sum,
        sum_squares: totals.sum_squares,
    }
}

/// One metric of one variant on its own.
fn metric_json(kind: MetricKind, units: u64, totals: &MetricTotals) -> Map<String, Value> {
    let mut out = Map::new();
    match kind {
        MetricKind::Conversion => {
            out.insert("conversions".into(), json!(totals.converted));
            out.insert(
                "rate".into(),
                number((units > 0).then(|| totals.converted as f64 / units as f64)),
            );
            out.insert(
                "ci".into(),
                interval(wilson_interval(totals.converted, units, CONFIDENCE)),
            );
        }
        MetricKind::Mean => {
            let summary = summary(units, totals);
            out.insert("converted_units".into(), json!(totals.converted));
            out.insert("mean".into(), number(summary.mean().ok()));
            out.insert("ci".into(), interval(mean_interval(summary, CONFIDENCE)));
        }
    }
    out
}

/// The comparison of one variant's metric with the control's: lift, its interval, p-value,
/// chance to beat the control.
fn compare(
    kind: MetricKind,
    control: (u64, &MetricTotals),
    variant: (u64, &MetricTotals),
) -> (Map<String, Value>, Option<f64>) {
    let mut out = Map::new();
    let (estimates, p_value, beat) = match kind {
        MetricKind::Conversion => (
            Estimate::rate(control.1.converted, control.0)
                .and_then(|c| Ok((c, Estimate::rate(variant.1.converted, variant.0)?))),
            two_proportion_z_test(
                control.1.converted,
                control.0,
                variant.1.converted,
                variant.0,
            )
            .ok(),
            chance_to_beat(
                (control.1.converted, control.0),
                (variant.1.converted, variant.0),
            )
            .ok(),
        ),
        MetricKind::Mean => {
            let (c, v) = (summary(control.0, control.1), summary(variant.0, variant.1));
            (
                Estimate::mean(&c).and_then(|ce| Ok((ce, Estimate::mean(&v)?))),
                welch_t_test(c, v).ok(),
                chance_to_beat_normal(c, v).ok(),
            )
        }
    };
    let (lift, lift_ci) = match &estimates {
        Ok((c, v)) => (lift(c, v), lift_ci(c, v, CONFIDENCE).ok().flatten()),
        Err(_) => (None, None),
    };
    out.insert("lift".into(), number(lift));
    out.insert(
        "lift_ci".into(),
        lift_ci.map_or(Value::Null, |ci| json!([ci.low, ci.high])),
    );
    out.insert("p_value".into(), number(p_value));
    out.insert("chance_to_beat_control".into(), number(beat));
    (out, p_value)
}

/// The results of `e`, from its `totals` and its flag's variant weights (`None` when the flag
/// is gone or assigns no variants any more: no sample ratio check then).
pub(crate) fn compute(
    e: &ExperimentRecord,
    totals: &ExperimentTotals,
    weights: Option<&[(String, f64)]>,
) -> Value {
    // Every variant of the flag, with or without units, then any other seen in exposures.
    let mut names: Vec<String> = weights
        .map(|weights| weights.iter().map(|(name, _)| name.clone()).collect())
        .unwrap_or_default();
    for v in &totals.variants {
        if !names.contains(&v.variant) {
            names.push(v.variant.clone());
        }
    }
    if !names.contains(&e.control) {
        names.insert(0, e.control.clone());
    }
    let empty = |name: &str| VariantTotals {
        variant: name.to_owned(),
        units: 0,
        metrics: vec![MetricTotals::default(); e.metrics.len()],
    };
    let rows: Vec<VariantTotals> = names
        .iter()
        .map(|name| {
            totals
                .variants
                .iter()
                .find(|v| &v.variant == name)
                .cloned()
                .unwrap_or_else(|| empty(name))
        })
        .collect();
    let control = rows
        .iter()
        .find(|v| v.variant == e.control)
        .cloned()
        .unwrap_or_else(|| empty(&e.control));

    let mut variants: Vec<Value> = Vec::with_capacity(rows.len());
    // Per metric, the (variant index, p-value) of the non-control variants, for Holm.
    let mut p_values: Vec<Vec<(usize, f64)>> = vec![Vec::new(); e.metrics.len()];
    for (at, row) in rows.iter().enumerate() {
        let mut metrics = Map::new();
        for (m, metric) in e.metrics.iter().enumerate() {
            let mut out = metric_json(metric.kind, row.units, &row.metrics[m]);
            if row.variant != e.control {
                let (comparison, p) = compare(
                    metric.kind,
                    (control.units, &control.metrics[m]),
                    (row.units, &row.metrics[m]),
                );
                out.extend(comparison);
                if let Some(p) = p {
                    p_values[m].push((at, p));
                }
            }
            metrics.insert(metric.name.clone(), Value::Object(out));
        }
        variants.push(json!({
            "name": row.variant,
            "control": row.variant == e.control,
            "units": row.units,
            "metrics": metrics,
        }));
    }
    for (m, metric) in e.metrics.iter().enumerate() {
        let raw: Vec<f64> = p_values[m].iter().map(|(_, p)| *p).collect();
        let Ok(adjusted) = holm(&raw) else {
            continue;
        };
        for ((at, _), adjusted) in p_values[m].iter().zip(adjusted) {
            variants[*at]["metrics"][&metric.name]["p_value_adjusted"] = json!(adjusted);
        }
    }
    // Variants compared with the control but without a p-value (no units yet) still say so.
    for variant in &mut variants {
        if variant["control"] == json!(false) {
            for metric in &e.metrics {
                let entry = &mut variant["metrics"][&metric.name];
                if entry.get("p_value_adjusted").is_none() {
                    entry["p_value_adjusted"] = Value::Null;
                }
            }
        }
    }

    let srm = weights.and_then(|weights| {
        let observed: Vec<u64> = weights
            .iter()
            .map(|(name, _)| {
                rows.iter()
                    .find(|r| &r.variant == name)
                    .map_or(0, |r| r.units)
            })
            .collect();
        let w: Vec<f64> = weights.iter().map(|(_, w)| *w).collect();
        // Variants with no weight receive no units: the test is over the others.
        let (observed, w): (Vec<u64>, Vec<f64>) = observed
            .into_iter()
            .zip(w)
            .filter(|(_, w)| *w > 0.0)
            .unzip();
        srm(&observed, &w).ok()
    });
    let reached: u64 = rows.iter().map(|r| r.units).sum();
    json!({
        "id": e.id,
        "name": e.name,
        "status": e.status,
        "control": e.control,
        "confidence": CONFIDENCE,
        "variants": variants,
        "srm": srm.map_or(Value::Null, |srm| json!({
            "p_value": srm.p_value,
            "chi_square": srm.chi_square,
            "mismatch": srm.mismatch,
        })),
        "sample_size": {
            "planned": e.planned_units,
            "reached": reached,
        },
        "exposures_dropped": totals.dropped,
    })
}

//! Experiments: defined, changed and deleted under the writers' lock and audited like flags;
//! a definition is checked against the flag it names as stored at the time of the write.

use std::collections::BTreeSet;

use diesel::prelude::*;

use super::{Deadline, activations, audit, check_name, flags, now_ms, write_with_retry};
use crate::{
    connection::DbConnection,
    error::Error,
    experiments::{ExperimentInput, ExperimentRecord, ExperimentStatus, ExperimentUpdate, Metric},
    models::Actor,
    schema::experiments,
};

/// The unit key of an experiment that names none.
pub(crate) const DEFAULT_UNIT_KEY: &str = "userId";

/// The most metrics one experiment may have.
pub(crate) const MAX_METRICS: usize = 20;

type Row = (
    i32,
    String,
    i32,
    String,
    String,
    String,
    Option<i64>,
    String,
    i64,
    Option<i64>,
);

const COLUMNS: (
    experiments::id,
    experiments::name,
    experiments::flag_id,
    experiments::control,
    experiments::unit_key,
    experiments::metrics,
    experiments::planned_units,
    experiments::status,
    experiments::created_at_ms,
    experiments::started_at_ms,
) = (
    experiments::id,
    experiments::name,
    experiments::flag_id,
    experiments::control,
    experiments::unit_key,
    experiments::metrics,
    experiments::planned_units,
    experiments::status,
    experiments::created_at_ms,
    experiments::started_at_ms,
);

fn record(row: Row) -> Result<ExperimentRecord, Error> {
    let (
        id,
        name,
        flag_id,
        control,
        unit_key,
        metrics,
        planned_units,
        status,
        created_at_ms,
        started_at_ms,
    ) = row;
    let unreadable = |problem: String| Error::UnreadableExperiment { id, problem };
    Ok(ExperimentRecord {
        metrics: serde_json::from_str(&metrics)
            .map_err(|err| unreadable(format!("its metrics are not readable: {err}")))?,
        status: ExperimentStatus::parse(&status)
            .ok_or_else(|| unreadable(format!("its status `{status}` is unknown")))?,
        id,
        name,
        flag_id,
        control,
        unit_key,
        planned_units,
        created_at_ms,
        started_at_ms,
    })
}

/// Every experiment, in id order.
pub(crate) fn list(conn: &mut DbConnection) -> Result<Vec<ExperimentRecord>, Error> {
    experiments::table
        .select(COLUMNS)
        .order(experiments::id)
        .load::<Row>(conn)?
        .into_iter()
        .map(record)
        .collect()
}

/// The running experiments.
pub(crate) fn running(conn: &mut DbConnection) -> Result<Vec<ExperimentRecord>, Error> {
    experiments::table
        .select(COLUMNS)
        .filter(experiments::status.eq(ExperimentStatus::Running.as_str()))
        .order(experiments::id)
        .load::<Row>(conn)?
        .into_iter()
        .map(record)
        .collect()
}

/// The experiment with this id.
pub(crate) fn get(conn: &mut DbConnection, id: i32) -> Result<ExperimentRecord, Error> {
    experiments::table
        .select(COLUMNS)
        .filter(experiments::id.eq(id))
        .first::<Row>(conn)
        .optional()?
        .map(record)
        .transpose()?
        .ok_or(Error::ExperimentNotFound(id))
}

fn invalid(field: &'static str, problem: impl Into<String>) -> Error {
    Error::InvalidExperiment {
        field,
        problem: problem.into(),
    }
}

/// The id of flag `name` and the variants it assigns, as stored now: those of its first
/// activation that chooses variants.
pub(crate) fn flag_variants(
    conn: &mut DbConnection,
    name: &str,
) -> Result<(i32, Vec<(String, f64)>), Error> {
    let id = flags::find_id(conn, name)?
        .ok_or_else(|| invalid("flag", format!("no flag is named `{name}`")))?;
    let flag = flags::load(conn, id)?
        .ok_or_else(|| invalid("flag", format!("no flag is named `{name}`")))?;
    let rows = activations::all(conn)?;
    let built = activations::build(&rows);
    let weights = flag.activations.iter().find_map(|activation| {
        built
            .get(activation.id)
            .and_then(Result::ok)
            .and_then(|built| built.variant_weights())
    });
    match weights {
        Some(weights) if !weights.is_empty() => Ok((id.0, weights)),
        _ => Err(invalid(
            "flag",
            format!(
                "flag `{name}` assigns no variants: link a VariantActivation or a WeightedRandomActivation (or a composite holding one)"
            ),
        )),
    }
}

fn check_metrics(metrics: &[Metric]) -> Result<(), Error> {
    if metrics.is_empty() {
        return Err(invalid(
            "metrics",
            "an experiment measures at least one metric",
        ));
    }
    if metrics.len() > MAX_METRICS {
        return Err(invalid("metrics", format!("at most {MAX_METRICS} metrics")));
    }
    let mut names = BTreeSet::new();
    for (at, metric) in metrics.iter().enumerate() {
        check_name("metric name", &metric.name)
            .map_err(|err| invalid("metrics", format!("metric {at}: {err}")))?;
        check_name("event", &metric.event)
            .map_err(|err| invalid("metrics", format!("metric {at}: {err}")))?;
        if !names.insert(metric.name.as_str()) {
            return Err(invalid(
                "metrics",
                format!("two metrics are named `{}`", metric.name),
            ));
        }
    }
    Ok(())
}

/// Checks a whole definition against the stored flag; returns the flag's id.
fn check(conn: &mut DbConnection, e: &ExperimentInput) -> Result<i32, Error> {
    check_name("experiment name", &e.name).map_err(|err| invalid("name", err.to_string()))?;
    let unit_key = e.unit_key.as_deref().unwrap_or(DEFAULT_UNIT_KEY);
    check_name("unit key", unit_key).map_err(|err| invalid("unit_key", err.to_string()))?;
    check_metrics(&e.metrics)?;
    if let Some(planned) = e.planned_units
        && planned < 1
    {
        return Err(invalid(
            "planned_units",
            "it must be a positive number of units",
        ));
    }
    let (flag_id, variants) = flag_variants(conn, &e.flag)?;
    if !variants.iter().any(|(name, _)| *name == e.control) {
        let names: Vec<&str> = variants.iter().map(|(name, _)| name.as_str()).collect();
        return Err(invalid(
            "control",
            format!(
                "`{}` is not a variant of flag `{}`; its variants are {}",
                e.control,
                e.flag,
                names.join(", ")
            ),
        ));
    }
    Ok(flag_id)
}

fn name_taken(conn: &mut DbConnection, name: &str, other_than: Option<i32>) -> Result<bool, Error> {
    Ok(experiments::table
        .filter(experiments::name.eq(name))
        .select((experiments::id, experiments::name))
        .load::<(i32, String)>(conn)?
        .into_iter()
        .any(|(id, stored)| stored == name && Some(id) != other_than))
}

fn metrics_json(metrics: &[Metric]) -> String {
    serde_json::to_string(metrics).unwrap_or_else(|_| "[]".to_owned())
}

/// Creates an experiment (a draft unless `status` says otherwise); returns it as stored.
pub(crate) fn create(
    conn: &mut DbConnection,
    deadline: Deadline,
    input: &ExperimentInput,
    actor: &Actor,
) -> Result<ExperimentRecord, Error> {
    write_with_retry(conn, deadline, |conn| {
        let flag_id = check(conn, input)?;
        if name_taken(conn, &input.name, None)? {
            return Err(Error::DuplicateExperimentName(input.name.clone()));
        }
        let status = input.status.unwrap_or_default();
        let now = now_ms();
        diesel::insert_into(experiments::table)
            .values((
                experiments::name.eq(&input.name),
                experiments::flag_id.eq(flag_id),
                experiments::control.eq(&input.control),
                experiments::unit_key.eq(input.unit_key.as_deref().unwrap_or(DEFAULT_UNIT_KEY)),
                experiments::metrics.eq(metrics_json(&input.metrics)),
                experiments::planned_units.eq(input.planned_units),
                experiments::status.eq(status.as_str()),
                experiments::created_at_ms.eq(now),
                experiments::started_at_ms.eq((status == ExperimentStatus::Running).then_some(now)),
            ))
            .execute(conn)?;
        let id = experiments::table
            .filter(experiments::name.eq(&input.name))
            .select(experiments::id)
            .load::<i32>(conn)?
            .into_iter()
            .max()
            .ok_or(Error::ExperimentNotFound(0))?;
        let created = get(conn, id)?;
        audit::record_experiment(conn, actor, None, Some(&created))?;
        Ok(created)
    })
}

/// Changes the given fields of experiment `id`, checked as a whole against the stored flag.
pub(crate) fn update(
    conn: &mut DbConnection,
    deadline: Deadline,
    id: i32,
    update: &ExperimentUpdate,
    actor: &Actor,
) -> Result<ExperimentRecord, Error> {
    write_with_retry(conn, deadline, |conn| {
        let before = get(conn, id)?;
        let flag = match &update.flag {
            Some(flag) => flag.clone(),
            None => flags::load(conn, crate::FlagId(before.flag_id))?
                .map(|flag| flag.name)
                .ok_or_else(|| {
                    invalid(
                        "flag",
                        format!("its flag (id {}) was deleted: name another", before.flag_id),
                    )
                })?,
        };
        let status = update.status.unwrap_or(before.status);
        let input = ExperimentInput {
            name: update.name.clone().unwrap_or_else(|| before.name.clone()),
            flag,
            control: update
                .control
                .clone()
                .unwrap_or_else(|| before.control.clone()),
            unit_key: Some(
                update
                    .unit_key
                    .clone()
                    .unwrap_or_else(|| before.unit_key.clone()),
            ),
            metrics: update
                .metrics
                .clone()
                .unwrap_or_else(|| before.metrics.clone()),
            planned_units: update.planned_units.unwrap_or(before.planned_units),
            status: Some(status),
        };
        let flag_id = check(conn, &input)?;
        if name_taken(conn, &input.name, Some(id))? {
            return Err(Error::DuplicateExperimentName(input.name.clone()));
        }
        let started = before
            .started_at_ms
            .or_else(|| (status == ExperimentStatus::Running).then(now_ms));
        diesel::update(experiments::table.filter(experiments::id.eq(id)))
            .set((
                experiments::name.eq(&input.name),
                experiments::flag_id.eq(flag_id),
                experiments::control.eq(&input.control),
                experiments::unit_key.eq(input.unit_key.as_deref().unwrap_or(DEFAULT_UNIT_KEY)),
                experiments::metrics.eq(metrics_json(&input.metrics)),
                experiments::planned_units.eq(input.planned_units),
                experiments::status.eq(status.as_str()),
                experiments::started_at_ms.eq(started),
            ))
            .execute(conn)?;
        let after = get(conn, id)?;
        audit::record_experiment(conn, actor, Some(&before), Some(&after))?;
        Ok(after)
    })
}

/// Deletes experiment `id` with its exposures; returns it as it was.
pub(crate) fn delete(
    conn: &mut DbConnection,
    deadline: Deadline,
    id: i32,
    actor: &Actor,
) -> Result<ExperimentRecord, Error> {
    use crate::schema::{exposure_counts, exposure_drops, exposures, unit_totals};
    write_with_retry(conn, deadline, |conn| {
        let before = get(conn, id)?;
        // Explicit, so it holds where the cascade is not enforced (SQLite without foreign keys).
        diesel::delete(exposures::table.filter(exposures::experiment_id.eq(id))).execute(conn)?;
        diesel::delete(exposure_drops::table.filter(exposure_drops::experiment_id.eq(id)))
            .execute(conn)?;
        diesel::delete(exposure_counts::table.filter(exposure_counts::experiment_id.eq(id)))
            .execute(conn)?;
        diesel::delete(unit_totals::table.filter(unit_totals::experiment_id.eq(id)))
            .execute(conn)?;
        diesel::delete(experiments::table.filter(experiments::id.eq(id))).execute(conn)?;
        audit::record_experiment(conn, actor, Some(&before), None)?;
        Ok(before)
    })
}

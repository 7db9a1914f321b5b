//! Exposures and conversions: stored in batches, in transactions of their own that never take
//! the writers' lock (recording does not queue behind flag edits), and aggregated in SQL for an
//! experiment's results (never loaded into memory).

use std::collections::{BTreeMap, BTreeSet};

use diesel::{
    prelude::*,
    sql_types::{BigInt, Double, Integer, Text},
};

use crate::{
    connection::DbConnection,
    error::Error,
    experiments::{ExperimentRecord, ExperimentTotals, MetricKind, MetricTotals, VariantTotals},
    schema::{
        conversions, exposure_counts, exposure_drops, exposures, novi_events_lock, unit_totals,
    },
};

/// Rows per statement: far below every backend's limit on bound values.
const CHUNK: usize = 500;

/// A unit's first exposure, to store.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = exposures)]
pub(crate) struct NewExposure {
    pub(crate) experiment_id: i32,
    pub(crate) unit: String,
    pub(crate) variant: String,
    pub(crate) at_ms: i64,
}

/// A conversion, to store.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = conversions, treat_none_as_default_value = false)]
pub(crate) struct NewConversion {
    pub(crate) event_id: Option<String>,
    pub(crate) event: String,
    pub(crate) unit: String,
    pub(crate) value: Option<f64>,
    pub(crate) at_ms: i64,
}

/// Inserts `rows` into `table` (rows known to be new: the batch holds the events lock).
macro_rules! insert_all {
    ($conn:expr, $table:expr, $rows:expr) => {{
        match $conn {
            #[cfg(feature = "postgres")]
            DbConnection::Postgres(c) => {
                diesel::insert_into($table).values($rows).execute(c)?;
            }
            // A row at a time: Diesel's batch insert on SQLite needs no default values, and
            // SQLite is local (a few microseconds a row, in the one transaction).
            #[cfg(feature = "sqlite")]
            DbConnection::Sqlite(c) => {
                for row in $rows {
                    diesel::insert_into($table).values(row).execute(c)?;
                }
            }
            #[cfg(feature = "mysql")]
            DbConnection::Mysql(c) => {
                diesel::insert_into($table).values($rows).execute(c)?;
            }
        }
    }};
}

/// Stores a batch in one transaction, taking its turn on `novi_events_lock` (never the
/// writers' lock): exposures (a unit's first per experiment stands), conversions (once per
/// event id) and counts of dropped exposures, and keeps the results' rollups up to date:
/// `exposure_counts` and `unit_totals` (each exposed unit's total per event at or after its
/// exposure). Returns the exposures and conversions stored.
pub(crate) fn store(
    conn: &mut DbConnection,
    new_exposures: &[NewExposure],
    new_conversions: &[NewConversion],
    drops: &[(i32, u64)],
) -> Result<(u64, u64), Error> {
    conn.transaction(|conn| {
        lock_events(conn, !new_exposures.is_empty())?;
        let mut rollup = Rollup::default();
        let exposed = store_exposures(conn, new_exposures, &mut rollup)?;
        let converted = store_conversions(conn, new_conversions, &mut rollup)?;
        rollup.write(conn)?;
        let now = super::now_ms();
        for &(experiment, dropped) in drops {
            // An experiment deleted meanwhile has nobody to tell.
            let exists = crate::schema::experiments::table
                .filter(crate::schema::experiments::id.eq(experiment))
                .count()
                .get_result::<i64>(conn)?
                > 0;
            if exists {
                diesel::insert_into(exposure_drops::table)
                    .values((
                        exposure_drops::experiment_id.eq(experiment),
                        exposure_drops::dropped.eq(i64::try_from(dropped).unwrap_or(i64::MAX)),
                        exposure_drops::at_ms.eq(now),
                    ))
                    .execute(conn)?;
            }
        }
        Ok((exposed, converted))
    })
}

/// Takes this transaction's turn among event batches (every process's). A batch with exposures
/// takes the lock alone: it finds which exposures are new and adds the conversions stored
/// before them, which no other batch may change meanwhile. Batches of conversions only share
/// it with each other (each adds to the totals of exposures stored before it, in key order, so
/// that two such batches never wait on each other in a circle); SQLite has one writer anyway.
fn lock_events(conn: &mut DbConnection, alone: bool) -> Result<(), Error> {
    if !alone {
        let shared = match conn {
            #[cfg(feature = "postgres")]
            DbConnection::Postgres(_) => "SELECT id FROM novi_events_lock WHERE id = 1 FOR SHARE",
            #[cfg(feature = "mysql")]
            DbConnection::Mysql(_) => {
                "SELECT id FROM novi_events_lock WHERE id = 1 LOCK IN SHARE MODE"
            }
            #[cfg(feature = "sqlite")]
            DbConnection::Sqlite(_) => "",
        };
        if !shared.is_empty() {
            diesel::sql_query(shared).load::<LockRow>(conn)?;
            return Ok(());
        }
    }
    let locked = diesel::update(novi_events_lock::table.filter(novi_events_lock::id.eq(1)))
        .set(novi_events_lock::version.eq(novi_events_lock::version + 1))
        .execute(conn)?;
    if locked == 0 {
        diesel::insert_into(novi_events_lock::table)
            .values((novi_events_lock::id.eq(1), novi_events_lock::version.eq(1)))
            .execute(conn)?;
    }
    Ok(())
}

#[derive(QueryableByName)]
struct LockRow {
    #[diesel(sql_type = Integer)]
    #[allow(dead_code)] // read to take the lock, not used
    id: i32,
}

/// What a batch adds to the rollups.
#[derive(Default)]
struct Rollup {
    /// (experiment, variant) → new units.
    units: BTreeMap<(i32, String), i64>,
    /// (experiment, event, unit) → (variant, added total).
    totals: BTreeMap<(i32, String, String), (String, f64)>,
}

impl Rollup {
    fn add(&mut self, experiment: i32, event: &str, unit: &str, variant: &str, value: f64) {
        self.totals
            .entry((experiment, event.to_owned(), unit.to_owned()))
            .or_insert_with(|| (variant.to_owned(), 0.0))
            .1 += value;
    }

    fn write(self, conn: &mut DbConnection) -> Result<(), Error> {
        for ((experiment, variant), n) in self.units {
            let updated = diesel::update(
                exposure_counts::table
                    .filter(exposure_counts::experiment_id.eq(experiment))
                    .filter(exposure_counts::variant.eq(&variant)),
            )
            .set(exposure_counts::units.eq(exposure_counts::units + n))
            .execute(conn)?;
            if updated == 0 {
                diesel::insert_into(exposure_counts::table)
                    .values((
                        exposure_counts::experiment_id.eq(experiment),
                        exposure_counts::variant.eq(&variant),
                        exposure_counts::units.eq(n),
                    ))
                    .execute(conn)?;
            }
        }
        // PostgreSQL adds to many units' totals in one statement.
        #[cfg(feature = "postgres")]
        if let DbConnection::Postgres(c) = conn {
            use diesel::upsert::excluded;
            let rows: Vec<_> = self
                .totals
                .iter()
                .map(|((experiment, event, unit), (variant, total))| {
                    (
                        unit_totals::experiment_id.eq(*experiment),
                        unit_totals::event.eq(event),
                        unit_totals::unit.eq(unit),
                        unit_totals::variant.eq(variant),
                        unit_totals::total.eq(*total),
                    )
                })
                .collect();
            for chunk in rows.chunks(CHUNK) {
                diesel::insert_into(unit_totals::table)
                    .values(chunk)
                    .on_conflict((
                        unit_totals::experiment_id,
                        unit_totals::event,
                        unit_totals::unit,
                    ))
                    .do_update()
                    .set(unit_totals::total.eq(unit_totals::total + excluded(unit_totals::total)))
                    .execute(c)?;
            }
            return Ok(());
        }
        for ((experiment, event, unit), (variant, total)) in self.totals {
            let updated = diesel::update(
                unit_totals::table
                    .filter(unit_totals::experiment_id.eq(experiment))
                    .filter(unit_totals::event.eq(&event))
                    .filter(unit_totals::unit.eq(&unit)),
            )
            .set(unit_totals::total.eq(unit_totals::total + total))
            .execute(conn)?;
            if updated == 0 {
                diesel::insert_into(unit_totals::table)
                    .values((
                        unit_totals::experiment_id.eq(experiment),
                        unit_totals::event.eq(&event),
                        unit_totals::unit.eq(&unit),
                        unit_totals::variant.eq(&variant),
                        unit_totals::total.eq(total),
                    ))
                    .execute(conn)?;
            }
        }
        Ok(())
    }
}

/// Stores each unit's first exposure per experiment (the batch's first, unless one is stored
/// already), counts the new ones, and adds the conversions their units made before this batch,
/// at or after the exposure.
fn store_exposures(
    conn: &mut DbConnection,
    batch: &[NewExposure],
    rollup: &mut Rollup,
) -> Result<u64, Error> {
    let mut seen = BTreeSet::new();
    let firsts: Vec<&NewExposure> = batch
        .iter()
        .filter(|e| seen.insert((e.experiment_id, e.unit.as_str())))
        .collect();
    let mut fresh: Vec<NewExposure> = Vec::with_capacity(firsts.len());
    let mut by_experiment: BTreeMap<i32, Vec<&NewExposure>> = BTreeMap::new();
    for e in firsts {
        by_experiment.entry(e.experiment_id).or_default().push(e);
    }
    for (experiment, exposures_of) in by_experiment {
        for chunk in exposures_of.chunks(CHUNK) {
            let units: Vec<&str> = chunk.iter().map(|e| e.unit.as_str()).collect();
            let stored: BTreeSet<String> = exposures::table
                .filter(exposures::experiment_id.eq(experiment))
                .filter(exposures::unit.eq_any(&units))
                .select(exposures::unit)
                .load::<String>(conn)?
                .into_iter()
                .collect();
            fresh.extend(
                chunk
                    .iter()
                    .filter(|e| !stored.contains(&e.unit))
                    .map(|e| (*e).clone()),
            );
        }
    }
    for chunk in fresh.chunks(CHUNK) {
        insert_all!(conn, exposures::table, chunk);
        let units: Vec<&str> = chunk.iter().map(|e| e.unit.as_str()).collect();
        let earlier: Vec<(String, String, Option<f64>, i64)> = conversions::table
            .filter(conversions::unit.eq_any(&units))
            .select((
                conversions::unit,
                conversions::event,
                conversions::value,
                conversions::at_ms,
            ))
            .load(conn)?;
        let mut of_unit: BTreeMap<&str, Vec<&NewExposure>> = BTreeMap::new();
        for e in chunk {
            of_unit.entry(e.unit.as_str()).or_default().push(e);
        }
        for (unit, event, value, at_ms) in &earlier {
            for e in of_unit.get(unit.as_str()).into_iter().flatten() {
                if *at_ms >= e.at_ms {
                    rollup.add(
                        e.experiment_id,
                        event,
                        unit,
                        &e.variant,
                        value.unwrap_or(1.0),
                    );
                }
            }
        }
    }
    for e in &fresh {
        *rollup
            .units
            .entry((e.experiment_id, e.variant.clone()))
            .or_default() += 1;
    }
    Ok(fresh.len() as u64)
}

/// A stored conversion, as the rollups need it: unit, event, value, time.
type Stored = (String, String, Option<f64>, i64);

/// Stores the conversions whose id is new (and those without one), and adds each to the totals
/// of every exposure of its unit made at or before it.
fn store_conversions(
    conn: &mut DbConnection,
    batch: &[NewConversion],
    rollup: &mut Rollup,
) -> Result<u64, Error> {
    let mut ids = BTreeSet::new();
    let firsts: Vec<NewConversion> = batch
        .iter()
        .filter(|c| c.event_id.as_deref().is_none_or(|id| ids.insert(id)))
        .cloned()
        .collect();
    let mut stored = 0u64;
    for chunk in firsts.chunks(CHUNK) {
        let fresh: Vec<Stored> = match &mut *conn {
            // PostgreSQL says which rows it stored: no need to look for the ids first.
            #[cfg(feature = "postgres")]
            DbConnection::Postgres(c) => diesel::insert_into(conversions::table)
                .values(chunk)
                .on_conflict_do_nothing()
                .returning((
                    conversions::unit,
                    conversions::event,
                    conversions::value,
                    conversions::at_ms,
                ))
                .get_results(c)?,
            #[allow(unreachable_patterns)]
            other => {
                let ids: Vec<&str> = chunk.iter().filter_map(|c| c.event_id.as_deref()).collect();
                let known: BTreeSet<String> = if ids.is_empty() {
                    BTreeSet::new()
                } else {
                    conversions::table
                        .filter(conversions::event_id.eq_any(&ids))
                        .select(conversions::event_id)
                        .load::<Option<String>>(other)?
                        .into_iter()
                        .flatten()
                        .collect()
                };
                let new: Vec<NewConversion> = chunk
                    .iter()
                    .filter(|c| c.event_id.as_ref().is_none_or(|id| !known.contains(id)))
                    .cloned()
                    .collect();
                insert_all!(other, conversions::table, &new);
                new.into_iter()
                    .map(|c| (c.unit, c.event, c.value, c.at_ms))
                    .collect()
            }
        };
        stored += fresh.len() as u64;
        add_conversions(conn, &fresh, rollup)?;
    }
    Ok(stored)
}

/// Adds each stored conversion to the totals of every exposure of its unit made at or before it.
fn add_conversions(
    conn: &mut DbConnection,
    fresh: &[Stored],
    rollup: &mut Rollup,
) -> Result<(), Error> {
    if fresh.is_empty() {
        return Ok(());
    }
    let units: Vec<&str> = fresh.iter().map(|c| c.0.as_str()).collect();
    let exposed: Vec<(i32, String, String, i64)> = exposures::table
        .filter(exposures::unit.eq_any(&units))
        .select((
            exposures::experiment_id,
            exposures::unit,
            exposures::variant,
            exposures::at_ms,
        ))
        .load(conn)?;
    let mut of_unit: BTreeMap<&str, Vec<&(i32, String, String, i64)>> = BTreeMap::new();
    for e in &exposed {
        of_unit.entry(e.1.as_str()).or_default().push(e);
    }
    for (unit, event, value, at_ms) in fresh {
        for (experiment, _, variant, exposed_at) in of_unit.get(unit.as_str()).into_iter().flatten()
        {
            if at_ms >= exposed_at {
                rollup.add(*experiment, event, unit, variant, value.unwrap_or(1.0));
            }
        }
    }
    Ok(())
}

#[derive(QueryableByName)]
struct UnitsRow {
    #[diesel(sql_type = Text)]
    variant: String,
    #[diesel(sql_type = BigInt)]
    units: i64,
}

#[derive(QueryableByName)]
struct MetricRow {
    #[diesel(sql_type = Text)]
    variant: String,
    #[diesel(sql_type = Text)]
    event: String,
    #[diesel(sql_type = BigInt)]
    converted: i64,
    #[diesel(sql_type = Double)]
    total: f64,
    #[diesel(sql_type = Double)]
    total_sq: f64,
}

/// The units of each variant.
const UNITS: &str = "SELECT variant, units FROM exposure_counts WHERE experiment_id = $1";

/// Per variant and event (of those listed at `{events}`), over the units with at least one such
/// event at or after their first exposure (`unit_totals`): how many, and the sum and sum of
/// squares of their totals (an event without a value counts 1).
const METRICS: &str = "SELECT variant, event, COUNT(*) AS converted, SUM(total) AS total, \
     SUM(total * total) AS total_sq FROM unit_totals \
     WHERE experiment_id = $1 AND event IN ({events}) GROUP BY variant, event";

/// Runs [`METRICS`] for `events` with the dialect's placeholders.
fn metric_rows(
    conn: &mut DbConnection,
    experiment: i32,
    events: &[&str],
) -> Result<Vec<MetricRow>, Error> {
    macro_rules! run {
        ($c:expr, $backend:ty, $numbered:expr) => {{
            let placeholders: Vec<String> = (0..events.len())
                .map(|i| {
                    if $numbered {
                        format!("${}", i + 2)
                    } else {
                        "?".to_owned()
                    }
                })
                .collect();
            let sql = METRICS.replace("{events}", &placeholders.join(", "));
            let sql = if $numbered {
                sql
            } else {
                sql.replace("$1", "?")
            };
            let mut query = diesel::sql_query(sql)
                .into_boxed::<$backend>()
                .bind::<Integer, _>(experiment);
            for event in events {
                query = query.bind::<Text, _>(*event);
            }
            query.load::<MetricRow>($c)?
        }};
    }
    Ok(match conn {
        #[cfg(feature = "postgres")]
        DbConnection::Postgres(c) => run!(c, diesel::pg::Pg, true),
        #[cfg(feature = "sqlite")]
        DbConnection::Sqlite(c) => run!(c, diesel::sqlite::Sqlite, false),
        #[cfg(feature = "mysql")]
        DbConnection::Mysql(c) => run!(c, diesel::mysql::Mysql, false),
    })
}

/// `sql` for `conn`'s backend: PostgreSQL numbers its placeholders, the others write `?`.
fn dialect(conn: &DbConnection, sql: &str) -> String {
    match conn {
        #[cfg(feature = "postgres")]
        DbConnection::Postgres(_) => sql.to_owned(),
        #[allow(unreachable_patterns)]
        _ => sql.replace("$1", "?"),
    }
}

/// What the database holds for experiment `e`: per variant, its units and each metric's sums,
/// read from the rollups in one transaction.
pub(crate) fn totals(
    conn: &mut DbConnection,
    e: &ExperimentRecord,
) -> Result<ExperimentTotals, Error> {
    conn.transaction(|conn| totals_in(conn, e))
}

fn totals_in(conn: &mut DbConnection, e: &ExperimentRecord) -> Result<ExperimentTotals, Error> {
    let units: Vec<UnitsRow> = diesel::sql_query(dialect(conn, UNITS))
        .bind::<Integer, _>(e.id)
        .load(conn)?;
    let mut variants: Vec<VariantTotals> = units
        .into_iter()
        .map(|row| VariantTotals {
            variant: row.variant,
            units: u64::try_from(row.units).unwrap_or(0),
            metrics: vec![MetricTotals::default(); e.metrics.len()],
        })
        .collect();
    variants.sort_by(|a, b| a.variant.cmp(&b.variant));
    let mut events: Vec<&str> = e.metrics.iter().map(|m| m.event.as_str()).collect();
    events.sort_unstable();
    events.dedup();
    let rows = if events.is_empty() {
        Vec::new()
    } else {
        metric_rows(conn, e.id, &events)?
    };
    for row in rows {
        let Some(variant) = variants.iter_mut().find(|v| v.variant == row.variant) else {
            continue;
        };
        for (at, metric) in e.metrics.iter().enumerate() {
            if metric.event != row.event {
                continue;
            }
            let converted = u64::try_from(row.converted).unwrap_or(0);
            // A conversion metric counts units: its sums are the units themselves.
            variant.metrics[at] = match metric.kind {
                MetricKind::Conversion => MetricTotals {
                    converted,
                    sum: converted as f64,
                    sum_squares: converted as f64,
                },
                MetricKind::Mean => MetricTotals {
                    converted,
                    sum: row.total,
                    sum_squares: row.total_sq,
                },
            };
        }
    }
    let dropped: u64 = exposure_drops::table
        .filter(exposure_drops::experiment_id.eq(e.id))
        .select(exposure_drops::dropped)
        .load::<i64>(conn)?
        .into_iter()
        .map(|n| u64::try_from(n).unwrap_or(0))
        .sum();
    Ok(ExperimentTotals { variants, dropped })
}

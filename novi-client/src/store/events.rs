//! Exposures and conversions: stored in batches, in transactions of their own that never take
//! the writers' lock (recording does not queue behind flag edits), and aggregated in SQL for an
//! experiment's results (never loaded into memory).

use diesel::{
    prelude::*,
    sql_types::{BigInt, Double, Integer, Text},
};

use crate::{
    connection::DbConnection,
    error::Error,
    experiments::{ExperimentRecord, ExperimentTotals, MetricKind, MetricTotals, VariantTotals},
    schema::{conversions, exposure_drops, exposures},
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

/// Inserts `rows` into `table`, skipping those that conflict with a stored row (a unit already
/// exposed, an event id already stored); returns how many were stored.
macro_rules! insert_ignoring_conflicts {
    ($conn:expr, $table:expr, $rows:expr) => {{
        let mut stored = 0usize;
        for chunk in $rows.chunks(CHUNK) {
            stored += match $conn {
                #[cfg(feature = "postgres")]
                DbConnection::Postgres(c) => diesel::insert_into($table)
                    .values(chunk)
                    .on_conflict_do_nothing()
                    .execute(c)?,
                // SQLite's batch inserts cannot skip conflicts in Diesel: a row at a time, in
                // the one transaction (local, so a few microseconds each).
                #[cfg(feature = "sqlite")]
                DbConnection::Sqlite(c) => {
                    let mut stored = 0;
                    for row in chunk {
                        stored += diesel::insert_into($table)
                            .values(row)
                            .on_conflict_do_nothing()
                            .execute(c)?;
                    }
                    stored
                }
                #[cfg(feature = "mysql")]
                DbConnection::Mysql(c) => diesel::insert_or_ignore_into($table)
                    .values(chunk)
                    .execute(c)?,
            };
        }
        stored as u64
    }};
}

/// Stores a batch in one transaction: exposures (a unit's first per experiment), conversions
/// (once per event id) and counts of dropped exposures. Returns the exposures and conversions
/// stored.
pub(crate) fn store(
    conn: &mut DbConnection,
    new_exposures: &[NewExposure],
    new_conversions: &[NewConversion],
    drops: &[(i32, u64)],
) -> Result<(u64, u64), Error> {
    conn.transaction(|conn| {
        let exposed = insert_ignoring_conflicts!(&mut *conn, exposures::table, new_exposures);
        let converted = insert_ignoring_conflicts!(&mut *conn, conversions::table, new_conversions);
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
const UNITS: &str = "SELECT variant, COUNT(*) AS units FROM exposures WHERE experiment_id = $1 \
     GROUP BY variant";

/// Per variant and event (of those listed at `{events}`), over the units with at least one such
/// event at or after their first exposure: how many, and the sum and sum of squares of their
/// totals (an event without a value counts 1). One join serves every metric.
const METRICS: &str = "SELECT t.variant AS variant, t.event AS event, COUNT(*) AS converted, \
     SUM(t.total) AS total, SUM(t.total * t.total) AS total_sq FROM (\
     SELECT e.variant AS variant, c.event AS event, e.unit AS unit, \
     SUM(COALESCE(c.value, 1e0)) AS total \
     FROM conversions c JOIN exposures e ON e.experiment_id = $1 AND e.unit = c.unit \
     AND c.at_ms >= e.at_ms WHERE c.event IN ({events}) GROUP BY e.variant, c.event, e.unit) t \
     GROUP BY t.variant, t.event";

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
/// read in one transaction (on PostgreSQL with room to hash the join in memory: 128 MiB).
pub(crate) fn totals(
    conn: &mut DbConnection,
    e: &ExperimentRecord,
) -> Result<ExperimentTotals, Error> {
    conn.transaction(|conn| totals_in(conn, e))
}

fn totals_in(conn: &mut DbConnection, e: &ExperimentRecord) -> Result<ExperimentTotals, Error> {
    #[cfg(feature = "postgres")]
    if matches!(conn, DbConnection::Postgres(_)) {
        use diesel::connection::SimpleConnection;
        conn.batch_execute("SET LOCAL work_mem = '128MB'")?;
    }
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

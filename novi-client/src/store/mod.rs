//! Every query Novi runs, written once for all backends, by entity: [`flags`], [`activations`],
//! [`audit`]; [`revert`] undoes one audit entry through their writes. Writes run in a
//! transaction that takes the writers' lock, validate against the state they would leave
//! behind, and return what they stored.
//!
//! The dialects differ only where SQL has no common spelling, each in one function here: the
//! isolation level of a load ([`load_rows`]), how long a write may wait for a lock
//! ([`bound_waits`]), the id a database gave a new row ([`last_insert_id`]), and moving a
//! PostgreSQL sequence past ids inserted by hand ([`resync_sequences`]).

pub(crate) mod activations;
pub(crate) mod audit;
pub(crate) mod events;
pub(crate) mod experiments;
pub(crate) mod flags;
pub(crate) mod revert;

use std::{
    collections::BTreeSet,
    time::{Duration, Instant},
};

use diesel::{connection::SimpleConnection, prelude::*, result::DatabaseErrorKind};
use novi_core::ActivationId;
use novi_snapshot::rows::{ActivationRow, FlagRow, LinkRow, Rows};

use crate::{
    connection::DbConnection,
    error::Error,
    schema::{self, flags_activations, novi_write_lock},
};

/// An activation row's columns, in [`ActivationRow`]'s order (the row type is
/// `novi-snapshot`'s, which knows nothing of Diesel: rows are read as tuples).
pub(crate) const ACTIVATION_COLUMNS: (
    schema::activations::id,
    schema::activations::name,
    schema::activations::class_name,
    schema::activations::config,
) = (
    schema::activations::id,
    schema::activations::name,
    schema::activations::class_name,
    schema::activations::config,
);

/// An activation row as Diesel reads [`ACTIVATION_COLUMNS`].
pub(crate) type ActivationTuple = (i32, String, String, String);

pub(crate) fn activation_rows(tuples: Vec<ActivationTuple>) -> Vec<ActivationRow> {
    tuples
        .into_iter()
        .map(|(id, name, class_name, config)| ActivationRow {
            id,
            name,
            class_name,
            config,
        })
        .collect()
}

impl From<diesel::result::Error> for Error {
    fn from(cause: diesel::result::Error) -> Self {
        Error::Query {
            during: "writing to the database",
            cause,
        }
    }
}

/// Reads every flag, activation and link in one transaction: three queries, whatever the
/// number of flags.
pub(crate) fn load_rows(conn: &mut DbConnection) -> Result<Rows, Error> {
    conn.transaction(|conn| {
        // PostgreSQL's default isolation would let the three reads see different commits.
        #[cfg(feature = "postgres")]
        if matches!(conn, DbConnection::Postgres(_)) {
            diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(conn)?;
        }
        let flags = schema::flags::table
            .select((
                schema::flags::id,
                schema::flags::name,
                schema::flags::status,
            ))
            .order(schema::flags::id)
            .load::<(i32, String, bool)>(conn)?;
        let activations = schema::activations::table
            .select(ACTIVATION_COLUMNS)
            .order(schema::activations::id)
            .load::<ActivationTuple>(conn)?;
        let links = flags_activations::table
            .select((flags_activations::flag_id, flags_activations::activation_id))
            .order((flags_activations::flag_id, flags_activations::activation_id))
            .load::<(i32, i32)>(conn)?;
        Ok(Rows {
            flags: flags
                .into_iter()
                .map(|(id, name, status)| FlagRow { id, name, status })
                .collect(),
            activations: activation_rows(activations),
            links: links
                .into_iter()
                .map(|(flag_id, activation_id)| LinkRow {
                    flag_id,
                    activation_id,
                })
                .collect(),
        })
    })
    .map_err(|cause| Error::Query {
        during: "loading flags and activations",
        cause,
    })
}

/// When a write must have finished, whatever it waits for: its turn among this process's
/// writers, a pooled connection, the database's locks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadline {
    at: Instant,
    /// The whole allowance, for messages.
    allowed: Duration,
}

impl Deadline {
    pub(crate) fn after(allowed: Duration) -> Deadline {
        Deadline::from(Instant::now(), allowed)
    }

    /// `allowed` counted from `started`.
    pub(crate) fn from(started: Instant, allowed: Duration) -> Deadline {
        Deadline {
            at: started + allowed,
            allowed,
        }
    }

    /// What is left (zero once passed).
    pub(crate) fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    pub(crate) fn passed(&self) -> bool {
        self.remaining().is_zero()
    }

    /// The error of a write that ran out of time.
    pub(crate) fn timed_out(&self) -> Error {
        Error::WriteTimeout {
            allowed: self.allowed,
        }
    }
}

/// How many times a write is retried when a concurrent writer that does not take the lock
/// (a Python Novi process, hand-written SQL) took the id or name it used.
const WRITE_ATTEMPTS: usize = 5;

/// Takes the writers' lock: the row of `novi_write_lock`, locked until the transaction ends,
/// and counts the write in it (see [`crate::changes`]).
/// Every write takes it first, so writers in every process take turns, and each one validates
/// against everything the others committed. On SQLite it is also the first statement, so the
/// transaction starts as a writer and waits on the busy timeout instead of failing to upgrade.
fn lock_writers(conn: &mut DbConnection) -> Result<(), Error> {
    // Counting the write is what locks the row (and what MySQL's watchers read).
    let locked = diesel::update(novi_write_lock::table.filter(novi_write_lock::id.eq(1)))
        .set(novi_write_lock::version.eq(novi_write_lock::version + 1))
        .execute(conn)?;
    if locked == 0 {
        // Someone removed the row; putting it back locks it just the same.
        diesel::insert_into(novi_write_lock::table)
            .values((novi_write_lock::id.eq(1), novi_write_lock::version.eq(1)))
            .execute(conn)?;
    }
    Ok(())
}

/// Runs `write` in a transaction that holds the writers' lock and waits for locks no longer
/// than `deadline` allows; again (after a short pause) when the database reports a conflict
/// with a writer that does not take the lock. A write that runs out of time fails with
/// [`Error::WriteTimeout`], and stored nothing.
pub(crate) fn write_with_retry<T>(
    conn: &mut DbConnection,
    deadline: Deadline,
    mut write: impl FnMut(&mut DbConnection) -> Result<T, Error>,
) -> Result<T, Error> {
    let mut attempt = 1;
    loop {
        if deadline.passed() {
            return Err(deadline.timed_out());
        }
        let result = bound_waits(conn, deadline).and_then(|()| {
            conn.transaction(|conn| {
                bound_waits_in_transaction(conn, deadline)?;
                lock_writers(conn)?;
                write(conn)
            })
        });
        let result = restore_waits(conn).and(result);
        match result {
            Err(Error::Query { cause, .. }) if is_lock_timeout(&cause) || deadline.passed() => {
                log::debug!("a write ran out of time: {cause}");
                return Err(deadline.timed_out());
            }
            Err(Error::Query {
                cause: diesel::result::Error::DatabaseError(kind, _),
                ..
            }) if attempt < WRITE_ATTEMPTS
                && matches!(
                    kind,
                    DatabaseErrorKind::UniqueViolation | DatabaseErrorKind::SerializationFailure
                ) =>
            {
                if kind == DatabaseErrorKind::UniqueViolation {
                    // A sequence may stand behind ids that were inserted by hand.
                    resync_sequences(conn)?;
                }
                std::thread::sleep(Duration::from_millis(10 << attempt));
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// Whether the database gave up waiting for a lock (or ended a statement that ran too long).
fn is_lock_timeout(err: &diesel::result::Error) -> bool {
    let diesel::result::Error::DatabaseError(_, info) = err else {
        return false;
    };
    let message = info.message();
    [
        // PostgreSQL: lock_timeout and statement_timeout.
        "lock timeout",
        "statement timeout",
        // SQLite: the busy timeout passed.
        "database is locked",
        "database table is locked",
        // MySQL and MariaDB: innodb_lock_wait_timeout.
        "Lock wait timeout exceeded",
    ]
    .iter()
    .any(|needle| message.contains(needle))
}

/// Milliseconds left, at least one (a zero would mean "no limit" to several backends).
fn millis_left(deadline: Deadline) -> u128 {
    deadline.remaining().as_millis().max(1)
}

/// Bounds the waits of the next transaction, where a backend sets that on the connection:
/// SQLite's busy timeout, MySQL's lock wait timeout (whole seconds, at least one).
fn bound_waits(conn: &mut DbConnection, deadline: Deadline) -> Result<(), Error> {
    let sql = match conn {
        #[cfg(feature = "sqlite")]
        DbConnection::Sqlite(_) => format!("PRAGMA busy_timeout = {}", millis_left(deadline)),
        #[cfg(feature = "mysql")]
        DbConnection::Mysql(_) => format!(
            "SET SESSION innodb_lock_wait_timeout = {}, SESSION lock_wait_timeout = {0}",
            deadline.remaining().as_secs().max(1)
        ),
        #[cfg(feature = "postgres")]
        DbConnection::Postgres(_) => return Ok(()),
    };
    conn.batch_execute(&sql).map_err(Error::from)
}

/// Bounds the waits of the current transaction, where a backend sets that per transaction:
/// PostgreSQL's lock and statement timeouts, reset when it ends.
fn bound_waits_in_transaction(conn: &mut DbConnection, deadline: Deadline) -> Result<(), Error> {
    #[cfg(feature = "postgres")]
    if matches!(conn, DbConnection::Postgres(_)) {
        let ms = millis_left(deadline);
        conn.batch_execute(&format!(
            "SET LOCAL lock_timeout = {ms}; SET LOCAL statement_timeout = {ms}"
        ))?;
    }
    let _ = (conn, deadline);
    Ok(())
}

/// Gives the connection back its usual waits (SQLite's busy timeout), for the reads that use it
/// next.
fn restore_waits(conn: &mut DbConnection) -> Result<(), Error> {
    #[cfg(feature = "sqlite")]
    if matches!(conn, DbConnection::Sqlite(_)) {
        conn.batch_execute(&format!(
            "PRAGMA busy_timeout = {}",
            crate::connection::SQLITE_BUSY_TIMEOUT_MS
        ))?;
    }
    let _ = conn;
    Ok(())
}

/// The id the database gave the row this connection inserted last.
fn last_insert_id(conn: &mut DbConnection) -> Result<i32, Error> {
    use diesel::{dsl::sql, sql_types::BigInt};
    let id: i64 = match conn {
        #[cfg(feature = "sqlite")]
        DbConnection::Sqlite(c) => {
            diesel::select(sql::<BigInt>("last_insert_rowid()")).get_result(c)?
        }
        #[cfg(feature = "postgres")]
        DbConnection::Postgres(c) => diesel::select(sql::<BigInt>("lastval()")).get_result(c)?,
        #[cfg(feature = "mysql")]
        DbConnection::Mysql(c) => {
            diesel::select(sql::<BigInt>("CAST(LAST_INSERT_ID() AS SIGNED)")).get_result(c)?
        }
    };
    i32::try_from(id).map_err(|_| Error::InvalidInput {
        field: "id",
        problem: format!("the database gave the id {id}, beyond 2147483647"),
    })
}

/// Moves PostgreSQL's sequences past the highest ids in use: rows inserted with explicit ids
/// (sample data, hand-written SQL) leave them behind. SQLite's AUTOINCREMENT and MySQL's
/// AUTO_INCREMENT follow explicit ids by themselves.
pub(crate) fn resync_sequences(conn: &mut DbConnection) -> Result<(), Error> {
    #[cfg(feature = "postgres")]
    if matches!(conn, DbConnection::Postgres(_)) {
        for table in ["flags", "activations"] {
            diesel::sql_query(format!(
                "SELECT setval(s::regclass, m) FROM (SELECT pg_get_serial_sequence('{table}', 'id') AS s, \
                 (SELECT MAX(id) FROM {table}) AS m) t \
                 WHERE s IS NOT NULL AND m IS NOT NULL AND m > COALESCE(pg_sequence_last_value(s::regclass), 0)"
            ))
            .execute(conn)?;
        }
    }
    let _ = conn;
    Ok(())
}

/// Now, in milliseconds since the Unix epoch.
pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Checks a name given to a write.
fn check_name(field: &'static str, name: &str) -> Result<(), Error> {
    let problem = if name.is_empty() {
        "it is empty".to_owned()
    } else if name.trim() != name {
        // MySQL compares strings ignoring trailing spaces; refusing them keeps every backend
        // alike (and names typed with a stray space out of the way).
        "it starts or ends with whitespace".to_owned()
    } else if name.chars().count() > 255 {
        "it is longer than 255 characters".to_owned()
    } else if name.chars().any(char::is_control) {
        "it contains control characters".to_owned()
    } else {
        return Ok(());
    };
    Err(Error::InvalidInput { field, problem })
}

/// `ids` without repeats, in their first order.
fn unique_ids(ids: &[ActivationId]) -> Vec<ActivationId> {
    let mut seen = BTreeSet::new();
    ids.iter().copied().filter(|id| seen.insert(*id)).collect()
}

/// Whether `flags` has no rows, for loading sample data into an empty database.
pub(crate) fn has_no_flags(conn: &mut DbConnection) -> Result<bool, Error> {
    Ok(schema::flags::table
        .select(schema::flags::id)
        .first::<i32>(conn)
        .optional()?
        .is_none())
}

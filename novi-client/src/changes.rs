//! Change detection: how a client hears, without reloading everything, that the stored rows
//! changed, one interface over three mechanisms.
//!
//! - **PostgreSQL**: `LISTEN novi_changes` on a connection of its own. A statement trigger on
//!   `flags`, `activations` and `flags_activations` (migration `2026-12-02-000001_changes`)
//!   sends the notification in the writing transaction, so it arrives at commit, whoever wrote
//!   (Novi, Python Novi, hand-written SQL). The socket is read every [`PG_POLL`] without a
//!   query; a `SELECT 1` every [`PROBE`] finds a connection that died silently.
//! - **SQLite**: `PRAGMA data_version` on a connection of its own, every [`POLL`]: it changes
//!   when any other connection, in any process, commits to the file.
//! - **MySQL/MariaDB**: `novi_write_lock.version`, which every Novi write increments in its
//!   transaction, every [`POLL`]. Writes made outside Novi are caught by the periodic full
//!   refresh (`--refresh-interval`).
//!
//! A change makes the client refresh (which keeps the snapshot when the revision is the same).
//! When the watching connection fails, the watcher logs it once, reconnects with a growing
//! pause (up to [`MAX_BACKOFF`]) and refreshes as soon as it is back, since changes may have
//! been missed meanwhile.

use std::time::{Duration, Instant};

use diesel::prelude::*;

use crate::{
    connection::{self, DbConnection},
    error::Error,
    schema::novi_write_lock,
    url::{Backend, DatabaseUrl},
};

/// How often the PostgreSQL watcher reads its socket for notifications (no query is sent).
pub const PG_POLL: Duration = Duration::from_millis(10);
/// How often the SQLite and MySQL watchers run their one-value query.
pub const POLL: Duration = Duration::from_millis(100);
/// How often the PostgreSQL watcher checks, with a query, that its connection is alive.
pub const PROBE: Duration = Duration::from_secs(5);
/// The longest pause between two attempts to reconnect a watcher.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// The channel Novi's trigger notifies on PostgreSQL.
#[cfg(feature = "postgres")]
const CHANNEL: &str = "novi_changes";

/// A connection that tells whether the rows changed since it last looked.
pub(crate) struct Watcher {
    conn: DbConnection,
    /// The last value seen (SQLite's `data_version`, MySQL's counter).
    seen: i64,
    /// When the PostgreSQL connection was last checked with a query.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    probed: Instant,
}

#[derive(QueryableByName)]
struct DataVersion {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    data_version: i64,
}

impl Watcher {
    /// Opens the watching connection (and, on PostgreSQL, starts listening).
    pub(crate) fn connect(url: &DatabaseUrl) -> Result<Watcher, Error> {
        let mut conn = connection::connect(url)?;
        let during = "starting to watch for changes";
        let query = |cause| Error::Query { during, cause };
        #[cfg(feature = "postgres")]
        if let DbConnection::Postgres(pg) = &mut conn {
            diesel::sql_query(format!("LISTEN {CHANNEL}"))
                .execute(pg)
                .map_err(query)?;
        }
        let mut watcher = Watcher {
            conn,
            seen: 0,
            probed: Instant::now(),
        };
        watcher.seen = watcher.value().map_err(query)?;
        Ok(watcher)
    }

    /// How long to wait between two looks.
    pub(crate) fn interval(&self) -> Duration {
        match self.conn.backend() {
            Backend::Postgres => PG_POLL,
            Backend::Sqlite | Backend::Mysql => POLL,
        }
    }

    /// Whether the rows changed since the last look; an error when the connection failed.
    pub(crate) fn changed(&mut self) -> Result<bool, Error> {
        let during = "watching for changes";
        let query = |cause| Error::Query { during, cause };
        #[cfg(feature = "postgres")]
        if let DbConnection::Postgres(pg) = &mut self.conn {
            let mut changed = false;
            for notification in pg.notifications_iter() {
                notification.map_err(query)?;
                changed = true;
            }
            if self.probed.elapsed() >= PROBE {
                diesel::sql_query("SELECT 1").execute(pg).map_err(query)?;
                self.probed = Instant::now();
            }
            return Ok(changed);
        }
        let value = self.value().map_err(query)?;
        let changed = value != self.seen;
        self.seen = value;
        Ok(changed)
    }

    /// The value that changes with each commit (0 on PostgreSQL, which is told instead).
    fn value(&mut self) -> QueryResult<i64> {
        match self.conn.backend() {
            Backend::Postgres => Ok(0),
            Backend::Sqlite => Ok(diesel::sql_query("PRAGMA data_version")
                .get_result::<DataVersion>(&mut self.conn)?
                .data_version),
            Backend::Mysql => Ok(novi_write_lock::table
                .select(novi_write_lock::version)
                .first::<i64>(&mut self.conn)
                .optional()?
                .unwrap_or(0)),
        }
    }
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Watcher({})", self.conn.backend())
    }
}

/// The pause before reconnection attempt `attempt` (0, 1, 2, …): 100 ms doubling up to
/// [`MAX_BACKOFF`].
pub(crate) fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(100)
        .saturating_mul(1u32 << attempt.min(16))
        .min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_backoff_grows_to_its_bound() {
        assert_eq!(backoff(0), Duration::from_millis(100));
        assert_eq!(backoff(1), Duration::from_millis(200));
        assert_eq!(backoff(5), Duration::from_millis(3200));
        assert_eq!(backoff(6), MAX_BACKOFF);
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
    }
}

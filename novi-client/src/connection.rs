//! Connections: one Diesel connection type over the compiled-in backends, chosen by URL
//! scheme, a pool of them, and the embedded migrations.

use std::time::Duration;

use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::{
    error::Error,
    url::{Backend, DatabaseUrl},
};

#[cfg(not(any(feature = "sqlite", feature = "postgres", feature = "mysql")))]
compile_error!("novi-client needs at least one of the features `sqlite`, `postgres`, `mysql`");

/// A connection to any compiled-in backend; queries are written once against it.
///
/// Never call its `establish` (Diesel's derive tries each backend in turn, and SQLite accepts
/// almost any string as a file name, hiding the real error): use [`connect`].
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    /// PostgreSQL.
    #[cfg(feature = "postgres")]
    Postgres(diesel::PgConnection),
    /// MySQL or MariaDB.
    #[cfg(feature = "mysql")]
    Mysql(diesel::MysqlConnection),
    /// SQLite (last, for the reason above).
    #[cfg(feature = "sqlite")]
    Sqlite(diesel::SqliteConnection),
}

impl DbConnection {
    /// The backend behind this connection.
    pub fn backend(&self) -> Backend {
        match self {
            #[cfg(feature = "postgres")]
            DbConnection::Postgres(_) => Backend::Postgres,
            #[cfg(feature = "mysql")]
            DbConnection::Mysql(_) => Backend::Mysql,
            #[cfg(feature = "sqlite")]
            DbConnection::Sqlite(_) => Backend::Sqlite,
        }
    }
}

impl std::fmt::Debug for DbConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DbConnection({})", self.backend())
    }
}

#[cfg(feature = "sqlite")]
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
#[cfg(feature = "postgres")]
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
#[cfg(feature = "mysql")]
const MYSQL_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/mysql");

/// How long SQLite waits for a lock held by another connection before giving up.
pub(crate) const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;

/// Opens a connection to `url`'s backend, and only that one. Errors name the backend and the
/// driver's own reason.
pub fn connect(url: &DatabaseUrl) -> Result<DbConnection, Error> {
    let backend = url.backend();
    let connect_error = |cause| Error::Connect {
        backend,
        url: url.redacted(),
        cause,
    };
    match backend {
        #[cfg(feature = "sqlite")]
        Backend::Sqlite => {
            let mut conn =
                diesel::SqliteConnection::establish(url.target()).map_err(connect_error)?;
            // Foreign keys are off by default in SQLite, and cascades need them. WAL lets readers
            // (snapshot refreshes) run while a writer holds the lock.
            let mut pragmas = format!(
                "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS};"
            );
            if url.target() != ":memory:" {
                pragmas.push_str(" PRAGMA journal_mode = WAL;");
            }
            diesel::connection::SimpleConnection::batch_execute(&mut conn, &pragmas).map_err(
                |cause| Error::Query {
                    during: "configuring the SQLite connection",
                    cause,
                },
            )?;
            Ok(DbConnection::Sqlite(conn))
        }
        #[cfg(feature = "postgres")]
        Backend::Postgres => diesel::PgConnection::establish(&with_connect_timeout(url.target()))
            .map(DbConnection::Postgres)
            .map_err(connect_error),
        #[cfg(feature = "mysql")]
        Backend::Mysql => diesel::MysqlConnection::establish(url.target())
            .map(DbConnection::Mysql)
            .map_err(connect_error),
        #[allow(unreachable_patterns)]
        missing => Err(Error::BackendNotCompiled { backend: missing }),
    }
}

/// Runs the pending migrations of the connection's backend; returns how many ran.
pub fn run_migrations(conn: &mut DbConnection) -> Result<usize, Error> {
    let ran = match conn {
        #[cfg(feature = "sqlite")]
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        #[cfg(feature = "postgres")]
        DbConnection::Postgres(c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.len()),
        #[cfg(feature = "mysql")]
        DbConnection::Mysql(c) => c.run_pending_migrations(MYSQL_MIGRATIONS).map(|v| v.len()),
    };
    ran.map_err(|cause| Error::Migration { cause })
}

/// Reverts every applied migration of the connection's backend; returns how many were
/// reverted. This drops Novi's tables and their rows.
pub fn revert_all_migrations(conn: &mut DbConnection) -> Result<usize, Error> {
    let reverted = match conn {
        #[cfg(feature = "sqlite")]
        DbConnection::Sqlite(c) => c.revert_all_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        #[cfg(feature = "postgres")]
        DbConnection::Postgres(c) => c
            .revert_all_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.len()),
        #[cfg(feature = "mysql")]
        DbConnection::Mysql(c) => c.revert_all_migrations(MYSQL_MIGRATIONS).map(|v| v.len()),
    };
    reverted.map_err(|cause| Error::Migration { cause })
}

/// The r2d2 manager of a client's pool: it connects with [`connect`], so the backend is
/// picked by scheme.
#[derive(Debug)]
pub struct ConnectionManager {
    url: DatabaseUrl,
}

impl ConnectionManager {
    pub(crate) fn new(url: DatabaseUrl) -> Self {
        ConnectionManager { url }
    }
}

/// How long a PostgreSQL connection attempt may take, unless the URL says otherwise: a server
/// that does not answer (rather than refusing) fails the attempt instead of blocking it for the
/// operating system's TCP timeout.
#[cfg(feature = "postgres")]
const PG_CONNECT_TIMEOUT_SECS: u32 = 10;

/// `target` with libpq's `connect_timeout` set, when it sets none.
#[cfg(feature = "postgres")]
fn with_connect_timeout(target: &str) -> std::borrow::Cow<'_, str> {
    if target.contains("connect_timeout") {
        return target.into();
    }
    if target.starts_with("postgres://") || target.starts_with("postgresql://") {
        let separator = if target.contains('?') { '&' } else { '?' };
        format!("{target}{separator}connect_timeout={PG_CONNECT_TIMEOUT_SECS}").into()
    } else {
        // A key=value connection string.
        format!("{target} connect_timeout={PG_CONNECT_TIMEOUT_SECS}").into()
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = DbConnection;
    type Error = Error;

    fn connect(&self) -> Result<DbConnection, Error> {
        connect(&self.url)
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), Error> {
        diesel::sql_query("SELECT 1")
            .execute(conn)
            .map(drop)
            .map_err(|cause| Error::Query {
                during: "checking a pooled connection",
                cause,
            })
    }

    fn has_broken(&self, _conn: &mut DbConnection) -> bool {
        false
    }
}

/// How many threads each pool has for its background work (r2d2's default).
const POOL_THREADS: usize = 3;

/// The pool type.
pub(crate) type Pool = r2d2::Pool<ConnectionManager>;

/// A connection borrowed from a client's pool.
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

/// Builds a pool of at most `max_size` connections whose checkouts wait at most `timeout`.
/// A `permanent` pool keeps its connections open for good (for SQLite's `:memory:`, where the
/// connection is the database).
pub(crate) fn pool(url: &DatabaseUrl, max_size: u32, timeout: Duration, permanent: bool) -> Pool {
    let builder = r2d2::Pool::builder()
        .max_size(max_size)
        .connection_timeout(timeout);
    let builder = if permanent {
        builder
            .min_idle(Some(max_size))
            .idle_timeout(None)
            .max_lifetime(None)
    } else {
        // Connections are not replaced on a schedule: each replacement left the process's
        // resident size higher (the allocator kept the old connection's memory), which a soak
        // of an hour showed as steps every 30 minutes. Idle ones still close after 10 minutes.
        builder.min_idle(Some(0)).max_lifetime(None)
    };
    // r2d2's own thread pool runs a pending reaper job before its threads end, so they
    // outlived a dropped pool by up to 30 s; these end when the pool is dropped. (A process
    // that forks needs that: a lingering thread's locks would stay taken in the child.)
    let threads = scheduled_thread_pool::ScheduledThreadPool::builder()
        .num_threads(POOL_THREADS)
        .thread_name_pattern("r2d2-worker-{}")
        .on_drop_behavior(scheduled_thread_pool::OnPoolDropBehavior::DiscardPendingScheduled)
        .build();
    builder
        .thread_pool(std::sync::Arc::new(threads))
        .error_handler(Box::new(r2d2::NopErrorHandler))
        .build_unchecked(ConnectionManager::new(url.clone()))
}

#[cfg(all(test, feature = "postgres"))]
mod tests {
    #[test]
    fn postgres_connections_time_out_unless_the_url_says_otherwise() {
        for (url, expected) in [
            ("postgres://u@h/db", "postgres://u@h/db?connect_timeout=10"),
            (
                "postgresql://u@h/db?sslmode=disable",
                "postgresql://u@h/db?sslmode=disable&connect_timeout=10",
            ),
            (
                "postgres://u@h/db?connect_timeout=2",
                "postgres://u@h/db?connect_timeout=2",
            ),
            ("host=h dbname=db", "host=h dbname=db connect_timeout=10"),
        ] {
            assert_eq!(super::with_connect_timeout(url), expected);
        }
    }
}

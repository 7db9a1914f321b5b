//! Test support for Novi's crates: a database of its own per test on SQLite, PostgreSQL or
//! MariaDB ([`TestDb`]), and [`db_test!`], which runs one test body on all three.
//!
//! `scripts/test` starts the servers and sets `NOVI_TEST_POSTGRES_URL` and
//! `NOVI_TEST_MYSQL_URL` (admin URLs; each test creates and drops its own database). Without
//! them the PostgreSQL and MySQL runs fail: no backend is skipped silently.

#![allow(clippy::unwrap_used, clippy::panic, missing_docs)] // test support: failing loudly is the point

pub mod postgres;
pub mod server;
pub mod sse;

pub use novi_client::Backend;

use std::sync::atomic::{AtomicUsize, Ordering};

use diesel::connection::SimpleConnection;
use novi_client::{Client, DatabaseUrl, DbConnection, UrlDialect, connect};

/// A database of its own for one test, dropped afterwards.
#[derive(Debug)]
pub struct TestDb {
    pub backend: Backend,
    pub url: String,
    admin_url: Option<String>,
    name: String,
    _dir: Option<tempfile::TempDir>,
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn admin_url(backend: Backend) -> String {
    let var = match backend {
        Backend::Postgres => "NOVI_TEST_POSTGRES_URL",
        Backend::Mysql => "NOVI_TEST_MYSQL_URL",
        Backend::Sqlite => unreachable!("SQLite needs no server"),
    };
    assert!(
        backend.is_compiled_in(),
        "{backend} is not compiled in: run the tests with scripts/test (it enables the feature `{}`)",
        backend.feature()
    );
    std::env::var(var).unwrap_or_else(|_| {
        panic!(
            "{var} is not set: run the tests with scripts/test, which starts {backend} on 127.0.0.1"
        )
    })
}

impl TestDb {
    pub fn new(backend: Backend) -> TestDb {
        let name = format!(
            "novi_test_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().unwrap();
                let url = format!(
                    "sqlite://{}",
                    dir.path().join(format!("{name}.db")).display()
                );
                TestDb {
                    backend,
                    url,
                    admin_url: None,
                    name,
                    _dir: Some(dir),
                }
            }
            Backend::Postgres | Backend::Mysql => {
                let admin = admin_url(backend);
                admin_conn(&admin)
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .unwrap();
                let (base, _db) = admin.rsplit_once('/').unwrap();
                TestDb {
                    backend,
                    url: format!("{base}/{name}"),
                    admin_url: Some(admin),
                    name,
                    _dir: None,
                }
            }
        }
    }

    /// A raw connection to the test database.
    pub fn conn(&self) -> DbConnection {
        connect(&DatabaseUrl::parse(&self.url, UrlDialect::Rust).unwrap()).unwrap()
    }

    /// A migrated client over the test database.
    pub fn client(&self) -> Client {
        novi_activations::link();
        Client::builder(&self.url)
            .unwrap()
            .migrate(true)
            .connect()
            .unwrap()
    }

    /// A migrated client with Python Novi's sample data.
    pub fn sample_client(&self) -> Client {
        let client = self.client();
        assert!(client.seed_if_empty(SAMPLE_DATA).unwrap());
        client
    }

    /// Runs SQL statements on the test database.
    pub fn execute(&self, sql: &str) {
        self.conn().batch_execute(sql).unwrap();
    }
}

fn admin_conn(admin: &str) -> DbConnection {
    connect(&DatabaseUrl::parse(admin, UrlDialect::Rust).unwrap()).unwrap()
}

// A leftover database is worth a line in the output.
#[allow(clippy::print_stderr)]
impl Drop for TestDb {
    fn drop(&mut self) {
        let Some(admin) = &self.admin_url else { return };
        let sql = match self.backend {
            Backend::Postgres => format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            _ => format!("DROP DATABASE IF EXISTS {}", self.name),
        };
        if let Err(err) = admin_conn(admin).batch_execute(&sql) {
            eprintln!("could not drop test database {}: {err}", self.name);
        }
    }
}

/// Python Novi's sample flags (`sample_data.sql`).
pub const SAMPLE_DATA: &str = novi_client::SAMPLE_DATA;

/// Runs the body once per backend: `db_test!(name, |db| { ... })` makes the tests
/// `name::sqlite`, `name::postgres` and `name::mysql`.
#[macro_export]
macro_rules! db_test {
    ($name:ident, |$db:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn run($db: $crate::TestDb) $body

            #[test]
            fn sqlite() {
                run($crate::TestDb::new($crate::Backend::Sqlite));
            }

            #[test]
            fn postgres() {
                run($crate::TestDb::new($crate::Backend::Postgres));
            }

            #[test]
            fn mysql() {
                run($crate::TestDb::new($crate::Backend::Mysql));
            }
        }
    };
}

/// A SQLite client (in a temporary folder, kept alive by the returned guard) with one flag per
/// hot path, for benchmarks and allocation tests: `plain` (no activations), `date` (DateTime,
/// 2000 to 2999), `weighted_random` (50/50 A/B), `and_of_two` (And of those two), `rollout`
/// (50% by `userId`) and `constraint_in_10` (`tenant` IN `tenant-0`..`tenant-9`).
pub fn hot_path_client() -> (Client, tempfile::TempDir) {
    use novi_client::{ActivationId, ActivationInput, FlagInput};
    novi_activations::link();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("hot.db").display());
    let client = Client::builder(&url)
        .unwrap()
        .migrate(true)
        .connect()
        .unwrap();
    let add = |name: &str, class: &str, config: &str| -> ActivationId {
        client
            .create_activation(&ActivationInput {
                name: name.into(),
                class_name: class.into(),
                config: config.into(),
            })
            .unwrap()
            .id
    };
    let date = add(
        "window",
        "DateTimeActivation",
        r#"{"startDateTime": "01/01/2000 12:00 AM", "endDateTime": "01/01/2999 12:00 AM", "format": "%m/%d/%Y %I:%M %p"}"#,
    );
    let split = add(
        "split",
        "WeightedRandomActivation",
        r#"{"splits": [50, 50], "variations": ["A", "B"]}"#,
    );
    let and = add("both", "AndActivation", &format!("[{date}, {split}]"));
    let rollout = add(
        "half",
        "GradualRolloutActivation",
        r#"{"percentage": 50, "stickiness": "userId"}"#,
    );
    let values: Vec<String> = (0..10).map(|i| format!("\"tenant-{i}\"")).collect();
    let constraint = add(
        "tenants",
        "ConstraintActivation",
        &format!(
            r#"{{"contextName": "tenant", "operator": "IN", "values": [{}]}}"#,
            values.join(",")
        ),
    );
    for (name, activations) in [
        ("plain", vec![]),
        ("date", vec![date]),
        ("weighted_random", vec![split]),
        ("and_of_two", vec![and]),
        ("rollout", vec![rollout]),
        ("constraint_in_10", vec![constraint]),
    ] {
        client
            .create_flag(&FlagInput {
                name: name.into(),
                status: true,
                activations: Some(activations),
                force: false,
            })
            .unwrap();
    }
    (client, dir)
}

/// SQL rows of an Or "diamond" `depth` levels high over two leaves that say no (ids 1 and 2):
/// level k holds ids 2k+1 and 2k+2, each `[2k-1, 2k]`; the flag `diamond` links the top, and
/// the flag `diamond and a leaf` links the top and leaf 1 (reached twice through the flag).
pub fn diamond_sql(depth: i32) -> String {
    let never = r#"{"environments": ["never"]}"#;
    let mut sql = format!(
        "INSERT INTO activations (id, name, class_name, config) VALUES (1, 'leaf a', 'EnvironmentActivation', '{never}');\n\
         INSERT INTO activations (id, name, class_name, config) VALUES (2, 'leaf b', 'EnvironmentActivation', '{never}');\n"
    );
    for k in 1..=depth {
        let (a, b) = (2 * k - 1, 2 * k);
        for id in [2 * k + 1, 2 * k + 2] {
            sql.push_str(&format!(
                "INSERT INTO activations (id, name, class_name, config) VALUES ({id}, 'or {id}', 'OrActivation', '[{a}, {b}]');\n"
            ));
        }
    }
    let top = 2 * depth + 1;
    sql.push_str(&format!(
        "INSERT INTO flags (id, name, status) VALUES (1, 'diamond', TRUE);\n\
         INSERT INTO flags (id, name, status) VALUES (2, 'diamond and a leaf', TRUE);\n\
         INSERT INTO flags_activations (flag_id, activation_id) VALUES (1, {top});\n\
         INSERT INTO flags_activations (flag_id, activation_id) VALUES (2, {top});\n\
         INSERT INTO flags_activations (flag_id, activation_id) VALUES (2, 1);\n"
    ));
    sql
}

/// The writers' lock of a test database, held by a connection of its own (as another process
/// in the middle of a write would hold it) until [`LockHolder::release`] or drop.
pub struct LockHolder {
    conn: DbConnection,
    released: bool,
}

impl std::fmt::Debug for LockHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LockHolder")
            .field("released", &self.released)
            .finish()
    }
}

impl TestDb {
    /// Takes the lock every Novi write takes first: SQLite's write lock (`BEGIN IMMEDIATE`),
    /// or the `novi_write_lock` row (`SELECT … FOR UPDATE`) on PostgreSQL and MySQL.
    pub fn hold_writers_lock(&self) -> LockHolder {
        let mut conn = self.conn();
        match self.backend {
            Backend::Sqlite => conn.batch_execute("BEGIN IMMEDIATE").unwrap(),
            Backend::Postgres | Backend::Mysql => {
                conn.batch_execute("BEGIN").unwrap();
                conn.batch_execute("SELECT id FROM novi_write_lock FOR UPDATE")
                    .unwrap();
            }
        }
        LockHolder {
            conn,
            released: false,
        }
    }
}

impl LockHolder {
    /// Lets go of the lock.
    pub fn release(mut self) {
        self.conn.batch_execute("ROLLBACK").unwrap();
        self.released = true;
    }
}

impl Drop for LockHolder {
    fn drop(&mut self) {
        if !self.released {
            let _ = self.conn.batch_execute("ROLLBACK");
        }
    }
}

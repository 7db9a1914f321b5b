//! Connecting: URLs, unreachable servers and the errors that name them.

use novi_client::{Backend, Client, Error};

#[track_caller]
fn connect_error(url: &str) -> Error {
    novi_activations::link();
    match Client::connect(url) {
        Err(err) => err,
        Ok(client) => panic!("{url} connected: {client:?}"),
    }
}

#[test]
fn unreachable_postgres_names_the_backend_and_the_cause() {
    let err = connect_error("postgres://novi:s3cret@127.0.0.1:1/novi");
    assert!(
        matches!(
            err,
            Error::Connect {
                backend: Backend::Postgres,
                ..
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message
            .starts_with("cannot connect to PostgreSQL at postgres://novi:***@127.0.0.1:1/novi: "),
        "{message}"
    );
    assert!(message.contains("refused"), "{message}");
    assert!(!message.contains("s3cret"));
}

#[test]
fn unreachable_mysql_names_the_backend_and_the_cause() {
    let err = connect_error("mysql://novi:s3cret@127.0.0.1:1/novi");
    assert!(
        matches!(
            err,
            Error::Connect {
                backend: Backend::Mysql,
                ..
            }
        ),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.starts_with("cannot connect to MySQL at mysql://novi:***@127.0.0.1:1/novi: "),
        "{message}"
    );
    assert!(message.contains("Can't connect"), "{message}");
    assert!(!message.contains("s3cret"));
}

#[test]
fn sqlite_in_a_missing_directory_names_the_backend_and_the_cause() {
    let err = connect_error("sqlite:///nonexistent-novi-dir/novi.db");
    assert_eq!(
        err.to_string(),
        "cannot connect to SQLite at sqlite:///nonexistent-novi-dir/novi.db: unable to open database file"
    );
}

#[test]
fn unsupported_scheme_is_a_configuration_error() {
    let err = connect_error("oracle://h/db");
    assert_eq!(
        format!("{err}: {}", std::error::Error::source(&err).unwrap()),
        "the database URL from the explicit URL is not usable: unsupported database URL scheme `oracle` (use sqlite://, postgres://, postgresql:// or mysql://)"
    );
}

#[test]
fn a_database_without_tables_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("empty.db").display());
    let err = connect_error(&url);
    assert_eq!(
        err.to_string(),
        "database error while loading flags and activations: no such table: flags"
    );
}

//! Integration tests of `novi-client` against real databases: every test body runs on SQLite,
//! PostgreSQL and MariaDB (`novi_testing::db_test!`), each with a database of its own.

#![allow(clippy::unwrap_used, clippy::panic)]

mod concurrency;
mod connect;
mod evaluation;
mod experiments;
mod migrations;
mod revert;
mod runtime_classes;
mod writes;

use novi_testing::{SAMPLE_DATA, TestDb, db_test};

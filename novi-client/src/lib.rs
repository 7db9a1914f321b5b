//! Novi's client: flags and activations loaded from SQLite, PostgreSQL or MySQL/MariaDB with
//! Diesel, and evaluated from an in-memory snapshot.
//!
//! ```
//! use novi_client::{Client, ActivationInput, FlagInput, context};
//!
//! novi_activations::link(); // the built-in activations
//!
//! let dir = tempfile::tempdir()?;
//! let url = format!("sqlite://{}", dir.path().join("novi.db").display());
//! let client = Client::builder(&url)?.migrate(true).connect()?;
//!
//! let window = client.create_activation(&ActivationInput {
//!     name: "November sale".into(),
//!     class_name: "DateTimeActivation".into(),
//!     config: r#"{"startDateTime": "2026-11-27", "endDateTime": "2026-12-01", "format": "%Y-%m-%d"}"#.into(),
//! })?;
//! client.create_flag(&FlagInput {
//!     name: "sale banner".into(),
//!     status: true,
//!     activations: Some(vec![window.id]),
//!     ..FlagInput::default()
//! })?;
//!
//! assert!(client.is_enabled("sale banner", &context! {"currentDateTime": "2026-11-28"}));
//! assert!(!client.is_enabled("sale banner", &context! {"currentDateTime": "2026-12-01"}));
//! assert!(!client.is_enabled("no such flag", &context! {}));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What a check costs
//!
//! Loading reads every flag, activation and link with three queries and builds each
//! activation once through `novi-core`'s registry into a `novi-snapshot` [`Snapshot`]. [`Client::is_enabled`] and
//! [`Client::evaluate`] then read the current [`Snapshot`] (an atomic pointer load), look the
//! flag up by name and run its activations: no SQL, no lock a writer holds, no config parsing.
//!
//! # Semantics
//!
//! A flag whose status is false is off. A flag whose status is true is on when it has no
//! activations, or when every activation says yes. An activation that cannot be built makes
//! the flags that use it off, with the reason, logged once per load; other flags are
//! unaffected. See [`Reason`].
//!
//! # Backends
//!
//! Each backend is a Cargo feature: `sqlite` (default, compiled in), `postgres` (libpq built
//! from source), `mysql` (needs the MariaDB/MySQL client library). The URL's scheme picks one:
//! `sqlite://path` or a plain path, `postgres://` or `postgresql://`, `mysql://`.
//!
//! # Activations from other crates
//!
//! The registry sees only crates the final binary names: call `novi_activations::link()` and
//! your own crates' `link()` (see `novi-core`'s docs).

#![deny(missing_docs)]

pub mod changes;
mod client;
pub mod config;
mod connection;
mod error;
pub mod experiments;
pub mod flag;
mod models;
mod recorder;
pub mod schema;
mod store;
mod url;

pub use client::{
    Client, ClientBuilder, DEFAULT_REFRESH_INTERVAL, DEFAULT_WRITE_TIMEOUT, PoolState,
};

/// Python Novi's four sample flags and activations (`sample_data.sql`), as SQL that runs on
/// SQLite, PostgreSQL and MySQL/MariaDB. It replaces whatever the tables hold: load it with
/// [`Client::seed_if_empty`].
pub const SAMPLE_DATA: &str = include_str!("../sample_data.sql");
pub use connection::{
    ConnectionManager, DbConnection, PooledConnection, connect, revert_all_migrations,
    run_migrations,
};
pub use error::Error;
pub use models::{
    ActivationInput, Actor, AuditEntry, AuditTarget, FlagInput, FlagUpdate, RevertAction, Reverted,
};
pub use url::{Backend, DatabaseUrl, UnsupportedScheme, UrlDialect};

// Evaluation lives in `novi-snapshot` (no database in its tree); a client over a database
// hands out its types.
pub use novi_snapshot::{
    Source,
    cell::SnapshotCell,
    records::{ActivationRecord, FlagId, FlagRecord},
    resolution::{Resolution, ResolutionReason},
    revision::Revision,
    snapshot::{Evaluation, Reason, Snapshot},
};

pub use novi_core::{
    Activation, ActivationId, ActivationSpec, BuildError, Context, Payload, PayloadKind,
    RuntimeClasses, Variant, context,
};
pub use novi_macros::enabled;

/// Used by `#[enabled]`; not a public API.
#[doc(hidden)]
pub mod __private {
    pub use serde_json;

    /// The context of an `#[enabled]` attribute: its JSON object, or empty.
    pub fn context_from_json(value: serde_json::Value) -> novi_core::Context {
        novi_core::Context::try_from(value).unwrap_or_default()
    }
}

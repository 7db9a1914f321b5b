//! The one error type of `novi-client`.

use std::sync::Arc;

use novi_core::{ActivationId, BuildError};

use crate::{config::ConfigError, url::Backend};

/// Everything that can go wrong in `novi-client`. Messages say what happened in words and
/// carry the driver's own reason; they never contain a database password.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No flag has this name.
    #[error("flag `{0}` does not exist")]
    FlagNotFound(String),
    /// No activation has this id.
    #[error("activation {0} does not exist")]
    ActivationNotFound(ActivationId),
    /// Another flag already has this name.
    #[error("a flag named `{0}` already exists")]
    DuplicateFlagName(String),
    /// A flag was given activation ids that do not exist.
    #[error("no activation has the id {}", join(.0))]
    UnknownActivations(Vec<ActivationId>),
    /// The activation would not build: unknown class, bad config, missing member, cycle.
    #[error("{0}")]
    InvalidActivation(BuildError),
    /// The change would make another activation fail to build (a cycle through it, nesting
    /// too deep).
    #[error("the change would break activation {id}: {cause}")]
    WouldBreak {
        /// The activation that would break.
        id: ActivationId,
        /// Why it would.
        cause: Arc<BuildError>,
    },
    /// A flag was to be linked to an activation that this process cannot build (for instance
    /// of a class that only another binary links): the flag would be off here.
    #[error(
        "activation {id} (class `{class_name}`) cannot be built by this process, so linking it would switch the flag off here: {cause}; link it with `force` if another process builds it"
    )]
    UnbuildableLink {
        /// The activation.
        id: ActivationId,
        /// Its stored class name.
        class_name: String,
        /// Why it does not build.
        cause: Arc<BuildError>,
    },
    /// A write did not get its turn in time (another writer held the database's write lock
    /// all along) and stored nothing.
    #[error(
        "the write did not get its turn within {} s (another writer holds the database's write lock); nothing was written, try again",
        allowed.as_secs_f64()
    )]
    WriteTimeout {
        /// The time a write is allowed.
        allowed: std::time::Duration,
    },
    /// The activation is still used and cannot be deleted.
    #[error("activation {id} is still used by {}", users(flags, activations))]
    StillReferenced {
        /// The activation.
        id: ActivationId,
        /// Names of the flags that use it.
        flags: Vec<String>,
        /// Composite activations that contain it.
        activations: Vec<ActivationId>,
    },
    /// No experiment has this id.
    #[error("experiment {0} does not exist")]
    ExperimentNotFound(i32),
    /// Another experiment already has this name.
    #[error("an experiment named `{0}` already exists")]
    DuplicateExperimentName(String),
    /// An experiment's definition is not acceptable: `field` names the part at fault.
    #[error("invalid {field}: {problem}")]
    InvalidExperiment {
        /// The field of the definition (`name`, `flag`, `control`, `unit_key`, `metrics`,
        /// `planned_units`).
        field: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// A stored experiment cannot be read (a row not written by Novi).
    #[error("experiment {id} cannot be read: {problem}")]
    UnreadableExperiment {
        /// The experiment.
        id: i32,
        /// What is wrong with it.
        problem: String,
    },
    /// An event of a batch is not acceptable; nothing of the batch was stored.
    #[error("events[{index}].{field}: {problem}")]
    InvalidEvent {
        /// Its position in the batch.
        index: usize,
        /// The field at fault.
        field: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// No audit log entry has this id.
    #[error("audit entry {0} does not exist")]
    AuditEntryNotFound(i32),
    /// An audit log entry cannot be reverted: its flag or activation changed after it (or, for
    /// a deletion, its flag's name is taken again), so putting back the state before it would
    /// undo those later changes unseen.
    #[error("cannot revert audit entry {entry}: {reason}")]
    RevertConflict {
        /// The entry.
        entry: i32,
        /// What changed since, and what to do about it.
        reason: String,
    },
    /// An audit log entry cannot be read back as a state to restore (a row not written by
    /// Novi, or by a version that recorded states differently).
    #[error("audit entry {entry} cannot be reverted: {problem}")]
    UnreadableAuditEntry {
        /// The entry.
        entry: i32,
        /// What is wrong with it.
        problem: String,
    },
    /// A value given to a write is not acceptable.
    #[error("invalid {field}: {problem}")]
    InvalidInput {
        /// The field.
        field: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// The URL names a backend this build does not have.
    #[error("this build of novi-client has no {backend} support (enable its `{}` feature)", .backend.feature())]
    BackendNotCompiled {
        /// The backend.
        backend: Backend,
    },
    /// The database could not be reached or refused the connection.
    #[error("cannot connect to {backend} at {url}: {cause}")]
    Connect {
        /// The backend.
        backend: Backend,
        /// The URL, password hidden.
        url: String,
        /// The driver's reason.
        cause: diesel::ConnectionError,
    },
    /// The database URL could not be determined.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A migration failed.
    #[error("running migrations failed: {cause}")]
    Migration {
        /// The migration harness's reason.
        cause: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A query failed.
    #[error("database error while {during}: {cause}")]
    Query {
        /// What Novi was doing.
        during: &'static str,
        /// The driver's reason.
        cause: diesel::result::Error,
    },
    /// No connection could be had from the pool in time.
    #[error("no database connection available: {cause}")]
    Pool {
        /// The pool's reason (the last connection error, or a timeout).
        cause: r2d2::Error,
    },
}

impl Error {
    /// Whether the database itself failed (unreachable, refused, a query error), as opposed to
    /// the caller asking for something wrong.
    pub fn is_database_failure(&self) -> bool {
        matches!(
            self,
            Error::Connect { .. }
                | Error::Migration { .. }
                | Error::Query { .. }
                | Error::Pool { .. }
                | Error::WriteTimeout { .. }
        )
    }
}

fn join(ids: &[ActivationId]) -> String {
    ids.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn users(flags: &[String], activations: &[ActivationId]) -> String {
    let mut parts = Vec::new();
    if !flags.is_empty() {
        let names: Vec<_> = flags.iter().map(|f| format!("`{f}`")).collect();
        parts.push(format!(
            "flag{} {}",
            if flags.len() == 1 { "" } else { "s" },
            names.join(", ")
        ));
    }
    if !activations.is_empty() {
        parts.push(format!(
            "activation{} {}",
            if activations.len() == 1 { "" } else { "s" },
            join(activations)
        ));
    }
    parts.join(" and ")
}

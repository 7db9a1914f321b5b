//! The stored rows, and the records Novi hands out.

use std::sync::Arc;

use diesel::prelude::*;
use novi_core::ActivationId;

use crate::schema::{activations, flags, flags_activations};

/// The id of a row of the `flags` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FlagId(pub i32);

impl std::fmt::Display for FlagId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A row of `flags`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = flags)]
pub(crate) struct FlagRow {
    pub(crate) id: i32,
    pub(crate) name: String,
    pub(crate) status: bool,
}

/// A row of `activations`.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = activations)]
pub(crate) struct ActivationRow {
    pub(crate) id: i32,
    pub(crate) name: String,
    pub(crate) class_name: String,
    pub(crate) config: String,
}

/// A row of `flags_activations`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = flags_activations)]
pub(crate) struct LinkRow {
    pub(crate) flag_id: i32,
    pub(crate) activation_id: i32,
}

/// Everything stored, as loaded in one consistent read.
#[derive(Debug, Clone, Default)]
pub(crate) struct Rows {
    pub(crate) flags: Vec<FlagRow>,
    pub(crate) activations: Vec<ActivationRow>,
    pub(crate) links: Vec<LinkRow>,
}

/// An activation as stored: id, name, class name and the config text, verbatim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivationRecord {
    /// Its id.
    pub id: ActivationId,
    /// Its descriptive name.
    pub name: String,
    /// The class name it is stored under.
    pub class_name: String,
    /// The stored configuration text.
    pub config: String,
}

impl From<ActivationRow> for ActivationRecord {
    fn from(row: ActivationRow) -> Self {
        ActivationRecord {
            id: ActivationId(row.id),
            name: row.name,
            class_name: row.class_name,
            config: row.config,
        }
    }
}

/// A flag as stored, with its activations in id order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagRecord {
    /// Its id.
    pub id: FlagId,
    /// Its unique name.
    pub name: String,
    /// The stored status.
    pub status: bool,
    /// Its activations, in id order.
    pub activations: Vec<Arc<ActivationRecord>>,
}

/// What a new or updated flag looks like. `FlagInput::default()` is off, with no activations:
/// creating a flag never switches a feature on unless asked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlagInput {
    /// The unique name: 1 to 255 characters, no control characters.
    pub name: String,
    /// The stored status.
    pub status: bool,
    /// Its activations. On update, `None` keeps the current set.
    pub activations: Option<Vec<ActivationId>>,
    /// Link activations even when this process cannot build them (a class that only another
    /// binary links); without it such a link is refused with [`crate::Error::UnbuildableLink`].
    pub force: bool,
}

/// A change to a flag: each field given replaces the stored one; fields left out keep what is
/// stored when the change is written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlagUpdate {
    /// A new name.
    pub name: Option<String>,
    /// A new status.
    pub status: Option<bool>,
    /// A new set of activations.
    pub activations: Option<Vec<ActivationId>>,
    /// Link activations even when this process cannot build them (see [`FlagInput::force`]).
    pub force: bool,
}

impl From<&FlagInput> for FlagUpdate {
    fn from(input: &FlagInput) -> Self {
        FlagUpdate {
            name: Some(input.name.clone()),
            status: Some(input.status),
            activations: input.activations.clone(),
            force: input.force,
        }
    }
}

/// What a new or updated activation looks like.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivationInput {
    /// A descriptive name: 1 to 255 characters.
    pub name: String,
    /// A registered class name.
    pub class_name: String,
    /// The configuration text it is built from.
    pub config: String,
}

/// Who writes, and through what, as the audit log records it (`audit_log.actor` and
/// `audit_log.route`). A [`crate::Client`] writes as [`Actor::library`] unless
/// [`crate::Client::acting_as`] says otherwise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// Who: a token's label (never the token itself), a user name, a service.
    pub label: String,
    /// Through what: an HTTP route such as `POST /flags`.
    pub route: String,
}

impl Actor {
    /// Writes made by a program through `novi-client`'s API.
    pub fn library() -> Actor {
        Actor {
            label: "library".to_owned(),
            route: "novi-client".to_owned(),
        }
    }
}

/// One entry of the audit log: a successful write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Ascending with time.
    pub id: i32,
    /// When, in milliseconds since the Unix epoch (UTC).
    pub at_ms: i64,
    /// Who and through what.
    pub actor: Actor,
    /// `flag` or `activation`.
    pub target_kind: String,
    /// The flag's or activation's id.
    pub target_id: i32,
    /// Its name (the new one after a rename).
    pub target_name: String,
    /// Its state before, as JSON text; `None` when it was created.
    pub before: Option<String>,
    /// Its state after, as JSON text; `None` when it was deleted.
    pub after: Option<String>,
}

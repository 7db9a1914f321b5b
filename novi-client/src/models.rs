//! What writes take (inputs and updates), who makes them, and the audit log's entries. The
//! records Novi hands out (`FlagRecord`, `ActivationRecord`) are `novi-snapshot`'s.

use novi_core::ActivationId;
use novi_snapshot::{
    records::{ActivationRecord, FlagId, FlagRecord},
    rows::ActivationRow,
};

use crate::store::audit;

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

/// What an audit log entry is about, to read the entries of one flag or one activation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditTarget {
    /// The flag with this id (its entries under every name it had).
    Flag(FlagId),
    /// The activation with this id.
    Activation(ActivationId),
}

impl AuditTarget {
    /// `audit_log.target_kind` and `audit_log.target_id` of its entries.
    pub(crate) fn key(self) -> (&'static str, i32) {
        match self {
            AuditTarget::Flag(id) => ("flag", id.0),
            AuditTarget::Activation(id) => ("activation", id.0),
        }
    }
}

/// What reverting an audit log entry did (see [`crate::Client::revert`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reverted {
    /// The entry was about a flag.
    Flag {
        /// What the revert did to it.
        action: RevertAction,
        /// The flag as stored now; as it was, when the revert deleted it.
        flag: FlagRecord,
    },
    /// The entry was about an activation.
    Activation {
        /// What the revert did to it.
        action: RevertAction,
        /// The activation as stored now; as it was, when the revert deleted it.
        activation: ActivationRecord,
    },
}

/// What a revert did to the flag or activation of the entry it reverted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevertAction {
    /// The entry changed it: its state before the entry is back.
    Restored,
    /// The entry created it: it is deleted.
    Deleted,
    /// The entry deleted it: it is back, under its old id.
    Recreated,
}

impl Reverted {
    /// What the revert did.
    pub fn action(&self) -> RevertAction {
        match self {
            Reverted::Flag { action, .. } | Reverted::Activation { action, .. } => *action,
        }
    }

    /// The flag or activation reverted.
    pub fn target(&self) -> AuditTarget {
        match self {
            Reverted::Flag { flag, .. } => AuditTarget::Flag(flag.id),
            Reverted::Activation { activation, .. } => AuditTarget::Activation(activation.id),
        }
    }

    /// Its name now (as it was, when the revert deleted it).
    pub fn name(&self) -> &str {
        match self {
            Reverted::Flag { flag, .. } => &flag.name,
            Reverted::Activation { activation, .. } => &activation.name,
        }
    }

    /// Its state now as JSON text, as the audit log records states (see [`AuditEntry::after`]);
    /// `None` when the revert deleted it.
    pub fn state(&self) -> Option<String> {
        if self.action() == RevertAction::Deleted {
            return None;
        }
        let state = match self {
            Reverted::Flag { flag, .. } => audit::flag_value(flag),
            Reverted::Activation { activation, .. } => audit::activation_value(&ActivationRow {
                id: activation.id.0,
                name: activation.name.clone(),
                class_name: activation.class_name.clone(),
                config: activation.config.clone(),
            }),
        };
        Some(state.to_string())
    }
}

//! The records Novi hands out: flags with their activations, as stored.

use std::sync::Arc;

use novi_core::ActivationId;

use crate::rows::ActivationRow;

/// The id of a row of the `flags` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FlagId(pub i32);

impl std::fmt::Display for FlagId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
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

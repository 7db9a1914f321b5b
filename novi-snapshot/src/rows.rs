//! The stored rows a snapshot is built from, as plain data: what a database client reads from
//! the `flags`, `activations` and `flags_activations` tables, and what the snapshot document
//! carries.

use serde::{Deserialize, Serialize};

/// A row of `flags`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagRow {
    /// Its id.
    pub id: i32,
    /// Its unique name.
    pub name: String,
    /// The stored status.
    pub status: bool,
}

/// A row of `activations`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivationRow {
    /// Its id.
    pub id: i32,
    /// Its descriptive name.
    pub name: String,
    /// The class name it is stored under.
    pub class_name: String,
    /// The stored configuration text, verbatim.
    pub config: String,
}

/// A row of `flags_activations`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LinkRow {
    /// The flag's id.
    pub flag_id: i32,
    /// The activation's id.
    pub activation_id: i32,
}

/// Everything stored, as read in one consistent read: flags and activations in id order,
/// links in (flag, activation) order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rows {
    /// The flags, in id order.
    pub flags: Vec<FlagRow>,
    /// The activations, in id order.
    pub activations: Vec<ActivationRow>,
    /// The links, in (flag, activation) order.
    pub links: Vec<LinkRow>,
}

impl Rows {
    /// Puts the rows in the order a revision is computed in (flags and activations by id,
    /// links by flag then activation), for rows that come from somewhere that does not
    /// promise it.
    pub fn sort(&mut self) {
        self.flags.sort_by_key(|flag| flag.id);
        self.activations.sort_by_key(|activation| activation.id);
        self.links.sort_unstable();
    }
}

//! Novi's evaluation, without IO: the stored rows of flags, activations and links compiled into
//! an immutable [`Snapshot`](snapshot::Snapshot), answers with their
//! [`Reason`](snapshot::Reason) and variant, their OpenFeature
//! [`Resolution`](resolution::Resolution), a snapshot's [`Revision`](revision::Revision), the
//! [`SnapshotCell`](cell::SnapshotCell) that clients publish snapshots through, and the
//! snapshot [`document`] that `novi-web` serves and remote clients read.
//!
//! `novi-client` fills a snapshot from a database; a remote client fills one from a server's
//! `GET /snapshot`. This crate has no database driver and does no IO of its own.
//!
//! ```
//! use novi_core::context;
//! use novi_snapshot::{rows::{ActivationRow, FlagRow, LinkRow, Rows}, snapshot::Snapshot};
//!
//! novi_activations::link();
//! let snapshot = Snapshot::build(Rows {
//!     flags: vec![FlagRow { id: 1, name: "beta".into(), status: true }],
//!     activations: vec![ActivationRow {
//!         id: 1,
//!         name: "staff".into(),
//!         class_name: "UserListActivation".into(),
//!         config: r#"{"values": ["ada"]}"#.into(),
//!     }],
//!     links: vec![LinkRow { flag_id: 1, activation_id: 1 }],
//! });
//! assert!(snapshot.is_enabled("beta", &context! {"userId": "ada"}));
//! assert!(!snapshot.is_enabled("beta", &context! {"userId": "bob"}));
//! ```

#![deny(missing_docs)]

pub mod cell;
pub mod document;
pub mod records;
pub mod resolution;
pub mod revision;
pub mod rows;
pub mod snapshot;

/// Anything that holds a current snapshot: a database client, a remote client. What reads
/// flags (the OpenFeature provider, the server's routes) takes one of these.
pub trait Source: Send + Sync + std::fmt::Debug {
    /// The cell holding the current snapshot.
    fn cell(&self) -> &cell::SnapshotCell;
}

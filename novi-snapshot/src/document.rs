//! The snapshot document: every stored flag, activation and link in one versioned JSON
//! document, which `novi-web` serves as `GET /snapshot` and remote clients and relays build
//! their snapshot from.
//!
//! ```json
//! {
//!   "format": "novi-snapshot/1",
//!   "revision": "76b157f723fc1d52f931067a54a4e972",
//!   "flags": [{"id": 1, "name": "checkout", "status": true}],
//!   "activations": [{"id": 2, "name": "a", "class_name": "EnvironmentActivation",
//!                    "config": "{\"environments\": [\"x\"]}"}],
//!   "links": [{"flag_id": 1, "activation_id": 2}],
//!   "classes": ["AndActivation", "DateTimeActivation", "..."]
//! }
//! ```
//!
//! Flags and activations are in id order and links in (flag, activation) order, as the
//! revision is computed (see [`crate::revision`]); `config` is the stored text, verbatim.
//! `classes` lists the activation classes the serving process links, so that a client can warn
//! about classes it lacks. A reader checks the format and that the rows give the stated
//! revision, so a document altered on the way is refused rather than half used. Later versions
//! of the format get a new `format` string; fields may be added to this one.

use serde::{Deserialize, Serialize};

use crate::{
    revision::{ParseRevisionError, Revision},
    rows::{ActivationRow, FlagRow, LinkRow, Rows},
    snapshot::Snapshot,
};

/// The `format` of documents this version writes and reads.
pub const FORMAT: &str = "novi-snapshot/1";

/// A snapshot document, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Document {
    /// The rows, in revision order.
    pub rows: Rows,
    /// Their revision (checked against the rows).
    pub revision: Revision,
    /// The activation classes the serving process links.
    pub classes: Vec<String>,
}

/// Why a snapshot document was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DocumentError {
    /// Not JSON, or not the document's shape.
    #[error("the snapshot document does not read: {0}")]
    Json(#[from] serde_json::Error),
    /// A format this version does not read.
    #[error("the snapshot document's format is `{found}`, this version reads `{FORMAT}`")]
    Format {
        /// The format found.
        found: String,
    },
    /// The revision is not 32 hex digits.
    #[error("the snapshot document's revision does not read: {0}")]
    Revision(#[from] ParseRevisionError),
    /// The rows do not give the revision the document states.
    #[error("the snapshot document's rows give revision {computed}, not the {stated} it states")]
    Mismatch {
        /// The revision stated.
        stated: Revision,
        /// The revision of the rows.
        computed: Revision,
    },
}

#[derive(Serialize, Deserialize)]
struct Wire {
    format: String,
    revision: String,
    flags: Vec<FlagRow>,
    activations: Vec<ActivationRow>,
    links: Vec<LinkRow>,
    #[serde(default)]
    classes: Vec<String>,
}

impl Document {
    /// The document of `snapshot`, listing the classes this process links.
    pub(crate) fn render(snapshot: &Snapshot) -> String {
        let rows = snapshot.rows();
        let wire = Wire {
            format: FORMAT.to_owned(),
            revision: snapshot.revision().to_string(),
            flags: rows.flags,
            activations: rows.activations,
            links: rows.links,
            classes: novi_core::registry::names()
                .iter()
                .map(|name| (*name).to_owned())
                .collect(),
        };
        // Plain structs of strings, numbers and booleans always serialize.
        serde_json::to_string(&wire).unwrap_or_default()
    }

    /// Reads a document: the format must be this version's and the rows must give the stated
    /// revision.
    pub fn parse(json: &[u8]) -> Result<Document, DocumentError> {
        let wire: Wire = serde_json::from_slice(json)?;
        if wire.format != FORMAT {
            return Err(DocumentError::Format { found: wire.format });
        }
        let stated: Revision = wire.revision.parse()?;
        let rows = Rows {
            flags: wire.flags,
            activations: wire.activations,
            links: wire.links,
        };
        let computed = Revision::of(&rows);
        if computed != stated {
            return Err(DocumentError::Mismatch { stated, computed });
        }
        Ok(Document {
            rows,
            revision: stated,
            classes: wire.classes,
        })
    }

    /// The classes the document lists that this process does not link: their activations
    /// fail to build here, so the flags that use them are off.
    pub fn missing_classes(&self) -> Vec<&str> {
        self.classes
            .iter()
            .map(String::as_str)
            .filter(|name| novi_core::registry::find(name).is_none())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Arc;

    use super::*;
    use crate::rows::{ActivationRow, FlagRow, LinkRow};

    fn rows() -> Rows {
        Rows {
            flags: vec![
                FlagRow {
                    id: 1,
                    name: "checkout".to_owned(),
                    status: true,
                },
                FlagRow {
                    id: 3,
                    name: "dangling".to_owned(),
                    status: true,
                },
            ],
            activations: vec![ActivationRow {
                id: 2,
                name: "a".to_owned(),
                class_name: "NoSuchClassAnywhere".to_owned(),
                config: "{\"x\": \"é\\u0000\"}".to_owned(),
            }],
            // A link to an activation that does not exist is kept as stored.
            links: vec![
                LinkRow {
                    flag_id: 1,
                    activation_id: 2,
                },
                LinkRow {
                    flag_id: 3,
                    activation_id: 9,
                },
            ],
        }
    }

    #[test]
    fn a_document_reads_back_as_the_rows_it_was_made_of() {
        let snapshot = Snapshot::build(rows());
        let text = snapshot.document();
        // Rendered once per snapshot.
        assert!(Arc::ptr_eq(&text, &snapshot.document()));
        let document = Document::parse(text.as_bytes()).unwrap();
        assert_eq!(document.rows, rows());
        assert_eq!(document.revision, snapshot.revision());
        assert_eq!(
            Snapshot::build(document.rows).revision(),
            snapshot.revision()
        );
    }

    #[test]
    fn altered_or_foreign_documents_are_refused() {
        let text = Snapshot::build(rows()).document().to_string();
        let altered = text.replace("checkout", "checkouT");
        assert!(matches!(
            Document::parse(altered.as_bytes()),
            Err(DocumentError::Mismatch { .. })
        ));
        let future = text.replace("novi-snapshot/1", "novi-snapshot/2");
        assert!(matches!(
            Document::parse(future.as_bytes()),
            Err(DocumentError::Format { found }) if found == "novi-snapshot/2"
        ));
        assert!(matches!(
            Document::parse(b"{\"format\": 1}"),
            Err(DocumentError::Json(_))
        ));
        let bad_revision = serde_json::json!({
            "format": FORMAT, "revision": "xyz", "flags": [], "activations": [], "links": []
        });
        assert!(matches!(
            Document::parse(bad_revision.to_string().as_bytes()),
            Err(DocumentError::Revision(_))
        ));
    }
}

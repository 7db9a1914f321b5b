//! A snapshot's revision: a name for the stored rows, the same in every process that reads the
//! same rows, whoever wrote them (Novi, Python Novi, hand-written SQL).
//!
//! The algorithm is fixed, so other processes and other versions can compare revisions: the
//! SHA-256 of `novi-rows-v1`, then every flag in id order as `f`, id, name, status, then every
//! activation in id order as `a`, id, name, class name, config, then every link in (flag,
//! activation) order as `l`, flag id, activation id. Numbers are written in decimal and
//! strings as their UTF-8 length in decimal, `:` and their bytes; every field ends with `;`.
//! The revision is the first 16 bytes of the digest in lowercase hex (32 characters).

use std::{fmt, str::FromStr};

use sha2::{Digest, Sha256};

use crate::rows::Rows;

/// The revision of a set of stored rows (see the module docs for the algorithm).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Revision([u8; 16]);

impl Revision {
    /// The revision of `rows`.
    pub fn of(rows: &Rows) -> Revision {
        let mut hash = Fields(Sha256::new());
        hash.0.update(b"novi-rows-v1");
        for flag in &rows.flags {
            hash.tag(b'f');
            hash.number(i64::from(flag.id));
            hash.text(&flag.name);
            hash.number(i64::from(flag.status));
        }
        for activation in &rows.activations {
            hash.tag(b'a');
            hash.number(i64::from(activation.id));
            hash.text(&activation.name);
            hash.text(&activation.class_name);
            hash.text(&activation.config);
        }
        for link in &rows.links {
            hash.tag(b'l');
            hash.number(i64::from(link.flag_id));
            hash.number(i64::from(link.activation_id));
        }
        let digest = hash.0.finalize();
        let mut revision = [0u8; 16];
        revision.copy_from_slice(&digest[..16]);
        Revision(revision)
    }
}

/// Text that is not a revision (32 lowercase or uppercase hex digits).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a revision (32 hex digits)")]
pub struct ParseRevisionError(String);

impl FromStr for Revision {
    type Err = ParseRevisionError;

    fn from_str(text: &str) -> Result<Revision, ParseRevisionError> {
        let invalid = || {
            let shown: String = text.chars().take(40).collect();
            ParseRevisionError(shown)
        };
        let digits = text.as_bytes();
        if digits.len() != 32 {
            return Err(invalid());
        }
        let mut revision = [0u8; 16];
        for (byte, pair) in revision.iter_mut().zip(digits.chunks_exact(2)) {
            let high = hex_digit(pair[0]).ok_or_else(invalid)?;
            let low = hex_digit(pair[1]).ok_or_else(invalid)?;
            *byte = (high << 4) | low;
        }
        Ok(Revision(revision))
    }
}

fn hex_digit(digit: u8) -> Option<u8> {
    char::from(digit)
        .to_digit(16)
        .and_then(|d| u8::try_from(d).ok())
}

impl fmt::Display for Revision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|byte| write!(f, "{byte:02x}"))
    }
}

struct Fields(Sha256);

impl Fields {
    fn tag(&mut self, tag: u8) {
        self.0.update([tag]);
    }

    fn number(&mut self, n: i64) {
        self.0.update(n.to_string().as_bytes());
        self.0.update(b";");
    }

    fn text(&mut self, text: &str) {
        self.0.update(text.len().to_string().as_bytes());
        self.0.update(b":");
        self.0.update(text.as_bytes());
        self.0.update(b";");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rows::{ActivationRow, FlagRow, LinkRow};

    fn rows(name: &str) -> Rows {
        Rows {
            flags: vec![FlagRow {
                id: 1,
                name: name.to_owned(),
                status: true,
            }],
            activations: vec![ActivationRow {
                id: 2,
                name: "a".to_owned(),
                class_name: "EnvironmentActivation".to_owned(),
                config: r#"{"environments": ["x"]}"#.to_owned(),
            }],
            links: vec![LinkRow {
                flag_id: 1,
                activation_id: 2,
            }],
        }
    }

    #[test]
    fn the_revision_names_the_rows_and_is_fixed() {
        let a = Revision::of(&rows("checkout"));
        assert_eq!(a, Revision::of(&rows("checkout")));
        assert_ne!(a, Revision::of(&rows("checkout2")));
        // Lengths keep fields apart: moving a character between fields changes the revision.
        let mut shifted = rows("checkou");
        shifted.activations[0].name = "ta".to_owned();
        assert_ne!(a, Revision::of(&shifted));
        assert_eq!(Revision::of(&Rows::default()).to_string().len(), 32);
        // The algorithm is part of the format: this value must never change.
        assert_eq!(a.to_string(), KNOWN);
    }

    #[test]
    fn revisions_read_back_from_their_text() {
        let a = Revision::of(&rows("checkout"));
        assert_eq!(a.to_string().parse::<Revision>(), Ok(a));
        assert_eq!(KNOWN.to_uppercase().parse::<Revision>(), Ok(a));
        for bad in [
            "",
            "76b157f7",
            &format!("{KNOWN}0"),
            &KNOWN.replace('7', "g"),
            "é",
        ] {
            assert!(bad.parse::<Revision>().is_err(), "{bad:?}");
        }
    }

    /// The revision of `rows("checkout")`, computed apart from this code with Python's
    /// `hashlib.sha256` over the same fields.
    const KNOWN: &str = "76b157f723fc1d52f931067a54a4e972";
}

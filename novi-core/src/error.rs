//! Why an activation could not be built from its stored row.

use std::{fmt, sync::Arc};

use crate::ActivationId;

/// Why an activation could not be built. A flag that uses an activation that failed to build
/// evaluates to off, with this error as the reason.
///
/// Errors of composite activations stay flat: when a member fails, its parent reports
/// [`BuildError::Dependency`] with the member's own root cause, never a chain as long as the
/// nesting.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// No activation is registered under the stored `class_name`.
    #[error("unknown activation class `{class_name}` (registered: {})", registered.join(", "))]
    UnknownClass {
        /// The class name as stored.
        class_name: String,
        /// Every registered name, sorted, to help spot a typo.
        registered: Vec<&'static str>,
    },
    /// Two registrations claim the stored `class_name`, so it is refused.
    #[error("{0}")]
    ConflictingClass(crate::registry::Conflict),
    /// The stored `config` does not describe a valid activation of its class.
    #[error(transparent)]
    InvalidConfig(#[from] ConfigError),
    /// A composite activation names an id that has no activation.
    #[error("activation {id} does not exist")]
    MissingActivation {
        /// The missing id.
        id: ActivationId,
    },
    /// Composite activations contain themselves, directly or through others.
    #[error("activation cycle: {}", Path(path))]
    Cycle {
        /// The ids along the cycle; the first and the last are the same.
        path: Vec<ActivationId>,
    },
    /// Composite activations nest deeper than [`MAX_NESTING`](crate::MAX_NESTING).
    #[error("activations nest {depth} levels deep, more than the limit of {limit}")]
    TooDeep {
        /// How deep the nesting is, counted from this activation down.
        depth: usize,
        /// The limit.
        limit: usize,
    },
    /// A member of this composite activation could not be built.
    #[error("member activation {id} cannot be built: {cause}")]
    Dependency {
        /// The member's id.
        id: ActivationId,
        /// Why the member (or, for deeper nesting, the first member down the line) failed.
        cause: Arc<BuildError>,
    },
    /// Two stored activations share one id.
    #[error("activation id {id} is used by more than one activation")]
    DuplicateId {
        /// The shared id.
        id: ActivationId,
    },
    /// The activation's own build code panicked. Novi catches the panic so that one broken
    /// plugin cannot take the others down.
    #[error("building a {class} panicked: {message}")]
    Panicked {
        /// The canonical class name.
        class: &'static str,
        /// The panic message, when it was a string.
        message: String,
    },
}

impl BuildError {
    /// The error that started it all: for [`BuildError::Dependency`], its cause; otherwise
    /// `self`.
    pub fn root_cause(&self) -> &BuildError {
        match self {
            BuildError::Dependency { cause, .. } => cause,
            other => other,
        }
    }
}

/// The stored `config` of an activation is not valid for its class. The message names the
/// class, says what is wrong and what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {class} config: {problem}; expected {expected}")]
pub struct ConfigError {
    class: &'static str,
    // The problem is kept as text: serde_json's error is neither `Clone` nor comparable, and
    // build errors are cached and shared between every flag that uses the activation.
    problem: String,
    expected: &'static str,
}

impl ConfigError {
    /// A config error for `class`. Most code gets one from
    /// [`Definition::invalid`](crate::Definition::invalid) or
    /// [`Definition::parse_config`](crate::Definition::parse_config) instead.
    pub fn new(class: &'static str, problem: impl Into<String>, expected: &'static str) -> Self {
        ConfigError {
            class,
            problem: problem.into(),
            expected,
        }
    }

    /// The canonical name of the activation class.
    pub fn class(&self) -> &'static str {
        self.class
    }

    /// What is wrong with the config.
    pub fn problem(&self) -> &str {
        &self.problem
    }

    /// What the class expects, in words.
    pub fn expected(&self) -> &'static str {
        self.expected
    }
}

/// Displays a cycle as `5 → 6 → 5`, eliding the middle of very long ones.
struct Path<'a>(&'a [ActivationId]);

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SHOWN: usize = 8;
        let ids = self.0;
        let write_ids = |f: &mut fmt::Formatter<'_>, ids: &[ActivationId]| -> fmt::Result {
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    f.write_str(" → ")?;
                }
                write!(f, "{id}")?;
            }
            Ok(())
        };
        if ids.len() <= 2 * SHOWN {
            return write_ids(f, ids);
        }
        write_ids(f, &ids[..SHOWN])?;
        write!(f, " → … ({} more) … → ", ids.len() - 2 * SHOWN)?;
        write_ids(f, &ids[ids.len() - SHOWN..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_is_wrong() {
        let ids = |v: &[i32]| v.iter().copied().map(ActivationId).collect::<Vec<_>>();
        let cycle = BuildError::Cycle {
            path: ids(&[5, 6, 5]),
        };
        assert_eq!(cycle.to_string(), "activation cycle: 5 → 6 → 5");
        let long = BuildError::Cycle {
            path: ids(&(1..=20).chain([1]).collect::<Vec<_>>()),
        };
        assert_eq!(
            long.to_string(),
            "activation cycle: 1 → 2 → 3 → 4 → 5 → 6 → 7 → 8 → … (5 more) … → 14 → 15 → 16 → 17 → 18 → 19 → 20 → 1"
        );
        let dep = BuildError::Dependency {
            id: ActivationId(2),
            cause: Arc::new(BuildError::MissingActivation {
                id: ActivationId(99),
            }),
        };
        assert_eq!(
            dep.to_string(),
            "member activation 2 cannot be built: activation 99 does not exist"
        );
        assert_eq!(
            dep.root_cause(),
            &BuildError::MissingActivation {
                id: ActivationId(99)
            }
        );
        let config = ConfigError::new("AndActivation", "the list is empty", "a JSON array of ids");
        assert_eq!(
            BuildError::from(config).to_string(),
            "invalid AndActivation config: the list is empty; expected a JSON array of ids"
        );
    }
}

//! What an activation is: a rule that looks at a [`Context`] and says yes or no.

use std::{fmt, sync::Arc};

use crate::{Context, Memo};

/// The id of a row of the `activations` table. Composite activations (And/Or) name their
/// members by these ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ActivationId(pub i32);

impl fmt::Display for ActivationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl From<i32> for ActivationId {
    fn from(id: i32) -> Self {
        ActivationId(id)
    }
}

/// A rule that decides, from the caller's [`Context`], whether an enabled flag is on.
///
/// An activation is built once from its stored `config` (see [`ActivationClass`]) and then
/// evaluated many times, from many threads at once: it must be `Send + Sync` and keep no
/// mutable state between calls.
///
/// Only [`evaluate`](Activation::evaluate) is required. [`decide`](Activation::decide) is the
/// richer answer that Novi itself calls: it can report an [`EvalError`] (a context value the
/// activation cannot use) and carries a [`Decision`] that grows new fields (such as the chosen
/// variant) without breaking implementors. An activation that can fail overrides `decide` and
/// writes `evaluate` in terms of it:
///
/// ```
/// use novi_core::{Activation, Context, Decision, EvalError};
///
/// #[derive(Debug)]
/// struct MinAge(u64);
///
/// impl Activation for MinAge {
///     fn evaluate(&self, ctx: &Context) -> bool {
///         self.decide(ctx).is_ok_and(|d| d.is_on())
///     }
///
///     fn decide(&self, ctx: &Context) -> Result<Decision, EvalError> {
///         match ctx.get("age") {
///             None => Ok(Decision::OFF),
///             Some(v) => match v.as_u64() {
///                 Some(age) => Ok(Decision::from(age >= self.0)),
///                 None => Err(EvalError::wrong_type("age", "a non-negative integer", v)),
///             },
///         }
///     }
/// }
///
/// let adult = MinAge(18);
/// assert!(adult.evaluate(&novi_core::context! {"age": 30}));
/// assert!(!adult.evaluate(&novi_core::context! {"age": "thirty"}));
/// assert!(adult.decide(&novi_core::context! {"age": "thirty"}).is_err());
/// ```
///
/// [`ActivationClass`]: crate::ActivationClass
pub trait Activation: fmt::Debug + Send + Sync {
    /// Whether this activation says yes for `ctx`. A context the activation cannot use
    /// counts as no.
    fn evaluate(&self, ctx: &Context) -> bool;

    /// The full answer for `ctx`: a [`Decision`], or an [`EvalError`] when a context value
    /// is present but unusable. The default wraps [`evaluate`](Activation::evaluate).
    fn decide(&self, ctx: &Context) -> Result<Decision, EvalError> {
        Ok(Decision::from(self.evaluate(ctx)))
    }

    /// The full answer for `ctx` within one evaluation of a flag, which `memo` remembers.
    ///
    /// Composite activations override it and ask their members through it
    /// (`member.decide_in(ctx, memo)`): the members [`Definition::resolve`] hands out look
    /// themselves up in `memo`, so an activation that several composites share is decided once
    /// per evaluation, and evaluation stays linear in the number of activations however they
    /// are shared. Novi calls this method; the default is [`decide`](Activation::decide), which
    /// is all a leaf activation needs.
    ///
    /// [`Definition::resolve`]: crate::Definition::resolve
    fn decide_in(&self, ctx: &Context, memo: &mut Memo) -> Result<Decision, EvalError> {
        let _ = memo;
        self.decide(ctx)
    }

    /// The variants this activation chooses among and their weights (on any positive scale),
    /// in its order, if it chooses variants; `None` (the default) otherwise. Experiments read it
    /// to check that a flag assigns variants, that a control is one of them, and to compare the
    /// units each variant received with the weights (a sample ratio mismatch). Composites that
    /// pass a member's variant through answer with that member's.
    fn variant_weights(&self) -> Option<Vec<(String, f64)>> {
        None
    }
}

/// The answer of one activation for one context: yes or no, and the variant the activation
/// chose, if it chooses variants.
///
/// It is `#[non_exhaustive]` so that later releases can add what an activation reports without
/// breaking code that builds or reads decisions: build one with [`Decision::ON`],
/// [`Decision::OFF`], `Decision::from(bool)` and [`Decision::with_variant`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Decision {
    on: bool,
    variant: Option<Arc<Variant>>,
}

impl Decision {
    /// The activation says yes.
    pub const ON: Decision = Decision {
        on: true,
        variant: None,
    };
    /// The activation says no.
    pub const OFF: Decision = Decision {
        on: false,
        variant: None,
    };

    /// Whether the activation said yes.
    #[inline]
    pub fn is_on(&self) -> bool {
        self.on
    }

    /// The variant the activation chose, if any.
    #[inline]
    pub fn variant(&self) -> Option<&Arc<Variant>> {
        self.variant.as_ref()
    }

    /// This decision, reporting `variant` as the one chosen. Sharing one `Arc` built with the
    /// activation keeps evaluation free of allocation.
    #[inline]
    pub fn with_variant(mut self, variant: Arc<Variant>) -> Self {
        self.variant = Some(variant);
        self
    }

    /// Gives back the chosen variant.
    pub fn into_variant(self) -> Option<Arc<Variant>> {
        self.variant
    }
}

impl From<bool> for Decision {
    #[inline]
    fn from(on: bool) -> Self {
        Decision { on, variant: None }
    }
}

/// A named variant of a feature, such as an experiment arm, with an optional payload for the
/// caller (a colour, a JSON document, a number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    /// The variant's name.
    pub name: String,
    /// What the variant carries.
    pub payload: Option<Payload>,
}

impl Variant {
    /// A variant without a payload.
    pub fn named(name: impl Into<String>) -> Self {
        Variant {
            name: name.into(),
            payload: None,
        }
    }
}

/// A variant's payload: a type and the value as text, as Unleash keeps them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// How to read `value`.
    pub kind: PayloadKind,
    /// The value, as text.
    pub value: String,
}

/// How a [`Payload`]'s value is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PayloadKind {
    /// Plain text.
    String,
    /// A JSON document.
    Json,
    /// A number.
    Number,
}

impl PayloadKind {
    /// The name used in configs and on the wire: `string`, `json` or `number`.
    pub fn as_str(self) -> &'static str {
        match self {
            PayloadKind::String => "string",
            PayloadKind::Json => "json",
            PayloadKind::Number => "number",
        }
    }
}

/// A context value is present but the activation cannot use it: a `currentDateTime` that
/// does not match the format, a seed that is an array. Novi reports it (the HTTP server
/// answers 400 naming [`key`](EvalError::key)) instead of silently answering no.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EvalError {
    /// The value has a JSON type the activation cannot use.
    #[error("context key `{key}` must be {expected}, found {found}")]
    WrongType {
        /// The context key.
        key: String,
        /// What the activation accepts, in words (`"a string"`).
        expected: &'static str,
        /// The JSON type that was found.
        found: &'static str,
    },
    /// The value has the right type but is not acceptable.
    #[error("context key `{key}` is invalid: {reason}")]
    InvalidValue {
        /// The context key.
        key: String,
        /// What is wrong with it, in words.
        reason: String,
    },
}

impl EvalError {
    /// A [`EvalError::WrongType`] for `key`, naming the JSON type of `found`.
    pub fn wrong_type(key: &str, expected: &'static str, found: &serde_json::Value) -> Self {
        EvalError::WrongType {
            key: key.to_owned(),
            expected,
            found: crate::context::json_type(found),
        }
    }

    /// A [`EvalError::InvalidValue`] for `key`.
    pub fn invalid_value(key: &str, reason: impl Into<String>) -> Self {
        EvalError::InvalidValue {
            key: key.to_owned(),
            reason: reason.into(),
        }
    }

    /// The context key whose value could not be used.
    pub fn key(&self) -> &str {
        match self {
            EvalError::WrongType { key, .. } | EvalError::InvalidValue { key, .. } => key,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug)]
    struct Always(bool);

    impl Activation for Always {
        fn evaluate(&self, _ctx: &Context) -> bool {
            self.0
        }
    }

    #[test]
    fn decide_defaults_to_evaluate() {
        let ctx = Context::default();
        assert_eq!(Always(true).decide(&ctx), Ok(Decision::ON));
        assert_eq!(Always(false).decide(&ctx), Ok(Decision::OFF));
        assert!(Decision::from(true).is_on());
        assert!(!Decision::from(false).is_on());
    }

    #[test]
    fn eval_errors_name_the_key() {
        let err =
            EvalError::wrong_type("seed", "an integer, string, float or boolean", &json!([1]));
        assert_eq!(err.key(), "seed");
        assert_eq!(
            err.to_string(),
            "context key `seed` must be an integer, string, float or boolean, found array"
        );
        let err = EvalError::invalid_value("currentDateTime", "does not match format `%Y`");
        assert_eq!(err.key(), "currentDateTime");
        assert_eq!(
            err.to_string(),
            "context key `currentDateTime` is invalid: does not match format `%Y`"
        );
    }
}

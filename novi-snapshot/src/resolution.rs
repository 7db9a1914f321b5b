//! A flag's answer in OpenFeature's terms: a typed value, a variant name and a reason. The
//! OFREP routes of `novi-web` and the `novi-openfeature` provider both answer with it.
//!
//! | Novi | value | variant | reason |
//! |---|---|---|---|
//! | status false | `false` | `off` | `DISABLED` |
//! | on, no activations | `true` | `on` | `STATIC` |
//! | on, every activation matched, no variant | `true` | `on` | `TARGETING_MATCH` |
//! | on, a variant chosen | its payload (string, number or JSON), else `true` | its name | `SPLIT` |
//! | an activation said no | `false` | `off` | `DEFAULT` |
//! | an activation cannot be built | `false` | `off` | `ERROR` |
//!
//! A context value an activation cannot use has no resolution: it is the caller's mistake
//! (OpenFeature's `INVALID_CONTEXT`).

use novi_core::{EvalError, PayloadKind, Variant};
use serde_json::{Value, json};

use crate::snapshot::{Evaluation, Reason};

/// OpenFeature's reasons that Novi's answers map to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResolutionReason {
    /// A plain on flag.
    Static,
    /// Every activation matched.
    TargetingMatch,
    /// A variant was chosen by weight (or by an override).
    Split,
    /// The flag's status is false.
    Disabled,
    /// An activation said no: the flag is off.
    Default,
    /// An activation cannot be built: the flag fails closed.
    Error,
}

impl ResolutionReason {
    /// The reason as OpenFeature spells it: `STATIC`, `TARGETING_MATCH`, …
    pub fn as_str(self) -> &'static str {
        match self {
            ResolutionReason::Static => "STATIC",
            ResolutionReason::TargetingMatch => "TARGETING_MATCH",
            ResolutionReason::Split => "SPLIT",
            ResolutionReason::Disabled => "DISABLED",
            ResolutionReason::Default => "DEFAULT",
            ResolutionReason::Error => "ERROR",
        }
    }
}

/// A flag's answer as OpenFeature sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolution<'e> {
    /// The chosen variant's payload, or whether the flag is on.
    pub value: Value,
    /// The chosen variant's name, or `on`/`off`.
    pub variant: &'e str,
    /// Why.
    pub reason: ResolutionReason,
}

impl Evaluation {
    /// This answer in OpenFeature's terms, or the context error that leaves it without one.
    pub fn resolution(&self) -> Result<Resolution<'_>, &EvalError> {
        let (value, variant, reason) = match (&self.reason, self.variant.as_deref()) {
            (Reason::EvaluationError { error, .. }, _) => return Err(error),
            (Reason::Disabled, _) => (json!(false), "off", ResolutionReason::Disabled),
            (Reason::NoActivations, _) => (json!(true), "on", ResolutionReason::Static),
            (Reason::AllMatched, Some(variant)) => (
                variant_value(variant),
                variant.name.as_str(),
                ResolutionReason::Split,
            ),
            (Reason::AllMatched, None) => (json!(true), "on", ResolutionReason::TargetingMatch),
            (Reason::ActivationError { .. }, _) => (json!(false), "off", ResolutionReason::Error),
            (Reason::NotMatched { .. }, _) => (json!(false), "off", ResolutionReason::Default),
        };
        Ok(Resolution {
            value,
            variant,
            reason,
        })
    }
}

/// A chosen variant's value: its payload read by its kind, or `true` without one.
fn variant_value(variant: &Variant) -> Value {
    let Some(payload) = &variant.payload else {
        return json!(true);
    };
    match payload.kind {
        PayloadKind::String => json!(payload.value),
        // Payloads are checked when the activation is built; text that does not read is kept.
        _ => serde_json::from_str(&payload.value).unwrap_or_else(|_| json!(payload.value)),
    }
}

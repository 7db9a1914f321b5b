//! The wire JSON: Python Novi's shapes (keys in alphabetical order, as Flask sorted them) and
//! the authoring request bodies.

use novi_client::{ActivationRecord, Evaluation, FlagRecord, Reason, Variant};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An activation as Python Novi showed it: `config` is the stored text.
#[derive(Debug, Serialize)]
pub(crate) struct ActivationDto<'a> {
    pub(crate) class_name: &'a str,
    pub(crate) config: &'a str,
    pub(crate) id: i32,
    pub(crate) name: &'a str,
}

impl<'a> From<&'a ActivationRecord> for ActivationDto<'a> {
    fn from(record: &'a ActivationRecord) -> Self {
        ActivationDto {
            class_name: &record.class_name,
            config: &record.config,
            id: record.id.0,
            name: &record.name,
        }
    }
}

fn activations(flag: &FlagRecord) -> Vec<ActivationDto<'_>> {
    flag.activations
        .iter()
        .map(|a| ActivationDto::from(&**a))
        .collect()
}

/// A flag as stored (`GET /flags`).
#[derive(Debug, Serialize)]
pub(crate) struct FlagDto<'a> {
    pub(crate) activations: Vec<ActivationDto<'a>>,
    pub(crate) id: i32,
    pub(crate) name: &'a str,
    pub(crate) status: bool,
}

impl<'a> From<&'a FlagRecord> for FlagDto<'a> {
    fn from(flag: &'a FlagRecord) -> Self {
        FlagDto {
            activations: activations(flag),
            id: flag.id.0,
            name: &flag.name,
            status: flag.status,
        }
    }
}

/// A flag evaluated for a context (`POST /evaluatedFlags`): `status` is the answer, and
/// `reason` says why.
#[derive(Debug, Serialize)]
pub(crate) struct EvaluatedFlagDto<'a> {
    pub(crate) activations: Vec<ActivationDto<'a>>,
    pub(crate) id: i32,
    pub(crate) name: &'a str,
    pub(crate) reason: ReasonDto,
    pub(crate) status: bool,
    /// The chosen variant and its payload, or `null`.
    pub(crate) variant: Option<VariantDto>,
}

/// A chosen variant: `{"name", "payload": {"type", "value"}}` (no payload when it has none).
#[derive(Debug, Serialize)]
pub(crate) struct VariantDto {
    pub(crate) name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) payload: Option<PayloadDto>,
}

/// A variant's payload, as Unleash writes it.
#[derive(Debug, Serialize)]
pub(crate) struct PayloadDto {
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) value: String,
}

impl From<&Variant> for VariantDto {
    fn from(variant: &Variant) -> Self {
        VariantDto {
            name: variant.name.clone(),
            payload: variant.payload.as_ref().map(|p| PayloadDto {
                kind: p.kind.as_str(),
                value: p.value.clone(),
            }),
        }
    }
}

impl<'a> EvaluatedFlagDto<'a> {
    pub(crate) fn new(flag: &'a FlagRecord, evaluation: &Evaluation) -> Self {
        EvaluatedFlagDto {
            activations: activations(flag),
            id: flag.id.0,
            name: &flag.name,
            reason: ReasonDto::from(&evaluation.reason),
            status: evaluation.enabled,
            variant: evaluation.variant.as_deref().map(VariantDto::from),
        }
    }
}

/// Why a flag evaluated as it did: a stable `code`, the activation concerned, and a message.
#[derive(Debug, Serialize)]
pub(crate) struct ReasonDto {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) activation: Option<i32>,
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl From<&Reason> for ReasonDto {
    fn from(reason: &Reason) -> Self {
        let (code, activation) = match reason {
            Reason::Disabled => ("disabled", None),
            Reason::NoActivations => ("no_activations", None),
            Reason::AllMatched => ("all_matched", None),
            Reason::NotMatched { activation } => ("not_matched", Some(activation.0)),
            Reason::ActivationError { activation, .. } => ("activation_error", Some(activation.0)),
            Reason::EvaluationError { activation, .. } => ("evaluation_error", Some(activation.0)),
            _ => ("other", None),
        };
        ReasonDto {
            activation,
            code,
            message: reason.to_string(),
        }
    }
}

/// The body of `POST /flags` and `PUT /flags/{name}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FlagBody {
    pub(crate) name: Option<String>,
    pub(crate) status: Option<bool>,
    pub(crate) activations: Option<Vec<i32>>,
}

/// The body of `POST /activations` and `PUT /activations/{id}`. `config` may be a string
/// (stored as is) or any other JSON value (stored as its JSON text).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ActivationBody {
    pub(crate) name: String,
    pub(crate) class_name: String,
    pub(crate) config: Value,
}

impl ActivationBody {
    pub(crate) fn config_text(&self) -> String {
        match &self.config {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        }
    }
}

//! The wire JSON: Python Novi's shapes (keys in alphabetical order, as Flask sorted them; the
//! flags themselves are assembled by `render`) and the authoring request bodies.

use novi_client::{ActivationRecord, Reason, Variant};
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

/// A chosen variant: `{"name", "payload": {"type", "value"}}` (no payload when it has none).
#[derive(Debug, Serialize)]
pub(crate) struct VariantDto<'a> {
    pub(crate) name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) payload: Option<PayloadDto<'a>>,
}

/// A variant's payload, as Unleash writes it.
#[derive(Debug, Serialize)]
pub(crate) struct PayloadDto<'a> {
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    pub(crate) value: &'a str,
}

impl<'a> From<&'a Variant> for VariantDto<'a> {
    fn from(variant: &'a Variant) -> Self {
        VariantDto {
            name: &variant.name,
            payload: variant.payload.as_ref().map(|p| PayloadDto {
                kind: p.kind.as_str(),
                value: &p.value,
            }),
        }
    }
}

/// Why a flag evaluated as it did: a stable `code`, the activation concerned, and a message.
#[derive(Debug, Serialize)]
pub(crate) struct ReasonDto<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) activation: Option<i32>,
    pub(crate) code: &'static str,
    /// The reason in words, written through its `Display` without an intermediate `String`.
    #[serde(serialize_with = "serialize_display")]
    pub(crate) message: &'a Reason,
}

fn serialize_display<S: serde::Serializer>(
    value: &&Reason,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    serializer.collect_str(*value)
}

impl<'a> From<&'a Reason> for ReasonDto<'a> {
    fn from(reason: &'a Reason) -> Self {
        ReasonDto {
            activation: reason.activation().map(|id| id.0),
            code: reason.code(),
            message: reason,
        }
    }
}

/// The body of `POST /flags` and `PUT /flags/{name}`. `force` links activations this server
/// cannot build (a class only another binary links).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FlagBody {
    pub(crate) name: Option<String>,
    pub(crate) status: Option<bool>,
    pub(crate) activations: Option<Vec<i32>>,
    pub(crate) force: Option<bool>,
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

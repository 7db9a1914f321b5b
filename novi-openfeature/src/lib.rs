//! An [OpenFeature](https://openfeature.dev) provider for Novi: [`NoviProvider`] answers
//! OpenFeature's typed evaluations from the in-memory snapshot of any [`Source`] (a
//! `novi_client::Client` over a database, or a remote client), in process (no HTTP, no query
//! per evaluation). This crate depends on `novi-snapshot` only: no database driver comes with it.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use open_feature::{EvaluationContext, OpenFeature};
//!
//! novi_activations::link();
//! let novi = novi_client::Client::builder("sqlite://novi.db")?.migrate(true).connect()?;
//! OpenFeature::singleton_mut().await.set_provider(novi_openfeature::NoviProvider::new(novi)).await;
//! let client = OpenFeature::singleton().await.create_client();
//! let user = EvaluationContext::default().with_targeting_key("user-7");
//! // An error (FLAG_NOT_FOUND, TYPE_MISMATCH, …) means: use your default.
//! let on = client.get_bool_value("Combo OR", Some(&user), None).await.unwrap_or(false);
//! # let _ = on;
//! # Ok(())
//! # }
//! ```
//!
//! Values, variants and reasons are [`Evaluation::resolution`](novi_snapshot::snapshot::Evaluation::resolution)'s, as on
//! `novi-web`'s OFREP routes: a plain flag is a boolean; a flag whose variant has a payload
//! resolves to the payload (a string, a number or a JSON object). The targeting key becomes the
//! context's `userId` (the stickiness key of rollouts and variants) unless the context sets
//! `userId` itself or [`NoviProvider::with_targeting_key`] names another key. Errors:
//! `FLAG_NOT_FOUND`, `INVALID_CONTEXT` (a context value an activation cannot use),
//! `TYPE_MISMATCH` (the flag's value is not of the asked type).

use std::sync::Arc;

use novi_core::Context;
use novi_snapshot::{Source, resolution::ResolutionReason};
use open_feature::{
    EvaluationContext, EvaluationContextFieldValue, EvaluationError, EvaluationErrorCode,
    EvaluationReason, EvaluationResult, FlagMetadata, StructValue, Value,
    provider::{FeatureProvider, ProviderMetadata, ResolutionDetails},
};
use serde_json::{Map, Value as Json};

/// The context key the targeting key goes to unless configured otherwise.
pub const DEFAULT_TARGETING_KEY: &str = "userId";

/// An OpenFeature provider over a Novi client.
#[derive(Debug)]
pub struct NoviProvider {
    source: Arc<dyn Source>,
    metadata: ProviderMetadata,
    targeting_key: String,
}

impl NoviProvider {
    /// A provider answering from `source`'s snapshot (which follows its refreshes).
    pub fn new(source: impl Source + 'static) -> NoviProvider {
        NoviProvider {
            source: Arc::new(source),
            metadata: ProviderMetadata::new("novi"),
            targeting_key: DEFAULT_TARGETING_KEY.to_owned(),
        }
    }

    /// Puts the targeting key under `key` in Novi's context instead of `userId`.
    #[must_use]
    pub fn with_targeting_key(mut self, key: impl Into<String>) -> NoviProvider {
        self.targeting_key = key.into();
        self
    }

    /// Novi's context for an OpenFeature one.
    fn context(&self, ctx: &EvaluationContext) -> Context {
        let mut map: Map<String, Json> = ctx
            .custom_fields
            .iter()
            .filter_map(|(key, value)| Some((key.clone(), field_json(value)?)))
            .collect();
        if let Some(targeting_key) = &ctx.targeting_key {
            map.entry(self.targeting_key.clone())
                .or_insert_with(|| Json::String(targeting_key.clone()));
        }
        Context::from(map)
    }

    /// The flag's answer as JSON with its details, or the OpenFeature error.
    fn resolve(
        &self,
        flag_key: &str,
        ctx: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<Json>> {
        let snapshot = self.source.cell().load();
        let (flag, evaluation) = snapshot
            .evaluate_with_record(flag_key, &self.context(ctx))
            .ok_or_else(|| {
                error(
                    EvaluationErrorCode::FlagNotFound,
                    format!("flag `{flag_key}` does not exist"),
                )
            })?;
        let resolution = evaluation.resolution().map_err(|err| {
            error(
                EvaluationErrorCode::InvalidContext,
                format!("flag `{flag_key}`: {err}"),
            )
        })?;
        let mut metadata = FlagMetadata::default()
            .with_value("flagId", i64::from(flag.id.0))
            .with_value("noviReason", evaluation.reason.code());
        if let Some(activation) = evaluation.reason.activation() {
            metadata.add_value("noviActivation", i64::from(activation.0));
        }
        Ok(ResolutionDetails {
            value: resolution.value,
            variant: Some(resolution.variant.to_owned()),
            reason: Some(match resolution.reason {
                ResolutionReason::Static => EvaluationReason::Static,
                ResolutionReason::TargetingMatch => EvaluationReason::TargetingMatch,
                ResolutionReason::Split => EvaluationReason::Split,
                ResolutionReason::Disabled => EvaluationReason::Disabled,
                ResolutionReason::Default => EvaluationReason::Default,
                ResolutionReason::Error => EvaluationReason::Error,
                other => EvaluationReason::Other(other.as_str().to_owned()),
            }),
            flag_metadata: Some(metadata),
        })
    }

    /// [`resolve`](Self::resolve), converted to `T` or refused as `TYPE_MISMATCH`.
    fn resolve_as<T>(
        &self,
        flag_key: &str,
        ctx: &EvaluationContext,
        expected: &str,
        convert: impl FnOnce(&Json) -> Option<T>,
    ) -> EvaluationResult<ResolutionDetails<T>> {
        let details = self.resolve(flag_key, ctx)?;
        let value = convert(&details.value).ok_or_else(|| {
            error(
                EvaluationErrorCode::TypeMismatch,
                format!("flag `{flag_key}` is {}, not {expected}", details.value),
            )
        })?;
        Ok(ResolutionDetails {
            value,
            variant: details.variant,
            reason: details.reason,
            flag_metadata: details.flag_metadata,
        })
    }
}

fn error(code: EvaluationErrorCode, message: String) -> EvaluationError {
    EvaluationError::builder()
        .code(code)
        .message(message)
        .build()
}

/// A context field as JSON; `None` for structures Novi cannot read.
fn field_json(value: &EvaluationContextFieldValue) -> Option<Json> {
    Some(match value {
        EvaluationContextFieldValue::Bool(b) => Json::Bool(*b),
        EvaluationContextFieldValue::Int(i) => Json::from(*i),
        EvaluationContextFieldValue::Float(f) => Json::from(*f),
        EvaluationContextFieldValue::String(s) => Json::String(s.clone()),
        EvaluationContextFieldValue::DateTime(at) => {
            let at = at.to_offset(time::UtcOffset::UTC);
            Json::String(format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                at.year(),
                u8::from(at.month()),
                at.day(),
                at.hour(),
                at.minute(),
                at.second()
            ))
        }
        EvaluationContextFieldValue::Struct(any) => any.downcast_ref::<Json>()?.clone(),
    })
}

#[open_feature::async_trait]
impl FeatureProvider for NoviProvider {
    fn metadata(&self) -> &ProviderMetadata {
        &self.metadata
    }

    async fn resolve_bool_value(
        &self,
        flag_key: &str,
        ctx: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<bool>> {
        self.resolve_as(flag_key, ctx, "a boolean", Json::as_bool)
    }

    async fn resolve_int_value(
        &self,
        flag_key: &str,
        ctx: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<i64>> {
        self.resolve_as(flag_key, ctx, "an integer", Json::as_i64)
    }

    async fn resolve_float_value(
        &self,
        flag_key: &str,
        ctx: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<f64>> {
        self.resolve_as(flag_key, ctx, "a number", Json::as_f64)
    }

    async fn resolve_string_value(
        &self,
        flag_key: &str,
        ctx: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<String>> {
        self.resolve_as(flag_key, ctx, "a string", |v| v.as_str().map(str::to_owned))
    }

    async fn resolve_struct_value(
        &self,
        flag_key: &str,
        ctx: &EvaluationContext,
    ) -> EvaluationResult<ResolutionDetails<StructValue>> {
        self.resolve_as(flag_key, ctx, "an object", |v| match v {
            Json::Object(_) => match Value::try_from(v) {
                Ok(Value::Struct(value)) => Some(value),
                _ => None,
            },
            _ => None,
        })
    }
}

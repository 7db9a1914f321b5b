//! OpenFeature Remote Evaluation Protocol (OFREP): `POST /ofrep/v1/evaluate/flags/{key}` and
//! the bulk `POST /ofrep/v1/evaluate/flags` (with an `ETag`, and 304 for a matching
//! `If-None-Match`; it advertises `GET /stream`, whose events are ADR-0008's
//! `refetchEvaluation`). Any OpenFeature SDK with an OFREP provider evaluates Novi's flags through
//! them. Evaluation reads the snapshot only.
//!
//! A flag's `value`, `variant` and `reason` are [`Evaluation::resolution`]'s (its docs have the
//! table); `metadata` holds the flag id and Novi's own reason (`noviReason`, `noviActivation`).
//! A context value an activation cannot use is `INVALID_CONTEXT`; an unknown flag is
//! `FLAG_NOT_FOUND` (404).

use std::fmt::Write as _;

use actix_web::{
    HttpRequest, HttpResponse,
    http::{StatusCode, header},
    web,
};
use novi_client::{Context, Evaluation, FlagRecord, Reason};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::{flag_name, if_none_match, read_body, resource, state};
use crate::error::ApiError;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/ofrep/v1/evaluate/flags").route(web::post().to(evaluate_all)))
        .service(resource("/ofrep/v1/evaluate/flags/{key}").route(web::post().to(evaluate_flag)));
}

/// An OFREP error: its status, `errorCode` and `errorDetails`.
struct Failure {
    status: StatusCode,
    code: &'static str,
    details: String,
}

impl Failure {
    fn invalid_context(details: impl Into<String>) -> Failure {
        Failure {
            status: StatusCode::BAD_REQUEST,
            code: "INVALID_CONTEXT",
            details: details.into(),
        }
    }

    /// The failure as a bulk item or a single answer's body (with the flag's key when known).
    fn to_json(&self, key: Option<&str>) -> Value {
        let mut body = json!({"errorCode": self.code, "errorDetails": self.details});
        if let Some(key) = key {
            body["key"] = json!(key);
        }
        body
    }

    fn response(&self, key: Option<&str>) -> HttpResponse {
        HttpResponse::build(self.status).json(self.to_json(key))
    }
}

/// The evaluation context of a request body `{"context": {...}}`, with `targetingKey` copied to
/// the configured stickiness key (`userId` by default) unless the context sets that key itself.
fn request_context(body: &[u8], targeting_key: &str) -> Result<Context, Failure> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Context::default());
    }
    let value: Value = serde_json::from_slice(body).map_err(|err| Failure {
        status: StatusCode::BAD_REQUEST,
        code: "PARSE_ERROR",
        details: format!("the body is not valid JSON: {err}"),
    })?;
    let Value::Object(mut request) = value else {
        return Err(Failure::invalid_context(
            "the body must be a JSON object: {\"context\": {...}}",
        ));
    };
    let mut context = match request.remove("context") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(context)) => context,
        Some(_) => return Err(Failure::invalid_context("`context` must be a JSON object")),
    };
    match context.get("targetingKey") {
        Some(Value::String(key)) if !context.contains_key(targeting_key) => {
            let key = Value::String(key.clone());
            context.insert(targeting_key.to_owned(), key);
        }
        None | Some(Value::String(_)) => {}
        Some(_) => return Err(Failure::invalid_context("`targetingKey` must be a string")),
    }
    Ok(Context::from(context))
}

/// A flag's OFREP answer, or the failure a bad context value makes.
fn evaluation_json(flag: &FlagRecord, evaluation: &Evaluation) -> Result<Value, Failure> {
    let resolution = evaluation
        .resolution()
        .map_err(|error| Failure::invalid_context(format!("flag `{}`: {error}", flag.name)))?;
    let reason = &evaluation.reason;
    let mut metadata = json!({"flagId": flag.id.0, "noviReason": reason.code()});
    if let Some(activation) = reason.activation() {
        metadata["noviActivation"] = json!(activation.0);
    }
    if let Reason::ActivationError { error, .. } = reason {
        metadata["errorDetails"] = json!(error.to_string());
    }
    Ok(json!({
        "key": flag.name,
        "value": resolution.value,
        "variant": resolution.variant,
        "reason": resolution.reason.as_str(),
        "metadata": metadata,
    }))
}

async fn evaluate_flag(req: HttpRequest, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    let key = flag_name(&req)?;
    let state = state(&req)?;
    let ctx = match request_context(&read_body(&req, payload).await?, state.targeting_key()) {
        Ok(ctx) => ctx,
        Err(failure) => return Ok(failure.response(Some(&key))),
    };
    let snapshot = state.snapshot();
    let Some((flag, evaluation)) = snapshot.evaluate_with_record(&key, &ctx) else {
        return Ok(Failure {
            status: StatusCode::NOT_FOUND,
            code: "FLAG_NOT_FOUND",
            details: format!("flag `{key}` does not exist"),
        }
        .response(Some(&key)));
    };
    state.metrics.evaluated(&key, &evaluation);
    state
        .flags
        .expose(flag, &ctx, evaluation.variant.as_deref());
    Ok(match evaluation_json(flag, &evaluation) {
        Ok(body) => HttpResponse::Ok().json(body),
        Err(failure) => failure.response(Some(&key)),
    })
}

async fn evaluate_all(req: HttpRequest, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    let state = state(&req)?;
    let ctx = match request_context(&read_body(&req, payload).await?, state.targeting_key()) {
        Ok(ctx) => ctx,
        Err(failure) => return Ok(failure.response(None)),
    };
    let snapshot = state.snapshot();
    let counts = state.metrics.aligned(&snapshot);
    let expose = state.flags.records_exposures();
    let flags: Vec<Value> = snapshot
        .evaluate_all(&ctx)
        .enumerate()
        .map(|(i, (flag, evaluation))| {
            if let Some(counts) = counts.flag(i) {
                counts.count(&evaluation);
            }
            if expose {
                state
                    .flags
                    .expose(flag, &ctx, evaluation.variant.as_deref());
            }
            evaluation_json(flag, &evaluation)
                .unwrap_or_else(|failure| failure.to_json(Some(&flag.name)))
        })
        .collect();
    // Where to hear of changes (OFREP ADR-0008): this server's `/stream`, reached as the
    // request reached it. The ADR's drafts called the field `eventStreams`, its current text
    // `refreshConnections`: both are sent.
    let stream_url = {
        let conn = req.connection_info();
        format!("{}://{}/stream", conn.scheme(), conn.host())
    };
    let connections = json!([{"type": "sse", "url": stream_url, "inactivityDelaySec": 120}]);
    let body = serde_json::to_vec(&json!({
        "flags": flags,
        "refreshConnections": connections,
        "eventStreams": connections,
    }))
    .map_err(|_| ApiError::Internal)?;
    let etag = etag(&body);
    if if_none_match(&req, &etag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .finish());
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag))
        .content_type("application/json")
        .body(body))
}

/// A strong entity tag for a bulk answer: the first 16 bytes of the SHA-256 of its bytes, in
/// hex. A fixed algorithm (not `std`'s `DefaultHasher`, which may change between Rust
/// releases), so that the same flags and context give the same tag in every replica, whatever
/// it was built with.
fn etag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    let mut tag = String::with_capacity(34);
    tag.push('"');
    for byte in &digest[..16] {
        let _ = write!(tag, "{byte:02x}");
    }
    tag.push('"');
    tag
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_etag_is_a_fixed_hash_of_the_answer() {
        // SHA-256 of `{"flags":[]}`, first 16 bytes, as `printf '{"flags":[]}' | sha256sum`.
        assert_eq!(super::etag(br#"{"flags":[]}"#), KNOWN);
        assert_ne!(super::etag(br#"{"flags":[1]}"#), KNOWN);
    }

    const KNOWN: &str = "\"ccbb299897f0a6899aa1d76575c9338d\"";
}

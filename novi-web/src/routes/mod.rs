//! The routes, and what every handler shares: reading bodies with a limit, parsing JSON, and
//! JSON answers for unknown routes and wrong methods.

mod activations;
mod audit;
mod evaluated;
mod flags;
mod health;
mod ofrep;

use actix_web::{
    HttpRequest, HttpResponse, Resource,
    http::header,
    web::{self, Bytes},
};
use novi_client::Context;
use novi_core::ContextError;
use serde::de::DeserializeOwned;

use crate::{ApiError, auth::Caller, state::AppState};

/// The largest request body the server reads.
pub const BODY_LIMIT: usize = 1 << 20;

/// Every route and the methods it answers (besides `HEAD` on `GET` routes and `OPTIONS`).
/// `openapi.yaml` describes exactly these; a test keeps the two in step.
pub const ROUTES: &[(&str, &[&str])] = &[
    ("/flags", &["GET", "POST"]),
    ("/flags/{name}", &["GET", "PUT", "DELETE"]),
    ("/evaluatedFlags", &["POST"]),
    ("/evaluatedFlags/{name}", &["POST"]),
    ("/activations", &["GET", "POST"]),
    ("/activations/{id}", &["GET", "PUT", "DELETE"]),
    ("/audit", &["GET"]),
    ("/health", &["GET"]),
    ("/metrics", &["GET"]),
    ("/ofrep/v1/evaluate/flags", &["POST"]),
    ("/ofrep/v1/evaluate/flags/{key}", &["POST"]),
];

/// Registers every route.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    flags::configure(cfg);
    evaluated::configure(cfg);
    activations::configure(cfg);
    audit::configure(cfg);
    health::configure(cfg);
    ofrep::configure(cfg);
}

/// A resource whose other methods get a JSON 405 with `Allow`, and `OPTIONS` a 204 with it.
fn resource(path: &'static str, allow: &'static str) -> Resource {
    web::resource(path)
        .route(
            web::method(actix_web::http::Method::OPTIONS).to(move || async move {
                HttpResponse::NoContent()
                    .insert_header((header::ALLOW, allow))
                    .finish()
            }),
        )
        .default_service(web::to(move |req: HttpRequest| async move {
            Err::<HttpResponse, _>(ApiError::MethodNotAllowed {
                method: req.method().to_string(),
                path: req.path().to_owned(),
                allow,
            })
        }))
}

/// The answer for any path that no route matches.
pub(crate) async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!(
        "no route for {} {}",
        req.method(),
        req.path()
    )))
}

/// The shared state, from the request.
fn state(req: &HttpRequest) -> Result<&AppState, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .map(|data| data.get_ref())
        .ok_or(ApiError::Internal)
}

/// The client acting for the caller: its writes are recorded in the audit log under the
/// caller's token label and the route (`POST /flags/{name}`).
fn writer(req: &HttpRequest) -> Result<novi_client::Client, ApiError> {
    let route = format!(
        "{} {}",
        req.method(),
        req.match_pattern().unwrap_or_else(|| req.path().to_owned())
    );
    Ok(state(req)?.client.acting_as(&Caller::of(req), &route))
}

/// Reads the body, refusing more than [`BODY_LIMIT`] bytes.
async fn read_body(payload: web::Payload) -> Result<Bytes, ApiError> {
    match payload.to_bytes_limited(BODY_LIMIT).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(err)) => Err(ApiError::BadRequest(format!(
            "reading the request body: {err}"
        ))),
        Err(_) => Err(ApiError::PayloadTooLarge { limit: BODY_LIMIT }),
    }
}

/// An evaluation context from a body: empty means `{}`; otherwise it must be a JSON object.
/// The content type is not checked, as Python Novi's clients did not always send one.
/// Top-level numbers are kept as Python's `json` reads them (integers of any size, `1e400` as
/// `inf`; see `Context::from_json_slice`), so WeightedRandom seeds as Python Novi did.
fn parse_context(body: &[u8]) -> Result<Context, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Context::default());
    }
    Context::from_json_slice(body).map_err(|err| match err {
        ContextError::Json(err) => {
            ApiError::BadRequest(format!("the body is not valid JSON: {err}"))
        }
        other => ApiError::BadRequest(other.to_string()),
    })
}

/// A JSON request body of an authoring route.
fn parse_json<T: DeserializeOwned>(req: &HttpRequest, body: &[u8]) -> Result<T, ApiError> {
    if let Some(content_type) = req.headers().get(header::CONTENT_TYPE) {
        let content_type = content_type
            .to_str()
            .unwrap_or("an unreadable content type");
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if essence != "application/json" && !essence.ends_with("+json") {
            return Err(ApiError::UnsupportedMediaType(content_type.to_owned()));
        }
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest(
            "the request body is empty; send a JSON object".into(),
        ));
    }
    // Serde reads a JSON array into a struct, as its fields in order; the bodies are objects.
    if body.trim_ascii_start().starts_with(b"[") {
        return Err(ApiError::BadRequest(
            "invalid request body: a JSON array, not an object".into(),
        ));
    }
    serde_json::from_slice(body)
        .map_err(|err| ApiError::BadRequest(format!("invalid request body: {err}")))
}

/// The flag name in the request path after `prefix`, percent-decoded. Bytes that are not
/// UTF-8 are refused (a lossy decoding would turn them into another, real, name). A name with
/// a NUL is answered as not found before it reaches the database: no flag can have one (writes
/// refuse control characters), and PostgreSQL fails any query that holds one.
fn flag_name(req: &HttpRequest, prefix: &str) -> Result<String, ApiError> {
    let raw = req.uri().path().strip_prefix(prefix).unwrap_or_default();
    let bytes = raw.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(hi), Some(lo)) => {
                decoded.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (byte, _, _) => {
                decoded.push(byte);
                i += 1;
            }
        }
    }
    let name = String::from_utf8(decoded)
        .map_err(|_| ApiError::BadRequest("the flag name in the path is not valid UTF-8".into()))?;
    if name.contains('\0') {
        return Err(novi_client::Error::FlagNotFound(name).into());
    }
    Ok(name)
}

/// Runs blocking client work (database writes) off the async workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, novi_client::Error> + Send + 'static,
) -> Result<T, ApiError> {
    match web::block(work).await {
        Ok(result) => result.map_err(ApiError::from),
        Err(err) => {
            log::error!("a blocking task failed: {err}");
            Err(ApiError::Internal)
        }
    }
}

//! `/flags`: stored flags, read (Python Novi's routes) and written.

use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder, http::header, web};
use novi_client::{ActivationId, FlagInput, FlagRecord, FlagUpdate};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use super::{blocking, flag_name, parse_json, read_body, resource, state, writer};
use crate::{
    dto::FlagBody,
    error::ApiError,
    render::{self, json_list},
};

/// A stored flag as the answer.
fn json_flag(mut response: HttpResponseBuilder, flag: &FlagRecord) -> HttpResponse {
    response
        .content_type("application/json")
        .body(render::stored_flag(flag))
}

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/flags")
            .route(web::get().to(list_flags))
            .route(web::head().to(list_flags))
            .route(web::post().to(create_flag)),
    )
    .service(
        resource("/flags/{name}")
            .route(web::get().to(get_flag))
            .route(web::head().to(get_flag))
            .route(web::put().to(update_flag))
            .route(web::delete().to(delete_flag)),
    );
}

async fn list_flags(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let stored = state(&req)?.stored_json();
    let estimate = stored.stored_len() + ",\"status\":false}".len() * stored.len() + 2;
    Ok(json_list(stored.len(), estimate, move |i, out| {
        out.extend_from_slice(stored.stored(i));
        render::push_status(out, stored.status(i));
    }))
}

async fn get_flag(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let name = flag_name(&req)?;
    let snapshot = state(&req)?.snapshot();
    let flag = snapshot
        .flag(&name)
        .ok_or_else(|| ApiError::NotFound(format!("flag `{name}` does not exist")))?;
    Ok(json_flag(HttpResponse::Ok(), flag))
}

fn ids(ids: Option<Vec<i32>>) -> Option<Vec<ActivationId>> {
    ids.map(|ids| ids.into_iter().map(ActivationId).collect())
}

async fn create_flag(req: HttpRequest, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    let body: FlagBody = parse_json(&req, &read_body(&req, payload).await?)?;
    let input = FlagInput {
        name: body.name.ok_or_else(|| {
            ApiError::BadRequest("invalid request body: missing field `name`".into())
        })?,
        // A flag is created off unless the request says otherwise: creating one must not switch
        // a feature on for everyone.
        status: body.status.unwrap_or(false),
        activations: ids(body.activations),
        force: body.force.unwrap_or(false),
    };
    let client = writer(&req)?;
    let flag = blocking(move || client.create_flag(&input)).await?;
    let location = format!("/flags/{}", percent_encode_segment(&flag.name));
    let mut response = HttpResponse::Created();
    response.insert_header((header::LOCATION, location));
    Ok(json_flag(response, &flag))
}

async fn update_flag(req: HttpRequest, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    let name = flag_name(&req)?;
    let body: FlagBody = parse_json(&req, &read_body(&req, payload).await?)?;
    // Only what the body gives changes; the rest is read under the writers' lock, so a
    // replica's older snapshot cannot undo another replica's write.
    let update = FlagUpdate {
        name: body.name,
        status: body.status,
        activations: ids(body.activations),
        force: body.force.unwrap_or(false),
    };
    let client = writer(&req)?;
    let flag = blocking(move || client.patch_flag(&name, &update)).await?;
    Ok(json_flag(HttpResponse::Ok(), &flag))
}

async fn delete_flag(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let name = flag_name(&req)?;
    let client = writer(&req)?;
    blocking(move || client.delete_flag(&name)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// What a path segment leaves as it is: RFC 3986's unreserved characters.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes a flag name for a URL path segment.
fn percent_encode_segment(name: &str) -> String {
    utf8_percent_encode(name, SEGMENT).to_string()
}

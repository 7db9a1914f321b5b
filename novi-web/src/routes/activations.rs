//! `/activations`: stored activations, read and written (new in Novi; Python had none).

use actix_web::{HttpRequest, HttpResponse, http::header, web};
use novi_client::{ActivationId, ActivationInput, ActivationRecord, Snapshot};
use serde::Serialize;

use super::{blocking, parse_json, read_body, resource, state, writer};
use crate::{
    dto::{ActivationBody, ActivationDto},
    error::ApiError,
};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/activations")
            .route(web::get().to(list_activations))
            .route(web::head().to(list_activations))
            .route(web::post().to(create_activation)),
    )
    .service(
        resource("/activations/{id}")
            .route(web::get().to(get_activation))
            .route(web::head().to(get_activation))
            .route(web::put().to(update_activation))
            .route(web::delete().to(delete_activation)),
    );
}

/// An activation, and why it cannot be built when it cannot.
#[derive(Serialize)]
struct StoredActivation<'a> {
    #[serde(flatten)]
    activation: ActivationDto<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    build_error: Option<String>,
}

impl<'a> StoredActivation<'a> {
    fn new(snapshot: &Snapshot, record: &'a ActivationRecord) -> Self {
        StoredActivation {
            activation: ActivationDto::from(record),
            build_error: snapshot.build_error(record.id).map(|err| err.to_string()),
        }
    }
}

fn parse_id(raw: &str) -> Result<ActivationId, ApiError> {
    raw.parse::<i32>().map(ActivationId).map_err(|_| {
        ApiError::BadRequest(format!(
            "`{raw}` is not an activation id (an integer from -2147483648 to 2147483647)"
        ))
    })
}

async fn list_activations(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let snapshot = state(&req)?.snapshot();
    let body: Vec<_> = snapshot
        .activations()
        .map(|record| StoredActivation::new(&snapshot, record))
        .collect();
    Ok(HttpResponse::Ok().json(body))
}

async fn get_activation(req: HttpRequest, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    let snapshot = state(&req)?.snapshot();
    let record = snapshot
        .activation(id)
        .ok_or_else(|| ApiError::NotFound(format!("activation {id} does not exist")))?;
    Ok(HttpResponse::Ok().json(StoredActivation::new(&snapshot, record)))
}

fn input(body: &ActivationBody) -> ActivationInput {
    ActivationInput {
        name: body.name.clone(),
        class_name: body.class_name.clone(),
        config: body.config_text(),
    }
}

async fn create_activation(
    req: HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let body: ActivationBody = parse_json(&req, &read_body(&req, payload).await?)?;
    let input = input(&body);
    let client = writer(&req)?;
    let record = blocking(move || client.create_activation(&input)).await?;
    let snapshot = state(&req)?.snapshot();
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/activations/{}", record.id)))
        .json(StoredActivation::new(&snapshot, &record)))
}

async fn update_activation(
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    let body: ActivationBody = parse_json(&req, &read_body(&req, payload).await?)?;
    let input = input(&body);
    let client = writer(&req)?;
    let record = blocking(move || client.update_activation(id, &input)).await?;
    let snapshot = state(&req)?.snapshot();
    Ok(HttpResponse::Ok().json(StoredActivation::new(&snapshot, &record)))
}

async fn delete_activation(
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&id)?;
    let client = writer(&req)?;
    blocking(move || client.delete_activation(id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

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
    // Before `/activations/{id}`, which would take `classes` for an id.
    .service(
        resource("/activations/classes")
            .route(web::get().to(list_classes))
            .route(web::head().to(list_classes)),
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

/// One activation class this server builds: its names, what its config holds, an example.
#[derive(Serialize)]
struct ClassDto {
    /// The canonical name.
    class: &'static str,
    /// Other names rows may be stored under (Python Novi's class paths, Unleash's names).
    aliases: &'static [&'static str],
    /// What the config must hold, in words.
    config: &'static str,
    /// A config that builds (composites name activations 1 and 2), or `null`.
    example: Option<&'static str>,
}

/// `GET /activations/classes`: every activation class this server links, by canonical name.
/// A class name two registrations claim is refused by the server, and not listed.
async fn list_classes() -> HttpResponse {
    let mut classes: Vec<ClassDto> = novi_core::registry::registrations()
        .filter(|registration| {
            // Only what a stored row can use: a name that resolves to this registration.
            novi_core::registry::find(registration.class())
                .is_some_and(|found| std::ptr::eq(found, *registration))
        })
        .map(|registration| ClassDto {
            class: registration.class(),
            aliases: registration.names().get(1..).unwrap_or_default(),
            config: registration.expected(),
            example: registration.example(),
        })
        .collect();
    classes.sort_unstable_by_key(|class| class.class);
    HttpResponse::Ok().json(classes)
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

//! `/experiments`: experiments defined, read, changed (started, stopped) and deleted, audited
//! like flags; `/experiments/{id}/results`: what they show, with their statistics.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, SecondsFormat, Utc};
use novi_client::experiments::{
    ExperimentInput, ExperimentRecord, ExperimentStatus, ExperimentUpdate, Metric,
};
use serde_json::{Map, Value, json};

use super::{blocking, database, read_body, resource, state, writer};
use crate::{error::ApiError, results};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/experiments")
            .route(web::get().to(list))
            .route(web::head().to(list))
            .route(web::post().to(create)),
    )
    .service(
        resource("/experiments/{id}")
            .route(web::get().to(get))
            .route(web::head().to(get))
            .route(web::put().to(update))
            .route(web::delete().to(delete)),
    )
    .service(
        resource("/experiments/{id}/results")
            .route(web::get().to(results_of))
            .route(web::head().to(results_of)),
    );
}

fn time(ms: Option<i64>) -> Value {
    ms.and_then(DateTime::<Utc>::from_timestamp_millis)
        .map_or(Value::Null, |at| {
            json!(at.to_rfc3339_opts(SecondsFormat::Millis, true))
        })
}

/// An experiment as the API shows it: its flag by name (null when the flag was deleted).
pub(crate) fn experiment_json(req: &HttpRequest, e: &ExperimentRecord) -> Value {
    let flag = state(req).ok().and_then(|state| {
        state
            .flags
            .snapshot()
            .flags()
            .find(|flag| flag.id.0 == e.flag_id)
            .map(|flag| flag.name.clone())
    });
    json!({
        "id": e.id,
        "name": e.name,
        "flag": flag,
        "flag_id": e.flag_id,
        "control": e.control,
        "unit_key": e.unit_key,
        "metrics": e.metrics,
        "planned_units": e.planned_units,
        "status": e.status,
        "created_at": time(Some(e.created_at_ms)),
        "started_at": time(e.started_at_ms),
    })
}

fn experiment_id(req: &HttpRequest) -> Result<i32, ApiError> {
    let raw = req.match_info().get("id").unwrap_or_default();
    raw.parse()
        .map_err(|_| ApiError::NotFound(format!("experiment `{raw}` does not exist")))
}

/// A definition's field that is wrong: 422 naming it.
fn invalid(field: &'static str, problem: impl Into<String>) -> ApiError {
    novi_client::Error::InvalidExperiment {
        field,
        problem: problem.into(),
    }
    .into()
}

/// The body as a JSON object (a 400 otherwise).
fn object(req: &HttpRequest, body: &[u8]) -> Result<Map<String, Value>, ApiError> {
    match super::parse_json::<Value>(req, body)? {
        Value::Object(map) => Ok(map),
        _ => Err(ApiError::BadRequest(
            "the request body must be a JSON object".into(),
        )),
    }
}

const FIELDS: &[&str] = &[
    "name",
    "flag",
    "control",
    "unit_key",
    "metrics",
    "planned_units",
    "status",
];

/// The definition's fields, each checked for its type (422 naming the field otherwise).
struct Fields {
    name: Option<String>,
    flag: Option<String>,
    control: Option<String>,
    unit_key: Option<String>,
    metrics: Option<Vec<Metric>>,
    planned_units: Option<Option<i64>>,
    status: Option<ExperimentStatus>,
}

impl Fields {
    fn read(map: &Map<String, Value>) -> Result<Fields, ApiError> {
        if let Some(unknown) = map.keys().find(|key| !FIELDS.contains(&key.as_str())) {
            return Err(ApiError::BadRequest(format!(
                "unknown field `{unknown}`; an experiment has {}",
                FIELDS.join(", ")
            )));
        }
        let text = |field: &'static str| -> Result<Option<String>, ApiError> {
            match map.get(field) {
                None => Ok(None),
                Some(Value::String(text)) => Ok(Some(text.clone())),
                Some(_) => Err(invalid(field, "it must be a string")),
            }
        };
        let metrics = match map.get("metrics") {
            None => None,
            Some(value) => Some(
                serde_json::from_value::<Vec<Metric>>(value.clone()).map_err(|err| {
                    invalid(
                        "metrics",
                        format!(
                            "{err}; each metric is {{\"name\": string, \"event\": string, \"kind\": \"conversion\" | \"mean\"}}"
                        ),
                    )
                })?,
            ),
        };
        let planned_units = match map.get("planned_units") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(value) => Some(Some(value.as_i64().ok_or_else(|| {
                invalid("planned_units", "it must be a whole number of units")
            })?)),
        };
        let status = match map.get("status") {
            None => None,
            Some(value) => Some(
                serde_json::from_value::<ExperimentStatus>(value.clone()).map_err(|_| {
                    invalid("status", "it must be \"draft\", \"running\" or \"stopped\"")
                })?,
            ),
        };
        Ok(Fields {
            name: text("name")?,
            flag: text("flag")?,
            control: text("control")?,
            unit_key: text("unit_key")?,
            metrics,
            planned_units,
            status,
        })
    }
}

async fn list(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let client = database(&req)?.clone();
    let all = blocking(move || client.experiments()).await?;
    let body: Vec<Value> = all.iter().map(|e| experiment_json(&req, e)).collect();
    Ok(HttpResponse::Ok().json(body))
}

async fn get(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let id = experiment_id(&req)?;
    let client = database(&req)?.clone();
    let e = blocking(move || client.experiment(id)).await?;
    Ok(HttpResponse::Ok().json(experiment_json(&req, &e)))
}

async fn create(req: HttpRequest, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    let fields = Fields::read(&object(&req, &read_body(&req, payload).await?)?)?;
    let input = ExperimentInput {
        name: fields
            .name
            .ok_or_else(|| invalid("name", "it is missing"))?,
        flag: fields
            .flag
            .ok_or_else(|| invalid("flag", "it is missing"))?,
        control: fields
            .control
            .ok_or_else(|| invalid("control", "it is missing"))?,
        unit_key: fields.unit_key,
        metrics: fields
            .metrics
            .ok_or_else(|| invalid("metrics", "it is missing"))?,
        planned_units: fields.planned_units.flatten(),
        status: fields.status,
    };
    let client = writer(&req)?;
    let e = blocking(move || client.create_experiment(&input)).await?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/experiments/{}", e.id)))
        .json(experiment_json(&req, &e)))
}

async fn update(req: HttpRequest, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    let id = experiment_id(&req)?;
    let fields = Fields::read(&object(&req, &read_body(&req, payload).await?)?)?;
    let change = ExperimentUpdate {
        name: fields.name,
        flag: fields.flag,
        control: fields.control,
        unit_key: fields.unit_key,
        metrics: fields.metrics,
        planned_units: fields.planned_units,
        status: fields.status,
    };
    let client = writer(&req)?;
    let e = blocking(move || client.update_experiment(id, &change)).await?;
    Ok(HttpResponse::Ok().json(experiment_json(&req, &e)))
}

async fn delete(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let id = experiment_id(&req)?;
    let client = writer(&req)?;
    blocking(move || client.delete_experiment(id)).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn results_of(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let id = experiment_id(&req)?;
    let client = database(&req)?.clone();
    let (e, totals) = blocking(move || client.experiment_totals(id)).await?;
    let weights = state(&req)?
        .flags
        .snapshot()
        .flags()
        .find(|flag| flag.id.0 == e.flag_id)
        .and_then(|flag| {
            state(&req)
                .ok()?
                .flags
                .snapshot()
                .variant_weights(&flag.name)
        });
    let mut body = results::compute(&e, &totals, weights.as_deref());
    if let Value::Object(map) = &mut body {
        map.insert("experiment".into(), experiment_json(&req, &e));
    }
    Ok(HttpResponse::Ok().json(body))
}

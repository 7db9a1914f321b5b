//! `POST /events`: exposures and conversions reported by SDKs and services (a client or admin
//! token: the ingestion access). A batch is checked whole before anything is stored: a bad
//! event is a 400 naming its index and field, and nothing of that batch is stored.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::DateTime;
use novi_client::experiments::Event;
use serde_json::{Map, Value, json};

use super::{blocking, database, parse_json, read_body, resource};
use crate::error::ApiError;

/// The most events one request may carry.
pub(super) const MAX_EVENTS: usize = 10_000;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/events").route(web::post().to(ingest)));
}

fn bad(index: usize, field: &'static str, problem: impl Into<String>) -> ApiError {
    novi_client::Error::InvalidEvent {
        index,
        field,
        problem: problem.into(),
    }
    .into()
}

fn text(event: &Map<String, Value>, index: usize, field: &'static str) -> Result<String, ApiError> {
    match event.get(field) {
        Some(Value::String(text)) => Ok(text.clone()),
        Some(_) => Err(bad(index, field, "it must be a string")),
        None => Err(bad(index, field, "it is missing")),
    }
}

/// `at`: an RFC 3339 time or milliseconds since the Unix epoch; now when absent.
fn at_ms(event: &Map<String, Value>, index: usize, now: i64) -> Result<i64, ApiError> {
    match event.get("at") {
        None | Some(Value::Null) => Ok(now),
        Some(Value::Number(ms)) => ms.as_i64().filter(|ms| *ms >= 0).ok_or_else(|| {
            bad(
                index,
                "at",
                "milliseconds since 1970 must be a whole number ≥ 0",
            )
        }),
        Some(Value::String(time)) => DateTime::parse_from_rfc3339(time)
            .map(|at| at.timestamp_millis())
            .map_err(|err| bad(index, "at", format!("not an RFC 3339 time: {err}"))),
        Some(_) => Err(bad(
            index,
            "at",
            "an RFC 3339 time or milliseconds since 1970",
        )),
    }
}

fn read(value: &Value, index: usize, now: i64) -> Result<Event, ApiError> {
    let Value::Object(event) = value else {
        return Err(bad(index, "type", "an event is a JSON object"));
    };
    let id = match event.get("id") {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) => Some(id.clone()),
        Some(_) => return Err(bad(index, "id", "it must be a string")),
    };
    let allowed: &[&str] = match event.get("type").and_then(Value::as_str) {
        Some("exposure") => &["type", "id", "at", "flag", "unit", "variant"],
        Some("conversion") => &["type", "id", "at", "event", "unit", "value"],
        Some(other) => {
            return Err(bad(
                index,
                "type",
                format!("`{other}` is neither \"exposure\" nor \"conversion\""),
            ));
        }
        None => {
            return Err(bad(
                index,
                "type",
                "\"exposure\" or \"conversion\" is missing",
            ));
        }
    };
    if let Some(unknown) = event.keys().find(|key| !allowed.contains(&key.as_str())) {
        let field: &'static str = "type";
        return Err(bad(
            index,
            field,
            format!("unknown field `{unknown}` for this type"),
        ));
    }
    let at_ms = at_ms(event, index, now)?;
    if allowed.contains(&"flag") {
        // An exposure is idempotent by itself: a unit's first one stands.
        Ok(Event::Exposure {
            flag: text(event, index, "flag")?,
            unit: text(event, index, "unit")?,
            variant: text(event, index, "variant")?,
            at_ms,
        })
    } else {
        let value = match event.get("value") {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) => n.as_f64(),
            Some(_) => return Err(bad(index, "value", "it must be a number")),
        };
        Ok(Event::Conversion {
            id,
            event: text(event, index, "event")?,
            unit: text(event, index, "unit")?,
            value,
            at_ms,
        })
    }
}

async fn ingest(req: HttpRequest, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    let body: Value = parse_json(&req, &read_body(&req, payload).await?)?;
    let Some(list) = body.get("events").and_then(Value::as_array) else {
        return Err(ApiError::BadRequest(
            "the body must be {\"events\": [ ... ]}".into(),
        ));
    };
    if list.len() > MAX_EVENTS {
        return Err(ApiError::BadRequest(format!(
            "at most {MAX_EVENTS} events per request"
        )));
    }
    let now = chrono::Utc::now().timestamp_millis();
    let events = list
        .iter()
        .enumerate()
        .map(|(index, value)| read(value, index, now))
        .collect::<Result<Vec<Event>, ApiError>>()?;
    let client = database(&req)?.clone();
    let outcome = blocking(move || client.record_events(&events)).await?;
    Ok(HttpResponse::Ok().json(json!({
        "exposures": outcome.exposures,
        "conversions": outcome.conversions,
        "duplicates": outcome.duplicates,
        "ignored": outcome.ignored,
    })))
}

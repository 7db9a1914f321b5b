//! `/audit`: the audit log, newest first, a page at a time (admin token).

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{blocking, resource};
use crate::error::ApiError;

/// The largest page.
const MAX_LIMIT: u32 = 500;
const DEFAULT_LIMIT: u32 = 50;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/audit")
            .route(web::get().to(audit))
            .route(web::head().to(audit)),
    );
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Page {
    /// Entries older than this id.
    before: Option<i32>,
    limit: Option<u32>,
}

/// A stored JSON state as JSON (the text itself should it not parse).
fn state_json(text: Option<String>) -> Value {
    text.map_or(Value::Null, |text| {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    })
}

async fn audit(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let page: Page = web::Query::<Page>::from_query(req.query_string())
        .map_err(|err| ApiError::BadRequest(format!("invalid query: {err}")))?
        .into_inner();
    let limit = page.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(ApiError::BadRequest(format!(
            "limit must be between 1 and {MAX_LIMIT}"
        )));
    }
    let client = super::database(&req)?.clone();
    let before = page.before;
    let entries = blocking(move || client.audit_log(before, limit)).await?;
    let next = (entries.len() == limit as usize)
        .then(|| entries.last())
        .flatten()
        .map(|last| format!("/audit?before={}&limit={limit}", last.id));
    let entries: Vec<Value> = entries
        .into_iter()
        .map(|entry| {
            let at = DateTime::<Utc>::from_timestamp_millis(entry.at_ms)
                .map(|at| at.to_rfc3339_opts(SecondsFormat::Millis, true));
            json!({
                "id": entry.id,
                "at": at,
                "actor": entry.actor.label,
                "route": entry.actor.route,
                "target": {
                    "kind": entry.target_kind,
                    "id": entry.target_id,
                    "name": entry.target_name,
                },
                "before": state_json(entry.before),
                "after": state_json(entry.after),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(json!({ "entries": entries, "next": next })))
}

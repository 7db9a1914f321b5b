//! `/audit`: the audit log, newest first, a page at a time (admin token), of everything or of
//! one flag (`?flag=ID`) or one activation (`?activation=ID`); `/audit/{id}/revert` puts back
//! what one entry changed.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, SecondsFormat, Utc};
use novi_client::{ActivationId, AuditTarget, FlagId};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{blocking, resource, writer};
use crate::error::ApiError;

/// The largest page.
const MAX_LIMIT: u32 = 500;
const DEFAULT_LIMIT: u32 = 50;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/audit")
            .route(web::get().to(audit))
            .route(web::head().to(audit)),
    )
    .service(resource("/audit/{id}/revert").route(web::post().to(revert_entry)));
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Page {
    /// Entries older than this id.
    before: Option<i32>,
    limit: Option<u32>,
    /// Only the entries of the flag with this id.
    flag: Option<i32>,
    /// Only the entries of the activation with this id.
    activation: Option<i32>,
}

impl Page {
    /// Whose entries: a flag's, an activation's (not both), or everyone's.
    fn target(&self) -> Result<Option<AuditTarget>, ApiError> {
        match (self.flag, self.activation) {
            (Some(_), Some(_)) => Err(ApiError::BadRequest(
                "give `flag` or `activation`, not both".into(),
            )),
            (Some(id), None) => Ok(Some(AuditTarget::Flag(FlagId(id)))),
            (None, Some(id)) => Ok(Some(AuditTarget::Activation(ActivationId(id)))),
            (None, None) => Ok(None),
        }
    }

    /// The query string of the filter, for the next page's link.
    fn filter_query(&self) -> String {
        match (self.flag, self.activation) {
            (Some(id), _) => format!("&flag={id}"),
            (None, Some(id)) => format!("&activation={id}"),
            (None, None) => String::new(),
        }
    }
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
    let target = page.target()?;
    let client = super::database(&req)?.clone();
    let before = page.before;
    let entries = blocking(move || client.audit_log_of(target, before, limit)).await?;
    let next = (entries.len() == limit as usize)
        .then(|| entries.last())
        .flatten()
        .map(|last| {
            format!(
                "/audit?before={}&limit={limit}{}",
                last.id,
                page.filter_query()
            )
        });
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

/// Reverts one entry (`Client::revert`): `{"reverted": id, "target": {kind, id, name}, "state":
/// the target's state now, as the log records states, or null when the revert deleted it}`.
async fn revert_entry(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let raw = req.match_info().get("id").unwrap_or_default();
    let entry: i32 = raw.parse().map_err(|_| {
        ApiError::BadRequest(format!(
            "`{raw}` is not an audit entry id (an integer from -2147483648 to 2147483647)"
        ))
    })?;
    let client = writer(&req)?;
    let reverted = blocking(move || client.revert(entry)).await?;
    let (kind, id) = match reverted.target() {
        AuditTarget::Flag(id) => ("flag", id.0),
        AuditTarget::Activation(id) => ("activation", id.0),
    };
    Ok(HttpResponse::Ok().json(json!({
        "reverted": entry,
        "target": { "kind": kind, "id": id, "name": reverted.name() },
        "state": state_json(reverted.state()),
    })))
}

//! `/evaluatedFlags`: flags evaluated for the context in the body (Python Novi's routes).
//! Evaluation reads the snapshot only.

use actix_web::{HttpRequest, HttpResponse, web};
use novi_client::{Evaluation, Reason};

use super::{flag_name, parse_context, read_body, resource, state};
use crate::{
    error::ApiError,
    render::{self, Outcome, json_list},
};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/evaluatedFlags").route(web::post().to(evaluate_all)))
        .service(resource("/evaluatedFlags/{name}").route(web::post().to(evaluate_flag)));
}

/// A context value an activation could not use is the caller's mistake: a 400 naming the key.
fn check(flag: &str, evaluation: &Evaluation) -> Result<(), ApiError> {
    match &evaluation.reason {
        Reason::EvaluationError { error, .. } => Err(ApiError::InvalidContext {
            message: format!("flag `{flag}`: {error}"),
            key: error.key().to_owned(),
            flag: flag.to_owned(),
        }),
        _ => Ok(()),
    }
}

async fn evaluate_all(req: HttpRequest, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    let ctx = parse_context(&read_body(&req, payload).await?)?;
    let state = state(&req)?;
    let stored = state.stored_json();
    let counts = state.metrics.aligned(stored.snapshot());
    let mut outcomes = Vec::with_capacity(stored.len());
    let expose = state.flags.records_exposures();
    for (i, (flag, evaluation)) in stored.snapshot().evaluate_all(&ctx).enumerate() {
        if let Some(counts) = counts.flag(i) {
            counts.count(&evaluation);
        }
        if expose {
            state
                .flags
                .expose(flag, &ctx, evaluation.variant.as_deref());
        }
        check(&flag.name, &evaluation)?;
        outcomes.push(Outcome::from(evaluation));
    }
    // The evaluated part of a flag takes 60 to 100 bytes, more with a variant.
    let estimate = stored.stored_len() + 100 * stored.len();
    Ok(json_list(outcomes.len(), estimate, move |i, out| {
        out.extend_from_slice(stored.stored(i));
        outcomes[i].push(out);
    }))
}

async fn evaluate_flag(req: HttpRequest, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    let name = flag_name(&req)?;
    let ctx = parse_context(&read_body(&req, payload).await?)?;
    let state = state(&req)?;
    let snapshot = state.snapshot();
    let (flag, evaluation) = snapshot
        .evaluate_with_record(&name, &ctx)
        .ok_or_else(|| ApiError::NotFound(format!("flag `{name}` does not exist")))?;
    state.metrics.evaluated(&name, &evaluation);
    check(&name, &evaluation)?;
    state
        .flags
        .expose(flag, &ctx, evaluation.variant.as_deref());
    Ok(HttpResponse::Ok()
        .content_type("application/json")
        .body(render::evaluated_flag(flag, &evaluation)))
}

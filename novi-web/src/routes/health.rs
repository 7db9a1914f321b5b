//! `/health`, for load balancers and probes (open to everyone), and `/metrics`, for
//! Prometheus (a read route: client tokens apply).

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::{resource, state};
use crate::error::ApiError;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/health")
            .route(web::get().to(health))
            .route(web::head().to(health)),
    )
    .service(
        resource("/metrics")
            .route(web::get().to(metrics))
            .route(web::head().to(metrics)),
    );
}

/// Every counter, in Prometheus' text exposition format.
async fn metrics(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let state = state(&req)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(&state.flags, state.streams_open())))
}

/// `200 {"status": "ok", …}` while the snapshot refreshes; `503 {"status": "degraded", …}`
/// when the latest refresh failed (evaluations still answer from the last snapshot). It names
/// the version and where the flags come from (`sqlite`, `postgres`, `mysql` or `relay`); a
/// relay adds its upstream and how it follows it.
async fn health(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let flags = &state(&req)?.flags;
    let snapshot = flags.snapshot();
    let age = flags.snapshot_age().as_secs_f64();
    let degraded = flags.refresh_failing();
    let mut body = json!({
        "status": if degraded { "degraded" } else { "ok" },
        "snapshot_age_seconds": (age * 1000.0).round() / 1000.0,
        "flags": snapshot.len(),
        "revision": snapshot.revision().to_string(),
        "version": env!("CARGO_PKG_VERSION"),
        "backend": match flags.database().map(|client| client.backend()) {
            Some(novi_client::Backend::Sqlite) => "sqlite",
            Some(novi_client::Backend::Postgres) => "postgres",
            Some(novi_client::Backend::Mysql) => "mysql",
            None => "relay",
        },
    });
    if let Some((url, upstream)) = flags.upstream() {
        body["upstream"] = json!({"url": url, "state": upstream.as_str()});
    }
    Ok(if degraded {
        HttpResponse::ServiceUnavailable().json(body)
    } else {
        HttpResponse::Ok().json(body)
    })
}

//! `GET /snapshot`: every stored flag, activation and link as the snapshot document
//! (`novi_snapshot::document`, format `novi-snapshot/1`), which remote clients and relays
//! evaluate from. Its strong `ETag` is the revision, so a client that has it gets a 304; the
//! document is rendered once per revision and shared by every request.

use actix_web::{
    HttpRequest, HttpResponse,
    http::header::{self, CacheControl, CacheDirective},
    web::{self, Bytes},
};

use super::{if_none_match, resource, state};
use crate::error::ApiError;

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/snapshot")
            .route(web::get().to(snapshot))
            .route(web::head().to(snapshot)),
    );
}

/// The document text, shared with the snapshot that rendered it.
struct Document(std::sync::Arc<str>);

impl AsRef<[u8]> for Document {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

async fn snapshot(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let snapshot = state(&req)?.snapshot();
    let etag = format!("\"{}\"", snapshot.revision());
    // Caches may keep it, but must ask each time whether it is still current.
    let cache = CacheControl(vec![CacheDirective::NoCache]);
    if if_none_match(&req, &etag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header(cache)
            .finish());
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::ETAG, etag))
        .insert_header(cache)
        .content_type("application/json")
        .body(Bytes::from_owner(Document(snapshot.document()))))
}

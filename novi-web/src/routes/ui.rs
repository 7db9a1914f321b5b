//! The admin UI: static files embedded in the binary (`novi-web/ui/`), served under `/ui/`, with
//! `/` and `/ui` sending browsers there. The files are public; every call they make to the JSON
//! API needs what that route needs (the admin token, when one is set, is typed into the page and
//! kept in the tab's session storage).
//!
//! Every answer carries a Content-Security-Policy that allows scripts, styles and connections
//! only from this server (no inline script, no `eval`), refuses framing, and says
//! `X-Content-Type-Options: nosniff`.

use std::{
    hash::{DefaultHasher, Hash, Hasher},
    sync::OnceLock,
};

use actix_web::{HttpRequest, HttpResponse, http::header, web};

use super::{if_none_match, resource};
use crate::error::ApiError;

/// The policy of every UI answer: nothing from elsewhere, nothing inline, no framing.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; \
     form-action 'self'; frame-ancestors 'none'";

/// An embedded file: its name under `/ui/`, its media type, its bytes.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $content_type:expr) => {
        Asset {
            name: $name,
            content_type: $content_type,
            bytes: include_bytes!(concat!("../../ui/", $name)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file of the UI (a test checks that this is exactly the folder's content).
const ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("dom.js", JS),
    asset!("live.js", JS),
    asset!("render.js", JS),
    asset!("store.js", JS),
    asset!("switch.js", JS),
    asset!("view-flags.js", JS),
    asset!("view-flag.js", JS),
    asset!("view-activations.js", JS),
    asset!("view-evaluate.js", JS),
    asset!("view-experiments.js", JS),
    asset!("view-history.js", JS),
    asset!("view-status.js", JS),
];

/// The entity tag of each asset, in [`ASSETS`] order: a hash of its bytes.
fn etags() -> &'static [String] {
    static ETAGS: OnceLock<Vec<String>> = OnceLock::new();
    ETAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|asset| {
                let mut hasher = DefaultHasher::new();
                asset.bytes.hash(&mut hasher);
                format!("\"{:016x}\"", hasher.finish())
            })
            .collect()
    })
}

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/")
            .route(web::get().to(to_ui))
            .route(web::head().to(to_ui)),
    )
    .service(
        resource("/ui")
            .route(web::get().to(to_ui))
            .route(web::head().to(to_ui)),
    )
    .service(
        resource("/ui/")
            .route(web::get().to(index))
            .route(web::head().to(index)),
    )
    .service(
        resource("/ui/{file}")
            .route(web::get().to(file))
            .route(web::head().to(file)),
    );
}

/// `/` and `/ui`: to `/ui/`.
async fn to_ui() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/ui/"))
        .finish()
}

async fn index(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    serve(&req, "index.html")
}

async fn file(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let name = req.match_info().get("file").unwrap_or_default().to_owned();
    serve(&req, &name)
}

/// The asset `name`, or 404 (JSON, as for any unknown path).
fn serve(req: &HttpRequest, name: &str) -> Result<HttpResponse, ApiError> {
    let Some(at) = ASSETS.iter().position(|asset| asset.name == name) else {
        return Err(ApiError::NotFound(format!("the UI has no file `{name}`")));
    };
    let (asset, etag) = (&ASSETS[at], &etags()[at]);
    let unchanged = if_none_match(req, etag);
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        // Revalidated on every load: a new binary serves its own UI at once.
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::ETAG, etag.as_str()));
    if unchanged {
        return Ok(response.finish());
    }
    Ok(response.content_type(asset.content_type).body(asset.bytes))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn every_file_of_the_ui_folder_is_served_and_nothing_else() {
        let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/ui");
        let on_disk: BTreeSet<String> = std::fs::read_dir(folder)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        let served: BTreeSet<String> = ASSETS.iter().map(|a| a.name.to_owned()).collect();
        assert_eq!(on_disk, served);
    }

    #[test]
    fn no_page_holds_inline_script_or_style() {
        let index = std::str::from_utf8(ASSETS[0].bytes).unwrap();
        for script in index.split("<script").skip(1) {
            let tag = script.split('>').next().unwrap();
            assert!(tag.contains("src="), "an inline script: <script{tag}>");
        }
        for asset in ASSETS {
            let text = String::from_utf8_lossy(asset.bytes);
            assert!(!text.contains("innerHTML"), "{} sets innerHTML", asset.name);
            assert!(
                !text.contains(" style="),
                "{} has an inline style",
                asset.name
            );
            assert!(!text.contains("eval("), "{} calls eval", asset.name);
        }
    }
}

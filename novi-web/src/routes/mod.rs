//! The routes, and what every handler shares: reading bodies with a limit, parsing JSON, and
//! JSON answers for unknown routes and wrong methods.

mod activations;
mod audit;
mod evaluated;
mod events;
mod experiments;
mod flags;
mod health;
mod ofrep;
mod snapshot;
mod stream;
mod ui;

use std::time::Instant;

use actix_web::{
    HttpMessage, HttpRequest, HttpResponse, Resource,
    body::MessageBody,
    dev::{ServiceFactory, ServiceRequest, ServiceResponse},
    http::header,
    middleware::from_fn,
    web::{self, Bytes},
};
use novi_client::Context;
use novi_core::ContextError;
use percent_encoding::percent_decode_str;
use serde::de::DeserializeOwned;

use crate::{
    auth::{self, Caller},
    error::ApiError,
    state::AppState,
};

/// The largest request body the server reads.
pub const BODY_LIMIT: usize = 1 << 20;

/// Who may call a route. Where no token of the kind a route needs is configured, the route is
/// open: reads without client tokens, writes without an admin token (on loopback only, unless
/// the server was told otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Access {
    /// Anyone (`/health`, and `OPTIONS` on every route).
    Open,
    /// A client or an admin token: reading and evaluating.
    Read,
    /// An admin token: writing, and the audit log.
    Admin,
    /// A client or an admin token, whenever the server has any token: reporting events
    /// (`POST /events`), which stores data but changes no flag.
    Ingest,
}

/// A route: its path pattern, and the methods it answers with who may call each. `HEAD` is
/// answered, with `GET`'s access, wherever `GET` is; `OPTIONS` everywhere, open to all.
#[derive(Debug)]
pub struct Route {
    /// The path pattern, as actix-web and `openapi.yaml` write it (`/flags/{name}`).
    pub path: &'static str,
    /// Each method and its access.
    pub methods: &'static [(&'static str, Access)],
}

impl Route {
    /// Who may call the route with `method`; `None` when the route does not answer it.
    pub fn access(&self, method: &str) -> Option<Access> {
        let method = if method == "HEAD" { "GET" } else { method };
        if method == "OPTIONS" {
            return Some(Access::Open);
        }
        self.methods
            .iter()
            .find(|(declared, _)| *declared == method)
            .map(|(_, access)| *access)
    }

    /// The `Allow` header: the methods in table order, `HEAD` after `GET`, then `OPTIONS`.
    pub fn allow(&self) -> String {
        self.allow_where(|_| true)
    }

    /// The `Allow` header for the methods whose access `keep` accepts (and `OPTIONS`).
    fn allow_where(&self, keep: impl Fn(Access) -> bool) -> String {
        let mut allow = String::new();
        for (method, _) in self.methods.iter().filter(|(_, access)| keep(*access)) {
            allow.push_str(method);
            allow.push_str(if *method == "GET" { ", HEAD, " } else { ", " });
        }
        allow.push_str("OPTIONS");
        allow
    }
}

/// Every route, the methods it answers, and who may call each. The application registers a
/// resource only through this table (an unlisted path cannot be served), the guard decides
/// access from the entry of the route that matched (never from the raw path), and
/// `openapi.yaml` describes exactly these routes; tests keep the three in step.
pub const ROUTES: &[Route] = &[
    route("/flags", &[("GET", Access::Read), ("POST", Access::Admin)]),
    route(
        "/flags/{name}",
        &[
            ("GET", Access::Read),
            ("PUT", Access::Admin),
            ("DELETE", Access::Admin),
        ],
    ),
    route("/evaluatedFlags", &[("POST", Access::Read)]),
    route("/evaluatedFlags/{name}", &[("POST", Access::Read)]),
    route(
        "/activations",
        &[("GET", Access::Read), ("POST", Access::Admin)],
    ),
    route("/activations/classes", &[("GET", Access::Read)]),
    route(
        "/activations/{id}",
        &[
            ("GET", Access::Read),
            ("PUT", Access::Admin),
            ("DELETE", Access::Admin),
        ],
    ),
    route("/audit", &[("GET", Access::Admin)]),
    route(
        "/experiments",
        &[("GET", Access::Read), ("POST", Access::Admin)],
    ),
    route(
        "/experiments/{id}",
        &[
            ("GET", Access::Read),
            ("PUT", Access::Admin),
            ("DELETE", Access::Admin),
        ],
    ),
    route("/experiments/{id}/results", &[("GET", Access::Read)]),
    route("/events", &[("POST", Access::Ingest)]),
    route("/audit/{id}/revert", &[("POST", Access::Admin)]),
    route("/health", &[("GET", Access::Open)]),
    route("/metrics", &[("GET", Access::Read)]),
    route("/ofrep/v1/evaluate/flags", &[("POST", Access::Read)]),
    route("/ofrep/v1/evaluate/flags/{key}", &[("POST", Access::Read)]),
    route("/snapshot", &[("GET", Access::Read)]),
    route("/stream", &[("GET", Access::Read)]),
    // The admin UI's files: public; the API calls they make need what each route needs.
    route("/", &[("GET", Access::Open)]),
    route("/ui", &[("GET", Access::Open)]),
    route("/ui/", &[("GET", Access::Open)]),
    route("/ui/{file}", &[("GET", Access::Open)]),
];

const fn route(path: &'static str, methods: &'static [(&'static str, Access)]) -> Route {
    Route { path, methods }
}

/// The route a request matched, put in its extensions by the guard: the metrics and the audit
/// log name requests by it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MatchedRoute(pub(crate) &'static Route);

impl MatchedRoute {
    /// The route `req` matched, if any.
    pub(crate) fn of(req: &HttpRequest) -> Option<&'static Route> {
        req.extensions()
            .get::<MatchedRoute>()
            .map(|matched| matched.0)
    }
}

/// Registers every route.
pub(crate) fn configure(cfg: &mut web::ServiceConfig) {
    flags::configure(cfg);
    evaluated::configure(cfg);
    events::configure(cfg);
    experiments::configure(cfg);
    activations::configure(cfg);
    audit::configure(cfg);
    health::configure(cfg);
    ofrep::configure(cfg);
    snapshot::configure(cfg);
    stream::configure(cfg);
    ui::configure(cfg);
}

/// Whether `If-None-Match` lists `etag` (or is `*`). Weak tags compare by their opaque part.
fn if_none_match(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == "*" || tag == etag)
}

/// The resource for `path`, guarded by the access its [`ROUTES`] entry declares. A path that
/// is not in the table is a bug that every test of the application finds at once.
fn resource(
    path: &'static str,
) -> Resource<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let route: &'static Route = ROUTES
        .iter()
        .find(|route| route.path == path)
        .unwrap_or_else(|| panic!("route {path} is registered but not declared in ROUTES"));
    web::resource(path)
        .default_service(web::to(move |req: HttpRequest| async move {
            // Reached only by a method the table declares and no handler serves: a bug.
            log::error!(
                "{} {} is declared but has no handler",
                req.method(),
                route.path
            );
            Err::<HttpResponse, _>(ApiError::Internal)
        }))
        .wrap(from_fn(move |req, next| auth::guard(route, req, next)))
}

/// The answer for any path that no route matches.
pub(crate) async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!(
        "no route for {} {}",
        req.method(),
        req.path()
    )))
}

/// The shared state, from the request.
fn state(req: &HttpRequest) -> Result<&AppState, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .map(|data| data.get_ref())
        .ok_or(ApiError::Internal)
}

/// The client acting for the caller: its writes are recorded in the audit log under the
/// caller's token label and the route (`POST /flags/{name}`).
fn writer(req: &HttpRequest) -> Result<novi_client::Client, ApiError> {
    let route = format!(
        "{} {}",
        req.method(),
        MatchedRoute::of(req).map_or("?", |route| route.path)
    );
    // The write timeout counts from now, not from when a blocking thread picks the write up.
    Ok(database(req)?
        .acting_as(&Caller::of(req), &route)
        .started_at(Instant::now()))
}

/// The database client; a relay has none, and answers that the request belongs upstream.
fn database(req: &HttpRequest) -> Result<&novi_client::Client, ApiError> {
    let flags = &state(req)?.flags;
    if let Some(client) = flags.database() {
        return Ok(client);
    }
    let upstream = flags.upstream().map_or("", |(url, _)| url).to_owned();
    let allow = MatchedRoute::of(req).map_or_else(
        || "OPTIONS".to_owned(),
        |route| route.allow_where(|access| access != Access::Admin),
    );
    Err(ApiError::Relay {
        method: req.method().to_string(),
        upstream,
        allow,
    })
}

/// Reads the body, refusing more than [`BODY_LIMIT`] bytes, and a body that has not arrived
/// whole within the server's body timeout (408, and the connection is closed): a client that
/// trickles a byte at a time cannot hold a connection and a worker's attention for long.
async fn read_body(req: &HttpRequest, payload: web::Payload) -> Result<Bytes, ApiError> {
    let timeout = state(req)?.body_timeout();
    match actix_web::rt::time::timeout(timeout, payload.to_bytes_limited(BODY_LIMIT)).await {
        Ok(Ok(Ok(bytes))) => Ok(bytes),
        Ok(Ok(Err(err))) => Err(ApiError::BadRequest(format!(
            "reading the request body: {err}"
        ))),
        Ok(Err(_)) => Err(ApiError::PayloadTooLarge { limit: BODY_LIMIT }),
        Err(_) => Err(ApiError::BodyTimeout { timeout }),
    }
}

/// An evaluation context from a body: empty means `{}`; otherwise it must be a JSON object.
/// The content type is not checked, as Python Novi's clients did not always send one.
/// Top-level numbers are kept as Python's `json` reads them (integers of any size, `1e400` as
/// `inf`; see `Context::from_json_slice`), so WeightedRandom seeds as Python Novi did.
fn parse_context(body: &[u8]) -> Result<Context, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Context::default());
    }
    Context::from_json_slice(body).map_err(|err| match err {
        ContextError::Json(err) => {
            ApiError::BadRequest(format!("the body is not valid JSON: {err}"))
        }
        other => ApiError::BadRequest(other.to_string()),
    })
}

/// A JSON request body of an authoring route.
fn parse_json<T: DeserializeOwned>(req: &HttpRequest, body: &[u8]) -> Result<T, ApiError> {
    if let Some(content_type) = req.headers().get(header::CONTENT_TYPE) {
        let content_type = content_type
            .to_str()
            .unwrap_or("an unreadable content type");
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if essence != "application/json" && !essence.ends_with("+json") {
            return Err(ApiError::UnsupportedMediaType(content_type.to_owned()));
        }
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::BadRequest(
            "the request body is empty; send a JSON object".into(),
        ));
    }
    // Serde reads a JSON array into a struct, as its fields in order; the bodies are objects.
    if body.trim_ascii_start().starts_with(b"[") {
        return Err(ApiError::BadRequest(
            "invalid request body: a JSON array, not an object".into(),
        ));
    }
    serde_json::from_slice(body)
        .map_err(|err| ApiError::BadRequest(format!("invalid request body: {err}")))
}

/// The flag name in the request path: its last segment, percent-decoded. The routes that take
/// a name (`{name}`, `{key}`) end with it, and it cannot hold an unencoded `/`. It is read from
/// the raw path, not the router's (which decodes lossily): bytes that are not UTF-8 are refused,
/// as a lossy decoding would turn them into another, real, name. A name with a NUL is answered
/// as not found before it reaches the database: no flag can have one (writes refuse control
/// characters), and PostgreSQL fails any query that holds one.
fn flag_name(req: &HttpRequest) -> Result<String, ApiError> {
    let raw = req.uri().path().rsplit('/').next().unwrap_or_default();
    let name = percent_decode_str(raw)
        .decode_utf8()
        .map_err(|_| ApiError::BadRequest("the flag name in the path is not valid UTF-8".into()))?
        .into_owned();
    if name.contains('\0') {
        return Err(novi_client::Error::FlagNotFound(name).into());
    }
    Ok(name)
}

/// Runs blocking client work (database writes) off the async workers.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, novi_client::Error> + Send + 'static,
) -> Result<T, ApiError> {
    match web::block(work).await {
        Ok(result) => result.map_err(ApiError::from),
        Err(err) => {
            log::error!("a blocking task failed: {err}");
            Err(ApiError::Internal)
        }
    }
}

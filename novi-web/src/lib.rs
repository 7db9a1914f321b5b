//! Novi's HTTP server: Python Novi's API (`/flags`, `/evaluatedFlags`), authoring of flags and
//! activations, and JSON errors for every client mistake.
//!
//! The `novi-web` binary is this library with the built-in activations. To serve your own
//! activations, build your own binary: name your activation crate and call [`run`].
//!
//! ```no_run
//! fn main() -> anyhow::Result<()> {
//!     env_logger::init();
//!     novi_activations::link();
//!     // my_activations::link(); // your own crate of activations
//!     novi_web::run(novi_web::Config::default())
//! }
//! ```
//!
//! [`app`] builds the actix-web application; the binary and the tests both use it.

#![deny(missing_docs)]

mod auth;
mod dto;
mod error;
mod flags;
mod hosts;
mod metrics;
mod render;
mod results;
mod routes;
mod server;
mod state;

pub use auth::{MIN_TOKEN_LEN, Token, TokenError, Tokens};
pub use error::ApiError;
pub use flags::Flags;
pub use hosts::AllowedHosts;
pub use routes::{Access, BODY_LIMIT, ROUTES, Route};
pub use server::{Config, DEFAULT_STALL_TIMEOUT, SAMPLE_DATA, connect, run, serve};
pub use state::{
    AppState, DEFAULT_BODY_TIMEOUT, DEFAULT_MAX_STREAMS, DEFAULT_STREAM_KEEP_ALIVE,
    DEFAULT_TARGETING_KEY,
};

use actix_web::{
    App, Error,
    body::MessageBody,
    dev::{ServiceFactory, ServiceRequest, ServiceResponse},
    middleware::{Condition, Logger, from_fn},
    web,
};

/// The application: every route, the JSON error answers, and, when the state asks for it
/// ([`AppState::with_access_log`]), one access-log line per request (at `info`, through the
/// `log` crate, target `novi_web::access`).
pub fn app(
    state: web::Data<AppState>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    let access_log = state.access_log;
    App::new()
        .app_data(state)
        .wrap(Condition::new(
            access_log,
            Logger::new(r#"%a "%r" %s %b %Dms"#).log_target("novi_web::access"),
        ))
        .wrap(from_fn(hosts::check))
        // Outermost: it counts every answer, the guard's 401s included.
        .wrap(from_fn(metrics::record))
        .configure(routes::configure)
        .default_service(web::to(routes::not_found))
}

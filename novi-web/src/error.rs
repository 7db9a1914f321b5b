//! `ApiError`: every error the server answers, as one JSON envelope.

use actix_web::{
    HttpResponse, ResponseError,
    http::{StatusCode, header},
};
use serde_json::{Map, Value, json};

/// Everything the server can answer with an error. Every body is a JSON object
/// `{"error": "<what went wrong, in words>", ...}` with extra keys where they help.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No route, flag or activation by that name.
    #[error("{0}")]
    NotFound(String),
    /// The route exists but not for this method.
    #[error("method {method} is not allowed on {path}; allowed: {allow}")]
    MethodNotAllowed {
        /// The method used.
        method: String,
        /// The path.
        path: String,
        /// The methods the route takes, for the `Allow` header.
        allow: String,
    },
    /// The request is malformed: not JSON, wrong shape or types, bad values.
    #[error("{0}")]
    BadRequest(String),
    /// A value of a written field is not acceptable (an empty name, say).
    #[error("{message}")]
    InvalidField {
        /// What is wrong, naming the field.
        message: String,
        /// The field of the request body (`name`, `class_name`).
        field: &'static str,
    },
    /// An event of a batch is not acceptable (nothing of the batch is stored).
    #[error("{message}")]
    InvalidEvent {
        /// What is wrong, naming the event's index and field.
        message: String,
        /// The event's position in the batch.
        index: usize,
        /// The field at fault.
        field: &'static str,
    },
    /// The context has a value that an activation cannot use.
    #[error("{message}")]
    InvalidContext {
        /// What is wrong, naming the key.
        message: String,
        /// The context key.
        key: String,
        /// The flag being evaluated.
        flag: String,
    },
    /// The request conflicts with what is stored: a duplicate name, a deletion of something in
    /// use.
    #[error("{0}")]
    Conflict(String),
    /// The request is well-formed but cannot be carried out: unknown activation ids, an
    /// activation that does not build.
    #[error("{message}")]
    Unprocessable {
        /// What is wrong.
        message: String,
        /// More, such as the registered activation classes.
        details: Map<String, Value>,
    },
    /// The route needs a token and none was sent.
    #[error("this route needs a token: send `Authorization: Bearer <token>`")]
    Unauthorized,
    /// The token sent is not valid, or not allowed on this route.
    #[error("{0}")]
    Forbidden(String),
    /// The body is larger than the limit.
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body did not arrive in time; the connection is closed.
    #[error("the request body did not arrive within {} s", timeout.as_secs_f64())]
    BodyTimeout {
        /// How long the server waited.
        timeout: std::time::Duration,
    },
    /// The body is not JSON.
    #[error("the request body must be JSON (Content-Type: application/json), not {0}")]
    UnsupportedMediaType(String),
    /// The request names a `Host` this server does not answer to (DNS rebinding).
    #[error(
        "this server does not answer to the host `{0}`; name it with --allowed-host to allow it"
    )]
    HostNotAllowed(String),
    /// The database cannot be reached; the detail is logged, not sent.
    #[error("the database is unavailable; try again later")]
    Unavailable,
    /// A write did not get its turn in time, and stored nothing.
    #[error("{0}")]
    Busy(String),
    /// A write (or the audit log) asked of a relay, which serves reads only.
    #[error(
        "this server is a relay of {upstream} and serves reads only: send {method} to {upstream}"
    )]
    Relay {
        /// The method used.
        method: String,
        /// The server to write to.
        upstream: String,
        /// The methods the route takes here, for the `Allow` header.
        allow: String,
    },
    /// A bug; the detail is logged, not sent.
    #[error("internal error")]
    Internal,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } | ApiError::Relay { .. } => {
                StatusCode::METHOD_NOT_ALLOWED
            }
            ApiError::BadRequest(_)
            | ApiError::InvalidField { .. }
            | ApiError::InvalidEvent { .. }
            | ApiError::InvalidContext { .. } => StatusCode::BAD_REQUEST,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::HostNotAllowed(_) => StatusCode::MISDIRECTED_REQUEST,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable | ApiError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut body = Map::new();
        body.insert("error".into(), Value::String(self.to_string()));
        match self {
            ApiError::InvalidContext { key, flag, .. } => {
                body.insert("key".into(), json!(key));
                body.insert("flag".into(), json!(flag));
            }
            ApiError::InvalidField { field, .. } => {
                body.insert("field".into(), json!(field));
            }
            ApiError::InvalidEvent { index, field, .. } => {
                body.insert("index".into(), json!(index));
                body.insert("field".into(), json!(field));
            }
            ApiError::Unprocessable { details, .. } => {
                body.extend(details.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
            ApiError::Relay { upstream, .. } => {
                body.insert("upstream".into(), json!(upstream));
            }
            _ => {}
        }
        let mut response = HttpResponse::build(self.status_code());
        match self {
            ApiError::MethodNotAllowed { allow, .. } | ApiError::Relay { allow, .. } => {
                response.insert_header((header::ALLOW, allow.as_str()));
            }
            ApiError::Unauthorized => {
                response.insert_header((header::WWW_AUTHENTICATE, r#"Bearer realm="novi""#));
            }
            ApiError::Unavailable => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            ApiError::Busy(_) => {
                response.insert_header((header::RETRY_AFTER, "1"));
            }
            // The rest of the body may still be on its way: the connection cannot be reused.
            ApiError::BodyTimeout { .. } => {
                response.force_close();
            }
            _ => {}
        }
        response.json(Value::Object(body))
    }
}

impl From<novi_client::Error> for ApiError {
    fn from(err: novi_client::Error) -> Self {
        use novi_client::Error as E;
        let message = err.to_string();
        match err {
            E::FlagNotFound(_)
            | E::ActivationNotFound(_)
            | E::AuditEntryNotFound(_)
            | E::ExperimentNotFound(_) => ApiError::NotFound(message),
            E::DuplicateExperimentName(_) => ApiError::Conflict(message),
            E::InvalidExperiment { field, .. } => ApiError::Unprocessable {
                message,
                details: Map::from_iter([("field".to_owned(), json!(field))]),
            },
            E::InvalidEvent { index, field, .. } => ApiError::InvalidEvent {
                message,
                index,
                field,
            },
            E::DuplicateFlagName(_) | E::StillReferenced { .. } | E::RevertConflict { .. } => {
                ApiError::Conflict(message)
            }
            E::UnreadableAuditEntry { entry, .. } => ApiError::Unprocessable {
                message,
                details: Map::from_iter([("entry".to_owned(), json!(entry))]),
            },
            // `field` names the part of the request body the error concerns, for forms.
            E::UnknownActivations(ids) => ApiError::Unprocessable {
                message,
                details: Map::from_iter([
                    (
                        "unknown_ids".to_owned(),
                        json!(ids.iter().map(|id| id.0).collect::<Vec<_>>()),
                    ),
                    ("field".to_owned(), json!("activations")),
                ]),
            },
            E::InvalidActivation(build_error) => {
                let mut details = Map::new();
                if let novi_core::BuildError::UnknownClass { registered, .. } = &build_error {
                    details.insert("registered".into(), json!(registered));
                    details.insert("field".into(), json!("class_name"));
                } else {
                    details.insert("field".into(), json!("config"));
                }
                ApiError::Unprocessable { message, details }
            }
            E::WouldBreak { id, .. } => ApiError::Unprocessable {
                message,
                details: Map::from_iter([
                    ("breaks".to_owned(), json!(id.0)),
                    ("field".to_owned(), json!("config")),
                ]),
            },
            E::UnbuildableLink { id, class_name, .. } => ApiError::Unprocessable {
                message,
                details: Map::from_iter([
                    ("activation".to_owned(), json!(id.0)),
                    ("class_name".to_owned(), json!(class_name)),
                    ("field".to_owned(), json!("activations")),
                ]),
            },
            E::InvalidInput { field, .. } => match field {
                "flag name" | "activation name" => ApiError::InvalidField {
                    message,
                    field: "name",
                },
                "class name" => ApiError::InvalidField {
                    message,
                    field: "class_name",
                },
                _ => ApiError::BadRequest(message),
            },
            E::WriteTimeout { .. } => ApiError::Busy(message),
            err if err.is_database_failure() => {
                log::error!("database failure: {err}");
                ApiError::Unavailable
            }
            err => {
                log::error!("unexpected client error: {err}");
                ApiError::Internal
            }
        }
    }
}

//! HTTP tests over the real app builder (`novi_web::app`), each on SQLite, PostgreSQL and
//! MariaDB (`novi_testing::db_test!`).

#![allow(clippy::unwrap_used, clippy::panic)]

mod audit;
mod auth;
mod authoring;
mod bad_input;
mod classes;
mod errors;
mod metrics;
mod ofrep;
mod openapi;
mod python_numbers;
mod python_routes;
mod snapshot;
mod ui;
mod writes;

use actix_http::Request;
use actix_web::{
    body::MessageBody,
    dev::{Service, ServiceResponse},
    http::{Method, StatusCode, header::HeaderMap},
    test, web,
};
use novi_client::Client;
use serde_json::Value;

pub use novi_testing::{TestDb, db_test};

/// A response: status, headers, the raw body, and the body parsed as JSON (`Null` if empty).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
    pub raw: String,
}

/// Runs an async test body on an actix runtime (handlers use its blocking pool for writes).
pub fn block_on<F: Future<Output = ()>>(test: F) {
    actix_web::rt::System::new().block_on(test);
}

/// The real application over `client`.
pub async fn init(
    client: Client,
) -> impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error> {
    init_state(novi_web::AppState::new(client)).await
}

/// The real application over `state`.
pub async fn init_state(
    state: novi_web::AppState,
) -> impl Service<Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error> {
    test::init_service(novi_web::app(web::Data::new(state))).await
}

/// Sends a prepared request.
pub async fn call<S, B>(app: &S, req: test::TestRequest) -> Answer
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let response = app.call(req.to_request()).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = actix_web::body::to_bytes(response.into_body())
        .await
        .ok()
        .unwrap_or_default();
    let raw = String::from_utf8(bytes.to_vec()).unwrap();
    let body = if raw.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&raw)
            .unwrap_or_else(|err| panic!("the body is not JSON ({err}): {raw}"))
    };
    Answer {
        status,
        headers,
        body,
        raw,
    }
}

/// `method path` with an optional JSON body (any bytes, labelled `application/json`).
pub fn request(method: Method, path: &str, body: Option<&[u8]>) -> test::TestRequest {
    let req = test::TestRequest::default().method(method).uri(path);
    match body {
        Some(body) => req
            .insert_header(("content-type", "application/json"))
            .set_payload(body.to_owned()),
        None => req,
    }
}

/// Sends `method path` with an optional JSON body.
pub async fn send<S, B>(app: &S, method: Method, path: &str, body: Option<&str>) -> Answer
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    call(app, request(method, path, body.map(str::as_bytes))).await
}

/// Asserts the status and that the body is a JSON error whose message contains `words`.
#[track_caller]
pub fn assert_error(answer: &Answer, status: u16, words: &str) {
    assert_eq!(answer.status.as_u16(), status, "{answer:?}");
    let message = answer.body["error"]
        .as_str()
        .unwrap_or_else(|| panic!("no error message: {answer:?}"));
    assert!(
        message.contains(words),
        "`{message}` does not contain `{words}`"
    );
    assert_eq!(
        answer
            .headers
            .get("content-type")
            .map(|v| v.to_str().unwrap()),
        Some("application/json")
    );
}

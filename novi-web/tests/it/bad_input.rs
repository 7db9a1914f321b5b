//! Bad input on every route: malformed JSON, wrong types, bodies over the limit, deep nesting,
//! 10,000-element arrays, odd names and ids in paths, bad query strings. Each case has its
//! exact status, and an error is a JSON object with an `error` message; no case gets a 5xx or
//! panics the app, and the same app serves normal requests afterwards.
//!
//! The write routes and `/audit` reach the database, so their cases run on every backend
//! (`db_test!`). Evaluation and the single-resource reads answer from the in-memory snapshot
//! and never touch the database, so their cases run on SQLite only.

use std::fmt::Display;

use actix_http::Request;
use actix_web::{
    body::MessageBody,
    dev::{Service, ServiceResponse},
    http::{
        Method,
        header::{CONTENT_TYPE, HeaderValue},
    },
    test::TestRequest,
};
use novi_testing::Backend;
use novi_web::BODY_LIMIT;
use serde_json::{Map, Value, json};

use crate::{Answer, TestDb, block_on, call, db_test, init, request, send};

/// One request of the matrix and the status it must be answered with.
struct Case {
    what: String,
    request: TestRequest,
    status: u16,
}

impl Case {
    fn new(
        method: &Method,
        path: &str,
        what: impl Display,
        body: Option<&[u8]>,
        status: u16,
    ) -> Case {
        let shown_path: String = path.chars().take(80).collect();
        Case {
            what: format!("{method} {shown_path}: {what}"),
            request: request(method.clone(), path, body),
            status,
        }
    }
}

/// Sends every case and checks each answer (see [`verdict`]); names every case that fails.
// Each case goes to the test output before it is sent, so that a panic (`call` refuses an
// answer that is not JSON) names it too.
#[allow(clippy::print_stderr)]
async fn check_all<S, B>(app: &S, cases: Vec<Case>)
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let n_cases = cases.len();
    let mut failures = Vec::new();
    for Case {
        what,
        request,
        status,
    } in cases
    {
        eprintln!("{what}");
        if let Err(problem) = verdict(&call(app, request).await, status) {
            failures.push(format!("{what}: {problem}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {n_cases} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The answer has exactly `status` and a JSON body, which for an error is an object with an
/// `error` message.
fn verdict(answer: &Answer, status: u16) -> Result<(), String> {
    let shown: String = answer.raw.chars().take(300).collect();
    if answer.status.as_u16() != status {
        return Err(format!("{} instead of {status}: {shown}", answer.status));
    }
    let content_type = answer.headers.get(CONTENT_TYPE);
    if content_type.is_none_or(|value| value != "application/json") {
        return Err(format!("content type {content_type:?}: {shown}"));
    }
    if status >= 400 && !answer.body["error"].is_string() {
        return Err(format!("no `error` message: {shown}"));
    }
    Ok(())
}

/// The routes that read a flag body, each on a flag that exists so that only the body is
/// wrong. The two statuses of [`FLAG_BODIES`] are for these, in this order.
const FLAG_WRITES: [(Method, &str); 2] =
    [(Method::POST, "/flags"), (Method::PUT, "/flags/Combo%20OR")];

/// The same for activation bodies and [`ACTIVATION_BODIES`]. Activation 4 is the sample's
/// `OrActivation` of 1 and 2.
const ACTIVATION_WRITES: [(Method, &str); 2] = [
    (Method::POST, "/activations"),
    (Method::PUT, "/activations/4"),
];

/// The routes that read an evaluation context. The two statuses of [`CONTEXTS`] are for
/// these, in this order.
const EVALUATIONS: [(Method, &str); 2] = [
    (Method::POST, "/evaluatedFlags"),
    (Method::POST, "/evaluatedFlags/Combo%20OR"),
];

// A valid body of each kind, for [`SPOILED`] to spoil.
const FLAG_BODY: &str = r#"{"name": "x"}"#;
const ACTIVATION_BODY: &str = r#"{"name": "x", "class_name": "OrActivation", "config": "[1,2]"}"#;
const CONTEXT: &str = r#"{"seed": "x", "variant": "A"}"#;

/// Makes a valid JSON object body, which holds the string `"x"`, malformed.
type Spoil = fn(&str) -> Vec<u8>;

/// Ways to spoil a valid body: (what, spoil). Every route answers the result with 400.
#[rustfmt::skip]
const SPOILED: &[(&str, Spoil)] = &[
    ("truncated", |body| body[..body.len() / 2].into()),
    ("trailing garbage", |body| format!("{body} garbage").into()),
    ("two objects", |body| body.repeat(2).into()),
    ("a trailing comma", |body| format!("{},}}", &body[..body.len() - 1]).into()),
    ("single quotes", |body| body.replace('"', "'").into()),
    ("a comment", |body| format!("{{/* a comment */{}", &body[1..]).into()),
    ("a byte-order mark", |body| format!("\u{feff}{body}").into()),
    ("NaN for a string", |body| body.replacen(r#""x""#, "NaN", 1).into()),
    ("a lone surrogate escape", |body| body.replacen(r#""x""#, r#""\ud800""#, 1).into()),
    ("a string that is not UTF-8", |body| {
        let (head, tail) = body.split_once(r#""x""#).unwrap();
        [head.as_bytes(), b"\"\xC3\x28\"", tail.as_bytes()].concat()
    }),
    ("wrapped in an array", |body| format!("[{body}]").into()),
];

/// Bodies that are not one JSON object: (what, body, status on the write routes, status on the
/// evaluation routes).
#[rustfmt::skip]
const NOT_AN_OBJECT: &[(&str, &[u8], u16, u16)] = &[
    // An empty evaluation body is the empty context (Python Novi's clients often sent none).
    ("an empty body", b"", 400, 200),
    ("only whitespace", b" \r\n\t", 400, 200),
    ("bytes that are not UTF-8", b"\xFF\xFE", 400, 400),
    ("null", b"null", 400, 400),
    ("an empty array", b"[]", 400, 400),
    ("a string", br#""x""#, 400, 400),
    ("a number", b"1", 400, 400),
    ("true", b"true", 400, 400),
];

/// Flag bodies with a wrong field: (what, body, status on POST /flags, on PUT /flags/Combo OR).
#[rustfmt::skip]
const FLAG_BODIES: &[(&str, &str, u16, u16)] = &[
    ("name as a number", r#"{"name": 5}"#, 400, 400),
    ("name as an array", r#"{"name": ["x"]}"#, 400, 400),
    ("name as an object", r#"{"name": {"x": 1}}"#, 400, 400),
    ("name as a boolean", r#"{"name": true}"#, 400, 400),
    // A null field is an absent one: required on POST; on PUT it keeps the name (no change).
    ("name null", r#"{"name": null}"#, 400, 200),
    ("an empty name", r#"{"name": ""}"#, 400, 400),
    ("a name of spaces", r#"{"name": "   "}"#, 400, 400),
    ("a name with surrounding spaces", r#"{"name": " x "}"#, 400, 400),
    ("a name with NUL", r#"{"name": "a\u0000b"}"#, 400, 400),
    ("a name with a newline", r#"{"name": "a\nb"}"#, 400, 400),
    ("a name taken", r#"{"name": "Combo AND"}"#, 409, 409),
    ("status as a string", r#"{"name": "x", "status": "true"}"#, 400, 400),
    ("status as a number", r#"{"name": "x", "status": 1}"#, 400, 400),
    ("activations as a string", r#"{"name": "x", "activations": "1,2"}"#, 400, 400),
    ("activations as a number", r#"{"name": "x", "activations": 1}"#, 400, 400),
    ("activations as an object", r#"{"name": "x", "activations": {"1": true}}"#, 400, 400),
    ("activations of strings", r#"{"name": "x", "activations": ["1", "2"]}"#, 400, 400),
    ("activations of floats", r#"{"name": "x", "activations": [1.5]}"#, 400, 400),
    ("an activation id 1.0", r#"{"name": "x", "activations": [1.0]}"#, 400, 400),
    ("an activation id 1e300", r#"{"name": "x", "activations": [1e300]}"#, 400, 400),
    ("an activation id 2^31", r#"{"name": "x", "activations": [2147483648]}"#, 400, 400),
    ("an activation id -2^31-1", r#"{"name": "x", "activations": [-2147483649]}"#, 400, 400),
    ("an activation id null", r#"{"name": "x", "activations": [null]}"#, 400, 400),
    ("nested activations", r#"{"name": "x", "activations": [[1]]}"#, 400, 400),
    // In range, but no activation has them.
    ("an activation id -1", r#"{"name": "x", "activations": [-1]}"#, 422, 422),
    ("an activation id 2^31-1", r#"{"name": "x", "activations": [2147483647]}"#, 422, 422),
    ("an unknown field", r#"{"name": "x", "colour": "red"}"#, 400, 400),
    ("a duplicate field", r#"{"name": "x", "name": "y"}"#, 400, 400),
    // Serde would read an array as the fields in order; the API takes objects.
    ("the fields as an array", r#"["x", true, [1]]"#, 400, 400),
];

/// Activation bodies with a wrong field: (what, body, status on POST /activations, on
/// PUT /activations/4).
#[rustfmt::skip]
const ACTIVATION_BODIES: &[(&str, &str, u16, u16)] = &[
    ("no name", r#"{"class_name": "OrActivation", "config": "[1,2]"}"#, 400, 400),
    ("name null", r#"{"name": null, "class_name": "OrActivation", "config": "[1,2]"}"#, 400, 400),
    ("name as a number", r#"{"name": 5, "class_name": "OrActivation", "config": "[1,2]"}"#, 400, 400),
    ("an empty name", r#"{"name": "", "class_name": "OrActivation", "config": "[1,2]"}"#, 400, 400),
    ("a name with a tab", r#"{"name": "a\tb", "class_name": "OrActivation", "config": "[1,2]"}"#, 400, 400),
    ("a name with NUL", r#"{"name": "a\u0000b", "class_name": "OrActivation", "config": "[1,2]"}"#, 400, 400),
    ("class_name as an array", r#"{"name": "x", "class_name": ["OrActivation"], "config": "[1,2]"}"#, 400, 400),
    ("an empty class_name", r#"{"name": "x", "class_name": "", "config": "[1,2]"}"#, 400, 400),
    ("an unknown class_name", r#"{"name": "x", "class_name": "Nope", "config": "[1,2]"}"#, 422, 422),
    ("no config", r#"{"name": "x", "class_name": "OrActivation"}"#, 400, 400),
    // `config` may be any JSON value (stored as its JSON text), so these parse and then fail
    // to build: `OrActivation` wants a list of ids.
    ("config null", r#"{"name": "x", "class_name": "OrActivation", "config": null}"#, 422, 422),
    ("config as an object", r#"{"name": "x", "class_name": "OrActivation", "config": {"ids": [1, 2]}}"#, 422, 422),
    ("config as a number", r#"{"name": "x", "class_name": "OrActivation", "config": 12}"#, 422, 422),
    ("an empty config", r#"{"name": "x", "class_name": "OrActivation", "config": ""}"#, 422, 422),
    ("config text with NUL", r#"{"name": "x", "class_name": "OrActivation", "config": "[1,2]\u0000"}"#, 422, 422),
    ("config as truncated JSON", r#"{"name": "x", "class_name": "OrActivation", "config": "[1,"}"#, 422, 422),
    ("config of floats", r#"{"name": "x", "class_name": "OrActivation", "config": [1.5]}"#, 422, 422),
    ("config with an id 2^31", r#"{"name": "x", "class_name": "OrActivation", "config": [2147483648]}"#, 422, 422),
    ("config with an unknown id", r#"{"name": "x", "class_name": "OrActivation", "config": [99]}"#, 422, 422),
    ("a date config with a number", r#"{"name": "x", "class_name": "DateTimeActivation", "config": {"startDateTime": 5, "endDateTime": "2024", "format": "%Y"}}"#, 422, 422),
    ("an unknown field", r#"{"name": "x", "class_name": "OrActivation", "config": "[1,2]", "id": 9}"#, 400, 400),
    ("the fields as an array", r#"["x", "OrActivation", "[1,2]"]"#, 400, 400),
];

/// Contexts with a value an activation cannot use: (what, body, status on /evaluatedFlags, on
/// /evaluatedFlags/Combo OR). The sample's date activation reads `currentDateTime`, its
/// weighted random one `seed` and `variant`; `Combo OR` is the OR of the two.
#[rustfmt::skip]
const CONTEXTS: &[(&str, &str, u16, u16)] = &[
    ("currentDateTime as a number", r#"{"currentDateTime": 5}"#, 400, 400),
    ("currentDateTime null", r#"{"currentDateTime": null}"#, 400, 400),
    ("currentDateTime as an array", r#"{"currentDateTime": ["11/27/2023 12:00 AM"]}"#, 400, 400),
    ("an empty currentDateTime", r#"{"currentDateTime": ""}"#, 400, 400),
    ("currentDateTime that is no date", r#"{"currentDateTime": "yesterday"}"#, 400, 400),
    ("seed as an object", r#"{"seed": {}, "variant": "A"}"#, 400, 400),
    ("seed as an array", r#"{"seed": [1], "variant": "A"}"#, 400, 400),
    // Python Novi seeded from the OS for null (a random answer); Novi reads it as absent (off).
    ("seed null", r#"{"seed": null, "variant": "A"}"#, 200, 200),
    // Python Novi seeded its random draw with any number, string or boolean.
    ("seed 1e300", r#"{"seed": 1e300, "variant": "A"}"#, 200, 200),
    ("seed as a string", r#"{"seed": "x", "variant": "A"}"#, 200, 200),
    // A variant that is no string matches no variation: the flag is off, not an error.
    ("variant as a number", r#"{"seed": 1, "variant": 5}"#, 200, 200),
];

/// Flag names in paths, percent-encoded as a client must send them: (what, path segment,
/// status). None of them names a flag.
#[rustfmt::skip]
const NAMES: &[(&str, &str, u16)] = &[
    ("an encoded slash", "Combo%2FOR", 404),
    ("only encoded slashes", "%2F%2F", 404),
    ("an encoded path traversal", "..%2F..%2Fetc%2Fpasswd", 404),
    ("an encoded dot-dot", "%2E%2E", 404),
    ("an encoded percent sign", "100%25", 404),
    ("an unfinished escape", "Combo%2", 404),
    ("an escape that is not hex", "%ZZ", 404),
    ("an encoded NUL", "Combo%00OR", 404),
    ("an encoded newline", "Combo%0AOR", 404),
    ("an encoded question mark", "Combo%3FOR", 404),
    ("a plus for a space", "Combo+OR", 404),
    ("a trailing space", "Combo%20OR%20", 404),
    ("another case", "combo%20or", 404),
    ("an emoji", "%F0%9F%9A%A9", 404),
    ("a non-ASCII name", "%C3%BCber", 404),
    ("invalid UTF-8", "%FF", 400),
    ("an overlong encoding of a slash", "%C0%AF", 400),
    ("an encoded surrogate", "%ED%A0%80", 400),
    ("a truncated UTF-8 sequence", "%F0%9F%9A", 400),
];

/// Activation ids in paths: (what, path segment, status).
#[rustfmt::skip]
const IDS: &[(&str, &str, u16)] = &[
    ("2^31", "2147483648", 400),
    ("-2^31-1", "-2147483649", 400),
    ("twenty digits", "99999999999999999999", 400),
    ("not a number", "abc", 400),
    ("a float", "1.0", 400),
    ("an exponent", "1e3", 400),
    ("hexadecimal", "0x1", 400),
    ("an encoded space before", "%201", 400),
    ("an encoded NUL after", "1%00", 400),
    ("invalid UTF-8", "%FF", 400),
    ("an emoji", "%F0%9F%9A%A9", 400),
    // In range, but no activation has them.
    ("-1", "-1", 404),
    ("0", "0", 404),
    ("2^31-1", "2147483647", 404),
    ("unused", "99999", 404),
];

/// Paths near a route that no route matches.
#[rustfmt::skip]
const NO_ROUTE: &[(Method, &str)] = &[
    (Method::GET, "/flags/"),
    (Method::GET, "/flags/Combo%20OR/"),
    (Method::GET, "/flags/Combo/OR"),
    (Method::PUT, "/flags/Combo/OR"),
    (Method::DELETE, "/flags/Combo/OR"),
    (Method::POST, "/evaluatedFlags/"),
    (Method::POST, "/evaluatedFlags/Combo/OR"),
    (Method::GET, "/activations/"),
    (Method::GET, "/activations/1/2"),
    (Method::GET, "/%FF"),
    (Method::GET, "/flags%2FCombo%20OR"),
];

/// Query strings of `/audit`: (query, status).
#[rustfmt::skip]
const AUDIT_QUERIES: &[(&str, u16)] = &[
    ("limit=0", 400),
    ("limit=501", 400),
    ("limit=-1", 400),
    ("limit=abc", 400),
    ("limit=1.5", 400),
    ("limit=", 400),
    ("limit=99999999999999999999", 400),
    ("limit=%FF", 400),
    ("limit=1%00", 400),
    ("limit=1&limit=2", 400),
    ("before=abc", 400),
    ("before=", 400),
    ("before=2147483648", 400),
    ("colour=red", 400),
    // Valid cursors before every entry: an empty last page.
    ("before=-5", 200),
    ("before=-2147483648&limit=500", 200),
];

/// 100,000 levels of arrays or objects: far deeper than a parser may follow.
const DEEP: usize = 100_000;

/// `depth` times `open`, then `inner`, then `depth` times `close`.
fn nested(depth: usize, open: &str, inner: &str, close: &str) -> String {
    [open.repeat(depth), inner.to_owned(), close.repeat(depth)].concat()
}

/// `{"name": "xx…x"}`, exactly `len` bytes long.
fn padded(len: usize) -> String {
    format!(r#"{{"name": "{}"}}"#, "x".repeat(len - 12))
}

/// A JSON array of `n` numbers from `first` up, each repeated `times` in a row.
fn id_list(n: usize, first: usize, times: usize) -> String {
    let ids: Vec<String> = (0..n).map(|i| (first + i / times).to_string()).collect();
    format!("[{}]", ids.join(","))
}

/// Flag bodies too long, too deep or too large, the same on both flag routes.
fn large_flag_bodies() -> Vec<(&'static str, String, u16)> {
    vec![
        (
            "a name of 256 characters",
            json!({ "name": "x".repeat(256) }).to_string(),
            400,
        ),
        (
            "a name of 256 emoji",
            json!({ "name": "🚩".repeat(256) }).to_string(),
            400,
        ),
        (
            "100,000 nested activation lists",
            format!(
                r#"{{"name": "x", "activations": {}}}"#,
                nested(DEEP, "[", "1", "]")
            ),
            400,
        ),
        (
            "100,000 nested objects as the status",
            format!(
                r#"{{"name": "x", "status": {}}}"#,
                nested(DEEP, r#"{"a":"#, "1", "}")
            ),
            400,
        ),
        (
            "10,000 unknown activation ids",
            format!(
                r#"{{"name": "x", "activations": {}}}"#,
                id_list(10_000, 100_000, 1)
            ),
            422,
        ),
        (
            "10,000 activation ids, one of them unknown",
            format!(
                r#"{{"name": "x", "activations": {}}}"#,
                id_list(10_000, 1, 2_000)
            ),
            422,
        ),
    ]
}

/// Activation bodies too deep or too large, the same on both activation routes.
fn large_activation_bodies() -> Vec<(&'static str, String, u16)> {
    let body = |class: &str, config: String| {
        format!(r#"{{"name": "x", "class_name": "{class}", "config": {config}}}"#)
    };
    vec![
        (
            "config of 100,000 nested lists",
            body("OrActivation", nested(DEEP, "[", "1", "]")),
            400,
        ),
        // As text, the config reaches the activation's own parser, which must refuse it too.
        (
            "config text of 100,000 nested objects",
            body(
                "DateTimeActivation",
                format!(r#""{}""#, nested(DEEP, r#"{\"a\":"#, "1", "}")),
            ),
            422,
        ),
        (
            "config of 10,000 unknown members",
            body("OrActivation", id_list(10_000, 100_000, 1)),
            422,
        ),
    ]
}

/// The cases on the routes that read or write the database.
fn database_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (i, (method, path)) in FLAG_WRITES.iter().enumerate() {
        let table = FLAG_BODIES
            .iter()
            .map(|&(what, body, post, put)| (what, body.to_owned(), [post, put][i]));
        for (what, body, status) in table.chain(large_flag_bodies()) {
            cases.push(Case::new(method, path, what, Some(body.as_bytes()), status));
        }
    }
    for (i, (method, path)) in ACTIVATION_WRITES.iter().enumerate() {
        let table = ACTIVATION_BODIES
            .iter()
            .map(|&(what, body, post, put)| (what, body.to_owned(), [post, put][i]));
        for (what, body, status) in table.chain(large_activation_bodies()) {
            cases.push(Case::new(method, path, what, Some(body.as_bytes()), status));
        }
    }
    let valid_bodies = [FLAG_BODY, FLAG_BODY, ACTIVATION_BODY, ACTIVATION_BODY];
    for ((method, path), valid) in FLAG_WRITES
        .iter()
        .chain(&ACTIVATION_WRITES)
        .zip(valid_bodies)
    {
        for (what, spoil) in SPOILED {
            cases.push(Case::new(method, path, what, Some(&spoil(valid)), 400));
        }
        for &(what, body, status, _) in NOT_AN_OBJECT {
            cases.push(Case::new(method, path, what, Some(body), status));
        }
        let over = padded(BODY_LIMIT + 1);
        cases.push(Case::new(
            method,
            path,
            "a body one byte over the limit",
            Some(over.as_bytes()),
            413,
        ));
        // At the limit the body is read, and refused for what it says: a name too long, or
        // an activation without class and config.
        let at = padded(BODY_LIMIT);
        cases.push(Case::new(
            method,
            path,
            "a body at the limit",
            Some(at.as_bytes()),
            400,
        ));
        for content_type in [
            HeaderValue::from_static("text/plain"),
            HeaderValue::from_static("application/x-www-form-urlencoded"),
            HeaderValue::from_static("application/jsonx"),
            HeaderValue::from_bytes(b"application/\xFFjson").unwrap(),
        ] {
            let mut case = Case::new(
                method,
                path,
                format!("content type {content_type:?}"),
                Some(b"{}"),
                415,
            );
            case.request = case.request.insert_header((CONTENT_TYPE, content_type));
            cases.push(case);
        }
    }
    let long_name = "x".repeat(10_000);
    for &(what, name, status) in
        NAMES
            .iter()
            .chain(&[("a name of 10,000 characters", &*long_name, 404)])
    {
        let path = format!("/flags/{name}");
        cases.push(Case::new(
            &Method::PUT,
            &path,
            what,
            Some(br#"{"status": false}"#),
            status,
        ));
        cases.push(Case::new(&Method::DELETE, &path, what, None, status));
    }
    for &(what, id, status) in IDS {
        let path = format!("/activations/{id}");
        cases.push(Case::new(
            &Method::PUT,
            &path,
            what,
            Some(ACTIVATION_BODY.as_bytes()),
            status,
        ));
        cases.push(Case::new(&Method::DELETE, &path, what, None, status));
    }
    for &(query, status) in AUDIT_QUERIES {
        cases.push(Case::new(
            &Method::GET,
            &format!("/audit?{query}"),
            "a query",
            None,
            status,
        ));
    }
    cases
}

/// The cases on the routes that read the snapshot only.
fn snapshot_cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (i, (method, path)) in EVALUATIONS.iter().enumerate() {
        cases.push(Case::new(
            method,
            path,
            "the valid context to spoil",
            Some(CONTEXT.as_bytes()),
            200,
        ));
        for (what, spoil) in SPOILED {
            cases.push(Case::new(method, path, what, Some(&spoil(CONTEXT)), 400));
        }
        for &(what, body, _, status) in NOT_AN_OBJECT {
            cases.push(Case::new(method, path, what, Some(body), status));
        }
        for &(what, body, all, one) in CONTEXTS {
            cases.push(Case::new(
                method,
                path,
                what,
                Some(body.as_bytes()),
                [all, one][i],
            ));
        }
        for (what, body, status) in [
            (
                "a body one byte over the limit",
                padded(BODY_LIMIT + 1),
                413,
            ),
            // At the limit the body is read: a context with one long string.
            ("a body at the limit", padded(BODY_LIMIT), 200),
            ("100,000 nested arrays", nested(DEEP, "[", "", "]"), 400),
            ("100,000 unclosed arrays", "[".repeat(DEEP), 400),
            (
                "100,000 nested objects",
                nested(DEEP, r#"{"a":"#, "1", "}"),
                400,
            ),
            (
                "a value of 100,000 nested arrays",
                format!(r#"{{"seed": {}}}"#, nested(DEEP, "[", "1", "]")),
                400,
            ),
            ("a 10,000-element array", id_list(10_000, 1, 1), 400),
        ] {
            cases.push(Case::new(method, path, what, Some(body.as_bytes()), status));
        }
    }
    let long_name = "x".repeat(10_000);
    for &(what, name, status) in
        NAMES
            .iter()
            .chain(&[("a name of 10,000 characters", &*long_name, 404)])
    {
        cases.push(Case::new(
            &Method::GET,
            &format!("/flags/{name}"),
            what,
            None,
            status,
        ));
        cases.push(Case::new(
            &Method::POST,
            &format!("/evaluatedFlags/{name}"),
            what,
            Some(b"{}"),
            status,
        ));
    }
    for &(what, id, status) in IDS {
        cases.push(Case::new(
            &Method::GET,
            &format!("/activations/{id}"),
            what,
            None,
            status,
        ));
    }
    for (method, path) in NO_ROUTE {
        cases.push(Case::new(method, path, "no route", None, 404));
    }
    cases
}

/// The stored flag `Combo OR` and activation 4, which the matrix tries to change.
async fn combo_or<S, B>(app: &S) -> (Value, Value)
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let flag = send(app, Method::GET, "/flags/Combo%20OR", None).await;
    let activation = send(app, Method::GET, "/activations/4", None).await;
    assert_eq!(
        (flag.status.as_u16(), activation.status.as_u16()),
        (200, 200)
    );
    (flag.body, activation.body)
}

/// The app still answers normal requests: the sample flags, evaluations, health.
async fn assert_still_serving<S, B>(app: &S)
where
    S: Service<Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let flags = send(app, Method::GET, "/flags", None).await;
    assert_eq!(flags.status, 200, "{flags:?}");
    let names: Vec<&Value> = flags
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|f| &f["name"])
        .collect();
    assert_eq!(
        names[..4],
        [
            &json!("Date Activated Feature"),
            &json!("Random Variant Feature"),
            &json!("Combo AND"),
            &json!("Combo OR")
        ]
    );
    let on = send(
        app,
        Method::POST,
        "/evaluatedFlags/Combo%20OR",
        Some(r#"{"seed": 333, "variant": "A"}"#),
    )
    .await;
    assert_eq!(
        (on.status.as_u16(), &on.body["status"]),
        (200, &json!(true)),
        "{on:?}"
    );
    let all = send(app, Method::POST, "/evaluatedFlags", Some("{}")).await;
    assert_eq!(all.status, 200, "{all:?}");
    let health = send(app, Method::GET, "/health", None).await;
    assert_eq!(
        (health.status.as_u16(), &health.body["status"]),
        (200, &json!("ok"))
    );
}

db_test!(bad_writes_get_json_4xx_and_change_nothing, |db| {
    let client = db.sample_client();
    block_on(async {
        let app = init(client).await;
        let before = combo_or(&app).await;
        check_all(&app, database_cases()).await;
        assert_eq!(
            combo_or(&app).await,
            before,
            "a refused write changed something"
        );
        assert_still_serving(&app).await;
    });
});

db_test!(large_and_unusual_writes_that_are_valid, |db| {
    let client = db.sample_client();
    block_on(async {
        let app = init(client).await;
        // 10,000 ids that name two activations: each is linked once.
        let many = format!(
            r#"{{"name": "many", "activations": {}}}"#,
            id_list(10_000, 1, 5_000)
        );
        let created = send(&app, Method::POST, "/flags", Some(&many)).await;
        assert_eq!(created.status, 201, "{created:?}");
        assert_eq!(created.body["activations"].as_array().unwrap().len(), 2);
        let one = format!(r#"{{"activations": {}}}"#, id_list(10_000, 2, 10_000));
        let updated = send(&app, Method::PUT, "/flags/many", Some(&one)).await;
        assert_eq!(updated.status, 200, "{updated:?}");
        assert_eq!(updated.body["activations"].as_array().unwrap().len(), 1);

        // Names with slashes, percent signs, spaces, non-ASCII and 255 emoji, through their
        // `Location`, on every route that takes a name.
        for name in [
            "a/b",
            "../etc",
            "100% ü",
            "%2F",
            "🚩 flag",
            &"🚩".repeat(255),
        ] {
            let body = json!({ "name": name, "status": false }).to_string();
            let created = send(&app, Method::POST, "/flags", Some(&body)).await;
            assert_eq!(created.status, 201, "{name}: {created:?}");
            let location = created
                .headers
                .get("location")
                .unwrap()
                .to_str()
                .unwrap()
                .to_owned();
            let read = send(&app, Method::GET, &location, None).await;
            assert_eq!(
                (read.status.as_u16(), &read.body["name"]),
                (200, &json!(name)),
                "{location}"
            );
            let evaluate = format!("/evaluatedFlags{}", &location["/flags".len()..]);
            let evaluated = send(&app, Method::POST, &evaluate, None).await;
            assert_eq!(
                (evaluated.status.as_u16(), &evaluated.body["status"]),
                (200, &json!(false)),
                "{evaluate}"
            );
            let switched = send(&app, Method::PUT, &location, Some(r#"{"status": true}"#)).await;
            assert_eq!(
                (switched.status.as_u16(), &switched.body["status"]),
                (200, &json!(true)),
                "{location}"
            );
            assert_eq!(
                send(&app, Method::DELETE, &location, None).await.status,
                204,
                "{location}"
            );
        }

        // A cursor before the first entry: an empty last page.
        let page = send(&app, Method::GET, "/audit?before=-5", None).await;
        assert_eq!(
            (page.status.as_u16(), &page.body),
            (200, &json!({"entries": [], "next": null}))
        );
        assert_still_serving(&app).await;
    });
});

#[test]
fn bad_reads_and_evaluations_get_json_4xx() {
    // These routes answer from the snapshot in memory: the backend does not matter.
    let db = TestDb::new(Backend::Sqlite);
    let client = db.sample_client();
    block_on(async {
        let app = init(client).await;
        check_all(&app, snapshot_cases()).await;

        // A context of 10,000 keys is a context (the sample's activations read three of them):
        // 200, and the flags evaluated as for those three alone.
        let mut context: Map<String, Value> =
            (0..10_000).map(|i| (format!("key{i}"), json!(i))).collect();
        context.extend([
            ("seed".to_owned(), json!(333)),
            ("variant".to_owned(), json!("A")),
        ]);
        let context = Value::Object(context).to_string();
        let all = send(&app, Method::POST, "/evaluatedFlags", Some(&context)).await;
        assert_eq!(all.status, 200, "{all:?}");
        let statuses: Vec<&Value> = all
            .body
            .as_array()
            .unwrap()
            .iter()
            .map(|f| &f["status"])
            .collect();
        assert_eq!(
            statuses,
            [&json!(false), &json!(true), &json!(false), &json!(true)]
        );
        let one = send(
            &app,
            Method::POST,
            "/evaluatedFlags/Combo%20OR",
            Some(&context),
        )
        .await;
        assert_eq!(
            (one.status.as_u16(), &one.body["status"]),
            (200, &json!(true)),
            "{one:?}"
        );

        let health = send(&app, Method::GET, "/health?limit=abc&%FF=%00", None).await;
        assert_eq!(health.status, 200, "a query string on /health is ignored");
        assert_still_serving(&app).await;
    });
}

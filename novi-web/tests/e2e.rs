//! The real `novi-web` binary, started on an ephemeral port with `--sample-data`, over HTTP.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::path::Path;

use novi_testing::server::{Response, Spawned};
use serde_json::{Value, json};

#[test]
fn the_binary_serves_the_sample_flags_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let server = Spawned::start(
        Path::new(env!("CARGO_BIN_EXE_novi-web")),
        &[
            "--sample-data",
            "--bind",
            "127.0.0.1:0",
            "--workers",
            "2",
            "--access-log",
        ],
        dir.path(),
        &[],
    );
    assert!(
        dir.path().join("novi.db").exists(),
        "the default database is ./novi.db"
    );

    let flags = server.request("GET", "/flags", None);
    assert_eq!(flags.status, 200, "{flags:?}");
    let names: Vec<Value> = serde_json::from_str::<Value>(&flags.body)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].clone())
        .collect();
    assert_eq!(
        names,
        [
            json!("Date Activated Feature"),
            json!("Random Variant Feature"),
            json!("Combo AND"),
            json!("Combo OR")
        ]
    );

    let on = server.request(
        "POST",
        "/evaluatedFlags/Combo%20OR",
        Some(r#"{"seed": 333, "variant": "A"}"#),
    );
    assert_eq!(on.status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&on.body).unwrap()["status"],
        json!(true)
    );

    let created = server.request("POST", "/flags", Some(r#"{"name": "e2e", "status": true}"#));
    assert_eq!(created.status, 201, "{created:?}");
    let evaluated = server.request("POST", "/evaluatedFlags/e2e", None);
    assert_eq!(
        serde_json::from_str::<Value>(&evaluated.body).unwrap()["status"],
        json!(true)
    );

    let missing = server.request("GET", "/nope", None);
    assert_eq!(missing.status, 404);
    assert_eq!(
        serde_json::from_str::<Value>(&missing.body).unwrap()["error"],
        json!("no route for GET /nope")
    );

    let (status, log) = server.terminate();
    assert!(status.success(), "exit status {status}");
    let log = log.join("\n");
    assert!(
        log.contains(r#""GET /flags HTTP/1.1" 200"#),
        "one access-log line per request:\n{log}"
    );
    assert!(log.contains("novi-web stopped"), "{log}");
}

#[test]
fn a_second_start_keeps_the_data_and_does_not_reload_the_sample() {
    let dir = tempfile::tempdir().unwrap();
    let binary = Path::new(env!("CARGO_BIN_EXE_novi-web"));
    let first = Spawned::start(
        binary,
        &["--sample-data", "--bind", "127.0.0.1:0"],
        dir.path(),
        &[],
    );
    assert_eq!(
        first.request("DELETE", "/flags/Combo%20OR", None).status,
        204
    );
    let (status, log) = first.terminate();
    assert!(status.success());
    assert!(
        !log.join("\n").contains("DELETE /flags"),
        "no access log without --access-log:\n{log:?}"
    );

    let second = Spawned::start(
        binary,
        &["--sample-data", "--bind", "127.0.0.1:0"],
        dir.path(),
        &[],
    );
    let flags: Value = serde_json::from_str(&second.request("GET", "/flags", None).body).unwrap();
    assert_eq!(
        flags.as_array().unwrap().len(),
        3,
        "the sample data loads only into an empty database"
    );
}

#[test]
fn tokens_never_reach_the_log_or_the_help() {
    const ADMIN: &str = "admin-secret-e2e-0123456789";
    const CLIENT: &str = "client-secret-e2e-0123456789";
    let dir = tempfile::tempdir().unwrap();
    let binary = Path::new(env!("CARGO_BIN_EXE_novi-web"));
    let server = Spawned::start(
        binary,
        &[
            "--sample-data",
            "--bind",
            "127.0.0.1:0",
            "--access-log",
            "--client-token",
            &format!("reader={CLIENT}"),
        ],
        dir.path(),
        &[("NOVI_ADMIN_TOKEN", ADMIN), ("RUST_LOG", "trace")],
    );
    let flags = server.request_with(
        "GET",
        "/flags",
        None,
        &[("Authorization", &format!("Bearer {CLIENT}"))],
    );
    assert_eq!(flags.status, 200, "{flags:?}");
    let open = server.request("GET", "/flags", None);
    assert_eq!(open.status, 401, "{open:?}");
    let created = server.request_with(
        "POST",
        "/flags",
        Some(r#"{"name": "e2e"}"#),
        &[("Authorization", &format!("Bearer {ADMIN}"))],
    );
    assert_eq!(created.status, 201, "{created:?}");
    let wrong = server.request_with(
        "POST",
        "/flags",
        Some(r#"{"name": "e2e-2"}"#),
        &[("Authorization", &format!("Bearer {CLIENT}"))],
    );
    assert_eq!(wrong.status, 403, "{wrong:?}");
    let (status, log) = server.terminate();
    assert!(status.success());
    let log = log.join("\n");
    assert!(log.contains(r#""POST /flags HTTP/1.1" 201"#), "{log}");
    for secret in [ADMIN, CLIENT] {
        assert!(!log.contains(secret), "a token in the log:\n{log}");
    }

    let help = std::process::Command::new(binary)
        .arg("--help")
        .env("NOVI_ADMIN_TOKEN", ADMIN)
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("--admin-token"), "{help}");
    assert!(!help.contains(ADMIN), "{help}");
}

#[test]
fn a_short_token_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_novi-web"))
        .args(["--bind", "127.0.0.1:0", "--admin-token", "ops=hunter2"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the token labelled `ops` is shorter than 16 characters"),
        "{stderr}"
    );
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

/// Asserts `status` and a JSON body with an `error` message.
#[track_caller]
fn assert_json_error(answer: &Response, status: u16, what: &str) {
    let shown: String = answer.body.chars().take(300).collect();
    assert_eq!(answer.status, status, "{what}: {}\n{shown}", answer.headers);
    assert!(
        answer
            .headers
            .to_ascii_lowercase()
            .contains("\r\ncontent-type: application/json"),
        "{what}: {}",
        answer.headers
    );
    let body: Value = serde_json::from_str(&answer.body)
        .unwrap_or_else(|err| panic!("{what}: the body is not JSON ({err}): {shown}"));
    assert!(body["error"].is_string(), "{what}: {shown}");
}

#[test]
fn the_nastiest_requests_get_json_4xx_and_the_server_keeps_serving() {
    let dir = tempfile::tempdir().unwrap();
    let server = Spawned::start(
        Path::new(env!("CARGO_BIN_EXE_novi-web")),
        &["--sample-data", "--bind", "127.0.0.1:0", "--workers", "1"],
        dir.path(),
        &[],
    );
    let over_the_limit = format!(r#"{{"name": "{}"}}"#, "x".repeat(novi_web::BODY_LIMIT));
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep_config = format!(r#"{{"name": "x", "class_name": "OrActivation", "config": {deep}}}"#);
    let ids: Vec<String> = (100_000..110_000).map(|id| id.to_string()).collect();
    let unknown_ids = format!(r#"{{"name": "x", "activations": [{}]}}"#, ids.join(","));
    let array = format!("[{}]", ["1"; 10_000].join(","));
    for (method, path, body, status) in [
        ("POST", "/flags", over_the_limit.as_str(), 413),
        ("PUT", "/activations/4", &over_the_limit, 413),
        ("POST", "/evaluatedFlags", &over_the_limit, 413),
        ("POST", "/evaluatedFlags", &deep, 400),
        ("POST", "/activations", &deep_config, 400),
        ("POST", "/evaluatedFlags/Combo%20OR", &array, 400),
        ("POST", "/flags", &unknown_ids, 422),
        ("GET", "/flags/%FF%FE", "", 400),
        ("PUT", "/flags/Combo%00OR", r#"{"status": false}"#, 404),
        ("DELETE", "/activations/2147483648", "", 400),
        ("GET", "/audit?limit=99999999999999999999", "", 400),
    ] {
        let answer = server.request(method, path, Some(body));
        assert_json_error(&answer, status, &format!("{method} {path}"));
    }

    // A chunked body has no length to refuse up front: it is cut off at the limit.
    let chunk = format!("{:x}\r\n{}\r\n", 1 << 16, " ".repeat(1 << 16));
    let chunked = format!(
        "POST /evaluatedFlags HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n{}0\r\n\r\n",
        chunk.repeat(novi_web::BODY_LIMIT / (1 << 16) + 1)
    );
    assert_json_error(
        &server.raw_request(chunked.as_bytes()),
        413,
        "a chunked body over the limit",
    );
    // Bytes that are not UTF-8 (and not even ASCII) in the path itself: actix-http refuses the
    // request line before any route sees it, with a bare 400 and no body, which this server
    // cannot make JSON. It must still answer and go on serving.
    let raw_path = server.raw_request(
        b"GET /flags/\xFF\xFE HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(
        (raw_path.status, raw_path.body.as_str()),
        (400, ""),
        "{raw_path:?}"
    );

    let health = server.request("GET", "/health", None);
    assert_eq!(health.status, 200, "{health:?}");
    let on = server.request(
        "POST",
        "/evaluatedFlags/Combo%20OR",
        Some(r#"{"seed": 333, "variant": "A"}"#),
    );
    assert_eq!(
        (
            on.status,
            serde_json::from_str::<Value>(&on.body).unwrap()["status"].clone()
        ),
        (200, json!(true))
    );
    let (status, log) = server.terminate();
    assert!(status.success(), "exit status {status}");
    assert!(
        !log.iter().any(|line| line.contains("panicked")),
        "{}",
        log.join("\n")
    );
}

/// A request with the given `Host` header (and no body), sent raw.
fn with_host(server: &Spawned, method: &str, path: &str, host: &str, body: &str) -> Response {
    server.raw_request(
        format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    )
}

/// DNS rebinding: a page on `attacker.example` whose name resolves to 127.0.0.1 reaches a
/// loopback server with `Host: attacker.example`. Such requests are refused before anything
/// runs; loopback names and `--allowed-host` names are answered.
#[test]
fn a_loopback_server_answers_only_loopback_and_allowed_host_names() {
    let dir = tempfile::tempdir().unwrap();
    let server = Spawned::start(
        Path::new(env!("CARGO_BIN_EXE_novi-web")),
        &[
            "--sample-data",
            "--bind",
            "127.0.0.1:0",
            "--allowed-host",
            "flags.test",
        ],
        dir.path(),
        &[],
    );
    let port = server.port;
    let create = r#"{"name": "rebound", "status": true}"#;
    for host in [
        format!("attacker.example:{port}"),
        "attacker.example".to_owned(),
        format!("127.0.0.2:{port}"),
    ] {
        let refused = with_host(&server, "POST", "/flags", &host, create);
        assert_json_error(&refused, 421, &format!("POST with Host: {host}"));
        assert!(
            refused.body.contains("does not answer to the host"),
            "{refused:?}"
        );
        let read = with_host(&server, "GET", "/flags", &host, "");
        assert_json_error(&read, 421, &format!("GET with Host: {host}"));
    }
    let flags = with_host(&server, "GET", "/flags", &format!("localhost:{port}"), "");
    assert!(!flags.body.contains("rebound"), "{flags:?}");
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
        "flags.test".to_owned(),
        format!("FLAGS.TEST:{port}"),
    ] {
        let answer = with_host(&server, "GET", "/flags/Combo%20OR", &host, "");
        assert_eq!(answer.status, 200, "{host}: {answer:?}");
    }
}

/// A body that trickles in (a byte every half second of a declared 1,000) is answered 408 and
/// its connection closed once the body timeout passes, on every connection at once; the server
/// keeps serving others meanwhile.
#[test]
fn slow_bodies_are_answered_408_and_closed() {
    use std::{
        io::{Read, Write},
        net::TcpStream,
        time::{Duration, Instant},
    };

    let dir = tempfile::tempdir().unwrap();
    let server = Spawned::start(
        Path::new(env!("CARGO_BIN_EXE_novi-web")),
        &[
            "--sample-data",
            "--bind",
            "127.0.0.1:0",
            "--body-timeout",
            "2",
        ],
        dir.path(),
        &[],
    );
    let port = server.port;
    let paths = [
        "/evaluatedFlags",
        "/flags",
        "/ofrep/v1/evaluate/flags",
        "/activations",
    ];
    let tricklers: Vec<_> = (0..20)
        .map(|i| {
            let path = paths[i % paths.len()];
            std::thread::spawn(move || {
                let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
                stream
                    .write_all(
                        format!(
                            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
                        )
                        .as_bytes(),
                    )
                    .unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_millis(500)))
                    .unwrap();
                let started = Instant::now();
                let mut answer = Vec::new();
                let mut buf = [0u8; 4096];
                // At most 60 s: a server that never answers fails the test, never hangs it.
                while started.elapsed() < Duration::from_secs(60) {
                    match stream.read(&mut buf) {
                        Ok(0) => {
                            return (path, String::from_utf8_lossy(&answer).into_owned(), true);
                        }
                        Ok(n) => answer.extend_from_slice(&buf[..n]),
                        Err(_) => {}
                    }
                    // One more byte of the body, as long as the server will take it; a write
                    // refused after the server closed also means closed.
                    if stream.write_all(b" ").is_err() {
                        return (path, String::from_utf8_lossy(&answer).into_owned(), true);
                    }
                }
                (path, String::from_utf8_lossy(&answer).into_owned(), false)
            })
        })
        .collect();
    // Meanwhile other requests are answered.
    let health = server.request("GET", "/health", None);
    assert_eq!(health.status, 200, "{health:?}");
    for trickler in tricklers {
        let (path, answer, closed) = trickler.join().unwrap();
        assert!(answer.starts_with("HTTP/1.1 408 "), "POST {path}: {answer}");
        assert!(
            answer.contains("connection: close"),
            "POST {path}: {answer}"
        );
        assert!(
            answer.contains(r#""error":"the request body did not arrive within 2 s""#),
            "POST {path}: {answer}"
        );
        assert!(closed, "POST {path}: still open after 60 s");
    }
    let health = server.request("GET", "/health", None);
    assert_eq!(health.status, 200, "{health:?}");
}

/// The audit-log bypass, against the real binary: `/%61udit` is `/audit`, and needs its token.
#[test]
fn percent_encoded_paths_need_the_token_of_the_route_they_reach() {
    let dir = tempfile::tempdir().unwrap();
    let admin = "admin-secret-0123456789";
    let server = Spawned::start(
        Path::new(env!("CARGO_BIN_EXE_novi-web")),
        &["--sample-data", "--bind", "127.0.0.1:0"],
        dir.path(),
        &[("NOVI_ADMIN_TOKEN", admin)],
    );
    for path in ["/%61udit", "/aud%69t", "/%61udit?limit=1"] {
        let answer = server.request("GET", path, None);
        assert_json_error(&answer, 401, path);
        let bearer = format!("Bearer {admin}");
        let answer = server.request_with("GET", path, None, &[("Authorization", &bearer)]);
        assert_eq!(answer.status, 200, "{path}: {answer:?}");
    }
    let write = server.request("DELETE", "/%66lags/Combo%20OR", None);
    assert_json_error(&write, 401, "DELETE /%66lags/Combo%20OR");
}

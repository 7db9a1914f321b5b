//! A server binary started for a test on 127.0.0.1 with an ephemeral port, and a minimal
//! HTTP/1.1 client to talk to it.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    path::Path,
    process::{Child, Command, ExitStatus, Stdio},
    sync::mpsc,
    thread,
    time::{Duration, Instant},
};

/// A running server process, killed when dropped.
#[derive(Debug)]
pub struct Spawned {
    child: Child,
    /// The port it listens on.
    pub port: u16,
    log: mpsc::Receiver<String>,
}

/// One HTTP answer.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: String,
    pub body: String,
}

impl Spawned {
    /// Starts `program` with `args` in `dir`, and waits (at most 60 s) for the log line
    /// `listening on http://127.0.0.1:PORT`.
    pub fn start(program: &Path, args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Spawned {
        let mut command = Command::new(program);
        command
            .args(args)
            .current_dir(dir)
            .env("RUST_LOG", "info")
            .env_remove("NOVI_DATABASE_URL")
            .env_remove("DATABASE_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command
            .spawn()
            .unwrap_or_else(|err| panic!("starting {program:?}: {err}"));
        let stderr = child.stderr.take().unwrap();
        let (tx, log) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let port = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = log
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("{program:?} did not say where it listens within 60 s"));
            if let Some(rest) = line.split("listening on http://127.0.0.1:").nth(1) {
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                break digits.parse().unwrap();
            }
        };
        Spawned { child, port, log }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends one request and reads the whole answer.
    pub fn request(&self, method: &str, path: &str, body: Option<&str>) -> Response {
        self.request_with(method, path, body, &[])
    }

    /// Sends one request with extra headers and reads the whole answer.
    pub fn request_with(
        &self,
        method: &str,
        path: &str,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> Response {
        request_to(self.port, method, path, body, headers)
    }

    /// Sends `request` byte for byte and reads the whole answer (see [`raw_request_to`]).
    pub fn raw_request(&self, request: &[u8]) -> Response {
        raw_request_to(self.port, request)
    }

    /// Sends SIGTERM and waits (at most 30 s) for the process to exit; returns its status and
    /// the rest of its log.
    pub fn terminate(mut self) -> (ExitStatus, Vec<String>) {
        let killed = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not stop within 30 s of SIGTERM"
            );
            thread::sleep(Duration::from_millis(50));
        };
        let mut log = Vec::new();
        while let Ok(line) = self.log.recv_timeout(Duration::from_secs(5)) {
            log.push(line);
        }
        (status, log)
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends one request with extra headers to 127.0.0.1:`port` and reads the whole answer (for
/// threads, which cannot share a [`Spawned`]).
pub fn request_to(
    port: u16,
    method: &str,
    path: &str,
    body: Option<&str>,
    headers: &[(&str, &str)],
) -> Response {
    let extra: String = headers
        .iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    let body = body.unwrap_or("");
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    raw_request_to(port, &[head.as_bytes(), body.as_bytes()].concat())
}

/// Sends `request` to 127.0.0.1:`port` byte for byte, whatever it holds (bytes that are not
/// UTF-8, a malformed head, a chunked body), and reads the whole answer. A server may answer
/// and close before it has read all of a request (a body over its limit); the answer is read
/// all the same.
pub fn raw_request_to(port: u16, request: &[u8]) -> Response {
    use std::io::ErrorKind::{BrokenPipe, ConnectionReset};
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    if let Err(err) = stream.write_all(request) {
        assert!(
            matches!(err.kind(), BrokenPipe | ConnectionReset),
            "sending the request: {err}"
        );
    }
    let mut raw = Vec::new();
    if let Err(err) = stream.read_to_end(&mut raw) {
        assert!(
            err.kind() == ConnectionReset && !raw.is_empty(),
            "reading the answer: {err}"
        );
    }
    let raw = String::from_utf8(raw).expect("the answer is UTF-8");
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Response {
        status,
        headers: head.to_owned(),
        body: body.to_owned(),
    }
}

/// The resident size of process `pid`, in KiB (`VmRSS` of `/proc/PID/status`).
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no VmRSS in /proc/{pid}/status"))
}

/// The body of `response` as JSON; panics (with the response) when it is not.
pub fn json(response: &Response) -> serde_json::Value {
    serde_json::from_str(&response.body)
        .unwrap_or_else(|err| panic!("not JSON ({err}): {response:?}"))
}

/// Polls `check` every 5 ms until it holds, and returns how long that took; panics after
/// `limit`. For what other processes do in their own time (a refresh, a reconnection), with a
/// limit far above what it should take: tests assert that it happens, never how fast.
#[track_caller]
pub fn eventually(limit: Duration, what: &str, mut check: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !check() {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        thread::sleep(Duration::from_millis(5));
    }
    started.elapsed()
}

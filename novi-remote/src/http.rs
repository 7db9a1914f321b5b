//! The requests a remote client makes: `GET /snapshot` (with `If-None-Match`), `GET /stream`,
//! read one event at a time, and `POST /events` when it reports exposures and conversions.

use std::{
    io::{BufRead, BufReader, Read},
    time::Duration,
};

use novi_snapshot::revision::Revision;
use ureq::Agent;

use crate::error::Error;

/// The largest snapshot document read (a 100,000-flag document is about 20 MB).
pub(crate) const MAX_DOCUMENT: u64 = 256 << 20;

/// The longest line of an event stream read.
const MAX_LINE: usize = 64 << 10;

/// A server's base URL, its token, and an HTTP agent.
#[derive(Debug, Clone)]
pub(crate) struct Server {
    base: String,
    token: Option<String>,
    agent: Agent,
    /// How long a stream may stay silent before it is taken for dead (the server sends a
    /// keep-alive comment every 15 s by default).
    silence: Duration,
}

/// What `GET /snapshot` gave.
#[derive(Debug)]
pub(crate) enum Fetched {
    /// A new document.
    Document(Vec<u8>),
    /// The revision the client has is current (304).
    Unchanged,
}

impl Server {
    pub(crate) fn new(
        base: &str,
        token: Option<String>,
        timeout: Duration,
        silence: Duration,
    ) -> Result<Server, Error> {
        let base = base.trim_end_matches('/');
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(Error::Url {
                url: base.to_owned(),
            });
        }
        let agent: Agent = Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(timeout))
            .timeout_per_read(Some(timeout))
            .timeout_per_write(Some(timeout))
            .user_agent(concat!("novi-remote/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Server {
            base: base.to_owned(),
            token,
            agent,
            silence,
        })
    }

    /// The server's base URL.
    pub(crate) fn base(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn get(&self, path: &str) -> ureq::RequestBuilder<ureq::typestate::WithoutBody> {
        self.authorized(self.agent.get(self.url(path)))
    }

    fn authorized<B>(&self, request: ureq::RequestBuilder<B>) -> ureq::RequestBuilder<B> {
        match &self.token {
            Some(token) => request.header("Authorization", format!("Bearer {token}")),
            None => request,
        }
    }

    /// `GET /snapshot`, conditional on `known`.
    pub(crate) fn snapshot(&self, known: Option<Revision>) -> Result<Fetched, Error> {
        let url = self.url("/snapshot");
        let mut request = self.get("/snapshot");
        if let Some(known) = known {
            request = request.header("If-None-Match", format!("\"{known}\""));
        }
        let mut response = request.call().map_err(|err| unreachable(&url, &err))?;
        match response.status().as_u16() {
            200 => Ok(Fetched::Document(
                response
                    .body_mut()
                    .with_config()
                    .limit(MAX_DOCUMENT)
                    .read_to_vec()
                    .map_err(|err| unreachable(&url, &err))?,
            )),
            304 => Ok(Fetched::Unchanged),
            status => Err(status_error(&url, status, response.body_mut())),
        }
    }

    /// Opens `GET /stream`, resuming after `last` when given.
    pub(crate) fn stream(&self, last: Option<Revision>) -> Result<Events, Error> {
        let url = self.url("/stream");
        let mut request = self
            .get("/stream")
            .header("Accept", "text/event-stream")
            .config()
            .timeout_per_read(Some(self.silence))
            .build();
        if let Some(last) = last {
            request = request.header("Last-Event-ID", last.to_string());
        }
        let mut response = request.call().map_err(|err| unreachable(&url, &err))?;
        match response.status().as_u16() {
            200 => Ok(Events {
                url,
                reader: BufReader::new(Box::new(response.into_body().into_reader())),
            }),
            status => Err(status_error(&url, status, response.body_mut())),
        }
    }

    /// `POST /events` with `body` (`{"events": [...]}`), the whole request taking at most
    /// `within` when given (else the agent's timeouts apply).
    pub(crate) fn post_events(&self, body: &[u8], within: Option<Duration>) -> Result<(), Error> {
        let url = self.url("/events");
        let mut request = self
            .authorized(self.agent.post(&url))
            .header("Content-Type", "application/json");
        if within.is_some() {
            request = request.config().timeout_global(within).build();
        }
        let mut response = request.send(body).map_err(|err| unreachable(&url, &err))?;
        match response.status().as_u16() {
            200..=299 => {
                // Read to the end, so that the connection can serve the next batch.
                let _ = response.body_mut().with_config().limit(4096).read_to_vec();
                Ok(())
            }
            status => Err(status_error(&url, status, response.body_mut())),
        }
    }
}

/// An open event stream.
pub(crate) struct Events {
    url: String,
    reader: BufReader<Box<dyn Read + Send>>,
}

impl std::fmt::Debug for Events {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Events({})", self.url)
    }
}

impl Events {
    /// The next event's revision (its `id:`), skipping comments and events without one.
    /// An error when the stream ends, fails, or stays silent too long.
    pub(crate) fn next_revision(&mut self) -> Result<Revision, Error> {
        let mut id = None;
        let mut line = Vec::new();
        loop {
            line.clear();
            let read = (&mut self.reader)
                .take(MAX_LINE as u64)
                .read_until(b'\n', &mut line)
                .map_err(|err| Error::Unreachable {
                    url: self.url.clone(),
                    cause: err.to_string(),
                })?;
            if read == 0 {
                return Err(Error::Unreachable {
                    url: self.url.clone(),
                    cause: "the server closed the stream".to_owned(),
                });
            }
            let text = String::from_utf8_lossy(&line);
            let text = text.trim_end_matches(['\r', '\n']);
            if text.is_empty() {
                // The end of an event (or of a comment).
                if let Some(revision) = id.take() {
                    return Ok(revision);
                }
                continue;
            }
            if let Some(value) = text.strip_prefix("id:") {
                id = value.trim().parse::<Revision>().ok();
            }
        }
    }
}

fn unreachable(url: &str, err: &ureq::Error) -> Error {
    Error::Unreachable {
        url: url.to_owned(),
        cause: err.to_string(),
    }
}

fn status_error(url: &str, status: u16, body: &mut ureq::Body) -> Error {
    let text = body
        .with_config()
        .limit(4096)
        .read_to_string()
        .unwrap_or_default();
    let message = error_message(&text).unwrap_or(text);
    Error::Status {
        url: url.to_owned(),
        status,
        message,
    }
}

/// The `error` member of a JSON error body (Novi's errors are `{"error": "…"}`).
fn error_message(text: &str) -> Option<String> {
    let body: serde_json::Value = serde_json::from_str(text).ok()?;
    body.get("error")?.as_str().map(str::to_owned)
}

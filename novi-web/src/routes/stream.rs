//! `GET /stream`: server-sent events, one per new revision of the stored rows, so that
//! remote clients, relays and OFREP providers hear of a change as soon as this server has it.
//!
//! ```text
//! retry: 1000
//! id: 76b157f723fc1d52f931067a54a4e972
//! data: {"type":"refetchEvaluation","revision":"76b157f7…","etag":"\"76b157f7…\"","lastModified":1764670000}
//!
//! : keep-alive
//! ```
//!
//! The first event carries the current revision, unless the client's `Last-Event-ID` is that
//! revision already; a client whose `Last-Event-ID` is stale thus gets the current one at once
//! and misses nothing across reconnects. Then one event per new revision, with `id:` set to it;
//! a comment every keep-alive interval while nothing changes. The event is OFREP's
//! `refetchEvaluation` (ADR-0008: `etag` is the quoted revision, `lastModified` the snapshot's
//! load time in Unix seconds) with Novi's `revision` added, so one stream serves Novi's
//! clients and OFREP providers alike.
//!
//! Each client holds only the latest revision it has not sent (a `watch` receiver), never a
//! queue, so a slow client skips revisions and no client can grow the server's memory; a
//! client that stops reading altogether is dropped by the kernel's `TCP_USER_TIMEOUT` (see
//! `server.rs`). At most `--max-streams` clients are served at once; more get 503.

use std::{convert::Infallible, pin::pin, time::Duration};

use actix_web::{
    HttpRequest, HttpResponse,
    http::header::{CacheControl, CacheDirective},
    rt::time::timeout,
    web::{self, Bytes},
};
use futures_util::future::{Either, select};
use novi_client::Revision;
use tokio::sync::watch;

use super::{resource, state};
use crate::{error::ApiError, flags::Flags, state::StreamSlot};

pub(super) fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        resource("/stream")
            .route(web::get().to(stream))
            .route(web::head().to(stream)),
    );
}

async fn stream(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let state = state(&req)?;
    let slot = state.stream_slot().ok_or_else(|| {
        ApiError::Busy("this server serves as many event streams as it is allowed to".to_owned())
    })?;
    let closing = state.closing();
    if *closing.borrow() {
        return Err(ApiError::Unavailable);
    }
    let mut revisions = state.flags.subscribe();
    let current = *revisions.borrow_and_update();
    let known = req
        .headers()
        .get("last-event-id")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<Revision>().ok());
    let events = Events {
        flags: state.flags.clone(),
        revisions,
        closing,
        first: (known != Some(current)).then_some(current),
        keep_alive: state.stream_keep_alive(),
        started: false,
        _slot: slot,
    };
    let body = futures_util::stream::unfold(events, |mut events| async move {
        let chunk = events.next().await?;
        Some((Ok::<_, Infallible>(chunk), events))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(CacheControl(vec![CacheDirective::NoCache]))
        // Proxies such as nginx buffer responses unless told not to.
        .insert_header(("x-accel-buffering", "no"))
        .streaming(body))
}

/// One client's events.
struct Events {
    flags: Flags,
    revisions: watch::Receiver<Revision>,
    /// Turns `true` when the server stops.
    closing: watch::Receiver<bool>,
    /// The revision to send before waiting for changes.
    first: Option<Revision>,
    keep_alive: Duration,
    /// Whether the `retry:` line went out.
    started: bool,
    _slot: StreamSlot,
}

impl Events {
    /// The next chunk: an event, or a keep-alive comment after an idle interval; `None` when
    /// the server stops.
    async fn next(&mut self) -> Option<Bytes> {
        if let Some(revision) = self.first.take() {
            return Some(self.event(revision));
        }
        enum Next {
            Changed,
            Stop,
            Idle,
        }
        let next = {
            let changed = pin!(self.revisions.changed());
            let closing = pin!(self.closing.wait_for(|closing| *closing));
            match timeout(self.keep_alive, select(changed, closing)).await {
                Ok(Either::Left((Ok(()), _))) => Next::Changed,
                // The revisions' sender is gone, or the server is stopping.
                Ok(Either::Left((Err(_), _)) | Either::Right(_)) => Next::Stop,
                Err(_idle) => Next::Idle,
            }
        };
        match next {
            Next::Changed => {
                let revision = *self.revisions.borrow_and_update();
                Some(self.event(revision))
            }
            Next::Stop => None,
            Next::Idle => Some(Bytes::from_static(b": keep-alive\n\n")),
        }
    }

    fn event(&mut self, revision: Revision) -> Bytes {
        let last_modified = self
            .flags
            .snapshot()
            .loaded_at()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        let retry = if self.started { "" } else { "retry: 1000\n" };
        self.started = true;
        Bytes::from(format!(
            "{retry}id: {revision}\ndata: {{\"type\":\"refetchEvaluation\",\"revision\":\"{revision}\",\"etag\":\"\\\"{revision}\\\"\",\"lastModified\":{last_modified}}}\n\n"
        ))
    }
}

//! The JSON of flags, rendered straight into bytes.
//!
//! A flag's stored part, `{"activations":[…],"id":…,"name":…`, is the same for every request
//! until the snapshot changes, so [`StoredJson`] renders it once per snapshot and requests copy
//! it. Lists are answered by [`json_list`]: a short list as one body, a long one streamed in
//! chunks that are rendered as the socket drains, so a 10,000-flag answer is never held whole
//! in memory, however many clients ask at once.

use std::{
    convert::Infallible,
    pin::Pin,
    sync::Arc,
    task::{Context as TaskContext, Poll},
};

use actix_web::{
    HttpResponse,
    body::{BodySize, MessageBody},
    web::Bytes,
};
use novi_client::{ActivationId, Evaluation, FlagRecord, Reason, Snapshot};
use serde::Serialize;

use crate::dto::{ActivationDto, ReasonDto, VariantDto};

/// Up to about this many bytes, a list is rendered whole and sent as one body: streaming costs
/// a round through actix's dispatcher per chunk, which halved the throughput of a 300 KiB
/// answer on loopback (BENCHMARKS.md).
const WHOLE: usize = 1024 * 1024;

/// Beyond [`WHOLE`], a list streams in chunks of about this many bytes.
const CHUNK: usize = 32 * 1024;

/// Appends `value` as JSON. Writing into a `Vec` cannot fail, nor can serializing these DTOs
/// (strings, integers, booleans, and maps with string keys).
fn push_json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    if let Err(err) = serde_json::to_writer(&mut *out, value) {
        log::error!("rendering JSON: {err}");
    }
}

/// Appends a flag's stored part: `{"activations":[…],"id":…,"name":"…"` (no closing brace).
pub(crate) fn push_stored(out: &mut Vec<u8>, flag: &FlagRecord) {
    out.extend_from_slice(b"{\"activations\":");
    let activations: Vec<ActivationDto<'_>> = flag
        .activations
        .iter()
        .map(|a| ActivationDto::from(&**a))
        .collect();
    push_json(out, &activations);
    out.extend_from_slice(b",\"id\":");
    push_json(out, &flag.id.0);
    out.extend_from_slice(b",\"name\":");
    push_json(out, &flag.name);
}

/// Closes a stored flag (`GET /flags`): `,"status":…}`.
pub(crate) fn push_status(out: &mut Vec<u8>, status: bool) {
    out.extend_from_slice(if status {
        b",\"status\":true}"
    } else {
        b",\"status\":false}"
    });
}

/// Closes an evaluated flag: `,"reason":{…},"status":…,"variant":…}`.
pub(crate) fn push_evaluation(out: &mut Vec<u8>, evaluation: &Evaluation) {
    out.extend_from_slice(b",\"reason\":");
    push_json(out, &ReasonDto::from(&evaluation.reason));
    out.extend_from_slice(if evaluation.enabled {
        b",\"status\":true,\"variant\":"
    } else {
        b",\"status\":false,\"variant\":"
    });
    match evaluation.variant.as_deref() {
        Some(variant) => push_json(out, &VariantDto::from(variant)),
        None => out.extend_from_slice(b"null"),
    }
    out.push(b'}');
}

/// A stored flag as its own JSON answer body (`GET /flags/{name}`, writes).
pub(crate) fn stored_flag(flag: &FlagRecord) -> Vec<u8> {
    let mut out = Vec::new();
    push_stored(&mut out, flag);
    push_status(&mut out, flag.status);
    out
}

/// An evaluated flag as its own JSON answer body (`POST /evaluatedFlags/{name}`).
pub(crate) fn evaluated_flag(flag: &FlagRecord, evaluation: &Evaluation) -> Vec<u8> {
    let mut out = Vec::new();
    push_stored(&mut out, flag);
    push_evaluation(&mut out, evaluation);
    out
}

/// Every flag's stored part for one snapshot, rendered once.
#[derive(Debug)]
pub(crate) struct StoredJson {
    snapshot: Arc<Snapshot>,
    bytes: Vec<u8>,
    /// Where each flag's part ends in `bytes`, in the snapshot's (id) order.
    ends: Vec<usize>,
    statuses: Vec<bool>,
}

impl StoredJson {
    pub(crate) fn build(snapshot: Arc<Snapshot>) -> StoredJson {
        let mut bytes = Vec::new();
        let mut ends = Vec::with_capacity(snapshot.len());
        let mut statuses = Vec::with_capacity(snapshot.len());
        for flag in snapshot.flags() {
            push_stored(&mut bytes, flag);
            ends.push(bytes.len());
            statuses.push(flag.status);
        }
        bytes.shrink_to_fit();
        StoredJson {
            snapshot,
            bytes,
            ends,
            statuses,
        }
    }

    /// Whether this was rendered from `snapshot`.
    pub(crate) fn is_for(&self, snapshot: &Arc<Snapshot>) -> bool {
        Arc::ptr_eq(&self.snapshot, snapshot)
    }

    pub(crate) fn snapshot(&self) -> &Arc<Snapshot> {
        &self.snapshot
    }

    pub(crate) fn len(&self) -> usize {
        self.ends.len()
    }

    /// The bytes of every stored part, commas included.
    pub(crate) fn stored_len(&self) -> usize {
        self.bytes.len() + self.len()
    }

    /// The stored part of the flag at `index` (snapshot order).
    pub(crate) fn stored(&self, index: usize) -> &[u8] {
        let start = index.checked_sub(1).map_or(0, |i| self.ends[i]);
        &self.bytes[start..self.ends[index]]
    }

    pub(crate) fn status(&self, index: usize) -> bool {
        self.statuses[index]
    }
}

/// An evaluation kept small while its answer streams: most reasons carry at most an id.
#[derive(Debug)]
pub(crate) enum Outcome {
    Light { enabled: bool, reason: LightReason },
    Full(Box<Evaluation>),
}

#[derive(Debug, Clone, Copy)]
pub(crate) enum LightReason {
    Disabled,
    NoActivations,
    AllMatched,
    NotMatched(ActivationId),
}

impl From<Evaluation> for Outcome {
    fn from(evaluation: Evaluation) -> Self {
        let light = match (&evaluation.variant, &evaluation.reason) {
            (Some(_), _) => None,
            (None, Reason::Disabled) => Some(LightReason::Disabled),
            (None, Reason::NoActivations) => Some(LightReason::NoActivations),
            (None, Reason::AllMatched) => Some(LightReason::AllMatched),
            (None, Reason::NotMatched { activation }) => Some(LightReason::NotMatched(*activation)),
            (None, _) => None,
        };
        match light {
            Some(reason) => Outcome::Light {
                enabled: evaluation.enabled,
                reason,
            },
            None => Outcome::Full(Box::new(evaluation)),
        }
    }
}

impl Outcome {
    pub(crate) fn push(&self, out: &mut Vec<u8>) {
        match self {
            Outcome::Full(evaluation) => push_evaluation(out, evaluation),
            Outcome::Light { enabled, reason } => {
                let reason = match *reason {
                    LightReason::Disabled => Reason::Disabled,
                    LightReason::NoActivations => Reason::NoActivations,
                    LightReason::AllMatched => Reason::AllMatched,
                    LightReason::NotMatched(activation) => Reason::NotMatched { activation },
                };
                push_evaluation(
                    out,
                    &Evaluation {
                        enabled: *enabled,
                        reason,
                        variant: None,
                    },
                );
            }
        }
    }
}

/// A `200 application/json` answer holding the array of `len` items that `render(i, out)`
/// appends, about `estimate` bytes in all: one body up to [`WHOLE`] bytes, a stream of
/// [`CHUNK`]s beyond.
pub(crate) fn json_list<F>(len: usize, estimate: usize, render: F) -> HttpResponse
where
    F: FnMut(usize, &mut Vec<u8>) + Unpin + 'static,
{
    let mut body = JsonList {
        next: 0,
        len,
        done: false,
        render,
    };
    let mut response = HttpResponse::Ok();
    response.content_type("application/json");
    if estimate <= WHOLE {
        let whole = body.chunk(usize::MAX, estimate);
        response.body(whole)
    } else {
        response.body(body)
    }
}

struct JsonList<F> {
    next: usize,
    len: usize,
    done: bool,
    render: F,
}

impl<F: FnMut(usize, &mut Vec<u8>)> JsonList<F> {
    /// The next chunk of about `size` bytes (`capacity` reserved): `[` first, items separated
    /// by commas, `]` last.
    fn chunk(&mut self, size: usize, capacity: usize) -> Bytes {
        let mut out = Vec::with_capacity(capacity);
        if self.next == 0 {
            out.push(b'[');
        }
        while self.next < self.len && out.len() < size {
            if self.next > 0 {
                out.push(b',');
            }
            (self.render)(self.next, &mut out);
            self.next += 1;
        }
        if self.next == self.len {
            out.push(b']');
            self.done = true;
        }
        Bytes::from(out)
    }
}

impl<F: FnMut(usize, &mut Vec<u8>) + Unpin> MessageBody for JsonList<F> {
    type Error = Infallible;

    fn size(&self) -> BodySize {
        BodySize::Stream
    }

    fn poll_next(
        self: Pin<&mut Self>,
        _: &mut TaskContext<'_>,
    ) -> Poll<Option<Result<Bytes, Infallible>>> {
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        Poll::Ready(Some(Ok(this.chunk(CHUNK, CHUNK + CHUNK / 4))))
    }
}

//! Reporting exposures and conversions to the server's `POST /events`: evaluations and
//! [`RemoteClient::track`](crate::RemoteClient::track) queue events without ever waiting, and
//! one background thread per client sends them in batches, retrying a failed batch a few times
//! before it drops (and counts) it.

use std::{
    borrow::Cow,
    collections::{HashSet, hash_map::RandomState},
    hash::BuildHasher,
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
        mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError},
    },
    thread,
    time::{Duration, Instant, SystemTime},
};

use novi_core::{Context, Variant};
use parking_lot::Mutex;
use serde_json::{Value, json};

use crate::{backoff, error::Error, http::Server};

/// Events waiting for the background thread, at most (documented on
/// `RemoteBuilder::report_events`): beyond it, events are dropped and counted.
const QUEUE_CAPACITY: usize = 10_000;

/// The most events one request carries (the server takes up to 10,000).
const BATCH_SIZE: usize = 1_000;

/// The largest body one request carries: half the server's limit (1 MiB), which long units
/// and names could otherwise pass.
const BATCH_BYTES: usize = 512 << 10;

/// How long an event waits for others before its batch is sent anyway.
const BATCH_INTERVAL: Duration = Duration::from_secs(1);

/// How many times a batch is sent before it is dropped, when the server cannot be reached or
/// fails (5xx).
const MAX_ATTEMPTS: u32 = 5;

/// The longest pause between two attempts.
const MAX_PAUSE: Duration = Duration::from_secs(5);

/// How long a dropped client's thread may go on sending what was queued.
const SHUTDOWN_FLUSH: Duration = Duration::from_secs(1);

/// The (flag, unit) pairs remembered as reported, at most (documented on
/// `RemoteBuilder::report_events`).
const REPORTED_PAIRS: usize = 100_000;

/// The remembered pairs are split in this many sets, each behind its own lock, so that
/// evaluations on many threads seldom wait for one another.
const SHARDS: usize = 16;

/// The longest unit, event name or variant name the server takes, in characters.
const MAX_TEXT: usize = 255;

/// One event, as `POST /events` takes it.
#[derive(Debug)]
enum Event {
    Exposure {
        flag: String,
        unit: String,
        variant: String,
        at_ms: u64,
    },
    Conversion {
        /// Random, so that a batch sent again after a lost answer is counted once.
        id: String,
        event: String,
        unit: String,
        value: Option<f64>,
        at_ms: u64,
    },
}

impl Event {
    fn to_json(&self) -> Value {
        match self {
            Event::Exposure {
                flag,
                unit,
                variant,
                at_ms,
            } => json!({
                "type": "exposure",
                "flag": flag,
                "unit": unit,
                "variant": variant,
                "at": at_ms,
            }),
            Event::Conversion {
                id,
                event,
                unit,
                value,
                at_ms,
            } => {
                let mut conversion = json!({
                    "type": "conversion",
                    "id": id,
                    "event": event,
                    "unit": unit,
                    "at": at_ms,
                });
                if let (Some(value), Value::Object(fields)) = (value, &mut conversion) {
                    fields.insert("value".to_owned(), json!(value));
                }
                conversion
            }
        }
    }
}

/// Events as JSON, to be sent together.
#[derive(Debug, Default)]
struct Batch {
    /// `{"events":[` and the events, separated by commas (closed by [`Batch::into_body`]).
    body: String,
    n_events: usize,
}

impl Batch {
    fn is_empty(&self) -> bool {
        self.n_events == 0
    }

    /// Whether `event` may join the batch.
    fn fits(&self, event: &str) -> bool {
        self.n_events < BATCH_SIZE && self.body.len() + event.len() + 3 <= BATCH_BYTES
    }

    fn push(&mut self, event: &str) {
        self.body.push_str(if self.is_empty() {
            "{\"events\":["
        } else {
            ","
        });
        self.body.push_str(event);
        self.n_events += 1;
    }

    fn into_body(mut self) -> String {
        self.body.push_str("]}");
        self.body
    }
}

/// What the background thread receives.
#[derive(Debug)]
enum Message {
    Event(Event),
    /// Send what came before now, and answer whether every batch since the previous flush
    /// was delivered.
    Flush(mpsc::Sender<bool>),
}

/// The (flag, unit) pairs already reported, as hashes (a collision between two pairs among
/// 100,000 has odds of about one in 10⁹, and costs only that pair's exposure). A set that
/// fills up is emptied: its pairs may then be reported again, which the server counts once.
#[derive(Debug)]
struct Reported {
    hasher: RandomState,
    shards: Box<[Mutex<HashSet<u64>>]>,
}

impl Reported {
    fn new() -> Reported {
        Reported {
            hasher: RandomState::new(),
            shards: (0..SHARDS).map(|_| Mutex::new(HashSet::new())).collect(),
        }
    }

    fn key(&self, flag: &str, unit: &str) -> u64 {
        self.hasher.hash_one((flag, unit))
    }

    fn shard(&self, key: u64) -> &Mutex<HashSet<u64>> {
        // The top bits: the sets' own hashing uses the low ones.
        &self.shards[(key >> 58) as usize % SHARDS]
    }

    /// Notes the pair; whether it is new.
    fn insert(&self, key: u64) -> bool {
        let mut shard = self.shard(key).lock();
        if shard.contains(&key) {
            return false;
        }
        if shard.len() >= REPORTED_PAIRS / SHARDS {
            shard.clear();
        }
        shard.insert(key)
    }

    /// Forgets the pair, whose exposure could not be queued: a later evaluation reports it.
    fn remove(&self, key: u64) {
        self.shard(key).lock().remove(&key);
    }

    fn len(&self) -> usize {
        self.shards.iter().map(|shard| shard.lock().len()).sum()
    }
}

/// The unit a context names under `key`: a string as it is, a number as its JSON text;
/// `None` for anything else, and for what the server would refuse (empty, or over 255
/// characters).
fn unit_of<'c>(ctx: &'c Context, key: &str) -> Option<Cow<'c, str>> {
    match ctx.get(key)? {
        Value::String(unit) if is_text(unit) => Some(Cow::Borrowed(unit)),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        _ => None,
    }
}

/// Whether the server takes `text` as a unit, an event or a variant name.
fn is_text(text: &str) -> bool {
    !text.is_empty() && text.chars().count() <= MAX_TEXT
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A client's side of reporting: the queue, the pairs already reported, the count of what was
/// dropped. Dropping it stops the background thread, after a flush of at most
/// [`SHUTDOWN_FLUSH`], which it waits for.
pub(crate) struct Reporter {
    unit_key: String,
    reported: Reported,
    /// Taken on drop, which tells the thread that nothing more comes.
    queue: Option<SyncSender<Message>>,
    /// Events dropped: a full queue, or batches the server did not take.
    dropped: Arc<AtomicU64>,
    /// Taken on drop, which cuts short the thread's pause between two attempts.
    stop: Option<mpsc::Sender<()>>,
    /// Disconnected when the thread ends (behind a lock only because a receiver is not `Sync`).
    done: Mutex<Receiver<()>>,
}

impl std::fmt::Debug for Reporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reporter")
            .field("unit_key", &self.unit_key)
            .field("reported", &self.reported.len())
            .field("dropped", &self.dropped.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl Reporter {
    /// Starts the thread that sends `server` the events queued here.
    pub(crate) fn start(server: Server, unit_key: String) -> Result<Reporter, Error> {
        let (queue, received) = mpsc::sync_channel(QUEUE_CAPACITY);
        let (stop, stopped) = mpsc::channel();
        let (finished, done) = mpsc::channel();
        let dropped = Arc::new(AtomicU64::new(0));
        let sender = Delivery {
            server,
            dropped: Arc::clone(&dropped),
            stopped,
            stopping_at: None,
            failing: None,
            dropped_while_failing: 0,
            lost: false,
        };
        thread::Builder::new()
            .name("novi-remote-events".to_owned())
            .spawn(move || {
                sender.run(&received);
                drop(finished);
            })
            .map_err(|source| Error::Thread {
                name: "novi-remote-events",
                source,
            })?;
        Ok(Reporter {
            unit_key,
            reported: Reported::new(),
            queue: Some(queue),
            dropped,
            stop: Some(stop),
            done: Mutex::new(done),
        })
    }

    /// Queues the exposure of the unit `ctx` names to `variant` of `flag`, unless this
    /// process reported that pair already. Never waits (but for a lock held as long as a
    /// set lookup).
    pub(crate) fn expose(&self, flag: &str, ctx: &Context, variant: &Variant) {
        let Some(unit) = unit_of(ctx, &self.unit_key) else {
            return;
        };
        if !is_text(&variant.name) {
            return;
        }
        let key = self.reported.key(flag, &unit);
        if !self.reported.insert(key) {
            return;
        }
        let queued = self.queue(Event::Exposure {
            flag: flag.to_owned(),
            unit: unit.into_owned(),
            variant: variant.name.clone(),
            at_ms: now_ms(),
        });
        if !queued {
            self.reported.remove(key);
        }
    }

    /// Queues a conversion; whether it was queued.
    pub(crate) fn track(&self, unit: &str, event: &str, value: Option<f64>) -> bool {
        if !is_text(unit) || !is_text(event) || value.is_some_and(|v| !v.is_finite()) {
            return false;
        }
        self.queue(Event::Conversion {
            id: format!("{:032x}", rand::random::<u128>()),
            event: event.to_owned(),
            unit: unit.to_owned(),
            value,
            at_ms: now_ms(),
        })
    }

    fn queue(&self, event: Event) -> bool {
        let queued = self
            .queue
            .as_ref()
            .is_some_and(|queue| queue.try_send(Message::Event(event)).is_ok());
        if !queued {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        queued
    }

    /// Sends everything queued so far and waits for the answer, at most `timeout`.
    pub(crate) fn flush(&self, timeout: Duration) -> bool {
        let Some(queue) = &self.queue else {
            return false;
        };
        // `None`: too far to say (`Duration::MAX`), and waiting that long is waiting.
        let deadline = Instant::now().checked_add(timeout);
        let left = || {
            deadline.map_or(Duration::MAX, |d| {
                d.saturating_duration_since(Instant::now())
            })
        };
        let (reply, answer) = mpsc::channel();
        let mut message = Message::Flush(reply);
        // The queue is full only while the thread is busy: it makes room soon.
        loop {
            match queue.try_send(message) {
                Ok(()) => break,
                Err(TrySendError::Full(again)) if !left().is_zero() => {
                    message = again;
                    thread::sleep(Duration::from_millis(1));
                }
                Err(_) => return false,
            }
        }
        // A timeout too long for an `Instant` makes `recv_timeout` wait without one.
        answer.recv_timeout(left()).unwrap_or(false)
    }

    /// How many events were dropped.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl Drop for Reporter {
    fn drop(&mut self) {
        // The queue first: the thread then sees the end of it once it has read what is queued.
        drop(self.queue.take());
        drop(self.stop.take());
        let _ = self
            .done
            .get_mut()
            .recv_timeout(SHUTDOWN_FLUSH + Duration::from_millis(250));
    }
}

/// How a request failed, as the log tells it: only a change of kind is logged again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Failure {
    /// The server could not be reached, or failed (5xx, 408, 429): the batch is sent again.
    Transient,
    /// The server refused the batch (4xx): it is dropped at once.
    Refused(u16),
}

impl Failure {
    fn of(err: &Error) -> Failure {
        match err {
            Error::Status { status, .. } if !(*status >= 500 || matches!(status, 408 | 429)) => {
                Failure::Refused(*status)
            }
            _ => Failure::Transient,
        }
    }
}

/// The background thread's side: it gathers events into batches and sends them.
struct Delivery {
    server: Server,
    dropped: Arc<AtomicU64>,
    /// Disconnected when the client is dropped.
    stopped: Receiver<()>,
    /// Once the client is dropped: when to give up on what is left.
    stopping_at: Option<Instant>,
    /// How the latest request failed, until one succeeds.
    failing: Option<Failure>,
    /// Events dropped since requests started failing, for the log line of the recovery.
    dropped_while_failing: u64,
    /// Whether a batch was dropped since the last flush.
    lost: bool,
}

impl Delivery {
    fn run(mut self, queue: &Receiver<Message>) {
        let mut batch = Batch::default();
        let mut due = Instant::now();
        loop {
            let received = if batch.is_empty() {
                queue.recv().map_err(|_| RecvTimeoutError::Disconnected)
            } else {
                queue.recv_timeout(due.saturating_duration_since(Instant::now()))
            };
            match received {
                Ok(Message::Event(event)) => {
                    let event = event.to_json().to_string();
                    if !batch.fits(&event) {
                        self.deliver(std::mem::take(&mut batch));
                    }
                    if batch.is_empty() {
                        due = Instant::now() + BATCH_INTERVAL;
                    }
                    batch.push(&event);
                    if batch.n_events >= BATCH_SIZE {
                        self.deliver(std::mem::take(&mut batch));
                    }
                }
                Ok(Message::Flush(reply)) => {
                    self.deliver(std::mem::take(&mut batch));
                    // The caller may have stopped waiting.
                    let _ = reply.send(!std::mem::replace(&mut self.lost, false));
                }
                Err(RecvTimeoutError::Timeout) => self.deliver(std::mem::take(&mut batch)),
                Err(RecvTimeoutError::Disconnected) => {
                    self.stopping();
                    self.deliver(std::mem::take(&mut batch));
                    return;
                }
            }
        }
    }

    fn stopping(&mut self) {
        self.stopping_at
            .get_or_insert_with(|| Instant::now() + SHUTDOWN_FLUSH);
    }

    /// Sends `batch`, again after a pause while the server cannot be reached or fails, at most
    /// [`MAX_ATTEMPTS`] times (once while stopping); drops it when the server refuses it.
    fn deliver(&mut self, batch: Batch) {
        if batch.is_empty() {
            return;
        }
        let n_events = batch.n_events;
        let body = batch.into_body();
        let mut attempts = 0;
        loop {
            let within = match self.stopping_at {
                None => None,
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        self.drop_batch(n_events);
                        return;
                    }
                    Some(left)
                }
            };
            attempts += 1;
            let err = match self.server.post_events(body.as_bytes(), within) {
                Ok(()) => {
                    if self.failing.take().is_some() {
                        log::info!(
                            "reporting events to {} again ({} dropped meanwhile)",
                            self.server.base(),
                            self.dropped_while_failing
                        );
                    }
                    self.dropped_while_failing = 0;
                    return;
                }
                Err(err) => err,
            };
            let failure = Failure::of(&err);
            let retry = failure == Failure::Transient
                && attempts < MAX_ATTEMPTS
                && self.stopping_at.is_none();
            if self.failing != Some(failure) {
                // Logged when failures start or change kind: not at every attempt.
                match failure {
                    Failure::Transient => log::warn!(
                        "cannot report events, retrying (a batch is dropped after {MAX_ATTEMPTS} attempts): {err}"
                    ),
                    Failure::Refused(_) => log::warn!(
                        "the server refused a batch of {n_events} events, which is dropped: {err}"
                    ),
                }
                self.failing = Some(failure);
            }
            if !retry {
                self.drop_batch(n_events);
                return;
            }
            let pause = backoff(attempts, MAX_PAUSE);
            if !matches!(
                self.stopped.recv_timeout(pause),
                Err(RecvTimeoutError::Timeout)
            ) {
                // The client is gone: one last attempt, bounded.
                self.stopping();
            }
        }
    }

    fn drop_batch(&mut self, n_events: usize) {
        let n_events = n_events as u64;
        self.dropped.fetch_add(n_events, Ordering::Relaxed);
        self.dropped_while_failing += n_events;
        self.lost = true;
    }
}

#[cfg(test)]
mod tests {
    use std::{
        io::{BufRead, BufReader, Read, Write},
        net::TcpListener,
    };

    use novi_core::context;

    use super::*;

    #[track_caller]
    fn check_unit(ctx: &Context, expected: Option<&str>) {
        assert_eq!(unit_of(ctx, "userId").as_deref(), expected, "{ctx:?}");
    }

    #[test]
    fn a_unit_is_a_string_or_a_number() {
        check_unit(&context! {"userId": "ada"}, Some("ada"));
        check_unit(&context! {"userId": 42}, Some("42"));
        check_unit(&context! {"userId": -1.5}, Some("-1.5"));
        check_unit(&context! {"userId": true}, None);
        check_unit(&context! {"userId": ""}, None);
        check_unit(
            &context! {"userId": "é".repeat(255)},
            Some(&"é".repeat(255)),
        );
        check_unit(&context! {"userId": "x".repeat(256)}, None);
        check_unit(&context! {"sessionId": "s"}, None);
        check_unit(&Context::default(), None);
    }

    #[test]
    fn events_read_as_the_server_takes_them() {
        let exposure = Event::Exposure {
            flag: "f".into(),
            unit: "u".into(),
            variant: "a".into(),
            at_ms: 7,
        };
        assert_eq!(
            exposure.to_json(),
            json!({"type": "exposure", "flag": "f", "unit": "u", "variant": "a", "at": 7})
        );
        let conversion = Event::Conversion {
            id: "i".into(),
            event: "e".into(),
            unit: "u".into(),
            value: None,
            at_ms: 7,
        };
        assert_eq!(
            conversion.to_json(),
            json!({"type": "conversion", "id": "i", "event": "e", "unit": "u", "at": 7})
        );
        let valued = Event::Conversion {
            id: "i".into(),
            event: "e".into(),
            unit: "u".into(),
            value: Some(2.5),
            at_ms: 7,
        };
        assert_eq!(valued.to_json()["value"], json!(2.5));
    }

    #[test]
    fn a_batch_is_bounded_in_events_and_bytes() {
        let event = |unit: &str| {
            Event::Exposure {
                flag: "f".into(),
                unit: unit.into(),
                variant: "a".into(),
                at_ms: 1,
            }
            .to_json()
            .to_string()
        };
        let mut batch = Batch::default();
        assert!(batch.is_empty());
        while batch.fits(&event("u")) {
            batch.push(&event("u"));
        }
        assert_eq!(batch.n_events, BATCH_SIZE);
        let body: Value = serde_json::from_str(&batch.into_body()).unwrap();
        assert_eq!(body["events"].as_array().unwrap().len(), BATCH_SIZE);
        assert_eq!(
            body["events"][0],
            json!({"type": "exposure", "flag": "f", "unit": "u", "variant": "a", "at": 1})
        );

        // Units of 255 four-byte characters: fewer events, within the bytes.
        let long = event(&"😀".repeat(255));
        let mut batch = Batch::default();
        while batch.fits(&long) {
            batch.push(&long);
        }
        assert!(
            batch.n_events < BATCH_SIZE && batch.n_events > 400,
            "{}",
            batch.n_events
        );
        let body = batch.into_body();
        assert!(body.len() <= BATCH_BYTES);
        let body: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(body["events"][0]["unit"], json!("😀".repeat(255)));
    }

    #[test]
    fn the_reported_pairs_are_bounded() {
        let reported = Reported::new();
        let key = reported.key("f", "u");
        assert!(reported.insert(key));
        assert!(!reported.insert(key));
        assert_ne!(key, reported.key("f", "v"));
        assert_ne!(reported.key("fu", ""), reported.key("f", "u"));
        reported.remove(key);
        assert!(reported.insert(key));
        for i in 0..3 * REPORTED_PAIRS {
            reported.insert(reported.key("f", &i.to_string()));
        }
        assert!(reported.len() <= REPORTED_PAIRS, "{}", reported.len());
    }

    #[test]
    fn failures_are_transient_or_refusals() {
        let status = |status| Error::Status {
            url: String::new(),
            status,
            message: String::new(),
        };
        for (err, expected) in [
            (status(500), Failure::Transient),
            (status(503), Failure::Transient),
            (status(429), Failure::Transient),
            (status(408), Failure::Transient),
            (status(400), Failure::Refused(400)),
            (status(401), Failure::Refused(401)),
            (status(403), Failure::Refused(403)),
            (
                Error::Unreachable {
                    url: String::new(),
                    cause: String::new(),
                },
                Failure::Transient,
            ),
        ] {
            assert_eq!(Failure::of(&err), expected, "{err}");
        }
    }

    #[test]
    fn invalid_conversions_are_not_queued_and_any_timeout_goes() {
        let server = Server::new(
            "http://127.0.0.1:9",
            None,
            Duration::from_millis(200),
            Duration::from_secs(1),
        )
        .unwrap();
        let reporter = Reporter::start(server, "userId".into()).unwrap();
        assert!(!reporter.track("", "purchase", None));
        assert!(!reporter.track("u", "", None));
        assert!(!reporter.track("u", &"x".repeat(256), None));
        assert!(!reporter.track("u", "purchase", Some(f64::NAN)));
        assert!(!reporter.track("u", "purchase", Some(f64::INFINITY)));
        assert_eq!(reporter.dropped(), 0);
        // Nothing queued: nothing to wait for, however long the timeout.
        assert!(reporter.flush(Duration::MAX));
        // No time at all: the answer may not have come yet, which is no error.
        let _ = reporter.flush(Duration::ZERO);
    }

    /// A server on loopback that answers each request with the next status of `statuses`,
    /// and sends the bodies it received.
    fn scripted(statuses: Vec<u16>) -> (String, Receiver<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (bodies, received) = mpsc::channel();
        thread::spawn(move || {
            for status in statuses {
                let Ok((stream, _)) = listener.accept() else {
                    return;
                };
                let mut reader = BufReader::new(stream);
                let mut length = 0;
                loop {
                    let mut line = String::new();
                    reader.read_line(&mut line).unwrap();
                    let line = line.trim_end().to_ascii_lowercase();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(value) = line.strip_prefix("content-length:") {
                        length = value.trim().parse().unwrap();
                    }
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                let answer = if status == 200 {
                    r#"{"exposures": 0, "conversions": 0, "duplicates": 0, "ignored": 0}"#
                } else {
                    r#"{"error": "scripted failure"}"#
                };
                let mut stream = reader.into_inner();
                write!(
                    stream,
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                    answer.len()
                )
                .unwrap();
                let _ = bodies.send(String::from_utf8(body).unwrap());
            }
        });
        (url, received)
    }

    fn reporter(url: &str, token: Option<&str>) -> Reporter {
        let server = Server::new(
            url,
            token.map(str::to_owned),
            Duration::from_secs(5),
            Duration::from_secs(5),
        )
        .unwrap();
        Reporter::start(server, "userId".into()).unwrap()
    }

    #[test]
    fn a_failing_batch_is_sent_again_and_a_refused_one_dropped() {
        let (url, bodies) = scripted(vec![503, 503, 200, 400]);
        let reporter = reporter(&url, Some("secret"));
        let variant = Variant::named("a");
        for _ in 0..2 {
            reporter.expose("f", &context! {"userId": "u1"}, &variant);
            reporter.expose("f", &context! {"userId": 2}, &variant);
        }
        assert!(reporter.track("u1", "purchase", Some(3.0)));
        assert!(reporter.flush(Duration::from_secs(30)));
        assert_eq!(reporter.dropped(), 0);
        let sent: Vec<Value> = (0..3)
            .map(|_| serde_json::from_str(&bodies.recv().unwrap()).unwrap())
            .collect();
        // The same batch, three times: exposures once per (flag, unit), then the conversion.
        assert_eq!(sent[0], sent[1]);
        assert_eq!(sent[1], sent[2]);
        let events = sent[0]["events"].as_array().unwrap();
        assert_eq!(events.len(), 3, "{events:?}");
        assert_eq!(
            (&events[0]["unit"], &events[1]["unit"]),
            (&json!("u1"), &json!("2"))
        );
        assert_eq!(events[2]["type"], "conversion");
        assert_eq!(events[2]["value"], 3.0);
        assert_eq!(events[2]["id"].as_str().unwrap().len(), 32);

        // Refused: dropped at once and counted, and the flush says so.
        reporter.expose("f", &context! {"userId": "u3"}, &variant);
        assert!(!reporter.flush(Duration::from_secs(30)));
        assert_eq!(reporter.dropped(), 1);
        bodies.recv().unwrap();
        // Nobody answers any more: dropping the client waits about a second at most.
        reporter.expose("f", &context! {"userId": "u4"}, &variant);
        let dropping = Instant::now();
        drop(reporter);
        assert!(dropping.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn a_full_queue_drops_and_counts() {
        // Nothing listens: every batch waits for its attempts while the queue fills.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let reporter = reporter(&url, None);
        let mut queued = 0;
        for i in 0..QUEUE_CAPACITY + 2 * BATCH_SIZE + 10 {
            if reporter.track(&format!("u{i}"), "e", None) {
                queued += 1;
            }
        }
        assert!(queued < QUEUE_CAPACITY + 2 * BATCH_SIZE + 10);
        assert!(reporter.dropped() >= 10, "{}", reporter.dropped());
        let dropping = Instant::now();
        drop(reporter);
        assert!(dropping.elapsed() < Duration::from_secs(3));
        drop(listener);
    }
}

//! Recording exposures and conversions off the hot path: an evaluation hands a record to a
//! bounded queue (never waiting: a full queue drops the record and counts it), and a thread of
//! its own stores the queue in batches, each in one transaction that does not take the writers'
//! lock. What is queued is stored on a graceful stop ([`Recorder::flush`]); a process killed
//! outright loses at most the queue.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
        mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError},
    },
    thread,
    time::{Duration, Instant},
};

use crate::{
    connection::Pool,
    store::events::{self, NewConversion, NewExposure},
};

/// Records the queue holds at most.
pub(crate) const QUEUE_CAPACITY: usize = 100_000;

/// Records stored per transaction at most.
const BATCH: usize = 5_000;

/// How long a record waits in the queue at most before its batch is stored.
const FLUSH_EVERY: Duration = Duration::from_millis(100);

/// Attempts to store one batch before its exposures count as dropped.
const ATTEMPTS: u32 = 5;

/// One thing to store.
#[derive(Debug)]
pub(crate) enum Record {
    Exposure(NewExposure),
    Conversion(NewConversion),
}

enum Message {
    Record(Record),
    /// Store everything queued, then answer.
    Flush(mpsc::Sender<()>),
}

/// Counts of what could not be recorded.
#[derive(Debug, Default)]
struct Dropped {
    /// Exposures per experiment, not yet stored in `exposure_drops`.
    pending: Mutex<HashMap<i32, u64>>,
    /// Every record dropped since start (for `/metrics`).
    total: AtomicU64,
}

impl Dropped {
    fn count(&self, record: &Record) {
        self.total.fetch_add(1, Ordering::Relaxed);
        if let Record::Exposure(exposure) = record
            && let Ok(mut pending) = self.pending.lock()
        {
            *pending.entry(exposure.experiment_id).or_default() += 1;
        }
    }

    fn take(&self) -> Vec<(i32, u64)> {
        self.pending
            .lock()
            .map(|mut pending| pending.drain().collect())
            .unwrap_or_default()
    }

    fn put_back(&self, drops: &[(i32, u64)]) {
        if let Ok(mut pending) = self.pending.lock() {
            for &(experiment, n) in drops {
                *pending.entry(experiment).or_default() += n;
            }
        }
    }
}

/// The (experiment, unit) pairs this process has queued lately, so that a unit evaluated again
/// and again is queued once: a table of 262,144 hashes (2 MiB) in buckets of four, read and
/// written without a lock. A full bucket forgets one of its pairs, which is queued again when
/// next seen (the database keeps each unit's first exposure, so that costs a row found stored,
/// nothing more); with four slots a bucket, a hundred thousand units fit with few evictions.
#[derive(Debug)]
pub(crate) struct Seen {
    slots: Box<[AtomicU64]>,
}

const SEEN_SLOTS: usize = 1 << 18;
const SEEN_WAYS: usize = 4;

impl Default for Seen {
    fn default() -> Self {
        Seen {
            slots: (0..SEEN_SLOTS).map(|_| AtomicU64::new(0)).collect(),
        }
    }
}

impl Seen {
    /// Whether `unit` was not queued for `experiment` lately (and marks it queued).
    pub(crate) fn first(&self, experiment: i32, unit: &str) -> bool {
        use std::hash::{Hash, Hasher};
        let mut hasher = rustc_hash::FxHasher::default();
        experiment.hash(&mut hasher);
        unit.hash(&mut hasher);
        // 0 marks an empty slot.
        let hash = hasher.finish().max(1);
        let bucket = ((hash >> 32) as usize % (SEEN_SLOTS / SEEN_WAYS)) * SEEN_WAYS;
        let slots = &self.slots[bucket..bucket + SEEN_WAYS];
        let mut empty = None;
        for slot in slots {
            match slot.load(Ordering::Relaxed) {
                seen if seen == hash => return false,
                0 if empty.is_none() => empty = Some(slot),
                _ => {}
            }
        }
        // A full bucket forgets the pair in the slot the hash picks.
        empty
            .unwrap_or(&slots[(hash as usize) % SEEN_WAYS])
            .store(hash, Ordering::Relaxed);
        true
    }
}

/// The queue and its thread. Dropping the last sender (the client) stores what is queued and
/// ends the thread.
#[derive(Debug)]
pub(crate) struct Recorder {
    queue: SyncSender<Message>,
    dropped: Arc<Dropped>,
    /// The exposures queued lately.
    pub(crate) seen: Seen,
}

impl Recorder {
    /// Starts the thread that stores records through `pool`.
    pub(crate) fn start(pool: Pool) -> Recorder {
        let (queue, received) = mpsc::sync_channel(QUEUE_CAPACITY);
        let dropped = Arc::new(Dropped::default());
        let counts = Arc::clone(&dropped);
        let spawned = thread::Builder::new()
            .name("novi-recorder".to_owned())
            .spawn(move || run(&pool, &received, &counts));
        if let Err(err) = spawned {
            log::error!("cannot start the exposure recorder, nothing will be recorded: {err}");
        }
        Recorder {
            queue,
            dropped,
            seen: Seen::default(),
        }
    }

    /// Queues `record`; when the queue is full it is dropped and counted. Never waits.
    pub(crate) fn record(&self, record: Record) -> bool {
        match self.queue.try_send(Message::Record(record)) {
            Ok(()) => true,
            Err(TrySendError::Full(Message::Record(record)))
            | Err(TrySendError::Disconnected(Message::Record(record))) => {
                self.dropped.count(&record);
                false
            }
            Err(_) => false,
        }
    }

    /// Stores everything queued so far; waits at most `timeout`. Whether it was all stored.
    pub(crate) fn flush(&self, timeout: Duration) -> bool {
        let (done, stored) = mpsc::channel();
        let deadline = Instant::now() + timeout;
        let mut message = Message::Flush(done);
        // The queue may be full: wait for room, within the timeout.
        loop {
            match self.queue.try_send(message) {
                Ok(()) => break,
                Err(TrySendError::Full(back)) if Instant::now() < deadline => {
                    message = back;
                    thread::sleep(Duration::from_millis(5));
                }
                Err(_) => return false,
            }
        }
        stored
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .is_ok()
    }

    /// Records dropped since start.
    pub(crate) fn dropped(&self) -> u64 {
        self.dropped.total.load(Ordering::Relaxed)
    }
}

fn run(pool: &Pool, received: &Receiver<Message>, dropped: &Dropped) {
    let mut batch: Vec<Record> = Vec::new();
    let mut oldest: Option<Instant> = None;
    let mut failing = false;
    loop {
        let wait = oldest.map_or(Duration::from_secs(3600), |at| {
            FLUSH_EVERY.saturating_sub(at.elapsed())
        });
        let mut flushed = None;
        match received.recv_timeout(wait) {
            Ok(Message::Record(record)) => {
                batch.push(record);
                oldest.get_or_insert_with(Instant::now);
                if batch.len() < BATCH {
                    continue;
                }
            }
            Ok(Message::Flush(done)) => {
                // Everything sent before the flush is already queued ahead of it.
                while let Ok(Message::Record(record)) = received.try_recv() {
                    batch.push(record);
                }
                flushed = Some(done);
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                store_all(pool, &mut batch, dropped, &mut failing);
                return;
            }
        }
        store_all(pool, &mut batch, dropped, &mut failing);
        oldest = None;
        if let Some(done) = flushed {
            let _ = done.send(());
        }
    }
}

/// Stores `batch` (in slices of [`BATCH`]), retrying a failed transaction a few times with a
/// pause; what still fails is dropped and counted.
fn store_all(pool: &Pool, batch: &mut Vec<Record>, dropped: &Dropped, failing: &mut bool) {
    let drops = dropped.take();
    if batch.is_empty() && drops.is_empty() {
        return;
    }
    let mut exposures = Vec::new();
    let mut conversions = Vec::new();
    for record in batch.drain(..) {
        match record {
            Record::Exposure(e) => exposures.push(e),
            Record::Conversion(c) => conversions.push(c),
        }
    }
    for attempt in 1..=ATTEMPTS {
        let stored = pool
            .get()
            .map_err(|cause| crate::Error::Pool { cause })
            .and_then(|mut conn| events::store(&mut conn, &exposures, &conversions, &drops));
        match stored {
            Ok(_) => {
                if *failing {
                    log::info!("recording exposures works again");
                    *failing = false;
                }
                return;
            }
            Err(err) => {
                if !*failing {
                    log::warn!("recording exposures failed (retrying): {err}");
                    *failing = true;
                }
                if attempt < ATTEMPTS {
                    thread::sleep(Duration::from_millis(100 << attempt));
                }
            }
        }
    }
    log::warn!(
        "dropped {} exposures and {} conversions that could not be stored",
        exposures.len(),
        conversions.len()
    );
    dropped.put_back(&drops);
    for exposure in exposures {
        dropped.count(&Record::Exposure(exposure));
    }
    dropped
        .total
        .fetch_add(conversions.len() as u64, Ordering::Relaxed);
}

#[cfg(all(test, feature = "sqlite"))]
mod tests {
    use super::*;
    use crate::url::{DatabaseUrl, UrlDialect};

    fn exposure(unit: usize) -> Record {
        Record::Exposure(NewExposure {
            experiment_id: 7,
            unit: format!("u{unit}"),
            variant: "a".to_owned(),
            at_ms: 0,
        })
    }

    /// A database that cannot be opened holds the thread in its retries: the queue fills, and
    /// what does not fit is dropped at once (never waited for) and counted, per experiment.
    #[test]
    fn a_full_queue_drops_and_counts_without_waiting() {
        let url = DatabaseUrl::parse(
            "sqlite:///nonexistent-folder/novi/recorder.db",
            UrlDialect::Rust,
        )
        .unwrap();
        let recorder = Recorder::start(crate::connection::pool(
            &url,
            1,
            Duration::from_millis(50),
            false,
        ));
        // Were `record` to wait for room, this loop would never end (nothing drains the queue).
        let mut refused = 0;
        for unit in 0..QUEUE_CAPACITY + BATCH + 1_000 {
            if !recorder.record(exposure(unit)) {
                refused += 1;
            }
        }
        assert!(refused >= 1_000, "{refused}");
        assert_eq!(recorder.dropped(), refused as u64);
        let pending: u64 = recorder.dropped.take().iter().map(|(_, n)| n).sum();
        assert_eq!(pending, refused as u64, "counted against experiment 7");
        // A flush gives up within its timeout.
        assert!(!recorder.flush(Duration::from_millis(100)));
    }

    #[test]
    fn a_unit_is_queued_once_lately() {
        let seen = Seen::default();
        assert!(seen.first(1, "u1"));
        assert!(!seen.first(1, "u1"));
        assert!(seen.first(2, "u1"), "another experiment");
        assert!(seen.first(1, "u2"));
    }
}

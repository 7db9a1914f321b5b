//! `SnapshotCell`: the current snapshot of a client (over a database or over HTTP), how its
//! refreshes are going, and a way to hear of each new revision.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, SystemTime},
};

use arc_swap::{ArcSwap, Guard};
use tokio::sync::watch;

use novi_core::{Context, RuntimeClasses, Variant};

use crate::{
    records::FlagRecord,
    revision::Revision,
    rows::Rows,
    snapshot::{Evaluation, Snapshot},
};

/// The current snapshot, readable without waiting by any number of threads, replaced whole by
/// its one source (a database client's refreshes, a remote client's downloads).
///
/// It also keeps how the source is doing: when the rows were last read successfully (whether
/// or not they had changed), whether the latest attempt failed, and how many failed; and it
/// tells subscribers of every new revision.
#[derive(Debug)]
pub struct SnapshotCell {
    current: ArcSwap<Snapshot>,
    /// When the rows were last read successfully, in milliseconds since the Unix epoch.
    checked_at_ms: AtomicU64,
    /// Whether the latest refresh failed.
    failing: AtomicBool,
    /// How many refreshes failed.
    failures: AtomicU64,
    revisions: watch::Sender<Revision>,
    /// Classes known only at run time, with which offered rows are built.
    runtime: Option<Arc<dyn RuntimeClasses>>,
}

impl SnapshotCell {
    /// A cell holding `snapshot`, read just now.
    pub fn new(snapshot: Snapshot) -> SnapshotCell {
        let (revisions, _) = watch::channel(snapshot.revision());
        SnapshotCell {
            current: ArcSwap::from_pointee(snapshot),
            checked_at_ms: AtomicU64::new(now_ms()),
            failing: AtomicBool::new(false),
            failures: AtomicU64::new(0),
            revisions,
            runtime: None,
        }
    }

    /// This cell, building the rows it is offered with `runtime`'s classes too (see
    /// [`Snapshot::build_with`]; none: the link-time registry's only).
    pub fn with_classes(mut self, runtime: Option<Arc<dyn RuntimeClasses>>) -> SnapshotCell {
        self.runtime = runtime;
        self
    }

    /// The run-time classes this cell builds offered rows with, if any.
    pub fn classes(&self) -> Option<&dyn RuntimeClasses> {
        self.runtime.as_deref()
    }

    /// A cell holding `snapshot` as it was read at `read_at` by other means than its source (a
    /// backup file): its age counts from `read_at`, and it reports failing until the source is
    /// read.
    pub fn stale(snapshot: Snapshot, read_at: SystemTime) -> SnapshotCell {
        let cell = SnapshotCell::new(snapshot);
        let read_at_ms = read_at
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        cell.checked_at_ms.store(read_at_ms, Ordering::Relaxed);
        cell.failing.store(true, Ordering::Relaxed);
        cell
    }

    /// The current snapshot, for one quick use (an atomic load, no reference count).
    #[inline]
    pub fn load(&self) -> Guard<Arc<Snapshot>> {
        self.current.load()
    }

    /// The current snapshot, to keep. Later refreshes do not change it.
    pub fn load_full(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Whether the flag is on for `ctx` in the current snapshot. An unknown flag is off.
    #[inline]
    pub fn is_enabled(&self, name: &str, ctx: &Context) -> bool {
        self.current.load().is_enabled(name, ctx)
    }

    /// The answer for the flag and why; `None` for an unknown flag.
    #[inline]
    pub fn evaluate(&self, name: &str, ctx: &Context) -> Option<Evaluation> {
        self.current.load().evaluate(name, ctx)
    }

    /// The variant chosen for the caller, when the flag is on and one of its activations
    /// chooses variants; `None` otherwise (and for an unknown flag).
    pub fn variant(&self, name: &str, ctx: &Context) -> Option<Arc<Variant>> {
        self.evaluate(name, ctx).and_then(|e| e.variant)
    }

    /// Every flag with its answer, in id order.
    pub fn evaluate_all(&self, ctx: &Context) -> Vec<(FlagRecord, Evaluation)> {
        self.current
            .load()
            .evaluate_all(ctx)
            .map(|(flag, evaluation)| (flag.clone(), evaluation))
            .collect()
    }

    /// The revision of the current snapshot.
    pub fn revision(&self) -> Revision {
        self.current.load().revision()
    }

    /// Rows read successfully just now: builds and publishes a snapshot of them unless they
    /// are the current snapshot's (the same revision), which then stays as it is with
    /// whatever callers cache per snapshot. Returns whether a new snapshot was published.
    pub fn offer(&self, rows: Rows) -> bool {
        self.checked();
        let revision = Revision::of(&rows);
        if revision == self.revision() {
            return false;
        }
        self.publish(Snapshot::build_as(rows, revision, self.runtime.as_deref()));
        true
    }

    /// Publishes `snapshot` (read successfully just now) and tells subscribers if its revision
    /// is new. Callers publish one at a time (a source refreshes under its own lock).
    pub fn publish(&self, snapshot: Snapshot) {
        self.checked();
        let revision = snapshot.revision();
        self.current.store(Arc::new(snapshot));
        self.revisions.send_if_modified(|current| {
            let changed = *current != revision;
            *current = revision;
            changed
        });
    }

    /// The source read its rows successfully (whether or not they changed).
    pub fn checked(&self) {
        self.checked_at_ms.store(now_ms(), Ordering::Relaxed);
        self.failing.store(false, Ordering::Relaxed);
    }

    /// The source could not read its rows: the current snapshot stays.
    pub fn failed(&self) {
        self.failing.store(true, Ordering::Relaxed);
        self.failures.fetch_add(1, Ordering::Relaxed);
    }

    /// How long ago the rows were last read successfully.
    pub fn age(&self) -> Duration {
        let checked = self.checked_at_ms.load(Ordering::Relaxed);
        Duration::from_millis(now_ms().saturating_sub(checked))
    }

    /// Whether the latest refresh failed (the snapshot is the last good one).
    pub fn failing(&self) -> bool {
        self.failing.load(Ordering::Relaxed)
    }

    /// How many refreshes failed since the cell was made.
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// A receiver that sees the revision of every snapshot published from now on (it holds
    /// only the latest one: a slow subscriber skips revisions, it never queues them).
    pub fn subscribe(&self) -> watch::Receiver<Revision> {
        self.revisions.subscribe()
    }

    /// How many subscribers there are.
    pub fn subscribers(&self) -> usize {
        self.revisions.receiver_count()
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::rows::FlagRow;

    fn rows(names: &[&str]) -> Rows {
        Rows {
            flags: names
                .iter()
                .zip(1..)
                .map(|(name, id)| FlagRow {
                    id,
                    name: (*name).to_owned(),
                    status: true,
                })
                .collect(),
            ..Rows::default()
        }
    }

    #[test]
    fn the_same_rows_keep_the_snapshot_and_new_ones_are_announced() {
        let cell = SnapshotCell::new(Snapshot::build(rows(&["a"])));
        let mut revisions = cell.subscribe();
        let first = cell.load_full();
        assert!(!cell.offer(rows(&["a"])));
        assert!(Arc::ptr_eq(&first, &cell.load_full()));
        assert!(!revisions.has_changed().unwrap());

        assert!(cell.offer(rows(&["a", "b"])));
        assert_eq!(cell.load().len(), 2);
        assert!(revisions.has_changed().unwrap());
        assert_eq!(*revisions.borrow_and_update(), cell.revision());
        assert_ne!(cell.revision(), first.revision());
    }

    #[test]
    fn failures_are_counted_and_a_good_read_clears_them() {
        let cell = SnapshotCell::new(Snapshot::build(rows(&["a"])));
        cell.failed();
        cell.failed();
        assert!(cell.failing());
        assert_eq!(cell.failures(), 2);
        assert!(!cell.offer(rows(&["a"])));
        assert!(!cell.failing());
        assert_eq!(cell.failures(), 2);
        assert!(cell.age() < Duration::from_secs(60));
    }
}

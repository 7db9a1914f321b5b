//! Engines around `os.fork()`, and at exit.
//!
//! A forked child has only the thread that forked. Whatever lock another thread held at that
//! moment stays held in the child for good, and that includes SQLite's process-wide and
//! per-file mutexes, which an engine's background threads (its refresher, its change watcher
//! polling the database every 100 ms, r2d2's workers) take all the time: a child that then
//! opened the same database could hang forever. So `novi` registers hooks with
//! `os.register_at_fork`: before a fork, every engine of the process is stopped (its client,
//! threads and connections dropped; it keeps its last snapshot, see
//! [`State::Paused`](crate::engine::State)) and the hook waits until no engine works on a
//! database and those threads are gone or idle; the fork then happens with no engine lock
//! held, and each engine connects again on its next call, in the parent and in the child
//! alike. (Pool threads used to outlive a dropped pool by up to 30 s, and about 1% of
//! grandchildren crashed on the locks they left; see [`warn_parked_once`].)
//!
//! The same list of engines serves `_close_all`, which `novi` calls at exit, so that no
//! engine thread needs the interpreter while it shuts down.

use std::{
    sync::{
        Arc, Mutex, Weak,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    thread,
    time::{Duration, Instant},
};

use pyo3::prelude::*;

use crate::engine::{Slot, State, lock, release};

/// The engines this process created (or inherited).
static ENGINES: Mutex<Vec<Weak<Slot>>> = Mutex::new(Vec::new());
/// Whether a fork is under way: stopped engines do not connect again meanwhile.
static FORKING: AtomicBool = AtomicBool::new(false);
/// How many calls are working on a database (connecting, refreshing, closing).
static IN_FLIGHT: AtomicUsize = AtomicUsize::new(0);

/// How long the hook before a fork waits for the engines' threads to stop working.
const QUIESCE_LIMIT: Duration = Duration::from_secs(2);
/// How long it then waits for idle pool threads to end.
const LINGER_LIMIT: Duration = Duration::from_millis(100);

/// The name prefixes of the threads a `novi-client` client runs. (A remote engine's
/// `novi-remote` thread is not waited for: it spends its time blocked reading the server's
/// stream, holding no lock, and ends at the next event after its client is dropped.)
const CLIENT_THREADS: [&str; 2] = ["novi-refresh", "novi-recorder"];
/// The name prefix of the threads of r2d2's connection pools.
const POOL_THREADS: &str = "r2d2-worker";

/// Lists an engine's slot, for the hooks.
pub(crate) fn track(slot: &Arc<Slot>) {
    let mut engines = lock(&ENGINES);
    engines.retain(|engine| engine.strong_count() > 0);
    engines.push(Arc::downgrade(slot));
}

/// Whether a fork is under way.
pub(crate) fn forking() -> bool {
    FORKING.load(Ordering::SeqCst)
}

/// Counts a call working on a database while it lives, so that a fork waits for it.
#[derive(Debug)]
pub(crate) struct DbWork(());

impl DbWork {
    pub(crate) fn begin() -> DbWork {
        IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
        DbWork(())
    }
}

impl Drop for DbWork {
    fn drop(&mut self) {
        IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
    }
}

fn engines() -> Vec<Arc<Slot>> {
    lock(&ENGINES).iter().filter_map(Weak::upgrade).collect()
}

/// Before `os.fork()`: stops every engine of this process and waits (at most
/// [`QUIESCE_LIMIT`]) until no call works on a database and their threads are gone or idle.
#[pyfunction(name = "_before_fork")]
pub(crate) fn before_fork(py: Python<'_>) {
    FORKING.store(true, Ordering::SeqCst);
    let clients: Vec<_> = engines()
        .iter()
        .filter_map(|slot| lock(slot).pause())
        .collect();
    py.detach(move || {
        drop(clients);
        quiesce();
    });
}

/// Waits until no call works on a database and no engine thread runs, then (at most
/// [`LINGER_LIMIT`]) until the idle pool threads are gone too.
fn quiesce() {
    let start = Instant::now();
    let mut quiet_since = None;
    loop {
        let now = Instant::now();
        let threads = engine_threads();
        let busy = IN_FLIGHT.load(Ordering::SeqCst) + threads.busy;
        if busy == 0 {
            if threads.parked == 0 {
                return;
            }
            let since = *quiet_since.get_or_insert(now);
            if now.duration_since(since) >= LINGER_LIMIT {
                warn_parked_once(threads.parked);
                return;
            }
        } else {
            quiet_since = None;
        }
        if now.duration_since(start) >= QUIESCE_LIMIT {
            log::warn!(
                "forking while {busy} engine thread(s) or database call(s) are still running: \
                 the child may hang if it opens the same database"
            );
            return;
        }
        thread::sleep(Duration::from_millis(1));
    }
}

/// A stopped engine's pool threads end as soon as its pool is dropped (`novi-client` gives
/// r2d2 a thread pool that discards its pending jobs); ones still there after
/// [`LINGER_LIMIT`] are idle, parked in `parking_lot`'s process-wide table, which no fork hook
/// resets: a child inherits entries for threads it does not have, and one that starts enough
/// threads of its own later can crash on them. Said once per process.
fn warn_parked_once(parked: usize) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if !WARNED.swap(true, Ordering::SeqCst) {
        log::warn!(
            "forking while {parked} idle connection-pool thread(s) of stopped engines linger: \
             a forked process that forks again may crash (parking_lot has no fork support)"
        );
    }
}

/// After `os.fork()`, in the parent.
#[pyfunction(name = "_after_fork_in_parent")]
pub(crate) fn after_fork_in_parent() {
    FORKING.store(false, Ordering::SeqCst);
}

/// After `os.fork()`, in the child: the calls that were working on a database are in threads
/// that do not exist here.
#[pyfunction(name = "_after_fork_in_child")]
pub(crate) fn after_fork_in_child() {
    IN_FLIGHT.store(0, Ordering::SeqCst);
    FORKING.store(false, Ordering::SeqCst);
}

/// Closes every engine (called at exit, before the interpreter shuts down).
#[pyfunction(name = "_close_all")]
pub(crate) fn close_all(py: Python<'_>) {
    for slot in engines() {
        let old = std::mem::replace(&mut *lock(&slot), State::Closed);
        release(py, old);
    }
}

/// This process's engine threads.
#[derive(Debug, Default)]
struct EngineThreads {
    /// Threads that may be working for an engine: any `novi-refresh` or `novi-recorder`
    /// thread (they end once their client is dropped), and r2d2 workers that are not idle.
    busy: usize,
    /// Idle r2d2 workers, which wait on a futex and hold no lock.
    parked: usize,
}

/// Counts this process's engine threads (none where `/proc` does not exist).
fn engine_threads() -> EngineThreads {
    let mut threads = EngineThreads::default();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return threads;
    };
    for task in tasks.filter_map(Result::ok) {
        let path = task.path();
        let Ok(name) = std::fs::read_to_string(path.join("comm")) else {
            continue;
        };
        if CLIENT_THREADS.iter().any(|prefix| name.starts_with(prefix)) {
            threads.busy += 1;
        } else if name.starts_with(POOL_THREADS) {
            if idle(&path) {
                threads.parked += 1;
            } else {
                threads.busy += 1;
            }
        }
    }
    threads
}

/// Whether a thread sleeps on a futex (a condition variable, a lock). A thread whose wait
/// channel the kernel does not show counts as idle when it sleeps.
fn idle(task: &std::path::Path) -> bool {
    let sleeping = std::fs::read_to_string(task.join("stat")).is_ok_and(|stat| {
        // The state follows the command name, which is in parentheses.
        stat.rsplit_once(") ")
            .is_some_and(|(_, rest)| rest.starts_with('S'))
    });
    let wchan = std::fs::read_to_string(task.join("wchan")).unwrap_or_default();
    sleeping && (wchan.contains("futex") || wchan.trim() == "0" || wchan.is_empty())
}

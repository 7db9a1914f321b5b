//! The background refresh thread lives exactly as long as its client. A binary of its own, so
//! that no other test's refresh thread is counted.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::{
    thread,
    time::{Duration, Instant},
};

use novi_client::Client;

/// The threads of this process named `novi-refresh`.
fn refresh_threads() -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter(|task| {
            let comm = task.as_ref().unwrap().path().join("comm");
            std::fs::read_to_string(comm).unwrap_or_default().trim() == "novi-refresh"
        })
        .count()
}

#[track_caller]
fn wait_for(threads: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while refresh_threads() != threads {
        assert!(
            Instant::now() < deadline,
            "expected {threads} refresh threads, have {}",
            refresh_threads()
        );
        thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn the_background_refresh_stops_with_the_client() {
    let db = novi_testing::TestDb::new(novi_testing::Backend::Sqlite);
    db.client();
    let builder = || Client::builder(&db.url).unwrap();
    let client = builder()
        .refresh_interval(Some(Duration::from_millis(20)))
        .connect()
        .unwrap();
    wait_for(1);
    let clone = client.clone();
    drop(client);
    thread::sleep(Duration::from_millis(100));
    assert_eq!(
        refresh_threads(),
        1,
        "a clone keeps the client, and its refresh, alive"
    );
    drop(clone);
    wait_for(0);

    // A zero interval means no background refresh, not a busy loop.
    let _zero = builder()
        .refresh_interval(Some(Duration::ZERO))
        .connect()
        .unwrap();
    let _none = builder().refresh_interval(None).connect().unwrap();
    thread::sleep(Duration::from_millis(100));
    assert_eq!(refresh_threads(), 0);
}

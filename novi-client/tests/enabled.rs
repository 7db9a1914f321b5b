//! `#[enabled]` and the global `flag` module, over a default client installed once for this
//! test binary (a process of its own, so the global is its own).

#![allow(clippy::unwrap_used)]

use std::sync::{
    Once,
    atomic::{AtomicUsize, Ordering},
};

use novi_client::{Client, context, enabled, flag};

static INSTALL: Once = Once::new();
static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();

fn install_sample_client() {
    INSTALL.call_once(|| {
        novi_activations::link();
        let dir = DIR.get_or_init(|| tempfile::tempdir().unwrap());
        let url = format!("sqlite://{}", dir.path().join("novi.db").display());
        let client = Client::builder(&url)
            .unwrap()
            .migrate(true)
            .connect()
            .unwrap();
        client.seed_if_empty(novi_client::SAMPLE_DATA).unwrap();
        assert!(flag::install(client).is_ok());
    });
}

static RUNS_A: AtomicUsize = AtomicUsize::new(0);
static RUNS_B: AtomicUsize = AtomicUsize::new(0);

#[enabled("Random Variant Feature", {"seed": 333, "variant": "A"})]
fn variation_a() {
    RUNS_A.fetch_add(1, Ordering::SeqCst);
}

#[enabled("Random Variant Feature", {"seed": 333, "variant": "B"})]
fn variation_b() {
    RUNS_B.fetch_add(1, Ordering::SeqCst);
}

#[enabled("Combo OR", {"seed": 1, "variant": "A"})]
fn answer(x: u32) -> u32 {
    x * 2
}

#[enabled("Combo AND", {"seed": 1, "variant": "A"})]
fn never(x: u32) -> u32 {
    x * 3
}

#[enabled("Combo OR", {"seed": 1, "variant": "A"})]
fn parse(text: &str) -> Result<u32, std::num::ParseIntError> {
    if text.is_empty() {
        return Ok(0);
    }
    let n: u32 = text.parse()?;
    Ok(n + 1)
}

#[enabled("Combo OR", {"seed": 1, "variant": "A"})]
fn one_line(x: u32) -> u32 {
    x
}

#[enabled("Combo OR", {"seed": 1, "variant": "A"})]
async fn later(x: u32) -> u32 {
    x + 1
}

struct Counter(u32);

impl Counter {
    #[enabled("Combo OR", {"seed": 1, "variant": "A"})]
    fn bump(&mut self) {
        self.0 += 1;
    }
}

// No context: a flag whose activations need one is off.
#[enabled("Date Activated Feature")]
fn dated() -> &'static str {
    "dated"
}

#[test]
fn enabled_runs_the_body_only_when_the_flag_is_on() {
    install_sample_client();
    variation_a();
    variation_a();
    variation_b();
    assert_eq!(RUNS_A.load(Ordering::SeqCst), 2);
    assert_eq!(RUNS_B.load(Ordering::SeqCst), 0);
    assert_eq!(answer(21), Some(42));
    assert_eq!(never(21), None);
    assert_eq!(dated(), None);
    assert_eq!(parse(""), Some(Ok(0)), "an early return");
    assert_eq!(parse("41"), Some(Ok(42)));
    assert!(matches!(parse("x"), Some(Err(_))), "`?` inside the body");
    assert_eq!(one_line(7), Some(7));
    let mut counter = Counter(0);
    counter.bump();
    counter.bump();
    assert_eq!(counter.0, 2, "methods taking `&mut self`");
    assert_eq!(poll_to_end(later(1)), Some(2), "async fns");
}

/// Polls a future that never waits to completion, without an async runtime.
fn poll_to_end<F: std::future::Future>(future: F) -> F::Output {
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

#[test]
fn flag_is_enabled_reads_the_default_client() {
    install_sample_client();
    assert!(flag::is_enabled(
        "Random Variant Feature",
        &context! {"seed": 333, "variant": "A"}
    ));
    assert!(!flag::is_enabled(
        "Random Variant Feature",
        &context! {"seed": 333, "variant": "C"}
    ));
    assert!(!flag::is_enabled("No such flag", &context! {}));
    let client = flag::client().unwrap();
    assert_eq!(client.snapshot().len(), 4);
    // A second install is refused and hands the client back.
    let again = Client::connect(client.url().target()).unwrap();
    assert!(flag::install(again).is_err());
}

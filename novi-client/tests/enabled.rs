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
        client
            .seed_if_empty(include_str!("../../sample_data.sql"))
            .unwrap();
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

//! What the client reports, in its log and its errors, about activations it cannot build: a
//! class name that two crates register (refused, and said so when the client connects and when
//! a write names it), and broken activations, logged once per change of the stored rows rather
//! than at every refresh. A binary of its own: it registers a clashing class and installs a
//! logger that keeps what it is given.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::sync::{Mutex, OnceLock};

use novi_client::{ActivationInput, Client, Error};
use novi_core::{Activation, ActivationClass, BuildError, Context, Definition};
use novi_testing::{Backend, TestDb};

/// A downstream crate's class that claims a built-in's name.
#[derive(Debug)]
struct Environments;

impl Activation for Environments {
    fn evaluate(&self, _ctx: &Context) -> bool {
        true
    }
}

impl ActivationClass for Environments {
    const NAMES: &'static [&'static str] = &["EnvironmentActivation"];
    const EXPECTED: &'static str = "anything";

    fn build(_def: &mut Definition<'_>) -> Result<Self, BuildError> {
        Ok(Environments)
    }
}

novi_core::register!(Environments);

/// Every warning logged, as text.
struct Kept(Mutex<Vec<String>>);

impl log::Log for Kept {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::Level::Warn
    }

    fn log(&self, record: &log::Record<'_>) {
        if self.enabled(record.metadata()) {
            self.0.lock().unwrap().push(record.args().to_string());
        }
    }

    fn flush(&self) {}
}

fn warnings() -> &'static Kept {
    static KEPT: OnceLock<&'static Kept> = OnceLock::new();
    KEPT.get_or_init(|| {
        let kept: &'static Kept = Box::leak(Box::new(Kept(Mutex::new(Vec::new()))));
        log::set_logger(kept).unwrap();
        log::set_max_level(log::LevelFilter::Warn);
        kept
    })
}

/// The tests count log lines: one at a time.
fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn count(containing: &str) -> usize {
    warnings()
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|w| w.contains(containing))
        .count()
}

const CLASH: &str = "activation class `EnvironmentActivation` is registered twice, by \
     logging::Environments and by novi_activations::targeting::EnvironmentActivation, and is \
     refused: rename one";

/// The regression: the write said the built-in class was *unknown*, and listed neither claim;
/// only `novi-web`'s start-up log mentioned the clash.
#[test]
fn a_class_registered_twice_is_reported_by_the_library() {
    let _turn = one_at_a_time();
    let db = TestDb::new(Backend::Sqlite);
    let before = count(CLASH);
    let client = db.client();
    assert_eq!(count(CLASH), before + 1, "connecting reports the clash");
    match client.create_activation(&ActivationInput {
        name: "production".into(),
        class_name: "EnvironmentActivation".into(),
        config: r#"{"environments": ["production"]}"#.into(),
    }) {
        Err(Error::InvalidActivation(err @ BuildError::ConflictingClass(_))) => {
            assert_eq!(err.to_string(), CLASH);
        }
        other => panic!("{other:?}"),
    }
}

/// A broken activation is logged when the rows that hold it are loaded, not again at each
/// refresh that finds the same rows.
#[test]
fn a_broken_activation_is_logged_once_per_change_of_the_rows() {
    let _turn = one_at_a_time();
    let db = TestDb::new(Backend::Sqlite);
    let client: Client = db.client();
    db.execute(
        "INSERT INTO activations (name, class_name, config) VALUES ('gone', 'acme.Gone', '{}');",
    );
    let broken = "unknown activation class `acme.Gone`";
    let before = count(broken);
    for _ in 0..5 {
        client.refresh().unwrap();
    }
    assert_eq!(count(broken), before + 1, "five refreshes of the same rows");
    let revision = client.snapshot().revision();
    db.execute("INSERT INTO flags (name, status) VALUES ('touched', TRUE);");
    client.refresh().unwrap();
    assert_ne!(client.snapshot().revision(), revision);
    client.refresh().unwrap();
    assert_eq!(count(broken), before + 2, "the rows changed once");
}

//! Run with `cargo run -p novi-examples --example quickstart`
//!
//! Python Novi's README example, in Rust. It creates a SQLite database in a temporary folder
//! (or uses `NOVI_DATABASE_URL` when set), loads `sample_data.sql` into it when it has no
//! flags, and checks the sample flags with `#[enabled]` and `flag::is_enabled`. It prints:
//!
//! ```text
//! Feature active as of 11/26/2023 12:00 AM
//! variation A
//! ```
#![allow(clippy::print_stdout)] // an example's output is its point

use anyhow::Context as _;
use novi_client::{Client, context, enabled, flag};

const DATE_TO_TEST: &str = "11/26/2023 12:00 AM";

#[enabled("Date Activated Feature", {"currentDateTime": DATE_TO_TEST})]
fn date_based_activated_func() {
    println!("Feature active as of {DATE_TO_TEST}");
}

// Only variation A is ever chosen: the sample splits are [100, 0, 0].
#[enabled("Random Variant Feature", {"seed": 333, "variant": "A"})]
fn variation_a() {
    println!("variation A");
}

#[enabled("Random Variant Feature", {"seed": 333, "variant": "B"})]
fn variation_b() {
    println!("variation B");
}

fn variation_c() {
    println!("variation C");
}

fn main() -> anyhow::Result<()> {
    novi_activations::link();
    let dir = tempfile::tempdir().context("creating a temporary folder")?;
    let url = std::env::var("NOVI_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("novi.db").display()));
    let client = Client::builder(&url)?
        .migrate(true)
        .connect()
        .context("opening the database")?;
    client
        .seed_if_empty(novi_client::SAMPLE_DATA)
        .context("loading sample_data.sql")?;
    if flag::install(client).is_err() {
        anyhow::bail!("the default client was already set");
    }

    date_based_activated_func();
    variation_a();
    variation_b();
    if flag::is_enabled(
        "Random Variant Feature",
        &context! {"seed": 333, "variant": "C"},
    ) {
        variation_c();
    }
    Ok(())
}

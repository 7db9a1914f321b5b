//! Run with `cargo run -p novi-examples --example custom_server`
//!
//! Your own Novi server: the `novi-web` library with the built-in activations and a
//! downstream activation crate (this crate's `CountryActivation`) linked in. It listens on
//! `NOVI_BIND` (default 127.0.0.1:8080), uses the configured database (`NOVI_DATABASE_URL`,
//! `DATABASE_URL`, `novi.ini`, else `sqlite://novi.db`) and loads the sample flags into an
//! empty database. Try:
//!
//! ```text
//! curl -X POST localhost:8080/activations -H 'Content-Type: application/json' \
//!   -d '{"name": "Nordics", "class_name": "CountryActivation", "config": {"countries": ["NO", "SE"]}}'
//! ```

fn main() -> anyhow::Result<()> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    // Name every crate that registers activations, or the linker drops them.
    novi_activations::link();
    novi_examples::link();
    novi_web::run(novi_web::Config {
        bind: std::env::var("NOVI_BIND").unwrap_or_else(|_| "127.0.0.1:8080".to_owned()),
        sample_data: true,
        ..novi_web::Config::default()
    })
}

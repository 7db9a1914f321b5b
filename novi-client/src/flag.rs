//! Python Novi's conveniences: `flag::is_enabled("name", &ctx)` over a default client built on
//! first use from the configuration (`NOVI_DATABASE_URL`, `DATABASE_URL`, `novi.ini`,
//! `sqlite://novi.db`), refreshed in the background every
//! [`DEFAULT_REFRESH_INTERVAL`].
//!
//! These are thin layers over [`Client`]: prefer an explicit client in services, where the
//! database URL and the refresh interval are part of the configuration.

use std::sync::OnceLock;

use novi_core::Context;

use crate::{Client, DEFAULT_REFRESH_INTERVAL, Error};

static DEFAULT_CLIENT: OnceLock<Result<Client, Error>> = OnceLock::new();

/// Makes `client` the default client, before anything has used the default. Returns the
/// client back when a default already exists.
pub fn install(client: Client) -> Result<(), Client> {
    let mut unused = Some(client);
    DEFAULT_CLIENT.get_or_init(|| Ok(unused.take().expect("get_or_init runs this at most once")));
    match unused {
        None => Ok(()),
        Some(client) => Err(client),
    }
}

/// The default client, built on first use. If building it failed, every later call gets the
/// same error (it is logged once).
pub fn client() -> Result<&'static Client, &'static Error> {
    DEFAULT_CLIENT
        .get_or_init(|| {
            novi_activations::link();
            let client = Client::builder_from_config(None).and_then(|builder| {
                builder
                    .refresh_interval(Some(DEFAULT_REFRESH_INTERVAL))
                    .connect()
            });
            if let Err(err) = &client {
                log::error!("novi: the default client cannot start, every flag is off: {err}");
            }
            client
        })
        .as_ref()
}

/// Whether the flag is on for `ctx`, from the default client (for the reason too, use
/// [`client`] and [`Client::evaluate`]). Unknown flags, and every flag
/// when the default client cannot start, are off.
pub fn is_enabled(name: &str, ctx: &Context) -> bool {
    client().is_ok_and(|client| client.is_enabled(name, ctx))
}

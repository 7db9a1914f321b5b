//! Python Novi's conveniences: `flag::is_enabled("name", &ctx)` over a default client built on
//! first use from the configuration (`NOVI_DATABASE_URL`, `DATABASE_URL`, `novi.ini`,
//! `sqlite://novi.db`), refreshed in the background every
//! [`DEFAULT_REFRESH_INTERVAL`].
//!
//! These are thin layers over [`Client`]: prefer an explicit client in services, where the
//! database URL and the refresh interval are part of the configuration.

use std::{
    sync::{Arc, Mutex, OnceLock, PoisonError},
    time::{Duration, Instant},
};

use novi_core::Context;
use novi_snapshot::Source;

use crate::{
    client::{Client, DEFAULT_REFRESH_INTERVAL},
    error::Error,
};

static DEFAULT_CLIENT: OnceLock<Client> = OnceLock::new();

/// A source installed in place of a database client (a `novi-remote` client, say).
static INSTALLED_SOURCE: OnceLock<Box<dyn Source>> = OnceLock::new();

/// When building the default client last failed, and why.
static LAST_FAILURE: Mutex<Option<(Instant, Arc<Error>)>> = Mutex::new(None);

/// How long after a failure the default client is tried again.
pub const RETRY_AFTER: Duration = Duration::from_secs(5);

/// Makes `client` the default client, before anything has used the default. Returns the
/// client back when a default already exists.
pub fn install(client: Client) -> Result<(), Client> {
    DEFAULT_CLIENT.set(client)
}

/// Makes `source` (any holder of a snapshot, such as a `novi_remote::RemoteClient`) what
/// [`is_enabled`] and `#[enabled]` read, instead of a database client. Returns it back when one
/// is installed already.
pub fn install_source(source: impl Source + 'static) -> Result<(), Box<dyn Source>> {
    INSTALLED_SOURCE.set(Box::new(source))
}

/// The default client, built on first use. When building it fails (the database is down, say)
/// the error is logged and returned, and the next call after [`RETRY_AFTER`] tries again.
pub fn client() -> Result<&'static Client, Arc<Error>> {
    if let Some(client) = DEFAULT_CLIENT.get() {
        return Ok(client);
    }
    let mut failure = LAST_FAILURE.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(client) = DEFAULT_CLIENT.get() {
        return Ok(client);
    }
    if let Some((at, err)) = &*failure
        && at.elapsed() < RETRY_AFTER
    {
        return Err(Arc::clone(err));
    }
    novi_activations::link();
    let built = Client::builder_from_config(None).and_then(|builder| {
        builder
            .refresh_interval(Some(DEFAULT_REFRESH_INTERVAL))
            .watch_changes(true)
            .connect()
    });
    match built {
        Ok(client) => {
            *failure = None;
            Ok(DEFAULT_CLIENT.get_or_init(|| client))
        }
        Err(err) => {
            log::error!(
                "novi: the default client cannot start, every flag is off (next try in {}s): {err}",
                RETRY_AFTER.as_secs()
            );
            let err = Arc::new(err);
            *failure = Some((Instant::now(), Arc::clone(&err)));
            Err(err)
        }
    }
}

/// Whether the flag is on for `ctx`, from the installed source (see [`install_source`]), else the
/// default client (for the reason too, use
/// [`client`] and [`Client::evaluate`]). Unknown flags, and every flag while the default client
/// cannot start, are off.
pub fn is_enabled(name: &str, ctx: &Context) -> bool {
    if let Some(source) = INSTALLED_SOURCE.get() {
        return source.cell().load().is_enabled(name, ctx);
    }
    client().is_ok_and(|client| client.is_enabled(name, ctx))
}

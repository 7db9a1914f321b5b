//! The state every handler shares.

use novi_client::Client;

/// Registered once with `app_data`.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The flags: evaluation reads its snapshot; writes go through it.
    pub client: Client,
}

//! Where a server's flags come from: its database (through `novi-client`, which also writes),
//! or, in relay mode, an upstream `novi-web` (through `novi-remote`, read only).

use std::{sync::Arc, time::Duration};

use novi_client::{Client, Context, FlagRecord, Revision, Snapshot, SnapshotCell, Source, Variant};
use novi_remote::{RemoteClient, Upstream};
use tokio::sync::watch;

/// A server's flags.
#[derive(Debug, Clone)]
pub enum Flags {
    /// Read from and written to a database.
    Database(Client),
    /// Read from an upstream server; writes go there, not here.
    Relay(RemoteClient),
}

impl Flags {
    /// The cell holding the current snapshot, whichever the source.
    fn cell(&self) -> &SnapshotCell {
        match self {
            Flags::Database(client) => client.cell(),
            Flags::Relay(remote) => remote.cell(),
        }
    }

    /// The current snapshot.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.cell().load_full()
    }

    /// The revision of every new snapshot from now on.
    pub fn subscribe(&self) -> watch::Receiver<Revision> {
        self.cell().subscribe()
    }

    /// How long ago the source was last read successfully.
    pub fn snapshot_age(&self) -> Duration {
        self.cell().age()
    }

    /// Whether the latest read of the source failed (the snapshot is the last good one).
    pub fn refresh_failing(&self) -> bool {
        self.cell().failing()
    }

    /// How many reads of the source failed.
    pub fn refresh_failures(&self) -> u64 {
        self.cell().failures()
    }

    /// The database client, unless this server is a relay.
    pub fn database(&self) -> Option<&Client> {
        match self {
            Flags::Database(client) => Some(client),
            Flags::Relay(_) => None,
        }
    }

    /// Whether evaluations here record exposures (a database server with a running
    /// experiment; a relay records none: its upstream's own evaluations and `POST /events` do).
    pub fn records_exposures(&self) -> bool {
        matches!(self, Flags::Database(client) if client.records_exposures())
    }

    /// Records the exposure of the unit `ctx` names to the experiments running on `flag`.
    pub fn expose(&self, flag: &FlagRecord, ctx: &Context, variant: Option<&Variant>) {
        if let Flags::Database(client) = self {
            client.expose(flag, ctx, variant);
        }
    }

    /// The upstream URL and how it is followed, when this server is a relay.
    pub fn upstream(&self) -> Option<(&str, Upstream)> {
        match self {
            Flags::Database(_) => None,
            Flags::Relay(remote) => Some((remote.url(), remote.upstream())),
        }
    }
}

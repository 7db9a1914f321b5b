//! The one error type of `novi-remote`.

use std::path::PathBuf;

use novi_snapshot::document::DocumentError;

/// Everything that can go wrong in `novi-remote`. Messages never contain the token.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server's URL is not an `http://` or `https://` URL.
    #[error("`{url}` is not an http:// or https:// URL")]
    Url {
        /// The URL given.
        url: String,
    },
    /// The server could not be reached, or did not answer in time.
    #[error("cannot reach {url}: {cause}")]
    Unreachable {
        /// What was asked for.
        url: String,
        /// The transport's reason.
        cause: String,
    },
    /// The server answered with a status the client cannot use (401 or 403: the token).
    #[error("{url} answered {status}: {message}")]
    Status {
        /// What was asked for.
        url: String,
        /// The status.
        status: u16,
        /// The server's message, if it gave one.
        message: String,
    },
    /// The snapshot document did not read, or did not match its revision.
    #[error("the snapshot from {url}: {source}")]
    Document {
        /// Where it came from (a URL or a backup file).
        url: String,
        /// Why it was refused.
        source: DocumentError,
    },
    /// The backup file could not be written or read.
    #[error("the backup file {}: {cause}", path.display())]
    Backup {
        /// The file.
        path: PathBuf,
        /// The reason.
        cause: std::io::Error,
    },
    /// A background thread could not be started.
    #[error("cannot start the thread `{name}`: {source}")]
    Thread {
        /// The thread's name.
        name: &'static str,
        /// Why.
        source: std::io::Error,
    },
    /// No snapshot at all: the server could not be read at start, and there is no usable
    /// backup file.
    #[error("no snapshot to start from: {server}{}", backup_note(backup))]
    NoSnapshot {
        /// Why the server could not be read.
        server: Box<Error>,
        /// The backup file and why it could not be used, if one was configured.
        backup: Option<Box<Error>>,
    },
}

fn backup_note(backup: &Option<Box<Error>>) -> String {
    match backup {
        Some(err) => format!("; and {err}"),
        None => "; and no backup file is configured (RemoteBuilder::backup_file)".to_owned(),
    }
}

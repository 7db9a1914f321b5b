//! The last good snapshot document, kept in a file so that a client starts while its server is
//! down. Written whole to a temporary file and renamed over the old one, so a crash never
//! leaves half a document; read back through `Document::parse`, which checks its revision.

use std::{
    fs,
    io::Write,
    path::{Path, PathBuf},
    time::SystemTime,
};

use novi_snapshot::document::Document;

use crate::error::Error;

/// Writes `document` to `path` atomically.
pub(crate) fn save(path: &Path, document: &[u8]) -> Result<(), Error> {
    let failed = |cause| Error::Backup {
        path: path.to_owned(),
        cause,
    };
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".tmp");
    let temporary = PathBuf::from(temporary);
    let mut file = fs::File::create(&temporary).map_err(failed)?;
    file.write_all(document).map_err(failed)?;
    file.sync_all().map_err(failed)?;
    drop(file);
    fs::rename(&temporary, path).map_err(failed)
}

/// Reads the document in `path`, and when it was written.
pub(crate) fn load(path: &Path) -> Result<(Document, SystemTime), Error> {
    let failed = |cause| Error::Backup {
        path: path.to_owned(),
        cause,
    };
    let bytes = fs::read(path).map_err(failed)?;
    let written = fs::metadata(path)
        .and_then(|meta| meta.modified())
        .map_err(failed)?;
    let document = Document::parse(&bytes).map_err(|source| Error::Document {
        url: path.display().to_string(),
        source,
    })?;
    Ok((document, written))
}

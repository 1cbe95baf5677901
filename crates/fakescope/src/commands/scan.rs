//! `fakescope scan`: scan files and directories, print a table or JSON Lines.

use std::io::Write;
use std::time::Duration;

use anyhow::{Context, Result};
use fakescope_media::AudioLimits;
use fakescope_scan::walk::{Entry, walk};
use fakescope_scan::{FileReport, MediaKind, ScanOptions, Scanner, Thresholds, WindowPolicy};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{GlobalArgs, ScanArgs};
use crate::print;

/// Detectors run when `--detector` is not given.
pub const DEFAULT_DETECTORS: &[&str] = &["aasist"];

/// Runs the scan; returns whether every file was scanned.
pub fn run(global: &GlobalArgs, args: &ScanArgs) -> Result<bool> {
    let names: Vec<String> = if args.detectors.is_empty() {
        DEFAULT_DETECTORS.iter().map(|s| s.to_string()).collect()
    } else {
        args.detectors.clone()
    };
    let detectors = crate::detectors::load_audio(global, &names)?;
    let options = ScanOptions {
        hop_s: args.hop,
        window_policy: if args.first_window {
            WindowPolicy::First
        } else {
            WindowPolicy::All
        },
        aggregate: args.aggregate.into(),
        combine: args.combine.into(),
        thresholds: Thresholds {
            fake: args.fake_threshold,
            uncertain: args.uncertain_threshold,
        },
        batch_size: args.batch_size,
        audio_limits: AudioLimits {
            max_duration_s: args.max_duration,
            ..AudioLimits::default()
        },
    };
    let scanner = Scanner::new(detectors, options).context("cannot set up the scan")?;

    let entries = walk(&args.paths);
    let progress = if global.quiet || entries.len() < 2 {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::new(entries.len() as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} scanning [{bar:30}] {pos}/{len} {elapsed_precise} eta {eta} {wide_msg}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    };

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if !args.json {
        print::table_header(&mut out, &scanner.detector_names())?;
    }
    let (mut failed, mut scanned) = (0usize, 0usize);
    for entry in entries {
        let report = match &entry {
            Entry::File(path) => {
                progress.set_message(path.display().to_string());
                scanner.scan_file(path)
            }
            Entry::Unreadable(path, why) => FileReport::failed(
                path.display().to_string(),
                MediaKind::Unknown,
                format!("{}: {why}", path.display()),
            ),
        };
        if report.error.is_some() {
            failed += 1;
        } else {
            scanned += 1;
        }
        progress.suspend(|| -> std::io::Result<()> {
            if args.json {
                print::json_line(&mut out, &report)
            } else {
                print::table_row(&mut out, &report)
            }?;
            out.flush()
        })?;
        progress.inc(1);
    }
    progress.finish_and_clear();
    if !global.quiet {
        eprintln!("{scanned} file(s) scanned, {failed} failed");
    }
    Ok(failed == 0)
}

//! `fakescope scan`: scan files and directories, print a table or JSON Lines.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use fakescope_scan::faces::{CropKind, FaceMode, FaceStage};
use fakescope_scan::walk::{Entry, walk};
use fakescope_scan::{FileReport, ImageStage, MediaKind, ScanSettings, Scanner};
use indicatif::ProgressBar;

use crate::cli::{CombineArg, CropArg, GlobalArgs, ScanArgs};
use crate::print;

/// Detectors run when `--detector` is not given: speech and faces. A default whose model is not
/// installed is skipped with a note.
pub const DEFAULT_DETECTORS: &[&str] = &["aasist", "mesoinception4-df"];

/// The scan the command line asks for, as settings the HTTP API shares.
pub fn settings(args: &ScanArgs) -> ScanSettings {
    ScanSettings {
        detectors: args.detectors.clone(),
        hop: args.hop,
        first_window: args.first_window,
        aggregate: args.aggregate.into(),
        combine: args.combine.into(),
        fake_threshold: args.fake_threshold,
        uncertain_threshold: args.uncertain_threshold,
        max_duration: args.max_duration,
        batch_size: args.batch_size,
        face_aggregate: args.face_aggregate.into(),
        crops: args.crops,
        crop: match args.crop {
            CropArg::Aligned => CropKind::Aligned,
            CropArg::Box => CropKind::Box,
        },
        frames: args.frames,
        fps: args.fps,
        track_aggregate: args.track_aggregate.into(),
        max_pixels: args.max_pixels,
        image_crops: args.image_crops,
        fusion: match args.combine {
            CombineArg::Fusion => args.fusion.as_ref().map(|p| p.display().to_string()),
            _ => None,
        },
    }
}

/// Loads the detectors the settings name (the default set when none) and sets up the scan.
pub fn build_scanner(global: &GlobalArgs, settings: &ScanSettings) -> Result<Scanner> {
    let options = settings.scan_options().map_err(anyhow::Error::msg)?;
    let defaults = settings.detectors.is_empty();
    let names: Vec<String> = if defaults {
        DEFAULT_DETECTORS.iter().map(|s| s.to_string()).collect()
    } else {
        settings.detectors.clone()
    };
    let loaded = crate::detectors::load(global, &names, defaults)?;
    let faces = if loaded.face.is_empty() {
        None
    } else {
        let (finder, mode) = if settings.crops {
            (None, FaceMode::Crops)
        } else {
            (
                Some(crate::detectors::face_finder(global, settings.crop)?),
                FaceMode::Detect,
            )
        };
        Some(FaceStage::new(loaded.face, finder, mode).map_err(anyhow::Error::msg)?)
    };
    let images = if loaded.image.is_empty() {
        None
    } else {
        Some(ImageStage::new(loaded.image).map_err(anyhow::Error::msg)?)
    };
    let scanner =
        Scanner::new(loaded.audio, faces, images, options).context("cannot set up the scan")?;
    match &settings.fusion {
        Some(path) => with_fusion(scanner, Path::new(path)),
        None => Ok(scanner),
    }
}

/// The scanner with the logistic fusion in `path` (JSON from `fakescope calibrate fuse`) as
/// its way of combining detectors; every detector the fusion names must be in the scan.
fn with_fusion(scanner: Scanner, path: &Path) -> Result<Scanner> {
    let fusion: fakescope_metrics::fusion::DetectorFusion = serde_json::from_str(
        &std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?,
    )
    .with_context(|| {
        format!(
            "{} is not a fusion from `fakescope calibrate fuse`",
            path.display()
        )
    })?;
    let names = scanner.detector_names();
    if let Some(missing) = fusion
        .detectors
        .iter()
        .find(|d| !names.contains(&d.as_str()))
    {
        anyhow::bail!(
            "{} fuses `{missing}`, which this scan does not run (detectors: {})",
            path.display(),
            names.join(", ")
        );
    }
    let options = fakescope_scan::ScanOptions {
        fusion: Some(std::sync::Arc::new(fusion)),
        ..scanner.options().clone()
    };
    Ok(scanner.with_options(options)?)
}

/// Runs the scan; returns whether every file was scanned.
pub fn run(global: &GlobalArgs, args: &ScanArgs) -> Result<bool> {
    match (args.combine, &args.fusion) {
        (CombineArg::Fusion, None) => {
            anyhow::bail!(
                "--combine fusion needs --fusion FILE (fit one with `fakescope calibrate fuse`)"
            )
        }
        (CombineArg::Fusion, Some(_)) => {}
        (_, Some(_)) => anyhow::bail!("--fusion is used with --combine fusion"),
        (_, None) => {}
    }
    if let Some(server) = &args.submit {
        return super::submit::run(global, args, server);
    }
    let mut scanner = build_scanner(global, &settings(args))?;
    if let Some(dir) = &args.heatmaps {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the heatmap folder {}", dir.display()))?;
        let options = fakescope_scan::ScanOptions {
            heatmaps: Some(dir.clone()),
            ..scanner.options().clone()
        };
        scanner = scanner.with_options(options)?;
    }

    let entries = walk(&args.paths);
    let progress = print::scan_progress(global.quiet, entries.len(), "scanning".into());

    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if !args.json {
        print::table_header(
            &mut out,
            &scanner.detector_names(),
            &scanner.calibrated_names(),
        )?;
    }
    let (mut failed, mut scanned) = (0usize, 0usize);
    // --report: the reports are kept for the page written at the end.
    let mut kept: Vec<FileReport> = Vec::new();
    // Files go to the scanner in small groups: images of a group are decoded in parallel and
    // their faces scored in shared batches; reports still come out in order.
    let mut pending: Vec<std::path::PathBuf> = Vec::new();
    let mut emit = |report: FileReport| -> Result<()> {
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
        if args.report.is_some() {
            kept.push(report);
        }
        Ok(())
    };
    let group = (args.batch_size * 4).max(16);
    for entry in entries {
        match entry {
            Entry::File(path) => {
                pending.push(path);
                if pending.len() < group {
                    continue;
                }
            }
            Entry::Unreadable(path, why) => {
                for r in scan_group(&scanner, &progress, &mut pending) {
                    emit(r)?;
                }
                emit(FileReport::failed(
                    path.display().to_string(),
                    MediaKind::Unknown,
                    format!("{}: {why}", path.display()),
                ))?;
                continue;
            }
        }
        for r in scan_group(&scanner, &progress, &mut pending) {
            emit(r)?;
        }
    }
    for r in scan_group(&scanner, &progress, &mut pending) {
        emit(r)?;
    }
    progress.finish_and_clear();
    if let Some(path) = &args.report {
        let page = fakescope_scan::page::render(
            &kept,
            &fakescope_scan::page::PageOptions {
                title: format!("fakescope scan: {} file(s)", kept.len()),
                thresholds: scanner.options().thresholds,
                image_limits: scanner.options().image_limits,
                ..Default::default()
            },
        );
        std::fs::write(path, page)
            .with_context(|| format!("cannot write the report {}", path.display()))?;
    }
    if !global.quiet {
        eprintln!("{scanned} file(s) scanned, {failed} failed");
        if let Some(path) = &args.report {
            eprintln!("report: {}", path.display());
        }
    }
    Ok(failed == 0)
}

/// Scans the pending files (emptying the list) and returns their reports in order.
fn scan_group(
    scanner: &Scanner,
    progress: &ProgressBar,
    pending: &mut Vec<std::path::PathBuf>,
) -> Vec<FileReport> {
    if pending.is_empty() {
        return Vec::new();
    }
    if let Some(first) = pending.first() {
        progress.set_message(first.display().to_string());
    }
    let reports = scanner.scan_files(pending);
    pending.clear();
    reports
}

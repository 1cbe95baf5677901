//! `fakescope prepare`: DeepfakeBench preprocessing (crops, landmarks, dataset JSON), in
//! parallel over videos and resumable. The work is in the `fakescope_prepare` crate.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use fakescope_prepare::dataset::{
    DatasetJson, LabelRules, Splits, compression_level, has_compression_level,
};
use fakescope_prepare::layout::{VideoJob, discover};
use fakescope_prepare::video::{Options, Prepared, prepare_video};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::cli::{GlobalArgs, PrepareArgs};

/// Label of videos no rule names.
const UNLABELED: &str = "unlabeled";

fn splits(args: &PrepareArgs) -> Result<Splits> {
    let mut splits = Splits::new(&args.split)?;
    for spec in &args.split_file {
        let Some((split, file)) = spec.split_once('=') else {
            bail!("--split-file {spec:?} is not SPLIT=FILE (e.g. test=splits/test.json)");
        };
        splits.add_file(split, &PathBuf::from(file))?;
    }
    Ok(splits)
}

/// Runs `fakescope prepare`; `Ok(false)` when some video failed.
pub fn run(global: &GlobalArgs, args: &PrepareArgs) -> Result<bool> {
    if args.frames == 0 {
        bail!("--frames must be at least 1");
    }
    let labels = match &args.label_from_dir {
        Some(spec) => LabelRules::parse(spec)?,
        None => LabelRules::faceforensics(),
    };
    let splits = splits(args)?;
    std::fs::create_dir_all(&args.output)
        .with_context(|| format!("cannot create {}", args.output.display()))?;
    let out = args
        .output
        .canonicalize()
        .with_context(|| format!("cannot resolve {}", args.output.display()))?;
    let found = discover(&args.inputs, &out)?;
    let mut ok = found.unreadable.is_empty();
    for (path, why) in &found.unreadable {
        eprintln!("fakescope: error: {}: {why}", path.display());
    }
    if found.jobs.is_empty() {
        bail!("no videos found in the inputs");
    }
    let mtcnn = crate::detectors::load_mtcnn(global, "prepare needs the mtcnn model")?;
    let options = Options {
        frames: args.frames,
        ..Options::default()
    };
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs)
        .build()
        .context("cannot start the worker threads")?;

    let progress = if global.quiet {
        ProgressBar::hidden()
    } else {
        let bar = ProgressBar::new(found.jobs.len() as u64);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} preparing [{bar:30}] {pos}/{len} videos {elapsed_precise} eta {eta} {wide_msg}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        bar
    };
    let started = Instant::now();
    let decoded = AtomicUsize::new(0);
    let results: Vec<(&VideoJob, Result<Prepared, fakescope_prepare::Error>)> =
        pool.install(|| {
            found
                .jobs
                .par_iter()
                .map(|job| {
                    let result = prepare_video(&mtcnn, job, &options);
                    match &result {
                        Ok(p) => {
                            let n = decoded.fetch_add(p.decoded, Ordering::Relaxed) + p.decoded;
                            let rate = n as f64 / started.elapsed().as_secs_f64().max(1e-9);
                            progress.set_message(format!("{rate:.1} frames/s"));
                        }
                        Err(e) => progress.suspend(|| eprintln!("fakescope: error: {e}")),
                    }
                    progress.inc(1);
                    (job, result)
                })
                .collect()
        });
    progress.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();

    let mut dataset = DatasetJson::new(&args.dataset);
    let (mut prepared, mut skipped, mut failed, mut unlabeled, mut faceless) = (0, 0, 0, 0, 0);
    let (mut frames_decoded, mut without_face) = (0, 0);
    for (job, result) in results {
        let p = match result {
            Ok(p) => p,
            Err(_) => {
                failed += 1;
                ok = false;
                continue;
            }
        };
        if p.skipped {
            skipped += 1;
        } else {
            prepared += 1;
        }
        frames_decoded += p.decoded;
        without_face += p.without_face;
        if p.frames.is_empty() {
            faceless += 1;
            if !p.skipped {
                eprintln!(
                    "fakescope: warning: {}: no face in any sampled frame; left out of the JSON",
                    job.source.display()
                );
            }
            continue;
        }
        let label = labels.label(&job.source).unwrap_or_else(|| {
            unlabeled += 1;
            UNLABELED
        });
        let level = has_compression_level(&args.dataset).then(|| compression_level(&job.source));
        dataset.add(label, splits.split(&job.name), level, &job.name, &p.frames)?;
    }
    let json_path = out.join(format!("{}.json", args.dataset));
    let text = serde_json::to_string_pretty(&dataset.to_value())?;
    std::fs::write(&json_path, text + "\n")
        .with_context(|| format!("cannot write {}", json_path.display()))?;
    if unlabeled > 0 {
        eprintln!(
            "fakescope: warning: {unlabeled} videos matched no --label-from-dir rule; labelled {UNLABELED:?}"
        );
    }
    if !global.quiet {
        eprintln!(
            "prepared {prepared} videos, skipped {skipped} already done, {failed} failed, \
             {faceless} without faces; {frames_decoded} frames ({without_face} without a face) \
             in {elapsed:.1} s = {:.1} frames/s; wrote {}",
            frames_decoded as f64 / elapsed.max(1e-9),
            json_path.display()
        );
    }
    Ok(ok)
}

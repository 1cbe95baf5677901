//! Running a plan: every set's files, decoded once per file, perturbed under every condition
//! and scored by every detector that has no cached score yet.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

use fakescope_media::{MediaKind as Sniffed, RgbImage};
use fakescope_perturb::robustness::Medium;
use fakescope_perturb::sample_rng;
use fakescope_scan::{FileReport, FrameFilter, MediaKind, ScanSettings, Scanner};
use rayon::prelude::*;

use crate::Error;
use crate::cache::{ScoreCache, ScoreLine};
use crate::plan::{Bench, BenchSet, Condition};

/// Where the detectors come from: the binary loads them as `fakescope scan` does.
pub trait DetectorSource: Sync {
    /// A scanner running the detectors named as the plan names them, with `settings`
    /// (whose `detectors` is empty). The error says what is wrong, listing what exists.
    fn scanner(&self, detectors: &[String], settings: &ScanSettings) -> Result<Scanner, String>;
}

/// Where a run stands, for a progress bar.
#[derive(Debug, Clone)]
pub struct Progress {
    /// The set being scored.
    pub set: String,
    /// Files × conditions scored so far in this set.
    pub done: u64,
    /// Files × conditions this set needs scored (those fully cached are not counted).
    pub total: u64,
}

/// Files decoded together; every condition of each is scored before the next group.
const FILES_PER_GROUP: usize = 16;

/// Scores what the cache lacks, set by set, appending to the cache as it goes.
pub fn run(
    bench: &Bench,
    source: &dyn DetectorSource,
    cache: &mut ScoreCache,
    progress: &dyn Fn(&Progress),
) -> Result<(), Error> {
    let mut reported: HashMap<String, String> = HashMap::new();
    for name in &bench.detectors {
        // The name the detector reports under (a model folder reports its model's name).
        let scanner = source
            .scanner(std::slice::from_ref(name), &ScanSettings::default())
            .map_err(Error::Detector)?;
        let names = scanner.detector_names();
        reported.insert(
            name.clone(),
            names.first().copied().unwrap_or_default().to_owned(),
        );
    }
    for set in &bench.sets {
        run_set(bench, set, source, &reported, cache, progress)?;
    }
    Ok(())
}

/// The medium of each file, from its first bytes (`None`: not a media file).
fn media_of(set: &BenchSet) -> Vec<Option<Medium>> {
    set.samples
        .par_iter()
        .map(|s| match fakescope_media::sniff_file(&s.path) {
            Ok(Sniffed::Audio(_)) => Some(Medium::Audio),
            Ok(Sniffed::Image(_) | Sniffed::Video(_)) => Some(Medium::Image),
            _ => None,
        })
        .collect()
}

/// One file decoded for every condition.
enum Decoded {
    Image(RgbImage),
    Audio(Vec<f32>),
    /// Videos are decoded by the scan, frame by frame, with the perturbation as a filter.
    Video,
    Failed(String),
}

fn run_set(
    bench: &Bench,
    set: &BenchSet,
    source: &dyn DetectorSource,
    reported: &HashMap<String, String>,
    cache: &mut ScoreCache,
    progress: &dyn Fn(&Progress),
) -> Result<(), Error> {
    let media = media_of(set);
    // (file, condition) pairs with a detector whose score is missing.
    let mut todo: Vec<(usize, usize)> = Vec::new();
    let mut missing: BTreeSet<&String> = BTreeSet::new();
    for (i, s) in set.samples.iter().enumerate() {
        let path = s.path.display().to_string();
        for (c, cond) in set.conditions.iter().enumerate() {
            // A file that is not media is tried clean only (its report says why it failed).
            let applies = media[i].map_or(*cond == Condition::Clean, |m| cond.applies_to(m));
            if !applies {
                continue;
            }
            let lacking: Vec<&String> = set
                .detectors
                .iter()
                .filter(|d| {
                    cache
                        .get(&set.name, &path, &cond.label(), d, &set.settings_digest)
                        .is_none()
                })
                .collect();
            if !lacking.is_empty() {
                todo.push((i, c));
                missing.extend(lacking);
            }
        }
    }
    let total = todo.len() as u64;
    progress(&Progress {
        set: set.name.clone(),
        done: 0,
        total,
    });
    if todo.is_empty() {
        return Ok(());
    }
    let detectors: Vec<String> = set
        .detectors
        .iter()
        .filter(|d| missing.contains(d))
        .cloned()
        .collect();
    let scanner = source
        .scanner(&detectors, &set.settings)
        .map_err(|e| Error::Detector(format!("set {}: {e}", set.name)))?;
    let options = scanner.options().clone();

    let mut done = 0u64;
    let files: Vec<usize> = {
        let mut f: Vec<usize> = todo.iter().map(|t| t.0).collect();
        f.dedup();
        f
    };
    for group in files.chunks(FILES_PER_GROUP) {
        let decoded: Vec<Decoded> = group
            .par_iter()
            .map(|&i| {
                let path = &set.samples[i].path;
                match fakescope_media::sniff_file(path) {
                    Ok(Sniffed::Image(_)) => {
                        fakescope_media::decode_image(path, &options.image_limits)
                            .map(Decoded::Image)
                            .unwrap_or_else(|e| Decoded::Failed(e.to_string()))
                    }
                    Ok(Sniffed::Audio(_)) => {
                        fakescope_media::decode_audio(path, &options.audio_limits)
                            .map(|c| Decoded::Audio(c.samples))
                            .unwrap_or_else(|e| Decoded::Failed(e.to_string()))
                    }
                    Ok(Sniffed::Video(_)) => Decoded::Video,
                    Ok(Sniffed::Unknown) => Decoded::Failed(format!(
                        "{}: not an image, audio or video file",
                        path.display()
                    )),
                    Err(e) => Decoded::Failed(e.to_string()),
                }
            })
            .collect();
        let pairs: Vec<(usize, usize, usize)> = todo
            .iter()
            .filter_map(|&(i, c)| group.iter().position(|&g| g == i).map(|k| (i, c, k)))
            .collect();
        let reports = score_pairs(bench, set, &scanner, &pairs, &decoded)?;
        let mut lines = Vec::new();
        for (&(i, c, _), report) in pairs.iter().zip(reports) {
            let path = set.samples[i].path.display().to_string();
            let condition = set.conditions[c].label();
            for d in &detectors {
                if cache
                    .get(&set.name, &path, &condition, d, &set.settings_digest)
                    .is_some()
                {
                    // Scored before: only the missing detectors are recorded.
                    continue;
                }
                let name = reported.get(d).map(String::as_str).unwrap_or(d);
                let (p, note) = score_of(&report, name);
                lines.push(ScoreLine {
                    set: set.name.clone(),
                    path: path.clone(),
                    condition: condition.clone(),
                    detector: d.clone(),
                    settings: set.settings_digest.clone(),
                    fake_probability: p,
                    note,
                });
            }
        }
        cache.put(lines)?;
        done += pairs.len() as u64;
        progress(&Progress {
            set: set.name.clone(),
            done,
            total,
        });
    }
    Ok(())
}

/// The perturbation's random stream for one file (and frame): the same on every run.
fn stream(seed: u64, path: &Path, condition: &str, frame: u64) -> rand_chacha::ChaCha8Rng {
    let h = |s: &str| u64::from_str_radix(&crate::plan::digest(s), 16).unwrap_or(0);
    sample_rng(seed, &[h(&path.display().to_string()), h(condition), frame])
}

/// A perturbed image and the path its report names.
type Labelled = (String, RgbImage);

/// Scores `(file, condition, index in decoded)` pairs: images in one batch, recordings in
/// parallel, videos one by one.
fn score_pairs(
    bench: &Bench,
    set: &BenchSet,
    scanner: &Scanner,
    pairs: &[(usize, usize, usize)],
    decoded: &[Decoded],
) -> Result<Vec<FileReport>, Error> {
    let mut reports: Vec<Option<FileReport>> = pairs.iter().map(|_| None).collect();
    // Images: perturbed in parallel, scored in one call (faces in shared batches).
    let images: Vec<(usize, Result<Labelled, String>)> = pairs
        .par_iter()
        .enumerate()
        .filter_map(|(n, &(i, c, k))| match &decoded[k] {
            Decoded::Image(img) => {
                let path = &set.samples[i].path;
                let cond = set.conditions[c];
                let label = path.display().to_string();
                let out = match cond {
                    Condition::Clean => Ok(img.clone()),
                    Condition::Perturbed(p) => p
                        .apply_image(img, &mut stream(bench.seed, path, &cond.label(), 0))
                        .map_err(|e| format!("{label}: {}: {e}", cond.label())),
                };
                Some((n, out.map(|img| (label, img))))
            }
            _ => None,
        })
        .collect();
    let mut batch = Vec::new();
    let mut slots = Vec::new();
    for (n, r) in images {
        match r {
            Ok(x) => {
                slots.push(n);
                batch.push(x);
            }
            Err(e) => reports[n] = Some(FileReport::failed(String::new(), MediaKind::Image, e)),
        }
    }
    for (n, r) in slots.into_iter().zip(scanner.scan_decoded_images(batch)) {
        reports[n] = Some(r);
    }
    // Recordings: perturbed (codecs run ffmpeg) and scored in parallel.
    let recordings: Vec<(usize, FileReport)> = pairs
        .par_iter()
        .enumerate()
        .filter_map(|(n, &(i, c, k))| match &decoded[k] {
            Decoded::Audio(x) => {
                let path = &set.samples[i].path;
                let label = path.display().to_string();
                let cond = set.conditions[c];
                let perturbed = match cond {
                    Condition::Clean => Ok(x.clone()),
                    Condition::Perturbed(p) => p.apply_audio(
                        x,
                        fakescope_media::TARGET_SAMPLE_RATE,
                        &mut stream(bench.seed, path, &cond.label(), 0),
                    ),
                };
                Some((
                    n,
                    match perturbed {
                        Ok(x) => scanner.scan_samples(label, MediaKind::Audio, &x),
                        Err(e) => FileReport::failed(
                            label,
                            MediaKind::Audio,
                            format!("{}: {e}", cond.label()),
                        ),
                    },
                ))
            }
            _ => None,
        })
        .collect();
    for (n, r) in recordings {
        reports[n] = Some(r);
    }
    for (n, &(i, c, k)) in pairs.iter().enumerate() {
        if reports[n].is_some() {
            continue;
        }
        let path = &set.samples[i].path;
        let label = path.display().to_string();
        let cond = set.conditions[c];
        reports[n] = Some(match &decoded[k] {
            Decoded::Failed(e) => FileReport::failed(label, MediaKind::Unknown, e.clone()),
            // Scored above (every image and recording pair has its report by now).
            Decoded::Image(_) | Decoded::Audio(_) => {
                FileReport::failed(label, MediaKind::Unknown, "not scored".into())
            }
            Decoded::Video => match cond {
                Condition::Clean => scanner.scan_file(path),
                Condition::Perturbed(p) => {
                    let mut options = scanner.options().clone();
                    let (seed, file, label) = (bench.seed, path.clone(), cond.label());
                    options.frame_filter = Some(FrameFilter(Arc::new(move |frame, img| {
                        p.apply_image(&img, &mut stream(seed, &file, &label, frame + 1))
                            .map_err(|e| e.to_string())
                    })));
                    scanner
                        .with_options(options)
                        .map_err(|e| Error::Detector(e.to_string()))?
                        .scan_file(path)
                }
            },
        });
    }
    Ok(reports
        .into_iter()
        .map(|r| r.expect("every pair scored"))
        .collect())
}

/// A detector's score in a report, or why there is none.
fn score_of(report: &FileReport, reported_name: &str) -> (Option<f64>, Option<String>) {
    match report
        .detectors
        .iter()
        .find(|d| d.name == reported_name)
        .map(|d| d.fake_probability)
    {
        Some(p) if p.is_finite() => (Some(p), None),
        _ => {
            let why = report
                .error
                .clone()
                .or_else(|| report.note.clone())
                .unwrap_or_else(|| format!("{reported_name} gave no score"));
            (None, Some(why))
        }
    }
}

//! The bench's report: what was run, the cross-dataset matrix, robustness curves and fairness
//! gaps, computed by the eval engine (`fakescope_eval::evaluate`, the metrics of `fakescope
//! eval`) and written as Markdown, HTML (with SVG curves) and JSON.
//!
//! - **Matrix**: one row per detector, one column per set, on clean files: ROC AUC with its
//!   bootstrap 95% interval, the EER (DeepfakeBench's definition), and the video-level AUC
//!   where a set groups frames into videos.
//! - **Robustness**: per set and distortion, the AUC at every level (level 0 is clean), one
//!   line per detector.
//! - **Fairness**: per set with `groups`, each group's AUC, FPR and FNR at the 0.5 threshold
//!   and the largest gaps between groups; a group holding one class has an undefined AUC
//!   (`n/a`), never 0.
//!
//! A file a detector gave no score (no face found, a failed decode) is left out of that
//! detector's numbers and counted: every cell says how many files it covers.

use std::collections::BTreeMap;

use fakescope_datasets::Label;
use fakescope_eval::evaluate::{Bootstrap, EvalOptions, evaluate};
use fakescope_eval::input::{Categorical, HigherMeans, ScoreKind, ScoreTable};
use fakescope_eval::report::document::{Align, Block, MISSING, Table};
use fakescope_eval::report::{Fairness, Report, Series, html, line_chart, markdown};
use serde::Serialize;

use crate::cache::ScoreCache;
use crate::plan::{Bench, BenchSet, Condition};

/// Everything the report says, as numbers (`report.json`).
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    /// fakescope's version.
    pub fakescope_version: String,
    /// The plan's name.
    pub plan: String,
    /// Its description.
    pub description: String,
    /// Seed of choices, perturbations and bootstrap.
    pub seed: u64,
    /// Bootstrap resamples (0: no intervals).
    pub bootstrap: usize,
    /// The detectors, in plan order.
    pub detectors: Vec<String>,
    /// The sets.
    pub sets: Vec<SetSummary>,
    /// Clean results, detector × set.
    pub matrix: Vec<Cell>,
    /// AUC against level, per set, detector and distortion.
    pub robustness: Vec<Curve>,
    /// Per-group results, per set with groups and detector.
    pub fairness: Vec<FairnessTable>,
}

/// One labelled set as run.
#[derive(Debug, Clone, Serialize)]
pub struct SetSummary {
    /// Its name.
    pub name: String,
    /// The folder or manifest.
    pub origin: String,
    /// The split kept, if any.
    pub split: Option<String>,
    /// Files scored (after split and limit).
    pub files: usize,
    /// Real files among them.
    pub real: usize,
    /// Fake files among them.
    pub fake: usize,
    /// Files the set lists in all.
    pub available: usize,
    /// Its conditions (`clean`, `jpeg:1`, ...).
    pub conditions: Vec<String>,
    /// Its detectors.
    pub detectors: Vec<String>,
}

/// One detector on one set, clean files.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    /// The set.
    pub set: String,
    /// The detector.
    pub detector: String,
    /// Files with a score.
    pub scored: usize,
    /// Files in the set.
    pub files: usize,
    /// ROC AUC.
    pub auc: Option<f64>,
    /// Its bootstrap 95% interval.
    pub auc_ci95: Option<[f64; 2]>,
    /// Equal error rate (DeepfakeBench's definition).
    pub eer: Option<f64>,
    /// ROC AUC after pooling frames into videos (mean), when the set has videos.
    pub video_auc: Option<f64>,
    /// Why a number is missing, or how many files had no score and why (the first reason).
    pub note: Option<String>,
}

/// One detector's AUC at every level of one distortion, on one set.
#[derive(Debug, Clone, Serialize)]
pub struct Curve {
    /// The set.
    pub set: String,
    /// The detector.
    pub detector: String,
    /// The distortion's name.
    pub distortion: String,
    /// Level 0 (clean) and each level run.
    pub points: Vec<Point>,
}

/// One level of a [`Curve`].
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    /// 0 for clean.
    pub level: u8,
    /// What the level does (`JPEG quality 60`).
    pub description: String,
    /// ROC AUC.
    pub auc: Option<f64>,
    /// Files with a score.
    pub scored: usize,
}

/// Per-group results of one detector on one set.
#[derive(Debug, Clone, Serialize)]
pub struct FairnessTable {
    /// The set.
    pub set: String,
    /// The detector.
    pub detector: String,
    /// The sample field the groups come from.
    pub groups_from: String,
    /// Groups and gaps, from the eval engine.
    pub fairness: Fairness,
}

/// Scores of one detector on one set under one condition: `(score, is_fake, group, video)`.
type Trials = Vec<(f64, bool, Option<String>, Option<String>)>;

/// The scores of `detector` on `set` under `condition`, and the notes of files without one.
fn trials(
    cache: &ScoreCache,
    set: &BenchSet,
    condition: Condition,
    detector: &str,
) -> (Trials, Vec<String>) {
    let label = condition.label();
    let mut out = Vec::new();
    let mut notes = Vec::new();
    for s in &set.samples {
        let path = s.path.display().to_string();
        let Some(line) = cache.get(&set.name, &path, &label, detector, &set.settings_digest) else {
            continue;
        };
        match line.fake_probability {
            Some(p) => out.push((
                p,
                s.label == Label::Fake,
                set.groups.and_then(|g| g.of(s)).map(str::to_owned),
                s.video.clone(),
            )),
            None => notes.push(line.note.clone().unwrap_or_default()),
        }
    }
    (out, notes)
}

fn categorical(values: impl Iterator<Item = String>) -> Categorical {
    let mut names: Vec<String> = Vec::new();
    let mut index: BTreeMap<String, u32> = BTreeMap::new();
    let codes = values
        .map(|v| {
            *index.entry(v.clone()).or_insert_with(|| {
                names.push(v);
                (names.len() - 1) as u32
            })
        })
        .collect();
    Categorical { codes, names }
}

/// The eval engine's report of some trials (fake probabilities).
fn eval(trials: &Trials, bootstrap: Option<Bootstrap>, groups: bool) -> Option<Report> {
    if trials.is_empty() {
        return None;
    }
    let has_video = trials.iter().any(|t| t.3.is_some());
    let table = ScoreTable {
        sources: vec!["fakescope bench".into()],
        scores: trials.iter().map(|t| t.0).collect(),
        fake: trials.iter().map(|t| t.1).collect(),
        ids: None,
        video: has_video.then(|| {
            categorical(
                trials
                    .iter()
                    .enumerate()
                    .map(|(i, t)| t.3.clone().unwrap_or_else(|| format!("#file{i}"))),
            )
        }),
        group: groups.then(|| {
            categorical(
                trials
                    .iter()
                    .map(|t| t.2.clone().unwrap_or_else(|| "(none)".into())),
            )
        }),
        condition: None,
        direction: HigherMeans::Fake,
        direction_reason: "fake_probability".into(),
        kind: ScoreKind::Probability,
        warnings: Vec::new(),
    };
    evaluate(
        &table,
        &EvalOptions {
            bootstrap,
            ..EvalOptions::default()
        },
    )
    .ok()
}

fn metric(report: &Report, name: &str) -> (Option<f64>, Option<[f64; 2]>, Option<String>) {
    report
        .overall
        .metrics
        .iter()
        .find(|m| m.name == name)
        .map(|m| (m.value, m.ci95, m.note.clone()))
        .unwrap_or((None, None, None))
}

/// Builds the report from the scores in `cache`.
pub fn build(bench: &Bench, cache: &ScoreCache) -> BenchReport {
    let bootstrap = (bench.bootstrap > 0).then_some(Bootstrap {
        resamples: bench.bootstrap,
        seed: bench.seed,
    });
    let mut report = BenchReport {
        fakescope_version: env!("CARGO_PKG_VERSION").into(),
        plan: bench.name.clone(),
        description: bench.description.clone(),
        seed: bench.seed,
        bootstrap: bench.bootstrap,
        detectors: bench.detectors.clone(),
        sets: Vec::new(),
        matrix: Vec::new(),
        robustness: Vec::new(),
        fairness: Vec::new(),
    };
    for set in &bench.sets {
        let fake = set
            .samples
            .iter()
            .filter(|s| s.label == Label::Fake)
            .count();
        report.sets.push(SetSummary {
            name: set.name.clone(),
            origin: set.origin.display().to_string(),
            split: set.split.map(|s| s.as_str().to_owned()),
            files: set.samples.len(),
            real: set.samples.len() - fake,
            fake,
            available: set.available,
            conditions: set.conditions.iter().map(|c| c.label()).collect(),
            detectors: set.detectors.clone(),
        });
        for detector in &set.detectors {
            let (clean, notes) = trials(cache, set, Condition::Clean, detector);
            let r = eval(&clean, bootstrap, set.groups.is_some());
            let (auc, ci, why) = r.as_ref().map(|r| metric(r, "auc")).unwrap_or_default();
            let (eer, _, _) = r
                .as_ref()
                .map(|r| metric(r, "eer_deepfakebench"))
                .unwrap_or_default();
            let video_auc = r.as_ref().and_then(|r| {
                r.video
                    .as_ref()
                    .and_then(|v| v.metrics.iter().find(|m| m.name == "auc"))
                    .and_then(|m| m.value)
            });
            let mut note = why;
            if !notes.is_empty() {
                note = Some(format!(
                    "{} files without a score (first: {})",
                    notes.len(),
                    notes[0]
                ));
            }
            report.matrix.push(Cell {
                set: set.name.clone(),
                detector: detector.clone(),
                scored: clean.len(),
                files: set.samples.len(),
                auc,
                auc_ci95: ci,
                eer,
                video_auc,
                note,
            });
            if let (Some(g), Some(Some(f))) = (set.groups, r.as_ref().map(|r| r.fairness.clone())) {
                report.fairness.push(FairnessTable {
                    set: set.name.clone(),
                    detector: detector.clone(),
                    groups_from: serde_json::to_value(g)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default(),
                    fairness: f,
                });
            }
            // Robustness: the clean AUC, then every level of every distortion run.
            // In the plan's order of distortions.
            let mut curves: Vec<Curve> = Vec::new();
            for condition in &set.conditions {
                let Condition::Perturbed(p) = condition else {
                    continue;
                };
                let name = p.distortion.name();
                let at = match curves.iter().position(|c| c.distortion == name) {
                    Some(at) => at,
                    None => {
                        curves.push(Curve {
                            set: set.name.clone(),
                            detector: detector.clone(),
                            distortion: name.into(),
                            points: vec![Point {
                                level: 0,
                                description: "clean".into(),
                                auc,
                                scored: clean.len(),
                            }],
                        });
                        curves.len() - 1
                    }
                };
                let curve = &mut curves[at];
                let (t, _) = trials(cache, set, *condition, detector);
                let auc = eval(&t, None, false).and_then(|r| metric(&r, "auc").0);
                curve.points.push(Point {
                    level: p.level,
                    description: p.describe(),
                    auc,
                    scored: t.len(),
                });
            }
            report.robustness.extend(curves);
        }
    }
    report
}

/// Three decimals: the resolution a bench of hundreds of files supports (the JSON keeps
/// every digit).
fn three(v: f64) -> String {
    format!("{v:.3}")
}

fn num(v: Option<f64>) -> String {
    v.map(three).unwrap_or_else(|| MISSING.into())
}

fn auc_cell(c: &Cell) -> String {
    let mut s = num(c.auc);
    if let Some([lo, hi]) = c.auc_ci95 {
        s.push_str(&format!(" [{}, {}]", three(lo), three(hi)));
    }
    if c.scored < c.files {
        s.push_str(&format!(" ({}/{})", c.scored, c.files));
    }
    s
}

impl BenchReport {
    /// The report as blocks: Markdown and HTML render the same ones; `figures` adds the
    /// robustness curves (HTML).
    fn blocks(&self, figures: bool) -> Vec<Block<'static>> {
        let mut b = vec![Block::Heading(1, format!("fakescope bench: {}", self.plan))];
        if !self.description.is_empty() {
            b.push(Block::Line(self.description.clone()));
        }
        b.push(Block::Line(format!(
            "fakescope {}, seed {}, {}; scores are fake probabilities (1 = fake is the positive class); files a detector could not score are left out of its numbers and counted (scored/files).",
            self.fakescope_version,
            self.seed,
            if self.bootstrap > 0 {
                format!("95% bootstrap intervals from {} resamples", self.bootstrap)
            } else {
                "no bootstrap intervals".into()
            }
        )));
        b.push(Block::Heading(2, "Sets".into()));
        b.push(Block::Table(Table {
            columns: vec![
                ("set".into(), Align::Left),
                ("split".into(), Align::Left),
                ("files".into(), Align::Right),
                ("real".into(), Align::Right),
                ("fake".into(), Align::Right),
                ("listed".into(), Align::Right),
                ("conditions".into(), Align::Right),
                ("origin".into(), Align::Left),
            ],
            rows: self
                .sets
                .iter()
                .map(|s| {
                    vec![
                        s.name.clone(),
                        s.split.clone().unwrap_or_else(|| "all".into()),
                        s.files.to_string(),
                        s.real.to_string(),
                        s.fake.to_string(),
                        s.available.to_string(),
                        s.conditions.len().to_string(),
                        s.origin.clone(),
                    ]
                })
                .collect(),
        }));

        let sets: Vec<&str> = self.sets.iter().map(|s| s.name.as_str()).collect();
        let cell = |d: &str, s: &str| self.matrix.iter().find(|c| c.detector == d && c.set == s);
        let matrix = |title: &str, f: &dyn Fn(&Cell) -> String| {
            let mut columns = vec![("detector".to_string(), Align::Left)];
            columns.extend(sets.iter().map(|s| (s.to_string(), Align::Right)));
            let rows = self
                .detectors
                .iter()
                .map(|d| {
                    let mut row = vec![d.clone()];
                    row.extend(
                        sets.iter()
                            .map(|s| cell(d, s).map(f).unwrap_or_else(|| "—".into())),
                    );
                    row
                })
                .collect();
            vec![
                Block::Heading(3, title.into()),
                Block::Table(Table { columns, rows }),
            ]
        };
        b.push(Block::Heading(
            2,
            "Cross-dataset matrix (clean files)".into(),
        ));
        b.extend(matrix(
            "ROC AUC [95% interval] (scored/files when some had no score)",
            &auc_cell,
        ));
        b.extend(matrix("EER (DeepfakeBench)", &|c| num(c.eer)));
        if self.matrix.iter().any(|c| c.video_auc.is_some()) {
            b.extend(matrix("Video-level AUC (mean of frames)", &|c| {
                num(c.video_auc)
            }));
        }
        let notes: Vec<String> = self
            .matrix
            .iter()
            .filter_map(|c| {
                c.note
                    .as_ref()
                    .map(|n| format!("{} on {}: {n}", c.detector, c.set))
            })
            .collect();
        if !notes.is_empty() {
            b.push(Block::List(notes));
        }

        if !self.robustness.is_empty() {
            b.push(Block::Heading(
                2,
                "Robustness (ROC AUC by level; 0 = clean)".into(),
            ));
            for set in &sets {
                // Distortions in the plan's order, each with its detectors' curves.
                let mut here: Vec<(&str, Vec<&Curve>)> = Vec::new();
                for c in self.robustness.iter().filter(|c| c.set == *set) {
                    match here.iter_mut().find(|(d, _)| *d == c.distortion) {
                        Some((_, v)) => v.push(c),
                        None => here.push((c.distortion.as_str(), vec![c])),
                    }
                }
                if here.is_empty() {
                    continue;
                }
                b.push(Block::Heading(3, set.to_string()));
                let mut svgs = Vec::new();
                for (distortion, curves) in &here {
                    let levels: Vec<&Point> = curves[0].points.iter().collect();
                    let mut columns = vec![("detector".to_string(), Align::Left)];
                    columns.extend(levels.iter().map(|p| {
                        let head = if p.level == 0 {
                            "clean".to_string()
                        } else {
                            format!("{distortion}:{}", p.level)
                        };
                        (head, Align::Right)
                    }));
                    let rows = curves
                        .iter()
                        .map(|c| {
                            let mut row = vec![c.detector.clone()];
                            row.extend(c.points.iter().map(|p| num(p.auc)));
                            row
                        })
                        .collect();
                    b.push(Block::Line(format!(
                        "{distortion}: {}",
                        levels
                            .iter()
                            .skip(1)
                            .map(|p| format!("{} = {}", p.level, p.description))
                            .collect::<Vec<_>>()
                            .join("; ")
                    )));
                    b.push(Block::Table(Table { columns, rows }));
                    if figures {
                        let series: Vec<Series> = curves
                            .iter()
                            .map(|c| Series {
                                name: c.detector.clone(),
                                points: c
                                    .points
                                    .iter()
                                    .map(|p| (f64::from(p.level), p.auc.unwrap_or(f64::NAN)))
                                    .collect(),
                            })
                            .collect();
                        svgs.push(line_chart(
                            &format!("{set}: {distortion}"),
                            "level (0 = clean)",
                            "ROC AUC",
                            &series,
                        ));
                    }
                }
                if figures && !svgs.is_empty() {
                    b.push(Block::Figures(svgs));
                }
            }
        }

        if !self.fairness.is_empty() {
            b.push(Block::Heading(
                2,
                "Fairness (clean files, threshold 0.5)".into(),
            ));
            for f in &self.fairness {
                b.push(Block::Heading(
                    3,
                    format!("{} on {} (groups: {})", f.detector, f.set, f.groups_from),
                ));
                let metric_names = ["auc", "fpr", "fnr"];
                let mut columns = vec![
                    ("group".to_string(), Align::Left),
                    ("real".to_string(), Align::Right),
                    ("fake".to_string(), Align::Right),
                ];
                columns.extend(metric_names.iter().map(|m| (m.to_string(), Align::Right)));
                let rows = f
                    .fairness
                    .groups
                    .iter()
                    .map(|g| {
                        let mut row = vec![
                            g.name.clone(),
                            g.counts.real.to_string(),
                            g.counts.fake.to_string(),
                        ];
                        row.extend(metric_names.iter().map(|m| {
                            num(g
                                .metrics
                                .iter()
                                .find(|x| x.name == *m)
                                .and_then(|x| x.value))
                        }));
                        row
                    })
                    .collect();
                b.push(Block::Table(Table { columns, rows }));
                let gaps: Vec<String> = f
                    .fairness
                    .gaps
                    .iter()
                    .map(|g| {
                        format!(
                            "largest {} gap: {} ({} lowest, {} highest)",
                            g.metric,
                            three(g.gap),
                            g.lowest,
                            g.highest
                        )
                    })
                    .collect();
                if !gaps.is_empty() {
                    b.push(Block::List(gaps));
                }
            }
        }
        b
    }

    /// GitHub-flavoured Markdown.
    pub fn markdown(&self) -> String {
        markdown::render_blocks(&self.blocks(false))
    }

    /// One self-contained HTML page with the robustness curves as SVG.
    pub fn html(&self) -> String {
        html::render_blocks(
            &format!("fakescope bench: {}", self.plan),
            &self.blocks(true),
        )
    }

    /// Pretty JSON.
    pub fn json(&self) -> String {
        serde_json::to_string_pretty(self).expect("the report serialises")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::ScoreLine;
    use crate::plan::Plan;

    /// A manifest of 12 files in three groups (`a` and `b` with both classes, `c` with reals
    /// only), scores cached for clean and `jpeg:1`, and the report built from them.
    #[test]
    fn the_report_has_the_matrix_curves_and_fairness_with_single_class_groups_undefined() {
        let dir = tempfile::tempdir().unwrap();
        let mut csv = String::from("path,label,group\n");
        // (file, label, group, clean score, jpeg:1 score)
        let rows = [
            ("a1", "real", "a", 0.1, 0.3),
            ("a2", "real", "a", 0.2, 0.6),
            ("a3", "fake", "a", 0.8, 0.5),
            ("a4", "fake", "a", 0.9, 0.4),
            ("b1", "real", "b", 0.6, 0.6),
            ("b2", "real", "b", 0.3, 0.3),
            ("b3", "fake", "b", 0.7, 0.7),
            ("b4", "fake", "b", 0.4, 0.4),
            ("c1", "real", "c", 0.05, 0.05),
            ("c2", "real", "c", 0.15, 0.15),
            ("c3", "real", "c", 0.25, 0.25),
            ("c4", "real", "c", 0.55, 0.55),
        ];
        for (f, label, group, _, _) in rows {
            std::fs::write(dir.path().join(format!("{f}.png")), b"x").unwrap();
            csv.push_str(&format!("{f}.png,{label},{group}\n"));
        }
        std::fs::write(dir.path().join("set.csv"), csv).unwrap();
        let plan: Plan = toml::from_str(
            r#"
            name = "t"
            detectors = ["d"]
            perturbations = ["jpeg:1"]
            bootstrap = 20
            [[sets]]
            name = "s"
            path = "set.csv"
            groups = "group"
            "#,
        )
        .unwrap();
        let bench = plan.resolve(dir.path()).unwrap();
        let set = &bench.sets[0];
        let out = tempfile::tempdir().unwrap();
        let mut cache = ScoreCache::open(out.path()).unwrap();
        let mut lines = Vec::new();
        for (s, (_, _, _, clean, jpeg)) in set.samples.iter().zip(rows) {
            for (condition, p) in [("clean", Some(clean)), ("jpeg:1", Some(jpeg))] {
                lines.push(ScoreLine {
                    set: "s".into(),
                    path: s.path.display().to_string(),
                    condition: condition.into(),
                    detector: "d".into(),
                    settings: set.settings_digest.clone(),
                    fake_probability: p,
                    note: None,
                });
            }
        }
        // One file the detector could not score under JPEG.
        lines.last_mut().unwrap().fake_probability = None;
        lines.last_mut().unwrap().note = Some("no face found".into());
        cache.put(lines).unwrap();

        let report = build(&bench, &cache);
        let cell = &report.matrix[0];
        // Clean AUC, counted by hand: fakes {0.8, 0.9, 0.7,
        // 0.4} against reals {0.1, 0.2, 0.6, 0.3, 0.05, 0.15, 0.25, 0.55}: 30 of 32 pairs.
        assert_eq!((cell.scored, cell.files), (12, 12));
        assert!((cell.auc.unwrap() - 30.0 / 32.0).abs() < 1e-12, "{cell:?}");
        let [lo, hi] = cell.auc_ci95.unwrap();
        assert!(lo <= cell.auc.unwrap() && cell.auc.unwrap() <= hi);
        // The curve: clean, then jpeg:1 on 11 scored files.
        let curve = &report.robustness[0];
        assert_eq!(curve.distortion, "jpeg");
        assert_eq!(curve.points.len(), 2);
        assert_eq!((curve.points[0].level, curve.points[1].level), (0, 1));
        assert_eq!(curve.points[1].scored, 11);
        // Fairness: group c holds reals only, so its AUC is undefined, not 0.
        let f = &report.fairness[0].fairness;
        let c = f.groups.iter().find(|g| g.name == "c").unwrap();
        let auc = c.metrics.iter().find(|m| m.name == "auc").unwrap();
        assert_eq!(auc.value, None);
        let gap = f.gaps.iter().find(|g| g.metric == "auc").unwrap();
        // a: 1.0; b: fakes {0.7, 0.4} vs reals {0.6, 0.3}: 3 of 4 pairs.
        assert!((gap.gap - 0.25).abs() < 1e-12, "{gap:?}");
        assert_eq!((gap.lowest.as_str(), gap.highest.as_str()), ("b", "a"));
        let md = report.markdown();
        assert!(md.contains("| c | 4 | 0 | n/a |"), "{md}");
    }
}

//! Evaluation of ASVspoof 5 Track 2 (spoofing-aware speaker verification) score files: a-DCF,
//! t-DCF and t-EER, with the evaluation package's parameters.
//!
//! Track 2 scores keep the ASVspoof convention (higher = target / bona fide) because they are
//! verification scores: see `fakescope_metrics::sasv`.

use fakescope_metrics::sasv::{self, AsvErrorRates, SasvClass, SasvCosts};

use crate::input::track2::Track2Table;
use crate::input::{HigherMeans, ScoreKind};
use crate::report::{Counts, Direction, Metric, Report, Section};

/// The Track 2 metrics of a score file joined with its key.
pub fn evaluate_track2(table: &Track2Table) -> Report {
    let trials = &table.trials;
    let costs = SasvCosts::default();
    let mut metrics = Vec::new();
    let note = |e: fakescope_metrics::MetricError| Some(e.to_string());
    let a = sasv::a_dcf(trials, costs);
    metrics.push(Metric {
        name: "a_dcf".into(),
        definition: "ASVspoof 5 a-DCF on the SASV score (p_spoof 0.05, target:non-target 99:1, \
                     C_miss 1, C_fa 10)"
            .into(),
        value: a.as_ref().ok().map(|a| a.a_dcf),
        ci95: None,
        threshold: a.as_ref().ok().map(|a| a.threshold),
        note: a.err().and_then(note),
    });
    let t = sasv::t_dcf(trials, costs, AsvErrorRates::default());
    metrics.push(Metric {
        name: "t_dcf".into(),
        definition: "ASVspoof 5 min t-DCF of the CM score with the organisers' ASV error rates"
            .into(),
        value: t.as_ref().ok().map(|t| t.t_dcf),
        ci95: None,
        threshold: t.as_ref().ok().map(|t| t.threshold),
        note: t.err().and_then(note),
    });
    let e = sasv::t_eer(trials);
    metrics.push(Metric {
        name: "t_eer".into(),
        definition: "ASVspoof 5 concurrent t-EER of the CM and ASV scores (fraction)".into(),
        value: e.as_ref().ok().map(|e| e.t_eer),
        ci95: None,
        threshold: e.as_ref().ok().map(|e| e.cm_threshold),
        note: e.err().and_then(note),
    });
    let spoof = trials.count(SasvClass::Spoof) as u64;
    let total = trials.len() as u64;
    let mut warnings = table.warnings.clone();
    warnings.push(format!(
        "{} target, {} non-target and {spoof} spoof trials; thresholds are on the file's scale \
         (higher = target / bona fide)",
        trials.count(SasvClass::Target),
        trials.count(SasvClass::NonTarget)
    ));
    Report {
        fakescope_version: env!("CARGO_PKG_VERSION").into(),
        inputs: table
            .sources
            .iter()
            .map(|p| p.display().to_string())
            .collect(),
        direction: Direction {
            higher_means: HigherMeans::Real,
            reason: "ASVspoof 5 Track 2 file: higher = target / bona fide".into(),
        },
        score_kind: ScoreKind::Score,
        calibration: None,
        threshold: f64::NAN,
        overall: Section {
            unit: "SASV trials".into(),
            counts: Counts {
                total,
                fake: spoof,
                real: total - spoof,
            },
            metrics,
            curves: None,
        },
        video: None,
        per_condition: Vec::new(),
        fairness: None,
        bootstrap: None,
        calibration_gaps: None,
        warnings,
    }
}

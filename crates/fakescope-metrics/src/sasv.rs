//! ASVspoof 5 Track 2 (spoofing-aware speaker verification): a-DCF, t-DCF and t-EER.
//!
//! A spoofing-aware speaker verification (SASV) system hears a test utterance and a claimed
//! speaker and must *accept* only **target** trials: bona fide speech of the claimed speaker.
//! It must reject **non-target** trials (bona fide speech of someone else) and **spoof** trials
//! (synthetic or converted speech, whoever it imitates). Track 2 score files give, per trial, a
//! SASV score and optionally the scores of the two systems a tandem system is built from: a
//! countermeasure (CM, bona fide versus spoof) and an automatic speaker verifier (ASV, target
//! versus non-target).
//!
//! # Score convention: higher = accept (target / bona fide)
//!
//! Unlike the rest of this crate (higher = more likely fake), **every score here keeps the
//! ASVspoof convention: a higher score supports the target (SASV, ASV) or bona fide (CM)
//! hypothesis.** These are verification scores, not fake scores: a SASV score does not rank
//! "fakeness" (a non-target trial is bona fide, yet must score low), so there is no single
//! negation that would turn it into the crate's convention. Scores are therefore used as
//! written in the Track 2 file, and every threshold reported here is in that convention too.
//!
//! # The metrics, as the ASVspoof 5 evaluation package computes them
//!
//! - [`a_dcf`]: the primary metric, the minimum *architecture-agnostic* detection cost over a
//!   single threshold on the SASV score (Shim et al., Odyssey 2024).
//! - [`t_dcf`]: the minimum *tandem* detection cost of the CM scores, the ASV being summarised by
//!   three fixed error rates ([`AsvErrorRates`]); by default the organisers' pre-computed rates,
//!   as in the package's `t2_tandem` mode (the participant's ASV scores are not used).
//! - [`t_eer`]: the *concurrent tandem equal error rate* of the CM and ASV scores (Kinnunen et
//!   al., TPAMI 2023), searched the way the package's `compute_teer_accelerated` does.
//!
//! All three sweep thresholds the way the package does: trials are sorted by score, ties kept
//! in a fixed class order, and one operating point is taken after *each trial* (not each
//! distinct score). This matters only where the package's choice depends on points inside a
//! run of tied scores (the t-EER search and the ASV EER threshold); the minimum costs are the
//! same either way.

mod adcf;
mod sweep;
mod tdcf;
mod teer;

use crate::MetricError;

pub use adcf::{ADcf, a_dcf};
pub use tdcf::{AsvErrorRates, AsvOperatingPoint, TDcf, t_dcf};
pub use teer::{TEer, t_eer};

/// What a Track 2 trial is, from the key's `asv-label` (`target`, `nontarget`, `spoof`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SasvClass {
    /// Bona fide speech of the claimed speaker: the only trials a SASV system should accept.
    Target,
    /// Bona fide speech of another speaker (a zero-effort impostor).
    NonTarget,
    /// Spoofed speech (its CM label is `spoof`).
    Spoof,
}

impl SasvClass {
    /// Whether the speech is bona fide (CM label `bonafide`): target or non-target.
    pub fn is_bona_fide(self) -> bool {
        self != Self::Spoof
    }

    /// The package's order of classes among tied scores (it concatenates target, non-target
    /// and spoof scores, in that order, before a stable sort).
    fn package_rank(self) -> u8 {
        match self {
            Self::Target => 0,
            Self::NonTarget => 1,
            Self::Spoof => 2,
        }
    }
}

/// One Track 2 trial: its class and its scores (higher = target / bona fide).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SasvTrial {
    /// Target, non-target or spoof.
    pub class: SasvClass,
    /// The SASV score: higher = accept as the claimed speaker.
    pub sasv: f64,
    /// The CM score (higher = bona fide), when the file gives one (`-` otherwise).
    pub cm: Option<f64>,
    /// The ASV score (higher = same speaker), when the file gives one (`-` otherwise).
    pub asv: Option<f64>,
}

/// The trials of a Track 2 evaluation; every score is finite (checked by [`SasvTrials::new`]).
#[derive(Debug, Clone, PartialEq)]
pub struct SasvTrials {
    trials: Vec<SasvTrial>,
}

impl SasvTrials {
    /// Checks that every score is finite. `NonFinite::index` is the trial's position.
    pub fn new(trials: Vec<SasvTrial>) -> Result<Self, MetricError> {
        for (index, t) in trials.iter().enumerate() {
            for value in [Some(t.sasv), t.cm, t.asv].into_iter().flatten() {
                if !value.is_finite() {
                    return Err(MetricError::NonFinite { index, value });
                }
            }
        }
        Ok(Self { trials })
    }

    /// The trials, in the order given.
    pub fn trials(&self) -> &[SasvTrial] {
        &self.trials
    }

    /// Number of trials.
    pub fn len(&self) -> usize {
        self.trials.len()
    }

    /// Whether there are no trials.
    pub fn is_empty(&self) -> bool {
        self.trials.is_empty()
    }

    /// Number of trials of `class`.
    pub fn count(&self, class: SasvClass) -> usize {
        self.trials.iter().filter(|t| t.class == class).count()
    }

    /// `Err` unless every class in `needed` has at least one trial; `metric` names the caller.
    fn require_classes(&self, needed: &[SasvClass], metric: &str) -> Result<(), MetricError> {
        if self.is_empty() {
            return Err(MetricError::Empty);
        }
        let missing: Vec<&str> = needed
            .iter()
            .filter(|&&c| self.count(c) == 0)
            .map(|c| match c {
                SasvClass::Target => "target",
                SasvClass::NonTarget => "non-target",
                SasvClass::Spoof => "spoof",
            })
            .collect();
        if missing.is_empty() {
            Ok(())
        } else {
            Err(MetricError::InvalidParameter(format!(
                "{metric} needs target, non-target and spoof trials; there are no {} trials",
                missing.join(" and no ")
            )))
        }
    }

    /// The CM (`cm = true`) or ASV score of every trial, or `Err` naming the first trial
    /// without one.
    fn component_scores(&self, cm: bool, metric: &str) -> Result<Vec<f64>, MetricError> {
        let which = if cm { "CM" } else { "ASV" };
        self.trials
            .iter()
            .enumerate()
            .map(|(i, t)| {
                if cm { t.cm } else { t.asv }.ok_or_else(|| {
                    MetricError::InvalidParameter(format!(
                        "{metric} needs a {which} score for every trial; trial {i} has none"
                    ))
                })
            })
            .collect()
    }
}

/// Priors and costs of the Track 2 cost functions (a-DCF and t-DCF share them).
///
/// [`Default`] gives the values of the ASVspoof 5 evaluation package
/// (`calculate_aDCF_tdcf_tEER`): `p_spoof = 0.05`, the bona fide rest split 99 : 1 between
/// target and non-target, a missed target costs 1 and a false acceptance 10. (The package's
/// `a_dcf.CostModel` class has other defaults, those of the a-DCF paper; the challenge does
/// not use them.)
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SasvCosts {
    /// Prior of target trials: `(1 - 0.05) * 0.99`.
    pub p_target: f64,
    /// Prior of non-target trials: `(1 - 0.05) * 0.01`.
    pub p_nontarget: f64,
    /// Prior of spoof trials: `0.05`.
    pub p_spoof: f64,
    /// Cost of rejecting a target trial (1).
    pub c_miss: f64,
    /// Cost of accepting a non-target trial (10).
    pub c_fa_nontarget: f64,
    /// Cost of accepting a spoof trial (10).
    pub c_fa_spoof: f64,
}

impl Default for SasvCosts {
    fn default() -> Self {
        const P_SPOOF: f64 = 0.05;
        Self {
            p_target: (1.0 - P_SPOOF) * 0.99,
            p_nontarget: (1.0 - P_SPOOF) * 0.01,
            p_spoof: P_SPOOF,
            c_miss: 1.0,
            c_fa_nontarget: 10.0,
            c_fa_spoof: 10.0,
        }
    }
}

impl SasvCosts {
    /// `Err` unless the priors are non-negative and sum to 1 (within 1e-10, the package's
    /// check) and the costs are finite and non-negative.
    fn validate(&self) -> Result<(), MetricError> {
        let priors = [self.p_target, self.p_nontarget, self.p_spoof];
        let costs = [self.c_miss, self.c_fa_nontarget, self.c_fa_spoof];
        let ok = priors
            .iter()
            .chain(&costs)
            .all(|x| x.is_finite() && *x >= 0.0)
            && (priors.iter().sum::<f64>() - 1.0).abs() <= 1e-10;
        if ok {
            Ok(())
        } else {
            Err(MetricError::InvalidParameter(format!(
                "SASV priors must be non-negative and sum to 1, costs non-negative: {self:?}"
            )))
        }
    }
}

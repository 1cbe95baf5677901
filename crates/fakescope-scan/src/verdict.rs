//! From a fake probability to a verdict a person can act on.

use serde::{Deserialize, Serialize};

/// What fakescope concludes about a file (or one detector's view of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// The fake probability is below the `uncertain` threshold.
    #[serde(rename = "likely_real")]
    LikelyReal,
    /// Between the two thresholds.
    #[serde(rename = "uncertain")]
    Uncertain,
    /// At or above the `fake` threshold.
    #[serde(rename = "likely_fake")]
    LikelyFake,
    /// No detector applies to this file (e.g. an image scanned with audio detectors only), or the
    /// file could not be read.
    #[serde(rename = "n/a")]
    NotApplicable,
}

impl Verdict {
    /// The name used in the JSON output and the table.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::LikelyReal => "likely_real",
            Verdict::Uncertain => "uncertain",
            Verdict::LikelyFake => "likely_fake",
            Verdict::NotApplicable => "n/a",
        }
    }

    /// How alarming the verdict is, for picking the more severe of two (n/a is the least).
    pub fn severity(self) -> u8 {
        match self {
            Verdict::NotApplicable => 0,
            Verdict::LikelyReal => 1,
            Verdict::Uncertain => 2,
            Verdict::LikelyFake => 3,
        }
    }
}

/// The most severe of several views of one file (a modality's probability and verdict: the
/// audio track, the faces, the whole image); between equally severe verdicts the higher
/// probability. `(None, NotApplicable)` when there is none.
///
/// This is how a file's verdict combines its modalities: one modality that finds a forgery is
/// enough, since each detector looks for a different kind.
pub fn most_severe(
    views: impl IntoIterator<Item = (Option<f64>, Verdict)>,
) -> (Option<f64>, Verdict) {
    views
        .into_iter()
        .max_by(|a, b| {
            a.1.severity().cmp(&b.1.severity()).then(
                a.0.unwrap_or(f64::NEG_INFINITY)
                    .total_cmp(&b.0.unwrap_or(f64::NEG_INFINITY)),
            )
        })
        .unwrap_or((None, Verdict::NotApplicable))
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The two thresholds that split fake probabilities into verdicts.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// `likely_fake` at or above this (default 0.5).
    pub fake: f64,
    /// `uncertain` at or above this and below `fake` (default 0.33); `likely_real` below.
    pub uncertain: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            fake: 0.5,
            uncertain: 0.33,
        }
    }
}

impl Thresholds {
    /// Checks `0 <= uncertain <= fake <= 1`.
    pub fn validate(&self) -> Result<(), String> {
        let ok = (0.0..=1.0).contains(&self.uncertain)
            && (0.0..=1.0).contains(&self.fake)
            && self.uncertain <= self.fake;
        if ok {
            Ok(())
        } else {
            Err(format!(
                "thresholds must satisfy 0 <= uncertain ({}) <= fake ({}) <= 1",
                self.uncertain, self.fake
            ))
        }
    }

    /// The verdict for a fake probability; `None` (no detector applied) gives `n/a`.
    pub fn verdict(&self, fake_probability: Option<f64>) -> Verdict {
        match fake_probability {
            None => Verdict::NotApplicable,
            Some(p) if p >= self.fake => Verdict::LikelyFake,
            Some(p) if p >= self.uncertain => Verdict::Uncertain,
            Some(_) => Verdict::LikelyReal,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_thresholds_match_the_documented_bands() {
        let t = Thresholds::default();
        assert_eq!(t.verdict(Some(0.5)), Verdict::LikelyFake);
        assert_eq!(t.verdict(Some(0.4999)), Verdict::Uncertain);
        assert_eq!(t.verdict(Some(0.33)), Verdict::Uncertain);
        assert_eq!(t.verdict(Some(0.3299)), Verdict::LikelyReal);
        assert_eq!(t.verdict(None), Verdict::NotApplicable);
    }

    #[test]
    fn verdict_serialises_to_its_documented_name() {
        let json = serde_json::to_string(&Verdict::NotApplicable).unwrap();
        assert_eq!(json, "\"n/a\"");
        assert_eq!(
            serde_json::to_string(&Verdict::LikelyFake).unwrap(),
            "\"likely_fake\""
        );
    }

    #[test]
    fn inconsistent_thresholds_are_rejected() {
        assert!(
            Thresholds {
                fake: 0.3,
                uncertain: 0.5
            }
            .validate()
            .is_err()
        );
        assert!(
            Thresholds {
                fake: 1.5,
                uncertain: 0.5
            }
            .validate()
            .is_err()
        );
        assert!(Thresholds::default().validate().is_ok());
    }
}

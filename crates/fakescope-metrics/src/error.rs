//! Why a metric could not be computed.

/// Why a metric is undefined for the given trials, or why trials were refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MetricError {
    /// No trials at all.
    #[error("no trials")]
    Empty,
    /// Scores and labels differ in length.
    #[error("{scores} scores but {labels} labels")]
    LengthMismatch {
        /// Number of scores.
        scores: usize,
        /// Number of labels.
        labels: usize,
    },
    /// A score is NaN or infinite.
    #[error("score {index} is {value}, not a finite number")]
    NonFinite {
        /// Position of the score.
        index: usize,
        /// The value.
        value: f64,
    },
    /// The metric needs both classes and only one is present.
    #[error("undefined with only {present} trials ({n}); it needs both real and fake trials")]
    OneClass {
        /// "real" or "fake".
        present: &'static str,
        /// How many trials there are.
        n: usize,
    },
    /// A parameter is out of its range.
    #[error("invalid parameter: {0}")]
    InvalidParameter(String),
}

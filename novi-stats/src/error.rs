//! The one error type of the crate: every input a statistic cannot be computed from.

/// Why a statistic could not be computed from its input.
///
/// Inputs that are valid but say little (no conversions anywhere, no variance in either arm)
/// are not errors: each function documents the value it gives for them.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A proportion with no trials has no rate.
    #[error("trials must be at least 1")]
    NoTrials,
    /// More successes than trials.
    #[error("{successes} successes is more than {trials} trials")]
    SuccessesExceedTrials {
        /// The successes given.
        successes: u64,
        /// The trials given.
        trials: u64,
    },
    /// More trials than the exact chance to beat is computed for (its cost grows with them).
    #[error("{trials} trials is more than the {max} this computation accepts")]
    TooManyTrials {
        /// The trials given.
        trials: u64,
        /// The largest number of trials accepted.
        max: u64,
    },
    /// A confidence level outside (0, 1), or NaN.
    #[error("confidence must be strictly between 0 and 1, not {0}")]
    InvalidConfidence(f64),
    /// Fewer observations than the statistic needs (2 for a sample variance).
    #[error("{needed} observations are needed, not {n}")]
    TooFewObservations {
        /// The observations in the summary.
        n: u64,
        /// The observations needed.
        needed: u64,
    },
    /// A summary whose sum or sum of squares is infinite or NaN.
    #[error("a summary's sum and sum of squares must be finite")]
    NonFiniteSummary,
    /// A summary whose sum of squares is less than its sum squared over n: no real data has it.
    #[error("a summary's sum of squares ({sum_squares}) is less than its sum squared over n")]
    InconsistentSummary {
        /// The sum of squares given.
        sum_squares: f64,
    },
    /// An estimate whose value or variance is not finite, or whose variance is negative.
    #[error("an estimate needs a finite value and a finite, non-negative variance")]
    InvalidEstimate,
    /// No values at all.
    #[error("no values were given")]
    Empty,
    /// A p-value outside [0, 1], or NaN.
    #[error("p-value {value} at index {index} is not in [0, 1]")]
    InvalidPValue {
        /// Its position in the input.
        index: usize,
        /// The value given.
        value: f64,
    },
    /// Observed counts and weights of different lengths.
    #[error("{observed} observed counts but {weights} weights")]
    LengthMismatch {
        /// The number of observed counts.
        observed: usize,
        /// The number of weights.
        weights: usize,
    },
    /// A goodness-of-fit test of a single group has no degrees of freedom.
    #[error("a sample ratio check needs at least 2 groups")]
    TooFewGroups,
    /// A weight that is not a positive finite number.
    #[error("weight {value} at index {index} is not a positive finite number")]
    InvalidWeight {
        /// Its position in the input.
        index: usize,
        /// The value given.
        value: f64,
    },
    /// Weights so far apart (or so large) that some expected count is 0 or not finite.
    #[error("the weights' sum overflows or leaves a group an expected count of 0")]
    DegenerateWeights,
}

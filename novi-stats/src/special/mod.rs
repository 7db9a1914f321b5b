//! Special functions, written here so that every figure matches scipy to about 1e-13 (the
//! tests allow 1e-9): the log-gamma and log-beta functions, the regularized incomplete gamma
//! and beta functions, and the normal, Student t and chi-square distributions built on them,
//! plus the double-double logarithms of factorials that the exact chance to beat needs.
//!
//! Each function names its method. They take values the crate's public functions have already
//! checked; out of their domain they return NaN (like `f64::ln`), never panic.

pub(crate) mod double_double;
pub(crate) mod gamma;
pub(crate) mod normal;
pub(crate) mod student_t;

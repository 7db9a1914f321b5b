//! Experiments as data: what one compares and measures, the events that feed it (exposures and
//! conversions), and what the database aggregates for its results.
//!
//! An experiment names a flag that assigns variants, the control among them, the context key
//! that names a unit (`userId` unless told otherwise) and its metrics. It is created as a
//! draft; while it runs, each unit's first exposure (the variant an evaluation gave it) is
//! recorded, and conversions count for a unit only at or after that first exposure.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Whether an experiment records exposures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ExperimentStatus {
    /// Defined, not recording (what a new experiment is).
    #[default]
    Draft,
    /// Recording exposures.
    Running,
    /// No longer recording; its results stay.
    Stopped,
}

impl ExperimentStatus {
    /// As stored and sent: `draft`, `running`, `stopped`.
    pub fn as_str(self) -> &'static str {
        match self {
            ExperimentStatus::Draft => "draft",
            ExperimentStatus::Running => "running",
            ExperimentStatus::Stopped => "stopped",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<ExperimentStatus> {
        match text {
            "draft" => Some(ExperimentStatus::Draft),
            "running" => Some(ExperimentStatus::Running),
            "stopped" => Some(ExperimentStatus::Stopped),
            _ => None,
        }
    }
}

impl fmt::Display for ExperimentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a metric reads its event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MetricKind {
    /// The share of units with at least one such event after their first exposure.
    Conversion,
    /// The mean, over every exposed unit, of the sum of such events' values after its first
    /// exposure (a unit without one counts 0; an event without a value counts 1).
    Mean,
}

/// One thing an experiment measures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    /// Its name in the results (unique within the experiment).
    pub name: String,
    /// The conversion event it reads.
    pub event: String,
    /// How.
    pub kind: MetricKind,
}

/// A new experiment.
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentInput {
    /// Unique name.
    pub name: String,
    /// The flag whose variants it compares: it must assign variants.
    pub flag: String,
    /// The control: one of the flag's variants.
    pub control: String,
    /// The context key that names a unit (`userId` when `None`).
    pub unit_key: Option<String>,
    /// What it measures (at least one).
    pub metrics: Vec<Metric>,
    /// How many units it should reach, for the results' progress.
    pub planned_units: Option<i64>,
    /// Its status (a draft when `None`: new things are created off).
    pub status: Option<ExperimentStatus>,
}

/// A change to an experiment: each field given replaces the stored one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExperimentUpdate {
    /// A new name.
    pub name: Option<String>,
    /// Another flag.
    pub flag: Option<String>,
    /// Another control.
    pub control: Option<String>,
    /// Another unit key.
    pub unit_key: Option<String>,
    /// Other metrics.
    pub metrics: Option<Vec<Metric>>,
    /// Another plan (`Some(None)` removes it).
    pub planned_units: Option<Option<i64>>,
    /// Start or stop it.
    pub status: Option<ExperimentStatus>,
}

/// An experiment as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentRecord {
    /// Its id.
    pub id: i32,
    /// Its name.
    pub name: String,
    /// The flag's id (the flag may have been renamed, or deleted since).
    pub flag_id: i32,
    /// The control variant.
    pub control: String,
    /// The context key that names a unit.
    pub unit_key: String,
    /// Its metrics.
    pub metrics: Vec<Metric>,
    /// The planned number of units.
    pub planned_units: Option<i64>,
    /// Its status.
    pub status: ExperimentStatus,
    /// When it was created (milliseconds since the Unix epoch).
    pub created_at_ms: i64,
    /// When it first ran.
    pub started_at_ms: Option<i64>,
}

/// One event reported to [`crate::Client::record_events`] (through `POST /events`).
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A unit saw the variant `variant` of `flag`.
    Exposure {
        /// The flag.
        flag: String,
        /// The unit.
        unit: String,
        /// The variant it got.
        variant: String,
        /// When (milliseconds since the Unix epoch).
        at_ms: i64,
    },
    /// A unit did something a metric counts.
    Conversion {
        /// A client's id for the event: a repeated id is stored once.
        id: Option<String>,
        /// The event's name.
        event: String,
        /// The unit.
        unit: String,
        /// A value, for mean metrics.
        value: Option<f64>,
        /// When (milliseconds since the Unix epoch).
        at_ms: i64,
    },
}

/// What [`crate::Client::record_events`] stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventsOutcome {
    /// Exposures stored (a unit's first for a running experiment).
    pub exposures: u64,
    /// Conversions stored.
    pub conversions: u64,
    /// Events already stored (a repeated id, or a unit already exposed).
    pub duplicates: u64,
    /// Exposures of flags without a running experiment, not stored.
    pub ignored: u64,
}

/// What the database aggregates for one variant of an experiment.
#[derive(Debug, Clone, PartialEq)]
pub struct VariantTotals {
    /// The variant.
    pub variant: String,
    /// Units exposed to it.
    pub units: u64,
    /// Per metric (in the experiment's order): units with at least one of its events after
    /// their exposure, the sum of their per-unit totals, and the sum of their squares.
    pub metrics: Vec<MetricTotals>,
}

/// A metric's sums over one variant's units (units without the event count 0).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MetricTotals {
    /// Units with at least one such event.
    pub converted: u64,
    /// The sum of the units' totals.
    pub sum: f64,
    /// The sum of the squares of the units' totals.
    pub sum_squares: f64,
}

/// What the database holds for an experiment's results.
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentTotals {
    /// Per variant seen, by name.
    pub variants: Vec<VariantTotals>,
    /// Exposures dropped because a server's buffer was full.
    pub dropped: u64,
}

//! The tables, as Diesel sees them: one schema for all three backends.

diesel::table! {
    /// Features that can be turned on or off.
    flags (id) {
        /// The flag's id.
        id -> Integer,
        /// The unique name callers ask about.
        name -> Text,
        /// The stored status: a flag whose status is false is always off.
        status -> Bool,
    }
}

diesel::table! {
    /// Activations: rules, built from `class_name` and `config`, that decide whether an
    /// enabled flag is on.
    activations (id) {
        /// The activation's id.
        id -> Integer,
        /// A descriptive name.
        name -> Text,
        /// The registered class that builds it.
        class_name -> Text,
        /// Free-form configuration text, usually JSON.
        config -> Text,
    }
}

diesel::table! {
    /// Which activations each flag uses (many to many).
    flags_activations (flag_id, activation_id) {
        /// The flag.
        flag_id -> Integer,
        /// One of its activations.
        activation_id -> Integer,
    }
}

diesel::joinable!(flags_activations -> flags (flag_id));
diesel::joinable!(flags_activations -> activations (activation_id));
diesel::allow_tables_to_appear_in_same_query!(flags, activations, flags_activations);

diesel::table! {
    /// One row that every write locks first, so writers in every process take turns.
    novi_write_lock (id) {
        /// Always 1.
        id -> Integer,
        /// Novi's committed writes, counted (MySQL's watchers read it).
        version -> BigInt,
    }
}

diesel::table! {
    /// Every successful write: when, who, through which route, and the state before and after.
    audit_log (id) {
        /// Ascending with time: newer entries have larger ids.
        id -> Integer,
        /// When, in milliseconds since the Unix epoch (UTC).
        at_ms -> BigInt,
        /// Who: the label of the token used (never the token), or the client's actor.
        actor -> Text,
        /// Through what: an HTTP route such as `POST /flags`, or the library call.
        route -> Text,
        /// `flag` or `activation`.
        target_kind -> Text,
        /// The flag's or activation's id.
        target_id -> Integer,
        /// Its name (the new one after a rename).
        target_name -> Text,
        /// Its state before, as JSON; null when created.
        before_json -> Nullable<Text>,
        /// Its state after, as JSON; null when deleted.
        after_json -> Nullable<Text>,
    }
}

diesel::table! {
    /// Experiments: a flag whose variants are compared, and what is measured.
    experiments (id) {
        /// The experiment's id.
        id -> Integer,
        /// Its unique name.
        name -> Text,
        /// The flag whose variants it compares.
        flag_id -> Integer,
        /// The control variant.
        control -> Text,
        /// The context key that names a unit.
        unit_key -> Text,
        /// The metrics, as JSON.
        metrics -> Text,
        /// How many units it should reach.
        planned_units -> Nullable<BigInt>,
        /// `draft`, `running` or `stopped`.
        status -> Text,
        /// When it was created, in milliseconds since the Unix epoch.
        created_at_ms -> BigInt,
        /// When it first ran.
        started_at_ms -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// Each unit's first exposure to a running experiment.
    exposures (experiment_id, unit) {
        /// The experiment.
        experiment_id -> Integer,
        /// The unit (the context's value under the experiment's unit key).
        unit -> Text,
        /// The variant it got.
        variant -> Text,
        /// When, in milliseconds since the Unix epoch.
        at_ms -> BigInt,
    }
}

diesel::table! {
    /// Conversion events.
    conversions (id) {
        /// The row's id.
        id -> BigInt,
        /// The client's id for the event, which makes a repeat count once.
        event_id -> Nullable<Text>,
        /// The event's name, which metrics name.
        event -> Text,
        /// The unit.
        unit -> Text,
        /// Its value, for mean metrics.
        value -> Nullable<Double>,
        /// When, in milliseconds since the Unix epoch.
        at_ms -> BigInt,
    }
}

diesel::table! {
    /// Exposures a buffer could not hold, counted per flush.
    exposure_drops (id) {
        /// The row's id.
        id -> BigInt,
        /// The experiment.
        experiment_id -> Integer,
        /// How many were dropped.
        dropped -> BigInt,
        /// When they were counted.
        at_ms -> BigInt,
    }
}

diesel::table! {
    /// Each variant's units, kept up to date with `exposures`.
    exposure_counts (experiment_id, variant) {
        /// The experiment.
        experiment_id -> Integer,
        /// The variant.
        variant -> Text,
        /// Units exposed to it.
        units -> BigInt,
    }
}

diesel::table! {
    /// Each exposed unit's total per event, at or after its first exposure.
    unit_totals (experiment_id, event, unit) {
        /// The experiment.
        experiment_id -> Integer,
        /// The event.
        event -> Text,
        /// The unit.
        unit -> Text,
        /// The variant it was exposed to.
        variant -> Text,
        /// The sum of its events' values (an event without one counts 1).
        total -> Double,
    }
}

diesel::table! {
    /// The row event batches lock, to take turns.
    novi_events_lock (id) {
        /// Always 1.
        id -> Integer,
        /// Batches stored, counted.
        version -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    experiments,
    exposures,
    conversions,
    exposure_drops,
    exposure_counts,
    unit_totals,
);

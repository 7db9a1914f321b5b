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

//! The audit log: one row per successful write, appended in the write's own transaction, and
//! read a page at a time.

use diesel::{dsl::max, prelude::*};
use novi_snapshot::{records::FlagRecord, rows::ActivationRow};
use serde_json::Value;

use crate::{
    connection::DbConnection,
    error::Error,
    experiments::ExperimentRecord,
    models::{Actor, AuditEntry, AuditTarget},
    schema::audit_log,
};

/// A flag as the audit log shows it: `{"activations": [ids], "id", "name", "status"}`.
pub(crate) fn flag_value(flag: &FlagRecord) -> Value {
    let ids: Vec<i32> = flag.activations.iter().map(|a| a.id.0).collect();
    serde_json::json!({
        "activations": ids,
        "id": flag.id.0,
        "name": flag.name,
        "status": flag.status,
    })
}

/// An activation as the audit log shows it: `{"class_name", "config", "id", "name"}`.
pub(crate) fn activation_value(row: &ActivationRow) -> Value {
    serde_json::json!({
        "class_name": row.class_name,
        "config": row.config,
        "id": row.id,
        "name": row.name,
    })
}

fn flag_state(flag: &FlagRecord) -> String {
    flag_value(flag).to_string()
}

fn activation_state(row: &ActivationRow) -> String {
    activation_value(row).to_string()
}

/// What a write changed, for [`record`].
struct Change<'a> {
    kind: &'static str,
    id: i32,
    name: &'a str,
    before: Option<String>,
    after: Option<String>,
}

/// Appends an audit entry, inside the write's transaction and under the writers' lock (so ids
/// ascend with commit order; only Novi writes this table).
fn record(conn: &mut DbConnection, actor: &Actor, change: Change<'_>) -> Result<(), Error> {
    let id = audit_log::table
        .select(max(audit_log::id))
        .first::<Option<i32>>(conn)?
        .unwrap_or(0)
        .checked_add(1)
        .ok_or_else(|| Error::InvalidInput {
            field: "audit id",
            problem: "every id up to 2147483647 is used".to_owned(),
        })?;
    let at_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::id.eq(id),
            audit_log::at_ms.eq(at_ms),
            audit_log::actor.eq(&actor.label),
            audit_log::route.eq(&actor.route),
            audit_log::target_kind.eq(change.kind),
            audit_log::target_id.eq(change.id),
            audit_log::target_name.eq(change.name),
            audit_log::before_json.eq(change.before),
            audit_log::after_json.eq(change.after),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records a flag write: the flag before and after (`None` when created or deleted).
pub(crate) fn record_flag(
    conn: &mut DbConnection,
    actor: &Actor,
    before: Option<&FlagRecord>,
    after: Option<&FlagRecord>,
) -> Result<(), Error> {
    let Some(current) = after.or(before) else {
        return Ok(());
    };
    record(
        conn,
        actor,
        Change {
            kind: "flag",
            id: current.id.0,
            name: &current.name,
            before: before.map(flag_state),
            after: after.map(flag_state),
        },
    )
}

/// Records an activation write: its row before and after (`None` when created or deleted).
pub(crate) fn record_activation(
    conn: &mut DbConnection,
    actor: &Actor,
    before: Option<&ActivationRow>,
    after: Option<&ActivationRow>,
) -> Result<(), Error> {
    let Some(current) = after.or(before) else {
        return Ok(());
    };
    record(
        conn,
        actor,
        Change {
            kind: "activation",
            id: current.id,
            name: &current.name,
            before: before.map(activation_state),
            after: after.map(activation_state),
        },
    )
}

/// Records an experiment write: its state before and after (`None` when created or deleted).
pub(crate) fn record_experiment(
    conn: &mut DbConnection,
    actor: &Actor,
    before: Option<&ExperimentRecord>,
    after: Option<&ExperimentRecord>,
) -> Result<(), Error> {
    let Some(current) = after.or(before) else {
        return Ok(());
    };
    let state = |e: &ExperimentRecord| {
        serde_json::json!({
            "control": e.control,
            "flag_id": e.flag_id,
            "id": e.id,
            "metrics": e.metrics,
            "name": e.name,
            "planned_units": e.planned_units,
            "status": e.status,
            "unit_key": e.unit_key,
        })
        .to_string()
    };
    record(
        conn,
        actor,
        Change {
            kind: "experiment",
            id: current.id,
            name: &current.name,
            before: before.map(state),
            after: after.map(state),
        },
    )
}

/// An entry's columns, in [`EntryRow`]'s order.
const ENTRY_COLUMNS: (
    audit_log::id,
    audit_log::at_ms,
    audit_log::actor,
    audit_log::route,
    audit_log::target_kind,
    audit_log::target_id,
    audit_log::target_name,
    audit_log::before_json,
    audit_log::after_json,
) = (
    audit_log::id,
    audit_log::at_ms,
    audit_log::actor,
    audit_log::route,
    audit_log::target_kind,
    audit_log::target_id,
    audit_log::target_name,
    audit_log::before_json,
    audit_log::after_json,
);

/// An entry as Diesel reads [`ENTRY_COLUMNS`].
type EntryRow = (
    i32,
    i64,
    String,
    String,
    String,
    i32,
    String,
    Option<String>,
    Option<String>,
);

fn to_entry(
    (id, at_ms, label, route, target_kind, target_id, target_name, before, after): EntryRow,
) -> AuditEntry {
    AuditEntry {
        id,
        at_ms,
        actor: Actor { label, route },
        target_kind,
        target_id,
        target_name,
        before,
        after,
    }
}

/// Up to `limit` audit entries with ids below `before` (all when `None`), newest first.
pub(crate) fn entries(
    conn: &mut DbConnection,
    target: Option<AuditTarget>,
    before: Option<i32>,
    limit: i64,
) -> Result<Vec<AuditEntry>, Error> {
    let mut query = audit_log::table
        .select(ENTRY_COLUMNS)
        .order(audit_log::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(audit_log::id.lt(before));
    }
    // Served by the index on (target_kind, target_id, id).
    if let Some(target) = target {
        let (kind, id) = target.key();
        query = query
            .filter(audit_log::target_kind.eq(kind))
            .filter(audit_log::target_id.eq(id));
    }
    let rows: Vec<EntryRow> = query.load(conn)?;
    Ok(rows.into_iter().map(to_entry).collect())
}

/// The entry with this id, if any.
pub(crate) fn entry(conn: &mut DbConnection, id: i32) -> Result<Option<AuditEntry>, Error> {
    Ok(audit_log::table
        .filter(audit_log::id.eq(id))
        .select(ENTRY_COLUMNS)
        .first::<EntryRow>(conn)
        .optional()?
        .map(to_entry))
}

/// The id of the newest entry about `target` after the entry `after`, if any.
pub(crate) fn newest_after(
    conn: &mut DbConnection,
    target: AuditTarget,
    after: i32,
) -> Result<Option<i32>, Error> {
    let (kind, id) = target.key();
    // Served by the index on (target_kind, target_id, id).
    Ok(audit_log::table
        .filter(audit_log::target_kind.eq(kind))
        .filter(audit_log::target_id.eq(id))
        .filter(audit_log::id.gt(after))
        .select(max(audit_log::id))
        .first::<Option<i32>>(conn)?)
}

//! Every query Novi runs, written once for all backends. Writes validate against the state
//! they would leave behind, inside the transaction that makes them.

use std::collections::BTreeSet;

use diesel::{dsl::max, prelude::*, result::DatabaseErrorKind};
use novi_core::{ActivationId, ActivationSet, ActivationSpec, BuildError};

use crate::{
    Error,
    connection::DbConnection,
    models::{
        ActivationInput, ActivationRow, Actor, AuditEntry, FlagId, FlagInput, FlagRow, FlagUpdate,
        LinkRow, Rows,
    },
    schema::{activations, audit_log, flags, flags_activations, novi_write_lock},
};

impl From<diesel::result::Error> for Error {
    fn from(cause: diesel::result::Error) -> Self {
        Error::Query {
            during: "writing to the database",
            cause,
        }
    }
}

/// Reads every flag, activation and link in one transaction: three queries, whatever the
/// number of flags.
pub(crate) fn load_rows(conn: &mut DbConnection) -> Result<Rows, Error> {
    conn.transaction(|conn| {
        // PostgreSQL's default isolation would let the three reads see different commits.
        #[cfg(feature = "postgres")]
        if matches!(conn, DbConnection::Postgres(_)) {
            diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                .execute(conn)?;
        }
        Ok(Rows {
            flags: flags::table
                .select(FlagRow::as_select())
                .order(flags::id)
                .load(conn)?,
            activations: activations::table
                .select(ActivationRow::as_select())
                .order(activations::id)
                .load(conn)?,
            links: flags_activations::table
                .select(LinkRow::as_select())
                .order((flags_activations::flag_id, flags_activations::activation_id))
                .load(conn)?,
        })
    })
    .map_err(|cause| Error::Query {
        during: "loading flags and activations",
        cause,
    })
}

/// How many times a write is retried when a concurrent writer took the id it chose.
const WRITE_ATTEMPTS: usize = 5;

/// Takes the writers' lock: the row of `novi_write_lock`, locked until the transaction ends.
/// Every write takes it first, so writers in every process take turns, and each one validates
/// against everything the others committed. On SQLite it is also the first statement, so the
/// transaction starts as a writer and waits on the busy timeout instead of failing to upgrade.
fn lock_writers(conn: &mut DbConnection) -> Result<(), Error> {
    let locked = diesel::update(novi_write_lock::table.filter(novi_write_lock::id.eq(1)))
        .set(novi_write_lock::id.eq(1))
        .execute(conn)?;
    if locked == 0 {
        // Someone removed the row; putting it back locks it just the same.
        diesel::insert_into(novi_write_lock::table)
            .values(novi_write_lock::id.eq(1))
            .execute(conn)?;
    }
    Ok(())
}

/// Runs `write` in a transaction that holds the writers' lock, again (after a short pause) when
/// the database reports a conflict with a writer that does not take the lock.
fn write_with_retry<T>(
    conn: &mut DbConnection,
    mut write: impl FnMut(&mut DbConnection) -> Result<T, Error>,
) -> Result<T, Error> {
    let mut attempt = 1;
    loop {
        let result = conn.transaction(|conn| {
            lock_writers(conn)?;
            write(conn)
        });
        match result {
            Err(Error::Query {
                cause: diesel::result::Error::DatabaseError(kind, _),
                ..
            }) if attempt < WRITE_ATTEMPTS
                && matches!(
                    kind,
                    DatabaseErrorKind::UniqueViolation | DatabaseErrorKind::SerializationFailure
                ) =>
            {
                std::thread::sleep(std::time::Duration::from_millis(10 << attempt));
                attempt += 1;
            }
            other => return other,
        }
    }
}

fn check_name(field: &'static str, name: &str) -> Result<(), Error> {
    let problem = if name.is_empty() {
        "it is empty".to_owned()
    } else if name.trim() != name {
        // MySQL compares strings ignoring trailing spaces; refusing them keeps every backend
        // alike (and names typed with a stray space out of the way).
        "it starts or ends with whitespace".to_owned()
    } else if name.chars().count() > 255 {
        "it is longer than 255 characters".to_owned()
    } else if name.chars().any(char::is_control) {
        "it contains control characters".to_owned()
    } else {
        return Ok(());
    };
    Err(Error::InvalidInput { field, problem })
}

fn unique_ids(ids: &[ActivationId]) -> Vec<ActivationId> {
    let mut seen = BTreeSet::new();
    ids.iter().copied().filter(|id| seen.insert(*id)).collect()
}

/// The id of the flag named exactly `name`, if any (MySQL's comparison would also match
/// `name `, so the stored name is compared here too).
fn find_flag_id(conn: &mut DbConnection, name: &str) -> Result<Option<FlagId>, Error> {
    Ok(flags::table
        .filter(flags::name.eq(name))
        .select((flags::id, flags::name))
        .load::<(i32, String)>(conn)?
        .into_iter()
        .find(|(_, stored)| stored == name)
        .map(|(id, _)| FlagId(id)))
}

fn flag_id_by_name(conn: &mut DbConnection, name: &str) -> Result<FlagId, Error> {
    find_flag_id(conn, name)?.ok_or_else(|| Error::FlagNotFound(name.to_owned()))
}

fn name_taken(conn: &mut DbConnection, name: &str) -> Result<bool, Error> {
    Ok(find_flag_id(conn, name)?.is_some())
}

fn replace_links(conn: &mut DbConnection, flag: FlagId, ids: &[ActivationId]) -> Result<(), Error> {
    let ids = unique_ids(ids);
    let raw: Vec<i32> = ids.iter().map(|id| id.0).collect();
    // In chunks: SQLite and MySQL limit how many values one statement may bind.
    let mut found = BTreeSet::new();
    for chunk in raw.chunks(500) {
        found.extend(
            activations::table
                .filter(activations::id.eq_any(chunk))
                .select(activations::id)
                .load::<i32>(conn)?,
        );
    }
    let missing: Vec<_> = ids
        .iter()
        .copied()
        .filter(|id| !found.contains(&id.0))
        .collect();
    if !missing.is_empty() {
        return Err(Error::UnknownActivations(missing));
    }
    diesel::delete(flags_activations::table.filter(flags_activations::flag_id.eq(flag.0)))
        .execute(conn)?;
    // One row at a time: multi-row inserts are not portable across Diesel's backends.
    for id in raw {
        diesel::insert_into(flags_activations::table)
            .values((
                flags_activations::flag_id.eq(flag.0),
                flags_activations::activation_id.eq(id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub(crate) fn create_flag(
    conn: &mut DbConnection,
    input: &FlagInput,
    actor: &Actor,
) -> Result<FlagId, Error> {
    check_name("flag name", &input.name)?;
    write_with_retry(conn, |conn| {
        if name_taken(conn, &input.name)? {
            return Err(Error::DuplicateFlagName(input.name.clone()));
        }
        let id = FlagId(next_id(flags::table.select(max(flags::id)).first(conn)?)?);
        diesel::insert_into(flags::table)
            .values((
                flags::id.eq(id.0),
                flags::name.eq(&input.name),
                flags::status.eq(input.status),
            ))
            .execute(conn)?;
        replace_links(conn, id, input.activations.as_deref().unwrap_or_default())?;
        record_flag(conn, actor, id, None)?;
        Ok(id)
    })
}

fn next_id(current_max: Option<i32>) -> Result<i32, Error> {
    current_max
        .unwrap_or(0)
        .checked_add(1)
        .ok_or_else(|| Error::InvalidInput {
            field: "id",
            problem: "every id up to 2147483647 is used".to_owned(),
        })
}

pub(crate) fn update_flag(
    conn: &mut DbConnection,
    name: &str,
    update: &FlagUpdate,
    actor: &Actor,
) -> Result<String, Error> {
    if let Some(new_name) = &update.name {
        check_name("flag name", new_name)?;
    }
    write_with_retry(conn, |conn| {
        let id = flag_id_by_name(conn, name)?;
        let before = flag_state(conn, id)?;
        // Fields left out keep what is stored now, read under the writers' lock: never a
        // value from an older snapshot.
        let new_name = update.name.as_deref().unwrap_or(name);
        if new_name != name && name_taken(conn, new_name)? {
            return Err(Error::DuplicateFlagName(new_name.to_owned()));
        }
        diesel::update(flags::table.filter(flags::id.eq(id.0)))
            .set(flags::name.eq(new_name))
            .execute(conn)?;
        if let Some(status) = update.status {
            diesel::update(flags::table.filter(flags::id.eq(id.0)))
                .set(flags::status.eq(status))
                .execute(conn)?;
        }
        if let Some(ids) = &update.activations {
            replace_links(conn, id, ids)?;
        }
        record_flag(conn, actor, id, before)?;
        Ok(new_name.to_owned())
    })
}

pub(crate) fn set_flag_activations(
    conn: &mut DbConnection,
    name: &str,
    ids: &[ActivationId],
    actor: &Actor,
) -> Result<FlagId, Error> {
    write_with_retry(conn, |conn| {
        let id = flag_id_by_name(conn, name)?;
        let before = flag_state(conn, id)?;
        replace_links(conn, id, ids)?;
        record_flag(conn, actor, id, before)?;
        Ok(id)
    })
}

pub(crate) fn delete_flag(
    conn: &mut DbConnection,
    name: &str,
    actor: &Actor,
) -> Result<FlagId, Error> {
    write_with_retry(conn, |conn| {
        let id = flag_id_by_name(conn, name)?;
        let before = flag_state(conn, id)?;
        // Explicit, so it holds even where the cascade is not enforced.
        diesel::delete(flags_activations::table.filter(flags_activations::flag_id.eq(id.0)))
            .execute(conn)?;
        diesel::delete(flags::table.filter(flags::id.eq(id.0))).execute(conn)?;
        record_flag(conn, actor, id, before)?;
        Ok(id)
    })
}

fn all_activations(conn: &mut DbConnection) -> Result<Vec<ActivationRow>, Error> {
    Ok(activations::table
        .select(ActivationRow::as_select())
        .order(activations::id)
        .load(conn)?)
}

fn build(rows: &[ActivationRow]) -> ActivationSet {
    ActivationSet::build(rows.iter().map(|row| ActivationSpec {
        id: ActivationId(row.id),
        name: &row.name,
        class_name: &row.class_name,
        config: &row.config,
    }))
}

/// Checks a change to the activations: `changed` must build in `after`, and nothing that
/// built in `before` may fail in `after`.
fn validate_change(
    before: &[ActivationRow],
    after: &[ActivationRow],
    changed: Option<ActivationId>,
) -> Result<(), Error> {
    let (before, after) = (build(before), build(after));
    if let Some(id) = changed
        && let Some(Err(err)) = after.get(id)
    {
        return Err(Error::InvalidActivation((**err).clone()));
    }
    for (id, built) in after.iter() {
        if let Err(cause) = built
            && matches!(before.get(id), Some(Ok(_)))
        {
            return Err(Error::WouldBreak {
                id,
                cause: cause.clone(),
            });
        }
    }
    Ok(())
}

fn check_activation_input(input: &ActivationInput) -> Result<(), Error> {
    check_name("activation name", &input.name)?;
    check_name("class name", &input.class_name)
}

fn activation_row(id: i32, input: &ActivationInput) -> ActivationRow {
    ActivationRow {
        id,
        name: input.name.clone(),
        class_name: input.class_name.clone(),
        config: input.config.clone(),
    }
}

pub(crate) fn create_activation(
    conn: &mut DbConnection,
    input: &ActivationInput,
    actor: &Actor,
) -> Result<ActivationId, Error> {
    check_activation_input(input)?;
    write_with_retry(conn, |conn| {
        let before = all_activations(conn)?;
        let id = next_id(before.iter().map(|row| row.id).max())?;
        let row = activation_row(id, input);
        let mut after = before.clone();
        after.push(row.clone());
        validate_change(&before, &after, Some(ActivationId(id)))?;
        diesel::insert_into(activations::table)
            .values((
                activations::id.eq(id),
                activations::name.eq(&input.name),
                activations::class_name.eq(&input.class_name),
                activations::config.eq(&input.config),
            ))
            .execute(conn)?;
        record_activation(conn, actor, None, Some(&row))?;
        Ok(ActivationId(id))
    })
}

pub(crate) fn update_activation(
    conn: &mut DbConnection,
    id: ActivationId,
    input: &ActivationInput,
    actor: &Actor,
) -> Result<(), Error> {
    check_activation_input(input)?;
    write_with_retry(conn, |conn| {
        let before = all_activations(conn)?;
        let Some(at) = before.iter().position(|row| row.id == id.0) else {
            return Err(Error::ActivationNotFound(id));
        };
        let mut after = before.clone();
        after[at] = activation_row(id.0, input);
        validate_change(&before, &after, Some(id))?;
        diesel::update(activations::table.filter(activations::id.eq(id.0)))
            .set((
                activations::name.eq(&input.name),
                activations::class_name.eq(&input.class_name),
                activations::config.eq(&input.config),
            ))
            .execute(conn)?;
        record_activation(conn, actor, Some(&before[at]), Some(&after[at]))?;
        Ok(())
    })
}

pub(crate) fn delete_activation(
    conn: &mut DbConnection,
    id: ActivationId,
    actor: &Actor,
) -> Result<(), Error> {
    write_with_retry(conn, |conn| {
        let before = all_activations(conn)?;
        let Some(deleted) = before.iter().find(|row| row.id == id.0) else {
            return Err(Error::ActivationNotFound(id));
        };
        let flag_users: Vec<String> = flags_activations::table
            .inner_join(flags::table)
            .filter(flags_activations::activation_id.eq(id.0))
            .select(flags::name)
            .order(flags::name)
            .load(conn)?;
        let after: Vec<_> = before
            .iter()
            .filter(|row| row.id != id.0)
            .cloned()
            .collect();
        let (built_before, built_after) = (build(&before), build(&after));
        // The composites that name it directly fail with "activation N does not exist"; the
        // ones above them fail only through those, and are not listed.
        let broken: Vec<(ActivationId, bool)> = built_after
            .iter()
            .filter(|(other, built)| built.is_err() && matches!(built_before.get(*other), Some(Ok(_))))
            .map(|(other, built)| {
                let direct = matches!(built, Err(err) if matches!(**err, BuildError::MissingActivation { id: missing } if missing == id));
                (other, direct)
            })
            .collect();
        let composite_users: Vec<ActivationId> = if broken.iter().any(|(_, direct)| *direct) {
            broken
                .iter()
                .filter(|(_, direct)| *direct)
                .map(|(other, _)| *other)
                .collect()
        } else {
            broken.iter().map(|(other, _)| *other).collect()
        };
        if !flag_users.is_empty() || !composite_users.is_empty() {
            return Err(Error::StillReferenced {
                id,
                flags: flag_users,
                activations: composite_users,
            });
        }
        diesel::delete(activations::table.filter(activations::id.eq(id.0))).execute(conn)?;
        record_activation(conn, actor, Some(deleted), None)?;
        Ok(())
    })
}

/// A flag as the audit log shows it: `{"activations": [ids], "id", "name", "status"}`.
fn flag_state(conn: &mut DbConnection, id: FlagId) -> Result<Option<(String, String)>, Error> {
    let Some((name, status)) = flags::table
        .filter(flags::id.eq(id.0))
        .select((flags::name, flags::status))
        .first::<(String, bool)>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let activations: Vec<i32> = flags_activations::table
        .filter(flags_activations::flag_id.eq(id.0))
        .select(flags_activations::activation_id)
        .order(flags_activations::activation_id)
        .load(conn)?;
    let state = serde_json::json!({
        "activations": activations,
        "id": id.0,
        "name": name,
        "status": status,
    });
    Ok(Some((name, state.to_string())))
}

/// An activation as the audit log shows it: `{"class_name", "config", "id", "name"}`.
fn activation_state(row: &ActivationRow) -> String {
    serde_json::json!({
        "class_name": row.class_name,
        "config": row.config,
        "id": row.id,
        "name": row.name,
    })
    .to_string()
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
/// ascend with commit order).
fn record(conn: &mut DbConnection, actor: &Actor, change: Change<'_>) -> Result<(), Error> {
    let id = next_id(audit_log::table.select(max(audit_log::id)).first(conn)?)?;
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

/// Records a flag write: its state before (taken by the caller) and now.
fn record_flag(
    conn: &mut DbConnection,
    actor: &Actor,
    id: FlagId,
    before: Option<(String, String)>,
) -> Result<(), Error> {
    let after = flag_state(conn, id)?;
    let name = after
        .as_ref()
        .or(before.as_ref())
        .map(|(name, _)| name.clone())
        .unwrap_or_default();
    record(
        conn,
        actor,
        Change {
            kind: "flag",
            id: id.0,
            name: &name,
            before: before.map(|(_, state)| state),
            after: after.map(|(_, state)| state),
        },
    )
}

/// Records an activation write: its row before and after (`None` when created or deleted).
fn record_activation(
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

/// Up to `limit` audit entries with ids below `before` (all when `None`), newest first.
pub(crate) fn audit_entries(
    conn: &mut DbConnection,
    before: Option<i32>,
    limit: i64,
) -> Result<Vec<AuditEntry>, Error> {
    type Row = (
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
    let mut query = audit_log::table
        .select((
            audit_log::id,
            audit_log::at_ms,
            audit_log::actor,
            audit_log::route,
            audit_log::target_kind,
            audit_log::target_id,
            audit_log::target_name,
            audit_log::before_json,
            audit_log::after_json,
        ))
        .order(audit_log::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(audit_log::id.lt(before));
    }
    let rows: Vec<Row> = query.load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, at_ms, label, route, target_kind, target_id, target_name, before, after)| {
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
            },
        )
        .collect())
}

/// Whether `flags` has no rows, for loading sample data into an empty database.
pub(crate) fn has_no_flags(conn: &mut DbConnection) -> Result<bool, Error> {
    Ok(flags::table
        .select(flags::id)
        .first::<i32>(conn)
        .optional()?
        .is_none())
}

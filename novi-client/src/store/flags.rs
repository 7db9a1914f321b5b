//! Flags and their links to activations: found by exact name, created, changed, deleted.

use std::{collections::BTreeSet, sync::Arc};

use diesel::prelude::*;
use novi_core::ActivationId;

use novi_snapshot::records::{ActivationRecord, FlagId, FlagRecord};

use super::{
    ACTIVATION_COLUMNS, ActivationTuple, Deadline, activation_rows, activations, audit, check_name,
    resync_sequences, unique_ids, write_with_retry,
};
use crate::{
    connection::DbConnection,
    error::Error,
    models::{Actor, FlagInput, FlagUpdate},
    schema::{activations as activations_table, flags, flags_activations},
};

/// The id of the flag named exactly `name`, if any (MySQL's comparison would also match
/// `name `, so the stored name is compared here too).
pub(super) fn find_id(conn: &mut DbConnection, name: &str) -> Result<Option<FlagId>, Error> {
    Ok(flags::table
        .filter(flags::name.eq(name))
        .select((flags::id, flags::name))
        .load::<(i32, String)>(conn)?
        .into_iter()
        .find(|(_, stored)| stored == name)
        .map(|(id, _)| FlagId(id)))
}

fn id_by_name(conn: &mut DbConnection, name: &str) -> Result<FlagId, Error> {
    find_id(conn, name)?.ok_or_else(|| Error::FlagNotFound(name.to_owned()))
}

/// The flag with this id as stored now, with its activations in id order.
pub(crate) fn load(conn: &mut DbConnection, id: FlagId) -> Result<Option<FlagRecord>, Error> {
    let Some((name, status)) = flags::table
        .filter(flags::id.eq(id.0))
        .select((flags::name, flags::status))
        .first::<(String, bool)>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let linked = activation_rows(
        flags_activations::table
            .inner_join(activations_table::table)
            .filter(flags_activations::flag_id.eq(id.0))
            .select(ACTIVATION_COLUMNS)
            .order(activations_table::id)
            .load::<ActivationTuple>(conn)?,
    );
    Ok(Some(FlagRecord {
        id,
        name,
        status,
        activations: linked
            .into_iter()
            .map(|row| Arc::new(ActivationRecord::from(row)))
            .collect(),
    }))
}

fn load_existing(conn: &mut DbConnection, id: FlagId) -> Result<FlagRecord, Error> {
    load(conn, id)?.ok_or_else(|| Error::FlagNotFound(format!("#{id}")))
}

/// Replaces the flag's links with `ids`. Every id must exist; an activation newly linked must
/// build in this process, unless `force` (a class that only another binary links).
fn replace_links(
    conn: &mut DbConnection,
    flag: FlagId,
    ids: &[ActivationId],
    force: bool,
) -> Result<(), Error> {
    let ids = unique_ids(ids);
    let raw: Vec<i32> = ids.iter().map(|id| id.0).collect();
    // In chunks: SQLite and MySQL limit how many values one statement may bind.
    let mut found = BTreeSet::new();
    for chunk in raw.chunks(500) {
        found.extend(
            activations_table::table
                .filter(activations_table::id.eq_any(chunk))
                .select(activations_table::id)
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
    let current: BTreeSet<i32> = flags_activations::table
        .filter(flags_activations::flag_id.eq(flag.0))
        .select(flags_activations::activation_id)
        .load::<i32>(conn)?
        .into_iter()
        .collect();
    let added: Vec<ActivationId> = ids
        .iter()
        .copied()
        .filter(|id| !current.contains(&id.0))
        .collect();
    if !force && !added.is_empty() {
        activations::check_buildable(conn, &added)?;
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

/// Creates a flag; returns it as stored. Its id is the database's to give.
pub(crate) fn create(
    conn: &mut DbConnection,
    deadline: Deadline,
    input: &FlagInput,
    actor: &Actor,
) -> Result<FlagRecord, Error> {
    // Checked before the writers' lock too, so a bad name never waits for it.
    check_name("flag name", &input.name)?;
    write_with_retry(conn, deadline, |conn| create_in(conn, None, input, actor))
}

/// [`create`]'s body, in a transaction that holds the writers' lock. With `id`, the flag gets
/// that id (a deleted flag coming back, see [`super::revert`]) and PostgreSQL's sequence is
/// moved past it; without, the database gives one.
pub(super) fn create_in(
    conn: &mut DbConnection,
    id: Option<FlagId>,
    input: &FlagInput,
    actor: &Actor,
) -> Result<FlagRecord, Error> {
    check_name("flag name", &input.name)?;
    if find_id(conn, &input.name)?.is_some() {
        return Err(Error::DuplicateFlagName(input.name.clone()));
    }
    let (name, status) = (flags::name.eq(&input.name), flags::status.eq(input.status));
    match id {
        Some(id) => {
            diesel::insert_into(flags::table)
                .values((flags::id.eq(id.0), name, status))
                .execute(conn)?;
            resync_sequences(conn)?;
        }
        None => {
            diesel::insert_into(flags::table)
                .values((name, status))
                .execute(conn)?;
        }
    }
    let id = id_by_name(conn, &input.name)?;
    let links = input.activations.as_deref().unwrap_or_default();
    replace_links(conn, id, links, input.force)?;
    let created = load_existing(conn, id)?;
    audit::record_flag(conn, actor, None, Some(&created))?;
    Ok(created)
}

/// Changes the given fields of the flag named `name`; the others keep what is stored now, read
/// under the writers' lock (never a value from an older snapshot). Returns it as stored.
pub(crate) fn update(
    conn: &mut DbConnection,
    deadline: Deadline,
    name: &str,
    update: &FlagUpdate,
    actor: &Actor,
) -> Result<FlagRecord, Error> {
    if let Some(new_name) = &update.name {
        check_name("flag name", new_name)?;
    }
    write_with_retry(conn, deadline, |conn| {
        let id = id_by_name(conn, name)?;
        update_in(conn, id, update, actor)
    })
}

/// [`update`]'s body for the flag with this id, in a transaction that holds the writers' lock.
pub(super) fn update_in(
    conn: &mut DbConnection,
    id: FlagId,
    update: &FlagUpdate,
    actor: &Actor,
) -> Result<FlagRecord, Error> {
    if let Some(new_name) = &update.name {
        check_name("flag name", new_name)?;
    }
    let before = load_existing(conn, id)?;
    let name = before.name.as_str();
    let new_name = update.name.as_deref().unwrap_or(name);
    if new_name != name && find_id(conn, new_name)?.is_some() {
        return Err(Error::DuplicateFlagName(new_name.to_owned()));
    }
    if new_name != name {
        diesel::update(flags::table.filter(flags::id.eq(id.0)))
            .set(flags::name.eq(new_name))
            .execute(conn)?;
    }
    if let Some(status) = update.status {
        diesel::update(flags::table.filter(flags::id.eq(id.0)))
            .set(flags::status.eq(status))
            .execute(conn)?;
    }
    if let Some(ids) = &update.activations {
        replace_links(conn, id, ids, update.force)?;
    }
    let after = load_existing(conn, id)?;
    audit::record_flag(conn, actor, Some(&before), Some(&after))?;
    Ok(after)
}

/// Deletes the flag named `name`; returns it as it was.
pub(crate) fn delete(
    conn: &mut DbConnection,
    deadline: Deadline,
    name: &str,
    actor: &Actor,
) -> Result<FlagRecord, Error> {
    write_with_retry(conn, deadline, |conn| {
        let id = id_by_name(conn, name)?;
        delete_in(conn, id, actor)
    })
}

/// [`delete`]'s body for the flag with this id, in a transaction that holds the writers' lock.
pub(super) fn delete_in(
    conn: &mut DbConnection,
    id: FlagId,
    actor: &Actor,
) -> Result<FlagRecord, Error> {
    let before = load_existing(conn, id)?;
    // Explicit, so it holds even where the cascade is not enforced.
    diesel::delete(flags_activations::table.filter(flags_activations::flag_id.eq(id.0)))
        .execute(conn)?;
    diesel::delete(flags::table.filter(flags::id.eq(id.0))).execute(conn)?;
    audit::record_flag(conn, actor, Some(&before), None)?;
    Ok(before)
}

/// The names of the flags that link activation `id`, sorted.
pub(crate) fn users_of(conn: &mut DbConnection, id: ActivationId) -> Result<Vec<String>, Error> {
    Ok(flags_activations::table
        .inner_join(flags::table)
        .filter(flags_activations::activation_id.eq(id.0))
        .select(flags::name)
        .order(flags::name)
        .load(conn)?)
}

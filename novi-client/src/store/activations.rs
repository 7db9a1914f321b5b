//! Activations: created, changed and deleted only when every activation that built before
//! still builds after.

use diesel::prelude::*;
use novi_core::{ActivationId, ActivationSet, ActivationSpec, BuildError};

use novi_snapshot::{records::ActivationRecord, rows::ActivationRow};

use super::{
    ACTIVATION_COLUMNS, ActivationTuple, Deadline, activation_rows, audit, check_name, flags,
    last_insert_id, resync_sequences, write_with_retry,
};
use crate::{
    connection::DbConnection,
    error::Error,
    models::{ActivationInput, Actor},
    schema::activations,
};

pub(super) fn all(conn: &mut DbConnection) -> Result<Vec<ActivationRow>, Error> {
    Ok(activation_rows(
        activations::table
            .select(ACTIVATION_COLUMNS)
            .order(activations::id)
            .load::<ActivationTuple>(conn)?,
    ))
}

/// The activation with this id as stored now.
pub(super) fn load(
    conn: &mut DbConnection,
    id: ActivationId,
) -> Result<Option<ActivationRow>, Error> {
    Ok(activation_rows(
        activations::table
            .filter(activations::id.eq(id.0))
            .select(ACTIVATION_COLUMNS)
            .load::<ActivationTuple>(conn)?,
    )
    .pop())
}

pub(super) fn build(rows: &[ActivationRow]) -> ActivationSet {
    ActivationSet::build(rows.iter().map(|row| ActivationSpec {
        id: ActivationId(row.id),
        name: &row.name,
        class_name: &row.class_name,
        config: &row.config,
    }))
}

/// Checks that each of `ids` builds in this process: an activation of a class that only
/// another binary links would switch off the flag it is linked to, here.
pub(super) fn check_buildable(conn: &mut DbConnection, ids: &[ActivationId]) -> Result<(), Error> {
    let rows = all(conn)?;
    let built = build(&rows);
    for &id in ids {
        if let Some(Err(cause)) = built.get(id) {
            let class_name = rows
                .iter()
                .find(|row| row.id == id.0)
                .map(|row| row.class_name.clone())
                .unwrap_or_default();
            return Err(Error::UnbuildableLink {
                id,
                class_name,
                cause: cause.clone(),
            });
        }
    }
    Ok(())
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

fn check_input(input: &ActivationInput) -> Result<(), Error> {
    check_name("activation name", &input.name)?;
    check_name("class name", &input.class_name)
}

fn row(id: i32, input: &ActivationInput) -> ActivationRow {
    ActivationRow {
        id,
        name: input.name.clone(),
        class_name: input.class_name.clone(),
        config: input.config.clone(),
    }
}

/// Creates an activation after checking that it builds; returns it as stored. Its id is the
/// database's to give.
pub(crate) fn create(
    conn: &mut DbConnection,
    deadline: Deadline,
    input: &ActivationInput,
    actor: &Actor,
) -> Result<ActivationRecord, Error> {
    // Checked before the writers' lock too, so a bad name never waits for it.
    check_input(input)?;
    write_with_retry(conn, deadline, |conn| create_in(conn, None, input, actor))
}

/// [`create`]'s body, in a transaction that holds the writers' lock. Without `id`, the row is
/// checked before it is inserted (under the id after the highest, so that nothing the database
/// would refuse reaches it), and again under the id the database gave it when that differs (a
/// refused one is rolled back). With `id` (a deleted activation coming back, see
/// [`super::revert`]), it is checked and inserted under that id, and PostgreSQL's sequence is
/// moved past it.
pub(super) fn create_in(
    conn: &mut DbConnection,
    id: Option<ActivationId>,
    input: &ActivationInput,
    actor: &Actor,
) -> Result<ActivationRecord, Error> {
    check_input(input)?;
    let before = all(conn)?;
    let check = |id: i32| {
        let mut after = before.clone();
        after.push(row(id, input));
        validate_change(&before, &after, Some(ActivationId(id)))
    };
    let (name, class_name, config) = (
        activations::name.eq(&input.name),
        activations::class_name.eq(&input.class_name),
        activations::config.eq(&input.config),
    );
    let id = match id {
        Some(id) => {
            check(id.0)?;
            diesel::insert_into(activations::table)
                .values((activations::id.eq(id.0), name, class_name, config))
                .execute(conn)?;
            resync_sequences(conn)?;
            id.0
        }
        None => {
            let provisional = before
                .iter()
                .map(|row| row.id)
                .max()
                .unwrap_or(0)
                .saturating_add(1);
            check(provisional)?;
            diesel::insert_into(activations::table)
                .values((name, class_name, config))
                .execute(conn)?;
            let id = last_insert_id(conn)?;
            if id != provisional {
                check(id)?;
            }
            id
        }
    };
    let created = row(id, input);
    audit::record_activation(conn, actor, None, Some(&created))?;
    Ok(ActivationRecord::from(created))
}

/// Replaces an activation, checked as on creation and against every activation that contains
/// it; returns it as stored.
pub(crate) fn update(
    conn: &mut DbConnection,
    deadline: Deadline,
    id: ActivationId,
    input: &ActivationInput,
    actor: &Actor,
) -> Result<ActivationRecord, Error> {
    check_input(input)?;
    write_with_retry(conn, deadline, |conn| update_in(conn, id, input, actor))
}

/// [`update`]'s body, in a transaction that holds the writers' lock.
pub(super) fn update_in(
    conn: &mut DbConnection,
    id: ActivationId,
    input: &ActivationInput,
    actor: &Actor,
) -> Result<ActivationRecord, Error> {
    check_input(input)?;
    let before = all(conn)?;
    let Some(at) = before.iter().position(|row| row.id == id.0) else {
        return Err(Error::ActivationNotFound(id));
    };
    let mut after = before.clone();
    after[at] = row(id.0, input);
    validate_change(&before, &after, Some(id))?;
    diesel::update(activations::table.filter(activations::id.eq(id.0)))
        .set((
            activations::name.eq(&input.name),
            activations::class_name.eq(&input.class_name),
            activations::config.eq(&input.config),
        ))
        .execute(conn)?;
    audit::record_activation(conn, actor, Some(&before[at]), Some(&after[at]))?;
    Ok(ActivationRecord::from(after.swap_remove(at)))
}

/// Deletes an activation that no flag and no composite activation uses; returns it as it was.
pub(crate) fn delete(
    conn: &mut DbConnection,
    deadline: Deadline,
    id: ActivationId,
    actor: &Actor,
) -> Result<ActivationRecord, Error> {
    write_with_retry(conn, deadline, |conn| delete_in(conn, id, actor))
}

/// [`delete`]'s body, in a transaction that holds the writers' lock.
pub(super) fn delete_in(
    conn: &mut DbConnection,
    id: ActivationId,
    actor: &Actor,
) -> Result<ActivationRecord, Error> {
    let before = all(conn)?;
    let Some(deleted) = before.iter().find(|row| row.id == id.0) else {
        return Err(Error::ActivationNotFound(id));
    };
    let flag_users = flags::users_of(conn, id)?;
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
    audit::record_activation(conn, actor, Some(deleted), None)?;
    Ok(ActivationRecord::from(deleted.clone()))
}

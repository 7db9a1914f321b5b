//! Reverting one audit log entry: the state its flag or activation had before the entry is put
//! back, provided nothing changed that flag or activation since, as one more audited write.

use std::collections::BTreeSet;

use novi_core::ActivationId;
use novi_snapshot::records::FlagId;
use serde_json::Value;

use super::{Deadline, activations, audit, flags, write_with_retry};
use crate::{
    connection::DbConnection,
    error::Error,
    models::{
        ActivationInput, Actor, AuditEntry, AuditTarget, FlagInput, FlagUpdate, RevertAction,
        Reverted,
    },
};

/// Reverts the audit entry with id `entry` in one transaction that holds the writers' lock:
/// its flag or activation must be stored now exactly as the entry left it (compared as the audit
/// log records states), else [`Error::RevertConflict`]. The state before the entry then comes
/// back through the ordinary writes, with their checks: a change is undone, a creation deleted,
/// a deletion recreated under the old id. The revert is audited like any write.
pub(crate) fn revert(
    conn: &mut DbConnection,
    deadline: Deadline,
    entry: i32,
    actor: &Actor,
) -> Result<Reverted, Error> {
    write_with_retry(conn, deadline, |conn| {
        let entry = audit::entry(conn, entry)?.ok_or(Error::AuditEntryNotFound(entry))?;
        let states = States::of(&entry)?;
        match entry.target_kind.as_str() {
            "flag" => revert_flag(conn, &entry, states, actor),
            "activation" => revert_activation(conn, &entry, states, actor),
            other => Err(unreadable(
                &entry,
                format!("its target is a `{other}`, neither a flag nor an activation"),
            )),
        }
    })
}

/// An entry's states, read as JSON.
struct States {
    before: Option<Value>,
    after: Option<Value>,
}

impl States {
    fn of(entry: &AuditEntry) -> Result<States, Error> {
        let read = |which: &str, text: Option<&str>| {
            text.map(|text| {
                serde_json::from_str::<Value>(text).map_err(|err| {
                    unreadable(entry, format!("its state {which} is not JSON: {err}"))
                })
            })
            .transpose()
        };
        Ok(States {
            before: read("before", entry.before.as_deref())?,
            after: read("after", entry.after.as_deref())?,
        })
    }
}

fn revert_flag(
    conn: &mut DbConnection,
    entry: &AuditEntry,
    states: States,
    actor: &Actor,
) -> Result<Reverted, Error> {
    let id = FlagId(entry.target_id);
    let current = flags::load(conn, id)?;
    check_unchanged(
        conn,
        entry,
        AuditTarget::Flag(id),
        current.as_ref().map(audit::flag_value),
        states.after.as_ref(),
    )?;
    let (action, flag) = match (states.before, states.after) {
        // The entry changed the flag.
        (Some(before), Some(_)) => {
            let input = flag_input(entry, &before)?;
            let restored = flags::update_in(conn, id, &FlagUpdate::from(&input), actor)?;
            (RevertAction::Restored, restored)
        }
        // The entry deleted it.
        (Some(before), None) => {
            let input = flag_input(entry, &before)?;
            if let Some(holder) = flags::find_id(conn, &input.name)? {
                return Err(conflict(
                    entry,
                    format!(
                        "another flag (id {holder}) is named `{}` now; rename or delete it first",
                        input.name
                    ),
                ));
            }
            let recreated = flags::create_in(conn, Some(id), &input, actor)?;
            (RevertAction::Recreated, recreated)
        }
        // The entry created it.
        (None, Some(_)) => (RevertAction::Deleted, flags::delete_in(conn, id, actor)?),
        (None, None) => return Err(no_state(entry)),
    };
    Ok(Reverted::Flag { action, flag })
}

fn revert_activation(
    conn: &mut DbConnection,
    entry: &AuditEntry,
    states: States,
    actor: &Actor,
) -> Result<Reverted, Error> {
    let id = ActivationId(entry.target_id);
    let current = activations::load(conn, id)?;
    check_unchanged(
        conn,
        entry,
        AuditTarget::Activation(id),
        current.as_ref().map(audit::activation_value),
        states.after.as_ref(),
    )?;
    let (action, activation) = match (states.before, states.after) {
        // The entry changed the activation.
        (Some(before), Some(_)) => {
            let input = activation_input(entry, &before)?;
            let restored = activations::update_in(conn, id, &input, actor)?;
            (RevertAction::Restored, restored)
        }
        // The entry deleted it.
        (Some(before), None) => {
            let input = activation_input(entry, &before)?;
            let recreated = activations::create_in(conn, Some(id), &input, actor)?;
            (RevertAction::Recreated, recreated)
        }
        // The entry created it.
        (None, Some(_)) => (
            RevertAction::Deleted,
            activations::delete_in(conn, id, actor)?,
        ),
        (None, None) => return Err(no_state(entry)),
    };
    Ok(Reverted::Activation { action, activation })
}

/// Checks that the target is stored now (`current`, `None` when it does not exist) as the entry
/// left it (`after`); otherwise the conflict says what differs and which later entry to revert
/// first.
fn check_unchanged(
    conn: &mut DbConnection,
    entry: &AuditEntry,
    target: AuditTarget,
    current: Option<Value>,
    after: Option<&Value>,
) -> Result<(), Error> {
    let what = match (&current, after) {
        (current, after) if current.as_ref() == after => return Ok(()),
        (None, _) => "was deleted after it".to_owned(),
        (Some(_), None) => "was recreated after it".to_owned(),
        (Some(current), Some(after)) => {
            format!("changed after it ({})", differences(current, after))
        }
    };
    let next = match audit::newest_after(conn, target, entry.id)? {
        Some(newest) => {
            format!("entry {newest} is the newest to change it: revert the later entries first")
        }
        None => "no later entry records that change (it was made outside Novi): undo it first"
            .to_owned(),
    };
    Err(conflict(
        entry,
        format!(
            "{} `{}` {what}; {next}",
            entry.target_kind, entry.target_name
        ),
    ))
}

/// The fields that differ between two states, as `key: <now> now, <then> then`.
fn differences(now: &Value, then: &Value) -> String {
    let keys: BTreeSet<&str> = [now, then]
        .into_iter()
        .filter_map(Value::as_object)
        .flat_map(|fields| fields.keys().map(String::as_str))
        .collect();
    let differing: Vec<String> = keys
        .into_iter()
        .filter(|key| now.get(key) != then.get(key))
        .map(|key| {
            format!(
                "{key}: {} now, {} then",
                shown(now.get(key)),
                shown(then.get(key))
            )
        })
        .collect();
    if differing.is_empty() {
        "its recorded state is not an object".to_owned()
    } else {
        differing.join(", ")
    }
}

/// A state's field in a message: text in backticks, anything long cut short.
fn shown(value: Option<&Value>) -> String {
    const LONGEST: usize = 60;
    let cut = |text: &str| match text.char_indices().nth(LONGEST) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    };
    match value {
        None => "absent".to_owned(),
        Some(Value::String(text)) => format!("`{}`", cut(text)),
        Some(other) => cut(&other.to_string()),
    }
}

/// A flag's recorded state as the input that restores it (links checked as on any write).
fn flag_input(entry: &AuditEntry, state: &Value) -> Result<FlagInput, Error> {
    let status = state
        .get("status")
        .and_then(Value::as_bool)
        .ok_or_else(|| missing(entry, "status"))?;
    let ids = state
        .get("activations")
        .and_then(Value::as_array)
        .and_then(|ids| {
            ids.iter()
                .map(|id| {
                    let id = i32::try_from(id.as_i64()?).ok()?;
                    Some(ActivationId(id))
                })
                .collect::<Option<Vec<_>>>()
        })
        .ok_or_else(|| missing(entry, "activations"))?;
    Ok(FlagInput {
        name: text(entry, state, "name")?.to_owned(),
        status,
        activations: Some(ids),
        force: false,
    })
}

/// An activation's recorded state as the input that restores it.
fn activation_input(entry: &AuditEntry, state: &Value) -> Result<ActivationInput, Error> {
    Ok(ActivationInput {
        name: text(entry, state, "name")?.to_owned(),
        class_name: text(entry, state, "class_name")?.to_owned(),
        config: text(entry, state, "config")?.to_owned(),
    })
}

fn text<'a>(entry: &AuditEntry, state: &'a Value, key: &str) -> Result<&'a str, Error> {
    state
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| missing(entry, key))
}

fn missing(entry: &AuditEntry, key: &str) -> Error {
    unreadable(
        entry,
        format!("its state before has no valid `{key}` to restore"),
    )
}

fn no_state(entry: &AuditEntry) -> Error {
    unreadable(entry, "it records no state, before or after".to_owned())
}

fn unreadable(entry: &AuditEntry, problem: String) -> Error {
    Error::UnreadableAuditEntry {
        entry: entry.id,
        problem,
    }
}

fn conflict(entry: &AuditEntry, reason: String) -> Error {
    Error::RevertConflict {
        entry: entry.id,
        reason,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[track_caller]
    fn check(now: Value, then: Value, expected: &str) {
        assert_eq!(differences(&now, &then), expected);
    }

    #[test]
    fn differences_name_each_field_that_changed() {
        let flag = json!({"activations": [1], "id": 3, "name": "x", "status": true});
        let mut off = flag.clone();
        off["status"] = json!(false);
        check(off, flag.clone(), "status: false now, true then");
        let mut renamed = flag.clone();
        renamed["name"] = json!("y");
        renamed["activations"] = json!([1, 2]);
        check(
            renamed,
            flag.clone(),
            "activations: [1,2] now, [1] then, name: `y` now, `x` then",
        );
        check(
            json!({"a": 1}),
            json!({"b": 1}),
            "a: 1 now, absent then, b: absent now, 1 then",
        );
        check(json!(1), json!(2), "its recorded state is not an object");
        let long = "é".repeat(70);
        check(
            json!({"config": long}),
            json!({"config": "{}"}),
            &format!("config: `{}…` now, `{{}}` then", "é".repeat(60)),
        );
    }

    fn entry(before: Option<&str>, after: Option<&str>) -> AuditEntry {
        AuditEntry {
            id: 7,
            at_ms: 0,
            actor: Actor::library(),
            target_kind: "flag".to_owned(),
            target_id: 3,
            target_name: "x".to_owned(),
            before: before.map(str::to_owned),
            after: after.map(str::to_owned),
        }
    }

    /// The problem of an entry refused as unreadable.
    #[track_caller]
    fn problem(result: Result<(), Error>) -> String {
        match result {
            Err(Error::UnreadableAuditEntry { entry: 7, problem }) => problem,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_recorded_state_that_cannot_be_restored_is_refused_with_the_reason() {
        let entry = entry(Some("{"), None);
        assert!(problem(States::of(&entry).map(drop)).starts_with("its state before is not JSON"));
        let flag = json!({"activations": [1, "2"], "id": 3, "name": "x", "status": true});
        assert_eq!(
            problem(flag_input(&entry, &flag).map(drop)),
            "its state before has no valid `activations` to restore"
        );
        let activation = json!({"class_name": "C", "id": 3, "name": "a"});
        assert_eq!(
            problem(activation_input(&entry, &activation).map(drop)),
            "its state before has no valid `config` to restore"
        );
        let restored = flag_input(
            &entry,
            &json!({"activations": [2, 1], "id": 3, "name": "x", "status": false}),
        )
        .unwrap();
        assert_eq!(
            restored,
            FlagInput {
                name: "x".to_owned(),
                status: false,
                activations: Some(vec![ActivationId(2), ActivationId(1)]),
                force: false,
            }
        );
    }
}

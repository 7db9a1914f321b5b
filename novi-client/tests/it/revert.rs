//! Reverting audit log entries: each kind of write undone, the revert audited (and revertible
//! in turn), and refusals when the target changed since or the undo would not be valid.

use novi_client::{
    ActivationId, ActivationInput, AuditEntry, Client, Error, FlagInput, RevertAction, Reverted,
    context,
};
use novi_core::BuildError;
use serde_json::{Value, json};

use crate::db_test;

const SPLIT_A: &str = r#"{"splits": [1], "variations": ["A"]}"#;
const ROUTE: &str = "POST /audit/{id}/revert";

fn flag(name: &str, status: bool, activations: &[ActivationId]) -> FlagInput {
    FlagInput {
        name: name.into(),
        status,
        activations: Some(activations.to_vec()),
        force: false,
    }
}

fn activation(name: &str, class_name: &str, config: &str) -> ActivationInput {
    ActivationInput {
        name: name.into(),
        class_name: class_name.into(),
        config: config.into(),
    }
}

/// The newest audit entry.
fn newest(client: &Client) -> AuditEntry {
    client.audit_log(None, 1).unwrap().remove(0)
}

fn state(text: Option<&str>) -> Value {
    text.map_or(Value::Null, |text| serde_json::from_str(text).unwrap())
}

/// The message of a revert of `entry` refused because its target changed since.
#[track_caller]
fn conflict(result: Result<Reverted, Error>, entry: i32) -> String {
    match result {
        Err(err @ Error::RevertConflict { entry: refused, .. }) if refused == entry => {
            err.to_string()
        }
        other => panic!("{other:?}"),
    }
}

db_test!(reverting_flag_writes, |db| {
    let client = db.client();
    let ops = client.acting_as("ops", ROUTE);
    let split = client
        .create_activation(&activation("split", "WeightedRandomActivation", SPLIT_A))
        .unwrap();
    let created = client
        .create_flag(&flag("banner", false, &[split.id]))
        .unwrap();
    let create_entry = newest(&client);

    // A status toggle, reverted: the state before is back, and the revert is an entry of its
    // own, with the actor and route it was made through.
    client
        .update_flag("banner", &flag("banner", true, &[split.id]))
        .unwrap();
    let toggle = newest(&client);
    let reverted = ops.revert(toggle.id).unwrap();
    assert_eq!(reverted.action(), RevertAction::Restored);
    assert_eq!(reverted.name(), "banner");
    let Reverted::Flag { flag: restored, .. } = &reverted else {
        panic!("{reverted:?}")
    };
    assert_eq!((restored.id, restored.status), (created.id, false));
    assert!(
        !client.snapshot().flag("banner").unwrap().status,
        "read your writes"
    );
    let revert_entry = newest(&client);
    assert_eq!(revert_entry.id, toggle.id + 1);
    assert_eq!(
        (
            revert_entry.actor.label.as_str(),
            revert_entry.actor.route.as_str()
        ),
        ("ops", ROUTE)
    );
    assert_eq!(
        state(revert_entry.before.as_deref()),
        state(toggle.after.as_deref())
    );
    assert_eq!(
        state(revert_entry.after.as_deref()),
        state(toggle.before.as_deref())
    );
    assert_eq!(
        state(reverted.state().as_deref()),
        state(toggle.before.as_deref()),
        "the state handed back is the audit log's"
    );

    // The toggle, reverted again: the flag changed since, so it is refused, naming the flag, what
    // differs and the newest entry to revert first.
    assert_eq!(
        conflict(client.revert(toggle.id), toggle.id),
        format!(
            "cannot revert audit entry {}: flag `banner` changed after it (status: false now, true then); entry {} is the newest to change it: revert the later entries first",
            toggle.id, revert_entry.id
        )
    );
    // Reverting the revert toggles it on again.
    let again = client.revert(revert_entry.id).unwrap();
    assert!(matches!(&again, Reverted::Flag { flag, .. } if flag.status));
    assert!(client.is_enabled("banner", &context! {"seed": 1, "variant": "A"}));
    let message = conflict(client.revert(create_entry.id), create_entry.id);
    assert!(
        message.contains("flag `banner` changed after it (status: true now, false then)"),
        "{message}"
    );

    // A rename.
    client
        .update_flag("banner", &flag("hero", true, &[split.id]))
        .unwrap();
    let renamed = client.revert(newest(&client).id).unwrap();
    assert_eq!(renamed.name(), "banner");
    assert!(client.snapshot().flag("hero").is_none());
    assert!(client.snapshot().flag("banner").is_some());

    // A delete: the flag comes back with its id, status and links.
    client.delete_flag("banner").unwrap();
    let deletion = newest(&client);
    let recreated = client.revert(deletion.id).unwrap();
    assert_eq!(recreated.action(), RevertAction::Recreated);
    let snapshot = client.snapshot();
    let back = snapshot.flag("banner").unwrap();
    assert_eq!((back.id, back.status), (created.id, true));
    assert_eq!(
        back.activations.iter().map(|a| a.id).collect::<Vec<_>>(),
        [split.id]
    );
    assert!(client.is_enabled("banner", &context! {"seed": 1, "variant": "A"}));
    // Deleted again, while another flag takes the name: the name must be free first.
    client.delete_flag("banner").unwrap();
    let deletion = newest(&client);
    let newcomer = client.create_flag(&flag("banner", false, &[])).unwrap();
    assert_eq!(
        conflict(client.revert(deletion.id), deletion.id),
        format!(
            "cannot revert audit entry {}: another flag (id {}) is named `banner` now; rename or delete it first",
            deletion.id, newcomer.id
        )
    );
    client.delete_flag("banner").unwrap();
    client.revert(deletion.id).unwrap();
    assert_eq!(client.snapshot().flag("banner").unwrap().id, created.id);

    // A create: the flag is deleted, and nothing is left to show.
    client.create_flag(&flag("temporary", true, &[])).unwrap();
    let deleted = client.revert(newest(&client).id).unwrap();
    assert_eq!(
        (deleted.action(), deleted.name(), deleted.state()),
        (RevertAction::Deleted, "temporary", None)
    );
    assert!(client.snapshot().flag("temporary").is_none());

    // The links come back through the usual checks: an activation deleted since is unknown.
    let gone = client
        .create_activation(&activation("gone", "WeightedRandomActivation", SPLIT_A))
        .unwrap();
    client
        .update_flag("banner", &flag("banner", true, &[split.id, gone.id]))
        .unwrap();
    client
        .update_flag("banner", &flag("banner", true, &[split.id]))
        .unwrap();
    let unlink = newest(&client);
    client.delete_activation(gone.id).unwrap();
    assert!(matches!(
        client.revert(unlink.id),
        Err(Error::UnknownActivations(ids)) if ids == [gone.id]
    ));
    assert_eq!(
        client.snapshot().flag("banner").unwrap().activations.len(),
        1,
        "a refused revert leaves nothing"
    );

    // A change that no entry records (another program's SQL) is a conflict too.
    db.execute("UPDATE flags SET status = FALSE WHERE name = 'banner'");
    let message = conflict(client.revert(unlink.id), unlink.id);
    assert!(
        message.ends_with(
            "(status: false now, true then); no later entry records that change (it was made outside Novi): undo it first"
        ),
        "{message}"
    );

    assert!(matches!(
        client.revert(9999),
        Err(err @ Error::AuditEntryNotFound(9999)) if err.to_string() == "audit entry 9999 does not exist"
    ));
});

// A flag recreated under an id inserted by hand (PostgreSQL's sequence never saw it) moves the
// sequence past it: the next flag's id is higher, on every backend.
db_test!(a_recreated_id_is_never_given_again, |db| {
    let client = db.sample_client();
    db.execute("INSERT INTO flags (id, name, status) VALUES (1000, 'by hand', TRUE)");
    client.refresh().unwrap();
    client.delete_flag("by hand").unwrap();
    client.revert(newest(&client).id).unwrap();
    assert_eq!(client.snapshot().flag("by hand").unwrap().id.0, 1000);
    let next = client.create_flag(&flag("next", true, &[])).unwrap();
    assert!(next.id.0 > 1000, "{next:?}");
});

db_test!(reverting_activation_writes, |db| {
    let client = db.client();
    let member = client
        .create_activation(&activation("member", "WeightedRandomActivation", SPLIT_A))
        .unwrap();
    let and = format!("[{}]", member.id);
    let target = client
        .create_activation(&activation("target", "AndActivation", &and))
        .unwrap();

    // A config update, reverted, and the revert reverted.
    client
        .update_activation(
            target.id,
            &activation("target", "WeightedRandomActivation", SPLIT_A),
        )
        .unwrap();
    let update = newest(&client);
    let restored = client.revert(update.id).unwrap();
    assert_eq!(restored.action(), RevertAction::Restored);
    assert_eq!(
        client.snapshot().activation(target.id).unwrap().config,
        and,
        "the old config is back"
    );
    assert_eq!(
        state(restored.state().as_deref()),
        json!({"class_name": "AndActivation", "config": and, "id": target.id.0, "name": "target"})
    );
    let split_b = r#"{"splits": [1], "variations": ["B"]}"#;
    client
        .update_activation(
            target.id,
            &activation("target", "WeightedRandomActivation", split_b),
        )
        .unwrap();
    let later = newest(&client);
    let message = conflict(client.revert(update.id), update.id);
    assert!(
        message.contains(&format!(
            "activation `target` changed after it (config: `{split_b}` now, `{SPLIT_A}` then); entry {} is the newest",
            later.id
        )),
        "{message}"
    );

    // The restored row is validated with every other: the member now contains the target, so
    // the old config would be a cycle.
    client
        .update_activation(
            member.id,
            &activation("member", "OrActivation", &format!("[{}]", target.id)),
        )
        .unwrap();
    match client.revert(later.id) {
        Err(Error::InvalidActivation(BuildError::Cycle { .. })) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(
        client.snapshot().activation(target.id).unwrap().config,
        split_b,
        "unchanged"
    );

    // A delete: the activation comes back under its id, and reverting its creation then
    // deletes it again (it is stored exactly as created).
    let env = activation(
        "prod only",
        "EnvironmentActivation",
        r#"{"environments": ["prod"]}"#,
    );
    let created = client.create_activation(&env).unwrap();
    let creation = newest(&client);
    client.delete_activation(created.id).unwrap();
    let recreated = client.revert(newest(&client).id).unwrap();
    assert_eq!(
        recreated,
        Reverted::Activation {
            action: RevertAction::Recreated,
            activation: created.clone(),
        }
    );
    assert_eq!(
        client.snapshot().activation(created.id).unwrap().config,
        env.config
    );
    let deleted = client.revert(creation.id).unwrap();
    assert_eq!(deleted.action(), RevertAction::Deleted);
    assert!(client.snapshot().activation(created.id).is_none());

    // A create whose activation is used since: refused as a delete would be.
    let used = client.create_activation(&env).unwrap();
    let creation = newest(&client);
    client
        .create_flag(&flag("uses it", true, &[used.id]))
        .unwrap();
    match client.revert(creation.id) {
        Err(err @ Error::StillReferenced { .. }) => assert_eq!(
            err.to_string(),
            format!("activation {} is still used by flag `uses it`", used.id)
        ),
        other => panic!("{other:?}"),
    }
});

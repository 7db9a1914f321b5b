//! Migrations: up, down, up; adopting Python Novi's databases; schema.sql.

use diesel::{RunQueryDsl, connection::SimpleConnection};
use novi_client::{Backend, Client, context, revert_all_migrations, run_migrations};

use crate::{SAMPLE_DATA, db_test};

/// The migrations of each backend: tables, the writers' lock, the audit log, ids, changes, the
/// audit log's target index.
const MIGRATIONS: usize = 8;

db_test!(up_down_up, |db| {
    let mut conn = db.conn();
    assert_eq!(run_migrations(&mut conn).unwrap(), MIGRATIONS);
    assert_eq!(run_migrations(&mut conn).unwrap(), 0, "nothing left to run");
    for table in ["flags", "audit_log"] {
        diesel::sql_query(format!("SELECT id FROM {table}"))
            .execute(&mut conn)
            .unwrap();
    }

    assert_eq!(revert_all_migrations(&mut conn).unwrap(), MIGRATIONS);
    for table in ["flags", "audit_log"] {
        assert!(
            diesel::sql_query(format!("SELECT id FROM {table}"))
                .execute(&mut conn)
                .is_err(),
            "{table} is gone"
        );
    }

    assert_eq!(run_migrations(&mut conn).unwrap(), MIGRATIONS);
    conn.batch_execute(SAMPLE_DATA).unwrap();
    let client = Client::connect(&db.url).unwrap();
    assert_eq!(client.snapshot().len(), 4);
});

db_test!(adopts_a_python_novi_database, |db| {
    let (schema, data) = match db.backend {
        Backend::Sqlite => (
            include_str!("../fixtures/python-schema-sqlite.sql"),
            include_str!("../fixtures/python-sample-data-sqlite.sql"),
        ),
        Backend::Postgres => (
            include_str!("../fixtures/python-schema-postgres.sql"),
            SAMPLE_DATA,
        ),
        Backend::Mysql => (
            include_str!("../fixtures/python-schema-mysql.sql"),
            SAMPLE_DATA,
        ),
    };
    db.execute(schema);
    db.execute(data);
    // What Python's keyless, nullable link table allowed: a duplicate row and a NULL row
    // (and, on SQLite, whose foreign keys Python never enabled, a dangling one).
    db.execute("INSERT INTO flags_activations (flag_id, activation_id) VALUES (2, 2)");
    db.execute("INSERT INTO flags_activations (flag_id, activation_id) VALUES (NULL, 1)");
    if db.backend == Backend::Sqlite {
        db.execute(
            "PRAGMA foreign_keys = OFF; INSERT INTO flags_activations (flag_id, activation_id) VALUES (1, 99);",
        );
    }

    let client = db.client(); // runs the migration over Python's tables
    let snapshot = client.snapshot();
    let flags: Vec<_> = snapshot
        .flags()
        .map(|f| {
            (
                f.id.0,
                f.name.as_str(),
                f.status,
                f.activations.iter().map(|a| a.id.0).collect::<Vec<_>>(),
            )
        })
        .collect();
    assert_eq!(
        flags,
        [
            (1, "Date Activated Feature", true, vec![1]),
            (2, "Random Variant Feature", true, vec![2]),
            (3, "Combo AND", true, vec![3]),
            (4, "Combo OR", true, vec![4]),
        ]
    );
    assert_eq!(snapshot.activations().len(), 4);
    assert_eq!(
        snapshot.flag("Combo OR").unwrap().activations[0].config,
        "[1,2]",
        "configs are kept verbatim"
    );
    let ctx = context! {"currentDateTime": "11/27/2023 12:00 AM", "seed": 333, "variant": "A"};
    for flag in [
        "Date Activated Feature",
        "Random Variant Feature",
        "Combo AND",
        "Combo OR",
    ] {
        assert!(client.is_enabled(flag, &ctx), "{flag}");
    }

    // The link table now has a key and cascading foreign keys.
    let mut conn = db.conn();
    assert!(
        conn.batch_execute("INSERT INTO flags_activations (flag_id, activation_id) VALUES (1, 1)")
            .is_err()
    );
    conn.batch_execute("DELETE FROM flags WHERE id = 4")
        .unwrap();
    let links: Vec<(i32,)> =
        diesel::sql_query("SELECT flag_id FROM flags_activations WHERE flag_id = 4")
            .load::<FlagIdRow>(&mut conn)
            .unwrap()
            .into_iter()
            .map(|row| (row.flag_id,))
            .collect();
    assert!(links.is_empty(), "the cascade removed the link");

    // Names longer than Python's VARCHAR(30) fit now.
    let long = "a flag name that is longer than thirty characters";
    client
        .create_flag(&novi_client::FlagInput {
            name: long.into(),
            status: true,
            activations: None,
            force: false,
        })
        .unwrap();
    assert!(client.is_enabled(long, &context! {}));
    assert_eq!(client.migrate().unwrap(), 0);

    // Python's sample data gave explicit ids, which PostgreSQL's sequences did not follow; the
    // migration moved them on, so Python Novi's ORM (a plain INSERT) and Novi take turns.
    db.execute("INSERT INTO flags (name, status) VALUES ('from python', TRUE)");
    db.execute(
        "INSERT INTO activations (name, class_name, config) VALUES ('from python', 'EnvironmentActivation', '[]')",
    );
    let after = client
        .create_flag(&novi_client::FlagInput {
            name: "from novi".into(),
            ..Default::default()
        })
        .unwrap();
    client.refresh().unwrap();
    let python = client.snapshot().flag("from python").unwrap().id;
    assert!(
        python.0 > 4 && after.id > python,
        "{python} then {}",
        after.id
    );
});

#[derive(diesel::QueryableByName)]
struct FlagIdRow {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    flag_id: i32,
}

/// One table of a SQLite database, as its pragmas describe it.
#[derive(Debug, PartialEq, Eq, diesel::QueryableByName)]
struct TableShape {
    #[diesel(sql_type = diesel::sql_types::Text)]
    name: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    columns: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    foreign_keys: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    indexes: Option<String>,
    /// Whether its ids come from AUTOINCREMENT.
    #[diesel(sql_type = diesel::sql_types::Bool)]
    counted: bool,
}

/// Every table of Novi's (not SQLite's or Diesel's bookkeeping): columns with their types,
/// nullability, defaults and keys, foreign keys with their actions, indexes, AUTOINCREMENT.
fn shape(db: &crate::TestDb) -> Vec<TableShape> {
    diesel::sql_query(
        r#"SELECT m.name AS name,
            (SELECT group_concat(p.name || ' ' || p.type || ' notnull=' || p."notnull" || ' default=' || IFNULL(p.dflt_value, '-') || ' pk=' || p.pk, '; ')
               FROM pragma_table_info(m.name) p) AS columns,
            (SELECT group_concat(f."from" || ' -> ' || f."table" || '.' || f."to" || ' on delete ' || f.on_delete, '; ')
               FROM pragma_foreign_key_list(m.name) f) AS foreign_keys,
            (SELECT group_concat(i."unique" || ' ' || i.origin, '; ')
               FROM pragma_index_list(m.name) i) AS indexes,
            instr(upper(m.sql), 'AUTOINCREMENT') > 0 AS counted
           FROM sqlite_master m
           WHERE m.type = 'table' AND m.name NOT IN ('sqlite_sequence', '__diesel_schema_migrations')
           ORDER BY m.name"#,
    )
    .load(&mut db.conn())
    .unwrap()
}

/// `schema.sql` creates exactly what the SQLite migrations create, and a database made from
/// it migrates without change and works.
#[test]
fn schema_sql_is_what_the_migrations_create() {
    let migrated = crate::TestDb::new(Backend::Sqlite);
    run_migrations(&mut migrated.conn()).unwrap();
    let from_schema = crate::TestDb::new(Backend::Sqlite);
    from_schema.execute(include_str!("../../../schema.sql"));
    let expected = shape(&migrated);
    assert_eq!(
        expected.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(),
        [
            "activations",
            "audit_log",
            "conversions",
            "experiments",
            "exposure_counts",
            "exposure_drops",
            "exposures",
            "flags",
            "flags_activations",
            "novi_events_lock",
            "novi_write_lock",
            "unit_totals"
        ]
    );
    assert!(expected.iter().any(|t| t.counted));
    assert_eq!(shape(&from_schema), expected);

    from_schema.execute(SAMPLE_DATA);
    let client = from_schema.client(); // migrates
    assert_eq!(shape(&from_schema), expected);
    assert_eq!(client.snapshot().len(), 4);
    assert!(client.is_enabled("Combo OR", &context! {"seed": 1, "variant": "A"}));
    let created = client
        .create_flag(&novi_client::FlagInput {
            name: "after".into(),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(created.id.0, 5);
}

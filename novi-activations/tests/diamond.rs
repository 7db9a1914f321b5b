//! Composites that share members: each activation is decided at most once per evaluation, so a
//! "diamond" (A_k = Or[A_k-1, B_k-1], B_k = Or[A_k-1, B_k-1]) costs what its activations cost,
//! not what its 2^depth paths would. A binary of its own: it registers a counting class, which
//! would change the registry the other tests check.

#![allow(clippy::unwrap_used, clippy::panic)]

use std::{
    collections::HashMap,
    sync::{LazyLock, Mutex},
};

use novi_core::{
    Activation, ActivationClass, ActivationId, ActivationSet, ActivationSpec, BuildError, Context,
    Definition, Memo,
};

/// How many times each counted leaf (by its tag) has decided.
static DECISIONS: LazyLock<Mutex<HashMap<String, usize>>> = LazyLock::new(Default::default);

/// A leaf with a fixed answer that counts its decisions. Config: `{"tag": "...", "on": bool}`.
#[derive(Debug)]
struct Counted {
    tag: String,
    on: bool,
}

impl Activation for Counted {
    fn evaluate(&self, _ctx: &Context) -> bool {
        *DECISIONS
            .lock()
            .unwrap()
            .entry(self.tag.clone())
            .or_default() += 1;
        self.on
    }
}

impl ActivationClass for Counted {
    const NAMES: &'static [&'static str] = &["test.Counted"];
    const EXPECTED: &'static str = r#"{"tag": "a name", "on": true or false}"#;

    fn build(def: &mut Definition<'_>) -> Result<Self, BuildError> {
        #[derive(serde::Deserialize)]
        struct Config {
            tag: String,
            on: bool,
        }
        let Config { tag, on } = def.parse_config()?;
        Ok(Counted { tag, on })
    }
}

novi_core::register!(Counted);

fn decisions(tag: &str) -> usize {
    DECISIONS.lock().unwrap().get(tag).copied().unwrap_or(0)
}

/// Rows of a diamond `depth` composites high over two counted leaves (ids 1 and 2): the
/// composites of level k are ids 2k+1 and 2k+2, each of `class` over both of level k-1. Returns
/// the rows and the top's id.
fn diamond(
    class: &str,
    depth: i32,
    tag: &str,
    leaves_on: bool,
) -> (Vec<(i32, String, String)>, i32) {
    let leaf = format!(r#"{{"tag": "{tag}", "on": {leaves_on}}}"#);
    let mut rows = vec![
        (1, "test.Counted".to_owned(), leaf.clone()),
        (2, "test.Counted".to_owned(), leaf),
    ];
    for k in 1..=depth {
        let (a, b) = (2 * k - 1, 2 * k);
        rows.push((2 * k + 1, class.to_owned(), format!("[{a}, {b}]")));
        rows.push((2 * k + 2, class.to_owned(), format!("[{a}, {b}]")));
    }
    (rows, 2 * depth + 1)
}

fn build(rows: &[(i32, String, String)]) -> ActivationSet {
    novi_activations::link();
    ActivationSet::build(rows.iter().map(|(id, class_name, config)| ActivationSpec {
        id: ActivationId(*id),
        name: "diamond",
        class_name,
        config,
    }))
}

/// The regression: before decisions were remembered, an Or diamond of depth 20 over two leaves
/// that say no decided each leaf 2^20 times (a depth of 28 took 3.9 s, 40 would take hours).
#[test]
fn a_diamond_decides_each_leaf_once() {
    for (class, leaves_on, expected) in [
        ("OrActivation", false, false),
        ("AndActivation", true, true),
    ] {
        let tag = format!("{class}-20");
        let (rows, top) = diamond(class, 20, &tag, leaves_on);
        let set = build(&rows);
        let top_activation = set.get(ActivationId(top)).unwrap().unwrap();
        assert!(set.reaches_twice(&[ActivationId(top)]));
        let decided = top_activation.decide(&Context::default()).unwrap();
        assert_eq!(decided.is_on(), expected);
        // Two leaves, each decided once.
        assert_eq!(decisions(&tag), 2, "{class}");
    }
}

/// A diamond as deep as nesting allows is accepted and evaluates at once.
#[test]
fn a_depth_60_diamond_evaluates() {
    let (rows, top) = diamond("OrActivation", 60, "or-60", false);
    let set = build(&rows);
    let top = ActivationId(top);
    let activation = set.get(top).unwrap().unwrap();
    let mut memo = Memo::new();
    assert!(
        !memo
            .decide(top, &**activation, &Context::default())
            .unwrap()
            .is_on()
    );
    // The two leaves, both composites of levels 1 to 59, and the top: once each.
    assert_eq!(memo.len(), 2 + 2 * 59 + 1);
    assert_eq!(decisions("or-60"), 2);
}

/// Without sharing, nothing needs remembering; with a flag-level repeat (a flag that links an
/// Or and one of its members) the member is reached twice.
#[test]
fn reaching_twice_is_found_where_it_happens() {
    let leaf = |tag: &str| format!(r#"{{"tag": "{tag}", "on": false}}"#);
    let rows = vec![
        (1, "test.Counted".to_owned(), leaf("tree-1")),
        (2, "test.Counted".to_owned(), leaf("tree-2")),
        (3, "test.Counted".to_owned(), leaf("tree-3")),
        (4, "OrActivation".to_owned(), "[1, 2]".to_owned()),
        (5, "AndActivation".to_owned(), "[4, 3]".to_owned()),
        (6, "NotActivation".to_owned(), "[5]".to_owned()),
        // Shares 1 with 4.
        (7, "OrActivation".to_owned(), "[1, 3]".to_owned()),
        (8, "OrActivation".to_owned(), "[4, 7]".to_owned()),
    ];
    let set = build(&rows);
    let ids = |ids: &[i32]| ids.iter().map(|&id| ActivationId(id)).collect::<Vec<_>>();
    for (roots, twice) in [
        (&[1][..], false),
        (&[4], false),
        (&[5], false),
        (&[6], false),
        (&[7], false),
        (&[4, 3], false),
        (&[8], true),
        (&[4, 7], true),
        (&[4, 1], true),
        (&[6, 2], true),
        (&[1, 1], true),
    ] {
        assert_eq!(set.reaches_twice(&ids(roots)), twice, "{roots:?}");
    }
    // Decided through a memo, the shared leaf of 8 is decided once.
    let eight = set.get(ActivationId(8)).unwrap().unwrap();
    let before = decisions("tree-1");
    assert!(!eight.decide(&Context::default()).unwrap().is_on());
    assert_eq!(decisions("tree-1") - before, 1);
}

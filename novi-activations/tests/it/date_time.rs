//! DateTimeActivation: windows, formats, and CPython 3.11's strptime on the fixture.

use chrono::NaiveDate;
use novi_activations::DateTimeActivation;
use novi_core::{Activation, ActivationClass, ActivationId, Context, Decision, EvalError, context};
use serde_json::json;

use crate::{build, build_one, config_error};

const SAMPLE: &str = r#"{"startDateTime":"11/26/2023 12:00 AM","endDateTime":"11/28/2023 12:00 AM","format": "%m/%d/%Y %I:%M %p"}"#;
const PYTHON_CLASS: &str = "novi.client.activations.date_time_activation.DateTimeActivation";

#[track_caller]
fn check(config: &str, current: &str, expected: bool) {
    let activation = build_one("DateTimeActivation", config).unwrap();
    let ctx = context! {"currentDateTime": current};
    assert_eq!(
        activation.decide(&ctx),
        Ok(Decision::from(expected)),
        "{current}"
    );
    assert_eq!(activation.evaluate(&ctx), expected, "{current}");
}

#[test]
fn window_boundaries() {
    for (current, expected) in [
        ("11/25/2023 11:59 PM", false), // a minute before the start
        ("11/26/2023 12:00 AM", true),  // the start is inclusive
        ("11/26/2023 12:01 AM", true),  // a minute after the start
        ("11/27/2023 12:00 PM", true),
        ("11/27/2023 11:59 PM", true),  // a minute before the end
        ("11/28/2023 12:00 AM", false), // the end is exclusive
        ("11/28/2023 12:01 AM", false), // a minute after the end
        ("11/26/2023 1:05 AM", true),   // one-digit hour
        ("11/26/2023 01:05 AM", true),
        ("11/27/2023 9:30 pm", true), // %p in any case
        ("11/27/2023 12:00 aM", true),
        ("1/27/2024 1:00 PM", false), // one-digit month, outside
    ] {
        check(SAMPLE, current, expected);
    }
}

#[test]
fn python_class_path_builds_the_same_activation() {
    let set = build(&[(1, PYTHON_CLASS, SAMPLE), (2, "DateTimeActivation", SAMPLE)]);
    let ctx = context! {"currentDateTime": "11/27/2023 12:00 AM"};
    for id in [1, 2] {
        let activation = set.get(ActivationId(id)).unwrap().unwrap();
        assert!(activation.evaluate(&ctx));
    }
}

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> chrono::NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(h, min, 0)
        .unwrap()
}

fn sample() -> DateTimeActivation {
    DateTimeActivation::from_config(SAMPLE).unwrap()
}

#[test]
fn absent_current_date_time_uses_the_clock() {
    let activation = sample();
    assert_eq!(activation.start(), utc(2023, 11, 26, 0, 0));
    assert_eq!(activation.end(), utc(2023, 11, 28, 0, 0));
    let ctx = Context::default();
    for (now, expected) in [
        (utc(2023, 11, 25, 23, 59), false),
        (utc(2023, 11, 26, 0, 0), true),
        (utc(2023, 11, 27, 23, 59), true),
        (utc(2023, 11, 28, 0, 0), false),
    ] {
        assert_eq!(
            activation.decide_at(&ctx, now),
            Ok(Decision::from(expected)),
            "{now}"
        );
    }
    // The real clock: the sample window is in the past; a window from 2000 to 2999 holds now.
    assert!(!activation.evaluate(&ctx));
    let wide = build_one(
        "DateTimeActivation",
        r#"{"startDateTime": "2000", "endDateTime": "2999", "format": "%Y"}"#,
    )
    .unwrap();
    assert!(wide.evaluate(&ctx));
    assert_eq!(wide.decide(&ctx), Ok(Decision::ON));
}

#[test]
fn an_empty_window_builds_and_is_always_off() {
    let empty = r#"{"startDateTime": "2023", "endDateTime": "2023", "format": "%Y"}"#;
    check(empty, "2023", false);
    check(empty, "2022", false);
}

#[test]
fn offsets_compare_instants_and_naive_times_are_utc() {
    let with_offsets = r#"{"startDateTime": "2023-11-26T09:00:00+0100", "endDateTime": "2023-11-26T17:00:00+01:00", "format": "%Y-%m-%dT%H:%M:%S%z"}"#;
    for (current, expected) in [
        ("2023-11-26T08:00:00Z", true), // 09:00 at +01:00
        ("2023-11-26T07:59:59Z", false),
        ("2023-11-26T15:59:59+0000", true),
        ("2023-11-26T16:00:00+0000", false),
        ("2023-11-26T10:30:00-05:00", true), // 15:30 UTC
        ("2023-11-26T11:00:00-05:00", false),
    ] {
        check(with_offsets, current, expected);
    }
    let naive = r#"{"startDateTime": "2023-11-26 09:00", "endDateTime": "2023-11-26 17:00", "format": "%Y-%m-%d %H:%M"}"#;
    let activation = build_one("DateTimeActivation", naive).unwrap();
    let ctx = Context::default();
    check(naive, "2023-11-26 09:00", true);
    check(naive, "2023-11-26 16:59", true);
    check(naive, "2023-11-26 17:00", false);
    assert!(!activation.evaluate(&ctx), "2023 is past");
}

#[test]
fn unusable_current_date_time_is_an_evaluation_error() {
    let activation = build_one("DateTimeActivation", SAMPLE).unwrap();
    for (value, message) in [
        (
            json!(5),
            "context key `currentDateTime` must be a string, found number",
        ),
        (
            json!(null),
            "context key `currentDateTime` must be a string, found null",
        ),
        (
            json!(["11/27/2023 12:00 AM"]),
            "context key `currentDateTime` must be a string, found array",
        ),
        (
            json!("2023-11-27"),
            "context key `currentDateTime` is invalid: `2023-11-27` does not match the format `%m/%d/%Y %I:%M %p`",
        ),
        (
            json!(" 11/27/2023 12:00 AM"),
            "context key `currentDateTime` is invalid: ` 11/27/2023 12:00 AM` does not match the format `%m/%d/%Y %I:%M %p`",
        ),
        (
            json!("11/27/2023 12:00 AM!"),
            "context key `currentDateTime` is invalid: `11/27/2023 12:00 AM!` does not match the format: unconverted data at byte 19 `%m/%d/%Y %I:%M %p`",
        ),
        (
            json!("02/30/2023 12:00 AM"),
            "context key `currentDateTime` is invalid: `02/30/2023 12:00 AM` the date does not exist `%m/%d/%Y %I:%M %p`",
        ),
    ] {
        let ctx = context! {"currentDateTime": value};
        let err = activation.decide(&ctx).unwrap_err();
        assert_eq!(err.key(), "currentDateTime");
        assert_eq!(err.to_string(), message);
        assert!(!activation.evaluate(&ctx), "an error counts as off");
        assert!(matches!(
            err,
            EvalError::WrongType { .. } | EvalError::InvalidValue { .. }
        ));
    }
}

#[test]
fn config_errors_name_the_class_and_what_was_expected() {
    const EXPECTED: &str = r#"expected {"startDateTime": string, "endDateTime": string, "format": string of Python strptime directives}"#;
    for (config, problem) in [
        ("not json", "expected ident at line 1 column 2"),
        (
            "[1, 2]",
            "invalid type: integer `1`, expected a string at line 1 column 2",
        ),
        (
            r#"{"startDateTime": "11/26/2023 12:00 AM", "endDateTime": "11/28/2023 12:00 AM"}"#,
            "missing field `format` at line 1 column 78",
        ),
        (
            r#"{"startDateTime": "2023-11-26", "endDateTime": "11/28/2023 12:00 AM", "format": "%m/%d/%Y %I:%M %p"}"#,
            "startDateTime `2023-11-26` does not match the format `%m/%d/%Y %I:%M %p`",
        ),
        (
            r#"{"startDateTime": "11/28/2023 12:00 AM", "endDateTime": "11/26/2023 12:00 AM", "format": "%m/%d/%Y %I:%M %p"}"#,
            "startDateTime `11/28/2023 12:00 AM` is after endDateTime `11/26/2023 12:00 AM`",
        ),
        (
            r#"{"startDateTime": "2023", "endDateTime": "2024", "format": "%Y %Q"}"#,
            "format `%Y %Q`: `%Q` is not a supported directive (supported: %a %A %b %B %d %f %H %I %j %m %M %p %S %y %Y %z %%)",
        ),
        (
            r#"{"startDateTime": 2023, "endDateTime": "2024", "format": "%Y"}"#,
            "invalid type: integer `2023`, expected a string at line 1 column 22",
        ),
    ] {
        assert_eq!(
            config_error("DateTimeActivation", config),
            format!("invalid DateTimeActivation config: {problem}; {EXPECTED}"),
        );
    }
}

/// Every input of `tests/fixtures/strptime.json` written with digits of other scripts (which
/// CPython 3.11 reads where its pattern says `\d`), through the activation: a bound CPython
/// parsed builds and starts the window at CPython's time; one it refused is a config error.
#[test]
fn unicode_digits_as_cpython_reads_them() {
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/strptime.json")).unwrap();
    let (mut n_parsed, mut n_refused) = (0, 0);
    for case in fixture["cases"].as_array().unwrap() {
        let input = case["input"].as_str().unwrap();
        if input.is_ascii() {
            continue;
        }
        let format = case["format"].as_str().unwrap();
        let config =
            json!({"startDateTime": input, "endDateTime": input, "format": format}).to_string();
        match case.get("parsed") {
            Some(parsed) => {
                let field = |i: usize| parsed[i].as_i64().unwrap();
                let local =
                    NaiveDate::from_ymd_opt(field(0) as i32, field(1) as u32, field(2) as u32)
                        .unwrap()
                        .and_hms_micro_opt(
                            field(3) as u32,
                            field(4) as u32,
                            field(5) as u32,
                            field(6) as u32,
                        )
                        .unwrap();
                let offset = chrono::Duration::microseconds(parsed[7].as_i64().unwrap_or(0));
                let activation = DateTimeActivation::from_config(&config)
                    .unwrap_or_else(|err| panic!("{format:?} {input:?}: {err}"));
                assert_eq!(activation.start(), local - offset, "{format:?} {input:?}");
                let ctx = context! {"currentDateTime": input};
                assert_eq!(
                    activation.decide(&ctx),
                    Ok(Decision::OFF),
                    "an empty window"
                );
                n_parsed += 1;
            }
            None => {
                let error = config_error("DateTimeActivation", &config);
                assert!(
                    error.contains(&format!("startDateTime `{input}`")),
                    "{error}"
                );
                n_refused += 1;
            }
        }
    }
    assert!(
        n_parsed > 150 && n_refused > 500,
        "{n_parsed} parsed, {n_refused} refused"
    );
}

//! `ConstraintActivation`: one Unleash constraint on one context value.

use chrono::{DateTime, Utc};
use novi_core::{
    Activation, ActivationClass, BuildError, Context, Decision, Definition, EvalError,
};
use serde::Deserialize;

use crate::{
    context_value,
    targeting::{Cidr, eq_ignore_case},
};

/// On when a context value satisfies an operator, as an Unleash constraint.
///
/// Config: `{"contextName": "userId", "operator": "IN", "values": ["a", "b"], "value": "…",
/// "inverted": false, "caseInsensitive": false}`. Operators (Unleash's): `IN`, `NOT_IN`,
/// `STR_CONTAINS`, `STR_STARTS_WITH`, `STR_ENDS_WITH` (over `values`; `caseInsensitive`
/// applies), `NUM_EQ`, `NUM_GT`, `NUM_GTE`, `NUM_LT`, `NUM_LTE`, `DATE_AFTER`, `DATE_BEFORE`
/// (RFC 3339; a missing `currentTime` is now, any other missing key is false), `SEMVER_EQ`, `SEMVER_GT`, `SEMVER_LT`
/// (semantic versions, pre-releases ordered as SemVer 2.0 says), `REGEX` (compiled once, at
/// build time). The single-value operators take `value`, or the first of `values`.
///
/// A missing context value makes every operator false except `NOT_IN`, which is true; a value
/// that does not parse as the operator needs (a number, a date, a version) is false, as in
/// Unleash. `inverted` then flips the answer.
#[derive(Debug, Clone)]
pub struct ConstraintActivation {
    context_name: String,
    check: Check,
    inverted: bool,
}

#[derive(Debug, Clone)]
enum Check {
    In {
        values: Vec<String>,
        case_insensitive: bool,
        negate: bool,
    },
    Str {
        op: StrOp,
        values: Vec<String>,
        case_insensitive: bool,
    },
    Num {
        op: Ordering,
        value: f64,
    },
    Date {
        after: bool,
        value: DateTime<Utc>,
    },
    Semver {
        op: Ordering,
        value: semver::Version,
    },
    Regex(regex::Regex),
    InCidr(Vec<Cidr>),
}

#[derive(Debug, Clone, Copy)]
enum StrOp {
    Contains,
    StartsWith,
    EndsWith,
}

#[derive(Debug, Clone, Copy)]
enum Ordering {
    Eq,
    Gt,
    Gte,
    Lt,
    Lte,
}

impl Ordering {
    fn holds(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::{Equal, Greater, Less};
        match self {
            Ordering::Eq => ord == Equal,
            Ordering::Gt => ord == Greater,
            Ordering::Gte => ord != Less,
            Ordering::Lt => ord == Less,
            Ordering::Lte => ord != Greater,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Config {
    context_name: String,
    operator: String,
    #[serde(default)]
    values: Vec<String>,
    #[serde(default)]
    value: Option<String>,
    #[serde(default)]
    inverted: bool,
    #[serde(default)]
    case_insensitive: bool,
}

impl ConstraintActivation {
    fn holds(&self, ctx: &Context) -> Result<bool, EvalError> {
        if let Check::Date { after, value } = &self.check {
            let now = match context_value::text(ctx, &self.context_name)? {
                Some(text) => match DateTime::parse_from_rfc3339(&text) {
                    Ok(time) => time.with_timezone(&Utc),
                    Err(_) => return Ok(false),
                },
                // Only `currentTime` defaults to now, as in Unleash; any other missing date is
                // not after or before anything.
                None if self.context_name == "currentTime" => Utc::now(),
                None => return Ok(false),
            };
            return Ok(if *after { now > *value } else { now < *value });
        }
        let Some(text) = context_value::text(ctx, &self.context_name)? else {
            return Ok(matches!(self.check, Check::In { negate: true, .. }));
        };
        Ok(match &self.check {
            Check::In {
                values,
                case_insensitive,
                negate,
            } => {
                let found = if *case_insensitive {
                    values.iter().any(|v| eq_ignore_case(v, &text))
                } else {
                    values.iter().any(|v| *v == *text)
                };
                found != *negate
            }
            Check::Str {
                op,
                values,
                case_insensitive,
            } => {
                let lowered;
                let text: &str = if *case_insensitive {
                    lowered = text.to_lowercase();
                    &lowered
                } else {
                    &text
                };
                values.iter().any(|v| match op {
                    StrOp::Contains => text.contains(v.as_str()),
                    StrOp::StartsWith => text.starts_with(v.as_str()),
                    StrOp::EndsWith => text.ends_with(v.as_str()),
                })
            }
            Check::Num { op, value } => match text.trim().parse::<f64>() {
                Ok(n) => n.partial_cmp(value).is_some_and(|ord| op.holds(ord)),
                Err(_) => false,
            },
            Check::Semver { op, value } => match semver::Version::parse(text.trim()) {
                Ok(version) => op.holds(version.cmp_precedence(value)),
                Err(_) => false,
            },
            Check::Regex(regex) => regex.is_match(&text),
            Check::InCidr(ranges) => match text.trim().parse::<std::net::IpAddr>() {
                Ok(addr) => ranges.iter().any(|range| range.contains(addr)),
                Err(_) => false,
            },
            Check::Date { .. } => unreachable!("handled above"),
        })
    }
}

impl Activation for ConstraintActivation {
    fn evaluate(&self, ctx: &Context) -> bool {
        self.decide(ctx).is_ok_and(|d| d.is_on())
    }

    fn decide(&self, ctx: &Context) -> Result<Decision, EvalError> {
        Ok(Decision::from(self.holds(ctx)? != self.inverted))
    }
}

impl ActivationClass for ConstraintActivation {
    const NAMES: &'static [&'static str] = &["ConstraintActivation"];
    const EXPECTED: &'static str = r#"{"contextName": string, "operator": IN | NOT_IN | STR_CONTAINS | STR_STARTS_WITH | STR_ENDS_WITH | NUM_EQ | NUM_GT | NUM_GTE | NUM_LT | NUM_LTE | DATE_AFTER | DATE_BEFORE | SEMVER_EQ | SEMVER_GT | SEMVER_GTE | SEMVER_LT | SEMVER_LTE | REGEX | IN_CIDR, "values": [strings]?, "value": string?, "inverted": boolean?, "caseInsensitive": boolean?}"#;
    const EXAMPLE: &'static str =
        r#"{"contextName": "tenant", "operator": "IN", "values": ["acme", "globex"]}"#;

    fn build(def: &mut Definition<'_>) -> Result<Self, BuildError> {
        let config: Config = def.parse_config()?;
        if config.context_name.is_empty() {
            return Err(def.invalid("`contextName` is empty").into());
        }
        let single = || {
            config
                .value
                .clone()
                .or_else(|| config.values.first().cloned())
                .ok_or_else(|| def.invalid(format!("`{}` needs a `value`", config.operator)))
        };
        let lowered = |values: &[String]| -> Vec<String> {
            if config.case_insensitive {
                values.iter().map(|v| v.to_lowercase()).collect()
            } else {
                values.to_vec()
            }
        };
        let ordering = |op: &str| match op {
            "EQ" => Ordering::Eq,
            "GT" => Ordering::Gt,
            "GTE" => Ordering::Gte,
            "LT" => Ordering::Lt,
            _ => Ordering::Lte,
        };
        let check = match config.operator.as_str() {
            "IN" | "NOT_IN" => Check::In {
                values: config.values.clone(),
                case_insensitive: config.case_insensitive,
                negate: config.operator == "NOT_IN",
            },
            "STR_CONTAINS" | "STR_STARTS_WITH" | "STR_ENDS_WITH" => Check::Str {
                op: match config.operator.as_str() {
                    "STR_CONTAINS" => StrOp::Contains,
                    "STR_STARTS_WITH" => StrOp::StartsWith,
                    _ => StrOp::EndsWith,
                },
                values: lowered(&config.values),
                case_insensitive: config.case_insensitive,
            },
            op @ ("NUM_EQ" | "NUM_GT" | "NUM_GTE" | "NUM_LT" | "NUM_LTE") => {
                let text = single()?;
                let value = text
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| def.invalid(format!("`{text}` is not a number")))?;
                Check::Num {
                    op: ordering(&op[4..]),
                    value,
                }
            }
            "DATE_AFTER" | "DATE_BEFORE" => {
                let text = single()?;
                let value = DateTime::parse_from_rfc3339(text.trim())
                    .map_err(|err| def.invalid(format!("`{text}` is not an RFC 3339 date: {err}")))?
                    .with_timezone(&Utc);
                Check::Date {
                    after: config.operator == "DATE_AFTER",
                    value,
                }
            }
            op @ ("SEMVER_EQ" | "SEMVER_GT" | "SEMVER_GTE" | "SEMVER_LT" | "SEMVER_LTE") => {
                let text = single()?;
                let value = semver::Version::parse(text.trim()).map_err(|err| {
                    def.invalid(format!("`{text}` is not a semantic version: {err}"))
                })?;
                Check::Semver {
                    op: ordering(&op[7..]),
                    value,
                }
            }
            "REGEX" => {
                let pattern = single()?;
                let regex = regex::RegexBuilder::new(&pattern)
                    .case_insensitive(config.case_insensitive)
                    .size_limit(1 << 20)
                    .build()
                    .map_err(|err| {
                        def.invalid(format!("`{pattern}` is not a valid regex: {err}"))
                    })?;
                Check::Regex(regex)
            }
            // As in Unleash, entries that are not ranges are skipped, not fatal.
            "IN_CIDR" => Check::InCidr(
                config
                    .values
                    .iter()
                    .filter_map(|text| Cidr::parse(text))
                    .collect(),
            ),
            other => return Err(def.invalid(format!("unknown operator `{other}`")).into()),
        };
        Ok(ConstraintActivation {
            context_name: config.context_name,
            check,
            inverted: config.inverted,
        })
    }
}

novi_core::register!(ConstraintActivation);

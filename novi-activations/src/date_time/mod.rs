//! `DateTimeActivation`: on inside a window of time, read with Python strptime formats.

mod strptime;

use chrono::{NaiveDateTime, Utc};
use novi_core::{
    Activation, ActivationClass, BuildError, Context, Decision, Definition, EvalError,
};
use serde::Deserialize;

use strptime::{Format, Parsed};

/// The context key that holds the time to test.
pub const CURRENT_DATE_TIME: &str = "currentDateTime";

/// On when the time is inside `[startDateTime, endDateTime)`.
///
/// Config (Python Novi's): `{"startDateTime": "11/26/2023 12:00 AM", "endDateTime":
/// "11/28/2023 12:00 AM", "format": "%m/%d/%Y %I:%M %p"}`.
///
/// - `format` uses Python's strptime directives `%a %A %b %B %d %f %H %I %j %m %M %p %S %y
///   %Y %z %%`, matched exactly as CPython 3.11 does: `%m`, `%d`, `%H`, `%I`, `%M` and `%S`
///   take one or two digits, `%p`, names and literal letters match in any case, a space
///   matches any run of whitespace, `%y` maps 69–99 to 19xx and 00–68 to 20xx.
/// - The window is start-inclusive, end-exclusive. Both bounds must parse with `format`, and
///   start must not be after end (start equal to end is an empty window, always off);
///   otherwise building fails with a config error.
/// - Digits are CPython's: where its pattern for a directive has `\d` (`%Y`, `%y`, the
///   second digit of `%d`, `%H`, `%M`, `%S`, the digits of `%z`), any Unicode decimal digit
///   matches and counts as its value (`２０２４-05-01` is 2024-05-01 with `%Y-%m-%d`); where it
///   has a range (`%m`, `%I`, `%f`, the first digit of most others), only ASCII digits do.
/// - A format has at most 64 items and a time at most 128 characters; CPython has no such
///   limits.
///   Literal letters match case-insensitively by Unicode lowercase (CPython's regex engine
///   also equates a few rare pairs such as `ſ` and `s`).
/// - **Time zone**: a time without an offset is UTC. When the format has `%z`, every time
///   carries its own offset and the comparison is between instants.
///
/// Context: `currentDateTime`, a string in the config's format. When it is absent the
/// current time (UTC) is used; Python Novi answered "no result" there, which made a date
/// window that ignores the clock. A `currentDateTime` that is not a string or does not parse
/// is an [`EvalError`], not a silent no.
#[derive(Debug, Clone)]
pub struct DateTimeActivation {
    start: NaiveDateTime,
    end: NaiveDateTime,
    format: Format,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Config {
    start_date_time: String,
    end_date_time: String,
    format: String,
}

impl DateTimeActivation {
    /// The decision at `now` (UTC) when the context has no `currentDateTime`.
    pub fn decide_at(&self, ctx: &Context, now: NaiveDateTime) -> Result<Decision, EvalError> {
        let at = match ctx.get(CURRENT_DATE_TIME) {
            None => now,
            Some(value) => {
                let text = value
                    .as_str()
                    .ok_or_else(|| EvalError::wrong_type(CURRENT_DATE_TIME, "a string", value))?;
                self.format
                    .parse(text)
                    .map_err(|err| {
                        EvalError::invalid_value(
                            CURRENT_DATE_TIME,
                            format!("`{text}` {err} `{}`", self.format.as_str()),
                        )
                    })?
                    .to_utc()
            }
        };
        Ok(Decision::from(self.start <= at && at < self.end))
    }

    /// The start of the window, in UTC (inclusive).
    pub fn start(&self) -> NaiveDateTime {
        self.start
    }

    /// The end of the window, in UTC (exclusive).
    pub fn end(&self) -> NaiveDateTime {
        self.end
    }
}

impl Activation for DateTimeActivation {
    fn evaluate(&self, ctx: &Context) -> bool {
        self.decide(ctx).is_ok_and(|d| d.is_on())
    }

    fn decide(&self, ctx: &Context) -> Result<Decision, EvalError> {
        self.decide_at(ctx, Utc::now().naive_utc())
    }
}

impl ActivationClass for DateTimeActivation {
    const NAMES: &'static [&'static str] = &[
        "DateTimeActivation",
        "novi.client.activations.date_time_activation.DateTimeActivation",
    ];
    const EXPECTED: &'static str = r#"{"startDateTime": string, "endDateTime": string, "format": string of Python strptime directives}"#;
    const EXAMPLE: &'static str = r#"{"startDateTime": "11/26/2026 12:00 AM", "endDateTime": "11/28/2026 12:00 AM", "format": "%m/%d/%Y %I:%M %p"}"#;

    fn build(def: &mut Definition<'_>) -> Result<Self, BuildError> {
        let config: Config = def.parse_config()?;
        let format = Format::compile(&config.format)
            .map_err(|err| def.invalid(format!("format `{}`: {err}", config.format)))?;
        let bound = |key: &str, text: &str| -> Result<Parsed, BuildError> {
            format.parse(text).map_err(|err| {
                def.invalid(format!("{key} `{text}` {err} `{}`", config.format))
                    .into()
            })
        };
        let start = bound("startDateTime", &config.start_date_time)?.to_utc();
        let end = bound("endDateTime", &config.end_date_time)?.to_utc();
        if start > end {
            return Err(def
                .invalid(format!(
                    "startDateTime `{}` is after endDateTime `{}`",
                    config.start_date_time, config.end_date_time
                ))
                .into());
        }
        Ok(DateTimeActivation { start, end, format })
    }
}

novi_core::register!(DateTimeActivation);

//! Python's `datetime.strptime`, for the directives Novi supports, matched the way CPython 3.11
//! matches them.
//!
//! CPython turns the format into a regular expression (case-insensitive; each run of
//! whitespace becomes `\s+`; each directive a fixed alternation), takes the *first* match
//! anchored at the start of the input, and fails with "unconverted data remains" when that
//! match does not reach the end. This module walks the same alternatives in the same order,
//! with backtracking, so it accepts and rejects exactly what CPython does, including one-digit
//! months, days and hours and any case for `%p`, month and day names and literal letters.
//! Failed (item, position) pairs are remembered, so matching is polynomial whatever the input.
//!
//! Digits are CPython's too: where its pattern for a directive has `\d`, any Unicode decimal
//! digit matches (`２０２４` is a `%Y`) and counts as its value, as `int()` reads it; where it
//! has a range such as `[0-5]` or `[1-9]` (all of `%m`, `%I` and `%f`, the first digit of most
//! others), only ASCII digits do.
//!
//! Deliberate differences: the names are the C locale's English ones; literal characters of
//! the format match case-insensitively by Unicode lowercase, where CPython's regex engine also
//! treats a few dozen further pairs as equal (`ſ` and `s`, `ı` and `i`, `ς` and `σ`, ...); and
//! formats of more than [`MAX_ITEMS`] items and inputs longer than [`MAX_INPUT`] characters
//! are refused, so that matching has a fixed, small cost.

use std::fmt;

use chrono::{Duration, NaiveDate, NaiveDateTime};

use crate::unicode::decimal_digit;

/// The directives Novi supports, for messages.
pub(crate) const SUPPORTED: &str = "%a %A %b %B %d %f %H %I %j %m %M %p %S %y %Y %z %%";

/// The longest format, in items, that a config may use.
pub(crate) const MAX_ITEMS: usize = 64;

/// The longest input, in characters, that is matched. Longer values are refused before
/// matching. Characters rather than bytes, so that an input written with non-ASCII digits (three
/// or four bytes each in UTF-8) has the same room as one written with ASCII digits.
pub(crate) const MAX_INPUT: usize = 128;

/// The most bytes an input of [`MAX_INPUT`] characters takes.
const MAX_INPUT_BYTES: usize = 4 * MAX_INPUT;

/// One character of a numeric directive's pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    /// An ASCII range such as `[0-5]`, or a single ASCII character.
    Ascii(u8, u8),
    /// `\d`: any Unicode decimal digit.
    Digit,
}

impl Class {
    fn matches(self, c: char) -> bool {
        match self {
            Class::Ascii(lo, hi) => u8::try_from(c).is_ok_and(|b| (lo..=hi).contains(&b)),
            Class::Digit => decimal_digit(c).is_some(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Directive {
    WeekdayAbbr,
    WeekdayFull,
    MonthAbbr,
    MonthFull,
    Day,
    Micros,
    Hour24,
    Hour12,
    DayOfYear,
    Month,
    Minute,
    AmPm,
    Second,
    Year2,
    Year4,
    Offset,
}

const N_DIRECTIVES: usize = 16;

impl Directive {
    fn from_char(c: char) -> Option<Directive> {
        Some(match c {
            'a' => Directive::WeekdayAbbr,
            'A' => Directive::WeekdayFull,
            'b' => Directive::MonthAbbr,
            'B' => Directive::MonthFull,
            'd' => Directive::Day,
            'f' => Directive::Micros,
            'H' => Directive::Hour24,
            'I' => Directive::Hour12,
            'j' => Directive::DayOfYear,
            'm' => Directive::Month,
            'M' => Directive::Minute,
            'p' => Directive::AmPm,
            'S' => Directive::Second,
            'y' => Directive::Year2,
            'Y' => Directive::Year4,
            'z' => Directive::Offset,
            _ => return None,
        })
    }

    fn index(self) -> usize {
        self as usize
    }

    /// CPython's alternation for the numeric directives, in its order: each alternative is a
    /// sequence of character classes, one per character.
    fn numeric_alternatives(self) -> &'static [&'static [Class]] {
        use Class::{Ascii, Digit as D};
        const NZ: Class = Ascii(b'1', b'9');
        const ASCII_DIGIT: Class = Ascii(b'0', b'9');
        match self {
            // 3[0-1]|[1-2]\d|0[1-9]|[1-9]| [1-9]
            Directive::Day => &[
                &[Ascii(b'3', b'3'), Ascii(b'0', b'1')],
                &[Ascii(b'1', b'2'), D],
                &[Ascii(b'0', b'0'), NZ],
                &[NZ],
                &[Ascii(b' ', b' '), NZ],
            ],
            // 2[0-3]|[0-1]\d|\d
            Directive::Hour24 => &[
                &[Ascii(b'2', b'2'), Ascii(b'0', b'3')],
                &[Ascii(b'0', b'1'), D],
                &[D],
            ],
            // 1[0-2]|0[1-9]|[1-9]
            Directive::Hour12 | Directive::Month => &[
                &[Ascii(b'1', b'1'), Ascii(b'0', b'2')],
                &[Ascii(b'0', b'0'), NZ],
                &[NZ],
            ],
            // 36[0-6]|3[0-5]\d|[1-2]\d\d|0[1-9]\d|00[1-9]|[1-9]\d|0[1-9]|[1-9]
            Directive::DayOfYear => &[
                &[Ascii(b'3', b'3'), Ascii(b'6', b'6'), Ascii(b'0', b'6')],
                &[Ascii(b'3', b'3'), Ascii(b'0', b'5'), D],
                &[Ascii(b'1', b'2'), D, D],
                &[Ascii(b'0', b'0'), NZ, D],
                &[Ascii(b'0', b'0'), Ascii(b'0', b'0'), NZ],
                &[NZ, D],
                &[Ascii(b'0', b'0'), NZ],
                &[NZ],
            ],
            // [0-5]\d|\d
            Directive::Minute => &[&[Ascii(b'0', b'5'), D], &[D]],
            // 6[0-1]|[0-5]\d|\d
            Directive::Second => &[
                &[Ascii(b'6', b'6'), Ascii(b'0', b'1')],
                &[Ascii(b'0', b'5'), D],
                &[D],
            ],
            // [0-9]{1,6}, greedy
            Directive::Micros => &[
                &[ASCII_DIGIT; 6],
                &[ASCII_DIGIT; 5],
                &[ASCII_DIGIT; 4],
                &[ASCII_DIGIT; 3],
                &[ASCII_DIGIT; 2],
                &[ASCII_DIGIT],
            ],
            // \d\d
            Directive::Year2 => &[&[D, D]],
            // \d\d\d\d
            Directive::Year4 => &[&[D, D, D, D]],
            _ => &[],
        }
    }

    fn names(self) -> &'static [&'static str] {
        match self {
            Directive::WeekdayAbbr => &["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            Directive::WeekdayFull => &[
                "wednesday",
                "thursday",
                "saturday",
                "tuesday",
                "monday",
                "friday",
                "sunday",
            ],
            Directive::MonthAbbr => &MONTH_ABBR,
            Directive::MonthFull => &MONTH_FULL,
            Directive::AmPm => &["am", "pm"],
            _ => &[],
        }
    }
}

const MONTH_ABBR: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const MONTH_FULL: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Item {
    /// One character, matched case-insensitively.
    Literal(char),
    /// A run of whitespace in the format: one or more whitespace characters.
    Space,
    Directive(Directive),
}

/// A compiled strptime format.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Format {
    text: String,
    items: Vec<Item>,
}

impl fmt::Debug for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Format").field(&self.text).finish()
    }
}

/// Why a format cannot be compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FormatError {
    BadDirective(char),
    StrayPercent,
    Repeated(char),
    TooLong,
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatError::BadDirective(c) => {
                write!(
                    f,
                    "`%{c}` is not a supported directive (supported: {SUPPORTED})"
                )
            }
            FormatError::StrayPercent => f.write_str("the format ends with a stray `%`"),
            FormatError::Repeated(c) => write!(f, "the directive `%{c}` appears twice"),
            FormatError::TooLong => write!(f, "the format has more than {MAX_ITEMS} items"),
        }
    }
}

/// A date and time as the input wrote it, with its UTC offset when the format has `%z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Parsed {
    pub(crate) local: NaiveDateTime,
    pub(crate) offset_micros: Option<i64>,
}

impl Parsed {
    /// The instant in UTC; a time without an offset is taken to be UTC.
    pub(crate) fn to_utc(self) -> NaiveDateTime {
        match self.offset_micros {
            None => self.local,
            Some(offset) => self.local - Duration::microseconds(offset),
        }
    }
}

/// Why an input does not parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ParseError {
    TooLong,
    NoMatch,
    Unconverted(usize),
    InconsistentColon,
    DateOutOfRange,
    SecondOutOfRange,
    OffsetOutOfRange,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::TooLong => write!(f, "longer than {MAX_INPUT} characters"),
            ParseError::NoMatch => f.write_str("does not match the format"),
            ParseError::Unconverted(at) => {
                write!(
                    f,
                    "does not match the format: unconverted data at byte {at}"
                )
            }
            ParseError::InconsistentColon => {
                f.write_str("inconsistent use of `:` in the UTC offset")
            }
            ParseError::DateOutOfRange => f.write_str("the date does not exist"),
            ParseError::SecondOutOfRange => f.write_str("the second must be 0 to 59"),
            ParseError::OffsetOutOfRange => {
                f.write_str("the UTC offset must be less than 24 hours")
            }
        }
    }
}

impl Format {
    /// Compiles a format the way CPython reads it.
    pub(crate) fn compile(text: &str) -> Result<Format, FormatError> {
        let mut items = Vec::new();
        let mut seen = [false; N_DIRECTIVES];
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            let item = if c == '%' {
                match chars.next() {
                    None => return Err(FormatError::StrayPercent),
                    Some('%') => Item::Literal('%'),
                    Some(d) => {
                        let directive =
                            Directive::from_char(d).ok_or(FormatError::BadDirective(d))?;
                        if std::mem::replace(&mut seen[directive.index()], true) {
                            return Err(FormatError::Repeated(d));
                        }
                        Item::Directive(directive)
                    }
                }
            } else if is_space(c) {
                while chars.next_if(|&c| is_space(c)).is_some() {}
                Item::Space
            } else {
                Item::Literal(c)
            };
            if items.len() == MAX_ITEMS {
                return Err(FormatError::TooLong);
            }
            items.push(item);
        }
        Ok(Format {
            text: text.to_owned(),
            items,
        })
    }

    /// The format as written.
    pub(crate) fn as_str(&self) -> &str {
        &self.text
    }

    /// Parses `input` as CPython's `datetime.strptime(input, format)` would. Allocates nothing.
    pub(crate) fn parse(&self, input: &str) -> Result<Parsed, ParseError> {
        if input.len() > MAX_INPUT_BYTES || input.chars().count() > MAX_INPUT {
            return Err(ParseError::TooLong);
        }
        // The memo of failures needs a bit per item and input byte: most formats and inputs
        // fit a small one, which is cheaper to clear than the largest.
        let words = input.len() / 64 + 1;
        if self.items.len() * words <= SMALL_MEMO {
            self.run(input, words, [0; SMALL_MEMO])
        } else {
            self.run(input, words, [0; MAX_ITEMS * MEMO_WORDS])
        }
    }

    fn run<const N: usize>(
        &self,
        input: &str,
        words: usize,
        failed: [u64; N],
    ) -> Result<Parsed, ParseError> {
        let mut matcher = Matcher {
            items: &self.items,
            input,
            spans: [None; N_DIRECTIVES],
            words,
            failed,
        };
        match matcher.match_from(0, 0) {
            None => Err(ParseError::NoMatch),
            Some(end) if end != input.len() => Err(ParseError::Unconverted(end)),
            Some(_) => resolve(input, &matcher.spans),
        }
    }
}

/// What CPython's `\s` matches in a `str` pattern.
fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

const MEMO_WORDS: usize = MAX_INPUT_BYTES / 64 + 1;

/// The words of the memo most parses use (16 items of a 64-byte input, or 8 of 128 bytes).
const SMALL_MEMO: usize = 16;

struct Matcher<'f, 'i, const N: usize> {
    items: &'f [Item],
    input: &'i str,
    spans: [Option<(usize, usize)>; N_DIRECTIVES],
    /// Words of `failed` per item.
    words: usize,
    /// Bit `pos` of item `item`'s words: matching items `item..` from byte `pos` is known to
    /// fail.
    failed: [u64; N],
}

impl<const N: usize> Matcher<'_, '_, N> {
    /// The end of the first match of `items[idx..]` at `pos`, in CPython's order.
    fn match_from(&mut self, idx: usize, pos: usize) -> Option<usize> {
        let Some(&item) = self.items.get(idx) else {
            return Some(pos);
        };
        let (word, bit) = (idx * self.words + pos / 64, 1u64 << (pos % 64));
        if self.failed[word] & bit != 0 {
            return None;
        }
        let found = match item {
            Item::Literal(want) => {
                let rest = &self.input[pos..];
                match rest.chars().next() {
                    Some(got) if chars_eq_ignore_case(want, got) => {
                        self.match_from(idx + 1, pos + got.len_utf8())
                    }
                    _ => None,
                }
            }
            Item::Space => self.match_space(idx, pos),
            Item::Directive(directive) => self.match_directive(idx, pos, directive),
        };
        if found.is_none() {
            self.failed[word] |= bit;
        }
        found
    }

    /// `\s+`, greedy: the longest run first.
    fn match_space(&mut self, idx: usize, pos: usize) -> Option<usize> {
        let input = self.input;
        let run_len: usize = input[pos..]
            .chars()
            .take_while(|&c| is_space(c))
            .map(char::len_utf8)
            .sum();
        for (offset, c) in input[pos..pos + run_len].char_indices().rev() {
            if let Some(end) = self.match_from(idx + 1, pos + offset + c.len_utf8()) {
                return Some(end);
            }
        }
        None
    }

    fn match_directive(&mut self, idx: usize, pos: usize, directive: Directive) -> Option<usize> {
        let rest = &self.input[pos..];
        if directive == Directive::Offset {
            let mut ends = [0usize; 32];
            let n = offset_candidates(rest, &mut ends);
            return self.try_ends(idx, pos, directive, &ends[..n]);
        }
        for alternative in directive.numeric_alternatives() {
            if let Some(len) = match_classes(rest, alternative)
                && let Some(end) = self.try_ends(idx, pos, directive, &[len])
            {
                return Some(end);
            }
        }
        let bytes = rest.as_bytes();
        for name in directive.names() {
            let fits = bytes
                .get(..name.len())
                .is_some_and(|b| b.eq_ignore_ascii_case(name.as_bytes()));
            if fits && let Some(end) = self.try_ends(idx, pos, directive, &[name.len()]) {
                return Some(end);
            }
        }
        None
    }

    /// Tries the directive matching `len` bytes for each `len` in order.
    fn try_ends(
        &mut self,
        idx: usize,
        pos: usize,
        directive: Directive,
        lens: &[usize],
    ) -> Option<usize> {
        for &len in lens {
            self.spans[directive.index()] = Some((pos, pos + len));
            if let Some(end) = self.match_from(idx + 1, pos + len) {
                return Some(end);
            }
        }
        None
    }
}

/// The length in bytes of the start of `text` that `classes` match, one character each.
fn match_classes(text: &str, classes: &[Class]) -> Option<usize> {
    let mut chars = text.char_indices();
    let mut end = 0;
    for class in classes {
        let (at, c) = chars.next()?;
        if !class.matches(c) {
            return None;
        }
        end = at + c.len_utf8();
    }
    Some(end)
}

fn chars_eq_ignore_case(a: char, b: char) -> bool {
    a == b || a.to_lowercase().eq(b.to_lowercase())
}

/// The most characters a `%z` match spans: `+HH:MM:SS.ffffff`.
const MAX_OFFSET_CHARS: usize = 16;

/// The first characters of `text` (up to [`MAX_OFFSET_CHARS`]), each with the byte length of
/// `text` up to and including it. Fixed arrays: parsing allocates nothing.
struct Prefix {
    chars: [char; MAX_OFFSET_CHARS],
    ends: [usize; MAX_OFFSET_CHARS],
    len: usize,
}

impl Prefix {
    fn of(text: &str) -> Prefix {
        let mut prefix = Prefix {
            chars: ['\0'; MAX_OFFSET_CHARS],
            ends: [0; MAX_OFFSET_CHARS],
            len: 0,
        };
        for (at, c) in text.char_indices().take(MAX_OFFSET_CHARS) {
            prefix.chars[prefix.len] = c;
            prefix.ends[prefix.len] = at + c.len_utf8();
            prefix.len += 1;
        }
        prefix
    }

    fn get(&self, i: usize) -> Option<char> {
        (i < self.len).then(|| self.chars[i])
    }

    /// The byte length of the first `n` characters.
    fn bytes(&self, n: usize) -> usize {
        n.checked_sub(1).map_or(0, |last| self.ends[last])
    }
}

/// The lengths in bytes that `%z` can match at the start of `text`, in the order of CPython's
/// `[+-]\d\d:?[0-5]\d(:?[0-5]\d(\.\d{1,6})?)?|(?-i:Z)`, greedy parts longest first.
fn offset_candidates(text: &str, out: &mut [usize; 32]) -> usize {
    let prefix = Prefix::of(text);
    let mut n = 0;
    let mut push = |n_chars: usize| {
        if n < out.len() {
            out[n] = prefix.bytes(n_chars);
            n += 1;
        }
    };
    let is = |i: usize, want: char| prefix.get(i) == Some(want);
    let digit = |i: usize| prefix.get(i).is_some_and(|c| decimal_digit(c).is_some());
    let sixty = |i: usize| prefix.get(i).is_some_and(|c| ('0'..='5').contains(&c)) && digit(i + 1);
    let colon_options = |i: usize| -> [Option<usize>; 2] {
        // `:?` is greedy: with the colon first (when there is one), then without.
        if is(i, ':') {
            [Some(i + 1), Some(i)]
        } else {
            [Some(i), None]
        }
    };
    if (is(0, '+') || is(0, '-')) && digit(1) && digit(2) {
        for minutes_at in colon_options(3).into_iter().flatten() {
            if !sixty(minutes_at) {
                continue;
            }
            let after_minutes = minutes_at + 2;
            for seconds_at in colon_options(after_minutes).into_iter().flatten() {
                if !sixty(seconds_at) {
                    continue;
                }
                let after_seconds = seconds_at + 2;
                if is(after_seconds, '.') {
                    let n_digits = (1..=6).take_while(|k| digit(after_seconds + k)).count();
                    for k in (1..=n_digits).rev() {
                        push(after_seconds + 1 + k);
                    }
                }
                push(after_seconds);
            }
            push(after_minutes);
        }
    }
    if is(0, 'Z') {
        push(1);
    }
    n
}

/// Turns the matched spans into a date and time, as CPython's `_strptime` does.
fn resolve(
    input: &str,
    spans: &[Option<(usize, usize)>; N_DIRECTIVES],
) -> Result<Parsed, ParseError> {
    let text = |d: Directive| spans[d.index()].map(|(start, end)| &input[start..end]);
    // Every numeric span holds 1 to 6 decimal digits (a day may start with a space), which
    // count as `int()` counts them.
    let number = |d: Directive| {
        text(d).map(|t| {
            t.chars()
                .filter_map(decimal_digit)
                .fold(0u32, |n, digit| n * 10 + digit)
        })
    };
    let name_index = |d: Directive, names: &[&str]| {
        text(d).and_then(|t| names.iter().position(|n| n.eq_ignore_ascii_case(t)))
    };

    // CPython applies the groups in format order, so a later `%y`/`%Y` or `%m`/`%b`/`%B` wins;
    // so does a later `%H`/`%I`.
    let mut year: Option<i32> = None;
    let mut month: Option<u32> = None;
    let mut hour = 0;
    let mut by_position = [(usize::MAX, Directive::Day); N_DIRECTIVES];
    for (i, span) in spans.iter().enumerate() {
        if let Some((start, _)) = span {
            by_position[i] = (*start, ALL[i]);
        }
    }
    by_position.sort_unstable_by_key(|(start, _)| *start);
    for &(start, directive) in &by_position {
        if start == usize::MAX {
            break;
        }
        match directive {
            Directive::Year2 => {
                let y = number(directive).unwrap_or(0) as i32;
                year = Some(if y <= 68 { y + 2000 } else { y + 1900 });
            }
            Directive::Year4 => year = number(directive).map(|y| y as i32),
            Directive::Month => month = number(directive),
            Directive::MonthAbbr => {
                month = name_index(directive, &MONTH_ABBR).map(|i| i as u32 + 1)
            }
            Directive::MonthFull => {
                month = name_index(directive, &MONTH_FULL).map(|i| i as u32 + 1)
            }
            Directive::Hour24 => hour = number(directive).unwrap_or(0),
            Directive::Hour12 => {
                let h = number(directive).unwrap_or(0);
                let pm = text(Directive::AmPm).is_some_and(|p| p.eq_ignore_ascii_case("pm"));
                hour = match (pm, h) {
                    (false, 12) => 0,
                    (true, h) if h != 12 => h + 12,
                    (_, h) => h,
                };
            }
            _ => {}
        }
    }
    let day = number(Directive::Day).unwrap_or(1);
    let minute = number(Directive::Minute).unwrap_or(0);
    let second = number(Directive::Second).unwrap_or(0);
    let micros = text(Directive::Micros).map_or(0, |f| {
        let digits = f.bytes().fold(0u32, |n, b| n * 10 + u32::from(b - b'0'));
        digits * 10u32.pow(6 - f.len() as u32)
    });
    let offset_micros = text(Directive::Offset).map(parse_offset).transpose()?;

    // CPython works out a date without a year in 1900, except Feb 29, which it works out in
    // the leap year 1904 and then moves back to 1900 (where it does not exist).
    let leap_year_fix = year.is_none() && month == Some(2) && day == 29;
    let working_year = year.unwrap_or(if leap_year_fix { 1904 } else { 1900 });
    let date = match number(Directive::DayOfYear) {
        Some(day_of_year) => NaiveDate::from_ymd_opt(working_year, 1, 1)
            .filter(|_| working_year >= 1)
            .and_then(|jan1| jan1.checked_add_signed(Duration::days(i64::from(day_of_year) - 1))),
        None => NaiveDate::from_ymd_opt(working_year, month.unwrap_or(1), day),
    };
    let date = match date {
        Some(date) if leap_year_fix => NaiveDate::from_ymd_opt(
            1900,
            chrono::Datelike::month(&date),
            chrono::Datelike::day(&date),
        ),
        other => other,
    };
    let date = date
        .filter(|d| (1..=9999).contains(&chrono::Datelike::year(d)))
        .ok_or(ParseError::DateOutOfRange)?;
    if second > 59 {
        return Err(ParseError::SecondOutOfRange);
    }
    let local = date
        .and_hms_micro_opt(hour, minute, second, micros)
        .ok_or(ParseError::DateOutOfRange)?;
    Ok(Parsed {
        local,
        offset_micros,
    })
}

const ALL: [Directive; N_DIRECTIVES] = [
    Directive::WeekdayAbbr,
    Directive::WeekdayFull,
    Directive::MonthAbbr,
    Directive::MonthFull,
    Directive::Day,
    Directive::Micros,
    Directive::Hour24,
    Directive::Hour12,
    Directive::DayOfYear,
    Directive::Month,
    Directive::Minute,
    Directive::AmPm,
    Directive::Second,
    Directive::Year2,
    Directive::Year4,
    Directive::Offset,
];

/// CPython 3.11's reading of a `%z` match: `Z`, or `±HH[:]MM[[:]SS[.ffffff]]` (with decimal
/// digits of any script).
fn parse_offset(z: &str) -> Result<i64, ParseError> {
    if z == "Z" {
        return Ok(0);
    }
    // CPython drops a colon after the hours, and then requires one after the minutes when
    // more follows; a colon after the minutes alone fails its `int()` of the seconds.
    fn remove(prefix: &mut Prefix, at: usize) {
        prefix.chars.copy_within(at + 1..prefix.len, at);
        prefix.len -= 1;
    }
    let mut prefix = Prefix::of(z);
    if prefix.get(3) == Some(':') {
        remove(&mut prefix, 3);
        if prefix.len > 5 {
            if prefix.get(5) != Some(':') {
                return Err(ParseError::InconsistentColon);
            }
            remove(&mut prefix, 5);
        }
    }
    // Now `±HHMM[SS[.ffffff]]`.
    let value = |from: usize, to: usize| -> Result<i64, ParseError> {
        (from..to.min(prefix.len)).try_fold(0i64, |n, i| {
            let digit = decimal_digit(prefix.chars[i]).ok_or(ParseError::InconsistentColon)?;
            Ok(n * 10 + i64::from(digit))
        })
    };
    let hours = value(1, 3)?;
    let minutes = value(3, 5)?;
    let seconds = value(5, 7)?;
    let fraction_digits = prefix.len.saturating_sub(8);
    let micros = value(8, 14)? * 10i64.pow(6 - fraction_digits.min(6) as u32);
    let total = ((hours * 60 + minutes) * 60 + seconds) * 1_000_000 + micros;
    if total >= 24 * 3600 * 1_000_000 {
        return Err(ParseError::OffsetOutOfRange);
    }
    Ok(if z.starts_with('-') { -total } else { total })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[track_caller]
    fn check(format: &str, input: &str, expected: Result<&str, ParseError>) {
        let format = Format::compile(format).expect("the format compiles");
        let got = format.parse(input).map(|p| {
            format!(
                "{} {:?}",
                p.local.format("%Y-%m-%d %H:%M:%S%.6f"),
                p.offset_micros
            )
        });
        assert_eq!(got.as_deref().map_err(Clone::clone), expected, "{input:?}");
    }

    #[test]
    fn python_leniency() {
        let f = "%m/%d/%Y %I:%M %p";
        check(
            f,
            "11/26/2023 12:00 AM",
            Ok("2023-11-26 00:00:00.000000 None"),
        );
        check(f, "1/7/2023 1:05 pm", Ok("2023-01-07 13:05:00.000000 None"));
        check(
            f,
            "11/ 7/2023 1:05 Pm",
            Ok("2023-11-07 13:05:00.000000 None"),
        );
        check(
            f,
            "11/27/2023 12:00 \t PM",
            Ok("2023-11-27 12:00:00.000000 None"),
        );
        check(f, "11/27/2023 12:00 AM ", Err(ParseError::Unconverted(19)));
        check(f, "2023-11-27", Err(ParseError::NoMatch));
        check(f, "02/30/2023 1:00 PM", Err(ParseError::DateOutOfRange));
        check("%y", "68", Ok("2068-01-01 00:00:00.000000 None"));
        check("%y", "69", Ok("1969-01-01 00:00:00.000000 None"));
        check("%j %Y", "366 2023", Ok("2024-01-01 00:00:00.000000 None"));
        check("%H:%M:%S", "23:59:60", Err(ParseError::SecondOutOfRange));
        check("t%Y", "T2023", Ok("2023-01-01 00:00:00.000000 None"));
        check(
            "%Y%z",
            "2023+05:30",
            Ok("2023-01-01 00:00:00.000000 Some(19800000000)"),
        );
        check("%Y%z", "2023-0530:15", Err(ParseError::InconsistentColon));
        check("%Y%z", "2023+2400", Err(ParseError::OffsetOutOfRange));
        check("%Y", &"9".repeat(MAX_INPUT + 1), Err(ParseError::TooLong));
        // CPython's leap-year fix for dates without a year.
        check("%j %m %d", "61 2 29", Ok("1900-03-01 00:00:00.000000 None"));
        check(
            "%j %m %d",
            "366 2 29",
            Ok("1900-12-31 00:00:00.000000 None"),
        );
        check("%j %m %d", "60 2 29", Err(ParseError::DateOutOfRange));
        check(
            "%j %b %d",
            "70 Feb 29",
            Ok("1900-03-10 00:00:00.000000 None"),
        );
        check("%m %d", "2 29", Err(ParseError::DateOutOfRange));
    }

    #[test]
    fn unicode_digits_where_cpython_has_backslash_d() {
        check(
            "%Y-%m-%d",
            "２０２４-05-01",
            Ok("2024-05-01 00:00:00.000000 None"),
        );
        check(
            "%Y-%m-%d",
            "2٠2४-05-1５",
            Ok("2024-05-15 00:00:00.000000 None"),
        );
        // `%m` is `1[0-2]|0[1-9]|[1-9]` and the first digit of `%d` a range: ASCII only.
        check("%Y-%m-%d", "2024-０5-01", Err(ParseError::NoMatch));
        check("%Y-%m-%d", "2024-05-０1", Err(ParseError::NoMatch));
        check("%H:%M:%S", "23:59:６0", Err(ParseError::Unconverted(9)));
        check("%S.%f", "5.１", Err(ParseError::NoMatch));
        check("%Y", "²⁰²⁴", Err(ParseError::NoMatch));
        check(
            "%Y%z",
            "2024-0５:3０:1５.１２３",
            Ok("2024-01-01 00:00:00.000000 Some(-19815123000)"),
        );
        check("%Y%z", "2024+0５3０:15", Err(ParseError::InconsistentColon));
        // The limit counts characters: these 66 take 198 bytes, and CPython reads them.
        let spaced = format!("𝟐𝟎𝟐𝟒{}05", "\u{3000}".repeat(60));
        assert!(spaced.len() > MAX_INPUT);
        check("%Y %m", &spaced, Ok("2024-05-01 00:00:00.000000 None"));
        check(
            "%Y",
            &"𝟐".repeat(MAX_INPUT),
            Err(ParseError::Unconverted(16)),
        );
        check("%Y", &"𝟐".repeat(MAX_INPUT + 1), Err(ParseError::TooLong));
    }

    #[test]
    fn format_errors() {
        assert_eq!(
            Format::compile("%Y-%Q"),
            Err(FormatError::BadDirective('Q'))
        );
        assert_eq!(Format::compile("%Y %"), Err(FormatError::StrayPercent));
        assert_eq!(Format::compile("%Y %Y"), Err(FormatError::Repeated('Y')));
        assert_eq!(
            Format::compile(&"x".repeat(MAX_ITEMS + 1)),
            Err(FormatError::TooLong)
        );
        assert!(Format::compile(&"x".repeat(MAX_ITEMS)).is_ok());
        assert!(Format::compile("%%%Y%%").is_ok());
    }

    /// Every case CPython 3.11 parsed or refused in `tests/fixtures/strptime.json`, generated
    /// by `tests/fixtures/gen_strptime.py`.
    #[test]
    fn matches_cpython_on_the_fixture() {
        let fixture: Value =
            serde_json::from_str(include_str!("../../tests/fixtures/strptime.json")).unwrap();
        let cases = fixture["cases"].as_array().unwrap();
        assert!(cases.len() > 3_000);
        let mut mismatches = Vec::new();
        let (mut n_parsed, mut n_errors) = (0, 0);
        for case in cases {
            let format_text = case["format"].as_str().unwrap();
            let input = case["input"].as_str().unwrap();
            let format = Format::compile(format_text).unwrap();
            let got = format.parse(input).ok().map(|p| {
                use chrono::{Datelike, Timelike};
                let t = p.local;
                serde_json::json!([
                    t.year(),
                    t.month(),
                    t.day(),
                    t.hour(),
                    t.minute(),
                    t.second(),
                    t.nanosecond() / 1000,
                    p.offset_micros
                ])
            });
            let expected = case.get("parsed").cloned();
            if expected.is_some() {
                n_parsed += 1;
            } else {
                n_errors += 1;
            }
            if got != expected {
                mismatches.push(format!(
                    "{format_text:?} {input:?}: got {got:?}, CPython {case}"
                ));
            }
        }
        assert!(
            n_parsed > 2_000 && n_errors > 500,
            "{n_parsed} parsed, {n_errors} errors"
        );
        assert!(
            mismatches.is_empty(),
            "{} mismatches:\n{}",
            mismatches.len(),
            mismatches.join("\n")
        );
    }
}

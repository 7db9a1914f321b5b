//! JSON number literals read the way Python's `json` module reads them: integer literals as
//! integers of any size, other literals as floats, `±inf` when they overflow.

use std::fmt;

/// The most digits CPython 3.11 converts from text to an `int` (its default
/// `sys.get_int_max_str_digits()`); its `json` module refuses longer integer literals.
pub const MAX_INT_DIGITS: usize = 4300;

/// A JSON number as Python reads it: an `int` or a `float`. Novi needs it for the numbers that a [`serde_json::Value`] cannot hold
/// exactly: integers below `i64::MIN` or above `u64::MAX`, and float literals beyond `f64`'s
/// range (`1e400`), which Python reads as `inf`.
///
/// [`ExactNumber::parse`] reads any JSON number literal; [`Context`](crate::Context) keeps one
/// for each top-level number of its JSON that a `Value` would only approximate
/// ([`Context::exact_number`](crate::Context::exact_number)).
///
/// ```
/// use novi_core::ExactNumber;
///
/// let two_to_the_64 = ExactNumber::parse("18446744073709551616")?;
/// assert_eq!(
///     two_to_the_64,
///     ExactNumber::Int { negative: false, magnitude: vec![0, 0, 1] }
/// );
/// assert_eq!(two_to_the_64.approximation(), 18446744073709551616.0);
/// assert_eq!(ExactNumber::parse("-1e400")?, ExactNumber::Float(f64::NEG_INFINITY));
/// assert_eq!(ExactNumber::parse("-1e400")?.approximation(), f64::MIN);
/// # Ok::<(), novi_core::NumberError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum ExactNumber {
    /// An integer (a literal without `.`, `e` or `E`).
    Int {
        /// Whether it is below zero (never for zero, which Python writes `0` even for `-0`).
        negative: bool,
        /// The absolute value as 32-bit words, least significant first, with no zero word at
        /// the end (zero is no words): the key CPython's `random.seed` gives Mersenne Twister.
        magnitude: Vec<u32>,
    },
    /// A float (a literal with `.`, `e` or `E`), `±inf` when it overflows `f64`.
    Float(f64),
}

/// Why a text is not a number Python's `json` module reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NumberError {
    /// The text is not a JSON number literal.
    #[error("not a JSON number")]
    NotANumber,
    /// An integer literal with more digits than CPython converts.
    #[error("the integer has {digits} digits, more than the {MAX_INT_DIGITS} that Python reads")]
    TooManyDigits {
        /// How many digits the literal has.
        digits: usize,
    },
}

impl ExactNumber {
    /// Reads a JSON number literal (`-12`, `2.5e3`, `18446744073709551616`, `1e400`) as
    /// CPython's `json.loads` does: an integer literal becomes an integer of any size (up to
    /// [`MAX_INT_DIGITS`] digits), any other literal the nearest float, `±inf` beyond `f64`'s
    /// range.
    pub fn parse(literal: &str) -> Result<ExactNumber, NumberError> {
        let (negative, unsigned) = match literal.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, literal),
        };
        let bytes = unsigned.as_bytes();
        let int_len = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
        let int_ok = int_len == 1 || (int_len > 1 && bytes[0] != b'0');
        if !int_ok {
            return Err(NumberError::NotANumber);
        }
        let mut rest = &bytes[int_len..];
        if rest.is_empty() {
            return int_from_digits(negative, &bytes[..int_len]);
        }
        if let Some(fraction) = rest.strip_prefix(b".") {
            let n = fraction.iter().take_while(|b| b.is_ascii_digit()).count();
            if n == 0 {
                return Err(NumberError::NotANumber);
            }
            rest = &fraction[n..];
        }
        if let Some(exponent) = rest.strip_prefix(b"e").or_else(|| rest.strip_prefix(b"E")) {
            let exponent = exponent
                .strip_prefix(b"+")
                .or_else(|| exponent.strip_prefix(b"-"))
                .unwrap_or(exponent);
            if exponent.is_empty() || !exponent.iter().all(u8::is_ascii_digit) {
                return Err(NumberError::NotANumber);
            }
            rest = &[];
        }
        if !rest.is_empty() {
            return Err(NumberError::NotANumber);
        }
        // The grammar above is a subset of Rust's, whose parsing rounds correctly and gives
        // `±inf` on overflow, as CPython's `float()` does.
        literal
            .parse::<f64>()
            .map(ExactNumber::Float)
            .map_err(|_| NumberError::NotANumber)
    }

    /// The nearest `f64` (what a [`serde_json::Value`] holds for it), or `±f64::MAX` for a
    /// number beyond `f64`'s range, which a `Value` cannot hold.
    pub fn approximation(&self) -> f64 {
        let value = match self {
            ExactNumber::Float(value) => *value,
            ExactNumber::Int {
                negative,
                magnitude,
            } => {
                let value = magnitude_to_f64(magnitude);
                if *negative { -value } else { value }
            }
        };
        if value.is_infinite() {
            f64::MAX.copysign(value)
        } else {
            value
        }
    }

    /// Whether a [`serde_json::Value`] holds this number exactly: an integer from `i64::MIN`
    /// to `u64::MAX`, or a finite float.
    pub fn fits_json_value(&self) -> bool {
        match self {
            ExactNumber::Float(value) => value.is_finite(),
            ExactNumber::Int {
                negative,
                magnitude,
            } => match magnitude.as_slice() {
                [] | [_] => true,
                [low, high] => !negative || (*high < 1 << 31 || (*high == 1 << 31 && *low == 0)),
                _ => false,
            },
        }
    }
}

impl fmt::Display for ExactNumber {
    /// Python's `str()` of the number: `18446744073709551616`, `-inf`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExactNumber::Float(value) => python_float_repr(*value, f),
            ExactNumber::Int {
                negative,
                magnitude,
            } => {
                if *negative {
                    f.write_str("-")?;
                }
                f.write_str(&magnitude_to_decimal(magnitude))
            }
        }
    }
}

/// CPython's `repr(float)`: the shortest digits that read back to the same value, in fixed
/// notation from `1e-4` up to below `1e16` (with at least one decimal, `2.0`), in exponent
/// notation otherwise (`1e+16`, `1.5e-05`); `inf`, `-inf`, `nan`.
fn python_float_repr(value: f64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    if value.is_nan() {
        return f.write_str("nan");
    }
    if value.is_sign_negative() {
        f.write_str("-")?;
    }
    let value = value.abs();
    if value.is_infinite() {
        return f.write_str("inf");
    }
    if value == 0.0 {
        return f.write_str("0.0");
    }
    // Rust's `{:e}` also writes the shortest digits that read back: `d.ddde±x`.
    let scientific = format!("{value:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let exponent: i32 = exponent.parse().unwrap_or(0);
    // The decimal point comes after `point` digits (C's `dtoa` calls it `decpt`).
    let point = exponent + 1;
    let n_digits = digits.len() as i32;
    if point <= -4 || point > 16 {
        let (first, rest) = digits.split_at(1);
        f.write_str(first)?;
        if !rest.is_empty() {
            write!(f, ".{rest}")?;
        }
        let sign = if exponent < 0 { '-' } else { '+' };
        write!(f, "e{sign}{:02}", exponent.unsigned_abs())
    } else if point <= 0 {
        write!(f, "0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
    } else if point >= n_digits {
        write!(f, "{digits}{}.0", "0".repeat((point - n_digits) as usize))
    } else {
        let (whole, fraction) = digits.split_at(point as usize);
        write!(f, "{whole}.{fraction}")
    }
}

/// The integer written with `digits` (ASCII, at most [`MAX_INT_DIGITS`]).
fn int_from_digits(negative: bool, digits: &[u8]) -> Result<ExactNumber, NumberError> {
    if digits.len() > MAX_INT_DIGITS {
        return Err(NumberError::TooManyDigits {
            digits: digits.len(),
        });
    }
    // Nine decimal digits at a time: multiply by 10^9 and add, over 32-bit words.
    let mut magnitude: Vec<u32> = Vec::with_capacity(digits.len() / 9 + 1);
    let first = digits.len() % 9;
    let chunks = (first > 0)
        .then(|| &digits[..first])
        .into_iter()
        .chain(digits[first..].chunks(9));
    for chunk in chunks {
        let scale = 10u64.pow(chunk.len() as u32);
        let mut carry = chunk.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
        for word in &mut magnitude {
            let product = u64::from(*word) * scale + carry;
            *word = product as u32;
            carry = product >> 32;
        }
        if carry > 0 {
            magnitude.push(carry as u32);
        }
    }
    while magnitude.last() == Some(&0) {
        magnitude.pop();
    }
    Ok(ExactNumber::Int {
        negative: negative && !magnitude.is_empty(),
        magnitude,
    })
}

/// The nearest `f64` to the magnitude (rounding to even), `inf` beyond `f64::MAX`.
fn magnitude_to_f64(magnitude: &[u32]) -> f64 {
    let Some(&top_word) = magnitude.last() else {
        return 0.0;
    };
    let bits = 32 * magnitude.len() - top_word.leading_zeros() as usize;
    let bit = |i: usize| magnitude[i / 32] >> (i % 32) & 1 == 1;
    if bits <= 64 {
        let value = magnitude
            .iter()
            .rev()
            .fold(0u64, |n, w| n << 32 | u64::from(*w));
        // `as` rounds to nearest, ties to even.
        return value as f64;
    }
    // The top 64 bits, with a sticky last bit for anything set below them: rounding that to
    // 53 bits rounds the whole number correctly.
    let shift = bits - 64;
    let mut top = (shift..bits)
        .rev()
        .fold(0u64, |n, i| n << 1 | u64::from(bit(i)));
    if (0..shift).any(bit) {
        top |= 1;
    }
    let scale = i32::try_from(shift).unwrap_or(i32::MAX);
    (top as f64) * 2f64.powi(scale)
}

/// The magnitude in decimal.
fn magnitude_to_decimal(magnitude: &[u32]) -> String {
    if magnitude.is_empty() {
        return "0".to_owned();
    }
    // Repeated division by 10^9 gives nine digits at a time, least significant first.
    let mut rest = magnitude.to_vec();
    let mut groups = Vec::new();
    while !rest.is_empty() {
        let mut remainder = 0u64;
        for word in rest.iter_mut().rev() {
            let current = remainder << 32 | u64::from(*word);
            *word = (current / 1_000_000_000) as u32;
            remainder = current % 1_000_000_000;
        }
        groups.push(remainder);
        while rest.last() == Some(&0) {
            rest.pop();
        }
    }
    let mut text = String::with_capacity(groups.len() * 9);
    for (i, group) in groups.iter().rev().enumerate() {
        if i == 0 {
            text.push_str(&group.to_string());
        } else {
            text.push_str(&format!("{group:09}"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(negative: bool, magnitude: &[u32]) -> ExactNumber {
        ExactNumber::Int {
            negative,
            magnitude: magnitude.to_vec(),
        }
    }

    #[test]
    fn integers_are_exact_at_any_size() {
        for (text, expected) in [
            ("0", int(false, &[])),
            ("-0", int(false, &[])),
            ("7", int(false, &[7])),
            ("-5", int(true, &[5])),
            ("4294967296", int(false, &[0, 1])),
            ("18446744073709551615", int(false, &[u32::MAX, u32::MAX])),
            ("18446744073709551616", int(false, &[0, 0, 1])),
            ("-9223372036854775808", int(true, &[0, 1 << 31])),
            // python3 -c 'n = 10**30; print([(n >> 32*i) & 0xffffffff for i in range(4)])'
            (
                "1000000000000000000000000000000",
                int(false, &[1073741824, 1182068202, 2670501072, 12]),
            ),
            (
                "-1000000000000000000000000000000",
                int(true, &[1073741824, 1182068202, 2670501072, 12]),
            ),
        ] {
            let number = ExactNumber::parse(text).unwrap();
            assert_eq!(number, expected, "{text}");
            let python_str = if text == "-0" { "0" } else { text };
            assert_eq!(number.to_string(), python_str);
        }
        // The longest integer Python reads, written back digit for digit.
        let longest: String = (0..MAX_INT_DIGITS)
            .map(|i| char::from(b'1' + (i * 7 % 9) as u8))
            .collect();
        assert_eq!(ExactNumber::parse(&longest).unwrap().to_string(), longest);
        assert_eq!(
            ExactNumber::parse(&format!("{longest}1")),
            Err(NumberError::TooManyDigits {
                digits: MAX_INT_DIGITS + 1
            })
        );
        assert_eq!(
            ExactNumber::parse(&format!("-{longest}1")),
            Err(NumberError::TooManyDigits {
                digits: MAX_INT_DIGITS + 1
            })
        );
    }

    #[test]
    fn floats_overflow_to_infinity() {
        for (text, expected) in [
            ("1e400", f64::INFINITY),
            ("-1e400", f64::NEG_INFINITY),
            ("1.5", 1.5),
            ("-0.0", -0.0),
            ("1E+2", 100.0),
            ("2.5e-3", 0.0025),
            ("1e-400", 0.0),
            ("0e99999999999999999999", 0.0),
            ("1.7976931348623157e308", f64::MAX),
            ("1.7976931348623159e308", f64::INFINITY),
        ] {
            let number = ExactNumber::parse(text).unwrap();
            assert_eq!(number, ExactNumber::Float(expected), "{text}");
        }
        assert_eq!(ExactNumber::Float(f64::INFINITY).approximation(), f64::MAX);
        assert_eq!(
            ExactNumber::Float(f64::NEG_INFINITY).approximation(),
            f64::MIN
        );
    }

    #[test]
    fn only_json_number_literals_are_numbers() {
        for text in [
            "", "-", "01", "-01", "1.", ".5", "1e", "1e+", "+1", "NaN", "Infinity", " 1", "1 ",
            "1.e5", "0x10", "1_000", "١",
        ] {
            assert_eq!(
                ExactNumber::parse(text),
                Err(NumberError::NotANumber),
                "{text:?}"
            );
        }
    }

    #[test]
    fn approximations_round_like_parsing_the_text() {
        // Every length up to 400 digits, and the halfway cases that must round to even.
        let mut texts: Vec<String> = [
            "9007199254740993",     // 2^53 + 1
            "9007199254740995",     // 2^53 + 3
            "18446744073709553664", // 2^64 + 2^11: a tie, to even
            "18446744073709553665",
            "18446744073709555712",
            "179769313486231580793728971405303415079934132710037826936173778980444968292764750946649017977587207096330286416692887910946555547851940402630657488671505820681908902000708383676273854845817711531764475730270069855571366959622842914819860834936475292719074168444365510704342711559699508093042880177904174497791",
            "179769313486231570814527423731704356798070567525844996598917476803157260780028538760589558632766878171540458953514382464234321326889464182768467546703537516986049910576551282076245490090389328944075868508455133942304583236903222948165808559332123348274797826204144723168738177180919299881250404026184124858368",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for len in 1..=400 {
            let digits: String = (0..len)
                .map(|i| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    let low = if i == 0 { 1 } else { 0 };
                    char::from(b'0' + (low + state % (10 - low)) as u8)
                })
                .collect();
            texts.push(digits.clone());
            texts.push(format!("-{digits}"));
        }
        for text in texts {
            let expected = text.parse::<f64>().unwrap();
            let expected = if expected.is_infinite() {
                f64::MAX.copysign(expected)
            } else {
                expected
            };
            let got = ExactNumber::parse(&text).unwrap().approximation();
            assert_eq!(got.to_bits(), expected.to_bits(), "{text}");
        }
    }

    #[test]
    fn what_a_json_value_holds_exactly() {
        for (text, fits) in [
            ("18446744073709551615", true),
            ("18446744073709551616", false),
            ("-9223372036854775808", true),
            ("-9223372036854775809", false),
            ("-4294967296", true),
            ("1e308", true),
            ("1e400", false),
            ("-1e400", false),
        ] {
            assert_eq!(
                ExactNumber::parse(text).unwrap().fits_json_value(),
                fits,
                "{text}"
            );
        }
    }

    #[test]
    fn floats_are_written_as_python_writes_them() {
        // python3 -c 'print([str(x) for x in (2.0, 0.1, 1e16, 1e15, 123456789012345.6, 1e-4,
        //   1e-5, 1.5e-5, 1e300, -2.5, 5e-324, -0.0, 1.7976931348623157e308, 0.5, 12.0)])'
        for (value, python) in [
            (2.0, "2.0"),
            (0.1, "0.1"),
            (1e16, "1e+16"),
            (1e15, "1000000000000000.0"),
            (123456789012345.6, "123456789012345.6"),
            (1e-4, "0.0001"),
            (1e-5, "1e-05"),
            (1.5e-5, "1.5e-05"),
            (1e300, "1e+300"),
            (-2.5, "-2.5"),
            (5e-324, "5e-324"),
            (-0.0, "-0.0"),
            (f64::MAX, "1.7976931348623157e+308"),
            (0.5, "0.5"),
            (12.0, "12.0"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
        ] {
            assert_eq!(ExactNumber::Float(value).to_string(), python, "{value:e}");
        }
    }
}

//! Calendar and clock helpers: civil dates to Unix time, fixed UTC offsets, decimal seconds.
//!
//! Only fixed offsets are supported ("UTC", "Z", "+01:00", "-0530"): a zone with daylight
//! saving would need a tz database crate, and the bundle format already asks recorders to
//! run in UTC. An IANA name is refused with a clear error rather than guessed.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Nanoseconds per second.
pub const NS_PER_S: i64 = 1_000_000_000;

/// A fixed offset of local time from UTC, as used by tools that print local wall-clock time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct UtcOffset {
    /// Local time minus UTC, in seconds (+3600 for "+01:00").
    pub seconds: i32,
}

impl UtcOffset {
    /// UTC itself.
    pub const UTC: UtcOffset = UtcOffset { seconds: 0 };

    /// Converts local-time Unix-like nanoseconds (computed as if local were UTC) to true UTC.
    pub fn local_to_utc_ns(self, local_ns: i64) -> i64 {
        local_ns.saturating_sub(i64::from(self.seconds).saturating_mul(NS_PER_S))
    }
}

impl fmt::Display for UtcOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.seconds == 0 {
            return f.write_str("UTC");
        }
        let sign = if self.seconds < 0 { '-' } else { '+' };
        let a = self.seconds.unsigned_abs();
        write!(f, "{sign}{:02}:{:02}", a / 3600, (a % 3600) / 60)
    }
}

impl From<UtcOffset> for String {
    fn from(o: UtcOffset) -> String {
        o.to_string()
    }
}

impl TryFrom<String> for UtcOffset {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

impl FromStr for UtcOffset {
    type Err = String;

    /// Accepts "UTC", "GMT", "Z", "+HH:MM", "-HH:MM", "+HHMM", "+HH" (also "UTC+01:00").
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let upper = t.to_ascii_uppercase();
        if matches!(upper.as_str(), "UTC" | "GMT" | "Z" | "ETC/UTC" | "UTC0") {
            return Ok(UtcOffset::UTC);
        }
        let rest = upper
            .strip_prefix("UTC")
            .or_else(|| upper.strip_prefix("GMT"))
            .unwrap_or(&upper);
        let (sign, digits) = match rest.as_bytes().first() {
            Some(b'+') => (1, rest.get(1..).unwrap_or("")),
            Some(b'-') => (-1, rest.get(1..).unwrap_or("")),
            _ => {
                return Err(format!(
                    "time zone {t:?} is not supported: give \"UTC\" or a fixed offset like \"+01:00\""
                ));
            }
        };
        let compact: String = digits.chars().filter(|c| *c != ':').collect();
        let ok = !compact.is_empty()
            && compact.len() <= 4
            && compact.bytes().all(|b| b.is_ascii_digit());
        let (h, m) = match (ok, compact.len()) {
            (true, 1 | 2) => (compact.parse::<i32>().ok(), Some(0)),
            (true, 3 | 4) => {
                let split = compact.len() - 2;
                (
                    compact.get(..split).and_then(|x| x.parse::<i32>().ok()),
                    compact.get(split..).and_then(|x| x.parse::<i32>().ok()),
                )
            }
            _ => (None, None),
        };
        match (h, m) {
            (Some(h), Some(m)) if h <= 18 && m < 60 => Ok(UtcOffset {
                seconds: sign * (h * 3600 + m * 60),
            }),
            _ => Err(format!("time zone offset {t:?} is not of the form +HH:MM")),
        }
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let d = i64::from(d);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Value of an all-digit ASCII slice, or None.
#[inline]
pub(crate) fn digits_u32(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 {
        return None;
    }
    let mut v: u32 = 0;
    for &c in b {
        let d = c.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v * 10 + u32::from(d);
    }
    Some(v)
}

/// Days in a month of a given year.
fn month_days(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// Parses "YYYY-MM-DD" at the start of `b`; returns days since the epoch.
#[inline]
pub(crate) fn parse_date(b: &[u8]) -> Option<i64> {
    if b.len() < 10 || b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let y = digits_u32(b.get(0..4)?)?;
    let m = digits_u32(b.get(5..7)?)?;
    let d = digits_u32(b.get(8..10)?)?;
    if !(1..=12).contains(&m) || d == 0 || d > month_days(i64::from(y), m) {
        return None;
    }
    Some(days_from_civil(i64::from(y), m, d))
}

/// Parses "HH:MM:SS" and an optional ".fraction" (up to 9 digits) at the start of `b`.
///
/// Returns (nanoseconds since midnight, bytes consumed).
#[inline]
pub(crate) fn parse_clock(b: &[u8]) -> Option<(i64, usize)> {
    if b.len() < 8 || b.get(2) != Some(&b':') || b.get(5) != Some(&b':') {
        return None;
    }
    let h = d2(b, 0)?;
    let mi = d2(b, 3)?;
    let s = d2(b, 6)?;
    // 60 allows a leap second as printed by strftime.
    if h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut ns = (i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s)) * NS_PER_S;
    let mut used = 8;
    if b.get(8) == Some(&b'.') {
        let frac = b.get(9..).unwrap_or(&[]);
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        let mut f: i64 = 0;
        for (i, &c) in frac.iter().take(n).enumerate() {
            if i < 9 {
                f = f * 10 + i64::from(c - b'0');
            }
        }
        for _ in n.min(9)..9 {
            f *= 10;
        }
        ns += f;
        used = 9 + n;
    }
    Some((ns, used))
}

/// Parses "YYYY-MM-DD HH:MM:SS[.frac]" (or with 'T') as if it were UTC; returns (ns, bytes used).
#[inline]
pub(crate) fn parse_datetime_prefix(b: &[u8]) -> Option<(i64, usize)> {
    let days = parse_date(b)?;
    match b.get(10) {
        Some(b' ') | Some(b'T') => {}
        _ => return None,
    }
    let (ns, used) = parse_clock(b.get(11..)?)?;
    Some((
        days.checked_mul(86_400 * NS_PER_S)?.checked_add(ns)?,
        11 + used,
    ))
}

/// Remembers the last date parsed: log lines share their date, so the calendar arithmetic
/// is done once per day of log instead of once per line.
#[derive(Debug, Clone, Default)]
pub(crate) struct DateCache {
    key: [u8; 10],
    days: i64,
    valid: bool,
}

impl DateCache {
    /// Like [`parse_datetime_prefix`], reusing the day count when the date text repeats.
    #[inline]
    pub(crate) fn datetime_prefix(&mut self, b: &[u8]) -> Option<(i64, usize)> {
        let key = b.get(..10)?;
        let days = if self.valid && key == self.key {
            self.days
        } else {
            let d = parse_date(b)?;
            self.key.copy_from_slice(key);
            self.days = d;
            self.valid = true;
            d
        };
        match b.get(10) {
            Some(b' ') | Some(b'T') => {}
            _ => return None,
        }
        let (ns, used) = parse_clock(b.get(11..)?)?;
        Some((
            days.checked_mul(86_400 * NS_PER_S)?.checked_add(ns)?,
            11 + used,
        ))
    }
}

/// Value of two ASCII digits.
#[inline]
fn d2(b: &[u8], at: usize) -> Option<u32> {
    let h = b.get(at)?.wrapping_sub(b'0');
    let l = b.get(at + 1)?.wrapping_sub(b'0');
    (h <= 9 && l <= 9).then_some(u32::from(h) * 10 + u32::from(l))
}

/// Parses an RFC 3339 / ISO 8601 stamp with zone ("2026-11-26T01:02:03.5Z", "...+01:00").
pub fn parse_rfc3339_ns(s: &str) -> Option<i64> {
    let b = s.trim().as_bytes();
    let (ns, used) = parse_datetime_prefix(b)?;
    let zone = std::str::from_utf8(b.get(used..)?).ok()?;
    let off: UtcOffset = zone.parse().ok()?;
    Some(off.local_to_utc_ns(ns))
}

/// Parses non-negative decimal seconds ("1764118000.123456") into nanoseconds, exactly.
#[inline]
pub fn parse_decimal_seconds_ns(s: &str) -> Option<i64> {
    decimal_seconds_ns(s.as_bytes())
}

/// [`parse_decimal_seconds_ns`] on bytes.
#[inline]
pub(crate) fn decimal_seconds_ns(b: &[u8]) -> Option<i64> {
    let (neg, b) = match b.first() {
        Some(b'-') => (true, b.get(1..)?),
        _ => (false, b),
    };
    let int_len = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if int_len == 0 || int_len > 12 {
        return None;
    }
    let mut secs: i64 = 0;
    for &c in b.get(..int_len)? {
        secs = secs * 10 + i64::from(c - b'0');
    }
    let mut frac_ns: i64 = 0;
    let rest = b.get(int_len..)?;
    if !rest.is_empty() {
        if rest.first() != Some(&b'.') {
            return None;
        }
        let frac = rest.get(1..)?;
        if frac.is_empty() || !frac.iter().all(|c| c.is_ascii_digit()) {
            return None;
        }
        for (i, &c) in frac.iter().enumerate() {
            if i < 9 {
                frac_ns = frac_ns * 10 + i64::from(c - b'0');
            }
        }
        for _ in frac.len().min(9)..9 {
            frac_ns *= 10;
        }
    }
    // Twelve digits of seconds do not fit in i64 nanoseconds: refuse rather than wrap.
    let v = secs.checked_mul(NS_PER_S)?.checked_add(frac_ns)?;
    Some(if neg { -v } else { v })
}

/// Formats Unix nanoseconds as RFC 3339 UTC with microseconds (for reports and messages).
pub fn format_rfc3339_us(t_unix_ns: i64) -> String {
    let secs = t_unix_ns.div_euclid(NS_PER_S);
    let ns = t_unix_ns.rem_euclid(NS_PER_S);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:06}Z",
        sod / 3600,
        (sod % 3600) / 60,
        sod % 60,
        ns / 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_parse_and_display() {
        assert_eq!("UTC".parse::<UtcOffset>().unwrap(), UtcOffset::UTC);
        assert_eq!("+01:00".parse::<UtcOffset>().unwrap().seconds, 3600);
        assert_eq!("-0530".parse::<UtcOffset>().unwrap().seconds, -19_800);
        assert_eq!("+08".parse::<UtcOffset>().unwrap().seconds, 28_800);
        assert_eq!("+01:00".parse::<UtcOffset>().unwrap().to_string(), "+01:00");
        assert!("Europe/Berlin".parse::<UtcOffset>().is_err());
        assert!("+99:00".parse::<UtcOffset>().is_err());
    }

    #[test]
    fn civil_round_trip() {
        for days in [-800_000i64, -1, 0, 1, 20_000, 20_418, 2_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(2025, 11, 26), 20_418);
    }

    #[test]
    fn datetime_and_fraction() {
        let (ns, used) = parse_datetime_prefix(b"2025-11-26 01:02:03.123456 rest").unwrap();
        assert_eq!(used, 26);
        assert_eq!(ns, (20_418 * 86_400 + 3723) * NS_PER_S + 123_456_000);
        assert!(parse_datetime_prefix(b"2026-02-30 01:02:03").is_none());
        assert_eq!(
            parse_rfc3339_ns("2025-11-26T02:02:03+01:00"),
            Some((20_418 * 86_400 + 3723) * NS_PER_S)
        );
        assert_eq!(
            format_rfc3339_us(1_764_118_923_500_000_000),
            "2025-11-26T01:02:03.500000Z"
        );
    }

    #[test]
    fn decimal_seconds() {
        assert_eq!(
            parse_decimal_seconds_ns("1764118000.123456"),
            Some(1_764_118_000_123_456_000)
        );
        assert_eq!(parse_decimal_seconds_ns("12"), Some(12 * NS_PER_S));
        assert_eq!(parse_decimal_seconds_ns("1.5"), Some(1_500_000_000));
        assert_eq!(parse_decimal_seconds_ns("1."), None);
        assert_eq!(parse_decimal_seconds_ns("x"), None);
        // Found by fuzzing: more seconds than i64 nanoseconds hold.
        assert_eq!(parse_decimal_seconds_ns("999999999999"), None);
    }
}

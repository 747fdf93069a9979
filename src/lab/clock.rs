//! Wall-clock stamps in the forms the raw files use: Unix seconds for JSON lines,
//! `YYYY-MM-DD HH:MM:SS.ffffff` (UTC) for camonitor lines, RFC 3339 for manifests.
//!
//! Written by hand (civil-from-days) so the lab needs no date crate and the output
//! never depends on the machine's time zone: bundles state `timezone = "UTC"`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, with microseconds, as a float (JSON `"t"`).
pub fn unix_seconds(t: SystemTime) -> f64 {
    let d = since_epoch(t);
    // round to microseconds: the file is read back by a parser that keeps ns, and
    // printing 1e-7 noise from f64 would suggest a precision the sampler does not have
    (d.as_secs() as f64) + f64::from(d.subsec_micros()) / 1e6
}

/// `YYYY-MM-DD HH:MM:SS.ffffff` in UTC, as camonitor prints with `TZ=UTC`.
pub fn utc_micros(t: SystemTime) -> String {
    let d = since_epoch(t);
    let (date, hms) = civil(d.as_secs());
    format!("{date} {hms}.{:06}", d.subsec_micros())
}

/// `YYYY-MM-DDTHH:MM:SSZ` (RFC 3339, UTC, whole seconds) for `recorded_at`.
pub fn rfc3339(t: SystemTime) -> String {
    let (date, hms) = civil(since_epoch(t).as_secs());
    format!("{date}T{hms}Z")
}

/// `HH:MM:SS.mmm` UTC, for log lines.
pub fn log_stamp(t: SystemTime) -> String {
    let d = since_epoch(t);
    let (date, hms) = civil(d.as_secs());
    format!("{date}T{hms}.{:03}Z", d.subsec_millis())
}

fn since_epoch(t: SystemTime) -> Duration {
    // stamps before 1970 cannot come from a clock of this century; clamp, never panic
    t.duration_since(UNIX_EPOCH).unwrap_or_default()
}

/// Date and time of day for Unix seconds (proleptic Gregorian, UTC).
fn civil(secs: u64) -> (String, String) {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    (
        format!("{y:04}-{m:02}-{d:02}"),
        format!("{:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60),
    )
}

use crate::trace::time::civil_from_days;

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64, micros: u32) -> SystemTime {
        UNIX_EPOCH + Duration::new(secs, micros * 1000)
    }

    #[test]
    fn formats_known_instants() {
        // 2026-11-26 00:47:14.041064 UTC (a stamp from a lab camonitor.log)
        let t = at(1_795_654_034, 41_064);
        assert_eq!(utc_micros(t), "2026-11-26 00:47:14.041064");
        assert_eq!(rfc3339(t), "2026-11-26T00:47:14Z");
        assert_eq!(log_stamp(t), "2026-11-26T00:47:14.041Z");
        assert_eq!(unix_seconds(t), 1_795_654_034.041064);
        assert_eq!(utc_micros(at(0, 0)), "1970-01-01 00:00:00.000000");
        // leap day and the EPICS epoch
        assert_eq!(rfc3339(at(951_782_400, 0)), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(at(631_152_000, 0)), "1990-01-01T00:00:00Z");
    }

    #[test]
    fn civil_matches_day_counting_for_every_day_of_four_centuries() {
        let (mut y, mut m, mut d) = (1970i64, 1u32, 1u32);
        for z in 0..146_097 {
            assert_eq!(civil_from_days(z), (y, m, d), "day {z}");
            let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
            let len = [
                31,
                if leap { 29 } else { 28 },
                31,
                30,
                31,
                30,
                31,
                31,
                30,
                31,
                30,
                31,
            ];
            d += 1;
            if d > len[(m - 1) as usize] {
                d = 1;
                m += 1;
                if m > 12 {
                    m = 1;
                    y += 1;
                }
            }
        }
    }
}

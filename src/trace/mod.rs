//! Parsers for the raw files real tools write (ping, camonitor, job statistics...).
//!
//! One module per format, each a pure function from the text (plus a source name for
//! errors) to typed, serialisable records. Noise that a tool is known to print is skipped
//! and counted ([`Skip`]); anything else unexpected is a [`TraceError`] naming the file,
//! the 1-based line and what was expected. Local-time formats take an explicit
//! [`UtcOffset`]. [`job`] and [`pv`] turn the job-statistics and PV formats into one
//! normalised series each for replay.

pub mod archiver;
pub mod bundle;
pub mod camonitor;
pub mod domjobinfo;
pub mod error;
pub mod fping;
pub mod job;
pub mod jobstats;
pub mod phoebus;
pub mod ping;
pub mod pv;
pub mod query_migrate;
pub mod time;

pub use error::{Skip, TraceError, text_from_bytes};
pub use job::JobSample;
pub use pv::{PvSample, PvValue};
pub use time::UtcOffset;

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The raw file formats a trace bundle may hold, named as in `trace.toml`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Format {
    /// iputils `ping` output (`-D`, `-O` or plain).
    Ping,
    /// `fping` output.
    Fping,
    /// EPICS base `camonitor` output.
    Camonitor,
    /// Phoebus / CS-Studio Data Browser export (plain or spreadsheet).
    Phoebus,
    /// Archiver Appliance `getData.json`.
    ArchiverJson,
    /// Archiver Appliance `getData.csv`.
    ArchiverCsv,
    /// One `virsh domjobinfo` output.
    Domjobinfo,
    /// Timestamped `virsh domjobinfo` outputs, one after another.
    DomjobinfoSeries,
    /// libvirt job statistics as JSON lines (`migbench record`).
    JobstatsJsonl,
    /// QEMU QMP `query-migrate` replies (one, or a timestamped series).
    QueryMigrate,
}

impl Format {
    /// Every format, in manifest order.
    pub const ALL: [Format; 10] = [
        Format::Ping,
        Format::Fping,
        Format::Camonitor,
        Format::Phoebus,
        Format::ArchiverJson,
        Format::ArchiverCsv,
        Format::Domjobinfo,
        Format::DomjobinfoSeries,
        Format::JobstatsJsonl,
        Format::QueryMigrate,
    ];

    /// The manifest name, e.g. `archiver-json`.
    pub fn name(self) -> &'static str {
        match self {
            Format::Ping => "ping",
            Format::Fping => "fping",
            Format::Camonitor => "camonitor",
            Format::Phoebus => "phoebus",
            Format::ArchiverJson => "archiver-json",
            Format::ArchiverCsv => "archiver-csv",
            Format::Domjobinfo => "domjobinfo",
            Format::DomjobinfoSeries => "domjobinfo-series",
            Format::JobstatsJsonl => "jobstats-jsonl",
            Format::QueryMigrate => "query-migrate",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
                format!(
                    "unknown trace format {s:?}, expected one of {}",
                    names.join(", ")
                )
            })
    }
}

impl From<Format> for String {
    fn from(f: Format) -> String {
        f.name().to_owned()
    }
}

impl TryFrom<String> for Format {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        s.parse()
    }
}

/// Guesses the format of `text` from its first meaningful lines; None if nothing fits.
///
/// This is a sniffing aid (for `migbench` to suggest a format or catch a file listed under
/// the wrong one), not a substitute for the manifest: `domjobinfo` and its series, or a
/// single `query-migrate` reply and a series, are told apart by their stamp lines only.
pub fn detect_format(text: &str) -> Option<Format> {
    let mut lines = text
        .lines()
        .map(|l| l.trim_end_matches('\r'))
        .filter(|l| !l.trim().is_empty())
        .take(40);
    let first = lines.next()?;
    let t = first.trim_start();
    if t.starts_with('[') && (t.contains("\"meta\"") || t.trim() == "[") {
        return Some(Format::ArchiverJson);
    }
    if t.starts_with('{') {
        if t.contains("\"QMP\"")
            || t.contains("\"return\"")
            || t.contains("\"status\"") && t.contains("\"ram\"")
        {
            return Some(Format::QueryMigrate);
        }
        if t.contains("\"completed\"") || t.contains("\"time_elapsed\"") || t.contains("\"memory_")
        {
            return Some(Format::JobstatsJsonl);
        }
        return Some(Format::QueryMigrate);
    }
    if t.starts_with("PING ")
        || t.contains(" bytes from ")
        || t.contains("no answer yet for icmp_seq=")
    {
        return Some(Format::Ping);
    }
    if t.starts_with("Job type:") {
        return Some(Format::Domjobinfo);
    }
    if t.starts_with('#') {
        return Some(Format::Phoebus);
    }
    // Stamp lines: decimal seconds or RFC 3339, then either domjobinfo or a QMP reply.
    let stamp = t.split_whitespace().next().unwrap_or("");
    if time::parse_decimal_seconds_ns(stamp).is_some() || time::parse_rfc3339_ns(stamp).is_some() {
        let rest = t.get(stamp.len()..).unwrap_or("").trim();
        if rest.starts_with('{') {
            return Some(Format::QueryMigrate);
        }
        if rest.is_empty() {
            if let Some(next) = lines.next()
                && next.starts_with("Job type:")
            {
                return Some(Format::DomjobinfoSeries);
            }
            return None;
        }
    }
    if fping::looks_like(t) {
        return Some(Format::Fping);
    }
    if archiver::looks_like_csv(t) {
        return Some(Format::ArchiverCsv);
    }
    if camonitor::looks_like(t) {
        return Some(Format::Camonitor);
    }
    None
}

/// Turns a syntax error on the first line into a wrong-format error when the text is
/// recognisably another format.
pub(crate) fn refine_error(text: &str, expected: Format, err: TraceError) -> TraceError {
    if let Some(detected) = detect_format(text)
        && detected != expected
        && !matches!(
            (expected, detected),
            (Format::DomjobinfoSeries, Format::Domjobinfo)
                | (Format::Domjobinfo, Format::DomjobinfoSeries)
        )
        && let TraceError::Syntax { file, line, .. } = &err
    {
        return TraceError::WrongFormat {
            file: file.clone(),
            line: *line,
            expected: expected.name().to_owned(),
            detected: detected.name().to_owned(),
        };
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_names_round_trip() {
        for f in Format::ALL {
            assert_eq!(f.name().parse::<Format>().unwrap(), f);
            assert_eq!(f.to_string(), f.name());
        }
        assert!("pcap".parse::<Format>().is_err());
    }

    #[test]
    fn detects_each_format() {
        let cases = [
            (
                "PING 192.0.2.10 (192.0.2.10) 56(84) bytes of data.\n",
                Format::Ping,
            ),
            (
                "[1764118000.100123] 64 bytes from 192.0.2.10: icmp_seq=1 ttl=64 time=0.4 ms\n",
                Format::Ping,
            ),
            (
                "[1764118000.10012] ioc : [0], 64 bytes, 0.43 ms (0.43 avg, 0% loss)\n",
                Format::Fping,
            ),
            (
                "rootHost:calcExample           2025-11-26 01:02:03.123456(2025-11-26 01:02:03.200000) 5  \n",
                Format::Camonitor,
            ),
            ("# Created by CS-Studio Data Browser\n", Format::Phoebus),
            (
                "[ \n{ \"meta\": { \"name\": \"x\" },\n",
                Format::ArchiverJson,
            ),
            ("1764118000,5.0,0,0,123000000\n", Format::ArchiverCsv),
            ("Job type:         Unbounded   \n", Format::Domjobinfo),
            (
                "1764118000.123456789\nJob type:         Unbounded   \n",
                Format::DomjobinfoSeries,
            ),
            (
                "{\"t\": 1764118000.5, \"completed\": false, \"time_elapsed\": 10}\n",
                Format::JobstatsJsonl,
            ),
            (
                "1764118000.123456 {\"return\": {\"status\": \"active\"}}\n",
                Format::QueryMigrate,
            ),
        ];
        for (text, want) in cases {
            assert_eq!(detect_format(text), Some(want), "{text}");
        }
        assert_eq!(detect_format(""), None);
        assert_eq!(detect_format("hello world\n"), None);
    }
}

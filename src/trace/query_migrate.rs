//! QEMU QMP `query-migrate` replies: one reply, or a series of `<Unix seconds> <reply>` lines.
//!
//! Fields per QEMU `qapi/migration.json` (`MigrationInfo`: `status`, `total-time`,
//! `expected-downtime`, `downtime`, `setup-time` in ms, `cpu-throttle-percentage`,
//! `error-desc`, `ram` as `MigrationStats`: `transferred`, `remaining`, `total`,
//! `duplicate`, `normal`, `normal-bytes`, `dirty-pages-rate` (pages/s), `mbps` (Mbit/s, a
//! float), `dirty-sync-count`, `postcopy-requests`, `page-size`, `precopy-bytes`,
//! `downtime-bytes`, `postcopy-bytes`, `pages-per-second`). The reply may be wrapped in
//! `{"return": ...}` as QMP sends it or bare. QMP greetings, events and empty replies in a
//! raw capture are skipped and counted.

use super::error::{Skip, Step, TraceError, numbered_lines, step};
use super::time::{parse_decimal_seconds_ns, parse_rfc3339_ns};
use serde::{Deserialize, Serialize};

/// `MigrationInfo`, with units in the field names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MigrationInfo {
    /// `status` (`setup`, `active`, `completed`, `failed`, `cancelled`, `postcopy-active`...).
    #[serde(default)]
    pub status: Option<String>,
    /// `total-time`.
    #[serde(default, rename(deserialize = "total-time"))]
    pub total_time_ms: Option<u64>,
    /// `expected-downtime`.
    #[serde(default, rename(deserialize = "expected-downtime"))]
    pub expected_downtime_ms: Option<u64>,
    /// `downtime` (completed migrations).
    #[serde(default, rename(deserialize = "downtime"))]
    pub downtime_ms: Option<u64>,
    /// `setup-time`.
    #[serde(default, rename(deserialize = "setup-time"))]
    pub setup_time_ms: Option<u64>,
    /// `cpu-throttle-percentage` (auto-converge).
    #[serde(default, rename(deserialize = "cpu-throttle-percentage"))]
    pub cpu_throttle_pct: Option<u32>,
    /// `error-desc` (failed migrations).
    #[serde(default, rename(deserialize = "error-desc"))]
    pub error_desc: Option<String>,
    /// `ram` statistics.
    #[serde(default)]
    pub ram: Option<RamStats>,
}

/// `MigrationStats` for RAM, with units in the field names.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RamStats {
    /// `transferred`.
    #[serde(default, rename(deserialize = "transferred"))]
    pub transferred_bytes: Option<u64>,
    /// `remaining`.
    #[serde(default, rename(deserialize = "remaining"))]
    pub remaining_bytes: Option<u64>,
    /// `total`.
    #[serde(default, rename(deserialize = "total"))]
    pub total_bytes: Option<u64>,
    /// `duplicate` (zero pages).
    #[serde(default, rename(deserialize = "duplicate"))]
    pub duplicate_pages: Option<u64>,
    /// `normal`.
    #[serde(default, rename(deserialize = "normal"))]
    pub normal_pages: Option<u64>,
    /// `normal-bytes`.
    #[serde(default, rename(deserialize = "normal-bytes"))]
    pub normal_bytes: Option<u64>,
    /// `dirty-pages-rate`.
    #[serde(default, rename(deserialize = "dirty-pages-rate"))]
    pub dirty_pages_rate_pages_s: Option<u64>,
    /// `mbps` (megabits per second).
    #[serde(default, rename(deserialize = "mbps"))]
    pub mbps_mbit_s: Option<f64>,
    /// `dirty-sync-count` (passes over RAM).
    #[serde(default, rename(deserialize = "dirty-sync-count"))]
    pub dirty_sync_count: Option<u64>,
    /// `postcopy-requests`.
    #[serde(default, rename(deserialize = "postcopy-requests"))]
    pub postcopy_requests: Option<u64>,
    /// `page-size`.
    #[serde(default, rename(deserialize = "page-size"))]
    pub page_size_bytes: Option<u64>,
    /// `precopy-bytes`.
    #[serde(default, rename(deserialize = "precopy-bytes"))]
    pub precopy_bytes: Option<u64>,
    /// `downtime-bytes`.
    #[serde(default, rename(deserialize = "downtime-bytes"))]
    pub downtime_bytes: Option<u64>,
    /// `postcopy-bytes`.
    #[serde(default, rename(deserialize = "postcopy-bytes"))]
    pub postcopy_bytes: Option<u64>,
    /// `pages-per-second`.
    #[serde(default, rename(deserialize = "pages-per-second"))]
    pub pages_per_second: Option<u64>,
}

/// One `query-migrate` reply.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueryMigrateSample {
    /// 1-based line number where the reply starts.
    pub line: usize,
    /// Sample time (series prefix), Unix ns.
    pub t_unix_ns: Option<i64>,
    /// The reply.
    pub info: MigrationInfo,
}

/// A parsed reply file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QueryMigrateLog {
    /// File name given by the caller.
    pub source: String,
    /// Replies in file order.
    pub samples: Vec<QueryMigrateSample>,
    /// Lines skipped (greetings, events, empty replies, repeated stamps).
    pub skipped: Vec<Skip>,
}

/// What one JSON document is.
enum Doc {
    Info(Box<MigrationInfo>),
    Noise(&'static str),
}

/// Classifies a QMP document.
fn classify(v: serde_json::Value) -> Result<Doc, String> {
    let serde_json::Value::Object(mut o) = v else {
        return Err("a JSON object".into());
    };
    if o.contains_key("QMP") {
        return Ok(Doc::Noise("QMP greeting"));
    }
    if o.contains_key("event") {
        return Ok(Doc::Noise("QMP event"));
    }
    if o.contains_key("error") {
        return Ok(Doc::Noise("QMP error reply"));
    }
    if o.contains_key("execute") {
        return Ok(Doc::Noise("QMP command"));
    }
    let inner = match o.remove("return") {
        Some(r) => r,
        None => serde_json::Value::Object(o),
    };
    match &inner {
        serde_json::Value::Object(m) if m.is_empty() => return Ok(Doc::Noise("empty QMP reply")),
        // QEMU always reports "status"; without it this is some other document.
        serde_json::Value::Object(m) if !m.contains_key("status") => {
            return Err("a MigrationInfo object with \"status\"".into());
        }
        serde_json::Value::Object(_) => {}
        _ => return Ok(Doc::Noise("QMP reply that is not migration info")),
    }
    serde_json::from_value(inner)
        .map(|i| Doc::Info(Box::new(i)))
        .map_err(|e| format!("query-migrate fields ({e})"))
}

/// Parses one reply or a series; `source` names the file in errors.
pub fn parse(text: &str, source: &str) -> Result<QueryMigrateLog, TraceError> {
    let mut out = QueryMigrateLog {
        source: source.to_owned(),
        samples: Vec::new(),
        skipped: Vec::new(),
    };
    let trimmed = text.trim_start();
    // A single pretty-printed reply spans lines: try the whole text as one document first.
    if trimmed.starts_with('{')
        && let Ok(v) = serde_json::from_str::<serde_json::Value>(text)
    {
        let lead = text.len().saturating_sub(trimmed.len());
        let line = 1 + text
            .get(..lead)
            .map_or(0, |p| p.bytes().filter(|&c| c == b'\n').count());
        match classify(v) {
            Ok(Doc::Info(info)) => out.samples.push(QueryMigrateSample {
                line,
                t_unix_ns: None,
                info: *info,
            }),
            Ok(Doc::Noise(r)) => out.skipped.push(Skip { line, reason: r }),
            Err(what) => {
                return Err(TraceError::syntax(
                    source,
                    line,
                    what,
                    text.lines().nth(line - 1).unwrap_or(""),
                ));
            }
        }
        return finish(out, text);
    }
    let mut last: Option<i64> = None;
    for (no, line) in numbered_lines(text) {
        let l = line.trim();
        if l.is_empty() {
            continue;
        }
        let (t, json) = if l.starts_with('{') {
            (None, l)
        } else {
            let (stamp, rest) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
            let Some(t) = parse_decimal_seconds_ns(stamp).or_else(|| parse_rfc3339_ns(stamp))
            else {
                let e = TraceError::syntax(
                    source,
                    no,
                    "'<Unix seconds> {QMP reply}' or a JSON reply",
                    line,
                );
                return Err(if out.samples.is_empty() {
                    super::refine_error(text, super::Format::QueryMigrate, e)
                } else {
                    e
                });
            };
            (Some(t), rest.trim())
        };
        if let Some(t) = t
            && step(
                &mut last,
                t,
                source,
                no,
                "sample stamps in increasing order",
            )? == Step::Repeat
        {
            out.skipped.push(Skip {
                line: no,
                reason: "repeated stamp: sample dropped",
            });
            continue;
        }
        let v: serde_json::Value = match serde_json::from_str(json) {
            Ok(v) => v,
            Err(e) => {
                return Err(TraceError::syntax(
                    source,
                    no,
                    format!("a QMP reply JSON on the line ({e})"),
                    line,
                ));
            }
        };
        match classify(v) {
            Ok(Doc::Info(info)) => out.samples.push(QueryMigrateSample {
                line: no,
                t_unix_ns: t,
                info: *info,
            }),
            Ok(Doc::Noise(r)) => out.skipped.push(Skip {
                line: no,
                reason: r,
            }),
            Err(what) => return Err(TraceError::syntax(source, no, what, line)),
        }
    }
    finish(out, text)
}

/// The log, or an Empty error when no reply carried migration info.
fn finish(out: QueryMigrateLog, _text: &str) -> Result<QueryMigrateLog, TraceError> {
    if out.samples.is_empty() {
        return Err(TraceError::Empty {
            file: out.source,
            expected: "a query-migrate reply with migration info".into(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_series_and_single() {
        let series = r#"{"QMP": {"version": {}, "capabilities": []}}
{"return": {}}
1764118923.25 {"return": {"status": "active", "total-time": 1200, "expected-downtime": 300, "setup-time": 10, "ram": {"transferred": 1048576, "remaining": 5000000, "total": 536870912, "mbps": 268.4, "dirty-sync-count": 1, "dirty-pages-rate": 0}}}
1764118930.0 {"return": {"status": "completed", "total-time": 7000, "downtime": 40, "ram": {"transferred": 110000000}}}
"#;
        let log = parse(series, "qm.jsonl").unwrap();
        assert_eq!(log.samples.len(), 2);
        assert_eq!(log.skipped.len(), 2);
        let s = &log.samples[0];
        assert_eq!(s.t_unix_ns, Some(1_764_118_923_250_000_000));
        assert_eq!(s.info.status.as_deref(), Some("active"));
        assert_eq!(s.info.ram.as_ref().unwrap().mbps_mbit_s, Some(268.4));
        assert_eq!(log.samples[1].info.downtime_ms, Some(40));
        let single =
            "{\n  \"return\": {\n    \"status\": \"completed\",\n    \"downtime\": 12\n  }\n}\n";
        let log = parse(single, "qm.json").unwrap();
        assert_eq!(log.samples[0].info.downtime_ms, Some(12));
        let e = parse("1764118923.25 {\"return\": {\"status\": 5}}\n", "q").unwrap_err();
        assert_eq!(e.line(), Some(1));
    }
}

//! libvirt job statistics as JSON lines, as `migbench record` writes them.
//!
//! Each line is one `virDomainGetJobStats` sample: `{"t": <Unix seconds>, "completed":
//! <bool>, "type": "unbounded", <typed-parameter name>: <integer>, ...}`. The parameter
//! names are libvirt's `VIR_DOMAIN_JOB_*` macros' strings (`include/libvirt/libvirt-domain.h`):
//! `time_elapsed`, `downtime`, `memory_processed`, `memory_bps`, `memory_dirty_rate`,
//! `memory_iteration`, `auto_converge_throttle`, ... Unknown names are kept, so newer
//! libvirt fields pass through.

use super::error::{Skip, Step, TraceError, numbered_lines, step};
use super::time::NS_PER_S;
use serde::Serialize;
use std::collections::BTreeMap;

/// One job-statistics sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobStatsRecord {
    /// 1-based line number.
    pub line: usize,
    /// Sample time, Unix ns.
    pub t_unix_ns: i64,
    /// Taken with `VIR_DOMAIN_JOB_STATS_COMPLETED` (statistics of the finished job).
    pub completed: bool,
    /// Job type as recorded (`unbounded`, `completed`, `failed`, `none`...).
    pub job_type: Option<String>,
    /// Integer typed parameters by libvirt name (units as libvirt defines them: ms, bytes,
    /// bytes/s, pages/s, percent).
    pub fields: BTreeMap<String, i64>,
    /// Non-integer parameters (strings, booleans, floats) as text.
    pub text_fields: BTreeMap<String, String>,
}

impl JobStatsRecord {
    /// An integer field that is non-negative, as u64.
    pub fn get_u64(&self, name: &str) -> Option<u64> {
        self.fields.get(name).and_then(|v| u64::try_from(*v).ok())
    }
}

/// A parsed JSON-lines file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobStatsLog {
    /// File name given by the caller.
    pub source: String,
    /// Samples in time order.
    pub records: Vec<JobStatsRecord>,
    /// Lines skipped (repeated stamps, comments).
    pub skipped: Vec<Skip>,
}

/// Parses job statistics JSON lines; `source` names the file in errors.
pub fn parse(text: &str, source: &str) -> Result<JobStatsLog, TraceError> {
    let mut out = JobStatsLog {
        source: source.to_owned(),
        records: Vec::new(),
        skipped: Vec::new(),
    };
    let mut last: Option<i64> = None;
    for (no, line) in numbered_lines(text) {
        let l = line.trim();
        if l.is_empty() {
            continue;
        }
        if l.starts_with('#') {
            out.skipped.push(Skip {
                line: no,
                reason: "comment",
            });
            continue;
        }
        let obj: serde_json::Map<String, serde_json::Value> = match serde_json::from_str(l) {
            Ok(o) => o,
            Err(e) => {
                let err =
                    TraceError::syntax(source, no, format!("one JSON object per line ({e})"), line);
                return Err(if out.records.is_empty() {
                    super::refine_error(text, super::Format::JobstatsJsonl, err)
                } else {
                    err
                });
            }
        };
        let Some(t) = obj
            .get("t")
            .and_then(serde_json::Value::as_f64)
            .filter(|t| t.is_finite() && t.abs() < 9e9)
        else {
            return Err(TraceError::syntax(
                source,
                no,
                "a numeric \"t\" (Unix seconds)",
                line,
            ));
        };
        let t = (t * NS_PER_S as f64).round() as i64;
        if step(&mut last, t, source, no, "samples in increasing \"t\"")? == Step::Repeat {
            out.skipped.push(Skip {
                line: no,
                reason: "repeated stamp: sample dropped",
            });
            continue;
        }
        let mut rec = JobStatsRecord {
            line: no,
            t_unix_ns: t,
            completed: obj
                .get("completed")
                .and_then(serde_json::Value::as_bool)
                .unwrap_or(false),
            job_type: obj.get("type").and_then(|v| v.as_str()).map(str::to_owned),
            fields: BTreeMap::new(),
            text_fields: BTreeMap::new(),
        };
        for (k, v) in &obj {
            if matches!(k.as_str(), "t" | "completed" | "type") {
                continue;
            }
            match v.as_i64() {
                Some(i) => {
                    rec.fields.insert(k.clone(), i);
                }
                None => {
                    let s = match v {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    rec.text_fields.insert(k.clone(), s);
                }
            }
        }
        out.records.push(rec);
    }
    if out.records.is_empty() {
        return Err(TraceError::Empty {
            file: source.to_owned(),
            expected: "job statistics JSON lines".into(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lines() {
        let text = r#"{"t": 1764118923.5, "completed": false, "type": "unbounded", "time_elapsed": 500, "memory_processed": 1048576, "memory_bps": 67108864, "memory_iteration": 1}
{"t": 1764118923.5, "completed": false, "type": "unbounded", "time_elapsed": 500}
{"t": 1764118933.0, "completed": true, "type": "completed", "time_elapsed": 9500, "downtime": 42, "errmsg": "none"}
"#;
        let log = parse(text, "jobstats.jsonl").unwrap();
        assert_eq!(log.records.len(), 2);
        assert_eq!(log.skipped.len(), 1);
        assert_eq!(log.records[0].t_unix_ns, 1_764_118_923_500_000_000);
        assert_eq!(log.records[0].get_u64("memory_bps"), Some(67_108_864));
        assert!(log.records[1].completed);
        assert_eq!(
            log.records[1].text_fields.get("errmsg").map(String::as_str),
            Some("none")
        );
        let e = parse("{\"t\": 1}\n{\"t\": 2, \"x\": \n", "j").unwrap_err();
        assert_eq!(e.line(), Some(2));
        assert!(matches!(
            parse("{\"t\": 2}\n{\"t\": 1}\n", "j").unwrap_err(),
            TraceError::OutOfOrder { line: 2, .. }
        ));
    }
}

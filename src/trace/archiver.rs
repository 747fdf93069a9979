//! EPICS Archiver Appliance retrieval output: `getData.json` and `getData.csv`.
//!
//! Formats per the Archiver Appliance `retrieval/mimeresponses/JSONResponse.java` (an
//! array of `{"meta": {"name": ..., ...}, "data": [{"secs", "nanos", "val", "severity",
//! "status"[, "fields": {...}]}]}`, `secs` being UTC epoch seconds; connection changes are
//! marked on the next sample by `fields` keys `cnxlostepsecs`, `cnxregainedepsecs`,
//! `startup`) and `SinglePVCSVResponse.java` (one PV, no header, one line per sample
//! `secs,val,severity,status,nanos`, then an empty line). Severities above 3 are the
//! Archiver's own markers: 3904 disconnected, 3872 archive off, 3848 disabled, 3856 repeat.

use super::error::{TraceError, numbered_lines};
use super::pv::PvValue;
use super::time::NS_PER_S;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Archiver severity marking a disconnected channel.
pub const SEVERITY_DISCONNECTED: i32 = 3904;
/// Archiver severity marking archiving switched off.
pub const SEVERITY_ARCHIVE_OFF: i32 = 3872;
/// Archiver severity marking a disabled channel.
pub const SEVERITY_DISABLED: i32 = 3848;
/// Archiver severity marking a repeat count sample.
pub const SEVERITY_REPEAT: i32 = 3856;

/// Name of an EPICS or Archiver severity code.
pub fn severity_name(sev: i32) -> &'static str {
    match sev {
        0 => "NO_ALARM",
        1 => "MINOR",
        2 => "MAJOR",
        3 => "INVALID",
        SEVERITY_DISCONNECTED => "DISCONNECTED",
        SEVERITY_ARCHIVE_OFF => "ARCHIVE_OFF",
        SEVERITY_DISABLED => "DISABLED",
        SEVERITY_REPEAT => "REPEAT",
        _ => "UNKNOWN",
    }
}

/// Archiver data for one or more PVs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArchiverData {
    /// File name given by the caller.
    pub source: String,
    /// One entry per PV.
    pub pvs: Vec<ArchiverPv>,
}

/// The samples of one PV.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArchiverPv {
    /// PV name (`meta.name`, or given by the caller for CSV).
    pub name: String,
    /// Other `meta` entries (EGU, PREC...), as text.
    pub meta: BTreeMap<String, String>,
    /// Samples in time order.
    pub samples: Vec<ArchiverSample>,
}

/// One archived sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArchiverSample {
    /// Time stamp, Unix ns UTC (`secs` and `nanos`).
    pub t_unix_ns: i64,
    /// Value.
    pub value: PvValue,
    /// EPICS severity code or an Archiver marker (see the constants).
    pub severity: i32,
    /// EPICS alarm status code.
    pub status: i32,
    /// Extra `fields`, as text.
    pub fields: BTreeMap<String, String>,
}

impl ArchiverSample {
    /// When the Archiver lost the connection before this sample (`cnxlostepsecs`), Unix ns.
    pub fn connection_lost_unix_ns(&self) -> Option<i64> {
        let s = self.fields.get("cnxlostepsecs")?;
        super::time::parse_decimal_seconds_ns(s.trim()).filter(|&t| t > 0)
    }
}

#[derive(Deserialize)]
struct RawPv {
    meta: BTreeMap<String, serde_json::Value>,
    data: Vec<RawSample>,
}

#[derive(Deserialize)]
struct RawSample {
    secs: i64,
    #[serde(default)]
    nanos: i64,
    val: serde_json::Value,
    #[serde(default)]
    severity: i32,
    #[serde(default)]
    status: i32,
    #[serde(default)]
    fields: Option<BTreeMap<String, serde_json::Value>>,
}

/// Text of a JSON scalar (strings unquoted).
fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Converts a JSON `val` to a [`PvValue`].
fn json_value(v: &serde_json::Value) -> PvValue {
    match v {
        serde_json::Value::Number(n) => PvValue::Number(n.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::Array(a) if a.iter().all(|x| x.is_number()) => {
            PvValue::Numbers(a.iter().filter_map(serde_json::Value::as_f64).collect())
        }
        serde_json::Value::String(s) => PvValue::Text(s.clone()),
        other => PvValue::Text(other.to_string()),
    }
}

/// 1-based line of the `n`-th (0-based) occurrence of `needle` in `text`, or 1.
fn line_of_nth(text: &str, needle: &str, n: usize) -> usize {
    text.match_indices(needle).nth(n).map_or(1, |(i, _)| {
        1 + text
            .get(..i)
            .map_or(0, |p| p.bytes().filter(|&c| c == b'\n').count())
    })
}

/// Parses Archiver Appliance `getData.json` output; `source` names the file in errors.
pub fn parse_json(text: &str, source: &str) -> Result<ArchiverData, TraceError> {
    if text.trim().is_empty() {
        return Err(TraceError::Empty {
            file: source.to_owned(),
            expected: "Archiver Appliance JSON".into(),
        });
    }
    let raw: Vec<RawPv> = serde_json::from_str(text).map_err(|e| {
        let line = e.line().max(1);
        let found = text.lines().nth(line - 1).unwrap_or("");
        super::refine_error(
            text,
            super::Format::ArchiverJson,
            TraceError::syntax(
                source,
                line,
                format!("Archiver JSON ([{{\"meta\": ..., \"data\": [...]}}]): {e}"),
                found,
            ),
        )
    })?;
    let mut out = ArchiverData {
        source: source.to_owned(),
        pvs: Vec::with_capacity(raw.len()),
    };
    let mut global = 0usize;
    for (i, pv) in raw.into_iter().enumerate() {
        let name = match pv.meta.get("name") {
            Some(serde_json::Value::String(s)) => s.clone(),
            _ => {
                let line = line_of_nth(text, "\"meta\"", i);
                return Err(TraceError::syntax(
                    source,
                    line,
                    "a \"name\" string in \"meta\"",
                    text.lines().nth(line - 1).unwrap_or(""),
                ));
            }
        };
        let meta = pv
            .meta
            .iter()
            .filter(|(k, _)| k.as_str() != "name")
            .map(|(k, v)| (k.clone(), json_text(v)))
            .collect();
        let mut samples = Vec::with_capacity(pv.data.len());
        let mut last: Option<i64> = None;
        for s in pv.data {
            let t = s
                .secs
                .checked_mul(NS_PER_S)
                .and_then(|x| x.checked_add(s.nanos));
            let Some(t) = t.filter(|_| (0..NS_PER_S).contains(&s.nanos)) else {
                let line = line_of_nth(text, "\"secs\"", global);
                return Err(TraceError::syntax(
                    source,
                    line,
                    "\"secs\" in epoch range and \"nanos\" in 0..1e9",
                    text.lines().nth(line - 1).unwrap_or(""),
                ));
            };
            if let Some(prev) = last
                && t < prev
            {
                return Err(TraceError::OutOfOrder {
                    file: source.to_owned(),
                    line: line_of_nth(text, "\"secs\"", global),
                    t_unix_ns: t,
                    previous_unix_ns: prev,
                    expected: format!("samples of {name} in time order"),
                });
            }
            last = Some(t);
            global += 1;
            samples.push(ArchiverSample {
                t_unix_ns: t,
                value: json_value(&s.val),
                severity: s.severity,
                status: s.status,
                fields: s
                    .fields
                    .unwrap_or_default()
                    .iter()
                    .map(|(k, v)| (k.clone(), json_text(v)))
                    .collect(),
            });
        }
        out.pvs.push(ArchiverPv {
            name,
            meta,
            samples,
        });
    }
    Ok(out)
}

/// True if `line` looks like Archiver CSV (`secs,val,severity,status,nanos`).
pub(crate) fn looks_like_csv(line: &str) -> bool {
    let f: Vec<&str> = line.trim().split(',').collect();
    f.len() >= 5
        && f.first()
            .is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        && f.iter().rev().take(3).all(|s| s.parse::<i64>().is_ok())
}

/// Parses Archiver Appliance `getData.csv` output for PV `pv_name`; `source` names the file.
pub fn parse_csv(text: &str, source: &str, pv_name: &str) -> Result<ArchiverData, TraceError> {
    let mut samples = Vec::new();
    let mut last: Option<i64> = None;
    for (no, line) in numbered_lines(text) {
        if line.trim().is_empty() {
            continue;
        }
        let err = |exp: &str| {
            let e = TraceError::syntax(source, no, exp, line);
            if samples.is_empty() {
                super::refine_error(text, super::Format::ArchiverCsv, e)
            } else {
                e
            }
        };
        let Some((secs, rest)) = line.split_once(',') else {
            return Err(err("'secs,val,severity,status,nanos'"));
        };
        // The value may itself hold commas (arrays), so the last three fields are taken from the end.
        let mut tail = rest.rsplitn(4, ',');
        let (Some(nanos), Some(status), Some(sev), Some(val)) =
            (tail.next(), tail.next(), tail.next(), tail.next())
        else {
            return Err(err("'secs,val,severity,status,nanos' (5 fields)"));
        };
        let (Ok(secs), Ok(nanos), Ok(status), Ok(severity)) = (
            secs.trim().parse::<i64>(),
            nanos.trim().parse::<i64>(),
            status.trim().parse::<i32>(),
            sev.trim().parse::<i32>(),
        ) else {
            return Err(err("integer secs, severity, status and nanos"));
        };
        let Some(t) = secs
            .checked_mul(NS_PER_S)
            .and_then(|x| x.checked_add(nanos))
            .filter(|_| (0..NS_PER_S).contains(&nanos))
        else {
            return Err(err("secs in epoch range and nanos in 0..1e9"));
        };
        if let Some(prev) = last
            && t < prev
        {
            return Err(TraceError::OutOfOrder {
                file: source.to_owned(),
                line: no,
                t_unix_ns: t,
                previous_unix_ns: prev,
                expected: "samples in time order".into(),
            });
        }
        last = Some(t);
        samples.push(ArchiverSample {
            t_unix_ns: t,
            value: PvValue::from_text(val),
            severity,
            status,
            fields: BTreeMap::new(),
        });
    }
    if samples.is_empty() {
        return Err(TraceError::Empty {
            file: source.to_owned(),
            expected: "Archiver Appliance CSV".into(),
        });
    }
    Ok(ArchiverData {
        source: source.to_owned(),
        pvs: vec![ArchiverPv {
            name: pv_name.to_owned(),
            meta: BTreeMap::new(),
            samples,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: &str = r#"[ 
{ "meta": { "name": "rootHost:calcExample" , "PREC": "0" },
"data": [ 
{ "secs": 1764118923, "val": 5.0, "nanos": 1000, "severity":0, "status":0 },
{ "secs": 1764118925, "val": 6.0, "nanos": 0, "severity":0, "status":0, "fields": { "cnxlostepsecs": "1764118924", "cnxregainedepsecs": "1764118925" } },
{ "secs": 1764118926, "val": 0.0, "nanos": 0, "severity":3904, "status":0 }
] }
 ]"#;

    #[test]
    fn json_samples_and_connection_loss() {
        let d = parse_json(JSON, "a.json").unwrap();
        let pv = &d.pvs[0];
        assert_eq!(pv.name, "rootHost:calcExample");
        assert_eq!(pv.meta.get("PREC").map(String::as_str), Some("0"));
        assert_eq!(pv.samples[0].t_unix_ns, 1_764_118_923_000_001_000);
        assert_eq!(
            pv.samples[1].connection_lost_unix_ns(),
            Some(1_764_118_924_000_000_000)
        );
        assert_eq!(severity_name(pv.samples[2].severity), "DISCONNECTED");
    }

    #[test]
    fn json_errors_have_lines() {
        let bad = JSON.replace("\"val\": 6.0,", "\"val\": 6.0");
        assert_eq!(parse_json(&bad, "a.json").unwrap_err().line(), Some(5));
        let back = JSON.replace("1764118926", "1764118900");
        assert!(matches!(
            parse_json(&back, "a").unwrap_err(),
            TraceError::OutOfOrder { line: 6, .. }
        ));
        assert!(matches!(
            parse_json("PING x\n", "a").unwrap_err(),
            TraceError::WrongFormat { .. }
        ));
    }

    #[test]
    fn csv_samples() {
        let d = parse_csv(
            "1764118923,5.0,0,0,1000\n1764118924,6.0,1,3,0\n\n",
            "a.csv",
            "pv",
        )
        .unwrap();
        let s = &d.pvs[0].samples;
        assert_eq!(s.len(), 2);
        assert_eq!(s[1].severity, 1);
        assert_eq!(s[1].status, 3);
        assert_eq!(
            parse_csv("1764118923,5.0,0\n", "a.csv", "pv")
                .unwrap_err()
                .line(),
            Some(1)
        );
    }
}

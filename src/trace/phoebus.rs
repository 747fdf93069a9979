//! Phoebus / CS-Studio Data Browser exports: plain (per channel) and spreadsheet (shared time).
//!
//! Format per Phoebus `app/databrowser/.../export/ExportJob.java` (`# ` comment header:
//! `Created by CS-Studio Data Browser`, `Start Time : `, `Source     : `, per channel
//! `# Channel: name`), `PlainExportJob.java` (per channel `# Time<TAB>Value[<TAB>Severity
//! <TAB>Status]` then one row per raw sample) and `SpreadsheetExportJob.java`
//! (`# Time<TAB>name Value[<TAB>Severity<TAB>Status]...` then rows interpolated onto
//! shared stamps, so they are not raw samples). Times use `TimestampFormats.MILLI_FORMAT`
//! (`yyyy-MM-dd HH:mm:ss.SSS`) in the exporting machine's **local zone**; the exporter's
//! Unix-milliseconds option is read too. Missing values are `#N/A`
//! (`Messages.Export_NoValueMarker`). Comma-separated files are accepted when the header
//! has no tab.

use super::error::{Skip, TraceError, numbered_lines};
use super::pv::PvValue;
use super::time::{NS_PER_S, UtcOffset, parse_datetime_prefix};
use serde::Serialize;

/// A parsed Data Browser export.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhoebusExport {
    /// File name given by the caller.
    pub source: String,
    /// True for a spreadsheet export (interpolated onto shared time stamps).
    pub spreadsheet: bool,
    /// Channels in column order.
    pub channels: Vec<PhoebusChannel>,
    /// Comment and blank lines passed over.
    pub skipped: Vec<Skip>,
}

/// One exported channel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhoebusChannel {
    /// PV (or display) name.
    pub name: String,
    /// Samples in file order.
    pub samples: Vec<PhoebusSample>,
}

/// One exported sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PhoebusSample {
    /// 1-based line number.
    pub line: usize,
    /// Time stamp, Unix ns UTC.
    pub t_unix_ns: i64,
    /// Value, None for `#N/A`.
    pub value: Option<PvValue>,
    /// Severity column, if exported.
    pub severity: Option<String>,
    /// Status column, if exported.
    pub status: Option<String>,
}

/// What a column of the current table holds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Col {
    Time,
    Value(usize),
    Severity(usize),
    Status(usize),
    Ignore,
}

/// Parses an export time cell: local `yyyy-MM-dd HH:mm:ss.SSS` or Unix milliseconds.
fn parse_time(cell: &str, off: UtcOffset) -> Option<i64> {
    let c = cell.trim();
    if !c.is_empty() && c.len() <= 16 && c.bytes().all(|b| b.is_ascii_digit()) {
        return c
            .parse::<i64>()
            .ok()
            .and_then(|ms| ms.checked_mul(NS_PER_S / 1000));
    }
    let (ns, used) = parse_datetime_prefix(c.as_bytes())?;
    (used == c.len()).then(|| off.local_to_utc_ns(ns))
}

/// Parses a Data Browser export from `text` in zone `utc_offset`; `source` names the file.
pub fn parse(text: &str, source: &str, utc_offset: UtcOffset) -> Result<PhoebusExport, TraceError> {
    let mut out = PhoebusExport {
        source: source.to_owned(),
        spreadsheet: false,
        channels: Vec::new(),
        skipped: Vec::new(),
    };
    let mut pending_name: Option<String> = None;
    let mut cols: Vec<Col> = Vec::new();
    let mut delim = '\t';
    let mut last_t: Vec<Option<i64>> = Vec::new();
    let mut saw_anything = false;
    for (no, line) in numbered_lines(text) {
        if line.trim().is_empty() {
            continue;
        }
        saw_anything = true;
        if let Some(c) = line.strip_prefix('#') {
            let c = c.trim_start();
            if let Some(name) = c.strip_prefix("Channel:") {
                pending_name = Some(name.trim().to_owned());
            } else if c.starts_with("Time\t") || c.starts_with("Time,") || c == "Time" {
                delim = if c.contains('\t') { '\t' } else { ',' };
                cols.clear();
                let mut current: Option<usize> = None;
                for (i, h) in c.split(delim).enumerate() {
                    let h = h.trim();
                    let col = if i == 0 {
                        Col::Time
                    } else if h == "Severity" {
                        current.map_or(Col::Ignore, Col::Severity)
                    } else if h == "Status" {
                        current.map_or(Col::Ignore, Col::Status)
                    } else if h == "Negative Error" || h == "Positive Error" || h.is_empty() {
                        Col::Ignore
                    } else {
                        let name = match h.strip_suffix(" Value") {
                            Some(n) => {
                                out.spreadsheet = true;
                                n.to_owned()
                            }
                            None if h == "Value" => pending_name
                                .take()
                                .unwrap_or_else(|| format!("channel{}", out.channels.len() + 1)),
                            None => h.to_owned(),
                        };
                        out.channels.push(PhoebusChannel {
                            name,
                            samples: Vec::new(),
                        });
                        last_t.push(None);
                        current = Some(out.channels.len() - 1);
                        Col::Value(out.channels.len() - 1)
                    };
                    cols.push(col);
                }
                if current.is_none() {
                    return Err(TraceError::syntax(
                        source,
                        no,
                        "a value column after '# Time'",
                        line,
                    ));
                }
            }
            out.skipped.push(Skip {
                line: no,
                reason: "export comment",
            });
            continue;
        }
        if cols.is_empty() {
            let e = TraceError::syntax(
                source,
                no,
                "the '# Time<TAB>Value' column header before data rows",
                line,
            );
            return Err(super::refine_error(text, super::Format::Phoebus, e));
        }
        let cells: Vec<&str> = line.split(delim).collect();
        if cells.len() != cols.len() {
            return Err(TraceError::syntax(
                source,
                no,
                format!(
                    "{} {}-separated cells as in the header",
                    cols.len(),
                    if delim == '\t' { "tab" } else { "comma" }
                ),
                line,
            ));
        }
        let Some(t) = cells.first().and_then(|c| parse_time(c, utc_offset)) else {
            return Err(TraceError::syntax(
                source,
                no,
                "a time 'yyyy-MM-dd HH:mm:ss.SSS' in the first column",
                line,
            ));
        };
        let mut row: Vec<(usize, PhoebusSample)> = Vec::new();
        for (col, cell) in cols.iter().zip(cells.iter()) {
            let cell = cell.trim();
            let na = cell == "#N/A";
            match *col {
                Col::Value(ch) => row.push((
                    ch,
                    PhoebusSample {
                        line: no,
                        t_unix_ns: t,
                        value: (!na).then(|| PvValue::from_text(cell)),
                        severity: None,
                        status: None,
                    },
                )),
                Col::Severity(ch) | Col::Status(ch) => {
                    if let Some((_, s)) = row.iter_mut().rev().find(|(c, _)| *c == ch)
                        && !na
                    {
                        if matches!(col, Col::Severity(_)) {
                            s.severity = Some(cell.to_owned());
                        } else {
                            s.status = Some(cell.to_owned());
                        }
                    }
                }
                Col::Time | Col::Ignore => {}
            }
        }
        for (ch, s) in row {
            if let Some(prev) = last_t.get(ch).copied().flatten()
                && t < prev
            {
                return Err(TraceError::OutOfOrder {
                    file: source.to_owned(),
                    line: no,
                    t_unix_ns: t,
                    previous_unix_ns: prev,
                    expected: "export rows in time order per channel".into(),
                });
            }
            if let Some(slot) = last_t.get_mut(ch) {
                *slot = Some(t);
            }
            if let Some(c) = out.channels.get_mut(ch) {
                c.samples.push(s);
            }
        }
    }
    if !saw_anything {
        return Err(TraceError::Empty {
            file: source.to_owned(),
            expected: "a Data Browser export".into(),
        });
    }
    if out.channels.is_empty() {
        return Err(TraceError::syntax(
            source,
            1,
            "a '# Time<TAB>Value' column header",
            text.lines().next().unwrap_or(""),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: &str = "# Created by CS-Studio Data Browser\n#\n# Start Time : 2025-11-26 01:00:00.000\n\
# End Time   : 2025-11-26 02:00:00.000\n# Source     : Raw Archived Data\n#\n\n\
# Channel: rootHost:calcExample\n# Archives:\n# 1) Archiver\n#    URL: pbraw://arch\n#\n\
# Time\tValue\tSeverity\tStatus\n2025-11-26 01:02:03.000\t5\tNONE\tNO_ALARM\n\
2025-11-26 01:02:04.000\t#N/A\t#N/A\t#N/A\n\n# Channel: rootHost:ai1\n#\n# Time\tValue\n\
2025-11-26 01:02:03.500\t5.5\n";

    #[test]
    fn plain_export() {
        let e = parse(PLAIN, "export.tsv", UtcOffset::UTC).unwrap();
        assert!(!e.spreadsheet);
        assert_eq!(e.channels.len(), 2);
        let c = &e.channels[0];
        assert_eq!(c.name, "rootHost:calcExample");
        assert_eq!(c.samples[0].t_unix_ns, 1_764_118_923_000_000_000);
        assert_eq!(c.samples[0].value, Some(PvValue::Number(5.0)));
        assert_eq!(c.samples[0].severity.as_deref(), Some("NONE"));
        assert_eq!(c.samples[1].value, None);
        assert_eq!(e.channels[1].samples[0].value, Some(PvValue::Number(5.5)));
    }

    #[test]
    fn spreadsheet_export_and_errors() {
        let text = "# Channel: a\n#\n# Channel: b\n#\n\n# Time\ta Value\tSeverity\tStatus\tb Value\tSeverity\tStatus\n\
2025-11-26 02:02:03.000\t1\tNONE\tNO_ALARM\t#N/A\t#N/A\t#N/A\n";
        let e = parse(text, "s", "+01:00".parse().unwrap()).unwrap();
        assert!(e.spreadsheet);
        assert_eq!(
            e.channels[0].samples[0].t_unix_ns,
            1_764_118_923_000_000_000
        );
        assert_eq!(e.channels[1].samples[0].value, None);
        let bad = text.replace("\t#N/A\t#N/A\t#N/A\n", "\n");
        assert_eq!(
            parse(&bad, "s", UtcOffset::UTC).unwrap_err().line(),
            Some(7)
        );
        assert!(matches!(
            parse("", "s", UtcOffset::UTC),
            Err(TraceError::Empty { .. })
        ));
    }
}

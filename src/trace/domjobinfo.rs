//! `virsh domjobinfo` text: one snapshot, or a series of snapshots each after a stamp line.
//!
//! Labels and units per libvirt `tools/virsh-domain.c` (`cmdDomjobinfo`): `%-17s %-12s`
//! for `Job type:` (`None`, `Bounded`, `Unbounded`, `Completed`, `Failed`, `Cancelled`),
//! `%-17s %-12llu ms` for `Time elapsed:`, `Time elapsed w/o network:`, `Time remaining:`,
//! `Total downtime:` / `Expected downtime:`, `Downtime w/o network:`, `Setup time:`;
//! `%-17s %-.3lf %s` through `vshPrettyCapacity` (B, KiB, MiB, GiB, TiB, PiB, EiB) for
//! `Data/Memory/File processed/remaining/total:` and `Normal data:`; `%s/s` for `Memory
//! bandwidth:` and `File bandwidth:`; `%-12llu pages/s` for `Dirty rate:`; plain counts for
//! `Iteration:`, `Constant pages:`, `Normal pages:`, `Postcopy requests:`, `Page size:`;
//! `%-13d` for `Auto converge throttle:`. Labels this parser does not map (compression,
//! newer additions) are kept verbatim in `other`.
//!
//! Sizes are printed with three decimals of the chosen unit, so a byte count read back is
//! exact only to half a thousandth of that unit (about 0.5 KiB at MiB scale).

use super::error::{Skip, Step, TraceError, numbered_lines, step};
use super::time::{parse_decimal_seconds_ns, parse_rfc3339_ns};
use serde::Serialize;
use std::collections::BTreeMap;

/// One `virsh domjobinfo` snapshot.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct DomJobInfo {
    /// 1-based line of `Job type:`.
    pub line: usize,
    /// Time the snapshot was taken (series stamp line), Unix ns.
    pub t_unix_ns: Option<i64>,
    /// `Job type:` (`Unbounded`, `Completed`, `None`, ...).
    pub job_type: String,
    /// `Operation:` (newer libvirt).
    pub operation: Option<String>,
    /// `Time elapsed:`.
    pub time_elapsed_ms: Option<u64>,
    /// `Time elapsed w/o network:`.
    pub time_elapsed_net_ms: Option<u64>,
    /// `Time remaining:` (bounded jobs).
    pub time_remaining_ms: Option<u64>,
    /// `Data processed:`.
    pub data_processed_bytes: Option<u64>,
    /// `Data remaining:`.
    pub data_remaining_bytes: Option<u64>,
    /// `Data total:`.
    pub data_total_bytes: Option<u64>,
    /// `Memory processed:`.
    pub memory_processed_bytes: Option<u64>,
    /// `Memory remaining:`.
    pub memory_remaining_bytes: Option<u64>,
    /// `Memory total:`.
    pub memory_total_bytes: Option<u64>,
    /// `Memory bandwidth:`, bytes per second.
    pub memory_bandwidth_bytes_s: Option<u64>,
    /// `Dirty rate:`, pages per second.
    pub dirty_rate_pages_s: Option<u64>,
    /// `Page size:`.
    pub page_size_bytes: Option<u64>,
    /// `Iteration:` (QEMU's dirty-sync count).
    pub iteration: Option<u64>,
    /// `Postcopy requests:`.
    pub postcopy_requests: Option<u64>,
    /// `Constant pages:` (zero pages).
    pub constant_pages: Option<u64>,
    /// `Normal pages:`.
    pub normal_pages: Option<u64>,
    /// `Normal data:`.
    pub normal_data_bytes: Option<u64>,
    /// `File processed:`.
    pub file_processed_bytes: Option<u64>,
    /// `File remaining:`.
    pub file_remaining_bytes: Option<u64>,
    /// `File total:`.
    pub file_total_bytes: Option<u64>,
    /// `Total downtime:` (completed jobs).
    pub total_downtime_ms: Option<u64>,
    /// `Expected downtime:` (running jobs).
    pub expected_downtime_ms: Option<u64>,
    /// `Downtime w/o network:`.
    pub downtime_net_ms: Option<u64>,
    /// `Setup time:`.
    pub setup_time_ms: Option<u64>,
    /// `Auto converge throttle:`, percent.
    pub auto_converge_throttle_pct: Option<u32>,
    /// Labels not mapped above, verbatim (label without colon → trimmed value).
    pub other: BTreeMap<String, String>,
}

/// A series of snapshots.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DomJobInfoSeries {
    /// File name given by the caller.
    pub source: String,
    /// Snapshots in time order.
    pub samples: Vec<DomJobInfo>,
    /// Lines or blocks skipped (virsh error messages, repeated stamps).
    pub skipped: Vec<Skip>,
}

/// Parses "114.281 MiB" (vshPrettyCapacity) into bytes; `per_s` requires a "/s" suffix.
fn capacity(v: &str, per_s: bool) -> Option<u64> {
    let mut it = v.split_whitespace();
    let num: f64 = it.next()?.parse().ok()?;
    let unit = it.next()?;
    let unit = if per_s {
        unit.strip_suffix("/s")?
    } else {
        unit
    };
    let scale = match unit {
        "B" | "bytes" => 1.0,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        "TiB" => 1024f64.powi(4),
        "PiB" => 1024f64.powi(5),
        "EiB" => 1024f64.powi(6),
        _ => return None,
    };
    let bytes = num * scale;
    ((0.0..1.8e19).contains(&bytes) && it.next().is_none()).then(|| bytes.round() as u64)
}

/// Parses "1234 ms" / "1234 pages/s" / "1234" (with any padding) for the given suffix.
fn count(v: &str, suffix: Option<&str>) -> Option<u64> {
    let mut it = v.split_whitespace();
    let n = it.next()?.parse().ok()?;
    match (suffix, it.next()) {
        (None, None) => Some(n),
        (Some(s), Some(u)) if u == s => it.next().is_none().then_some(n),
        _ => None,
    }
}

/// Parses one snapshot's lines (label lines only) into `info`.
fn apply(info: &mut DomJobInfo, label: &str, value: &str) -> Result<(), &'static str> {
    let v = value.trim();
    macro_rules! set {
        ($f:ident, $e:expr, $what:literal) => {{
            info.$f = Some($e.ok_or($what)?);
        }};
    }
    match label {
        "Job type" => info.job_type = v.to_owned(),
        "Operation" => info.operation = Some(v.to_owned()),
        "Time elapsed" => set!(time_elapsed_ms, count(v, Some("ms")), "'N ms'"),
        "Time elapsed w/o network" => set!(time_elapsed_net_ms, count(v, Some("ms")), "'N ms'"),
        "Time remaining" => set!(time_remaining_ms, count(v, Some("ms")), "'N ms'"),
        "Data processed" => set!(
            data_processed_bytes,
            capacity(v, false),
            "a size like '114.281 MiB'"
        ),
        "Data remaining" => set!(
            data_remaining_bytes,
            capacity(v, false),
            "a size like '114.281 MiB'"
        ),
        "Data total" => set!(
            data_total_bytes,
            capacity(v, false),
            "a size like '114.281 MiB'"
        ),
        "Memory processed" => set!(
            memory_processed_bytes,
            capacity(v, false),
            "a size like '114.281 MiB'"
        ),
        "Memory remaining" => set!(
            memory_remaining_bytes,
            capacity(v, false),
            "a size like '114.281 MiB'"
        ),
        "Memory total" => set!(
            memory_total_bytes,
            capacity(v, false),
            "a size like '114.281 MiB'"
        ),
        "Memory bandwidth" => set!(
            memory_bandwidth_bytes_s,
            capacity(v, true),
            "a rate like '56.234 MiB/s'"
        ),
        "Dirty rate" => set!(dirty_rate_pages_s, count(v, Some("pages/s")), "'N pages/s'"),
        "Page size" => set!(
            page_size_bytes,
            count(v, None).or_else(|| capacity(v, false)),
            "a page size"
        ),
        "Iteration" => set!(iteration, count(v, None), "an integer"),
        "Postcopy requests" => set!(postcopy_requests, count(v, None), "an integer"),
        "Constant pages" => set!(constant_pages, count(v, None), "an integer"),
        "Normal pages" => set!(normal_pages, count(v, None), "an integer"),
        "Normal data" => set!(
            normal_data_bytes,
            capacity(v, false),
            "a size like '114.281 MiB'"
        ),
        "File processed" => set!(
            file_processed_bytes,
            capacity(v, false),
            "a size like '114.281 MiB'"
        ),
        "File remaining" => set!(
            file_remaining_bytes,
            capacity(v, false),
            "a size like '114.281 MiB'"
        ),
        "File total" => set!(
            file_total_bytes,
            capacity(v, false),
            "a size like '114.281 MiB'"
        ),
        "Total downtime" => set!(total_downtime_ms, count(v, Some("ms")), "'N ms'"),
        "Expected downtime" => set!(expected_downtime_ms, count(v, Some("ms")), "'N ms'"),
        "Downtime w/o network" => set!(downtime_net_ms, count(v, Some("ms")), "'N ms'"),
        "Setup time" => set!(setup_time_ms, count(v, Some("ms")), "'N ms'"),
        "Auto converge throttle" => {
            set!(
                auto_converge_throttle_pct,
                count(v, None).and_then(|n| u32::try_from(n).ok()),
                "a percentage"
            )
        }
        _ => {
            info.other.insert(label.to_owned(), v.to_owned());
        }
    }
    Ok(())
}

/// Parses one `virsh domjobinfo` output; `source` names the file in errors.
pub fn parse(text: &str, source: &str) -> Result<DomJobInfo, TraceError> {
    let series = parse_blocks(text, source, false)?;
    series
        .samples
        .into_iter()
        .next()
        .ok_or_else(|| TraceError::Empty {
            file: source.to_owned(),
            expected: "virsh domjobinfo output ('Job type: ...')".into(),
        })
}

/// Parses a series: a stamp line (`date +%s.%N` or RFC 3339), then a `virsh domjobinfo`
/// output, repeated; `source` names the file in errors.
pub fn parse_series(text: &str, source: &str) -> Result<DomJobInfoSeries, TraceError> {
    parse_blocks(text, source, true)
}

/// A stamp line of a series, if `line` is one.
fn stamp(line: &str) -> Option<i64> {
    let t = line.trim();
    parse_decimal_seconds_ns(t).or_else(|| parse_rfc3339_ns(t))
}

fn parse_blocks(text: &str, source: &str, series: bool) -> Result<DomJobInfoSeries, TraceError> {
    let mut out = DomJobInfoSeries {
        source: source.to_owned(),
        samples: Vec::new(),
        skipped: Vec::new(),
    };
    let mut cur: Option<DomJobInfo> = None;
    let mut pending_t: Option<(usize, i64)> = None;
    let mut last_t: Option<i64> = None;
    let mut drop_block = false;
    let finish = |cur: &mut Option<DomJobInfo>, out: &mut DomJobInfoSeries, drop_block: bool| {
        if let Some(c) = cur.take()
            && !drop_block
        {
            out.samples.push(c);
        }
    };
    for (no, line) in numbered_lines(text) {
        if line.trim().is_empty() {
            continue;
        }
        if series && let Some(t) = stamp(line) {
            finish(&mut cur, &mut out, drop_block);
            drop_block = false;
            if step(
                &mut last_t,
                t,
                source,
                no,
                "snapshot stamps in increasing order",
            )? == Step::Repeat
            {
                out.skipped.push(Skip {
                    line: no,
                    reason: "repeated stamp: snapshot dropped",
                });
                drop_block = true;
            }
            pending_t = Some((no, t));
            continue;
        }
        if line.starts_with("error:") || line.starts_with("warning:") {
            out.skipped.push(Skip {
                line: no,
                reason: "virsh error message",
            });
            continue;
        }
        let Some((label, value)) = line.split_once(':') else {
            let e = TraceError::syntax(source, no, "'Label: value' (domjobinfo)", line);
            return Err(if out.samples.is_empty() && cur.is_none() {
                super::refine_error(
                    text,
                    if series {
                        super::Format::DomjobinfoSeries
                    } else {
                        super::Format::Domjobinfo
                    },
                    e,
                )
            } else {
                e
            });
        };
        let label = label.trim();
        if label == "Job type" {
            if !series && (cur.is_some() || !out.samples.is_empty()) {
                return Err(TraceError::syntax(
                    source,
                    no,
                    "one domjobinfo output (use the series format for several)",
                    line,
                ));
            }
            finish(&mut cur, &mut out, drop_block);
            if series && pending_t.is_none() {
                return Err(TraceError::syntax(
                    source,
                    no,
                    "a stamp line (Unix seconds or RFC 3339) before 'Job type:'",
                    line,
                ));
            }
            cur = Some(DomJobInfo {
                line: no,
                t_unix_ns: pending_t.take().map(|(_, t)| t),
                ..DomJobInfo::default()
            });
        }
        let Some(info) = cur.as_mut() else {
            let e = TraceError::syntax(
                source,
                no,
                "'Job type:' as the first line of a domjobinfo output",
                line,
            );
            return Err(super::refine_error(
                text,
                if series {
                    super::Format::DomjobinfoSeries
                } else {
                    super::Format::Domjobinfo
                },
                e,
            ));
        };
        if let Err(what) = apply(info, label, value) {
            return Err(TraceError::syntax(
                source,
                no,
                format!("{what} after '{label}:'"),
                line,
            ));
        }
    }
    finish(&mut cur, &mut out, drop_block);
    if out.samples.is_empty() && !series {
        return Err(TraceError::Empty {
            file: source.to_owned(),
            expected: "virsh domjobinfo output".into(),
        });
    }
    if out.samples.is_empty() && out.skipped.is_empty() {
        return Err(TraceError::Empty {
            file: source.to_owned(),
            expected: "stamped virsh domjobinfo outputs".into(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUNNING: &str = "\
Job type:         Unbounded   
Operation:        Outgoing migration
Time elapsed:     4203         ms
Data processed:   114.281 MiB
Data remaining:   398.004 MiB
Data total:       520.125 MiB
Memory processed: 114.281 MiB
Memory remaining: 398.004 MiB
Memory total:     520.125 MiB
Memory bandwidth: 27.208 MiB/s
Dirty rate:       2048         pages/s
Page size:        4096         
Iteration:        1            
Postcopy requests: 0            
Constant pages:   2034         
Normal pages:     29177        
Normal data:      113.973 MiB
Expected downtime: 300          ms
Setup time:       12           ms
Auto converge throttle: 20           

";

    #[test]
    fn parses_running_snapshot() {
        let j = parse(RUNNING, "domjobinfo.txt").unwrap();
        assert_eq!(j.job_type, "Unbounded");
        assert_eq!(j.time_elapsed_ms, Some(4203));
        assert_eq!(
            j.memory_processed_bytes,
            Some((114.281f64 * 1048576.0).round() as u64)
        );
        assert_eq!(
            j.memory_bandwidth_bytes_s,
            Some((27.208f64 * 1048576.0).round() as u64)
        );
        assert_eq!(j.dirty_rate_pages_s, Some(2048));
        assert_eq!(j.iteration, Some(1));
        assert_eq!(j.expected_downtime_ms, Some(300));
        assert_eq!(j.auto_converge_throttle_pct, Some(20));
        assert_eq!(j.operation.as_deref(), Some("Outgoing migration"));
    }

    #[test]
    fn parses_series_with_noise() {
        let text = format!(
            "1764118923.100000000\n{RUNNING}1764118924.1\nerror: Requested operation is not valid: domain is not running\n\n\
2025-11-26T01:02:05Z\nJob type:         Completed   \nTime elapsed:     9000         ms\nTotal downtime:   35           ms\n\n"
        );
        let s = parse_series(&text, "series.txt").unwrap();
        assert_eq!(s.samples.len(), 2);
        assert_eq!(s.samples[0].t_unix_ns, Some(1_764_118_923_100_000_000));
        assert_eq!(s.samples[1].job_type, "Completed");
        assert_eq!(s.samples[1].total_downtime_ms, Some(35));
        assert_eq!(s.skipped.len(), 1);
    }

    #[test]
    fn bad_values_name_line_and_label() {
        let bad = RUNNING.replace("4203         ms", "4203 s");
        let e = parse(&bad, "d.txt").unwrap_err();
        assert_eq!(e.line(), Some(3));
        assert!(e.to_string().contains("Time elapsed"));
        assert!(matches!(
            parse("", "d").unwrap_err(),
            TraceError::Empty { .. }
        ));
        let twice = format!("{RUNNING}{RUNNING}");
        assert!(parse(&twice, "d").is_err());
        let back = format!("20\n{RUNNING}10\n{RUNNING}");
        assert!(matches!(
            parse_series(&back, "d").unwrap_err(),
            TraceError::OutOfOrder { .. }
        ));
    }
}

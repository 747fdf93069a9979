//! EPICS base `camonitor` output: default form, `-t` stamp options, alarms, arrays, events.
//!
//! Format per EPICS base `modules/ca/src/tools/tool_lib.c` (`print_time_val_sts`): the PV
//! name `%-30s` for scalars with the default space separator (plain `%s` for arrays or a
//! `-F` separator), then the separator; the server stamp `%Y-%m-%d %H:%M:%S.%06f` in the
//! **IOC host's local time** (`<undefined>` for a zero stamp); with `-tc`/`-tsc` the client
//! stamp in parentheses right after it, `(...)`; with `-tr`/`-ti`/`-tI` every update after a
//! channel's first prints `              %+12.6f` (and `              (%+12.6f)`) instead;
//! then `sep value` (arrays: `sep count` and `sep value` each), then `sep STAT sep SEVR`
//! when in alarm or two separators when not. Event lines: `*** Not connected (PV not
//! found)`, `<client time> *** disconnected`, `*** no read access`, `*** CA error ...`,
//! `*** no data available (timeout)` (`modules/ca/src/tools/camonitor.c` prints these
//! from its connection handler). CA client exception blocks that libca writes to stderr
//! are skipped when a recorder merged the streams.

use super::error::{Skip, TraceError, numbered_lines};
use super::time::{DateCache, UtcOffset, parse_datetime_prefix, parse_decimal_seconds_ns};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// Which `-t` stamp type camonitor was run with (it cannot be told from the output alone).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CaTimeMode {
    /// Absolute stamps (default, `-ts`, `-tc`, `-tsc`).
    #[default]
    Absolute,
    /// `-tr`: seconds since the first server stamp / since camonitor started.
    Relative,
    /// `-ti`: seconds since the previous update of any channel.
    Incremental,
    /// `-tI`: seconds since the previous update of the same channel.
    IncrementalByChannel,
}

/// How to read a camonitor file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CamonitorOptions {
    /// Zone of the printed local times (both IOC and client clocks are printed in local time).
    pub utc_offset: UtcOffset,
    /// The `-t` stamp type.
    pub time_mode: CaTimeMode,
    /// The `-F` field separator (ASCII), space by default.
    pub separator: u8,
    /// Accept lines with no stamp at all (`-tn`).
    pub allow_unstamped: bool,
}

impl CamonitorOptions {
    /// Options for the default absolute output in zone `utc_offset`.
    pub fn new(utc_offset: UtcOffset) -> Self {
        CamonitorOptions {
            utc_offset,
            time_mode: CaTimeMode::Absolute,
            separator: b' ',
            allow_unstamped: false,
        }
    }
}

/// A parsed camonitor log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CamonitorLog {
    /// File name given by the caller.
    pub source: String,
    /// PV names in order of first appearance; records refer to them by index.
    pub pvs: Vec<String>,
    /// Updates and connection events in file order.
    pub records: Vec<CaRecord>,
    /// Lines skipped as known noise.
    pub skipped: Vec<Skip>,
}

/// One line of camonitor output.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaRecord {
    /// 1-based line number.
    pub line: usize,
    /// Index into [`CamonitorLog::pvs`].
    pub pv: u32,
    /// Server (IOC) stamp, Unix ns UTC; None if absent, `<undefined>`, or relative and unresolvable.
    pub server_t_unix_ns: Option<i64>,
    /// Client stamp, Unix ns UTC; None if not printed or unresolvable.
    pub client_t_unix_ns: Option<i64>,
    /// What the line reports.
    pub kind: CaRecordKind,
}

/// What a camonitor line reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum CaRecordKind {
    /// A monitor update.
    Update {
        /// The value as printed.
        value: CaValue,
        /// Alarm status and severity, when printed (only when not NO_ALARM).
        alarm: Option<Alarm>,
        /// The server stamp was `<undefined>` (never processed record).
        server_undefined: bool,
    },
    /// `*** disconnected` (client stamp in `client_t_unix_ns`).
    Disconnected,
    /// `*** Not connected (PV not found)`.
    NotConnected,
    /// `*** no read access`.
    NoReadAccess,
    /// `*** CA error ...` with its message, or `*** no data available (timeout)`.
    CaError {
        /// Message as printed.
        message: String,
    },
}

/// A printed value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum CaValue {
    /// A number (also from `0x..`, `0o..` integer formats).
    Number(f64),
    /// An array: count then numeric elements.
    Numbers(Vec<f64>),
    /// Anything else (strings, enum names, `-S` long strings).
    Text(String),
}

/// An alarm status / severity pair as printed by camonitor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Alarm {
    /// Status name, e.g. `HIHI`, `UDF`, `COMM`.
    pub status: &'static str,
    /// Severity name: `NO_ALARM`, `MINOR`, `MAJOR` or `INVALID`.
    pub severity: &'static str,
}

/// EPICS alarm status names (`epicsAlarmConditionStrings`).
pub const STATUS_NAMES: [&str; 22] = [
    "NO_ALARM",
    "READ",
    "WRITE",
    "HIHI",
    "HIGH",
    "LOLO",
    "LOW",
    "STATE",
    "COS",
    "COMM",
    "TIMEOUT",
    "HWLIMIT",
    "CALC",
    "SCAN",
    "LINK",
    "SOFT",
    "BAD_SUB",
    "UDF",
    "DISABLE",
    "SIMM",
    "READ_ACCESS",
    "WRITE_ACCESS",
];

/// EPICS alarm severity names (`epicsAlarmSeverityStrings`).
pub const SEVERITY_NAMES: [&str; 4] = ["NO_ALARM", "MINOR", "MAJOR", "INVALID"];

/// True if `line` looks like a camonitor update or event line (used by format detection).
pub(crate) fn looks_like(line: &str) -> bool {
    let b = line.as_bytes();
    let Some(sp) = b.iter().position(|&c| c == b' ') else {
        return false;
    };
    let rest = trim_spaces(b.get(sp..).unwrap_or(&[]));
    parse_datetime_prefix(rest).is_some()
        || rest.starts_with(b"<undefined>")
        || rest.starts_with(b"*** ")
        || (rest.first() == Some(&b'(')
            && parse_datetime_prefix(rest.get(1..).unwrap_or(&[])).is_some())
}

/// `b` without leading spaces.
#[inline]
fn trim_spaces(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|&&c| c == b' ').count();
    b.get(n..).unwrap_or(&[])
}

/// A stamp as printed: absolute (local-as-UTC ns), undefined, or a signed delta (ns).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Stamp {
    Abs(i64),
    Undefined,
    Delta(i64),
}

/// Parses a stamp at the start of `b`; returns it and the bytes used.
#[inline]
fn parse_stamp(b: &[u8], dates: &mut DateCache) -> Option<(Stamp, usize)> {
    match b.first()? {
        b'0'..=b'9' => dates.datetime_prefix(b).map(|(ns, n)| (Stamp::Abs(ns), n)),
        b'<' if b.starts_with(b"<undefined>") => Some((Stamp::Undefined, 11)),
        b'+' | b'-' => {
            let n = 1 + b
                .get(1..)?
                .iter()
                .take_while(|c| c.is_ascii_digit() || **c == b'.')
                .count();
            let s = std::str::from_utf8(b.get(..n)?).ok()?;
            let ns = parse_decimal_seconds_ns(s.trim_start_matches('+'))?;
            Some((Stamp::Delta(ns), n))
        }
        _ => None,
    }
}

/// Parses a client stamp `(...)` at the start of `b` (inner padding allowed for deltas).
#[inline]
fn parse_client(b: &[u8], dates: &mut DateCache) -> Option<(Stamp, usize)> {
    if b.first() != Some(&b'(') {
        return None;
    }
    let close = b.iter().position(|&c| c == b')')?;
    let inner = trim_spaces(b.get(1..close)?);
    let (st, n) = parse_stamp(inner, dates)?;
    (n == inner.len()).then_some((st, close + 1))
}

/// Interprets a printed value.
#[inline]
fn parse_value(v: &str, sep: u8) -> CaValue {
    if !v.as_bytes().contains(&sep) {
        return match number(v) {
            Some(x) => CaValue::Number(x),
            None => CaValue::Text(v.to_owned()),
        };
    }
    let mut it = v.split(char::from(sep)).filter(|t| !t.is_empty());
    if let Some(count) = it.next().and_then(|c| c.parse::<u64>().ok()) {
        let vals: Option<Vec<f64>> = it.map(number).collect();
        if let Some(vals) = vals
            && vals.len() as u64 == count
        {
            return CaValue::Numbers(vals);
        }
    }
    CaValue::Text(v.to_owned())
}

/// A number in one of camonitor's formats (`%g`, `%f`, `%e`, `0x`, `0o`).
#[inline]
fn number(t: &str) -> Option<f64> {
    if let Ok(x) = t.parse::<f64>() {
        return Some(x);
    }
    let (neg, u) = match t.strip_prefix('-') {
        Some(u) => (true, u),
        None => (false, t),
    };
    let v = if let Some(h) = u.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()?
    } else if let Some(o) = u.strip_prefix("0o") {
        i64::from_str_radix(o, 8).ok()?
    } else {
        return None;
    };
    Some(if neg { -(v as f64) } else { v as f64 })
}

/// Splits a trailing `STAT SEVR` pair off `v` (already right-trimmed of separators).
#[inline]
fn split_alarm(v: &str, sep: char) -> (&str, Option<Alarm>) {
    let Some((head, sevr)) = v.rsplit_once(sep) else {
        return (v, None);
    };
    let Some(severity) = SEVERITY_NAMES.iter().find(|s| **s == sevr) else {
        return (v, None);
    };
    let Some((value, stat)) = head.rsplit_once(sep) else {
        return (v, None);
    };
    match STATUS_NAMES.iter().find(|s| **s == stat) {
        Some(status) => (value, Some(Alarm { status, severity })),
        None => (v, None),
    }
}

/// Per-file state for resolving relative and incremental stamps.
#[derive(Default)]
struct Resolver {
    first_server: Option<i64>,
    prev: (Option<i64>, Option<i64>),
    prev_by_pv: Vec<(Option<i64>, Option<i64>)>,
}

/// Parses camonitor output from `text`; `source` names the file in errors.
pub fn parse(
    text: &str,
    source: &str,
    opts: &CamonitorOptions,
) -> Result<CamonitorLog, TraceError> {
    let sep = opts.separator;
    let sep_c = char::from(sep);
    if !sep.is_ascii() {
        return Err(TraceError::Option {
            file: source.to_owned(),
            message: "the camonitor field separator must be an ASCII character".into(),
        });
    }
    let mut log = CamonitorLog {
        source: source.to_owned(),
        pvs: Vec::new(),
        records: Vec::with_capacity(text.len() / 90),
        skipped: Vec::new(),
    };
    let mut index: HashMap<String, u32> = HashMap::new();
    let mut res = Resolver::default();
    // Client stamps must not go back within a channel. Across channels a recorder with
    // one task per PV may print a few microseconds out of order; that is not noise.
    let mut last_client: Vec<Option<i64>> = Vec::new();
    let mut in_exception = false;
    let mut dates = DateCache::default();
    let mut meaningful = 0usize;
    let off = opts.utc_offset;
    for (no, line) in numbered_lines(text) {
        let b = line.as_bytes();
        if b.is_empty() || b.iter().all(|c| c.is_ascii_whitespace()) {
            continue;
        }
        let first = meaningful == 0;
        let err = |exp: &str| {
            let e = TraceError::syntax(source, no, exp, line);
            Err(if first {
                super::refine_error(text, super::Format::Camonitor, e)
            } else {
                e
            })
        };
        // libca's exception report: a header, indented fields, a dotted trailer.
        if b.starts_with(b"CA.Client.Exception") {
            in_exception = true;
            log.skipped.push(Skip {
                line: no,
                reason: "CA client exception report (stderr)",
            });
            continue;
        }
        if in_exception {
            if b.first() == Some(&b' ') || b.first() == Some(&b'\t') || b.starts_with(b"....") {
                in_exception = !b.starts_with(b"....");
                log.skipped.push(Skip {
                    line: no,
                    reason: "CA client exception report (stderr)",
                });
                continue;
            }
            in_exception = false;
        }
        if b.first() == Some(&b' ') || b.first() == Some(&sep) {
            return err("a PV name at the start of the line");
        }
        let Some(name_end) = b.iter().position(|&c| c == sep) else {
            return err("a PV name followed by a separator and a timestamp");
        };
        let name = line.get(..name_end).unwrap_or("");
        let mut rest = b.get(name_end + 1..).unwrap_or(&[]);
        if sep == b' ' {
            rest = trim_spaces(rest);
        }
        let pv = if let Some(last) = log.records.last().map(|r| r.pv)
            && log.pvs.get(last as usize).map(String::as_str) == Some(name)
        {
            last
        } else if let Some(i) = (log.pvs.len() <= 16)
            .then(|| log.pvs.iter().position(|p| p == name))
            .flatten()
        {
            // Few PVs: a scan beats hashing the name on every line.
            u32::try_from(i).unwrap_or(u32::MAX)
        } else if let Some(&i) = (log.pvs.len() > 16).then(|| index.get(name)).flatten() {
            i
        } else {
            let i = u32::try_from(log.pvs.len()).unwrap_or(u32::MAX);
            log.pvs.push(name.to_owned());
            index.insert(name.to_owned(), i);
            res.prev_by_pv.push((None, None));
            i
        };
        meaningful += 1;
        if let Some(ev) = rest.strip_prefix(b"*** ") {
            let kind = if ev.starts_with(b"Not connected") {
                CaRecordKind::NotConnected
            } else {
                return err("'*** Not connected (PV not found)' or a stamp before '***'");
            };
            log.records.push(CaRecord {
                line: no,
                pv,
                server_t_unix_ns: None,
                client_t_unix_ns: None,
                kind,
            });
            continue;
        }
        let mut server = None;
        let mut client = None;
        if let Some((st, n)) = parse_stamp(rest, &mut dates) {
            server = Some(st);
            rest = rest.get(n..).unwrap_or(&[]);
            if sep == b' ' && matches!(st, Stamp::Delta(_)) {
                rest = trim_spaces(rest);
            }
        }
        if sep == b' ' && server.is_none() {
            rest = trim_spaces(rest);
        }
        if let Some((st, n)) = parse_client(rest, &mut dates) {
            client = Some(st);
            rest = rest.get(n..).unwrap_or(&[]);
        }
        // Event lines print the client's clock as a bare stamp, then " *** ...".
        if let Some(ev) = rest.strip_prefix(b" *** ") {
            let Some(Stamp::Abs(t)) = server else {
                return err("an absolute client stamp before '***'");
            };
            let t = off.local_to_utc_ns(t);
            let kind = if ev.starts_with(b"disconnected") {
                CaRecordKind::Disconnected
            } else if ev.starts_with(b"no read access") {
                CaRecordKind::NoReadAccess
            } else {
                CaRecordKind::CaError {
                    message: String::from_utf8_lossy(ev).trim().to_owned(),
                }
            };
            if let Some(prev) = last_client.get(pv as usize).copied().flatten()
                && t < prev
            {
                return Err(out_of_order(source, no, t, prev));
            }
            set_last(&mut last_client, pv, t);
            log.records.push(CaRecord {
                line: no,
                pv,
                server_t_unix_ns: None,
                client_t_unix_ns: Some(t),
                kind,
            });
            continue;
        }
        if server.is_none() && client.is_none() && !opts.allow_unstamped {
            return err(
                "a stamp 'YYYY-MM-DD HH:MM:SS.ffffff' or '(client stamp)' after the PV name",
            );
        }
        // The value follows one separator; then two separators or "STAT SEVR".
        let unstamped = server.is_none() && client.is_none();
        let Some(vb) = (if unstamped {
            Some(rest)
        } else {
            rest.strip_prefix(&[sep][..])
        }) else {
            return err("a separator and a value after the stamps");
        };
        // vb is a tail of the line cut after ASCII bytes, so it starts on a char boundary.
        let Some(vs) = line.get(line.len() - vb.len()..) else {
            return err("UTF-8 text");
        };
        let vs = vs.trim_end_matches([sep_c, ' ']);
        let (vs, alarm) = split_alarm(vs, sep_c);
        if vs.is_empty() {
            return err("a value after the stamps");
        }
        let value = parse_value(vs, sep);
        // Resolve stamps to absolute UTC.
        let slot = res
            .prev_by_pv
            .get(pv as usize)
            .copied()
            .unwrap_or((None, None));
        let resolve = |st: Option<Stamp>, is_server: bool| -> Result<Option<i64>, TraceError> {
            Ok(match st {
                None | Some(Stamp::Undefined) => None,
                Some(Stamp::Abs(t)) => Some(off.local_to_utc_ns(t)),
                Some(Stamp::Delta(d)) => {
                    let base = match opts.time_mode {
                        CaTimeMode::Absolute => {
                            return Err(TraceError::syntax(
                                source,
                                no,
                                "an absolute stamp (relative stamps need the -t mode: r, i or I)",
                                line,
                            ));
                        }
                        // The client reference of -tr is camonitor's start, never printed.
                        CaTimeMode::Relative => is_server.then_some(res.first_server).flatten(),
                        CaTimeMode::Incremental => {
                            if is_server {
                                res.prev.0
                            } else {
                                res.prev.1
                            }
                        }
                        CaTimeMode::IncrementalByChannel => {
                            if is_server {
                                slot.0
                            } else {
                                slot.1
                            }
                        }
                    };
                    base.map(|b| b.saturating_add(d))
                }
            })
        };
        let s_abs = resolve(server, true)?;
        let c_abs = resolve(client, false)?;
        if res.first_server.is_none() {
            res.first_server = s_abs;
        }
        if let Some(c) = c_abs {
            if matches!(client, Some(Stamp::Abs(_)))
                && let Some(prev) = last_client.get(pv as usize).copied().flatten()
                && c < prev
            {
                return Err(out_of_order(source, no, c, prev));
            }
            set_last(&mut last_client, pv, c);
        }
        res.prev = (s_abs, c_abs);
        if let Some(p) = res.prev_by_pv.get_mut(pv as usize) {
            *p = (s_abs, c_abs);
        }
        log.records.push(CaRecord {
            line: no,
            pv,
            server_t_unix_ns: s_abs,
            client_t_unix_ns: c_abs,
            kind: CaRecordKind::Update {
                value,
                alarm,
                server_undefined: server == Some(Stamp::Undefined),
            },
        });
    }
    if meaningful == 0 {
        return Err(TraceError::Empty {
            file: source.to_owned(),
            expected: "camonitor output".into(),
        });
    }
    Ok(log)
}

fn set_last(last: &mut Vec<Option<i64>>, pv: u32, t: i64) {
    let i = pv as usize;
    if last.len() <= i {
        last.resize(i + 1, None);
    }
    last[i] = Some(t);
}

/// The error for a client stamp earlier than the previous one of the same channel.
fn out_of_order(source: &str, line: usize, t: i64, prev: i64) -> TraceError {
    TraceError::OutOfOrder {
        file: source.to_owned(),
        line,
        t_unix_ns: t,
        previous_unix_ns: prev,
        expected: "client stamps of a channel in print order (non-decreasing)".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc() -> CamonitorOptions {
        CamonitorOptions::new(UtcOffset::UTC)
    }

    /// 2025-11-26 01:02:03 UTC.
    const T0: i64 = 1_764_118_923_000_000_000;

    const TSC: &str = "\
rootHost:calcExample           2025-11-26 01:02:03.000000(2025-11-26 01:02:03.001200) 5  
rootHost:ai1                   2025-11-26 01:02:03.000000(2025-11-26 01:02:03.001300) 5  
rootHost:calcExample           2025-11-26 01:02:04.000000(2025-11-26 01:02:04.001100) 6 HIGH MINOR
rootHost:calcExample           2025-11-26 01:02:05.000000(2025-11-26 01:02:07.500000) *** disconnected
rootHost:calcExample           2025-11-26 01:02:08.000000 *** disconnected
a:very:long:pv:name:that:exceeds:thirty 2025-11-26 01:02:08.100000(2025-11-26 01:02:08.200000) hello world  
rootHost:wave 2025-11-26 01:02:09.000000(2025-11-26 01:02:09.000100) 3 1 2 3  
rootHost:new                   *** Not connected (PV not found)
rootHost:ai1                   <undefined>(2025-11-26 01:02:09.500000) 0 UDF INVALID
";

    #[test]
    fn parses_tsc_output() {
        // Line 4 is deliberately malformed (server+client before ***): camonitor never prints that.
        let text = TSC.replace(
            "rootHost:calcExample           2025-11-26 01:02:05.000000(2025-11-26 01:02:07.500000) *** disconnected\n",
            "",
        );
        let log = parse(&text, "camonitor.log", &utc()).unwrap();
        assert_eq!(log.pvs.len(), 5);
        let r = &log.records;
        assert_eq!(r.len(), 8);
        assert_eq!(r[0].server_t_unix_ns, Some(T0));
        assert_eq!(r[0].client_t_unix_ns, Some(T0 + 1_200_000));
        assert!(
            matches!(&r[0].kind, CaRecordKind::Update { value: CaValue::Number(v), alarm: None, .. } if *v == 5.0)
        );
        assert!(matches!(
            &r[2].kind,
            CaRecordKind::Update {
                alarm: Some(Alarm {
                    status: "HIGH",
                    severity: "MINOR"
                }),
                ..
            }
        ));
        assert_eq!(r[3].kind, CaRecordKind::Disconnected);
        assert_eq!(r[3].client_t_unix_ns, Some(T0 + 5_000_000_000));
        assert!(
            matches!(&r[4].kind, CaRecordKind::Update { value: CaValue::Text(s), .. } if s == "hello world")
        );
        assert!(
            matches!(&r[5].kind, CaRecordKind::Update { value: CaValue::Numbers(v), .. } if v == &vec![1.0, 2.0, 3.0])
        );
        assert_eq!(r[6].kind, CaRecordKind::NotConnected);
        assert!(matches!(
            &r[7].kind,
            CaRecordKind::Update {
                server_undefined: true,
                alarm: Some(_),
                ..
            }
        ));
        assert_eq!(r[7].server_t_unix_ns, None);
    }

    #[test]
    fn applies_utc_offset() {
        let line = "pv                             2025-11-26 02:02:03.000000 1  \n";
        let log = parse(line, "c", &CamonitorOptions::new("+01:00".parse().unwrap())).unwrap();
        assert_eq!(log.records[0].server_t_unix_ns, Some(T0));
    }

    #[test]
    fn incremental_stamps_resolve() {
        let text = "\
pv                             2025-11-26 01:02:03.000000(2025-11-26 01:02:03.500000) 1  
pv                                           +1.000000              (   +1.250000) 2  
";
        let mut o = utc();
        assert!(parse(text, "c", &o).is_err());
        o.time_mode = CaTimeMode::Incremental;
        let log = parse(text, "c", &o).unwrap();
        assert_eq!(log.records[1].server_t_unix_ns, Some(T0 + 1_000_000_000));
        assert_eq!(log.records[1].client_t_unix_ns, Some(T0 + 1_750_000_000));
        o.time_mode = CaTimeMode::Relative;
        let log = parse(text, "c", &o).unwrap();
        assert_eq!(log.records[1].server_t_unix_ns, Some(T0 + 1_000_000_000));
        assert_eq!(log.records[1].client_t_unix_ns, None);
    }

    #[test]
    fn skips_ca_exception_blocks_and_rejects_garbage() {
        let text = "\
CA.Client.Exception...............................................
    Warning: \"Virtual circuit disconnect\"
    Context: \"ioc:5064\"
    Source File: ../cac.cpp line 1237
    Current Time: Wed Nov 26 2025 01:02:03.000000000
..................................................................
pv                             2025-11-26 01:02:03.000000 1  
";
        let log = parse(text, "c", &utc()).unwrap();
        assert_eq!(log.skipped.len(), 6);
        assert_eq!(log.records.len(), 1);
        let err = parse("pv 2025-11-26 01:02\n", "cam.log", &utc()).unwrap_err();
        assert_eq!(err.line(), Some(1));
        let back = "pv (2025-11-26 01:02:03.000000) 1  \npv (2025-11-26 01:02:02.000000) 2  \n";
        assert!(matches!(
            parse(back, "c", &utc()).unwrap_err(),
            TraceError::OutOfOrder { line: 2, .. }
        ));
    }

    #[test]
    fn field_separator_option() {
        let text =
            "pv,2025-11-26 01:02:03.000000,7,HIHI,MAJOR\npv,2025-11-26 01:02:04.000000,8,,\n";
        let mut o = utc();
        o.separator = b',';
        let log = parse(text, "c", &o).unwrap();
        assert!(matches!(
            &log.records[0].kind,
            CaRecordKind::Update {
                alarm: Some(Alarm { status: "HIHI", .. }),
                ..
            }
        ));
        assert!(
            matches!(&log.records[1].kind, CaRecordKind::Update { value: CaValue::Number(v), alarm: None, .. } if *v == 8.0)
        );
    }
}

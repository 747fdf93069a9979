//! `fping` output: per-probe lines (`-D` stamps optional), timeouts, duplicates, summaries.
//!
//! Formats follow fping `src/output.c` (`print_recv`: `%-*s : [%d], %d bytes, %s ms (%s avg,
//! %d%% loss)`; `print_timeout`: `%-*s : [%d], timed out (NaN avg, 100%% loss)`;
//! `print_timestamp_format`: `[%.5f] ` by default, or ISO `[%Y-%m-%dT%T%z] `;
//! `print_per_system_splits`: ` xmt/rcv/%%loss = %d/%d/%d%%[, outage(ms) = %d][, min/avg/max
//! = a/b/c]`) and `src/fping.c` (`%s : duplicate for [%d], %d bytes, %s ms`, `%s is alive`,
//! `-C` per-host lists). fping's sequence index counts from 0 and does not wrap.
//! The summary goes to stderr; it is read when the recorder merged the two streams.

use super::error::{Skip, TraceError, numbered_lines};
use super::ping::{PingEvent, PingEventKind, PingLog, PingSummary, leading_u64, parse_ms_us};
use super::time::{parse_decimal_seconds_ns, parse_rfc3339_ns};
use serde::Serialize;

/// What the parser expects, used in error messages.
const EXPECTED: &str = "an fping line ('host : [N], 64 bytes, X ms (...)', 'host : [N], timed out (...)', \
                        or 'host : xmt/rcv/%loss = ...')";

/// A parsed fping log: one [`PingLog`] per pinged host.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FpingLog {
    /// File name given by the caller.
    pub source: String,
    /// Per host, in order of first appearance.
    pub hosts: Vec<PingLog>,
    /// Lines skipped as known noise (`is alive`, `-C` lists, loop headers).
    pub skipped: Vec<Skip>,
}

impl FpingLog {
    /// The log of host `name`, if it appears.
    pub fn host(&self, name: &str) -> Option<&PingLog> {
        self.hosts
            .iter()
            .find(|h| h.target.as_deref() == Some(name))
    }
}

/// Splits an fping stamp prefix (`[1764118000.12345] ` or `[2025-11-26T01:02:03+0000] `).
fn split_stamp(line: &str) -> Result<(Option<i64>, &str), ()> {
    let Some(rest) = line.strip_prefix('[') else {
        return Ok((None, line));
    };
    let (inner, after) = rest.split_once(']').ok_or(())?;
    let t = parse_decimal_seconds_ns(inner)
        .or_else(|| parse_rfc3339_ns(inner))
        .ok_or(())?;
    Ok((Some(t), after.strip_prefix(' ').unwrap_or(after)))
}

/// True if `line` looks like fping output (used by format detection).
pub(crate) fn looks_like(line: &str) -> bool {
    let body = match split_stamp(line) {
        Ok((_, b)) => b,
        Err(()) => return false,
    };
    match body.split_once(" : ") {
        Some((_, r)) => {
            (r.starts_with('[') && (r.contains(" bytes, ") || r.contains("timed out")))
                || r.starts_with("xmt/rcv/")
                || r.starts_with("duplicate for [")
        }
        None => false,
    }
}

/// Parses `[N], ` at the start of `r`; returns (N, rest).
fn bracket_index(r: &str) -> Option<(u64, &str)> {
    let inner = r.strip_prefix('[')?;
    let (n, rest) = leading_u64(inner.as_bytes())?;
    let rest = std::str::from_utf8(rest).ok()?;
    Some((n, rest.strip_prefix("], ")?))
}

/// Parses "64 bytes, 0.43 ms ..." into a reply.
fn reply(r: &str, duplicate: bool) -> Option<PingEventKind> {
    let (bytes, rest) = r.split_once(" bytes, ")?;
    let ms = rest.split(' ').next()?;
    Some(PingEventKind::Reply {
        bytes: bytes.trim().parse().ok()?,
        ttl: None,
        rtt_us: Some(parse_ms_us(ms.as_bytes())?),
        duplicate,
    })
}

/// Parses "xmt/rcv/%loss = 10/9/10%, outage(ms) = 100, min/avg/max = a/b/c".
fn summary(r: &str) -> Option<PingSummary> {
    let mut s = PingSummary::default();
    for part in r.split(", ") {
        let (k, v) = part.split_once(" = ")?;
        match k.trim() {
            "xmt/rcv/%loss" | "xmt/rcv/%return" => {
                let mut it = v.trim().split('/');
                s.transmitted = it.next()?.parse().ok()?;
                s.received = it.next()?.parse().ok()?;
                let pct = it.next()?.trim_end_matches('%');
                if k.trim() == "xmt/rcv/%loss" {
                    s.loss_percent = pct.parse().ok()?;
                }
            }
            "min/avg/max" => {
                let mut it = v.trim().split('/').map(|x| parse_ms_us(x.as_bytes()));
                s.rtt_min_us = it.next()?;
                s.rtt_avg_us = it.next()?;
                s.rtt_max_us = it.next()?;
            }
            _ => {}
        }
    }
    Some(s)
}

/// Parses fping output from `text`; `source` names the file in errors.
pub fn parse(text: &str, source: &str) -> Result<FpingLog, TraceError> {
    let mut out = FpingLog {
        source: source.to_owned(),
        hosts: Vec::new(),
        skipped: Vec::new(),
    };
    let mut meaningful = 0usize;
    let mut last_t: Option<i64> = None;
    for (no, line) in numbered_lines(text) {
        if line.trim().is_empty() {
            continue;
        }
        let err = |exp: &str| {
            Err(super::refine_error(
                text,
                super::Format::Fping,
                TraceError::syntax(source, no, exp, line),
            ))
        };
        let Ok((t, body)) = split_stamp(line) else {
            return err("a '[seconds.fraction]' timestamp");
        };
        if let (Some(t), Some(prev)) = (t, last_t)
            && t < prev
        {
            return Err(TraceError::OutOfOrder {
                file: source.to_owned(),
                line: no,
                t_unix_ns: t,
                previous_unix_ns: prev,
                expected: "fping stamps in print order (non-decreasing)".into(),
            });
        }
        last_t = t.or(last_t);
        meaningful += 1;
        let (host, rest) = match body.split_once(" : ") {
            Some((h, r)) => (h.trim_end(), r),
            None => {
                let trimmed = body.trim();
                if trimmed.ends_with(" is alive")
                    || trimmed.ends_with(" is unreachable")
                    || trimmed.contains(" address not found")
                    || trimmed.starts_with("ICMP ")
                    || (trimmed.starts_with('[') && trimmed.ends_with(']'))
                {
                    out.skipped.push(Skip {
                        line: no,
                        reason: "fping status line",
                    });
                    continue;
                }
                return err(EXPECTED);
            }
        };
        if host.is_empty() {
            return err("a host name before ' : '");
        }
        let idx = match out
            .hosts
            .iter()
            .position(|h| h.target.as_deref() == Some(host))
        {
            Some(i) => i,
            None => {
                out.hosts.push(PingLog {
                    source: source.to_owned(),
                    target: Some(host.to_owned()),
                    timestamped: false,
                    events: Vec::new(),
                    summary: None,
                    skipped: Vec::new(),
                });
                out.hosts.len() - 1
            }
        };
        let Some(h) = out.hosts.get_mut(idx) else {
            return err(EXPECTED);
        };
        h.timestamped |= t.is_some();
        let (seq, kind) = if let Some((seq, r)) = bracket_index(rest) {
            if r.starts_with("timed out") {
                (seq, PingEventKind::Timeout)
            } else if let Some(k) = reply(r, false) {
                (seq, k)
            } else {
                return err("'N bytes, X ms' or 'timed out' after the probe index");
            }
        } else if let Some(r) = rest.strip_prefix("duplicate for ") {
            match bracket_index(r).and_then(|(seq, r)| Some((seq, reply(r, true)?))) {
                Some(x) => x,
                None => return err("'duplicate for [N], B bytes, X ms'"),
            }
        } else if rest.starts_with("xmt/rcv/") {
            match summary(rest) {
                Some(s) => {
                    h.summary = Some(s);
                    continue;
                }
                None => return err("'xmt/rcv/%loss = a/b/c%[, min/avg/max = x/y/z]'"),
            }
        } else if rest
            .split_whitespace()
            .all(|w| w == "-" || parse_ms_us(w.as_bytes()).is_some())
        {
            out.skipped.push(Skip {
                line: no,
                reason: "fping -C per-probe list",
            });
            continue;
        } else {
            return err(EXPECTED);
        };
        h.events.push(PingEvent {
            line: no,
            t_unix_ns: t,
            seq,
            kind,
        });
    }
    if meaningful == 0 {
        return Err(TraceError::Empty {
            file: source.to_owned(),
            expected: "fping output".into(),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
[1764118000.10012] ioc     : [0], 64 bytes, 0.43 ms (0.43 avg, 0% loss)
[1764118000.20015] ioc     : [1], 64 bytes, 0.051 ms (0.24 avg, 0% loss)
[1764118000.80020] ioc     : [2], timed out (0.24 avg, 33% loss)
[1764118000.81000] ioc     : duplicate for [1], 64 bytes, 9.10 ms
[1764118000.90020] gateway : [0], 64 bytes, 1.20 ms (1.20 avg, 0% loss)

ioc     : xmt/rcv/%loss = 3/2/33%, outage(ms) = 100, min/avg/max = 0.051/0.24/0.43
gateway : xmt/rcv/%loss = 1/1/0%, min/avg/max = 1.20/1.20/1.20
";

    #[test]
    fn parses_hosts_events_and_summaries() {
        let log = parse(SAMPLE, "fping.log").unwrap();
        assert_eq!(log.hosts.len(), 2);
        let ioc = log.host("ioc").unwrap();
        assert_eq!(ioc.events.len(), 4);
        assert_eq!(ioc.events[0].t_unix_ns, Some(1_764_118_000_100_120_000));
        assert_eq!(ioc.events[2].kind, PingEventKind::Timeout);
        assert!(matches!(
            ioc.events[3].kind,
            PingEventKind::Reply {
                duplicate: true,
                rtt_us: Some(9100),
                ..
            }
        ));
        let s = ioc.summary.as_ref().unwrap();
        assert_eq!((s.transmitted, s.received), (3, 2));
        assert_eq!(s.rtt_min_us, Some(51));
        assert!(log.host("gateway").unwrap().summary.is_some());
    }

    #[test]
    fn rejects_garbage_with_line() {
        let err = parse("ioc : [0], 64 bytes, 0.43 ms\nioc : [1], 64 byt\n", "f").unwrap_err();
        assert_eq!(err.line(), Some(2));
        assert!(parse("", "f").is_err());
    }
}

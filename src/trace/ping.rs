//! iputils `ping` output, with or without `-D` timestamps and `-O` outstanding reports.
//!
//! Formats follow iputils `ping/ping_common.c` (`print_timestamp`: `[%lu.%06lu] `;
//! `gather_statistics`: `%d bytes from %s:` then ` icmp_seq=%u`, ` ttl=%d`,
//! ` time=%ld.%03ld ms` (fewer decimals above 10 ms and 100 ms), ` (DUP!)`,
//! ` (BAD CHECKSUM!)`, ` (DIFFERENT ADDRESS!)`, ` (truncated)`; `pinger`:
//! `no answer yet for icmp_seq=%lu` printed when the *next* probe is sent; `finish`: the
//! `--- %s ping statistics ---` footer, `%ld packets transmitted, %ld received[, +%ld
//! duplicates][, +%ld corrupted][, +%ld errors], %g%% packet loss, time %ldms`,
//! `rtt min/avg/max/mdev = ...`, `pipe %d`, `ipg/ewma ...`) and `ping/ping.c`
//! (`PING host (addr) 56(84) bytes of data.`, `From %s icmp_seq=%u Destination Host
//! Unreachable` and the other ICMP error texts). Old iputils print `icmp_req=`; BSD ping's
//! `Request timeout for icmp_seq N` is read as a timed-out probe.
//!
//! Sequence numbers are 16-bit on the wire and wrap after 65535; they are unwrapped here
//! into a monotonic `seq` so an hour-long 0.1 s trace keeps its order.

use super::error::{Skip, TraceError, numbered_lines};
use super::time::{NS_PER_S, decimal_seconds_ns};
use serde::Serialize;

/// What the parser expects, used in error messages.
const EXPECTED: &str = "a ping line ('[t] 64 bytes from A: icmp_seq=N ttl=T time=X ms', \
                        'no answer yet for icmp_seq=N', 'From A icmp_seq=N ...', or the statistics footer)";

/// A parsed ping log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PingLog {
    /// File name given by the caller.
    pub source: String,
    /// Pinged host as named in the `PING` header or statistics footer.
    pub target: Option<String>,
    /// True when lines carry `-D` Unix timestamps.
    pub timestamped: bool,
    /// Replies, outstanding-probe reports and ICMP errors, in file order.
    pub events: Vec<PingEvent>,
    /// The statistics footer, when ping was stopped cleanly.
    pub summary: Option<PingSummary>,
    /// Lines skipped as known noise.
    pub skipped: Vec<Skip>,
}

/// One event line of a ping log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PingEvent {
    /// 1-based line number.
    pub line: usize,
    /// `-D` timestamp (Unix ns) when the line was printed, if present.
    pub t_unix_ns: Option<i64>,
    /// Probe sequence number, unwrapped past 65535.
    pub seq: u64,
    /// What happened to the probe.
    pub kind: PingEventKind,
}

/// What a ping event line reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum PingEventKind {
    /// An echo reply.
    Reply {
        /// ICMP bytes received.
        bytes: u32,
        /// IP TTL / hop limit, if printed.
        ttl: Option<u32>,
        /// Round-trip time in microseconds, if printed.
        rtt_us: Option<u64>,
        /// `(DUP!)`: a second reply to the same probe.
        duplicate: bool,
    },
    /// `no answer yet for icmp_seq=N` (`-O`), printed when the next probe is sent.
    NoAnswerYet,
    /// A timed-out probe reported by the tool itself (fping, BSD ping).
    Timeout,
    /// An ICMP error such as `Destination Host Unreachable`.
    Error {
        /// The error text as printed.
        message: String,
    },
}

/// The statistics footer printed by ping on exit.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PingSummary {
    /// Probes sent.
    pub transmitted: u64,
    /// Distinct probes answered.
    pub received: u64,
    /// Extra replies (`+N duplicates`).
    pub duplicates: u64,
    /// `+N corrupted`.
    pub corrupted: u64,
    /// `+N errors`.
    pub errors: u64,
    /// Packet loss in percent.
    pub loss_percent: f64,
    /// Run time reported by `time Nms`.
    pub time_ms: Option<u64>,
    /// Minimum round trip (µs).
    pub rtt_min_us: Option<u64>,
    /// Average round trip (µs).
    pub rtt_avg_us: Option<u64>,
    /// Maximum round trip (µs).
    pub rtt_max_us: Option<u64>,
    /// Mean deviation of the round trip (µs).
    pub rtt_mdev_us: Option<u64>,
    /// Most probes in flight at once (`pipe N`).
    pub pipe: Option<u32>,
}

/// Unwraps 16-bit sequence numbers into a monotonic count (nearest to the last one seen).
#[derive(Debug, Default, Clone)]
pub(crate) struct SeqUnwrapper {
    last: Option<u64>,
}

impl SeqUnwrapper {
    /// The unwrapped value of raw sequence number `raw`.
    pub(crate) fn unwrap(&mut self, raw: u64) -> u64 {
        let Some(last) = self.last else {
            self.last = Some(raw);
            return raw;
        };
        if raw > 0xFFFF {
            self.last = Some(raw);
            return raw;
        }
        let base = last & !0xFFFF;
        let cand = base | raw;
        let mut best = cand;
        for c in [cand.checked_sub(0x1_0000), cand.checked_add(0x1_0000)]
            .into_iter()
            .flatten()
        {
            if c.abs_diff(last) < best.abs_diff(last) {
                best = c;
            }
        }
        if best > last {
            self.last = Some(best);
        }
        best
    }
}

/// Parses a decimal millisecond figure ("0.043", "12.3", "1234") into microseconds.
#[inline]
pub(crate) fn parse_ms_us(b: &[u8]) -> Option<u64> {
    let int_len = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if int_len == 0 || int_len > 12 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in b.get(..int_len)? {
        v = v * 10 + u64::from(c - b'0');
    }
    let mut us = v * 1000;
    let rest = b.get(int_len..)?;
    if let Some(frac) = rest.strip_prefix(b".") {
        if frac.is_empty() || !frac.iter().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let mut scale = 100;
        for &c in frac.iter().take(3) {
            us += u64::from(c - b'0') * scale;
            scale /= 10;
        }
    } else if !rest.is_empty() {
        return None;
    }
    Some(us)
}

/// Leading unsigned integer of `b` and the rest.
#[inline]
pub(crate) fn leading_u64(b: &[u8]) -> Option<(u64, &[u8])> {
    let n = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if n == 0 || n > 19 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in b.get(..n)? {
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some((v, b.get(n..)?))
}

/// Position of `needle` in `hay`.
#[inline]
pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let first = *needle.first()?;
    let mut start = 0;
    while let Some(p) = hay.get(start..)?.iter().position(|&c| c == first) {
        let at = start + p;
        if hay.get(at..at + needle.len()) == Some(needle) {
            return Some(at);
        }
        start = at + 1;
    }
    None
}

/// Splits off a `[secs.usec] ` prefix; returns (timestamp, rest). Err(()) if malformed.
#[inline]
pub(crate) fn split_bracket_stamp(b: &[u8]) -> Result<(Option<i64>, &[u8]), ()> {
    if b.first() != Some(&b'[') {
        return Ok((None, b));
    }
    let close = b.iter().position(|&c| c == b']').ok_or(())?;
    let inner = b.get(1..close).ok_or(())?;
    let t = decimal_seconds_ns(inner).ok_or(())?;
    let rest = b.get(close + 1..).ok_or(())?;
    Ok((Some(t), rest.strip_prefix(b" ").unwrap_or(rest)))
}

/// Parses the body of a reply line after the byte count ("64"), i.e. " bytes from A: icmp_seq=...".
#[inline]
fn parse_reply(bytes: u64, rest: &[u8]) -> Option<(u64, PingEventKind)> {
    let rest = rest.strip_prefix(b" bytes from ")?;
    let p = find(rest, b" icmp_")?;
    let fields = rest.get(p + 1..)?;
    let mut seq = None;
    let mut ttl = None;
    let mut rtt_us = None;
    let mut duplicate = false;
    let mut it = fields.split(|&c| c == b' ').peekable();
    while let Some(tok) = it.next() {
        if let Some(v) = tok
            .strip_prefix(b"icmp_seq=")
            .or_else(|| tok.strip_prefix(b"icmp_req="))
        {
            seq = Some(leading_u64(v)?.0);
        } else if let Some(v) = tok
            .strip_prefix(b"ttl=")
            .or_else(|| tok.strip_prefix(b"hlim="))
        {
            ttl = u32::try_from(leading_u64(v)?.0).ok();
        } else if let Some(v) = tok.strip_prefix(b"time=") {
            // "time=0.043 ms" (iputils) or "time=0.043ms" (some builds).
            let v = v.strip_suffix(b"ms").unwrap_or(v);
            rtt_us = Some(parse_ms_us(v)?);
            if it.peek() == Some(&&b"ms"[..]) {
                it.next();
            }
        } else if tok == b"(DUP!)" {
            duplicate = true;
        }
        // Other tokens ("ident=", "(truncated)", "(BAD CHECKSUM!)") carry nothing we use.
    }
    Some((
        seq?,
        PingEventKind::Reply {
            bytes: u32::try_from(bytes).ok()?,
            ttl,
            rtt_us,
            duplicate,
        },
    ))
}

/// Parses "N packets transmitted, M received, ..." into `s`.
fn parse_counts(line: &str, s: &mut PingSummary) -> Option<()> {
    let mut saw_tx = false;
    for part in line.split(',') {
        let part = part.trim();
        if let Some(v) = part.strip_suffix(" packets transmitted") {
            s.transmitted = v.trim().parse().ok()?;
            saw_tx = true;
        } else if let Some(v) = part
            .strip_suffix(" received")
            .or_else(|| part.strip_suffix(" packets received"))
        {
            s.received = v.trim().parse().ok()?;
        } else if let Some(v) = part.strip_suffix(" duplicates") {
            s.duplicates = v.trim().trim_start_matches('+').parse().ok()?;
        } else if let Some(v) = part.strip_suffix(" corrupted") {
            s.corrupted = v.trim().trim_start_matches('+').parse().ok()?;
        } else if let Some(v) = part.strip_suffix(" errors") {
            s.errors = v.trim().trim_start_matches('+').parse().ok()?;
        } else if let Some(v) = part.strip_suffix("% packet loss") {
            s.loss_percent = v.trim().parse().ok()?;
        } else if let Some(v) = part.strip_prefix("time ") {
            s.time_ms = Some(v.trim().trim_end_matches("ms").parse().ok()?);
        }
    }
    saw_tx.then_some(())
}

/// Parses "rtt min/avg/max/mdev = a/b/c/d ms[, pipe N][, ipg/ewma x/y ms]".
fn parse_rtt(line: &str, s: &mut PingSummary) -> Option<()> {
    let (_, rhs) = line.split_once(" = ")?;
    let mut parts = rhs.split(", ");
    let nums = parts.next()?.trim().strip_suffix(" ms")?;
    let v: Vec<Option<u64>> = nums.split('/').map(|x| parse_ms_us(x.as_bytes())).collect();
    if v.len() != 4 {
        return None;
    }
    s.rtt_min_us = *v.first()?;
    s.rtt_avg_us = *v.get(1)?;
    s.rtt_max_us = *v.get(2)?;
    s.rtt_mdev_us = *v.get(3)?;
    for p in parts {
        if let Some(n) = p.trim().strip_prefix("pipe ") {
            s.pipe = n.trim().parse().ok();
        }
    }
    Some(())
}

/// Parses iputils `ping` output (`-D`, `-O` or neither) from `text`; `source` names the file in errors.
pub fn parse(text: &str, source: &str) -> Result<PingLog, TraceError> {
    let mut log = PingLog {
        source: source.to_owned(),
        target: None,
        timestamped: false,
        events: Vec::with_capacity(text.len() / 64),
        summary: None,
        skipped: Vec::new(),
    };
    let mut seqs = SeqUnwrapper::default();
    let mut last_t: Option<i64> = None;
    let mut meaningful = 0usize;
    for (no, line) in numbered_lines(text) {
        let b = line.as_bytes();
        if b.is_empty() || b.iter().all(|c| c.is_ascii_whitespace()) {
            continue;
        }
        let Ok((t, body)) = split_bracket_stamp(b) else {
            return Err(TraceError::syntax(
                source,
                no,
                "a '[seconds.micros]' timestamp",
                line,
            ));
        };
        if let Some(t) = t {
            log.timestamped = true;
            if let Some(prev) = last_t
                && t < prev
            {
                return Err(TraceError::OutOfOrder {
                    file: source.to_owned(),
                    line: no,
                    t_unix_ns: t,
                    previous_unix_ns: prev,
                    expected: "ping -D stamps in print order (non-decreasing)".into(),
                });
            }
            last_t = Some(t);
        }
        let event = match body.first() {
            Some(c) if c.is_ascii_digit() => {
                if let Some((n, rest)) = leading_u64(body)
                    && let Some((raw, kind)) = parse_reply(n, rest)
                {
                    Some((raw, kind))
                } else if body.windows(20).any(|w| w == b" packets transmitted") {
                    let mut s = log.summary.take().unwrap_or_default();
                    if parse_counts(line, &mut s).is_none() {
                        return Err(TraceError::syntax(
                            source,
                            no,
                            "'N packets transmitted, M received, ...'",
                            line,
                        ));
                    }
                    log.summary = Some(s);
                    None
                } else {
                    return Err(TraceError::syntax(source, no, EXPECTED, line));
                }
            }
            _ if body.starts_with(b"no answer yet for icmp_seq=") => {
                let Some((raw, tail)) = leading_u64(body.get(27..).unwrap_or(&[])) else {
                    return Err(TraceError::syntax(
                        source,
                        no,
                        "a sequence number after 'icmp_seq='",
                        line,
                    ));
                };
                if !tail.iter().all(|c| c.is_ascii_whitespace()) {
                    return Err(TraceError::syntax(
                        source,
                        no,
                        "end of line after the sequence number",
                        line,
                    ));
                }
                Some((raw, PingEventKind::NoAnswerYet))
            }
            _ if body.starts_with(b"From ") => {
                let Some(p) = find(body, b" icmp_seq=").or_else(|| find(body, b" icmp_req="))
                else {
                    return Err(TraceError::syntax(
                        source,
                        no,
                        "'From A icmp_seq=N <error>'",
                        line,
                    ));
                };
                let Some((raw, tail)) = leading_u64(body.get(p + 10..).unwrap_or(&[])) else {
                    return Err(TraceError::syntax(
                        source,
                        no,
                        "a sequence number after 'icmp_seq='",
                        line,
                    ));
                };
                let message = String::from_utf8_lossy(tail).trim().to_owned();
                Some((raw, PingEventKind::Error { message }))
            }
            _ if body.starts_with(b"Request timeout for icmp_seq ") => {
                let Some((raw, _)) = leading_u64(body.get(29..).unwrap_or(&[])) else {
                    return Err(TraceError::syntax(source, no, "a sequence number", line));
                };
                Some((raw, PingEventKind::Timeout))
            }
            _ if body.starts_with(b"PING ") => {
                let name = line
                    .get(5..)
                    .and_then(|r| r.split([' ', '(']).next())
                    .unwrap_or("");
                if log.target.is_none() && !name.is_empty() {
                    log.target = Some(name.to_owned());
                }
                log.skipped.push(Skip {
                    line: no,
                    reason: "PING header",
                });
                None
            }
            _ if body.starts_with(b"--- ") => {
                let name = line
                    .trim_start_matches("--- ")
                    .split(' ')
                    .next()
                    .unwrap_or("");
                if log.target.is_none() && !name.is_empty() {
                    log.target = Some(name.to_owned());
                }
                log.summary.get_or_insert_with(PingSummary::default);
                None
            }
            _ if body.starts_with(b"rtt ") || body.starts_with(b"round-trip ") => {
                let mut s = log.summary.take().unwrap_or_default();
                if parse_rtt(line, &mut s).is_none() {
                    return Err(TraceError::syntax(
                        source,
                        no,
                        "'rtt min/avg/max/mdev = a/b/c/d ms'",
                        line,
                    ));
                }
                log.summary = Some(s);
                None
            }
            _ if body.starts_with(b"pipe ") => {
                let mut s = log.summary.take().unwrap_or_default();
                s.pipe = line.trim().get(5..).and_then(|x| x.trim().parse().ok());
                log.summary = Some(s);
                None
            }
            _ if body.starts_with(b"ping: ")
                || body.starts_with(b"Warning: ")
                || body.starts_with(b"WARNING: ")
                || body.starts_with(b"PATTERN: ") =>
            {
                log.skipped.push(Skip {
                    line: no,
                    reason: "ping diagnostic message",
                });
                None
            }
            _ if body.starts_with(b"wrong data byte") || body.starts_with(b"#") => {
                log.skipped.push(Skip {
                    line: no,
                    reason: "ping payload mismatch dump",
                });
                None
            }
            _ => {
                let e = TraceError::syntax(source, no, EXPECTED, line);
                return Err(if meaningful == 0 {
                    super::refine_error(text, super::Format::Ping, e)
                } else {
                    e
                });
            }
        };
        meaningful += 1;
        if let Some((raw, kind)) = event {
            log.events.push(PingEvent {
                line: no,
                t_unix_ns: t,
                seq: seqs.unwrap(raw),
                kind,
            });
        }
    }
    if meaningful == 0 {
        return Err(TraceError::Empty {
            file: source.to_owned(),
            expected: "ping output".into(),
        });
    }
    Ok(log)
}

/// Estimated send time (Unix ns) of a replied probe: print time minus round trip.
pub fn send_time_ns(ev: &PingEvent) -> Option<i64> {
    let t = ev.t_unix_ns?;
    match ev.kind {
        PingEventKind::Reply {
            rtt_us: Some(r), ..
        } => t.checked_sub(i64::try_from(r).ok()?.checked_mul(NS_PER_S / 1_000_000)?),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
PING 192.0.2.10 (192.0.2.10) 56(84) bytes of data.
[1764118000.100123] 64 bytes from 192.0.2.10: icmp_seq=1 ttl=64 time=0.412 ms
[1764118000.200456] 64 bytes from 192.0.2.10: icmp_seq=2 ttl=64 time=0.388 ms
[1764118000.300789] no answer yet for icmp_seq=3
[1764118000.400812] no answer yet for icmp_seq=4
[1764118000.401000] 64 bytes from 192.0.2.10: icmp_seq=3 ttl=64 time=101 ms
[1764118000.500900] 64 bytes from 192.0.2.10: icmp_seq=5 ttl=64 time=12.5 ms
[1764118000.501000] 64 bytes from 192.0.2.10: icmp_seq=5 ttl=64 time=12.6 ms (DUP!)
[1764118000.601000] From 192.0.2.1 icmp_seq=6 Destination Host Unreachable

--- 192.0.2.10 ping statistics ---
6 packets transmitted, 4 received, +1 duplicates, +1 errors, 33.3333% packet loss, time 503ms
rtt min/avg/max/mdev = 0.388/25.380/101.000/39.511 ms, pipe 2
";

    #[test]
    fn parses_timestamped_log() {
        let log = parse(SAMPLE, "ping.log").unwrap();
        assert!(log.timestamped);
        assert_eq!(log.target.as_deref(), Some("192.0.2.10"));
        assert_eq!(log.events.len(), 8);
        let e = &log.events[0];
        assert_eq!(e.t_unix_ns, Some(1_764_118_000_100_123_000));
        assert_eq!(e.seq, 1);
        assert_eq!(
            e.kind,
            PingEventKind::Reply {
                bytes: 64,
                ttl: Some(64),
                rtt_us: Some(412),
                duplicate: false
            }
        );
        assert_eq!(log.events[2].kind, PingEventKind::NoAnswerYet);
        assert!(matches!(
            log.events[4].kind,
            PingEventKind::Reply {
                rtt_us: Some(101_000),
                ..
            }
        ));
        assert!(matches!(
            log.events[6].kind,
            PingEventKind::Reply {
                duplicate: true,
                ..
            }
        ));
        assert!(
            matches!(&log.events[7].kind, PingEventKind::Error { message } if message == "Destination Host Unreachable")
        );
        let s = log.summary.unwrap();
        assert_eq!(
            (s.transmitted, s.received, s.duplicates, s.errors),
            (6, 4, 1, 1)
        );
        assert_eq!(s.time_ms, Some(503));
        assert_eq!(s.rtt_max_us, Some(101_000));
        assert_eq!(s.pipe, Some(2));
    }

    #[test]
    fn plain_ping_without_stamps_and_hostname() {
        let text = "PING ioc (192.0.2.10) 56(84) bytes of data.\n\
64 bytes from ioc.example (192.0.2.10): icmp_seq=1 ttl=64 time=0.043 ms\n\
64 bytes from ioc.example (192.0.2.10): icmp_req=2 ttl=64 time=1.05 ms\n";
        let log = parse(text, "p").unwrap();
        assert!(!log.timestamped);
        assert_eq!(log.events.len(), 2);
        assert_eq!(log.events[1].seq, 2);
        assert!(log.summary.is_none());
    }

    #[test]
    fn unwraps_sequence_numbers() {
        let mut u = SeqUnwrapper::default();
        let got: Vec<u64> = [65534, 65535, 0, 1, 65535, 2]
            .iter()
            .map(|&r| u.unwrap(r))
            .collect();
        assert_eq!(got, vec![65534, 65535, 65536, 65537, 65535, 65538]);
    }

    #[test]
    fn errors_name_file_and_line() {
        let text = "[1764118000.1] 64 bytes from a: icmp_seq=1 ttl=64 time=0.1 ms\n[1764118000.2] 64 bytes from a: icmp_seq=2 ttl=6";
        // A truncated last line still has a sequence number: it parses; one cut in the stamp does not.
        assert!(parse(text, "p").is_ok());
        let err = parse("[17641180", "ping.log").unwrap_err();
        assert_eq!(err.line(), Some(1));
        let err = parse("ok\n", "ping.log").unwrap_err();
        assert!(
            err.to_string()
                .starts_with("ping.log:1: expected a ping line")
        );
        assert!(matches!(
            parse("\n\n", "e").unwrap_err(),
            TraceError::Empty { .. }
        ));
        let back = "[2.0] no answer yet for icmp_seq=1\n[1.0] no answer yet for icmp_seq=2\n";
        assert!(matches!(
            parse(back, "b").unwrap_err(),
            TraceError::OutOfOrder { line: 2, .. }
        ));
    }

    #[test]
    fn rtt_formats() {
        assert_eq!(parse_ms_us(b"0.043"), Some(43));
        assert_eq!(parse_ms_us(b"12.5"), Some(12_500));
        assert_eq!(parse_ms_us(b"1234"), Some(1_234_000));
        assert_eq!(parse_ms_us(b"1."), None);
    }
}

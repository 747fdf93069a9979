//! What really happened in a recorded run, measured from the raw data with honest bounds.
//!
//! Pure functions over parsed traces: the ping outage (a probe every `interval` cannot
//! resolve an outage to better than one interval, so it is a `[lo, hi]` range), the
//! migration window from job statistics, and per-PV stalls, gaps, missed and late values,
//! the server-vs-client clock offset, and whether a stall looks like the IOC stopping or its
//! clients being cut off.

use crate::median::median;
use crate::trace::job::{JobSample, JobStatus};
use crate::trace::ping::{PingEventKind, PingLog};
use crate::trace::pv::{PvEvent, PvSample};
use serde::Serialize;
use std::collections::{BTreeMap, VecDeque};

/// Nanoseconds per millisecond.
const NS_PER_MS: f64 = 1e6;

/// One run of consecutive unanswered probes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LossRun {
    /// First unanswered sequence number.
    pub first_seq: u64,
    /// Last unanswered sequence number.
    pub last_seq: u64,
    /// Probes in the run.
    pub lost: u64,
    /// Shortest outage consistent with the run: first to last lost probe's send time.
    pub outage_ms_lo: f64,
    /// Longest outage consistent with the run: send time of the answered probe before to
    /// that of the answered probe after; None when the run reaches the start or end of the log.
    pub outage_ms_hi: Option<f64>,
    /// Send time of the last answered probe before the run (Unix ns), when known.
    pub bound_start_unix_ns: Option<i64>,
    /// Send time of the first answered probe after the run (Unix ns), when known.
    pub bound_end_unix_ns: Option<i64>,
}

/// The ping outage and loss figures of a log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PingOutage {
    /// Probe interval used for the bounds.
    pub interval_ms: f64,
    /// Probes considered (sequence range of the log, or the footer's count).
    pub probes: u64,
    /// Probes in the longest unanswered run.
    pub lost: u64,
    /// Lower bound of the longest outage (ms).
    pub outage_ms_lo: f64,
    /// Upper bound of the longest outage (ms); None if the run is open-ended.
    pub outage_ms_hi: Option<f64>,
    /// The longest run itself.
    pub longest: Option<LossRun>,
    /// All probes never answered.
    pub total_lost: u64,
    /// Extra replies (`(DUP!)`).
    pub duplicates: u64,
    /// Replies that came after the next probe was sent (`-O` had reported them, or the
    /// round trip exceeded the interval).
    pub late_replies: u64,
    /// Longest round trip seen (ms).
    pub max_rtt_ms: Option<f64>,
    /// Every unanswered run, in order.
    pub runs: Vec<LossRun>,
}

/// Mean round trip of the replies printed before `before_unix_ns` (duplicates left
/// out), ms; None with fewer than [`MIN_RTT_REPLIES`] of them. Before a migration it
/// says how promptly the guest was answering: under TCG a busy host shows in it.
pub fn mean_rtt_before_ms(log: &PingLog, before_unix_ns: i64) -> Option<f64> {
    let rtts: Vec<f64> = log
        .events
        .iter()
        .filter(|e| e.t_unix_ns.is_some_and(|t| t < before_unix_ns))
        .filter_map(|e| match e.kind {
            PingEventKind::Reply {
                rtt_us: Some(r),
                duplicate: false,
                ..
            } => Some(r as f64 / 1000.0),
            _ => None,
        })
        .collect();
    (rtts.len() >= MIN_RTT_REPLIES).then(|| rtts.iter().sum::<f64>() / rtts.len() as f64)
}

/// Replies [`mean_rtt_before_ms`] needs for a mean.
pub const MIN_RTT_REPLIES: usize = 5;

/// Per-probe facts gathered from the log.
#[derive(Default, Clone, Copy)]
struct Probe {
    replied: bool,
    reported_missing: bool,
    send_ns: Option<i64>,
}

/// Measures the ping outage of `log`, whose probes were sent every `interval_ms`.
pub fn ping_outage(log: &PingLog, interval_ms: f64) -> PingOutage {
    let interval_ms = if interval_ms.is_finite() && interval_ms > 0.0 {
        interval_ms
    } else {
        1000.0
    };
    let mut probes: BTreeMap<u64, Probe> = BTreeMap::new();
    let mut duplicates = 0u64;
    let mut late = 0u64;
    let mut max_rtt_us: Option<u64> = None;
    for ev in &log.events {
        match &ev.kind {
            PingEventKind::Reply {
                rtt_us, duplicate, ..
            } => {
                if *duplicate {
                    duplicates += 1;
                    continue;
                }
                let p = probes.entry(ev.seq).or_default();
                if p.replied {
                    duplicates += 1;
                    continue;
                }
                p.replied = true;
                let rtt_late = rtt_us.is_some_and(|r| r as f64 / 1000.0 >= interval_ms);
                if p.reported_missing || rtt_late {
                    late += 1;
                }
                if let (Some(t), Some(r)) = (ev.t_unix_ns, rtt_us) {
                    p.send_ns = Some(t.saturating_sub(
                        i64::try_from(*r).unwrap_or(i64::MAX).saturating_mul(1000),
                    ));
                }
                if let Some(r) = rtt_us {
                    max_rtt_us = Some(max_rtt_us.map_or(*r, |m| m.max(*r)));
                }
            }
            PingEventKind::NoAnswerYet => {
                probes.entry(ev.seq).or_default().reported_missing = true;
                // Printed just before the next probe goes out: its time is that send time.
                if let (Some(t), Some(next)) = (ev.t_unix_ns, ev.seq.checked_add(1)) {
                    let n = probes.entry(next).or_default();
                    n.send_ns.get_or_insert(t);
                }
            }
            PingEventKind::Timeout | PingEventKind::Error { .. } => {
                let p = probes.entry(ev.seq).or_default();
                if let (Some(t), PingEventKind::Error { .. }) = (ev.t_unix_ns, &ev.kind) {
                    p.send_ns.get_or_insert(t);
                }
            }
        }
    }
    let (Some(&min_seen), Some(&max_seen)) = (probes.keys().next(), probes.keys().next_back())
    else {
        return PingOutage {
            interval_ms,
            probes: log.summary.as_ref().map_or(0, |s| s.transmitted),
            lost: 0,
            outage_ms_lo: 0.0,
            outage_ms_hi: None,
            longest: None,
            total_lost: log
                .summary
                .as_ref()
                .map_or(0, |s| s.transmitted.saturating_sub(s.received)),
            duplicates,
            late_replies: late,
            max_rtt_ms: None,
            runs: Vec::new(),
        };
    };
    // The footer counts probes that never showed up in the lines (no -O, or in flight at exit).
    // iputils counts from 1; fping and BSD ping count from 0.
    let first_seq = u64::from(min_seen > 0);
    let mut lo_seq = min_seen;
    let mut hi_seq = max_seen;
    if let Some(s) = &log.summary
        && s.transmitted > 0
    {
        hi_seq = hi_seq.max(s.transmitted - 1 + first_seq);
        lo_seq = lo_seq.min(hi_seq.saturating_add(1).saturating_sub(s.transmitted));
    }
    let span = hi_seq.saturating_sub(lo_seq);
    let send = |seq: u64| -> Option<i64> { probes.get(&seq).and_then(|p| p.send_ns) };
    let mut runs = Vec::new();
    let mut total_lost = 0u64;
    // A run is [a, b] between the answered probes `before` and `after` (None at the log's ends).
    let mut push_run = |a: u64, b: u64, before: Option<u64>, after: Option<u64>| {
        let lost = (b - a).saturating_add(1);
        total_lost = total_lost.saturating_add(lost);
        let lo = match (send(a), send(b)) {
            (Some(x), Some(y)) if y >= x => (y - x) as f64 / NS_PER_MS,
            _ => (lost - 1) as f64 * interval_ms,
        };
        let hi = match (before, after) {
            (Some(p), Some(n)) => Some(match (send(p), send(n)) {
                (Some(x), Some(y)) if y >= x => (y - x) as f64 / NS_PER_MS,
                _ => lost.saturating_add(1) as f64 * interval_ms,
            }),
            _ => None,
        };
        runs.push(LossRun {
            first_seq: a,
            last_seq: b,
            lost,
            outage_ms_lo: lo,
            outage_ms_hi: hi.map(|h| h.max(lo)),
            bound_start_unix_ns: before.and_then(send),
            bound_end_unix_ns: after.and_then(send),
        });
    };
    // Runs are the holes between answered probes: walk those, not the whole sequence range.
    let mut prev: Option<u64> = None;
    for (&r, _) in probes.range(lo_seq..=hi_seq).filter(|(_, p)| p.replied) {
        let start = prev.map_or(lo_seq, |p| p + 1);
        if r > start {
            push_run(start, r - 1, prev, Some(r));
        }
        prev = Some(r);
    }
    match prev {
        Some(p) if p < hi_seq => push_run(p + 1, hi_seq, Some(p), None),
        None => push_run(lo_seq, hi_seq, None, None),
        Some(_) => {}
    }
    let longest = runs
        .iter()
        .max_by(|x, y| x.lost.cmp(&y.lost).then(y.first_seq.cmp(&x.first_seq)))
        .cloned();
    PingOutage {
        interval_ms,
        probes: span.saturating_add(1),
        lost: longest.as_ref().map_or(0, |r| r.lost),
        outage_ms_lo: longest.as_ref().map_or(0.0, |r| r.outage_ms_lo),
        outage_ms_hi: longest.as_ref().and_then(|r| r.outage_ms_hi),
        longest,
        total_lost,
        duplicates,
        late_replies: late,
        max_rtt_ms: max_rtt_us.map(|r| r as f64 / 1000.0),
        runs,
    }
}

/// The migration job's window as the job statistics report it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MigrationWindow {
    /// Job start (first sample's time minus its elapsed time), Unix ns.
    pub start_unix_ns: Option<i64>,
    /// Job end (start plus the final elapsed time), Unix ns.
    pub end_unix_ns: Option<i64>,
    /// Job duration as reported (final elapsed time).
    pub duration_ms: Option<u64>,
    /// Downtime as reported (real if the job completed, else the last expectation).
    pub downtime_ms: Option<u64>,
    /// True when `downtime_ms` is only QEMU's expectation.
    pub downtime_expected: bool,
    /// How the job ended (status of the last sample).
    pub outcome: JobStatus,
    /// Highest pass count seen.
    pub iterations: Option<u64>,
    /// Highest auto-converge throttle seen (percent).
    pub max_throttle_pct: Option<u32>,
    /// RAM bytes sent, final figure.
    pub memory_processed_bytes: Option<u64>,
    /// Guest RAM size.
    pub memory_total_bytes: Option<u64>,
    /// Samples used.
    pub samples: usize,
}

/// The migration window of a job sample series (None when it holds no samples).
pub fn migration_window(samples: &[JobSample]) -> Option<MigrationWindow> {
    let last = samples.last()?;
    let in_job = |s: &&JobSample| !matches!(s.status, JobStatus::None);
    let start = samples.iter().filter(in_job).find_map(|s| {
        Some(
            s.t_unix_ns?
                .saturating_sub(i64::try_from(s.elapsed_ms?).ok()?.saturating_mul(1_000_000)),
        )
    });
    let fin = samples
        .iter()
        .rev()
        .find(|s| s.completed)
        .or_else(|| samples.iter().rev().find(in_job));
    let duration_ms = fin.and_then(|s| s.elapsed_ms);
    let end = match (start, duration_ms) {
        (Some(st), Some(d)) => i64::try_from(d)
            .ok()
            .map(|d| st.saturating_add(d.saturating_mul(1_000_000))),
        _ => fin.and_then(|s| s.t_unix_ns),
    };
    let dt = samples
        .iter()
        .rev()
        .find(|s| s.downtime_ms.is_some() && !s.downtime_expected)
        .or_else(|| samples.iter().rev().find(|s| s.downtime_ms.is_some()));
    Some(MigrationWindow {
        start_unix_ns: start,
        end_unix_ns: end,
        duration_ms,
        downtime_ms: dt.and_then(|s| s.downtime_ms),
        downtime_expected: dt.is_some_and(|s| s.downtime_expected),
        outcome: fin.map_or(last.status, |s| s.status),
        iterations: samples.iter().filter_map(|s| s.iteration).max(),
        max_throttle_pct: samples.iter().filter_map(|s| s.throttle_pct).max(),
        memory_processed_bytes: fin
            .and_then(|s| s.memory_processed_bytes)
            .or_else(|| samples.iter().rev().find_map(|s| s.memory_processed_bytes)),
        memory_total_bytes: samples.iter().rev().find_map(|s| s.memory_total_bytes),
        samples: samples.len(),
    })
}

/// What is known about a PV for its analysis (from the bundle manifest's `[[pvs]]`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PvParams {
    /// Record scan period (ms); updates further apart than 1.5 periods are gaps.
    pub scan_period_ms: f64,
    /// For a counting PV, the modulo it counts to (10 for 0..9).
    pub counting_modulo: Option<u64>,
    /// Instant splitting the clock-offset medians (the switchover), Unix ns; when None the
    /// start of the longest client stall is used.
    pub switch_unix_ns: Option<i64>,
}

/// A gap between consecutive updates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gap {
    /// Time of the update before the gap, Unix ns.
    pub from_unix_ns: i64,
    /// Time of the update after it, Unix ns.
    pub to_unix_ns: i64,
    /// Its length (ms).
    pub ms: f64,
}

/// How a PV stall is explained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StallKind {
    /// No stall beyond the scan period.
    None,
    /// The server kept producing values (continuous stamps) but they reached the client late.
    ClientsCutOff,
    /// The IOC produced nothing: a gap in server stamps, or its clock stopped with it.
    IocStopped,
}

impl StallKind {
    /// In words, as the reports say it: "IOC stopped", "clients cut off" or "no stall".
    pub fn label(self) -> &'static str {
        match self {
            StallKind::None => "no stall",
            StallKind::ClientsCutOff => "clients cut off",
            StallKind::IocStopped => "IOC stopped",
        }
    }

    /// What the label means, in one sentence.
    pub fn meaning(self) -> &'static str {
        match self {
            StallKind::None => "no PV went without an update for more than 1.5 scan periods",
            StallKind::ClientsCutOff => {
                "the IOC's own (server) timestamps kept going while its clients received nothing: \
                 the network cut them off, the IOC was not interrupted"
            }
            StallKind::IocStopped => {
                "the IOC's own (server) timestamps have a gap too: the IOC itself stopped producing values"
            }
        }
    }
}

/// What happened to one PV.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PvObserved {
    /// PV name.
    pub name: String,
    /// Value updates seen.
    pub updates: usize,
    /// Longest time between consecutive updates at the client (ms); None without client stamps.
    pub longest_stall_ms: Option<f64>,
    /// That stall.
    pub longest_stall: Option<Gap>,
    /// Longest time between consecutive server stamps (ms).
    pub server_gap_ms: Option<f64>,
    /// That gap.
    pub server_gap: Option<Gap>,
    /// Which clock `gaps` are measured on: "client" when recorded, else "server".
    pub gaps_clock: &'static str,
    /// Gaps longer than 1.5 scan periods.
    pub gaps: Vec<Gap>,
    /// Values a counting PV skipped (None if not counting or not numeric).
    pub missed_values: Option<u64>,
    /// Values delivered later than the freshest delivery soon after them, by more than half
    /// a scan period (e.g. queued during a stall and delivered in a burst).
    pub late_values: u64,
    /// Median client minus server stamp of timely (not late) updates before the split (ms).
    pub offset_before_ms: Option<f64>,
    /// The same after it (ms): after a pause it grows by about the downtime (the guest clock stopped).
    pub offset_after_ms: Option<f64>,
    /// The instant splitting the offset medians, Unix ns.
    pub offset_split_unix_ns: Option<i64>,
    /// Disconnect events (client time when known, else server time), Unix ns.
    pub disconnects: Vec<i64>,
    /// How the longest stall is explained.
    pub stall_kind: StallKind,
    /// Why, in words.
    pub stall_reason: String,
}

/// Longest positive step between consecutive times, and all steps above `threshold_ms`.
fn gaps_of(times: &[i64], threshold_ms: f64) -> (Option<Gap>, Vec<Gap>) {
    let mut longest: Option<Gap> = None;
    let mut over = Vec::new();
    for w in times.windows(2) {
        let (Some(&a), Some(&b)) = (w.first(), w.get(1)) else {
            continue;
        };
        let ms = b.saturating_sub(a) as f64 / NS_PER_MS;
        let g = Gap {
            from_unix_ns: a,
            to_unix_ns: b,
            ms,
        };
        if ms > threshold_ms {
            over.push(g.clone());
        }
        if longest.as_ref().is_none_or(|l| ms > l.ms) {
            longest = Some(g);
        }
    }
    (longest, over)
}

/// Analyses the samples of one PV (in arrival order) with its parameters.
pub fn analyse_pv(name: &str, samples: &[&PvSample], params: &PvParams) -> PvObserved {
    let period = if params.scan_period_ms.is_finite() && params.scan_period_ms > 0.0 {
        params.scan_period_ms
    } else {
        1000.0
    };
    let threshold = 1.5 * period;
    let values: Vec<&PvSample> = samples
        .iter()
        .copied()
        .filter(|s| s.event == PvEvent::Value)
        .collect();
    let client: Vec<i64> = values.iter().filter_map(|s| s.client_t_unix_ns).collect();
    let server: Vec<i64> = values.iter().filter_map(|s| s.server_t_unix_ns).collect();
    let has_client = !client.is_empty();
    let (longest_stall, client_gaps) = if has_client {
        gaps_of(&client, threshold)
    } else {
        (None, Vec::new())
    };
    let (server_gap, server_gaps) = gaps_of(&server, threshold);
    let missed_values = params.counting_modulo.filter(|&m| m > 0).and_then(|m| {
        let ints: Vec<i64> = values
            .iter()
            .filter_map(|s| s.value.as_ref()?.as_f64())
            .filter(|x| x.is_finite() && x.fract() == 0.0 && x.abs() < 9e15)
            .map(|x| x as i64)
            .collect();
        if ints.len() < 2 {
            return None;
        }
        let m = i64::try_from(m).ok()?;
        Some(
            ints.windows(2)
                .map(|w| match (w.first(), w.get(1)) {
                    (Some(a), Some(b)) => {
                        u64::try_from((b - a).rem_euclid(m).saturating_sub(1)).unwrap_or(0)
                    }
                    _ => 0,
                })
                .sum(),
        )
    });
    // Offsets (client - server) of samples with both stamps, in arrival order.
    let paired: Vec<(i64, f64)> = values
        .iter()
        .filter_map(|s| {
            Some((
                s.client_t_unix_ns?,
                s.client_t_unix_ns?.saturating_sub(s.server_t_unix_ns?) as f64 / NS_PER_MS,
            ))
        })
        .collect();
    let window_ns = (10.0 * period * NS_PER_MS) as i64;
    let fresh = forward_min(&paired, window_ns);
    let late_threshold = period / 2.0;
    let late_values = paired
        .iter()
        .zip(&fresh)
        .filter(|((_, o), f)| o - **f > late_threshold)
        .count() as u64;
    let split = params
        .switch_unix_ns
        .or(longest_stall.as_ref().map(|g| g.from_unix_ns));
    // The clock offset is read from timely deliveries only: a late value's offset measures
    // its queueing, not the clocks.
    let timely: Vec<(i64, f64)> = paired
        .iter()
        .zip(&fresh)
        .filter(|((_, o), f)| o - **f <= late_threshold)
        .map(|(p, _)| *p)
        .collect();
    let (offset_before_ms, offset_after_ms) = match split {
        Some(t) => {
            let mut b: Vec<f64> = timely
                .iter()
                .filter(|(c, _)| *c <= t)
                .map(|(_, o)| *o)
                .collect();
            let mut a: Vec<f64> = timely
                .iter()
                .filter(|(c, _)| *c > t)
                .map(|(_, o)| *o)
                .collect();
            (median(&mut b), median(&mut a))
        }
        None => {
            let mut all: Vec<f64> = timely.iter().map(|(_, o)| *o).collect();
            (median(&mut all), None)
        }
    };
    let disconnects = samples
        .iter()
        .filter(|s| s.event == PvEvent::Disconnected)
        .filter_map(|s| s.client_t_unix_ns.or(s.server_t_unix_ns))
        .collect();
    let (stall_kind, stall_reason) = classify(
        &values,
        longest_stall.as_ref(),
        server_gap.as_ref(),
        &paired,
        &fresh,
        threshold,
        has_client,
    );
    PvObserved {
        name: name.to_owned(),
        updates: values.len(),
        longest_stall_ms: longest_stall.as_ref().map(|g| g.ms),
        longest_stall,
        server_gap_ms: server_gap.as_ref().map(|g| g.ms),
        server_gap,
        gaps_clock: if has_client { "client" } else { "server" },
        gaps: if has_client { client_gaps } else { server_gaps },
        missed_values,
        late_values,
        offset_before_ms,
        offset_after_ms,
        offset_split_unix_ns: split,
        disconnects,
        stall_kind,
        stall_reason,
    }
}

/// For each (time, offset), the least offset among samples from it to `window_ns` later.
fn forward_min(paired: &[(i64, f64)], window_ns: i64) -> Vec<f64> {
    let mut out = vec![0.0; paired.len()];
    let mut dq: VecDeque<usize> = VecDeque::new();
    for i in (0..paired.len()).rev() {
        let Some(&(ti, oi)) = paired.get(i) else {
            continue;
        };
        while dq
            .back()
            .and_then(|&k| paired.get(k))
            .is_some_and(|&(_, ok)| ok >= oi)
        {
            dq.pop_back();
        }
        dq.push_back(i);
        // Drop samples beyond the window (they sit at the front: the latest indices).
        while let Some(&k) = dq.front() {
            match paired.get(k) {
                Some(&(tk, _)) if tk.saturating_sub(ti) > window_ns && k != i => {
                    dq.pop_front();
                }
                _ => break,
            }
        }
        if let Some(slot) = out.get_mut(i) {
            *slot = dq
                .front()
                .and_then(|&k| paired.get(k))
                .map_or(oi, |&(_, o)| o);
        }
    }
    out
}

/// Explains the longest stall.
fn classify(
    values: &[&PvSample],
    stall: Option<&Gap>,
    server_gap: Option<&Gap>,
    paired: &[(i64, f64)],
    fresh: &[f64],
    threshold: f64,
    has_client: bool,
) -> (StallKind, String) {
    if !has_client {
        return match server_gap {
            Some(g) if g.ms > threshold => (
                StallKind::IocStopped,
                format!(
                    "server stamps stop for {:.0} ms (no client stamps recorded)",
                    g.ms
                ),
            ),
            _ => (StallKind::None, "no gap beyond 1.5 scan periods".into()),
        };
    }
    let Some(stall) = stall.filter(|g| g.ms > threshold) else {
        return (
            StallKind::None,
            "no client stall beyond 1.5 scan periods".into(),
        );
    };
    // Server stamps of the updates on either side of the stall.
    let before = values
        .iter()
        .position(|s| s.client_t_unix_ns == Some(stall.from_unix_ns));
    let across = before.and_then(|i| {
        let a = values.get(i)?.server_t_unix_ns?;
        let b = values.get(i + 1)?.server_t_unix_ns?;
        Some(b.saturating_sub(a) as f64 / NS_PER_MS)
    });
    if let Some(s) = across
        && s > threshold
    {
        return (
            StallKind::IocStopped,
            format!(
                "client stall {:.0} ms with a server-stamp gap of {s:.0} ms",
                stall.ms
            ),
        );
    }
    // Continuous server stamps: either the guest clock stopped with the IOC (the offset
    // jumps by about the stall and stays) or values were held back and delivered late.
    let pi = paired.iter().position(|(c, _)| *c == stall.from_unix_ns);
    let jump = pi.and_then(|i| {
        let lo = i.saturating_sub(4);
        let mut pre: Vec<f64> = paired.get(lo..=i)?.iter().map(|(_, o)| *o).collect();
        let pre = median(&mut pre)?;
        Some(fresh.get(i + 1)? - pre)
    });
    match jump {
        Some(j) if j >= stall.ms / 2.0 => (
            StallKind::IocStopped,
            format!(
                "client stall {:.0} ms, server stamps continuous, client-server offset jumped {j:.0} ms: the IOC's clock stopped with it",
                stall.ms
            ),
        ),
        _ => (
            StallKind::ClientsCutOff,
            format!(
                "client stall {:.0} ms while server stamps stayed continuous: values were held back, not lost",
                stall.ms
            ),
        ),
    }
}

/// Analyses every PV in `samples`; `params` gives each PV's parameters (falling back to `default`).
pub fn analyse_pvs(
    samples: &[PvSample],
    params: &BTreeMap<String, PvParams>,
    default: &PvParams,
) -> Vec<PvObserved> {
    let mut by_pv: BTreeMap<&str, Vec<&PvSample>> = BTreeMap::new();
    for s in samples {
        by_pv.entry(s.pv.as_str()).or_default().push(s);
    }
    by_pv
        .into_iter()
        .map(|(name, ss)| analyse_pv(name, &ss, params.get(name).unwrap_or(default)))
        .collect()
}

/// The overall verdict across PVs: the most serious explanation any PV shows.
pub fn classify_all(pvs: &[PvObserved]) -> StallKind {
    pvs.iter()
        .map(|p| p.stall_kind)
        .max()
        .unwrap_or(StallKind::None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::ping;
    use crate::trace::pv::PvValue;
    use std::fmt::Write;

    const T0: i64 = 1_764_118_923_000_000_000;
    const MS: i64 = 1_000_000;

    /// A `ping -D -O -i 0.1` log whose probes `lost` go unanswered.
    fn ping_log(n: u64, lost: std::ops::RangeInclusive<u64>) -> String {
        let mut s = String::from("PING 192.0.2.10 (192.0.2.10) 56(84) bytes of data.\n");
        for seq in 1..=n {
            let send = T0 + (seq as i64 - 1) * 100 * MS;
            if seq > 1 && lost.contains(&(seq - 1)) {
                let t = send;
                writeln!(
                    s,
                    "[{}.{:06}] no answer yet for icmp_seq={}",
                    t / 1_000_000_000,
                    (t % 1_000_000_000) / 1000,
                    seq - 1
                )
                .unwrap();
            }
            if !lost.contains(&seq) {
                let t = send + 400_000;
                writeln!(
                    s,
                    "[{}.{:06}] 64 bytes from 192.0.2.10: icmp_seq={seq} ttl=64 time=0.400 ms",
                    t / 1_000_000_000,
                    (t % 1_000_000_000) / 1000
                )
                .unwrap();
            }
        }
        s
    }

    #[test]
    fn ping_outage_bounds_from_stamps() {
        let log = ping::parse(&ping_log(40, 11..=30), "p").unwrap();
        let o = ping_outage(&log, 100.0);
        assert_eq!(o.lost, 20);
        assert_eq!(o.total_lost, 20);
        assert!((o.outage_ms_lo - 1900.0).abs() < 1e-6, "{}", o.outage_ms_lo);
        assert!((o.outage_ms_hi.unwrap() - 2100.0).abs() < 1e-6);
        assert_eq!(o.late_replies, 0);
    }

    #[test]
    fn mean_round_trip_counts_the_replies_before_the_job() {
        // Replies at t = 0.1 s steps from 1000 s: 1, 2, 3, ... ms; a duplicate of the
        // second does not count.
        let text: String = (1..=8u64)
            .map(|s| {
                let reply =
                    format!("[1000.{s}00000] 64 bytes from a: icmp_seq={s} ttl=64 time={s}.0 ms\n");
                if s == 2 {
                    reply + "[1000.250000] 64 bytes from a: icmp_seq=2 ttl=64 time=90.0 ms (DUP!)\n"
                } else {
                    reply
                }
            })
            .collect();
        let log = ping::parse(&text, "p").unwrap();
        let at = |s: f64| (s * 1e9) as i64;
        // Before 1000.65 s: the replies 1..6, mean 3.5 ms.
        assert_eq!(mean_rtt_before_ms(&log, at(1000.65)), Some(3.5));
        // Fewer than five replies before the start: no figure.
        assert_eq!(mean_rtt_before_ms(&log, at(1000.45)), None);
        assert_eq!(mean_rtt_before_ms(&log, at(1000.55)), Some(3.0));
    }

    #[test]
    fn ping_outage_without_stamps_uses_interval() {
        let text: String = (1..=10u64)
            .filter(|s| !(4..=6).contains(s))
            .map(|s| format!("64 bytes from a: icmp_seq={s} ttl=64 time=0.4 ms\n"))
            .collect();
        let o = ping_outage(&ping::parse(&text, "p").unwrap(), 100.0);
        assert_eq!(o.lost, 3);
        assert_eq!(o.outage_ms_lo, 200.0);
        assert_eq!(o.outage_ms_hi, Some(400.0));
    }

    #[test]
    fn fping_counts_from_zero_without_a_phantom_probe() {
        // fping -D -l -p 100: probes 0..9, 3..5 time out; the summary counts 10 sent.
        let mut text = String::new();
        for seq in 0..10i64 {
            let t = T0 + seq * 100 * MS;
            let line = if (3..=5).contains(&seq) {
                format!(
                    "[{}.{:05}] ioc : [{seq}], timed out (0.40 avg, 10% loss)\n",
                    t / 1_000_000_000,
                    (t % 1_000_000_000) / 10_000
                )
            } else {
                format!(
                    "[{}.{:05}] ioc : [{seq}], 64 bytes, 0.40 ms (0.40 avg, 0% loss)\n",
                    t / 1_000_000_000,
                    (t % 1_000_000_000) / 10_000
                )
            };
            text.push_str(&line);
        }
        text.push_str("ioc : xmt/rcv/%loss = 10/7/30%, min/avg/max = 0.40/0.40/0.40\n");
        let mut f = crate::trace::fping::parse(&text, "f").unwrap();
        let o = ping_outage(&f.hosts.pop().unwrap(), 100.0);
        assert_eq!(o.probes, 10);
        assert_eq!(o.lost, 3);
        assert_eq!(o.total_lost, 3);
        assert_eq!(o.outage_ms_hi, Some(400.0));
    }

    #[test]
    fn trailing_loss_is_open_ended_and_late_replies_count() {
        let text = "[1.000000] 64 bytes from a: icmp_seq=1 ttl=64 time=0.4 ms\n\
[1.100000] no answer yet for icmp_seq=1\n[1.200000] no answer yet for icmp_seq=2\n\
[1.250000] 64 bytes from a: icmp_seq=2 ttl=64 time=150 ms\n\
--- a ping statistics ---\n5 packets transmitted, 2 received, 60% packet loss, time 400ms\n";
        let o = ping_outage(&ping::parse(text, "p").unwrap(), 100.0);
        assert_eq!(o.lost, 3);
        assert_eq!(o.outage_ms_hi, None);
        assert_eq!(o.late_replies, 1);
        assert_eq!(o.max_rtt_ms, Some(150.0));
    }

    fn job(t_ms: i64, status: JobStatus, elapsed: u64, completed: bool) -> JobSample {
        JobSample {
            t_unix_ns: Some(T0 + t_ms * MS),
            status,
            completed,
            elapsed_ms: Some(elapsed),
            memory_processed_bytes: Some(elapsed * 1000),
            memory_remaining_bytes: None,
            memory_total_bytes: Some(1 << 29),
            bps_bytes_s: None,
            dirty_rate_pages_s: None,
            iteration: Some(elapsed / 1000),
            throttle_pct: None,
            downtime_ms: Some(if completed { 42 } else { 300 }),
            downtime_expected: !completed,
            setup_time_ms: None,
            zero_pages: None,
            normal_pages: None,
            normal_bytes: None,
            downtime_bytes: None,
        }
    }

    #[test]
    fn migration_window_from_samples() {
        let s = vec![
            job(500, JobStatus::Active, 500, false),
            job(1500, JobStatus::Active, 1500, false),
            job(9000, JobStatus::Completed, 8000, true),
        ];
        let w = migration_window(&s).unwrap();
        assert_eq!(w.start_unix_ns, Some(T0));
        assert_eq!(w.end_unix_ns, Some(T0 + 8000 * MS));
        assert_eq!(w.downtime_ms, Some(42));
        assert!(!w.downtime_expected);
        assert_eq!(w.outcome, JobStatus::Completed);
        assert_eq!(w.iterations, Some(8));
        assert!(migration_window(&[]).is_none());
    }

    fn pv(server_ms: i64, client_ms: i64, v: f64) -> PvSample {
        PvSample {
            pv: "rootHost:calcExample".into(),
            server_t_unix_ns: Some(T0 + server_ms * MS),
            client_t_unix_ns: Some(T0 + client_ms * MS),
            value: Some(PvValue::Number(v)),
            severity: Some("NO_ALARM".into()),
            status: Some("NO_ALARM".into()),
            event: PvEvent::Value,
        }
    }

    fn params() -> PvParams {
        PvParams {
            scan_period_ms: 1000.0,
            counting_modulo: Some(10),
            switch_unix_ns: None,
        }
    }

    fn analyse(samples: &[PvSample]) -> PvObserved {
        let refs: Vec<&PvSample> = samples.iter().collect();
        analyse_pv("rootHost:calcExample", &refs, &params())
    }

    #[test]
    fn burst_after_stall_is_clients_cut_off() {
        // Values every second; seconds 5..9 are held back and all arrive at 10.0 s.
        let mut s: Vec<PvSample> = (0..5)
            .map(|i| pv(i * 1000, i * 1000 + 2, (i % 10) as f64))
            .collect();
        s.extend((5..10).map(|i| pv(i * 1000, 10_000 + (i - 5), (i % 10) as f64)));
        s.extend((11..15).map(|i| pv(i * 1000, i * 1000 + 2, (i % 10) as f64)));
        let o = analyse(&s);
        assert_eq!(o.longest_stall_ms, Some(5998.0));
        assert_eq!(o.late_values, 5);
        assert_eq!(o.missed_values, Some(1));
        assert_eq!(o.stall_kind, StallKind::ClientsCutOff, "{}", o.stall_reason);
        assert!(o.server_gap_ms.unwrap() <= 2000.0);
    }

    #[test]
    fn server_gap_is_ioc_stopped() {
        let mut s: Vec<PvSample> = (0..5)
            .map(|i| pv(i * 1000, i * 1000 + 2, (i % 10) as f64))
            .collect();
        s.extend((10..15).map(|i| pv(i * 1000, i * 1000 + 2, (i % 10) as f64)));
        let o = analyse(&s);
        assert_eq!(o.stall_kind, StallKind::IocStopped);
        assert_eq!(o.server_gap_ms, Some(6000.0));
        assert_eq!(o.missed_values, Some(5));
        assert_eq!(o.late_values, 0);
    }

    #[test]
    fn paused_guest_clock_is_ioc_stopped_with_offset_jump() {
        // The guest clock stops for 3 s: server stamps continue from where they were.
        let mut s: Vec<PvSample> = (0..5)
            .map(|i| pv(i * 1000, i * 1000 + 2, (i % 10) as f64))
            .collect();
        s.extend((5..10).map(|i| pv(i * 1000, i * 1000 + 3002, (i % 10) as f64)));
        let o = analyse(&s);
        assert_eq!(o.stall_kind, StallKind::IocStopped, "{}", o.stall_reason);
        assert_eq!(o.offset_before_ms, Some(2.0));
        assert_eq!(o.offset_after_ms, Some(3002.0));
        assert_eq!(o.missed_values, Some(0));
        assert_eq!(classify_all(&[o]), StallKind::IocStopped);
    }

    #[test]
    fn steady_pv_has_no_stall() {
        let s: Vec<PvSample> = (0..20)
            .map(|i| pv(i * 1000, i * 1000 + 2, (i % 10) as f64))
            .collect();
        let o = analyse(&s);
        assert_eq!(o.stall_kind, StallKind::None);
        assert!(o.gaps.is_empty());
        assert_eq!(o.missed_values, Some(0));
        let json = serde_json::to_value(&o).unwrap();
        for k in ["name", "longest_stall_ms", "server_gap_ms", "late_values"] {
            assert!(json.get(k).is_some(), "{k}");
        }
    }
}

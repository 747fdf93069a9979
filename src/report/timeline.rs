//! What the `report` timeline draws, on one time axis: seconds from the migration
//! start. From a recorded bundle: the job statistics, the ping log and every PV's
//! values as the tools wrote them. From a simulated scenario: the passes, the pause,
//! the network after resume and each PV's Channel Access circuit.
//!
//! Pure data: [`super::timeline_svg`] draws it, [`super::explain`] tells it in words.

use crate::bundle::Bundle;
use crate::model::params::Clients;
use crate::model::{ModelParams, Outcome};
use crate::replay::observe::{Observation, ReplayError};
use crate::replay::observed::StallKind;
use crate::trace::bundle::Parsed;
use crate::trace::job::{self, JobSample, JobStatus};
use crate::trace::pv::{self, PvEvent, PvSample};
use crate::trace::{Format, ping};
use crate::units::{MIB, NS_PER_S, Nanos};
use serde::Serialize;
use std::collections::BTreeMap;

/// One job statistics sample, in plot units.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobPoint {
    /// Seconds from the migration start.
    pub t_s: f64,
    /// RAM still to send in this pass, MiB.
    pub remaining_mib: Option<f64>,
    /// RAM sent so far, MiB.
    pub processed_mib: Option<f64>,
    /// Transfer rate, MiB/s.
    pub bandwidth_mib_s: Option<f64>,
    /// Dirty rate, pages/s.
    pub dirty_pages_s: Option<f64>,
    /// Auto-converge throttle, %.
    pub throttle_pct: Option<f64>,
}

/// A labelled instant, seconds from the migration start.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Mark {
    /// When.
    pub t_s: f64,
    /// What.
    pub label: String,
}

/// A span, seconds from the migration start.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Span {
    /// Start.
    pub from_s: f64,
    /// End.
    pub to_s: f64,
}

/// One PV's values as the client received them and as the IOC stamped them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PvTrack {
    /// PV name.
    pub name: String,
    /// (client receive time s, value) of numeric updates.
    pub client: Vec<(f64, f64)>,
    /// (server stamp s, value) of numeric updates.
    pub server: Vec<(f64, f64)>,
    /// The longest client stall.
    pub stall: Option<Span>,
    /// Disconnect events.
    pub disconnects: Vec<f64>,
}

/// A recorded run on one time axis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BundleTimeline {
    /// Bundle name.
    pub name: String,
    /// What t = 0 is: "migration start" (from the job statistics) or "first stamp".
    pub origin: &'static str,
    /// Job statistics samples while the job ran.
    pub job: Vec<JobPoint>,
    /// Where a new pass began (QEMU's dirty-sync-count stepped).
    pub passes: Vec<Mark>,
    /// The migration job.
    pub window: Option<Span>,
    /// The guest's pause as the job reports it: the end of the job minus its downtime.
    pub pause: Option<Span>,
    /// Answered probes: (send time s, round trip ms).
    pub rtt: Vec<(f64, f64)>,
    /// Unanswered probes: estimated send times, s.
    pub lost: Vec<f64>,
    /// The ping outage at the switch: last answered probe before to first after.
    pub ping_outage: Option<Span>,
    /// Every PV.
    pub pvs: Vec<PvTrack>,
    /// The model's pass ends for the recorded parameters: (end s, remaining MiB).
    pub model_passes: Vec<(f64, f64)>,
    /// Time range of everything recorded.
    pub range: Span,
}

fn secs(t_unix_ns: i64, origin: i64) -> f64 {
    t_unix_ns.saturating_sub(origin) as f64 / NS_PER_S as f64
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / MIB as f64
}

/// Job samples of a parsed job statistics file (None for other formats).
fn job_samples(p: Parsed) -> Option<Vec<JobSample>> {
    match p {
        Parsed::DomjobinfoSeries(s) => Some(job::from_domjobinfo_series(&s)),
        Parsed::Jobstats(j) => Some(job::from_jobstats(&j)),
        Parsed::QueryMigrate(q) => Some(job::from_query_migrate(&q)),
        _ => None,
    }
}

/// PV samples of a parsed PV file (None for other formats).
fn pv_samples(p: Parsed) -> Option<Vec<PvSample>> {
    match p {
        Parsed::Camonitor(c) => Some(pv::from_camonitor(&c)),
        Parsed::Phoebus(x) => Some(pv::from_phoebus(&x)),
        Parsed::Archiver(a) => Some(pv::from_archiver(&a)),
        _ => None,
    }
}

/// Send times of every answered probe, by sequence number.
fn probe_sends(log: &ping::PingLog) -> BTreeMap<u64, (i64, f64)> {
    log.events
        .iter()
        .filter_map(|ev| match ev.kind {
            ping::PingEventKind::Reply {
                rtt_us: Some(r),
                duplicate: false,
                ..
            } => Some((ev.seq, (ping::send_time_ns(ev)?, r as f64 / 1000.0))),
            _ => None,
        })
        .collect()
}

/// Gathers the timeline of a bundle from its raw files; `obs` is its replay's
/// observation (ping outage runs, PV stalls), `model` the prediction for its
/// parameters, when there is one.
pub fn bundle_timeline(
    b: &Bundle,
    obs: &Observation,
    model: Option<&Outcome>,
) -> Result<BundleTimeline, ReplayError> {
    // The same choice of job series as the replay: libvirt's own first.
    let mut jobs: Vec<JobSample> = Vec::new();
    let mut rank = u8::MAX;
    let mut ping_log = None;
    let mut pv_all: Vec<PvSample> = Vec::new();
    for f in &b.manifest.files {
        let Ok(format) = f.format.parse::<Format>() else {
            continue;
        };
        match f.role.as_str() {
            "jobstats" => {
                let r = match format {
                    Format::JobstatsJsonl => 0,
                    Format::DomjobinfoSeries => 1,
                    _ => 2,
                };
                if r < rank
                    && let Some(s) = job_samples(b.parse_file(f)?)
                {
                    rank = r;
                    jobs = s;
                }
            }
            "ping" => {
                if let Parsed::Ping(log) = b.parse_file(f)? {
                    ping_log = Some(log);
                }
            }
            "pv" => pv_all.extend(pv_samples(b.parse_file(f)?).unwrap_or_default()),
            _ => {}
        }
    }
    let job_start = obs.job.as_ref().and_then(|j| j.start_unix_ns);
    let job_end = obs.job.as_ref().and_then(|j| j.end_unix_ns);
    let first_stamp = jobs
        .iter()
        .filter_map(|s| s.t_unix_ns)
        .chain(
            ping_log
                .iter()
                .flat_map(|l| l.events.iter().filter_map(|e| e.t_unix_ns)),
        )
        .chain(
            pv_all
                .iter()
                .filter_map(|s| s.client_t_unix_ns.or(s.server_t_unix_ns)),
        )
        .min();
    let (origin_ns, origin) = match (job_start, first_stamp) {
        (Some(t), _) => (t, "migration start"),
        (None, Some(t)) => (t, "first stamp"),
        (None, None) => (0, "first stamp"),
    };
    let s = |t: i64| secs(t, origin_ns);

    let mut points = Vec::new();
    let mut passes = Vec::new();
    let mut last_iter = None;
    for j in &jobs {
        let (Some(t), true) = (
            j.t_unix_ns,
            matches!(j.status, JobStatus::Active | JobStatus::Postcopy),
        ) else {
            continue;
        };
        points.push(JobPoint {
            t_s: s(t),
            remaining_mib: j.memory_remaining_bytes.map(mib),
            processed_mib: j.memory_processed_bytes.map(mib),
            bandwidth_mib_s: j.bps_bytes_s.map(|b| b / MIB as f64),
            dirty_pages_s: j.dirty_rate_pages_s.map(|d| d as f64),
            throttle_pct: j.throttle_pct.map(f64::from),
        });
        if let Some(i) = j.iteration
            && last_iter != Some(i)
        {
            // The sample that first shows pass i was taken after it began.
            passes.push(Mark {
                t_s: s(t),
                label: format!("pass {i}"),
            });
            last_iter = Some(i);
        }
    }
    let window = match (job_start, job_end) {
        (Some(a), Some(e)) => Some(Span {
            from_s: s(a),
            to_s: s(e),
        }),
        _ => None,
    };
    let pause = match (window, obs.job.as_ref().and_then(|j| j.downtime_ms)) {
        (Some(w), Some(d)) if obs.job.as_ref().is_some_and(|j| !j.downtime_expected) => {
            Some(Span {
                from_s: w.to_s - d / 1e3,
                to_s: w.to_s,
            })
        }
        _ => None,
    };

    let (mut rtt, mut lost, mut ping_outage) = (Vec::new(), Vec::new(), None);
    if let Some(log) = &ping_log {
        let sends = probe_sends(log);
        rtt = sends.values().map(|&(t, r)| (s(t), r)).collect();
        if let Some(p) = &obs.ping {
            let interval_s = p.interval_ms / 1e3;
            for run in &p.runs {
                // Lost probes went out evenly between the answered ones around them
                // (ping's real interval drifts from the nominal one), else one
                // interval apart from the answered one on the known side.
                let steps = (run.last_seq - run.first_seq + 2) as f64;
                for seq in run.first_seq..=run.last_seq {
                    let k = (seq + 1 - run.first_seq) as f64;
                    let t = match (run.bound_start_unix_ns, run.bound_end_unix_ns) {
                        (Some(a), Some(e)) => s(a) + k * (s(e) - s(a)) / steps,
                        (Some(a), None) => s(a) + k * interval_s,
                        (None, Some(e)) => s(e) - (steps - k) * interval_s,
                        (None, None) => continue,
                    };
                    lost.push(t);
                }
            }
            if p.lost > 0 {
                ping_outage = p.longest.as_ref().and_then(|r| {
                    Some(Span {
                        from_s: s(r.bound_start_unix_ns?),
                        to_s: s(r.bound_end_unix_ns?),
                    })
                });
            }
        }
    }

    let mut by_pv: BTreeMap<&str, Vec<&PvSample>> = BTreeMap::new();
    for x in &pv_all {
        by_pv.entry(x.pv.as_str()).or_default().push(x);
    }
    let pvs = by_pv
        .into_iter()
        .map(|(name, samples)| {
            let value = |x: &PvSample| x.value.as_ref().and_then(|v| v.as_f64());
            let values = samples.iter().filter(|x| x.event == PvEvent::Value);
            PvTrack {
                name: name.to_string(),
                client: values
                    .clone()
                    .filter_map(|x| Some((s(x.client_t_unix_ns?), value(x)?)))
                    .collect(),
                server: values
                    .filter_map(|x| Some((s(x.server_t_unix_ns?), value(x)?)))
                    .collect(),
                stall: obs
                    .pv
                    .iter()
                    .find(|p| p.name == name && p.stall_kind != StallKind::None)
                    .and_then(|p| p.longest_stall.as_ref())
                    .map(|g| Span {
                        from_s: s(g.from_unix_ns),
                        to_s: s(g.to_unix_ns),
                    }),
                disconnects: samples
                    .iter()
                    .filter(|x| x.event == PvEvent::Disconnected)
                    .filter_map(|x| Some(s(x.client_t_unix_ns.or(x.server_t_unix_ns)?)))
                    .collect(),
            }
        })
        .collect::<Vec<_>>();

    let model_passes = model.map_or_else(Vec::new, |o| {
        o.passes
            .iter()
            .map(|p| {
                (
                    p.end_ns as f64 / NS_PER_S as f64,
                    mib(p.remaining_pages * crate::model::qemu::PAGE_SIZE_BYTES),
                )
            })
            .collect()
    });

    let all_t = points
        .iter()
        .map(|p| p.t_s)
        .chain(rtt.iter().map(|p| p.0))
        .chain(lost.iter().copied())
        .chain(
            pvs.iter()
                .flat_map(|p| p.client.iter().chain(&p.server).map(|x| x.0)),
        )
        .chain(window.iter().flat_map(|w| [w.from_s, w.to_s]))
        .filter(|t| t.is_finite());
    let (lo, hi) = all_t.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), t| {
        (lo.min(t), hi.max(t))
    });
    let range = if lo <= hi {
        Span {
            from_s: lo,
            to_s: hi.max(lo + 1.0),
        }
    } else {
        Span {
            from_s: 0.0,
            to_s: 1.0,
        }
    };
    Ok(BundleTimeline {
        name: b.manifest.bundle.name.clone(),
        origin,
        job: points,
        passes,
        window,
        pause,
        rtt,
        lost,
        ping_outage,
        pvs,
        model_passes,
        range,
    })
}

/// When a CA circuit gets through again: a monitor update first sent at
/// `first_send_ns` into a path that is broken until `reach_ns` is retransmitted by
/// the guest's TCP after the minimum RTO, then at doubling intervals (as
/// [`crate::model::clients`] models it). Returns the retransmission times and the
/// one that is delivered (`first_send_ns` itself when the path is already back).
pub fn ca_retransmissions(
    first_send_ns: Nanos,
    reach_ns: Nanos,
    c: &Clients,
) -> (Vec<Nanos>, Nanos) {
    let mut tries = Vec::new();
    if first_send_ns >= reach_ns {
        return (tries, first_send_ns);
    }
    let mut rto = c.tcp_rto_min_ns.max(1);
    let mut t = first_send_ns;
    loop {
        t = t.saturating_add(rto);
        tries.push(t);
        if t >= reach_ns || t == Nanos::MAX {
            return (tries, t);
        }
        rto = rto.saturating_mul(2).min(c.tcp_rto_max_ns.max(1));
    }
}

/// One pass of the simulation, in plot units.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PassBar {
    /// `dirty-sync-count` at its end.
    pub index: u64,
    /// When it began, s.
    pub from_s: f64,
    /// When its sync ran, s.
    pub to_s: f64,
    /// Stream MiB sent in it.
    pub sent_mib: f64,
    /// MiB queued after its sync.
    pub remaining_mib: f64,
    /// Bandwidth QEMU measured, MiB/s.
    pub bandwidth_mib_s: f64,
    /// Throttle in force, %.
    pub throttle_pct: f64,
    /// QEMU's expected downtime after its sync, ms.
    pub expected_downtime_ms: f64,
    /// The stop-and-copy pass.
    pub stop_and_copy: bool,
}

/// One PV's Channel Access circuit around the switch, for one scan phase.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaCircuit {
    /// PV name.
    pub name: String,
    /// Scan period, s.
    pub scan_period_s: f64,
    /// The last update before the stop, s.
    pub last_update_s: f64,
    /// The first update after resume leaves the guest, s.
    pub first_send_s: f64,
    /// TCP retransmissions of it, s.
    pub retransmissions_s: Vec<f64>,
    /// When the circuit gets through and the queued updates arrive, s.
    pub resumed_s: f64,
}

/// A simulated run on one time axis (seconds from the migrate call, when the
/// destination's port joined its bridge).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScenarioTimeline {
    /// Scenario name.
    pub name: String,
    /// Guest RAM, MiB: what the first pass has to go through.
    pub memory_mib: f64,
    /// The passes.
    pub passes: Vec<PassBar>,
    /// The guest's pause (stop to running on the destination); None if not completed.
    pub pause: Option<Span>,
    /// Self-announce rounds.
    pub announces: Vec<f64>,
    /// STP on the destination bridge: listening and learning.
    pub stp: Option<(Span, Span)>,
    /// When clients reach the guest again.
    pub reachable_s: Option<f64>,
    /// Every PV's circuit, for the scan phase in the middle of its period.
    pub pvs: Vec<CaCircuit>,
    /// End of the migration job (or where the run gave up), s.
    pub total_s: f64,
    /// Whether it switched over.
    pub completed: bool,
    /// A run that could no longer converge was stopped here and extrapolated to
    /// `total_s`, s.
    pub extrapolated_from_s: Option<f64>,
    /// Time range to draw.
    pub range: Span,
}

fn ns_s(ns: Nanos) -> f64 {
    ns as f64 / NS_PER_S as f64
}

/// The timeline of a simulated run of `p`.
pub fn scenario_timeline(name: &str, p: &ModelParams, o: &Outcome) -> ScenarioTimeline {
    let page = p.guest.page_size_bytes.max(1);
    let passes = o
        .passes
        .iter()
        .map(|x| PassBar {
            index: x.index,
            from_s: ns_s(x.start_ns),
            to_s: ns_s(x.end_ns),
            sent_mib: mib(x.bytes_sent),
            remaining_mib: mib(x.remaining_pages.saturating_mul(page)),
            bandwidth_mib_s: x.bandwidth_bytes_per_s / MIB as f64,
            throttle_pct: x.throttle_pct,
            expected_downtime_ms: x.expected_downtime_ns as f64 / 1e6,
            stop_and_copy: x.stop_and_copy,
        })
        .collect();
    let total_s = ns_s(o.total_time_ns);
    let (mut pause, mut announces, mut stp, mut reachable_s, mut pvs) =
        (None, Vec::new(), None, None, Vec::new());
    if o.completed {
        let stop = o.total_time_ns.saturating_sub(o.downtime.reported_ns);
        let resume = stop.saturating_add(o.downtime.guest_ns);
        let reach = resume.saturating_add(o.after_resume.reachable_after_resume_ns);
        pause = Some(Span {
            from_s: ns_s(stop),
            to_s: ns_s(resume),
        });
        announces = o
            .after_resume
            .announce_ns
            .iter()
            .map(|&a| ns_s(resume.saturating_add(a)))
            .collect();
        if p.network.bridge_stp {
            let fd = ns_s(p.network.forward_delay_ns);
            stp = Some((
                Span {
                    from_s: 0.0,
                    to_s: fd,
                },
                Span {
                    from_s: fd,
                    to_s: 2.0 * fd,
                },
            ));
        }
        reachable_s = Some(ns_s(reach));
        pvs = p
            .pvs
            .iter()
            .map(|pv| {
                let period = pv.scan_period_ns.max(1);
                // Mid-phase: the last update left half a period before the stop; the
                // guest clock stands still while paused, so the next comes half a
                // period after resume.
                let a = period / 2;
                let first_send = resume.saturating_add(period - a);
                let (tries, delivered) = ca_retransmissions(first_send, reach, &p.clients);
                CaCircuit {
                    name: pv.name.clone(),
                    scan_period_s: ns_s(period),
                    last_update_s: ns_s(stop.saturating_sub(a)),
                    first_send_s: ns_s(first_send),
                    retransmissions_s: tries.into_iter().map(ns_s).collect(),
                    resumed_s: ns_s(delivered),
                }
            })
            .collect();
    }
    let end = pvs
        .iter()
        .map(|c: &CaCircuit| c.resumed_s)
        .chain(reachable_s)
        .chain(stp.map(|(_, l)| l.to_s))
        .fold(total_s, f64::max);
    ScenarioTimeline {
        name: name.to_string(),
        memory_mib: mib(p.guest.memory_bytes),
        passes,
        pause,
        announces,
        stp,
        reachable_s,
        pvs,
        total_s,
        completed: o.completed,
        extrapolated_from_s: o.extrapolated_from_ns.map(ns_s),
        range: Span {
            from_s: 0.0,
            to_s: (end * 1.05).max(1.0),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::NS_PER_MS;

    fn root() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
    }

    #[test]
    fn recorded_stp_run_on_one_axis() {
        let b = Bundle::load(&root().join("traces/lab-tcg-stp-fd10s-idle-512m-a2b")).unwrap();
        let obs = crate::replay::observe::observe_bundle(&b).unwrap();
        let tl = bundle_timeline(&b, &obs, None).unwrap();
        assert_eq!(tl.origin, "migration start");
        let w = tl.window.unwrap();
        assert_eq!(w.from_s, 0.0);
        let p = tl.pause.unwrap();
        assert!((p.to_s - w.to_s).abs() < 1e-9 && p.from_s < p.to_s);
        let ping = obs.ping.as_ref().unwrap();
        assert_eq!(tl.lost.len() as u64, ping.total_lost);
        let o = tl.ping_outage.unwrap();
        assert!(tl.lost.iter().all(|&t| t > o.from_s && t < o.to_s));
        assert!(tl.rtt.len() > 100 && !tl.job.is_empty() && !tl.passes.is_empty());
        assert_eq!(tl.pvs.len(), 2);
        for pv in &tl.pvs {
            let s = pv.stall.unwrap();
            assert!(s.to_s - s.from_s > 20.0, "{s:?}");
            assert!(pv.client.len() > 30 && pv.server.len() > 30);
        }
    }

    #[test]
    fn seed_scenario_after_the_stop() {
        let sc = crate::scenario::load(&root().join("scenarios/ihep-epics-demo.toml")).unwrap();
        let o = crate::model::simulate(&sc.params, 1);
        let tl = scenario_timeline("demo", &sc.params, &o);
        let (listen, learn) = tl.stp.unwrap();
        assert_eq!((listen.to_s, learn.to_s), (15.0, 30.0));
        let reach = tl.reachable_s.unwrap();
        assert!(reach >= 30.0, "{reach}");
        for c in &tl.pvs {
            assert!(c.resumed_s >= reach && c.first_send_s > tl.pause.unwrap().to_s);
            assert!(c.retransmissions_s.last() == Some(&c.resumed_s));
        }
        assert!(tl.range.to_s > tl.pvs[0].resumed_s);
    }

    #[test]
    fn retransmissions_double_until_the_path_is_back() {
        let c = Clients {
            tcp_rto_min_ns: 200 * NS_PER_MS,
            tcp_rto_max_ns: 120 * NS_PER_S,
            ca_conn_tmo_ns: 30 * NS_PER_S,
            ca_echo_timeout_ns: 5 * NS_PER_S,
        };
        let (tries, at) = ca_retransmissions(0, 5 * NS_PER_S, &c);
        let ms: Vec<u64> = tries.iter().map(|t| t / NS_PER_MS).collect();
        assert_eq!(ms, [200, 600, 1400, 3000, 6200]);
        assert_eq!(at, 6200 * NS_PER_MS);
        assert_eq!(ca_retransmissions(7, 3, &c), (Vec::new(), 7));
    }
}

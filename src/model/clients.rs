//! What clients of the IOC see around switchover: pings, and Channel Access monitors
//! carried over a TCP circuit.
//!
//! Pings fail from the moment the guest stops until switches know its new port
//! (`reach`). A CA server posts monitor updates into its TCP circuit; the first update
//! after resume that finds its bridge port not yet forwarding is retransmitted by the
//! guest's TCP with exponential backoff (200 ms, then doubling, capped at 120 s), so
//! the circuit resumes only at the first retransmission once the port forwards, and
//! every update queued meanwhile arrives in one burst. A client that hears nothing for
//! `EPICS_CA_CONN_TMO` sends an echo request; unanswered for `CA_ECHO_TIMEOUT`, it
//! declares the channels disconnected (EPICS base `tcpRecvWatchdog`).

use super::guest;
use super::params::Clients;
use super::qemu::CPU_THROTTLE_TIMESLICE_NS;
use crate::median::upper_median;
use crate::units::Nanos;
use serde::Serialize;

/// Minimum, mean and maximum of a quantity over the unknown phase of the IOC's scan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Range3 {
    /// Smallest.
    pub min: f64,
    /// Mean over a uniform scan phase.
    pub mean: f64,
    /// Largest.
    pub max: f64,
}

/// What the clients of one PV see.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PvImpact {
    /// PV name.
    pub name: String,
    /// Scan period, ns.
    pub scan_period_ns: Nanos,
    /// Longest time without an update in client time, ns.
    pub stall_ns: Range3,
    /// Longest gap between the IOC's own (server) timestamps, ns: the pause.
    pub server_gap_ns: Nanos,
    /// Updates held back and delivered in one burst when the circuit resumes.
    pub late_values: Range3,
    /// Values lost: none, TCP delivers every queued update.
    pub missed_values: u64,
    /// Share of scan phases for which the client declares the channel disconnected.
    pub disconnect_share: f64,
    /// Longest update gap while auto-converge throttled the guest before switchover.
    pub throttled_gap_ns: Nanos,
}

/// Transmission times of a TCP segment first sent at `first` whose sends are lost
/// until the path is back: the send, then retransmissions after RTO, 2 RTO, 4 RTO...
fn tcp_sends(first: Nanos, c: &Clients, until: Nanos) -> impl Iterator<Item = Nanos> + '_ {
    let mut t = first;
    let mut rto = c.tcp_rto_min_ns.max(1);
    let mut sent_first = false;
    std::iter::from_fn(move || {
        if !sent_first {
            sent_first = true;
            return Some(t);
        }
        if t > until {
            return None;
        }
        t = t.saturating_add(rto);
        rto = rto.saturating_mul(2).min(c.tcp_rto_max_ns.max(1));
        Some(t)
    })
}

/// When a circuit whose first segment left at `first` gets through, with the path
/// back at `reach`: the first transmission at or after `reach`.
fn delivery_after(first: Nanos, reach: Nanos, c: &Clients) -> Nanos {
    tcp_sends(first, c, reach.saturating_add(c.tcp_rto_max_ns))
        .find(|&t| t >= reach)
        .unwrap_or(reach)
}

/// A bridge forgets a MAC it has not seen for this long (Linux `ageing_time`, 300 s):
/// without any frame from the guest the path comes back then at the latest.
const BRIDGE_AGEING_NS: Nanos = 300 * crate::units::NS_PER_S;

/// The network and the clients after a pause from `stop` to `resume` (absolute), the
/// destination port having joined its bridge at `port_joined`. The unknown phases of
/// the IOC's scan and of its beacons are averaged over.
pub fn after_switchover(
    p: &super::params::ModelParams,
    port_joined: Nanos,
    stop: Nanos,
    resume: Nanos,
    max_throttle_pct: f64,
) -> (super::outcome::AfterResume, Vec<PvImpact>) {
    use super::network::{announces, first_frame, forwarding_at};
    const SCAN_PHASES: u64 = 32;
    const BEACON_PHASES: u64 = 16;
    let n = &p.network;
    let c = &p.clients;
    let announce = announces(n);
    let forwarding = forwarding_at(n, port_joined);
    let listen_from = resume.max(forwarding);
    let has_ioc = !p.pvs.is_empty();
    let fastest = p
        .pvs
        .iter()
        .map(|pv| pv.scan_period_ns.max(1))
        .min()
        .unwrap_or(crate::units::NS_PER_S);
    let beacon = n.ca_beacon_period_ns.max(1);
    let disconnect_after = c.ca_conn_tmo_ns + c.ca_echo_timeout_ns;
    let mut reach_after_resume = Vec::new();
    let mut taught_by = [0u32; 4]; // announce, TCP, beacon, ageing
    let mut per_pv: Vec<(Vec<f64>, Vec<f64>, u32)> = vec![(Vec::new(), Vec::new(), 0); p.pvs.len()];
    for i in 0..SCAN_PHASES {
        // The last update left `a` before the stop; the guest clock stands still while
        // paused, so the next scan comes `period - a` after resume.
        let a = fastest * i / SCAN_PHASES;
        let first_send = resume + (fastest - a);
        for j in 0..BEACON_PHASES {
            let b = beacon * j / BEACON_PHASES;
            let horizon = listen_from.saturating_add(BRIDGE_AGEING_NS);
            let aged = stop.saturating_add(BRIDGE_AGEING_NS).max(listen_from);
            let candidates = [
                first_frame(listen_from, announce.iter().map(|x| resume + x)),
                if has_ioc {
                    first_frame(listen_from, tcp_sends(first_send, c, horizon))
                } else {
                    None
                },
                if has_ioc {
                    first_frame(
                        listen_from,
                        (0..)
                            .map(|k| resume + b + k * beacon)
                            .take_while(|&t| t <= horizon),
                    )
                } else {
                    None
                },
                // Ageing floods the guest's frames again, but only through a port
                // that forwards and once the guest runs: a pause longer than the
                // ageing time ends before it can help.
                Some(aged),
            ];
            let (kind, learnt) = candidates
                .iter()
                .enumerate()
                .filter_map(|(k, t)| t.map(|t| (k, t)))
                .min_by_key(|&(k, t)| (t, k))
                .unwrap_or((3, aged));
            taught_by[kind] += 1;
            let reach = learnt + n.reconverge_ns;
            reach_after_resume.push(reach.saturating_sub(resume) as f64);
            // Frames from the guest to its clients go through as soon as the port
            // forwards (switches know where the clients are); only the way back needed
            // learning. So the circuit resumes at the first send once the port forwards.
            let circuit_up = delivery_after(first_send, listen_from, c);
            for (k, pv) in p.pvs.iter().enumerate() {
                let period = pv.scan_period_ns.max(1);
                let last = stop.saturating_sub(a % period);
                let generated = resume + (period - a % period);
                let delivered = generated.max(circuit_up);
                let stall = delivered - last;
                per_pv[k].0.push(stall as f64);
                per_pv[k].1.push(if circuit_up > generated {
                    ((circuit_up - generated) / period + 1) as f64
                } else {
                    0.0
                });
                if stall >= disconnect_after {
                    per_pv[k].2 += 1;
                }
            }
        }
    }
    let combos = (SCAN_PHASES * BEACON_PHASES) as f64;
    // The unknown phases put the path back in one of a few places a whole backoff step
    // or beacon period apart (a retransmission just before the port forwards is lost,
    // the next comes 6 s later): the prediction is the median over them, one of those
    // places, as the pause is; a mean falls between them, where no run does.
    let reach_median = upper_median(&mut reach_after_resume).map_or(0, |r| r.round() as Nanos);
    let how = [
        "self-announce",
        "the IOC's TCP retransmissions",
        "the IOC's CA beacons",
        "bridge ageing",
    ];
    let main = taught_by
        .iter()
        .enumerate()
        .max_by_key(|&(k, n)| (*n, 3 - k))
        .map_or(0, |(k, _)| k);
    let cause = if n.bridge_stp && forwarding > resume + announce.last().copied().unwrap_or(0) {
        format!(
            "destination bridge port in STP listening/learning until {:.1} s after the stop; then switches \
             learnt the guest's port from {}",
            (forwarding.saturating_sub(stop)) as f64 / 1e9,
            how[main]
        )
    } else if n.bridge_stp && forwarding > resume {
        format!(
            "destination bridge port in STP listening/learning until {:.1} s after the stop, then {}",
            (forwarding.saturating_sub(stop)) as f64 / 1e9,
            how[main]
        )
    } else {
        how[main].to_string()
    };
    let after = super::outcome::AfterResume {
        announce_ns: announce,
        reachable_after_resume_ns: reach_median,
        cause,
        outage_ns: resume.saturating_sub(stop) + reach_median,
        network_ns: reach_median,
    };
    let sleep = guest::sleep_ns(max_throttle_pct);
    let pvs = p
        .pvs
        .iter()
        .zip(per_pv)
        .map(|(pv, (stall, late, disconnects))| {
            let period = pv.scan_period_ns.max(1);
            PvImpact {
                name: pv.name.clone(),
                scan_period_ns: period,
                stall_ns: range(&stall),
                server_gap_ns: period + resume.saturating_sub(stop),
                late_values: range(&late),
                missed_values: 0,
                disconnect_share: disconnects as f64 / combos,
                throttled_gap_ns: if sleep > 0 {
                    period.max(sleep + CPU_THROTTLE_TIMESLICE_NS)
                } else {
                    0
                },
            }
        })
        .collect();
    (after, pvs)
}

fn range(v: &[f64]) -> Range3 {
    if v.is_empty() {
        return Range3::default();
    }
    Range3 {
        min: v.iter().copied().fold(f64::INFINITY, f64::min),
        mean: v.iter().sum::<f64>() / v.len() as f64,
        max: v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario;
    use crate::units::{NS_PER_MS, NS_PER_S};
    use std::path::Path;

    fn params(stp_fd_s: Option<u32>) -> super::super::params::ModelParams {
        let net = match stp_fd_s {
            Some(fd) => format!("[network]\nbridge_stp = true\nforward_delay_s = {fd}\n"),
            None => String::new(),
        };
        let t = format!(
            "[guest]\nmemory_mib = 64\n{net}[[pvs]]\nname = \"rootHost:calcExample\"\nscan_period_s = 1.0\n"
        );
        scenario::parse(&t, Path::new("t.toml")).unwrap().params
    }

    #[test]
    fn backoff_schedule() {
        let c = params(None).clients;
        // Sends at 0, then retransmissions at 0.2, 0.6, 1.4, 3.0, 6.2, 12.6, 25.4 s.
        assert_eq!(delivery_after(0, 5 * NS_PER_S, &c), 6_200 * NS_PER_MS);
        assert_eq!(delivery_after(0, 17 * NS_PER_S, &c), 25_400 * NS_PER_MS);
        assert_eq!(delivery_after(3, 1, &c), 3);
    }

    #[test]
    fn without_stp_the_first_announce_brings_the_guest_back() {
        let stop = 10 * NS_PER_S;
        let (a, pvs) = after_switchover(&params(None), 0, stop, stop + 22 * NS_PER_MS, 0.0);
        assert_eq!(a.outage_ns, 23 * NS_PER_MS);
        assert_eq!(a.cause, "self-announce");
        assert!(pvs[0].stall_ns.max <= 1.03e9);
        assert_eq!(pvs[0].late_values.max, 0.0);
    }

    #[test]
    fn stp_holds_the_guest_off_then_its_own_traffic_teaches_the_switch() {
        // Port joined at 0, forwarding at 20 s; stopped at 3.5 s: no announce gets
        // through, so the guest's TCP retransmissions or beacons must.
        let stop = 3_500 * NS_PER_MS;
        let (a, pvs) = after_switchover(&params(Some(10)), 0, stop, stop + 22 * NS_PER_MS, 0.0);
        let out = a.outage_ns as f64 / 1e9;
        assert!(out > 16.5 && out < 27.0, "{out}");
        assert!(a.cause.contains("STP"), "{}", a.cause);
        let s = pvs[0].stall_ns;
        assert!(s.min >= 16.5e9 && s.max <= 27.5e9, "{s:?}");
        assert!(pvs[0].late_values.mean >= 5.0);
        assert_eq!(pvs[0].disconnect_share, 0.0);
        // Forwarding 40 s after the stop: past EPICS_CA_CONN_TMO + echo timeout.
        let (_, pvs) = after_switchover(&params(Some(22)), 0, stop, stop + 22 * NS_PER_MS, 0.0);
        assert!(pvs[0].disconnect_share > 0.9);
    }

    #[test]
    fn a_pause_longer_than_bridge_ageing_still_counts_whole() {
        // Stop-and-copy of 30 min: the old port aged out long before the resume, so
        // the first self-announce brings the guest back, right after the pause.
        let stop = 10 * NS_PER_S;
        let resume = stop + 1_800 * NS_PER_S;
        let (a, pvs) = after_switchover(&params(None), 0, stop, resume, 0.0);
        assert_eq!(a.outage_ns, resume - stop + NS_PER_MS);
        assert_eq!(a.reachable_after_resume_ns, NS_PER_MS);
        assert_eq!(a.cause, "self-announce");
        assert!(pvs[0].stall_ns.min >= 1_800e9, "{:?}", pvs[0].stall_ns);
        assert_eq!(pvs[0].disconnect_share, 1.0);
    }
}

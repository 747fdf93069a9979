//! What clients of the IOC see around switchover: pings, and Channel Access monitors
//! carried over a TCP circuit.
//!
//! The guest is unreachable from the moment it stops until the network path to its
//! new host works again (`reach`). A CA server posts monitor updates into its TCP
//! circuit; the first update after resume that finds the path broken is retransmitted
//! by the guest's TCP with exponential backoff (200 ms, then doubling, capped at
//! 120 s), so the circuit resumes only at the first retransmission after `reach`, and
//! every update queued meanwhile arrives in one burst. A client that hears nothing for
//! `EPICS_CA_CONN_TMO` sends an echo request; unanswered for `CA_ECHO_TIMEOUT`, it
//! declares the channels disconnected (EPICS base `tcpRecvWatchdog`).

use super::guest;
use super::params::{Clients, Pv};
use super::qemu::CPU_THROTTLE_TIMESLICE_NS;
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

/// Retransmission times after a first send at 0 that was lost: RTO, then doubling.
fn delivery_after(first_send_ns: Nanos, reach_ns: Nanos, c: &Clients) -> Nanos {
    if first_send_ns >= reach_ns {
        return first_send_ns;
    }
    let mut rto = c.tcp_rto_min_ns.max(1);
    let mut t = first_send_ns;
    loop {
        t = t.saturating_add(rto);
        if t >= reach_ns {
            return t;
        }
        rto = (rto.saturating_mul(2)).min(c.tcp_rto_max_ns.max(1));
    }
}

/// Per-PV impact of a pause from `stop` to `resume` with the path back at `reach`
/// (all absolute times), and of a throttle of `max_throttle_pct` before it.
pub fn pv_impacts(
    c: &Clients,
    pvs: &[Pv],
    stop: Nanos,
    resume: Nanos,
    reach: Nanos,
    max_throttle_pct: f64,
) -> Vec<PvImpact> {
    const PHASES: u64 = 64;
    let pause = resume.saturating_sub(stop);
    let disconnect_after = c.ca_conn_tmo_ns + c.ca_echo_timeout_ns;
    pvs.iter()
        .map(|pv| {
            let period = pv.scan_period_ns.max(1);
            let (mut stall, mut late) = (Vec::new(), Vec::new());
            let mut disconnects = 0;
            for i in 0..PHASES {
                // The last update left `a` before the stop; the guest clock stands
                // still while paused, so the next scan comes `period - a` after resume.
                let a = period * i / PHASES;
                let last = stop.saturating_sub(a);
                let first_send = resume + (period - a);
                let delivered = delivery_after(first_send, reach, c);
                let s = delivered - last;
                stall.push(s as f64);
                late.push(if delivered > first_send {
                    ((delivered - first_send) / period + 1) as f64
                } else {
                    0.0
                });
                if s >= disconnect_after {
                    disconnects += 1;
                }
            }
            let sleep = guest::sleep_ns(max_throttle_pct);
            PvImpact {
                name: pv.name.clone(),
                scan_period_ns: period,
                stall_ns: range(&stall),
                server_gap_ns: period + pause,
                late_values: range(&late),
                missed_values: 0,
                disconnect_share: disconnects as f64 / PHASES as f64,
                throttled_gap_ns: if sleep > 0 {
                    period.max(sleep + CPU_THROTTLE_TIMESLICE_NS)
                } else {
                    0
                },
            }
        })
        .collect()
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
    use crate::units::{NS_PER_MS, NS_PER_S};

    fn clients() -> Clients {
        Clients {
            tcp_rto_min_ns: 200 * NS_PER_MS,
            tcp_rto_max_ns: 120 * NS_PER_S,
            ca_conn_tmo_ns: 30 * NS_PER_S,
            ca_echo_timeout_ns: 5 * NS_PER_S,
        }
    }

    fn pv(period_ms: u64) -> Pv {
        Pv {
            name: "rootHost:calcExample".into(),
            scan_period_ns: period_ms * NS_PER_MS,
            counting_modulo: Some(10),
        }
    }

    #[test]
    fn backoff_schedule() {
        let c = clients();
        // Retransmissions at 0.2, 0.6, 1.4, 3.0, 6.2, 12.6, 25.4 s after the first send.
        assert_eq!(delivery_after(0, 5 * NS_PER_S, &c), 6_200 * NS_PER_MS);
        assert_eq!(delivery_after(0, 17 * NS_PER_S, &c), 25_400 * NS_PER_MS);
        assert_eq!(delivery_after(3, 1, &c), 3);
    }

    #[test]
    fn short_pause_costs_one_period_plus_pause() {
        let stop = 10 * NS_PER_S;
        let r = pv_impacts(
            &clients(),
            &[pv(1000)],
            stop,
            stop + 22 * NS_PER_MS,
            stop + 23 * NS_PER_MS,
            0.0,
        );
        assert_eq!(r[0].stall_ns.max, 1_022.0 * NS_PER_MS as f64);
        assert_eq!(r[0].late_values.max, 0.0);
        assert_eq!(r[0].disconnect_share, 0.0);
    }

    #[test]
    fn stp_outage_gives_a_long_stall_a_burst_and_no_disconnect() {
        // The lab's 10 s forward delay: path back 17 s after the stop.
        let stop = 10 * NS_PER_S;
        let r = pv_impacts(
            &clients(),
            &[pv(1000)],
            stop,
            stop + 22 * NS_PER_MS,
            stop + 17 * NS_PER_S,
            0.0,
        );
        let s = r[0].stall_ns;
        assert!(s.min >= 17e9 && s.max <= 27.5e9, "{s:?}");
        assert!(r[0].late_values.max >= 12.0);
        assert_eq!(r[0].disconnect_share, 0.0);
        // A path back after 40 s: the client gives up first.
        let r = pv_impacts(
            &clients(),
            &[pv(1000)],
            stop,
            stop + 22 * NS_PER_MS,
            stop + 40 * NS_PER_S,
            0.0,
        );
        assert_eq!(r[0].disconnect_share, 1.0);
    }
}

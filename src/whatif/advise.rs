//! Strategy advice: live pre-copy, auto-converge, post-copy or offline migration,
//! each simulated on the same scenario, with the one to use and why.

use crate::model::clients::PvImpact;
use crate::model::params::{ModelParams, Postcopy};
use crate::model::{Outcome, Verdict, simulate};
use crate::units::{NS_PER_S, Nanos, ns_to_ms};
use serde::Serialize;

/// A migration strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Strategy {
    /// Pre-copy as configured, no auto-converge.
    Precopy,
    /// Pre-copy with auto-converge.
    AutoConverge,
    /// Switch to post-copy after the first pass.
    Postcopy,
    /// Stop the guest and copy everything.
    Offline,
}

impl Strategy {
    /// The name in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Strategy::Precopy => "live pre-copy",
            Strategy::AutoConverge => "auto-converge",
            Strategy::Postcopy => "post-copy",
            Strategy::Offline => "offline",
        }
    }
}

/// What one PV's clients see under one strategy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PvEffect {
    /// PV name.
    pub name: String,
    /// Scan period, s.
    pub scan_period_s: f64,
    /// Longest time without an update, s (mean over scan phases).
    pub stall_s: f64,
    /// Updates that arrive late, in a burst, after the stall.
    pub late_updates: f64,
    /// Scans that do not happen at all while the guest is throttled or paused.
    pub skipped_updates: f64,
    /// Whether clients declare a disconnect (for some scan phases).
    pub disconnect: bool,
}

/// One strategy's prediction.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Choice {
    /// The strategy.
    pub strategy: Strategy,
    /// Whether it is possible here.
    pub available: bool,
    /// Whether it completes.
    pub completes: bool,
    /// Guest downtime, ms.
    pub downtime_ms: f64,
    /// Total time, ms.
    pub total_time_ms: f64,
    /// Time the guest runs degraded (throttled, or faulting pages in post-copy), ms.
    pub degraded_ms: f64,
    /// Highest CPU throttle, %.
    pub max_throttle_pct: f64,
    /// Ping outage, ms.
    pub outage_ms: f64,
    /// Per-PV effects.
    pub pvs: Vec<PvEffect>,
}

/// The advice.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Advice {
    /// Every option, in the order pre-copy, auto-converge, post-copy, offline.
    pub options: Vec<Choice>,
    /// The recommended strategy.
    pub recommended: Strategy,
    /// Why, in a sentence or two.
    pub reason: String,
}

fn effects(o: &Outcome, skipped_window_ns: Nanos, pvs: &[PvImpact]) -> Vec<PvEffect> {
    pvs.iter()
        .map(|pv| {
            let period = pv.scan_period_ns.max(1) as f64;
            // Scans that would have run during the pause and the throttled stalls.
            let throttled = if pv.throttled_gap_ns > pv.scan_period_ns {
                o.guest.throttled_ns as f64 * (1.0 / period - 1.0 / pv.throttled_gap_ns as f64)
            } else {
                0.0
            };
            PvEffect {
                name: pv.name.clone(),
                scan_period_s: pv.scan_period_ns as f64 / NS_PER_S as f64,
                stall_s: pv.stall_ns.mean / NS_PER_S as f64,
                late_updates: pv.late_values.mean,
                skipped_updates: ((skipped_window_ns as f64 / period) + throttled).floor(),
                disconnect: pv.disconnect_share > 0.0,
            }
        })
        .collect()
}

fn option(strategy: Strategy, available: bool, o: &Outcome, degraded_ns: Nanos) -> Choice {
    Choice {
        strategy,
        available,
        completes: available && o.completed,
        downtime_ms: ns_to_ms(o.downtime.guest_ns),
        total_time_ms: ns_to_ms(o.total_time_ns),
        degraded_ms: ns_to_ms(degraded_ns),
        max_throttle_pct: o.max_throttle_pct,
        outage_ms: ns_to_ms(o.after_resume.outage_ns),
        pvs: effects(o, o.downtime.guest_ns, &o.pvs),
    }
}

/// Simulates every strategy on `p` with `seed` and picks one.
pub fn advise(p: &ModelParams, seed: u64) -> Advice {
    let mut pre = p.clone();
    pre.migration.auto_converge = false;
    pre.migration.postcopy = Postcopy::Off;
    let o_pre = simulate(&pre, seed);

    let mut ac = pre.clone();
    ac.migration.auto_converge = true;
    let o_ac = simulate(&ac, seed);

    let mut pc = pre.clone();
    pc.migration.postcopy = Postcopy::AfterPasses(1);
    let pc_ok = p.migration.postcopy_available;
    let o_pc = simulate(&pc, seed);

    // Offline: the guest is stopped for the whole copy; clients see it all as downtime.
    let mut o_off = o_pre.clone();
    let off_ns = o_pre.alternatives.offline_downtime_ns;
    o_off.completed = true;
    o_off.verdict = Verdict::NeedsOffline;
    o_off.total_time_ns = off_ns;
    o_off.downtime.guest_ns = off_ns;
    o_off.guest = Default::default();
    o_off.max_throttle_pct = 0.0;
    // The destination port joins its bridge when the copy starts, which is the stop.
    (o_off.after_resume, o_off.pvs) = crate::model::clients::after_switchover(p, 0, 0, off_ns, 0.0);

    let options = vec![
        option(Strategy::Precopy, true, &o_pre, 0),
        option(
            Strategy::AutoConverge,
            p.migration.auto_converge_available,
            &o_ac,
            o_ac.guest.throttled_ns,
        ),
        option(
            Strategy::Postcopy,
            pc_ok,
            &o_pc,
            o_pc.alternatives.postcopy_degraded_ns,
        ),
        option(Strategy::Offline, true, &o_off, 0),
    ];
    let conn_tmo_ms = p.clients.ca_conn_tmo_ns as f64 / 1e6;
    let (recommended, reason) = choose(&options, conn_tmo_ms);
    Advice {
        options,
        recommended,
        reason,
    }
}

/// Whether the option makes CA clients declare a disconnect; for a guest with no PVs
/// named, whether its pause outlasts `EPICS_CA_CONN_TMO` (`conn_tmo_ms`).
fn cuts_clients(o: &Choice, conn_tmo_ms: f64) -> bool {
    if o.pvs.is_empty() {
        o.downtime_ms > conn_tmo_ms
    } else {
        o.pvs.iter().any(|p| p.disconnect)
    }
}

fn choose(opts: &[Choice], conn_tmo_ms: f64) -> (Strategy, String) {
    let [pre, ac, pc, off] = [&opts[0], &opts[1], &opts[2], &opts[3]];
    // An option whose pause makes the CA clients declare a disconnect loses to one
    // that spares them that.
    let spared = opts
        .iter()
        .any(|o| o.available && o.completes && !cuts_clients(o, conn_tmo_ms));
    let acceptable =
        |o: &Choice| o.available && o.completes && (!spared || !cuts_clients(o, conn_tmo_ms));
    let pre_ok = acceptable(pre);
    let pre_says = if pre.completes {
        format!(
            "pre-copy converges only with a {:.1} s pause, long enough for the CA clients to disconnect",
            pre.downtime_ms / 1e3
        )
    } else {
        "pre-copy does not converge".to_string()
    };
    if pre_ok {
        return (
            Strategy::Precopy,
            format!(
                "pre-copy converges on its own: {:.1} ms downtime after {:.1} s, nothing else needed",
                pre.downtime_ms,
                pre.total_time_ms / 1e3
            ),
        );
    }
    // Throttling below half the CPU keeps IOC scans on time; past that, scans stall.
    let gentle = acceptable(ac) && ac.max_throttle_pct <= 50.0;
    if gentle || (acceptable(ac) && !pc.available) {
        return (
            Strategy::AutoConverge,
            format!(
                "{pre_says}; auto-converge converges with the guest throttled up to {:.0} % for {:.1} s \
                 ({:.1} ms downtime){}",
                ac.max_throttle_pct,
                ac.degraded_ms / 1e3,
                ac.downtime_ms,
                if pc.available {
                    ""
                } else {
                    "; post-copy is not available here"
                }
            ),
        );
    }
    if pc.available && pc.completes {
        return (
            Strategy::Postcopy,
            format!(
                "{pre_says}{}; post-copy switches after the first pass with {:.1} ms downtime and \
                 {:.1} s of page faults over the network (a network failure then loses the guest)",
                if !ac.available {
                    ", auto-converge is not available here".into()
                } else if ac.completes {
                    format!(
                        " and auto-converge needs {:.0} % throttle",
                        ac.max_throttle_pct
                    )
                } else {
                    " even with auto-converge".into()
                },
                pc.downtime_ms,
                pc.degraded_ms / 1e3
            ),
        );
    }
    (
        Strategy::Offline,
        format!(
            "{pre_says}; auto-converge {}; post-copy {}: stop and copy, {:.2} s of downtime",
            if ac.available {
                "does not converge"
            } else {
                "is not available here"
            },
            if pc.available {
                "does not complete"
            } else {
                "is not available here"
            },
            off.downtime_ms / 1e3
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario;
    use std::path::Path;

    fn params(t: &str) -> ModelParams {
        scenario::parse(t, Path::new("t.toml")).unwrap().params
    }

    #[test]
    fn light_guest_gets_precopy() {
        let a = advise(
            &params("[guest]\nmemory_mib = 256\n[workload]\nwws_mib = 8\nhot_writes_per_s = 100\n"),
            1,
        );
        assert_eq!(a.recommended, Strategy::Precopy);
        assert_eq!(a.options.len(), 4);
    }

    #[test]
    fn hot_guest_gets_postcopy_or_offline() {
        let t = "[guest]\nmemory_mib = 512\n[workload]\nzero_fraction = 0.75\nwws_mib = 64\nhot_writes_per_s = 60000\n\
                 [migration]\nmax_bandwidth_mib_s = 32\ncompletion_timeout_s = 60\n";
        let a = advise(&params(t), 1);
        assert!(!a.options[0].completes);
        assert_eq!(a.recommended, Strategy::Postcopy, "{}", a.reason);
        let a = advise(
            &params(&t.replace("[migration]\n", "[migration]\npostcopy_available = false\n")),
            1,
        );
        assert_ne!(a.recommended, Strategy::Postcopy, "{}", a.reason);
    }

    #[test]
    fn a_precopy_pause_that_disconnects_clients_loses_to_postcopy() {
        // A 60 s downtime limit on a 10 Mbit/s link: pre-copy converges, but with a
        // pause past EPICS_CA_CONN_TMO; post-copy pauses for the device state only.
        let t = "[guest]\nmemory_mib = 256\n[workload]\nzero_fraction = 0.5\nwws_mib = 64\nhot_writes_per_s = 20000\n\
                 [link]\nbandwidth_mbit_s = 10\n[migration]\ndowntime_limit_ms = 60000\npostcopy_available = true\n";
        let a = advise(&params(t), 1);
        assert!(a.options[0].completes, "{}", a.reason);
        assert!(
            a.options[0].downtime_ms > 30_000.0,
            "{}",
            a.options[0].downtime_ms
        );
        assert_eq!(a.recommended, Strategy::Postcopy, "{}", a.reason);
        assert!(a.reason.contains("converges only with a"), "{}", a.reason);
        // Hosts without auto-converge: it is offered but not available.
        let a = advise(
            &params(&t.replace(
                "[migration]\n",
                "[migration]\nauto_converge_available = false\n",
            )),
            1,
        );
        assert!(!a.options[1].available && !a.options[1].completes);
        // A smaller working set, a pause the clients ride out: pre-copy as before.
        let a = advise(&params(&t.replace("wws_mib = 64", "wws_mib = 16")), 1);
        assert!(
            a.options[0].downtime_ms < 30_000.0,
            "{}",
            a.options[0].downtime_ms
        );
        assert_eq!(a.recommended, Strategy::Precopy, "{}", a.reason);
    }
}

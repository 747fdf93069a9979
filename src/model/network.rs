//! After resume: how long until clients reach the guest again. QEMU's self-announce
//! rounds tell the switches where the guest's MAC now lives; a bridge port with STP
//! forwards nothing until it has spent `forward_delay` listening and `forward_delay`
//! learning, counted from when the destination's tap port joined the bridge (when
//! the incoming QEMU started, at the beginning of the migration).

use super::outcome::AfterResume;
use super::params::Network;
use super::qemu::announce_times_ns;
use crate::units::Nanos;

/// The network after a resume at `resume_at_ns`, with the VM stopped at `stop_at_ns`;
/// the destination port joined its bridge at `port_joined_ns`.
pub fn after_resume(
    n: &Network,
    port_joined_ns: Nanos,
    stop_at_ns: Nanos,
    resume_at_ns: Nanos,
) -> AfterResume {
    let announce_ns = announce_times_ns(
        n.announce_initial_ns,
        n.announce_max_ns,
        n.announce_rounds,
        n.announce_step_ns,
    );
    let first_announce = announce_ns.first().copied().unwrap_or(0);
    let by_announce = first_announce + n.reconverge_ns;
    let (reachable, cause) = if n.bridge_stp {
        let forwarding_at = port_joined_ns + 2 * n.forward_delay_ns;
        let wait = forwarding_at.saturating_sub(resume_at_ns);
        if wait > by_announce {
            // Announces sent before the port forwards are dropped; the path is learnt
            // from the first frame the guest sends once it does.
            (
                wait + n.relearn_ns,
                "destination bridge port in STP listening/learning".to_string(),
            )
        } else {
            (by_announce, "self-announce".to_string())
        }
    } else if announce_ns.is_empty() {
        // No self-announce: switches keep the old port until the guest sends a frame.
        (
            n.relearn_ns,
            "no self-announce: path learnt from the guest's own traffic".to_string(),
        )
    } else {
        (by_announce, "self-announce".to_string())
    };
    let outage_ns = resume_at_ns.saturating_sub(stop_at_ns) + reachable;
    AfterResume {
        announce_ns,
        reachable_after_resume_ns: reachable,
        cause,
        outage_ns,
        network_ns: reachable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::{NS_PER_MS, NS_PER_S};

    fn net(stp: bool) -> Network {
        Network {
            announce_initial_ns: 50 * NS_PER_MS,
            announce_max_ns: 550 * NS_PER_MS,
            announce_rounds: 5,
            announce_step_ns: 100 * NS_PER_MS,
            reconverge_ns: NS_PER_MS,
            relearn_ns: NS_PER_MS,
            bridge_stp: stp,
            forward_delay_ns: 10 * NS_PER_S,
            ping_interval_ns: 100 * NS_PER_MS,
        }
    }

    #[test]
    fn stp_holds_the_guest_off_until_the_port_forwards() {
        // Migration started at 0 (port joined), stopped at 2.5 s, resumed 25 ms later.
        let stop = 2_500 * NS_PER_MS;
        let r = after_resume(&net(true), 0, stop, stop + 25 * NS_PER_MS);
        assert_eq!(r.outage_ns, 20 * NS_PER_S - stop + NS_PER_MS);
        let r = after_resume(&net(false), 0, stop, stop + 25 * NS_PER_MS);
        assert_eq!(r.outage_ns, 26 * NS_PER_MS);
    }
}

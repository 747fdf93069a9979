//! After resume: when switches learn where the guest's MAC now lives.
//!
//! A switch learns the guest's new port from the first frame the guest sends through
//! it: QEMU's self-announce rounds, or the guest's own traffic (the IOC's TCP
//! retransmissions and CA beacons, see [`super::clients`]). A Linux bridge port with
//! STP forwards nothing until it has spent `forward_delay` listening and
//! `forward_delay` learning, counted from when the destination's tap port joined the
//! bridge (when the incoming QEMU started, at the beginning of the migration): frames
//! sent before that are dropped, so announces that go out too early teach nothing.

use super::params::Network;
use super::qemu::announce_times_ns;
use crate::units::Nanos;

/// QEMU's self-announce rounds, as offsets from resume.
pub fn announces(n: &Network) -> Vec<Nanos> {
    announce_times_ns(
        n.announce_initial_ns,
        n.announce_max_ns,
        n.announce_rounds,
        n.announce_step_ns,
    )
}

/// When the destination port forwards (absolute): at once without STP, else after
/// listening and learning.
pub fn forwarding_at(n: &Network, port_joined_ns: Nanos) -> Nanos {
    if n.bridge_stp {
        port_joined_ns + 2 * n.forward_delay_ns
    } else {
        0
    }
}

/// The first instant at or after `from` among `frames` (absolute, any order).
pub fn first_frame(from: Nanos, frames: impl IntoIterator<Item = Nanos>) -> Option<Nanos> {
    frames.into_iter().filter(|&t| t >= from).min()
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
            ca_beacon_period_ns: 15 * NS_PER_S,
            bridge_stp: stp,
            forward_delay_ns: 10 * NS_PER_S,
            ping_interval_ns: 100 * NS_PER_MS,
        }
    }

    #[test]
    fn stp_port_forwards_after_twice_the_forward_delay() {
        assert_eq!(forwarding_at(&net(true), 2 * NS_PER_S), 22 * NS_PER_S);
        assert_eq!(forwarding_at(&net(false), 2 * NS_PER_S), 0);
        assert_eq!(announces(&net(false)).len(), 5);
        assert_eq!(first_frame(5, [1, 9, 7]), Some(7));
        assert_eq!(first_frame(10, [1, 9, 7]), None);
    }
}

//! Switchover: the guest is stopped, the last dirty pages and the device state cross
//! the link at full speed (QEMU lifts the rate limit for completion), shared storage
//! changes hands, and the guest resumes on the destination.

use super::outcome::Downtime;
use super::params::{ModelParams, StorageKind};
use crate::units::{Nanos, transfer_ns};

/// Time for the source to flush and release shared storage.
pub fn storage_flush_ns(p: &ModelParams) -> Nanos {
    match p.storage.kind {
        StorageKind::Nfs => (p.storage.flush_round_trips as u64 * p.storage.nfs_rtt_ns)
            .saturating_add(transfer_ns(
                p.storage.dirty_block_bytes as f64,
                p.storage.nfs_bytes_per_s,
            )),
        StorageKind::None | StorageKind::Shared => 0,
    }
}

/// Time for the destination QEMU to open shared storage while it is prepared, before
/// the first page.
pub fn storage_prepare_ns(p: &ModelParams) -> Nanos {
    match p.storage.kind {
        StorageKind::Nfs => p.storage.prepare_round_trips as u64 * p.storage.nfs_rtt_ns,
        StorageKind::None | StorageKind::Shared => 0,
    }
}

/// From the migrate call to the first page: the set-up and opening the storage on
/// the destination.
pub fn first_page_ns(p: &ModelParams) -> Nanos {
    p.migration.setup_ns.saturating_add(storage_prepare_ns(p))
}

/// Time for the destination to re-open and lock shared storage.
pub fn storage_open_ns(p: &ModelParams) -> Nanos {
    match p.storage.kind {
        StorageKind::Nfs => p.storage.open_round_trips as u64 * p.storage.nfs_rtt_ns,
        StorageKind::None | StorageKind::Shared => 0,
    }
}

/// The guest pause `d` would have been had its stop-and-copy pass sent `final_bytes`
/// of stream: that RAM at the link's full speed (as QEMU sends it, rate limit lifted),
/// the rest of the switchover as simulated. It parts a pause's error into where the
/// pre-copy ended (the final pass's size) and the switchover around that pass.
pub fn pause_with_final_bytes_ns(p: &ModelParams, d: &Downtime, final_bytes: u64) -> Nanos {
    (d.guest_ns - d.final_ram_ns).saturating_add(final_ram_ns(p, final_bytes))
}

/// Time to send a stop-and-copy pass of `final_bytes` of stream: at the link's full
/// speed, as QEMU lifts the rate limit for completion.
pub fn final_ram_ns(p: &ModelParams, final_bytes: u64) -> Nanos {
    transfer_ns(final_bytes as f64, p.link.payload_bytes_per_s)
}

/// The downtime of a switchover that sends `final_ram_ns` worth of pages.
pub fn downtime(p: &ModelParams, final_pages: u64, final_ram_ns: Nanos) -> Downtime {
    let device_state_ns = transfer_ns(
        p.guest.device_state_bytes as f64,
        p.link.payload_bytes_per_s,
    )
    .saturating_add(p.link.rtt_ns / 2);
    let storage_flush_ns = storage_flush_ns(p);
    let storage_open_ns = storage_open_ns(p);
    let stop_ns = p.switchover.stop_ns;
    let resume_ns = p.switchover.resume_ns;
    let reported_ns = stop_ns + final_ram_ns + device_state_ns + storage_flush_ns;
    Downtime {
        stop_ns,
        final_ram_ns,
        final_pages,
        device_state_ns,
        storage_flush_ns,
        storage_open_ns,
        resume_ns,
        reported_ns,
        guest_ns: reported_ns + storage_open_ns + resume_ns,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario;
    use crate::units::NS_PER_MS;

    #[test]
    fn a_final_pass_of_other_size_changes_only_the_last_ram() {
        let f: scenario::ScenarioFile =
            toml::from_str("[guest]\nmemory_mib = 512\n[link]\nbandwidth_mbit_s = 1000\n").unwrap();
        let p = scenario::from_file(&f).unwrap();
        let bytes = 12_000_000u64;
        let ram_ns = transfer_ns(bytes as f64, p.link.payload_bytes_per_s);
        let d = downtime(&p, 2900, ram_ns);
        // The same bytes give the simulated pause back, to the nanosecond of rounding.
        let same = pause_with_final_bytes_ns(&p, &d, bytes);
        assert!(same.abs_diff(d.guest_ns) <= 1, "{same} vs {}", d.guest_ns);
        // Half the bytes take half the last RAM off; nothing else moves.
        let half = pause_with_final_bytes_ns(&p, &d, bytes / 2);
        assert!((d.guest_ns - half).abs_diff(ram_ns / 2) <= 1);
        assert!(
            ram_ns > 50 * NS_PER_MS,
            "{ram_ns} ns for 12 MB at a gigabit"
        );
        // None at all leaves the switchover around the pass.
        assert_eq!(
            pause_with_final_bytes_ns(&p, &d, 0),
            d.guest_ns - d.final_ram_ns
        );
    }
}

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

//! The model's input: everything a run needs, in base units (bytes, bytes/s, ns),
//! already validated. Scenario files ([`crate::scenario`]) and trace manifests are
//! turned into this; the model never reads files.

use crate::units::Nanos;
use serde::Serialize;

/// All parameters of one simulated migration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelParams {
    /// The guest being migrated.
    pub guest: Guest,
    /// How the guest writes its memory.
    pub workload: Workload,
    /// The migration link.
    pub link: Link,
    /// QEMU/libvirt migration parameters.
    pub migration: Migration,
    /// Shared storage handed over at switchover.
    pub storage: Storage,
    /// Fixed costs around switchover, calibrated per lab.
    pub switchover: Switchover,
    /// What happens on the network after the guest resumes.
    pub network: Network,
    /// How clients talk to the guest (TCP and Channel Access timers).
    pub clients: Clients,
    /// PVs whose clients matter.
    pub pvs: Vec<Pv>,
}

/// Client-side protocol timers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Clients {
    /// Linux's minimum TCP retransmission timeout (`TCP_RTO_MIN`, 200 ms); the first
    /// retransmission on a LAN circuit comes after it, each later one doubles.
    pub tcp_rto_min_ns: Nanos,
    /// Linux's ceiling on the retransmission timeout (`TCP_RTO_MAX`, 120 s).
    pub tcp_rto_max_ns: Nanos,
    /// `EPICS_CA_CONN_TMO`: silence after which a CA client sends an echo request.
    pub ca_conn_tmo_ns: Nanos,
    /// `CA_ECHO_TIMEOUT` (5 s in EPICS base): unanswered echo, channels disconnect.
    pub ca_echo_timeout_ns: Nanos,
}

/// A PV served by the IOC in the guest.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pv {
    /// PV name.
    pub name: String,
    /// Scan period (how often the IOC posts a new value).
    pub scan_period_ns: Nanos,
    /// The PV counts 0..modulo-1, when it does.
    pub counting_modulo: Option<u32>,
}

/// The guest VM.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Guest {
    /// Guest RAM size.
    pub memory_bytes: u64,
    /// Guest page size (4 KiB on x86-64).
    pub page_size_bytes: u64,
    /// Device state sent at switchover (CPU, virtio queues, ...).
    pub device_state_bytes: u64,
}

/// Page writes over a hot writable working set and a cold remainder.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Workload {
    /// Share of RAM that is never written (zero pages, sent as a header only).
    pub zero_fraction: f64,
    /// Size of the hot writable working set.
    pub wws_bytes: u64,
    /// Non-zero memory at the top of RAM, sent last in the first pass and not written
    /// by the workload (Linux's top-down boot-time allocations).
    pub top_nonzero_bytes: u64,
    /// Load phases in time order; the first starts at 0.
    pub phases: Vec<Phase>,
    /// vCPU seconds one page write takes with all the work around it; None: the
    /// writes are CPU-bound (they fall with the throttle as 1 - throttle).
    pub cpu_s_per_write: Option<f64>,
    /// Overdue work made up after a stall; None: all of it.
    pub catch_up_ns: Option<Nanos>,
}

/// Write rates from `start_ns` until the next phase begins.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Phase {
    /// When this phase begins, from the start of the migration.
    pub start_ns: Nanos,
    /// Page writes per second into the working set (unthrottled).
    pub hot_writes_per_s: f64,
    /// Page writes per second into the rest of the non-zero RAM (unthrottled).
    pub cold_writes_per_s: f64,
}

/// The migration link.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Link {
    /// Payload rate the migration stream gets from the link (line rate x efficiency).
    pub payload_bytes_per_s: f64,
    /// Round-trip time between the hosts.
    pub rtt_ns: Nanos,
    /// Per-page header bytes in the stream.
    pub page_header_bytes: u64,
    /// Compressed size / raw size of normal pages (1.0 = no compression).
    pub compression_ratio: f64,
    /// Rate at which the sender scans zero pages (reads and compares 4 KiB), bytes/s.
    pub zero_scan_bytes_per_s: f64,
    /// Relative standard deviation of the per-period link rate (0 = steady).
    pub jitter: f64,
}

/// When to switch to post-copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "mode", content = "passes")]
pub enum Postcopy {
    /// Pre-copy only.
    Off,
    /// Switch to post-copy after this many completed passes (libvirt's
    /// `--postcopy-after-precopy` switches after the first).
    AfterPasses(u32),
}

/// QEMU/libvirt migration parameters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Migration {
    /// `downtime-limit`.
    pub downtime_limit_ns: Nanos,
    /// `max-bandwidth` cap; `None` = unlimited (libvirt's default).
    pub max_bandwidth_bytes_per_s: Option<f64>,
    /// Auto-converge capability.
    pub auto_converge: bool,
    /// `cpu-throttle-initial`, percent.
    pub throttle_initial_pct: f64,
    /// `cpu-throttle-increment`, percent.
    pub throttle_increment_pct: f64,
    /// `max-cpu-throttle`, percent.
    pub throttle_max_pct: f64,
    /// `throttle-trigger-threshold`, percent.
    pub throttle_trigger_pct: f64,
    /// Post-copy switch policy.
    pub postcopy: Postcopy,
    /// Whether post-copy is available at all (QEMU >= 2.5 with userfaultfd).
    pub postcopy_available: bool,
    /// Whether auto-converge is available at all (QEMU >= 1.6).
    pub auto_converge_available: bool,
    /// Give up (or force post-copy) after this long; `None` = model horizon.
    pub completion_timeout_ns: Option<Nanos>,
    /// Time from the migrate call to the first page sent (connect, setup, bitmap).
    pub setup_ns: Nanos,
}

/// Storage handed over at switchover.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Storage {
    /// What kind of storage the guest disk is on.
    pub kind: StorageKind,
    /// Round-trip time from the hosts to the NFS server.
    pub nfs_rtt_ns: Nanos,
    /// NFS round trips the source needs to flush and release the image.
    pub flush_round_trips: u32,
    /// NFS round trips the destination needs to re-open and lock the image.
    pub open_round_trips: u32,
    /// NFS round trips the destination QEMU needs to open the image while it is
    /// prepared, before the first page (on top of `Migration::setup_ns`).
    pub prepare_round_trips: u32,
    /// Dirty block data written back to NFS at switchover.
    pub dirty_block_bytes: u64,
    /// NFS write-back rate.
    pub nfs_bytes_per_s: f64,
}

/// What kind of storage the guest disk is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StorageKind {
    /// No disk to hand over (the guest runs from its initramfs).
    None,
    /// A disk image shared over NFS.
    Nfs,
    /// Shared storage with negligible handover cost (e.g. a SAN).
    Shared,
}

/// Fixed costs around switchover.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Switchover {
    /// Stopping the vCPUs and draining I/O on the source.
    pub stop_ns: Nanos,
    /// From the end of the stream to the guest running on the destination (loading
    /// device state, libvirt's finish phase, `cont`).
    pub resume_ns: Nanos,
}

/// After resume: what it takes until clients reach the guest again.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Network {
    /// QEMU `announce-initial`.
    pub announce_initial_ns: Nanos,
    /// QEMU `announce-max`.
    pub announce_max_ns: Nanos,
    /// QEMU `announce-rounds`.
    pub announce_rounds: u32,
    /// QEMU `announce-step`.
    pub announce_step_ns: Nanos,
    /// Time from an announce until the path to the guest is usable (switch learning).
    pub reconverge_ns: Nanos,
    /// `EPICS_CAS_BEACON_PERIOD` of the IOC: its UDP beacons are frames from the guest
    /// that teach switches its port.
    pub ca_beacon_period_ns: Nanos,
    /// STP enabled on the destination host's bridge.
    pub bridge_stp: bool,
    /// The bridge's forward delay (listening and learning each take this long).
    pub forward_delay_ns: Nanos,
    /// Interval of the client's pings (the probe that sees the outage).
    pub ping_interval_ns: Nanos,
}

//! The scenario file as written by users: TOML sections with QEMU/libvirt names and
//! units in every field name. Trace manifests (`trace.toml`) reuse these sections.
//! Every field but `guest.memory_mib` has a default, stated in its doc comment.

use serde::{Deserialize, Serialize};

/// A what-if scenario: one VM, its workload, the link, storage and migration policy.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Short name (default: the file name).
    pub name: Option<String>,
    /// What the scenario stands for.
    pub description: Option<String>,
    /// The guest VM.
    pub guest: GuestSection,
    /// The guest's memory writes.
    #[serde(default)]
    pub workload: WorkloadSection,
    /// The migration link.
    #[serde(default)]
    pub link: LinkSection,
    /// Migration parameters.
    #[serde(default)]
    pub migration: MigrationSection,
    /// Shared storage.
    #[serde(default)]
    pub storage: StorageSection,
    /// Fixed switchover costs (calibrated per lab).
    #[serde(default)]
    pub switchover: SwitchoverSection,
    /// Network after resume.
    #[serde(default)]
    pub network: NetworkSection,
    /// PVs whose clients matter.
    #[serde(default)]
    pub pvs: Vec<PvSection>,
}

/// `[guest]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GuestSection {
    /// Guest RAM, MiB (required).
    pub memory_mib: f64,
    /// vCPUs (informational; default 1).
    pub vcpus: Option<u32>,
    /// Page size, KiB (default 4).
    pub page_size_kib: Option<f64>,
    /// Device state sent at switchover, KiB (default 300).
    pub device_state_kib: Option<f64>,
    /// Mean round trip of pings to the guest before the migration, ms: with a
    /// calibrated model (`--model`), the set-up follows it, and without
    /// `link.probe_mbit_s` it tells how busy the host is (default: as the model's runs).
    pub ping_rtt_ms: Option<f64>,
}

/// `[workload]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WorkloadSection {
    /// Share of RAM never written, 0..1 (default 0).
    pub zero_fraction: Option<f64>,
    /// Hot writable working set, MiB (default 0).
    pub wws_mib: Option<f64>,
    /// Page writes/s into the working set (default 0).
    pub hot_writes_per_s: Option<f64>,
    /// Page writes/s into the rest of non-zero RAM (default 0).
    pub cold_writes_per_s: Option<f64>,
    /// Non-zero memory at the top of guest RAM, MiB (default 0; a calibrated model
    /// fills it in): what Linux allocates top-down at boot. The first pass ends on it,
    /// so even an idle guest sends it while paused when it is below the threshold.
    /// Part of the non-zero memory (taken from what the working set leaves).
    pub top_nonzero_mib: Option<f64>,
    /// Non-zero memory beyond the working set that the workload does not write
    /// during the migration (data loaded before), MiB (default 0). Used with a
    /// calibrated model to work out the zero pages.
    pub resident_mib: Option<f64>,
    /// Share of one vCPU the writing work keeps busy at its rate, % (0, 100]. Without
    /// `hot_writes_per_s` it sets that rate: `cpu_load_pct / 100 x page_writes_per_cpu_s`.
    /// Under auto-converge a workload that needs little CPU and makes up missed work
    /// (`catch_up_ms`) keeps its pace until the throttle leaves it less than it needs
    /// (default: from `page_writes_per_cpu_s`, else 100: CPU-bound).
    pub cpu_load_pct: Option<f64>,
    /// Page writes one fully busy vCPU makes with this workload, writes/s (default:
    /// the calibrated model's figure, else unknown).
    pub page_writes_per_cpu_s: Option<f64>,
    /// How much overdue work the workload makes up after a stall (a vCPU throttled or
    /// paused), ms (default 0: what falls due while the vCPU sleeps is skipped, as an
    /// EPICS periodic scan skips missed scans; then the writes fall as 1 - throttle
    /// whatever the CPU load). The lab's dirtier makes up 100 ms.
    pub catch_up_ms: Option<f64>,
    /// Guest disk writes, KiB/s (informational; default 0).
    pub disk_writes_kib_s: Option<f64>,
    /// Later load phases.
    #[serde(default)]
    pub phases: Vec<PhaseSection>,
}

/// `[[workload.phases]]`: new write rates from `at_s` on.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseSection {
    /// When the phase begins, seconds from the start of the migration.
    pub at_s: f64,
    /// Page writes/s into the working set (default: unchanged).
    pub hot_writes_per_s: Option<f64>,
    /// Page writes/s into the rest (default: unchanged).
    pub cold_writes_per_s: Option<f64>,
}

/// `[link]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSection {
    /// Line rate, Mbit/s (default 1000).
    pub bandwidth_mbit_s: Option<f64>,
    /// Share of the line rate left for the stream after TCP/IP/Ethernet framing
    /// (default 0.9415 = 1448/1538, TCP with timestamps over 1500-byte frames).
    pub efficiency: Option<f64>,
    /// Round-trip time between the hosts, ms (default 0.2).
    pub rtt_ms: Option<f64>,
    /// Per-page header bytes (default 8, QEMU's `save_page_header`).
    pub page_header_bytes: Option<f64>,
    /// Compressed / raw size of normal pages (default 1 = no compression).
    pub compression_ratio: Option<f64>,
    /// Zero-page scan rate of the sender, MiB/s (default 4096).
    pub zero_scan_mib_s: Option<f64>,
    /// Relative standard deviation of the per-window rate (default 0).
    pub jitter: Option<f64>,
    /// Free CPU on the hosts as the link probe measures it (netperf TCP_STREAM, 8 KiB
    /// buffers, 128 B messages), Mbit/s: with a calibrated model (`--model`), the
    /// CPU-bound costs scale to it (default: the model's reference).
    pub probe_mbit_s: Option<f64>,
}

/// `[migration]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MigrationSection {
    /// `downtime-limit`, ms (default 300).
    pub downtime_limit_ms: Option<f64>,
    /// `max-bandwidth`, MiB/s (default: unlimited, as libvirt sets it).
    pub max_bandwidth_mib_s: Option<f64>,
    /// Auto-converge (default false).
    pub auto_converge: Option<bool>,
    /// `cpu-throttle-initial`, % (default 20).
    pub cpu_throttle_initial_pct: Option<f64>,
    /// `cpu-throttle-increment`, % (default 10).
    pub cpu_throttle_increment_pct: Option<f64>,
    /// `max-cpu-throttle`, % (default 99).
    pub max_cpu_throttle_pct: Option<f64>,
    /// `throttle-trigger-threshold`, % (default 50).
    pub throttle_trigger_threshold_pct: Option<f64>,
    /// Switch to post-copy (default false).
    pub postcopy: Option<bool>,
    /// With `postcopy`, switch after this many passes (default 1, as libvirt's
    /// `--postcopy-after-precopy`).
    pub postcopy_after_passes: Option<u32>,
    /// Whether post-copy is possible at all (default true; false for QEMU < 2.5).
    pub postcopy_available: Option<bool>,
    /// Whether auto-converge is possible at all (default true; false for QEMU < 1.6,
    /// such as qemu-kvm 0.12).
    pub auto_converge_available: Option<bool>,
    /// Give up after this many seconds (default: 10 min or 20 full passes).
    pub completion_timeout_s: Option<f64>,
    /// From the migrate call to the first page, ms (default 50).
    pub setup_ms: Option<f64>,
    /// Something polls the job's statistics through libvirt while it runs (`virsh
    /// domjobinfo` every 0.1 s, as the lab recorded until 2026-11-27, `migbench
    /// record`, a management layer watching the job): libvirt's own steps at the
    /// switchover wait behind those queries. With a model file (`--model`), the guest
    /// pause grows by what the model says that costs (default false).
    pub job_polled_via_libvirt: Option<bool>,
    /// `A->B` or `B->A` (informational, from trace manifests).
    pub direction: Option<String>,
}

/// `[storage]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StorageSection {
    /// `none` (no disk to hand over), `nfs` or `shared` (default none).
    pub kind: Option<String>,
    /// NFS server (informational).
    pub nfs_server: Option<String>,
    /// Round-trip time to the NFS server, ms (default 0.2).
    pub nfs_rtt_ms: Option<f64>,
    /// Latency added on top of it, ms (default 0; the lab's delaying relay).
    pub nfs_rtt_added_ms: Option<f64>,
    /// NFS round trips to flush and release the image on the source (default 4).
    pub flush_round_trips: Option<u32>,
    /// NFS round trips to re-open and lock it on the destination (default 6).
    pub open_round_trips: Option<u32>,
    /// NFS round trips the destination QEMU needs to open the image while libvirt
    /// prepares it, before the first page is sent (default 0: inside
    /// `migration.setup_ms`).
    pub prepare_round_trips: Option<u32>,
    /// Dirty block data written back at switchover, KiB (default 0).
    pub dirty_block_kib: Option<f64>,
    /// NFS write-back rate, Mbit/s (default 1000).
    pub nfs_bandwidth_mbit_s: Option<f64>,
    /// Image format (informational).
    pub image_format: Option<String>,
    /// QEMU cache mode (informational).
    pub cache: Option<String>,
}

/// `[switchover]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SwitchoverSection {
    /// Stopping vCPUs and draining I/O on the source, ms (default 5).
    pub stop_ms: Option<f64>,
    /// End of stream to running on the destination, ms (default 10).
    pub resume_ms: Option<f64>,
}

/// `[network]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkSection {
    /// QEMU `announce-initial`, ms (default 50).
    pub announce_initial_ms: Option<f64>,
    /// QEMU `announce-max`, ms (default 550).
    pub announce_max_ms: Option<f64>,
    /// QEMU `announce-rounds` (default 5).
    pub announce_rounds: Option<u32>,
    /// QEMU `announce-step`, ms (default 100).
    pub announce_step_ms: Option<f64>,
    /// From an announce to a usable path, ms (default 1).
    pub reconverge_ms: Option<f64>,
    /// `EPICS_CAS_BEACON_PERIOD` of the IOC, s (default 15, EPICS base's).
    pub ca_beacon_period_s: Option<f64>,
    /// Linux `TCP_RTO_MIN` on the guest, ms (default 200).
    pub tcp_rto_min_ms: Option<f64>,
    /// `EPICS_CA_CONN_TMO` of the clients, s (default 30).
    pub ca_conn_tmo_s: Option<f64>,
    /// STP on the destination host's bridge (default false).
    pub bridge_stp: Option<bool>,
    /// The bridge's forward delay, s (default 15, Linux's default).
    pub forward_delay_s: Option<f64>,
    /// Client ping interval, s (default 0.1, as in the seed).
    pub ping_interval_s: Option<f64>,
}

/// `[[pvs]]`: a PV and how its clients see it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PvSection {
    /// PV name.
    pub name: String,
    /// Scan period, s.
    pub scan_period_s: f64,
    /// The PV counts 0..modulo-1 (optional), so missed values can be counted.
    pub counting_modulo: Option<u32>,
}

//! What a simulated migration produced: the per-pass timeline, totals, downtime and
//! its parts, what the network and the guest saw, and the verdict.

use crate::units::Nanos;
use serde::Serialize;

/// How the migration ends, as a user would decide on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Pre-copy converged without throttling the guest.
    Converged,
    /// Pre-copy converged, but only because auto-converge throttled the guest.
    ConvergedWithThrottle,
    /// Pre-copy does not converge (in the time allowed); post-copy would finish it.
    NeedsPostcopy,
    /// Pre-copy does not converge and post-copy is not available: stop and copy.
    NeedsOffline,
}

impl Verdict {
    /// The name used in reports and JSON.
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Converged => "converged",
            Verdict::ConvergedWithThrottle => "converged-with-throttle",
            Verdict::NeedsPostcopy => "needs-postcopy",
            Verdict::NeedsOffline => "needs-offline",
        }
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One pass: the time between two dirty-bitmap syncs (`dirty-sync-count` steps).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pass {
    /// `dirty-sync-count` at the sync that ended this pass (1-based).
    pub index: u64,
    /// When the pass began.
    pub start_ns: Nanos,
    /// When the sync that ended it ran.
    pub end_ns: Nanos,
    /// Pages with data sent during the pass.
    pub normal_pages: u64,
    /// Zero pages sent during the pass.
    pub zero_pages: u64,
    /// Stream bytes sent during the pass.
    pub bytes_sent: u64,
    /// Pages the sync found newly dirty (written during the pass, not already queued).
    pub dirtied_pages: u64,
    /// Pages queued after the sync (what the next pass must send).
    pub remaining_pages: u64,
    /// CPU throttle in force during the pass, percent.
    pub throttle_pct: f64,
    /// Bandwidth the policy measured last, bytes/s.
    pub bandwidth_bytes_per_s: f64,
    /// QEMU's `expected-downtime` after the sync: remaining bytes / bandwidth.
    pub expected_downtime_ns: Nanos,
    /// QEMU's `dirty-pages-rate` as of this sync (pages newly found dirty per second,
    /// over periods of at least 1 s).
    pub dirty_rate_pages_s: f64,
    /// The stop-and-copy pass: the guest is paused, its pages are the last ones.
    pub stop_and_copy: bool,
}

/// Downtime and its parts. The source reports `reported_ns`; the guest is paused for
/// `guest_ns`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Downtime {
    /// Stopping the vCPUs and draining I/O.
    pub stop_ns: Nanos,
    /// Sending the last dirty pages.
    pub final_ram_ns: Nanos,
    /// Pages sent in the stop-and-copy phase.
    pub final_pages: u64,
    /// Sending the device state.
    pub device_state_ns: Nanos,
    /// Source flush and release of shared storage (NFS round trips + write-back).
    pub storage_flush_ns: Nanos,
    /// Destination re-open and lock of shared storage.
    pub storage_open_ns: Nanos,
    /// From the end of the stream to the guest running on the destination.
    pub resume_ns: Nanos,
    /// What QEMU and libvirt report: VM stop to the end of completion on the source.
    pub reported_ns: Nanos,
    /// What the guest sees: paused on the source until running on the destination.
    pub guest_ns: Nanos,
}

/// The network after resume, as clients see it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AfterResume {
    /// Self-announce rounds, from resume.
    pub announce_ns: Vec<Nanos>,
    /// From resume until clients reach the guest again.
    pub reachable_after_resume_ns: Nanos,
    /// Why it took that long (the dominant part).
    pub cause: String,
    /// Predicted outage a ping client sees: VM stop to reachable again.
    pub outage_ns: Nanos,
    /// Of which lost to the network rather than to the pause.
    pub network_ns: Nanos,
}

/// What the guest's users see while the migration runs, before switchover.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GuestImpact {
    /// Time the guest ran throttled.
    pub throttled_ns: Nanos,
    /// Longest the throttled vCPU sleeps between timeslices: the worst reply delay.
    pub max_stall_ns: Nanos,
    /// Expected number of pings answered later than the ping interval.
    pub late_probes: f64,
}

/// The predicted alternatives to live pre-copy.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Alternatives {
    /// Stop-and-copy: the whole non-zero RAM, zero-page headers and device state over
    /// the link, plus the switchover costs.
    pub offline_downtime_ns: Nanos,
    /// Post-copy right after the first pass: downtime (device state + switchover).
    pub postcopy_downtime_ns: Nanos,
    /// Post-copy: time the guest runs degraded while the rest of RAM is pulled.
    pub postcopy_degraded_ns: Nanos,
}

/// The result of one simulated migration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// The seed of the run.
    pub seed: u64,
    /// The verdict.
    pub verdict: Verdict,
    /// Whether pre-copy (or the configured post-copy) completed.
    pub completed: bool,
    /// From the migrate call to completion on the source (or to giving up).
    pub total_time_ns: Nanos,
    /// Bytes of migration stream sent (pages, headers, device state).
    pub bytes_sent: u64,
    /// The passes in order.
    pub passes: Vec<Pass>,
    /// Downtime and its parts (when completed).
    pub downtime: Downtime,
    /// The network after resume (when completed).
    pub after_resume: AfterResume,
    /// The guest while throttled.
    pub guest: GuestImpact,
    /// The highest CPU throttle reached, percent.
    pub max_throttle_pct: f64,
    /// Whether the run switched to post-copy.
    pub postcopy_used: bool,
    /// Predicted alternatives.
    pub alternatives: Alternatives,
    /// What the clients of each PV see (when completed).
    pub pvs: Vec<super::clients::PvImpact>,
    /// Set when a run that could no longer converge was stopped early in its steady
    /// state: from this time to `total_time_ns` it is extrapolated, not simulated.
    pub extrapolated_from_ns: Option<Nanos>,
}

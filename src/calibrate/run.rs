//! A recorded run as calibration sees it: the parameters it ran with, what its job
//! statistics and pings showed, and what its link probe measured.

use super::ModelFile;
use crate::bundle::Bundle;
use crate::replay::observe::{JobObserved, ReplayError, observe_bundle};
use crate::replay::observed::PingOutage;
use crate::scenario::ScenarioFile;

/// Share of the line rate from which the link probe's figure is the link's, not the
/// CPU's (96 Mbit/s on a 100 Mbit/s link; 250-370 on 1 Gbit/s).
const LINK_BOUND_SHARE: f64 = 0.8;

/// One recorded run.
#[derive(Debug, Clone)]
pub struct Run {
    /// Bundle name.
    pub name: String,
    /// The scenario sections of its manifest.
    pub file: ScenarioFile,
    /// Its job, as observed.
    pub job: JobObserved,
    /// Its pings at the switch.
    pub ping: Option<PingOutage>,
    /// The link probe's small-message TCP throughput (free CPU), Mbit/s; None without
    /// the probe or when the link, not the CPU, bounded it.
    pub probe_mbit_s: Option<f64>,
    /// The guest's mean ping round trip before the job, ms: how promptly the guest
    /// answered right before the migrate call (a term of the set-up, and what stands
    /// for the link probe when the run has none).
    pub ping_rtt_before_job_ms: Option<f64>,
    /// The NFS round trip measured before the run, ms.
    pub nfs_rtt_ms: Option<f64>,
    /// The recording host's 1-minute load average before the job, where the bundle
    /// says it (`[lab] load_avg`, which lab/record.sh writes).
    pub load_avg: Option<f64>,
    /// QEMU version.
    pub qemu: Option<String>,
    /// libvirt version.
    pub libvirt: Option<String>,
    /// Accelerator.
    pub accel: Option<String>,
    /// The day it was recorded: the date `[bundle] recorded_at` begins with (None:
    /// the stamp does not begin with one).
    pub recorded_on: Option<String>,
}

/// The `YYYY-MM-DD` an RFC 3339 stamp begins with.
fn date_of(stamp: &str) -> Option<String> {
    let d = stamp.get(..10)?;
    let b = d.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    (digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-' && digits(8..10))
        .then(|| d.to_string())
}

impl Run {
    /// Reads a run from a bundle; None when it holds no job statistics.
    pub fn from_bundle(b: &Bundle) -> Result<Option<Self>, ReplayError> {
        let obs = observe_bundle(b)?;
        let Some(job) = obs.job else { return Ok(None) };
        let m = &b.manifest;
        // The probe measures free CPU only while the link is faster than the small
        // messages can fill: near the line rate (a 100 Mbit/s link) it is the link's.
        let line_mbit_s = m.link.bandwidth_mbit_s;
        let probe_mbit_s = m
            .probe_number("tcp_mbit_s_8k_128b")
            .filter(|p| line_mbit_s.is_none_or(|l| *p < LINK_BOUND_SHARE * l));
        let nfs_rtt_ms = m
            .lab_number("nfs_rtt_measured_ms")
            .filter(|_| m.storage.kind.as_deref() == Some("nfs"));
        Ok(Some(Self {
            name: m.bundle.name.clone(),
            file: b.scenario_file(),
            job,
            ping: obs.ping,
            probe_mbit_s,
            ping_rtt_before_job_ms: obs.ping_rtt_before_job_ms,
            nfs_rtt_ms,
            load_avg: m
                .lab_number("load_avg")
                .filter(|l| l.is_finite() && *l >= 0.0),
            qemu: m.hosts.qemu_version.clone(),
            libvirt: m.hosts.libvirt_version.clone(),
            accel: m.hosts.accel.clone(),
            recorded_on: date_of(&m.bundle.recorded_at),
        }))
    }

    /// The free-CPU figure to predict this run at: its link probe, else what `model`
    /// reads from the guest's ping round trip before the job (None: neither).
    pub fn load_probe_mbit_s(&self, model: &ModelFile) -> Option<f64> {
        self.probe_mbit_s
            .or_else(|| model.probe_from_ping(self.ping_rtt_before_job_ms?))
    }

    /// Its recorded parameters, with `model` filling in the rest at the load and NFS
    /// round trip it measured: what predictions of it simulate.
    pub fn filled(&self, model: &ModelFile) -> ScenarioFile {
        model.fill(
            &self.file,
            self.load_probe_mbit_s(model),
            self.ping_rtt_before_job_ms,
            self.nfs_rtt_ms,
        )
    }

    /// What the run was asked to do, without what was measured around it (link and
    /// guest round trips, the probes, the NFS round trip, whether the recorder polled
    /// the job through libvirt) or its name: runs with the same configuration are
    /// recordings of the same migration.
    pub fn configuration(&self) -> ScenarioFile {
        let mut f = self.file.clone();
        f.name = None;
        f.description = None;
        f.guest.ping_rtt_ms = None;
        f.link.rtt_ms = None;
        f.link.probe_mbit_s = None;
        f.workload.page_writes_per_cpu_s = None;
        f.storage.nfs_rtt_ms = None;
        // How the recorder watched the job is not what was asked of the migration.
        f.migration.job_polled_via_libvirt = None;
        f
    }

    /// Whether pre-copy completed and the job statistics hold the totals.
    pub fn complete(&self) -> bool {
        self.job.converged
            && self.job.total_time_ms.is_some()
            && self.job.memory_processed_bytes.is_some()
            && self.job.downtime_ms.is_some()
            && !self.job.downtime_expected
    }

    /// The rate pages left at: max-bandwidth, or the line rate times `efficiency`.
    pub fn send_rate_bytes_s(&self, efficiency: f64) -> f64 {
        let line = self.file.link.bandwidth_mbit_s.unwrap_or(1000.0) * 1e6 / 8.0 * efficiency;
        self.file
            .migration
            .max_bandwidth_mib_s
            .map_or(line, |c| (c * 1048576.0).min(line))
    }

    /// Requested page writes per second (all regions).
    pub fn writes_per_s(&self) -> f64 {
        self.file.workload.hot_writes_per_s.unwrap_or(0.0)
            + self.file.workload.cold_writes_per_s.unwrap_or(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::date_of;

    #[test]
    fn the_recording_day_is_the_date_the_stamp_begins_with() {
        assert_eq!(
            date_of("2026-11-27T06:27:13Z").as_deref(),
            Some("2026-11-27")
        );
        assert_eq!(
            date_of("2026-12-07T01:00:00+01:00").as_deref(),
            Some("2026-12-07")
        );
        for bad in [
            "",
            "2026-1-27T06",
            "27.11.2026 06:27",
            "2026/11/27",
            "2026-11-2",
        ] {
            assert_eq!(date_of(bad), None, "{bad:?}");
        }
    }
}

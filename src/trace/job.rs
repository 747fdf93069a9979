//! One normalised migration-job sample series for replay, from all three job formats.
//!
//! libvirt's figures come from QEMU's `query-migrate` (libvirt `qemuMonitorJSONGetMigrationStats`
//! maps `ram.transferred` to memory processed, `dirty-sync-count` to the iteration, `mbps`
//! to bytes/s), so the three sources agree field by field once units are converted.

use super::domjobinfo::{DomJobInfo, DomJobInfoSeries};
use super::jobstats::{JobStatsLog, JobStatsRecord};
use super::query_migrate::{QueryMigrateLog, QueryMigrateSample};
use serde::Serialize;

/// Where a migration job stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum JobStatus {
    /// No job (before it starts or after the domain left).
    None,
    /// Setting up.
    Setup,
    /// Pre-copy running.
    Active,
    /// Post-copy running.
    Postcopy,
    /// Finished successfully.
    Completed,
    /// Failed.
    Failed,
    /// Cancelled / aborted.
    Cancelled,
    /// Anything else the source printed.
    Other,
}

/// One migration job sample in the common form replay works on.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobSample {
    /// When the sample was taken, Unix ns (None for a lone snapshot without stamp).
    pub t_unix_ns: Option<i64>,
    /// Job state.
    pub status: JobStatus,
    /// The statistics describe a finished job (`--completed`, `completed` status).
    pub completed: bool,
    /// Time since the job started.
    pub elapsed_ms: Option<u64>,
    /// RAM bytes sent so far.
    pub memory_processed_bytes: Option<u64>,
    /// RAM bytes still to send in this pass.
    pub memory_remaining_bytes: Option<u64>,
    /// Guest RAM size.
    pub memory_total_bytes: Option<u64>,
    /// Transfer rate, bytes per second.
    pub bps_bytes_s: Option<f64>,
    /// Page dirtying rate, pages per second.
    pub dirty_rate_pages_s: Option<u64>,
    /// Pass count (QEMU's dirty-sync count).
    pub iteration: Option<u64>,
    /// Auto-converge CPU throttle, percent.
    pub throttle_pct: Option<u32>,
    /// Downtime as reported: the real one once completed, else QEMU's expectation.
    pub downtime_ms: Option<u64>,
    /// True when `downtime_ms` is the expected (not yet real) downtime.
    pub downtime_expected: bool,
    /// Set-up time.
    pub setup_time_ms: Option<u64>,
    /// Zero pages sent so far (libvirt's "constant", QEMU's "duplicate").
    pub zero_pages: Option<u64>,
    /// Pages with data sent so far.
    pub normal_pages: Option<u64>,
    /// Bytes of page data sent so far (normal pages x page size).
    pub normal_bytes: Option<u64>,
    /// Stream bytes sent while the guest was paused (QEMU's `downtime-bytes`; only
    /// `query-migrate` has it).
    pub downtime_bytes: Option<u64>,
}

/// Maps a status word from any of the sources.
fn status_of(word: &str) -> JobStatus {
    match word.to_ascii_lowercase().as_str() {
        "none" => JobStatus::None,
        "setup" => JobStatus::Setup,
        "active" | "unbounded" | "bounded" | "pre-switchover" | "device" | "wait-unplug" => {
            JobStatus::Active
        }
        "postcopy-active" | "postcopy-paused" | "postcopy-recover" | "postcopy-recover-setup" => {
            JobStatus::Postcopy
        }
        "completed" => JobStatus::Completed,
        "failed" => JobStatus::Failed,
        "cancelled" | "cancelling" => JobStatus::Cancelled,
        _ => JobStatus::Other,
    }
}

/// The sample of one domjobinfo snapshot.
pub fn from_domjobinfo(j: &DomJobInfo) -> JobSample {
    let status = status_of(&j.job_type);
    let completed = status == JobStatus::Completed;
    let (downtime_ms, downtime_expected) = match (j.total_downtime_ms, j.expected_downtime_ms) {
        (Some(d), _) => (Some(d), false),
        (None, Some(d)) => (Some(d), true),
        (None, None) => (None, false),
    };
    JobSample {
        t_unix_ns: j.t_unix_ns,
        status,
        completed,
        elapsed_ms: j.time_elapsed_ms,
        memory_processed_bytes: j.memory_processed_bytes,
        memory_remaining_bytes: j.memory_remaining_bytes,
        memory_total_bytes: j.memory_total_bytes,
        bps_bytes_s: j.memory_bandwidth_bytes_s.map(|b| b as f64),
        dirty_rate_pages_s: j.dirty_rate_pages_s,
        iteration: j.iteration,
        throttle_pct: j.auto_converge_throttle_pct,
        downtime_ms,
        downtime_expected,
        setup_time_ms: j.setup_time_ms,
        zero_pages: j.constant_pages,
        normal_pages: j.normal_pages,
        normal_bytes: j.normal_data_bytes,
        downtime_bytes: None,
    }
}

/// The samples of a domjobinfo series.
pub fn from_domjobinfo_series(s: &DomJobInfoSeries) -> Vec<JobSample> {
    s.samples.iter().map(from_domjobinfo).collect()
}

/// The sample of one libvirt job-statistics record.
pub fn from_jobstats_record(r: &JobStatsRecord) -> JobSample {
    let status = match r.job_type.as_deref() {
        Some(t) => status_of(t),
        None if r.completed => JobStatus::Completed,
        None => JobStatus::Active,
    };
    let completed = r.completed || status == JobStatus::Completed;
    JobSample {
        t_unix_ns: Some(r.t_unix_ns),
        status: if completed && status == JobStatus::Active {
            JobStatus::Completed
        } else {
            status
        },
        completed,
        elapsed_ms: r.get_u64("time_elapsed"),
        memory_processed_bytes: r.get_u64("memory_processed"),
        memory_remaining_bytes: r.get_u64("memory_remaining"),
        memory_total_bytes: r.get_u64("memory_total"),
        bps_bytes_s: r.get_u64("memory_bps").map(|b| b as f64),
        dirty_rate_pages_s: r.get_u64("memory_dirty_rate"),
        iteration: r.get_u64("memory_iteration"),
        throttle_pct: r
            .get_u64("auto_converge_throttle")
            .and_then(|t| u32::try_from(t).ok()),
        downtime_ms: r.get_u64("downtime"),
        // libvirt reports the expected downtime under the same name while the job runs.
        downtime_expected: !completed && r.fields.contains_key("downtime"),
        setup_time_ms: r.get_u64("setup_time"),
        zero_pages: r.get_u64("memory_constant"),
        normal_pages: r.get_u64("memory_normal"),
        normal_bytes: r.get_u64("memory_normal_bytes"),
        downtime_bytes: None,
    }
}

/// The samples of a job-statistics log.
pub fn from_jobstats(log: &JobStatsLog) -> Vec<JobSample> {
    log.records.iter().map(from_jobstats_record).collect()
}

/// The sample of one `query-migrate` reply.
pub fn from_query_migrate_sample(s: &QueryMigrateSample) -> JobSample {
    let i = &s.info;
    let status = i.status.as_deref().map_or(JobStatus::Other, status_of);
    let completed = status == JobStatus::Completed;
    let ram = i.ram.clone().unwrap_or_default();
    let (downtime_ms, downtime_expected) = match (i.downtime_ms, i.expected_downtime_ms) {
        (Some(d), _) => (Some(d), false),
        (None, Some(d)) => (Some(d), true),
        (None, None) => (None, false),
    };
    JobSample {
        t_unix_ns: s.t_unix_ns,
        status,
        completed,
        elapsed_ms: i.total_time_ms,
        memory_processed_bytes: ram.transferred_bytes,
        memory_remaining_bytes: ram.remaining_bytes,
        memory_total_bytes: ram.total_bytes,
        // QEMU's mbps is megabits (10^6 bits) per second.
        bps_bytes_s: ram.mbps_mbit_s.map(|m| m * 1e6 / 8.0),
        dirty_rate_pages_s: ram.dirty_pages_rate_pages_s,
        iteration: ram.dirty_sync_count,
        throttle_pct: i.cpu_throttle_pct,
        downtime_ms,
        downtime_expected,
        setup_time_ms: i.setup_time_ms,
        zero_pages: ram.duplicate_pages,
        normal_pages: ram.normal_pages,
        normal_bytes: ram.normal_bytes,
        downtime_bytes: ram.downtime_bytes,
    }
}

/// The samples of a `query-migrate` log.
pub fn from_query_migrate(log: &QueryMigrateLog) -> Vec<JobSample> {
    log.samples.iter().map(from_query_migrate_sample).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_sources_agree() {
        let dj = super::super::domjobinfo::parse(
            "Job type:         Unbounded   \nTime elapsed:     1000         ms\nMemory processed: 1.000 MiB\n\
Memory bandwidth: 32.000 MiB/s\nIteration:        2            \nExpected downtime: 300          ms\n",
            "d",
        )
        .unwrap();
        let a = from_domjobinfo(&dj);
        let js = super::super::jobstats::parse(
            "{\"t\": 5, \"type\": \"unbounded\", \"time_elapsed\": 1000, \"memory_processed\": 1048576, \"memory_bps\": 33554432, \"memory_iteration\": 2, \"downtime\": 300}\n",
            "j",
        )
        .unwrap();
        let b = from_jobstats(&js).remove(0);
        let qm = super::super::query_migrate::parse(
            "5 {\"return\": {\"status\": \"active\", \"total-time\": 1000, \"expected-downtime\": 300, \"ram\": {\"transferred\": 1048576, \"mbps\": 268.435456, \"dirty-sync-count\": 2}}}\n",
            "q",
        )
        .unwrap();
        let c = from_query_migrate(&qm).remove(0);
        for s in [&a, &b, &c] {
            assert_eq!(s.status, JobStatus::Active);
            assert_eq!(s.elapsed_ms, Some(1000));
            assert_eq!(s.memory_processed_bytes, Some(1_048_576));
            assert_eq!(s.iteration, Some(2));
            assert_eq!(s.downtime_ms, Some(300));
            assert!(s.downtime_expected);
            assert!((s.bps_bytes_s.unwrap() - 33_554_432.0).abs() < 1.0);
        }
    }
}

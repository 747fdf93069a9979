//! Writing a bundle's `trace.toml` with the shared [`Manifest`] structs.
//!
//! The recorder writes the manifest twice: a provisional one as soon as the run
//! starts (`complete = false`), so a recorder killed outright still leaves a bundle
//! that loads, and the final one at the end. Each write replaces the file atomically.

use super::LabError;
use crate::bundle::{BundleSection, FileEntry, HostsSection, MANIFEST, Manifest};
use crate::scenario::schema::{
    GuestSection, LinkSection, MigrationSection, NetworkSection, PvSection, StorageSection,
    WorkloadSection,
};
use std::path::Path;
use std::time::SystemTime;

use super::clock;
use super::workload::Workload;

/// What the migration job did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The job completed: the guest runs on the destination.
    Completed,
    /// The job was aborted (timeout, stall, Ctrl-C): the guest stays on the source.
    Aborted,
    /// The job failed by itself (destination died, link lost, libvirt error).
    Failed,
}

impl Outcome {
    /// The manifest's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::Aborted => "aborted",
            Outcome::Failed => "failed",
        }
    }
}

/// Everything the manifest says about one run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunMeta {
    /// Bundle name (= directory name).
    pub name: String,
    /// Free text.
    pub description: String,
    /// When the run started.
    pub recorded_at: SystemTime,
    /// False until the run ended normally.
    pub complete: bool,
    /// What the job did (None while it has not ended).
    pub outcome: Option<Outcome>,
    /// Source host name (`hA`).
    pub source: String,
    /// Destination host name.
    pub destination: String,
    /// Source address.
    pub source_ip: Option<String>,
    /// Destination address.
    pub destination_ip: Option<String>,
    /// `kvm` or `tcg`.
    pub accel: String,
    /// QEMU version (`7.2.22`).
    pub qemu_version: String,
    /// libvirt version (`9.0.0`).
    pub libvirt_version: String,
    /// Guest RAM, MiB.
    pub memory_mib: f64,
    /// Guest vCPUs.
    pub vcpus: u32,
    /// What the dirtier did, when known.
    pub workload: Option<Workload>,
    /// Link line rate, Mbit/s, when given.
    pub link_mbit_s: Option<f64>,
    /// Link RTT, ms, when given.
    pub link_rtt_ms: Option<f64>,
    /// `none`, `nfs` or `local`.
    pub storage_kind: String,
    /// Migration bandwidth cap, MiB/s.
    pub bandwidth_mib_s: Option<u64>,
    /// Max downtime, ms.
    pub downtime_limit_ms: Option<u64>,
    /// Auto-converge on.
    pub auto_converge: bool,
    /// Post-copy enabled.
    pub postcopy: bool,
    /// `A->B` or `B->A`.
    pub direction: String,
    /// Ping interval, s.
    pub ping_interval_s: f64,
    /// PVs monitored.
    pub pvs: Vec<String>,
    /// Their scan period, s.
    pub scan_period_s: f64,
    /// They count 0..modulo-1.
    pub counting_modulo: Option<u32>,
    /// The raw files.
    pub files: Vec<FileEntry>,
    /// Recorder details (`[lab]`).
    pub lab: toml::Table,
}

/// How much overdue work the lab guest's dirtier makes up after a stall
/// (`lab/guest/dirtier.c`: `owed` is capped at a tenth of the rate).
const DIRTIER_CATCH_UP_MS: f64 = 100.0;

impl RunMeta {
    /// The manifest for this run.
    pub fn manifest(&self) -> Manifest {
        let wl = self.workload.map(|w| WorkloadSection {
            wws_mib: Some(w.wws_mib as f64),
            hot_writes_per_s: Some(w.rate as f64),
            cold_writes_per_s: Some(0.0),
            disk_writes_kib_s: Some(w.disk_kib_s as f64),
            // The lab's dirtier makes up at most 100 ms of writes after a stall.
            catch_up_ms: Some(DIRTIER_CATCH_UP_MS),
            ..Default::default()
        });
        Manifest {
            bundle: BundleSection {
                name: self.name.clone(),
                description: self.description.clone(),
                synthetic: false,
                complete: self.complete,
                recorded_at: clock::rfc3339(self.recorded_at),
                recorder: "migbench record".into(),
                timezone: Some("UTC".into()),
                outcome: Some(self.outcome.unwrap_or(Outcome::Failed).as_str().into()),
            },
            hosts: HostsSection {
                source: self.source.clone(),
                destination: self.destination.clone(),
                source_ip: self.source_ip.clone(),
                destination_ip: self.destination_ip.clone(),
                accel: Some(self.accel.clone()),
                qemu_version: Some(self.qemu_version.clone()),
                libvirt_version: Some(self.libvirt_version.clone()),
            },
            guest: GuestSection {
                memory_mib: self.memory_mib,
                vcpus: Some(self.vcpus),
                ..Default::default()
            },
            workload: wl.unwrap_or_default(),
            link: LinkSection {
                bandwidth_mbit_s: self.link_mbit_s,
                rtt_ms: self.link_rtt_ms,
                ..Default::default()
            },
            migration: MigrationSection {
                max_bandwidth_mib_s: self.bandwidth_mib_s.map(|b| b as f64),
                downtime_limit_ms: self.downtime_limit_ms.map(|d| d as f64),
                auto_converge: Some(self.auto_converge),
                postcopy: Some(self.postcopy),
                direction: Some(self.direction.clone()),
                ..Default::default()
            },
            storage: StorageSection {
                kind: Some(self.storage_kind.clone()),
                ..Default::default()
            },
            switchover: Default::default(),
            network: NetworkSection {
                ping_interval_s: Some(self.ping_interval_s),
                ..Default::default()
            },
            pvs: self
                .pvs
                .iter()
                .map(|n| PvSection {
                    name: n.clone(),
                    scan_period_s: self.scan_period_s,
                    counting_modulo: self.counting_modulo,
                })
                .collect(),
            files: self.files.clone(),
            probe: None,
            lab: Some(self.lab.clone()),
        }
    }

    /// Writes `dir/trace.toml` (through a temporary file and a rename).
    pub fn write(&self, dir: &Path) -> Result<(), LabError> {
        let text =
            toml::to_string(&self.manifest()).map_err(|e| LabError::Manifest(e.to_string()))?;
        let tmp = dir.join(format!("{MANIFEST}.tmp"));
        std::fs::write(&tmp, text).map_err(|e| LabError::io(&tmp, e))?;
        let path = dir.join(MANIFEST);
        std::fs::rename(&tmp, &path).map_err(|e| LabError::io(&path, e))
    }
}

/// A `[[files]]` entry.
pub fn file(path: &str, format: &str, role: &str, command: &str) -> FileEntry {
    FileEntry {
        path: path.into(),
        format: format.into(),
        role: role.into(),
        command: Some(command.into()),
        pv: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bundle::Bundle;

    #[test]
    fn written_manifest_loads_and_simulates() {
        let dir = std::env::temp_dir().join(format!("migbench-bw-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("ping.log"), "").unwrap();
        let mut lab = toml::Table::new();
        lab.insert("guest_after".into(), "hB".into());
        let meta = RunMeta {
            name: "t".into(),
            description: "test".into(),
            recorded_at: SystemTime::UNIX_EPOCH,
            complete: false,
            outcome: Some(Outcome::Aborted),
            source: "hA".into(),
            destination: "hB".into(),
            source_ip: Some("192.0.2.1".into()),
            destination_ip: Some("192.0.2.2".into()),
            accel: "tcg".into(),
            qemu_version: "7.2.22".into(),
            libvirt_version: "9.0.0".into(),
            memory_mib: 512.0,
            vcpus: 1,
            workload: Some(Workload {
                wws_mib: 64,
                rate: 5000,
                disk_kib_s: 0,
            }),
            link_mbit_s: Some(1000.0),
            link_rtt_ms: None,
            storage_kind: "none".into(),
            bandwidth_mib_s: Some(64),
            downtime_limit_ms: Some(300),
            auto_converge: false,
            postcopy: false,
            direction: "A->B".into(),
            ping_interval_s: 0.1,
            pvs: vec!["rootHost:calcExample".into()],
            scan_period_s: 1.0,
            counting_modulo: Some(10),
            files: vec![file(
                "ping.log",
                "ping",
                "ping",
                "ping -D -O -i 0.1 192.0.2.10",
            )],
            lab,
        };
        meta.write(&dir).unwrap();
        let b = Bundle::load(&dir).unwrap();
        assert!(!b.manifest.bundle.complete);
        assert_eq!(b.manifest.bundle.outcome.as_deref(), Some("aborted"));
        assert_eq!(b.manifest.bundle.recorded_at, "1970-01-01T00:00:00Z");
        assert_eq!(b.manifest.workload.hot_writes_per_s, Some(5000.0));
        b.params().unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

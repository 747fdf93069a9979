//! Trace bundles: a directory with `trace.toml` (what ran: hosts, guest, workload,
//! link, migration parameters, which file is which) and the raw files as the tools
//! wrote them. The manifest reuses the scenario sections, so a recorded run can be
//! simulated with the parameters it ran with.

use crate::model::ModelParams;
use crate::scenario::schema::{
    GuestSection, LinkSection, MigrationSection, NetworkSection, PvSection, StorageSection,
    SwitchoverSection, WorkloadSection,
};
use crate::scenario::{self, ScenarioFile};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The manifest file name inside a bundle.
pub const MANIFEST: &str = "trace.toml";

/// `trace.toml`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// What the bundle is.
    pub bundle: BundleSection,
    /// Where it ran.
    #[serde(default)]
    pub hosts: HostsSection,
    /// The guest (without it the run can be measured but not predicted).
    #[serde(default)]
    pub guest: GuestSection,
    /// What the guest was told to do.
    #[serde(default)]
    pub workload: WorkloadSection,
    /// The link.
    #[serde(default)]
    pub link: LinkSection,
    /// Migration parameters.
    #[serde(default)]
    pub migration: MigrationSection,
    /// Storage set-up.
    #[serde(default)]
    pub storage: StorageSection,
    /// Switchover costs, when known.
    #[serde(default)]
    pub switchover: SwitchoverSection,
    /// Network set-up.
    #[serde(default)]
    pub network: NetworkSection,
    /// PVs monitored.
    #[serde(default)]
    pub pvs: Vec<PvSection>,
    /// The raw files.
    #[serde(default)]
    pub files: Vec<FileEntry>,
    /// Link probe results, when one ran before the migration.
    #[serde(default)]
    pub probe: Option<toml::Table>,
    /// Recorder-specific details (commands, where the guest ended); free form.
    #[serde(default)]
    pub lab: Option<toml::Table>,
}

/// `[bundle]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BundleSection {
    /// Name (= directory name).
    pub name: String,
    /// What ran.
    #[serde(default)]
    pub description: String,
    /// Generated, not recorded: never evidence.
    #[serde(default)]
    pub synthetic: bool,
    /// False when the run or its recording was cut short.
    #[serde(default = "yes")]
    pub complete: bool,
    /// When it was recorded (RFC 3339, UTC).
    #[serde(default)]
    pub recorded_at: String,
    /// What recorded it.
    #[serde(default)]
    pub recorder: String,
    /// Zone of local-time stamps (camonitor, Phoebus): "UTC" or "+01:00".
    #[serde(default)]
    pub timezone: Option<String>,
    /// `completed`, `aborted` or `failed`.
    #[serde(default)]
    pub outcome: Option<String>,
}

fn yes() -> bool {
    true
}

/// `[hosts]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HostsSection {
    /// Source host name.
    #[serde(default)]
    pub source: String,
    /// Destination host name.
    #[serde(default)]
    pub destination: String,
    /// Source address.
    #[serde(default)]
    pub source_ip: Option<String>,
    /// Destination address.
    #[serde(default)]
    pub destination_ip: Option<String>,
    /// `kvm` or `tcg`.
    #[serde(default)]
    pub accel: Option<String>,
    /// QEMU version.
    #[serde(default)]
    pub qemu_version: Option<String>,
    /// libvirt version.
    #[serde(default)]
    pub libvirt_version: Option<String>,
}

/// `[[files]]`: one raw file.
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Path relative to the bundle.
    pub path: String,
    /// Format name (`ping`, `camonitor`, `domjobinfo-series`, `jobstats-jsonl`, ...).
    pub format: String,
    /// Role (`ping`, `pv`, `jobstats`, `jobinfo-completed`, `probe`, `log`).
    pub role: String,
    /// The exact command that wrote it.
    #[serde(default)]
    pub command: Option<String>,
    /// PV name, for formats that do not carry it (Archiver CSV).
    #[serde(default)]
    pub pv: Option<String>,
}

/// A loaded bundle.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// Its directory.
    pub dir: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
}

/// Why a bundle could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// The manifest could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The manifest is not valid.
    #[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
    Manifest {
        /// The file.
        path: PathBuf,
        /// The line.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// A file the manifest names is missing.
    #[error(
        "{}:{line}: [[files]] names `{file}` (format {format}), which does not exist in {}; expected the raw file in the bundle directory",
        manifest.display(),
        dir.display()
    )]
    MissingFile {
        /// The manifest.
        manifest: PathBuf,
        /// 1-based line of the entry's `path` in the manifest.
        line: usize,
        /// The bundle directory.
        dir: PathBuf,
        /// The missing file.
        file: String,
        /// Its declared format.
        format: String,
    },
}

/// A number (TOML float or integer) from a free-form section.
fn table_number(t: Option<&toml::Table>, key: &str) -> Option<f64> {
    t?.get(key)
        .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
}

impl Manifest {
    /// A number from `[probe]`, when the run's probe measured it.
    pub fn probe_number(&self, key: &str) -> Option<f64> {
        table_number(self.probe.as_ref(), key)
    }

    /// A number from `[lab]`, when the recorder wrote it.
    pub fn lab_number(&self, key: &str) -> Option<f64> {
        table_number(self.lab.as_ref(), key)
    }

    /// A manifest with nothing in it, for files read without one.
    pub fn empty() -> Self {
        Self {
            bundle: BundleSection::default(),
            hosts: HostsSection::default(),
            guest: GuestSection::default(),
            workload: WorkloadSection::default(),
            link: LinkSection::default(),
            migration: MigrationSection::default(),
            storage: StorageSection::default(),
            switchover: SwitchoverSection::default(),
            network: NetworkSection::default(),
            pvs: Vec::new(),
            files: Vec::new(),
            probe: None,
            lab: None,
        }
    }

    /// The zone of local-time stamps, or an error naming the manifest when it is
    /// missing or bad (camonitor and Phoebus print local time without a zone).
    pub fn utc_offset(
        &self,
        source: &str,
    ) -> Result<crate::trace::UtcOffset, crate::trace::TraceError> {
        let tz = self
            .bundle
            .timezone
            .as_deref()
            .ok_or_else(|| crate::trace::TraceError::Option {
                file: source.to_owned(),
                message: "[bundle] timezone is missing: camonitor and Phoebus stamps are local time and need it"
                    .into(),
            })?;
        tz.parse()
            .map_err(|m: String| crate::trace::TraceError::Option {
                file: source.to_owned(),
                message: m,
            })
    }
}

impl Bundle {
    /// Loads `dir/trace.toml` and checks that every file it names exists.
    pub fn load(dir: &Path) -> Result<Self, BundleError> {
        let path = dir.join(MANIFEST);
        let bytes = std::fs::read(&path).map_err(|source| BundleError::Io {
            path: path.clone(),
            source,
        })?;
        let text = crate::trace::text_from_bytes(&bytes, &path.display().to_string(), "TOML")
            .map_err(|e| BundleError::Manifest {
                path: path.clone(),
                line: e.line(),
                message: "not UTF-8 text, expected a TOML manifest".into(),
            })?;
        let manifest: Manifest = toml::from_str(text).map_err(|e| BundleError::Manifest {
            path: path.clone(),
            line: e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1),
            message: e.message().trim().to_string(),
        })?;
        for f in &manifest.files {
            if f.path.contains("..")
                || Path::new(&f.path).is_absolute()
                || !dir.join(&f.path).is_file()
            {
                let needle = format!("\"{}\"", f.path);
                let line = text
                    .lines()
                    .position(|l| l.trim_start().starts_with("path") && l.contains(&needle))
                    .map_or(1, |i| i + 1);
                return Err(BundleError::MissingFile {
                    manifest: path.clone(),
                    line,
                    dir: dir.to_path_buf(),
                    file: f.path.clone(),
                    format: f.format.clone(),
                });
            }
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            manifest,
        })
    }

    /// The files with a given role.
    pub fn files_with_role<'a>(
        &'a self,
        role: &'a str,
    ) -> impl Iterator<Item = &'a FileEntry> + 'a {
        self.manifest.files.iter().filter(move |f| f.role == role)
    }

    /// The scenario sections of the manifest, as a scenario file.
    pub fn scenario_file(&self) -> ScenarioFile {
        let m = &self.manifest;
        let mut workload = m.workload.clone();
        if workload.page_writes_per_cpu_s.is_none() {
            workload.page_writes_per_cpu_s = self.probed_writes_per_cpu_s();
        }
        let mut migration = m.migration.clone();
        if migration.job_polled_via_libvirt.is_none() {
            migration.job_polled_via_libvirt = Some(self.job_polled_via_libvirt());
        }
        ScenarioFile {
            name: Some(m.bundle.name.clone()),
            description: Some(m.bundle.description.clone()),
            guest: m.guest.clone(),
            workload,
            link: m.link.clone(),
            migration,
            storage: m.storage.clone(),
            switchover: m.switchover.clone(),
            network: m.network.clone(),
            pvs: m.pvs.clone(),
        }
    }

    /// Whether the recorder polled the job through libvirt while it ran: a job series
    /// from libvirt (`domjobinfo-series`, `jobstats-jsonl`), or `[lab] job_poll_via =
    /// "virsh"`. The lab's QMP sampler (`job_poll_via = "qmp"`) talks to QEMU alone,
    /// and `job_poll_s = 0` polled nothing.
    pub fn job_polled_via_libvirt(&self) -> bool {
        let lab = self.manifest.lab.as_ref();
        let via = lab
            .and_then(|t| t.get("job_poll_via"))
            .and_then(|v| v.as_str());
        if self.manifest.lab_number("job_poll_s") == Some(0.0) {
            return false;
        }
        match via {
            Some(v) => v == "virsh",
            None => self
                .manifest
                .files
                .iter()
                .any(|f| matches!(f.format.as_str(), "domjobinfo-series" | "jobstats-jsonl")),
        }
    }

    /// Page writes the guest's workload made flat out on its vCPU, when the run's
    /// probe measured it (`[probe] dirtier_max_writes_per_s`).
    pub fn probed_writes_per_cpu_s(&self) -> Option<f64> {
        self.manifest
            .probe_number("dirtier_max_writes_per_s")
            .filter(|x| x.is_finite() && *x > 0.0)
    }

    /// The model input for the recorded parameters.
    pub fn params(&self) -> Result<ModelParams, BundleError> {
        scenario::from_file(&self.scenario_file()).map_err(|problems| BundleError::Manifest {
            path: self.dir.join(MANIFEST),
            line: None,
            message: problems
                .iter()
                .map(|p| format!("{}: {}", p.field, p.message))
                .collect::<Vec<_>>()
                .join("; "),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_committed_bundle_loads_and_simulates() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("traces");
        let mut n = 0;
        for entry in std::fs::read_dir(&root).expect("traces/ exists") {
            let dir = entry.expect("dir entry").path();
            if !dir.join(MANIFEST).is_file() {
                continue;
            }
            let b = Bundle::load(&dir).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                b.manifest.bundle.name,
                dir.file_name().unwrap().to_string_lossy()
            );
            b.params().unwrap_or_else(|e| panic!("{e}"));
            n += 1;
        }
        assert!(n >= 3, "only {n} bundles");
    }

    #[test]
    fn missing_file_is_named() {
        let dir = std::env::temp_dir().join(format!("migbench-bundle-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join(MANIFEST),
            "[bundle]\nname = \"t\"\n[guest]\nmemory_mib = 64\n[[files]]\npath = \"ping.log\"\nformat = \"ping\"\nrole = \"ping\"\n",
        )
        .unwrap();
        let e = Bundle::load(&dir).unwrap_err().to_string();
        assert!(
            e.contains(
                "trace.toml:6: [[files]] names `ping.log` (format ping), which does not exist"
            ),
            "{e}"
        );
        std::fs::write(dir.join(MANIFEST), "[bundle]\nname = 5\n").unwrap();
        let e = Bundle::load(&dir).unwrap_err().to_string();
        assert!(e.contains("trace.toml:2:"), "{e}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

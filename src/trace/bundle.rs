//! Trace bundles: the `trace.toml` manifest and dispatch of each listed raw file to its parser.
//!
//! The manifest layout is the one agreed in the bundle format note: `[bundle]` (with the
//! `timezone` of local-time stamps), `[[pvs]]`, `[[files]]` with `path`, `format`, `role`
//! and the exact `command` that wrote the file. The command is read for what changes a
//! file's meaning (`camonitor -t`/`-F`, `ping -i`), so nothing is guessed. Sections shared
//! with scenario files (`[guest]`, `[workload]`, `[link]`, ...) are kept as raw TOML for
//! the model side to read with its own types.

use super::camonitor::{CaTimeMode, CamonitorOptions};
use super::error::{TraceError, text_from_bytes};
use super::time::UtcOffset;
use super::{
    Format, archiver, camonitor, domjobinfo, fping, jobstats, phoebus, ping, query_migrate,
};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The `[bundle]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BundleInfo {
    /// Bundle name (= directory name).
    pub name: String,
    /// What ran.
    #[serde(default)]
    pub description: String,
    /// True for generated data, never evidence.
    #[serde(default)]
    pub synthetic: bool,
    /// False if the recording was cut short.
    #[serde(default = "yes")]
    pub complete: bool,
    /// When it was recorded (RFC 3339, UTC).
    #[serde(default)]
    pub recorded_at: Option<String>,
    /// What made it.
    #[serde(default)]
    pub recorder: Option<String>,
    /// Zone of local-time stamps (camonitor, Phoebus): "UTC" or a fixed offset.
    #[serde(default)]
    pub timezone: Option<String>,
    /// What the migration job did: completed, aborted or failed.
    #[serde(default)]
    pub outcome: Option<String>,
}

fn yes() -> bool {
    true
}

/// A `[[pvs]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PvEntry {
    /// PV name.
    pub name: String,
    /// Record scan period (s).
    pub scan_period_s: f64,
    /// Modulo of a counting PV (10 for 0..9).
    #[serde(default)]
    pub counting_modulo: Option<u64>,
}

/// A `[[files]]` entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Path relative to the bundle directory.
    pub path: String,
    /// Raw format.
    pub format: Format,
    /// What the file is for: ping, pv, jobstats, jobinfo-completed, probe, log.
    pub role: String,
    /// The exact command line that wrote it.
    #[serde(default)]
    pub command: Option<String>,
    /// PV name, for formats that do not carry it (Archiver CSV).
    #[serde(default)]
    pub pv: Option<String>,
}

/// A parsed `trace.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// `[bundle]`.
    pub bundle: BundleInfo,
    /// `[[pvs]]`.
    #[serde(default)]
    pub pvs: Vec<PvEntry>,
    /// `[[files]]`.
    #[serde(default)]
    pub files: Vec<FileEntry>,
    /// Every other table (`hosts`, `guest`, `workload`, `link`, `storage`, `migration`, ...).
    #[serde(flatten)]
    pub other: toml::Table,
}

impl Manifest {
    /// Parses manifest text; `source` names the file in errors.
    pub fn from_toml(text: &str, source: &str) -> Result<Manifest, TraceError> {
        toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |s| {
                1 + text.get(..s.start).map_or(0, |p| p.matches('\n').count())
            });
            TraceError::syntax(
                source,
                line,
                format!("a trace.toml manifest ({})", e.message()),
                text.lines().nth(line - 1).unwrap_or(""),
            )
        })
    }

    /// The zone of local-time stamps, or an error naming the manifest when it is missing or bad.
    pub fn utc_offset(&self, source: &str) -> Result<UtcOffset, TraceError> {
        let tz = self.bundle.timezone.as_deref().ok_or_else(|| TraceError::Option {
            file: source.to_owned(),
            message: "[bundle] timezone is missing: camonitor and Phoebus stamps are local time and need it".into(),
        })?;
        tz.parse().map_err(|m: String| TraceError::Option {
            file: source.to_owned(),
            message: m,
        })
    }

    /// The `[[pvs]]` entry for `name`.
    pub fn pv(&self, name: &str) -> Option<&PvEntry> {
        self.pvs.iter().find(|p| p.name == name)
    }
}

/// Options of a `camonitor` command line that change how its output reads.
pub fn camonitor_options(command: Option<&str>, utc_offset: UtcOffset) -> CamonitorOptions {
    let mut o = CamonitorOptions::new(utc_offset);
    let words: Vec<&str> = command.unwrap_or("").split_whitespace().collect();
    let mut i = 0;
    while let Some(w) = words.get(i) {
        // getopt: "-tsc" or "-t sc"; "-F," or "-F ,".
        if let Some(rest) = w.strip_prefix("-t") {
            let arg = if rest.is_empty() {
                words.get(i + 1).copied().unwrap_or("")
            } else {
                rest
            };
            for c in arg.chars() {
                match c {
                    'r' => o.time_mode = CaTimeMode::Relative,
                    'i' => o.time_mode = CaTimeMode::Incremental,
                    'I' => o.time_mode = CaTimeMode::IncrementalByChannel,
                    _ => {}
                }
            }
            o.allow_unstamped = arg == "n";
        } else if let Some(rest) = w.strip_prefix("-F") {
            let arg = if rest.is_empty() {
                words.get(i + 1).copied().unwrap_or(" ")
            } else {
                rest
            };
            if let Some(b) = arg.bytes().next().filter(u8::is_ascii) {
                o.separator = b;
            }
        }
        i += 1;
    }
    o
}

/// The probe interval of a `ping`/`fping` command line in ms (`-i 0.1`; fping `-p 100`), if given.
pub fn ping_interval_ms(command: Option<&str>) -> Option<f64> {
    let words: Vec<&str> = command?.split_whitespace().collect();
    let is_fping = words.first().is_some_and(|w| w.ends_with("fping"));
    let flag = if is_fping { "-p" } else { "-i" };
    let mut it = words.iter().peekable();
    while let Some(w) = it.next() {
        if let Some(rest) = w.strip_prefix(flag) {
            let v = if rest.is_empty() {
                it.peek().copied().copied()?
            } else {
                rest
            };
            let x: f64 = v.parse().ok()?;
            // ping's -i is in seconds, fping's -p in milliseconds.
            return Some(if is_fping { x } else { x * 1000.0 });
        }
    }
    None
}

/// A raw file parsed according to its manifest entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "format", content = "data", rename_all = "kebab-case")]
// One value per file: boxing the variants would buy nothing.
#[allow(clippy::large_enum_variant)]
pub enum Parsed {
    /// iputils ping.
    Ping(ping::PingLog),
    /// fping.
    Fping(fping::FpingLog),
    /// camonitor.
    Camonitor(camonitor::CamonitorLog),
    /// Phoebus export.
    Phoebus(phoebus::PhoebusExport),
    /// Archiver JSON or CSV.
    Archiver(archiver::ArchiverData),
    /// One domjobinfo.
    Domjobinfo(domjobinfo::DomJobInfo),
    /// A domjobinfo series.
    DomjobinfoSeries(domjobinfo::DomJobInfoSeries),
    /// libvirt job statistics.
    Jobstats(jobstats::JobStatsLog),
    /// query-migrate replies.
    QueryMigrate(query_migrate::QueryMigrateLog),
}

/// Parses `text` as `entry` of `manifest` says; `source` names the file in errors.
pub fn parse_entry(
    text: &str,
    source: &str,
    entry: &FileEntry,
    manifest: &Manifest,
    manifest_name: &str,
) -> Result<Parsed, TraceError> {
    Ok(match entry.format {
        Format::Ping => Parsed::Ping(ping::parse(text, source)?),
        Format::Fping => Parsed::Fping(fping::parse(text, source)?),
        Format::Camonitor => {
            let o = camonitor_options(
                entry.command.as_deref(),
                manifest.utc_offset(manifest_name)?,
            );
            Parsed::Camonitor(camonitor::parse(text, source, &o)?)
        }
        Format::Phoebus => Parsed::Phoebus(phoebus::parse(
            text,
            source,
            manifest.utc_offset(manifest_name)?,
        )?),
        Format::ArchiverJson => Parsed::Archiver(archiver::parse_json(text, source)?),
        Format::ArchiverCsv => {
            let pv = match (&entry.pv, manifest.pvs.as_slice()) {
                (Some(p), _) => p.clone(),
                (None, [only]) => only.name.clone(),
                _ => {
                    return Err(TraceError::Option {
                        file: manifest_name.to_owned(),
                        message: format!(
                            "[[files]] {:?}: Archiver CSV carries no PV name; add pv = \"...\"",
                            entry.path
                        ),
                    });
                }
            };
            Parsed::Archiver(archiver::parse_csv(text, source, &pv)?)
        }
        Format::Domjobinfo => Parsed::Domjobinfo(domjobinfo::parse(text, source)?),
        Format::DomjobinfoSeries => {
            Parsed::DomjobinfoSeries(domjobinfo::parse_series(text, source)?)
        }
        Format::JobstatsJsonl => Parsed::Jobstats(jobstats::parse(text, source)?),
        Format::QueryMigrate => Parsed::QueryMigrate(query_migrate::parse(text, source)?),
    })
}

/// A bundle directory with its manifest.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// The bundle directory.
    pub dir: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
}

impl Bundle {
    /// Reads `dir/trace.toml`.
    pub fn open(dir: &Path) -> Result<Bundle, TraceError> {
        let path = dir.join("trace.toml");
        let name = path.display().to_string();
        let bytes = std::fs::read(&path).map_err(|e| TraceError::Option {
            file: name.clone(),
            message: format!("cannot read the manifest: {e}"),
        })?;
        let text = text_from_bytes(&bytes, &name, "a trace.toml manifest")?;
        Ok(Bundle {
            dir: dir.to_owned(),
            manifest: Manifest::from_toml(text, &name)?,
        })
    }

    /// Reads and parses the file of `entry`; a missing file is an error naming the manifest line.
    pub fn parse_file(&self, entry: &FileEntry) -> Result<Parsed, TraceError> {
        let manifest_path = self.dir.join("trace.toml");
        let manifest_name = manifest_path.display().to_string();
        let path = self.dir.join(&entry.path);
        let source = path.display().to_string();
        let bytes = std::fs::read(&path).map_err(|e| {
            let text = std::fs::read_to_string(&manifest_path).unwrap_or_default();
            let needle = format!("\"{}\"", entry.path);
            let line = text
                .lines()
                .position(|l| l.contains(&needle))
                .map_or(1, |i| i + 1);
            TraceError::MissingFile {
                manifest: manifest_name.clone(),
                line,
                path: entry.path.clone(),
                reason: e.to_string(),
            }
        })?;
        let text = text_from_bytes(&bytes, &source, entry.format.name())?;
        parse_entry(text, &source, entry, &self.manifest, &manifest_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFEST: &str = r#"
[bundle]
name = "lab-1"
synthetic = true
timezone = "UTC"

[hosts]
source = "hA"

[[pvs]]
name = "rootHost:calcExample"
scan_period_s = 1.0
counting_modulo = 10

[[files]]
path = "camonitor.log"
format = "camonitor"
role = "pv"
command = "camonitor -tsc rootHost:calcExample"

[[files]]
path = "ping.log"
format = "ping"
role = "ping"
command = "ping -D -O -i 0.1 192.0.2.10"
"#;

    #[test]
    fn manifest_and_commands() {
        let m = Manifest::from_toml(MANIFEST, "trace.toml").unwrap();
        assert_eq!(m.files.len(), 2);
        assert_eq!(m.files[0].format, Format::Camonitor);
        assert!(m.other.contains_key("hosts"));
        assert_eq!(m.utc_offset("t").unwrap(), UtcOffset::UTC);
        assert_eq!(ping_interval_ms(m.files[1].command.as_deref()), Some(100.0));
        assert_eq!(ping_interval_ms(Some("fping -D -l -p 25 ioc")), Some(25.0));
        let o = camonitor_options(Some("camonitor -tsI -F, pv"), UtcOffset::UTC);
        assert_eq!(o.time_mode, CaTimeMode::IncrementalByChannel);
        assert_eq!(o.separator, b',');
        let bad = MANIFEST.replace("format = \"ping\"", "format = \"pcap\"");
        let e = Manifest::from_toml(&bad, "trace.toml").unwrap_err();
        assert_eq!(e.line(), Some(23));
    }

    #[test]
    fn missing_file_names_manifest_line() {
        let dir = std::env::temp_dir().join(format!("migbench-bundle-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("trace.toml"), MANIFEST).unwrap();
        std::fs::write(dir.join("camonitor.log"), "rootHost:calcExample           2025-11-26 01:02:03.000000(2025-11-26 01:02:03.001000) 1  \n").unwrap();
        let b = Bundle::open(&dir).unwrap();
        assert!(matches!(
            b.parse_file(&b.manifest.files[0]).unwrap(),
            Parsed::Camonitor(_)
        ));
        let e = b.parse_file(&b.manifest.files[1]).unwrap_err();
        assert!(
            matches!(&e, TraceError::MissingFile { line: 22, path, .. } if path == "ping.log"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).ok();
    }
}

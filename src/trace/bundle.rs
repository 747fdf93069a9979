//! Dispatch of each raw file a bundle lists ([`crate::bundle`]) to its parser.
//!
//! The command that wrote a file is read for what changes its meaning
//! (`camonitor -t`/`-F`, `ping -i`), so nothing is guessed.

use super::camonitor::{CaTimeMode, CamonitorOptions};
use super::error::{TraceError, text_from_bytes};
use super::time::UtcOffset;
use super::{
    Format, archiver, camonitor, domjobinfo, fping, jobstats, phoebus, ping, query_migrate,
};
use crate::bundle::{Bundle, FileEntry, MANIFEST, Manifest};
use serde::Serialize;

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

impl Parsed {
    /// Lines the parser passed over as the tool's known noise.
    pub fn skipped(&self) -> &[super::Skip] {
        match self {
            Parsed::Ping(x) => &x.skipped,
            Parsed::Fping(x) => &x.skipped,
            Parsed::Camonitor(x) => &x.skipped,
            Parsed::Phoebus(x) => &x.skipped,
            Parsed::DomjobinfoSeries(x) => &x.skipped,
            Parsed::Jobstats(x) => &x.skipped,
            Parsed::QueryMigrate(x) => &x.skipped,
            Parsed::Archiver(_) | Parsed::Domjobinfo(_) => &[],
        }
    }
}

/// Parses `text` as `entry` of `manifest` says; `source` names the file in errors.
pub fn parse_entry(
    text: &str,
    source: &str,
    entry: &FileEntry,
    manifest: &Manifest,
    manifest_name: &str,
) -> Result<Parsed, TraceError> {
    let format: Format = entry
        .format
        .parse()
        .map_err(|m: String| TraceError::Option {
            file: manifest_name.to_owned(),
            message: format!("[[files]] {:?}: {m}", entry.path),
        })?;
    Ok(match format {
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

impl Bundle {
    /// Reads and parses the file of `entry`; a missing file is an error naming the
    /// manifest line that lists it.
    pub fn parse_file(&self, entry: &FileEntry) -> Result<Parsed, TraceError> {
        let manifest_path = self.dir.join(MANIFEST);
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
        let text = text_from_bytes(&bytes, &source, &entry.format)?;
        parse_entry(text, &source, entry, &self.manifest, &manifest_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_change_how_files_read() {
        assert_eq!(
            ping_interval_ms(Some("ping -D -O -i 0.1 192.0.2.10")),
            Some(100.0)
        );
        assert_eq!(ping_interval_ms(Some("fping -D -l -p 25 ioc")), Some(25.0));
        assert_eq!(ping_interval_ms(Some("ping -D 192.0.2.10")), None);
        let o = camonitor_options(Some("camonitor -tsI -F, pv"), UtcOffset::UTC);
        assert_eq!(o.time_mode, CaTimeMode::IncrementalByChannel);
        assert_eq!(o.separator, b',');
    }

    #[test]
    fn every_committed_bundle_file_parses() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("traces");
        let mut files = 0;
        for entry in std::fs::read_dir(&root).expect("traces/") {
            let dir = entry.expect("entry").path();
            if !dir.join(MANIFEST).is_file() {
                continue;
            }
            let b = Bundle::load(&dir).unwrap_or_else(|e| panic!("{e}"));
            for f in &b.manifest.files {
                if f.format.parse::<Format>().is_err() {
                    continue; // probe outputs (netperf) have no parser
                }
                b.parse_file(f)
                    .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
                files += 1;
            }
        }
        assert!(files >= 20, "{files} files");
    }
}

//! What a recording shows: the raw files of a bundle (or loose files) parsed and
//! measured — the migration job, the ping outage around the switch, every PV.

use super::observed::{self, PingOutage, PvObserved, PvParams, StallKind};
use crate::bundle::{Bundle, BundleError, FileEntry};
use crate::median::upper_median;
use crate::trace::bundle::{Parsed, camonitor_options, ping_interval_ms};
use crate::trace::job::{self, JobStatus};
use crate::trace::{Format, JobSample, PvSample, TraceError, UtcOffset, pv};
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why a recording could not be replayed.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The bundle itself.
    #[error(transparent)]
    Bundle(#[from] BundleError),
    /// A raw file.
    #[error(transparent)]
    Trace(#[from] TraceError),
    /// A file of a role that cannot hold that format.
    #[error("{file}: {message}")]
    Role {
        /// The file.
        file: String,
        /// What is wrong.
        message: String,
    },
}

/// The migration job as its statistics report it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobObserved {
    /// How the job ended: `completed`, `cancelled`, `failed`, ...
    pub outcome: String,
    /// Whether pre-copy completed (no post-copy phase).
    pub converged: bool,
    /// Whether the job switched to post-copy.
    pub postcopy: bool,
    /// Job duration as reported, ms.
    pub total_time_ms: Option<f64>,
    /// Downtime as reported (source view), ms.
    pub downtime_ms: Option<f64>,
    /// True when that downtime is only QEMU's expectation (job not completed).
    pub downtime_expected: bool,
    /// RAM stream bytes sent.
    pub memory_processed_bytes: Option<u64>,
    /// Guest RAM.
    pub memory_total_bytes: Option<u64>,
    /// Passes (QEMU's dirty-sync-count).
    pub iterations: Option<u64>,
    /// Set-up time, ms.
    pub setup_time_ms: Option<f64>,
    /// Zero pages sent.
    pub zero_pages: Option<u64>,
    /// Pages with data sent.
    pub normal_pages: Option<u64>,
    /// Page data bytes sent.
    pub normal_bytes: Option<u64>,
    /// Stream bytes of the stop-and-copy pass (QEMU's `downtime-bytes`), when the
    /// job statistics have them.
    pub final_pass_bytes: Option<u64>,
    /// Pages of the stop-and-copy pass, and how many of them were zero pages, where the
    /// job series holds a sample taken right before it (the stream bytes after that
    /// sample are the pass's).
    pub final_pass_pages: Option<u64>,
    /// See `final_pass_pages`.
    pub final_pass_zero_pages: Option<u64>,
    /// Pages the first dirty-log sync after the start found newly written, where the
    /// job series holds samples right before and right after it with the guest
    /// running: what the guest wrote during the first pass. With no workload, what
    /// the guest's kernel and services write by themselves.
    pub first_sync_new_pages: Option<u64>,
    /// When that sync came, ms after the job started (the later of the two samples).
    pub first_sync_after_ms: Option<f64>,
    /// The guest's page size the job statistics give (bytes of page data per normal
    /// page sent, to the nearest power of two).
    pub page_size_bytes: Option<u64>,
    /// Zero pages per second over the fastest interval between samples while
    /// iterating: a lower bound on the sender's zero-page scan rate.
    pub zero_scan_pages_s_min: Option<f64>,
    /// Median dirty rate while iterating, pages/s.
    pub dirty_rate_pages_s: Option<f64>,
    /// Median transfer rate while iterating, bytes/s.
    pub bandwidth_bytes_s: Option<f64>,
    /// Highest auto-converge throttle, %.
    pub max_throttle_pct: Option<u32>,
    /// Job start and end, Unix ns.
    pub start_unix_ns: Option<i64>,
    /// See `start_unix_ns`.
    pub end_unix_ns: Option<i64>,
    /// Samples used.
    pub samples: usize,
}

/// The ping outage at the switch split into its parts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutageParts {
    /// The guest's pause as the job reports it, ms.
    pub downtime_ms: f64,
    /// The rest of the ping outage: the network finding the guest again, ms (bounds).
    pub network_ms_lo: f64,
    /// See `network_ms_lo`.
    pub network_ms_hi: Option<f64>,
}

/// Lines of one file a parser passed over as the tool's known noise, per reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SkippedLines {
    /// The file.
    pub file: String,
    /// Why (e.g. "PING header", "repeated stamp").
    pub reason: String,
    /// How many lines.
    pub count: usize,
    /// The first such line (1-based).
    pub first_line: usize,
}

/// Skips that are the format's own structure (headers, comments), not noise.
const STRUCTURE: [&str; 3] = ["PING header", "comment", "export comment"];

/// Counts `p`'s skipped noise lines per reason into `out`.
fn count_skips(out: &mut Vec<SkippedLines>, file: &str, p: &Parsed) {
    for sk in p
        .skipped()
        .iter()
        .filter(|s| !STRUCTURE.contains(&s.reason))
    {
        match out
            .iter_mut()
            .find(|s| s.file == file && s.reason == sk.reason)
        {
            Some(s) => s.count += 1,
            None => out.push(SkippedLines {
                file: file.to_string(),
                reason: sk.reason.to_string(),
                count: 1,
                first_line: sk.line,
            }),
        }
    }
}

/// Everything measured from one recording.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Observation {
    /// The migration job, when job statistics were recorded.
    pub job: Option<JobObserved>,
    /// Pings: the loss run at the switch (or the longest) with honest bounds.
    pub ping: Option<PingOutage>,
    /// The guest's mean ping round trip before the job started, ms (timestamped ping
    /// logs with job statistics only).
    pub ping_rtt_before_job_ms: Option<f64>,
    /// The ping outage split into pause and network, when both are known.
    pub outage_parts: Option<OutageParts>,
    /// Per PV.
    pub pv: Vec<PvObserved>,
    /// The most serious explanation the PVs show.
    pub stall_kind: StallKind,
    /// Lines skipped as the tools' known noise (headers, diagnostics, repeated stamps).
    pub skipped: Vec<SkippedLines>,
}

/// Where loose files are, for a quick look without a manifest.
#[derive(Debug, Clone, Default)]
pub struct LooseFiles {
    /// A `ping` (or fping) log.
    pub ping: Option<PathBuf>,
    /// A PV log (camonitor, Phoebus, Archiver).
    pub pv: Vec<PathBuf>,
    /// Job statistics (domjobinfo, a series, JSON lines, query-migrate).
    pub jobstats: Vec<PathBuf>,
    /// Zone of local-time stamps.
    pub utc_offset: Option<UtcOffset>,
    /// Ping interval, ms (default 100).
    pub ping_interval_ms: Option<f64>,
    /// PV parameters by name (scan period, counting modulo).
    pub pv_params: BTreeMap<String, (f64, Option<u64>)>,
}

/// Measures a bundle.
pub fn observe_bundle(b: &Bundle) -> Result<Observation, ReplayError> {
    let mut jobs: Vec<JobSample> = Vec::new();
    let mut completed: Option<JobSample> = None;
    let mut ping = None;
    let mut pv_samples: Vec<PvSample> = Vec::new();
    // Prefer libvirt's own series; QEMU's query-migrate only when nothing else is there.
    let mut series_rank = u8::MAX;
    let mut series_skips = Vec::new();
    let mut final_pass_bytes: Option<u64> = None;
    let mut final_pass_pages: Option<(u64, u64)> = None;
    let mut skipped = Vec::new();
    let parse = |f: &FileEntry, skipped: &mut Vec<SkippedLines>| -> Result<Parsed, ReplayError> {
        let p = b.parse_file(f)?;
        count_skips(skipped, &f.path, &p);
        Ok(p)
    };
    for f in &b.manifest.files {
        let Ok(format) = f.format.parse::<Format>() else {
            continue;
        };
        match f.role.as_str() {
            "ping" => {
                ping = Some((
                    parse(f, &mut skipped)?,
                    ping_interval_ms(f.command.as_deref()),
                ))
            }
            "pv" => pv_samples.extend(pv_samples_of(parse(f, &mut skipped)?, &b.dir, f)?),
            "jobstats" => {
                let rank = match format {
                    Format::JobstatsJsonl => 0,
                    Format::DomjobinfoSeries => 1,
                    _ => 2,
                };
                // QEMU's replies are read for the final pass's bytes even when
                // libvirt's series is the one used.
                let used = rank < series_rank;
                if used || format == Format::QueryMigrate {
                    let mut skips = Vec::new();
                    let samples = job_samples_of(parse(f, &mut skips)?, &b.dir, f)?;
                    let pass_bytes = final_pass_of(&samples);
                    final_pass_bytes = final_pass_bytes.max(pass_bytes);
                    // So are its page counts around the pass: from its reply during or
                    // after the pass to the one before.
                    let fin = samples
                        .iter()
                        .rev()
                        .find(|s| s.completed || s.downtime_bytes.is_some_and(|b| b > 0));
                    final_pass_pages =
                        final_pass_pages.or(final_pass_pages_of(&samples, fin, pass_bytes));
                    if used {
                        series_rank = rank;
                        // Only the series used counts.
                        series_skips = skips;
                        jobs = samples;
                    }
                }
            }
            "jobinfo-completed" => {
                completed = job_samples_of(parse(f, &mut skipped)?, &b.dir, f)?
                    .into_iter()
                    .last();
            }
            _ => {}
        }
    }
    skipped.extend(series_skips);
    let params: BTreeMap<String, (f64, Option<u64>)> = b
        .manifest
        .pvs
        .iter()
        .map(|p| {
            (
                p.name.clone(),
                (p.scan_period_s * 1000.0, p.counting_modulo.map(u64::from)),
            )
        })
        .collect();
    let ping = match ping {
        Some((Parsed::Ping(log), interval)) => Some((log, interval.unwrap_or(100.0))),
        Some((Parsed::Fping(mut f), interval)) => {
            f.hosts.pop().map(|h| (h, interval.unwrap_or(1000.0)))
        }
        _ => None,
    };
    let mut o = assemble(jobs, completed, ping, pv_samples, &params);
    if let Some(j) = o.job.as_mut() {
        j.final_pass_bytes = j.final_pass_bytes.or(final_pass_bytes);
        if j.final_pass_pages.is_none() {
            j.final_pass_pages = final_pass_pages.map(|p| p.0);
            j.final_pass_zero_pages = final_pass_pages.map(|p| p.1);
        }
    }
    o.skipped = skipped;
    Ok(o)
}

/// Measures loose files.
pub fn observe_files(files: &LooseFiles) -> Result<Observation, ReplayError> {
    let read = |p: &Path| -> Result<(String, String), ReplayError> {
        let name = p.display().to_string();
        let bytes = std::fs::read(p).map_err(|e| TraceError::Option {
            file: name.clone(),
            message: format!("cannot read: {e}"),
        })?;
        let text = crate::trace::text_from_bytes(&bytes, &name, "a recording")?.to_owned();
        Ok((name, text))
    };
    let entry = |p: &Path, text: &str, role: &str| -> Result<FileEntry, ReplayError> {
        if text.trim().is_empty() {
            return Err(TraceError::Empty {
                file: p.display().to_string(),
                expected: match role {
                    "ping" => "a ping or fping log",
                    "pv" => "a PV log (camonitor, Phoebus export, Archiver JSON or CSV)",
                    _ => "job statistics (domjobinfo, a series, JSON lines, query-migrate)",
                }
                .into(),
            }
            .into());
        }
        let format = crate::trace::detect_format(text).ok_or_else(|| ReplayError::Role {
            file: p.display().to_string(),
            message: "not a format migbench reads (ping, fping, camonitor, Phoebus, Archiver, domjobinfo, \
                      job statistics JSON lines, query-migrate)"
                .into(),
        })?;
        Ok(FileEntry {
            path: p.display().to_string(),
            format: format.name().to_string(),
            role: role.to_string(),
            command: None,
            // Archiver CSV carries no PV name: a loose one is named after its file.
            pv: (format == Format::ArchiverCsv)
                .then(|| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
                .flatten(),
        })
    };
    let mut skipped = Vec::new();
    let offset = files.utc_offset.unwrap_or(UtcOffset::UTC);
    let mut manifest_stub = crate::bundle::Manifest::empty();
    manifest_stub.bundle.timezone = Some(offset.to_string());
    let mut jobs = Vec::new();
    let mut completed = None;
    for p in &files.jobstats {
        let (name, text) = read(p)?;
        let e = entry(p, &text, "jobstats")?;
        let parsed =
            crate::trace::bundle::parse_entry(&text, &name, &e, &manifest_stub, "command line")?;
        count_skips(&mut skipped, &name, &parsed);
        let samples = job_samples_of(parsed, Path::new(""), &e)?;
        if samples.len() == 1 && samples[0].completed {
            completed = samples.into_iter().next();
        } else {
            jobs = samples;
        }
    }
    let mut pv_samples = Vec::new();
    for p in &files.pv {
        let (name, text) = read(p)?;
        let e = entry(p, &text, "pv")?;
        let parsed = if e.format == "camonitor" {
            Parsed::Camonitor(crate::trace::camonitor::parse(
                &text,
                &name,
                &camonitor_options(None, offset),
            )?)
        } else {
            crate::trace::bundle::parse_entry(&text, &name, &e, &manifest_stub, "command line")?
        };
        count_skips(&mut skipped, &name, &parsed);
        pv_samples.extend(pv_samples_of(parsed, Path::new(""), &e)?);
    }
    let ping = match &files.ping {
        Some(p) => {
            let (name, text) = read(p)?;
            let e = entry(p, &text, "ping")?;
            let parsed = crate::trace::bundle::parse_entry(
                &text,
                &name,
                &e,
                &manifest_stub,
                "command line",
            )?;
            count_skips(&mut skipped, &name, &parsed);
            match parsed {
                Parsed::Ping(log) => Some((log, files.ping_interval_ms.unwrap_or(100.0))),
                Parsed::Fping(mut f) => f
                    .hosts
                    .pop()
                    .map(|h| (h, files.ping_interval_ms.unwrap_or(1000.0))),
                _ => {
                    return Err(ReplayError::Role {
                        file: name,
                        message: "--ping takes a ping or fping log".into(),
                    });
                }
            }
        }
        None => None,
    };
    let mut o = assemble(jobs, completed, ping, pv_samples, &files.pv_params);
    o.skipped = skipped;
    Ok(o)
}

fn job_samples_of(p: Parsed, dir: &Path, f: &FileEntry) -> Result<Vec<JobSample>, ReplayError> {
    Ok(match p {
        Parsed::Domjobinfo(d) => vec![job::from_domjobinfo(&d)],
        Parsed::DomjobinfoSeries(s) => job::from_domjobinfo_series(&s),
        Parsed::Jobstats(j) => job::from_jobstats(&j),
        Parsed::QueryMigrate(q) => job::from_query_migrate(&q),
        _ => {
            return Err(ReplayError::Role {
                file: dir.join(&f.path).display().to_string(),
                message: format!("format {} holds no job statistics", f.format),
            });
        }
    })
}

fn pv_samples_of(p: Parsed, dir: &Path, f: &FileEntry) -> Result<Vec<PvSample>, ReplayError> {
    Ok(match p {
        Parsed::Camonitor(c) => pv::from_camonitor(&c),
        Parsed::Phoebus(x) => pv::from_phoebus(&x),
        Parsed::Archiver(a) => pv::from_archiver(&a),
        _ => {
            return Err(ReplayError::Role {
                file: dir.join(&f.path).display().to_string(),
                message: format!("format {} holds no PV values", f.format),
            });
        }
    })
}

/// The bytes QEMU sent while the guest was paused (`downtime-bytes`), from the samples
/// taken after the pause; None when no sample caught it. Before the pause QEMU reports
/// 0, and a pause always sends something (the device state at least), so 0 is not a
/// final pass: the source QEMU can quit before the sampler asks again.
fn final_pass_of(samples: &[JobSample]) -> Option<u64> {
    samples
        .iter()
        .filter_map(|s| s.downtime_bytes)
        .filter(|&b| b > 0)
        .max()
}

/// The pages and zero pages of the stop-and-copy pass: what the completed sample
/// counts beyond the last sample of pre-copy, where the stream bytes between the two
/// are the pass's `final_bytes` (to 1 % and 64 KiB), so that no window of pre-copy
/// lies between them.
fn final_pass_pages_of(
    samples: &[JobSample],
    fin: Option<&JobSample>,
    final_bytes: Option<u64>,
) -> Option<(u64, u64)> {
    let (fin, final_bytes) = (fin?, final_bytes?);
    // The last sample of pre-copy: none of the pass sent yet.
    let last = samples
        .iter()
        .rev()
        .find(|s| in_precopy(s) && s.memory_processed_bytes.is_some())?;
    let sent = fin
        .memory_processed_bytes?
        .checked_sub(last.memory_processed_bytes?)?;
    if sent.abs_diff(final_bytes) > final_bytes / 100 + 64 * 1024 {
        return None;
    }
    let normal = fin.normal_pages?.checked_sub(last.normal_pages?)?;
    let zero = fin.zero_pages?.checked_sub(last.zero_pages?)?;
    Some((normal + zero, zero))
}

/// Whether `s` was taken in pre-copy, the guest running: QEMU's `device` state, while
/// the final pass goes out, reads as active too, but its samples carry the pause's bytes.
fn in_precopy(s: &JobSample) -> bool {
    s.status == JobStatus::Active && s.downtime_bytes.is_none_or(|b| b == 0)
}

/// The pages newly dirty at the first sync after the start, and when the sample after
/// it was taken (Unix ns): between two running samples where QEMU's pass count goes
/// from 1 to 2, the pending pages grew by them less the pages sent in between.
fn first_sync_writes_of(samples: &[JobSample], page_bytes: u64) -> Option<(u64, i64)> {
    samples.windows(2).find_map(|w| {
        let (a, b) = (&w[0], &w[1]);
        if !(in_precopy(a) && in_precopy(b) && a.iteration == Some(1) && b.iteration == Some(2)) {
            return None;
        }
        let sent =
            (b.normal_pages? + b.zero_pages?).checked_sub(a.normal_pages? + a.zero_pages?)?;
        let grew = (b.memory_remaining_bytes? / page_bytes) as i64
            - (a.memory_remaining_bytes? / page_bytes) as i64;
        let new = u64::try_from(grew + sent as i64).ok()?;
        Some((new, b.t_unix_ns?))
    })
}

/// The guest's page size: bytes of page data per normal page, taken where the most
/// normal pages were counted (some tools round the bytes) and set to the nearest power
/// of two.
fn page_size_of<'a>(samples: impl Iterator<Item = &'a JobSample>) -> Option<u64> {
    let (bytes, pages) = samples
        .filter_map(|s| Some((s.normal_bytes?, s.normal_pages.filter(|&n| n > 0)?)))
        .max_by_key(|&(_, pages)| pages)?;
    let ratio = bytes as f64 / pages as f64;
    (ratio >= 1.0).then(|| 1u64 << (ratio.log2().round() as u32).min(30))
}

/// The fastest zero-page rate between two samples at least 50 ms apart while the job
/// iterates, when some interval scanned 1000 zero pages or more.
fn zero_scan_lower_bound(samples: &[JobSample]) -> Option<f64> {
    let points: Vec<(i64, u64)> = samples
        .iter()
        .filter(|s| s.status == JobStatus::Active)
        .filter_map(|s| Some((s.t_unix_ns?, s.zero_pages?)))
        .collect();
    points
        .windows(2)
        .filter_map(|w| {
            let (dt_ns, dz) = (w[1].0 - w[0].0, w[1].1.checked_sub(w[0].1)?);
            (dt_ns >= 50_000_000 && dz >= 1000).then(|| dz as f64 * 1e9 / dt_ns as f64)
        })
        .max_by(f64::total_cmp)
}

fn assemble(
    jobs: Vec<JobSample>,
    completed: Option<JobSample>,
    ping: Option<(crate::trace::ping::PingLog, f64)>,
    pv_samples: Vec<PvSample>,
    pv_params: &BTreeMap<String, (f64, Option<u64>)>,
) -> Observation {
    let mut all = jobs;
    if let Some(c) = &completed {
        all.push(c.clone());
    }
    let job = observed::migration_window(&all).map(|w| {
        let fin = completed
            .as_ref()
            .or_else(|| all.iter().rev().find(|s| s.completed));
        let iterating = |s: &&JobSample| s.status == JobStatus::Active;
        let postcopy = all.iter().any(|s| s.status == JobStatus::Postcopy);
        let final_pass = final_pass_of(&all);
        let final_pages = final_pass_pages_of(&all, fin, final_pass);
        let page_size = page_size_of(fin.into_iter().chain(&all));
        let first_sync = first_sync_writes_of(&all, page_size.unwrap_or(4096));
        JobObserved {
            outcome: format!("{:?}", w.outcome).to_lowercase(),
            converged: w.outcome == JobStatus::Completed && !postcopy,
            postcopy,
            total_time_ms: w.duration_ms.map(|d| d as f64),
            downtime_ms: w.downtime_ms.map(|d| d as f64),
            downtime_expected: w.downtime_expected,
            memory_processed_bytes: w.memory_processed_bytes,
            memory_total_bytes: w.memory_total_bytes,
            iterations: fin.and_then(|s| s.iteration).or(w.iterations),
            setup_time_ms: fin.and_then(|s| s.setup_time_ms).map(|t| t as f64),
            zero_pages: fin.and_then(|s| s.zero_pages),
            normal_pages: fin.and_then(|s| s.normal_pages),
            normal_bytes: fin.and_then(|s| s.normal_bytes),
            final_pass_bytes: final_pass,
            final_pass_pages: final_pages.map(|p| p.0),
            final_pass_zero_pages: final_pages.map(|p| p.1),
            first_sync_new_pages: first_sync.map(|f| f.0),
            first_sync_after_ms: first_sync
                .and_then(|f| Some((f.1 - w.start_unix_ns?) as f64 / 1e6).filter(|ms| *ms >= 0.0)),
            page_size_bytes: page_size,
            zero_scan_pages_s_min: zero_scan_lower_bound(&all),
            dirty_rate_pages_s: upper_median(
                &mut all
                    .iter()
                    .filter(iterating)
                    .filter_map(|s| s.dirty_rate_pages_s)
                    .filter(|&r| r > 0)
                    .map(|r| r as f64)
                    .collect::<Vec<_>>(),
            ),
            bandwidth_bytes_s: upper_median(
                &mut all
                    .iter()
                    .filter(iterating)
                    .filter_map(|s| s.bps_bytes_s)
                    .filter(|&b| b > 0.0)
                    .collect::<Vec<_>>(),
            ),
            max_throttle_pct: w.max_throttle_pct,
            start_unix_ns: w.start_unix_ns,
            end_unix_ns: w.end_unix_ns,
            samples: w.samples,
        }
    });
    let switch = job.as_ref().and_then(|j| j.end_unix_ns);
    let ping_rtt_before_job_ms = match (&ping, job.as_ref().and_then(|j| j.start_unix_ns)) {
        (Some((log, _)), Some(start)) => observed::mean_rtt_before_ms(log, start),
        _ => None,
    };
    let ping = ping.map(|(log, interval)| at_switch(observed::ping_outage(&log, interval), switch));
    let default = PvParams {
        scan_period_ms: 1000.0,
        counting_modulo: None,
        switch_unix_ns: switch,
    };
    let params: BTreeMap<String, PvParams> = pv_params
        .iter()
        .map(|(n, (period, modulo))| {
            (
                n.clone(),
                PvParams {
                    scan_period_ms: *period,
                    counting_modulo: *modulo,
                    switch_unix_ns: switch,
                },
            )
        })
        .collect();
    let pvs = observed::analyse_pvs(&pv_samples, &params, &default);
    let outage_parts = match (&job, &ping) {
        (Some(j), Some(p)) if j.converged && p.lost > 0 => j.downtime_ms.map(|d| OutageParts {
            downtime_ms: d,
            network_ms_lo: (p.outage_ms_lo - d).max(0.0),
            network_ms_hi: p.outage_ms_hi.map(|h| (h - d).max(0.0)),
        }),
        _ => None,
    };
    Observation {
        job,
        stall_kind: observed::classify_all(&pvs),
        pv: pvs,
        ping,
        ping_rtt_before_job_ms,
        outage_parts,
        skipped: Vec::new(),
    }
}

/// The loss run at the switch: the longest starting within 2 s before to 2 s after
/// the job ended (the pause comes right before the end); else the longest overall.
fn at_switch(mut o: PingOutage, switch: Option<i64>) -> PingOutage {
    const WINDOW_NS: i64 = 2_000_000_000;
    let near = switch.and_then(|sw| {
        o.runs
            .iter()
            .filter(|r| {
                r.bound_start_unix_ns
                    .is_some_and(|s| (s - sw).abs() <= WINDOW_NS)
            })
            .max_by_key(|r| r.lost)
            .cloned()
    });
    if let Some(r) = near {
        o.lost = r.lost;
        o.outage_ms_lo = r.outage_ms_lo;
        o.outage_ms_hi = r.outage_ms_hi;
        o.longest = Some(r);
    } else if switch.is_some() {
        // Nothing lost around the switch: the guest answered throughout.
        o.lost = 0;
        o.outage_ms_lo = 0.0;
        o.outage_ms_hi = Some(o.interval_ms);
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::query_migrate;

    fn samples(text: &str) -> Vec<JobSample> {
        job::from_query_migrate(&query_migrate::parse(text, "q.jsonl").unwrap())
    }

    #[test]
    fn a_final_pass_is_only_what_a_sample_caught_after_the_pause() {
        let active = r#"1.0 {"return": {"status": "active", "total-time": 900, "ram": {"transferred": 1000, "remaining": 8000000, "downtime-bytes": 0}}}"#;
        // libvirt's pause before the switchover: stopped, nothing sent yet
        let paused = r#"1.1 {"return": {"status": "pre-switchover", "total-time": 1000, "ram": {"transferred": 2000, "remaining": 0, "downtime-bytes": 0}}}"#;
        let device = r#"1.2 {"return": {"status": "device", "total-time": 1100, "ram": {"transferred": 9000000, "remaining": 0, "downtime-bytes": 8990000}}}"#;
        assert_eq!(
            final_pass_of(&samples(&format!("{active}\n{paused}\n"))),
            None
        );
        assert_eq!(
            final_pass_of(&samples(&format!("{active}\n{paused}\n{device}\n"))),
            Some(8_990_000)
        );
    }

    #[test]
    fn the_final_pass_pages_are_counted_only_from_a_sample_right_before_it() {
        let window = r#"1.0 {"return": {"status": "active", "ram": {"transferred": 3000000, "remaining": 12000000, "normal": 700, "duplicate": 90000, "downtime-bytes": 0}}}"#;
        let last = r#"1.1 {"return": {"status": "active", "ram": {"transferred": 9700000, "remaining": 5000000, "normal": 2336, "duplicate": 90500, "downtime-bytes": 0}}}"#;
        let device = r#"1.2 {"return": {"status": "device", "ram": {"transferred": 13800000, "remaining": 0, "normal": 3336, "duplicate": 90750, "downtime-bytes": 4100000}}}"#;
        let all = samples(&format!("{window}\n{last}\n{device}\n"));
        let fin = all.last();
        // After the last sample of pre-copy: 1000 pages with data, 250 zero pages.
        assert_eq!(
            final_pass_pages_of(&all, fin, final_pass_of(&all)),
            Some((1250, 250))
        );
        // Without it, a whole window of pre-copy lies between: no count.
        let gap = samples(&format!("{window}\n{device}\n"));
        assert_eq!(
            final_pass_pages_of(&gap, gap.last(), final_pass_of(&gap)),
            None
        );
        // Nor without the pass's bytes.
        assert_eq!(final_pass_pages_of(&all, fin, None), None);
    }

    #[test]
    fn the_first_sync_finds_what_was_written_less_what_was_sent() {
        // Before the sync 2000 pages are pending; 500 pages go out (400 with data,
        // 100 zero) and the sync adds what the guest wrote: 1500 + 240 pending after.
        let before = r#"4.0 {"return": {"status": "active", "ram": {"remaining": 8192000, "normal": 30000, "duplicate": 90000, "dirty-sync-count": 1}}}"#;
        let after = r#"4.1 {"return": {"status": "active", "ram": {"remaining": 7127040, "normal": 30400, "duplicate": 90100, "dirty-sync-count": 2}}}"#;
        let s = samples(&format!("{before}\n{after}\n"));
        assert_eq!(first_sync_writes_of(&s, 4096), Some((240, 4_100_000_000)));
        // A sync that is the stop (the second sample paused) or a later one: nothing.
        let device = after.replace("active", "device").replace(
            "\"dirty-sync-count\"",
            "\"downtime-bytes\": 4100000, \"dirty-sync-count\"",
        );
        let s = samples(&format!("{before}\n{device}\n"));
        assert_eq!(first_sync_writes_of(&s, 4096), None);
        let later = after.replace("\"dirty-sync-count\": 2", "\"dirty-sync-count\": 3");
        let s = samples(&format!("{before}\n{later}\n"));
        assert_eq!(first_sync_writes_of(&s, 4096), None);
    }

    #[test]
    fn the_page_size_comes_from_the_sample_with_the_most_pages() {
        // libvirt rounds the bytes: 1001 pages of 4 KiB show as 4 MB (4000 B a page);
        // the later sample, more pages, still rounds to 4 KiB.
        let early = r#"1.0 {"return": {"status": "active", "ram": {"normal": 1001, "normal-bytes": 4000000}}}"#;
        let late = r#"2.0 {"return": {"status": "active", "ram": {"normal": 30001, "normal-bytes": 122880000}}}"#;
        let s = samples(&format!("{early}\n{late}\n"));
        assert_eq!(page_size_of(s.iter()), Some(4096));
        let huge = late.replace("122880000", "1966145536");
        assert_eq!(page_size_of(samples(&huge).iter()), Some(65536));
        // No normal page counted: no size.
        let none =
            r#"1.0 {"return": {"status": "active", "ram": {"normal": 0, "normal-bytes": 0}}}"#;
        assert_eq!(page_size_of(samples(none).iter()), None);
    }
}

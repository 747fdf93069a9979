//! `migbench fit` and `migbench validate`.

use super::{BadInput, progress};
use anyhow::{Context, Result};
use migbench::bundle::{Bundle, MANIFEST};
use migbench::calibrate::stats::Estimate;
use migbench::calibrate::validate::{
    HeldOutDay, LoadBand, Validation, leave_one_day_out, leave_one_out, validate,
};
use migbench::calibrate::{ModelFile, Run, fit::fit};
use migbench::report::table::Table;
use std::path::{Path, PathBuf};

/// Fit the model to recorded runs and write a model file.
///
/// Estimates, each with a 95 % confidence interval: the guest's non-zero memory
/// against its size, the stream's per-page overhead, the link efficiency, the
/// sender's zero-page scan rate and the set-up cost against the free CPU the link
/// probe measured and the guest's ping round trip before the job, the fixed
/// switchover cost and the NFS round trips of the storage handover, the effective
/// write rate, and the network delay after resume; and, for predicting runs recorded
/// without the link probe, how busy the host was against that ping round trip. The
/// file records which bundles, QEMU/libvirt versions and accelerators it came from.
///
/// With --holdout, each run is also predicted by a model fitted on all the others
/// (leave-one-out) and the errors are reported, as `validate` does. With
/// --holdout-days, each recording day's runs are predicted by a model fitted on the
/// other days' runs (the day is the date `[bundle] recorded_at` begins with): what
/// differs from day to day on the hosts is held out too, as it will be for the next
/// migration. It fits once per day, so it is quick; --holdout fits once per run.
///
/// Examples:
///   migbench fit traces/ -o models/lab-tcg.toml --holdout
///   migbench fit traces/ -o /tmp/m.toml --holdout-days
///   migbench fit traces/lab-tcg-cal-* -o models/cal-only.toml
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct FitArgs {
    /// Bundle directories, or directories holding bundles.
    #[arg(required = true)]
    pub bundles: Vec<PathBuf>,
    /// Where to write the model file.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Model name (default: the output file's stem).
    #[arg(long)]
    pub name: Option<String>,
    /// Also validate leave-one-out.
    #[arg(long)]
    pub holdout: bool,
    /// Also validate leave-one-day-out (each recording day against the others).
    #[arg(long)]
    pub holdout_days: bool,
}

/// Predict recorded runs with a model file and report the errors.
///
/// Per run and overall: total time and bytes sent (mean absolute percentage error),
/// downtime (mean absolute error, and the share within 20 % or 20 ms) and whether the
/// convergence verdict was right. The predicted pause is the median over where QEMU's
/// 100 ms rate-limit windows fall in the guest's data (one window's worth of data more
/// or less), which no recorded parameter tells. Runs the model was fitted on are not
/// held out: use `fit --holdout` for that.
///
/// More lines tell what the error is made of. Runs of a configuration recorded more
/// than once are each held against the mean of the others: how far repeats of one
/// migration differ. The runs whose job statistics recorded the bytes sent while
/// paused are predicted again with that final pass in place of the model's: what is
/// still missed is the switchover around the pass, the rest is where the pre-copy
/// ended. And where the bundles give the host's 1-minute load average before the job
/// (`[lab] load_avg`, as lab/record.sh writes it), the errors below 1.5, from 1.5 to
/// 3, and above.
///
/// Example:
///   migbench validate models/lab-tcg.toml traces/ --json
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct ValidateArgs {
    /// The model file.
    pub model: PathBuf,
    /// Bundle directories, or directories holding bundles.
    #[arg(required = true)]
    pub bundles: Vec<PathBuf>,
}

/// Every bundle under `paths` (a path is a bundle or a directory of bundles).
pub fn bundles(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.join(MANIFEST).is_file() {
            out.push(p.clone());
        } else if p.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("reading {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|d| d.join(MANIFEST).is_file())
                .collect();
            if found.is_empty() {
                return Err(BadInput(format!(
                    "{}: no trace bundle (no {MANIFEST}) in it",
                    p.display()
                ))
                .into());
            }
            found.sort();
            out.extend(found);
        } else {
            return Err(BadInput(format!("{}: not a bundle directory", p.display())).into());
        }
    }
    Ok(out)
}

fn runs(paths: &[PathBuf]) -> Result<Vec<Run>> {
    let mut out = Vec::new();
    for dir in bundles(paths)? {
        let b = Bundle::load(&dir).map_err(|e| BadInput(e.to_string()))?;
        if b.manifest.bundle.synthetic {
            eprintln!(
                "migbench: skipping {}: synthetic, never evidence",
                dir.display()
            );
            continue;
        }
        match Run::from_bundle(&b).map_err(|e| BadInput(e.to_string()))? {
            Some(r) => out.push(r),
            None => eprintln!("migbench: skipping {}: no job statistics", dir.display()),
        }
    }
    Ok(out)
}

fn est(e: &Estimate, unit: &str) -> String {
    let unit = if unit.is_empty() {
        String::new()
    } else {
        format!(" {unit}")
    };
    if e.n == 0 {
        format!("{:.4}{unit} (assumed)", e.value)
    } else {
        format!(
            "{:.4}{unit} [{:.4}, {:.4}] (n={})",
            e.value, e.ci95_lo, e.ci95_hi, e.n
        )
    }
}

fn describe(m: &ModelFile) -> String {
    let rows = [
        (
            "guest non-zero memory, intercept",
            est(&m.guest.baseline_nonzero_mib, "MiB"),
        ),
        (
            "guest non-zero memory, per MiB of RAM",
            est(&m.guest.baseline_nonzero_per_mib, "MiB/MiB"),
        ),
        (
            "of it at the top of RAM (sent last)",
            est(&m.guest.top_nonzero_mib, "MiB"),
        ),
        ("link efficiency (uncapped)", est(&m.link.efficiency, "")),
        (
            "stream overhead per page",
            est(&m.link.page_header_bytes, "bytes"),
        ),
        (
            "zero-page scan rate at the reference",
            est(&m.host.zero_scan_mib_s, "MiB/s"),
        ),
        ("set-up, fixed", est(&m.host.setup_ms, "ms")),
        (
            "set-up, CPU-bound at the reference",
            est(&m.host.setup_ms_cpu, "ms"),
        ),
        (
            "set-up, extra with an NFS disk",
            est(&m.host.setup_ms_nfs, "ms"),
        ),
        (
            "set-up, NFS round trips (destination opens the image)",
            m.host
                .setup_nfs_round_trips
                .as_ref()
                .map_or("not fitted".into(), |e| est(e, "")),
        ),
        (
            "set-up, with the guest's ping round trip",
            m.host.setup_ping.as_ref().map_or("not fitted".into(), |p| {
                format!(
                    "{} per ms above {:.2} ms ({:.2}-{:.2} ms)",
                    est(&p.ms_per_rtt_ms, "ms"),
                    p.reference_rtt_ms,
                    p.rtt_ms_range[0],
                    p.rtt_ms_range[1]
                )
            }),
        ),
        (
            "busy factor without the probe",
            m.host.busy_from_ping.as_ref().map_or(
                "not fitted (predicted at the reference)".into(),
                |p| {
                    format!(
                        "{} + {} per ms of guest ping round trip ({:.2}-{:.2} ms)",
                        est(&p.intercept, ""),
                        est(&p.per_rtt_ms, ""),
                        p.rtt_ms_range[0],
                        p.rtt_ms_range[1]
                    )
                },
            ),
        ),
        ("switchover fixed cost", est(&m.switchover.fixed_ms, "ms")),
        (
            "switchover, CPU-bound at the reference",
            est(&m.switchover.fixed_ms_cpu, "ms"),
        ),
        (
            "NFS round trips in the handover",
            est(&m.switchover.nfs_round_trips, ""),
        ),
        (
            "switchover, polling the job through libvirt",
            m.switchover
                .libvirt_job_polling_ms
                .as_ref()
                .map_or("not known (in the fixed cost)".into(), |e| {
                    format!("{} (the lab's studies, not these runs)", est(e, "ms"))
                }),
        ),
        (
            "downtime around the prediction",
            m.switchover
                .downtime_error
                .as_ref()
                .map_or("not fitted".into(), |e| {
                    format!(
                        "{:+.0} to {:+.0} ms for 90 % of the runs (n={})",
                        e.p5_ms, e.p95_ms, e.n
                    )
                }),
        ),
        ("write efficiency", est(&m.workload.write_efficiency, "")),
        (
            "page writes per busy vCPU second",
            m.workload
                .page_writes_per_cpu_s
                .as_ref()
                .map_or("not measured (no workload probe)".into(), |e| {
                    est(e, "writes/s")
                }),
        ),
        (
            "network delay after resume (STP off)",
            est(&m.network.reconverge_ms, "ms"),
        ),
    ];
    let mut s = format!(
        "model {} from {} bundles ({}; QEMU {}; libvirt {}); reference probe {:.1} Mbit/s\n",
        m.provenance.name,
        m.provenance.bundles.len(),
        m.provenance.accel.join(", "),
        m.provenance.qemu_versions.join(", "),
        m.provenance.libvirt_versions.join(", "),
        m.host.reference_probe_mbit_s
    );
    let w = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    for (k, v) in rows {
        s.push_str(&format!("  {k:<w$}  {v}\n"));
    }
    s
}

/// The validation table.
pub fn render_validation(v: &Validation) -> String {
    let mut t = Table::new(&[
        "run",
        "load from",
        "verdict obs/pred",
        "time obs s",
        "pred s",
        "err %",
        "MiB obs",
        "pred",
        "err %",
        "down obs ms",
        "pred",
        "err ms",
        "range ms",
    ]);
    for c in &v.checks {
        let conv = |b: bool| if b { "conv" } else { "no" };
        let pct = |o: Option<f64>, p: f64| {
            o.map_or("-".into(), |o| format!("{:+.1}", (p - o) / o * 100.0))
        };
        let show = c.observed_converged && c.predicted_converged;
        t.row(vec![
            c.name.trim_start_matches("lab-").to_string(),
            c.host_load_from.to_string(),
            format!(
                "{}/{}{}",
                conv(c.observed_converged),
                conv(c.predicted_converged),
                if c.observed_converged == c.predicted_converged {
                    ""
                } else {
                    " WRONG"
                }
            ),
            c.observed_total_time_ms
                .map_or("-".into(), |t| format!("{:.2}", t / 1e3)),
            format!("{:.2}", c.predicted_total_time_ms / 1e3),
            if show {
                pct(c.observed_total_time_ms, c.predicted_total_time_ms)
            } else {
                "-".into()
            },
            c.observed_bytes
                .map_or("-".into(), |b| format!("{:.1}", b as f64 / 1048576.0)),
            format!("{:.1}", c.predicted_bytes as f64 / 1048576.0),
            if show {
                pct(c.observed_bytes.map(|b| b as f64), c.predicted_bytes as f64)
            } else {
                "-".into()
            },
            c.observed_downtime_ms
                .map_or("-".into(), |d| format!("{d:.0}")),
            format!("{:.0}", c.predicted_downtime_ms),
            match (show, c.observed_downtime_ms) {
                (true, Some(d)) => format!("{:+.0}", c.predicted_downtime_ms - d),
                _ => "-".into(),
            },
            match (show, c.predicted_downtime_range_ms) {
                (true, Some([lo, hi])) => format!(
                    "{lo:.0}-{hi:.0}{}",
                    match c.observed_downtime_ms {
                        Some(d) if !(lo..=hi).contains(&d) => " OUT",
                        _ => "",
                    }
                ),
                _ => "-".into(),
            },
        ]);
    }
    let s = &v.summary;
    format!(
        "{} ({} runs, {} with completed pre-copy; host load from the run's link probe, \
         else its guest's ping round trip before the job)\n\n{}\ntotal time MAPE {:.2} %, bytes MAPE {:.2} %, downtime MAE {:.1} ms, \
         MAPE {:.1} % ({:.0} % within 20 % or 20 ms{}), verdict accuracy {:.1} %\n",
        v.method,
        s.runs,
        s.completed_runs,
        t.render(),
        s.total_time_mape,
        s.bytes_mape,
        s.downtime_mae_ms,
        s.downtime_mape,
        s.downtime_within_tolerance * 100.0,
        s.downtime_within_range.map_or(String::new(), |r| format!(
            "; {:.0} % inside the model's 90 % range",
            r * 100.0
        )),
        s.verdict_accuracy * 100.0
    ) + &s.repeat_baseline.as_ref().map_or(String::new(), |r| {
        format!(
            "runs of the same configuration, each against the mean of its other recordings \
             ({} runs of {} configurations): total time MAPE {:.2} %, downtime MAE {:.1} ms \
             ({:.0} % within 20 % or 20 ms; one downtime per configuration, chosen knowing \
             every run, holds {:.0} % within); the model on those runs: total time MAPE {:.2} %, \
             downtime MAE {:.1} ms ({:.0} % within)\n",
            r.runs,
            r.configurations,
            r.total_time_mape,
            r.downtime_mae_ms,
            r.downtime_within_tolerance * 100.0,
            r.downtime_within_ceiling * 100.0,
            r.model_total_time_mape,
            r.model_downtime_mae_ms,
            r.model_downtime_within_tolerance * 100.0
        )
    }) + &s.pause_split.as_ref().map_or(String::new(), |p| {
        format!(
            "the pause parted ({} runs that recorded their final pass): the model misses \
             downtime by {:.1} ms ({:.0} % within) and the final pass by {:.2} MiB; given \
             each run's own final pass, by {:.1} ms, MAPE {:.1} % ({:.0} % within 20 % or \
             20 ms): the rest is the switchover\n",
            p.runs,
            p.model_downtime_mae_ms,
            p.model_downtime_within_tolerance * 100.0,
            p.final_pass_mae_mib,
            p.downtime_mae_ms,
            p.downtime_mape,
            p.downtime_within_tolerance * 100.0
        )
    }) + &load_bands(&s.by_host_load)
        + &held_out_days(&v.held_out_days)
}

/// The lines of errors per held-out day (empty without days).
fn held_out_days(days: &[HeldOutDay]) -> String {
    days.iter()
        .map(|d| {
            let s = &d.summary;
            format!(
                "{} held out ({} runs, {} with completed pre-copy; the model of the other \
                 {} runs): total time MAPE {:.2} %, bytes MAPE {:.2} %, downtime MAE {:.1} ms, \
                 MAPE {:.1} % ({:.0} % within 20 % or 20 ms), verdict accuracy {:.1} %\n",
                d.day,
                s.runs,
                s.completed_runs,
                d.fitted_on_runs,
                s.total_time_mape,
                s.bytes_mape,
                s.downtime_mae_ms,
                s.downtime_mape,
                s.downtime_within_tolerance * 100.0,
                s.verdict_accuracy * 100.0
            )
        })
        .collect()
}

/// The line of errors by the host's load before the job (empty without bands).
fn load_bands(bands: &[LoadBand]) -> String {
    if bands.is_empty() {
        return String::new();
    }
    let band = |b: &LoadBand| {
        let load = match b.load_to {
            Some(to) if b.load_from == 0.0 => format!("below {to}"),
            Some(to) => format!("{} to {to}", b.load_from),
            None => format!("{} and above", b.load_from),
        };
        format!(
            "{load} ({} runs): total time MAPE {:.2} %, downtime MAE {:.1} ms, MAPE {:.1} % \
             ({:.0} % within)",
            b.runs,
            b.total_time_mape,
            b.downtime_mae_ms,
            b.downtime_mape,
            b.downtime_within_tolerance * 100.0
        )
    };
    format!(
        "by the host's 1-minute load average before the job: {}\n",
        bands.iter().map(band).collect::<Vec<_>>().join("; ")
    )
}

fn today() -> String {
    // Days since the epoch to a civil date, without a clock crate.
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = migbench::trace::time::civil_from_days((secs / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Runs `fit`.
pub fn run_fit(a: &FitArgs, json: bool) -> Result<()> {
    let runs = runs(&a.bundles)?;
    let name = a.name.clone().unwrap_or_else(|| {
        a.output
            .file_stem()
            .map_or("model".into(), |s| s.to_string_lossy().into_owned())
    });
    let model = fit(&runs, &name, &today()).map_err(|e| BadInput(format!("fit: {e}")))?;
    write_model(&a.output, &model)?;
    let holdout = if a.holdout {
        let pb = progress::bar(runs.len() as u64, "leave-one-out");
        let v =
            leave_one_out(&runs, &|| pb.inc(1)).map_err(|e| BadInput(format!("holdout: {e}")))?;
        pb.finish_and_clear();
        Some(v)
    } else {
        None
    };
    let holdout_days = if a.holdout_days {
        let days: std::collections::BTreeSet<_> = runs.iter().map(|r| &r.recorded_on).collect();
        let pb = progress::bar(days.len() as u64, "leave-one-day-out");
        let v = leave_one_day_out(&runs, &|| pb.inc(1))
            .map_err(|e| BadInput(format!("holdout by day: {e}")))?;
        pb.finish_and_clear();
        Some(v)
    } else {
        None
    };
    if json {
        let mut v = serde_json::json!({ "model": model, "output": a.output });
        // The headline figures are the leave-one-out's when both ran.
        for (key, h) in [("holdout_days", &holdout_days), ("holdout", &holdout)] {
            let Some(h) = h else { continue };
            v[key] = serde_json::to_value(h)?;
            for k in [
                "total_time_mape",
                "bytes_mape",
                "downtime_mae_ms",
                "verdict_accuracy",
            ] {
                v[k] = serde_json::to_value(&h.summary)?[k].clone();
            }
        }
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print!("{}", describe(&model));
        println!("written to {}", a.output.display());
        for h in [&holdout, &holdout_days].into_iter().flatten() {
            println!();
            print!("{}", render_validation(h));
        }
    }
    Ok(())
}

fn write_model(path: &Path, m: &ModelFile) -> Result<()> {
    let text = format!(
        "# Calibrated migbench model, written by `migbench fit`. Every estimate carries its\n\
         # 95 % confidence interval and the number of observations behind it (n = 0: assumed).\n{}",
        m.to_toml()
    );
    // A device or a pipe (`-o /dev/null`, `-o /dev/stdout`) is written to as it is:
    // a file renamed over it would take its place.
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        return std::fs::write(path, text).with_context(|| format!("writing {}", path.display()));
    }
    // A file is written beside and renamed, so a failure never leaves half a model file;
    // through a symbolic link, beside the file it points to.
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    let tmp = target.with_extension("toml.tmp");
    std::fs::write(&tmp, text).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &target).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Runs `validate`.
pub fn run_validate(a: &ValidateArgs, json: bool) -> Result<()> {
    let model = ModelFile::load(&a.model).map_err(|e| BadInput(e.to_string()))?;
    let runs = runs(&a.bundles)?;
    let v = validate(&model, &runs).map_err(|e| BadInput(format!("validate: {e}")))?;
    if json {
        let mut out = serde_json::to_value(&v)?;
        for k in [
            "total_time_mape",
            "bytes_mape",
            "downtime_mae_ms",
            "verdict_accuracy",
        ] {
            out[k] = serde_json::to_value(&v.summary)?[k].clone();
        }
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        print!("{}", render_validation(&v));
    }
    Ok(())
}

//! Calibration against the recorded runs in traces/: the committed model replays
//! every bundle, and leave-one-out predictions of runs the fit did not see.
//!
//! Targets (issue): total time and bytes within 5 % mean absolute error, downtime
//! within 20 % or 20 ms, the verdict right every time. Bytes, verdicts and total time
//! (over all held-out runs; not on the older runs recorded under load alone) meet
//! them; downtime does not for every run. The bounds below guard the level reached so
//! far (see the README's calibration notes).

use migbench::bundle::{Bundle, Manifest};
use migbench::calibrate::validate::{Summary, leave_one_out, summarize, validate};
use migbench::calibrate::{ModelFile, Run, fit::fit};
use std::path::{Path, PathBuf};
mod cli_support;
use cli_support::{migbench, stdout_ok};

fn runs() -> Vec<Run> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("traces");
    let mut dirs: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|d| d.join("trace.toml").is_file())
        .collect();
    dirs.sort();
    dirs.iter()
        .filter_map(|d| {
            let b = Bundle::load(d).unwrap();
            assert!(
                !b.manifest.bundle.synthetic,
                "{}: synthetic data is not evidence",
                d.display()
            );
            Run::from_bundle(&b).unwrap()
        })
        .collect()
}

fn model() -> ModelFile {
    ModelFile::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("models/lab-tcg.toml")).unwrap()
}

#[test]
fn committed_model_replays_every_bundle() {
    let runs = runs();
    assert!(runs.len() >= 30, "{} runs", runs.len());
    let v = validate(&model(), &runs).unwrap();
    // 4.56 %, 2.22 %, 23.2 ms on 158 runs; 21.2 ms with the pause the median over
    // where QEMU's windows fall in the guest's data (model::phase), 21.0 ms with the
    // switchover fitted on the final pass each run sent.
    assert_within("committed model", &v.summary, 5.0, 5.0, 26.0);
    // 15.4 % of the observed downtime, 14.7 % over the phases, 14.1 % with the
    // switchover fitted on the recorded final pass.
    assert_downtime_mape("committed model", &v.summary, 20.0);
    // The range is where 90 % of these very runs fell around their predictions.
    let inside = assert_inside_range("committed model", &v.summary, 0.85);
    assert!(
        inside <= 0.95,
        "committed model: {inside} inside its own 90 % range"
    );
}

/// At least `share` of the downtimes inside the range the model states; the share.
fn assert_inside_range(what: &str, s: &Summary, share: f64) -> f64 {
    let inside = s.downtime_within_range.expect("a downtime range");
    assert!(
        inside >= share,
        "{what}: {:.0} % of downtimes inside the stated range",
        inside * 100.0
    );
    inside
}

/// The downtime's mean absolute error as a share of the observed downtime within
/// `pct` (the 20 % read over all runs; the repeat baseline shows why no
/// prediction meets it on every run).
fn assert_downtime_mape(what: &str, s: &Summary, pct: f64) {
    assert!(
        s.downtime_mape <= pct,
        "{what}: downtime MAPE {:.1} %",
        s.downtime_mape
    );
}

/// Every verdict right, and bytes and total time (MAPE, %) and downtime (MAE, ms)
/// within these bounds.
fn assert_within(what: &str, s: &Summary, bytes_mape: f64, time_mape: f64, downtime_mae_ms: f64) {
    eprintln!("{what}: {s:?}");
    assert_eq!(
        s.verdict_accuracy, 1.0,
        "{what}: a convergence verdict is wrong"
    );
    assert!(
        s.bytes_mape <= bytes_mape,
        "{what}: bytes MAPE {:.2} %",
        s.bytes_mape
    );
    assert!(
        s.total_time_mape <= time_mape,
        "{what}: total time MAPE {:.2} %",
        s.total_time_mape
    );
    assert!(
        s.downtime_mae_ms <= downtime_mae_ms,
        "{what}: downtime MAE {:.1} ms",
        s.downtime_mae_ms
    );
}

#[test]
fn held_out_runs_are_predicted() {
    let runs = runs();
    let v = leave_one_out(&runs, &|| {}).unwrap();
    // Time: 7.9 % before runs without the link probe were predicted at the load their
    // pings show, 5.9 % after, 5.4 % with the ping round trip in the set-up, 5.5 %
    // once a probe at the line rate is set aside (a refit of the CPU term), 5.4 % with
    // the third recording of the set (-r3, 120 runs), 5.1 % once set-up counted the
    // NFS round trips, 4.76 % with the fourth recording (-s4, 158 runs), 4.91 % with
    // the fifth (-t5, 171 runs: a day on which the machine's set-up ran faster),
    // 4.93 % with the sixth (-u6, 184 runs), 4.95 % with the seventh (-v7, 197 runs),
    // 4.82 % with the eighth and tenth (-w8, -y10, 223 runs: a third day).
    // The pause: 60 ms mean error before the top-of-RAM pages were modelled, 27 ms after,
    // 24.8 ms on 120 runs, 23.5 ms on 158, 21.8 ms predicting the pause as the median
    // over where QEMU's windows fall in the guest's data, 21.7 ms with the switchover
    // fitted on the final pass each run sent rather than on the simulated one, 20.9 ms
    // on 171 runs, 21.4 ms on 184 (runs whose samplers missed the pause no longer read
    // as a final pass of 0 bytes), 21.2 ms on 197, 21.5 ms on 223.
    assert_within("held out", &v.summary, 5.0, 5.0, 26.0);
    // 15.6 % of the observed downtime on 158 runs, 15.1 % over the phases, 14.5 %
    // with the switchover fitted on the recorded final pass, 14.2 % on 171 runs,
    // 14.3 % on 184.
    assert_downtime_mape("held out", &v.summary, 20.0);
    // The pause parted: predicted with the final pass each run sent, the model misses
    // it by 17.2 ms (89 % within 20 % or 20 ms) on 171 runs, 16.4 ms (92 %) on 184;
    // with its own, by 19.7 ms (82 %), then 20.1 ms (84 %). The switchover alone is
    // within the tolerance for all but about one run in twelve.
    let split = v
        .summary
        .pause_split
        .as_ref()
        .expect("runs with a recorded final pass");
    assert!(split.runs >= 130, "{split:?}");
    assert!(
        split.downtime_mae_ms < split.model_downtime_mae_ms,
        "{split:?}"
    );
    assert!(split.downtime_within_tolerance >= 0.85, "{split:?}");
    // On a quiet host (1-minute load average below 1.5 before the job) the model
    // misses the pause by 17.3 ms, 13.7 % of it, 86 % of the runs within 20 % or
    // 20 ms; from 1.5 to 3 by 21.5 ms (75 %), above by 26.9 ms (72 %) (184 runs).
    let quiet = &v.summary.by_host_load[0];
    assert_eq!((quiet.load_from, quiet.load_to), (0.0, Some(1.5)));
    assert!(quiet.runs >= 60, "{quiet:?}");
    assert!(
        quiet.downtime_mae_ms <= 20.0 && quiet.downtime_mape <= 20.0,
        "{quiet:?}"
    );
    assert!(quiet.downtime_within_tolerance >= 0.8, "{quiet:?}");
    // The downtime range each fit states holds for the run it did not see about as
    // often as it claims (90 %): 86 % on 120 runs, 89 % on 158, 90 % over the phases,
    // 89 % on 171 and on 184.
    assert_inside_range("held out", &v.summary, 0.85);
    // Runs of the same migration differ by themselves: each run against the mean of
    // its configuration's other recordings misses the downtime by about 25 ms, the
    // total time by about 10 % (the first recording ran on a busier host). The model,
    // without the run, does better on both: what is left of the downtime error is
    // the runs', not a term the model lacks.
    let r = v
        .summary
        .repeat_baseline
        .as_ref()
        .expect("repeated configurations");
    assert!(r.configurations >= 28 && r.runs >= 130, "{r:?}");
    assert!(r.model_downtime_mae_ms <= r.downtime_mae_ms, "{r:?}");
    assert!(r.model_total_time_mape <= r.total_time_mape, "{r:?}");
    // The set recorded again on a quiet host (lab/calib-set.sh --tag q2) meets the time
    // target; the older runs carry libvirt's set-up under heavy, partly unmeasured load.
    let quiet: Vec<_> = v
        .checks
        .iter()
        .filter(|c| c.name.ends_with("-q2"))
        .cloned()
        .collect();
    assert!(quiet.len() >= 38, "{} quiet runs", quiet.len());
    // Downtime: 22.6 ms on the first 24 quiet runs, 25.0-25.4 ms with the lab's first
    // configurations recorded again (idle guests whose final pass was 6 to 12 MB),
    // 21.6 ms once the -r3 runs joined the fit (time 4.1 %), about 24 ms with the -s4
    // runs (time 3.6 %: the switchover's fixed part fell, its CPU part rose).
    assert_within("held out, quiet runs", &summarize(&quiet), 5.0, 4.5, 26.0);
}

#[test]
fn runs_recorded_after_the_fit_are_predicted() {
    // Each later set was recorded after a model had been fitted on the sets before it,
    // and predicted with it before it joined: what a user gets from a model on runs to
    // come. The -r3 runs' link probes ran 15-20 s before the migrate call while other
    // jobs came and went, so some saw load the migration did not (time 5.96 % with
    // the model then committed, 5.59 % once set-up counted NFS round trips). For -s4
    // the probe's free-CPU test ran last, about 6 s before the migrate call.
    // Downtime: 21.6 and 18.0 ms with the switchover fitted on the simulated final
    // pass, 23.5 and 16.3 ms on the recorded one, 21.3 and 16.0 ms once runs whose
    // samplers missed the pause no longer counted as a final pass of 0 bytes.
    // The -t5 runs (13 configurations, one recording each) were made the next day on a
    // machine booted that morning: libvirt's set-up and the switchover ran faster than
    // in any set before, and neither the link probe nor the load average saw it (see
    // traces/studies/pause-repeats-2026-11-27). The 158 earlier runs' model predicts
    // their time 6.70 % long on average (the short jobs 5 to 11 %), the pause to
    // 16.4 ms (18.6 ms before the final-pass fix).
    // The -u6 runs (the same 13 configurations, on the same machine a day later) were
    // the first sampled on QEMU's own QMP socket rather than through libvirt (see
    // traces/studies/job-sampling-2026-11-27): the 171 earlier runs' model predicts
    // their time 4.42 % long and misses their pauses by 19.2 ms, most of them long: it
    // carries the switchover of slower days. Given each run's own final pass, every
    // pause is within 20 % or 20 ms. Before the model knew which runs libvirt polled,
    // it missed them by 23.1 ms, and two of the 12 pauses fell below its range.
    // The -v7 runs (the same 13, the same machine and day, the QMP sampler again): the
    // 184 earlier runs' model misses their time by 7.51 %, most of it one auto-converge
    // run that lingered at 99 % (52.7 s against 39.1 predicted; the other eleven
    // completed runs: 5.9 %, short jobs predicted long as on the day of -t5), and their
    // pauses by 20.2 ms; given each run's own final pass, by 13.1 ms, every run within
    // 20 % or 20 ms (19.3 ms, 83 %, before the model knew which runs libvirt polled).
    // The -w8 and -y10 runs (the same 13, recorded on 2026-12-07, a new boot of the
    // machine, with the study of libvirt's state directory on tmpfs between them, see
    // traces/studies/state-dir-2026-12-07): the 197 earlier runs' model misses the
    // -w8 runs' time by 5.09 % (it predicts the short jobs long, as on the days of -t5
    // to -v7) and their pauses by 13.9 ms; the 210 runs before -y10 miss those by
    // 3.12 % and 25.4 ms (two paused under a build on the machine, load 1.8 and 2.5).
    // This day's link probe read the quiet machine as busier than any quiet day
    // before (158 Mbit/s against 203 to 249), while its switchovers were shorter.
    let sets = [
        ("-r3", 38, 6.5, 27.0, 0.85),
        ("-s4", 38, 4.5, 24.0, 0.85),
        ("-t5", 13, 7.5, 22.0, 0.85),
        ("-u6", 13, 5.0, 21.0, 0.9),
        ("-v7", 13, 8.0, 23.0, 0.8),
        ("-w8", 13, 6.0, 16.0, 0.85),
        ("-y10", 13, 4.5, 27.0, 0.85),
    ];
    let all = runs();
    for (i, &(tag, min_runs, time_mape, downtime_mae_ms, inside)) in sets.iter().enumerate() {
        let later_tags: Vec<&str> = sets[i..].iter().map(|s| s.0).collect();
        let before: Vec<Run> = all
            .iter()
            .filter(|r| !later_tags.iter().any(|t| r.name.ends_with(t)))
            .cloned()
            .collect();
        let later: Vec<Run> = all
            .iter()
            .filter(|r| r.name.ends_with(tag))
            .cloned()
            .collect();
        assert!(later.len() >= min_runs, "{} runs in {tag}", later.len());
        let m = fit(&before, "before", "").unwrap();
        let v = validate(&m, &later).unwrap();
        let what = format!("{tag}, recorded after the fit");
        assert_within(&what, &v.summary, 5.0, time_mape, downtime_mae_ms);
        assert_inside_range(&what, &v.summary, inside);
    }
}

#[test]
fn auto_converge_runs_keep_their_pace_until_the_throttle_starves_them() {
    // The lab's dirtier needs about 1 % of the vCPU and makes up at most 100 ms of
    // writes: QEMU's throttle only slows it at 99 %. Modelled as 1 - throttle (the
    // CPU-bound premise) these runs came out 38 % short; now each is within about 10 %,
    // but for runs that went on passing at 99 %: 20000 writes/s at 32 MiB/s is
    // borderline there. Of its eight recordings, six completed within three passes of
    // reaching 99 %, two (-q2, -r3) seven or more passes later (dirty rate at 99 %:
    // 750-1900 pages/s in the first, against 10-960 in the others), 6-8 s longer.
    // The model gives the common outcome.
    let m = model();
    let ac: Vec<Run> = runs()
        .into_iter()
        .filter(|r| r.file.migration.auto_converge == Some(true) && r.complete())
        .collect();
    assert!(ac.len() >= 7, "{} auto-converge runs", ac.len());
    let mut lingered = Vec::new();
    for r in &ac {
        let f = r.filled(&m);
        let p = migbench::scenario::from_file(&f).unwrap();
        let o = migbench::model::simulate(&p, 1);
        assert_eq!(
            o.verdict,
            migbench::model::Verdict::ConvergedWithThrottle,
            "{}",
            r.name
        );
        assert!(
            o.max_throttle_pct >= 99.0,
            "{}: {}",
            r.name,
            o.max_throttle_pct
        );
        let obs = r.job.total_time_ms.unwrap();
        let err = (o.total_time_ns as f64 / 1e6 - obs) / obs;
        let extra_passes = r.job.iterations.unwrap_or(0) as i64 - o.passes.len() as i64;
        if extra_passes >= 5 {
            eprintln!(
                "{}: {extra_passes} passes more than predicted, total time off by {:.1} %",
                r.name,
                err * 100.0
            );
            lingered.push(&r.name);
            continue;
        }
        // 10.1 % short at the most (the -t5 run of 40000 writes/s, with the model
        // refitted on 184 runs): a sync under TCG waits for the throttled vCPU.
        assert!(
            err.abs() <= 0.11,
            "{}: total time off by {:.1} %",
            r.name,
            err * 100.0
        );
    }
    // Only the configurations that dirty 20000 writes/s or more against 32 MiB/s
    // linger, each in fewer than half of its recordings: the 40000 writes/s one did in
    // one of seven (-v7: 35 passes where the others took 22 to 25, the dirty rate at
    // 99 % 1900-3700 pages/s).
    for config in ["dirty20k-64m-32mibs", "dirty40k-64m-32mibs"] {
        let recorded = ac.iter().filter(|r| r.name.contains(config)).count();
        let lingering = lingered.iter().filter(|n| n.contains(config)).count();
        assert!(
            2 * lingering < recorded,
            "{config} lingered at 99 %: {lingered:?} of {recorded} recordings"
        );
    }
    assert!(
        lingered
            .iter()
            .all(|n| n.contains("dirty20k-64m-32mibs") || n.contains("dirty40k-64m-32mibs")),
        "lingered at 99 %: {lingered:?}"
    );
}

#[test]
fn committed_model_is_what_fit_gives() {
    // The model file is reproducible from the committed traces.
    let m = fit(&runs(), "lab-tcg", "2026-11-26").unwrap();
    let c = model();
    assert_eq!(m.provenance.bundles, c.provenance.bundles);
    assert_eq!(m.provenance.accel, vec!["tcg".to_string()]);
    for (a, b) in [
        (
            m.guest.baseline_nonzero_mib.value,
            c.guest.baseline_nonzero_mib.value,
        ),
        (m.host.zero_scan_mib_s.value, c.host.zero_scan_mib_s.value),
        (m.switchover.fixed_ms.value, c.switchover.fixed_ms.value),
        (
            m.workload.write_efficiency.value,
            c.workload.write_efficiency.value,
        ),
        (
            m.workload.page_writes_per_cpu_s.map_or(0.0, |e| e.value),
            c.workload.page_writes_per_cpu_s.map_or(0.0, |e| e.value),
        ),
    ] {
        assert!(
            (a - b).abs() <= 1e-9 * a.abs().max(1.0),
            "{a} vs {b}: refit models/lab-tcg.toml"
        );
    }
}

#[test]
fn validate_and_fit_cli_report_the_figures() {
    let out = stdout_ok(&["validate", "models/lab-tcg.toml", "traces/", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for k in [
        "total_time_mape",
        "bytes_mape",
        "downtime_mae_ms",
        "verdict_accuracy",
    ] {
        assert!(v[k].is_number(), "{k} missing");
    }
    // Recordings of the same migration share a configuration whatever their names;
    // another cap and direction is another configuration.
    let configuration = |name: &str| {
        let checks = v["checks"].as_array().expect("per-run checks");
        let c = checks.iter().find(|c| c["name"] == name);
        c.unwrap_or_else(|| panic!("{name} not checked"))["configuration"].clone()
    };
    let idle = "lab-tcg-cal-idle-512m-64mibs-a2b";
    assert_eq!(configuration("lab-tcg-cal-idle-512m-64mibs-a2b-s4"), idle);
    assert_eq!(configuration("lab-tcg-stp-off-idle-512m-a2b"), idle);
    assert_ne!(configuration("lab-tcg-cal-idle-512m-32mibs-b2a"), idle);
    let repeats = &v["summary"]["repeat_baseline"];
    assert!(repeats["configurations"].as_u64() >= Some(28), "{repeats}");
    assert!(repeats["model_downtime_mae_ms"].is_number(), "{repeats}");
    // The runs themselves keep the per-run downtime target out of reach of a prediction
    // from the recorded parameters alone: one value per configuration, chosen knowing
    // every run, holds 88 % of them within 20 % or 20 ms (172 runs of 28 configurations).
    let ceiling = repeats["downtime_within_ceiling"]
        .as_f64()
        .expect("ceiling");
    assert!((0.8..0.95).contains(&ceiling), "{repeats}");
    // The pause parted: the runs that recorded their final pass, predicted with it.
    let split = &v["summary"]["pause_split"];
    assert!(split["runs"].as_u64() >= Some(130), "{split}");
    assert!(
        split["downtime_mae_ms"].as_f64() < split["model_downtime_mae_ms"].as_f64(),
        "{split}"
    );
    let bands = v["summary"]["by_host_load"].as_array().expect("load bands");
    // The studies under traces/studies are not calibration runs: left out.
    assert!(!out.contains("-nopoll-"), "validate traces/ read a study");
    assert_eq!(bands.len(), 3, "{bands:?}");
    assert!(checks_with(&v, "host_load_avg") >= 130);
    let given = checks_with(&v, "predicted_downtime_given_final_pass_ms");
    assert!(
        given >= 130,
        "{given} runs predicted with their own final pass"
    );
    let out = migbench(&["fit", "scenarios", "-o", "/nonexistent/x.toml"]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The repeat study (`traces/studies/pause-repeats-2026-11-27`, its README): one idle
/// migration recorded again and again, the job sampled every 0.1 s or not at all
/// (`lab/record.sh --job-poll 0`). A run without a job series still gives its totals
/// from the finished job's statistics and is predicted; only a sampled run knows its
/// final pass.
#[test]
fn study_runs_without_a_job_series_are_read_and_predicted() {
    let study = "traces/studies/pause-repeats-2026-11-27";
    let out = stdout_ok(&["validate", "models/lab-tcg.toml", study, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let checks = v["checks"].as_array().expect("per-run checks");
    let (unsampled, sampled): (Vec<_>, Vec<_>) = checks
        .iter()
        .partition(|c| c["name"].as_str().is_some_and(|n| n.contains("-nopoll-")));
    assert_eq!((unsampled.len(), sampled.len()), (22, 22));
    for c in checks {
        for k in [
            "observed_total_time_ms",
            "observed_bytes",
            "observed_downtime_ms",
            "predicted_downtime_ms",
        ] {
            assert!(c[k].is_number(), "{k}: {c}");
        }
        assert_eq!(c["observed_converged"], true, "{c}");
        assert_eq!(c["predicted_converged"], true, "{c}");
    }
    assert!(
        unsampled
            .iter()
            .all(|c| c["observed_final_pass_bytes"].is_null())
    );
    assert!(
        sampled
            .iter()
            .all(|c| c["observed_final_pass_bytes"].as_u64() > Some(1_000_000))
    );
    // One migration, both ways: two configurations, sampled or not.
    assert_eq!(v["summary"]["repeat_baseline"]["configurations"], 2);
    assert_eq!(v["summary"]["pause_split"]["runs"], 22);
    // Not in the fit: every pause is still inside the model's stated range (with the
    // model from before the study's day too).
    assert!(v["summary"]["downtime_within_range"].as_f64() >= Some(0.9));
}

/// The bundles directly under `dir` whose names end with one of `tags`, sorted.
fn tagged_bundles(dir: &Path, tags: &[&str]) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| tags.iter().any(|t| p.to_string_lossy().ends_with(t)))
        .filter(|p| p.join("trace.toml").is_file())
        .collect();
    v.sort();
    v
}

/// `migbench validate models/lab-tcg.toml --json` on `paths`: its output, and each
/// run's check beside its bundle's manifest (paired by the bundle's directory name).
fn validated_with_manifests(
    paths: &[PathBuf],
) -> (serde_json::Value, Vec<(serde_json::Value, Manifest)>) {
    let mut args = vec![
        "validate".to_string(),
        "models/lab-tcg.toml".into(),
        "--json".into(),
    ];
    args.extend(paths.iter().map(|p| p.to_string_lossy().into_owned()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let v: serde_json::Value = serde_json::from_str(&stdout_ok(&args)).unwrap();
    let checks = v["checks"].as_array().unwrap();
    assert_eq!(checks.len(), paths.len());
    let paired = checks
        .iter()
        .map(|c| {
            let name = c["name"].as_str().unwrap();
            let p = paths
                .iter()
                .find(|p| p.file_name().is_some_and(|f| f == name))
                .unwrap();
            (c.clone(), Bundle::load(p).unwrap().manifest)
        })
        .collect();
    (v, paired)
}

/// The state-directory study (`traces/studies/state-dir-2026-12-07`, its README): the
/// calibration set's 13 configurations with libvirt's state (status XML, rewritten and
/// fsynced inside the pause) on tmpfs, between two sets with it on disk (`-w8`,
/// `-y10`). The manifests say which was which, and taken past the final pass each run
/// sent, the tmpfs runs' pauses are shorter than the same configurations' on disk.
#[test]
fn a_state_directory_on_tmpfs_shortens_the_switchover() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmpfs = tagged_bundles(&root.join("traces/studies/state-dir-2026-12-07"), &["-x9"]);
    let disk = tagged_bundles(&root.join("traces"), &["-w8", "-y10"]);
    assert_eq!((tmpfs.len(), disk.len()), (13, 26));
    // Per configuration and arm: the pause beyond the final pass the run sent (ms),
    // for runs that paused on a quiet host (1-minute load below 1.5).
    let switchover = |paths: &[PathBuf], fsync_ms: std::ops::Range<f64>| {
        let mut by = std::collections::BTreeMap::new();
        for (c, m) in validated_with_manifests(paths).1 {
            let name = c["name"].as_str().unwrap();
            let fsync = m.lab_number("state_dir_fsync_ms").expect("fsync probe");
            assert!(fsync_ms.contains(&fsync), "{name}: fsync {fsync} ms");
            let (Some(o), Some(g), Some(l)) = (
                c["observed_downtime_ms"].as_f64(),
                c["predicted_downtime_given_final_pass_ms"].as_f64(),
                m.lab_number("load_avg"),
            ) else {
                continue;
            };
            if l < 1.5 {
                let (config, arm) = name.rsplit_once('-').unwrap();
                by.insert((config.to_string(), arm.to_string()), o - g);
            }
        }
        by
    };
    let on_tmpfs = switchover(&tmpfs, 0.0..0.01);
    let on_disk = switchover(&disk, 0.1..5.0);
    for arm in ["w8", "y10"] {
        let diffs: Vec<f64> = on_disk
            .iter()
            .filter(|((_, a), _)| a == arm)
            .filter_map(|((c, _), d)| Some(on_tmpfs.get(&(c.clone(), "x9".into()))? - d))
            .collect();
        let mean = diffs.iter().sum::<f64>() / diffs.len() as f64;
        // 11 pairs, -5.7 ms, against -w8; 8 pairs, -7.1 ms, against -y10.
        assert!(diffs.len() >= 8, "{arm}: {} pairs", diffs.len());
        assert!(mean < -2.0, "tmpfs against {arm}: {mean:.1} ms ({diffs:?})");
    }
}

/// The busy-host study (`traces/studies/host-load-2026-12-07`, its README): the 13
/// configurations under a load on the host (`-z11` CPU loops, `-z12` memory loops,
/// `-z13` compile loops, `-z16` page churn, `-z15` a real build), on the boot of the
/// quiet `-w8` and `-y10` sets, and a quiet set of the same hour (`-z14`). Each kind of
/// loop takes a third off the link probe's figure and none off the guest's speed, and
/// lengthens the pause; the committed model (not fitted on these runs) predicts the
/// rise from the probe, against the quiet sets and against the quiet set of the same
/// hour: these runs' pauses, given their own final pass, are missed by what that
/// boot's quiet runs are, and that miss holds over the 15 hours between the quiet
/// sets. A real build costs more than the probe says, and the model misses its pauses
/// short; four CPU loops on the two cores (`-z17`, on a new boot with its own quiet set,
/// `-z18`) cost less than it says, and no more than two loops on that boot (`-z19`,
/// against the quiet `-z20`), where the build again costs more than it says (`-z21`),
/// and costs that only with libvirt's status files on the lab's disk (`-z22` on tmpfs,
/// against the quiet `-z23`).
#[test]
fn a_busy_host_lengthens_the_pause_by_what_the_probe_says() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let study = root.join("traces/studies/host-load-2026-12-07");
    let early = tagged_bundles(&root.join("traces"), &["-w8", "-y10"]);
    let same_hour = tagged_bundles(&study, &["-z14"]);
    assert_eq!((early.len(), same_hour.len()), (26, 13));
    // Per configuration: (probe Mbit/s, guest writes/s, observed pause, predicted
    // pause given the final pass), from the manifests and `validate --json`.
    type Row = (Option<f64>, Option<f64>, Option<f64>, Option<f64>);
    type ByConfig = std::collections::BTreeMap<String, Vec<Row>>;
    // The runs' configurations, their boots, and the manifests by bundle name.
    let read = |paths: &[PathBuf]| {
        let (v, paired) = validated_with_manifests(paths);
        let mut by = ByConfig::new();
        let mut boots = std::collections::BTreeSet::new();
        let mut manifests = Vec::new();
        for (c, m) in paired {
            let name = c["name"].as_str().unwrap();
            let boot = m
                .lab
                .as_ref()
                .and_then(|l| l.get("host_boot_id")?.as_str().map(String::from));
            boots.insert(boot.expect("host_boot_id"));
            let row = (
                m.probe_number("tcp_mbit_s_8k_128b"),
                m.probe_number("dirtier_max_writes_per_s"),
                c["observed_downtime_ms"].as_f64(),
                c["predicted_downtime_given_final_pass_ms"].as_f64(),
            );
            let (config, _) = name.rsplit_once('-').unwrap();
            by.entry(config.to_string()).or_default().push(row);
            manifests.push((name.to_string(), m));
        }
        (v, by, boots, manifests)
    };
    // A quiet set: its runs by configuration and its boots, every manifest without a
    // load.
    let quiet_set = |paths: &[PathBuf]| {
        let (_, by, boots, manifests) = read(paths);
        for (name, m) in &manifests {
            assert_eq!(m.lab_number("host_busy_loops"), None, "{name}");
        }
        (by, boots)
    };
    let (on_early, early_boots) = quiet_set(&early);
    let (on_same_hour, same_hour_boots) = quiet_set(&same_hour);
    // The three quiet sets together, on one boot.
    let mut on_quiet = on_early.clone();
    for (config, rows) in &on_same_hour {
        on_quiet.entry(config.clone()).or_default().extend(rows);
    }
    assert_eq!(early_boots, same_hour_boots, "one boot");
    let quiet_boots = early_boots;
    assert_eq!(quiet_boots.len(), 1, "one boot");
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let all = |by: &ByConfig, f: fn(&Row) -> Option<f64>| {
        by.values().flatten().filter_map(f).collect::<Vec<f64>>()
    };
    let probe = |by: &ByConfig| mean(&all(by, |r| r.0));
    let guest = |by: &ByConfig| mean(&all(by, |r| r.1));
    let miss = |by: &ByConfig| {
        let d: Vec<f64> = by
            .values()
            .flatten()
            .filter_map(|r| Some(r.2? - r.3?))
            .collect();
        mean(&d)
    };
    // The boot's level holds: the quiet set 15 hours on is missed as the early ones
    // (-17.7 against -13.3 ms given the final pass).
    let (early_miss, late_miss) = (miss(&on_early), miss(&on_same_hour));
    assert!(
        (late_miss - early_miss).abs() < 8.0,
        "-z14 {late_miss:.1} ms, -w8 and -y10 {early_miss:.1} ms"
    );
    // Per configuration, the busy pause less the mean of the quiet ones, observed and
    // predicted given each run's final pass.
    // `pairs` configurations have a completed busy run and `quiet_runs` completed
    // quiet ones with their final pass; a quiet set whose samplers missed a final pass
    // leaves that configuration out (`-z20`, one).
    let rise_against =
        |on_busy: &ByConfig, on_quiet: &ByConfig, quiet_runs: usize, pairs: usize| {
            let (mut observed, mut predicted) = (Vec::new(), Vec::new());
            for (config, b) in on_busy {
                let q = &on_quiet[config];
                let (Some(o), Some(g)) = (b[0].2, b[0].3) else {
                    continue;
                };
                let qo: Vec<f64> = q.iter().filter_map(|r| r.2).collect();
                let qg: Vec<f64> = q.iter().filter_map(|r| r.3).collect();
                if qg.len() < qo.len() {
                    continue;
                }
                assert_eq!((qo.len(), qg.len()), (quiet_runs, quiet_runs), "{config}");
                observed.push(o - mean(&qo));
                predicted.push(g - mean(&qg));
            }
            assert_eq!(observed.len(), pairs);
            (mean(&observed), mean(&predicted))
        };
    // A loaded set: its 13 runs on `boots`, the load its manifests name (`loops` of
    // `kind`), and, as runs to come for the committed model, every verdict right, bytes
    // within 5 % and total time within `time_mape` %. Its runs by configuration.
    let loaded = |tag: &str,
                  loops: f64,
                  kind: Option<&str>,
                  time_mape: f64,
                  boots_of_quiet: &std::collections::BTreeSet<String>| {
        let paths = tagged_bundles(&study, &[tag]);
        assert_eq!(paths.len(), 13, "{tag}");
        let (v, by, boots, manifests) = read(&paths);
        assert_eq!(&boots, boots_of_quiet, "{tag}: its quiet set's boot");
        for (name, m) in &manifests {
            assert_eq!(m.lab_number("host_busy_loops"), Some(loops), "{name}");
            let k = m
                .lab
                .as_ref()
                .and_then(|l| l.get("host_busy_loop_kind")?.as_str());
            assert_eq!(k, kind, "{name}");
        }
        let s = &v["summary"];
        assert_eq!(s["verdict_accuracy"].as_f64(), Some(1.0), "{tag}: {s}");
        assert!(
            s["total_time_mape"].as_f64().unwrap() < time_mape,
            "{tag}: {s}"
        );
        assert!(s["bytes_mape"].as_f64().unwrap() < 5.0, "{tag}: {s}");
        by
    };
    // (tag, kind, bound on total time MAPE %): time holds within 6 % (4.98, 5.11 and
    // 5.50 %), but under page churn it is 8.44 %: the probe reads the churn as a host
    // slower than the idle guests' migrations found it (one run 35 % long).
    for (tag, kind, time_mape) in [
        ("-z11", None, 6.0),
        ("-z12", Some("memory"), 6.0),
        ("-z13", Some("build"), 6.0),
        ("-z16", Some("churn"), 10.0),
    ] {
        let on_busy = loaded(tag, 2.0, kind, time_mape, &quiet_boots);
        // The busy loops show in the probe (a third off: 100, 98, 95 and 101 against
        // 159 Mbit/s), not in the guest's speed (9.15, 8.91, 8.60 and 8.64 M against
        // 8.94 M writes/s).
        assert!(probe(&on_busy) < 0.8 * probe(&on_quiet), "{tag}");
        assert!(guest(&on_busy) > 0.95 * guest(&on_quiet), "{tag}");
        // Observed +23.0, +23.4, +20.6 and +16.3 ms against the three quiet sets,
        // predicted +25.5, +22.9, +28.1 and +18.3; against the quiet set of the same
        // hour alone +30.8, +31.2, +28.4 and +24.1 ms, predicted +30.4, +27.9, +33.0
        // and +23.2.
        for (against, on_q, n) in [("all quiet", &on_quiet, 3), ("-z14", &on_same_hour, 1)] {
            let (rise, predicted_rise) = rise_against(&on_busy, on_q, n, 12);
            assert!(
                rise > 10.0,
                "{tag} against {against}: observed rise {rise:.1} ms"
            );
            assert!(
                (predicted_rise - rise).abs() < 10.0,
                "{tag} against {against}: predicted {predicted_rise:.1} ms, observed {rise:.1} ms"
            );
        }
        // So what the model misses on the busy runs is the boot's miss on the quiet
        // ones (-17.2, -14.4, -22.3 and -16.8 against -14.8 ms), not the load.
        let (busy_miss, quiet_miss) = (miss(&on_busy), miss(&on_quiet));
        assert!(
            (busy_miss - quiet_miss).abs() < 8.0,
            "{tag}: busy {busy_miss:.1} ms, quiet {quiet_miss:.1} ms"
        );
    }
    // A real build (`-z15`, cargo build -j 2 of this repository) is another load: it
    // takes less off the probe (113 Mbit/s) and a fifth off the guest's speed (6.97 M
    // writes/s), and lengthens the pause by more than the probe says: observed +31.2
    // and +39.0 ms, predicted +15.8 and +20.8 ms given the final pass, so the model
    // misses these pauses by +0.6 ms where it misses the quiet ones by -14.8.
    // Its total time is 5.03 % off.
    let on_built = loaded("-z15", 2.0, Some("cargo"), 6.0, &quiet_boots);
    assert!(probe(&on_built) < 0.8 * probe(&on_quiet));
    assert!(guest(&on_built) < 0.85 * guest(&on_quiet));
    for (against, on_q, n) in [("all quiet", &on_quiet, 3), ("-z14", &on_same_hour, 1)] {
        let (rise, predicted_rise) = rise_against(&on_built, on_q, n, 12);
        assert!(
            rise > predicted_rise + 10.0,
            "-z15 against {against}: predicted {predicted_rise:.1} ms, observed {rise:.1} ms"
        );
    }
    let (built_miss, quiet_miss) = (miss(&on_built), miss(&on_quiet));
    assert!(
        built_miss > quiet_miss + 10.0,
        "-z15: {built_miss:.1} ms, quiet {quiet_miss:.1} ms"
    );
    // More runnable threads than cores is not what a build adds. Four CPU loops on the
    // two cores (`-z17`), on a new boot with its own quiet set recorded right after
    // (`-z18`), whose level is the first boot's (miss -16.4 against -14.8 ms): they
    // halve the probe (80 against 167 Mbit/s) and lengthen the pause by +15.4 ms
    // (standard error 2.1), less than two loops did, where the probe's term predicts
    // +41.9 ms. Under them the probe reads the host slower than the switchover finds it,
    // and total time is 7.87 % off.
    let after = tagged_bundles(&study, &["-z18"]);
    assert_eq!(after.len(), 13);
    let (on_after, after_boots) = quiet_set(&after);
    assert_eq!(after_boots.len(), 1, "-z18: one boot");
    assert!(after_boots.is_disjoint(&quiet_boots), "-z18: a new boot");
    let on_four = loaded("-z17", 4.0, Some("cpu"), 10.0, &after_boots);
    let after_miss = miss(&on_after);
    assert!(
        (after_miss - quiet_miss).abs() < 8.0,
        "-z18 {after_miss:.1} ms, the first boot's quiet sets {quiet_miss:.1} ms"
    );
    assert!(probe(&on_four) < 0.6 * probe(&on_after));
    let (rise, predicted_rise) = rise_against(&on_four, &on_after, 1, 12);
    assert!(rise > 5.0, "-z17 against -z18: observed rise {rise:.1} ms");
    assert!(
        predicted_rise > rise + 15.0,
        "-z17 against -z18: predicted {predicted_rise:.1} ms, observed {rise:.1} ms"
    );
    // Four loops against two on that boot. A quiet set four hours on (`-z20`) is missed
    // as `-z18` is (-20.7 against -16.4 ms given the final pass). Two CPU loops just
    // before it (`-z19`) do what two did on the first boot: a third off the probe (94
    // against 147 Mbit/s), nothing much off the guest's speed (8.43 against 8.67 M
    // writes/s), the pause +24.2 ms longer than the same hour's quiet set (11 pairs),
    // predicted +27.7, and missed as the quiet runs are (-14.0 ms). So four loops cost
    // no more than two: per configuration, -17.0 ms (standard error 9.5) against
    // `-z19`, where the probe's term predicts +11.9 ms.
    let later = tagged_bundles(&study, &["-z20"]);
    assert_eq!(later.len(), 13);
    let (on_later, later_boots) = quiet_set(&later);
    assert_eq!(later_boots, after_boots, "-z20: the boot of -z18");
    let later_miss = miss(&on_later);
    assert!(
        (later_miss - after_miss).abs() < 8.0,
        "-z20 {later_miss:.1} ms, -z18 {after_miss:.1} ms"
    );
    let on_two = loaded("-z19", 2.0, Some("cpu"), 6.0, &after_boots);
    assert!(probe(&on_two) < 0.8 * probe(&on_later));
    assert!(guest(&on_two) > 0.95 * guest(&on_later));
    let (rise, predicted_rise) = rise_against(&on_two, &on_later, 1, 11);
    assert!(rise > 10.0, "-z19 against -z20: observed rise {rise:.1} ms");
    assert!(
        (predicted_rise - rise).abs() < 10.0,
        "-z19 against -z20: predicted {predicted_rise:.1} ms, observed {rise:.1} ms"
    );
    let two_miss = miss(&on_two);
    assert!(
        (two_miss - later_miss).abs() < 8.0,
        "-z19 {two_miss:.1} ms, -z20 {later_miss:.1} ms"
    );
    let (rise, predicted_rise) = rise_against(&on_four, &on_two, 1, 12);
    assert!(rise < 0.0, "-z17 against -z19: observed {rise:.1} ms");
    assert!(
        predicted_rise > rise + 15.0,
        "-z17 against -z19: predicted {predicted_rise:.1} ms, observed {rise:.1} ms"
    );
    // The build on that boot (`-z21`), as on the first: the probe barely sees it (120
    // against 147 Mbit/s), the guest's speed does (7.36 against 8.67 M writes/s), and
    // the pause rises +26.9 ms over the same hour's quiet set, predicted +7.1; the model
    // misses these pauses by +1.9 ms where it misses the quiet ones by -20.7. Total time
    // is 7.62 % off (two runs predicted 24 and 32 % long).
    let on_built_again = loaded("-z21", 2.0, Some("cargo"), 10.0, &after_boots);
    assert!(guest(&on_built_again) < 0.9 * guest(&on_later));
    let (rise, predicted_rise) = rise_against(&on_built_again, &on_later, 1, 11);
    assert!(
        rise > predicted_rise + 10.0,
        "-z21 against -z20: predicted {predicted_rise:.1} ms, observed {rise:.1} ms"
    );
    let built_again_miss = miss(&on_built_again);
    assert!(
        built_again_miss > later_miss + 10.0,
        "-z21: {built_again_miss:.1} ms, quiet {later_miss:.1} ms"
    );
    // What the build adds is libvirt's status files on the lab's disk, which the build
    // writes to: its fsync before the job took 1.2 and 3.7 ms (medians of `-z15` and
    // `-z21`) against at most 0.95 ms quiet or under loops. With the lab's state on
    // tmpfs, as a real host keeps `/run/libvirt` (every fsync 0.001 ms), the build
    // (`-z22`) lengthens the pause by +1.9 ms over the quiet set on tmpfs of the same
    // hour (`-z23`), where the probe's term predicts +11.7, and by -24.6 ms against the
    // build with the state on disk (`-z21`), predicted +11.3.
    // The median fsync of a set, from its manifests alone (no need to validate it).
    let fsync_ms = |tag: &str| {
        let mut v: Vec<f64> = tagged_bundles(&study, &[tag])
            .iter()
            .map(|p| {
                let m = Bundle::load(p).unwrap().manifest;
                m.lab_number("state_dir_fsync_ms").expect("fsync probe")
            })
            .collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    assert!(fsync_ms("-z15") > 1.0 && fsync_ms("-z21") > 1.0);
    assert!(fsync_ms("-z20") < 0.5);
    assert!(fsync_ms("-z22") < 0.01 && fsync_ms("-z23") < 0.01);
    let tmpfs_quiet = tagged_bundles(&study, &["-z23"]);
    assert_eq!(tmpfs_quiet.len(), 13);
    let (on_tmpfs_quiet, tmpfs_boots) = quiet_set(&tmpfs_quiet);
    assert_eq!(tmpfs_boots, after_boots, "-z23: the boot of -z18");
    let on_built_tmpfs = loaded("-z22", 2.0, Some("cargo"), 10.0, &after_boots);
    let (rise, predicted_rise) = rise_against(&on_built_tmpfs, &on_tmpfs_quiet, 1, 11);
    assert!(
        rise < 10.0 && rise < predicted_rise,
        "-z22 against -z23: predicted {predicted_rise:.1} ms, observed {rise:.1} ms"
    );
    let (rise, predicted_rise) = rise_against(&on_built_tmpfs, &on_built_again, 1, 12);
    assert!(
        rise < -10.0 && predicted_rise > 0.0,
        "-z22 against -z21: predicted {predicted_rise:.1} ms, observed {rise:.1} ms"
    );
}

/// The sampling study (`traces/studies/job-sampling-2026-11-27`, its README): one guest
/// migrated back and forth, the job sampled on QEMU's own QMP socket
/// (`lab/qmp-poll.py`, QEMU's replies as it wrote them), through virsh, or not at all.
/// The QMP series is a job series like virsh's: it gives the final pass. Read by
/// migbench, the pauses say what the README says: through virsh they are longer,
/// on QEMU's socket they are not.
#[test]
fn sampling_on_qemus_own_socket_is_read_and_leaves_the_pause_alone() {
    let study = "traces/studies/job-sampling-2026-11-27";
    let out = stdout_ok(&["validate", "models/lab-tcg.toml", study, "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let checks = v["checks"].as_array().expect("per-run checks");
    let by = |way: &str| -> Vec<&serde_json::Value> {
        checks
            .iter()
            .filter(|c| {
                c["name"]
                    .as_str()
                    .is_some_and(|n| n.contains(&format!("-{way}-")))
            })
            .collect()
    };
    let (none, qmp, virsh) = (by("none"), by("qmp"), by("virsh"));
    assert_eq!((none.len(), qmp.len(), virsh.len()), (12, 13, 12));
    for c in checks {
        assert_eq!(c["observed_converged"], true, "{c}");
        assert!(c["observed_downtime_ms"].is_number(), "{c}");
        assert!(c["predicted_downtime_ms"].is_number(), "{c}");
    }
    // One guest: every sampled run's final pass is the same 11.5-11.7 MB.
    for c in qmp.iter().chain(&virsh) {
        let fp = c["observed_final_pass_bytes"].as_u64().unwrap_or(0);
        assert!((11_500_000..11_700_000).contains(&fp), "{c}");
    }
    assert!(
        none.iter()
            .all(|c| c["observed_final_pass_bytes"].is_null())
    );
    // The reused guest's runs (all but run 301, the first boot).
    let mean_pause = |runs: &[&serde_json::Value]| {
        let d: Vec<f64> = runs
            .iter()
            .filter(|c| c["name"].as_str().is_some_and(|n| n.contains("-reused-")))
            .filter_map(|c| c["observed_downtime_ms"].as_f64())
            .collect();
        d.iter().sum::<f64>() / d.len() as f64
    };
    let (m_none, m_qmp, m_virsh) = (mean_pause(&none), mean_pause(&qmp), mean_pause(&virsh));
    assert!(
        (m_qmp - m_none).abs() < 2.0,
        "on QEMU's socket {m_qmp:.1} ms, unsampled {m_none:.1} ms"
    );
    assert!(
        m_virsh - m_none > 4.0,
        "through virsh {m_virsh:.1} ms, unsampled {m_none:.1} ms"
    );
    assert!(v["summary"]["downtime_within_range"].as_f64() >= Some(0.9));
    // The model knows which runs libvirt was polled in: it predicts them longer by
    // about what polling costs (the hosts' load moves the rest a little), and the runs
    // polled on QEMU's socket as the unpolled.
    let mean_predicted = |runs: &[&serde_json::Value]| {
        let d: Vec<f64> = runs
            .iter()
            .filter_map(|c| c["predicted_downtime_ms"].as_f64())
            .collect();
        d.iter().sum::<f64>() / d.len() as f64
    };
    let polling = model().switchover.libvirt_job_polling_ms.unwrap().value;
    let (p_none, p_qmp, p_virsh) = (
        mean_predicted(&none),
        mean_predicted(&qmp),
        mean_predicted(&virsh),
    );
    assert!(
        (p_virsh - p_none - polling).abs() < 2.5,
        "predicted: through virsh {p_virsh:.1} ms, unsampled {p_none:.1} ms"
    );
    assert!(
        (p_qmp - p_none).abs() < 2.5,
        "predicted: on QEMU's socket {p_qmp:.1} ms, unsampled {p_none:.1} ms"
    );
}

/// Each committed bundle says whether its recorder polled the job through libvirt:
/// every set did (virsh, or `migbench record`) until the lab's QMP sampler (`-u6`
/// onwards).
#[test]
fn each_bundle_says_whether_libvirt_was_polled() {
    for r in runs() {
        let qmp = ["-u6", "-v7", "-w8", "-y10"]
            .iter()
            .any(|t| r.name.ends_with(t));
        assert_eq!(
            r.file.migration.job_polled_via_libvirt,
            Some(!qmp),
            "{}",
            r.name
        );
    }
}

/// The pause that polling the job through libvirt costs, as the model carries it
/// (`fit::LIBVIRT_JOB_POLLING_MS`), is what the two studies measure: in each series of
/// one guest migrated back and forth (the freshly booted series left out, whose final
/// pass moves), the mean pause of the runs polled through libvirt less that of the
/// runs nothing polled, pooled by runs. Which runs were polled is migbench's own
/// reading of each bundle.
#[test]
fn polling_through_libvirt_costs_the_pause_the_studies_measured() {
    use migbench::calibrate::fit::LIBVIRT_JOB_POLLING_MS;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("traces/studies");
    // Per series: (polled pauses, unpolled pauses), ms.
    let mut series: std::collections::BTreeMap<String, (Vec<f64>, Vec<f64>)> = Default::default();
    for study in ["pause-repeats-2026-11-27", "job-sampling-2026-11-27"] {
        for e in std::fs::read_dir(root.join(study)).unwrap() {
            let dir = e.unwrap().path();
            if !dir.join("trace.toml").is_file() {
                continue;
            }
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            if name.contains("-fresh-") {
                continue;
            }
            let b = Bundle::load(&dir).unwrap();
            let polled = b.job_polled_via_libvirt();
            let unpolled = b.manifest.lab_number("job_poll_s") == Some(0.0);
            assert!(!(polled && unpolled), "{name}");
            let run = Run::from_bundle(&b).unwrap().expect("job statistics");
            let pause = run.job.downtime_ms.expect("a pause");
            let s = series
                .entry(format!("{study} reused={}", name.contains("-reused-")))
                .or_default();
            if polled {
                s.0.push(pause);
            } else if unpolled {
                s.1.push(pause);
            }
        }
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let var = |v: &[f64]| {
        let m = mean(v);
        v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64
    };
    let sizes: Vec<(usize, usize)> = series.values().map(|(p, u)| (p.len(), u.len())).collect();
    assert_eq!(sizes, [(12, 12), (8, 8), (8, 8)], "{:?}", series.keys());
    let n: usize = sizes.iter().map(|(p, u)| p + u).sum();
    let (mut value, mut var_sum) = (0.0, 0.0);
    for (p, u) in series.values() {
        let w = (p.len() + u.len()) as f64 / n as f64;
        value += w * (mean(p) - mean(u));
        var_sum += w * w * (var(p) / p.len() as f64 + var(u) / u.len() as f64);
    }
    let half = 1.96 * var_sum.sqrt();
    let e = LIBVIRT_JOB_POLLING_MS;
    assert_eq!(e.n, n);
    assert!(
        (e.value - value).abs() < 0.01,
        "{e:?}: studies {value:.3} ms"
    );
    assert!(
        (e.ci95_lo - (value - half)).abs() < 0.01,
        "{e:?}: {half:.3}"
    );
    assert!(
        (e.ci95_hi - (value + half)).abs() < 0.01,
        "{e:?}: {half:.3}"
    );
    // The committed model carries it.
    assert_eq!(model().switchover.libvirt_job_polling_ms, Some(e));
}

/// How many of a validation's per-run checks carry a number in `field`.
fn checks_with(v: &serde_json::Value, field: &str) -> usize {
    let checks = v["checks"].as_array().expect("per-run checks");
    checks.iter().filter(|c| c[field].is_number()).count()
}

#[test]
fn bundles_without_the_link_probe_still_fit() {
    // Users' own recordings rarely carry the lab's netperf probe: the CPU terms are
    // then dropped (assumed 0) and every run informs the fixed parts.
    let bare: Vec<Run> = runs()
        .into_iter()
        .filter(|r| r.probe_mbit_s.is_none())
        .collect();
    assert!(bare.len() >= 10, "{} runs without the probe", bare.len());
    let m = fit(&bare, "bare", "2026-11-26").unwrap();
    assert_eq!(m.host.setup_ms_cpu.n, 0);
    assert_eq!(m.switchover.fixed_ms_cpu.n, 0);
    assert!(m.host.setup_ms.n >= 10 && m.host.setup_ms.value > 0.0);
    assert!(m.switchover.fixed_ms.n >= 10 && m.switchover.fixed_ms.value > 0.0);
    let v = validate(&m, &bare).unwrap();
    assert_eq!(v.summary.verdict_accuracy, 1.0);
}

#[test]
fn runs_without_the_probe_are_predicted_at_the_load_their_pings_show() {
    // The early runs have no link probe; under TCG the guest's ping round trip before
    // the job tells how busy the host was. Predicted at the reference instead, they
    // came out 16 % short on average. Since the -r3 runs joined the fit, most of the
    // load shows in the set-up's own ping term (355 ms per ms): the map adds 2.4
    // points (11.4 to 9.0 %), both together 9 (18.0 to 9.0 %). With the sets of
    // 2026-12-07 (223 runs) the ping term is 403 ms per ms and the map adds 1.7
    // points (11.0 to 9.3 %), both together 9.3 (18.6 to 9.3 %).
    let m = model();
    let map = m.host.busy_from_ping.as_ref().expect("the map is fitted");
    assert!(map.per_rtt_ms.ci95_lo > 0.0 && map.per_rtt_ms.n >= 30);
    let bare: Vec<Run> = runs()
        .into_iter()
        .filter(|r| r.probe_mbit_s.is_none() && r.complete())
        .collect();
    assert!(bare.len() >= 10, "{} runs without the probe", bare.len());
    assert!(bare.iter().all(|r| r.ping_rtt_before_job_ms.is_some()));
    let with_map = validate(&m, &bare).unwrap().summary;
    let mut at_reference = m.clone();
    at_reference.host.busy_from_ping = None;
    let without = validate(&at_reference, &bare).unwrap().summary;
    at_reference.host.setup_ping = None;
    let neither = validate(&at_reference, &bare).unwrap().summary;
    eprintln!("with the map {with_map:?}\nat the reference {without:?}\nneither {neither:?}");
    assert!(
        with_map.total_time_mape < without.total_time_mape - 1.0,
        "time MAPE {:.2} % with the map, {:.2} % without",
        with_map.total_time_mape,
        without.total_time_mape
    );
    assert!(
        with_map.total_time_mape < neither.total_time_mape - 5.0,
        "time MAPE {:.2} % with the map, {:.2} % without either ping term",
        with_map.total_time_mape,
        neither.total_time_mape
    );
}

#[test]
fn a_probe_at_the_line_rate_measures_the_link_not_the_cpu() {
    // On the 100 Mbit/s link netperf's small messages reached 95.7 Mbit/s: the link's
    // limit. Read as free CPU it made the host look twice as busy as the reference.
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("traces/lab-tcg-idle-512m-100mbit-nocap-b2a-q2");
    let b = Bundle::load(&dir).unwrap();
    let raw = b.manifest.probe_number("tcp_mbit_s_8k_128b").unwrap();
    assert!(raw > 90.0 && b.manifest.link.bandwidth_mbit_s == Some(100.0));
    let r = Run::from_bundle(&b).unwrap().unwrap();
    assert_eq!(r.probe_mbit_s, None);
    let m = model();
    assert!(r.load_probe_mbit_s(&m).is_some(), "the ping stands for it");
}

#[test]
fn opening_the_image_over_nfs_costs_round_trips_at_set_up() {
    // The destination QEMU opens the guest's image while libvirt prepares it, before
    // the first page: at 20 ms of added NFS round trip the set-up is longer than at 0.
    // With only a fixed NFS term the runs at 20 ms came out 11.6 % short on average and
    // those at 0 ms 5.4 % long (17 points apart); with the round trips, 4-5 points.
    let m = model();
    let trips = m.host.setup_nfs_round_trips.as_ref().expect("fitted");
    assert!(trips.ci95_lo > 5.0, "{trips:?}");
    let runs: Vec<Run> = runs()
        .into_iter()
        .filter(|r| r.file.storage.kind.as_deref() == Some("nfs"))
        .collect();
    let v = validate(&m, &runs).unwrap();
    let mean_err_pct = |added_ms: f64| {
        let errs: Vec<f64> = runs
            .iter()
            .zip(&v.checks)
            .filter(|(r, _)| r.file.storage.nfs_rtt_added_ms == Some(added_ms))
            .filter_map(|(_, c)| {
                let o = c.observed_total_time_ms?;
                c.observed_converged
                    .then(|| (c.predicted_total_time_ms / o - 1.0) * 100.0)
            })
            .collect();
        assert!(errs.len() >= 6, "{} runs at {added_ms} ms", errs.len());
        errs.iter().sum::<f64>() / errs.len() as f64
    };
    let (near, far) = (mean_err_pct(0.0), mean_err_pct(20.0));
    assert!(
        (far - near).abs() < 8.0,
        "time error {near:.1} % at 0 ms added, {far:.1} % at 20 ms"
    );
}

/// Where a run's job series holds a sample right before the stop-and-copy pass, the
/// replay counts the pass's pages and zero pages. An idle guest's final pass is the
/// top of RAM down to where the first pass stopped, and the counts show that the
/// 512 MiB guest's top holds zero pages, most of them in its last few MB: about 270
/// in a 3 MB pass, 450 in a 7 MB one, 490 in a 13 MB one. They count in QEMU's
/// pending bytes but cross the link as a header each; the model's top of RAM is all
/// data (see the README).
#[test]
fn replay_counts_the_zero_pages_of_an_idle_final_pass() {
    let mut short = Vec::new();
    let mut long = Vec::new();
    for r in runs().iter().filter(|r| r.writes_per_s() == 0.0) {
        let (Some(pages), Some(zero)) = (r.job.final_pass_pages, r.job.final_pass_zero_pages)
        else {
            continue;
        };
        assert!(zero <= pages, "{}: {zero} of {pages}", r.name);
        // The pass's stream bytes: a header per zero page, the data of the rest.
        let fp = r.job.final_pass_bytes.unwrap() as f64;
        let data = (pages - zero) as f64 * 4104.0;
        assert!((fp / data - 1.0).abs() < 0.02, "{}: {fp} bytes", r.name);
        if r.file.guest.memory_mib == 512.0 {
            if pages < 2100 {
                short.push((pages, zero));
            } else if pages > 3000 {
                long.push((pages, zero));
            }
        }
    }
    assert!(short.len() >= 5 && long.len() >= 30, "{short:?} {long:?}");
    // A quarter or more of a short pass is zero pages; a long one holds a few more
    // zero pages, not proportionally more: they lie at the very top.
    assert!(short.iter().all(|&(p, z)| z * 5 >= p), "{short:?}");
    assert!(
        long.iter()
            .all(|&(p, z)| z * 5 < p && (390..=620).contains(&z)),
        "{long:?}"
    );
}

/// The guest writes memory of its own: the sync that ends the first pass finds a few
/// hundred pages newly written where nothing runs, and more pages than the working
/// set holds where the dirtier writes all of it (the README's calibration notes).
#[test]
fn the_first_sync_shows_what_the_guest_writes_by_itself() {
    let runs = runs();
    let idle: Vec<(u64, f64)> = runs
        .iter()
        .filter(|r| r.writes_per_s() == 0.0)
        .filter_map(|r| Some((r.job.first_sync_new_pages?, r.job.first_sync_after_ms?)))
        .collect();
    assert!(idle.len() >= 8, "{idle:?}");
    assert!(
        idle.iter()
            .all(|&(p, ms)| (100..=350).contains(&p) && ms > 1000.0),
        "{idle:?}"
    );
    // 40000 writes/s over 64 MiB (16384 pages) for seconds leave none of the set
    // unwritten, and the sync finds more than the set.
    let saturated: Vec<(&str, u64)> = runs
        .iter()
        .filter(|r| r.writes_per_s() >= 40_000.0 && r.file.workload.wws_mib == Some(64.0))
        .filter_map(|r| Some((r.name.as_str(), r.job.first_sync_new_pages?)))
        .collect();
    assert!(saturated.len() >= 5, "{saturated:?}");
    assert!(
        saturated
            .iter()
            .all(|&(_, p)| p > 16_384 && p <= 16_384 + 350),
        "{saturated:?}"
    );
}

/// `fit -o` writes a file beside its target and renames it into place, so a failure
/// leaves no half model file. A target that is not a file (`-o /dev/null`, a pipe) is
/// written to as it is: a file renamed over it would take its place. Through a
/// symbolic link, the file it points to gets the model and the link stays.
#[test]
fn fit_writes_into_a_pipe_or_through_a_link_without_replacing_it() {
    use std::os::unix::fs::FileTypeExt;
    let dir = std::env::temp_dir().join(format!("migbench-fit-out-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bundles: Vec<String> = ["", "-q2", "-r3", "-s4"]
        .iter()
        .map(|t| format!("traces/lab-tcg-idle-512m-a2b{t}"))
        .collect();
    let fit_to = |out: &Path| {
        let mut args = vec!["fit".to_string()];
        args.extend(bundles.iter().cloned());
        args.extend(["-o".into(), out.display().to_string()]);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        stdout_ok(&refs)
    };
    // A pipe: read while fit writes into it.
    let fifo = dir.join("model.pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    fit_to(&fifo);
    // Before the reader is waited for: a file renamed over the pipe would leave it
    // waiting for ever.
    let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(kind.is_fifo(), "the pipe was replaced: {kind:?}");
    let text = reader.join().unwrap();
    assert!(text.contains("[guest.top_nonzero_mib]"), "{text}");
    assert!(!dir.join("model.pipe.toml.tmp").exists());
    // A link to a file: the file gets the model, the link stays a link.
    let file = dir.join("real.toml");
    std::fs::write(&file, "").unwrap();
    let link = dir.join("link.toml");
    std::os::unix::fs::symlink(&file, &link).unwrap();
    fit_to(&link);
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let model = ModelFile::load(&file).expect("the model, in the linked file");
    assert_eq!(model.provenance.bundles.len(), 4);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn each_recording_day_is_predicted_by_a_model_of_the_other_days() {
    // Leave-one-out keeps a run's own day in its model; holding out whole days tells
    // what a model gives on a day it has not seen, as the next migration will be.
    let out_path = std::env::temp_dir().join(format!("migbench-days-{}.toml", std::process::id()));
    let out = stdout_ok(&[
        "fit",
        "traces/",
        "-o",
        out_path.to_str().unwrap(),
        "--holdout-days",
        "--json",
    ]);
    let _ = std::fs::remove_file(&out_path);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let h = &v["holdout_days"];
    assert_eq!(h["method"], "leave-one-day-out");
    let days = h["held_out_days"].as_array().expect("days held out");
    assert!(days.len() >= 3, "{} days", days.len());
    let runs = h["checks"].as_array().expect("checks").len();
    let per_day: u64 = days
        .iter()
        .map(|d| d["summary"]["runs"].as_u64().unwrap())
        .sum();
    assert_eq!(per_day as usize, runs, "every run held out once");
    for d in days {
        let s = &d["summary"];
        let fitted = d["fitted_on_runs"].as_u64().unwrap();
        assert_eq!(fitted as usize + s["runs"].as_u64().unwrap() as usize, runs);
        assert_eq!(s["verdict_accuracy"], 1.0, "{}", d["day"]);
        assert!(
            s["bytes_mape"].as_f64().unwrap() <= 5.0,
            "{}: {s}",
            d["day"]
        );
        // The pause: 64, 75 and 62 % within 20 % or 20 ms (80 % held out one run at a
        // time); the switchover taken at the guest's speed made it 68, 67 and 83 %.
        assert!(
            s["downtime_within_tolerance"].as_f64().unwrap() >= 0.55,
            "{}: {s}",
            d["day"]
        );
        // Time: the later days' model predicts the first day's jobs short (15.0 %):
        // its first recording ran under load, and that day's set-up ran slower than the
        // next day's. The later days: 5.95 and 4.46 %.
        let first = d["day"] == "2026-11-26";
        let time = if first { 17.0 } else { 7.0 };
        assert!(
            s["total_time_mape"].as_f64().unwrap() <= time,
            "{}: {s}",
            d["day"]
        );
    }
    assert_eq!(v["total_time_mape"], h["summary"]["total_time_mape"]);
    // One day alone leaves nothing to fit on: a clear error, not a panic.
    let one_day: Vec<String> = std::fs::read_dir("traces")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with("-y10"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    assert!(one_day.len() >= 4);
    let mut args = vec!["fit"];
    args.extend(one_day.iter().map(String::as_str));
    args.extend(["-o", "/tmp/migbench-one-day.toml", "--holdout-days"]);
    let out = migbench(&args);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("no other day to fit on"), "{err}");
    let _ = std::fs::remove_file("/tmp/migbench-one-day.toml");
}

//! One recorded migration: set-up, recorders, the job, safety, the bundle.
//!
//! Order of a run: check the guest runs on the source; save its XML and the hosts'
//! versions and accelerator; set the guest's workload; start ping and the PV monitors;
//! after a lead time start the job-statistics poller and the migration; watch for the
//! end, a timeout, a stall, Ctrl-C or post-copy's switch point; on anything but a
//! normal end abort the job (`virDomainAbortJob`) and wait for it to end; collect the
//! completed job's statistics; check where the guest runs (exactly one host, said
//! aloud); record a tail; stop the recorders; write the final manifest.

use super::LabError;
use super::bundle_writer::{Outcome, RunMeta, file};
use super::host::HostState;
use super::jobstats::{JobPoller, JobSample, get_job_stats};
use super::migrate::{self, MigrationSpec};
use super::ping::{self, PingRecorder};
use super::pv;
use super::safety::{PlacementReport, host_state};
use super::workload::{self, Workload};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::watch;
use tokio::task::spawn_blocking;
use virt::connect::Connect;

/// One end of the migration.
#[derive(Debug, Clone, PartialEq)]
pub struct Host {
    /// Name for the manifest (`hA`).
    pub name: String,
    /// libvirt URI.
    pub uri: String,
    /// Address (manifest; and the migration URI `tcp://<ip>` when no other is given).
    pub ip: Option<String>,
}

/// Everything one run needs.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// Bundle directory (created; must not exist or be empty).
    pub dir: PathBuf,
    /// Free-text description (default: made from the parameters).
    pub description: Option<String>,
    /// Migrate from.
    pub source: Host,
    /// Migrate to.
    pub destination: Host,
    /// `A->B` or `B->A`.
    pub direction: String,
    /// libvirt domain name.
    pub domain: String,
    /// Guest address (ping, CA, control channel).
    pub guest_ip: String,
    /// The guest dirtier's control port.
    pub control_port: u16,
    /// What the dirtier should do (None: leave it, record what it says it does).
    pub workload: Option<Workload>,
    /// PVs to monitor.
    pub pvs: Vec<String>,
    /// Their scan period, s (manifest).
    pub scan_period_s: f64,
    /// They count 0..modulo-1 (manifest).
    pub counting_modulo: Option<u32>,
    /// Migration parameters.
    pub spec: MigrationSpec,
    /// Abort the job after this long (a planned end: the bundle stays complete).
    pub timeout: Duration,
    /// Abort when no data has been sent for this long (a fault: incomplete).
    pub stall: Duration,
    /// Wait after setting the workload.
    pub settle: Duration,
    /// Recording before the migration starts.
    pub lead: Duration,
    /// Recording after the job ends.
    pub tail: Duration,
    /// Job statistics period (≤ 100 ms).
    pub sample_period: Duration,
    /// Ping interval, s.
    pub ping_interval_s: f64,
    /// Link line rate for the manifest, Mbit/s.
    pub link_mbit_s: Option<f64>,
    /// Link RTT for the manifest, ms.
    pub link_rtt_ms: Option<f64>,
    /// The command line that ran, for the manifest.
    pub command_line: String,
}

/// What a run produced.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// The bundle.
    pub dir: PathBuf,
    /// What the job did.
    pub outcome: Outcome,
    /// Whether the recording is whole.
    pub complete: bool,
    /// Why the job was aborted.
    pub abort_reason: Option<String>,
    /// The error that ended the job or the recording.
    pub error: Option<String>,
    /// Was the run interrupted (Ctrl-C / SIGTERM)?
    pub interrupted: bool,
    /// Where the guest runs now.
    pub placement: PlacementReport,
    /// The completed job's statistics, when libvirt kept them.
    pub completed_stats: Option<JobSample>,
    /// Largest iteration seen while sampling.
    pub max_iteration: u64,
    /// The last sample taken while the job ran.
    pub last_active: Option<JobSample>,
    /// Job-statistics samples written.
    pub samples: u64,
    /// Ping (transmitted, received) from its footer.
    pub ping: Option<(u64, u64)>,
    /// Longest run of unanswered pings.
    pub ping_longest_gap: u64,
    /// PV updates and disconnects written.
    pub pv_updates: u64,
    /// PV disconnect lines written.
    pub pv_disconnects: u64,
    /// Wall time of the migration call, s.
    pub migrate_wall_s: f64,
}

/// Where the recorder reports: log lines and a one-line progress text.
pub trait Reporter: Send + Sync {
    /// A log line (also written to `record.log`).
    fn log(&self, line: &str);
    /// The live progress text.
    fn progress(&self, text: &str);
}

/// `record.log` plus the reporter.
struct RunLog<'a> {
    file: Mutex<File>,
    rep: &'a dyn Reporter,
}

impl RunLog<'_> {
    fn say(&self, msg: &str) {
        let line = format!("{} {msg}", super::clock::log_stamp(SystemTime::now()));
        if let Ok(mut f) = self.file.lock() {
            let _ = f.write_all(format!("{line}\n").as_bytes());
        }
        self.rep.log(msg);
    }
}

/// Sleeps, or returns true early when interrupted.
async fn sleep_or_interrupt(d: Duration, intr: &mut watch::Receiver<bool>) -> bool {
    if *intr.borrow() {
        return true;
    }
    tokio::select! {
        _ = tokio::time::sleep(d) => false,
        r = intr.wait_for(|v| *v) => r.is_ok(),
    }
}

fn lib(what: &str, e: virt::error::Error) -> LabError {
    LabError::Libvirt {
        what: what.into(),
        message: e.message().to_string(),
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, LabError> + Send + 'static,
) -> Result<T, LabError> {
    spawn_blocking(f)
        .await
        .map_err(|e| LabError::NotReady(format!("blocking task failed: {e}")))?
}

/// Asks both hosts where the domain runs (blocking).
pub fn placement(src: &Host, dst: &Host, domain: &str) -> PlacementReport {
    let state = |h: &Host| match Connect::open(Some(&h.uri)) {
        Ok(c) => host_state(&c, domain),
        Err(e) => super::safety::HostState::Unknown(e.message().to_string()),
    };
    PlacementReport::judge(
        (src.name.clone(), state(src)),
        (dst.name.clone(), state(dst)),
    )
}

/// Facts about the source side gathered before the run.
struct Facts {
    memory_mib: f64,
    vcpus: u32,
    accel: String,
    qemu_version: String,
    libvirt_version: String,
    storage_kind: String,
}

/// Records one migration into `cfg.dir`. Errors before the bundle exists are returned;
/// after that every failure is recorded in the bundle (complete = false) and the
/// result says what happened.
pub async fn record_run(
    cfg: &RunConfig,
    mut intr: watch::Receiver<bool>,
    rep: &dyn Reporter,
) -> Result<RunResult, LabError> {
    let dir = cfg.dir.clone();
    if dir.exists()
        && std::fs::read_dir(&dir)
            .map_err(|e| LabError::io(&dir, e))?
            .next()
            .is_some()
    {
        return Err(LabError::NotReady(format!(
            "{} exists and is not empty: choose a new bundle name",
            dir.display()
        )));
    }
    // where the guest is, before anything is created
    let (s, d, name) = (
        cfg.source.clone(),
        cfg.destination.clone(),
        cfg.domain.clone(),
    );
    let before = spawn_blocking(move || placement(&s, &d, &name))
        .await
        .map_err(|e| LabError::NotReady(e.to_string()))?;
    if before.placement != super::safety::Placement::Source {
        return Err(LabError::NotReady(format!(
            "cannot migrate {} from {}: {before}",
            cfg.domain, cfg.source.name
        )));
    }
    std::fs::create_dir_all(&dir).map_err(|e| LabError::io(&dir, e))?;
    let log_path = dir.join("record.log");
    let log = RunLog {
        file: Mutex::new(File::create(&log_path).map_err(|e| LabError::io(&log_path, e))?),
        rep,
    };
    let recorded_at = SystemTime::now();
    log.say(&format!(
        "bundle {}: {} {} {} -> {}",
        dir.display(),
        cfg.domain,
        cfg.direction,
        cfg.source.name,
        cfg.destination.name
    ));

    // --- facts about the source -----------------------------------------------------
    let (suri, dom_name, xml_path) = (
        cfg.source.uri.clone(),
        cfg.domain.clone(),
        dir.join("domain.xml"),
    );
    let facts = blocking(move || {
        let conn = migrate::open(&suri)?;
        let dom = migrate::lookup(&conn, &suri, &dom_name)?;
        let info = dom.info().map_err(|e| lib("domain info", e))?;
        let xml = dom.xml_desc(0).map_err(|e| lib("domain XML", e))?;
        std::fs::write(&xml_path, &xml).map_err(|e| LabError::io(&xml_path, e))?;
        Ok(Facts {
            memory_mib: info.max_mem as f64 / 1024.0,
            vcpus: info.nr_virt_cpu,
            accel: migrate::accel(&dom),
            qemu_version: conn
                .hyp_version()
                .map(migrate::version_string)
                .unwrap_or_else(|_| "unknown".into()),
            libvirt_version: conn
                .lib_version()
                .map(migrate::version_string)
                .unwrap_or_else(|_| "unknown".into()),
            storage_kind: migrate::storage_kind(&xml).into(),
        })
    })
    .await?;
    log.say(&format!(
        "guest {} MiB, {} vCPU, accel {}, QEMU {}, libvirt {}, storage {}",
        facts.memory_mib,
        facts.vcpus,
        facts.accel,
        facts.qemu_version,
        facts.libvirt_version,
        facts.storage_kind
    ));

    // --- workload --------------------------------------------------------------------
    let ctl: Option<SocketAddr> = format!("{}:{}", cfg.guest_ip, cfg.control_port)
        .parse()
        .ok();
    let mut workload_answer = String::new();
    let mut recorded_workload = None;
    if let Some(addr) = ctl {
        let wanted = cfg.workload;
        let ans = spawn_blocking(move || match wanted {
            Some(w) => workload::control(addr, &w.set_command()),
            None => workload::control(addr, "get"),
        })
        .await
        .map_err(|e| LabError::NotReady(e.to_string()))?;
        match ans {
            Ok(a) => {
                log.say(&format!("guest dirtier: {a}"));
                recorded_workload = Workload::from_answer(&a);
                if let (Some(w), Some(got)) = (cfg.workload, recorded_workload)
                    && w != got
                {
                    {
                        return Err(LabError::NotReady(format!(
                            "guest dirtier did not take the workload {w}: answered `{a}`"
                        )));
                    }
                }
                workload_answer = a;
            }
            Err(e) if cfg.workload.is_some() => return Err(e),
            Err(e) => log.say(&format!("no workload control ({e}); [workload] left empty")),
        }
    }

    // --- the bundle's skeleton -------------------------------------------------------
    let mut files = vec![file(
        "ping.log",
        "ping",
        "ping",
        &ping::command_line(&cfg.guest_ip, cfg.ping_interval_s).join(" "),
    )];
    if !cfg.pvs.is_empty() {
        files.push(file(
            "camonitor.log",
            "camonitor",
            "pv",
            &format!(
                "migbench record (epics-ca, camonitor -tsc format, TZ=UTC): {}",
                cfg.pvs.join(" ")
            ),
        ));
    }
    files.push(file(
        "jobstats.jsonl",
        "jobstats-jsonl",
        "jobstats",
        &format!(
            "virDomainGetJobStats every {} ms on {}; last line: VIR_DOMAIN_JOB_STATS_COMPLETED",
            cfg.sample_period.as_millis(),
            cfg.source.uri
        ),
    ));
    files.push(file("record.log", "log", "log", "migbench record"));
    let jobstats_path = dir.join("jobstats.jsonl");
    let jobstats_file =
        File::create(&jobstats_path).map_err(|e| LabError::io(&jobstats_path, e))?;
    let description = cfg
        .description
        .clone()
        .unwrap_or_else(|| describe(cfg, &facts, recorded_workload));
    let mut lab = toml::Table::new();
    lab.insert("command".into(), cfg.command_line.clone().into());
    lab.insert("source_uri".into(), cfg.source.uri.clone().into());
    lab.insert("destination_uri".into(), cfg.destination.uri.clone().into());
    lab.insert(
        "migrate_call".into(),
        format!(
            "virDomainMigrate3(flags={}, bandwidth={}, uri={})",
            cfg.spec.flag_names().join("|"),
            cfg.spec
                .bandwidth_mib_s
                .map_or("default".into(), |b| format!("{b} MiB/s")),
            cfg.spec.migrate_uri.as_deref().unwrap_or("default")
        )
        .into(),
    );
    if let Some(ms) = cfg.spec.downtime_limit_ms {
        lab.insert(
            "max_downtime_call".into(),
            format!("virDomainMigrateSetMaxDowntime({ms} ms)").into(),
        );
    }
    lab.insert("timeout_s".into(), (cfg.timeout.as_secs_f64()).into());
    lab.insert("stall_s".into(), (cfg.stall.as_secs_f64()).into());
    if !workload_answer.is_empty() {
        lab.insert("guest_dirtier".into(), workload_answer.clone().into());
    }
    lab.insert("domain_xml".into(), "domain.xml".into());
    lab.insert("log".into(), "record.log".into());
    let mut meta = RunMeta {
        name: dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        description,
        recorded_at,
        complete: false,
        outcome: None,
        source: cfg.source.name.clone(),
        destination: cfg.destination.name.clone(),
        source_ip: cfg.source.ip.clone(),
        destination_ip: cfg.destination.ip.clone(),
        accel: facts.accel.clone(),
        qemu_version: facts.qemu_version.clone(),
        libvirt_version: facts.libvirt_version.clone(),
        memory_mib: facts.memory_mib,
        vcpus: facts.vcpus,
        workload: recorded_workload,
        link_mbit_s: cfg.link_mbit_s,
        link_rtt_ms: cfg.link_rtt_ms,
        storage_kind: facts.storage_kind.clone(),
        bandwidth_mib_s: cfg.spec.bandwidth_mib_s,
        downtime_limit_ms: cfg.spec.downtime_limit_ms,
        auto_converge: cfg.spec.auto_converge,
        postcopy: cfg.spec.postcopy,
        direction: cfg.direction.clone(),
        ping_interval_s: cfg.ping_interval_s,
        pvs: cfg.pvs.clone(),
        scan_period_s: cfg.scan_period_s,
        counting_modulo: cfg.counting_modulo,
        files,
        lab,
    };

    // --- recorders -------------------------------------------------------------------
    let ping_path = dir.join("ping.log");
    let pinger = PingRecorder::start(&cfg.guest_ip, cfg.ping_interval_s, &ping_path)?;
    let monitors = if cfg.pvs.is_empty() {
        None
    } else {
        Some(pv::spawn_monitors(&cfg.pvs, &dir.join("camonitor.log"))?)
    };
    // provisional manifest: a recorder killed from here on still leaves a bundle
    meta.write(&dir)?;
    log.say(&format!(
        "recording: ping {}, {} PV(s)",
        pinger.command,
        cfg.pvs.len()
    ));

    let mut interrupted = sleep_or_interrupt(cfg.settle + cfg.lead, &mut intr).await;
    let mut abort_reason: Option<String> = None;
    let mut error: Option<String> = None;
    let mut outcome = Outcome::Aborted;
    let mut migrate_wall_s = 0.0;
    let poller = JobPoller::new();
    let mut max_iteration = 0;
    let mut samples = 0;
    let mut last_active = None;
    let mut completed_stats = None;
    let mut completed_from = "";

    if interrupted {
        abort_reason = Some("interrupted before the migration started".into());
        log.say("interrupted before the migration started: no job was run");
    } else {
        // --- the job ---------------------------------------------------------------
        let (suri, duri, name) = (
            cfg.source.uri.clone(),
            cfg.destination.uri.clone(),
            cfg.domain.clone(),
        );
        let (sconn, dconn, dom) = blocking(move || {
            let s = migrate::open(&suri)?;
            let d = migrate::open(&duri)?;
            let dom = migrate::lookup(&s, &suri, &name)?;
            Ok((s, d, dom))
        })
        .await?;
        // the poller gets its own connection so that its calls never queue behind the
        // long migrate RPC
        let (pstate, pstop) = (poller.state.clone(), poller.stop.clone());
        let (suri, name, period) = (
            cfg.source.uri.clone(),
            cfg.domain.clone(),
            cfg.sample_period,
        );
        let mut jf = jobstats_file;
        let poll_task = spawn_blocking(move || {
            let p = JobPoller {
                state: pstate,
                stop: pstop,
            };
            if let Ok(c) = Connect::open(Some(&suri))
                && let Ok(dom) = c.lookup_domain_by_name(&name)
            {
                p.run(&dom, &mut jf, period);
            }
        });
        let spec = cfg.spec.clone();
        let (mdom, mdconn) = (dom.clone(), dconn.clone());
        // the host right before the call: its load is a term of `fit`'s breakdown
        let host = HostState::read();
        log.say(&host.summary());
        host.insert_into(&mut meta.lab);
        log.say(&format!(
            "migrate: {}",
            meta.lab["migrate_call"].as_str().unwrap_or("")
        ));
        let t0 = Instant::now();
        let mut mig = spawn_blocking(move || migrate::migrate(&mdom, &mdconn, &spec));
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        let mut postcopy_started = false;
        let mut result: Option<Result<(), String>> = None;
        while result.is_none() && abort_reason.is_none() {
            tokio::select! {
                r = &mut mig => {
                    result = Some(r.unwrap_or_else(|e| Err(format!("migration task: {e}"))));
                }
                r = intr.wait_for(|v| *v) => {
                    if r.is_ok() {
                        interrupted = true;
                        abort_reason = Some("interrupted (SIGINT/SIGTERM)".into());
                    }
                }
                _ = tick.tick() => {
                    let (stalled, first_pass_done) = {
                        let st = poller.state.lock().unwrap_or_else(|p| p.into_inner());
                        if let Some(s) = &st.latest {
                            rep.progress(&s.progress_text());
                        }
                        (
                            st.saw_active
                                && st.last_progress.is_some_and(|t| t.elapsed() >= cfg.stall),
                            st.max_iteration >= 2,
                        )
                    };
                    if t0.elapsed() >= cfg.timeout {
                        abort_reason = Some(format!("timeout after {} s", cfg.timeout.as_secs_f64()));
                    } else if stalled {
                        abort_reason = Some(format!("stalled: no data sent for {} s", cfg.stall.as_secs_f64()));
                    } else if cfg.spec.postcopy && cfg.spec.postcopy_after_precopy
                        && first_pass_done && !postcopy_started {
                        postcopy_started = true;
                        let d = dom.clone();
                        let r = spawn_blocking(move || migrate::start_postcopy(&d)).await;
                        log.say(&match r {
                            Ok(Ok(())) => "switched to post-copy after the first pass".to_string(),
                            Ok(Err(e)) => format!("post-copy switch refused: {e}"),
                            Err(e) => format!("post-copy switch task: {e}"),
                        });
                    }
                }
            }
        }
        if let Some(reason) = &abort_reason {
            log.say(&format!(
                "aborting the job ({reason}): virDomainAbortJob on {}",
                cfg.source.uri
            ));
            let d = dom.clone();
            match spawn_blocking(move || migrate::abort_job(&d)).await {
                Ok(Ok(())) => log.say("abort accepted"),
                Ok(Err(e)) => log.say(&format!("abort: {e}")),
                Err(e) => log.say(&format!("abort task: {e}")),
            }
            // the job ends when QEMU has cancelled; a second Ctrl-C does not skip this
            match tokio::time::timeout(Duration::from_secs(90), &mut mig).await {
                Ok(r) => result = Some(r.unwrap_or_else(|e| Err(format!("migration task: {e}")))),
                Err(_) => {
                    log.say("FAULT: the job did not end within 90 s of the abort");
                    error = Some("job did not end after abort".into());
                }
            }
        }
        migrate_wall_s = t0.elapsed().as_secs_f64();
        rep.progress("job ended: collecting its statistics, recording the tail");
        outcome = match (&result, &abort_reason) {
            (Some(Ok(())), _) => Outcome::Completed,
            (_, Some(_)) => Outcome::Aborted,
            (Some(Err(_)), None) => Outcome::Failed,
            (None, None) => Outcome::Failed,
        };
        if let Some(Err(e)) = &result {
            log.say(&format!(
                "migration ended with an error after {migrate_wall_s:.2} s: {e}"
            ));
            if abort_reason.is_none() {
                error = Some(e.clone());
                // any error aborts the job: make sure nothing is left running
                let d = dom.clone();
                if let Ok(Err(e)) = spawn_blocking(move || migrate::abort_job(&d)).await {
                    log.say(&format!("abort after the error: {e}"));
                }
            }
        } else if outcome == Outcome::Completed {
            log.say(&format!("migration completed after {migrate_wall_s:.2} s"));
        }
        // one more sample of the end state, then stop the poller
        tokio::time::sleep(cfg.sample_period * 3).await;
        poller.stop.store(true, Ordering::Release);
        let _ = poll_task.await;
        {
            let st = poller.state.lock().unwrap_or_else(|p| p.into_inner());
            max_iteration = st.max_iteration;
            samples = st.samples;
            last_active = st.last_active.clone();
        }

        // --- the completed job's statistics ----------------------------------------
        let (d2, dname, duri) = (dom.clone(), cfg.domain.clone(), cfg.destination.uri.clone());
        let src_done = spawn_blocking(move || get_job_stats(&d2, true)).await;
        let dst_done = spawn_blocking(move || {
            let c = Connect::open(Some(&duri)).ok()?;
            let d = c.lookup_domain_by_name(&dname).ok()?;
            get_job_stats(&d, true).ok()
        })
        .await
        .ok()
        .flatten();
        let useful = |s: &JobSample| s.job_type != 0 && !s.params.is_empty();
        let mut jf = OpenOptions::new()
            .append(true)
            .open(&jobstats_path)
            .map_err(|e| LabError::io(&jobstats_path, e))?;
        match src_done {
            Ok(Ok(s)) if useful(&s) => {
                let _ = jf.write_all(format!("{}\n", s.to_json_line()).as_bytes());
                completed_from = "source";
                completed_stats = Some(s);
            }
            _ => {}
        }
        if let Some(s) = dst_done.filter(useful) {
            if completed_stats.is_none() {
                let _ = jf.write_all(format!("{}\n", s.to_json_line()).as_bytes());
                completed_from = "destination";
                completed_stats = Some(s);
            } else {
                let p = dir.join("jobstats-completed-destination.jsonl");
                std::fs::write(&p, format!("{}\n", s.to_json_line()))
                    .map_err(|e| LabError::io(&p, e))?;
                meta.files.push(file(
                    "jobstats-completed-destination.jsonl",
                    "jobstats-jsonl",
                    "log",
                    &format!(
                        "virDomainGetJobStats(VIR_DOMAIN_JOB_STATS_COMPLETED) on {}",
                        cfg.destination.uri
                    ),
                ));
            }
        }
        if let Some(s) = &completed_stats {
            log.say(&format!(
                "completed job ({completed_from}): {}, downtime {} ms",
                s.progress_text(),
                s.get_u64("downtime").map_or("?".into(), |d| d.to_string())
            ));
        } else {
            log.say(
                "no completed job statistics on either host (libvirt keeps none for an aborted job, nor a transient source)",
            );
        }
        drop((sconn, dconn));
    }

    // --- where the guest runs now ------------------------------------------------------
    let mut report = None;
    for _ in 0..30 {
        let (s, d, n) = (
            cfg.source.clone(),
            cfg.destination.clone(),
            cfg.domain.clone(),
        );
        let r = spawn_blocking(move || placement(&s, &d, &n))
            .await
            .map_err(|e| LabError::NotReady(e.to_string()))?;
        let ok = r.ok();
        report = Some(r);
        if ok {
            break;
        }
        // the destination's incoming QEMU is torn down a moment after an abort
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let report = report.expect("at least one placement check");
    log.say(&report.to_string());

    // --- tail, then stop the recorders -------------------------------------------------
    if !interrupted {
        log.say(&format!("recording {} s more", cfg.tail.as_secs_f64()));
        if sleep_or_interrupt(cfg.tail, &mut intr).await {
            interrupted = true;
            log.say("interrupted during the tail: recording cut short");
        }
    }
    pinger.stop().await;
    let (pv_updates, pv_disconnects) = match monitors {
        Some(m) => m.stop().await,
        None => (0, 0),
    };
    let ping_text = std::fs::read_to_string(&ping_path).unwrap_or_default();
    let ping_counts = ping::footer_counts(&ping_text);
    let ping_longest_gap = ping::longest_gap(&ping_text);

    // planned ends (completed, or aborted at the timeout) keep the bundle complete;
    // interrupts, stalls, failures and a guest not on exactly one host do not
    let planned_abort = abort_reason
        .as_deref()
        .is_some_and(|r| r.starts_with("timeout"));
    let complete = !interrupted
        && error.is_none()
        && report.ok()
        && (outcome == Outcome::Completed || (outcome == Outcome::Aborted && planned_abort));
    meta.complete = complete;
    meta.outcome = Some(outcome);
    meta.lab.insert("guest_after".into(), report.host().into());
    meta.lab
        .insert("placement".into(), report.to_string().into());
    meta.lab.insert(
        "migrate_wall_s".into(),
        ((migrate_wall_s * 1000.0).round() / 1000.0).into(),
    );
    meta.lab.insert(
        "aborted_because".into(),
        abort_reason.clone().unwrap_or_default().into(),
    );
    meta.lab
        .insert("error".into(), error.clone().unwrap_or_default().into());
    meta.lab.insert("interrupted".into(), interrupted.into());
    if !completed_from.is_empty() {
        meta.lab
            .insert("completed_stats_from".into(), completed_from.into());
    }
    meta.write(&dir)?;
    log.say(&format!(
        "outcome {}, complete = {complete}; {}",
        outcome.as_str(),
        report
    ));
    Ok(RunResult {
        dir,
        outcome,
        complete,
        abort_reason,
        error,
        interrupted,
        placement: report,
        completed_stats,
        max_iteration,
        last_active,
        samples,
        ping: ping_counts,
        ping_longest_gap,
        pv_updates,
        pv_disconnects,
        migrate_wall_s,
    })
}

/// The default description: what ran, in words.
fn describe(cfg: &RunConfig, f: &Facts, w: Option<Workload>) -> String {
    let mut s = match w {
        Some(w) if w.rate > 0 => {
            format!("dirtying {} page-writes/s over {} MiB,", w.rate, w.wws_mib)
        }
        Some(_) => "idle".into(),
        None => "workload unknown,".into(),
    };
    s.push_str(&format!(" {} MiB guest,", f.memory_mib));
    match cfg.spec.bandwidth_mib_s {
        Some(b) => s.push_str(&format!(" {b} MiB/s cap,")),
        None => s.push_str(" no bandwidth cap,"),
    }
    if let Some(d) = cfg.spec.downtime_limit_ms {
        s.push_str(&format!(" downtime limit {d} ms,"));
    }
    if cfg.spec.auto_converge {
        s.push_str(" auto-converge,");
    }
    if cfg.spec.postcopy {
        s.push_str(" post-copy,");
    }
    s.push_str(&format!(
        " {}, {}, recorded by migbench record",
        cfg.direction, f.accel
    ));
    s
}

/// The default bundle path for run `i` (1-based) of `n`: `base` itself for one run,
/// else `base-<i>-<a2b|b2a>`.
pub fn run_dir(base: &Path, i: usize, n: usize, direction: &str) -> PathBuf {
    if n <= 1 {
        return base.to_path_buf();
    }
    let d = if direction == "A->B" { "a2b" } else { "b2a" };
    let mut name = base
        .file_name()
        .map(|s| s.to_os_string())
        .unwrap_or_default();
    name.push(format!("-{i}-{d}"));
    base.with_file_name(name)
}

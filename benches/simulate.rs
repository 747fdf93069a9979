//! Simulator speed: a 4 GiB seed-scale migration (target: 5 ms or less) and a 1 TiB
//! guest at 10 Gb/s with 1 M page writes/s (target: at least 500 times faster than the
//! migration it models), and a 1000-scenario sweep (target: 10 s or less on 2 cores).
//! Run with `cargo bench --bench simulate`.

use criterion::{Criterion, criterion_group, criterion_main};
use migbench::model::{ModelParams, simulate};
use migbench::scenario;
use migbench::whatif::{sweep, vary};
use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

fn params(toml: &str) -> ModelParams {
    scenario::parse(toml, Path::new("bench.toml"))
        .expect("bench scenario")
        .params
}

/// The seed's set-up (scenarios/ihep-epics-demo.toml) with a 4 GiB guest.
const SEED_4GIB: &str = r#"
[guest]
memory_mib = 4096
[workload]
zero_fraction = 0.6
wws_mib = 16
hot_writes_per_s = 200
cold_writes_per_s = 5
[link]
bandwidth_mbit_s = 1000
[migration]
downtime_limit_ms = 30
max_bandwidth_mib_s = 32
[storage]
kind = "nfs"
"#;

/// A 1 TiB guest on a 10 Gb/s link writing 1 M pages/s: 990 k/s into a 256 MiB
/// working set and 10 k/s spread over the rest of its non-zero memory.
const TIB_10G_1M: &str = r#"
[guest]
memory_mib = 1048576
[workload]
zero_fraction = 0.5
wws_mib = 256
hot_writes_per_s = 990000
cold_writes_per_s = 10000
[link]
bandwidth_mbit_s = 10000
[migration]
downtime_limit_ms = 300
"#;

fn report_speedup(name: &str, p: &ModelParams) {
    let start = Instant::now();
    let o = simulate(p, 1);
    let wall = start.elapsed().as_secs_f64();
    let modelled = o.total_time_ns as f64 / 1e9;
    eprintln!(
        "{name}: verdict {}, models {modelled:.1} s of migration in {:.1} ms of wall time: {:.0}x faster",
        o.verdict,
        wall * 1e3,
        modelled / wall
    );
}

fn bench(c: &mut Criterion) {
    let seed = params(SEED_4GIB);
    let tib = params(TIB_10G_1M);
    report_speedup("seed-scale 4 GiB", &seed);
    report_speedup("1 TiB at 10 Gb/s, 1 M writes/s", &tib);

    c.bench_function("seed-scale 4 GiB", |b| {
        b.iter(|| simulate(black_box(&seed), 1))
    });
    let mut g = c.benchmark_group("large");
    g.sample_size(10);
    g.bench_function("1 TiB at 10 Gb/s, 1 M writes/s", |b| {
        b.iter(|| simulate(black_box(&tib), 1))
    });
    // 40 write rates x 25 working sets on the heavy-CPU seed scenario, two threads.
    let base = scenario::load(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/scenarios/ihep-heavy-cpu.toml"
    )))
    .expect("shipped scenario")
    .file;
    let grid = [
        vary::parse("write_rate=1000..40000:40").expect("spec"),
        vary::parse("wws=16..256:25:log").expect("spec"),
    ];
    g.bench_function("sweep of 1000 scenarios, 2 threads", |b| {
        b.iter(|| sweep::run(black_box(&base), &grid, None, 1, 2, &|| {}).expect("sweep"))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

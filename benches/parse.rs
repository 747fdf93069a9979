//! Parse throughput on large generated logs: `ping -D -O` and `camonitor -tsc`, 50+ MB each.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use migbench::trace::camonitor::{self, CamonitorOptions};
use migbench::trace::{UtcOffset, ping};
use std::fmt::Write;
use std::hint::black_box;

/// Size each generated log reaches at least.
const TARGET_BYTES: usize = 50 * 1024 * 1024;

/// A `ping -D -O -i 0.1` log with a lost run every 1000 probes and a footer.
fn ping_log() -> String {
    let mut s = String::with_capacity(TARGET_BYTES + 4096);
    s.push_str("PING 192.0.2.10 (192.0.2.10) 56(84) bytes of data.\n");
    let t0: u64 = 1_764_118_923_000_000;
    let mut seq: u64 = 1;
    while s.len() < TARGET_BYTES {
        let t = t0 + seq * 100_000;
        let lost = seq % 1000 >= 990;
        if lost {
            let _ = writeln!(
                s,
                "[{}.{:06}] no answer yet for icmp_seq={}",
                t / 1_000_000,
                t % 1_000_000,
                seq % 65536
            );
        } else {
            let rtt = 300 + (seq * 7919) % 500;
            let _ = writeln!(
                s,
                "[{}.{:06}] 64 bytes from 192.0.2.10: icmp_seq={} ttl=64 time=0.{:03} ms",
                (t + rtt) / 1_000_000,
                (t + rtt) % 1_000_000,
                seq % 65536,
                rtt
            );
        }
        seq += 1;
    }
    let _ = write!(
        s,
        "\n--- 192.0.2.10 ping statistics ---\n{} packets transmitted, {} received, 1% packet loss, time {}ms\n\
rtt min/avg/max/mdev = 0.300/0.550/0.799/0.144 ms\n",
        seq - 1,
        seq - 1 - (seq - 1) / 100,
        (seq - 1) * 100
    );
    s
}

/// Civil date-time text of Unix microseconds (UTC), as camonitor prints it.
fn stamp(s: &mut String, us: u64) {
    let secs = us / 1_000_000;
    let days = (secs / 86_400) as i64;
    let (y, m, d) = migbench::trace::time::civil_from_days(days);
    let sod = secs % 86_400;
    let _ = write!(
        s,
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02}.{:06}",
        sod / 3600,
        (sod % 3600) / 60,
        sod % 60,
        us % 1_000_000
    );
}

/// A `camonitor -tsc` log of two interleaved PVs, one counting 0..9, with some alarms.
fn camonitor_log() -> String {
    let mut s = String::with_capacity(TARGET_BYTES + 4096);
    let t0: u64 = 1_764_118_923_000_000;
    let mut i: u64 = 0;
    while s.len() < TARGET_BYTES {
        let t = t0 + i * 100_000;
        let (name, value) = if i.is_multiple_of(2) {
            ("rootHost:calcExample", format!("{}", (i / 2) % 10))
        } else {
            (
                "rootHost:ai1",
                format!("{:.4}", ((i / 2) % 10) as f64 + 0.1234),
            )
        };
        let _ = write!(s, "{name:<30} ");
        stamp(&mut s, t);
        s.push('(');
        stamp(&mut s, t + 1200 + (i * 37) % 900);
        s.push(')');
        if i.is_multiple_of(97) {
            let _ = writeln!(s, " {value} HIGH MINOR");
        } else {
            let _ = writeln!(s, " {value}  ");
        }
        i += 1;
    }
    s
}

fn bench(c: &mut Criterion) {
    let p = ping_log();
    let cam = camonitor_log();
    let opts = CamonitorOptions::new(UtcOffset::UTC);
    // Fail loudly if the generators and parsers drift apart: a benchmark of errors is worthless.
    assert!(ping::parse(&p, "bench").is_ok());
    assert!(camonitor::parse(&cam, "bench", &opts).is_ok());
    let mut g = c.benchmark_group("parse");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(p.len() as u64));
    g.bench_function("ping_-D_-O", |b| {
        b.iter(|| ping::parse(black_box(&p), "bench").map(|l| l.events.len()))
    });
    g.throughput(Throughput::Bytes(cam.len() as u64));
    g.bench_function("camonitor_-tsc", |b| {
        b.iter(|| camonitor::parse(black_box(&cam), "bench", &opts).map(|l| l.records.len()))
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

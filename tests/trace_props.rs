//! Property tests: no parser panics on any input, and printed-then-parsed values round-trip.

use migbench::replay::observed::{self, PvParams};
use migbench::trace::camonitor::{self, CaTimeMode, CamonitorOptions};
use migbench::trace::time::{format_rfc3339_us, parse_rfc3339_ns};
use migbench::trace::{
    Format, UtcOffset, archiver, detect_format, domjobinfo, fping, job, jobstats, phoebus, ping,
    pv, query_migrate,
};
use proptest::prelude::*;

/// Runs every parser (and the analyses behind them) on `text`; only panics matter.
fn run_all(text: &str) {
    let _ = detect_format(text);
    if let Ok(l) = ping::parse(text, "p") {
        let _ = observed::ping_outage(&l, 100.0);
    }
    if let Ok(l) = fping::parse(text, "f") {
        for h in &l.hosts {
            let _ = observed::ping_outage(h, 100.0);
        }
    }
    let params = PvParams {
        scan_period_ms: 100.0,
        counting_modulo: Some(10),
        switch_unix_ns: None,
    };
    for mode in [
        CaTimeMode::Absolute,
        CaTimeMode::Relative,
        CaTimeMode::Incremental,
        CaTimeMode::IncrementalByChannel,
    ] {
        let mut o = CamonitorOptions::new(UtcOffset::UTC);
        o.time_mode = mode;
        o.allow_unstamped = mode == CaTimeMode::Relative;
        if let Ok(l) = camonitor::parse(text, "c", &o) {
            let _ = observed::analyse_pvs(&pv::from_camonitor(&l), &Default::default(), &params);
        }
    }
    if let Ok(e) = phoebus::parse(text, "ph", UtcOffset::UTC) {
        let _ = observed::analyse_pvs(&pv::from_phoebus(&e), &Default::default(), &params);
    }
    if let Ok(d) = archiver::parse_json(text, "aj") {
        let _ = pv::from_archiver(&d);
    }
    if let Ok(d) = archiver::parse_csv(text, "ac", "pv") {
        let _ = pv::from_archiver(&d);
    }
    if let Ok(j) = domjobinfo::parse(text, "d") {
        let _ = observed::migration_window(&[job::from_domjobinfo(&j)]);
    }
    if let Ok(s) = domjobinfo::parse_series(text, "ds") {
        let _ = observed::migration_window(&job::from_domjobinfo_series(&s));
    }
    if let Ok(l) = jobstats::parse(text, "j") {
        let _ = observed::migration_window(&job::from_jobstats(&l));
    }
    if let Ok(l) = query_migrate::parse(text, "q") {
        let _ = observed::migration_window(&job::from_query_migrate(&l));
    }
}

/// Line fragments the real tools print, to steer random input near the grammar.
fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("[1764118000.100123] ".to_owned()),
        Just("64 bytes from 192.0.2.10: icmp_seq=".to_owned()),
        Just(" ttl=64 time=0.412 ms".to_owned()),
        Just("no answer yet for icmp_seq=".to_owned()),
        Just("From 192.0.2.1 icmp_seq=".to_owned()),
        Just("--- x ping statistics ---".to_owned()),
        Just("6 packets transmitted, 4 received, +1 duplicates, 33% packet loss, time 503ms".to_owned()),
        Just("rtt min/avg/max/mdev = 0.3/0.4/0.5/0.1 ms".to_owned()),
        Just("ioc : [3], 64 bytes, 0.43 ms (0.43 avg, 0% loss)".to_owned()),
        Just("ioc : xmt/rcv/%loss = 3/2/33%".to_owned()),
        Just("rootHost:calcExample           ".to_owned()),
        Just("2025-11-26 01:02:03.000000".to_owned()),
        Just("(2025-11-26 01:02:03.001200)".to_owned()),
        Just("              +1.000000".to_owned()),
        Just(" *** disconnected".to_owned()),
        Just("<undefined>".to_owned()),
        Just(" HIGH MINOR".to_owned()),
        Just("# Time\tValue\tSeverity\tStatus".to_owned()),
        Just("# Channel: a".to_owned()),
        Just("2025-11-26 01:02:03.000\t5\tNONE\tNO_ALARM".to_owned()),
        Just("[{\"meta\": {\"name\": \"a\"}, \"data\": [{\"secs\": 1, \"nanos\": 2, \"val\": 3, \"severity\": 0, \"status\": 0}]}]".to_owned()),
        Just("1764118923,5.0,0,0,1000".to_owned()),
        Just("Job type:         Unbounded   ".to_owned()),
        Just("Memory processed: 114.281 MiB".to_owned()),
        Just("Time elapsed:     4203         ms".to_owned()),
        Just("1764118923.100000000".to_owned()),
        Just("{\"t\": 1764118923.5, \"completed\": true, \"time_elapsed\": 500}".to_owned()),
        Just("1764118923.25 {\"return\": {\"status\": \"active\", \"ram\": {\"mbps\": 2.5}}}".to_owned()),
        "[0-9]{1,6}".prop_map(|s| s),
        "[ -~]{0,12}".prop_map(|s| s),
        Just("\n".to_owned()),
        Just("é\u{0}\u{feff}".to_owned()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn never_panics_on_arbitrary_text(s in any::<String>()) {
        run_all(&s);
    }

    #[test]
    fn never_panics_on_tool_like_lines(parts in prop::collection::vec(fragment(), 0..24)) {
        let text = parts.concat();
        run_all(&text);
        run_all(&text.replace('\n', "\r\n"));
    }

    #[test]
    fn utc_offsets_round_trip(mins in -18i32 * 60..=18 * 60) {
        let o = UtcOffset { seconds: mins * 60 };
        prop_assert_eq!(o.to_string().parse::<UtcOffset>().unwrap(), o);
    }

    #[test]
    fn rfc3339_round_trips(us in -2_000_000_000_000_000i64..8_000_000_000_000_000i64) {
        let t = us * 1000;
        prop_assert_eq!(parse_rfc3339_ns(&format_rfc3339_us(t)), Some(t));
    }

    #[test]
    fn ping_lines_round_trip(rows in prop::collection::vec((1u64..65_535, 0u64..2_000_000, any::<bool>()), 1..50)) {
        // Print replies the way iputils does, parse them back.
        let mut text = String::new();
        let mut t = 1_764_118_000_000_000u64;
        for (seq, rtt_us, dup) in &rows {
            t += 1000;
            let ms = if *rtt_us >= 100_000 { format!("{}", (rtt_us + 500) / 1000) } else { format!("{}.{:03}", rtt_us / 1000, rtt_us % 1000) };
            text.push_str(&format!("[{}.{:06}] 64 bytes from 192.0.2.10: icmp_seq={seq} ttl=64 time={ms} ms{}\n",
                t / 1_000_000, t % 1_000_000, if *dup { " (DUP!)" } else { "" }));
        }
        let log = ping::parse(&text, "p").unwrap();
        prop_assert_eq!(log.events.len(), rows.len());
        for (ev, (_, rtt_us, dup)) in log.events.iter().zip(&rows) {
            let want = if *rtt_us >= 100_000 { (rtt_us + 500) / 1000 * 1000 } else { *rtt_us };
            match &ev.kind {
                ping::PingEventKind::Reply { rtt_us: got, duplicate, .. } => {
                    prop_assert_eq!(*got, Some(want));
                    prop_assert_eq!(duplicate, dup);
                }
                other => prop_assert!(false, "unexpected {:?}", other),
            }
        }
    }

    #[test]
    fn camonitor_values_round_trip(vals in prop::collection::vec(-1e9f64..1e9, 1..40)) {
        let mut text = String::new();
        for (i, v) in vals.iter().enumerate() {
            text.push_str(&format!("{:<30} 2025-11-26 01:02:{:02}.000000(2025-11-26 01:02:{:02}.500000) {v}  \n", "pv", i % 60, i % 60));
        }
        let log = camonitor::parse(&text, "c", &CamonitorOptions::new(UtcOffset::UTC));
        prop_assert!(log.is_ok());
        let samples = pv::from_camonitor(&log.unwrap());
        let got: Vec<f64> = samples.iter().filter_map(|s| s.value.as_ref()?.as_f64()).collect();
        prop_assert_eq!(got, vals);
    }
}

#[test]
fn format_names_parse_back() {
    for f in Format::ALL {
        assert_eq!(f.to_string().parse::<Format>(), Ok(f));
    }
}

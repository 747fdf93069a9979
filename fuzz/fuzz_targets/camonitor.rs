#![no_main]
//! Fuzzes the camonitor parser (options chosen by the first byte) and the PV analysis: any bytes give a result or an error, never a panic.

use libfuzzer_sys::fuzz_target;
use migbench::replay::observed;
use migbench::trace;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = trace::text_from_bytes(data, "fuzz", "text") else {
        return;
    };
    let _ = trace::detect_format(text);
    let mut opts = trace::camonitor::CamonitorOptions::new(trace::UtcOffset::UTC);
    let sel = data.first().copied().unwrap_or(0);
    opts.time_mode = match sel % 4 {
        0 => trace::camonitor::CaTimeMode::Absolute,
        1 => trace::camonitor::CaTimeMode::Relative,
        2 => trace::camonitor::CaTimeMode::Incremental,
        _ => trace::camonitor::CaTimeMode::IncrementalByChannel,
    };
    if sel & 4 != 0 {
        opts.separator = b',';
    }
    opts.allow_unstamped = sel & 8 != 0;
    let Ok(log) = trace::camonitor::parse(text, "fuzz", &opts) else {
        return;
    };
    let samples = trace::pv::from_camonitor(&log);
    let default = observed::PvParams {
        scan_period_ms: 100.0,
        counting_modulo: Some(10),
        switch_unix_ns: None,
    };
    let _ = observed::analyse_pvs(&samples, &Default::default(), &default);
});

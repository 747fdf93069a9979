#![no_main]
//! Fuzzes the Phoebus Data Browser export parser: any bytes give a result or an error, never a panic.

use libfuzzer_sys::fuzz_target;
use migbench::replay::observed;
use migbench::trace;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = trace::text_from_bytes(data, "fuzz", "text") else {
        return;
    };
    let _ = trace::detect_format(text);
    let Ok(e) = trace::phoebus::parse(text, "fuzz", trace::UtcOffset::UTC) else {
        return;
    };
    let samples = trace::pv::from_phoebus(&e);
    let default = observed::PvParams {
        scan_period_ms: 1000.0,
        counting_modulo: Some(10),
        switch_unix_ns: Some(0),
    };
    let _ = observed::analyse_pvs(&samples, &Default::default(), &default);
});

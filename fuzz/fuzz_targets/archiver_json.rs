#![no_main]
//! Fuzzes the Archiver Appliance JSON parser: any bytes give a result or an error, never a panic.

use libfuzzer_sys::fuzz_target;
use migbench::replay::observed;
use migbench::trace;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = trace::text_from_bytes(data, "fuzz", "text") else {
        return;
    };
    let _ = trace::detect_format(text);
    let Ok(d) = trace::archiver::parse_json(text, "fuzz") else {
        return;
    };
    let samples = trace::pv::from_archiver(&d);
    let default = observed::PvParams {
        scan_period_ms: 1000.0,
        counting_modulo: None,
        switch_unix_ns: None,
    };
    let _ = observed::analyse_pvs(&samples, &Default::default(), &default);
});

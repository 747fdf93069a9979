#![no_main]
//! Fuzzes the iputils ping parser and the outage measure: any bytes give a result or an error, never a panic.

use libfuzzer_sys::fuzz_target;
use migbench::replay::observed;
use migbench::trace;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = trace::text_from_bytes(data, "fuzz", "text") else {
        return;
    };
    let _ = trace::detect_format(text);
    let Ok(log) = trace::ping::parse(text, "fuzz") else {
        return;
    };
    let _ = observed::ping_outage(&log, 100.0);
});

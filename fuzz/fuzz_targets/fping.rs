#![no_main]
//! Fuzzes the fping parser and the outage measure per host: any bytes give a result or an error, never a panic.

use libfuzzer_sys::fuzz_target;
use migbench::replay::observed;
use migbench::trace;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = trace::text_from_bytes(data, "fuzz", "text") else {
        return;
    };
    let _ = trace::detect_format(text);
    let Ok(log) = trace::fping::parse(text, "fuzz") else {
        return;
    };
    for h in &log.hosts {
        let _ = observed::ping_outage(h, 25.0);
    }
});

#![no_main]
//! Fuzzes the Archiver Appliance CSV parser: any bytes give a result or an error, never a panic.

use libfuzzer_sys::fuzz_target;
use migbench::trace;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = trace::text_from_bytes(data, "fuzz", "text") else {
        return;
    };
    let _ = trace::detect_format(text);
    let Ok(d) = trace::archiver::parse_csv(text, "fuzz", "pv") else {
        return;
    };
    let _ = trace::pv::from_archiver(&d);
});

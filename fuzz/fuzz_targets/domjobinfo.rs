#![no_main]
//! Fuzzes the single virsh domjobinfo parser: any bytes give a result or an error, never a panic.

use libfuzzer_sys::fuzz_target;
use migbench::replay::observed;
use migbench::trace;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = trace::text_from_bytes(data, "fuzz", "text") else {
        return;
    };
    let _ = trace::detect_format(text);
    let Ok(j) = trace::domjobinfo::parse(text, "fuzz") else {
        return;
    };
    let _ = observed::migration_window(&[trace::job::from_domjobinfo(&j)]);
});

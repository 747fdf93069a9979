#![no_main]
//! Fuzzes the QEMU query-migrate parser and the migration window: any bytes give a result or an error, never a panic.

use libfuzzer_sys::fuzz_target;
use migbench::replay::observed;
use migbench::trace;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = trace::text_from_bytes(data, "fuzz", "text") else {
        return;
    };
    let _ = trace::detect_format(text);
    let Ok(l) = trace::query_migrate::parse(text, "fuzz") else {
        return;
    };
    let _ = observed::migration_window(&trace::job::from_query_migrate(&l));
});

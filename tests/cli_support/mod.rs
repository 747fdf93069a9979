//! Running the `migbench` binary from the integration tests, as users run it.
#![allow(dead_code)] // each test crate uses its own share of these

use std::process::{Command, Output};

/// Runs `migbench args` in the crate's directory.
pub fn migbench(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_migbench"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run migbench")
}

/// Runs `migbench args`, asserts it succeeded and returns its standard output.
pub fn stdout_ok(args: &[&str]) -> String {
    let out = migbench(args);
    assert!(
        out.status.success(),
        "migbench {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

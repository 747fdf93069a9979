//! The `migbench` command line: thin wrappers over the library, human tables by
//! default and `--json` for scripts. Exit status: 0 success, 2 bad input (flags,
//! scenarios, traces), 1 anything else.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}

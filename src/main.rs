//! The `migbench` command line: thin wrappers over the library, human tables by
//! default and `--json` for scripts. Exit status: 0 success, 2 bad input (flags,
//! scenarios, traces), 1 anything else.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    // Output piped into `head` and the like: end quietly when the reader goes away,
    // as other Unix tools do, instead of panicking on the broken pipe.
    // SAFETY: called before any other thread exists; SIG_DFL is a valid disposition.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    cli::main()
}

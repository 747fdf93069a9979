//! `migbench lab up|down|status`: thin wrappers over the lab's shell scripts
//! (`lab/up.sh`, `lab/down.sh`, `lab/status.sh`), which hold the whole set-up.

use super::BadInput;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Bring the lab up, tear it down, or show what is up.
///
/// The lab is two libvirt "hosts" (network + mount namespaces, each with its own
/// libvirtd), a client namespace and a small guest running a real EPICS soft IOC, all
/// on this machine. `up` installs what it needs (apt-get, pip download) and boots the
/// guest; `status` says where the guest runs and whether under KVM or TCG. Needs root.
///
/// Settings come from the environment and are passed to the scripts unchanged:
/// LAB (state dir, /var/lib/migbench-lab), LAB_NS_PREFIX (mb-), LAB_STORAGE (none|nfs),
/// LAB_GUEST_MIB (512), LAB_CACHE, LAB_NO_INSTALL=1. See lab/README.md.
///
/// Examples:
///   sudo migbench lab up
///   sudo LAB=/var/lib/my-lab LAB_NS_PREFIX=my- migbench lab status --json
///   sudo migbench lab down
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// What to do.
    #[arg(value_enum)]
    pub action: Action,
    /// Directory holding up.sh, down.sh, status.sh (default: ./lab, else the
    /// source tree's lab/).
    #[arg(long)]
    pub lab_dir: Option<PathBuf>,
}

/// `lab` actions.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Action {
    /// Install, build the guest, create namespaces, start libvirtds, boot the guest.
    Up,
    /// Stop everything of the lab and delete its namespaces and state.
    Down,
    /// What is up, URIs, versions, where the guest runs, KVM or TCG.
    Status,
}

fn lab_dir(given: Option<&Path>) -> Result<PathBuf> {
    let candidates: Vec<PathBuf> = match given {
        Some(p) => vec![p.to_path_buf()],
        None => vec![
            PathBuf::from("lab"),
            Path::new(env!("CARGO_MANIFEST_DIR")).join("lab"),
        ],
    };
    for c in &candidates {
        if c.join("up.sh").is_file() && c.join("lib.sh").is_file() {
            return Ok(c.clone());
        }
    }
    Err(BadInput(format!(
        "lab scripts not found (looked for up.sh in {}): run from the migbench source tree or pass --lab-dir",
        candidates
            .iter()
            .map(|c| c.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    ))
    .into())
}

/// Effective user id, from /proc (no libc dependency for one number).
pub fn euid() -> Option<u32> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

/// Runs the command.
pub fn run(a: &Args, json: bool) -> Result<()> {
    let dir = lab_dir(a.lab_dir.as_deref())?;
    if euid() != Some(0) {
        return Err(BadInput(format!(
            "`migbench lab {}` needs root (network namespaces, libvirtd, apt-get): run it with sudo",
            match a.action {
                Action::Up => "up",
                Action::Down => "down",
                Action::Status => "status",
            }
        ))
        .into());
    }
    let script = |name: &str| dir.join(name);
    match a.action {
        Action::Up | Action::Down => {
            let s = script(if matches!(a.action, Action::Up) {
                "up.sh"
            } else {
                "down.sh"
            });
            // the scripts' own progress goes to the terminal; with --json, stdout must
            // carry only the JSON, so their stdout goes to stderr
            let mut cmd = Command::new(&s);
            if json {
                cmd.stdout(std::io::stderr());
            }
            let st = cmd
                .status()
                .with_context(|| format!("cannot run {}", s.display()))?;
            if !st.success() {
                bail!("{} failed ({st})", s.display());
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&status_json(&dir)?)?);
            }
        }
        Action::Status => {
            if json {
                println!("{}", serde_json::to_string_pretty(&status_json(&dir)?)?);
            } else {
                let s = script("status.sh");
                let st = Command::new(&s)
                    .status()
                    .with_context(|| format!("cannot run {}", s.display()))?;
                if !st.success() {
                    bail!(
                        "the lab is not (fully) up ({} exited with {st})",
                        s.display()
                    );
                }
            }
        }
    }
    Ok(())
}

/// `status.sh`'s report as JSON: up or not, where the guest runs, the accelerator.
fn status_json(dir: &Path) -> Result<serde_json::Value> {
    let s = dir.join("status.sh");
    let out = Command::new(&s)
        .output()
        .with_context(|| format!("cannot run {}", s.display()))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    Ok(parse_status(&text, out.status.success()))
}

/// Reads the human status report (see lab/status.sh).
pub fn parse_status(text: &str, up: bool) -> serde_json::Value {
    let after = |prefix: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .map(|s| s.trim().to_string())
    };
    let guest = after("guest:").unwrap_or_default();
    // "ioc1 running on hB, accel tcg, 192.0.2.10 (ping: ok, CA: ok)"
    let host = guest
        .split(" running on ")
        .nth(1)
        .and_then(|r| r.split([',', ' ']).next())
        .map(str::to_string);
    let accel = guest
        .split("accel ")
        .nth(1)
        .and_then(|r| r.split([',', ' ']).next())
        .map(str::to_string);
    let lab = text
        .lines()
        .next()
        .and_then(|l| l.split("LAB=").nth(1))
        .and_then(|r| r.split_whitespace().next())
        .map(str::to_string);
    serde_json::json!({
        "up": up,
        "lab": lab,
        "guest_host": host,
        "accel": accel,
        "versions": after("versions:"),
        "report": text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_status_report() {
        let t = "migbench lab: LAB=/var/lib/migbench-lab prefix=mb- storage=none\n  up    netns mb-sw\n\
versions: QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18); libvirt 9.0.0\n\
guest:  ioc1 running on hB, accel tcg, 192.0.2.10 (ping: ok, CA: ok)\n";
        let v = parse_status(t, true);
        assert_eq!(v["guest_host"], "hB");
        assert_eq!(v["accel"], "tcg");
        assert_eq!(v["lab"], "/var/lib/migbench-lab");
        assert_eq!(v["up"], true);
    }
}

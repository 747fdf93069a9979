//! The ping recorder: the real iputils `ping -D -O -i 0.1`, its stdout going straight
//! into `ping.log`, stopped with SIGINT so it prints its statistics footer.

/// The ping command for a guest address and interval.
pub fn command_line(ip: &str, interval_s: f64) -> Vec<String> {
    vec![
        "ping".into(),
        "-D".into(),
        "-O".into(),
        "-i".into(),
        format!("{interval_s}"),
        ip.into(),
    ]
}

#[cfg(feature = "lab")]
pub use recorder::PingRecorder;

#[cfg(feature = "lab")]
mod recorder {
    use super::command_line;
    use crate::lab::LabError;
    use std::fs::File;
    use std::path::Path;
    use std::process::Stdio;
    use std::time::Duration;
    use tokio::process::{Child, Command};

    /// A running ping.
    pub struct PingRecorder {
        child: Child,
        /// The command line as recorded in the manifest.
        pub command: String,
    }

    impl PingRecorder {
        /// Starts ping writing into `path`. `stdbuf -oL` makes ping's stdio line-buffered,
        /// so every line reaches the file as it is printed (to a file ping's stdout would
        /// otherwise be block-buffered and a kill would lose the tail).
        pub fn start(ip: &str, interval_s: f64, path: &Path) -> Result<Self, LabError> {
            let out = File::create(path).map_err(|e| LabError::io(path, e))?;
            let args = command_line(ip, interval_s);
            let mut cmd = Command::new("stdbuf");
            cmd.arg("-oL")
                .args(&args)
                .stdin(Stdio::null())
                .stdout(Stdio::from(out))
                .stderr(Stdio::null())
                // its own process group: a Ctrl-C at the terminal reaches the recorder, which
                // aborts the migration first and stops ping afterwards, in order
                .process_group(0)
                .kill_on_drop(true);
            let child = cmd.spawn().map_err(|e| LabError::Spawn {
                what: format!("stdbuf -oL {}", args.join(" ")),
                message: e.to_string(),
            })?;
            Ok(Self {
                child,
                command: args.join(" "),
            })
        }

        /// Stops ping with SIGINT (it then prints its footer) and waits for it; kills it
        /// if it has not exited within 3 s.
        pub async fn stop(mut self) {
            if let Some(pid) = self.child.id() {
                // no libc dependency for one signal: kill(1) by pid
                let _ = Command::new("kill")
                    .args(["-INT", &pid.to_string()])
                    .status()
                    .await;
            }
            if tokio::time::timeout(Duration::from_secs(3), self.child.wait())
                .await
                .is_err()
            {
                let _ = self.child.kill().await;
            }
        }
    }
}

/// Packets transmitted and received, from ping's footer line.
pub fn footer_counts(log: &str) -> Option<(u64, u64)> {
    let line = log
        .lines()
        .rev()
        .find(|l| l.contains("packets transmitted"))?;
    let mut it = line.split(',');
    let tx = it.next()?.split_whitespace().next()?.parse().ok()?;
    let rx = it.next()?.split_whitespace().next()?.parse().ok()?;
    Some((tx, rx))
}

/// The longest run of consecutive `no answer yet` lines (unanswered probes in a row).
pub fn longest_gap(log: &str) -> u64 {
    let (mut run, mut max) = (0u64, 0u64);
    for l in log.lines() {
        if l.contains("no answer yet") {
            run += 1;
            max = max.max(run);
        } else if l.contains("bytes from") {
            run = 0;
        }
    }
    max
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_footer_and_gaps() {
        let log = "PING 192.0.2.10 (192.0.2.10) 56(84) bytes of data.\n\
[1.0] 64 bytes from 192.0.2.10: icmp_seq=1 ttl=64 time=1.29 ms\n\
[1.2] no answer yet for icmp_seq=2\n\
[1.3] no answer yet for icmp_seq=3\n\
[1.4] 64 bytes from 192.0.2.10: icmp_seq=4 ttl=64 time=1.29 ms\n\
\n--- 192.0.2.10 ping statistics ---\n\
4 packets transmitted, 2 received, 50% packet loss, time 300ms\n";
        assert_eq!(footer_counts(log), Some((4, 2)));
        assert_eq!(longest_gap(log), 2);
        assert_eq!(
            command_line("192.0.2.10", 0.1).join(" "),
            "ping -D -O -i 0.1 192.0.2.10"
        );
    }
}

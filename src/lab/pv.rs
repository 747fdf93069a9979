//! PV monitoring over Channel Access, written as `camonitor -tsc` prints it.
//!
//! Lines look exactly like EPICS base's camonitor (`tool_lib.c`) with `-tsc` and
//! `TZ=UTC`: the name left-aligned in 30 columns and a space, the IOC's (server)
//! stamp, the client's receive stamp in parentheses, the value (`%g`), then
//! ` STAT SEVR` when in alarm or two blanks when not. A lost connection is a line
//! `<name> <client time> *** disconnected`. So the camonitor parser reads what
//! `migbench record` wrote, and a user's own camonitor log reads the same.
//!
//! The formatting is pure and always built; the monitor itself needs the `lab`
//! feature (`epics-ca`, which links libca/libCom).

use super::clock;
use std::time::SystemTime;

// camonitor's alarm condition and severity names, shared with the camonitor parser
// so the recorder writes exactly what the parser reads.
use crate::trace::camonitor::{SEVERITY_NAMES as SEVERITIES, STATUS_NAMES as CONDITIONS};

/// One update as received: server stamp (None for EPICS' zero stamp), client stamp,
/// value, alarm status and severity numbers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Update {
    /// The IOC's time stamp; `None` prints `<undefined>` like camonitor.
    pub server: Option<SystemTime>,
    /// When the client received it.
    pub client: SystemTime,
    /// The value.
    pub value: f64,
    /// Alarm condition (0 = none).
    pub status: u16,
    /// Alarm severity (0 = none).
    pub severity: u16,
}

/// The name column: padded to 30 and a separating space.
fn name_col(name: &str) -> String {
    format!("{name:<30} ")
}

/// A value line in `camonitor -tsc` format (without the newline).
pub fn value_line(name: &str, u: &Update) -> String {
    let server = u
        .server
        .map_or_else(|| "<undefined>".to_string(), clock::utc_micros);
    let alarm = if u.severity == 0 {
        "  ".to_string()
    } else {
        format!(
            " {} {}",
            CONDITIONS.get(usize::from(u.status)).unwrap_or(&"?"),
            SEVERITIES.get(usize::from(u.severity)).unwrap_or(&"?")
        )
    };
    format!(
        "{}{}({}) {}{}",
        name_col(name),
        server,
        clock::utc_micros(u.client),
        format_g(u.value),
        alarm
    )
}

/// The line camonitor prints when a channel disconnects.
pub fn disconnected_line(name: &str, client: SystemTime) -> String {
    format!(
        "{}{} *** disconnected",
        name_col(name),
        clock::utc_micros(client)
    )
}

/// The line camonitor prints for a PV that did not connect within its wait time.
pub fn not_connected_line(name: &str) -> String {
    format!("{}*** Not connected (PV not found)", name_col(name))
}

/// C's `printf("%g", v)`: 6 significant digits, trailing zeros dropped, exponent form
/// below 1e-4 or from 1e6 on.
pub fn format_g(v: f64) -> String {
    if v.is_nan() {
        return if v.is_sign_negative() { "-nan" } else { "nan" }.into();
    }
    if v.is_infinite() {
        return if v < 0.0 { "-inf" } else { "inf" }.into();
    }
    if v == 0.0 {
        return if v.is_sign_negative() { "-0" } else { "0" }.into();
    }
    // the exponent after rounding to 6 significant digits decides the style
    let sci = format!("{v:.5e}");
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    if !(-4..6).contains(&exp) {
        let mant = strip_zeros(mant);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mant}e{sign}{:02}", exp.abs())
    } else {
        let decimals = (5 - exp).max(0) as usize;
        strip_zeros(&format!("{v:.decimals$}"))
    }
}

fn strip_zeros(s: &str) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s.to_string()
    }
}

#[cfg(feature = "lab")]
pub use monitor::{MonitorHandle, spawn_monitors};

#[cfg(feature = "lab")]
mod monitor {
    //! The Channel Access side: one tokio task per PV.

    use super::{Update, disconnected_line, not_connected_line, value_line};
    use crate::lab::LabError;
    use epics_ca::request::Time;
    use epics_ca::{Channel, Context, TypedChannel};
    use futures::StreamExt;
    use std::ffi::CString;
    use std::fs::File;
    use std::io::Write;
    use std::path::Path;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::{Duration, SystemTime};
    use tokio::sync::watch;
    use tokio::task::JoinHandle;

    /// How often each PV's connection state is polled: epics-ca's stream does not
    /// report disconnects, it just goes silent (see the crate notes).
    const STATE_POLL: Duration = Duration::from_millis(100);
    /// How long a PV may take to connect before the `Not connected` line is written
    /// (camonitor's default `-w` is 1 s; a TCG guest answers slower).
    const CONNECT_WAIT: Duration = Duration::from_secs(5);

    /// The running monitors; [`MonitorHandle::stop`] ends them and reports counts.
    pub struct MonitorHandle {
        stop: watch::Sender<bool>,
        tasks: Vec<JoinHandle<()>>,
        /// Value updates written, all PVs.
        pub updates: Arc<AtomicU64>,
        /// Disconnect lines written, all PVs.
        pub disconnects: Arc<AtomicU64>,
    }

    impl MonitorHandle {
        /// Stops every monitor and waits for them (each flushes as it goes).
        pub async fn stop(self) -> (u64, u64) {
            let _ = self.stop.send(true);
            for t in self.tasks {
                let _ = t.await;
            }
            (
                self.updates.load(Ordering::Relaxed),
                self.disconnects.load(Ordering::Relaxed),
            )
        }
    }

    /// Starts one monitor per PV, all writing to `path` (created), one line per event,
    /// each written straight to the file as it comes.
    pub fn spawn_monitors(pvs: &[String], path: &Path) -> Result<MonitorHandle, LabError> {
        let file = File::create(path).map_err(|e| LabError::io(path, e))?;
        let out = Arc::new(Mutex::new(file));
        let ctx = Context::new().map_err(|e| LabError::Ca(format!("CA context: {e:?}")))?;
        let (stop, stop_rx) = watch::channel(false);
        let updates = Arc::new(AtomicU64::new(0));
        let disconnects = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for name in pvs {
            let cname = CString::new(name.as_str())
                .map_err(|_| LabError::Ca(format!("PV name `{name}` contains a NUL byte")))?;
            tasks.push(tokio::spawn(monitor_one(
                ctx.clone(),
                name.clone(),
                cname,
                out.clone(),
                stop_rx.clone(),
                updates.clone(),
                disconnects.clone(),
            )));
        }
        Ok(MonitorHandle {
            stop,
            tasks,
            updates,
            disconnects,
        })
    }

    fn write_line(out: &Mutex<File>, line: &str) {
        // one write per line, so lines of different PVs never interleave; a write error
        // (disk full) must not stop the migration's safety handling, so it is ignored
        if let Ok(mut f) = out.lock() {
            let _ = f.write_all(format!("{line}\n").as_bytes());
        }
    }

    async fn monitor_one(
        ctx: Context,
        name: String,
        cname: CString,
        out: Arc<Mutex<File>>,
        mut stop: watch::Receiver<bool>,
        updates: Arc<AtomicU64>,
        disconnects: Arc<AtomicU64>,
    ) {
        let Ok(mut chan) = Channel::new(&ctx, &cname) else {
            write_line(&out, &not_connected_line(&name));
            return;
        };
        // wait for the first connection; say so after CONNECT_WAIT like camonitor
        let mut said = false;
        let connect_deadline = tokio::time::Instant::now() + CONNECT_WAIT;
        loop {
            tokio::select! {
                _ = chan.connected() => break,
                _ = tokio::time::sleep_until(connect_deadline), if !said => {
                    write_line(&out, &not_connected_line(&name));
                    said = true;
                }
                _ = stop.changed() => return,
            }
        }
        // a second channel to the same PV, only to watch the connection state: the
        // subscription borrows the first one mutably for its whole life
        let watcher = Channel::new(&ctx, &cname).ok();
        // DBR_TIME_DOUBLE whatever the native type: the server converts numbers
        let mut typed = TypedChannel::<f64>::new_unchecked(chan);
        let sub = typed.subscribe_buffered::<Time<f64>>();
        let mut sub = std::pin::pin!(sub);
        let mut poll = tokio::time::interval(STATE_POLL);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut connected = true;
        let mut watcher_seen_up = false;
        loop {
            tokio::select! {
                item = sub.next() => match item {
                    Some(Ok(t)) => {
                        let client = SystemTime::now();
                        let stamp = t.stamp;
                        let server = (stamp.sec() != 0 || stamp.nsec() != 0).then(|| stamp.to_system());
                        let u = Update {
                            server,
                            client,
                            value: t.value,
                            status: t.alarm.condition as u16,
                            severity: t.alarm.severity as u16,
                        };
                        write_line(&out, &value_line(&name, &u));
                        updates.fetch_add(1, Ordering::Relaxed);
                        connected = true;
                    }
                    Some(Err(e)) => {
                        write_line(&out, &format!("{:<30} *** CA error {e:?}", name));
                    }
                    None => break,
                },
                _ = poll.tick() => {
                    if let Some(w) = &watcher {
                        let up = w.field_type().is_ok();
                        // the watcher connects a moment after the monitored channel:
                        // until it has been up once, its state says nothing
                        watcher_seen_up |= up;
                        if !watcher_seen_up {
                            continue;
                        }
                        if connected && !up {
                            write_line(&out, &disconnected_line(&name, SystemTime::now()));
                            disconnects.fetch_add(1, Ordering::Relaxed);
                        }
                        // on reconnection the server sends the current value again,
                        // which the stream delivers: that line marks the reconnect
                        connected = up;
                    }
                }
                _ = stop.changed() => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn g_format_matches_printf() {
        for (v, s) in [
            (8.0, "8"),
            (0.5, "0.5"),
            (-3.25, "-3.25"),
            (123456.0, "123456"),
            (1234567.0, "1.23457e+06"),
            (0.0001, "0.0001"),
            (0.00001234, "1.234e-05"),
            (1.0 / 3.0, "0.333333"),
            (999999.5, "1e+06"),
            (100.0, "100"),
            (0.0, "0"),
        ] {
            assert_eq!(format_g(v), s, "{v}");
        }
    }

    #[test]
    fn lines_look_like_camonitor() {
        let t = |s: u64, us: u32| UNIX_EPOCH + Duration::new(s, us * 1000);
        let u = Update {
            server: Some(t(1_795_654_034, 41_064)),
            client: t(1_795_654_035, 781_657),
            value: 8.0,
            status: 0,
            severity: 0,
        };
        // byte for byte a line of a real `camonitor -tsc` log (TZ=UTC)
        assert_eq!(
            value_line("rootHost:calcExample", &u),
            "rootHost:calcExample           2026-11-26 00:47:14.041064(2026-11-26 00:47:15.781657) 8  "
        );
        let alarm = Update {
            status: 3,
            severity: 2,
            server: None,
            ..u
        };
        assert_eq!(
            value_line("rootHost:ai1", &alarm),
            "rootHost:ai1                   <undefined>(2026-11-26 00:47:15.781657) 8 HIHI MAJOR"
        );
        assert_eq!(
            disconnected_line("rootHost:ai1", t(1_795_654_035, 0)),
            "rootHost:ai1                   2026-11-26 00:47:15.000000 *** disconnected"
        );
        assert_eq!(
            not_connected_line("x"),
            format!("{:<30} *** Not connected (PV not found)", "x")
        );
    }
}

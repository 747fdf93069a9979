//! Where the domain runs after a run: it must be exactly one host.
//!
//! A migration that is aborted, fails or is interrupted must leave the guest running
//! on exactly one of the two hosts. The recorder asks both libvirt daemons and says
//! where; anything else (on neither, on both, paused) is reported as a fault.

use std::fmt;

/// The domain's state on one host, as libvirt reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostState {
    /// No domain of that name.
    Absent,
    /// Defined but not running (shut off).
    Inactive,
    /// Active, with libvirt's state name (`running`, `paused`, ...).
    Active(String),
    /// The daemon could not be asked.
    Unknown(String),
}

impl HostState {
    fn running(&self) -> bool {
        matches!(self, HostState::Active(s) if s == "running")
    }
    fn active(&self) -> bool {
        matches!(self, HostState::Active(_))
    }
}

impl fmt::Display for HostState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HostState::Absent => write!(f, "absent"),
            HostState::Inactive => write!(f, "shut off"),
            HostState::Active(s) => write!(f, "{s}"),
            HostState::Unknown(e) => write!(f, "unknown ({e})"),
        }
    }
}

/// Where the domain is: the verdict of the safety check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// Running on the source only.
    Source,
    /// Running on the destination only.
    Destination,
    /// Active on both (a split brain: must never happen).
    Both,
    /// Running nowhere.
    Neither,
    /// Active on exactly one host but not running (paused), or a host not answering.
    Unclear,
}

/// The check's result with both hosts' states, for the log and the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlacementReport {
    /// The verdict.
    pub placement: Placement,
    /// Source host's name and state.
    pub source: (String, HostState),
    /// Destination host's name and state.
    pub destination: (String, HostState),
}

impl PlacementReport {
    /// Judges two hosts' states.
    pub fn judge(source: (String, HostState), destination: (String, HostState)) -> Self {
        let (s, d) = (&source.1, &destination.1);
        let placement = if matches!(s, HostState::Unknown(_)) || matches!(d, HostState::Unknown(_))
        {
            Placement::Unclear
        } else if s.active() && d.active() {
            Placement::Both
        } else if s.running() {
            Placement::Source
        } else if d.running() {
            Placement::Destination
        } else if s.active() || d.active() {
            Placement::Unclear
        } else {
            Placement::Neither
        };
        Self {
            placement,
            source,
            destination,
        }
    }

    /// True when the guest runs on exactly one host.
    pub fn ok(&self) -> bool {
        matches!(self.placement, Placement::Source | Placement::Destination)
    }

    /// The host it runs on (`hA`), or `none`/`both`/`unclear`.
    pub fn host(&self) -> String {
        match self.placement {
            Placement::Source => self.source.0.clone(),
            Placement::Destination => self.destination.0.clone(),
            Placement::Both => "both".into(),
            Placement::Neither => "none".into(),
            Placement::Unclear => "unclear".into(),
        }
    }
}

impl fmt::Display for PlacementReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let states = format!(
            "{}: {}, {}: {}",
            self.source.0, self.source.1, self.destination.0, self.destination.1
        );
        match self.placement {
            Placement::Source | Placement::Destination => {
                write!(f, "guest runs on {} only ({states})", self.host())
            }
            Placement::Both => write!(f, "FAULT: guest active on BOTH hosts ({states})"),
            Placement::Neither => write!(f, "FAULT: guest runs on NO host ({states})"),
            Placement::Unclear => {
                write!(f, "FAULT: guest not cleanly running on one host ({states})")
            }
        }
    }
}

#[cfg(feature = "lab")]
pub use live::host_state;

#[cfg(feature = "lab")]
mod live {
    use super::HostState;
    use virt::connect::Connect;
    use virt::domain::DomainState;
    use virt::enumutil::Enum;
    use virt::error::ErrorNumber;

    /// Asks one daemon for the domain's state (blocking).
    pub fn host_state(conn: &Connect, name: &str) -> HostState {
        let dom = match conn.lookup_domain_by_name(name) {
            Ok(d) => d,
            Err(e) if matches!(e.code(), Enum::Known(ErrorNumber::NoDomain)) => {
                return HostState::Absent;
            }
            Err(e) => return HostState::Unknown(e.message().to_string()),
        };
        match dom.is_active() {
            Ok(false) => return HostState::Inactive,
            Ok(true) => {}
            Err(e) => return HostState::Unknown(e.message().to_string()),
        }
        match dom.state() {
            Ok((Enum::Known(s), _)) => HostState::Active(
                match s {
                    DomainState::Running => "running",
                    DomainState::Paused => "paused",
                    DomainState::Blocked => "blocked",
                    DomainState::Shutdown => "shutting down",
                    DomainState::Shutoff => "shut off",
                    DomainState::Crashed => "crashed",
                    DomainState::PMSuspended => "pmsuspended",
                    _ => "no state",
                }
                .to_string(),
            ),
            Ok((Enum::Unknown(n), _)) => HostState::Active(format!("state {n}")),
            Err(e) => HostState::Unknown(e.message().to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: HostState, d: HostState) -> PlacementReport {
        PlacementReport::judge(("hA".into(), s), ("hB".into(), d))
    }
    fn running() -> HostState {
        HostState::Active("running".into())
    }

    #[test]
    fn exactly_one_running_host_is_ok() {
        let p = r(running(), HostState::Absent);
        assert_eq!(p.placement, Placement::Source);
        assert!(p.ok());
        assert_eq!(p.host(), "hA");
        assert_eq!(
            p.to_string(),
            "guest runs on hA only (hA: running, hB: absent)"
        );
        let p = r(HostState::Inactive, running());
        assert_eq!(
            (p.placement.clone(), p.host()),
            (Placement::Destination, "hB".into())
        );
    }

    #[test]
    fn faults_are_named() {
        assert_eq!(r(running(), running()).placement, Placement::Both);
        assert_eq!(
            r(running(), HostState::Active("paused".into())).placement,
            Placement::Both
        );
        assert_eq!(
            r(HostState::Inactive, HostState::Absent).placement,
            Placement::Neither
        );
        assert_eq!(
            r(HostState::Active("paused".into()), HostState::Absent).placement,
            Placement::Unclear
        );
        assert_eq!(
            r(running(), HostState::Unknown("down".into())).placement,
            Placement::Unclear
        );
        assert!(
            r(running(), running())
                .to_string()
                .starts_with("FAULT: guest active on BOTH")
        );
    }
}

//! An event queue ordered by time, then by insertion order, so equal-time events
//! run in the order they were scheduled and a run is reproducible.

use crate::units::Nanos;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A time-ordered queue of events of type `E` with a clock that only moves forward.
#[derive(Debug)]
pub struct Scheduler<E> {
    now_ns: Nanos,
    seq: u64,
    heap: BinaryHeap<Reverse<(Nanos, u64, Slot<E>)>>,
}

/// Wrapper so events need no ordering of their own.
#[derive(Debug)]
struct Slot<E>(E);

impl<E> PartialEq for Slot<E> {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}
impl<E> Eq for Slot<E> {}
impl<E> PartialOrd for Slot<E> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Slot<E> {
    fn cmp(&self, _: &Self) -> std::cmp::Ordering {
        std::cmp::Ordering::Equal
    }
}

impl<E> Default for Scheduler<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> Scheduler<E> {
    /// An empty queue with the clock at zero.
    pub fn new() -> Self {
        Self {
            now_ns: 0,
            seq: 0,
            heap: BinaryHeap::new(),
        }
    }

    /// The current simulated time.
    pub fn now_ns(&self) -> Nanos {
        self.now_ns
    }

    /// Schedules `event` at `at_ns`; a time in the past is treated as now.
    pub fn schedule(&mut self, at_ns: Nanos, event: E) {
        let at = at_ns.max(self.now_ns);
        self.seq += 1;
        self.heap.push(Reverse((at, self.seq, Slot(event))));
    }

    /// Removes the earliest event and advances the clock to it.
    pub fn pop(&mut self) -> Option<(Nanos, E)> {
        let Reverse((at, _, Slot(event))) = self.heap.pop()?;
        self.now_ns = at;
        Some((at, event))
    }

    /// Drops every pending event (the run is over).
    pub fn clear(&mut self) {
        self.heap.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_then_insertion_order() {
        let mut s = Scheduler::new();
        s.schedule(20, "c");
        s.schedule(10, "a");
        s.schedule(10, "b");
        assert_eq!(s.pop(), Some((10, "a")));
        assert_eq!(s.pop(), Some((10, "b")));
        assert_eq!(s.now_ns(), 10);
        s.schedule(5, "late");
        assert_eq!(s.pop(), Some((10, "late")));
        assert_eq!(s.pop(), Some((20, "c")));
        assert_eq!(s.pop(), None);
    }
}

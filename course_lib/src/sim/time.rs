//! Virtual time and node identities.

use std::fmt;
use std::ops::{Add, Sub};

/// A point in virtual time, counted in nanoseconds since the start of the simulation.
///
/// Virtual time advances only when the simulator takes the next event off its queue; nothing
/// sleeps. Integer nanoseconds make event ordering exact (no floating-point ties), while the
/// public API speaks milliseconds (`f64`), the unit of every delay in this course.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Time(u64);

impl Time {
    /// The start of every simulation.
    pub const ZERO: Time = Time(0);
    /// The end of time (about 584 years): "never".
    pub const MAX: Time = Time(u64::MAX);

    /// From nanoseconds.
    pub const fn from_nanos(ns: u64) -> Time {
        Time(ns)
    }

    /// From milliseconds, rounded to the nearest nanosecond. Negative and NaN values become
    /// zero, values beyond [`Time::MAX`] saturate: callers validate user input before this.
    pub fn from_ms(ms: f64) -> Time {
        let ns = (ms * 1e6).round();
        if ns.is_nan() || ns <= 0.0 {
            Time::ZERO
        } else if ns >= u64::MAX as f64 {
            Time::MAX
        } else {
            Time(ns as u64)
        }
    }

    /// Nanoseconds since the start.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Milliseconds since the start.
    pub fn as_ms(self) -> f64 {
        self.0 as f64 / 1e6
    }

    /// Seconds since the start.
    pub fn as_secs(self) -> f64 {
        self.0 as f64 / 1e9
    }

    /// `self + ms`, saturating.
    pub fn plus_ms(self, ms: f64) -> Time {
        self + Time::from_ms(ms)
    }
}

impl Add for Time {
    type Output = Time;
    fn add(self, rhs: Time) -> Time {
        Time(self.0.saturating_add(rhs.0))
    }
}

impl Sub for Time {
    type Output = Time;
    /// Saturating difference (never negative).
    fn sub(self, rhs: Time) -> Time {
        Time(self.0.saturating_sub(rhs.0))
    }
}

impl fmt::Display for Time {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Time::MAX {
            write!(f, "never")
        } else {
            write!(f, "{:.3} ms", self.as_ms())
        }
    }
}

/// The identity of a node: its index in the cluster, `n0`, `n1`, ….
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub usize);

impl NodeId {
    /// The index as a `usize`.
    pub const fn index(self) -> usize {
        self.0
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "n{}", self.0)
    }
}

impl From<usize> for NodeId {
    fn from(i: usize) -> NodeId {
        NodeId(i)
    }
}

/// The identity of a client request handed to a node (see `Simulation::request_at`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub u64);

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "r{}", self.0)
    }
}

/// The identity of a timer set by a node; pass it to `Ctx::cancel_timer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimerId(pub u64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ms_round_trip_and_saturation() {
        assert_eq!(Time::from_ms(1.5).as_nanos(), 1_500_000);
        assert_eq!(Time::from_ms(-3.0), Time::ZERO);
        assert_eq!(Time::from_ms(f64::NAN), Time::ZERO);
        assert_eq!(Time::from_ms(f64::INFINITY), Time::MAX);
        assert_eq!(Time::from_ms(2.0) - Time::from_ms(3.0), Time::ZERO);
        assert_eq!(Time::MAX + Time::from_ms(1.0), Time::MAX);
        assert_eq!(Time::from_ms(12.3456).to_string(), "12.346 ms");
        assert_eq!(NodeId(3).to_string(), "n3");
    }
}

//! Named random streams: every source of randomness in an experiment has its own stream of
//! the one seed, chosen by name, never by a number a module picks.
//!
//! A run draws randomness for several independent purposes: the network's delays and losses,
//! each node's own choices (randomized timeouts), the fault generator, the clients' think
//! times and operations, a random scheduler. If two purposes shared a generator, adding one
//! client would shift every network delay and a figure would change for no visible reason.
//! So each purpose draws from its own stream `SimRng::stream(seed, number)`, and [`Stream`]
//! is the one place that assigns the numbers. The numbers are disjoint by construction (each
//! kind of stream has its own tag in the top byte), so two uses cannot collide.
//!
//! ```
//! use course_lib::sim::Stream;
//! let mut faults = Stream::Faults.rng(42);
//! let mut node3 = Stream::Node(3).rng(42);
//! assert_ne!(faults.next_u64(), node3.next_u64());
//! // a pure function of (seed, stream):
//! assert_eq!(Stream::Client(1).rng(42).next_u64(), Stream::Client(1).rng(42).next_u64());
//! ```

use std::fmt;

use crate::rng::SimRng;

/// One purpose that draws random numbers in an experiment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stream {
    /// The network: delays, losses, duplicates (the simulator's own).
    Network,
    /// Node `i`'s private generator, [`crate::sim::Ctx::rng`].
    Node(usize),
    /// Generated fault schedules (random crashes, partitions, pauses).
    Faults,
    /// The client driver's choices for client `c` (operation kind, target node, think time).
    Client(usize),
    /// A randomized scheduler ([`crate::sim::RandomOrder`]).
    Scheduler,
    /// Trial `k` of a Monte Carlo estimate that is not a simulation run (e.g. sampled
    /// election downtimes): one stream per trial, so trials can run in any order.
    Trial(u64),
    /// A module's generated scenario input (e.g. which pauses a lease experiment injects,
    /// drawn before the run): named by the module and an index.
    Scenario(&'static str, u64),
}

const TAG_SHIFT: u32 = 56;

impl Stream {
    /// The stream number behind this name. `Network` is 0 and `Node(i)` is 2³² + i, the
    /// numbers the simulator has always used (so every pinned run stayed the same); every
    /// other kind has its own tag in the top byte.
    pub fn number(self) -> u64 {
        let tagged = |tag: u64, index: u64| (tag << TAG_SHIFT) | (index & ((1 << TAG_SHIFT) - 1));
        match self {
            Stream::Network => 0,
            Stream::Node(i) => (1 << 32) + i as u64,
            Stream::Faults => tagged(1, 0),
            Stream::Client(c) => tagged(2, c as u64),
            Stream::Scheduler => tagged(3, 0),
            Stream::Trial(k) => tagged(4, k),
            Stream::Scenario(name, k) => {
                // FNV-1a of the name, folded to 24 bits, beside a 32-bit index.
                let mut h: u32 = 0x811C_9DC5;
                for b in name.bytes() {
                    h = (h ^ b as u32).wrapping_mul(0x0100_0193);
                }
                tagged(5, ((h as u64 & 0xFF_FFFF) << 32) | (k & 0xFFFF_FFFF))
            }
        }
    }

    /// This stream's generator for `seed`.
    pub fn rng(self, seed: u64) -> SimRng {
        SimRng::stream(seed, self.number())
    }
}

impl fmt::Display for Stream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Stream::Network => write!(f, "network"),
            Stream::Node(i) => write!(f, "node n{i}"),
            Stream::Faults => write!(f, "faults"),
            Stream::Client(c) => write!(f, "client c{c}"),
            Stream::Scheduler => write!(f, "scheduler"),
            Stream::Trial(k) => write!(f, "trial {k}"),
            Stream::Scenario(name, k) => write!(f, "scenario {name}/{k}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn numbers_are_disjoint_across_kinds_and_indices() {
        let mut seen: HashMap<u64, Stream> = HashMap::new();
        let mut streams = vec![Stream::Network, Stream::Faults, Stream::Scheduler];
        for i in 0..200 {
            streams.push(Stream::Node(i));
            streams.push(Stream::Client(i));
            streams.push(Stream::Trial(i as u64));
            streams.push(Stream::Scenario("coord", i as u64));
            streams.push(Stream::Scenario("raft", i as u64));
        }
        for s in streams {
            if let Some(prev) = seen.insert(s.number(), s) {
                panic!("{prev} and {s} share stream number {}", s.number());
            }
        }
    }

    #[test]
    fn the_simulators_historic_numbers_are_kept() {
        assert_eq!(Stream::Network.number(), 0);
        assert_eq!(Stream::Node(5).number(), (1 << 32) + 5);
    }
}

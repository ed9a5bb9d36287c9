//! Fault schedules: crashes, restarts and partitions as a value you can print.

use std::fmt;

use crate::error::{validate, Error, Result};
use crate::rng::SimRng;

/// One scheduled fault. Times are in milliseconds of virtual time.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// The node stops: it handles nothing, its timers are forgotten, messages to it are lost.
    /// Its volatile state is gone; what it had made durable survives (see `Node::restarted`).
    Crash {
        /// Which node.
        node: usize,
        /// When (ms).
        at_ms: f64,
    },
    /// The node comes back, rebuilt from its durable state, and runs `on_start` again.
    Restart {
        /// Which node.
        node: usize,
        /// When (ms).
        at_ms: f64,
    },
    /// From `from_ms` until `until_ms` (exclusive; `f64::INFINITY` = never heals), messages
    /// between different groups are lost, in both directions. Nodes not named in any group
    /// form one more group together ("the rest"). A message is lost if the partition separates
    /// its endpoints when it is sent or when it would arrive.
    Partition {
        /// Disjoint groups of node ids.
        groups: Vec<Vec<usize>>,
        /// When the partition starts (ms).
        from_ms: f64,
        /// When it heals (ms).
        until_ms: f64,
    },
    /// One direction of one link is down from `from_ms` until `until_ms`: an asymmetric fault
    /// (`from` cannot reach `to`, but `to` can still reach `from`).
    LinkDown {
        /// Sender side.
        from: usize,
        /// Receiver side.
        to: usize,
        /// Start (ms).
        from_ms: f64,
        /// End (ms).
        until_ms: f64,
    },
}

fn fmt_ms(ms: f64) -> String {
    if ms.is_infinite() {
        "∞".to_string()
    } else {
        format!("{ms:.1}")
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Crash { node, at_ms } => write!(f, "{:>10} ms   crash n{node}", fmt_ms(*at_ms)),
            Fault::Restart { node, at_ms } => {
                write!(f, "{:>10} ms   restart n{node}", fmt_ms(*at_ms))
            }
            Fault::Partition { groups, from_ms, until_ms } => {
                let gs: Vec<String> = groups
                    .iter()
                    .map(|g| {
                        let ids: Vec<String> = g.iter().map(|n| format!("n{n}")).collect();
                        format!("{{{}}}", ids.join(","))
                    })
                    .collect();
                write!(
                    f,
                    "{:>10} ms   partition {} (heals at {} ms)",
                    fmt_ms(*from_ms),
                    gs.join(" | "),
                    fmt_ms(*until_ms)
                )
            }
            Fault::LinkDown { from, to, from_ms, until_ms } => write!(
                f,
                "{:>10} ms   link n{from} → n{to} down (back at {} ms)",
                fmt_ms(*from_ms),
                fmt_ms(*until_ms)
            ),
        }
    }
}

impl Fault {
    /// When this fault begins (ms).
    pub fn start_ms(&self) -> f64 {
        match self {
            Fault::Crash { at_ms, .. } | Fault::Restart { at_ms, .. } => *at_ms,
            Fault::Partition { from_ms, .. } | Fault::LinkDown { from_ms, .. } => *from_ms,
        }
    }
}

/// A list of faults to inject, in the order they were added. Build it with the chaining
/// methods; it is validated against the cluster when the simulation is built (unknown node
/// ids, negative or NaN times, a partition that heals before it starts → an [`Error`]).
///
/// ```
/// use course_lib::sim::FaultSchedule;
/// let faults = FaultSchedule::new()
///     .crash(2, 100.0)
///     .restart(2, 350.0)
///     .partition(vec![vec![0, 1], vec![2, 3, 4]], 500.0, 800.0);
/// assert_eq!(faults.len(), 3);
/// println!("{faults}");
/// ```
#[derive(Clone, Debug, Default, PartialEq)]
pub struct FaultSchedule {
    faults: Vec<Fault>,
}

impl FaultSchedule {
    /// No faults.
    pub fn new() -> FaultSchedule {
        FaultSchedule::default()
    }

    /// Add any fault.
    pub fn with(mut self, fault: Fault) -> FaultSchedule {
        self.faults.push(fault);
        self
    }

    /// Crash `node` at `at_ms`.
    pub fn crash(self, node: usize, at_ms: f64) -> FaultSchedule {
        self.with(Fault::Crash { node, at_ms })
    }

    /// Restart `node` at `at_ms`.
    pub fn restart(self, node: usize, at_ms: f64) -> FaultSchedule {
        self.with(Fault::Restart { node, at_ms })
    }

    /// Partition the cluster into `groups` from `from_ms` until `until_ms`.
    pub fn partition(self, groups: Vec<Vec<usize>>, from_ms: f64, until_ms: f64) -> FaultSchedule {
        self.with(Fault::Partition { groups, from_ms, until_ms })
    }

    /// Cut `node` off from everyone else from `from_ms` until `until_ms`.
    pub fn isolate(self, node: usize, from_ms: f64, until_ms: f64) -> FaultSchedule {
        self.partition(vec![vec![node]], from_ms, until_ms)
    }

    /// Take down the one-way link `from → to` from `from_ms` until `until_ms`.
    pub fn link_down(self, from: usize, to: usize, from_ms: f64, until_ms: f64) -> FaultSchedule {
        self.with(Fault::LinkDown { from, to, from_ms, until_ms })
    }

    /// The faults, in the order they were added.
    pub fn faults(&self) -> &[Fault] {
        &self.faults
    }

    /// Number of faults.
    pub fn len(&self) -> usize {
        self.faults.len()
    }

    /// No faults at all?
    pub fn is_empty(&self) -> bool {
        self.faults.is_empty()
    }

    /// A random schedule for property tests and fault sweeps: `crashes` crash/restart pairs
    /// (down for an exponential time with mean `mean_down_ms`) and `partitions` random
    /// two-way splits (lasting an exponential time with mean `mean_partition_ms`), all
    /// starting uniformly in `[0, horizon_ms)`. Deterministic in `rng`.
    pub fn random(
        nodes: usize,
        horizon_ms: f64,
        crashes: usize,
        partitions: usize,
        mean_down_ms: f64,
        mean_partition_ms: f64,
        rng: &mut SimRng,
    ) -> Result<FaultSchedule> {
        validate::at_least("nodes", nodes, 1)?;
        validate::positive("horizon_ms", horizon_ms)?;
        validate::positive("mean_down_ms", mean_down_ms)?;
        validate::positive("mean_partition_ms", mean_partition_ms)?;
        let mut s = FaultSchedule::new();
        for _ in 0..crashes {
            let node = rng.below(nodes as u64) as usize;
            let at = rng.uniform_range(0.0, horizon_ms);
            let down = rng.exponential(1.0 / mean_down_ms);
            s = s.crash(node, at).restart(node, at + down);
        }
        for _ in 0..partitions {
            if nodes < 2 {
                break;
            }
            let mut ids: Vec<usize> = (0..nodes).collect();
            rng.shuffle(&mut ids);
            let cut = 1 + rng.below(nodes as u64 - 1) as usize;
            let at = rng.uniform_range(0.0, horizon_ms);
            let len = rng.exponential(1.0 / mean_partition_ms);
            s = s.partition(vec![ids[..cut].to_vec(), ids[cut..].to_vec()], at, at + len);
        }
        Ok(s)
    }

    /// Check the schedule against a cluster of `n` nodes.
    pub fn validate(&self, n: usize) -> Result<()> {
        let check_node = |node: usize| {
            if node >= n {
                Err(Error::UnknownNode {
                    node,
                    cluster_size: n,
                    context: "the fault schedule".into(),
                })
            } else {
                Ok(())
            }
        };
        let check_window = |from_ms: f64, until_ms: f64| -> Result<()> {
            validate::non_negative("from_ms", from_ms)?;
            if until_ms.is_nan() || until_ms < from_ms {
                return Err(Error::out_of_range(
                    "until_ms",
                    until_ms,
                    format!("must be at least from_ms = {from_ms} (use f64::INFINITY for a fault that never heals)"),
                ));
            }
            Ok(())
        };
        for fault in &self.faults {
            match fault {
                Fault::Crash { node, at_ms } | Fault::Restart { node, at_ms } => {
                    check_node(*node)?;
                    validate::non_negative("at_ms", *at_ms)?;
                }
                Fault::Partition { groups, from_ms, until_ms } => {
                    check_window(*from_ms, *until_ms)?;
                    if groups.is_empty() {
                        return Err(Error::invalid("partition", "it names no group of nodes"));
                    }
                    let mut seen = vec![false; n];
                    for g in groups {
                        for &node in g {
                            check_node(node)?;
                            if seen[node] {
                                return Err(Error::invalid(
                                    "partition",
                                    format!(
                                        "n{node} appears in two groups; groups must be disjoint"
                                    ),
                                ));
                            }
                            seen[node] = true;
                        }
                    }
                }
                Fault::LinkDown { from, to, from_ms, until_ms } => {
                    check_node(*from)?;
                    check_node(*to)?;
                    check_window(*from_ms, *until_ms)?;
                }
            }
        }
        Ok(())
    }
}

impl fmt::Display for FaultSchedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.faults.is_empty() {
            return writeln!(f, "fault schedule: no faults");
        }
        writeln!(f, "fault schedule ({} faults):", self.faults.len())?;
        let mut sorted: Vec<&Fault> = self.faults.iter().collect();
        sorted.sort_by(|a, b| a.start_ms().total_cmp(&b.start_ms()));
        for fault in sorted {
            writeln!(f, "  {fault}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_sorted_by_time() {
        let s =
            FaultSchedule::new().restart(1, 300.0).crash(1, 100.0).isolate(0, 50.0, f64::INFINITY);
        let text = s.to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "fault schedule (3 faults):");
        assert!(lines[1].contains("partition {n0}") && lines[1].contains("heals at ∞"), "{text}");
        assert!(lines[2].contains("crash n1"));
        assert!(lines[3].contains("restart n1"));
    }

    #[test]
    fn validation_names_the_problem() {
        let e = FaultSchedule::new().crash(5, 1.0).validate(3).unwrap_err();
        assert!(e.to_string().contains("unknown node n5 in the fault schedule"), "{e}");
        let e = FaultSchedule::new().partition(vec![vec![0], vec![0, 1]], 0.0, 1.0).validate(3);
        assert!(e.unwrap_err().to_string().contains("two groups"));
        let e = FaultSchedule::new().partition(vec![vec![0], vec![7]], 0.0, 1.0).validate(3);
        assert!(matches!(e, Err(Error::UnknownNode { node: 7, .. })));
        let e = FaultSchedule::new().isolate(0, 10.0, 5.0).validate(3).unwrap_err();
        assert!(e.to_string().starts_with("until_ms = 5"), "{e}");
        let e = FaultSchedule::new().crash(0, -1.0).validate(3).unwrap_err();
        assert!(e.to_string().starts_with("at_ms = -1"), "{e}");
        assert!(FaultSchedule::new().crash(0, f64::NAN).validate(3).is_err());
        assert!(FaultSchedule::new().link_down(0, 9, 0.0, 1.0).validate(3).is_err());
    }

    #[test]
    fn random_schedules_are_valid_and_deterministic() {
        for seed in 0..50 {
            let mk = || {
                FaultSchedule::random(5, 1000.0, 3, 2, 100.0, 200.0, &mut SimRng::new(seed))
                    .unwrap()
            };
            let s = mk();
            assert_eq!(s, mk());
            assert_eq!(s.len(), 3 * 2 + 2);
            s.validate(5).unwrap();
        }
        assert!(FaultSchedule::random(0, 1.0, 1, 1, 1.0, 1.0, &mut SimRng::new(0)).is_err());
    }
}

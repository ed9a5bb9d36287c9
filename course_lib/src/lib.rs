//! # `course_lib`: the simulation primitives behind the distributed-systems course
//!
//! Every notebook in `notebooks/` starts with
//!
//! ```text
//! :dep course_lib = { path = "../course_lib" }
//! use course_lib::prelude::*;
//! ```
//!
//! and then calls into this crate: the logic lives here, tested; a notebook cell varies a
//! parameter and shows the result.
//!
//! ## Layout
//!
//! | module | course topic | notebooks |
//! |---|---|---|
//! | [`error`] | what a caller can get wrong, and the message that says so | all |
//! | [`rng`] | seeded, portable randomness: same seed, same numbers, everywhere | all |
//! | [`dist`] | latency and delay distributions (constant … Pareto, mixtures, empirical) | 01, 03, 13 |
//! | [`stats`] | the sample quantile (p50, p99 of measured latencies): one definition, Hyndman & Fan type 7 | 00 onwards |
//! | [`sim`] | the deterministic discrete-event simulator: nodes, network, faults, traces | 01 onwards |
//! | [`chain`] | hash chains, proof of work, fork choice, stale blocks, the double-spend race | 09 |
//! | [`crdt`] | eventual consistency: version vectors, LWW vs siblings under clock skew, CRDTs (G-/PN-counter, LWW and multi-value registers, OR-set) and their laws, gossip on the harness with a healing partition, Merkle-tree anti-entropy | 18 |
//! | [`clock`] | physical clocks, NTP, Lamport, vector and hybrid logical clocks, TrueTime, lag compensation | 05 |
//! | [`detector`] | "slow or dead?": timeout failure detectors on heavy-tailed delays | 01 |
//! | [`latency`] | the latency ladder and the tail-at-scale arithmetic | 01 |
//! | [`byzantine`] | the Byzantine generals: OM(m) and the n ≥ 3f + 1 bound, checked by enumeration | 02 |
//! | [`reliability`] | availability algebra (series, parallel, k-of-n, shared failure domains), nines, MTBF/MTTR, retries, hedged requests | 02, 03 |
//! | [`chat`] | the chat-server lab: a multi-user chat service on the simulator and its SLIs | 04 |
//! | [`paxos`] | consensus: single-decree Paxos on the simulator, the agreement checker, planted bugs, dueling proposers, a Multi-Paxos sketch | 06 |
//! | [`raft`] | Raft: election, log replication, the five safety properties as monitors, planted bugs, the election-time experiment, Multi-Raft, the workshop handlers | 07 |
//! | [`partition`] | partitioning: hash mod N, consistent hashing with virtual nodes (and the Beta law of a node's share), jump hash, rendezvous hashing, range partitioning with hot spots and adaptive splitting, directories; load imbalance and data movement | 14 |
//! | [`gossip`] | gossip and membership: push gossip rounds vs n (Pittel), anti-entropy push/pull/push-pull, rumor mongering residue vs traffic (Demers), SWIM on the simulator (ping, ping-req, suspicion, incarnations, piggybacked dissemination, planted bugs), a gossiped global counter | 17 |
//! | [`mapreduce`] | MapReduce on simulated workers: map and reduce tasks, hash partitioning, worker failure and re-execution, stragglers and backup tasks, word count, the paper's sort at scale | 24 |
//! | [`quorum`] | quorum availability (independent and correlated failures), flexible and grid quorums, load | 15 |
//! | [`replication`] | sync/async/quorum replication of a key-value store on the simulator, read repair, sloppy quorums, hinted handoff, the sharded-KV workshop | 15 |
//! | [`storage`] | durable storage: a disk that tears unsynced writes on a crash, a write-ahead log with CRC-32C records, group commit, recovery by replay, checkpoints bounding recovery time, snapshot/incremental/hybrid compaction, crash-point sweeps, a majority-durable replicated log on the simulator | 19 |
//! | [`txn`] | transactions: a multi-version engine under five isolation levels, strict 2PL and OCC, the anomalies G0 … G2 as schedules, the table next to Hermitage's, a dependency-graph serializability checker, 2PL vs OCC vs SSI under contention; on the simulator: two-phase commit (presumed abort, termination protocol, three-phase commit) blocking on a coordinator crash, sagas, distributed deadlock detection | 16 |
//! | [`slo`] | SLIs, SLOs, error budgets, burn rates, multiwindow alerting, the generated SLI month | 04 |
//! | [`coord`] | leases, locks, leader election, fencing tokens; GC pauses and clock drift breaking mutual exclusion | 08 |
//! | [`consistency`] | histories (Jepsen format); linearizability (WGL), sequential, causal, session checks | 11, 12, 07 |
//! | [`staleness`] | probabilistically bounded staleness (PBS, the WARS model): t-visibility, k-staleness | 11, 13 |
//! | [`plot`] | SVG figures that render inline in JupyterLab and save to files | all |
//! | [`table`] | small HTML tables for results | all |
//! | [`ids`] | unique IDs: birthday bound, Snowflake, UUIDv4/v7, ticket servers | 10 |
//! | [`grade`] | exercise checks that print a pass/fail line and never abort a notebook | all |
//! | `frames` (feature `frames`) | polars data frames loaded from `data/`, shown as HTML | 04 |
//!
//! ## Principles
//! * **Protocols are pure state machines.** A [`sim::Node`] reacts to one input (a message,
//!   a timer, a client request) and records effects (messages to send, timers to set,
//!   responses); the simulator delivers them. No sockets, no clocks, no global randomness.
//! * **One seed at the top.** Randomness flows from a [`rng::SimRng`] built from a seed.
//!   Same seed → identical trace, on any machine.
//! * **The network is data.** Delays, loss, duplication, reordering and partitions are
//!   values ([`sim::Network`], [`sim::FaultSchedule`]) you can print and vary.
//! * **Results are plain data; plotting is a separate layer** ([`plot`]).
//! * **Bad parameters are errors, not panics** ([`error::Error`]).
#![warn(missing_docs)]

pub mod byzantine;
pub mod chain;
pub mod chat;
pub mod clock;
pub mod consistency;
pub mod coord;
pub mod crdt;
pub mod detector;
pub mod dist;
pub mod error;
pub mod gossip;
pub mod grade;
pub mod ids;
pub mod latency;
pub mod mapreduce;
mod numfmt;
pub mod partition;
pub mod paxos;
pub mod plot;
pub mod quorum;
pub mod raft;
pub mod reliability;
pub mod replication;
pub mod rng;
pub mod sim;
pub mod slo;
pub mod staleness;
pub mod stats;
pub mod storage;
pub mod table;
pub mod txn;

#[cfg(feature = "frames")]
pub mod frames;

pub use error::{Error, Result};

/// The `rand` crate (without its global, unseeded generators), for its API on [`rng::SimRng`].
pub use rand;

/// Everything a notebook needs, for `use course_lib::prelude::*;`.
pub mod prelude {
    pub use crate::dist::Dist;
    pub use crate::error::{Error, Result};
    pub use crate::plot::{
        format_duration_ns, Arrow, BarChart, CdfChart, Figure, Heatmap, Histogram, LineChart, Mark,
        MarkKind, SequenceDiagram,
    };
    pub use crate::rng::SimRng;
    pub use crate::sim::{
        Ctx, Fault, FaultSchedule, Link, Network, Node, NodeId, RequestId, SimBuilder, Simulation,
        Time,
    };
    pub use crate::table::{fmt_sig, Table};

    #[cfg(feature = "frames")]
    pub use crate::frames::{frame_table, read_csv, FrameDisplay};
}

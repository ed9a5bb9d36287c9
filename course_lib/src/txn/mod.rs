//! # Transactions: isolation levels, anomalies, concurrency control, distributed commit (notebook 16)
//!
//! A transaction groups reads and writes so that they appear to happen all at once
//! (atomicity) and, ideally, one transaction at a time (*isolation*, the I of ACID).
//! Serializability (Papadimitriou 1979) says a concurrent execution must be equivalent to
//! *some* serial one. Real databases offer weaker levels, named by the ANSI SQL standard
//! after the phenomena they rule out; Berenson et al. (1995) showed that those definitions
//! are ambiguous and added the missing ones (dirty write P0, lost update P4, read and write
//! skew), and Adya (1999) redefined the levels by cycles in a dependency graph of
//! write-write (ww), write-read (wr) and read-write (rw, "anti-dependency") edges: G0 is a
//! ww cycle, G1c a cycle of ww/wr edges, G-single a cycle with one rw edge, G2 any cycle.
//!
//! This module is a small multi-version key-value engine (rows are named keys with integer
//! values) that runs a *schedule* of interleaved transaction steps under a chosen level and
//! reports what every step saw:
//!
//! | [`Isolation`] | reads see | locks | like |
//! |---|---|---|---|
//! | `ReadUncommitted` | the newest version, committed or not | long write locks | MySQL/SQL Server "read uncommitted" |
//! | `ReadCommitted` | the newest committed version at the time of the read | long write locks | PostgreSQL "read committed" (per statement) |
//! | `RepeatableReadLocking` | the newest committed version | shared read locks and write locks held to commit, no predicate locks | SQL Server "repeatable read" |
//! | `SnapshotIsolation` | a snapshot taken at the transaction's first read, scan or write (PostgreSQL takes it at the first statement, not at BEGIN) | write locks; first updater wins: writing a row that another transaction committed after the snapshot aborts | PostgreSQL "repeatable read" |
//! | `Serializable` | as SI | as SI, plus SIREAD tracking of rw-antidependencies: a transaction with one in and one out (a pivot, Cahill et al. 2008's dangerous structure) is aborted | PostgreSQL "serializable" (SSI) |
//!
//! The variant [`Scheme::Strict2pl`] is serializable by strict two-phase locking with
//! predicate locks for scans (a write whose old or new value matches another transaction's
//! scan predicate waits); [`Scheme::Occ`] is optimistic concurrency control with backward
//! validation (Kung & Robinson 1981), its validation step a function you can replace.
//!
//! **Waiting and deadlock.** A step that needs a lock someone else holds waits; the later
//! steps of its transaction queue behind it while other transactions go on; it runs as soon
//! as the lock is free. When a waiting step closes a cycle in the wait-for graph, *its*
//! transaction is the victim and is aborted (PostgreSQL's choice too: the backend whose
//! deadlock check finds the cycle cancels itself). A transaction still open at the end of
//! the schedule is aborted. SSI's victim is the pivot if it is still running, otherwise the
//! transaction whose step completed the structure. SSI here is Cahill's original rule (any
//! pivot is aborted), more conservative than PostgreSQL's, which also requires the
//! out-transaction to commit first.
//!
//! The contract (tests outside the crate call these names): [`Schedule::parse`], [`run`],
//! [`Outcome::read_values`], [`Outcome::committed`], [`Outcome::waited`],
//! [`Outcome::final_state`]. Around it: [`anomalies::ALL`] (ten anomalies as schedules, each
//! with its judge), [`check_serializable`] (the dependency-graph checker, with the cycle),
//! [`RandomSchedule`] (seeded random schedules), [`Contention`] (2PL vs OCC vs SSI under
//! Zipf contention) and the exercise judges [`judge_validator`] and [`judge_doctors`].
//! Views are in `plot`: `schedule_table`, `trace_table`, `anomaly_levels_table`,
//! `comparison_table` (ours next to Hermitage's), `contention_chart`, `contention_table`.
//!
//! ```
//! use course_lib::txn::{run, Isolation, Schedule};
//! // write skew: both read x and y, each writes one of them
//! let s = Schedule::parse("init x 10\ninit y 20
//! T1 begin\nT2 begin\nT1 read x\nT1 read y\nT2 read x\nT2 read y
//! T1 write x 11\nT2 write y 21\nT1 commit\nT2 commit")?;
//! let si = run(&s, Isolation::SnapshotIsolation)?;
//! assert!(si.committed("T1") && si.committed("T2")); // SI lets write skew through
//! let ssi = run(&s, Isolation::Serializable)?;
//! assert!(!(ssi.committed("T1") && ssi.committed("T2"))); // SSI aborts the pivot
//! let rr = run(&s, Isolation::RepeatableReadLocking)?;
//! assert!(rr.waited(6)); // T1's write waits for T2's read lock on x …
//! assert!(!rr.committed("T2")); // … and T2's write closes the deadlock
//! assert_eq!(rr.read_values(2), Some(vec![("x".to_string(), 10)]));
//! assert_eq!(rr.final_state(), vec![("x".to_string(), 11), ("y".to_string(), 20)]);
//! # Ok::<(), course_lib::Error>(())
//! ```
//!
//! **Across machines** (on the simulator's harness): [`twopc`] is two-phase commit between a
//! coordinator and participants with durable logs (basic and presumed abort, the participants'
//! termination protocol, three-phase commit in `twopc::three_phase`), with atomicity checked
//! after every event and a coordinator crash that leaves participants in doubt, locks held, for
//! as long as it is down; [`saga`] runs sagas with compensating steps and counts what their
//! missing isolation lets other clients see; [`deadlock`] finds a wait-for cycle across sites
//! that no site sees alone, by edge chasing (Chandy, Misra & Haas 1983) or a global graph, and
//! compares both with timeouts.
//!
//! Sources: H. Berenson, P. Bernstein, J. Gray, J. Melton, E. O'Neil, P. O'Neil, "A Critique
//! of ANSI SQL Isolation Levels", SIGMOD 1995; A. Adya, "Weak Consistency: A Generalized
//! Theory and Optimistic Implementations for Distributed Transactions", PhD thesis, MIT 1999,
//! and A. Adya, B. Liskov, P. O'Neil, "Generalized Isolation Level Definitions", ICDE 2000;
//! M. J. Cahill, U. Röhm, A. D. Fekete, "Serializable Isolation for Snapshot Databases",
//! SIGMOD 2008; D. R. K. Ports, K. Grittner, "Serializable Snapshot Isolation in
//! PostgreSQL", VLDB 2012; H. T. Kung, J. T. Robinson, "On Optimistic Methods for
//! Concurrency Control", TODS 1981; M. Kleppmann, Hermitage (2014,
//! <https://github.com/ept/hermitage>) and *Designing Data-Intensive Applications*, ch. 7.

pub mod anomalies;
mod engine;
mod history;
mod schedule;
#[cfg(test)]
mod tests;
mod workload;

// Distributed transactions on the harness: two-phase commit (basic, presumed abort, the
// termination protocol; three-phase commit in `twopc::three_phase`), sagas with compensations,
// distributed deadlock detection (edge chasing, a global wait-for graph, timeouts).
pub mod deadlock;
#[cfg(test)]
mod dist_tests;
pub mod saga;
pub mod twopc;

pub use anomalies::{
    anomaly_table, by_id, hermitage, Anomaly, AnomalyRow, HermitageRow, HERMITAGE_ANOMALIES,
};
pub use engine::{
    reference_validator, run, run_scheme, CommittedTxn, Isolation, Outcome, Scheme, StepResult,
    StepTrace, Validation, Validator,
};
pub use history::{
    check_serializable, dependency_edges, Dep, Edge, HistRead, History, ReadKind, Verdict, Version,
};
pub use schedule::{Op, Predicate, Schedule, Step, Write};
pub use workload::{
    doctors_violated, judge_doctors, judge_validator, random_histories, CcPoint, Contention,
    RandomSchedule, ValidatorReport, CC_SCHEMES, DOCTORS,
};

//! # Consistency models and history checkers
//!
//! A replicated object is *consistent* if what its clients observe could have been produced
//! by some simpler object. The models differ in which simpler object and which observations
//! must agree with it. This module takes a **history** — every operation a set of client
//! processes invoked, with what came back — and decides whether it satisfies a model; when it
//! does not, it says why and draws the operations involved.
//!
//! ## Histories
//! A history is a sequence of *events*: a process *invokes* an operation, later the operation
//! *completes* `ok` (it took effect; a read returns what it read), `fail` (it certainly did not
//! take effect) or `info` (unknown: it may have taken effect at any time after its invocation,
//! or never — a timeout; the process then issues nothing more). [`History::from_jsonl`] reads
//! Jepsen's format, one JSON object per line:
//!
//! ```text
//! {"process": 0, "type": "invoke", "f": "cas", "value": [1, 2]}
//! {"process": 0, "type": "ok",     "f": "cas", "value": [1, 2]}
//! ```
//!
//! ## Models, strongest first
//! Write an operation as an interval [inv(o), ret(o)]; o₁ **precedes** o₂ (o₁ <ₕ o₂) when
//! ret(o₁) < inv(o₂).
//!
//! * **Linearizability** (Herlihy & Wing 1990): there is a total order S of all `ok`
//!   operations and some of the `info` ones such that S is a legal sequential run of the
//!   object and o₁ <ₕ o₂ ⇒ o₁ before o₂ in S. Equivalently, each operation takes effect at an
//!   instant inside its interval. [`check_cas_register`], [`check_linearizable`].
//! * **Sequential consistency** (Lamport 1979): as above, but only each *process's own* order
//!   must be kept; real time between processes is ignored. [`check_sequential_register`].
//! * **Causal consistency** (causal memory, Ahamad et al. 1995): let →co be the transitive
//!   closure of process order and reads-from. Each process must see the writes in *some*
//!   order that respects →co; different processes may order concurrent writes differently.
//!   [`check_causal_register`].
//! * **Session guarantees** (Terry et al. 1994): read-your-writes, monotonic reads, monotonic
//!   writes, writes-follow-reads — promises about one client's session. [`check_session`].
//! * **Eventual consistency**: if writes stop, replicas eventually agree. No history of finite
//!   length can violate it; it is a liveness property, which is why notebook 13 measures *how
//!   eventual* instead ([`crate::staleness`]).
//!
//! ## How the linearizability checker works
//! Deciding linearizability is NP-complete (Gibbons & Korach 1997), but real histories are
//! easy: the **WGL** search (Wing & Gong 1993, improved by Lowe 2017) walks the history in
//! time order and, at each step, tries to linearize one of the operations whose invocation has
//! been seen and that is not yet linearized; it must linearize every operation before passing
//! its return, and backtracks when it cannot. Two ideas make it fast:
//!
//! 1. **Memoisation** (Lowe): the future depends only on *which* operations are linearized (a
//!    bitset) and the object's *state*; a configuration (bitset, state) that failed once fails
//!    again. Here an `info` operation left out dominates one put in (it can still be applied
//!    later, or never), so a configuration is also pruned when a failed one differs only by
//!    having *fewer* `info` operations applied.
//! 2. **P-compositionality** (Herlihy & Wing; Horn & Kroening 2015): a history of independent
//!    keys is linearizable iff each key's sub-history is; [`check_cas_register`] on a
//!    key-value history and [`check_linearizable_kv`] check key by key.
//!
//! ```
//! use course_lib::consistency::{check_cas_register, History};
//! // Two writers; p2 reads 2, and after that read returned p3 reads 1. It looks as if the
//! // register went back in time, but both writes are still pending: write 2, read 2, write 1,
//! // read 1 is an order with each operation inside its interval.
//! let h = History::from_jsonl(r#"
//! {"process": 0, "type": "invoke", "f": "write", "value": 1}
//! {"process": 1, "type": "invoke", "f": "write", "value": 2}
//! {"process": 2, "type": "invoke", "f": "read", "value": null}
//! {"process": 2, "type": "ok", "f": "read", "value": 2}
//! {"process": 3, "type": "invoke", "f": "read", "value": null}
//! {"process": 3, "type": "ok", "f": "read", "value": 1}
//! {"process": 0, "type": "ok", "f": "write", "value": 1}
//! {"process": 1, "type": "ok", "f": "write", "value": 2}
//! "#)?;
//! let v = check_cas_register(&h);
//! assert!(v.is_linearizable());
//! # Ok::<(), course_lib::Error>(())
//! ```
//!
//! ## For other modules
//! A simulation that records client operations builds a [`History`] with [`History::builder`]
//! or [`History::from_events`] (or writes JSON lines and calls [`History::from_jsonl`]) and
//! calls [`check_cas_register`]; anything else with a sequential specification implements
//! [`SequentialSpec`] and calls [`check_linearizable`] on a slice of [`Call`]s.
//!
//! ## Reading
//! * M. Herlihy and J. Wing, "Linearizability: A Correctness Condition for Concurrent
//!   Objects", *ACM TOPLAS* 12(3), 1990.
//! * L. Lamport, "How to Make a Multiprocessor Computer That Correctly Executes Multiprocess
//!   Programs", *IEEE Trans. Computers* C-28(9), 1979.
//! * M. Ahamad, G. Neiger, J. Burns, P. Kohli, P. Hutto, "Causal Memory: Definitions,
//!   Implementation, and Programming", *Distributed Computing* 9(1), 1995.
//! * D. Terry, A. Demers, K. Petersen, M. Spreitzer, M. Theimer, B. Welch, "Session
//!   Guarantees for Weakly Consistent Replicated Data", PDIS 1994.
//! * J. Wing and C. Gong, "Testing and Verifying Concurrent Objects", *J. Parallel and
//!   Distributed Computing* 17(1–2), 1993.
//! * G. Lowe, "Testing for Linearizability", *Concurrency and Computation: Practice and
//!   Experience* 29(4), 2017.
//! * A. Horn and D. Kroening, "Faster Linearizability Checking via P-Compositionality",
//!   FORTE 2015.
//! * P. Gibbons and E. Korach, "Testing Shared Memories", *SIAM J. Computing* 26(4), 1997.
//! * K. Kingsbury, Jepsen and Knossos, <https://jepsen.io>; A. Athalye, Porcupine,
//!   <https://github.com/anishathalye/porcupine> (the history format and the engineering).
//! * M. Kleppmann, *Designing Data-Intensive Applications*, ch. 9 (2017).

mod history;
mod json;
mod linear;
mod models;
pub mod sim;
pub(crate) mod timeline;

pub use history::{Event, EventType, History, HistoryBuilder, Operation, Outcome, Value, F};
pub use linear::{
    check_cas_register, check_linearizable, check_linearizable_brute_force, check_linearizable_kv,
    register_calls, Call, CasRegister, Counter, CounterOp, KeyValue, KvOp, Queue, QueueOp,
    Register, RegisterOp, SequentialSpec, Verdict,
};
pub use models::{
    check_causal_register, check_sequential_register, check_session, sequential_order, stale_reads,
    SessionGuarantee, MAX_SMALL_HISTORY,
};

#[cfg(test)]
mod tests;

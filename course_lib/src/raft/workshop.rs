//! # The Raft workshop: write `request_vote` and `append_entries`, then break them
//!
//! The two receiver handlers of Figure 2 are the heart of Raft. In the workshop you write them
//! as plain functions with the signatures of [`super::RequestVoteFn`] and
//! [`super::AppendEntriesFn`]:
//!
//! ```text
//! fn my_request_vote(s: &mut RaftState, args: &RequestVote) -> VoteReply
//! fn my_append_entries(s: &mut RaftState, args: &AppendEntries) -> AppendReply
//! ```
//!
//! The server around them already applies the rule for all servers (an RPC with a higher term
//! turns the receiver into a follower of that term, with no vote yet), resets the election
//! timer, sends the reply and applies committed entries. Your handler does the rest of the
//! "Receiver implementation" box.
//!
//! [`check_handlers`] then judges them in two stages:
//!
//! 1. **Unit cases**: a dozen crafted states (a stale term, a vote already given, a
//!    candidate with an older log, a missing or conflicting previous entry, a duplicated or
//!    reordered `AppendEntries`, the commit index rule). The first wrong answer is reported
//!    with the state, the arguments, what came back and what was expected.
//! 2. **Simulation**: a five-server cluster with your handlers runs under seeded fault
//!    schedules (loss, duplication, reordering, partitions, crashes and restarts) while the
//!    five safety monitors watch every step and the clients' history is checked for
//!    linearizability. A violation is reported with the property, the seed and the trace
//!    leading to it; the cluster must also make progress (serve clients) in most seeds.
//!
//! A handler that panics (for example an unfinished `todo!()`) is a failed check with the
//! panic's message, never a crash of the notebook.
//!
//! ```
//! use course_lib::raft::{workshop::check_handlers, Handlers, RaftState, RequestVote, VoteReply};
//! // A handler that forgets to check whether it already voted in this term.
//! fn greedy(s: &mut RaftState, a: &RequestVote) -> VoteReply {
//!     let ok = a.term >= s.current_term;
//!     if ok { s.voted_for = Some(a.candidate); }
//!     VoteReply { term: s.current_term, vote_granted: ok }
//! }
//! let report = check_handlers(Handlers { request_vote: greedy, ..Handlers::default() }, 5)?;
//! assert!(!report.passed());
//! println!("{report}");
//! # Ok::<(), course_lib::Error>(())
//! ```

use std::fmt;
use std::panic::{self, AssertUnwindSafe};

use super::experiment::FaultProfile;
use super::{
    AppendEntries, AppendReply, Command, Entry, Handlers, RaftConfig, RaftState, RequestVote,
    VoteReply,
};
use crate::error::{validate, Result};
use crate::sim::Violation;

/// Why a pair of handlers failed.
#[derive(Clone, Debug, PartialEq)]
pub enum HandlerFailure {
    /// A crafted unit case got the wrong answer.
    UnitCase {
        /// Which handler.
        handler: &'static str,
        /// What the case is about, the state, the arguments, and what went wrong.
        message: String,
    },
    /// A handler panicked.
    Panic {
        /// Where: "unit case …" or "simulation, seed …".
        context: String,
        /// The panic's message.
        message: String,
    },
    /// A safety property broke in a simulated run.
    Violation {
        /// What broke, where and when.
        violation: Violation,
        /// The last events before it (the seed replayed with the trace on).
        last_events: Vec<String>,
    },
    /// Too few runs served any client: the cluster does not make progress.
    NoProgress {
        /// Runs in which at least one client operation completed.
        with_progress: u64,
        /// Runs.
        runs: u64,
    },
}

/// The verdict of [`check_handlers`].
#[derive(Clone, Debug, PartialEq)]
pub struct HandlerReport {
    /// Unit cases run (all of them when they pass).
    pub unit_cases: usize,
    /// Simulated runs completed.
    pub runs: u64,
    /// The first failure, if any.
    pub failure: Option<HandlerFailure>,
}

impl HandlerReport {
    /// Did every unit case and every run pass?
    pub fn passed(&self) -> bool {
        self.failure.is_none()
    }

    /// `Ok(())` or `Err(the report as text)`: for a notebook's `check_fn`.
    pub fn result(&self) -> std::result::Result<(), String> {
        if self.passed() {
            Ok(())
        } else {
            Err(self.to_string())
        }
    }
}

impl fmt::Display for HandlerReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.failure {
            None => write!(
                f,
                "passed: {} unit cases, {} seeded fault schedules with all five properties and linearizability intact",
                self.unit_cases, self.runs
            ),
            Some(HandlerFailure::UnitCase { handler, message }) => {
                write!(f, "{handler}: {message}")
            }
            Some(HandlerFailure::Panic { context, message }) => {
                write!(f, "a handler panicked ({context}): {message}")
            }
            Some(HandlerFailure::Violation { violation, last_events }) => {
                write!(f, "after {} clean runs: {violation}", self.runs)?;
                if !last_events.is_empty() {
                    write!(f, "\nlast {} events:", last_events.len())?;
                    for e in last_events {
                        write!(f, "\n  {e}")?;
                    }
                }
                Ok(())
            }
            Some(HandlerFailure::NoProgress { with_progress, runs }) => write!(
                f,
                "no progress: only {with_progress} of {runs} runs served any client (is a vote ever granted? does a heartbeat ever succeed?)"
            ),
        }
    }
}

fn e(term: u64) -> Entry {
    Entry { term, command: Command::Put { key: 0, value: term as i64 } }
}

fn state(term: u64, voted_for: Option<usize>, log: &[u64], commit: usize) -> RaftState {
    RaftState {
        id: 1,
        current_term: term,
        voted_for,
        log: log.iter().map(|&t| e(t)).collect(),
        commit_index: commit,
    }
}

fn terms(s: &RaftState) -> Vec<u64> {
    s.log.iter().map(|e| e.term).collect()
}

fn describe(s: &RaftState) -> String {
    format!(
        "currentTerm {}, votedFor {:?}, log terms {:?}, commitIndex {}",
        s.current_term,
        s.voted_for,
        terms(s),
        s.commit_index
    )
}

type VoteCase = (&'static str, RaftState, RequestVote, bool, Option<usize>);

fn vote_cases() -> Vec<VoteCase> {
    let rv = |term, candidate, last_log_index, last_log_term| RequestVote {
        term,
        candidate,
        last_log_index,
        last_log_term,
    };
    vec![
        (
            "a request from an older term is refused",
            state(3, None, &[1, 2], 0),
            rv(2, 0, 5, 2),
            false,
            None,
        ),
        (
            "a first request in this term, logs equal, is granted and remembered",
            state(3, None, &[1, 2], 0),
            rv(3, 0, 2, 2),
            true,
            Some(0),
        ),
        (
            "a second candidate in the same term is refused (one vote per term)",
            state(3, Some(2), &[1, 2], 0),
            rv(3, 0, 2, 2),
            false,
            Some(2),
        ),
        (
            "a repeated request from the candidate already voted for is granted again",
            state(3, Some(0), &[1, 2], 0),
            rv(3, 0, 2, 2),
            true,
            Some(0),
        ),
        (
            "a candidate whose last log term is older is refused (§5.4.1)",
            state(3, None, &[1, 2], 0),
            rv(3, 0, 5, 1),
            false,
            None,
        ),
        (
            "a candidate with the same last term but a shorter log is refused (§5.4.1)",
            state(3, None, &[1, 2, 2], 0),
            rv(3, 0, 2, 2),
            false,
            None,
        ),
        (
            "a candidate with a newer last term wins even with a shorter log (§5.4.1)",
            state(3, None, &[1, 1, 1], 0),
            rv(3, 0, 2, 2),
            true,
            Some(0),
        ),
    ]
}

type AppendCase = (&'static str, RaftState, AppendEntries, bool, Vec<u64>, usize);

fn append_cases() -> Vec<AppendCase> {
    let ae = |term, prev_log_index, prev_log_term, entries: &[u64], leader_commit| AppendEntries {
        term,
        leader: 0,
        prev_log_index,
        prev_log_term,
        entries: entries.iter().map(|&t| e(t)).collect(),
        leader_commit,
    };
    vec![
        ("a request from an older term is refused and changes nothing", state(3, None, &[1, 2], 0), ae(2, 2, 2, &[2], 2), false, vec![1, 2], 0),
        ("prevLogIndex beyond the end of the log is refused", state(3, None, &[1], 0), ae(3, 2, 1, &[3], 0), false, vec![1], 0),
        ("a mismatching term at prevLogIndex is refused", state(3, None, &[1, 1], 0), ae(3, 2, 2, &[3], 0), false, vec![1, 1], 0),
        ("new entries after a matching prevLogIndex are appended", state(3, None, &[1, 2], 0), ae(3, 2, 2, &[3, 3], 0), true, vec![1, 2, 3, 3], 0),
        ("the first entries (prevLogIndex 0) are accepted", state(3, None, &[], 0), ae(3, 0, 0, &[3], 0), true, vec![3], 0),
        ("a conflicting entry is deleted with all that follow it, then the new ones appended", state(3, None, &[1, 2, 2, 2], 0), ae(3, 1, 1, &[3], 0), true, vec![1, 3], 0),
        ("an old, duplicated request must not delete later entries that match (rule 3 only on a conflict)", state(3, None, &[1, 3, 3, 3], 0), ae(3, 1, 1, &[3], 0), true, vec![1, 3, 3, 3], 0),
        ("commitIndex = min(leaderCommit, index of last new entry)", state(3, None, &[1, 2, 2, 2], 0), ae(3, 1, 1, &[2], 4), true, vec![1, 2, 2, 2], 2),
        ("a heartbeat advances commitIndex to leaderCommit when it is below the last new entry", state(3, None, &[1, 2, 2], 0), ae(3, 3, 2, &[], 2), true, vec![1, 2, 2], 2),
        ("commitIndex never moves backwards", state(3, None, &[1, 2, 2], 3), ae(3, 3, 2, &[], 1), true, vec![1, 2, 2], 3),
    ]
}

fn caught<T>(context: &str, f: impl FnOnce() -> T) -> std::result::Result<T, HandlerFailure> {
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| HandlerFailure::Panic {
        context: context.to_string(),
        message: payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic".into()),
    })
}

fn run_unit_cases(h: Handlers) -> std::result::Result<usize, HandlerFailure> {
    let mut n = 0;
    for (what, s0, args, grant, voted) in vote_cases() {
        n += 1;
        let mut s = s0.clone();
        let r: VoteReply =
            caught(&format!("unit case: {what}"), || (h.request_vote)(&mut s, &args))?;
        let wrong = if r.vote_granted != grant {
            Some(format!("vote_granted = {}, expected {grant}", r.vote_granted))
        } else if r.term != s0.current_term {
            Some(format!("reply term {}, expected currentTerm {}", r.term, s0.current_term))
        } else if s.voted_for != voted {
            Some(format!("votedFor is {:?} afterwards, expected {voted:?}", s.voted_for))
        } else if s.log != s0.log || s.current_term != s0.current_term {
            Some("request_vote changed the log or the term".to_string())
        } else {
            None
        };
        if let Some(w) = wrong {
            return Err(HandlerFailure::UnitCase {
                handler: "request_vote",
                message: format!("{what}: {w} (state: {}; request: {args:?})", describe(&s0)),
            });
        }
    }
    for (what, s0, args, success, log, commit) in append_cases() {
        n += 1;
        let mut s = s0.clone();
        let r: AppendReply =
            caught(&format!("unit case: {what}"), || (h.append_entries)(&mut s, &args))?;
        let wrong = if r.success != success {
            Some(format!("success = {}, expected {success}", r.success))
        } else if r.term != s0.current_term {
            Some(format!("reply term {}, expected currentTerm {}", r.term, s0.current_term))
        } else if terms(&s) != log {
            Some(format!("log terms afterwards {:?}, expected {log:?}", terms(&s)))
        } else if s.commit_index != commit {
            Some(format!("commitIndex afterwards {}, expected {commit}", s.commit_index))
        } else {
            None
        };
        if let Some(w) = wrong {
            let req = format!(
                "term {}, prevLogIndex {}, prevLogTerm {}, entry terms {:?}, leaderCommit {}",
                args.term,
                args.prev_log_index,
                args.prev_log_term,
                args.entries.iter().map(|e| e.term).collect::<Vec<_>>(),
                args.leader_commit
            );
            return Err(HandlerFailure::UnitCase {
                handler: "append_entries",
                message: format!("{what}: {w} (state: {}; request: {req})", describe(&s0)),
            });
        }
    }
    Ok(n)
}

/// Judge a pair of receiver handlers: the unit cases, then `seeds` simulated runs (seeds
/// `0..seeds`) of a five-server cluster under the bug-hunting fault profile
/// ([`FaultProfile::aggressive`]) with the safety monitors and the linearizability check. At
/// least half of the runs must serve a client. `seeds` must be at least 1; about 20–50 is a
/// good check, each seed is 1.5 s of simulated time.
pub fn check_handlers(handlers: Handlers, seeds: u64) -> Result<HandlerReport> {
    validate::at_least("seeds", seeds as usize, 1)?;
    let previous_hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let report = judge(handlers, seeds);
    panic::set_hook(previous_hook);
    report
}

/// What the simulated runs of a pair of handlers showed.
struct Runs {
    failure: Option<HandlerFailure>,
    runs: u64,
    with_progress: u64,
}

/// Seeds `0..seeds` of the bug-hunting profile with `handlers`, stopping at the first panic
/// or violation.
fn run_seeds(handlers: Handlers, seeds: u64) -> Result<Runs> {
    let exp = FaultProfile::aggressive(RaftConfig::new(5).with_handlers(handlers)).experiment()?;
    let mut with_progress = 0;
    for seed in 0..seeds {
        let outcome = caught(&format!("simulation, seed {seed}"), || -> Result<_> {
            let report = exp.run(seed)?;
            let served = report
                .sim()
                .answered()
                .iter()
                .any(|a| !matches!(a.response, super::KvResponse::NotLeader(_)));
            let failure = match report.violation() {
                Some(v) => Some(HandlerFailure::Violation {
                    violation: v.clone(),
                    last_events: exp.clone().trace(true).run(seed)?.trace_tail(12),
                }),
                None => None,
            };
            Ok((failure, served))
        });
        let failure = match outcome {
            Err(f) => Some(f),
            Ok(r) => {
                let (v, served) = r?;
                with_progress += u64::from(served);
                v
            }
        };
        if failure.is_some() {
            return Ok(Runs { failure, runs: seed, with_progress });
        }
    }
    Ok(Runs { failure: None, runs: seeds, with_progress })
}

fn judge(handlers: Handlers, seeds: u64) -> Result<HandlerReport> {
    let unit_cases = match run_unit_cases(handlers) {
        Ok(n) => n,
        Err(f) => return Ok(HandlerReport { unit_cases: 0, runs: 0, failure: Some(f) }),
    };
    let r = run_seeds(handlers, seeds)?;
    let failure = r.failure.or_else(|| {
        (r.with_progress * 2 < seeds)
            .then_some(HandlerFailure::NoProgress { with_progress: r.with_progress, runs: seeds })
    });
    Ok(HandlerReport { unit_cases, runs: r.runs, failure })
}

/// Simulated runs only (no unit cases): for showing what a handler bug does to a cluster.
pub fn simulate_handlers(handlers: Handlers, seeds: u64) -> Result<HandlerReport> {
    validate::at_least("seeds", seeds as usize, 1)?;
    let previous_hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let r = run_seeds(handlers, seeds);
    panic::set_hook(previous_hook);
    let r = r?;
    Ok(HandlerReport { unit_cases: 0, runs: r.runs, failure: r.failure })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::raft::{append_entries, request_vote, Property};

    #[test]
    fn the_built_in_handlers_pass() {
        let r = check_handlers(Handlers::default(), 20).unwrap();
        assert!(r.passed(), "{r}");
        assert_eq!(r.unit_cases, vote_cases().len() + append_cases().len());
    }

    fn no_log_check(s: &mut RaftState, a: &RequestVote) -> VoteReply {
        let free = s.voted_for.is_none() || s.voted_for == Some(a.candidate);
        let ok = a.term >= s.current_term && free;
        if ok {
            s.voted_for = Some(a.candidate);
        }
        VoteReply { term: s.current_term, vote_granted: ok }
    }

    /// Truncates at prevLogIndex + 1 unconditionally: breaks under duplicated or reordered
    /// messages.
    fn always_truncate(s: &mut RaftState, a: &AppendEntries) -> AppendReply {
        if a.term < s.current_term || s.term_at(a.prev_log_index) != Some(a.prev_log_term) {
            return AppendReply { term: s.current_term, success: false };
        }
        s.log.truncate(a.prev_log_index);
        s.log.extend(a.entries.iter().copied());
        if a.leader_commit > s.commit_index {
            s.commit_index = a.leader_commit.min(s.log.len());
        }
        AppendReply { term: s.current_term, success: true }
    }

    fn panics(_: &mut RaftState, _: &RequestVote) -> VoteReply {
        todo!()
    }

    #[test]
    fn unit_cases_name_the_mistake() {
        let r = check_handlers(Handlers { request_vote: no_log_check, ..Handlers::default() }, 5)
            .unwrap();
        assert!(!r.passed());
        let text = r.to_string();
        assert!(
            text.starts_with("request_vote: a candidate whose last log term is older"),
            "{text}"
        );
        let r =
            check_handlers(Handlers { append_entries: always_truncate, ..Handlers::default() }, 5)
                .unwrap();
        assert!(r.to_string().contains("must not delete later entries"), "{r}");
    }

    #[test]
    fn the_simulation_alone_catches_handler_bugs() {
        let r =
            simulate_handlers(Handlers { request_vote: no_log_check, ..Handlers::default() }, 30)
                .unwrap();
        match r.failure {
            Some(HandlerFailure::Violation { violation: v, last_events }) => {
                assert!(
                    [
                        Property::LeaderCompleteness.to_string(),
                        Property::StateMachineSafety.to_string(),
                        Property::Linearizability.to_string()
                    ]
                    .contains(&v.property),
                    "{v}"
                );
                assert!(!last_events.is_empty() && last_events.len() <= 12);
            }
            other => panic!("not caught: {other:?}"),
        }
        let r = simulate_handlers(
            Handlers { append_entries: always_truncate, ..Handlers::default() },
            30,
        )
        .unwrap();
        assert!(!r.passed(), "always-truncate survived 30 seeds");
        assert!(simulate_handlers(Handlers { request_vote, append_entries }, 10).unwrap().passed());
    }

    #[test]
    fn a_panicking_handler_is_a_failed_check() {
        let r =
            check_handlers(Handlers { request_vote: panics, ..Handlers::default() }, 3).unwrap();
        match &r.failure {
            Some(HandlerFailure::Panic { message, .. }) => {
                assert!(message.contains("not yet implemented"), "{message}")
            }
            other => panic!("{other:?}"),
        }
        assert!(r.result().unwrap_err().contains("panicked"));
        assert!(check_handlers(Handlers::default(), 0).is_err());
    }
}

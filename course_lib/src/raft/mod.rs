//! # Raft: consensus you can watch, break and check
//!
//! Raft (Ongaro & Ousterhout 2014) keeps a **replicated log**: every server holds a sequence
//! of commands, and once a command is *committed* at index $i$, every server that applies index
//! $i$ applies that same command. A deterministic state machine (here a key-value store) fed
//! the same commands in the same order reaches the same state on every server.
//!
//! Time is divided into **terms** $1, 2, 3, \dots$; each term begins with an election and has
//! at most one leader. A server is a *follower*, a *candidate* or a *leader*:
//!
//! * **Leader election (§5.2).** A follower that hears nothing from a leader for its
//!   *election timeout* (drawn uniformly from `[min, max]` anew every time, so that servers
//!   rarely time out together) starts term $t+1$, votes for itself and asks the others with
//!   `RequestVote`. A server grants at most one vote per term, first come first served, and
//!   only to a candidate whose log is **at least as up to date** as its own (§5.4.1: a later
//!   last term wins, equal last terms compare lengths). A majority of votes makes a leader.
//! * **Log replication (§5.3).** The leader appends client commands to its log and sends them
//!   with `AppendEntries(prevLogIndex, prevLogTerm, entries, leaderCommit)`; a follower accepts
//!   only if its log holds an entry at `prevLogIndex` with term `prevLogTerm`, deletes any
//!   conflicting suffix and appends. Empty `AppendEntries` are the heartbeats.
//! * **Commitment (§5.3, §5.4.2, Figure 8).** The leader marks index $N$ committed when a
//!   majority's `matchIndex` $\ge N$ **and** `log[N].term == currentTerm`; entries of earlier
//!   terms become committed only indirectly, under a current-term entry. Counting replicas of
//!   an old-term entry is unsafe: Figure 8 shows such an entry overwritten after it "committed".
//!   A new leader appends a no-op of its term (§8) so that earlier entries commit promptly.
//! * **Persistence (Figure 2).** `currentTerm`, `votedFor` and the log are written to stable
//!   storage before a server answers an RPC; everything else (role, commit index, the state
//!   machine, `nextIndex`/`matchIndex`) is volatile and rebuilt after a restart. In this crate
//!   [`RaftNode`]'s `restarted()` keeps exactly the durable fields ([`crate::sim::Node`]).
//!
//! ## The five safety properties (Figure 3), checked after every simulator step
//! 1. **Election safety**: at most one leader can be elected in a given term.
//! 2. **Leader append-only**: a leader never overwrites or deletes entries in its log.
//! 3. **Log matching**: if two logs contain an entry with the same index and term, the logs are
//!    identical in all entries up through that index.
//! 4. **Leader completeness**: if an entry is committed in a term, it is present in the logs of
//!    the leaders of all higher terms.
//! 5. **State-machine safety**: if a server has applied the entry at an index, no server ever
//!    applies a different entry at that index.
//!
//! [`Monitor`] checks all five after every event of a run (it is a monitor of the experiment
//! harness, [`crate::sim::Monitor`]) and a violation is the harness's [`Violation`]: the
//! property, the seed, the time and the event; a sweep replays the failing seed with the trace
//! on ([`SweepReport::replay`]). The clients are the harness's ([`Workload`]) and their history
//! is checked for **linearizability** ([`linearizable`], one register per key), which catches
//! what the log-level properties do not see (a reply sent before the command was committed).
//!
//! ## Planted bugs
//! A checker is only trusted after it has caught a bug. [`Bug`] names five classic mistakes
//! (voting twice in a term, skipping the up-to-date check, committing an old-term entry by
//! counting, not persisting the vote, applying uncommitted entries), planted as a [`Bugs`] set
//! ([`RaftConfig::with_bug`]; the default is none); the tests show each one
//! caught within a bounded number of seeds, and the correct version surviving 1000 seeded
//! fault schedules ([`sweep`]).
//!
//! ## The election-time experiment (§9.3, Figure 16)
//! [`election_downtime_ms`] repeats the paper's measurement: five servers, followers with logs
//! of different lengths (some candidates cannot win), one synchronized round of heartbeats, the
//! leader crashed at a uniformly random point of its heartbeat interval (half the minimum
//! election timeout), and the time until a new leader is elected.
//!
//! **The broadcast time.** The paper's cluster had a broadcast time of "roughly 15ms", and
//! §5.6 says where such a number comes from: "Raft's RPCs typically require the recipient to
//! persist information to stable storage, so the broadcast time may range from 0.5ms to 20ms,
//! depending on storage technology." Where the 15 ms goes matters: a vote request reaches the
//! other servers after one network delay, and whoever grants it resets its election timer at
//! once, so only the *network* part is a window in which a second server can time out and
//! split the vote; the disk write only delays the answer. The paper does not give the split.
//! The default here ([`ElectionSetup::paper`]) is 1.5–4 ms one way plus a 6–10 ms write
//! ([`RaftConfig::persist_ms`]; a 7200 rpm disk turns once in 8.3 ms): a broadcast time of
//! 15 ms. All network (4–8 ms links, broadcast ≈ 14 ms) this model splits far more votes than
//! the paper's servers did (150–155 ms median 730 ms); nearly all disk (0.1–0.5 ms links, a
//! 13–15 ms write) far fewer (median 134 ms). The split was chosen once, for the 150–155 ms
//! median; every other row is a prediction. What the crate test
//! `election_time_has_the_shape_of_figure_16` checks (seed 1):
//!
//! | timeouts | the paper (§9.3) | here | tolerance |
//! |---|---|---|---|
//! | 150–150 ms | "consistently took longer than 10 seconds" | median of 100 trials at the 10 s cap (23 elect sooner) | median ≥ 10 s |
//! | 150–155 ms | "median downtime of 287ms" | ≈ 284 ms | ±20 % |
//! | 150–200 ms | worst of 1000 trials "513ms" | ≈ 523 ms | ±30 % |
//! | 12–24 ms | "35ms on average … the longest trial took 152ms" | mean ≈ 41 ms, longest ≈ 114 ms | ±25 %, ±50 % |
//! | 150–151 ms | a long tail (Figure 16, top) | median > 3 × the 150–155 median | — |
//!
//! The 12–24 ms row is the farthest off (17 % slower on average): there the timeouts are as
//! short as the broadcast time, so how the 15 ms divides between network and disk, which the
//! paper leaves open, weighs most. [`ElectionSetup`] takes any delays and write times.
//!
//! ## The workshop
//! [`Handlers`] holds the two receiver functions of Figure 2, `request_vote` and
//! `append_entries`, as plain function pointers with correct defaults ([`request_vote`],
//! [`append_entries`]). A notebook cell writes its own and [`workshop::check_handlers`] runs the
//! cluster with them over many seeded fault schedules, reporting which property broke, the
//! seed and a short trace (a handler that panics is a failed check with its message).
//!
//! ```
//! use course_lib::raft::{Cluster, RaftConfig};
//! let mut c = Cluster::new(RaftConfig::new(5), 7)?;
//! c.run_until_ms(1_000.0)?;
//! let (leader, term) = c.leader().expect("a leader within a second");
//! assert!(term >= 1 && leader < 5);
//! c.put(leader, 1, 42)?;
//! c.run_until_ms(1_200.0)?;
//! assert!(c.violation().is_none());
//! assert_eq!(c.node(leader)?.kv().get(&1), Some(&42));
//! # Ok::<(), course_lib::Error>(())
//! ```
//!
//! ## Reading
//! * D. Ongaro and J. Ousterhout, "In Search of an Understandable Consensus Algorithm
//!   (Extended Version)", 2014; USENIX ATC 2014. Figure 2 (the algorithm), Figure 3 (the
//!   properties), Figure 8 (why old-term entries are not committed by counting), §9.3 and
//!   Figure 16 (election time).
//! * D. Ongaro, *Consensus: Bridging Theory and Practice*, PhD thesis, Stanford, 2014 (§6.4 the
//!   read index; ch. 9 leader election evaluation).
//! * MIT 6.824 (6.5840) Lab 2/3 "Raft": the workshop's shape.
//! * Multi-Raft: TiKV's design (one Raft group per region) and CockroachDB's ranges.

mod experiment;
mod monitor;
mod node;
pub mod scenarios;
pub mod workshop;

/// The harness's shared concepts, as Raft uses them.
pub use crate::sim::{
    shard_of, Bugs, KvRequest, KvResponse, Sweep, SweepReport, Target, Violation, Workload,
};
pub use experiment::{
    default_network, election_downtime_ms, election_downtime_with, linearizable, sweep, Cluster,
    ClusterBuilder, ElectionSetup, FaultProfile, LeaderSpan,
};
pub use monitor::{Monitor, Property};
pub use node::{append_entries, request_vote, RaftNode, Role};

use std::fmt;

use crate::error::{validate, Error, Result};

/// A term number (§5.1): 0 before any election.
pub type Term = u64;

/// A log index, 1-based as in the paper; 0 means "before the first entry".
pub type LogIndex = usize;

/// A command of the replicated key-value state machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Command {
    /// Appended by a new leader at the start of its term (§8); changes nothing.
    Noop,
    /// Set `key` to `value`.
    Put {
        /// The key.
        key: i64,
        /// The value.
        value: i64,
    },
    /// Read `key` through the log: the answer is the value at the moment the entry is applied.
    Get {
        /// The key.
        key: i64,
    },
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Noop => write!(f, "noop"),
            Command::Put { key, value } => write!(f, "k{key}={value}"),
            Command::Get { key } => write!(f, "get k{key}"),
        }
    }
}

/// One log entry: the term in which a leader received it, and the command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Entry {
    /// The leader's term when the entry was created.
    pub term: Term,
    /// The command.
    pub command: Command,
}

/// The `RequestVote` RPC's arguments (Figure 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RequestVote {
    /// The candidate's term.
    pub term: Term,
    /// The candidate requesting the vote (its index in the group).
    pub candidate: usize,
    /// Index of the candidate's last log entry.
    pub last_log_index: LogIndex,
    /// Term of the candidate's last log entry.
    pub last_log_term: Term,
}

/// The `RequestVote` RPC's results (Figure 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VoteReply {
    /// The receiver's `currentTerm`, for the candidate to update itself.
    pub term: Term,
    /// True means the candidate received the vote.
    pub vote_granted: bool,
}

/// The `AppendEntries` RPC's arguments (Figure 2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppendEntries {
    /// The leader's term.
    pub term: Term,
    /// The leader (its index in the group), so followers can redirect clients.
    pub leader: usize,
    /// Index of the log entry immediately preceding the new ones.
    pub prev_log_index: LogIndex,
    /// Term of the entry at `prev_log_index` (0 when `prev_log_index` is 0).
    pub prev_log_term: Term,
    /// Entries to store (empty for a heartbeat).
    pub entries: Vec<Entry>,
    /// The leader's commit index.
    pub leader_commit: LogIndex,
}

/// The `AppendEntries` RPC's results (Figure 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AppendReply {
    /// The receiver's `currentTerm`, for the leader to update itself.
    pub term: Term,
    /// True if the follower contained an entry matching `prev_log_index` and `prev_log_term`
    /// (and now holds the new entries after it).
    pub success: bool,
}

/// The state a receiver handler sees and changes: the durable fields of Figure 2
/// (`current_term`, `voted_for`, `log`) and the volatile `commit_index`.
///
/// The log is 1-based: [`RaftState::entry`]`(i)` is `log[i - 1]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RaftState {
    /// This server's index in its group.
    pub id: usize,
    /// Latest term this server has seen (durable).
    pub current_term: Term,
    /// The candidate that received this server's vote in `current_term` (durable).
    pub voted_for: Option<usize>,
    /// The log (durable).
    pub log: Vec<Entry>,
    /// Index of the highest entry known to be committed (volatile).
    pub commit_index: LogIndex,
}

impl RaftState {
    /// A fresh server: term 0, no vote, empty log.
    pub fn new(id: usize) -> RaftState {
        RaftState { id, current_term: 0, voted_for: None, log: Vec::new(), commit_index: 0 }
    }

    /// Index of the last entry (0 for an empty log).
    pub fn last_log_index(&self) -> LogIndex {
        self.log.len()
    }

    /// Term of the last entry (0 for an empty log).
    pub fn last_log_term(&self) -> Term {
        self.log.last().map_or(0, |e| e.term)
    }

    /// The term of the entry at `index`: `Some(0)` for index 0, `None` past the end.
    pub fn term_at(&self, index: LogIndex) -> Option<Term> {
        if index == 0 {
            Some(0)
        } else {
            self.log.get(index - 1).map(|e| e.term)
        }
    }

    /// The entry at `index` (1-based), if there is one.
    pub fn entry(&self, index: LogIndex) -> Option<&Entry> {
        index.checked_sub(1).and_then(|i| self.log.get(i))
    }
}

/// The receiver side of `RequestVote` (Figure 2): updates `state` (the vote) and returns the
/// reply. Called after the node has applied the rule for all servers (a higher term in the
/// request makes it a follower of that term, with no vote yet).
pub type RequestVoteFn = fn(&mut RaftState, &RequestVote) -> VoteReply;

/// The receiver side of `AppendEntries` (Figure 2): updates `state` (log and commit index) and
/// returns the reply. Called after the node has applied the rule for all servers.
pub type AppendEntriesFn = fn(&mut RaftState, &AppendEntries) -> AppendReply;

/// The two receiver handlers a [`RaftNode`] runs. The defaults are this crate's correct
/// [`request_vote`] and [`append_entries`]; the workshop replaces them.
#[derive(Clone, Copy)]
pub struct Handlers {
    /// `RequestVote` receiver.
    pub request_vote: RequestVoteFn,
    /// `AppendEntries` receiver.
    pub append_entries: AppendEntriesFn,
}

impl Default for Handlers {
    fn default() -> Self {
        Handlers { request_vote, append_entries }
    }
}

impl fmt::Debug for Handlers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Handlers { request_vote: fn, append_entries: fn }")
    }
}

/// A planted bug: one classic Raft mistake, switched on in the configuration
/// ([`RaftConfig::with_bug`]; a set of them is a [`Bugs`]`<Bug>`, empty by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Bug {
    /// Grant every vote request of the current term, ignoring `votedFor`: two candidates can
    /// win the same term (breaks election safety).
    VoteTwice,
    /// Grant votes without the §5.4.1 check that the candidate's log is at least as up to date:
    /// a leader can miss committed entries (breaks leader completeness).
    SkipLogCheck,
    /// Commit an entry of an earlier term as soon as a majority stores it (the Figure 8
    /// mistake): a "committed" entry can later be overwritten.
    CommitPreviousTerm,
    /// Answer a vote request before the vote reaches stable storage: a server that crashes and
    /// restarts has forgotten it voted and votes again in the same term.
    ForgetVoteOnCrash,
    /// Apply entries to the state machine (and answer clients) as soon as they are in the
    /// log, without waiting for them to be committed.
    ApplyUncommitted,
}

impl Bug {
    /// Every planted bug.
    pub const ALL: [Bug; 5] = [
        Bug::VoteTwice,
        Bug::SkipLogCheck,
        Bug::CommitPreviousTerm,
        Bug::ForgetVoteOnCrash,
        Bug::ApplyUncommitted,
    ];
}

impl fmt::Display for Bug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Bug::VoteTwice => "vote twice in a term",
            Bug::SkipLogCheck => "skip the log up-to-date check",
            Bug::CommitPreviousTerm => "commit a previous term's entry by counting",
            Bug::ForgetVoteOnCrash => "vote not persisted before answering",
            Bug::ApplyUncommitted => "apply uncommitted entries",
        })
    }
}

/// Configuration of one Raft group. The setters never fail; the cluster checks the
/// configuration when it is built ([`RaftConfig::validate`] says what is wrong).
#[derive(Clone, Debug)]
pub struct RaftConfig {
    /// Servers in the group (≥ 1).
    pub servers: usize,
    /// Election timeouts are drawn uniformly from `[min, max]` ms, anew at every reset.
    pub election_timeout_ms: (f64, f64),
    /// The leader's heartbeat interval (ms).
    pub heartbeat_ms: f64,
    /// Most entries one `AppendEntries` carries.
    pub max_batch: usize,
    /// Planted bugs (default none).
    pub bugs: Bugs<Bug>,
    /// The receiver handlers (default: the correct built-in ones).
    pub handlers: Handlers,
    /// Stable-storage write before answering an RPC: each reply leaves after a delay drawn
    /// uniformly from `[min, max]` ms (default `(0, 0)`: at once). The state change itself
    /// happens on receipt, so a granted vote resets the election timer at once; a crash during
    /// the write loses the reply, never the state (Figure 2: "updated on stable storage before
    /// responding to RPCs").
    pub persist_ms: (f64, f64),
}

impl RaftConfig {
    /// `servers` servers (1 to 64) with election timeouts 150–300 ms (the paper's
    /// recommendation) and a 50 ms heartbeat.
    pub fn new(servers: usize) -> RaftConfig {
        RaftConfig {
            servers,
            election_timeout_ms: (150.0, 300.0),
            heartbeat_ms: 50.0,
            max_batch: 64,
            bugs: Bugs::none(),
            handlers: Handlers::default(),
            persist_ms: (0.0, 0.0),
        }
    }

    /// Set the election timeout range `[min, max]` (ms; both finite and > 0, min ≤ max).
    pub fn with_election_timeout(mut self, min_ms: f64, max_ms: f64) -> RaftConfig {
        self.election_timeout_ms = (min_ms, max_ms);
        self
    }

    /// Set the heartbeat interval (ms, > 0).
    pub fn with_heartbeat(mut self, heartbeat_ms: f64) -> RaftConfig {
        self.heartbeat_ms = heartbeat_ms;
        self
    }

    /// Delay every RPC reply by a stable-storage write of `min_ms..=max_ms` ms (see
    /// [`RaftConfig::persist_ms`]; both ends finite and ≥ 0, min ≤ max).
    pub fn with_persist(mut self, min_ms: f64, max_ms: f64) -> RaftConfig {
        self.persist_ms = (min_ms, max_ms);
        self
    }

    /// Plant `bug` (in addition to any planted already).
    pub fn with_bug(mut self, bug: Bug) -> RaftConfig {
        self.bugs = self.bugs.with(bug);
        self
    }

    /// Plant exactly these bugs.
    pub fn with_bugs(mut self, bugs: Bugs<Bug>) -> RaftConfig {
        self.bugs = bugs;
        self
    }

    /// Use these receiver handlers.
    pub fn with_handlers(mut self, handlers: Handlers) -> RaftConfig {
        self.handlers = handlers;
        self
    }

    /// Check every parameter.
    pub fn validate(&self) -> Result<()> {
        validate::at_least("servers", self.servers, 1)?;
        if self.servers > 64 {
            return Err(Error::out_of_range("servers", self.servers, "must be at most 64"));
        }
        validate_timeouts(self.election_timeout_ms)?;
        validate::positive("heartbeat_ms", self.heartbeat_ms)?;
        validate::at_least("max_batch", self.max_batch, 1)?;
        validate::non_negative("persist_ms.min", self.persist_ms.0)?;
        validate::non_negative("persist_ms.max", self.persist_ms.1)?;
        validate::ordered(
            "persist_ms.min",
            self.persist_ms.0,
            "persist_ms.max",
            self.persist_ms.1,
        )?;
        Ok(())
    }

    /// A majority of the group.
    pub fn majority(&self) -> usize {
        self.servers / 2 + 1
    }
}

/// Checks an election timeout range: both ends finite and > 0, min ≤ max.
pub(crate) fn validate_timeouts((lo, hi): (f64, f64)) -> Result<()> {
    if !(lo.is_finite() && lo > 0.0) {
        return Err(Error::out_of_range(
            "timeout_ms.min",
            lo,
            "the minimum election timeout must be a finite number > 0 (ms)",
        ));
    }
    if !(hi.is_finite() && hi > 0.0) {
        return Err(Error::out_of_range(
            "timeout_ms.max",
            hi,
            "the maximum election timeout must be a finite number > 0 (ms)",
        ));
    }
    if lo > hi {
        return Err(Error::out_of_range(
            "timeout_ms",
            format!("({lo}, {hi})"),
            format!("min must be at most max: use ({lo}, {lo}) or a larger max"),
        ));
    }
    Ok(())
}

/// Messages between Raft servers.
#[derive(Clone, PartialEq, Eq)]
pub enum RaftMsg {
    /// `RequestVote` request.
    RequestVote(RequestVote),
    /// `RequestVote` reply.
    Vote(VoteReply),
    /// `AppendEntries` request (a heartbeat when it carries no entries).
    Append(AppendEntries),
    /// `AppendEntries` reply, with what the leader needs to update `matchIndex`/`nextIndex`.
    AppendResp {
        /// The follower's term.
        term: Term,
        /// Whether the entries were accepted.
        success: bool,
        /// On success, the index of the last entry the request made consistent; on a
        /// rejection, the request's `prev_log_index` (the leader retries below it).
        match_index: LogIndex,
        /// The follower's last log index (lets the leader back up quickly on a failure).
        last_log_index: LogIndex,
    },
}

impl fmt::Debug for RaftMsg {
    /// Short labels for sequence diagrams: `RV t3`, `vote ✓ t3`, `AE t3 +2 c5`, `ok t3 m7`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RaftMsg::RequestVote(r) => {
                write!(f, "RequestVote t{} last ({},{})", r.term, r.last_log_index, r.last_log_term)
            }
            RaftMsg::Vote(v) => {
                write!(f, "vote {} t{}", if v.vote_granted { "yes" } else { "no" }, v.term)
            }
            RaftMsg::Append(a) if a.entries.is_empty() => {
                write!(f, "heartbeat t{} c{}", a.term, a.leader_commit)
            }
            RaftMsg::Append(a) => write!(
                f,
                "Append t{} @{} +{} c{}",
                a.term,
                a.prev_log_index + 1,
                a.entries.len(),
                a.leader_commit
            ),
            RaftMsg::AppendResp { term, success, match_index, .. } => {
                if *success {
                    write!(f, "ok t{term} m{match_index}")
                } else {
                    write!(f, "reject t{term}")
                }
            }
        }
    }
}

/// Timers of a Raft server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RaftTimer {
    /// The election timeout (re-armed lazily: it checks its deadline when it fires).
    Election,
    /// The leader's heartbeat for the given term (a candidate uses it to resend its vote
    /// requests to the servers that have not granted them).
    Heartbeat(Term),
    /// The stable-storage write behind a reply finished: send it ([`RaftConfig::persist_ms`]).
    Persisted {
        /// The server (index in the group) the reply goes to.
        to: usize,
        /// The reply (`Vote` or `AppendResp`).
        reply: RaftMsg,
    },
}

#[cfg(test)]
mod tests;

//! One Raft server as a pure state machine on the simulator.

use std::collections::BTreeMap;

use super::{
    AppendEntries, AppendReply, Bug, Bugs, Command, Entry, KvRequest, KvResponse, LogIndex,
    RaftConfig, RaftMsg, RaftState, RaftTimer, RequestVote, Term, VoteReply,
};
use crate::sim::{Ctx, Node, NodeId, RequestId, Time};

/// A server's role (§5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Passive: answers RPCs, redirects clients.
    Follower,
    /// Asking for votes in its current term.
    Candidate,
    /// Handles clients and replicates the log.
    Leader,
}

/// The correct `RequestVote` receiver (Figure 2, §5.2, §5.4.1).
///
/// 1. Reply false if `term < currentTerm`.
/// 2. If `votedFor` is none or the candidate, and the candidate's log is at least as up to
///    date as the receiver's, grant the vote (and remember it).
///
/// ```
/// use course_lib::raft::{request_vote, RaftState, RequestVote};
/// let mut s = RaftState::new(1);
/// s.current_term = 2;
/// let rv = RequestVote { term: 2, candidate: 0, last_log_index: 0, last_log_term: 0 };
/// assert!(request_vote(&mut s, &rv).vote_granted);
/// assert_eq!(s.voted_for, Some(0));
/// let other = RequestVote { candidate: 3, ..rv };
/// assert!(!request_vote(&mut s, &other).vote_granted); // one vote per term
/// ```
pub fn request_vote(state: &mut RaftState, args: &RequestVote) -> VoteReply {
    request_vote_with(&Bugs::none(), state, args)
}

pub(crate) fn request_vote_with(
    bugs: &Bugs<Bug>,
    state: &mut RaftState,
    args: &RequestVote,
) -> VoteReply {
    let no = VoteReply { term: state.current_term, vote_granted: false };
    if args.term < state.current_term {
        return no;
    }
    let free = bugs.has(Bug::VoteTwice)
        || state.voted_for.is_none()
        || state.voted_for == Some(args.candidate);
    let up_to_date = bugs.has(Bug::SkipLogCheck)
        || args.last_log_term > state.last_log_term()
        || (args.last_log_term == state.last_log_term()
            && args.last_log_index >= state.last_log_index());
    if free && up_to_date {
        state.voted_for = Some(args.candidate);
        VoteReply { term: state.current_term, vote_granted: true }
    } else {
        no
    }
}

/// The correct `AppendEntries` receiver (Figure 2, §5.3).
///
/// 1. Reply false if `term < currentTerm`.
/// 2. Reply false if the log has no entry at `prevLogIndex` whose term is `prevLogTerm`.
/// 3. If an existing entry conflicts with a new one (same index, different term), delete it
///    and all that follow.
/// 4. Append any new entries not already in the log.
/// 5. If `leaderCommit > commitIndex`, set `commitIndex = min(leaderCommit, index of last new
///    entry)`.
///
/// ```
/// use course_lib::raft::{append_entries, AppendEntries, Command, Entry, RaftState};
/// let mut s = RaftState::new(1);
/// s.current_term = 1;
/// let e = Entry { term: 1, command: Command::Put { key: 0, value: 7 } };
/// let ae = AppendEntries { term: 1, leader: 0, prev_log_index: 0, prev_log_term: 0,
///                          entries: vec![e], leader_commit: 1 };
/// assert!(append_entries(&mut s, &ae).success);
/// assert_eq!((s.log.len(), s.commit_index), (1, 1));
/// assert!(append_entries(&mut s, &ae).success); // a duplicate changes nothing
/// assert_eq!(s.log.len(), 1);
/// ```
pub fn append_entries(state: &mut RaftState, args: &AppendEntries) -> AppendReply {
    let fail = AppendReply { term: state.current_term, success: false };
    if args.term < state.current_term {
        return fail;
    }
    if state.term_at(args.prev_log_index) != Some(args.prev_log_term) {
        return fail;
    }
    for (k, e) in args.entries.iter().enumerate() {
        let index = args.prev_log_index + 1 + k;
        match state.term_at(index) {
            Some(t) if t == e.term => {}
            Some(_) => {
                state.log.truncate(index - 1);
                state.log.push(*e);
            }
            None => state.log.push(*e),
        }
    }
    let last_new = args.prev_log_index + args.entries.len();
    if args.leader_commit > state.commit_index {
        state.commit_index = args.leader_commit.min(last_new).max(state.commit_index);
    }
    AppendReply { term: state.current_term, success: true }
}

/// A Raft server of one group, on the simulator.
///
/// The durable state is `current_term`, `voted_for` and the log ([`RaftState`]); a restart
/// ([`Node::restarted`]) keeps exactly those. Role, commit index, the key-value state machine
/// and the leader's `nextIndex`/`matchIndex` are volatile.
///
/// Group membership: the group's servers are the simulation nodes `base .. base + servers`
/// (one group: `base = 0`; [`crate::raft::Cluster`] puts several groups side by side for
/// Multi-Raft). Inside RPCs servers are named by their index in the group.
#[derive(Clone, Debug)]
pub struct RaftNode {
    cfg: RaftConfig,
    base: usize,
    state: RaftState,
    role: Role,
    leader_hint: Option<usize>,
    last_applied: LogIndex,
    kv: BTreeMap<i64, i64>,
    votes: u64,
    next_index: Vec<LogIndex>,
    match_index: Vec<LogIndex>,
    pending: Vec<(LogIndex, Term, RequestId)>,
    election_deadline: Time,
    election_armed: bool,
    version: u64,
    incarnation: u32,
    elections_started: u64,
    /// Time this server last became leader (for the timeline).
    leader_since: Option<Time>,
    /// Experiments only: a leader that sends empty heartbeats and never replicates.
    frozen: bool,
}

impl RaftNode {
    /// The servers of one group with ids `base .. base + cfg.servers`.
    pub fn group(cfg: &RaftConfig, base: usize) -> Vec<RaftNode> {
        (0..cfg.servers).map(|i| RaftNode::new(cfg, base, i)).collect()
    }

    fn new(cfg: &RaftConfig, base: usize, id: usize) -> RaftNode {
        RaftNode {
            cfg: cfg.clone(),
            base,
            state: RaftState::new(id),
            role: Role::Follower,
            leader_hint: None,
            last_applied: 0,
            kv: BTreeMap::new(),
            votes: 0,
            next_index: vec![1; cfg.servers],
            match_index: vec![0; cfg.servers],
            pending: Vec::new(),
            election_deadline: Time::ZERO,
            election_armed: false,
            version: 0,
            incarnation: 0,
            elections_started: 0,
            leader_since: None,
            frozen: false,
        }
    }

    /// Experiments only: as leader, send only empty heartbeats (prev = own last entry) and
    /// ignore replies, so that the followers' logs keep their lengths.
    pub(crate) fn set_frozen(&mut self, on: bool) {
        self.frozen = on;
    }

    /// Preload a log and term (for experiments that start from a given state, e.g. the
    /// election-time measurement with logs of different lengths).
    pub(crate) fn preload(&mut self, term: Term, log: Vec<Entry>) {
        self.state.current_term = term;
        self.state.log = log;
    }

    /// Set the vote (experiments only).
    pub(crate) fn set_voted_for(&mut self, v: Option<usize>) {
        self.state.voted_for = v;
    }

    /// Start this server as the leader of its current term (experiments only).
    pub(crate) fn force_leader(&mut self) {
        self.role = Role::Leader;
        self.state.voted_for = Some(self.state.id);
    }

    /// The durable and commit state.
    pub fn state(&self) -> &RaftState {
        &self.state
    }
    /// The role.
    pub fn role(&self) -> Role {
        self.role
    }
    /// Current term.
    pub fn term(&self) -> Term {
        self.state.current_term
    }
    /// The log.
    pub fn log(&self) -> &[Entry] {
        &self.state.log
    }
    /// Commit index.
    pub fn commit_index(&self) -> LogIndex {
        self.state.commit_index
    }
    /// Index of the last entry applied to the state machine.
    pub fn last_applied(&self) -> LogIndex {
        self.last_applied
    }
    /// The key-value state machine.
    pub fn kv(&self) -> &BTreeMap<i64, i64> {
        &self.kv
    }
    /// First simulation node id of this server's group.
    pub fn base(&self) -> usize {
        self.base
    }
    /// Elections this server started since it (re)started.
    pub fn elections_started(&self) -> u64 {
        self.elections_started
    }
    /// Bumped by every handler call and restart: the monitor re-checks only changed servers.
    pub(crate) fn version(&self) -> u64 {
        self.version
    }
    /// Restarts so far.
    pub(crate) fn incarnation(&self) -> u32 {
        self.incarnation
    }
    /// The configuration.
    pub fn config(&self) -> &RaftConfig {
        &self.cfg
    }

    fn me(&self) -> usize {
        self.state.id
    }

    fn peers(&self) -> impl Iterator<Item = usize> {
        let me = self.me();
        (0..self.cfg.servers).filter(move |&p| p != me)
    }

    fn send(&self, ctx: &mut Ctx<Self>, peer: usize, msg: RaftMsg) {
        ctx.send(NodeId(self.base + peer), msg);
    }

    /// Answer an RPC once stable storage has the state the answer depends on.
    fn reply(&self, ctx: &mut Ctx<Self>, peer: usize, reply: RaftMsg) {
        let (lo, hi) = self.cfg.persist_ms;
        if hi <= 0.0 {
            self.send(ctx, peer, reply);
        } else {
            let t = if hi > lo { ctx.rng().uniform_range(lo, hi) } else { lo };
            ctx.set_timer(t, RaftTimer::Persisted { to: peer, reply });
        }
    }

    fn reset_election_timer(&mut self, ctx: &mut Ctx<Self>) {
        let (lo, hi) = self.cfg.election_timeout_ms;
        let t = if hi > lo { ctx.rng().uniform_range(lo, hi) } else { lo };
        self.election_deadline = ctx.now().plus_ms(t);
        if !self.election_armed {
            self.election_armed = true;
            ctx.set_timer(t, RaftTimer::Election);
        }
    }

    fn become_follower(&mut self, term: Term) {
        if term > self.state.current_term {
            self.state.current_term = term;
            self.state.voted_for = None;
        }
        if self.role == Role::Leader {
            self.pending.clear();
            self.leader_since = None;
        }
        self.role = Role::Follower;
    }

    fn start_election(&mut self, ctx: &mut Ctx<Self>) {
        self.state.current_term += 1;
        self.state.voted_for = Some(self.me());
        self.role = Role::Candidate;
        self.votes = 1 << self.me();
        self.elections_started += 1;
        self.leader_hint = None;
        self.reset_election_timer(ctx);
        self.resend_vote_requests(ctx); // to every peer: only our own vote is in yet
        if self.votes.count_ones() as usize >= self.cfg.majority() {
            self.become_leader(ctx);
        } else {
            // retry the vote requests every heartbeat interval while the election lasts
            ctx.set_timer(self.cfg.heartbeat_ms, RaftTimer::Heartbeat(self.state.current_term));
        }
    }

    fn resend_vote_requests(&self, ctx: &mut Ctx<Self>) {
        let rv = RequestVote {
            term: self.state.current_term,
            candidate: self.me(),
            last_log_index: self.state.last_log_index(),
            last_log_term: self.state.last_log_term(),
        };
        for p in self.peers() {
            if self.votes & (1 << p) == 0 {
                self.send(ctx, p, RaftMsg::RequestVote(rv));
            }
        }
    }

    fn become_leader(&mut self, ctx: &mut Ctx<Self>) {
        self.role = Role::Leader;
        self.leader_hint = Some(self.me());
        self.leader_since = Some(ctx.now());
        let term = self.state.current_term;
        // §8: a no-op of the new term lets earlier entries commit under it.
        self.state.log.push(Entry { term, command: Command::Noop });
        let last = self.state.last_log_index();
        self.next_index = vec![last; self.cfg.servers];
        self.match_index = vec![0; self.cfg.servers];
        self.match_index[self.state.id] = last;
        self.next_index[self.state.id] = last + 1;
        ctx.note(format!("leader of term {term}"));
        self.broadcast_append(ctx);
        self.advance_commit();
        ctx.set_timer(self.cfg.heartbeat_ms, RaftTimer::Heartbeat(term));
    }

    fn append_for(&self, peer: usize) -> AppendEntries {
        if self.frozen {
            let last = self.state.last_log_index();
            return AppendEntries {
                term: self.state.current_term,
                leader: self.me(),
                prev_log_index: last,
                prev_log_term: self.state.last_log_term(),
                entries: Vec::new(),
                leader_commit: self.state.commit_index,
            };
        }
        let next = self.next_index[peer].clamp(1, self.state.last_log_index() + 1);
        let prev = next - 1;
        let end = (prev + self.cfg.max_batch).min(self.state.last_log_index());
        AppendEntries {
            term: self.state.current_term,
            leader: self.me(),
            prev_log_index: prev,
            prev_log_term: self.state.term_at(prev).unwrap_or(0),
            entries: self.state.log[prev..end].to_vec(),
            leader_commit: self.state.commit_index,
        }
    }

    /// Send `peer` the entries from its `nextIndex` and advance `nextIndex` past them
    /// optimistically (pipelining); a rejection backs it up again.
    fn send_append(&mut self, ctx: &mut Ctx<Self>, peer: usize) {
        let ae = self.append_for(peer);
        if !self.frozen {
            self.next_index[peer] = ae.prev_log_index + ae.entries.len() + 1;
        }
        self.send(ctx, peer, RaftMsg::Append(ae));
    }

    fn broadcast_append(&mut self, ctx: &mut Ctx<Self>) {
        for p in 0..self.cfg.servers {
            if p != self.me() {
                self.send_append(ctx, p);
            }
        }
    }

    fn advance_commit(&mut self) {
        let majority = self.cfg.majority();
        let mut n = self.state.last_log_index();
        while n > self.state.commit_index {
            let term_ok = self.cfg.bugs.has(Bug::CommitPreviousTerm)
                || self.state.term_at(n) == Some(self.state.current_term);
            if term_ok && self.match_index.iter().filter(|&&m| m >= n).count() >= majority {
                self.state.commit_index = n;
                break;
            }
            if !term_ok && !self.cfg.bugs.has(Bug::CommitPreviousTerm) {
                // Entries below the first current-term entry cannot be committed by counting.
                if self.state.term_at(n).is_some_and(|t| t < self.state.current_term) {
                    break;
                }
            }
            n -= 1;
        }
    }

    fn apply(&mut self, ctx: &mut Ctx<Self>) {
        let target = if self.cfg.bugs.has(Bug::ApplyUncommitted) {
            self.state.last_log_index()
        } else {
            self.state.commit_index.min(self.state.last_log_index())
        };
        while self.last_applied < target {
            self.last_applied += 1;
            let i = self.last_applied;
            let e = self.state.log[i - 1];
            let answer = match e.command {
                Command::Noop => None,
                Command::Put { key, value } => {
                    self.kv.insert(key, value);
                    Some(KvResponse::Written)
                }
                Command::Get { key } => Some(KvResponse::Value(self.kv.get(&key).copied())),
            };
            if self.role == Role::Leader {
                if let Some(pos) = self.pending.iter().position(|p| p.0 == i) {
                    let (_, term, id) = self.pending.swap_remove(pos);
                    if term == e.term {
                        if let Some(a) = answer {
                            ctx.respond(id, a);
                        }
                    }
                }
            }
        }
    }

    fn on_request_vote(&mut self, ctx: &mut Ctx<Self>, from: usize, args: RequestVote) {
        if args.term > self.state.current_term {
            self.become_follower(args.term);
        }
        if self.cfg.bugs.has(Bug::VoteTwice) || self.cfg.bugs.has(Bug::SkipLogCheck) {
            let r = request_vote_with(&self.cfg.bugs, &mut self.state, &args);
            self.reply(ctx, from, RaftMsg::Vote(r));
            if r.vote_granted {
                self.reset_election_timer(ctx);
            }
            return;
        }
        let handler = self.cfg.handlers.request_vote;
        let r = handler(&mut self.state, &args);
        if r.vote_granted {
            self.reset_election_timer(ctx);
        }
        self.reply(ctx, from, RaftMsg::Vote(r));
    }

    fn on_vote(&mut self, ctx: &mut Ctx<Self>, from: usize, v: VoteReply) {
        if v.term > self.state.current_term {
            self.become_follower(v.term);
            return;
        }
        if self.role == Role::Candidate && v.term == self.state.current_term && v.vote_granted {
            self.votes |= 1 << from;
            if self.votes.count_ones() as usize >= self.cfg.majority() {
                self.become_leader(ctx);
            }
        }
    }

    fn on_append(&mut self, ctx: &mut Ctx<Self>, from: usize, args: AppendEntries) {
        if args.term > self.state.current_term {
            self.become_follower(args.term);
        }
        if args.term == self.state.current_term {
            if self.role == Role::Candidate {
                self.role = Role::Follower;
            }
            if self.role == Role::Follower {
                self.leader_hint = Some(args.leader);
                self.reset_election_timer(ctx);
            }
        }
        let handler = self.cfg.handlers.append_entries;
        let r = handler(&mut self.state, &args);
        // on a rejection, match_index echoes the rejected prevLogIndex: the leader backs up below it
        let match_index =
            if r.success { args.prev_log_index + args.entries.len() } else { args.prev_log_index };
        let last_log_index = self.state.last_log_index();
        self.reply(
            ctx,
            from,
            RaftMsg::AppendResp { term: r.term, success: r.success, match_index, last_log_index },
        );
    }

    fn on_append_resp(
        &mut self,
        ctx: &mut Ctx<Self>,
        from: usize,
        term: Term,
        success: bool,
        match_index: LogIndex,
        last_log_index: LogIndex,
    ) {
        if term > self.state.current_term {
            self.become_follower(term);
            return;
        }
        if self.role != Role::Leader || term != self.state.current_term || self.frozen {
            return;
        }
        if success {
            let m = match_index.min(self.state.last_log_index());
            if m > self.match_index[from] {
                self.match_index[from] = m;
            }
            self.next_index[from] = self.next_index[from].max(self.match_index[from] + 1);
            self.advance_commit();
            if self.next_index[from] <= self.state.last_log_index() {
                self.send_append(ctx, from);
            }
        } else {
            // retry below the rejected prevLogIndex (never above the follower's log end)
            let back =
                match_index.min(self.next_index[from].saturating_sub(1)).min(last_log_index + 1);
            self.next_index[from] = back.max(self.match_index[from] + 1).max(1);
            self.send_append(ctx, from);
        }
    }
}

impl Node for RaftNode {
    type Msg = RaftMsg;
    type Timer = RaftTimer;
    type Request = KvRequest;
    type Response = KvResponse;

    fn on_start(&mut self, ctx: &mut Ctx<Self>) {
        self.version += 1;
        self.election_armed = false;
        if self.role == Role::Leader {
            // only for experiments that start with a leader (force_leader)
            let term = self.state.current_term;
            self.leader_since = Some(ctx.now());
            let last = self.state.last_log_index();
            self.next_index = vec![last + 1; self.cfg.servers];
            self.match_index = vec![0; self.cfg.servers];
            self.match_index[self.state.id] = last;
            self.broadcast_append(ctx);
            ctx.set_timer(self.cfg.heartbeat_ms, RaftTimer::Heartbeat(term));
        } else {
            self.reset_election_timer(ctx);
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: RaftMsg) {
        self.version += 1;
        let Some(from) = from.0.checked_sub(self.base).filter(|&f| f < self.cfg.servers) else {
            return;
        };
        match msg {
            RaftMsg::RequestVote(args) => self.on_request_vote(ctx, from, args),
            RaftMsg::Vote(v) => self.on_vote(ctx, from, v),
            RaftMsg::Append(args) => self.on_append(ctx, from, args),
            RaftMsg::AppendResp { term, success, match_index, last_log_index } => {
                self.on_append_resp(ctx, from, term, success, match_index, last_log_index)
            }
        }
        self.apply(ctx);
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, timer: RaftTimer) {
        self.version += 1;
        match timer {
            RaftTimer::Election => {
                self.election_armed = false;
                if self.role == Role::Leader {
                    return;
                }
                if ctx.now() < self.election_deadline {
                    let left = (self.election_deadline - ctx.now()).as_ms();
                    self.election_armed = true;
                    ctx.set_timer(left, RaftTimer::Election);
                } else {
                    self.start_election(ctx);
                }
            }
            RaftTimer::Heartbeat(term) if term == self.state.current_term => match self.role {
                Role::Leader => {
                    self.broadcast_append(ctx);
                    ctx.set_timer(self.cfg.heartbeat_ms, RaftTimer::Heartbeat(term));
                }
                Role::Candidate => {
                    self.resend_vote_requests(ctx);
                    ctx.set_timer(self.cfg.heartbeat_ms, RaftTimer::Heartbeat(term));
                }
                Role::Follower => {}
            },
            RaftTimer::Heartbeat(_) => {}
            RaftTimer::Persisted { to, reply } => self.send(ctx, to, reply),
        }
        self.apply(ctx);
    }

    fn on_request(&mut self, ctx: &mut Ctx<Self>, id: RequestId, request: KvRequest) {
        self.version += 1;
        if self.role != Role::Leader {
            let hint = self.leader_hint.map(|l| NodeId(self.base + l));
            ctx.respond(id, KvResponse::NotLeader(hint));
            return;
        }
        let command = match request {
            KvRequest::Put { key, value } => Command::Put { key, value },
            KvRequest::Get { key } => Command::Get { key },
        };
        let term = self.state.current_term;
        self.state.log.push(Entry { term, command });
        let index = self.state.last_log_index();
        self.match_index[self.state.id] = index;
        self.pending.push((index, term, id));
        for p in 0..self.cfg.servers {
            if p != self.me() && self.next_index[p] == index {
                self.send_append(ctx, p);
            }
        }
        self.advance_commit();
        self.apply(ctx);
    }

    fn restarted(&self) -> Self {
        let mut n = RaftNode::new(&self.cfg, self.base, self.me());
        n.state.current_term = self.state.current_term;
        n.state.voted_for =
            if self.cfg.bugs.has(Bug::ForgetVoteOnCrash) { None } else { self.state.voted_for };
        n.state.log = self.state.log.clone();
        n.version = self.version + 1;
        n.incarnation = self.incarnation + 1;
        n
    }
}

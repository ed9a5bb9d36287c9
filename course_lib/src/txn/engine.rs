//! The multi-version engine: runs steps one at a time under a concurrency-control scheme,
//! with waiting, deadlock detection, first-updater-wins, SSI's dangerous structures and
//! OCC's validation.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

use super::history::{HistRead, History, ReadKind, Version as HVersion};
use super::schedule::{Op, Predicate, Schedule, Step, Write};
use crate::error::Result;

/// The isolation levels of the contract. See the module docs for what each one does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Isolation {
    /// Reads see the newest version, committed or not; writes take long exclusive locks.
    ReadUncommitted,
    /// Reads see the newest committed version at the time of the read; long write locks.
    ReadCommitted,
    /// Shared read locks and exclusive write locks, both held to commit (SQL Server's
    /// "repeatable read"); no predicate locks, so phantoms get through.
    RepeatableReadLocking,
    /// A snapshot per transaction, taken at its first read, scan or write; first updater
    /// wins (PostgreSQL's "repeatable read").
    SnapshotIsolation,
    /// Serializable snapshot isolation (SSI, Cahill et al. 2008), PostgreSQL's
    /// "serializable". Strict 2PL with predicate locks is the variant [`Scheme::Strict2pl`].
    Serializable,
}

impl Isolation {
    /// All five levels, weakest first.
    pub const ALL: [Isolation; 5] = [
        Isolation::ReadUncommitted,
        Isolation::ReadCommitted,
        Isolation::RepeatableReadLocking,
        Isolation::SnapshotIsolation,
        Isolation::Serializable,
    ];

    /// A short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Isolation::ReadUncommitted => "read uncommitted",
            Isolation::ReadCommitted => "read committed",
            Isolation::RepeatableReadLocking => "repeatable read (locking)",
            Isolation::SnapshotIsolation => "snapshot isolation",
            Isolation::Serializable => "serializable (SSI)",
        }
    }
}

impl fmt::Display for Isolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A committed transaction as OCC's validation sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommittedTxn {
    /// Its name.
    pub name: String,
    /// Its commit timestamp: 1 for the first commit of the run, 2 for the next, …
    pub commit_ts: u64,
    /// What it wrote.
    pub writes: Vec<Write>,
}

/// What OCC's backward validation is given when a transaction asks to commit (Kung &
/// Robinson 1981): its read set, its predicate reads, its start timestamp, and every
/// transaction that committed so far in the run, oldest first.
#[derive(Clone, Copy, Debug)]
pub struct Validation<'a> {
    /// The committing transaction.
    pub txn: &'a str,
    /// The commit timestamp of the last commit before this transaction began (0 if none):
    /// a transaction committed after it began has `commit_ts > start_ts`.
    pub start_ts: u64,
    /// The keys it read (item reads).
    pub reads: &'a BTreeSet<String>,
    /// Its predicate reads (`scan M R`).
    pub scans: &'a [Predicate],
    /// Every committed transaction so far, in commit order (including ones that committed
    /// before this one began: filtering them out is the validator's job).
    pub committed: &'a [CommittedTxn],
}

/// OCC's validation step: `true` lets the transaction commit, `false` aborts it.
pub type Validator = fn(&Validation) -> bool;

/// The reference backward validation: abort if a transaction that committed after this one
/// began wrote a key this one read, or changed whether a row matches one of its scans.
pub fn reference_validator(v: &Validation) -> bool {
    v.committed.iter().filter(|c| c.commit_ts > v.start_ts).all(|c| {
        c.writes
            .iter()
            .all(|w| !v.reads.contains(&w.key) && !v.scans.iter().any(|p| p.matches_write(w)))
    })
}

/// A concurrency-control scheme the engine runs: the five isolation levels (with
/// `Serializable` as [`Scheme::Ssi`]), strict two-phase locking with predicate locks, and
/// optimistic concurrency control with a pluggable validation step.
#[derive(Clone, Copy, Debug)]
pub enum Scheme {
    /// [`Isolation::ReadUncommitted`].
    ReadUncommitted,
    /// [`Isolation::ReadCommitted`].
    ReadCommitted,
    /// [`Isolation::RepeatableReadLocking`].
    RepeatableReadLocking,
    /// [`Isolation::SnapshotIsolation`].
    SnapshotIsolation,
    /// Serializable snapshot isolation: SI plus rw-antidependency tracking; a transaction
    /// with both an incoming and an outgoing rw-antidependency (a pivot) is aborted.
    Ssi,
    /// Strict two-phase locking: shared locks on reads, exclusive locks on writes, predicate
    /// locks on scans, all held to commit; deadlocks broken on the wait-for graph.
    Strict2pl,
    /// Optimistic concurrency control: reads of the newest committed version, writes
    /// buffered, the validator decides at commit.
    Occ(Validator),
}

impl Scheme {
    /// A short name for tables and legends.
    pub fn name(&self) -> &'static str {
        match self {
            Scheme::ReadUncommitted => "read uncommitted",
            Scheme::ReadCommitted => "read committed",
            Scheme::RepeatableReadLocking => "repeatable read (locking)",
            Scheme::SnapshotIsolation => "snapshot isolation",
            Scheme::Ssi => "serializable (SSI)",
            Scheme::Strict2pl => "serializable (strict 2PL)",
            Scheme::Occ(_) => "OCC",
        }
    }
}

impl From<Isolation> for Scheme {
    fn from(level: Isolation) -> Scheme {
        match level {
            Isolation::ReadUncommitted => Scheme::ReadUncommitted,
            Isolation::ReadCommitted => Scheme::ReadCommitted,
            Isolation::RepeatableReadLocking => Scheme::RepeatableReadLocking,
            Isolation::SnapshotIsolation => Scheme::SnapshotIsolation,
            Isolation::Serializable => Scheme::Ssi,
        }
    }
}

/// What one step ended up doing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepResult {
    /// `begin`, a write, insert or delete that went through.
    Done,
    /// A read or scan, with the rows it returned (sorted by key).
    Rows(Vec<(String, i64)>),
    /// The commit went through.
    Committed,
    /// The transaction's own `abort`.
    Aborted,
    /// The engine aborted the transaction at this step, for the reason given.
    Failed(String),
    /// The transaction had already been aborted; the step did nothing.
    Skipped,
}

/// One step of a run, for the trace table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepTrace {
    /// The step as written (`T1 write x 11`).
    pub text: String,
    /// Its transaction.
    pub txn: String,
    /// Did it have to wait for a lock (or for its own transaction's earlier waiting step)?
    pub waited: bool,
    /// The transactions it first waited for.
    pub waited_for: Vec<String>,
    /// The index of the schedule step after which it completed (its own index if it did not
    /// wait); `None` if it never ran.
    pub completed_after: Option<usize>,
    /// What it did.
    pub result: StepResult,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seen {
    Own,
    Absent,
    Version(usize),
}

#[derive(Clone, Debug)]
struct Ver {
    vid: usize,
    writer: Option<usize>,
    value: Option<i64>,
    ts: u64,
}

#[derive(Clone, Debug, Default)]
struct KeyState {
    committed: Vec<Ver>,
    pending: Vec<Ver>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Active,
    Committed,
    Aborted,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Mode {
    S,
    X,
}

#[derive(Clone, Debug)]
enum RawRead {
    Item(String, Seen),
    Pred(Predicate, Vec<(String, Seen)>),
}

#[derive(Clone, Debug)]
struct Txn {
    name: String,
    status: Status,
    start_ts: u64,
    snapshot: Option<u64>,
    commit_ts: Option<u64>,
    queue: VecDeque<usize>,
    blocked_on: Vec<usize>,
    raw_reads: Vec<RawRead>,
    read_keys: BTreeSet<String>,
    scans: Vec<Predicate>,
    written: BTreeSet<String>,
    rw_in: BTreeSet<usize>,
    rw_out: BTreeSet<usize>,
    abort_reason: Option<String>,
    begin_step: usize,
}

enum Exec {
    Done(StepResult),
    Blocked(Vec<usize>),
    Fail(String),
}

/// The engine's state; [`run`] drives it with a whole schedule, the contention workload
/// step by step.
#[derive(Clone, Debug)]
pub(crate) struct Engine {
    scheme: Scheme,
    keys: BTreeMap<String, KeyState>,
    txns: Vec<Txn>,
    by_name: BTreeMap<String, usize>,
    steps: Vec<Step>,
    trace: Vec<StepTrace>,
    locks: BTreeMap<String, Vec<(usize, Mode)>>,
    plocks: Vec<(usize, Predicate)>,
    siread: BTreeMap<String, BTreeSet<usize>>,
    sipred: Vec<(usize, Predicate)>,
    committed_log: Vec<CommittedTxn>,
    clock: u64,
    next_vid: usize,
    now: usize,
}

impl Engine {
    pub(crate) fn new(scheme: Scheme, init: &[(String, i64)]) -> Engine {
        let mut e = Engine {
            scheme,
            keys: BTreeMap::new(),
            txns: Vec::new(),
            by_name: BTreeMap::new(),
            steps: Vec::new(),
            trace: Vec::new(),
            locks: BTreeMap::new(),
            plocks: Vec::new(),
            siread: BTreeMap::new(),
            sipred: Vec::new(),
            committed_log: Vec::new(),
            clock: 0,
            next_vid: 0,
            now: 0,
        };
        for (k, v) in init {
            let vid = e.vid();
            e.keys.entry(k.clone()).or_default().committed.push(Ver {
                vid,
                writer: None,
                value: Some(*v),
                ts: 0,
            });
        }
        e
    }

    fn vid(&mut self) -> usize {
        self.next_vid += 1;
        self.next_vid - 1
    }

    /// Is the transaction named `name` blocked (a step waiting)?
    pub(crate) fn is_blocked(&self, name: &str) -> bool {
        self.by_name.get(name).is_some_and(|&t| !self.txns[t].queue.is_empty())
    }

    /// `Some(true)` committed, `Some(false)` aborted, `None` still running or unknown.
    pub(crate) fn finished(&self, name: &str) -> Option<bool> {
        let t = *self.by_name.get(name)?;
        match self.txns[t].status {
            Status::Active => None,
            Status::Committed => Some(true),
            Status::Aborted => Some(false),
        }
    }

    /// Submits the next step (the caller guarantees the schedule grammar: begun, not finished).
    pub(crate) fn submit(&mut self, step: Step) {
        let i = self.steps.len();
        self.now = i;
        self.trace.push(StepTrace {
            text: step.to_string(),
            txn: step.txn.clone(),
            waited: false,
            waited_for: Vec::new(),
            completed_after: None,
            result: StepResult::Skipped,
        });
        let name = step.txn.clone();
        let is_begin = step.op == Op::Begin;
        self.steps.push(step);
        if is_begin {
            let t = self.txns.len();
            self.txns.push(Txn {
                name: name.clone(),
                status: Status::Active,
                start_ts: self.clock,
                snapshot: None,
                commit_ts: None,
                queue: VecDeque::new(),
                blocked_on: Vec::new(),
                raw_reads: Vec::new(),
                read_keys: BTreeSet::new(),
                scans: Vec::new(),
                written: BTreeSet::new(),
                rw_in: BTreeSet::new(),
                rw_out: BTreeSet::new(),
                abort_reason: None,
                begin_step: i,
            });
            self.by_name.insert(name, t);
            self.trace[i].result = StepResult::Done;
            self.trace[i].completed_after = Some(i);
            return;
        }
        let Some(&t) = self.by_name.get(&name) else { return };
        if self.txns[t].status != Status::Active {
            return; // skipped: aborted earlier by the engine
        }
        if !self.txns[t].queue.is_empty() {
            self.trace[i].waited = true;
            self.txns[t].queue.push_back(i);
            return;
        }
        self.txns[t].queue.push_back(i);
        self.attempt(t);
        self.settle();
    }

    /// Tries the head of `t`'s queue; returns whether anything changed.
    fn attempt(&mut self, t: usize) -> bool {
        let Some(&i) = self.txns[t].queue.front() else { return false };
        match self.exec(t, i) {
            Exec::Done(r) => {
                self.txns[t].queue.pop_front();
                self.txns[t].blocked_on.clear();
                self.trace[i].result = r;
                self.trace[i].completed_after = Some(self.now);
                true
            }
            Exec::Blocked(holders) => {
                let first = !self.trace[i].waited;
                self.trace[i].waited = true;
                if first {
                    self.trace[i].waited_for =
                        holders.iter().map(|&h| self.txns[h].name.clone()).collect();
                }
                let changed = self.txns[t].blocked_on != holders;
                self.txns[t].blocked_on = holders;
                if let Some(cycle) = self.deadlock_cycle(t) {
                    let names: Vec<String> =
                        cycle.iter().map(|&c| self.txns[c].name.clone()).collect();
                    let reason = format!(
                        "deadlock: {} → {} (the waiting step closed the cycle)",
                        names.join(" → "),
                        names[0]
                    );
                    self.trace[i].result = StepResult::Failed(reason.clone());
                    self.trace[i].completed_after = Some(self.now);
                    self.txns[t].queue.pop_front();
                    self.abort_txn(t, reason);
                    return true;
                }
                changed && first
            }
            Exec::Fail(reason) => {
                self.trace[i].result = StepResult::Failed(reason.clone());
                self.trace[i].completed_after = Some(self.now);
                self.txns[t].queue.pop_front();
                self.abort_txn(t, reason);
                true
            }
        }
    }

    fn settle(&mut self) {
        loop {
            let mut progress = false;
            for t in 0..self.txns.len() {
                while self.txns[t].status == Status::Active && !self.txns[t].queue.is_empty() {
                    let before = self.txns[t].queue.len();
                    self.attempt(t);
                    if self.txns[t].queue.len() < before || self.txns[t].status != Status::Active {
                        progress = true;
                    } else {
                        break;
                    }
                }
            }
            if !progress {
                break;
            }
        }
    }

    /// Ends the run: transactions left open are aborted (the one not waiting first, so the
    /// steps waiting for it can still run).
    pub(crate) fn finish(&mut self) {
        loop {
            self.settle();
            let open = (0..self.txns.len())
                .find(|&t| self.txns[t].status == Status::Active && self.txns[t].queue.is_empty());
            match open {
                Some(t) => self.abort_txn(t, "still open at the end of the schedule".into()),
                None => break,
            }
        }
        for t in 0..self.txns.len() {
            if self.txns[t].status == Status::Active {
                self.abort_txn(t, "still waiting at the end of the schedule".into());
            }
        }
    }

    fn deadlock_cycle(&self, start: usize) -> Option<Vec<usize>> {
        // depth-first search on the wait-for graph from `start`, back to `start`
        let mut path = vec![start];
        let mut iters = vec![0usize];
        let mut seen = BTreeSet::new();
        seen.insert(start);
        while let Some(&node) = path.last() {
            let k = iters.last_mut().expect("same length");
            let next = self.txns[node].blocked_on.get(*k).copied();
            *k += 1;
            match next {
                None => {
                    path.pop();
                    iters.pop();
                }
                Some(n) if n == start => return Some(path),
                Some(n) => {
                    if self.txns[n].status == Status::Active && seen.insert(n) {
                        path.push(n);
                        iters.push(0);
                    }
                }
            }
        }
        None
    }

    fn abort_txn(&mut self, t: usize, reason: String) {
        if self.txns[t].status != Status::Active {
            return;
        }
        self.txns[t].status = Status::Aborted;
        self.txns[t].abort_reason = Some(reason);
        self.txns[t].queue.clear();
        self.txns[t].blocked_on.clear();
        for ks in self.keys.values_mut() {
            ks.pending.retain(|v| v.writer != Some(t));
        }
        self.release(t);
        let (ins, outs) =
            (std::mem::take(&mut self.txns[t].rw_in), std::mem::take(&mut self.txns[t].rw_out));
        for o in ins {
            self.txns[o].rw_out.remove(&t);
        }
        for o in outs {
            self.txns[o].rw_in.remove(&t);
        }
        for s in self.siread.values_mut() {
            s.remove(&t);
        }
        self.sipred.retain(|(o, _)| *o != t);
    }

    fn release(&mut self, t: usize) {
        for hs in self.locks.values_mut() {
            hs.retain(|(h, _)| *h != t);
        }
        self.plocks.retain(|(h, _)| *h != t);
    }

    fn latest_committed(&self, k: &str) -> Option<&Ver> {
        self.keys.get(k).and_then(|ks| ks.committed.last())
    }

    fn visible(&self, t: usize, k: &str) -> (Seen, Option<i64>) {
        let Some(ks) = self.keys.get(k) else { return (Seen::Absent, None) };
        if let Some(v) = ks.pending.iter().find(|v| v.writer == Some(t)) {
            return (Seen::Own, v.value);
        }
        let v = match self.scheme {
            Scheme::ReadUncommitted => ks.pending.last().or(ks.committed.last()),
            Scheme::SnapshotIsolation | Scheme::Ssi => {
                let snap = self.txns[t].snapshot.unwrap_or(self.clock);
                ks.committed.iter().rev().find(|v| v.ts <= snap)
            }
            _ => ks.committed.last(),
        };
        match v {
            Some(v) => (Seen::Version(v.vid), v.value),
            None => (Seen::Absent, None),
        }
    }

    fn uses_snapshot(&self) -> bool {
        matches!(self.scheme, Scheme::SnapshotIsolation | Scheme::Ssi)
    }

    /// Other transactions holding a lock on `k` that conflicts with `mode`.
    fn conflicts(&self, t: usize, k: &str, mode: Mode) -> Vec<usize> {
        self.locks
            .get(k)
            .map(|hs| {
                hs.iter()
                    .filter(|(h, m)| *h != t && (mode == Mode::X || *m == Mode::X))
                    .map(|(h, _)| *h)
                    .collect()
            })
            .unwrap_or_default()
    }

    fn grant(&mut self, t: usize, k: &str, mode: Mode) {
        let hs = self.locks.entry(k.to_string()).or_default();
        if let Some(e) = hs.iter_mut().find(|(h, _)| *h == t) {
            e.1 = e.1.max(mode);
        } else {
            hs.push((t, mode));
        }
    }

    /// Every value row `k` has now, committed (newest) or pending.
    fn any_value_matches(&self, k: &str, p: &Predicate) -> bool {
        self.keys.get(k).is_some_and(|ks| {
            p.matches(ks.committed.last().and_then(|v| v.value))
                || ks.pending.iter().any(|v| p.matches(v.value))
        })
    }

    fn add_rw(&mut self, reader: usize, writer: usize) {
        if reader == writer
            || self.txns[reader].status == Status::Aborted
            || self.txns[writer].status == Status::Aborted
        {
            return;
        }
        self.txns[reader].rw_out.insert(writer);
        self.txns[writer].rw_in.insert(reader);
    }

    /// SSI: a transaction with an rw-antidependency in and out is a pivot; abort it if it is
    /// still running, else the current one. Returns the reason if the current one must fail.
    fn ssi_check(&mut self, current: usize, involved: &[usize]) -> Option<String> {
        for &x in involved {
            let tx = &self.txns[x];
            if tx.status == Status::Aborted || tx.rw_in.is_empty() || tx.rw_out.is_empty() {
                continue;
            }
            let reason = format!(
                "serialization failure: {} has rw-antidependencies in ({}) and out ({}) (SSI's dangerous structure)",
                tx.name,
                tx.rw_in.iter().map(|&o| self.txns[o].name.as_str()).collect::<Vec<_>>().join(", "),
                tx.rw_out.iter().map(|&o| self.txns[o].name.as_str()).collect::<Vec<_>>().join(", "),
            );
            if x == current || tx.status == Status::Committed {
                return Some(reason);
            }
            self.abort_txn(x, reason);
        }
        None
    }

    fn concurrent_with(&self, r: usize, t: usize) -> bool {
        let rt = &self.txns[r];
        match rt.status {
            Status::Active => true,
            Status::Aborted => false,
            Status::Committed => {
                rt.commit_ts.unwrap_or(0) > self.txns[t].snapshot.unwrap_or(self.clock)
            }
        }
    }

    fn exec(&mut self, t: usize, i: usize) -> Exec {
        let op = self.steps[i].op.clone();
        if self.uses_snapshot()
            && self.txns[t].snapshot.is_none()
            && op != Op::Commit
            && op != Op::Abort
        {
            self.txns[t].snapshot = Some(self.clock);
        }
        match op {
            Op::Begin => Exec::Done(StepResult::Done),
            Op::Read(k) => self.read(t, &k),
            Op::Scan(p) => self.scan(t, p),
            Op::Write(k, v) | Op::Insert(k, v) => self.write(t, &k, Some(v)),
            Op::Delete(k) => self.write(t, &k, None),
            Op::Commit => self.commit(t),
            Op::Abort => {
                self.abort_txn(t, "aborted by its own `abort`".into());
                Exec::Done(StepResult::Aborted)
            }
        }
    }

    fn read(&mut self, t: usize, k: &str) -> Exec {
        if matches!(self.scheme, Scheme::RepeatableReadLocking | Scheme::Strict2pl) {
            let c = self.conflicts(t, k, Mode::S);
            if !c.is_empty() {
                return Exec::Blocked(c);
            }
            self.grant(t, k, Mode::S);
        }
        let (seen, value) = self.visible(t, k);
        if seen != Seen::Own {
            self.txns[t].read_keys.insert(k.to_string());
        }
        self.txns[t].raw_reads.push(RawRead::Item(k.to_string(), seen));
        if let Scheme::Ssi = self.scheme {
            self.siread.entry(k.to_string()).or_default().insert(t);
            let writers = self.unseen_writers(t, k, None);
            for w in &writers {
                self.add_rw(t, *w);
            }
            let mut inv = writers;
            inv.push(t);
            if let Some(r) = self.ssi_check(t, &inv) {
                return Exec::Fail(r);
            }
        }
        Exec::Done(StepResult::Rows(value.map(|v| vec![(k.to_string(), v)]).unwrap_or_default()))
    }

    /// Writers of versions of `k` that `t` does not see (SSI); with a predicate, only those
    /// whose unseen version or whose visible version matches it.
    fn unseen_writers(&self, t: usize, k: &str, pred: Option<&Predicate>) -> Vec<usize> {
        let Some(ks) = self.keys.get(k) else { return Vec::new() };
        let snap = self.txns[t].snapshot.unwrap_or(self.clock);
        let visible = self.visible(t, k).1;
        let mut out = Vec::new();
        for v in ks.committed.iter().filter(|v| v.ts > snap).chain(ks.pending.iter()) {
            if let Some(w) = v.writer {
                let relevant = match pred {
                    None => true,
                    Some(p) => p.matches(v.value) || p.matches(visible),
                };
                if w != t && relevant && !out.contains(&w) {
                    out.push(w);
                }
            }
        }
        out
    }

    fn scan(&mut self, t: usize, p: Predicate) -> Exec {
        let keys: Vec<String> = self.keys.keys().cloned().collect();
        match self.scheme {
            Scheme::RepeatableReadLocking | Scheme::Strict2pl => {
                let mut blockers = Vec::new();
                for k in keys.iter().filter(|k| self.any_value_matches(k, &p)) {
                    for h in self.conflicts(t, k, Mode::S) {
                        if !blockers.contains(&h) {
                            blockers.push(h);
                        }
                    }
                }
                if !blockers.is_empty() {
                    return Exec::Blocked(blockers);
                }
                let matching: Vec<String> =
                    keys.iter().filter(|k| self.any_value_matches(k, &p)).cloned().collect();
                for k in &matching {
                    self.grant(t, k, Mode::S);
                }
                if matches!(self.scheme, Scheme::Strict2pl) {
                    self.plocks.push((t, p));
                }
            }
            _ => {}
        }
        let mut rows = Vec::new();
        let mut seen = Vec::new();
        for k in &keys {
            let (s, v) = self.visible(t, k);
            if p.matches(v) {
                rows.push((k.clone(), v.unwrap_or_default()));
            }
            seen.push((k.clone(), s));
        }
        self.txns[t].scans.push(p);
        self.txns[t].raw_reads.push(RawRead::Pred(p, seen));
        if let Scheme::Ssi = self.scheme {
            self.sipred.push((t, p));
            let mut inv = vec![t];
            for k in &keys {
                for w in self.unseen_writers(t, k, Some(&p)) {
                    self.add_rw(t, w);
                    inv.push(w);
                }
            }
            if let Some(r) = self.ssi_check(t, &inv) {
                return Exec::Fail(r);
            }
        }
        Exec::Done(StepResult::Rows(rows))
    }

    fn write(&mut self, t: usize, k: &str, value: Option<i64>) -> Exec {
        let before = self.latest_committed(k).and_then(|v| v.value);
        if !matches!(self.scheme, Scheme::Occ(_)) {
            let mut c = self.conflicts(t, k, Mode::X);
            if matches!(self.scheme, Scheme::Strict2pl) {
                for (h, p) in &self.plocks {
                    if *h != t && (p.matches(before) || p.matches(value)) && !c.contains(h) {
                        c.push(*h);
                    }
                }
            }
            if !c.is_empty() {
                return Exec::Blocked(c);
            }
            self.grant(t, k, Mode::X);
        }
        if self.uses_snapshot() {
            let snap = self.txns[t].snapshot.unwrap_or(self.clock);
            if let Some(v) = self.latest_committed(k) {
                if v.ts > snap {
                    let by = v.writer.map(|w| self.txns[w].name.clone()).unwrap_or_default();
                    return Exec::Fail(format!(
                        "could not serialize access due to concurrent update: {by} committed {k} after this snapshot (first updater wins)"
                    ));
                }
            }
        }
        if let Scheme::Ssi = self.scheme {
            let mut readers: Vec<usize> =
                self.siread.get(k).map(|s| s.iter().copied().collect()).unwrap_or_default();
            for (r, p) in &self.sipred {
                if p.matches(before) || p.matches(value) {
                    readers.push(*r);
                }
            }
            readers.sort_unstable();
            readers.dedup();
            let mut inv = vec![t];
            for r in readers {
                if r != t && self.concurrent_with(r, t) {
                    self.add_rw(r, t);
                    inv.push(r);
                }
            }
            if let Some(r) = self.ssi_check(t, &inv) {
                return Exec::Fail(r);
            }
        }
        let vid = self.vid();
        let ks = self.keys.entry(k.to_string()).or_default();
        ks.pending.retain(|v| v.writer != Some(t));
        ks.pending.push(Ver { vid, writer: Some(t), value, ts: 0 });
        self.txns[t].written.insert(k.to_string());
        Exec::Done(StepResult::Done)
    }

    fn commit(&mut self, t: usize) -> Exec {
        if let Scheme::Occ(validate) = self.scheme {
            let tx = &self.txns[t];
            let v = Validation {
                txn: &tx.name,
                start_ts: tx.start_ts,
                reads: &tx.read_keys,
                scans: &tx.scans,
                committed: &self.committed_log,
            };
            if !validate(&v) {
                return Exec::Fail("OCC validation failed".into());
            }
        }
        if let Scheme::Ssi = self.scheme {
            if let Some(r) = self.ssi_check(t, &[t]) {
                return Exec::Fail(r);
            }
        }
        self.clock += 1;
        let ts = self.clock;
        let mut writes = Vec::new();
        for k in self.txns[t].written.clone() {
            let ks = self.keys.get_mut(&k).expect("written keys exist");
            if let Some(pos) = ks.pending.iter().position(|v| v.writer == Some(t)) {
                let mut v = ks.pending.remove(pos);
                let before = ks.committed.last().and_then(|c| c.value);
                v.ts = ts;
                writes.push(Write { key: k.clone(), before, after: v.value });
                ks.committed.push(v);
            }
        }
        self.committed_log.push(CommittedTxn {
            name: self.txns[t].name.clone(),
            commit_ts: ts,
            writes,
        });
        self.txns[t].status = Status::Committed;
        self.txns[t].commit_ts = Some(ts);
        self.release(t);
        Exec::Done(StepResult::Committed)
    }

    /// The committed transactions' history, for the serializability checker.
    pub(crate) fn history(&self) -> History {
        let mut order: Vec<usize> =
            (0..self.txns.len()).filter(|&t| self.txns[t].status == Status::Committed).collect();
        order.sort_by_key(|&t| self.txns[t].commit_ts);
        let mut hidx = vec![usize::MAX; self.txns.len()];
        for (h, &t) in order.iter().enumerate() {
            hidx[t] = h;
        }
        let mut pos: BTreeMap<usize, usize> = BTreeMap::new();
        let mut versions = BTreeMap::new();
        for (k, ks) in &self.keys {
            let mut vs = Vec::new();
            let mut rest = ks.committed.as_slice();
            match ks.committed.first() {
                Some(v) if v.writer.is_none() => {
                    pos.insert(v.vid, 0);
                    vs.push(HVersion { writer: None, value: v.value });
                    rest = &ks.committed[1..];
                }
                _ => vs.push(HVersion { writer: None, value: None }),
            }
            for v in rest {
                pos.insert(v.vid, vs.len());
                vs.push(HVersion { writer: v.writer.map(|w| hidx[w]), value: v.value });
            }
            versions.insert(k.clone(), vs);
        }
        let at = |s: Seen| -> Option<usize> {
            match s {
                Seen::Absent => Some(0),
                Seen::Version(vid) => pos.get(&vid).copied(),
                Seen::Own => unreachable!("own reads are filtered out"),
            }
        };
        let own_pos = |k: &str, h: usize| -> Option<usize> {
            versions
                .get(k)
                .and_then(|vs: &Vec<HVersion>| vs.iter().position(|v| v.writer == Some(h)))
        };
        let mut reads = Vec::new();
        for &t in &order {
            for r in &self.txns[t].raw_reads {
                match r {
                    RawRead::Item(_, Seen::Own) => {}
                    RawRead::Item(k, s) => reads.push(HistRead {
                        txn: hidx[t],
                        kind: ReadKind::Item { key: k.clone(), version: at(*s) },
                    }),
                    RawRead::Pred(p, seen) => reads.push(HistRead {
                        txn: hidx[t],
                        kind: ReadKind::Predicate {
                            pred: *p,
                            seen: seen
                                .iter()
                                .map(|(k, s)| match s {
                                    // its own write: the version it installed at commit
                                    Seen::Own => (k.clone(), own_pos(k, hidx[t])),
                                    s => (k.clone(), at(*s)),
                                })
                                .collect(),
                        },
                    }),
                }
            }
        }
        History {
            txns: order.iter().map(|&t| self.txns[t].name.clone()).collect(),
            versions,
            reads,
        }
    }

    pub(crate) fn into_outcome(self) -> Outcome {
        let history = self.history();
        let mut txns = BTreeMap::new();
        for t in &self.txns {
            txns.insert(
                t.name.clone(),
                (t.status == Status::Committed, t.abort_reason.clone(), t.begin_step),
            );
        }
        let mut final_state = Vec::new();
        for (k, ks) in &self.keys {
            if let Some(v) = ks.committed.last().and_then(|v| v.value) {
                final_state.push((k.clone(), v));
            }
        }
        Outcome { scheme: self.scheme.name(), trace: self.trace, txns, final_state, history }
    }
}

/// What a run did: per step (what it saw, whether it waited), per transaction (committed
/// or why it was aborted), the final state, and the committed history.
#[derive(Clone, Debug)]
pub struct Outcome {
    scheme: &'static str,
    trace: Vec<StepTrace>,
    txns: BTreeMap<String, (bool, Option<String>, usize)>,
    final_state: Vec<(String, i64)>,
    history: History,
}

impl Outcome {
    /// For a read or scan step (0-based among the schedule's steps), the rows it returned,
    /// sorted by key (empty if none); `None` for another kind of step, a step that never ran
    /// (its transaction was aborted first) or an index past the end.
    pub fn read_values(&self, step: usize) -> Option<Vec<(String, i64)>> {
        match &self.trace.get(step)?.result {
            StepResult::Rows(r) => Some(r.clone()),
            _ => None,
        }
    }

    /// Did transaction `txn` commit? (`false` for an unknown name.)
    pub fn committed(&self, txn: &str) -> bool {
        self.txns.get(txn).is_some_and(|t| t.0)
    }

    /// Why `txn` was aborted, if it was.
    pub fn abort_reason(&self, txn: &str) -> Option<&str> {
        self.txns.get(txn).and_then(|t| t.1.as_deref())
    }

    /// Did step `step` wait (for a lock, or behind its transaction's earlier waiting step)?
    pub fn waited(&self, step: usize) -> bool {
        self.trace.get(step).is_some_and(|s| s.waited)
    }

    /// The committed rows at the end, sorted by key.
    pub fn final_state(&self) -> Vec<(String, i64)> {
        self.final_state.clone()
    }

    /// Every step: what it did, saw and waited for.
    pub fn trace(&self) -> &[StepTrace] {
        &self.trace
    }

    /// The scheme's name.
    pub fn scheme(&self) -> &'static str {
        self.scheme
    }

    /// The committed transactions' history (versions read, versions installed), for
    /// [`check_serializable`](super::check_serializable).
    pub fn history(&self) -> &History {
        &self.history
    }

    /// The transactions, in order of their `begin`, with whether they committed.
    pub fn txn_results(&self) -> Vec<(String, bool)> {
        let mut v: Vec<_> = self.txns.iter().collect();
        v.sort_by_key(|(_, t)| t.2);
        v.into_iter().map(|(n, t)| (n.clone(), t.0)).collect()
    }
}

/// Runs `schedule` under `level`: the steps in order; a step that must wait for a lock waits
/// (later steps of the same transaction queue behind it, other transactions go on) and runs
/// as soon as it can; a deadlock aborts the transaction whose waiting step closed the cycle
/// in the wait-for graph; a transaction still open at the end is aborted.
///
/// # Errors
/// None today for a parsed schedule (the signature leaves room for limits).
pub fn run(schedule: &Schedule, level: Isolation) -> Result<Outcome> {
    run_scheme(schedule, level.into())
}

/// [`run`] with any [`Scheme`]: strict 2PL (`Scheme::Strict2pl`) or OCC with a validator.
///
/// # Errors
/// As [`run`].
pub fn run_scheme(schedule: &Schedule, scheme: Scheme) -> Result<Outcome> {
    let mut e = Engine::new(scheme, schedule.init());
    for s in schedule.steps() {
        e.submit(s.clone());
    }
    e.finish();
    Ok(e.into_outcome())
}

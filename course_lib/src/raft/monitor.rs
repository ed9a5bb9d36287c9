//! Invariant monitors for Raft's five safety properties (Figure 3), checked after every step.

use std::collections::HashMap;
use std::fmt;

use super::{Command, Entry, RaftNode, Role, Term};

/// One of the five safety properties of Figure 3 (plus linearizability of the client history).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Property {
    /// At most one leader can be elected in a given term.
    ElectionSafety,
    /// A leader never overwrites or deletes entries in its log; it only appends.
    LeaderAppendOnly,
    /// Two logs with an entry of the same index and term are identical up to that index.
    LogMatching,
    /// An entry committed in a term is in the logs of the leaders of all higher terms.
    LeaderCompleteness,
    /// No two servers apply different entries at the same index.
    StateMachineSafety,
    /// The clients' history is linearizable (checked after the run).
    Linearizability,
}

impl fmt::Display for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Property::ElectionSafety => "election safety",
            Property::LeaderAppendOnly => "leader append-only",
            Property::LogMatching => "log matching",
            Property::LeaderCompleteness => "leader completeness",
            Property::StateMachineSafety => "state-machine safety",
            Property::Linearizability => "linearizability",
        })
    }
}

/// What the monitor remembers about one server between steps.
#[derive(Clone, Debug, Default)]
struct Seen {
    version: u64,
    incarnation: u32,
    /// The log at the last check, and the hash of every prefix: `hash[k]` covers `log[..=k]`.
    log: Vec<Entry>,
    hash: Vec<u64>,
    /// The term in which the server was leader at the last check.
    leader_term: Option<Term>,
    commit: usize,
    applied: usize,
}

/// A 64-bit chain hash of log prefixes: equal hashes at index k mean (up to a collision,
/// probability about 2⁻⁶⁴ per comparison) identical logs up to k.
fn chain(prev: u64, e: &Entry) -> u64 {
    let (tag, a, b) = match e.command {
        Command::Noop => (1u64, 0i64, 0i64),
        Command::Put { key, value } => (2, key, value),
        Command::Get { key } => (3, key, 0),
    };
    let mut h = prev ^ 0x9E37_79B9_7F4A_7C15;
    for x in [e.term, tag, a as u64, b as u64] {
        h = (h ^ x).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        h ^= h >> 31;
    }
    h
}

/// Checks the five safety properties over the servers of one group after every step.
///
/// It keeps history variables, as a TLA+ specification would: the leader of every term seen so
/// far, the entries known committed (with the term in which they were first seen committed),
/// and the entries applied at each index. Only servers whose state changed since the last
/// check are re-examined, and logs are compared through prefix hashes, so a check costs about
/// one pass over the changed server's log per step.
#[derive(Clone, Debug, Default)]
pub struct Monitor {
    seen: Vec<Seen>,
    leaders: HashMap<Term, usize>,
    committed: Vec<(Entry, Term)>,
    committed_hash: Vec<u64>,
    applied: Vec<Entry>,
}

impl Monitor {
    /// A monitor for a group of `servers` servers.
    pub fn new(servers: usize) -> Monitor {
        Monitor { seen: vec![Seen::default(); servers], ..Monitor::default() }
    }

    /// Entries known committed so far (the longest committed prefix any server reported).
    pub fn committed_len(&self) -> usize {
        self.committed.len()
    }

    /// Check the group `nodes` (`up[i]`: is server i running). Returns the first violation
    /// found, as `(property, detail)`.
    pub fn check(&mut self, nodes: &[RaftNode], up: &[bool]) -> Option<(Property, String)> {
        let committed_before = self.committed.len();
        let mut any = false;
        for (i, n) in nodes.iter().enumerate() {
            if n.version() != self.seen[i].version || (self.seen[i].leader_term.is_some() && !up[i])
            {
                any = true;
                if let Some(v) = self.check_node(nodes, up, i) {
                    return Some(v);
                }
            }
        }
        if !any {
            return None;
        }
        // A leader must hold every entry committed in a lower term (also when the committed
        // prefix grew because of another server).
        for (i, n) in nodes.iter().enumerate() {
            if up[i] && n.role() == Role::Leader {
                if let Some(v) = self.check_completeness(n, i, committed_before) {
                    return Some(v);
                }
            }
        }
        None
    }

    fn check_node(
        &mut self,
        nodes: &[RaftNode],
        up: &[bool],
        i: usize,
    ) -> Option<(Property, String)> {
        let n = &nodes[i];
        let log = n.log();
        let term = n.term();
        if n.incarnation() != self.seen[i].incarnation {
            let (old_log, old_hash) =
                (std::mem::take(&mut self.seen[i].log), std::mem::take(&mut self.seen[i].hash));
            self.seen[i] = Seen {
                incarnation: n.incarnation(),
                log: old_log,
                hash: old_hash,
                ..Seen::default()
            };
        }
        self.seen[i].version = n.version();
        let is_leader = up[i] && n.role() == Role::Leader;

        // Where did the log change? d = first index (0-based) that differs from the last check.
        let old = &self.seen[i].log;
        let common = old.len().min(log.len());
        let d = (0..common).find(|&k| old[k] != log[k]).unwrap_or(common);

        // 1. Election safety.
        if is_leader {
            match self.leaders.get(&term) {
                Some(&other) if other != i => {
                    return Some((
                        Property::ElectionSafety,
                        format!("s{i} and s{other} were both elected leader of term {term}"),
                    ));
                }
                Some(_) => {}
                None => {
                    self.leaders.insert(term, i);
                }
            }
        }

        // 2. Leader append-only.
        if is_leader && self.seen[i].leader_term == Some(term) && d < old.len() {
            let what = if d < log.len() {
                format!(
                    "overwrote index {}: {} (t{}) became {} (t{})",
                    d + 1,
                    old[d].command,
                    old[d].term,
                    log[d].command,
                    log[d].term
                )
            } else {
                format!("shrank its log from {} to {} entries", old.len(), log.len())
            };
            return Some((
                Property::LeaderAppendOnly,
                format!("leader s{i} of term {term} {what}"),
            ));
        }
        self.seen[i].leader_term = if is_leader { Some(term) } else { None };

        // Bring the copy and its prefix hashes up to date from d.
        {
            let s = &mut self.seen[i];
            s.log.truncate(d);
            s.hash.truncate(d);
            for e in &log[d..] {
                let prev = s.hash.last().copied().unwrap_or(0);
                s.hash.push(chain(prev, e));
                s.log.push(*e);
            }
        }

        // 3. Log matching, against every other server, at the indices that changed.
        for j in 0..nodes.len() {
            if j == i {
                continue;
            }
            let (mine, theirs) = (&self.seen[i], &self.seen[j]);
            let m = mine.log.len().min(theirs.log.len());
            if let Some(hi) = (d..m).rev().find(|&k| mine.log[k].term == theirs.log[k].term) {
                if mine.hash[hi] != theirs.hash[hi] {
                    let k = (0..=hi).find(|&k| mine.log[k] != theirs.log[k]).unwrap_or(hi);
                    let (a, b) = (mine.log[k], theirs.log[k]);
                    return Some((
                        Property::LogMatching,
                        format!(
                            "s{i} and s{j} agree on index {} (term {}) but differ at index {}: {} (t{}) vs {} (t{})",
                            hi + 1,
                            mine.log[hi].term,
                            k + 1,
                            a.command,
                            a.term,
                            b.command,
                            b.term
                        ),
                    ));
                }
            }
        }

        // Committed entries: what this server now reports committed must agree with the past.
        let commit = n.commit_index().min(log.len());
        if commit > self.seen[i].commit {
            for (k, entry) in log.iter().enumerate().take(commit).skip(self.seen[i].commit) {
                match self.committed.get(k) {
                    Some((e, _)) if e != entry => {
                        return Some((
                            Property::StateMachineSafety,
                            format!(
                                "s{i} marks index {} committed with {} (t{}), but {} (t{}) was committed there before",
                                k + 1,
                                log[k].command,
                                log[k].term,
                                e.command,
                                e.term
                            ),
                        ));
                    }
                    Some(_) => {}
                    None => {
                        let prev = self.committed_hash.last().copied().unwrap_or(0);
                        self.committed_hash.push(chain(prev, entry));
                        self.committed.push((*entry, term));
                    }
                }
            }
        }
        self.seen[i].commit = commit;

        // 5. State-machine safety: what this server applied in this step.
        let applied = n.last_applied();
        if applied > self.seen[i].applied {
            for (k, entry) in log.iter().enumerate().take(applied).skip(self.seen[i].applied) {
                match self.applied.get(k) {
                    Some(e) if e != entry => {
                        return Some((
                            Property::StateMachineSafety,
                            format!(
                                "s{i} applied {} (t{}) at index {}, another server applied {} (t{}) there",
                                log[k].command,
                                log[k].term,
                                k + 1,
                                e.command,
                                e.term
                            ),
                        ));
                    }
                    Some(_) => {}
                    None => self.applied.push(*entry),
                }
            }
        }
        self.seen[i].applied = applied;
        None
    }

    // 4. Leader completeness: the leader of term T holds every entry committed in a term < T.
    fn check_completeness(
        &self,
        n: &RaftNode,
        i: usize,
        _before: usize,
    ) -> Option<(Property, String)> {
        let term = n.term();
        let hi = (0..self.committed.len()).rev().find(|&k| self.committed[k].1 < term)?;
        let mine = &self.seen[i];
        if mine.hash.get(hi) == Some(&self.committed_hash[hi]) {
            return None;
        }
        let log = n.log();
        let k = (0..=hi).find(|&k| log.get(k) != Some(&self.committed[k].0)).unwrap_or(hi);
        let (e, in_term) = self.committed[k];
        let has =
            log.get(k).map_or("nothing".to_string(), |x| format!("{} (t{})", x.command, x.term));
        Some((
            Property::LeaderCompleteness,
            format!(
                "leader s{i} of term {term} has {has} at index {}, but {} (t{}) was committed there in term {in_term}",
                k + 1,
                e.command,
                e.term
            ),
        ))
    }
}

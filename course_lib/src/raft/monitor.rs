//! Invariant monitors for Raft's five safety properties (Figure 3), checked after every step.

use std::collections::HashMap;
use std::fmt;

use super::{Entry, RaftNode, Role, Term};

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

/// A violated property: which, where (seed, time, step), what, and the events leading to it.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    /// The property.
    pub property: Property,
    /// The simulation's seed: replaying it reproduces the violation.
    pub seed: u64,
    /// Virtual time of the violating step (ms).
    pub at_ms: f64,
    /// Number of simulator steps up to and including the violating one.
    pub step: u64,
    /// What was seen.
    pub detail: String,
    /// The last trace events before the violation (empty if the run was not replayed with a
    /// trace).
    pub trace: Vec<String>,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} violated (seed {}, t = {:.3} ms, step {}): {}",
            self.property, self.seed, self.at_ms, self.step, self.detail
        )?;
        if !self.trace.is_empty() {
            writeln!(f, "last {} events:", self.trace.len())?;
            for line in &self.trace {
                writeln!(f, "  {line}")?;
            }
        }
        Ok(())
    }
}

/// What the monitor remembers about one server between steps.
#[derive(Clone, Debug, Default)]
struct Seen {
    version: u64,
    incarnation: u32,
    /// (term, log) while the server was leader at the last check.
    leader_log: Option<(Term, Vec<Entry>)>,
    commit: usize,
    applied: usize,
}

/// Checks the five safety properties over the servers of one group after every step.
///
/// It keeps history variables, as a TLA+ specification would: the leader of every term seen so
/// far, the entries known committed (with the term in which they were first seen committed),
/// and the entries applied at each index. Only servers whose state changed since the last
/// check are re-examined, so a check costs about one log length per step.
#[derive(Clone, Debug, Default)]
pub struct Monitor {
    seen: Vec<Seen>,
    leaders: HashMap<Term, usize>,
    committed: Vec<(Entry, Term)>,
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
    pub fn check(&mut self, nodes: &[RaftNode], up: &[bool]) -> Option<(super::Property, String)> {
        let mut changed = Vec::new();
        for (i, n) in nodes.iter().enumerate() {
            if n.version() != self.seen[i].version {
                changed.push(i);
            }
        }
        if changed.is_empty() {
            return None;
        }
        let committed_before = self.committed.len();
        for &i in &changed {
            if let Some(v) = self.check_node(nodes, up, i) {
                return Some(v);
            }
        }
        // A leader must hold every entry committed in a lower term (also when the committed
        // prefix grew because of another server).
        for (i, n) in nodes.iter().enumerate() {
            if up[i]
                && n.role() == Role::Leader
                && (changed.contains(&i) || self.committed.len() > committed_before)
            {
                if let Some(v) = self.check_completeness(n, i) {
                    return Some(v);
                }
            }
        }
        None
    }

    fn check_node(&mut self, nodes: &[RaftNode], up: &[bool], i: usize) -> Option<(Property, String)> {
        let n = &nodes[i];
        let log = n.log();
        let term = n.term();
        if n.incarnation() != self.seen[i].incarnation {
            self.seen[i] = Seen { incarnation: n.incarnation(), ..Seen::default() };
        }
        self.seen[i].version = n.version();
        let is_leader = up[i] && n.role() == Role::Leader;

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
        if is_leader {
            if let Some((t, old)) = &self.seen[i].leader_log {
                if *t == term {
                    if log.len() < old.len() {
                        return Some((
                            Property::LeaderAppendOnly,
                            format!(
                                "leader s{i} of term {term} shrank its log from {} to {} entries",
                                old.len(),
                                log.len()
                            ),
                        ));
                    }
                    if let Some(k) = (0..old.len()).find(|&k| old[k] != log[k]) {
                        return Some((
                            Property::LeaderAppendOnly,
                            format!(
                                "leader s{i} of term {term} overwrote index {}: {} (t{}) became {} (t{})",
                                k + 1,
                                old[k].command,
                                old[k].term,
                                log[k].command,
                                log[k].term
                            ),
                        ));
                    }
                }
            }
            self.seen[i].leader_log = Some((term, log.to_vec()));
        } else {
            self.seen[i].leader_log = None;
        }

        // 3. Log matching, against every other server.
        for (j, other) in nodes.iter().enumerate() {
            if j == i {
                continue;
            }
            let ol = other.log();
            let m = log.len().min(ol.len());
            if let Some(hi) = (0..m).rev().find(|&k| log[k].term == ol[k].term) {
                if let Some(k) = (0..=hi).find(|&k| log[k] != ol[k]) {
                    return Some((
                        Property::LogMatching,
                        format!(
                            "s{i} and s{j} agree on index {} (term {}) but differ at index {}: {} (t{}) vs {} (t{})",
                            hi + 1,
                            log[hi].term,
                            k + 1,
                            log[k].command,
                            log[k].term,
                            ol[k].command,
                            ol[k].term
                        ),
                    ));
                }
            }
        }

        // Committed entries: what this server now reports committed must agree with the past.
        let commit = n.commit_index().min(log.len());
        if commit > self.seen[i].commit {
            for k in self.seen[i].commit..commit {
                match self.committed.get(k) {
                    Some((e, _)) if *e != log[k] => {
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
                    None => self.committed.push((log[k], term)),
                }
            }
        }
        self.seen[i].commit = commit;

        // 5. State-machine safety: what this server applied in this step.
        let applied = n.last_applied();
        if applied > self.seen[i].applied {
            for k in self.seen[i].applied..applied.min(log.len()) {
                match self.applied.get(k) {
                    Some(e) if *e != log[k] => {
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
                    None => self.applied.push(log[k]),
                }
            }
        }
        self.seen[i].applied = applied;
        None
    }

    // 4. Leader completeness.
    fn check_completeness(&self, n: &RaftNode, i: usize) -> Option<(Property, String)> {
        let log = n.log();
        let term = n.term();
        for (k, (e, in_term)) in self.committed.iter().enumerate() {
            if *in_term < term && log.get(k) != Some(e) {
                let has = log
                    .get(k)
                    .map_or("nothing".to_string(), |x| format!("{} (t{})", x.command, x.term));
                return Some((
                    Property::LeaderCompleteness,
                    format!(
                        "leader s{i} of term {term} has {has} at index {}, but {} (t{}) was committed there in term {in_term}",
                        k + 1,
                        e.command,
                        e.term
                    ),
                ));
            }
        }
        None
    }
}

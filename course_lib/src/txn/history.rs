//! Histories and the dependency-graph (conflict) serializability check (Adya 1999, ch. 3;
//! Adya, Liskov & O'Neil 2000).

use std::collections::BTreeMap;
use std::fmt;

use super::schedule::Predicate;

/// One committed version of a key. Version 0 of every key is its initial state: the `init`
/// value, or no row (`value: None`) for a key created during the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    /// The committed transaction that installed it (an index into [`History::txns`]), `None`
    /// for version 0.
    pub writer: Option<usize>,
    /// The row's value, `None` for no row (initially absent, or deleted).
    pub value: Option<i64>,
}

/// What a read observed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadKind {
    /// An item read of `key`: the position in its version order, or `None` for a version
    /// that was never committed (aborted or overwritten by its own transaction: G1a / G1b).
    Item {
        /// The key.
        key: String,
        /// The version position.
        version: Option<usize>,
    },
    /// A predicate read: for each key that existed, the version it saw (keys not listed were
    /// seen in version 0).
    Predicate {
        /// The predicate.
        pred: Predicate,
        /// Key → version position seen (`None`: a never-committed version).
        seen: Vec<(String, Option<usize>)>,
    },
}

/// One read of a committed transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HistRead {
    /// The reader (index into [`History::txns`]).
    pub txn: usize,
    /// What it saw.
    pub kind: ReadKind,
}

/// A history of committed transactions: the version order of every key (the order the
/// writers committed) and what every read saw. Writes are the versions' writers.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct History {
    /// The committed transactions' names.
    pub txns: Vec<String>,
    /// Key → versions in version order.
    pub versions: BTreeMap<String, Vec<Version>>,
    /// Every read, in the order they happened.
    pub reads: Vec<HistRead>,
}

/// The kind of a dependency edge Tᵢ → Tⱼ (Adya's direct serialization graph).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dep {
    /// Tⱼ installed the version after Tᵢ's (write-write).
    Ww,
    /// Tⱼ read a version Tᵢ installed (write-read).
    Wr,
    /// Tⱼ installed the version after the one Tᵢ read (read-write, anti-dependency).
    Rw,
    /// Tⱼ installed a version that changes which rows match Tᵢ's predicate read.
    PredicateRw,
}

impl fmt::Display for Dep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dep::Ww => "ww",
            Dep::Wr => "wr",
            Dep::Rw => "rw",
            Dep::PredicateRw => "predicate rw",
        })
    }
}

/// One edge of the dependency graph.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edge {
    /// Tᵢ.
    pub from: String,
    /// Tⱼ.
    pub to: String,
    /// Why.
    pub dep: Dep,
    /// On which key.
    pub key: String,
}

impl fmt::Display for Edge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} →{} {} (on {})", self.from, self.dep, self.to, self.key)
    }
}

/// The checker's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The dependency graph is acyclic; `order` is a serial order it allows.
    Serializable {
        /// Transactions in a topological order of the graph.
        order: Vec<String>,
    },
    /// A cycle of dependencies: no serial order explains the history.
    Cycle(Vec<Edge>),
    /// A committed transaction read a version that was never committed (aborted, G1a, or
    /// intermediate, G1b).
    ReadUncommittedVersion {
        /// The reader.
        txn: String,
        /// The key.
        key: String,
    },
}

impl Verdict {
    /// Is the history serializable?
    pub fn is_serializable(&self) -> bool {
        matches!(self, Verdict::Serializable { .. })
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Serializable { order } => {
                write!(f, "serializable, e.g. in the order {}", order.join(", "))
            }
            Verdict::Cycle(edges) => {
                let e: Vec<String> = edges.iter().map(|e| e.to_string()).collect();
                write!(f, "not serializable: cycle {}", e.join(", "))
            }
            Verdict::ReadUncommittedVersion { txn, key } => {
                write!(
                    f,
                    "not serializable: {txn} read a version of {key} that was never committed"
                )
            }
        }
    }
}

/// The edges of the direct serialization graph of `h` (at most one edge per ordered pair
/// and kind; self-edges left out).
pub fn dependency_edges(h: &History) -> Vec<Edge> {
    let mut edges: Vec<(usize, usize, Dep, String)> = Vec::new();
    let mut add = |from: Option<usize>, to: Option<usize>, dep: Dep, key: &str| {
        if let (Some(a), Some(b)) = (from, to) {
            if a != b && !edges.iter().any(|e| e.0 == a && e.1 == b && e.2 == dep) {
                edges.push((a, b, dep, key.to_string()));
            }
        }
    };
    for (k, vs) in &h.versions {
        for w in vs.windows(2) {
            add(w[0].writer, w[1].writer, Dep::Ww, k);
        }
    }
    for r in &h.reads {
        match &r.kind {
            ReadKind::Item { key, version: Some(p) } => {
                if let Some(vs) = h.versions.get(key) {
                    add(vs.get(*p).and_then(|v| v.writer), Some(r.txn), Dep::Wr, key);
                    add(Some(r.txn), vs.get(p + 1).and_then(|v| v.writer), Dep::Rw, key);
                }
            }
            ReadKind::Item { version: None, .. } => {}
            ReadKind::Predicate { pred, seen } => {
                for (k, vs) in &h.versions {
                    let p = match seen.iter().find(|(s, _)| s == k) {
                        Some((_, Some(p))) => *p,
                        Some((_, None)) => continue,
                        None => 0,
                    };
                    let Some(v) = vs.get(p) else { continue };
                    let m = pred.matches(v.value);
                    if m {
                        // a returned row is an item read
                        add(v.writer, Some(r.txn), Dep::Wr, k);
                        add(Some(r.txn), vs.get(p + 1).and_then(|v| v.writer), Dep::Rw, k);
                    } else if p > 0 && pred.matches(vs[p - 1].value) {
                        // its writer removed the row from the result
                        add(v.writer, Some(r.txn), Dep::Wr, k);
                    }
                    if let Some(later) = vs[p + 1..].iter().find(|l| pred.matches(l.value) != m) {
                        add(Some(r.txn), later.writer, Dep::PredicateRw, k);
                    }
                }
            }
        }
    }
    edges
        .into_iter()
        .map(|(a, b, dep, key)| Edge { from: h.txns[a].clone(), to: h.txns[b].clone(), dep, key })
        .collect()
}

/// Checks a history for (conflict) serializability: builds the dependency graph (ww, wr,
/// rw edges, and predicate rw edges for scans) and looks for a cycle. A read of a version
/// that was never committed makes the history non-serializable by itself.
///
/// ```
/// use course_lib::txn::{check_serializable, run, Isolation, Schedule};
/// let lost_update = Schedule::parse(
///     "init x 10\nT1 begin\nT2 begin\nT1 read x\nT2 read x\nT1 write x 11\nT1 commit\nT2 write x 11\nT2 commit",
/// )?;
/// let rc = run(&lost_update, Isolation::ReadCommitted)?;
/// assert!(!check_serializable(rc.history()).is_serializable()); // T2 →rw T1 →ww T2
/// let si = run(&lost_update, Isolation::SnapshotIsolation)?;
/// assert!(check_serializable(si.history()).is_serializable()); // T2 was aborted
/// # Ok::<(), course_lib::Error>(())
/// ```
pub fn check_serializable(h: &History) -> Verdict {
    for r in &h.reads {
        let bad = match &r.kind {
            ReadKind::Item { key, version: None } => Some(key.clone()),
            ReadKind::Predicate { seen, .. } => {
                seen.iter().find(|(_, v)| v.is_none()).map(|(k, _)| k.clone())
            }
            _ => None,
        };
        if let Some(key) = bad {
            return Verdict::ReadUncommittedVersion { txn: h.txns[r.txn].clone(), key };
        }
    }
    let edges = dependency_edges(h);
    let n = h.txns.len();
    let idx: BTreeMap<&str, usize> =
        h.txns.iter().enumerate().map(|(i, t)| (t.as_str(), i)).collect();
    let mut adj: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    let mut indeg = vec![0usize; n];
    for (ei, e) in edges.iter().enumerate() {
        let (a, b) = (idx[e.from.as_str()], idx[e.to.as_str()]);
        adj[a].push((b, ei));
        indeg[b] += 1;
    }
    // Kahn's algorithm; what is left over contains a cycle
    let mut order = Vec::new();
    let mut ready: Vec<usize> = (0..n).filter(|&i| indeg[i] == 0).rev().collect();
    let mut deg = indeg.clone();
    while let Some(v) = ready.pop() {
        order.push(v);
        for &(w, _) in adj[v].iter().rev() {
            deg[w] -= 1;
            if deg[w] == 0 {
                ready.push(w);
            }
        }
    }
    if order.len() == n {
        return Verdict::Serializable {
            order: order.into_iter().map(|i| h.txns[i].clone()).collect(),
        };
    }
    // every leftover node has a leftover predecessor: walk backwards until a node repeats
    let left: Vec<bool> = (0..n).map(|i| deg[i] > 0).collect();
    let mut pred: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    for (a, out) in adj.iter().enumerate() {
        for &(b, e) in out {
            pred[b].push((a, e));
        }
    }
    let start = (0..n).find(|&i| left[i]).expect("a leftover node");
    let mut path: Vec<usize> = Vec::new(); // edges taken backwards
    let mut pos = vec![usize::MAX; n];
    let mut v = start;
    loop {
        if pos[v] != usize::MAX {
            let mut cyc: Vec<Edge> = path[pos[v]..].iter().map(|&e| edges[e].clone()).collect();
            cyc.reverse();
            return Verdict::Cycle(cyc);
        }
        pos[v] = path.len();
        let &(u, e) = pred[v]
            .iter()
            .find(|(u, _)| left[*u])
            .expect("a leftover node has a leftover predecessor");
        path.push(e);
        v = u;
    }
}

//! Weaker models: sequential consistency, causal consistency, session guarantees, stale reads.

use std::collections::{HashMap, HashSet};

use super::history::{History, Operation, Outcome, Value, F};
use super::linear::{describe_op, register_calls, Call, CasRegister, SequentialSpec, Verdict};
use super::timeline::TimelineData;
use crate::error::{Error, Result};

/// Largest history (in operations) the exponential checks of this module accept.
pub const MAX_SMALL_HISTORY: usize = 200;

fn check_small(h: &History, what: &str) -> Result<()> {
    if h.len() > MAX_SMALL_HISTORY {
        return Err(Error::invalid(
            what,
            format!(
                "the history has {} operations; this check is exponential in the worst case and \
                 accepts at most {MAX_SMALL_HISTORY}",
                h.len()
            ),
        ));
    }
    Ok(())
}

fn verdict(
    model: &str,
    ok: bool,
    explanation: String,
    history: &History,
    culprit: Option<usize>,
    involved: Vec<usize>,
    explored: u64,
) -> Verdict {
    Verdict {
        ok,
        model: model.into(),
        explanation,
        order: Vec::new(),
        culprit,
        involved: involved.clone(),
        explored,
        timeline: Some(
            TimelineData::from_history("register history", history).marked(culprit, &involved),
        ),
    }
}

/// Sequential consistency (Lamport 1979) for any specification: is there a total order of the
/// operations that keeps each process's own order (real time between processes is *not*
/// required), contains every completed operation and any subset of the indeterminate ones,
/// and is a legal sequential run of `spec`? Returns the order found (indices into `calls`)
/// or `None`.
///
/// Exact; a depth-first search over how far each process has got, memoising (progress,
/// state). Exponential in the number of processes in the worst case: for small histories.
pub fn sequential_order<S: SequentialSpec>(spec: &S, calls: &[Call<S::Op>]) -> Option<Vec<usize>> {
    let mut by_proc: HashMap<u64, Vec<usize>> = HashMap::new();
    for (i, c) in calls.iter().enumerate() {
        by_proc.entry(c.process).or_default().push(i);
    }
    let mut procs: Vec<Vec<usize>> = by_proc.into_values().collect();
    for p in &mut procs {
        p.sort_by_key(|&i| (calls[i].invoke, i));
    }
    procs.sort();
    fn go<S: SequentialSpec>(
        spec: &S,
        calls: &[Call<S::Op>],
        procs: &[Vec<usize>],
        pos: &mut Vec<usize>,
        state: &S::State,
        seen: &mut HashSet<(Vec<usize>, S::State)>,
        order: &mut Vec<usize>,
    ) -> bool {
        if pos.iter().zip(procs).all(|(&k, p)| k == p.len()) {
            return true;
        }
        if !seen.insert((pos.clone(), state.clone())) {
            return false;
        }
        for p in 0..procs.len() {
            let Some(&i) = procs[p].get(pos[p]) else { continue };
            if let Some(next) = spec.step(state, &calls[i].op) {
                pos[p] += 1;
                order.push(i);
                if go(spec, calls, procs, pos, &next, seen, order) {
                    return true;
                }
                order.pop();
                pos[p] -= 1;
            }
            if calls[i].ret.is_none() {
                // an indeterminate operation may never have taken effect
                pos[p] += 1;
                if go(spec, calls, procs, pos, state, seen, order) {
                    return true;
                }
                pos[p] -= 1;
            }
        }
        false
    }
    let mut pos = vec![0; procs.len()];
    let mut order = Vec::new();
    let mut seen = HashSet::new();
    go(spec, calls, &procs, &mut pos, &spec.init(), &mut seen, &mut order).then_some(order)
}

/// Sequential consistency of a compare-and-set register history (see [`sequential_order`]).
///
/// # Errors
/// More than [`MAX_SMALL_HISTORY`] operations.
///
/// ```
/// use course_lib::consistency::{check_cas_register, check_sequential_register, History, F};
/// // p1 reads null after p0's write returned: not linearizable, but sequentially consistent
/// // (put p1's read before p0's write).
/// let h = History::builder()
///     .invoke(0, F::Write, 1).ok(0, 1)
///     .invoke(1, F::Read, None).ok(1, None)
///     .build()?;
/// assert!(!check_cas_register(&h).is_linearizable());
/// assert!(check_sequential_register(&h)?.holds());
/// # Ok::<(), course_lib::Error>(())
/// ```
pub fn check_sequential_register(history: &History) -> Result<Verdict> {
    check_small(history, "sequential consistency check")?;
    let (calls, ids) = register_calls(history);
    let ops = history.operations();
    match sequential_order(&CasRegister, &calls) {
        Some(order) => {
            let mut text = String::from(
                "sequential consistency: yes. One order that keeps every process's own order:\n",
            );
            for (k, &i) in order.iter().take(40).enumerate() {
                text.push_str(&format!("  {:>3}. {}\n", k + 1, describe_op(history, &ops[ids[i]])));
            }
            let mut v = verdict("sequential consistency", true, text, history, None, vec![], 0);
            v.order = order.iter().map(|&i| ids[i]).collect();
            Ok(v)
        }
        None => Ok(verdict(
            "sequential consistency",
            false,
            "sequential consistency: NO. No interleaving of the processes' operations, each \
             process keeping its own order, is a legal run of the register."
                .into(),
            history,
            None,
            vec![],
            0,
        )),
    }
}

/// A set of operation indices as a bitset.
fn bit(set: &[u64], i: usize) -> bool {
    set[i / 64] >> (i % 64) & 1 == 1
}

/// Causal consistency (causal memory, Ahamad et al. 1995) of a read/write register history.
///
/// Writes must write distinct values, so that each read *reads from* exactly one write. The
/// causal order is the transitive closure of each process's order and reads-from. The history
/// is causally consistent when the causal order has no cycle and, for every process p, some
/// serialization of all the writes and p's own reads respects the causal order and is a legal
/// register run. Processes may disagree on the order of concurrent writes.
///
/// # Errors
/// A cas in the history, two writes of the same value, or more than [`MAX_SMALL_HISTORY`]
/// operations.
pub fn check_causal_register(history: &History) -> Result<Verdict> {
    check_small(history, "causal consistency check")?;
    let model = "causal consistency";
    let ops = history.operations();
    // Operations that matter: ok writes and reads; an info write only if someone read it.
    let mut writer: HashMap<i64, usize> = HashMap::new();
    for o in ops.iter().filter(|o| o.f == F::Write && o.outcome != Outcome::Fail) {
        if o.f == F::Cas {
            continue;
        }
        let Value::Int(v) = o.value else { continue };
        if let Some(&other) = writer.get(&v) {
            return Err(Error::invalid(
                "causal consistency check",
                format!(
                    "operations {other} and {} both write {v}: give every write a distinct value \
                     so each read reads from one write",
                    o.id
                ),
            ));
        }
        writer.insert(v, o.id);
    }
    if let Some(o) = ops.iter().find(|o| o.f == F::Cas) {
        return Err(Error::invalid(
            "causal consistency check",
            format!("operation {} is a cas; the causal check supports read and write only", o.id),
        ));
    }
    let read_values: HashSet<i64> = ops
        .iter()
        .filter(|o| o.f == F::Read && o.outcome == Outcome::Ok)
        .filter_map(|o| if let Value::Int(v) = o.value { Some(v) } else { None })
        .collect();
    let relevant: Vec<&Operation> = ops
        .iter()
        .filter(|o| match (o.f, o.outcome) {
            (F::Read, Outcome::Ok) => true,
            (F::Write, Outcome::Ok) => true,
            (F::Write, Outcome::Info) => {
                matches!(o.value, Value::Int(v) if read_values.contains(&v))
            }
            _ => false,
        })
        .collect();
    let n = relevant.len();
    let idx: HashMap<usize, usize> = relevant.iter().enumerate().map(|(k, o)| (o.id, k)).collect();
    // reads of values nobody wrote
    for o in &relevant {
        if let (F::Read, Value::Int(v)) = (o.f, o.value) {
            if !writer.contains_key(&v) {
                let text = format!(
                    "{model}: NO. {} read a value no operation wrote (out of thin air).",
                    describe_op(history, o)
                );
                return Ok(verdict(model, false, text, history, Some(o.id), vec![], 0));
            }
        }
    }
    // causal order: before[a][b] = a must precede b
    let words = n.div_ceil(64).max(1);
    let mut before = vec![vec![0u64; words]; n];
    let add = |m: &mut Vec<Vec<u64>>, a: usize, b: usize| m[a][b / 64] |= 1 << (b % 64);
    let mut last_of: HashMap<u64, usize> = HashMap::new();
    for (k, o) in relevant.iter().enumerate() {
        if let Some(&prev) = last_of.get(&o.process) {
            add(&mut before, prev, k);
        }
        last_of.insert(o.process, k);
        if let (F::Read, Value::Int(v)) = (o.f, o.value) {
            let w = idx[&writer[&v]];
            add(&mut before, w, k);
        }
    }
    // transitive closure (Floyd–Warshall on bitsets)
    for m in 0..n {
        for a in 0..n {
            if bit(&before[a], m) {
                let row = before[m].clone();
                for (x, y) in before[a].iter_mut().zip(&row) {
                    *x |= y;
                }
            }
        }
    }
    if let Some(a) = (0..n).find(|&a| bit(&before[a], a)) {
        let text = format!(
            "{model}: NO. The causal order has a cycle through {}: it would have to happen \
             before itself (e.g. a read of a value written causally after it).",
            describe_op(history, relevant[a])
        );
        return Ok(verdict(model, false, text, history, Some(relevant[a].id), vec![], 0));
    }
    // per process: serialize all writes + own reads, respecting the causal order
    let mut procs: Vec<u64> = relevant.iter().map(|o| o.process).collect();
    procs.sort_unstable();
    procs.dedup();
    let mut explored = 0u64;
    for p in procs {
        let members: Vec<usize> =
            (0..n).filter(|&k| relevant[k].f == F::Write || relevant[k].process == p).collect();
        let mut failed: HashSet<(Vec<u64>, Option<i64>)> = HashSet::new();
        let mut chosen = vec![0u64; words];
        let mut deepest: (usize, Option<usize>) = (0, None);
        #[allow(clippy::too_many_arguments)]
        fn go(
            relevant: &[&Operation],
            before: &[Vec<u64>],
            members: &[usize],
            chosen: &mut Vec<u64>,
            depth: usize,
            state: Option<i64>,
            failed: &mut HashSet<(Vec<u64>, Option<i64>)>,
            explored: &mut u64,
            deepest: &mut (usize, Option<usize>),
        ) -> bool {
            if depth == members.len() {
                return true;
            }
            if failed.contains(&(chosen.clone(), state)) {
                return false;
            }
            *explored += 1;
            for &k in members {
                if bit(chosen, k) {
                    continue;
                }
                // all causal predecessors among the members chosen?
                let ready =
                    members.iter().all(|&j| j == k || !bit(&before[j], k) || bit(chosen, j));
                if !ready {
                    continue;
                }
                let o = relevant[k];
                let next = match (o.f, o.value) {
                    (F::Write, Value::Int(v)) => Some(Some(v)),
                    (F::Read, v) => {
                        let want = if let Value::Int(x) = v { Some(x) } else { None };
                        if want == state {
                            Some(state)
                        } else {
                            if depth >= deepest.0 {
                                *deepest = (depth, Some(k));
                            }
                            None
                        }
                    }
                    _ => None,
                };
                if let Some(s) = next {
                    chosen[k / 64] |= 1 << (k % 64);
                    if go(
                        relevant,
                        before,
                        members,
                        chosen,
                        depth + 1,
                        s,
                        failed,
                        explored,
                        deepest,
                    ) {
                        return true;
                    }
                    chosen[k / 64] &= !(1 << (k % 64));
                }
            }
            failed.insert((chosen.clone(), state));
            false
        }
        if !go(
            &relevant,
            &before,
            &members,
            &mut chosen,
            0,
            None,
            &mut failed,
            &mut explored,
            &mut deepest,
        ) {
            let culprit = deepest.1.map(|k| relevant[k].id);
            let text = format!(
                "{model}: NO. Process p{p} cannot explain what it read: no order of all the \
                 writes and p{p}'s reads that respects the causal order (each process's own \
                 order plus reads-from) is a legal register run.{}",
                culprit.map_or(String::new(), |c| format!(
                    " The read it gets stuck on: {}.",
                    describe_op(history, &ops[c])
                ))
            );
            return Ok(verdict(model, false, text, history, culprit, vec![], explored));
        }
    }
    Ok(verdict(
        model,
        true,
        format!(
            "{model}: yes. The causal order is acyclic and every process has a legal view of \
             the writes that respects it ({n} operations)."
        ),
        history,
        None,
        vec![],
        explored,
    ))
}

/// The four session guarantees of Terry et al. (1994).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SessionGuarantee {
    /// A read sees the session's own earlier writes (or newer).
    ReadYourWrites,
    /// A read sees what the session's earlier reads saw (or newer).
    MonotonicReads,
    /// The session's writes are ordered as the session issued them.
    MonotonicWrites,
    /// A write is ordered after the writes the session read before issuing it.
    WritesFollowReads,
}

impl SessionGuarantee {
    /// All four, in the usual order.
    pub const ALL: [SessionGuarantee; 4] = [
        SessionGuarantee::ReadYourWrites,
        SessionGuarantee::MonotonicReads,
        SessionGuarantee::MonotonicWrites,
        SessionGuarantee::WritesFollowReads,
    ];

    /// The guarantee's name.
    pub fn name(self) -> &'static str {
        match self {
            SessionGuarantee::ReadYourWrites => "read-your-writes",
            SessionGuarantee::MonotonicReads => "monotonic reads",
            SessionGuarantee::MonotonicWrites => "monotonic writes",
            SessionGuarantee::WritesFollowReads => "writes-follow-reads",
        }
    }
}

fn version(v: Value) -> Option<i64> {
    if let Value::Int(x) = v {
        Some(x)
    } else {
        None
    }
}

/// Checks one session guarantee on a register (or key-value) history, each process being a
/// session.
///
/// **Version order.** The guarantees speak of "newer" writes, so they need an order on
/// versions. Here it is the order of the written integers, as in a store that tags each write
/// with a timestamp and keeps the largest (last-writer-wins): write increasing values (e.g.
/// timestamps) and a read of `v` has seen every version `≤ v`. A null read has seen nothing.
/// Only `ok` operations count; keys are compared only with themselves.
///
/// * read-your-writes: a read by p that follows p's write of `w` returns `≥ w`;
/// * monotonic reads: a read by p that follows p's read of `r` returns `≥ r`;
/// * monotonic writes: a write by p that follows p's write of `w` writes `> w`;
/// * writes-follow-reads: a write by p that follows p's read of `r` writes `> r`.
///
/// ```
/// use course_lib::consistency::{check_session, History, SessionGuarantee, F};
/// let h = History::builder()
///     .invoke(0, F::Write, 5).ok(0, 5)
///     .invoke(0, F::Read, None).ok(0, 3) // p0 no longer sees its own write
///     .build()?;
/// assert!(!check_session(&h, SessionGuarantee::ReadYourWrites).holds());
/// assert!(check_session(&h, SessionGuarantee::MonotonicReads).holds());
/// # Ok::<(), course_lib::Error>(())
/// ```
pub fn check_session(history: &History, guarantee: SessionGuarantee) -> Verdict {
    use SessionGuarantee::*;
    let ops: Vec<&Operation> =
        history.operations().iter().filter(|o| o.outcome == Outcome::Ok && o.f != F::Cas).collect();
    let mut violations: Vec<(usize, usize, String)> = Vec::new();
    // per (process, key): walk the session in order, remembering the largest version seen
    // by earlier writes and reads
    let mut sessions: HashMap<(u64, Option<i64>), Vec<&Operation>> = HashMap::new();
    for o in &ops {
        sessions.entry((o.process, o.key)).or_default().push(o);
    }
    let mut keys: Vec<_> = sessions.keys().copied().collect();
    keys.sort_unstable();
    for k in keys {
        let mut max_w: Option<(i64, usize)> = None;
        let mut max_r: Option<(i64, usize)> = None;
        for o in &sessions[&k] {
            let v = version(o.value);
            let (earlier, newer_needed) = match (guarantee, o.f) {
                (ReadYourWrites, F::Read) => (max_w, false),
                (MonotonicReads, F::Read) => (max_r, false),
                (MonotonicWrites, F::Write) => (max_w, true),
                (WritesFollowReads, F::Write) => (max_r, true),
                _ => (None, false),
            };
            if let Some((e, at)) = earlier {
                let bad = match v {
                    None => true,
                    Some(x) => x < e || (newer_needed && x == e),
                };
                if bad {
                    let what = match guarantee {
                        ReadYourWrites => format!("after its own write of {e}"),
                        MonotonicReads => format!("after it had already read {e}"),
                        MonotonicWrites => format!("after its own earlier write of {e}"),
                        WritesFollowReads => format!("after it had read {e}"),
                    };
                    violations.push((
                        o.id,
                        at,
                        format!("{} {what} ({})", describe_op(history, o), guarantee.name()),
                    ));
                }
            }
            if let Some(x) = v {
                let slot = if o.f == F::Write { &mut max_w } else { &mut max_r };
                if slot.map_or(true, |(m, _)| x > m) {
                    *slot = Some((x, o.id));
                }
            }
        }
    }
    violations.sort();
    let model = guarantee.name();
    if violations.is_empty() {
        return verdict(
            model,
            true,
            format!("{model}: yes. No session saw versions go backwards."),
            history,
            None,
            vec![],
            0,
        );
    }
    let mut text = format!("{model}: NO. {} violation(s):\n", violations.len());
    for (_, _, m) in violations.iter().take(10) {
        text.push_str(&format!("  • {m}\n"));
    }
    let (culprit, earlier, _) = violations[0].clone();
    verdict(model, false, text, history, Some(culprit), vec![earlier], 0)
}

/// Reads that are *certainly stale*: a read that returned the value of write w (or null)
/// although another write w′ of the same key was invoked after w completed and itself
/// completed before the read was invoked. Such a read is never linearizable. Returns the
/// indices of those reads in [`History::operations`]. (Assumes writes of distinct values.)
pub fn stale_reads(history: &History) -> Vec<usize> {
    let ops = history.operations();
    let writes: Vec<&Operation> =
        ops.iter().filter(|o| o.f == F::Write && o.outcome == Outcome::Ok).collect();
    let written: HashMap<(Option<i64>, i64), &Operation> =
        writes.iter().filter_map(|w| version(w.value).map(|v| ((w.key, v), *w))).collect();
    ops.iter()
        .filter(|r| r.f == F::Read && r.outcome == Outcome::Ok)
        .filter(|r| {
            let newer = |after: Option<usize>| {
                writes.iter().any(|w2| {
                    w2.key == r.key
                        && after.map_or(true, |c| c < w2.invoke)
                        && w2.complete.is_some_and(|c| c < r.invoke)
                })
            };
            match version(r.value) {
                None => newer(None),
                Some(v) => match written.get(&(r.key, v)) {
                    Some(w) => newer(w.complete),
                    None => false,
                },
            }
        })
        .map(|r| r.id)
        .collect()
}

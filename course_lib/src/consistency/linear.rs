//! Linearizability: the WGL search with memoisation, sequential specifications, verdicts.

use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Debug};
use std::hash::Hash;

use super::history::{History, Operation, Outcome, Value, F};
use super::timeline::{TimelineBar, TimelineData};

/// A sequential specification: what an object does when operations are applied one at a
/// time. `step` returns the state after `op`, or `None` when `op`'s observed result is
/// impossible in `state` (a read that returned the wrong value, a cas that succeeded although
/// the register did not hold `old`).
///
/// An operation given to `step` *took effect*: for an `ok` operation with its observed result,
/// for an indeterminate (`info`) one in the way it would have had an effect (a cas that
/// succeeded).
pub trait SequentialSpec {
    /// The object's state. Memoisation keys on it, so it must be `Eq + Hash`.
    type State: Clone + Eq + Hash + Debug;
    /// One operation with its observed result.
    type Op: Clone + Debug;
    /// The initial state.
    fn init(&self) -> Self::State;
    /// The state after applying `op` to `state`, or `None` if that is not a legal step.
    fn step(&self, state: &Self::State, op: &Self::Op) -> Option<Self::State>;
}

/// An operation of a concurrent history, as the generic checker sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct Call<O> {
    /// The operation with its observed result.
    pub op: O,
    /// The process that issued it (for explanations and plots).
    pub process: u64,
    /// When it was invoked (any monotone clock: event index, ns).
    pub invoke: u64,
    /// When it returned; `None` for an indeterminate operation, which may take effect at any
    /// time after `invoke`, or never.
    pub ret: Option<u64>,
}

impl<O> Call<O> {
    /// A completed operation, invoked at `invoke` and returned at `ret` (`invoke <= ret`).
    pub fn ok(process: u64, invoke: u64, ret: u64, op: O) -> Self {
        Call { op, process, invoke, ret: Some(ret) }
    }

    /// An indeterminate operation invoked at `invoke`.
    pub fn info(process: u64, invoke: u64, op: O) -> Self {
        Call { op, process, invoke, ret: None }
    }
}

// ---------------------------------------------------------------------------------------------
// Specifications

/// An operation on a read/write/compare-and-set register.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RegisterOp {
    /// A read that returned this value (`None` = the initial null).
    Read(Option<i64>),
    /// A write of this value.
    Write(i64),
    /// A successful compare-and-set from `.0` to `.1`.
    Cas(i64, i64),
}

/// A register that starts at null and supports read and write (a cas is rejected).
#[derive(Clone, Copy, Debug, Default)]
pub struct Register;

/// A register that starts at null and supports read, write and compare-and-set.
#[derive(Clone, Copy, Debug, Default)]
pub struct CasRegister;

impl SequentialSpec for Register {
    type State = Option<i64>;
    type Op = RegisterOp;
    fn init(&self) -> Option<i64> {
        None
    }
    fn step(&self, s: &Option<i64>, op: &RegisterOp) -> Option<Option<i64>> {
        match *op {
            RegisterOp::Read(v) => (v == *s).then_some(*s),
            RegisterOp::Write(v) => Some(Some(v)),
            RegisterOp::Cas(..) => None,
        }
    }
}

impl SequentialSpec for CasRegister {
    type State = Option<i64>;
    type Op = RegisterOp;
    fn init(&self) -> Option<i64> {
        None
    }
    fn step(&self, s: &Option<i64>, op: &RegisterOp) -> Option<Option<i64>> {
        match *op {
            RegisterOp::Cas(old, new) => (*s == Some(old)).then_some(Some(new)),
            _ => Register.step(s, op),
        }
    }
}

/// An operation on a counter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CounterOp {
    /// Add this amount (may be negative).
    Add(i64),
    /// A read that returned this value.
    Read(i64),
}

/// A counter starting at 0.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counter;

impl SequentialSpec for Counter {
    type State = i64;
    type Op = CounterOp;
    fn init(&self) -> i64 {
        0
    }
    fn step(&self, s: &i64, op: &CounterOp) -> Option<i64> {
        match *op {
            CounterOp::Add(d) => s.checked_add(d),
            CounterOp::Read(v) => (v == *s).then_some(*s),
        }
    }
}

/// An operation on a FIFO queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QueueOp {
    /// Enqueue this value.
    Enqueue(i64),
    /// A dequeue that returned this value (`None`: the queue was empty).
    Dequeue(Option<i64>),
}

/// A FIFO queue, initially empty.
#[derive(Clone, Copy, Debug, Default)]
pub struct Queue;

impl SequentialSpec for Queue {
    type State = std::collections::VecDeque<i64>;
    type Op = QueueOp;
    fn init(&self) -> Self::State {
        Default::default()
    }
    fn step(&self, s: &Self::State, op: &QueueOp) -> Option<Self::State> {
        match *op {
            QueueOp::Enqueue(v) => {
                let mut n = s.clone();
                n.push_back(v);
                Some(n)
            }
            QueueOp::Dequeue(v) => {
                if s.front().copied() == v {
                    let mut n = s.clone();
                    n.pop_front();
                    Some(n)
                } else {
                    None
                }
            }
        }
    }
}

/// An operation on one key of a key-value store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct KvOp<O> {
    /// The key.
    pub key: i64,
    /// The operation on that key's object.
    pub op: O,
}

/// A key-value store whose every key holds an independent object specified by `S`
/// (e.g. `KeyValue(CasRegister)`). Check histories of it with [`check_linearizable_kv`], which
/// checks each key on its own (P-compositionality); checking it directly with
/// [`check_linearizable`] is also exact, only slower.
#[derive(Clone, Copy, Debug, Default)]
pub struct KeyValue<S>(pub S);

impl<S: SequentialSpec> SequentialSpec for KeyValue<S>
where
    S::State: Ord,
{
    type State = BTreeMap<i64, S::State>;
    type Op = KvOp<S::Op>;
    fn init(&self) -> Self::State {
        BTreeMap::new()
    }
    fn step(&self, s: &Self::State, op: &KvOp<S::Op>) -> Option<Self::State> {
        let cur = s.get(&op.key).cloned().unwrap_or_else(|| self.0.init());
        let next = self.0.step(&cur, &op.op)?;
        let mut n = s.clone();
        n.insert(op.key, next);
        Some(n)
    }
}

// ---------------------------------------------------------------------------------------------
// The verdict

/// The answer of a consistency check: yes or no, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Verdict {
    pub(crate) ok: bool,
    pub(crate) model: String,
    pub(crate) explanation: String,
    /// Indices (into the checked operations) of a valid order when the answer is yes; the
    /// longest valid order found when it is no.
    pub(crate) order: Vec<usize>,
    /// The operation that could not be placed (no answer only).
    pub(crate) culprit: Option<usize>,
    /// Operations pending when it got stuck (candidates for the order; no answer only).
    pub(crate) involved: Vec<usize>,
    pub(crate) explored: u64,
    pub(crate) timeline: Option<TimelineData>,
}

impl Verdict {
    /// `true` when the history is linearizable (for the model checked).
    pub fn is_linearizable(&self) -> bool {
        self.ok
    }

    /// `true` when the history satisfies the model checked (same as
    /// [`Verdict::is_linearizable`], named for the other checks).
    pub fn holds(&self) -> bool {
        self.ok
    }

    /// The model checked ("linearizability", "sequential consistency", …).
    pub fn model(&self) -> &str {
        &self.model
    }

    /// A readable explanation: a valid order, or what could not be ordered and why.
    pub fn explanation(&self) -> &str {
        &self.explanation
    }

    /// A valid order (yes) or the longest valid prefix found (no), as operation indices.
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    /// The operation that could not be placed in any order, if the answer is no.
    pub fn culprit(&self) -> Option<usize> {
        self.culprit
    }

    /// The operations that were candidates when the search got stuck.
    pub fn involved(&self) -> &[usize] {
        &self.involved
    }

    /// Number of search configurations explored (a measure of the checker's work).
    pub fn configurations_explored(&self) -> u64 {
        self.explored
    }

    /// Shown under a notebook cell: the explanation.
    pub fn evcxr_display(&self) {
        println!("{self}");
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.explanation)
    }
}

// ---------------------------------------------------------------------------------------------
// WGL

/// A set of small integers.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
struct Bits(Box<[u64]>);

impl Bits {
    fn new(n: usize) -> Self {
        Bits(vec![0; n.div_ceil(64).max(1)].into_boxed_slice())
    }
    fn get(&self, i: usize) -> bool {
        self.0[i / 64] >> (i % 64) & 1 == 1
    }
    fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }
    fn subset_of(&self, other: &Bits) -> bool {
        self.0.iter().zip(other.0.iter()).all(|(a, b)| a & !b == 0)
    }
    fn count(&self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }
    /// `self ⊆ base ∪ {extra}`.
    fn subset_of_plus(&self, base: &Bits, extra: usize) -> bool {
        self.0.iter().zip(base.0.iter()).enumerate().all(|(w, (a, b))| {
            let x = if extra / 64 == w { 1u64 << (extra % 64) } else { 0 };
            a & !(b | x) == 0
        })
    }
}

/// The memo of configurations proved to have no linearizable completion.
///
/// A configuration is (the set of completed operations already linearized, the set of
/// indeterminate operations already applied, the state). Leaving an indeterminate operation
/// out never hurts (it may still be applied later, or never), so a configuration is hopeless
/// when a failed one has the same completed set and state and a *subset* of its indeterminate
/// operations. Without indeterminate operations this is the plain (set, state) memo of Lowe.
/// (completed set, state, subset-minimal info sets that failed with them)
type MemoEntry<S> = (Bits, S, Vec<Bits>);

struct FailedMemo<S> {
    /// hash of (completed set, state) → entries with that hash: (set, state, minimal info sets)
    map: HashMap<u64, Vec<MemoEntry<S>>, FxBuild>,
}

/// A fast, non-cryptographic hasher (the multiply-rotate "Fx" hash of rustc and Firefox):
/// keys here are bitsets and small states chosen by the program, not by an adversary.
#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(w));
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = (self.0.rotate_left(5) ^ x).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_usize(&mut self, x: usize) {
        self.write_u64(x as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type FxBuild = std::hash::BuildHasherDefault<FxHasher>;

fn key_hash<S: Hash>(ok: &Bits, state: &S) -> u64 {
    use std::hash::Hasher;
    let mut h = FxHasher::default();
    ok.hash(&mut h);
    state.hash(&mut h);
    h.finish()
}

impl<S: Eq + Hash + Clone> FailedMemo<S> {
    fn dominated(&self, ok: &Bits, info: &Bits, state: &S) -> bool {
        self.map.get(&key_hash(ok, state)).is_some_and(|v| {
            v.iter()
                .filter(|(o, s, _)| o == ok && s == state)
                .any(|(_, _, sets)| sets.iter().any(|f| f.subset_of(info)))
        })
    }
    fn insert(&mut self, ok: &Bits, info: &Bits, state: &S) {
        let bucket = self.map.entry(key_hash(ok, state)).or_default();
        let pos = match bucket.iter().position(|(o, s, _)| o == ok && s == state) {
            Some(p) => p,
            None => {
                bucket.push((ok.clone(), state.clone(), Vec::new()));
                bucket.len() - 1
            }
        };
        let v = &mut bucket[pos].2;
        if !v.iter().any(|f| f.subset_of(info)) {
            v.retain(|f| !info.subset_of(f));
            v.push(info.clone());
        }
    }
}

/// Result of the raw search.
pub(crate) struct Search<S> {
    pub(crate) ok: bool,
    pub(crate) order: Vec<usize>,
    pub(crate) culprit: Option<usize>,
    pub(crate) states_at_culprit: Vec<S>,
    pub(crate) explored: u64,
}

/// A state reachable from a configuration by applying indeterminate operations only, with the
/// (subset-minimal) set of them it needs and the order they were applied in.
struct Reach<S> {
    info: Bits,
    state: S,
    chain: Vec<usize>,
}

/// One level of the depth-first search.
struct Frame<S> {
    ok: Bits,
    reach: Vec<Reach<S>>,
    cands: Vec<usize>,
    /// Next (reach index, candidate index) to try.
    at: (usize, usize),
    /// The move that led here (chain of info ops, then the completed op), for the witness.
    moved: Vec<usize>,
}

/// The WGL search (Wing & Gong 1993; Lowe 2017), exact, over `calls`.
///
/// Configurations are (completed operations linearized, indeterminate operations applied,
/// state). From a configuration the search first computes every state reachable by applying
/// indeterminate operations that have been invoked (each state with its subset-minimal sets
/// of them), then tries to linearize next each completed operation that may come next (invoked
/// before the earliest return among those not yet linearized). A failed configuration is
/// memoised; a configuration dominated by a failed one is skipped.
pub(crate) fn wgl<S: SequentialSpec>(spec: &S, calls: &[Call<S::Op>]) -> Search<S::State> {
    let n = calls.len();
    // Positions in time order (calls before returns at equal times: those are concurrent).
    let mut keys: Vec<(u64, u8, usize)> = Vec::with_capacity(2 * n);
    for (i, c) in calls.iter().enumerate() {
        keys.push((c.invoke, 0, i));
        if let Some(r) = c.ret {
            keys.push((r.max(c.invoke), 1, i));
        }
    }
    keys.sort_unstable();
    let mut call_pos = vec![0usize; n];
    let mut ret_pos = vec![usize::MAX; n];
    for (k, &(_, kind, i)) in keys.iter().enumerate() {
        if kind == 0 {
            call_pos[i] = k;
        } else {
            ret_pos[i] = k;
        }
    }
    // Local bit indices: completed ops in `ok` bits, indeterminate ones in `info` bits.
    let mut local = vec![0usize; n];
    let (mut n_ok, mut n_info) = (0usize, 0usize);
    for (i, c) in calls.iter().enumerate() {
        if c.ret.is_some() {
            local[i] = n_ok;
            n_ok += 1;
        } else {
            local[i] = n_info;
            n_info += 1;
        }
    }
    let mut by_call: Vec<usize> = (0..n).collect();
    by_call.sort_by_key(|&i| call_pos[i]);
    let mut by_ret: Vec<usize> = (0..n).filter(|&i| calls[i].ret.is_some()).collect();
    by_ret.sort_by_key(|&i| ret_pos[i]);

    // The first not-yet-linearized completed op in return order (None: all linearized).
    let frontier = |ok: &Bits| by_ret.iter().copied().find(|&i| !ok.get(local[i]));
    // Completed ops that may be linearized next, and indeterminate ops invoked so far.
    let candidates = |ok: &Bits, limit: usize| -> (Vec<usize>, Vec<usize>) {
        let (mut c, mut inf) = (Vec::new(), Vec::new());
        for &i in by_call.iter().take_while(|&&i| call_pos[i] < limit) {
            if calls[i].ret.is_some() {
                if !ok.get(local[i]) {
                    c.push(i);
                }
            } else {
                inf.push(i);
            }
        }
        (c, inf)
    };
    // Every state reachable by applying indeterminate ops from `infos`, with minimal sets.
    // Every state reachable by applying indeterminate ops from `infos`, with minimal sets.
    let closure = |info: &Bits, state: &S::State, infos: &[usize]| -> Vec<Reach<S::State>> {
        let mut out: Vec<(bool, Reach<S::State>)> =
            vec![(true, Reach { info: info.clone(), state: state.clone(), chain: Vec::new() })];
        // Applying x to the base state: any later entry that reaches the same state by
        // applying x is dominated by this one (its set is a superset).
        let level1: Vec<Option<S::State>> = infos
            .iter()
            .map(|&x| if info.get(local[x]) { None } else { spec.step(state, &calls[x].op) })
            .collect();
        // entries by state, for the dominance checks
        let mut by_state: HashMap<S::State, Vec<usize>, FxBuild> = HashMap::default();
        by_state.entry(state.clone()).or_default().push(0);
        let mut k = 0;
        while k < out.len() {
            if out[k].0 {
                for (xi, &x) in infos.iter().enumerate() {
                    if out[k].1.info.get(local[x]) {
                        continue;
                    }
                    let next = if k == 0 {
                        match &level1[xi] {
                            Some(n) => n.clone(),
                            None => continue,
                        }
                    } else {
                        let Some(n) = spec.step(&out[k].1.state, &calls[x].op) else { continue };
                        if level1[xi].as_ref() == Some(&n) {
                            continue;
                        }
                        n
                    };
                    let same = by_state.get(&next).map_or(&[][..], |v| v.as_slice());
                    let base = &out[k].1.info;
                    if same
                        .iter()
                        .any(|&j| out[j].0 && out[j].1.info.subset_of_plus(base, local[x]))
                    {
                        continue;
                    }
                    let mut bits = base.clone();
                    bits.set(local[x]);
                    for &j in same {
                        if out[j].0 && bits.subset_of(&out[j].1.info) {
                            out[j].0 = false;
                        }
                    }
                    let mut chain = out[k].1.chain.clone();
                    chain.push(x);
                    by_state.entry(next.clone()).or_default().push(out.len());
                    out.push((true, Reach { info: bits, state: next, chain }));
                }
            }
            k += 1;
        }
        out.into_iter().filter(|(alive, _)| *alive).map(|(_, r)| r).collect()
    };

    let mut memo: FailedMemo<S::State> = FailedMemo { map: HashMap::default() };
    let mut explored: u64 = 0;
    // deepest point reached: (linearized count, culprit, order so far, states there)
    // (linearized count, culprit, order so far, states there)
    #[allow(clippy::type_complexity)]
    let mut stuck: Option<(u32, usize, Vec<usize>, Vec<S::State>)> = None;
    let empty_info = Bits::new(n_info);
    let mut stack: Vec<Frame<S::State>> = Vec::new();
    // enter the initial configuration
    let enter = |ok: Bits,
                 info: Bits,
                 state: S::State,
                 moved: Vec<usize>,
                 explored: &mut u64|
     -> Result<Frame<S::State>, bool> {
        *explored += 1;
        let Some(f) = frontier(&ok) else { return Err(true) }; // all completed ops placed
        let (cands, infos) = candidates(&ok, ret_pos[f]);
        let reach = closure(&info, &state, &infos);
        Ok(Frame { ok, reach, cands, at: (0, 0), moved })
    };
    match enter(Bits::new(n_ok), empty_info.clone(), spec.init(), Vec::new(), &mut explored) {
        Err(_) => {
            return Search {
                ok: true,
                order: Vec::new(),
                culprit: None,
                states_at_culprit: Vec::new(),
                explored,
            }
        }
        Ok(f) => stack.push(f),
    }
    loop {
        let Some(top) = stack.last_mut() else {
            let (_, culprit, order, states) = stuck.expect("a failed search records where");
            return Search {
                ok: false,
                order,
                culprit: Some(culprit),
                states_at_culprit: states,
                explored,
            };
        };
        let (ri, ci) = top.at;
        if ri >= top.reach.len() {
            // exhausted: this configuration (and every one in its closure) fails
            let frame = stack.pop().expect("non-empty");
            let depth = frame.ok.count();
            let culprit = frontier(&frame.ok).expect("a frame has a frontier");
            let states = frame.reach.iter().map(|r| r.state.clone());
            match &mut stuck {
                Some((d, c, _, st)) if *d == depth && *c == culprit => {
                    for s in states {
                        if st.len() < 8 && !st.contains(&s) {
                            st.push(s);
                        }
                    }
                }
                Some((d, _, _, _)) if *d >= depth => {}
                _ => {
                    let order: Vec<usize> = stack
                        .iter()
                        .flat_map(|f| f.moved.iter().copied())
                        .chain(frame.moved.iter().copied())
                        .collect();
                    let mut uniq: Vec<S::State> = Vec::new();
                    for s in states {
                        if uniq.len() < 8 && !uniq.contains(&s) {
                            uniq.push(s);
                        }
                    }
                    stuck = Some((depth, culprit, order, uniq));
                }
            }
            // The frame's own configuration is the first entry of its closure; recording it
            // is enough (every configuration the search enters is some frame's base).
            if let Some(r) = frame.reach.first() {
                memo.insert(&frame.ok, &r.info, &r.state);
            }
            continue;
        }
        if ci >= top.cands.len() {
            top.at = (ri + 1, 0);
            continue;
        }
        top.at = (ri, ci + 1);
        let x = top.cands[ci];
        let Some(next) = spec.step(&top.reach[ri].state, &calls[x].op) else { continue };
        let mut ok = top.ok.clone();
        ok.set(local[x]);
        let info = top.reach[ri].info.clone();
        if memo.dominated(&ok, &info, &next) {
            continue;
        }
        let mut moved = top.reach[ri].chain.clone();
        moved.push(x);
        match enter(ok, info, next, moved.clone(), &mut explored) {
            Err(_) => {
                let order: Vec<usize> =
                    stack.iter().flat_map(|f| f.moved.iter().copied()).chain(moved).collect();
                return Search {
                    ok: true,
                    order,
                    culprit: None,
                    states_at_culprit: Vec::new(),
                    explored,
                };
            }
            Ok(f) => stack.push(f),
        }
    }
}

fn explain_generic<S: SequentialSpec>(
    model: &str,
    calls: &[Call<S::Op>],
    s: &Search<S::State>,
    describe: &dyn Fn(usize) -> String,
    fmt_state: &dyn Fn(&S::State) -> String,
) -> (String, Vec<usize>) {
    let n_ok = calls.iter().filter(|c| c.ret.is_some()).count();
    if s.ok {
        let mut text = format!(
            "{model}: yes. {} operations ({} completed); one valid order:\n",
            calls.len(),
            n_ok
        );
        for (k, &i) in s.order.iter().take(40).enumerate() {
            text.push_str(&format!("  {:>3}. {}\n", k + 1, describe(i)));
        }
        if s.order.len() > 40 {
            text.push_str(&format!("  … and {} more\n", s.order.len() - 40));
        }
        let left = calls.len() - s.order.len();
        if left > 0 {
            text.push_str(&format!(
                "  ({left} indeterminate operation(s) left out: they need never have taken effect)\n"
            ));
        }
        return (text, Vec::new());
    }
    let culprit = s.culprit.expect("a failed search names its culprit");
    let c = &calls[culprit];
    let ret = c.ret.unwrap_or(u64::MAX);
    let in_order: std::collections::HashSet<usize> = s.order.iter().copied().collect();
    let involved: Vec<usize> = (0..calls.len())
        .filter(|&i| i != culprit && !in_order.contains(&i) && calls[i].invoke <= ret)
        .collect();
    let mut text = format!(
        "{model}: NO. No order of the operations respects both real time and the object's \
         specification.\nThe longest valid order found places {} of the {} completed \
         operations:\n",
        s.order.iter().filter(|&&i| calls[i].ret.is_some()).count(),
        n_ok
    );
    let shown = s.order.len().saturating_sub(12);
    if shown > 0 {
        text.push_str(&format!("  … {shown} earlier operations …\n"));
    }
    for (k, &i) in s.order.iter().enumerate().skip(shown) {
        text.push_str(&format!("  {:>3}. {}\n", k + 1, describe(i)));
    }
    let states: Vec<String> = s.states_at_culprit.iter().map(fmt_state).collect();
    text.push_str(&format!(
        "Then {} must take effect before it returns, but it cannot: whatever order is chosen \
         for the operations still pending{}, the object's state when it would take effect \
         is one of {{{}}}, and in none of those is its result possible.\n",
        describe(culprit),
        if involved.is_empty() {
            String::new()
        } else {
            format!(
                " ({})",
                involved.iter().take(8).map(|&i| describe(i)).collect::<Vec<_>>().join("; ")
            )
        },
        states.join(", ")
    ));
    (text, involved)
}

/// Checks that `calls` is linearizable with respect to `spec`: that there is a total order of
/// the operations which (1) respects real time (if A returned before B was invoked, A comes
/// first), (2) contains every completed operation and any subset of the indeterminate ones,
/// and (3) is a legal sequential run of `spec`.
///
/// The search is WGL (Wing & Gong; Lowe, "Testing for linearizability", 2017) with
/// memoisation of failed configurations (linearized set as a bitset, state), where leaving an
/// indeterminate operation out dominates putting it in. It is exact: no false answers in either
/// direction.
///
/// ```
/// use course_lib::consistency::{check_linearizable, Call, Counter, CounterOp};
/// // p0 adds 1 while p1 reads 1 and then p2 reads 0: the second read is too old.
/// let calls = vec![
///     Call::ok(0, 0, 10, CounterOp::Add(1)),
///     Call::ok(1, 1, 3, CounterOp::Read(1)),
///     Call::ok(2, 4, 6, CounterOp::Read(0)),
/// ];
/// let v = check_linearizable(&Counter, &calls);
/// assert!(!v.is_linearizable());
/// assert_eq!(v.culprit(), Some(2));
/// ```
pub fn check_linearizable<S: SequentialSpec>(spec: &S, calls: &[Call<S::Op>]) -> Verdict {
    let s = wgl(spec, calls);
    let describe = |i: usize| format!("p{} {:?}", calls[i].process, calls[i].op);
    let fmt_state = |st: &S::State| format!("{st:?}");
    let (explanation, involved) =
        explain_generic::<S>("linearizability", calls, &s, &describe, &fmt_state);
    let timeline =
        TimelineData::from_calls("history", calls, &|c: &Call<S::Op>| format!("{:?}", c.op));
    Verdict {
        ok: s.ok,
        model: "linearizability".into(),
        explanation,
        order: s.order,
        culprit: s.culprit,
        involved,
        explored: s.explored,
        timeline: Some(timeline.marked(s.culprit, &[])),
    }
    .with_involved_marked()
}

impl Verdict {
    fn with_involved_marked(mut self) -> Self {
        if let Some(t) = self.timeline.take() {
            self.timeline = Some(t.marked(self.culprit, &self.involved));
        }
        self
    }
}

/// Checks a key-value history key by key (P-compositionality, Herlihy & Wing 1990; Horn &
/// Kroening 2015): a history of independent keys is linearizable iff each key's sub-history
/// is. The verdict is the first failing key's, or a combined yes.
pub fn check_linearizable_kv<S: SequentialSpec>(spec: &S, calls: &[Call<KvOp<S::Op>>]) -> Verdict {
    let mut by_key: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (i, c) in calls.iter().enumerate() {
        by_key.entry(c.op.key).or_default().push(i);
    }
    let mut explored = 0;
    let mut order = Vec::new();
    for (key, idx) in &by_key {
        let sub: Vec<Call<S::Op>> = idx
            .iter()
            .map(|&i| Call {
                op: calls[i].op.op.clone(),
                process: calls[i].process,
                invoke: calls[i].invoke,
                ret: calls[i].ret,
            })
            .collect();
        let mut v = check_linearizable(spec, &sub);
        explored += v.explored;
        if !v.ok {
            let map = |j: usize| idx[j];
            v.order = v.order.iter().map(|&j| map(j)).collect();
            v.culprit = v.culprit.map(map);
            v.involved = v.involved.iter().map(|&j| map(j)).collect();
            v.explanation = format!("key {key}: {}", v.explanation);
            v.explored = explored;
            return v;
        }
        order.extend(v.order.iter().map(|&j| idx[j]));
    }
    Verdict {
        ok: true,
        model: "linearizability".into(),
        explanation: format!(
            "linearizability: yes. {} operations on {} key(s), each key checked on its own.",
            calls.len(),
            by_key.len()
        ),
        order,
        culprit: None,
        involved: Vec::new(),
        explored,
        timeline: None,
    }
}

/// Brute force: tries every order of the operations that respects real time (and every subset
/// of the indeterminate ones). Exponential: for testing the fast checker on small histories
/// (up to ~8 operations) and for teaching, nothing else.
pub fn check_linearizable_brute_force<S: SequentialSpec>(spec: &S, calls: &[Call<S::Op>]) -> bool {
    fn go<S: SequentialSpec>(
        spec: &S,
        calls: &[Call<S::Op>],
        used: &mut Vec<bool>,
        state: &S::State,
        left_ok: usize,
    ) -> bool {
        if left_ok == 0 {
            return true;
        }
        for i in 0..calls.len() {
            if used[i] {
                continue;
            }
            // i may go next only if no unused completed operation returned before i's call.
            let blocked = calls
                .iter()
                .enumerate()
                .any(|(j, c)| !used[j] && j != i && c.ret.is_some_and(|r| r < calls[i].invoke));
            if blocked {
                continue;
            }
            if let Some(next) = spec.step(state, &calls[i].op) {
                used[i] = true;
                let l = left_ok - usize::from(calls[i].ret.is_some());
                if go(spec, calls, used, &next, l) {
                    return true;
                }
                used[i] = false;
            }
        }
        false
    }
    let left = calls.iter().filter(|c| c.ret.is_some()).count();
    go(spec, calls, &mut vec![false; calls.len()], &spec.init(), left)
}

// ---------------------------------------------------------------------------------------------
// Registers from Jepsen histories

/// The register operations of a history as calls for the generic checker: `fail` operations
/// and indeterminate reads are dropped (they had no effect); times are event indices.
/// Returns the calls and, for each, the index of its [`Operation`].
pub fn register_calls(history: &History) -> (Vec<Call<RegisterOp>>, Vec<usize>) {
    let mut calls = Vec::new();
    let mut ids = Vec::new();
    for o in history.operations() {
        let op = match (o.f, o.value, o.outcome) {
            (_, _, Outcome::Fail) => continue,
            (F::Read, _, Outcome::Info) => continue,
            (F::Read, Value::Int(v), _) => RegisterOp::Read(Some(v)),
            (F::Read, _, _) => RegisterOp::Read(None),
            (F::Write, Value::Int(v), _) => RegisterOp::Write(v),
            (F::Cas, Value::Pair(a, b), _) => RegisterOp::Cas(a, b),
            _ => continue, // excluded by History's validation
        };
        let ret = match o.outcome {
            Outcome::Ok => o.complete.map(|c| c as u64),
            _ => None,
        };
        calls.push(Call { op, process: o.process, invoke: o.invoke as u64, ret });
        ids.push(o.id);
    }
    (calls, ids)
}

fn fmt_register(s: &Option<i64>) -> String {
    s.map_or("null".to_string(), |v| v.to_string())
}

/// Checks that a history of a single compare-and-set register, starting at `null`, is
/// linearizable (for a key-value history, every key on its own). Fail operations are ignored;
/// `info` operations may have taken effect at any time after their invocation, or never.
///
/// The verdict's indices ([`Verdict::order`], [`Verdict::culprit`]) refer to
/// [`History::operations`]; [`Verdict::plot`] draws the timeline with the culprit marked.
///
/// ```
/// use course_lib::consistency::{check_cas_register, History, F};
/// // p0 writes 1; after it returns, p1 still reads null: a stale read.
/// let h = History::builder()
///     .invoke(0, F::Write, 1).ok(0, 1)
///     .invoke(1, F::Read, None).ok(1, None)
///     .build()?;
/// let v = check_cas_register(&h);
/// assert!(!v.is_linearizable());
/// assert_eq!(v.culprit(), Some(1));
/// assert!(v.explanation().contains("p1 read → null"));
/// # Ok::<(), course_lib::Error>(())
/// ```
pub fn check_cas_register(history: &History) -> Verdict {
    let keys = history.keys();
    if keys.is_empty() || history.operations().iter().all(|o| o.key == keys.first().copied()) {
        return check_register_ops(history, &(0..history.len()).collect::<Vec<_>>());
    }
    // Key-value history: P-compositionality, one key at a time.
    let mut explored = 0;
    let mut order = Vec::new();
    for k in &keys {
        let ids: Vec<usize> =
            history.operations().iter().filter(|o| o.key == Some(*k)).map(|o| o.id).collect();
        let mut v = check_register_ops(history, &ids);
        explored += v.explored;
        if !v.ok {
            v.explanation = format!("key {k}: {}", v.explanation);
            v.explored = explored;
            return v;
        }
        order.extend(v.order);
    }
    let mut v = check_register_ops(history, &[]);
    v.order = order;
    v.explored = explored;
    v.explanation = format!(
        "linearizability: yes. {} operations on {} keys, each key checked on its own \
         (P-compositionality).",
        history.len(),
        keys.len()
    );
    v
}

/// Checks the operations `ids` of `history` (one register).
fn check_register_ops(history: &History, ids: &[usize]) -> Verdict {
    let (all_calls, all_ids) = register_calls(history);
    let keep: std::collections::HashSet<usize> = ids.iter().copied().collect();
    let (calls, op_ids): (Vec<_>, Vec<_>) =
        all_calls.into_iter().zip(all_ids).filter(|(_, id)| keep.contains(id)).unzip();
    let s = wgl(&CasRegister, &calls);
    let ops = history.operations();
    let describe = |i: usize| describe_op(history, &ops[op_ids[i]]);
    let (explanation, involved) =
        explain_generic::<CasRegister>("linearizability", &calls, &s, &describe, &fmt_register);
    let map = |i: usize| op_ids[i];
    let culprit = s.culprit.map(map);
    let involved: Vec<usize> = involved.into_iter().map(map).collect();
    Verdict {
        ok: s.ok,
        model: "linearizability".into(),
        explanation,
        order: s.order.iter().map(|&i| map(i)).collect(),
        culprit,
        involved: involved.clone(),
        explored: s.explored,
        timeline: Some(
            TimelineData::from_history("register history", history).marked(culprit, &involved),
        ),
    }
}

/// `p1 read → 2 [events 5–9]` (times in ms when the history has them).
pub(crate) fn describe_op(history: &History, o: &Operation) -> String {
    let t0 = history.event_time(o.invoke);
    let span = match o.complete {
        Some(c) if o.outcome != Outcome::Info => {
            if history.has_times() {
                format!(" [{:.3}–{:.3} ms]", t0, history.event_time(c))
            } else {
                format!(" [events {}–{}]", o.invoke, c)
            }
        }
        _ => {
            if history.has_times() {
                format!(" [from {t0:.3} ms, never returned]")
            } else {
                format!(" [from event {}, never returned]", o.invoke)
            }
        }
    };
    format!("{}{span}", o.describe())
}

/// Used by the timeline: one bar per operation of `history`.
pub(crate) fn history_bars(history: &History) -> Vec<TimelineBar> {
    history
        .operations()
        .iter()
        .map(|o| TimelineBar {
            lane: o.process,
            start: history.event_time(o.invoke),
            end: match (o.outcome, o.complete) {
                (Outcome::Info, _) | (_, None) => None,
                (_, Some(c)) => Some(history.event_time(c)),
            },
            label: {
                let d = o.describe();
                // drop the "pN " prefix: the lane says it
                d.split_once(' ').map_or(d.clone(), |(_, rest)| rest.to_string())
            },
            outcome: o.outcome,
            mark: super::timeline::BarMark::None,
        })
        .collect()
}

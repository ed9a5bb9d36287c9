//! The master and the workers as harness nodes (node 0 is the master, nodes 1..=W the workers).

use std::collections::{BTreeSet, HashMap};
use std::rc::Rc;

use super::{fnv1a, Bug, Kv, MapFn, ReduceFn, TaskEvent, TaskKind, TaskOutcome, Timing};
use crate::sim::{Bugs, Ctx, Node, NodeId};

/// One map task's input: documents (name, contents) and its size in bytes.
#[derive(Clone, Debug)]
pub(crate) struct Split {
    pub docs: Vec<(String, String)>,
    pub bytes: f64,
}

/// What the tasks carry: real documents and functions, or sizes only (the paper-scale model).
#[derive(Clone, Debug)]
pub(crate) enum Work {
    Data { splits: Rc<Vec<Split>>, map: MapFn, reduce: ReduceFn, combiner: Option<ReduceFn> },
    Sizes { map_mb: f64, reduce_mb: f64 },
}

type Partition = Rc<Vec<Kv>>;

/// Messages between master and workers, and between workers (the shuffle).
#[derive(Clone, Debug)]
pub enum Msg {
    /// Worker → master: I (re)started with this incarnation.
    Hello(u32),
    /// Master → worker: are you alive?
    Ping,
    /// Worker → master: yes, in this incarnation.
    Pong(u32),
    /// Master → worker: run map task `task` (attempt id `attempt`).
    RunMap {
        /// Map task.
        task: usize,
        /// Attempt id (unique per job).
        attempt: u64,
    },
    /// Master → worker: run reduce task `task`; `locations[m]` is the worker holding map m's output.
    RunReduce {
        /// Reduce task.
        task: usize,
        /// Attempt id.
        attempt: u64,
        /// Node id of the worker holding each map task's output.
        locations: Rc<Vec<usize>>,
    },
    /// Master → reduce workers: map task `map` was re-executed; its output is now on `node`.
    MapMoved {
        /// Map task.
        map: usize,
        /// Node that holds it now.
        node: usize,
    },
    /// Reduce worker → map worker: send me partition `reduce` of map `map`.
    Fetch {
        /// Map task.
        map: usize,
        /// Partition (reduce task).
        reduce: usize,
        /// The reduce attempt asking.
        attempt: u64,
    },
    /// Map worker → reduce worker: the partition, or `None` when it is not on this disk.
    Part {
        /// Map task.
        map: usize,
        /// The reduce attempt that asked.
        attempt: u64,
        /// The data.
        data: Option<Partition>,
    },
    /// Worker → master: map attempt finished (output on my local disk).
    MapDone {
        /// Map task.
        task: usize,
        /// Attempt id.
        attempt: u64,
    },
    /// Worker → master: reduce attempt finished; here is its output file.
    ReduceDone {
        /// Reduce task.
        task: usize,
        /// Attempt id.
        attempt: u64,
        /// Output (data mode).
        output: Option<Partition>,
    },
}

/// Timers.
#[derive(Clone, Debug)]
pub enum Timer {
    /// The master's ping round.
    Ping,
    /// A worker's task attempt finishes processing.
    Finish(u64),
}

#[derive(Clone, Debug)]
enum Running {
    Map {
        task: usize,
        attempt: u64,
        output: Option<Rc<Vec<Partition>>>,
    },
    Reduce {
        task: usize,
        attempt: u64,
        parts: Vec<Option<Partition>>,
        missing: usize,
        timer_set: bool,
    },
}

/// A worker: one task at a time; map output on its local disk (volatile: lost in a crash).
#[derive(Clone, Debug)]
pub struct Worker {
    incarnation: u32,
    slowdown: f64,
    timing: Timing,
    work: Work,
    reduce_tasks: usize,
    running: [Option<Running>; 2],
    disk: HashMap<usize, Rc<Vec<Partition>>>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum TaskState {
    Idle,
    Running,
    Done,
}

#[derive(Clone, Debug)]
struct WorkerInfo {
    alive: bool,
    incarnation: u32,
    last_pong_ms: f64,
    running: [Option<(usize, u64)>; 2],
}

/// The master: task states, map output locations, worker liveness, committed reduce output.
#[derive(Clone, Debug)]
pub struct Master {
    timing: Timing,
    bugs: Bugs<Bug>,
    backups: bool,
    backup_fraction: f64,
    data: bool,
    maps: Vec<TaskState>,
    reduces: Vec<TaskState>,
    attempts: [Vec<Vec<u64>>; 2],
    backed_up: [Vec<bool>; 2],
    idle: [BTreeSet<usize>; 2],
    done: [usize; 2],
    map_loc: Vec<usize>,
    loc_rc: Option<Rc<Vec<usize>>>,
    workers: Vec<WorkerInfo>,
    idle_workers: [BTreeSet<usize>; 2],
    next_attempt: u64,
    attempt_event: HashMap<u64, usize>,
    pub(crate) events: Vec<TaskEvent>,
    pub(crate) outputs: Vec<Vec<Partition>>,
    pub(crate) done_ms: Option<f64>,
    pub(crate) reexecuted_maps: usize,
    pub(crate) workers_declared_dead: usize,
}

/// A node of the MapReduce cluster.
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)]
pub enum MrNode {
    /// Node 0.
    Master(Box<Master>),
    /// Nodes 1..=W.
    Worker(Box<Worker>),
}

impl MrNode {
    pub(crate) fn master(&self) -> Option<&Master> {
        match self {
            MrNode::Master(m) => Some(m),
            MrNode::Worker(_) => None,
        }
    }
}

pub(crate) struct Setup {
    pub workers: usize,
    pub map_tasks: usize,
    pub reduce_tasks: usize,
    pub timing: Timing,
    pub work: Work,
    pub slow: Vec<bool>,
    pub slowdown: f64,
    pub backups: bool,
    pub backup_fraction: f64,
    pub bugs: Bugs<Bug>,
}

pub(crate) fn nodes(s: Setup) -> Vec<MrNode> {
    let master = Master {
        timing: s.timing,
        bugs: s.bugs,
        backups: s.backups,
        backup_fraction: s.backup_fraction,
        data: matches!(s.work, Work::Data { .. }),
        maps: vec![TaskState::Idle; s.map_tasks],
        reduces: vec![TaskState::Idle; s.reduce_tasks],
        attempts: [vec![Vec::new(); s.map_tasks], vec![Vec::new(); s.reduce_tasks]],
        backed_up: [vec![false; s.map_tasks], vec![false; s.reduce_tasks]],
        idle: [(0..s.map_tasks).collect(), (0..s.reduce_tasks).collect()],
        done: [0, 0],
        map_loc: vec![0; s.map_tasks],
        loc_rc: None,
        workers: vec![
            WorkerInfo {
                alive: true,
                incarnation: 0,
                last_pong_ms: 0.0,
                running: [None, None]
            };
            s.workers + 1
        ],
        idle_workers: [(1..=s.workers).collect(), (1..=s.workers).collect()],
        next_attempt: 0,
        attempt_event: HashMap::new(),
        events: Vec::new(),
        outputs: vec![Vec::new(); s.reduce_tasks],
        done_ms: None,
        reexecuted_maps: 0,
        workers_declared_dead: 0,
    };
    let mut v = vec![MrNode::Master(Box::new(master))];
    for w in 0..s.workers {
        v.push(MrNode::Worker(Box::new(Worker {
            incarnation: 0,
            slowdown: if s.slow[w] { s.slowdown } else { 1.0 },
            timing: s.timing,
            work: s.work.clone(),
            reduce_tasks: s.reduce_tasks,
            running: [None, None],
            disk: HashMap::new(),
        })));
    }
    v
}

const MAP: usize = 0;
const RED: usize = 1;

fn kind_index(k: TaskKind) -> usize {
    match k {
        TaskKind::Map => MAP,
        TaskKind::Reduce => RED,
    }
}

impl Master {
    fn phase(&self) -> usize {
        if self.done[MAP] < self.maps.len() {
            MAP
        } else {
            RED
        }
    }

    fn state(&mut self, k: usize) -> &mut Vec<TaskState> {
        if k == MAP {
            &mut self.maps
        } else {
            &mut self.reduces
        }
    }

    fn schedule(&mut self, ctx: &mut Ctx<MrNode>) {
        if self.done_ms.is_some() {
            return;
        }
        let k = self.phase();
        while let Some(&w) = self.idle_workers[k].iter().next() {
            let (task, backup) = match self.idle[k].iter().next() {
                Some(&t) => (t, false),
                None => match self.backup_candidate(k) {
                    Some(t) => (t, true),
                    None => return,
                },
            };
            self.idle_workers[k].remove(&w);
            self.idle[k].remove(&task);
            self.state(k)[task] = TaskState::Running;
            if backup {
                self.backed_up[k][task] = true;
            }
            let attempt = self.next_attempt;
            self.next_attempt += 1;
            self.attempts[k][task].push(attempt);
            let kind = if k == MAP { TaskKind::Map } else { TaskKind::Reduce };
            self.workers[w].running[k] = Some((task, attempt));
            self.attempt_event.insert(attempt, self.events.len());
            self.events.push(TaskEvent {
                worker: w - 1,
                kind,
                task,
                backup,
                start_ms: ctx.now_ms(),
                end_ms: None,
                outcome: TaskOutcome::Running,
            });
            let msg = if k == MAP {
                Msg::RunMap { task, attempt }
            } else {
                let locations = self.loc_rc.get_or_insert_with(|| Rc::new(self.map_loc.clone()));
                Msg::RunReduce { task, attempt, locations: locations.clone() }
            };
            ctx.send(NodeId(w), msg);
        }
    }

    /// Near the end of a phase (at most `backup_fraction` of its tasks not done, none idle),
    /// the running task that started first and has no backup yet.
    fn backup_candidate(&self, k: usize) -> Option<usize> {
        if !self.backups {
            return None;
        }
        let total = if k == MAP { self.maps.len() } else { self.reduces.len() };
        let left = total - self.done[k];
        if left as f64 > self.backup_fraction * total as f64 {
            return None;
        }
        let states = if k == MAP { &self.maps } else { &self.reduces };
        (0..total)
            .filter(|&t| states[t] == TaskState::Running && !self.backed_up[k][t])
            .min_by_key(|&t| self.attempts[k][t].first().copied().unwrap_or(u64::MAX))
    }

    fn close_event(&mut self, attempt: u64, now: f64, outcome: TaskOutcome) {
        if let Some(&i) = self.attempt_event.get(&attempt) {
            if self.events[i].end_ms.is_none() {
                self.events[i].end_ms = Some(now);
                self.events[i].outcome = outcome;
            }
        }
    }

    fn worker_failed(&mut self, w: usize, ctx: &mut Ctx<MrNode>) {
        let now = ctx.now_ms();
        self.workers_declared_dead += 1;
        self.workers[w].alive = false;
        for k in [MAP, RED] {
            self.idle_workers[k].remove(&w);
            let Some((task, attempt)) = self.workers[w].running[k].take() else { continue };
            self.close_event(attempt, now, TaskOutcome::Lost);
            self.attempts[k][task].retain(|&a| a != attempt);
            if self.state(k)[task] == TaskState::Running && self.attempts[k][task].is_empty() {
                self.state(k)[task] = TaskState::Idle;
                self.backed_up[k][task] = false;
                self.idle[k].insert(task);
            }
        }
        // Dean & Ghemawat §3.3: completed map tasks are re-executed, because their output is
        // stored on the failed machine's local disk (and so is inaccessible).
        if !self.bugs.has(Bug::KeepDeadWorkersMapOutput) && self.done[RED] < self.reduces.len() {
            for m in 0..self.maps.len() {
                if self.maps[m] == TaskState::Done && self.map_loc[m] == w {
                    self.maps[m] = TaskState::Idle;
                    self.backed_up[MAP][m] = false;
                    self.attempts[MAP][m].clear();
                    self.idle[MAP].insert(m);
                    self.done[MAP] -= 1;
                    self.reexecuted_maps += 1;
                }
            }
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<MrNode>, from: usize, msg: Msg) {
        let now = ctx.now_ms();
        match msg {
            Msg::Hello(inc) => {
                let info = &self.workers[from];
                if inc > info.incarnation || !info.alive {
                    if info.alive && inc > info.incarnation {
                        self.worker_failed(from, ctx);
                    }
                    let info = &mut self.workers[from];
                    info.alive = true;
                    info.incarnation = inc;
                    info.last_pong_ms = now;
                    info.running = [None, None];
                    self.idle_workers[MAP].insert(from);
                    self.idle_workers[RED].insert(from);
                }
            }
            // A pong from a dead worker or an old incarnation is ignored (the `_` arm).
            Msg::Pong(inc) if self.workers[from].alive && inc == self.workers[from].incarnation => {
                self.workers[from].last_pong_ms = now;
            }
            Msg::MapDone { task, attempt } => {
                self.finished(ctx, from, TaskKind::Map, task, attempt, None)
            }
            Msg::ReduceDone { task, attempt, output } => {
                self.finished(ctx, from, TaskKind::Reduce, task, attempt, output)
            }
            _ => {}
        }
        self.schedule(ctx);
    }

    fn finished(
        &mut self,
        ctx: &mut Ctx<MrNode>,
        w: usize,
        kind: TaskKind,
        task: usize,
        attempt: u64,
        output: Option<Partition>,
    ) {
        let now = ctx.now_ms();
        let k = kind_index(kind);
        // a report from an attempt the master has written off (its worker was declared dead)
        if !self.attempts[k][task].contains(&attempt) || !self.workers[w].alive {
            return;
        }
        if self.workers[w].running[k].map(|r| r.1) == Some(attempt) {
            self.workers[w].running[k] = None;
            self.idle_workers[k].insert(w);
        }
        self.attempts[k][task].retain(|&a| a != attempt);
        let first = self.state(k)[task] != TaskState::Done;
        self.close_event(
            attempt,
            now,
            if first { TaskOutcome::Completed } else { TaskOutcome::Duplicate },
        );
        if k == MAP {
            if first {
                self.maps[task] = TaskState::Done;
                self.done[MAP] += 1;
                self.map_loc[task] = w;
                self.loc_rc = None;
                // reduce workers still running are told where the re-executed output is
                // (data mode only: in sizes mode a reduce task's shuffle is part of its time)
                for (r, info) in self.workers.iter().enumerate() {
                    if self.data && info.alive && info.running[RED].is_some() {
                        ctx.send(NodeId(r), Msg::MapMoved { map: task, node: w });
                    }
                }
            }
        } else {
            // committing a reduce output is an atomic rename: the first finished attempt wins
            let commit = first || self.bugs.has(Bug::NonAtomicCommit);
            if let (true, Some(out)) = (commit, output) {
                self.outputs[task].push(out);
            }
            if first {
                self.reduces[task] = TaskState::Done;
                self.done[RED] += 1;
                if self.done[RED] == self.reduces.len() {
                    self.done_ms = Some(now);
                }
            }
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<MrNode>) {
        let now = ctx.now_ms();
        let timeout = self.timing.ping_ms * self.timing.missed_pings as f64;
        let dead: Vec<usize> = (1..self.workers.len())
            .filter(|&w| self.workers[w].alive && now - self.workers[w].last_pong_ms > timeout)
            .collect();
        for w in dead {
            self.worker_failed(w, ctx);
        }
        if self.done_ms.is_none() {
            for w in 1..self.workers.len() {
                if self.workers[w].alive {
                    ctx.send(NodeId(w), Msg::Ping);
                }
            }
            ctx.set_timer(self.timing.ping_ms, Timer::Ping);
        }
        self.schedule(ctx);
    }
}

/// Partition a map output by hash(key) mod R, each partition sorted by key (stable).
pub(crate) fn partition(out: Vec<Kv>, r: usize) -> Vec<Partition> {
    let mut parts: Vec<Vec<Kv>> = vec![Vec::new(); r];
    for kv in out {
        let p = (fnv1a(&kv.0) % r as u64) as usize;
        parts[p].push(kv);
    }
    parts
        .into_iter()
        .map(|mut p| {
            p.sort_by(|a, b| a.0.cmp(&b.0));
            Rc::new(p)
        })
        .collect()
}

/// Group sorted (key, value) pairs by key and apply `f` to each group.
pub(crate) fn group_apply(sorted: Vec<Kv>, f: ReduceFn) -> Vec<Kv> {
    let mut out = Vec::new();
    let mut it = sorted.into_iter().peekable();
    while let Some((key, v)) = it.next() {
        let mut values = vec![v];
        while let Some((k2, _)) = it.peek() {
            if *k2 != key {
                break;
            }
            values.push(it.next().expect("peeked").1);
        }
        let r = f(&key, &values);
        out.push((key, r));
    }
    out
}

impl Worker {
    fn duration(&self, mb: f64, per_mb: f64, ctx: &mut Ctx<MrNode>) -> f64 {
        let j = self.timing.jitter;
        let jitter = if j > 0.0 { ctx.rng().uniform_range(1.0 - j, 1.0 + j) } else { 1.0 };
        (self.timing.overhead_ms + mb * per_mb) * self.slowdown * jitter
    }

    fn on_message(&mut self, ctx: &mut Ctx<MrNode>, from: usize, msg: Msg) {
        match msg {
            Msg::Ping => ctx.send(NodeId(0), Msg::Pong(self.incarnation)),
            Msg::RunMap { task, attempt } => {
                let (mb, output) = match &self.work {
                    Work::Data { splits, map, combiner, .. } => {
                        let split = &splits[task];
                        let mut out = Vec::new();
                        for (name, contents) in &split.docs {
                            out.extend(map(name, contents));
                        }
                        if let Some(c) = combiner {
                            out.sort_by(|a, b| a.0.cmp(&b.0));
                            out = group_apply(out, *c);
                        }
                        (split.bytes / 1e6, Some(Rc::new(partition(out, self.reduce_tasks))))
                    }
                    Work::Sizes { map_mb, .. } => (*map_mb, None),
                };
                let d = self.duration(mb, self.timing.map_ms_per_mb, ctx);
                self.running[MAP] = Some(Running::Map { task, attempt, output });
                ctx.set_timer(d, Timer::Finish(attempt));
            }
            Msg::RunReduce { task, attempt, locations } => match &self.work {
                Work::Data { .. } => {
                    let m = locations.len();
                    for (map, &node) in locations.iter().enumerate() {
                        ctx.send(NodeId(node), Msg::Fetch { map, reduce: task, attempt });
                    }
                    self.running[RED] = Some(Running::Reduce {
                        task,
                        attempt,
                        parts: vec![None; m],
                        missing: m,
                        timer_set: false,
                    });
                    self.maybe_reduce(ctx);
                }
                Work::Sizes { reduce_mb, .. } => {
                    let d = self.duration(*reduce_mb, self.timing.reduce_ms_per_mb, ctx);
                    self.running[RED] = Some(Running::Reduce {
                        task,
                        attempt,
                        parts: Vec::new(),
                        missing: 0,
                        timer_set: true,
                    });
                    ctx.set_timer(d, Timer::Finish(attempt));
                }
            },
            Msg::Fetch { map, reduce, attempt } => {
                let data = self.disk.get(&map).map(|p| p[reduce].clone());
                ctx.send(NodeId(from), Msg::Part { map, attempt, data });
            }
            Msg::Part { map, attempt: a, data: Some(d) } => {
                if let Some(Running::Reduce { attempt, parts, missing, .. }) =
                    &mut self.running[RED]
                {
                    if *attempt == a && parts[map].is_none() {
                        parts[map] = Some(d);
                        *missing -= 1;
                    }
                }
                self.maybe_reduce(ctx);
            }
            Msg::MapMoved { map, node } => {
                if let Some(Running::Reduce { task, attempt, parts, .. }) = &self.running[RED] {
                    if parts.get(map).is_some_and(|p| p.is_none()) {
                        ctx.send(
                            NodeId(node),
                            Msg::Fetch { map, reduce: *task, attempt: *attempt },
                        );
                    }
                }
            }
            _ => {}
        }
    }

    fn maybe_reduce(&mut self, ctx: &mut Ctx<MrNode>) {
        let Some(Running::Reduce {
            attempt, parts, missing: 0, timer_set: timer_set @ false, ..
        }) = &mut self.running[RED]
        else {
            return;
        };
        *timer_set = true;
        let bytes: usize =
            parts.iter().flatten().flat_map(|p| p.iter()).map(|(k, v)| k.len() + v.len()).sum();
        let attempt = *attempt;
        let d = self.duration(bytes as f64 / 1e6, self.timing.reduce_ms_per_mb, ctx);
        ctx.set_timer(d, Timer::Finish(attempt));
    }

    fn on_timer(&mut self, ctx: &mut Ctx<MrNode>, attempt: u64) {
        for k in [MAP, RED] {
            self.finish(ctx, k, attempt);
        }
    }

    fn finish(&mut self, ctx: &mut Ctx<MrNode>, k: usize, attempt: u64) {
        match self.running[k].take() {
            Some(Running::Map { task, attempt: a, output }) if a == attempt => {
                if let Some(out) = output {
                    self.disk.insert(task, out);
                } else {
                    self.disk.insert(task, Rc::new(Vec::new()));
                }
                ctx.send(NodeId(0), Msg::MapDone { task, attempt });
            }
            Some(Running::Reduce { task, attempt: a, parts, .. }) if a == attempt => {
                let output = match &self.work {
                    Work::Data { reduce, .. } => {
                        let mut all: Vec<Kv> = Vec::new();
                        for p in parts.into_iter().flatten() {
                            all.extend(p.iter().cloned());
                        }
                        all.sort_by(|a, b| a.0.cmp(&b.0));
                        Some(Rc::new(group_apply(all, *reduce)))
                    }
                    Work::Sizes { .. } => None,
                };
                ctx.send(NodeId(0), Msg::ReduceDone { task, attempt, output });
            }
            other => self.running[k] = other,
        }
    }
}

impl Node for MrNode {
    type Msg = Msg;
    type Timer = Timer;
    type Request = ();
    type Response = ();

    fn on_start(&mut self, ctx: &mut Ctx<Self>) {
        match self {
            MrNode::Master(m) => {
                ctx.set_timer(m.timing.ping_ms, Timer::Ping);
                m.schedule(ctx);
            }
            MrNode::Worker(w) => {
                if w.incarnation > 0 {
                    ctx.send(NodeId(0), Msg::Hello(w.incarnation));
                }
            }
        }
    }

    fn on_message(&mut self, ctx: &mut Ctx<Self>, from: NodeId, msg: Msg) {
        match self {
            MrNode::Master(m) => m.on_message(ctx, from.0, msg),
            MrNode::Worker(w) => w.on_message(ctx, from.0, msg),
        }
    }

    fn on_timer(&mut self, ctx: &mut Ctx<Self>, timer: Timer) {
        match (self, timer) {
            (MrNode::Master(m), Timer::Ping) => m.on_timer(ctx),
            (MrNode::Worker(w), Timer::Finish(a)) => w.on_timer(ctx, a),
            _ => {}
        }
    }

    fn restarted(&self) -> Self {
        match self {
            MrNode::Master(m) => MrNode::Master(m.clone()),
            MrNode::Worker(w) => MrNode::Worker(Box::new(Worker {
                incarnation: w.incarnation + 1,
                running: [None, None],
                disk: HashMap::new(),
                ..(**w).clone()
            })),
        }
    }
}

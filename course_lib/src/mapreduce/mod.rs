//! # MapReduce on simulated workers
//!
//! Dean and Ghemawat's MapReduce (OSDI 2004) lets a programmer write two functions and run
//! them over a thousand machines without writing a line of distributed code:
//!
//! $$\text{map}: (k_1, v_1) \to \text{list}(k_2, v_2), \qquad
//!   \text{reduce}: (k_2, \text{list}(v_2)) \to v_3 .$$
//!
//! The input is cut into $M$ **map tasks** (splits). A map task applies `map` to each of its
//! documents and partitions what it emits into $R$ **intermediate partitions** by
//! $p(k_2) = \text{hash}(k_2) \bmod R$ (here FNV-1a, 32 bit, as in MIT 6.5840's lab), written to
//! the worker's *local disk*. A **reduce task** $r$ fetches partition $r$ from every map task
//! (the **shuffle**), sorts by key, groups, and calls `reduce` once per key; its output file is
//! committed by an atomic rename, so one file per reduce task exists however many times the task
//! ran. The **master** hands idle workers tasks: all map tasks first, then (a barrier in this
//! model) the reduce tasks.
//!
//! **Correctness under failure (§3.3).** The master pings every worker. A worker that misses
//! [`Timing::missed_pings`] pings, or that says hello with a new incarnation (it crashed and was
//! restarted), is failed: its running task goes back to idle, and so do its **completed map
//! tasks**, because their output lived on its local disk; reduce workers still running are told
//! where the re-executed output is. Completed reduce tasks are not redone: their output is in
//! the global file system. If `map` and `reduce` are deterministic functions of their input the
//! result equals a sequential run, whatever fails — the property [`word_count`]'s tests check.
//!
//! **Stragglers and backup tasks (§3.6).** A machine that is slow (a bad disk, a competing
//! job) holds the whole job up at the end of a phase. When a phase is close to done (at most
//! [`Cluster::backup_fraction`] of its tasks left and none waiting), the master starts a second
//! copy of each running task on idle workers; whichever finishes first counts, the other
//! completion is ignored (maps) or discarded by the atomic rename (reduces).
//!
//! ## The model, honestly
//! * A worker runs one task at a time. A task takes
//!   $(\text{overhead} + \text{MB} \cdot \text{ms per MB}) \cdot s \cdot U(1 - j, 1 + j)$ of
//!   virtual time, set as the worker's own processing timer: $s = 1$ for a normal worker and
//!   $s = $ [`Cluster::slowdown`] for the [`Cluster::stragglers`] slow ones (spread evenly over the
//!   worker ids), $j$ = [`Timing::jitter`], drawn from the worker's own random stream.
//! * In **data mode** ([`Job::run`], [`word_count`]) tasks carry real documents and the shuffle
//!   sends real partitions as messages; in **sizes mode** ([`run_sizes`], the paper-scale
//!   sort) tasks carry sizes only and a reduce task's time includes its shuffle.
//! * Crashes are the harness's [`crate::sim::FaultSchedule`] crashes (and restarts), of
//!   [`Cluster::kills`] workers chosen from the run's faults stream. The master never fails
//!   (the paper aborts the job then).
//! * [`paper_sort`] is the sort of §5.3 (M = 15 000, R = 4 000, 1 746 workers, 1 TB): its map
//!   rate comes from the paper's peak input rate, its reduce rate is *calibrated* so the normal
//!   run takes about 891 s, and its straggler slowdown is *derived* from Figure 3(b)'s
//!   stragglers (see [`SortScenario`]): so the no-backup ratio is an input more than a
//!   prediction. What the model predicts is the cost of backups and of the 200 kills.
//!
//! ```
//! use course_lib::mapreduce::*;
//! # fn main() -> course_lib::Result<()> {
//! let counts = word_count("the cat, the hat; THE end", 3, 2, 7)?;
//! assert_eq!(counts[0], ("THE".to_string(), 1));
//! assert!(counts.contains(&("the".to_string(), 2)));
//! // the same answer whatever fails
//! let cfg = Cluster::new(4, 5, 3).kills(2, 30.0).stragglers(1, 4.0);
//! assert_eq!(word_count_on("the cat, the hat; THE end", &cfg, 9)?, counts);
//! # Ok(()) }
//! ```
//!
//! ## Reading
//! * J. Dean and S. Ghemawat, "MapReduce: Simplified Data Processing on Large Clusters",
//!   OSDI 2004 (§3 implementation, §3.3 fault tolerance, §3.6 backup tasks, §5.3 sort).
//! * MIT 6.5840 (Distributed Systems), Lab 1: MapReduce.

#![warn(missing_docs)]

mod node;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

use crate::dist::Dist;
use crate::error::{validate, Error, Result};
pub use crate::sim::Bugs;
use crate::sim::{Experiment, FaultSchedule, Network};

pub use node::{Master, MrNode, Msg, Timer, Worker};
use node::{Split, Work};

/// A key-value pair as map emits it and reduce outputs it.
pub type Kv = (String, String);
/// `map(document name, contents)` → the pairs it emits.
pub type MapFn = fn(&str, &str) -> Vec<Kv>;
/// `reduce(key, values)` → the output value for that key.
pub type ReduceFn = fn(&str, &[String]) -> String;

/// Planted bugs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bug {
    /// The master does not re-execute the completed map tasks of a failed worker: their output
    /// died with its disk, and reduce tasks wait for it forever (lost output).
    KeepDeadWorkersMapOutput,
    /// Reduce output is appended, not committed by an atomic rename: a backup or re-executed
    /// reduce task adds its output a second time (duplicated counts).
    NonAtomicCommit,
}

/// FNV-1a, 32 bit: the partitioning hash (MIT 6.5840's `ihash`, without its sign mask).
pub fn fnv1a(key: &str) -> u64 {
    let mut h: u32 = 0x811c_9dc5;
    for b in key.bytes() {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h as u64
}

/// The intermediate partition (reduce task) of a key: hash(key) mod R.
pub fn partition_of(key: &str, reduce_tasks: usize) -> usize {
    (fnv1a(key) % reduce_tasks.max(1) as u64) as usize
}

/// Task timing and failure detection (virtual ms).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Timing {
    /// Fixed cost of every task (start-up), ms.
    pub overhead_ms: f64,
    /// Map processing time per MB of input, ms.
    pub map_ms_per_mb: f64,
    /// Reduce processing time per MB of its partition (sizes mode: shuffle + sort + write), ms.
    pub reduce_ms_per_mb: f64,
    /// Relative jitter j: each task's time is multiplied by U(1 − j, 1 + j); 0 ≤ j < 1.
    pub jitter: f64,
    /// The master pings every worker this often, ms.
    pub ping_ms: f64,
    /// A worker that has not answered for this many ping intervals is failed.
    pub missed_pings: u32,
    /// One-way network delay, ms (constant).
    pub net_ms: f64,
}

impl Default for Timing {
    /// Data-mode defaults: 20 ms per task + 1 000 ms per MB for both phases, ±10 % jitter,
    /// pings every 50 ms, failed after 3 missed, 1 ms network delay.
    fn default() -> Self {
        Timing {
            overhead_ms: 20.0,
            map_ms_per_mb: 1_000.0,
            reduce_ms_per_mb: 1_000.0,
            jitter: 0.1,
            ping_ms: 50.0,
            missed_pings: 3,
            net_ms: 1.0,
        }
    }
}

/// A cluster and how it misbehaves: public fields, setters that never fail, checked by
/// [`Cluster::validate`] when a job runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Cluster {
    /// Worker machines (the master is one more node, node 0).
    pub workers: usize,
    /// M, the number of map tasks (input splits).
    pub map_tasks: usize,
    /// R, the number of reduce tasks (intermediate partitions, output files).
    pub reduce_tasks: usize,
    /// How many workers are slow (stragglers), spread evenly over the worker ids.
    pub stragglers: usize,
    /// How many times slower a straggler processes (≥ 1).
    pub slowdown: f64,
    /// Backup tasks on or off.
    pub backups: bool,
    /// Backups start when at most this fraction of a phase's tasks is unfinished (0..=1).
    pub backup_fraction: f64,
    /// Workers crashed (chosen from the run's faults stream), all at `kill_at_ms`.
    pub kills: usize,
    /// When the kills happen, ms.
    pub kill_at_ms: f64,
    /// Killed workers restart (empty disk, new incarnation) this long after: `None` = never.
    pub restart_after_ms: Option<f64>,
    /// Task times and failure detection.
    pub timing: Timing,
    /// Planted bugs (default: none).
    pub bugs: Bugs<Bug>,
    /// Give up at this virtual time, ms.
    pub horizon_ms: f64,
}

impl Cluster {
    /// `workers` workers, M = `map_tasks`, R = `reduce_tasks`; no stragglers (slowdown 3 when
    /// some are set), backups on at 10 % left, no kills, [`Timing::default`], horizon 10 min.
    pub fn new(workers: usize, map_tasks: usize, reduce_tasks: usize) -> Cluster {
        Cluster {
            workers,
            map_tasks,
            reduce_tasks,
            stragglers: 0,
            slowdown: 3.0,
            backups: true,
            backup_fraction: 0.1,
            kills: 0,
            kill_at_ms: 0.0,
            restart_after_ms: None,
            timing: Timing::default(),
            bugs: Bugs::none(),
            horizon_ms: 600_000.0,
        }
    }

    /// `count` stragglers, each `slowdown` times slower.
    pub fn stragglers(mut self, count: usize, slowdown: f64) -> Cluster {
        self.stragglers = count;
        self.slowdown = slowdown;
        self
    }

    /// Backup tasks on or off.
    pub fn backups(mut self, on: bool) -> Cluster {
        self.backups = on;
        self
    }

    /// Backups start when at most this fraction of a phase is unfinished.
    pub fn backup_fraction(mut self, fraction: f64) -> Cluster {
        self.backup_fraction = fraction;
        self
    }

    /// Crash `count` workers at `at_ms` (they stay down; see [`Cluster::restart_after`]).
    pub fn kills(mut self, count: usize, at_ms: f64) -> Cluster {
        self.kills = count;
        self.kill_at_ms = at_ms;
        self
    }

    /// Killed workers restart this long after the kill (the paper's cluster scheduler did).
    pub fn restart_after(mut self, ms: f64) -> Cluster {
        self.restart_after_ms = Some(ms);
        self
    }

    /// The timing model.
    pub fn timing(mut self, timing: Timing) -> Cluster {
        self.timing = timing;
        self
    }

    /// Plant bugs.
    pub fn bugs(mut self, bugs: Bugs<Bug>) -> Cluster {
        self.bugs = bugs;
        self
    }

    /// The horizon, ms.
    pub fn horizon_ms(mut self, ms: f64) -> Cluster {
        self.horizon_ms = ms;
        self
    }

    /// Check every field; the error says what is allowed.
    pub fn validate(&self) -> Result<()> {
        validate::at_least("workers", self.workers, 1)?;
        validate::at_least("map_tasks (M)", self.map_tasks, 1)?;
        validate::at_least("reduce_tasks (R)", self.reduce_tasks, 1)?;
        if self.stragglers > self.workers {
            return Err(Error::out_of_range(
                "stragglers",
                self.stragglers,
                format!("at most the number of workers, {}", self.workers),
            ));
        }
        if !(self.slowdown >= 1.0 && self.slowdown.is_finite()) {
            return Err(Error::out_of_range(
                "slowdown",
                self.slowdown,
                "a finite factor ≥ 1 (1 = a normal worker; a straggler is slower, not faster)",
            ));
        }
        validate::probability("backup_fraction", self.backup_fraction)?;
        if self.kills > self.workers {
            return Err(Error::out_of_range(
                "kills",
                self.kills,
                format!("at most the number of workers, {}", self.workers),
            ));
        }
        validate::non_negative("kill_at_ms", self.kill_at_ms)?;
        validate::finite("kill_at_ms", self.kill_at_ms)?;
        if let Some(r) = self.restart_after_ms {
            validate::positive("restart_after_ms", r)?;
            validate::finite("restart_after_ms", r)?;
        }
        let t = &self.timing;
        validate::non_negative("timing.overhead_ms", t.overhead_ms)?;
        validate::non_negative("timing.map_ms_per_mb", t.map_ms_per_mb)?;
        validate::non_negative("timing.reduce_ms_per_mb", t.reduce_ms_per_mb)?;
        if !(0.0..1.0).contains(&t.jitter) {
            return Err(Error::out_of_range("timing.jitter", t.jitter, "0 ≤ jitter < 1"));
        }
        validate::positive("timing.ping_ms", t.ping_ms)?;
        validate::at_least("timing.missed_pings", t.missed_pings as usize, 1)?;
        validate::non_negative("timing.net_ms", t.net_ms)?;
        validate::positive("horizon_ms", self.horizon_ms)?;
        validate::finite("horizon_ms", self.horizon_ms)?;
        Ok(())
    }

    fn slow_workers(&self) -> Vec<bool> {
        let mut slow = vec![false; self.workers];
        for i in 0..self.stragglers {
            slow[(2 * i + 1) * self.workers / (2 * self.stragglers)] = true;
        }
        slow
    }

    fn experiment(&self, work: Work) -> Result<Experiment<MrNode>> {
        self.validate()?;
        let nodes = node::nodes(node::Setup {
            workers: self.workers,
            map_tasks: self.map_tasks,
            reduce_tasks: self.reduce_tasks,
            timing: self.timing,
            work,
            slow: self.slow_workers(),
            slowdown: self.slowdown,
            backups: self.backups,
            backup_fraction: self.backup_fraction,
            bugs: self.bugs.clone(),
        });
        let (kills, at, restart) = (self.kills, self.kill_at_ms, self.restart_after_ms);
        Ok(Experiment::new(nodes)
            .network(Network::new(Dist::Constant { value: self.timing.net_ms }))
            .horizon_ms(self.horizon_ms)
            .faults_from(move |rng, n| {
                let mut ids: Vec<usize> = (1..n).collect();
                rng.shuffle(&mut ids);
                let mut f = FaultSchedule::new();
                for &w in ids.iter().take(kills) {
                    f = f.crash(w, at);
                    if let Some(r) = restart {
                        f = f.restart(w, at + r);
                    }
                }
                Ok(f)
            })
            .stop_when(|sim| sim.nodes()[0].master().is_some_and(|m| m.done_ms.is_some()))
            .property("the job finishes", |sim| match sim.nodes()[0].master() {
                Some(m) if m.done_ms.is_none() => Err(format!(
                    "{} of the reduce tasks never finished (reduce tasks waiting for map output \
                     that died with a worker's disk?)",
                    m.outputs.iter().filter(|o| o.is_empty()).count()
                )),
                _ => Ok(()),
            }))
    }

    fn run_work(&self, work: Work, seed: u64) -> Result<JobRun> {
        let report = self.experiment(work)?.run(seed)?;
        let sim = report.sim();
        let m = sim.nodes()[0].master().ok_or_else(|| Error::invalid("node 0", "is the master"))?;
        let mut output: Vec<Kv> =
            m.outputs.iter().flat_map(|o| o.iter().flat_map(|p| p.iter().cloned())).collect();
        output.sort_by(|a, b| a.0.cmp(&b.0));
        let count = |f: &dyn Fn(&TaskEvent) -> bool| m.events.iter().filter(|e| f(e)).count();
        Ok(JobRun {
            finished: m.done_ms.is_some(),
            job_ms: m.done_ms.unwrap_or(sim.now_ms()),
            violation: report.violation().map(|v| v.to_string()),
            output,
            workers: self.workers,
            map_tasks: self.map_tasks,
            reduce_tasks: self.reduce_tasks,
            map_attempts: count(&|e| e.kind == TaskKind::Map),
            reduce_attempts: count(&|e| e.kind == TaskKind::Reduce),
            backups: count(&|e| e.backup),
            reexecuted_maps: m.reexecuted_maps,
            workers_failed: m.workers_declared_dead,
            slow_workers: self
                .slow_workers()
                .iter()
                .enumerate()
                .filter(|(_, s)| **s)
                .map(|(i, _)| i)
                .collect(),
            events: sim.stats().events,
            tasks: m.events.clone(),
        })
    }
}

/// Map or reduce.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TaskKind {
    /// A map task.
    Map,
    /// A reduce task.
    Reduce,
}

/// How a task attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TaskOutcome {
    /// Still running when the job ended (a backup's twin finished first, or the horizon).
    Running,
    /// Finished first: its output counts.
    Completed,
    /// Finished after another attempt of the same task: ignored.
    Duplicate,
    /// Its worker failed while it ran.
    Lost,
}

/// One task attempt, for the timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct TaskEvent {
    /// Worker index (0-based; node id − 1).
    pub worker: usize,
    /// Map or reduce.
    pub kind: TaskKind,
    /// Task index.
    pub task: usize,
    /// A backup copy (§3.6).
    pub backup: bool,
    /// Assigned at, ms.
    pub start_ms: f64,
    /// Reported (or written off) at, ms.
    pub end_ms: Option<f64>,
    /// How it ended.
    pub outcome: TaskOutcome,
}

/// What a job run did.
#[derive(Clone, Debug, PartialEq)]
pub struct JobRun {
    /// Every reduce task committed before the horizon.
    pub finished: bool,
    /// Completion time (the horizon if unfinished), ms.
    pub job_ms: f64,
    /// The harness's violation, if the job did not finish.
    pub violation: Option<String>,
    /// The committed output, sorted by key (data mode; empty in sizes mode).
    pub output: Vec<Kv>,
    /// Workers.
    pub workers: usize,
    /// M.
    pub map_tasks: usize,
    /// R.
    pub reduce_tasks: usize,
    /// Map attempts started (≥ M: re-executions and backups).
    pub map_attempts: usize,
    /// Reduce attempts started.
    pub reduce_attempts: usize,
    /// Backup attempts among them.
    pub backups: usize,
    /// Completed map tasks re-executed because their worker failed.
    pub reexecuted_maps: usize,
    /// Worker failures the master detected.
    pub workers_failed: usize,
    /// Which workers were stragglers (0-based).
    pub slow_workers: Vec<usize>,
    /// Simulator events.
    pub events: u64,
    /// Every task attempt, in assignment order.
    pub tasks: Vec<TaskEvent>,
}

impl JobRun {
    /// Job time in seconds.
    pub fn job_s(&self) -> f64 {
        self.job_ms / 1e3
    }

    /// Extra attempts over M + R, as a fraction (the resources backups and failures cost).
    pub fn extra_work(&self) -> f64 {
        let base = (self.map_tasks + self.reduce_tasks) as f64;
        (self.map_attempts + self.reduce_attempts) as f64 / base - 1.0
    }
}

impl fmt::Display for JobRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // word counts run in milliseconds of virtual time, the paper's sort in hundreds of seconds
        let at = if self.job_ms < 10_000.0 {
            format!("{:.1} ms", self.job_ms)
        } else {
            format!("{:.0} s", self.job_s())
        };
        let plural =
            |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        write!(
            f,
            "{} workers, M = {}, R = {}: {} at {at}; {} map and {} reduce attempts ({}, {} \
             re-executed, {} detected)",
            self.workers,
            self.map_tasks,
            self.reduce_tasks,
            if self.finished { "finished" } else { "NOT finished" },
            self.map_attempts,
            self.reduce_attempts,
            plural(self.backups, "backup", "backups"),
            plural(self.reexecuted_maps, "map", "maps"),
            plural(self.workers_failed, "worker failure", "worker failures"),
        )
    }
}

/// A MapReduce job: the user's `map` and `reduce` (and optionally a combiner, §4.3: a reduce
/// applied to each map task's output before the shuffle; only valid when reduce can be
/// applied to partial results, like a sum).
#[derive(Clone, Copy, Debug)]
pub struct Job {
    /// The map function.
    pub map: MapFn,
    /// The reduce function.
    pub reduce: ReduceFn,
    /// The combiner, if any.
    pub combiner: Option<ReduceFn>,
}

impl Job {
    /// A job from `map(doc name, contents) → [(key, value)]` and `reduce(key, values) → value`.
    pub fn new(map: MapFn, reduce: ReduceFn) -> Job {
        Job { map, reduce, combiner: None }
    }

    /// With a combiner.
    pub fn with_combiner(mut self, combiner: ReduceFn) -> Job {
        self.combiner = Some(combiner);
        self
    }

    /// Run on the cluster: documents are cut into M map tasks of consecutive documents
    /// (some empty when there are fewer documents than M).
    pub fn run<N: AsRef<str>, C: AsRef<str>>(
        &self,
        docs: &[(N, C)],
        cluster: &Cluster,
        seed: u64,
    ) -> Result<JobRun> {
        cluster.validate()?;
        let m = cluster.map_tasks;
        let n = docs.len();
        let splits: Vec<Split> = (0..m)
            .map(|i| {
                let docs: Vec<(String, String)> = docs[i * n / m..(i + 1) * n / m]
                    .iter()
                    .map(|(a, b)| (a.as_ref().to_string(), b.as_ref().to_string()))
                    .collect();
                let bytes = docs.iter().map(|(_, c)| c.len()).sum::<usize>() as f64;
                Split { docs, bytes }
            })
            .collect();
        self.run_splits(splits, cluster, seed)
    }

    fn run_splits(&self, splits: Vec<Split>, cluster: &Cluster, seed: u64) -> Result<JobRun> {
        let work = Work::Data {
            splits: Rc::new(splits),
            map: self.map,
            reduce: self.reduce,
            combiner: self.combiner,
        };
        cluster.run_work(work, seed)
    }

    /// The same job run sequentially in one process (map everything, group by key, reduce):
    /// the reference a distributed run must equal.
    pub fn sequential<N: AsRef<str>, C: AsRef<str>>(&self, docs: &[(N, C)]) -> Vec<Kv> {
        let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (name, contents) in docs {
            for (k, v) in (self.map)(name.as_ref(), contents.as_ref()) {
                groups.entry(k).or_default().push(v);
            }
        }
        groups.into_iter().map(|(k, vs)| (k.clone(), (self.reduce)(&k, &vs))).collect()
    }
}

/// Run a sizes-only job (no data: every map task reads `map_mb`, every reduce task shuffles,
/// sorts and writes `reduce_mb`) on the cluster.
pub fn run_sizes(cluster: &Cluster, map_mb: f64, reduce_mb: f64, seed: u64) -> Result<JobRun> {
    validate::non_negative("map_mb", map_mb)?;
    validate::non_negative("reduce_mb", reduce_mb)?;
    cluster.run_work(Work::Sizes { map_mb, reduce_mb }, seed)
}

/// Words: maximal runs of alphabetic characters (`char::is_alphabetic`), case kept.
pub fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphabetic()).filter(|w| !w.is_empty())
}

/// Word count's map, with in-mapper combining: one (word, count) pair per distinct word of
/// the document (so the reduce sums counts, and a combiner is not needed).
pub fn word_count_map(_doc: &str, contents: &str) -> Vec<Kv> {
    let mut counts: std::collections::HashMap<&str, u64> = std::collections::HashMap::new();
    for w in words(contents) {
        *counts.entry(w).or_insert(0) += 1;
    }
    counts.into_iter().map(|(w, c)| (w.to_string(), c.to_string())).collect()
}

/// Word count's reduce: the sum of the counts.
pub fn word_count_reduce(_word: &str, counts: &[String]) -> String {
    counts.iter().map(|c| c.parse::<u64>().unwrap_or(0)).sum::<u64>().to_string()
}

/// Cut `text` into `m` pieces at non-alphabetic characters (no word is cut in two).
pub fn split_text(text: &str, m: usize) -> Vec<&str> {
    let m = m.max(1);
    let mut out = Vec::with_capacity(m);
    let mut start = 0;
    for i in 1..=m {
        let mut end = if i == m { text.len() } else { (text.len() * i / m).max(start) };
        while end < text.len() {
            if text.is_char_boundary(end) {
                let c = text[end..].chars().next().expect("in range");
                if !c.is_alphabetic() {
                    break;
                }
            }
            end += 1;
        }
        out.push(&text[start..end]);
        start = end;
    }
    out
}

/// Word count on the default cluster (8 workers, no failures) with M = `mappers` map tasks
/// and R = `reducers` reduce tasks: (word, count) sorted by word (String order). Words are
/// maximal runs of alphabetic characters, case kept. The answer does not depend on the seed,
/// M, R or failures ([`word_count_on`]).
pub fn word_count(
    text: &str,
    mappers: usize,
    reducers: usize,
    seed: u64,
) -> Result<Vec<(String, u64)>> {
    word_count_on(text, &Cluster::new(8, mappers, reducers), seed)
}

/// Word count on any cluster (stragglers, kills, backups as configured).
pub fn word_count_on(text: &str, cluster: &Cluster, seed: u64) -> Result<Vec<(String, u64)>> {
    let run = word_count_run(text, cluster, seed)?;
    if !run.finished {
        return Err(Error::invalid(
            "word count",
            format!(
                "the job did not finish within {} ms: {}",
                cluster.horizon_ms,
                run.violation.unwrap_or_default()
            ),
        ));
    }
    Ok(run
        .output
        .into_iter()
        .map(|(w, c)| {
            let n = c.parse::<u64>().unwrap_or(0);
            (w, n)
        })
        .collect())
}

/// The whole run of a word count (times, attempts, timeline).
pub fn word_count_run(text: &str, cluster: &Cluster, seed: u64) -> Result<JobRun> {
    cluster.validate()?;
    let splits = split_text(text, cluster.map_tasks)
        .into_iter()
        .enumerate()
        .map(|(i, s)| Split {
            docs: vec![(format!("part-{i:05}"), s.to_string())],
            bytes: s.len() as f64,
        })
        .collect();
    Job::new(word_count_map, word_count_reduce).run_splits(splits, cluster, seed)
}

/// A plain sequential word count (a BTreeMap), the reference for the tests.
pub fn word_count_sequential(text: &str) -> Vec<(String, u64)> {
    let mut m: BTreeMap<&str, u64> = BTreeMap::new();
    for w in words(text) {
        *m.entry(w).or_insert(0) += 1;
    }
    m.into_iter().map(|(w, c)| (w.to_string(), c)).collect()
}

/// Deterministic text: `words` words drawn (Zipf-like, rank r with weight 1/r) from a fixed
/// list, with punctuation and line breaks; for benches and examples.
pub fn generated_text(words: usize, seed: u64) -> String {
    const LIST: &[&str] = &[
        "the",
        "of",
        "and",
        "to",
        "in",
        "a",
        "is",
        "that",
        "for",
        "it",
        "as",
        "was",
        "with",
        "be",
        "by",
        "on",
        "not",
        "he",
        "this",
        "are",
        "or",
        "his",
        "from",
        "at",
        "which",
        "but",
        "have",
        "an",
        "had",
        "they",
        "you",
        "were",
        "their",
        "one",
        "all",
        "we",
        "can",
        "her",
        "has",
        "there",
        "been",
        "if",
        "more",
        "when",
        "will",
        "would",
        "who",
        "so",
        "no",
        "master",
        "worker",
        "map",
        "reduce",
        "task",
        "straggler",
        "backup",
        "failure",
        "disk",
        "network",
        "partition",
        "shuffle",
        "sort",
        "output",
        "input",
        "split",
        "key",
        "value",
        "Straße",
        "naïve",
        "café",
        "Ωmega",
        "Dean",
        "Ghemawat",
        "Google",
        "cluster",
        "machine",
        "record",
    ];
    let weights: Vec<f64> = (1..=LIST.len()).map(|r| 1.0 / r as f64).collect();
    let total: f64 = weights.iter().sum();
    let mut cdf = Vec::with_capacity(LIST.len());
    let mut acc = 0.0;
    for w in &weights {
        acc += w / total;
        cdf.push(acc);
    }
    let mut rng = crate::sim::Stream::Trial(seed).rng(seed);
    let mut s = String::with_capacity(words * 6);
    for i in 0..words {
        let u = rng.uniform();
        let k = cdf.partition_point(|&c| c < u).min(LIST.len() - 1);
        s.push_str(LIST[k]);
        s.push_str(match i % 17 {
            16 => ".\n",
            7 => ", ",
            11 => "'s ",
            _ => " ",
        });
    }
    s
}

/// The published numbers of the sort (Dean & Ghemawat 2004, §5.3, Figure 3), seconds.
pub mod paper {
    /// Normal execution (backup tasks on, no kills).
    pub const NORMAL_S: f64 = 891.0;
    /// Backup tasks disabled.
    pub const NO_BACKUP_S: f64 = 1283.0;
    /// 200 of 1 746 workers killed several minutes in (and restarted).
    pub const KILLED_S: f64 = 933.0;
    /// Workers.
    pub const WORKERS: usize = 1746;
    /// Map tasks.
    pub const M: usize = 15_000;
    /// Reduce tasks.
    pub const R: usize = 4_000;
    /// Workers killed in Figure 3(c).
    pub const KILLED: usize = 200;
    /// Input size, MB (1 TB = 10¹⁰ 100-byte records).
    pub const INPUT_MB: f64 = 1e6;
}

/// The three runs of the paper's Figure 3.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum SortScenario {
    /// (a) normal execution: stragglers present, backups on.
    Normal,
    /// (b) no backup tasks.
    NoBackups,
    /// (c) `n` workers killed at 150 s, restarted 10 s later (the paper killed 200).
    Killed(usize),
}

/// Straggler slowdown of the paper-scale model. The paper gives no number for this run: it is
/// **fitted** to Figure 3(b), where the last 5 reduce tasks finished about 300 s after the
/// others and the job took 1 283 s. In our model a reduce task takes about 250 s and a slow
/// worker starts its one reduce task when the map phase ends (about 100 s in), so the
/// no-backup job ends near 100 + s · 250 s, and s = 4.5 puts it near the paper's time. The
/// no-backup ratio is therefore an input of this model, not a prediction.
pub const SORT_SLOWDOWN: f64 = 4.5;
/// Stragglers in the paper-scale model: Figure 3(b)'s "all except 5 of the reduce tasks".
pub const SORT_STRAGGLERS: usize = 5;

/// The cluster of the paper's sort (§5.3): 1 746 workers, M = 15 000, R = 4 000.
///
/// Parameters and where they come from:
/// * map: 134 ms per MB (7.45 MB/s per worker = the paper's 13 GB/s peak input rate over
///   1 746 workers); a map task reads 10⁶ MB / 15 000 = 66.7 MB, so about 8.9 s;
/// * reduce: 1 000 ms per MB of its 250 MB partition (shuffle, sort, two-replica write):
///   **calibrated** so the normal run lasts about 891 s (three waves of reduce tasks);
/// * jitter ±10 %, 1 s per-task overhead (our choices);
/// * [`SORT_STRAGGLERS`] workers [`SORT_SLOWDOWN`]× slower (derived from Figure 3(b));
/// * backups when 20 % of a phase is left ("close to completion"; our choice);
/// * pings every 10 s, failed after 3 missed; the killed workers restart 10 s later, as the
///   paper's cluster scheduler restarted them "immediately".
pub fn sort_cluster(scenario: SortScenario) -> Cluster {
    let timing = Timing {
        overhead_ms: 1_000.0,
        map_ms_per_mb: 134.0,
        reduce_ms_per_mb: 1_000.0,
        jitter: 0.1,
        ping_ms: 10_000.0,
        missed_pings: 3,
        net_ms: 1.0,
    };
    let c = Cluster::new(paper::WORKERS, paper::M, paper::R)
        .timing(timing)
        .stragglers(SORT_STRAGGLERS, SORT_SLOWDOWN)
        .backup_fraction(0.2)
        .horizon_ms(5_000_000.0);
    match scenario {
        SortScenario::Normal => c,
        SortScenario::NoBackups => c.backups(false),
        SortScenario::Killed(n) => c.kills(n, 150_000.0).restart_after(10_000.0),
    }
}

/// Run the paper-scale sort model (sizes only).
pub fn paper_sort(scenario: SortScenario, seed: u64) -> Result<JobRun> {
    run_sizes(
        &sort_cluster(scenario),
        paper::INPUT_MB / paper::M as f64,
        paper::INPUT_MB / paper::R as f64,
        seed,
    )
}

/// Ours against the paper: the three scenarios of Figure 3.
#[derive(Clone, Debug, PartialEq)]
pub struct PaperComparison {
    /// (scenario, the paper's seconds, our seconds, our extra attempts as a fraction).
    pub rows: Vec<(String, f64, f64, f64)>,
}

impl PaperComparison {
    /// Run the three scenarios with this seed.
    pub fn run(seed: u64) -> Result<PaperComparison> {
        let mut rows = Vec::new();
        for (name, sc, paper_s) in [
            ("normal (backups on)", SortScenario::Normal, paper::NORMAL_S),
            ("no backup tasks", SortScenario::NoBackups, paper::NO_BACKUP_S),
            ("200 workers killed", SortScenario::Killed(paper::KILLED), paper::KILLED_S),
        ] {
            let r = paper_sort(sc, seed)?;
            rows.push((name.to_string(), paper_s, r.job_s(), r.extra_work()));
        }
        Ok(PaperComparison { rows })
    }

    /// Our time of row i over our normal time.
    pub fn ratio(&self, i: usize) -> f64 {
        self.rows[i].2 / self.rows[0].2
    }

    /// The paper's time of row i over its normal time.
    pub fn paper_ratio(&self, i: usize) -> f64 {
        self.rows[i].1 / self.rows[0].1
    }
}

/// Job time vs number of workers killed (at 150 s, restarted 10 s later) on the paper-scale
/// model: (kills, seconds).
pub fn sort_time_vs_kills(kills: &[usize], seed: u64) -> Result<Vec<(usize, f64)>> {
    kills.iter().map(|&k| Ok((k, paper_sort(SortScenario::Killed(k), seed)?.job_s()))).collect()
}

/// The inverted index the exercise asks for, computed directly (no MapReduce): word → the
/// sorted, distinct names of the documents that contain it.
pub fn inverted_index_reference<N: AsRef<str>, C: AsRef<str>>(
    docs: &[(N, C)],
) -> BTreeMap<String, Vec<String>> {
    let mut idx: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, contents) in docs {
        for w in words(contents.as_ref()) {
            let v = idx.entry(w.to_string()).or_default();
            if !v.iter().any(|d| d == name.as_ref()) {
                v.push(name.as_ref().to_string());
            }
        }
    }
    for v in idx.values_mut() {
        v.sort();
    }
    idx
}

/// Compare a job's output (word, "doc1,doc2,…") with the reference index; `Err` says in words
/// what is wrong (a missing word, an extra word, a wrong or duplicated document list, a word
/// output twice).
pub fn check_index(
    output: &[Kv],
    reference: &BTreeMap<String, Vec<String>>,
) -> std::result::Result<(), String> {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (w, _) in output {
        *seen.entry(w.as_str()).or_insert(0) += 1;
    }
    if let Some((w, n)) = seen.iter().find(|(_, n)| **n > 1) {
        return Err(format!("the word {w:?} is in the output {n} times: one line per key"));
    }
    for (w, docs) in output {
        let got: Vec<&str> = if docs.is_empty() { Vec::new() } else { docs.split(',').collect() };
        match reference.get(w) {
            None => {
                return Err(format!("{w:?} is in your index but is not a word of any document"))
            }
            Some(want) => {
                let mut dedup = got.clone();
                dedup.sort();
                dedup.dedup();
                if dedup.len() < got.len() {
                    return Err(format!(
                        "{w:?} → {docs:?}: a document is listed more than once (a word can occur \
                         twice in a document, and a task can run twice)"
                    ));
                }
                if got != *want {
                    let mut sorted = got.clone();
                    sorted.sort();
                    let hint =
                        if sorted == *want { " (the right documents, not sorted)" } else { "" };
                    return Err(format!("{w:?} → {docs:?}, expected {:?}{hint}", want.join(",")));
                }
            }
        }
    }
    if let Some(w) = reference.keys().find(|w| !seen.contains_key(w.as_str())) {
        return Err(format!(
            "the word {w:?} is missing ({} of {} words present)",
            seen.len(),
            reference.len()
        ));
    }
    Ok(())
}

/// A small corpus for the inverted-index exercise: (document name, contents).
pub fn sample_corpus() -> Vec<(String, String)> {
    let texts = [
        ("dean04.txt", "MapReduce is a programming model and an associated implementation for processing and generating large data sets. Users specify a map function that processes a key/value pair."),
        ("gfs03.txt", "We have designed and implemented the Google File System, a scalable distributed file system for large distributed data-intensive applications."),
        ("bigtable06.txt", "Bigtable is a distributed storage system for managing structured data that is designed to scale to a very large size: petabytes of data across thousands of commodity servers."),
        ("chubby06.txt", "We describe our experiences with the Chubby lock service, which is intended to provide coarse-grained locking as well as reliable storage for a loosely-coupled distributed system."),
        ("dynamo07.txt", "Reliability at massive scale is one of the biggest challenges we face at Amazon.com; Dynamo is a highly available key-value storage system."),
        ("spanner12.txt", "Spanner is Google's scalable, multi-version, globally-distributed, and synchronously-replicated database. Données, naïve café: non-ASCII letters are letters too."),
        ("raft14.txt", "Raft is a consensus algorithm for managing a replicated log. Raft is designed to be understandable; Raft separates leader election, log replication and safety."),
    ];
    texts.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect()
}

//! The anomalies, one schedule each, modelled on the Hermitage test suite (Kleppmann 2014,
//! <https://github.com/ept/hermitage>, CC BY 4.0; our own schedules in this crate's grammar,
//! not Hermitage's SQL), with the phenomenon ids of Adya (1999) and Berenson et al. (1995).

use super::engine::{run, Isolation, Outcome};
use super::schedule::Schedule;
use crate::error::{Error, Result};

/// One anomaly: its id, a one-line definition, a schedule that exhibits it when nothing
/// prevents it, and the judge of whether it happened in a run.
#[derive(Clone, Copy, Debug)]
pub struct Anomaly {
    /// The phenomenon id (Adya's G0 … G2, Berenson's P4, Bailis et al.'s OTV).
    pub id: &'static str,
    /// Its common name.
    pub name: &'static str,
    /// A one-line definition.
    pub definition: &'static str,
    /// The schedule, in [`Schedule::parse`]'s grammar.
    pub schedule: &'static str,
    /// Did the anomaly happen in this run of the schedule?
    pub occurred: fn(&Outcome) -> bool,
}

impl Anomaly {
    /// The parsed schedule.
    ///
    /// # Errors
    /// None for the built-in anomalies (a test parses all of them).
    pub fn parse(&self) -> Result<Schedule> {
        Schedule::parse(self.schedule)
    }

    /// Runs the schedule under `level` and judges it: `true` if the anomaly happened.
    ///
    /// # Errors
    /// As [`run`].
    pub fn occurs_under(&self, level: Isolation) -> Result<bool> {
        Ok((self.occurred)(&run(&self.parse()?, level)?))
    }
}

/// The rows returned by the `n`-th (0-based) step whose text is `text`.
pub fn rows_of(o: &Outcome, text: &str, n: usize) -> Option<Vec<(String, i64)>> {
    let i = o.trace().iter().enumerate().filter(|(_, s)| s.text == text).nth(n)?.0;
    o.read_values(i)
}

fn saw(o: &Outcome, text: &str, n: usize, key: &str, value: i64) -> bool {
    rows_of(o, text, n).is_some_and(|r| r.iter().any(|(k, v)| k == key && *v == value))
}

fn value(state: &[(String, i64)], key: &str) -> Option<i64> {
    state.iter().find(|(k, _)| k == key).map(|(_, v)| *v)
}

fn g0(o: &Outcome) -> bool {
    let s = o.final_state();
    matches!((value(&s, "x"), value(&s, "y")), (Some(12), Some(21)) | (Some(11), Some(22)))
}
fn g1a(o: &Outcome) -> bool {
    saw(o, "T2 read x", 0, "x", 101) || saw(o, "T2 read x", 1, "x", 101)
}
fn g1b(o: &Outcome) -> bool {
    saw(o, "T2 read x", 0, "x", 101)
}
fn g1c(o: &Outcome) -> bool {
    o.committed("T1")
        && o.committed("T2")
        && saw(o, "T1 read y", 0, "y", 22)
        && saw(o, "T2 read x", 0, "x", 11)
}
fn otv(o: &Outcome) -> bool {
    saw(o, "T3 read y", 0, "y", 18) && saw(o, "T3 read x", 0, "x", 11)
}
fn pmp(o: &Outcome) -> bool {
    match (rows_of(o, "T1 scan 3 0", 0), rows_of(o, "T1 scan 3 0", 1)) {
        (Some(a), Some(b)) => a != b,
        _ => false,
    }
}
fn both_committed(o: &Outcome) -> bool {
    o.committed("T1") && o.committed("T2")
}
fn g_single(o: &Outcome) -> bool {
    saw(o, "T1 read x", 0, "x", 10) && saw(o, "T1 read y", 0, "y", 18)
}

/// The ten anomalies of the notebook, in the order of Hermitage's table.
pub const ALL: [Anomaly; 10] = [
    Anomaly {
        id: "G0",
        name: "dirty write (write cycle)",
        definition: "a cycle of write-write dependencies: two transactions overwrite each other's uncommitted writes, so x ends up from one and y from the other",
        schedule: "init x 10\ninit y 20\nT1 begin\nT2 begin\nT1 write x 11\nT2 write x 12\nT1 write y 21\nT1 commit\nT2 write y 22\nT2 commit",
        occurred: g0,
    },
    Anomaly {
        id: "G1a",
        name: "aborted read (dirty read)",
        definition: "a transaction reads a value written by a transaction that later aborts",
        schedule: "init x 10\ninit y 20\nT1 begin\nT2 begin\nT1 write x 101\nT2 read x\nT1 abort\nT2 read x\nT2 commit",
        occurred: g1a,
    },
    Anomaly {
        id: "G1b",
        name: "intermediate read (dirty read)",
        definition: "a transaction reads a value that its writer later overwrites before committing",
        schedule: "init x 10\ninit y 20\nT1 begin\nT2 begin\nT1 write x 101\nT2 read x\nT1 write x 11\nT1 commit\nT2 read x\nT2 commit",
        occurred: g1b,
    },
    Anomaly {
        id: "G1c",
        name: "circular information flow",
        definition: "a cycle of write-write and write-read dependencies: each of two committed transactions read the other's write",
        schedule: "init x 10\ninit y 20\nT1 begin\nT2 begin\nT1 write x 11\nT2 write y 22\nT1 read y\nT2 read x\nT1 commit\nT2 commit",
        occurred: g1c,
    },
    Anomaly {
        id: "OTV",
        name: "observed transaction vanishes",
        definition: "a reader sees one write of a transaction and then misses another of its writes (a fractured read: atomic visibility broken)",
        schedule: "init x 10\ninit y 20\nT1 begin\nT2 begin\nT3 begin\nT1 write x 11\nT1 write y 19\nT1 commit\nT2 write y 18\nT3 read y\nT3 read x\nT2 write x 12\nT2 commit\nT3 commit",
        occurred: otv,
    },
    Anomaly {
        id: "PMP",
        name: "predicate-many-preceders (phantom)",
        definition: "a transaction's two reads of the same predicate see different sets of rows, because another transaction inserted a matching row in between",
        schedule: "init x 10\ninit y 20\nT1 begin\nT2 begin\nT1 scan 3 0\nT2 insert z 30\nT2 commit\nT1 scan 3 0\nT1 commit",
        occurred: pmp,
    },
    Anomaly {
        id: "P4",
        name: "lost update",
        definition: "two transactions read x, both write x from what they read, and both commit: one increment is lost",
        schedule: "init x 10\ninit y 20\nT1 begin\nT2 begin\nT1 read x\nT2 read x\nT1 write x 11\nT2 write x 11\nT1 commit\nT2 commit",
        occurred: both_committed,
    },
    Anomaly {
        id: "G-single",
        name: "read skew",
        definition: "a cycle with exactly one anti-dependency: a reader sees x before and y after another transaction updated both",
        schedule: "init x 10\ninit y 20\nT1 begin\nT2 begin\nT1 read x\nT2 read x\nT2 read y\nT2 write x 12\nT2 write y 18\nT2 commit\nT1 read y\nT1 commit",
        occurred: g_single,
    },
    Anomaly {
        id: "G2-item",
        name: "write skew",
        definition: "a cycle of two item anti-dependencies: both read x and y, each writes a different one, both commit",
        schedule: "init x 10\ninit y 20\nT1 begin\nT2 begin\nT1 read x\nT1 read y\nT2 read x\nT2 read y\nT1 write x 11\nT2 write y 21\nT1 commit\nT2 commit",
        occurred: both_committed,
    },
    Anomaly {
        id: "G2",
        name: "anti-dependency cycle (write skew on a predicate)",
        definition: "a cycle of predicate anti-dependencies: both scan for multiples of 3, find none, each inserts one, both commit",
        schedule: "init x 10\ninit y 20\nT1 begin\nT2 begin\nT1 scan 3 0\nT2 scan 3 0\nT1 insert z 30\nT2 insert w 42\nT1 commit\nT2 commit",
        occurred: both_committed,
    },
];

/// The anomaly with this id (`"G2-item"`), from [`ALL`].
///
/// # Errors
/// [`Error::Invalid`] naming the ids there are.
pub fn by_id(id: &str) -> Result<&'static Anomaly> {
    ALL.iter().find(|a| a.id == id).ok_or_else(|| {
        Error::invalid(
            format!("anomaly id `{id}`"),
            format!("use one of {}", HERMITAGE_ANOMALIES.join(", ")),
        )
    })
}

/// One row of the computed table: for each level of [`Isolation::ALL`], did the anomaly
/// happen?
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnomalyRow {
    /// The anomaly's id.
    pub id: &'static str,
    /// `occurred[i]` for `Isolation::ALL[i]`.
    pub occurred: Vec<bool>,
}

/// Runs every anomaly's schedule under every level.
///
/// # Errors
/// As [`run`].
pub fn anomaly_table() -> Result<Vec<AnomalyRow>> {
    ALL.iter()
        .map(|a| {
            let occurred =
                Isolation::ALL.iter().map(|&l| a.occurs_under(l)).collect::<Result<Vec<bool>>>()?;
            Ok(AnomalyRow { id: a.id, occurred })
        })
        .collect()
}

/// The columns of Hermitage's summary table, in order.
pub const HERMITAGE_ANOMALIES: [&str; 10] =
    ["G0", "G1a", "G1b", "G1c", "OTV", "PMP", "P4", "G-single", "G2-item", "G2"];

/// One row of Hermitage's published summary table (`data/hermitage.csv`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HermitageRow {
    /// The database system.
    pub dbms: String,
    /// The isolation level as the vendor names it.
    pub level: String,
    /// What Hermitage calls it.
    pub actual: String,
    /// Per anomaly (in [`HERMITAGE_ANOMALIES`] order): `prevented`, `possible`, `R/O` or
    /// `some`.
    pub cells: Vec<String>,
}

const HERMITAGE_CSV: &str = include_str!("../../../data/hermitage.csv");

/// Hermitage's summary table (Kleppmann, <https://github.com/ept/hermitage>, README at commit
/// 000346f, CC BY 4.0), for the systems and levels in `data/hermitage.csv`.
///
/// # Errors
/// [`Error::Parse`] if the bundled CSV is malformed (a test reads it).
pub fn hermitage() -> Result<Vec<HermitageRow>> {
    let mut out = Vec::new();
    let mut header_seen = false;
    for (i, line) in HERMITAGE_CSV.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split(',').map(str::trim).collect();
        if !header_seen {
            header_seen = true;
            continue;
        }
        if cols.len() != 3 + HERMITAGE_ANOMALIES.len() {
            return Err(Error::Parse {
                source_name: "data/hermitage.csv".into(),
                line: i + 1,
                message: format!(
                    "expected {} columns, found {}",
                    3 + HERMITAGE_ANOMALIES.len(),
                    cols.len()
                ),
            });
        }
        out.push(HermitageRow {
            dbms: cols[0].into(),
            level: cols[1].into(),
            actual: cols[2].into(),
            cells: cols[3..].iter().map(|s| s.to_string()).collect(),
        });
    }
    Ok(out)
}

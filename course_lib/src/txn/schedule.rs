//! Schedules: interleaved transaction steps as text, one step per line.

use std::collections::BTreeMap;
use std::fmt;

use crate::error::{Error, Result};

/// A predicate read `scan M R`: every row whose value `% M == R` (Euclidean remainder, so
/// negative values match `R` in `0..M`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Predicate {
    /// The modulus M (at least 1; `scan 1 0` reads every row).
    pub m: i64,
    /// The remainder R.
    pub r: i64,
}

impl Predicate {
    /// Does a row with this value match? `None` (no row) never matches.
    pub fn matches(&self, value: Option<i64>) -> bool {
        value.is_some_and(|v| v.rem_euclid(self.m) == self.r)
    }

    /// Does a write that changed a row from `before` to `after` touch this predicate (the
    /// row matched before or matches after)?
    pub fn matches_write(&self, w: &Write) -> bool {
        self.matches(w.before) || self.matches(w.after)
    }
}

impl fmt::Display for Predicate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "value % {} = {}", self.m, self.r)
    }
}

/// One committed write, as OCC's validation sees it: the key and the row before and after
/// (`None` = no row: an insert has `before = None`, a delete `after = None`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Write {
    /// The key written.
    pub key: String,
    /// The committed value before this transaction's write.
    pub before: Option<i64>,
    /// The value it installed.
    pub after: Option<i64>,
}

/// What a step does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// `T begin`.
    Begin,
    /// `T read x`: the row x, or no row.
    Read(String),
    /// `T write x 11`: set x (creates it if absent).
    Write(String, i64),
    /// `T insert x 30`: create row x (like `write`; the trace says insert).
    Insert(String, i64),
    /// `T delete x`: remove row x.
    Delete(String),
    /// `T scan M R`: a predicate read.
    Scan(Predicate),
    /// `T commit`.
    Commit,
    /// `T abort`.
    Abort,
}

/// One line of a schedule: a transaction and what it does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// The transaction's name (`T1`).
    pub txn: String,
    /// The operation.
    pub op: Op,
    /// 1-based line in the text it was parsed from.
    pub line: usize,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = &self.txn;
        match &self.op {
            Op::Begin => write!(f, "{t} begin"),
            Op::Read(k) => write!(f, "{t} read {k}"),
            Op::Write(k, v) => write!(f, "{t} write {k} {v}"),
            Op::Insert(k, v) => write!(f, "{t} insert {k} {v}"),
            Op::Delete(k) => write!(f, "{t} delete {k}"),
            Op::Scan(p) => write!(f, "{t} scan {} {}", p.m, p.r),
            Op::Commit => write!(f, "{t} commit"),
            Op::Abort => write!(f, "{t} abort"),
        }
    }
}

/// A parsed schedule: the rows that exist before it (`init x 10`) and the steps in order.
///
/// ```
/// use course_lib::txn::Schedule;
/// let s = Schedule::parse("init x 10\nT1 begin\nT1 read x   # sees 10\nT1 commit")?;
/// assert_eq!(s.steps().len(), 3);
/// assert_eq!(s.init(), &[("x".to_string(), 10)]);
/// let err = Schedule::parse("T1 begin\nT2 read x").unwrap_err();
/// assert_eq!(err.to_string(), "schedule, line 2: T2 has not begun (add `T2 begin` before its first step)");
/// # Ok::<(), course_lib::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Schedule {
    init: Vec<(String, i64)>,
    steps: Vec<Step>,
}

fn perr(line: usize, message: impl Into<String>) -> Error {
    Error::Parse { source_name: "schedule".into(), line, message: message.into() }
}

fn parse_i64(line: usize, what: &str, s: &str) -> Result<i64> {
    s.parse::<i64>().map_err(|_| perr(line, format!("{what} `{s}` is not an integer")))
}

fn valid_name(s: &str) -> bool {
    !s.is_empty() && s.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '-')
}

impl Schedule {
    /// Parses one step per line: `T1 begin`, `T1 read x`, `T1 write x 11`, `T1 insert x 30`,
    /// `T1 delete x`, `T1 scan M R`, `T1 commit`, `T1 abort`; `init x 10` creates a row before
    /// the schedule starts; `#` starts a comment; blank lines are ignored.
    ///
    /// # Errors
    /// [`Error::Parse`] with the 1-based line number for an unknown verb, a step of a
    /// transaction that has not begun or has already committed or aborted, a second `begin`,
    /// a scan with M < 1 or R outside `0..M`, a number that is not an integer, a wrong number
    /// of words, or an `init` after the first step or for the same key twice.
    pub fn parse(text: &str) -> Result<Schedule> {
        #[derive(PartialEq)]
        enum St {
            Open,
            Done,
        }
        let mut state: BTreeMap<String, St> = BTreeMap::new();
        let mut s = Schedule::default();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let body = raw.split('#').next().unwrap_or("");
            let w: Vec<&str> = body.split_whitespace().collect();
            if w.is_empty() {
                continue;
            }
            if w[0] == "init" {
                if w.len() != 3 {
                    return Err(perr(line, "`init` takes a key and a value: `init x 10`"));
                }
                if !s.steps.is_empty() {
                    return Err(perr(line, "`init` lines must come before the first step"));
                }
                if !valid_name(w[1]) {
                    return Err(perr(
                        line,
                        format!("`{}` is not a key name (letters, digits, _)", w[1]),
                    ));
                }
                if s.init.iter().any(|(k, _)| k == w[1]) {
                    return Err(perr(line, format!("key {} is initialised twice", w[1])));
                }
                let v = parse_i64(line, "value", w[2])?;
                s.init.push((w[1].to_string(), v));
                continue;
            }
            if w.len() < 2 {
                return Err(perr(
                    line,
                    format!("`{}` needs a verb: `{} begin`, `{} read x`, …", w[0], w[0], w[0]),
                ));
            }
            let txn = w[0];
            if !valid_name(txn) {
                return Err(perr(
                    line,
                    format!("`{txn}` is not a transaction name (letters, digits, _)"),
                ));
            }
            let arity = |n: usize, usage: &str| -> Result<()> {
                if w.len() == n {
                    Ok(())
                } else {
                    Err(perr(
                        line,
                        format!("`{}` takes {} argument(s): `{txn} {usage}`", w[1], n - 2),
                    ))
                }
            };
            let key = |k: &str| -> Result<String> {
                if valid_name(k) {
                    Ok(k.to_string())
                } else {
                    Err(perr(line, format!("`{k}` is not a key name (letters, digits, _)")))
                }
            };
            let op = match w[1] {
                "begin" => {
                    arity(2, "begin")?;
                    Op::Begin
                }
                "read" => {
                    arity(3, "read x")?;
                    Op::Read(key(w[2])?)
                }
                "write" => {
                    arity(4, "write x 11")?;
                    Op::Write(key(w[2])?, parse_i64(line, "value", w[3])?)
                }
                "insert" => {
                    arity(4, "insert x 30")?;
                    Op::Insert(key(w[2])?, parse_i64(line, "value", w[3])?)
                }
                "delete" => {
                    arity(3, "delete x")?;
                    Op::Delete(key(w[2])?)
                }
                "scan" => {
                    arity(4, "scan M R")?;
                    let m = parse_i64(line, "M", w[2])?;
                    let r = parse_i64(line, "R", w[3])?;
                    if m < 1 {
                        return Err(perr(line, format!("scan M = {m}: M must be at least 1 (`scan 1 0` reads every row)")));
                    }
                    if !(0..m).contains(&r) {
                        return Err(perr(line, format!("scan R = {r}: R must be in 0..{m} (a remainder of M = {m})")));
                    }
                    Op::Scan(Predicate { m, r })
                }
                "commit" => {
                    arity(2, "commit")?;
                    Op::Commit
                }
                "abort" => {
                    arity(2, "abort")?;
                    Op::Abort
                }
                other => {
                    return Err(perr(
                        line,
                        format!("unknown verb `{other}`: use begin, read, write, insert, delete, scan, commit or abort"),
                    ))
                }
            };
            match (state.get(txn), &op) {
                (None, Op::Begin) => {
                    state.insert(txn.to_string(), St::Open);
                }
                (None, _) => {
                    return Err(perr(
                        line,
                        format!("{txn} has not begun (add `{txn} begin` before its first step)"),
                    ))
                }
                (Some(St::Open), Op::Begin) => {
                    return Err(perr(line, format!("{txn} has already begun")))
                }
                (Some(St::Done), _) => {
                    return Err(perr(
                        line,
                        format!(
                            "{txn} has already finished (committed or aborted); use a new name"
                        ),
                    ))
                }
                (Some(St::Open), Op::Commit | Op::Abort) => {
                    state.insert(txn.to_string(), St::Done);
                }
                _ => {}
            }
            s.steps.push(Step { txn: txn.to_string(), op, line });
        }
        Ok(s)
    }

    /// Builds a schedule from rows and steps (the random generators use it). The steps are
    /// checked as [`Schedule::parse`] checks them.
    ///
    /// # Errors
    /// As [`Schedule::parse`].
    pub fn from_parts(init: Vec<(String, i64)>, steps: Vec<Step>) -> Result<Schedule> {
        Schedule::parse(&Schedule { init, steps }.to_string())
    }

    /// The rows before the schedule, in the order of their `init` lines.
    pub fn init(&self) -> &[(String, i64)] {
        &self.init
    }

    /// The steps (comments and `init` lines removed); step `i` is index `i` of
    /// [`Outcome`](super::Outcome)'s accessors.
    pub fn steps(&self) -> &[Step] {
        &self.steps
    }

    /// The transactions in order of their `begin`.
    pub fn txns(&self) -> Vec<String> {
        self.steps.iter().filter(|s| s.op == Op::Begin).map(|s| s.txn.clone()).collect()
    }
}

impl fmt::Display for Schedule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (k, v) in &self.init {
            writeln!(f, "init {k} {v}")?;
        }
        for s in &self.steps {
            writeln!(f, "{s}")?;
        }
        Ok(())
    }
}

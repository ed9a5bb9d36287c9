//! Histories of operations in Jepsen's format: parsing, building, pairing invocations with
//! completions.

use std::fmt;

use super::json::{self, Json};
use crate::error::{Error, Result};

/// A value in a register history: `null`, an integer, or the `[old, new]` pair of a
/// compare-and-set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Value {
    /// JSON `null`: a read that returned the initial, never-written register, or no value.
    Nil,
    /// An integer.
    Int(i64),
    /// `[old, new]`, the argument of a compare-and-set.
    Pair(i64, i64),
}

impl From<i64> for Value {
    fn from(v: i64) -> Value {
        Value::Int(v)
    }
}

impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Value {
        v.map_or(Value::Nil, Value::Int)
    }
}

impl From<(i64, i64)> for Value {
    fn from((a, b): (i64, i64)) -> Value {
        Value::Pair(a, b)
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Nil => write!(f, "null"),
            Value::Int(v) => write!(f, "{v}"),
            Value::Pair(a, b) => write!(f, "[{a}, {b}]"),
        }
    }
}

/// The function an operation calls (Jepsen's `"f"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum F {
    /// Read the register; an `ok` completion carries the value read.
    Read,
    /// Write the value.
    Write,
    /// Compare-and-set `[old, new]`: if the register holds `old`, set it to `new`.
    Cas,
}

impl F {
    fn parse(s: &str) -> Option<F> {
        match s {
            "read" => Some(F::Read),
            "write" => Some(F::Write),
            "cas" => Some(F::Cas),
            _ => None,
        }
    }

    /// The name used in the JSON format.
    pub fn name(self) -> &'static str {
        match self {
            F::Read => "read",
            F::Write => "write",
            F::Cas => "cas",
        }
    }
}

/// The type of one event (Jepsen's `"type"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventType {
    /// A process starts an operation.
    Invoke,
    /// The operation took effect (a read's value is what it read).
    Ok,
    /// The operation certainly did not take effect.
    Fail,
    /// Unknown: it may or may not have taken effect, at any time after its invocation.
    /// The process issues nothing more.
    Info,
}

impl EventType {
    fn parse(s: &str) -> Option<EventType> {
        match s {
            "invoke" => Some(EventType::Invoke),
            "ok" => Some(EventType::Ok),
            "fail" => Some(EventType::Fail),
            "info" => Some(EventType::Info),
            _ => None,
        }
    }

    /// The name used in the JSON format.
    pub fn name(self) -> &'static str {
        match self {
            EventType::Invoke => "invoke",
            EventType::Ok => "ok",
            EventType::Fail => "fail",
            EventType::Info => "info",
        }
    }
}

/// One line of a history: a process invoking or completing an operation.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// The client process (a logical thread: one operation at a time).
    pub process: u64,
    /// Invocation or completion.
    pub kind: EventType,
    /// The function called.
    pub f: F,
    /// The value: for a write the value written, for a cas `[old, new]`, for a read `null` on
    /// invocation and the value read on an `ok` completion.
    pub value: Value,
    /// The key, for key-value histories (an extension of the register format: `"key": <int>`).
    pub key: Option<i64>,
    /// Wall-clock or simulated time in nanoseconds (Jepsen's optional `"time"`), if given.
    pub time_ns: Option<i64>,
    /// 1-based line number in the source text (or position, for built histories).
    pub line: usize,
}

/// How an operation ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Took effect, between its invocation and its completion.
    Ok,
    /// Did not take effect.
    Fail,
    /// Unknown (an `info` completion, or no completion at all before the history ends): may
    /// have taken effect at any time after its invocation, or never.
    Info,
}

/// An operation: an invocation paired with its completion.
#[derive(Clone, Debug, PartialEq)]
pub struct Operation {
    /// Position in [`History::operations`].
    pub id: usize,
    /// The process that ran it.
    pub process: u64,
    /// The function.
    pub f: F,
    /// The key (key-value histories only).
    pub key: Option<i64>,
    /// What it wrote (write), `[old, new]` (cas), or what it read (an `ok` read; `Nil` when
    /// the read returned null or its result is unknown).
    pub value: Value,
    /// How it ended.
    pub outcome: Outcome,
    /// Index of the invocation in [`History::events`].
    pub invoke: usize,
    /// Index of the completion in [`History::events`]; `None` if the history ends first.
    pub complete: Option<usize>,
}

impl Operation {
    /// A short description: `p2 write 3`, `p0 read → 1`, `p1 cas 1→2 (info)`.
    pub fn describe(&self) -> String {
        let key = self.key.map_or(String::new(), |k| format!("[k{k}] "));
        let body = match (self.f, self.value) {
            (F::Read, v) if self.outcome == Outcome::Ok => format!("read → {v}"),
            (F::Read, _) => "read".to_string(),
            (F::Write, v) => format!("write {v}"),
            (F::Cas, Value::Pair(a, b)) => format!("cas {a}→{b}"),
            (F::Cas, v) => format!("cas {v}"),
        };
        let tail = match self.outcome {
            Outcome::Ok => "",
            Outcome::Fail => " (fail)",
            Outcome::Info => " (info)",
        };
        format!("p{} {key}{body}{tail}", self.process)
    }
}

/// A history: the events in the order they happened, and the operations they form.
///
/// Real-time order is the order of the events (line order); an `ok` operation A precedes B
/// when A's completion comes before B's invocation.
#[derive(Clone, Debug, PartialEq)]
pub struct History {
    events: Vec<Event>,
    ops: Vec<Operation>,
}

fn parse_err(line: usize, message: impl Into<String>) -> Error {
    Error::Parse { source_name: "history".into(), line, message: message.into() }
}

fn as_int(v: &Json, line: usize, what: &str) -> Result<i64> {
    match v {
        Json::Int(i) => Ok(*i),
        other => {
            Err(parse_err(line, format!("\"{what}\" must be an integer, got {}", other.kind())))
        }
    }
}

fn parse_value(v: &Json, line: usize) -> Result<Value> {
    match v {
        Json::Null => Ok(Value::Nil),
        Json::Int(i) => Ok(Value::Int(*i)),
        Json::Array(items) => match items.as_slice() {
            [Json::Int(a), Json::Int(b)] => Ok(Value::Pair(*a, *b)),
            _ => {
                Err(parse_err(line, "\"value\" as an array must be [int, int] (a cas [old, new])"))
            }
        },
        other => Err(parse_err(
            line,
            format!("\"value\" must be null, an integer or [int, int], got {}", other.kind()),
        )),
    }
}

fn parse_line(text: &str, line: usize) -> Result<Event> {
    let json = json::parse(text).map_err(|m| parse_err(line, format!("malformed JSON: {m}")))?;
    let Json::Object(members) = json else {
        return Err(parse_err(line, format!("expected a JSON object, got {}", json.kind())));
    };
    let get = |k: &str| members.iter().find(|(key, _)| key == k).map(|(_, v)| v);
    let missing = |k: &str| parse_err(line, format!("missing \"{k}\""));
    let process = as_int(get("process").ok_or_else(|| missing("process"))?, line, "process")?;
    let process = u64::try_from(process)
        .map_err(|_| parse_err(line, format!("\"process\" must be >= 0, got {process}")))?;
    let kind = match get("type").ok_or_else(|| missing("type"))? {
        Json::Str(s) => EventType::parse(s).ok_or_else(|| {
            parse_err(line, format!("unknown type \"{s}\": expected invoke, ok, fail or info"))
        })?,
        other => {
            return Err(parse_err(line, format!("\"type\" must be a string, got {}", other.kind())))
        }
    };
    let f = match get("f").ok_or_else(|| missing("f"))? {
        Json::Str(s) => F::parse(s).ok_or_else(|| {
            parse_err(line, format!("unknown f \"{s}\": expected read, write or cas"))
        })?,
        other => {
            return Err(parse_err(line, format!("\"f\" must be a string, got {}", other.kind())))
        }
    };
    let value = get("value").map_or(Ok(Value::Nil), |v| parse_value(v, line))?;
    let key = get("key").map(|v| as_int(v, line, "key")).transpose()?;
    let time_ns = get("time").map(|v| as_int(v, line, "time")).transpose()?;
    Ok(Event { process, kind, f, value, key, time_ns, line })
}

impl History {
    /// Parses a history in Jepsen's format, one event per line:
    ///
    /// ```text
    /// {"process": 0, "type": "invoke", "f": "write", "value": 1}
    /// {"process": 0, "type": "ok", "f": "write", "value": 1}
    /// {"process": 1, "type": "invoke", "f": "cas", "value": [1, 2]}
    /// {"process": 1, "type": "info", "f": "cas", "value": [1, 2]}
    /// ```
    ///
    /// `type` is `invoke`, `ok`, `fail` or `info`; `f` is `read`, `write` or `cas`; `value` is
    /// `null`, an integer or `[int, int]`. An invocation is completed by the next event of the
    /// same process. Optional members: `"time"` (integer nanoseconds, used to draw the
    /// timeline) and `"key"` (integer, for key-value histories, which
    /// [`check_cas_register`](super::check_cas_register) checks key by key). Other members
    /// (Jepsen's `"index"`, `"node"`, `"error"`, …) are ignored. Blank lines are skipped.
    ///
    /// # Errors
    /// [`Error::Parse`] with the line number for malformed JSON, a missing or mistyped
    /// member, an unknown `f` or `type`, a completion with no invocation, a completion whose
    /// `f` differs from its invocation's, an invocation by a process that still has one
    /// pending, and an event from a process after its `info`.
    ///
    /// ```
    /// use course_lib::consistency::{History, Outcome};
    /// let h = History::from_jsonl(r#"
    /// {"process": 0, "type": "invoke", "f": "write", "value": 1}
    /// {"process": 0, "type": "ok", "f": "write", "value": 1}
    /// {"process": 1, "type": "invoke", "f": "read", "value": null}
    /// {"process": 1, "type": "ok", "f": "read", "value": 1}
    /// "#)?;
    /// assert_eq!(h.operations().len(), 2);
    /// assert_eq!(h.operations()[1].outcome, Outcome::Ok);
    /// let bad = History::from_jsonl(r#"{"process": 0, "type": "ok", "f": "read", "value": 1}"#);
    /// assert!(bad.unwrap_err().to_string().contains("line 1"));
    /// # Ok::<(), course_lib::Error>(())
    /// ```
    pub fn from_jsonl(text: &str) -> Result<History> {
        let mut events = Vec::new();
        for (i, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            events.push(parse_line(line, i + 1)?);
        }
        History::from_events(events)
    }

    /// Builds a history from events (as parsed, or produced by a simulation), pairing each
    /// invocation with the next event of the same process. Same rules and errors as
    /// [`History::from_jsonl`], reported with each event's `line`.
    pub fn from_events(events: Vec<Event>) -> Result<History> {
        use std::collections::HashMap;
        // process → index of its pending operation
        let mut pending: HashMap<u64, usize> = HashMap::new();
        // process → line of its info completion (it may issue nothing more)
        let mut crashed: HashMap<u64, usize> = HashMap::new();
        let mut ops: Vec<Operation> = Vec::new();
        for (ei, e) in events.iter().enumerate() {
            if let Some(&at) = crashed.get(&e.process) {
                return Err(parse_err(
                    e.line,
                    format!(
                        "process {} has an event after its info completion on line {at}: a \
                         process whose operation ended in info issues nothing more (give \
                         later operations a new process number)",
                        e.process
                    ),
                ));
            }
            if e.kind == EventType::Invoke {
                if let Some(&op) = pending.get(&e.process) {
                    return Err(parse_err(
                        e.line,
                        format!(
                            "process {} invokes a new operation while its {} invoked on line {} \
                             has not completed",
                            e.process,
                            ops[op].f.name(),
                            events[ops[op].invoke].line
                        ),
                    ));
                }
                pending.insert(e.process, ops.len());
                ops.push(Operation {
                    id: ops.len(),
                    process: e.process,
                    f: e.f,
                    key: e.key,
                    value: if e.f == F::Read { Value::Nil } else { e.value },
                    outcome: Outcome::Info,
                    invoke: ei,
                    complete: None,
                });
                continue;
            }
            let Some(op) = pending.remove(&e.process) else {
                return Err(parse_err(
                    e.line,
                    format!(
                        "{} completion for process {} with no invocation pending",
                        e.kind.name(),
                        e.process
                    ),
                ));
            };
            let o = &mut ops[op];
            if o.f != e.f {
                return Err(parse_err(
                    e.line,
                    format!(
                        "completion f \"{}\" does not match the invocation's \"{}\" (line {})",
                        e.f.name(),
                        o.f.name(),
                        events[o.invoke].line
                    ),
                ));
            }
            if e.key != o.key {
                return Err(parse_err(e.line, "completion key differs from the invocation's"));
            }
            o.complete = Some(ei);
            o.outcome = match e.kind {
                EventType::Ok => Outcome::Ok,
                EventType::Fail => Outcome::Fail,
                _ => Outcome::Info,
            };
            if o.f == F::Read && o.outcome == Outcome::Ok {
                o.value = e.value;
                if let Value::Pair(..) = e.value {
                    return Err(parse_err(e.line, "a read cannot return a pair"));
                }
            }
            if o.f == F::Write && !matches!(o.value, Value::Int(_)) {
                return Err(parse_err(
                    events[o.invoke].line,
                    format!("a write needs an integer value, got {}", o.value),
                ));
            }
            if o.f == F::Cas && !matches!(o.value, Value::Pair(..)) {
                return Err(parse_err(
                    events[o.invoke].line,
                    format!("a cas needs a value [old, new], got {}", o.value),
                ));
            }
            if e.kind == EventType::Info {
                crashed.insert(e.process, e.line);
            }
        }
        // Operations still pending at the end are indeterminate (outcome already Info); check
        // their values too.
        for o in &ops {
            let line = events[o.invoke].line;
            if o.f == F::Write && !matches!(o.value, Value::Int(_)) {
                return Err(parse_err(
                    line,
                    format!("a write needs an integer value, got {}", o.value),
                ));
            }
            if o.f == F::Cas && !matches!(o.value, Value::Pair(..)) {
                return Err(parse_err(
                    line,
                    format!("a cas needs a value [old, new], got {}", o.value),
                ));
            }
        }
        Ok(History { events, ops })
    }

    /// A builder for hand-written histories (lines are numbered by position).
    ///
    /// ```
    /// use course_lib::consistency::{History, F};
    /// let h = History::builder()
    ///     .invoke(0, F::Write, 1).invoke(1, F::Read, None)
    ///     .ok(0, 1).ok(1, 1)
    ///     .build()?;
    /// assert_eq!(h.operations().len(), 2);
    /// # Ok::<(), course_lib::Error>(())
    /// ```
    pub fn builder() -> HistoryBuilder {
        HistoryBuilder { events: Vec::new() }
    }

    /// The events, in order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The operations, in invocation order.
    pub fn operations(&self) -> &[Operation] {
        &self.ops
    }

    /// Number of operations.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// `true` when the history has no operations.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Whether every event carries a `time`.
    pub fn has_times(&self) -> bool {
        !self.events.is_empty() && self.events.iter().all(|e| e.time_ns.is_some())
    }

    /// The time of event `i` for plotting: milliseconds when every event has a time, the
    /// event's position otherwise.
    pub fn event_time(&self, i: usize) -> f64 {
        if self.has_times() {
            self.events[i].time_ns.unwrap_or(0) as f64 / 1e6
        } else {
            i as f64
        }
    }

    /// The distinct keys of a key-value history, ascending (empty for a single register).
    pub fn keys(&self) -> Vec<i64> {
        let mut k: Vec<i64> = self.ops.iter().filter_map(|o| o.key).collect();
        k.sort_unstable();
        k.dedup();
        k
    }

    /// The history back in Jepsen's format, one event per line.
    pub fn to_jsonl(&self) -> String {
        let mut out = String::new();
        for e in &self.events {
            let value = match e.value {
                Value::Nil => "null".to_string(),
                Value::Int(v) => v.to_string(),
                Value::Pair(a, b) => format!("[{a}, {b}]"),
            };
            out.push_str(&format!(
                "{{\"process\": {}, \"type\": \"{}\", \"f\": \"{}\", \"value\": {value}",
                e.process,
                e.kind.name(),
                e.f.name()
            ));
            if let Some(k) = e.key {
                out.push_str(&format!(", \"key\": {k}"));
            }
            if let Some(t) = e.time_ns {
                out.push_str(&format!(", \"time\": {t}"));
            }
            out.push_str("}\n");
        }
        out
    }
}

/// Builds a [`History`] event by event; see [`History::builder`].
#[derive(Clone, Debug, Default)]
pub struct HistoryBuilder {
    events: Vec<Event>,
}

impl HistoryBuilder {
    fn push(mut self, process: u64, kind: EventType, f: Option<F>, value: Value) -> Self {
        // A completion takes the f of the process's latest invocation.
        let f = f.unwrap_or_else(|| {
            self.events
                .iter()
                .rev()
                .find(|e| e.process == process && e.kind == EventType::Invoke)
                .map_or(F::Read, |e| e.f)
        });
        let line = self.events.len() + 1;
        self.events.push(Event { process, kind, f, value, key: None, time_ns: None, line });
        self
    }

    /// `process` invokes `f` with `value` (`None`/`Value::Nil` for a read, an integer for a
    /// write, `(old, new)` for a cas).
    pub fn invoke(self, process: u64, f: F, value: impl Into<Value>) -> Self {
        self.push(process, EventType::Invoke, Some(f), value.into())
    }

    /// `process`'s pending operation completes `ok` (for a read, `value` is what it read).
    pub fn ok(self, process: u64, value: impl Into<Value>) -> Self {
        self.push(process, EventType::Ok, None, value.into())
    }

    /// `process`'s pending operation fails (did not take effect).
    pub fn fail(self, process: u64) -> Self {
        self.push(process, EventType::Fail, None, Value::Nil)
    }

    /// `process`'s pending operation ends in `info` (unknown outcome).
    pub fn info(self, process: u64) -> Self {
        self.push(process, EventType::Info, None, Value::Nil)
    }

    /// Sets the key of the last event (for key-value histories).
    pub fn key(mut self, key: i64) -> Self {
        if let Some(e) = self.events.last_mut() {
            e.key = Some(key);
        }
        self
    }

    /// Sets the time (ns) of the last event.
    pub fn at_ns(mut self, time_ns: i64) -> Self {
        if let Some(e) = self.events.last_mut() {
            e.time_ns = Some(time_ns);
        }
        self
    }

    /// The history, validated as by [`History::from_events`].
    pub fn build(self) -> Result<History> {
        History::from_events(self.events)
    }
}

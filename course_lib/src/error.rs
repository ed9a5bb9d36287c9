//! # Errors: what a caller can get wrong
//!
//! Every public constructor and function of this crate checks its parameters and returns an
//! [`Error`] instead of panicking. A notebook cell that passes a probability of 1.5 or a
//! negative latency gets a sentence that names the parameter, the value it was given and the
//! values that are allowed, e.g.
//!
//! ```text
//! loss = 1.5 is out of range: a probability must be between 0 and 1 (inclusive)
//! ```
//!
//! Panics are reserved for broken *internal* invariants (a bug in this crate), and are
//! documented under `# Panics` where they can happen.
//!
//! The helpers in [`validate`] are what the rest of the crate uses to check numbers; later
//! modules should use them too, so every message reads the same way.
//!
//! ```
//! use course_lib::error::{validate, Error};
//! assert!(validate::probability("loss", 0.25).is_ok());
//! let err = validate::probability("loss", 1.5).unwrap_err();
//! assert!(matches!(err, Error::OutOfRange { .. }));
//! assert!(err.to_string().contains("between 0 and 1"));
//! ```

use std::fmt;

/// Everything a caller of this crate can get wrong.
///
/// The `Display` text is written for a student reading it under a notebook cell: it says
/// what was wrong and what is allowed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A numeric parameter is outside the values the function accepts.
    OutOfRange {
        /// The parameter's name as the caller knows it (`"loss"`, `"R"`, `"timeout_ms"`).
        name: String,
        /// The value that was passed, formatted.
        value: String,
        /// What is allowed, as a sentence fragment ("must be at least 1").
        allowed: String,
    },
    /// A collection that must not be empty was empty.
    Empty {
        /// What was empty ("the cluster", "the sample").
        what: String,
        /// What is needed instead.
        allowed: String,
    },
    /// A node id that does not exist in the cluster.
    UnknownNode {
        /// The id that was given.
        node: usize,
        /// Number of nodes in the cluster.
        cluster_size: usize,
        /// Where the id appeared ("the fault schedule", "a client request").
        context: String,
    },
    /// A configuration that is inconsistent as a whole (each number fine, the combination not).
    Invalid {
        /// What is invalid ("partition", "mixture").
        what: String,
        /// Why, and what would be valid.
        reason: String,
    },
    /// Text input (CSV, JSON lines) that could not be parsed.
    Parse {
        /// File name or description of the text.
        source_name: String,
        /// 1-based line number.
        line: usize,
        /// What was wrong on that line.
        message: String,
    },
    /// A file that could not be read or written.
    Io {
        /// The path.
        path: String,
        /// The operating system's message.
        message: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::OutOfRange { name, value, allowed } => write!(f, "{name} = {value} is out of range: {allowed}"),
            Error::Empty { what, allowed } => write!(f, "{what} is empty: {allowed}"),
            Error::UnknownNode { node, cluster_size, context } => write!(f,  "unknown node n{node} in {context}: the cluster has {cluster_size} node(s), ids n0..n{}", cluster_size.saturating_sub(1) ),
            Error::Invalid { what, reason } => write!(f, "invalid {what}: {reason}"),
            Error::Parse { source_name, line, message } => write!(f, "{source_name}, line {line}: {message}"),
            Error::Io { path, message } => write!(f, "could not access {path}: {message}"),
        }
    }
}

impl std::error::Error for Error {}

/// The error's message (its `Display` text), so that `?` on a crate call works inside a
/// function or closure that returns `Result<_, String>`: a notebook's check closure
/// ([`crate::grade::check_fn`]) writes `let d = downtime_per_month(a)?;` and a bad parameter
/// becomes the message of the `FAIL` line, with no `.map_err(|e| e.to_string())`.
///
/// ```
/// use course_lib::reliability::series;
/// fn path(parts: &[f64]) -> Result<f64, String> {
///     Ok(series(parts)?) // course_lib::Error → String
/// }
/// assert!(path(&[0.9, 0.9]).is_ok());
/// assert!(path(&[1.5]).unwrap_err().contains("between 0 and 1"));
/// ```
impl From<Error> for String {
    fn from(e: Error) -> String {
        e.to_string()
    }
}

/// Shorthand for `std::result::Result<T, course_lib::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An [`Error::OutOfRange`] for parameter `name` with value `value`.
    pub fn out_of_range(
        name: impl Into<String>,
        value: impl fmt::Display,
        allowed: impl Into<String>,
    ) -> Self {
        Error::OutOfRange { name: name.into(), value: value.to_string(), allowed: allowed.into() }
    }

    /// An [`Error::Invalid`] for `what`, explained by `reason`.
    pub fn invalid(what: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Invalid { what: what.into(), reason: reason.into() }
    }

    /// An [`Error::Empty`].
    pub fn empty(what: impl Into<String>, allowed: impl Into<String>) -> Self {
        Error::Empty { what: what.into(), allowed: allowed.into() }
    }
}

/// Parameter checks that return readable [`Error`]s. Each returns the value on success so a
/// constructor can write `let p = validate::probability("loss", p)?;`.
pub mod validate {
    use super::{Error, Result};

    /// `value` is a probability: finite and in `[0, 1]`.
    pub fn probability(name: &str, value: f64) -> Result<f64> {
        if value.is_finite() && (0.0..=1.0).contains(&value) {
            Ok(value)
        } else {
            Err(Error::out_of_range(
                name,
                value,
                "a probability must be between 0 and 1 (inclusive)",
            ))
        }
    }

    /// `value` is finite and `>= 0` (delays, durations, rates that may be zero).
    pub fn non_negative(name: &str, value: f64) -> Result<f64> {
        if value.is_finite() && value >= 0.0 {
            Ok(value)
        } else {
            Err(Error::out_of_range(name, value, "must be a finite number >= 0"))
        }
    }

    /// `value` is finite and `> 0` (rates, scales, shapes).
    pub fn positive(name: &str, value: f64) -> Result<f64> {
        if value.is_finite() && value > 0.0 {
            Ok(value)
        } else {
            Err(Error::out_of_range(name, value, "must be a finite number > 0"))
        }
    }

    /// `value` is a finite number (not NaN, not infinite).
    pub fn finite(name: &str, value: f64) -> Result<f64> {
        if value.is_finite() {
            Ok(value)
        } else {
            Err(Error::out_of_range(name, value, "must be a finite number"))
        }
    }

    /// `lo <= hi`, both finite.
    pub fn ordered(lo_name: &str, lo: f64, hi_name: &str, hi: f64) -> Result<(f64, f64)> {
        finite(lo_name, lo)?;
        finite(hi_name, hi)?;
        if lo <= hi {
            Ok((lo, hi))
        } else {
            Err(Error::out_of_range(lo_name, lo, format!("must be at most {hi_name} = {hi}")))
        }
    }

    /// A count that must be at least `min`.
    pub fn at_least(name: &str, value: usize, min: usize) -> Result<usize> {
        if value >= min {
            Ok(value)
        } else {
            Err(Error::out_of_range(name, value, format!("must be at least {min}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::validate::*;
    use super::*;

    #[test]
    fn probability_rejects_outside_unit_interval_and_nan() {
        for bad in [-0.1, 1.5, f64::NAN, f64::INFINITY] {
            let e = probability("p", bad).unwrap_err();
            let msg = e.to_string();
            assert!(msg.starts_with("p = "), "{msg}");
            assert!(msg.contains("between 0 and 1"), "{msg}");
        }
        assert_eq!(probability("p", 0.0), Ok(0.0));
        assert_eq!(probability("p", 1.0), Ok(1.0));
    }

    #[test]
    fn delays_must_be_non_negative_and_finite() {
        assert!(non_negative("delay_ms", -1.0).unwrap_err().to_string().contains(">= 0"));
        assert!(non_negative("delay_ms", f64::NAN).is_err());
        assert!(positive("rate", 0.0).is_err());
        assert_eq!(positive("rate", 2.0), Ok(2.0));
    }

    #[test]
    fn ordered_names_both_bounds() {
        let msg = ordered("lo", 5.0, "hi", 1.0).unwrap_err().to_string();
        assert_eq!(msg, "lo = 5 is out of range: must be at most hi = 1");
    }

    #[test]
    fn unknown_node_message_lists_valid_ids() {
        let e =
            Error::UnknownNode { node: 7, cluster_size: 3, context: "the fault schedule".into() };
        assert_eq!(
            e.to_string(),
            "unknown node n7 in the fault schedule: the cluster has 3 node(s), ids n0..n2"
        );
    }
}

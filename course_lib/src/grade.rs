//! # Exercise checks
//!
//! Every exercise in a notebook is followed by a check cell. A check prints one line that
//! says, in plain words, whether the answer is right and, if not, why:
//!
//! ```text
//! PASS [01-rtt]: 86.3 is within 0.5 of 86.3
//! FAIL [01-rtt]: expected 86.3 (± 0.5), got 43.1 — hint: a round trip crosses the distance twice
//! ```
//!
//! Checks never abort the notebook: a wrong answer is a `FAIL` line, and a panic in the
//! student's code (including an unfinished `todo!()`) is caught by [`check_fn`] and reported
//! as a `FAIL` with the panic's message. So a check cell calls the student's code only inside
//! `check_fn`, with [`expect_close`] / [`expect_eq`] for the comparison:
//! `check_fn("01-rtt", || expect_close(rtt_ms(5570.0), 54.6, 0.5, "hint"))`. The student
//! copies (`make student`) replace each solution by `todo!()`, and every check then prints
//! `FAIL … your code panicked: not yet implemented` instead of stopping the notebook.
//!
//! The `PASS`/`FAIL [id]` prefix is stable, so a grader can read results from an executed
//! notebook's output (`make grade`).
//!
//! ```
//! use course_lib::grade::{check_close, check_fn};
//! assert!(check_close("demo-1", 2.0 + 2.0, 4.0, 1e-9, "add them").passed());
//! let c = check_fn("demo-2", || -> Result<(), String> { todo!() });
//! assert!(!c.passed());
//! assert!(c.message().contains("not yet implemented"));
//! ```
//!
//! ## `?` inside a check: crate calls and expectations alike
//! A check closure returns `Result<(), String>`. `?` works in it on both kinds of result a
//! check meets: the `Result<(), String>` of [`expect_close`] / [`expect_eq`], and the
//! `Result<T, course_lib::Error>` of every crate function (the crate's [`Error`](crate::Error)
//! converts into its message, `impl From<Error> for String`). So a check computes the
//! reference answer with the crate and compares, with no `.map_err(|e| e.to_string())` and no
//! `.unwrap()`; a crate error (a bad parameter, an empty sample) becomes the `FAIL` line's
//! message instead of a panic:
//!
//! ```
//! use course_lib::grade::{check_fn, expect_close};
//! use course_lib::reliability::downtime_per_month;
//! fn downtime_minutes(a: f64) -> f64 { (1.0 - a) * 30.0 * 24.0 * 60.0 } // the student's
//! let c = check_fn("demo-downtime", || {
//!     let want = downtime_per_month(0.9995)?.as_secs_f64() / 60.0; // course_lib::Error → FAIL
//!     expect_close(downtime_minutes(0.9995), want, 0.01, "(1 − A) × the month's minutes")
//! });
//! assert!(c.passed());
//! // several steps: `?` after an expectation too, then `Ok(())`
//! let c = check_fn("demo-steps", || {
//!     for a in [0.99, 0.999] {
//!         let want = downtime_per_month(a)?.as_secs_f64() / 60.0;
//!         expect_close(downtime_minutes(a), want, 0.01, "per month")?;
//!     }
//!     Ok(())
//! });
//! assert!(c.passed());
//! // the crate's error message is the FAIL line
//! let c = check_fn("demo-bad", || {
//!     let want = downtime_per_month(1.5)?.as_secs_f64();
//!     expect_close(downtime_minutes(1.5), want, 0.01, "")
//! });
//! assert_eq!(c.to_string(), "FAIL [demo-bad]: availability = 1.5 is out of range: \
//!     a probability must be between 0 and 1 (inclusive)");
//! ```
//!
//! The older spelling, converting by hand, still compiles and means the same; `Err(...)`,
//! `return Err("…".into())` and `.ok_or("…")?` work as before, because the closure's error
//! type stays `String`:
//!
//! ```
//! use course_lib::grade::{check_fn, expect_close};
//! use course_lib::reliability::downtime_per_month;
//! let c = check_fn("demo-old", || {
//!     let want = downtime_per_month(0.9995).map_err(|e| e.to_string())?.as_secs_f64() / 60.0;
//!     expect_close(21.6, want, 0.01, "hint")
//! });
//! assert!(c.passed());
//! let c = check_fn("demo-err", || {
//!     let first = [3, 4].first().copied().ok_or("no value")?;
//!     if first != 3 {
//!         return Err("the first value should be 3".into());
//!     }
//!     Err(format!("{first} is fine, but this check always fails"))
//! });
//! assert!(!c.passed());
//! ```
//!
//! (A generic `check_fn<E: Into<…>>` would not do: in `|| Ok(())` or
//! `|| Err("…".into())` nothing fixes `E`, so cells that compile today would stop compiling,
//! and in `|| { let d = f()?; expect_close(…) }` the tail fixes `E = String` anyway.)

use std::fmt;
use std::panic::{self, AssertUnwindSafe};

/// The result of one check. It has already been printed when you get it.
#[derive(Clone, Debug, PartialEq)]
pub struct Check {
    id: String,
    passed: bool,
    message: String,
}

impl Check {
    fn new(id: &str, passed: bool, message: String) -> Check {
        let c = Check { id: id.to_string(), passed, message };
        println!("{c}");
        c
    }

    /// Did the check pass?
    pub fn passed(&self) -> bool {
        self.passed
    }

    /// The exercise id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The explanation.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Shown by evcxr when a check is the last expression of a cell: nothing more, because
    /// the line was printed when the check ran.
    pub fn evcxr_display(&self) {}
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let verdict = if self.passed { "PASS" } else { "FAIL" };
        write!(f, "{verdict} [{}]: {}", self.id, self.message)
    }
}

/// Pass when `condition` holds; otherwise fail with `hint`.
pub fn check(id: &str, condition: bool, hint: &str) -> Check {
    if condition {
        Check::new(id, true, "correct".into())
    } else {
        Check::new(id, false, format!("not yet — hint: {hint}"))
    }
}

/// Pass when `got` is within `tolerance` of `expected` (absolute). NaN never passes.
pub fn check_close(id: &str, got: f64, expected: f64, tolerance: f64, hint: &str) -> Check {
    match expect_close(got, expected, tolerance, hint) {
        Ok(()) => Check::new(
            id,
            true,
            format!("{} is within {} of {}", sig(got), sig(tolerance), sig(expected)),
        ),
        Err(why) => Check::new(id, false, why),
    }
}

/// Pass when `got == expected`.
pub fn check_eq<T: PartialEq + fmt::Debug>(id: &str, got: T, expected: T, hint: &str) -> Check {
    let shown = format!("{got:?}, as expected");
    match expect_eq(got, expected, hint) {
        Ok(()) => Check::new(id, true, shown),
        Err(why) => Check::new(id, false, why),
    }
}

/// The test of [`check_close`] as a value, for use inside [`check_fn`]: `Ok(())` when `got`
/// is within `tolerance` of `expected`, otherwise `Err` with the same message `check_close`
/// prints. Computing `got` inside `check_fn` is what keeps an unfinished exercise (a
/// `todo!()` in the student's function) a `FAIL` line instead of a panic in the check cell:
///
/// ```
/// use course_lib::grade::{check_fn, expect_close};
/// fn rtt_ms(km: f64) -> f64 { todo!() }
/// let c = check_fn("demo-rtt", || expect_close(rtt_ms(100.0), 0.98, 0.01, "twice the distance"));
/// assert!(!c.passed());
/// ```
pub fn expect_close(got: f64, expected: f64, tolerance: f64, hint: &str) -> Result<(), String> {
    if (got - expected).abs() <= tolerance {
        Ok(())
    } else {
        Err(format!(
            "expected {} (± {}), got {} — hint: {hint}",
            sig(expected),
            sig(tolerance),
            sig(got)
        ))
    }
}

/// The test of [`check_eq`] as a value, for use inside [`check_fn`] (see [`expect_close`]).
pub fn expect_eq<T: PartialEq + fmt::Debug>(got: T, expected: T, hint: &str) -> Result<(), String> {
    if got == expected {
        Ok(())
    } else {
        Err(format!("expected {expected:?}, got {got:?} — hint: {hint}"))
    }
}

/// Run `test`, which returns `Ok(())` when the student's code behaves, or `Err(reason)`.
/// A panic inside it (e.g. `todo!()`) is caught and reported as a failure with its message;
/// the panic's usual backtrace is not printed.
///
/// Inside `test`, `?` works on crate calls (`course_lib::Error` becomes the `FAIL` message)
/// and on [`expect_close`] / [`expect_eq`] alike: see the [module documentation](self).
pub fn check_fn(id: &str, test: impl FnOnce() -> Result<(), String>) -> Check {
    let previous_hook = panic::take_hook();
    panic::set_hook(Box::new(|_| {}));
    let outcome = panic::catch_unwind(AssertUnwindSafe(test));
    panic::set_hook(previous_hook);
    match outcome {
        Ok(Ok(())) => Check::new(id, true, "correct".into()),
        Ok(Err(reason)) => Check::new(id, false, reason),
        Err(payload) => {
            let what = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic".into());
            Check::new(id, false, format!("your code panicked: {what}"))
        }
    }
}

/// A number with about four significant digits, for messages.
fn sig(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let mag = x.abs().log10().floor() as i32;
    if !(-3..6).contains(&mag) {
        format!("{x:.3e}")
    } else {
        let decimals = (3 - mag).max(0) as usize;
        format!("{x:.decimals$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_say_what_was_expected() {
        let c = check_close("x", 43.1, 86.3, 0.5, "twice the distance");
        assert!(!c.passed());
        assert_eq!(
            c.to_string(),
            "FAIL [x]: expected 86.30 (± 0.5000), got 43.10 — hint: twice the distance"
        );
        assert!(check_close("x", 86.2, 86.3, 0.5, "").passed());
        assert_eq!(
            check_close("t", 1.0, 1.0, 1e-12, "").message(),
            "1.000 is within 1.000e-12 of 1.000"
        );
        assert!(!check_close("x", f64::NAN, 1.0, 0.5, "").passed());
        assert!(check_eq("e", 3, 3, "").passed());
        assert_eq!(check_eq("e", 2, 3, "count").message(), "expected 3, got 2 — hint: count");
        assert!(!check("c", false, "look again").passed());
    }

    #[test]
    fn panics_become_failures() {
        let c = check_fn("p", || -> Result<(), String> { todo!() });
        assert!(!c.passed());
        assert_eq!(c.message(), "your code panicked: not yet implemented");
        let c = check_fn("p", || Err("n2 voted twice in term 3".into()));
        assert_eq!(c.to_string(), "FAIL [p]: n2 voted twice in term 3");
        let c = check_fn("p", || {
            let v: Vec<u8> = vec![];
            let _ = v[3];
            Ok(())
        });
        assert!(c.message().contains("index out of bounds"), "{}", c.message());
        assert!(check_fn("p", || Ok(())).passed());
    }

    #[test]
    fn expectations_inside_check_fn_turn_todo_into_fail() {
        fn unfinished() -> f64 {
            todo!()
        }
        let c = check_fn("x", || expect_close(unfinished(), 1.0, 0.1, "h"));
        assert_eq!(c.to_string(), "FAIL [x]: your code panicked: not yet implemented");
        let c = check_fn("x", || expect_close(43.1, 86.3, 0.5, "twice the distance"));
        assert_eq!(c.message(), check_close("y", 43.1, 86.3, 0.5, "twice the distance").message());
        assert!(check_fn("x", || expect_close(1.0, 1.05, 0.1, "")).passed());
        assert!(check_fn("x", || expect_close(f64::NAN, 1.0, 0.1, "")).message().contains("NaN"));
        let c = check_fn("e", || expect_eq(2, 3, "count"));
        assert_eq!(c.message(), "expected 3, got 2 — hint: count");
        assert!(check_fn("e", || expect_eq("a", "a", "")).passed());
        // A panic with a formatted message keeps its text.
        let c = check_fn("f", || -> Result<(), String> { panic!("n = {}", 3) });
        assert_eq!(c.message(), "your code panicked: n = 3");
    }

    #[test]
    fn crate_errors_become_the_fail_message() {
        use crate::reliability::{downtime_per_month, series};
        // `?` on a crate call and on an expectation in the same closure, no map_err
        let c = check_fn("q", || {
            let want = series(&[0.9, 1.5])?;
            expect_close(0.9, want, 1e-9, "multiply")
        });
        assert!(!c.passed());
        let crate_message = series(&[0.9, 1.5]).unwrap_err().to_string();
        assert_eq!(
            crate_message,
            "availabilities[1] = 1.5 is out of range: a probability must be between 0 and 1 \
             (inclusive)"
        );
        assert_eq!(c.to_string(), format!("FAIL [q]: {crate_message}"));
        // the same closure passes when the crate call succeeds
        let c = check_fn("q", || {
            let want = series(&[0.9, 0.5])?;
            expect_close(0.45, want, 1e-9, "multiply")
        });
        assert!(c.passed(), "{c}");
        // the old spelling still compiles and reports the same message
        let c = check_fn("q", || {
            let want = downtime_per_month(-1.0).map_err(|e| e.to_string())?;
            expect_eq(want.as_secs(), 0, "")
        });
        assert_eq!(c.message(), downtime_per_month(-1.0).unwrap_err().to_string());
        // an error after an expectation that passed: the crate's message, not "correct"
        let c = check_fn("q", || {
            expect_eq(1, 1, "")?;
            crate::stats::quantile(&[], 0.5)?;
            Ok(())
        });
        assert_eq!(c.message(), "the sample is empty: a quantile needs at least one value");
    }

    #[test]
    fn significant_digits() {
        assert_eq!(sig(0.017351), "0.01735");
        assert_eq!(sig(86.2999), "86.30");
        assert_eq!(sig(1234.5), "1234");
        assert_eq!(sig(1.5e-7), "1.500e-7");
    }
}

//! # Data frames: tables loaded from `data/` (feature `frames`)
//!
//! Some notebooks start from measurements stored as CSV (published latency numbers, traces
//! of real systems). This module loads them into a [polars](https://pola.rs) `DataFrame`
//! and shows frames as the crate's HTML [`Table`], so a frame that is the last expression of
//! a cell renders inline:
//!
//! ```text
//! :dep course_lib = { path = "../course_lib", features = ["frames"] }
//! use course_lib::prelude::*;
//! use course_lib::frames::{read_csv, FrameDisplay};
//! use course_lib::frames::polars::prelude::*;
//!
//! let df = read_csv("../data/latency_ladder.csv")?;
//! df.show()
//! ```
//!
//! `polars` is re-exported so a notebook uses exactly the version this crate was built with.

pub use polars;

use std::path::Path;

use polars::prelude::{AnyValue, CsvReadOptions, DataFrame, PolarsError, SerReader};

use crate::error::{Error, Result};
use crate::table::{fmt_sig, Table};

/// Reads a CSV file with a header row into a `DataFrame`, inferring column types from the
/// data.
///
/// # Errors
/// [`Error::Io`] if the file cannot be opened; [`Error::Parse`] (or [`Error::Invalid`] when
/// polars does not say which line) if its contents are not valid CSV.
pub fn read_csv(path: impl AsRef<Path>) -> Result<DataFrame> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let file = std::fs::File::open(path)
        .map_err(|e| Error::Io { path: name.clone(), message: e.to_string() })?;
    CsvReadOptions::default()
        .with_has_header(true)
        .into_reader_with_file_handle(file)
        .finish()
        .map_err(|e| polars_error(&name, &e))
}

/// Maps a polars error on file `name` to the crate's [`Error`].
fn polars_error(name: &str, e: &PolarsError) -> Error {
    let message = e.to_string();
    if let PolarsError::IO { .. } = e {
        return Error::Io { path: name.to_string(), message };
    }
    // polars sometimes names the line; keep it when it does.
    let line = message
        .split("line ")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|digits| digits.parse::<usize>().ok());
    match line {
        Some(line) => Error::Parse { source_name: name.to_string(), line, message },
        None => Error::invalid(format!("CSV file {name}"), message),
    }
}

/// The first `max_rows` rows of `df` as a [`Table`] (column names as headers, nulls empty,
/// floats to 4 significant digits). The caption gives the shape, and says when rows were
/// left out.
pub fn frame_table(df: &DataFrame, max_rows: usize) -> Table {
    let (height, width) = df.shape();
    let headers: Vec<String> = df.get_column_names().iter().map(|n| n.to_string()).collect();
    let mut table = Table::new(headers);
    let shown = height.min(max_rows);
    for i in 0..shown {
        let row: Vec<String> = df
            .columns()
            .iter()
            .map(|col| col.get(i).map_or_else(|_| String::new(), |v| cell(&v)))
            .collect();
        table = table.row(row);
    }
    let caption = if shown < height {
        format!("{height} rows × {width} columns (first {shown} shown)")
    } else {
        format!("{height} rows × {width} columns")
    };
    table.caption(caption)
}

/// One value as table text: strings without quotes, nulls empty, floats rounded.
fn cell(v: &AnyValue<'_>) -> String {
    match v {
        AnyValue::Null => String::new(),
        AnyValue::String(s) => (*s).to_string(),
        AnyValue::StringOwned(s) => s.to_string(),
        AnyValue::Float32(x) => fmt_sig(f64::from(*x), 4),
        AnyValue::Float64(x) => fmt_sig(*x, 4),
        other => other.to_string(),
    }
}

/// Shows a data frame as an HTML table in a notebook: `df.show()` as the last expression of a
/// cell.
pub trait FrameDisplay {
    /// The first 20 rows as a [`Table`] (use [`frame_table`] to choose how many).
    fn show(&self) -> Table;
}

impl FrameDisplay for DataFrame {
    fn show(&self) -> Table {
        frame_table(self, 20)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_csv(name: &str, text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("course_lib_frames_{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn reads_a_csv_and_shows_it_as_a_table() {
        let path = temp_csv(
            "ladder.csv",
            "operation,latency_ns,source\nL1 cache reference,0.5,Dean\n<main memory>,100,\n",
        );
        let df = read_csv(&path).unwrap();
        assert_eq!(df.shape(), (2, 3));
        let t = df.show();
        assert_eq!(
            t.to_string(),
            "2 rows × 3 columns\n\
             operation           latency_ns  source\n\
             ------------------  ----------  ------\n\
             L1 cache reference         0.5  Dean\n\
             <main memory>              100"
        );
        assert!(t.to_html().contains("&lt;main memory&gt;"));
        let short = frame_table(&df, 1);
        assert_eq!(short.rows().len(), 1);
        assert!(short.to_string().starts_with("2 rows × 3 columns (first 1 shown)"));
    }

    #[test]
    fn missing_file_is_an_io_error() {
        let e = read_csv("/no/such/dir/data.csv").unwrap_err();
        assert!(matches!(e, Error::Io { .. }), "{e}");
        assert!(e.to_string().contains("/no/such/dir/data.csv"), "{e}");
    }

    #[test]
    fn malformed_csv_is_an_error_not_a_panic() {
        let path = temp_csv("bad.csv", "a,b\n1,2\n3,4,5,6\n\"unclosed,7\n");
        let e = read_csv(&path).unwrap_err();
        assert!(e.to_string().contains("bad.csv"), "{e}");
        assert!(e.to_string().contains("more fields"), "{e}");
    }
}

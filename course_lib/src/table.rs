//! # Tables: results you read as numbers
//!
//! A [`Table`] is a header row, data rows and an optional caption. It renders three ways:
//! as HTML inline in JupyterLab (when it is the last expression of an evcxr cell), as
//! [`Table::to_html`], and as aligned plain text through [`Display`] (for
//! terminals, tests and `println!`).
//!
//! Columns whose cells all look like numbers (`12`, `-0.5`, `1e-3`, `99.9%`, `150 ms`) are
//! right-aligned so digits line up. [`fmt_sig`] formats floats to a given number of
//! significant digits, the usual way to put measurements in a table.
//!
//! ```
//! use course_lib::table::{fmt_sig, Table};
//! let t = Table::new(["N", "majority", "availability"])
//!     .row([3.to_string(), 2.to_string(), fmt_sig(0.999702, 4)])
//!     .row([5.to_string(), 3.to_string(), fmt_sig(0.999991, 5)]);
//! assert_eq!(
//!     t.to_string(),
//!     "N  majority  availability\n\
//!      -  --------  ------------\n\
//!      3         2        0.9997\n\
//!      5         3       0.99999"
//! );
//! ```
//!
//! A row with the wrong number of cells is not an error with [`Table::row`]: short rows are
//! padded with empty cells and long rows are cut to the header's width (the cut cells are
//! counted in a note under the table). Use [`Table::try_row`] to get an [`Error`] instead.

use std::fmt::{self, Display, Write as _};

use crate::error::{Error, Result};
pub use crate::numfmt::fmt_sig;

/// A small table of results.
///
/// Like [`crate::plot::Figure`], a table shows as HTML only when evcxr can call
/// [`Table::evcxr_display`] on the cell's last expression; if it shows as
/// `Table … was not drawn …`, end the cell with a plain variable (`t`).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Table {
    headers: Vec<String>,
    rows: Vec<Vec<String>>,
    caption: Option<String>,
    /// Cells dropped from rows longer than the header.
    dropped: usize,
}

impl Table {
    /// A table with these column headers and no rows.
    pub fn new(headers: impl IntoIterator<Item = impl Into<String>>) -> Self {
        Table { headers: headers.into_iter().map(Into::into).collect(), ..Table::default() }
    }

    /// Appends a row. Short rows are padded with empty cells; cells beyond the number of
    /// headers are dropped (and counted in a note under the table). Never fails.
    pub fn row(mut self, cells: impl IntoIterator<Item = impl Display>) -> Self {
        let mut cells: Vec<String> = cells.into_iter().map(|c| c.to_string()).collect();
        let n = self.headers.len();
        if cells.len() > n {
            self.dropped += cells.len() - n;
            cells.truncate(n);
        }
        cells.resize(n, String::new());
        self.rows.push(cells);
        self
    }

    /// Appends a row, or returns an [`Error`] if it does not have one cell per header.
    ///
    /// # Errors
    /// [`Error::Invalid`] naming the row and both counts.
    pub fn try_row(self, cells: impl IntoIterator<Item = impl Display>) -> Result<Self> {
        let cells: Vec<String> = cells.into_iter().map(|c| c.to_string()).collect();
        if cells.len() != self.headers.len() {
            return Err(Error::invalid(
                format!("table row {}", self.rows.len()),
                format!(
                    "it has {} cell(s) but the table has {} column(s)",
                    cells.len(),
                    self.headers.len()
                ),
            ));
        }
        Ok(self.row(cells))
    }

    /// Sets the caption, shown above the table.
    pub fn caption(mut self, text: impl Into<String>) -> Self {
        self.caption = Some(text.into());
        self
    }

    /// The column headers.
    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// The rows, each with exactly one cell per header.
    pub fn rows(&self) -> &[Vec<String>] {
        &self.rows
    }

    /// Whether column `j` holds numbers (every non-empty cell looks numeric, and one exists).
    fn numeric(&self, j: usize) -> bool {
        let mut any = false;
        for row in &self.rows {
            let cell = row[j].trim();
            if cell.is_empty() {
                continue;
            }
            if !looks_numeric(cell) {
                return false;
            }
            any = true;
        }
        any
    }

    fn note(&self) -> Option<String> {
        (self.dropped > 0).then(|| {
            format!(
                "note: {} cell(s) beyond the {} column(s) were dropped",
                self.dropped,
                self.headers.len()
            )
        })
    }

    /// The table as an HTML `<table>` with inline styles that read well in JupyterLab's light
    /// and dark themes (text colour is inherited; lines and stripes are translucent grey).
    /// All text is HTML-escaped.
    pub fn to_html(&self) -> String {
        let mut s = String::new();
        s.push_str(
            "<table style=\"border-collapse:collapse;margin:0.5em 0;font-size:13px;\
             color:inherit;background:transparent;font-variant-numeric:tabular-nums\">",
        );
        if let Some(c) = &self.caption {
            let _ = write!(
                s,
                "<caption style=\"caption-side:top;text-align:left;font-weight:600;\
                 padding:0 0 4px 0;color:inherit\">{}</caption>",
                escape(c)
            );
        }
        let numeric: Vec<bool> = (0..self.headers.len()).map(|j| self.numeric(j)).collect();
        let align = |j: usize| if numeric[j] { "right" } else { "left" };
        s.push_str("<thead><tr>");
        for (j, h) in self.headers.iter().enumerate() {
            let _ = write!(
                s,
                "<th style=\"text-align:{};padding:3px 10px;border-bottom:1.5px solid \
                 rgba(127,127,127,0.8);font-weight:600;color:inherit\">{}</th>",
                align(j),
                escape(h)
            );
        }
        s.push_str("</tr></thead><tbody>");
        for (i, row) in self.rows.iter().enumerate() {
            let bg = if i % 2 == 1 { "rgba(127,127,127,0.10)" } else { "transparent" };
            let _ = write!(s, "<tr style=\"background:{bg}\">");
            for (j, cell) in row.iter().enumerate() {
                let _ = write!(
                    s,
                    "<td style=\"text-align:{};padding:2px 10px;border-bottom:1px solid \
                     rgba(127,127,127,0.25);color:inherit\">{}</td>",
                    align(j),
                    escape(cell)
                );
            }
            s.push_str("</tr>");
        }
        s.push_str("</tbody></table>");
        if let Some(note) = self.note() {
            let _ = write!(s, "<div style=\"font-size:11px;opacity:0.7\">{}</div>", escape(&note));
        }
        s
    }

    /// Prints the table as HTML in the format the evcxr Jupyter kernel renders inline. evcxr
    /// calls a method of this name when a value is the last expression of a cell.
    pub fn evcxr_display(&self) {
        println!("EVCXR_BEGIN_CONTENT text/html\n{}\nEVCXR_END_CONTENT", self.to_html());
    }
}

/// Plain text: caption, headers, a dashed rule per column, rows; columns separated by two
/// spaces, numeric columns right-aligned, trailing spaces trimmed.
impl fmt::Debug for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Table ({} rows) {}: end the cell with a plain variable (`t`) so evcxr can \
             call evcxr_display\n{self}",
            self.rows.len(),
            crate::plot::NOT_DRAWN_MARKER
        )
    }
}

impl Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.headers.len();
        let width = |s: &str| s.chars().count();
        let widths: Vec<usize> = (0..n)
            .map(|j| {
                self.rows
                    .iter()
                    .map(|r| width(&r[j]))
                    .chain([width(&self.headers[j])])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let numeric: Vec<bool> = (0..n).map(|j| self.numeric(j)).collect();
        let mut lines: Vec<String> = Vec::new();
        if let Some(c) = &self.caption {
            lines.push(c.clone());
        }
        let line = |cells: &[String]| {
            let mut s = String::new();
            for (j, cell) in cells.iter().enumerate() {
                if j > 0 {
                    s.push_str("  ");
                }
                let pad = widths[j].saturating_sub(width(cell));
                if numeric[j] {
                    s.push_str(&" ".repeat(pad));
                    s.push_str(cell);
                } else {
                    s.push_str(cell);
                    s.push_str(&" ".repeat(pad));
                }
            }
            s.trim_end().to_string()
        };
        lines.push(line(&self.headers));
        let rules: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
        lines.push(rules.join("  "));
        for row in &self.rows {
            lines.push(line(row));
        }
        if let Some(note) = self.note() {
            lines.push(note);
        }
        f.write_str(&lines.join("\n"))
    }
}

/// Whether a cell reads as a number, possibly with a short unit: `12`, `-0.5`, `1e-3`,
/// `99.9%`, `150 ms`, `2.5 µs`.
fn looks_numeric(cell: &str) -> bool {
    let end = cell
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || matches!(c, '+' | '-' | '.' | 'e' | 'E')))
        .map_or(cell.len(), |(i, _)| i);
    let (num, rest) = cell.split_at(end);
    let rest = rest.trim();
    num.parse::<f64>().is_ok()
        && rest.chars().count() <= 3
        && !rest.chars().any(|c| c.is_ascii_digit())
}

/// Escapes `&`, `<`, `>`, `"` and `'` for HTML.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        Table::new(["protocol", "msgs", "latency"])
            .row(["Paxos", "4", "2.5 ms"])
            .row(["Raft", "2", "1.25 ms"])
    }

    #[test]
    fn text_rendering_is_aligned() {
        let t = sample().caption("Commit cost");
        assert_eq!(
            t.to_string(),
            "Commit cost\n\
             protocol  msgs  latency\n\
             --------  ----  -------\n\
             Paxos        4   2.5 ms\n\
             Raft         2  1.25 ms"
        );
    }

    #[test]
    fn html_escapes_and_right_aligns_numbers() {
        let t = Table::new(["a<b", "n"]).row(["<script>&", "12"]).caption("x > y");
        let html = t.to_html();
        assert!(html.contains("a&lt;b"));
        assert!(html.contains("&lt;script&gt;&amp;"));
        assert!(html.contains("x &gt; y"));
        assert!(!html.contains("<script>"));
        assert!(html.contains("text-align:right;padding:2px 10px;border-bottom:1px solid rgba(127,127,127,0.25);color:inherit\">12"));
        assert!(html.contains("text-align:left;padding:2px 10px;border-bottom:1px solid rgba(127,127,127,0.25);color:inherit\">&lt;script"));
    }

    #[test]
    fn wrong_row_length_pads_truncates_or_errors() {
        let t = Table::new(["a", "b"]).row(["1"]).row(["1", "2", "3"]);
        assert_eq!(t.rows(), &[vec!["1".to_string(), String::new()], vec!["1".into(), "2".into()]]);
        assert!(t.to_string().ends_with("note: 1 cell(s) beyond the 2 column(s) were dropped"));
        let err = Table::new(["a", "b"]).try_row([1, 2, 3]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid table row 0: it has 3 cell(s) but the table has 2 column(s)"
        );
        assert!(Table::new(["a"]).try_row([1]).is_ok());
    }

    #[test]
    fn empty_table_renders() {
        let t = Table::new(Vec::<String>::new());
        assert_eq!(t.to_string(), "\n");
        assert!(t.to_html().starts_with("<table"));
    }

    #[test]
    fn numeric_detection() {
        for yes in ["12", "-0.5", "1e-3", "99.9%", "150 ms", "2.5 µs", "+3"] {
            assert!(looks_numeric(yes), "{yes}");
        }
        for no in ["n1", "Paxos", "1.2.3", "3 replicas", "e", "-", "1-2"] {
            assert!(!looks_numeric(no), "{no}");
        }
    }
}

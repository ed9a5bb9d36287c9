//! The data behind a verdict's timeline plot: one bar per operation, with the culprit and the
//! operations involved marked. `plot/consistency_view.rs` draws it.

use super::history::{History, Outcome};
use super::linear::{history_bars, Call};

/// How a bar is highlighted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum BarMark {
    None,
    Culprit,
    Involved,
}

/// One operation for the timeline.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TimelineBar {
    pub lane: u64,
    pub start: f64,
    pub end: Option<f64>,
    pub label: String,
    pub outcome: Outcome,
    pub mark: BarMark,
}

/// Everything needed to draw a history; kept in a verdict.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TimelineData {
    pub title: String,
    pub x_label: String,
    pub bars: Vec<TimelineBar>,
}

impl TimelineData {
    pub(crate) fn from_history(title: &str, h: &History) -> Self {
        TimelineData {
            title: title.to_string(),
            x_label: if h.has_times() { "time (ms)".into() } else { "event index".into() },
            bars: history_bars(h),
        }
    }

    pub(crate) fn from_calls<O>(
        title: &str,
        calls: &[Call<O>],
        label: &dyn Fn(&Call<O>) -> String,
    ) -> Self {
        TimelineData {
            title: title.to_string(),
            x_label: "time".into(),
            bars: calls
                .iter()
                .map(|c| TimelineBar {
                    lane: c.process,
                    start: c.invoke as f64,
                    end: c.ret.map(|r| r as f64),
                    label: label(c),
                    outcome: if c.ret.is_some() { Outcome::Ok } else { Outcome::Info },
                    mark: BarMark::None,
                })
                .collect(),
        }
    }

    /// Marks bar `culprit` red and `involved` orange (indices into the bars).
    pub(crate) fn marked(mut self, culprit: Option<usize>, involved: &[usize]) -> Self {
        for b in &mut self.bars {
            b.mark = BarMark::None;
        }
        for &i in involved {
            if let Some(b) = self.bars.get_mut(i) {
                b.mark = BarMark::Involved;
            }
        }
        if let Some(b) = culprit.and_then(|i| self.bars.get_mut(i)) {
            b.mark = BarMark::Culprit;
        }
        self
    }
}

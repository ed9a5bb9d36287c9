//! Views of a consistency check: the timeline of a [`Verdict`]'s history, with the culprit
//! marked. The checkers keep the plain bars ([`TimelineData`]); drawing them lives here, in the
//! plot layer, so `consistency` never depends on plotting.

use crate::consistency::timeline::{BarMark, TimelineData};
use crate::consistency::{Outcome, Verdict};
use crate::error::{Error, Result};
use crate::plot::{Bar, BarStyle, Figure, Timeline};

impl Verdict {
    /// The history's timeline (one lane per process, one bar per operation, from invocation
    /// to completion) with the culprit in red and the operations involved in orange. A long
    /// history is zoomed to the [`Verdict::ZOOM_OPS`] operations nearest the culprit (or the
    /// first ones when there is no culprit); [`Verdict::plot_all`] draws everything.
    ///
    /// # Errors
    /// When the verdict carries no history to draw (built by hand), or the plot fails.
    pub fn plot(&self) -> Result<Figure> {
        self.draw(true)
    }

    /// Like [`Verdict::plot`], never zoomed (at most [`Timeline::MAX_BARS`]
    /// operations).
    pub fn plot_all(&self) -> Result<Figure> {
        self.draw(false)
    }

    /// Operations shown by [`Verdict::plot`] around the culprit of a long history.
    pub const ZOOM_OPS: usize = 40;

    fn draw(&self, zoom: bool) -> Result<Figure> {
        let Some(t) = &self.timeline else {
            return Err(Error::invalid(
                "verdict plot",
                "this verdict has no history timeline attached",
            ));
        };
        let mut t = t.clone();
        let verdict =
            if self.ok { format!("{}: yes", self.model) } else { format!("{}: NO", self.model) };
        if zoom && t.bars.len() > Self::ZOOM_OPS {
            let centre = self.culprit.and_then(|c| t.bars.get(c)).map_or(0.0, |b| b.start);
            let mut idx: Vec<usize> = (0..t.bars.len()).collect();
            idx.sort_by(|&a, &b| {
                let d = |i: usize| (t.bars[i].start - centre).abs();
                d(a).total_cmp(&d(b)).then(a.cmp(&b))
            });
            let mut keep: Vec<usize> = idx.into_iter().take(Self::ZOOM_OPS).collect();
            keep.extend(self.involved.iter().copied().filter(|&i| i < t.bars.len()));
            keep.sort_unstable();
            keep.dedup();
            let total = t.bars.len();
            t.bars = keep.iter().map(|&i| t.bars[i].clone()).collect();
            t.title = format!(
                "{} — {verdict} ({} of {total} operations, around the culprit)",
                t.title,
                t.bars.len()
            );
        } else {
            t.title = format!("{} — {verdict}", t.title);
        }
        render(&t)
    }
}

/// The timeline of `t`: one lane per process (in process order), one bar per operation.
fn render(t: &TimelineData) -> Result<Figure> {
    let mut procs: Vec<u64> = t.bars.iter().map(|b| b.lane).collect();
    procs.sort_unstable();
    procs.dedup();
    let lane = |p: u64| procs.binary_search(&p).unwrap_or(0);
    let bars = t.bars.iter().map(|b| Bar {
        lane: lane(b.lane),
        start: b.start,
        end: b.end,
        label: b.label.clone(),
        style: match (b.mark, b.outcome) {
            (BarMark::Culprit, _) => BarStyle::Culprit,
            (BarMark::Involved, _) => BarStyle::Involved,
            (_, Outcome::Ok) => BarStyle::Ok,
            (_, Outcome::Fail) => BarStyle::Fail,
            (_, Outcome::Info) => BarStyle::Info,
        },
    });
    Timeline::new(t.title.clone())
        .x_label(t.x_label.clone())
        .lanes(procs.iter().map(|p| format!("p{p}")).collect())
        .bars(bars)
        .render()
}

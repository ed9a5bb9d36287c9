//! History timelines: one row per process, one bar per operation from invocation to
//! completion. The picture used to explain consistency checks (Herlihy & Wing's diagrams).

use plotters::style::{Color, RGBColor, WHITE};

use super::canvas::{render, text_width, truncate, Font, AXIS, GRID, H, TEXT, TEXT_MUTED, V};
use super::frame::{
    check_size, draw_title, fmt_linear_tick, linear_ticks, Scale, LABEL_PX, TICK_PX, TITLE_PX,
};
use super::style::PALETTE;
use super::{nothing_to_plot, Figure};
use crate::error::{Error, Result};

/// How an operation's bar is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BarStyle {
    /// Completed `ok` (blue).
    Ok,
    /// Failed: certainly no effect (grey, hollow).
    Fail,
    /// Indeterminate: may take effect any time after its start, or never (dashed, open to the
    /// right).
    Info,
    /// The operation a checker could not place (red).
    Culprit,
    /// Operations involved in the violation (orange).
    Involved,
}

/// One operation on a [`Timeline`].
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// Row (process index into the timeline's lanes).
    pub lane: usize,
    /// Invocation time.
    pub start: f64,
    /// Completion time; `None` for an operation that never returned (drawn to the right edge).
    pub end: Option<f64>,
    /// Text on or above the bar (`write 3`, `read → 1`).
    pub label: String,
    /// How to draw it.
    pub style: BarStyle,
}

/// A history timeline: processes as rows, time to the right, an operation as a bar from its
/// invocation to its completion.
///
/// Two operations are concurrent when their bars overlap in time; a linearizable history is
/// one where a point can be chosen inside every bar (the *linearization point*) so that the
/// operations, in the order of their points, make sense one after another.
///
/// ```
/// use course_lib::plot::{Bar, BarStyle, Timeline};
/// let fig = Timeline::new("a stale read")
///     .lanes(vec!["p0".into(), "p1".into()])
///     .bar(Bar { lane: 0, start: 0.0, end: Some(2.0), label: "write 1".into(), style: BarStyle::Ok })
///     .bar(Bar { lane: 1, start: 3.0, end: Some(4.0), label: "read → null".into(), style: BarStyle::Culprit })
///     .render()?;
/// assert!(fig.svg().contains("read → null"));
/// # Ok::<(), course_lib::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Timeline {
    title: String,
    x_label: String,
    lanes: Vec<String>,
    bars: Vec<Bar>,
    size: Option<(u32, u32)>,
    key_labels: Vec<(BarStyle, String)>,
}

const OK: RGBColor = PALETTE[0];
const FAIL: RGBColor = RGBColor(0x99, 0x99, 0x99);
const INFO: RGBColor = RGBColor(0x6A, 0x3D, 0x9A);
const CULPRIT: RGBColor = RGBColor(0xC0, 0x39, 0x2B);
const INVOLVED: RGBColor = PALETTE[4];
const BAR_LABEL_PX: f64 = 10.0;

fn color(s: BarStyle) -> RGBColor {
    match s {
        BarStyle::Ok => OK,
        BarStyle::Fail => FAIL,
        BarStyle::Info => INFO,
        BarStyle::Culprit => CULPRIT,
        BarStyle::Involved => INVOLVED,
    }
}

impl Timeline {
    /// Most bars one timeline draws.
    pub const MAX_BARS: usize = 600;

    /// A new, empty timeline.
    pub fn new(title: impl Into<String>) -> Self {
        Timeline {
            title: title.into(),
            x_label: "time".into(),
            lanes: Vec::new(),
            bars: Vec::new(),
            size: None,
            key_labels: Vec::new(),
        }
    }

    /// Replaces the key's text for bars of `style` (the defaults speak of operations in a
    /// history: "ok (invoke → complete)", …). A timeline of leases, say, renames them:
    /// `.key_label(BarStyle::Fail, "paused (GC)")`.
    pub fn key_label(mut self, style: BarStyle, text: impl Into<String>) -> Self {
        self.key_labels.retain(|(s, _)| *s != style);
        self.key_labels.push((style, text.into()));
        self
    }

    /// The label of the time axis (default "time"), e.g. "time (ms)" or "event index".
    pub fn x_label(mut self, label: impl Into<String>) -> Self {
        self.x_label = label.into();
        self
    }

    /// The rows, top to bottom (process names).
    pub fn lanes(mut self, lanes: Vec<String>) -> Self {
        self.lanes = lanes;
        self
    }

    /// Adds one operation.
    pub fn bar(mut self, bar: Bar) -> Self {
        self.bars.push(bar);
        self
    }

    /// Adds many operations.
    pub fn bars(mut self, bars: impl IntoIterator<Item = Bar>) -> Self {
        self.bars.extend(bars);
        self
    }

    /// Figure size in pixels (default: 760 wide, 46 px per row).
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = Some((width, height));
        self
    }

    fn validate(&self) -> Result<()> {
        if let Some((w, h)) = self.size {
            check_size(w, h)?;
        }
        if self.lanes.is_empty() {
            return Err(Error::empty("the lane list of the timeline", "give one lane per process"));
        }
        if self.bars.is_empty() {
            return Err(nothing_to_plot("timeline", ".bar(..)"));
        }
        if self.bars.len() > Self::MAX_BARS {
            return Err(Error::invalid(
                "timeline",
                format!(
                    "{} operations are too many to draw (at most {}); plot a window of the history",
                    self.bars.len(),
                    Self::MAX_BARS
                ),
            ));
        }
        for (i, b) in self.bars.iter().enumerate() {
            if b.lane >= self.lanes.len() {
                return Err(Error::UnknownNode {
                    node: b.lane,
                    cluster_size: self.lanes.len(),
                    context: format!("bar {i} (\"{}\") of the timeline", b.label),
                });
            }
            if !b.start.is_finite() || b.end.is_some_and(|e| !e.is_finite() || e < b.start) {
                return Err(Error::out_of_range(
                    format!("bar {i} (\"{}\") times", b.label),
                    format!("{} – {:?}", b.start, b.end),
                    "must be finite, with end >= start",
                ));
            }
        }
        Ok(())
    }

    /// Renders the timeline.
    ///
    /// # Errors
    /// No lanes or no bars; more than [`Self::MAX_BARS`] bars; a lane that does not exist; a
    /// non-finite time or an end before its start.
    pub fn render(&self) -> Result<Figure> {
        self.validate()?;
        let t0 = self.bars.iter().map(|b| b.start).fold(f64::INFINITY, f64::min);
        let t1 =
            self.bars.iter().map(|b| b.end.unwrap_or(b.start)).fold(f64::NEG_INFINITY, f64::max);
        let span = (t1 - t0).max(1e-9);
        let (lo, hi) = (t0 - 0.02 * span, t1 + 0.08 * span);
        let n_lanes = self.lanes.len();
        let (w, h) = self.size.unwrap_or((760, (110.0 + 46.0 * n_lanes as f64).min(1600.0) as u32));
        render(&self.title, w, h, |c| {
            let top = if self.title.is_empty() { 12.0 } else { 14.0 + TITLE_PX + 14.0 };
            if !self.title.is_empty() {
                draw_title(c, &self.title)?;
            }
            let lane_w = self.lanes.iter().map(|l| text_width(l, LABEL_PX)).fold(0.0, f64::max);
            let left = 12.0 + lane_w + 10.0;
            let right = c.w - 14.0;
            let key_h = 26.0;
            let bottom = c.h - key_h - 8.0 - TICK_PX - LABEL_PX - 14.0;
            let row_h = (bottom - top) / n_lanes as f64;
            let x = Scale::new(lo, hi, false, left, right);
            // grid and time axis
            let (ticks, step) = linear_ticks(lo, hi, ((right - left) / 80.0) as usize);
            for t in &ticks {
                let px = x.px(*t);
                c.line((px, top), (px, bottom), GRID.to_rgba(), 1, None)?;
                c.line((px, bottom), (px, bottom + 4.0), AXIS.to_rgba(), 1, None)?;
                c.text(
                    &fmt_linear_tick(*t, step),
                    px,
                    bottom + 6.0,
                    Font::new(TICK_PX).color(TEXT_MUTED).anchor(H::Center, V::Top),
                )?;
            }
            c.line((left, bottom), (right, bottom), AXIS.to_rgba(), 1, None)?;
            c.text(
                &self.x_label,
                (left + right) / 2.0,
                bottom + 8.0 + TICK_PX + 4.0,
                Font::new(LABEL_PX).anchor(H::Center, V::Top),
            )?;
            for (i, name) in self.lanes.iter().enumerate() {
                let y = top + row_h * (i as f64 + 0.5);
                c.text(name, 12.0, y, Font::new(LABEL_PX).bold().anchor(H::Left, V::Center))?;
                c.line((left, y), (right, y), GRID.to_rgba(), 1, Some("2,3"))?;
            }
            // bars: plain ones first, marked ones on top
            let bar_h = (row_h * 0.34).clamp(5.0, 14.0);
            let ends = |b: &Bar| -> (f64, f64, bool) {
                let x0 = x.px(b.start);
                match b.end {
                    Some(e) => (x0, x.px(e).max(x0 + 3.0), false),
                    None => (x0, right - 2.0, true),
                }
            };
            let is_marked = |b: &Bar| matches!(b.style, BarStyle::Culprit | BarStyle::Involved);
            // Labels: marked bars claim their space first, then the others in time order; a
            // label that would overlap one already placed in its lane is left out.
            let mut placed: Vec<Vec<(f64, f64)>> = vec![Vec::new(); n_lanes];
            let mut label: Vec<Option<String>> = vec![None; self.bars.len()];
            let mut by_priority: Vec<usize> = (0..self.bars.len()).collect();
            by_priority.sort_by(|&i, &j| {
                let (a, b) = (&self.bars[i], &self.bars[j]);
                is_marked(b).cmp(&is_marked(a)).then(a.start.total_cmp(&b.start)).then(i.cmp(&j))
            });
            let mut hidden = 0usize;
            for i in by_priority {
                let b = &self.bars[i];
                let (x0, x1, _) = ends(b);
                let max_chars = ((x1 - x0).max(70.0) / (BAR_LABEL_PX * 0.58)) as usize;
                let text = truncate(&b.label, max_chars);
                let span = (x0 - 2.0, x0 + text_width(&text, BAR_LABEL_PX) + 2.0);
                if placed[b.lane].iter().any(|&(l, r)| span.0 < r && l < span.1) {
                    hidden += 1;
                    continue;
                }
                placed[b.lane].push(span);
                label[i] = Some(text);
            }
            // Bars: plain ones first, marked ones on top.
            let mut order: Vec<usize> = (0..self.bars.len()).collect();
            order.sort_by_key(|&i| is_marked(&self.bars[i]));
            for i in order {
                let b = &self.bars[i];
                let y = top + row_h * (b.lane as f64 + 0.5);
                let col = color(b.style);
                let (x0, x1, open) = ends(b);
                if open {
                    c.line((x0, y), (x1, y), col.to_rgba(), 2, Some("5,3"))?;
                    c.fill_rect((x0, y - bar_h / 2.0), (x0 + 3.0, y + bar_h / 2.0), col.to_rgba())?;
                    c.polygon(&[(x1, y), (x1 - 7.0, y - 4.0), (x1 - 7.0, y + 4.0)], col.to_rgba())?;
                } else if b.style == BarStyle::Fail {
                    c.fill_rect((x0, y - bar_h / 2.0), (x1, y + bar_h / 2.0), WHITE.to_rgba())?;
                    c.stroke_rect((x0, y - bar_h / 2.0), (x1, y + bar_h / 2.0), col.to_rgba())?;
                } else {
                    c.fill_rect((x0, y - bar_h / 2.0), (x1, y + bar_h / 2.0), col.mix(0.85))?;
                }
                if let Some(text) = &label[i] {
                    let mut font = Font::new(BAR_LABEL_PX).color(if b.style == BarStyle::Ok {
                        TEXT
                    } else {
                        col
                    });
                    if b.style == BarStyle::Culprit {
                        font = font.bold();
                    }
                    c.text(text, x0, y - bar_h / 2.0 - 2.0, font.anchor(H::Left, V::Bottom))?;
                }
            }
            // key
            let mut kx = left;
            let ky = c.h - key_h / 2.0 - 4.0;
            let styles: Vec<BarStyle> = [
                BarStyle::Ok,
                BarStyle::Fail,
                BarStyle::Info,
                BarStyle::Culprit,
                BarStyle::Involved,
            ]
            .into_iter()
            .filter(|s| self.bars.iter().any(|b| b.style == *s))
            .collect();
            for s in styles {
                let col = color(s);
                let custom = self.key_labels.iter().find(|(k, _)| *k == s);
                let text = match s {
                    _ if custom.is_some() => custom.map_or("", |(_, t)| t.as_str()),
                    BarStyle::Ok => "ok (invoke → complete)",
                    BarStyle::Fail => "fail (no effect)",
                    BarStyle::Info => "info (unknown, may take effect later)",
                    BarStyle::Culprit => "cannot be ordered",
                    BarStyle::Involved => "pending at that point",
                };
                match s {
                    BarStyle::Info => {
                        c.line((kx, ky), (kx + 16.0, ky), col.to_rgba(), 2, Some("5,3"))?
                    }
                    BarStyle::Fail => {
                        c.stroke_rect((kx, ky - 4.0), (kx + 16.0, ky + 4.0), col.to_rgba())?
                    }
                    _ => c.fill_rect((kx, ky - 4.0), (kx + 16.0, ky + 4.0), col.to_rgba())?,
                }
                c.text(
                    text,
                    kx + 21.0,
                    ky,
                    Font::new(TICK_PX).color(TEXT).anchor(H::Left, V::Center),
                )?;
                kx += 21.0 + text_width(text, TICK_PX) + 16.0;
            }
            let note = format!("({hidden} labels hidden to avoid overlap)");
            if hidden > 0 && kx + text_width(&note, TICK_PX) <= right {
                c.text(
                    &note,
                    right,
                    ky,
                    Font::new(TICK_PX).color(TEXT_MUTED).anchor(H::Right, V::Center),
                )?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(lane: usize, s: f64, e: Option<f64>, style: BarStyle) -> Bar {
        Bar { lane, start: s, end: e, label: "op".into(), style }
    }

    #[test]
    fn draws_every_style_and_a_key() {
        let fig = Timeline::new("t")
            .lanes(vec!["p0".into(), "p1".into()])
            .bar(bar(0, 0.0, Some(1.0), BarStyle::Ok))
            .bar(bar(0, 2.0, Some(3.0), BarStyle::Fail))
            .bar(bar(1, 0.5, None, BarStyle::Info))
            .bar(bar(1, 4.0, Some(5.0), BarStyle::Culprit))
            .bar(bar(0, 4.0, Some(6.0), BarStyle::Involved))
            .x_label("event index")
            .render()
            .unwrap();
        for s in ["cannot be ordered", "info (unknown", "fail (no effect)", "event index"] {
            assert!(fig.svg().contains(s), "{s}");
        }
    }

    #[test]
    fn key_labels_can_be_renamed() {
        let fig = Timeline::new("t")
            .lanes(vec!["c0".into()])
            .bar(bar(0, 0.0, Some(1.0), BarStyle::Ok))
            .bar(bar(0, 2.0, Some(3.0), BarStyle::Fail))
            .key_label(BarStyle::Fail, "first")
            .key_label(BarStyle::Fail, "paused (GC)")
            .render()
            .unwrap();
        assert!(fig.svg().contains("paused (GC)"));
        assert!(!fig.svg().contains("first") && !fig.svg().contains("fail (no effect)"));
        assert!(fig.svg().contains("ok (invoke"));
    }

    #[test]
    fn bad_input_is_an_error() {
        let t = Timeline::new("t").lanes(vec!["p0".into()]);
        assert!(t.clone().render().unwrap_err().to_string().contains("nothing"));
        assert!(Timeline::new("t").bar(bar(0, 0.0, None, BarStyle::Ok)).render().is_err());
        let e = t.clone().bar(bar(3, 0.0, None, BarStyle::Ok)).render().unwrap_err();
        assert!(e.to_string().contains("unknown node n3"), "{e}");
        let e = t.bar(bar(0, 2.0, Some(1.0), BarStyle::Ok)).render().unwrap_err();
        assert!(e.to_string().contains("end >= start"), "{e}");
    }
}

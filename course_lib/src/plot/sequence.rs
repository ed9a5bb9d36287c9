//! Message sequence charts (space-time diagrams): what one run of a protocol did.

use plotters::style::{Color, RGBColor, WHITE};

use super::canvas::{
    render, text_width, truncate, Canvas, Font, AXIS, GRID, H, TEXT, TEXT_MUTED, V,
};
use super::frame::{
    check_size, draw_title, fmt_linear_tick, linear_ticks, Scale, LABEL_PX, TICK_PX, TITLE_PX,
};
use super::style::PALETTE;
use super::{nothing_to_plot, Figure};
use crate::error::{Error, Result};

const NOTE_PX: f64 = 9.5;
const LANE_PX: f64 = 12.0;
const DELIVERED: RGBColor = PALETTE[0];
const LOST: RGBColor = PALETTE[1];
const CRASH: RGBColor = RGBColor(0xC0, 0x39, 0x2B);
const RESTART: RGBColor = PALETTE[2];
const TIMER: RGBColor = RGBColor(0xB8, 0x7A, 0x00);
const NOTE: RGBColor = RGBColor(0x55, 0x55, 0x55);
const DOWN: RGBColor = PALETTE[1];
const LIFELINE: RGBColor = RGBColor(0x99, 0x99, 0x99);

/// One message: sent by lane `from` at `sent_ms`, received by lane `to` at `received_ms`,
/// or lost (`received_ms: None`, drawn as a short arrow ending in ×).
#[derive(Clone, Debug, PartialEq)]
pub struct Arrow {
    /// Sending lane (node index into the diagram's lanes).
    pub from: usize,
    /// Receiving lane; may equal `from` (a message to itself is drawn as a loop).
    pub to: usize,
    /// Send time, ms.
    pub sent_ms: f64,
    /// Receive time, ms (≥ `sent_ms`); `None` if the network dropped the message.
    pub received_ms: Option<f64>,
    /// Text written near the arrow (message type, e.g. `"Prepare(b=3)"`).
    pub label: String,
}

impl Arrow {
    /// A delivered message.
    pub fn delivered(
        from: usize,
        to: usize,
        sent_ms: f64,
        received_ms: f64,
        label: impl Into<String>,
    ) -> Self {
        Arrow { from, to, sent_ms, received_ms: Some(received_ms), label: label.into() }
    }

    /// A lost message.
    pub fn lost(from: usize, to: usize, sent_ms: f64, label: impl Into<String>) -> Self {
        Arrow { from, to, sent_ms, received_ms: None, label: label.into() }
    }
}

/// What happened at a point on a lifeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MarkKind {
    /// The node crashed (red ×).
    Crash,
    /// The node restarted (green triangle).
    Restart,
    /// A timer fired (orange ring).
    Timer,
    /// Anything else worth pointing at (grey diamond), e.g. "commits index 4".
    Note,
}

/// An event on one lifeline: a crash, restart, timer or note.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    /// The lane (node index).
    pub lane: usize,
    /// When, ms.
    pub at_ms: f64,
    /// Text beside the mark.
    pub label: String,
    /// What kind of event; decides the symbol.
    pub kind: MarkKind,
}

impl Mark {
    /// A mark of `kind` on `lane` at `at_ms`.
    pub fn new(lane: usize, at_ms: f64, kind: MarkKind, label: impl Into<String>) -> Self {
        Mark { lane, at_ms, label: label.into(), kind }
    }
}

/// A message sequence chart: one vertical lifeline per lane (node), time flowing down,
/// messages as diagonal arrows from sender at the send time to receiver at the receive time.
///
/// A steeper arrow is a slower message; arrows that cross were reordered; an arrow ending in
/// × was lost. Labels that would overlap are left out (the key says how many), so the diagram
/// stays readable with ~10 lanes and ~100 arrows; filter longer traces to a window.
///
/// ```
/// use course_lib::plot::{Arrow, Mark, MarkKind, SequenceDiagram};
/// let fig = SequenceDiagram::new("Heartbeats, one lost")
///     .lanes(vec!["n0".into(), "n1".into()])
///     .arrow(Arrow::delivered(0, 1, 0.0, 12.0, "ping"))
///     .arrow(Arrow::lost(0, 1, 100.0, "ping"))
///     .mark(Mark::new(1, 160.0, MarkKind::Timer, "suspect n0"))
///     .render()?;
/// assert!(fig.svg().contains("suspect n0"));
/// # Ok::<(), course_lib::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct SequenceDiagram {
    title: String,
    lanes: Vec<String>,
    arrows: Vec<Arrow>,
    marks: Vec<Mark>,
    spans: Vec<(usize, f64, f64, String)>,
    size: Option<(u32, u32)>,
    arrow_labels: bool,
}

/// Placed label boxes, to keep labels from overlapping.
#[derive(Default)]
struct Boxes(Vec<(f64, f64, f64, f64)>);

impl Boxes {
    fn free(&self, b: (f64, f64, f64, f64)) -> bool {
        self.0.iter().all(|o| b.2 < o.0 || b.0 > o.2 || b.3 < o.1 || b.1 > o.3)
    }
}

impl SequenceDiagram {
    /// Most arrows one diagram draws; beyond this it is unreadable at any size.
    pub const MAX_ARROWS: usize = 400;

    /// A new, empty diagram titled `title`.
    pub fn new(title: impl Into<String>) -> Self {
        SequenceDiagram {
            title: title.into(),
            lanes: Vec::new(),
            arrows: Vec::new(),
            marks: Vec::new(),
            spans: Vec::new(),
            size: None,
            arrow_labels: true,
        }
    }

    /// The lanes (node names), left to right; arrows and marks refer to them by index.
    pub fn lanes(mut self, lanes: Vec<String>) -> Self {
        self.lanes = lanes;
        self
    }

    /// Adds a message arrow.
    pub fn arrow(mut self, arrow: Arrow) -> Self {
        self.arrows.push(arrow);
        self
    }

    /// Adds many message arrows (e.g. converted from a simulator trace).
    pub fn arrows(mut self, arrows: impl IntoIterator<Item = Arrow>) -> Self {
        self.arrows.extend(arrows);
        self
    }

    /// Adds a mark (crash, restart, timer, note) on a lifeline.
    pub fn mark(mut self, mark: Mark) -> Self {
        self.marks.push(mark);
        self
    }

    /// Adds many marks.
    pub fn marks(mut self, marks: impl IntoIterator<Item = Mark>) -> Self {
        self.marks.extend(marks);
        self
    }

    /// Shades `lane` from `from_ms` to `to_ms` (e.g. "down", "partitioned").
    pub fn span(mut self, lane: usize, from_ms: f64, to_ms: f64, label: impl Into<String>) -> Self {
        self.spans.push((lane, from_ms, to_ms, label.into()));
        self
    }

    /// Whether to write message labels next to the arrows (default: yes).
    pub fn arrow_labels(mut self, on: bool) -> Self {
        self.arrow_labels = on;
        self
    }

    /// Figure size in pixels. Default: 720 wide, and tall enough for the number of arrows.
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = Some((width, height));
        self
    }

    fn validate(&self) -> Result<()> {
        if let Some((w, h)) = self.size {
            check_size(w, h)?;
        }
        let n = self.lanes.len();
        if n == 0 {
            return Err(Error::empty(
                "the lane list of the sequence diagram",
                "give one lane per node with .lanes(vec![\"n0\".into(), ...])",
            ));
        }
        if self.arrows.len() > Self::MAX_ARROWS {
            return Err(Error::invalid(
                "sequence diagram",
                format!(
                    "{} arrows are too many to draw; filter the trace to a window (at most {} arrows)",
                    self.arrows.len(),
                    Self::MAX_ARROWS
                ),
            ));
        }
        if self.arrows.is_empty() && self.marks.is_empty() && self.spans.is_empty() {
            return Err(nothing_to_plot("sequence diagram", ".arrow(..), .mark(..) or .span(..)"));
        }
        let lane = |node: usize, context: String| -> Result<()> {
            if node < n {
                Ok(())
            } else {
                Err(Error::UnknownNode { node, cluster_size: n, context })
            }
        };
        let finite = |name: String, v: f64| -> Result<()> {
            if v.is_finite() {
                Ok(())
            } else {
                Err(Error::out_of_range(name, v, "must be a finite time in ms"))
            }
        };
        for (i, a) in self.arrows.iter().enumerate() {
            let what = format!("arrow {i} (\"{}\")", a.label);
            lane(a.from, format!("{what} of the sequence diagram (from)"))?;
            lane(a.to, format!("{what} of the sequence diagram (to)"))?;
            finite(format!("{what} sent_ms"), a.sent_ms)?;
            if let Some(r) = a.received_ms {
                finite(format!("{what} received_ms"), r)?;
                if r < a.sent_ms {
                    return Err(Error::out_of_range(
                        format!("{what} received_ms"),
                        r,
                        format!("must be at least sent_ms = {}: a message cannot arrive before it is sent", a.sent_ms),
                    ));
                }
            }
        }
        for (i, m) in self.marks.iter().enumerate() {
            let what = format!("mark {i} (\"{}\")", m.label);
            lane(m.lane, format!("{what} of the sequence diagram"))?;
            finite(format!("{what} at_ms"), m.at_ms)?;
        }
        for (i, (l, a, b, label)) in self.spans.iter().enumerate() {
            let what = format!("span {i} (\"{label}\")");
            lane(*l, format!("{what} of the sequence diagram"))?;
            finite(format!("{what} from_ms"), *a)?;
            finite(format!("{what} to_ms"), *b)?;
            if b < a {
                return Err(Error::out_of_range(
                    format!("{what} to_ms"),
                    b,
                    format!("must be at least from_ms = {a}"),
                ));
            }
        }
        Ok(())
    }

    /// How long a lost message's stub is drawn, in ms: half the median delivery delay.
    fn lost_stub_ms(&self, span_ms: f64) -> f64 {
        let delays: Vec<f64> = self
            .arrows
            .iter()
            .filter_map(|a| a.received_ms.map(|r| r - a.sent_ms))
            .filter(|d| *d > 0.0)
            .collect();
        let median = crate::stats::quantile(&delays, 0.5).unwrap_or(span_ms * 0.08);
        (median * 0.5).max(span_ms * 0.01)
    }

    /// Renders the diagram.
    ///
    /// # Errors
    /// No lanes; nothing to draw; more than [`Self::MAX_ARROWS`] arrows; a lane index that does not
    /// exist; a NaN or infinite time; a message received before it was sent; a span ending
    /// before it starts.
    pub fn render(&self) -> Result<Figure> {
        self.validate()?;
        let times = self
            .arrows
            .iter()
            .flat_map(|a| [Some(a.sent_ms), a.received_ms])
            .flatten()
            .chain(self.marks.iter().map(|m| m.at_ms))
            .chain(self.spans.iter().flat_map(|s| [s.1, s.2]));
        let (mut t0, mut t1) =
            times.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), t| (a.min(t), b.max(t)));
        let stub = self.lost_stub_ms((t1 - t0).max(1.0));
        for a in self.arrows.iter().filter(|a| a.received_ms.is_none()) {
            t1 = t1.max(a.sent_ms + stub);
        }
        if t0 >= 0.0 && t0 <= 0.15 * t1 {
            t0 = 0.0;
        }
        if t1 - t0 < 1e-9 {
            t1 = t0 + 1.0;
        }
        let pad = (t1 - t0) * 0.03;
        let (t0, t1) = (if t0 == 0.0 { 0.0 } else { t0 - pad }, t1 + pad);

        let n_lanes = self.lanes.len();
        let (w, h) = self.size.unwrap_or_else(|| {
            let body = 140.0 + 11.0 * self.arrows.len() as f64 + 7.0 * self.marks.len() as f64;
            (720, (body.clamp(300.0, 1500.0) + 120.0) as u32)
        });
        render(&self.title, w, h, |c| {
            let top_title = if self.title.is_empty() { 10.0 } else { 14.0 + TITLE_PX + 10.0 };
            if !self.title.is_empty() {
                draw_title(c, &self.title)?;
            }
            let lanes_y = top_title + LANE_PX / 2.0 + 2.0;
            let top = lanes_y + LANE_PX + 8.0;
            let key_h = 28.0;
            let bottom = c.h - key_h - 8.0;
            let (ticks, step) =
                linear_ticks(t0, t1, ((bottom - top) / 45.0).clamp(2.0, 20.0) as usize);
            let labels: Vec<String> = ticks.iter().map(|&t| fmt_linear_tick(t, step)).collect();
            let tick_w = labels.iter().map(|l| text_width(l, TICK_PX)).fold(0.0, f64::max);
            let axis_x = 10.0 + LABEL_PX + 8.0 + tick_w + 8.0;
            let right = c.w - 12.0;
            let lane_w = (right - axis_x) / n_lanes as f64;
            let lane_x: Vec<f64> =
                (0..n_lanes).map(|i| axis_x + lane_w * (i as f64 + 0.5)).collect();
            let y = Scale::new(t0, t1, false, top, bottom);

            // Time axis and faint time grid.
            let muted = Font::new(TICK_PX).color(TEXT_MUTED);
            for (t, l) in ticks.iter().zip(&labels) {
                let py = y.px(*t);
                c.line((axis_x, py), (right, py), GRID.to_rgba(), 1, None)?;
                c.line((axis_x - 4.0, py), (axis_x, py), AXIS.to_rgba(), 1, None)?;
                c.text(l, axis_x - 7.0, py, muted.anchor(H::Right, V::Center))?;
            }
            c.line((axis_x, top), (axis_x, bottom), AXIS.to_rgba(), 1, None)?;
            let yl = Font::new(LABEL_PX).anchor(H::Center, V::Center).vertical();
            c.text("time (ms)", 10.0 + LABEL_PX / 2.0, (top + bottom) / 2.0, yl)?;

            // Lane headers and lifelines.
            let max_chars = ((lane_w - 4.0) / (LANE_PX * 0.58)).max(3.0) as usize;
            for (name, &x) in self.lanes.iter().zip(&lane_x) {
                let font = Font::new(LANE_PX).bold().anchor(H::Center, V::Center);
                c.text(&truncate(name, max_chars), x, lanes_y, font)?;
                c.line((x, top - 4.0), (x, bottom), LIFELINE.to_rgba(), 1, None)?;
            }

            let mut boxes = Boxes::default();
            let mut present = Present::default();
            // Spans (behind everything).
            for (lane, a, b, label) in &self.spans {
                let x = lane_x[*lane];
                let (ya, yb) = (y.px(*a), y.px(*b).max(y.px(*a) + 2.0));
                c.fill_rect((x - 7.0, ya), (x + 7.0, yb), DOWN.mix(0.22))?;
                c.line((x - 7.0, ya), (x + 7.0, ya), DOWN.to_rgba(), 1, None)?;
                c.line((x - 7.0, yb), (x + 7.0, yb), DOWN.to_rgba(), 1, None)?;
                place_label(
                    c,
                    &mut boxes,
                    label,
                    &[(x + 10.0, ya + 2.0)],
                    H::Left,
                    V::Top,
                    DOWN,
                    max_chars * 2,
                )?;
                present.span = true;
            }
            // Marks: symbols now, labels placed before arrow labels so they win.
            for m in &self.marks {
                let p = (lane_x[m.lane], y.px(m.at_ms));
                let color = draw_mark(c, m.kind, p)?;
                present.mark(m.kind);
                let cands = [(p.0 + 9.0, p.1), (p.0 - 9.0, p.1)];
                let lab = truncate(&m.label, max_chars * 2);
                let first = (
                    cands[0].0,
                    p.1 - NOTE_PX / 2.0,
                    cands[0].0 + text_width(&lab, NOTE_PX),
                    p.1 + NOTE_PX / 2.0,
                );
                let (pos, anchor) = if boxes.free(first) || first.2 < right {
                    (cands[0], H::Left)
                } else {
                    (cands[1], H::Right)
                };
                place_label(c, &mut boxes, &lab, &[pos], anchor, V::Center, color, usize::MAX)?;
            }
            // Arrows.
            let mut hidden = 0;
            let label_chars = ((lane_w * 1.3) / (NOTE_PX * 0.58)).max(6.0) as usize;
            for a in &self.arrows {
                let (x0, y0) = (lane_x[a.from], y.px(a.sent_ms));
                let lost = a.received_ms.is_none();
                let color = if lost { LOST } else { DELIVERED };
                let dash = if lost { Some("4,3") } else { None };
                let (pts, end) = if a.from == a.to {
                    let y1 = y.px(a.received_ms.unwrap_or(a.sent_ms + stub)).max(y0 + 6.0);
                    let loop_w = (lane_w * 0.3).clamp(10.0, 22.0);
                    (
                        vec![(x0, y0), (x0 + loop_w, y0), (x0 + loop_w, y1), (x0 + 1.0, y1)],
                        (x0 + 1.0, y1),
                    )
                } else {
                    let x1 = lane_x[a.to];
                    let y1 = y.px(a.received_ms.unwrap_or(a.sent_ms + stub));
                    let (xe, ye) = if lost {
                        (x0 + (x1 - x0) * 0.45, y0 + (y1 - y0) * 0.45)
                    } else {
                        (x1, y1)
                    };
                    (vec![(x0, y0), (xe, ye)], (xe, ye))
                };
                c.polyline(&pts, color.to_rgba(), 1, dash)?;
                let prev = pts[pts.len() - 2];
                if lost {
                    draw_x(c, end, 4.5, LOST, 2)?;
                    present.lost = true;
                } else {
                    arrowhead(c, prev, end, color)?;
                    present.delivered = true;
                }
                if self.arrow_labels && !a.label.is_empty() {
                    let (p, q) = (pts[0], pts[pts.len() - 1]);
                    let (p, q) = if a.from == a.to { (pts[1], pts[2]) } else { (p, q) };
                    let cands: Vec<(f64, f64)> = [0.5, 0.35, 0.65, 0.22, 0.78]
                        .iter()
                        .map(|t| (p.0 + (q.0 - p.0) * t, p.1 + (q.1 - p.1) * t))
                        .collect();
                    let (anchor, cands) = if a.from == a.to {
                        (H::Left, cands.into_iter().map(|(x, y)| (x + 3.0, y)).collect())
                    } else {
                        (H::Center, cands)
                    };
                    let tcol = if lost { LOST } else { RGBColor(0x1A, 0x3F, 0x6B) };
                    if !place_label(
                        c,
                        &mut boxes,
                        &a.label,
                        &cands,
                        anchor,
                        V::Center,
                        tcol,
                        label_chars,
                    )? {
                        hidden += 1;
                    }
                }
            }
            draw_key(c, &present, hidden, axis_x, c.h - key_h / 2.0 - 4.0)
        })
    }
}

/// Which kinds of things the diagram contains (for the key).
#[derive(Default)]
struct Present {
    delivered: bool,
    lost: bool,
    crash: bool,
    restart: bool,
    timer: bool,
    note: bool,
    span: bool,
}

impl Present {
    fn mark(&mut self, k: MarkKind) {
        match k {
            MarkKind::Crash => self.crash = true,
            MarkKind::Restart => self.restart = true,
            MarkKind::Timer => self.timer = true,
            MarkKind::Note => self.note = true,
        }
    }
}

/// Places `label` at the first candidate position where it overlaps no earlier label, on a
/// translucent white background. Returns whether it was placed.
#[allow(clippy::too_many_arguments)]
fn place_label(
    c: &Canvas<'_>,
    boxes: &mut Boxes,
    label: &str,
    cands: &[(f64, f64)],
    h: H,
    v: V,
    color: RGBColor,
    max_chars: usize,
) -> Result<bool> {
    if label.is_empty() {
        return Ok(true);
    }
    let label = truncate(label, max_chars);
    let w = text_width(&label, NOTE_PX);
    let hgt = NOTE_PX + 2.0;
    let boxed = |(x, y): (f64, f64)| {
        let x0 = match h {
            H::Left => x,
            H::Center => x - w / 2.0,
            H::Right => x - w,
        };
        let y0 = match v {
            V::Top => y,
            V::Center => y - hgt / 2.0,
            V::Bottom => y - hgt,
        };
        (x0 - 1.5, y0, x0 + w + 1.5, y0 + hgt)
    };
    // Marks and spans (single candidate) are always drawn; arrow labels only where free.
    let chosen = cands.iter().copied().find(|&p| boxes.free(boxed(p)));
    let pos = match (chosen, cands.len()) {
        (Some(p), _) => p,
        (None, 1) => cands[0],
        (None, _) => return Ok(false),
    };
    let b = boxed(pos);
    boxes.0.push(b);
    c.fill_rect((b.0, b.1), (b.2, b.3), WHITE.mix(0.85))?;
    c.text(&label, pos.0, pos.1, Font::new(NOTE_PX).color(color).anchor(h, v))?;
    Ok(true)
}

/// A filled arrowhead at `tip`, pointing away from `from`.
fn arrowhead(c: &Canvas<'_>, from: (f64, f64), tip: (f64, f64), color: RGBColor) -> Result<()> {
    let (dx, dy) = (tip.0 - from.0, tip.1 - from.1);
    let len = (dx * dx + dy * dy).sqrt();
    if len < 1e-6 {
        return Ok(());
    }
    let (ux, uy) = (dx / len, dy / len);
    let (l, hw) = (7.0, 3.0);
    let base = (tip.0 - ux * l, tip.1 - uy * l);
    c.polygon(
        &[tip, (base.0 - uy * hw, base.1 + ux * hw), (base.0 + uy * hw, base.1 - ux * hw)],
        color.to_rgba(),
    )
}

/// An × of half-size `r`.
fn draw_x(c: &Canvas<'_>, p: (f64, f64), r: f64, color: RGBColor, width: u32) -> Result<()> {
    c.line((p.0 - r, p.1 - r), (p.0 + r, p.1 + r), color.to_rgba(), width, None)?;
    c.line((p.0 - r, p.1 + r), (p.0 + r, p.1 - r), color.to_rgba(), width, None)
}

/// Draws the symbol of a mark kind at `p`; returns its colour.
fn draw_mark(c: &Canvas<'_>, kind: MarkKind, p: (f64, f64)) -> Result<RGBColor> {
    let (x, y) = p;
    match kind {
        MarkKind::Crash => {
            draw_x(c, p, 6.0, CRASH, 3)?;
            Ok(CRASH)
        }
        MarkKind::Restart => {
            c.polygon(&[(x, y - 6.0), (x + 5.5, y + 4.0), (x - 5.5, y + 4.0)], RESTART.to_rgba())?;
            Ok(RESTART)
        }
        MarkKind::Timer => {
            c.circle(p, 5.5, TIMER.to_rgba())?;
            c.circle(p, 3.5, WHITE.to_rgba())?;
            c.line((x, y), (x, y - 3.0), TIMER.to_rgba(), 1, None)?;
            Ok(TIMER)
        }
        MarkKind::Note => {
            c.polygon(&[(x, y - 5.0), (x + 5.0, y), (x, y + 5.0), (x - 5.0, y)], NOTE.to_rgba())?;
            Ok(NOTE)
        }
    }
}

/// The key under the diagram: one entry per kind of thing drawn.
fn draw_key(c: &Canvas<'_>, p: &Present, hidden: usize, x0: f64, y: f64) -> Result<()> {
    let font = Font::new(TICK_PX).color(TEXT).anchor(H::Left, V::Center);
    let mut x = x0;
    let entry = |c: &Canvas<'_>, text: &str, x: &mut f64| -> Result<()> {
        c.text(text, *x + 20.0, y, font)?;
        *x += 20.0 + text_width(text, TICK_PX) + 16.0;
        Ok(())
    };
    if p.delivered {
        c.line((x, y), (x + 14.0, y), DELIVERED.to_rgba(), 1, None)?;
        arrowhead(c, (x, y), (x + 15.0, y), DELIVERED)?;
        entry(c, "message", &mut x)?;
    }
    if p.lost {
        c.line((x, y), (x + 10.0, y), LOST.to_rgba(), 1, Some("4,3"))?;
        draw_x(c, (x + 11.0, y), 3.5, LOST, 2)?;
        entry(c, "lost", &mut x)?;
    }
    for (present, kind, text) in [
        (p.crash, MarkKind::Crash, "crash"),
        (p.restart, MarkKind::Restart, "restart"),
        (p.timer, MarkKind::Timer, "timer"),
        (p.note, MarkKind::Note, "note"),
    ] {
        if present {
            draw_mark(c, kind, (x + 7.0, y))?;
            entry(c, text, &mut x)?;
        }
    }
    if p.span {
        c.fill_rect((x + 1.0, y - 7.0), (x + 13.0, y + 7.0), DOWN.mix(0.22))?;
        entry(c, "shaded interval", &mut x)?;
    }
    if hidden > 0 {
        let text = format!("{hidden} label(s) hidden to avoid overlap");
        c.text(&text, x + 4.0, y, font.color(TEXT_MUTED))?;
    }
    Ok(())
}

//! The drawing surface every chart shares: plotters' SVG backend in pixel coordinates, plus
//! the few things plotters' SVG output lacks (dashed strokes).

use std::cell::RefCell;

use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::FontTransform;

use super::Figure;
use crate::error::{Error, Result};

/// Plotters writes `font-size = size / 1.24`; we think in CSS pixels.
const PLOTTERS_FONT_SCALE: f64 = 1.24;

/// The font family written into every `<text>` element. Generic, so any renderer finds one.
const FONT_FAMILY: &str = "sans-serif";

/// Average advance of a sans-serif glyph as a fraction of the font size. Used to lay out
/// labels without a font library (plotters' naive metrics are for rasterising, not layout).
const CHAR_WIDTH_EM: f64 = 0.58;

/// Estimated width in pixels of `s` at font size `px`.
pub(crate) fn text_width(s: &str, px: f64) -> f64 {
    s.chars().count() as f64 * px * CHAR_WIDTH_EM
}

/// `s` cut to at most `max_chars` characters, with an ellipsis when cut.
pub(crate) fn truncate(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max_chars.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// Horizontal text anchor.
#[derive(Clone, Copy, Debug)]
pub(crate) enum H {
    Left,
    Center,
    Right,
}

/// Vertical text anchor.
#[derive(Clone, Copy, Debug)]
pub(crate) enum V {
    Top,
    Center,
    Bottom,
}

/// How a piece of text is drawn.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Font {
    pub px: f64,
    pub color: RGBColor,
    pub h: H,
    pub v: V,
    pub bold: bool,
    /// Rotated a quarter turn counter-clockwise (reads bottom to top), for y-axis labels.
    pub vertical: bool,
}

impl Font {
    pub(crate) fn new(px: f64) -> Self {
        Font { px, color: TEXT, h: H::Left, v: V::Center, bold: false, vertical: false }
    }
    pub(crate) fn anchor(mut self, h: H, v: V) -> Self {
        self.h = h;
        self.v = v;
        self
    }
    pub(crate) fn color(mut self, c: RGBColor) -> Self {
        self.color = c;
        self
    }
    pub(crate) fn bold(mut self) -> Self {
        self.bold = true;
        self
    }
    pub(crate) fn vertical(mut self) -> Self {
        self.vertical = true;
        self
    }
}

/// Text colour: near-black, softer than pure black.
pub(crate) const TEXT: RGBColor = RGBColor(0x22, 0x22, 0x22);
/// Secondary text (tick labels).
pub(crate) const TEXT_MUTED: RGBColor = RGBColor(0x44, 0x44, 0x44);
/// Grid lines.
pub(crate) const GRID: RGBColor = RGBColor(0xE4, 0xE4, 0xE4);
/// Axis lines and tick marks.
pub(crate) const AXIS: RGBColor = RGBColor(0x66, 0x66, 0x66);

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

/// A white canvas of a fixed size that records one dash pattern per polyline drawn.
pub(crate) struct Canvas<'a> {
    area: Area<'a>,
    /// One entry per `<polyline>` emitted, in order: the dash pattern to add, if any.
    dashes: RefCell<Vec<Option<&'static str>>>,
    pub w: f64,
    pub h: f64,
}

fn draw_err(e: impl std::fmt::Display) -> Error {
    Error::invalid("figure", format!("drawing failed: {e}"))
}

fn px(v: f64) -> i32 {
    if v.is_finite() {
        v.round().clamp(-1.0e6, 1.0e6) as i32
    } else {
        0
    }
}

impl Canvas<'_> {
    /// A polyline through `pts` (pixels), `width` px wide, optionally dashed (`"6,3"`).
    pub(crate) fn polyline(
        &self,
        pts: &[(f64, f64)],
        color: RGBAColor,
        width: u32,
        dash: Option<&'static str>,
    ) -> Result<()> {
        let mut points: Vec<(i32, i32)> = Vec::with_capacity(pts.len());
        for &(x, y) in pts {
            let p = (px(x), px(y));
            if points.last() != Some(&p) {
                points.push(p);
            }
        }
        if points.len() < 2 {
            return Ok(());
        }
        let style = ShapeStyle { color, filled: false, stroke_width: width };
        self.area.draw(&PathElement::new(points, style)).map_err(draw_err)?;
        self.dashes.borrow_mut().push(dash);
        Ok(())
    }

    /// A straight line segment.
    pub(crate) fn line(
        &self,
        a: (f64, f64),
        b: (f64, f64),
        color: RGBAColor,
        width: u32,
        dash: Option<&'static str>,
    ) -> Result<()> {
        self.polyline(&[a, b], color, width, dash)
    }

    /// A filled axis-aligned rectangle between two corners.
    pub(crate) fn fill_rect(&self, a: (f64, f64), b: (f64, f64), color: RGBAColor) -> Result<()> {
        let (x0, x1) = (a.0.min(b.0), a.0.max(b.0));
        let (y0, y1) = (a.1.min(b.1), a.1.max(b.1));
        let style = ShapeStyle { color, filled: true, stroke_width: 0 };
        self.area
            .draw(&Rectangle::new([(px(x0), px(y0)), (px(x1), px(y1))], style))
            .map_err(draw_err)
    }

    /// An outlined (unfilled) rectangle.
    pub(crate) fn stroke_rect(&self, a: (f64, f64), b: (f64, f64), color: RGBAColor) -> Result<()> {
        let style = ShapeStyle { color, filled: false, stroke_width: 1 };
        self.area
            .draw(&Rectangle::new([(px(a.0), px(a.1)), (px(b.0), px(b.1))], style))
            .map_err(draw_err)
    }

    /// A filled polygon.
    pub(crate) fn polygon(&self, pts: &[(f64, f64)], color: RGBAColor) -> Result<()> {
        let points: Vec<(i32, i32)> = pts.iter().map(|&(x, y)| (px(x), px(y))).collect();
        let style = ShapeStyle { color, filled: true, stroke_width: 0 };
        self.area.draw(&Polygon::new(points, style)).map_err(draw_err)
    }

    /// A filled circle.
    pub(crate) fn circle(&self, c: (f64, f64), r: f64, color: RGBAColor) -> Result<()> {
        let style = ShapeStyle { color, filled: true, stroke_width: 0 };
        let r = r.round().max(1.0) as u32;
        self.area.draw(&Circle::new((px(c.0), px(c.1)), r, style)).map_err(draw_err)
    }

    /// Text at `(x, y)` anchored as `font` says.
    pub(crate) fn text(&self, s: &str, x: f64, y: f64, font: Font) -> Result<()> {
        if s.is_empty() {
            return Ok(());
        }
        let size = font.px * PLOTTERS_FONT_SCALE;
        let desc = if font.bold {
            (FONT_FAMILY, size, FontStyle::Bold).into_font()
        } else {
            (FONT_FAMILY, size).into_font()
        };
        let desc = if font.vertical { desc.transform(FontTransform::Rotate270) } else { desc };
        let h = match font.h {
            H::Left => HPos::Left,
            H::Center => HPos::Center,
            H::Right => HPos::Right,
        };
        let v = match font.v {
            V::Top => VPos::Top,
            V::Center => VPos::Center,
            V::Bottom => VPos::Bottom,
        };
        let style = TextStyle::from(desc).color(&font.color).pos(Pos::new(h, v));
        self.area.draw_text(s, &style, (px(x), px(y))).map_err(draw_err)
    }
}

/// Renders a `w`×`h` figure: a white background, then whatever `draw` puts on it.
pub(crate) fn render(
    title: &str,
    w: u32,
    h: u32,
    draw: impl FnOnce(&Canvas<'_>) -> Result<()>,
) -> Result<Figure> {
    let mut svg = String::new();
    let dashes;
    {
        let area = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        area.fill(&WHITE).map_err(draw_err)?;
        let canvas =
            Canvas { area, dashes: RefCell::new(Vec::new()), w: f64::from(w), h: f64::from(h) };
        draw(&canvas)?;
        canvas.area.present().map_err(draw_err)?;
        dashes = canvas.dashes.into_inner();
    }
    Ok(Figure { svg: apply_dashes(&svg, &dashes), title: title.to_string(), width: w, height: h })
}

/// Adds `stroke-dasharray` to the n-th `<polyline` for each recorded dash pattern. Plotters'
/// SVG backend has no dashed strokes; drawing dashes as many short segments would bloat the
/// file and break "one polyline per series".
fn apply_dashes(svg: &str, dashes: &[Option<&'static str>]) -> String {
    const TAG: &str = "<polyline ";
    if svg.matches(TAG).count() != dashes.len() || dashes.iter().all(Option::is_none) {
        return svg.to_string();
    }
    let mut out = String::with_capacity(svg.len() + 32 * dashes.len());
    let mut parts = svg.split(TAG);
    out.push_str(parts.next().unwrap_or_default());
    for (part, dash) in parts.zip(dashes) {
        out.push_str(TAG);
        if let Some(d) = dash {
            out.push_str("stroke-dasharray=\"");
            out.push_str(d);
            out.push_str("\" stroke-linejoin=\"round\" ");
        }
        out.push_str(part);
    }
    out
}

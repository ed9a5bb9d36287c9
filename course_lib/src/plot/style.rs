//! Colours, dash patterns and markers: how series stay apart on screen, for colour-blind
//! readers, and on a black-and-white printout.

use plotters::style::{Color, RGBColor};

use super::canvas::Canvas;
use crate::error::Result;

/// The Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), ordered so that the
/// first colours differ most in lightness as well as hue. Yellow is last: it is hard to see
/// on white.
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0x00, 0x72, 0xB2), // blue
    RGBColor(0xD5, 0x5E, 0x00), // vermillion
    RGBColor(0x00, 0x9E, 0x73), // bluish green
    RGBColor(0xCC, 0x79, 0xA7), // reddish purple
    RGBColor(0xE6, 0x9F, 0x00), // orange
    RGBColor(0x56, 0xB4, 0xE9), // sky blue
    RGBColor(0x00, 0x00, 0x00), // black
    RGBColor(0xF0, 0xE4, 0x42), // yellow
];

/// Dash patterns (SVG `stroke-dasharray`), one per series after the palette's colour.
const DASHES: [Option<&str>; 6] =
    [None, Some("7,4"), Some("2,3"), Some("10,3,2,3"), Some("4,4"), Some("12,3,2,3,2,3")];

/// Reference lines (hline/vline): dark grey, dashed.
pub(crate) const REFERENCE: RGBColor = RGBColor(0x55, 0x55, 0x55);
pub(crate) const REFERENCE_DASH: Option<&str> = Some("5,4");
/// Missing values (NaN cells).
pub(crate) const MISSING: RGBColor = RGBColor(0xBD, 0xBD, 0xBD);

/// Marker shapes, one per series.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Marker {
    Circle,
    Square,
    TriangleUp,
    Diamond,
    TriangleDown,
    Cross,
    Plus,
}

const MARKERS: [Marker; 7] = [
    Marker::Circle,
    Marker::Square,
    Marker::TriangleUp,
    Marker::Diamond,
    Marker::TriangleDown,
    Marker::Cross,
    Marker::Plus,
];

/// Colour, dash and marker of series number `i`. Colour and dash cycle with different periods
/// (8 and 6), so the first 24 series all look different.
pub(crate) fn series_style(i: usize) -> (RGBColor, Option<&'static str>, Marker) {
    (PALETTE[i % PALETTE.len()], DASHES[i % DASHES.len()], MARKERS[i % MARKERS.len()])
}

/// Draws marker `m` of radius about `r` px centred at `c`.
pub(crate) fn draw_marker(
    canvas: &Canvas<'_>,
    m: Marker,
    c: (f64, f64),
    color: RGBColor,
    r: f64,
) -> Result<()> {
    let (x, y) = c;
    let col = color.to_rgba();
    match m {
        Marker::Circle => canvas.circle(c, r, col),
        Marker::Square => {
            let s = r * 0.85;
            canvas.fill_rect((x - s, y - s), (x + s, y + s), col)
        }
        Marker::TriangleUp => {
            canvas.polygon(&[(x, y - r * 1.15), (x + r, y + r * 0.75), (x - r, y + r * 0.75)], col)
        }
        Marker::TriangleDown => {
            canvas.polygon(&[(x, y + r * 1.15), (x + r, y - r * 0.75), (x - r, y - r * 0.75)], col)
        }
        Marker::Diamond => {
            let s = r * 1.2;
            canvas.polygon(&[(x, y - s), (x + s, y), (x, y + s), (x - s, y)], col)
        }
        Marker::Plus | Marker::Cross => {
            // A 12-corner cross polygon (a filled shape, not strokes, so dashing never hits it).
            let (a, b) = (r * 1.1, r * 0.35);
            let pts = [
                (-b, -a),
                (b, -a),
                (b, -b),
                (a, -b),
                (a, b),
                (b, b),
                (b, a),
                (-b, a),
                (-b, b),
                (-a, b),
                (-a, -b),
                (-b, -b),
            ];
            let rot = if m == Marker::Cross { std::f64::consts::FRAC_PI_4 } else { 0.0 };
            let (s, co) = rot.sin_cos();
            let pts: Vec<(f64, f64)> =
                pts.iter().map(|&(px, py)| (x + px * co - py * s, y + px * s + py * co)).collect();
            canvas.polygon(&pts, col)
        }
    }
}

/// Viridis (van der Walt & Smith 2015) at 11 evenly spaced stops: perceptually uniform,
/// readable in grey scale and by colour-blind readers.
const VIRIDIS: [(u8, u8, u8); 11] = [
    (0x44, 0x01, 0x54),
    (0x48, 0x24, 0x75),
    (0x41, 0x44, 0x87),
    (0x35, 0x5F, 0x8D),
    (0x2A, 0x78, 0x8E),
    (0x21, 0x91, 0x8C),
    (0x22, 0xA8, 0x84),
    (0x44, 0xBF, 0x70),
    (0x7A, 0xD1, 0x51),
    (0xBD, 0xDF, 0x26),
    (0xFD, 0xE7, 0x25),
];

/// The viridis colour at `t` in `[0, 1]` (clamped), linearly interpolated between stops.
pub(crate) fn viridis(t: f64) -> RGBColor {
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    let pos = t * (VIRIDIS.len() - 1) as f64;
    let i = (pos.floor() as usize).min(VIRIDIS.len() - 2);
    let f = pos - i as f64;
    let (a, b) = (VIRIDIS[i], VIRIDIS[i + 1]);
    let mix = |p: u8, q: u8| (f64::from(p) + f * (f64::from(q) - f64::from(p))).round() as u8;
    RGBColor(mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// Black or white, whichever reads better on `bg` (by relative luminance).
pub(crate) fn contrasting_text(bg: RGBColor) -> RGBColor {
    let lin = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.04045 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    let l = 0.2126 * lin(bg.0) + 0.7152 * lin(bg.1) + 0.0722 * lin(bg.2);
    if l > 0.22 {
        RGBColor(0x11, 0x11, 0x11)
    } else {
        RGBColor(0xFF, 0xFF, 0xFF)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_ends_and_contrast() {
        assert_eq!(viridis(0.0), RGBColor(0x44, 0x01, 0x54));
        assert_eq!(viridis(1.0), RGBColor(0xFD, 0xE7, 0x25));
        assert_eq!(viridis(f64::NAN), viridis(0.0));
        assert_eq!(contrasting_text(viridis(0.0)), RGBColor(0xFF, 0xFF, 0xFF));
        assert_eq!(contrasting_text(viridis(1.0)), RGBColor(0x11, 0x11, 0x11));
    }

    #[test]
    fn first_series_styles_are_distinct() {
        let styles: Vec<_> = (0..8).map(series_style).collect();
        for i in 0..8 {
            for j in 0..i {
                assert_ne!(styles[i], styles[j]);
            }
        }
    }
}

//! Tests of the figures: structure of the SVG, the errors bad input gets, and a gallery of
//! one chart of each kind (written to `$COURSE_LIB_PLOT_DIR` when set, to look at).

use super::*;
use crate::error::Error;

/// A tiny deterministic uniform generator for test data (no dependency on `rng`).
struct Lcg(u64);
impl Lcg {
    fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        ((self.0 >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn exp(&mut self, mean: f64) -> f64 {
        -mean * self.uniform().ln()
    }
    fn pareto(&mut self, scale: f64, shape: f64) -> f64 {
        scale / self.uniform().powf(1.0 / shape)
    }
}

fn count(svg: &str, needle: &str) -> usize {
    svg.matches(needle).count()
}

/// Text content of all `<text>` elements.
fn texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .filter_map(|s| s.split_once('>').and_then(|(_, rest)| rest.split_once("</text>")))
        .map(|(t, _)| {
            t.trim()
                .replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&")
        })
        .collect()
}

fn assert_svg(svg: &str) {
    assert!(svg.starts_with("<svg"), "{}", &svg[..svg.len().min(80)]);
    assert!(svg.trim_end().ends_with("</svg>"));
    assert_eq!(count(svg, "<text"), count(svg, "</text>"));
}

fn detector_chart() -> LineChart {
    let timeouts = [5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0];
    LineChart::new("False suspicions of a timeout detector")
        .x_label("timeout (ms)")
        .y_label("false suspicions (%)")
        .series(
            "exponential, mean 10 ms",
            timeouts.map(|t| (t, 100.0 * (-t / 10.0_f64).exp().max(1e-4))),
        )
        .series("log-normal", timeouts.map(|t| (t, 100.0 * (1.0 / (1.0 + (t / 12.0).powi(2))))))
        .series("Pareto α = 1.5", timeouts.map(|t| (t, 100.0 * (5.0 / t.max(5.0)).powf(1.5))))
        .log_x()
        .log_y()
        .markers(true)
        .hline(1.0, "target: 1 %")
        .vline(100.0, "default timeout")
}

#[test]
fn line_chart_svg_has_title_labels_legend_and_one_polyline_per_series() {
    let fig = detector_chart().render().unwrap();
    let svg = fig.svg();
    assert_svg(svg);
    let t = texts(svg);
    for want in [
        "False suspicions of a timeout detector",
        "timeout (ms)",
        "false suspicions (%)",
        "exponential, mean 10 ms",
        "log-normal",
        "Pareto α = 1.5",
        "target: 1 %",
        "default timeout",
    ] {
        assert!(t.iter().any(|s| s == want), "missing text {want:?} in {t:?}");
    }
    // Series 2 and 3 are dashed; each series has one line in the plot and one in the legend.
    for (i, color) in ["#0072B2", "#D55E00", "#009E73"].iter().enumerate() {
        let lines = svg
            .split("<polyline ")
            .skip(1)
            .filter(|p| p.contains(&format!("stroke=\"{color}\" stroke-width=\"2\"")))
            .count();
        assert_eq!(lines, 2, "series {i}");
    }
    assert_eq!(count(svg, "stroke-dasharray=\"7,4\""), 2);
    assert_eq!(count(svg, "stroke-dasharray=\"2,3\""), 2);
    // Log ticks are decades and 2×/5×, not arbitrary numbers.
    assert!(t.iter().any(|s| s == "100"), "{t:?}");
    assert_eq!(fig.size(), (720, 400));
}

#[test]
fn single_series_has_no_legend() {
    let svg = LineChart::new("one").series("only", [(0.0, 0.0), (1.0, 1.0)]).render().unwrap();
    assert!(!texts(svg.svg()).contains(&"only".to_string()));
    assert_eq!(count(svg.svg(), "stroke-width=\"2\""), 1);
}

#[test]
fn log_axis_rejects_non_positive_values_naming_the_series() {
    let err = LineChart::new("t")
        .series("fine", [(1.0, 1.0), (2.0, 3.0)])
        .series("has zero", [(1.0, 1.0), (0.0, 2.0)])
        .log_x()
        .render()
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("\"has zero\""), "{msg}");
    assert!(msg.contains("log x axis"), "{msg}");
    let err = LineChart::new("t").series("s", [(1.0, -1.0)]).log_y().render().unwrap_err();
    assert!(err.to_string().contains("log y axis"), "{err}");
    let err = CdfChart::new("t").series("lat", &[1.0, 0.0]).log_x().render().unwrap_err();
    assert!(err.to_string().contains("\"lat\""), "{err}");
    let err = BarChart::new("t").bar("free lunch", 0.0).log_scale().render().unwrap_err();
    assert!(err.to_string().contains("\"free lunch\""), "{err}");
    let err = LineChart::new("t").series("s", [(1.0, 1.0)]).x_range(0.0, 10.0).log_x().render();
    assert!(err.is_err());
}

#[test]
fn empty_and_nan_input_are_errors() {
    let e = LineChart::new("").render().unwrap_err();
    assert!(matches!(e, Error::Empty { .. }) && e.to_string().contains("nothing to plot"), "{e}");
    let e = LineChart::new("t").series("empty", Vec::new()).render().unwrap_err();
    assert!(e.to_string().contains("\"empty\""), "{e}");
    let e = LineChart::new("t").series("bad", [(0.0, f64::NAN)]).render().unwrap_err();
    assert!(e.to_string().contains("series \"bad\" point 0"), "{e}");
    assert!(CdfChart::new("t").render().unwrap_err().to_string().contains("nothing to plot"));
    let e = CdfChart::new("t").series("inf", &[1.0, f64::INFINITY]).render().unwrap_err();
    assert!(e.to_string().contains("\"inf\" sample 1"), "{e}");
    assert!(Histogram::new("t").render().unwrap_err().to_string().contains("nothing to plot"));
    let e = Histogram::new("t").series("h", &[f64::NAN]).render().unwrap_err();
    assert!(e.to_string().contains("\"h\""), "{e}");
    assert!(Histogram::new("t").bins(0).series("h", &[1.0]).render().is_err());
    assert!(BarChart::new("t").render().unwrap_err().to_string().contains("nothing to plot"));
    assert!(BarChart::new("t").bar("x", f64::NAN).render().is_err());
    assert!(Heatmap::new("t").render().unwrap_err().to_string().contains("nothing to plot"));
    let e = LineChart::new("t").series("s", [(0.0, 1.0)]).y_range(2.0, 1.0).render().unwrap_err();
    assert!(e.to_string().contains("y_range lo"), "{e}");
    let e =
        LineChart::new("t").series("s", [(0.0, 1.0)]).vline(f64::NAN, "x").render().unwrap_err();
    assert!(e.to_string().contains("vline \"x\""), "{e}");
    let e = LineChart::new("t").series("s", [(0.0, 1.0)]).size(10, 10).render().unwrap_err();
    assert!(e.to_string().contains("width"), "{e}");
}

#[test]
fn explicit_ranges_clip_lines_to_the_plot() {
    let fig = LineChart::new("t")
        .series("s", [(0.0, 0.0), (5.0, 100.0), (10.0, 0.0)])
        .y_range(0.0, 10.0)
        .render()
        .unwrap();
    // The peak is cut off: two pieces.
    assert_eq!(count(fig.svg(), "stroke-width=\"2\""), 2);
}

#[test]
fn cdf_and_ccdf() {
    let mut g = Lcg(7);
    let xs: Vec<f64> = (0..20_000).map(|_| g.exp(10.0)).collect();
    let fig = CdfChart::new("Delay CDF").x_label("delay (ms)").series("exp", &xs).render().unwrap();
    let svg = fig.svg();
    assert_svg(svg);
    assert!(texts(svg).contains(&"fraction ≤ x".to_string()));
    let points = svg.split("<polyline ").filter(|p| p.contains("stroke-width=\"2\"")).map(|p| {
        p.split("points=\"")
            .nth(1)
            .map_or(0, |s| s.split('"').next().unwrap_or("").split_whitespace().count())
    });
    assert!(points.clone().all(|n| (2..=501).contains(&n)), "{:?}", points.collect::<Vec<_>>());
    let fig = CdfChart::new("Tail").series("exp", &xs).ccdf().render().unwrap();
    let t = texts(fig.svg());
    assert!(t.contains(&"fraction > x".to_string()));
    assert!(t.iter().any(|s| s.starts_with("10⁻")), "{t:?}");
}

#[test]
fn histogram_overlays_series_on_shared_bins() {
    let mut g = Lcg(1);
    let a: Vec<f64> = (0..2000).map(|_| g.exp(10.0)).collect();
    let b: Vec<f64> = (0..500).map(|_| 5.0 + g.exp(4.0)).collect();
    let fig = Histogram::new("Delays")
        .x_label("delay (ms)")
        .bins(20)
        .series("A", &a)
        .series("B", &b)
        .density();
    let svg = fig.render().unwrap();
    let t = texts(svg.svg());
    assert!(
        t.contains(&"density".to_string())
            && t.contains(&"A".to_string())
            && t.contains(&"B".to_string())
    );
    // One outline per series plus one legend swatch edge each.
    assert_eq!(count(svg.svg(), "stroke-width=\"2\""), 4);
}

fn ladder() -> BarChart {
    let bars = [
        ("L1 cache reference", 0.5),
        ("branch mispredict", 5.0),
        ("L2 cache reference", 7.0),
        ("mutex lock/unlock", 25.0),
        ("main memory reference", 100.0),
        ("compress 1 KB (Snappy)", 3_000.0),
        ("send 1 KB over 1 Gbps", 10_000.0),
        ("SSD random read", 16_000.0),
        ("read 1 MB from memory", 250_000.0),
        ("round trip in a datacenter", 500_000.0),
        ("read 1 MB from SSD", 1_000_000.0),
        ("disk seek", 10_000_000.0),
        ("cross-continent round trip", 150_000_000.0),
    ];
    BarChart::new("The latency ladder")
        .value_label("latency (log scale)")
        .bars(bars.iter().map(|(n, v)| ((*n).to_string(), *v)).collect())
        .log_scale()
        .horizontal()
        .value_format(format_duration_ns)
        .size(720, 440)
}

#[test]
fn latency_ladder_labels_every_bar_with_its_duration() {
    let fig = ladder().render().unwrap();
    let t = texts(fig.svg());
    for want in
        ["0.5 ns", "100 ns", "500 µs", "150 ms", "L1 cache reference", "cross-continent round trip"]
    {
        assert!(t.iter().any(|s| s == want), "missing {want:?} in {t:?}");
    }
    // Axis ticks use the same formatter.
    assert!(t.iter().any(|s| s == "1 µs" || s == "1 ms"), "{t:?}");
}

fn quorum_heatmap() -> Heatmap {
    // Availability of R/W quorums, N = 5, each replica up with p = 0.9.
    let n = 5;
    let p: f64 = 0.9;
    let choose = |n: u64, k: u64| (0..k).fold(1.0, |acc, i| acc * (n - i) as f64 / (i + 1) as f64);
    let at_least = |k: u64| {
        (k..=n)
            .map(|j| choose(n, j) * p.powi(j as i32) * (1.0 - p).powi((n - j) as i32))
            .sum::<f64>()
    };
    let values: Vec<Vec<f64>> = (1..=n)
        .map(|r| (1..=n).map(|w| if r + w > n { at_least(r.max(w)) } else { f64::NAN }).collect())
        .collect();
    Heatmap::new("Availability of strict quorums (N = 5, p = 0.9)")
        .x_label("write quorum W")
        .y_label("read quorum R")
        .x_ticks((1..=n).map(|w| w.to_string()).collect())
        .y_ticks((1..=n).map(|r| r.to_string()).collect())
        .values(values)
        .color_label("availability")
        .nan_label("R + W ≤ N: not a quorum")
        .annotate(true)
}

#[test]
fn heatmap_draws_cells_colour_bar_and_grey_nan() {
    let fig = quorum_heatmap().render().unwrap();
    let svg = fig.svg();
    assert_svg(svg);
    let t = texts(svg);
    for want in
        ["availability", "write quorum W", "read quorum R", "R + W ≤ N: not a quorum", "0.991"]
    {
        assert!(t.iter().any(|s| s == want), "missing {want:?} in {t:?}");
    }
    assert!(svg.contains("fill=\"#BDBDBD\""), "NaN cells are grey");
}

#[test]
fn heatmap_dimension_mismatches_are_errors() {
    let e = Heatmap::new("t").values(vec![vec![1.0, 2.0], vec![3.0]]).render().unwrap_err();
    assert!(e.to_string().contains("row 1 has 1 values but row 0 has 2"), "{e}");
    let e = Heatmap::new("t")
        .values(vec![vec![1.0, 2.0]])
        .x_ticks(vec!["a".into()])
        .render()
        .unwrap_err();
    assert!(e.to_string().contains("x_ticks has 1 labels but the values have 2 columns"), "{e}");
    let e = Heatmap::new("t")
        .values(vec![vec![1.0]])
        .y_ticks(vec!["a".into(), "b".into()])
        .render()
        .unwrap_err();
    assert!(e.to_string().contains("y_ticks"), "{e}");
    let e = Heatmap::new("t").values(vec![vec![f64::INFINITY]]).render().unwrap_err();
    assert!(e.to_string().contains("[0][0]"), "{e}");
    assert!(Heatmap::new("t").values(vec![vec![1.0]]).range(1.0, 1.0).render().is_err());
    // All-NaN and constant heatmaps still render.
    assert!(Heatmap::new("t").values(vec![vec![f64::NAN]]).render().is_ok());
    assert!(Heatmap::new("t").values(vec![vec![2.0, 2.0]]).annotate(true).render().is_ok());
}

fn paxos_diagram() -> SequenceDiagram {
    let lanes: Vec<String> =
        ["client", "n0 (leader)", "n1", "n2", "n3", "n4"].iter().map(|s| s.to_string()).collect();
    let mut d =
        SequenceDiagram::new("Multi-Paxos round with a lost Accept and a crash").lanes(lanes);
    d = d.arrow(Arrow::delivered(0, 1, 0.0, 4.0, "Put(x=1)"));
    for (k, to) in (2..6).enumerate() {
        let sent = 5.0 + k as f64 * 0.5;
        if to == 4 {
            d = d.arrow(Arrow::lost(1, to, sent, "Accept(b=3)"));
        } else {
            d = d.arrow(Arrow::delivered(1, to, sent, sent + 8.0 + k as f64 * 3.0, "Accept(b=3)"));
        }
    }
    for (k, from) in [2usize, 3, 5].iter().enumerate() {
        let sent = 15.0 + k as f64 * 3.0;
        d = d.arrow(Arrow::delivered(*from, 1, sent, sent + 7.0, "Accepted"));
    }
    d.arrow(Arrow::delivered(1, 0, 32.0, 36.0, "Ok"))
        .arrow(Arrow::delivered(1, 1, 33.0, 38.0, "apply"))
        .mark(Mark::new(5, 26.0, MarkKind::Crash, "n4 crashes"))
        .span(5, 26.0, 60.0, "down")
        .mark(Mark::new(5, 60.0, MarkKind::Restart, "restarts"))
        .mark(Mark::new(1, 45.0, MarkKind::Timer, "retransmit to n3"))
        .arrow(Arrow::delivered(1, 4, 45.0, 53.0, "Accept(b=3)"))
        .arrow(Arrow::delivered(4, 1, 54.0, 61.0, "Accepted"))
        .mark(Mark::new(1, 40.0, MarkKind::Note, "commit index 7"))
}

#[test]
fn sequence_diagram_draws_lanes_arrows_and_lost_marker() {
    let fig = paxos_diagram().render().unwrap();
    let svg = fig.svg();
    assert_svg(svg);
    let t = texts(svg);
    for want in
        ["client", "n0 (leader)", "Put(x=1)", "n4 crashes", "restarts", "down", "lost", "time (ms)"]
    {
        assert!(t.iter().any(|s| s == want), "missing {want:?} in {t:?}");
    }
    // The lost message is a dashed vermillion stub ending in an × (two strokes).
    assert_eq!(count(svg, "stroke-dasharray=\"4,3\""), 2, "lost arrow + key");
    assert!(
        count(svg, "stroke=\"#D55E00\" stroke-width=\"2\"") >= 4,
        "× of the lost arrow and the key"
    );
}

#[test]
fn sequence_diagram_errors() {
    let lanes = || vec!["a".to_string(), "b".to_string()];
    let e = SequenceDiagram::new("t")
        .lanes(lanes())
        .arrow(Arrow::delivered(0, 2, 0.0, 1.0, "m"))
        .render()
        .unwrap_err();
    assert!(matches!(e, Error::UnknownNode { node: 2, cluster_size: 2, .. }), "{e}");
    assert!(e.to_string().contains("arrow 0 (\"m\")"), "{e}");
    let e = SequenceDiagram::new("t")
        .lanes(lanes())
        .mark(Mark::new(5, 0.0, MarkKind::Crash, "x"))
        .render()
        .unwrap_err();
    assert!(matches!(e, Error::UnknownNode { node: 5, .. }), "{e}");
    assert!(SequenceDiagram::new("t").lanes(lanes()).span(3, 0.0, 1.0, "down").render().is_err());
    let e = SequenceDiagram::new("t").lanes(lanes()).render().unwrap_err();
    assert!(e.to_string().contains("nothing to plot"), "{e}");
    let e = SequenceDiagram::new("t").arrow(Arrow::lost(0, 0, 0.0, "m")).render().unwrap_err();
    assert!(matches!(e, Error::Empty { .. }), "{e}");
    let e = SequenceDiagram::new("t")
        .lanes(lanes())
        .arrow(Arrow::delivered(0, 1, 5.0, 1.0, "m"))
        .render()
        .unwrap_err();
    assert!(e.to_string().contains("cannot arrive before it is sent"), "{e}");
    let e = SequenceDiagram::new("t")
        .lanes(lanes())
        .arrow(Arrow::lost(0, 1, f64::NAN, "m"))
        .render()
        .unwrap_err();
    assert!(e.to_string().contains("sent_ms"), "{e}");
    let many = (0..401).map(|i| Arrow::delivered(0, 1, f64::from(i), f64::from(i) + 1.0, "m"));
    let e = SequenceDiagram::new("t").lanes(lanes()).arrows(many).render().unwrap_err();
    assert!(e.to_string().contains("too many to draw; filter the trace to a window"), "{e}");
}

fn busy_diagram() -> SequenceDiagram {
    let mut g = Lcg(42);
    let lanes: Vec<String> = (0..10).map(|i| format!("n{i}")).collect();
    let mut d = SequenceDiagram::new("Gossip, 10 nodes, 100 messages").lanes(lanes);
    for i in 0..100 {
        let from = (g.uniform() * 10.0) as usize;
        let to = (from + 1 + (g.uniform() * 9.0) as usize) % 10;
        let sent = f64::from(i) * 2.0;
        let arrow = if g.uniform() < 0.05 {
            Arrow::lost(from, to, sent, "gossip")
        } else {
            Arrow::delivered(from, to, sent, sent + g.pareto(3.0, 1.5).min(60.0), format!("g{i}"))
        };
        d = d.arrow(arrow);
    }
    d.mark(Mark::new(3, 80.0, MarkKind::Crash, "crash"))
}

#[test]
fn busy_sequence_diagram_renders_and_hides_overlapping_labels() {
    let fig = busy_diagram().render().unwrap();
    let (_, h) = fig.size();
    assert!(h > 400, "taller than the default for 100 arrows: {h}");
    assert!(fig.svg().len() < 200_000, "{}", fig.svg().len());
}

#[test]
fn gallery() {
    let mut g = Lcg(2024);
    let exp: Vec<f64> = (0..5000).map(|_| g.exp(10.0)).collect();
    let logn: Vec<f64> = (0..5000).map(|_| (2.0 + 0.6 * (g.uniform() - 0.5) * 3.4).exp()).collect();
    let par: Vec<f64> = (0..5000).map(|_| g.pareto(4.0, 1.5)).collect();
    let burn: Vec<(f64, f64)> = (0..=72)
        .map(|h| {
            let h = f64::from(h);
            let spent = if h < 20.0 {
                h * 0.4
            } else if h < 30.0 {
                8.0 + (h - 20.0) * 4.0
            } else {
                48.0 + (h - 30.0) * 0.5
            };
            (h, 100.0 - spent)
        })
        .collect();
    let figures = vec![
        ("line_detector", detector_chart().render()),
        (
            "line_burndown",
            LineChart::new("Error budget burn-down (30-day SLO 99.9 %)")
                .x_label("time since start of window (h)")
                .y_label("error budget left (%)")
                .series("budget left", burn.clone())
                .series("steady burn", [(0.0, 100.0), (72.0, 90.0)])
                .band(21.0, 31.0, "fast-burn alert (14.4×)")
                .band(24.0, 40.0, "slow-burn alert (6×)")
                .vline(20.0, "deploy v2.3")
                .vline(30.0, "rollback")
                .hline(50.0, "half the budget")
                .y_range(0.0, 105.0)
                .render(),
        ),
        (
            "cdf",
            CdfChart::new("Message delay: three distributions, same median")
                .x_label("delay (ms)")
                .series("exponential", &exp)
                .series("log-normal", &logn)
                .series("Pareto α = 1.5", &par)
                .log_x()
                .render(),
        ),
        (
            "ccdf",
            CdfChart::new("Tails: fraction of messages slower than x")
                .x_label("delay (ms)")
                .series("exponential", &exp)
                .series("log-normal", &logn)
                .series("Pareto α = 1.5", &par)
                .log_x()
                .ccdf()
                .render(),
        ),
        (
            "histogram",
            Histogram::new("Delay histogram")
                .x_label("delay (ms)")
                .bins(40)
                .series(
                    "exponential",
                    &exp.iter().copied().filter(|x| *x < 60.0).collect::<Vec<_>>(),
                )
                .series(
                    "log-normal",
                    &logn.iter().copied().filter(|x| *x < 60.0).collect::<Vec<_>>(),
                )
                .render(),
        ),
        ("ladder", ladder().render()),
        (
            "bars_vertical",
            BarChart::new("Messages per committed command")
                .value_label("messages")
                .bars(vec![
                    ("Paxos (basic)".into(), 8.0),
                    ("Multi-Paxos".into(), 4.0),
                    ("Raft".into(), 4.0),
                    ("EPaxos, fast path".into(), 6.0),
                    ("chain replication".into(), 3.0),
                ])
                .render(),
        ),
        ("heatmap", quorum_heatmap().render()),
        (
            "bars_rotated_labels",
            BarChart::new("p99 latency by region pair")
                .value_label("p99 latency (ms)")
                .bars(
                    [
                        "us-east ↔ us-west",
                        "us-east ↔ eu-west",
                        "eu-west ↔ ap-south",
                        "ap-south ↔ ap-northeast",
                        "us-west ↔ ap-northeast",
                        "eu-west ↔ eu-central",
                        "sa-east ↔ us-east",
                        "af-south ↔ eu-west",
                    ]
                    .iter()
                    .enumerate()
                    .map(|(i, n)| ((*n).to_string(), 20.0 + 17.5 * i as f64))
                    .collect(),
                )
                .render(),
        ),
        ("sequence", paxos_diagram().render()),
        ("sequence_busy", busy_diagram().render()),
    ];
    let dir = std::env::var_os("COURSE_LIB_PLOT_DIR");
    for (name, fig) in figures {
        let fig = fig.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_svg(fig.svg());
        if let Some(dir) = &dir {
            fig.save(std::path::Path::new(dir).join(format!("{name}.svg"))).unwrap();
        }
    }
}

#[test]
fn degenerate_inputs_render_without_panicking() {
    assert!(LineChart::new("one point").series("p", [(3.0, 4.0)]).render().is_ok());
    assert!(LineChart::new("flat")
        .series("p", [(1.0, 2.0), (1.0, 2.0)])
        .log_x()
        .log_y()
        .render()
        .is_ok());
    assert!(LineChart::new("huge")
        .series("p", [(-1e300, 1e300), (1e300, -1e300)])
        .render()
        .is_ok());
    assert!(LineChart::new("tiny").series("p", [(0.0, 1e-300), (1e-300, 2e-300)]).render().is_ok());
    assert!(Histogram::new("same").series("s", &[5.0; 10]).render().is_ok());
    assert!(CdfChart::new("one").series("s", &[2.0]).ccdf().log_x().render().is_ok());
    assert!(BarChart::new("neg").bar("a", -3.0).bar("b", 2.0).render().is_ok());
    assert!(BarChart::new("zero").bar("a", 0.0).render().is_ok());
    let long = "a very long category name that goes on and on".to_string();
    assert!(BarChart::new("long").bars(vec![(long.clone(), 1.0); 12]).render().is_ok());
    assert!(Heatmap::new("1x1").values(vec![vec![0.5]]).x_ticks(vec![long]).render().is_ok());
    let one_lane = SequenceDiagram::new("").lanes(vec!["solo".into()]);
    assert!(one_lane.clone().arrow(Arrow::lost(0, 0, 0.0, "self")).render().is_ok());
    assert!(one_lane.mark(Mark::new(0, 5.0, MarkKind::Note, "")).render().is_ok());
}

proptest::proptest! {
    #[test]
    fn line_charts_never_panic(
        pts in proptest::collection::vec((proptest::num::f64::ANY, proptest::num::f64::ANY), 0..20),
        log_x: bool,
        log_y: bool,
        range in proptest::option::of((proptest::num::f64::ANY, proptest::num::f64::ANY)),
    ) {
        let mut chart = LineChart::new("p").series("s", pts).vline(1.0, "v").band(0.5, 2.0, "b");
        if log_x { chart = chart.log_x(); }
        if log_y { chart = chart.log_y(); }
        if let Some((lo, hi)) = range { chart = chart.y_range(lo, hi); }
        if let Ok(fig) = chart.render() {
            proptest::prop_assert!(fig.svg().starts_with("<svg"));
        }
    }

    #[test]
    fn sequence_diagrams_never_panic(
        arrows in proptest::collection::vec((0usize..5, 0usize..5, -1e3f64..1e3, proptest::option::of(-1e3f64..1e3)), 0..30),
    ) {
        let d = SequenceDiagram::new("p")
            .lanes(vec!["a".into(), "b".into(), "c".into(), "d".into()])
            .arrows(arrows.into_iter().map(|(f, t, s, r)| Arrow { from: f, to: t, sent_ms: s, received_ms: r, label: "m".into() }));
        let _ = d.render();
    }
}

#[test]
fn debug_text_says_the_figure_was_not_drawn() {
    let fig = LineChart::new("t").series("a", vec![(0.0, 1.0), (1.0, 2.0)]).render().unwrap();
    let text = format!("{fig:?}");
    assert!(text.contains(super::NOT_DRAWN_MARKER) && text.contains("\"t\""), "{text}");
    assert!(!text.contains("<svg"), "Debug must not dump the SVG");
    let table = crate::table::Table::new(["x"]).row([1]);
    assert!(format!("{table:?}").contains(super::NOT_DRAWN_MARKER));
}

#[test]
fn interval_rows_draw_one_bar_per_span_and_a_legend_swatch() {
    let fig = LineChart::new("Budget")
        .x_label("day")
        .y_label("budget left (%)")
        .series("budget", [(0.0, 100.0), (30.0, 20.0)])
        .intervals("pages firing", -5.0, [(3.0, 3.2), (10.0, 11.0)])
        .intervals("tickets firing", -10.0, Vec::new())
        .render()
        .unwrap();
    let svg = fig.svg();
    assert_svg(svg);
    let t = texts(svg);
    assert!(t.iter().any(|s| s == "pages firing"), "{t:?}");
    assert!(t.iter().any(|s| s == "tickets firing"), "{t:?}");
    // the second style colour (vermillion) fills the two bars and the legend swatch
    assert!(count(svg, "#D55E00") >= 3, "{svg}");
    let bad = LineChart::new("x").series("s", [(0.0, 1.0)]).intervals("i", f64::NAN, [(0.0, 1.0)]);
    assert!(bad.render().unwrap_err().to_string().contains("intervals \"i\" y"));
}

#[test]
fn timeline_key_text_can_be_replaced() {
    use super::{Bar, BarStyle, Timeline};
    let fig = Timeline::new("leaders")
        .lanes(vec!["n0".into()])
        .bar(Bar {
            lane: 0,
            start: 0.0,
            end: Some(5.0),
            label: "term 1".into(),
            style: BarStyle::Ok,
        })
        .key_label(BarStyle::Ok, "leader")
        .render()
        .unwrap();
    assert!(fig.svg().contains("leader") && !fig.svg().contains("invoke"));
}

#[test]
fn an_integer_axis_has_no_fractional_ticks() {
    let pts = [(1.0, 1.3), (2.0, 2.4), (3.0, 4.6)];
    let chart = LineChart::new("p50 vs quorum size").x_label("quorum size").series("p50", pts);
    let plain = texts(chart.clone().render().unwrap().svg());
    assert!(plain.iter().any(|t| t == "1.50"), "the default axis ticks fractions: {plain:?}");
    let whole = texts(chart.integer_x().render().unwrap().svg());
    for t in ["1", "2", "3"] {
        assert!(whole.iter().any(|x| x == t), "tick {t} missing: {whole:?}");
    }
    assert!(!whole.iter().any(|t| t.contains('.')), "{whole:?}");
}

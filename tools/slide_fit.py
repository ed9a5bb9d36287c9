#!/usr/bin/env python3
"""Do the lecture slides fit a projector? Every slide of `make slides`, measured in Chromium.

    tools/slide_fit.py [SLIDES.html ...] [--slides-dir build/slides] [--out build/slide_fit]
                       [--size 1280x720] [--browser chromium] [--driver chromedriver]

One step of `make test`, after "book and slides" (run from the repo root as
`.venv/bin/python tools/slide_fit.py`). With no file named it measures every
`build/slides/*.slides.html`.

1. Finds Debian's `chromium` and `chromedriver` as tools/browser_test.py does (missing: a FAIL
   with CI=true, otherwise one `SKIPPED:` line and exit 77, reported as skipped, never passed).
2. Serves the slides folder on 127.0.0.1 (the pages load reveal.js and MathJax from its
   `_static/`), opens each deck in headless Chromium with a 1280×720 viewport (a common projector
   size; `--size` for another) and waits for reveal.js and MathJax to finish.
3. Visits every slide and subslide in order (transitions off) and measures, in the deck's own
   coordinates (reveal.js lays a slide out at `width × height`, 960 × 700 for nbconvert's decks,
   and scales that box to the window), the extent of everything the slide shows: each visible
   element's box, so a figure below the bottom edge, a code line running past the right edge
   inside a scrolling `<pre>` or a table wider than the slide all count. A slide overflows when
   its content reaches more than TOLERANCE_PX beyond the box (or before its left edge).
4. Prints one line per overflowing slide, `FAIL NN_name.slides.html slide 3.1 "heading": 212 px
   too tall (912 of 700), 40 px too wide (a <pre>)`, screenshots it into OUT/ (at most
   MAX_SHOTS per deck) and writes OUT/report.json with every slide's measurements; then
   `slide fit: N slides in M decks, K overflow`. Exit 0 when none overflows, 1 otherwise.

What to do about a failure: put the figure on its own subslide (a figure-only cell, or split the
code cell), shorten or wrap the code, or split the Markdown cell (slide types are cell metadata:
`metadata.slideshow.slide_type`; README "Slides and the course book").
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import re
import shutil
import socketserver
import sys
import tempfile
import threading
import time
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))
import browser_test as bt  # noqa: E402

REPO = TOOLS.parent
SLIDES_DIR = REPO / "build" / "slides"
DEFAULT_OUT = REPO / "build" / "slide_fit"
TOLERANCE_PX = 4  # sub-pixel rounding, borders: anything more is a real overflow
MAX_SHOTS = 6
LOAD_TIMEOUT = 60.0

# Runs in the page: every slide's extent in deck coordinates. Returns a list of dicts.
MEASURE_JS = r"""
const Reveal = window.__fitReveal;
const cfg = Reveal.getConfig();
Reveal.configure({transition: 'none', backgroundTransition: 'none', fragments: false});
const W = cfg.width, H = cfg.height;
const box = document.querySelector('.reveal .slides');
const out = [];
for (const s of Reveal.getSlides()) {
  const i = Reveal.getIndices(s);
  Reveal.slide(i.h, i.v || 0);
  const scale = Reveal.getScale() || 1;
  const b = box.getBoundingClientRect();
  let top = Infinity, bottom = -Infinity, left = Infinity, right = -Infinity;
  let tallest = '', widest = '';
  let maxBottom = -Infinity, maxRight = -Infinity;
  for (const el of s.querySelectorAll('*')) {
    const st = getComputedStyle(el);
    if (st.display === 'none' || st.visibility === 'hidden' && !el.closest('.fragment')) continue;
    if (el.closest('aside.notes')) continue;
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) continue;
    const t = (r.top - b.top) / scale, bo = (r.bottom - b.top) / scale;
    const l = (r.left - b.left) / scale, ri = (r.right - b.left) / scale;
    top = Math.min(top, t); left = Math.min(left, l);
    const tag = el.tagName.toLowerCase() + (el.className && typeof el.className === 'string'
      ? '.' + el.className.trim().split(/\s+/)[0] : '');
    if (bo > maxBottom) { maxBottom = bo; tallest = tag; }
    if (ri > maxRight) { maxRight = ri; widest = tag; }
  }
  const cells = Array.from(s.querySelectorAll('.jp-Cell')).map(c => {
    const r = c.getBoundingClientRect();
    return {id: (c.id || '').replace(/^cell-id=/, ''),
            kind: c.classList.contains('jp-MarkdownCell') ? 'markdown' : 'code',
            height: Math.round(r.height / scale)};
  });
  const head = s.querySelector('h1, h2, h3, h4');
  const text = (head ? head.textContent : s.textContent).replace(/\s+/g, ' ').trim();
  out.push({h: i.h, v: i.v || 0, title: text.slice(0, 70), width: W, height: H,
            top: isFinite(top) ? top : 0, left: isFinite(left) ? left : 0,
            bottom: isFinite(maxBottom) ? maxBottom : 0, right: isFinite(maxRight) ? maxRight : 0,
            tallest: tallest, widest: widest, cells: cells});
}
Reveal.slide(0, 0);
return out;
"""

READY_JS = r"""
// nbconvert's decks load reveal.js through require.js: it is a module, not a global.
if (!window.__fitReveal) {
  const id = arguments[0];
  if (window.Reveal) window.__fitReveal = window.Reveal;
  else if (window.require && require.defined && require.defined(id)) window.__fitReveal = require(id);
}
const Reveal = window.__fitReveal;
if (typeof Reveal === 'undefined' || !Reveal.isReady || !Reveal.isReady()) return false;
// MathJax 2 typesets the whole deck once at load: wait for it (a formula is taller than its
// TeX source, and a slide measured before typesetting would look shorter than it is).
if (typeof MathJax !== 'undefined') {
  if (!MathJax.isReady || !MathJax.Hub || !MathJax.Hub.queue) return false;
  if (MathJax.Hub.queue.pending || MathJax.Hub.queue.running) return false;
  if (document.querySelector('.MathJax_Processing, .MathJax_Preview:not(:empty)')) return false;
}
return Array.from(document.images).every(im => im.complete);
"""


# ---------------------------------------------------------------- pure helpers (unit-tested)


def parse_size(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d+)x(\d+)", text.strip())
    if not m or int(m.group(1)) < 200 or int(m.group(2)) < 200:
        raise argparse.ArgumentTypeError(
            f"--size {text!r}: expected WIDTHxHEIGHT in pixels, each at least 200 (e.g. 1280x720)")
    return int(m.group(1)), int(m.group(2))


def overflow(m: dict, tol: float = TOLERANCE_PX) -> dict:
    """How far slide `m` (one MEASURE_JS entry) reaches outside its width × height box, in px
    (0 when inside): {"tall": px, "wide": px}. Content above the top or left of the left edge
    counts too (a slide centred on content taller than the box starts above it)."""
    tall = max(0.0, m["bottom"] - m["height"]) + max(0.0, -m["top"])
    wide = max(0.0, m["right"] - m["width"]) + max(0.0, -m["left"])
    return {"tall": round(tall) if tall > tol else 0, "wide": round(wide) if wide > tol else 0}


def slide_label(m: dict) -> str:
    return f"{m['h'] + 1}.{m['v'] + 1}"


def failure_line(deck: str, m: dict) -> str | None:
    o = overflow(m)
    if not o["tall"] and not o["wide"]:
        return None
    parts = []
    if o["tall"]:
        parts.append(f"{o['tall']} px too tall ({round(m['bottom'] - min(0, m['top']))} of "
                     f"{m['height']}; lowest: <{m['tallest']}>)")
    if o["wide"]:
        parts.append(f"{o['wide']} px too wide ({round(m['right'] - min(0, m['left']))} of "
                     f"{m['width']}; widest: <{m['widest']}>)")
    return f'FAIL {deck} slide {slide_label(m)} "{m["title"]}": ' + ", ".join(parts)


def summary_line(slides: int, decks: int, failed: int) -> str:
    return (f"slide fit: {slides} slide{'s' * (slides != 1)} in {decks} "
            f"deck{'s' * (decks != 1)}, {failed} overflow")


# ---------------------------------------------------------------- the browser part


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # no access log on stdout
        pass


def serve(folder: Path) -> tuple[socketserver.TCPServer, int]:
    handler = functools.partial(_Quiet, directory=str(folder))
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, server.server_address[1]


def reveal_module(page: str) -> str:
    """The require.js module id under which a deck loads reveal.js (its script path)."""
    m = re.search(r'"([^"]*/dist/reveal\.js)"', page)
    return m.group(1) if m else "reveal.js"


def wait_ready(driver, module: str, timeout: float = LOAD_TIMEOUT) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if driver.execute_script(READY_JS, module):
            return
        time.sleep(0.25)
    raise TimeoutError(f"reveal.js/MathJax not ready after {timeout:.0f} s")


def measure_deck(driver, url: str, module: str, size: tuple[int, int]) -> list[dict]:
    driver.get(url)
    wait_ready(driver, module)
    inner = driver.execute_script("return [window.innerWidth, window.innerHeight]")
    if tuple(inner) != size:
        driver.set_window_size(size[0] + size[0] - inner[0], size[1] + size[1] - inner[1])
        driver.get(url)
        wait_ready(driver, module)
        inner = driver.execute_script("return [window.innerWidth, window.innerHeight]")
        if tuple(inner) != size:
            raise RuntimeError(f"viewport is {inner[0]}×{inner[1]}, not {size[0]}×{size[1]}")
    driver.execute_script("window.__fitReveal.layout()")
    return driver.execute_script(MEASURE_JS)


def screenshot(driver, m: dict, module: str, path: Path) -> None:
    driver.execute_script(f"window.__fitReveal.slide({m['h']}, {m['v']})")
    time.sleep(0.2)  # the deck re-typesets a slide's formulas when it is shown
    wait_ready(driver, module)
    driver.save_screenshot(str(path))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("decks", nargs="*", type=Path, help="slide files (default: every deck)")
    ap.add_argument("--slides-dir", type=Path, default=SLIDES_DIR)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--size", type=parse_size, default=(1280, 720), help="default: 1280x720")
    ap.add_argument("--browser", default=os.environ.get(bt.BROWSER_ENV, "chromium"))
    ap.add_argument("--driver", default=os.environ.get(bt.DRIVER_ENV, "chromedriver"))
    a = ap.parse_args(argv)

    chromium, chromedriver = shutil.which(a.browser), shutil.which(a.driver)
    action, line = bt.browser_decision(chromium, chromedriver, os.environ.get("CI"))
    if action != "run":
        print(line.replace("browser test", "slide fit"), flush=True)
        return bt.EXIT_SKIP if action == "skip" else 1

    folder = a.slides_dir.resolve()
    decks = [d.resolve() for d in a.decks] or sorted(folder.glob("*.slides.html"))
    if not decks:
        print(f"FAIL slide fit: no decks in {folder} (run `make slides` first)")
        return 1
    for d in decks:
        if d.parent != folder or not d.is_file():
            ap.error(f"{d} is not a deck in {folder}")
    out = a.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):
        old.unlink()
    for var in ("no_proxy", "NO_PROXY"):
        os.environ[var] = ",".join(filter(None, [os.environ.get(var), "127.0.0.1", "localhost"]))

    args = [x for x in bt.CHROME_ARGS if not x.startswith("--window-size")]
    args.append(f"--window-size={a.size[0]},{a.size[1]}")
    server, port = serve(folder)
    report, failed, slides = {}, 0, 0
    t0 = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="slide-fit-") as profile:
        saved, bt.CHROME_ARGS = bt.CHROME_ARGS, args
        try:
            driver = bt.start_browser(chromium, chromedriver, out, Path(profile))
        finally:
            bt.CHROME_ARGS = saved
        try:
            for deck in decks:
                module = reveal_module(deck.read_text(encoding="utf-8"))
                ms = measure_deck(driver, f"http://127.0.0.1:{port}/{deck.name}", module, a.size)
                report[deck.name] = [dict(m, overflow=overflow(m)) for m in ms]
                slides += len(ms)
                shots = 0
                for m in ms:
                    msg = failure_line(deck.name, m)
                    if msg is None:
                        continue
                    failed += 1
                    print(msg, flush=True)
                    if shots < MAX_SHOTS:
                        stem = deck.name.removesuffix(".slides.html")
                        screenshot(driver, m, module, out / f"{stem}_{slide_label(m)}.png")
                        shots += 1
                bad = sum(1 for m in ms if failure_line(deck.name, m))
                print(f"  {deck.name}: {len(ms)} slides, {bad} overflow", flush=True)
        finally:
            driver.quit()
            server.shutdown()
    (out / "report.json").write_text(json.dumps(report, indent=1) + "\n")
    print(summary_line(slides, len(decks), failed)
          + f" ({time.monotonic() - t0:.0f} s; screenshots and report.json in {out})", flush=True)
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())

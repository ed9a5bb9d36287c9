#!/usr/bin/env python3
"""Lecture slides and the course book from the executed notebooks.

    tools/book.py slides [NOTEBOOK ...]   reveal.js slides per notebook into build/slides/
    tools/book.py book                    the course book (index, prev/next) into build/book/

Both start from build/executed/NAME.ipynb; a notebook whose executed copy is missing or older
than its source is executed first (tools/run_notebooks.py). reveal.js, require.js, jQuery and
MathJax are served from a `_static/` folder next to the pages, filled once from the npm
registry (`npm pack`, cached in build/vendor/); without npm the pages fall back to the CDNs
nbconvert uses by default (and need internet when viewed).
"""

from __future__ import annotations

import argparse
import copy
import html
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))
import run_notebooks as rn  # noqa: E402

REPO = TOOLS.parent
NOTEBOOK_DIR = REPO / "notebooks"
BUILD = REPO / "build"
SLIDE_CSS = NOTEBOOK_DIR / "rise.css"
SLIDE_SIZE = (1280, 720)
# npm package -> files to keep (prefixes inside the package), and where they go in _static/.
VENDOR = {
    "reveal.js@4.0.2": ("reveal.js", ["dist/", "plugin/notes/"]),
    "requirejs@2.3.6": ("requirejs", ["require.js"]),
    "jquery@3.5.1": ("jquery", ["dist/jquery.min.js"]),
    "mathjax@2.7.7": ("mathjax", ["MathJax.js", "config/", "extensions/", "jax/input/TeX/",
                                  "jax/output/CommonHTML/", "jax/element/", "localization/en/",
                                  "fonts/HTML-CSS/TeX/woff/"]),
}
LOCAL_URLS = {
    "reveal_url_prefix": "_static/reveal.js",
    "require_js_url": "_static/requirejs/require.js",
    "jquery_url": "_static/jquery/dist/jquery.min.js",
    "mathjax_url": "_static/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
}


def vendor(cache: Path = BUILD / "vendor") -> Path | None:
    """The folder with reveal.js & co (fetched once with `npm pack`), or None (use CDNs)."""
    stamp = cache / ".complete"
    if stamp.exists():
        return cache
    npm = shutil.which("npm")
    if not npm:
        print("WARN no npm: slides and book pages will load reveal.js/MathJax from CDNs",
              file=sys.stderr)
        return None
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for spec, (folder, keep) in VENDOR.items():
            print(f"==> fetching {spec} with npm pack (once; cached in {cache})", flush=True)
            r = subprocess.run([npm, "pack", spec, "--silent"], cwd=tmp, capture_output=True,
                               text=True)
            tgz = Path(tmp) / (r.stdout.strip().splitlines() or ["?"])[-1]
            if r.returncode or not tgz.exists():
                print(f"WARN npm pack {spec} failed ({r.stderr.strip()[:200]}): using CDNs",
                      file=sys.stderr)
                return None
            with tarfile.open(tgz) as tar:
                for m in tar.getmembers():
                    name = m.name.split("/", 1)[1] if "/" in m.name else m.name
                    if not m.isfile() or not any(name.startswith(k) for k in keep):
                        continue
                    dest = cache / folder / name
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    with tar.extractfile(m) as src:
                        dest.write_bytes(src.read())
    stamp.write_text("ok\n")
    return cache


def _static(out: Path, vend: Path | None) -> dict:
    """Copy the vendored files next to the pages; return the exporter URL settings."""
    if vend is None:
        return {}
    dest = out / "_static"
    if not (dest / ".complete").exists():
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(vend, dest)
    return dict(LOCAL_URLS)


def ensure_executed(paths: list[Path], executed: Path) -> int:
    """Execute the notebooks whose executed copy is missing or stale."""
    stale = [p for p in paths if not (executed / p.name).exists()
             or (executed / p.name).stat().st_mtime < p.stat().st_mtime]
    if not stale:
        return 0
    print(f"==> executing {len(stale)} notebook(s) first (no fresh copy in {executed})",
          flush=True)
    return rn.main([*map(str, stale), "--out", str(executed.parent)])


def notebook_objectives(nb) -> list[str]:
    """The bullet list after the 'objectives' line of the title cell (Markdown kept)."""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        lines = rn._source(cell).splitlines()
        for k, line in enumerate(lines):
            if "objectives" in line.lower():
                items = []
                for ln in lines[k + 1:]:
                    m = re.match(r"^\s*(?:[-*]|\d+\.)\s+(.*)$", ln)
                    if m:
                        items.append(m.group(1).strip())
                    elif items and ln.strip() and ln.startswith(" "):
                        items[-1] += " " + ln.strip()
                    elif items or (ln.strip() and not ln.strip().startswith(("#", "*"))):
                        if items:
                            break
                return items
    return []


def course_map(nb00) -> list[tuple[str, str, str]]:
    """(number, name, topics) rows of the course-map table in notebook 00."""
    rows = []
    for cell in (nb00 or {}).get("cells", []):
        if cell.get("cell_type") != "markdown" or "map of the course" not in \
                rn._source(cell).lower():
            continue
        for line in rn._source(cell).splitlines():
            cols = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cols) >= 3 and re.fullmatch(r"\d\d", cols[0]):
                rows.append((cols[0], cols[1], cols[2]))
    return rows


def _inline_md(text: str) -> str:
    """Just enough Markdown for titles and objectives: escape, `code`, **bold**, *em*."""
    t = html.escape(text)
    t = re.sub(r"`([^`]+)`", r"<code>\1</code>", t)
    t = re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", t)
    return re.sub(r"(?<![\w*])\*([^*]+)\*(?!\w)", r"<em>\1</em>", t)


def nav_html(prev: tuple[str, str] | None, nxt: tuple[str, str] | None) -> str:
    left = f'<a href="{html.escape(prev[0])}">← {html.escape(prev[1])}</a>' if prev else ""
    right = f'<a href="{html.escape(nxt[0])}">{html.escape(nxt[1])} →</a>' if nxt else ""
    return ('<nav class="course-nav" style="display:flex;justify-content:space-between;'
            'padding:.5em 1em;border-bottom:1px solid #ccc;font-family:sans-serif">'
            f'<span>{left}</span><a href="index.html">Course map</a><span>{right}</span></nav>')


def add_nav(page: str, nav: str) -> str:
    page = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + "\n" + nav, page, count=1)
    return page.replace("</body>", nav + "\n</body>", 1)


def index_page(entries: list[dict], cmap: list[tuple[str, str, str]]) -> str:
    """entries: {number, href, title, objectives, status}."""
    by_num = {e["number"]: e for e in entries}
    rows = []
    numbers = [r[0] for r in cmap]
    numbers += [e["number"] for e in entries if e["number"] not in numbers]
    for num in numbers:
        e = by_num.get(num)
        topics = next((r[2] for r in cmap if r[0] == num), "")
        name = next((r[1] for r in cmap if r[0] == num), "")
        if e:
            obj = "".join(f"<li>{_inline_md(o)}</li>" for o in e["objectives"])
            flag = "" if e["status"] == "ok" else f' <strong>({html.escape(e["status"])})</strong>'
            rows.append(f'<tr><td>{num}</td><td><a href="{html.escape(e["href"])}">'
                        f'{_inline_md(e["title"])}</a>{flag}<div class="topics">'
                        f'{_inline_md(topics)}</div>'
                        + (f'<div class="objectives">You will be able to:<ul>{obj}</ul></div>'
                           if obj else "") + "</td></tr>")
        else:
            rows.append(f"<tr class=\"planned\"><td>{num}</td><td>{_inline_md(name)} "
                        f"<em>(planned)</em><div class=\"topics\">{_inline_md(topics)}</div>"
                        "</td></tr>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>Distributed systems, runnable: the course book</title><style>"
            "body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.4}"
            "td{padding:.4em .6em;vertical-align:top;border-bottom:1px solid #eee}"
            ".topics{color:#555;font-size:90%}.planned{color:#999}.objectives{font-size:90%}"
            "ul{margin:.2em 0}</style></head><body>\n"
            "<h1>Distributed systems, runnable</h1>\n<p>The course map: every notebook in "
            "reading order, executed. Each page links to the previous and the next one.</p>\n"
            "<table>\n" + "\n".join(rows) + "\n</table>\n</body></html>\n")


def _number(stem: str) -> str:
    return stem[:2] if re.match(r"\d\d", stem) else stem


def build_book(paths: list[Path], executed: Path, out: Path, vend: Path | None) -> int:
    import nbformat
    from nbconvert import HTMLExporter

    out.mkdir(parents=True, exist_ok=True)
    urls = _static(out, vend)
    status = {}
    tj = executed.parent / "timings.json"
    if tj.exists():
        status = {t["notebook"]: t["status"] for t in json.loads(tj.read_text())}
    nbs = [(p.stem, nbformat.read(executed / p.name, as_version=4)) for p in paths
           if (executed / p.name).exists()]
    exporter = HTMLExporter(template_name="lab",
                            **{k: v for k, v in urls.items() if k != "reveal_url_prefix"})
    entries = []
    for k, (stem, nb) in enumerate(nbs):
        title = rn.notebook_title(nb, stem)
        body, _ = exporter.from_notebook_node(nb, resources={"metadata": {"name": title}})
        prev = (f"{nbs[k - 1][0]}.html", rn.notebook_title(nbs[k - 1][1], nbs[k - 1][0])) \
            if k else None
        nxt = (f"{nbs[k + 1][0]}.html", rn.notebook_title(nbs[k + 1][1], nbs[k + 1][0])) \
            if k + 1 < len(nbs) else None
        (out / f"{stem}.html").write_text(add_nav(body, nav_html(prev, nxt)), encoding="utf-8")
        entries.append({"number": _number(stem), "href": f"{stem}.html", "title": title,
                        "objectives": notebook_objectives(nb), "status": status.get(stem, "ok")})
    nb00 = next((nb for stem, nb in nbs if stem.startswith("00_")), None)
    (out / "index.html").write_text(index_page(entries, course_map(nb00)), encoding="utf-8")
    print(f"==> course book: {len(entries)} page(s) -> {out / 'index.html'}")
    return 0


FIGURE_MIMES = ("image/svg+xml", "image/png", "image/jpeg")
FIGURE_TAG = "slide-figure"  # cells made by figures_on_subslides: input removed on the slide
DENSE_TAG = "slide-dense"  # code or output too long for a slide: set at 12 px (rise.css)


def slide_type(cell: dict) -> str:
    return cell.get("metadata", {}).get("slideshow", {}).get("slide_type", "-")


def _is_figure(output: dict) -> bool:
    return any(m in output.get("data", {}) for m in FIGURE_MIMES)


def _dense_if_tall(cell: dict) -> dict:
    """`cell`, tagged DENSE_TAG when it is code taller than a slide."""
    if cell.get("cell_type") == "code" and cell_height(cell) > SLIDE_BUDGET:
        meta = cell.setdefault("metadata", {})
        meta["tags"] = list(meta.get("tags", [])) + [DENSE_TAG]
    return cell


def figures_on_subslides(nb: dict) -> dict:
    """A copy of executed notebook `nb` for the slides: a code cell's figure (and whatever it
    prints after it) moves to a new input-less cell on a subslide of its own, below the code,
    unless the cell is alone on its slide with at most three lines of code; so do the outputs
    of a cell too tall for one slide with them. A code cell still too tall for a slide is
    tagged DENSE_TAG (set smaller by rise.css). A figure under its code and the prose above it
    does not fit a 1280x720 slide; on its own it can be large. The notebook itself is not
    changed (the book and JupyterLab show the cell as written)."""
    nb = copy.deepcopy(nb)
    cells, out = nb["cells"], []
    slide_has_content = False
    for cell in cells:
        kind = slide_type(cell)
        if kind in ("slide", "subslide"):
            slide_has_content = False
        if kind in ("skip", "notes"):
            out.append(cell)
            continue
        outputs = cell.get("outputs", []) if cell.get("cell_type") == "code" else []
        first = next((i for i, o in enumerate(outputs) if _is_figure(o)), None)
        lines = len("".join(cell.get("source", "")).strip().splitlines())
        if first is None and outputs and cell_height(cell) > SLIDE_BUDGET:
            first = 0  # a long printout: it goes below the code, like a figure
        if first is not None and (slide_has_content or lines > 3):
            figure = {"cell_type": "code", "execution_count": cell.get("execution_count"),
                      "id": f"{cell.get('id', 'cell')}-figure", "source": "",
                      "metadata": {"slideshow": {"slide_type": "subslide"},
                                   "tags": [FIGURE_TAG]},
                      "outputs": outputs[first:]}
            cell["outputs"] = outputs[:first]
            out += [_dense_if_tall(cell), _dense_if_tall(figure)]
            slide_has_content = True
            continue
        out.append(_dense_if_tall(cell))
        slide_has_content = True
    nb["cells"] = out
    return nb


# Estimated heights in deck pixels under notebooks/rise.css (21 px prose at 1.35, 15 px code at
# 1.3, on a 1280 px wide slide): calibrated against tools/slide_fit.py's measurements, and on the
# generous side, so a slide the estimate fills is rarely one the browser finds too tall.
SLIDE_BUDGET = 660  # of 720: a slide's content starts 40 px down, and a little to spare
PROSE_LINE, PROSE_CHARS = 29.0, 112
CODE_LINE, CODE_CHARS = 20.0, 132
DENSE_LINE, DENSE_CHARS = 16.0, 165
HEADING = {1: 66.0, 2: 56.0, 3: 46.0}
FIGURE_MAX = 500.0  # rise.css: max-height of a figure on a slide
FIGURE_PAD = 47.0  # the output area around it (measured: the same for every figure)
TABLE_ROW, DENSE_ROW = 24.0, 18.0
OUTPUT_PAD = 13.0  # around each printed output (a cell's prints are often many outputs)
DISPLAY_MATH_LINE = 40.0


def _wrapped(lines: list[str], width: int) -> int:
    return sum(max(1, -(-len(line) // width)) for line in lines)


def markdown_height(src: str) -> float:
    h, para = 0.0, []
    in_math = False
    for line in src.splitlines() + [""]:
        stripped = line.strip()
        if in_math or stripped.startswith("$$"):  # display math: about 40 px a line
            h += DISPLAY_MATH_LINE
            if stripped.count("$$") % 2 == 1:
                in_math = not in_math
            continue
        m = re.match(r"(#{1,6})\s", stripped)
        if m:
            h += HEADING.get(len(m.group(1)), 40.0)
        elif stripped.startswith("|"):
            h += 0.0 if set(stripped) <= set("|-: ") else 34.0
        elif re.match(r"([-*+]|\d+[.)])\s", stripped) or not stripped:
            if para:
                h += _wrapped([" ".join(para)], PROSE_CHARS) * PROSE_LINE + 10.0
            para = [stripped] if stripped else []
            continue
        else:
            para.append(stripped)
            continue
        if para:
            h += _wrapped([" ".join(para)], PROSE_CHARS) * PROSE_LINE + 10.0
            para = []
    return h


def _figure_height(output: dict) -> float:
    svg = output.get("data", {}).get("image/svg+xml")
    if isinstance(svg, list):
        svg = "".join(svg)
    if svg:
        w = re.search(r'<svg[^>]*\swidth="([\d.]+)', svg)
        hh = re.search(r'<svg[^>]*\sheight="([\d.]+)', svg)
        if w and hh:
            width, height = float(w.group(1)), float(hh.group(1))
            return min(FIGURE_MAX, height * min(1.0, 1240.0 / width))
    return FIGURE_MAX


def output_height(output: dict, dense: bool = False) -> float:
    if _is_figure(output):
        return _figure_height(output) + FIGURE_PAD
    data = output.get("data", {})
    text = output.get("text") or data.get("text/html") or data.get("text/plain") or ""
    text = "".join(text) if isinstance(text, list) else text
    line, chars = (DENSE_LINE, DENSE_CHARS) if dense else (CODE_LINE, CODE_CHARS)
    if output.get("output_type") == "stream" or "text/html" not in data:
        return _wrapped(text.splitlines(), chars) * line + OUTPUT_PAD
    rows = len(re.findall(r"<tr\b", text))
    caption = 30.0 if "<caption" in text else 0.0
    return rows * (DENSE_ROW if dense else TABLE_ROW) + caption + 12.0 if rows else \
        _wrapped(re.sub(r"<[^>]+>", "", text).splitlines(), PROSE_CHARS) * PROSE_LINE


def cell_height(cell: dict) -> float:
    src = "".join(cell.get("source", ""))
    if cell.get("cell_type") == "markdown":
        return markdown_height(src) + 6.0
    if cell.get("cell_type") != "code":
        return 0.0
    tags = cell.get("metadata", {}).get("tags", [])
    line, chars = (DENSE_LINE, DENSE_CHARS) if DENSE_TAG in tags else (CODE_LINE, CODE_CHARS)
    h = 0.0 if FIGURE_TAG in tags or not src.strip() else \
        _wrapped(src.rstrip().splitlines(), chars) * line + 16.0
    return h + sum(output_height(o, DENSE_TAG in tags) for o in cell.get("outputs", [])) + 4.0


def markdown_blocks(src: str) -> list[tuple[str, str | None]]:
    """`src` cut where a slide may break: between paragraphs, between the items of a
    top-level list, and between the rows of a table. Never inside a code fence or a
    display-math block; a heading stays with what follows it. Each block is (text, header):
    a table row comes with its table's header and separator lines, else header is None."""
    blocks, cur, fence, math = [], [], False, False

    def flush():
        if cur:
            blocks.append("\n".join(cur))
            cur.clear()
    for line in src.splitlines():
        st = line.strip()
        delim = st.startswith("```") or (st.startswith("$$") and st.count("$$") == 1)
        if fence or math or delim:
            cur.append(line)
            if st.startswith("```"):
                fence = not fence
            elif delim:
                math = not math
            continue
        if not st:
            flush()
        elif re.match(r"([-*+]|\d+[.)])\s", line) and cur and not cur[-1].startswith("#"):
            flush()
            cur.append(line)
        else:
            cur.append(line)
    flush()
    out: list[tuple[str, str | None]] = []
    for blk in blocks:
        rows = blk.splitlines()
        if len(rows) > 2 and all(r.strip().startswith("|") for r in rows) \
                and set(rows[1].strip()) <= set("|-: "):
            header = "\n".join(rows[:2])
            out += [(r, header) for r in rows[2:]]
        elif out and out[-1][1] is None and re.fullmatch(r"#{1,6}\s.*", out[-1][0].strip()):
            out[-1] = (out[-1][0] + "\n\n" + blk, None)  # a heading is not left alone
        else:
            out.append((blk, None))
    return out


def split_markdown(src: str, budget: float = SLIDE_BUDGET) -> list[str]:
    """`src` as one or more pieces whose estimated height fits `budget`, cut between blocks
    (markdown_blocks; a table cut between rows repeats its header). One block taller than
    the budget stays one piece."""
    if markdown_height(src) <= budget:
        return [src]
    pieces: list[tuple[str, str | None]] = []  # (text, header of the table it ends with)

    def add(text: str, header: str | None, onto: str | None, open_table: str | None) -> str:
        if onto is None:
            return f"{header}\n{text}" if header else text
        if header and header == open_table:
            return f"{onto}\n{text}"
        return f"{onto}\n\n{header}\n{text}" if header else f"{onto}\n\n{text}"
    for text, header in markdown_blocks(src):
        if pieces:
            joined = add(text, header, *pieces[-1])
            if markdown_height(joined) <= budget:
                pieces[-1] = (joined, header)
                continue
        pieces.append((add(text, header, None, None), header))
    return [p for p, _ in pieces]


def paginate(nb: dict, budget: float = SLIDE_BUDGET) -> dict:
    """Start a new subslide at the cell that would push the slide's estimated height past
    `budget` (a cell that starts a slide or subslide resets it; fragments count, since a slide
    shows all of them by the end). Works on the output of figures_on_subslides; changes only
    slide types. A single cell taller than the budget stays too tall: tools/slide_fit.py names
    it, and the notebook's author splits or shortens it."""
    cells = []
    for cell in nb["cells"]:
        pieces = split_markdown("".join(cell["source"]), budget) \
            if cell.get("cell_type") == "markdown" and slide_type(cell) not in ("skip", "notes") \
            else [None]
        if len(pieces) == 1:
            cells.append(cell)
            continue
        for k, piece in enumerate(pieces):
            part = copy.deepcopy(cell)
            part["source"] = piece
            if k:
                part["id"] = f"{cell.get('id', 'cell')}-part{k + 1}"
                part.setdefault("metadata", {})["slideshow"] = {"slide_type": "subslide"}
            cells.append(part)
    nb["cells"] = cells
    h = 0.0
    for cell in nb["cells"]:
        kind = slide_type(cell)
        if kind in ("skip", "notes"):
            continue
        if kind in ("slide", "subslide"):
            h = 0.0
        e = cell_height(cell)
        if h > 0 and h + e > budget:
            cell.setdefault("metadata", {}).setdefault("slideshow", {})["slide_type"] = "subslide"
            h = 0.0
        h += e
    return nb


def build_slides(paths: list[Path], executed: Path, out: Path, vend: Path | None) -> int:
    import nbformat
    from nbconvert import SlidesExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    out.mkdir(parents=True, exist_ok=True)
    urls = _static(out, vend)
    # A 16:9 deck the size of the projector the slides are checked at (tools/slide_fit.py),
    # styled by notebooks/rise.css, the same file RISE loads for live slideshows.
    exporter = SlidesExporter(reveal_scroll=True, reveal_width=str(SLIDE_SIZE[0]),
                              reveal_height=str(SLIDE_SIZE[1]), **urls)
    exporter.register_preprocessor(TagRemovePreprocessor(remove_input_tags={FIGURE_TAG}),
                                   enabled=True)
    style = f"<style type=\"text/css\">\n{SLIDE_CSS.read_text(encoding='utf-8')}</style>\n"
    n = 0
    for p in paths:
        if not (executed / p.name).exists():
            continue
        nb = nbformat.from_dict(paginate(figures_on_subslides(
            nbformat.read(executed / p.name, as_version=4))))
        body, _ = exporter.from_notebook_node(
            nb, resources={"metadata": {"name": rn.notebook_title(nb, p.stem)}})
        body = body.replace("</head>", style + "</head>", 1)
        (out / f"{p.stem}.slides.html").write_text(body, encoding="utf-8")
        n += 1
        print(f"==> slides: {out / (p.stem + '.slides.html')}")
    if not urls:
        print("WARN slides load reveal.js from a CDN (no local copy): viewing needs internet")
    return 0 if n else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=["slides", "book"])
    ap.add_argument("notebooks", nargs="*", type=Path)
    ap.add_argument("--build", type=Path, default=BUILD, help="build folder (build/)")
    ap.add_argument("--no-execute", action="store_true",
                    help="use the executed copies as they are, even if stale or missing")
    a = ap.parse_args(argv)
    paths = [p.resolve() for p in a.notebooks] or sorted(NOTEBOOK_DIR.glob("*.ipynb"))
    executed = a.build / "executed"
    if not a.no_execute and ensure_executed(paths, executed):
        print("WARN some notebooks failed to execute; their pages show the failure",
              file=sys.stderr)
    vend = vendor(a.build / "vendor")
    if a.what == "slides":
        return build_slides(paths, executed, a.build / "slides", vend)
    return build_book(paths, executed, a.build / "book", vend)


if __name__ == "__main__":
    sys.exit(main())

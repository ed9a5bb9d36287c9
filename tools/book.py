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


def build_slides(paths: list[Path], executed: Path, out: Path, vend: Path | None) -> int:
    import nbformat
    from nbconvert import SlidesExporter

    out.mkdir(parents=True, exist_ok=True)
    urls = _static(out, vend)
    exporter = SlidesExporter(reveal_scroll=True, **urls)
    n = 0
    for p in paths:
        if not (executed / p.name).exists():
            continue
        nb = nbformat.read(executed / p.name, as_version=4)
        body, _ = exporter.from_notebook_node(
            nb, resources={"metadata": {"name": rn.notebook_title(nb, p.stem)}})
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

"""Tests for the slide layout of tools/book.py (figures on subslides, pagination, Markdown
split) and tools/slide_fit.py's pure helpers. No browser: tools/slide_fit.py itself runs in
`make test` on every deck."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(TOOLS))

import book  # noqa: E402
import slide_fit as sf  # noqa: E402

SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="720" height="420"></svg>'


def md(src: str, kind: str = "-", cid: str = "m") -> dict:
    return {"cell_type": "markdown", "id": cid, "source": src,
            "metadata": {"slideshow": {"slide_type": kind}}}


def code(src: str, outputs=(), kind: str = "-", cid: str = "c") -> dict:
    return {"cell_type": "code", "id": cid, "source": src, "execution_count": 1,
            "metadata": {"slideshow": {"slide_type": kind}}, "outputs": list(outputs)}


def figure() -> dict:
    return {"output_type": "execute_result", "execution_count": 1, "metadata": {},
            "data": {"image/svg+xml": SVG, "text/plain": "fig"}}


def stream(text: str) -> dict:
    return {"output_type": "stream", "name": "stdout", "text": text}


# ---------------------------------------------------------------- figures on subslides


def test_a_figure_under_prose_moves_to_its_own_subslide_with_what_follows_it():
    nb = {"cells": [md("## A section", "slide"),
                    code("let x = 1;\nlet fig = chart()?;\nfig",
                         [stream("before\n"), figure(), stream("after\n")])]}
    out = book.figures_on_subslides(nb)["cells"]
    assert [c["cell_type"] for c in out] == ["markdown", "code", "code"]
    kept, moved = out[1], out[2]
    assert kept["source"].startswith("let x") and kept["outputs"] == [stream("before\n")]
    assert moved["source"] == "" and book.FIGURE_TAG in moved["metadata"]["tags"]
    assert book.slide_type(moved) == "subslide"
    assert [o.get("text") for o in moved["outputs"]] == [None, "after\n"]
    assert nb["cells"][1]["outputs"][0] == stream("before\n"), "the input is not changed"


def test_a_short_cell_alone_on_its_slide_keeps_its_figure():
    nb = {"cells": [code("fig", [figure()], "slide")]}
    assert book.figures_on_subslides(nb)["cells"] == nb["cells"]
    long = {"cells": [code("a\nb\nc\nd\nfig", [figure()], "slide")]}
    assert len(book.figures_on_subslides(long)["cells"]) == 2


# ---------------------------------------------------------------- heights and pagination


def test_code_height_counts_wrapped_lines():
    one = book.cell_height(code("x"))
    assert book.cell_height(code("x\n" * 10)) == pytest.approx(one + 9 * book.CODE_LINE)
    wide = "y" * (book.CODE_CHARS * 3)
    assert book.cell_height(code(wide)) == pytest.approx(one + 2 * book.CODE_LINE)


def test_display_math_over_two_lines_ends_where_its_closing_dollars_are():
    src = "$$a +\nb$$\n\nA paragraph after the formula.\n\nAnd another."
    after = book.markdown_height("A paragraph after the formula.\n\nAnd another.")
    assert book.markdown_height(src) == pytest.approx(2 * book.DISPLAY_MATH_LINE + after)


def test_paginate_starts_a_subslide_where_the_budget_runs_out():
    cells = [md("# Title", "slide")] + [code("x\n" * 9, cid=f"c{i}") for i in range(6)]
    nb = book.paginate({"cells": cells}, budget=500)
    kinds = [book.slide_type(c) for c in nb["cells"]]
    assert kinds[0] == "slide" and "subslide" in kinds
    h, heights = 0.0, []
    for c in nb["cells"]:
        if book.slide_type(c) in ("slide", "subslide"):
            heights.append(0.0)
        heights[-1] += book.cell_height(c)
    assert all(x <= 500 for x in heights), heights
    assert len(heights) >= 3


def test_a_slide_that_fits_is_left_alone():
    cells = [md("# Title\n\nshort", "slide"), code("x"), md("What to notice", "fragment")]
    nb = book.paginate({"cells": [dict(c) for c in cells]})
    assert [book.slide_type(c) for c in nb["cells"]] == ["slide", "-", "fragment"]


# ---------------------------------------------------------------- splitting long Markdown


TABLE = "| # | notebook |\n|---|---|\n" + "\n".join(f"| {i} | row {i} |" for i in range(40))


def test_a_long_table_is_cut_between_rows_and_each_piece_repeats_the_header():
    src = "## Map\n\nIntro sentence.\n\n" + TABLE + "\n\nA closing line."
    pieces = book.split_markdown(src, budget=400)
    assert len(pieces) >= 3
    assert pieces[0].startswith("## Map\n\nIntro sentence.")
    rows = [line for p in pieces for line in p.splitlines() if line.startswith("| ")
            and not line.startswith("| # ")]
    assert rows == [f"| {i} | row {i} |" for i in range(40)], "every row once, in order"
    for p in pieces:
        if "| row" in p:
            i = p.index("| # | notebook |")
            assert p[i:].startswith("| # | notebook |\n|---|---|\n")
        assert book.markdown_height(p) <= 400


def test_a_list_is_cut_between_items_and_a_fence_is_never_cut():
    items = "\n".join(f"- item {i} with some words to make it a line" for i in range(30))
    fence = "```\n" + "\n".join(f"line {i}" for i in range(5)) + "\n```"
    pieces = book.split_markdown("## Summary\n\n" + items + "\n\n" + fence, budget=300)
    assert len(pieces) >= 3
    assert all(not p.startswith("  ") for p in pieces)
    assert sum(p.count("- item") for p in pieces) == 30
    assert sum(1 for p in pieces if fence in p) == 1
    assert pieces[0].startswith("## Summary\n\n- item 0")


def test_paginate_turns_the_pieces_of_a_long_cell_into_subslides():
    nb = book.paginate({"cells": [md("## Map\n\n" + TABLE, "slide", "map")]}, budget=400)
    ids = [c["id"] for c in nb["cells"]]
    assert ids[0] == "map" and ids[1] == "map-part2" and len(ids) >= 3
    assert [book.slide_type(c) for c in nb["cells"]][1:] == ["subslide"] * (len(ids) - 1)


# ---------------------------------------------------------------- slide_fit's verdicts


def measured(**kw) -> dict:
    m = {"h": 2, "v": 1, "title": "3. A section", "width": 1280, "height": 720, "top": 10,
         "left": 30, "bottom": 700, "right": 1250, "tallest": "div.jp-Cell", "widest": "pre",
         "cells": []}
    m.update(kw)
    return m


def test_a_slide_inside_its_box_passes_and_one_outside_fails_with_numbers():
    assert sf.overflow(measured()) == {"tall": 0, "wide": 0}
    assert sf.failure_line("x.slides.html", measured()) is None
    assert sf.overflow(measured(bottom=720 + sf.TOLERANCE_PX)) == {"tall": 0, "wide": 0}
    line = sf.failure_line("15_x.slides.html", measured(bottom=900, right=1300))
    assert line == ('FAIL 15_x.slides.html slide 3.2 "3. A section": 180 px too tall '
                    '(900 of 720; lowest: <div.jp-Cell>), 20 px too wide (1300 of 1280; '
                    'widest: <pre>)')


def test_content_above_the_top_or_left_of_the_slide_counts():
    assert sf.overflow(measured(top=-50)) == {"tall": 50, "wide": 0}
    assert sf.overflow(measured(left=-9)) == {"tall": 0, "wide": 9}


def test_size_argument():
    assert sf.parse_size("1280x720") == (1280, 720)
    for bad in ("1280", "100x100", "axb"):
        with pytest.raises(Exception, match="WIDTHxHEIGHT"):
            sf.parse_size(bad)


def test_reveal_module_id_is_read_from_the_deck():
    page = 'require({}, [\n "_static/reveal.js/dist/reveal.js",\n "x/notes.js"], f)'
    assert sf.reveal_module(page) == "_static/reveal.js/dist/reveal.js"
    assert sf.summary_line(1, 1, 0) == "slide fit: 1 slide in 1 deck, 0 overflow"


def test_code_too_long_for_a_slide_is_set_dense_and_then_fits():
    long = code("\n".join(f"let x{i} = {i};" for i in range(36)), kind="slide")
    assert book.cell_height(long) > book.SLIDE_BUDGET
    out = book.figures_on_subslides({"cells": [long]})["cells"]
    assert book.DENSE_TAG in out[0]["metadata"]["tags"]
    assert book.cell_height(out[0]) <= book.SLIDE_BUDGET
    short = code("let x = 1;", kind="slide")
    assert "tags" not in book.figures_on_subslides({"cells": [short]})["cells"][0]["metadata"]


def test_a_long_printout_goes_below_its_code_on_a_subslide():
    printout = stream("".join(f"line {i}\n" for i in range(30)))
    cell = code("a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl", [printout], kind="slide")
    assert book.cell_height(cell) > book.SLIDE_BUDGET
    out = book.figures_on_subslides({"cells": [cell]})["cells"]
    assert len(out) == 2 and out[0]["outputs"] == [] and out[1]["outputs"] == [printout]
    assert book.slide_type(out[1]) == "subslide"

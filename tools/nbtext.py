#!/usr/bin/env python3
"""Edit course notebooks as plain text.

The committed `.ipynb` is the source of truth; this converts it to a readable text form and
back, so a notebook can be written or reviewed in an editor and diffed line by line.

Text form: cells separated by header lines

    %% md slide          a Markdown cell whose slideshow type is "slide"
    %% code fragment     a code cell, slideshow type "fragment"
    %% code - solution   a code cell, slide type "-", with extra tags (here: "solution")

The slide type is one of slide, subslide, fragment, skip, notes, - (default "-").
Words after the slide type become cell tags (nbgrader-style metadata is added by the
homework tooling, not here).

Usage:
    tools/nbtext.py to-ipynb notebook.txt notebooks/NN_name.ipynb
    tools/nbtext.py to-text notebooks/NN_name.ipynb notebook.txt
"""
import json
import sys

SLIDE_TYPES = {"slide", "subslide", "fragment", "skip", "notes", "-"}
KERNELSPEC = {"display_name": "Rust", "language": "rust", "name": "rust"}
LANGUAGE_INFO = {
    "codemirror_mode": "rust",
    "file_extension": ".rs",
    "mimetype": "text/rust",
    "name": "Rust",
    "pygment_lexer": "rust",
    "version": "",
}


def parse_text(text):
    cells = []
    current = None
    for lineno, line in enumerate(text.splitlines(), 1):
        if line.startswith("%% "):
            words = line[3:].split()
            if not words or words[0] not in ("md", "code"):
                raise SystemExit(f"line {lineno}: header must be '%% md ...' or '%% code ...': {line!r}")
            slide = words[1] if len(words) > 1 else "-"
            if slide not in SLIDE_TYPES:
                raise SystemExit(f"line {lineno}: unknown slide type {slide!r}; use one of {sorted(SLIDE_TYPES)}")
            current = {"kind": words[0], "slide": slide, "tags": words[2:], "lines": []}
            cells.append(current)
        elif current is None:
            if line.strip():
                raise SystemExit(f"line {lineno}: text before the first '%%' header")
        else:
            current["lines"].append(line)
    return cells


def to_ipynb(cells):
    out = []
    for c in cells:
        lines = c["lines"]
        while lines and not lines[-1].strip():
            lines.pop()
        while lines and not lines[0].strip():
            lines.pop(0)
        source = "\n".join(lines)
        meta = {"slideshow": {"slide_type": c["slide"]}}
        if c["tags"]:
            meta["tags"] = c["tags"]
        if c["kind"] == "md":
            out.append({"cell_type": "markdown", "metadata": meta, "source": source})
        else:
            out.append({"cell_type": "code", "execution_count": None, "metadata": meta,
                        "outputs": [], "source": source})
    nb = {"cells": out,
          "metadata": {"kernelspec": KERNELSPEC, "language_info": LANGUAGE_INFO},
          "nbformat": 4, "nbformat_minor": 5}
    # stable cell ids derived from position, so re-conversion does not churn diffs
    for i, cell in enumerate(nb["cells"]):
        cell["id"] = f"cell-{i:03d}"
    return nb


def to_text(nb):
    parts = []
    for cell in nb["cells"]:
        kind = "md" if cell["cell_type"] == "markdown" else "code"
        meta = cell.get("metadata", {})
        slide = meta.get("slideshow", {}).get("slide_type", "-")
        tags = meta.get("tags", [])
        src = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        header = " ".join(["%%", kind, slide] + tags)
        parts.append(f"{header}\n{src}\n")
    return "\n".join(parts)


def main(argv):
    if len(argv) != 4 or argv[1] not in ("to-ipynb", "to-text"):
        print(__doc__)
        return 2
    _, mode, src, dst = argv
    if mode == "to-ipynb":
        with open(src, encoding="utf-8") as f:
            nb = to_ipynb(parse_text(f.read()))
        with open(dst, "w", encoding="utf-8") as f:
            json.dump(nb, f, indent=1, ensure_ascii=False)
            f.write("\n")
    else:
        with open(src, encoding="utf-8") as f:
            nb = json.load(f)
        with open(dst, "w", encoding="utf-8") as f:
            f.write(to_text(nb))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

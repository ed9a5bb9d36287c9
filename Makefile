# Course toolchain. Two commands matter:
#   make lab    run the course (JupyterLab on notebooks/)      [also: make, make course]
#   make test   run every test (Rust, Python tools, notebook hygiene, notebooks executed)
# Logic lives in tools/ (setup.sh, run_notebooks.py, check_notebooks.py, test.sh).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := lab

PY := .venv/bin/python
# Notebooks to execute/check (default: notebooks/*.ipynb), e.g. NOTEBOOKS=notebooks/01_x.ipynb
NOTEBOOKS ?=
# Extra arguments for `jupyter lab`, e.g. LAB_ARGS="--no-browser --ip=0.0.0.0".
# The port comes from JUPYTER_PORT (read by Jupyter itself; default 8888, next free if taken).
LAB_ARGS ?=
# Jupyter's runtime files (connection files, server info) stay in the repo, not in ~/.local.
export JUPYTER_RUNTIME_DIR ?= $(CURDIR)/.jupyter-runtime
# Containers often run as root; Jupyter refuses that without --allow-root.
ROOT_ARGS := $(if $(filter 0,$(shell id -u)),--allow-root)

# Grading: make grade SUBMISSIONS=<folder of .ipynb> OUT=<folder> [GRADE_ARGS="--jobs 2 ..."]
SUBMISSIONS ?=
OUT ?= build/grades
GRADE_ARGS ?=

.PHONY: lab course setup venv evcxr kernel warm execute book slides annotate student test-student grade bench-grade check-notebooks test clean distclean reset-cache help hub hub-build hub-grade

help:
	@sed -n '1,4p' Makefile; echo; echo "targets: lab (default) setup warm execute book slides annotate student test-student grade bench-grade check-notebooks test clean distclean reset-cache hub hub-grade"

lab course: setup
	@mkdir -p notebooks
	@echo "==> starting JupyterLab on notebooks/ (Ctrl-C twice to stop)"
	.venv/bin/jupyter lab --notebook-dir=notebooks $(ROOT_ARGS) $(LAB_ARGS)

# .venv + pinned Python tools, evcxr_jupyter 0.22.0, Rust kernel in .venv, warm evcxr cache.
setup:
	@tools/setup.sh venv evcxr kernel warm

venv evcxr kernel:
	@tools/setup.sh $@

# Fill evcxr's compilation cache; FORCE_WARM=1 to redo it even when the stamp says warm.
warm:
	@tools/setup.sh venv evcxr kernel warm

execute: setup
	@$(PY) tools/run_notebooks.py $(NOTEBOOKS)

# The course book (build/book/index.html: course map, objectives, prev/next links) and
# reveal.js slides (build/slides/), both from build/executed/ (executed first if stale).
book: setup
	@$(PY) tools/book.py book $(NOTEBOOKS)

slides: setup
	@$(PY) tools/book.py slides $(NOTEBOOKS)

# Homework (tools/homework.py, tools/grade.py; README "Homework and grading").
annotate:
	@python3 tools/homework.py annotate $(NOTEBOOKS)

student:
	@python3 tools/homework.py student $(NOTEBOOKS)

test-student: setup
	@$(PY) tools/homework.py test-student $(NOTEBOOKS)

grade: setup
	@test -n "$(SUBMISSIONS)" || { echo "usage: make grade SUBMISSIONS=<dir> OUT=<dir>"; exit 2; }
	@$(PY) tools/grade.py "$(SUBMISSIONS)" "$(OUT)" $(GRADE_ARGS)

# 30 copies of one notebook's solved student copy, graded with the default settings.
bench-grade: setup
	@$(PY) tools/bench_grade.py $(NOTEBOOKS)

# A class on one machine (README, "Teaching a class"; as root): JupyterHub serving the course to
# every student, HUB_ROOT=/srv/ds-course. HUB_DEMO=1 HUB_PASSWORD=... for a localhost demo.
HUB_ROOT ?= /srv/ds-course
export HUB_ROOT
hub: hub-build
	@echo "==> starting JupyterHub on $${HUB_BIND_URL:-http://127.0.0.1:$${HUB_PORT:-8000}} (Ctrl-C to stop)"
	cd "$(HUB_ROOT)/state" && "$(HUB_ROOT)/course/.venv/bin/jupyterhub" -f "$(HUB_ROOT)/course/tools/hub/jupyterhub_config.py"

hub-build:
	@tools/hub/build.sh

# Collect every submission, grade it (as an unprivileged user), return feedback to each student.
hub-grade:
	@cd "$(HUB_ROOT)/course/tools/hub" && "$(HUB_ROOT)/course/.venv/bin/python" -m course_hub.collect --hub-root "$(HUB_ROOT)" $(GRADE_ARGS)

check-notebooks:
	@tools/setup.sh venv
	@$(PY) tools/check_notebooks.py $(NOTEBOOKS)

test:
	@tools/test.sh

clean:
	rm -rf build

distclean: clean
	rm -rf .venv

# Empty evcxr's compilation cache (shared by all evcxr kernels of this user) and the warm stamps.
reset-cache:
	rm -rf "$${XDG_CACHE_HOME:-$$HOME/.cache}/evcxr"

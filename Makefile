# The two commands a newcomer needs (see README.md):
#   make reproduce   set up, run the main job on the CPU `tiny` preset, regenerate figures/
#   make test        set up, run every test (nbdev_test + pytest)
SHELL := /bin/bash
VENV := . .venv/bin/activate &&

.PHONY: setup reproduce test export readme
setup:
	@bash tools/setup.sh

ARMS ?= none erase route random_V shuffled_V nonhack_V meandiff_V no_teacher
SEEDS ?= 41 42 43
reproduce: setup
	$(VENV) python -m projected_grpo.rewards selfcheck
	$(VENV) python -m projected_grpo.organism build
	$(VENV) python -m projected_grpo.sweep --preset tiny --arms $(ARMS) --seeds $(SEEDS) --leave-one-mode-out
	$(VENV) python -m projected_grpo.health --runs_dir runs/tiny --fig_dir figures

test: setup
	$(VENV) nbdev_test --n_workers 2 --timing
	$(VENV) python -m pytest -q tests

export: setup
	$(VENV) nbdev_export && python tools/readme.py

readme:
	$(VENV) python tools/readme.py

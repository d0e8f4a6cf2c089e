# The two commands a newcomer needs (see README.md):
#   make reproduce   set up, run the main job on the CPU `tiny` preset, regenerate figures/
#   make test        set up, run every test (nbdev_test + pytest)
SHELL := /bin/bash
VENV ?= . .venv/bin/activate &&

.PHONY: setup reproduce experiment test export readme
setup:
	@bash tools/setup.sh

# tiny has no teacher rows (mix_ratio 0), so `no_teacher` would be `erase` again and is not an arm of it; tiny removes
# two-sided (gate_mode no_gate), where `shuffled_V` (same span as the real V) is `erase` again too (06 refuses both there).
# Leave-one-mode-out: the erase arm with each mode held out of V, on one seed (each run costs ~7 min of one core);
# its baselines are the all-modes vanilla and random_V runs, which on tiny do not depend on known_modes' teacher pool.
ARMS ?= none erase random_V route nonhack_V
SEEDS ?= 41 42 43
LOMO ?= --leave-one-mode-out --lomo-arms erase --lomo-seeds 41
PRESET ?= tiny
RUNS ?= runs
FIGS ?= figures
reproduce: setup experiment

# the chain itself (tests/test_chain.py runs it on `smoke`, one seed, a few arms)
experiment:
	$(VENV) python -m projected_grpo.rewards selfcheck
	$(if $(filter tiny,$(PRESET)),$(VENV) python -m projected_grpo.organism build)
	$(VENV) python -m projected_grpo.sweep --preset $(PRESET) --arms $(ARMS) --seeds $(SEEDS) $(LOMO) --runs_dir $(RUNS)
	$(VENV) python -m projected_grpo.health --runs_dir $(RUNS)/$(PRESET) --fig_dir $(FIGS)

test: setup
	$(VENV) nbdev_test --n_workers 2 --timing
	$(VENV) python -m pytest -q tests

export: setup
	$(VENV) nbdev_export && python tools/readme.py

readme:
	$(VENV) python tools/readme.py

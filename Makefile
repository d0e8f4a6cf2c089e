# The two commands a newcomer needs (see README.md):
#   make reproduce   set up, run the main job on the CPU `tiny` preset, regenerate figures/
#   make test        set up, run every test (nbdev_test + pytest)
SHELL := /bin/bash
VENV ?= . .venv/bin/activate &&

.PHONY: setup reproduce experiment frontier organism-next test export readme
setup:
	@bash tools/setup.sh

# The main job, on `tiny`: the real basis (erase) against its two controls (random_V, nonhack_V) and vanilla at
# MAIN_K = 16 directions per module (floor_q off, so k is what it says), and leave-one-mode-out there on MAIN_LOMO_SEEDS
# (erase with V built without mode m, for each of the six modes; read on m against random_V and vanilla).
# k = 16 is where `make frontier` found the real basis first apart from random (at the preset's own k = 4 it is not
# shown to differ); seed 41 is the seed whose vanilla learns all six modes (a fold reads only where vanilla learned
# its mode). Evaluation only at the end (eval_every=0): the evaluations on the way change no training step and no final
# number (06), and cost a fifth of a run. 18 runs, about 50 minutes with the organism build on two cores (README).
# Vanilla runs at the preset's size (06b: it has no basis), so its folder is plain `none` and `make frontier` reuses it.
# tiny has no teacher rows, so `no_teacher` would be `erase` again and is not an arm of it; tiny removes two-sided
# (gate_mode no_gate), where `shuffled_V` (same span as the real V) is `erase` again too (06 refuses both there).
# `route` and `meandiff_V` are left out of the default grid (ARMS="none erase random_V nonhack_V route" adds route).
ARMS ?= none erase random_V nonhack_V
SEEDS ?= 41 42 43
MAIN_K ?= 16
MAIN_LOMO_SEEDS ?= 41
LOMO ?= $(if $(MAIN_LOMO_SEEDS),--leave-one-mode-out --lomo-arms erase --lomo-seeds $(MAIN_LOMO_SEEDS))
PRESET ?= tiny
# on tiny, the grid's basis size and the read-out that names it; other presets run at their own
MAIN_SET ?= $(if $(filter tiny,$(PRESET)),k=$(MAIN_K) floor_q=0 eval_every=0)
MAIN_VARIANT ?= $(if $(filter tiny,$(PRESET)),k$(MAIN_K)-floor0)
# the organism-next vanilla seeds beyond SEEDS (the organism's read-out on five seeds)
ORGANISM_SEEDS ?= 44 45
RUNS ?= runs
FIGS ?= figures
reproduce: setup experiment readme

# the chain itself (tests/test_chain.py runs it on `smoke`, one seed, a few arms)
experiment:
	$(VENV) python -m projected_grpo.rewards selfcheck
	$(if $(filter tiny,$(PRESET)),$(VENV) python -m projected_grpo.organism build)
	$(VENV) python -m projected_grpo.sweep --preset $(PRESET) --arms $(ARMS) --seeds $(SEEDS) $(LOMO) --runs_dir $(RUNS) $(if $(MAIN_SET),--set $(MAIN_SET))
	$(if $(filter tiny,$(PRESET)),$(VENV) python bench/organism_curves.py $(foreach s,$(SEEDS),$(RUNS)/tiny/none/s$(s)) --out $(FIGS)/organism_curves.png --md $(FIGS)/organism_table.md)
	$(VENV) python -m projected_grpo.health --runs_dir $(RUNS)/$(PRESET) --fig_dir $(FIGS) $(if $(MAIN_VARIANT),--variant $(MAIN_VARIANT))

# the dose–response frontier (07 `--frontier`): the real basis against random_V at several basis sizes (floor_q off, so
# k is what it says), the real basis read by `contrast` (04), and one built from on-policy pairs (01: each seed's pairs
# from the vanilla run of the seed after it), with the same-seed vanilla runs as the reference; writes
# figures/frontier.png, figures/frontier.md, figures/frontier_headline.md. At SEP_K, the smallest size where the real
# basis separated from random on the current organism, two more questions: the nonhack control (a clean-vs-clean basis
# of the same size; FRONTIER_ARMS="erase random_V nonhack_V" adds it at every size), leave-one-mode-out (erase with
# V built without mode m, read on m against random_V at SEP_K) on SEP_LOMO_SEEDS, and the real − random comparison
# there on SEP_SEEDS more seeds (vanilla, erase, random_V): planned from its paired SD over seeds 41-43 on the first
# machine (5.0pp: seven seeds for ±5pp); over the seven it came out 10.4pp there and 17.2pp here, an interval of ±15.9pp
# (±5pp would take about 48 seeds). 60 runs, 18 of them the main job's: right after `make reproduce`, 97 minutes on two
# cores (README).
FRONTIER_SEEDS ?= 41 42 43
FRONTIER_ARMS ?= erase random_V
FRONTIER_K ?= 4 16 64
SEP_K ?= 16
SEP_LOMO_SEEDS ?= 41 42 43
SEP_SEEDS ?= 44 45 46 47
CONTRAST_K ?= 16
ONPOLICY ?= 41:42 42:43 43:41
# evaluated once, at the end, like the main job: so its finished runs (vanilla, and erase, random_V, nonhack_V and
# leave-one-mode-out on seed 41 at k = 16) are skipped here, and a run here serves the main job too (06: `UNCOMPARED`)
FRONTIER_SET ?= eval_every=0
SWEEP_TINY = $(VENV) python -m projected_grpo.sweep --preset tiny --runs_dir $(RUNS)
frontier: setup
	$(VENV) python -m projected_grpo.organism build
	$(SWEEP_TINY) --arms none --seeds $(FRONTIER_SEEDS) --set $(FRONTIER_SET)
	$(foreach k,$(FRONTIER_K),$(SWEEP_TINY) --arms $(FRONTIER_ARMS) --seeds $(FRONTIER_SEEDS) --set $(FRONTIER_SET) k=$(k) floor_q=0 &&) true
	$(SWEEP_TINY) --arms nonhack_V --seeds $(FRONTIER_SEEDS) --set $(FRONTIER_SET) k=$(SEP_K) floor_q=0
	$(if $(SEP_LOMO_SEEDS),$(SWEEP_TINY) --arms --seeds $(SEP_LOMO_SEEDS) --set $(FRONTIER_SET) k=$(SEP_K) floor_q=0 --leave-one-mode-out --lomo-arms erase)
	$(if $(SEP_SEEDS),$(SWEEP_TINY) --arms none --seeds $(SEP_SEEDS) --set $(FRONTIER_SET))
	$(if $(SEP_SEEDS),$(SWEEP_TINY) --arms erase random_V --seeds $(SEP_SEEDS) --set $(FRONTIER_SET) k=$(SEP_K) floor_q=0)
	$(foreach k,$(CONTRAST_K),$(SWEEP_TINY) --arms erase --seeds $(FRONTIER_SEEDS) --set $(FRONTIER_SET) basis=contrast k=$(k) floor_q=0 &&) true
	$(foreach sp,$(ONPOLICY),$(SWEEP_TINY) --arms erase --seeds $(word 1,$(subst :, ,$(sp))) --set $(FRONTIER_SET) pairs=onpolicy pilot_seed=$(word 2,$(subst :, ,$(sp))) k=4 floor_q=0 &&) true
	$(VENV) python -m projected_grpo.health --frontier --runs_dir $(RUNS)/tiny --fig_dir $(FIGS)

# leave-one-mode-out at the frontier's SEP_K on more seeds (figures/frontier-heldout16/): erase with V built without mode m,
# for each mode, on HELDOUT_SEEDS, read on m against random_V and vanilla at the same k (`make frontier` has them on
# 41-43 and random_V and vanilla on 44-47 too): 12 runs beyond `make frontier`'s (the 18 on 41-43 are skipped), about
# half an hour on two cores. The committed folder was read with `make frontier`'s 60 runs and these 12 in runs/tiny.
HELDOUT_SEEDS ?= 41 42 43 44 45
.PHONY: frontier-heldout16
frontier-heldout16: frontier
	$(SWEEP_TINY) --arms --seeds $(HELDOUT_SEEDS) --set $(FRONTIER_SET) k=$(SEP_K) floor_q=0 --leave-one-mode-out --lomo-arms erase
	$(VENV) python -m projected_grpo.health --frontier --runs_dir $(RUNS)/tiny --fig_dir $(FIGS)/frontier-heldout16

# where the frontier separates real from random (k = 64): erase, random_V and the nonhack control there on K64_SEEDS,
# and leave-one-mode-out there on LOMO_SEEDS (erase with V built without mode m, read on m against random_V at the same
# k): 5 vanilla + 15 + 6 per LOMO seed; finished runs (`make frontier`'s, `make reproduce`'s vanilla) are skipped. The
# frontier read-out, with its leave-one-mode-out table, goes into its own folder (figures/frontier-lomo/) so that
# figures/frontier.* stay what `make frontier` wrote.
LOMO_K ?= 64
K64_SEEDS ?= 41 42 43 44 45
LOMO_SEEDS ?= 41 42 43
LOMO_FIGS ?= $(FIGS)/frontier-lomo
.PHONY: frontier-lomo
frontier-lomo: setup
	$(VENV) python -m projected_grpo.organism build
	$(SWEEP_TINY) --arms none --seeds $(K64_SEEDS)
	$(SWEEP_TINY) --arms erase random_V nonhack_V --seeds $(K64_SEEDS) --set k=$(LOMO_K) floor_q=0 --leave-one-mode-out --lomo-arms erase --lomo-seeds $(LOMO_SEEDS)
	$(VENV) python -m projected_grpo.health --frontier --runs_dir $(RUNS)/tiny --fig_dir $(LOMO_FIGS)

# the shared-directions basis (04 `shared`: per module, the directions the known modes' own bases have in common), asked
# the leave-one-mode-out question at k = SHARED_K: erase with V built without mode m by the shared reading and by the
# plain SVD, each read on m against random_V at the same k (13 runs a seed beside vanilla; finished runs are skipped).
# k = 16, not 64: at 64 each mode's own subspace is its whole 24-pair span and the shared basis is nearly the SVD one
# (subspace overlap 0.87, random 0.64); at 16 they differ (0.55, random 0.16), measured on the organism (04's prose)
# 18 runs here, 263–294 s each two at a time: 43 minutes (the result is in 04's prose and the README)
SHARED_K ?= 16
.PHONY: shared-lomo
shared-lomo: setup
	$(VENV) python -m projected_grpo.organism build
	$(SWEEP_TINY) --arms none --seeds $(LOMO_SEEDS)
	$(SWEEP_TINY) --arms random_V --seeds $(LOMO_SEEDS) --set k=$(SHARED_K) floor_q=0 --leave-one-mode-out --lomo-arms erase
	$(SWEEP_TINY) --arms --seeds $(LOMO_SEEDS) --set basis=shared k=$(SHARED_K) floor_q=0 --leave-one-mode-out --lomo-arms erase
	$(VENV) python -m projected_grpo.health --frontier --runs_dir $(RUNS)/tiny --fig_dir $(FIGS)/shared-lomo

# the next generation's GRPO recipe (02b, chosen on the vanilla arm alone): 8 prompts a step, 16 samples each, the lr
# decaying from 6e-2, the loss's rows in length-sorted micro-batches; vanilla on the organism's five seeds, read like
# the preset's (figures/next/). About 11 minutes a run two at a time: 35 minutes for the five, organism build aside.
NEXT_SET ?= prompts=8 G=16 schedule=cosine lr=6e-2 micro_tokens=1024
NEXT_RUNS ?= $(RUNS)/next
organism-next: setup
	$(VENV) python -m projected_grpo.organism build
	$(VENV) python -m projected_grpo.sweep --preset tiny --arms none --seeds $(SEEDS) $(ORGANISM_SEEDS) --runs_dir $(NEXT_RUNS) --set $(NEXT_SET)
	mkdir -p $(FIGS)/next
	$(VENV) python bench/organism_curves.py $(foreach s,$(SEEDS) $(ORGANISM_SEEDS),$(NEXT_RUNS)/tiny/none/s$(s)) --out $(FIGS)/next/organism_curves.png --md $(FIGS)/next/organism_table.md

# and the experiment's second round on it (figures/next/): at k = NEXT_K per module (floor_q off), the real basis against
# its two controls (random_V, nonhack_V) on the organism's five seeds, the decisive pair (erase, random_V) and vanilla on
# NEXT_MORE_SEEDS too, route and its random-basis control (route on random_V's basis) on NEXT_ROUTE_SEEDS,
# leave-one-mode-out on NEXT_LOMO_SEEDS (erase with V built without mode m, read on m against random_V at the same k),
# the decisive pair alone on NEXT_PAIR_SEEDS (its interval narrows with seeds; vanilla is not needed for it), and the
# dose–response frontier: the real basis and both controls at NEXT_FRONTIER_K directions per module too, on
# NEXT_FRONTIER_SEEDS; read by 07's frontier. 105 runs with organism-next's five, 7–18 minutes each two at a time:
# about 10 hours; finished runs are skipped.
NEXT_K ?= 16
NEXT_MORE_SEEDS ?= 46 47 48 49 50
NEXT_ROUTE_SEEDS ?= 41 42 43 44 45 46 47
NEXT_LOMO_SEEDS ?= 41 42 43
NEXT_PAIR_SEEDS ?= 51 52 53 54 55 56 57 58 59 60
NEXT_FRONTIER_K ?= 4 64
NEXT_FRONTIER_SEEDS ?= 41 42 43
NEXT_SWEEP = $(VENV) python -m projected_grpo.sweep --preset tiny --runs_dir $(NEXT_RUNS)
.PHONY: next
next: organism-next
	$(NEXT_SWEEP) --arms erase random_V --seeds $(SEEDS) $(ORGANISM_SEEDS) $(NEXT_MORE_SEEDS) --set $(NEXT_SET) k=$(NEXT_K) floor_q=0
	$(NEXT_SWEEP) --arms none --seeds $(NEXT_MORE_SEEDS) --set $(NEXT_SET)
	$(NEXT_SWEEP) --arms --seeds $(NEXT_LOMO_SEEDS) --set $(NEXT_SET) k=$(NEXT_K) floor_q=0 --leave-one-mode-out --lomo-arms erase
	$(NEXT_SWEEP) --arms nonhack_V --seeds $(SEEDS) $(ORGANISM_SEEDS) --set $(NEXT_SET) k=$(NEXT_K) floor_q=0
	$(NEXT_SWEEP) --arms route --seeds $(NEXT_ROUTE_SEEDS) --set $(NEXT_SET) k=$(NEXT_K) floor_q=0
	$(NEXT_SWEEP) --arms route --seeds $(NEXT_ROUTE_SEEDS) --set $(NEXT_SET) k=$(NEXT_K) floor_q=0 basis=random
	$(NEXT_SWEEP) --arms erase random_V --seeds $(NEXT_PAIR_SEEDS) --set $(NEXT_SET) k=$(NEXT_K) floor_q=0
	$(foreach k,$(NEXT_FRONTIER_K),$(NEXT_SWEEP) --arms erase random_V nonhack_V --seeds $(NEXT_FRONTIER_SEEDS) --set $(NEXT_SET) k=$(k) floor_q=0 &&) true
	$(VENV) python -m projected_grpo.health --frontier --runs_dir $(NEXT_RUNS)/tiny --fig_dir $(FIGS)/next

# leave-one-mode-out where the new recipe's frontier separates real from random most (k = 64, figures/next): vanilla
# and random_V at NEXT_LOMO_K on NEXT_LOMO_SEEDS, and erase with V built without mode m for each of the six modes, read
# on m against random_V at the same k; 24 runs (those `make next` made already are skipped), read into
# figures/next-lomo64/ so that figures/next stays what `make next` writes. The committed folder was written with only
# these 24 runs in runs/next.
NEXT_LOMO_K ?= 64
.PHONY: next-lomo64
next-lomo64: setup
	$(VENV) python -m projected_grpo.organism build
	$(NEXT_SWEEP) --arms none --seeds $(NEXT_LOMO_SEEDS) --set $(NEXT_SET)
	$(NEXT_SWEEP) --arms random_V --seeds $(NEXT_LOMO_SEEDS) --set $(NEXT_SET) k=$(NEXT_LOMO_K) floor_q=0 --leave-one-mode-out --lomo-arms erase
	$(VENV) python -m projected_grpo.health --frontier --runs_dir $(NEXT_RUNS)/tiny --fig_dir $(FIGS)/next-lomo64

# the refresh variant on the new recipe (figures/next-refresh/): at NEXT_K per module, the real basis re-extracted every
# NEXT_REFRESH steps on the current model and its control random_V redrawn on the same schedule, beside the same two
# bases extracted once, on NEXT_REFRESH_SEEDS with their vanilla runs; 07 reads erase − random_V for each and refreshed −
# extracted once. 25 runs (those `make next` made already are skipped); the committed folder was written with only these
# 25 runs in runs/next.
NEXT_REFRESH ?= 25
NEXT_REFRESH_SEEDS ?= 41 42 43 44 45
.PHONY: next-refresh
next-refresh: setup
	$(VENV) python -m projected_grpo.organism build
	$(NEXT_SWEEP) --arms none --seeds $(NEXT_REFRESH_SEEDS) --set $(NEXT_SET)
	$(NEXT_SWEEP) --arms erase random_V --seeds $(NEXT_REFRESH_SEEDS) --set $(NEXT_SET) k=$(NEXT_K) floor_q=0 refresh_every=$(NEXT_REFRESH)
	$(NEXT_SWEEP) --arms erase random_V --seeds $(NEXT_REFRESH_SEEDS) --set $(NEXT_SET) k=$(NEXT_K) floor_q=0
	$(VENV) python -m projected_grpo.health --frontier --runs_dir $(NEXT_RUNS)/tiny --fig_dir $(FIGS)/next-refresh

# the clean-vs-clean control at the frontier's smallest size (figures/next-k4/): nonhack_V beside erase and random_V at
# k = 4 on NEXT_FRONTIER_SEEDS, with vanilla (the runs `make next` makes there; its committed figures/next was read before
# nonhack_V at 4 had run). The committed folder was read with only these 12 runs in runs/next.
.PHONY: next-k4
next-k4: setup
	$(VENV) python -m projected_grpo.organism build
	$(NEXT_SWEEP) --arms none erase random_V nonhack_V --seeds $(NEXT_FRONTIER_SEEDS) --set $(NEXT_SET) k=4 floor_q=0
	$(VENV) python -m projected_grpo.health --frontier --runs_dir $(NEXT_RUNS)/tiny --fig_dir $(FIGS)/next-k4

# pytest: two workers (pytest-xdist), each test file on one of them (module fixtures are built once)
test: setup
	$(VENV) nbdev_test --n_workers 2 --timing
	$(VENV) python -m pytest -q -n 2 --dist loadfile tests

export: setup
	$(VENV) nbdev_export && python tools/readme.py

readme:
	$(VENV) python tools/readme.py

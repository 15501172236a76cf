# q-to-dqn: one command to set up, run the notebooks, and test them.
#   make lab        set up .venv (first time), then open JupyterLab on notebooks/
#   make test       set up, then run the unit tests and every notebook through nbval
#   make notebooks  re-execute every notebook in place from a fresh kernel
#   make book       build the web book (README, notebooks, teaching guide) into build/book/html/
#   make student    write student versions (solutions removed, outputs cleared) to student/
#   make bench      run the CartPole DQN benchmark (with Stable-Baselines3)
#   make clean      remove .venv and caches

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# torch first, on its own line: `TORCH_INDEX_URL=...` picks a CPU-only or CUDA
# wheel index (see the README).  Here pip finds the CPU build on the local disk.
TORCH_SPEC      ?= torch==2.13.0
TORCH_INDEX_URL ?=
TORCH_PIP_ARGS  := $(if $(TORCH_INDEX_URL),--index-url $(TORCH_INDEX_URL),)
ALLOW_ROOT      := $(if $(filter 0,$(shell id -u)),--allow-root,)
PORT            ?= 8888

# pygame (CartPole rendering) wants a runtime dir; without one SDL prints an
# error line into notebook outputs.
export XDG_RUNTIME_DIR := $(CURDIR)/.cache/xdg-runtime
export SDL_AUDIODRIVER := dummy

PYTEST_ARGS := -n 2 --dist loadfile --no-loadscope-reorder --durations=12 --nbval-lax --nbval-current-env \
               --nbval-sanitize-with tests/nbval_sanitize.cfg
# Each file goes whole to the next free worker, in this order: the longest notebooks first (05 alone is a
# third of the suite), so that none starts late and runs on alone at the end.  (By default pytest-xdist
# sends the files with the most tests first, and 05 has few.)  A path already named is not collected twice.
TEST_PATHS  := notebooks/05_target_network.ipynb notebooks/06_debugging_dqn.ipynb notebooks/07_beyond_dqn.ipynb \
               notebooks/04_experience_replay.ipynb notebooks/03_neural_q_network.ipynb tests notebooks

.PHONY: setup lab test notebooks book student bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet $(TORCH_PIP_ARGS) "$(TORCH_SPEC)"
	$(BIN)/python -m pip install --quiet -e ".[test,docs]"
	@touch $(STAMP)

$(XDG_RUNTIME_DIR):
	@mkdir -p -m 700 $@

setup: $(STAMP) | $(XDG_RUNTIME_DIR)

lab: setup
	@echo "Starting JupyterLab on notebooks/; open the http://127.0.0.1:$(PORT)/lab?token=... URL it prints."
	$(BIN)/jupyter lab --notebook-dir=notebooks --no-browser --ip=127.0.0.1 --port=$(PORT) $(ALLOW_ROOT)

# pytest-xdist runs two notebooks at once on the two cores: each notebook's train_dqn_seeds trains in its
# own kernel (DQN_HELPERS_MAX_WORKERS=1) instead of starting two more processes to contend for the same
# cores.  The same runs, bit for bit; tests/conftest.py lifts the cap for the unit tests.
test: setup
	DQN_HELPERS_MAX_WORKERS=1 $(BIN)/python -m pytest $(PYTEST_ARGS) $(TEST_PATHS)

notebooks: setup
	$(BIN)/python tools/execute_notebooks.py

book: setup
	$(BIN)/python tools/build_book.py --out build/book/html

student: setup
	$(BIN)/python tools/make_student.py --out student

bench: setup
	$(BIN)/python benchmarks/cartpole_dqn.py --compare sb3

clean:
	rm -rf $(VENV) .cache .pytest_cache build/book

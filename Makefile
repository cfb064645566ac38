# The two commands of the README, each doing all of its own set-up:
#   make course   fetch and verify the data, train and evaluate the dense baseline,
#                 then build the course website (every lesson in full mode)
#   make test     run the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEBIAN_DATA := /usr/share/datasets/fashion-mnist

.PHONY: setup data chromium sandbox course test mutants lint site site-fast serve notebooks lab

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,docs,lab,cluster,nbgrader,grading]'
	touch $(STAMP)

# $(call apt_install,PACKAGE,PATH_IT_PROVIDES,WHAT_HAPPENS_WITHOUT_IT)
# Installs a Debian package unless PATH_IT_PROVIDES exists; never fails.
define apt_install
	@if [ -e $(2) ]; then \
		echo "$(1): $(2) present"; \
	elif command -v apt-get >/dev/null 2>&1; then \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo -n"; \
		( $$SUDO apt-get update -qq && \
		  $$SUDO apt-get install -y -qq $(1) >/dev/null ) \
		|| echo "$(1): could not install it; $(3)"; \
	else \
		echo "$(1): no apt-get; $(3)"; \
	fi
endef

# Debian's dataset-fashion-mnist package gives the real data offline. Without
# it, `fmnist-course data --fetch` downloads the same files through Keras.
data:
	$(call apt_install,dataset-fashion-mnist,$(DEBIAN_DATA)/t10k-labels-idx1-ubyte.gz,the data will be downloaded through Keras)

# Debian's chromium is the browser the website test drives (through Playwright,
# which downloads no browser of its own). Without it that test is skipped.
chromium:
	$(call apt_install,chromium,/usr/bin/chromium,the website browser test will be skipped)

# Debian's bubblewrap is the sandbox `fmnist-course grade` runs students'
# notebooks in. Without it, grading refuses unless given --no-sandbox.
sandbox:
	$(call apt_install,bubblewrap,/usr/bin/bwrap,fmnist-course grade will need --no-sandbox)

setup: $(STAMP) data chromium sandbox

course: setup
	$(BIN)/fmnist-course data --fetch
	$(BIN)/fmnist-course train dense
	$(BIN)/fmnist-course site build
	@echo "The course website is in site/ (site/index.html): browse it with" \
		"'$(BIN)/python -m http.server -d site' or '$(BIN)/mkdocs serve'."

# The website: every lesson executed in full mode on the real data (cached in
# build/executed/full, so unchanged lessons are not run again), then mkdocs.
site: setup
	$(BIN)/fmnist-course site build

# The same with the lessons in fast mode (a small subset), as CI builds it.
site-fast: setup
	$(BIN)/fmnist-course site build --fast

# Live preview for authors; FMNIST_FAST=1 runs edited lessons in fast mode.
serve: setup
	$(BIN)/mkdocs serve

# The solution-free student notebooks that "Open in Colab" opens, from the
# lessons; notebooks/ is the generator's own folder (its notebooks are rewritten).
notebooks: setup
	$(BIN)/fmnist-course notebooks build

# JupyterLab on the lessons, with the course's kernel (registered inside .venv).
KERNEL_NAME := fmnist-course
lab: setup
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL_NAME) \
		--display-name "Python 3 (fmnist-course)"
	$(BIN)/jupyter lab --ServerApp.root_dir=lessons \
		--MappingKernelManager.default_kernel_name=$(KERNEL_NAME)

# The suite in TEST_WORKERS processes (pytest-xdist), each test file kept in
# one process so that its module fixtures are built once; --durations names
# the slowest tests, so a CI log shows where the time goes.
TEST_WORKERS ?= 2
test: setup
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=15

lint: setup
	$(BIN)/ruff check fmnist_course tests
	$(BIN)/ruff format --check fmnist_course tests

# Mutation testing, the maintainer's periodic check (not a CI step): mutmut puts
# small bugs, one at a time, into the modules listed under [tool.mutmut] in
# pyproject.toml and runs the fast tests that cover each; the scores per module
# and every survivor go to benchmarks/results.json and the results page.
# mutants/ is mutmut's scratch copy of the code, rebuilt on every run.
mutants: setup
	rm -rf mutants
	start=$$(date +%s) && \
	$(BIN)/mutmut run --max-children $$(nproc) && \
	$(BIN)/python -m fmnist_course.bench.mutation $$(( $$(date +%s) - start ))

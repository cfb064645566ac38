# The two commands of the README, each doing all of its own set-up:
#   make course   fetch and verify the data, train and evaluate the dense baseline,
#                 then build the course website (every lesson in full mode)
#   make test     run the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEBIAN_DATA := /usr/share/datasets/fashion-mnist

.PHONY: setup data chromium course test lint site site-fast serve

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,docs]'
	touch $(STAMP)

# Debian's dataset-fashion-mnist package gives the real data offline. Where apt
# is not available (or we may not use it), `fmnist-course data --fetch`
# downloads the same files through Keras instead.
data:
	@if [ -f $(DEBIAN_DATA)/t10k-labels-idx1-ubyte.gz ]; then \
		echo "data: $(DEBIAN_DATA) present"; \
	elif command -v apt-get >/dev/null 2>&1; then \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo -n"; \
		( $$SUDO apt-get update -qq && \
		  $$SUDO apt-get install -y -qq dataset-fashion-mnist >/dev/null ) \
		|| echo "data: could not install dataset-fashion-mnist; will download through Keras"; \
	else \
		echo "data: no apt-get; will download through Keras"; \
	fi

# Debian's chromium is the browser the website test drives (through Playwright,
# which downloads no browser of its own). Without it that test is skipped.
chromium:
	@if [ -x /usr/bin/chromium ]; then \
		echo "chromium: /usr/bin/chromium present"; \
	elif command -v apt-get >/dev/null 2>&1; then \
		SUDO=""; [ "$$(id -u)" = 0 ] || SUDO="sudo -n"; \
		( $$SUDO apt-get update -qq && \
		  $$SUDO apt-get install -y -qq chromium >/dev/null ) \
		|| echo "chromium: could not install it; the website browser test will be skipped"; \
	else \
		echo "chromium: no apt-get; the website browser test will be skipped"; \
	fi

setup: $(STAMP) data chromium

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

# Live preview for authors; SITE_MODE=fast runs edited lessons in fast mode.
SITE_MODE ?= full
serve: setup
	FMNIST_SITE_MODE=$(SITE_MODE) $(BIN)/mkdocs serve

test: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check fmnist_course tests
	$(BIN)/ruff format --check fmnist_course tests

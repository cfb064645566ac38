# The two commands of the README, each doing all of its own set-up:
#   make course   fetch and verify the data, train and evaluate the dense baseline
#   make test     run the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEBIAN_DATA := /usr/share/datasets/fashion-mnist

.PHONY: setup data course test lint

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

setup: $(STAMP) data

course: setup
	$(BIN)/fmnist-course data --fetch
	$(BIN)/fmnist-course train dense

test: setup
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check fmnist_course tests
	$(BIN)/ruff format --check fmnist_course tests

# Two commands on a fresh machine: `make demo` and `make test`. Each sets itself up.
VENV   := .venv
PY     := $(VENV)/bin/python
PYTHON ?= python3
# Debian packages: OCR engine + Chinese model, CJK fonts (TrueType WenQuanYi for PDFs), PDF tools, LibreOffice,
# and chromium, the browser the console's tests drive through Playwright (no browser can be downloaded)
APT_PACKAGES := tesseract-ocr tesseract-ocr-chi-sim fonts-wqy-microhei fonts-noto-cjk poppler-utils \
                libreoffice-writer-nogui libreoffice-calc-nogui chromium

.PHONY: all setup system venv demo test docs bench fuzz clean

all: test

setup: system venv

system:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		echo "Installing Debian packages:$$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else \
		echo "NOTE: missing Debian packages:$$missing"; \
		echo "      install them with: sudo apt-get install$$missing"; \
		echo "      (tests that need them are skipped with a reason; archive-kit doctor shows what works)"; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

demo: setup
	$(PY) bench/demo.py

test: setup
	$(PY) -m pytest -q -p no:cacheprovider

# regenerate the command reference in docs/cli.md from the live --help
docs: setup
	$(PY) docs/gen_cli.py

bench: setup
	$(PY) bench/ingest.py
	$(PY) bench/search.py
	$(PY) bench/listing.py
	$(PY) bench/bundle.py
	$(PY) bench/serve.py

# coverage-guided fuzzing with atheris (FUZZ_TARGET=pdf|docx|image|manifest|schema, SECONDS=600)
FUZZ_TARGET ?= pdf
SECONDS ?= 600
fuzz: setup
	$(PY) -m pip install -q atheris
	mkdir -p fuzz-corpus/$(FUZZ_TARGET)
	FUZZ_TARGET=$(FUZZ_TARGET) $(PY) fuzz/fuzz_targets.py -max_total_time=$(SECONDS) -rss_limit_mb=4096 \
		-timeout=20 fuzz-corpus/$(FUZZ_TARGET)

clean:
	rm -rf $(VENV) build *.egg-info demo-out bench-out

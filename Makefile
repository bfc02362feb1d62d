# Softmax, verified: build the book and run every check from a fresh clone.
#
#   make book       the strict HTML build  -> _build/html/index.html, and the Japanese edition
#                   (日本語版, from the same notebooks and ja/*.yml) -> _build/html/ja/
#   make test       every check: library tests + doctests, nbval and notebook hygiene under every
#                   CPU profile (native, then emulated AVX2 and baseline x86-64-v2), the strict
#                   build and the browser test
#   make test-portable  the library tests and nbval under each CPU profile, on their own
#   make bench      speed and peak memory of softmaxlib against scipy.special
#   make notebooks  re-execute notebooks in place and store their outputs (NB=path for one)
#   make lab        JupyterLab on the project's own kernel
#   make lock       regenerate requirements.txt from requirements.in (needs the registry)
#   make clean      remove _build (add `distclean` to drop .venv, MathJax and the font too)
#
# Needs only Python 3.11+, make and npm: everything else is installed here from PyPI and npm.

PYTHON    ?= python3
VENV      := .venv
BIN       := $(VENV)/bin
PY        := $(BIN)/python
UV_VERSION := 0.13.9
MATHJAX_VERSION := 3.2.2
NOTO_JP_VERSION := 5.3.0
# The venv is rebuilt from scratch whenever the pins change.
VENV_STAMP := $(VENV)/.requirements.stamp
LIB_STAMP  := $(VENV)/.softmaxlib.stamp
MATHJAX    := _mathjax/mathjax/tex-chtml.js
FONT       := _fonts/noto-sans-jp/noto-sans-jp-400.css
NOTEBOOKS  := $(sort $(wildcard notebooks/*.ipynb))
NB         ?= $(NOTEBOOKS)
JOBS       ?= 2
BOOK_FLAGS ?=
# --stored: cache the stored notebooks instead of executing them (make test, after nbval)
PREFILL   ?=
# One BLAS thread: the same sums in the same order on every run, so stored outputs stay exact.
export OPENBLAS_NUM_THREADS := 1
export MKL_NUM_THREADS := 1
export PYDEVD_DISABLE_FILE_VALIDATION := 1

# CPU profiles (tools/cpu_profile): the stored outputs and every bound must hold on each. On
# x86-64 the AVX2 and baseline x86-64-v2 machines are emulated by switching off numpy's SIMD
# dispatch, choosing OpenBLAS's kernel and numba's target; elsewhere (arm64) only the native
# CPU can run. PROFILE picks the one a single target runs under: `make book PROFILE=avx2`.
ARCH      := $(shell uname -m)
PROFILES  ?= native $(if $(filter x86_64 amd64,$(ARCH)),avx2 v2,)
PROFILE   ?= native
RUN        = tools/cpu_profile $(PROFILE) --
# Which built-book checks test-built runs (the browser ones need Chromium).
MARK      ?= browser or book

.PHONY: all setup book book-ja test test-lib test-notebooks test-portable test-browser test-built bench notebooks lab lock clean distclean

all: book

$(VENV_STAMP): requirements.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed, found " + sys.version' 
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip install --python $(PY) -r requirements.txt
	touch $@

$(LIB_STAMP): $(VENV_STAMP) pyproject.toml
	$(BIN)/uv pip install --python $(PY) --no-deps -e .
	touch $@

$(MATHJAX):
	npm install --silent --no-save --no-audit --no-fund --prefix .mathjax-npm mathjax@$(MATHJAX_VERSION)
	rm -rf _mathjax && mkdir -p _mathjax
	cp -R .mathjax-npm/node_modules/mathjax/es5 _mathjax/mathjax
	@test -f $@

# Noto Sans JP (SIL OFL 1.1), so that the glossary's Japanese names render on a machine without a
# Japanese font. Only weight 400, and only its 120 numbered unicode-range subsets (woff2, about
# 2.8 MB): the browser fetches just the subsets holding characters a page uses. The latin,
# cyrillic and vietnamese faces and the .woff fallbacks are left out; book/_static/japanese.css puts
# the family after the theme's own fonts, so it only draws what they cannot.
$(FONT):
	npm install --silent --no-save --no-audit --no-fund --prefix .fonts-npm @fontsource/noto-sans-jp@$(NOTO_JP_VERSION)
	rm -rf _fonts && mkdir -p _fonts/noto-sans-jp/files
	cp .fonts-npm/node_modules/@fontsource/noto-sans-jp/files/noto-sans-jp-[0-9]*-400-normal.woff2 \
	  _fonts/noto-sans-jp/files/
	cp .fonts-npm/node_modules/@fontsource/noto-sans-jp/LICENSE _fonts/noto-sans-jp/
	awk -v RS= -v ORS='\n\n' '/noto-sans-jp-\[[0-9]+\]-400-normal/' \
	  .fonts-npm/node_modules/@fontsource/noto-sans-jp/400.css \
	  | sed -e "s/, url([^)]*\.woff) format('woff')//" > $@.tmp && mv $@.tmp $@
	@test -f $@

setup: $(LIB_STAMP) $(MATHJAX) $(FONT)

# Notebooks missing from the jupyter-cache are executed first on every core (tools/prefill_cache.py),
# then the build finds them all cached; it would otherwise execute them one after another.
book: setup
	$(RUN) $(PY) tools/prefill_cache.py $(PREFILL) _build/.jupyter_cache 120 $(shell $(PY) tools/toc_notebooks.py)
	$(RUN) $(BIN)/jupyter-book build . --warningiserror --nitpick --keep-going $(BOOK_FLAGS)
	$(MAKE) --no-print-directory book-ja
	@echo
	@echo "The book is at $(CURDIR)/_build/html/index.html (日本語版: _build/html/ja/index.html)"

# The Japanese edition (tools/ja_edition.py): its source tree is generated from the English
# notebooks, with their code, outputs and glue records unchanged, and the translations in ja/;
# nothing is executed again. It is built as strictly as the English one, after it (a page not
# translated yet is linked to in English through the English build's inventory), into ja/.
JA_SRC := _build/ja-src
JA_OUT := _build/ja
book-ja: $(LIB_STAMP)
	$(PY) tools/ja_edition.py build $(JA_SRC)
	$(BIN)/jupyter-book build $(JA_SRC) --path-output $(JA_OUT) --warningiserror --nitpick --keep-going $(BOOK_FLAGS)
	rm -rf _build/html/ja && cp -R $(JA_OUT)/_build/html _build/html/ja

test-lib: $(LIB_STAMP)
	$(RUN) $(PY) -m pytest tests softmaxlib --doctest-modules -m "not browser and not book" \
	  -p no:cacheprovider -n $(JOBS)

test-notebooks: $(LIB_STAMP)
	$(RUN) $(PY) -m pytest --nbval --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg \
	  -n $(JOBS) --dist loadscope -p no:cacheprovider -o filterwarnings= $(NB)

test-browser: book test-built

# Two editions' pages in Chromium: one browser per core (pytest-xdist).
test-built: $(LIB_STAMP)
	$(PY) -m pytest tests -m "$(MARK)" -p no:cacheprovider -n $(JOBS)

# The library tests and nbval over every notebook under each CPU profile, against the same
# stored outputs (executed once, under the native profile, by `make notebooks`).
test-portable: $(LIB_STAMP)
	@for p in $(PROFILES); do \
	  echo "== make test-portable: CPU profile $$p"; \
	  $(MAKE) --no-print-directory test-lib test-notebooks PROFILE=$$p || exit 1; \
	done

# The build inside `make test` re-reads every page (--all) so that no warning hides behind
# Sphinx's incremental build. Its notebooks come from the jupyter-cache; those missing from it
# are cached from their stored outputs, which nbval has just reproduced under every profile.
test: setup
	$(MAKE) test-portable
	$(MAKE) book BOOK_FLAGS=--all PREFILL=--stored
	$(MAKE) test-built
	@echo "make test: every check passed."

bench: $(LIB_STAMP)
	@for f in bench/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

notebooks: $(LIB_STAMP)
	$(RUN) $(BIN)/jupyter nbconvert --to notebook --execute --inplace \
	  --ExecutePreprocessor.kernel_name=python3 --ExecutePreprocessor.timeout=300 \
	  --ExecutePreprocessor.record_timing=False $(NB)

# JUPYTER_PATH puts the venv's own python3 kernel ahead of any user-level one of the same name;
# --allow-root only when run as root (e.g. in a container), where jupyter refuses to start otherwise.
lab: setup
	JUPYTER_PATH=$(CURDIR)/$(VENV)/share/jupyter $(BIN)/jupyter lab --notebook-dir=notebooks \
	  $(if $(filter 0,$(shell id -u)),--allow-root)

lock: $(VENV_STAMP)
	$(BIN)/uv pip compile requirements.in --universal --python-version 3.11 -o requirements.txt

clean:
	rm -rf _build

distclean: clean
	rm -rf $(VENV) _mathjax .mathjax-npm _fonts .fonts-npm

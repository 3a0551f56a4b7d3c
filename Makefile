# Voronka: `make demo` runs the CRM with demo data, `make test` runs every test.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
VENDOR := voronka/static/vendor/.installed-$(shell cat package-lock.json | cksum | cut -d' ' -f1)

.PHONY: demo test install static lint typecheck messages clean

install: $(STAMP) $(VENDOR)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11+ is needed" if sys.version_info < (3, 11) else 0)'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

$(VENDOR): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm (Node.js 18+) is needed to fetch the front-end libraries"; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund --silent
	./scripts/vendor_static.sh
	touch $@

demo: install
	$(BIN)/voronka demo

test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/mypy
	$(BIN)/pytest -n 2 --dist loadgroup

lint:
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy

messages:
	for app in core accounts clients sales activities analytics webforms automation imports service orders; do (cd voronka/$$app && ../../$(BIN)/django-admin makemessages -l ru --settings=voronka.settings --pythonpath=../.. && msgfmt -o locale/ru/LC_MESSAGES/django.mo locale/ru/LC_MESSAGES/django.po); done

clean:
	rm -rf $(VENV) node_modules voronka/static/vendor var/static

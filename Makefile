# The two commands of the README: `make run` and `make test`. Everything else here serves them.
# `make test` runs the suite on SQLite, then on a throwaway PostgreSQL cluster (MOTCUA_TEST_DB=postgres, conftest.py).
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
# The stand-in national identity provider's port (used when MOTCUA_OIDC_ISSUER is not set).
IDP_PORT ?= 8098
# What results need at run time (WeasyPrint renders with Pango; Vietnamese needs the fonts), and digitization
# (OCRmyPDF runs Tesseract with the Vietnamese and English models; no Ghostscript needed).
SYSTEM_RUN_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-core fonts-dejavu-core \
	tesseract-ocr tesseract-ocr-vie tesseract-ocr-eng
# ... and what the tests add: compilemessages, the browser, PostgreSQL, pdfsig and an NSS trust store, SoftHSM,
# zbarimg (the second, independent QR decoder of the seal test).
# (The accessibility checks also need npm, which this kind of machine has, for axe-core: package.json.)
SYSTEM_TEST_PACKAGES := $(SYSTEM_RUN_PACKAGES) gettext chromium postgresql poppler-utils libnss3-tools softhsm2 opensc \
	zbar-tools

.PHONY: run test lint messages bench

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

# Re-install only when pyproject.toml changes.
$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PY) -m pip install -q -e ".[test]"
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	sh scripts/system-packages.sh $(SYSTEM_RUN_PACKAGES)
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py collectstatic --noinput -v0
	MOTCUA_DEMO=1 $(PY) manage.py load_demo
	$(PY) manage.py opendata_refresh
	$(PY) manage.py pki_init
	@echo ""
	@echo "motcua is serving at http://127.0.0.1:$(PORT)/  (API docs: http://127.0.0.1:$(PORT)/api/v1/docs)"
	@if [ -z "$$MOTCUA_OIDC_ISSUER" ]; then echo "Stand-in national identity provider (demo logins) at http://127.0.0.1:$(IDP_PORT)/"; fi
	PORT=$(PORT) IDP_PORT=$(IDP_PORT) exec sh scripts/serve.sh

test: $(VENV)/.installed-test
	sh scripts/system-packages.sh $(SYSTEM_TEST_PACKAGES)
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v0
	npm ci --no-audit --no-fund --silent
	$(VENV)/bin/ruff check .
	$(PY) -m pytest
	MOTCUA_TEST_DB=postgres $(PY) -m pytest -m "not postgres"  # tests/postgres ran on their own cluster already

lint: $(VENV)/.installed-test
	$(VENV)/bin/ruff check .

# Refresh the translation catalogs after changing UI text (then translate motcua/locale/*/LC_MESSAGES/django.po).
messages: $(VENV)/.installed-test
	cd motcua && ../$(PY) ../manage.py makemessages -l vi -l en --no-obsolete --ignore=demo/files/*

bench: $(VENV)/.installed-test
	$(PY) bench/all.py

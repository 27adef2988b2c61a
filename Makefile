# Everyday entry points. `make run` and `make test` work on a bare machine:
# they create .venv and install the pinned dependencies first.
#
# Requirements (requirements/): prod.in lists what the server needs, dev.in adds
# the test and lint tools; prod.txt and dev.txt are their locks, every package
# pinned with its hashes (`make lock` after changing an .in file). `make install`
# installs the development set; a server installs prod.txt only, online
# (`make install-prod`) or from a wheelhouse folder (`make install-offline`).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
WHEELHOUSE ?= wheelhouse
PIP_COMPILE := $(BIN)/pip-compile -q --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links

.PHONY: run tiers test apicheck bench lint typecheck fmt install install-prod install-offline wheelhouse lock demo messages check-deploy clean

$(BIN)/.installed: requirements/dev.txt requirements/bootstrap.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --require-hashes -r requirements/bootstrap.txt
	$(BIN)/pip install -q --require-hashes -r requirements/dev.txt
	touch $@

install: $(BIN)/.installed

# A server with access to a package index: the production set only.
install-prod:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --require-hashes -r requirements/bootstrap.txt
	$(BIN)/pip install -q --require-hashes -r requirements/prod.txt

# On a connected machine: every wheel of the production lock into $(WHEELHOUSE)/
# (for a server of another kind: WHEEL_PLATFORM=manylinux_2_28_x86_64 WHEEL_PYTHON=3.11).
# The venv's pip (bootstrap.txt), not the system's: Debian's pip 23.2 fails on the lock.
wheelhouse: $(BIN)/.installed
	$(BIN)/pip download -q --require-hashes --only-binary=:all: --dest $(WHEELHOUSE) \
		$(if $(WHEEL_PLATFORM),--platform $(WHEEL_PLATFORM)) $(if $(WHEEL_PYTHON),--python-version $(WHEEL_PYTHON)) \
		-r requirements/bootstrap.txt
	$(BIN)/pip download -q --require-hashes --only-binary=:all: --dest $(WHEELHOUSE) \
		$(if $(WHEEL_PLATFORM),--platform $(WHEEL_PLATFORM)) $(if $(WHEEL_PYTHON),--python-version $(WHEEL_PYTHON)) \
		-r requirements/prod.txt
	@echo "wheelhouse: $$(ls $(WHEELHOUSE) | wc -l) files in $(WHEELHOUSE)/ — copy it with the code to the server"

# On the server, without network: only the wheels in $(WHEELHOUSE)/, checked against the hashes.
install-offline:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --isolated --no-index --find-links $(WHEELHOUSE) --require-hashes -r requirements/bootstrap.txt
	$(BIN)/pip install -q --isolated --no-index --find-links $(WHEELHOUSE) --require-hashes -r requirements/prod.txt

# Re-lock after editing requirements/*.in (keeps existing pins; `make lock UPGRADE=1` upgrades them).
lock: install
	$(PIP_COMPILE) $(if $(UPGRADE),--upgrade) -o requirements/prod.txt requirements/prod.in
	$(PIP_COMPILE) $(if $(UPGRADE),--upgrade) -o requirements/dev.txt requirements/dev.in

.env:
	$(BIN)/python scripts/write_dev_env.py > .env

demo: install .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py setup_demo

# The web server and the background-job worker together; Ctrl-C stops both.
# A county and the province side by side (docs/operator/province.md): county on
# PORT, province on PORT+1, one bundle already uploaded; `rm -r tiers` resets it.
tiers: install
	$(BIN)/python scripts/run_tiers.py $(PORT)

run: demo
	@echo "Serving on http://127.0.0.1:$(PORT)/ with the background-job worker — demo logins are printed above and listed in README.md"
	$(BIN)/python scripts/run_dev.py $(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The API's contract (scripts/apicheck.py): schemathesis as two roles against the
# server on a throwaway PostgreSQL database (APICHECK_DB, default pims_apicheck),
# a few minutes; fails on any server error or undocumented answer.
apicheck: install
	$(BIN)/python scripts/apicheck.py

$(BIN)/.bench-installed: $(BIN)/.installed requirements/bench.txt
	$(BIN)/pip install -q -r requirements/bench.txt
	touch $@

bench: install $(BIN)/.bench-installed
	$(BIN)/python bench/run_all.py

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Message catalogues and the type checker (django-stubs loads the settings)
# need settings but no secrets: throwaway test settings.
I18N_ENV := PIMS_ENV=test SECRET_KEY=messages BLIND_INDEX_KEY=messages DATABASE_URL=sqlite:///:memory: \
	FIELD_ENCRYPTION_KEYS=MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=

# mypy with django-stubs; what is strict and what is not yet checked: pyproject.toml [tool.mypy].
typecheck: install
	$(I18N_ENV) $(BIN)/mypy

messages: install
	cd pims && $(I18N_ENV) ../$(BIN)/python ../manage.py makemessages -l zh_Hans -l en --no-obsolete \
		--ignore 'static/*' && $(I18N_ENV) ../$(BIN)/python ../manage.py compilemessages --ignore 'static/*'

check-deploy: install
	PIMS_ENV=production SECRET_KEY=$$(openssl rand -base64 48) ALLOWED_HOSTS=pims.example.gov.cn \
	DATABASE_URL=postgres://pims@127.0.0.1:5432/pims FIELD_ENCRYPTION_KEYS=$$(openssl rand -base64 32) \
	BLIND_INDEX_KEY=$$(openssl rand -base64 32) AUDIT_CHAIN_KEY=$$(openssl rand -base64 32) \
	BACKUP_RECIPIENTS=$$($(BIN)/python -c "from pyrage import x25519; print(x25519.Identity.generate().to_public())") \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles $(WHEELHOUSE) .mypy_cache

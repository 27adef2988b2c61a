# Everyday entry points. `make run` and `make test` work on a bare machine:
# they create .venv and install the pinned dependencies first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test bench lint fmt install demo messages check-deploy clean

$(BIN)/.installed: requirements/lock.txt
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements/lock.txt
	touch $@

install: $(BIN)/.installed

.env:
	$(BIN)/python scripts/write_dev_env.py > .env

demo: install .env
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py setup_demo

run: demo
	@echo "Serving on http://127.0.0.1:$(PORT)/ — demo logins are printed above and listed in README.md"
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

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

# Message catalogues need settings but no secrets: throwaway test settings.
I18N_ENV := PIMS_ENV=test SECRET_KEY=messages BLIND_INDEX_KEY=messages DATABASE_URL=sqlite:///:memory: \
	FIELD_ENCRYPTION_KEYS=MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE=

messages: install
	cd pims && $(I18N_ENV) ../$(BIN)/python ../manage.py makemessages -l zh_Hans -l en --no-obsolete \
		--ignore 'static/*' && $(I18N_ENV) ../$(BIN)/python ../manage.py compilemessages --ignore 'static/*'

check-deploy: install
	PIMS_ENV=production SECRET_KEY=$$(openssl rand -base64 48) ALLOWED_HOSTS=pims.example.gov.cn \
	DATABASE_URL=postgres://pims@127.0.0.1:5432/pims FIELD_ENCRYPTION_KEYS=$$(openssl rand -base64 32) \
	BLIND_INDEX_KEY=$$(openssl rand -base64 32) $(BIN)/python manage.py check --deploy --fail-level WARNING

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles

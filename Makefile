# The two set-up commands are `make run` and `make test` (see README.md).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
# Starts the embedded PostgreSQL/Redis when DATABASE_URL/CELERY_BROKER_URL are unset.
WITH_SERVICES := $(PY) -m mttq_platform.embedded --
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install run test bench demo check-tree smoke-embedded messages clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	$(WITH_SERVICES) sh -c '\
	  $(PY) manage.py migrate --noinput && \
	  $(PY) manage.py collectstatic --noinput --verbosity 0 && \
	  $(PY) manage.py load_demo && \
	  $(PY) manage.py load_demo_plans && \
	  $(PY) manage.py load_demo_reviews && \
	  echo "" && echo "  MTTQ platform: http://127.0.0.1:$(PORT)/" && \
	  $(PY) manage.py demo_logins && \
	  PATH="$(CURDIR)/$(VENV)/bin:$$PATH" PORT=$(PORT) $(VENV)/bin/honcho -f deploy/Procfile start'

test: install
	$(WITH_SERVICES) $(PY) -m pytest $(PYTEST_ARGS)

bench: install
	$(WITH_SERVICES) $(PY) -m bench

check-tree: install
	$(WITH_SERVICES) $(PY) manage.py check_tree

# Start the embedded servers with nothing set, migrate, answer one request, stop (CI runs this).
smoke-embedded: install
	env -u DATABASE_URL -u CELERY_BROKER_URL MTTQ_DATA_DIR=$${MTTQ_DATA_DIR:-.data/smoke} \
	  $(WITH_SERVICES) $(PY) -m mttq_platform.smoke

messages: install
	cd mttq_platform && ../$(PY) ../manage.py compilemessages

clean:
	rm -rf $(VENV) .data

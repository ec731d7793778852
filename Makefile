# The two set-up commands are `make run` and `make test` (see README.md).
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
# Starts the embedded PostgreSQL/Redis when DATABASE_URL/CELERY_BROKER_URL are unset.
WITH_SERVICES := $(PY) -m mttq_platform.embedded --
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install run test bench demo check-tree smoke-embedded messages lock audit clean

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

# requirements.lock: what the platform runs on (the Dockerfile installs exactly that), and
# requirements-dev.lock: that plus the dev extra (tests, bench, tools); both pinned with PyPI's hashes,
# from pyproject.toml. The run-time lock is resolved within the dev lock, so a package has one version
# in both. Run after changing dependencies; it asks PyPI (the machine's pip config and local wheels
# are left out, so that the hashes are PyPI's).
PIP_COMPILE := env -u PIP_FIND_LINKS PIP_CONFIG_FILE=/dev/null $(VENV)/bin/pip-compile --quiet --generate-hashes \
	  --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links
lock: install
	$(PIP_COMPILE) --extra dev -o requirements-dev.lock pyproject.toml
	$(PIP_COMPILE) --constraint requirements-dev.lock -o requirements.lock pyproject.toml

# Known vulnerabilities of both locks (pip-audit): fails on one with a fixed release unless
# .ci/audit-ignore.txt lists it with a reason; warns and passes when the service cannot be reached.
audit: install
	$(PY) .ci/audit.py requirements.lock requirements-dev.lock

messages: install
	cd mttq_platform && ../$(PY) ../manage.py compilemessages

clean:
	rm -rf $(VENV) .data

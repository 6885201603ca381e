# Tidings: `make run` serves everything on one process; `make test` runs the suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Server processes on the port; more than one needs REDIS_URL.
WEB_CONCURRENCY ?= 1

.PHONY: run test venv lint format clean

$(BIN)/.installed: requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is required" or 0)'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip 2>&1 | grep -v 'is ignored' || true
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt 2>&1 | grep -v 'is ignored' || true
	$(BIN)/python -c 'import django, channels, uvicorn, pytest'
	touch $@

venv: $(BIN)/.installed

run: venv
	$(BIN)/python manage.py migrate --noinput
	HOST=$(HOST) PORT=$(PORT) $(BIN)/python manage.py seed_demo
	@echo ""
	@echo "Tidings is starting on http://$(HOST):$(PORT)/"
	@echo "  Home           http://$(HOST):$(PORT)/"
	@echo "  Kiosk          http://$(HOST):$(PORT)/kiosk/"
	@echo "  Barista        http://$(HOST):$(PORT)/barista/"
	@echo "  Pickup board   http://$(HOST):$(PORT)/pickup/"
	@echo "  Staff orders   http://$(HOST):$(PORT)/staff/orders/"
	@echo "  Chat           http://$(HOST):$(PORT)/chat/"
	@echo "  Monitoring     http://$(HOST):$(PORT)/monitoring/"
	@echo "  Status page    http://$(HOST):$(PORT)/status/"
	@echo "  API docs       http://$(HOST):$(PORT)/api/docs/"
	@echo "  Admin          http://$(HOST):$(PORT)/admin/"
	@echo "Demo logins: admin/admin (staff), barista/barista, alice/alice, bob/bob"
	@echo ""
	WEB_CONCURRENCY=$(WEB_CONCURRENCY) $(BIN)/python -m config.serve --host $(HOST) --port $(PORT)

test: venv
	scripts/test

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/mypy realtime

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm staticfiles

# Juwei — the two commands: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat constraints.txt pyproject.toml | cksum | cut -d' ' -f1)
PORT   ?= 8501

.PHONY: install run test lint format bench browsers seed clean

install: $(STAMP)
	$(BIN)/python -m dashboard assets

$(STAMP): pyproject.toml constraints.txt
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $@

## make run: install, migrate, load the Huamei demo data if the database is empty, start the app
## (DEMO=0: migrate only; an empty database then opens on the "create the first admin" screen)
DEMO ?= 1
run: install
ifeq ($(DEMO),0)
	$(BIN)/python -m dashboard migrate
else
	$(BIN)/python -m seed --if-empty
endif
	$(BIN)/streamlit run streamlit_app.py --server.port $(PORT)

## make test: install, then ruff and the whole suite
test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest -n auto --dist loadfile

lint format:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## make bench: seed at scale 1 and 10 and measure every page, the imports and the brief
bench: install
	$(BIN)/python -m tests.bench

seed: install
	$(BIN)/python -m seed

clean:
	rm -rf $(VENV) .cache .pytest_cache .ruff_cache

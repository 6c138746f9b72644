# riskwatch: the two commands are `make run` (the whole pipeline on this
# machine) and `make test` (every test, against real servers). See README.md.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c

GO ?= go
KAFKA_VERSION ?= 4.4.0
KAFKA_COMPAT_VERSION ?= 3.9.1
ZOOKEEPER_VERSION ?= 3.8.4
VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -X github.com/riskwatch/riskwatch/internal/app.Version=$(VERSION)
CHDB_PY := $(HOME)/.cache/riskwatch/venv-chdb/bin/python
# The race detector costs ~5x CPU; it stays on while the suite fits the budget.
RACE ?= -race
TEST_TIMEOUT ?= 25m

export RISKWATCH_KAFKA_VERSION ?= $(KAFKA_VERSION)

.PHONY: deps build run test test-go test-kafka-compat bench bench-ingest bench-ingest-kfake bench-indices bench-reports bench-warnings bench-api bench-api-fairness eval-alarms nyc-run nyc-regions lint staticcheck vet check-imports fmt-check check-sql-modern clean eval-risk test-cluster bench-cluster eval-forecast eval-classify bench-classify bench-ingest-vs-sinker eval-emerging eval-links

## deps: install ClickHouse, the Apache Kafka and ZooKeeper jars, chDB, Chromium + CJK fonts and Go modules when missing
deps:
	scripts/deps.sh go clickhouse kafka $(KAFKA_VERSION) zookeeper $(ZOOKEEPER_VERSION) chdb nycgeo smtp browser staticcheck

## build: the riskwatch binary in bin/
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/riskwatch ./cmd/riskwatch

## run: the embedded default: local ClickHouse under .run/, in-process broker
run: build
	scripts/deps.sh clickhouse browser
	bin/riskwatch run --demo

## test: every test against a real ClickHouse and a real Apache Kafka broker
test: deps lint test-go check-sql-modern

# Every statement the stores send during test-go is recorded here
# (store.RecordEnv), for the replay of check-sql-modern.
SQL_RECORD := $(CURDIR)/.run/sql-recorded.jsonl

test-go:
	@mkdir -p .run
	@rm -f $(SQL_RECORD)
	@echo "go test $(RACE) ./... (Apache Kafka $(RISKWATCH_KAFKA_VERSION); full log in .run/test.json)"
	$(GO) build -o .run/testsummary ./internal/tools/testsummary
	CI=$${CI:-true} RISKWATCH_ARTIFACTS=$${RISKWATCH_ARTIFACTS:-$(CURDIR)/.run/artifacts} RISKWATCH_SQL_RECORD=$(SQL_RECORD) $(GO) test $(RACE) -count=1 -timeout $(TEST_TIMEOUT) -skip '$(CLUSTER_TESTS)' -json ./... | tee .run/test.json | .run/testsummary

# The tests that start the local ClickHouse cluster (ZooKeeper + 2 shards x 2
# replicas) are named TestCluster*; `make test` leaves them to test-cluster,
# which .ci/run calls after it, to keep each within its time budget.
CLUSTER_TESTS := ^TestCluster
CLUSTER_PACKAGES := ./internal/servers/ ./store/ ./internal/app/

## test-cluster: the cluster tests (store, ingest, jobs, API, reports on a local 2 x 2 ClickHouse cluster)
# It prints the servers it starts, each test's result and the comparison
# lines; the whole output is in .run/test-cluster.log.
test-cluster: deps
	@mkdir -p .run
	CI=$${CI:-true} $(GO) test -count=1 -p 1 -timeout $(TEST_TIMEOUT) -run '$(CLUSTER_TESTS)' -v $(CLUSTER_PACKAGES) 2>&1 \
		| tee .run/test-cluster.log | grep --line-buffered -E '^(testenv: |  shard |--- |    cluster_|ok |FAIL|PASS)'

# The packages whose tests talk to Kafka.
KAFKA_PACKAGES := ./ingest/ ./internal/app/ ./internal/servers/

## test-kafka-compat: the Kafka tests against the other Kafka line
test-kafka-compat:
	scripts/deps.sh kafka $(KAFKA_COMPAT_VERSION)
	@mkdir -p .run
	$(GO) build -o .run/testsummary ./internal/tools/testsummary
	CI=$${CI:-true} RISKWATCH_KAFKA_VERSION=$(KAFKA_COMPAT_VERSION) $(GO) test -count=1 -json $(KAFKA_PACKAGES) | .run/testsummary

## bench: the Go benchmarks
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## bench-ingest: 1M demo records through a real Apache Kafka broker into ClickHouse
BENCH_RECORDS ?= 1000000
bench-ingest: build
	scripts/deps.sh clickhouse kafka $(KAFKA_VERSION)
	$(GO) run ./internal/tools/benchingest --bin bin/riskwatch --records $(BENCH_RECORDS) --broker kafka

## bench-ingest-kfake: the same through the in-process broker
bench-ingest-kfake: build
	scripts/deps.sh clickhouse
	$(GO) run ./internal/tools/benchingest --bin bin/riskwatch --records $(BENCH_RECORDS) --broker kfake

## bench-ingest-vs-sinker: riskwatch and housepower/clickhouse_sinker (pinned commit) on the same 1M demo rows, alternating runs, medians and ratios
## (the module proxy may not serve the sinker: then give SINKER_SRC=<a git clone of it holding the commit of SINKER_VERSION>)
SINKER_VERSION ?= v0.0.0-20260320081942-8091e25604c0
SINKER_SRC ?=
BENCH_SINKER_RUNS ?= 3
bench-ingest-vs-sinker: build
	scripts/deps.sh clickhouse kafka $(KAFKA_VERSION)
	sinker="$$(scripts/sinker.sh $(SINKER_VERSION) $(SINKER_SRC))" && \
	$(GO) run ./internal/tools/benchingest --bin bin/riskwatch --records $(BENCH_RECORDS) --broker kafka --runs $(BENCH_SINKER_RUNS) --sinker "$$sinker"

## bench-cluster: demo records through a real Apache Kafka broker into one ClickHouse node and into the local 2 x 2 cluster (both insert paths), then a month of jobs and API trends on both, one run
BENCH_CLUSTER_RECORDS ?= 200000
bench-cluster: build
	scripts/deps.sh clickhouse kafka $(KAFKA_VERSION) zookeeper $(ZOOKEEPER_VERSION)
	$(GO) run ./internal/tools/benchcluster --bin bin/riskwatch --records $(BENCH_CLUSTER_RECORDS)

## bench-indices: 10M generated cases, every index job for one window, ratio to a GROUP BY
BENCH_INDEX_RECORDS ?= 10000000
bench-indices:
	scripts/deps.sh clickhouse
	$(GO) run ./internal/tools/benchindices --records $(BENCH_INDEX_RECORDS)

## bench-reports: render time and HTML size of the warning reports (city and each banner)
bench-reports:
	scripts/deps.sh clickhouse browser
	$(GO) run ./internal/tools/benchreports

## bench-warnings: record with 40 parties produced to Kafka → webhook receives its warning, p50/p99 over 1,000
bench-warnings:
	scripts/deps.sh clickhouse kafka $(KAFKA_VERSION)
	$(GO) run ./internal/tools/benchwarnings

## bench-api: trends p95 over 10M cases and the console's first render
BENCH_API_RECORDS ?= 10000000
bench-api:
	scripts/deps.sh clickhouse browser
	$(GO) run ./internal/tools/benchapi --records $(BENCH_API_RECORDS)

## bench-api-fairness: another token's p95 idle and while one token floods with 50 parallel heavy requests (goal: ratio ≤ 2)
BENCH_API_FAIRNESS_RECORDS ?= 2000000
bench-api-fairness:
	scripts/deps.sh clickhouse
	$(GO) run ./internal/tools/benchapi --fairness --records $(BENCH_API_FAIRNESS_RECORDS) --renders 0 --requests 200

## eval-alarms: score the weekly statistical alarms against the demo stream's injected outbreaks
eval-alarms:
	scripts/deps.sh go clickhouse
	$(GO) run ./internal/tools/evalalarms

## eval-emerging: score the emerging-issue detector against the demo stream's injected bursts of similar complaints
.PHONY: eval-emerging
eval-emerging:
	$(GO) run ./internal/tools/evalemerging

## eval-links: score the linked-cases job (repeat parties, cross-town parties, contractors in several villages) against the demo stream's injected links
.PHONY: eval-links
eval-links:
	$(GO) run ./internal/tools/evallinks

## eval-risk: the risk bands' shares, outbreak response, false rises and predictive validity, before and after calibration (demo stream and NYC casework)
eval-risk:
	scripts/deps.sh go clickhouse
	$(GO) run ./internal/tools/evalrisk

## eval-forecast: backtest the forecasts on the demo stream and the NYC council casework 2019-2022
eval-forecast:
	scripts/deps.sh go clickhouse
	$(GO) run ./internal/tools/evalforecast

## eval-classify: the learned classifier's K-fold figures and the keyword rules' on public labelled Chinese text (PyPI packages) and the demo's messages (families held out)
eval-classify:
	scripts/eval-classify.sh

## bench-classify: training on 10k messages and classifying one record, on one core
bench-classify:
	$(GO) test -run '^$$' -bench . -benchtime 3x -cpu 1 ./transform/classify/ | grep Train10k
	$(GO) test -run '^$$' -bench Predict -cpu 1 ./transform/classify/ | grep Predict

## nyc-regions: sources/mappings/nyc_regions.csv from the NYC boundary files, by three runs of riskwatch regions build (TestNYCRegionsBuilt -update)
nyc-regions:
	scripts/deps.sh go nycgeo
	$(GO) test -count=1 ./internal/app -run '^TestNYCRegionsBuilt$$' -update

## nyc-run: the index jobs over the real NYC council casework 2019-2022 (../shared/data), with the registry nyc-regions builds
nyc-run: nyc-regions
	scripts/deps.sh go clickhouse
	$(GO) run ./internal/tools/nycrun

## lint: gofmt, go vet, the import rules and staticcheck
lint: fmt-check vet check-imports staticcheck

STATICCHECK := $(HOME)/.cache/riskwatch/bin/staticcheck
staticcheck:
	scripts/deps.sh staticcheck
	$(STATICCHECK) ./...

vet:
	$(GO) vet ./...

check-imports:
	$(GO) run ./internal/tools/importcheck

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi; echo "fmt-check: ok"

## check-sql-modern: every migration, and every SELECT the tests sent (or, with SQL_REPLAY_VARIANTS=K, every shape with up to K value variants) replayed on current ClickHouse (chDB) against a populated 18.16
SQL_REPLAY_VARIANTS ?= 0
check-sql-modern:
	scripts/deps.sh chdb
	@mkdir -p .run
	@if [ ! -s $(SQL_RECORD) ]; then \
		echo "check-sql-modern: recording the statements of the store, API, jobs and reports tests"; \
		CI=$${CI:-true} RISKWATCH_SQL_RECORD=$(SQL_RECORD) $(GO) test -count=1 ./store/ ./api/ ./jobs/ ./internal/reportgen/ >/dev/null; \
	fi
	$(GO) run ./internal/tools/sqlreplay -out .run/sqlreplay -variants $(SQL_REPLAY_VARIANTS) $(SQL_RECORD)
	$(GO) run ./internal/tools/sqlstatements | $(CHDB_PY) scripts/check_sql_modern.py --replay .run/sqlreplay

clean:
	rm -rf bin .run/testsummary .run/test.json

# ginsms: `make run` serves the example (embedded Redis unless redis.addr is set),
# `make test` runs the whole suite against throwaway Redis servers (a single server, a Cluster
# and a Sentinel set) on free loopback ports.
SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

GO        ?= go
# An execution count, not a duration: Go 1.26's fuzz coordinator can report a spurious
# "context deadline exceeded" when a duration ends mid-execution (golang/go#75804).
FUZZTIME  ?= 5000x
BENCHTIME ?= 1s

.PHONY: run test bench lint fmt

run:
	@$(GO) run ./example

# start_redis starts, with internal/redistest/servers.sh, a throwaway redis-server, a Redis
# Cluster (3 masters, 3 replicas) and a Sentinel set (primary, 2 replicas, 3 sentinels), all on
# free loopback ports under a fresh temp dir, stops them all when the recipe ends (whatever
# happened: a failing test, an interrupted make), and exports for the tests and benchmarks
# GINSMS_TEST_REDIS_ADDR, GINSMS_TEST_CLUSTER_ADDRS, GINSMS_TEST_SENTINEL_ADDRS,
# GINSMS_TEST_SENTINEL_MASTER and GINSMS_TEST_SERVERS_DIR (see internal/redistest).
define start_redis
command -v redis-server >/dev/null || { echo "redis-server is missing: install it (Debian/Ubuntu: apt-get install -y redis-server redis-tools; macOS: brew install redis)" >&2; exit 1; }
command -v redis-cli >/dev/null || { echo "redis-cli is missing: install it (Debian/Ubuntu: apt-get install -y redis-tools; macOS: brew install redis)" >&2; exit 1; }
servers_sh="$(CURDIR)/internal/redistest/servers.sh"
run_dir=$$(mktemp -d "$${TMPDIR:-/tmp}/ginsms-redis.XXXXXX")
trap 'bash "$$servers_sh" stop "$$run_dir"; rm -rf "$$run_dir"' EXIT
servers=$$(bash "$$servers_sh" start "$$run_dir")
eval "$$servers"
echo "redis-server on $$GINSMS_TEST_REDIS_ADDR; cluster on $$GINSMS_TEST_CLUSTER_ADDRS; sentinels ($$GINSMS_TEST_SENTINEL_MASTER) on $$GINSMS_TEST_SENTINEL_ADDRS"
endef

# The whole suite with the race detector; then, alone on the servers, the failover tests
# (they kill and promote Cluster and Sentinel servers, which would disturb the suite);
# then each fuzz target briefly.
test:
	@$(start_redis)
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...
	GINSMS_TEST_FAILOVER=1 $(GO) test -race -count=1 -run='^TestFailover' -v ./ginsms
	for target in $$(grep -rhoE '^func Fuzz[A-Za-z0-9_]+' --include='*_test.go' . | sed 's/^func //' | sort -u); do
	  pkg=$$(grep -rlE "^func $$target\(" --include='*_test.go' . | head -1 | xargs dirname)
	  echo "fuzz $$target in $$pkg for $(FUZZTIME)"
	  $(GO) test -run='^$$' -fuzz="^$$target$$" -fuzztime=$(FUZZTIME) "$$pkg"
	done

# Go benchmarks (send, verify and the captcha renderer beside dchest's WriteTo) on a
# throwaway redis-server, then the in-repo load harness (internal/loadgen/bench.sh: the
# example server driven by internal/loadgen, LOAD_DURATION and LOAD_CONNS size it). A
# side-by-side comparison with the original Django service runs only when you name a
# script of your own that runs it: make bench COMPARE=/path/to/compare.sh (it is given
# this repository's path).
COMPARE ?=
bench:
	@$(start_redis)
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) ./ginsms ./captcha
	GO="$(GO)" bash internal/loadgen/bench.sh
	if [ -z "$(COMPARE)" ]; then echo "COMPARE not set: no comparison with the original service"; exit 0; fi
	bash "$(COMPARE)" "$(CURDIR)"

lint:
	@$(GO) vet ./...
	if command -v staticcheck >/dev/null; then staticcheck ./...; fi
	out=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go')); [ -z "$$out" ] || { echo "gofmt would change:"; echo "$$out"; exit 1; }

fmt:
	gofmt -w $$(git ls-files -co --exclude-standard '*.go')

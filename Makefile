# ginsms: `make run` serves the example (embedded Redis unless redis.addr is set),
# `make test` runs the whole suite against a throwaway redis-server on a free loopback port.
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

# start_redis starts a throwaway redis-server on the first free loopback port from a random
# start, stops it when the recipe ends (whatever happened), and exports its address as
# GINSMS_TEST_REDIS_ADDR for the tests and benchmarks.
define start_redis
command -v redis-server >/dev/null || { echo "redis-server is missing: install it (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis)" >&2; exit 1; }
run_dir=$$(mktemp -d "$${TMPDIR:-/tmp}/ginsms-redis.XXXXXX")
trap 'kill $$(cat "$$run_dir/redis.pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$$run_dir"' EXIT
port=""; base=$$((20000 + RANDOM % 20000))
for p in $$(seq $$base $$((base + 50))); do
  (exec 3<>/dev/tcp/127.0.0.1/$$p) 2>/dev/null && continue
  if redis-server --port $$p --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
      --pidfile "$$run_dir/redis.pid" --logfile "$$run_dir/redis.log" --dir "$$run_dir"; then
    for _ in $$(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/$$p) 2>/dev/null && { port=$$p; break; }; sleep 0.1; done
    [ -n "$$port" ] && break
  fi
done
[ -n "$$port" ] || { echo "could not start redis-server" >&2; cat "$$run_dir/redis.log" >&2; exit 1; }
echo "redis-server on 127.0.0.1:$$port"
export GINSMS_TEST_REDIS_ADDR=127.0.0.1:$$port
endef

# The whole suite with the race detector, then each fuzz target briefly.
test:
	@$(start_redis)
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...
	for target in $$(grep -rhoE '^func Fuzz[A-Za-z0-9_]+' --include='*_test.go' . | sed 's/^func //' | sort -u); do
	  pkg=$$(grep -rlE "^func $$target\(" --include='*_test.go' . | head -1 | xargs dirname)
	  echo "fuzz $$target in $$pkg for $(FUZZTIME)"
	  $(GO) test -run='^$$' -fuzz="^$$target$$" -fuzztime=$(FUZZTIME) "$$pkg"
	done

# Go benchmarks (send, verify and the captcha renderer beside dchest's WriteTo) on a
# throwaway redis-server, then the load comparison with the original service when
# ../shared/bench and its Debian packages are there (see docs/performance.md).
COMPARE ?= ../shared/bench/compare.sh
bench:
	@$(start_redis)
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) ./ginsms ./captcha
	if [ ! -f "$(COMPARE)" ]; then echo "no $(COMPARE): load comparison skipped"; exit 0; fi
	for tool in redis-server redis-cli wrk gunicorn curl; do
	  command -v $$tool >/dev/null || { echo "load comparison skipped: $$tool missing (apt-get install -y redis-server redis-tools wrk gunicorn python3-django python3-django-redis curl)"; exit 0; }
	done
	bash "$(COMPARE)" "$(CURDIR)"

lint:
	@$(GO) vet ./...
	if command -v staticcheck >/dev/null; then staticcheck ./...; fi
	out=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go')); [ -z "$$out" ] || { echo "gofmt would change:"; echo "$$out"; exit 1; }

fmt:
	gofmt -w $$(git ls-files -co --exclude-standard '*.go')

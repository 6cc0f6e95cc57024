# ginsms: `make run` serves the example (embedded Redis unless redis.addr is set),
# `make test` runs the whole suite against a throwaway redis-server on a free loopback port.
SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

GO        ?= go
FUZZTIME  ?= 10s
BENCHTIME ?= 1s
REDIS_RUN := $(CURDIR)/.redis-test

.PHONY: run test bench lint fmt

run:
	@$(GO) run ./example

# Starts redis-server on the first free port from a random start, runs the suite with the
# race detector (and each fuzz target briefly), then stops the server whatever happened.
test:
	@command -v redis-server >/dev/null || { echo "redis-server is missing: install it (Debian/Ubuntu: apt-get install -y redis-server; macOS: brew install redis)" >&2; exit 1; }
	mkdir -p "$(REDIS_RUN)"
	port=""; base=$$((20000 + RANDOM % 20000))
	for p in $$(seq $$base $$((base + 50))); do
	  (exec 3<>/dev/tcp/127.0.0.1/$$p) 2>/dev/null && continue
	  if redis-server --port $$p --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
	      --pidfile "$(REDIS_RUN)/redis.pid" --logfile "$(REDIS_RUN)/redis.log" --dir "$(REDIS_RUN)"; then
	    for _ in $$(seq 1 50); do (exec 3<>/dev/tcp/127.0.0.1/$$p) 2>/dev/null && { port=$$p; break; }; sleep 0.1; done
	    [ -n "$$port" ] && break
	  fi
	done
	[ -n "$$port" ] || { echo "could not start redis-server (see $(REDIS_RUN)/redis.log)" >&2; exit 1; }
	trap 'kill $$(cat "$(REDIS_RUN)/redis.pid" 2>/dev/null) 2>/dev/null || true; rm -rf "$(REDIS_RUN)"' EXIT
	echo "redis-server on 127.0.0.1:$$port"
	export GINSMS_TEST_REDIS_ADDR=127.0.0.1:$$port
	$(GO) vet ./...
	$(GO) test -race -count=1 ./...
	for target in $$(grep -rhoE '^func Fuzz[A-Za-z0-9_]+' --include='*_test.go' . | sed 's/^func //' | sort -u); do
	  pkg=$$(grep -rlE "^func $$target\(" --include='*_test.go' . | head -1 | xargs dirname)
	  echo "fuzz $$target in $$pkg for $(FUZZTIME)"
	  $(GO) test -run='^$$' -fuzz="^$$target$$" -fuzztime=$(FUZZTIME) "$$pkg"
	done

bench:
	@$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) ./...

lint:
	@$(GO) vet ./...
	out=$$(gofmt -l $$(git ls-files -co --exclude-standard '*.go')); [ -z "$$out" ] || { echo "gofmt would change:"; echo "$$out"; exit 1; }

fmt:
	gofmt -w $$(git ls-files -co --exclude-standard '*.go')

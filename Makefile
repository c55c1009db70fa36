# Tessera: `make run` opens the app, `make test` checks everything.
# Both do all set-up on a fresh Debian machine (.ci/setup).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
CARGO ?= cargo
NPM := npm --prefix ui
BIN := target/debug/tessera
OUT ?= tessera.png
ARGS ?=

.PHONY: setup ui build run run-xvfb dev test lint fmt-check clippy boundary \
        cargo-test bindings-check ui-check e2e screenshot bench-startup clean

setup:
	.ci/setup

ui: setup
	$(NPM) run build

build: ui
	$(CARGO) build

run: build
	$(BIN) $(ARGS)

run-xvfb: build
	xvfb-run -a -s "-screen 0 1280x800x24" $(BIN) $(ARGS)

# Live-reloading front end: Vite dev server + a build that loads it.
dev: setup
	ui/node_modules/.bin/tauri dev --no-default-features

test: ui fmt-check boundary clippy cargo-test bindings-check ui-check
	@echo "make test: all checks passed"

fmt-check:
	$(CARGO) fmt --all -- --check

# The core must not know Tauri exists.
boundary:
	@if grep -rnE '\btauri(_[a-z_]+)?\b' src-tauri/src/core | grep -vE '^[^:]+:[0-9]+:\s*//'; then \
	  echo "boundary: src-tauri/src/core must not use tauri (see docs/architecture.md)"; exit 1; \
	fi
	@echo "boundary: src-tauri/src/core is free of tauri"

clippy:
	$(CARGO) clippy --all-targets -- -D warnings

# Unit, integration and end-to-end tests, inside a D-Bus session with an
# unlocked gnome-keyring (the real Secret Service). The e2e tests start
# their own Xvfb and tauri-driver.
cargo-test:
	.ci/keyring-session $(CARGO) test --all-targets --no-fail-fast

# Only the end-to-end suite.
e2e: ui
	.ci/keyring-session $(CARGO) test --test main e2e::

# `cargo test` regenerates ui/src/ipc/bindings.ts; it must match what is committed.
bindings-check:
	git diff --exit-code -- ui/src/ipc/bindings.ts || \
	  { echo "bindings-check: ui/src/ipc/bindings.ts is stale: commit the regenerated file"; exit 1; }

ui-check: setup
	$(NPM) run check
	$(NPM) run lint
	$(NPM) test

screenshot: build
	.ci/screenshot $(OUT) $(ARGS)

# Start-up time to the first live code and memory, against KeePassXC
# (installed here if missing); release build, under Xvfb, keyring unlock.
bench-startup: ui
	@command -v keepassxc >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends keepassxc; }
	$(CARGO) build --release
	.ci/keyring-session .ci/bench-startup

clean:
	$(CARGO) clean
	rm -rf ui/dist ui/node_modules

# Tessera: `make run` opens the app, `make test` checks everything.
# Both do all set-up on a fresh Debian machine (.ci/setup).

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
CARGO ?= cargo
NPM := npm --prefix ui
BIN := target/debug/tessera
ARGS ?=

.PHONY: setup ui build run run-xvfb dev test lint fmt-check clippy boundary \
        cargo-test bindings-check ui-check e2e screenshot bench-startup clean \
        deny npm-audit crash-trials crash-trials-quick tamper-sweep tamper-sweep-quick \
        fuzz-smoke fuzz package package-test

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

test: ui fmt-check boundary clippy cargo-test bindings-check ui-check deny npm-audit crash-trials-quick tamper-sweep-quick package-test
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

# Fuzzing. `make test` runs the short form inside `cargo test`
# (tests/fuzz_replay.rs: each target's function in fuzz/harness.rs on its
# seeds and seconds of mutations of them, in the debug build). These are
# the coverage-guided forms, with libFuzzer and AddressSanitizer (cargo-fuzz
# on the stable toolchain: RUSTC_BOOTSTRAP lets it pass its -Z flags), from
# the seeds fuzz/seed.sh makes out of the shared fixtures: every target
# for FUZZ_SECONDS (`make fuzz-smoke`, 10 s) or FUZZ_LONG_SECONDS (`make
# fuzz`, 10 minutes, keeping what it finds in fuzz/corpus/). Their build
# compiles the core again with sanitizers: about 14 minutes cold on 2 cores. A crash, timeout
# or leak fails it and leaves the input in fuzz/artifacts/.
FUZZ_SECONDS ?= 10
FUZZ_LONG_SECONDS ?= 600
FUZZ_TARGETS := otpauth_uri migration import_sniffed import_format vault_decode qr_scan server_response
fuzz-smoke: setup
	.ci/setup --cargo-fuzz
	fuzz/seed.sh
	cd fuzz && RUSTC_BOOTSTRAP=1 $(CARGO) fuzz build -O
	for target in $(FUZZ_TARGETS); do \
	  found=$$(mktemp -d); \
	  (cd fuzz && RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run -O $$target $$found seeds/$$target -- \
	    -max_total_time=$(FUZZ_SECONDS) -timeout=60 -print_final_stats=1) || exit 1; \
	  rm -rf $$found; \
	done

fuzz: setup
	.ci/setup --cargo-fuzz
	fuzz/seed.sh
	cd fuzz && RUSTC_BOOTSTRAP=1 $(CARGO) fuzz build -O
	for target in $(FUZZ_TARGETS); do \
	  mkdir -p fuzz/corpus/$$target; \
	  (cd fuzz && RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run -O $$target corpus/$$target seeds/$$target -- \
	    -max_total_time=$(FUZZ_LONG_SECONDS) -timeout=60 -print_final_stats=1) || exit 1; \
	done

# `make screenshot`: the README's pictures of every main screen, light and
# dark, taken through the real window by the end-to-end tests that drive
# each screen, copied to docs/screenshots/. `make screenshot OUT=shot.png`:
# one picture of the window as it opens (ARGS go to the app).
SCREENSHOTS := unlock accounts-light accounts-dark detail-light detail-dark \
        add-light add-dark transfer-light transfer-dark \
        settings-light settings-dark add-image-confirm transfer-preview servers-enrolled \
        accounts-600x500-light accounts-600x500-dark accounts-1920x1080-light accounts-1920x1080-dark
screenshot: build
ifdef OUT
	.ci/screenshot $(OUT) $(ARGS)
else
	rm -rf target/e2e-screenshots
	.ci/keyring-session $(CARGO) test --test main -- e2e::screens:: \
	  e2e::add_image::a_dropped_export_picture e2e::transfer::an_encrypted_aegis_export \
	  e2e::servers::a_server_is_added_enrolled
	for name in $(SCREENSHOTS); do cp target/e2e-screenshots/$$name.png docs/screenshots/ || exit 1; done
	@echo "screenshot: wrote $(words $(SCREENSHOTS)) pictures to docs/screenshots/"
endif

# `make package`: the release .deb (target/release/bundle/deb/), built by
# the Tauri bundler with the desktop entry, metainfo, icons, completions and
# manual page (.ci/package). `make package-test` builds the same package
# from the debug build the tests already made and checks it unpacked into
# a throwaway root: files, desktop-file-validate, appstreamcli, the
# otpauth:// handler, the installed CLI and its window under Xvfb.
package: ui
	.ci/package release

package-test: ui
	.ci/package-test "$$(.ci/package debug)"

# Start-up time to the first live code and memory, against KeePassXC
# (installed here if missing); release build, under Xvfb, keyring unlock.
bench-startup: ui
	@command -v keepassxc >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends keepassxc; }
	$(CARGO) build --release
	.ci/keyring-session .ci/bench-startup

# Supply chain (deny.toml): banned crates, licenses and sources always;
# RustSec advisories against the database cargo-deny caches, refreshed when
# github answers, SKIPPED only with no cached copy (.ci/deny-advisories).
deny: setup
	.ci/setup --cargo-deny
	cargo deny --log-level error check --show-stats bans licenses sources
	.ci/deny-advisories

# The UI's npm packages: any advisory in what ships in the web view
# (--omit=dev), high or critical ones in the build and test tool chain.
# Skipped, saying why, when the registry's audit endpoint does not answer.
npm-audit: setup
	@cd ui; report=$$(npm audit --json 2>/dev/null || true); \
	if ! grep -q '"auditReportVersion"' <<<"$$report"; then \
	  echo "npm-audit: SKIPPED: the registry's audit endpoint did not answer: $$(grep -m1 '"message"' <<<"$$report" | sed 's/^ *//')"; \
	else \
	  npm audit --omit=dev --audit-level=low && npm audit --audit-level=high; \
	fi

# Crash safety: a writer SIGKILLed at random moments, N times; the vault
# must hold exactly what was committed.
N ?= 100
crash-trials:
	$(CARGO) run --quiet --example crash_trials -- $(N)

crash-trials-quick:
	$(CARGO) run --quiet --example crash_trials -- 5

# Tamper detection: every single-byte change of every authenticated column
# of a sample vault must be refused (3 to 6 minutes; the quick one uses 3
# changes per byte).
tamper-sweep:
	$(CARGO) run --quiet --example tamper_sweep

tamper-sweep-quick:
	$(CARGO) run --quiet --example tamper_sweep -- --quick

# Sync (issue 17), the long forms of what `cargo test` runs short: the
# convergence trials (3 devices, 200 random changes each, random sync
# order and cut-off syncs, through a folder and through Apache WebDAV;
# SEEDS seeds, each printed) and the byte-flip sweep of every remote file
# at every byte. TESSERA_SYNC_SEED=N replays one trial.
SEEDS ?= 5
.PHONY: sync-trials
sync-trials:
	TESSERA_SYNC_OPS=200 TESSERA_SYNC_SEEDS=$(SEEDS) TESSERA_SYNC_SWEEP=full \
	  $(CARGO) test --test main -- sync::convergence sync::security::a_byte_flipped --nocapture

clean:
	$(CARGO) clean
	rm -rf ui/dist ui/node_modules

#!/usr/bin/env bash
# Fills fuzz/seeds/<target>/ with seed inputs made from the shared test
# fixtures (../shared/fixtures, GPL: read at fuzz time, never committed)
# and from a few lines of our own; seeds are named by content, so running it
# again adds nothing twice. `make fuzz-smoke` runs each target from these
# seeds alone; a longer run keeps what it finds in fuzz/corpus/<target>:
#   cd fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run -O TARGET corpus/TARGET seeds/TARGET
set -euo pipefail
cd "$(dirname "$0")"
FIXTURES=${FIXTURES:-../../shared/fixtures}
# Where the seeds go (tests/fuzz_replay.rs passes a directory of its own).
SEEDS=${SEEDS:-seeds}

# put TARGET HEX FILE: the bytes written as HEX (selector bytes the target
# reads first; may be empty), then FILE's, into $SEEDS/TARGET/<sha1>.
put() {
  local dir=$SEEDS/$1 hex=$2 file=$3 tmp i
  mkdir -p "$dir"
  tmp=$(mktemp)
  {
    for ((i = 0; i < ${#hex}; i += 2)); do printf "\\x${hex:i:2}"; done
    cat "$file"
  } >"$tmp"
  mv "$tmp" "$dir/$(sha1sum <"$tmp" | cut -c1-40)"
}
put_text() { # TARGET PREFIX TEXT
  local tmp
  tmp=$(mktemp)
  printf '%s' "$3" >"$tmp"
  put "$1" "$2" "$tmp"
  rm -f "$tmp"
}

# Format::ALL order: otpauth list, Google migration, Aegis, 2FAS, andOTP,
# andOTP encrypted, Bitwarden JSON, Bitwarden CSV, Ente, FreeOTP+, Proton,
# Steam, Tessera backup, Google Authenticator database, Microsoft
# Authenticator database, LastPass, Authenticator Pro, Authenticator Pro
# HTML, Ente encrypted, Proton encrypted, Proton Pass, 1Password, KeePass,
# FreeOTP backup (import_format reads the low five bits of the selector).
format_of() {
  case "$1" in
    plain.txt) echo 00 ;;
    aegis_*) echo 02 ;;
    2fas_*) echo 03 ;;
    andotp_plain.json) echo 04 ;;
    andotp_encrypted.bin) echo 05 ;;
    bitwarden.json) echo 06 ;;
    bitwarden.csv) echo 07 ;;
    ente_auth.txt) echo 08 ;;
    freeotp_plus.json) echo 09 ;;
    proton_authenticator.json) echo 0a ;;
    steam.json) echo 0b ;;
    lastpass_*) echo 0f ;;
    backup.json | backup*.authpro) echo 10 ;;
    backup.html) echo 11 ;;
    backup.txt) echo 00 ;;
    andotp_old.json.aes) echo 05 ;;
    password_protected_*.json | account_restricted.json) echo 06 ;;
    ente_auth_encrypted.txt) echo 12 ;;
    proton_authenticator_encrypted.json) echo 13 ;;
    proton_pass_export*.zip | proton_pass_export.pgp) echo 14 ;;
    *.1pux) echo 15 ;;
    password.kdbx) echo 16 ;;
    externalBackup.xml | tokens.xml) echo 17 ;;
    *) echo "" ;;
  esac
}

if [ -d "$FIXTURES/aegis-importers" ]; then
  for file in "$FIXTURES"/aegis-importers/*; do
    name=$(basename "$file")
    put import_sniffed "" "$file"
    format=$(format_of "$name")
    [ -z "$format" ] || put import_format "$format" "$file"
  done
  grep -h '^otpauth://' "$FIXTURES/aegis-importers/plain.txt" | while read -r line; do
    put_text otpauth_uri "" "$line"
  done
fi
# The formats of tests/fixtures/formats (generated there, in the repository).
# One KeePass database is enough: each costs an Argon2 of 64 MiB × 14 passes
# (the password "test" opens it, so the whole path is exercised).
for file in ../tests/fixtures/formats/*/*; do
  case "$file" in */generate/* | *.md | *key_file*.kdbx | *.keyx) continue ;; esac
  put import_sniffed "" "$file"
  format=$(format_of "$(basename "$file")")
  [ -z "$format" ] || put import_format "$format" "$file"
done
# App databases copied off a phone (the schemas tests/transfer_formats.rs
# names), when the sqlite3 shell is there.
if command -v sqlite3 >/dev/null 2>&1; then
  tmp=$(mktemp -d)
  sqlite3 "$tmp/google" "CREATE TABLE accounts (_id INTEGER PRIMARY KEY, email TEXT NOT NULL, secret TEXT NOT NULL, counter INTEGER DEFAULT 0, type INTEGER, provider INTEGER DEFAULT 0, issuer TEXT DEFAULT NULL, original_name TEXT DEFAULT NULL);
    INSERT INTO accounts (email, secret, counter, type, issuer) VALUES ('alice', 'JBSWY3DPEHPK3PXP', 0, 0, 'GitHub'), ('Dropbox:bob', 'GEZDGNBVGY3TQOJQ', 4, 1, NULL);"
  sqlite3 "$tmp/microsoft" "CREATE TABLE accounts (_id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, username TEXT, oath_secret_key TEXT, account_type INTEGER);
    INSERT INTO accounts (name, username, oath_secret_key, account_type) VALUES ('Contoso', 'me', 'GEZDGNBVGY3TQOJQ', 0), ('Microsoft', 'me', 'SGVsbG8h', 1), ('Work', 'me', NULL, 2);"
  put import_sniffed "" "$tmp/google"
  put import_format 0d "$tmp/google"
  put import_sniffed "" "$tmp/microsoft"
  put import_format 0e "$tmp/microsoft"
  rm -rf "$tmp"
fi
if [ -d "$FIXTURES/google-migration" ]; then
  for file in "$FIXTURES"/google-migration/*.txt; do
    put import_sniffed "" "$file"
    put import_format 01 "$file"
    grep -h '^otpauth-migration://' "$file" | while read -r line; do
      put_text migration 00 "$line"
    done || true
    grep -h '^# *otpauth://' "$file" | sed 's/^# *//' | while read -r line; do
      put_text otpauth_uri "" "$line"
    done || true
  done
  # Pictures small enough for quick runs: the small ones as they are, the
  # export QR scaled down, and a QR in each supported raster format.
  for file in "$FIXTURES"/google-migration/*.png "$FIXTURES"/google-migration/*.jpeg; do
    [ "$(stat -c %s "$file")" -gt 65536 ] || put qr_scan "" "$file"
  done
  if command -v convert >/dev/null 2>&1; then
    tmp=$(mktemp -d)
    convert "$FIXTURES/google-migration/example_export.png" -resize 240x240 -colorspace Gray \
      -depth 8 "$tmp/export.png" && put qr_scan "" "$tmp/export.png"
    for ext in gif bmp jpg webp; do
      convert "$FIXTURES/google-migration/qr_but_without_otp.png" "$tmp/qr.$ext" 2>/dev/null &&
        put qr_scan "" "$tmp/qr.$ext"
    done
    rm -rf "$tmp"
  fi
fi

# Our own seeds.
put_text qr_scan "" '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 21 21"><rect x="0" y="0" width="7" height="7"/><rect x="1" y="1" width="5" height="5" fill="#fff"/><rect x="2" y="2" width="3" height="3"/></svg>'
# The picture tiled with finder patterns that kept rqrr busy for minutes.
put qr_scan "" ../tests/fuzz_regressions/qr-finder-lattice-800x800.png
put_text vault_decode 01 '{"issuer":"ACME","name":"me","secret":"48656c6c6f21deadbeef","algorithm":"SHA1","digits":6,"kind":"totp","period":30,"tags":[],"favorite":false,"note":"","icon":{"badge":{"text":"AC","colour":"#336699"}}}'
put_text otpauth_uri "" 'otpauth://totp/ACME%20Co:john@example.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30'
put_text otpauth_uri "" 'otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=7&digits=8&algorithm=SHA512'
put_text otpauth_uri "" 'otpauth://steam/Steam:me?secret=JBSWY3DPEHPK3PXP&issuer=Steam'
put_text vault_decode 01 '{"issuer":"ACME","name":"me","secret":"48656c6c6f21deadbeef","algorithm":"SHA1","digits":6,"kind":"totp","period":30,"counter":null,"extra_params":[],"tags":["work"],"favorite":false,"note":"","icon":null}'
put_text vault_decode 02 '{"code":"1234-5678","used_at":1700000000000}'
put_text vault_decode 03 'plaintext'
put_text server_response 00000000 '{"secret":"JBSWY3DPEHPK3PXP","otpauth_url":"otpauth://totp/x?secret=JBSWY3DPEHPK3PXP","qr":"data:image/svg+xml,%3Csvg%3E%3C/svg%3E","token":"a.eyJzdWIiOiIxIn0.c","message":"nope"}'
put_text server_response 01010002 '[{"ResponseType":"client.store.set","Attributes":{"key":"token","value":"a.eyJzdWIiOjF9.c"}},{"ResponseType":"client.notify","Attributes":{"message":"hi"}}]'
put_text server_response 02020408 'sid=abc; Path=/; Max-Age=0'
for target in otpauth_uri migration import_sniffed import_format vault_decode qr_scan server_response; do
  mkdir -p "$SEEDS/$target"
  printf '%s: %s seed files\n' "$target" "$(find "$SEEDS/$target" -type f | wc -l)"
done

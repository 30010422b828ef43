#!/usr/bin/env bash
# `fuzz-smoke.sh [seconds]`: builds the cargo-fuzz targets in fuzz/ and runs
# each one, one after another, for a short bounded time (default 20 s) from
# its committed seeds. Exits non-zero when a target fails to build, crashes,
# hangs on one input (> 10 s) or goes over 512 MB. Crash inputs are left in
# fuzz/artifacts/<target>/; the inputs a run finds go to a temporary
# directory, so the checkout stays clean.
#
# Needs rustup with a nightly toolchain (cargo-fuzz uses -Z flags); without
# one, stable is used with RUSTC_BOOTSTRAP=1. Installs cargo-fuzz if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}

need() { command -v "$1" >/dev/null 2>&1; }
# libfuzzer-sys compiles libFuzzer's C++ sources.
if ! need c++; then
  apt-get update -qq && apt-get install -y -qq build-essential >/dev/null
fi
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz-smoke: installing cargo-fuzz"
  cargo install --locked cargo-fuzz
fi

if cargo +nightly --version >/dev/null 2>&1; then
  fuzz=(cargo +nightly fuzz)
else
  echo "fuzz-smoke: no nightly toolchain; using stable with RUSTC_BOOTSTRAP=1"
  export RUSTC_BOOTSTRAP=1
  fuzz=(cargo fuzz)
fi
echo "fuzz-smoke: $("${fuzz[@]}" --version), ${seconds} s per target"

targets=$("${fuzz[@]}" list)
"${fuzz[@]}" build

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=()
for t in $targets; do
  echo "fuzz-smoke: $t"
  mkdir -p "$work/$t"
  # The first corpus directory receives new inputs; the seeds are read only.
  # TMPDIR: the events_log target's scratch files go with the rest.
  if ! TMPDIR="$work" "${fuzz[@]}" run "$t" "$work/$t" "fuzz/corpus/$t" -- \
    -max_total_time="$seconds" -rss_limit_mb=512 -timeout=10 -print_final_stats=1; then
    failed+=("$t")
  fi
done
if ((${#failed[@]})); then
  echo "fuzz-smoke: FAILED: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzz-smoke: ok: $(echo $targets)"

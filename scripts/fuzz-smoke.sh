#!/usr/bin/env bash
# `fuzz-smoke.sh [runs]`: builds the cargo-fuzz targets in fuzz/ and runs each
# one, one after another, from its committed seeds for a fixed number of
# inputs (default 100 000) with a fixed seed, so a run is repeatable: CI fails
# on a regression, never on a new random find. `fuzz-smoke.sh --explore
# SECONDS` runs each target for that long with a random seed instead (the
# hunt for new bugs; its finds become seeds in fuzz/corpus/<target>/).
# Exits non-zero when a target fails to build, crashes, hangs on one input
# (> 10 s) or goes over 512 MB. Crash inputs are left in
# fuzz/artifacts/<target>/; the inputs a run finds go to a temporary
# directory, so the checkout stays clean.
#
# Needs rustup with a nightly toolchain (cargo-fuzz uses -Z flags); without
# one, stable is used with RUSTC_BOOTSTRAP=1. Installs cargo-fuzz if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ${1:-} == --explore ]]; then
  budget=(-max_total_time="${2:?--explore needs SECONDS}")
  what="${2} s per target, random seed"
else
  # -max_total_time is only a backstop against a slow machine.
  budget=(-runs="${1:-100000}" -seed=1 -max_total_time=600)
  what="${1:-100000} inputs per target, seed 1"
fi

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
echo "fuzz-smoke: $("${fuzz[@]}" --version), ${what}"

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
    "${budget[@]}" -rss_limit_mb=512 -timeout=10 -print_final_stats=1; then
    failed+=("$t")
  fi
done
if ((${#failed[@]})); then
  echo "fuzz-smoke: FAILED: ${failed[*]} (inputs in fuzz/artifacts/)" >&2
  exit 1
fi
echo "fuzz-smoke: ok: $(echo $targets)"

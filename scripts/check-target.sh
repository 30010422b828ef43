#!/usr/bin/env bash
# `check-target.sh <target>`: checks npm/<platform>/avenor-core.<platform>.node
# and npm/<platform>/avenor-sim as built by build-targets.sh: file format and
# architecture, the Node-API entry point, the glibc floor (2.17) or the macOS
# minimum, the libraries they need, and where this machine can run them, a real
# load: the arm64 glibc addon in Debian's arm64 Node under qemu making one call
# to the arm64 avenor-sim; musl addons dlopen'ed by the musl loader and each
# avenor-sim answering a real call.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
target=$1
XBUILD=$ROOT/target-xbuild
GLIBC_FLOOR=2.17

case "$target" in
  x86_64-unknown-linux-gnu) suffix=linux-x64-gnu ;;
  aarch64-unknown-linux-gnu) suffix=linux-arm64-gnu ;;
  x86_64-unknown-linux-musl) suffix=linux-x64-musl ;;
  aarch64-unknown-linux-musl) suffix=linux-arm64-musl ;;
  x86_64-apple-darwin) suffix=darwin-x64 ;;
  aarch64-apple-darwin) suffix=darwin-arm64 ;;
  *) echo "check: unknown target $target" >&2; exit 1 ;;
esac
addon=$ROOT/npm/$suffix/avenor-core.$suffix.node
sim=$ROOT/npm/$suffix/avenor-sim

fail() { echo "check $target: FAILED: $*" >&2; exit 1; }
pass() { echo "check $target: ok: $*"; }

[ -f "$addon" ] || fail "$addon is missing (run npm run build:targets)"
[ -x "$sim" ] || fail "$sim is missing or not executable"

expect_file() { # <path> <pattern>
  local description
  description=$(file -b "$1")
  [[ $description =~ $2 ]] || fail "$(basename "$1") is '$description', expected /$2/"
  pass "$(basename "$1"): ${description%%,*(*}"
}

case "$target" in
  x86_64-*) elf_arch='x86-64'; macho_arch='x86_64' ;;
  aarch64-*) elf_arch='ARM aarch64'; macho_arch='arm64' ;;
esac

check_elf() {
  local interp
  case "$target" in
    *-gnu) interp='/lib(64)?/ld-linux-(x86-64|aarch64)\.so\.[12]' ;;
    *-musl) interp='/lib/ld-musl-(x86_64|aarch64)\.so\.1' ;;
  esac
  expect_file "$addon" "^ELF 64-bit LSB shared object, $elf_arch, .*dynamically linked"
  case "$target" in
    # zig links a musl executable statically (static-pie): it then runs on any
    # Linux of that architecture, no musl loader needed.
    *-musl) expect_file "$sim" "^ELF 64-bit LSB (pie )?executable, $elf_arch, .*(static-pie linked|statically linked|interpreter $interp)" ;;
    *) expect_file "$sim" "^ELF 64-bit LSB (pie )?executable, $elf_arch, .*interpreter $interp" ;;
  esac
  readelf --dyn-syms -W "$addon" | awk '$7 != "UND" { print $8 }' | grep -qx napi_register_module_v1 \
    || fail "the addon does not export napi_register_module_v1"
  pass "exports napi_register_module_v1"
  if readelf --dyn-syms -W "$addon" | awk '$7 == "UND" { print $8 }' | grep -q '^napi_'; then
    fail "the addon has undefined napi_* symbols (they must resolve at run time)"
  fi
  for f in "$addon" "$sim"; do
    local needed highest
    needed=$(readelf -d -W "$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | tr '\n' ' ')
    highest=$( (readelf -V -W "$f" | grep -o 'GLIBC_[0-9][0-9.]*' || true) | sed 's/GLIBC_//' | sort -uV | tail -1)
    case "$target" in
      *-gnu)
        [ -n "$highest" ] || fail "$(basename "$f") has no GLIBC_ symbol versions"
        [ "$(printf '%s\n%s\n' "$highest" "$GLIBC_FLOOR" | sort -V | tail -1)" = "$GLIBC_FLOOR" ] \
          || fail "$(basename "$f") needs GLIBC_$highest, above the floor $GLIBC_FLOOR"
        [[ $needed != *musl* ]] || fail "$(basename "$f") needs musl: $needed"
        pass "$(basename "$f"): highest glibc version $highest (<= $GLIBC_FLOOR); needs $needed"
        ;;
      *-musl)
        [ -z "$highest" ] || fail "$(basename "$f") needs GLIBC_$highest on a musl target"
        [[ $needed != *libc.so.6* ]] || fail "$(basename "$f") needs glibc's libc.so.6"
        if [ "$f" = "$addon" ] || [ -n "$needed" ]; then
          [[ $needed =~ libc\.so|ld-musl ]] || fail "$(basename "$f") does not need musl's libc: $needed"
          pass "$(basename "$f"): no glibc versions; needs $needed"
        else
          pass "$(basename "$f"): statically linked, needs no libraries"
        fi
        ;;
    esac
  done
}

check_macho() {
  local min
  case "$target" in
    x86_64-apple-darwin) min=10.13 ;;
    aarch64-apple-darwin) min=11.0 ;;
  esac
  expect_file "$addon" "^Mach-O 64-bit $macho_arch dynamically linked shared library"
  expect_file "$sim" "^Mach-O 64-bit $macho_arch executable"
  llvm-nm -gU "$addon" | awk '{ print $3 }' | grep -qx _napi_register_module_v1 \
    || fail "the addon does not export _napi_register_module_v1"
  pass "exports _napi_register_module_v1"
  for f in "$addon" "$sim"; do
    local headers minos dylibs
    headers=$(llvm-objdump --macho --private-headers "$f")
    minos=$(awk '/cmd LC_BUILD_VERSION/ { b = 1 } b && $1 == "minos" { print $2; exit }' <<<"$headers")
    [ -n "$minos" ] || minos=$(awk '/cmd LC_VERSION_MIN_MACOSX/ { b = 1 } b && $1 == "version" { print $2; exit }' <<<"$headers")
    [ "$minos" = "$min" ] || fail "$(basename "$f") has minimum macOS '$minos', expected $min"
    dylibs=$(awk '/cmd LC_LOAD_DYLIB/ { b = 1 } b && $1 == "name" { print $2; b = 0 }' <<<"$headers")
    while read -r lib; do
      [[ $lib == /usr/lib/* || $lib == /System/Library/* ]] || fail "$(basename "$f") needs $lib, not part of macOS"
    done <<<"$dylibs"
    pass "$(basename "$f"): minimum macOS $minos; needs $(echo $dylibs)"
  done
}

# How to run a musl avenor-sim here: a static one as it is (arm64 under qemu),
# a dynamic one through the musl loader.
musl_sim_runner() { # <loader…>
  if readelf -l "$sim" | grep -q 'Requesting program interpreter'; then
    echo "$* $sim"
  else
    case "$target" in
      aarch64-*) echo "qemu-aarch64-static $sim" ;;
      *) echo "$sim" ;;
    esac
  fi
}

# A daemon wrapper that runs a foreign binary: AVENOR_BIN must name one file.
wrapper() { # <name> <command…>
  local path=$XBUILD/check/$1
  mkdir -p "$XBUILD/check"
  printf '#!/bin/sh\nexec %s "$@"\n' "${*:2}" >"$path"
  chmod 0755 "$path"
  echo "$path"
}

# The host's own addon drives a foreign avenor-sim: the x64 glibc build made
# here if present, else the source build at the root.
host_addon() {
  local built=$ROOT/npm/linux-x64-gnu/avenor-core.linux-x64-gnu.node
  [ -f "$built" ] || built=$ROOT/avenor-core.linux-x64-gnu.node
  [ -f "$built" ] || fail "no x86_64 glibc addon to drive the simulator (build x86_64-unknown-linux-gnu first)"
  echo "$built"
}

dlopen_check() { # <zig target> <output>
  python3 -m ziglang cc -target "$1" -dynamic -O1 -o "$2" "$ROOT/scripts/dlopen-check.c"
}

run_checks() {
  case "$target" in
    x86_64-unknown-linux-gnu)
      AVENOR_BIN=$sim node "$ROOT/scripts/smoke-call.cjs" "$addon"
      pass "loaded by Node $(node --version) and answered a real call through avenor-sim"
      ;;
    aarch64-unknown-linux-gnu)
      local root=$XBUILD/arm64-node-root
      bash "$ROOT/scripts/foreign-root.sh" "$root" nodejs libnode108 libbrotli1 libc-ares2 libc6 libicu72 \
        libnghttp2-14 libssl3 libstdc++6 libgcc-s1 libuv1 zlib1g node-acorn node-cjs-module-lexer node-undici
      AVENOR_BIN=$(wrapper sim-arm64-gnu qemu-aarch64-static -L "$root" "$sim") \
        QEMU_LD_PREFIX=$root qemu-aarch64-static "$root/usr/bin/node" "$ROOT/scripts/smoke-call.cjs" "$addon"
      pass "loaded by Debian's arm64 Node under qemu and answered a real call through the arm64 avenor-sim"
      ;;
    x86_64-unknown-linux-musl)
      local probe=$XBUILD/check/dlopen-x86_64-musl
      mkdir -p "$XBUILD/check"
      dlopen_check x86_64-linux-musl "$probe"
      /lib/ld-musl-x86_64.so.1 "$probe" "$addon"
      AVENOR_BIN=$(wrapper sim-x64-musl "$(musl_sim_runner /lib/ld-musl-x86_64.so.1)") node "$ROOT/scripts/smoke-call.cjs" "$(host_addon)"
      pass "dlopen'ed by the musl loader; avenor-sim answered a real call"
      ;;
    aarch64-unknown-linux-musl)
      local root=$XBUILD/arm64-musl-root probe=$XBUILD/check/dlopen-aarch64-musl
      bash "$ROOT/scripts/foreign-root.sh" "$root" musl
      mkdir -p "$XBUILD/check"
      dlopen_check aarch64-linux-musl "$probe"
      qemu-aarch64-static -L "$root" "$probe" "$addon"
      AVENOR_BIN=$(wrapper sim-arm64-musl "$(musl_sim_runner qemu-aarch64-static -L "$root")") \
        node "$ROOT/scripts/smoke-call.cjs" "$(host_addon)"
      pass "dlopen'ed by the arm64 musl loader under qemu; the arm64 avenor-sim answered a real call under qemu"
      ;;
    *-apple-darwin)
      pass "no macOS to run it on here: checked statically"
      ;;
  esac
}

case "$target" in
  *-linux-*) check_elf ;;
  *-apple-darwin) check_macho ;;
esac
run_checks

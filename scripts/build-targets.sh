#!/usr/bin/env bash
# `npm run build:targets [-- <target>…]`: builds the addon and avenor-sim for
# every target in package.json `napi.targets` on this x86_64 Debian machine,
# puts them in npm/<platform>/ and checks each output (scripts/check-target.sh).
# The recipe is ../shared/recipes/cross-build.md: zig (via cargo-zigbuild) links
# every target, gnu targets against glibc 2.17; the rustup toolchain only has
# the host's std, so the other targets use Debian's Rust with -Zbuild-std.
# Installs what it needs when missing; running it again rebuilds incrementally.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
XBUILD=$ROOT/target-xbuild
JOBS=${BUILD_JOBS:-$(nproc)}

log() { printf 'build:targets: %s\n' "$*" >&2; }
have() { command -v "$1" >/dev/null 2>&1; }

ensure_tools() {
  local apt_missing=()
  [ -x /usr/bin/rustc ] && [ -x /usr/bin/cargo ] || apt_missing+=(rustc-web cargo-web)
  [ -d /usr/lib/rustlib/src/rust/library ] || apt_missing+=(rust-web-src)
  have qemu-aarch64-static || apt_missing+=(qemu-user-static)
  [ -e /lib/ld-musl-x86_64.so.1 ] || apt_missing+=(musl)
  have file || apt_missing+=(file)
  have readelf || apt_missing+=(binutils)
  have llvm-nm && have llvm-objdump || apt_missing+=(llvm)
  if [ ${#apt_missing[@]} -gt 0 ]; then
    log "installing Debian packages: ${apt_missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_missing[@]}" >/dev/null
  fi
  if ! python3 -m ziglang version >/dev/null 2>&1; then
    log "installing zig (PyPI ziglang)"
    python3 -m pip install -q --break-system-packages 'ziglang==0.17.1' 2>/dev/null \
      || python3 -m pip install -q 'ziglang==0.17.1'
  fi
  if ! have cargo-zigbuild; then
    log "installing cargo-zigbuild (crates.io)"
    cargo install -q --locked cargo-zigbuild --version 0.24.1
  fi
}

# target triple → napi platform suffix (the npm/<suffix> directory)
suffix_of() {
  case "$1" in
    x86_64-unknown-linux-gnu) echo linux-x64-gnu ;;
    aarch64-unknown-linux-gnu) echo linux-arm64-gnu ;;
    x86_64-unknown-linux-musl) echo linux-x64-musl ;;
    aarch64-unknown-linux-musl) echo linux-arm64-musl ;;
    x86_64-apple-darwin) echo darwin-x64 ;;
    aarch64-apple-darwin) echo darwin-arm64 ;;
    *) return 1 ;;
  esac
}

# The oldest macOS each build claims to support (zig stamps 15.0 without it).
macos_min() {
  case "$1" in
    x86_64-apple-darwin) echo 10.13 ;;
    aarch64-apple-darwin) echo 11.0 ;;
  esac
}

build_target() {
  local target=$1 suffix out lib
  suffix=$(suffix_of "$target")
  log "building $target"
  local start=$SECONDS
  if [ "$target" = x86_64-unknown-linux-gnu ]; then
    # The rustup toolchain has this std: no build-std, glibc floor via zig.
    CARGO_TARGET_DIR=$XBUILD/rustup cargo zigbuild --release --locked -j "$JOBS" \
      -p avenor-core -p avenor-sim --target x86_64-unknown-linux-gnu.2.17
    out=$XBUILD/rustup/$target/release
  else
    local zig_target=$target extra=()
    case "$target" in
      *-linux-gnu) zig_target=$target.2.17 ;;
      # napi-rs links musl addons dynamically (a cdylib cannot be crt-static).
      *-linux-musl)
        local var
        var=CARGO_TARGET_$(echo "$target" | tr 'a-z-' 'A-Z_')_RUSTFLAGS
        extra=("$var=-C target-feature=-crt-static")
        ;;
      *-apple-darwin) extra=("MACOSX_DEPLOYMENT_TARGET=$(macos_min "$target")") ;;
    esac
    env RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 \
      CARGO_TARGET_DIR=$XBUILD/debian "${extra[@]}" \
      /usr/bin/cargo zigbuild --release --locked -j "$JOBS" -p avenor-core -p avenor-sim \
      --target "$zig_target" -Zbuild-std=std,panic_abort
    out=$XBUILD/debian/$target/release
  fi
  case "$target" in
    *-apple-darwin) lib=$out/libavenor_core.dylib ;;
    *) lib=$out/libavenor_core.so ;;
  esac
  install -m 0644 "$lib" "npm/$suffix/avenor-core.$suffix.node"
  install -m 0755 "$out/avenor-sim" "npm/$suffix/avenor-sim"
  log "built $target in $((SECONDS - start)) s"
}

main() {
  local targets=("$@")
  if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(node -p "require('./package.json').napi.targets.join('\n')")
  fi
  ensure_tools
  for target in "${targets[@]}"; do
    suffix_of "$target" >/dev/null || { log "unknown target $target"; exit 1; }
    build_target "$target"
  done
  for target in "${targets[@]}"; do
    bash scripts/check-target.sh "$target"
  done
  log "done: ${#targets[@]} targets built and checked"
}

main "$@"

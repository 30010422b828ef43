#!/usr/bin/env bash
# `foreign-root.sh <root> <package>…`: unpacks Debian arm64 packages into <root>
# so that qemu-aarch64-static -L <root> can run arm64 programs (Node, the musl
# loader) on this x86_64 machine. Uses a private apt state under target-xbuild,
# never the system's. Does nothing when <root>/.complete lists the same packages.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$1
shift
wanted="$*"
if [ -f "$root/.complete" ] && [ "$(cat "$root/.complete")" = "$wanted" ]; then
  exit 0
fi
state=$PWD/target-xbuild/apt-arm64
mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$state/debs"
opts=(-o APT::Architecture=arm64 -o APT::Architectures=arm64
  -o Dir::State::Lists="$state/lists" -o Dir::Cache="$state/cache"
  -o Dir::State::status=/dev/null -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
if [ ! -f "$state/lists/.updated" ]; then
  apt-get "${opts[@]}" update -qq
  touch "$state/lists/.updated"
fi
(cd "$state/debs" && apt-get "${opts[@]}" download -qq "$@")
rm -rf "$root"
mkdir -p "$root"
for package in "$@"; do
  for deb in "$state/debs/${package}"_*_arm64.deb "$state/debs/${package}"_*_all.deb; do
    [ -f "$deb" ] && dpkg-deb -x "$deb" "$root"
  done
done
# Absolute symlinks would point into the host's filesystem: point them into root.
while IFS= read -r link; do
  ln -sfn "$root$(readlink "$link")" "$link"
done < <(find "$root" -type l -lname '/*')
echo "$wanted" >"$root/.complete"

#!/usr/bin/env bash
# Installs the Debian packages fbw needs (as root, with apt), or says what is missing.
# libopenblas0-pthread matters: Debian's libtorch links the reference BLAS otherwise,
# which makes every matrix product about 30x slower.
set -u
pkgs=(build-essential libtorch-dev libopenblas0-pthread libsqlite3-dev libncurses-dev
      gnuplot-nox libpng-dev libjansson-dev libcmocka-dev tmux python3)
# Only to regenerate the reference outputs under tests/ref/ (the tests read the checked-in
# files): FBW_REF_DEPS=1 make deps adds Debian's python3-torch, numpy and scipy.
[ "${FBW_REF_DEPS:-0}" = 1 ] && pkgs+=(python3-torch python3-numpy python3-scipy)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all ${#pkgs[@]} packages present"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing Debian packages: ${missing[*]}" >&2
    echo "deps: run 'make deps' as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -q "${missing[@]}"; then
    apt-get update -q && apt-get install -y -q "${missing[@]}" || {
        echo "deps: apt-get could not install: ${missing[*]}" >&2
        exit 1
    }
fi

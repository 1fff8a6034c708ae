#!/usr/bin/env bash
# Installs what fbw needs on a fresh Debian 12 or 13 machine, or says what is missing:
#   1. Debian packages (as root, with apt): compiler, SQLite, curses, gnuplot, libpng, jansson,
#      cmocka, tmux, python3;
#   2. PyTorch, pinned, into the project-local virtual environment .venv (its libtorch is the one
#      fbw links; the Makefile finds it there).
# FBW_CUDA=1 makes .venv-cuda instead, with PyTorch's CUDA build (several GB): the Makefile's
# test-cuda target builds fbw against it.  FBW_REF_DEPS=1 adds numpy and scipy to .venv, which
# only the reference scripts under tests/ref/ need (the tests read their checked-in outputs).
set -u
cd "$(dirname "$0")/.."

# The pins.  2.13.0 is the CPU build on this project's machines (pip takes it from their disk);
# 2.14.1 is the CUDA build they carry.  Elsewhere pip fetches the same versions from PyPI.
TORCH_CPU_VERSION=2.13.0
TORCH_CUDA_VERSION=2.14.1

pkgs=(build-essential libsqlite3-dev libncurses-dev gnuplot-nox libpng-dev libjansson-dev
      libcmocka-dev tmux python3)
missing=()
for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "deps: all ${#pkgs[@]} Debian packages present"
elif [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing Debian packages: ${missing[*]}" >&2
    echo "deps: run 'make deps' as root, or: sudo apt-get install ${missing[*]}" >&2
    exit 1
else
    echo "deps: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -q "${missing[@]}"; then
        apt-get update -q && apt-get install -y -q "${missing[@]}" || {
            echo "deps: apt-get could not install: ${missing[*]}" >&2
            exit 1
        }
    fi
fi

# Python 3.11 where it exists (the PyTorch wheels on this project's machines are for 3.11),
# otherwise the system's python3.
py=$(command -v python3.11 || command -v python3)
venv=.venv
version=$TORCH_CPU_VERSION
if [ "${FBW_CUDA:-0}" = 1 ]; then
    venv=.venv-cuda
    version=$TORCH_CUDA_VERSION
fi
have=$("$venv/bin/python" -c 'import torch; print(torch.__version__)' 2>/dev/null)
if [ "${have%%+*}" = "$version" ]; then
    echo "deps: $venv has torch $have"
else
    echo "deps: installing torch==$version into $venv (python: $py)"
    if ! "$py" -m venv "$venv" 2>/dev/null; then
        # Debian's own python3 needs python3-venv for ensurepip.
        if [ "$(id -u)" -eq 0 ] && [ "$py" = /usr/bin/python3 ]; then
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv || exit 1
            "$py" -m venv "$venv" || exit 1
        else
            echo "deps: '$py -m venv $venv' failed; install python3-venv" >&2
            exit 1
        fi
    fi
    "$venv/bin/pip" install -q --disable-pip-version-check "torch==$version" 2>&1 |
        grep -v "^WARNING: Location 'file:" >&2
    have=$("$venv/bin/python" -c 'import torch; print(torch.__version__)' 2>/dev/null)
    if [ "${have%%+*}" != "$version" ]; then
        echo "deps: torch==$version did not install into $venv (pip's messages above)" >&2
        exit 1
    fi
    echo "deps: $venv has torch $have"
fi
if [ "${FBW_REF_DEPS:-0}" = 1 ]; then
    "$venv/bin/pip" install -q --disable-pip-version-check numpy scipy 2>&1 |
        grep -v "^WARNING: Location 'file:" >&2
fi
exit 0

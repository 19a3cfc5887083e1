#!/usr/bin/env bash
# Build llama.cpp's `llama-bench` for this host from the vendored llama.cpp tree in the
# pinned llama-cpp-python source distribution (registry package, no git clone needed).
#
# Usage: scripts/build_llama_bench.sh
# Environment:
#   CACHE        output dir (default ${XDG_CACHE_HOME:-$HOME/.cache}/devicebench/build/llama-cpp-python-0.3.36-$(uname -m))
#   LLAMA_SDIST  path to an already-downloaded llama_cpp_python-0.3.36.tar.gz (else: pip download)
#   PIP          pip executable (default: pip)
#   JOBS         parallel build jobs (default: 2)
#
# The binary's path is printed as the last line of stdout; everything else goes to stderr.
# Builds with GGML_NATIVE=OFF so a cached binary also runs on other CPUs of the same arch.
set -euo pipefail

VERSION=0.3.36
PKG="llama-cpp-python==${VERSION}"
CACHE="${CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/devicebench/build/llama-cpp-python-${VERSION}-$(uname -m)}"
PIP="${PIP:-pip}"
JOBS="${JOBS:-2}"

log() { printf '[build_llama_bench] %s\n' "$*" >&2; }
die() { printf '[build_llama_bench] error: %s\n' "$*" >&2; exit 1; }

if [[ -x "$CACHE/llama-bench" ]]; then
    log "cached: $CACHE/llama-bench"
    echo "$CACHE/llama-bench"
    exit 0
fi

for tool in cmake tar; do
    command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found on PATH (install it, e.g. apt-get install cmake)"
done
command -v c++ >/dev/null 2>&1 || command -v g++ >/dev/null 2>&1 || command -v clang++ >/dev/null 2>&1 \
    || die "no C++ compiler found (install build-essential or clang)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/llama-bench-build.XXXXXX")"
cleanup() { rm -rf "$WORK"; }
trap cleanup EXIT

if [[ -n "${LLAMA_SDIST:-}" ]]; then
    [[ -f "$LLAMA_SDIST" ]] || die "LLAMA_SDIST=$LLAMA_SDIST is not a file"
    SDIST="$LLAMA_SDIST"
    log "using sdist $SDIST"
else
    command -v "$PIP" >/dev/null 2>&1 || die "pip executable '$PIP' not found (set PIP=/path/to/pip)"
    log "downloading $PKG source distribution"
    "$PIP" download --quiet --no-deps --no-binary :all: --dest "$WORK/dl" "$PKG" >&2 \
        || die "pip download of $PKG failed"
    SDIST="$(find "$WORK/dl" -maxdepth 1 -name 'llama_cpp_python-*.tar.gz' | head -n1)"
    [[ -n "$SDIST" ]] || die "pip download produced no llama_cpp_python-*.tar.gz in $WORK/dl"
fi

log "extracting $SDIST"
mkdir -p "$WORK/src"
tar -xzf "$SDIST" -C "$WORK/src" || die "cannot extract $SDIST"
SRC="$(find "$WORK/src" -mindepth 3 -maxdepth 3 -type d -path '*/vendor/llama.cpp' | head -n1)"
[[ -n "$SRC" && -f "$SRC/CMakeLists.txt" ]] || die "no vendor/llama.cpp/CMakeLists.txt in $SDIST"

GEN=()
if command -v ninja >/dev/null 2>&1; then GEN=(-G Ninja); fi

log "configuring ($SRC)"
# Only what llama-bench needs: common + tools (llama-bench lives in tools/), no server/app/
# examples/tests, no HTTPS (LLAMA_OPENSSL replaces the deprecated LLAMA_CURL in this tree).
cmake -S "$SRC" -B "$WORK/build" "${GEN[@]}" \
    -DCMAKE_BUILD_TYPE=Release \
    -DBUILD_SHARED_LIBS=OFF \
    -DGGML_NATIVE=OFF \
    -DLLAMA_OPENSSL=OFF \
    -DLLAMA_BUILD_COMMON=ON \
    -DLLAMA_BUILD_TOOLS=ON \
    -DLLAMA_BUILD_EXAMPLES=OFF \
    -DLLAMA_BUILD_SERVER=OFF \
    -DLLAMA_BUILD_APP=OFF \
    -DLLAMA_BUILD_TESTS=OFF \
    >&2 || die "cmake configure failed"

log "building llama-bench with $JOBS jobs"
start=$(date +%s)
cmake --build "$WORK/build" --config Release --target llama-bench -j "$JOBS" >&2 \
    || die "cmake build of llama-bench failed"
log "build took $(( $(date +%s) - start ))s"

BIN="$(find "$WORK/build" -type f -name llama-bench -perm -u+x | head -n1)"
[[ -n "$BIN" ]] || die "build finished but no llama-bench binary found under $WORK/build"
"$BIN" --help >/dev/null 2>&1 || die "built $BIN but '$BIN --help' fails"

mkdir -p "$CACHE"
cp "$BIN" "$CACHE/.llama-bench.tmp.$$"
chmod 755 "$CACHE/.llama-bench.tmp.$$"
mv -f "$CACHE/.llama-bench.tmp.$$" "$CACHE/llama-bench"
log "installed $CACHE/llama-bench"
echo "$CACHE/llama-bench"

# shellcheck shell=bash
# Configures and builds the Release tree (Ninja) that every command uses.

BUILD_DIR=${MLDECK_BUILD_DIR:-${REPO_ROOT}/build}
MLDECK_APP=${BUILD_DIR}/app/mldeck/mldeck
MLDECKCTL=${BUILD_DIR}/app/mldeckctl/mldeckctl

# build_release [TARGET...]: no target builds everything (tests and benchmarks included).
build_release() {
    local -a targets=()
    local t
    for t in "$@"; do targets+=(--target "${t}"); done
    if [[ -f ${BUILD_DIR}/CMakeCache.txt ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "${BUILD_DIR}/CMakeCache.txt"; then
        die "${BUILD_DIR} was configured with another generator: remove it or set MLDECK_BUILD_DIR"
    fi
    local t0=${SECONDS}
    say "configuring ${BUILD_DIR} (Release, Ninja)"
    cmake -S "${REPO_ROOT}" -B "${BUILD_DIR}" -G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=ON ||
        die "cmake could not configure ${BUILD_DIR} (see above)"
    say "building with $(nproc) jobs${1:+ (targets: $*)}"
    cmake --build "${BUILD_DIR}" -j"$(nproc)" "${targets[@]}" || die "the build failed (the compiler's message is above)"
    say "configure + build took $((SECONDS - t0)) s"
}

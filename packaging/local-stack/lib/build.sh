# shellcheck shell=bash
# Configures and builds the trees (Ninja) the commands use: the Release tree every command uses, and the
# Debug + AddressSanitizer + UndefinedBehaviorSanitizer tree of the test command's sanitizer stage.

BUILD_DIR=${MLDECK_BUILD_DIR:-${REPO_ROOT}/build}
SANITIZE_BUILD_DIR=${MLDECK_SANITIZE_BUILD_DIR:-${BUILD_DIR}-sanitize}
MLDECK_APP=${BUILD_DIR}/app/mldeck/mldeck
MLDECKCTL=${BUILD_DIR}/app/mldeckctl/mldeckctl

# The sanitizer stage runs the unit and fuzz tests but those excluded below, and the integration tests listed in
# SANITIZE_INTEGRATION; the GUI tests and the other integration tests run in the Release suite only. Most
# integration tests spend their time in PostgreSQL, Redis or LibTorch, which the sanitizers do not instrument,
# while each added 10-15 s of sanitized compiling and linking: running them all here took about 11 min of a cold
# CI run. The ones listed drive the C++ that reads what the servers send (COPY, replies, the audit chain, pub/sub,
# faults) and stay.
SANITIZE_LABELS='unit|fuzz'
SANITIZE_INTEGRATION=(
    test_predictionlog test_pgconnection test_migrator test_kpi_store test_deployments test_audit_chain
    test_flag_service test_redis_flag_store test_redis_flag_subscriber test_redis_faults
)
SANITIZE_EXCLUDED=(
    # shell scripts over the sources, the packaging files and the Release binaries: no code of ours runs in them
    test_packaging_metadata test_process_libraries test_guard_service_unit test_layering test_format
    # they link the whole GUI library, which the stage does not build (its ~100 sources would add ~7 min of CPU
    # to a cold sanitized build for two tests); the GUI suite runs them in Release
    test_decimation test_french_at_run_time test_settings_editor test_audit_page_parts test_form_grid
    # Python (pytest): the sanitizers see none of it
    test_python_client test_python_fastapi_example
    # minutes of drift statistics on generated traffic (2.5 min in Release); the drift units run here
    test_drift_scenario
    # 47 s of training in Release, whose arithmetic is LibTorch's own (not instrumented); test_retrain_cli runs the flow
    test_retrain
    # timing figures a Debug + sanitizer build slows 2-3x by design: the event loop never stalls 50 ms while
    # probes hang, a standby leads within 2 s, a real Prometheus scrapes guards for minutes (serial)
    test_connectionmonitor test_guard_handover test_metrics_prometheus
    # asserts that no request falls back to the heuristic while the champion switches; a sanitized worker can be
    # slow enough during the switch that 2 of ~1,500 did (seen once in three runs)
    test_champion_follow
)
# And one test function: test_model_worker's memory-limit case is not built with the sanitizers (the reason is
# beside it); the rest of that test runs here.

# ccache, when installed, keeps compiled objects between runs (~/.cache/ccache): a rebuild after a small
# change, or a CI machine that keeps its home, compiles only what changed.
compiler_launcher_args() {
    command -v ccache >/dev/null || return 0
    printf '%s\n' -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DCMAKE_C_COMPILER_LAUNCHER=ccache
}

# lld, when installed, links in under half the CPU time of GNU ld (GNU gold saves nothing here): the sanitizer
# tree's executables are 100-400 MB each, and ccache never caches a link.
linker_args() {
    command -v ld.lld >/dev/null || return 0
    local kind
    for kind in EXE SHARED MODULE; do printf '%s\n' "-DCMAKE_${kind}_LINKER_FLAGS=-fuse-ld=lld"; done
}

# The test command builds with warnings as errors (what CI checks); the demo only shows them.
MLDECK_WERROR=${MLDECK_WERROR:-OFF}

# configure_tree DIR BUILD_TYPE [CMAKE_ARG...]
configure_tree() {
    local dir=$1 type=$2
    shift 2
    if [[ -f ${dir}/CMakeCache.txt ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "${dir}/CMakeCache.txt"; then
        die "${dir} was configured with another generator: remove it, or set MLDECK_BUILD_DIR (MLDECK_SANITIZE_BUILD_DIR)"
    fi
    local -a launcher linker
    mapfile -t launcher < <(compiler_launcher_args)
    mapfile -t linker < <(linker_args)
    say "configuring ${dir} (${type}, Ninja${launcher:+, ccache}${linker:+, lld})"
    cmake -S "${REPO_ROOT}" -B "${dir}" -G Ninja -DCMAKE_BUILD_TYPE="${type}" -DBUILD_TESTING=ON \
        "${launcher[@]}" "${linker[@]}" "$@" || die "cmake could not configure ${dir} (see above)"
}

# build_release [TARGET...]: no target builds everything (tests and benchmarks included).
build_release() {
    local -a targets=()
    local t
    for t in "$@"; do targets+=(--target "${t}"); done
    local t0=${SECONDS}
    configure_tree "${BUILD_DIR}" Release -DMLDECK_WERROR="${MLDECK_WERROR}"
    say "building with $(nproc) jobs${1:+ (targets: $*)}"
    cmake --build "${BUILD_DIR}" -j"$(nproc)" "${targets[@]}" || die "the build failed (the compiler's message is above)"
    say "configure + build took $((SECONDS - t0)) s"
}

# The sanitizer stage's selection, as ctest arguments: its tests by name, read from the configured sanitizer tree.
sanitize_ctest_selection() {
    local -a names
    local IFS='|'
    mapfile -t names < <(ctest --test-dir "${SANITIZE_BUILD_DIR}" -N -L "${SANITIZE_LABELS}" \
        -E "^(${SANITIZE_EXCLUDED[*]})\$" | sed -n 's/^ *Test *#[0-9]*: //p')
    names+=("${SANITIZE_INTEGRATION[@]}")
    printf '%s\n' -R "^(${names[*]})\$"
}

# seed_test_times DIR STAGE: ctest starts the longest tests first when it knows their times from an earlier run
# (DIR/Testing/Temporary/CTestCostData.txt, which every run updates). A fresh clone has none and ran them in
# registration order, the longest last: 15 s lost on each stage. So a tree without times starts from those of
# a recent run (test-times/STAGE.txt; refresh it by copying that file after a run). A test it does not list
# starts after the listed ones.
seed_test_times() {
    local times=${1}/Testing/Temporary/CTestCostData.txt
    [[ -f ${times} ]] && return 0
    mkdir -p "${times%/*}"
    cp "${HERE}/test-times/${2}.txt" "${times}"
}

# build_sanitized: configures SANITIZE_BUILD_DIR (Debug: QT_FORCE_ASSERTS and _GLIBCXX_ASSERTIONS, plus
# -DMLDECK_SANITIZE=ON) and builds only what the stage runs: its test executables, mldeckctl (the CLI
# tests run it) and the model worker (every test depends on it). Debug information is -g1: the line tables and
# function names a sanitizer's report shows, without the variables' descriptions (-g made the objects 40% bigger
# and their compiling 9% slower).
build_sanitized() {
    local t0=${SECONDS} name
    local -a selection names targets=(--target mldeckctl --target mldeck-model-worker)
    configure_tree "${SANITIZE_BUILD_DIR}" Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DMLDECK_SANITIZE=ON \
        -DMLDECK_WERROR="${MLDECK_WERROR}"
    mapfile -t selection < <(sanitize_ctest_selection)
    mapfile -t names < <(ctest --test-dir "${SANITIZE_BUILD_DIR}" -N "${selection[@]}" |
        sed -n 's/^ *Test *#[0-9]*: //p')
    ((${#names[@]})) || die "no test selected for the sanitizer stage in ${SANITIZE_BUILD_DIR}"
    for name in "${SANITIZE_INTEGRATION[@]}"; do
        [[ " ${names[*]} " == *" ${name} "* ]] || die "SANITIZE_INTEGRATION lists ${name}, which is not a test"
    done
    for name in "${names[@]}"; do
        # Tests made by mldeck_add_test are named after their executable.
        ninja -C "${SANITIZE_BUILD_DIR}" -t query "${name}" >/dev/null 2>&1 && targets+=(--target "${name}")
    done
    say "building the sanitizer stage with $(nproc) jobs ($(((${#targets[@]} - 4) / 2)) test executables)"
    cmake --build "${SANITIZE_BUILD_DIR}" -j"$(nproc)" "${targets[@]}" ||
        die "the sanitizer build failed (the compiler's message is above)"
    say "sanitizer configure + build took $((SECONDS - t0)) s"
}

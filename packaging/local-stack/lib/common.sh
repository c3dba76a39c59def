# shellcheck shell=bash
# Messages, paths and the per-command state directory shared by mldeck-dev's helpers.

say() { printf 'mldeck-dev: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

is_root() { [[ ${EUID} -eq 0 ]]; }

# Each command gets its own state subdirectory, so `demo` and `test` can run side by side.
# MLDECK_STATE_DIR moves the whole tree (default: .state/ at the repo root).
init_state_dir() {
    local mode=$1
    STATE_ROOT=${MLDECK_STATE_DIR:-${REPO_ROOT}/.state}
    STATE=${STATE_ROOT}/${mode}
    mkdir -p "${STATE}"
    chmod 700 "${STATE_ROOT}" "${STATE}"
    # One command per state directory at a time; fd 9 is closed for the daemons we spawn
    # so a server that outlives a killed script does not keep the lock.
    exec 9>"${STATE}/.lock"
    flock -n 9 || die "another 'mldeck-dev ${mode}' is already using ${STATE}"
}

# Prints a fresh random password (letters and digits only: safe in a URL without escaping).
random_password() {
    head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | cut -c1-24
}

have_display() { [[ -n ${DISPLAY:-} || -n ${WAYLAND_DISPLAY:-} ]]; }

# Sleeps until SECONDS have passed (0 = until interrupted); short sleeps keep Ctrl-C prompt.
wait_until_interrupted() {
    local limit=$1 end=$((SECONDS + $1))
    while ((limit == 0 || SECONDS < end)); do
        sleep 1
    done
}

# shellcheck shell=bash
# The Debian packages that build, test and run MLDeck, installed only when missing.

MLDECK_PACKAGES=(
    cmake ninja-build g++ lld pkg-config ccache clang-format
    qt6-base-dev qt6-base-dev-tools qt6-qpa-plugins qt6-charts-dev libqt6opengl6-dev libxkbcommon-dev
    qt6-tools-dev qt6-tools-dev-tools qt6-l10n-tools qtkeychain-qt6-dev
    libpqxx-dev libhiredis-dev libtorch-dev libcsv-dev libeigen3-dev
    redis-server postgresql postgresql-contrib
    xvfb fonts-dejavu-core python3-torch python3-scipy python3-sklearn python3-pil
    desktop-file-utils appstream systemd
    python3-redis python3-psycopg python3-pytest python3-fastapi python3-uvicorn
    qt6-httpserver-dev qt6-websockets-dev prometheus
)

missing_packages() {
    local p
    for p in "${MLDECK_PACKAGES[@]}"; do
        [[ $(dpkg-query -W -f='${db:Status-Abbrev}' "${p}" 2>/dev/null) == ii* ]] || printf '%s\n' "${p}"
    done
}

ensure_packages() {
    local -a missing asroot=()
    mapfile -t missing < <(missing_packages)
    if ((${#missing[@]} == 0)); then
        say "all Debian packages are present"
        return 0
    fi
    say "installing missing Debian packages: ${missing[*]}"
    if ! is_root; then
        command -v sudo >/dev/null ||
            die "not root and no sudo: as root run: apt-get install ${missing[*]}"
        asroot=(sudo)
    fi
    local t0=${SECONDS}
    "${asroot[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    "${asroot[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
    say "packages installed in $((SECONDS - t0)) s"
}

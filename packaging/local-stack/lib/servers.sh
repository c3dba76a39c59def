# shellcheck shell=bash
# A private Redis and a private PostgreSQL on 127.0.0.1, on free ports, with data under the
# state directory. PostgreSQL refuses to run as root, so as root it runs as the `postgres`
# user with its files in a private directory under /tmp that this user can write.

REDIS_PORT='' REDIS_PID='' REDIS_WRITER_PASSWORD='' REDIS_READER_PASSWORD='' PG_BIN='' FREE_PORT='' PG_PORT='' PG_PID='' PG_PASSWORD='' PG_HOME='' PGDATA_DIR=''
USED_PORTS=' '

# Sets PG_BIN to the newest installed PostgreSQL server's bin directory.
find_pg_bin() {
    # shellcheck disable=SC2012 # version-sorted directory names, no odd characters
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
    [[ -x ${PG_BIN}/pg_ctl ]] || die "PostgreSQL server binaries not found under /usr/lib/postgresql"
}

# True when something listens on TCP port $1 (any address, IPv4 or IPv6).
port_in_use() {
    local hex
    hex=$(printf '%04X' "$1")
    awk -v h=":${hex}" '$4 == "0A" && substr($2, length($2) - 4) == h { found = 1 } END { exit !found }' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# Sets FREE_PORT to a port below Linux's ephemeral range (32768+) that nothing listens on and
# that this run has not handed out yet (no subshell: USED_PORTS must persist).
pick_free_port() {
    local p i
    for ((i = 0; i < 200; i++)); do
        p=$((20000 + RANDOM % 12000))
        [[ ${USED_PORTS} == *" ${p} "* ]] && continue
        port_in_use "${p}" && continue
        USED_PORTS+="${p} "
        FREE_PORT=${p}
        return 0
    done
    die "no free TCP port found between 20000 and 32000"
}

# Runs a command as the user PostgreSQL runs as, from a directory that user can enter.
as_pg() {
    if is_root; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

process_is() { [[ -r /proc/$1/comm && $(<"/proc/$1/comm") == "$2"* ]]; }

# ---------------------------------------------------------------- Redis

# The ACL users of resources/contract/security.md: "default" is off; the writer runs MLDeck's
# scripts on the mldeck:* keys; the reader reads them and subscribes (EVAL_RO only, no writes).
# Redis reads only SHA-256 hashes from the 0600 file; no password is ever on a command line.
write_redis_acl() {
    local file=$1 writer_hash reader_hash
    REDIS_WRITER_PASSWORD=$(random_password)
    REDIS_READER_PASSWORD=$(random_password)
    writer_hash=$(printf '%s' "${REDIS_WRITER_PASSWORD}" | sha256sum | cut -d' ' -f1)
    reader_hash=$(printf '%s' "${REDIS_READER_PASSWORD}" | sha256sum | cut -d' ' -f1)
    (
        umask 077
        cat >"${file}" <<EOF
user default off resetkeys resetchannels -@all
user mldeck-writer on #${writer_hash} resetkeys ~mldeck:* resetchannels &mldeck:* -@all +@read +@write +@keyspace +@scripting +@pubsub +@connection +@transaction -@dangerous +info
user mldeck-reader on #${reader_hash} resetkeys %R~mldeck:* resetchannels &mldeck:* -@all +@read +@connection -@dangerous +eval_ro +evalsha_ro +subscribe +psubscribe +unsubscribe +punsubscribe
EOF
    )
}

redis_owned_by_us() {
    local pid
    pid=$(REDISCLI_AUTH=${REDIS_WRITER_PASSWORD} redis-cli --no-auth-warning --user mldeck-writer \
        -h 127.0.0.1 -p "${REDIS_PORT}" info server 2>/dev/null | tr -d '\r' | sed -n 's/^process_id://p')
    [[ -n ${pid} && ${pid} == "${REDIS_PID}" ]]
}

start_redis() {
    local dir=${STATE}/redis attempt i
    mkdir -p "${dir}"
    stop_stale_redis "${dir}"
    write_redis_acl "${dir}/users.acl"
    for attempt in 1 2 3 4 5; do
        pick_free_port
        REDIS_PORT=${FREE_PORT}
        rm -f "${dir}/redis.pid"
        # The pid file is written only after the port is bound: it tells us the start worked.
        redis-server --port "${REDIS_PORT}" --bind 127.0.0.1 --save '' --appendonly no \
            --aclfile "${dir}/users.acl" --dir "${dir}" --pidfile "${dir}/redis.pid" --logfile "${dir}/redis.log" \
            --daemonize yes 9>&- || true
        for ((i = 0; i < 100; i++)); do
            if [[ -s ${dir}/redis.pid ]]; then
                REDIS_PID=$(<"${dir}/redis.pid")
                if redis_owned_by_us; then
                    say "Redis ${REDIS_PID} listening on 127.0.0.1:${REDIS_PORT} (log ${dir}/redis.log)"
                    return 0
                fi
            fi
            sleep 0.1
        done
        say "Redis did not start on port ${REDIS_PORT} (attempt ${attempt}); trying another port"
        [[ -n ${REDIS_PID} ]] && process_is "${REDIS_PID}" redis-server && kill -KILL "${REDIS_PID}" 2>/dev/null
        REDIS_PID=''
    done
    tail -n 20 "${dir}/redis.log" >&2 || true
    die "could not start Redis"
}

# A Redis left behind by a run that was killed outright (SIGKILL) is stopped first.
stop_stale_redis() {
    local pid
    [[ -s $1/redis.pid ]] || return 0
    pid=$(<"$1/redis.pid")
    if process_is "${pid}" redis-server; then
        say "stopping Redis ${pid} left over from an earlier run"
        kill -CONT "${pid}" 2>/dev/null
        kill -TERM "${pid}" 2>/dev/null
        wait_gone "${pid}" 10 || kill -KILL "${pid}" 2>/dev/null
    fi
    rm -f "$1/redis.pid"
}

stop_redis() {
    # Fall back on the pid file: we may be interrupted between the start and reading it.
    [[ -z ${REDIS_PID} && -s ${STATE}/redis/redis.pid ]] && REDIS_PID=$(<"${STATE}/redis/redis.pid")
    [[ -n ${REDIS_PID} ]] || return 0
    kill -CONT "${REDIS_PID}" 2>/dev/null # a test may have frozen it
    if process_is "${REDIS_PID}" redis-server; then
        # SIGTERM is Redis's own clean shutdown (nothing to save: --save ''); no user may SHUTDOWN.
        kill -TERM "${REDIS_PID}" 2>/dev/null
        wait_gone "${REDIS_PID}" 10 || { say "Redis did not stop: killing it"; kill -KILL "${REDIS_PID}" 2>/dev/null; }
    fi
    rm -f "${STATE}/redis/redis.pid"
    say "Redis stopped"
    REDIS_PID=''
}

# ---------------------------------------------------------------- PostgreSQL

# Chooses PG_HOME (holds data/ and postgres.log). Keeps the previous cluster when $1 = reuse.
prepare_pg_home() {
    local reuse=$1 recorded=''
    [[ -f ${STATE}/pg.home ]] && recorded=$(<"${STATE}/pg.home")
    if [[ -n ${recorded} && -d ${recorded} ]]; then
        stop_stale_postgres "${recorded}/data"
        if [[ ${reuse} == reuse && -f ${recorded}/initdb.done && -s ${STATE}/pg.password ]]; then
            PG_HOME=${recorded}
            PGDATA_DIR=${PG_HOME}/data
            PG_PASSWORD=$(<"${STATE}/pg.password")
            say "reusing the PostgreSQL cluster in ${PGDATA_DIR}"
            return 0
        fi
        rm -rf "${recorded}"
    fi
    if is_root; then
        id postgres >/dev/null 2>&1 || die "user 'postgres' is missing: is the postgresql package installed?"
        PG_HOME=$(mktemp -d /tmp/mldeck-pg.XXXXXX)
        chown postgres: "${PG_HOME}"
    else
        PG_HOME=${STATE}/pg
        rm -rf "${PG_HOME}"
        mkdir -p "${PG_HOME}"
    fi
    chmod 700 "${PG_HOME}"
    printf '%s\n' "${PG_HOME}" >"${STATE}/pg.home"
    PGDATA_DIR=${PG_HOME}/data
    init_pg_cluster
}

init_pg_cluster() {
    local pwfile=${PG_HOME}/initdb.pw
    PG_PASSWORD=$(random_password)
    (umask 077 && printf '%s\n' "${PG_PASSWORD}" >"${STATE}/pg.password")
    (umask 077 && printf '%s\n' "${PG_PASSWORD}" >"${pwfile}")
    is_root && chown postgres: "${pwfile}"
    say "initdb ${PGDATA_DIR} (superuser mldeck, scram-sha-256 over TCP)"
    if ! as_pg "${PG_BIN}/initdb" -D "${PGDATA_DIR}" -U mldeck --pwfile="${pwfile}" \
        --auth-host=scram-sha-256 --auth-local=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync \
        >"${STATE}/initdb.log" 2>&1; then
        rm -f "${pwfile}"
        tail -n 20 "${STATE}/initdb.log" >&2
        die "initdb failed (log: ${STATE}/initdb.log)"
    fi
    rm -f "${pwfile}"
    : >"${PG_HOME}/initdb.done" # an interrupted initdb leaves no cluster worth reusing
}

stop_stale_postgres() {
    local data=$1 pid
    [[ -f ${data}/postmaster.pid ]] || return 0
    pid=$(head -n1 "${data}/postmaster.pid")
    if [[ -n ${pid} ]] && process_is "${pid}" postgres; then
        say "stopping PostgreSQL ${pid} left over from an earlier run"
        kill -CONT "${pid}" 2>/dev/null
        as_pg "${PG_BIN}/pg_ctl" -D "${data}" stop -m fast -w -t 30 >/dev/null 2>&1 || kill -KILL "${pid}" 2>/dev/null
    fi
}

pg_psql() { # runs psql as mldeck over TCP on database $1
    local db=$1
    shift
    PGPASSWORD=${PG_PASSWORD} PGCONNECT_TIMEOUT=5 "${PG_BIN}/psql" -X -q -v ON_ERROR_STOP=1 \
        -h 127.0.0.1 -p "${PG_PORT}" -U mldeck -d "${db}" "$@"
}

# start_postgres reuse|fresh [extra postgres -c settings...]
start_postgres() {
    local reuse=$1 attempt opts datadir
    shift
    find_pg_bin
    prepare_pg_home "${reuse}"
    prepare_pg_tls
    # No Unix socket at all: everything goes through 127.0.0.1 with a password, as in production;
    # TLS on (lib/tls.sh), which clients may use (sslmode=prefer) or verify (verify-full with the CA).
    opts="-c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=200 ${PG_TLS_OPTS}"
    local s
    for s in "$@"; do opts+=" -c ${s}"; done
    for attempt in 1 2 3 4 5; do
        pick_free_port
        PG_PORT=${FREE_PORT}
        if as_pg "${PG_BIN}/pg_ctl" -D "${PGDATA_DIR}" -l "${PG_HOME}/postgres.log" -w -t 60 \
            -o "-p ${PG_PORT} ${opts}" start >"${STATE}/pg_ctl.log" 2>&1 9>&-; then
            PG_PID=$(head -n1 "${PGDATA_DIR}/postmaster.pid")
            # Make sure the server answering on that port is ours, not one that raced us to it.
            datadir=$(pg_psql postgres -Atc 'show data_directory' 2>/dev/null) || datadir=''
            if [[ ${datadir} == "${PGDATA_DIR}" ]]; then
                say "PostgreSQL ${PG_PID} listening on 127.0.0.1:${PG_PORT} (log ${PG_HOME}/postgres.log)"
                ensure_database mldeck
                return 0
            fi
            say "the server on port ${PG_PORT} is not ours; trying another port"
            stop_postgres
        else
            say "PostgreSQL did not start on port ${PG_PORT} (attempt ${attempt})"
        fi
    done
    tail -n 20 "${PG_HOME}/postgres.log" >&2 2>/dev/null || true
    die "could not start PostgreSQL (logs: ${STATE}/pg_ctl.log, ${PG_HOME}/postgres.log)"
}

ensure_database() {
    local exists
    exists=$(pg_psql postgres -Atc "select 1 from pg_database where datname = '$1'")
    [[ ${exists} == 1 ]] || pg_psql postgres -c "create database $1"
}

stop_postgres() {
    # Read the pid from the data directory too: we may be interrupted while pg_ctl starts it.
    [[ -n ${PGDATA_DIR} && -f ${PGDATA_DIR}/postmaster.pid ]] && PG_PID=$(head -n1 "${PGDATA_DIR}/postmaster.pid")
    [[ -n ${PG_PID} ]] || return 0
    # A test may have frozen the postmaster or a backend (SIGSTOP): thaw them before asking to stop.
    kill -CONT "${PG_PID}" 2>/dev/null
    pkill -CONT -P "${PG_PID}" 2>/dev/null
    if ! as_pg "${PG_BIN}/pg_ctl" -D "${PGDATA_DIR}" stop -m fast -w -t 30 >>"${STATE}/pg_ctl.log" 2>&1; then
        say "PostgreSQL did not stop in 30 s: immediate shutdown"
        if ! as_pg "${PG_BIN}/pg_ctl" -D "${PGDATA_DIR}" stop -m immediate -w -t 10 >>"${STATE}/pg_ctl.log" 2>&1 &&
            process_is "${PG_PID}" postgres; then
            kill -KILL "${PG_PID}" 2>/dev/null
        fi
    fi
    wait_gone "${PG_PID}" 10 || true
    say "PostgreSQL stopped"
    PG_PID=''
}

# Removes the cluster (test runs start from an empty one every time); keeps its log.
discard_pg_cluster() {
    [[ -n ${PG_HOME} && -d ${PG_HOME} ]] || return 0
    cp -f "${PG_HOME}/postgres.log" "${STATE}/postgres.log" 2>/dev/null
    rm -rf "${PG_HOME}"
    rm -f "${STATE}/pg.home"
}

# ---------------------------------------------------------------- helpers

# True while process $1 runs (a zombie waiting to be reaped counts as gone).
alive() {
    local state
    state=$(sed -n 's/^.*) \(.\).*/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ -n ${state} && ${state} != Z ]]
}

wait_gone() { # pid timeout_s: true once the process has exited
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        alive "$1" || return 0
        sleep 0.1
    done
    ! alive "$1"
}

redis_url() { printf 'redis://mldeck-writer:%s@127.0.0.1:%s' "${REDIS_WRITER_PASSWORD}" "${REDIS_PORT}"; }
redis_read_url() { printf 'redis://mldeck-reader:%s@127.0.0.1:%s' "${REDIS_READER_PASSWORD}" "${REDIS_PORT}"; }
pg_url() { printf 'postgresql://mldeck:%s@127.0.0.1:%s/mldeck' "${PG_PASSWORD}" "${PG_PORT}"; }

export_app_env() {
    export MLDECK_REDIS_URL MLDECK_PG_URL
    MLDECK_REDIS_URL=$(redis_url)
    MLDECK_PG_URL=$(pg_url)
}

export_test_env() {
    export MLDECK_TEST_REDIS_URL MLDECK_TEST_REDIS_READ_URL MLDECK_TEST_PG_URL MLDECK_TEST_REDIS_PID MLDECK_TEST_PG_PID
    MLDECK_TEST_REDIS_URL=$(redis_url)
    MLDECK_TEST_REDIS_READ_URL=$(redis_read_url)
    MLDECK_TEST_PG_URL=$(pg_url)
    MLDECK_TEST_REDIS_PID=${REDIS_PID}
    MLDECK_TEST_PG_PID=${PG_PID}
    export MLDECK_TEST_PG_CA=${PG_CA_FILE}
}

# shellcheck shell=bash
# TLS for the private PostgreSQL: a local CA made for this cluster and a server certificate for
# "localhost" signed by it. The server runs with ssl=on, so sslmode=verify-full works against it with
# the CA in ${STATE}/pg-ca.crt (exported as MLDECK_TEST_PG_CA), while clients that ask for
# sslmode=prefer (the default) or disable keep working as before. The CA's private key is deleted
# once the server certificate is signed: nothing else can be signed with it.

PG_CA_FILE=''

# Sets PG_TLS_OPTS to the server settings; makes the files once per cluster (kept when it is reused).
PG_TLS_OPTS=''
prepare_pg_tls() {
    local dir=${PG_HOME}/tls
    PG_CA_FILE=${STATE}/pg-ca.crt
    if [[ ! -s ${dir}/server.crt || ! -s ${dir}/server.key || ! -s ${dir}/ca.crt ]]; then
        make_pg_certificates "${dir}"
    fi
    cp -f "${dir}/ca.crt" "${PG_CA_FILE}"
    chmod 644 "${PG_CA_FILE}"
    PG_TLS_OPTS="-c ssl=on -c ssl_cert_file='${dir}/server.crt' -c ssl_key_file='${dir}/server.key'"
}

make_pg_certificates() {
    local dir=$1 log=${STATE}/tls.log
    command -v openssl >/dev/null || die "openssl is missing (the openssl package): it makes the stack's TLS certificates"
    rm -rf "${dir}"
    mkdir -p "${dir}"
    say "making a local CA and a TLS certificate for localhost (${dir})"
    # P-256 keys: the handshake costs the shared machine less than RSA. The server's one name is its
    # subjectAltName (no common name, which libpq would count as a second name in its refusals).
    if ! (
        umask 077
        cd "${dir}" &&
            openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
                -subj "/CN=MLDeck local stack CA" -keyout ca.key -out ca.crt \
                -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign &&
            openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj "/O=MLDeck local stack" \
                -keyout server.key -out server.csr &&
            printf '%s\n' 'basicConstraints=CA:FALSE' 'keyUsage=critical,digitalSignature' \
                'extendedKeyUsage=serverAuth' 'subjectAltName=DNS:localhost' >server.ext &&
            openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -set_serial "0x$(openssl rand -hex 16)" \
                -days 3650 -extfile server.ext -out server.crt
    ) >"${log}" 2>&1; then
        tail -n 20 "${log}" >&2
        die "could not make the TLS certificates (log: ${log})"
    fi
    rm -f "${dir}/ca.key" "${dir}/server.csr" "${dir}/server.ext"
    chmod 600 "${dir}/server.key"
    chmod 644 "${dir}/ca.crt" "${dir}/server.crt"
    # PostgreSQL refuses a key that another user owns or can read.
    is_root && chown -R postgres: "${dir}"
    return 0
}

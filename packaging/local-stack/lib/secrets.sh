# shellcheck shell=bash
# The stack's URLs carry passwords. They are handed to the programs mldeck-dev starts through the
# environment, never on a command line, and what it prints for another shell names them without their
# values: print_exports writes each value to a 0600 file under ${STATE}/env/ and prints
#   export NAME="$(cat '/…/env/NAME')"
# which a shell may paste or eval as before, while logs and terminals that keep the output hold no password.
print_exports() {
    local dir=${STATE}/env name line=''
    mkdir -p "${dir}"
    chmod 700 "${dir}"
    for name in "$@"; do
        (umask 077 && printf '%s' "${!name:-}" >"${dir}/${name}")
        line+=" ${name}=\"\$(cat '${dir}/${name}')\""
    done
    printf 'export%s\n' "${line}"
}

#!/usr/bin/env bash
# verify_guard_service.sh BINARY_DIR CMAKE
# mldeck-guard.service as the .deb installs it passes `systemd-analyze verify` (which also checks
# that ExecStart's program exists and is executable), keeps its sandboxing, and comes with its
# environment file (mode 600) and documentation. `mldeck-dev test` installs systemd.
set -euo pipefail
binary_dir=$1 cmake=$2
failed=0
fail() { echo "FAIL: $*"; failed=1; }
unit=mldeck-guard.service
max_exposure=2.0

command -v systemd-analyze >/dev/null || { echo "FAIL: systemd-analyze is not installed (package systemd)"; exit 1; }

# The .deb's layout in a scratch root: the programs and the service, under /usr and /etc.
root=$(mktemp -d)
trap 'rm -rf "${root}"' EXIT
for component in app service; do
    DESTDIR=${root} "${cmake}" --install "${binary_dir}" --component "${component}" --prefix /usr >/dev/null
done
for f in usr/bin/mldeckctl usr/libexec/mldeck/mldeck-model-worker usr/lib/systemd/system/${unit} \
    etc/default/mldeck-guard usr/share/doc/mldeck/guard-service.md; do
    if [[ -s ${root}/${f} ]]; then echo "installed /${f}"; else fail "not installed: /${f}"; fi
done
mode=$(stat -c %a "${root}/etc/default/mldeck-guard")
[[ ${mode} == 600 ]] || fail "/etc/default/mldeck-guard has mode ${mode}, not 600 (it may hold passwords)"

# The unit's dependencies (network-online.target, multi-user.target, ...) come from the host's
# systemd, copied (links would point outside the root) without replacing what was installed.
cp -an /usr/lib/systemd/system/. "${root}/usr/lib/systemd/system/"

# verify exits 0 on warnings such as an unknown or misspelt option: any output is a failure.
verify() { systemd-analyze verify --root="${root}" "${unit}" 2>&1; }
if out=$(verify) && [[ -z ${out} ]]; then
    echo "systemd-analyze verify ${unit}: ok"
else
    fail "systemd-analyze verify ${unit}: ${out:-exit code not 0}"
fi

# The same check must catch a broken unit, or its silence above would prove nothing.
chmod -x "${root}/usr/bin/mldeckctl"
if out=$(verify) || [[ ${out} != *"is not executable"* ]]; then
    fail "verify did not notice that ExecStart's program is not executable: ${out}"
else
    echo "verify notices a missing ExecStart program: ok"
fi
chmod +x "${root}/usr/bin/mldeckctl"

# Sandboxing: systemd's own exposure score (0 best, 10 worst; under 2 is rated OK).
exposure=$(systemd-analyze security --offline=yes --root="${root}" "${unit}" 2>&1 |
    sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')
if [[ -n ${exposure} ]] && awk -v e="${exposure}" -v m="${max_exposure}" 'BEGIN { exit !(e <= m) }'; then
    echo "systemd-analyze security: exposure ${exposure} (at most ${max_exposure})"
else
    fail "systemd-analyze security: exposure '${exposure}' above ${max_exposure}"
fi

# What the guard needs under that sandbox: a writable state directory for the audit spool and the
# model store, its own user, a clean stop, and the worker programs it may start left executable.
service=${root}/usr/lib/systemd/system/${unit}
for line in 'ExecStart=/usr/bin/mldeckctl guard $MLDECK_GUARD_ARGS' 'EnvironmentFile=/etc/default/mldeck-guard' \
    'DynamicUser=yes' 'StateDirectory=mldeck-guard' 'Environment=MLDECK_AUDIT_SPOOL_DIR=%S/mldeck-guard/audit-spool' \
    'Environment=MLDECK_MODEL_STORE=%S/mldeck-guard/models' 'Restart=on-failure' 'ProtectSystem=strict' \
    'KillMode=mixed'; do
    grep -qxF "${line}" "${service}" || fail "${unit} lacks: ${line}"
done
grep -qE '^(NoExecPaths|MemoryDenyWriteExecute)=' "${service}" &&
    fail "${unit} forbids what model workers need (NoExecPaths or MemoryDenyWriteExecute)"

((failed == 0)) && echo "guard service: all checks passed"
exit "${failed}"

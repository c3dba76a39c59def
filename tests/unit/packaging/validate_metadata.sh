#!/usr/bin/env bash
# validate_metadata.sh LINUX_DIR VERSION CMAKE BINARY_DIR
# Fails when a validator is missing: `mldeck-dev test` installs desktop-file-utils and appstream.
set -euo pipefail
linux_dir=$1 version=$2 cmake=$3 binary_dir=$4
app_id=io.mldeck.MLDeck
desktop=${linux_dir}/${app_id}.desktop
metainfo=${linux_dir}/${app_id}.metainfo.xml
failed=0
fail() { echo "FAIL: $*"; failed=1; }

for tool in desktop-file-validate appstreamcli; do
    command -v "${tool}" >/dev/null || { echo "FAIL: ${tool} is not installed (packages desktop-file-utils, appstream)"; exit 1; }
done

# desktop-file-validate exits 0 on warnings: treat them as failures too.
if out=$(desktop-file-validate "${desktop}" 2>&1) && ! grep -qE '(error|warning):' <<<"${out}"; then
    echo "desktop-file-validate ${desktop##*/}: ok${out:+ (${out})}"
else
    fail "desktop-file-validate: ${out}"
fi

appstreamcli validate --no-net "${metainfo}" || fail "appstreamcli validate ${metainfo##*/}"

grep -q "<release version=\"${version}\"" "${metainfo}" ||
    fail "the metainfo has no <release version=\"${version}\"> for the project version"
grep -q "<launchable type=\"desktop-id\">${app_id}.desktop</launchable>" "${metainfo}" ||
    fail "the metainfo does not launch ${app_id}.desktop"
grep -q "^Icon=${app_id}$" "${desktop}" || fail "the desktop entry's Icon is not ${app_id}"
# The id the running app gives the desktop (window grouping, notifications) is the shipped file's.
main_cpp=${linux_dir}/../../app/mldeck/main.cpp
grep -q "setDesktopFileName(QStringLiteral(\"${app_id}\"))" "${main_cpp}" ||
    fail "app/mldeck/main.cpp does not set the desktop file name ${app_id} (the shipped ${app_id}.desktop)"

# Install the desktop component into a scratch prefix and check the paths desktops read.
prefix=$(mktemp -d)
trap 'rm -rf "${prefix}"' EXIT
"${cmake}" --install "${binary_dir}" --component desktop --prefix "${prefix}" >/dev/null
for f in share/applications/${app_id}.desktop share/metainfo/${app_id}.metainfo.xml \
    share/icons/hicolor/scalable/apps/${app_id}.svg; do
    if [[ -s ${prefix}/${f} ]]; then echo "installed ${f}"; else fail "not installed: ${f}"; fi
done

((failed == 0)) && echo "packaging metadata: all checks passed"
exit "${failed}"

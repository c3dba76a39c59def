#!/usr/bin/env bash
# check_process_libraries.sh BINARY_DIR CMAKE
# The GUI and the CLI (which is also the guard) load no LibTorch, no OpenCV and no Qt 5: only the model
# worker does. The installed layout (the .deb's) puts the worker where the installed CLI finds it.
set -euo pipefail
binary_dir=$1 cmake=$2
failed=0
fail() { echo "FAIL: $*"; failed=1; }
heavy='libtorch|libc10|libopencv|libQt5'

for exe in app/mldeck/mldeck app/mldeckctl/mldeckctl; do
    libs=$(ldd "${binary_dir}/${exe}")
    if found=$(grep -E "${heavy}" <<<"${libs}"); then
        fail "${exe} loads $(wc -l <<<"${found}") heavy libraries: $(awk '{print $1}' <<<"${found}" | tr '\n' ' ')"
    else
        echo "${exe}: $(wc -l <<<"${libs}") shared libraries, none of LibTorch, OpenCV or Qt 5"
    fi
done
worker=${binary_dir}/app/mldeck-model-worker/mldeck-model-worker
worker_libs=$(ldd "${worker}") # captured first: grep -q on a pipe would cut ldd short under pipefail
if grep -q libtorch_cpu <<<"${worker_libs}"; then
    echo "mldeck-model-worker: $(wc -l <<<"${worker_libs}") shared libraries, LibTorch among them"
else
    fail "mldeck-model-worker does not link LibTorch: the check above would prove nothing"
fi

# Install the programs into a scratch prefix: the CLI there must find the worker there.
prefix=$(mktemp -d)
trap 'rm -rf "${prefix}"' EXIT
"${cmake}" --install "${binary_dir}" --component app --prefix "${prefix}" >/dev/null
for f in bin/mldeck bin/mldeckctl libexec/mldeck/mldeck-model-worker; do
    if [[ -x ${prefix}/${f} ]]; then echo "installed ${f}"; else fail "not installed: ${f}"; fi
done
out=$(env -u MLDECK_MODEL_WORKER "${prefix}/bin/mldeckctl" status --json \
    --redis redis://127.0.0.1:1 --pg 'postgresql://nobody@127.0.0.1:1/none' 2>&1 || true)
if grep -q "\"path\": \"${prefix}/libexec/mldeck/mldeck-model-worker\"" <<<"${out}" &&
    grep -q '"state": "up"' <<<"${out}"; then
    echo "the installed mldeckctl started the installed worker"
else
    fail "the installed mldeckctl did not start ${prefix}/libexec/mldeck/mldeck-model-worker: ${out}"
fi

((failed == 0)) && echo "process libraries: all checks passed"
exit "${failed}"

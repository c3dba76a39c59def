#!/bin/bash
# Every C++ file of the tree is formatted as .clang-format says (clang-format 14, Debian 12's).
# Prints the files that differ and how to fix them; fails when there is one.
set -u
src=$1
cd "$src" || exit 2
command -v clang-format >/dev/null || { echo "clang-format is not installed (packages.sh installs it)"; exit 1; }
mapfile -t files < <(find app core ui tests clients examples -name '*.cpp' -o -name '*.h' 2>/dev/null | sort)
bad=()
for f in "${files[@]}"; do
    clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad+=("$f")
done
if ((${#bad[@]})); then
    echo "${#bad[@]} of ${#files[@]} files differ from .clang-format:"
    printf '  %s\n' "${bad[@]}"
    echo "fix with: clang-format -i <file>..."
    exit 1
fi
echo "${#files[@]} files formatted as .clang-format says"

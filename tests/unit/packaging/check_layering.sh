#!/bin/bash
# The layering the README states: SQL only in core/store (and the migrations), libpqxx reached only
# through core/store/pg (and the test support that checks what stores wrote), ui/ never includes a
# store. Prints every offending line; fails when there is one.
set -u
src=$1
cd "$src" || exit 2
status=0
report() { # $1: what is wrong; stdin: the lines
    local lines
    lines=$(cat)
    if [ -n "$lines" ]; then
        echo "$1:"
        echo "$lines"
        status=1
    fi
}
grep -rnE --include='*.cpp' --include='*.h' 'SELECT |INSERT INTO|UPDATE |DELETE FROM' core ui app |
    grep -v '^core/store/' | report "SQL outside core/store"
grep -rn --include='*.cpp' --include='*.h' -e '#include "core/store/' ui | report "ui/ includes a store"
grep -rlE --include='*.cpp' --include='*.h' 'PgConnectionInternal\.h|<pqxx/' core ui app tests |
    grep -vE '^(core/store/pg/|tests/support/)' | report "libpqxx reached outside core/store/pg"
grep -nE 'mldeck_store_(pg|redis)' ui/CMakeLists.txt ui/*/CMakeLists.txt | report "ui/ links a store"
exit $status

#!/bin/bash
# The layering the README states: SQL only in core/store (and the migrations), libpqxx reached only
# through core/store/pg (and the test support that checks what stores wrote), ui/ never includes a
# store. Prints every offending line; fails when there is one.
set -u
src=$1
cd "$src" || exit 2
status=0
report() { # $1: what is wrong; $2: the offending lines, one per line
    if [ -n "$2" ]; then
        echo "$1:"
        echo "$2"
        status=1
    fi
}
# The store headers that still hold value types the pages show (a role's permissions, a deployment's
# description, a model check's record): ui/ may include these three until the types move to core/domain.
store_value_headers='core/store/pg/(RolePermissions|DeploymentStore|ModelCheckStore)\.h'

report "SQL outside core/store" "$(grep -rnE --include='*.cpp' --include='*.h' 'SELECT |INSERT INTO|UPDATE |DELETE FROM' \
    core ui app | grep -v '^core/store/')"
report "ui/ includes a store" "$(grep -rn --include='*.cpp' --include='*.h' -e '#include "core/store/' ui |
    grep -vE "#include \"${store_value_headers}\"")"
report "libpqxx reached outside core/store/pg" "$(grep -rlE --include='*.cpp' --include='*.h' \
    'PgConnectionInternal\.h|<pqxx/' core ui app tests | grep -vE '^(core/store/pg/|tests/support/)')"
report "ui/ links a store" "$(grep -nE 'mldeck_store_(pg|redis)' ui/CMakeLists.txt ui/*/CMakeLists.txt)"
exit $status

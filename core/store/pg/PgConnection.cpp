#include "core/store/pg/PgConnection.h"

#include "core/store/redis/RedisConnection.h"

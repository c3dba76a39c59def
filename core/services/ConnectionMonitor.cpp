#include "core/services/ConnectionMonitor.h"

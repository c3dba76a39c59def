#include "core/ml/ModelRunner.h"

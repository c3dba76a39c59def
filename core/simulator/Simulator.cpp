#include "core/simulator/Simulator.h"

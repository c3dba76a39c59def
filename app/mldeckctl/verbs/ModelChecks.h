#pragma once

#include "app/mldeckctl/Cli.h"

// mldeckctl models golden|checks|check: the promotion test suite (verbs/ModelChecks.cpp).
namespace mldeck::cli {
int runModelsGolden(Context &ctx); // models golden set|show
int runModelsChecks(Context &ctx); // models checks set|show (the declared checks)
int runModelsCheck(Context &ctx);  // models check --model REF: run them alone
} // namespace mldeck::cli

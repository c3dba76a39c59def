#include "app/mldeckctl/Verbs.h"

namespace mldeck::cli {

int runComparisonVerb(Context &ctx, bool single); // verbs/Compare.cpp: one pipeline for both verbs

int runEval(Context &ctx)
{
    return runComparisonVerb(ctx, true);
}

} // namespace mldeck::cli

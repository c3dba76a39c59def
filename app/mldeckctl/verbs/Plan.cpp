#include "app/mldeckctl/Verbs.h"

#include <QCoreApplication>

namespace mldeck::cli {

int runPlan(Context &ctx)
{
    Q_UNUSED(ctx);
    return Context::fail(QCoreApplication::translate("mldeckctl", "this verb is not built yet"));
}

} // namespace mldeck::cli

#pragma once

#include "app/mldeckctl/Cli.h"

// One function per verb, each in its own file under verbs/. main.cpp only dispatches.
namespace mldeck::cli {

int runMigrate(Context &ctx);      // verbs/Migrate.cpp
int runSimulate(Context &ctx);     // verbs/Simulate.cpp
int runFlags(Context &ctx);        // verbs/Flags.cpp
int runDemoData(Context &ctx);     // verbs/DemoData.cpp
int runDemoHistory(Context &ctx);  // verbs/DemoHistory.cpp
int runStatus(Context &ctx);       // verbs/Status.cpp
int runGuard(Context &ctx);        // verbs/Guard.cpp
int runPlan(Context &ctx);         // verbs/Plan.cpp
int runModels(Context &ctx);       // verbs/Models.cpp
int runEval(Context &ctx);         // verbs/Eval.cpp
int runCompare(Context &ctx);      // verbs/Compare.cpp
int runDrift(Context &ctx);        // verbs/Drift.cpp
int runKpi(Context &ctx);          // verbs/Kpi.cpp
int runAlerts(Context &ctx);       // verbs/Alerts.cpp
int runReport(Context &ctx);       // verbs/Report.cpp
int runRetrain(Context &ctx);      // verbs/Retrain.cpp
int runFeedback(Context &ctx);     // verbs/Feedback.cpp
int runDeps(Context &ctx);         // verbs/Deps.cpp
int runExport(Context &ctx);       // verbs/Export.cpp
int runDeployments(Context &ctx);  // verbs/Deployments.cpp
int runAudit(Context &ctx);        // verbs/Audit.cpp
int runNanny(Context &ctx);        // verbs/Nanny.cpp
int runNannyQuality(Context &ctx); // verbs/NannyQuality.cpp (the `nanny quality` sub-verb)
// verbs/Retention.cpp (the `deployments retention` sub-verb)
int runDeploymentsRetention(Context &ctx);

// Writes an export to stdout ("" or "-") or atomically to a file; verbs/Export.cpp.
int writeExport(const QString &path, const QByteArray &bytes);

} // namespace mldeck::cli

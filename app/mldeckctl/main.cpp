// mldeckctl: the command line that ops scripts call. Wiring only: each verb lives in verbs/.
#include "app/mldeckctl/Text.h"
#include "app/mldeckctl/Verbs.h"
#include "core/config/Settings.h"
#include "translations/Translations.h"

#include <QCoreApplication>
#include <QDir>
#include <QGuiApplication>
#include <QLoggingCategory>
#include <QTextStream>

#ifdef Q_OS_UNIX
#include <pwd.h>
#include <unistd.h>
#endif

#include <array>
#include <cstring>
#include <memory>

using namespace mldeck::cli;

namespace {

struct Verb
{
    const char *name;
    const char *summary;
    int (*run)(Context &);
};

constexpr std::array kVerbs{
    Verb{"migrate", QT_TRANSLATE_NOOP("mldeck::cli", "Create or upgrade the mldeck schema in PostgreSQL."), runMigrate},
    Verb{"status", QT_TRANSLATE_NOOP("mldeck::cli", "Check the connections to Redis and PostgreSQL."), runStatus},
    Verb{"deployments", QT_TRANSLATE_NOOP("mldeck::cli", "Create, list, show, change and archive deployments."),
         runDeployments},
    Verb{"flags", QT_TRANSLATE_NOOP("mldeck::cli", "Read and change the rollout flags of a deployment."), runFlags},
    Verb{"guard", QT_TRANSLATE_NOOP("mldeck::cli", "Run the automatic guard (auto-rollback, drift checks)."), runGuard},
    Verb{"plan", QT_TRANSLATE_NOOP("mldeck::cli", "Show or advance the staged rollout plan."), runPlan},
    Verb{"models", QT_TRANSLATE_NOOP("mldeck::cli", "Register, list, promote and archive model versions."), runModels},
    Verb{"eval", QT_TRANSLATE_NOOP("mldeck::cli", "Evaluate one model on a CSV file."), runEval},
    Verb{"compare", QT_TRANSLATE_NOOP("mldeck::cli", "Compare 2 to 4 models on the same rows."), runCompare},
    Verb{"drift", QT_TRANSLATE_NOOP("mldeck::cli", "Check feature drift, live or between two datasets."), runDrift},
    Verb{"kpi", QT_TRANSLATE_NOOP("mldeck::cli", "Print the KPIs of a deployment over a time range."), runKpi},
    Verb{"alerts",
         QT_TRANSLATE_NOOP("mldeck::cli", "List alerts, acknowledge, silence; edit alert rules and the webhook."),
         runAlerts},
    Verb{"audit",
         QT_TRANSLATE_NOOP("mldeck::cli", "Read the audit log: list, export, what served when, verify the chain."),
         runAudit},
    Verb{
        "nanny",
        QT_TRANSLATE_NOOP("mldeck::cli", "Train and inspect the nanny model that estimates the error before outcomes."),
        runNanny},
    Verb{"report", QT_TRANSLATE_NOOP("mldeck::cli", "Write the KPI report of a day or a week as PDF or CSV."),
         runReport},
    Verb{"export", QT_TRANSLATE_NOOP("mldeck::cli", "Write a Grafana dashboard over the guard's Prometheus metrics."),
         runExport},
    Verb{"retrain", QT_TRANSLATE_NOOP("mldeck::cli", "Check retrain triggers, run a retrain, list or clean up runs."),
         runRetrain},
    Verb{"feedback", QT_TRANSLATE_NOOP("mldeck::cli", "Feedback retention: purge what is older than the retention."),
         runFeedback},
    Verb{"deps",
         QT_TRANSLATE_NOOP("mldeck::cli", "Show the serving backend's own dependencies (up, down, in fallback)."),
         runDeps},
    Verb{"simulate", QT_TRANSLATE_NOOP("mldeck::cli", "Run the reference serving backend on demo traffic."),
         runSimulate},
    Verb{"demo-data", QT_TRANSLATE_NOOP("mldeck::cli", "Write synthetic ride-delay data as CSV."), runDemoData},
    Verb{"demo-history", QT_TRANSLATE_NOOP("mldeck::cli", "Fill an empty deployment with a month of demo history."),
         runDemoHistory},
};

int usage(int code)
{
    QTextStream err(code == 0 ? stdout : stderr);
    err << Text::tr("Usage: mldeckctl <verb> [options]   (mldeckctl <verb> --help)") << "\n\n";
    for (const auto &v : kVerbs)
        err << "  " << QString::fromLatin1(v.name).leftJustified(12) << Text::tr(v.summary) << "\n";
    return code;
}

} // namespace

int main(int argc, char **argv)
{
    // `report` draws its PDF with QPainter, which needs fonts: a GUI application, offscreen unless
    // the user chose a platform. Every other verb stays a plain core application.
    std::unique_ptr<QCoreApplication> application;
    if (argc > 1 && std::strcmp(argv[1], "report") == 0) {
        if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
            qputenv("QT_QPA_PLATFORM", "offscreen");
            // Cron and CI sessions have no XDG_RUNTIME_DIR: name the directory Qt would pick anyway, so
            // that its warning does not precede the one error line scripts read on stderr.
#ifdef Q_OS_UNIX
        if (qEnvironmentVariableIsEmpty("XDG_RUNTIME_DIR")) {
            if (const passwd *pw = getpwuid(getuid()))
                qputenv("XDG_RUNTIME_DIR", QDir::tempPath().toLocal8Bit() + "/runtime-" + pw->pw_name);
        }
#endif
        application = std::make_unique<QGuiApplication>(argc, argv);
    } else {
        application = std::make_unique<QCoreApplication>(argc, argv);
    }
    QCoreApplication &app = *application;
    QCoreApplication::setApplicationName(QStringLiteral("mldeckctl"));
    QCoreApplication::setApplicationVersion(QStringLiteral(MLDECK_VERSION));
    // Ops scripts read stdout and one error line on stderr: library chatter only on request.
    if (qEnvironmentVariableIsEmpty("MLDECK_VERBOSE"))
        QLoggingCategory::setFilterRules(QStringLiteral("mldeck.*.info=false\nmldeck.*.debug=false"));
    // Same language as the GUI: the system locale unless the user chose one in Settings.
    mldeck::installTranslators(app, mldeck::Settings().value(mldeck::Settings::Key::Language).toString());

    const QStringList args = QCoreApplication::arguments();
    hidePasswordsInArguments(argc, argv);
    if (args.size() < 2)
        return usage(UsageOrConnection);
    const QString verb = args.at(1);
    if (verb == QLatin1String("--help") || verb == QLatin1String("-h") || verb == QLatin1String("help"))
        return usage(Success);
    if (verb == QLatin1String("--version")) {
        Context::out(QStringLiteral("mldeckctl " MLDECK_VERSION));
        return Success;
    }
    for (const auto &v : kVerbs) {
        if (verb == QLatin1String(v.name)) {
            QStringList verbArgs = args.mid(2);
            verbArgs.prepend(QStringLiteral("mldeckctl ") + verb);
            Context ctx(verbArgs);
            return v.run(ctx);
        }
    }
    Context::fail(Text::tr("unknown verb \"%1\"").arg(verb));
    return usage(UsageOrConnection);
}

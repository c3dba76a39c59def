// mldeckctl export grafana --deployment D [--output FILE]: MLDeck's dashboard as an importable
// Grafana dashboard over the series the guard exports (`mldeckctl guard --listen`).
#include "app/mldeckctl/Verbs.h"

#include "app/mldeckctl/Text.h"
#include "core/services/metrics/GrafanaDashboard.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/KpiStore.h"
#include "core/store/pg/PgConnection.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QSaveFile>

namespace mldeck::cli {

// Writes bytes to stdout, or atomically to a file (no half file on error).
int writeExport(const QString &path, const QByteArray &bytes)
{
    if (path.isEmpty() || path == QLatin1String("-")) {
        QTextStream(stdout) << bytes;
        return Success;
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit())
        return Context::fail(Text::tr("Cannot write %1: %2").arg(path, file.errorString()));
    Context::out(Text::tr("Wrote %1.").arg(path));
    return Success;
}

int runExport(Context &ctx)
{
    const QStringList &args = ctx.args();
    if (args.size() < 2 || args.at(1) != QLatin1String("grafana"))
        return Context::printUsage(Text::tr("Usage: mldeckctl export grafana --deployment D [--output FILE]\n"
                                            "  Writes an importable Grafana dashboard (JSON) whose panels read the "
                                            "series of `mldeckctl guard --listen`."),
                                   args.size() >= 2 &&
                                           (args.at(1) == QLatin1String("--help") || args.at(1) == QLatin1String("-h"))
                                       ? Success
                                       : UsageOrConnection);
    QStringList subArgs = args.mid(2);
    subArgs.prepend(args.at(0) + QStringLiteral(" grafana"));
    Context sub(subArgs);
    Invocation inv(sub, Invocation::Deployment | Invocation::Pg, QStringLiteral("mldeckctl-export"));
    QCommandLineParser &p = inv.parser();
    p.addOption(
        {QStringLiteral("output"), Text::tr("Write to this file instead of standard output."), QStringLiteral("file")});
    if (auto code = inv.start(Text::tr("Writes a Grafana dashboard for a deployment; its targets (MAE, R², "
                                       "latency, failure rate) come from the deployment's settings.")))
        return *code;
    const QString &deployment = inv.deployment();
    const auto targets = KpiStore(inv.pg()).targets(deployment);
    if (!targets)
        return Context::fail(targets.errorMessage());
    const auto info = DeploymentStore(inv.pg()).show(deployment); // a classifier gets its own panels
    if (!info)
        return Context::fail(info.errorMessage());
    const QJsonObject dashboard = grafanaDashboard(deployment, *targets, info->task);
    return writeExport(p.value(QStringLiteral("output")), QJsonDocument(dashboard).toJson(QJsonDocument::Indented));
}

} // namespace mldeck::cli

// mldeckctl deps: the serving backend's own dependencies as it reports them in Redis
// (resources/contract/dependencies.md). A verb of its own rather than a part of `status`: status
// checks MLDeck's connections and fails when MLDeck cannot work; a backend whose weather API is
// down is a fact about the backend, per deployment, with its own exit code for scripts.
#include "app/mldeckctl/Verbs.h"

#include "core/store/redis/DependencyStore.h"
#include "core/store/redis/RedisConnection.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonObject>

namespace mldeck::cli {

namespace {

class DepsVerb final
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::cli)

public:
    static QString stateText(const DependencyState &s, const QDateTime &now)
    {
        QString text = s.isUnknown() ? tr("UNKNOWN") : dependencyHealthName(s.state);
        if (s.state == DependencyHealth::Down)
            text = tr("DOWN");
        if (s.fallbackActive)
            text += tr(", fallback for %1 min (since %2)")
                        .arg(s.fallbackMinutes(now))
                        .arg(s.fallbackSince.toString(Qt::ISODate));
        return text;
    }

    static QString line(const DependencyState &s, const QDateTime &now)
    {
        QString l = QStringLiteral("%1 %2 %3").arg(s.deployment, s.name.leftJustified(16), stateText(s, now));
        if (s.isUnknown())
            l += tr("  (%1)").arg(s.unknownReason);
        if (!s.lastError.isEmpty())
            l += tr("  last error: %1").arg(s.lastError);
        if (s.updatedAt.isValid() && !s.isUnknown())
            l += tr("  reported %1 s ago").arg(std::max<qint64>(0, s.updatedAt.secsTo(now)));
        return l;
    }

    static QJsonObject json(const DependencyState &s, const QDateTime &now)
    {
        QJsonObject o{{QStringLiteral("deployment"), s.deployment},
                      {QStringLiteral("name"), s.name},
                      {QStringLiteral("state"), dependencyHealthName(s.state)},
                      {QStringLiteral("fallback_active"), s.fallbackActive},
                      {QStringLiteral("fallback_since"),
                       s.fallbackActive ? s.fallbackSince.toString(Qt::ISODateWithMs) : QJsonValue()},
                      {QStringLiteral("fallback_seconds"), s.fallbackSeconds(now)},
                      {QStringLiteral("last_error"), s.lastError.isEmpty() ? QJsonValue() : QJsonValue(s.lastError)},
                      {QStringLiteral("updated_at"),
                       s.updatedAt.isValid() ? s.updatedAt.toString(Qt::ISODateWithMs) : QJsonValue()},
                      {QStringLiteral("reported_by"), s.reportedBy},
                      {QStringLiteral("expires_in_ms"), s.expiresInMs}};
        if (s.isUnknown())
            o.insert(QStringLiteral("unknown_reason"), s.unknownReason);
        return o;
    }

    static int run(Context &ctx)
    {
        Invocation inv(ctx, Invocation::Deployment | Invocation::Redis | Invocation::Json);
        if (auto code = inv.start(tr("Lists the serving backend's own dependencies (weather API, feature store...) "
                                     "as the backend reports them in Redis: up, down, degraded or unknown (no "
                                     "report within its expiry), and how long a fallback has been active. Exit "
                                     "code 1 when one is not up, in fallback or unknown.")))
            return *code;
        const QString &deployment = inv.deployment();
        auto conn = RedisConnection::open(inv.redis());
        if (!conn)
            return Context::fail(conn.errorMessage());
        auto deps = DependencyStore(*conn.value()).read(deployment);
        if (!deps)
            return Context::fail(deps.errorMessage());

        const QDateTime now = QDateTime::currentDateTimeUtc();
        bool allWell = true;
        for (const DependencyState &s : *deps)
            allWell = allWell && s.state == DependencyHealth::Up && !s.fallbackActive;
        if (inv.json()) {
            QJsonArray list;
            for (const DependencyState &s : *deps)
                list.append(json(s, now));
            Context::outJson(QJsonDocument(
                QJsonObject{{QStringLiteral("deployment"), deployment},
                            {QStringLiteral("dependencies"), list},
                            // none reported: nothing to be up, not "all up"
                            {QStringLiteral("all_up"), deps->empty() ? QJsonValue(QJsonValue::Null) : allWell}}));
        } else if (deps->empty()) {
            Context::out(tr("%1: the backend reports no dependencies.").arg(deployment));
        } else {
            for (const DependencyState &s : *deps)
                Context::out(line(s, now));
        }
        return allWell ? Success : CheckFailed;
    }
};

} // namespace

int runDeps(Context &ctx)
{
    return DepsVerb::run(ctx);
}

} // namespace mldeck::cli

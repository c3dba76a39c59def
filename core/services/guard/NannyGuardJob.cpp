#include "core/Text.h"
#include "core/services/KeptPgConnection.h"
#include "core/services/NannyScoring.h"
#include "core/services/NannyTraining.h"
#include "core/services/guard/GuardJob.h"
#include "core/store/pg/NannyStore.h"

#include <QDateTime>
#include <QHash>
#include <QLoggingCategory>

#include <algorithm>
#include <list>
#include <memory>

namespace mldeck {

namespace {

Q_LOGGING_CATEGORY(lcNanny, "mldeck.guard.nanny", QtInfoMsg)

// The guard's estimated-error job (resources/contract/nanny.md). Every guard round, for a deployment whose
// champion is a regression model: trains a nanny when the champion has none (a new champion, or the
// first run), then scores the ML predictions logged since the watermark. A training that fails (too few
// reference rows with outcomes, say) is tried again for the same champion an hour later, not every run.
class NannyGuardJob final : public GuardJob
{
public:
    QString name() const override { return QStringLiteral("nanny"); }
    int intervalMs() const override { return 10'000; }

    Status runOnce(const GuardContext &context) override
    {
        auto conn = m_pg.get(context.pg);
        if (!conn) {
            m_summary = ServiceText::tr("nanny: PostgreSQL unavailable: %1").arg(conn.errorMessage());
            return conn.error();
        }
        PgConnection &db = **conn;
        auto status = readNannyStatus(db, context.deployment);
        if (!status) {
            m_summary = ServiceText::tr("nanny: %1").arg(status.errorMessage());
            return status.error();
        }
        if (status->championVersion.isEmpty() || !status->championIsRegression) {
            m_summary = ServiceText::tr("nanny: no regression champion");
            return {};
        }
        if (!status->current && !train(db, context, *status))
            return {};                               // said in the summary; the guard itself is fine
        auto now = NannyStore(db).serverNowMicros(); // the settle time on the clock the backends log with
        if (!now) {
            m_summary = ServiceText::tr("nanny: %1").arg(now.errorMessage());
            return now.error();
        }
        auto scored = session(context.deployment).run(db, context.deployment, *now, context.stop);
        if (!scored) {
            m_summary = ServiceText::tr("nanny: %1").arg(scored.errorMessage());
            return scored.error();
        }
        m_summary = summaryOf(*scored);
        if (scored->skipped > 0)
            qCWarning(lcNanny).noquote() << ServiceText::tr("nanny: %n logged row(s) of %1 skipped (a missing or "
                                                            "non-finite value, or a non-finite estimate)",
                                                            nullptr, int(scored->skipped))
                                                .arg(context.deployment);
        return {};
    }

    QString lastSummary() const override { return m_summary; }

private:
    bool train(PgConnection &db, const GuardContext &context, const NannyStatus &status)
    {
        const QString key = context.deployment + QLatin1Char('@') + status.championVersion;
        const QDateTime now = QDateTime::currentDateTimeUtc();
        if (const QDateTime last = m_failedAt.value(key); last.isValid() && last.secsTo(now) < 3600) {
            m_summary = ServiceText::tr("nanny: none for %1 (last training failed: %2)")
                            .arg(status.championVersion, m_failure.value(key));
            return false;
        }
        NannyTrainingRequest request;
        request.deployment = context.deployment;
        request.reason = status.nannyId > 0 ? ServiceText::tr("the champion changed to %1").arg(status.championVersion)
                                            : ServiceText::tr("first nanny of champion %1").arg(status.championVersion);
        auto trained = trainDeploymentNanny(db, request, guardActor(context), context.stop);
        if (!trained) {
            m_failedAt.insert(key, now);
            m_failure.insert(key, trained.errorMessage());
            m_summary = ServiceText::tr("nanny: training for %1 failed: %2")
                            .arg(status.championVersion, trained.errorMessage());
            qCWarning(lcNanny).noquote() << m_summary;
            return false;
        }
        qCInfo(lcNanny).noquote() << ServiceText::tr("nanny: trained for %1 of %2 (%3)")
                                         .arg(status.championVersion, context.deployment, request.reason);
        return true;
    }

    // A stable line while up to date (the journal collapses repeated lines), the count while catching up.
    static QString summaryOf(const NannyScoringReport &r)
    {
        if (r.busy)
            return ServiceText::tr("nanny: another scorer is on it");
        if (r.noNanny)
            return ServiceText::tr("nanny: no nanny in use for the champion (it is being trained elsewhere, or "
                                   "its training was refused)");
        const QString to = QDateTime::fromMSecsSinceEpoch(r.watermarkMicros / 1000, Qt::UTC).toString(Qt::ISODate);
        if (r.caughtUp)
            return ServiceText::tr("nanny: scoring version %1, up to date (scored to %2)").arg(r.modelVersion, to);
        return ServiceText::tr("nanny: scoring version %1, catching up: %n prediction(s) scored (scored to %2)",
                               nullptr, int(r.scored))
            .arg(r.modelVersion, to);
    }

    // Each session keeps a model worker process: only the most recent deployments keep theirs (a nanny
    // request carries its weights, so a session reloads cheaply).
    NannyScoringSession &session(const QString &deployment)
    {
        auto at =
            std::find_if(m_sessions.begin(), m_sessions.end(), [&](const auto &s) { return s.first == deployment; });
        if (at == m_sessions.end()) {
            if (m_sessions.size() >= kKeptSessions)
                m_sessions.pop_back();
            m_sessions.emplace_front(deployment, std::make_unique<NannyScoringSession>());
        } else if (at != m_sessions.begin()) {
            m_sessions.splice(m_sessions.begin(), m_sessions, at);
        }
        return *m_sessions.front().second;
    }

    static constexpr size_t kKeptSessions = 2;
    KeptPgConnection m_pg{QStringLiteral("mldeck-guard-nanny")};
    std::list<std::pair<QString, std::unique_ptr<NannyScoringSession>>> m_sessions; // most recent first
    QHash<QString, QDateTime> m_failedAt;
    QHash<QString, QString> m_failure;
    QString m_summary;
};

} // namespace

std::unique_ptr<GuardJob> makeNannyGuardJob()
{
    return std::make_unique<NannyGuardJob>();
}

} // namespace mldeck

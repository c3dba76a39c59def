#include "core/Text.h"
#include "core/services/KeptPgConnection.h"
#include "core/services/guard/GuardJob.h"
#include "core/services/retrain/RetrainRunner.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QHash>

#include <memory>

namespace mldeck {

namespace {

// The guard's retrain check. Wakes every minute but checks the triggers only every
// settings.checkIntervalMinutes. With autoRetrain (off by default) a due check starts a run, on the guard's
// thread (the guard is headless; the run is recorded like any other). Two runs never overlap: the run row's
// unique index refuses a second active run, whoever started the first. It promotes only with autoPromote
// AND a decision rule that says so; otherwise the candidate is kept as challenger for a person to decide.
class RetrainGuardJob final : public GuardJob
{
public:
    QString name() const override { return QStringLiteral("retrain"); }
    int intervalMs() const override { return 60'000; }

    Status runOnce(const GuardContext &context) override
    {
        auto conn = m_pg.get(context.pg);
        if (!conn) {
            m_summary = ServiceText::tr("retrain: PostgreSQL unavailable: %1").arg(conn.errorMessage());
            return conn.error();
        }
        PgConnection &db = **conn;
        const auto settings = retrain::loadSettings(db, context.deployment);
        if (!settings) {
            m_summary = ServiceText::tr("retrain: %1").arg(settings.errorMessage());
            return settings.error();
        }
        const QDateTime now = QDateTime::currentDateTimeUtc();
        QDateTime &lastCheck = m_lastCheck[context.deployment]; // one job serves every deployment
        if (lastCheck.isValid() && lastCheck.secsTo(now) < qint64(settings->checkIntervalMinutes) * 60)
            return {};
        lastCheck = now;
        const auto check = retrain::checkTriggers(db, context.deployment);
        if (!check) {
            m_summary = ServiceText::tr("retrain: %1").arg(check.errorMessage());
            return check.error();
        }
        if (!check->due || !settings->autoRetrain) {
            m_summary = check->due ? ServiceText::tr("retrain: due, auto-retrain is off (%1)").arg(check->reason)
                                   : ServiceText::tr("retrain: %1").arg(check->reason);
            return {};
        }
        retrain::RetrainRequest request;
        request.deployment = context.deployment;
        request.trigger = retrain::triggerFor(*check);
        request.minImprovement = settings->minImprovement;
        request.classificationMetric = settings->classificationMetric;
        request.augmentation = settings->imageAugmentation; // the deployment's own (a digit is not mirrored)
        request.force = true;                               // just checked
        const Actor actor = guardActor(context);
        const auto outcome = retrain::runRetrain(db, request, actor, context.stop);
        if (outcome.run.state != QLatin1String("succeeded")) {
            m_summary =
                ServiceText::tr("retrain: run %1 %2: %3").arg(outcome.run.id).arg(outcome.run.state, outcome.run.error);
            return {}; // recorded in the run row; not a failure of the guard itself
        }
        retrain::ApplyOptions apply;
        const bool promote = settings->autoPromote && outcome.decision && outcome.decision->promote;
        apply.action = promote ? retrain::RetrainAction::Promote : retrain::RetrainAction::KeepAsChallenger;
        apply.reason = outcome.decision ? outcome.decision->reason : QString();
        const auto applied =
            retrain::applyDecision(db, std::optional<RedisEndpoint>(context.redis), outcome.run.id, apply, actor);
        m_summary = applied ? ServiceText::tr("retrain: run %1 registered %2 (%3)")
                                  .arg(outcome.run.id)
                                  .arg(outcome.candidateVersion, applied->decision)
                            : ServiceText::tr("retrain: run %1: %2").arg(outcome.run.id).arg(applied.errorMessage());
        return {};
    }

    QString lastSummary() const override { return m_summary; }

private:
    KeptPgConnection m_pg{QStringLiteral("mldeck-guard-retrain")};
    QHash<QString, QDateTime> m_lastCheck;
    QString m_summary;
};

} // namespace

std::unique_ptr<GuardJob> makeRetrainGuardJob()
{
    return std::make_unique<RetrainGuardJob>();
}

} // namespace mldeck

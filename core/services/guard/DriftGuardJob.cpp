#include "core/Text.h"
#include "core/domain/DriftScore.h"
#include "core/services/DriftCheck.h"
#include "core/services/FeatureSketching.h"
#include "core/services/KeptPgConnection.h"
#include "core/services/guard/GuardJob.h"

#include <QCoreApplication>
#include <QHash>

#include <memory>
#include <utility>

namespace mldeck {

namespace {

// The guard's drift check: every minute (the deployment's "interval" setting can only make it
// rarer), compares the current window with the reference, advances the anti-flap state kept in
// mldeck.drift_state and raises or resolves drift alerts. Stateless itself: a restarted guard
// carries on from the database.
class DriftGuardJob final : public GuardJob
{
public:
    QString name() const override { return QStringLiteral("drift"); }
    int intervalMs() const override { return 60'000; }

    Status runOnce(const GuardContext &context) override
    {
        auto conn = m_pg.get(context.pg);
        if (!conn) {
            m_summary = ServiceText::tr("drift: PostgreSQL unavailable: %1").arg(conn.errorMessage());
            return conn.error();
        }
        PgConnection &db = **conn;
        DriftCheckRequest request;
        request.deployment = context.deployment;
        request.persist = true;
        const Actor actor = guardActor(context);
        request.actor = AlertActor{actor.name, actor.host};
        request.imageCache = &m_imageStats;
        // The complete hours first: a long window then reads them as sketches (a failure here only makes the
        // check read more raw rows).
        auto sketches =
            sketchCompletedHours(db, context.deployment, QDateTime::currentDateTimeUtc().toMSecsSinceEpoch() * 1000);
        auto report = runDriftCheck(db, request);
        if (!report) {
            m_summary = ServiceText::tr("drift: %1").arg(report.errorMessage());
            return report.error();
        }
        if (report->filling) {
            // A state, not an error: the first round while it fills says so, and the following rounds repeat
            // that line word for word so that the guard's log (RepeatFilter) shows it once, not every round.
            // A new N (the reference was changed meanwhile) is news: said again.
            auto &[needed, said] = m_filling[context.deployment];
            if (said.isEmpty() || needed != report->filling->needed) {
                needed = report->filling->needed;
                said = ServiceText::tr("drift: %1 (drift starts when the reference is full)")
                           .arg(referenceFillingText(*report->filling));
            }
            m_summary = said;
            return {};
        }
        m_filling.remove(context.deployment);
        if (report->skipped) {
            m_summary = ServiceText::tr("drift: window already checked");
            return {};
        }
        QStringList drifting;
        for (const auto &f : report->result.features)
            if (f.drift)
                drifting << driftFeatureLabel(f.name);
        if (report->multivariate && report->multivariate->drift) // not a feature: not in "N of M"
            drifting << driftFeatureLabel(kDriftMultivariateFeature);
        m_summary =
            ServiceText::tr("drift: %1 of %2 features drift (%3); alerts firing: %4")
                .arg(report->result.drifted)
                .arg(report->result.considered)
                .arg(drifting.isEmpty() ? ServiceText::tr("none") : drifting.join(QStringLiteral(", ")),
                     report->firing.isEmpty() ? ServiceText::tr("none") : report->firing.join(QStringLiteral(", ")));
        if (!sketches)
            m_summary += ServiceText::tr("; feature sketches not updated: %1").arg(sketches.errorMessage());
        else if (sketches->hours > 0)
            m_summary += ServiceText::tr("; %n hour(s) sketched", nullptr, int(sketches->hours));
        if (report->fromSketches)
            m_summary +=
                ServiceText::tr("; window read from %n hourly sketch(es)", nullptr, int(report->sketchedHours));
        if (const auto &images = report->images) // the image statistics are a sample: say of what
            m_summary += ServiceText::tr("; image statistics of the window %1, of the reference %2")
                             .arg(imageSampleSummary(images->current), imageSampleSummary(images->reference));
        return {};
    }

    QString lastSummary() const override { return m_summary; }

private:
    KeptPgConnection m_pg{QStringLiteral("mldeck-guard-drift")};
    QString m_summary;
    // An image deployment's image statistics, kept across rounds: overlapping windows and a fixed reference
    // decode each image once.
    ImageStatsCache m_imageStats;
    // Per deployment: the N and the line said when its reference started filling.
    QHash<QString, std::pair<qint64, QString>> m_filling;
};

} // namespace

std::unique_ptr<GuardJob> makeDriftGuardJob()
{
    return std::make_unique<DriftGuardJob>();
}

} // namespace mldeck

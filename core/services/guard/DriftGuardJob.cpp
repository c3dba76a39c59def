#include "core/services/DriftCheck.h"
#include "core/services/guard/GuardJob.h"
#include "core/store/pg/PgConnection.h"

#include <QCoreApplication>
#include <QSysInfo>

#include <memory>

namespace mldeck {

namespace {

QString tr(const char *text) { return QCoreApplication::translate("mldeck::DriftGuardJob", text); }

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
        if (!m_conn || m_conn->endpoint().host != context.pg.host || m_conn->endpoint().port != context.pg.port ||
            m_conn->endpoint().database != context.pg.database || !m_conn->ping()) {
            m_conn.reset();
            auto opened = PgConnection::open(context.pg, QStringLiteral("mldeck-guard-drift"));
            if (!opened) {
                m_summary = tr("drift: PostgreSQL unavailable: %1").arg(opened.errorMessage());
                return opened.error();
            }
            m_conn = std::move(opened).value();
        }
        DriftCheckRequest request;
        request.deployment = context.deployment;
        request.persist = true;
        request.actor = AlertActor{context.actor.isEmpty() ? QStringLiteral("guard@") + QSysInfo::machineHostName()
                                                           : context.actor,
                                   QSysInfo::machineHostName()};
        auto report = runDriftCheck(*m_conn, request);
        if (!report) {
            m_summary = tr("drift: %1").arg(report.errorMessage());
            return report.error();
        }
        if (report->skipped) {
            m_summary = tr("drift: window already checked");
            return {};
        }
        QStringList drifting;
        for (const auto &f : report->result.features)
            if (f.drift)
                drifting << driftFeatureLabel(f.name);
        m_summary = tr("drift: %1 of %2 features drift (%3); alerts firing: %4")
                        .arg(report->result.drifted)
                        .arg(report->result.considered)
                        .arg(drifting.isEmpty() ? tr("none") : drifting.join(QStringLiteral(", ")),
                             report->firing.isEmpty() ? tr("none") : report->firing.join(QStringLiteral(", ")));
        return {};
    }

    QString lastSummary() const override { return m_summary; }

private:
    std::unique_ptr<PgConnection> m_conn;
    QString m_summary;
};

} // namespace

std::unique_ptr<GuardJob> makeDriftGuardJob() { return std::make_unique<DriftGuardJob>(); }

} // namespace mldeck

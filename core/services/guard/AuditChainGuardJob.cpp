#include "core/Text.h"
#include "core/services/KeptPgConnection.h"
#include "core/services/guard/GuardJob.h"
#include "core/store/pg/AlertStore.h"
#include "core/store/pg/AuditChainStore.h"

#include <QDateTime>
#include <QHash>
#include <QJsonObject>

namespace mldeck {

namespace {

// The guard's daily check of each deployment's audit chain. Wakes every minute, checks a deployment
// once per period. A break raises a critical "audit" alert (one per chain) naming the first broken
// row. A broken chain stays broken, so the guard never resolves the alert: a person acknowledges it
// after looking; while it is open, later checks only refresh it.
class AuditChainGuardJob final : public GuardJob
{
public:
    explicit AuditChainGuardJob(qint64 periodSecs) : m_periodSecs(periodSecs) {}

    QString name() const override { return QStringLiteral("audit-chain"); }
    int intervalMs() const override { return 60'000; }

    Status runOnce(const GuardContext &context) override
    {
        const QDateTime now = QDateTime::currentDateTimeUtc();
        QDateTime &lastCheck = m_lastCheck[context.deployment]; // one job serves every deployment
        if (lastCheck.isValid() && lastCheck.secsTo(now) < m_periodSecs)
            return {};
        auto conn = m_pg.get(context.pg);
        if (!conn) {
            m_summary = ServiceText::tr("audit chain: PostgreSQL unavailable: %1").arg(conn.errorMessage());
            return conn.error();
        }
        const auto results = AuditChainStore(**conn).verify(context.deployment);
        if (!results) {
            m_summary = ServiceText::tr("audit chain: %1").arg(results.errorMessage());
            return results.error();
        }
        lastCheck = now;
        const AuditChainResult &r = results->first();
        if (r.ok()) {
            m_summary = ServiceText::tr("audit chain: %1 intact (%2 rows)").arg(context.deployment).arg(r.rowsChecked);
            return {};
        }
        const AuditChainBreak &b = *r.firstBreak;
        const QString title =
            b.id ? ServiceText::tr("Audit log of %1 tampered with at row %2").arg(context.deployment).arg(b.id)
                 : ServiceText::tr("Audit log of %1 tampered with: its last rows are missing").arg(context.deployment);
        const QJsonObject details{{QStringLiteral("row_id"), b.id},
                                  {QStringLiteral("chain_seq"), b.seq},
                                  {QStringLiteral("message"), b.message},
                                  {QStringLiteral("rows_checked"), r.rowsChecked},
                                  {QStringLiteral("checked_at"), now.toString(Qt::ISODateWithMs)}};
        const auto raised =
            AlertStore(**conn).raise(context.deployment, QStringLiteral("audit"), QStringLiteral("critical"),
                                     QStringLiteral("audit-chain"), title, details);
        if (!raised) {
            m_summary = ServiceText::tr("audit chain: %1").arg(raised.errorMessage());
            return raised.error();
        }
        m_summary = ServiceText::tr("audit chain: %1 BROKEN: %2").arg(context.deployment, b.message);
        return {};
    }

    QString lastSummary() const override { return m_summary; }

private:
    qint64 m_periodSecs;
    KeptPgConnection m_pg{QStringLiteral("mldeck-guard-audit")};
    QHash<QString, QDateTime> m_lastCheck;
    QString m_summary;
};

} // namespace

std::unique_ptr<GuardJob> makeAuditChainGuardJob(qint64 periodSecs)
{
    return std::make_unique<AuditChainGuardJob>(periodSecs);
}

} // namespace mldeck

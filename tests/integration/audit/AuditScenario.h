#pragma once

// A deployment with a known history of changes made through the real services (flags applied and
// rolled back through FlagService, models promoted and restored through ModelRegistry) and a few
// rows of another deployment and of no deployment, for the audit reading tests.
#include "core/services/FlagService.h"
#include "core/store/pg/AuditLog.h"
#include "core/store/pg/ModelRegistry.h"
#include "tests/integration/rollout/RolloutFixture.h"

#include <QtTest>

namespace mldeck::test {

struct AuditScenario
{
    RolloutFixture f;
    QString other; // a second deployment
    QDateTime start;
    QList<qint64> servingIds; // the rows that changed what serves, in order

    bool setUp(QString *why)
    {
        if (!f.setUp(why, 10, true))
            return false;
        other = f.deployment + QStringLiteral("-b");
        if (Status s = exec(*f.pg, QStringLiteral("INSERT INTO mldeck.deployments (name) VALUES ('%1')").arg(other));
            !s) {
            *why = s.errorMessage();
            return false;
        }
        start = QDateTime::currentDateTimeUtc().addSecs(-1);
        auto svc = f.service();
        const Actor alice{QStringLiteral("alice@test"), QStringLiteral("alice"), QStringLiteral("console-1")};
        const Actor bob{QStringLiteral("bob@test"), QStringLiteral("bob"), QStringLiteral("console-2")};
        const auto apply = [&](int percent, const QString &reason, const Actor &who) {
            FlagEdit e;
            e.mlEnabled = true;
            e.trafficPercentage = percent;
            const ApplyOutcome out = svc->apply(f.deployment, e, f.state().version, reason, who);
            if (!out.applied)
                *why = out.message;
            return out.applied;
        };
        if (!apply(25, QStringLiteral("ramp to 25"), alice) || !apply(50, QStringLiteral("Zebra crossing: 50"), bob))
            return false;
        const ApplyOutcome rb = svc->rollback(f.deployment, QStringLiteral("latency spike"), alice);
        if (!rb.applied) {
            *why = rb.message;
            return false;
        }
        ModelRegistry registry(*f.pg);
        for (const char *v : {"1", "2"}) {
            NewModelVersion m;
            m.deployment = f.deployment;
            m.name = QStringLiteral("eta-mlp");
            m.version = QString::fromLatin1(v);
            m.sha256 = QString(64, QLatin1Char(v[0]));
            m.filePath = QStringLiteral("/models/eta-%1.pt").arg(QLatin1String(v));
            m.task = QStringLiteral("regression");
            if (auto r = registry.insert(m, alice); !r) {
                *why = r.errorMessage();
                return false;
            }
        }
        for (const char *v : {"1", "2"})
            if (auto p = registry.promote(f.deployment, QString::fromLatin1(v), QStringLiteral("champion"),
                                          QStringLiteral("promote v%1").arg(QLatin1String(v)), bob);
                !p) {
                *why = p.errorMessage();
                return false;
            }
        if (auto r = registry.restorePrevious(f.deployment, QStringLiteral("v2 worse"), alice); !r) {
            *why = r.errorMessage();
            return false;
        }
        // Rows of another deployment and of none, written as other tools do.
        AuditLog log(*f.pg);
        for (int i = 0; i < 3; ++i) {
            AuditRecord r = AuditRecord::make(QStringLiteral("alert.acknowledge"), other, bob,
                                              QStringLiteral("ack, \"noisy\" #%1").arg(i));
            r.after = QJsonObject{{QStringLiteral("alert_id"), i}};
            if (auto w = log.insert(r); !w) {
                *why = w.errorMessage();
                return false;
            }
        }
        if (auto w = log.insert(
                AuditRecord::make(QStringLiteral("settings.edit"), QString(), alice, QStringLiteral("global setting")));
            !w) {
            *why = w.errorMessage();
            return false;
        }
        const auto ids = query(*f.pg,
                               QStringLiteral("SELECT id FROM mldeck.audit_log WHERE deployment = $1 AND (action LIKE "
                                              "'flags.%' OR after->>'alias' = 'champion') ORDER BY id"),
                               {f.deployment});
        if (!ids) {
            *why = ids.errorMessage();
            return false;
        }
        for (const QStringList &r : *ids)
            servingIds << r.value(0).toLongLong();
        return true;
    }
};

} // namespace mldeck::test

#include "core/domain/FeatureSchema.h"
#include "core/store/pg/AlertStore.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace mldeck;
using namespace mldeck::test;

// The shared alert core: dedup, states, acknowledge and silence with audit rows.
class TestAlertStore final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    QString m_dep;

    qint64 scalar(const QString &sql, const QStringList &params = {})
    {
        const auto rows = test::query(*m_conn, sql, params);
        if (!rows || rows->isEmpty()) {
            MLDECK_FAIL_IN_HELPER(QStringLiteral("query failed: ") + rows.errorMessage());
            return -1; // no count: the caller's comparison fails too
        }
        return rows->first().first().toLongLong();
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("alerts"));
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test"));
        QVERIFY2(conn.ok(), qPrintable(conn.errorMessage()));
        m_conn = std::move(conn).value();
        QVERIFY(Migrator::migrate(*m_conn).ok());
        m_dep = uniqueName(QStringLiteral("alerts"));
        FeatureSchema schema;
        schema.features.push_back({QStringLiteral("x"), FeatureSpec::Kind::Numeric, {}});
        QVERIFY(DeploymentStore(*m_conn).ensure(m_dep, {}, schema).ok());
    }

    void guardrailInsertStaysValid()
    {
        // What the rollout guard writes, unaware of step 6's columns.
        QVERIFY(test::exec(*m_conn, QStringLiteral(
                                        "INSERT INTO mldeck.alerts (deployment, kind, severity, dedup_key, title) "
                                        "VALUES ('%1', 'guardrail', 'critical', 'guardrail:error_rate', 'Error rate')")
                                        .arg(m_dep))
                    .ok());
        const auto rows = test::query(*m_conn,
                                      QStringLiteral("SELECT state, silenced_until IS NULL FROM mldeck.alerts "
                                                     "WHERE kind = 'guardrail' AND deployment = $1"),
                                      {m_dep});
        QVERIFY(rows.ok());
        QCOMPARE(rows->first().at(0), QStringLiteral("firing"));
        QCOMPARE(rows->first().at(1), QStringLiteral("t"));
        const auto listed = AlertStore(*m_conn).list(m_dep, false);
        QVERIFY(listed.ok());
        QCOMPARE(listed->size(), 1);
        QCOMPARE(listed->first().displayState(QDateTime::currentDateTimeUtc()), QStringLiteral("firing"));
    }

    void raiseDeduplicatesOpenAlert()
    {
        AlertStore store(*m_conn);
        const auto first =
            store.raise(m_dep, QStringLiteral("drift"), QStringLiteral("warning"), QStringLiteral("drift:x"),
                        QStringLiteral("Drift on x"), {{QStringLiteral("score"), 0.2}});
        QVERIFY2(first.ok(), qPrintable(first.errorMessage()));
        QVERIFY(first->created);
        const auto again =
            store.raise(m_dep, QStringLiteral("drift"), QStringLiteral("warning"), QStringLiteral("drift:x"),
                        QStringLiteral("Drift on x"), {{QStringLiteral("score"), 0.3}});
        QVERIFY(again.ok());
        QVERIFY(!again->created);
        QCOMPARE(again->id, first->id);
        QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM mldeck.alerts WHERE dedup_key = 'drift:x'")), 1);
        const auto a = store.get(first->id);
        QCOMPARE(a->details.value(QStringLiteral("score")).toDouble(), 0.3);
        QVERIFY(!store
                     .raise(m_dep, QStringLiteral("drift"), QStringLiteral("loud"), QStringLiteral("k"),
                            QStringLiteral("t"), {})
                     .ok());
    }

    void acknowledgeWritesAudit()
    {
        AlertStore store(*m_conn);
        const qint64 id = store
                              .raise(m_dep, QStringLiteral("drift"), QStringLiteral("warning"),
                                     QStringLiteral("drift:ack"), QStringLiteral("Drift on ack"), {})
                              ->id;
        const qint64 auditBefore = scalar(QStringLiteral("SELECT count(*) FROM mldeck.audit_log"));
        QVERIFY(!store.acknowledge(id, AlertActor{QString(), QStringLiteral("h")}).ok()); // no actor: refused
        QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM mldeck.audit_log")), auditBefore);
        const Status s = store.acknowledge(id, AlertActor{QStringLiteral("alice"), QStringLiteral("desk-1")},
                                           QStringLiteral("looking into it"));
        QVERIFY2(s.ok(), qPrintable(s.errorMessage()));
        const auto a = store.get(id);
        QCOMPARE(a->acknowledgedBy, QStringLiteral("alice"));
        QCOMPARE(a->displayState(QDateTime::currentDateTimeUtc()), QStringLiteral("acknowledged"));
        const auto audit = test::query(
            *m_conn,
            QStringLiteral(
                "SELECT actor_os, host, before ->> 'acknowledged_by', after ->> 'acknowledged_by', reason, actor_db "
                "FROM mldeck.audit_log WHERE action = 'alert.acknowledge' ORDER BY id DESC LIMIT 1"));
        QVERIFY(audit.ok());
        const QStringList row = audit->first();
        QCOMPARE(row[0], QStringLiteral("alice"));
        QCOMPARE(row[1], QStringLiteral("desk-1"));
        QVERIFY(row[2].isNull());
        QCOMPARE(row[3], QStringLiteral("alice"));
        QCOMPARE(row[4], QStringLiteral("looking into it"));
        QVERIFY(!row[5].isEmpty());
        QVERIFY(!store.acknowledge(987654, AlertActor{QStringLiteral("alice"), {}}).ok());
    }

    void silenceWritesAuditAndRefusesThePast()
    {
        AlertStore store(*m_conn);
        const qint64 id = store
                              .raise(m_dep, QStringLiteral("drift"), QStringLiteral("warning"),
                                     QStringLiteral("drift:silence"), QStringLiteral("Drift on silence"), {})
                              ->id;
        const qint64 auditBefore = scalar(QStringLiteral("SELECT count(*) FROM mldeck.audit_log"));
        QVERIFY(!store.silence(id, QDateTime::currentDateTimeUtc().addSecs(-60), AlertActor{QStringLiteral("bob"), {}})
                     .ok());
        QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM mldeck.audit_log")), auditBefore);
        const QDateTime until = QDateTime::currentDateTimeUtc().addSecs(3600);
        QVERIFY(store.silence(id, until, AlertActor{QStringLiteral("bob"), QStringLiteral("h")}).ok());
        const auto a = store.get(id);
        QCOMPARE(a->silencedBy, QStringLiteral("bob"));
        QVERIFY(std::abs(a->silencedUntil.msecsTo(until)) < 1000);
        QCOMPARE(a->displayState(QDateTime::currentDateTimeUtc()), QStringLiteral("silenced"));
        QCOMPARE(a->displayState(until.addSecs(1)), QStringLiteral("firing")); // the silence ends by itself
        QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE action = 'alert.silence' "
                                       "AND actor_os = 'bob' AND after ->> 'silenced_until' IS NOT NULL "
                                       "AND before ->> 'silenced_until' IS NULL")),
                 1);
        // The audit log stays append-only.
        QVERIFY(!test::exec(*m_conn, QStringLiteral("DELETE FROM mldeck.audit_log")).ok());
    }

    void resolveThenReopen()
    {
        AlertStore store(*m_conn);
        const qint64 id = store
                              .raise(m_dep, QStringLiteral("drift"), QStringLiteral("warning"),
                                     QStringLiteral("drift:r"), QStringLiteral("Drift on r"), {})
                              ->id;
        const auto done = store.resolve(m_dep, QStringLiteral("drift"), QStringLiteral("drift:r"),
                                        AlertActor{QStringLiteral("guard"), {}});
        QVERIFY(done.ok() && *done);
        QVERIFY(!*store.resolve(m_dep, QStringLiteral("drift"), QStringLiteral("drift:r"),
                                AlertActor{QStringLiteral("guard"), {}}));
        const auto a = store.get(id);
        QVERIFY(a->resolved());
        QCOMPARE(a->displayState(QDateTime::currentDateTimeUtc()), QStringLiteral("resolved"));
        QVERIFY(!store.acknowledge(id, AlertActor{QStringLiteral("alice"), {}}).ok());
        const auto reopened = store.raise(m_dep, QStringLiteral("drift"), QStringLiteral("warning"),
                                          QStringLiteral("drift:r"), QStringLiteral("Drift on r"), {});
        QVERIFY(reopened->created);
        QVERIFY(reopened->id != id);
        QCOMPARE(store.list(m_dep, true)->size(), store.list(m_dep, false)->size() + 1);
    }

    // What the KPI report and the retrain triggers read: the alerts active during a period, open alerts by kind.
    void activeDuringAndOpenCount()
    {
        const QString dep = uniqueName(QStringLiteral("period"));
        QVERIFY(DeploymentStore(*m_conn).ensure(dep, {}, FeatureSchema{}).ok());
        AlertStore store(*m_conn);
        QCOMPARE(store.openCount(dep, QStringLiteral("drift")).value(), 0);
        const auto drift =
            store.raise(dep, QStringLiteral("drift"), QStringLiteral("warning"), QStringLiteral("drift:x"),
                        QStringLiteral("Drift on x"), {{QStringLiteral("score"), 0.2}});
        QVERIFY2(drift.ok(), qPrintable(drift.errorMessage()));
        QVERIFY(store
                    .raise(dep, QStringLiteral("kpi"), QStringLiteral("critical"), QStringLiteral("kpi:mae"),
                           QStringLiteral("MAE"), {})
                    .ok());
        QCOMPARE(store.openCount(dep, QStringLiteral("drift")).value(), 1);

        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        const auto during = store.activeDuring(dep, now - 3600000, now + 3600000, 10);
        QVERIFY2(during.ok(), qPrintable(during.errorMessage()));
        QCOMPARE(during->size(), 2);
        QCOMPARE(during->first().id, drift->id); // oldest first
        QCOMPARE(during->first().title, QStringLiteral("Drift on x"));
        QCOMPARE(during->first().deployment, dep);
        QCOMPARE(store.activeDuring(dep, now - 3600000, now + 3600000, 1)->size(), 1);
        QCOMPARE(store.activeDuring(dep, now - 7200000, now - 3600000, 10)->size(), 0); // before they were raised

        QVERIFY(store.resolve(dep, QStringLiteral("drift"), QStringLiteral("drift:x"), {QStringLiteral("test"), {}})
                    .value());
        QCOMPARE(store.openCount(dep, QStringLiteral("drift")).value(), 0);
        // Resolved now: still active during a period that ends now, not during one that starts later.
        QCOMPARE(store.activeDuring(dep, now - 3600000, now + 3600000, 10)->size(), 2);
        QCOMPARE(store.activeDuring(dep, now + 3600000, now + 7200000, 10)->size(), 1);
    }
};

QTEST_GUILESS_MAIN(TestAlertStore)
#include "test_alert_store.moc"

#include "HttpReceiver.h"

#include "core/domain/FeatureSchema.h"
#include "core/services/guard/KpiAlertGuardJob.h"
#include "core/store/pg/AlertRuleStore.h"
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

// Alerts that do not flap, through the KPI alert guard job on real PostgreSQL with a mock clock:
// a failure rate oscillating between the firing (20 %) and the resolve (10 %) thresholds fires once
// and never resolves; it resolves only after being at or under 10 % for the keep-firing time, the
// clearing timer stopped by a round without figures and surviving a guard restart; the webhook
// payloads carry both thresholds and the time.
class TestAlertHysteresis final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    qint64 m_now = 0;
    const AlertActor m_actor{QStringLiteral("tester"), QStringLiteral("testhost")};

    std::unique_ptr<PgConnection> open()
    {
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test"));
        if (!conn) {
            MLDECK_FAIL_IN_HELPER(conn.errorMessage());
            return nullptr; // the caller checks it
        }
        return std::move(conn).value();
    }

    std::unique_ptr<GuardJob> job()
    {
        KpiAlertGuardOptions o;
        o.nowSecs = [this] { return m_now; };
        o.webhook.timeoutMs = 3000;
        o.webhook.backoffMs = {50, 100, 200};
        return makeKpiAlertGuardJob(o);
    }

    GuardContext context(const QString &dep) const
    {
        GuardContext c;
        c.pg = m_db->endpoint();
        c.deployment = dep;
        c.actor = QStringLiteral("guard@test");
        return c;
    }

    // 100 ML predictions at m_now - 30 s (inside the 60 s window only), `failedPercent` of them failed.
    void logWindow(const QString &dep, int failedPercent)
    {
        auto conn = open();
        QVERIFY(conn);
        const Status s = test::exec(
            *conn,
            QStringLiteral("INSERT INTO mldeck.predictions (ts, predicted, latency_ms, failed, path, deployment, "
                           "request_key, model_version) SELECT to_timestamp(%1) + i * interval '1 millisecond', "
                           "CASE WHEN i < %2 THEN NULL ELSE 3.0 END, 120, i < %2, 'ml', '%3', "
                           "'k' || i || '-' || %1, 'v1' FROM generate_series(0, 99) AS i")
                .arg(m_now - 30)
                .arg(failedPercent)
                .arg(dep));
        if (!s)
            MLDECK_FAIL_IN_HELPER(s.errorMessage());
    }

    AlertRuleStatus state(const QString &dep)
    {
        auto conn = open();
        if (!conn)
            return {}; // the test function has failed (see the opener)
        return AlertRuleStore(*conn).states(dep).value().value(QStringLiteral("failure_rate"));
    }

    QList<Alert> kpiAlerts(const QString &dep)
    {
        auto conn = open();
        if (!conn)
            return {}; // the test function has failed (see the opener)
        QList<Alert> out;
        const auto all = AlertStore(*conn).list(dep, true);
        if (!all) {
            MLDECK_FAIL_IN_HELPER(all.errorMessage());
            return out;
        }
        for (const Alert &a : *all)
            if (a.kind == QLatin1String("kpi"))
                out << a;
        return out;
    }

    static QJsonObject mldeckPart(const QByteArray &body)
    {
        return QJsonDocument::fromJson(body).object().value(QStringLiteral("mldeck")).toObject();
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("hysteresis"));
        auto conn = open();
        QVERIFY(conn);
        const auto migrated = Migrator::migrate(*conn);
        QVERIFY2(migrated.ok(), qPrintable(migrated.errorMessage()));
    }

    void oscillationFiresOnceAndResolvesAfterKeepFiring()
    {
        const QString dep = uniqueName(QStringLiteral("hyst"));
        HttpReceiver receiver;
        {
            auto conn = open();
            QVERIFY(conn);
            FeatureSchema schema;
            schema.features.push_back({QStringLiteral("x"), FeatureSpec::Kind::Numeric, {}});
            QVERIFY(DeploymentStore(*conn).ensure(dep, {}, schema).ok());
            AlertRuleStore store(*conn);
            for (AlertRule r : AlertRule::defaults()) {
                if (r.metric == AlertRule::Metric::FailureRate) {
                    r.windowSeconds = 60;
                    r.pendingSeconds = 0;
                    r.resolveThreshold = 0.10;
                    r.keepFiringSeconds = 240;
                } else {
                    r.enabled = false;
                }
                QVERIFY(store.saveRule(dep, r, m_actor).ok());
            }
            // A resolve threshold on the wrong side is refused and changes nothing.
            AlertRule wrong = store.rules(dep).value().constFirst();
            wrong.resolveThreshold = 0.25;
            const Status refused = store.saveRule(dep, wrong, m_actor);
            QVERIFY(!refused.ok());
            QVERIFY2(refused.errorMessage().contains(QStringLiteral("at or below")),
                     qPrintable(refused.errorMessage()));
            QCOMPARE(store.rules(dep).value().constFirst().resolveThreshold, std::optional<double>(0.10));
            QVERIFY(store.setWebhook(dep, {receiver.url(), true}, m_actor).ok());
        }
        m_now = QDateTime::currentSecsSinceEpoch() / 60 * 60;
        auto j = job();
        const auto round = [&](int failedPercent) {
            m_now += 120; // each round's window holds only its own rows
            logWindow(dep, failedPercent);
            QVERIFY2(j->runOnce(context(dep)).ok(), qPrintable(j->lastSummary()));
        };

        round(50);
        QCOMPARE(state(dep).state, AlertRuleState::Firing);
        QCOMPARE(receiver.bodies().size(), 1);
        const QJsonObject fired = mldeckPart(receiver.bodies().constFirst());
        QCOMPARE(fired.value(QStringLiteral("event")).toString(), QStringLiteral("firing"));
        QCOMPARE(fired.value(QStringLiteral("threshold")).toDouble(), 0.20);
        QCOMPARE(fired.value(QStringLiteral("resolve_threshold")).toDouble(), 0.10);
        QCOMPARE(fired.value(QStringLiteral("keep_firing_seconds")).toInt(), 240);

        // Oscillating between 10 % and 20 % (and back over 20 %): firing throughout, nothing sent.
        for (int failed : {15, 25, 12, 19, 30, 11, 15})
            round(failed);
        QCOMPARE(state(dep).state, AlertRuleState::Firing);
        QCOMPARE(state(dep).clearingSinceSecs, 0);

        // Under 10 % once, then back between the thresholds: the clearing timer starts, then stops.
        round(5);
        QCOMPARE(state(dep).clearingSinceSecs, m_now);
        round(15);
        QCOMPARE(state(dep).state, AlertRuleState::Firing);
        QCOMPARE(state(dep).clearingSinceSecs, 0);

        // Under 10 %, then a round without a single prediction: no figure is not time past the resolve
        // threshold, so the persisted timer stops (the rule keeps firing) and the next figure starts it again.
        round(5);
        QCOMPARE(state(dep).clearingSinceSecs, m_now);
        m_now += 120;
        QVERIFY2(j->runOnce(context(dep)).ok(), qPrintable(j->lastSummary()));
        QCOMPARE(state(dep).state, AlertRuleState::Firing);
        QVERIFY(!state(dep).lastValue);
        QCOMPARE(state(dep).clearingSinceSecs, 0);

        // Under 10 % again; a restarted guard (a new job) carries the persisted timer on.
        round(8);
        const qint64 clearingFrom = m_now;
        QCOMPARE(state(dep).clearingSinceSecs, clearingFrom);
        j = job();
        round(10); // at the resolve threshold counts as past it
        QCOMPARE(state(dep).state, AlertRuleState::Firing);
        QCOMPARE(state(dep).clearingSinceSecs, clearingFrom);
        QCOMPARE(receiver.bodies().size(), 1);
        round(0); // 240 s since the timer started: resolves
        QCOMPARE(state(dep).state, AlertRuleState::Resolved);
        QCOMPARE(state(dep).resolvedAtSecs, clearingFrom + 240);
        QCOMPARE(state(dep).clearingSinceSecs, 0);

        const QList<Alert> alerts = kpiAlerts(dep);
        QCOMPARE(alerts.size(), 1); // exactly one firing over the whole run
        QVERIFY(alerts[0].resolved());
        QCOMPARE(receiver.bodies().size(), 2);
        const QJsonObject resolved = mldeckPart(receiver.bodies().constLast());
        QCOMPARE(resolved.value(QStringLiteral("event")).toString(), QStringLiteral("resolved"));
        QCOMPARE(resolved.value(QStringLiteral("resolve_threshold")).toDouble(), 0.10);
        QCOMPARE(resolved.value(QStringLiteral("keep_firing_seconds")).toInt(), 240);
    }
};

QTEST_GUILESS_MAIN(TestAlertHysteresis)
#include "test_alert_hysteresis.moc"

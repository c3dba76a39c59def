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

// The KPI alert guard job against real PostgreSQL with a mock clock: pending -> firing ->
// resolved from logged predictions, pending timers across a restart, the webhook with retries
// (a local HTTP receiver answering 500, 500, 200 and 400) and a silence that holds it back.
class TestKpiAlertGuard final : public QObject
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

    // A deployment whose only enabled rule is the failure rate (for `forSeconds`).
    QString makeDeployment(int forSeconds)
    {
        const QString dep = uniqueName(QStringLiteral("kpialert"));
        auto conn = open();
        if (!conn)
            return {}; // the test function has failed (see the opener)
        FeatureSchema schema;
        schema.features.push_back({QStringLiteral("x"), FeatureSpec::Kind::Numeric, {}});
        if (!DeploymentStore(*conn).ensure(dep, {}, schema))
            MLDECK_FAIL_IN_HELPER(QStringLiteral("cannot create the deployment ") + dep);
        AlertRuleStore store(*conn);
        for (AlertRule r : AlertRule::defaults()) {
            if (r.metric == AlertRule::Metric::FailureRate)
                r.pendingSeconds = forSeconds;
            else
                r.enabled = false;
            if (!store.saveRule(dep, r, m_actor))
                MLDECK_FAIL_IN_HELPER(QStringLiteral("cannot save the rule ") + r.id);
        }
        return dep;
    }

    // n ML predictions at [atSecs, atSecs + 1 s), the first `failed` of them failed.
    void log(const QString &dep, qint64 atSecs, int n, int failed)
    {
        auto conn = open();
        QVERIFY(conn);
        const Status s = test::exec(
            *conn,
            QStringLiteral(
                "INSERT INTO mldeck.predictions (ts, predicted, latency_ms, failed, path, deployment, request_key, "
                "model_version) SELECT to_timestamp(%1) + i * interval '1 millisecond', "
                "CASE WHEN i < %3 THEN NULL ELSE 3.0 END, 120, i < %3, 'ml', '%4', "
                "'k' || i || '-' || %1, 'v1' FROM generate_series(0, %2 - 1) AS i")
                .arg(atSecs)
                .arg(n)
                .arg(failed)
                .arg(dep));
        if (!s)
            MLDECK_FAIL_IN_HELPER(s.errorMessage());
    }

    AlertRuleStatus state(const QString &dep, const QString &rule = QStringLiteral("failure_rate"))
    {
        auto conn = open();
        if (!conn)
            return {}; // the test function has failed (see the opener)
        return AlertRuleStore(*conn).states(dep).value().value(rule);
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

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("kpialert"));
        auto conn = open();
        QVERIFY(conn);
        const auto migrated = Migrator::migrate(*conn);
        QVERIFY2(migrated.ok(), qPrintable(migrated.errorMessage()));
    }

    void init() { m_now = QDateTime::currentSecsSinceEpoch() / 60 * 60; }

    void breachGoesPendingThenFiringThenResolves()
    {
        const QString dep = makeDeployment(30);
        log(dep, m_now - 100, 100, 50); // 50 % failed
        auto j = job();
        QVERIFY2(j->runOnce(context(dep)).ok(), qPrintable(j->lastSummary()));
        AlertRuleStatus s = state(dep);
        QCOMPARE(s.state, AlertRuleState::Pending);
        QCOMPARE(s.pendingSinceSecs, m_now);
        QCOMPARE(*s.lastValue, 0.5);
        QVERIFY(kpiAlerts(dep).isEmpty()); // nothing raised while pending

        m_now += 29;
        QVERIFY(j->runOnce(context(dep)).ok());
        QCOMPARE(state(dep).state, AlertRuleState::Pending);
        m_now += 1;
        QVERIFY(j->runOnce(context(dep)).ok());
        s = state(dep);
        QCOMPARE(s.state, AlertRuleState::Firing);
        QList<Alert> alerts = kpiAlerts(dep);
        QCOMPARE(alerts.size(), 1);
        QCOMPARE(alerts[0].dedupKey, QStringLiteral("failure_rate"));
        QCOMPARE(alerts[0].severity, QStringLiteral("critical"));
        QVERIFY(!alerts[0].resolved());
        QVERIFY(j->lastSummary().contains(QStringLiteral("failure_rate")));

        // Still firing on the next run: the same alert, refreshed.
        m_now += 15;
        QVERIFY(j->runOnce(context(dep)).ok());
        QCOMPARE(kpiAlerts(dep).size(), 1);

        // Rows recover: 50 failures in 1100 predictions is 4.5 %.
        log(dep, m_now - 20, 1000, 0);
        m_now += 15;
        QVERIFY(j->runOnce(context(dep)).ok());
        s = state(dep);
        QCOMPARE(s.state, AlertRuleState::Resolved);
        QVERIFY(qAbs(*s.lastValue - 50.0 / 1100) < 1e-9);
        alerts = kpiAlerts(dep);
        QCOMPARE(alerts.size(), 1);
        QVERIFY(alerts[0].resolved());
    }

    void restartKeepsThePendingTimer()
    {
        const QString dep = makeDeployment(60);
        log(dep, m_now - 100, 10, 10);
        const qint64 start = m_now;
        QVERIFY(job()->runOnce(context(dep)).ok());
        QCOMPARE(state(dep).state, AlertRuleState::Pending);
        // A new job (a restarted guard, new connection) 40 s later: still pending since `start`.
        m_now += 40;
        QVERIFY(job()->runOnce(context(dep)).ok());
        QCOMPARE(state(dep).state, AlertRuleState::Pending);
        QCOMPARE(state(dep).pendingSinceSecs, start);
        // Another one at start + 60: the period counted across restarts, so it fires.
        m_now = start + 60;
        QVERIFY(job()->runOnce(context(dep)).ok());
        QCOMPARE(state(dep).state, AlertRuleState::Firing);
        QCOMPARE(kpiAlerts(dep).size(), 1);
    }

    void webhookRetriesThenDelivers_silenceHoldsItBack_400IsFinal()
    {
        const QString dep = makeDeployment(0);
        HttpReceiver receiver;
        {
            auto conn = open();
            QVERIFY(conn);
            QVERIFY(AlertRuleStore(*conn).setWebhook(dep, {receiver.url(), true}, m_actor).ok());
        }
        receiver.queue({500, 500, 200});
        log(dep, m_now - 100, 10, 5);
        auto j = job();
        QVERIFY(j->runOnce(context(dep)).ok());
        QCOMPARE(state(dep).state, AlertRuleState::Firing);
        QCOMPARE(receiver.bodies().size(), 3);
        const QJsonObject payload = QJsonDocument::fromJson(receiver.bodies().constLast()).object();
        QVERIFY(payload.value(QStringLiteral("text")).toString().contains(QStringLiteral("FIRING")));
        const QJsonObject m = payload.value(QStringLiteral("mldeck")).toObject();
        QCOMPARE(m.value(QStringLiteral("event")).toString(), QStringLiteral("firing"));
        QCOMPARE(m.value(QStringLiteral("rule_id")).toString(), QStringLiteral("failure_rate"));
        QCOMPARE(m.value(QStringLiteral("value")).toDouble(), 0.5);
        QCOMPARE(m.value(QStringLiteral("alert_id")).toInteger(), kpiAlerts(dep)[0].id);
        {
            auto conn = open();
            QVERIFY(conn);
            const auto d = AlertRuleStore(*conn).deliveries(dep);
            QVERIFY(d.ok());
            QCOMPARE(d->size(), 3); // newest first
            QCOMPARE(d->at(0).attempt, 3);
            QVERIFY(d->at(0).delivered);
            QCOMPARE(d->at(0).httpStatus, 200);
            QCOMPARE(d->at(2).httpStatus, 500);
            QVERIFY(!d->at(2).delivered);
            QVERIFY(d->at(2).error.contains(QStringLiteral("500")));
            QCOMPARE(d->at(0).deliveryId, d->at(2).deliveryId);
            QCOMPARE(d->at(0).event, QStringLiteral("firing"));
        }

        // Silenced: resolving sends nothing.
        {
            auto conn = open();
            QVERIFY(conn);
            QVERIFY(AlertStore(*conn)
                        .silence(kpiAlerts(dep)[0].id, QDateTime::currentDateTimeUtc().addSecs(3600), m_actor,
                                 QStringLiteral("maintenance"))
                        .ok());
        }
        log(dep, m_now - 20, 1000, 0);
        m_now += 15;
        QVERIFY(j->runOnce(context(dep)).ok());
        QCOMPARE(state(dep).state, AlertRuleState::Resolved);
        QCOMPARE(receiver.bodies().size(), 3);

        // A 400 is the receiver refusing the request: one attempt, not retried.
        receiver.queue({400, 200, 200});
        log(dep, m_now - 10, 2000, 2000);
        m_now += 15;
        QVERIFY(j->runOnce(context(dep)).ok());
        QCOMPARE(state(dep).state, AlertRuleState::Firing);
        QCOMPARE(receiver.bodies().size(), 4);
        auto conn = open();
        QVERIFY(conn);
        const auto d = AlertRuleStore(*conn).deliveries(dep);
        QCOMPARE(d->size(), 4);
        QCOMPARE(d->at(0).httpStatus, 400);
        QVERIFY(!d->at(0).delivered);
        QCOMPARE(d->at(0).attempt, 1);

        // A resolve that is not silenced is sent.
        log(dep, m_now - 5, 50000, 0);
        m_now += 15;
        QVERIFY(j->runOnce(context(dep)).ok());
        QCOMPARE(receiver.bodies().size(), 5);
        QCOMPARE(QJsonDocument::fromJson(receiver.bodies().constLast())
                     .object()
                     .value(QStringLiteral("mldeck"))
                     .toObject()
                     .value(QStringLiteral("event"))
                     .toString(),
                 QStringLiteral("resolved"));
    }

    void unreachableWebhookIsRecordedAndDoesNotFailTheJob()
    {
        const QString dep = makeDeployment(0);
        {
            auto conn = open();
            QVERIFY(conn);
            // A port nothing listens on: connection refused, retried, recorded.
            QVERIFY(
                AlertRuleStore(*conn).setWebhook(dep, {QStringLiteral("http://127.0.0.1:1/hook"), true}, m_actor).ok());
        }
        log(dep, m_now - 100, 10, 10);
        auto j = job();
        QVERIFY(j->runOnce(context(dep)).ok());
        auto conn = open();
        QVERIFY(conn);
        const auto d = AlertRuleStore(*conn).deliveries(dep);
        QCOMPARE(d->size(), 3);
        for (const WebhookDelivery &x : *d) {
            QCOMPARE(x.httpStatus, 0);
            QVERIFY(!x.delivered);
            QVERIFY(!x.error.isEmpty());
        }
    }

    void badRulesAndWebhooksChangeNothing()
    {
        const QString dep = makeDeployment(30);
        auto conn = open();
        QVERIFY(conn);
        AlertRuleStore store(*conn);
        AlertRule bad = AlertRule::defaultFor(AlertRule::Metric::FailureRate);
        bad.threshold = 5; // 500 %
        QVERIFY(!store.saveRule(dep, bad, m_actor).ok());
        QCOMPARE(store.rules(dep).value()[0].threshold, 0.20);
        QVERIFY(
            !store
                 .saveRule(QStringLiteral("no-such-deployment"), AlertRule::defaultFor(AlertRule::Metric::Mae), m_actor)
                 .ok());
        QVERIFY(!store.setWebhook(dep, {QStringLiteral("ftp://x/"), true}, m_actor).ok());
        QVERIFY(!store.webhook(dep).value().has_value());
        QVERIFY(!store.setWebhook(dep, {QString(), false}, m_actor).ok()); // nothing to turn off
        // Rule changes are audited.
        const auto audited = test::query(*conn,
                                         QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE deployment = $1 "
                                                        "AND action = 'alert_rule.set' AND actor_os = 'tester'"),
                                         {dep});
        QCOMPARE(audited->at(0).at(0),
                 QString::number(AlertRule::defaults().size())); // makeDeployment saves each default
        // The webhook audit row never carries the URL's path (it may hold a token).
        QVERIFY(
            store.setWebhook(dep, {QStringLiteral("https://hooks.example.com/services/SECRET"), true}, m_actor).ok());
        const auto row = test::query(*conn,
                                     QStringLiteral("SELECT after::text FROM mldeck.audit_log WHERE deployment = $1 "
                                                    "AND action = 'alert_webhook.set'"),
                                     {dep});
        QVERIFY(!row->at(0).at(0).contains(QStringLiteral("SECRET")));
        QVERIFY(store.setWebhook(dep, {QString(), false}, m_actor).ok()); // --off keeps the URL
        QCOMPARE(store.webhook(dep).value()->url, QStringLiteral("https://hooks.example.com/services/SECRET"));
        QVERIFY(!store.webhook(dep).value()->enabled);
    }

    // A running guard (one job, kept between rounds) sees a rule edited, added or deleted in between
    // two rounds at the second: rules are read every round, nothing is cached.
    void aRuleChangedBetweenRoundsAppliesAtTheNextRound()
    {
        const QString dep = makeDeployment(0);
        log(dep, m_now - 100, 100, 50); // 50 % failed
        auto conn = open();
        QVERIFY(conn);
        AlertRuleStore store(*conn);
        AlertRule rule = AlertRule::defaultFor(AlertRule::Metric::FailureRate);
        rule.pendingSeconds = 0;
        rule.threshold = 0.9;
        QVERIFY(store.saveRule(dep, rule, m_actor).ok());
        auto j = job();
        QVERIFY2(j->runOnce(context(dep)).ok(), qPrintable(j->lastSummary()));
        QCOMPARE(state(dep).state, AlertRuleState::Inactive); // 50 % is not above 90 %

        rule.threshold = 0.3; // edited between two rounds
        QVERIFY(store.saveRule(dep, rule, m_actor).ok());
        m_now += 15;
        QVERIFY(j->runOnce(context(dep)).ok());
        QCOMPARE(state(dep).state, AlertRuleState::Firing);

        // A rule of the deployment's own fires from the round after it was added ...
        AlertRule own = AlertRule::defaultFor(AlertRule::Metric::FailureRate);
        own.id = QStringLiteral("failure_rate_low");
        own.threshold = 0.1;
        own.pendingSeconds = 0;
        own.severity = QStringLiteral("warning");
        QVERIFY(store.saveRule(dep, own, m_actor).ok());
        m_now += 15;
        QVERIFY(j->runOnce(context(dep)).ok());
        QCOMPARE(state(dep, own.id).state, AlertRuleState::Firing);
        const auto openAlert = [&](const QString &key) {
            for (const Alert &a : kpiAlerts(dep))
                if (a.dedupKey == key && !a.resolved())
                    return true;
            return false;
        };
        QVERIFY(openAlert(own.id));

        // ... and once deleted, its alert resolves, its state goes and the next round skips it.
        QCOMPARE(store.deleteRule(dep, own.id, m_actor).value(), true);
        QVERIFY(!openAlert(own.id));
        QVERIFY(!store.states(dep).value().contains(own.id));
        m_now += 15;
        QVERIFY(j->runOnce(context(dep)).ok());
        QVERIFY(!store.states(dep).value().contains(own.id));
        QVERIFY(!j->lastSummary().contains(own.id));
        QCOMPARE(store.deleteRule(dep, own.id, m_actor).value(), false); // nothing left to delete

        // A built-in rule is reset, never deleted.
        QVERIFY(!store.deleteRule(dep, QStringLiteral("failure_rate"), m_actor).ok());
        const auto audit =
            test::query(*conn,
                        QStringLiteral("SELECT before ->> 'threshold', after IS NULL FROM mldeck.audit_log "
                                       "WHERE deployment = $1 AND action = 'alert_rule.delete'"),
                        {dep});
        QVERIFY2(audit.ok(), qPrintable(audit.errorMessage()));
        QCOMPARE(audit->size(), 1);
        QCOMPARE(audit->at(0), (QStringList{QStringLiteral("0.1"), QStringLiteral("t")}));

        // Reset: the stored rule goes, the audit row's after is the default it falls back to.
        QCOMPARE(store.resetRule(dep, QStringLiteral("failure_rate"), m_actor).value(), true);
        const auto reset =
            test::query(*conn,
                        QStringLiteral("SELECT before ->> 'threshold', after ->> 'threshold' FROM mldeck.audit_log "
                                       "WHERE deployment = $1 AND action = 'alert_rule.reset'"),
                        {dep});
        QCOMPARE(reset->size(), 1);
        QCOMPARE(reset->at(0), (QStringList{QStringLiteral("0.3"), QStringLiteral("0.2")}));
    }
};

QTEST_GUILESS_MAIN(TestKpiAlertGuard)
#include "test_kpi_alert_guard.moc"

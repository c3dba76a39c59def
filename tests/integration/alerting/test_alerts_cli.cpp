#include "HttpReceiver.h"

#include "core/domain/FeatureSchema.h"
#include "core/store/pg/AlertRuleStore.h"
#include "core/store/pg/AlertStore.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSignalSpy>
#include <QTest>

using namespace mldeck;
using namespace mldeck::test;

// `mldeckctl alerts ...` end to end: exit codes, bad input changes nothing, audited changes, the
// webhook test against a local receiver (served by this process's event loop while we wait).
class TestAlertsCli final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    QString m_dep;

    struct Run
    {
        int code = -1;
        QString out, err;
    };
    Run ctl(const QStringList &args)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("MLDECK_PG_URL"), m_db->endpoint().toUrl(true));
        p.setProcessEnvironment(env);
        QSignalSpy finished(&p, &QProcess::finished);
        p.start(qEnvironmentVariable("MLDECK_BINARY_DIR") + QStringLiteral("/app/mldeckctl/mldeckctl"),
                QStringList{QStringLiteral("alerts")} + args);
        // Wait with the event loop running: the webhook receiver lives on this thread.
        if (!finished.wait(60000)) {
            MLDECK_FAIL_IN_HELPER(QStringLiteral("mldeckctl did not finish within 60 s: alerts ") + args.join(u' '));
            p.kill();
            p.waitForFinished();
            return {-1, {}, QStringLiteral("did not finish")};
        }
        return {p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()),
                QString::fromUtf8(p.readAllStandardError())};
    }

    QString count(const QString &sql)
    {
        const auto r = test::query(*m_conn, sql, {m_dep});
        return r ? r->at(0).at(0) : r.errorMessage();
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("alertscli"));
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test"));
        QVERIFY(conn.ok());
        m_conn = std::move(conn).value();
        QVERIFY(Migrator::migrate(*m_conn).ok());
        m_dep = uniqueName(QStringLiteral("alertscli"));
        FeatureSchema schema;
        schema.features.push_back({QStringLiteral("x"), FeatureSpec::Kind::Numeric, {}});
        QVERIFY(DeploymentStore(*m_conn).ensure(m_dep, {}, schema).ok());
    }

    void rules()
    {
        Run r = ctl({QStringLiteral("rules"), QStringLiteral("--deployment"), m_dep, QStringLiteral("--json")});
        QCOMPARE(r.code, 0);
        const QJsonArray rules =
            QJsonDocument::fromJson(r.out.toUtf8()).object().value(QStringLiteral("rules")).toArray();
        QCOMPARE(rules.size(), 6);
        QCOMPARE(
            rules[0].toObject().value(QStringLiteral("status")).toObject().value(QStringLiteral("state")).toString(),
            QStringLiteral("inactive"));

        r = ctl({QStringLiteral("rules"), QStringLiteral("set"), QStringLiteral("--deployment"), m_dep,
                 QStringLiteral("--rule"), QStringLiteral("failure_rate"), QStringLiteral("--threshold"),
                 QStringLiteral("0.3"), QStringLiteral("--for"), QStringLiteral("60"), QStringLiteral("--reason"),
                 QStringLiteral("noisy")});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.contains(QStringLiteral("30.0 %")));
        QCOMPARE(count(QStringLiteral(
                     "SELECT count(*) FROM mldeck.audit_log WHERE deployment = $1 AND action = 'alert_rule.set' "
                     "AND reason = 'noisy'")),
                 QStringLiteral("1"));
        // Bad values: exit 2, clear message, nothing changed.
        for (const QStringList &bad : {QStringList{QStringLiteral("--threshold"), QStringLiteral("30")},
                                       QStringList{QStringLiteral("--for"), QStringLiteral("ten")},
                                       QStringList{QStringLiteral("--window"), QStringLiteral("5")},
                                       QStringList{QStringLiteral("--enable"), QStringLiteral("--disable")}}) {
            r = ctl(QStringList{QStringLiteral("rules"), QStringLiteral("set"), QStringLiteral("--deployment"), m_dep,
                                QStringLiteral("--rule"), QStringLiteral("failure_rate")} +
                    bad);
            QCOMPARE(r.code, 2);
            QVERIFY(!r.err.trimmed().isEmpty());
        }
        r = ctl({QStringLiteral("rules"), QStringLiteral("set"), QStringLiteral("--deployment"), m_dep,
                 QStringLiteral("--rule"), QStringLiteral("nope"), QStringLiteral("--threshold"), QStringLiteral("1")});
        QCOMPARE(r.code, 2);
        QVERIFY(r.err.contains(QStringLiteral("--metric")));
        QCOMPARE(AlertRuleStore(*m_conn).rules(m_dep).value()[0].threshold, 0.3);
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM mldeck.alert_rules WHERE deployment = $1")),
                 QStringLiteral("1"));
        r = ctl({QStringLiteral("rules"), QStringLiteral("set"), QStringLiteral("--deployment"), m_dep,
                 QStringLiteral("--rule"), QStringLiteral("failure_rate"), QStringLiteral("--reset")});
        QCOMPARE(r.code, 0);
        QCOMPARE(AlertRuleStore(*m_conn).rules(m_dep).value()[0].threshold, 0.2);

        // A rule of the deployment's own: added, then deleted (a built-in rule is reset, never deleted).
        const QStringList set{QStringLiteral("rules"), QStringLiteral("set"), QStringLiteral("--deployment"), m_dep,
                              QStringLiteral("--rule")};
        r = ctl(set + QStringList{QStringLiteral("slow_p95"), QStringLiteral("--metric"),
                                  QStringLiteral("latency_p95_ms"), QStringLiteral("--threshold"),
                                  QStringLiteral("900")});
        QCOMPARE(r.code, 0);
        r = ctl(set + QStringList{QStringLiteral("slow_p95"), QStringLiteral("--reset")});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(QStringLiteral("delete it")), qPrintable(r.err));
        r = ctl(set + QStringList{QStringLiteral("failure_rate"), QStringLiteral("--delete")});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(QStringLiteral("built in")), qPrintable(r.err));
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM mldeck.alert_rules WHERE deployment = $1")),
                 QStringLiteral("1"));
        r = ctl(set + QStringList{QStringLiteral("slow_p95"), QStringLiteral("--delete"), QStringLiteral("--reason"),
                                  QStringLiteral("too noisy")});
        QCOMPARE(r.code, 0);
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM mldeck.alert_rules WHERE deployment = $1")),
                 QStringLiteral("0"));
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE deployment = $1 AND action = "
                                      "'alert_rule.delete' AND reason = 'too noisy' AND before ->> 'id' = 'slow_p95'")),
                 QStringLiteral("1"));
        r = ctl(set + QStringList{QStringLiteral("slow_p95"), QStringLiteral("--delete")});
        QCOMPARE(r.code, 2); // nothing left to delete
    }

    // A resolve threshold and keep-firing time set, shown (text and JSON), refused on the wrong side, cleared.
    void rulesHysteresis()
    {
        const QStringList set{QStringLiteral("rules"),        QStringLiteral("set"),
                              QStringLiteral("--deployment"), m_dep,
                              QStringLiteral("--rule"),       QStringLiteral("failure_rate")};
        Run r = ctl(set + QStringList{QStringLiteral("--resolve"), QStringLiteral("0.1"),
                                      QStringLiteral("--keep-firing"), QStringLiteral("300")});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains(QStringLiteral("resolves at ≤ 10.0 % for 300 s")), qPrintable(r.out));
        const auto failureRate = [this] {
            const Run list =
                ctl({QStringLiteral("rules"), QStringLiteral("--deployment"), m_dep, QStringLiteral("--json")});
            for (const QJsonValue &v :
                 QJsonDocument::fromJson(list.out.toUtf8()).object().value(QStringLiteral("rules")).toArray())
                if (v.toObject().value(QStringLiteral("id")).toString() == QLatin1String("failure_rate"))
                    return v.toObject();
            return QJsonObject();
        };
        QJsonObject rule = failureRate();
        QCOMPARE(rule.value(QStringLiteral("resolve_threshold")).toDouble(), 0.1);
        QCOMPARE(rule.value(QStringLiteral("keep_firing_seconds")).toInt(), 300);
        QVERIFY(rule.value(QStringLiteral("status")).toObject().contains(QStringLiteral("clearing_since")));
        r = ctl({QStringLiteral("rules"), QStringLiteral("--deployment"), m_dep});
        QVERIFY2(r.out.contains(QStringLiteral("resolves at ≤ 10.0 % for 300 s")), qPrintable(r.out));

        // On the wrong side of "> 20 %", or not a number: exit 2, nothing changed.
        for (const QStringList &bad : {QStringList{QStringLiteral("--resolve"), QStringLiteral("0.5")},
                                       QStringList{QStringLiteral("--resolve"), QStringLiteral("low")},
                                       QStringList{QStringLiteral("--keep-firing"), QStringLiteral("-1")}}) {
            r = ctl(set + bad);
            QCOMPARE(r.code, 2);
            QVERIFY(!r.err.trimmed().isEmpty());
        }
        QVERIFY2(ctl(set + QStringList{QStringLiteral("--resolve"), QStringLiteral("0.5")})
                     .err.contains(QStringLiteral("at or below")),
                 "the refusal names the side");
        QCOMPARE(AlertRuleStore(*m_conn).rules(m_dep).value()[0].resolveThreshold, std::optional<double>(0.1));

        r = ctl(set + QStringList{QStringLiteral("--resolve"), QStringLiteral("none")});
        QCOMPARE(r.code, 0);
        rule = failureRate();
        QVERIFY(rule.value(QStringLiteral("resolve_threshold")).isNull());
        QCOMPARE(rule.value(QStringLiteral("keep_firing_seconds")).toInt(), 300);
        QCOMPARE(ctl(set + QStringList{QStringLiteral("--reset")}).code, 0);
    }

    void listAckSilence()
    {
        const auto raised =
            AlertStore(*m_conn).raise(m_dep, QStringLiteral("kpi"), QStringLiteral("critical"),
                                      QStringLiteral("failure_rate"), QStringLiteral("Failure rate > 20.0 %"), {});
        QVERIFY(raised.ok());
        const QString id = QString::number(raised->id);
        Run r = ctl({QStringLiteral("list"), QStringLiteral("--deployment"), m_dep, QStringLiteral("--json")});
        QCOMPARE(r.code, 0);
        const QJsonArray list = QJsonDocument::fromJson(r.out.toUtf8()).array();
        QCOMPARE(list.size(), 1);
        QCOMPARE(list[0].toObject().value(QStringLiteral("state")).toString(), QStringLiteral("firing"));
        QCOMPARE(ctl({QStringLiteral("ack"), id, QStringLiteral("--reason"), QStringLiteral("on it")}).code, 0);
        QCOMPARE(ctl({QStringLiteral("silence"), id, QStringLiteral("--for"), QStringLiteral("soon")}).code, 2);
        QCOMPARE(ctl({QStringLiteral("silence"), id, QStringLiteral("--until"), QStringLiteral("2001-01-01T00:00:00Z")})
                     .code,
                 1);
        QCOMPARE(ctl({QStringLiteral("silence"), id}).code, 2);
        QCOMPARE(ctl({QStringLiteral("ack"), QStringLiteral("abc")}).code, 2);
        QCOMPARE(ctl({QStringLiteral("silence"), id, QStringLiteral("--for"), QStringLiteral("2h")}).code, 0);
        r = ctl({QStringLiteral("list"), QStringLiteral("--deployment"), m_dep});
        QVERIFY2(r.out.contains(QStringLiteral("silenced")), qPrintable(r.out));
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE deployment = $1 AND action IN "
                                      "('alert.acknowledge', 'alert.silence')")),
                 QStringLiteral("2"));
    }

    void webhook()
    {
        HttpReceiver receiver;
        Run r = ctl({QStringLiteral("webhook"), QStringLiteral("test"), QStringLiteral("--deployment"), m_dep});
        QCOMPARE(r.code, 2); // none set
        QCOMPARE(ctl({QStringLiteral("webhook"), QStringLiteral("set"), QStringLiteral("--deployment"), m_dep,
                      QStringLiteral("gopher://x")})
                     .code,
                 2);
        QCOMPARE(ctl({QStringLiteral("webhook"), QStringLiteral("set"), QStringLiteral("--deployment"), m_dep,
                      receiver.url()})
                     .code,
                 0);
        receiver.queue({503, 200});
        r = ctl({QStringLiteral("webhook"), QStringLiteral("test"), QStringLiteral("--deployment"), m_dep,
                 QStringLiteral("--json")});
        QCOMPARE(r.code, 0);
        const QJsonObject o = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QVERIFY(o.value(QStringLiteral("delivered")).toBool());
        QCOMPARE(o.value(QStringLiteral("attempts")).toArray().size(), 2);
        QCOMPARE(receiver.bodies().size(), 2);
        QCOMPARE(QJsonDocument::fromJson(receiver.bodies()[1])
                     .object()
                     .value(QStringLiteral("mldeck"))
                     .toObject()
                     .value(QStringLiteral("event"))
                     .toString(),
                 QStringLiteral("test"));
        QCOMPARE(count(QStringLiteral(
                     "SELECT count(*) FROM mldeck.webhook_deliveries WHERE deployment = $1 AND event = 'test'")),
                 QStringLiteral("2"));
        receiver.queue({404});
        QCOMPARE(ctl({QStringLiteral("webhook"), QStringLiteral("test"), QStringLiteral("--deployment"), m_dep}).code,
                 1);
        QCOMPARE(receiver.bodies().size(), 3);
        QCOMPARE(ctl({QStringLiteral("webhook"), QStringLiteral("set"), QStringLiteral("--deployment"), m_dep,
                      QStringLiteral("--off")})
                     .code,
                 0);
        QVERIFY(!AlertRuleStore(*m_conn).webhook(m_dep).value()->enabled);
    }
};

QTEST_GUILESS_MAIN(TestAlertsCli)
#include "test_alerts_cli.moc"

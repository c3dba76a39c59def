#include "core/services/KpiService.h"
#include "core/services/metrics/MetricsCollector.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/PredictionLog.h"
#include "core/store/pg/StandbyStatus.h"
#include "tests/support/PgSql.h"
#include "tests/support/PgStandbyPair.h"
#include "tests/support/SignalArgs.h"
#include "tests/support/TestServers.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>

using namespace mldeck;

// The dashboard's reads on a hot standby: they never reach the primary, their lag is measured (an idle
// primary is no lag, a paused replay is) and a lagging standby's figures are marked stale; a stopped
// standby sends the reads to the primary with a notice until it answers again.
class TestReadReplica final : public QObject
{
    Q_OBJECT

    test::PgStandbyPair m_pair;
    std::unique_ptr<PgConnection> m_primary;
    QString m_deployment;
    int m_schema = 1;
    int m_seq = 0;

    void logNow(int n)
    {
        std::vector<PredictionRow> rows;
        const qint64 at = QDateTime::currentMSecsSinceEpoch() * 1000 - 2'000'000; // inside a live range
        for (int i = 0; i < n; ++i) {
            PredictionRow r;
            r.tsMicros = at - i * 1000;
            r.deployment = m_deployment;
            r.requestKey = QStringLiteral("k%1").arg(++m_seq);
            r.path = PredictionPath::Heuristic;
            r.predicted = 3.0;
            r.latencyMs = 2;
            r.featureSchema = m_schema;
            rows.push_back(r);
        }
        const Status s = PredictionLog(*m_primary).appendPredictions(rows);
        QVERIFY2(s.ok(), qPrintable(s.errorMessage()));
    }

    KpiQuery lastHour() const
    {
        return *KpiQuery::lastRange(m_deployment, QStringLiteral("1h"), QDateTime::currentSecsSinceEpoch());
    }

    // A KPI service whose reads go to the pair's standby.
    void setUp(KpiService &svc, int maxLagSeconds = ReadReplica::kDefaultMaxLagSeconds)
    {
        svc.setAutoRefreshMs(0);
        svc.setEndpoint(m_pair.primary());
        PgEndpoint standby = m_pair.standby();
        standby.password.clear(); // the primary's, as a profile keeps it
        svc.setReadReplica(ReadReplica{standby, maxLagSeconds});
    }

    // One request and its answer.
    static Result<KpiSnapshot> answer(KpiService &svc, const std::function<void()> &request)
    {
        QSignalSpy read(&svc, &KpiService::snapshotRead);
        request();
        if (!read.wait(20000))
            return Error{QStringLiteral("no answer in 20 s")};
        return test::signalArg<Result<KpiSnapshot>>(read.first().at(0));
    }

    static int countMatches(QRegularExpressionMatchIterator it)
    {
        int n = 0;
        while (it.hasNext()) {
            it.next();
            ++n;
        }
        return n;
    }

    // Statements a server logged for a session of this application name ("[name] LOG:  statement: ...").
    static int statements(const QString &log, const QString &applicationName)
    {
        const QRegularExpression line(
            QStringLiteral("^\\[%1\\] LOG:  statement: ").arg(QRegularExpression::escape(applicationName)),
            QRegularExpression::MultilineOption);
        return countMatches(line.globalMatch(log));
    }

    // `mldeckctl <args>` with the primary in MLDECK_PG_URL and the standby (no password) in --pg-read.
    QJsonObject ctlJson(const QStringList &args, QByteArray *text = nullptr)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("MLDECK_PG_URL"), m_pair.primary().toUrl(true));
        env.remove(QStringLiteral("MLDECK_PG_READ_URL"));
        p.setProcessEnvironment(env);
        PgEndpoint standby = m_pair.standby();
        standby.password.clear();
        p.start(qEnvironmentVariable("MLDECK_BINARY_DIR") + QStringLiteral("/app/mldeckctl/mldeckctl"),
                args + QStringList{QStringLiteral("--pg-read"), standby.toUrl()});
        if (!p.waitForFinished(60000))
            return {};
        const QByteArray out = p.readAllStandardOutput();
        if (text)
            *text = out + p.readAllStandardError();
        return QJsonDocument::fromJson(out).object();
    }

private Q_SLOTS:
    void initTestCase()
    {
        QString why;
        QVERIFY2(m_pair.start(&why), qPrintable(why));
        auto conn = PgConnection::open(m_pair.primary(), QStringLiteral("test-writer"));
        QVERIFY2(conn.ok(), qPrintable(conn.errorMessage()));
        m_primary = std::move(conn).value();
        QVERIFY(Migrator::migrate(*m_primary).ok());
        m_deployment = test::uniqueName(QStringLiteral("eta"));
        auto schema = DeploymentStore(*m_primary).ensure(m_deployment, QString(), FeatureSchema{});
        QVERIFY(schema.ok());
        m_schema = schema.value();
        logNow(50);
        QVERIFY2(m_pair.waitReplayed(20000, &why), qPrintable(why));
    }

    void dashboardReadsNeverReachThePrimary()
    {
        const int before = statements(m_pair.primaryLog(), QStringLiteral("mldeck-kpi"));
        {
            KpiService svc;
            setUp(svc);
            QSignalSpy listed(&svc, &PgService::deploymentsListed);
            svc.listDeployments(); // the page's selector
            QVERIFY(listed.wait(20000));
            QVERIFY(test::signalArg<Result<QStringList>>(listed.first().at(0))->contains(m_deployment));
            QSignalSpy sources(&svc, &PgService::readSourceChanged);
            const auto loaded = answer(svc, [&] { svc.load(lastHour()); });
            QVERIFY2(loaded.ok(), qPrintable(loaded.errorMessage()));
            QCOMPARE(loaded->overall.predictions, 50);
            const auto refreshed = answer(svc, [&] { svc.refreshNow(); });
            QVERIFY2(refreshed.ok(), qPrintable(refreshed.errorMessage()));
            QCOMPARE(sources.count(), 2); // each read says where it was served, before its own signal
            const ReadSource &source = svc.readSource();
            QVERIFY(source.server == ReadSource::Server::Standby);
            QVERIFY(!source.fellBack());
            QVERIFY(!source.stale());
            QCOMPARE(source.where, m_pair.standby().display());
            QVERIFY(source.describe().startsWith(QStringLiteral("read from the standby")));
        }
        // Every statement is logged before it runs: the standby served the dashboard, the primary saw none of it
        // (neither a session of the read worker nor one of its primary worker).
        QVERIFY(statements(m_pair.standbyLog(), QStringLiteral("mldeck-kpi-read")) > 0);
        QCOMPARE(statements(m_pair.primaryLog(), QStringLiteral("mldeck-kpi-read")), 0);
        QCOMPARE(statements(m_pair.primaryLog(), QStringLiteral("mldeck-kpi")), before);

        // The control: without a replica the same reads are logged on the primary (the counter can move).
        KpiService direct;
        direct.setAutoRefreshMs(0);
        direct.setEndpoint(m_pair.primary());
        const auto loaded = answer(direct, [&] { direct.load(lastHour()); });
        QVERIFY2(loaded.ok(), qPrintable(loaded.errorMessage()));
        QVERIFY(statements(m_pair.primaryLog(), QStringLiteral("mldeck-kpi")) > before);
        QVERIFY(!direct.readSource().replicaConfigured);
        QVERIFY(direct.readSource().describe().isEmpty());
    }

    void anIdlePrimaryIsNoLag()
    {
        // Nothing is written: the time since the last replayed commit grows, the lag does not.
        auto standby = PgConnection::open(m_pair.standby(), QStringLiteral("test-lag"));
        QVERIFY2(standby.ok(), qPrintable(standby.errorMessage()));
        Result<StandbyStatus> status = Error{QString()};
        QTRY_VERIFY_WITH_TIMEOUT((status = readStandbyStatus(**standby)).ok() && status->caughtUp &&
                                     status->sinceLastReplaySeconds.value_or(0) > 1.5,
                                 15000);
        QVERIFY(status->inRecovery);
        QCOMPARE(*status->lagSeconds(), 0.0);
        // What the lag check adds to every read on the standby: one round trip (printed for the doc).
        QElapsedTimer clock;
        clock.start();
        for (int i = 0; i < 50; ++i)
            QVERIFY(readStandbyStatus(**standby).ok());
        qInfo("lag check: %.3f ms per read (mean of 50)", double(clock.nsecsElapsed()) / 1e6 / 50);

        KpiService svc;
        setUp(svc, 1);
        QVERIFY(answer(svc, [&] { svc.load(lastHour()); }).ok());
        QVERIFY(svc.readSource().server == ReadSource::Server::Standby);
        QCOMPARE(*svc.readSource().lagSeconds, 0.0);
        QVERIFY(!svc.readSource().stale());
    }

    void aLaggingStandbyIsMarkedStale()
    {
        auto standby = PgConnection::open(m_pair.standby(), QStringLiteral("test-lag"));
        QVERIFY2(standby.ok(), qPrintable(standby.errorMessage()));
        KpiService svc;
        setUp(svc, 1);
        const auto before = answer(svc, [&] { svc.load(lastHour()); });
        QVERIFY2(before.ok(), qPrintable(before.errorMessage()));

        QVERIFY(test::exec(**standby, QStringLiteral("SELECT pg_wal_replay_pause()")).ok());
        logNow(5);
        // The write reached the standby but is not replayed.
        QTRY_VERIFY_WITH_TIMEOUT(test::queryValue(**standby, QStringLiteral("SELECT pg_last_wal_receive_lsn() > "
                                                                            "pg_last_wal_replay_lsn()")) ==
                                     QStringLiteral("t"),
                                 15000);
        // The lag (time since the last replayed commit) passes 1 s: the figures are stale, and they are the
        // standby's (without the 5 new rows).
        Result<KpiSnapshot> stale = Error{QString()};
        QTRY_VERIFY_WITH_TIMEOUT((stale = answer(svc, [&] { svc.refreshNow(); })).ok() && svc.readSource().stale(),
                                 15000);
        QCOMPARE(stale->overall.predictions, before->overall.predictions);
        QVERIFY(svc.readSource().server == ReadSource::Server::Standby);
        QVERIFY(*svc.readSource().lagSeconds > 1.0);
        QVERIFY2(svc.readSource().describe().contains(QStringLiteral("STALE")),
                 qPrintable(svc.readSource().describe()));

        QVERIFY(test::exec(**standby, QStringLiteral("SELECT pg_wal_replay_resume()")).ok());
        QString why;
        QVERIFY2(m_pair.waitReplayed(15000, &why), qPrintable(why));
        Result<KpiSnapshot> live = Error{QString()};
        QTRY_VERIFY_WITH_TIMEOUT((live = answer(svc, [&] { svc.refreshNow(); })).ok() && !svc.readSource().stale(),
                                 15000);
        QCOMPARE(live->overall.predictions, before->overall.predictions + 5);
    }

    void cliSaysWhereItRead()
    {
        QString why;
        QVERIFY2(m_pair.waitReplayed(15000, &why), qPrintable(why));
        const QStringList kpi{QStringLiteral("kpi"), QStringLiteral("--deployment"), m_deployment,
                              QStringLiteral("--json")};
        const QJsonObject json = ctlJson(kpi);
        const QJsonObject source = json.value(QStringLiteral("read_source")).toObject();
        QCOMPARE(source.value(QStringLiteral("server")).toString(), QStringLiteral("standby"));
        QCOMPARE(source.value(QStringLiteral("where")).toString(), m_pair.standby().display());
        QCOMPARE(source.value(QStringLiteral("stale")).toBool(true), false);
        QCOMPARE(source.value(QStringLiteral("max_lag_seconds")).toInt(), ReadReplica::kDefaultMaxLagSeconds);
        QVERIFY(json.value(QStringLiteral("overall")).toObject().value(QStringLiteral("predictions")).toInt() >= 55);
        QVERIFY(statements(m_pair.standbyLog(), QStringLiteral("mldeckctl-kpi-read")) > 0);
        QCOMPARE(statements(m_pair.primaryLog(), QStringLiteral("mldeckctl-kpi-read")), 0);
        QByteArray text;
        ctlJson({QStringLiteral("kpi"), QStringLiteral("--deployment"), m_deployment}, &text);
        QVERIFY2(text.contains(QByteArray("read from the standby " + m_pair.standby().display().toUtf8() + ", lag")),
                 text.constData());
        const QJsonObject status = ctlJson({QStringLiteral("status"), QStringLiteral("--json")});
        QCOMPARE(status.value(QStringLiteral("readReplica")).toObject().value(QStringLiteral("server")).toString(),
                 QStringLiteral("standby"));
    }

    void metricsScrapesReadTheStandby()
    {
        PgEndpoint standby = m_pair.standby();
        standby.password.clear();
        MetricsCollector collector(
            MetricsCollector::Options{RedisEndpoint{}, m_pair.primary(), {m_deployment}, ReadReplica{standby, 30}});
        ExporterProcessState leader;
        leader.leader = true;
        const auto scrape = collector.collect(leader, QDateTime::currentSecsSinceEpoch());
        QVERIFY2(scrape.text.contains("mldeck_read_replica_fallback 0"), scrape.text.constData());
        QVERIFY(scrape.text.contains("mldeck_read_replica_lag_seconds "));
        QVERIFY(scrape.text.contains("mldeck_predictions_total{"));
        QVERIFY(statements(m_pair.standbyLog(), QStringLiteral("mldeck-metrics-read")) > 0);
        QCOMPARE(statements(m_pair.primaryLog(), QStringLiteral("mldeck-metrics-read")), 0);
        QCOMPARE(statements(m_pair.primaryLog(), QStringLiteral("mldeck-metrics")), 0);
    }

    // Outcomes written outside READ COMMITTED are queued for kpi_apply_pending(), which only the primary can run:
    // a read on the standby says how many its figures miss, and the reader has them applied on the primary.
    void outcomesQueuedOnThePrimaryAreNotCountedAsLive()
    {
        auto writer = PgConnection::open(m_pair.primary(), QStringLiteral("test-rr-writer"));
        QVERIFY2(writer.ok(), qPrintable(writer.errorMessage()));
        QVERIFY(test::exec(**writer, QStringLiteral("SET default_transaction_isolation = 'repeatable read'")).ok());
        const QString queued =
            QStringLiteral("SELECT count(*) FROM mldeck.kpi_pending_outcomes WHERE deployment = '%1'")
                .arg(m_deployment);
        int key = 0;
        const auto queue = [&](int n) {
            std::vector<OutcomeRow> outcomes;
            for (int i = 0; i < n; ++i)
                outcomes.push_back(
                    {QDateTime::currentMSecsSinceEpoch() * 1000, m_deployment, QStringLiteral("k%1").arg(++key), 4.0});
            const Status s = PredictionLog(**writer).appendOutcomes(outcomes);
            QVERIFY2(s.ok(), qPrintable(s.errorMessage()));
            QCOMPARE(test::queryValue(*m_primary, queued), QString::number(n));
            QString why;
            QVERIFY2(m_pair.waitReplayed(15000, &why), qPrintable(why));
        };

        // mldeckctl kpi says so, and applies them on the primary.
        queue(3);
        if (QTest::currentTestFailed())
            return;
        const QJsonObject json =
            ctlJson({QStringLiteral("kpi"), QStringLiteral("--deployment"), m_deployment, QStringLiteral("--json")});
        QCOMPARE(json.value(QStringLiteral("outcomes_not_counted")).toInt(-1), 3);
        QCOMPARE(json.value(QStringLiteral("overall")).toObject().value(QStringLiteral("labelled")).toInt(-1), 0);
        QCOMPARE(test::queryValue(*m_primary, queued), QStringLiteral("0"));

        // The dashboard's service: the first read misses them and says so; it has them applied on the primary,
        // and a later read on the standby counts them.
        QString why;
        QVERIFY2(m_pair.waitReplayed(15000, &why), qPrintable(why));
        queue(2);
        if (QTest::currentTestFailed())
            return;
        KpiService svc;
        setUp(svc);
        const auto first = answer(svc, [&] { svc.load(lastHour()); });
        QVERIFY2(first.ok(), qPrintable(first.errorMessage()));
        QVERIFY(svc.readSource().server == ReadSource::Server::Standby);
        QCOMPARE(first->outcomesAwaitingPrimary, qint64(2));
        QCOMPARE(first->overall.labelled, qint64(3));
        Result<KpiSnapshot> later = Error{QString()};
        QTRY_VERIFY_WITH_TIMEOUT(
            (later = answer(svc, [&] { svc.refreshNow(); })).ok() && later->outcomesAwaitingPrimary == 0, 15000);
        QCOMPARE(later->overall.labelled, qint64(5));
        QVERIFY(svc.readSource().server == ReadSource::Server::Standby);
        QCOMPARE(test::queryValue(*m_primary, queued), QStringLiteral("0"));
    }

    void aStoppedStandbySendsReadsToThePrimaryUntilItAnswers()
    {
        KpiService svc;
        setUp(svc);
        QVERIFY(answer(svc, [&] { svc.load(lastHour()); }).ok());
        QVERIFY(svc.readSource().server == ReadSource::Server::Standby);

        QString why;
        QVERIFY2(m_pair.stopStandby(&why), qPrintable(why));
        const int before = statements(m_pair.primaryLog(), QStringLiteral("mldeck-kpi"));
        const auto fallback = answer(svc, [&] { svc.refreshNow(); });
        QVERIFY2(fallback.ok(), qPrintable(fallback.errorMessage())); // no error: the primary answered
        QVERIFY(svc.readSource().fellBack());
        QVERIFY2(svc.readSource().notice().startsWith(QStringLiteral("read replica unreachable: reading from the "
                                                                     "primary")),
                 qPrintable(svc.readSource().notice()));
        QCOMPARE(svc.readSource().where, m_pair.primary().display());
        QVERIFY(statements(m_pair.primaryLog(), QStringLiteral("mldeck-kpi")) > before);
        logNow(3); // the primary's figures follow while the standby is away
        const auto onPrimary = answer(svc, [&] { svc.refreshNow(); });
        QVERIFY2(onPrimary.ok(), qPrintable(onPrimary.errorMessage()));
        QCOMPARE(onPrimary->overall.predictions, fallback->overall.predictions + 3);
        const QJsonObject cli =
            ctlJson({QStringLiteral("kpi"), QStringLiteral("--deployment"), m_deployment, QStringLiteral("--json")});
        const QJsonObject cliSource = cli.value(QStringLiteral("read_source")).toObject();
        QCOMPARE(cliSource.value(QStringLiteral("fell_back")).toBool(), true);
        QVERIFY(cliSource.value(QStringLiteral("notice"))
                    .toString()
                    .startsWith(QStringLiteral("read replica unreachable: reading from the primary")));
        QCOMPARE(cli.value(QStringLiteral("overall")).toObject().value(QStringLiteral("predictions")).toInt(),
                 int(onPrimary->overall.predictions));

        QVERIFY2(m_pair.startStandby(&why), qPrintable(why));
        QElapsedTimer back;
        back.start();
        // Back on the standby after the backoff (1, 2 … s), without anything from the user.
        QTRY_VERIFY_WITH_TIMEOUT(answer(svc, [&] { svc.refreshNow(); }).ok() &&
                                     svc.readSource().server == ReadSource::Server::Standby,
                                 20000);
        QVERIFY(svc.readSource().notice().isEmpty());
        qInfo("back on the standby %lld ms after it was started again", back.elapsed());
    }
};

QTEST_GUILESS_MAIN(TestReadReplica)
#include "test_readreplica.moc"

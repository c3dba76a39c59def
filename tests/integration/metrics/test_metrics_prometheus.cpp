// A real Prometheus (Debian's package, on loopback, scraping every second) scrapes a running
// `mldeckctl guard --listen`: the series pass `promtool check metrics`; PromQL returns the MAE, p95
// and failure rate that `mldeckctl kpi` prints for the same window; every query of the exported
// Grafana dashboard evaluates; the exported alert rules pass `promtool check rules` and the failure
// rule fires during the `errors` scenario; /readyz turns unready while PostgreSQL is frozen.
// SERIAL: it freezes the shared PostgreSQL.
#include "tests/integration/services/FreePort.h"
#include "tests/support/TestServers.h"

#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <QUrlQuery>

#include <cmath>
#include <memory>

using namespace mldeck;

namespace {

struct Run
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

QString mldeckctl()
{
    return qEnvironmentVariable("MLDECK_BINARY_DIR") + QStringLiteral("/app/mldeckctl/mldeckctl");
}

Run run(const QString &program, const QStringList &args, const QByteArray &input = {}, int timeoutMs = 120000)
{
    QProcess p;
    p.start(program, args);
    Run r;
    if (!p.waitForStarted(10000))
        return r;
    if (!input.isEmpty())
        p.write(input);
    p.closeWriteChannel();
    if (!p.waitForFinished(timeoutMs))
        p.kill();
    p.waitForFinished(5000);
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = p.readAllStandardOutput();
    r.err = p.readAllStandardError();
    return r;
}

struct Http
{
    int status = 0;
    QByteArray body;
};

Http get(const QUrl &url, int timeoutMs = 10000)
{
    QNetworkAccessManager nam;
    QNetworkRequest request(url);
    request.setTransferTimeout(timeoutMs);
    std::unique_ptr<QNetworkReply> reply(nam.get(request));
    QEventLoop loop;
    QObject::connect(reply.get(), &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(timeoutMs + 1000, &loop, &QEventLoop::quit);
    loop.exec();
    Http h;
    h.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    h.body = reply->readAll();
    return h;
}

// Kills a child process when the test ends, whatever happens.
struct Child
{
    std::unique_ptr<QProcess> process = std::make_unique<QProcess>();
    ~Child()
    {
        if (process->state() != QProcess::NotRunning && process->processId() > 0) {
            process->terminate();
            if (!process->waitForFinished(5000))
                process->kill();
            process->waitForFinished(5000);
        }
    }
};

// Starts `mldeckctl guard --listen` and returns the base URL it prints (empty after 20 s without it).
QUrl startGuard(QProcess &guard, const QStringList &args)
{
    guard.setProcessChannelMode(QProcess::MergedChannels);
    guard.start(mldeckctl(), QStringList{QStringLiteral("guard")} + args);
    if (!guard.waitForStarted(10000))
        return {};
    static const QRegularExpression listening(QStringLiteral("metrics on (http://127\\.0\\.0\\.1:\\d+)/metrics"));
    QByteArray seen;
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < 20000) {
        guard.waitForReadyRead(200);
        seen += guard.readAll();
        if (const auto m = listening.match(QString::fromUtf8(seen)); m.hasMatch())
            return QUrl(m.captured(1));
    }
    return {};
}

} // namespace

class TestMetricsPrometheus final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<test::ScratchDatabase> m_db;
    QString m_deployment;
    QString m_redis, m_pg;
    Child m_guard, m_prometheus;
    QUrl m_metricsBase, m_promBase;

    QStringList connection() const { return {QStringLiteral("--redis"), m_redis, QStringLiteral("--pg"), m_pg}; }

    // The value of an instant PromQL query with exactly one series; nullopt while there is none.
    std::optional<double> promValue(const QString &query)
    {
        QUrl url = m_promBase.resolved(QUrl(QStringLiteral("/api/v1/query")));
        QUrlQuery q;
        q.addQueryItem(QStringLiteral("query"), query);
        url.setQuery(q);
        const Http h = get(url);
        const QJsonObject o = QJsonDocument::fromJson(h.body).object();
        const QJsonArray result = o.value(QStringLiteral("data")).toObject().value(QStringLiteral("result")).toArray();
        if (h.status != 200 || result.size() != 1)
            return std::nullopt;
        return result.at(0).toObject().value(QStringLiteral("value")).toArray().at(1).toString().toDouble();
    }

    QJsonObject kpi(const QString &range)
    {
        const Run r = run(mldeckctl(), QStringList{QStringLiteral("kpi"), QStringLiteral("--deployment"), m_deployment,
                                                   QStringLiteral("--range"), range, QStringLiteral("--json"),
                                                   QStringLiteral("--pg"), m_pg});
        return QJsonDocument::fromJson(r.out).object();
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        QVERIFY2(!qEnvironmentVariableIsEmpty("MLDECK_BINARY_DIR"), "MLDECK_BINARY_DIR is not set (run via ctest)");
        QVERIFY2(!QStandardPaths::findExecutable(QStringLiteral("prometheus")).isEmpty(),
                 "prometheus is not installed (Debian package prometheus)");
        m_db = std::make_unique<test::ScratchDatabase>(QStringLiteral("prom"));
        m_redis = test::TestServers::redis().toUrl(true);
        m_pg = m_db->endpoint().toUrl(true);
        m_deployment = test::uniqueName(QStringLiteral("prom")).replace(QLatin1Char('_'), QLatin1Char('-'));
        const Run migrate = run(mldeckctl(), {QStringLiteral("migrate"), QStringLiteral("--pg"), m_pg});
        QVERIFY2(migrate.exitCode == 0, migrate.err.constData());

        // Six seconds of traffic on both paths, with ground truth after half a second.
        const Run sim =
            run(mldeckctl(),
                QStringList{QStringLiteral("simulate"), QStringLiteral("--deployment"), m_deployment,
                            QStringLiteral("--rate"), QStringLiteral("200"), QStringLiteral("--duration"),
                            QStringLiteral("6s"), QStringLiteral("--outcome-delay"), QStringLiteral("500ms"),
                            QStringLiteral("--initial-percentage"), QStringLiteral("50"), QStringLiteral("--quiet")} +
                    connection());
        QVERIFY2(sim.exitCode == 0, sim.err.constData());
        // A failure-rate rule over one minute that fires at once, for the errors scenario below.
        const Run rule = run(mldeckctl(), {QStringLiteral("alerts"), QStringLiteral("rules"), QStringLiteral("set"),
                                           QStringLiteral("--deployment"), m_deployment, QStringLiteral("--rule"),
                                           QStringLiteral("failure_rate"), QStringLiteral("--threshold"),
                                           QStringLiteral("0.2"), QStringLiteral("--window"), QStringLiteral("60"),
                                           QStringLiteral("--for"), QStringLiteral("1"), QStringLiteral("--reason"),
                                           QStringLiteral("test"), QStringLiteral("--pg"), m_pg});
        QVERIFY2(rule.exitCode == 0, rule.err.constData());

        m_metricsBase = startGuard(
            *m_guard.process, QStringList{QStringLiteral("--deployment"), m_deployment, QStringLiteral("--interval"),
                                          QStringLiteral("1s"), QStringLiteral("--scope"), m_deployment,
                                          QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0")} +
                                  connection());
        QVERIFY2(m_metricsBase.isValid(), "the guard did not say where it serves /metrics");
        qInfo("guard serves %s", qPrintable(m_metricsBase.toString()));
    }

    void healthAndMetrics()
    {
        const Http health = get(m_metricsBase.resolved(QUrl(QStringLiteral("/healthz"))));
        QCOMPARE(health.status, 200);
        const QString mae = QStringLiteral("mldeck_mae{deployment=\"%1\",path=\"ml\",window=\"1h\"}").arg(m_deployment);
        Http metrics;
        QTRY_VERIFY_WITH_TIMEOUT(
            (metrics = get(m_metricsBase.resolved(QUrl(QStringLiteral("/metrics")))),
             metrics.body.contains("mldeck_guard_leader 1") && metrics.body.contains(mae.toUtf8())),
            30000);
        qInfo("%lld bytes, %lld lines", qlonglong(metrics.body.size()), qlonglong(metrics.body.count('\n')));
        QVERIFY(metrics.body.contains("mldeck_prediction_latency_seconds_bucket{"));
        const QByteArray traffic =
            QByteArrayLiteral("mldeck_ml_traffic_ratio{deployment=\"") + m_deployment.toUtf8() + "\"} 0.5";
        QVERIFY(metrics.body.contains(traffic));
        QVERIFY(!metrics.body.contains("request_key")); // keys never become labels
        const Run promtool =
            run(QStringLiteral("promtool"), {QStringLiteral("check"), QStringLiteral("metrics")}, metrics.body);
        QVERIFY2(promtool.exitCode == 0, QByteArray(promtool.out + promtool.err).constData());
        qInfo("promtool check metrics: %s", QByteArray(promtool.out + promtool.err).trimmed().constData());
    }

    void prometheusScrapesTheSameFiguresAsMldeckctlKpi()
    {
        const QString rules = m_dir.filePath(QStringLiteral("rules.yml"));
        const Run exported =
            run(mldeckctl(), {QStringLiteral("alerts"), QStringLiteral("export"), QStringLiteral("--format"),
                              QStringLiteral("prometheus"), QStringLiteral("--deployment"), m_deployment,
                              QStringLiteral("--output"), rules, QStringLiteral("--pg"), m_pg});
        QVERIFY2(exported.exitCode == 0, exported.err.constData());
        const Run check = run(QStringLiteral("promtool"), {QStringLiteral("check"), QStringLiteral("rules"), rules});
        QVERIFY2(check.exitCode == 0, QByteArray(check.out + check.err).constData());
        qInfo("promtool check rules: %s", check.out.trimmed().constData());

        const quint16 port = freeLoopbackPort();
        QFile config(m_dir.filePath(QStringLiteral("prometheus.yml")));
        QVERIFY(config.open(QIODevice::WriteOnly));
        config.write(
            QStringLiteral("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                           "rule_files:\n  - %1\n"
                           "scrape_configs:\n  - job_name: mldeck\n    static_configs:\n      - targets: ['%2']\n")
                .arg(rules, m_metricsBase.authority())
                .toUtf8());
        config.close();
        m_prometheus.process->setProcessChannelMode(QProcess::MergedChannels);
        m_prometheus.process->start(QStringLiteral("prometheus"),
                                    {QStringLiteral("--config.file=") + config.fileName(),
                                     QStringLiteral("--storage.tsdb.path=") + m_dir.filePath(QStringLiteral("tsdb")),
                                     QStringLiteral("--web.listen-address=127.0.0.1:%1").arg(port)});
        QVERIFY(m_prometheus.process->waitForStarted(10000));
        m_promBase = QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port));
        QTRY_VERIFY_WITH_TIMEOUT(get(m_promBase.resolved(QUrl(QStringLiteral("/-/ready")))).status == 200, 30000);

        const QString sel = QStringLiteral("deployment=\"%1\"").arg(m_deployment);
        const auto close = [](std::optional<double> a, const QJsonValue &b, double relative) {
            return a && b.isDouble() &&
                   std::abs(*a - b.toDouble()) <= relative * std::max(1e-12, std::abs(b.toDouble()));
        };
        // Traffic has stopped; late outcomes may still land, so both sides are read until they agree.
        QTRY_VERIFY_WITH_TIMEOUT(close(promValue(QStringLiteral("mldeck_mae{%1,path=\"ml\",window=\"1h\"}").arg(sel)),
                                       kpi(QStringLiteral("1h"))
                                           .value(QStringLiteral("by_path"))
                                           .toObject()
                                           .value(QStringLiteral("ml"))
                                           .toObject()
                                           .value(QStringLiteral("mae")),
                                       1e-9),
                                 30000);
        QTRY_VERIFY_WITH_TIMEOUT(close(promValue(QStringLiteral("mldeck_prediction_latency_percentile_seconds{%1,path="
                                                                "\"ml\",window=\"1h\",percentile=\"95\"} * 1000")
                                                     .arg(sel)),
                                       kpi(QStringLiteral("1h"))
                                           .value(QStringLiteral("by_path"))
                                           .toObject()
                                           .value(QStringLiteral("ml"))
                                           .toObject()
                                           .value(QStringLiteral("latency_p95_ms")),
                                       0.01),
                                 30000);
        QTRY_VERIFY_WITH_TIMEOUT(
            close(promValue(QStringLiteral("mldeck_failure_ratio{%1,path=\"all\",window=\"1h\"}").arg(sel)),
                  kpi(QStringLiteral("1h"))
                      .value(QStringLiteral("overall"))
                      .toObject()
                      .value(QStringLiteral("failure_rate")),
                  1e-9),
            30000);
        QTRY_VERIFY_WITH_TIMEOUT(close(promValue(QStringLiteral("sum(mldeck_predictions_total{%1})").arg(sel)),
                                       kpi(QStringLiteral("1h"))
                                           .value(QStringLiteral("overall"))
                                           .toObject()
                                           .value(QStringLiteral("predictions")),
                                       0),
                                 30000);
        const QJsonObject k = kpi(QStringLiteral("1h"));
        qInfo("kpi 1h: %lld predictions, ML MAE %.4f, ML p95 %.3f ms, failure rate %.4f",
              qlonglong(k.value(QStringLiteral("overall")).toObject().value(QStringLiteral("predictions")).toDouble()),
              k.value(QStringLiteral("by_path"))
                  .toObject()
                  .value(QStringLiteral("ml"))
                  .toObject()
                  .value(QStringLiteral("mae"))
                  .toDouble(),
              k.value(QStringLiteral("by_path"))
                  .toObject()
                  .value(QStringLiteral("ml"))
                  .toObject()
                  .value(QStringLiteral("latency_p95_ms"))
                  .toDouble(),
              k.value(QStringLiteral("overall")).toObject().value(QStringLiteral("failure_rate")).toDouble());
    }

    void everyGrafanaQueryEvaluates()
    {
        const Run exported =
            run(mldeckctl(), {QStringLiteral("export"), QStringLiteral("grafana"), QStringLiteral("--deployment"),
                              m_deployment, QStringLiteral("--pg"), m_pg});
        QVERIFY2(exported.exitCode == 0, exported.err.constData());
        const QJsonObject dashboard = QJsonDocument::fromJson(exported.out).object();
        QCOMPARE(dashboard.value(QStringLiteral("title")).toString(), QStringLiteral("MLDeck: ") + m_deployment);
        int queries = 0, withData = 0;
        for (const QJsonValue &panel : dashboard.value(QStringLiteral("panels")).toArray()) {
            for (const QJsonValue &target : panel.toObject().value(QStringLiteral("targets")).toArray()) {
                QString expr = target.toObject().value(QStringLiteral("expr")).toString();
                expr.replace(QStringLiteral("$deployment"), m_deployment)
                    .replace(QStringLiteral("$__rate_interval"), QStringLiteral("1m"));
                QUrl url = m_promBase.resolved(QUrl(QStringLiteral("/api/v1/query")));
                QUrlQuery q;
                q.addQueryItem(QStringLiteral("query"), expr);
                url.setQuery(q);
                const Http h = get(url);
                const QJsonObject o = QJsonDocument::fromJson(h.body).object();
                QVERIFY2(h.status == 200 && o.value(QStringLiteral("status")).toString() == QLatin1String("success"),
                         qPrintable(expr + QStringLiteral(": ") + QString::fromUtf8(h.body)));
                ++queries;
                withData +=
                    !o.value(QStringLiteral("data")).toObject().value(QStringLiteral("result")).toArray().isEmpty();
            }
        }
        qInfo("%d Grafana queries evaluated, %d with data", queries, withData);
        QVERIFY(queries >= 10);
        QVERIFY(withData >= queries / 2);
    }

    void theExportedRuleFiresDuringTheErrorsScenario()
    {
        // Every request to the model, and no fallback: the scenario's failing calls count as failures.
        const Run flags =
            run(mldeckctl(),
                {QStringLiteral("flags"), QStringLiteral("set"), QStringLiteral("--deployment"), m_deployment,
                 QStringLiteral("--enabled"), QStringLiteral("1"), QStringLiteral("--percentage"),
                 QStringLiteral("100"), QStringLiteral("--fallback"), QStringLiteral("0"), QStringLiteral("--reason"),
                 QStringLiteral("test"), QStringLiteral("--redis"), m_redis, QStringLiteral("--pg"), m_pg});
        QVERIFY2(flags.exitCode == 0, QByteArray(flags.out + flags.err).constData());
        Child sim;
        sim.process->start(mldeckctl(),
                           QStringList{QStringLiteral("simulate"), QStringLiteral("--deployment"), m_deployment,
                                       QStringLiteral("--rate"), QStringLiteral("100"), QStringLiteral("--duration"),
                                       QStringLiteral("60s"), QStringLiteral("--scenario"), QStringLiteral("errors"),
                                       QStringLiteral("--initial-percentage"), QStringLiteral("100"),
                                       QStringLiteral("--quiet")} +
                               connection());
        QVERIFY(sim.process->waitForStarted(10000));
        const QString alert = QStringLiteral("MLDeck_%1_failure_rate").arg(m_deployment);
        const auto firing = [&] {
            const Http h = get(m_promBase.resolved(QUrl(QStringLiteral("/api/v1/alerts"))));
            for (const QJsonValue &a : QJsonDocument::fromJson(h.body)
                                           .object()
                                           .value(QStringLiteral("data"))
                                           .toObject()
                                           .value(QStringLiteral("alerts"))
                                           .toArray()) {
                const QJsonObject o = a.toObject();
                if (o.value(QStringLiteral("labels")).toObject().value(QStringLiteral("alertname")).toString() ==
                        alert &&
                    o.value(QStringLiteral("state")).toString() == QLatin1String("firing"))
                    return true;
            }
            return false;
        };
        QElapsedTimer clock;
        clock.start();
        QTRY_VERIFY_WITH_TIMEOUT(firing(), 60000);
        qInfo("%s firing in Prometheus %lld ms after the errors scenario started", qPrintable(alert), clock.elapsed());
        // The guard's own evaluation of the same rule fires too (exported as mldeck_alert_rule_firing).
        QTRY_COMPARE_WITH_TIMEOUT(
            promValue(
                QStringLiteral("mldeck_alert_rule_firing{deployment=\"%1\",rule=\"failure_rate\"}").arg(m_deployment)),
            std::optional<double>(1.0), 60000);
    }

    // A second guard in the same scope follows: it exports its own health, no deployment series, so a
    // Prometheus scraping both counts each figure once.
    void aFollowerExportsOnlyItsHealth()
    {
        Child follower;
        const QUrl base = startGuard(*follower.process, QStringList{QStringLiteral("--deployment"), m_deployment,
                                                                    QStringLiteral("--interval"), QStringLiteral("1s"),
                                                                    QStringLiteral("--scope"), m_deployment,
                                                                    QStringLiteral("--listen"), QStringLiteral("0")} +
                                                            connection());
        QVERIFY2(base.isValid(), "the follower did not say where it serves /metrics");
        const QUrl metrics = base.resolved(QUrl(QStringLiteral("/metrics")));
        Http h;
        QTRY_VERIFY_WITH_TIMEOUT((h = get(metrics), h.body.contains("mldeck_guard_rounds_total")) &&
                                     !h.body.contains("mldeck_guard_rounds_total 0"),
                                 20000);
        QVERIFY2(h.body.contains("mldeck_guard_leader 0"), h.body.constData());
        QVERIFY2(!h.body.contains("deployment=\""), h.body.constData());
        const Http readyz = get(QUrl(metrics).resolved(QUrl(QStringLiteral("/readyz"))));
        QVERIFY2(readyz.body.contains("role: follower"), readyz.body.constData());
    }

    void readyzFollowsPostgres()
    {
        const QUrl readyz = m_metricsBase.resolved(QUrl(QStringLiteral("/readyz")));
        Http h = get(readyz);
        QCOMPARE(h.status, 200);
        QVERIFY2(h.body.contains("ready") && h.body.contains("role: leader"), h.body.constData());
        {
            test::ProcessFreezer freeze(test::TestServers::pgPid());
            QTRY_COMPARE_WITH_TIMEOUT(get(readyz, 15000).status, 503, 30000);
            const Http healthz = get(m_metricsBase.resolved(QUrl(QStringLiteral("/healthz"))), 2000);
            QCOMPARE(healthz.status, 200); // alive while a dependency hangs
        }
        QTRY_COMPARE_WITH_TIMEOUT(get(readyz).status, 200, 30000);
    }

    void cleanupTestCase()
    {
        m_guard.process->terminate();
        QVERIFY(m_guard.process->waitForFinished(10000));
        QCOMPARE(m_guard.process->exitCode(), 0);
    }
};

QTEST_GUILESS_MAIN(TestMetricsPrometheus)
#include "test_metrics_prometheus.moc"

// `mldeckctl nanny quality`, `mldeckctl kpi`'s estimated_mae and the Grafana MAE panel's dashed estimate
// against real PostgreSQL: predictions logged
// through the prediction log over three past hours, each hour with its own error and its own estimates
// (added through NannyStore::addEstimates, the guard's path); the hours, their mean absolute difference,
// the correlation and the CSV are recomputed here from what was logged.
#include "core/domain/FeatureSchema.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/NannyStore.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/PredictionLog.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestServers.h"

#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>

using namespace mldeck;
using namespace mldeck::test;

namespace {

struct CliRun
{
    int code = -1;
    QString out;
    QString err;
    QJsonObject json() const { return QJsonDocument::fromJson(out.toUtf8()).object(); }
};

bool near(double a, double b)
{
    return std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(b));
}

// Per hour: the error of every prediction (realised MAE) and the nanny's estimate of each.
constexpr double kError[3] = {1.0, 2.0, 4.0};
constexpr double kEstimate[3] = {1.25, 1.75, 3.0};
constexpr int kPerHour = 40;

} // namespace

class TestNannyQualityCli final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    QString m_dep;
    qint64 m_firstHourMicros = 0; // the oldest of the three hours

    CliRun cli(const QStringList &args)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("MLDECK_PG_URL"), m_db->endpoint().toUrl(true));
        p.setProcessEnvironment(env);
        p.start(qEnvironmentVariable("MLDECK_BINARY_DIR") + QStringLiteral("/app/mldeckctl/mldeckctl"), args);
        if (!p.waitForFinished(120000))
            return {};
        return CliRun{p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
                      QString::fromUtf8(p.readAllStandardOutput()), QString::fromUtf8(p.readAllStandardError())};
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("nannyqcli"));
        m_conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test")).value();
        QVERIFY(Migrator::migrate(*m_conn).ok());
        const QDate today = QDateTime::currentDateTimeUtc().date();
        QVERIFY(PredictionLog(*m_conn).ensurePartitions(today.addDays(-1), today.addDays(1)).ok());
        m_dep = uniqueName(QStringLiteral("nannyq"));
        FeatureSchema schema;
        schema.features.push_back({QStringLiteral("rain_mm"), FeatureSpec::Kind::Numeric, {}});
        QVERIFY(DeploymentStore(*m_conn).ensure(m_dep, {}, schema).ok());
        const QString modelId =
            queryValue(*m_conn,
                       QStringLiteral("INSERT INTO mldeck.models (deployment, name, version, sha256, "
                                      "file_path, task) VALUES ($1, 'm', 'v1', repeat('a', 64), "
                                      "'/nonexistent/m.pt', 'regression') RETURNING id"),
                       {m_dep});
        QVERIFY(!modelId.isNull());
        const QString nannyId = queryValue(
            *m_conn,
            QStringLiteral(
                "INSERT INTO mldeck.nanny_models (deployment, model_id, model_version, weights, sha256, meta, "
                "reference, rows, validation_mae) VALUES ($1, $2::bigint, 'v1', '\\x00'::bytea, "
                "repeat('b', 64), '{}'::jsonb, 'test rows', 100, 0.5) RETURNING id"),
            {m_dep, modelId});
        QVERIFY(!nannyId.isNull());
        QVERIFY(query(*m_conn, QStringLiteral("SELECT mldeck.nanny_start($1, $2::bigint, to_timestamp(0))"),
                      {m_dep, nannyId})
                    .ok());

        // Three whole hours before the current one, 10 minutes into each.
        const qint64 hour = 3'600'000'000;
        const qint64 nowMicros = QDateTime::currentMSecsSinceEpoch() * 1000;
        m_firstHourMicros = (nowMicros / hour - 3) * hour;
        qint64 watermark = 0;
        int serial = 0;
        for (int h = 0; h < 3; ++h) {
            std::vector<PredictionRow> predictions;
            std::vector<OutcomeRow> outcomes;
            std::vector<qint64> ts;
            for (int i = 0; i < kPerHour; ++i) {
                PredictionRow p;
                p.tsMicros = m_firstHourMicros + h * hour + 600'000'000 + qint64(i) * 1'000'000;
                p.deployment = m_dep;
                p.requestKey = QStringLiteral("q%1").arg(++serial);
                p.path = PredictionPath::Ml;
                p.modelVersion = QStringLiteral("v1");
                p.latencyMs = 10;
                p.predicted = 10.0;
                outcomes.push_back({p.tsMicros + 1'000'000, m_dep, p.requestKey, 10.0 + (i % 2 ? 1 : -1) * kError[h]});
                ts.push_back(p.tsMicros);
                predictions.push_back(p);
            }
            QVERIFY(PredictionLog(*m_conn).appendPredictions(predictions).ok());
            QVERIFY(PredictionLog(*m_conn).appendOutcomes(outcomes).ok());
            const std::vector<double> estimates(ts.size(), kEstimate[h]);
            const auto added =
                NannyStore(*m_conn).addEstimates(m_dep, nannyId.toLongLong(), watermark, ts.back(), ts, estimates);
            QVERIFY2(added.ok(), qPrintable(added.errorMessage()));
            watermark = ts.back();
        }
    }

    void qualityJsonAndCsv()
    {
        QTemporaryDir dir;
        const QString csvPath = dir.filePath(QStringLiteral("quality.csv"));
        const CliRun run = cli({QStringLiteral("nanny"), QStringLiteral("quality"), QStringLiteral("--deployment"),
                                m_dep, QStringLiteral("--range"), QStringLiteral("1d"), QStringLiteral("--json"),
                                QStringLiteral("--out"), csvPath});
        QVERIFY2(run.code == 0, qPrintable(run.err));
        const QJsonObject json = run.json();
        const QJsonArray hours = json.value(QStringLiteral("hours")).toArray();
        QCOMPARE(hours.size(), 3);
        double diff = 0;
        for (int h = 0; h < 3; ++h) {
            const QJsonObject o = hours.at(h).toObject();
            QCOMPARE(QDateTime::fromString(o.value(QStringLiteral("hour")).toString(), Qt::ISODate).toMSecsSinceEpoch(),
                     (m_firstHourMicros + h * 3'600'000'000LL) / 1000);
            QCOMPARE(o.value(QStringLiteral("scored")).toInteger(), qint64(kPerHour));
            QCOMPARE(o.value(QStringLiteral("labelled")).toInteger(), qint64(kPerHour));
            QVERIFY(near(o.value(QStringLiteral("estimated_mae")).toDouble(), kEstimate[h]));
            QVERIFY(near(o.value(QStringLiteral("realised_mae")).toDouble(), kError[h]));
            diff += std::abs(kEstimate[h] - kError[h]);
        }
        QVERIFY(near(json.value(QStringLiteral("mean_abs_diff")).toDouble(), diff / 3));
        // Pearson over (1.25, 1), (1.75, 2), (3, 4).
        const double me = (1.25 + 1.75 + 3.0) / 3, mr = 7.0 / 3;
        double cov = 0, ve = 0, vr = 0;
        for (int h = 0; h < 3; ++h) {
            cov += (kEstimate[h] - me) * (kError[h] - mr);
            ve += (kEstimate[h] - me) * (kEstimate[h] - me);
            vr += (kError[h] - mr) * (kError[h] - mr);
        }
        QVERIFY(near(json.value(QStringLiteral("correlation")).toDouble(), cov / std::sqrt(ve * vr)));

        QFile csv(csvPath);
        QVERIFY(csv.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = csv.readAll().split('\n');
        QCOMPARE(lines.size(), 5); // header, three hours, nothing after the last CRLF
        QCOMPARE(lines[0], QByteArray("hour,scored,estimated_mae,labelled,realised_mae,abs_diff\r"));
        const QList<QByteArray> last = lines[3].trimmed().split(',');
        QCOMPARE(last.size(), 6);
        QCOMPARE(last[1], QByteArray::number(kPerHour));
        QVERIFY(near(last[2].toDouble(), kEstimate[2]));
        QVERIFY(near(last[4].toDouble(), kError[2]));
        QVERIFY(near(last[5].toDouble(), std::abs(kEstimate[2] - kError[2])));
    }

    void qualityText()
    {
        const CliRun run =
            cli({QStringLiteral("nanny"), QStringLiteral("quality"), QStringLiteral("--deployment"), m_dep});
        QVERIFY2(run.code == 0, qPrintable(run.err));
        QVERIFY2(
            run.out.contains(QStringLiteral("Mean absolute difference: %1").arg((0.25 + 0.25 + 1.0) / 3, 0, 'f', 3)),
            qPrintable(run.out));
        QVERIFY2(run.out.contains(QStringLiteral("Correlation: ")), qPrintable(run.out));
    }

    void badRangeWritesNothing()
    {
        QTemporaryDir dir;
        const QString csvPath = dir.filePath(QStringLiteral("never.csv"));
        const CliRun run =
            cli({QStringLiteral("nanny"), QStringLiteral("quality"), QStringLiteral("--deployment"), m_dep,
                 QStringLiteral("--range"), QStringLiteral("soon"), QStringLiteral("--out"), csvPath});
        QCOMPARE(run.code, 2);
        QVERIFY2(run.err.contains(QStringLiteral("--range")), qPrintable(run.err));
        QVERIFY(!QFile::exists(csvPath));
    }

    void kpiPrintsTheEstimate()
    {
        const CliRun run = cli({QStringLiteral("kpi"), QStringLiteral("--deployment"), m_dep, QStringLiteral("--range"),
                                QStringLiteral("1d"), QStringLiteral("--json")});
        QVERIFY2(run.code == 0, qPrintable(run.err));
        const double expected = (kEstimate[0] + kEstimate[1] + kEstimate[2]) / 3;
        const QJsonObject overall = run.json().value(QStringLiteral("overall")).toObject();
        QVERIFY(near(overall.value(QStringLiteral("estimated_mae")).toDouble(), expected));
        const QJsonObject ml =
            run.json().value(QStringLiteral("by_path")).toObject().value(QStringLiteral("ml")).toObject();
        QVERIFY(near(ml.value(QStringLiteral("estimated_mae")).toDouble(), expected));
    }

    void grafanaDrawsTheEstimateDashed()
    {
        const CliRun run =
            cli({QStringLiteral("export"), QStringLiteral("grafana"), QStringLiteral("--deployment"), m_dep});
        QVERIFY2(run.code == 0, qPrintable(run.err));
        const QJsonArray panels = run.json().value(QStringLiteral("panels")).toArray();
        QJsonObject mae;
        for (const QJsonValue &p : panels)
            if (p.toObject().value(QStringLiteral("title")).toString().startsWith(QLatin1String("MAE")))
                mae = p.toObject();
        QVERIFY(!mae.isEmpty());
        const QJsonArray targets = mae.value(QStringLiteral("targets")).toArray();
        QCOMPARE(targets.size(), 2);
        const QJsonObject estimated = targets.at(1).toObject();
        QVERIFY2(estimated.value(QStringLiteral("expr")).toString().startsWith(QLatin1String("mldeck_estimated_mae{")),
                 qPrintable(estimated.value(QStringLiteral("expr")).toString()));
        const QJsonObject dashed = mae.value(QStringLiteral("fieldConfig"))
                                       .toObject()
                                       .value(QStringLiteral("overrides"))
                                       .toArray()
                                       .at(0)
                                       .toObject();
        QCOMPARE(dashed.value(QStringLiteral("matcher")).toObject().value(QStringLiteral("options")).toString(),
                 estimated.value(QStringLiteral("legendFormat")).toString());
        const QJsonObject style = dashed.value(QStringLiteral("properties")).toArray().at(0).toObject();
        QCOMPARE(style.value(QStringLiteral("id")).toString(), QStringLiteral("custom.lineStyle"));
        QCOMPARE(style.value(QStringLiteral("value")).toObject().value(QStringLiteral("fill")).toString(),
                 QStringLiteral("dash"));
    }
};

QTEST_GUILESS_MAIN(TestNannyQualityCli)
#include "test_nanny_quality_cli.moc"

// A classification deployment in the KPI report (CSV and PDF), `mldeckctl kpi` (text and --json),
// the guard's /metrics gauges and the Grafana dashboard, over real PostgreSQL aggregates: figures equal
// an exact recomputation from the rows written; an empty classifier reads "no data" (empty CSV fields,
// null in JSON, no series), never 0 or 100 %; a regression deployment beside it keeps its own figures.
#include "PdfCheck.h"

#include "core/rollout/AuditRecord.h"
#include "core/services/KpiReport.h"
#include "core/services/metrics/GrafanaDashboard.h"
#include "core/services/metrics/MetricsCollector.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/KpiStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/PredictionLog.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"
#include "ui/reports/ReportExporter.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <cmath>
#include <memory>

using namespace mldeck;

namespace {

// The exact figures of a set of rows, computed here the way scikit-learn defines them.
struct Exact
{
    qint64 predictions = 0, failed = 0, counted = 0, labelled = 0, servedPositive = 0;
    qint64 confusion[2][2] = {{0, 0}, {0, 0}}; // [actual][served]
    double sumLogLoss = 0, sumBrier = 0;

    double accuracy() const { return double(confusion[0][0] + confusion[1][1]) / double(labelled); }
    double precision() const { return double(confusion[1][1]) / double(confusion[0][1] + confusion[1][1]); }
    double recall() const { return double(confusion[1][1]) / double(confusion[1][0] + confusion[1][1]); }
    double f1() const { return 2 * precision() * recall() / (precision() + recall()); }
    double logLoss() const { return sumLogLoss / double(labelled); }
    double brier() const { return sumBrier / double(labelled); }
};

struct Row
{
    QString path;
    bool failed = false;
    double p1 = 0;   // P(accepted)
    int served = 0;  // p1 >= 0.5
    int actual = -1; // -1: no label
};

} // namespace

class TestClassificationReport final : public QObject
{
    Q_OBJECT

    std::unique_ptr<test::ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    QString m_classifier, m_empty, m_regression;
    QDateTime m_end;
    std::vector<Row> m_rows;
    QTemporaryDir m_dir;

    Exact exact(const QString &path) const
    {
        Exact e;
        for (const Row &r : m_rows) {
            if (path != QLatin1String("all") && r.path != path)
                continue;
            ++e.predictions;
            if (r.failed) {
                ++e.failed;
                continue;
            }
            ++e.counted;
            e.servedPositive += r.served;
            if (r.actual < 0)
                continue;
            ++e.labelled;
            ++e.confusion[r.actual][r.served];
            const double pActual = r.actual == 1 ? r.p1 : 1 - r.p1;
            e.sumLogLoss += -std::log(std::clamp(pActual, 1e-15, 1 - 1e-15));
            e.sumBrier += (r.p1 - r.actual) * (r.p1 - r.actual);
        }
        return e;
    }

    static void near(double got, double want, const char *what)
    {
        QVERIFY2(
            std::abs(got - want) <= 1e-6 * std::max(1.0, std::abs(want)),
            qPrintable(
                QStringLiteral("%1: %2 != %3").arg(QLatin1String(what)).arg(got, 0, 'g', 17).arg(want, 0, 'g', 17)));
    }

    struct Run
    {
        int code = -1;
        QByteArray out, err;
    };
    Run ctl(const QStringList &args) const
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("MLDECK_PG_URL"), m_db->endpoint().toUrl(true));
        p.setProcessEnvironment(env);
        p.start(qEnvironmentVariable("MLDECK_BINARY_DIR") + QStringLiteral("/app/mldeckctl/mldeckctl"), args);
        if (!p.waitForFinished(120000)) {
            p.kill();
            p.waitForFinished();
        }
        return {p.exitCode(), p.readAllStandardOutput(), p.readAllStandardError()};
    }
    QJsonObject kpiJson(const QString &deployment) const
    {
        const Run r = ctl({QStringLiteral("kpi"), QStringLiteral("--deployment"), deployment, QStringLiteral("--range"),
                           QStringLiteral("2h"), QStringLiteral("--json")});
        if (r.code != 0)
            qWarning("mldeckctl kpi: %s", r.err.constData());
        return QJsonDocument::fromJson(r.out).object();
    }

    // The CSV lines of one section, split into fields (no field of these sections holds a comma).
    static QList<QStringList> section(const QByteArray &csv, const QString &name)
    {
        QList<QStringList> out;
        for (const QByteArray &raw : csv.split('\n')) {
            const QString line = QString::fromUtf8(raw).trimmed();
            if (line.startsWith(name + QLatin1Char(',')))
                out.append(line.split(QLatin1Char(',')));
        }
        return out;
    }
    static QStringList header(const QByteArray &csv, const QString &firstColumns)
    {
        for (const QByteArray &raw : csv.split('\n'))
            if (QString::fromUtf8(raw).startsWith(firstColumns))
                return QString::fromUtf8(raw).trimmed().split(QLatin1Char(','));
        return {};
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<test::ScratchDatabase>(QStringLiteral("classreport"));
        auto c = PgConnection::open(m_db->endpoint(), QStringLiteral("test-classification-report"));
        QVERIFY2(c, qPrintable(c.errorMessage()));
        m_conn = std::move(c).value();
        const auto migrated = Migrator::migrate(*m_conn);
        QVERIFY2(migrated, qPrintable(migrated.errorMessage()));

        m_classifier = test::uniqueName(QStringLiteral("accept")).replace(QLatin1Char('_'), QLatin1Char('-'));
        m_empty = test::uniqueName(QStringLiteral("quiet")).replace(QLatin1Char('_'), QLatin1Char('-'));
        m_regression = test::uniqueName(QStringLiteral("eta")).replace(QLatin1Char('_'), QLatin1Char('-'));
        DeploymentStore store(*m_conn);
        for (const QString &name : {m_classifier, m_empty}) {
            NewDeployment spec;
            spec.name = name;
            spec.task = QStringLiteral("classification");
            spec.classSpec.classes = {QStringLiteral("declined"), QStringLiteral("accepted")};
            const auto created = store.create(spec, Actor::current());
            QVERIFY2(created, qPrintable(created.errorMessage()));
        }
        const auto eta = store.ensure(m_regression, QString(), FeatureSchema{});
        QVERIFY2(eta, qPrintable(eta.errorMessage()));

        // 300 predictions over the last 50 minutes on three paths, 3 % failed, 70 % labelled; P(accepted)
        // spread over (0, 1) with a few at exactly 0 and 1 (log-loss clipping), labels drawn from it.
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        m_end = QDateTime::fromSecsSinceEpoch(now + 60, Qt::UTC);
        std::vector<PredictionRow> preds, etaPreds;
        std::vector<OutcomeRow> outcomes, etaOutcomes;
        quint32 seed = 12345;
        const auto uniform = [&seed] {
            seed = seed * 1664525u + 1013904223u;
            return double(seed >> 8) / double(1u << 24);
        };
        for (int i = 0; i < 300; ++i) {
            Row r;
            PredictionRow p;
            p.tsMicros = (now - 3000 + i * 10) * 1'000'000LL;
            p.deployment = m_classifier;
            p.requestKey = QStringLiteral("c%1").arg(i);
            p.path = i % 10 < 6   ? PredictionPath::Ml
                     : i % 10 < 9 ? PredictionPath::Heuristic
                                  : PredictionPath::Fallback;
            r.path = i % 10 < 6   ? QStringLiteral("ml")
                     : i % 10 < 9 ? QStringLiteral("heuristic")
                                  : QStringLiteral("fallback");
            if (p.path != PredictionPath::Heuristic)
                p.modelVersion = QStringLiteral("v1");
            p.latencyMs = float(5 + i % 40);
            r.failed = i % 33 == 7;
            if (r.failed) {
                p.failed = true;
                p.error = QStringLiteral("timeout");
            } else {
                const float p1 = i == 11 ? 1.0f : i == 12 ? 0.0f : float(uniform());
                r.p1 = double(p1);
                r.served = p1 >= 0.5f ? 1 : 0;
                p.predictedClass = r.served;
                p.probabilities = {1.0f - p1, p1};
                p.predicted = double(r.served ? p1 : 1.0f - p1);
                if (i % 10 < 7) {
                    r.actual = uniform() < r.p1 ? 1 : 0;
                    outcomes.push_back({p.tsMicros + 30'000'000LL, m_classifier, p.requestKey, double(r.actual)});
                }
            }
            preds.push_back(p);
            m_rows.push_back(r);

            PredictionRow e = p; // the regression deployment: a delay and its actual value
            e.deployment = m_regression;
            e.predictedClass.reset();
            e.probabilities.clear();
            if (!e.failed) {
                e.predicted = 3 + i % 5;
                etaOutcomes.push_back({e.tsMicros + 30'000'000LL, m_regression, e.requestKey, 4.0});
            }
            etaPreds.push_back(e);
        }
        PredictionLog log(*m_conn);
        for (const auto &[p, o] : {std::pair{&preds, &outcomes}, std::pair{&etaPreds, &etaOutcomes}}) {
            const Status written = log.appendPredictions(*p);
            QVERIFY2(written, qPrintable(written.errorMessage()));
            const Status labelled = log.appendOutcomes(*o);
            QVERIFY2(labelled, qPrintable(labelled.errorMessage()));
        }
        const auto pending = KpiStore(*m_conn).applyPendingOutcomes();
        QVERIFY2(pending, qPrintable(pending.errorMessage()));
    }

    void csvHasTheClassificationFigures()
    {
        const auto data = buildKpiReport(*m_conn, m_classifier, QStringLiteral("day"), m_end);
        QVERIFY2(data, qPrintable(data.errorMessage()));
        QVERIFY(data->snapshot.isClassification());
        const QByteArray csv = kpiReportCsv(*data);
        QVERIFY(csv.startsWith(QByteArray(kpiReportCsvClassificationSummaryHeader() + "\r\n")));
        const QStringList columns = header(csv, QStringLiteral("section,path,predictions,"));
        const auto col = [&columns](const char *name) { return int(columns.indexOf(QLatin1String(name))); };
        for (const char *name : {"accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "brier", "ece",
                                 "label_coverage", "positive_rate", "failure_rate", "labelled", "estimated_accuracy"})
            QVERIFY2(col(name) > 0, name);
        QVERIFY(col("mae") < 0); // no regression figure on a classifier
        const QList<QStringList> summary = section(csv, QStringLiteral("summary"));
        QCOMPARE(summary.size(), 4);
        for (const QStringList &row : summary) {
            const Exact e = exact(row.at(1));
            QCOMPARE(row.size(), columns.size());
            QCOMPARE(row.at(col("predictions")).toLongLong(), e.predictions);
            QCOMPARE(row.at(col("labelled")).toLongLong(), e.labelled);
            near(row.at(col("label_coverage")).toDouble(), double(e.labelled) / double(e.counted), "label_coverage");
            near(row.at(col("positive_rate")).toDouble(), double(e.servedPositive) / double(e.counted),
                 "positive_rate");
            near(row.at(col("failure_rate")).toDouble(), double(e.failed) / double(e.predictions), "failure_rate");
            if (e.labelled == 0) { // the fallback path has no label: no figure of labels, not 0
                for (const char *name :
                     {"accuracy", "precision", "recall", "f1", "roc_auc", "log_loss", "brier", "ece"})
                    QVERIFY2(row.at(col(name)).isEmpty(), name);
                continue;
            }
            near(row.at(col("accuracy")).toDouble(), e.accuracy(), "accuracy");
            near(row.at(col("precision")).toDouble(), e.precision(), "precision");
            near(row.at(col("recall")).toDouble(), e.recall(), "recall");
            near(row.at(col("f1")).toDouble(), e.f1(), "f1");
            near(row.at(col("log_loss")).toDouble(), e.logLoss(), "log_loss");
            near(row.at(col("brier")).toDouble(), e.brier(), "brier");
            const double auc = row.at(col("roc_auc")).toDouble();
            QVERIFY2(auc > 0.5 && auc <= 1, qPrintable(row.join(u',')));
        }
        // The confusion matrix of all paths, by class name.
        const Exact all = exact(QStringLiteral("all"));
        int cells = 0;
        for (const QStringList &row : section(csv, QStringLiteral("confusion"))) {
            if (row.at(1) != QLatin1String("all"))
                continue;
            const int a = row.at(2) == QLatin1String("accepted") ? 1 : 0,
                      p = row.at(3) == QLatin1String("accepted") ? 1 : 0;
            QCOMPARE(row.at(4).toLongLong(), all.confusion[a][p]);
            ++cells;
        }
        QCOMPARE(cells, 4);
        const QList<QStringList> classes = section(csv, QStringLiteral("class"));
        QCOMPARE(classes.size(), 8); // two classes on each of four paths
        QCOMPARE(classes.at(1).at(3), QStringLiteral("accepted"));
        near(classes.at(1).at(6).toDouble(), all.recall(), "recall of accepted");
        QVERIFY(csv.contains("\r\nsection,accuracy_min,f1_min,roc_auc_min,log_loss_max,ece_max,stretch_accuracy,"));
        QVERIFY(csv.contains(",task,classes,decision_threshold\r\n"));
        QVERIFY(csv.contains(",classification,2,0.5\r\n"));
    }

    void emptyClassifierHasNoData()
    {
        const auto data = buildKpiReport(*m_conn, m_empty, QStringLiteral("day"), m_end);
        QVERIFY2(data, qPrintable(data.errorMessage()));
        const QByteArray csv = kpiReportCsv(*data);
        const QStringList columns = header(csv, QStringLiteral("section,path,predictions,"));
        for (const QStringList &row : section(csv, QStringLiteral("summary"))) {
            QCOMPARE(row.at(2), QStringLiteral("0"));
            for (const char *name : {"accuracy", "log_loss", "ece", "label_coverage", "estimated_accuracy"})
                QVERIFY2(row.at(int(columns.indexOf(QLatin1String(name)))).isEmpty(), name);
        }
        // Class rows name the classes with empty figures; no confusion row.
        QCOMPARE(section(csv, QStringLiteral("class")).size(), 8);
        QVERIFY(section(csv, QStringLiteral("class")).at(0).at(4).isEmpty());
        QVERIFY(section(csv, QStringLiteral("confusion")).isEmpty());

        const QJsonObject j = kpiJson(m_empty);
        QCOMPARE(j.value(QStringLiteral("task")).toString(), QStringLiteral("classification"));
        const QJsonObject overall = j.value(QStringLiteral("overall")).toObject();
        QCOMPARE(overall.value(QStringLiteral("predictions")).toInteger(), 0);
        for (const char *key : {"accuracy", "f1", "log_loss", "ece", "estimated_accuracy", "label_coverage"})
            QVERIFY2(overall.value(QLatin1String(key)).isNull(), key);
        QVERIFY(overall.value(QStringLiteral("meets_target")).toObject().value(QStringLiteral("accuracy")).isNull());

        const Run text = ctl({QStringLiteral("kpi"), QStringLiteral("--deployment"), m_empty});
        QCOMPARE(text.code, 0);
        const QRegularExpression accuracyLine(QStringLiteral("^Accuracy +no data"),
                                              QRegularExpression::MultilineOption);
        QVERIFY2(accuracyLine.match(QString::fromUtf8(text.out)).hasMatch(), text.out.constData());
    }

    void kpiCliPrintsTheClassificationFigures()
    {
        const QJsonObject j = kpiJson(m_classifier);
        QCOMPARE(j.value(QStringLiteral("task")).toString(), QStringLiteral("classification"));
        QCOMPARE(j.value(QStringLiteral("classes")).toArray().size(), 2);
        QCOMPARE(j.value(QStringLiteral("decision_threshold")).toDouble(), 0.5);
        const Exact all = exact(QStringLiteral("all")), ml = exact(QStringLiteral("ml"));
        const QJsonObject overall = j.value(QStringLiteral("overall")).toObject();
        QCOMPARE(overall.value(QStringLiteral("predictions")).toInteger(), all.predictions);
        near(overall.value(QStringLiteral("accuracy")).toDouble(), all.accuracy(), "accuracy");
        near(overall.value(QStringLiteral("log_loss")).toDouble(), all.logLoss(), "log_loss");
        near(overall.value(QStringLiteral("brier")).toDouble(), all.brier(), "brier");
        QVERIFY(!overall.contains(QStringLiteral("mae")));
        QVERIFY(overall.value(QStringLiteral("meets_target")).toObject().value(QStringLiteral("accuracy")).isBool());
        const QJsonArray confusion =
            overall.value(QStringLiteral("classification")).toObject().value(QStringLiteral("confusion")).toArray();
        QCOMPARE(confusion.size(), 2);
        for (int a = 0; a < 2; ++a)
            for (int p = 0; p < 2; ++p)
                QCOMPARE(confusion.at(a).toArray().at(p).toInteger(), all.confusion[a][p]);
        const QJsonObject mlFigures =
            j.value(QStringLiteral("by_path")).toObject().value(QStringLiteral("ml")).toObject();
        near(mlFigures.value(QStringLiteral("accuracy")).toDouble(), ml.accuracy(), "ml accuracy");

        const Run text = ctl({QStringLiteral("kpi"), QStringLiteral("--deployment"), m_classifier,
                              QStringLiteral("--range"), QStringLiteral("2h")});
        QCOMPARE(text.code, 0);
        const QString out = QString::fromUtf8(text.out);
        QVERIFY2(out.contains(QLatin1String("Log-loss")) && out.contains(QLatin1String("Confusion matrix")),
                 text.out.constData());
        QVERIFY2(!out.contains(QLatin1String("MAE")), text.out.constData());

        // The regression deployment beside it keeps its figures and has no classification key.
        const QJsonObject eta = kpiJson(m_regression);
        QVERIFY(!eta.contains(QStringLiteral("task")));
        near(
            eta.value(QStringLiteral("overall")).toObject().value(QStringLiteral("mae")).toDouble(),
            [this] {
                double sum = 0;
                int n = 0;
                for (size_t i = 0; i < m_rows.size(); ++i)
                    if (!m_rows[i].failed) {
                        sum += std::abs(3.0 + double(i % 5) - 4.0);
                        ++n;
                    }
                return sum / n;
            }(),
            "regression mae");
    }

    void pdfReportHoldsTogether()
    {
        const QString out = m_dir.filePath(QStringLiteral("accept.pdf"));
        const Run r = ctl({QStringLiteral("report"), QStringLiteral("--deployment"), m_classifier,
                           QStringLiteral("--end"), m_end.toString(Qt::ISODate), QStringLiteral("--out"), out});
        QVERIFY2(r.code == 0, r.err.constData());
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        int pages = 0;
        const QString problem = test::checkPdfStructure(f.readAll(), &pages);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        QVERIFY2(pages >= 3, qPrintable(QString::number(pages)));
        const QString empty = m_dir.filePath(QStringLiteral("quiet.pdf"));
        const Run e = ctl({QStringLiteral("report"), QStringLiteral("--deployment"), m_empty, QStringLiteral("--end"),
                           m_end.toString(Qt::ISODate), QStringLiteral("--out"), empty});
        QVERIFY2(e.code == 0, e.err.constData());
    }

    void metricsExportTheClassificationGauges()
    {
        MetricsCollector collector(
            {test::TestServers::redis(), m_db->endpoint(), {m_classifier, m_empty, m_regression}, ReadReplica{}});
        ExporterProcessState leader;
        leader.leader = true;
        const auto scrape = collector.collect(leader, QDateTime::currentSecsSinceEpoch());
        QVERIFY2(scrape.errors.isEmpty(), qPrintable(scrape.errors.join(u'\n')));
        const QString text = QString::fromUtf8(scrape.text);
        const auto value = [&text](const QString &series) -> std::optional<double> {
            const QRegularExpression re(QLatin1Char('^') + QRegularExpression::escape(series) +
                                            QStringLiteral(" (\\S+)$"),
                                        QRegularExpression::MultilineOption);
            const auto m = re.match(text);
            return m.hasMatch() ? std::optional<double>(m.captured(1).toDouble()) : std::nullopt;
        };
        const QString sel = QStringLiteral("{deployment=\"%1\",path=\"%2\",window=\"1h\"}");
        const Exact all = exact(QStringLiteral("all")), ml = exact(QStringLiteral("ml"));
        const auto accuracy = value(QStringLiteral("mldeck_accuracy") + sel.arg(m_classifier, QStringLiteral("all")));
        QVERIFY2(accuracy, qPrintable(text));
        near(*accuracy, all.accuracy(), "mldeck_accuracy");
        const auto logLoss = value(QStringLiteral("mldeck_log_loss") + sel.arg(m_classifier, QStringLiteral("ml")));
        QVERIFY(logLoss);
        near(*logLoss, ml.logLoss(), "mldeck_log_loss");
        QVERIFY(value(QStringLiteral("mldeck_ece") + sel.arg(m_classifier, QStringLiteral("ml"))));
        QVERIFY(value(QStringLiteral("mldeck_label_coverage_ratio") + sel.arg(m_classifier, QStringLiteral("all"))));
        // No regression figure on a classifier, no classification figure on a regression deployment,
        // and no figure at all for an empty classifier (its prediction count is 0, a count).
        QVERIFY(!text.contains(QStringLiteral("mldeck_mae{deployment=\"%1\"").arg(m_classifier)));
        QVERIFY(value(QStringLiteral("mldeck_mae") + sel.arg(m_regression, QStringLiteral("all"))));
        QVERIFY(!text.contains(QStringLiteral("mldeck_accuracy{deployment=\"%1\"").arg(m_regression)));
        QVERIFY(!text.contains(QStringLiteral("mldeck_accuracy{deployment=\"%1\"").arg(m_empty)));
        QCOMPARE(value(QStringLiteral("mldeck_window_predictions") + sel.arg(m_empty, QStringLiteral("all"))),
                 std::optional<double>(0));

        const QString promtool = QStandardPaths::findExecutable(QStringLiteral("promtool"));
        QVERIFY2(!promtool.isEmpty(), "promtool is not installed (Debian package prometheus)");
        QProcess check;
        check.start(promtool, {QStringLiteral("check"), QStringLiteral("metrics")});
        QVERIFY(check.waitForStarted(10000));
        check.write(scrape.text);
        check.closeWriteChannel();
        QVERIFY(check.waitForFinished(60000));
        QVERIFY2(check.exitCode() == 0, check.readAll().constData());

        // Every series the classifier's own Grafana panels read is one this scrape exports for it; the
        // serving panels are the regression dashboard's (evaluated by test_metrics_prometheus).
        const auto families = [](const QStringList &expressions) {
            QSet<QString> names;
            static const QRegularExpression family(QStringLiteral("mldeck_[a-z0-9_]+"));
            for (const QString &e : expressions)
                for (auto it = family.globalMatch(e); it.hasNext();)
                    names.insert(it.next().captured(0));
            return names;
        };
        const KpiTargets targets;
        const QSet<QString> serving = families(grafanaExpressions(grafanaDashboard(m_regression, targets)));
        const QSet<QString> classifier =
            families(grafanaExpressions(grafanaDashboard(m_classifier, targets, QStringLiteral("classification"))));
        QVERIFY(!classifier.contains(QStringLiteral("mldeck_mae")));
        int own = 0;
        for (const QString &name : classifier) {
            if (serving.contains(name))
                continue;
            ++own;
            QVERIFY2(text.contains(QStringLiteral("%1{deployment=\"%2\"").arg(name, m_classifier)), qPrintable(name));
        }
        QVERIFY(own >= 10);

        // And every query of the classifier's dashboard parses: promtool checks them as recording rules.
        QString rules = QStringLiteral("groups:\n  - name: grafana\n    rules:\n");
        int n = 0;
        for (QString e :
             grafanaExpressions(grafanaDashboard(m_classifier, targets, QStringLiteral("classification")))) {
            e.replace(QStringLiteral("$deployment"), m_classifier)
                .replace(QStringLiteral("$__rate_interval"), QStringLiteral("1m"));
            rules += QStringLiteral("      - record: grafana_query_%1\n        expr: '%2'\n").arg(++n).arg(e);
        }
        QFile file(m_dir.filePath(QStringLiteral("grafana-rules.yml")));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(rules.toUtf8());
        file.close();
        QProcess rulesCheck;
        rulesCheck.start(promtool, {QStringLiteral("check"), QStringLiteral("rules"), file.fileName()});
        QVERIFY(rulesCheck.waitForFinished(60000));
        QVERIFY2(rulesCheck.exitCode() == 0, rulesCheck.readAll().constData());
    }
};

QTEST_MAIN(TestClassificationReport)
#include "test_classification_report.moc"

// The promotion test suite against real PostgreSQL and Redis, with the demo models eta_mlp.pt (champion)
// and eta_lstm.pt (candidate) run in their model workers: golden data validated and stored, "no promotion
// checks configured" said (never a pass), a candidate worse on one segment refused by models::promote with
// the segment named (nothing changes, the run is stored), an invariance failure refused, a passing
// candidate promoted with its report; the CLI's `models golden` and `models check` (exit codes, JSON).
#include "core/demo/RideDelayGenerator.h"
#include "core/demo/RideOfferGenerator.h"
#include "core/ml/ModelRunner.h"
#include "core/services/ModelCheckOperations.h"
#include "core/services/ModelOperations.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/ModelRegistry.h"
#include "core/store/pg/PgConnection.h"
#include "tests/support/LoginRole.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestServers.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using namespace mldeck;
using namespace mldeck::test;

namespace {

QString modelFile(const QString &name)
{
    return QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/") + name;
}

const Actor kActor{QStringLiteral("tester@testhost"), QStringLiteral("tester"), QStringLiteral("testhost")};

// The 40 rows of the interop fixture: every feature of the eta schema, delay_min and ts.
QStringList fixtureLines()
{
    QFile f(modelFile(QStringLiteral("fixtures/eta_fixture.csv")));
    if (!f.open(QIODevice::ReadOnly))
        return {};
    QStringList lines = QString::fromUtf8(f.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    return lines;
}

struct CliRun
{
    int code = -1;
    QString out;
    QString err;
    QJsonObject json() const { return QJsonDocument::fromJson(out.toUtf8()).object(); }
};

} // namespace

class TestModelChecksPg : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    std::unique_ptr<QTemporaryDir> m_dir;
    QString m_dep;
    std::vector<double> m_champion;  // eta_mlp's predictions on the fixture rows, in file order
    std::vector<double> m_candidate; // eta_lstm's

    int count(const QString &sql) { return queryValue(*m_conn, sql, {m_dep}).toInt(); }

    std::vector<double> predict(const QString &model)
    {
        const auto golden =
            checks::parseGolden(fixtureLines().join(QLatin1Char('\n')).toUtf8(), QStringLiteral("f"),
                                RideDelayGenerator::schema(), QStringLiteral("delay_min"), {}, false, {});
        if (!golden)
            return {};
        auto runner = ModelRunner::load(modelFile(model));
        if (!runner)
            return {};
        auto p = (*runner)->predict(golden->rows);
        return p ? *p : std::vector<double>();
    }

    // The fixture with two columns more: outcome (row i < xRows: the champion's prediction, else the
    // candidate's) and segment ("x" for the first xRows rows, else "y").
    QString writeGolden(const QString &name, int xRows)
    {
        const QStringList lines = fixtureLines();
        QString csv = lines.first() + QStringLiteral(",outcome,segment\n");
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const size_t r = size_t(i - 1);
            const bool x = int(r) < xRows;
            csv += lines[i] + QStringLiteral(",%1,%2\n")
                                  .arg(x ? m_champion[r] : m_candidate[r], 0, 'g', 17)
                                  .arg(x ? QStringLiteral("x") : QStringLiteral("y"));
        }
        const QString path = m_dir->filePath(name);
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly))
            return {};
        f.write(csv.toUtf8());
        return path;
    }

    Status declare(const char *json)
    {
        return models::saveCheckSettings(*m_conn, m_dep, QJsonDocument::fromJson(json).object(), kActor);
    }

    std::optional<ModelVersion> champion()
    {
        const auto c = ModelRegistry(*m_conn).byAlias(m_dep, QStringLiteral("champion"));
        return c ? *c : std::nullopt;
    }

    CliRun cli(const QStringList &args)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("MLDECK_PG_URL"), m_db->endpoint().toUrl(true));
        env.insert(QStringLiteral("MLDECK_MODEL_STORE"), m_dir->path());
        // A promotion publishes the champion in Redis: the test's Redis, never a default one.
        env.insert(QStringLiteral("MLDECK_REDIS_URL"), TestServers::redis().toUrl(true));
        p.setProcessEnvironment(env);
        p.start(qEnvironmentVariable("MLDECKCTL"),
                QStringList{QStringLiteral("models")} + args + QStringList{QStringLiteral("--deployment=") + m_dep});
        if (!p.waitForFinished(120000))
            return {};
        return CliRun{p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
                      QString::fromUtf8(p.readAllStandardOutput()), QString::fromUtf8(p.readAllStandardError())};
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_champion = predict(QStringLiteral("eta_mlp.pt"));
        m_candidate = predict(QStringLiteral("eta_lstm.pt"));
        QCOMPARE(m_champion.size(), size_t(40));
        QCOMPARE(m_candidate.size(), size_t(40));
    }

    void init()
    {
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("checks"));
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test_model_checks_pg"));
        QVERIFY2(conn.ok(), qPrintable(conn.errorMessage()));
        m_conn = std::move(conn).value();
        QVERIFY(Migrator::migrate(*m_conn).ok());
        m_dep = uniqueName(QStringLiteral("checks"));
        QVERIFY(DeploymentStore(*m_conn).ensure(m_dep, QStringLiteral("test"), RideDelayGenerator::schema()).ok());
        m_dir = std::make_unique<QTemporaryDir>();
        QVERIFY(m_dir->isValid());
        for (const char *file : {"eta_mlp.pt", "eta_lstm.pt"}) {
            models::RegisterRequest req;
            req.file = modelFile(QString::fromLatin1(file));
            req.deployment = m_dep;
            req.storeDirectory = m_dir->path();
            const auto r = models::registerModel(*m_conn, req, kActor);
            QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
        }
        // Version 1 (eta_mlp) becomes champion before any golden data exists: nothing is checked, and the
        // outcome says so rather than claiming a pass.
        const auto first =
            models::promote(*m_conn, std::nullopt, m_dep, QStringLiteral("1"), QStringLiteral("champion"), {}, kActor);
        QVERIFY2(first.ok(), qPrintable(first.errorMessage()));
        QVERIFY(first->checks.has_value());
        QVERIFY(!first->checks->configured);
        QVERIFY(!first->checks->passed());
        QVERIFY(first->checks->summary().contains(QStringLiteral("no promotion checks configured")));
    }

    void cleanup()
    {
        m_conn.reset();
        m_db.reset();
        m_dir.reset();
    }

    void withoutGoldenNothingRunsNorIsStored()
    {
        const auto report = models::runModelChecks(*m_conn, m_dep, QStringLiteral("2"), QStringLiteral("manual"));
        QVERIFY2(report.ok(), qPrintable(report.errorMessage()));
        QVERIFY(!report->configured);
        QVERIFY(report->results.isEmpty());
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM mldeck.model_check_runs WHERE deployment = $1")), 0);
    }

    void badGoldenIsRefusedAndChangesNothing()
    {
        const QString path = m_dir->filePath(QStringLiteral("bad.csv"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        QStringList lines = fixtureLines();
        lines[3].replace(0, lines[3].indexOf(QLatin1Char(',')), QStringLiteral("far")); // distance_km of line 4
        f.write(lines.join(QLatin1Char('\n')).toUtf8());
        f.close();
        const auto refused = models::setGolden(*m_conn, m_dep, path, QStringLiteral("delay_min"), {}, kActor);
        QVERIFY(!refused.ok());
        QVERIFY2(refused.errorMessage().contains(QStringLiteral("line 4, column 1 (distance_km)")),
                 qPrintable(refused.errorMessage()));
        QVERIFY(!models::setGolden(*m_conn, m_dep, path, QStringLiteral("no_such_column"), {}, kActor).ok());
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM mldeck.golden_datasets WHERE deployment = $1")), 0);
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE deployment = $1 "
                                      "AND action = 'models.golden'")),
                 0);
    }

    void candidateWorseOnOneSegmentIsRefused()
    {
        // Segment x (8 rows): the outcome is the champion's prediction, so the candidate can only be worse
        // there; segment y (32 rows): the candidate's, so it is better there and overall.
        double xError = 0, yError = 0;
        for (size_t i = 0; i < 40; ++i)
            (i < 8 ? xError : yError) += std::abs(m_champion[i] - m_candidate[i]);
        QVERIFY2(yError > xError && xError > 0, "the fixture must make the candidate better overall");
        const QString path = writeGolden(QStringLiteral("golden.csv"), 8);
        const auto golden =
            models::setGolden(*m_conn, m_dep, path, QStringLiteral("outcome"), QStringLiteral("segment"), kActor);
        QVERIFY2(golden.ok(), qPrintable(golden.errorMessage()));
        QCOMPARE(golden->rows, 40);
        QCOMPARE(golden->sha256.size(), 64);
        QVERIFY(declare(R"({"non_regression": {"margin": 0.05, "min_segment_rows": 5},
                            "stability": {"enabled": true, "max_change": 1000, "max_share": 0}})")
                    .ok());

        const auto refused = models::promote(*m_conn, std::nullopt, m_dep, QStringLiteral("2"),
                                             QStringLiteral("champion"), QStringLiteral("try"), kActor);
        QVERIFY(!refused.ok());
        QVERIFY2(refused.errorMessage().contains(QStringLiteral("non-regression (segment x)")),
                 qPrintable(refused.errorMessage()));
        QCOMPARE(champion()->version, QStringLiteral("1")); // nothing changed
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE deployment = $1 "
                                      "AND action = 'model.promote' AND after->>'version' = '2'")),
                 0);

        // The run is stored with every check's verdict.
        const auto stored =
            query(*m_conn,
                  QStringLiteral("SELECT purpose, passed::text, report::text FROM mldeck.model_check_runs "
                                 "WHERE deployment = $1 ORDER BY id DESC LIMIT 1"),
                  {m_dep});
        QVERIFY(stored.ok() && stored->size() == 1);
        QCOMPARE(stored->first()[0], QStringLiteral("promote"));
        QCOMPARE(stored->first()[1], QStringLiteral("false"));
        const auto report =
            checks::CheckReport::fromJson(QJsonDocument::fromJson(stored->first()[2].toUtf8()).object());
        QCOMPARE(report.candidate, QStringLiteral("2"));
        QCOMPARE(report.champion, QStringLiteral("1"));
        QCOMPARE(report.goldenRows, 40);
        QMap<QString, checks::Outcome> verdict;
        for (const checks::CheckResult &r : report.results)
            verdict.insert(r.check + QLatin1Char('/') + r.scope, r.outcome);
        QCOMPARE(verdict.value(QStringLiteral("input/")), checks::Outcome::Pass);
        QCOMPARE(verdict.value(QStringLiteral("non_regression/overall")), checks::Outcome::Pass);
        QCOMPARE(verdict.value(QStringLiteral("non_regression/x")), checks::Outcome::Fail);
        QCOMPARE(verdict.value(QStringLiteral("non_regression/y")), checks::Outcome::Pass);
        QCOMPARE(verdict.value(QStringLiteral("stability/")), checks::Outcome::Pass);
        QCOMPARE(report.failures().size(), 1);
    }

    void invarianceFailureIsRefusedAndPassingCandidatePromoted()
    {
        // Every outcome is the candidate's prediction: it cannot regress anywhere.
        const QString path = writeGolden(QStringLiteral("golden.csv"), 0);
        QVERIFY(
            models::setGolden(*m_conn, m_dep, path, QStringLiteral("outcome"), QStringLiteral("segment"), kActor).ok());
        QVERIFY(declare(R"({"non_regression": {"min_segment_rows": 5},
                            "invariance": [{"feature": "weekday", "values": [0, 6], "max_change": 0.000001}]})")
                    .ok());
        const auto refused =
            models::promote(*m_conn, std::nullopt, m_dep, QStringLiteral("2"), QStringLiteral("champion"), {}, kActor);
        QVERIFY(!refused.ok());
        QVERIFY2(refused.errorMessage().contains(QStringLiteral("invariance of weekday")),
                 qPrintable(refused.errorMessage()));
        QCOMPARE(champion()->version, QStringLiteral("1"));

        // A change of nothing moves nothing, whatever was scored before it in the same worker.
        QVERIFY(declare(R"({"non_regression": {"min_segment_rows": 5},
                            "invariance": [{"feature": "weekday", "values": [0, 6], "max_change": 1000},
                                           {"feature": "pickup_zone", "values": ["airport"], "max_change": 1000},
                                           {"feature": "rain_mm", "delta": 25, "max_change": 1000},
                                           {"feature": "distance_km", "delta": 0, "max_change": 0.0001}]})")
                    .ok());
        const auto promoted =
            models::promote(*m_conn, std::nullopt, m_dep, QStringLiteral("2"), QStringLiteral("champion"), {}, kActor);
        QVERIFY2(promoted.ok(), qPrintable(promoted.errorMessage()));
        QVERIFY(promoted->checks && promoted->checks->configured && promoted->checks->passed());
        QCOMPARE(champion()->version, QStringLiteral("2"));
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM mldeck.model_check_runs WHERE deployment = $1 "
                                      "AND passed AND purpose = 'promote'")),
                 1);
        // Golden data and declared checks are audited changes.
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE deployment = $1 "
                                      "AND action IN ('models.golden', 'models.checks')")),
                 3);
        // A challenger is not gated; restoring the previous champion never is.
        QVERIFY(models::restorePrevious(*m_conn, std::nullopt, m_dep, {}, kActor).ok());
        QCOMPARE(champion()->version, QStringLiteral("1"));
    }

    // A champion whose file cannot be read here must not block its replacement: the comparative checks
    // have no data, the outcome says it was not compared, and the candidate's own checks still decide.
    void championThatCannotBeLoadedIsNotComparedWith()
    {
        const QString path = writeGolden(QStringLiteral("golden.csv"), 0);
        QVERIFY(models::setGolden(*m_conn, m_dep, path, QStringLiteral("outcome"), {}, kActor).ok());
        QVERIFY(declare(R"({"stability": {"enabled": true},
                            "invariance": [{"feature": "weekday", "values": [0, 6], "max_change": 0.000001}]})")
                    .ok());
        const QString file = champion()->filePath;
        QVERIFY(QFile::rename(file, file + QStringLiteral(".away")));
        const auto refused =
            models::promote(*m_conn, std::nullopt, m_dep, QStringLiteral("2"), QStringLiteral("champion"), {}, kActor);
        QVERIFY(!refused.ok()); // the candidate's own check (invariance) still refuses it
        QVERIFY2(refused.errorMessage().contains(QStringLiteral("invariance of weekday")),
                 qPrintable(refused.errorMessage()));
        QVERIFY(declare(R"({"stability": {"enabled": true}})").ok());
        const auto promoted =
            models::promote(*m_conn, std::nullopt, m_dep, QStringLiteral("2"), QStringLiteral("champion"), {}, kActor);
        QVERIFY(QFile::rename(file + QStringLiteral(".away"), file));
        QVERIFY2(promoted.ok(), qPrintable(promoted.errorMessage()));
        QCOMPARE(champion()->version, QStringLiteral("2"));
        const checks::CheckReport &report = *promoted->checks;
        QVERIFY2(report.summary().startsWith(
                     QStringLiteral("not compared with the champion (%1@1 cannot be loaded").arg(m_dep)),
                 qPrintable(report.summary()));
        QVERIFY(!report.comparedAll());
        for (const checks::CheckResult &r : report.results)
            if (r.check == QLatin1String("non_regression") || r.check == QLatin1String("stability"))
                QCOMPARE(r.outcome, checks::Outcome::NoData);
        // Stored without a champion compared with: never reused as a comparison with version 1.
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM mldeck.model_check_runs WHERE deployment = $1 AND passed "
                                      "AND champion_model_id IS NULL")),
                 1);
    }

    // A viewer may not record a run: refused before any model is loaded (the candidate's file is even
    // missing here, and that is not what the refusal says), nothing stored.
    void viewerIsRefusedBeforeAnyScoring()
    {
        const QString path = writeGolden(QStringLiteral("golden.csv"), 0);
        QVERIFY(models::setGolden(*m_conn, m_dep, path, QStringLiteral("outcome"), {}, kActor).ok());
        const auto candidate = ModelRegistry(*m_conn).byVersion(m_dep, QStringLiteral("2"));
        QVERIFY(candidate.ok());
        QVERIFY(QFile::rename(candidate->filePath, candidate->filePath + QStringLiteral(".away")));
        const LoginRole viewer(QStringLiteral("mldeck_viewer"));
        auto conn = PgConnection::open(viewer.endpoint(m_db->endpoint()), QStringLiteral("test_model_checks_pg"));
        QVERIFY2(conn.ok(), qPrintable(conn.errorMessage()));
        const auto refused = models::runModelChecks(**conn, m_dep, QStringLiteral("2"), QStringLiteral("manual"));
        QVERIFY(QFile::rename(candidate->filePath + QStringLiteral(".away"), candidate->filePath));
        QVERIFY(!refused.ok());
        QVERIFY2(refused.errorMessage().contains(QStringLiteral("may not record a run of the model checks")),
                 qPrintable(refused.errorMessage()));
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM mldeck.model_check_runs WHERE deployment = $1")), 0);
    }

    // A classifier (accept_mlp.pt champion, accept_logistic.pt candidate, 0/1 labels): non-regression on
    // accuracy in points, overall and per vehicle type, and stability as class flips, through the workers'
    // probability vectors.
    void classifierChecksAccuracyAndFlips()
    {
        NewDeployment d;
        d.name = uniqueName(QStringLiteral("checksclf"));
        d.task = QStringLiteral("classification");
        d.schema = RideOfferGenerator::schema();
        d.classSpec = RideOfferGenerator::classSpec();
        QVERIFY(DeploymentStore(*m_conn).create(d, kActor).ok());
        for (const char *file : {"accept_mlp.pt", "fixtures/accept_logistic.pt"}) {
            models::RegisterRequest req;
            req.file = modelFile(QString::fromLatin1(file));
            req.deployment = d.name;
            req.storeDirectory = m_dir->path();
            const auto r = models::registerModel(*m_conn, req, kActor);
            QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
        }
        QVERIFY(
            models::promote(*m_conn, std::nullopt, d.name, QStringLiteral("1"), QStringLiteral("champion"), {}, kActor)
                .ok());
        const auto golden = models::setGolden(*m_conn, d.name, modelFile(QStringLiteral("fixtures/accept_holdout.csv")),
                                              QStringLiteral("accepted"), QStringLiteral("vehicle_type"), kActor);
        QVERIFY2(golden.ok(), qPrintable(golden.errorMessage()));
        QCOMPARE(golden->rows, 3000);
        QVERIFY(models::saveCheckSettings(*m_conn, d.name,
                                          QJsonDocument::fromJson(R"({"non_regression": {"margin": 0.5},
                                              "stability": {"enabled": true, "max_share": 0}})")
                                              .object(),
                                          kActor)
                    .ok());
        const auto report = models::runModelChecks(*m_conn, d.name, QStringLiteral("2"), QStringLiteral("manual"));
        QVERIFY2(report.ok(), qPrintable(report.errorMessage()));
        int segments = 0;
        for (const checks::CheckResult &r : report->results) {
            if (r.check == QLatin1String("non_regression")) {
                QCOMPARE(r.figures.value(QStringLiteral("metric")).toString(), QStringLiteral("accuracy"));
                const double cand = r.figures.value(QStringLiteral("candidate")).toDouble();
                const double champ = r.figures.value(QStringLiteral("champion")).toDouble();
                QVERIFY2(cand > 0.5 && cand <= 1 && champ > 0.5 && champ <= 1, qPrintable(r.detail));
                QCOMPARE(r.outcome, checks::Outcome::Pass); // within 50 points
                segments += r.scope != QLatin1String("overall") ? 1 : 0;
            }
            if (r.check == QLatin1String("stability")) {
                // Two different models flip some of 3,000 decisions; none is allowed here.
                QVERIFY2(r.figures.value(QStringLiteral("moved")).toInt() > 0, qPrintable(r.detail));
                QCOMPARE(r.outcome, checks::Outcome::Fail);
                QVERIFY(r.detail.contains(QStringLiteral("change class")));
            }
        }
        QVERIFY(segments >= 2);
        QCOMPARE(report->failures().size(), 1);
    }

    void checkVerbRunsTheChecksAlone()
    {
        const CliRun none = cli({QStringLiteral("check"), QStringLiteral("--model=2")});
        QCOMPARE(none.code, 1); // nothing configured is not a pass
        QVERIFY2(none.out.contains(QStringLiteral("no promotion checks configured")), qPrintable(none.out + none.err));

        const QString path = writeGolden(QStringLiteral("golden.csv"), 8);
        const CliRun set = cli({QStringLiteral("golden"), QStringLiteral("set"), QStringLiteral("--file=") + path,
                                QStringLiteral("--segment=segment"), QStringLiteral("--json")});
        QVERIFY2(set.code == 0, qPrintable(set.err));
        QCOMPARE(set.json().value(QStringLiteral("rows")).toInt(), 40);
        const CliRun shown = cli({QStringLiteral("golden"), QStringLiteral("show"), QStringLiteral("--json")});
        QCOMPARE(shown.code, 0);
        QCOMPARE(shown.json().value(QStringLiteral("segment_column")).toString(), QStringLiteral("segment"));
        const QString checksFile = m_dir->filePath(QStringLiteral("checks.json"));
        QFile f(checksFile);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(R"({"non_regression": {"min_segment_rows": 5}})");
        f.close();
        QCOMPARE(cli({QStringLiteral("checks"), QStringLiteral("set"), QStringLiteral("--file=") + checksFile}).code,
                 0);

        const CliRun failed = cli({QStringLiteral("check"), QStringLiteral("--model=2"), QStringLiteral("--json")});
        QCOMPARE(failed.code, 1);
        const QJsonObject report = failed.json();
        QCOMPARE(report.value(QStringLiteral("passed")).toBool(true), false);
        QCOMPARE(report.value(QStringLiteral("candidate")).toString(), QStringLiteral("2"));
        QVERIFY(report.value(QStringLiteral("summary")).toString().contains(QStringLiteral("segment x")));
        const CliRun champ = cli({QStringLiteral("check"), QStringLiteral("--model=champion")});
        QCOMPARE(champ.code, 0); // the champion against itself: nothing to compare, input accepted
        QVERIFY2(champ.out.contains(QStringLiteral("no other champion")), qPrintable(champ.out));
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM mldeck.model_check_runs WHERE deployment = $1 "
                                      "AND purpose = 'manual'")),
                 2);

        const CliRun refused = cli({QStringLiteral("promote"), QStringLiteral("2")});
        QCOMPARE(refused.code, 1);
        QVERIFY2(refused.err.contains(QStringLiteral("non-regression (segment x)")), qPrintable(refused.err));
        // The gate reused the manual run (same champion, golden data and checks): nothing scored again.
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM mldeck.model_check_runs WHERE deployment = $1 "
                                      "AND purpose = 'promote'")),
                 0);

        // A golden set can be removed (audited); the promotions are then unchecked, and say so.
        const CliRun removed = cli({QStringLiteral("golden"), QStringLiteral("remove")});
        QVERIFY2(removed.code == 0, qPrintable(removed.err));
        QVERIFY2(removed.out.contains(QStringLiteral("removed")), qPrintable(removed.out));
        QCOMPARE(cli({QStringLiteral("golden"), QStringLiteral("show")}).code, 1);
        QCOMPARE(cli({QStringLiteral("golden"), QStringLiteral("remove")}).code, 1); // nothing to remove
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE deployment = $1 AND action = "
                                      "'models.golden' AND after IS NULL AND before->>'file' = 'golden.csv'")),
                 1);
        const CliRun unchecked = cli({QStringLiteral("promote"), QStringLiteral("2")});
        QVERIFY2(unchecked.code == 0, qPrintable(unchecked.err));
        QVERIFY2(unchecked.out.contains(QStringLiteral("no promotion checks configured")), qPrintable(unchecked.out));
        const CliRun badChecks =
            cli({QStringLiteral("checks"), QStringLiteral("set"), QStringLiteral("--file=") + path});
        QCOMPARE(badChecks.code, 2); // a CSV is not a JSON object
    }
};

QTEST_GUILESS_MAIN(TestModelChecksPg)
#include "test_model_checks_pg.moc"

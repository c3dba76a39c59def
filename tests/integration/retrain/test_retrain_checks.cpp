// A retrain run and the promotion test suite, against real PostgreSQL (its own ctest entry: each case is a
// full retrain): a candidate failing the model checks keeps its report with the run and the wizard's
// Promote is refused even with an override of the decision rule, reusing the run's checks; a cancel while
// the checks run records the run as cancelled.
#include "RetrainFixture.h"

#include "core/Text.h"
#include "core/ml/ModelRunner.h"
#include "core/ml/checks/ModelChecks.h"
#include "core/services/ModelCheckOperations.h"
#include "core/services/retrain/RetrainRunner.h"

#include <QJsonObject>

#include <atomic>

using namespace mldeck;
using namespace mldeck::test;

class TestRetrainChecks : public QObject
{
    Q_OBJECT

private:
    RetrainFixture f;

    retrain::RetrainRequest request(int epochs, double lr, bool fromBase = true) const
    {
        retrain::RetrainRequest r;
        r.deployment = f.dep;
        r.daysBack = 30;
        r.training.epochs = epochs;
        r.training.learningRate = lr;
        r.training.batchSize = 128;
        r.training.startFromBase = fromBase;
        r.training.seed = 11;
        r.force = true;
        r.storeDirectory = f.store->path();
        r.bootstrapResamples = 400;
        return r;
    }

    // A degraded champion (version 1) and golden data whose outcomes are its own predictions: any other
    // model is worse on them, so the candidate of a retrain fails non-regression.
    void championAndGolden()
    {
        const QString degradedFile = f.store->filePath(QStringLiteral("degraded-src.pt"));
        const auto degraded = f.degradedModel(degradedFile);
        QVERIFY2(degraded.ok(), qPrintable(degraded.errorMessage()));
        QVERIFY(f.registerFile(*degraded, QStringLiteral("1")).ok());
        QVERIFY(f.promote(QStringLiteral("1")).ok());
        QFile fixture(QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/fixtures/eta_fixture.csv"));
        QVERIFY(fixture.open(QIODevice::ReadOnly));
        const QStringList lines = QString::fromUtf8(fixture.readAll()).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        const auto rows = checks::parseGolden(lines.join(QLatin1Char('\n')).toUtf8(), QStringLiteral("f"),
                                              RideDelayGenerator::schema(), QStringLiteral("delay_min"), {}, false, {});
        QVERIFY(rows.ok());
        auto runner = ModelRunner::load(*degraded);
        QVERIFY(runner.ok());
        const auto predicted = (*runner)->predict(rows->rows);
        QVERIFY(predicted.ok());
        QString csv = lines.first() + QStringLiteral(",outcome\n");
        for (qsizetype i = 1; i < lines.size(); ++i)
            csv += lines[i] + QStringLiteral(",%1\n").arg((*predicted)[size_t(i - 1)], 0, 'g', 17);
        const QString golden = f.store->filePath(QStringLiteral("golden.csv"));
        QFile out(golden);
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(csv.toUtf8());
        out.close();
        QVERIFY(models::setGolden(*f.conn, f.dep, golden, QStringLiteral("outcome"), {}, kRetrainActor).ok());
    }

private Q_SLOTS:
    void initTestCase() { MLDECK_REQUIRE_SERVERS(); }

    void init()
    {
        const QString error = f.setUp(QStringLiteral("rtc"));
        QVERIFY2(error.isEmpty(), qPrintable(error));
        const QString logged = f.logRides(3000, 5, 120, 40);
        QVERIFY2(logged.isEmpty(), qPrintable(logged));
    }

    void cleanup() { f.tearDown(); }

    void candidateFailingTheModelChecksIsRefused()
    {
        championAndGolden();
        if (QTest::currentTestFailed())
            return;

        const auto run = retrain::runRetrain(*f.conn, request(4, 0.005, false), kRetrainActor);
        QVERIFY2(run.run.state == QLatin1String("succeeded"), qPrintable(run.run.error));
        const checks::CheckReport report = checks::CheckReport::fromJson(run.run.checks);
        QVERIFY(report.configured);
        QVERIFY(!report.passed());
        QCOMPARE(report.failures().first().title(), QStringLiteral("non-regression (overall)"));
        QCOMPARE(report.champion, QStringLiteral("1"));
        QCOMPARE(report.candidate, run.candidateVersion);
        // Stored with the run (history, export) and as a check run of the candidate.
        const auto stored = retrain::history(*f.conn, f.dep);
        QVERIFY(stored.ok() && !stored->isEmpty());
        QCOMPARE(stored->first().checks.value(QStringLiteral("passed")).toBool(true), false);
        QCOMPARE(stored->first().toJson().value(QStringLiteral("checks")).toObject(), run.run.checks);
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.model_check_runs WHERE deployment = $1 "
                                        "AND purpose = 'retrain' AND NOT passed"),
                         {f.dep}),
                 1);

        retrain::ApplyOptions apply;
        apply.action = retrain::RetrainAction::Promote;
        apply.reason = QStringLiteral("override: the checks are not the decision rule");
        const auto refused = retrain::applyDecision(*f.conn, std::nullopt, run.run.id, apply, kRetrainActor);
        QVERIFY(!refused.ok());
        QVERIFY2(refused.errorMessage().contains(QStringLiteral("fails the model checks")) &&
                     refused.errorMessage().contains(QStringLiteral("non-regression (overall)")),
                 qPrintable(refused.errorMessage()));
        QCOMPARE(f.champion(), QStringLiteral("1"));
        // The gate reused the retrain run's checks (same champion, golden data and settings): they ran once.
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.model_check_runs WHERE deployment = $1"), {f.dep}),
                 1);
    }

    void cancelWhileTheChecksRunIsRecordedAsCancelled()
    {
        championAndGolden();
        if (QTest::currentTestFailed())
            return;
        std::atomic<bool> cancel{false};
        const QString checking = ServiceText::tr("Running the model checks");
        const auto out = retrain::runRetrain(*f.conn, request(1, 0.005, false), kRetrainActor, &cancel,
                                             [&](const retrain::RetrainProgress &p) {
                                                 if (p.message == checking)
                                                     cancel = true;
                                             });
        QVERIFY(cancel.load());
        QCOMPARE(out.run.state, QStringLiteral("cancelled"));
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.retrain_runs WHERE state = 'cancelled'")), 1);
        QCOMPARE(f.champion(), QStringLiteral("1"));
    }
};

QTEST_GUILESS_MAIN(TestRetrainChecks)
#include "test_retrain_checks.moc"

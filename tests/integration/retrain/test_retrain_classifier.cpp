// Retraining the demo classifier (accept_mlp.pt, ride offers "declined"/"accepted") end to end against
// real PostgreSQL and the real LibTorch worker: labels from outcomes and from dispatchers' right/wrong
// feedback; a candidate that beats a degraded champion by more than 2 accuracy points with an interval
// above 0 is promoted, exported with its classes, threshold and output kind; a worse candidate against the
// real champion is refused and kept as challenger; the log-loss rule decides when chosen.
#include "RetrainFixture.h"

#include "core/demo/RideOfferGenerator.h"
#include "core/ml/ModelRunner.h"
#include "core/services/retrain/RetrainRunner.h"
#include "core/store/pg/ModelRegistry.h"
#include "tests/support/TestChecks.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cmath>

using namespace mldeck;
using namespace mldeck::test;

namespace {

QString acceptModel()
{
    return QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/accept_mlp.pt");
}

} // namespace

class TestRetrainClassifier : public QObject
{
    Q_OBJECT

private:
    RetrainFixture f;
    qint64 m_feedbackLabelled = 0; // offers whose only label is a dispatcher's right/wrong mark

    retrain::RetrainRequest request(int epochs, double lr, bool fromBase) const
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

    // `rows` offers over the last `days` days, all served as "accepted" on the ML path. Every tenth offer
    // gets no outcome but a dispatcher's mark instead (right when the driver accepted): on a binary
    // deployment the database turns it into the label (wrong: the other class).
    QString logOffers(int rows, int days, quint64 seed)
    {
        RideOfferGenerator gen(seed);
        const qint64 end = (QDateTime::currentDateTimeUtc().toMSecsSinceEpoch() - 3'600'000) * 1000;
        const qint64 span = qint64(days) * 86'400'000'000LL;
        std::vector<PredictionRow> predictions;
        std::vector<OutcomeRow> outcomes;
        std::vector<FeedbackRow> feedback;
        m_feedbackLabelled = 0;
        for (int i = 0; i < rows; ++i) {
            const qint64 ts = end - span + span * i / rows;
            const RideOffer offer = gen.next(ts);
            const QString key = QStringLiteral("%1-%2").arg(seed).arg(i);
            PredictionRow p;
            p.tsMicros = ts;
            p.deployment = f.dep;
            p.requestKey = key;
            p.modelVersion = QStringLiteral("1");
            p.path = PredictionPath::Ml;
            p.predictedClass = 1;
            p.probabilities = {0.4f, 0.6f};
            p.predicted = 0.6;
            p.features = offer.features;
            predictions.push_back(p);
            if (i % 10 == 9) {
                feedback.push_back(FeedbackRow{ts + 2'000'000, f.dep, key, offer.accepted == 1, QString(),
                                               QStringLiteral("u%1").arg(i % 37), QString()});
                ++m_feedbackLabelled;
            } else {
                outcomes.push_back(OutcomeRow{ts + 1'000'000, f.dep, key, double(offer.accepted)});
            }
        }
        PredictionLog log(*f.conn);
        if (auto s = log.appendPredictions(predictions); !s)
            return s.errorMessage();
        if (auto s = log.appendOutcomes(outcomes); !s)
            return s.errorMessage();
        if (auto s = log.appendFeedback(feedback); !s)
            return s.errorMessage();
        return {};
    }

    // The champion: a degraded accept_mlp (re-initialised, one epoch at a tiny learning rate), or the real one.
    void championIs(bool degraded)
    {
        QString file = acceptModel();
        if (degraded) {
            const auto made = f.degradedModel(f.store->filePath(QStringLiteral("degraded-src.pt")), acceptModel());
            QVERIFY2(made.ok(), qPrintable(made.errorMessage()));
            file = *made;
        }
        const auto base = f.registerFile(file, QStringLiteral("1"));
        QVERIFY2(base.ok(), qPrintable(base.errorMessage()));
        QVERIFY(f.promote(QStringLiteral("1")).ok());
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        QVERIFY(QFile::exists(acceptModel()));
    }

    void init()
    {
        const QString error =
            f.setUpClassifier(QStringLiteral("rtc"), RideOfferGenerator::schema(), RideOfferGenerator::classSpec());
        QVERIFY2(error.isEmpty(), qPrintable(error));
        const QString logged = logOffers(3000, 5, 7);
        QVERIFY2(logged.isEmpty(), qPrintable(logged));
    }

    void cleanup() { f.tearDown(); }

    // The window's labels: outcomes and the feedback marks, all class indices; the summary counts classes.
    void labelsComeFromOutcomesAndFeedback()
    {
        const auto summary = retrain::summarizeData(*f.conn, request(1, 0.001, true));
        QVERIFY2(summary.ok(), qPrintable(summary.errorMessage()));
        QCOMPARE(summary->rows, qint64(3000)); // 2,700 outcomes + 300 feedback labels
        QCOMPARE(summary->classes, RideOfferGenerator::classSpec().classes);
        QCOMPARE(qint64(summary->classCounts.size()), qint64(2));
        QCOMPARE(summary->classCounts[0] + summary->classCounts[1], qint64(3000));
        QVERIFY(summary->classCounts[0] > 0 && summary->classCounts[1] > 0);
        QVERIFY(summary->targetHistogram.empty());

        // The performance trigger of a classifier: all offers were served "accepted", so the window's accuracy
        // is the accepted share, below the 90 % target.
        RetrainSettings s;
        s.onMaeAboveTarget = true;
        s.minFeedback = 1000; // the dispatchers' marks alone are not enough
        QVERIFY(retrain::saveSettings(*f.conn, f.dep, s, kRetrainActor).ok());
        const auto check = retrain::checkTriggers(*f.conn, f.dep);
        QVERIFY2(check.ok(), qPrintable(check.errorMessage()));
        const TriggerCondition &accuracy = check->conditions.last();
        QCOMPARE(accuracy.key, QStringLiteral("accuracy_below_target"));
        QVERIFY(accuracy.value.has_value());
        QVERIFY(std::abs(*accuracy.value - double(summary->classCounts[1]) / 3000.0) < 1e-9);
        QCOMPARE(accuracy.threshold, std::optional<double>(0.90));
        QVERIFY(check->due);
        QCOMPARE(retrain::triggerFor(*check), QStringLiteral("performance"));
        qInfo("classes: %lld declined, %lld accepted; %lld labelled by feedback", summary->classCounts[0],
              summary->classCounts[1], m_feedbackLabelled);
    }

    // The rule holds: more than 2 accuracy points better, interval above 0 -> promoted.
    void betterClassifierIsPromoted()
    {
        championIs(true);
        MLDECK_HELPERS_OK();
        auto r = request(4, 0.005, false);
        r.training.balancedClassWeights = true;
        const auto out = retrain::runRetrain(*f.conn, r, kRetrainActor);
        QVERIFY2(out.run.state == QLatin1String("succeeded"), qPrintable(out.run.error));
        QVERIFY(out.decision.has_value());
        qInfo("decision: %s", qPrintable(out.decision->reason));
        QCOMPARE(out.decision->metric, retrain::DecisionMetric::Accuracy);
        QVERIFY2(out.decision->promote, qPrintable(out.decision->reason));
        QVERIFY(out.decision->candidate - out.decision->champion >= 0.02);
        QVERIFY(out.decision->difference.low > 0);
        for (const EpochReport &e : out.history)
            QVERIFY(e.validationAccuracy.has_value());

        // The run's figures: both models on the same holdout, both intervals, the rule and the classes.
        const QJsonObject m = out.run.metrics;
        for (const char *model : {"candidate", "champion"})
            for (const char *key : {"accuracy", "log_loss", "brier"})
                QVERIFY2(m.value(QLatin1String(model)).toObject().value(QLatin1String(key)).isDouble(), key);
        QVERIFY(m.contains(QStringLiteral("accuracy_difference")));
        QVERIFY(m.contains(QStringLiteral("log_loss_difference")));
        QCOMPARE(m.value(QStringLiteral("decision_rule")).toObject().value(QStringLiteral("metric")).toString(),
                 QStringLiteral("accuracy"));
        QCOMPARE(m.value(QStringLiteral("classes")).toArray(),
                 QJsonArray::fromStringList(RideOfferGenerator::classSpec().classes));
        QCOMPARE(m.value(QStringLiteral("holdout_rows")).toInt(), 600);

        // The registered candidate: a classifier with the base's classes, threshold and output kind.
        const auto model = ModelRegistry(*f.conn).byVersion(f.dep, out.candidateVersion);
        QVERIFY(model.ok());
        QVERIFY(model->metrics.value(QStringLiteral("accuracy")).isDouble());
        QVERIFY(model->metrics.value(QStringLiteral("champion_accuracy_on_holdout")).isDouble());
        auto base = ModelRunner::load(acceptModel());
        auto candidate = ModelRunner::load(model->filePath);
        QVERIFY2(candidate.ok(), qPrintable(candidate.errorMessage()));
        const ModelInfo &info = candidate.value()->info();
        QCOMPARE(info.task, QStringLiteral("classification"));
        QCOMPARE(info.classSpec.classes, base.value()->info().classSpec.classes);
        QCOMPARE(info.classSpec.decisionThreshold, base.value()->info().classSpec.decisionThreshold);
        QCOMPARE(info.outputsLogits, base.value()->info().outputsLogits);
        const QJsonObject training =
            QJsonDocument::fromJson(info.metadataJson).object().value(QStringLiteral("training")).toObject();
        QCOMPARE(training.value(QStringLiteral("loss")).toString(), QStringLiteral("binary_cross_entropy"));
        QCOMPARE(training.value(QStringLiteral("class_weights")).toArray().size(), 2);

        retrain::ApplyOptions apply;
        apply.action = retrain::RetrainAction::Promote;
        const auto applied = retrain::applyDecision(*f.conn, std::nullopt, out.run.id, apply, kRetrainActor);
        QVERIFY2(applied.ok(), qPrintable(applied.errorMessage()));
        QCOMPARE(applied->decision, QStringLiteral("promoted"));
        QCOMPARE(f.champion(), out.candidateVersion);
    }

    // The rule does not hold: a barely trained candidate against the real champion -> refused, kept as
    // challenger, the champion unchanged.
    void worseClassifierIsRefused()
    {
        championIs(false);
        MLDECK_HELPERS_OK();
        const auto out = retrain::runRetrain(*f.conn, request(1, 1e-7, false), kRetrainActor);
        QVERIFY2(out.run.state == QLatin1String("succeeded"), qPrintable(out.run.error));
        QVERIFY(out.decision.has_value());
        qInfo("decision: %s", qPrintable(out.decision->reason));
        QVERIFY(!out.decision->promote);
        QVERIFY(out.decision->reason.startsWith(QLatin1String("Do not promote: the candidate's accuracy")));
        QCOMPARE(out.run.decision, QStringLiteral("rejected"));

        retrain::ApplyOptions apply;
        apply.action = retrain::RetrainAction::Promote;
        const auto refused = retrain::applyDecision(*f.conn, std::nullopt, out.run.id, apply, kRetrainActor);
        QVERIFY(!refused.ok());
        QVERIFY2(refused.errorMessage().contains(QLatin1String("refused")), qPrintable(refused.errorMessage()));
        QCOMPARE(f.champion(), QStringLiteral("1"));
        apply.action = retrain::RetrainAction::KeepAsChallenger;
        const auto kept = retrain::applyDecision(*f.conn, std::nullopt, out.run.id, apply, kRetrainActor);
        QVERIFY2(kept.ok(), qPrintable(kept.errorMessage()));
        QVERIFY(ModelRegistry(*f.conn).byVersion(f.dep, out.candidateVersion)->isChallenger());
        QCOMPARE(f.champion(), QStringLiteral("1"));
    }

    // The deployment may choose log-loss: the same comparison decides on it, relative like the MAE; the
    // decision agrees with the rule applied to the recorded interval.
    void logLossRuleDecidesWhenChosen()
    {
        championIs(true);
        MLDECK_HELPERS_OK();
        RetrainSettings s;
        s.classificationMetric = QStringLiteral("log_loss");
        QVERIFY(retrain::saveSettings(*f.conn, f.dep, s, kRetrainActor).ok());
        auto r = request(4, 0.005, false);
        r.classificationMetric = retrain::loadSettings(*f.conn, f.dep)->classificationMetric;
        r.dryRun = true;
        const auto out = retrain::runRetrain(*f.conn, r, kRetrainActor);
        QVERIFY2(out.run.state == QLatin1String("succeeded"), qPrintable(out.run.error));
        QCOMPARE(out.decision->metric, retrain::DecisionMetric::LogLoss);
        qInfo("decision: %s", qPrintable(out.decision->reason));
        QVERIFY2(out.decision->promote, qPrintable(out.decision->reason));
        QVERIFY(out.decision->candidate < out.decision->champion * 0.98);
        QVERIFY(out.decision->difference.high < 0);
        const QJsonObject ll = out.run.metrics.value(QStringLiteral("log_loss_difference")).toObject();
        QCOMPARE(ll.value(QStringLiteral("candidate")).toDouble(), out.decision->candidate);
        QVERIFY(out.candidateVersion.isEmpty()); // dry run: nothing registered

        // A refused metric name is a readable error before anything is recorded.
        const int runs = f.count(QStringLiteral("SELECT count(*) FROM mldeck.retrain_runs"));
        r.classificationMetric = QStringLiteral("f1");
        const auto bad = retrain::runRetrain(*f.conn, r, kRetrainActor);
        QCOMPARE(bad.run.state, QStringLiteral("failed"));
        QVERIFY2(bad.run.error.contains(QLatin1String("accuracy")), qPrintable(bad.run.error));
        QCOMPARE(f.count(QStringLiteral("SELECT count(*) FROM mldeck.retrain_runs")), runs);
    }
};

QTEST_GUILESS_MAIN(TestRetrainClassifier)
#include "test_retrain_classifier.moc"

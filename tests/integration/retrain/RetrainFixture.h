#pragma once

// Shared by the retrain integration tests: a migrated scratch database, a deployment with the demo
// schema, logged rides (predictions, outcomes, feedback) from the reference generator, and models.
#include "core/demo/RideDelayGenerator.h"
#include "core/ml/Trainer.h"
#include "core/services/ModelOperations.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/EvaluationData.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/PredictionLog.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestServers.h"

#include <QDateTime>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

namespace mldeck::test {

inline QString demoModel()
{
    return QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/eta_mlp.pt");
}

inline const Actor kRetrainActor{QStringLiteral("tester@testhost"), QStringLiteral("tester"),
                                 QStringLiteral("testhost")};

struct RetrainFixture
{
    std::unique_ptr<ScratchDatabase> db;
    std::unique_ptr<PgConnection> conn;
    std::unique_ptr<QTemporaryDir> store;
    QString dep;

    // Returns an empty string on success, else what failed.
    QString setUp(const QString &prefix)
    {
        if (const QString opened = openDatabase(prefix); !opened.isEmpty())
            return opened;
        if (const auto s =
                DeploymentStore(*conn).ensure(dep, QStringLiteral("retrain test"), RideDelayGenerator::schema());
            !s)
            return s.errorMessage();
        return {};
    }

    // A classification deployment (classes, decision threshold, schema) instead of the regression one.
    QString setUpClassifier(const QString &prefix, const FeatureSchema &schema, const ClassSpec &classes)
    {
        if (const QString opened = openDatabase(prefix); !opened.isEmpty())
            return opened;
        NewDeployment spec;
        spec.name = dep;
        spec.task = QStringLiteral("classification");
        spec.description = QStringLiteral("retrain test");
        spec.schema = schema;
        spec.classSpec = classes;
        if (const auto created = DeploymentStore(*conn).create(spec, kRetrainActor); !created)
            return created.errorMessage();
        return {};
    }

    // The scratch database, migrated; the deployment's name and the model store.
    QString openDatabase(const QString &prefix)
    {
        db = std::make_unique<ScratchDatabase>(prefix);
        auto c = PgConnection::open(db->endpoint(), prefix);
        if (!c)
            return c.errorMessage();
        conn = std::move(c).value();
        if (const auto m = Migrator::migrate(*conn); !m)
            return m.errorMessage();
        dep = uniqueName(prefix);
        store = std::make_unique<QTemporaryDir>();
        return store->isValid() ? QString() : QStringLiteral("no temporary directory");
    }

    void tearDown()
    {
        conn.reset(); // before the database is dropped
        db.reset();
        store.reset();
    }

    int count(const QString &sql, const QStringList &params = {}) const
    {
        const auto r = test::query(*conn, sql, params);
        if (!r || r->isEmpty()) {
            qWarning() << "count failed:" << sql << r.errorMessage();
            return -1;
        }
        return r->first().first().toInt();
    }

    // `rows` rides over the last `days` days (ending an hour ago), each with its outcome; feedback on the
    // first `feedback` requests, of which `negative` are negative.
    QString logRides(int rows, int days = 5, int feedback = 0, int negative = 0, quint64 seed = 7)
    {
        RideDelayGenerator gen(seed);
        const qint64 end = (QDateTime::currentDateTimeUtc().toMSecsSinceEpoch() - 3'600'000) * 1000;
        const qint64 span = qint64(days) * 86'400'000'000LL;
        std::vector<PredictionRow> predictions;
        std::vector<OutcomeRow> outcomes;
        std::vector<FeedbackRow> feedbackRows;
        for (int i = 0; i < rows; ++i) {
            const qint64 ts = end - span + span * i / rows;
            RideRequest r = gen.next(ts);
            r.requestKey = QStringLiteral("%1-%2").arg(seed).arg(i);
            PredictionRow p;
            p.tsMicros = ts;
            p.deployment = dep;
            p.requestKey = r.requestKey;
            p.modelVersion = QStringLiteral("1");
            p.path = PredictionPath::Ml;
            p.predicted = heuristicDelay(r.features);
            p.features = r.features;
            predictions.push_back(p);
            outcomes.push_back(OutcomeRow{ts + 1'000'000, dep, r.requestKey, r.actualDelay});
            if (i < feedback)
                feedbackRows.push_back(FeedbackRow{ts + 2'000'000, dep, r.requestKey, i >= negative, QString(),
                                                   QStringLiteral("u%1").arg(i % 37), QString()});
        }
        PredictionLog log(*conn);
        if (auto s = log.appendPredictions(predictions); !s)
            return s.errorMessage();
        if (auto s = log.appendOutcomes(outcomes); !s)
            return s.errorMessage();
        if (!feedbackRows.empty())
            if (auto s = log.appendFeedback(feedbackRows); !s)
                return s.errorMessage();
        return {};
    }

    Result<ModelVersion> registerFile(const QString &file, const QString &version, const QString &parent = {})
    {
        models::RegisterRequest req;
        req.file = file;
        req.deployment = dep;
        req.version = version;
        req.parentVersion = parent;
        req.storeDirectory = store->path();
        auto r = models::registerModel(*conn, req, kRetrainActor);
        if (!r)
            return r.error();
        return r->model;
    }

    Status promote(const QString &version)
    {
        const auto r = models::promote(*conn, std::nullopt, dep, version, QStringLiteral("champion"),
                                       QStringLiteral("test setup"), kRetrainActor);
        if (!r)
            return r.error();
        return {};
    }

    // A deliberately bad model of the demo architecture: re-initialised, one epoch at a tiny learning rate.
    Result<QString> degradedModel(const QString &outputPath, const QString &base = demoModel())
    {
        const qint64 now = QDateTime::currentDateTimeUtc().toMSecsSinceEpoch() * 1000;
        auto data = EvaluationData(*conn).load(dep, now - 30 * 86'400'000'000LL, now);
        if (!data)
            return data.error();
        TrainingParams p;
        p.startFromBase = false;
        p.epochs = 1;
        p.learningRate = 1e-7;
        p.earlyStoppingPatience = 0;
        p.plateauPatience = 0;
        p.seed = 3;
        auto trained = trainModel(base, *data, *data, p, QStringLiteral("degraded"), outputPath);
        if (!trained)
            return trained.error();
        return outputPath;
    }

    QString champion() const
    {
        const auto r =
            test::query(*conn,
                        QStringLiteral("SELECT m.version FROM mldeck.model_aliases a JOIN mldeck.models m "
                                       "ON m.id = a.model_id WHERE a.deployment = $1 AND a.alias = 'champion'"),
                        {dep});
        return r && !r->isEmpty() ? r->first().first() : QString();
    }

    int storeFiles() const { return int(QDir(store->path()).entryList(QDir::Files).size()); }
};

} // namespace mldeck::test

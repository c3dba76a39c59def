// The reference backend serving an image deployment (the demo's digits: digits_cnn.pt in its model worker,
// images made by resources/models/make_digits_cnn.py) against real Redis and PostgreSQL: every row carries
// the key of the image served and that key resolves in the deployment's store; the true class and some
// right/wrong marks arrive later, the marks about the same image; the image-drift scenario serves darker,
// noisier copies written into the store (measured with the pipeline's imageStats and a neighbour-difference
// noise figure); scenarios and models that do not fit are refused before anything is served.
#include "core/domain/ImageDeployment.h"
#include "core/ml/image/ImagePipeline.h"
#include "core/rollout/AuditRecord.h"
#include "core/services/DeploymentOnboarding.h"
#include "core/simulator/ImageTraffic.h"
#include "core/simulator/Simulator.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/redis/FlagStore.h"
#include "core/store/redis/RedisConnection.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"

#include <QtTest>

#include <cmath>

using namespace mldeck;
using namespace mldeck::test;

namespace {

const Actor kActor{QStringLiteral("tester@testhost"), QStringLiteral("tester"), QStringLiteral("testhost")};

QString sourceFile(const QString &relative)
{
    const QByteArray env = qgetenv("MLDECK_SOURCE_DIR");
    return (env.isEmpty() ? QStringLiteral(MLDECK_SOURCE_DIR) : QString::fromLocal8Bit(env)) + QLatin1Char('/') +
           relative;
}

// Grain: the mean absolute difference between horizontally adjacent pixels, in [0, 1].
double grain(const QImage &image)
{
    const QImage gray = image.convertToFormat(QImage::Format_Grayscale8);
    double sum = 0;
    qint64 n = 0;
    for (int y = 0; y < gray.height(); ++y) {
        const uchar *line = gray.constScanLine(y);
        for (int x = 1; x < gray.width(); ++x, ++n)
            sum += std::abs(int(line[x]) - int(line[x - 1]));
    }
    return n > 0 ? sum / double(n) / 255.0 : 0;
}

} // namespace

class TestImageSimulator final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_pg;
    std::unique_ptr<RedisConnection> m_redis;
    QTemporaryDir m_images; // the digits: reference/, holdout/, store/live/
    const QStringList m_classes{QStringLiteral("0"), QStringLiteral("1"), QStringLiteral("2"), QStringLiteral("3"),
                                QStringLiteral("4"), QStringLiteral("5"), QStringLiteral("6"), QStringLiteral("7"),
                                QStringLiteral("8"), QStringLiteral("9")};

    QString storeRoot() const { return m_images.filePath(QStringLiteral("store")); }

    QList<QStringList> rows(const QString &sql, const QStringList &params)
    {
        auto r = test::query(*m_pg, sql, params);
        if (!r) {
            qWarning() << "query failed:" << sql << r.errorMessage();
            return {};
        }
        return *r;
    }

    double number(const QString &sql, const QStringList &params)
    {
        const auto r = rows(sql, params);
        return r.isEmpty() || r.first().isEmpty() ? -1 : r.first().first().toDouble();
    }

    // The digits deployment as `mldeckctl deployments create --input image` makes it, with ML on for
    // `percentage` % of the requests.
    QString digits(const QString &prefix, int percentage)
    {
        NewDeployment spec;
        spec.name = uniqueName(prefix);
        spec.task = QStringLiteral("classification");
        spec.classSpec.classes = m_classes;
        ImageDeployment images;
        images.store.root = storeRoot();
        images.referenceSet = m_images.filePath(QStringLiteral("reference"));
        images.holdoutSet = m_images.filePath(QStringLiteral("holdout"));
        spec.images = images;
        if (auto made = createDeployment(*m_pg, TestServers::redis(), spec, kActor); !made) {
            qWarning() << made.errorMessage();
            return {};
        }
        FlagStore flags(*m_redis);
        FlagChange change;
        change.mlEnabled = true;
        change.trafficPercentage = percentage;
        change.fallbackOnError = true;
        change.actor = QStringLiteral("test");
        const auto current = flags.read(spec.name);
        if (!current || !flags.write(spec.name, change, current->version)) {
            qWarning() << "flags not written";
            return {};
        }
        return spec.name;
    }

    SimulatorOptions options(const QString &deployment) const
    {
        SimulatorOptions o;
        o.deployment = deployment;
        o.redis = TestServers::redis();
        o.pg = m_db->endpoint();
        o.initialPercentage = -1;
        o.rate = 200;
        o.durationMs = 2500;
        o.outcomeDelayMs = 300;
        o.outcomeShare = 0.8;
        o.feedbackShare = 0.3;
        o.modelPath = Simulator::bundledModel(QStringLiteral("digits_cnn.pt"));
        return o;
    }

    bool run(const SimulatorOptions &o, SimulatorStats *last = nullptr)
    {
        Simulator sim(o);
        if (auto st = sim.prepare(); !st) {
            qWarning() << "prepare:" << st.errorMessage();
            return false;
        }
        std::atomic_bool stop{false};
        const Status st = sim.run(stop, [last](const SimulatorStats &s) {
            if (last)
                *last = s;
        });
        if (!st)
            qWarning() << "run:" << st.errorMessage();
        return st.ok();
    }

    QString prepareError(const SimulatorOptions &o)
    {
        Simulator sim(o);
        const Status st = sim.prepare();
        return st ? QString() : st.errorMessage();
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        QVERIFY(m_images.isValid());
        QProcess python;
        python.start(QStringLiteral("/usr/bin/python3"),
                     {sourceFile(QStringLiteral("resources/models/make_digits_cnn.py")), QStringLiteral("images"),
                      QStringLiteral("--out"), m_images.path()});
        QVERIFY2(python.waitForFinished(120'000), "make_digits_cnn.py images did not finish");
        QVERIFY2(python.exitCode() == 0, qPrintable(QStringLiteral("make_digits_cnn.py images (python3-sklearn and "
                                                                   "python3-pil must be installed): ") +
                                                    QString::fromLocal8Bit(python.readAllStandardError())));
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("imgsim"));
        auto pg = PgConnection::open(m_db->endpoint(), QStringLiteral("test"));
        QVERIFY2(pg, qPrintable(pg.errorMessage()));
        m_pg = std::move(pg).value();
        const auto migrated = Migrator::migrate(*m_pg);
        QVERIFY2(migrated, qPrintable(migrated.errorMessage()));
        auto redis = RedisConnection::open(TestServers::redis());
        QVERIFY2(redis, qPrintable(redis.errorMessage()));
        m_redis = std::move(redis).value();
    }

    void cleanupTestCase()
    {
        m_pg.reset();
        m_db.reset();
    }

    void logsImageKeysThatResolveInTheStore()
    {
        const QString d = digits(QStringLiteral("imgsim"), 80);
        QVERIFY(!d.isEmpty());
        SimulatorStats stats;
        QVERIFY(run(options(d), &stats));
        QVERIFY2(
            stats.ml > 200 && stats.heuristic > 30 && stats.failed == 0,
            qPrintable(
                QStringLiteral("ml %1, heuristic %2, failed %3").arg(stats.ml).arg(stats.heuristic).arg(stats.failed)));
        const QStringList dep{d};
        QCOMPARE(number(QStringLiteral("SELECT count(*) FROM mldeck.predictions WHERE deployment = $1"), dep),
                 double(stats.requests));
        // Every row: a live pool key, a class of ten with its vector.
        QCOMPARE(number(QStringLiteral("SELECT count(*) FROM mldeck.predictions WHERE deployment = $1 AND NOT ("
                                       "image_key LIKE 'live/_/d____.png' AND predicted_class BETWEEN 0 AND 9 AND "
                                       "cardinality(probabilities) = 10)"),
                        dep),
                 0.0);
        // Every key served resolves in the deployment's store and is an image of the class its folder says.
        auto info = DeploymentStore(*m_pg).show(d);
        QVERIFY2(info && info->images, qPrintable(info.errorMessage()));
        auto store = openImageStore(info->images->store);
        QVERIFY2(store, qPrintable(store.errorMessage()));
        const auto keys =
            rows(QStringLiteral("SELECT DISTINCT image_key FROM mldeck.predictions WHERE deployment = $1"), dep);
        QVERIFY(keys.size() > 100);
        for (const auto &k : keys) {
            const QString key = k.first();
            auto bytes = store.value()->read(key);
            QVERIFY2(bytes, qPrintable(bytes.errorMessage()));
            auto stats32 = imageStats(*bytes);
            QVERIFY2(stats32 && stats32->width == 32 && stats32->height == 32, qPrintable(key));
        }
        // The champion reads the digits as MLDeck prepares them: its served class is the folder's class
        // (the truth logged later) for nearly every image.
        const double accuracy =
            number(QStringLiteral("SELECT avg((p.predicted_class = o.actual)::int) FROM mldeck.predictions p JOIN "
                                  "mldeck.outcomes o USING (deployment, request_key) WHERE p.deployment = $1 AND "
                                  "p.path = 'ml'"),
                   dep);
        qInfo("ML accuracy on the live pool: %.3f", accuracy);
        QVERIFY2(accuracy > 0.9, qPrintable(QString::number(accuracy)));
        QCOMPARE(number(QStringLiteral("SELECT count(*) FROM mldeck.outcomes o JOIN mldeck.predictions p USING "
                                       "(deployment, request_key) WHERE o.deployment = $1 AND "
                                       "split_part(p.image_key, '/', 2)::int <> o.actual"),
                        dep),
                 0.0);
        // The marks are about the image of their prediction.
        QVERIFY(number(QStringLiteral("SELECT count(*) FROM mldeck.feedback WHERE deployment = $1"), dep) > 50);
        QCOMPARE(number(QStringLiteral("SELECT count(*) FROM mldeck.feedback f JOIN mldeck.predictions p USING "
                                       "(deployment, request_key) WHERE f.deployment = $1 AND "
                                       "f.image_key IS DISTINCT FROM p.image_key"),
                        dep),
                 0.0);
    }

    void imageDriftServesDarkerNoisierImages()
    {
        const QString d = digits(QStringLiteral("imgdrift"), 100);
        QVERIFY(!d.isEmpty());
        SimulatorOptions o = options(d);
        o.durationMs = 2000;
        o.feedbackShare = 0;
        o.scenarios = {parseScenario(QStringLiteral("image-drift@1s")).value()};
        QVERIFY(run(o));
        const QStringList dep{d};
        // The keys switch to the copies when the scenario starts, a second into the run (± 0.3 s for the
        // first batch's time and a batch straddling the second).
        const QString sql = QStringLiteral("SELECT count(*) FILTER (WHERE image_key LIKE 'image-drift/%'), "
                                           "count(*) FILTER (WHERE image_key LIKE 'image-drift/%' AND ts < t0 + "
                                           "interval '0.7 s'), count(*) FILTER (WHERE image_key LIKE 'live/%' AND "
                                           "ts > t0 + interval '1.3 s'), count(*) FROM mldeck.predictions, (SELECT "
                                           "min(ts) t0 FROM mldeck.predictions WHERE deployment = $1) f WHERE "
                                           "deployment = $1");
        const auto counts = rows(sql, dep);
        QVERIFY(!counts.isEmpty());
        const double copies = counts[0][0].toDouble(), total = counts[0][3].toDouble();
        qInfo("%.0f of %.0f requests served a drifted copy", copies, total);
        QVERIFY(copies > 100 && copies < total - 100);
        QCOMPARE(counts[0][1].toDouble(), 0.0);
        QCOMPARE(counts[0][2].toDouble(), 0.0);

        // Each copy served is the live image made darker and grainier (the noise, not the strokes: grain is
        // compared with what the darkening alone leaves).
        FolderImageStore store(storeRoot());
        const auto served = rows(QStringLiteral("SELECT DISTINCT image_key FROM mldeck.predictions WHERE deployment = "
                                                "$1 AND image_key LIKE 'image-drift/%'"),
                                 dep);
        double brightnessBefore = 0, brightnessAfter = 0, grainBefore = 0, grainAfter = 0;
        for (const auto &c : served) {
            const QString key = c.first();
            const QString live = QStringLiteral("live") + key.mid(int(qstrlen(ImageTraffic::kDriftFolder)));
            auto after = store.read(key);
            auto before = store.read(live);
            QVERIFY2(after && before, qPrintable(key));
            const auto sa = imageStats(*after), sb = imageStats(*before);
            QVERIFY(sa && sb);
            QVERIFY2(sa->brightness < sb->brightness - 0.15, qPrintable(key));
            brightnessBefore += sb->brightness;
            brightnessAfter += sa->brightness;
            grainBefore += grain(decodeImage(*before).value());
            grainAfter += grain(decodeImage(*after).value());
        }
        const double n = double(served.size());
        qInfo("%d copies: brightness %.3f -> %.3f, grain %.4f -> %.4f", int(served.size()), brightnessBefore / n,
              brightnessAfter / n, grainBefore / n, grainAfter / n);
        QVERIFY(brightnessAfter / n < brightnessBefore / n - 0.2);
        // Darkening alone would scale the grain by the gain; the noise adds more than half as much again.
        QVERIFY(grainAfter > 1.5 * ImageTraffic::kDriftGain * grainBefore);
    }

    void driftedCopiesAreTheSameOnEveryRun()
    {
        QImage image(8, 8, QImage::Format_Grayscale8);
        image.fill(200);
        const QImage a = ImageTraffic::drift(image, 7), b = ImageTraffic::drift(image, 7);
        QCOMPARE(a, b);
        QVERIFY(a != ImageTraffic::drift(image, 8));
        QCOMPARE(ImageTraffic::driftKey(QStringLiteral("live/3/d0042.png")), QStringLiteral("image-drift/3/d0042.png"));
    }

    // A file name the log would refuse as a key (here a backslash) stops the run at start, named, instead of
    // having every batch that serves it refused; the drift copies read through the store (no symlink escape).
    void thePoolIsCheckedBeforeServing()
    {
        QTemporaryDir root;
        QVERIFY(root.isValid());
        const QStringList classes{QStringLiteral("0"), QStringLiteral("1")};
        for (const QString &cls : classes)
            QVERIFY(QDir().mkpath(root.filePath(QStringLiteral("live/") + cls)));
        QImage image(8, 8, QImage::Format_Grayscale8);
        image.fill(200);
        QVERIFY(image.save(root.filePath(QStringLiteral("live/0/ok.png"))));
        QVERIFY(image.save(root.filePath(QStringLiteral("live/1/bad\\name.png"))));
        const auto refused = ImageTraffic::open(root.path(), classes, 1);
        QVERIFY(!refused);
        QVERIFY2(refused.errorMessage().contains(QStringLiteral("bad\\name.png")), qPrintable(refused.errorMessage()));

        QVERIFY(QFile::remove(root.filePath(QStringLiteral("live/1/bad\\name.png"))));
        QTemporaryDir outside;
        QVERIFY(image.save(outside.filePath(QStringLiteral("secret.png"))));
        QVERIFY(QFile::link(outside.filePath(QStringLiteral("secret.png")),
                            root.filePath(QStringLiteral("live/1/link.png"))));
        auto traffic = ImageTraffic::open(root.path(), classes, 1);
        QVERIFY2(traffic, qPrintable(traffic.errorMessage()));
        ImageStoreConfig config;
        config.root = root.path();
        auto store = openImageStore(config);
        QVERIFY2(store, qPrintable(store.errorMessage()));
        const Status copied = traffic->writeDriftCopies(**store);
        QVERIFY(!copied);
        QVERIFY2(copied.errorMessage().contains(QStringLiteral("link.png")), qPrintable(copied.errorMessage()));
        QVERIFY(!QFile::exists(root.filePath(QStringLiteral("image-drift/1/link.png"))));
    }

    void refusesWhatDoesNotFit()
    {
        const QString d = digits(QStringLiteral("imgref"), 100);
        QVERIFY(!d.isEmpty());
        SimulatorOptions o = options(d);
        o.modelPath = Simulator::bundledModel(QStringLiteral("accept_mlp.pt"));
        QVERIFY2(prepareError(o).contains(QStringLiteral("does not serve the classes")), qPrintable(prepareError(o)));
        o = options(d);
        o.scenarios = {parseScenario(QStringLiteral("calibration@1m")).value()};
        QVERIFY2(prepareError(o).contains(QStringLiteral("image deployment")), qPrintable(prepareError(o)));
        // image-drift on a deployment that takes features: refused, nothing registered.
        o = options(uniqueName(QStringLiteral("imgtab")));
        o.modelPath.clear();
        o.scenarios = {parseScenario(QStringLiteral("image-drift")).value()};
        QVERIFY2(prepareError(o).contains(QStringLiteral("image-drift")), qPrintable(prepareError(o)));
        QCOMPARE(number(QStringLiteral("SELECT count(*) FROM mldeck.deployments WHERE name = $1"), {o.deployment}),
                 0.0);
        QCOMPARE(number(QStringLiteral("SELECT count(*) FROM mldeck.predictions WHERE deployment = $1"), {d}), 0.0);
    }
};

QTEST_GUILESS_MAIN(TestImageSimulator)
#include "test_image_simulator.moc"

#include "core/domain/FeatureSchema.h"
#include "core/services/DriftCheck.h"
#include "core/services/ImageDrift.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/DriftData.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"

#include <QDir>
#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

using namespace mldeck;
using namespace mldeck::test;

// Drift of an image deployment on real PostgreSQL and a folder store: its features are image statistics
// (brightness, contrast, width, height) measured from a sample of the logged image keys. A darker, noisier
// window drifts on brightness and contrast, an unchanged one does not; missing and corrupt images are counted
// and listed, never stop the check; a reference without image keys falls back to the reference set folder.
class TestImageDrift final : public QObject
{
    Q_OBJECT

private:
    static constexpr int kImages = 300; // per side; also the deployment's image_sample
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    QTemporaryDir m_dir;
    const QDateTime m_t0 = QDateTime::currentDateTimeUtc().addSecs(-7200);
    const QDateTime m_now = QDateTime::currentDateTimeUtc().addSecs(-60);

    QString storeRoot() const { return m_dir.filePath(QStringLiteral("store")); }
    QString referenceSet() const { return m_dir.filePath(QStringLiteral("reference")); }

    // n 32×32 grey PNGs under root/folder: pixels ~ brightness + uniform noise of ± noise (seeded), clamped.
    static QStringList writeImages(const QString &root, const QString &folder, int n, int brightness, int noise,
                                   quint32 seed)
    {
        QDir().mkpath(root + QLatin1Char('/') + folder);
        QRandomGenerator rng(seed);
        QStringList keys;
        for (int i = 0; i < n; ++i) {
            QImage image(32, 32, QImage::Format_Grayscale8);
            for (int y = 0; y < 32; ++y) {
                uchar *line = image.scanLine(y);
                for (int x = 0; x < 32; ++x)
                    line[x] = uchar(std::clamp(brightness + rng.bounded(2 * noise + 1) - noise, 0, 255));
            }
            const QString key = QStringLiteral("%1/%2.png").arg(folder).arg(i, 4, 10, QLatin1Char('0'));
            if (!image.save(root + QLatin1Char('/') + key, "PNG"))
                qFatal("cannot write %s", qPrintable(key));
            keys << key;
        }
        return keys;
    }

    QString newImageDeployment(const QString &referenceFolder, int sample = kImages, const QJsonArray &ignore = {})
    {
        const QString dep = uniqueName(QStringLiteral("imgdrift"));
        if (auto id = DeploymentStore(*m_conn).ensure(dep, {}, FeatureSchema{}); !id)
            MLDECK_FAIL_IN_HELPER(id.errorMessage());
        QJsonObject images{{QStringLiteral("store"), QJsonObject{{QStringLiteral("kind"), QStringLiteral("folder")},
                                                                 {QStringLiteral("root"), storeRoot()}}}};
        if (!referenceFolder.isEmpty())
            images.insert(QStringLiteral("reference_set"), referenceFolder);
        const QJsonObject drift{{QStringLiteral("image_sample"), sample}, {QStringLiteral("ignore"), ignore}};
        const QString settings = QString::fromUtf8(
            QJsonDocument(QJsonObject{{QStringLiteral("images"), images}, {QStringLiteral("drift"), drift}})
                .toJson(QJsonDocument::Compact));
        if (auto s = test::exec(*m_conn, QStringLiteral("UPDATE mldeck.deployments SET task = 'classification', "
                                                        "classes = ARRAY['a', 'b'], settings = settings || '%2'::jsonb "
                                                        "WHERE name = '%1'")
                                             .arg(dep, settings));
            !s)
            MLDECK_FAIL_IN_HELPER(s.errorMessage());
        return dep;
    }

    // One prediction per key from `from`, 100 ms apart, served class a or b with its probability.
    void log(const QString &dep, const QDateTime &from, const QStringList &keys)
    {
        QStringList values;
        for (int i = 0; i < keys.size(); ++i)
            values << QStringLiteral("('%1'::timestamptz + %2 * interval '100 milliseconds', 0.8, %3, "
                                     "ARRAY[%4, %5]::real[], 'ml', '%6', '%7-%2', 1, '%8')")
                          .arg(from.toString(Qt::ISODateWithMs))
                          .arg(i)
                          .arg(i % 2)
                          .arg(i % 2 ? 0.2 : 0.8)
                          .arg(i % 2 ? 0.8 : 0.2)
                          .arg(dep, from.toString(QStringLiteral("hhmmss")), keys.at(i));
        const Status s =
            test::exec(*m_conn, QStringLiteral("INSERT INTO mldeck.predictions (ts, predicted, predicted_class, "
                                               "probabilities, path, deployment, request_key, feature_schema, "
                                               "image_key) VALUES %1")
                                    .arg(values.join(QLatin1Char(','))));
        if (!s)
            MLDECK_FAIL_IN_HELPER(s.errorMessage());
    }

    Result<DriftCheckReport> check(const QString &dep, const QString &reference, ImageStatsCache *cache = nullptr)
    {
        DriftCheckRequest r;
        r.deployment = dep;
        r.windowSeconds = 600;
        r.reference = reference;
        r.now = m_now;
        r.imageCache = cache;
        return runDriftCheck(*m_conn, r);
    }

    QString period() const
    {
        return QStringLiteral("period:%1/%2").arg(m_t0.toString(Qt::ISODate), m_t0.addSecs(600).toString(Qt::ISODate));
    }

    static const drift::FeatureDrift *line(const DriftCheckReport &r, const QString &name)
    {
        for (const auto &f : r.result.features)
            if (f.name == name)
                return &f;
        return nullptr;
    }

    struct Run
    {
        int code = -1;
        QByteArray out;
    };
    Run ctl(const QStringList &args)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("MLDECK_PG_URL"), m_db->endpoint().toUrl(true));
        p.setProcessEnvironment(env);
        p.start(qEnvironmentVariable("MLDECK_BINARY_DIR") + QStringLiteral("/app/mldeckctl/mldeckctl"), args);
        if (!p.waitForFinished(60000)) {
            p.kill();
            p.waitForFinished();
        }
        return {p.exitCode(), p.readAllStandardOutput()};
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        QVERIFY(m_dir.isValid());
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("imgdrift"));
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test"));
        QVERIFY2(conn, qPrintable(conn.errorMessage()));
        m_conn = std::move(conn).value();
        const auto migrated = Migrator::migrate(*m_conn);
        QVERIFY2(migrated.ok(), qPrintable(migrated.errorMessage()));
        // The reference set: a labelled folder (one subfolder per class) like the live reference images.
        writeImages(referenceSet(), QStringLiteral("a"), kImages / 2, 140, 60, 5);
        writeImages(referenceSet(), QStringLiteral("b"), kImages / 2, 140, 60, 6);
    }

    void darkerNoisierWindowDrifts()
    {
        const QString dep = newImageDeployment({});
        log(dep, m_t0, writeImages(storeRoot(), QStringLiteral("ref1"), kImages, 140, 60, 1));
        // Darker and noisier; two keys name no file and one file is not an image.
        QStringList current = writeImages(storeRoot(), QStringLiteral("dark"), kImages - 3, 80, 100, 2);
        QFile corrupt(storeRoot() + QStringLiteral("/dark/corrupt.png"));
        QVERIFY(corrupt.open(QIODevice::WriteOnly));
        corrupt.write("\x89PNG\r\n\x1a\n truncated");
        corrupt.close();
        current << QStringLiteral("dark/corrupt.png") << QStringLiteral("gone/1.png") << QStringLiteral("gone/2.png");
        log(dep, m_now.addSecs(-590), current);

        const auto r = check(dep, period());
        QVERIFY2(r, qPrintable(r.errorMessage()));
        QVERIFY(r->images);
        const ImageDriftReport &images = *r->images;
        QCOMPARE(images.sampleSize, kImages);
        QCOMPARE(images.current.population, kImages);
        QCOMPARE(images.current.sampled, kImages);
        QCOMPARE(images.current.read, kImages - 3);
        QCOMPARE(images.current.unreadable(), 3);
        QStringList skipped;
        for (const SkippedImage &s : images.current.skipped) {
            skipped << s.key;
            QVERIFY2(!s.reason.isEmpty(), qPrintable(s.key));
        }
        skipped.sort();
        QCOMPARE(skipped, (QStringList{QStringLiteral("dark/corrupt.png"), QStringLiteral("gone/1.png"),
                                       QStringLiteral("gone/2.png")}));
        QCOMPARE(images.reference.read, kImages);
        QVERIFY2(images.reference.source.contains(QStringLiteral("logged")), qPrintable(images.reference.source));

        const drift::FeatureDrift *brightness = line(*r, kDriftImageBrightness);
        const drift::FeatureDrift *contrast = line(*r, kDriftImageContrast);
        const drift::FeatureDrift *width = line(*r, kDriftImageWidth);
        QVERIFY(brightness && contrast && width);
        QCOMPARE(brightness->referenceCount, kImages);
        QCOMPARE(brightness->currentCount, kImages - 3);
        QVERIFY(brightness->drift);
        QVERIFY(contrast->drift);
        QVERIFY(!width->drift); // every image is 32 pixels wide
        // The image statistics are the deployment's features: they make the dataset verdict.
        QCOMPARE(r->result.considered, 4);
        QVERIFY(r->result.datasetDrift);
        // The model's outputs are compared as for any classifier.
        QVERIFY(line(*r, kDriftPredictedClassFeature));
        QCOMPARE(driftFeatureLabel(kDriftImageBrightness), QStringLiteral("image brightness"));

        // `drift check` says the same, and what the statistics were computed from.
        const QStringList args{QStringLiteral("drift"),        QStringLiteral("check"),
                               QStringLiteral("--deployment"), dep,
                               QStringLiteral("--window"),     QStringLiteral("10m"),
                               QStringLiteral("--reference"),  period(),
                               QStringLiteral("--at"),         m_now.toString(Qt::ISODateWithMs)};
        const Run json = ctl(args + QStringList{QStringLiteral("--json")});
        QCOMPARE(json.code, 1); // the dataset drifts
        const QJsonObject o = QJsonDocument::fromJson(json.out).object();
        const QJsonObject window =
            o.value(QStringLiteral("images")).toObject().value(QStringLiteral("current")).toObject();
        QCOMPARE(window.value(QStringLiteral("sampled")).toInt(), kImages);
        QCOMPARE(window.value(QStringLiteral("unreadable")).toInt(), 3);
        QCOMPARE(window.value(QStringLiteral("skipped")).toArray().size(), 3);
        bool brightnessDrifts = false;
        for (const QJsonValue &f : o.value(QStringLiteral("features")).toArray())
            if (f[QStringLiteral("name")] == kDriftImageBrightness)
                brightnessDrifts = f[QStringLiteral("drift")].toBool();
        QVERIFY(brightnessDrifts);
        const Run text = ctl(args);
        QCOMPARE(text.code, 1);
        QVERIFY2(text.out.contains("computed by MLDeck from a sample of at most 300 images per side"),
                 text.out.constData());
        QVERIFY2(text.out.contains("unreadable gone/1.png"), text.out.constData());
    }

    void unchangedWindowDoesNotDrift()
    {
        const QString dep = newImageDeployment({});
        log(dep, m_t0, writeImages(storeRoot(), QStringLiteral("ref2"), kImages, 140, 60, 3));
        log(dep, m_now.addSecs(-590), writeImages(storeRoot(), QStringLiteral("same"), kImages, 140, 60, 4));
        ImageStatsCache cache;
        const auto r = check(dep, period(), &cache);
        QVERIFY2(r, qPrintable(r.errorMessage()));
        QVERIFY(r->images);
        QCOMPARE(r->images->current.read, kImages);
        for (const QString &name : imageDriftFeatures()) {
            const drift::FeatureDrift *f = line(*r, name);
            QVERIFY2(f && f->enoughSamples && !f->drift, qPrintable(name));
        }
        QVERIFY(!r->result.datasetDrift);
        // A second check measures nothing again and says the same.
        QFile::remove(storeRoot() + QStringLiteral("/same/0000.png"));
        const auto again = check(dep, period(), &cache);
        QVERIFY2(again, qPrintable(again.errorMessage()));
        QCOMPARE(again->images->current.read, kImages);
    }

    void referenceWithoutImageKeysFallsBackToTheReferenceSet()
    {
        const QString dep = newImageDeployment(referenceSet());
        log(dep, m_now.addSecs(-590), writeImages(storeRoot(), QStringLiteral("dark2"), kImages, 80, 100, 7));
        // The reference period logged nothing: its image statistics come from the reference set folder.
        const auto r = check(dep, period());
        QVERIFY2(r, qPrintable(r.errorMessage()));
        QVERIFY(r->images);
        QVERIFY2(r->images->reference.source.contains(referenceSet()), qPrintable(r->images->reference.source));
        QCOMPARE(r->images->reference.population, kImages);
        QCOMPARE(r->images->reference.read, kImages);
        const drift::FeatureDrift *brightness = line(*r, kDriftImageBrightness);
        QVERIFY(brightness && brightness->drift);
    }

    // Every image row ignored: no image is read (the guard would pay the decoding every round for nothing).
    void ignoredImageRowsAreNotMeasured()
    {
        QJsonArray all;
        for (const QString &name : imageDriftFeatures())
            all.append(name);
        const QString dep = newImageDeployment({}, kImages, all);
        log(dep, m_t0, {QStringLiteral("gone/a.png"), QStringLiteral("gone/b.png")});
        log(dep, m_now.addSecs(-590), {QStringLiteral("gone/c.png"), QStringLiteral("gone/d.png")});
        const auto r = check(dep, period());
        QVERIFY2(r, qPrintable(r.errorMessage()));
        QVERIFY(!r->images);
        QVERIFY(!line(*r, kDriftImageBrightness));
    }

    // The window's keys of the cache after a check: the images it measured.
    static QStringList measured(const ImageStatsCache &cache, const QString &store, const QStringList &keys)
    {
        QStringList out;
        ImageStats stats;
        for (const QString &k : keys)
            if (cache.find(store, k, stats))
                out << k;
        return out;
    }

    // 300 logged keys and a reference set of 300 files, image_sample 100: each side measures the 100 keys
    // of smallest md5 (of the request key for logged images, of the image key in the folder), the same ones
    // on every run, and says "100 of 300".
    void samplesABoundedSeededSubset()
    {
        constexpr int kSample = 100;
        const QString folder = m_dir.filePath(QStringLiteral("reference300"));
        QStringList folderKeys = writeImages(folder, QStringLiteral("a"), kImages, 140, 60, 10);
        const QString dep = newImageDeployment(folder, kSample);
        const QStringList logged = writeImages(storeRoot(), QStringLiteral("sampled"), kImages, 140, 60, 11);
        log(dep, m_now.addSecs(-590), logged);
        const QString storeName = FolderImageStore(storeRoot()).describe();
        const QString folderName = FolderImageStore(folder).describe();

        // What the sampling rule picks: the request keys are "<hhmmss>-<i>" (see log()).
        const QString prefix = m_now.addSecs(-590).toString(QStringLiteral("hhmmss"));
        QStringList requestKeys;
        for (int i = 0; i < kImages; ++i)
            requestKeys << QStringLiteral("%1-%2").arg(prefix).arg(i);
        QStringList expectedLogged;
        for (const QString &k : sampleKeysByHash(requestKeys, kSample))
            expectedLogged << logged.at(k.section(u'-', 1).toInt());
        expectedLogged.sort();
        QStringList expectedFolder = sampleKeysByHash(folderKeys, kSample);
        expectedFolder.sort();

        QStringList firstRun;
        for (int run = 0; run < 2; ++run) {
            ImageStatsCache cache;
            const auto r = check(dep, period(), &cache);
            QVERIFY2(r, qPrintable(r.errorMessage()));
            QVERIFY(r->images);
            const ImageDriftReport &images = *r->images;
            QCOMPARE(images.current.population, kImages);
            QCOMPARE(images.current.sampled, kSample);
            QCOMPARE(images.current.read, kSample);
            const QString summary = imageSampleSummary(images.current);
            QVERIFY2(summary.startsWith(QStringLiteral("computed from 100 sampled image")) &&
                         summary.endsWith(QStringLiteral(" of 300")),
                     qPrintable(summary));
            QVERIFY2(images.reference.source.contains(folder), qPrintable(images.reference.source));
            QCOMPARE(images.reference.population, kImages);
            QCOMPARE(images.reference.sampled, kSample);
            QCOMPARE(images.reference.read, kSample);
            QStringList sampled = measured(cache, storeName, logged);
            sampled.sort();
            QCOMPARE(sampled, expectedLogged);
            QStringList fromFolder = measured(cache, folderName, folderKeys);
            fromFolder.sort();
            QCOMPARE(fromFolder, expectedFolder);
            if (run == 0)
                firstRun = sampled;
            else
                QCOMPARE(sampled, firstRun);
        }
    }

    // The guard's checks: scores recorded, and after k = 3 drifting windows the image row's alert fires.
    void persistedChecksRecordScoresAndFireAlerts()
    {
        const QString dep = newImageDeployment({});
        log(dep, m_t0, writeImages(storeRoot(), QStringLiteral("ref3"), kImages, 140, 60, 8));
        log(dep, m_now.addSecs(-200), writeImages(storeRoot(), QStringLiteral("dark3"), kImages, 80, 100, 9));
        DriftCheckRequest request;
        request.deployment = dep;
        request.windowSeconds = 600;
        request.reference = period();
        request.persist = true;
        ImageStatsCache cache;
        request.imageCache = &cache;
        QStringList fired;
        for (int round = 0; round < 3; ++round) {
            request.now = m_now.addSecs(60 * round);
            const auto r = runDriftCheck(*m_conn, request);
            QVERIFY2(r, qPrintable(r.errorMessage()));
            QVERIFY(!r->skipped);
            fired << r->fired;
        }
        QVERIFY2(fired.contains(kDriftImageBrightness), qPrintable(fired.join(QLatin1Char(','))));
        QCOMPARE(test::queryValue(*m_conn,
                                  QStringLiteral("SELECT title FROM mldeck.alerts WHERE deployment = $1 AND kind = "
                                                 "'drift' AND dedup_key = 'drift:__image_brightness__'"),
                                  {dep})
                     .left(29),
                 QStringLiteral("Drift on image brightness: ks"));
        const auto history = DriftData(*m_conn).scoreHistory(dep);
        QVERIFY2(history, qPrintable(history.errorMessage()));
        QStringList features;
        for (const DriftScorePoint &p : *history)
            if (p.drift)
                features << p.feature;
        QVERIFY2(features.contains(kDriftImageBrightness), qPrintable(features.join(QLatin1Char(','))));
    }
};

QTEST_GUILESS_MAIN(TestImageDrift)
#include "test_image_drift.moc"

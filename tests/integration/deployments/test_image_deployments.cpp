// Image deployments against real PostgreSQL and Redis: migration 022 on a database with rows, COPY of
// image keys, creating and changing an image deployment through mldeckctl (folders checked, audited),
// the refusals that write nothing, and model registration matching the deployment's input.
#include "core/domain/Prediction.h"
#include "core/rollout/AuditRecord.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/PredictionLog.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestServers.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

using namespace mldeck;

namespace {

const Actor kActor{QStringLiteral("tester@testhost"), QStringLiteral("tester"), QStringLiteral("testhost")};

struct Run
{
    int code = -1;
    QString out;
    QString err;
};

QString model(const char *file)
{
    return QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/") + QLatin1String(file);
}

// A labelled folder: one subfolder per class with one file each (its content is read later, by others).
void makeLabelled(const QString &root, const QStringList &classes)
{
    for (const QString &c : classes) {
        QVERIFY(QDir().mkpath(root + QLatin1Char('/') + c));
        QFile f(root + QLatin1Char('/') + c + QStringLiteral("/001.png"));
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("not decoded here");
    }
}

PredictionRow row(const QString &deployment, const QString &key, const QString &imageKey)
{
    PredictionRow r;
    r.tsMicros = QDateTime::currentMSecsSinceEpoch() * 1000;
    r.deployment = deployment;
    r.requestKey = key;
    r.path = PredictionPath::Ml;
    r.modelVersion = QStringLiteral("1");
    r.predicted = 0.9;
    r.predictedClass = 1;
    r.probabilities = {0.1f, 0.9f};
    r.imageKey = imageKey;
    return r;
}

} // namespace

class TestImageDeployments : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<test::ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    QTemporaryDir m_dir;
    QTemporaryDir m_models;

    QString folder(const QString &name) const { return m_dir.filePath(name); }
    QString value(const QString &sql, const QStringList &params = {})
    {
        const auto r = test::query(*m_conn, sql, params);
        return r && !r->isEmpty() ? r->first().first() : QString();
    }
    int rowsNamed(const QString &name)
    {
        return value(QStringLiteral("SELECT count(*) FROM mldeck.deployments WHERE name = $1"), {name}).toInt();
    }
    int audits(const QString &action, const QString &deployment)
    {
        return value(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE action = $1 AND deployment = $2"),
                     {action, deployment})
            .toInt();
    }

    Run ctl(const QStringList &args)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("MLDECK_PG_URL"), m_db->endpoint().toUrl(true));
        env.insert(QStringLiteral("MLDECK_REDIS_URL"), test::TestServers::redis().toUrl(true));
        env.insert(QStringLiteral("MLDECK_MODEL_STORE"), m_models.path());
        p.setProcessEnvironment(env);
        p.start(qEnvironmentVariable("MLDECKCTL"), args);
        if (!p.waitForFinished(120'000))
            return {};
        return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
                QString::fromUtf8(p.readAllStandardOutput()), QString::fromUtf8(p.readAllStandardError())};
    }

    // An image deployment of `classes` on the store folder, through mldeckctl.
    void createImages(const QString &name, const QString &classes, const QStringList &extra = {})
    {
        const Run r = ctl(QStringList{QStringLiteral("deployments"), QStringLiteral("create"), name,
                                      QStringLiteral("--input"), QStringLiteral("image"), QStringLiteral("--classes"),
                                      classes, QStringLiteral("--image-store"), folder(QStringLiteral("store"))} +
                          extra);
        QVERIFY2(r.code == 0, qPrintable(r.err));
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        QVERIFY2(QFileInfo(qEnvironmentVariable("MLDECKCTL")).isExecutable(), "MLDECKCTL must point at mldeckctl");
        QVERIFY(m_dir.isValid() && m_models.isValid());
        QVERIFY(QDir().mkpath(folder(QStringLiteral("store"))));
        makeLabelled(folder(QStringLiteral("reference")), {QStringLiteral("cat"), QStringLiteral("dog")});
        makeLabelled(folder(QStringLiteral("holdout")), {QStringLiteral("cat"), QStringLiteral("dog")});
        makeLabelled(folder(QStringLiteral("reference/dog/inner")), {QStringLiteral("cat"), QStringLiteral("dog")});
        makeLabelled(folder(QStringLiteral("strays")), {QStringLiteral("cat"), QStringLiteral("horse")});
        QFile file(folder(QStringLiteral("a-file")));
        QVERIFY(file.open(QIODevice::WriteOnly));
        m_db = std::make_unique<test::ScratchDatabase>(QStringLiteral("imgdep"));
        auto c = PgConnection::open(m_db->endpoint(), QStringLiteral("test-image-deployments"));
        QVERIFY2(c, qPrintable(c.errorMessage()));
        m_conn = std::move(c).value();
        const auto migrated = Migrator::migrate(*m_conn);
        QVERIFY2(migrated, qPrintable(migrated.errorMessage()));
    }

    void cleanupTestCase()
    {
        m_conn.reset(); // before the database is dropped
        m_db.reset();
    }

    // Step 22 applied to a database that already holds predictions and feedback: they keep every value
    // and have no image key (the step is undone by hand first, then the migrator applies it again).
    void migrationKeepsExistingRowsWithoutKey()
    {
        QVERIFY(test::exec(*m_conn, QStringLiteral("ALTER TABLE mldeck.predictions DROP COLUMN image_key;"
                                                   "ALTER TABLE mldeck.feedback DROP COLUMN image_key;"
                                                   "DROP FUNCTION mldeck.deployment_set_images(text, jsonb);"
                                                   "DELETE FROM mldeck.schema_migrations WHERE version = 22;")));
        PredictionLog log(*m_conn);
        QVERIFY(log.appendPredictions({row(QStringLiteral("old"), QStringLiteral("k1"), {}),
                                       row(QStringLiteral("old"), QStringLiteral("k2"), {})}));
        FeedbackRow f;
        f.tsMicros = QDateTime::currentMSecsSinceEpoch() * 1000;
        f.deployment = QStringLiteral("old");
        f.requestKey = QStringLiteral("k1");
        QVERIFY(log.appendFeedback({f}));
        const auto migrated = Migrator::migrate(*m_conn);
        QVERIFY2(migrated, qPrintable(migrated.errorMessage()));
        QCOMPARE(migrated->size(), 1);
        QCOMPARE(value(QStringLiteral("SELECT count(*) FILTER (WHERE image_key IS NULL) || '/' || count(*) || '/' || "
                                      "sum(predicted_class) FROM mldeck.predictions WHERE deployment = 'old'")),
                 QStringLiteral("2/2/2"));
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM mldeck.feedback WHERE deployment = 'old' AND image_key IS "
                                      "NULL")),
                 QStringLiteral("1"));
    }

    // A batch with keys sends the column (rows without one get NULL); a bad key refuses the whole batch.
    void copyLogsImageKeys()
    {
        PredictionLog log(*m_conn);
        QVERIFY(log.appendPredictions({row(QStringLiteral("pics"), QStringLiteral("r1"), QStringLiteral("cat/001.png")),
                                       row(QStringLiteral("pics"), QStringLiteral("r2"), {})}));
        QVERIFY(log.insertPredictionSingle(
            row(QStringLiteral("pics"), QStringLiteral("r3"), QStringLiteral("dog/a b été.png"))));
        FeedbackRow f;
        f.tsMicros = QDateTime::currentMSecsSinceEpoch() * 1000;
        f.deployment = QStringLiteral("pics");
        f.requestKey = QStringLiteral("r1");
        f.positive = false;
        f.imageKey = QStringLiteral("cat/001.png");
        QVERIFY(log.appendFeedback({f}));
        QCOMPARE(value(QStringLiteral("SELECT string_agg(request_key || '=' || coalesce(image_key, '-'), ',' ORDER BY "
                                      "request_key) FROM mldeck.predictions WHERE deployment = 'pics'")),
                 QStringLiteral("r1=cat/001.png,r2=-,r3=dog/a b été.png"));
        QCOMPARE(value(QStringLiteral("SELECT image_key FROM mldeck.feedback WHERE deployment = 'pics'")),
                 QStringLiteral("cat/001.png"));

        for (const QString &bad : {QStringLiteral("../etc/passwd"), QStringLiteral("/abs.png"),
                                   QStringLiteral("a//b.png"), QStringLiteral("back\\slash.png")}) {
            const Status refused =
                log.appendPredictions({row(QStringLiteral("pics"), QStringLiteral("ok"), QStringLiteral("ok.png")),
                                       row(QStringLiteral("pics"), QStringLiteral("bad"), bad)});
            QVERIFY2(!refused, qPrintable(bad));
            QVERIFY2(refused.errorMessage().contains(QStringLiteral("bad image key")),
                     qPrintable(refused.errorMessage()));
            f.imageKey = bad;
            QVERIFY(!log.appendFeedback({f}));
        }
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM mldeck.predictions WHERE deployment = 'pics'")),
                 QStringLiteral("3"));
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM mldeck.feedback WHERE deployment = 'pics'")),
                 QStringLiteral("1"));
    }

    void createdShownAndChangedThroughTheCli()
    {
        const QString name = test::uniqueName(QStringLiteral("pets"));
        createImages(name, QStringLiteral("cat,dog"),
                     {QStringLiteral("--reference-set"), folder(QStringLiteral("reference")),
                      QStringLiteral("--holdout-set"), folder(QStringLiteral("holdout"))});
        Run r = ctl({QStringLiteral("deployments"), QStringLiteral("show"), name, QStringLiteral("--json")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QJsonObject shown = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(shown.value(QStringLiteral("task")).toString(), QStringLiteral("classification"));
        const QJsonObject images = shown.value(QStringLiteral("images")).toObject();
        QCOMPARE(images.value(QStringLiteral("store")).toObject().value(QStringLiteral("root")).toString(),
                 folder(QStringLiteral("store")));
        QCOMPARE(images.value(QStringLiteral("holdout_set")).toString(), folder(QStringLiteral("holdout")));
        QCOMPARE(value(QStringLiteral("SELECT a.after -> 'images' ->> 'reference_set' FROM mldeck.audit_log a WHERE "
                                      "action = 'deployment.create' AND deployment = $1"),
                       {name}),
                 folder(QStringLiteral("reference")));
        r = ctl({QStringLiteral("deployments"), QStringLiteral("list")});
        QVERIFY2(r.out.contains(QStringLiteral("classification, images (cat|dog)")), qPrintable(r.out));

        // images set: the holdout removed (""), audited with before and after; options not given are kept.
        r = ctl({QStringLiteral("deployments"), QStringLiteral("images"), QStringLiteral("set"), name,
                 QStringLiteral("--holdout-set"), QString(), QStringLiteral("--reason"), QStringLiteral("no holdout")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        r = ctl({QStringLiteral("deployments"), QStringLiteral("images"), QStringLiteral("show"), name,
                 QStringLiteral("--json")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QJsonObject after = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QVERIFY(!after.contains(QStringLiteral("holdout_set")));
        QCOMPARE(after.value(QStringLiteral("reference_set")).toString(), folder(QStringLiteral("reference")));
        QCOMPARE(audits(QStringLiteral("deployment.images"), name), 1);
        QCOMPARE(value(QStringLiteral("SELECT (before ->> 'holdout_set') || '|' || (after ? 'holdout_set')::text || "
                                      "'|' || reason FROM mldeck.audit_log WHERE action = 'deployment.images' AND "
                                      "deployment = $1"),
                       {name}),
                 folder(QStringLiteral("holdout")) + QStringLiteral("|false|no holdout"));

        // A holdout inside the reference set is refused, named; nothing changes.
        r = ctl({QStringLiteral("deployments"), QStringLiteral("images"), QStringLiteral("set"), name,
                 QStringLiteral("--holdout-set"), folder(QStringLiteral("reference/dog/inner"))});
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains(QStringLiteral("overlap")), qPrintable(r.err));
        QCOMPARE(audits(QStringLiteral("deployment.images"), name), 1);

        // An empty store is refused as such (the deployment has one).
        r = ctl({QStringLiteral("deployments"), QStringLiteral("images"), QStringLiteral("set"), name,
                 QStringLiteral("--image-store"), QString()});
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains(QStringLiteral("image store is required")), qPrintable(r.err));
        QCOMPARE(audits(QStringLiteral("deployment.images"), name), 1);
    }

    void badImageOptionsAreRefusedAndWriteNothing_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("reason");
        const QString input = QStringLiteral("--input");
        const QString image = QStringLiteral("image");
        const QString classes = QStringLiteral("--classes");
        const QString store = QStringLiteral("--image-store");
        const QString ref = QStringLiteral("--reference-set");
        const QString hold = QStringLiteral("--holdout-set");
        const QString cd = QStringLiteral("cat,dog");
        const QString storeDir = folder(QStringLiteral("store"));
        QTest::newRow("no store") << QStringList{input, image, classes, cd} << QStringLiteral("--image-store DIR");
        QTest::newRow("store missing") << QStringList{input, image, classes, cd, store, folder(QStringLiteral("nope"))}
                                       << QStringLiteral("nope");
        QTest::newRow("store is a file") << QStringList{input, image, classes,
                                                        cd,    store, folder(QStringLiteral("a-file"))}
                                         << QStringLiteral("a-file");
        QTest::newRow("holdout is the reference") << QStringList{input,   image,
                                                                 classes, cd,
                                                                 store,   storeDir,
                                                                 ref,     folder(QStringLiteral("reference")),
                                                                 hold,    folder(QStringLiteral("reference"))}
                                                  << QStringLiteral("overlap");
        QTest::newRow("holdout inside the reference")
            << QStringList{input,   image,
                           classes, cd,
                           store,   storeDir,
                           ref,     folder(QStringLiteral("reference")),
                           hold,    folder(QStringLiteral("reference/dog/inner"))}
            << QStringLiteral("overlap");
        QTest::newRow("subfolder not a class")
            << QStringList{input, image, classes, cd, store, storeDir, ref, folder(QStringLiteral("strays"))}
            << QStringLiteral("horse");
        QTest::newRow("no classes") << QStringList{input, image, store, storeDir}
                                    << QStringLiteral("needs its classes");
        QTest::newRow("regression")
            << QStringList{input, image, QStringLiteral("--task"), QStringLiteral("regression"), store, storeDir}
            << QStringLiteral("classification");
        QTest::newRow("folders without --input image")
            << QStringList{QStringLiteral("--task"), QStringLiteral("classification"), classes, cd, store, storeDir}
            << QStringLiteral("--input image");
        QTest::newRow("tabular model")
            << QStringList{input, image, QStringLiteral("--from-model"), model("accept_mlp.pt"), store, storeDir}
            << QStringLiteral("takes tabular features");
        QTest::newRow("unknown input") << QStringList{input, QStringLiteral("video"), classes, cd, store, storeDir}
                                       << QStringLiteral("features or image");
    }

    void badImageOptionsAreRefusedAndWriteNothing()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, reason);
        const QString name = test::uniqueName(QStringLiteral("bad"));
        const Run r = ctl(QStringList{QStringLiteral("deployments"), QStringLiteral("create"), name} + args);
        QVERIFY2(r.code != 0, qPrintable(r.out));
        QVERIFY2(r.err.contains(reason), qPrintable(r.err));
        QCOMPARE(rowsNamed(name), 0);
    }

    // Only a classification deployment with its classes and no feature schema may take images.
    void aTabularDeploymentDoesNotTakeImages()
    {
        const QString name = test::uniqueName(QStringLiteral("tab"));
        DeploymentStore store(*m_conn);
        FeatureSchema schema;
        schema.id = 1;
        schema.features.push_back(FeatureSpec{QStringLiteral("x"), FeatureSpec::Kind::Numeric, {}});
        NewDeployment spec;
        spec.name = name;
        spec.task = QStringLiteral("classification");
        spec.classSpec.classes = {QStringLiteral("cat"), QStringLiteral("dog")};
        spec.schema = schema;
        QVERIFY(store.create(spec, kActor));
        ImageDeployment images;
        images.store.root = folder(QStringLiteral("store"));
        const Status refused = store.setImages(name, images, kActor);
        QVERIFY(!refused);
        QVERIFY2(refused.errorMessage().contains(QStringLiteral("tabular features")),
                 qPrintable(refused.errorMessage()));
        QVERIFY(!store.show(name)->isImage());
        QVERIFY2(!store.images(name), "a tabular deployment has no image configuration");
        QCOMPARE(audits(QStringLiteral("deployment.images"), name), 0);
    }

    // A classification deployment without features that already logged (tabular) predictions stays as it is:
    // as an image deployment its champion and rows would not fit.
    void aDeploymentThatLoggedDoesNotTakeImages()
    {
        const QString name = test::uniqueName(QStringLiteral("logged"));
        DeploymentStore store(*m_conn);
        NewDeployment spec;
        spec.name = name;
        spec.task = QStringLiteral("classification");
        spec.classSpec.classes = {QStringLiteral("cat"), QStringLiteral("dog")};
        QVERIFY(store.create(spec, kActor));
        QVERIFY(test::query(*m_conn,
                            QStringLiteral("INSERT INTO mldeck.predictions (ts, path, deployment, request_key) "
                                           "VALUES (now(), 'ml', $1, 'r1')"),
                            {name}));
        ImageDeployment images;
        images.store.root = folder(QStringLiteral("store"));
        const Status refused = store.setImages(name, images, kActor);
        QVERIFY(!refused);
        QVERIFY2(refused.errorMessage().contains(QStringLiteral("logged predictions")) &&
                     refused.errorMessage().contains(name),
                 qPrintable(refused.errorMessage()));
        QVERIFY(!store.show(name)->isImage());
        QCOMPARE(audits(QStringLiteral("deployment.images"), name), 0);
    }

    // An image deployment registers image models of its classes only; a tabular one never an image model.
    void registrationMatchesTheInput()
    {
        const QString digits = test::uniqueName(QStringLiteral("digits"));
        createImages(digits, QStringLiteral("0,1,2,3,4,5,6,7,8,9"));
        const QString letters = test::uniqueName(QStringLiteral("letters"));
        createImages(letters, QStringLiteral("a,b"));
        const QString tabular = test::uniqueName(QStringLiteral("accept"));
        Run r = ctl({QStringLiteral("deployments"), QStringLiteral("create"), tabular, QStringLiteral("--from-model"),
                     model("accept_mlp.pt")});
        QVERIFY2(r.code == 0, qPrintable(r.err));

        const auto registerTo = [this](const QString &deployment, const QString &file) {
            return ctl({QStringLiteral("models"), QStringLiteral("register"), QStringLiteral("--deployment"),
                        deployment, file});
        };
        r = registerTo(tabular, model("digits_cnn.pt"));
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains(QStringLiteral("takes images")) && r.err.contains(tabular), qPrintable(r.err));
        r = registerTo(digits, model("accept_mlp.pt"));
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains(QStringLiteral("takes images")) && r.err.contains(digits), qPrintable(r.err));
        r = registerTo(letters, model("digits_cnn.pt"));
        QVERIFY(r.code != 0);
        QVERIFY2(r.err.contains(QStringLiteral("are not those of image deployment")), qPrintable(r.err));
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM mldeck.models WHERE deployment IN ($1, $2, $3)"),
                       {tabular, digits, letters}),
                 QStringLiteral("0"));
        r = registerTo(digits, model("digits_cnn.pt"));
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM mldeck.models WHERE deployment = $1"), {digits}),
                 QStringLiteral("1"));
    }
};

QTEST_GUILESS_MAIN(TestImageDeployments)
#include "test_image_deployments.moc"

// An image deployment's configuration without a server: its JSON shape (what settings.images holds, what a
// host without the folders still reads) and the checks made before it is stored, each refusal named.
#include "core/domain/ImageDeployment.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

using namespace mldeck;

class TestImageDeployment : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    const QStringList m_classes{QStringLiteral("cat"), QStringLiteral("dog")};

    QString folder(const QString &name) const { return m_dir.filePath(name); }
    ImageDeployment config(const QString &reference, const QString &holdout) const
    {
        ImageDeployment d;
        d.store.root = folder(QStringLiteral("store"));
        d.referenceSet = reference.isEmpty() ? QString() : folder(reference);
        d.holdoutSet = holdout.isEmpty() ? QString() : folder(holdout);
        return d;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY(QDir().mkpath(folder(QStringLiteral("store"))));
        QVERIFY(QDir().mkpath(folder(QStringLiteral("empty/cat"))));
        for (const QString &set : {QStringLiteral("ref"), QStringLiteral("hold"), QStringLiteral("ref/cat/deeper")})
            for (const QString &cls : m_classes) {
                QVERIFY(QDir().mkpath(folder(set + QLatin1Char('/') + cls)));
                QFile f(folder(set + QLatin1Char('/') + cls + QStringLiteral("/1.png")));
                QVERIFY(f.open(QIODevice::WriteOnly));
            }
        QVERIFY(QFile::link(folder(QStringLiteral("ref")), folder(QStringLiteral("ref-link"))));
    }

    void jsonRoundTripLeavesEmptySetsOut()
    {
        const ImageDeployment d = config(QStringLiteral("ref"), {});
        const QJsonObject o = d.toJson();
        QVERIFY(o.contains(QStringLiteral("reference_set")));
        QVERIFY(!o.contains(QStringLiteral("holdout_set")));
        QCOMPARE(o.value(QStringLiteral("store")).toObject().value(QStringLiteral("kind")).toString(),
                 QStringLiteral("folder"));
        const auto back = ImageDeployment::fromJson(o);
        QVERIFY2(back, qPrintable(back.errorMessage()));
        QVERIFY(*back == d);
        // The shape only: folders that do not exist on this host still read.
        QJsonObject elsewhere = o;
        elsewhere.insert(QStringLiteral("holdout_set"), QStringLiteral("/mnt/not/here/"));
        const auto read = ImageDeployment::fromJson(elsewhere);
        QVERIFY2(read, qPrintable(read.errorMessage()));
        QCOMPARE(read->holdoutSet, QStringLiteral("/mnt/not/here"));
    }

    void badShapesAreRefusedNamed_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("named");
        QTest::newRow("no store") << QByteArray(R"({"reference_set": "/a"})") << QStringLiteral("\"store\"");
        QTest::newRow("relative set") << QByteArray(
                                             R"({"store": {"kind": "folder", "root": "/s"}, "holdout_set": "h"})")
                                      << QStringLiteral("holdout_set");
        QTest::newRow("set not text") << QByteArray(
                                             R"({"store": {"kind": "folder", "root": "/s"}, "reference_set": 3})")
                                      << QStringLiteral("reference_set");
        QTest::newRow("unknown field") << QByteArray(R"({"store": {"kind": "folder", "root": "/s"}, "bucket": "x"})")
                                       << QStringLiteral("bucket");
        QTest::newRow("unknown store kind")
            << QByteArray(R"({"store": {"kind": "s3", "root": "/s"}})") << QStringLiteral("store");
    }

    void badShapesAreRefusedNamed()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, named);
        const auto parsed = ImageDeployment::fromJson(QJsonDocument::fromJson(json).object());
        QVERIFY(!parsed);
        QVERIFY2(parsed.errorMessage().contains(named), qPrintable(parsed.errorMessage()));
    }

    void foldersAreCheckedOnThisHost_data()
    {
        QTest::addColumn<QString>("store");
        QTest::addColumn<QString>("reference");
        QTest::addColumn<QString>("holdout");
        QTest::addColumn<QString>("problem"); // empty: accepted
        QTest::newRow("store only") << QStringLiteral("store") << QString() << QString() << QString();
        QTest::newRow("both sets") << QStringLiteral("store") << QStringLiteral("ref") << QStringLiteral("hold")
                                   << QString();
        QTest::newRow("store missing") << QStringLiteral("nope") << QString() << QString() << QStringLiteral("nope");
        QTest::newRow("set missing") << QStringLiteral("store") << QStringLiteral("gone") << QString()
                                     << QStringLiteral("gone");
        QTest::newRow("set without images")
            << QStringLiteral("store") << QStringLiteral("empty") << QString() << QStringLiteral("holds no file");
        QTest::newRow("subfolder not a class")
            << QStringLiteral("store") << QStringLiteral("ref/cat") << QString() << QStringLiteral("deeper");
        QTest::newRow("same folder") << QStringLiteral("store") << QStringLiteral("ref") << QStringLiteral("ref")
                                     << QStringLiteral("overlap");
        QTest::newRow("holdout inside") << QStringLiteral("store") << QStringLiteral("ref")
                                        << QStringLiteral("ref/cat/deeper") << QStringLiteral("overlap");
        QTest::newRow("reference inside") << QStringLiteral("store") << QStringLiteral("ref/cat/deeper")
                                          << QStringLiteral("ref") << QStringLiteral("overlap");
        QTest::newRow("through a symlink") << QStringLiteral("store") << QStringLiteral("ref")
                                           << QStringLiteral("ref-link") << QStringLiteral("overlap");
        // Retraining resolves the logged keys through the store: a holdout on either side of it would be trained on.
        QTest::newRow("holdout inside the store")
            << QStringLiteral(".") << QString() << QStringLiteral("hold") << QStringLiteral("image store");
        QTest::newRow("store inside the holdout")
            << QStringLiteral("hold/cat") << QString() << QStringLiteral("hold") << QStringLiteral("image store");
        QTest::newRow("holdout is the store") << QStringLiteral("hold") << QStringLiteral("ref")
                                              << QStringLiteral("hold") << QStringLiteral("image store");
    }

    void rootStoreRefused()
    {
        ImageDeployment d = config({}, {});
        d.store.root = QStringLiteral("/");
        const Status s = d.check(m_classes);
        QVERIFY(!s);
        QVERIFY2(s.errorMessage().contains(QStringLiteral("root folder")), qPrintable(s.errorMessage()));
    }

    // The rule the forms use beside the fields, without listing anything.
    void overlapsFollowsSymlinks()
    {
        QVERIFY(ImageDeployment::overlaps(folder(QStringLiteral("ref-link")), folder(QStringLiteral("ref/cat"))));
        QVERIFY(ImageDeployment::overlaps(folder(QStringLiteral("ref")), folder(QStringLiteral("ref/cat/deeper"))));
        QVERIFY(!ImageDeployment::overlaps(folder(QStringLiteral("ref")), folder(QStringLiteral("hold"))));
        QVERIFY(!ImageDeployment::overlaps(folder(QStringLiteral("ref")), folder(QStringLiteral("ref2"))));
        QVERIFY(!ImageDeployment::overlaps(QString(), folder(QStringLiteral("ref"))));
        QVERIFY(ImageDeployment::folderProblem(folder(QStringLiteral("ref"))).isEmpty());
        QVERIFY(!ImageDeployment::folderProblem(folder(QStringLiteral("gone"))).isEmpty());
        QVERIFY(!ImageDeployment::folderProblem(QStringLiteral("relative/path")).isEmpty());
    }

    void foldersAreCheckedOnThisHost()
    {
        QFETCH(QString, store);
        QFETCH(QString, reference);
        QFETCH(QString, holdout);
        QFETCH(QString, problem);
        ImageDeployment d = config(reference, holdout);
        d.store.root = folder(store);
        const Status s = d.check(m_classes);
        if (problem.isEmpty())
            QVERIFY2(s, qPrintable(s.errorMessage()));
        else
            QVERIFY2(!s && s.errorMessage().contains(problem), qPrintable(s.errorMessage()));
    }

    void classesAreNeeded()
    {
        const Status s = config({}, {}).check({QStringLiteral("cat")});
        QVERIFY(!s);
        QVERIFY2(s.errorMessage().contains(QStringLiteral("classes")), qPrintable(s.errorMessage()));
    }
};

QTEST_GUILESS_MAIN(TestImageDeployment)
#include "test_image_deployment.moc"

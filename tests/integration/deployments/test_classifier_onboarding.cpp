// A classification deployment onboarded through mldeckctl against real PostgreSQL and Redis: create with
// --classes and --decision-threshold (or from a classifier's mldeck.json), the refusals that write nothing,
// show and list printing the classes, set --decision-threshold (audited).
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestServers.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <memory>

using namespace mldeck;

namespace {

struct Run
{
    int code = -1;
    QString out;
    QString err;
};

QString acceptModel()
{
    return QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/accept_mlp.pt");
}

} // namespace

class TestClassifierOnboarding : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<test::ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    QTemporaryDir m_store;

    QString value(const QString &sql, const QStringList &params)
    {
        const auto r = test::query(*m_conn, sql, params);
        return r && !r->isEmpty() ? r->first().first() : QString();
    }
    int rowsNamed(const QString &name)
    {
        return value(QStringLiteral("SELECT count(*) FROM mldeck.deployments WHERE name = $1"), {name}).toInt();
    }

    Run ctl(const QStringList &args)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("MLDECK_PG_URL"), m_db->endpoint().toUrl(true));
        env.insert(QStringLiteral("MLDECK_REDIS_URL"), test::TestServers::redis().toUrl(true));
        env.insert(QStringLiteral("MLDECK_MODEL_STORE"), m_store.path());
        p.setProcessEnvironment(env);
        p.start(qEnvironmentVariable("MLDECKCTL"), QStringList{QStringLiteral("deployments")} + args);
        if (!p.waitForFinished(120'000))
            return {};
        return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
                QString::fromUtf8(p.readAllStandardOutput()), QString::fromUtf8(p.readAllStandardError())};
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        QVERIFY2(QFileInfo(qEnvironmentVariable("MLDECKCTL")).isExecutable(), "MLDECKCTL must point at mldeckctl");
        QVERIFY(m_store.isValid());
        m_db = std::make_unique<test::ScratchDatabase>(QStringLiteral("clsonb"));
        auto c = PgConnection::open(m_db->endpoint(), QStringLiteral("test-classifier-onboarding"));
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

    void badClassOptionsAreRefusedAndWriteNothing_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("reason");
        const QString task = QStringLiteral("--task");
        const QString cls = QStringLiteral("classification");
        const QString classes = QStringLiteral("--classes");
        const QString threshold = QStringLiteral("--decision-threshold");
        QTest::newRow("no classes") << QStringList{task, cls} << QStringLiteral("needs its classes");
        QTest::newRow("one class") << QStringList{task, cls, classes, QStringLiteral("yes")}
                                   << QStringLiteral("at least two classes");
        QTest::newRow("twice the same") << QStringList{task, cls, classes, QStringLiteral("a,b,a")}
                                        << QStringLiteral("named twice");
        QTest::newRow("empty name") << QStringList{task, cls, classes, QStringLiteral("a,,b")}
                                    << QStringLiteral("class name is empty");
        QTest::newRow("threshold 1") << QStringList{task,      cls,
                                                    classes,   QStringLiteral("no,yes"),
                                                    threshold, QStringLiteral("1")}
                                     << QStringLiteral("strictly between 0 and 1");
        QTest::newRow("threshold text") << QStringList{task,      cls,
                                                       classes,   QStringLiteral("no,yes"),
                                                       threshold, QStringLiteral("half")}
                                        << QStringLiteral("strictly between 0 and 1");
        QTest::newRow("threshold multi-class")
            << QStringList{task, cls, classes, QStringLiteral("cat,dog,bird"), threshold, QStringLiteral("0.3")}
            << QStringLiteral("two classes only");
        QTest::newRow("classes on regression")
            << QStringList{task, QStringLiteral("regression"), classes, QStringLiteral("no,yes")}
            << QStringLiteral("for a classification deployment");
    }

    void badClassOptionsAreRefusedAndWriteNothing()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, reason);
        const QString name = test::uniqueName(QStringLiteral("bad"));
        const Run r = ctl(QStringList{QStringLiteral("create"), name} + args);
        QVERIFY2(r.code != 0, qPrintable(r.out));
        QVERIFY2(r.err.contains(reason), qPrintable(r.err));
        QCOMPARE(rowsNamed(name), 0);
    }

    void binaryClassifierCreatedShownListedAndItsThresholdSet()
    {
        const QString name = test::uniqueName(QStringLiteral("acc"));
        Run r = ctl({QStringLiteral("create"), name, QStringLiteral("--task"), QStringLiteral("classification"),
                     QStringLiteral("--classes"), QStringLiteral("declined, accepted"),
                     QStringLiteral("--decision-threshold"), QStringLiteral("0.4"), QStringLiteral("--description"),
                     QStringLiteral("will the driver accept")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains(QStringLiteral("classes      declined, accepted (positive: accepted when "
                                               "P(accepted) >= 0.4)")),
                 qPrintable(r.out));
        QCOMPARE(value(QStringLiteral("SELECT array_to_string(classes, '|') FROM mldeck.deployments WHERE name = $1"),
                       {name}),
                 QStringLiteral("declined|accepted"));
        QCOMPARE(value(QStringLiteral("SELECT decision_threshold FROM mldeck.deployments WHERE name = $1"), {name})
                     .toDouble(),
                 0.4);

        r = ctl({QStringLiteral("list")});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains(QStringLiteral("classification (declined|accepted)")), qPrintable(r.out));

        r = ctl({QStringLiteral("set"), name, QStringLiteral("--decision-threshold"), QStringLiteral("0.65")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        r = ctl({QStringLiteral("show"), name});
        QVERIFY2(r.out.contains(QStringLiteral("P(accepted) >= 0.65")), qPrintable(r.out));
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE action = 'deployment.set' AND "
                                      "deployment = $1"),
                       {name}),
                 QStringLiteral("1"));

        // A threshold outside (0, 1) is refused before the database is asked; the stored one stays.
        r = ctl({QStringLiteral("set"), name, QStringLiteral("--decision-threshold"), QStringLiteral("0")});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(QStringLiteral("strictly between 0 and 1")), qPrintable(r.err));
        QCOMPARE(value(QStringLiteral("SELECT decision_threshold FROM mldeck.deployments WHERE name = $1"), {name})
                     .toDouble(),
                 0.65);
    }

    void multiClassThresholdAndRegressionThresholdAreRefused()
    {
        const QString multi = test::uniqueName(QStringLiteral("pets"));
        Run r = ctl({QStringLiteral("create"), multi, QStringLiteral("--task"), QStringLiteral("classification"),
                     QStringLiteral("--classes"), QStringLiteral("cat,dog,bird")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains(QStringLiteral("classes      cat, dog, bird (the most probable is served)")),
                 qPrintable(r.out));
        r = ctl({QStringLiteral("set"), multi, QStringLiteral("--decision-threshold"), QStringLiteral("0.3")});
        QVERIFY2(r.code != 0, qPrintable(r.out));
        const QString regression = test::uniqueName(QStringLiteral("reg"));
        r = ctl({QStringLiteral("create"), regression, QStringLiteral("--task"), QStringLiteral("regression")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        r = ctl({QStringLiteral("set"), regression, QStringLiteral("--decision-threshold"), QStringLiteral("0.3")});
        QVERIFY2(r.code != 0, qPrintable(r.out));
        QCOMPARE(value(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE action = 'deployment.set' AND "
                                      "deployment IN ($1, $2)"),
                       {multi, regression}),
                 QStringLiteral("0"));
    }

    void classesComeFromTheModelFile()
    {
        const QString name = test::uniqueName(QStringLiteral("accm"));
        Run r = ctl(
            {QStringLiteral("create"), name, QStringLiteral("--from-model"), acceptModel(), QStringLiteral("--json")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QJsonObject created = QJsonDocument::fromJson(r.out.toUtf8()).object();
        QCOMPARE(created.value(QStringLiteral("task")).toString(), QStringLiteral("classification"));
        QCOMPARE(value(QStringLiteral("SELECT array_to_string(classes, '|') FROM mldeck.deployments WHERE name = $1"),
                       {name}),
                 QStringLiteral("declined|accepted"));
        // The command line overrides the file's threshold.
        const QString other = test::uniqueName(QStringLiteral("accm"));
        r = ctl({QStringLiteral("create"), other, QStringLiteral("--from-model"), acceptModel(),
                 QStringLiteral("--decision-threshold"), QStringLiteral("0.7")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(value(QStringLiteral("SELECT decision_threshold FROM mldeck.deployments WHERE name = $1"), {other})
                     .toDouble(),
                 0.7);
    }
};

QTEST_GUILESS_MAIN(TestClassifierOnboarding)
#include "test_classifier_onboarding.moc"

// `mldeck --screenshot FILE --page NAME` writes a PNG of the requested size for every page,
// refuses an unknown page with exit code 2 and the list of names, and never hangs.
#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

namespace {

QString binary()
{
    return qEnvironmentVariable("MLDECK_BINARY_DIR") + QStringLiteral("/app/mldeck/mldeck");
}

struct Run
{
    int exitCode = -1;
    QString err;
    QString out;
    qint64 ms = 0;
};

Run run(const QStringList &args, const QString &configHome)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), configHome); // never the developer's settings
    env.insert(QStringLiteral("LANGUAGE"), QStringLiteral("en"));
    env.insert(QStringLiteral("LC_ALL"), QStringLiteral("C.UTF-8"));
    env.insert(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"), QStringLiteral("unix:path=/nonexistent/mldeck-test-bus"));
    // Point the app at the test servers when there are any, else at nothing (health Down).
    env.insert(QStringLiteral("MLDECK_REDIS_URL"),
               qEnvironmentVariable("MLDECK_TEST_REDIS_URL", QStringLiteral("redis://127.0.0.1:1")));
    env.insert(QStringLiteral("MLDECK_PG_URL"),
               qEnvironmentVariable("MLDECK_TEST_PG_URL", QStringLiteral("postgresql://nobody@127.0.0.1:1/mldeck")));
    p.setProcessEnvironment(env);
    QElapsedTimer timer;
    timer.start();
    p.start(binary(), args);
    Run r;
    if (!p.waitForFinished(30000)) {
        p.kill();
        p.waitForFinished();
        r.err = QStringLiteral("timed out");
        return r;
    }
    r.ms = timer.elapsed();
    r.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -2;
    r.err = QString::fromLocal8Bit(p.readAllStandardError());
    r.out = QString::fromLocal8Bit(p.readAllStandardOutput());
    return r;
}

} // namespace

class TestScreenshot final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY2(QFile::exists(binary()), qPrintable(binary())); }

    void everyPage_data()
    {
        QTest::addColumn<QString>("page");
        for (const char *p : {"dashboard", "rollout", "alerts", "models", "retrain", "audit", "Alerts", "AUDIT"})
            QTest::newRow(p) << QString::fromLatin1(p);
    }

    void everyPage()
    {
        QFETCH(QString, page);
        QTemporaryDir dir;
        const QString file = dir.filePath(page + QStringLiteral(".png"));
        const Run r = run({QStringLiteral("--screenshot"), file, QStringLiteral("--page"), page}, dir.path());
        QVERIFY2(r.exitCode == 0, qPrintable(QStringLiteral("exit %1: %2").arg(r.exitCode).arg(r.err)));
        QVERIFY2(r.ms < 15000, "the screenshot must not wait long for the servers");
        QImage image(file);
        QVERIFY2(!image.isNull(), "not a readable PNG");
        QCOMPARE(image.size(), QSize(1280, 800));
        // Not a blank image: the sidebar is dark, the page light.
        QVERIFY(qGray(image.pixel(20, 400)) < 80);
        QVERIFY(qGray(image.pixel(1250, 200)) > 200);
        if (qEnvironmentVariableIsSet("MLDECK_KEEP_SCREENSHOTS"))
            image.save(qEnvironmentVariable("MLDECK_KEEP_SCREENSHOTS") + QLatin1Char('/') + page.toLower() +
                       QStringLiteral(".png"));
    }

    void unknownPageIsRefusedWithTheList()
    {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("x.png"));
        const Run r = run({QStringLiteral("--screenshot"), file, QStringLiteral("--page"), QStringLiteral("settings")},
                          dir.path());
        QCOMPARE(r.exitCode, 2);
        for (const char *name : {"dashboard", "rollout", "alerts", "models", "retrain", "audit"})
            QVERIFY2(r.err.contains(QLatin1String(name)), qPrintable(r.err));
        QVERIFY(r.err.contains(QLatin1String("settings")));
        QVERIFY(!QFile::exists(file));
    }

    void versionAndHelp()
    {
        QTemporaryDir dir;
        const Run version = run({QStringLiteral("--version")}, dir.path());
        QCOMPARE(version.exitCode, 0);
        QVERIFY2(version.out.contains(QLatin1String(MLDECK_VERSION)), qPrintable(version.out));
        const Run help = run({QStringLiteral("--help")}, dir.path());
        QCOMPARE(help.exitCode, 0);
        QVERIFY(help.out.contains(QLatin1String("--screenshot")));
        QVERIFY(help.out.contains(QLatin1String("--page")));
    }
};

QTEST_GUILESS_MAIN(TestScreenshot)
#include "TestScreenshot.moc"

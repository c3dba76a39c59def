// `mldeckctl models ...` end to end against real servers: register/list/show with --json, bad input
// (nothing inserted, nothing copied, exit code), promote with the Redis publish, Redis unreachable
// (promotion committed, exit 2, publish again), restore-previous, archive of the champion refused.
#include "core/demo/RideDelayGenerator.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "tests/support/TestServers.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

using namespace mldeck;
using namespace mldeck::test;

namespace {

struct Run
{
    int code = -1;
    QString out;
    QString err;
    QJsonObject json() const { return QJsonDocument::fromJson(out.toUtf8()).object(); }
};

QString modelFile(const QString &name)
{
    return QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/") + name;
}

} // namespace

class TestModelsCli : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<QTemporaryDir> m_store;
    QString m_dep;
    QString m_redisUrl;

    Run models(const QStringList &args, const QString &redisUrl = {})
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("MLDECK_PG_URL"), m_db->endpoint().toUrl(true));
        env.insert(QStringLiteral("MLDECK_REDIS_URL"), redisUrl.isEmpty() ? m_redisUrl : redisUrl);
        env.insert(QStringLiteral("MLDECK_MODEL_STORE"), m_store->path());
        p.setProcessEnvironment(env);
        p.start(qEnvironmentVariable("MLDECKCTL"), QStringList{QStringLiteral("models")} + args);
        if (!p.waitForFinished(120000))
            return {};
        return Run{p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
                   QString::fromUtf8(p.readAllStandardOutput()), QString::fromUtf8(p.readAllStandardError())};
    }

    QString dep() const { return QStringLiteral("--deployment=") + m_dep; }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        QVERIFY2(QFileInfo(qEnvironmentVariable("MLDECKCTL")).isExecutable(),
                 "MLDECKCTL must point at the built mldeckctl");
    }

    void init()
    {
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("regcli"));
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test_models_cli"));
        QVERIFY2(conn.ok(), qPrintable(conn.errorMessage()));
        QVERIFY(Migrator::migrate(**conn).ok());
        m_dep = uniqueName(QStringLiteral("cli"));
        QVERIFY(DeploymentStore(**conn).ensure(m_dep, QString(), RideDelayGenerator::schema()).ok());
        m_store = std::make_unique<QTemporaryDir>();
        m_redisUrl = TestServers::redis().toUrl(true);
    }

    void cleanup()
    {
        m_db.reset();
        m_store.reset();
    }

    void registerListShow()
    {
        Run r = models(
            {QStringLiteral("register"), modelFile(QStringLiteral("eta_mlp.pt")), dep(), QStringLiteral("--json")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(r.json().value(QStringLiteral("already_registered")).toBool(), false);
        const QJsonObject model = r.json().value(QStringLiteral("model")).toObject();
        QCOMPARE(model.value(QStringLiteral("version")).toString(), QStringLiteral("1"));
        QVERIFY(QFileInfo::exists(model.value(QStringLiteral("path")).toString()));
        QVERIFY(model.value(QStringLiteral("path")).toString().startsWith(m_store->path()));

        r = models(
            {QStringLiteral("register"), modelFile(QStringLiteral("eta_mlp.pt")), dep(), QStringLiteral("--json")});
        QCOMPARE(r.code, 0);
        QCOMPARE(r.json().value(QStringLiteral("already_registered")).toBool(), true);

        r = models({QStringLiteral("register"), modelFile(QStringLiteral("eta_lstm.pt")), dep(),
                    QStringLiteral("--name=lstm"), QStringLiteral("--version=v2"), QStringLiteral("--parent=1")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY(r.out.contains(QStringLiteral("@v2")));

        r = models({QStringLiteral("list"), dep(), QStringLiteral("--json")});
        QCOMPARE(r.code, 0);
        const QJsonArray rows = r.json().value(QStringLiteral("models")).toArray();
        QCOMPARE(rows.size(), 2);
        r = models({QStringLiteral("show"), QStringLiteral("v2"), dep(), QStringLiteral("--json")});
        QCOMPARE(r.code, 0);
        QCOMPARE(r.json().value(QStringLiteral("name")).toString(), QStringLiteral("lstm"));
        QCOMPARE(r.json().value(QStringLiteral("parent_version")).toString(), QStringLiteral("1"));
        r = models({QStringLiteral("list"), dep()});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.contains(QStringLiteral("lstm")));
    }

    void badInputChangesNothing()
    {
        Run r = models({QStringLiteral("register"), modelFile(QStringLiteral("fixtures/not_torchscript.zip")), dep()});
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(QStringLiteral("not a TorchScript model file")), qPrintable(r.err));
        QCOMPARE(r.err.trimmed().count(QLatin1Char('\n')), 0); // one readable line
        r = models({QStringLiteral("register"), QStringLiteral("/no/such/file.pt"), dep()});
        QCOMPARE(r.code, 1);
        QVERIFY(r.err.contains(QStringLiteral("does not exist")));
        r = models({QStringLiteral("register"), dep()});
        QCOMPARE(r.code, 2);
        r = models({QStringLiteral("register"), modelFile(QStringLiteral("eta_mlp.pt")),
                    QStringLiteral("--deployment=Bad Name")});
        QCOMPARE(r.code, 2);
        r = models({QStringLiteral("list"), dep(), QStringLiteral("--json")});
        QCOMPARE(r.json().value(QStringLiteral("models")).toArray().size(), 0);
        QCOMPARE(QDir(m_store->path()).entryList(QDir::Files).size(), 0);
        r = models({QStringLiteral("frobnicate")});
        QCOMPARE(r.code, 2);
    }

    void promotePublishRestoreArchive()
    {
        QCOMPARE(models({QStringLiteral("register"), modelFile(QStringLiteral("eta_mlp.pt")), dep()}).code, 0);
        QCOMPARE(models({QStringLiteral("register"), modelFile(QStringLiteral("eta_lstm.pt")), dep()}).code, 0);

        Run r = models({QStringLiteral("promote"), QStringLiteral("1"), dep(), QStringLiteral("--reason=first"),
                        QStringLiteral("--json")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(r.json().value(QStringLiteral("published")).toBool(), true);
        QVERIFY(!r.json().value(QStringLiteral("change_id")).toString().isEmpty());

        // Redis unreachable: the promotion stands, the error says the publish failed, exit 2.
        r = models({QStringLiteral("promote"), QStringLiteral("2"), dep()}, QStringLiteral("redis://127.0.0.1:1"));
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(QStringLiteral("publishing the champion in Redis failed")), qPrintable(r.err));
        QVERIFY(r.out.contains(QStringLiteral("is now the champion")));
        r = models({QStringLiteral("show"), QStringLiteral("champion"), dep(), QStringLiteral("--json")});
        QCOMPARE(r.json().value(QStringLiteral("version")).toString(), QStringLiteral("2"));
        r = models({QStringLiteral("publish"), dep(), QStringLiteral("--json")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(r.json().value(QStringLiteral("champion")).toObject().value(QStringLiteral("version")).toString(),
                 QStringLiteral("2"));

        r = models({QStringLiteral("archive"), QStringLiteral("2"), dep()});
        QCOMPARE(r.code, 1);
        QVERIFY(r.err.contains(QStringLiteral("champion")));

        r = models(
            {QStringLiteral("restore-previous"), dep(), QStringLiteral("--reason=rollback"), QStringLiteral("--json")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(r.json().value(QStringLiteral("after")).toString(), QStringLiteral("1"));
        QCOMPARE(r.json().value(QStringLiteral("before")).toString(), QStringLiteral("2"));

        r = models({QStringLiteral("promote"), QStringLiteral("1"), dep()});
        QCOMPARE(r.code, 1);
        QVERIFY(r.err.contains(QStringLiteral("already the champion")));
        r = models({QStringLiteral("promote"), QStringLiteral("2"), dep(), QStringLiteral("--alias=boss")});
        QCOMPARE(r.code, 2);

        QCOMPARE(models({QStringLiteral("archive"), QStringLiteral("2"), dep()}).code, 0);
        r = models({QStringLiteral("list"), dep(), QStringLiteral("--json")});
        QCOMPARE(r.json().value(QStringLiteral("models")).toArray().size(), 1);
        r = models({QStringLiteral("list"), dep(), QStringLiteral("--all"), QStringLiteral("--json")});
        QCOMPARE(r.json().value(QStringLiteral("models")).toArray().size(), 2);
    }
};

QTEST_GUILESS_MAIN(TestModelsCli)
#include "test_models_cli.moc"

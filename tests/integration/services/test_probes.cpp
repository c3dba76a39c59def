#include "core/services/Probes.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestServers.h"

#include <QtTest>

using namespace mldeck;

// The probe functions that both the status bar and `mldeckctl status` use, against real servers.
class TestProbes final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { MLDECK_REQUIRE_SERVERS(); }

    void redisUp()
    {
        const ProbeResult r = probeRedis(test::TestServers::redis());
        QVERIFY2(r.up, qPrintable(r.detail));
        QVERIFY(r.latencyMs >= 0);
        QVERIFY(r.detail.endsWith(QStringLiteral("ms")));
    }

    void pgSchemaLifecycle()
    {
        test::ScratchDatabase db(QStringLiteral("probe"));
        ProbeResult r = probePg(db.endpoint());
        QVERIFY2(r.up, qPrintable(r.detail));
        QCOMPARE(r.schemaCurrent, 0);
        QVERIFY2(r.detail.contains(QStringLiteral("schema not installed: run mldeckctl migrate")),
                 qPrintable(r.detail));
        QVERIFY(!r.serverVersion.isEmpty());
        QCOMPARE(r.user, test::TestServers::pg().user);

        auto conn = PgConnection::open(db.endpoint(), QStringLiteral("test_probes"));
        QVERIFY2(conn.ok(), qPrintable(conn.errorMessage()));
        const auto applied = Migrator::migrate(*conn.value());
        QVERIFY2(applied.ok(), qPrintable(applied.errorMessage()));

        r = probePg(db.endpoint());
        QVERIFY2(r.up, qPrintable(r.detail));
        QCOMPARE(r.schemaCurrent, Migrator::latestVersion());
        QVERIFY2(r.detail.endsWith(QStringLiteral("schema v%1").arg(Migrator::latestVersion())), qPrintable(r.detail));
    }

    void pgForeignSchema()
    {
        test::ScratchDatabase db(QStringLiteral("probeforeign"));
        {
            auto conn = PgConnection::open(db.endpoint(), QStringLiteral("test_probes"));
            QVERIFY2(conn.ok(), qPrintable(conn.errorMessage()));
            const auto made =
                test::query(*conn.value(), QStringLiteral("CREATE SCHEMA mldeck; CREATE TABLE mldeck.t (x int)"));
            QVERIFY2(made.ok(), qPrintable(made.errorMessage()));
        }
        const ProbeResult r = probePg(db.endpoint());
        QVERIFY2(r.up, qPrintable(r.detail));
        QVERIFY(r.foreignSchema);
        QVERIFY2(r.detail.contains(QStringLiteral("foreign mldeck schema")), qPrintable(r.detail));
    }

    void pgWrongPasswordIsReadable()
    {
        PgEndpoint e = test::TestServers::pg();
        e.password = QStringLiteral("definitely-wrong");
        const ProbeResult r = probePg(e);
        QVERIFY(!r.up);
        QVERIFY(!r.detail.isEmpty());
        QVERIFY2(!r.detail.contains(QStringLiteral("definitely-wrong")), "the password must not leak into messages");
        qInfo("wrong password: %s", qPrintable(r.detail));
    }

    void schemaDescriptions()
    {
        QCOMPARE(describeSchema(2, 2, false), QStringLiteral("schema v2"));
        QVERIFY(describeSchema(1, 3, false, {QStringLiteral("002_a"), QStringLiteral("003_b")})
                    .contains(QStringLiteral("2 migration(s) pending")));
        QVERIFY(describeSchema(5, 3, false).contains(QStringLiteral("newer")));
        QVERIFY(describeSchema(0, 3, false).contains(QStringLiteral("not installed")));
        QVERIFY(describeSchema(0, 3, true).contains(QStringLiteral("foreign")));
    }
};

QTEST_GUILESS_MAIN(TestProbes)
#include "test_probes.moc"

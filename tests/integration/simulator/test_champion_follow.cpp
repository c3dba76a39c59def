// The reference backend follows the champion: promotion, verified switch, a broken champion refused.
#include "core/demo/RideDelayGenerator.h"
#include "core/services/ModelOperations.h"
#include "core/simulator/Simulator.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestChecks.h"
#include "tests/support/TestServers.h"

#include <QTemporaryDir>
#include <QtTest>

#include <thread>

using namespace mldeck;
using namespace mldeck::test;

namespace {

const QString kMlp = QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/eta_mlp.pt");
const QString kLstm = QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/eta_lstm.pt");

QString isoMicros(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs);
}

struct Fixture
{
    ScratchDatabase db{QStringLiteral("champ")};
    QString deployment = uniqueName(QStringLiteral("champ"));
    QTemporaryDir store;
    std::unique_ptr<PgConnection> pg;

    Fixture()
    {
        auto opened = PgConnection::open(db.endpoint(), QStringLiteral("test"));
        if (!opened) {
            MLDECK_FAIL_IN_HELPER(QStringLiteral("PostgreSQL: ") + opened.errorMessage());
            return;
        }
        pg = std::move(opened.value());
        if (const auto migrated = Migrator::migrate(*pg); !migrated)
            MLDECK_FAIL_IN_HELPER(QStringLiteral("migrate: ") + migrated.errorMessage());
        // The deployment the simulator would create, so that models can be registered before it starts.
        else if (const auto id =
                     DeploymentStore(*pg).ensure(deployment, QStringLiteral("test"), RideDelayGenerator::schema());
                 !id)
            MLDECK_FAIL_IN_HELPER(QStringLiteral("deployment: ") + id.errorMessage());
    }

    ModelVersion registerModel(const QString &file, const QString &version)
    {
        models::RegisterRequest r;
        r.file = file;
        r.deployment = deployment;
        r.version = version;
        r.storeDirectory = store.path();
        const auto out = models::registerModel(*pg, r, Actor::current());
        if (!out) {
            MLDECK_FAIL_IN_HELPER(QStringLiteral("register %1: %2").arg(version, out.errorMessage()));
            return {};
        }
        return out->model;
    }

    void promote(const QString &version)
    {
        const auto out = models::promote(*pg, TestServers::redis(), deployment, version, QStringLiteral("champion"),
                                         QStringLiteral("test"), Actor::current());
        if (!out || !out->published)
            MLDECK_FAIL_IN_HELPER(
                QStringLiteral("promote %1 failed: %2").arg(version, out ? QString() : out.errorMessage()));
    }

    SimulatorOptions options() const
    {
        SimulatorOptions o;
        o.deployment = deployment;
        o.redis = TestServers::redis();
        o.pg = db.endpoint();
        o.rate = 200;
        o.initialPercentage = 100; // every request on the ML path
        o.outcomeDelayMs = 120'000;
        return o;
    }

    // model_version of the ML rows logged in [fromMs, toMs), with their counts.
    QMap<QString, qint64> versions(qint64 fromMs, qint64 toMs)
    {
        const auto rows =
            test::query(*pg,
                        QStringLiteral("SELECT coalesce(model_version, '<null>'), count(*) FROM mldeck.predictions "
                                       "WHERE deployment = $1 AND path = 'ml' AND ts >= $2::timestamptz "
                                       "AND ts < $3::timestamptz GROUP BY 1"),
                        {deployment, isoMicros(fromMs), isoMicros(toMs)});
        QMap<QString, qint64> out;
        if (!rows) {
            MLDECK_FAIL_IN_HELPER(QStringLiteral("query: ") + rows.errorMessage());
            return out;
        }
        for (const auto &row : *rows)
            out.insert(row.at(0), row.at(1).toLongLong());
        return out;
    }

    qint64 count(const QString &where)
    {
        const auto rows = test::query(
            *pg, QStringLiteral("SELECT count(*) FROM mldeck.predictions WHERE deployment = $1 AND ") + where,
            {deployment});
        if (!rows || rows->isEmpty()) {
            MLDECK_FAIL_IN_HELPER(QStringLiteral("query: ") + rows.errorMessage());
            return -1; // no count: the caller's comparison fails too
        }
        return rows->first().first().toLongLong();
    }
};

// Runs the simulator on its own thread; `during(elapsedMs)` is called every 20 ms on this one.
SimulatorStats runFor(Simulator &sim, qint64 ms, const std::function<void(qint64)> &during = {})
{
    std::atomic_bool stop{false};
    SimulatorStats last;
    std::mutex lastMutex;
    Status result;
    std::thread t([&] {
        result = sim.run(stop, [&](const SimulatorStats &s) {
            std::lock_guard lock(lastMutex);
            last = s;
        });
    });
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < ms) {
        if (during)
            during(clock.elapsed());
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    stop = true;
    t.join();
    if (!result)
        MLDECK_FAIL_IN_HELPER(QStringLiteral("simulator failed: ") + result.errorMessage());
    return last;
}

void corrupt(const QString &path)
{
    QFile::setPermissions(path, QFile::ReadOwner | QFile::WriteOwner);
    QFile f(path);
    if (!f.open(QIODevice::ReadWrite)) {
        MLDECK_FAIL_IN_HELPER(QStringLiteral("cannot open ") + path);
        return;
    }
    QByteArray bytes = f.readAll();
    bytes[bytes.size() / 2] = char(bytes[bytes.size() / 2] ^ 0x5a);
    f.seek(0);
    f.write(bytes);
}

} // namespace

class TestChampionFollow final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { MLDECK_REQUIRE_SERVERS(); }

    void switchesToAPromotedChampionAndRefusesABrokenOne()
    {
        Fixture f;
        MLDECK_HELPERS_OK();
        QVERIFY(f.store.isValid());
        const ModelVersion a = f.registerModel(kMlp, QStringLiteral("A"));
        f.registerModel(kLstm, QStringLiteral("B"));
        f.promote(QStringLiteral("A"));
        MLDECK_HELPERS_OK();

        Simulator sim(f.options());
        QVERIFY2(sim.prepare().ok(), "prepare");
        qint64 promotedBMs = 0;
        qint64 brokeAMs = 0;
        const qint64 startMs = QDateTime::currentMSecsSinceEpoch();
        const SimulatorStats s = runFor(sim, 9000, [&](qint64 elapsed) {
            if (elapsed > 1500 && promotedBMs == 0) {
                promotedBMs = QDateTime::currentMSecsSinceEpoch();
                f.promote(QStringLiteral("B"));
            }
            if (elapsed > 5000 && brokeAMs == 0) {
                // A's store copy is tampered with, then A is made champion again: it must not be served.
                corrupt(a.filePath);
                brokeAMs = QDateTime::currentMSecsSinceEpoch();
                f.promote(QStringLiteral("A"));
            }
        });
        MLDECK_HELPERS_OK();
        const qint64 endMs = QDateTime::currentMSecsSinceEpoch() + 1000;

        // Served from the start: the champion A, by its registry version.
        const auto before = f.versions(startMs - 1000, promotedBMs);
        QCOMPARE(before.keys(), QStringList{QStringLiteral("A")});
        QVERIFY(before.value(QStringLiteral("A")) > 100);
        // Within a few seconds of the promotion every new prediction carries B.
        const auto afterB = f.versions(promotedBMs + 3000, brokeAMs);
        QCOMPARE(afterB.keys(), QStringList{QStringLiteral("B")});
        QVERIFY(afterB.value(QStringLiteral("B")) > 50);
        // The broken champion is refused: B goes on serving, with a warning naming A and the hash.
        const auto afterBroken = f.versions(brokeAMs, endMs);
        QCOMPARE(afterBroken.keys(), QStringList{QStringLiteral("B")});
        QVERIFY(afterBroken.value(QStringLiteral("B")) > 100);
        QCOMPARE(s.modelVersion, QStringLiteral("B"));
        QCOMPARE(s.modelSwitches, 1);
        QVERIFY2(s.modelWarning.contains(QStringLiteral("version A")), qPrintable(s.modelWarning));
        QVERIFY2(s.modelWarning.contains(QStringLiteral("SHA-256")), qPrintable(s.modelWarning));
        // Serving never stopped nor failed through both events.
        QCOMPARE(s.failed, 0);
        QCOMPARE(s.dropped, 0);
        QCOMPARE(f.count(QStringLiteral("path <> 'ml'")), 0);
        QVERIFY2(s.requests > 1400, qPrintable(QString::number(s.requests)));
    }

    void aMissingChampionFileAtStartServesTheDemoModelWithAWarning()
    {
        Fixture f;
        MLDECK_HELPERS_OK();
        const ModelVersion b = f.registerModel(kLstm, QStringLiteral("B"));
        f.promote(QStringLiteral("B"));
        MLDECK_HELPERS_OK();
        QFile::setPermissions(b.filePath, QFile::ReadOwner | QFile::WriteOwner);
        QVERIFY(QFile::remove(b.filePath));

        Simulator sim(f.options());
        QVERIFY2(sim.prepare().ok(), "a broken champion must not stop the backend from starting");
        const SimulatorStats s = runFor(sim, 1500);
        MLDECK_HELPERS_OK();
        QVERIFY(s.ml > 100);
        QCOMPARE(s.failed, 0);
        QVERIFY(s.modelVersion != QStringLiteral("B"));
        QVERIFY2(s.modelWarning.contains(QStringLiteral("version B")), qPrintable(s.modelWarning));
        QCOMPARE(f.count(QStringLiteral("model_version = 'B'")), 0);
    }

    void anExplicitModelFileIsNotSwitched()
    {
        Fixture f;
        MLDECK_HELPERS_OK();
        f.registerModel(kLstm, QStringLiteral("B"));
        MLDECK_HELPERS_OK();
        SimulatorOptions o = f.options();
        o.modelPath = kMlp;
        Simulator sim(o);
        QVERIFY(sim.prepare().ok());
        bool promoted = false;
        const SimulatorStats s = runFor(sim, 3000, [&](qint64 elapsed) {
            if (elapsed > 500 && !promoted) {
                promoted = true;
                f.promote(QStringLiteral("B"));
            }
        });
        MLDECK_HELPERS_OK();
        QVERIFY(s.ml > 300);
        QCOMPARE(s.modelSwitches, 0);
        QCOMPARE(f.count(QStringLiteral("model_version = 'B'")), 0);
        QCOMPARE(f.count(QStringLiteral("path = 'ml' AND model_version IS NULL")), 0);
    }
};

QTEST_GUILESS_MAIN(TestChampionFollow)
#include "test_champion_follow.moc"

// The model registry against real PostgreSQL and Redis: register/list/show, idempotent re-register,
// refused files (nothing inserted, nothing copied), verified load (tampered, truncated, swapped copies
// refused before LibTorch), the resolver, racing promotions, restore previous, archive rules, the champion
// published in Redis, and Redis down after the commit.
#include "core/demo/RideDelayGenerator.h"
#include "core/ml/ModelStore.h"
#include "core/services/ModelOperations.h"
#include "core/services/ModelResolver.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/ModelRegistry.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/redis/RedisConnection.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestServers.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>

using namespace mldeck;
using namespace mldeck::test;

namespace {

QString modelFile(const QString &name)
{
    return QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/") + name;
}

const Actor kActor{QStringLiteral("tester@testhost"), QStringLiteral("tester"), QStringLiteral("testhost")};

} // namespace

class TestModelRegistry : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    std::unique_ptr<QTemporaryDir> m_store;
    QString m_dep;

    int count(const QString &sql, const QStringList &params = {})
    {
        const auto r = test::query(*m_conn, sql, params);
        if (!r || r->isEmpty())
            return -1;
        return r->first().first().toInt();
    }
    int modelCount()
    {
        return count(QStringLiteral("SELECT count(*) FROM mldeck.models WHERE deployment = $1"), {m_dep});
    }
    int storeFiles() { return int(QDir(m_store->path()).entryList(QDir::Files).size()); }

    ModelVersion registerFile(const QString &file, const QString &version = {})
    {
        models::RegisterRequest req;
        req.file = file;
        req.deployment = m_dep;
        req.version = version;
        req.storeDirectory = m_store->path();
        const auto r = models::registerModel(*m_conn, req, kActor);
        if (!r)
            qWarning() << r.errorMessage();
        return r ? r->model : ModelVersion{};
    }

    Result<models::RegisterOutcome> tryRegister(const QString &file, const QString &deployment,
                                                const QString &version = {})
    {
        models::RegisterRequest req;
        req.file = file;
        req.deployment = deployment;
        req.version = version;
        req.storeDirectory = m_store->path();
        return models::registerModel(*m_conn, req, kActor);
    }

    static void overwrite(const QString &path, const QByteArray &bytes)
    {
        QFile::setPermissions(path, QFile::ReadOwner | QFile::WriteOwner);
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(bytes);
    }

    static QByteArray readAll(const QString &path)
    {
        QFile f(path);
        return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
    }

private Q_SLOTS:
    void initTestCase() { MLDECK_REQUIRE_SERVERS(); }

    void init()
    {
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("reg"));
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test_model_registry"));
        QVERIFY2(conn.ok(), qPrintable(conn.errorMessage()));
        m_conn = std::move(conn).value();
        const auto migrated = Migrator::migrate(*m_conn);
        QVERIFY2(migrated.ok(), qPrintable(migrated.errorMessage()));
        m_dep = uniqueName(QStringLiteral("reg"));
        const auto schemaId =
            DeploymentStore(*m_conn).ensure(m_dep, QStringLiteral("test"), RideDelayGenerator::schema());
        QVERIFY2(schemaId.ok(), qPrintable(schemaId.errorMessage()));
        QCOMPARE(*schemaId, 1);
        m_store = std::make_unique<QTemporaryDir>();
        QVERIFY(m_store->isValid());
    }

    void cleanup()
    {
        m_conn.reset();
        m_db.reset();
        m_store.reset();
    }

    void registerThenListAndShow()
    {
        const auto sha = ModelStore::sha256Of(modelFile(QStringLiteral("eta_mlp.pt")));
        QVERIFY(sha.ok());
        const ModelVersion m = registerFile(modelFile(QStringLiteral("eta_mlp.pt")));
        QCOMPARE(m.version, QStringLiteral("1"));
        QCOMPARE(m.name, QStringLiteral("eta_mlp"));
        QCOMPARE(m.task, QStringLiteral("regression"));
        QCOMPARE(m.sha256.toLatin1(), *sha);
        QCOMPARE(m.targetUnit, QStringLiteral("min"));
        QCOMPARE(m.featureSchemaId.value_or(-1), 1);
        QCOMPARE(m.featureNames.size(), 10);
        QCOMPARE(m.featureNames.first(), QStringLiteral("distance_km"));
        QCOMPARE(m.scaler.value(QStringLiteral("mean")).toArray().size(), 8);
        QVERIFY(qAbs(m.metrics.value(QStringLiteral("mae")).toDouble() - 2.02) < 0.05);
        QVERIFY(m.createdAt.isValid());
        QCOMPARE(m.filePath, QDir(m_store->path()).filePath(QString::fromLatin1(*sha) + QStringLiteral(".pt")));
        QCOMPARE(readAll(m.filePath), readAll(modelFile(QStringLiteral("eta_mlp.pt"))));
        QVERIFY(!(QFileInfo(m.filePath).permissions() & QFile::WriteOwner)); // the store copy is read-only

        const ModelVersion lstm = registerFile(modelFile(QStringLiteral("eta_lstm.pt")));
        QCOMPARE(lstm.version, QStringLiteral("2"));

        ModelRegistry registry(*m_conn);
        const auto list = registry.list(m_dep);
        QVERIFY(list.ok());
        QCOMPARE(list->size(), 2);
        QCOMPARE(list->at(0).version, QStringLiteral("2")); // newest first
        const auto shown = registry.byVersion(m_dep, QStringLiteral("1"));
        QVERIFY(shown.ok());
        QCOMPARE(shown->sha256, m.sha256);
        QCOMPARE(shown->featureNames, m.featureNames);
        QVERIFY(!registry.byVersion(m_dep, QStringLiteral("9")).ok());
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE deployment = $1 AND action = "
                                      "'model.register' AND actor_os = 'tester' AND host = 'testhost'"),
                       {m_dep}),
                 2);
    }

    void registerSameFileTwiceIsIdempotent()
    {
        const ModelVersion first = registerFile(modelFile(QStringLiteral("eta_mlp.pt")));
        QCOMPARE(first.version, QStringLiteral("1"));
        const auto again = tryRegister(modelFile(QStringLiteral("eta_mlp.pt")), m_dep);
        QVERIFY2(again.ok(), qPrintable(again.errorMessage()));
        QVERIFY(again->alreadyRegistered);
        QCOMPARE(again->model.id, first.id);
        const auto otherVersion = tryRegister(modelFile(QStringLiteral("eta_mlp.pt")), m_dep, QStringLiteral("7"));
        QVERIFY(!otherVersion.ok());
        QVERIFY2(otherVersion.errorMessage().contains(QStringLiteral("already registered")),
                 qPrintable(otherVersion.errorMessage()));
        QCOMPARE(modelCount(), 1);
        QCOMPARE(storeFiles(), 1);
        // A taken explicit version is refused too, nothing copied.
        const auto taken = tryRegister(modelFile(QStringLiteral("eta_lstm.pt")), m_dep, QStringLiteral("1"));
        QVERIFY(!taken.ok());
        QVERIFY2(taken.errorMessage().contains(QStringLiteral("already has a version")),
                 qPrintable(taken.errorMessage()));
        QCOMPARE(modelCount(), 1);
        QCOMPARE(storeFiles(), 1);
    }

    void badFilesRefusedAndNothingChanged_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("expected");
        QTest::newRow("missing") << QStringLiteral("/nonexistent/model.pt") << QStringLiteral("does not exist");
        QTest::newRow("directory") << QStringLiteral("/tmp") << QStringLiteral("not a file");
        QTest::newRow("zip, not TorchScript") << modelFile(QStringLiteral("fixtures/not_torchscript.zip"))
                                              << QStringLiteral("not a TorchScript model file");
        QTest::newRow("torch.save state_dict")
            << modelFile(QStringLiteral("fixtures/state_dict.pt")) << QStringLiteral("not a TorchScript model file");
        QTest::newRow("wrong input width")
            << modelFile(QStringLiteral("fixtures/wrong_width.pt")) << QStringLiteral("does not accept the input");
        QTest::newRow("bad metadata") << modelFile(QStringLiteral("fixtures/bad_json.pt"))
                                      << QStringLiteral("metadata");
    }

    void badFilesRefusedAndNothingChanged()
    {
        QFETCH(QString, file);
        QFETCH(QString, expected);
        const auto r = tryRegister(file, m_dep);
        QVERIFY(!r.ok());
        QVERIFY2(r.errorMessage().contains(expected, Qt::CaseInsensitive), qPrintable(r.errorMessage()));
        QCOMPARE(modelCount(), 0);
        QCOMPARE(storeFiles(), 0);
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM mldeck.audit_log")), 0);
    }

    void unknownDeploymentAndMismatchedFeaturesRefused()
    {
        const auto unknown = tryRegister(modelFile(QStringLiteral("eta_mlp.pt")), QStringLiteral("nosuchdep"));
        QVERIFY(!unknown.ok());
        QVERIFY2(unknown.errorMessage().contains(QStringLiteral("Unknown deployment")),
                 qPrintable(unknown.errorMessage()));

        // A deployment that logs other features than the model expects.
        FeatureSchema other = RideDelayGenerator::schema();
        other.features[0].name = QStringLiteral("distance_miles");
        const QString dep2 = uniqueName(QStringLiteral("other"));
        QVERIFY(DeploymentStore(*m_conn).ensure(dep2, QString(), other).ok());
        const auto mismatch = tryRegister(modelFile(QStringLiteral("eta_mlp.pt")), dep2);
        QVERIFY(!mismatch.ok());
        QVERIFY2(mismatch.errorMessage().contains(QStringLiteral("distance_miles")),
                 qPrintable(mismatch.errorMessage()));
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM mldeck.models")), 0);
        QCOMPARE(storeFiles(), 0);

        // A model without metadata registers (it cannot be checked), as regression.
        const auto raw = tryRegister(modelFile(QStringLiteral("fixtures/no_metadata.pt")), m_dep);
        QVERIFY2(raw.ok(), qPrintable(raw.errorMessage()));
        QVERIFY(!raw->hasMetadata);
        QVERIFY(raw->model.featureNames.isEmpty());
        QVERIFY(!raw->model.featureSchemaId);
    }

    void verifiedLoadRefusesChangedCopies()
    {
        const ModelVersion m = registerFile(modelFile(QStringLiteral("eta_mlp.pt")));
        QVERIFY(!m.filePath.isEmpty());
        const QByteArray good = readAll(m.filePath);

        auto ok = ModelStore::loadVerified(m.filePath, m.sha256.toLatin1());
        QVERIFY2(ok.ok(), qPrintable(ok.errorMessage()));
        QCOMPARE((*ok)->info().sha256, m.sha256.toLatin1());

        // Tampered: one byte flipped in the middle of the archive.
        QByteArray tampered = good;
        tampered[tampered.size() / 2] = char(tampered[tampered.size() / 2] ^ 0x01);
        overwrite(m.filePath, tampered);
        auto r = ModelStore::loadVerified(m.filePath, m.sha256.toLatin1());
        QVERIFY(!r.ok());
        QVERIFY2(r.errorMessage().contains(QStringLiteral("does not match the registry")),
                 qPrintable(r.errorMessage()));
        QVERIFY(!r.errorMessage().contains(QStringLiteral("TorchScript"))); // LibTorch never saw it

        // Truncated.
        overwrite(m.filePath, good.left(good.size() / 3));
        r = ModelStore::loadVerified(m.filePath, m.sha256.toLatin1());
        QVERIFY(!r.ok());
        QVERIFY2(r.errorMessage().contains(QStringLiteral("does not match the registry")),
                 qPrintable(r.errorMessage()));
        QVERIFY(r.errorMessage().contains(QString::number(good.size() / 3)));

        // Swapped: a valid TorchScript file, just not the registered one.
        overwrite(m.filePath, readAll(modelFile(QStringLiteral("eta_lstm.pt"))));
        r = ModelStore::loadVerified(m.filePath, m.sha256.toLatin1());
        QVERIFY(!r.ok());
        QVERIFY2(r.errorMessage().contains(QStringLiteral("does not match the registry")),
                 qPrintable(r.errorMessage()));
        const auto viaResolver = resolveModel(m_dep + QStringLiteral("@1"), m_db->endpoint());
        QVERIFY(!viaResolver.ok());
        QVERIFY2(viaResolver.errorMessage().contains(QStringLiteral("does not match the registry")),
                 qPrintable(viaResolver.errorMessage()));

        // Missing.
        QFile::remove(m.filePath);
        r = ModelStore::loadVerified(m.filePath, m.sha256.toLatin1());
        QVERIFY(!r.ok());
        QVERIFY2(r.errorMessage().contains(QStringLiteral("missing")), qPrintable(r.errorMessage()));

        // Re-registering the same file repairs nothing silently: it is already registered (idempotent),
        // and a fresh import replaces a damaged copy with the right bytes.
        const ModelStore store(m_store->path());
        const auto imported = store.import(modelFile(QStringLiteral("eta_mlp.pt")));
        QVERIFY(imported.ok());
        QVERIFY(ModelStore::loadVerified(m.filePath, m.sha256.toLatin1()).ok());
        QVERIFY(!ModelStore::loadVerified(m.filePath, QByteArray("nothex")).ok());
    }

    void resolverFindsFilesAliasesAndVersions()
    {
        const ModelVersion mlp = registerFile(modelFile(QStringLiteral("eta_mlp.pt")));
        const ModelVersion lstm = registerFile(modelFile(QStringLiteral("eta_lstm.pt")));
        QVERIFY(
            models::promote(*m_conn, std::nullopt, m_dep, mlp.version, QStringLiteral("champion"), {}, kActor).ok());
        QVERIFY(
            models::promote(*m_conn, std::nullopt, m_dep, lstm.version, QStringLiteral("challenger"), {}, kActor).ok());

        auto champion = resolveModel(m_dep + QStringLiteral(":champion"), m_db->endpoint());
        QVERIFY2(champion.ok(), qPrintable(champion.errorMessage()));
        QVERIFY(champion->runner);
        QVERIFY(champion->entry);
        QCOMPARE(champion->entry->version, mlp.version);
        QVERIFY(champion->label.contains(QStringLiteral("champion")));
        auto challenger = resolveModel(m_dep + QStringLiteral(":challenger"), m_db->endpoint());
        QVERIFY2(challenger.ok(), qPrintable(challenger.errorMessage()));
        QCOMPARE(challenger->runner->info().sequenceLength, 12);
        auto byVersion = resolveModel(m_dep + QStringLiteral("@2"), m_db->endpoint());
        QVERIFY(byVersion.ok());
        QCOMPARE(byVersion->label, m_dep + QStringLiteral("@2"));
        auto file = resolveModel(modelFile(QStringLiteral("eta_mlp.pt")), std::nullopt);
        QVERIFY(file.ok());
        QVERIFY(!file->entry);
        QCOMPARE(file->label, QStringLiteral("eta_mlp.pt"));

        QVERIFY(!resolveModel(m_dep + QStringLiteral("@99"), m_db->endpoint()).ok());
        QVERIFY(!resolveModel(m_dep + QStringLiteral(":champion"), std::nullopt).ok());
        QVERIFY(!resolveModel(QStringLiteral("/no/such/model.pt"), std::nullopt).ok());
    }

    void promotionRaceLeavesOneChampionAndAConsistentAudit()
    {
        const ModelVersion a = registerFile(modelFile(QStringLiteral("eta_mlp.pt")));
        const ModelVersion b = registerFile(modelFile(QStringLiteral("eta_lstm.pt")));
        QVERIFY(a.id && b.id);
        constexpr int kIterations = 60;
        std::atomic<int> succeeded{0};
        std::atomic<int> refusedAsNoOp{0};
        std::atomic<int> otherErrors{0};
        QStringList errors;
        std::mutex errorsMutex;
        auto racer = [&](const QString &version) {
            auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("racer"));
            if (!conn) {
                ++otherErrors;
                return;
            }
            ModelRegistry registry(**conn);
            for (int i = 0; i < kIterations; ++i) {
                const QString target = (i % 2 == 0) ? version : (version == a.version ? b.version : a.version);
                const auto r =
                    registry.promote(m_dep, target, QStringLiteral("champion"), QStringLiteral("race"), kActor);
                if (r.ok())
                    ++succeeded;
                else if (r.errorMessage().contains(QStringLiteral("already the champion")))
                    ++refusedAsNoOp;
                else {
                    ++otherErrors;
                    std::lock_guard lock(errorsMutex);
                    errors << r.errorMessage();
                }
            }
        };
        std::thread t1(racer, a.version);
        std::thread t2(racer, b.version);
        t1.join();
        t2.join();
        QVERIFY2(otherErrors == 0, qPrintable(errors.join(QLatin1Char('\n'))));
        QCOMPARE(succeeded + refusedAsNoOp, 2 * kIterations);
        QVERIFY(succeeded > 1);

        QCOMPARE(count(QStringLiteral(
                           "SELECT count(*) FROM mldeck.model_aliases WHERE deployment = $1 AND alias = 'champion'"),
                       {m_dep}),
                 1);
        // The audit chain: every move starts where the previous one ended, one row per committed move.
        const auto rows = test::query(
            *m_conn,
            QStringLiteral("SELECT coalesce(before->>'model_id', ''), after->>'model_id' FROM mldeck.audit_log "
                           "WHERE deployment = $1 AND action = 'model.promote' ORDER BY id"),
            {m_dep});
        QVERIFY(rows.ok());
        QCOMPARE(int(rows->size()), succeeded.load());
        QString previous;
        for (const QStringList &row : *rows) {
            QCOMPARE(row.at(0), previous);
            QVERIFY(row.at(1) != row.at(0));
            previous = row.at(1);
        }
        const auto champion = ModelRegistry(*m_conn).byAlias(m_dep, QStringLiteral("champion"));
        QVERIFY(champion.ok() && champion->has_value());
        QCOMPARE(QString::number((*champion)->id), previous);
        qInfo() << "race:" << succeeded.load() << "moves committed," << refusedAsNoOp.load() << "no-op refusals";
    }

    void restorePreviousIsAudited()
    {
        const ModelVersion a = registerFile(modelFile(QStringLiteral("eta_mlp.pt")));
        const ModelVersion b = registerFile(modelFile(QStringLiteral("eta_lstm.pt")));
        ModelRegistry registry(*m_conn);
        const auto none = registry.restorePrevious(m_dep, {}, kActor);
        QVERIFY(!none.ok());
        QVERIFY2(none.errorMessage().contains(QStringLiteral("no previous champion")), qPrintable(none.errorMessage()));

        QVERIFY(registry.promote(m_dep, a.version, QStringLiteral("champion"), QStringLiteral("first"), kActor).ok());
        QVERIFY(!registry.restorePrevious(m_dep, {}, kActor).ok()); // the first champion has no predecessor
        // Promoting the challenger to champion drops its challenger alias.
        QVERIFY(registry.promote(m_dep, b.version, QStringLiteral("challenger"), {}, kActor).ok());
        const auto promoted =
            registry.promote(m_dep, b.version, QStringLiteral("champion"), QStringLiteral("better"), kActor);
        QVERIFY2(promoted.ok(), qPrintable(promoted.errorMessage()));
        QCOMPARE(promoted->before->version, a.version);
        QCOMPARE(promoted->after.aliases, QStringList{QStringLiteral("champion")});

        const auto restored = registry.restorePrevious(m_dep, QStringLiteral("regression in prod"), kActor);
        QVERIFY2(restored.ok(), qPrintable(restored.errorMessage()));
        QCOMPARE(restored->after.version, a.version);
        QCOMPARE(restored->before->version, b.version);
        QCOMPARE((*registry.byAlias(m_dep, QStringLiteral("champion")))->version, a.version);
        const auto audit = test::query(
            *m_conn,
            QStringLiteral(
                "SELECT before->>'version', after->>'version', reason, actor_os, change_id::text FROM mldeck.audit_log "
                "WHERE deployment = $1 AND action = 'model.restore_previous'"),
            {m_dep});
        QVERIFY(audit.ok());
        QCOMPARE(audit->size(), 1);
        QCOMPARE(audit->first().at(0), b.version);
        QCOMPARE(audit->first().at(1), a.version);
        QCOMPARE(audit->first().at(2), QStringLiteral("regression in prod"));
        QCOMPARE(audit->first().at(3), QStringLiteral("tester"));
        QCOMPARE(audit->first().at(4), restored->changeId);
        // Restoring again goes back (undo of the undo), also audited.
        QCOMPARE(registry.restorePrevious(m_dep, {}, kActor)->after.version, b.version);
    }

    void archiveRules()
    {
        const ModelVersion a = registerFile(modelFile(QStringLiteral("eta_mlp.pt")));
        const ModelVersion b = registerFile(modelFile(QStringLiteral("eta_lstm.pt")));
        ModelRegistry registry(*m_conn);
        QVERIFY(registry.promote(m_dep, a.version, QStringLiteral("champion"), {}, kActor).ok());
        QVERIFY(registry.promote(m_dep, b.version, QStringLiteral("challenger"), {}, kActor).ok());
        const int auditBefore = count(QStringLiteral("SELECT count(*) FROM mldeck.audit_log"));

        const auto refused = registry.archive(m_dep, a.version, {}, kActor);
        QVERIFY(!refused.ok());
        QVERIFY2(refused.errorMessage().contains(QStringLiteral("champion")), qPrintable(refused.errorMessage()));
        QVERIFY(!registry.byVersion(m_dep, a.version)->archived);
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM mldeck.audit_log")), auditBefore);

        const auto archived = registry.archive(m_dep, b.version, QStringLiteral("worse"), kActor);
        QVERIFY2(archived.ok(), qPrintable(archived.errorMessage()));
        QVERIFY(archived->archived);
        QVERIFY(archived->aliases.isEmpty()); // its challenger alias went with it
        QVERIFY(!(*registry.byAlias(m_dep, QStringLiteral("challenger"))).has_value());
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE action = 'model.archive'")), 1);
        QVERIFY(!registry.archive(m_dep, b.version, {}, kActor).ok()); // already archived
        const auto promoteArchived = registry.promote(m_dep, b.version, QStringLiteral("champion"), {}, kActor);
        QVERIFY(!promoteArchived.ok());
        QVERIFY2(promoteArchived.errorMessage().contains(QStringLiteral("archived")),
                 qPrintable(promoteArchived.errorMessage()));
        // The gate refuses it as the registry does, before any model check runs.
        const auto gated =
            models::promote(*m_conn, std::nullopt, m_dep, b.version, QStringLiteral("champion"), {}, kActor);
        QVERIFY(!gated.ok());
        QVERIFY2(gated.errorMessage().contains(QStringLiteral("archived")) &&
                     !gated.errorMessage().contains(QStringLiteral("model checks")),
                 qPrintable(gated.errorMessage()));
        const auto unknown =
            models::promote(*m_conn, std::nullopt, m_dep, QStringLiteral("99"), QStringLiteral("champion"), {}, kActor);
        QVERIFY(!unknown.ok());
        QVERIFY2(!unknown.errorMessage().contains(QStringLiteral("model checks")), qPrintable(unknown.errorMessage()));
        QCOMPARE(registry.list(m_dep, false)->size(), 1);
        QCOMPARE(registry.list(m_dep, true)->size(), 2);
    }

    // The model checks compare a candidate with the champion of their time; a promotion landing while they
    // run is seen under the deployment's row lock and the candidate is refused, nothing changed.
    void championChangedSinceTheChecksIsRefused()
    {
        const ModelVersion a = registerFile(modelFile(QStringLiteral("eta_mlp.pt")));
        const ModelVersion b = registerFile(modelFile(QStringLiteral("eta_lstm.pt")));
        ModelRegistry registry(*m_conn);
        QVERIFY(registry.promote(m_dep, a.version, QStringLiteral("champion"), {}, kActor).ok());
        const int auditBefore = count(QStringLiteral("SELECT count(*) FROM mldeck.audit_log"));
        // b was checked when the deployment had no champion (0); a became champion since.
        const auto refused = registry.promote(m_dep, b.version, QStringLiteral("champion"), {}, kActor, 0);
        QVERIFY(!refused.ok());
        QVERIFY2(refused.errorMessage().contains(
                     QStringLiteral("changed while the model checks ran (now %1)").arg(a.version)),
                 qPrintable(refused.errorMessage()));
        QCOMPARE((*registry.byAlias(m_dep, QStringLiteral("champion")))->version, a.version);
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM mldeck.audit_log")), auditBefore);
        // Checked against a, which is still the champion: promoted.
        const auto promoted = registry.promote(m_dep, b.version, QStringLiteral("champion"), {}, kActor, a.id);
        QVERIFY2(promoted.ok(), qPrintable(promoted.errorMessage()));
        QCOMPARE((*registry.byAlias(m_dep, QStringLiteral("champion")))->version, b.version);
    }

    void championIsPublishedInRedis()
    {
        const ModelVersion a = registerFile(modelFile(QStringLiteral("eta_mlp.pt")));
        auto sub = RedisConnection::open(TestServers::redis());
        QVERIFY2(sub.ok(), qPrintable(sub.errorMessage()));
        QVERIFY((*sub)->subscribe({models::modelsChannel()}).ok());

        const auto r = models::promote(*m_conn, TestServers::redis(), m_dep, a.version, QStringLiteral("champion"),
                                       QStringLiteral("go"), kActor);
        QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
        QVERIFY(r->publishAttempted);
        QVERIFY2(r->published.ok(), qPrintable(r->published.errorMessage()));

        auto redis = RedisConnection::open(TestServers::redis());
        QVERIFY(redis.ok());
        const auto hash = (*redis)->command({"HGETALL", models::championKey(m_dep)});
        QVERIFY(hash.ok());
        QHash<QByteArray, QByteArray> fields;
        for (qsizetype i = 0; i + 1 < hash->array.size(); i += 2)
            fields.insert(hash->array.at(i).string, hash->array.at(i + 1).string);
        QCOMPARE(fields.value("version"), a.version.toUtf8());
        QCOMPARE(fields.value("sha256"), a.sha256.toUtf8());
        QCOMPARE(fields.value("path"), a.filePath.toUtf8());
        QVERIFY(!fields.value("updated_at").isEmpty());

        // The announcement on mldeck:models:changed names this deployment (other tests may publish too).
        bool seen = false;
        for (int i = 0; i < 20 && !seen; ++i) {
            const auto push = (*sub)->nextPush(500);
            QVERIFY(push.ok());
            if (!push->has_value())
                continue;
            const RedisValue &v = **push;
            if (v.array.size() == 3) {
                const QJsonObject msg = QJsonDocument::fromJson(v.array.at(2).string).object();
                seen = msg.value(QStringLiteral("deployment")).toString() == m_dep &&
                       msg.value(QStringLiteral("version")).toString() == a.version;
            }
        }
        QVERIFY(seen);
        QVERIFY((*redis)->command({"DEL", models::championKey(m_dep)}).ok());
    }

    void redisDownAfterCommitKeepsThePromotion()
    {
        const ModelVersion a = registerFile(modelFile(QStringLiteral("eta_mlp.pt")));
        RedisEndpoint down = TestServers::redis();
        down.port = 1; // nothing listens there: Redis is unreachable
        down.timeoutMs = 500;
        const auto r = models::promote(*m_conn, down, m_dep, a.version, QStringLiteral("champion"), {}, kActor);
        QVERIFY2(r.ok(), qPrintable(r.errorMessage()));
        QVERIFY(r->publishAttempted);
        QVERIFY(!r->published.ok());
        QVERIFY2(r->published.errorMessage().contains(QStringLiteral("publishing the champion in Redis failed")),
                 qPrintable(r->published.errorMessage()));
        QVERIFY(r->published.errorMessage().contains(QStringLiteral("models publish")));
        // Committed in PostgreSQL.
        QCOMPARE((*ModelRegistry(*m_conn).byAlias(m_dep, QStringLiteral("champion")))->version, a.version);
        QCOMPARE(count(QStringLiteral(
                           "SELECT count(*) FROM mldeck.audit_log WHERE action = 'model.promote' AND deployment = $1"),
                       {m_dep}),
                 1);
        // Publishing again once Redis is reachable.
        const auto published = models::publishChampion(*m_conn, TestServers::redis(), m_dep);
        QVERIFY2(published.ok(), qPrintable(published.errorMessage()));
        QCOMPARE((*published)->version, a.version);
        auto redis = RedisConnection::open(TestServers::redis());
        QVERIFY(redis.ok());
        const auto v = (*redis)->command({"HGET", models::championKey(m_dep), "version"});
        QVERIFY(v.ok());
        QCOMPARE(v->string, a.version.toUtf8());
        QVERIFY((*redis)->command({"DEL", models::championKey(m_dep)}).ok());
    }
};

QTEST_GUILESS_MAIN(TestModelRegistry)
#include "test_model_registry.moc"

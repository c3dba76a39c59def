// The audit chain's canonical form and verifier, without a database. The expected hashes were
// computed by migration 014's own SQL (mldeck.audit_chain_hash) on the same rows, so the C++ side
// and the trigger agree byte for byte, non-ASCII text and NULLs included.
#include "core/audit/AuditChain.h"

#include <QtTest>

using namespace mldeck;

namespace {

AuditChainRow vectorOne()
{
    AuditChainRow r;
    r.chainKey = QStringLiteral("eta");
    r.id = 42;
    r.seq = 7;
    r.changeId = QStringLiteral("0b7f3c1e-2d4a-4f6b-9c8d-1e2f3a4b5c6d");
    r.tsMicros = 1772368496789012; // 2026-03-01T12:34:56.789012Z
    r.actorDb = QStringLiteral("alice");
    r.actorOs = QStringLiteral("alice");
    r.host = QStringLiteral("console-1");
    r.action = QStringLiteral("flags.apply");
    r.deployment = QStringLiteral("eta");
    r.before = QStringLiteral(u"{\"note\": \"café ☕\", \"ml_traffic_percentage\": 25}");
    r.after = QStringLiteral(u"{\"note\": \"café ☕\", \"ml_traffic_percentage\": 50}");
    r.reason = QStringLiteral("step up: ramp to 50 %");
    r.prevHash = auditGenesisHash();
    return r;
}

AuditChainRow vectorTwo()
{
    AuditChainRow r;
    r.chainKey = QString(); // rows of no deployment
    r.id = 3;
    r.seq = 2;
    r.changeId = QStringLiteral("11111111-2222-3333-4444-555555555555");
    r.tsMicros = 946684799000000;
    r.actorDb = QStringLiteral("guard");
    r.action = QStringLiteral("flags.rollback");
    r.occurredAtMicros = 946684680500000;
    r.spooled = true;
    r.prevHash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    return r;
}

// A valid chain of n rows for "eta".
QList<AuditChainRow> chain(int n)
{
    QList<AuditChainRow> rows;
    QByteArray prev = auditGenesisHash();
    for (int i = 1; i <= n; ++i) {
        AuditChainRow r = vectorOne();
        r.id = 100 + i;
        r.seq = i;
        r.changeId = QStringLiteral("00000000-0000-0000-0000-%1").arg(i, 12, 10, QLatin1Char('0'));
        r.prevHash = prev;
        r.rowHash = r.computeHash();
        prev = r.rowHash;
        rows << r;
    }
    return rows;
}

std::optional<AuditChainBreak> verify(const QList<AuditChainRow> &rows, qint64 headSeq, const QByteArray &headHash)
{
    AuditChainVerifier v(QStringLiteral("eta"));
    for (const AuditChainRow &r : rows)
        if (!v.add(r))
            break;
    v.finish(headSeq, headHash);
    return v.firstBreak();
}

} // namespace

class TestAuditChainUnit : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void canonicalFormIsDocumented()
    {
        const QByteArray c = vectorTwo().canonical();
        QCOMPARE(c, QByteArray("0:|1:2|1:3|36:11111111-2222-3333-4444-555555555555|15:946684799000000|5:guard|-|-|"
                               "14:flags.rollback|-|-|-|-|15:946684680500000|1:t|"
                               "64:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08|"));
        // Lengths are in UTF-8 bytes: "café ☕" is 6 characters, 10 bytes.
        QVERIFY(vectorOne().canonical().contains(QByteArray("\"note\": \"caf\xc3\xa9 \xe2\x98\x95\"")));
        QVERIFY(vectorOne().canonical().startsWith("3:eta|1:7|2:42|"));
    }

    void hashesMatchTheDatabaseTrigger()
    {
        QCOMPARE(vectorOne().computeHash(),
                 QByteArray("25600a9dceb0eb0f919503404f4ecb5240b9fdeadf1cc2e9ac8ebd26e496fd53"));
        QCOMPARE(vectorTwo().computeHash(),
                 QByteArray("1b586b595ff0353ef16a2d5b1b0355a68415420e36d72af2fad86067f59a0edd"));
        QCOMPARE(auditGenesisHash(), QByteArray(64, '0'));
    }

    void intactChainPasses()
    {
        const auto rows = chain(5);
        AuditChainVerifier v(QStringLiteral("eta"));
        for (const auto &r : rows)
            QVERIFY(v.add(r));
        v.finish(5, rows.last().rowHash);
        QVERIFY(!v.firstBreak());
        QCOMPARE(v.rowsChecked(), 5);
        QCOMPARE(v.lastHash(), rows.last().rowHash);
        // An empty chain with an empty head is intact too.
        QVERIFY(!verify({}, 0, auditGenesisHash()));
    }

    void changedRowIsNamed()
    {
        auto rows = chain(5);
        rows[2].reason = QStringLiteral("rewritten");
        const auto b = verify(rows, 5, rows.last().rowHash);
        QVERIFY(b);
        QCOMPARE(b->kind, AuditChainBreak::Kind::Changed);
        QCOMPARE(b->id, rows[2].id);
        QCOMPARE(b->seq, 3);
        QVERIFY2(b->message.contains(QString::number(rows[2].id)), qPrintable(b->message));
    }

    void rewrittenHashBreaksTheNextRow()
    {
        auto rows = chain(5);
        rows[2].reason = QStringLiteral("rewritten");
        rows[2].rowHash = rows[2].computeHash(); // the forger recomputed this row's hash only
        const auto b = verify(rows, 5, rows.last().rowHash);
        QVERIFY(b);
        QCOMPARE(b->kind, AuditChainBreak::Kind::Inserted);
        QCOMPARE(b->id, rows[3].id);
    }

    void removedRowIsNamed()
    {
        auto rows = chain(5);
        rows.removeAt(1);
        const auto b = verify(rows, 5, rows.last().rowHash);
        QVERIFY(b);
        QCOMPARE(b->kind, AuditChainBreak::Kind::Removed);
        QCOMPARE(b->id, rows[1].id); // the row after the gap
        QCOMPARE(b->seq, 3);
    }

    void removedLastRowsMoveTheHead()
    {
        auto rows = chain(5);
        const QByteArray head = rows.last().rowHash;
        rows.removeLast();
        rows.removeLast();
        const auto b = verify(rows, 5, head);
        QVERIFY(b);
        QCOMPARE(b->kind, AuditChainBreak::Kind::HeadMoved);
        QCOMPARE(b->seq, 4);
        // A head that does not match the last row is named too.
        const auto moved = verify(chain(3), 3, auditGenesisHash());
        QVERIFY(moved);
        QCOMPARE(moved->kind, AuditChainBreak::Kind::HeadMoved);
    }

    void forgedInsertIsNamed()
    {
        auto rows = chain(5);
        AuditChainRow forged = rows[2];
        forged.id = 999;
        forged.seq = 0; // written with the trigger off: no place in the chain
        forged.prevHash.clear();
        forged.rowHash.clear();
        auto withForged = rows;
        withForged.append(forged);
        auto b = verify(withForged, 5, rows.last().rowHash);
        QVERIFY(b);
        QCOMPARE(b->kind, AuditChainBreak::Kind::Inserted);
        QCOMPARE(b->id, 999);

        // A copy of a position with a recomputed hash: a duplicate position.
        AuditChainRow dup = rows[2];
        dup.id = 998;
        dup.reason = QStringLiteral("forged");
        dup.rowHash = dup.computeHash();
        auto withDup = rows;
        withDup.insert(3, dup);
        b = verify(withDup, 5, rows.last().rowHash);
        QVERIFY(b);
        QCOMPARE(b->kind, AuditChainBreak::Kind::Inserted);
        QCOMPARE(b->id, 998);
        QCOMPARE(b->seq, 3);
    }

    void verifierStopsAtTheFirstBreak()
    {
        auto rows = chain(5);
        rows[1].reason = QStringLiteral("one");
        rows[3].reason = QStringLiteral("two");
        AuditChainVerifier v(QStringLiteral("eta"));
        QVERIFY(v.add(rows[0]));
        QVERIFY(!v.add(rows[1]));
        QVERIFY(!v.add(rows[2]));
        v.finish(5, rows.last().rowHash);
        QCOMPARE(v.firstBreak()->id, rows[1].id);
        QCOMPARE(v.rowsChecked(), 1);
    }
};

QTEST_GUILESS_MAIN(TestAuditChainUnit)
#include "test_audit_chain_unit.moc"

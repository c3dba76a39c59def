// AuditQuery on a real PostgreSQL, over changes made through the real services: paging below a top
// id, every filter (deployment, actor, kind family, time range, search), live rows, the streamed
// export, bad filters refused, and "what served when" equal to the changes that were made.
#include "AuditScenario.h"

#include "core/audit/AuditExport.h"
#include "core/store/pg/AuditQuery.h"
#include "core/store/pg/KpiStore.h"
#include "tests/support/TestChecks.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>

using namespace mldeck;

namespace {

QStringList actionsOf(const QList<AuditEntry> &rows)
{
    QStringList out;
    for (const AuditEntry &e : rows)
        out << e.action;
    return out;
}

} // namespace

class TestAuditQuery final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { MLDECK_REQUIRE_SERVERS(); }

    void pagesAndFilters()
    {
        test::AuditScenario s;
        QString why;
        QVERIFY2(s.setUp(&why), qPrintable(why));
        AuditQuery q(*s.f.pg);
        const auto top = q.newestId();
        QVERIFY2(top, qPrintable(top.errorMessage()));
        const qint64 all =
            test::queryValue(*s.f.pg, QStringLiteral("SELECT count(*) FROM mldeck.audit_log")).toLongLong();
        QVERIFY(all >= 12); // 8 of the deployment, 3 of the other, 1 of none
        QCOMPARE(*q.count({}, *top), all);

        // Newest first, pages that join up.
        const auto first = q.page({}, *top, 0, 5), second = q.page({}, *top, 5, 5);
        QVERIFY(first && second);
        QCOMPARE(first->size(), 5);
        QCOMPARE(first->first().id, *top);
        QCOMPARE(first->first().action, QStringLiteral("settings.edit"));
        QVERIFY(first->first().deployment.isEmpty());
        for (qsizetype i = 1; i < first->size(); ++i)
            QVERIFY(first->at(i).id < first->at(i - 1).id);
        QVERIFY(second->first().id < first->last().id);
        QVERIFY(first->first().chainSeq > 0);
        QVERIFY(!first->first().changeId.isNull());

        AuditFilter byDeployment;
        byDeployment.deployment = s.f.deployment;
        const auto mine = q.page(byDeployment, *top, 0, 100);
        QVERIFY(mine);
        // flags: apply, apply, rollback; models: register x2, promote x2, restore.
        QCOMPARE(actionsOf(*mine),
                 (QStringList{QStringLiteral("model.restore_previous"), QStringLiteral("model.promote"),
                              QStringLiteral("model.promote"), QStringLiteral("model.register"),
                              QStringLiteral("model.register"), QStringLiteral("flags.rollback"),
                              QStringLiteral("flags.apply"), QStringLiteral("flags.apply")}));
        QCOMPARE(*q.count(byDeployment, *top), 8);
        QCOMPARE(mine->last().reason, QStringLiteral("ramp to 25"));
        // Given the count, a page past the middle is read from the oldest end: the same rows.
        for (const qint64 offset : {0, 3, 5, 6, 7})
            for (const int limit : {1, 2, 3}) {
                const auto plain = q.page(byDeployment, *top, offset, limit);
                const auto counted = q.page(byDeployment, *top, offset, limit, 8);
                QVERIFY(plain && counted);
                QCOMPARE(actionsOf(*counted), actionsOf(*plain));
                QCOMPARE(counted->size(), qMin<qint64>(limit, 8 - offset));
            }
        QVERIFY(q.page(byDeployment, *top, 8, 5, 8)->isEmpty());
        QCOMPARE(mine->last().actor(), QStringLiteral("alice"));
        QCOMPARE(mine->last().host, QStringLiteral("console-1"));
        QCOMPARE(mine->last().after->value(QStringLiteral("ml_traffic_percentage")).toInt(), 25);

        AuditFilter kinds = byDeployment;
        kinds.kinds = {QStringLiteral("flags")};
        QCOMPARE(*q.count(kinds, *top), 3);
        kinds.kinds = {QStringLiteral("flags.rollback"), QStringLiteral("model.promote")};
        QCOMPARE(actionsOf(*q.page(kinds, *top, 0, 10)),
                 (QStringList{QStringLiteral("model.promote"), QStringLiteral("model.promote"),
                              QStringLiteral("flags.rollback")}));
        kinds.kinds = {QStringLiteral("model.pro")}; // a family is whole words: no prefix match
        QCOMPARE(*q.count(kinds, *top), 0);

        AuditFilter actor;
        actor.actor = QStringLiteral("BO"); // case-insensitive substring of the OS actor
        const auto bobs = q.page(actor, *top, 0, 100);
        QVERIFY(bobs);
        QCOMPARE(bobs->size(), 1 + 2 + 3); // one apply, two promotes, three acknowledgements
        for (const AuditEntry &e : *bobs)
            QCOMPARE(e.actorOs, QStringLiteral("bob"));

        AuditFilter search;
        search.text = QStringLiteral("zEBRA");
        const auto zebra = q.page(search, *top, 0, 10);
        QVERIFY(zebra);
        QCOMPARE(zebra->size(), 1);
        QCOMPARE(zebra->first().after->value(QStringLiteral("ml_traffic_percentage")).toInt(), 50);
        search.text = QStringLiteral("eta-2.pt"); // inside the "after" JSON of a registration
        QCOMPARE(*q.count(search, *top), 1);
        search.text = QStringLiteral("%"); // no wildcard: a literal percent sign, in no row
        QCOMPARE(*q.count(search, *top), 0);
        search.text = QStringLiteral("RESTORE_previous"); // _ is literal too
        QCOMPARE(*q.count(search, *top), 1);
        search.text = QStringLiteral("restore_p_evious");
        QCOMPARE(*q.count(search, *top), 0);
        search.text = QStringLiteral("'); DELETE FROM mldeck.audit_log; --");
        QCOMPARE(*q.count(search, *top), 0);
        QCOMPARE(*q.count({}, *top), all);

        AuditFilter other;
        other.deployment = s.other;
        other.kinds = {QStringLiteral("alert")};
        other.text = QStringLiteral("\"noisy\"");
        QCOMPARE(*q.count(other, *top), 3);

        // Time range: nothing before the scenario, everything from its start, nothing after now.
        AuditFilter range = byDeployment;
        range.from = s.start;
        QCOMPARE(*q.count(range, *top), 8);
        range.from = QDateTime::currentDateTimeUtc().addSecs(5);
        QCOMPARE(*q.count(range, *top), 0);
        range.from = {};
        range.to = s.start;
        QCOMPARE(*q.count(range, *top), 0);

        // Live rows: newer than the top, and never in the pages below it.
        AuditLog log(*s.f.pg);
        QVERIFY(*log.insert(AuditRecord::make(QStringLiteral("guard.rearm"), s.f.deployment, Actor::current(),
                                              QStringLiteral("re-armed"))));
        const auto live = q.newerThan(byDeployment, *top, 50);
        QVERIFY(live);
        QCOMPARE(live->size(), 1);
        QCOMPARE(live->first().action, QStringLiteral("guard.rearm"));
        QCOMPARE(*q.count(byDeployment, *top), 8);
        QCOMPARE(q.page(byDeployment, *top, 0, 1)->first().action, QStringLiteral("model.restore_previous"));

        // The filter's choices.
        const auto actors = q.actors(), actions = q.actions();
        QVERIFY(actors && actions);
        QVERIFY(actors->contains(QStringLiteral("alice")) && actors->contains(QStringLiteral("bob")));
        QVERIFY(actions->contains(QStringLiteral("flags.rollback")));

        // Bad input: a clear error, nothing read.
        AuditFilter bad;
        bad.kinds = {QStringLiteral("flags.*")};
        QVERIFY(q.page(bad, *top, 0, 10).errorMessage().contains(QStringLiteral("flags.*")));
        QVERIFY(!q.count(bad, *top));
        QVERIFY(!q.page({}, *top, 0, 1001));
        QVERIFY(!q.page({}, *top, -1, 10));
    }

    void exportStreamsEveryRow()
    {
        test::AuditScenario s;
        QString why;
        QVERIFY2(s.setUp(&why), qPrintable(why));
        AuditQuery q(*s.f.pg);
        const qint64 all = *q.count({}, *q.newestId());

        // Batches of the cursor, newest first, every row once.
        qint64 seen = 0, previous = std::numeric_limits<qint64>::max();
        QVERIFY(q.forEach({}, [&](const QList<AuditEntry> &batch) {
            for (const AuditEntry &e : batch) {
                if (e.id >= previous)
                    return false;
                previous = e.id;
                ++seen;
            }
            return true;
        }));
        QCOMPARE(seen, all);

        QTemporaryDir dir;
        AuditFilter mine;
        mine.deployment = s.f.deployment;
        mine.kinds = {QStringLiteral("model")};
        const QString path = dir.filePath(QStringLiteral("models.json"));
        const auto written = writeAuditExport([&](const AuditBatchSink &sink) { return q.forEach(mine, sink); },
                                              AuditExportFormat::Json, path);
        QVERIFY2(written, qPrintable(written.errorMessage()));
        QCOMPARE(*written, 5);
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonArray rows = QJsonDocument::fromJson(f.readAll()).array();
        QCOMPARE(rows.size(), 5);
        QCOMPARE(rows.at(0)[QStringLiteral("action")].toString(), QStringLiteral("model.restore_previous"));
        QCOMPARE(rows.at(0)[QStringLiteral("after")][QStringLiteral("version")].toString(), QStringLiteral("1"));
        QCOMPARE(rows.at(0)[QStringLiteral("before")][QStringLiteral("version")].toString(), QStringLiteral("2"));
    }

    void timelineEqualsTheChanges()
    {
        test::AuditScenario s;
        QString why;
        QVERIFY2(s.setUp(&why), qPrintable(why));
        AuditQuery q(*s.f.pg);
        const QDateTime end = QDateTime::currentDateTimeUtc().addSecs(1);
        const auto t = q.timeline(s.f.deployment, s.start, end);
        QVERIFY2(t, qPrintable(t.errorMessage()));
        // The state before the first change (ML at 10 %, from its "before"), then one step per change.
        QCOMPARE(t->steps.size(), 1 + 3 + 3);
        QCOMPARE(t->steps.at(0).auditId, 0);
        QCOMPARE(t->steps.at(0).mlPercent, std::optional<int>(10));
        QList<qint64> ids;
        for (qsizetype i = 1; i < t->steps.size(); ++i)
            ids << t->steps.at(i).auditId;
        QCOMPARE(ids, s.servingIds);
        const auto percents = [&](qsizetype i) { return t->steps.at(i).mlPercent.value_or(-1); };
        QCOMPARE(percents(1), 25);
        QCOMPARE(t->steps.at(1).actor, QStringLiteral("alice"));
        QCOMPARE(t->steps.at(1).reason, QStringLiteral("ramp to 25"));
        QCOMPARE(percents(2), 50);
        QCOMPARE(percents(3), 0); // the rollback turns ML off
        QCOMPARE(t->steps.at(3).mlEnabled, std::optional<bool>(false));
        QCOMPARE(t->steps.at(4).champion, QStringLiteral("eta-mlp@1"));
        QCOMPARE(t->steps.at(5).champion, QStringLiteral("eta-mlp@2"));
        QCOMPARE(t->steps.at(6).champion, QStringLiteral("eta-mlp@1"));
        QCOMPARE(t->steps.at(6).action, QStringLiteral("model.restore_previous"));
        QCOMPARE(percents(6), 0);
        QCOMPARE(t->steps.last().to, end);
        for (qsizetype i = 1; i < t->steps.size(); ++i)
            QCOMPARE(t->steps.at(i).from, t->steps.at(i - 1).to);

        // A range starting after the promotions carries their state in.
        const QDateTime later = t->steps.last().from.addMSecs(1);
        const auto tail = q.timeline(s.f.deployment, later, end);
        QVERIFY(tail);
        QCOMPARE(tail->steps.size(), 1);
        QCOMPARE(tail->steps.first().champion, QStringLiteral("eta-mlp@1"));
        QCOMPARE(tail->steps.first().mlPercent, std::optional<int>(0));
        QCOMPARE(tail->steps.first().action, QStringLiteral("model.restore_previous"));
        QCOMPARE(tail->steps.first().auditId, 0);

        // A rollback spooled while PostgreSQL was down, flushed now, took effect before the range:
        // it is the state carried in, not a change at its arrival.
        AuditRecord late = AuditRecord::make(QStringLiteral("guard.rollback"), s.f.deployment, Actor::guard(),
                                             QStringLiteral("spooled during an outage"));
        late.occurredAt = s.start.addSecs(-30);
        late.before = QJsonObject{{QStringLiteral("ml_enabled"), 1}, {QStringLiteral("ml_traffic_percentage"), 10}};
        late.after = QJsonObject{{QStringLiteral("ml_enabled"), 0}, {QStringLiteral("ml_traffic_percentage"), 10}};
        QVERIFY(*AuditLog(*s.f.pg).insert(late, true));
        const auto withSpool = q.timeline(s.f.deployment, s.start, QDateTime::currentDateTimeUtc().addSecs(1));
        QVERIFY2(withSpool, qPrintable(withSpool.errorMessage()));
        QCOMPARE(withSpool->steps.size(), t->steps.size());
        QCOMPARE(withSpool->steps.first().action, QStringLiteral("guard.rollback"));
        QCOMPARE(withSpool->steps.first().mlPercent, std::optional<int>(0));
        QCOMPARE(withSpool->steps.at(1).auditId, t->steps.at(1).auditId);

        QVERIFY(!q.timeline(s.f.deployment, end, s.start));
        QVERIFY(!q.timeline(QString(), s.start, end));
    }

    void markersReadTheSameRows()
    {
        test::AuditScenario s;
        QString why;
        QVERIFY2(s.setUp(&why), qPrintable(why));
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        const auto markers = KpiStore(*s.f.pg).auditMarkers(s.f.deployment, now - 600, now + 600);
        QVERIFY2(markers, qPrintable(markers.errorMessage()));
        // The charts mark what changed serving (flags, promotions, restores), oldest first; not registrations.
        QStringList actions;
        for (const AuditMarker &m : *markers)
            actions << m.action;
        QCOMPARE(actions, (QStringList{QStringLiteral("flags.apply"), QStringLiteral("flags.apply"),
                                       QStringLiteral("flags.rollback"), QStringLiteral("model.promote"),
                                       QStringLiteral("model.promote"), QStringLiteral("model.restore_previous")}));
        QCOMPARE(markers->first().actor, QStringLiteral("alice"));
        QCOMPARE(markers->first().summary, QStringLiteral("ramp to 25"));
    }
};

QTEST_GUILESS_MAIN(TestAuditQuery)
#include "test_audit_query.moc"

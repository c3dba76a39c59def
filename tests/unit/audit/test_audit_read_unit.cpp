// The audit log's reading side without a database: filter validation, "what served when" from rows
// (state carried in from before the range, rollback, guard halve, plan step, promote, restore), the
// readable before/after diff, and the CSV / JSON export (RFC 4180 quoting read back by the house's
// CSV reader, JSON parsed back).
#include "core/audit/AuditDiff.h"
#include "core/audit/AuditExport.h"
#include "core/audit/AuditFilter.h"
#include "core/audit/ServedTimeline.h"
#include "core/io/CsvReader.h"
#include "core/rollout/AuditRecord.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QtTest>

#include <limits>

using namespace mldeck;

namespace {

const QDateTime kT0 = QDateTime(QDate(2026, 3, 1), QTime(12, 0), Qt::UTC);

QJsonObject flags(int enabled, int percent)
{
    return {{QStringLiteral("exists"), true},
            {QStringLiteral("ml_enabled"), enabled},
            {QStringLiteral("ml_traffic_percentage"), percent},
            {QStringLiteral("fallback_on_error"), 1}};
}

QJsonObject model(const QString &version)
{
    return {{QStringLiteral("model_id"), version.toInt()},
            {QStringLiteral("name"), QStringLiteral("eta-mlp")},
            {QStringLiteral("version"), version},
            {QStringLiteral("alias"), QStringLiteral("champion")}};
}

AuditEntry row(qint64 id, int minutes, const QString &action, std::optional<QJsonObject> before,
               std::optional<QJsonObject> after, const QString &actor = QStringLiteral("alice"),
               const QString &reason = QString())
{
    AuditEntry e;
    e.id = id;
    e.at = kT0.addSecs(60LL * minutes);
    e.action = action;
    e.actorOs = actor;
    e.actorDb = QStringLiteral("mldeck_ops");
    e.deployment = QStringLiteral("eta");
    e.before = std::move(before);
    e.after = std::move(after);
    e.reason = reason;
    return e;
}

} // namespace

class TestAuditReadUnit : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void filterValidation()
    {
        AuditFilter f;
        QVERIFY(f.isEmpty());
        QVERIFY(f.validate().isEmpty());
        f.kinds = {QStringLiteral("flags"), QStringLiteral("flags.rollback"), QStringLiteral("plan.advance.override")};
        QVERIFY(!f.isEmpty());
        QVERIFY2(f.validate().isEmpty(), qPrintable(f.validate()));
        for (const QString &bad : {QStringLiteral("Flags"), QStringLiteral("flags."), QStringLiteral("flags.*"),
                                   QStringLiteral("a b"), QStringLiteral("x';--"), QString()}) {
            AuditFilter g;
            g.kinds = {bad};
            QVERIFY2(g.validate().contains(bad.isEmpty() ? QStringLiteral("\"\"") : bad), qPrintable(g.validate()));
        }
        AuditFilter range;
        range.from = kT0;
        range.to = kT0;
        QVERIFY(range.validate().contains(QStringLiteral("ends")));
        range.to = kT0.addSecs(1);
        QVERIFY(range.validate().isEmpty());
        AuditFilter same = range;
        QVERIFY(same == range);
    }

    void timelineCarriesStateInAndFollowsChanges()
    {
        // Before the range: ML on at 25 %, champion v1.
        const QList<AuditEntry> before{
            row(1, -120, QStringLiteral("model.promote"), std::nullopt, model(QStringLiteral("1")),
                QStringLiteral("sam"), QStringLiteral("first model")),
            row(2, -60, QStringLiteral("flags.apply"), flags(0, 0), flags(1, 25), QStringLiteral("alice"),
                QStringLiteral("start at 25")),
        };
        const QList<AuditEntry> inRange{
            row(3, 10, QStringLiteral("plan.advance"), flags(1, 25), flags(1, 50), QStringLiteral("ops"),
                QStringLiteral("gates passed")),
            row(4, 20, QStringLiteral("guard.halve"), flags(1, 50), flags(1, 25), QStringLiteral("guard@srv"),
                QStringLiteral("MAE above 2.5")),
            row(5, 25, QStringLiteral("flags.apply"), flags(1, 25), flags(1, 25), QStringLiteral("bob"),
                QStringLiteral("same values: no step")),
            row(6, 30, QStringLiteral("guard.rollback"), flags(1, 25), flags(0, 25), QStringLiteral("guard@srv"),
                QStringLiteral("R2 below 0.6")),
            row(7, 40, QStringLiteral("model.promote"), model(QStringLiteral("1")), model(QStringLiteral("2")),
                QStringLiteral("sam"), QStringLiteral("retrained")),
            row(8, 45, QStringLiteral("flags.apply"), flags(0, 25), flags(1, 10), QStringLiteral("alice"),
                QStringLiteral("again at 10")),
            row(9, 50, QStringLiteral("model.restore_previous"), model(QStringLiteral("2")), model(QStringLiteral("1")),
                QStringLiteral("sam"), QStringLiteral("v2 worse")),
        };
        const QDateTime from = kT0, to = kT0.addSecs(3600);
        const ServedTimeline t = ServedTimeline::build(QStringLiteral("eta"), from, to, before, inRange);
        QCOMPARE(t.deployment, QStringLiteral("eta"));
        QCOMPARE(t.steps.size(), 7);
        const auto check = [&](int i, int fromMin, int toMin, const QString &champion, std::optional<int> percent,
                               bool enabled, const QString &action, qint64 id) {
            const ServedStep &s = t.steps.at(i);
            QCOMPARE(s.from, kT0.addSecs(60LL * fromMin));
            QCOMPARE(s.to, kT0.addSecs(60LL * toMin));
            QCOMPARE(s.champion, champion);
            QCOMPARE(s.mlPercent, percent);
            QCOMPARE(s.mlEnabled, std::optional<bool>(enabled));
            QCOMPARE(s.action, action);
            QCOMPARE(s.auditId, id);
        };
        check(0, 0, 10, QStringLiteral("eta-mlp@1"), 25, true, QStringLiteral("flags.apply"), 0); // carried in
        QCOMPARE(t.steps.at(0).actor, QStringLiteral("alice"));
        check(1, 10, 20, QStringLiteral("eta-mlp@1"), 50, true, QStringLiteral("plan.advance"), 3);
        check(2, 20, 30, QStringLiteral("eta-mlp@1"), 25, true, QStringLiteral("guard.halve"), 4);
        QCOMPARE(t.steps.at(2).actor, QStringLiteral("guard@srv"));
        QCOMPARE(t.steps.at(2).reason, QStringLiteral("MAE above 2.5"));
        check(3, 30, 40, QStringLiteral("eta-mlp@1"), 0, false, QStringLiteral("guard.rollback"), 6);
        check(4, 40, 45, QStringLiteral("eta-mlp@2"), 0, false, QStringLiteral("model.promote"), 7);
        check(5, 45, 50, QStringLiteral("eta-mlp@2"), 10, true, QStringLiteral("flags.apply"), 8);
        check(6, 50, 60, QStringLiteral("eta-mlp@1"), 10, true, QStringLiteral("model.restore_previous"), 9);
    }

    void timelineSeedsFromTheFirstChangeWhenNothingCameBefore()
    {
        const QList<AuditEntry> inRange{row(1, 5, QStringLiteral("flags.apply"), flags(1, 5), flags(1, 20))};
        const ServedTimeline t = ServedTimeline::build(QStringLiteral("eta"), kT0, kT0.addSecs(600), {}, inRange);
        QCOMPARE(t.steps.size(), 2);
        QCOMPARE(t.steps.at(0).mlPercent, std::optional<int>(5)); // from the change's own "before"
        QCOMPARE(t.steps.at(0).champion, QString());              // never said: unknown
        QCOMPARE(t.steps.at(1).mlPercent, std::optional<int>(20));
        QCOMPARE(t.steps.at(1).to, kT0.addSecs(600));

        QVERIFY(ServedTimeline::build(QStringLiteral("eta"), kT0, kT0.addSecs(600), {}, {}).steps.isEmpty());
        // A row that says nothing about flags or the champion begins no step.
        const QList<AuditEntry> other{
            row(1, 5, QStringLiteral("alert.acknowledge"), std::nullopt, QJsonObject{{QStringLiteral("alert_id"), 4}})};
        const ServedTimeline none = ServedTimeline::build(QStringLiteral("eta"), kT0, kT0.addSecs(600), {}, other);
        QCOMPARE(none.steps.size(), 1);
        QCOMPARE(none.steps.at(0).mlPercent, std::nullopt);
        QCOMPARE(none.steps.at(0).mlEnabled, std::nullopt); // unknown stays unknown, not "off"
        // A change exactly at the start replaces the carried-in state.
        const QList<AuditEntry> atStart{row(2, 0, QStringLiteral("flags.rollback"), flags(1, 50), flags(0, 50))};
        const ServedTimeline s =
            ServedTimeline::build(QStringLiteral("eta"), kT0, kT0.addSecs(600),
                                  {row(1, -5, QStringLiteral("flags.apply"), flags(0, 0), flags(1, 50))}, atStart);
        QCOMPARE(s.steps.size(), 1);
        QCOMPARE(s.steps.at(0).action, QStringLiteral("flags.rollback"));
        QCOMPARE(s.steps.at(0).mlPercent, std::optional<int>(0));
    }

    void timelinePlacesSpooledRowsWhenTheyOccurred()
    {
        // A rollback made while PostgreSQL was down took effect at minute 20 and arrived at minute 40,
        // after a later change had been written; another one occurred before the range and arrived in it.
        AuditEntry spooled = row(3, 40, QStringLiteral("guard.rollback"), flags(1, 50), flags(0, 50),
                                 QStringLiteral("guard@srv"), QStringLiteral("spooled"));
        spooled.spooled = true;
        spooled.occurredAt = kT0.addSecs(60 * 20);
        AuditEntry early = row(4, 45, QStringLiteral("flags.rollback"), flags(1, 5), flags(0, 5));
        early.spooled = true;
        early.occurredAt = kT0.addSecs(-60);
        AuditEntry clock = row(5, 47, QStringLiteral("flags.apply"), flags(0, 50), flags(1, 30));
        clock.occurredAt = kT0.addSecs(60 * 5); // not spooled: its client clock is not trusted
        const QList<AuditEntry> inRange{
            row(1, 10, QStringLiteral("flags.apply"), flags(1, 5), flags(1, 50)),
            row(2, 30, QStringLiteral("model.promote"), model(QStringLiteral("1")), model(QStringLiteral("2"))),
            spooled, early, clock};
        const ServedTimeline t = ServedTimeline::build(QStringLiteral("eta"), kT0, kT0.addSecs(3600), {}, inRange);
        QList<qint64> ids;
        QList<int> minutes, percents;
        for (const ServedStep &s : t.steps) {
            ids << s.auditId;
            minutes << int(kT0.secsTo(s.from) / 60);
            percents << s.mlPercent.value_or(-1);
        }
        QCOMPARE(ids, (QList<qint64>{0, 1, 3, 2, 5}));
        QCOMPARE(minutes, (QList<int>{0, 10, 20, 30, 47}));
        QCOMPARE(percents, (QList<int>{0, 50, 0, 0, 30})); // carried in: the early rollback's ML off
        QCOMPARE(t.steps.at(0).action, QStringLiteral("flags.rollback"));
        QCOMPARE(t.steps.at(3).champion, QStringLiteral("eta-mlp@2"));
    }

    void diffLines()
    {
        const QJsonObject before{
            {QStringLiteral("ml_traffic_percentage"), 25},
            {QStringLiteral("note"), QStringLiteral("old")},
            {QStringLiteral("gates"), QJsonObject{{QStringLiteral("mae"), 2.5}, {QStringLiteral("r2"), 0.7}}}};
        const QJsonObject after{
            {QStringLiteral("ml_traffic_percentage"), 50},
            {QStringLiteral("gates"), QJsonObject{{QStringLiteral("mae"), 2.25}, {QStringLiteral("r2"), 0.7}}},
            {QStringLiteral("steps"), QJsonArray{5, 25}},
            {QStringLiteral("ok"), true}};
        const QList<AuditDiffLine> lines = AuditDiff::lines(before, after);
        QStringList text;
        for (const auto &l : lines)
            text << l.text();
        QCOMPARE(text, (QStringList{QStringLiteral("gates.mae: 2.5 -> 2.25"),
                                    QStringLiteral("ml_traffic_percentage: 25 -> 50"),
                                    QStringLiteral("note: removed (was old)"), QStringLiteral("ok: added true"),
                                    QStringLiteral("steps: added [5,25]")}));
        QCOMPARE(lines.at(0).kind, AuditDiffLine::Kind::Changed);
        QCOMPARE(lines.at(2).kind, AuditDiffLine::Kind::Removed);
        QCOMPARE(lines.at(3).kind, AuditDiffLine::Kind::Added);

        AuditEntry created = row(1, 0, QStringLiteral("deployment.create"), std::nullopt,
                                 QJsonObject{{QStringLiteral("task"), QStringLiteral("regression")}});
        QCOMPARE(AuditDiff::text(created), QStringList{QStringLiteral("task: added regression")});
        QCOMPARE(AuditDiff::lines(QJsonObject{{QStringLiteral("updated_at"), QStringLiteral("2026-03-01T12:00:00Z")}},
                                  QJsonObject{{QStringLiteral("updated_at"), QString()}})
                     .first()
                     .text(),
                 QStringLiteral("updated_at: 2026-03-01T12:00:00Z -> (empty)"));
        AuditEntry nothing = row(2, 0, QStringLiteral("guard.rearm"), std::nullopt, std::nullopt);
        QCOMPARE(AuditDiff::text(nothing), QStringList{QStringLiteral("no change recorded")});
    }

    void diffValuesOutsideTheIntegersStayNumbers()
    {
        QCOMPARE(AuditDiff::valueText(QJsonValue(42.0)), QStringLiteral("42"));
        QCOMPARE(AuditDiff::valueText(QJsonValue(-3.0)), QStringLiteral("-3"));
        QCOMPARE(AuditDiff::valueText(QJsonValue(2.5)), QStringLiteral("2.5"));
        // Too large for qint64 or not finite: printed as a double, never cast.
        QCOMPARE(AuditDiff::valueText(QJsonValue(1e300)), QStringLiteral("1e+300"));
        QCOMPARE(AuditDiff::valueText(QJsonValue(-1e19)), QStringLiteral("-1e+19"));
        QCOMPARE(AuditDiff::valueText(QJsonValue(std::numeric_limits<double>::infinity())), QStringLiteral("inf"));
        QCOMPARE(AuditDiff::valueText(QJsonValue(std::numeric_limits<double>::quiet_NaN())), QStringLiteral("nan"));
    }

    void csvQuotingReadsBack()
    {
        AuditEntry e = row(7, 0, QStringLiteral("flags.apply"), flags(1, 25), flags(1, 50), QStringLiteral("o'neil"),
                           QStringLiteral("ramp, \"carefully\"\nsecond line"));
        e.changeId = QUuid::createUuid();
        e.chainSeq = 3;
        AuditExport csv(AuditExportFormat::Csv);
        const QByteArray bytes = csv.header() + csv.row(e) + csv.footer();
        QVERIFY(bytes.startsWith("id,at,occurred_at,actor,"));
        QVERIFY(bytes.contains("\"ramp, \"\"carefully\"\"\nsecond line\""));

        QStringList header, fields;
        const Status parsed = CsvReader::parse(bytes, QStringLiteral("export"),
                                               {[&](const QStringList &h) {
                                                    header = h;
                                                    return Status();
                                                },
                                                [&](const CsvRecord &r) {
                                                    for (const QByteArrayView &v : r.fields)
                                                        fields << QString::fromUtf8(v);
                                                    return Status();
                                                }});
        QVERIFY2(parsed, qPrintable(parsed.errorMessage()));
        QCOMPARE(header, AuditExport::columns());
        QCOMPARE(fields.size(), AuditExport::columns().size());
        QCOMPARE(fields.at(0), QStringLiteral("7"));
        QCOMPARE(fields.at(3), QStringLiteral("o'neil"));
        QCOMPARE(fields.at(9), e.reason);
        QCOMPARE(QJsonDocument::fromJson(fields.at(11).toUtf8()).object(), *e.after);
        QCOMPARE(fields.at(14), QStringLiteral("3"));
    }

    void jsonExportParsesBack()
    {
        AuditExport json(AuditExportFormat::Json);
        QByteArray bytes = json.header();
        QCOMPARE(QJsonDocument::fromJson(bytes + json.footer()).array().size(), 0);
        bytes += json.row(row(2, 1, QStringLiteral("flags.rollback"), flags(1, 50), flags(0, 50)));
        bytes += json.row(row(1, 0, QStringLiteral("deployment.create"), std::nullopt, QJsonObject{}));
        bytes += json.footer();
        QJsonParseError error;
        const QJsonArray rows = QJsonDocument::fromJson(bytes, &error).array();
        QCOMPARE(error.error, QJsonParseError::NoError);
        QCOMPARE(rows.size(), 2);
        QCOMPARE(rows.at(0)[QStringLiteral("id")].toInt(), 2);
        QCOMPARE(rows.at(0)[QStringLiteral("before")].toObject(), flags(1, 50));
        QVERIFY(rows.at(1)[QStringLiteral("before")].isNull());
        QCOMPARE(rows.at(1)[QStringLiteral("actor")].toString(), QStringLiteral("alice"));
        QCOMPARE(AuditExport::parseFormat(QStringLiteral("JSON")), std::optional(AuditExportFormat::Json));
        QCOMPARE(AuditExport::parseFormat(QStringLiteral("xml")), std::nullopt);
    }

    void exportFileIsAllOrNothing()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("audit.json"));
        const QList<AuditEntry> batch{row(2, 1, QStringLiteral("flags.apply"), flags(0, 0), flags(1, 5)),
                                      row(1, 0, QStringLiteral("flags.apply"), std::nullopt, flags(0, 0))};
        const auto twice = [&](const AuditBatchSink &sink) {
            sink(batch) && sink(batch);
            return Status();
        };
        auto written = writeAuditExport(twice, AuditExportFormat::Json, path);
        QVERIFY2(written, qPrintable(written.errorMessage()));
        QCOMPARE(*written, 4);
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(QJsonDocument::fromJson(f.readAll()).array().size(), 4);
        f.close();

        // Cancelled after the first batch: no file.
        const QString cancelled = dir.filePath(QStringLiteral("cancelled.csv"));
        auto c = writeAuditExport(twice, AuditExportFormat::Csv, cancelled, [](qint64 rows) { return rows < 2; });
        QVERIFY(!c);
        QVERIFY(c.error().isCancelled());
        QVERIFY(!QFile::exists(cancelled));
        // The source fails half-way: no file, the source's message.
        const QString failed = dir.filePath(QStringLiteral("failed.csv"));
        auto e = writeAuditExport(
            [&](const AuditBatchSink &sink) {
                sink(batch);
                return Status(Error{QStringLiteral("server went away")});
            },
            AuditExportFormat::Csv, failed);
        QVERIFY(!e);
        QVERIFY(e.errorMessage().contains(QStringLiteral("server went away")));
        QVERIFY(!QFile::exists(failed));
    }
};

QTEST_GUILESS_MAIN(TestAuditReadUnit)
#include "test_audit_read_unit.moc"

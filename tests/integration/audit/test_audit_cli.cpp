// `mldeckctl audit` as scripts call it, over changes made through the services: list with filters
// (text and --json), export to CSV and JSON files read back, timeline equal to the changes made,
// verify dispatched, and bad arguments refused with exit 2 and one line.
#include "AuditScenario.h"

#include "core/io/CsvReader.h"
#include "core/store/pg/AuditQuery.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>

using namespace mldeck;

namespace {

struct Run
{
    int code = -1;
    QByteArray out;
    QString err;
};

Run audit(const test::AuditScenario &s, const QStringList &args)
{
    QProcess p;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("MLDECK_PG_URL"), s.f.db->endpoint().toUrl(true));
    p.setProcessEnvironment(env);
    p.start(qEnvironmentVariable("MLDECK_BINARY_DIR") + QStringLiteral("/app/mldeckctl/mldeckctl"),
            QStringList{QStringLiteral("audit")} + args);
    if (!p.waitForFinished(60000))
        return {};
    return Run{p.exitCode(), p.readAllStandardOutput(), QString::fromUtf8(p.readAllStandardError())};
}

QJsonObject jsonOf(const Run &r)
{
    QJsonParseError e;
    const QJsonDocument d = QJsonDocument::fromJson(r.out, &e);
    if (e.error != QJsonParseError::NoError)
        qWarning("not JSON (%s): %s", qPrintable(e.errorString()), r.out.constData());
    return d.object();
}

} // namespace

class TestAuditCli final : public QObject
{
    Q_OBJECT

    test::AuditScenario m_s;

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        QString why;
        QVERIFY2(m_s.setUp(&why), qPrintable(why));
    }

    void listFiltersAndJson()
    {
        Run r = audit(m_s, {QStringLiteral("list"), QStringLiteral("--deployment"), m_s.f.deployment,
                            QStringLiteral("--kind"), QStringLiteral("flags"), QStringLiteral("--json")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QJsonObject o = jsonOf(r);
        QCOMPARE(o[QStringLiteral("matching")].toInt(), 3);
        const QJsonArray rows = o[QStringLiteral("rows")].toArray();
        QCOMPARE(rows.size(), 3);
        QCOMPARE(rows.at(0)[QStringLiteral("action")].toString(), QStringLiteral("flags.rollback"));
        QCOMPARE(rows.at(2)[QStringLiteral("reason")].toString(), QStringLiteral("ramp to 25"));
        QVERIFY(rows.at(2)[QStringLiteral("changes")].toArray().contains(
            QJsonValue(QStringLiteral("ml_traffic_percentage: 10 -> 25"))));

        // Two kinds, an actor, a search: the same rows as the query gives.
        r = audit(m_s,
                  {QStringLiteral("list"), QStringLiteral("--kind"), QStringLiteral("model.promote"),
                   QStringLiteral("--kind"), QStringLiteral("alert"), QStringLiteral("--actor"), QStringLiteral("bob"),
                   QStringLiteral("--search"), QStringLiteral("NOISY"), QStringLiteral("--json")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(jsonOf(r)[QStringLiteral("matching")].toInt(), 3);

        // Text: one line per row and its readable changes, then the count.
        r = audit(m_s, {QStringLiteral("list"), QStringLiteral("--deployment"), m_s.f.deployment,
                        QStringLiteral("--limit"), QStringLiteral("3")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QString text = QString::fromUtf8(r.out);
        QVERIFY2(text.contains(QStringLiteral("model.restore_previous")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("version: 2 -> 1")), qPrintable(text));
        QVERIFY2(text.contains(QStringLiteral("3 of 8 matching rows shown.")), qPrintable(text));

        r = audit(m_s, {QStringLiteral("list"), QStringLiteral("--search"), QStringLiteral("nothing like this")});
        QCOMPARE(r.code, 0);
        QCOMPARE(r.out.trimmed(), QByteArray("No changes match."));
    }

    void exportFilesReadBack()
    {
        QTemporaryDir dir;
        const QString csv = dir.filePath(QStringLiteral("audit.csv"));
        Run r = audit(m_s, {QStringLiteral("export"), QStringLiteral("--format"), QStringLiteral("csv"),
                            QStringLiteral("--output"), csv, QStringLiteral("--deployment"), m_s.f.deployment});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("Wrote 8 audit row"), r.out.constData());
        QStringList header;
        QList<QStringList> records;
        const Status read = CsvReader::read(csv, {[&](const QStringList &h) {
                                                      header = h;
                                                      return Status();
                                                  },
                                                  [&](const CsvRecord &rec) {
                                                      QStringList fields;
                                                      for (const QByteArrayView &v : rec.fields)
                                                          fields << QString::fromUtf8(v);
                                                      records << fields;
                                                      return Status();
                                                  }});
        QVERIFY2(read, qPrintable(read.errorMessage()));
        QCOMPARE(header.value(7), QStringLiteral("action"));
        QCOMPARE(records.size(), 8);
        QCOMPARE(records.first().value(7), QStringLiteral("model.restore_previous"));
        QCOMPARE(records.last().value(9), QStringLiteral("ramp to 25"));

        // JSON of the other deployment: quotes and commas in reasons survive.
        const QString json = dir.filePath(QStringLiteral("audit.json"));
        r = audit(m_s, {QStringLiteral("export"), QStringLiteral("--format"), QStringLiteral("json"),
                        QStringLiteral("--output"), json, QStringLiteral("--deployment"), m_s.other});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QFile f(json);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonArray rows = QJsonDocument::fromJson(f.readAll()).array();
        QCOMPARE(rows.size(), 3);
        QCOMPARE(rows.at(0)[QStringLiteral("reason")].toString(), QStringLiteral("ack, \"noisy\" #2"));
        QCOMPARE(rows.at(0)[QStringLiteral("after")][QStringLiteral("alert_id")].toInt(), 2);

        // Standard output streams the same document.
        r = audit(m_s, {QStringLiteral("export"), QStringLiteral("--format"), QStringLiteral("json"),
                        QStringLiteral("--deployment"), m_s.other});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(QJsonDocument::fromJson(r.out).array(), rows);

        // Standard output that cannot be written (a full disk): exit 2 and say so, not a silent success.
        QProcess full;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("MLDECK_PG_URL"), m_s.f.db->endpoint().toUrl(true));
        full.setProcessEnvironment(env);
        full.setStandardOutputFile(QStringLiteral("/dev/full"));
        full.start(
            qEnvironmentVariable("MLDECK_BINARY_DIR") + QStringLiteral("/app/mldeckctl/mldeckctl"),
            {QStringLiteral("audit"), QStringLiteral("export"), QStringLiteral("--format"), QStringLiteral("csv")});
        QVERIFY(full.waitForFinished(60000));
        const QString err = QString::fromUtf8(full.readAllStandardError());
        QCOMPARE(full.exitCode(), 2);
        QVERIFY2(err.contains(QLatin1String("standard output")), qPrintable(err));

        // A bad format writes nothing.
        const QString none = dir.filePath(QStringLiteral("none.xml"));
        r = audit(m_s, {QStringLiteral("export"), QStringLiteral("--format"), QStringLiteral("xml"),
                        QStringLiteral("--output"), none});
        QCOMPARE(r.code, 2);
        QVERIFY(!QFile::exists(none));
    }

    void timelineEqualsTheChanges()
    {
        const QDateTime end = QDateTime::currentDateTimeUtc().addSecs(1);
        Run r = audit(m_s, {QStringLiteral("timeline"), QStringLiteral("--deployment"), m_s.f.deployment,
                            QStringLiteral("--from"), m_s.start.toString(Qt::ISODateWithMs), QStringLiteral("--to"),
                            end.toString(Qt::ISODateWithMs), QStringLiteral("--json")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QJsonArray steps = jsonOf(r)[QStringLiteral("steps")].toArray();
        QCOMPARE(steps.size(), 7);
        QList<qint64> ids;
        QStringList served;
        for (qsizetype i = 1; i < steps.size(); ++i) {
            ids << steps.at(i)[QStringLiteral("audit_id")].toInteger();
            served << QStringLiteral("%1 %2").arg(steps.at(i)[QStringLiteral("champion")].toString(),
                                                  steps.at(i)[QStringLiteral("ml_percent")].toVariant().toString());
        }
        QCOMPARE(ids, m_s.servingIds);
        QCOMPARE(served, (QStringList{QStringLiteral(" 25"), QStringLiteral(" 50"), QStringLiteral(" 0"),
                                      QStringLiteral("eta-mlp@1 0"), QStringLiteral("eta-mlp@2 0"),
                                      QStringLiteral("eta-mlp@1 0")}));
        // The same as the query gives.
        const auto t = AuditQuery(*m_s.f.pg).timeline(m_s.f.deployment, m_s.start, end);
        QVERIFY(t);
        QCOMPARE(steps.size(), t->steps.size());

        r = audit(m_s, {QStringLiteral("timeline"), QStringLiteral("--deployment"), m_s.f.deployment,
                        QStringLiteral("--from"), m_s.start.toString(Qt::ISODate)});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY2(r.out.contains("eta-mlp@2") && r.out.contains("latency spike"), r.out.constData());
    }

    void verifyIsDispatched()
    {
        const Run r = audit(m_s, {QStringLiteral("verify"), QStringLiteral("--deployment"), m_s.f.deployment,
                                  QStringLiteral("--json")});
        QVERIFY2(r.code == 0, qPrintable(r.err + QString::fromUtf8(r.out)));
        QVERIFY(!jsonOf(r).isEmpty());
    }

    void badArgumentsAreRefused_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("says");
        QTest::newRow("kind") << QStringList{QStringLiteral("list"), QStringLiteral("--kind"), QStringLiteral("Flags")}
                              << QStringLiteral("Flags");
        QTest::newRow("range") << QStringList{QStringLiteral("list"), QStringLiteral("--from"),
                                              QStringLiteral("2026-01-02T00:00:00Z"), QStringLiteral("--to"),
                                              QStringLiteral("2026-01-01T00:00:00Z")}
                               << QStringLiteral("ends");
        QTest::newRow("time") << QStringList{QStringLiteral("list"), QStringLiteral("--from"), QStringLiteral("soon")}
                              << QStringLiteral("ISO 8601");
        QTest::newRow("limit") << QStringList{QStringLiteral("list"), QStringLiteral("--limit"), QStringLiteral("0")}
                               << QStringLiteral("--limit");
        QTest::newRow("deployment") << QStringList{QStringLiteral("list"), QStringLiteral("--deployment"),
                                                   QStringLiteral("Bad Name")}
                                    << QStringLiteral("Bad Name");
        QTest::newRow("timeline without from")
            << QStringList{QStringLiteral("timeline"), QStringLiteral("--deployment"), QStringLiteral("eta")}
            << QStringLiteral("--from");
        QTest::newRow("sub-verb") << QStringList{QStringLiteral("rewrite")} << QStringLiteral("Usage");
    }

    void badArgumentsAreRefused()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, says);
        const Run r = audit(m_s, args);
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(says), qPrintable(r.err));
        QVERIFY(r.out.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestAuditCli)
#include "test_audit_cli.moc"

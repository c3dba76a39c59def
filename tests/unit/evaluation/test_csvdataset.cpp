#include "core/ml/Dataset.h"
#include "tests/support/TestChecks.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace mldeck;

class TestCsvDataset final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    QString write(const QString &name, const QByteArray &content)
    {
        const QString path = m_dir.filePath(name);
        QFile f(path);
        if (!f.open(QIODevice::WriteOnly) || f.write(content) != content.size())
            MLDECK_FAIL_IN_HELPER(QStringLiteral("cannot write ") + path);
        return path;
    }

    static DatasetColumns columns()
    {
        DatasetColumns c;
        c.target = QStringLiteral("y");
        c.numeric = QStringList{QStringLiteral("a"), QStringLiteral("b")};
        c.categorical = QStringList{QStringLiteral("zone")};
        return c;
    }

private Q_SLOTS:
    void readsColumnsAndTimestamps()
    {
        const QString path = write(QStringLiteral("ok.csv"), "a,b,zone,y,ts\r\n"
                                                             "1,2.5,north,3,2024-05-01T08:15:00.000000Z\r\n"
                                                             "-1e2, 4 ,\"south, far\",-0.5,2024-05-01T23:59:59Z\r\n"
                                                             "\n"
                                                             "0,0,north,0,2024-05-02T01:00:00+02:00\r\n");
        auto ds = readCsvDataset(path, columns());
        QVERIFY2(ds.ok(), qPrintable(ds.errorMessage()));
        QCOMPARE(ds->rowCount(), 3);
        QCOMPARE(ds->target, (std::vector<double>{3, -0.5, 0}));
        QCOMPARE(ds->numeric[QStringLiteral("a")], (std::vector<float>{1, -100, 0}));
        QCOMPARE(ds->numeric[QStringLiteral("b")], (std::vector<float>{2.5f, 4, 0}));
        const CategoricalColumn &zone = ds->categorical[QStringLiteral("zone")];
        QCOMPARE(zone.levels, (QStringList{QStringLiteral("north"), QStringLiteral("south, far")}));
        QCOMPARE(zone.codes, (std::vector<int>{0, 1, 0}));
        const CategoricalColumn hours = ds->hourOfDay();
        QCOMPARE(hours.codes, (std::vector<int>{8, 23, 23})); // 01:00+02:00 is 23:00 UTC
        const auto rows = ds->featureRows({QStringLiteral("b"), QStringLiteral("a")}, {QStringLiteral("zone")}, 1, 3);
        QCOMPARE(rows.size(), size_t(2));
        QCOMPARE(rows[0].numeric, (std::vector<float>{4, -100}));
        QCOMPARE(rows[0].categorical, QStringList{QStringLiteral("south, far")});
    }

    void badLineNamesLineAndColumn_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("expected");
        QTest::newRow("fields") << QByteArray("a,b,zone,y\n1,2,n,3\n1,2,n\n")
                                << QStringLiteral("line 3: 3 fields where the header has 4");
        QTest::newRow("not a number") << QByteArray("a,b,zone,y\n1,2,n,3\n1,2,n,3\n1,x7,n,3\n")
                                      << QStringLiteral("line 4, column 2 (b): \"x7\" is not a finite number");
        QTest::newRow("nan feature") << QByteArray("a,b,zone,y\nnan,2,n,3\n") << QStringLiteral("line 2, column 1 (a)");
        QTest::newRow("nan target") << QByteArray("a,b,zone,y\n1,2,n,3\n1,2,n,NaN\n")
                                    << QStringLiteral("line 3, column 4 (y): the target");
        QTest::newRow("empty target") << QByteArray("a,b,zone,y\n1,2,n,\n")
                                      << QStringLiteral("line 2, column 4 (y): the target");
        QTest::newRow("quote") << QByteArray("a,b,zone,y\n1,2,\"n,3\n") << QStringLiteral("line 2: unterminated quote");
        QTest::newRow("bad time") << QByteArray("a,b,zone,y,ts\n1,2,n,3,yesterday\n")
                                  << QStringLiteral("line 2, column 5 (ts)");
    }

    void badLineNamesLineAndColumn()
    {
        QFETCH(QByteArray, content);
        QFETCH(QString, expected);
        auto ds = readCsvDataset(write(QStringLiteral("bad.csv"), content), columns());
        QVERIFY(!ds.ok());
        QVERIFY2(ds.errorMessage().contains(expected), qPrintable(ds.errorMessage()));
    }

    void missingColumn()
    {
        auto ds = readCsvDataset(write(QStringLiteral("missing.csv"), "a,zone,y\n1,n,2\n"), columns());
        QVERIFY(!ds.ok());
        QVERIFY2(ds.errorMessage().contains(QStringLiteral("no column \"b\"")), qPrintable(ds.errorMessage()));
        DatasetColumns noTarget = columns();
        noTarget.target = QStringLiteral("delay_min");
        auto t = readCsvDataset(write(QStringLiteral("missing2.csv"), "a,b,zone,y\n1,2,n,2\n"), noTarget);
        QVERIFY(t.errorMessage().contains(QStringLiteral("delay_min")));
    }

    void zeroRowsAndEmptyFile()
    {
        auto ds = readCsvDataset(write(QStringLiteral("zero.csv"), "a,b,zone,y\n\n"), columns());
        QVERIFY(!ds.ok());
        QVERIFY2(ds.errorMessage().contains(QStringLiteral("no data rows")), qPrintable(ds.errorMessage()));
        auto empty = readCsvDataset(write(QStringLiteral("empty.csv"), ""), columns());
        QVERIFY(empty.errorMessage().contains(QStringLiteral("empty")));
        auto none = readCsvDataset(m_dir.filePath(QStringLiteral("nope.csv")), columns());
        QVERIFY(none.errorMessage().contains(QStringLiteral("Cannot read")));
        auto dup = readCsvHeader(write(QStringLiteral("dup.csv"), "a,a,y\n"));
        QVERIFY(dup.errorMessage().contains(QStringLiteral("twice")));
    }

    void isoTimes()
    {
        QCOMPARE(*parseIsoMicros("1970-01-01T00:00:00Z"), 0);
        QCOMPARE(*parseIsoMicros("2024-05-01T00:00:00.5Z"), 1714521600LL * 1000000 + 500000);
        QCOMPARE(*parseIsoMicros("2024-05-01 02:00:00+02"), 1714521600LL * 1000000); // PostgreSQL's text form
        QVERIFY(!parseIsoMicros("2024-13-01T00:00:00Z"));
        QVERIFY(!parseIsoMicros("2024-05-01T00:00:00Zjunk"));
    }
};

QTEST_GUILESS_MAIN(TestCsvDataset)
#include "test_csvdataset.moc"

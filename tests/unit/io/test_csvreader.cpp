#include "core/io/CsvReader.h"
#include "core/ml/Dataset.h"
#include "core/stats/drift/DriftReport.h"

#include <QTest>

using namespace mldeck;

namespace {

QString fixture(const char *name)
{
    return QStringLiteral(MLDECK_SOURCE_DIR "/tests/unit/io/csv/") + QLatin1String(name);
}

// Every record of a file as text, the header first, with the line each starts on.
struct Read
{
    Status status;
    QStringList header;
    QList<QStringList> rows;
    QList<qint64> lines;
};

Read readAll(const QString &path)
{
    Read r;
    CsvHandlers handlers;
    handlers.header = [&](const QStringList &header) -> Status {
        r.header = header;
        return {};
    };
    handlers.record = [&](const CsvRecord &record) -> Status {
        QStringList row;
        for (QByteArrayView f : record.fields)
            row << QString::fromUtf8(f);
        r.rows << row;
        r.lines << record.line;
        return {};
    };
    r.status = CsvReader::read(path, handlers);
    return r;
}

DatasetColumns evalColumns()
{
    DatasetColumns c;
    c.numeric = QStringList{QStringLiteral("distance_km")};
    c.categorical = QStringList{QStringLiteral("zone")};
    return c;
}

} // namespace

class TestCsvReader final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    // pandas' to_csv(): an unnamed index column, quotes only where a field holds a comma, a quote
    // (doubled) or a line break; missing values as empty fields.
    void pandasExport()
    {
        const Read r = readAll(fixture("pandas_quoted.csv"));
        QVERIFY2(r.status.ok(), qPrintable(r.status.errorMessage()));
        QCOMPARE(r.header, (QStringList{QString(), QStringLiteral("zone"), QStringLiteral("note"),
                                        QStringLiteral("distance_km"), QStringLiteral("delay_min")}));
        QCOMPARE(r.rows.size(), 3);
        QCOMPARE(r.rows[0],
                 (QStringList{QStringLiteral("0"), QStringLiteral("north, ring"), QStringLiteral("said \"late\""),
                              QStringLiteral("3.5"), QStringLiteral("4.0")}));
        QCOMPARE(r.rows[1][2], QStringLiteral("two\nlines"));
        QCOMPARE(r.rows[2][2], QString());
        QCOMPARE(r.lines, (QList<qint64>{2, 3, 5})); // the record of line 3 spans two lines
    }

    // A spreadsheet's "CSV UTF-8": a byte order mark, CRLF line ends (also inside a quoted field),
    // a blank line, spaces around an unquoted number.
    void spreadsheetExport()
    {
        const Read r = readAll(fixture("spreadsheet_bom_crlf.csv"));
        QVERIFY2(r.status.ok(), qPrintable(r.status.errorMessage()));
        QCOMPARE(r.header.first(), QStringLiteral("zone")); // not "\uFEFFzone"
        QCOMPARE(r.rows.size(), 2);
        QCOMPARE(r.rows[0], (QStringList{QStringLiteral("north, ring"), QStringLiteral("first\r\nsecond"),
                                         QStringLiteral("3.5"), QStringLiteral("4")}));
        QCOMPARE(r.rows[1], (QStringList{QStringLiteral("south"), QStringLiteral("plain"), QStringLiteral("2"),
                                         QStringLiteral("1")}));
        QCOMPARE(r.lines, (QList<qint64>{2, 5}));
    }

    // PostgreSQL's COPY ... CSV HEADER: doubled quotes, several embedded line breaks, an empty quoted
    // field, and no line break after the last record.
    void databaseExport()
    {
        const Read r = readAll(fixture("database_no_final_newline.csv"));
        QVERIFY2(r.status.ok(), qPrintable(r.status.errorMessage()));
        QCOMPARE(r.rows.size(), 3);
        QCOMPARE(r.rows[0][1], QStringLiteral("a \"quoted\" word"));
        QCOMPARE(r.rows[1][1], QStringLiteral("multi\nline\nvalue"));
        QCOMPARE(r.rows[2], (QStringList{QStringLiteral("3"), QString(), QStringLiteral("6"), QStringLiteral("7")}));
        QCOMPARE(r.lines, (QList<qint64>{2, 3, 6}));
    }

    void headerSpanningLines()
    {
        const auto header = CsvReader::readHeader(fixture("header_multiline.csv"));
        QVERIFY2(header.ok(), qPrintable(header.errorMessage()));
        QCOMPARE(*header, (QStringList{QStringLiteral("zone\nname"), QStringLiteral("distance_km"),
                                       QStringLiteral("delay_min")}));
        const Read r = readAll(fixture("header_multiline.csv"));
        QCOMPARE(r.lines, (QList<qint64>{3}));
    }

    // A byte order mark inside a name (a file concatenated from two exports) is not part of it.
    void byteOrderMarkInNames()
    {
        QStringList header;
        CsvHandlers handlers;
        handlers.header = [&](const QStringList &h) -> Status {
            header = h;
            return {};
        };
        const Status s = CsvReader::parse("\xEF\xBB\xBF\"\xEF\xBB\xBFzone\", \f\xEF\xBB\xBF"
                                          "delay_min\n",
                                          QStringLiteral("b.csv"), handlers);
        QVERIFY2(s.ok(), qPrintable(s.errorMessage()));
        QCOMPARE(header, (QStringList{QStringLiteral("zone"), QStringLiteral("delay_min")}));
    }

    // Each error names the file and the line where the offending record starts.
    void errors_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("expected");
        QTest::addColumn<bool>("headerFails"); // readHeader() refuses it too
        QTest::newRow("unterminated quote") << "error_unterminated.csv"
                                            << "error_unterminated.csv, line 3: unterminated quote" << false;
        QTest::newRow("ragged record spanning lines")
            << "error_ragged.csv"
            << "error_ragged.csv, line 3: 2 fields where the header has 3" << false;
        QTest::newRow("quote inside a field")
            << "error_quote_in_field.csv"
            << "error_quote_in_field.csv, line 3: a quote inside an unquoted field" << false;
        QTest::newRow("text after a quote") << "error_text_after_quote.csv"
                                            << "error_text_after_quote.csv, line 3: a quote inside" << false;
        QTest::newRow("column twice") << "error_duplicate_column.csv"
                                      << "error_duplicate_column.csv, line 1: the column \"zone\" appears twice"
                                      << true;
        QTest::newRow("empty file") << "error_empty.csv"
                                    << "error_empty.csv is empty" << true;
        QTest::newRow("only blank lines") << "error_blank.csv"
                                          << "error_blank.csv is empty" << true;
        QTest::newRow("no file") << "missing.csv"
                                 << "Cannot read" << true;
    }

    void errors()
    {
        QFETCH(QString, file);
        QFETCH(QString, expected);
        QFETCH(bool, headerFails);
        const QString path = fixture(file.toUtf8().constData());
        const Status status = readAll(path).status;
        QVERIFY(!status.ok());
        QVERIFY2(status.errorMessage().contains(expected), qPrintable(status.errorMessage()));
        const auto header = CsvReader::readHeader(path);
        QCOMPARE(!header.ok(), headerFails);
        if (headerFails)
            QCOMPARE(header.errorMessage(), status.errorMessage());
    }

    // A handler's error stops the reading and comes back unchanged.
    void handlerErrorStops()
    {
        int records = 0;
        CsvHandlers handlers;
        handlers.record = [&](const CsvRecord &) -> Status {
            ++records;
            return Error{QStringLiteral("enough")};
        };
        const Status s = CsvReader::read(fixture("pandas_quoted.csv"), handlers);
        QCOMPARE(s.errorMessage(), QStringLiteral("enough"));
        QCOMPARE(records, 1);
    }

    void cancel()
    {
        QByteArray bytes("x\n");
        for (int i = 0; i < 70'000; ++i)
            bytes += "1\n";
        const std::atomic<bool> cancelled{true};
        const Status s = CsvReader::parse(bytes, QStringLiteral("rows"), {}, &cancelled);
        QCOMPARE(s.errorMessage(), QStringLiteral("cancelled"));
        QVERIFY(CsvReader::parse(bytes, QStringLiteral("rows"), {}, nullptr).ok());
    }

    // Evaluation and comparison read the same files through the same reader.
    void evaluationReadsQuotedFiles()
    {
        for (const char *name : {"pandas_quoted.csv", "spreadsheet_bom_crlf.csv", "database_no_final_newline.csv"}) {
            DatasetColumns c = evalColumns();
            if (QLatin1String(name).startsWith(QLatin1String("database")))
                c.categorical = QStringList{QStringLiteral("comment")};
            const auto ds = readCsvDataset(fixture(name), c);
            QVERIFY2(ds.ok(), qPrintable(ds.errorMessage()));
            QCOMPARE(ds->rowCount(), 3 - (QLatin1String(name).startsWith(QLatin1String("spreadsheet")) ? 1 : 0));
        }
        const auto pandas = readCsvDataset(fixture("pandas_quoted.csv"), evalColumns());
        QCOMPARE(pandas->categorical[QStringLiteral("zone")].levels,
                 (QStringList{QStringLiteral("north, ring"), QStringLiteral("south"), QStringLiteral("east")}));
        QCOMPARE(pandas->target, (std::vector<double>{4.0, -0.5, 0}));
        const auto bad = readCsvDataset(fixture("error_bad_number.csv"), evalColumns());
        QVERIFY2(bad.errorMessage().contains(
                     QStringLiteral("line 4, column 2 (distance_km): \"far\" is not a finite number")),
                 qPrintable(bad.errorMessage()));
        const auto ragged = readCsvDataset(fixture("error_ragged.csv"), evalColumns());
        QVERIFY2(ragged.errorMessage().contains(QStringLiteral("line 3: 2 fields")), qPrintable(ragged.errorMessage()));
    }

    // Drift compare: the unnamed index column is left out, quoted categories stay whole.
    void driftReadsQuotedFiles()
    {
        const auto data = drift::readCsvDataset(fixture("pandas_quoted.csv"), {QStringLiteral("note")});
        QVERIFY2(data.ok(), qPrintable(data.errorMessage()));
        QCOMPARE(data->columns.size(), std::size_t(3));
        QCOMPARE(data->columns[0].name, QStringLiteral("zone"));
        QCOMPARE(data->columns[0].kind, drift::FeatureKind::Categorical);
        QCOMPARE(data->columns[0].categorical.first(), QStringLiteral("north, ring"));
        QCOMPARE(data->columns[1].kind, drift::FeatureKind::Numeric);
        QCOMPARE(data->columns[1].numeric, (std::vector<double>{3.5, 1.25, 0}));
        const auto bad = drift::readCsvDataset(fixture("error_unterminated.csv"), {});
        QVERIFY2(bad.errorMessage().contains(QStringLiteral("line 3: unterminated quote")),
                 qPrintable(bad.errorMessage()));
    }
};

QTEST_GUILESS_MAIN(TestCsvReader)
#include "test_csvreader.moc"

// The wire between the console and the model worker: frames cut right whatever the read sizes,
// corrupt lengths refused, truncated payloads detected, datasets round-tripped column by column.
#include "core/ml/WorkerProtocol.h"

#include <QTest>

using namespace mldeck;
using namespace mldeck::worker;

class TestWorkerProtocol final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void framesSurviveAnyReadSize()
    {
        QByteArray stream;
        for (int i = 0; i < 50; ++i) {
            QByteArray payload;
            WireWriter w(payload);
            w.i32(i);
            w.string(QStringLiteral("é%1").arg(i));
            const std::vector<float> values(size_t(i * 7), float(i));
            w.floats(values.data(), values.size());
            stream += encodeFrame(MessageType::Predict, payload);
        }
        for (int chunk : {1, 3, 64, 100000}) {
            FrameBuffer buffer;
            int seen = 0;
            for (qsizetype at = 0; at < stream.size(); at += chunk) {
                const QByteArray piece = stream.mid(at, chunk);
                buffer.append(piece.constData(), size_t(piece.size()));
                for (;;) {
                    auto next = buffer.next();
                    QVERIFY(next.ok());
                    if (!next.value())
                        break;
                    QCOMPARE(next.value()->type, MessageType::Predict);
                    WireReader r(next.value()->payload);
                    QCOMPARE(r.i32(), seen);
                    QCOMPARE(r.string(), QStringLiteral("é%1").arg(seen));
                    QCOMPARE(r.floats().size(), size_t(seen * 7));
                    QVERIFY(!r.failed());
                    QVERIFY(r.atEnd());
                    ++seen;
                }
            }
            QCOMPARE(seen, 50);
        }
    }

    void corruptLengthIsRefused()
    {
        FrameBuffer buffer;
        const char zero[5] = {0, 0, 0, 0, 1};
        buffer.append(zero, 5);
        QVERIFY(!buffer.next().ok());
        FrameBuffer huge;
        const char big[5] = {char(0xff), char(0xff), char(0xff), char(0xff), 1};
        huge.append(big, 5);
        QVERIFY(!huge.next().ok());
    }

    void truncatedPayloadsFailSafely()
    {
        QByteArray payload;
        WireWriter w(payload);
        const std::vector<double> values{1, 2, 3};
        w.doubles(values.data(), values.size());
        w.string(QStringLiteral("end"));
        for (qsizetype cut = 0; cut < payload.size(); ++cut) {
            const QByteArray part = payload.left(cut);
            WireReader r(part);
            (void)r.doubles();
            (void)r.string();
            QVERIFY2(r.failed(), qPrintable(QString::number(cut)));
        }
        // A count that promises more than the payload holds is refused without allocating it.
        QByteArray lying;
        WireWriter(lying).i64(qint64(1) << 60);
        WireReader r(lying);
        QVERIFY(r.floats().empty());
        QVERIFY(r.failed());
    }

    void datasetsRoundTrip()
    {
        Dataset d;
        d.source = QStringLiteral("test");
        d.header = {QStringLiteral("a"), QStringLiteral("zone"), QStringLiteral("delay_min")};
        d.target = {1.5, -2, 3};
        d.numeric.insert(QStringLiteral("a"), {0.25f, 1e9f, -3});
        d.categorical.insert(QStringLiteral("zone"),
                             CategoricalColumn{{0, 1, 0}, {QStringLiteral("x"), QStringLiteral("ü")}});
        d.tsMicros = {1, 2, 3};
        d.notes = {QStringLiteral("note")};
        QByteArray payload;
        WireWriter w(payload);
        writeDataset(w, d);
        WireReader r(payload);
        const Dataset back = readDataset(r);
        QVERIFY(!r.failed());
        QVERIFY(r.atEnd());
        QCOMPARE(back.source, d.source);
        QCOMPARE(back.header, d.header);
        QCOMPARE(back.target, d.target);
        QCOMPARE(back.numeric, d.numeric);
        QCOMPARE(back.categorical.value(QStringLiteral("zone")).codes,
                 d.categorical.value(QStringLiteral("zone")).codes);
        QCOMPARE(back.categorical.value(QStringLiteral("zone")).levels,
                 d.categorical.value(QStringLiteral("zone")).levels);
        QCOMPARE(back.tsMicros, d.tsMicros);
        QCOMPARE(back.notes, d.notes);
    }
};

QTEST_GUILESS_MAIN(TestWorkerProtocol)
#include "test_worker_protocol.moc"

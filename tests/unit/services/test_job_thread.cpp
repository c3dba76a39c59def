#include "core/services/JobThread.h"

#include <QtTest>

#include <atomic>

using namespace mldeck;

class TestJobThread final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void runsJobsOffTheCallerThreadInOrderAndReturnsOnIt()
    {
        JobThread jobs(QStringLiteral("test"));
        QObject context;
        QList<int> results;
        QList<QThread *> jobThreads;
        QThread *callbackThread = nullptr;
        for (int i = 0; i < 5; ++i) {
            jobs.post(
                &context,
                [i, &jobThreads] {
                    jobThreads << QThread::currentThread();
                    return i * i;
                },
                [&](int r) {
                    results << r;
                    callbackThread = QThread::currentThread();
                });
        }
        QTRY_COMPARE(results.size(), 5);
        QCOMPARE(results, (QList<int>{0, 1, 4, 9, 16}));
        QCOMPARE(callbackThread, QThread::currentThread());
        for (QThread *t : jobThreads)
            QVERIFY(t != QThread::currentThread());
    }

    void noCallbackAfterTheContextIsGone()
    {
        JobThread jobs(QStringLiteral("test"));
        std::atomic_bool ran{false};
        bool called = false;
        auto *context = new QObject;
        jobs.post(
            context,
            [&ran] {
                QThread::msleep(100);
                ran = true;
                return 1;
            },
            [&called](int) { called = true; });
        delete context;
        QTRY_VERIFY(ran.load());
        // Jobs and their callbacks go in order: once a later job's callback has run, the first one's
        // would have run too.
        QObject alive;
        bool later = false;
        jobs.post(
            &alive, [] { return 2; }, [&later](int) { later = true; });
        QTRY_VERIFY(later);
        QVERIFY(!called);
    }

    void eventLoopKeepsTurningWhileAJobBlocks()
    {
        JobThread jobs(QStringLiteral("test"));
        QObject context;
        bool done = false;
        jobs.post(
            &context,
            [] {
                QThread::msleep(300);
                return 0;
            },
            [&done](int) { done = true; });
        QElapsedTimer clock;
        clock.start();
        qint64 maxGap = 0, last = 0;
        while (!done && clock.elapsed() < 5000) {
            QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
            maxGap = std::max(maxGap, clock.elapsed() - last);
            last = clock.elapsed();
        }
        QVERIFY(done);
        QVERIFY2(maxGap < 50, qPrintable(QString::number(maxGap)));
    }
};

QTEST_GUILESS_MAIN(TestJobThread)
#include "test_job_thread.moc"

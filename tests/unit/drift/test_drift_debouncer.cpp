#include "core/stats/drift/DriftDebouncer.h"

#include <QTest>

using namespace mldeck::drift;

// The anti-flap rule with a fake clock: K consecutive drifting windows fire, K clean ones resolve.
class TestDriftDebouncer final : public QObject
{
    Q_OBJECT

private:
    QDateTime m_now = QDateTime(QDate(2024, 5, 1), QTime(12, 0), Qt::UTC);
    DriftDebouncer make(int k)
    {
        return DriftDebouncer(k, [this] { return m_now; });
    }

private Q_SLOTS:
    void oscillatingMetricNeverFires()
    {
        const DriftDebouncer d = make(2);
        DebounceState s;
        for (int w = 0; w < 20; ++w) {
            m_now = m_now.addSecs(30);
            QCOMPARE(d.observe(s, w % 2 == 0, true), DebounceEvent::None);
        }
        QVERIFY(!s.firing);
    }

    void firesAfterKConsecutiveAndResolvesAfterKClean()
    {
        const DriftDebouncer d = make(3);
        DebounceState s;
        QCOMPARE(d.observe(s, true, true), DebounceEvent::None);
        QCOMPARE(d.observe(s, true, true), DebounceEvent::None);
        m_now = m_now.addSecs(90);
        QCOMPARE(d.observe(s, true, true), DebounceEvent::Fire);
        QVERIFY(s.firing);
        QCOMPARE(s.since, m_now);
        QCOMPARE(d.observe(s, true, true), DebounceEvent::None); // already firing: no second alert
        QCOMPARE(d.observe(s, false, true), DebounceEvent::None);
        QCOMPARE(d.observe(s, true, true), DebounceEvent::None); // a drifting window resets the clean count
        QCOMPARE(d.observe(s, false, true), DebounceEvent::None);
        QCOMPARE(d.observe(s, false, true), DebounceEvent::None);
        m_now = m_now.addSecs(60);
        QCOMPARE(d.observe(s, false, true), DebounceEvent::Resolve);
        QVERIFY(!s.firing);
        QCOMPARE(s.since, m_now);
    }

    void tooFewSamplesChangeNothing()
    {
        const DriftDebouncer d = make(2);
        DebounceState s;
        QCOMPARE(d.observe(s, true, true), DebounceEvent::None);
        QCOMPARE(d.observe(s, false, false), DebounceEvent::None); // skipped window
        QCOMPARE(s.consecutiveDrift, 1);
        QCOMPARE(d.observe(s, true, true), DebounceEvent::Fire);
    }

    void stateSurvivesACopy()
    {
        // What the guard persists and reloads after a restart is exactly this struct.
        const DriftDebouncer d = make(2);
        DebounceState s;
        QCOMPARE(d.observe(s, true, true), DebounceEvent::None);
        DebounceState reloaded = s;
        const DriftDebouncer afterRestart = make(2);
        QCOMPARE(afterRestart.observe(reloaded, true, true), DebounceEvent::Fire);
    }

    void kBelowOneMeansOne()
    {
        const DriftDebouncer d = make(0);
        QCOMPARE(d.k(), 1);
        DebounceState s;
        QCOMPARE(d.observe(s, true, true), DebounceEvent::Fire);
    }
};

QTEST_GUILESS_MAIN(TestDriftDebouncer)
#include "test_drift_debouncer.moc"

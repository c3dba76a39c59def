#pragma once

#include <QElapsedTimer>
#include <QTimer>

#include <algorithm>

namespace mldeck::test {

// A 10 ms timer on the calling thread's event loop: the largest gap between two beats is how long
// that thread was kept busy (the GUI tests require under 50 ms). Beats from construction.
class EventLoopHeartbeat final
{
public:
    EventLoopHeartbeat()
    {
        m_clock.start();
        m_timer.setInterval(10);
        QObject::connect(&m_timer, &QTimer::timeout, &m_timer, [this] {
            m_maxGap = std::max(m_maxGap, m_clock.elapsed() - m_last);
            m_last = m_clock.elapsed();
        });
        m_timer.start();
    }
    void stop() { m_timer.stop(); }
    qint64 maxGapMs() const { return m_maxGap; }

private:
    QElapsedTimer m_clock;
    QTimer m_timer;
    qint64 m_last = 0, m_maxGap = 0;
};

} // namespace mldeck::test

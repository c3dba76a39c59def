#pragma once

#include "core/config/Endpoints.h"
#include "core/domain/Prediction.h"
#include "core/domain/Result.h"

#include <QString>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

namespace mldeck {

class PgConnection;

// The reference backend's logging thread: it owns its own PostgreSQL connection and drains
// queues of predictions, outcomes and feedback in batches (COPY), reconnecting with backoff
// when PostgreSQL goes away. Rows wait in memory meanwhile, up to a bound.
class LogWriter final
{
public:
    struct Counters
    {
        qint64 predictionsWritten = 0;
        qint64 outcomesWritten = 0;
        qint64 feedbackWritten = 0;
        qint64 buffered = 0; // rows waiting
        qint64 dropped = 0;  // rows dropped because the buffer bound was hit while PostgreSQL was away
        QString lastError;   // empty while writes succeed
    };

    static constexpr qint64 kMaxBufferedRows = 2'000'000;

    explicit LogWriter(PgEndpoint endpoint);
    ~LogWriter();
    LogWriter(const LogWriter &) = delete;
    LogWriter &operator=(const LogWriter &) = delete;

    void start();
    void append(std::vector<PredictionRow> &&rows);
    void append(std::vector<OutcomeRow> &&rows);
    void append(std::vector<FeedbackRow> &&rows);
    // Writes everything still buffered, trying for up to timeoutMs, then stops the thread.
    // An error says how many rows could not be written.
    Status stopAndFlush(int timeoutMs);
    Counters counters() const;

private:
    void loop();
    bool writePending(PgConnection &conn); // false on a write error (rows kept)
    qint64 bufferedLocked() const;
    void trimLocked();

    PgEndpoint m_endpoint;
    std::thread m_thread;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<PredictionRow> m_predictions;
    std::deque<OutcomeRow> m_outcomes;
    std::deque<FeedbackRow> m_feedback;
    Counters m_counters;
    bool m_stopping = false;
    qint64 m_flushDeadlineMs = 0;
};

} // namespace mldeck

#include "core/simulator/LogWriter.h"

#include "core/Text.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/PredictionLog.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QLoggingCategory>

#include <algorithm>

Q_LOGGING_CATEGORY(lcLogWriter, "mldeck.simulator.writer")

namespace mldeck {

namespace {
constexpr std::size_t kBatchRows = 5000;
constexpr int kIdleWaitMs = 200;

template <typename Row> std::vector<Row> takeFront(std::deque<Row> &queue, std::size_t n)
{
    n = std::min(n, queue.size());
    std::vector<Row> out(std::make_move_iterator(queue.begin()), std::make_move_iterator(queue.begin() + n));
    queue.erase(queue.begin(), queue.begin() + n);
    return out;
}

template <typename Row> void putBack(std::deque<Row> &queue, std::vector<Row> &rows)
{
    queue.insert(queue.begin(), std::make_move_iterator(rows.begin()), std::make_move_iterator(rows.end()));
}

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}
} // namespace

LogWriter::LogWriter(PgEndpoint endpoint) : m_endpoint(std::move(endpoint)) {}

LogWriter::~LogWriter()
{
    if (m_thread.joinable())
        (void)stopAndFlush(0);
}

void LogWriter::start()
{
    m_thread = std::thread([this] { loop(); });
}

void LogWriter::append(std::vector<PredictionRow> &&rows)
{
    std::lock_guard lock(m_mutex);
    m_predictions.insert(m_predictions.end(), std::make_move_iterator(rows.begin()),
                         std::make_move_iterator(rows.end()));
    trimLocked();
}

void LogWriter::append(std::vector<OutcomeRow> &&rows)
{
    std::lock_guard lock(m_mutex);
    m_outcomes.insert(m_outcomes.end(), std::make_move_iterator(rows.begin()), std::make_move_iterator(rows.end()));
    trimLocked();
}

void LogWriter::append(std::vector<FeedbackRow> &&rows)
{
    std::lock_guard lock(m_mutex);
    m_feedback.insert(m_feedback.end(), std::make_move_iterator(rows.begin()), std::make_move_iterator(rows.end()));
    trimLocked();
}

qint64 LogWriter::bufferedLocked() const
{
    return static_cast<qint64>(m_predictions.size() + m_outcomes.size() + m_feedback.size());
}

// While PostgreSQL is away memory must stay bounded: the oldest predictions go first.
void LogWriter::trimLocked()
{
    const qint64 excess = bufferedLocked() - kMaxBufferedRows;
    if (excess > 0 && !m_predictions.empty()) {
        const auto n = std::min<qint64>(excess, static_cast<qint64>(m_predictions.size()));
        m_predictions.erase(m_predictions.begin(), m_predictions.begin() + n);
        m_counters.dropped += n;
    }
}

LogWriter::Counters LogWriter::counters() const
{
    std::lock_guard lock(m_mutex);
    Counters c = m_counters;
    c.buffered = bufferedLocked();
    return c;
}

Status LogWriter::stopAndFlush(int timeoutMs)
{
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
        m_flushDeadlineMs = nowMs() + timeoutMs;
    }
    m_wake.notify_all();
    if (m_thread.joinable())
        m_thread.join();
    const Counters c = counters();
    if (c.buffered > 0 || c.dropped > 0)
        return Error{SimulatorText::tr("%1 rows could not be written to PostgreSQL (%2 dropped while it "
                                       "was unreachable): %3")
                         .arg(c.buffered + c.dropped)
                         .arg(c.dropped)
                         .arg(c.lastError)};
    return {};
}

void LogWriter::loop()
{
    std::unique_ptr<PgConnection> conn;
    int backoffMs = 500;
    for (;;) {
        bool stopping = false;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait_for(lock, std::chrono::milliseconds(kIdleWaitMs), [this] { return m_stopping; });
            stopping = m_stopping;
            if (stopping && (bufferedLocked() == 0 || nowMs() > m_flushDeadlineMs))
                return;
        }
        if (!conn) {
            auto opened = PgConnection::open(m_endpoint, QStringLiteral("mldeck-simulate"));
            if (!opened) {
                std::lock_guard lock(m_mutex);
                m_counters.lastError = opened.errorMessage();
            } else {
                conn = std::move(opened).value();
                backoffMs = 500;
            }
        }
        if (conn && writePending(*conn))
            continue;
        conn.reset();
        qCWarning(lcLogWriter) << "write failed, retrying in" << backoffMs << "ms:" << counters().lastError;
        std::unique_lock lock(m_mutex);
        m_wake.wait_for(lock, std::chrono::milliseconds(backoffMs),
                        [this] { return m_stopping && nowMs() > m_flushDeadlineMs; });
        backoffMs = std::min(backoffMs * 2, 5000);
    }
}

// Writes predictions before outcomes and feedback so that a reader never sees an outcome
// for a prediction that is not yet there. Rows of a failed batch go back to the front.
bool LogWriter::writePending(PgConnection &conn)
{
    PredictionLog log(conn);
    for (;;) {
        std::vector<PredictionRow> predictions;
        std::vector<OutcomeRow> outcomes;
        std::vector<FeedbackRow> feedback;
        {
            std::lock_guard lock(m_mutex);
            predictions = takeFront(m_predictions, kBatchRows);
            if (predictions.empty()) {
                outcomes = takeFront(m_outcomes, kBatchRows);
                feedback = takeFront(m_feedback, kBatchRows);
            }
        }
        if (predictions.empty() && outcomes.empty() && feedback.empty())
            return true;

        // Each append is its own transaction: only what was not committed goes back.
        if (!predictions.empty()) {
            const Status status = log.appendPredictions(predictions);
            std::lock_guard lock(m_mutex);
            if (!status) {
                m_counters.lastError = status.errorMessage();
                putBack(m_predictions, predictions);
                return false;
            }
            m_counters.lastError.clear();
            m_counters.predictionsWritten += static_cast<qint64>(predictions.size());
            continue;
        }
        const Status outcomesStatus = outcomes.empty() ? Status{} : log.appendOutcomes(outcomes);
        const Status feedbackStatus =
            (!outcomesStatus || feedback.empty()) ? outcomesStatus : log.appendFeedback(feedback);
        std::lock_guard lock(m_mutex);
        if (outcomesStatus)
            m_counters.outcomesWritten += static_cast<qint64>(outcomes.size());
        else
            putBack(m_outcomes, outcomes);
        if (outcomesStatus && feedbackStatus)
            m_counters.feedbackWritten += static_cast<qint64>(feedback.size());
        else
            putBack(m_feedback, feedback);
        if (!outcomesStatus || !feedbackStatus) {
            m_counters.lastError = (outcomesStatus ? feedbackStatus : outcomesStatus).errorMessage();
            return false;
        }
        m_counters.lastError.clear();
    }
}

} // namespace mldeck

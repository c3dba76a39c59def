#include "core/logging/RepeatFilter.h"

#include <QSet>

#include <algorithm>

namespace mldeck {

QString RepeatFilter::span(qint64 ms)
{
    const qint64 s = qMax<qint64>(0, (ms + 500) / 1000);
    if (s < 120)
        return tr("%1 s").arg(s);
    const qint64 min = (s + 30) / 60;
    if (min < 120)
        return tr("%1 min").arg(min);
    return tr("%1 h %2 min").arg(min / 60).arg(min % 60);
}

LogEntry RepeatFilter::stopped(const QString &text, const Seen &seen, bool atExit) const
{
    // Information: the event itself was logged with its severity when it began.
    const QString span = RepeatFilter::span(seen.lastMs - seen.firstMs);
    return {LogSeverity::Info,
            atExit ? tr("%1 (repeated %n times over %2, until this stop)", nullptr, seen.count).arg(text, span)
                   : tr("%1 (repeated %n times over %2, now stopped)", nullptr, seen.count).arg(text, span)};
}

QList<LogEntry> RepeatFilter::pass(const QList<LogEntry> &round, qint64 nowMs)
{
    QList<LogEntry> out;
    QSet<QString> present;
    for (const LogEntry &e : round) {
        if (present.contains(e.text))
            continue; // twice in one round is one event
        present.insert(e.text);
        auto it = m_seen.find(e.text);
        if (it == m_seen.end()) {
            m_seen.insert(e.text, Seen{e.severity, nowMs, nowMs, nowMs, 1, m_next++});
            out << e;
            continue;
        }
        Seen &seen = *it;
        ++seen.count;
        seen.lastMs = nowMs;
        if (nowMs - seen.remindedMs >= m_reminderMs) {
            seen.remindedMs = nowMs;
            out << LogEntry{seen.severity, tr("%1 (repeated %n times over %2 so far)", nullptr, seen.count)
                                               .arg(e.text, span(nowMs - seen.firstMs))};
        }
    }
    QList<std::pair<int, QString>> gone;
    for (auto it = m_seen.cbegin(); it != m_seen.cend(); ++it) {
        if (!present.contains(it.key()))
            gone.append({it->order, it.key()});
    }
    std::sort(gone.begin(), gone.end());
    for (const auto &[order, text] : gone) {
        const Seen seen = m_seen.take(text);
        if (seen.count > 1)
            out << stopped(text, seen, false);
    }
    return out;
}

QList<LogEntry> RepeatFilter::flush()
{
    QList<std::pair<int, QString>> still;
    for (auto it = m_seen.cbegin(); it != m_seen.cend(); ++it)
        still.append({it->order, it.key()});
    std::sort(still.begin(), still.end());
    QList<LogEntry> out;
    for (const auto &[order, text] : still) {
        const Seen &seen = m_seen[text];
        // Steady information ("standing by") needs no count when the loop ends; a lasting error does.
        if (seen.count > 1 && seen.severity != LogSeverity::Info)
            out << stopped(text, seen, true);
    }
    m_seen.clear();
    return out;
}

} // namespace mldeck

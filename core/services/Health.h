#pragma once

#include <QDateTime>
#include <QMetaType>
#include <QString>

namespace mldeck {

// What the status bar and `mldeckctl status` show for one server.
struct Health
{
    enum class State
    {
        Unknown,
        Connecting,
        Up,
        Down
    };
    State state = State::Unknown;
    QString detail;           // readable: "0.4 ms, schema v1" or the error ("connection refused at 127.0.0.1:6390")
    QDateTime since;          // when this state began
    int nextRetrySeconds = 0; // while Down: when the next attempt is (nominal backoff step, 1 … 30)
    QDateTime nextRetryAt;    // while Down: the same as a point in time, for a live countdown

    bool operator==(const Health &other) const = default;

    static QString stateName(State state); // translated: "up", "down", ...
};

} // namespace mldeck

Q_DECLARE_METATYPE(mldeck::Health)

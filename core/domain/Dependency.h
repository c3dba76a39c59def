#pragma once

#include <QByteArray>
#include <QCoreApplication>
#include <QDateTime>
#include <QHash>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringList>

#include <optional>

namespace mldeck {

// The health a serving backend reports for one of its own dependencies (a weather API, a feature
// store...). Unknown is never written by a backend: it is what a reader concludes when the report
// has expired (the backend stopped reporting) or cannot be read. See resources/contract/dependencies.md.
enum class DependencyHealth
{
    Up,
    Down,
    Degraded,
    Unknown
};

QString dependencyHealthName(DependencyHealth h);                              // "up", "down", "degraded", "unknown"
std::optional<DependencyHealth> dependencyHealthFromName(QByteArrayView text); // up|down|degraded only

// Names follow the deployment rule (^[a-z][a-z0-9_-]{0,62}$): they appear in Redis keys.
bool isValidDependencyName(const QString &name);

// One dependency of one deployment as a reader sees it.
struct DependencyState
{
    QString deployment;
    QString name;
    DependencyHealth state = DependencyHealth::Unknown;
    bool fallbackActive = false;
    QDateTime fallbackSince; // UTC; valid only when fallbackActive
    QString lastError;       // empty when the backend reported none
    QDateTime updatedAt;     // UTC time of the backend's last report
    QString reportedBy;      // informational
    qint64 expiresInMs = -1; // time left before the report vanishes; -1 when unknown
    // Why the state is Unknown ("no report ..."/"field x ..."); empty otherwise.
    QString unknownReason;

    bool isUnknown() const { return state == DependencyHealth::Unknown; }
    // Whole minutes in fallback at `now` (0 when not in fallback; never negative under clock skew).
    qint64 fallbackMinutes(const QDateTime &now) const;
    qint64 fallbackSeconds(const QDateTime &now) const;
};

// What a backend reports (the writer's side). fallbackSince is required when fallbackActive.
struct DependencyReport
{
    QString deployment;
    QString name;
    DependencyHealth state = DependencyHealth::Up; // Unknown is refused
    bool fallbackActive = false;
    QDateTime fallbackSince;
    QString lastError;
    QString reportedBy;
};

// The strict parsing rules of the dependency hash, pure so they are unit-tested without Redis.
class DependencyFields final
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::DependencyFields)

public:
    static constexpr char kState[] = "state";
    static constexpr char kFallbackActive[] = "fallback_active";
    static constexpr char kFallbackSince[] = "fallback_since";
    static constexpr char kLastError[] = "last_error";
    static constexpr char kUpdatedAt[] = "updated_at";
    static constexpr char kReportedBy[] = "reported_by";
    static constexpr int kMaxErrorChars = 500;

    // The state of a hash read from Redis. Any required field missing or malformed makes the whole
    // state Unknown with a reason naming the field: a half-understood report is not shown as "up".
    static DependencyState fromFields(const QString &deployment, const QString &name,
                                      const QHash<QByteArray, QByteArray> &fields);
    // A name in the index whose hash has expired (or was never written).
    static DependencyState expired(const QString &deployment, const QString &name);
    // A key of another type than hash.
    static DependencyState wrongType(const QString &deployment, const QString &name, const QByteArray &type);

    // The fields a writer stores (updated_at = now). Refuses Unknown, a missing fallback_since
    // while in fallback, and invalid names.
    static std::optional<QString> validate(const DependencyReport &report);
    static QList<QPair<QByteArray, QByteArray>> toFields(const DependencyReport &report, const QDateTime &now);

    // ISO-8601 UTC with milliseconds ("2024-06-01T12:00:00.123Z"); the parser also takes it without
    // milliseconds but requires the Z.
    static QByteArray formatTime(const QDateTime &t);
    static std::optional<QDateTime> parseTime(QByteArrayView text);
};

} // namespace mldeck

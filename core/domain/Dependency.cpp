#include "core/domain/Dependency.h"

#include "core/domain/Deployment.h"

#include <QRegularExpression>

namespace mldeck {

QString dependencyHealthName(DependencyHealth h)
{
    switch (h) {
    case DependencyHealth::Up:
        return QStringLiteral("up");
    case DependencyHealth::Down:
        return QStringLiteral("down");
    case DependencyHealth::Degraded:
        return QStringLiteral("degraded");
    case DependencyHealth::Unknown:
        break;
    }
    return QStringLiteral("unknown");
}

std::optional<DependencyHealth> dependencyHealthFromName(QByteArrayView text)
{
    // Exact lower-case words only: "Up", " up" or "ok" are not guessed at.
    if (text == QByteArrayView("up"))
        return DependencyHealth::Up;
    if (text == QByteArrayView("down"))
        return DependencyHealth::Down;
    if (text == QByteArrayView("degraded"))
        return DependencyHealth::Degraded;
    return std::nullopt;
}

bool isValidDependencyName(const QString &name)
{
    return isValidDeploymentName(name);
}

qint64 DependencyState::fallbackSeconds(const QDateTime &now) const
{
    if (!fallbackActive || !fallbackSince.isValid())
        return 0;
    return std::max<qint64>(0, fallbackSince.secsTo(now));
}

qint64 DependencyState::fallbackMinutes(const QDateTime &now) const
{
    return fallbackSeconds(now) / 60;
}

QByteArray DependencyFields::formatTime(const QDateTime &t)
{
    return t.toUTC().toString(Qt::ISODateWithMs).toUtf8();
}

std::optional<QDateTime> DependencyFields::parseTime(QByteArrayView text)
{
    static const QRegularExpression re(QStringLiteral("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,3})?Z$"));
    const QString s = QString::fromUtf8(text);
    if (!re.match(s).hasMatch())
        return std::nullopt;
    QDateTime t = QDateTime::fromString(s, Qt::ISODateWithMs);
    if (!t.isValid())
        return std::nullopt;
    return t.toUTC();
}

DependencyState DependencyFields::expired(const QString &deployment, const QString &name)
{
    DependencyState s;
    s.deployment = deployment;
    s.name = name;
    s.unknownReason = tr("no report within its expiry: the backend stopped reporting or is down");
    return s;
}

DependencyState DependencyFields::wrongType(const QString &deployment, const QString &name, const QByteArray &type)
{
    DependencyState s;
    s.deployment = deployment;
    s.name = name;
    s.unknownReason = tr("the key is a %1, not a hash").arg(QString::fromUtf8(type));
    return s;
}

DependencyState DependencyFields::fromFields(const QString &deployment, const QString &name,
                                             const QHash<QByteArray, QByteArray> &fields)
{
    DependencyState s;
    s.deployment = deployment;
    s.name = name;
    s.lastError = QString::fromUtf8(fields.value(kLastError)).left(kMaxErrorChars);
    s.reportedBy = QString::fromUtf8(fields.value(kReportedBy)).left(200);

    QStringList bad;
    const auto health = dependencyHealthFromName(fields.value(kState));
    if (!health)
        bad << tr("state \"%1\" is not up, down or degraded").arg(QString::fromUtf8(fields.value(kState)).left(40));

    const QByteArray fallbackText = fields.value(kFallbackActive);
    std::optional<bool> fallback;
    if (fallbackText == "0")
        fallback = false;
    else if (fallbackText == "1")
        fallback = true;
    else
        bad << tr("fallback_active \"%1\" is not 0 or 1").arg(QString::fromUtf8(fallbackText).left(40));

    const auto updated = parseTime(fields.value(kUpdatedAt));
    if (!updated)
        bad << tr("updated_at \"%1\" is not an ISO-8601 UTC time")
                   .arg(QString::fromUtf8(fields.value(kUpdatedAt)).left(40));

    std::optional<QDateTime> since;
    if (fallback.value_or(false)) {
        since = parseTime(fields.value(kFallbackSince));
        if (!since)
            bad << tr("fallback_since \"%1\" is not an ISO-8601 UTC time")
                       .arg(QString::fromUtf8(fields.value(kFallbackSince)).left(40));
    }

    if (updated)
        s.updatedAt = *updated;
    if (!bad.isEmpty()) {
        s.unknownReason = bad.join(QStringLiteral("; "));
        return s;
    }
    s.state = *health;
    s.fallbackActive = *fallback;
    if (since)
        s.fallbackSince = *since;
    return s;
}

std::optional<QString> DependencyFields::validate(const DependencyReport &report)
{
    if (!isValidDeploymentName(report.deployment))
        return tr("\"%1\" is not a valid deployment name.").arg(report.deployment);
    if (!isValidDependencyName(report.name))
        return tr("\"%1\" is not a valid dependency name (lower-case letter first, then up to 62 of a-z, 0-9, "
                  "_ and -).")
            .arg(report.name);
    if (report.state == DependencyHealth::Unknown)
        return tr("A backend reports up, down or degraded; unknown is what readers conclude.");
    if (report.fallbackActive && !report.fallbackSince.isValid())
        return tr("A dependency in fallback needs the time the fallback started.");
    return std::nullopt;
}

QList<QPair<QByteArray, QByteArray>> DependencyFields::toFields(const DependencyReport &report, const QDateTime &now)
{
    QList<QPair<QByteArray, QByteArray>> f;
    f.append({kState, dependencyHealthName(report.state).toUtf8()});
    f.append({kFallbackActive, report.fallbackActive ? QByteArrayLiteral("1") : QByteArrayLiteral("0")});
    if (report.fallbackActive)
        f.append({kFallbackSince, formatTime(report.fallbackSince)});
    if (!report.lastError.isEmpty())
        f.append({kLastError, report.lastError.left(kMaxErrorChars).toUtf8()});
    f.append({kUpdatedAt, formatTime(now)});
    if (!report.reportedBy.isEmpty())
        f.append({kReportedBy, report.reportedBy.toUtf8()});
    return f;
}

} // namespace mldeck

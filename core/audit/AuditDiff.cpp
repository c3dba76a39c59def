#include "core/audit/AuditDiff.h"

#include "core/rollout/AuditRecord.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QMap>

#include <cmath>

namespace mldeck {

namespace {

// Leaves of an object by dotted path; an empty nested object is a leaf of its own ({}), so that
// adding one is still seen.
void flatten(const QJsonObject &o, const QString &prefix, QMap<QString, QJsonValue> &out)
{
    for (auto it = o.begin(); it != o.end(); ++it) {
        const QString path = prefix.isEmpty() ? it.key() : prefix + QLatin1Char('.') + it.key();
        if (it.value().isObject() && !it.value().toObject().isEmpty())
            flatten(it.value().toObject(), path, out);
        else
            out.insert(path, it.value());
    }
}

} // namespace

QString AuditDiffLine::text() const
{
    switch (kind) {
    case Kind::Added:
        return AuditDiff::tr("%1: added %2").arg(path, after);
    case Kind::Removed:
        return AuditDiff::tr("%1: removed (was %2)").arg(path, before);
    case Kind::Changed:
        break;
    }
    return AuditDiff::tr("%1: %2 -> %3").arg(path, before, after);
}

QString AuditDiff::valueText(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::String: // an empty string would read as nothing after the arrow
        return value.toString().isEmpty() ? tr("(empty)") : value.toString();
    case QJsonValue::Double: {
        const double d = value.toDouble();
        // Only a finite value well inside qint64 is cast (the cast of anything else is undefined).
        const bool whole = std::isfinite(d) && std::fabs(d) < 9e15 && d == std::trunc(d);
        return whole ? QString::number(qint64(d)) : QString::number(d, 'g', 15);
    }
    case QJsonValue::Bool:
        return value.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case QJsonValue::Array:
        return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
    case QJsonValue::Object:
        return QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        break;
    }
    return QStringLiteral("null");
}

QList<AuditDiffLine> AuditDiff::lines(const std::optional<QJsonObject> &before, const std::optional<QJsonObject> &after)
{
    QMap<QString, QJsonValue> b, a;
    flatten(before.value_or(QJsonObject()), QString(), b);
    flatten(after.value_or(QJsonObject()), QString(), a);
    QList<AuditDiffLine> out;
    for (auto it = b.cbegin(); it != b.cend(); ++it) {
        const auto other = a.constFind(it.key());
        if (other == a.cend())
            out.append({AuditDiffLine::Kind::Removed, it.key(), valueText(it.value()), QString()});
        else if (*other != it.value())
            out.append({AuditDiffLine::Kind::Changed, it.key(), valueText(it.value()), valueText(*other)});
    }
    for (auto it = a.cbegin(); it != a.cend(); ++it)
        if (!b.contains(it.key()))
            out.append({AuditDiffLine::Kind::Added, it.key(), QString(), valueText(it.value())});
    std::stable_sort(out.begin(), out.end(),
                     [](const AuditDiffLine &x, const AuditDiffLine &y) { return x.path < y.path; });
    return out;
}

QList<AuditDiffLine> AuditDiff::lines(const AuditEntry &entry)
{
    return lines(entry.before, entry.after);
}

QStringList AuditDiff::text(const AuditEntry &entry)
{
    QStringList out;
    for (const AuditDiffLine &line : lines(entry))
        out.append(line.text());
    if (out.isEmpty())
        out.append(tr("no change recorded"));
    return out;
}

} // namespace mldeck

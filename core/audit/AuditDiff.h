#pragma once

#include <QCoreApplication>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace mldeck {

struct AuditEntry;

// One difference between an audit row's before and after, by dotted path ("flags.ml_enabled").
struct AuditDiffLine
{
    enum class Kind
    {
        Changed, // the key is on both sides with different values
        Added,   // only in after
        Removed, // only in before
    };
    Kind kind = Kind::Changed;
    QString path;   // dotted path of the key; nested objects are walked, arrays compared whole
    QString before; // the value as text (AuditDiff::valueText); empty for Added
    QString after;  // empty for Removed

    // "ml_traffic_percentage: 25 -> 50", "champion: added eta-mlp@3", "note: removed (was x)".
    QString text() const;
    bool operator==(const AuditDiffLine &o) const = default;
};

// Before/after of an audit row as readable lines, the same on the Audit page and in `mldeckctl audit`.
class AuditDiff final
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::AuditDiff)

public:
    // The differences, sorted by path. Unchanged keys are left out. A side that is absent counts as
    // an empty object (a creation lists every key as added).
    static QList<AuditDiffLine> lines(const std::optional<QJsonObject> &before,
                                      const std::optional<QJsonObject> &after);
    static QList<AuditDiffLine> lines(const AuditEntry &entry);
    // lines(entry) as text, one per line; "no change recorded" when both sides are absent or equal.
    static QStringList text(const AuditEntry &entry);
    // A JSON value as a person reads it: strings bare, numbers as written, true/false, null,
    // arrays and objects as compact JSON.
    static QString valueText(const QJsonValue &value);
};

} // namespace mldeck

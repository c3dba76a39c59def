#pragma once

#include <QDateTime>
#include <QString>
#include <QStringList>

namespace mldeck {

// Which audit rows a view, an export or a CLI listing shows. Every field empty means "all rows".
// One filter type for the Audit page, `mldeckctl audit list|export` and the tests, so that the same
// filter gives the same rows everywhere (AuditQuery turns it into one WHERE clause).
struct AuditFilter
{
    QString deployment; // exact name; empty = every deployment (and rows of no deployment)
    QString actor;      // case-insensitive substring of the OS actor or the database role
    QStringList kinds;  // action kinds: an exact action ("flags.rollback") or a family ("flags" = "flags.*")
    QDateTime from;     // inclusive, server time of the row; invalid = unbounded
    QDateTime to;       // exclusive; invalid = unbounded
    QString text;       // case-insensitive substring of action, actor, reason, deployment, before or after

    bool isEmpty() const;
    // Empty when valid, else one translated sentence saying which field is wrong (range ends before
    // it starts, a kind that is not a word.word pattern, ...).
    QString validate() const;
    bool operator==(const AuditFilter &o) const = default;
};

} // namespace mldeck

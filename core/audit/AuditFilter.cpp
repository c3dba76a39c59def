#include "core/audit/AuditFilter.h"

#include <QCoreApplication>
#include <QRegularExpression>

namespace mldeck {

namespace {

struct AuditText
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::AuditFilter)
};

} // namespace

bool AuditFilter::isEmpty() const
{
    return deployment.isEmpty() && actor.isEmpty() && kinds.isEmpty() && !from.isValid() && !to.isValid() &&
           text.isEmpty();
}

QString AuditFilter::validate() const
{
    // Actions are dotted lower-case words ("flags.apply", "plan.advance.override"); a kind names an
    // action or a family of them ("flags" matches "flags.apply"), so it has the same shape.
    static const QRegularExpression kKind(QStringLiteral("^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)*$"));
    for (const QString &kind : kinds)
        if (!kKind.match(kind).hasMatch())
            return AuditText::tr("The kind \"%1\" is not an action or a family of actions (like flags or "
                                 "flags.rollback).")
                .arg(kind);
    if (from.isValid() && to.isValid() && to <= from)
        return AuditText::tr("The time range ends (%1) before it starts (%2).")
            .arg(to.toUTC().toString(Qt::ISODate), from.toUTC().toString(Qt::ISODate));
    if (deployment.contains(QChar(0)) || actor.contains(QChar(0)) || text.contains(QChar(0)))
        return AuditText::tr("The filter contains a NUL character.");
    return {};
}

} // namespace mldeck

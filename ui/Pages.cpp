#include "ui/Pages.h"

#include <QCoreApplication>

namespace mldeck::ui {

QString pageKey(PageId id)
{
    switch (id) {
    case PageId::Dashboard:
        return QStringLiteral("dashboard");
    case PageId::Rollout:
        return QStringLiteral("rollout");
    case PageId::AlertsDrift:
        return QStringLiteral("alerts");
    case PageId::Models:
        return QStringLiteral("models");
    case PageId::Retrain:
        return QStringLiteral("retrain");
    case PageId::Deployments:
        return QStringLiteral("deployments");
    case PageId::Audit:
        return QStringLiteral("audit");
    }
    return {};
}

QStringList pageKeys()
{
    QStringList keys;
    for (PageId id : kAllPages)
        keys << pageKey(id);
    return keys;
}

std::optional<PageId> pageFromKey(const QString &key)
{
    for (PageId id : kAllPages) {
        if (pageKey(id).compare(key.trimmed(), Qt::CaseInsensitive) == 0)
            return id;
    }
    return std::nullopt;
}

QString pageTitle(PageId id)
{
    switch (id) {
    case PageId::Dashboard:
        return QCoreApplication::translate("mldeck::ui::Pages", "Dashboard");
    case PageId::Rollout:
        return QCoreApplication::translate("mldeck::ui::Pages", "Rollout");
    case PageId::AlertsDrift:
        return QCoreApplication::translate("mldeck::ui::Pages", "Alerts & Drift");
    case PageId::Models:
        return QCoreApplication::translate("mldeck::ui::Pages", "Models");
    case PageId::Retrain:
        return QCoreApplication::translate("mldeck::ui::Pages", "Retrain");
    case PageId::Deployments:
        return QCoreApplication::translate("mldeck::ui::Pages", "Deployments");
    case PageId::Audit:
        return QCoreApplication::translate("mldeck::ui::Pages", "Audit");
    }
    return {};
}

} // namespace mldeck::ui

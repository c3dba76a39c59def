#pragma once

#include <QString>
#include <QStringList>

#include <optional>

namespace mldeck::ui {

// The pages of the main window, in navigation order.
enum class PageId
{
    Dashboard,
    Rollout,
    AlertsDrift,
    Models,
    Retrain,
    Deployments,
    Audit
};

inline constexpr PageId kAllPages[] = {PageId::Dashboard, PageId::Rollout,     PageId::AlertsDrift, PageId::Models,
                                       PageId::Retrain,   PageId::Deployments, PageId::Audit};

// Stable, untranslated key used on the command line (--page) and in Settings (LastPage).
QString pageKey(PageId id);
QStringList pageKeys();
// Case-insensitive; nullopt for an unknown name.
std::optional<PageId> pageFromKey(const QString &key);
// Translated title shown in the navigation.
QString pageTitle(PageId id);

} // namespace mldeck::ui

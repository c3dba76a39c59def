#pragma once

#include "core/domain/Dependency.h"
#include "core/domain/Result.h"

#include <QDateTime>
#include <QLabel>
#include <QList>

namespace mldeck {
class DependencyService;
struct ConnectionProfile;
} // namespace mldeck

namespace mldeck::ui {

// The serving backend's own dependencies in the status bar: "weather: fallback 12 min" for each
// one that is not up, in the theme's warning look (property level = "warning"; "unknown" when
// the only problem is that reports stopped); hidden when every dependency is up or none is
// reported. Details (deployment, since when, last error, why unknown) are in the tooltip.
class DependencyIndicator final : public QLabel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DependencyIndicator)

public:
    explicit DependencyIndicator(QWidget *parent = nullptr);

    void connectTo(const mldeck::ConnectionProfile &profile);
    mldeck::DependencyService *service() const { return m_service; }
    void display(const QList<mldeck::DependencyState> &dependencies, const QDateTime &now);

    // Pure formatting, shared with the Dashboard and tests: "weather: fallback 12 min".
    static QString entryText(const mldeck::DependencyState &s, const QDateTime &now);
    static QString tooltipLine(const mldeck::DependencyState &s, const QDateTime &now);
    // "warning", "unknown" or "" (all up).
    static QString level(const QList<mldeck::DependencyState> &dependencies);

Q_SIGNALS:
    void shown(); // after every read, for tests and the screenshot runner

private:
    void onRead(const mldeck::Result<QList<mldeck::DependencyState>> &result);

    mldeck::DependencyService *m_service = nullptr;
};

} // namespace mldeck::ui

#pragma once

#include "core/domain/Dependency.h"
#include "core/domain/Result.h"

#include <QLabel>

namespace mldeck {
class DependencyService;
struct ConnectionProfile;
} // namespace mldeck

namespace mldeck::ui {

// One line under the dashboard's toolbar: every dependency the selected deployment's backend
// reports, with its state ("Backend dependencies: weather: fallback 12 min · geo: up"), in the
// theme's warning look when one is not up. Hidden when the backend reports none.
class DependencyStrip final : public QLabel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DependencyStrip)

public:
    explicit DependencyStrip(QWidget *parent = nullptr);

    void connectTo(const mldeck::ConnectionProfile &profile);
    void setDeployment(const QString &deployment);
    mldeck::DependencyService *service() const { return m_service; }

Q_SIGNALS:
    void shown();

private:
    void onRead(const mldeck::Result<QList<mldeck::DependencyState>> &result);

    mldeck::DependencyService *m_service = nullptr;
    QString m_deployment;
};

} // namespace mldeck::ui

#pragma once

#include "core/config/Endpoints.h"
#include "core/services/JobThread.h"

#include <QWidget>

#include <memory>

class QLabel;
class QTableView;

namespace mldeck::ui {

class AlertRulesTableModel;

// The "Rules" view of the Alerts & Drift page: each KPI alert rule of the selected deployment with
// its threshold, state (inactive / pending since / firing) and last value. Reads on its own worker
// thread (one PostgreSQL connection there).
class AlertRulesView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AlertRulesView)

public:
    explicit AlertRulesView(QWidget *parent = nullptr);
    ~AlertRulesView() override;

    void setEndpoint(const PgEndpoint &pg);
    void setDeployment(const QString &deployment); // refreshes
    void refresh();

    AlertRulesTableModel &model() const { return *m_model; }
    QTableView *view() const { return m_view; }
    QString summaryText() const;

Q_SIGNALS:
    void rulesUpdated();

private:
    struct Worker;
    std::shared_ptr<Worker> m_worker;
    JobThread m_jobs;
    AlertRulesTableModel *m_model = nullptr;
    QTableView *m_view = nullptr;
    QLabel *m_summary = nullptr;
    QString m_deployment;
    bool m_hasEndpoint = false;
};

} // namespace mldeck::ui

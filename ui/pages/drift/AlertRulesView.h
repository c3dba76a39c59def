#pragma once

#include "core/domain/Result.h"

#include <QWidget>

class QLabel;
class QTableView;

namespace mldeck {
class AlertsService;
struct AlertRules;
} // namespace mldeck

namespace mldeck::ui {

class AlertRulesTableModel;

// The "Rules" view of the Alerts & Drift page: each KPI alert rule of the selected deployment with
// its threshold, state (inactive / pending since / firing) and last value, read through the page's
// AlertsService.
class AlertRulesView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AlertRulesView)

public:
    explicit AlertRulesView(AlertsService *service, QWidget *parent = nullptr);
    ~AlertRulesView() override;

    void setDeployment(const QString &deployment); // refreshes
    void refresh();

    AlertRulesTableModel &model() const { return *m_model; }
    QTableView *view() const { return m_view; }
    QString summaryText() const;

Q_SIGNALS:
    void rulesUpdated();

private:
    void showRules(const Result<AlertRules> &rules);

    AlertsService *m_service = nullptr;
    AlertRulesTableModel *m_model = nullptr;
    QTableView *m_view = nullptr;
    QLabel *m_summary = nullptr;
    QString m_deployment;
};

} // namespace mldeck::ui

#pragma once

#include "core/config/ConnectionProfile.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QPushButton;
class QTabWidget;

namespace mldeck {
class RetrainService;
}

namespace mldeck::ui {

class ConnectionSession;
class PageFrame;
class RetrainHistoryView;
class RetrainWizard;

// The Retrain page: a deployment selector over two tabs, "Wizard" (why now, data, training, the run,
// evaluation, decision) and "History" (the runs, their details, JSON export). One RetrainService
// serves both: checks and history on one worker, a run on its own training thread.
class RetrainPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RetrainPage)

public:
    explicit RetrainPage(ConnectionSession &session, QWidget *parent = nullptr);
    ~RetrainPage() override;

    RetrainWizard *wizard() const { return m_wizard; }
    RetrainHistoryView *history() const { return m_history; }
    RetrainService &service() { return *m_service; }
    QString currentDeployment() const;
    void selectDeployment(const QString &deployment);

Q_SIGNALS:
    void deploymentsShown(const QStringList &deployments);

private:
    void connectTo(const ConnectionProfile &profile);
    void onDeploymentsListed(const Result<QStringList> &listed);
    void useDeployment(const QString &deployment);

    ConnectionSession &m_session;
    PageFrame *m_frame = nullptr;
    RetrainService *m_service = nullptr;
    QComboBox *m_deployments = nullptr;
    QPushButton *m_refresh = nullptr;
    QLabel *m_status = nullptr;
    QTabWidget *m_tabs = nullptr;
    RetrainWizard *m_wizard = nullptr;
    RetrainHistoryView *m_history = nullptr;
    QString m_wanted;
    bool m_listing = false;
};

} // namespace mldeck::ui

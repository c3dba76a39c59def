#pragma once

#include "core/config/ConnectionProfile.h"
#include "core/domain/Result.h"
#include "core/store/pg/DeploymentStore.h"

#include <QList>
#include <QPointer>
#include <QWidget>

#include <functional>
#include <optional>

class QCheckBox;
class QLabel;
class QPushButton;
class QStackedWidget;
class QTableView;

namespace mldeck {
class DeploymentsService;
struct DeploymentList;
} // namespace mldeck

namespace mldeck::ui {

class ConnectionSession;
class DeploymentsTableModel;
class EmptyStateView;
class GeneralEditor;
class InfoBar;
class NewDeploymentDialog;
class SettingsTabs;

// The Deployments page: every deployment (archived ones on demand), New deployment… and Archive…,
// and for the one selected its General settings (description, target) and every settings editor.
// What the connected role may not do is disabled with the role that may.
class DeploymentsPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DeploymentsPage)

public:
    // Asks why a deployment is archived; nullopt: the user cancelled.
    using ReasonPrompt = std::function<std::optional<QString>(const QString &deployment)>;

    explicit DeploymentsPage(ConnectionSession &session, QWidget *parent = nullptr);
    ~DeploymentsPage() override;

    void setReasonPrompt(ReasonPrompt prompt);
    // Shows deployment once the list has it (now when it is listed).
    void selectDeployment(const QString &deployment);
    QString currentDeployment() const; // empty when none is selected

    NewDeploymentDialog *openNewDeploymentDialog();   // non-modal, one at a time
    NewDeploymentDialog *newDeploymentDialog() const; // the open one, or null
    GeneralEditor *generalEditor() const { return m_general; }
    SettingsTabs *settingsTabs() const { return m_settings; }

public Q_SLOTS:
    void refresh();

Q_SIGNALS:
    // After every listing: the names shown in the table.
    void deploymentsShown(const QStringList &names);
    // Archive finished: ok, and what the user was told.
    void actionCompleted(bool ok, const QString &message);

private:
    void applyProfile(const ConnectionProfile &profile);
    void onListed(const Result<DeploymentList> &listed);
    void onArchived(const Result<QString> &archived);
    void showList();
    void onSelectionChanged();
    void updateButtons();
    void archiveSelected();
    const DeploymentInfo *selected() const;

    ConnectionSession &m_session;
    DeploymentsService *m_service = nullptr;
    DeploymentsTableModel *m_model = nullptr;
    ReasonPrompt m_reasonPrompt;

    QPushButton *m_new = nullptr;
    QPushButton *m_archive = nullptr;
    QCheckBox *m_showArchived = nullptr;
    QPushButton *m_refresh = nullptr;
    InfoBar *m_info = nullptr;
    QStackedWidget *m_body = nullptr;
    EmptyStateView *m_empty = nullptr;
    QTableView *m_table = nullptr;
    QLabel *m_archivedNote = nullptr;
    GeneralEditor *m_general = nullptr;
    SettingsTabs *m_settings = nullptr;
    QPointer<NewDeploymentDialog> m_dialog;

    bool m_connected = false;
    int m_listPending = 0;       // answers come in the order asked: only the last one is shown
    bool m_listFailed = false;   // the info bar says the last listing failed
    bool m_archiving = false;    // an archive is under way
    QList<DeploymentInfo> m_all; // the last listing, archived included
    bool m_mayChange = false;
    QString m_refusal; // why the role may not change deployments
    QString m_wanted;  // the deployment to keep or make selected
};

} // namespace mldeck::ui

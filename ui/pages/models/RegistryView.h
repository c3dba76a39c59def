#pragma once

#include "core/config/ConnectionProfile.h"

#include <QWidget>

#include <functional>

class QComboBox;
class QLineEdit;
class QPushButton;
class QTableView;
class QTextBrowser;

namespace mldeck {
class ModelsService;
struct ModelActionResult;
struct ModelVersion;
} // namespace mldeck

namespace mldeck::ui {

class ConnectionSession;
class InfoBar;
class ModelVersionTableModel;

// The Registry tab of the Models page: the versions of a deployment with their aliases as badges, a
// details pane (metadata, features, SHA-256) and the actions Register…, Promote to champion, Make
// challenger, Restore previous, Archive. Every action asks for confirmation (injectable for tests)
// and runs on ModelsService's worker; the UI thread never waits.
class RegistryView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RegistryView)

public:
    using Confirm = std::function<bool(const QString &title, const QString &text)>;
    using FilePicker = std::function<QString()>; // empty: cancelled

    explicit RegistryView(ConnectionSession &session, QWidget *parent = nullptr);
    ~RegistryView() override;

    void setConfirm(Confirm confirm);
    void setFilePicker(FilePicker picker);
    void setStoreDirectory(const QString &directory);
    QString currentDeployment() const;
    void selectDeployment(const QString &deployment);

public Q_SLOTS:
    void refresh();

Q_SIGNALS:
    // The table shows the versions of deployment (after every refresh).
    void modelsShown(const QString &deployment, int count);
    // An action finished: ok, and what the user was told.
    void actionCompleted(bool ok, const QString &message);

private:
    void applyProfile(const ConnectionProfile &profile);
    void onDeploymentsListed(quint64 id, const QStringList &deployments, const QString &error);
    void onModelsListed(quint64 id, const QString &deployment, const QList<ModelVersion> &models, const QString &error);
    void onActionFinished(quint64 id, const ModelActionResult &result);
    void loadModels();
    void updateDetails();
    void updateButtons();
    const ModelVersion *selected() const;
    bool confirm(const QString &title, const QString &text);
    void startAction(quint64 id);

    void registerFile();
    void promoteSelected(const QString &alias);
    void restorePrevious();
    void archiveSelected();

    ConnectionSession &m_session;
    ModelsService *m_service = nullptr;
    ModelVersionTableModel *m_model = nullptr;
    Confirm m_confirm;
    FilePicker m_filePicker;

    QComboBox *m_deployments = nullptr;
    QPushButton *m_refresh = nullptr;
    InfoBar *m_info = nullptr;
    QTableView *m_table = nullptr;
    QTextBrowser *m_details = nullptr;
    QLineEdit *m_reason = nullptr;
    QPushButton *m_register = nullptr;
    QPushButton *m_promote = nullptr;
    QPushButton *m_challenger = nullptr;
    QPushButton *m_restore = nullptr;
    QPushButton *m_archive = nullptr;

    bool m_connected = false;
    quint64 m_deploymentsRequest = 0;
    quint64 m_modelsRequest = 0;
    quint64 m_actionRequest = 0;
    QString m_wantedDeployment;
    QString m_wantedVersion;   // keep the selection across refreshes
    QString m_publishDeployment; // deployment whose champion publish failed (retry action)
};

} // namespace mldeck::ui

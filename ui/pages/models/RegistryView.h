#pragma once

#include "core/config/ConnectionProfile.h"
#include "core/domain/Result.h"
#include "core/store/pg/ModelCheckStore.h"
#include "ui/pages/models/GoldenDataDialog.h"

#include <QWidget>

#include <functional>
#include <optional>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;
class QTextBrowser;

namespace mldeck {
class ModelsService;
struct ModelAction;
struct ModelList;
struct ModelVersion;
} // namespace mldeck

namespace mldeck::ui {

class ConnectionSession;
class InfoBar;
class ModelVersionTableModel;
class PageFrame;

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
    using FilePicker = std::function<QString()>;                       // empty: cancelled
    using GoldenPicker = std::function<std::optional<GoldenChoice>()>; // nullopt: cancelled

    // Works with the deployment selector and the Refresh button of the page's frame.
    RegistryView(ConnectionSession &session, PageFrame &frame, QWidget *parent);
    ~RegistryView() override;

    void setConfirm(Confirm confirm);
    void setFilePicker(FilePicker picker);
    void setGoldenPicker(GoldenPicker picker);
    void setStoreDirectory(const QString &directory);
    QString currentDeployment() const;
    void selectDeployment(const QString &deployment);
    void selectVersion(const QString &deployment, const QString &version); // selected once the list is read

public Q_SLOTS:
    void refresh();

Q_SIGNALS:
    // The table shows the versions of deployment (after every refresh).
    void modelsShown(const QString &deployment, int count);
    // An action finished: ok, and what the user was told.
    void actionCompleted(bool ok, const QString &message);

private:
    void applyProfile(const ConnectionProfile &profile);
    void onDeploymentsListed(const Result<QStringList> &listed);
    void onModelsListed(const Result<ModelList> &listed);
    void onActionFinished(const Result<ModelAction> &result);
    void loadModels();
    void updateDetails();
    void updateButtons();
    const ModelVersion *selected() const;
    bool confirm(const QString &title, const QString &text);
    void startAction();

    void registerFile();
    void registerGolden();
    void removeGolden();
    void showGolden(const std::optional<GoldenRecord> &golden);
    void promoteSelected(const QString &alias);
    void restorePrevious();
    void archiveSelected();

    ConnectionSession &m_session;
    PageFrame &m_frame;
    ModelsService *m_service = nullptr;
    ModelVersionTableModel *m_model = nullptr;
    Confirm m_confirm;
    FilePicker m_filePicker;
    GoldenPicker m_goldenPicker;

    QComboBox *m_deployments = nullptr;
    QPushButton *m_refresh = nullptr;
    InfoBar *m_info = nullptr;
    QTableView *m_table = nullptr;
    QTextBrowser *m_details = nullptr;
    QLineEdit *m_reason = nullptr;
    QPushButton *m_register = nullptr;
    QLabel *m_golden = nullptr;            // the golden dataset the promotion checks run on
    QPushButton *m_goldenButton = nullptr; // register or replace it
    QPushButton *m_goldenRemove = nullptr; // remove it (a stale golden set must not block every promotion)
    bool m_hasGolden = false;
    QPushButton *m_promote = nullptr;
    QPushButton *m_challenger = nullptr;
    QPushButton *m_restore = nullptr;
    QPushButton *m_archive = nullptr;

    bool m_connected = false;
    // Requests not answered yet. Answers come in the order asked: only the last one is shown.
    int m_deploymentsPending = 0;
    int m_modelsPending = 0;
    bool m_actionRunning = false;
    QString m_wantedDeployment;
    QString m_wantedVersion;     // keep the selection across refreshes
    QString m_publishDeployment; // deployment whose champion publish failed (retry action)
};

} // namespace mldeck::ui

#pragma once

#include "core/store/pg/DeploymentStore.h"
#include "ui/settings/SettingsEditor.h"

#include <QHash>

namespace mldeck {
class DeploymentsService;
}

namespace mldeck::ui {

// The General section of a deployment on the Deployments page: its description, target name and
// unit, for a binary classifier its decision threshold, and for an image deployment its image store, reference and
// holdout folders, edited like every other setting (SettingsEditor: inline reasons, Save and Revert, read-only with the
// reason when the role may not change deployments). A save is one transaction, audited `deployment.set` (and
// `deployment.images` when the folders changed).
class ImageFolderField;

class GeneralEditor final : public SettingsEditor
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GeneralEditor)

public:
    explicit GeneralEditor(QWidget *parent = nullptr);
    ~GeneralEditor() override;

    // The reasons shared with the New deployment dialog; empty when acceptable.
    static QString targetNameProblem(const QString &name);
    static QString targetUnitProblem(const QString &unit);
    static QString descriptionProblem(const QString &description);
    static QString thresholdProblem(double threshold); // strictly between 0 and 1

    // Deployments just listed by the page: the next load of one of them shows these values at once
    // instead of reading them again (a reload after that reads the database).
    void setListed(const QList<DeploymentInfo> &deployments);
    // The folder fields' "Browse…" (tests replace the folder dialog).
    void setFolderPicker(const std::function<QString(const QString &title, const QString &start)> &picker);

protected:
    void applyEndpoint(const std::optional<PgEndpoint> &pg) override;
    void load(const QString &deployment) override;
    void save(const QString &deployment, const Values &values) override;
    QString checkForm(const Values &values) const override;

private:
    Values valuesOf(const DeploymentInfo &d); // and remembers whether d has a decision threshold

    DeploymentsService *m_service = nullptr;
    bool m_hasThreshold = false;     // the deployment shown is a binary classifier
    bool m_isImage = false;          // the deployment shown is an image deployment
    QWidget *m_targetUnit = nullptr; // hidden for an image deployment: a class has no unit
    QWidget *m_threshold = nullptr;  // hidden for a classifier of more than two classes
    ImageDeployment m_images;        // its folders as loaded or last saved
    QString m_imagesError;           // why its stored image configuration cannot be read, if so
    QWidget *m_imagesHeading = nullptr;
    QList<ImageFolderField *> m_folders; // store, reference, holdout
    QHash<QString, DeploymentInfo> m_listed;
};

} // namespace mldeck::ui

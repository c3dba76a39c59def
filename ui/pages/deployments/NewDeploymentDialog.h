#pragma once

#include "core/domain/ClassSpec.h"
#include "core/domain/Result.h"

#include <QDialog>
#include <QStringList>

#include <functional>

class QComboBox;
class QDialogButtonBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace mldeck {
class DeploymentsService;
struct DeploymentInfo;
struct SchemaDraft;
} // namespace mldeck

namespace mldeck::ui {

class FeatureSchemaTable;
class FormGrid;
class ImageFolderField;
class InfoBar;

// "New deployment": its name, input (tabular features or images), task, description, target name and unit, a
// classifier's classes and decision threshold, feature schema (from a model file's mldeck.json, which also gives a
// classifier's classes, or from a CSV header, a kind per column) or, for images, the image store, reference and
// holdout folders, and drift reference (the first N logged predictions). Each field
// says next to it why it is refused; Create stays disabled while any is. A refusal from the database is shown in the
// dialog, which stays open with everything typed.
class NewDeploymentDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(NewDeploymentDialog)

public:
    using FilePicker = std::function<QString()>; // empty: cancelled

    // existingNames: the deployments already there, archived included (a name cannot be reused).
    NewDeploymentDialog(DeploymentsService &service, const QStringList &existingNames, QWidget *parent = nullptr);
    ~NewDeploymentDialog() override;

    void setModelFilePicker(FilePicker picker);
    void setCsvFilePicker(FilePicker picker);
    // The three folder fields' "Browse…" (tests replace the folder dialog).
    void setFolderPicker(const std::function<QString(const QString &title, const QString &start)> &picker);

    bool isComplete() const; // every field acceptable: Create is enabled unless a request is under way
    QString nameProblem() const;
    QString classesProblem() const; // a classifier's classes (and threshold) refused, or empty
    bool imageInput() const;        // "Image" is chosen: an image deployment
    QString imagesProblem() const;  // an image deployment's folders refused, or empty
    ClassSpec classSpec() const;    // as typed: the classes field split at commas, the threshold
    QPushButton *createButton() const { return m_create; }
    FeatureSchemaTable *schemaTable() const { return m_schema; }

    static constexpr int kDefaultReferenceRows = 5000;
    static constexpr int kCsvRowsRead = 1000; // rows read to guess kinds and categories

Q_SIGNALS:
    void deploymentCreated(const mldeck::DeploymentInfo &deployment); // then the dialog closes
    void schemaLoaded(bool ok);                                       // a model or CSV read finished

private:
    void readFrom(bool model);
    void onSchemaRead(const Result<SchemaDraft> &draft);
    void onCreated(const Result<DeploymentInfo> &created);
    void create();
    void validate();
    void setBusy(bool busy, const QString &status = {});

    DeploymentsService &m_service;
    QStringList m_existing;
    FilePicker m_modelPicker;
    FilePicker m_csvPicker;
    bool m_busy = false;
    bool m_creating = false;

    InfoBar *m_error = nullptr;
    QLineEdit *m_name = nullptr;
    QLabel *m_nameReason = nullptr;
    QComboBox *m_input = nullptr;
    QComboBox *m_task = nullptr;
    FormGrid *m_form = nullptr;
    QWidget *m_classesRow = nullptr;
    QLineEdit *m_classes = nullptr;
    QLabel *m_classesReason = nullptr;
    QDoubleSpinBox *m_threshold = nullptr;
    QLabel *m_thresholdLabel = nullptr;
    QLineEdit *m_description = nullptr;
    QLabel *m_descriptionReason = nullptr;
    QLineEdit *m_targetName = nullptr;
    QLabel *m_targetNameReason = nullptr;
    QLineEdit *m_targetUnit = nullptr;
    QWidget *m_targetUnitRow = nullptr; // hidden for images: a class has no unit
    QLabel *m_targetUnitReason = nullptr;
    QPushButton *m_fromModel = nullptr;
    QPushButton *m_fromCsv = nullptr;
    QLabel *m_schemaStatus = nullptr;
    FeatureSchemaTable *m_schema = nullptr;
    QLabel *m_schemaReason = nullptr;
    QWidget *m_schemaRow = nullptr;
    QPushButton *m_classesFromModel = nullptr;
    ImageFolderField *m_imageStore = nullptr;
    QLabel *m_imageStoreReason = nullptr;
    QWidget *m_imageStoreRow = nullptr;
    ImageFolderField *m_referenceSet = nullptr;
    QLabel *m_referenceSetReason = nullptr;
    QWidget *m_referenceSetRow = nullptr;
    ImageFolderField *m_holdoutSet = nullptr;
    QLabel *m_holdoutSetReason = nullptr;
    QWidget *m_holdoutSetRow = nullptr;
    QSpinBox *m_referenceRows = nullptr;
    QPushButton *m_create = nullptr;
};

} // namespace mldeck::ui

#include "ui/pages/deployments/NewDeploymentDialog.h"

#include "core/domain/Deployment.h"
#include "core/services/DeploymentsService.h"
#include "ui/Theme.h"
#include "ui/pages/deployments/FeatureSchemaTable.h"
#include "ui/pages/deployments/GeneralEditor.h"
#include "ui/pages/deployments/ImageFolderField.h"
#include "ui/widgets/FormGrid.h"
#include "ui/widgets/InfoBar.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace mldeck::ui {

namespace {

// A field with its reason under it, shown only while the value is refused.
QWidget *withReason(QWidget *field, QLabel *&reason, const QString &name, QWidget *parent)
{
    auto *box = new QWidget(parent);
    auto *layout = new QVBoxLayout(box);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(2);
    layout->addWidget(field);
    reason = new QLabel(box);
    reason->setObjectName(name);
    reason->setWordWrap(true);
    reason->setStyleSheet(themeStyle(QStringLiteral("color: @{bad};")));
    reason->hide();
    layout->addWidget(reason);
    return box;
}

void showReason(QLabel *label, const QString &reason)
{
    label->setText(reason);
    label->setVisible(!reason.isEmpty());
}

} // namespace

NewDeploymentDialog::NewDeploymentDialog(DeploymentsService &service, const QStringList &existingNames, QWidget *parent)
    : QDialog(parent), m_service(service), m_existing(existingNames)
{
    setObjectName(QStringLiteral("newDeploymentDialog"));
    setWindowTitle(tr("New deployment"));
    setMinimumWidth(620);

    m_error = new InfoBar(this);
    m_error->setObjectName(QStringLiteral("newDeploymentError"));

    m_name = new QLineEdit(this);
    m_name->setObjectName(QStringLiteral("nameEdit"));
    m_name->setPlaceholderText(tr("e.g. eta-express"));
    m_input = new QComboBox(this);
    m_input->setObjectName(QStringLiteral("inputCombo"));
    m_input->addItem(tr("Tabular features (a row of values)"), QStringLiteral("features"));
    m_input->addItem(tr("Image (a classifier of images)"), QStringLiteral("image"));
    m_input->setToolTip(tr("An image deployment logs a key per image; its image store maps keys to files. Images "
                           "are never copied into PostgreSQL."));
    m_task = new QComboBox(this);
    m_task->setObjectName(QStringLiteral("taskCombo"));
    m_task->addItem(tr("Regression (a number, e.g. a delay)"), QStringLiteral("regression"));
    m_task->addItem(tr("Classification (a class, e.g. late or on time)"), QStringLiteral("classification"));
    m_classes = new QLineEdit(this);
    m_classes->setObjectName(QStringLiteral("classesEdit"));
    m_classes->setPlaceholderText(tr("e.g. declined, accepted (in the order of the model's output)"));
    m_threshold = new QDoubleSpinBox(this);
    m_threshold->setObjectName(QStringLiteral("thresholdSpin"));
    m_threshold->setRange(0.01, 0.99);
    m_threshold->setDecimals(2);
    m_threshold->setSingleStep(0.05);
    m_threshold->setValue(ClassSpec{}.decisionThreshold);
    m_threshold->setToolTip(tr("Two classes: the second (positive) class is served when its probability is at least "
                               "this. More classes: the most probable is served."));
    m_classesRow = new QWidget(this);
    auto *classesLayout = new QHBoxLayout(m_classesRow);
    classesLayout->setContentsMargins(0, 0, 0, 0);
    classesLayout->addWidget(withReason(m_classes, m_classesReason, QStringLiteral("classesReason"), m_classesRow), 1);
    m_thresholdLabel = new QLabel(tr("decision threshold"), m_classesRow);
    classesLayout->addWidget(m_thresholdLabel, 0, Qt::AlignTop);
    classesLayout->addWidget(m_threshold, 0, Qt::AlignTop);
    m_classesFromModel = new QPushButton(tr("From a model file…"), m_classesRow);
    m_classesFromModel->setObjectName(QStringLiteral("classesFromModelButton"));
    m_classesFromModel->setToolTip(tr("Read the classes from an image model's mldeck.json metadata"));
    classesLayout->addWidget(m_classesFromModel, 0, Qt::AlignTop);
    m_description = new QLineEdit(this);
    m_description->setObjectName(QStringLiteral("descriptionEdit"));
    m_description->setPlaceholderText(tr("What the model predicts, for whom"));
    m_targetName = new QLineEdit(this);
    m_targetName->setObjectName(QStringLiteral("targetNameEdit"));
    m_targetName->setPlaceholderText(tr("e.g. delay"));
    m_targetUnit = new QLineEdit(this);
    m_targetUnit->setObjectName(QStringLiteral("targetUnitEdit"));
    m_targetUnit->setPlaceholderText(tr("e.g. min"));

    m_fromModel = new QPushButton(tr("From a model file…"), this);
    m_fromModel->setObjectName(QStringLiteral("fromModelButton"));
    m_fromModel->setToolTip(tr("Read the features from a TorchScript model's mldeck.json metadata"));
    m_fromCsv = new QPushButton(tr("From a CSV header…"), this);
    m_fromCsv->setObjectName(QStringLiteral("fromCsvButton"));
    m_fromCsv->setToolTip(tr("Take the columns of a CSV file; choose the kind of each"));
    m_schemaStatus =
        new QLabel(tr("No features yet: the first model registered or the first row logged gives them."), this);
    m_schemaStatus->setObjectName(QStringLiteral("schemaStatus"));
    m_schemaStatus->setStyleSheet(themeStyle(QStringLiteral("color: @{muted};")));
    m_schemaStatus->setWordWrap(true);
    m_schema = new FeatureSchemaTable(this);
    m_schema->setMinimumHeight(150);
    auto *schemaButtons = new QHBoxLayout;
    schemaButtons->addWidget(m_fromModel);
    schemaButtons->addWidget(m_fromCsv);
    schemaButtons->addStretch(1);
    auto *schemaBox = new QWidget(this);
    auto *schemaLayout = new QVBoxLayout(schemaBox);
    schemaLayout->setContentsMargins(0, 0, 0, 0);
    schemaLayout->addLayout(schemaButtons);
    schemaLayout->addWidget(m_schemaStatus);
    schemaLayout->addWidget(m_schema, 1);

    m_imageStore =
        new ImageFolderField(tr("Image store folder"), tr("/data/images: the logged keys resolve here"), this);
    m_imageStore->lineEdit()->setObjectName(QStringLiteral("imageStoreEdit"));
    m_imageStore->browseButton()->setObjectName(QStringLiteral("imageStoreBrowse"));
    m_referenceSet = new ImageFolderField(tr("Reference training set"),
                                          tr("optional: one subfolder per class, added to retraining"), this);
    m_referenceSet->lineEdit()->setObjectName(QStringLiteral("referenceSetEdit"));
    m_referenceSet->browseButton()->setObjectName(QStringLiteral("referenceSetBrowse"));
    m_holdoutSet =
        new ImageFolderField(tr("Holdout set"), tr("optional: one subfolder per class, never trained on"), this);
    m_holdoutSet->lineEdit()->setObjectName(QStringLiteral("holdoutSetEdit"));
    m_holdoutSet->browseButton()->setObjectName(QStringLiteral("holdoutSetBrowse"));
    m_imageStoreRow = withReason(m_imageStore, m_imageStoreReason, QStringLiteral("imageStoreReason"), this);
    m_referenceSetRow = withReason(m_referenceSet, m_referenceSetReason, QStringLiteral("referenceSetReason"), this);
    m_holdoutSetRow = withReason(m_holdoutSet, m_holdoutSetReason, QStringLiteral("holdoutSetReason"), this);

    m_referenceRows = new QSpinBox(this);
    m_referenceRows->setObjectName(QStringLiteral("referenceRowsSpin"));
    m_referenceRows->setRange(100, 10'000'000);
    m_referenceRows->setSingleStep(1000);
    m_referenceRows->setGroupSeparatorShown(true);
    m_referenceRows->setValue(kDefaultReferenceRows);
    m_referenceRows->setSuffix(tr(" predictions"));
    auto *referenceRow = new QWidget(this);
    auto *referenceLayout = new QHBoxLayout(referenceRow);
    referenceLayout->setContentsMargins(0, 0, 0, 0);
    auto *referenceLabel = new QLabel(tr("the first"), referenceRow);
    referenceLayout->addWidget(referenceLabel);
    referenceLayout->addWidget(m_referenceRows);
    referenceLayout->addWidget(new QLabel(tr("logged"), referenceRow));
    referenceLayout->addStretch(1);
    referenceRow->setToolTip(tr("Drift compares recent predictions with this reference. Until that many predictions "
                                "are logged, the drift page says how full the reference is."));

    auto *form = new FormGrid(nullptr, QFormLayout::ExpandingFieldsGrow);
    m_form = form;
    form->addRow(tr("&Name:"), withReason(m_name, m_nameReason, QStringLiteral("nameReason"), this));
    form->addRow(tr("&Input:"), m_input);
    form->addRow(tr("&Task:"), m_task);
    form->addRow(tr("C&lasses:"), m_classesRow);
    form->addRow(tr("Image &store:"), m_imageStoreRow);
    form->addRow(tr("&Reference set:"), m_referenceSetRow);
    form->addRow(tr("&Holdout set:"), m_holdoutSetRow);
    form->addRow(tr("&Description:"),
                 withReason(m_description, m_descriptionReason, QStringLiteral("descriptionReason"), this));
    form->addRow(tr("Target &name:"),
                 withReason(m_targetName, m_targetNameReason, QStringLiteral("targetNameReason"), this));
    m_targetUnitRow = withReason(m_targetUnit, m_targetUnitReason, QStringLiteral("targetUnitReason"), this);
    form->addRow(tr("Target &unit:"), m_targetUnitRow);
    m_schemaRow = withReason(schemaBox, m_schemaReason, QStringLiteral("schemaReason"), this);
    form->addRow(tr("Features:"), m_schemaRow);
    form->addRow(tr("Drift reference:"), referenceRow);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    m_create = buttons->addButton(tr("Create"), QDialogButtonBox::AcceptRole);
    m_create->setObjectName(QStringLiteral("createButton"));
    m_create->setDefault(true);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_create, &QPushButton::clicked, this, &NewDeploymentDialog::create);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_error);
    layout->addLayout(form, 1);
    layout->addWidget(buttons);

    m_modelPicker = [this] {
        return QFileDialog::getOpenFileName(this, tr("Features from a model file"), QString(),
                                            tr("TorchScript models (*.pt *.pth *.ptl);;All files (*)"));
    };
    m_csvPicker = [this] {
        return QFileDialog::getOpenFileName(this, tr("Features from a CSV header"), QString(),
                                            tr("CSV files (*.csv);;All files (*)"));
    };

    for (QLineEdit *edit : {m_name, m_classes, m_description, m_targetName, m_targetUnit})
        connect(edit, &QLineEdit::textChanged, this, &NewDeploymentDialog::validate);
    connect(m_task, &QComboBox::currentIndexChanged, this, &NewDeploymentDialog::validate);
    connect(m_input, &QComboBox::currentIndexChanged, this, [this] {
        // An image deployment is a classifier.
        if (imageInput())
            m_task->setCurrentIndex(m_task->findData(QStringLiteral("classification")));
        validate();
    });
    for (ImageFolderField *field : {m_imageStore, m_referenceSet, m_holdoutSet})
        connect(field, &ImageFolderField::edited, this, &NewDeploymentDialog::validate);
    connect(m_classesFromModel, &QPushButton::clicked, this, [this] { readFrom(true); });
    connect(m_schema, &FeatureSchemaTable::schemaEdited, this, &NewDeploymentDialog::validate);
    connect(m_fromModel, &QPushButton::clicked, this, [this] { readFrom(true); });
    connect(m_fromCsv, &QPushButton::clicked, this, [this] { readFrom(false); });
    connect(&m_service, &DeploymentsService::schemaRead, this, &NewDeploymentDialog::onSchemaRead);
    connect(&m_service, &DeploymentsService::created, this, &NewDeploymentDialog::onCreated);
    validate();
}

NewDeploymentDialog::~NewDeploymentDialog() = default;

void NewDeploymentDialog::setModelFilePicker(FilePicker picker)
{
    m_modelPicker = std::move(picker);
}

void NewDeploymentDialog::setCsvFilePicker(FilePicker picker)
{
    m_csvPicker = std::move(picker);
}

void NewDeploymentDialog::setFolderPicker(
    const std::function<QString(const QString &title, const QString &start)> &picker)
{
    for (ImageFolderField *field : {m_imageStore, m_referenceSet, m_holdoutSet})
        field->setPicker(picker);
}

bool NewDeploymentDialog::imageInput() const
{
    return m_input->currentData().toString() == QLatin1String("image");
}

QString NewDeploymentDialog::imagesProblem() const
{
    if (!imageInput())
        return {};
    for (const QString &why :
         {ImageFolderChecks::storeProblem(m_imageStore->path()), ImageFolderChecks::setProblem(m_referenceSet->path()),
          ImageFolderChecks::setProblem(m_holdoutSet->path()),
          ImageFolderChecks::overlapProblem(m_imageStore->path(), m_referenceSet->path(), m_holdoutSet->path())})
        if (!why.isEmpty())
            return why;
    return {};
}

QString NewDeploymentDialog::nameProblem() const
{
    const QString name = m_name->text().trimmed();
    if (name.isEmpty())
        return tr("A name is required.");
    if (!isValidDeploymentName(name))
        return tr("Start with a lower-case letter, then use lower-case letters, digits, '-' or '_' (at most 63 "
                  "characters): the name goes into Redis keys.");
    if (m_existing.contains(name))
        return tr("A deployment named %1 already exists (archived ones keep their name).").arg(name);
    return {};
}

ClassSpec NewDeploymentDialog::classSpec() const
{
    ClassSpec spec;
    if (!m_classes->text().trimmed().isEmpty())
        for (const QString &c : m_classes->text().split(QLatin1Char(',')))
            spec.classes << c.trimmed();
    spec.decisionThreshold = m_threshold->value();
    return spec;
}

QString NewDeploymentDialog::classesProblem() const
{
    if (m_task->currentData().toString() != QLatin1String("classification"))
        return {};
    const ClassSpec spec = classSpec();
    if (spec.classes.isEmpty())
        return tr("A classifier needs its classes, in the order of the model's output (e.g. declined, accepted).");
    const Status valid = spec.validate();
    return valid ? QString() : valid.errorMessage();
}

bool NewDeploymentDialog::isComplete() const
{
    return nameProblem().isEmpty() && classesProblem().isEmpty() && imagesProblem().isEmpty() &&
           GeneralEditor::descriptionProblem(m_description->text()).isEmpty() &&
           GeneralEditor::targetNameProblem(m_targetName->text()).isEmpty() &&
           (imageInput() || GeneralEditor::targetUnitProblem(m_targetUnit->text()).isEmpty()) &&
           (imageInput() || m_schema->problem().isEmpty());
}

void NewDeploymentDialog::validate()
{
    // An empty name is not called out until something was typed: a fresh dialog opens without red text.
    showReason(m_nameReason, m_name->isModified() || !m_name->text().isEmpty() ? nameProblem() : QString());
    const bool classifier = m_task->currentData().toString() == QLatin1String("classification");
    const bool image = imageInput();
    m_form->setRowVisible(m_classesRow, classifier);
    m_task->setEnabled(!image);
    // The examples speak of the input chosen: a delay late or on time is no image's class.
    m_task->setItemText(m_task->findData(QStringLiteral("classification")),
                        image ? tr("Classification (the class of each image)")
                              : tr("Classification (a class, e.g. late or on time)"));
    m_targetName->setPlaceholderText(image ? tr("e.g. digit") : tr("e.g. delay"));
    m_form->setRowVisible(m_targetUnitRow, !image);
    m_classesFromModel->setVisible(image);
    m_form->setRowVisible(m_schemaRow, !image);
    for (QWidget *row : {m_imageStoreRow, m_referenceSetRow, m_holdoutSetRow})
        m_form->setRowVisible(row, image);
    // The store is required, but a fresh choice of "Image" opens without red text.
    showReason(m_imageStoreReason, image && !m_imageStore->path().isEmpty()
                                       ? ImageFolderChecks::storeProblem(m_imageStore->path())
                                       : QString());
    showReason(m_referenceSetReason, image ? ImageFolderChecks::setProblem(m_referenceSet->path()) : QString());
    const QString holdout = ImageFolderChecks::setProblem(m_holdoutSet->path());
    showReason(m_holdoutSetReason, !image ? QString()
                                   : !holdout.isEmpty()
                                       ? holdout
                                       : ImageFolderChecks::overlapProblem(m_imageStore->path(), m_referenceSet->path(),
                                                                           m_holdoutSet->path()));
    m_threshold->setEnabled(classSpec().isBinary());
    // More than two classes: the most probable is served, a threshold does not apply.
    const bool multiClass = classSpec().classes.size() > 2;
    m_threshold->setVisible(!multiClass);
    m_thresholdLabel->setVisible(!multiClass);
    showReason(m_classesReason, classesProblem());
    showReason(m_descriptionReason, GeneralEditor::descriptionProblem(m_description->text()));
    showReason(m_targetNameReason, GeneralEditor::targetNameProblem(m_targetName->text()));
    showReason(m_targetUnitReason, GeneralEditor::targetUnitProblem(m_targetUnit->text()));
    showReason(m_schemaReason, m_schema->problem());
    m_create->setEnabled(!m_busy && isComplete());
}

void NewDeploymentDialog::setBusy(bool busy, const QString &status)
{
    m_busy = busy;
    m_fromModel->setEnabled(!busy);
    m_fromCsv->setEnabled(!busy);
    m_classesFromModel->setEnabled(!busy);
    if (!status.isEmpty())
        m_schemaStatus->setText(status);
    validate();
}

void NewDeploymentDialog::readFrom(bool model)
{
    const FilePicker &picker = model ? m_modelPicker : m_csvPicker;
    const QString file = picker ? picker() : QString();
    if (file.isEmpty())
        return;
    m_error->hide();
    if (model) {
        setBusy(true, tr("Reading the metadata of %1…").arg(QFileInfo(file).fileName()));
        m_service.readModelSchema(file);
    } else {
        setBusy(true, tr("Reading the columns of %1…").arg(QFileInfo(file).fileName()));
        m_service.readCsvSchema(file, kCsvRowsRead);
    }
}

void NewDeploymentDialog::onSchemaRead(const Result<SchemaDraft> &draft)
{
    if (!m_busy || m_creating)
        return; // another dialog's request
    if (!draft) {
        setBusy(false, tr("The features could not be read; the table keeps what it had."));
        m_error->showMessage(draft.errorMessage(), InfoBar::Kind::Warning);
        Q_EMIT schemaLoaded(false);
        return;
    }
    m_schema->setSchema(draft->schema);
    const QString file = QFileInfo(draft->source).fileName();
    if (draft->imageInput) // an image model makes an image deployment
        m_input->setCurrentIndex(m_input->findData(QStringLiteral("image")));
    else if (!draft->task.isEmpty()) // a tabular model's deployment takes its features
        m_input->setCurrentIndex(m_input->findData(QStringLiteral("features")));
    if (draft->task.isEmpty()) {
        setBusy(false, tr("The columns of %1. Kinds and categories come from its first %2 rows: check them.")
                           .arg(file, QLocale().toString(kCsvRowsRead)));
    } else {
        // What the model says about itself fills what the user has not typed.
        if (const int i = m_task->findData(draft->task); i >= 0)
            m_task->setCurrentIndex(i);
        if (m_targetName->text().trimmed().isEmpty())
            m_targetName->setText(draft->targetName);
        if (m_targetUnit->text().trimmed().isEmpty())
            m_targetUnit->setText(draft->targetUnit);
        // A classifier's classes are the model's, in its output order.
        if (draft->classSpec.count() > 0) {
            m_classes->setText(draft->classSpec.classes.join(QStringLiteral(", ")));
            m_threshold->setValue(draft->classSpec.decisionThreshold);
        }
        setBusy(false, draft->imageInput ? tr("%1 takes images; its classes are filled in.").arg(file)
                                         : tr("The features of %1, from its metadata.").arg(file));
    }
    Q_EMIT schemaLoaded(true);
}

void NewDeploymentDialog::create()
{
    if (m_busy || !isComplete())
        return;
    NewDeployment spec;
    spec.name = m_name->text().trimmed();
    spec.task = m_task->currentData().toString();
    spec.description = m_description->text().trimmed();
    spec.targetName = m_targetName->text().trimmed();
    if (!imageInput()) // its row is hidden for images
        spec.targetUnit = m_targetUnit->text().trimmed();
    if (imageInput())
        spec.images = ImageFolderChecks::images(m_imageStore->path(), m_referenceSet->path(), m_holdoutSet->path());
    else
        spec.schema = m_schema->schema();
    if (spec.task == QLatin1String("classification"))
        spec.classSpec = classSpec();
    spec.driftReferenceRows = m_referenceRows->value();
    m_error->hide();
    m_creating = true;
    setBusy(true);
    m_service.create(spec);
}

void NewDeploymentDialog::onCreated(const Result<DeploymentInfo> &created)
{
    if (!m_creating)
        return;
    m_creating = false;
    setBusy(false);
    if (!created) {
        // Nothing was written; everything typed stays for another try.
        m_error->showMessage(tr("The deployment was not created: %1").arg(created.errorMessage()),
                             InfoBar::Kind::Warning);
        return;
    }
    Q_EMIT deploymentCreated(*created);
    accept();
}

} // namespace mldeck::ui

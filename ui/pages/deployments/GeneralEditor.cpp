#include "ui/pages/deployments/GeneralEditor.h"

#include "core/services/DeploymentsService.h"
#include "ui/pages/deployments/ImageFolderField.h"

#include <QLineEdit>

namespace mldeck::ui {

namespace {

const QString kDescription = QStringLiteral("description");
const QString kTargetName = QStringLiteral("targetName");
const QString kTargetUnit = QStringLiteral("targetUnit");
const QString kThreshold = QStringLiteral("decisionThreshold");
const QString kImageStore = QStringLiteral("imageStore");
const QString kReferenceSet = QStringLiteral("referenceSet");
const QString kHoldoutSet = QStringLiteral("holdoutSet");

// The column limits of mldeck.deployments (010_deployments.sql).
constexpr int kMaxTargetName = 200;
constexpr int kMaxTargetUnit = 50;
constexpr int kMaxDescription = 1000;

} // namespace

GeneralEditor::GeneralEditor(QWidget *parent)
    : SettingsEditor(SettingsArea::Deployments, tr("General"), parent), m_service(new DeploymentsService(this))
{
    setObjectName(QStringLiteral("generalEditor"));
    // A sentence: wider than the editors' usual fields.
    addText(kDescription, tr("Description"), &GeneralEditor::descriptionProblem,
            tr("What the model predicts, for whom"))
        ->setMinimumWidth(420);
    addText(kTargetName, tr("Target name"), &GeneralEditor::targetNameProblem, tr("e.g. delay"));
    m_targetUnit = addText(kTargetUnit, tr("Target unit"), &GeneralEditor::targetUnitProblem, tr("e.g. min"));
    m_threshold = addReal(
        kThreshold, tr("Decision threshold"),
        [this](double t) {
            return m_hasThreshold ? thresholdProblem(t)
                                  : tr("Only a binary classification deployment has a decision threshold.");
        },
        {}, true);
    m_threshold->setToolTip(tr("Binary classification: the positive class is served when its probability is at least "
                               "this. Empty for any other deployment."));
    // An image deployment's folders: shown for image deployments only.
    m_imagesHeading = addSection(tr("Images"));
    const auto addFolder = [this](const QString &key, const QString &label, const QString &placeholder,
                                  std::function<QString(const QString &)> check) {
        auto *field = new ImageFolderField(label, placeholder, this);
        field->setMinimumWidth(420);
        connect(field, &ImageFolderField::edited, this, &GeneralEditor::fieldEdited);
        addCustom(
            key, label, field, [field] { return QVariant(field->path()); },
            [field](const QVariant &v) { field->setPath(v.toString()); },
            [this, check](const QVariant &v) { return m_isImage ? check(v.toString()) : QString(); });
        field->lineEdit()->setObjectName(key + QStringLiteral("Edit"));
        m_folders.append(field);
    };
    addFolder(kImageStore, tr("Image store"), tr("the folder the logged image keys resolve in"),
              [this](const QString &path) {
                  if (path.trimmed().isEmpty() && !m_imagesError.isEmpty())
                      return tr("The stored image configuration cannot be read (%1). Give the folders again.")
                          .arg(m_imagesError);
                  return ImageFolderChecks::storeProblem(path);
              });
    addFolder(kReferenceSet, tr("Reference set"), tr("optional: one subfolder per class, added to retraining"),
              &ImageFolderChecks::setProblem);
    addFolder(kHoldoutSet, tr("Holdout set"), tr("optional: one subfolder per class, never trained on"),
              &ImageFolderChecks::setProblem);

    connect(m_service, &DeploymentsService::shown, this, [this](const Result<DeploymentInfo> &shown) {
        if (!shown) {
            setLoadFailed(deployment(), shown.errorMessage());
            return;
        }
        if (shown->name == deployment()) // an answer for an earlier selection is dropped
            setLoaded(shown->name, valuesOf(*shown));
    });
    connect(m_service, &DeploymentsService::saved, this, [this](const Result<DeploymentInfo> &saved) {
        if (!saved) {
            setSaveFailed(saved.errorMessage());
            return;
        }
        setSaved(valuesOf(*saved));
    });
}

GeneralEditor::~GeneralEditor() = default;

QString GeneralEditor::targetNameProblem(const QString &name)
{
    return name.trimmed().size() > kMaxTargetName ? tr("At most %1 characters.").arg(kMaxTargetName) : QString();
}

QString GeneralEditor::targetUnitProblem(const QString &unit)
{
    return unit.trimmed().size() > kMaxTargetUnit ? tr("At most %1 characters.").arg(kMaxTargetUnit) : QString();
}

QString GeneralEditor::descriptionProblem(const QString &description)
{
    return description.trimmed().size() > kMaxDescription ? tr("At most %1 characters.").arg(kMaxDescription)
                                                          : QString();
}

QString GeneralEditor::thresholdProblem(double threshold)
{
    return threshold > 0 && threshold < 1 ? QString() : tr("Between 0 and 1, both excluded.");
}

void GeneralEditor::applyEndpoint(const std::optional<PgEndpoint> &pg)
{
    m_service->setEndpoint(pg);
}

void GeneralEditor::setFolderPicker(const std::function<QString(const QString &title, const QString &start)> &picker)
{
    for (ImageFolderField *field : std::as_const(m_folders))
        field->setPicker(picker);
}

SettingsEditor::Values GeneralEditor::valuesOf(const DeploymentInfo &d)
{
    m_hasThreshold = d.task == QLatin1String("classification") && d.classSpec.isBinary();
    m_isImage = d.isImage(); // also when its stored configuration cannot be read: shown empty, to repair
    m_imagesError = d.imagesError;
    setRowVisible(m_imagesHeading, m_isImage);
    setRowVisible(m_targetUnit, !m_isImage);
    // More than two classes: the most probable is served, no threshold applies.
    setRowVisible(m_threshold, !(d.task == QLatin1String("classification") && d.classSpec.classes.size() > 2));
    for (ImageFolderField *field : std::as_const(m_folders))
        setRowVisible(field, m_isImage);
    m_images = d.images.value_or(ImageDeployment{});
    return Values{{kDescription, d.description},
                  {kTargetName, d.targetName},
                  {kTargetUnit, d.targetUnit},
                  {kThreshold, m_hasThreshold ? QVariant(d.classSpec.decisionThreshold) : QVariant()},
                  {kImageStore, m_images.store.root},
                  {kReferenceSet, m_images.referenceSet},
                  {kHoldoutSet, m_images.holdoutSet}};
}

QString GeneralEditor::checkForm(const Values &values) const
{
    return m_isImage ? ImageFolderChecks::overlapProblem(values.value(kImageStore).toString(),
                                                         values.value(kReferenceSet).toString(),
                                                         values.value(kHoldoutSet).toString())
                     : QString();
}

void GeneralEditor::setListed(const QList<DeploymentInfo> &deployments)
{
    m_listed.clear();
    for (const DeploymentInfo &d : deployments)
        m_listed.insert(d.name, d);
}

void GeneralEditor::load(const QString &deployment)
{
    if (const auto listed = m_listed.constFind(deployment); listed != m_listed.constEnd()) {
        const Values values = valuesOf(*listed);
        m_listed.erase(listed);
        setLoaded(deployment, values);
        return;
    }
    m_service->show(deployment);
}

void GeneralEditor::save(const QString &deployment, const Values &values)
{
    DeploymentEdit edit;
    edit.description = values.value(kDescription).toString().trimmed();
    edit.targetName = values.value(kTargetName).toString().trimmed();
    edit.targetUnit = values.value(kTargetUnit).toString().trimmed();
    if (m_hasThreshold && !values.value(kThreshold).isNull())
        edit.decisionThreshold = values.value(kThreshold).toDouble();
    // Folders are checked (their images listed) only when they changed.
    const ImageDeployment images =
        ImageFolderChecks::images(values.value(kImageStore).toString(), values.value(kReferenceSet).toString(),
                                  values.value(kHoldoutSet).toString());
    if (m_isImage && !(images == m_images))
        edit.images = images;
    m_service->set(deployment, edit);
}

} // namespace mldeck::ui

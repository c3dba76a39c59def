#include "ui/pages/retrain/TrainingStep.h"

#include "ui/Theme.h"
#include "ui/widgets/FormGrid.h"

#include <QButtonGroup>
#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QRadioButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include <cmath>
#include <limits>

namespace mldeck::ui {

namespace {

// The learning rate as typed: "0.0005", "5e-4" or the locale's decimal separator. NaN when unreadable.
double parseRate(const QString &text)
{
    bool ok = false;
    double v = text.trimmed().toDouble(&ok);
    if (!ok)
        v = QLocale().toDouble(text.trimmed(), &ok);
    return ok ? v : std::nan("");
}

QLabel *errorLabel(QWidget *parent, const QString &name)
{
    auto *l = new QLabel(parent);
    l->setObjectName(name);
    l->setWordWrap(true);
    l->setStyleSheet(themeStyle(QStringLiteral("color:@{bad};")));
    l->hide();
    return l;
}

} // namespace

TrainingStep::TrainingStep(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("trainingStep"));
    const TrainingParams defaults;
    m_fromChampion = new QRadioButton(tr("Start from the champion's weights (fine-tune)"), this);
    m_fromChampion->setObjectName(QStringLiteral("trainFromChampion"));
    m_reinit = new QRadioButton(tr("Re-initialise every weight (seeded)"), this);
    m_reinit->setObjectName(QStringLiteral("trainReinit"));
    auto *group = new QButtonGroup(this);
    group->addButton(m_fromChampion);
    group->addButton(m_reinit);
    (defaults.startFromBase ? m_fromChampion : m_reinit)->setChecked(true);

    m_epochs = new QSpinBox(this);
    m_epochs->setObjectName(QStringLiteral("trainEpochs"));
    m_epochs->setRange(0, 1000);
    m_epochs->setValue(defaults.epochs);
    m_learningRate = new QLineEdit(QString::number(defaults.learningRate), this);
    m_learningRate->setObjectName(QStringLiteral("trainLearningRate"));
    m_learningRate->setToolTip(tr("For example 0.0005 or 5e-4"));
    m_learningRateError = errorLabel(this, QStringLiteral("trainLearningRateError"));
    m_batchSize = new QSpinBox(this);
    m_batchSize->setObjectName(QStringLiteral("trainBatchSize"));
    m_batchSize->setRange(0, 1 << 20);
    m_batchSize->setValue(defaults.batchSize);
    m_earlyStop = new QSpinBox(this);
    m_earlyStop->setObjectName(QStringLiteral("trainEarlyStopping"));
    m_earlyStop->setRange(0, 1000);
    m_earlyStop->setValue(defaults.earlyStoppingPatience);
    m_earlyStop->setSpecialValueText(tr("off"));
    m_earlyStop->setSuffix(tr(" epochs"));
    m_plateauFactor = new QDoubleSpinBox(this);
    m_plateauFactor->setObjectName(QStringLiteral("trainPlateauFactor"));
    m_plateauFactor->setRange(0, 1);
    m_plateauFactor->setDecimals(2);
    m_plateauFactor->setSingleStep(0.05);
    m_plateauFactor->setValue(defaults.plateauFactor);
    m_plateauPatience = new QSpinBox(this);
    m_plateauPatience->setObjectName(QStringLiteral("trainPlateauPatience"));
    m_plateauPatience->setRange(0, 1000);
    m_plateauPatience->setValue(defaults.plateauPatience);
    m_plateauPatience->setSpecialValueText(tr("off"));
    m_plateauPatience->setSuffix(tr(" epochs"));
    m_seed = new QSpinBox(this);
    m_seed->setObjectName(QStringLiteral("trainSeed"));
    m_seed->setRange(0, std::numeric_limits<int>::max());
    m_seed->setValue(int(defaults.seed));
    m_balanced = new QCheckBox(tr("Balance the classes: a rare class weighs more in the loss"), this);
    m_balanced->setObjectName(QStringLiteral("trainBalancedClasses"));
    m_balanced->setToolTip(tr("Each class weighs n / (K × its rows): every class counts as much in training"));

    auto *plateau = new QHBoxLayout;
    plateau->addWidget(new QLabel(tr("multiply by"), this));
    plateau->addWidget(m_plateauFactor);
    plateau->addWidget(new QLabel(tr("after"), this));
    plateau->addWidget(m_plateauPatience);
    plateau->addWidget(new QLabel(tr("without improvement"), this));
    plateau->addStretch(1);

    for (QWidget *field : std::initializer_list<QWidget *>{m_epochs, m_learningRate, m_batchSize, m_earlyStop, m_seed})
        field->setMinimumWidth(140);
    auto *form = new FormGrid(nullptr, QFormLayout::FieldsStayAtSizeHint);
    m_form = form;
    form->addRow(tr("Weights"), m_fromChampion);
    form->addRow(QString(), m_reinit);
    form->addRow(tr("Epochs"), m_epochs);
    form->addRow(tr("Learning rate"), m_learningRate);
    form->addRow(QString(), m_learningRateError);
    form->addRow(tr("Batch size"), m_batchSize);
    form->addRow(tr("Early stopping patience"), m_earlyStop);
    form->addRow(tr("Learning rate on plateau"), plateau);
    form->addRow(tr("Seed"), m_seed);
    form->addRow(tr("Class weights"), m_balanced);
    m_flip = new QCheckBox(tr("Mirror half of the images left-right"), this);
    m_flip->setObjectName(QStringLiteral("trainMirrorImages"));
    m_flip->setToolTip(tr("Off for images whose meaning changes when mirrored, such as digits or text"));
    m_crop = new QDoubleSpinBox(this);
    m_crop->setObjectName(QStringLiteral("trainMaxCrop"));
    m_crop->setRange(0, 50);
    m_crop->setSingleStep(5);
    m_crop->setDecimals(0);
    m_crop->setSuffix(QStringLiteral(" %"));
    m_crop->setToolTip(tr("Up to this share of each side cut off at random, the rest resized back; 0 = no crops"));
    form->addRow(tr("Training images"), m_flip);
    form->addRow(tr("Largest random crop"), m_crop);
    setClassifier(false);
    setImages(false);
    setAugmentation(ImageAugmentation{});

    m_error = errorLabel(this, QStringLiteral("trainParamsError"));
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_error);
    layout->addStretch(1);

    for (QSpinBox *s : {m_epochs, m_batchSize, m_earlyStop, m_plateauPatience, m_seed})
        connect(s, &QSpinBox::valueChanged, this, &TrainingStep::validate);
    connect(m_plateauFactor, &QDoubleSpinBox::valueChanged, this, &TrainingStep::validate);
    connect(m_learningRate, &QLineEdit::textChanged, this, &TrainingStep::validate);
    connect(m_fromChampion, &QRadioButton::toggled, this, &TrainingStep::validate);
    validate();
}

TrainingParams TrainingStep::params() const
{
    TrainingParams p;
    p.startFromBase = m_fromChampion->isChecked();
    p.epochs = m_epochs->value();
    p.learningRate = parseRate(m_learningRate->text());
    p.batchSize = m_batchSize->value();
    p.earlyStoppingPatience = m_earlyStop->value();
    p.plateauFactor = m_plateauFactor->value();
    p.plateauPatience = m_plateauPatience->value();
    p.seed = quint64(m_seed->value());
    p.balancedClassWeights = m_balanced->isVisibleTo(this) && m_balanced->isChecked();
    return p;
}

void TrainingStep::setClassifier(bool classifier)
{
    m_form->setRowVisible(m_balanced, classifier);
    if (!classifier)
        m_balanced->setChecked(false);
}

void TrainingStep::setImages(bool images)
{
    m_form->setRowVisible(m_flip, images);
    m_form->setRowVisible(m_crop, images);
}

ImageAugmentation TrainingStep::augmentation() const
{
    ImageAugmentation a;
    a.horizontalFlip = m_flip->isChecked();
    a.maxCrop = m_crop->value() / 100.0;
    return a;
}

void TrainingStep::setAugmentation(const ImageAugmentation &augmentation)
{
    m_flip->setChecked(augmentation.horizontalFlip);
    m_crop->setValue(augmentation.maxCrop * 100.0);
}

QString TrainingStep::error() const
{
    return m_error->isVisibleTo(const_cast<TrainingStep *>(this)) ? m_error->text() : QString();
}

void TrainingStep::validate()
{
    const TrainingParams p = params();
    // The learning rate is the one free-text field: say what is wrong with it next to it.
    const bool rateUnreadable = std::isnan(p.learningRate);
    m_learningRateError->setVisible(rateUnreadable);
    if (m_form)
        m_form->setRowVisible(m_learningRateError, rateUnreadable); // no empty band when all is well
    m_learningRateError->setText(rateUnreadable ? tr("Not a number: write it like 0.0005 or 5e-4.") : QString());
    Status s = rateUnreadable ? Status(Error{tr("The learning rate is not a number.")}) : p.validate();
    m_valid = s.ok();
    m_error->setVisible(!m_valid);
    m_error->setText(m_valid ? QString() : s.errorMessage());
    m_learningRate->setStyleSheet(
        rateUnreadable || (!m_valid && s.errorMessage().contains(QStringLiteral("learning"), Qt::CaseInsensitive))
            ? themeStyle(QStringLiteral("border:1px solid @{bad};"))
            : QString());
    Q_EMIT changed();
}

} // namespace mldeck::ui

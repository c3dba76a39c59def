#pragma once

#include "core/ml/ImageTrainer.h"
#include "core/ml/Trainer.h"

#include <QWidget>

class QCheckBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QRadioButton;
class QSpinBox;

namespace mldeck::ui {

class FormGrid;

// Step 3, "Training": start from the champion's weights or re-initialise; epochs, learning rate, batch
// size, early stopping, learning-rate reduction on plateau, seed; for a classifier, balanced class weights.
// TrainingParams::validate() decides what is valid; its message is shown under the form and the wizard keeps Next
// disabled.
class TrainingStep final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TrainingStep)

public:
    explicit TrainingStep(QWidget *parent = nullptr);

    TrainingParams params() const; // as typed (possibly invalid)
    // A classifier's deployment offers balanced class weights (hidden, and off, otherwise).
    void setClassifier(bool classifier);
    // An image deployment offers the augmentation of its training images (hidden otherwise).
    void setImages(bool images);
    ImageAugmentation augmentation() const;
    void setAugmentation(const ImageAugmentation &augmentation); // the deployment's retrain settings
    bool isValid() const { return m_valid; }
    QString error() const;

Q_SIGNALS:
    void changed();

private:
    void validate();

    QRadioButton *m_fromChampion = nullptr;
    QRadioButton *m_reinit = nullptr;
    QSpinBox *m_epochs = nullptr;
    QLineEdit *m_learningRate = nullptr;
    QSpinBox *m_batchSize = nullptr;
    QSpinBox *m_earlyStop = nullptr;
    QDoubleSpinBox *m_plateauFactor = nullptr;
    QSpinBox *m_plateauPatience = nullptr;
    QSpinBox *m_seed = nullptr;
    QCheckBox *m_balanced = nullptr;
    QCheckBox *m_flip = nullptr;
    QDoubleSpinBox *m_crop = nullptr;
    QLabel *m_learningRateError = nullptr;
    QLabel *m_error = nullptr;
    FormGrid *m_form = nullptr;
    bool m_valid = true;
};

} // namespace mldeck::ui

#include "ui/pages/deployments/ImageFolderField.h"

#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QLineEdit>
#include <QPushButton>

namespace mldeck::ui {

ImageFolderField::ImageFolderField(const QString &title, const QString &placeholder, QWidget *parent)
    : QWidget(parent), m_title(title)
{
    m_edit = new QLineEdit(this);
    m_edit->setPlaceholderText(placeholder);
    m_browse = new QPushButton(tr("Browse…"), this);
    m_browse->setToolTip(tr("Choose the folder"));
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_edit, 1);
    layout->addWidget(m_browse);
    m_picker = [this](const QString &dialogTitle, const QString &start) {
        return QFileDialog::getExistingDirectory(this, dialogTitle, start);
    };
    connect(m_edit, &QLineEdit::textEdited, this, &ImageFolderField::edited);
    connect(m_browse, &QPushButton::clicked, this, [this] {
        const QString chosen = m_picker ? m_picker(m_title, path()) : QString();
        if (chosen.isEmpty())
            return;
        setPath(chosen);
        Q_EMIT edited();
    });
}

QString ImageFolderField::path() const
{
    const QString typed = m_edit->text().trimmed();
    return typed.isEmpty() ? QString() : QDir::cleanPath(typed);
}

void ImageFolderField::setPath(const QString &path)
{
    m_edit->setText(QDir::toNativeSeparators(path));
}

QString ImageFolderChecks::storeProblem(const QString &path)
{
    if (path.trimmed().isEmpty())
        return tr("The folder the logged image keys resolve in is required.");
    return ImageDeployment::folderProblem(path.trimmed());
}

QString ImageFolderChecks::setProblem(const QString &path)
{
    return path.trimmed().isEmpty() ? QString() : ImageDeployment::folderProblem(path.trimmed());
}

QString ImageFolderChecks::overlapProblem(const QString &store, const QString &reference, const QString &holdout)
{
    if (ImageDeployment::overlaps(holdout, reference))
        return tr("The holdout must be apart from the reference set: training never sees its images.");
    if (ImageDeployment::overlaps(holdout, store))
        return tr("The holdout must be apart from the image store: training never sees its images.");
    return {};
}

ImageDeployment ImageFolderChecks::images(const QString &store, const QString &reference, const QString &holdout)
{
    ImageDeployment d;
    d.store.root = QDir::cleanPath(store.trimmed());
    d.referenceSet = reference.trimmed().isEmpty() ? QString() : QDir::cleanPath(reference.trimmed());
    d.holdoutSet = holdout.trimmed().isEmpty() ? QString() : QDir::cleanPath(holdout.trimmed());
    return d;
}

} // namespace mldeck::ui

#pragma once

#include "core/domain/ImageDeployment.h"

#include <QCoreApplication>
#include <QWidget>

#include <functional>

class QLineEdit;
class QPushButton;

namespace mldeck::ui {

// A folder of an image deployment, typed or picked: a line edit and a "Browse…" button. Used by the New
// deployment dialog and the Deployments page's General editor.
class ImageFolderField final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ImageFolderField)

public:
    // Returns the folder chosen, empty when cancelled; title: what the folder is for.
    using Picker = std::function<QString(const QString &title, const QString &start)>;

    ImageFolderField(const QString &title, const QString &placeholder, QWidget *parent = nullptr);

    QString path() const; // trimmed, cleaned; empty: none
    void setPath(const QString &path);
    void setPicker(Picker picker) { m_picker = std::move(picker); }
    QLineEdit *lineEdit() const { return m_edit; }
    QPushButton *browseButton() const { return m_browse; }

Q_SIGNALS:
    void edited();

private:
    QString m_title;
    QLineEdit *m_edit = nullptr;
    QPushButton *m_browse = nullptr;
    Picker m_picker;
};

// What the fields say next to them, checked on this host as the user types (a folder's contents are
// checked by ImageDeployment::check when the configuration is saved). Empty when acceptable.
struct ImageFolderChecks
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::ui::ImageFolderChecks)

public:
    static QString storeProblem(const QString &path); // required
    static QString setProblem(const QString &path);   // optional
    // The holdout apart from the reference set and from the store (ImageDeployment::overlaps).
    static QString overlapProblem(const QString &store, const QString &reference, const QString &holdout);
    static ImageDeployment images(const QString &store, const QString &reference, const QString &holdout);
};

} // namespace mldeck::ui

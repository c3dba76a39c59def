#pragma once

#include "core/domain/Result.h"

#include <QString>
#include <QStringList>

#include <vector>

namespace mldeck {

// A labelled folder: one subfolder per class, named exactly as the class, holding that class's images
// (files directly inside; hidden files skipped; the content decides whether it is an image, later).
struct ImageItem
{
    QString key;    // relative to the folder, e.g. "cat/001.png": a FolderImageStore on root reads it
    int label = -1; // index into classes
};

struct LabelledImages
{
    QString root;
    QStringList classes;
    std::vector<ImageItem> items; // sorted by key: deterministic
    QStringList notes;            // e.g. a class without a subfolder
};

// Errors: root missing or not a directory, a subfolder that is not one of the classes (named).
// A class without a subfolder (or an empty one) is a note, not an error.
Result<LabelledImages> listLabelledImages(const QString &root, const QStringList &classes);

} // namespace mldeck

#include "core/ml/image/LabelledImages.h"
#include "core/Text.h"

#include <QDir>
#include <QFileInfo>

#include <algorithm>

namespace mldeck {

Result<LabelledImages> listLabelledImages(const QString &root, const QStringList &classes)
{
    const QFileInfo info(root);
    if (!info.exists())
        return Error{MlText::tr("The labelled image folder %1 does not exist.").arg(root)};
    if (!info.isDir())
        return Error{MlText::tr("%1 is not a folder.").arg(root)};
    LabelledImages set;
    set.root = root;
    set.classes = classes;
    const QDir dir(root);
    const QStringList subfolders = dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
    for (const QString &sub : subfolders)
        if (!classes.contains(sub))
            return Error{MlText::tr("The folder %1 has a subfolder \"%2\" that is not one of the classes (%3).")
                             .arg(root, sub, classes.join(QStringLiteral(", ")))};
    for (int label = 0; label < classes.size(); ++label) {
        const QString &name = classes.at(label);
        if (!subfolders.contains(name)) {
            set.notes << MlText::tr("Class \"%1\" has no subfolder in %2: no images of it.").arg(name, root);
            continue;
        }
        const QDir classDir(dir.filePath(name));
        const QStringList files = classDir.entryList(QDir::Files, QDir::Name); // hidden skipped
        if (!classDir.entryList(QDir::Dirs | QDir::NoDotAndDotDot).isEmpty())
            set.notes << MlText::tr("Subfolders inside class \"%1\" in %2 are not read.").arg(name, root);
        if (files.isEmpty())
            set.notes << MlText::tr("Class \"%1\" has an empty subfolder in %2.").arg(name, root);
        for (const QString &file : files)
            set.items.push_back({name + QLatin1Char('/') + file, label});
    }
    std::sort(set.items.begin(), set.items.end(), [](const ImageItem &a, const ImageItem &b) { return a.key < b.key; });
    return set;
}

} // namespace mldeck

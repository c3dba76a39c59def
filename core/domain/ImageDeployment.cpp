#include "core/domain/ImageDeployment.h"

#include "core/Text.h"
#include "core/ml/image/LabelledImages.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonValue>

namespace mldeck {

namespace {

const QString kStore = QStringLiteral("store");
const QString kReference = QStringLiteral("reference_set");
const QString kHoldout = QStringLiteral("holdout_set");

// An optional set: absent or "" is none; otherwise an absolute path (the configuration is read by
// the console, the guard and the worker, each from its own working directory).
Result<QString> setPath(const QJsonObject &o, const QString &field)
{
    const QJsonValue v = o.value(field);
    if (v.isUndefined() || v.isNull())
        return QString();
    if (!v.isString())
        return Error{DomainText::tr("image configuration: \"%1\" must be a folder path").arg(field)};
    const QString path = v.toString().trimmed();
    if (path.isEmpty())
        return QString();
    if (!QDir::isAbsolutePath(path))
        return Error{
            DomainText::tr("image configuration: \"%1\" must be an absolute path (%2 given)").arg(field, path)};
    return QDir::cleanPath(path);
}

enum class Set
{
    Reference,
    Holdout
};

// Whole sentences per set: French needs a different article and agreement for each noun.
QString notAFolder(Set set, const QString &path)
{
    return set == Set::Reference ? DomainText::tr("The reference set %1 is not a readable folder.").arg(path)
                                 : DomainText::tr("The holdout set %1 is not a readable folder.").arg(path);
}

// The set's folder exists, is readable and holds files of the classes only.
Status checkSet(Set set, const QString &path, const QStringList &classes)
{
    if (path.isEmpty())
        return {};
    if (!ImageDeployment::folderProblem(path).isEmpty())
        return Error{notAFolder(set, path)};
    const auto listed = listLabelledImages(path, classes);
    const QString list = classes.join(QStringLiteral(", "));
    if (!listed)
        return Error{set == Set::Reference ? DomainText::tr("The reference set %1: %2").arg(path, listed.errorMessage())
                                           : DomainText::tr("The holdout set %1: %2").arg(path, listed.errorMessage())};
    if (listed->items.empty())
        return Error{set == Set::Reference
                         ? DomainText::tr("The reference set %1 holds no file in a subfolder named after a class (%2).")
                               .arg(path, list)
                         : DomainText::tr("The holdout set %1 holds no file in a subfolder named after a class (%2).")
                               .arg(path, list)};
    return {};
}

bool within(const QString &inner, const QString &outer)
{
    return inner == outer || inner.startsWith(outer.endsWith(QLatin1Char('/')) ? outer : outer + QLatin1Char('/'));
}

// The path as the file system resolves it (symlinks followed); a path that does not exist yet: cleaned.
QString resolved(const QString &path)
{
    const QFileInfo info(path);
    const QString canonical = info.canonicalFilePath();
    return canonical.isEmpty() ? QDir::cleanPath(info.absoluteFilePath()) : canonical;
}

} // namespace

QJsonObject ImageDeployment::toJson() const
{
    QJsonObject o{{kStore, store.toJson()}};
    if (!referenceSet.isEmpty())
        o.insert(kReference, referenceSet);
    if (!holdoutSet.isEmpty())
        o.insert(kHoldout, holdoutSet);
    return o;
}

Result<ImageDeployment> ImageDeployment::fromJson(const QJsonObject &o)
{
    for (auto it = o.begin(); it != o.end(); ++it)
        if (it.key() != kStore && it.key() != kReference && it.key() != kHoldout)
            return Error{DomainText::tr("image configuration: unknown field \"%1\"").arg(it.key())};
    if (!o.value(kStore).isObject())
        return Error{DomainText::tr("image configuration: \"store\" (the image store) is missing")};
    auto store = ImageStoreConfig::fromJson(o.value(kStore).toObject());
    if (!store)
        return Error{DomainText::tr("image configuration: store: %1").arg(store.errorMessage())};
    auto reference = setPath(o, kReference);
    if (!reference)
        return reference.error();
    auto holdout = setPath(o, kHoldout);
    if (!holdout)
        return holdout.error();
    ImageDeployment d;
    d.store = std::move(store).value();
    d.referenceSet = *reference;
    d.holdoutSet = *holdout;
    return d;
}

Status ImageDeployment::check(const QStringList &classes) const
{
    const auto shaped = fromJson(toJson());
    if (!shaped)
        return shaped.error();
    if (classes.size() < 2)
        return Error{DomainText::tr("An image deployment needs its classes (at least two).")};
    if (QFileInfo(shaped->store.root).canonicalFilePath() == QDir::rootPath())
        return Error{DomainText::tr("The image store cannot be the root folder /: logged keys would reach any file.")};
    if (auto opened = openImageStore(shaped->store); !opened)
        return Error{DomainText::tr("The image store: %1").arg(opened.errorMessage())};
    if (Status s = checkSet(Set::Reference, shaped->referenceSet, classes); !s)
        return s;
    if (Status s = checkSet(Set::Holdout, shaped->holdoutSet, classes); !s)
        return s;
    if (overlaps(shaped->holdoutSet, shaped->referenceSet))
        return Error{DomainText::tr("The holdout set %1 and the reference set %2 overlap: a fixed holdout must "
                                    "hold images that training never sees.")
                         .arg(shaped->holdoutSet, shaped->referenceSet)};
    // Retraining reads the logged keys through the store: a holdout inside it (or around it) could be trained on.
    if (overlaps(shaped->holdoutSet, shaped->store.root))
        return Error{DomainText::tr("The holdout set %1 and the image store %2 overlap: a fixed holdout must "
                                    "hold images that training never sees.")
                         .arg(shaped->holdoutSet, shaped->store.root)};
    return {};
}

bool ImageDeployment::overlaps(const QString &a, const QString &b)
{
    if (a.trimmed().isEmpty() || b.trimmed().isEmpty())
        return false;
    const QString ra = resolved(a.trimmed());
    const QString rb = resolved(b.trimmed());
    return within(ra, rb) || within(rb, ra);
}

QString ImageDeployment::folderProblem(const QString &path)
{
    if (!QDir::isAbsolutePath(path))
        return DomainText::tr("Give the whole path (from /): the guard and the model worker read it too.");
    const QFileInfo info(path);
    if (!info.exists())
        return DomainText::tr("No such folder.");
    if (!info.isDir())
        return DomainText::tr("Not a folder.");
    if (!info.isReadable())
        return DomainText::tr("This folder cannot be read.");
    return {};
}

} // namespace mldeck

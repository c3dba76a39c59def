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
        return Error{DomainText::tr("image configuration: \"%1\" must be an absolute path (%2 given)").arg(field, path)};
    return QDir::cleanPath(path);
}

// The set's folder exists, is readable and holds images of the classes only.
Status checkSet(const QString &what, const QString &path, const QStringList &classes)
{
    if (path.isEmpty())
        return {};
    const QFileInfo info(path);
    if (!info.isDir() || !info.isReadable())
        return Error{DomainText::tr("The %1 %2 is not a readable folder.").arg(what, path)};
    const auto listed = listLabelledImages(path, classes);
    if (!listed)
        return Error{DomainText::tr("The %1 %2: %3").arg(what, path, listed.errorMessage())};
    if (listed->items.empty())
        return Error{DomainText::tr("The %1 %2 holds no image in a subfolder named after a class (%3).")
                         .arg(what, path, classes.join(QStringLiteral(", ")))};
    return {};
}

bool within(const QString &inner, const QString &outer)
{
    return inner == outer || inner.startsWith(outer.endsWith(QLatin1Char('/')) ? outer : outer + QLatin1Char('/'));
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
    if (auto opened = openImageStore(shaped->store); !opened)
        return Error{DomainText::tr("The image store: %1").arg(opened.errorMessage())};
    if (Status s = checkSet(DomainText::tr("reference set"), shaped->referenceSet, classes); !s)
        return s;
    if (Status s = checkSet(DomainText::tr("holdout set"), shaped->holdoutSet, classes); !s)
        return s;
    if (!shaped->referenceSet.isEmpty() && !shaped->holdoutSet.isEmpty()) {
        const QString reference = QFileInfo(shaped->referenceSet).canonicalFilePath();
        const QString holdout = QFileInfo(shaped->holdoutSet).canonicalFilePath();
        if (within(holdout, reference) || within(reference, holdout))
            return Error{DomainText::tr("The holdout set %1 and the reference set %2 overlap: a fixed holdout must "
                                        "hold images that training never sees.")
                             .arg(shaped->holdoutSet, shaped->referenceSet)};
    }
    return {};
}

} // namespace mldeck

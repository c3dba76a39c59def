#include "core/ml/image/ImageStore.h"
#include "core/Text.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

namespace mldeck {

namespace {

constexpr int kMaxKeyLength = 1024;
// Read whole, once per decoding thread at a time: a larger file is refused unread. 64 MB bounds the
// transient memory (Qt's own 256 MB image allocation limit refuses most larger images after the read).
constexpr qint64 kMaxImageFileBytes = 64LL * 1024 * 1024;

} // namespace

Status checkImageKey(const QString &key)
{
    if (key.isEmpty())
        return Error{MlText::tr("An image key is empty.")};
    if (key.size() > kMaxKeyLength)
        return Error{
            MlText::tr("The image key \"%1…\" is longer than %2 characters.").arg(key.left(40)).arg(kMaxKeyLength)};
    for (const QChar ch : key) {
        if (ch.unicode() < 0x20 || ch.unicode() == 0x7f || ch == QLatin1Char('\\'))
            return Error{MlText::tr("The image key \"%1\" contains a backslash or a control character.").arg(key)};
    }
    if (key.startsWith(QLatin1Char('/')))
        return Error{MlText::tr("The image key \"%1\" is an absolute path; keys are relative to the store.").arg(key)};
    for (const QString &part : key.split(QLatin1Char('/'))) {
        if (part.isEmpty() || part == QLatin1String(".") || part == QLatin1String(".."))
            return Error{MlText::tr("The image key \"%1\" has an empty, \".\" or \"..\" component.").arg(key)};
    }
    return {};
}

FolderImageStore::FolderImageStore(QString root)
    : m_root(std::move(root)), m_canonical(QFileInfo(m_root).canonicalFilePath())
{
}

QString FolderImageStore::describe() const
{
    return tr("folder %1").arg(m_root);
}

Result<QByteArray> FolderImageStore::read(const QString &key) const
{
    if (const Status valid = checkImageKey(key); !valid)
        return valid.error();
    // The root may have been mounted after this store was made.
    const QString base = m_canonical.isEmpty() ? QFileInfo(m_root).canonicalFilePath() : m_canonical;
    if (base.isEmpty())
        return Error{tr("Image %1: the store's folder %2 does not exist.").arg(key, m_root)};
    const QFileInfo file(base + QLatin1Char('/') + key);
    if (!file.exists())
        return Error{tr("Image %1 is missing from %2.").arg(key, describe())};
    // Symlinks are followed, but never out of the folder.
    if (!file.canonicalFilePath().startsWith(base + QLatin1Char('/')))
        return Error{tr("Image %1 leads outside the store's folder %2: refused.").arg(key, m_root)};
    if (!file.isFile())
        return Error{tr("Image %1 in %2 is not a file.").arg(key, describe())};
    if (file.size() > kMaxImageFileBytes)
        return Error{tr("Image %1 is %2 MB, more than the %3 MB MLDeck reads.")
                         .arg(key)
                         .arg(file.size() / (1024 * 1024))
                         .arg(kMaxImageFileBytes / (1024 * 1024))};
    QFile f(file.canonicalFilePath()); // the path just checked: a symlink swapped in since cannot lead out
    if (!f.open(QIODevice::ReadOnly))
        return Error{tr("Image %1 cannot be read: %2").arg(key, f.errorString())};
    QByteArray bytes = f.readAll();
    if (f.error() != QFileDevice::NoError)
        return Error{tr("Image %1 cannot be read: %2").arg(key, f.errorString())};
    return bytes;
}

QJsonObject ImageStoreConfig::toJson() const
{
    return {{QStringLiteral("kind"), kind}, {QStringLiteral("root"), root}};
}

Result<ImageStoreConfig> ImageStoreConfig::fromJson(const QJsonObject &o)
{
    ImageStoreConfig config;
    const QJsonValue kind = o.value(QLatin1String("kind"));
    if (!kind.isUndefined())
        config.kind = kind.toString();
    if (config.kind != QLatin1String("folder"))
        return Error{
            MlText::tr("image store: \"kind\" must be \"folder\" (the only kind this MLDeck knows), not \"%1\"")
                .arg(kind.isString() ? config.kind : QStringLiteral("?"))};
    config.root = o.value(QLatin1String("root")).toString();
    if (config.root.isEmpty() || !QDir::isAbsolutePath(config.root))
        return Error{MlText::tr("image store: \"root\" must be an absolute folder path")};
    return config;
}

Result<std::unique_ptr<ImageStore>> openImageStore(const ImageStoreConfig &config)
{
    if (config.kind != QLatin1String("folder"))
        return Error{MlText::tr("Unknown image store kind \"%1\" (this MLDeck knows \"folder\").").arg(config.kind)};
    const QFileInfo root(config.root);
    if (config.root.isEmpty() || !root.exists())
        return Error{MlText::tr("The image folder %1 does not exist.").arg(config.root)};
    if (!root.isDir())
        return Error{MlText::tr("The image store path %1 is not a folder.").arg(config.root)};
    if (!root.isReadable() || !root.isExecutable())
        return Error{MlText::tr("The image folder %1 cannot be read.").arg(config.root)};
    return std::unique_ptr<ImageStore>(std::make_unique<FolderImageStore>(config.root));
}

} // namespace mldeck

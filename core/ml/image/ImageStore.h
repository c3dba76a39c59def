#pragma once

#include "core/domain/Result.h"

#include <QByteArray>
#include <QCoreApplication>
#include <QJsonObject>
#include <QString>

#include <memory>

namespace mldeck {

// Where the images of an image deployment live: the prediction log and the feedback hold only a key,
// the store maps it to the image's bytes. MLDeck never copies images into PostgreSQL. A folder first;
// an object store can be added behind the same interface (resources/contract/images.md).
class ImageStore
{
public:
    virtual ~ImageStore() = default;
    // The encoded bytes of the image at key. A bad, missing or unreadable key: an Error naming it.
    // Safe to call from several threads at once.
    virtual Result<QByteArray> read(const QString &key) const = 0;
    // For people: "folder /data/cats".
    virtual QString describe() const = 0;
};

// A key is a relative path with '/' separators: not empty, at most 1024 characters, no absolute path,
// no "." or ".." component, no empty component, no backslash, no NUL or other control character.
Status checkImageKey(const QString &key);

// One file per key under root (a local or mounted folder). A key whose resolved file (symlinks
// followed) lies outside root is refused.
class FolderImageStore final : public ImageStore
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::FolderImageStore)

public:
    explicit FolderImageStore(QString root);
    Result<QByteArray> read(const QString &key) const override;
    QString describe() const override;
    const QString &root() const { return m_root; }

private:
    QString m_root;      // as configured
    QString m_canonical; // canonical path of root, for the escape check
};

// How a deployment reaches its store (kept in its settings): {"kind": "folder", "root": "/data/cats"}.
struct ImageStoreConfig
{
    QString kind = QStringLiteral("folder");
    QString root;
    QJsonObject toJson() const;
    // Unknown kind, missing or relative root: refused, the field named.
    static Result<ImageStoreConfig> fromJson(const QJsonObject &o);
};

// The store a config describes; the root must exist and be a readable directory.
Result<std::unique_ptr<ImageStore>> openImageStore(const ImageStoreConfig &config);

} // namespace mldeck

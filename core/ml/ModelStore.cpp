#include "core/ml/ModelStore.h"
#include "core/Text.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QSaveFile>
#include <QStandardPaths>

namespace mldeck {

namespace {

Q_LOGGING_CATEGORY(lcModelStore, "mldeck.ml.store")

bool isSha256Hex(const QByteArray &s)
{
    if (s.size() != 64)
        return false;
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    return true;
}

} // namespace

QString ModelStore::defaultDirectory()
{
    const QString fromEnv = qEnvironmentVariable("MLDECK_MODEL_STORE");
    if (!fromEnv.isEmpty())
        return QDir(fromEnv).absolutePath();
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) +
           QStringLiteral("/MLDeck/MLDeck/models");
}

ModelStore::ModelStore(QString directory) : m_directory(QDir(directory).absolutePath()) {}

Result<QByteArray> ModelStore::sha256Of(const QString &path)
{
    QFile file(path);
    if (!QFileInfo(path).isFile())
        return Error{MlText::tr("Model file %1 does not exist.").arg(path)};
    if (!file.open(QIODevice::ReadOnly))
        return Error{MlText::tr("Cannot read model file %1: %2").arg(path, file.errorString())};
    QCryptographicHash hash(QCryptographicHash::Sha256);
    if (!hash.addData(&file))
        return Error{MlText::tr("Cannot read model file %1: %2").arg(path, file.errorString())};
    return hash.result().toHex();
}

Result<ModelStore::Imported> ModelStore::import(const QString &source) const
{
    const auto sha = sha256Of(source);
    if (!sha)
        return sha.error();
    if (!QFileInfo::exists(m_directory)) {
        if (!QDir().mkpath(m_directory))
            return Error{MlText::tr("Cannot create the model store directory %1.").arg(m_directory)};
        // Only the owner may add or replace files in a store we create (a directory given by the user
        // keeps the permissions it has).
        QFile::setPermissions(m_directory, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    }
    Imported out;
    out.sha256 = *sha;
    out.path = QDir(m_directory).filePath(QString::fromLatin1(*sha) + QStringLiteral(".pt"));
    if (QFileInfo::exists(out.path)) {
        const auto existing = sha256Of(out.path);
        if (existing && *existing == *sha)
            return out; // same content already stored
        // A damaged copy under the right name: replace it with the good bytes.
        qCWarning(lcModelStore) << "replacing damaged store copy" << out.path;
        QFile::setPermissions(out.path, QFile::ReadOwner | QFile::WriteOwner);
        QFile::remove(out.path);
    }
    QFile in(source);
    if (!in.open(QIODevice::ReadOnly))
        return Error{MlText::tr("Cannot read model file %1: %2").arg(source, in.errorString())};
    QSaveFile outFile(out.path);
    if (!outFile.open(QIODevice::WriteOnly))
        return Error{MlText::tr("Cannot write into the model store %1: %2").arg(m_directory, outFile.errorString())};
    QCryptographicHash hash(QCryptographicHash::Sha256);
    while (!in.atEnd()) {
        const QByteArray chunk = in.read(1 << 20);
        if (chunk.isEmpty() && in.error() != QFile::NoError)
            break;
        hash.addData(chunk);
        outFile.write(chunk);
    }
    // The bytes copied must be the bytes hashed (the source may change while we copy).
    if (hash.result().toHex() != *sha) {
        outFile.cancelWriting();
        return Error{
            MlText::tr("Model file %1 changed while it was being copied into the store; try again.").arg(source)};
    }
    if (!outFile.commit())
        return Error{MlText::tr("Cannot write into the model store %1: %2").arg(m_directory, outFile.errorString())};
    QFile::setPermissions(out.path, QFile::ReadOwner | QFile::ReadGroup | QFile::ReadOther);
    out.created = true;
    return out;
}

void ModelStore::discard(const Imported &imported) const
{
    if (!imported.created)
        return;
    QFile::setPermissions(imported.path, QFile::ReadOwner | QFile::WriteOwner);
    QFile::remove(imported.path);
}

Result<std::unique_ptr<ModelRunner>> ModelStore::loadVerified(const QString &path, const QByteArray &expectedSha256)
{
    const QByteArray expected = expectedSha256.trimmed().toLower();
    if (!isSha256Hex(expected))
        return Error{MlText::tr("No valid SHA-256 to check %1 against; a model is loaded only when its hash is known.")
                         .arg(path)};
    if (!QFileInfo(path).isFile())
        return Error{MlText::tr("Model file %1 is missing from the model store; it was not loaded.").arg(path)};
    const auto actual = sha256Of(path);
    if (!actual)
        return actual.error();
    const qint64 size = QFileInfo(path).size();
    if (*actual != expected)
        return Error{
            MlText::tr("Model file %1 does not match the registry (SHA-256 %2…, expected %3…, %4 bytes): it was "
                       "changed, truncated or replaced after registration, so it was not loaded.")
                .arg(path, QString::fromLatin1(actual->left(12)), QString::fromLatin1(expected.left(12)))
                .arg(size)};
    // Checked again on the very bytes handed to LibTorch: a swap after the check above is refused too.
    auto runner = ModelRunner::load(path, expected);
    if (!runner)
        return runner.error();
    return std::move(runner).value();
}

} // namespace mldeck

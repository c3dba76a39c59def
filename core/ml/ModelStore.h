#pragma once

#include "core/domain/Result.h"
#include "core/ml/ModelRunner.h"

#include <QByteArray>
#include <QString>

#include <memory>

namespace mldeck {

// The managed model store: a directory holding one copy of every registered TorchScript file, named
// "<sha256>.pt" by its content, read-only. A TorchScript file is code: loadVerified() hashes the bytes
// and refuses a file whose SHA-256 differs from the registry's BEFORE anything reaches LibTorch.
// No torch here: loading goes through ModelRunner::load.
class ModelStore final
{
public:
    struct Imported
    {
        QString path;         // absolute path of the copy in the store
        QByteArray sha256;    // lower-case hex
        bool created = false; // false: an identical copy was already there
    };

    // MLDECK_MODEL_STORE when set; else <GenericDataLocation>/MLDeck/MLDeck/models, which is the GUI's
    // AppLocalDataLocation/models, spelled out so the CLI (another application name) uses the same store.
    static QString defaultDirectory();

    explicit ModelStore(QString directory);
    const QString &directory() const { return m_directory; }

    // Copies source into the store (temp file + rename, then re-hashed), unless an identical copy exists.
    Result<Imported> import(const QString &source) const;
    // Removes a copy import() just created (registration failed afterwards: nothing must change).
    void discard(const Imported &imported) const;

    static Result<QByteArray> sha256Of(const QString &path);

    // Refuses (missing file, different SHA-256: tampered, truncated or swapped) with a readable error
    // before LibTorch sees the file, then loads it through ModelRunner and checks the hash ModelRunner
    // computed on its own read, so a file swapped between the two reads is refused too.
    static Result<std::unique_ptr<ModelRunner>> loadVerified(const QString &path, const QByteArray &expectedSha256);

private:
    QString m_directory;
};

} // namespace mldeck

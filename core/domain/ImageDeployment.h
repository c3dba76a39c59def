#pragma once

#include "core/domain/Result.h"
#include "core/ml/image/ImageStore.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace mldeck {

// The image configuration of an image deployment, kept in mldeck.deployments.settings under "images"
// (resources/contract/deployments.md). Its presence makes the deployment an image deployment: its
// models take an image (resources/contract/images.md), its predictions and feedback log an image key.
struct ImageDeployment
{
    ImageStoreConfig store; // where the logged image keys resolve
    QString referenceSet;   // labelled folder: the reference training set (retrain adds it); empty: none
    QString holdoutSet;     // labelled folder: the fixed holdout (retrain, offline evaluation); empty: none

    // {"store": {"kind": "folder", "root": "/data/cats"}, "reference_set": "/data/ref", "holdout_set": "/data/hold"}
    // (an empty set is left out).
    QJsonObject toJson() const;
    // The shape only, so that a host where the folders are not mounted still reads the configuration:
    // a store config (ImageStoreConfig::fromJson), sets that are absolute paths, unknown fields refused.
    static Result<ImageDeployment> fromJson(const QJsonObject &o);

    // What creating or changing the configuration checks on this host, the first problem named: the
    // shape (as fromJson), the store's root a readable directory, each set a readable labelled folder
    // of `classes` (one subfolder per class, listLabelledImages), the holdout neither the reference set
    // nor inside or around it, nor inside or around the store's root (retraining reads the logged keys
    // through the store: the holdout's images would leak into training). The store may not be "/".
    Status check(const QStringList &classes) const;

    // The rules check() applies, cheap enough for a form (no listing): whether two folders are the same
    // or one holds the other, as the file system resolves them (symlinks followed; empty: no overlap);
    // and why a path is not a usable folder (not absolute, missing, not a directory, unreadable), empty if it is.
    static bool overlaps(const QString &a, const QString &b);
    static QString folderProblem(const QString &path);

    bool operator==(const ImageDeployment &o) const
    {
        return store.kind == o.store.kind && store.root == o.store.root && referenceSet == o.referenceSet &&
               holdoutSet == o.holdoutSet;
    }
};

} // namespace mldeck

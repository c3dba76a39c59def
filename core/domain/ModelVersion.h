#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <optional>

namespace mldeck {

// One registered model version: a row of mldeck.models plus the aliases that point at it.
struct ModelVersion
{
    qint64 id = 0;
    QString deployment;
    QString name;
    QString version;
    QString sha256;   // hex, lower case
    QString filePath; // the copy in the managed model store
    QString task;     // "regression" or "classification"
    std::optional<int> featureSchemaId;
    QStringList featureNames; // in model input order
    QJsonObject scaler;       // {"mean": [...], "std": [...]}
    QString targetUnit;
    QString createdBy;
    QDateTime createdAt;
    std::optional<qint64> parentId;
    QString parentVersion; // version of parent_id, when any
    QDateTime trainFrom;   // invalid when unknown
    QDateTime trainTo;
    QJsonObject metrics; // {"mae": 1.9, "rmse": 2.4, "r2": 0.71, "training_rows": ...}
    bool archived = false;
    QStringList aliases; // "champion", "challenger"

    bool isChampion() const { return aliases.contains(QStringLiteral("champion")); }
    bool isChallenger() const { return aliases.contains(QStringLiteral("challenger")); }
    QJsonObject toJson() const;
};

// What to insert when registering; id/createdAt/createdBy are set by the database.
struct NewModelVersion
{
    QString deployment;
    QString name;
    QString version;
    QString sha256;
    QString filePath;
    QString task;
    std::optional<int> featureSchemaId;
    QStringList featureNames;
    QJsonObject scaler;
    QString targetUnit;
    QString parentVersion; // optional: version of the same deployment this one derives from
    QDateTime trainFrom;
    QDateTime trainTo;
    QJsonObject metrics;
};

// The result of an alias move: what the alias pointed at before and after, the audit change id.
struct AliasChange
{
    QString deployment;
    QString alias;
    std::optional<ModelVersion> before;
    ModelVersion after;
    QString changeId; // uuid of the audit row
};

} // namespace mldeck

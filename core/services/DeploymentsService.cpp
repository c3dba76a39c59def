#include "core/services/DeploymentsService.h"

#include "core/Text.h"
#include "core/io/CsvReader.h"
#include "core/ml/ModelRunner.h"
#include "core/rollout/AuditRecord.h"
#include "core/services/DeploymentOnboarding.h"

#include <QFileInfo>
#include <QLocale>

#include <set>

namespace mldeck {

DeploymentsService::DeploymentsService(QObject *parent) : PgService(QStringLiteral("deployments"), parent)
{
    static const bool registered = [] {
        qRegisterMetaType<mldeck::Result<mldeck::DeploymentList>>();
        qRegisterMetaType<mldeck::Result<mldeck::DeploymentInfo>>();
        qRegisterMetaType<mldeck::Result<mldeck::SchemaDraft>>();
        return true;
    }();
    Q_UNUSED(registered);
}

DeploymentsService::~DeploymentsService() = default;

void DeploymentsService::setEndpoints(const std::optional<PgEndpoint> &pg, const std::optional<RedisEndpoint> &redis)
{
    setEndpoint(pg);
    m_redis = redis;
}

void DeploymentsService::list(bool includeArchived)
{
    post(
        [includeArchived](PgConnection &c) -> Result<DeploymentList> {
            auto deployments = DeploymentStore(c).list(includeArchived);
            if (!deployments)
                return deployments.error();
            // Unknown permissions leave the actions enabled, as in the settings editors: the database
            // still refuses what the role may not do.
            auto permissions = RolePermissions::read(c);
            return DeploymentList{includeArchived, std::move(deployments).value(),
                                  permissions ? std::move(permissions).value() : RolePermissions::everything()};
        },
        [this](Result<DeploymentList> r) { Q_EMIT listed(r); });
}

void DeploymentsService::show(const QString &name)
{
    post([name](PgConnection &c) { return DeploymentStore(c).show(name); },
         [this](Result<DeploymentInfo> r) { Q_EMIT shown(r); });
}

void DeploymentsService::create(const NewDeployment &spec)
{
    post(
        [spec, redis = m_redis](PgConnection &c) -> Result<DeploymentInfo> {
            if (!redis)
                return Error{ServiceText::tr("No Redis connection is configured: a deployment's flags live there.")};
            auto made = createDeployment(c, *redis, spec, Actor::current());
            if (!made)
                return made.error();
            return made->deployment;
        },
        [this](Result<DeploymentInfo> r) { Q_EMIT created(r); });
}

void DeploymentsService::set(const QString &name, const DeploymentEdit &edit)
{
    post(
        [name, edit](PgConnection &c) -> Result<DeploymentInfo> {
            DeploymentStore store(c);
            if (Status s = store.set(name, edit, Actor::current()); !s)
                return s.error();
            return store.show(name);
        },
        [this](Result<DeploymentInfo> r) { Q_EMIT saved(r); });
}

void DeploymentsService::archive(const QString &name, const QString &reason)
{
    post(
        [name, reason](PgConnection &c) -> Result<QString> {
            if (Status s = DeploymentStore(c).archive(name, reason, Actor::current()); !s)
                return s.error();
            return name;
        },
        [this](Result<QString> r) { Q_EMIT archived(r); });
}

void DeploymentsService::readModelSchema(const QString &modelFile)
{
    m_files.post(
        this,
        [modelFile]() -> Result<SchemaDraft> {
            // Loading is the one way to read a model file's metadata: its worker process checks it too.
            auto runner = ModelRunner::load(modelFile);
            if (!runner)
                return runner.error();
            const ModelInfo &info = (*runner)->info();
            if (!info.hasMetadata || (info.schema.features.empty() && !info.image))
                return Error{ServiceText::tr("Model %1 has no mldeck.json metadata: it does not name its features.")
                                 .arg(QFileInfo(modelFile).fileName())};
            return SchemaDraft{info.path,      info.schema,           info.task, info.target, info.targetUnit,
                               info.classSpec, info.image.has_value()};
        },
        [this](Result<SchemaDraft> r) { Q_EMIT schemaRead(r); });
}

void DeploymentsService::readCsvSchema(const QString &csvFile, int rowsToRead)
{
    m_files.post(
        this,
        [csvFile, rowsToRead]() -> Result<SchemaDraft> {
            auto schema = schemaFromCsv(csvFile, rowsToRead);
            if (!schema)
                return schema.error();
            SchemaDraft draft;
            draft.source = QFileInfo(csvFile).absoluteFilePath();
            draft.schema = std::move(schema).value();
            return draft;
        },
        [this](Result<SchemaDraft> r) { Q_EMIT schemaRead(r); });
}

Result<FeatureSchema> DeploymentsService::schemaFromCsv(const QString &csvFile, int rowsToRead)
{
    struct Column
    {
        QString name;
        bool numeric = true;
        std::set<QString> values;
    };
    std::vector<Column> columns;
    int rows = 0;
    CsvHandlers handlers;
    handlers.header = [&](const QStringList &header) -> Status {
        for (const QString &name : header)
            columns.push_back(Column{name.trimmed(), true, {}});
        return {};
    };
    handlers.record = [&](const CsvRecord &record) -> Status {
        if (rows >= rowsToRead)
            return Error::cancelled(QStringLiteral("enough rows")); // stops the reading; not an error here
        ++rows;
        for (size_t i = 0; i < columns.size() && i < record.fields.size(); ++i) {
            const QString value = QString::fromUtf8(record.fields[i]).trimmed();
            if (value.isEmpty())
                continue;
            Column &column = columns[i];
            bool isNumber = false;
            (void)QLocale::c().toDouble(value, &isNumber);
            column.numeric = column.numeric && isNumber;
            column.values.insert(value);
        }
        return {};
    };
    if (Status s = CsvReader::read(csvFile, handlers); !s && !(s.error().isCancelled() && rows >= rowsToRead))
        return s.error();
    if (columns.empty())
        return Error{ServiceText::tr("%1 has no header line: its columns cannot be read.").arg(csvFile)};

    FeatureSchema schema;
    for (const Column &column : columns) {
        if (column.name.isEmpty())
            continue;
        FeatureSpec spec;
        spec.name = column.name;
        // A column with no value read stays numeric: nothing says otherwise, and the user can change it.
        spec.kind = column.numeric ? FeatureSpec::Kind::Numeric : FeatureSpec::Kind::Categorical;
        if (!column.numeric)
            for (const QString &v : column.values)
                spec.categories << v;
        schema.features.push_back(std::move(spec));
    }
    if (schema.features.empty())
        return Error{ServiceText::tr("%1 names no column.").arg(csvFile)};
    return schema;
}

} // namespace mldeck

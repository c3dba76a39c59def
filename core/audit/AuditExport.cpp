#include "core/audit/AuditExport.h"

#include "core/io/CsvWriter.h"
#include "core/rollout/AuditRecord.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

namespace mldeck {

namespace {

QString changeIdText(const AuditEntry &e)
{
    return e.changeId.isNull() ? QString() : e.changeId.toString(QUuid::WithoutBraces);
}

} // namespace

QString AuditExport::timeText(const QDateTime &t)
{
    return t.isValid() ? t.toUTC().toString(Qt::ISODateWithMs) : QString();
}

QString AuditExport::jsonText(const std::optional<QJsonObject> &o)
{
    return o ? QString::fromUtf8(QJsonDocument(*o).toJson(QJsonDocument::Compact)) : QString();
}

AuditExport::AuditExport(AuditExportFormat format) : m_format(format) {}

QStringList AuditExport::columns()
{
    return {QStringLiteral("id"),        QStringLiteral("at"),       QStringLiteral("occurred_at"),
            QStringLiteral("actor"),     QStringLiteral("actor_db"), QStringLiteral("actor_os"),
            QStringLiteral("host"),      QStringLiteral("action"),   QStringLiteral("deployment"),
            QStringLiteral("reason"),    QStringLiteral("before"),   QStringLiteral("after"),
            QStringLiteral("change_id"), QStringLiteral("spooled"),  QStringLiteral("chain_seq")};
}

std::optional<AuditExportFormat> AuditExport::parseFormat(const QString &name)
{
    if (name.compare(QLatin1String("csv"), Qt::CaseInsensitive) == 0)
        return AuditExportFormat::Csv;
    if (name.compare(QLatin1String("json"), Qt::CaseInsensitive) == 0)
        return AuditExportFormat::Json;
    return std::nullopt;
}

QByteArray AuditExport::header() const
{
    return m_format == AuditExportFormat::Csv ? csvRecord(columns()) : QByteArray("[\n");
}

QJsonObject AuditExport::json(const AuditEntry &e)
{
    const auto orNull = [](const QString &s) { return s.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(s); };
    const auto object = [](const std::optional<QJsonObject> &o) { return o ? QJsonValue(*o) : QJsonValue(); };
    return QJsonObject{{QStringLiteral("id"), e.id},
                       {QStringLiteral("at"), orNull(timeText(e.at))},
                       {QStringLiteral("occurred_at"), orNull(timeText(e.occurredAt))},
                       {QStringLiteral("actor"), e.actor()},
                       {QStringLiteral("actor_db"), orNull(e.actorDb)},
                       {QStringLiteral("actor_os"), orNull(e.actorOs)},
                       {QStringLiteral("host"), orNull(e.host)},
                       {QStringLiteral("action"), e.action},
                       {QStringLiteral("deployment"), orNull(e.deployment)},
                       {QStringLiteral("reason"), orNull(e.reason)},
                       {QStringLiteral("before"), object(e.before)},
                       {QStringLiteral("after"), object(e.after)},
                       {QStringLiteral("change_id"), orNull(changeIdText(e))},
                       {QStringLiteral("spooled"), e.spooled},
                       {QStringLiteral("chain_seq"), e.chainSeq}};
}

QByteArray AuditExport::row(const AuditEntry &e)
{
    if (m_format == AuditExportFormat::Csv)
        return csvRecord({QString::number(e.id), timeText(e.at), timeText(e.occurredAt), e.actor(), e.actorDb,
                          e.actorOs, e.host, e.action, e.deployment, e.reason, jsonText(e.before), jsonText(e.after),
                          changeIdText(e), e.spooled ? QStringLiteral("true") : QStringLiteral("false"),
                          QString::number(e.chainSeq)});

    QByteArray out = m_first ? QByteArray() : QByteArray(",\n");
    m_first = false;
    return out + QJsonDocument(json(e)).toJson(QJsonDocument::Compact);
}

QByteArray AuditExport::footer() const
{
    return m_format == AuditExportFormat::Csv ? QByteArray() : QByteArray("\n]\n");
}

Result<qint64> writeAuditExport(const AuditBatchSource &source, AuditExportFormat format, const QString &path,
                                const std::function<bool(qint64 rows)> &progress)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return Error{AuditExport::tr("Cannot write %1: %2").arg(path, file.errorString())};
    AuditExport writer(format);
    qint64 rows = 0;
    bool writeFailed = false, cancelled = false;
    const auto put = [&file, &writeFailed](const QByteArray &bytes) {
        if (file.write(bytes) != bytes.size())
            writeFailed = true;
        return !writeFailed;
    };
    put(writer.header());
    const Status read = source([&](const QList<AuditEntry> &batch) {
        for (const AuditEntry &e : batch)
            if (!put(writer.row(e)))
                return false;
        rows += batch.size();
        if (progress && !progress(rows)) {
            cancelled = true;
            return false;
        }
        return true;
    });
    if (cancelled) {
        file.cancelWriting();
        return Error::cancelled(AuditExport::tr("Export cancelled; no file was written."));
    }
    if (!read) {
        file.cancelWriting();
        return Error{AuditExport::tr("Export failed, no file was written: %1").arg(read.errorMessage())};
    }
    if (writeFailed || !put(writer.footer()) || !file.commit())
        return Error{AuditExport::tr("Cannot write %1: %2").arg(path, file.errorString())};
    return rows;
}

} // namespace mldeck

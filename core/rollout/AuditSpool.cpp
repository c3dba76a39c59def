#include "core/rollout/AuditSpool.h"
#include "core/Text.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QStandardPaths>

#include <algorithm>

#include <fcntl.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcAuditSpool, "mldeck.rollout.spool", QtInfoMsg)

namespace mldeck {

namespace {

bool fsyncPath(const QString &path, bool directory)
{
    const int fd = ::open(QFile::encodeName(path).constData(), directory ? O_RDONLY | O_DIRECTORY : O_RDONLY);
    if (fd < 0)
        return false;
    const bool ok = ::fsync(fd) == 0;
    ::close(fd);
    return ok;
}

} // namespace

AuditSpool::AuditSpool(QString directory) : m_dir(std::move(directory)) {}

QString AuditSpool::defaultDirectory()
{
    const QString env = qEnvironmentVariable("MLDECK_AUDIT_SPOOL_DIR");
    if (!env.isEmpty())
        return env;
    QString base = QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation);
    if (base.isEmpty())
        base = QDir::homePath() + QStringLiteral("/.local/share/mldeck");
    return base + QStringLiteral("/audit-spool");
}

QString AuditSpool::fileOf(const AuditRecord &record) const
{
    return m_dir + QLatin1Char('/') + record.changeId.toString(QUuid::WithoutBraces) + QStringLiteral(".json");
}

Status AuditSpool::put(const AuditRecord &record)
{
    if (!QDir().mkpath(m_dir))
        return Error{RolloutText::tr("Cannot create the audit spool directory %1.").arg(m_dir)};
    const QString target = fileOf(record);
    const QString tmp = target + QStringLiteral(".tmp");
    {
        QFile f(tmp);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return Error{RolloutText::tr("Cannot write the audit spool file %1: %2").arg(tmp, f.errorString())};
        const QByteArray data = QJsonDocument(record.toJson()).toJson(QJsonDocument::Compact);
        if (f.write(data) != data.size() || !f.flush() || ::fsync(f.handle()) != 0)
            return Error{RolloutText::tr("Cannot write the audit spool file %1: %2").arg(tmp, f.errorString())};
    }
    if (::rename(QFile::encodeName(tmp).constData(), QFile::encodeName(target).constData()) != 0)
        return Error{RolloutText::tr("Cannot move the audit spool file into place at %1.").arg(target)};
    if (!fsyncPath(m_dir, true))
        return Error{RolloutText::tr("Cannot flush the audit spool directory %1 to disk.").arg(m_dir)};
    qCInfo(lcAuditSpool) << "spooled audit row" << record.changeId << record.action << "in" << m_dir;
    return {};
}

QList<AuditRecord> AuditSpool::pending() const
{
    QList<AuditRecord> out;
    const QFileInfoList files = QDir(m_dir).entryInfoList({QStringLiteral("*.json")}, QDir::Files);
    for (const QFileInfo &fi : files) {
        QFile f(fi.absoluteFilePath());
        if (!f.open(QIODevice::ReadOnly))
            continue;
        const auto rec = AuditRecord::fromJson(QJsonDocument::fromJson(f.readAll()).object());
        if (!rec) {
            qCWarning(lcAuditSpool) << "unreadable audit spool file left in place:" << fi.absoluteFilePath();
            continue;
        }
        out.append(*rec);
    }
    std::sort(out.begin(), out.end(),
              [](const AuditRecord &a, const AuditRecord &b) { return a.occurredAt < b.occurredAt; });
    return out;
}

Status AuditSpool::remove(const AuditRecord &record)
{
    if (!QFile::remove(fileOf(record)) && QFile::exists(fileOf(record)))
        return Error{RolloutText::tr("Cannot remove the flushed audit spool file %1.").arg(fileOf(record))};
    fsyncPath(m_dir, true);
    return {};
}

Result<int> AuditSpool::flush(const std::function<Status(const AuditRecord &)> &insert)
{
    int flushed = 0;
    for (const AuditRecord &r : pending()) {
        if (Status s = insert(r); !s)
            return s.error();
        if (Status s = remove(r); !s)
            return s.error();
        ++flushed;
    }
    if (flushed > 0)
        qCInfo(lcAuditSpool) << "flushed" << flushed << "spooled audit rows from" << m_dir;
    return flushed;
}

} // namespace mldeck

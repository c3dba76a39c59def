#include "core/secrets/SecretStore.h"

#include <qt6keychain/keychain.h>

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QMetaObject>
#include <QPointer>
#include <QTimer>

#include <memory>

Q_LOGGING_CATEGORY(lcSecrets, "mldeck.secrets")

namespace mldeck {

namespace {

// Turns a QtKeychain failure into a sentence that says what it means for the user.
QString explain(QKeychain::Error error, const QString &detail, const QString &account)
{
    switch (error) {
    case QKeychain::NoError:
        return {};
    case QKeychain::EntryNotFound:
        return SecretStore::tr("no password is saved in the system keychain for %1").arg(account);
    case QKeychain::AccessDeniedByUser:
    case QKeychain::AccessDenied:
        return SecretStore::tr("access to the system keychain was denied (%1): the password will be asked each session")
            .arg(detail);
    case QKeychain::NoBackendAvailable:
    case QKeychain::NotImplemented:
        return SecretStore::tr("no system keychain is available (%1): the password will be asked each session")
            .arg(detail);
    case QKeychain::CouldNotDeleteEntry:
        return SecretStore::tr("could not delete the password of %1 from the system keychain (%2)")
            .arg(account, detail);
    case QKeychain::OtherError:
        break;
    }
    // On Linux a missing Secret Service or session bus arrives as OtherError with a D-Bus message.
    return SecretStore::tr("no system keychain is available (%1): the password will be asked each session").arg(detail);
}

// Ties one QtKeychain job to the caller's context: exactly one completion, on the context's thread,
// either the job's answer or the timeout, and nothing once the context is gone (Qt drops queued
// calls and disconnects lambdas whose context object is destroyed).
// An account is where the password is filed; an empty one would collide for every profile.
template <typename Done> bool refuseEmptyAccount(const QString &account, QObject *context, Done &done)
{
    if (!account.trimmed().isEmpty())
        return false;
    // Still asynchronous, like every other outcome, so callers have one code path.
    QMetaObject::invokeMethod(
        context, [done = std::move(done)] { done(Error{SecretStore::tr("no keychain account name was given")}); },
        Qt::QueuedConnection);
    return true;
}

template <typename JobT, typename Done, typename MakeResult>
void runJob(JobT *job, const QString &account, QObject *context, std::chrono::milliseconds timeout, Done done,
            MakeResult makeResult)
{
    auto finished = std::make_shared<bool>(false); // touched only on the context's thread
    auto callback = std::make_shared<Done>(std::move(done));

    QObject::connect(job, &QKeychain::Job::finished, context,
                     [finished, callback, makeResult, account](QKeychain::Job *j) {
                         if (*finished)
                             return;
                         *finished = true;
                         (*callback)(makeResult(static_cast<JobT *>(j), account));
                     });
    QTimer::singleShot(timeout, context, [finished, callback, account, timeout] {
        if (*finished)
            return;
        *finished = true;
        qCWarning(lcSecrets) << "keychain did not answer for" << account << "within" << timeout.count() << "ms";
        (*callback)(Error{SecretStore::tr("the system keychain did not answer within %1 s: the password "
                                          "will be asked each session")
                              .arg(double(timeout.count()) / 1000.0)});
    });
    job->start();
}

} // namespace

SecretStore::SecretStore(QObject *parent) : QObject(parent) {}

SecretStore::~SecretStore() = default;

QString SecretStore::serviceName()
{
    return QStringLiteral("mldeck");
}

// Jobs get no parent and delete themselves when finished, so a call outlives this store if it must:
// the contract is with the caller's context, not with us.
void SecretStore::readPassword(const QString &account, QObject *context, std::function<void(Result<QString>)> done)
{
    Q_ASSERT(context);
    if (refuseEmptyAccount(account, context, done))
        return;
    auto *job = new QKeychain::ReadPasswordJob(serviceName());
    job->setAutoDelete(true);
    job->setInsecureFallback(false);
    job->setKey(account);
    runJob(job, account, context, m_timeout, std::move(done),
           [](QKeychain::ReadPasswordJob *j, const QString &acc) -> Result<QString> {
               if (j->error() != QKeychain::NoError)
                   return Error{explain(j->error(), j->errorString(), acc)};
               return j->textData();
           });
}

void SecretStore::writePassword(const QString &account, const QString &password, QObject *context,
                                std::function<void(Status)> done)
{
    Q_ASSERT(context);
    if (refuseEmptyAccount(account, context, done))
        return;
    auto *job = new QKeychain::WritePasswordJob(serviceName());
    job->setAutoDelete(true);
    job->setInsecureFallback(false);
    job->setKey(account);
    job->setTextData(password);
    runJob(job, account, context, m_timeout, std::move(done),
           [](QKeychain::WritePasswordJob *j, const QString &acc) -> Status {
               if (j->error() != QKeychain::NoError)
                   return Error{explain(j->error(), j->errorString(), acc)};
               return {};
           });
}

void SecretStore::deletePassword(const QString &account, QObject *context, std::function<void(Status)> done)
{
    Q_ASSERT(context);
    if (refuseEmptyAccount(account, context, done))
        return;
    auto *job = new QKeychain::DeletePasswordJob(serviceName());
    job->setAutoDelete(true);
    job->setInsecureFallback(false);
    job->setKey(account);
    runJob(job, account, context, m_timeout, std::move(done),
           [](QKeychain::DeletePasswordJob *j, const QString &acc) -> Status {
               if (j->error() != QKeychain::NoError && j->error() != QKeychain::EntryNotFound)
                   return Error{explain(j->error(), j->errorString(), acc)};
               return {};
           });
}

} // namespace mldeck

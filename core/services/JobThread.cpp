#include "core/services/JobThread.h"

#include <QLoggingCategory>

Q_LOGGING_CATEGORY(lcJobThread, "mldeck.services.jobs")

namespace mldeck {

namespace {
constexpr unsigned long kShutdownWaitMs = 3000;
}

JobThread::JobThread(const QString &name, QObject *parent)
    : QObject(parent), m_thread(new QThread), m_worker(new QObject)
{
    m_thread->setObjectName(name);
    m_worker->moveToThread(m_thread);
    connect(m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread->start();
}

JobThread::~JobThread()
{
    m_thread->requestInterruption();
    m_thread->quit();
    if (m_thread->wait(kShutdownWaitMs)) {
        delete m_thread;
        return;
    }
    // A job is stuck in a call that cannot be interrupted (a frozen server). Waiting longer would
    // freeze whoever is destroying us; the thread is left to end on its own and is leaked.
    qCWarning(lcJobThread) << "worker" << m_thread->objectName() << "still busy at shutdown; abandoning it";
}

} // namespace mldeck

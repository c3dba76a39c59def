#include "core/services/ProbeMailbox.h"
#include "core/Text.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QMetaObject>

#include <exception>
#include <system_error>
#include <thread>

Q_DECLARE_LOGGING_CATEGORY(lcProbes)

namespace mldeck {

std::shared_ptr<ProbeMailbox> ProbeMailbox::create(QObject *receiver)
{
    return std::shared_ptr<ProbeMailbox>(new ProbeMailbox(receiver));
}

bool ProbeMailbox::launch(Probe probe, Deliver deliver)
{
    {
        std::lock_guard lock(m_mutex);
        if (!m_receiver)
            return false;
        ++m_running;
    }
    try {
        std::thread([self = shared_from_this(), probe = std::move(probe), deliver = std::move(deliver)] {
            ProbeResult result;
            try {
                result = probe();
            } catch (const std::exception &e) { // adapters should not throw; never let it kill the process
                result.up = false;
                result.detail =
                    ServiceText::tr("internal error while checking: %1").arg(QString::fromLocal8Bit(e.what()));
            }
            {
                // Posting under the lock: close() cannot complete between the check and the post,
                // so nothing is ever posted to a receiver that is being destroyed.
                std::lock_guard lock(self->m_mutex);
                if (self->m_receiver) {
                    QMetaObject::invokeMethod(
                        self->m_receiver, [deliver, result] { deliver(result); }, Qt::QueuedConnection);
                }
                --self->m_running;
            }
            self->m_idle.notify_all();
        }).detach();
    } catch (const std::system_error &e) {
        qCWarning(lcProbes) << "could not start a probe thread:" << e.what();
        std::lock_guard lock(m_mutex);
        --m_running;
        return false;
    }
    return true;
}

int ProbeMailbox::running() const
{
    std::lock_guard lock(m_mutex);
    return m_running;
}

void ProbeMailbox::close(std::chrono::steady_clock::time_point deadline)
{
    std::unique_lock lock(m_mutex);
    if (!m_receiver)
        return;
    m_receiver = nullptr;
    if (!m_idle.wait_until(lock, deadline, [this] { return m_running == 0; }))
        qCInfo(lcProbes) << "abandoning" << m_running << "probe(s) that did not answer";
}

} // namespace mldeck

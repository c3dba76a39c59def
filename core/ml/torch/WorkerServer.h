#pragma once

// Inside the model worker only: answers the console's requests (core/ml/WorkerProtocol.h) one at a
// time, with LibTorch in this process.

#include "core/ml/WorkerProtocol.h"
#include "core/ml/torch/TorchModel.h"

#include <QCoreApplication>

#include <atomic>
#include <memory>

namespace mldeck {

class WorkerServer final
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::WorkerServer)

public:
    // fd: the worker's end of the socket. cancel: set (by SIGUSR1) to stop a training between batches; a
    // worker serves one training in its life (trainModel starts a fresh one), so it is never reset.
    WorkerServer(int fd, std::atomic<bool> &cancel);
    Q_DISABLE_COPY_MOVE(WorkerServer)

    // Says Ready, then serves until the console closes the socket (0) or the socket fails (1).
    int run();

private:
    bool send(worker::MessageType type, const QByteArray &payload);
    bool fail(const QString &message);
    bool handle(const worker::Message &m);
    bool load(const QByteArray &payload);
    bool predict(const QByteArray &payload);
    bool train(const QByteArray &payload);
    bool trainImages(const QByteArray &payload);
    // Training options that relay progress and epochs to the console; connected turns false when a send fails.
    TrainingOptions trainingOptions(bool &connected);
    bool trainNanny(const QByteArray &payload);
    bool scoreNanny(const QByteArray &payload);

    int m_fd;
    std::atomic<bool> &m_cancel;
    std::unique_ptr<TorchModel> m_model;
};

} // namespace mldeck

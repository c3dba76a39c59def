// mldeck-model-worker: the one MLDeck program that links LibTorch. The console (GUI, CLI, guard)
// starts it on demand and talks to it over the socket it hands over as fd 3
// (core/ml/WorkerProtocol.h); a model that crashes, hangs or exhausts memory takes only this process.
#include "core/ml/torch/WorkerServer.h"
#include "translations/Translations.h"

#include <QCoreApplication>
#include <QStringList>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <sys/resource.h>
#include <thread>
#include <unistd.h>

namespace {

std::atomic<bool> g_cancel{false};
static_assert(std::atomic<bool>::is_always_lock_free, "set from a signal handler");

void onCancel(int)
{
    g_cancel.store(true);
}

// The console owns us: when it is gone (we were re-parented), nobody will read an answer.
void exitWithParent()
{
    const pid_t parent = ::getppid();
    std::thread([parent] {
        for (;;) {
            std::this_thread::sleep_for(std::chrono::milliseconds(250));
            if (::getppid() != parent)
                ::_exit(0);
        }
    }).detach();
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    mldeck::installTranslators(app);
    const QStringList args = QCoreApplication::arguments();
    bool fdOk = false, memoryOk = true;
    const int fd = args.value(args.indexOf(QStringLiteral("--socket-fd")) + 1).toInt(&fdOk);
    int memoryMb = 0;
    if (const qsizetype i = args.indexOf(QStringLiteral("--memory-limit-mb")); i > 0)
        memoryMb = args.value(i + 1).toInt(&memoryOk);
    if (!fdOk || fd < 0 || !memoryOk || memoryMb < 0) {
        std::fprintf(stderr, "%s\n",
                     qPrintable(QCoreApplication::translate(
                         "mldeck::WorkerServer",
                         "Usage: mldeck-model-worker --socket-fd FD [--memory-limit-mb MB]. MLDeck starts this "
                         "program itself; it is not meant to be run by hand.")));
        return 2;
    }
#if !defined(__SANITIZE_ADDRESS__) // AddressSanitizer maps its shadow first: the limit would refuse every allocation
    if (memoryMb > 0) {            // heap and anonymous mappings: what a runaway model allocates
        const rlim_t bytes = rlim_t(memoryMb) * 1024 * 1024;
        const rlimit limit{bytes, bytes};
        ::setrlimit(RLIMIT_DATA, &limit);
    }
#endif
    struct sigaction cancel = {};
    cancel.sa_handler = onCancel;
    sigemptyset(&cancel.sa_mask);
    cancel.sa_flags = SA_RESTART;
    ::sigaction(SIGUSR1, &cancel, nullptr);
    exitWithParent();
    // Nothing to flush or save: leaving without static destructors (LibTorch's, Qt 5's) is quicker and safer.
    ::_exit(mldeck::WorkerServer(fd, g_cancel).run());
}

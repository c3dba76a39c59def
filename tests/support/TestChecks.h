#pragma once

#include <QProcess>
#include <QString>
#include <QTest>

#include <csignal>
#include <sys/types.h>

namespace mldeck::test {

// Sends a signal to one child process, never to a group: a pid of 0 or less (what QProcess::processId()
// returns once the child has exited) is refused, since kill(0, ...) reaches our whole process group
// (ctest, and CI with it) and kill(-1, ...) every process we may signal. False when nothing was sent.
inline bool signalChild(qint64 pid, int signal)
{
    return pid > 0 && ::kill(pid_t(pid), signal) == 0;
}

inline bool signalChild(const QProcess &process, int signal)
{
    return process.state() == QProcess::Running && signalChild(process.processId(), signal);
}

// For "and nothing more happens": processes events for up to `ms` and tells whether `happened` came true
// meanwhile; QVERIFY(!happensWithin(...)) fails as soon as it does. A busy machine can make such a check
// see less, never fail a correct program (unlike a fixed sleep followed by a check that something did happen).
template <typename Predicate> bool happensWithin(Predicate happened, int ms)
{
    return QTest::qWaitFor(happened, ms);
}

// For helpers, which cannot leave the test function the way QFAIL does: records the failure of the
// current test function (the binary carries on with the next one, unlike qFatal). The helper then returns
// a value its caller's checks reject, or the caller checks MLDECK_HELPERS_OK() right after it.
inline void failTest(const QString &why, const char *file, int line)
{
    QTest::qFail(qPrintable(why), file, line);
}

} // namespace mldeck::test

#define MLDECK_FAIL_IN_HELPER(why) mldeck::test::failTest((why), __FILE__, __LINE__)

// In a test function, after calling helpers that may have failed it: stop there.
#define MLDECK_HELPERS_OK()                                                                                            \
    do {                                                                                                               \
        if (QTest::currentTestFailed())                                                                                \
            return;                                                                                                    \
    } while (false)

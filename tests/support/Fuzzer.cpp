#include "tests/support/Fuzzer.h"

#include <QDateTime>
#include <QDir>
#include <QFile>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <thread>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#endif

namespace mldeck::fuzz {

namespace {

// The input being run, for the watchdog and the crash handlers (which may not allocate).
std::atomic<const char *> g_input{nullptr};
std::atomic<size_t> g_inputSize{0};
std::atomic<qint64> g_startedMs{0}; // 0: no input running
char g_crashPath[4096];
char g_hangPath[4096];

void writeInput(const char *path)
{
    const int fd = ::open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return;
    const char *data = g_input.load();
    size_t left = g_inputSize.load();
    while (data && left > 0) {
        const ssize_t n = ::write(fd, data, left);
        if (n <= 0)
            break;
        data += n;
        left -= size_t(n);
    }
    ::close(fd);
}

void saveOnDeath()
{
    if (g_startedMs.load() == 0)
        return;
    writeInput(g_crashPath);
    const char note[] = "\nfuzz: the input that crashed is saved in ";
    [[maybe_unused]] ssize_t w = ::write(2, note, sizeof note - 1);
    w = ::write(2, g_crashPath, strlen(g_crashPath));
    w = ::write(2, "\n", 1);
}

void onSignal(int sig)
{
    saveOnDeath();
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

qint64 nowMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// Aborts the process when one input runs too long: a parser that loops never returns to the test.
class Watchdog
{
public:
    explicit Watchdog(double limitSeconds)
        : m_thread([this, limitMs = qint64(limitSeconds * 1000)] {
              while (!m_stop.load()) {
                  const qint64 started = g_startedMs.load();
                  if (started != 0 && nowMs() - started > limitMs) {
                      writeInput(g_hangPath);
                      std::fprintf(stderr, "fuzz: one input ran for more than %lld ms (a hang); it is saved in %s\n",
                                   static_cast<long long>(limitMs), g_hangPath);
                      g_startedMs = 0; // saved already: the abort handler need not save it as a crash
                      std::abort();
                  }
                  // The watchdog's own polling period, not a wait for a condition of the test.
                  std::this_thread::sleep_for(std::chrono::milliseconds(50));
              }
          })
    {
    }
    ~Watchdog()
    {
        m_stop = true;
        m_thread.join();
    }

private:
    std::atomic<bool> m_stop{false};
    std::thread m_thread;
};

int envInt(const char *name, int fallback)
{
    bool ok = false;
    const int v = qEnvironmentVariableIntValue(name, &ok);
    return ok ? v : fallback;
}

double envDouble(const char *name, double fallback)
{
    bool ok = false;
    const double v = qEnvironmentVariable(name).toDouble(&ok);
    return ok ? v : fallback;
}

// Bytes that change the meaning of CSV, JSON, URLs and INI files, and numbers at their limits.
const char *const kTokens[] = {"\"",
                               "\"\"",
                               ",",
                               "\n",
                               "\r\n",
                               "\r",
                               "\xEF\xBB\xBF",
                               "\\",
                               "\\u0000",
                               "\\ud800",
                               "{",
                               "}",
                               "[",
                               "]",
                               ":",
                               "null",
                               "true",
                               "[]",
                               "{}",
                               "1e309",
                               "-1e309",
                               "nan",
                               "NaN",
                               "inf",
                               "-0",
                               "0",
                               "-1",
                               "2147483648",
                               "9223372036854775808",
                               "1e-400",
                               "4.9e-324",
                               "99999999999999999999999",
                               "0.1",
                               "@",
                               "/",
                               "?",
                               "%",
                               "%zz",
                               "#",
                               "=",
                               ";",
                               "[General]",
                               "\xFF",
                               "\xC3",
                               "\0",
                               " ",
                               "\t",
                               "::",
                               "period:",
                               "snapshot:",
                               "first:",
                               "h",
                               "ms",
                               "d"};

// FNV-1a: the same stream for a target in every run (qHash is seeded per process).
quint64 stableHash(const QString &text)
{
    quint64 h = 1469598103934665603ULL;
    for (char c : text.toUtf8())
        h = (h ^ quint8(c)) * 1099511628211ULL;
    return h;
}

} // namespace

Budget Budget::fromEnvironment()
{
    Budget b;
    b.inputs = envInt("MLDECK_FUZZ_INPUTS", b.inputs);
    b.seconds = envDouble("MLDECK_FUZZ_SECONDS", b.seconds);
    b.inputSeconds = envDouble("MLDECK_FUZZ_INPUT_SECONDS", b.inputSeconds);
    b.seed = quint64(envInt("MLDECK_FUZZ_SEED", int(b.seed)));
    return b;
}

Verdict refused(const QString &message, const QByteArray &input)
{
    if (message.trimmed().isEmpty())
        return {false, QStringLiteral("refused with an empty error message")};
    if (message.size() > 2000 + 2 * input.size())
        return {false, QStringLiteral("refused with an error of %1 characters").arg(message.size())};
    return {false, {}};
}

Fuzzer::Fuzzer(QString target, std::vector<QByteArray> seeds, const Budget &budget)
    : m_target(std::move(target)), m_seeds(std::move(seeds)), m_budget(budget),
      m_rng(budget.seed ^ stableHash(m_target))
{
    // A saved input (fuzz-*.bin) runs alone: MLDECK_FUZZ_REPLAY=FILE test_fuzz_parsers <test function>.
    if (const QString replay = qEnvironmentVariable("MLDECK_FUZZ_REPLAY"); !replay.isEmpty()) {
        QFile f(replay);
        m_seeds = {f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray()};
        m_budget.inputs = 1;
    }
}

QByteArray Fuzzer::next(int index)
{
    if (index < int(m_seeds.size()))
        return m_seeds[size_t(index)];
    std::uniform_int_distribution<int> pick(0, 9);
    if (pick(m_rng) == 0 || m_seeds.empty()) {
        // Random bytes, half of them drawn from the seeds' own bytes so that structure appears.
        QByteArray bytes;
        const int size = std::uniform_int_distribution<int>(0, 512)(m_rng);
        const QByteArray &alphabet = m_seeds.empty() ? QByteArray() : m_seeds[m_rng() % m_seeds.size()];
        for (int i = 0; i < size; ++i)
            bytes += (alphabet.isEmpty() || m_rng() % 2) ? char(m_rng() & 0xFF)
                                                         : alphabet[qsizetype(m_rng() % alphabet.size())];
        return bytes;
    }
    return mutate(m_seeds[m_rng() % m_seeds.size()]);
}

QByteArray Fuzzer::mutate(QByteArray data)
{
    const int rounds = 1 + int(m_rng() % 8);
    for (int r = 0; r < rounds; ++r) {
        const qsizetype size = data.size();
        const qsizetype at = size ? qsizetype(m_rng() % size) : 0;
        switch (m_rng() % 8) {
        case 0: // flip a bit
            if (size)
                data[at] = char(data[at] ^ (1 << (m_rng() % 8)));
            break;
        case 1: // a random byte
            if (size)
                data[at] = char(m_rng() & 0xFF);
            break;
        case 2: // insert a token
        case 3: {
            const char *token = kTokens[m_rng() % std::size(kTokens)];
            data.insert(at, QByteArray(token, token[0] ? qsizetype(strlen(token)) : 1));
            break;
        }
        case 4: // delete a range
            if (size)
                data.remove(at, qsizetype(m_rng() % std::min<qsizetype>(64, size - at)) + 1);
            break;
        case 5: // duplicate a range
            if (size && data.size() < 1 << 20)
                data.insert(at, data.mid(at, qsizetype(m_rng() % 256)));
            break;
        case 6: // splice another seed
            if (!m_seeds.empty()) {
                const QByteArray &other = m_seeds[m_rng() % m_seeds.size()];
                data = data.left(at) + other.mid(other.isEmpty() ? 0 : qsizetype(m_rng() % other.size()));
            }
            break;
        default: // truncate
            data.truncate(at);
            break;
        }
    }
    return data;
}

QString Fuzzer::save(const QByteArray &input, const char *kind) const
{
    const QString path = QDir::current().filePath(QStringLiteral("fuzz-%1-%2.bin").arg(m_target, QLatin1String(kind)));
    QFile f(path);
    if (f.open(QIODevice::WriteOnly))
        f.write(input);
    return path;
}

Report Fuzzer::run(const Check &check)
{
    qstrncpy(g_crashPath, qPrintable(QDir::current().filePath(QStringLiteral("fuzz-%1-crash.bin").arg(m_target))),
             sizeof g_crashPath);
    qstrncpy(g_hangPath, qPrintable(QDir::current().filePath(QStringLiteral("fuzz-%1-hang.bin").arg(m_target))),
             sizeof g_hangPath);
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT})
        std::signal(sig, onSignal);
#if defined(__SANITIZE_ADDRESS__)
    __sanitizer_set_death_callback(saveOnDeath);
#endif
    Watchdog watchdog(m_budget.inputSeconds);
    QElapsedTimer clock;
    clock.start();
    Report report;
    for (int i = 0; i < m_budget.inputs && clock.elapsed() < qint64(m_budget.seconds * 1000); ++i) {
        const QByteArray input = next(i);
        g_input = input.constData();
        g_inputSize = size_t(input.size());
        g_startedMs = nowMs();
        const Verdict v = check(input);
        g_startedMs = 0;
        ++report.inputs;
        report.accepted += v.accepted ? 1 : 0;
        if (!v.failure.isEmpty()) {
            report.failure = QStringLiteral("%1, input %2: %3 (input saved in %4)")
                                 .arg(m_target)
                                 .arg(i)
                                 .arg(v.failure, save(input, "failure"));
            break;
        }
    }
    g_input = nullptr;
    g_inputSize = 0;
    return report;
}

} // namespace mldeck::fuzz

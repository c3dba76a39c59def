#pragma once

// A small deterministic fuzzer: seeded mutations of valid inputs, and random bytes. Each input runs
// under a watchdog (a hang aborts the process with the input saved); a crash saves the input too.
// The check of an input returns an empty string when the outcome is acceptable, else what is wrong.

#include <QByteArray>
#include <QElapsedTimer>
#include <QString>

#include <functional>
#include <optional>
#include <random>
#include <vector>

namespace mldeck::fuzz {

struct Budget
{
    int inputs = 4000;       // per target (MLDECK_FUZZ_INPUTS)
    double seconds = 8;      // per target, whichever comes first (MLDECK_FUZZ_SECONDS)
    double inputSeconds = 5; // one input longer than this is a hang (MLDECK_FUZZ_INPUT_SECONDS)
    quint64 seed = 1;        // MLDECK_FUZZ_SEED
    static Budget fromEnvironment();
};

// What a parser did with one input: accepted it (and the result passed the checks), or refused it
// with a readable error. failure is set when neither holds.
struct Verdict
{
    bool accepted = false;
    QString failure;
};

using Check = std::function<Verdict(const QByteArray &input)>;

// A refusal is acceptable when its message is non-empty and of a size a person can read.
Verdict refused(const QString &message, const QByteArray &input);

struct Report
{
    int inputs = 0;
    int accepted = 0; // inputs the parser took as valid (the rest were refused with an error)
    QString failure;  // the first check that failed, with the input saved where it says
};

class Fuzzer
{
public:
    Fuzzer(QString target, std::vector<QByteArray> seeds, const Budget &budget);

    // Runs the seeds as they are, then mutated seeds and random bytes, until the budget is spent or a
    // check fails (the failing input is saved in the working directory).
    Report run(const Check &check);

private:
    QByteArray next(int index);
    QByteArray mutate(QByteArray data);
    QString save(const QByteArray &input, const char *kind) const;

    QString m_target;
    std::vector<QByteArray> m_seeds;
    Budget m_budget;
    std::mt19937_64 m_rng;
};

} // namespace mldeck::fuzz

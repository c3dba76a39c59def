#pragma once

// What every benchmark prints: its figures on standard output, a fatal error on standard error
// named after the benchmark (the executable's name), then exit 1.

#include <QCoreApplication>
#include <QString>
#include <QTextStream>

#include <cstdlib>

namespace mldeck::bench {

inline QTextStream &out()
{
    static QTextStream s(stdout);
    return s;
}

[[noreturn]] inline void die(const QString &what)
{
    QTextStream(stderr) << QCoreApplication::applicationName() << ": " << what << "\n";
    std::exit(1);
}

} // namespace mldeck::bench

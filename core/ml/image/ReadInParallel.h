#pragma once

#include <QList>
#include <QStringList>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentMap>

#include <functional>

namespace mldeck {

// The one way images are read and decoded in parallel in the console process (evaluation, drift): fn(key)
// for every key, results in the keys' order. The calling thread works too; `helpers` lends more threads
// (nullptr: the calling thread alone). Blocking; an exception in fn is rethrown here after every thread stopped.
template <typename T>
QList<T> readInParallel(const QStringList &keys, const std::function<T(const QString &)> &fn, QThreadPool *helpers)
{
    if (!helpers) {
        QList<T> out;
        out.reserve(keys.size());
        for (const QString &k : keys)
            out.push_back(fn(k));
        return out;
    }
    return QtConcurrent::blockingMapped(helpers, keys, fn);
}

} // namespace mldeck

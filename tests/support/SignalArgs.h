#pragma once

#include <QVariant>

namespace mldeck::test {

// A signal argument recorded by QSignalSpy. QVariant::value<T>() needs a default constructor, which
// Result<T> has not: this reads the stored object.
template <typename T> const T &signalArg(const QVariant &v)
{
    return *static_cast<const T *>(v.constData());
}

} // namespace mldeck::test

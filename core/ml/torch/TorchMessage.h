#pragma once

// Internal to core/ml/torch: included only by the .cpp files that already include torch.
#include <QString>
#include <QStringList>

#include <c10/util/Exception.h>

#include <exception>

namespace mldeck {

// Torch messages carry C++ backtraces and source locations: keep one readable line for the user.
inline QString torchMessage(const std::exception &e)
{
    const auto *c10Error = dynamic_cast<const c10::Error *>(&e);
    QString text = QString::fromStdString(c10Error ? c10Error->what_without_backtrace() : e.what());
    // TorchScript interpreter errors start with a generic line and end with the actual reason.
    const QStringList lines = text.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    text = lines.isEmpty() ? text : lines.constFirst().trimmed();
    if (text.startsWith(QLatin1String("The following operation failed in the TorchScript interpreter")) &&
        lines.size() > 1)
        text = lines.constLast().trimmed();
    if (text.size() > 240)
        text = text.left(240) + QStringLiteral("…");
    return text;
}

// LibTorch reports a failed allocation as a c10::Error with one of these phrases.
inline bool looksLikeOutOfMemory(const QString &message)
{
    return message.contains(QLatin1String("can't allocate memory"), Qt::CaseInsensitive) ||
           message.contains(QLatin1String("out of memory"), Qt::CaseInsensitive) ||
           message.contains(QLatin1String("not enough memory"), Qt::CaseInsensitive);
}

} // namespace mldeck

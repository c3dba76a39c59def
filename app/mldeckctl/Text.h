#pragma once

// The translation context of mldeckctl: every verb translates through Text::tr("..."), which
// lupdate files under "mldeck::cli" and which looks the string up under that same context.
#include <QCoreApplication>

namespace mldeck::cli {

struct Text
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::cli)
};

} // namespace mldeck::cli

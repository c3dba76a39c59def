#pragma once

// The translation contexts of the core library, one per module. Code that is not a QObject
// translates through them: StoreText::tr("...") is filed by lupdate under "mldeck::store" and
// looked up under the same context at run time, so the French catalogue always matches.
// (A free tr() function would not do: lupdate files its strings under the enclosing namespace.)
#include <QCoreApplication>

namespace mldeck {

struct ConfigText
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::config)
};

struct DomainText
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::domain)
};

struct StoreText
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::store)
};

struct MlText
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::ml)
};

struct StatsText
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::stats)
};

struct RolloutText
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::rollout)
};

struct SimulatorText
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::simulator)
};

struct ServiceText
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::services)
};

} // namespace mldeck

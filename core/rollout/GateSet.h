#pragma once

#include "core/domain/Result.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace mldeck {

// A condition's outcome. Inconclusive is neither: not enough samples yet, or a figure that cannot
// be measured (no outcomes yet). It never passes and never fails a combination on its own.
enum class GateState
{
    Pass,
    Fail,
    Inconclusive
};

// How a set of conditions decides: all of them, any of them, or at least N of them must hold.
// Advisory conditions are evaluated and shown but never decide (Argo Rollouts' dry-run metrics).
// A staged plan's step combines its gates (does each gate pass?); the guard combines the conditions
// of one action (does each condition breach?): the same logic over "the condition holds".
struct GateCombination
{
    enum class Mode
    {
        All,
        Any,
        AtLeast
    };
    Mode mode = Mode::All;
    int atLeast = 1;      // Mode::AtLeast only
    QStringList advisory; // names of the conditions that never decide

    bool isAdvisory(const QString &name) const { return advisory.contains(name); }
    bool operator==(const GateCombination &) const = default;

    // Empty when sane: at least N from 1, advisory names among `known` and not in `required` (those
    // always decide, e.g. a plan's minimum samples and soak time), and a combination that can be met
    // by the conditions that exist where it applies (`present`: the deployment's task's conditions,
    // a plan's optional gates only when set; none given: `known`): "any" and "at least N" need N
    // deciding ones there.
    QString validate(const QStringList &known, const QStringList &required = {},
                     const std::optional<QStringList> &present = std::nullopt) const;
    // The distinct conditions of `present` that are not advisory.
    QStringList deciding(const QStringList &present) const;

    // {"mode": "all"|"any"|"at_least", "at_least": N, "advisory": [...]}; "at_least" only for that mode.
    QJsonObject toJson() const;
    // The reverse; an empty object is the given default (rows stored before combinations existed).
    static Result<GateCombination> fromJson(const QJsonObject &json, Mode defaultMode);

    // "all", "any", "at-least-2" (as the CLI takes them) -> the mode; a readable error otherwise.
    static Result<GateCombination> parseMode(const QString &text);
    QString modeText() const; // the reverse: "all", "any", "at-least-2"
    // For people: "all of 4", "any of 2", "at least 2 of 3" over the deciding conditions.
    QString describe(int deciding) const;
};

namespace gates {

// One condition as a combination sees it.
struct Condition
{
    QString name;
    GateState state = GateState::Inconclusive;
};

// The combination's outcome over the non-advisory conditions:
// - all: fails once one fails; passes when every one passes; else inconclusive;
// - any: passes once one passes; fails when every one fails; else inconclusive;
// - at least N: passes with N passing; fails once fewer than N can still pass; else inconclusive.
// No deciding condition at all: all passes (nothing stands in the way), any and at least N fail.
// (The guard reads "pass" as "breach": it never combines an action without a deciding condition.)
GateState combine(const GateCombination &combination, const QList<Condition> &conditions);

QString stateName(GateState state); // "pass", "fail", "inconclusive" (JSON, the audit log)

} // namespace gates
} // namespace mldeck

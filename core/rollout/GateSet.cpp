#include "core/rollout/GateSet.h"

#include "core/Text.h"

#include <QJsonArray>
#include <QRegularExpression>

namespace mldeck {

namespace {

const QString kAll = QStringLiteral("all");
const QString kAny = QStringLiteral("any");
const QString kAtLeast = QStringLiteral("at_least");

} // namespace

QString GateCombination::validate(const QStringList &known, const QStringList &required,
                                  const std::optional<QStringList> &present) const
{
    if (mode == Mode::AtLeast && (atLeast < 1 || atLeast > 100))
        return RolloutText::tr("\"At least N of\" needs N from 1 to 100 (got %1).").arg(atLeast);
    for (const QString &name : advisory) {
        if (required.contains(name))
            return RolloutText::tr("\"%1\" is always required and cannot be advisory.").arg(name);
        if (!known.contains(name))
            return RolloutText::tr("\"%1\" is not a condition that can be advisory (known: %2).")
                .arg(name, known.join(QStringLiteral(", ")));
    }
    const QStringList decide = deciding(present.value_or(known));
    if (mode != Mode::All && decide.isEmpty())
        return RolloutText::tr("\"%1\" can never be met: no condition decides here (all are advisory or absent).")
            .arg(modeText());
    if (mode == Mode::AtLeast && atLeast > decide.size())
        return RolloutText::tr("At least %1 can never be met: only %2 condition(s) decide here (%3).")
            .arg(atLeast)
            .arg(decide.size())
            .arg(decide.join(QStringLiteral(", ")));
    return {};
}

QStringList GateCombination::deciding(const QStringList &present) const
{
    QStringList out;
    for (const QString &name : present)
        if (!isAdvisory(name) && !out.contains(name))
            out << name;
    return out;
}

QJsonObject GateCombination::toJson() const
{
    QJsonObject o{{QStringLiteral("mode"), mode == Mode::All   ? kAll
                                           : mode == Mode::Any ? kAny
                                                               : kAtLeast},
                  {QStringLiteral("advisory"), QJsonArray::fromStringList(advisory)}};
    if (mode == Mode::AtLeast)
        o.insert(QStringLiteral("at_least"), atLeast);
    return o;
}

Result<GateCombination> GateCombination::fromJson(const QJsonObject &json, Mode defaultMode)
{
    GateCombination c;
    c.mode = defaultMode;
    const QString mode = json.value(QStringLiteral("mode")).toString();
    if (mode == kAll)
        c.mode = Mode::All;
    else if (mode == kAny)
        c.mode = Mode::Any;
    else if (mode == kAtLeast)
        c.mode = Mode::AtLeast;
    else if (!mode.isEmpty())
        return Error{RolloutText::tr("Unknown combination mode \"%1\" (all, any or at_least).").arg(mode)};
    if (c.mode == Mode::AtLeast) {
        const QJsonValue n = json.value(QStringLiteral("at_least"));
        if (!n.isDouble())
            return Error{RolloutText::tr("An \"at_least\" combination needs its number N.")};
        c.atLeast = n.toInt();
    }
    for (const QJsonValue &v : json.value(QStringLiteral("advisory")).toArray())
        c.advisory << v.toString();
    return c;
}

Result<GateCombination> GateCombination::parseMode(const QString &text)
{
    GateCombination c;
    const QString t = text.trimmed().toLower();
    if (t == kAll)
        return c;
    if (t == kAny) {
        c.mode = Mode::Any;
        return c;
    }
    static const QRegularExpression atLeast(QStringLiteral("^at[-_ ]least[-_ ](\\d{1,3})$"));
    if (const auto m = atLeast.match(t); m.hasMatch()) {
        c.mode = Mode::AtLeast;
        c.atLeast = m.captured(1).toInt();
        if (c.atLeast < 1 || c.atLeast > 100)
            return Error{RolloutText::tr("\"At least N of\" needs N from 1 to 100 (got %1).").arg(c.atLeast)};
        return c;
    }
    return Error{RolloutText::tr("\"%1\" is not a combination: all, any or at-least-N (e.g. at-least-2).").arg(text)};
}

QString GateCombination::modeText() const
{
    if (mode == Mode::AtLeast)
        return QStringLiteral("at-least-%1").arg(atLeast);
    return mode == Mode::All ? kAll : kAny;
}

QString GateCombination::describe(int deciding) const
{
    switch (mode) {
    case Mode::Any:
        return RolloutText::tr("at least 1 of %1").arg(deciding);
    case Mode::AtLeast:
        return RolloutText::tr("at least %1 of %2").arg(atLeast).arg(deciding);
    case Mode::All:
        break;
    }
    return RolloutText::tr("all %1").arg(deciding);
}

namespace gates {

GateState combine(const GateCombination &combination, const QList<Condition> &conditions)
{
    int pass = 0;
    int fail = 0;
    int unknown = 0;
    for (const Condition &c : conditions) {
        if (combination.isAdvisory(c.name))
            continue;
        if (c.state == GateState::Pass)
            ++pass;
        else if (c.state == GateState::Fail)
            ++fail;
        else
            ++unknown;
    }
    const int deciding = pass + fail + unknown;
    int needed = deciding; // all
    if (combination.mode == GateCombination::Mode::Any)
        needed = 1;
    else if (combination.mode == GateCombination::Mode::AtLeast)
        needed = combination.atLeast;
    if (pass >= needed)
        return GateState::Pass;
    if (pass + unknown < needed)
        return GateState::Fail;
    return GateState::Inconclusive;
}

QString stateName(GateState state)
{
    switch (state) {
    case GateState::Pass:
        return QStringLiteral("pass");
    case GateState::Fail:
        return QStringLiteral("fail");
    case GateState::Inconclusive:
        break;
    }
    return QStringLiteral("inconclusive");
}

} // namespace gates
} // namespace mldeck

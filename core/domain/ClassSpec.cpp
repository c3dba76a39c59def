#include "core/domain/ClassSpec.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QSet>

namespace mldeck {

namespace {

struct ClassSpecText
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::ClassSpec)
};

template <typename T> int decideImpl(const ClassSpec &spec, std::span<const T> p)
{
    if (p.empty())
        return 0;
    if (spec.isBinary() && p.size() >= 2)
        return double(p[1]) >= spec.decisionThreshold ? 1 : 0;
    size_t best = 0;
    for (size_t i = 1; i < p.size(); ++i)
        if (p[i] > p[best])
            best = i;
    return int(best);
}

} // namespace

int ClassSpec::decide(std::span<const float> p) const
{
    return decideImpl(*this, p);
}

int ClassSpec::decide(std::span<const double> p) const
{
    return decideImpl(*this, p);
}

Status ClassSpec::validate() const
{
    if (classes.size() < 2)
        return Error{ClassSpecText::tr("A classifier needs at least two classes (%1 given).").arg(classes.size())};
    if (classes.size() > kMaxClasses)
        return Error{
            ClassSpecText::tr("A classifier has at most %1 classes (%2 given).").arg(kMaxClasses).arg(classes.size())};
    QSet<QString> seen;
    for (const QString &c : classes) {
        if (c.trimmed().isEmpty())
            return Error{ClassSpecText::tr("A class name is empty.")};
        if (c.size() > 64)
            return Error{ClassSpecText::tr("The class name \"%1…\" is longer than 64 characters.").arg(c.left(20))};
        if (seen.contains(c))
            return Error{ClassSpecText::tr("The class \"%1\" is named twice.").arg(c)};
        seen.insert(c);
    }
    if (!(decisionThreshold > 0 && decisionThreshold < 1))
        return Error{ClassSpecText::tr("The decision threshold must lie strictly between 0 and 1 (%1 given).")
                         .arg(decisionThreshold)};
    return {};
}

QJsonObject ClassSpec::toJson() const
{
    return {{QStringLiteral("classes"), QJsonArray::fromStringList(classes)},
            {QStringLiteral("decision_threshold"), decisionThreshold}};
}

Result<ClassSpec> ClassSpec::fromJson(const QJsonObject &o)
{
    ClassSpec spec;
    const QJsonValue classes = o.value(QStringLiteral("classes"));
    if (!classes.isArray())
        return Error{ClassSpecText::tr("\"classes\" must be a list of class names.")};
    for (const QJsonValue &v : classes.toArray()) {
        if (!v.isString())
            return Error{ClassSpecText::tr("\"classes\" must be a list of class names.")};
        spec.classes << v.toString();
    }
    if (const QJsonValue t = o.value(QStringLiteral("decision_threshold")); !t.isUndefined()) {
        if (!t.isDouble())
            return Error{ClassSpecText::tr("\"decision_threshold\" must be a number.")};
        spec.decisionThreshold = t.toDouble();
    }
    if (auto st = spec.validate(); !st)
        return st.error();
    return spec;
}

} // namespace mldeck

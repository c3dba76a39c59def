#include "core/services/metrics/PromWriter.h"

#include <cmath>

namespace mldeck {

PromWriter::Family *PromWriter::find(const QString &name)
{
    for (Family &f : m_families)
        if (f.name == name)
            return &f;
    return nullptr;
}

void PromWriter::family(const QString &name, const QString &type, const QString &help)
{
    if (!find(name))
        m_families.push_back(Family{name, type, help, {}});
}

QString PromWriter::escapeLabelValue(const QString &value)
{
    QString out;
    out.reserve(value.size());
    for (const QChar c : value) {
        if (c == QLatin1Char('\\'))
            out += QLatin1String("\\\\");
        else if (c == QLatin1Char('"'))
            out += QLatin1String("\\\"");
        else if (c == QLatin1Char('\n'))
            out += QLatin1String("\\n");
        else
            out += c;
    }
    return out;
}

QByteArray PromWriter::formatValue(double value)
{
    if (std::isnan(value))
        return QByteArrayLiteral("NaN");
    if (std::isinf(value))
        return value > 0 ? QByteArrayLiteral("+Inf") : QByteArrayLiteral("-Inf");
    if (value == std::floor(value) && std::abs(value) < 1e15)
        return QByteArray::number(qint64(value));
    return QByteArray::number(value, 'g', 17);
}

void PromWriter::sample(const QString &familyName, const QString &suffix, const Labels &labels, double value)
{
    Family *f = find(familyName);
    if (!f)
        return; // a programming error: every family is declared before its samples
    QByteArray line = (familyName + suffix).toUtf8();
    if (!labels.isEmpty()) {
        line += '{';
        for (qsizetype i = 0; i < labels.size(); ++i) {
            if (i > 0)
                line += ',';
            line += labels[i].first.toUtf8() + "=\"" + escapeLabelValue(labels[i].second).toUtf8() + '"';
        }
        line += '}';
    }
    line += ' ' + formatValue(value) + '\n';
    f->samples += line;
    ++m_series;
}

QByteArray PromWriter::text() const
{
    QByteArray out;
    for (const Family &f : m_families) {
        if (f.samples.isEmpty())
            continue; // a family without samples says nothing: no data is not a zero
        QString help = f.help;
        help.replace(QLatin1Char('\\'), QLatin1String("\\\\")).replace(QLatin1Char('\n'), QLatin1String("\\n"));
        out += "# HELP " + f.name.toUtf8() + ' ' + help.toUtf8() + '\n';
        out += "# TYPE " + f.name.toUtf8() + ' ' + f.type.toUtf8() + '\n';
        out += f.samples;
    }
    return out;
}

} // namespace mldeck

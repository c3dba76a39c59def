#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

#include <utility>
#include <vector>

namespace mldeck {

// Builds a Prometheus text exposition (format 0.0.4): each family's HELP and TYPE once, then all of
// its samples together, whatever order they were added in; label values escaped; numbers as
// Prometheus reads them (NaN, +Inf, -Inf). Pure: tested against `promtool check metrics`.
class PromWriter final
{
public:
    using Labels = QList<std::pair<QString, QString>>;

    // Declares a family (type: counter, gauge, histogram, summary). Declaring it again is harmless.
    void family(const QString &name, const QString &type, const QString &help);
    // A sample of a declared family; suffix "" or "_bucket", "_sum", "_count", "_total"…
    void sample(const QString &family, const QString &suffix, const Labels &labels, double value);
    void sample(const QString &family, const Labels &labels, double value) { sample(family, QString(), labels, value); }

    QByteArray text() const;
    int seriesCount() const { return m_series; }

    static QString escapeLabelValue(const QString &value);
    static QByteArray formatValue(double value);

private:
    struct Family
    {
        QString name;
        QString type;
        QString help;
        QByteArray samples;
    };
    Family *find(const QString &name);
    std::vector<Family> m_families;
    int m_series = 0;
};

} // namespace mldeck

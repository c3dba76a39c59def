#pragma once

#include <QColor>
#include <QList>
#include <QString>
#include <QStringList>
#include <QWidget>

class QBarCategoryAxis;
class QChartView;
class QValueAxis;

namespace mldeck::ui {

// Bars per category, several sets side by side: histograms (one category per bin) and comparisons of
// distributions. Drawn with Qt Charts behind this adapter; pages give categories, sets and ranges.
class BarChart final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(BarChart)

public:
    struct Set
    {
        QString name;
        QList<double> values; // one per category
        QColor color;
    };

    explicit BarChart(QWidget *parent = nullptr);
    ~BarChart() override;

    void setTitle(const QString &title);
    QString title() const;
    void setAxisTitles(const QString &categories, const QString &values);
    // Labels turned by `angle` degrees (-90: vertical) and scaled by `fontScale`.
    void setCategoryLabelStyle(int angle, double fontScale = 1);
    // printf-style ("%d", "%.1f").
    void setValueLabelFormat(const QString &format);
    // The share of a category's width the bars fill (0..1).
    void setBarWidth(double share);
    void setLegendVisible(bool visible);

    // Replaces every bar. The value axis spans 0 .. the highest value plus `headroom` (0.1: 10 %), at
    // least `minimumTop`; with `nice` it is widened to round tick values.
    void setBars(const QStringList &categories, const QList<Set> &sets, double headroom = 0.1, double minimumTop = 1,
                 bool nice = false);
    void clear();
    int setCount() const { return m_sets; }

private:
    QChartView *m_view = nullptr;
    QBarCategoryAxis *m_categories = nullptr;
    QValueAxis *m_values = nullptr;
    double m_barWidth = 0.8;
    int m_sets = 0;
};

} // namespace mldeck::ui

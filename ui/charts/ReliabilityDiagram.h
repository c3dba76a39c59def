#pragma once

#include <QColor>
#include <QList>
#include <QString>
#include <QStringList>
#include <QWidget>

#include <optional>

class QLabel;

namespace mldeck::ui {

class XYChart;

// A reliability diagram: for each bin of predicted probability, the share of rows that turned out
// positive (or right) against the mean probability predicted, with the diagonal of a perfectly
// calibrated model. Several curves may share it (paths, models). Drawn with XYChart; a caption under
// it says what the curves rest on, or "no data".
class ReliabilityDiagram final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReliabilityDiagram)

public:
    struct Point
    {
        double meanScore = 0; // mean predicted probability of the bin's rows
        double observed = 0;  // share of them positive (binary) or right (multi-class)
        qint64 count = 0;
    };

    explicit ReliabilityDiagram(QWidget *parent = nullptr);

    void setTitle(const QString &title);
    QString title() const;
    void setAxisTitles(const QString &x, const QString &y);
    // Replaces the curve called `name` (bins without rows are left out by the caller).
    void setCurve(const QString &name, const QList<Point> &points, const QColor &color);
    void clear();
    int pointCount(const QString &name) const;
    // The line under the chart (e.g. "ECE 3.2 % over 1,234 labelled rows"); empty: "no data".
    void setCaption(const QString &caption);
    QString caption() const;

private:
    XYChart *m_chart = nullptr;
    QLabel *m_caption = nullptr;
    QStringList m_curves;
};

} // namespace mldeck::ui

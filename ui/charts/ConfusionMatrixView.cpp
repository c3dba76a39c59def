#include "ui/charts/ConfusionMatrixView.h"

#include "core/domain/Figure.h"
#include "ui/Theme.h"

#include <QFontMetrics>
#include <QLocale>
#include <QPainter>

#include <algorithm>
#include <numeric>

namespace mldeck::ui {

namespace {

QColor blend(const QColor &from, const QColor &to, double t)
{
    t = std::clamp(t, 0.0, 1.0);
    return QColor::fromRgbF(float(from.redF() + (to.redF() - from.redF()) * t),
                            float(from.greenF() + (to.greenF() - from.greenF()) * t),
                            float(from.blueF() + (to.blueF() - from.blueF()) * t));
}

} // namespace

ConfusionMatrixView::ConfusionMatrixView(QWidget *parent) : QWidget(parent)
{
    setMinimumHeight(220);
}

void ConfusionMatrixView::setTitle(const QString &title)
{
    m_title = title;
    update();
}

void ConfusionMatrixView::setMatrix(const QStringList &classes, const std::vector<qint64> &counts)
{
    const size_t k = size_t(classes.size());
    if (counts.size() != k * k) { // a matrix of another shape is not this one's: show nothing
        clear();
        return;
    }
    m_classes = classes;
    m_counts = counts;
    setToolTip(tr("Rows: the actual class; columns: the class served. A cell shows its count and its share of "
                  "the row."));
    update();
}

void ConfusionMatrixView::clear()
{
    m_classes.clear();
    m_counts.clear();
    update();
}

qint64 ConfusionMatrixView::count(int actual, int predicted) const
{
    const int k = classCount();
    if (actual < 0 || predicted < 0 || actual >= k || predicted >= k)
        return 0;
    return m_counts[size_t(actual * k + predicted)];
}

qint64 ConfusionMatrixView::total() const
{
    return std::accumulate(m_counts.begin(), m_counts.end(), qint64(0));
}

qint64 ConfusionMatrixView::rowTotal(int actual) const
{
    qint64 sum = 0;
    for (int p = 0; p < classCount(); ++p)
        sum += count(actual, p);
    return sum;
}

QString ConfusionMatrixView::cellText(int actual, int predicted) const
{
    const qint64 n = count(actual, predicted);
    const auto share = ratioOf(double(n), double(rowTotal(actual)));
    return QStringLiteral("%1\n%2").arg(QLocale().toString(n), figureText(share, [](double v) {
                                            return tr("%1 %").arg(QLocale().toString(v * 100.0, 'f', 1));
                                        }));
}

QSize ConfusionMatrixView::sizeHint() const
{
    return {420, 320};
}

QSize ConfusionMatrixView::minimumSizeHint() const
{
    return {240, 220};
}

void ConfusionMatrixView::paintEvent(QPaintEvent *)
{
    QPainter p(this);
    p.setRenderHint(QPainter::Antialiasing);
    p.fillRect(rect(), themeColor(Palette::Base));
    QRectF area = QRectF(rect()).adjusted(8, 6, -8, -8);

    QFont titleFont = font();
    titleFont.setBold(true);
    p.setFont(titleFont);
    p.setPen(themeColor(Palette::Ink));
    const QFontMetricsF titleMetrics(titleFont);
    p.drawText(QRectF(area.left(), area.top(), area.width(), titleMetrics.height()), Qt::AlignHCenter, m_title);
    area.setTop(area.top() + titleMetrics.height() + 6);

    const int k = classCount();
    if (k == 0 || total() == 0) {
        p.setFont(font());
        p.setPen(themeColor(Palette::Faint));
        p.drawText(area, Qt::AlignCenter, noDataText());
        return;
    }

    QFont small = font();
    small.setPointSizeF(std::max(6.0, font().pointSizeF() * (k > 6 ? 0.75 : 0.9)));
    const QFontMetricsF fm(small);
    qreal nameWidth = 0;
    for (const QString &c : m_classes)
        nameWidth = std::max(nameWidth, fm.horizontalAdvance(c));
    nameWidth = std::min(nameWidth + 8, area.width() * 0.3);
    const qreal axisTitle = fm.height() + 4;
    const QRectF grid(area.left() + axisTitle + nameWidth, area.top() + axisTitle + fm.height() + 4,
                      area.width() - axisTitle - nameWidth, area.height() - axisTitle - fm.height() - 4);
    const qreal cw = grid.width() / k, ch = grid.height() / k;

    // Axis titles: "Served as" over the columns, "Actual" up the rows.
    p.setFont(small);
    p.setPen(themeColor(Palette::Muted));
    p.drawText(QRectF(grid.left(), area.top(), grid.width(), fm.height()), Qt::AlignCenter, tr("Served as"));
    p.save();
    p.translate(area.left() + fm.height(), grid.center().y());
    p.rotate(-90);
    p.drawText(QRectF(-grid.height() / 2, -fm.height(), grid.height(), fm.height()), Qt::AlignCenter, tr("Actual"));
    p.restore();

    p.setPen(themeColor(Palette::InkSoft));
    for (int i = 0; i < k; ++i) {
        const QString name = fm.elidedText(m_classes.at(i), Qt::ElideRight, std::max<qreal>(cw - 4, 10));
        p.drawText(QRectF(grid.left() + i * cw, grid.top() - fm.height() - 2, cw, fm.height()), Qt::AlignCenter, name);
        p.drawText(QRectF(area.left() + axisTitle, grid.top() + i * ch, nameWidth - 6, ch),
                   Qt::AlignRight | Qt::AlignVCenter, fm.elidedText(m_classes.at(i), Qt::ElideRight, nameWidth - 6));
    }

    const QColor base = themeColor(Palette::Base), accent = themeColor(Palette::Accent);
    const bool showShare = ch >= 2.2 * fm.height() && cw >= fm.horizontalAdvance(QStringLiteral("100.0 %")) + 4;
    for (int a = 0; a < k; ++a) {
        const double rowSum = double(rowTotal(a));
        for (int c = 0; c < k; ++c) {
            const QRectF cell(grid.left() + c * cw, grid.top() + a * ch, cw, ch);
            const double share = rowSum > 0 ? double(count(a, c)) / rowSum : 0.0;
            p.fillRect(cell, blend(base, accent, share * 0.9));
            p.setPen(QPen(a == c ? themeColor(Palette::Good) : themeColor(Palette::Rule), a == c ? 2 : 1));
            p.drawRect(cell.adjusted(0.5, 0.5, -0.5, -0.5));
            p.setPen(share > 0.5 ? base : themeColor(Palette::Ink));
            const QString text = showShare ? cellText(a, c) : QLocale().toString(count(a, c));
            p.drawText(cell, Qt::AlignCenter, text);
        }
    }
}

} // namespace mldeck::ui

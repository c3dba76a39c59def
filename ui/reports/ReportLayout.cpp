#include "ui/reports/ReportLayout.h"

#include "ui/Theme.h"
#include "ui/reports/ReportChart.h"

#include <QFontMetricsF>
#include <QPageLayout>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QSaveFile>

namespace mldeck::ui {

namespace {

constexpr double kMargin = 42; // points
constexpr double kRowHeight = 14;
constexpr int kPdfDpi = 300;

} // namespace

ReportLayout::ReportLayout(QPainter &painter, const QRectF &pageRect, double dpi, std::function<bool()> newPage,
                           QString footer)
    : m_painter(painter), m_pageRect(pageRect), m_unit(dpi / 72.0), m_newPage(std::move(newPage)),
      m_footer(std::move(footer))
{
}

QRectF ReportLayout::textRect() const
{
    return m_pageRect.adjusted(pt(kMargin), pt(kMargin), -pt(kMargin), -pt(kMargin));
}

void ReportLayout::setFont(double points, bool bold)
{
    QFont f = m_painter.font();
    f.setPointSizeF(points);
    f.setBold(bold);
    m_painter.setFont(f);
}

double ReportLayout::lineHeight() const
{
    return QFontMetricsF(m_painter.font(), m_painter.device()).height();
}

void ReportLayout::begin()
{
    m_painter.setRenderHint(QPainter::TextAntialiasing, true);
    m_y = textRect().top();
}

void ReportLayout::end()
{
    footer();
}

bool ReportLayout::breakPage()
{
    footer();
    if (!m_newPage())
        return false;
    ++m_page;
    m_y = textRect().top();
    return true;
}

bool ReportLayout::ensureRoom(double height)
{
    if (m_y + height <= textRect().bottom())
        return true;
    return breakPage();
}

void ReportLayout::footer()
{
    const QRectF r = textRect();
    setFont(7);
    m_painter.setPen(themeColor(Palette::Muted));
    const QRectF line(r.left(), r.bottom() + pt(10), r.width(), pt(10));
    m_painter.drawText(line, Qt::AlignLeft | Qt::AlignVCenter, m_footer);
    m_painter.drawText(line, Qt::AlignRight | Qt::AlignVCenter, tr("Page %1").arg(m_page));
}

void ReportLayout::title(const QString &title, const QStringList &subtitleLines)
{
    const QRectF r = textRect();
    setFont(18, true);
    m_painter.setPen(themeColor(Palette::Ink));
    const double h1 = lineHeight();
    m_painter.drawText(QRectF(r.left(), m_y, r.width(), h1), Qt::AlignLeft | Qt::AlignVCenter, title);
    m_y += h1 + pt(2);
    setFont(10);
    m_painter.setPen(themeColor(Palette::Muted));
    const double h2 = lineHeight();
    for (const QString &line : subtitleLines) {
        m_painter.drawText(QRectF(r.left(), m_y, r.width(), h2), Qt::AlignLeft | Qt::AlignVCenter, line);
        m_y += h2;
    }
    m_y += pt(8);
    m_painter.setPen(QPen(themeColor(Palette::Rule), pt(1)));
    m_painter.drawLine(QPointF(r.left(), m_y), QPointF(r.right(), m_y));
    m_y += pt(12);
}

void ReportLayout::heading(const QString &text)
{
    const QRectF r = textRect();
    setFont(12, true);
    m_painter.setPen(themeColor(Palette::Ink));
    const double h = lineHeight();
    m_painter.drawText(QRectF(r.left(), m_y, r.width(), h), Qt::AlignLeft | Qt::AlignVCenter, text);
    m_y += h + pt(4);
}

void ReportLayout::paragraph(const QString &text, double points, bool bold, bool muted)
{
    const QRectF r = textRect();
    setFont(points, bold);
    m_painter.setPen(themeColor(muted ? Palette::Muted : Palette::Ink));
    const QFontMetricsF fm(m_painter.font(), m_painter.device());
    const int flags = Qt::AlignLeft | Qt::AlignTop | Qt::TextWordWrap;
    const double h = fm.boundingRect(QRectF(r.left(), 0, r.width(), r.height()), flags, text).height();
    if (!ensureRoom(h))
        return;
    setFont(points, bold); // the footer of a new page changed it
    m_painter.setPen(themeColor(muted ? Palette::Muted : Palette::Ink));
    m_painter.drawText(QRectF(r.left(), m_y, r.width(), h), flags, text);
    m_y += h + pt(points / 3);
}

void ReportLayout::tableRow(const QList<Column> &columns, const QList<Cell> &cells, bool header, bool shaded)
{
    const QRectF r = textRect();
    const double h = pt(kRowHeight);
    if (header || shaded)
        m_painter.fillRect(QRectF(r.left(), m_y, r.width(), h),
                           themeColor(header ? Palette::ShadeStrong : Palette::Shade));
    setFont(header ? 7.5 : 8, header);
    double x = r.left();
    for (qsizetype i = 0; i < columns.size(); ++i) {
        const double w = columns.at(i).width * r.width();
        const QRectF cell(x + pt(3), m_y, w - pt(6), h);
        const Cell c = header ? Cell{columns.at(i).title} : cells.value(i);
        QColor color = themeColor(Palette::Ink);
        if (c.verdict != 0) {
            color = themeColor(c.verdict > 0 ? Palette::Good : Palette::Bad);
            QColor tint = color;
            tint.setAlpha(28);
            m_painter.fillRect(QRectF(x + pt(1), m_y + pt(1), w - pt(2), h - pt(2)), tint);
        }
        m_painter.setPen(color);
        QFont f = m_painter.font();
        f.setBold(header || c.verdict != 0);
        m_painter.setFont(f);
        const QFontMetricsF cellMetrics(f, m_painter.device());
        m_painter.drawText(cell, int(columns.at(i).align | Qt::AlignVCenter),
                           cellMetrics.elidedText(c.text, Qt::ElideRight, cell.width()));
        x += w;
    }
    m_y += h;
    m_painter.setPen(QPen(themeColor(Palette::Rule), pt(0.5)));
    m_painter.drawLine(QPointF(r.left(), m_y), QPointF(r.right(), m_y));
}

bool ReportLayout::table(const QString &heading, const QList<Column> &columns, const QList<QList<Cell>> &rows,
                         const QString &emptyText, const QString &note)
{
    const QRectF r = textRect();
    if (!ensureRoom(pt(24 + 3 * kRowHeight)))
        return false;
    this->heading(heading);
    if (!note.isEmpty()) {
        setFont(8);
        m_painter.setPen(themeColor(Palette::Muted));
        m_painter.drawText(QRectF(r.left(), m_y, r.width(), pt(12)), Qt::AlignLeft | Qt::AlignVCenter, note);
        m_y += pt(12);
    }
    if (rows.isEmpty()) {
        setFont(9);
        m_painter.setPen(themeColor(Palette::Muted));
        m_painter.drawText(QRectF(r.left(), m_y, r.width(), pt(kRowHeight)), Qt::AlignLeft | Qt::AlignVCenter,
                           emptyText);
        m_y += pt(kRowHeight);
        return true;
    }
    tableRow(columns, {}, true, false);
    for (qsizetype i = 0; i < rows.size(); ++i) {
        if (m_y + pt(kRowHeight) > r.bottom()) {
            if (!breakPage())
                return false;
            this->heading(tr("%1 (continued)").arg(heading));
            tableRow(columns, {}, true, false);
        }
        tableRow(columns, rows.at(i), false, i % 2 == 1);
    }
    return true;
}

bool ReportLayout::chart(const ReportChartSpec &spec, double height)
{
    if (!ensureRoom(pt(height)))
        return false;
    const QRectF r = textRect();
    drawReportChart(m_painter, QRectF(r.left(), m_y, r.width(), pt(height)), spec, m_unit);
    m_y += pt(height);
    return true;
}

void ReportLayout::chartsToBottom(const QList<ReportChartSpec> &charts, double gap)
{
    if (charts.isEmpty())
        return;
    const QRectF r = textRect();
    const double chartH = (r.bottom() - m_y - pt(gap) * double(charts.size() - 1)) / double(charts.size());
    for (const ReportChartSpec &c : charts) {
        drawReportChart(m_painter, QRectF(r.left(), m_y, r.width(), chartH), c, m_unit);
        m_y += chartH + pt(gap);
    }
}

Status writeReportPdf(const QString &path, const QString &documentTitle, const QString &footer,
                      const PaintReport &paint)
{
    // QSaveFile writes a temporary file beside the target and renames it on commit().
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return Error{ReportLayout::tr("Cannot write %1: %2").arg(path, file.errorString())};
    {
        QPdfWriter writer(&file);
        writer.setResolution(kPdfDpi);
        writer.setPageLayout(QPageLayout(QPageSize(QPageSize::A4), QPageLayout::Portrait, QMarginsF(0, 0, 0, 0)));
        writer.setTitle(documentTitle);
        writer.setCreator(QStringLiteral("MLDeck"));
        QPainter painter;
        if (!painter.begin(&writer)) {
            file.cancelWriting();
            return Error{ReportLayout::tr("Cannot start the PDF %1.").arg(path)};
        }
        const QRectF page(QPointF(0, 0), QSizeF(writer.width(), writer.height()));
        ReportLayout layout(
            painter, page, kPdfDpi, [&writer] { return writer.newPage(); }, footer);
        layout.begin();
        const bool painted = paint(layout);
        if (painted)
            layout.end();
        painter.end();
        if (!painted) {
            file.cancelWriting();
            return Error{ReportLayout::tr("Cannot add a page to the PDF %1.").arg(path)};
        }
    }
    if (!file.commit())
        return Error{ReportLayout::tr("Cannot write %1: %2").arg(path, file.errorString())};
    return {};
}

QList<QImage> renderReportImages(double dpi, const QString &footer, const PaintReport &paint)
{
    const QSizeF a4mm = QPageSize(QPageSize::A4).size(QPageSize::Millimeter);
    const QSize size(qRound(a4mm.width() / 25.4 * dpi), qRound(a4mm.height() / 25.4 * dpi));
    auto blank = [&] {
        QImage image(size, QImage::Format_ARGB32_Premultiplied);
        // Point sizes follow the image's resolution, as they follow the PDF's.
        image.setDotsPerMeterX(qRound(dpi / 0.0254));
        image.setDotsPerMeterY(qRound(dpi / 0.0254));
        image.fill(themeColor(Palette::Base));
        return image;
    };
    QList<QImage> images{blank()};
    QPainter painter(&images.last());
    ReportLayout layout(
        painter, QRectF(QPointF(0, 0), QSizeF(size)), dpi,
        [&] {
            const QFont font = painter.font();
            painter.end();
            images.append(blank());
            const bool ok = painter.begin(&images.last());
            painter.setFont(font);
            return ok;
        },
        footer);
    layout.begin();
    if (paint(layout))
        layout.end();
    painter.end();
    return images;
}

} // namespace mldeck::ui

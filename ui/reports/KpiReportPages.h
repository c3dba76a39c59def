#pragma once

#include "core/services/KpiReport.h"

#include <QCoreApplication>
#include <QRectF>
#include <QStringList>

#include <functional>

class QPainter;

namespace mldeck::ui {

// Lays the KPI report out on A4 pages: title and summary per path against the targets, the
// charts, then the alerts and changes tables (breaking pages as needed). Draws on any paint
// device, so the PDF and the preview images are the same drawing.
class KpiReportPages final
{
    Q_DECLARE_TR_FUNCTIONS(KpiReportPdf)

public:
    // pageRect: the whole page in device units; dpi: the device's resolution; newPage: starts the
    // next page (QPdfWriter::newPage or a fresh image) and returns false when it cannot.
    KpiReportPages(const KpiReportData &data, QPainter &painter, const QRectF &pageRect, double dpi,
                   std::function<bool()> newPage);
    Q_DISABLE_COPY_MOVE(KpiReportPages)

    // Paints every page; false when a page could not be started.
    bool paint();
    int pageCount() const { return m_page; }

private:
    struct Column
    {
        QString title;
        double width; // share of the text width
        Qt::Alignment align = Qt::AlignLeft;
    };
    struct Cell
    {
        QString text;
        int verdict = 0; // 0 none, 1 meets the target, -1 misses it
    };

    bool breakPage();
    void footer();
    void title();
    void summaryTable();
    void versionsTable();
    bool charts();
    bool table(const QString &heading, const QList<Column> &columns, const QList<QList<Cell>> &rows,
               const QString &emptyText, const QString &note);
    void tableRow(const QList<Column> &columns, const QList<Cell> &cells, bool header, bool shaded);
    bool ensureRoom(double height);

    double pt(double points) const { return points * m_unit; }
    void setFont(double points, bool bold = false);
    QRectF textRect() const;

    const KpiReportData &m_data;
    QPainter &m_painter;
    QRectF m_pageRect;
    double m_unit; // one typographic point in device units
    std::function<bool()> m_newPage;
    double m_y = 0;
    int m_page = 1;
};

} // namespace mldeck::ui

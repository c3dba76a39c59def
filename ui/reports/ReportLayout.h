#pragma once

#include "core/domain/Result.h"

#include <QCoreApplication>
#include <QImage>
#include <QList>
#include <QRectF>
#include <QString>

#include <functional>

class QPainter;

namespace mldeck::ui {

struct ReportChartSpec;

// The one way MLDeck prints a report: A4 pages drawn with QPainter (QtGui only, no widgets), on a PDF
// or on preview images alike. ReportLayout keeps the pen's place on the page and draws the house's
// blocks (title, headings, wrapped text, tables that break across pages, charts) and a footer with
// the page number on every page; the KPI and the comparison reports only say what goes where.
class ReportLayout final
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::ui::ReportLayout)

public:
    struct Column
    {
        QString title;
        double width; // share of the text width
        Qt::Alignment align = Qt::AlignLeft;
    };
    struct Cell
    {
        QString text;
        int verdict = 0; // 0 none, 1 good (green), -1 bad (red)
    };

    // pageRect: the whole page in device units; dpi: the device's resolution; newPage: starts the
    // next page and returns false when it cannot; footer: the text at the foot of every page.
    ReportLayout(QPainter &painter, const QRectF &pageRect, double dpi, std::function<bool()> newPage, QString footer);
    Q_DISABLE_COPY_MOVE(ReportLayout)

    // Starts the first page; call once before drawing.
    void begin();
    // Ends the last page (its footer).
    void end();

    void title(const QString &title, const QStringList &subtitleLines);
    void heading(const QString &text);
    // Wrapped text at `points`; muted: the grey of captions.
    void paragraph(const QString &text, double points = 9, bool bold = false, bool muted = false);
    // A table with a header row, shaded every other row; breaks pages, repeating heading and header.
    bool table(const QString &heading, const QList<Column> &columns, const QList<QList<Cell>> &rows,
               const QString &emptyText, const QString &note);
    // A chart of `height` points, on the next page when it does not fit.
    bool chart(const ReportChartSpec &spec, double height);
    // Charts sharing the room left on the page, `gap` points apart.
    void chartsToBottom(const QList<ReportChartSpec> &charts, double gap);
    void space(double points) { m_y += pt(points); }

    bool breakPage();
    bool ensureRoom(double height); // height in device units
    int pageCount() const { return m_page; }
    double pt(double points) const { return points * m_unit; }

private:
    void footer();
    void tableRow(const QList<Column> &columns, const QList<Cell> &cells, bool header, bool shaded);
    void setFont(double points, bool bold = false);
    double lineHeight() const;
    QRectF textRect() const;

    QPainter &m_painter;
    QRectF m_pageRect;
    double m_unit; // one typographic point in device units
    std::function<bool()> m_newPage;
    QString m_footer;
    double m_y = 0;
    int m_page = 1;
};

// Draws a report with `paint` on A4 pages of a PDF written atomically at `path` (beside it, then
// renamed: an error leaves no half file and an older file untouched). Needs a QGuiApplication (fonts).
// Blocking: call it from a worker thread in the GUI.
using PaintReport = std::function<bool(ReportLayout &)>;
Status writeReportPdf(const QString &path, const QString &documentTitle, const QString &footer,
                      const PaintReport &paint);

// The same pages drawn on images at `dpi` (a preview, and what the tests look at).
QList<QImage> renderReportImages(double dpi, const QString &footer, const PaintReport &paint);

} // namespace mldeck::ui

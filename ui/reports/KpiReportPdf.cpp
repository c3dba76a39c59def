#include "ui/reports/KpiReportPdf.h"

#include "ui/reports/KpiReportPages.h"

#include <QCoreApplication>
#include <QPageLayout>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QSaveFile>

namespace mldeck::ui {

namespace {

QString tr(const char *text) { return QCoreApplication::translate("KpiReportPdf", text); }

constexpr int kPdfDpi = 300;

} // namespace

Status writeKpiReportPdf(const KpiReportData &data, const QString &path)
{
    // QSaveFile writes a temporary file beside the target and renames it on commit().
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return Error{tr("Cannot write %1: %2").arg(path, file.errorString())};
    {
        QPdfWriter writer(&file);
        writer.setResolution(kPdfDpi);
        writer.setPageLayout(QPageLayout(QPageSize(QPageSize::A4), QPageLayout::Portrait, QMarginsF(0, 0, 0, 0)));
        writer.setTitle(tr("KPI report: %1").arg(data.deployment));
        writer.setCreator(QStringLiteral("MLDeck"));
        QPainter painter;
        if (!painter.begin(&writer)) {
            file.cancelWriting();
            return Error{tr("Cannot start the PDF %1.").arg(path)};
        }
        const QRectF page(QPointF(0, 0), QSizeF(writer.width(), writer.height()));
        KpiReportPages pages(data, painter, page, kPdfDpi, [&writer] { return writer.newPage(); });
        const bool painted = pages.paint();
        painter.end();
        if (!painted) {
            file.cancelWriting();
            return Error{tr("Cannot add a page to the PDF %1.").arg(path)};
        }
    }
    if (!file.commit())
        return Error{tr("Cannot write %1: %2").arg(path, file.errorString())};
    return {};
}

QList<QImage> renderKpiReportImages(const KpiReportData &data, double dpi)
{
    const QSizeF a4mm = QPageSize(QPageSize::A4).size(QPageSize::Millimeter);
    const QSize size(qRound(a4mm.width() / 25.4 * dpi), qRound(a4mm.height() / 25.4 * dpi));
    auto blank = [&] {
        QImage image(size, QImage::Format_ARGB32_Premultiplied);
        // Point sizes follow the image's resolution, as they follow the PDF's.
        image.setDotsPerMeterX(qRound(dpi / 0.0254));
        image.setDotsPerMeterY(qRound(dpi / 0.0254));
        image.fill(Qt::white);
        return image;
    };
    QList<QImage> images{blank()};
    QPainter painter(&images.last());
    KpiReportPages pages(data, painter, QRectF(QPointF(0, 0), QSizeF(size)), dpi, [&] {
        const QFont font = painter.font();
        painter.end();
        images.append(blank());
        const bool ok = painter.begin(&images.last());
        painter.setFont(font);
        return ok;
    });
    pages.paint();
    painter.end();
    return images;
}

} // namespace mldeck::ui

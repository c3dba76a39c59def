// Chart update cost with 1 M raw points behind a curve (decimated vs not), and the GUI's memory with the
// dashboard page open. Prints figures; asserts nothing (speed is never asserted in ctest).
//   QT_QPA_PLATFORM=offscreen bench_charts            [MLDECK_BENCH_PG_URL=postgresql://... for the memory part]
#include "core/config/Settings.h"
#include "core/secrets/SecretStore.h"
#include "core/services/ConnectionMonitor.h"
#include "ui/ConnectionSession.h"
#include "ui/charts/Decimation.h"
#include "ui/charts/TimeSeriesChart.h"
#include "ui/pages/DashboardPage.h"
#include "ui/pages/dashboard/RangeSelector.h"

#include <QAbstractButton>
#include <QApplication>
#include <QChart>
#include <QChartView>
#include <QDateTimeAxis>
#include <QElapsedTimer>
#include <QFile>
#include <QImage>
#include <QLineSeries>
#include <QPainter>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>
#include <QValueAxis>

#include <cmath>
#include <cstdio>
#include <vector>

using namespace mldeck;

namespace {

constexpr int kPoints = 1'000'000;
const QSize kSize(1200, 360);

std::vector<QPointF> makeSeries(qint64 startMs, qint64 spanMs, int seed)
{
    std::vector<QPointF> pts;
    pts.reserve(kPoints);
    QRandomGenerator rng{quint32(seed)};
    for (int i = 0; i < kPoints; ++i) {
        const double x = double(startMs) + double(spanMs) * i / kPoints;
        pts.emplace_back(x, 2.0 + std::sin(i / 5000.0) + rng.generateDouble() * 0.5 + (i % 99991 == 0 ? 4.0 : 0.0));
    }
    return pts;
}

QString status(const char *key)
{
    QFile f(QStringLiteral("/proc/self/status"));
    if (!f.open(QIODevice::ReadOnly))
        return QStringLiteral("?");
    for (const QByteArray &line : f.readAll().split('\n'))
        if (line.startsWith(key))
            return QString::fromLatin1(line.mid(int(qstrlen(key)) + 1).trimmed());
    return QStringLiteral("?");
}

void benchUpdates()
{
    const qint64 to = QDateTime::currentMSecsSinceEpoch();
    const qint64 span = 30LL * 86400 * 1000;
    ui::TimeSeriesChart chart;
    chart.resize(kSize);
    chart.show();
    chart.setTimeRange(QDateTime::fromMSecsSinceEpoch(to - span), QDateTime::fromMSecsSinceEpoch(to));
    QImage image(kSize, QImage::Format_ARGB32_Premultiplied);
    const std::vector<QPointF> base = makeSeries(to - span, span, 1);
    chart.setSeries(QStringLiteral("ML"), base, Qt::blue);
    chart.flush();
    QApplication::processEvents();

    // Decimated: what the adapter does on every refresh (decimate + one replace + render).
    const int rounds = 20;
    double decimateMs = 0;
    QElapsedTimer t;
    t.start();
    for (int r = 0; r < rounds; ++r) {
        std::vector<QPointF> pts = base;
        pts[size_t(r * 1000)].setY(9.0); // new data each round
        QElapsedTimer d;
        d.start();
        chart.setSeries(QStringLiteral("ML"), std::move(pts), Qt::blue);
        chart.flush();
        image.fill(Qt::white);
        QPainter p(&image);
        chart.renderTo(p, QRectF(QPointF(0, 0), QSizeF(kSize)));
        p.end();
        decimateMs += double(d.nsecsElapsed()) / 1e6;
    }
    const double perUpdate = decimateMs / rounds;
    // Decimation alone (the pure function), for the record.
    QElapsedTimer dt;
    dt.start();
    const QList<QPointF> reduced = ui::decimateMinMax(base, chart.plotColumns());
    const double decimateOnlyMs = double(dt.nsecsElapsed()) / 1e6;

    // Undecimated: all 1 M points replaced into a QLineSeries and rendered, same size.
    QChart *raw = new QChart;
    auto *series = new QLineSeries;
    raw->addSeries(series);
    auto *x = new QDateTimeAxis;
    auto *y = new QValueAxis;
    raw->addAxis(x, Qt::AlignBottom);
    raw->addAxis(y, Qt::AlignLeft);
    series->attachAxis(x);
    series->attachAxis(y);
    x->setRange(QDateTime::fromMSecsSinceEpoch(to - span), QDateTime::fromMSecsSinceEpoch(to));
    y->setRange(0, 8);
    QChartView view(raw);
    view.resize(kSize);
    view.show();
    QApplication::processEvents();
    const QList<QPointF> all(base.begin(), base.end());
    const int rawRounds = 3;
    double rawMs = 0;
    for (int r = 0; r < rawRounds; ++r) {
        QList<QPointF> pts = all;
        pts[r * 1000].setY(9.0);
        QElapsedTimer d;
        d.start();
        series->replace(pts);
        image.fill(Qt::white);
        QPainter p(&image);
        view.render(&p, QRectF(QPointF(0, 0), QSizeF(kSize)), view.viewport()->rect());
        p.end();
        rawMs += double(d.nsecsElapsed()) / 1e6;
    }
    const double perRaw = rawMs / rawRounds;
    std::printf("chart update, 1 M raw points, %dx%d px (%d columns -> %d drawn points):\n", kSize.width(),
                kSize.height(), chart.plotColumns(), chart.drawnPointCount(QStringLiteral("ML")));
    std::printf("  decimate + replace + render: %.2f ms per update (goal < 16 ms), %d rounds\n", perUpdate, rounds);
    std::printf("  of which decimation alone:   %.2f ms (%lld -> %lld points)\n", decimateOnlyMs, qlonglong(kPoints),
                qlonglong(reduced.size()));
    std::printf("  undecimated replace + render: %.2f ms per update, %d rounds\n", perRaw, rawRounds);
    std::printf("  ratio undecimated / decimated: %.1fx\n", perRaw / perUpdate);
}

void benchMemory()
{
    const QByteArray url = qgetenv("MLDECK_BENCH_PG_URL");
    if (url.isEmpty()) {
        std::printf("GUI memory: skipped (set MLDECK_BENCH_PG_URL to a database with predictions)\n");
        return;
    }
    std::printf("GUI memory before the page: VmRSS %s, VmHWM %s\n", qPrintable(status("VmRSS:")),
                qPrintable(status("VmHWM:")));
    qputenv("MLDECK_PG_URL", url);
    if (qEnvironmentVariableIsEmpty("MLDECK_REDIS_URL"))
        qputenv("MLDECK_REDIS_URL", "redis://127.0.0.1:1");
    QTemporaryDir dir;
    Settings settings(dir.filePath(QStringLiteral("mldeck.ini")));
    SecretStore secrets;
    ConnectionMonitor monitor;
    ui::ConnectionSession session(settings, secrets, monitor);
    session.start();
    ui::DashboardPage page(session);
    page.resize(1400, 1000);
    page.show();
    for (const QString &range : {QStringLiteral("1h"), QStringLiteral("24h"), QStringLiteral("30d")}) {
        const int shown = page.snapshotsShown();
        QElapsedTimer t;
        t.start();
        if (range != QLatin1String("1h"))
            page.rangeSelector()->rangeButton(range)->click();
        const bool ok = QTest::qWaitFor([&] { return page.snapshotsShown() > shown; }, 120000);
        std::printf("dashboard %s: %s after %lld ms (%s); VmRSS %s, VmHWM %s\n", qPrintable(range),
                    ok ? "shown" : "NOT shown", qlonglong(t.elapsed()), qPrintable(page.stateText()),
                    qPrintable(status("VmRSS:")), qPrintable(status("VmHWM:")));
    }
    QTest::qWait(12000); // two auto-refreshes
    std::printf("after 12 s of auto-refresh: VmRSS %s, VmHWM %s (goal < 300 MB)\n", qPrintable(status("VmRSS:")),
                qPrintable(status("VmHWM:")));
}

} // namespace

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    benchMemory(); // first: the chart part's 1 M-point buffers would inflate the peak (VmHWM)
    if (qEnvironmentVariableIsEmpty("MLDECK_BENCH_MEMORY_ONLY")) // set by bench_kpi
        benchUpdates();
    return 0;
}

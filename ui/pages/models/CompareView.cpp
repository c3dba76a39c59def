#include "ui/pages/models/CompareView.h"

#include "core/domain/Figure.h"
#include "ui/ConnectionSession.h"
#include "ui/pages/models/compare/MisclassifiedImages.h"
#include "ui/pages/models/compare/ReportCharts.h"
#include "ui/reports/ComparisonReportPdf.h"

#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QRadioButton>
#include <QSaveFile>
#include <QSpinBox>
#include <QSplitter>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>

namespace mldeck::ui {

namespace {

QTableWidget *makeTable(QWidget *parent, const QString &name)
{
    auto *t = new QTableWidget(parent);
    t->setObjectName(name);
    t->setEditTriggers(QAbstractItemView::NoEditTriggers);
    t->verticalHeader()->hide();
    t->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    t->horizontalHeader()->setStretchLastSection(false);
    return t;
}

void setRow(QTableWidget *t, int row, const QStringList &cells)
{
    for (int c = 0; c < cells.size(); ++c) {
        auto *item = new QTableWidgetItem(cells[c]);
        if (c > 0)
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        t->setItem(row, c, item);
    }
}

QString f(double v, int digits = 3)
{
    return QString::number(v, 'f', digits);
}

} // namespace

CompareView::CompareView(ConnectionSession &session, QWidget *parent)
    : QWidget(parent), m_session(session), m_service(new CompareService(this)),
      m_exportJobs(QStringLiteral("mldeck-compare-export"), this)
{
    m_choosePath = [this](const QString &title, const QString &filter) {
        return QFileDialog::getSaveFileName(this, title, QString(), filter);
    };
    auto *layout = new QVBoxLayout(this);

    // Inputs: models on the left, rows on the right.
    auto *inputs = new QHBoxLayout;
    auto *modelForm = new QFormLayout;
    for (int i = 0; i < 4; ++i) {
        auto *row = new QHBoxLayout;
        m_models[size_t(i)] = new QLineEdit(this);
        m_models[size_t(i)]->setObjectName(QStringLiteral("compareModel%1").arg(i));
        m_models[size_t(i)]->setPlaceholderText(i < 2 ? tr("File path or eta:champion, eta@3") : tr("Optional"));
        auto *browse = new QPushButton(tr("Browse…"), this);
        connect(browse, &QPushButton::clicked, this, [this, i] { browseModel(i); });
        row->addWidget(m_models[size_t(i)], 1);
        row->addWidget(browse);
        modelForm->addRow(i == 0 ? tr("Baseline (A)") : tr("Model %1").arg(QChar(u'A' + i)), row);
    }
    inputs->addLayout(modelForm, 3);

    auto *dataForm = new QFormLayout;
    m_useCsv = new QRadioButton(tr("CSV file"), this);
    m_useWindow = new QRadioButton(tr("Logged window"), this);
    m_useCsv->setChecked(true);
    auto *csvRow = new QHBoxLayout;
    m_csv = new QLineEdit(this);
    m_csv->setObjectName(QStringLiteral("compareCsv"));
    m_csv->setPlaceholderText(tr("CSV made by mldeckctl demo-data, or your own"));
    auto *browseCsv = new QPushButton(tr("Browse…"), this);
    connect(browseCsv, &QPushButton::clicked, this, &CompareView::browseData);
    csvRow->addWidget(m_useCsv);
    csvRow->addWidget(m_csv, 1);
    csvRow->addWidget(browseCsv);
    dataForm->addRow(tr("Rows"), csvRow);
    auto *windowRow = new QHBoxLayout;
    m_windowHours = new QSpinBox(this);
    m_windowHours->setRange(1, 24 * 90);
    m_windowHours->setValue(24);
    m_windowHours->setSuffix(tr(" h"));
    m_deployment = new QLineEdit(this);
    m_deployment->setPlaceholderText(tr("deployment (empty: the only one)"));
    windowRow->addWidget(m_useWindow);
    windowRow->addWidget(m_windowHours);
    windowRow->addWidget(m_deployment, 1);
    dataForm->addRow(QString(), windowRow);
    auto *imagesRow = new QHBoxLayout;
    m_useImages = new QRadioButton(tr("Labelled image folder"), this);
    m_useImages->setObjectName(QStringLiteral("compareUseImages"));
    m_images = new QLineEdit(this);
    m_images->setObjectName(QStringLiteral("compareImages"));
    m_images->setPlaceholderText(tr("image models: one subfolder per class"));
    auto *browseImages = new QPushButton(tr("Browse…"), this);
    connect(browseImages, &QPushButton::clicked, this, &CompareView::browseImages);
    imagesRow->addWidget(m_useImages);
    imagesRow->addWidget(m_images, 1);
    imagesRow->addWidget(browseImages);
    dataForm->addRow(QString(), imagesRow);
    m_target = new QLineEdit(this);
    m_target->setPlaceholderText(tr("default: the model's target, else delay_min"));
    dataForm->addRow(tr("Target column"), m_target);
    connect(m_useImages, &QRadioButton::toggled, m_target, [this](bool images) { m_target->setEnabled(!images); });
    inputs->addLayout(dataForm, 2);
    layout->addLayout(inputs);

    auto *actions = new QHBoxLayout;
    m_run = new QPushButton(tr("Run comparison"), this);
    m_run->setObjectName(QStringLiteral("compareRun"));
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setObjectName(QStringLiteral("compareCancel"));
    m_progress = new QProgressBar(this);
    m_progress->setObjectName(QStringLiteral("compareProgress"));
    m_progress->setRange(0, 100);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("compareStatus"));
    m_exportCsv = new QPushButton(tr("Export CSV…"), this);
    m_exportCsv->setObjectName(QStringLiteral("compareExportCsv"));
    m_exportPdf = new QPushButton(tr("Export PDF…"), this);
    m_exportPdf->setObjectName(QStringLiteral("compareExportPdf"));
    actions->addWidget(m_run);
    actions->addWidget(m_cancel);
    actions->addWidget(m_progress, 1);
    actions->addWidget(m_status, 1);
    actions->addWidget(m_exportCsv);
    actions->addWidget(m_exportPdf);
    layout->addLayout(actions);

    m_verdict = new QLabel(this);
    m_verdict->setObjectName(QStringLiteral("compareVerdict"));
    m_verdict->setWordWrap(true);
    m_verdict->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont big = m_verdict->font();
    big.setPointSizeF(big.pointSizeF() * 1.5);
    big.setBold(true);
    m_verdict->setFont(big);
    layout->addWidget(m_verdict);

    auto *tabs = new QTabWidget(this);
    auto *tablesPage = new QSplitter(Qt::Vertical, tabs);
    m_metrics = makeTable(tablesPage, QStringLiteral("compareMetricsTable"));
    m_deltas = makeTable(tablesPage, QStringLiteral("compareDeltaTable"));
    tablesPage->addWidget(m_metrics);
    tablesPage->addWidget(m_deltas);
    tabs->addTab(tablesPage, tr("Metrics and differences"));
    m_segments = makeTable(tabs, QStringLiteral("compareSegmentTable"));
    tabs->addTab(m_segments, tr("Segments"));
    m_charts = new ReportCharts(tabs);
    tabs->addTab(m_charts, tr("Plots"));
    m_misclassified = new MisclassifiedImages(tabs);
    tabs->addTab(m_misclassified, tr("Misclassified images"));
    tabs->setTabVisible(tabs->indexOf(m_misclassified), false);
    m_tabs = tabs;
    layout->addWidget(tabs, 1);

    connect(m_run, &QPushButton::clicked, this, &CompareView::run);
    connect(m_cancel, &QPushButton::clicked, m_service, &CompareService::cancel);
    connect(m_exportCsv, &QPushButton::clicked, this, &CompareView::exportCsv);
    connect(m_exportPdf, &QPushButton::clicked, this, &CompareView::exportPdf);
    connect(m_service, &CompareService::progress, this, &CompareView::onProgress);
    connect(m_service, &CompareService::finished, this, &CompareView::onFinished);
    setRunning(false);
    m_exportCsv->setEnabled(false);
    m_exportPdf->setEnabled(false);
}

void CompareView::setRunning(bool running)
{
    m_run->setEnabled(!running);
    m_cancel->setEnabled(running);
    if (running) {
        m_exportCsv->setEnabled(false);
        m_exportPdf->setEnabled(false);
    }
}

void CompareView::browseModel(int index)
{
    const QString path = QFileDialog::getOpenFileName(this, tr("Choose a TorchScript model"), QString(),
                                                      tr("TorchScript models (*.pt *.pth);;All files (*)"));
    if (!path.isEmpty())
        m_models[size_t(index)]->setText(path);
}

void CompareView::browseData()
{
    const QString path =
        QFileDialog::getOpenFileName(this, tr("Choose the rows"), QString(), tr("CSV files (*.csv);;All files (*)"));
    if (!path.isEmpty()) {
        m_csv->setText(path);
        m_useCsv->setChecked(true);
    }
}

void CompareView::browseImages()
{
    const QString path = QFileDialog::getExistingDirectory(this, tr("Choose a labelled image folder"));
    if (!path.isEmpty()) {
        m_images->setText(path);
        m_useImages->setChecked(true);
    }
}

void CompareView::run()
{
    CompareRequest req;
    for (QLineEdit *e : m_models)
        if (!e->text().trimmed().isEmpty())
            req.models << e->text().trimmed();
    if (req.models.isEmpty()) {
        m_status->setText(tr("Choose a model to evaluate, or two to four to compare."));
        return;
    }
    if (m_useCsv->isChecked()) {
        req.csvPath = m_csv->text().trimmed();
        if (req.csvPath.isEmpty()) {
            m_status->setText(tr("Choose a CSV file, or use a logged window."));
            return;
        }
    } else if (m_useImages->isChecked()) {
        req.imagesPath = m_images->text().trimmed();
        if (req.imagesPath.isEmpty()) {
            m_status->setText(tr("Choose a labelled image folder, or use a logged window."));
            return;
        }
    } else {
        req.windowSeconds = qint64(m_windowHours->value()) * 3600;
        req.deployment = m_deployment->text().trimmed();
    }
    if (m_target->isEnabled()) // image models have no target column
        req.target = m_target->text().trimmed();
    const PgEndpoint &pg = m_session.activeProfile().pg;
    if (!pg.user.isEmpty())
        req.pg = pg;
    m_verdict->clear();
    m_progress->setValue(0);
    m_status->setText(tr("Starting…"));
    if (m_service->start(req))
        setRunning(true);
}

void CompareView::onProgress(int percent, const QString &stage)
{
    m_progress->setValue(percent);
    m_status->setText(stage);
}

void CompareView::onFinished(const Result<stats::ComparisonReport> &outcome)
{
    setRunning(false);
    if (outcome) {
        m_report = *outcome;
        m_progress->setValue(100);
        m_status->setText(tr("Done: %1 rows.").arg(m_report.rows));
        showReport();
        m_exportCsv->setEnabled(true);
        m_exportPdf->setEnabled(true);
        Q_EMIT comparisonFinished(QStringLiteral("done"));
        return;
    }
    // The previous results stay on screen but are not this run's: they cannot be exported as such. (Greying
    // the tabs out repolishes every chart and table: too long a pause for the window.)
    m_exportCsv->setEnabled(false);
    m_exportPdf->setEnabled(false);
    if (outcome.error().isCancelled()) {
        m_status->setText(tr("Cancelled."));
        m_verdict->setText(tr("cancelled"));
        Q_EMIT comparisonFinished(QStringLiteral("cancelled"));
    } else {
        m_status->setText(outcome.errorMessage());
        m_verdict->setText(tr("The comparison failed: %1").arg(outcome.errorMessage()));
        Q_EMIT comparisonFinished(QStringLiteral("failed"));
    }
}

void CompareView::showReport()
{
    const stats::ComparisonReport &r = m_report;
    m_verdict->setText(r.verdicts.join(QLatin1Char('\n')));
    const bool cls = r.task == QLatin1String("classification");

    QStringList headers{tr("Model")};
    if (cls)
        headers << tr("Accuracy") << tr("Precision") << tr("Recall") << QStringLiteral("F1")
                << QStringLiteral("ROC AUC") << QStringLiteral("PR AUC") << tr("Log-loss") << QStringLiteral("Brier")
                << QStringLiteral("ECE");
    else
        headers << QStringLiteral("MAE") << QStringLiteral("RMSE") << QStringLiteral("R²") << QStringLiteral("MAPE %");
    headers << tr("Rows/s") << tr("Latency p50 (ms)") << tr("Latency p99 (ms)");
    m_metrics->clear();
    m_metrics->setColumnCount(int(headers.size()));
    m_metrics->setHorizontalHeaderLabels(headers);
    m_metrics->setRowCount(int(r.models.size()));
    for (size_t i = 0; i < r.models.size(); ++i) {
        const auto &m = r.models[i];
        QStringList cells{m.label};
        const auto four = [](const std::optional<double> &v) {
            return figureText(v, [](double x) { return f(x, 4); });
        };
        if (cls && m.classification) {
            const auto &c = m.classification->figures;
            const auto h = stats::headline(*m.classification);
            cells << four(c.accuracy) << four(h.precision) << four(h.recall) << four(h.f1) << four(c.rocAuc)
                  << four(m.classification->prAuc) << four(c.logLoss) << four(c.brier) << four(c.ece);
        } else
            cells << f(m.regression.mae) << f(m.regression.rmse) << f(m.regression.r2)
                  << figureText(m.regression.mape, [](double v) { return f(v, 1); });
        cells << f(m.rowsPerSecond, 0) << f(m.latencyP50Ms) << f(m.latencyP99Ms);
        setRow(m_metrics, int(i), cells);
    }

    m_deltas->clear();
    const QStringList deltaHeaders{
        tr("Challenger vs baseline"), tr("Metric"),     tr("Δ (B − A)"), tr("95 % CI"), tr("Relative"),
        tr("Relative 95 % CI"),       tr("Significant")};
    m_deltas->setColumnCount(int(deltaHeaders.size()));
    m_deltas->setHorizontalHeaderLabels(deltaHeaders);
    m_deltas->setRowCount(int(r.deltas.size()));
    for (size_t i = 0; i < r.deltas.size(); ++i) {
        const auto &d = r.deltas[i];
        const auto &ci = d.interval;
        const bool significant = ci.low > 0 || ci.high < 0;
        setRow(m_deltas, int(i),
               {tr("%1 vs %2").arg(r.models[size_t(d.challenger)].label, r.models[size_t(d.baseline)].label),
                cls ? stats::metricTitle(d.metric) : d.metric.toUpper(), f(ci.difference, 4),
                QStringLiteral("%1 … %2").arg(f(ci.low, 4), f(ci.high, 4)),
                f(100 * ci.relative, 1) + QStringLiteral(" %"),
                QStringLiteral("%1 … %2 %").arg(f(100 * ci.relativeLow, 1), f(100 * ci.relativeHigh, 1)),
                significant ? tr("yes") : tr("no")});
    }

    m_segments->clear();
    QStringList segHeaders{tr("Segment"), tr("Value"), tr("Rows")};
    for (const auto &m : r.models)
        segHeaders << tr("%1 %2").arg(m.label, r.segmentMetric.toUpper());
    m_segments->setColumnCount(int(segHeaders.size()));
    m_segments->setHorizontalHeaderLabels(segHeaders);
    m_segments->setRowCount(int(r.segments.size()));
    for (size_t i = 0; i < r.segments.size(); ++i) {
        const auto &s = r.segments[i];
        QStringList cells{s.segment, s.value, QString::number(s.rows)};
        for (double v : s.metric)
            cells << f(v);
        setRow(m_segments, int(i), cells);
    }
    m_charts->setReport(r);
    m_misclassified->setReport(r);
    m_tabs->setTabVisible(m_tabs->indexOf(m_misclassified), r.images.has_value());
}

void CompareView::exportCsv()
{
    const QString path = m_choosePath(tr("Export the comparison as CSV"), tr("CSV files (*.csv)"));
    if (path.isEmpty())
        return;
    QSaveFile file(path);
    const QByteArray csv = stats::toCsv(m_report);
    if (!file.open(QIODevice::WriteOnly) || file.write(csv) != csv.size() || !file.commit()) {
        m_status->setText(tr("Cannot write %1: %2").arg(path, file.errorString()));
        return;
    }
    m_status->setText(tr("Exported %1.").arg(path));
}

void CompareView::exportPdf()
{
    const QString path = m_choosePath(tr("Export the comparison as PDF"), tr("PDF files (*.pdf)"));
    if (path.isEmpty())
        return;
    m_exportPdf->setEnabled(false);
    m_exportJobs.post(
        this, [report = m_report, path] { return writeComparisonReportPdf(report, path); },
        [this, path](const Status &s) {
            m_exportPdf->setEnabled(m_exportCsv->isEnabled()); // unless a new run started meanwhile
            m_status->setText(s ? tr("Exported %1.").arg(path) : s.errorMessage());
        });
}

} // namespace mldeck::ui

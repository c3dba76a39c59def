#include "ui/pages/retrain/RetrainHistoryView.h"

#include "ui/Theme.h"

#include "core/services/RetrainService.h"
#include "ui/pages/retrain/RetrainFormat.h"
#include "ui/pages/retrain/RetrainRunTableModel.h"

#include <QCoreApplication>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QPushButton>
#include <QSaveFile>
#include <QSplitter>
#include <QTableView>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace mldeck::ui {

namespace {

QString jsonBlock(const QJsonObject &o)
{
    if (o.isEmpty())
        return themeStyle(QStringLiteral("<p style='color:@{muted}'>%1</p>"))
            .arg(RetrainHistoryView::tr("None recorded.").toHtmlEscaped());
    return QStringLiteral("<pre style='font-family:monospace'>%1</pre>")
        .arg(QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Indented)).toHtmlEscaped());
}

} // namespace

RetrainHistoryView::RetrainHistoryView(RetrainService &service, QWidget *parent)
    : QWidget(parent), m_service(service), m_model(new RetrainRunTableModel(this))
{
    setObjectName(QStringLiteral("retrainHistory"));
    m_choosePath = [this] {
        return QFileDialog::getSaveFileName(this, tr("Export the retrain runs as JSON"),
                                            QStringLiteral("retrain-runs.json"), tr("JSON files (*.json)"));
    };

    m_refresh = new QPushButton(tr("Refresh"), this);
    m_refresh->setObjectName(QStringLiteral("historyRefresh"));
    m_export = new QPushButton(tr("Export JSON…"), this);
    m_export->setObjectName(QStringLiteral("historyExport"));
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("historyStatus"));
    m_status->setWordWrap(true);
    auto *top = new QHBoxLayout;
    top->addWidget(m_refresh);
    top->addWidget(m_export);
    top->addWidget(m_status, 1);

    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("historyTable"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setStretchLastSection(true);

    m_details = new QTextBrowser(this);
    m_details->setObjectName(QStringLiteral("historyDetails"));
    m_details->setOpenLinks(false);
    m_details->setPlaceholderText(tr("Select a run to see its parameters and metrics."));

    auto *split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(m_table);
    split->addWidget(m_details);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    split->setSizes({880, 300});

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(split, 1);

    connect(m_refresh, &QPushButton::clicked, this, &RetrainHistoryView::refresh);
    connect(m_export, &QPushButton::clicked, this, &RetrainHistoryView::exportJson);
    connect(&m_service, &RetrainService::historyListed, this, &RetrainHistoryView::onHistoryListed);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, &RetrainHistoryView::showDetails);
    m_export->setEnabled(false);
}

void RetrainHistoryView::setDeployment(const QString &deployment)
{
    if (deployment == m_deployment)
        return;
    m_deployment = deployment;
    m_selectedId = 0;
    m_model->setRuns({});
    m_export->setEnabled(false);
    refresh();
}

void RetrainHistoryView::refresh()
{
    if (m_deployment.isEmpty() || m_listing)
        return; // one listing at a time: a slow server must not pile requests up
    m_listing = true;
    m_status->setText(tr("Reading the runs…"));
    m_service.listHistory(m_deployment);
}

void RetrainHistoryView::onHistoryListed(const Result<QList<RetrainRun>> &listed)
{
    m_listing = false;
    if (!listed) {
        m_status->setText(tr("Cannot read the runs: %1").arg(listed.errorMessage()));
        Q_EMIT historyShown(-1);
        return;
    }
    const QList<RetrainRun> &runs = *listed;
    QList<RetrainRun> mine;
    for (const RetrainRun &r : runs)
        if (r.deployment.isEmpty() || r.deployment == m_deployment)
            mine << r;
    const qint64 keep = m_selectedId;
    m_model->setRuns(mine);
    const int n = int(mine.size());
    m_status->setText(n == 0 ? tr("No retrain run yet for “%1”.").arg(m_deployment) : tr("%n run(s).", nullptr, n));
    m_export->setEnabled(n > 0);
    const int row = m_model->rowOfId(keep);
    if (row >= 0)
        m_table->selectRow(row);
    else
        m_details->clear();
    Q_EMIT historyShown(n);
}

void RetrainHistoryView::showDetails()
{
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    const RetrainRun *run = rows.isEmpty() ? nullptr : m_model->at(rows.first().row());
    if (!run) {
        m_details->clear();
        return;
    }
    m_selectedId = run->id;
    QString html = QStringLiteral("<h3>%1</h3>")
                       .arg(tr("Run %1 · %2").arg(run->id).arg(retrainfmt::stateText(run->state)).toHtmlEscaped());
    const auto line = [&html](const QString &label, const QString &value) {
        if (!value.isEmpty())
            html += QStringLiteral("<p><b>%1</b> %2</p>").arg(label.toHtmlEscaped(), value.toHtmlEscaped());
    };
    line(tr("Requested by"), run->requestedBy);
    line(tr("Started from"), run->baseVersion);
    line(tr("Registered"), run->resultVersion);
    line(tr("Decision"), retrainfmt::decisionText(run->decision));
    line(tr("Why"), run->decisionReason);
    line(tr("Error"), run->error);
    html += QStringLiteral("<h4>%1</h4>").arg(tr("Parameters").toHtmlEscaped()) + jsonBlock(run->params);
    html += QStringLiteral("<h4>%1</h4>").arg(tr("Metrics").toHtmlEscaped()) + jsonBlock(run->metrics);
    m_details->setHtml(html);
}

void RetrainHistoryView::exportJson()
{
    const QString path = m_choosePath();
    if (path.isEmpty())
        return;
    QJsonArray array;
    for (const RetrainRun &r : m_model->runs())
        array.append(r.toJson());
    const QByteArray bytes = QJsonDocument(array).toJson(QJsonDocument::Indented);
    QSaveFile file(path); // written whole or not at all
    const bool ok = file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size() && file.commit();
    const int n = int(array.size());
    m_status->setText(ok ? tr("Exported %n run(s) to %1.", nullptr, n).arg(path)
                         : tr("Cannot write %1: %2").arg(path, file.errorString()));
    Q_EMIT exported(path, ok);
}

} // namespace mldeck::ui

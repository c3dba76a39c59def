#include "ui/pages/audit/ServedTimelineView.h"

#include "core/services/AuditService.h"
#include "core/services/KpiSnapshot.h"
#include "ui/Theme.h"
#include "ui/charts/TimeSeriesChart.h"
#include "ui/pages/dashboard/RangeSelector.h"

#include <QAbstractButton>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace mldeck::ui {

namespace {

QString when(const QDateTime &t)
{
    return t.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

} // namespace

ServedTimelineView::ServedTimelineView(AuditService &service, QWidget *parent) : QWidget(parent), m_service(service)
{
    m_deployment = new QComboBox(this);
    m_deployment->setObjectName(QStringLiteral("timelineDeployment"));
    m_deployment->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_range = new RangeSelector(this);
    m_range->setObjectName(QStringLiteral("timelineRange"));
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("timelineStatus"));
    m_status->setWordWrap(true);
    m_chart = new TimeSeriesChart(this);
    m_chart->setObjectName(QStringLiteral("timelineChart"));
    m_chart->setTitle(tr("ML traffic share"));
    m_chart->setValueFormat(QStringLiteral("%1 %"), 0);
    m_chart->setValueFloor(0);
    m_chart->setValueCeiling(100);
    m_table = new QTableWidget(0, ColumnCount, this);
    m_table->setObjectName(QStringLiteral("timelineTable"));
    m_table->setHorizontalHeaderLabels(
        {tr("From"), tr("To"), tr("Champion"), tr("ML %"), tr("Change"), tr("Who"), tr("Why")});
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->verticalHeader()->hide();
    m_table->setAlternatingRowColors(true);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setStretchLastSection(true);

    auto *bar = new QHBoxLayout;
    bar->addWidget(new QLabel(tr("Deployment"), this));
    bar->addWidget(m_deployment);
    bar->addWidget(m_range);
    bar->addStretch();
    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(m_chart);
    splitter->addWidget(m_table);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(bar);
    layout->addWidget(m_status);
    layout->addWidget(splitter, 1);

    connect(m_deployment, &QComboBox::currentTextChanged, this, &ServedTimelineView::reload);
    connect(m_range, &RangeSelector::rangeChanged, this, &ServedTimelineView::reload);
    connect(&m_service, &AuditService::timelineFetched, this, &ServedTimelineView::showTimeline);
    // A week shows a rollout plan's steps; the selector offers the rest.
    if (QAbstractButton *week = m_range->rangeButton(QStringLiteral("7d")))
        week->click();
}

void ServedTimelineView::setDeployments(const QStringList &names)
{
    const QString current = m_deployment->currentText();
    if (names == QStringList([this] {
            QStringList shown;
            for (int i = 0; i < m_deployment->count(); ++i)
                shown << m_deployment->itemText(i);
            return shown;
        }()))
        return;
    m_deployment->blockSignals(true);
    m_deployment->clear();
    m_deployment->addItems(names);
    m_deployment->setCurrentIndex(std::max(0, int(names.indexOf(current))));
    m_deployment->blockSignals(false);
    reload();
}

void ServedTimelineView::reload()
{
    const QString deployment = m_deployment->currentText();
    if (deployment.isEmpty()) {
        clear();
        m_status->setText(tr("No deployment yet."));
        return;
    }
    QDateTime from;
    QDateTime to;
    if (m_range->currentRange() == QLatin1String("custom")) {
        from = m_range->customFrom();
        to = m_range->customTo();
    } else if (const auto q =
                   KpiQuery::lastRange(deployment, m_range->currentRange(), QDateTime::currentSecsSinceEpoch())) {
        from = QDateTime::fromSecsSinceEpoch(q->fromSecs, Qt::UTC);
        to = QDateTime::fromSecsSinceEpoch(q->toSecs, Qt::UTC);
    }
    if (!from.isValid() || !to.isValid())
        return;
    m_status->setText(tr("Loading what served %1…").arg(deployment));
    m_service.fetchTimeline(deployment, from, to);
}

void ServedTimelineView::showTimeline(const Result<ServedTimeline> &timeline)
{
    if (!timeline) {
        clear(); // never another deployment's steps under the name now chosen
        m_status->setText(tr("The timeline could not be read: %1").arg(timeline.errorMessage()));
        return;
    }
    // Answers come in the order asked: one for a deployment no longer shown is followed by the right one.
    if (timeline->deployment != m_deployment->currentText())
        return;
    m_timeline = *timeline;
    const QList<ServedStep> &steps = m_timeline.steps;
    m_status->setText(
        steps.isEmpty()
            ? tr("Nothing is known of what served %1 in this range.").arg(m_timeline.deployment)
            : tr("%n step(s) of what served %1, oldest first.", nullptr, int(steps.size())).arg(m_timeline.deployment));

    QList<QPointF> share;
    QList<TimeSeriesChart::Marker> markers;
    m_table->setRowCount(int(steps.size()));
    for (int row = 0; row < steps.size(); ++row) {
        const ServedStep &s = steps[row];
        if (s.mlPercent) {
            share << QPointF(double(s.from.toMSecsSinceEpoch()), *s.mlPercent)
                  << QPointF(double(s.to.toMSecsSinceEpoch()), *s.mlPercent);
        }
        if (s.auditId > 0) {
            const QString champion = s.champion.isEmpty() ? tr("unknown") : s.champion;
            QString tip = s.mlPercent ? tr("%1 by %2: champion %3, ML %4 %")
                                            .arg(s.action, s.actor, champion, QString::number(*s.mlPercent))
                                      : tr("%1 by %2: champion %3, ML share unknown").arg(s.action, s.actor, champion);
            if (!s.reason.isEmpty())
                tip += QStringLiteral(" — ") + s.reason;
            markers << TimeSeriesChart::Marker{s.from, tip};
        }
        const QStringList cells = {when(s.from),
                                   when(s.to),
                                   s.champion.isEmpty() ? tr("unknown") : s.champion,
                                   s.mlPercent ? QString::number(*s.mlPercent) : tr("unknown"),
                                   s.auditId > 0 ? s.action : tr("(state before the range)"),
                                   s.actor,
                                   s.reason};
        for (int c = 0; c < cells.size(); ++c)
            m_table->setItem(row, c, new QTableWidgetItem(cells[c]));
    }
    m_chart->setTimeRange(m_timeline.from, m_timeline.to);
    m_chart->setSeries(tr("ML %"), share, themeColor(Palette::Ml));
    m_chart->setMarkers(markers);
    Q_EMIT timelineShown();
}

void ServedTimelineView::clear()
{
    m_timeline = ServedTimeline();
    m_table->setRowCount(0);
    m_chart->clearSeries();
    m_chart->setMarkers({});
}

QString ServedTimelineView::statusText() const
{
    return m_status->text();
}

} // namespace mldeck::ui

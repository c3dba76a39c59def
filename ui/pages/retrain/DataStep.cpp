#include "ui/pages/retrain/DataStep.h"

#include "ui/Theme.h"
#include "ui/charts/BarChart.h"
#include "ui/widgets/FormGrid.h"

#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace mldeck::ui {

DataStep::DataStep(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("dataStep"));
    m_daysBack = new QSpinBox(this);
    m_daysBack->setObjectName(QStringLiteral("dataDaysBack"));
    m_daysBack->setRange(1, 730);
    m_daysBack->setValue(60);
    m_daysBack->setSuffix(tr(" days"));
    m_holdout = new QDoubleSpinBox(this);
    m_holdout->setObjectName(QStringLiteral("dataHoldout"));
    m_holdout->setRange(5, 50);
    m_holdout->setDecimals(0);
    m_holdout->setValue(20);
    m_holdout->setSuffix(QStringLiteral(" %"));
    m_holdout->setToolTip(tr("The newest share of the rows, by time: never trained on, used to compare the "
                             "candidate with the champion"));
    m_feedback = new QCheckBox(tr("Include feedback (rows with negative feedback weigh double)"), this);
    m_feedback->setObjectName(QStringLiteral("dataFeedback"));
    m_feedback->setChecked(true);
    m_summarize = new QPushButton(tr("Summarize"), this);
    m_summarize->setObjectName(QStringLiteral("dataSummarize"));

    m_daysBack->setMaximumWidth(140);
    m_holdout->setMaximumWidth(140);
    auto *form = new FormGrid(nullptr, QFormLayout::FieldsStayAtSizeHint);
    m_form = form;
    form->addRow(tr("Data window"), m_daysBack);
    form->addRow(tr("Holdout (newest rows)"), m_holdout);
    form->addRow(QString(), m_feedback);
    auto *buttonRow = new QHBoxLayout;
    buttonRow->addWidget(m_summarize);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("dataStatus"));
    m_status->setWordWrap(true);
    buttonRow->addWidget(m_status, 1);
    form->addRow(QString(), buttonRow);

    m_rows = new QLabel(this);
    m_rows->setObjectName(QStringLiteral("dataRows"));
    m_split = new QLabel(this);
    m_split->setObjectName(QStringLiteral("dataSplit"));
    m_dates = new QLabel(this);
    m_dates->setObjectName(QStringLiteral("dataDates"));
    m_target = new QLabel(this);
    m_target->setObjectName(QStringLiteral("dataTarget"));
    for (QLabel *l : {m_rows, m_split, m_dates, m_target}) {
        l->setTextInteractionFlags(Qt::TextSelectableByMouse);
        l->setWordWrap(true);
    }
    auto *facts = new QFormLayout;
    facts->addRow(tr("Rows"), m_rows);
    facts->addRow(tr("Split"), m_split);
    facts->addRow(tr("Dates"), m_dates);
    facts->addRow(tr("Target"), m_target);

    auto *top = new QHBoxLayout;
    top->addLayout(form, 1);
    top->addLayout(facts, 1);

    m_histogram = new BarChart(this);
    m_histogram->setObjectName(QStringLiteral("dataHistogram"));
    m_histogram->setTitle(tr("Target distribution"));
    m_histogram->setLegendVisible(false);
    m_histogram->setBarWidth(0.95);
    m_histogram->setCategoryLabelStyle(-90, 0.8);
    m_histogram->setValueLabelFormat(QStringLiteral("%d"));
    m_histogram->setMinimumHeight(200);

    m_missing = new QTableWidget(this);
    m_missing->setObjectName(QStringLiteral("dataMissing"));
    m_missing->setColumnCount(2);
    m_missing->setHorizontalHeaderLabels({tr("Feature"), tr("Rows left out (missing)")});
    m_missing->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_missing->verticalHeader()->hide();
    m_missing->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_missing->horizontalHeader()->setSectionResizeMode(1, QHeaderView::ResizeToContents);

    auto *bottom = new QHBoxLayout;
    bottom->addWidget(m_histogram, 3);
    bottom->addWidget(m_missing, 2);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addLayout(bottom, 1);

    connect(m_summarize, &QPushButton::clicked, this, &DataStep::summarizeRequested);
    // A summary describes the settings it was made with: a change makes it stale.
    connect(m_daysBack, &QSpinBox::valueChanged, this, &DataStep::clearSummary);
    connect(m_holdout, &QDoubleSpinBox::valueChanged, this, &DataStep::clearSummary);
    connect(m_feedback, &QCheckBox::toggled, this, &DataStep::clearSummary);
    clearSummary();
}

void DataStep::fill(retrain::RetrainRequest &request) const
{
    request.daysBack = m_daysBack->value();
    request.holdoutFraction = m_holdout->value() / 100.0;
    request.includeFeedback = m_feedback->isChecked();
}

void DataStep::reset()
{
    clearSummary();
}

void DataStep::clearSummary()
{
    m_summary.reset();
    for (QLabel *l : {m_rows, m_split, m_dates, m_target})
        l->setText(QStringLiteral("–"));
    m_status->setText(tr("Press Summarize to see what the window holds."));
    m_status->setStyleSheet(QString());
    m_histogram->clear();
    m_histogram->setAxisTitles(QString(), QString());
    m_missing->setRowCount(0);
    m_summarize->setEnabled(true);
    Q_EMIT changed();
}

void DataStep::showBusy()
{
    m_summarize->setEnabled(false);
    m_status->setStyleSheet(QString());
    m_status->setText(tr("Reading the window…"));
}

void DataStep::showSummary(const retrain::DataSummary &s)
{
    clearSummary();
    m_summary = s;
    const QLocale loc;
    m_status->setText(tr("Summary of the last %1 days.").arg(m_daysBack->value()));
    const qint64 rows = s.rows;
    m_rows->setText(tr("%1 rows with an outcome, %2 of them with negative feedback")
                        .arg(loc.toString(rows), loc.toString(s.feedbackRows)));
    m_split->setText(tr("training %1 · validation %2 · holdout %3")
                         .arg(loc.toString(s.trainRows), loc.toString(s.validationRows), loc.toString(s.holdoutRows)));
    const auto day = [&loc](const QDateTime &t) {
        return t.isValid() ? loc.toString(t.toLocalTime(), QLocale::ShortFormat) : QStringLiteral("–");
    };
    m_dates->setText(tr("%1 → %2 (holdout from %3)").arg(day(s.from), day(s.to), day(s.holdoutFrom)));
    // An image deployment's holdout is its fixed holdout set and its feedback weighs like any label: the
    // two fields would change nothing.
    m_form->setRowVisible(m_holdout, !s.images);
    m_form->setRowVisible(m_feedback, !s.images);
    if (s.images) { // an image deployment: images from the store and the reference set, a fixed holdout set
        m_rows->setText(
            tr("%1 labelled images in the window (%2) and %3 in the reference set %4")
                .arg(loc.toString(s.windowImages), s.imageStore, loc.toString(s.referenceImages), s.referenceSet));
        m_split->setText(tr("training %1 · validation %2 images · holdout %3 images (the holdout set %4)")
                             .arg(loc.toString(s.trainRows), loc.toString(s.validationRows),
                                  loc.toString(s.holdoutRows), s.holdoutSet));
        m_dates->setText(tr("%1 → %2").arg(day(s.from), day(s.to)));
    }
    if (s.classes.isEmpty()) {
        m_target->setText(tr("mean %1, sd %2, range %3 … %4")
                              .arg(s.targetMean, 0, 'f', 2)
                              .arg(s.targetStd, 0, 'f', 2)
                              .arg(s.targetMin, 0, 'f', 2)
                              .arg(s.targetMax, 0, 'f', 2));
    } else { // a classifier: the share of each true class
        QStringList shares;
        const qint64 total = s.images ? s.trainRows : rows;
        for (qsizetype c = 0; c < s.classes.size(); ++c)
            shares << (total > 0 ? tr("%1 %2 %")
                                       .arg(s.classes[c])
                                       .arg(100.0 * double(s.classCounts[size_t(c)]) / double(total), 0, 'f', 1)
                                 : tr("%1 –").arg(s.classes[c])); // no training image: no share
        m_target->setText(shares.join(QStringLiteral(" · ")));
    }
    if (!s.notes.isEmpty())
        m_status->setText(m_status->text() + QLatin1Char(' ') + s.notes.join(QLatin1Char(' ')));

    // A classifier's rows per true class.
    if (!s.classCounts.empty()) {
        BarChart::Set counts{tr("Rows"), {}, themeColor(Palette::Ml)};
        for (qint64 n : s.classCounts)
            counts.values << double(n);
        m_histogram->setCategoryLabelStyle(0); // class names read across
        m_histogram->setAxisTitles(tr("True class"), QString());
        m_histogram->setBars(s.classes, {counts}, 0.05, 1, true);
    }
    // Histogram: 20 equal-width bins over [min, max], labelled by their lower edge.
    if (!s.targetHistogram.empty()) {
        BarChart::Set bins{tr("Rows"), {}, themeColor(Palette::Ml)};
        QStringList categories;
        const double width = (s.targetMax - s.targetMin) / double(s.targetHistogram.size());
        for (size_t i = 0; i < s.targetHistogram.size(); ++i) {
            bins.values << double(s.targetHistogram[i]);
            categories << QString::number(s.targetMin + width * double(i), 'f', 0);
        }
        m_histogram->setCategoryLabelStyle(-90, 0.8);
        m_histogram->setAxisTitles(tr("Target (lower edge of each bin)"), QString());
        m_histogram->setBars(categories, {bins}, 0.05, 1, true);
    }

    if (s.missingByFeature.isEmpty()) {
        m_missing->setRowCount(1);
        m_missing->setItem(0, 0, new QTableWidgetItem(tr("No value is missing in this window.")));
        m_missing->setItem(0, 1, new QTableWidgetItem(QStringLiteral("0")));
    } else
        m_missing->setRowCount(int(s.missingByFeature.size()));
    int row = 0;
    for (auto it = s.missingByFeature.cbegin(); it != s.missingByFeature.cend(); ++it, ++row) {
        m_missing->setItem(row, 0, new QTableWidgetItem(it.key()));
        auto *n = new QTableWidgetItem(loc.toString(it.value()));
        n->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        m_missing->setItem(row, 1, n);
    }
    Q_EMIT changed();
}

void DataStep::showError(const QString &error)
{
    clearSummary();
    m_status->setStyleSheet(themeStyle(QStringLiteral("color: @{bad};")));
    m_status->setText(tr("Cannot summarize: %1").arg(error));
    Q_EMIT changed();
}

} // namespace mldeck::ui

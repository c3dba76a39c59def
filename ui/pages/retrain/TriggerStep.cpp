#include "ui/pages/retrain/TriggerStep.h"

#include "core/domain/Figure.h"
#include "ui/Theme.h"

#include <QCheckBox>
#include <QCoreApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

#include <cmath>

namespace mldeck::ui {

namespace {

// The value or threshold of a condition; "no data" when there was nothing to compute it from.
QString figure(const TriggerCondition &c, const std::optional<double> &value)
{
    return figureText(value, [&c](double v) {
        const QLocale locale;
        // Shares (satisfaction, a classifier's accuracy) read as percentages, in the user's locale.
        if (c.key == QLatin1String("satisfaction") || c.key == QLatin1String("accuracy_below_target"))
            return QStringLiteral("%1 %").arg(locale.toString(100 * v, 'f', 1));
        if (c.comparison == QLatin1String("firing"))
            return v > 0 ? TriggerStep::tr("firing") : TriggerStep::tr("not firing");
        if (v == std::floor(v) && std::abs(v) < 1e12)
            return locale.toString(qint64(v));
        return locale.toString(v, 'f', 3);
    });
}

} // namespace

TriggerStep::TriggerStep(QWidget *parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("triggerStep"));
    auto *intro = new QLabel(tr("A retrain is due when the recent feedback says the model disappoints users, or "
                                "when an enabled extra trigger fires."),
                             this);
    intro->setWordWrap(true);
    m_verdict = new QLabel(this);
    m_verdict->setObjectName(QStringLiteral("triggerVerdict"));
    m_verdict->setWordWrap(true);
    QFont f = m_verdict->font();
    f.setPointSizeF(f.pointSizeF() * 1.25);
    f.setBold(true);
    m_verdict->setFont(f);

    m_reason = new QLabel(this);
    m_reason->setObjectName(QStringLiteral("triggerReason"));
    m_reason->setWordWrap(true);

    m_table = new QTableWidget(this);
    m_table->setObjectName(QStringLiteral("triggerTable"));
    m_table->setColumnCount(4);
    m_table->setHorizontalHeaderLabels({tr("Condition"), tr("Value"), tr("Threshold"), tr("Met")});
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionMode(QAbstractItemView::NoSelection);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);

    m_force = new QCheckBox(tr("Run anyway (the triggers say it is not due)"), this);
    m_force->setObjectName(QStringLiteral("triggerForce"));
    m_force->setVisible(false);
    m_recheck = new QPushButton(tr("Check again"), this);
    m_recheck->setObjectName(QStringLiteral("triggerRecheck"));
    auto *row = new QHBoxLayout;
    row->addWidget(m_force);
    row->addStretch(1);
    row->addWidget(m_recheck);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addWidget(m_verdict);
    layout->addWidget(m_reason);
    layout->addWidget(m_table, 1);
    layout->addLayout(row);

    connect(m_force, &QCheckBox::toggled, this, &TriggerStep::changed);
    connect(m_recheck, &QPushButton::clicked, this, &TriggerStep::recheckRequested);
}

bool TriggerStep::force() const
{
    return m_loaded && !m_due && m_force->isChecked();
}

void TriggerStep::showLoading(const QString &deployment)
{
    m_loaded = false;
    m_due = false;
    m_table->setRowCount(0);
    m_force->setChecked(false);
    m_force->setVisible(false);
    m_verdict->setStyleSheet(QString());
    m_verdict->setText(tr("Checking the triggers of “%1”…").arg(deployment));
    m_reason->clear();
    Q_EMIT changed();
}

void TriggerStep::showCheck(const TriggerCheck &check)
{
    m_loaded = true;
    m_due = check.due;
    m_table->setRowCount(int(check.conditions.size()));
    for (int i = 0; i < check.conditions.size(); ++i) {
        const TriggerCondition &c = check.conditions[i];
        const QString met = !c.enabled ? tr("off") : c.met ? tr("✓ met") : tr("✗ not met");
        const QStringList cells{c.label.isEmpty() ? c.key : c.label, figure(c, c.value),
                                c.comparison == QLatin1String("firing")
                                    ? tr("firing")
                                    : QStringLiteral("%1 %2").arg(c.comparison, figure(c, c.threshold)),
                                met};
        for (int col = 0; col < cells.size(); ++col) {
            auto *item = new QTableWidgetItem(cells[col]);
            if (col > 0)
                item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            if (col == 3)
                item->setForeground(!c.enabled ? themeColor(Palette::Faint)
                                    : c.met    ? themeColor(Palette::Good)
                                               : themeColor(Palette::Bad));
            if (!c.enabled || (col == 1 && !c.value)) // off, or nothing to compute the value from
                item->setForeground(themeColor(Palette::Faint));
            m_table->setItem(i, col, item);
        }
    }
    m_verdict->setText(check.due ? tr("A retrain is due.") : tr("No retrain is due."));
    m_reason->setText(check.reason);
    m_verdict->setStyleSheet(check.due ? themeStyle(QStringLiteral("color:@{good};"))
                                       : themeStyle(QStringLiteral("color:@{muted};")));
    m_force->setChecked(false);
    m_force->setVisible(!check.due);
    Q_EMIT changed();
}

void TriggerStep::showError(const QString &error)
{
    m_loaded = false;
    m_table->setRowCount(0);
    m_force->setVisible(false);
    m_verdict->setStyleSheet(themeStyle(QStringLiteral("color:@{bad};")));
    m_verdict->setText(tr("Cannot check the triggers: %1").arg(error));
    m_reason->clear();
    Q_EMIT changed();
}

} // namespace mldeck::ui

#include "ui/pages/dashboard/RangeSelector.h"

#include "ui/Theme.h"

#include <QButtonGroup>
#include <QDateTimeEdit>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QToolButton>
#include <QVBoxLayout>

namespace mldeck::ui {

namespace {
const QString kCustom = QStringLiteral("custom");
} // namespace

QStringList RangeSelector::rangeKeys()
{
    return {QStringLiteral("15m"), QStringLiteral("1h"), QStringLiteral("24h"), QStringLiteral("7d"),
            QStringLiteral("30d")};
}

RangeSelector::RangeSelector(QWidget *parent) : QWidget(parent), m_group(new QButtonGroup(this))
{
    // The range the dashboard opens on: MLDECK_DASHBOARD_RANGE (e.g. "30d" for the demo's month of
    // history), else the last hour.
    if (const QString wanted = qEnvironmentVariable("MLDECK_DASHBOARD_RANGE"); rangeKeys().contains(wanted))
        m_range = wanted;
    auto *buttons = new QHBoxLayout;
    buttons->setSpacing(0);
    const QStringList labels = {tr("15 min"), tr("1 h"), tr("24 h"), tr("7 d"), tr("30 d"), tr("Custom…")};
    QStringList keys = rangeKeys();
    keys.append(kCustom);
    for (int i = 0; i < keys.size(); ++i) {
        auto *b = new QToolButton(this);
        b->setText(labels.at(i));
        b->setCheckable(true);
        b->setObjectName(QStringLiteral("range_%1").arg(keys.at(i)));
        b->setProperty("rangeKey", keys.at(i));
        b->setMinimumWidth(52);
        m_group->addButton(b, i);
        buttons->addWidget(b);
        if (keys.at(i) == m_range)
            b->setChecked(true);
    }
    m_group->setExclusive(true);

    m_customPanel = new QWidget(this);
    m_fromEdit = new QDateTimeEdit(m_customPanel);
    m_toEdit = new QDateTimeEdit(m_customPanel);
    for (QDateTimeEdit *e : {m_fromEdit, m_toEdit}) {
        e->setCalendarPopup(true);
        e->setDisplayFormat(QStringLiteral("yyyy-MM-dd HH:mm"));
    }
    const QDateTime now = QDateTime::currentDateTime();
    m_fromEdit->setDateTime(now.addDays(-1));
    m_toEdit->setDateTime(now);
    m_fromEdit->setObjectName(QStringLiteral("customFrom"));
    m_toEdit->setObjectName(QStringLiteral("customTo"));
    m_apply = new QPushButton(tr("Apply"), m_customPanel);
    m_apply->setObjectName(QStringLiteral("customApply"));
    m_error = new QLabel(m_customPanel);
    m_error->setObjectName(QStringLiteral("customError"));
    m_error->setStyleSheet(themeStyle(QStringLiteral("color: @{bad};")));
    m_error->hide();
    auto *custom = new QHBoxLayout(m_customPanel);
    custom->setContentsMargins(0, 0, 0, 0);
    custom->addWidget(new QLabel(tr("From"), m_customPanel));
    custom->addWidget(m_fromEdit);
    custom->addWidget(new QLabel(tr("to"), m_customPanel));
    custom->addWidget(m_toEdit);
    custom->addWidget(m_apply);
    custom->addWidget(m_error, 1);
    m_customPanel->hide();

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(4);
    layout->addLayout(buttons);
    layout->addWidget(m_customPanel);

    connect(m_group, &QButtonGroup::buttonClicked, this, [this](QAbstractButton *b) {
        const QString key = b->property("rangeKey").toString();
        if (key == kCustom) {
            // The editors open; the shown range changes only on a valid Apply.
            m_customPanel->show();
            return;
        }
        m_customPanel->hide();
        m_error->hide();
        if (key != m_range) {
            m_range = key;
            Q_EMIT rangeChanged();
        }
    });
    connect(m_apply, &QPushButton::clicked, this, &RangeSelector::applyCustom);
}

QString RangeSelector::validateCustom(const QDateTime &from, const QDateTime &to)
{
    if (!from.isValid() || !to.isValid())
        return tr("Enter both the start and the end of the range.");
    if (from >= to)
        return tr("The start of the range must be before its end.");
    return {};
}

void RangeSelector::setCustomRange(const QDateTime &from, const QDateTime &to)
{
    m_fromEdit->setDateTime(from.toLocalTime());
    m_toEdit->setDateTime(to.toLocalTime());
    if (QAbstractButton *custom = rangeButton(kCustom))
        custom->setChecked(true);
    m_customPanel->show();
    applyCustom();
}

void RangeSelector::applyCustom()
{
    const QDateTime from = m_fromEdit->dateTime();
    const QDateTime to = m_toEdit->dateTime();
    const QString error = validateCustom(from, to);
    if (!error.isEmpty()) {
        m_error->setText(error);
        m_error->show();
        return; // nothing changes: the range shown stays what it was
    }
    m_error->hide();
    m_appliedFrom = from;
    m_appliedTo = to;
    m_range = kCustom;
    Q_EMIT rangeChanged();
}

QString RangeSelector::currentRange() const
{
    return m_range;
}

QAbstractButton *RangeSelector::rangeButton(const QString &key) const
{
    for (QAbstractButton *b : m_group->buttons())
        if (b->property("rangeKey").toString() == key)
            return b;
    return nullptr;
}

QString RangeSelector::customError() const
{
    return m_error->isHidden() ? QString() : m_error->text();
}

} // namespace mldeck::ui

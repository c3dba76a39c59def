#include "ui/pages/audit/AuditFilterBar.h"

#include <QComboBox>
#include <QDateTimeEdit>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QSet>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>

namespace mldeck::ui {

namespace {

constexpr qint64 kAnyTime = 0;
constexpr qint64 kCustom = -1;

// Refills a combo with "all" (empty data) then items, keeping the current data when still offered.
void refill(QComboBox *box, const QString &all, const QStringList &items, const QStringList &labels = {})
{
    const QString current = box->currentData().toString();
    box->clear();
    box->addItem(all, QString());
    for (int i = 0; i < items.size(); ++i)
        box->addItem(labels.isEmpty() ? items[i] : labels[i], items[i]);
    const int at = box->findData(current);
    box->setCurrentIndex(at < 0 ? 0 : at);
}

} // namespace

AuditFilterBar::AuditFilterBar(QWidget *parent) : QWidget(parent), m_debounce(new QTimer(this))
{
    m_deployment = new QComboBox(this);
    m_deployment->setObjectName(QStringLiteral("auditDeployment"));
    m_actor = new QComboBox(this);
    m_actor->setObjectName(QStringLiteral("auditActor"));
    m_kind = new QComboBox(this);
    m_kind->setObjectName(QStringLiteral("auditKind"));
    for (QComboBox *box : {m_deployment, m_actor, m_kind})
        box->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    refill(m_deployment, tr("All deployments"), {});
    refill(m_actor, tr("Anyone"), {});
    refill(m_kind, tr("Every kind"), {});

    m_range = new QComboBox(this);
    m_range->setObjectName(QStringLiteral("auditRange"));
    m_range->addItem(tr("Any time"), kAnyTime);
    m_range->addItem(tr("Last hour"), qint64(3600));
    m_range->addItem(tr("Last 24 hours"), qint64(86400));
    m_range->addItem(tr("Last 7 days"), qint64(7 * 86400));
    m_range->addItem(tr("Last 30 days"), qint64(30 * 86400));
    m_range->addItem(tr("From… to…"), kCustom);
    const QDateTime now = QDateTime::currentDateTime();
    m_from = new QDateTimeEdit(now.addDays(-1), this);
    m_to = new QDateTimeEdit(now.addSecs(3600), this);
    for (QDateTimeEdit *edit : {m_from, m_to}) {
        edit->setDisplayFormat(QStringLiteral("yyyy-MM-dd HH:mm"));
        edit->setCalendarPopup(true);
        edit->hide();
    }
    m_from->setObjectName(QStringLiteral("auditFrom"));
    m_to->setObjectName(QStringLiteral("auditTo"));

    m_search = new QLineEdit(this);
    m_search->setObjectName(QStringLiteral("auditSearch"));
    m_search->setPlaceholderText(tr("Search reason, actor, values…"));
    m_search->setClearButtonEnabled(true);
    m_error = new QLabel(this);
    m_error->setObjectName(QStringLiteral("auditFilterError"));
    m_error->setWordWrap(true);
    m_error->hide();

    auto *row = new QHBoxLayout;
    row->setContentsMargins(0, 0, 0, 0);
    row->addWidget(m_deployment);
    row->addWidget(m_actor);
    row->addWidget(m_kind);
    row->addWidget(m_range);
    row->addWidget(m_from);
    row->addWidget(m_to);
    row->addWidget(m_search, 1);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(row);
    layout->addWidget(m_error);

    m_debounce->setSingleShot(true);
    m_debounce->setInterval(kSearchDebounceMs);
    connect(m_debounce, &QTimer::timeout, this, &AuditFilterBar::apply);
    connect(m_search, &QLineEdit::textChanged, m_debounce, qOverload<>(&QTimer::start));
    for (QComboBox *box : {m_deployment, m_actor, m_kind, m_range})
        connect(box, &QComboBox::currentIndexChanged, this, [this] {
            if (!m_filling)
                apply();
        });
    connect(m_range, &QComboBox::currentIndexChanged, this, [this] {
        const bool custom = m_range->currentData().toLongLong() == kCustom;
        m_from->setVisible(custom);
        m_to->setVisible(custom);
    });
    for (QDateTimeEdit *edit : {m_from, m_to})
        connect(edit, &QDateTimeEdit::dateTimeChanged, m_debounce, qOverload<>(&QTimer::start));
}

QStringList AuditFilterBar::kindChoices(const QStringList &actions)
{
    QStringList sorted = actions;
    sorted.sort();
    sorted.removeDuplicates();
    QStringList out;
    for (const QString &action : sorted) {
        const QString family = action.section(QLatin1Char('.'), 0, 0);
        if (!family.isEmpty() && family != action && !out.contains(family))
            out << family;
        out << action;
    }
    return out;
}

void AuditFilterBar::setChoices(const QStringList &deployments, const QStringList &actors, const QStringList &actions)
{
    m_filling = true;
    refill(m_deployment, tr("All deployments"), deployments);
    refill(m_actor, tr("Anyone"), actors);
    const QStringList kinds = kindChoices(actions);
    QStringList labels;
    for (const QString &kind : kinds)
        labels << (kind.contains(QLatin1Char('.')) ? QStringLiteral("    ") + kind : tr("%1 (all)").arg(kind));
    refill(m_kind, tr("Every kind"), kinds, labels);
    m_filling = false;
    if (read() != m_filter)
        apply(); // a selected choice is no longer offered
}

void AuditFilterBar::setFilter(const AuditFilter &filter)
{
    m_filling = true;
    auto select = [](QComboBox *box, const QString &value) {
        int at = box->findData(value);
        if (at < 0 && !value.isEmpty()) {
            box->addItem(value, value);
            at = box->count() - 1;
        }
        box->setCurrentIndex(std::max(0, at));
    };
    select(m_deployment, filter.deployment);
    select(m_actor, filter.actor);
    select(m_kind, filter.kinds.value(0));
    if (filter.from.isValid() || filter.to.isValid()) {
        m_range->setCurrentIndex(m_range->findData(kCustom));
        m_from->setDateTime(filter.from.isValid() ? filter.from.toLocalTime()
                                                  : QDateTime::currentDateTime().addYears(-10));
        m_to->setDateTime(filter.to.isValid() ? filter.to.toLocalTime() : QDateTime::currentDateTime().addYears(10));
    } else {
        m_range->setCurrentIndex(0);
    }
    m_search->blockSignals(true);
    m_search->setText(filter.text);
    m_search->blockSignals(false);
    m_filling = false;
    apply();
}

AuditFilter AuditFilterBar::read() const
{
    AuditFilter f;
    f.deployment = m_deployment->currentData().toString();
    f.actor = m_actor->currentData().toString();
    if (const QString kind = m_kind->currentData().toString(); !kind.isEmpty())
        f.kinds = {kind};
    const qint64 range = m_range->currentData().toLongLong();
    if (range == kCustom) {
        f.from = m_from->dateTime().toUTC();
        f.to = m_to->dateTime().toUTC();
    }
    f.text = m_search->text().trimmed();
    return f;
}

AuditFilter AuditFilterBar::withPreset(AuditFilter f, qint64 preset) const
{
    if (preset > 0)
        f.from = QDateTime::currentDateTimeUtc().addSecs(-preset);
    return f;
}

AuditFilter AuditFilterBar::filter() const
{
    return withPreset(m_filter, m_preset);
}

void AuditFilterBar::apply()
{
    m_debounce->stop();
    const AuditFilter f = read();
    const qint64 range = m_range->currentData().toLongLong();
    const qint64 preset = range > 0 ? range : 0;
    if (const QString problem = withPreset(f, preset).validate(); !problem.isEmpty()) {
        m_error->setText(problem);
        m_error->show();
        return;
    }
    m_error->hide();
    m_filter = f;
    m_preset = preset;
    Q_EMIT filterChanged(filter());
}

QString AuditFilterBar::errorText() const
{
    return m_error->isVisible() ? m_error->text() : QString();
}

} // namespace mldeck::ui

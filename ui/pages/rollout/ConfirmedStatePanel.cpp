#include "ui/pages/rollout/ConfirmedStatePanel.h"

#include "ui/Theme.h"

#include "core/rollout/FlagValues.h"

#include <QCoreApplication>
#include <QFormLayout>
#include <QLabel>
#include <QLocale>
#include <QVBoxLayout>

namespace mldeck::ui {

namespace {

constexpr auto kInvalidStyle = "color: @{bad}; font-weight: 700;";
constexpr auto kValueStyle = "color: @{ink}; font-weight: 600;";

bool isInvalid(const FlagState &s, const char *field)
{
    return s.invalidFields.contains(QString::fromLatin1(field));
}

void setValue(QLabel *label, const QString &text, bool invalid)
{
    label->setText(text);
    label->setStyleSheet(themeStyle(QString::fromLatin1(invalid ? kInvalidStyle : kValueStyle)));
}

QString ago(const QDateTime &when)
{
    const qint64 s = when.secsTo(QDateTime::currentDateTimeUtc());
    // The counts are computed first: lupdate 6.4 never finishes on a plural count written as an
    // arithmetic expression inside translate().
    const int seconds = int(s);
    const int minutes = int(s / 60);
    const int hours = int(s / 3600);
    const int days = int(s / 86400);
    if (s < 0)
        return ConfirmedStatePanel::tr("just now");
    if (s < 60)
        return ConfirmedStatePanel::tr("%n s ago", nullptr, seconds);
    if (s < 3600)
        return ConfirmedStatePanel::tr("%n min ago", nullptr, minutes);
    if (s < 86400)
        return ConfirmedStatePanel::tr("%n h ago", nullptr, hours);
    return ConfirmedStatePanel::tr("%n days ago", nullptr, days);
}

} // namespace

ConfirmedStatePanel::ConfirmedStatePanel(QWidget *parent) : QGroupBox(tr("Confirmed in Redis"), parent)
{
    setObjectName(QStringLiteral("confirmedState"));
    m_headline = new QLabel(this);
    m_headline->setObjectName(QStringLiteral("confirmedHeadline"));
    m_headline->setWordWrap(true);

    m_rows = new QWidget(this);
    auto *form = new QFormLayout(m_rows);
    form->setContentsMargins(0, 0, 0, 0);
    form->setHorizontalSpacing(18);
    form->setVerticalSpacing(4);
    m_ml = addRow(tr("ML enabled"), QStringLiteral("confirmedMl"));
    m_percentage = addRow(tr("Traffic to ML"), QStringLiteral("confirmedPercentage"));
    m_fallback = addRow(tr("Fallback on error"), QStringLiteral("confirmedFallback"));
    m_version = addRow(tr("Version"), QStringLiteral("confirmedVersion"));
    m_by = addRow(tr("Changed by"), QStringLiteral("confirmedBy"));
    m_at = addRow(tr("Changed at"), QStringLiteral("confirmedAt"));

    auto *layout = new QVBoxLayout(this);
    layout->setSpacing(8);
    layout->addWidget(m_headline);
    layout->addWidget(m_rows);

    m_ageTimer.setInterval(5000);
    connect(&m_ageTimer, &QTimer::timeout, this, &ConfirmedStatePanel::refreshAge);
    clear(tr("Not read yet."));
}

QLabel *ConfirmedStatePanel::addRow(const QString &label, const QString &objectName)
{
    auto *value = new QLabel(m_rows);
    value->setObjectName(objectName);
    value->setTextInteractionFlags(Qt::TextSelectableByMouse);
    static_cast<QFormLayout *>(m_rows->layout())->addRow(label, value);
    return value;
}

QString ConfirmedStatePanel::headline() const
{
    return m_headline->text();
}

void ConfirmedStatePanel::clear(const QString &why)
{
    m_state = {};
    m_ageTimer.stop();
    m_headline->setText(why);
    m_headline->setStyleSheet(themeStyle(QStringLiteral("color: @{muted};")));
    m_rows->hide();
}

void ConfirmedStatePanel::setStale(bool stale)
{
    m_stale = stale;
    if (m_state.exists)
        showState(m_state);
}

void ConfirmedStatePanel::showState(const FlagState &s)
{
    m_state = s;
    if (!s.exists) {
        clear(tr("Redis holds no flag set for “%1”: backends treat ML as off.").arg(s.deployment));
        return;
    }
    const QString invalidText = tr("INVALID in Redis");
    const bool mlBad = isInvalid(s, flagfield::kMlEnabled);
    const bool pctBad = isInvalid(s, flagfield::kTrafficPercentage);
    const bool fbBad = isInvalid(s, flagfield::kFallbackOnError);
    const bool verBad = isInvalid(s, flagfield::kVersion);
    setValue(m_ml, mlBad ? invalidText : (s.mlEnabled ? tr("On") : tr("Off")), mlBad);
    setValue(m_percentage, pctBad ? invalidText : tr("%1 %").arg(s.trafficPercentage), pctBad);
    setValue(m_fallback, fbBad ? invalidText : (s.fallbackOnError ? tr("On") : tr("Off")), fbBad);
    setValue(m_version, verBad ? invalidText : QString::number(s.version), verBad);
    setValue(m_by, s.updatedBy.isEmpty() ? tr("unknown") : s.updatedBy, false);
    refreshAge();

    QString text;
    QString style;
    if (!s.isValid()) {
        text = tr("⚠ Invalid flag set (%1): backends treat ML as OFF.").arg(s.invalidFields.join(QStringLiteral(", ")));
        style = themeStyle(QStringLiteral("background: @{badSoft}; color: @{bad}; border: 1px solid @{badBorder};"));
    } else if (!s.mlEnabled || s.trafficPercentage == 0) {
        text = tr("● ML off: every request uses the heuristic.");
        style = themeStyle(QStringLiteral("background: @{shade}; color: @{inkSoft}; border: 1px solid @{border};"));
    } else {
        text = tr("● ML serves %1 % of requests.").arg(s.trafficPercentage);
        style = themeStyle(QStringLiteral("background: @{goodSoft}; color: @{good}; border: 1px solid @{goodBorder};"));
    }
    if (m_stale) {
        text += QLatin1Char(' ') + tr("(last read before the connection was lost: may be stale)");
        style =
            themeStyle(QStringLiteral("background: @{warnSoft}; color: @{warnInk}; border: 1px solid @{warnBorder};"));
    }
    m_headline->setText(text);
    m_headline->setStyleSheet(
        QStringLiteral("QLabel { %1 border-radius: 6px; padding: 6px 10px; font-weight: 600; }").arg(style));
    m_rows->show();
    m_ageTimer.start();
}

void ConfirmedStatePanel::refreshAge()
{
    if (!m_state.updatedAt.isValid()) {
        setValue(m_at, tr("unknown"), false);
        return;
    }
    const QString when = QLocale().toString(m_state.updatedAt.toLocalTime(), QStringLiteral("yyyy-MM-dd HH:mm:ss"));
    setValue(m_at, tr("%1 (%2)").arg(when, ago(m_state.updatedAt)), false);
}

} // namespace mldeck::ui

#include "ui/pages/dashboard/KpiTileWidget.h"

#include "core/domain/Figure.h"
#include "ui/Theme.h"

#include <QLabel>
#include <QVBoxLayout>

namespace mldeck::ui {

KpiTileWidget::KpiTileWidget(const QString &key, QWidget *parent) : QFrame(parent)
{
    setObjectName(QStringLiteral("tile_%1").arg(key));
    m_state.key = key;
    m_title = new QLabel(this);
    m_value = new QLabel(noDataText(), this);
    m_value->setObjectName(QStringLiteral("tileValue"));
    m_trend = new QLabel(this);
    m_detail = new QLabel(this);
    m_detail->setWordWrap(true);
    QFont valueFont = m_value->font();
    valueFont.setPointSizeF(valueFont.pointSizeF() * 1.7);
    valueFont.setBold(true);
    m_value->setFont(valueFont);
    QFont small = m_detail->font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    m_detail->setFont(small);
    m_trend->setFont(small);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(12, 8, 10, 8);
    layout->setSpacing(2);
    layout->addWidget(m_title);
    layout->addWidget(m_value);
    layout->addWidget(m_trend);
    layout->addWidget(m_detail);
    layout->addStretch();
    setMinimumWidth(150);
    restyle();
}

void KpiTileWidget::show(const TileState &state)
{
    m_state = state;
    m_title->setText(state.title);
    m_value->setText(state.value);
    m_trend->setText(state.trendText);
    m_detail->setText(state.detail);
    setToolTip(state.tooltip);
    setProperty("figure", state.raw ? QVariant(*state.raw) : QVariant());
    restyle();
}

void KpiTileWidget::setStale(bool stale)
{
    m_stale = stale;
    restyle();
}

QString KpiTileWidget::valueText() const
{
    return m_value->text();
}
QString KpiTileWidget::detailText() const
{
    return m_detail->text();
}
QString KpiTileWidget::trendText() const
{
    return m_trend->text();
}

void KpiTileWidget::restyle()
{
    QColor edge = themeColor(Palette::Muted);
    QColor value = themeColor(Palette::Ink);
    switch (m_state.verdict) {
    case TileState::Verdict::Good:
        edge = value = themeColor(Palette::Good);
        break;
    case TileState::Verdict::Bad:
        edge = value = themeColor(Palette::Bad);
        break;
    case TileState::Verdict::NoData:
        edge = themeColor(Palette::Border);
        value = themeColor(Palette::Faint);
        break;
    case TileState::Verdict::Neutral:
        edge = themeColor(Palette::Faint);
        break;
    }
    if (m_stale)
        edge = value = themeColor(Palette::Faint);
    setStyleSheet(
        themeStyle(
            QStringLiteral("QFrame#%1 { background: %2; border: 1px solid @{rule}; border-left: 5px solid %3; "
                           "border-radius: 6px; } QLabel { border: none; background: transparent; color: @{muted}; }"
                           " QLabel#tileValue { color: %4; }"))
            .arg(objectName(), themeCss(m_stale ? Palette::Shade : Palette::Base), edge.name(), value.name()));
    QColor trendColour = themeColor(Palette::Muted);
    if (m_state.trend == TileState::Trend::Up || m_state.trend == TileState::Trend::Down)
        trendColour = themeColor(m_state.trendIsGood ? Palette::Good : Palette::Bad);
    m_trend->setStyleSheet(QStringLiteral("color: %1;").arg(trendColour.name()));
}

} // namespace mldeck::ui

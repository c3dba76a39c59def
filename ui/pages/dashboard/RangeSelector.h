#pragma once

#include <QDateTime>
#include <QWidget>

class QAbstractButton;
class QButtonGroup;
class QDateTimeEdit;
class QLabel;
class QPushButton;
class QWidget;

namespace mldeck::ui {

// The dashboard's time range: "last 15 min / 1 h / 24 h / 7 d / 30 d" (live, `to` follows the clock) or a
// custom [from, to) typed in two editors and applied with Apply. A custom range whose start is not before
// its end is refused with an inline message and changes nothing.
class RangeSelector final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RangeSelector)

public:
    explicit RangeSelector(QWidget *parent = nullptr);

    static QStringList rangeKeys(); // "15m", "1h", "24h", "7d", "30d"
    QString currentRange() const;   // one of rangeKeys(), or "custom"
    QDateTime customFrom() const { return m_appliedFrom; }
    QDateTime customTo() const { return m_appliedTo; }

    // The empty string when [from, to) is a usable range, else why not (shown under the editors).
    static QString validateCustom(const QDateTime &from, const QDateTime &to);
    // Shows [from, to) as the custom range, as if typed and applied (refused like a typed one).
    void setCustomRange(const QDateTime &from, const QDateTime &to);

    QAbstractButton *rangeButton(const QString &key) const;
    QDateTimeEdit *fromEdit() const { return m_fromEdit; }
    QDateTimeEdit *toEdit() const { return m_toEdit; }
    QPushButton *applyButton() const { return m_apply; }
    QString customError() const;
    QWidget *customPanel() const { return m_customPanel; }

Q_SIGNALS:
    void rangeChanged();

private:
    void applyCustom();

    QButtonGroup *m_group = nullptr;
    QWidget *m_customPanel = nullptr;
    QDateTimeEdit *m_fromEdit = nullptr;
    QDateTimeEdit *m_toEdit = nullptr;
    QPushButton *m_apply = nullptr;
    QLabel *m_error = nullptr;
    QString m_range = QStringLiteral("1h");
    QDateTime m_appliedFrom;
    QDateTime m_appliedTo;
};

} // namespace mldeck::ui

#pragma once

#include "core/config/ReadReplica.h"
#include "core/services/ReadSource.h"

#include <QWidget>

class QLabel;

namespace mldeck::ui {

class StatusDot;

// The PostgreSQL read replica in the status bar, next to PostgreSQL: "Standby: lag 0.4 s", "Standby: 45 s behind
// (NOT live)" or "Standby unreachable: reading from the primary", with the standby's host, the maximum lag and
// when it was measured in the tooltip. Hidden without a read replica. It probes nothing: it shows the lag the
// pages' own reads measured (ConnectionSession::readSourceChanged), so the standby is asked once per read.
class StandbyIndicator final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StandbyIndicator)

public:
    explicit StandbyIndicator(QWidget *parent = nullptr);

    // The active profile's replica: shown, "not checked yet", until a read measures it; hidden without one.
    void setReplica(const mldeck::ReadReplica &replica);
    void showSource(const mldeck::ReadSource &source);
    QString text() const;
    QColor dotColor() const;

    // Pure formatting, shared with tests.
    static QString summary(const mldeck::ReadSource &source);
    static QString tooltip(const mldeck::ReadSource &source, const QString &standby);

private:
    void display(const std::optional<mldeck::ReadSource> &source);

    QString m_standby; // host:port of the configured standby (a fallen-back read names the primary)
    StatusDot *m_dot = nullptr;
    QLabel *m_label = nullptr;
};

} // namespace mldeck::ui

#pragma once

#include "core/domain/FlagState.h"

#include <QGroupBox>
#include <QTimer>

class QLabel;

namespace mldeck::ui {

// The flag set as last read back from Redis: what backends really use, with version, who and when.
// Fields Redis holds in an unreadable form are shown as INVALID in red, never as a value.
class ConfirmedStatePanel final : public QGroupBox
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConfirmedStatePanel)

public:
    explicit ConfirmedStatePanel(QWidget *parent = nullptr);

    void showState(const FlagState &state);
    // No state to show (no deployment, or not read yet).
    void clear(const QString &why);
    // Not connected: keep the last state but say it may be stale.
    void setStale(bool stale);

    QString headline() const;

private:
    void refreshAge();
    QLabel *addRow(const QString &label, const QString &objectName);

    QLabel *m_headline = nullptr;
    QLabel *m_ml = nullptr;
    QLabel *m_percentage = nullptr;
    QLabel *m_fallback = nullptr;
    QLabel *m_version = nullptr;
    QLabel *m_by = nullptr;
    QLabel *m_at = nullptr;
    QWidget *m_rows = nullptr;
    FlagState m_state;
    bool m_stale = false;
    QTimer m_ageTimer;
};

} // namespace mldeck::ui

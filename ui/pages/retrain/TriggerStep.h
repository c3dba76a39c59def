#pragma once

#include "core/domain/RetrainRun.h"

#include <QWidget>

class QCheckBox;
class QLabel;
class QPushButton;
class QTableWidget;

namespace mldeck::ui {

// Step 1, "Why now": each trigger condition with its value, threshold and whether it is met; whether a
// run is due; "Run anyway" when it is not.
class TriggerStep final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TriggerStep)

public:
    explicit TriggerStep(QWidget *parent = nullptr);

    void showLoading(const QString &deployment);
    void showCheck(const TriggerCheck &check);
    void showError(const QString &error);
    bool hasCheck() const { return m_loaded; }
    bool due() const { return m_due; }
    bool force() const;
    bool canContinue() const { return m_loaded && (m_due || force()); }

Q_SIGNALS:
    void changed();
    void recheckRequested();

private:
    QLabel *m_verdict = nullptr;
    QLabel *m_reason = nullptr;
    QTableWidget *m_table = nullptr;
    QCheckBox *m_force = nullptr;
    QPushButton *m_recheck = nullptr;
    bool m_loaded = false;
    bool m_due = false;
};

} // namespace mldeck::ui

#pragma once

#include "ui/pages/audit/AuditLink.h"

#include <QWidget>

class QLabel;
class QPushButton;
class QTextBrowser;

namespace mldeck {
struct AuditEntry;
}

namespace mldeck::ui {

// The selected audit row in full: who (person and database role, host), when (server time, and the
// client's when the row was spooled), what (kind, deployment, reason), the before/after as readable
// diff lines (AuditDiff), its place in the hash chain, and a button to open what it changed.
class AuditDetail final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AuditDetail)

public:
    explicit AuditDetail(QWidget *parent = nullptr);

    void showEntry(const AuditEntry &entry);
    void clear();

    QString diffText() const; // the diff lines shown, one per line (tests)
    QPushButton *openButton() const { return m_open; }
    const AuditLink &link() const { return m_link; }

Q_SIGNALS:
    void openRequested(const mldeck::ui::AuditLink &link);

private:
    QLabel *m_summary = nullptr;
    QTextBrowser *m_diff = nullptr;
    QPushButton *m_open = nullptr;
    AuditLink m_link;
};

} // namespace mldeck::ui

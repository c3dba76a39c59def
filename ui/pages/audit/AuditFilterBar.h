#pragma once

#include "core/audit/AuditFilter.h"

#include <QWidget>

class QComboBox;
class QDateTimeEdit;
class QLabel;
class QLineEdit;
class QTimer;

namespace mldeck::ui {

// The Audit page's filters: deployment, actor, kind (a family such as "flags" or one action), time
// range (any time, the last hour/day/week/month, or from..to) and a free-text search typed with a
// debounce. Emits filterChanged with a valid AuditFilter; an invalid one (a range that ends before it
// starts) is said under the bar and changes nothing.
class AuditFilterBar final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AuditFilterBar)

public:
    static constexpr int kSearchDebounceMs = 300;

    explicit AuditFilterBar(QWidget *parent = nullptr);

    // The choices offered (what is selected stays selected when still offered).
    void setChoices(const QStringList &deployments, const QStringList &actors, const QStringList &actions);
    // The filter chosen; a "last hour/day…" range starts that long before now, at each call.
    AuditFilter filter() const;
    void setFilter(const AuditFilter &filter); // shows it and emits filterChanged

    QComboBox *deploymentBox() const { return m_deployment; }
    QComboBox *actorBox() const { return m_actor; }
    QComboBox *kindBox() const { return m_kind; }
    QComboBox *rangeBox() const { return m_range; }
    QDateTimeEdit *fromEdit() const { return m_from; }
    QDateTimeEdit *toEdit() const { return m_to; }
    QLineEdit *searchEdit() const { return m_search; }
    QString errorText() const;

    // The kind choices for a list of actions: each family ("flags") then its actions, sorted.
    static QStringList kindChoices(const QStringList &actions);

Q_SIGNALS:
    void filterChanged(const mldeck::AuditFilter &filter);

private:
    AuditFilter read() const; // the choices shown (a preset range's start left out: it moves with the clock)
    AuditFilter withPreset(AuditFilter f, qint64 preset) const;
    void apply();

    QComboBox *m_deployment = nullptr;
    QComboBox *m_actor = nullptr;
    QComboBox *m_kind = nullptr;
    QComboBox *m_range = nullptr;
    QDateTimeEdit *m_from = nullptr;
    QDateTimeEdit *m_to = nullptr;
    QLineEdit *m_search = nullptr;
    QLabel *m_error = nullptr;
    QTimer *m_debounce = nullptr;
    AuditFilter m_filter;   // as read(): without a preset range's start
    qint64 m_preset = 0;    // the "last N seconds" range chosen (0: none)
    bool m_filling = false; // choices being refilled: no filterChanged
};

} // namespace mldeck::ui

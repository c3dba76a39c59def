#pragma once

#include <QStringList>
#include <QWidget>

class QComboBox;
class QDateTimeEdit;
class QLabel;
class QSpinBox;
class QStackedWidget;

namespace mldeck::ui {

// Chooses a drift reference (ReferenceSpec text): the first N logged predictions, a logged period,
// a stored snapshot or the champion's training window. A stored text of another kind (auto, first:1h,
// previous:30m) is offered as it is, so that loading and saving never changes it unasked.
class DriftReferenceChooser final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DriftReferenceChooser)

public:
    explicit DriftReferenceChooser(QWidget *parent = nullptr);

    void setSnapshots(const QStringList &names); // the deployment's stored snapshots
    void setSpec(const QString &spec);           // shows it (empty: the default, first_rows:5000)
    QString spec() const;                        // what is chosen, as ReferenceSpec text

Q_SIGNALS:
    void edited(); // the user changed the choice

private:
    enum Kind
    {
        FirstRows,
        Period,
        Snapshot,
        Model,
        Other
    };
    void showKind();

    QComboBox *m_kind;
    QStackedWidget *m_pages;
    QSpinBox *m_rows;
    QDateTimeEdit *m_from;
    QDateTimeEdit *m_to;
    QComboBox *m_snapshot;
    QLabel *m_other;
    QString m_otherSpec; // the stored text of another kind, kept as it is
};

} // namespace mldeck::ui

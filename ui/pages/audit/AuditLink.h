#pragma once

#include <QCoreApplication>
#include <QDateTime>
#include <QString>

namespace mldeck {
struct AuditEntry;
}

namespace mldeck::ui {

// What an audit row changed, as a place in the GUI to open: the model version a model.* row names,
// the alert an alert.* row names, else the moment of the change on its deployment's dashboard.
struct AuditLink
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::ui::AuditLink)

public:
    enum class Target
    {
        None, // a row of no deployment (a global setting): nothing to open
        ModelVersion,
        Alert,
        DashboardMoment
    };
    Target target = Target::None;
    QString deployment;
    QString version;    // ModelVersion
    qint64 alertId = 0; // Alert
    QDateTime at;       // DashboardMoment: when the change was made

    static AuditLink of(const AuditEntry &entry);
    QString label() const; // the button's text: "Open model version 3", ...
};

} // namespace mldeck::ui

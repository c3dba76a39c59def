#pragma once

#include "core/alerting/AlertRuleView.h"
#include "core/domain/Alert.h"
#include "core/services/PgService.h"

#include <QDateTime>
#include <QList>

namespace mldeck {

// The KPI alert rules of one deployment, with their states, and whether the connected role may change them.
struct AlertRules
{
    QString deployment;
    QList<AlertRuleView> rules;
    QString refusal;         // empty: the role may change alert rules; else why not (RolePermissions::refusal)
    bool classifier = false; // a classification deployment: its rules use the classification metrics
};

// Alerts and alert rules for the GUI: lists, acknowledges and silences alerts, reads and changes the rules
// of a deployment, all on its PgService worker.
class AlertsService final : public PgService
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AlertsService)

public:
    explicit AlertsService(QObject *parent = nullptr);
    ~AlertsService() override;

    void setActor(const AlertActor &actor); // default: the OS user on this host

    void refresh(const QString &deployment = {}, bool includeResolved = true);        // -> alertsListed
    void acknowledge(qint64 alertId, const QString &reason = {});                     // -> actionFinished
    void silence(qint64 alertId, const QDateTime &until, const QString &reason = {}); // -> actionFinished
    void listRules(const QString &deployment);                                        // -> rulesListed
    // Rule changes, each audited by AlertRuleStore (before/after) -> ruleChanged.
    void saveRule(const QString &deployment, const AlertRule &rule, const QString &reason = {});
    void resetRule(const QString &deployment, const QString &ruleId);
    void deleteRule(const QString &deployment, const QString &ruleId);

    static AlertActor currentUser();

Q_SIGNALS:
    void alertsListed(const mldeck::Result<QList<mldeck::Alert>> &alerts);
    void actionFinished(const mldeck::Result<QString> &message); // what changed, for the user
    void rulesListed(const mldeck::Result<mldeck::AlertRules> &rules);
    void ruleChanged(const mldeck::Result<QString> &message); // what changed, for the user

private:
    AlertActor m_actor;
};

} // namespace mldeck

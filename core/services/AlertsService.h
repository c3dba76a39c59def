#pragma once

#include "core/alerting/AlertRuleView.h"
#include "core/domain/Alert.h"
#include "core/services/PgService.h"

#include <QDateTime>
#include <QList>

namespace mldeck {

// The KPI alert rules of one deployment, with their states.
struct AlertRules
{
    QString deployment;
    QList<AlertRuleView> rules;
};

// Alerts and alert rules for the GUI: lists, acknowledges and silences alerts, reads the rules of a
// deployment, all on its PgService worker.
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

    static AlertActor currentUser();

Q_SIGNALS:
    void alertsListed(const mldeck::Result<QList<mldeck::Alert>> &alerts);
    void actionFinished(const mldeck::Result<QString> &message); // what changed, for the user
    void rulesListed(const mldeck::Result<mldeck::AlertRules> &rules);

private:
    AlertActor m_actor;
};

} // namespace mldeck

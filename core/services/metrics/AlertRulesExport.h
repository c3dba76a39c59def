#pragma once

#include "core/domain/AlertRule.h"

#include <QByteArray>
#include <QList>
#include <QMap>
#include <QString>

namespace mldeck {

// The label value of a window of `seconds` in the exported gauges: "5m", "1h", "90s".
QString metricsWindowLabel(int seconds);
// The windows the exporter computes for a deployment: 5 min, 1 h, and every enabled rule's window.
QList<int> metricsWindows(const QList<AlertRule> &rules);

// MLDeck's KPI alert rules as a Prometheus rules file (YAML), one group per deployment: each rule
// reads the gauge the guard computes over the rule's own window, with the same comparison,
// threshold and pending period ("for"), so it fires on the same conditions as the guard does; a rule's
// resolve threshold holds a firing alert through ALERTS, its keep-firing time is keep_firing_for
// (Prometheus 2.42 or later).
QByteArray prometheusAlertRules(const QMap<QString, QList<AlertRule>> &rulesByDeployment);

// The alert's name in the file: MLDeck_<deployment>_<rule id>.
QString prometheusAlertName(const QString &deployment, const AlertRule &rule);
// The PromQL condition of one rule (what the file's `expr` holds).
QString prometheusAlertExpression(const QString &deployment, const AlertRule &rule);

} // namespace mldeck

#pragma once

#include "core/domain/Kpi.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace mldeck {

// An importable Grafana dashboard (JSON model, schemaVersion 36) with the panels of MLDeck's own
// dashboard, reading only the series the guard exports (resources/contract/metrics.md): MAE and R²
// of ML vs heuristic with the deployment's targets, latency p50/p95/p99, failure ratio, throughput,
// fallback ratio, drift scores, firing alerts and the rollout flags. A classifier ("classification"
// task) has accuracy (ML vs heuristic, realised vs estimated), log-loss, Brier, ECE, ROC AUC,
// confidence, served positives, label coverage and F1 in place of MAE and R². The deployment is a
// dashboard variable (default: `deployment`), the data source an input chosen at import.
QJsonObject grafanaDashboard(const QString &deployment, const KpiTargets &targets,
                             const QString &task = QStringLiteral("regression"));

// Every PromQL expression of the dashboard, with the variables as Grafana leaves them
// ($deployment, $__rate_interval): what tests evaluate against a real Prometheus.
QStringList grafanaExpressions(const QJsonObject &dashboard);

} // namespace mldeck

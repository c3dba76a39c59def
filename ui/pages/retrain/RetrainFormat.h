#pragma once

#include <QCoreApplication>
#include <QJsonObject>
#include <QString>

#include <optional>

class QLabel;
class QWidget;

namespace mldeck {
struct RetrainRun;
}

namespace mldeck::ui::retrainfmt {

// The translation context of these helpers (Text::tr, filed by lupdate under the same name).
struct Text
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::ui::retrainfmt)
};

// Holdout figures of one model ("candidate" or "champion") as recorded in a run's metrics JSON:
// a regression model's MAE, RMSE, R²; a classifier's accuracy, log-loss, Brier score.
struct HoldoutMetrics
{
    std::optional<double> mae;
    std::optional<double> rmse;
    std::optional<double> r2;
    std::optional<double> accuracy;
    std::optional<double> logLoss;
    std::optional<double> brier;

    std::optional<double> of(const QString &metric) const; // by metric key: "mae", "accuracy", "log_loss"
};
HoldoutMetrics holdoutMetrics(const QJsonObject &metrics, const QString &which);

// The key of the metric a run decided on ("mae", "accuracy", "log_loss"); "mae" for runs that predate
// classifiers. A run of a classifier records its classes too.
QString decisionMetric(const QJsonObject &metrics);
bool isClassifierRun(const QJsonObject &metrics);
QString metricName(const QString &metric);                               // "MAE", "accuracy", "log-loss"
QString metricValue(const QString &metric, std::optional<double> value); // accuracy as a percentage

// "60 d · 10 epochs · lr 0.0005 · batch 256" from a run's params JSON.
QString paramsSummary(const QJsonObject &params);
QString duration(std::optional<double> seconds); // "1 min 05 s", "no data" when unknown
QString stateText(const QString &state);         // translated run state
QString decisionText(const QString &decision);
QString number(std::optional<double> v, int digits = 3); // "no data" when unknown

// The large bold, selectable outcome line of the Run and Decision steps.
QLabel *resultLabel(const QString &objectName, QWidget *parent);

} // namespace mldeck::ui::retrainfmt

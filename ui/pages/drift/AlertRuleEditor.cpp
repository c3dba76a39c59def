#include "ui/pages/drift/AlertRuleEditor.h"

#include "core/services/AlertsService.h"

#include <QComboBox>
#include <QLineEdit>
#include <QLocale>
#include <QSignalBlocker>

#include <algorithm>

namespace mldeck::ui {

namespace {

const QString kId = QStringLiteral("id");
const QString kMetric = QStringLiteral("metric");
const QString kComparison = QStringLiteral("comparison");
const QString kThreshold = QStringLiteral("threshold");
const QString kWindow = QStringLiteral("window_seconds");
const QString kPending = QStringLiteral("for_seconds");
const QString kResolve = QStringLiteral("resolve_threshold");
const QString kKeepFiring = QStringLiteral("keep_firing_seconds");
const QString kSeverity = QStringLiteral("severity");
const QString kEnabled = QStringLiteral("enabled");
const QString kReason = QStringLiteral("reason");
// Seconds as the rule's int; beyond a day either way is refused anyway, so the bound changes no verdict.
int boundedSeconds(qint64 v)
{
    return int(std::clamp<qint64>(v, -1'000'000'000, 1'000'000'000));
}

// The form's values of a rule (keys as AlertRule::toJson(), plus an empty reason).
SettingsEditor::Values valuesOf(const AlertRule &r)
{
    return {{kId, r.id},
            {kMetric, AlertRule::metricName(r.metric)},
            {kComparison, AlertRule::comparisonName(r.comparison)},
            {kThreshold, r.threshold},
            {kWindow, qlonglong(r.windowSeconds)},
            {kPending, qlonglong(r.pendingSeconds)},
            {kResolve, r.resolveThreshold ? QVariant(*r.resolveThreshold) : QVariant()},
            {kKeepFiring, qlonglong(r.keepFiringSeconds)},
            {kSeverity, r.severity},
            {kEnabled, r.enabled},
            {kReason, QString()}};
}

} // namespace

AlertRuleEditor::AlertRuleEditor(AlertsService *service, std::optional<AlertRule> existing, QStringList takenIds,
                                 bool classifier, QWidget *parent)
    : SettingsEditor(SettingsArea::AlertRules, tr("Alert rule"), parent), m_service(service),
      m_existing(std::move(existing)), m_taken(std::move(takenIds)), m_classifier(classifier)
{
    setObjectName(QStringLiteral("alertRuleEditor"));
    const auto check = [this](AlertRule::Field field, auto set) {
        return [this, field, set](auto v) {
            AlertRule r = ruleOf(values());
            set(r, v);
            return problemIn(field, r);
        };
    };
    auto *id = static_cast<QLineEdit *>(
        addText(kId, tr("Rule id"), check(AlertRule::Field::Id, [](AlertRule &r, const QString &v) { r.id = v; }),
                tr("e.g. failure_rate_fast")));
    id->setReadOnly(m_existing.has_value()); // the rule's key: another id is another rule

    Choices metrics;
    const QMap<AlertRule::Metric, QString> names{
        {AlertRule::Metric::FailureRate, tr("Failure rate (share of failed predictions, all paths)")},
        {AlertRule::Metric::LatencyP95Ms, tr("Latency p95 of the ML path (ms)")},
        {AlertRule::Metric::Mae, tr("MAE of the ML path")},
        {AlertRule::Metric::R2, tr("R² of the ML path")},
        {AlertRule::Metric::EstimatedMae, tr("Estimated MAE of the ML path (nanny model, before outcomes)")},
        {AlertRule::Metric::Accuracy, tr("Accuracy of the ML path (share of labelled predictions right)")},
        {AlertRule::Metric::F1, tr("F1 of the ML path (binary: positive class; else macro)")},
        {AlertRule::Metric::LogLoss, tr("Log-loss of the ML path")},
        {AlertRule::Metric::Ece, tr("Expected calibration error of the ML path")},
        {AlertRule::Metric::EstimatedAccuracy, tr("Estimated accuracy of the ML path (before labels)")},
        {AlertRule::Metric::NoData, tr("No data (predictions in the window)")},
        {AlertRule::Metric::DependencyFallback, tr("A backend dependency in fallback (minutes)")}};
    // Only the metrics of the deployment's task; an existing rule keeps its metric.
    for (AlertRule::Metric m : AlertRule::metricsFor(m_classifier))
        if (!m_existing || m_existing->metric == m)
            metrics.append({names.value(m), AlertRule::metricName(m)});
    if (m_existing && !AlertRule::metricsFor(m_classifier).contains(m_existing->metric))
        metrics.append({names.value(m_existing->metric), AlertRule::metricName(m_existing->metric)});
    auto *metric = static_cast<QComboBox *>(addChoice(kMetric, tr("Metric"), metrics));
    addChoice(
        kComparison, tr("Fires when the figure is"),
        {{tr("above the threshold (>)"), QStringLiteral(">")}, {tr("below the threshold (<)"), QStringLiteral("<")}});
    addReal(kThreshold, tr("Threshold"),
            check(AlertRule::Field::Threshold, [](AlertRule &r, double v) { r.threshold = v; }));
    addNote(m_classifier
                ? tr("Failure rate, accuracy, F1, ECE: shares (0.9 = 90 %). Latency: milliseconds. An estimated "
                     "accuracy the calibration check does not trust is no value. No data: fires when the window "
                     "holds at most this many predictions. Dependency fallback: minutes in fallback.")
                : tr("Failure rate: a share (0.2 = 20 %). Latency: milliseconds. No data: fires when the window "
                     "holds at most this many predictions. Dependency fallback: minutes in fallback (the window "
                     "is unused)."));
    addInteger(kWindow, tr("Window"),
               check(AlertRule::Field::Window, [](AlertRule &r, qint64 v) { r.windowSeconds = boundedSeconds(v); }),
               tr("seconds"));
    addInteger(kPending, tr("Pending period (for)"),
               check(AlertRule::Field::Pending, [](AlertRule &r, qint64 v) { r.pendingSeconds = boundedSeconds(v); }),
               tr("seconds"));
    // Hysteresis: checked against the threshold above (AlertRule::problems), refreshed on every edit.
    addReal(kResolve, tr("Resolve threshold"),
            check(AlertRule::Field::ResolveThreshold, [](AlertRule &r, double v) { r.resolveThreshold = v; }), {},
            true);
    addInteger(
        kKeepFiring, tr("Keep firing for"),
        check(AlertRule::Field::KeepFiring, [](AlertRule &r, qint64 v) { r.keepFiringSeconds = boundedSeconds(v); }),
        tr("seconds"));
    addNote(tr("A firing rule resolves only once the figure has been past the resolve threshold (empty: the "
               "threshold itself) at every evaluation for the keep-firing time; in between it keeps firing, so a "
               "figure hovering near the threshold does not fire and resolve over and over. An evaluation without "
               "a figure (no outcomes yet, say) starts the keep-firing time again."));
    addChoice(kSeverity, tr("Severity"),
              {{tr("Info"), QStringLiteral("info")},
               {tr("Warning"), QStringLiteral("warning")},
               {tr("Critical"), QStringLiteral("critical")}});
    addBool(kEnabled, tr("Enabled (a disabled rule's firing alert resolves)"));
    addText(kReason, tr("Reason"), {}, tr("optional, kept in the audit log"));

    if (!m_existing)
        connect(metric, &QComboBox::currentIndexChanged, this, &AlertRuleEditor::applyMetricDefaults);
    connect(m_service, &AlertsService::ruleChanged, this, [this](const Result<QString> &message) {
        if (!m_awaitingSave)
            return;
        m_awaitingSave = false;
        if (message)
            setSaved(values(), *message);
        else
            setSaveFailed(message.errorMessage());
    });
}

AlertRuleEditor::~AlertRuleEditor() = default;

// Unchecked on purpose: the form shows each problem next to its field rather than refusing the whole.
AlertRule AlertRuleEditor::ruleOf(const Values &values) const
{
    AlertRule r = AlertRule::defaultFor(
        AlertRule::metricFromName(values.value(kMetric).toString()).value_or(AlertRule::Metric::FailureRate));
    r.id = values.value(kId).toString();
    r.comparison = AlertRule::comparisonFromName(values.value(kComparison).toString()).value_or(r.comparison);
    if (values.value(kThreshold).isValid())
        r.threshold = values.value(kThreshold).toDouble();
    if (values.value(kWindow).isValid())
        r.windowSeconds = boundedSeconds(values.value(kWindow).toLongLong());
    if (values.value(kPending).isValid())
        r.pendingSeconds = boundedSeconds(values.value(kPending).toLongLong());
    if (values.value(kResolve).isValid())
        r.resolveThreshold = values.value(kResolve).toDouble();
    if (values.value(kKeepFiring).isValid())
        r.keepFiringSeconds = boundedSeconds(values.value(kKeepFiring).toLongLong());
    r.severity = values.value(kSeverity).toString();
    r.enabled = values.value(kEnabled).toBool();
    return r;
}

QString AlertRuleEditor::problemIn(AlertRule::Field field, const AlertRule &rule) const
{
    if (field == AlertRule::Field::Id && !m_existing) {
        if (rule.id.isEmpty())
            return tr("A new rule needs an id: lower-case letters, digits, '_', '.' or '-'.");
        if (m_taken.contains(rule.id))
            return tr("This deployment already has a rule \"%1\": edit that one, or choose another id.").arg(rule.id);
    }
    for (const AlertRule::Problem &p : rule.problems())
        if (p.field == field)
            return p.message;
    return {};
}

// A new rule starts from the chosen metric's defaults (its comparison, threshold, window, period, severity).
void AlertRuleEditor::applyMetricDefaults()
{
    const auto metric = AlertRule::metricFromName(value(kMetric).toString());
    if (!metric)
        return;
    const AlertRule d = AlertRule::defaultFor(*metric);
    auto setText = [this](const QString &key, const QString &text) {
        auto *edit = static_cast<QLineEdit *>(fieldWidget(key));
        const QSignalBlocker block(edit);
        edit->setText(text);
    };
    auto setChoice = [this](const QString &key, const QString &choice) {
        auto *combo = static_cast<QComboBox *>(fieldWidget(key));
        const QSignalBlocker block(combo);
        combo->setCurrentIndex(qMax(0, combo->findData(choice)));
    };
    setChoice(kComparison, AlertRule::comparisonName(d.comparison));
    setText(kThreshold, QLocale().toString(d.threshold, 'g', 12));
    setText(kWindow, QLocale().toString(qlonglong(d.windowSeconds)));
    setText(kPending, QLocale().toString(qlonglong(d.pendingSeconds)));
    setText(kResolve, QString()); // another metric's scale: the old resolve threshold means nothing there
    setText(kKeepFiring, QLocale().toString(qlonglong(d.keepFiringSeconds)));
    setChoice(kSeverity, d.severity);
    fieldEdited();
}

void AlertRuleEditor::applyEndpoint(const std::optional<PgEndpoint> &)
{
    // The page's AlertsService already works on the page's server.
}

// The rule as the Rules view showed it (a new one: the first metric's defaults, no id yet).
void AlertRuleEditor::load(const QString &deployment)
{
    AlertRule start = m_existing.value_or(AlertRule::defaultFor(AlertRule::metricsFor(m_classifier).first()));
    if (!m_existing)
        start.id.clear();
    setLoaded(deployment, valuesOf(start));
}

void AlertRuleEditor::save(const QString &deployment, const Values &values)
{
    const AlertRule rule = ruleOf(values);
    if (Status s = rule.validate(); !s) { // the fields said so already; never write a refused rule
        setSaveFailed(s.errorMessage());
        return;
    }
    m_awaitingSave = true;
    m_service->saveRule(deployment, rule, values.value(kReason).toString());
}

} // namespace mldeck::ui

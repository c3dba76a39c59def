#include "ui/settings/GuardRulesEditor.h"

#include "core/rollout/GuardStateMachine.h"
#include "core/services/SettingsService.h"

namespace mldeck::ui {

namespace {

const QString kEnabled = QStringLiteral("enabled");
const QString kErrorRate = QStringLiteral("rollback_error_rate");
const QString kLatency = QStringLiteral("max_latency_p95_ms");
const QString kMae = QStringLiteral("max_mae");
const QString kWindow = QStringLiteral("window_seconds");
const QString kMinSamples = QStringLiteral("min_samples");
const QString kBreaches = QStringLiteral("consecutive_breaches");
const QString kInterval = QStringLiteral("interval_seconds");
const QString kRollbackAccuracy = QStringLiteral("rollback_accuracy");
const QString kMinAccuracy = QStringLiteral("min_accuracy");
const QString kLogLoss = QStringLiteral("max_log_loss");
const QString kRollbackCombine = QStringLiteral("rollback_combination");
const QString kHalveCombine = QStringLiteral("halve_combination");
const QString kAdvisory = QStringLiteral("advisory");

// Each condition's hysteresis fields: "resolve_<condition>" and "keep_firing_<condition>".
QString resolveKey(const QString &condition)
{
    return QStringLiteral("resolve_") + condition;
}
QString keepKey(const QString &condition)
{
    return QStringLiteral("keep_firing_") + condition;
}

QStringList allConditions()
{
    return GuardRules::rollbackConditions() + GuardRules::halveConditions();
}

// The fields that apply to one task only (the rest apply to both).
QStringList classifierOnly()
{
    QStringList keys{kRollbackAccuracy, kMinAccuracy, kLogLoss};
    for (const QString &c : {kRollbackAccuracy, kMinAccuracy, kLogLoss})
        keys << resolveKey(c) << keepKey(c);
    return keys;
}
QStringList regressionOnly()
{
    return {kMae, resolveKey(kMae), keepKey(kMae)};
}

QStringList advisoryList(const QString &text)
{
    QStringList out;
    for (const QString &part : text.split(QLatin1Char(','), Qt::SkipEmptyParts))
        out << part.trimmed();
    return out;
}

} // namespace

GuardRulesEditor::GuardRulesEditor(QWidget *parent)
    : SettingsEditor(SettingsArea::GuardRules, tr("Guard rules"), parent), m_service(new SettingsService(this))
{
    const auto positive = [](double v) { return v > 0 ? QString() : tr("Must be above 0."); };
    const auto between = [](qint64 lo, qint64 hi) {
        return [lo, hi](qint64 v) {
            return v >= lo && v <= hi ? QString() : tr("Must be from %1 to %2.").arg(lo).arg(hi);
        };
    };

    addBool(kEnabled, tr("The guard acts on this deployment (off: it only watches)"));
    addSection(tr("Thresholds"));
    addReal(
        kErrorRate, tr("Error rate that turns ML off"),
        [](double v) { return v > 0 && v <= 1 ? QString() : tr("Must be a share above 0 and at most 1."); },
        tr("share, 0 to 1"));
    addReal(kLatency, tr("Latency p95 that halves traffic"), positive, tr("ms"));
    addReal(kMae, tr("MAE that halves traffic"), positive, tr("minutes"));
    const auto share = [](double v) { return v >= 0 && v <= 1 ? QString() : tr("Must be a share from 0 to 1."); };
    addReal(kRollbackAccuracy, tr("Classifier: accuracy that turns ML off"), share, tr("share, 0 to 1"));
    addReal(kMinAccuracy, tr("Classifier: accuracy that halves traffic"), share, tr("share, 0 to 1"));
    addReal(kLogLoss, tr("Classifier: log-loss that halves traffic"), positive);
    addNote(tr("Above the error rate the guard turns ML off (0 %); above the latency or the MAE it halves the "
               "ML percentage. After acting it waits for a person to re-arm it."));
    addSection(tr("When it acts"));
    addInteger(kWindow, tr("Window"), between(10, 86400), tr("seconds"));
    addInteger(
        kMinSamples, tr("Minimum samples"), [](qint64 v) { return v >= 1 ? QString() : tr("Must be at least 1."); },
        tr("predictions"));
    addInteger(kBreaches, tr("Consecutive breaches before acting"), between(1, 100));
    addInteger(kInterval, tr("Evaluation interval"), between(1, 3600), tr("seconds"));
    addNote(tr("Breaches count as consecutive only when evaluations are at most three intervals apart."));

    addSection(tr("How conditions combine"));
    const auto combination = [](const QString &text) {
        const auto parsed = GateCombination::parseMode(text);
        return parsed ? QString() : parsed.errorMessage();
    };
    addText(kRollbackCombine, tr("ML off when"), combination, tr("any, all or at-least-N"));
    addText(kHalveCombine, tr("Traffic halved when"), combination, tr("any, all or at-least-N"));
    addText(
        kAdvisory, tr("Advisory conditions (reported, never acted on)"),
        [](const QString &text) {
            for (const QString &name : advisoryList(text))
                if (!allConditions().contains(name))
                    return tr("\"%1\" is not a condition: %2.").arg(name, allConditions().join(QStringLiteral(", ")));
            return QString();
        },
        tr("e.g. max_latency_p95_ms"));
    addNote(tr("Conditions that turn ML off: rollback_error_rate, rollback_accuracy; that halve traffic: "
               "max_latency_p95_ms, max_mae, min_accuracy, max_log_loss. \"any\" acts on one breaching condition."));

    addSection(tr("Hysteresis"));
    const auto keepFiring = [](qint64 v) {
        return v >= 0 && v <= Hysteresis::maxKeepFiringSeconds ? QString() : tr("Must be from 0 to 86400.");
    };
    const QList<std::pair<QString, QString>> conditionLabels{{kErrorRate, tr("Error rate")},
                                                             {kRollbackAccuracy, tr("Classifier: accuracy (ML off)")},
                                                             {kLatency, tr("Latency p95")},
                                                             {kMae, tr("MAE")},
                                                             {kMinAccuracy, tr("Classifier: accuracy (halved)")},
                                                             {kLogLoss, tr("Classifier: log-loss")}};
    for (const auto &[condition, label] : conditionLabels) {
        addReal(
            resolveKey(condition), tr("%1: resolves past").arg(label), [](double) { return QString(); }, {}, true);
        addInteger(keepKey(condition), tr("%1: keeps firing for").arg(label), keepFiring, tr("seconds"));
    }
    addNote(tr("Once breached, a condition keeps counting until its value has been past its resolve threshold (on "
               "the safe side of the firing one) for the keep-firing time."));

    // A classifier's accuracy and log-loss stand in for the MAE once enough of the window is labelled.
    showClassifierFields(false);
    connect(m_service, &SettingsService::classifierLoaded, this,
            [this](const QString &deployment, const Result<bool> &classifier) {
                if (deployment != this->deployment())
                    return;
                m_classifier = classifier ? std::optional<bool>(*classifier) : std::nullopt;
                showClassifierFields(classifier && *classifier);
            });
    connect(m_service, &SettingsService::guardRulesLoaded, this,
            [this](const QString &deployment, const Result<GuardRules> &r) {
                if (r)
                    setLoaded(deployment, toValues(*r));
                else
                    setLoadFailed(deployment, r.errorMessage());
            });
    connect(m_service, &SettingsService::guardRulesSaved, this, [this](const Result<GuardRules> &r) {
        if (r)
            setSaved(toValues(*r), tr("Saved. The guard applies the rules from its next round."));
        else
            setSaveFailed(r.errorMessage());
    });
}

GuardRulesEditor::~GuardRulesEditor() = default;

SettingsEditor::Values GuardRulesEditor::toValues(const GuardRules &r)
{
    Values v{{kEnabled, r.enabled},
             {kErrorRate, r.rollbackErrorRate},
             {kLatency, r.maxLatencyP95Ms},
             {kMae, r.maxMae},
             {kRollbackAccuracy, r.rollbackAccuracy},
             {kMinAccuracy, r.minAccuracy},
             {kLogLoss, r.maxLogLoss},
             {kWindow, qlonglong(r.windowSeconds)},
             {kMinSamples, qlonglong(r.minSamples)},
             {kBreaches, qlonglong(r.consecutiveBreaches)},
             {kInterval, qlonglong(r.intervalSeconds)},
             {kRollbackCombine, r.rollbackCombination.modeText()},
             {kHalveCombine, r.halveCombination.modeText()},
             {kAdvisory, (r.rollbackCombination.advisory + r.halveCombination.advisory).join(QStringLiteral(", "))}};
    for (const QString &condition : allConditions()) {
        const GuardRules::ConditionHysteresis h = r.hysteresis.value(condition);
        v.insert(resolveKey(condition), h.resolveThreshold ? QVariant(*h.resolveThreshold) : QVariant());
        v.insert(keepKey(condition), qlonglong(h.keepFiringSeconds));
    }
    return v;
}

GuardRules GuardRulesEditor::fromValues(const Values &v)
{
    GuardRules r;
    r.enabled = v.value(kEnabled).toBool();
    r.rollbackErrorRate = v.value(kErrorRate).toDouble();
    r.maxLatencyP95Ms = v.value(kLatency).toDouble();
    r.maxMae = v.value(kMae).toDouble();
    r.rollbackAccuracy = v.value(kRollbackAccuracy).toDouble();
    r.minAccuracy = v.value(kMinAccuracy).toDouble();
    r.maxLogLoss = v.value(kLogLoss).toDouble();
    r.windowSeconds = int(v.value(kWindow).toLongLong());
    r.minSamples = v.value(kMinSamples).toLongLong();
    r.consecutiveBreaches = int(v.value(kBreaches).toLongLong());
    r.intervalSeconds = int(v.value(kInterval).toLongLong());
    // Unparsable modes are refused by their fields before the form is read; "any" stands in meanwhile.
    if (const auto rollback = GateCombination::parseMode(v.value(kRollbackCombine).toString()))
        r.rollbackCombination = *rollback;
    if (const auto halve = GateCombination::parseMode(v.value(kHalveCombine).toString()))
        r.halveCombination = *halve;
    for (const QString &name : advisoryList(v.value(kAdvisory).toString())) {
        if (GuardRules::rollbackConditions().contains(name))
            r.rollbackCombination.advisory << name;
        else
            r.halveCombination.advisory << name;
    }
    for (const QString &condition : allConditions()) {
        GuardRules::ConditionHysteresis h;
        if (!v.value(resolveKey(condition)).isNull())
            h.resolveThreshold = v.value(resolveKey(condition)).toDouble();
        h.keepFiringSeconds = int(v.value(keepKey(condition)).toLongLong());
        if (h.resolveThreshold || h.keepFiringSeconds > 0)
            r.hysteresis.insert(condition, h);
    }
    return r;
}

// The fields' checks are the table's; this is the store's own check of the whole, as a last word
// (the base asks it only once every field is acceptable).
QString GuardRulesEditor::checkForm(const Values &values) const
{
    return fromValues(values).validate(m_classifier);
}

void GuardRulesEditor::applyEndpoint(const std::optional<PgEndpoint> &pg)
{
    m_service->setEndpoint(pg);
}

void GuardRulesEditor::load(const QString &deployment)
{
    showClassifierFields(false);
    m_classifier.reset();
    m_service->loadClassifier(deployment);
    m_service->loadGuardRules(deployment);
}

// The MAE rows for a regression deployment, the classifier's rows for a classifier.
void GuardRulesEditor::showClassifierFields(bool shown)
{
    for (const QString &key : regressionOnly())
        setRowVisible(fieldWidget(key), !shown);
    for (const QString &key : classifierOnly())
        setRowVisible(fieldWidget(key), shown);
}

void GuardRulesEditor::save(const QString &deployment, const Values &values)
{
    m_service->saveGuardRules(deployment, fromValues(values));
}

} // namespace mldeck::ui

#include "ui/settings/DriftSettingsEditor.h"

#include "core/services/DriftService.h"
#include "core/services/ImageDrift.h"
#include "core/stats/drift/DriftConfig.h"
#include "ui/settings/DriftFeatureTable.h"
#include "ui/settings/DriftReferenceChooser.h"

#include <QCheckBox>
#include <QJsonArray>

namespace mldeck::ui {

namespace {

// The reason DriftConfig::fromJson refuses `value` for `key`, empty when it accepts it: the editor
// checks each field exactly as the guard reads it.
QString checkKey(const QString &key, const QJsonValue &value)
{
    const auto c = drift::DriftConfig::fromJson(QJsonObject{{key, value}});
    return c ? QString() : c.errorMessage();
}

// 600 -> "10m": durations are shown the way people type them.
QString durationText(const QJsonValue &v, qint64 fallback)
{
    if (v.isString())
        return v.toString();
    const qint64 s = v.isDouble() ? qint64(v.toDouble()) : fallback;
    for (const auto &[unit, len] : {std::pair{"d", 86400}, std::pair{"h", 3600}, std::pair{"m", 60}})
        if (s > 0 && s % len == 0)
            return QString::number(s / len) + QLatin1String(unit);
    return QString::number(s) + QLatin1Char('s');
}

const QString kFeatures = QStringLiteral("features");

} // namespace

DriftSettingsEditor::DriftSettingsEditor(QWidget *parent)
    : SettingsEditor(SettingsArea::DriftSettings, tr("Drift"), parent), m_service(new DriftService(this)),
      m_reference(new DriftReferenceChooser), m_features(new DriftFeatureTable)
{
    auto text = [](const QString &key) { return [key](const QString &t) { return checkKey(key, t.trimmed()); }; };
    auto integer = [](const QString &key) { return [key](qint64 v) { return checkKey(key, double(v)); }; };
    auto real = [](const QString &key) { return [key](double v) { return checkKey(key, v); }; };

    addSection(tr("Windows"));
    addText(QStringLiteral("window"), tr("Current window"), text(QStringLiteral("window")), tr("e.g. 10m"));
    addText(QStringLiteral("interval"), tr("Check interval"), text(QStringLiteral("interval")), tr("e.g. 1m"));
    addInteger(QStringLiteral("k"), tr("Persistence (windows in a row)"), integer(QStringLiteral("k")));
    addInteger(QStringLiteral("min_samples"), tr("Minimum samples per side"), integer(QStringLiteral("min_samples")),
               tr(" rows"));
    // An image deployment only: its drift features are statistics of a sample of its images on each side.
    m_imageSample = addInteger(QStringLiteral("image_sample"), tr("Images sampled per side"),
                               integer(QStringLiteral("image_sample")), tr(" images"));
    setRowVisible(m_imageSample, false);
    connect(this, &SettingsEditor::loaded, this, [this] { setRowVisible(m_imageSample, m_image); });
    addNote(tr("An alert fires after that many drifting windows in a row and resolves after as many clean ones."));

    addSection(tr("Thresholds"));
    addReal(QStringLiteral("p_value"), tr("p-value (KS, chi-square, z-test)"), real(QStringLiteral("p_value")));
    addReal(QStringLiteral("distance"), tr("Distance (Wasserstein, JS, PSI)"), real(QStringLiteral("distance")));
    addReal(QStringLiteral("dataset_share"), tr("Dataset share"), real(QStringLiteral("dataset_share")));

    addSection(tr("Multivariate drift"));
    auto *multivariate =
        qobject_cast<QCheckBox *>(addBool(QStringLiteral("multivariate"), tr("PCA reconstruction error")));
    QWidget *variance =
        addReal(QStringLiteral("pca_variance"), tr("Share of variance kept"), real(QStringLiteral("pca_variance")));
    QWidget *chunk = addInteger(QStringLiteral("pca_chunk_rows"), tr("Reference chunk size"),
                                integer(QStringLiteral("pca_chunk_rows")), tr(" rows"));
    addNote(tr("A PCA of the standardised reference features; a window drifts when its mean reconstruction error "
               "leaves the band of the reference chunks' mean ± 3 standard deviations, narrowed to the window's row "
               "count. Chunk size 0: the window's rows, at most a tenth of the reference, at least the minimum "
               "samples."));
    // The PCA fields apply only while the line is on (a load or a revert sets the box without a signal).
    auto showPca = [this, multivariate, variance, chunk] {
        setRowVisible(variance, multivariate->isChecked());
        setRowVisible(chunk, multivariate->isChecked());
    };
    showPca();
    connect(multivariate, &QCheckBox::toggled, this, showPca);
    connect(this, &SettingsEditor::loaded, this, showPca);
    connect(this, &SettingsEditor::saved, this, showPca);
    connect(this, &SettingsEditor::dirtyChanged, this, showPca);

    addSection(tr("Reference"));
    addCustom(
        QStringLiteral("reference"), tr("Compare with"), m_reference, [this] { return QVariant(m_reference->spec()); },
        [this](const QVariant &v) { m_reference->setSpec(v.toString()); },
        [](const QVariant &v) { return checkKey(QStringLiteral("reference"), v.toString()); });
    connect(m_reference, &DriftReferenceChooser::edited, this, &DriftSettingsEditor::fieldEdited);

    addSection(tr("Features"));
    addCustom(
        kFeatures, tr("Per feature"), m_features, [this] { return QVariant(m_features->settings().toVariantMap()); },
        [this](const QVariant &v) { m_features->setSettings(QJsonObject::fromVariantMap(v.toMap())); },
        [](const QVariant &v) {
            const auto c = drift::DriftConfig::fromJson(QJsonObject::fromVariantMap(v.toMap()));
            return c ? QString() : c.errorMessage();
        });
    connect(m_features, &DriftFeatureTable::edited, this, &DriftSettingsEditor::fieldEdited);

    connect(m_service, &DriftService::settingsLoaded, this, [this](const Result<DriftSettingsView> &view) {
        if (view)
            setLoaded(view->deployment, valuesOf(*view));
        else
            setLoadFailed(deployment(), view.errorMessage());
    });
    connect(m_service, &DriftService::settingsSaved, this, [this](const Result<DriftSettingsView> &view) {
        if (view)
            setSaved(valuesOf(*view));
        else
            setSaveFailed(view.errorMessage());
    });
}

DriftSettingsEditor::~DriftSettingsEditor() = default;

void DriftSettingsEditor::applyEndpoint(const std::optional<PgEndpoint> &pg)
{
    m_service->setEndpoint(pg);
}

void DriftSettingsEditor::load(const QString &deployment)
{
    m_service->loadSettings(deployment);
}

void DriftSettingsEditor::save(const QString &deployment, const Values &values)
{
    m_service->saveSettings(deployment, settingsOf(values));
}

SettingsEditor::Values DriftSettingsEditor::valuesOf(const DriftSettingsView &view)
{
    m_stored = view.settings;
    m_image = view.image;
    // An image deployment has no feature schema: its drift features are the image statistics.
    FeatureSchema features = view.schema;
    if (view.image) {
        features.features.clear();
        for (const QString &name : imageDriftFeatures())
            features.features.push_back({name, FeatureSpec::Kind::Numeric, {}});
    }
    m_features->setFeatures(features);
    m_reference->setSnapshots(view.reference.snapshots);
    // The custom fields' values as their widgets give them back, so that a loaded form is not "changed".
    m_reference->setSpec(view.reference.spec.toString());
    m_features->setSettings(view.settings);
    const drift::DriftConfig defaults;
    const QJsonObject &s = view.settings;
    auto number = [&](const char *key, double fallback) { return s.value(QLatin1String(key)).toDouble(fallback); };
    return {{QStringLiteral("window"), durationText(s.value(QStringLiteral("window")), defaults.windowSeconds)},
            {QStringLiteral("interval"), durationText(s.value(QStringLiteral("interval")), defaults.intervalSeconds)},
            {QStringLiteral("k"), qlonglong(number("k", defaults.consecutiveWindows))},
            {QStringLiteral("min_samples"), qlonglong(number("min_samples", double(defaults.options.minSamples)))},
            {QStringLiteral("p_value"), number("p_value", defaults.options.pValueThreshold)},
            {QStringLiteral("distance"), number("distance", defaults.options.distanceThreshold)},
            {QStringLiteral("dataset_share"), number("dataset_share", defaults.options.datasetShare)},
            {QStringLiteral("multivariate"), s.value(QStringLiteral("multivariate")).toBool(defaults.multivariate)},
            {QStringLiteral("pca_variance"), number("pca_variance", defaults.pca.varianceShare)},
            {QStringLiteral("pca_chunk_rows"), qlonglong(number("pca_chunk_rows", double(defaults.pca.chunkRows)))},
            {QStringLiteral("image_sample"), qlonglong(number("image_sample", double(defaults.imageSample)))},
            {QStringLiteral("reference"), m_reference->spec()},
            {kFeatures, m_features->settings().toVariantMap()}};
}

QJsonObject DriftSettingsEditor::settingsOf(const Values &values) const
{
    QJsonObject out = m_stored;
    for (const char *key : {"window", "interval", "reference"})
        out.insert(QLatin1String(key), values.value(QLatin1String(key)).toString().trimmed());
    for (const char *key : {"k", "min_samples", "pca_chunk_rows"})
        out.insert(QLatin1String(key), values.value(QLatin1String(key)).toLongLong());
    if (m_image)
        out.insert(QStringLiteral("image_sample"), values.value(QStringLiteral("image_sample")).toLongLong());
    for (const char *key : {"p_value", "distance", "dataset_share", "pca_variance"})
        out.insert(QLatin1String(key), values.value(QLatin1String(key)).toDouble());
    out.insert(QStringLiteral("multivariate"), values.value(QStringLiteral("multivariate")).toBool());
    const QJsonObject features = QJsonObject::fromVariantMap(values.value(kFeatures).toMap());
    for (auto it = features.begin(); it != features.end(); ++it)
        out.insert(it.key(), it.value());
    return out;
}

} // namespace mldeck::ui

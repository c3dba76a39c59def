#include "ui/settings/DriftFeatureTable.h"

#include "core/services/DriftCheck.h"
#include "core/stats/drift/DriftEngine.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHeaderView>
#include <QJsonArray>
#include <QLineEdit>
#include <QLocale>
#include <QScrollBar>

#include <algorithm>

namespace mldeck::ui {

namespace {

constexpr drift::TestKind kTests[] = {drift::TestKind::Auto,          drift::TestKind::KolmogorovSmirnov,
                                      drift::TestKind::Wasserstein,   drift::TestKind::Psi,
                                      drift::TestKind::JensenShannon, drift::TestKind::ChiSquare,
                                      drift::TestKind::ZTest};

} // namespace

DriftFeatureTable::DriftFeatureTable(QWidget *parent) : QTableWidget(0, ColumnCount, parent)
{
    setObjectName(QStringLiteral("driftFeatures"));
    setHorizontalHeaderLabels({tr("Watched feature"), tr("Test"), tr("Threshold")});
    horizontalHeader()->setSectionResizeMode(Feature, QHeaderView::Stretch);
    horizontalHeader()->setSectionResizeMode(Test, QHeaderView::ResizeToContents);
    horizontalHeader()->setSectionResizeMode(Threshold, QHeaderView::ResizeToContents);
    verticalHeader()->hide();
    setSelectionMode(QAbstractItemView::NoSelection);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
    setMinimumWidth(fontMetrics().horizontalAdvance(QLatin1Char('0')) * 48);
    fitHeight();
}

void DriftFeatureTable::fitHeight()
{
    // Every row shown up to a dozen, then a scroll bar.
    const int rows = std::clamp(rowCount(), 1, 12);
    const int perRow = rowCount() > 0 ? rowHeight(0) : verticalHeader()->defaultSectionSize();
    setFixedHeight(horizontalHeader()->sizeHint().height() + rows * perRow + 2 * frameWidth());
}

void DriftFeatureTable::setFeatures(const FeatureSchema &schema)
{
    m_features.clear();
    setRowCount(0);
    // Each column's widest cell or header: the table asks for their sum, so that the stretched feature column
    // never cuts a name ("luminosité des images").
    int widths[ColumnCount];
    for (int c = 0; c < ColumnCount; ++c)
        widths[c] = horizontalHeader()->sectionSizeHint(c);
    for (const FeatureSpec &f : schema.features) {
        const int row = rowCount();
        insertRow(row);
        m_features << f.name;
        auto *watched = new QCheckBox(driftFeatureLabel(f.name)); // "image brightness" for __image_brightness__
        watched->setObjectName(QStringLiteral("watch_") + f.name);
        auto *test = new QComboBox;
        test->setObjectName(QStringLiteral("test_") + f.name);
        for (drift::TestKind t : kTests)
            test->addItem(t == drift::TestKind::Auto ? tr("automatic") : drift::testKey(t), drift::testKey(t));
        auto *threshold = new QLineEdit;
        threshold->setObjectName(QStringLiteral("threshold_") + f.name);
        threshold->setPlaceholderText(tr("default"));
        setCellWidget(row, Feature, watched);
        setCellWidget(row, Test, test);
        setCellWidget(row, Threshold, threshold);
        widths[Feature] = std::max(widths[Feature], watched->sizeHint().width());
        widths[Test] = std::max(widths[Test], test->sizeHint().width());
        widths[Threshold] = std::max(widths[Threshold], threshold->sizeHint().width());
        connect(watched, &QCheckBox::toggled, this, &DriftFeatureTable::edited);
        connect(test, &QComboBox::activated, this, &DriftFeatureTable::edited);
        connect(threshold, &QLineEdit::textEdited, this, &DriftFeatureTable::edited);
    }
    resizeRowsToContents();
    fitHeight();
    const int needed = widths[Feature] + widths[Test] + widths[Threshold] + (showGrid() ? int(ColumnCount) : 0) +
                       2 * frameWidth() + (rowCount() > 12 ? verticalScrollBar()->sizeHint().width() : 0);
    setMinimumWidth(std::max(fontMetrics().horizontalAdvance(QLatin1Char('0')) * 48, needed));
}

void DriftFeatureTable::setSettings(const QJsonObject &settings)
{
    QStringList ignore;
    for (const QJsonValue &v : settings.value(QStringLiteral("ignore")).toArray())
        ignore << v.toString();
    const QJsonObject tests = settings.value(QStringLiteral("tests")).toObject();
    const QJsonObject thresholds = settings.value(QStringLiteral("thresholds")).toObject();
    for (int row = 0; row < rowCount(); ++row) {
        const QString &name = m_features.at(row);
        auto *watched = static_cast<QCheckBox *>(cellWidget(row, Feature));
        auto *test = static_cast<QComboBox *>(cellWidget(row, Test));
        auto *threshold = static_cast<QLineEdit *>(cellWidget(row, Threshold));
        const QSignalBlocker b1(watched), b2(test);
        watched->setChecked(!ignore.contains(name));
        const int index = test->findData(tests.value(name).toString(QStringLiteral("auto")));
        test->setCurrentIndex(index < 0 ? 0 : index);
        threshold->setText(thresholds.contains(name) ? QString::number(thresholds.value(name).toDouble(), 'g', 6)
                                                     : QString());
    }
    // What the schema does not list stays as stored.
    QJsonArray ignoreRest;
    for (const QString &name : ignore)
        if (!m_features.contains(name))
            ignoreRest.append(name);
    QJsonObject testsRest, thresholdsRest;
    for (auto it = tests.begin(); it != tests.end(); ++it)
        if (!m_features.contains(it.key()))
            testsRest.insert(it.key(), it.value());
    for (auto it = thresholds.begin(); it != thresholds.end(); ++it)
        if (!m_features.contains(it.key()))
            thresholdsRest.insert(it.key(), it.value());
    m_unlisted = {{QStringLiteral("ignore"), ignoreRest},
                  {QStringLiteral("tests"), testsRest},
                  {QStringLiteral("thresholds"), thresholdsRest}};
}

QJsonObject DriftFeatureTable::settings() const
{
    QJsonArray ignore = m_unlisted.value(QStringLiteral("ignore")).toArray();
    QJsonObject tests = m_unlisted.value(QStringLiteral("tests")).toObject();
    QJsonObject thresholds = m_unlisted.value(QStringLiteral("thresholds")).toObject();
    for (int row = 0; row < rowCount(); ++row) {
        const QString &name = m_features.at(row);
        if (!static_cast<QCheckBox *>(cellWidget(row, Feature))->isChecked())
            ignore.append(name);
        const QString test = static_cast<QComboBox *>(cellWidget(row, Test))->currentData().toString();
        if (test != QLatin1String("auto"))
            tests.insert(name, test);
        const QString text = static_cast<QLineEdit *>(cellWidget(row, Threshold))->text().trimmed();
        if (!text.isEmpty()) {
            bool ok = false;
            const double t = QLocale::c().toDouble(text, &ok);
            thresholds.insert(name, ok ? QJsonValue(t) : QJsonValue(text));
        }
    }
    return {{QStringLiteral("ignore"), ignore},
            {QStringLiteral("tests"), tests},
            {QStringLiteral("thresholds"), thresholds}};
}

} // namespace mldeck::ui

#include "core/services/DriftService.h"
#include "ui/pages/drift/DriftReferenceBar.h"
#include "ui/pages/drift/DriftTableModel.h"

#include <QApplication>
#include <QLabel>
#include <QTest>

#include <limits>

using namespace mldeck;
using namespace mldeck::ui;

// The drift page over a window read from sketches: the reference line says so in small text, each score shows
// its interval (tooltip: the bound), a feature whose interval straddles the threshold is "Undecided".
class TestGuiSketchDrift final : public QObject
{
    Q_OBJECT

private:
    static DriftView view()
    {
        DriftView v;
        v.deployment = QStringLiteral("eta");
        DriftCheckReport &r = v.report;
        r.referenceDescription = QStringLiteral("period <a>");
        r.fromSketches = true;
        r.sketchedHours = 696;
        r.rawRows = 1200;
        drift::FeatureDrift decided;
        decided.name = QStringLiteral("x");
        decided.test = drift::TestKind::Wasserstein;
        decided.statistic = 0.5127;
        decided.threshold = 0.1;
        decided.drift = true;
        decided.sketch = drift::SketchBound{0.0038, 0.5, 0.525, std::nullopt, std::nullopt, true};
        drift::FeatureDrift undecided = decided;
        undecided.name = QStringLiteral("y");
        undecided.statistic = 0.09;
        undecided.drift = false;
        undecided.enoughSamples = false;
        undecided.sketch = drift::SketchBound{0.0038, 0.07, 0.11, std::nullopt, std::nullopt, false};
        drift::FeatureDrift unbounded = undecided; // e.g. PSI over tied quantile edges: no upper bound
        unbounded.name = QStringLiteral("z");
        unbounded.sketch = drift::SketchBound{0.0038,       0.0712345,    std::numeric_limits<double>::infinity(),
                                              std::nullopt, std::nullopt, false};
        r.result.features = {decided, undecided, unbounded};
        return v;
    }

private Q_SLOTS:
    void scoresShowTheirBound()
    {
        DriftTableModel model;
        model.setView(view());
        QCOMPARE(model.data(model.index(0, DriftTableModel::Score)).toString(), QStringLiteral("0.5127 (0.5–0.525)"));
        QCOMPARE(model.data(model.index(0, DriftTableModel::Status)).toString(), QStringLiteral("Drift"));
        QVERIFY(model.data(model.index(0, DriftTableModel::Score), Qt::ToolTipRole)
                    .toString()
                    .startsWith(QStringLiteral("Computed from hourly sketches: the exact score is between 0.5 and "
                                               "0.525")));
        QCOMPARE(model.data(model.index(1, DriftTableModel::Status)).toString(), QStringLiteral("Undecided"));
        // Bounds rounded outwards (the shown interval still holds the exact score), no bound as ∞.
        QCOMPARE(model.data(model.index(2, DriftTableModel::Score)).toString(), QStringLiteral("0.09 (0.0712–∞)"));
        QVERIFY(model.data(model.index(2, DriftTableModel::Score), Qt::ToolTipRole)
                    .toString()
                    .contains(QStringLiteral("between 0.07123 and ∞")));
        QVERIFY(model.data(model.index(1, DriftTableModel::Status), Qt::ToolTipRole)
                    .toString()
                    .contains(QStringLiteral("straddles the threshold")));
    }

    void referenceLineSaysSketches()
    {
        DriftReferenceBar bar;
        bar.showReport(view().report);
        const auto *label = bar.findChild<QLabel *>(QStringLiteral("driftReference"));
        QVERIFY(label);
        QVERIFY2(label->text().contains(QStringLiteral("<small>Window read from 696 hourly sketch")),
                 qPrintable(label->text()));
        QVERIFY(label->text().contains(QStringLiteral("period &lt;a&gt;"))); // escaped
        DriftView exact = view();
        exact.report.fromSketches = false;
        bar.showReport(exact.report);
        QCOMPARE(label->text(), QStringLiteral("Reference: period <a>"));
    }
};

QTEST_MAIN(TestGuiSketchDrift)
#include "test_gui_sketch_drift.moc"

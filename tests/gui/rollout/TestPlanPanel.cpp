// The plan panel on its real widgets, offscreen, showing statuses computed by the plan's own logic:
// how the step's gates combine, a waiting (inconclusive) gate with what it waits for, an advisory
// gate shown but not holding Advance back, and Advance disabled while the step waits.
#include "core/rollout/StagedPlan.h"
#include "ui/pages/rollout/PlanPanel.h"

#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTableWidget>
#include <QtTest>

using namespace mldeck;

namespace {

WindowMetrics window(qint64 labelled, double latencyMs)
{
    WindowMetrics m;
    m.samples = 1000;
    m.labelled = labelled;
    m.mae = 2.0;
    m.r2 = 0.71;
    m.latencyP95Ms = latencyMs;
    m.errorRate = 0.01;
    return m;
}

// The row of a gate by its stable name (the name column's tooltip).
int rowOf(QTableWidget *table, const char *gate)
{
    for (int row = 0; row < table->rowCount(); ++row)
        if (table->item(row, 0)->toolTip() == QLatin1String(gate))
            return row;
    return -1;
}

} // namespace

class TestPlanPanel final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void showsTheWaitingGateAndTheAdvisoryOne()
    {
        ui::PlanPanel panel;
        panel.resize(700, 520);
        panel.show();
        auto *table = panel.findChild<QTableWidget *>(QStringLiteral("planGates"));
        auto *rule = panel.findChild<QLabel *>(QStringLiteral("planRule"));
        auto *waiting = panel.findChild<QLabel *>(QStringLiteral("planWaiting"));
        QVERIFY(table && rule && waiting);

        StagedPlan p;
        p.combination = GateCombination{GateCombination::Mode::AtLeast, 2, {QString::fromLatin1(plan::kGateLatency)}};
        const QDateTime now = QDateTime::currentDateTimeUtc();
        // 120 of 200 predictions labelled: MAE and R² wait; the latency (advisory) fails.
        panel.showPlan(plan::status(p, 1, now.addSecs(-3600), window(120, 5000), now));
        QTRY_VERIFY(waiting->isVisible());
        QVERIFY2(waiting->text().contains(QLatin1String("max_mae: 120 of 200 labelled predictions")),
                 qPrintable(waiting->text()));
        QVERIFY2(rule->text().contains(QLatin1String("at least 2 of 3")), qPrintable(rule->text()));
        const int mae = rowOf(table, plan::kGateMae);
        QVERIFY(mae >= 0);
        QCOMPARE(table->item(mae, 3)->text(), QStringLiteral("Waiting"));
        QVERIFY(table->item(mae, 3)->toolTip().contains(QLatin1String("120 of 200 labelled predictions")));
        const int latency = rowOf(table, plan::kGateLatency);
        QVERIFY(table->item(latency, 0)->text().contains(QLatin1String("(advisory)")));
        QCOMPARE(table->item(latency, 3)->text(), QStringLiteral("Fail"));
        QVERIFY(!panel.advanceButton()->isEnabled());
        QVERIFY(panel.advanceButton()->toolTip().contains(QLatin1String("inconclusive")));

        // The outcomes arrive: 2 of the 3 deciding gates pass (the advisory latency still fails).
        panel.showPlan(plan::status(p, 1, now.addSecs(-3600), window(800, 5000), now));
        QTRY_VERIFY(!waiting->isVisible());
        QCOMPARE(table->item(mae, 3)->text(), QStringLiteral("Pass"));
        QCOMPARE(table->item(latency, 3)->text(), QStringLiteral("Fail"));
        QVERIFY(panel.advanceButton()->isEnabled());
    }
};

QTEST_MAIN(TestPlanPanel)
#include "TestPlanPanel.moc"

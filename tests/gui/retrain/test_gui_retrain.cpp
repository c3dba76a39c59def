// The Retrain page, offscreen, against real servers. A deployment with the demo MLP as champion and a few
// thousand logged predictions, outcomes and feedback; then the wizard is walked with clicks on the real
// widgets: the trigger conditions, a data summary whose counts match what was written, an invalid learning
// rate that keeps Next disabled, a short run trained to completion, the decision, "Keep as challenger"
// moving the challenger alias. A second run is cancelled in the middle: the page says so, no version is
// added and the champion stays. The History tab lists both runs and exports them as a JSON array.
#include "core/config/Settings.h"
#include "core/demo/RideDelayGenerator.h"
#include "core/ml/checks/ModelChecks.h"
#include "core/secrets/SecretStore.h"
#include "core/services/ConnectionMonitor.h"
#include "core/services/ModelOperations.h"
#include "core/services/RetrainService.h"
#include "core/store/pg/DeploymentStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/ModelRegistry.h"
#include "core/store/pg/PgConnection.h"
#include "core/store/pg/PredictionLog.h"
#include "tests/support/GuiTestTools.h"
#include "tests/support/LoginRole.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestServers.h"
#include "ui/ConnectionSession.h"
#include "ui/pages/RetrainPage.h"
#include "ui/pages/retrain/DataStep.h"
#include "ui/pages/retrain/DecisionStep.h"
#include "ui/pages/retrain/LossChart.h"
#include "ui/pages/retrain/RetrainHistoryView.h"
#include "ui/pages/retrain/RetrainRunTableModel.h"
#include "ui/pages/retrain/RetrainWizard.h"

#include "tests/support/GuiTestTools.h"
#include <QAbstractItemModelTester>
#include <QCheckBox>
#include <QComboBox>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTemporaryDir>

#include <QtTest>

using namespace mldeck;
using namespace mldeck::test;

namespace {

constexpr int kRows = 3000;
constexpr int kFeedback = 160;
constexpr int kNegative = 60;

template <typename T> T *child(QObject *parent, const char *name)
{
    auto *w = parent->findChild<T *>(QString::fromLatin1(name));
    if (!w)
        qWarning("no child %s", name);
    return w;
}

} // namespace

class TestGuiRetrain : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_conn;
    QTemporaryDir m_dir;
    QString m_dep;
    QString m_champion;

    int count(const QString &sql, const QStringList &params)
    {
        const auto r = test::query(*m_conn, sql, params);
        return r && !r->isEmpty() ? r->first().first().toInt() : -1;
    }

    QString aliasVersion(const QString &alias)
    {
        const auto m = ModelRegistry(*m_conn).byAlias(m_dep, alias);
        return m.ok() && m->has_value() ? (*m)->version : QString();
    }

    struct Page
    {
        Settings settings;
        SecretStore secrets;
        ConnectionMonitor monitor;
        ui::ConnectionSession session;
        ui::RetrainPage page;
        explicit Page(const QString &ini) : settings(ini), session(settings, secrets, monitor), page(session) {}
    };

    std::unique_ptr<Page> openPage(const QString &ini)
    {
        auto p = std::make_unique<Page>(m_dir.filePath(ini));
        p->page.resize(1200, 800);
        p->page.show();
        p->session.start();
        p->page.selectDeployment(m_dep);
        return p;
    }

    // What a login of groupRole may do, as the database answers (the user is dropped on return: the answer stays).
    std::optional<RolePermissions> permissionsOf(const QString &groupRole)
    {
        const LoginRole login(groupRole);
        auto conn = PgConnection::open(login.endpoint(m_db->endpoint()), QStringLiteral("test_gui_retrain"));
        if (!conn)
            return std::nullopt;
        auto p = RolePermissions::read(**conn);
        return p ? std::optional<RolePermissions>(*p) : std::nullopt;
    }

    // Step 1 to step 3 with clicks; leaves the wizard on the Training step.
    void walkToTraining(ui::RetrainPage &page)
    {
        ui::RetrainWizard *w = page.wizard();
        auto *table = child<QTableWidget>(w, "triggerTable");
        auto *verdict = child<QLabel>(w, "triggerVerdict");
        auto *force = child<QCheckBox>(w, "triggerForce");
        auto *next = child<QPushButton>(w, "retrainNext");
        QVERIFY(table && verdict && force && next);
        QTRY_VERIFY_WITH_TIMEOUT(table->rowCount() >= 3, 20000);
        QVERIFY2(verdict->text().contains(QStringLiteral("due")), qPrintable(verdict->text()));
        if (!next->isEnabled()) { // not due: "Run anyway"
            QVERIFY(force->isVisibleTo(w));
            force->setChecked(true);
        }
        QVERIFY(next->isEnabled());
        QTest::mouseClick(next, Qt::LeftButton);
        QCOMPARE(w->currentStep(), int(ui::RetrainWizard::DataStepIndex));

        auto *summarize = child<QPushButton>(w, "dataSummarize");
        QVERIFY(summarize);
        QVERIFY(!next->isEnabled()); // no summary yet
        QTest::mouseClick(summarize, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(
            next->isEnabled() || !child<QLabel>(w, "dataStatus")->text().contains(QStringLiteral("Reading")), 30000);
        QVERIFY2(next->isEnabled(), qPrintable(child<QLabel>(w, "dataStatus")->text()));
        QTest::mouseClick(next, Qt::LeftButton);
        QCOMPARE(w->currentStep(), int(ui::RetrainWizard::TrainingStepIndex));
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("guiretrain"));
        auto conn = PgConnection::open(m_db->endpoint(), QStringLiteral("test_gui_retrain"));
        QVERIFY2(conn.ok(), qPrintable(conn.errorMessage()));
        m_conn = std::move(conn).value();
        const auto migrated = Migrator::migrate(*m_conn);
        QVERIFY2(migrated.ok(), qPrintable(migrated.errorMessage()));
        m_dep = uniqueName(QStringLiteral("rt"));
        QVERIFY(DeploymentStore(*m_conn).ensure(m_dep, QString(), RideDelayGenerator::schema()).ok());
        qputenv("MLDECK_MODEL_STORE", m_dir.filePath(QStringLiteral("store")).toUtf8());

        const Actor setup{QStringLiteral("setup@h"), QStringLiteral("setup"), QStringLiteral("h")};
        models::RegisterRequest req;
        req.file = QStringLiteral(MLDECK_SOURCE_DIR "/resources/models/eta_mlp.pt");
        req.deployment = m_dep;
        req.storeDirectory = m_dir.filePath(QStringLiteral("store"));
        const auto registered = models::registerModel(*m_conn, req, setup);
        QVERIFY2(registered.ok(), qPrintable(registered.errorMessage()));
        m_champion = registered->model.version;
        const auto promoted = models::promote(*m_conn, std::nullopt, m_dep, m_champion, QStringLiteral("champion"),
                                              QStringLiteral("setup"), setup);
        QVERIFY2(promoted.ok(), qPrintable(promoted.errorMessage()));

        // Predictions over the last 6 days, every one with its outcome; feedback on some of them.
        RideDelayGenerator gen(7);
        const qint64 now = QDateTime::currentMSecsSinceEpoch() * 1000;
        const qint64 span = qint64(6) * 24 * 3600 * 1'000'000;
        std::vector<PredictionRow> predictions;
        std::vector<OutcomeRow> outcomes;
        std::vector<FeedbackRow> feedback;
        for (int i = 0; i < kRows; ++i) {
            const qint64 ts = now - span + span / kRows * i;
            RideRequest r = gen.next(ts);
            PredictionRow p;
            p.tsMicros = ts;
            p.deployment = m_dep;
            p.requestKey = QStringLiteral("%1-%2").arg(m_dep).arg(i);
            p.modelVersion = m_champion;
            p.path = PredictionPath::Ml;
            p.predicted = r.expectedDelay + 0.5;
            p.latencyMs = 3;
            p.features = r.features;
            predictions.push_back(p);
            outcomes.push_back({ts + 1'000'000, m_dep, p.requestKey, r.actualDelay});
            if (i % (kRows / kFeedback) == 0 && int(feedback.size()) < kFeedback)
                feedback.push_back({ts + 2'000'000, m_dep, p.requestKey, int(feedback.size()) >= kNegative, QString(),
                                    QStringLiteral("u%1").arg(i % 37), QString()});
        }
        PredictionLog log(*m_conn);
        QVERIFY(log.ensurePartitions(QDate::currentDate().addDays(-8), QDate::currentDate().addDays(1)).ok());
        const Status p = log.appendPredictions(predictions);
        QVERIFY2(p.ok(), qPrintable(p.errorMessage()));
        const Status o = log.appendOutcomes(outcomes);
        QVERIFY2(o.ok(), qPrintable(o.errorMessage()));
        const Status f = log.appendFeedback(feedback);
        QVERIFY2(f.ok(), qPrintable(f.errorMessage()));

        qputenv("MLDECK_PG_URL", m_db->endpoint().toUrl(true).toUtf8());
        qputenv("MLDECK_REDIS_URL", TestServers::redis().toUrl(true).toUtf8());
        qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/mldeck-test-bus");
    }

    void cleanupTestCase()
    {
        m_conn.reset();
        m_db.reset();
    }

    void walksTheWizardAndKeepsAChallenger()
    {
        auto p = openPage(QStringLiteral("a.ini"));
        ui::RetrainPage &page = p->page;
        auto *tabs = child<QTabWidget>(&page, "retrainTabs");
        QVERIFY(tabs);
        QCOMPARE(tabs->count(), 2);
        QCOMPARE(tabs->tabText(0), QStringLiteral("Wizard"));
        QCOMPARE(tabs->tabText(1), QStringLiteral("History"));
        ui::RetrainWizard *w = page.wizard();
        QStringList asked;
        w->setConfirmer([&](const ui::ConfirmRequest &r) {
            asked << r.title;
            return true;
        });
        QSignalSpy finished(w, &ui::RetrainWizard::runFinished);
        QSignalSpy applied(w, &ui::RetrainWizard::decisionApplied);

        // 1. The conditions, each with value and threshold.
        auto *table = child<QTableWidget>(w, "triggerTable");
        QTRY_VERIFY_WITH_TIMEOUT(table->rowCount() >= 3, 20000);
        QStringList values;
        for (int r = 0; r < table->rowCount(); ++r)
            values << table->item(r, 1)->text();
        QVERIFY2(values.contains(QString::number(kFeedback)), qPrintable(values.join(u',')));
        QVERIFY2(values.contains(QString::number(kNegative)), qPrintable(values.join(u',')));
        saveScreenshot(&page, QStringLiteral("retrain-1-why"));

        walkToTraining(page);
        QVERIFY(!QTest::currentTestFailed());
        // 2. The summary matched what was written (checked on the way, here in detail).
        // (walkToTraining went on; the summary is still held by the data step.)

        // 3. An invalid learning rate disables Next, with an inline error.
        auto *next = child<QPushButton>(w, "retrainNext");
        auto *rate = child<QLineEdit>(w, "trainLearningRate");
        auto *epochs = child<QSpinBox>(w, "trainEpochs");
        auto *error = child<QLabel>(w, "trainParamsError");
        QVERIFY(next && rate && epochs && error);
        QVERIFY(next->isEnabled());
        rate->clear();
        QTest::keyClicks(rate, QStringLiteral("-0.5"));
        QVERIFY(!next->isEnabled());
        QVERIFY(error->isVisibleTo(w));
        QVERIFY(!error->text().isEmpty());
        saveScreenshot(&page, QStringLiteral("retrain-3-training-invalid"));
        rate->clear();
        QTest::keyClicks(rate, QStringLiteral("abc"));
        QVERIFY(!next->isEnabled());
        rate->clear();
        QTest::keyClicks(rate, QStringLiteral("0.001"));
        QVERIFY2(next->isEnabled(), qPrintable(error->text()));
        // A role that may not launch a run (a viewer, as the database answers) finds Start training
        // disabled with who may in its tooltip; the owner's answer gives it back.
        const auto refused = permissionsOf(QStringLiteral("mldeck_viewer"));
        QVERIFY(refused);
        w->setPermissions(refused);
        QVERIFY(!next->isEnabled());
        QCOMPARE(next->toolTip(), refused->refusal(RoleAction::RetrainLaunch));
        QVERIFY2(next->toolTip().contains(QLatin1String("mldeck_scientist")), qPrintable(next->toolTip()));
        w->setPermissions(RolePermissions::read(*m_conn).value());
        QVERIFY(next->isEnabled());
        QVERIFY(next->toolTip().isEmpty());
        epochs->setValue(2);

        // 4. The run, to completion, with the curve drawn live.
        QTest::mouseClick(next, Qt::LeftButton);
        QCOMPARE(w->currentStep(), int(ui::RetrainWizard::RunStepIndex));
        QVERIFY(w->isRunning());
        QVERIFY(!child<QComboBox>(&page, "deploymentSelector")->isEnabled());
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 180000);
        QVERIFY2(finished.first().at(0).toString() == QStringLiteral("succeeded"), qPrintable(w->outcome()->run.error));
        QVERIFY(w->findChild<ui::LossChart *>()->pointCount() >= 1);
        saveScreenshot(&page, QStringLiteral("retrain-4-run"));
        const QString candidate = w->outcome()->candidateVersion;
        QVERIFY(!candidate.isEmpty());
        QVERIFY(candidate != m_champion);
        QCOMPARE(aliasVersion(QStringLiteral("champion")), m_champion); // nothing moved yet

        // 5. The decision sentence.
        QVERIFY(next->isEnabled());
        QTest::mouseClick(next, Qt::LeftButton);
        QCOMPARE(w->currentStep(), int(ui::RetrainWizard::EvaluationStepIndex));
        auto *decision = child<QLabel>(w, "evalDecision");
        QVERIFY(decision && !decision->text().isEmpty());
        QVERIFY2(decision->text().contains(QStringLiteral("romote")), qPrintable(decision->text()));
        saveScreenshot(&page, QStringLiteral("retrain-5-evaluation"));

        // 6. Keep as challenger: the challenger alias points at the new version, the champion stays.
        QTest::mouseClick(next, Qt::LeftButton);
        QCOMPARE(w->currentStep(), int(ui::RetrainWizard::DecisionStepIndex));
        auto *promote = child<QPushButton>(w, "decisionPromote");
        auto *keep = child<QPushButton>(w, "decisionChallenger");
        QVERIFY(promote && keep);
        // The deployment has no golden data: the step says no promotion checks are configured (never "passed").
        auto *checks = child<QLabel>(w, "decisionChecks");
        QVERIFY(checks && checks->isVisible());
        QVERIFY2(checks->text().contains(QStringLiteral("no promotion checks configured")), qPrintable(checks->text()));
        // A viewer may decide nothing: every decision is disabled and says who may; the owner's answer gives them back.
        w->setPermissions(refused);
        QVERIFY(!promote->isEnabled() && !keep->isEnabled());
        QCOMPARE(keep->toolTip(), refused->refusal(RoleAction::RetrainDecide));
        QCOMPARE(promote->toolTip(), refused->refusal(RoleAction::ModelPromote));
        // A scientist may promote but not save a plan: the plan box is unticked and disabled, saying who may.
        auto *plan = child<QCheckBox>(w, "decisionRolloutPlan");
        QVERIFY(plan);
        const auto scientist = permissionsOf(QStringLiteral("mldeck_scientist"));
        QVERIFY(scientist);
        QVERIFY(!scientist->refusal(RoleAction::PlanChange).isEmpty());
        plan->setChecked(true);
        w->setPermissions(scientist);
        QVERIFY(!plan->isEnabled() && !plan->isChecked());
        QCOMPARE(plan->toolTip(), scientist->refusal(RoleAction::PlanChange));
        QCOMPARE(promote->isEnabled(), w->outcome()->decision && w->outcome()->decision->promote);
        QVERIFY(keep->isEnabled());
        w->setPermissions(RolePermissions::read(*m_conn).value());
        QCOMPARE(plan->isEnabled(), w->outcome()->decision && w->outcome()->decision->promote);
        QVERIFY(plan->toolTip().isEmpty());
        QCOMPARE(promote->isEnabled(), w->outcome()->decision && w->outcome()->decision->promote);
        QVERIFY(keep->isEnabled());
        QTest::mouseClick(keep, Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(applied.size(), 1, 20000);
        QVERIFY2(applied.first().at(0).toBool(), qPrintable(applied.first().at(1).toString()));
        QVERIFY(asked.isEmpty()); // keeping a challenger asks nothing
        QCOMPARE(aliasVersion(QStringLiteral("challenger")), candidate);
        QCOMPARE(aliasVersion(QStringLiteral("champion")), m_champion);
        QVERIFY(child<QLabel>(w, "decisionResult")->text().contains(candidate));
        QVERIFY(child<QPushButton>(w, "decisionStartAnother")->isVisibleTo(w));
        saveScreenshot(&page, QStringLiteral("retrain-6-decision"));
    }

    // An answer about the role arriving mid-apply keeps the step busy: no "Start another", no decision.
    void permissionsKeepTheDecisionBusy()
    {
        ui::DecisionStep step;
        retrain::RetrainOutcome outcome;
        outcome.run.deployment = QStringLiteral("busy");
        outcome.candidateVersion = QStringLiteral("v2");
        step.setOutcome(outcome);
        auto *again = child<QPushButton>(&step, "decisionStartAnother");
        auto *keep = child<QPushButton>(&step, "decisionChallenger");
        QVERIFY(again && keep && keep->isEnabled() && !again->isVisibleTo(&step));
        step.showBusy();
        step.setPermissions(RolePermissions::everything());
        QVERIFY(!again->isVisibleTo(&step));
        QVERIFY(!keep->isEnabled());
        step.showError(QStringLiteral("boom"));
        step.setPermissions(std::nullopt);
        QVERIFY(again->isVisibleTo(&step) && keep->isEnabled());
    }

    // A candidate the rule would promote but the model checks refuse: Promote (and the plan) stay disabled,
    // the tooltip and the checks line name the failing check; a passing report gives Promote back.
    void decisionRefusesACandidateFailingTheChecks()
    {
        ui::DecisionStep step;
        retrain::RetrainOutcome outcome;
        outcome.run.deployment = QStringLiteral("chk");
        outcome.candidateVersion = QStringLiteral("2");
        outcome.decision = retrain::RetrainDecision{};
        outcome.decision->promote = true;
        checks::CheckReport report;
        report.configured = true;
        report.candidate = QStringLiteral("2");
        report.champion = QStringLiteral("1");
        report.results << checks::CheckResult{
            QStringLiteral("input"), {}, checks::Outcome::Pass, QStringLiteral("ok"), {}};
        report.results << checks::CheckResult{QStringLiteral("non_regression"),
                                              QStringLiteral("overall"),
                                              checks::Outcome::Fail,
                                              QStringLiteral("the candidate's MAE is 2.0"),
                                              {}};
        outcome.run.checks = report.toJson();
        step.setOutcome(outcome);
        step.setPermissions(RolePermissions::everything());
        auto *promote = child<QPushButton>(&step, "decisionPromote");
        auto *plan = child<QCheckBox>(&step, "decisionRolloutPlan");
        auto *keep = child<QPushButton>(&step, "decisionChallenger");
        auto *checksLine = child<QLabel>(&step, "decisionChecks");
        QVERIFY(promote && plan && keep && checksLine);
        QVERIFY(!promote->isEnabled() && !plan->isEnabled());
        QVERIFY(keep->isEnabled()); // it may still be kept as challenger
        QVERIFY2(promote->toolTip().contains(QStringLiteral("non-regression (overall)")),
                 qPrintable(promote->toolTip()));
        QVERIFY2(checksLine->text().contains(QStringLiteral("failed: non-regression (overall)")) &&
                     checksLine->text().contains(QStringLiteral("the candidate's MAE is 2.0")),
                 qPrintable(checksLine->text()));

        report.results.removeLast();
        outcome.run.checks = report.toJson();
        step.setOutcome(outcome);
        step.setPermissions(RolePermissions::everything());
        QVERIFY(promote->isEnabled());
        QVERIFY2(checksLine->text().contains(QStringLiteral("passed 1 of 1 checks")), qPrintable(checksLine->text()));
    }

    void summaryCountsMatchTheData()
    {
        auto p = openPage(QStringLiteral("b.ini"));
        ui::RetrainWizard *w = p->page.wizard();
        walkToTraining(p->page);
        QVERIFY(!QTest::currentTestFailed());
        w->findChild<QPushButton *>(QStringLiteral("retrainBack"))->click();
        QCOMPARE(w->currentStep(), int(ui::RetrainWizard::DataStepIndex));
        auto *rows = child<QLabel>(w, "dataRows");
        auto *split = child<QLabel>(w, "dataSplit");
        QVERIFY(rows && split);
        QVERIFY2(rows->text().contains(QLocale().toString(kRows)), qPrintable(rows->text()));
        QVERIFY2(rows->text().contains(QStringLiteral(" %1 of them").arg(QLocale().toString(kNegative))),
                 qPrintable(rows->text()));
        auto *step = w->findChild<ui::DataStep *>();
        QVERIFY(step && step->summary());
        const auto &s = *step->summary();
        QCOMPARE(s.rows, qint64(kRows));
        QCOMPARE(s.trainRows + s.validationRows + s.holdoutRows, qint64(kRows));
        QVERIFY(split->text().contains(QLocale().toString(s.holdoutRows)));
        QVERIFY(s.holdoutRows > 0 && s.trainRows > s.holdoutRows);
        QVERIFY(!split->text().isEmpty());
        QVERIFY(child<QTableWidget>(w, "dataMissing"));
        saveScreenshot(&p->page, QStringLiteral("retrain-2-data"));
    }

    void cancelInTheMiddleLeavesNothing()
    {
        const int versionsBefore =
            count(QStringLiteral("SELECT count(*) FROM mldeck.models WHERE deployment = $1"), {m_dep});
        QVERIFY(versionsBefore >= 2);
        auto p = openPage(QStringLiteral("c.ini"));
        ui::RetrainWizard *w = p->page.wizard();
        QSignalSpy finished(w, &ui::RetrainWizard::runFinished);
        walkToTraining(p->page);
        QVERIFY(!QTest::currentTestFailed());
        child<QSpinBox>(w, "trainEpochs")->setValue(400);
        child<QSpinBox>(w, "trainEarlyStopping")->setValue(0);
        child<QSpinBox>(w, "trainPlateauPatience")->setValue(0);
        auto *next = child<QPushButton>(w, "retrainNext");
        QVERIFY(next->isEnabled());
        QTest::mouseClick(next, Qt::LeftButton);
        QVERIFY(w->isRunning());
        // In the middle: once an epoch is on the curve.
        QTRY_VERIFY_WITH_TIMEOUT(w->findChild<ui::LossChart *>()->pointCount() >= 1 || !finished.isEmpty(), 120000);
        QVERIFY2(finished.isEmpty(), "the run ended before it could be cancelled");
        auto *cancel = child<QPushButton>(w, "retrainCancel");
        QVERIFY(cancel->isEnabled());
        QTest::mouseClick(cancel, Qt::LeftButton); // asks no question
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 60000);
        QCOMPARE(finished.first().at(0).toString(), QStringLiteral("cancelled"));
        auto *result = child<QLabel>(w, "runResult");
        QVERIFY2(result->text().contains(QStringLiteral("cancelled")), qPrintable(result->text()));
        QVERIFY(!w->isRunning());
        QVERIFY(!next->isEnabled());
        QCOMPARE(count(QStringLiteral("SELECT count(*) FROM mldeck.models WHERE deployment = $1"), {m_dep}),
                 versionsBefore);
        QCOMPARE(aliasVersion(QStringLiteral("champion")), m_champion);
        QVERIFY(child<QPushButton>(w, "runStartAnother")->isVisibleTo(w));
        saveScreenshot(&p->page, QStringLiteral("retrain-4-cancelled"));
    }

    void historyListsBothRunsAndExports()
    {
        auto p = openPage(QStringLiteral("d.ini"));
        ui::RetrainHistoryView *h = p->page.history();
        QString exportPath = m_dir.filePath(QStringLiteral("runs.json"));
        h->setExportPathChooser([&] { return exportPath; });
        QSignalSpy shown(h, &ui::RetrainHistoryView::historyShown);
        QSignalSpy exported(h, &ui::RetrainHistoryView::exported);
        auto *tabs = child<QTabWidget>(&p->page, "retrainTabs");
        tabs->setCurrentWidget(h);
        QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty() && shown.last().at(0).toInt() == 2, 20000);
        auto *table = child<QTableView>(h, "historyTable");
        QAbstractItemModelTester tester(table->model(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(table->model()->rowCount(), 2);
        QStringList states;
        for (int r = 0; r < 2; ++r)
            states << table->model()->index(r, ui::RetrainRunTableModel::StatusColumn).data().toString();
        QVERIFY2(states.contains(QStringLiteral("succeeded")) && states.contains(QStringLiteral("cancelled")),
                 qPrintable(states.join(u',')));
        table->selectRow(0);
        auto *details = child<QWidget>(h, "historyDetails");
        QVERIFY(details);
        saveScreenshot(&p->page, QStringLiteral("retrain-history"));

        QTest::mouseClick(child<QPushButton>(h, "historyExport"), Qt::LeftButton);
        QCOMPARE(exported.size(), 1);
        QVERIFY(exported.first().at(1).toBool());
        QFile file(exportPath);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QJsonParseError err;
        const QJsonDocument doc = QJsonDocument::fromJson(file.readAll(), &err);
        QCOMPARE(err.error, QJsonParseError::NoError);
        QVERIFY(doc.isArray());
        QCOMPARE(doc.array().size(), 2);

        // A path that cannot be written: said, nothing half-written.
        exportPath = m_dir.filePath(QStringLiteral("no/such/dir/runs.json"));
        QTest::mouseClick(child<QPushButton>(h, "historyExport"), Qt::LeftButton);
        QCOMPARE(exported.size(), 2);
        QVERIFY(!exported.last().at(1).toBool());
        QVERIFY(!QFile::exists(exportPath));
    }
};

QTEST_MAIN(TestGuiRetrain)
#include "test_gui_retrain.moc"

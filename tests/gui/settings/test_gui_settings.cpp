// The settings editors on their real widgets, offscreen, against the test servers: what a valid save
// writes (the value and one audit row with before and after), that each invalid field is refused
// with its reason and nothing written, Revert, the viewer's read-only editor, the webhook's test
// delivery, and a running guard that applies an edited rule within one round.
#include "core/rollout/AuditRecord.h"
#include "core/services/guard/GuardRunner.h"
#include "core/services/guard/RolloutGuardJob.h"
#include "core/store/pg/GuardStore.h"
#include "core/store/pg/Migrator.h"
#include "core/store/pg/PgConnection.h"
#include "tests/integration/rollout/RolloutFixture.h"
#include "tests/support/GuiTestTools.h"
#include "tests/support/LoginRole.h"
#include "tests/support/PgSql.h"
#include "tests/support/TestServers.h"
#include "ui/settings/GuardRulesEditor.h"
#include "ui/settings/KpiTargetsEditor.h"
#include "ui/settings/SettingsTabs.h"
#include "ui/settings/WebhookEditor.h"
#include "ui/widgets/InfoBar.h"

#include <QCheckBox>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QMutex>
#include <QPushButton>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>

#include <QtTest>

#include <atomic>
#include <memory>
#include <thread>

using namespace mldeck;
using namespace mldeck::test;

namespace {

constexpr int kWaitMs = 15000;

template <typename Editor> Editor *editorIn(ui::SettingsTabs &tabs)
{
    for (ui::SettingsEditor *e : tabs.editors())
        if (auto *found = qobject_cast<Editor *>(e))
            return found;
    return nullptr;
}

// Answers every HTTP request with 200 and counts them: the webhook's receiver.
class HookReceiver final : public QTcpServer
{
public:
    int requests = 0;
    HookReceiver()
    {
        connect(this, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = nextPendingConnection()) {
                connect(s, &QTcpSocket::readyRead, s, [this, s] {
                    if (!s->readAll().contains("\r\n\r\n"))
                        return; // headers not complete: wait (the body is small and follows them)
                    ++requests;
                    s->write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    s->disconnectFromHost();
                });
                connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
            }
        });
    }
};

} // namespace

class TestGuiSettings final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<ScratchDatabase> m_db;
    std::unique_ptr<PgConnection> m_admin;
    std::unique_ptr<LoginRole> m_operator;
    std::unique_ptr<LoginRole> m_viewer;
    QString m_dep;

    QString scalar(const QString &sql) { return test::queryValue(*m_admin, sql, {m_dep}); }
    int auditRows(const QString &action)
    {
        return scalar(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE deployment = $1 AND action = '%1'")
                          .arg(action))
            .toInt();
    }
    QJsonObject lastAudit(const QString &action, const char *column)
    {
        return QJsonDocument::fromJson(
                   scalar(QStringLiteral("SELECT %1::text FROM mldeck.audit_log WHERE deployment = $1 AND "
                                         "action = '%2' ORDER BY id DESC LIMIT 1")
                              .arg(QLatin1String(column), action))
                       .toUtf8())
            .object();
    }

    // The tabs as the given user, the deployment loaded in every editor.
    std::unique_ptr<ui::SettingsTabs> openTabs(const PgEndpoint &as)
    {
        auto tabs = std::make_unique<ui::SettingsTabs>(nullptr);
        tabs->resize(900, 640);
        tabs->show();
        tabs->setEndpoint(as);
        tabs->setDeployment(m_dep);
        return tabs;
    }

private Q_SLOTS:
    void initTestCase()
    {
        MLDECK_REQUIRE_SERVERS();
        m_db = std::make_unique<ScratchDatabase>(QStringLiteral("guisettings"));
        auto c = PgConnection::open(m_db->endpoint(), QStringLiteral("test"));
        QVERIFY2(c.ok(), qPrintable(c.errorMessage()));
        m_admin = std::move(c).value();
        QVERIFY(Migrator::migrate(*m_admin).ok());
        m_dep = uniqueName(QStringLiteral("guiset"));
        QVERIFY(exec(*m_admin, QStringLiteral("INSERT INTO mldeck.deployments (name) VALUES ('%1')").arg(m_dep)).ok());
        m_operator = std::make_unique<LoginRole>(QStringLiteral("mldeck_operator"));
        m_viewer = std::make_unique<LoginRole>(QStringLiteral("mldeck_viewer"));
    }

    void kpiTargetsValidSaveWritesTheValueAndOneAuditRow()
    {
        auto tabs = openTabs(m_operator->endpoint(m_db->endpoint()));
        auto *editor = editorIn<ui::KpiTargetsEditor>(*tabs);
        QVERIFY(editor);
        QTRY_VERIFY_WITH_TIMEOUT(editor->isLoaded() && !editor->isReadOnly(), kWaitMs);
        QCOMPARE(qobject_cast<QLineEdit *>(editor->fieldWidget(QStringLiteral("mae_max")))->text(),
                 QStringLiteral("2.5"));
        const int before = auditRows(QStringLiteral("kpi.targets"));

        typeInto(editor->fieldWidget(QStringLiteral("mae_max")), QStringLiteral("2.2"));
        typeInto(editor->fieldWidget(QStringLiteral("anticipation_minutes")), QStringLiteral("10"));
        QVERIFY(editor->saveButton()->isEnabled());
        QCOMPARE(tabs->tabText(0), editor->title() + QStringLiteral(" *"));
        QSignalSpy saved(editor, &ui::SettingsEditor::saved);
        QTest::mouseClick(editor->saveButton(), Qt::LeftButton);
        QVERIFY(saved.wait(kWaitMs));
        QCOMPARE(editor->status(), QStringLiteral("Saved."));
        QCOMPARE(tabs->tabText(0), editor->title());

        QCOMPARE(scalar(QStringLiteral(
                     "SELECT settings->'kpi_targets'->>'mae_max' FROM mldeck.deployments WHERE name = $1")),
                 QStringLiteral("2.2"));
        QCOMPARE(auditRows(QStringLiteral("kpi.targets")), before + 1);
        QCOMPARE(lastAudit(QStringLiteral("kpi.targets"), "before").value(QStringLiteral("mae_max")).toDouble(), 2.5);
        QCOMPARE(lastAudit(QStringLiteral("kpi.targets"), "after").value(QStringLiteral("mae_max")).toDouble(), 2.2);
        QCOMPARE(
            lastAudit(QStringLiteral("kpi.targets"), "after").value(QStringLiteral("anticipation_minutes")).toInt(),
            10);
    }

    void guardRulesValidSaveWritesTheRulesAndOneAuditRow()
    {
        auto tabs = openTabs(m_operator->endpoint(m_db->endpoint()));
        auto *editor = editorIn<ui::GuardRulesEditor>(*tabs);
        QVERIFY(editor);
        tabs->setCurrentWidget(editor);
        QTRY_VERIFY_WITH_TIMEOUT(editor->isLoaded() && !editor->isReadOnly(), kWaitMs);
        const int before = auditRows(QStringLiteral("guard.rules"));

        // The bounds of the table's CHECKs are accepted, by the form and by the database.
        typeInto(editor->fieldWidget(QStringLiteral("rollback_error_rate")), QStringLiteral("1"));
        typeInto(editor->fieldWidget(QStringLiteral("window_seconds")), QStringLiteral("10"));
        typeInto(editor->fieldWidget(QStringLiteral("min_samples")), QStringLiteral("1"));
        typeInto(editor->fieldWidget(QStringLiteral("consecutive_breaches")), QStringLiteral("100"));
        typeInto(editor->fieldWidget(QStringLiteral("interval_seconds")), QStringLiteral("3600"));
        typeInto(editor->fieldWidget(QStringLiteral("max_mae")), QStringLiteral("3.75"));
        QTest::mouseClick(editor->fieldWidget(QStringLiteral("enabled")), Qt::LeftButton); // on -> off
        QVERIFY(editor->isValid());
        saveScreenshot(tabs.get(), QStringLiteral("settings-guard-rules-edited"));
        QSignalSpy saved(editor, &ui::SettingsEditor::saved);
        QTest::mouseClick(editor->saveButton(), Qt::LeftButton);
        QVERIFY(saved.wait(kWaitMs));

        const GuardRules stored = GuardStore(*m_admin).rules(m_dep).value();
        QCOMPARE(stored.rollbackErrorRate, 1.0);
        QCOMPARE(stored.windowSeconds, 10);
        QCOMPARE(stored.minSamples, 1);
        QCOMPARE(stored.consecutiveBreaches, 100);
        QCOMPARE(stored.intervalSeconds, 3600);
        QCOMPARE(stored.maxMae, 3.75);
        QCOMPARE(stored.enabled, false);
        QCOMPARE(auditRows(QStringLiteral("guard.rules")), before + 1);
        QCOMPARE(lastAudit(QStringLiteral("guard.rules"), "before"), GuardRules{}.toJson());
        QCOMPARE(lastAudit(QStringLiteral("guard.rules"), "after"), stored.toJson());
        QCOMPARE(scalar(QStringLiteral("SELECT actor_db FROM mldeck.audit_log WHERE deployment = $1 AND "
                                       "action = 'guard.rules' ORDER BY id DESC LIMIT 1")),
                 m_operator->name());
    }

    // A classifier's guard rules: its accuracy and log-loss thresholds in place of the MAE, saved and
    // audited like the others; a regression deployment's form shows the MAE and not them.
    void guardRulesOfAClassifier()
    {
        const QString dep = uniqueName(QStringLiteral("guicls"));
        QVERIFY(exec(*m_admin, QStringLiteral("INSERT INTO mldeck.deployments (name, task, classes) VALUES ('%1', "
                                              "'classification', ARRAY['no', 'yes'])")
                                   .arg(dep))
                    .ok());
        const QStringList classifierKeys{QStringLiteral("rollback_accuracy"), QStringLiteral("min_accuracy"),
                                         QStringLiteral("max_log_loss")};
        auto regression = openTabs(m_operator->endpoint(m_db->endpoint()));
        auto *plain = editorIn<ui::GuardRulesEditor>(*regression);
        regression->setCurrentWidget(plain);
        QTRY_VERIFY_WITH_TIMEOUT(plain->isLoaded(), kWaitMs);
        QVERIFY(plain->fieldWidget(QStringLiteral("max_mae"))->isVisible());
        for (const QString &key : classifierKeys)
            QVERIFY2(!plain->fieldWidget(key)->isVisible(), qPrintable(key));

        auto tabs = openTabs(m_operator->endpoint(m_db->endpoint()));
        tabs->setDeployment(dep);
        auto *editor = editorIn<ui::GuardRulesEditor>(*tabs);
        tabs->setCurrentWidget(editor);
        QTRY_VERIFY_WITH_TIMEOUT(editor->isLoaded() && !editor->isReadOnly() && editor->deployment() == dep, kWaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(editor->fieldWidget(QStringLiteral("min_accuracy"))->isVisible(), kWaitMs);
        QVERIFY(!editor->fieldWidget(QStringLiteral("max_mae"))->isVisible());
        QCOMPARE(qobject_cast<QLineEdit *>(editor->fieldWidget(QStringLiteral("min_accuracy")))->text(),
                 QStringLiteral("0.6"));
        typeInto(editor->fieldWidget(QStringLiteral("min_accuracy")), QStringLiteral("85")); // a percentage
        QVERIFY(!editor->fieldMessage(QStringLiteral("min_accuracy")).isEmpty());
        QVERIFY(!editor->saveButton()->isEnabled());
        typeInto(editor->fieldWidget(QStringLiteral("min_accuracy")), QStringLiteral("0.85"));
        typeInto(editor->fieldWidget(QStringLiteral("rollback_accuracy")), QStringLiteral("0.6"));
        typeInto(editor->fieldWidget(QStringLiteral("max_log_loss")), QStringLiteral("0.8"));
        saveScreenshot(tabs.get(), QStringLiteral("settings-guard-rules-classifier"));
        QSignalSpy saved(editor, &ui::SettingsEditor::saved);
        QTest::mouseClick(editor->saveButton(), Qt::LeftButton);
        QVERIFY(saved.wait(kWaitMs));
        const GuardRules stored = GuardStore(*m_admin).rules(dep).value();
        QCOMPARE(stored.minAccuracy, 0.85);
        QCOMPARE(stored.rollbackAccuracy, 0.6);
        QCOMPARE(stored.maxLogLoss, 0.8);
        QCOMPARE(test::queryValue(*m_admin,
                                  QStringLiteral("SELECT (after->>'min_accuracy') || '/' || (before->>'min_accuracy') "
                                                 "FROM mldeck.audit_log WHERE deployment = $1 AND action = "
                                                 "'guard.rules' ORDER BY id DESC LIMIT 1"),
                                  {dep}),
                 QStringLiteral("0.85/0.6"));
    }

    // How the guard's conditions combine, the advisory ones and a condition's hysteresis: refused
    // with their reasons (a mode that is none, a resolve threshold beyond the firing one, a
    // combination this regression deployment's conditions cannot meet), then saved.
    void guardRulesCombinationAndHysteresis()
    {
        const QString dep = uniqueName(QStringLiteral("guicomb"));
        QVERIFY(exec(*m_admin, QStringLiteral("INSERT INTO mldeck.deployments (name) VALUES ('%1')").arg(dep)).ok());
        auto tabs = openTabs(m_operator->endpoint(m_db->endpoint()));
        tabs->setDeployment(dep);
        auto *editor = editorIn<ui::GuardRulesEditor>(*tabs);
        tabs->setCurrentWidget(editor);
        QTRY_VERIFY_WITH_TIMEOUT(editor->isLoaded() && !editor->isReadOnly() && editor->deployment() == dep, kWaitMs);
        QCOMPARE(qobject_cast<QLineEdit *>(editor->fieldWidget(QStringLiteral("halve_combination")))->text(),
                 QStringLiteral("any"));
        QVERIFY(editor->fieldWidget(QStringLiteral("resolve_max_mae"))->isVisible());
        QVERIFY(!editor->fieldWidget(QStringLiteral("resolve_min_accuracy"))->isVisible()); // a classifier's

        typeInto(editor->fieldWidget(QStringLiteral("halve_combination")), QStringLiteral("most"));
        QVERIFY(editor->fieldMessage(QStringLiteral("halve_combination")).contains(QLatin1String("at-least-N")));
        QVERIFY(!editor->saveButton()->isEnabled());
        typeInto(editor->fieldWidget(QStringLiteral("halve_combination")), QStringLiteral("at-least-2"));
        typeInto(editor->fieldWidget(QStringLiteral("advisory")), QStringLiteral("nope"));
        QVERIFY(!editor->fieldMessage(QStringLiteral("advisory")).isEmpty());
        typeInto(editor->fieldWidget(QStringLiteral("advisory")), QStringLiteral("max_latency_p95_ms"));
        typeInto(editor->fieldWidget(QStringLiteral("resolve_max_mae")), QStringLiteral("3")); // above 2.5
        QVERIFY(!editor->isValid());
        QVERIFY(!editor->saveButton()->isEnabled());
        typeInto(editor->fieldWidget(QStringLiteral("resolve_max_mae")), QStringLiteral("2"));
        typeInto(editor->fieldWidget(QStringLiteral("keep_firing_max_mae")), QStringLiteral("300"));
        // A regression deployment halves on latency and MAE only: with latency advisory, "at least 2"
        // could never be met and the guard would never halve.
        QTRY_VERIFY(!editor->isValid());
        QVERIFY(!editor->saveButton()->isEnabled());
        typeInto(editor->fieldWidget(QStringLiteral("halve_combination")), QStringLiteral("at-least-1"));
        QVERIFY(editor->isValid());
        saveScreenshot(tabs.get(), QStringLiteral("settings-guard-rules-combination"));
        QSignalSpy saved(editor, &ui::SettingsEditor::saved);
        QTest::mouseClick(editor->saveButton(), Qt::LeftButton);
        QVERIFY(saved.wait(kWaitMs));

        const GuardRules stored = GuardStore(*m_admin).rules(dep).value();
        QCOMPARE(stored.halveCombination.mode, GateCombination::Mode::AtLeast);
        QCOMPARE(stored.halveCombination.atLeast, 1);
        QCOMPARE(stored.halveCombination.advisory, QStringList{QStringLiteral("max_latency_p95_ms")});
        QCOMPARE(stored.rollbackCombination.mode, GateCombination::Mode::Any);
        QCOMPARE(stored.hysteresis.size(), 1);
        QCOMPARE(*stored.hysteresis.value(QStringLiteral("max_mae")).resolveThreshold, 2.0);
        QCOMPARE(stored.hysteresis.value(QStringLiteral("max_mae")).keepFiringSeconds, 300);
    }

    void eachInvalidFieldIsRefusedAndNothingWritten_data()
    {
        QTest::addColumn<int>("tab"); // 0 KPI targets, 1 guard rules, 2 webhook
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("reason");
        // KPI targets (KpiTargets::fromJson's ranges)
        QTest::newRow("kpi mae 0") << 0 << "mae_max"
                                   << "0"
                                   << "Must be above 0.";
        QTest::newRow("kpi r2 1.2") << 0 << "r2_min"
                                    << "1.2"
                                    << "Must be at most 1.";
        QTest::newRow("kpi latency -5") << 0 << "latency_max_ms"
                                        << "-5"
                                        << "Must be above 0.";
        QTest::newRow("kpi error rate 2") << 0 << "error_rate_max"
                                          << "2"
                                          << "Must be a share from 0 to 1.";
        QTest::newRow("kpi uptime -0.1") << 0 << "uptime_min"
                                         << "-0.1"
                                         << "Must be a share from 0 to 1.";
        QTest::newRow("kpi anticipation 31") << 0 << "anticipation_minutes"
                                             << "31"
                                             << "Must be from 1 to 30 minutes.";
        QTest::newRow("kpi anticipation 2.5") << 0 << "anticipation_minutes"
                                              << "2.5"
                                              << "A whole number is needed.";
        QTest::newRow("kpi stretch mae 0") << 0 << "stretch_mae"
                                           << "0"
                                           << "Must be above 0.";
        QTest::newRow("kpi stretch r2 text") << 0 << "stretch_r2"
                                             << "high"
                                             << "\"high\" is not a number.";
        // Guard rules (mldeck.guard_rules CHECKs)
        QTest::newRow("guard error rate 0") << 1 << "rollback_error_rate"
                                            << "0"
                                            << "Must be a share above 0 and at most 1.";
        QTest::newRow("guard error rate 1.5") << 1 << "rollback_error_rate"
                                              << "1.5"
                                              << "Must be a share above 0 and at most 1.";
        QTest::newRow("guard latency 0") << 1 << "max_latency_p95_ms"
                                         << "0"
                                         << "Must be above 0.";
        QTest::newRow("guard mae -1") << 1 << "max_mae"
                                      << "-1"
                                      << "Must be above 0.";
        QTest::newRow("guard window 9") << 1 << "window_seconds"
                                        << "9"
                                        << "Must be from 10 to 86400.";
        QTest::newRow("guard window 86401") << 1 << "window_seconds"
                                            << "86401"
                                            << "Must be from 10 to 86400.";
        QTest::newRow("guard min samples 0") << 1 << "min_samples"
                                             << "0"
                                             << "Must be at least 1.";
        QTest::newRow("guard breaches 101") << 1 << "consecutive_breaches"
                                            << "101"
                                            << "Must be from 1 to 100.";
        QTest::newRow("guard breaches empty") << 1 << "consecutive_breaches"
                                              << ""
                                              << "A value is needed.";
        QTest::newRow("guard interval 0") << 1 << "interval_seconds"
                                          << "0"
                                          << "Must be from 1 to 3600.";
        // Webhook (mldeck.alert_webhooks: url ~ '^https?://')
        QTest::newRow("webhook ftp") << 2 << "url"
                                     << "ftp://hooks.example.com/x"
                                     << "The webhook URL must be an http:// or https:// address, not "
                                        "\"ftp://hooks.example.com/x\".";
        QTest::newRow("webhook empty") << 2 << "url"
                                       << ""
                                       << "A URL is needed.";
    }

    void eachInvalidFieldIsRefusedAndNothingWritten()
    {
        QFETCH(int, tab);
        QFETCH(QString, key);
        QFETCH(QString, text);
        QFETCH(QString, reason);
        auto tabs = openTabs(m_operator->endpoint(m_db->endpoint()));
        ui::SettingsEditor *editor = tabs->editors().at(tab);
        tabs->setCurrentWidget(editor);
        QTRY_VERIFY_WITH_TIMEOUT(editor->isLoaded() && !editor->isReadOnly(), kWaitMs);
        if (tab == 2) // a webhook first needs a valid URL to start from
            typeInto(editor->fieldWidget(QStringLiteral("url")), QStringLiteral("https://hooks.example.com/a"));
        const QString settingsBefore =
            scalar(QStringLiteral("SELECT settings::text FROM mldeck.deployments WHERE name = $1"));
        const QString rulesBefore = scalar(QStringLiteral("SELECT count(*) || coalesce(max(updated_at)::text, '') FROM "
                                                          "mldeck.guard_rules WHERE deployment = $1"));
        const QString auditBefore =
            scalar(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE deployment = $1"));

        typeInto(editor->fieldWidget(key), text);
        QCOMPARE(editor->fieldMessage(key), reason);
        auto *message = editor->findChild<QLabel *>(key + QStringLiteral("Message"));
        QVERIFY(message);
        QVERIFY(message->isVisible());
        QCOMPARE(message->text(), reason);
        QVERIFY(!editor->saveButton()->isEnabled());
        if (key == QLatin1String("window_seconds") && text == QLatin1String("9"))
            saveScreenshot(tabs.get(), QStringLiteral("settings-guard-rules-refused"));
        QSignalSpy saved(editor, &ui::SettingsEditor::saved);
        QTest::mouseClick(editor->saveButton(), Qt::LeftButton);
        QCOMPARE(saved.count(), 0); // a disabled Save sends nothing: the database is as it was
        QCOMPARE(scalar(QStringLiteral("SELECT settings::text FROM mldeck.deployments WHERE name = $1")),
                 settingsBefore);
        QCOMPARE(scalar(QStringLiteral("SELECT count(*) || coalesce(max(updated_at)::text, '') FROM mldeck.guard_rules "
                                       "WHERE deployment = $1")),
                 rulesBefore);
        QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM mldeck.audit_log WHERE deployment = $1")), auditBefore);
        QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM mldeck.alert_webhooks WHERE deployment = $1")),
                 QStringLiteral("0"));
    }

    void stretchTargetBeyondTheTargetIsRefused()
    {
        auto tabs = openTabs(m_operator->endpoint(m_db->endpoint()));
        auto *editor = editorIn<ui::KpiTargetsEditor>(*tabs);
        QTRY_VERIFY_WITH_TIMEOUT(editor->isLoaded() && !editor->isReadOnly(), kWaitMs);
        typeInto(editor->fieldWidget(QStringLiteral("stretch_mae")), QStringLiteral("9"));
        QVERIFY(editor->fieldMessage(QStringLiteral("stretch_mae")).isEmpty());
        auto *form = editor->findChild<QLabel *>(QStringLiteral("formMessage"));
        QVERIFY(form && form->isVisible());
        QCOMPARE(form->text(), QStringLiteral("The stretch MAE must not be above the MAE target."));
        QVERIFY(!editor->saveButton()->isEnabled());
        saveScreenshot(tabs.get(), QStringLiteral("settings-kpi-targets-refused"));
    }

    void revertRestoresTheLoadedValues()
    {
        auto tabs = openTabs(m_operator->endpoint(m_db->endpoint()));
        auto *editor = editorIn<ui::GuardRulesEditor>(*tabs);
        QTRY_VERIFY_WITH_TIMEOUT(editor->isLoaded() && !editor->isReadOnly(), kWaitMs);
        const auto loaded = editor->values();
        const int audit = auditRows(QStringLiteral("guard.rules"));
        typeInto(editor->fieldWidget(QStringLiteral("max_mae")), QStringLiteral("0"));
        typeInto(editor->fieldWidget(QStringLiteral("window_seconds")), QStringLiteral("600"));
        QTest::mouseClick(editor->fieldWidget(QStringLiteral("enabled")), Qt::LeftButton);
        QVERIFY(editor->isDirty());
        QVERIFY(editor->revertButton()->isEnabled());
        QTest::mouseClick(editor->revertButton(), Qt::LeftButton);
        QCOMPARE(editor->values(), loaded);
        QVERIFY(!editor->isDirty());
        QVERIFY(editor->fieldMessage(QStringLiteral("max_mae")).isEmpty());
        QVERIFY(!editor->saveButton()->isEnabled());
        QVERIFY(!editor->revertButton()->isEnabled());
        QCOMPARE(auditRows(QStringLiteral("guard.rules")), audit);
    }

    void viewerSeesEveryEditorReadOnlyWithTheReason()
    {
        auto tabs = openTabs(m_viewer->endpoint(m_db->endpoint()));
        auto *guard = editorIn<ui::GuardRulesEditor>(*tabs);
        tabs->setCurrentWidget(guard);
        const QString reason =
            QStringLiteral("Read-only: your role mldeck_viewer may not change guard rules; mldeck_operator may.");
        QTRY_COMPARE_WITH_TIMEOUT(guard->readOnlyReason(), reason, kWaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(!guard->values().value(QStringLiteral("max_mae")).isNull(), kWaitMs); // loaded
        auto *banner = guard->findChild<ui::InfoBar *>(QStringLiteral("settingsReadOnlyBanner"));
        QVERIFY(banner);
        QTRY_VERIFY(banner->isVisible());
        QCOMPARE(banner->text(), reason);
        QVERIFY(guard->isReadOnly());
        QVERIFY(!guard->fieldWidget(QStringLiteral("max_mae"))->isEnabled());
        QVERIFY(!guard->fieldWidget(QStringLiteral("enabled"))->isEnabled());
        QVERIFY(!guard->saveButton()->isEnabled());
        saveScreenshot(tabs.get(), QStringLiteral("settings-guard-rules-viewer"));

        auto *kpi = editorIn<ui::KpiTargetsEditor>(*tabs);
        QTRY_COMPARE_WITH_TIMEOUT(kpi->readOnlyReason(),
                                  QStringLiteral("Read-only: your role mldeck_viewer may not change KPI targets; "
                                                 "mldeck_operator or mldeck_scientist may."),
                                  kWaitMs);
        QVERIFY(!kpi->fieldWidget(QStringLiteral("mae_max"))->isEnabled());

        // The webhook's URL may hold a token: a viewer reads neither it nor the server's refusal.
        auto *hook = editorIn<ui::WebhookEditor>(*tabs);
        QTRY_VERIFY_WITH_TIMEOUT(!hook->status().isEmpty(), kWaitMs);
        QCOMPARE(hook->status(), QStringLiteral("Your role may not read the webhook's URL (it may hold a token)."));
        QVERIFY(!hook->readOnlyReason().isEmpty());
        QVERIFY(!hook->testButton()->isEnabled());
    }

    void aRefusedSaveChangesNothingAndKeepsTheInput()
    {
        // The viewer's form forced editable: the database has the last word, and the form keeps the input.
        auto tabs = openTabs(m_viewer->endpoint(m_db->endpoint()));
        auto *editor = editorIn<ui::GuardRulesEditor>(*tabs);
        QTRY_VERIFY_WITH_TIMEOUT(!editor->readOnlyReason().isEmpty(), kWaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(!editor->values().value(QStringLiteral("max_mae")).isNull(), kWaitMs);
        editor->setPermissions(RolePermissions::everything());
        QVERIFY(!editor->isReadOnly());
        const QString rulesBefore =
            scalar(QStringLiteral("SELECT row(r.*)::text FROM mldeck.guard_rules r WHERE deployment = $1"));
        const int audit = auditRows(QStringLiteral("guard.rules"));

        typeInto(editor->fieldWidget(QStringLiteral("max_mae")), QStringLiteral("4.5"));
        QSignalSpy failed(editor, &ui::SettingsEditor::failed);
        QTest::mouseClick(editor->saveButton(), Qt::LeftButton);
        QVERIFY(failed.wait(kWaitMs));
        QVERIFY2(editor->status().contains(QStringLiteral("nothing was changed")), qPrintable(editor->status()));
        QCOMPARE(qobject_cast<QLineEdit *>(editor->fieldWidget(QStringLiteral("max_mae")))->text(),
                 QStringLiteral("4.5"));
        QVERIFY(editor->isDirty());
        QCOMPARE(scalar(QStringLiteral("SELECT row(r.*)::text FROM mldeck.guard_rules r WHERE deployment = $1")),
                 rulesBefore);
        QCOMPARE(auditRows(QStringLiteral("guard.rules")), audit);
    }

    void webhookSavesAndSendsATest()
    {
        HookReceiver receiver;
        QVERIFY(receiver.listen(QHostAddress::LocalHost));
        const QString url = QStringLiteral("http://127.0.0.1:%1/hook/secret-token").arg(receiver.serverPort());
        auto tabs = openTabs(m_operator->endpoint(m_db->endpoint()));
        auto *editor = editorIn<ui::WebhookEditor>(*tabs);
        tabs->setCurrentWidget(editor);
        QTRY_VERIFY_WITH_TIMEOUT(editor->isLoaded() && !editor->isReadOnly(), kWaitMs);
        QVERIFY(!editor->testButton()->isEnabled()); // nothing stored yet
        QVERIFY(!editor->isDirty());                 // an empty URL to fill in is not a change
        QCOMPARE(editor->fieldMessage(QStringLiteral("url")), QStringLiteral("A URL is needed."));

        typeInto(editor->fieldWidget(QStringLiteral("url")), url);
        QSignalSpy saved(editor, &ui::SettingsEditor::saved);
        QTest::mouseClick(editor->saveButton(), Qt::LeftButton);
        QVERIFY(saved.wait(kWaitMs));
        QCOMPARE(
            scalar(QStringLiteral("SELECT url || ' ' || enabled FROM mldeck.alert_webhooks WHERE deployment = $1")),
            url + QStringLiteral(" true"));
        QCOMPARE(auditRows(QStringLiteral("alert_webhook.set")), 1);
        QVERIFY(!lastAudit(QStringLiteral("alert_webhook.set"), "after")
                     .value(QStringLiteral("url"))
                     .toString()
                     .contains(QStringLiteral("secret-token")));

        QVERIFY(editor->testButton()->isEnabled());
        QTest::mouseClick(editor->testButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(editor->status(), QStringLiteral("Test delivered (HTTP 200)."), kWaitMs);
        QCOMPARE(receiver.requests, 1);
        QCOMPARE(scalar(QStringLiteral("SELECT count(*) FROM mldeck.webhook_deliveries WHERE deployment = $1 AND "
                                       "event = 'test' AND delivered")),
                 QStringLiteral("1"));
    }

    void runningGuardAppliesAnEditedRuleWithinOneRound()
    {
        RolloutFixture f;
        QString why;
        QVERIFY2(f.setUp(&why, 50), qPrintable(why));
        // A 35 % error rate under a 50 % threshold: the guard watches and does nothing.
        GuardRules rules;
        rules.rollbackErrorRate = 0.5;
        rules.consecutiveBreaches = 1;
        QVERIFY(GuardStore(*f.pg).saveRules(f.deployment, rules, Actor::current(), QStringLiteral("test")).ok());
        QVERIFY(f.logPredictions(200, 0.35, 100, 1.0));

        GuardRunnerOptions options;
        options.redis = TestServers::redis();
        options.pg = f.db->endpoint();
        options.deployments = {f.deployment};
        options.intervalMs = 300;
        options.scope = uniqueName(QStringLiteral("settings"));
        auto job = std::make_unique<RolloutGuardJob>();
        job->setSpoolDirectory(f.spool());
        std::vector<std::unique_ptr<GuardJob>> jobs;
        jobs.push_back(std::move(job));
        GuardRunner runner(options, std::move(jobs));
        std::atomic<bool> stop{false};
        std::atomic<int> rounds{0};
        QMutex mutex;
        QStringList errors;
        std::thread guard([&] {
            runner.run(stop, [&](const GuardRunner::Round &round) {
                if (!round.leader)
                    return;
                QMutexLocker lock(&mutex);
                errors << round.errors;
                ++rounds;
            });
        });
        const auto stopGuard = qScopeGuard([&] {
            stop = true;
            guard.join();
        });

        QTRY_VERIFY_WITH_TIMEOUT(rounds >= 2, kWaitMs);
        QVERIFY(f.state().mlEnabled);
        QCOMPARE(f.auditRows(QStringLiteral("action = 'guard.rollback'")), 0);

        // The user lowers the threshold under the error rate in the open editor.
        ui::SettingsTabs tabs(nullptr);
        tabs.show();
        tabs.setEndpoint(f.db->endpoint());
        tabs.setDeployment(f.deployment);
        auto *editor = editorIn<ui::GuardRulesEditor>(tabs);
        QTRY_VERIFY_WITH_TIMEOUT(!editor->isReadOnly(), kWaitMs);
        QCOMPARE(editor->value(QStringLiteral("rollback_error_rate")).toDouble(), 0.5);
        typeInto(editor->fieldWidget(QStringLiteral("rollback_error_rate")), QStringLiteral("0.3"));
        QSignalSpy saved(editor, &ui::SettingsEditor::saved);
        QTest::mouseClick(editor->saveButton(), Qt::LeftButton);
        QVERIFY(saved.wait(kWaitMs));
        const int roundsAtSave = rounds;

        // The round under way may have read the old rules; the next one starts after the save.
        QTRY_VERIFY_WITH_TIMEOUT(rounds >= roundsAtSave + 2, kWaitMs);
        QVERIFY(!f.state().mlEnabled);
        QCOMPARE(f.auditRows(QStringLiteral("action = 'guard.rollback'")), 1);
        QMutexLocker lock(&mutex);
        QVERIFY2(errors.isEmpty(), qPrintable(errors.join(QLatin1Char('\n'))));
    }

    void cleanupTestCase()
    {
        m_admin.reset();
        m_db.reset();
        m_operator.reset();
        m_viewer.reset();
    }
};

QTEST_MAIN(TestGuiSettings)
#include "test_gui_settings.moc"

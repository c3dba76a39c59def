// The Audit page's pure parts, without servers: what a row links to (AuditLink::of) and the kind choices
// offered by the filter bar (families first, then their actions).
#include "core/rollout/AuditRecord.h"
#include "ui/pages/audit/AuditFilterBar.h"
#include "ui/pages/audit/AuditLink.h"

#include <QJsonObject>
#include <QtTest>

using namespace mldeck;
using ui::AuditLink;

namespace {

AuditEntry entry(const QString &action, const QString &deployment, std::optional<QJsonObject> before,
                 std::optional<QJsonObject> after)
{
    AuditEntry e;
    e.id = 42;
    e.action = action;
    e.deployment = deployment;
    e.before = std::move(before);
    e.after = std::move(after);
    e.at = QDateTime(QDate(2026, 12, 7), QTime(8, 30), Qt::UTC);
    return e;
}

} // namespace

class TestAuditPageParts final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void modelRowsLinkToTheirVersion()
    {
        const QJsonObject v7{{QStringLiteral("name"), QStringLiteral("eta-mlp")},
                             {QStringLiteral("version"), QStringLiteral("7")}};
        const AuditLink promote = AuditLink::of(entry(QStringLiteral("model.promote"), QStringLiteral("eta"), {}, v7));
        QCOMPARE(promote.target, AuditLink::Target::ModelVersion);
        QCOMPARE(promote.deployment, QStringLiteral("eta"));
        QCOMPARE(promote.version, QStringLiteral("7"));
        QCOMPARE(promote.label(), QStringLiteral("Open model version 7"));
        // A side that is gone keeps the version on the other one.
        const AuditLink removed = AuditLink::of(entry(QStringLiteral("model.archive"), QStringLiteral("eta"), v7, {}));
        QCOMPARE(removed.version, QStringLiteral("7"));
        // A model row that names no version falls back to the moment on the dashboard.
        const AuditLink unnamed =
            AuditLink::of(entry(QStringLiteral("model.register"), QStringLiteral("eta"), {}, QJsonObject{}));
        QCOMPARE(unnamed.target, AuditLink::Target::DashboardMoment);
    }

    void alertRowsLinkToTheirAlert()
    {
        const AuditLink ack =
            AuditLink::of(entry(QStringLiteral("alert.acknowledge"), QStringLiteral("eta"),
                                QJsonObject{{QStringLiteral("id"), 12}}, QJsonObject{{QStringLiteral("id"), 12}}));
        QCOMPARE(ack.target, AuditLink::Target::Alert);
        QCOMPARE(ack.alertId, 12);
        const AuditLink noId = AuditLink::of(entry(QStringLiteral("alert.silence"), QStringLiteral("eta"), {}, {}));
        QCOMPARE(noId.target, AuditLink::Target::DashboardMoment);
    }

    void otherRowsLinkToTheirMomentAndGlobalRowsToNothing()
    {
        const AuditEntry flags = entry(QStringLiteral("flags.apply"), QStringLiteral("eta"), {}, {});
        const AuditLink moment = AuditLink::of(flags);
        QCOMPARE(moment.target, AuditLink::Target::DashboardMoment);
        QCOMPARE(moment.at, flags.at);
        const AuditLink global = AuditLink::of(entry(QStringLiteral("webhook.set"), QString(), {}, {}));
        QCOMPARE(global.target, AuditLink::Target::None);
        QVERIFY(global.label().isEmpty());
    }

    void kindChoicesAreFamiliesThenTheirActions()
    {
        const QStringList actions = {QStringLiteral("flags.rollback"), QStringLiteral("model.promote"),
                                     QStringLiteral("flags.apply"), QStringLiteral("flags.apply"),
                                     QStringLiteral("plan.advance.override")};
        QCOMPARE(ui::AuditFilterBar::kindChoices(actions),
                 (QStringList{QStringLiteral("flags"), QStringLiteral("flags.apply"), QStringLiteral("flags.rollback"),
                              QStringLiteral("model"), QStringLiteral("model.promote"), QStringLiteral("plan"),
                              QStringLiteral("plan.advance.override")}));
        QVERIFY(ui::AuditFilterBar::kindChoices({}).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestAuditPageParts)
#include "test_audit_page_parts.moc"

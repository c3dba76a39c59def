// SettingsEditor's own logic, on an editor whose "server" is a map in memory: what a field accepts,
// when Save and Revert are enabled, what a failed save leaves behind.
#include "ui/settings/SettingsEditor.h"

#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QtTest>

using namespace mldeck;
using namespace mldeck::ui;

namespace {

// Loads and saves answer at once from `stored`; `refuse` makes the next save fail.
class MemoryEditor final : public SettingsEditor
{
public:
    explicit MemoryEditor(QWidget *parent = nullptr)
        : SettingsEditor(SettingsArea::GuardRules, QStringLiteral("t"), parent)
    {
        addInteger(QStringLiteral("count"), QStringLiteral("Count"),
                   [](qint64 v) { return v >= 1 && v <= 100 ? QString() : QStringLiteral("from 1 to 100"); });
        addReal(QStringLiteral("share"), QStringLiteral("Share"),
                [](double v) { return v > 0 && v <= 1 ? QString() : QStringLiteral("above 0, at most 1"); });
        addReal(QStringLiteral("limit"), QStringLiteral("Limit"), {}, {}, true); // optional
        addText(QStringLiteral("name"), QStringLiteral("Name"),
                [](const QString &s) { return s.isEmpty() ? QStringLiteral("needed") : QString(); });
        addBool(QStringLiteral("on"), QStringLiteral("On"));
        addChoice(QStringLiteral("mode"), QStringLiteral("Mode"),
                  {{QStringLiteral("Fast"), QStringLiteral("fast")}, {QStringLiteral("Slow"), QStringLiteral("slow")}});
    }

    Values stored{{QStringLiteral("count"), qlonglong(3)},
                  {QStringLiteral("share"), 0.3},
                  {QStringLiteral("limit"), QVariant()},
                  {QStringLiteral("name"), QStringLiteral("alpha")},
                  {QStringLiteral("on"), true},
                  {QStringLiteral("mode"), QStringLiteral("slow")}};
    QString refuse;
    int saves = 0;

protected:
    QString checkForm(const Values &v) const override
    {
        // A rule over two fields: a limit, when given, is at least the count.
        if (!v.value(QStringLiteral("limit")).isNull() && !v.value(QStringLiteral("count")).isNull() &&
            v.value(QStringLiteral("limit")).toDouble() < v.value(QStringLiteral("count")).toDouble())
            return QStringLiteral("limit below count");
        return {};
    }
    void applyEndpoint(const std::optional<PgEndpoint> &) override {}
    void load(const QString &deployment) override { setLoaded(deployment, stored); }
    void save(const QString &, const Values &values) override
    {
        ++saves;
        if (!refuse.isEmpty()) {
            setSaveFailed(refuse);
            return;
        }
        stored = values;
        setSaved(values);
    }
};

QLineEdit *line(MemoryEditor &e, const char *key)
{
    return qobject_cast<QLineEdit *>(e.fieldWidget(QLatin1String(key)));
}

void type(QLineEdit *edit, const QString &text)
{
    edit->selectAll();
    if (text.isEmpty())
        QTest::keyClick(edit, Qt::Key_Backspace);
    else
        QTest::keyClicks(edit, text);
}

} // namespace

class TestSettingsEditor final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void loadsWithSaveAndRevertDisabled()
    {
        MemoryEditor e;
        QVERIFY(e.isReadOnly()); // nothing loaded yet
        e.setDeployment(QStringLiteral("d"));
        QVERIFY(!e.isReadOnly());
        QCOMPARE(line(e, "count")->text(), QStringLiteral("3"));
        QCOMPARE(line(e, "share")->text(), QStringLiteral("0.3"));
        QCOMPARE(line(e, "limit")->text(), QString());
        QCOMPARE(e.value(QStringLiteral("mode")).toString(), QStringLiteral("slow"));
        QVERIFY(!e.isDirty());
        QVERIFY(e.isValid());
        QVERIFY(!e.saveButton()->isEnabled());
        QVERIFY(!e.revertButton()->isEnabled());
    }

    void fieldRefusesWithItsReason_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("reason");
        QTest::newRow("not a number") << "count"
                                      << "abc"
                                      << "\"abc\" is not a number.";
        QTest::newRow("not whole") << "count"
                                   << "2.5"
                                   << "A whole number is needed.";
        QTest::newRow("empty required") << "count"
                                        << ""
                                        << "A value is needed.";
        QTest::newRow("integer range") << "count"
                                       << "101"
                                       << "from 1 to 100";
        QTest::newRow("real range") << "share"
                                    << "1.01"
                                    << "above 0, at most 1";
        QTest::newRow("real zero") << "share"
                                   << "0"
                                   << "above 0, at most 1";
        QTest::newRow("optional not a number") << "limit"
                                               << "x"
                                               << "\"x\" is not a number.";
        QTest::newRow("text") << "name"
                              << ""
                              << "needed";
    }

    void fieldRefusesWithItsReason()
    {
        QFETCH(QString, key);
        QFETCH(QString, text);
        QFETCH(QString, reason);
        MemoryEditor e;
        e.setDeployment(QStringLiteral("d"));
        auto *edit = qobject_cast<QLineEdit *>(e.fieldWidget(key));
        QVERIFY(edit);
        type(edit, text);
        QCOMPARE(e.fieldMessage(key), reason);
        auto *message = e.findChild<QLabel *>(key + QStringLiteral("Message"));
        QVERIFY(message);
        QCOMPARE(message->text(), reason);
        QVERIFY(!message->isHidden());
        QVERIFY(!e.isValid());
        QVERIFY(e.isDirty());
        QVERIFY(!e.saveButton()->isEnabled());
        QTest::mouseClick(e.saveButton(), Qt::LeftButton);
        QCOMPARE(e.saves, 0);
        QVERIFY(e.revertButton()->isEnabled());
    }

    void acceptsBoundsAndBothDecimalForms()
    {
        MemoryEditor e;
        e.setDeployment(QStringLiteral("d"));
        type(line(e, "count"), QStringLiteral("100"));
        type(line(e, "share"), QStringLiteral("1"));
        type(line(e, "limit"), QStringLiteral("100.5"));
        QVERIFY2(e.isValid(), qPrintable(e.fieldMessage(QStringLiteral("share"))));
        QCOMPARE(e.value(QStringLiteral("count")).toLongLong(), 100);
        QCOMPARE(e.value(QStringLiteral("limit")).toDouble(), 100.5);
        type(line(e, "limit"), QString()); // optional: empty is "not set"
        QVERIFY(e.isValid());
        QVERIFY(e.value(QStringLiteral("limit")).isNull());
    }

    void formRuleBlocksSave()
    {
        MemoryEditor e;
        e.setDeployment(QStringLiteral("d"));
        type(line(e, "limit"), QStringLiteral("2"));
        QVERIFY(!e.isValid());
        QVERIFY(!e.saveButton()->isEnabled());
        auto *form = e.findChild<QLabel *>(QStringLiteral("formMessage"));
        QVERIFY(form);
        QCOMPARE(form->text(), QStringLiteral("limit below count"));
        type(line(e, "limit"), QStringLiteral("3"));
        QVERIFY(e.isValid());
        QVERIFY(e.saveButton()->isEnabled());
    }

    void saveMakesTheFormClean()
    {
        MemoryEditor e;
        e.setDeployment(QStringLiteral("d"));
        QSignalSpy saved(&e, &SettingsEditor::saved);
        type(line(e, "count"), QStringLiteral("7"));
        qobject_cast<QCheckBox *>(e.fieldWidget(QStringLiteral("on")))->setChecked(false);
        QVERIFY(e.saveButton()->isEnabled());
        QTest::mouseClick(e.saveButton(), Qt::LeftButton);
        QCOMPARE(saved.count(), 1);
        QCOMPARE(e.saves, 1);
        QCOMPARE(e.stored.value(QStringLiteral("count")).toLongLong(), 7);
        QCOMPARE(e.stored.value(QStringLiteral("on")).toBool(), false);
        QCOMPARE(e.status(), QStringLiteral("Saved."));
        QVERIFY(!e.isDirty());
        QVERIFY(!e.saveButton()->isEnabled());
    }

    void revertPutsBackTheLoadedValues()
    {
        MemoryEditor e;
        e.setDeployment(QStringLiteral("d"));
        QSignalSpy dirty(&e, &SettingsEditor::dirtyChanged);
        type(line(e, "share"), QStringLiteral("5"));
        qobject_cast<QComboBox *>(e.fieldWidget(QStringLiteral("mode")))->setCurrentIndex(0);
        QVERIFY(e.isDirty());
        QCOMPARE(dirty.count(), 1);
        QTest::mouseClick(e.revertButton(), Qt::LeftButton);
        QCOMPARE(line(e, "share")->text(), QStringLiteral("0.3"));
        QCOMPARE(e.value(QStringLiteral("mode")).toString(), QStringLiteral("slow"));
        QVERIFY(!e.isDirty());
        QVERIFY(e.fieldMessage(QStringLiteral("share")).isEmpty());
        QCOMPARE(dirty.count(), 2);
        QCOMPARE(e.saves, 0);
    }

    void failedSaveKeepsTheInput()
    {
        MemoryEditor e;
        e.setDeployment(QStringLiteral("d"));
        e.refuse = QStringLiteral("permission denied");
        QSignalSpy failed(&e, &SettingsEditor::failed);
        type(line(e, "count"), QStringLiteral("9"));
        QTest::mouseClick(e.saveButton(), Qt::LeftButton);
        QCOMPARE(failed.count(), 1);
        QCOMPARE(e.status(), QStringLiteral("permission denied"));
        QCOMPARE(line(e, "count")->text(), QStringLiteral("9"));
        QVERIFY(e.isDirty());
        QVERIFY(e.saveButton()->isEnabled()); // the user may try again
        QCOMPARE(e.stored.value(QStringLiteral("count")).toLongLong(), 3);
    }

    void permissionsMakeItReadOnly()
    {
        MemoryEditor e;
        e.setDeployment(QStringLiteral("d"));
        e.setPermissions(RolePermissions::everything(QStringLiteral("alice")));
        QVERIFY(!e.isReadOnly());
        QVERIFY(e.readOnlyReason().isEmpty());
        QVERIFY(line(e, "count")->isEnabled());
    }
};

QTEST_MAIN(TestSettingsEditor)
#include "test_settings_editor.moc"

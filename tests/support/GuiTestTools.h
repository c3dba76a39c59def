#pragma once

#include <QLineEdit>
#include <QString>
#include <QWidget>
#include <QtTest>

// What GUI tests do to widgets beyond clicking them.
namespace mldeck::test {

// Replaces a line edit's text by typing, as a user does (an empty text: select all, Backspace).
inline void typeInto(QWidget *widget, const QString &text)
{
    auto *edit = qobject_cast<QLineEdit *>(widget);
    QVERIFY2(edit, "not a line edit");
    edit->selectAll();
    if (text.isEmpty())
        QTest::keyClick(edit, Qt::Key_Backspace);
    else
        QTest::keyClicks(edit, text);
}

// With MLDECK_TEST_SCREENSHOT_DIR set, saves the widget as <name>.png there (to look at it).
inline void saveScreenshot(QWidget *widget, const QString &name)
{
    const QString dir = qEnvironmentVariable("MLDECK_TEST_SCREENSHOT_DIR");
    if (!dir.isEmpty())
        widget->grab().save(dir + QLatin1Char('/') + name + QStringLiteral(".png"));
}

} // namespace mldeck::test

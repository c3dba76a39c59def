// FormGrid, the house's form whose rows come and go: a hidden row takes its label with it and leaves no gap,
// a mnemonic focuses its field, fields widen as the growth policy says, the rows stay at the top of a tall
// form, and rows hidden while word-wrapped messages appear and disappear keep their places (the case that
// made Qt 6.4.2's QFormLayout write past its own arrays).
#include "ui/widgets/FormGrid.h"

#include <QApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QtTest>

using namespace mldeck::ui;

class TestFormGrid : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void aHiddenRowTakesItsLabelAndLeavesNoGap()
    {
        QWidget host;
        auto *form = new FormGrid(&host);
        auto *first = new QLineEdit;
        auto *second = new QLineEdit;
        auto *third = new QLineEdit;
        QLabel *firstLabel = form->addRow(QStringLiteral("&First:"), first);
        QLabel *secondLabel = form->addRow(QStringLiteral("Second:"), second);
        form->addRow(QStringLiteral("Third:"), third);
        host.resize(400, 300);
        host.show();
        QVERIFY(QTest::qWaitForWindowExposed(&host));
        QCOMPARE(firstLabel->buddy(), first);
        const int heightWithAll = form->sizeHint().height();

        form->setRowVisible(second, false);
        QVERIFY(!second->isVisible());
        QVERIFY(!secondLabel->isVisible());
        form->activate();
        QVERIFY(form->sizeHint().height() < heightWithAll);
        // The third row moves up into the second's place.
        QVERIFY2(third->geometry().top() < first->geometry().bottom() + second->height(),
                 qPrintable(QStringLiteral("third at %1, first ends at %2")
                                .arg(third->geometry().top())
                                .arg(first->geometry().bottom())));

        form->setRowVisible(second, true);
        QVERIFY(second->isVisible() && secondLabel->isVisible());
        form->activate();
        QCOMPARE(form->sizeHint().height(), heightWithAll);
        QVERIFY(second->geometry().top() > first->geometry().bottom());
        QVERIFY(third->geometry().top() > second->geometry().bottom());
    }

    void aWholeRowSpansBothColumnsAndHides()
    {
        QWidget host;
        auto *form = new FormGrid(&host);
        auto *heading = new QLabel(QStringLiteral("Images"));
        form->addRow(heading);
        form->addRow(QStringLiteral("Folder:"), new QLineEdit);
        host.resize(400, 200);
        host.show();
        QVERIFY(QTest::qWaitForWindowExposed(&host));
        QCOMPARE(heading->geometry().left(), form->contentsRect().left());
        form->setRowVisible(heading, false);
        QVERIFY(!heading->isVisible());
    }

    void fieldsGrowAsThePolicySays()
    {
        for (const auto policy : {QFormLayout::FieldsStayAtSizeHint, QFormLayout::AllNonFixedFieldsGrow}) {
            QWidget host;
            auto *form = new FormGrid(&host, policy);
            auto *edit = new QLineEdit;
            form->addRow(QStringLiteral("Name:"), edit);
            host.resize(800, 100);
            host.show();
            QVERIFY(QTest::qWaitForWindowExposed(&host));
            if (policy == QFormLayout::FieldsStayAtSizeHint)
                QCOMPARE(edit->width(), edit->sizeHint().width());
            else
                QVERIFY(edit->width() > 2 * edit->sizeHint().width());
        }
    }

    void rowsStayAtTheTopOfATallForm()
    {
        QWidget host;
        auto *form = new FormGrid(&host);
        auto *first = new QLineEdit;
        auto *second = new QLineEdit;
        form->addRow(QStringLiteral("First:"), first);
        form->addRow(QStringLiteral("Second:"), second);
        host.resize(400, 900);
        host.show();
        QVERIFY(QTest::qWaitForWindowExposed(&host));
        // Rows keep their natural spacing: the extra height stays below them.
        QVERIFY(second->geometry().top() - first->geometry().bottom() < first->height());
        QVERIFY(second->geometry().bottom() < 300);
    }

    // Rows hidden and shown while a word-wrapped message beside a field appears and disappears, at several
    // widths: every visible row keeps its own band, in order, without overlapping the next.
    void hiddenRowsAndWrappedMessagesKeepTheirPlaces()
    {
        QWidget host;
        auto *form = new FormGrid(&host);
        form->setLabelAlignment(Qt::AlignRight);
        QList<QWidget *> rows;
        QList<QLabel *> messages;
        for (int i = 0; i < 8; ++i) {
            auto *row = new QWidget;
            auto *layout = new QHBoxLayout(row);
            layout->setContentsMargins(0, 0, 0, 0);
            layout->addWidget(new QLineEdit, 0, Qt::AlignLeft);
            auto *message = new QLabel;
            message->setWordWrap(true);
            message->hide();
            layout->addWidget(message, 1);
            form->addRow(QStringLiteral("Field %1:").arg(i), row);
            rows.append(row);
            messages.append(message);
        }
        host.show();
        QVERIFY(QTest::qWaitForWindowExposed(&host));
        for (int round = 0; round < 12; ++round) {
            for (int i = 4; i < 8; ++i)
                form->setRowVisible(rows[i], round % 2 == 1);
            form->setRowVisible(rows[2], round % 3 != 0);
            for (int i = 0; i < messages.size(); ++i) {
                const bool on = (round + i) % 2 == 1;
                messages[i]->setText(on ? QStringLiteral("a message long enough to wrap when the form is narrow, "
                                                         "round %1")
                                              .arg(round)
                                        : QString());
                messages[i]->setVisible(on);
            }
            host.resize(360 + 60 * (round % 6), 500);
            form->activate();
            int previousBottom = -1;
            for (QWidget *row : std::as_const(rows)) {
                if (!row->isVisible())
                    continue;
                QVERIFY2(row->geometry().top() > previousBottom,
                         qPrintable(QStringLiteral("round %1: a row starts at %2, the one above ends at %3")
                                        .arg(round)
                                        .arg(row->geometry().top())
                                        .arg(previousBottom)));
                previousBottom = row->geometry().bottom();
            }
        }
    }
};

QTEST_MAIN(TestFormGrid)
#include "test_form_grid.moc"

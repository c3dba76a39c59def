// A French session shows French. The embedded catalogue is installed the way mldeck and mldeckctl
// install it, and a sample of each module's strings is looked up through the module's own tr, that
// is under the context the code really uses at run time. The catalogue being complete (the other
// test) is not enough: a string filed by lupdate under one context and looked up under another
// stays English. So the sources are also scanned: every context they name must be in the
// catalogue, and no file may translate through a free tr() function, whose strings lupdate files
// under the enclosing namespace whatever context the function looks up.
#include "app/mldeckctl/Text.h"
#include "core/Text.h"
#include "core/ml/ModelRunner.h"
#include "translations/Translations.h"
#include "ui/MainWindow.h"
#include "ui/pages/AlertsDriftPage.h"
#include "ui/pages/AuditPage.h"
#include "ui/pages/DashboardPage.h"
#include "ui/pages/RetrainPage.h"
#include "ui/pages/RolloutPage.h"
#include "ui/pages/models/RegistryView.h"
#include "ui/pages/retrain/RetrainFormat.h"
#include "ui/reports/KpiReportPages.h"

#include <QDirIterator>
#include <QFile>
#include <QRegularExpression>
#include <QSet>
#include <QTest>
#include <QXmlStreamReader>

namespace {

struct Sample
{
    const char *module;
    QString looked; // what the module's tr gives in a French session
    const char *source;
};

// The module's own tr, then the English it was given.
#define MLDECK_SAMPLE(module, trFunction, text)                                                                        \
    Sample                                                                                                             \
    {                                                                                                                  \
        module, trFunction(text), text                                                                                 \
    }

// context -> source texts of the committed French catalogue.
QHash<QString, QSet<QString>> catalogue(QString *error)
{
    QHash<QString, QSet<QString>> out;
    QFile file(QStringLiteral(MLDECK_FR_TS));
    if (!file.open(QIODevice::ReadOnly)) {
        *error = file.errorString();
        return out;
    }
    QXmlStreamReader xml(&file);
    QString context;
    while (!xml.atEnd()) {
        xml.readNext();
        if (!xml.isStartElement())
            continue;
        if (xml.name() == QLatin1String("name"))
            context = xml.readElementText();
        else if (xml.name() == QLatin1String("source"))
            out[context].insert(xml.readElementText());
    }
    if (xml.hasError())
        *error = xml.errorString();
    return out;
}

struct SourceFile
{
    QString path; // relative to the source dir
    QString text;
};

QList<SourceFile> sources()
{
    QList<SourceFile> out;
    const QString root = QStringLiteral(MLDECK_SOURCE_DIR);
    for (const char *dir : {"core", "ui", "app"}) {
        QDirIterator it(root + QLatin1Char('/') + QLatin1String(dir), {QStringLiteral("*.cpp"), QStringLiteral("*.h")},
                        QDir::Files, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            QFile f(it.next());
            if (f.open(QIODevice::ReadOnly))
                out.push_back({f.fileName().mid(root.size() + 1), QString::fromUtf8(f.readAll())});
        }
    }
    return out;
}

QString cUnescape(QString s)
{
    return s.replace(QLatin1String("\\\""), QLatin1String("\"")).replace(QLatin1String("\\\\"), QLatin1String("\\"));
}

} // namespace

class TestFrenchAtRunTime final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QCOMPARE(mldeck::installTranslators(*QCoreApplication::instance(), QStringLiteral("fr")), QStringLiteral("fr"));
    }

    void eachModuleSpeaksFrench_data()
    {
        using namespace mldeck;
        QTest::addColumn<QString>("looked");
        QTest::addColumn<QString>("source");
        const Sample samples[] = {
            MLDECK_SAMPLE("core config", ConfigText::tr, "The profile needs a name."),
            MLDECK_SAMPLE("core domain", DomainText::tr, "failure rate"),
            MLDECK_SAMPLE("core stores", StoreText::tr, "There is no deployment \"%1\"."),
            MLDECK_SAMPLE("core stores (what failed)", StoreText::tr, "reading the audit log"),
            MLDECK_SAMPLE("core ml", MlText::tr, "%1: \"%2\" is not a finite number."),
            MLDECK_SAMPLE("core ml ModelRunner", ModelRunner::tr, "No model file given."),
            MLDECK_SAMPLE("core stats", StatsText::tr,
                          "\"%1\" is not a duration: use a whole number with s, m, h or d, e.g. 30s or 10m."),
            MLDECK_SAMPLE("core rollout", RolloutText::tr, "Cannot create the audit spool directory %1."),
            MLDECK_SAMPLE("core simulator", SimulatorText::tr, "Cannot read the champion: %1"),
            MLDECK_SAMPLE("core services", ServiceText::tr, "Give 1 to 4 models (got %1)."),
            MLDECK_SAMPLE("core services (retrain)", ServiceText::tr,
                          "Bootstrap resamples must be between 100 and 100000."),
            MLDECK_SAMPLE("mldeckctl", cli::Text::tr, "Read and change the rollout flags of a deployment."),
            MLDECK_SAMPLE("mldeckctl options", cli::Text::tr, "Print machine-readable JSON."),
            MLDECK_SAMPLE("main window", ui::MainWindow::tr, "System language"),
            MLDECK_SAMPLE("Dashboard page", ui::DashboardPage::tr, "Last day as PDF…"),
            MLDECK_SAMPLE("Rollout page", ui::RolloutPage::tr, "INVALID flags (%1)"),
            MLDECK_SAMPLE("Alerts & Drift page", ui::AlertsDriftPage::tr, "Alerts could not be read: %1"),
            MLDECK_SAMPLE("Models page", ui::RegistryView::tr, "Promote to champion"),
            MLDECK_SAMPLE("Retrain page", ui::RetrainPage::tr, "Cannot read the deployments: %1"),
            MLDECK_SAMPLE("Retrain page helpers", ui::retrainfmt::Text::tr, "from champion"),
            MLDECK_SAMPLE("Audit page", ui::AuditPage::tr, "Who changed what, and when."),
            MLDECK_SAMPLE("KPI report", ui::KpiReportPages::tr, "Alerts of the period"),
        };
        for (const Sample &s : samples)
            QTest::newRow(s.module) << s.looked << QString::fromUtf8(s.source);
    }

    void eachModuleSpeaksFrench()
    {
        QFETCH(QString, looked);
        QFETCH(QString, source);
        QVERIFY2(!looked.trimmed().isEmpty(), qPrintable(source));
        QVERIFY2(looked != source, qPrintable(QStringLiteral("still English in a French session: \"%1\"").arg(source)));
    }

    // Every translation context the code names is one the catalogue has, and a string named
    // with its context literally is filed under that context.
    void everyContextOfTheSourcesIsInTheCatalogue()
    {
        QString error;
        const auto known = catalogue(&error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        const QRegularExpression declared(QStringLiteral(R"(Q_DECLARE_TR_FUNCTIONS\(\s*([\w:]+)\s*\))"));
        const QRegularExpression literal(QStringLiteral("(?:QCoreApplication::translate|QT_TRANSLATE_NOOP3?)\\(\\s*\"(["
                                                        "^\"]+)\",\\s*\"((?:[^\"\\\\]|\\\\.)*)\"\\s*[,)]"));
        const QRegularExpression named(QStringLiteral("QCoreApplication::translate\\(\\s*\"([^\"]+)\""));
        QStringList wrong;
        int seen = 0;
        for (const SourceFile &f : sources()) {
            for (auto it = declared.globalMatch(f.text); it.hasNext(); ++seen) {
                const QString context = it.next().captured(1);
                if (!known.contains(context))
                    wrong << QStringLiteral("%1: context %2 is not in the catalogue (or nothing is translated "
                                            "through it: then remove the declaration)")
                                 .arg(f.path, context);
            }
            for (auto it = named.globalMatch(f.text); it.hasNext(); ++seen) {
                const QString context = it.next().captured(1);
                if (!known.contains(context))
                    wrong << QStringLiteral("%1: context %2 is not in the catalogue").arg(f.path, context);
            }
            for (auto it = literal.globalMatch(f.text); it.hasNext(); ++seen) {
                const auto m = it.next();
                const QString context = m.captured(1);
                const QString text = cUnescape(m.captured(2));
                if (!known.value(context).contains(text))
                    wrong << QStringLiteral("%1: \"%2\" is not in the catalogue under %3").arg(f.path, text, context);
            }
        }
        QVERIFY2(seen > 20, "the scan found suspiciously few translation contexts");
        for (const QString &w : std::as_const(wrong))
            qWarning().noquote() << w;
        QVERIFY2(wrong.isEmpty(), qPrintable(QStringLiteral("%1 contexts looked up at run time are not the "
                                                            "catalogue's; first: %2")
                                                 .arg(wrong.size())
                                                 .arg(wrong.value(0))));
    }

    void noFreeTrFunction()
    {
        // A function, lambda or using-declaration named tr outside a class: lupdate files its
        // strings under the enclosing namespace, not under the context it looks up.
        const QRegularExpression freeTr(
            QStringLiteral(R"((?:^|[^\w:])QString\s+tr\s*\(\s*const\s+char|\bauto\s+tr\s*=|\busing\s+[\w:]*::tr\s*;)"));
        QStringList offenders;
        for (const SourceFile &f : sources()) {
            if (freeTr.match(f.text).hasMatch())
                offenders << f.path;
        }
        QVERIFY2(offenders.isEmpty(),
                 qPrintable(QStringLiteral("translate through a class context (core/Text.h, app/mldeckctl/Text.h, "
                                           "Q_DECLARE_TR_FUNCTIONS), not a free tr(): %1")
                                .arg(offenders.join(QStringLiteral(", ")))));
    }
};

QTEST_GUILESS_MAIN(TestFrenchAtRunTime)
#include "TestFrenchAtRunTime.moc"

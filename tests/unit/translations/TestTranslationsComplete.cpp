// The French catalogue must cover every translatable string in core/, ui/ and app/, with no
// unfinished entry. lupdate is run into a temporary .ts, so this also catches a catalogue that
// nobody regenerated after a string changed. Fix: build mldeck_update_translations, translate.
#include <QDebug>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>
#include <QXmlStreamReader>
#include <algorithm>

namespace {

struct Message
{
    QString key;  // context | source | disambiguation
    QString type; // "", "unfinished", "obsolete", "vanished"
    QStringList translations;
};

QList<Message> readTs(const QString &path, QString *error)
{
    QList<Message> out;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot open %1").arg(path);
        return out;
    }
    QXmlStreamReader xml(&file);
    QString context;
    Message current;
    bool inMessage = false;
    while (!xml.atEnd()) {
        xml.readNext();
        if (xml.isStartElement()) {
            const auto name = xml.name();
            if (name == QLatin1String("context"))
                context.clear();
            else if (name == QLatin1String("name") && !inMessage)
                context = xml.readElementText();
            else if (name == QLatin1String("message")) {
                inMessage = true;
                current = Message{};
                current.key = context;
            } else if (inMessage && name == QLatin1String("source")) {
                current.key += QStringLiteral(" | ") + xml.readElementText();
            } else if (inMessage && name == QLatin1String("comment")) {
                current.key += QStringLiteral(" | ") + xml.readElementText();
            } else if (inMessage && name == QLatin1String("translation")) {
                current.type = xml.attributes().value(QLatin1String("type")).toString();
                // Either plain text or <numerusform> children.
                QString text;
                while (!(xml.isEndElement() && xml.name() == QLatin1String("translation")) && !xml.atEnd()) {
                    xml.readNext();
                    if (xml.isCharacters())
                        text += xml.text();
                    else if (xml.isStartElement() && xml.name() == QLatin1String("numerusform"))
                        current.translations << xml.readElementText();
                }
                if (current.translations.isEmpty())
                    current.translations << text.trimmed();
            }
        } else if (xml.isEndElement() && xml.name() == QLatin1String("message")) {
            inMessage = false;
            out << current;
        }
    }
    if (xml.hasError())
        *error = QStringLiteral("%1: %2").arg(path, xml.errorString());
    return out;
}

QString listed(const QStringList &items)
{
    QStringList shown = items.mid(0, 5);
    if (items.size() > shown.size())
        shown << QStringLiteral("... and %1 more").arg(items.size() - shown.size());
    return QStringLiteral("\n  ") + shown.join(QStringLiteral("\n  "));
}

} // namespace

class TestTranslationsComplete final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void frenchCoversEverySourceString()
    {
        QTemporaryDir tmp;
        QVERIFY(tmp.isValid());
        const QString freshTs = tmp.filePath(QStringLiteral("mldeck_fr.ts"));
        const QString src = QStringLiteral(MLDECK_SOURCE_DIR);
        QProcess lupdate;
        lupdate.setProcessChannelMode(QProcess::MergedChannels);
        lupdate.start(QStringLiteral(MLDECK_LUPDATE),
                      {QStringLiteral("-recursive"), QStringLiteral("-extensions"), QStringLiteral("cpp,h"),
                       QStringLiteral("-locations"), QStringLiteral("none"), QStringLiteral("-no-obsolete"),
                       QStringLiteral("-I"), src, src + QStringLiteral("/core"), src + QStringLiteral("/ui"),
                       src + QStringLiteral("/app"), QStringLiteral("-ts"), freshTs});
        QVERIFY2(lupdate.waitForFinished(120000), "lupdate did not finish");
        QVERIFY2(lupdate.exitStatus() == QProcess::NormalExit && lupdate.exitCode() == 0,
                 lupdate.readAll().constData());

        QString error;
        const QList<Message> fresh = readTs(freshTs, &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        const QList<Message> committed = readTs(QStringLiteral(MLDECK_FR_TS), &error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVERIFY2(fresh.size() > 50, "lupdate found suspiciously few strings");

        QSet<QString> sourceKeys;
        for (const Message &m : fresh)
            sourceKeys.insert(m.key);
        QSet<QString> catalogueKeys;
        QStringList unfinished;
        for (const Message &m : committed) {
            if (m.type == QLatin1String("obsolete") || m.type == QLatin1String("vanished"))
                continue;
            catalogueKeys.insert(m.key);
            const bool empty = std::any_of(m.translations.cbegin(), m.translations.cend(),
                                           [](const QString &t) { return t.trimmed().isEmpty(); });
            if (m.type == QLatin1String("unfinished") || m.translations.isEmpty() || empty)
                unfinished << m.key;
        }

        QStringList missing = QStringList((sourceKeys - catalogueKeys).values());
        QStringList stale = QStringList((catalogueKeys - sourceKeys).values());
        missing.sort();
        stale.sort();
        unfinished.sort();
        // Full lists on the log (QTest truncates long failure messages).
        for (const QString &k : std::as_const(missing))
            qWarning().noquote() << "missing from mldeck_fr.ts:" << k;
        for (const QString &k : std::as_const(stale))
            qWarning().noquote() << "no longer in the sources:" << k;
        for (const QString &k : std::as_const(unfinished))
            qWarning().noquote() << "unfinished in mldeck_fr.ts:" << k;
        QVERIFY2(missing.isEmpty(),
                 qPrintable(QStringLiteral("mldeck_fr.ts is out of date: %1 source strings are missing (build "
                                           "mldeck_update_translations, then translate):%2")
                                .arg(missing.size())
                                .arg(listed(missing))));
        QVERIFY2(stale.isEmpty(),
                 qPrintable(QStringLiteral("mldeck_fr.ts has %1 strings no longer in the sources (build "
                                           "mldeck_update_translations):%2")
                                .arg(stale.size())
                                .arg(listed(stale))));
        QVERIFY2(unfinished.isEmpty(),
                 qPrintable(QStringLiteral("mldeck_fr.ts has %1 unfinished or empty translations:%2")
                                .arg(unfinished.size())
                                .arg(listed(unfinished))));
    }
};

QTEST_GUILESS_MAIN(TestTranslationsComplete)
#include "TestTranslationsComplete.moc"

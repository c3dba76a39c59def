// Folder image stores and labelled folders on real files: key rules, a symlink out of the folder, missing,
// unreadable and non-file keys, store configuration, and the listing of a labelled folder.
#include "core/ml/image/ImagePipeline.h"
#include "core/ml/image/ImageStore.h"
#include "core/ml/image/LabelledImages.h"

#include <QDir>
#include <QFile>
#include <QImage>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace mldeck;

class TestImageStore final : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_root;    // the store's folder
    QString m_outside; // a sibling folder a symlink points into

    void write(const QString &path, const QByteArray &bytes)
    {
        QDir().mkpath(QFileInfo(path).absolutePath());
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(bytes);
    }

    void writePng(const QString &path, int w, int h)
    {
        QDir().mkpath(QFileInfo(path).absolutePath());
        QImage image(w, h, QImage::Format_RGB888);
        image.fill(Qt::darkGreen);
        QVERIFY(image.save(path, "PNG"));
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_root = m_dir.filePath(QStringLiteral("store"));
        m_outside = m_dir.filePath(QStringLiteral("outside"));
        writePng(m_root + QStringLiteral("/cat/001.png"), 8, 8);
        writePng(m_root + QStringLiteral("/cat/002.png"), 300, 20); // wrong-sized: still an image
        writePng(m_root + QStringLiteral("/dog/001.png"), 8, 8);
        write(m_root + QStringLiteral("/dog/broken.png"), QByteArray("\x89PNG\r\n\x1a\n not really", 20));
        write(m_root + QStringLiteral("/dog/.hidden.png"), "x");
        writePng(m_outside + QStringLiteral("/secret.png"), 4, 4);
        QVERIFY(QFile::link(m_outside + QStringLiteral("/secret.png"), m_root + QStringLiteral("/cat/escape.png")));
        QVERIFY(QFile::link(m_outside, m_root + QStringLiteral("/linkdir")));
        QVERIFY(QFile::link(m_root + QStringLiteral("/cat/001.png"), m_root + QStringLiteral("/dog/inside.png")));
    }

    void keyRules_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<bool>("valid");
        QTest::newRow("plain") << u"cat/001.png"_qs << true;
        QTest::newRow("dots in a name") << u"a..b/c.d.png"_qs << true;
        QTest::newRow("unicode") << u"chats/été 1.jpg"_qs << true;
        QTest::newRow("empty") << QString() << false;
        QTest::newRow("absolute") << u"/etc/passwd"_qs << false;
        QTest::newRow("parent") << u"cat/../../outside/secret.png"_qs << false;
        QTest::newRow("dot") << u"./cat/001.png"_qs << false;
        QTest::newRow("double slash") << u"cat//001.png"_qs << false;
        QTest::newRow("trailing slash") << u"cat/"_qs << false;
        QTest::newRow("backslash") << u"cat\\001.png"_qs << false;
        QTest::newRow("nul") << QStringLiteral("cat/001.png") + QChar(0) << false;
        QTest::newRow("newline") << u"cat/0\n1.png"_qs << false;
        QTest::newRow("too long") << QString(1025, u'a') << false;
    }

    void keyRules()
    {
        QFETCH(QString, key);
        QFETCH(bool, valid);
        QCOMPARE(checkImageKey(key).ok(), valid);
        if (!valid) {
            const FolderImageStore store(m_root);
            QVERIFY(!store.read(key).ok()); // refused before any file is touched
        }
    }

    void readsFilesAndNamesTheKeyOnError()
    {
        const FolderImageStore store(m_root);
        QCOMPARE(store.describe(), u"folder "_qs + m_root);
        const auto bytes = store.read(u"cat/001.png"_qs);
        QVERIFY2(bytes.ok(), qPrintable(bytes.errorMessage()));
        QVERIFY(prepareImage(bytes.value(),
                             ImageSpec::fromJson({{u"width"_qs, 4}, {u"height"_qs, 4}, {u"channels"_qs, 3}}).value())
                    .ok());
        QVERIFY(store.read(u"dog/inside.png"_qs).ok()); // a symlink inside the folder is fine

        const auto missing = store.read(u"cat/404.png"_qs);
        QVERIFY(!missing.ok());
        QVERIFY(missing.errorMessage().contains(u"cat/404.png"_qs));
        QVERIFY(missing.errorMessage().contains(u"missing"_qs));
        const auto escape = store.read(u"cat/escape.png"_qs);
        QVERIFY(!escape.ok());
        QVERIFY2(escape.errorMessage().contains(u"outside"_qs), qPrintable(escape.errorMessage()));
        QVERIFY(!store.read(u"linkdir/secret.png"_qs).ok());
        const auto folder = store.read(u"cat"_qs);
        QVERIFY(!folder.ok());
        QVERIFY(folder.errorMessage().contains(u"not a file"_qs));

        // A corrupt file reads (the store does not judge content); decoding it fails clearly.
        const auto broken = store.read(u"dog/broken.png"_qs);
        QVERIFY(broken.ok());
        QVERIFY(!imageStats(broken.value()).ok());
        // A wrong-sized image is still an image: its size is reported.
        const auto wide = imageStats(store.read(u"cat/002.png"_qs).value());
        QVERIFY(wide.ok());
        QCOMPARE(wide->width, 300);
    }

    void unreadableFile()
    {
        const QString path = m_root + QStringLiteral("/cat/locked.png");
        writePng(path, 4, 4);
        QVERIFY(QFile::setPermissions(path, QFileDevice::Permissions()));
        const bool readable = QFile(path).open(QIODevice::ReadOnly); // root reads every file
        const auto locked = FolderImageStore(m_root).read(u"cat/locked.png"_qs);
        QFile::setPermissions(path, QFileDevice::ReadOwner | QFileDevice::WriteOwner);
        QVERIFY(QFile::remove(path));
        if (!readable) {
            QVERIFY(!locked.ok());
            QVERIFY2(locked.errorMessage().contains(u"cannot be read"_qs), qPrintable(locked.errorMessage()));
        }
        // Root reads every file, so the same path is also checked with a file whose read fails for anyone:
        // /proc/self/mem is a regular file that opens but cannot be read at offset 0.
        const auto unreadable = FolderImageStore(QStringLiteral("/proc/self")).read(u"mem"_qs);
        QVERIFY(!unreadable.ok());
        QVERIFY2(unreadable.errorMessage().contains(u"cannot be read"_qs), qPrintable(unreadable.errorMessage()));
    }

    // Whatever the user: a key naming a FIFO is refused as not a file, never opened (opening would block).
    void fifoIsNotAFile()
    {
        const QString path = m_root + QStringLiteral("/cat/pipe.png");
        QCOMPARE(::mkfifo(QFile::encodeName(path).constData(), 0600), 0);
        const auto r = FolderImageStore(m_root).read(u"cat/pipe.png"_qs);
        QVERIFY(QFile::remove(path));
        QVERIFY(!r.ok());
        QVERIFY2(r.errorMessage().contains(u"not a file"_qs), qPrintable(r.errorMessage()));
    }

    void missingRoot()
    {
        const FolderImageStore store(m_dir.filePath(u"nowhere"_qs));
        const auto r = store.read(u"cat/001.png"_qs);
        QVERIFY(!r.ok());
        QVERIFY(r.errorMessage().contains(u"does not exist"_qs));
    }

    void configAndOpen()
    {
        const auto config = ImageStoreConfig::fromJson({{u"kind"_qs, u"folder"_qs}, {u"root"_qs, m_root}});
        QVERIFY(config.ok());
        QCOMPARE(ImageStoreConfig::fromJson(config->toJson())->root, m_root);
        const auto store = openImageStore(config.value());
        QVERIFY2(store.ok(), qPrintable(store.errorMessage()));
        QVERIFY(store.value()->read(u"dog/001.png"_qs).ok());

        QVERIFY(ImageStoreConfig::fromJson({{u"kind"_qs, u"s3"_qs}, {u"root"_qs, m_root}})
                    .errorMessage()
                    .contains(u"kind"_qs));
        QVERIFY(ImageStoreConfig::fromJson({{u"root"_qs, u"relative/path"_qs}}).errorMessage().contains(u"root"_qs));
        QVERIFY(ImageStoreConfig::fromJson({}).errorMessage().contains(u"root"_qs));
        ImageStoreConfig missing;
        missing.root = m_dir.filePath(u"nowhere"_qs);
        QVERIFY(openImageStore(missing).errorMessage().contains(u"does not exist"_qs));
        ImageStoreConfig file;
        file.root = m_root + QStringLiteral("/cat/001.png");
        QVERIFY(openImageStore(file).errorMessage().contains(u"not a folder"_qs));
    }

    void labelledFolder()
    {
        const QString root = m_dir.filePath(u"labelled"_qs);
        writePng(root + QStringLiteral("/dog/b.png"), 4, 4);
        writePng(root + QStringLiteral("/dog/a.png"), 4, 4);
        writePng(root + QStringLiteral("/cat/z.png"), 4, 4);
        write(root + QStringLiteral("/cat/.DS_Store"), "x");
        QDir().mkpath(root + QStringLiteral("/bird"));
        writePng(root + QStringLiteral("/dog/2019/c.png"), 4, 4); // nested: not read, said so
        const auto set = listLabelledImages(root, {u"cat"_qs, u"dog"_qs, u"bird"_qs, u"fish"_qs});
        QVERIFY2(set.ok(), qPrintable(set.errorMessage()));
        QCOMPARE(set->items.size(), size_t(3));
        QCOMPARE(set->items[0].key, u"cat/z.png"_qs);
        QCOMPARE(set->items[0].label, 0);
        QCOMPARE(set->items[1].key, u"dog/a.png"_qs);
        QCOMPARE(set->items[2].label, 1);
        QCOMPARE(set->notes.size(), 3); // bird empty, fish absent, dog's subfolder not read
        QVERIFY(set->notes.join(u' ').contains(u"fish"_qs));
        QVERIFY2(set->notes.join(u' ').contains(u"Subfolders inside class \"dog\""_qs),
                 qPrintable(set->notes.join(u' ')));
        // Every key reads through a store on the same folder.
        const FolderImageStore store(root);
        for (const ImageItem &item : set->items)
            QVERIFY(store.read(item.key).ok());

        const auto stray = listLabelledImages(root, {u"cat"_qs, u"dog"_qs});
        QVERIFY(!stray.ok());
        QVERIFY(stray.errorMessage().contains(u"\"bird\""_qs));
        QVERIFY(!listLabelledImages(m_dir.filePath(u"nowhere"_qs), {u"a"_qs, u"b"_qs}).ok());
    }
};

QTEST_GUILESS_MAIN(TestImageStore)
#include "test_image_store.moc"

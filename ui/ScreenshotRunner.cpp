#include "ui/ScreenshotRunner.h"

#include "core/services/ConnectionMonitor.h"
#include "ui/MainWindow.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QPixmap>
#include <QTextStream>

namespace mldeck::ui {

namespace {

bool settled(const Health &h)
{
    return h.state == Health::State::Up || h.state == Health::State::Down;
}

// Lets the last repaint after a health change land before grabbing; MLDECK_SCREENSHOT_SETTLE_MS gives the
// pages longer, so that what they load from the servers (charts, plan, triggers) is in the picture.
int settleMs()
{
    const int asked = qEnvironmentVariableIntValue("MLDECK_SCREENSHOT_SETTLE_MS");
    return asked > 0 ? asked : 150;
}

} // namespace

ScreenshotRunner::ScreenshotRunner(MainWindow &window, ConnectionMonitor &monitor, const QString &filePath, PageId page,
                                   QSize size, QObject *parent)
    : QObject(parent), m_window(window), m_monitor(monitor), m_filePath(filePath), m_page(page), m_size(size)
{
    m_poll.setInterval(50);
    connect(&m_poll, &QTimer::timeout, this, &ScreenshotRunner::poll);
}

void ScreenshotRunner::start()
{
    m_window.setPersistState(false);
    // Rendered off screen on a real display too: the window never flashes up.
    m_window.setAttribute(Qt::WA_DontShowOnScreen);
    m_window.setMinimumSize(QSize(0, 0));
    m_window.resize(m_size);
    m_window.showPage(m_page);
    m_window.show();
    m_waited.start();
    m_poll.start();
}

void ScreenshotRunner::poll()
{
    const bool healthKnown = settled(m_monitor.redisHealth()) && settled(m_monitor.pgHealth());
    if (!healthKnown && m_waited.elapsed() < kHealthWaitMs)
        return;
    m_poll.stop();
    QTimer::singleShot(settleMs(), this, &ScreenshotRunner::capture);
}

void ScreenshotRunner::capture()
{
    if (m_captured)
        return;
    m_captured = true;
    m_window.resize(m_size); // a late layout pass must not change the size asked for
    QPixmap shot = m_window.grab();
    if (shot.size() != m_size)
        shot = shot.scaled(m_size, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
    int code = 0;
    if (!shot.save(m_filePath, "PNG")) {
        QTextStream(stderr) << ScreenshotRunner::tr("mldeck: cannot write the screenshot to %1")
                                   .arg(QFileInfo(m_filePath).absoluteFilePath())
                            << Qt::endl;
        code = 1;
    }
    m_window.close();
    Q_EMIT finished(code);
}

} // namespace mldeck::ui

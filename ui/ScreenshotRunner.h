#pragma once

#include "ui/Pages.h"

#include <QElapsedTimer>
#include <QObject>
#include <QSize>
#include <QTimer>

namespace mldeck {
class ConnectionMonitor;
}

namespace mldeck::ui {

class MainWindow;

// `mldeck --screenshot FILE [--page NAME]`: shows the page at a fixed size, lets the monitor
// report (at most kHealthWaitMs, never forever), grabs the window to PNG and finishes.
class ScreenshotRunner final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ScreenshotRunner)

public:
    static constexpr int kHealthWaitMs = 3000;
    static QSize defaultSize() { return {1280, 800}; }

    ScreenshotRunner(MainWindow &window, ConnectionMonitor &monitor, const QString &filePath, PageId page,
                     QSize size = defaultSize(), QObject *parent = nullptr);

    void start();

Q_SIGNALS:
    void finished(int exitCode); // 0 when the PNG was written; the error is on stderr otherwise

private:
    void poll();
    void capture();

    MainWindow &m_window;
    ConnectionMonitor &m_monitor;
    QString m_filePath;
    PageId m_page;
    QSize m_size;
    QTimer m_poll;
    QElapsedTimer m_waited;
    bool m_captured = false;
};

} // namespace mldeck::ui

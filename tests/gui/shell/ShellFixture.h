#pragma once

#include "core/config/Settings.h"
#include "core/secrets/SecretStore.h"
#include "core/services/ConnectionMonitor.h"
#include "ui/ConnectionSession.h"
#include "ui/MainWindow.h"

#include <QTemporaryDir>

#include <memory>

namespace mldeck::test {

// The GUI's object graph as main() wires it, on a throwaway settings file.
struct Shell
{
    QTemporaryDir dir;
    Settings settings{dir.filePath(QStringLiteral("mldeck.ini"))};
    SecretStore secrets;
    ConnectionMonitor monitor;
    ui::ConnectionSession session{settings, secrets, monitor};
    std::unique_ptr<ui::MainWindow> window = std::make_unique<ui::MainWindow>(session, monitor);

    QString settingsFile() const { return settings.filePath(); }
};

// Tests must not pick up a developer's local stack from the environment, nor a real keychain.
inline void isolateFromEnvironment()
{
    qunsetenv("MLDECK_REDIS_URL");
    qunsetenv("MLDECK_PG_URL");
    // No session bus: the keychain is unavailable, which is the path these tests check.
    qputenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/mldeck-test-bus");
}

} // namespace mldeck::test

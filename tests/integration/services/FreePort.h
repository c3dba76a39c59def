#pragma once

#include <QTcpServer>
#include <QTcpSocket>

// A loopback port nobody listens on right now (the kernel picks it; we close it again).
inline quint16 freeLoopbackPort()
{
    QTcpServer probe;
    if (!probe.listen(QHostAddress::LocalHost, 0))
        return 0;
    const quint16 port = probe.serverPort();
    probe.close();
    return port;
}

#pragma once

#include <QByteArray>
#include <QList>
#include <QQueue>
#include <QTcpServer>
#include <QTcpSocket>

// A tiny HTTP/1.1 receiver for webhook tests: answers each POST with the next queued status
// (200 when the queue is empty) and keeps the bodies it got. Runs on the test's thread: the
// notifier's local event loop serves it.
class HttpReceiver final : public QObject
{
public:
    HttpReceiver()
    {
        m_server.listen(QHostAddress::LocalHost, 0);
        QObject::connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *s = m_server.nextPendingConnection()) {
                s->setParent(this);
                QObject::connect(s, &QTcpSocket::readyRead, this, [this, s] { onRead(s); });
                QObject::connect(s, &QTcpSocket::disconnected, s, &QObject::deleteLater);
            }
        });
    }

    QString url() const { return QStringLiteral("http://127.0.0.1:%1/hook").arg(m_server.serverPort()); }
    void queue(const QList<int> &statuses)
    {
        m_statuses.clear();
        for (int s : statuses)
            m_statuses.enqueue(s);
    }
    const QList<QByteArray> &bodies() const { return m_bodies; }

private:
    void onRead(QTcpSocket *s)
    {
        QByteArray &buf = m_buffers[s];
        buf += s->readAll();
        const int headerEnd = buf.indexOf("\r\n\r\n");
        if (headerEnd < 0)
            return;
        int length = 0;
        for (const QByteArray &line : buf.left(headerEnd).split('\n'))
            if (line.toLower().startsWith("content-length:"))
                length = line.mid(15).trimmed().toInt();
        if (buf.size() < headerEnd + 4 + length)
            return;
        m_bodies << buf.mid(headerEnd + 4, length);
        m_buffers.remove(s);
        const int status = m_statuses.isEmpty() ? 200 : m_statuses.dequeue();
        const QByteArray body = status < 300 ? QByteArray("ok") : QByteArray("nope");
        s->write("HTTP/1.1 " + QByteArray::number(status) + " X\r\nContent-Type: text/plain\r\nContent-Length: " +
                 QByteArray::number(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
        s->flush();
        s->disconnectFromHost();
    }

    QTcpServer m_server;
    QQueue<int> m_statuses;
    QList<QByteArray> m_bodies;
    QHash<QTcpSocket *, QByteArray> m_buffers;
};

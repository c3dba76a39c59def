#pragma once

#include <QByteArray>
#include <QString>

namespace mldeck::redis_keys {

// Where the champion of a deployment is published for serving backends (resources/contract/models.md):
// written by the registry's promote (core/services/ModelOperations), read by backends and the simulator.
inline QByteArray champion(const QString &deployment)
{
    return QByteArrayLiteral("mldeck:champion:") + deployment.toUtf8();
}
inline QByteArray modelsChannel()
{
    return QByteArrayLiteral("mldeck:models:changed");
}

} // namespace mldeck::redis_keys

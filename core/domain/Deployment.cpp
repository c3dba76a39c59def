#include "core/domain/Deployment.h"

#include <QRegularExpression>

namespace mldeck {

bool isValidDeploymentName(const QString &name)
{
    static const QRegularExpression re(QStringLiteral("^[a-z][a-z0-9_-]{0,62}$"));
    return re.match(name).hasMatch();
}

} // namespace mldeck

#pragma once

#include "core/domain/Result.h"
#include "core/ml/Dataset.h"
#include "core/ml/image/LabelledImages.h"

#include <QString>

namespace mldeck {

class PgConnection;

// Evaluation rows from the prediction log: the features logged with each prediction of a deployment
// in [fromMicros, toMicros), joined with the latest outcome of its request key. Requests without an
// outcome, failed predictions and rows of an older feature schema are left out (said in notes).
// Feature names come from mldeck.feature_schemas; the target column is named "actual".
class EvaluationData final
{
public:
    explicit EvaluationData(PgConnection &conn);

    Result<Dataset> load(const QString &deployment, qint64 fromMicros, qint64 toMicros);

    // An image deployment's labelled images in [fromMicros, toMicros): per request, the image key of its
    // first successful prediction that logged one, labelled with the true class of its latest outcome
    // (an outcome that is not a class index 0..classes-1 leaves the request out, said in notes); in time
    // order. Keys are as logged: the image store checks them when it reads.
    struct LabelledKeys
    {
        std::vector<ImageItem> items;
        QStringList notes;
    };
    // An empty window is an error ("nothing to score") unless allowEmpty: a retrain can train on its
    // reference set alone.
    Result<LabelledKeys> loadImageLabels(const QString &deployment, int classes, qint64 fromMicros, qint64 toMicros,
                                         bool allowEmpty = false);

    // The deployment to use when none is given: the only one that has predictions, else an error.
    Result<QString> soleDeployment();

private:
    PgConnection &m_conn;
};

} // namespace mldeck

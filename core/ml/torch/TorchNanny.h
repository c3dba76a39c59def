#pragma once

// Inside the model worker only: the nanny model (core/ml/Nanny.h), a small multilayer perceptron trained
// and run with LibTorch in this process. Its weights travel as plain float arrays (WireWriter layout),
// never as a pickle: the console stores them and hands them back with each scoring request.

#include "core/domain/Result.h"
#include "core/ml/Nanny.h"

#include <QByteArray>
#include <QCoreApplication>

#include <vector>

namespace mldeck {

class TorchNanny final
{
    Q_DECLARE_TR_FUNCTIONS(mldeck::TorchNanny)

public:
    // table: n rows of `width` floats (the encoded inputs); target: n values (the scaled absolute error).
    // Seeded shuffling, a validation split, Adam on the squared error, early stopping; the weights of
    // the best validation epoch are returned.
    static Result<NannyFit> train(const std::vector<float> &table, qint64 n, int width,
                                  const std::vector<float> &target, const NannyTrainingParams &params);
    // One output per row (in the scaled units the nanny was trained on), never negative.
    static Result<std::vector<double>> score(const QByteArray &weights, const std::vector<float> &table, qint64 n,
                                             int width, int threads);
};

} // namespace mldeck

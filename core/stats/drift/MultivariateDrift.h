#pragma once

#include "core/domain/Result.h"
#include "core/stats/drift/DriftEngine.h"

#include <QString>
#include <QStringList>

#include <limits>
#include <memory>
#include <vector>

namespace mldeck::drift {

// Multivariate drift by PCA reconstruction error (contract: drift.md, "Multivariate drift").
struct MultivariateOptions
{
    double varianceShare = 0.65; // keep the fewest components explaining at least this share of the variance
    // Rows per reference chunk; 0: as many as the current window holds, but at most a tenth of the reference
    // (so that a reference of a few windows still makes 10 chunks) and at least minSamples.
    qint64 chunkRows = 0;
    qint64 minSamples = 100; // fewer current rows: no verdict
    int maxCategories = 100; // one-hot columns per categorical feature (the most frequent reference labels)

    static constexpr int kMinChunks = 5;      // fewer reference chunks: no band, no verdict
    static constexpr double kBandWidth = 3.0; // the band: mean ± 3 standard errors of a window-sized mean
    // Encoded inputs in all: the covariance and its eigen-decomposition grow with their square and cube.
    static constexpr int kMaxInputs = 256;
    // The band is set on the rows the PCA was fitted on, whose errors are biased low by about inputs / rows:
    // a reference with fewer rows per input gives no verdict.
    static constexpr int kMinRowsPerInput = 20;
};

// The reference's encoding (numeric: z-score with the reference mean and standard deviation, missing = the
// mean; categorical: one-hot of the reference's labels, unknown or missing = all zero) and its principal
// components. Fitted once on the reference; scores any data set with the same columns.
class PcaReconstruction final
{
public:
    PcaReconstruction(PcaReconstruction &&) noexcept;
    PcaReconstruction &operator=(PcaReconstruction &&) noexcept;
    ~PcaReconstruction();

    // An error when the reference has no rows or no usable column, columns of different lengths, or more
    // numeric features than `maxInputs`. Categorical labels fill the inputs left, the most frequent first
    // (at most `maxCategories` per feature).
    static Result<PcaReconstruction> fit(const Dataset &reference, double varianceShare, int maxCategories = 100,
                                         int maxInputs = MultivariateOptions::kMaxInputs);

    int components() const;
    int inputs() const;            // encoded dimensions
    double explainedShare() const; // share of the variance the kept components explain
    QStringList columns() const;   // the reference's features, in encoding order

    // Euclidean distance between each encoded row and its reconstruction from the kept components. A column
    // of the reference missing from `data` counts as missing values; an error when columns differ in length.
    Result<std::vector<double>> errors(const Dataset &data) const;

private:
    struct Model;
    explicit PcaReconstruction(std::unique_ptr<Model> model);
    std::unique_ptr<Model> m;
};

struct MultivariateDrift
{
    bool enoughSamples = false; // a band and a current mean exist
    QString problem;            // why not (not enough reference chunks, too few current rows, ...)
    int components = 0;
    int inputs = 0;
    double varianceShare = 0.65; // asked
    double explainedShare = 0;   // reached
    qint64 chunkRows = 0;
    int referenceChunks = 0;
    double referenceMean = 0; // mean and standard deviation of the chunk means
    double referenceSd = 0;
    // The band used: referenceMean ± kBandWidth · referenceSd · √(chunkRows / currentRows), the spread of a
    // mean over as many rows as the window holds (rows taken as independent).
    double lower = 0, upper = 0;
    double value = std::numeric_limits<double>::quiet_NaN(); // mean reconstruction error of the window; NaN: none
    qint64 referenceRows = 0, currentRows = 0;
    bool drift = false; // value outside [lower, upper]
};

// Fits on `reference`, cuts it into chunks of options.chunkRows rows to set the band, and compares the current
// window's mean reconstruction error with it.
MultivariateDrift compareMultivariate(const Dataset &reference, const Dataset &current,
                                      const MultivariateOptions &options);

// "multivariate (PCA, 3 components, 65 %)": the one label of the line (drift page, CLI, alerts).
QString multivariateLabel(int components, double varianceShare);

} // namespace mldeck::drift

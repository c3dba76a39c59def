#pragma once

#include "core/domain/Result.h"
#include "core/stats/drift/DriftEngine.h"

#include <QString>
#include <QStringList>

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
    qint64 minSamples = 100;     // fewer current rows: no verdict
    int maxCategories = 100;     // one-hot columns per categorical feature (the most frequent reference labels)

    static constexpr int kMinChunks = 5;      // fewer reference chunks: no band, no verdict
    static constexpr double kBandWidth = 3.0; // the band: mean ± 3 standard deviations of the chunk means
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

    // An error when the reference has no rows or no usable column, or columns of different lengths.
    static Result<PcaReconstruction> fit(const Dataset &reference, double varianceShare, int maxCategories = 100);

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
    double lower = 0, upper = 0; // the band
    double value = 0;            // mean reconstruction error of the current window
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

#include "core/stats/drift/MultivariateDrift.h"

#include "core/Text.h"

#include <Eigen/Dense>

#include <QHash>

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <tuple>

namespace mldeck::drift {

namespace {

// Rows are encoded and scored in blocks: a million rows never become one dense matrix.
constexpr qint64 kBlockRows = 4096;

Result<qint64> rowCount(const Dataset &data)
{
    qint64 rows = -1;
    for (const Column &c : data.columns) {
        if (rows >= 0 && c.size() != rows)
            return Error{StatsText::tr("The columns of the data differ in length (%1 has %2 rows, not %3).")
                             .arg(c.name)
                             .arg(c.size())
                             .arg(rows)};
        rows = c.size();
    }
    return std::max<qint64>(rows, 0);
}

} // namespace

// One encoded input per numeric feature, one per kept label of a categorical one.
struct PcaReconstruction::Model
{
    struct Feature
    {
        QString name;
        FeatureKind kind = FeatureKind::Numeric;
        int offset = 0; // first encoded column
        double mean = 0, sd = 1;
        QHash<QString, int> labels; // label -> column after offset
        int width() const { return kind == FeatureKind::Numeric ? 1 : int(labels.size()); }
    };
    std::vector<Feature> features;
    int inputs = 0;
    Eigen::RowVectorXd centre;  // mean of the encoded reference rows
    Eigen::MatrixXd components; // inputs x k, orthonormal columns
    double explained = 0;

    // Encodes rows [first, first + count) of `data` (its columns matched by name and kind) into `out`.
    void encode(const Dataset &data, qint64 first, qint64 count, Eigen::MatrixXd &out) const
    {
        out.setZero(count, inputs);
        for (const Feature &f : features) {
            const Column *c = data.find(f.name);
            if (!c || c->kind != f.kind)
                continue; // missing: numeric at its mean (z = 0), categorical all zero
            for (qint64 r = 0; r < count; ++r) {
                if (f.kind == FeatureKind::Numeric) {
                    const double v = c->numeric[std::size_t(first + r)];
                    if (std::isfinite(v))
                        out(r, f.offset) = (v - f.mean) / f.sd;
                } else if (auto it = f.labels.constFind(c->categorical.at(first + r)); it != f.labels.cend()) {
                    out(r, f.offset + it.value()) = 1.0;
                }
            }
        }
    }
};

PcaReconstruction::PcaReconstruction(std::unique_ptr<Model> model) : m(std::move(model)) {}
PcaReconstruction::PcaReconstruction(PcaReconstruction &&) noexcept = default;
PcaReconstruction &PcaReconstruction::operator=(PcaReconstruction &&) noexcept = default;
PcaReconstruction::~PcaReconstruction() = default;

int PcaReconstruction::components() const
{
    return int(m->components.cols());
}

int PcaReconstruction::inputs() const
{
    return m->inputs;
}

double PcaReconstruction::explainedShare() const
{
    return m->explained;
}

QStringList PcaReconstruction::columns() const
{
    QStringList names;
    for (const Model::Feature &f : m->features)
        names << f.name;
    return names;
}

Result<PcaReconstruction> PcaReconstruction::fit(const Dataset &reference, double varianceShare, int maxCategories,
                                                 int maxInputs)
{
    if (!(varianceShare > 0 && varianceShare <= 1))
        return Error{StatsText::tr("The share of variance to keep must be above 0 and at most 1.")};
    const auto rows = rowCount(reference);
    if (!rows)
        return rows.error();
    if (*rows < 2)
        return Error{StatsText::tr("The reference has too few rows for a PCA (%1).").arg(*rows)};
    auto model = std::make_unique<Model>();
    // Categorical labels compete for the inputs the numeric features leave: (-count, feature, label).
    std::vector<std::tuple<qint64, std::size_t, QString>> candidates;
    int numericInputs = 0;
    for (const Column &c : reference.columns) {
        Model::Feature f;
        f.name = c.name;
        f.kind = c.kind;
        if (c.kind == FeatureKind::Numeric) {
            double sum = 0, sum2 = 0;
            qint64 n = 0;
            for (double v : c.numeric)
                if (std::isfinite(v))
                    sum += v, ++n;
            if (n == 0)
                continue; // nothing to standardise with
            f.mean = sum / double(n);
            for (double v : c.numeric)
                if (std::isfinite(v))
                    sum2 += (v - f.mean) * (v - f.mean);
            const double sd = n > 1 ? std::sqrt(sum2 / double(n - 1)) : 0;
            f.sd = sd > 0 ? sd : 1; // a constant feature encodes as 0 everywhere
            ++numericInputs;
        } else {
            std::map<QString, qint64> counts;
            for (const QString &s : c.categorical)
                if (!s.isNull())
                    ++counts[s];
            std::vector<std::pair<qint64, QString>> byCount;
            for (const auto &[label, n] : counts)
                byCount.emplace_back(-n, label); // most frequent first, then by label: stable
            std::sort(byCount.begin(), byCount.end());
            for (std::size_t k = 0; k < byCount.size() && int(k) < maxCategories; ++k)
                candidates.emplace_back(byCount[k].first, model->features.size(), byCount[k].second);
        }
        model->features.push_back(std::move(f));
    }
    if (numericInputs > maxInputs)
        return Error{StatsText::tr("The reference has %1 numeric features; the multivariate line takes at most %2.")
                         .arg(numericInputs)
                         .arg(maxInputs)};
    std::sort(candidates.begin(), candidates.end());
    candidates.resize(std::min(candidates.size(), std::size_t(maxInputs - numericInputs)));
    std::stable_sort(candidates.begin(), candidates.end(),
                     [](const auto &a, const auto &b) { return std::get<1>(a) < std::get<1>(b); });
    for (const auto &[negCount, feature, label] : candidates) {
        auto &labels = model->features[feature].labels;
        labels.insert(label, int(labels.size()));
    }
    std::erase_if(model->features,
                  [](const Model::Feature &f) { return f.kind == FeatureKind::Categorical && f.labels.isEmpty(); });
    for (Model::Feature &f : model->features) {
        f.offset = model->inputs;
        model->inputs += f.width();
    }
    if (model->inputs == 0)
        return Error{StatsText::tr("The reference has no feature with values to fit a PCA on.")};

    // Covariance in one pass over blocks: (XᵀX - n·μᵀμ) / (n - 1).
    const int d = model->inputs;
    Eigen::MatrixXd gram = Eigen::MatrixXd::Zero(d, d);
    Eigen::RowVectorXd sum = Eigen::RowVectorXd::Zero(d);
    Eigen::MatrixXd block;
    for (qint64 first = 0; first < *rows; first += kBlockRows) {
        const qint64 count = std::min(kBlockRows, *rows - first);
        model->encode(reference, first, count, block);
        gram.selfadjointView<Eigen::Lower>().rankUpdate(block.transpose());
        sum += block.colwise().sum();
    }
    const double n = double(*rows);
    model->centre = sum / n;
    Eigen::MatrixXd cov = gram.selfadjointView<Eigen::Lower>();
    cov = (cov - n * model->centre.transpose() * model->centre) / (n - 1);

    const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eigen(cov);
    if (eigen.info() != Eigen::Success)
        return Error{StatsText::tr("The PCA of the reference did not converge.")};
    const Eigen::VectorXd values = eigen.eigenvalues().cwiseMax(0.0); // ascending
    const double total = values.sum();
    if (!(total > 0))
        return Error{StatsText::tr("The reference's features do not vary: no PCA to fit.")};
    int k = 0;
    double kept = 0;
    while (k < d && kept < varianceShare * total * (1 - 1e-12))
        kept += values(d - 1 - k), ++k;
    model->components = eigen.eigenvectors().rightCols(k).rowwise().reverse();
    model->explained = kept / total;
    return PcaReconstruction(std::move(model));
}

Result<std::vector<double>> PcaReconstruction::errors(const Dataset &data) const
{
    const auto rows = rowCount(data);
    if (!rows)
        return rows.error();
    std::vector<double> out(static_cast<std::size_t>(*rows));
    Eigen::MatrixXd block;
    for (qint64 first = 0; first < *rows; first += kBlockRows) {
        const qint64 count = std::min(kBlockRows, *rows - first);
        m->encode(data, first, count, block);
        block.rowwise() -= m->centre;
        const Eigen::MatrixXd residual = block - (block * m->components) * m->components.transpose();
        const Eigen::VectorXd norms = residual.rowwise().norm();
        std::copy(norms.data(), norms.data() + count, out.begin() + first);
    }
    return out;
}

MultivariateDrift compareMultivariate(const Dataset &reference, const Dataset &current,
                                      const MultivariateOptions &options)
{
    MultivariateDrift r;
    r.varianceShare = options.varianceShare;
    auto pca = PcaReconstruction::fit(reference, options.varianceShare, options.maxCategories);
    if (!pca) {
        r.problem = pca.errorMessage();
        return r;
    }
    r.components = pca->components();
    r.inputs = pca->inputs();
    r.explainedShare = pca->explainedShare();
    auto referenceErrors = pca->errors(reference);
    auto currentErrors = pca->errors(current);
    if (!referenceErrors || !currentErrors) {
        r.problem = !referenceErrors ? referenceErrors.errorMessage() : currentErrors.errorMessage();
        return r;
    }
    r.referenceRows = qint64(referenceErrors->size());
    r.currentRows = qint64(currentErrors->size());
    const auto mean = [](auto begin, auto end) { return std::accumulate(begin, end, 0.0) / double(end - begin); };
    if (r.currentRows > 0)
        r.value = mean(currentErrors->begin(), currentErrors->end());

    // Every component kept: the reconstruction is exact and its error mere round-off.
    if (r.components >= r.inputs) {
        r.problem = StatsText::tr("the kept components explain all the variance: nothing left to reconstruct "
                                  "(lower pca_variance)");
        return r;
    }
    if (r.referenceRows < qint64(MultivariateOptions::kMinRowsPerInput) * r.inputs) {
        r.problem = StatsText::tr("not enough reference: %1 rows for %2 encoded inputs, %3 needed")
                        .arg(r.referenceRows)
                        .arg(r.inputs)
                        .arg(qint64(MultivariateOptions::kMinRowsPerInput) * r.inputs);
        return r;
    }
    const qint64 minSamples = std::max<qint64>(options.minSamples, 1);
    if (r.currentRows < minSamples) {
        r.problem = StatsText::tr("too few rows in the current window (%1 of %2)").arg(r.currentRows).arg(minSamples);
        return r;
    }
    r.chunkRows =
        options.chunkRows > 0 ? options.chunkRows : std::max(minSamples, std::min(r.currentRows, r.referenceRows / 10));
    r.referenceChunks = int(std::min<qint64>(r.referenceRows / r.chunkRows, 1'000'000));
    if (r.referenceChunks < MultivariateOptions::kMinChunks) {
        r.problem = StatsText::tr("not enough reference: %1 rows make %2 chunks of %3 rows, %4 needed")
                        .arg(r.referenceRows)
                        .arg(r.referenceChunks)
                        .arg(r.chunkRows)
                        .arg(MultivariateOptions::kMinChunks);
        return r;
    }
    std::vector<double> chunkMeans;
    for (int c = 0; c < r.referenceChunks; ++c) {
        const auto begin = referenceErrors->begin() + qint64(c) * r.chunkRows;
        chunkMeans.push_back(mean(begin, begin + r.chunkRows));
    }
    r.referenceMean = mean(chunkMeans.begin(), chunkMeans.end());
    double sq = 0;
    for (double x : chunkMeans)
        sq += (x - r.referenceMean) * (x - r.referenceMean);
    r.referenceSd = std::sqrt(sq / double(chunkMeans.size() - 1));
    if (!(r.referenceSd > 1e-12 * std::max(1.0, r.referenceMean))) {
        r.problem = StatsText::tr("the reference's reconstruction error does not vary: no band to compare with");
        return r;
    }
    // The chunk means spread like means of chunkRows rows; the window's mean, over currentRows rows, spreads
    // √(chunkRows / currentRows) times as much.
    const double halfWidth =
        MultivariateOptions::kBandWidth * r.referenceSd * std::sqrt(double(r.chunkRows) / double(r.currentRows));
    r.lower = r.referenceMean - halfWidth;
    r.upper = r.referenceMean + halfWidth;
    r.enoughSamples = true;
    r.drift = r.value < r.lower || r.value > r.upper;
    return r;
}

QString multivariateLabel(int components, double varianceShare)
{
    const QString percent = QString::number(varianceShare * 100, 'g', 3);
    return components == 1 ? StatsText::tr("multivariate (PCA, 1 component, %1 %)").arg(percent)
                           : StatsText::tr("multivariate (PCA, %1 components, %2 %)").arg(components).arg(percent);
}

} // namespace mldeck::drift

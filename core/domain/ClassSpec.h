#pragma once

#include "core/domain/Result.h"

#include <QJsonObject>
#include <QStringList>

#include <span>

namespace mldeck {

// The prediction log keeps the probability vector of a classification deployment with at most this
// many classes (resources/contract/classification.md); above it, only the predicted class and its
// probability.
inline constexpr int kMaxLoggedProbabilities = 20;
// The most classes a deployment may have (mldeck.deployments refuses more).
inline constexpr int kMaxClasses = 100; // mldeck.deployments CHECK; the aggregates keep K x K counts

// What makes a deployment a classifier: its classes, in the order of the model's output, and the
// decision rule. Stored in mldeck.deployments (classes, decision_threshold), copied from the model's
// mldeck.json when the deployment is created from a model file.
struct ClassSpec
{
    QStringList classes;            // K >= 2 distinct names; binary: {negative, positive}
    double decisionThreshold = 0.5; // binary only: the positive class when P(positive) >= threshold

    int count() const { return int(classes.size()); }
    bool isBinary() const { return classes.size() == 2; }
    bool logsVector() const { return count() <= kMaxLoggedProbabilities; }
    // The class served for probabilities p (size K, summing to 1): binary: p[1] >= threshold;
    // multi-class: the most probable class, the lowest index on ties.
    int decide(std::span<const float> p) const;
    int decide(std::span<const double> p) const;
    // 2 <= K <= kMaxClasses, names non-empty, distinct, at most 64 characters; 0 < threshold < 1.
    Status validate() const;

    QJsonObject toJson() const; // {"classes": [...], "decision_threshold": t}
    static Result<ClassSpec> fromJson(const QJsonObject &o);
};

} // namespace mldeck

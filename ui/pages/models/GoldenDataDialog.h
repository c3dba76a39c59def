#pragma once

#include <QString>

#include <optional>

class QWidget;

namespace mldeck::ui {

// What the Models page's "Golden data…" asks for: the CSV and which of its columns hold the outcome and
// (optionally) the segments.
struct GoldenChoice
{
    QString file;
    QString targetColumn;
    QString segmentColumn; // empty: no segments
};

// A file dialog for the CSV, then its columns offered for the outcome and the segment. nullopt: cancelled;
// a file whose header cannot be read says so and is offered again.
std::optional<GoldenChoice> askGoldenData(QWidget *parent);

} // namespace mldeck::ui

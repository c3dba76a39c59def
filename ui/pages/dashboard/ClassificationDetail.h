#pragma once

#include "core/services/KpiSnapshot.h"

#include <QWidget>

class QComboBox;

namespace mldeck::ui {

class ConfusionMatrixView;
class ReliabilityDiagram;

// A classification deployment's confusion matrix and reliability diagram over the selected range, for
// all paths, one path or one model version (chosen in the box above them; kept across refreshes while
// it still exists).
class ClassificationDetail final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ClassificationDetail)

public:
    explicit ClassificationDetail(QWidget *parent = nullptr);

    void showSnapshot(const KpiSnapshot &snapshot);
    void clear();

    QComboBox *scopeBox() const { return m_scope; }
    ConfusionMatrixView *confusion() const { return m_confusion; }
    ReliabilityDiagram *reliability() const { return m_reliability; }
    // The scope shown: "all", "path:<ml|heuristic|fallback>" or "version:<name>".
    QString scope() const;
    void setScope(const QString &scope);

private:
    void showScope();

    QComboBox *m_scope = nullptr;
    ConfusionMatrixView *m_confusion = nullptr;
    ReliabilityDiagram *m_reliability = nullptr;
    std::optional<KpiSnapshot> m_snapshot;
};

} // namespace mldeck::ui

#pragma once

#include <QString>
#include <QStringList>
#include <QWidget>

#include <vector>

namespace mldeck::ui {

// A K x K confusion matrix: one row per actual class, one column per predicted class, each cell with
// its count and its share of the row (the recall of the row's class on the diagonal), shaded by that
// share. Painted directly (no Qt Charts): a grid of numbers reads better than a heat map axis. With
// no labelled row it says "no data".
class ConfusionMatrixView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConfusionMatrixView)

public:
    explicit ConfusionMatrixView(QWidget *parent = nullptr);

    void setTitle(const QString &title);
    QString title() const { return m_title; }
    // counts: K * K, actual-major (counts[a * K + p]), as ClassificationSums keeps them.
    void setMatrix(const QStringList &classes, const std::vector<qint64> &counts);
    void clear();

    int classCount() const { return int(m_classes.size()); }
    qint64 count(int actual, int predicted) const;
    qint64 total() const;
    // The text of a cell as painted ("123\n45.6 %"), for tests.
    QString cellText(int actual, int predicted) const;

    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent *event) override;

private:
    qint64 rowTotal(int actual) const;

    QString m_title;
    QStringList m_classes;
    std::vector<qint64> m_counts;
};

} // namespace mldeck::ui

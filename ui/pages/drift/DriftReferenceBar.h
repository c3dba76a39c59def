#pragma once

#include <QWidget>

class QLabel;
class QProgressBar;

namespace mldeck {
struct DriftCheckReport;
}

namespace mldeck::ui {

class InfoBar;

// Above the drift table: which reference the figures compare with (and, for an image deployment, which
// sampled images its image statistics come from), and while the default reference
// (the first N logged predictions) fills, an information line with its progress. Filling is a state,
// not an error.
class DriftReferenceBar final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DriftReferenceBar)

public:
    explicit DriftReferenceBar(QWidget *parent = nullptr);

    void showReport(const DriftCheckReport &report);
    void clear();

    bool isFilling() const;
    QString referenceText() const;
    QString fillingText() const; // empty unless filling
    QString imagesText() const;  // an image deployment: what its image statistics were computed from

private:
    void showImages(const DriftCheckReport &report);

    QLabel *m_reference;
    QLabel *m_images;
    InfoBar *m_filling;
    QProgressBar *m_progress;
};

} // namespace mldeck::ui

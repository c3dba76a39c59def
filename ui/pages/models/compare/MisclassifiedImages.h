#pragma once

#include "core/ml/image/ImageStore.h"
#include "core/services/JobThread.h"
#include "core/stats/ComparisonReport.h"

#include <QAbstractListModel>
#include <QCache>
#include <QHash>
#include <QImage>
#include <QSet>
#include <QWidget>

#include <atomic>
#include <memory>

class QComboBox;
class QLabel;
class QListView;
class QTableWidget;

namespace mldeck::ui {

// One model's misclassified images as a list model for a QListView in icon mode: the text says the true
// class, the served class and its probability; the thumbnail is read from the image store on a worker
// thread when the view first asks for it (only visible items are asked) and kept in a bounded cache, so
// that 10,000 misclassified images stay light.
class MisclassifiedModel final : public QAbstractListModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MisclassifiedModel)

public:
    static constexpr int kThumbnailSize = 96;
    // Every cell's size, the thumbnail and its two caption lines: the view takes one uniform size from the
    // first cell, which must not depend on whether its thumbnail has arrived yet.
    static constexpr int kCellWidth = kThumbnailSize + 56;
    static constexpr int kCellHeight = kThumbnailSize + 44;
    enum Role
    {
        KeyRole = Qt::UserRole + 1,
        ConfidenceRole
    };

    explicit MisclassifiedModel(QObject *parent = nullptr);
    // rows: already in display order. store: where the keys are read (nullptr: no thumbnails).
    void setRows(std::vector<stats::MisclassifiedRow> rows, QStringList keys, QStringList classes,
                 std::shared_ptr<const ImageStore> store);
    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    // How many thumbnails have been read so far (tests check that it stays near what is visible).
    int thumbnailsRead() const { return m_read; }
    int thumbnailsPending() const { return int(m_pending.size()); }

private:
    void requestThumbnail(const QString &key) const;

    std::vector<stats::MisclassifiedRow> m_rows;
    QStringList m_keys; // the report's key per row
    QStringList m_classes;
    std::shared_ptr<const ImageStore> m_store;
    mutable QCache<QString, QImage> m_thumbnails{1000};
    mutable QSet<QString> m_pending;
    JobThread *m_jobs = nullptr; // reads and scales thumbnails off the UI thread
    int m_read = 0;
    QHash<QString, QString> m_unreadable; // key → why its thumbnail cannot be read
    int m_generation = 0;                 // results of a previous setRows are dropped
    // The current generation as the thumbnail thread sees it: a job queued for older rows skips its decoding.
    std::shared_ptr<std::atomic<int>> m_live = std::make_shared<std::atomic<int>>(0);
};

// The "Misclassified images" tab of the comparison: which model, the order (most or least confident
// first), the grid, and the images that could not be read with their reasons.
class MisclassifiedImages final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MisclassifiedImages)

public:
    explicit MisclassifiedImages(QWidget *parent = nullptr);
    void setReport(const stats::ComparisonReport &report);
    void clear();
    MisclassifiedModel &model() { return *m_model; }

private:
    void showModel();

    std::vector<std::vector<stats::MisclassifiedRow>> m_wrong; // per model
    QStringList m_keys;
    QStringList m_classes;
    std::shared_ptr<const ImageStore> m_store;
    QComboBox *m_modelChoice = nullptr;
    QComboBox *m_order = nullptr;
    QLabel *m_summary = nullptr;
    QListView *m_grid = nullptr;
    MisclassifiedModel *m_model = nullptr;
    QTableWidget *m_skipped = nullptr;
};

} // namespace mldeck::ui

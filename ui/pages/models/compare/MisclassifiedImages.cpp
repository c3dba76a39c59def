#include "ui/pages/models/compare/MisclassifiedImages.h"

#include "core/ml/image/ImagePipeline.h"

#include <QApplication>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QListView>
#include <QLocale>
#include <QSplitter>
#include <QStyle>
#include <QTableWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace mldeck::ui {

MisclassifiedModel::MisclassifiedModel(QObject *parent)
    : QAbstractListModel(parent), m_jobs(new JobThread(QStringLiteral("mldeck-thumbnails"), this))
{
}

void MisclassifiedModel::setRows(std::vector<stats::MisclassifiedRow> rows, QStringList keys, QStringList classes,
                                 std::shared_ptr<const ImageStore> store)
{
    beginResetModel();
    m_rows = std::move(rows);
    m_keys = std::move(keys);
    m_classes = std::move(classes);
    if (store != m_store) {
        m_thumbnails.clear();
        m_unreadable.clear();
    }
    m_store = std::move(store);
    m_pending.clear();
    ++m_generation;
    m_live->store(m_generation); // thumbnails still queued for the previous rows are not decoded
    endResetModel();
}

int MisclassifiedModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

QVariant MisclassifiedModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_rows.size()))
        return {};
    const stats::MisclassifiedRow &r = m_rows[size_t(index.row())];
    const QString key = m_keys.value(qsizetype(r.row));
    switch (role) {
    case Qt::DisplayRole:
        // Four decimals: the most confident mistakes are often all near 1, and the order must show.
        return tr("true: %1\npredicted: %2 (%3)")
            .arg(m_classes.value(r.actual), m_classes.value(r.predicted), QLocale().toString(r.confidence, 'f', 4));
    case Qt::SizeHintRole:
        return QSize(kCellWidth, kCellHeight);
    case Qt::ToolTipRole: {
        const auto unreadable = m_unreadable.constFind(key);
        return unreadable == m_unreadable.cend() ? key : tr("%1\ncannot be read: %2").arg(key, *unreadable);
    }
    case KeyRole:
        return key;
    case ConfidenceRole:
        return r.confidence;
    case Qt::DecorationRole:
        if (m_unreadable.contains(key))
            return QApplication::style()->standardIcon(QStyle::SP_MessageBoxWarning);
        if (const QImage *thumbnail = m_thumbnails.object(key))
            return *thumbnail;
        requestThumbnail(key);
        return {};
    default:
        return {};
    }
}

void MisclassifiedModel::requestThumbnail(const QString &key) const
{
    if (!m_store || m_pending.contains(key))
        return;
    m_pending.insert(key);
    auto *self = const_cast<MisclassifiedModel *>(this); // the cache is filled on the UI thread
    struct Thumbnail
    {
        QImage image;
        QString error; // set: the image cannot be read
    };
    m_jobs->post(
        self,
        [store = m_store, key, live = m_live, generation = m_generation]() -> Thumbnail {
            if (live->load() != generation) // the rows changed since: the result would be dropped
                return {};
            auto bytes = store->read(key);
            if (!bytes)
                return {QImage(), bytes.errorMessage()};
            auto image = decodeImage(bytes.value());
            if (!image)
                return {QImage(), image.errorMessage()};
            return {image->scaled(kThumbnailSize, kThumbnailSize, Qt::KeepAspectRatio, Qt::SmoothTransformation), {}};
        },
        [self, key, generation = m_generation](const Thumbnail &thumbnail) {
            if (generation != self->m_generation)
                return;
            self->m_pending.remove(key);
            ++self->m_read;
            // An unreadable image shows a warning and its reason, and is not asked for again.
            if (!thumbnail.error.isEmpty())
                self->m_unreadable.insert(key, thumbnail.error);
            else
                self->m_thumbnails.insert(key, new QImage(thumbnail.image));
            // Every row of that key (a logged window holds the same image many times).
            for (size_t i = 0; i < self->m_rows.size(); ++i)
                if (self->m_keys.value(qsizetype(self->m_rows[i].row)) == key) {
                    const QModelIndex at = self->index(int(i));
                    Q_EMIT self->dataChanged(at, at, {Qt::DecorationRole, Qt::ToolTipRole});
                }
        });
}

MisclassifiedImages::MisclassifiedImages(QWidget *parent) : QWidget(parent), m_model(new MisclassifiedModel(this))
{
    auto *layout = new QVBoxLayout(this);
    auto *controls = new QHBoxLayout;
    m_modelChoice = new QComboBox(this);
    m_modelChoice->setObjectName(QStringLiteral("misclassifiedModel"));
    m_order = new QComboBox(this);
    m_order->setObjectName(QStringLiteral("misclassifiedOrder"));
    m_order->addItems({tr("Most confident first"), tr("Least confident first")});
    m_summary = new QLabel(this);
    m_summary->setObjectName(QStringLiteral("misclassifiedSummary"));
    controls->addWidget(new QLabel(tr("Model"), this));
    controls->addWidget(m_modelChoice);
    controls->addWidget(m_order);
    controls->addWidget(m_summary, 1);
    layout->addLayout(controls);

    auto *split = new QSplitter(Qt::Vertical, this);
    m_grid = new QListView(split);
    m_grid->setObjectName(QStringLiteral("misclassifiedGrid"));
    m_grid->setViewMode(QListView::IconMode);
    m_grid->setResizeMode(QListView::Adjust);
    m_grid->setMovement(QListView::Static);
    m_grid->setUniformItemSizes(true); // only the visible items are laid out and asked for
    m_grid->setLayoutMode(QListView::Batched);
    m_grid->setIconSize(QSize(MisclassifiedModel::kThumbnailSize, MisclassifiedModel::kThumbnailSize));
    m_grid->setGridSize(QSize(MisclassifiedModel::kCellWidth + 4, MisclassifiedModel::kCellHeight + 4));
    m_grid->setWordWrap(true);
    m_grid->setModel(m_model);
    m_skipped = new QTableWidget(split);
    m_skipped->setObjectName(QStringLiteral("misclassifiedSkipped"));
    m_skipped->setColumnCount(2);
    m_skipped->setHorizontalHeaderLabels({tr("Skipped image"), tr("Reason")});
    m_skipped->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_skipped->verticalHeader()->hide();
    m_skipped->horizontalHeader()->setStretchLastSection(true);
    split->addWidget(m_grid);
    split->addWidget(m_skipped);
    m_skipped->hide(); // shown when a report skipped images
    split->setStretchFactor(0, 4);
    split->setStretchFactor(1, 1);
    layout->addWidget(split, 1);

    connect(m_modelChoice, &QComboBox::currentIndexChanged, this, &MisclassifiedImages::showModel);
    connect(m_order, &QComboBox::currentIndexChanged, this, &MisclassifiedImages::showModel);
}

void MisclassifiedImages::clear()
{
    m_wrong.clear();
    m_keys.clear();
    m_store.reset();
    const QSignalBlocker block(m_modelChoice);
    m_modelChoice->clear();
    m_model->setRows({}, {}, {}, nullptr);
    m_skipped->setRowCount(0);
    m_skipped->hide();
    m_summary->clear();
}

void MisclassifiedImages::setReport(const stats::ComparisonReport &report)
{
    clear();
    if (!report.images)
        return;
    m_keys = report.images->keys;
    m_classes = report.classSpec.classes;
    if (auto config = ImageStoreConfig::fromJson(report.images->store)) {
        if (auto store = openImageStore(config.value()))
            m_store = std::shared_ptr<const ImageStore>(std::move(store).value());
    }
    {
        const QSignalBlocker block(m_modelChoice);
        for (size_t m = 0; m < report.models.size(); ++m) {
            m_wrong.push_back(stats::misclassified(report, m));
            m_modelChoice->addItem(report.models[m].label);
        }
    }
    m_skipped->setRowCount(int(report.images->skipped.size()));
    for (size_t i = 0; i < report.images->skipped.size(); ++i) {
        m_skipped->setItem(int(i), 0, new QTableWidgetItem(report.images->skipped[i].key));
        m_skipped->setItem(int(i), 1, new QTableWidgetItem(report.images->skipped[i].reason));
    }
    m_skipped->setVisible(m_skipped->rowCount() > 0); // no empty table when every image was read
    showModel();
}

void MisclassifiedImages::showModel()
{
    const int m = m_modelChoice->currentIndex();
    if (m < 0 || size_t(m) >= m_wrong.size())
        return;
    std::vector<stats::MisclassifiedRow> rows = m_wrong[size_t(m)];
    const bool confidentFirst = m_order->currentIndex() == 0;
    std::stable_sort(rows.begin(), rows.end(), [confidentFirst](const auto &a, const auto &b) {
        return confidentFirst ? a.confidence > b.confidence : a.confidence < b.confidence;
    });
    m_summary->setText(tr("%1 of %n image(s) misclassified; %2 skipped.", nullptr, int(m_keys.size()))
                           .arg(rows.size())
                           .arg(m_skipped->rowCount()));
    m_model->setRows(std::move(rows), m_keys, m_classes, m_store);
}

} // namespace mldeck::ui

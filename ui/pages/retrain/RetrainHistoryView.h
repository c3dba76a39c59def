#pragma once

#include "core/domain/Result.h"
#include "core/domain/RetrainRun.h"

#include <QWidget>

#include <functional>

class QLabel;
class QPushButton;
class QTableView;
class QTextBrowser;

namespace mldeck {
class RetrainService;
}

namespace mldeck::ui {

class RetrainRunTableModel;

// The History tab: the deployment's retrain runs (status, trigger, parameters, MAE candidate vs
// champion, decision, duration), a details pane with the parameters and metrics as JSON, Refresh and
// "Export JSON…" (the runs as a JSON array).
class RetrainHistoryView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RetrainHistoryView)

public:
    explicit RetrainHistoryView(RetrainService &service, QWidget *parent = nullptr);

    // Where "Export JSON…" writes; the default asks with a file dialog (tests inject a path).
    using PathChooser = std::function<QString()>;
    void setExportPathChooser(PathChooser chooser) { m_choosePath = std::move(chooser); }

    void setDeployment(const QString &deployment);
    RetrainRunTableModel *model() const { return m_model; }

public Q_SLOTS:
    void refresh();

Q_SIGNALS:
    void historyShown(int runs); // after every listing (error: -1)
    void exported(const QString &path, bool ok);

private:
    void onHistoryListed(const Result<QList<RetrainRun>> &listed);
    void showDetails();
    void exportJson();

    RetrainService &m_service;
    RetrainRunTableModel *m_model = nullptr;
    QTableView *m_table = nullptr;
    QTextBrowser *m_details = nullptr;
    QPushButton *m_refresh = nullptr;
    QPushButton *m_export = nullptr;
    QLabel *m_status = nullptr;
    QString m_deployment;
    qint64 m_selectedId = 0;
    bool m_listing = false;
    PathChooser m_choosePath;
};

} // namespace mldeck::ui

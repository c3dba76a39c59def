#include "ui/pages/DeploymentsPage.h"

#include "core/services/DeploymentsService.h"
#include "ui/ConnectionSession.h"
#include "ui/Icons.h"
#include "ui/Theme.h"
#include "ui/pages/deployments/DeploymentsTableModel.h"
#include "ui/pages/deployments/GeneralEditor.h"
#include "ui/pages/deployments/NewDeploymentDialog.h"
#include "ui/settings/SettingsTabs.h"
#include "ui/widgets/EmptyStateView.h"
#include "ui/widgets/InfoBar.h"
#include "ui/widgets/PageFrame.h"

#include <QCheckBox>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableView>
#include <QVBoxLayout>

#include <algorithm>
#include <utility>

namespace mldeck::ui {

DeploymentsPage::DeploymentsPage(ConnectionSession &session, QWidget *parent)
    : QWidget(parent), m_session(session), m_service(new DeploymentsService(this)),
      m_model(new DeploymentsTableModel(this))
{
    auto *frame = PageFrame::install(this, PageId::Deployments,
                                     tr("Create a deployment before any traffic exists, describe it, archive it, and "
                                        "edit every setting of the one selected."),
                                     PageFrame::Selector::None);
    m_new = new QPushButton(tr("New deployment…"), frame);
    m_new->setObjectName(QStringLiteral("newDeploymentButton"));
    m_archive = new QPushButton(tr("Archive…"), frame);
    m_archive->setObjectName(QStringLiteral("archiveDeploymentButton"));
    frame->addToHeader(m_new);
    frame->addToHeader(m_archive);
    m_showArchived = new QCheckBox(tr("Show archived"), frame);
    m_showArchived->setObjectName(QStringLiteral("showArchivedCheck"));
    m_refresh = new QPushButton(tr("⟳ Refresh"), frame);
    m_refresh->setObjectName(QStringLiteral("deploymentsRefresh"));
    m_refresh->setToolTip(tr("Read the deployments again"));
    frame->addToBar(m_showArchived);
    frame->addToBar(m_refresh);

    m_info = new InfoBar(this);
    m_info->setObjectName(QStringLiteral("deploymentsInfoBar"));

    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("deploymentsTable"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->hide();
    m_table->setWordWrap(false);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(DeploymentsTableModel::DescriptionColumn, QHeaderView::Stretch);

    // The selected deployment: its General settings first, then the tab of every other editor.
    m_general = new GeneralEditor(this);
    m_archivedNote = new QLabel(this);
    m_archivedNote->setObjectName(QStringLiteral("archivedNote"));
    m_archivedNote->setWordWrap(true);
    m_archivedNote->setStyleSheet(themeStyle(QStringLiteral("color: @{muted};")));
    m_archivedNote->hide();
    m_settings = new SettingsTabs(&m_session, this);
    m_settings->setObjectName(QStringLiteral("deploymentSettingsTabs"));
    m_settings->insertTab(0, m_general, m_general->title());
    m_settings->setCurrentIndex(0);
    connect(m_general, &SettingsEditor::dirtyChanged, this, [this](bool dirty) {
        m_settings->setTabText(m_settings->indexOf(m_general),
                               dirty ? m_general->title() + QStringLiteral(" *") : m_general->title());
    });
    auto *details = new QWidget(this);
    auto *detailsLayout = new QVBoxLayout(details);
    detailsLayout->setContentsMargins(0, 0, 0, 0);
    detailsLayout->addWidget(m_archivedNote);
    detailsLayout->addWidget(m_settings, 1);

    auto *split = new QSplitter(Qt::Vertical, this);
    split->setChildrenCollapsible(false);
    split->addWidget(m_table);
    split->addWidget(details);
    split->setStretchFactor(0, 1);
    split->setStretchFactor(1, 3);
    split->setSizes({150, 450});

    m_empty =
        new EmptyStateView({pageGlyph(PageId::Deployments, 64, themeColor(Palette::Accent)), tr("No deployments yet"),
                            tr("A deployment is one model-backed feature, such as an arrival-time estimate. "
                               "Create one with New deployment…: give it a name, its task and its features, "
                               "then register a model for it on the Models page."),
                            QString()},
                           this);
    m_body = new QStackedWidget(this);
    m_body->addWidget(split);
    m_body->addWidget(m_empty);

    auto *body = new QWidget(this);
    auto *bodyLayout = new QVBoxLayout(body);
    bodyLayout->setContentsMargins(0, 8, 0, 0);
    bodyLayout->addWidget(m_info);
    bodyLayout->addWidget(m_body, 1);
    frame->setBody(body);

    m_reasonPrompt = [this](const QString &deployment) -> std::optional<QString> {
        bool ok = false;
        const QString reason = QInputDialog::getText(
            this, tr("Archive %1").arg(deployment),
            tr("Why archive %1? It disappears from the selectors and the guard; its history is kept.").arg(deployment),
            QLineEdit::Normal, QString(), &ok);
        return ok ? std::optional(reason) : std::nullopt;
    };

    connect(m_service, &DeploymentsService::listed, this, &DeploymentsPage::onListed);
    connect(m_service, &DeploymentsService::archived, this, &DeploymentsPage::onArchived);
    connect(m_refresh, &QPushButton::clicked, this, &DeploymentsPage::refresh);
    connect(m_showArchived, &QCheckBox::toggled, this, &DeploymentsPage::showList);
    connect(m_new, &QPushButton::clicked, this, [this] { openNewDeploymentDialog(); });
    connect(m_archive, &QPushButton::clicked, this, &DeploymentsPage::archiveSelected);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &DeploymentsPage::onSelectionChanged);
    connect(m_general, &SettingsEditor::saved, this, &DeploymentsPage::refresh); // the table shows the new text
    connect(&m_session, &ConnectionSession::activeProfileChanged, this, &DeploymentsPage::applyProfile);

    onSelectionChanged();
    if (!m_session.activeProfile().name.isEmpty())
        applyProfile(m_session.activeProfile());
}

DeploymentsPage::~DeploymentsPage() = default;

void DeploymentsPage::setReasonPrompt(ReasonPrompt prompt)
{
    m_reasonPrompt = std::move(prompt);
}

void DeploymentsPage::applyProfile(const ConnectionProfile &profile)
{
    m_service->setEndpoints(profile.pg, profile.redis);
    m_general->setListed({}); // what was listed came from the previous server
    m_general->setEndpoint(profile.pg);
    m_connected = true;
    refresh();
}

void DeploymentsPage::refresh()
{
    if (!m_connected)
        return;
    ++m_listPending;
    m_service->list(true); // archived too: the toggle filters, and a new name must differ from them all
}

void DeploymentsPage::onListed(const Result<DeploymentList> &listed)
{
    if (--m_listPending > 0)
        return; // a later listing is on its way
    m_listPending = 0;
    if (!listed) {
        m_listFailed = true;
        m_info->showMessage(tr("Cannot read the deployments: %1").arg(listed.errorMessage()), InfoBar::Kind::Warning);
        return;
    }
    if (std::exchange(m_listFailed, false))
        m_info->hide();
    m_all = listed->deployments;
    m_general->setListed(m_all);
    m_mayChange = listed->permissions.mayChange(SettingsArea::Deployments);
    m_refusal = listed->permissions.refusal(SettingsArea::Deployments);
    showList();
}

void DeploymentsPage::showList()
{
    if (const DeploymentInfo *d = selected())
        m_wanted = d->name;
    QList<DeploymentInfo> shown;
    for (const DeploymentInfo &d : std::as_const(m_all))
        if (m_showArchived->isChecked() || !d.archived())
            shown << d;
    m_model->setDeployments(shown);
    m_body->setCurrentWidget(m_all.isEmpty() ? static_cast<QWidget *>(m_empty) : m_body->widget(0));
    const int row = std::max(m_model->rowOf(m_wanted), shown.isEmpty() ? -1 : 0);
    if (row >= 0)
        m_table->selectRow(row);
    onSelectionChanged();
    QStringList names;
    for (const DeploymentInfo &d : std::as_const(shown))
        names << d.name;
    Q_EMIT deploymentsShown(names);
}

const DeploymentInfo *DeploymentsPage::selected() const
{
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    return rows.isEmpty() ? nullptr : m_model->at(rows.first().row());
}

QString DeploymentsPage::currentDeployment() const
{
    const DeploymentInfo *d = selected();
    return d ? d->name : QString();
}

void DeploymentsPage::selectDeployment(const QString &deployment)
{
    m_wanted = deployment;
    const int row = m_model->rowOf(deployment);
    if (row >= 0)
        m_table->selectRow(row);
    else
        refresh();
}

void DeploymentsPage::onSelectionChanged()
{
    const DeploymentInfo *d = selected();
    if (d)
        m_wanted = d->name;
    // An archived deployment keeps its history but is no longer edited.
    const bool editable = d && !d->archived();
    m_archivedNote->setVisible(d && d->archived());
    if (d && d->archived())
        m_archivedNote->setText(
            tr("%1 is archived: its settings are kept as they were and are no longer edited.").arg(d->name));
    const QString name = editable ? d->name : QString();
    if (m_general->deployment() != name)
        m_general->setDeployment(name);
    if (m_settings->deployment() != name)
        m_settings->setDeployment(name);
    updateButtons();
}

void DeploymentsPage::updateButtons()
{
    const DeploymentInfo *d = selected();
    m_new->setEnabled(m_connected && m_mayChange);
    m_archive->setEnabled(m_mayChange && !m_archiving && d && !d->archived());
    m_new->setToolTip(m_mayChange ? tr("Create a deployment: name, task, features and drift reference") : m_refusal);
    m_archive->setToolTip(m_mayChange ? tr("Hide the selected deployment from the selectors and the guard; its "
                                           "history is kept")
                                      : m_refusal);
}

NewDeploymentDialog *DeploymentsPage::newDeploymentDialog() const
{
    return m_dialog;
}

NewDeploymentDialog *DeploymentsPage::openNewDeploymentDialog()
{
    if (!m_new->isEnabled())
        return nullptr;
    if (!m_dialog) {
        QStringList names;
        for (const DeploymentInfo &d : std::as_const(m_all))
            names << d.name;
        m_dialog = new NewDeploymentDialog(*m_service, names, this);
        m_dialog->setAttribute(Qt::WA_DeleteOnClose);
        connect(m_dialog, &NewDeploymentDialog::deploymentCreated, this, [this](const DeploymentInfo &created) {
            m_info->showMessage(tr("Deployment %1 created. Register a model for it on the Models page; its flags are "
                                   "off until you enable them.")
                                    .arg(created.name),
                                InfoBar::Kind::Info);
            m_wanted = created.name;
            refresh();
        });
    }
    m_dialog->show();
    m_dialog->raise();
    m_dialog->activateWindow();
    return m_dialog;
}

void DeploymentsPage::archiveSelected()
{
    const DeploymentInfo *d = selected();
    if (!d || d->archived() || !m_mayChange)
        return;
    const QString name = d->name;
    const std::optional<QString> reason = m_reasonPrompt ? m_reasonPrompt(name) : std::nullopt;
    if (!reason)
        return;
    if (reason->trimmed().isEmpty()) {
        m_info->showMessage(tr("%1 was not archived: say why (the reason goes into the audit log).").arg(name),
                            InfoBar::Kind::Warning);
        Q_EMIT actionCompleted(false, m_info->text());
        return;
    }
    m_archiving = true;
    updateButtons();
    m_service->archive(name, reason->trimmed());
}

void DeploymentsPage::onArchived(const Result<QString> &archived)
{
    m_archiving = false;
    const QString message = archived ? tr("Deployment %1 archived: it no longer appears in the selectors and the guard "
                                          "skips it. Its history is kept.")
                                           .arg(*archived)
                                     : tr("Not archived: %1").arg(archived.errorMessage());
    m_info->showMessage(message, archived ? InfoBar::Kind::Info : InfoBar::Kind::Warning);
    updateButtons();
    refresh();
    Q_EMIT actionCompleted(archived.ok(), message);
}

} // namespace mldeck::ui

#include "ui/pages/models/RegistryView.h"

#include "ui/Theme.h"

#include "core/domain/Figure.h"
#include "core/ml/checks/ModelChecks.h"
#include "core/services/ModelsService.h"
#include "core/services/RedisAccessService.h"
#include "ui/ConnectionSession.h"
#include "ui/pages/deployments/DeploymentsTableModel.h"
#include "ui/pages/models/AliasBadgeDelegate.h"
#include "ui/pages/models/ModelVersionTableModel.h"
#include "ui/widgets/InfoBar.h"
#include "ui/widgets/PageFrame.h"
#include "ui/widgets/RoleGate.h"

#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QTextBrowser>
#include <QVBoxLayout>

namespace mldeck::ui {

namespace {

QString esc(const QString &s)
{
    return s.toHtmlEscaped();
}

QString row(const QString &label, const QString &value)
{
    return themeStyle(QStringLiteral("<tr><td style='color:@{muted};padding-right:12px'>%1</td><td>%2</td></tr>"))
        .arg(esc(label), value);
}

QString when(const QDateTime &t)
{
    return t.isValid() ? esc(QLocale().toString(t.toLocalTime(), QLocale::ShortFormat)) : QStringLiteral("–");
}

} // namespace

RegistryView::RegistryView(ConnectionSession &session, PageFrame &frame, QWidget *parent)
    : QWidget(parent), m_session(session), m_frame(frame), m_service(new ModelsService(this)),
      m_model(new ModelVersionTableModel(this)), m_deployments(frame.deploymentSelector()),
      m_refresh(frame.refreshButton())
{
    setObjectName(QStringLiteral("registryView"));
    connect(&m_session, &ConnectionSession::permissionsChanged, this, &RegistryView::updateButtons);
    connect(&m_session.redisAccess(), &RedisAccessService::accessChanged, this, &RegistryView::updateButtons);

    m_info = new InfoBar(this);
    m_info->setObjectName(QStringLiteral("registryInfoBar"));

    m_table = new QTableView(this);
    m_table->setObjectName(QStringLiteral("modelsTable"));
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->verticalHeader()->hide();
    m_table->setItemDelegateForColumn(ModelVersionTableModel::AliasesColumn, new AliasBadgeDelegate(m_table));
    m_table->setWordWrap(false);
    // Everything fits its content; the name takes what is left, so no column hides behind a scroll bar.
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_table->horizontalHeader()->setSectionResizeMode(ModelVersionTableModel::NameColumn, QHeaderView::Stretch);
    m_table->horizontalHeader()->setMinimumSectionSize(48);

    m_details = new QTextBrowser(this);
    m_details->setObjectName(QStringLiteral("modelDetails"));
    m_details->setOpenLinks(false);

    auto *split = new QSplitter(Qt::Horizontal, this);
    split->addWidget(m_table);
    split->addWidget(m_details);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    split->setSizes({640, 380});

    m_reason = new QLineEdit(this);
    m_reason->setObjectName(QStringLiteral("reasonEdit"));
    m_reason->setPlaceholderText(tr("Reason (kept in the audit log)"));
    m_register = new QPushButton(tr("Register…"), this);
    m_register->setObjectName(QStringLiteral("registerButton"));
    m_promote = new QPushButton(tr("Promote to champion"), this);
    m_promote->setObjectName(QStringLiteral("promoteButton"));
    m_challenger = new QPushButton(tr("Make challenger"), this);
    m_challenger->setObjectName(QStringLiteral("challengerButton"));
    m_restore = new QPushButton(tr("Restore previous"), this);
    m_restore->setObjectName(QStringLiteral("restoreButton"));
    m_restore->setToolTip(tr("Make the champion before the current one the champion again"));
    m_archive = new QPushButton(tr("Archive"), this);
    m_archive->setObjectName(QStringLiteral("archiveButton"));
    m_golden = new QLabel(this);
    m_golden->setObjectName(QStringLiteral("goldenLabel"));
    m_golden->setWordWrap(true);
    m_goldenButton = new QPushButton(tr("Golden data…"), this);
    m_goldenButton->setObjectName(QStringLiteral("goldenButton"));
    m_goldenButton->setToolTip(tr("Register or replace the golden dataset the model checks run on before a promotion"));
    m_goldenRemove = new QPushButton(tr("Remove golden data"), this);
    m_goldenRemove->setObjectName(QStringLiteral("goldenRemoveButton"));
    m_goldenRemove->setToolTip(tr("Remove the golden dataset: promotions are then no longer checked"));
    auto *goldenRow = new QHBoxLayout;
    goldenRow->addWidget(m_golden, 1);
    goldenRow->addWidget(m_goldenButton);
    goldenRow->addWidget(m_goldenRemove);
    auto *actions = new QHBoxLayout;
    actions->addWidget(m_reason, 1);
    actions->addWidget(m_register);
    actions->addWidget(m_promote);
    actions->addWidget(m_challenger);
    actions->addWidget(m_restore);
    actions->addWidget(m_archive);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_info);
    layout->addLayout(goldenRow);
    layout->addWidget(split, 1);
    layout->addLayout(actions);

    m_confirm = [this](const QString &title, const QString &text) {
        return QMessageBox::question(this, title, text, QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel) ==
               QMessageBox::Yes;
    };
    m_filePicker = [this] {
        return QFileDialog::getOpenFileName(this, tr("Register a TorchScript model"), QString(),
                                            tr("TorchScript models (*.pt *.pth *.ptl);;All files (*)"));
    };

    connect(m_service, &ModelsService::deploymentsListed, this, &RegistryView::onDeploymentsListed);
    connect(m_service, &ModelsService::modelsListed, this, &RegistryView::onModelsListed);
    connect(m_service, &ModelsService::actionFinished, this, &RegistryView::onActionFinished);
    connect(m_refresh, &QPushButton::clicked, this, &RegistryView::refresh);
    connect(m_deployments, &QComboBox::currentTextChanged, this, [this](const QString &d) {
        if (!d.isEmpty() && m_deploymentsPending == 0) {
            m_wantedDeployment = d;
            m_wantedVersion.clear();
            loadModels();
        }
    });
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        if (const ModelVersion *m = selected())
            m_wantedVersion = m->version;
        updateDetails();
        updateButtons();
    });
    connect(m_register, &QPushButton::clicked, this, &RegistryView::registerFile);
    connect(m_goldenButton, &QPushButton::clicked, this, &RegistryView::registerGolden);
    connect(m_goldenRemove, &QPushButton::clicked, this, &RegistryView::removeGolden);
    m_goldenPicker = [this] { return askGoldenData(this); };
    connect(m_promote, &QPushButton::clicked, this, [this] { promoteSelected(QStringLiteral("champion")); });
    connect(m_challenger, &QPushButton::clicked, this, [this] { promoteSelected(QStringLiteral("challenger")); });
    connect(m_restore, &QPushButton::clicked, this, &RegistryView::restorePrevious);
    connect(m_archive, &QPushButton::clicked, this, &RegistryView::archiveSelected);
    connect(m_info, &InfoBar::actionTriggered, this, [this] {
        if (m_publishDeployment.isEmpty())
            return;
        startAction();
        m_service->publish(m_publishDeployment);
    });
    connect(&m_session, &ConnectionSession::activeProfileChanged, this, &RegistryView::applyProfile);

    updateDetails();
    updateButtons();
    if (!m_session.activeProfile().name.isEmpty())
        applyProfile(m_session.activeProfile());
}

RegistryView::~RegistryView() = default;

void RegistryView::setConfirm(Confirm confirm)
{
    m_confirm = std::move(confirm);
}

void RegistryView::setFilePicker(FilePicker picker)
{
    m_filePicker = std::move(picker);
}

void RegistryView::setGoldenPicker(GoldenPicker picker)
{
    m_goldenPicker = std::move(picker);
}

void RegistryView::setStoreDirectory(const QString &directory)
{
    m_service->setStoreDirectory(directory);
}

QString RegistryView::currentDeployment() const
{
    return m_deployments->currentText();
}

void RegistryView::selectDeployment(const QString &deployment)
{
    m_wantedDeployment = deployment;
    const int i = m_deployments->findText(deployment);
    if (i >= 0 && i != m_deployments->currentIndex())
        m_deployments->setCurrentIndex(i); // loads through currentTextChanged
    else
        refresh();
}

void RegistryView::selectVersion(const QString &deployment, const QString &version)
{
    selectDeployment(deployment);
    m_wantedVersion = version; // after: changing the deployment clears it; the models' answer selects it
}

void RegistryView::applyProfile(const ConnectionProfile &profile)
{
    m_service->setEndpoints(profile.pg, profile.redis);
    m_connected = true;
    refresh();
}

void RegistryView::refresh()
{
    if (!m_connected)
        return;
    ++m_deploymentsPending;
    m_service->listDeployments();
}

void RegistryView::onDeploymentsListed(const Result<QStringList> &listed)
{
    if (m_deploymentsPending > 1) {
        --m_deploymentsPending; // a later listing is on its way
        return;
    }
    if (!listed) {
        m_deploymentsPending = 0;
        m_info->showMessage(tr("Cannot read the deployments: %1").arg(listed.errorMessage()), InfoBar::Kind::Warning);
        return;
    }
    // Fill without reacting to currentTextChanged, then load once.
    const QString wanted = m_frame.showDeployments(*listed, m_wantedDeployment);
    m_deploymentsPending = 0;
    m_wantedDeployment = wanted;
    if (wanted.isEmpty()) {
        m_model->setModels({});
        m_info->showMessage(tr("No deployment yet: the serving backend (or mldeckctl simulate) creates one."),
                            InfoBar::Kind::Info);
        updateButtons();
        Q_EMIT modelsShown(QString(), 0);
        return;
    }
    loadModels();
}

void RegistryView::loadModels()
{
    const QString d = m_deployments->currentText();
    if (d.isEmpty())
        return;
    ++m_modelsPending;
    m_service->listModels(d);
}

void RegistryView::onModelsListed(const Result<ModelList> &listed)
{
    if (--m_modelsPending > 0)
        return;
    m_modelsPending = 0;
    if (!listed) {
        m_info->showMessage(
            tr("Cannot read the models of %1: %2").arg(m_deployments->currentText(), listed.errorMessage()),
            InfoBar::Kind::Warning);
        return;
    }
    const QString &deployment = listed->deployment;
    const QList<ModelVersion> &models = listed->models;
    m_model->setModels(models, listed->checks);
    showGolden(listed->golden);
    const int rowToSelect = m_model->rowOfVersion(m_wantedVersion);
    if (rowToSelect >= 0)
        m_table->selectRow(rowToSelect);
    else if (!models.isEmpty())
        m_table->selectRow(0);
    updateDetails();
    updateButtons();
    Q_EMIT modelsShown(deployment, int(models.size()));
}

const ModelVersion *RegistryView::selected() const
{
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    return rows.isEmpty() ? nullptr : m_model->at(rows.first().row());
}

namespace {

// The newest model checks of a version: the verdict, then each check with its figures.
QString checksHtml(const QJsonObject &json)
{
    if (json.isEmpty())
        return {};
    const checks::CheckReport report = checks::CheckReport::fromJson(json);
    QString html = QStringLiteral("<h4>%1</h4><p>%2</p><ul>")
                       .arg(RegistryView::tr("Model checks").toHtmlEscaped(), report.summary().toHtmlEscaped());
    for (const checks::CheckResult &r : report.results) {
        const QString colour = r.outcome == checks::Outcome::Fail   ? themeCss(Palette::Bad)
                               : r.outcome == checks::Outcome::Pass ? themeCss(Palette::Good)
                                                                    : themeCss(Palette::Muted);
        html += QStringLiteral("<li><span style='color:%1'>%2</span> %3: %4</li>")
                    .arg(colour, checks::outcomeText(r.outcome).toHtmlEscaped(), r.title().toHtmlEscaped(),
                         r.detail.toHtmlEscaped());
    }
    return html + QStringLiteral("</ul>");
}

} // namespace

void RegistryView::updateDetails()
{
    const ModelVersion *m = selected();
    if (!m) {
        m_details->setHtml(
            QStringLiteral("<p style='color:%1'>%2</p>")
                .arg(themeCss(Palette::Muted), tr("Select a version to see its metadata.").toHtmlEscaped()));
        return;
    }
    QString html = QStringLiteral("<h3>%1@%2 — %3</h3><table>").arg(esc(m->deployment), esc(m->version), esc(m->name));
    html += row(tr("Aliases"), m->aliases.isEmpty() ? QStringLiteral("–") : esc(m->aliases.join(QStringLiteral(", "))));
    html += row(tr("State"), m->archived ? tr("archived") : tr("active"));
    html += row(tr("Task"), esc(DeploymentsTableModel::taskText(m->task)));
    html += row(tr("Target unit"), m->targetUnit.isEmpty() ? QStringLiteral("–") : esc(m->targetUnit));
    html += row(tr("SHA-256"), QStringLiteral("<code>%1</code>").arg(esc(m->sha256)));
    html += row(tr("File"), esc(m->filePath));
    html += row(tr("Created"), tr("%1 by %2").arg(when(m->createdAt), esc(m->createdBy)));
    html += row(tr("Parent version"), m->parentVersion.isEmpty() ? QStringLiteral("–") : esc(m->parentVersion));
    html += row(tr("Training window"), m->trainFrom.isValid() || m->trainTo.isValid()
                                           ? tr("%1 to %2").arg(when(m->trainFrom), when(m->trainTo))
                                           : QStringLiteral("–"));
    QStringList metrics;
    for (auto it = m->metrics.begin(); it != m->metrics.end(); ++it)
        metrics << QStringLiteral("%1 = %2").arg(esc(it.key()), esc(figureText(figureOf(it.value()), [](double v) {
                                                     return QLocale().toString(v, 'g', 6);
                                                 })));
    html += row(tr("Metrics"), metrics.isEmpty() ? QStringLiteral("–") : metrics.join(QStringLiteral("<br>")));
    html +=
        row(tr("Feature schema"), m->featureSchemaId ? QString::number(*m->featureSchemaId) : tr("none (no metadata)"));
    html += QStringLiteral("</table>");
    html += checksHtml(m_model->checksOf(m->id));
    if (!m->featureNames.isEmpty()) {
        const QJsonArray mean = m->scaler.value(QStringLiteral("mean")).toArray();
        const QJsonArray sd = m->scaler.value(QStringLiteral("std")).toArray();
        html += QStringLiteral("<h4>%1</h4><ol>").arg(tr("Features, in input order"));
        for (int i = 0; i < m->featureNames.size(); ++i) {
            QString item = esc(m->featureNames.at(i));
            if (i < mean.size() && i < sd.size())
                item += themeStyle(QStringLiteral(" <span style='color:@{muted}'>%1</span>"))
                            .arg(tr("(mean %1, std %2)")
                                     .arg(QLocale().toString(mean.at(i).toDouble(), 'g', 5),
                                          QLocale().toString(sd.at(i).toDouble(), 'g', 5)));
            html += QStringLiteral("<li>%1</li>").arg(item);
        }
        html += QStringLiteral("</ol>");
    }
    m_details->setHtml(html);
}

void RegistryView::updateButtons()
{
    const bool idle = !m_actionRunning;
    const bool haveDeployment = !m_deployments->currentText().isEmpty();
    const ModelVersion *m = selected();
    m_register->setEnabled(idle && haveDeployment);
    m_goldenButton->setEnabled(idle && haveDeployment);
    m_goldenRemove->setEnabled(idle && haveDeployment && m_hasGolden);
    m_restore->setEnabled(idle && haveDeployment);
    m_promote->setEnabled(idle && m && !m->archived && !m->isChampion());
    m_challenger->setEnabled(idle && m && !m->archived && !m->isChampion() && !m->isChallenger());
    m_archive->setEnabled(idle && m && !m->archived && !m->isChampion());
    m_archive->setToolTip(m && m->isChampion() ? tr("The champion cannot be archived; promote another version first.")
                                               : QString());
    const auto &role = m_session.permissions();
    // Promoting or restoring a champion publishes it in Redis: a read-only Redis user may not.
    const QString redis = redisRefusal(m_session.redisAccess().access());
    applyRole(m_register, role, RoleAction::ModelRegister);
    applyRole(m_goldenButton, role, RoleAction::ModelRegister); // golden data are the scientist's, like models
    applyRole(m_goldenRemove, role, RoleAction::ModelRegister);
    applyGate(m_promote, {roleRefusal(role, RoleAction::ModelPromote), redis});
    applyRole(m_challenger, role, RoleAction::ModelPromote);
    applyGate(m_restore, {roleRefusal(role, RoleAction::ModelRestore), redis});
    applyRole(m_archive, role, RoleAction::ModelArchive);
}

bool RegistryView::confirm(const QString &title, const QString &text)
{
    return !m_confirm || m_confirm(title, text);
}

void RegistryView::startAction()
{
    m_actionRunning = true;
    updateButtons();
}

void RegistryView::registerFile()
{
    const QString deployment = m_deployments->currentText();
    const QString file = m_filePicker ? m_filePicker() : QString();
    if (file.isEmpty() || deployment.isEmpty())
        return;
    if (!confirm(tr("Register model"),
                 tr("Register %1 for deployment %2? The file is checked, loaded once and copied into the model store.")
                     .arg(file, deployment)))
        return;
    startAction();
    m_service->registerFile(deployment, file);
}

void RegistryView::registerGolden()
{
    const QString deployment = m_deployments->currentText();
    const auto choice = m_goldenPicker ? m_goldenPicker() : std::nullopt;
    if (!choice || deployment.isEmpty())
        return;
    startAction();
    m_service->setGolden(deployment, choice->file, choice->targetColumn, choice->segmentColumn);
}

void RegistryView::removeGolden()
{
    const QString deployment = m_deployments->currentText();
    if (deployment.isEmpty() || !m_hasGolden)
        return;
    if (!confirm(tr("Remove golden data"),
                 tr("Remove the golden dataset of %1? Its promotions are then no longer checked until another one is "
                    "registered.")
                     .arg(deployment)))
        return;
    startAction();
    m_service->removeGolden(deployment);
}

void RegistryView::showGolden(const std::optional<GoldenRecord> &golden)
{
    m_hasGolden = golden.has_value();
    if (!golden) {
        m_golden->setText(tr("No golden dataset: no promotion checks configured. A version becomes champion "
                             "without any check."));
        return;
    }
    m_golden->setText(
        tr("Golden dataset: %1, %n row(s), outcome %2, %3; registered %4 by %5. The model checks run "
           "on it before every promotion.",
           nullptr, golden->rows)
            .arg(golden->fileName, golden->targetColumn,
                 golden->segmentColumn.isEmpty() ? tr("no segments") : tr("segments by %1").arg(golden->segmentColumn),
                 QLocale().toString(golden->updatedAt.toLocalTime(), QLocale::ShortFormat), golden->updatedBy));
}

void RegistryView::promoteSelected(const QString &alias)
{
    const ModelVersion *m = selected();
    if (!m)
        return;
    const QString deployment = m->deployment;
    const QString version = m->version;
    const bool champion = alias == QLatin1String("champion");
    const QString text =
        champion
            ? tr("Make %1@%2 the champion? The serving backend is told at once (Redis). The current champion stays "
                 "one click away with Restore previous.")
                  .arg(deployment, version)
            : tr("Make %1@%2 the challenger?").arg(deployment, version);
    if (!confirm(champion ? tr("Promote to champion") : tr("Make challenger"), text))
        return;
    m_wantedVersion = version;
    startAction();
    m_service->promote(deployment, version, alias, m_reason->text());
}

void RegistryView::restorePrevious()
{
    const QString deployment = m_deployments->currentText();
    if (deployment.isEmpty())
        return;
    if (!confirm(tr("Restore previous model"),
                 tr("Make the previous champion of %1 the champion again? The serving backend is told at once.")
                     .arg(deployment)))
        return;
    startAction();
    m_service->restorePrevious(deployment, m_reason->text());
}

void RegistryView::archiveSelected()
{
    const ModelVersion *m = selected();
    if (!m)
        return;
    if (!confirm(tr("Archive model"),
                 tr("Archive %1@%2? It can no longer be promoted.").arg(m->deployment, m->version)))
        return;
    startAction();
    m_service->archive(m->deployment, m->version, m_reason->text());
}

void RegistryView::onActionFinished(const Result<ModelAction> &result)
{
    m_actionRunning = false;
    m_publishDeployment.clear();
    QString message;
    if (!result) {
        message = result.errorMessage();
        m_info->showMessage(message, InfoBar::Kind::Warning);
    } else if (!result->publishError.isEmpty()) {
        message = result->message + QLatin1Char(' ') + result->publishError;
        m_publishDeployment = result->model ? result->model->deployment : m_deployments->currentText();
        m_info->showMessage(message, InfoBar::Kind::Warning, tr("Publish again"));
    } else {
        message = result->message;
        m_info->showMessage(message, InfoBar::Kind::Info);
        m_reason->clear();
    }
    if (result && result->model)
        m_wantedVersion = result->model->version;
    updateButtons();
    loadModels();
    Q_EMIT actionCompleted(result.ok(), message);
}

} // namespace mldeck::ui

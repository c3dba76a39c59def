#include "ui/settings/SettingsTabs.h"

#include "core/config/ConnectionProfile.h"
#include "ui/ConnectionSession.h"
#include "ui/settings/DriftSettingsEditor.h"
#include "ui/settings/GuardRulesEditor.h"
#include "ui/settings/KpiTargetsEditor.h"
#include "ui/settings/RetentionEditor.h"
#include "ui/settings/RetrainSettingsEditor.h"
#include "ui/settings/SettingsEditor.h"
#include "ui/settings/WebhookEditor.h"

namespace mldeck::ui {

SettingsTabs::SettingsTabs(ConnectionSession *session, QWidget *parent) : QTabWidget(parent)
{
    setObjectName(QStringLiteral("settingsTabs"));
    setDocumentMode(true);
    // One line per editor.
    addEditor(new KpiTargetsEditor(this));
    addEditor(new GuardRulesEditor(this));
    addEditor(new WebhookEditor(this));
    addEditor(new DriftSettingsEditor(this));
    addEditor(new RetrainSettingsEditor(this));
    addEditor(new RetentionEditor(this));

    if (session) {
        connect(session, &ConnectionSession::activeProfileChanged, this,
                [this](const ConnectionProfile &profile) { setEndpoint(profile.pg); });
        if (!session->activeProfile().name.isEmpty())
            setEndpoint(session->activeProfile().pg);
    }
}

SettingsTabs::~SettingsTabs() = default;

void SettingsTabs::setEndpoint(const std::optional<PgEndpoint> &pg)
{
    for (SettingsEditor *e : m_editors)
        e->setEndpoint(pg);
}

void SettingsTabs::setDeployment(const QString &deployment)
{
    m_deployment = deployment;
    for (SettingsEditor *e : m_editors)
        e->setDeployment(deployment);
}

bool SettingsTabs::hasUnsavedChanges() const
{
    for (const SettingsEditor *e : m_editors)
        if (e->isDirty())
            return true;
    return false;
}

void SettingsTabs::addEditor(SettingsEditor *editor)
{
    m_editors.append(editor);
    addTab(editor, editor->title());
    connect(editor, &SettingsEditor::dirtyChanged, this, [this, editor] { updateTabTitle(editor); });
}

void SettingsTabs::updateTabTitle(SettingsEditor *editor)
{
    const int index = indexOf(editor);
    if (index >= 0)
        setTabText(index, editor->isDirty() ? editor->title() + QStringLiteral(" *") : editor->title());
}

} // namespace mldeck::ui

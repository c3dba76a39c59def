#pragma once

#include "ui/settings/SettingsEditor.h"

class QPushButton;

namespace mldeck {
class SettingsService;
} // namespace mldeck

namespace mldeck::ui {

// The deployment's alert webhook: its URL (http:// or https://, as mldeck.alert_webhooks checks) and
// whether alerts use it (AlertRuleStore::setWebhook audits "alert_webhook.set", the URL masked).
// "Send test" posts one test event to the stored URL and records the delivery.
class WebhookEditor final : public SettingsEditor
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WebhookEditor)

public:
    explicit WebhookEditor(QWidget *parent = nullptr);
    ~WebhookEditor() override;

    QPushButton *testButton() const { return m_test; }

protected:
    void applyEndpoint(const std::optional<PgEndpoint> &pg) override;
    void load(const QString &deployment) override;
    void save(const QString &deployment, const Values &values) override;

private:
    void updateTestButton();

    SettingsService *m_service = nullptr;
    QPushButton *m_test = nullptr;
    bool m_stored = false; // the deployment has a webhook in the database
    bool m_testing = false;
};

} // namespace mldeck::ui

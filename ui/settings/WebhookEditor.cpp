#include "ui/settings/WebhookEditor.h"

#include "core/domain/AlertRule.h"
#include "core/services/SettingsService.h"

#include <QPushButton>

namespace mldeck::ui {

namespace {

const QString kUrl = QStringLiteral("url");
const QString kEnabled = QStringLiteral("enabled");

} // namespace

WebhookEditor::WebhookEditor(QWidget *parent)
    : SettingsEditor(SettingsArea::Webhook, tr("Webhook"), parent), m_service(new SettingsService(this))
{
    addText(
        kUrl, tr("URL"),
        [](const QString &url) -> QString {
            if (url.isEmpty())
                return tr("A URL is needed.");
            const Status s = WebhookSettings::validateUrl(url);
            return s ? QString() : s.errorMessage();
        },
        QStringLiteral("https://hooks.example.com/…"));
    addBool(kEnabled, tr("Alerts are sent to this webhook"));
    addNote(tr("A Slack-compatible JSON POST per alert that fires or resolves. The audit log keeps only the "
               "URL's scheme and host: the rest may hold a token."));

    m_test = new QPushButton(tr("Send test"));
    m_test->setObjectName(QStringLiteral("webhookTest"));
    m_test->setToolTip(tr("Post one test event to the saved URL and record the delivery."));
    addActionButton(m_test);
    connect(m_test, &QPushButton::clicked, this, [this] {
        m_testing = true;
        updateTestButton();
        setStatus(tr("Sending a test…"), false);
        m_service->sendTestWebhook(deployment());
    });
    connect(this, &SettingsEditor::dirtyChanged, this, &WebhookEditor::updateTestButton);

    connect(m_service, &SettingsService::webhookLoaded, this,
            [this](const QString &loaded, const Result<std::optional<WebhookSettings>> &r) {
                if (loaded != deployment())
                    return;
                m_stored = r && r->has_value();
                if (!r)
                    setLoadFailed(loaded, r.errorMessage());
                else // none yet: an empty form, on once a URL is given
                    setLoaded(loaded, {{kUrl, *r ? (*r)->url : QString()}, {kEnabled, *r ? (*r)->enabled : true}});
                updateTestButton();
            });
    connect(m_service, &SettingsService::webhookSaved, this, [this](const Result<WebhookSettings> &r) {
        if (r) {
            m_stored = true;
            setSaved({{kUrl, r->url}, {kEnabled, r->enabled}});
        } else {
            setSaveFailed(r.errorMessage());
        }
        updateTestButton();
    });
    connect(m_service, &SettingsService::webhookTested, this, [this](const Result<QString> &r) {
        m_testing = false;
        updateTestButton();
        setStatus(r ? *r : r.errorMessage(), !r);
    });
    updateTestButton();
}

WebhookEditor::~WebhookEditor() = default;

// A test goes to the stored URL: only when there is one and the form shows it unchanged.
void WebhookEditor::updateTestButton()
{
    m_test->setEnabled(m_stored && !m_testing && !isDirty() && !isReadOnly());
}

void WebhookEditor::applyEndpoint(const std::optional<PgEndpoint> &pg)
{
    m_service->setEndpoint(pg);
}

void WebhookEditor::load(const QString &deployment)
{
    m_stored = false;
    updateTestButton();
    m_service->loadWebhook(deployment);
}

void WebhookEditor::save(const QString &deployment, const Values &values)
{
    m_service->saveWebhook(deployment, WebhookSettings{values.value(kUrl).toString(), values.value(kEnabled).toBool()});
}

} // namespace mldeck::ui

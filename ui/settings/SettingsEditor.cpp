#include "ui/settings/SettingsEditor.h"

#include "core/services/SettingsService.h"
#include "ui/Theme.h"
#include "ui/widgets/FormGrid.h"
#include "ui/widgets/InfoBar.h"

#include <QCheckBox>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QScrollArea>
#include <QSignalBlocker>
#include <QVBoxLayout>

#include <cmath>

namespace mldeck::ui {

// One row of the form: its input, its message, and how to read, write and judge its value.
struct SettingsEditor::Field
{
    QString key;
    QWidget *widget = nullptr;
    QLabel *message = nullptr;
    QString suffix;                 // the unit shown after the input
    QLineEdit *line = nullptr;      // text inputs: what was typed counts, even when it reads as no value
    QString loadedText;             // the line's text when the baseline was set
    std::function<QVariant()> read; // null when the input cannot be read as a value
    std::function<void(const QVariant &)> write;
    std::function<QString()> validate; // the reason the input is refused, empty when acceptable
};

namespace {

// A number as the user types it: the locale's form first, then the C form ("0.3" in French too).
std::optional<double> parseReal(const QString &text)
{
    bool ok = false;
    double v = QLocale().toDouble(text, &ok);
    if (!ok)
        v = QLocale::c().toDouble(text, &ok);
    if (!ok || !std::isfinite(v))
        return std::nullopt;
    return v;
}

// The user's locale without group separators: "1000", not "1,000" (which reads as two numbers elsewhere).
QLocale numberLocale()
{
    QLocale locale;
    locale.setNumberOptions(QLocale::OmitGroupSeparator);
    return locale;
}

QString formatReal(double v)
{
    return numberLocale().toString(v, 'g', 12);
}

// Two values of one field are the same setting (reals compare to 12 significant digits, the
// precision the form shows them with).
bool sameValue(const QVariant &a, const QVariant &b)
{
    if (a.isNull() || b.isNull())
        return a.isNull() == b.isNull();
    if (a.typeId() == QMetaType::Double || b.typeId() == QMetaType::Double) {
        const double x = a.toDouble(), y = b.toDouble();
        return x == y || std::abs(x - y) <= 1e-12 * std::max(std::abs(x), std::abs(y));
    }
    return a == b;
}

QLabel *makeMessage(const QString &key, QWidget *parent)
{
    auto *label = new QLabel(parent);
    label->setObjectName(key + QStringLiteral("Message"));
    label->setWordWrap(true);
    label->setStyleSheet(themeStyle(QStringLiteral("color: @{bad};")));
    label->hide();
    return label;
}

} // namespace

SettingsEditor::SettingsEditor(SettingsArea area, const QString &title, QWidget *parent)
    : QWidget(parent), m_area(area), m_title(title), m_roles(new SettingsService(this))
{
    m_banner = new InfoBar(this);
    m_banner->setObjectName(QStringLiteral("settingsReadOnlyBanner"));

    auto *formHost = new QWidget(this);
    m_form = new FormGrid(formHost);
    m_form->setLabelAlignment(Qt::AlignRight);
    auto *scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(formHost);

    m_formMessage = makeMessage(QStringLiteral("form"), this);

    m_buttons = new QWidget(this);
    m_save = new QPushButton(tr("Save"), m_buttons);
    m_save->setObjectName(QStringLiteral("settingsSave"));
    m_save->setDefault(true);
    m_revert = new QPushButton(tr("Revert"), m_buttons);
    m_revert->setObjectName(QStringLiteral("settingsRevert"));
    m_revert->setToolTip(tr("Put back the values last loaded or saved."));
    m_statusLabel = new QLabel(m_buttons);
    m_statusLabel->setObjectName(QStringLiteral("settingsStatus"));
    m_statusLabel->setWordWrap(true);
    auto *buttons = new QHBoxLayout(m_buttons);
    buttons->setContentsMargins(0, 0, 0, 0);
    buttons->addWidget(m_save);
    buttons->addWidget(m_revert);
    buttons->addWidget(m_statusLabel, 1);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_banner);
    layout->addWidget(scroll, 1);
    layout->addWidget(m_formMessage);
    layout->addWidget(m_buttons);

    connect(m_save, &QPushButton::clicked, this, [this] {
        if (isReadOnly() || m_busy || !isValid() || !isDirty())
            return;
        m_busy = true;
        m_saving = true;
        m_status = tr("Saving…");
        m_statusIsError = false;
        updateState();
        save(m_deployment, values());
    });
    connect(m_revert, &QPushButton::clicked, this, &SettingsEditor::revert);
    connect(m_roles, &SettingsService::permissionsRead, this, &SettingsEditor::onPermissions);
    updateState();
}

SettingsEditor::~SettingsEditor()
{
    qDeleteAll(m_fields);
}

void SettingsEditor::setEndpoint(const std::optional<PgEndpoint> &pg)
{
    m_roles->setEndpoint(pg);
    m_permissions.reset();
    m_roles->readPermissions();
    applyEndpoint(pg);
    reload();
}

void SettingsEditor::setDeployment(const QString &deployment)
{
    if (deployment == m_deployment && (m_hasData || m_loading))
        return;
    m_deployment = deployment;
    reload();
}

void SettingsEditor::reload()
{
    m_hasData = false;
    m_saving = false;
    m_status.clear();
    m_statusIsError = false;
    m_loading = !m_deployment.isEmpty();
    m_busy = m_loading;
    updateState();
    if (m_loading)
        load(m_deployment);
}

void SettingsEditor::setPermissions(const RolePermissions &permissions)
{
    m_permissions = permissions;
    updateState();
}

void SettingsEditor::onPermissions(const Result<RolePermissions> &permissions)
{
    // Unknown permissions leave the form editable: the database still refuses what the role may not do.
    if (permissions)
        setPermissions(*permissions);
}

bool SettingsEditor::isDirty() const
{
    if (!m_hasData)
        return false;
    // Typed text that reads as no value (an optional field's "abc") is a change too.
    for (const Field *f : m_fields)
        if (!sameValue(f->read(), m_baseline.value(f->key)) || (f->line && f->line->text() != f->loadedText))
            return true;
    return false;
}

bool SettingsEditor::fieldsValid() const
{
    for (const Field *f : m_fields)
        if (!f->validate().isEmpty())
            return false;
    return true;
}

bool SettingsEditor::isValid() const
{
    return fieldsValid() && checkForm(values()).isEmpty();
}

bool SettingsEditor::isReadOnly() const
{
    return !m_hasData || (m_permissions && !m_permissions->mayChange(m_area));
}

QString SettingsEditor::readOnlyReason() const
{
    return m_permissions ? m_permissions->refusal(m_area) : QString();
}

QString SettingsEditor::status() const
{
    return m_status;
}

QString SettingsEditor::fieldMessage(const QString &key) const
{
    const Field *f = find(key);
    return f ? f->validate() : QString();
}

QVariant SettingsEditor::value(const QString &key) const
{
    const Field *f = find(key);
    return f ? f->read() : QVariant();
}

QWidget *SettingsEditor::fieldWidget(const QString &key) const
{
    const Field *f = find(key);
    return f ? f->widget : nullptr;
}

SettingsEditor::Values SettingsEditor::values() const
{
    Values out;
    for (const Field *f : m_fields)
        out.insert(f->key, f->read());
    return out;
}

void SettingsEditor::revert()
{
    if (!m_hasData || m_busy)
        return;
    writeValues(m_baseline);
    if (!m_statusIsError)
        m_status.clear();
    updateState();
}

QWidget *SettingsEditor::addInteger(const QString &key, const QString &label, IntCheck check, const QString &suffix,
                                    bool optional)
{
    auto *edit = new QLineEdit(this);
    auto *f = new Field;
    f->key = key;
    f->widget = edit;
    f->read = [edit]() -> QVariant {
        const auto v = parseReal(edit->text().trimmed());
        if (!v || *v != std::floor(*v) || std::abs(*v) > 9e15)
            return {};
        return QVariant::fromValue(qlonglong(*v));
    };
    f->write = [edit](const QVariant &v) {
        edit->setText(v.isNull() ? QString() : numberLocale().toString(v.toLongLong()));
    };
    f->validate = [this, edit, check, optional]() -> QString {
        const QString text = edit->text().trimmed();
        if (text.isEmpty())
            return optional ? QString() : tr("A value is needed.");
        const auto v = parseReal(text);
        if (!v)
            return tr("\"%1\" is not a number.").arg(text);
        if (*v != std::floor(*v) || std::abs(*v) > 9e15)
            return tr("A whole number is needed.");
        return check ? check(qint64(*v)) : QString();
    };
    f->suffix = suffix;
    connect(edit, &QLineEdit::textEdited, this, &SettingsEditor::fieldEdited);
    return addField(f, label);
}

QWidget *SettingsEditor::addReal(const QString &key, const QString &label, RealCheck check, const QString &suffix,
                                 bool optional)
{
    auto *edit = new QLineEdit(this);
    auto *f = new Field;
    f->key = key;
    f->widget = edit;
    f->read = [edit]() -> QVariant {
        const auto v = parseReal(edit->text().trimmed());
        return v ? QVariant(*v) : QVariant();
    };
    f->write = [edit](const QVariant &v) { edit->setText(v.isNull() ? QString() : formatReal(v.toDouble())); };
    f->validate = [this, edit, check, optional]() -> QString {
        const QString text = edit->text().trimmed();
        if (text.isEmpty())
            return optional ? QString() : tr("A value is needed.");
        const auto v = parseReal(text);
        if (!v)
            return tr("\"%1\" is not a number.").arg(text);
        return check ? check(*v) : QString();
    };
    f->suffix = suffix;
    connect(edit, &QLineEdit::textEdited, this, &SettingsEditor::fieldEdited);
    return addField(f, label);
}

QWidget *SettingsEditor::addText(const QString &key, const QString &label, TextCheck check, const QString &placeholder)
{
    auto *edit = new QLineEdit(this);
    edit->setPlaceholderText(placeholder);
    auto *f = new Field;
    f->key = key;
    f->widget = edit;
    f->read = [edit]() -> QVariant { return edit->text().trimmed(); };
    f->write = [edit](const QVariant &v) { edit->setText(v.toString()); };
    f->validate = [edit, check]() { return check ? check(edit->text().trimmed()) : QString(); };
    connect(edit, &QLineEdit::textEdited, this, &SettingsEditor::fieldEdited);
    return addField(f, label);
}

QWidget *SettingsEditor::addBool(const QString &key, const QString &label)
{
    auto *box = new QCheckBox(label, this);
    auto *f = new Field;
    f->key = key;
    f->widget = box;
    f->read = [box]() -> QVariant { return box->isChecked(); };
    f->write = [box](const QVariant &v) { box->setChecked(v.toBool()); };
    f->validate = [] { return QString(); };
    connect(box, &QCheckBox::toggled, this, &SettingsEditor::fieldEdited);
    return addField(f, QString());
}

QWidget *SettingsEditor::addChoice(const QString &key, const QString &label, const Choices &choices)
{
    auto *combo = new QComboBox(this);
    for (const auto &[text, choiceValue] : choices)
        combo->addItem(text, choiceValue);
    auto *f = new Field;
    f->key = key;
    f->widget = combo;
    f->read = [combo]() -> QVariant { return combo->currentData(); };
    f->write = [combo](const QVariant &v) { combo->setCurrentIndex(qMax(0, combo->findData(v))); };
    f->validate = [] { return QString(); };
    connect(combo, &QComboBox::currentIndexChanged, this, &SettingsEditor::fieldEdited);
    return addField(f, label);
}

QWidget *SettingsEditor::addCustom(const QString &key, const QString &label, QWidget *widget,
                                   std::function<QVariant()> read, std::function<void(const QVariant &)> write,
                                   std::function<QString(const QVariant &)> check)
{
    auto *f = new Field;
    f->key = key;
    f->widget = widget;
    f->read = read;
    f->write = std::move(write);
    f->validate = [read, check]() { return check ? check(read()) : QString(); };
    return addField(f, label);
}

QWidget *SettingsEditor::addField(Field *field, const QString &label)
{
    field->widget->setObjectName(field->key);
    field->line = qobject_cast<QLineEdit *>(field->widget);
    field->message = makeMessage(field->key, this);
    auto *row = new QWidget(this);
    auto *layout = new QHBoxLayout(row);
    layout->setContentsMargins(0, 0, 0, 0);
    if (qobject_cast<QLineEdit *>(field->widget))
        field->widget->setFixedWidth(field->widget->fontMetrics().horizontalAdvance(QLatin1Char('0')) * 18);
    layout->addWidget(field->widget, 0, Qt::AlignLeft);
    if (!field->suffix.isEmpty()) {
        auto *unit = new QLabel(field->suffix, row);
        unit->setStyleSheet(themeStyle(QStringLiteral("color: @{muted};")));
        layout->addWidget(unit);
    }
    layout->addSpacing(8);
    layout->addWidget(field->message, 1);
    layout->addStretch(); // keeps the input on the left while the message is hidden
    m_form->addRow(label, row);
    m_fields.append(field);
    return field->widget;
}

QWidget *SettingsEditor::addSection(const QString &title)
{
    auto *heading = new QLabel(title, this);
    heading->setObjectName(QStringLiteral("settingsSection"));
    QFont font = heading->font();
    font.setBold(true);
    heading->setFont(font);
    m_form->addRow(heading);
    return heading;
}

void SettingsEditor::setRowVisible(QWidget *fieldOrHeading, bool visible)
{
    // A field sits in a row widget of its own (input, unit, message); a heading is its row.
    QWidget *host = m_form->parentWidget();
    QWidget *row = fieldOrHeading->parentWidget() == host ? fieldOrHeading : fieldOrHeading->parentWidget();
    m_form->setRowVisible(row, visible);
}

void SettingsEditor::addNote(const QString &text)
{
    auto *note = new QLabel(text, this);
    note->setWordWrap(true);
    note->setStyleSheet(themeStyle(QStringLiteral("color: @{muted};")));
    m_form->addRow(note);
}

QWidget *SettingsEditor::addActionButton(QPushButton *button)
{
    button->setParent(m_buttons);
    static_cast<QHBoxLayout *>(m_buttons->layout())->insertWidget(2, button);
    return button;
}

void SettingsEditor::setStatus(const QString &message, bool error)
{
    m_status = message;
    m_statusIsError = error;
    updateState();
}

QString SettingsEditor::checkForm(const Values &) const
{
    return {};
}

void SettingsEditor::setLoaded(const QString &deployment, const Values &values)
{
    if (deployment != m_deployment || !m_loading)
        return;
    m_loading = false;
    m_busy = false;
    writeValues(values);
    setBaseline();
    m_hasData = true;
    updateState();
    Q_EMIT loaded();
}

void SettingsEditor::setLoadFailed(const QString &deployment, const QString &error)
{
    if (deployment != m_deployment || !m_loading)
        return;
    m_loading = false;
    m_busy = false;
    m_hasData = false;
    setStatus(error, true);
    Q_EMIT failed(error);
}

void SettingsEditor::setSaved(const Values &values, const QString &message)
{
    if (!m_saving)
        return;
    m_saving = false;
    m_busy = false;
    writeValues(values);
    setBaseline();
    setStatus(message.isEmpty() ? tr("Saved.") : message, false);
    Q_EMIT saved();
}

void SettingsEditor::setSaveFailed(const QString &error)
{
    if (!m_saving)
        return;
    m_saving = false;
    m_busy = false;
    setStatus(error, true); // the user's input stays as it was typed
    Q_EMIT failed(error);
}

void SettingsEditor::fieldEdited()
{
    if (!m_statusIsError)
        m_status.clear(); // "Saved." no longer describes the form
    updateState();
}

SettingsEditor::Field *SettingsEditor::find(const QString &key) const
{
    for (Field *f : m_fields)
        if (f->key == key)
            return f;
    return nullptr;
}

void SettingsEditor::writeValues(const Values &values)
{
    for (Field *f : m_fields) {
        const QSignalBlocker block(f->widget); // programmatic: not an edit
        if (values.contains(f->key))
            f->write(values.value(f->key));
    }
}

void SettingsEditor::setBaseline()
{
    m_baseline = values();
    for (Field *f : m_fields)
        if (f->line)
            f->loadedText = f->line->text();
}

void SettingsEditor::updateState()
{
    const bool readOnly = isReadOnly();
    const bool editable = m_hasData && !readOnly && !m_busy;
    for (Field *f : m_fields) {
        const QString why = m_hasData ? f->validate() : QString();
        f->message->setText(why);
        f->message->setVisible(!why.isEmpty());
        f->widget->setEnabled(editable);
    }
    // The rule over several fields speaks once each field is acceptable (never twice about one value).
    const QString formWhy = m_hasData && fieldsValid() ? checkForm(values()) : QString();
    m_formMessage->setText(formWhy);
    m_formMessage->setVisible(!formWhy.isEmpty());

    const bool dirty = isDirty();
    m_save->setEnabled(editable && dirty && isValid());
    m_revert->setEnabled(m_hasData && !m_busy && dirty);

    const QString reason = readOnlyReason();
    if (!m_deployment.isEmpty() && !reason.isEmpty()) {
        if (m_banner->text() != reason || m_banner->isHidden())
            m_banner->showMessage(reason, InfoBar::Kind::Warning);
    } else {
        m_banner->hide();
    }

    m_statusLabel->setText(m_status);
    m_statusLabel->setStyleSheet(m_statusIsError ? themeStyle(QStringLiteral("color: @{bad};"))
                                                 : themeStyle(QStringLiteral("color: @{good};")));
    if (dirty != m_wasDirty) {
        m_wasDirty = dirty;
        Q_EMIT dirtyChanged(dirty);
    }
}

} // namespace mldeck::ui
